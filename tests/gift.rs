//! The GIFT parser: every feature of the format, Cyrillic text, errors with lines, and
//! no panic on any input.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::approx_constant
)]

use bilim::quizzes::gift::{self, Choice, Kind, NumericAnswer, NumericValue, Pair, TextFormat};
use proptest::prelude::*;

fn one(text: &str) -> gift::Question {
    let (questions, errors) = gift::parse(text);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(questions.len(), 1, "{questions:?}");
    questions.into_iter().next().unwrap()
}

fn choice(text: &str, weight: f64, feedback: Option<&str>) -> Choice {
    Choice {
        text: text.into(),
        weight,
        feedback: feedback.map(str::to_owned),
    }
}

#[test]
fn multiple_choice_with_one_answer_feedback_and_general_feedback() {
    let q = one("::hash:: Which algorithm?{\n=SHA-256#Right.\n~MD5#Broken.\n~%25%SHA-1\n####Use SHA-256.\n}");
    assert_eq!(q.id, "hash");
    assert_eq!(q.text, "Which algorithm?");
    assert_eq!(
        q.kind,
        Kind::Single {
            choices: vec![
                choice("SHA-256", 100.0, Some("Right.")),
                choice("MD5", 0.0, Some("Broken.")),
                choice("SHA-1", 25.0, None)
            ]
        }
    );
    assert_eq!(q.general_feedback.as_deref(), Some("Use SHA-256."));
}

#[test]
fn multiple_answers_with_negative_weights() {
    let q = one("::m:: Select all.{~%50%a ~%50%b ~%-100%c}");
    assert_eq!(
        q.kind,
        Kind::Multiple {
            choices: vec![
                choice("a", 50.0, None),
                choice("b", 50.0, None),
                choice("c", -100.0, None)
            ]
        }
    );
    let (_, errors) = gift::parse("::m:: Select all.{~%40%a ~%50%b ~c}");
    assert!(errors[0].message.contains("add up to 90"), "{errors:?}");
}

#[test]
fn true_false_in_every_spelling_with_feedback() {
    for (text, answer) in [
        ("{T}", true),
        ("{TRUE}", true),
        ("{F}", false),
        ("{FALSE}", false),
        ("{true}", true),
    ] {
        let q = one(&format!("::tf:: Statement.{text}"));
        assert!(
            matches!(q.kind, Kind::TrueFalse { answer: a, .. } if a == answer),
            "{text}"
        );
    }
    let q = one("::tf:: Grant is buried in Grant's tomb.{FALSE#No one is.#Right.}");
    assert_eq!(
        q.kind,
        Kind::TrueFalse {
            answer: false,
            feedback_wrong: Some("No one is.".into()),
            feedback_right: Some("Right.".into())
        }
    );
}

#[test]
fn short_answers_with_weights() {
    let q = one("::s:: Who wrote it?{=Abai =%50%Kunanbaiuly#Close.}");
    assert_eq!(
        q.kind,
        Kind::ShortAnswer {
            answers: vec![choice("Abai", 100.0, None), choice("Kunanbaiuly", 50.0, Some("Close."))]
        }
    );
}

#[test]
fn numerical_answers_tolerances_ranges_and_weights() {
    let q = one("::n:: Pi?{#3.14:0.01}");
    assert_eq!(
        q.kind,
        Kind::Numerical {
            answers: vec![NumericAnswer {
                value: NumericValue::Exact {
                    value: 3.14,
                    tolerance: 0.01
                },
                weight: 100.0,
                feedback: None
            }]
        }
    );
    let range = one("::r:: Between?{#1..5}");
    assert_eq!(
        range.kind,
        Kind::Numerical {
            answers: vec![NumericAnswer {
                value: NumericValue::Range { min: 1.0, max: 5.0 },
                weight: 100.0,
                feedback: None
            }]
        }
    );
    let several = one("::w:: Year?{#\n=2001:0#Exactly.\n=%50%2001:2#Close.\n}");
    let Kind::Numerical { answers } = several.kind else {
        panic!()
    };
    assert_eq!(answers.len(), 2);
    assert_eq!(answers[1].weight, 50.0);
    assert_eq!(answers[0].feedback.as_deref(), Some("Exactly."));
    let (_, errors) = gift::parse("::bad:: Value?{#abc}");
    assert!(errors[0].message.contains("not a number"));
}

#[test]
fn matching_needs_three_pairs() {
    let q = one("::pairs:: Match.{=Kazakhstan -> Astana =Kyrgyzstan -> Bishkek =Tajikistan -> Dushanbe}");
    assert_eq!(
        q.kind,
        Kind::Matching {
            pairs: vec![
                Pair {
                    left: "Kazakhstan".into(),
                    right: "Astana".into()
                },
                Pair {
                    left: "Kyrgyzstan".into(),
                    right: "Bishkek".into()
                },
                Pair {
                    left: "Tajikistan".into(),
                    right: "Dushanbe".into()
                },
            ]
        }
    );
    let (_, errors) = gift::parse("::two:: Match.{=a -> 1 =b -> 2}");
    assert!(errors[0].message.contains("at least three pairs"));
}

#[test]
fn essays_descriptions_and_missing_word_questions() {
    assert_eq!(one("::e:: Describe the steps.{}").kind, Kind::Essay);
    assert_eq!(one("::d:: Read the following case.").kind, Kind::Description);
    let gap = one("::g:: The Convention was opened in {=Budapest ~Paris ~Vienna} in 2001.");
    assert_eq!(gap.text, "The Convention was opened in _____ in 2001.");
}

#[test]
fn escapes_comments_categories_formats_and_cyrillic() {
    let text = "// a comment\n$CATEGORY: cybercrime/basics\n\n::esc:: Is 2 \\= 2 \\{really\\} \\: \\~ \\#?{T}\n\n// another\n::ru::[markdown]Что такое **хеш**?{=Хеш-значение ~Пароль}\n\n::html::[html]<p>Text</p>{=a ~b}\n";
    let (questions, errors) = gift::parse(text);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(questions[0].text, "Is 2 = 2 {really} : ~ #?");
    assert_eq!(questions[0].category.as_deref(), Some("cybercrime/basics"));
    assert_eq!(questions[1].format, TextFormat::Markdown);
    assert_eq!(questions[1].text, "Что такое **хеш**?");
    assert_eq!(questions[1].line, 7);
    assert_eq!(questions[2].format, TextFormat::Html);
    assert_eq!(questions[0].line, 4);
}

#[test]
fn errors_name_their_line_and_other_questions_still_load() {
    let text = "::ok:: Fine.{T}\n\n::no-close:: Broken {=a ~b\n\nNo id here {T}\n\n::ok:: Same id.{F}\n\n::bad id:: Spaces.{T}\n\n::two:: Two right.{=a =b ~c}\n";
    let (questions, errors) = gift::parse(text);
    assert_eq!(questions.len(), 1);
    let lines: Vec<(usize, &str)> = errors.iter().map(|e| (e.line, e.message.as_str())).collect();
    assert!(
        lines.iter().any(|(l, m)| *l == 3 && m.contains("not closed")),
        "{lines:?}"
    );
    assert!(lines.iter().any(|(l, m)| *l == 5 && m.contains("needs an id")));
    assert!(lines
        .iter()
        .any(|(l, m)| *l == 7 && m.contains("duplicate question id `ok`")));
    assert!(lines
        .iter()
        .any(|(l, m)| *l == 9 && m.contains("must use Latin letters")));
    assert!(lines.iter().any(|(l, m)| *l == 11 && m.contains("one = answer")));
}

#[test]
fn the_shipped_quizzes_parse_without_errors_and_measure_as_the_second_edition_requires() {
    use bilim::courses::load::Severity;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("courses");
    let catalogue = bilim::courses::load::load(&root);
    let in_quizzes = |d: &&bilim::courses::load::Diagnostic| d.path.to_string_lossy().contains("quizzes");
    let errors: Vec<String> = catalogue
        .diagnostics
        .all()
        .iter()
        .filter(in_quizzes)
        .filter(|d| d.severity == Severity::Error || d.message.contains("times as long"))
        .map(ToString::to_string)
        .collect();
    assert!(
        errors.is_empty(),
        "no errors and no key that gives itself away by its length: {errors:#?}"
    );
    for course in &catalogue.courses {
        let quizzes = &course.quizzes;
        // The final test: a bank at least twice what one attempt draws, paired with a
        // pre-test, so a retake is another test and the reports can show knowledge gain.
        let finals: Vec<_> = quizzes.iter().filter(|q| q.settings.pre_test.is_some()).collect();
        assert!(!finals.is_empty(), "{}: a final test paired with a pre-test", course.id);
        for final_test in finals {
            let pre_test = final_test.settings.pre_test.as_deref().unwrap_or_default();
            assert!(
                quizzes.iter().any(|q| q.id == pre_test),
                "{} {}: its pre-test `{pre_test}` exists",
                course.id,
                final_test.id
            );
            let pick = usize::try_from(final_test.settings.pick).unwrap();
            for (language, questions) in &final_test.questions {
                assert!(
                    pick > 0 && questions.len() >= 2 * pick,
                    "{} {} {}: a bank of {} for pick = {pick}",
                    course.id,
                    final_test.id,
                    language.code(),
                    questions.len()
                );
            }
        }
        // A short check after every module.
        for module in &course.modules {
            let check = quizzes
                .iter()
                .find(|q| q.settings.after_module.as_deref() == Some(module.id.as_str()));
            let check = check.unwrap_or_else(|| panic!("{} {}: a check after the module", course.id, module.id));
            for (language, questions) in &check.questions {
                assert!(
                    (3..=5).contains(&questions.len()),
                    "{} {} {}: {} items",
                    course.id,
                    check.id,
                    language.code(),
                    questions.len()
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn the_parser_never_panics_on_arbitrary_text(text in "\\PC*") {
        let _ = gift::parse(&text);
    }

    #[test]
    fn the_parser_never_panics_on_gift_like_text(text in "(::[a-z]{0,3}::|[{}=~#%:\\\\\\->.0-9a-zа-я \\n]|\\[markdown\\]|T|F|////){0,60}") {
        let (questions, errors) = gift::parse(&text);
        for error in errors {
            prop_assert!(error.line >= 1);
        }
        for question in questions {
            prop_assert!(gift::is_valid_id(&question.id));
        }
    }
}
