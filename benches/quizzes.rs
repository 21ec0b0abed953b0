//! The quiz hot paths: parsing GIFT and grading an attempt.
//!
//! `cargo bench --bench quizzes` parses the shipped courses' question banks (every
//! `courses/*/quizzes/*/*.gift`, about 0.8 MB in seven languages) as the validator and
//! the importer do, and grades a submitted attempt of ten questions of every
//! automatically graded type and an essay, as `quizzes::attempts::submit` does: with
//! and without reading the attempt's question snapshot from its JSON first.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::Path;

use bilim::quizzes::gift::{self, Kind, NumericValue, Question};
use bilim::quizzes::grading::{self, Response};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// Every GIFT file of the shipped courses, in path order.
fn shipped_banks() -> Vec<String> {
    let courses = Path::new(env!("CARGO_MANIFEST_DIR")).join("courses");
    let mut paths = Vec::new();
    for course in std::fs::read_dir(&courses).unwrap() {
        let quizzes = course.unwrap().path().join("quizzes");
        let Ok(entries) = std::fs::read_dir(&quizzes) else {
            continue;
        };
        for quiz in entries {
            for file in std::fs::read_dir(quiz.unwrap().path()).unwrap() {
                let path = file.unwrap().path();
                if path.extension().is_some_and(|e| e == "gift") {
                    paths.push(path);
                }
            }
        }
    }
    paths.sort();
    paths.iter().map(|p| std::fs::read_to_string(p).unwrap()).collect()
}

/// A response to `question`: the right one for even `n`, a wrong one for odd `n`, so
/// that both the matching and the failing branches are graded.
fn response(question: &Question, n: usize) -> Option<Response> {
    let right = n.is_multiple_of(2);
    Some(match &question.kind {
        Kind::Single { choices } => {
            let best = choices.iter().position(|c| c.weight >= 100.0).unwrap_or(0);
            let index = if right { best } else { (best + 1) % choices.len() };
            Response::Choice {
                choice: grading::option_id(index),
            }
        }
        Kind::Multiple { choices } => Response::Choices {
            choices: choices
                .iter()
                .enumerate()
                .filter(|(_, c)| (c.weight > 0.0) == right)
                .map(|(i, _)| grading::option_id(i))
                .collect(),
        },
        Kind::TrueFalse { answer, .. } => Response::Choice {
            choice: (*answer == right).to_string(),
        },
        Kind::ShortAnswer { answers } => Response::Text {
            text: if right {
                // Typed as learners do: other case, extra spaces.
                format!("  {}  ", answers[0].text.to_uppercase())
            } else {
                "something else entirely".into()
            },
        },
        Kind::Numerical { answers } => Response::Value {
            value: match answers[0].value {
                NumericValue::Exact { value, .. } if right => value,
                NumericValue::Range { min, .. } if right => min,
                _ => -12_345.0,
            },
        },
        Kind::Matching { pairs } => Response::Pairs {
            pairs: (0..pairs.len())
                .map(|i| {
                    let to = if right { i } else { (i + 1) % pairs.len() };
                    (grading::left_id(i), grading::right_id(to))
                })
                .collect(),
        },
        Kind::Essay => Response::Text {
            text: "The chain of custody shows who held the evidence, when and why. ".repeat(8),
        },
        Kind::Description => return None,
    })
}

/// Ten questions of the banks, of as many different types as they hold: one of each
/// type first, then more choice questions, as a drawn final test has.
fn attempt_questions(banks: &[String]) -> Vec<Question> {
    let all: Vec<Question> = banks.iter().flat_map(|bank| gift::parse(bank).0).collect();
    let mut picked: Vec<Question> = Vec::new();
    for kind in [
        "single",
        "multiple",
        "true_false",
        "short_answer",
        "numerical",
        "matching",
        "essay",
    ] {
        // Responses are keyed by question id: one question per id.
        let fresh = |q: &&Question| q.kind.name() == kind && !picked.iter().any(|p| p.id == q.id);
        if let Some(question) = all.iter().find(fresh) {
            picked.push(question.clone());
        }
    }
    for question in all
        .iter()
        .filter(|q| matches!(q.kind, Kind::Single { .. } | Kind::Multiple { .. }))
    {
        if picked.len() < 10 && !picked.iter().any(|p| p.id == question.id) {
            picked.push(question.clone());
        }
    }
    assert_eq!(picked.len(), 10);
    picked
}

/// What an attempt scores, as `submit` adds it up.
fn grade_attempt(questions: &[Question], responses: &BTreeMap<String, Response>) -> (f64, f64, bool) {
    questions
        .iter()
        .map(|q| grading::grade(q, responses.get(&q.id)))
        .fold((0.0, 0.0, false), |(score, max, pending), g| {
            (score + g.score, max + g.max_score, pending || g.pending_manual)
        })
}

fn bench(c: &mut Criterion) {
    let banks = shipped_banks();
    let bytes: usize = banks.iter().map(String::len).sum();
    let mut parsing = c.benchmark_group("GIFT parsing");
    parsing.throughput(Throughput::Bytes(bytes as u64));
    parsing.bench_function(format!("the shipped banks, {} files", banks.len()), |b| {
        b.iter(|| {
            banks
                .iter()
                .map(|bank| {
                    let (questions, errors) = gift::parse(black_box(bank));
                    assert!(errors.is_empty());
                    questions.len()
                })
                .sum::<usize>()
        })
    });
    parsing.finish();

    let questions = attempt_questions(&banks);
    let kinds: Vec<&str> = questions.iter().map(|q| q.kind.name()).collect();
    let responses: BTreeMap<String, Response> = questions
        .iter()
        .enumerate()
        .filter_map(|(n, q)| Some((q.id.clone(), response(q, n)?)))
        .collect();
    // Attempts keep their drawn questions as JSON (quiz_attempts.questions).
    let snapshot = serde_json::to_string(&questions).unwrap();
    let mut grading_group = c.benchmark_group("grading");
    grading_group.bench_function(format!("an attempt of 10 questions ({})", kinds.join(", ")), |b| {
        b.iter(|| grade_attempt(black_box(&questions), black_box(&responses)))
    });
    grading_group.bench_function("the same, read from its JSON snapshot first", |b| {
        b.iter(|| {
            let questions: Vec<Question> = serde_json::from_str(black_box(&snapshot)).unwrap();
            grade_attempt(&questions, black_box(&responses))
        })
    });
    grading_group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
