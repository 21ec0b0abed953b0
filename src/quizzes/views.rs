//! What an attempt shows: questions without their answers while it is open (for the
//! API and the answer page), and the review after it is submitted.

use std::collections::BTreeMap;

use serde::Serialize;

use super::attempts::Attempt;
use super::draw::DrawnQuestion;
use super::gift::{Choice, Kind, NumericValue};
use super::grading::{self, Response};
use super::results::AttemptResult;
use crate::i18n::{self, Locale};

#[derive(Debug, Clone, Serialize)]
pub struct OptionView {
    pub id: String,
    pub text: String,
}

/// A question as the learner sees it before submitting: never its answers.
#[derive(Debug, Clone, Serialize)]
pub struct QuestionView {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub text: String,
    #[serde(skip_serializing)]
    pub html: String,
    pub options: Vec<OptionView>,
    pub left: Vec<OptionView>,
    pub right: Vec<OptionView>,
}

fn true_false_options(language: Locale) -> Vec<OptionView> {
    vec![
        OptionView {
            id: "true".into(),
            text: i18n::t(language, "quizzes.true"),
        },
        OptionView {
            id: "false".into(),
            text: i18n::t(language, "quizzes.false"),
        },
    ]
}

pub fn question_view(drawn: &DrawnQuestion, language: Locale) -> QuestionView {
    let question = &drawn.question;
    let mut view = QuestionView {
        id: question.id.clone(),
        kind: question.kind.name(),
        text: question.text.clone(),
        html: question.html.clone(),
        options: Vec::new(),
        left: Vec::new(),
        right: Vec::new(),
    };
    match &question.kind {
        Kind::Single { choices } | Kind::Multiple { choices } => {
            view.options = drawn
                .order
                .iter()
                .filter_map(|i| {
                    choices.get(*i).map(|c| OptionView {
                        id: drawn
                            .shown_id(*i)
                            .map(str::to_owned)
                            .unwrap_or_else(|| grading::option_id(*i)),
                        text: c.text.clone(),
                    })
                })
                .collect();
        }
        Kind::TrueFalse { .. } => view.options = true_false_options(language),
        Kind::Matching { pairs } => {
            view.left = pairs
                .iter()
                .enumerate()
                .map(|(i, p)| OptionView {
                    id: grading::left_id(i),
                    text: p.left.clone(),
                })
                .collect();
            view.right = drawn
                .right_order
                .iter()
                .filter_map(|i| {
                    pairs.get(*i).map(|p| OptionView {
                        id: drawn
                            .shown_id(*i)
                            .map(str::to_owned)
                            .unwrap_or_else(|| grading::right_id(*i)),
                        text: p.right.clone(),
                    })
                })
                .collect();
        }
        // Answered by typing, or not at all: nothing to choose from.
        Kind::ShortAnswer { .. } | Kind::Numerical { .. } | Kind::Essay | Kind::Description => {}
    }
    view
}

pub fn questions_view(attempt: &Attempt) -> Vec<QuestionView> {
    attempt
        .questions
        .iter()
        .map(|q| question_view(q, attempt.language))
        .collect()
}

/// One question of a submitted attempt, for the review page.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewItem {
    pub number: usize,
    pub html: String,
    pub kind: &'static str,
    pub answer: String,
    pub score: String,
    pub pending: bool,
    pub feedback: Vec<String>,
    pub correct: Option<String>,
    pub full_marks: bool,
}

fn format_points(value: f64) -> String {
    let rounded = (value * 100.0).round() / 100.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        format!("{rounded}")
    }
}

fn numeric_text(value: &NumericValue) -> String {
    match value {
        NumericValue::Exact { value, tolerance } if *tolerance > 0.0 => format!("{value} ± {tolerance}"),
        NumericValue::Exact { value, .. } => format!("{value}"),
        NumericValue::Range { min, max } => format!("{min} – {max}"),
    }
}

/// The learner's answer in words, and the feedback that goes with it. A question not
/// answered, or answered in another type's shape, shows "no answer".
fn describe_answer(drawn: &DrawnQuestion, response: Option<&Response>, language: Locale) -> (String, Vec<String>) {
    let no_answer = || (i18n::t(language, "quizzes.no_answer"), Vec::new());
    let question = &drawn.question;
    let option_text = |choices: &[Choice], id: &str| {
        id.parse::<usize>()
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|i| choices.get(i))
            .cloned()
    };
    match &question.kind {
        Kind::Single { choices } => {
            let Some(Response::Choice { choice }) = response else {
                return no_answer();
            };
            match option_text(choices, choice) {
                Some(c) => (c.text, c.feedback.into_iter().collect()),
                None => no_answer(),
            }
        }
        Kind::Multiple { choices } => {
            let Some(Response::Choices { choices: chosen }) = response else {
                return no_answer();
            };
            let picked: Vec<Choice> = chosen.iter().filter_map(|id| option_text(choices, id)).collect();
            if picked.is_empty() {
                return no_answer();
            }
            (
                picked.iter().map(|c| c.text.clone()).collect::<Vec<_>>().join("; "),
                picked.into_iter().filter_map(|c| c.feedback).collect(),
            )
        }
        Kind::TrueFalse {
            answer,
            feedback_wrong,
            feedback_right,
        } => {
            let Some(Response::Choice { choice }) = response else {
                return no_answer();
            };
            let given = choice == "true";
            let feedback = if given == *answer {
                feedback_right
            } else {
                feedback_wrong
            };
            (
                i18n::t(language, if given { "quizzes.true" } else { "quizzes.false" }),
                feedback.iter().cloned().collect(),
            )
        }
        Kind::ShortAnswer { answers } => {
            let Some(Response::Text { text }) = response else {
                return no_answer();
            };
            let normalised = grading::normalise_answer(text);
            let feedback = answers
                .iter()
                .find(|a| grading::normalise_answer(&a.text) == normalised)
                .and_then(|a| a.feedback.clone());
            (text.clone(), feedback.into_iter().collect())
        }
        Kind::Essay => {
            let Some(Response::Text { text }) = response else {
                return no_answer();
            };
            (text.clone(), Vec::new())
        }
        Kind::Numerical { answers } => {
            let Some(Response::Value { value }) = response else {
                return no_answer();
            };
            let feedback = answers
                .iter()
                .filter(|a| grading::grade(question, response).score > 0.0 || a.weight == 0.0)
                .find_map(|a| a.feedback.clone());
            (format!("{value}"), feedback.into_iter().collect())
        }
        Kind::Matching { pairs } => {
            let Some(Response::Pairs { pairs: given }) = response else {
                return no_answer();
            };
            let lines: Vec<String> = pairs
                .iter()
                .enumerate()
                .map(|(i, pair)| {
                    let chosen = given
                        .get(&grading::left_id(i))
                        .and_then(|r| r.strip_prefix('r'))
                        .and_then(|n| n.parse::<usize>().ok())
                        .and_then(|n| n.checked_sub(1))
                        .and_then(|n| pairs.get(n))
                        .map(|p| p.right.clone())
                        .unwrap_or_else(|| i18n::t(language, "quizzes.no_answer"));
                    format!("{} → {chosen}", pair.left)
                })
                .collect();
            (lines.join("; "), Vec::new())
        }
        Kind::Description => no_answer(),
    }
}

fn correct_answer(drawn: &DrawnQuestion, language: Locale) -> Option<String> {
    match &drawn.question.kind {
        Kind::Single { choices } | Kind::Multiple { choices } => Some(
            choices
                .iter()
                .filter(|c| c.weight > 0.0)
                .map(|c| c.text.clone())
                .collect::<Vec<_>>()
                .join("; "),
        ),
        Kind::TrueFalse { answer, .. } => Some(i18n::t(
            language,
            if *answer { "quizzes.true" } else { "quizzes.false" },
        )),
        Kind::ShortAnswer { answers } => Some(
            answers
                .iter()
                .filter(|a| a.weight >= 100.0)
                .map(|a| a.text.clone())
                .collect::<Vec<_>>()
                .join("; "),
        ),
        Kind::Numerical { answers } => answers
            .iter()
            .find(|a| a.weight >= 100.0)
            .map(|a| numeric_text(&a.value)),
        Kind::Matching { pairs } => Some(
            pairs
                .iter()
                .map(|p| format!("{} → {}", p.left, p.right))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        Kind::Essay | Kind::Description => None,
    }
}

pub fn review(
    attempt: &Attempt,
    result: &AttemptResult,
    responses: &BTreeMap<String, Response>,
    comments: &BTreeMap<String, String>,
    show_answers: bool,
) -> Vec<ReviewItem> {
    let language = attempt.language;
    attempt
        .questions
        .iter()
        .enumerate()
        .map(|(index, drawn)| {
            let id = &drawn.question.id;
            let (answer, mut feedback) = describe_answer(drawn, responses.get(id), language);
            // General feedback usually explains the right answer: it follows show_answers.
            if let Some(general) = drawn.question.general_feedback.as_ref().filter(|_| show_answers) {
                feedback.push(general.clone());
            }
            if let Some(comment) = comments.get(id) {
                feedback.push(comment.clone());
            }
            let scored = result.questions.iter().find(|q| &q.id == id);
            let (score, max) = scored.map(|q| (q.score, q.max_score)).unwrap_or((0.0, 0.0));
            let pending = scored.is_some_and(|q| q.pending);
            ReviewItem {
                number: index + 1,
                html: drawn.question.html.clone(),
                kind: drawn.question.kind.name(),
                answer,
                score: format!("{} / {}", format_points(score), format_points(max)),
                pending,
                feedback,
                correct: if show_answers {
                    correct_answer(drawn, language)
                } else {
                    None
                },
                full_marks: max > 0.0 && (score - max).abs() < 1e-9,
            }
        })
        .collect()
}

/// One question on the "check your answers" page: what the learner has given so far,
/// without any feedback or score, which would tell them whether it is right.
#[derive(Debug, Clone, Serialize)]
pub struct CheckItem {
    pub number: usize,
    /// The answer page's field of the question, whose section the "change" link opens.
    pub field: String,
    /// The question's opening words, so the learner knows which one it is.
    pub excerpt: String,
    /// The answer in words; `None` when the question is not answered.
    pub answer: Option<String>,
}

/// Whether a saved response answers its question: an empty list of ticks or pairs
/// and a blank text do not.
fn answers_something(response: &Response) -> bool {
    match response {
        Response::Choices { choices } => !choices.is_empty(),
        Response::Pairs { pairs } => !pairs.is_empty(),
        Response::Text { text } => !text.trim().is_empty(),
        Response::Choice { .. } | Response::Value { .. } => true,
    }
}

/// The questions to answer (texts to read left out), numbered as the answer page
/// numbers them, with the answers saved so far.
pub fn check_items(attempt: &Attempt, responses: &BTreeMap<String, Response>) -> Vec<CheckItem> {
    attempt
        .questions
        .iter()
        .enumerate()
        .filter(|(_, drawn)| !matches!(drawn.question.kind, Kind::Description))
        .map(|(index, drawn)| {
            let id = &drawn.question.id;
            let answer = responses
                .get(id)
                .filter(|r| answers_something(r))
                .map(|r| describe_answer(drawn, Some(r), attempt.language).0);
            CheckItem {
                number: index + 1,
                field: format!("q-{id}"),
                excerpt: plain_excerpt(&drawn.question.html, EXCERPT_CHARS),
                answer,
            }
        })
        .collect()
}

/// How many characters of a question a list shows.
pub const EXCERPT_CHARS: usize = 120;

/// The first `max` characters of an HTML text as plain text, cut at a word with "…":
/// for lists that name a question (checking answers, the grading queue). Tags are
/// dropped and the entities the Markdown renderer writes are read back.
pub fn plain_excerpt(html: &str, max: usize) -> String {
    let text = crate::courses::markdown::plain_text(html);
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut excerpt = String::new();
    for word in words {
        let needed = if excerpt.is_empty() { 0 } else { 1 } + word.chars().count();
        if excerpt.chars().count() + needed > max {
            if excerpt.is_empty() {
                excerpt = word.chars().take(max).collect();
            }
            excerpt.push('…');
            return excerpt;
        }
        if !excerpt.is_empty() {
            excerpt.push(' ');
        }
        excerpt.push_str(word);
    }
    excerpt
}

#[cfg(test)]
mod tests {
    use super::plain_excerpt;

    #[test]
    fn an_excerpt_is_plain_text_cut_at_a_word() {
        assert_eq!(
            plain_excerpt("<p>Explain the <strong>chain</strong> of custody &amp; why.</p>", 200),
            "Explain the chain of custody & why."
        );
        assert_eq!(plain_excerpt("<p>one two three</p>", 9), "one two…");
        assert_eq!(plain_excerpt("<p>Supercalifragilistic</p>", 5), "Super…");
    }
}
