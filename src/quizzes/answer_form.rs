//! The answer page's form, which works without JavaScript: each question's fields
//! filled with what the learner has given so far, and the posted fields read back
//! into responses.

use std::collections::BTreeMap;

use serde::Serialize;

use super::attempts::Attempt;
use super::gift::Kind;
use super::grading::{self, Response};
use super::views;
use crate::validation::FieldErrors;

/// A question on the answer page, with what the learner has given so far.
#[derive(Serialize)]
pub struct FormQuestion {
    number: usize,
    view: views::QuestionView,
    html: String,
    field: String,
    chosen: Vec<String>,
    text: String,
    pairs: BTreeMap<String, String>,
}

/// The form field of a question; matching questions add `--<left id>` per pair.
fn field_name(question_id: &str) -> String {
    format!("q-{question_id}")
}

/// The posted fields that hold answers, to show what was typed again.
pub fn typed_fields(pairs: Vec<(String, String)>) -> BTreeMap<String, String> {
    pairs.into_iter().filter(|(k, _)| k.starts_with("q-")).collect()
}

/// Every question of the attempt as the form shows it: the saved responses in the ids
/// the learner saw, and where the form was refused, the texts as they were typed.
pub fn form_questions(
    attempt: &Attempt,
    given: &BTreeMap<String, Response>,
    typed: &BTreeMap<String, String>,
) -> Vec<FormQuestion> {
    views::questions_view(attempt)
        .into_iter()
        .zip(attempt.questions.iter())
        .enumerate()
        .map(|(index, (view, drawn))| {
            let field = field_name(&view.id);
            let shown = given.get(&view.id).map(|r| drawn.shown(r));
            let (chosen, text, pairs) = match shown.as_ref() {
                Some(Response::Choice { choice }) => (vec![choice.clone()], String::new(), BTreeMap::new()),
                Some(Response::Choices { choices }) => (choices.clone(), String::new(), BTreeMap::new()),
                Some(Response::Text { text }) => (Vec::new(), text.clone(), BTreeMap::new()),
                Some(Response::Value { value }) => (Vec::new(), value.to_string(), BTreeMap::new()),
                Some(Response::Pairs { pairs }) => (Vec::new(), String::new(), pairs.clone()),
                None => (Vec::new(), String::new(), BTreeMap::new()),
            };
            let text = typed.get(&field).cloned().unwrap_or(text);
            FormQuestion {
                number: index + 1,
                html: view.html.clone(),
                view,
                field,
                chosen,
                text,
                pairs,
            }
        })
        .collect()
}

/// What a posted answer form says.
pub struct PostedAnswers {
    /// Per question answered or emptied on the form: its response, or `None` to
    /// remove the saved one.
    pub responses: Vec<(String, Option<Response>)>,
    /// The fields that could not be read (a number that is not one).
    pub errors: FieldErrors,
}

/// Reads the answer form: every question's field into a response, or an error for
/// the field. Absent radio buttons leave earlier answers as they are.
pub fn read_answers(attempt: &Attempt, pairs: &[(String, String)]) -> PostedAnswers {
    let mut errors = FieldErrors::new();
    let mut responses = Vec::new();
    let values = |name: &str| -> Vec<&str> {
        pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    };
    for (index, drawn) in attempt.questions.iter().enumerate() {
        let id = drawn.question.id.clone();
        let field = field_name(&id);
        let given = values(&field);
        let first = given.first().map(|v| v.trim()).unwrap_or_default();
        let response = match &drawn.question.kind {
            Kind::Single { .. } | Kind::TrueFalse { .. } => {
                if first.is_empty() {
                    continue;
                }
                Some(Response::Choice {
                    choice: first.to_owned(),
                })
            }
            Kind::Multiple { .. } => {
                // Unticking every box sends nothing; the hidden field tells that apart
                // from a question the form did not show.
                if values(&format!("{field}-shown")).is_empty() {
                    continue;
                }
                Some(Response::Choices {
                    choices: given.iter().map(|v| v.to_string()).collect(),
                })
            }
            Kind::ShortAnswer { .. } | Kind::Essay => {
                if given.is_empty() {
                    continue;
                }
                Some(first.to_owned())
                    .filter(|t| !t.is_empty())
                    .map(|text| Response::Text { text })
            }
            Kind::Numerical { .. } => {
                if given.is_empty() {
                    continue;
                }
                if first.is_empty() {
                    None
                } else {
                    match first.replace(',', ".").replace([' ', '\u{a0}'], "").parse::<f64>() {
                        Ok(value) if value.is_finite() => Some(Response::Value { value }),
                        _ => {
                            // Named by its number as the page shows it: the summary
                            // at the top lists errors far from their questions.
                            errors.add_named_with(
                                field.clone(),
                                "quiz_pages.number_invalid",
                                vec![("number", (index + 1).to_string())],
                            );
                            continue;
                        }
                    }
                }
            }
            Kind::Matching { pairs: question_pairs } => {
                let mut chosen = BTreeMap::new();
                for index in 0..question_pairs.len() {
                    let left = grading::left_id(index);
                    if let Some(right) = values(&format!("{field}--{left}")).first().filter(|v| !v.is_empty()) {
                        chosen.insert(left, right.to_string());
                    }
                }
                if chosen.is_empty() {
                    continue;
                }
                Some(Response::Pairs { pairs: chosen })
            }
            Kind::Description => continue,
        };
        responses.push((id, response));
    }
    PostedAnswers { responses, errors }
}
