//! Grading a response to one question, on the server and deterministically. Every
//! question is worth one point (descriptions none); weights are percentages of it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use super::gift::{Choice, Kind, NumericAnswer, NumericValue, Pair, Question};

/// A learner's answer, as the API and the forms send it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Response {
    Choice { choice: String },
    Choices { choices: Vec<String> },
    Text { text: String },
    Value { value: f64 },
    Pairs { pairs: BTreeMap<String, String> },
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Grade {
    pub score: f64,
    pub max_score: f64,
    /// An essay waiting for a trainer.
    pub pending_manual: bool,
}

/// The id of the n-th (0-based) option of a choice question, as shown to learners.
pub fn option_id(index: usize) -> String {
    (index + 1).to_string()
}

pub fn left_id(index: usize) -> String {
    format!("l{}", index + 1)
}

pub fn right_id(index: usize) -> String {
    format!("r{}", index + 1)
}

fn option_index(id: &str) -> Option<usize> {
    id.trim().parse::<usize>().ok()?.checked_sub(1)
}

/// Apostrophes and turned commas typed in many ways (Uzbek oʻ, gʻ, tutuq belgisi)
/// count as one character when matching answers.
fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '‘' | '’' | '`' | 'ʻ' | 'ʼ' | 'ʹ' | '′')
}

/// How short answers are compared: Unicode NFC, case folded, apostrophes unified,
/// surrounding and repeated whitespace ignored.
pub fn normalise_answer(text: &str) -> String {
    let composed: String = text.nfc().collect();
    let lowered = composed.to_lowercase();
    let unified: String = lowered
        .chars()
        .map(|c| if is_apostrophe(c) { '\'' } else { c })
        .collect();
    unified.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn fraction(weight: f64) -> f64 {
    weight / 100.0
}

fn clamp_score(score: f64) -> f64 {
    score.clamp(0.0, 1.0)
}

impl Grade {
    /// Automatic marks on a question worth one point, `score` clamped to 0–1.
    fn automatic(score: f64) -> Grade {
        Grade {
            score: clamp_score(score),
            max_score: 1.0,
            pending_manual: false,
        }
    }
}

/// What a response to a question is worth. A missing or ill-shaped response scores 0.
/// Each question type has its own arm, so a new type cannot be graded by accident.
pub fn grade(question: &Question, response: Option<&Response>) -> Grade {
    match &question.kind {
        Kind::Description => Grade {
            score: 0.0,
            max_score: 0.0,
            pending_manual: false,
        },
        Kind::Essay => match response {
            Some(Response::Text { text }) if !text.trim().is_empty() => Grade {
                score: 0.0,
                max_score: 1.0,
                pending_manual: true,
            },
            // An essay left empty scores 0 at once: there is nothing to read.
            _ => Grade::automatic(0.0),
        },
        Kind::Single { choices } => Grade::automatic(single_score(choices, response)),
        Kind::Multiple { choices } => Grade::automatic(multiple_score(choices, response)),
        Kind::TrueFalse { answer, .. } => Grade::automatic(true_false_score(*answer, response)),
        Kind::ShortAnswer { answers } => Grade::automatic(short_answer_score(answers, response)),
        Kind::Numerical { answers } => Grade::automatic(numerical_score(answers, response)),
        Kind::Matching { pairs } => Grade::automatic(matching_score(pairs, response)),
    }
}

fn single_score(choices: &[Choice], response: Option<&Response>) -> f64 {
    let Some(Response::Choice { choice }) = response else {
        return 0.0;
    };
    let weight = option_index(choice)
        .and_then(|i| choices.get(i))
        .map(|c| c.weight)
        .unwrap_or(0.0);
    fraction(weight)
}

fn multiple_score(choices: &[Choice], response: Option<&Response>) -> f64 {
    let Some(Response::Choices { choices: chosen }) = response else {
        return 0.0;
    };
    let mut indices: Vec<usize> = chosen.iter().filter_map(|id| option_index(id)).collect();
    indices.sort_unstable();
    indices.dedup();
    let total: f64 = indices.iter().filter_map(|i| choices.get(*i)).map(|c| c.weight).sum();
    fraction(total)
}

fn true_false_score(answer: bool, response: Option<&Response>) -> f64 {
    let Some(Response::Choice { choice }) = response else {
        return 0.0;
    };
    let given = match choice.trim() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    };
    if given == Some(answer) {
        1.0
    } else {
        0.0
    }
}

fn short_answer_score(answers: &[Choice], response: Option<&Response>) -> f64 {
    let Some(Response::Text { text }) = response else {
        return 0.0;
    };
    let given = normalise_answer(text);
    let best = answers
        .iter()
        .filter(|a| normalise_answer(&a.text) == given)
        .map(|a| a.weight)
        .fold(0.0, f64::max);
    fraction(best)
}

fn numerical_score(answers: &[NumericAnswer], response: Option<&Response>) -> f64 {
    let Some(Response::Value { value }) = response else {
        return 0.0;
    };
    if !value.is_finite() {
        return 0.0;
    }
    let best = answers
        .iter()
        .filter(|a| match a.value {
            NumericValue::Exact { value: v, tolerance } => (value - v).abs() <= tolerance + 1e-9,
            NumericValue::Range { min, max } => *value >= min - 1e-9 && *value <= max + 1e-9,
        })
        .map(|a| a.weight)
        .fold(0.0, f64::max);
    fraction(best)
}

// Counts are small; their conversion to f64 is exact.
#[allow(clippy::cast_precision_loss)]
fn matching_score(pairs: &[Pair], response: Option<&Response>) -> f64 {
    let Some(Response::Pairs { pairs: given }) = response else {
        return 0.0;
    };
    let right_text = |id: &str| {
        id.strip_prefix('r')
            .and_then(option_index)
            .and_then(|i| pairs.get(i))
            .map(|p| p.right.as_str())
    };
    let correct = pairs
        .iter()
        .enumerate()
        .filter(|(i, pair)| {
            given
                .get(&left_id(*i))
                .and_then(|chosen| right_text(chosen))
                .is_some_and(|text| text == pair.right)
        })
        .count();
    correct as f64 / pairs.len().max(1) as f64
}

/// The longest text answer kept, in characters.
const TEXT_ANSWER_MAX_CHARS: usize = 20_000;

/// Checks that a response has the shape its question needs, naming the problem.
pub fn check_shape(question: &Question, response: &Response) -> Result<(), &'static str> {
    let option_exists = |id: &str, count: usize| option_index(id).is_some_and(|i| i < count);
    let fits = match &question.kind {
        Kind::Single { choices } => {
            matches!(response, Response::Choice { choice } if option_exists(choice, choices.len()))
        }
        Kind::Multiple { choices } => matches!(
            response,
            Response::Choices { choices: chosen } if chosen.iter().all(|c| option_exists(c, choices.len()))
        ),
        Kind::TrueFalse { .. } => {
            matches!(response, Response::Choice { choice } if choice == "true" || choice == "false")
        }
        Kind::ShortAnswer { .. } | Kind::Essay => {
            matches!(response, Response::Text { text } if text.chars().count() <= TEXT_ANSWER_MAX_CHARS)
        }
        Kind::Numerical { .. } => matches!(response, Response::Value { value } if value.is_finite()),
        Kind::Matching { pairs } => matches!(
            response,
            Response::Pairs { pairs: given } if given.iter().all(|(left, right)| {
                left.strip_prefix('l').is_some_and(|l| option_exists(l, pairs.len()))
                    && right.strip_prefix('r').is_some_and(|r| option_exists(r, pairs.len()))
            })
        ),
        Kind::Description => return Err("quizzes.no_answer_expected"),
    };
    if fits {
        Ok(())
    } else {
        Err("quizzes.response_invalid")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quizzes::gift;

    fn question(text: &str) -> Question {
        let (questions, errors) = gift::parse(text);
        assert!(errors.is_empty(), "{errors:?}");
        questions.into_iter().next().unwrap()
    }

    fn choice(id: &str) -> Response {
        Response::Choice { choice: id.into() }
    }

    #[test]
    fn single_choice_gives_the_weight_of_the_chosen_answer() {
        let q = question("::q:: Pick {=right ~%50%half ~wrong}");
        assert_eq!(grade(&q, Some(&choice("1"))).score, 1.0);
        assert_eq!(grade(&q, Some(&choice("2"))).score, 0.5);
        assert_eq!(grade(&q, Some(&choice("3"))).score, 0.0);
        assert_eq!(grade(&q, Some(&choice("9"))).score, 0.0);
        assert_eq!(grade(&q, None).score, 0.0);
    }

    #[test]
    fn multiple_answers_add_weights_and_never_go_below_zero() {
        let q = question("::q:: Pick {~%50%a ~%50%b ~%-100%c ~%0%d}");
        let pick = |ids: &[&str]| Response::Choices {
            choices: ids.iter().map(|s| s.to_string()).collect(),
        };
        assert_eq!(grade(&q, Some(&pick(&["1", "2"]))).score, 1.0);
        assert_eq!(grade(&q, Some(&pick(&["1"]))).score, 0.5);
        assert_eq!(grade(&q, Some(&pick(&["1", "3"]))).score, 0.0);
        assert_eq!(grade(&q, Some(&pick(&["1", "2", "3"]))).score, 0.0);
        assert_eq!(
            grade(&q, Some(&pick(&["1", "1", "1"]))).score,
            0.5,
            "choosing twice counts once"
        );
    }

    #[test]
    fn true_false_short_answer_numerical_and_matching_are_graded() {
        let tf = question("::q:: The sky is green.{F#No.#Yes.}");
        assert_eq!(grade(&tf, Some(&choice("false"))).score, 1.0);
        assert_eq!(grade(&tf, Some(&choice("true"))).score, 0.0);

        let short = question("::q:: Capital? {=Тошкент =%50%Toshkent =Oʻzbekiston}");
        let text = |t: &str| Response::Text { text: t.into() };
        assert_eq!(grade(&short, Some(&text("  тошкент "))).score, 1.0);
        assert_eq!(grade(&short, Some(&text("TOSHKENT"))).score, 0.5);
        assert_eq!(
            grade(&short, Some(&text("O'zbekiston"))).score,
            1.0,
            "apostrophes are unified"
        );
        // "é" typed as e + combining acute matches the precomposed form.
        let accented = question("::q:: Word? {=café}");
        assert_eq!(grade(&accented, Some(&text("cafe\u{301}"))).score, 1.0);

        let number = question("::q:: Pi? {#=3.14:0.01 =%50%3:0.2}");
        let value = |v: f64| Response::Value { value: v };
        assert_eq!(grade(&number, Some(&value(3.1405))).score, 1.0);
        assert_eq!(
            grade(&number, Some(&value(3.15))).score,
            1.0,
            "the tolerance is inclusive"
        );
        assert_eq!(grade(&number, Some(&value(2.9))).score, 0.5);
        assert_eq!(grade(&number, Some(&value(4.0))).score, 0.0);
        let range = question("::q:: Between? {#1..5}");
        assert_eq!(grade(&range, Some(&value(5.0))).score, 1.0);
        assert_eq!(grade(&range, Some(&value(5.1))).score, 0.0);

        let matching = question("::q:: Match {=a -> 1 =b -> 2 =c -> 3}");
        let pairs = |p: &[(&str, &str)]| Response::Pairs {
            pairs: p.iter().map(|(l, r)| (l.to_string(), r.to_string())).collect(),
        };
        assert_eq!(
            grade(&matching, Some(&pairs(&[("l1", "r1"), ("l2", "r2"), ("l3", "r3")]))).score,
            1.0
        );
        let two_of_three = grade(&matching, Some(&pairs(&[("l1", "r1"), ("l2", "r3"), ("l3", "r2")]))).score;
        assert!((two_of_three - 1.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn essays_wait_for_a_trainer_and_descriptions_are_not_scored() {
        let essay = question("::q:: Explain. {}");
        let graded = grade(
            &essay,
            Some(&Response::Text {
                text: "Because.".into(),
            }),
        );
        assert!(graded.pending_manual && graded.max_score == 1.0);
        assert!(
            !grade(&essay, None).pending_manual,
            "an unanswered essay scores 0 at once"
        );
        let description = question("::d:: Read the case below.");
        assert_eq!(grade(&description, None).max_score, 0.0);
    }
}
