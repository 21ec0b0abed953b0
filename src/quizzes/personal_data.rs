//! A person's quiz attempts for their own data export, and erasing what they wrote
//! (essay answers, short answers) and what trainers wrote about it, while the scores
//! stay for the figures.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::attempts::AttemptId;
use crate::accounts::model::UserId;
use crate::db::schema::{attempt_responses, quiz_attempts};
use crate::db::DbConnection;
use crate::enrolment::RunId;
use crate::error::AppResult;
use crate::i18n::Locale;

/// One answer of an attempt, with its grade.
#[derive(Debug, Serialize)]
pub struct ResponseExport {
    pub question_id: String,
    /// The answer as given (JSON), if any.
    pub response: Option<serde_json::Value>,
    pub answered_at: Option<NaiveDateTime>,
    pub score: Option<f64>,
    pub max_score: Option<f64>,
    pub comment: Option<String>,
    pub graded_at: Option<NaiveDateTime>,
}

/// One attempt as its taker downloads it.
#[derive(Debug, Serialize)]
pub struct AttemptExport {
    pub id: AttemptId,
    pub course_id: String,
    pub quiz_id: String,
    pub run_id: Option<RunId>,
    pub language: Locale,
    pub started_at: NaiveDateTime,
    pub submitted_at: Option<NaiveDateTime>,
    pub percent: Option<f64>,
    pub passed: Option<bool>,
    pub responses: Vec<ResponseExport>,
}

type AttemptRow = (
    AttemptId,
    String,
    String,
    Option<RunId>,
    Locale,
    NaiveDateTime,
    Option<NaiveDateTime>,
    Option<f64>,
    Option<bool>,
);

type ResponseRow = (
    AttemptId,
    String,
    Option<String>,
    Option<NaiveDateTime>,
    Option<f64>,
    Option<f64>,
    Option<String>,
    Option<NaiveDateTime>,
);

/// Every attempt of `user_id` (staff previews too), oldest first, with its answers.
pub fn export_of(conn: &mut DbConnection, user_id: UserId) -> AppResult<Vec<AttemptExport>> {
    let attempts: Vec<AttemptRow> = quiz_attempts::table
        .filter(quiz_attempts::user_id.eq(user_id))
        .order(quiz_attempts::id.asc())
        .select((
            quiz_attempts::id,
            quiz_attempts::course_id,
            quiz_attempts::quiz_id,
            quiz_attempts::run_id,
            quiz_attempts::language,
            quiz_attempts::started_at,
            quiz_attempts::submitted_at,
            quiz_attempts::percent,
            quiz_attempts::passed,
        ))
        .load(conn)?;
    let ids: Vec<AttemptId> = attempts.iter().map(|a| a.0).collect();
    let mut responses: Vec<ResponseRow> = Vec::new();
    // Bounded batches keep each query within every backend's parameter limit.
    for batch in ids.chunks(500) {
        responses.extend(
            attempt_responses::table
                .filter(attempt_responses::attempt_id.eq_any(batch))
                .order((
                    attempt_responses::attempt_id.asc(),
                    attempt_responses::question_id.asc(),
                ))
                .select((
                    attempt_responses::attempt_id,
                    attempt_responses::question_id,
                    attempt_responses::response,
                    attempt_responses::answered_at,
                    attempt_responses::score,
                    attempt_responses::max_score,
                    attempt_responses::comment,
                    attempt_responses::graded_at,
                ))
                .load::<ResponseRow>(conn)?,
        );
    }
    Ok(attempts
        .into_iter()
        .map(
            |(id, course_id, quiz_id, run_id, language, started_at, submitted_at, percent, passed)| AttemptExport {
                responses: responses
                    .iter()
                    .filter(|r| r.0 == id)
                    .map(
                        |(_, question_id, response, answered_at, score, max_score, comment, graded_at)| {
                            ResponseExport {
                                question_id: question_id.clone(),
                                response: response.as_deref().and_then(|json| serde_json::from_str(json).ok()),
                                answered_at: *answered_at,
                                score: *score,
                                max_score: *max_score,
                                comment: comment.clone(),
                                graded_at: *graded_at,
                            }
                        },
                    )
                    .collect(),
                id,
                course_id,
                quiz_id,
                run_id,
                language,
                started_at,
                submitted_at,
                percent,
                passed,
            },
        )
        .collect())
}

/// Erases the answers `user_id` gave and the comments trainers wrote on them; scores
/// and dates stay, so results and item statistics keep their figures. Returns how
/// many answers were erased.
pub fn erase_free_text_of(conn: &mut DbConnection, user_id: UserId) -> AppResult<usize> {
    let theirs = quiz_attempts::table
        .filter(quiz_attempts::user_id.eq(user_id))
        .select(quiz_attempts::id);
    Ok(
        diesel::update(attempt_responses::table.filter(attempt_responses::attempt_id.eq_any(theirs)))
            .set((
                attempt_responses::response.eq(None::<String>),
                attempt_responses::comment.eq(None::<String>),
            ))
            .execute(conn)?,
    )
}
