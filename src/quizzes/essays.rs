//! Essays, which trainers grade by hand: the queue of essays waiting, one essay with
//! its answer, and the score and comment that make an attempt's result final.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::attempts::{self, Access, Attempt, AttemptId};
use super::draw::DrawnQuestion;
use super::gift::Kind;
use super::grading::Response;
use super::results::{self, AttemptResult};
use crate::accounts::model::User;
use crate::accounts::store as user_store;
use crate::db::schema::{attempt_responses, quiz_attempts, users};
use crate::db::{self, DbConnection};
use crate::error::AppError;
use crate::validation::FieldErrors;

/// A trainer's score for an essay, in per cent of the question: from 0 to 100.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EssayScore(f64);

impl EssayScore {
    /// A score from 0 to 100; anything else (also NaN) is none.
    pub fn new(percent: f64) -> Option<EssayScore> {
        (0.0..=100.0).contains(&percent).then_some(EssayScore(percent))
    }

    /// Reads the form's `score` field, with a decimal comma or point; a text that is
    /// not a score names the field.
    pub fn parse(text: &str) -> Result<EssayScore, AppError> {
        let score = text
            .trim()
            .replace(',', ".")
            .parse::<f64>()
            .ok()
            .and_then(EssayScore::new);
        score.ok_or_else(|| {
            let mut errors = FieldErrors::new();
            errors.add("score", "quizzes.essay_score_invalid");
            AppError::Invalid(errors)
        })
    }

    /// The share of the question's point the score gives, 0–1.
    fn fraction(self) -> f64 {
        self.0 / 100.0
    }
}

/// The essay question of a submitted attempt; any other question, or an attempt still
/// under way, has no essay to grade and is `NotFound`.
fn gradable_essay<'a>(attempt: &'a Attempt, question_id: &str) -> Result<&'a DrawnQuestion, AppError> {
    let drawn = attempt.question(question_id).ok_or(AppError::NotFound)?;
    if !matches!(drawn.question.kind, Kind::Essay) || attempt.is_open() {
        return Err(AppError::NotFound);
    }
    Ok(drawn)
}

/// One essay as its grader sees it.
#[derive(Debug, Clone)]
pub struct EssayToGrade {
    pub attempt: Attempt,
    pub question_html: String,
    pub answer: String,
    pub learner: String,
}

pub fn essay_to_grade(
    conn: &mut DbConnection,
    attempt_id: AttemptId,
    question_id: &str,
) -> Result<EssayToGrade, AppError> {
    let attempt = attempts::find_attempt(conn, attempt_id, Access::Grader)?;
    let question_html = gradable_essay(&attempt, question_id)?.question.html.clone();
    let answer = match attempts::responses(conn, attempt_id)?.remove(question_id) {
        Some(Response::Text { text }) => text,
        // An essay's answer is a text; an essay left empty has none.
        Some(Response::Choice { .. } | Response::Choices { .. } | Response::Value { .. } | Response::Pairs { .. })
        | None => String::new(),
    };
    let learner = user_store::find(conn, attempt.user_id)?
        .map(|u| u.name)
        .unwrap_or_default();
    Ok(EssayToGrade {
        attempt,
        question_html,
        answer,
        learner,
    })
}

/// A trainer's score and comment for an essay. When the last essay of an attempt is
/// graded, its result is final.
pub fn grade_essay(
    conn: &mut DbConnection,
    grader: &User,
    attempt_id: AttemptId,
    question_id: &str,
    score: EssayScore,
    comment: &str,
    now: NaiveDateTime,
) -> Result<AttemptResult, AppError> {
    db::write_transaction(conn, |conn| {
        let attempt = attempts::find_attempt(conn, attempt_id, Access::Grader)?;
        gradable_essay(&attempt, question_id)?;
        let updated = diesel::update(attempt_responses::table.find((attempt_id, question_id)))
            .set((
                attempt_responses::score.eq(score.fraction()),
                attempt_responses::pending_manual.eq(false),
                attempt_responses::grader_id.eq(grader.id),
                attempt_responses::comment.eq(Some(comment.trim()).filter(|c| !c.is_empty())),
                attempt_responses::graded_at.eq(now),
            ))
            .execute(conn)?;
        if updated == 0 {
            return Err(AppError::NotFound);
        }
        results::store_totals(conn, &attempt, now)
    })
}

/// An essay waiting for a trainer.
#[derive(Debug, Clone, Serialize)]
pub struct PendingEssay {
    pub attempt_id: AttemptId,
    pub question_id: String,
    pub course_id: String,
    pub quiz_id: String,
    pub learner: String,
    pub submitted_at: NaiveDateTime,
}

/// Every essay waiting for a trainer, longest waiting first, with its learner's name.
pub fn pending_essays(conn: &mut DbConnection) -> Result<Vec<PendingEssay>, AppError> {
    let rows: Vec<(AttemptId, String, String, String, String, Option<NaiveDateTime>)> = attempt_responses::table
        .inner_join(quiz_attempts::table)
        .inner_join(users::table.on(users::id.eq(quiz_attempts::user_id)))
        .filter(attempt_responses::pending_manual.eq(true))
        .filter(quiz_attempts::submitted_at.is_not_null())
        .order(quiz_attempts::submitted_at.asc())
        .select((
            attempt_responses::attempt_id,
            attempt_responses::question_id,
            quiz_attempts::course_id,
            quiz_attempts::quiz_id,
            users::name,
            quiz_attempts::submitted_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(attempt_id, question_id, course_id, quiz_id, learner, submitted_at)| {
            Some(PendingEssay {
                attempt_id,
                question_id,
                course_id,
                quiz_id,
                learner,
                submitted_at: submitted_at?,
            })
        })
        .collect())
}

/// A trainer's comment on each graded essay, by question id, for the review page.
pub fn essay_feedback(conn: &mut DbConnection, attempt_id: AttemptId) -> Result<BTreeMap<String, String>, AppError> {
    let rows: Vec<(String, Option<String>)> = attempt_responses::table
        .filter(attempt_responses::attempt_id.eq(attempt_id))
        .filter(attempt_responses::comment.is_not_null())
        .select((attempt_responses::question_id, attempt_responses::comment))
        .load(conn)?;
    Ok(rows.into_iter().filter_map(|(id, c)| c.map(|c| (id, c))).collect())
}
