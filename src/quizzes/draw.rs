//! Drawing the questions of a new attempt, and the random ids its options are shown
//! with, so that nothing the browser sees before submission gives an answer away.

use std::collections::BTreeMap;

use rand::seq::SliceRandom;
use rand::Rng;
use serde::{Deserialize, Serialize};

use super::format::QuizToml;
use super::gift::{Kind, Question};
use super::grading::{self, Response};

/// A question as drawn for one attempt, with the order its options are shown in.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DrawnQuestion {
    pub question: Question,
    /// Display order of choice options (indices into the question's options).
    #[serde(default)]
    pub order: Vec<usize>,
    /// Display order of the right-hand side of matching pairs.
    #[serde(default)]
    pub right_order: Vec<usize>,
    /// The ids learners see for the options (choice questions) or the right-hand
    /// answers (matching), random per attempt: ids that follow the file's order would
    /// give away the answer written first, or which answer belongs to which pair.
    #[serde(default)]
    pub shown_ids: Vec<String>,
}

/// Which list of a question an id in a response names.
#[derive(Debug, Clone, Copy)]
enum Listed {
    /// The options of a choice question (`"1"`, `"2"` … in the question's own ids).
    Option,
    /// The right-hand answers of a matching question (`"r1"`, `"r2"` …).
    RightAnswer,
}

impl Listed {
    fn canonical_id(self, index: usize) -> String {
        match self {
            Listed::Option => grading::option_id(index),
            Listed::RightAnswer => grading::right_id(index),
        }
    }

    fn index_of_canonical(self, id: &str) -> Option<usize> {
        let number = match self {
            Listed::Option => Some(id),
            Listed::RightAnswer => id.strip_prefix('r'),
        }?;
        number.parse::<usize>().ok()?.checked_sub(1)
    }
}

impl DrawnQuestion {
    /// The id shown for the option or right-hand answer at `index` of the file.
    pub fn shown_id(&self, index: usize) -> Option<&str> {
        self.shown_ids.get(index).map(String::as_str)
    }

    fn index_of_shown(&self, shown: &str) -> Option<usize> {
        self.shown_ids.iter().position(|id| id == shown.trim())
    }

    /// A response with the ids the learner saw turned into the question's own
    /// (`"1"`, `"r2"` …); `None` when it names an id this attempt never showed, or has
    /// the shape of another question type.
    pub fn canonical(&self, response: &Response) -> Option<Response> {
        self.with_ids_translated(response, |shown, listed| {
            self.index_of_shown(shown).map(|index| listed.canonical_id(index))
        })
    }

    /// The ids the learner saw, for a stored response (to show it again).
    pub fn shown(&self, response: &Response) -> Response {
        self.with_ids_translated(response, |canonical, listed| {
            let shown = listed
                .index_of_canonical(canonical)
                .and_then(|index| self.shown_id(index))
                .unwrap_or(canonical);
            Some(shown.to_owned())
        })
        .unwrap_or_else(|| response.clone())
    }

    /// The response with every id that names an option or a right-hand answer passed
    /// through `translate`; the other question types' responses carry no such ids.
    fn with_ids_translated(
        &self,
        response: &Response,
        translate: impl Fn(&str, Listed) -> Option<String>,
    ) -> Option<Response> {
        match &self.question.kind {
            Kind::Single { .. } => {
                let Response::Choice { choice } = response else {
                    return None;
                };
                Some(Response::Choice {
                    choice: translate(choice, Listed::Option)?,
                })
            }
            Kind::Multiple { .. } => {
                let Response::Choices { choices } = response else {
                    return None;
                };
                Some(Response::Choices {
                    choices: choices
                        .iter()
                        .map(|choice| translate(choice, Listed::Option))
                        .collect::<Option<Vec<_>>>()?,
                })
            }
            Kind::Matching { .. } => {
                let Response::Pairs { pairs } = response else {
                    return None;
                };
                Some(Response::Pairs {
                    pairs: pairs
                        .iter()
                        .map(|(left, right)| Some((left.clone(), translate(right, Listed::RightAnswer)?)))
                        .collect::<Option<BTreeMap<_, _>>>()?,
                })
            }
            // Their answers are the same for every attempt ("true", a text, a number),
            // so they need no hiding; a description's answer is refused by its shape check.
            Kind::TrueFalse { .. }
            | Kind::ShortAnswer { .. }
            | Kind::Numerical { .. }
            | Kind::Essay
            | Kind::Description => Some(response.clone()),
        }
    }
}

/// Short random ids, distinct within one question.
fn random_ids(count: usize) -> Vec<String> {
    let mut rng = rand::thread_rng();
    let mut ids: Vec<String> = Vec::with_capacity(count);
    while ids.len() < count {
        // A letter first, so an id is never mistaken for a number.
        let id = format!("o{:06x}", rng.gen_range(0..0x100_0000));
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

fn shuffled(count: usize, shuffle: bool) -> Vec<usize> {
    let mut order: Vec<usize> = (0..count).collect();
    if shuffle {
        order.shuffle(&mut rand::thread_rng());
    }
    order
}

/// Draws the questions of a new attempt: `pick` at random (in the file's order) or
/// all, with options shuffled where the quiz says so. Matching answers are always
/// shuffled, or their order would give the pairs away.
pub fn draw(questions: Vec<Question>, settings: &QuizToml) -> Vec<DrawnQuestion> {
    let pick = usize::try_from(settings.pick).unwrap_or(usize::MAX);
    let chosen: Vec<Question> = if pick == 0 {
        questions
    } else {
        let mut candidates: Vec<usize> = questions
            .iter()
            .enumerate()
            .filter(|(_, q)| !matches!(q.kind, Kind::Description))
            .map(|(i, _)| i)
            .collect();
        candidates.shuffle(&mut rand::thread_rng());
        candidates.truncate(pick);
        candidates.sort_unstable();
        candidates
            .into_iter()
            .filter_map(|i| questions.get(i).cloned())
            .collect()
    };
    chosen
        .into_iter()
        .map(|question| {
            let (order, right_order, shown_ids) = match &question.kind {
                Kind::Single { choices } | Kind::Multiple { choices } => (
                    shuffled(choices.len(), settings.shuffle_answers),
                    Vec::new(),
                    random_ids(choices.len()),
                ),
                Kind::Matching { pairs } => (Vec::new(), shuffled(pairs.len(), true), random_ids(pairs.len())),
                Kind::TrueFalse { .. }
                | Kind::ShortAnswer { .. }
                | Kind::Numerical { .. }
                | Kind::Essay
                | Kind::Description => (Vec::new(), Vec::new(), Vec::new()),
            };
            DrawnQuestion {
                question,
                order,
                right_order,
                shown_ids,
            }
        })
        .collect()
}
