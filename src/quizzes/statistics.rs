//! Item statistics for trainers: per quiz and per language, how many attempts, the
//! mean score, and per question the share answered correctly and a discrimination
//! index (the share correct among the best 27 % of attempts minus among the weakest
//! 27 %). A question that strong learners miss, or that works in one language and not
//! another, stands out.

use std::collections::BTreeMap;

use diesel::prelude::*;
use serde::Serialize;

use super::attempts::AttemptId;
use crate::db::schema::{attempt_responses, quiz_attempts};
use crate::db::DbConnection;
use crate::enrolment::Oversight;
use crate::error::AppError;
use crate::i18n::{self, Locale};

#[derive(Debug, Clone)]
struct AttemptScores {
    percent: f64,
    /// Question id → whether it earned full marks.
    correct: BTreeMap<String, bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuestionStats {
    pub id: String,
    pub answered: usize,
    /// Share of attempts with full marks on this question, 0–1.
    pub correct_share: f64,
    /// Discrimination index, −1 to 1; `None` with fewer than 4 attempts.
    pub discrimination: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupStats {
    /// The language of the attempts counted, or `None` for all of them.
    pub language: Option<Locale>,
    pub attempts: usize,
    pub mean_percent: f64,
    pub questions: Vec<QuestionStats>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuizStatistics {
    pub overall: GroupStats,
    pub by_language: Vec<GroupStats>,
}

// Counts are far below 2^52; conversions to f64 are exact.
#[allow(clippy::cast_precision_loss)]
fn share(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

fn group(language: Option<Locale>, attempts: &[&AttemptScores], question_ids: &[String]) -> GroupStats {
    let mut ranked: Vec<&AttemptScores> = attempts.to_vec();
    ranked.sort_by(|a, b| b.percent.total_cmp(&a.percent));
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )]
    let tail = ((ranked.len() as f64) * 0.27).round().max(1.0) as usize;
    let top = ranked.get(..tail.min(ranked.len())).unwrap_or_default();
    let bottom = ranked.get(ranked.len().saturating_sub(tail)..).unwrap_or_default();
    let rate = |set: &[&AttemptScores], id: &str| {
        let drew: Vec<bool> = set.iter().filter_map(|a| a.correct.get(id).copied()).collect();
        share(drew.iter().filter(|c| **c).count(), drew.len())
    };
    let questions = question_ids
        .iter()
        .map(|id| {
            let answered = ranked.iter().filter(|a| a.correct.contains_key(id)).count();
            let correct = ranked.iter().filter(|a| a.correct.get(id) == Some(&true)).count();
            QuestionStats {
                id: id.clone(),
                answered,
                correct_share: share(correct, answered),
                discrimination: (ranked.len() >= 4).then(|| rate(top, id) - rate(bottom, id)),
            }
        })
        .collect();
    #[allow(clippy::cast_precision_loss)]
    let mean = if ranked.is_empty() {
        0.0
    } else {
        ranked.iter().map(|a| a.percent).sum::<f64>() / ranked.len() as f64
    };
    GroupStats {
        language,
        attempts: ranked.len(),
        mean_percent: mean,
        questions,
    }
}

/// Statistics over the submitted attempts of a quiz in the runs `oversight` covers
/// (previews left out).
pub fn for_quiz(
    conn: &mut DbConnection,
    course_id: &str,
    quiz_id: &str,
    oversight: &Oversight,
) -> Result<QuizStatistics, AppError> {
    let mut query = quiz_attempts::table
        .filter(quiz_attempts::course_id.eq(course_id))
        .filter(quiz_attempts::quiz_id.eq(quiz_id))
        .filter(quiz_attempts::submitted_at.is_not_null())
        .filter(quiz_attempts::is_preview.eq(false))
        .into_boxed();
    if let Oversight::Runs(runs) = oversight {
        query = query.filter(quiz_attempts::run_id.eq_any(runs.clone()));
    }
    let attempts: Vec<(AttemptId, Locale, Option<f64>)> = query
        .select((quiz_attempts::id, quiz_attempts::language, quiz_attempts::percent))
        .load(conn)?;
    let ids: Vec<AttemptId> = attempts.iter().map(|a| a.0).collect();
    let mut rows: Vec<(AttemptId, String, Option<f64>, Option<f64>)> = Vec::new();
    // Bounded batches keep each query within every backend's parameter limit.
    for batch in ids.chunks(500) {
        rows.extend(
            attempt_responses::table
                .filter(attempt_responses::attempt_id.eq_any(batch))
                .select((
                    attempt_responses::attempt_id,
                    attempt_responses::question_id,
                    attempt_responses::score,
                    attempt_responses::max_score,
                ))
                .load::<(AttemptId, String, Option<f64>, Option<f64>)>(conn)?,
        );
    }
    let mut scores: BTreeMap<AttemptId, AttemptScores> = attempts
        .iter()
        .map(|(id, _, percent)| {
            (
                *id,
                AttemptScores {
                    percent: percent.unwrap_or(0.0),
                    correct: BTreeMap::new(),
                },
            )
        })
        .collect();
    let mut question_ids: Vec<String> = Vec::new();
    for (attempt_id, question_id, score, max) in rows {
        let max = max.unwrap_or(0.0);
        if max <= 0.0 {
            continue;
        }
        if !question_ids.contains(&question_id) {
            question_ids.push(question_id.clone());
        }
        if let Some(entry) = scores.get_mut(&attempt_id) {
            entry.correct.insert(question_id, score.unwrap_or(0.0) >= max - 1e-9);
        }
    }
    let all: Vec<&AttemptScores> = scores.values().collect();
    let mut languages: Vec<Locale> = attempts.iter().map(|a| a.1).collect();
    // In the order of their codes, as the page has always listed them.
    languages.sort_by_key(|language| language.code());
    languages.dedup();
    let by_language = languages
        .iter()
        .map(|language| {
            let members: Vec<&AttemptScores> = attempts
                .iter()
                .filter(|a| a.1 == *language)
                .filter_map(|a| scores.get(&a.0))
                .collect();
            group(Some(*language), &members, &question_ids)
        })
        .collect();
    Ok(QuizStatistics {
        overall: group(None, &all, &question_ids),
        by_language,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct QuestionRow {
    pub id: String,
    pub answered: usize,
    pub correct: String,
    pub discrimination: String,
    pub flag: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct GroupView {
    pub name: String,
    pub attempts: usize,
    pub mean: String,
    pub questions: Vec<QuestionRow>,
}

impl GroupStats {
    fn view(&self, locale: Locale) -> GroupView {
        let name = match self.language {
            Some(language) => language.native_name().to_owned(),
            None => i18n::t(locale, "quizzes.all_languages"),
        };
        GroupView {
            name,
            attempts: self.attempts,
            mean: format!("{:.0} %", self.mean_percent),
            questions: self
                .questions
                .iter()
                .map(|q| QuestionRow {
                    id: q.id.clone(),
                    answered: q.answered,
                    correct: format!("{:.0} %", q.correct_share * 100.0),
                    discrimination: q
                        .discrimination
                        .map(|d| format!("{d:.2}"))
                        .unwrap_or_else(|| "—".into()),
                    // Items most learners miss, or that weak learners answer better
                    // than strong ones, deserve a look.
                    flag: q.correct_share < 0.2 || q.discrimination.is_some_and(|d| d < 0.1),
                })
                .collect(),
        }
    }
}

impl QuizStatistics {
    pub fn view(&self, locale: Locale) -> Vec<GroupView> {
        std::iter::once(&self.overall)
            .chain(self.by_language.iter())
            .map(|g| g.view(locale))
            .collect()
    }
}
