//! A submitted attempt's result: per-question scores as stored, the totals written
//! once grading is done, and whether its correct answers may be shown.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::attempts::Attempt;
use super::format::ShowAnswers;
use super::grading;
use crate::courses::store as course_store;
use crate::db::schema::{attempt_responses, quiz_attempts};
use crate::db::DbConnection;
use crate::error::AppError;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct QuestionScore {
    pub id: String,
    pub score: f64,
    pub max_score: f64,
    /// An essay not graded yet.
    #[serde(skip_serializing)]
    pub pending: bool,
}

/// The result of a submitted attempt (the API's contract).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AttemptResult {
    pub score: f64,
    pub max_score: f64,
    pub percent: f64,
    pub passed: bool,
    pub pending_manual: bool,
    pub questions: Vec<QuestionScore>,
}

fn round(value: f64) -> f64 {
    (value * 10_000.0).round() / 10_000.0
}

/// Reads a submitted attempt's result as stored.
pub fn stored_result(conn: &mut DbConnection, attempt: &Attempt) -> Result<AttemptResult, AppError> {
    let rows: Vec<(String, Option<f64>, Option<f64>, bool)> = attempt_responses::table
        .filter(attempt_responses::attempt_id.eq(attempt.id))
        .select((
            attempt_responses::question_id,
            attempt_responses::score,
            attempt_responses::max_score,
            attempt_responses::pending_manual,
        ))
        .load(conn)?;
    let questions: Vec<QuestionScore> = attempt
        .questions
        .iter()
        .map(|drawn| {
            let row = rows.iter().find(|r| r.0 == drawn.question.id);
            QuestionScore {
                id: drawn.question.id.clone(),
                score: round(row.and_then(|r| r.1).unwrap_or(0.0)),
                max_score: row
                    .and_then(|r| r.2)
                    .unwrap_or_else(|| grading::grade(&drawn.question, None).max_score),
                pending: row.is_some_and(|r| r.3),
            }
        })
        .collect();
    let score: f64 = questions.iter().map(|q| q.score).sum();
    let max_score: f64 = questions.iter().map(|q| q.max_score).sum();
    let percent = if max_score > 0.0 {
        score / max_score * 100.0
    } else {
        0.0
    };
    Ok(AttemptResult {
        score: round(score),
        max_score: round(max_score),
        percent: round(percent),
        passed: percent + 1e-9 >= attempt.settings.pass_mark,
        pending_manual: rows.iter().any(|r| r.3),
        questions,
    })
}

/// Writes the attempt's totals from its per-question scores, and counts a pass toward
/// the module the quiz follows.
pub(super) fn store_totals(
    conn: &mut DbConnection,
    attempt: &Attempt,
    now: NaiveDateTime,
) -> Result<AttemptResult, AppError> {
    let result = stored_result(conn, attempt)?;
    diesel::update(quiz_attempts::table.find(attempt.id))
        .set((
            quiz_attempts::score.eq(result.score),
            quiz_attempts::max_score.eq(result.max_score),
            quiz_attempts::percent.eq(result.percent),
            quiz_attempts::passed.eq(result.passed),
            quiz_attempts::pending_manual.eq(result.pending_manual),
        ))
        .execute(conn)?;
    if result.passed {
        if let Some(module) = &attempt.settings.after_module {
            course_store::mark_complete(conn, attempt.user_id, &attempt.course_id, module, now)?;
        }
        crate::certificates::refresh(conn, attempt.user_id, &attempt.course_id, now)?;
    }
    Ok(result)
}

/// Whether the correct answers may be shown for this attempt now.
pub fn answers_visible(conn: &mut DbConnection, attempt: &Attempt) -> Result<bool, AppError> {
    if attempt.is_open() {
        return Ok(false);
    }
    Ok(match attempt.settings.show_answers {
        ShowAnswers::Never => false,
        ShowAnswers::AfterSubmit => true,
        ShowAnswers::AfterLastAttempt => {
            attempt.is_preview
                || (attempt.settings.attempts > 0 && {
                    let used: i64 = quiz_attempts::table
                        .filter(quiz_attempts::user_id.eq(attempt.user_id))
                        .filter(quiz_attempts::course_id.eq(&attempt.course_id))
                        .filter(quiz_attempts::quiz_id.eq(&attempt.quiz_id))
                        .filter(quiz_attempts::is_preview.eq(false))
                        .filter(quiz_attempts::submitted_at.is_not_null())
                        .count()
                        .get_result(conn)?;
                    used >= i64::from(attempt.settings.attempts)
                })
        }
    })
}
