//! Essays, which trainers grade by hand: the queue of essays waiting, one essay with
//! its answer, and the score and comment that make an attempt's result final.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;

use super::attempts::{self, Access, Attempt, AttemptId};
use super::draw::DrawnQuestion;
use super::gift::Kind;
use super::grading::Response;
use super::results::{self, AttemptResult};
use crate::accounts::model::{User, UserId};
use crate::accounts::store as user_store;
use crate::audit;
use crate::db::schema::{attempt_responses, quiz_attempts, users};
use crate::db::{self, DbConnection};
use crate::enrolment::Oversight;
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

    /// The score in per cent, as the audit log records it.
    pub fn percent(self) -> f64 {
        self.0
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

/// The grade an essay already has: changing it is a regrade, which needs a reason.
#[derive(Debug, Clone)]
pub struct ExistingGrade {
    /// In per cent of the question, 0–100.
    pub percent: f64,
    pub comment: Option<String>,
    pub grader: Option<UserId>,
    pub graded_at: NaiveDateTime,
}

/// One essay as its grader sees it.
#[derive(Debug, Clone)]
pub struct EssayToGrade {
    pub attempt: Attempt,
    pub question_html: String,
    pub answer: String,
    pub learner: String,
    pub grade: Option<ExistingGrade>,
    /// The name of whoever gave the existing grade.
    pub grader_name: Option<String>,
}

/// The stored grading state of one response.
#[derive(Queryable)]
struct GradeRecord {
    response: Option<String>,
    score: Option<f64>,
    grader_id: Option<UserId>,
    comment: Option<String>,
    graded_at: Option<NaiveDateTime>,
}

impl GradeRecord {
    fn existing_grade(&self) -> Option<ExistingGrade> {
        let graded_at = self.graded_at?;
        Some(ExistingGrade {
            // An essay is worth one point: its score is the fraction given.
            percent: self.score.unwrap_or(0.0) * 100.0,
            comment: self.comment.clone(),
            grader: self.grader_id,
            graded_at,
        })
    }
}

fn grade_record(conn: &mut DbConnection, attempt_id: AttemptId, question_id: &str) -> Result<GradeRecord, AppError> {
    attempt_responses::table
        .find((attempt_id, question_id))
        .select((
            attempt_responses::response,
            attempt_responses::score,
            attempt_responses::grader_id,
            attempt_responses::comment,
            attempt_responses::graded_at,
        ))
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)
}

/// An essay of an attempt in a run `oversight` covers; any other is `NotFound`.
pub fn essay_to_grade(
    conn: &mut DbConnection,
    oversight: &Oversight,
    attempt_id: AttemptId,
    question_id: &str,
) -> Result<EssayToGrade, AppError> {
    let attempt = attempts::find_attempt(conn, attempt_id, Access::Grader(oversight))?;
    let question_html = gradable_essay(&attempt, question_id)?.question.html.clone();
    let record = grade_record(conn, attempt_id, question_id)?;
    let answer = match record.response.as_deref().map(serde_json::from_str::<Response>) {
        Some(Ok(Response::Text { text })) => text,
        // An essay's answer is a text; an essay left empty has none.
        Some(Ok(
            Response::Choice { .. } | Response::Choices { .. } | Response::Value { .. } | Response::Pairs { .. },
        ))
        | Some(Err(_))
        | None => String::new(),
    };
    let learner = user_store::find(conn, attempt.user_id)?
        .map(|u| u.name)
        .unwrap_or_default();
    let grade = record.existing_grade();
    let grader_name = match grade.as_ref().and_then(|g| g.grader) {
        Some(grader) => user_store::find(conn, grader)?.map(|u| u.name),
        None => None,
    };
    Ok(EssayToGrade {
        attempt,
        question_html,
        answer,
        learner,
        grade,
        grader_name,
    })
}

/// A grade to give: the score, the comment for the learner, and — when the essay is
/// already graded — the reason for changing it.
pub struct GradeInput<'a> {
    pub score: EssayScore,
    pub comment: &'a str,
    pub regrade_reason: &'a str,
}

/// Longest comment and regrade reason accepted, in characters.
const COMMENT_MAX: usize = 5000;
const REASON_MAX: usize = 1000;

fn check_lengths(input: &GradeInput<'_>) -> Result<(), AppError> {
    let mut errors = FieldErrors::new();
    if input.comment.trim().chars().count() > COMMENT_MAX {
        errors.add("comment", "quizzes.essay_comment_too_long");
    }
    if input.regrade_reason.trim().chars().count() > REASON_MAX {
        errors.add("reason", "quizzes.regrade_reason_too_long");
    }
    errors.check(())
}

/// A trainer's score and comment for an essay of a run they oversee. When the last
/// essay of an attempt is graded, its result is final. Changing an existing grade is a
/// regrade: it needs a reason, and the audit log keeps the old and the new score. The
/// check and the change are one conditional update, so two graders racing for one
/// essay cannot both give a first grade: the second is asked for a reason.
pub fn grade_essay(
    conn: &mut DbConnection,
    grader: &User,
    oversight: &Oversight,
    attempt_id: AttemptId,
    question_id: &str,
    input: &GradeInput<'_>,
    now: NaiveDateTime,
) -> Result<AttemptResult, AppError> {
    check_lengths(input)?;
    let comment = Some(input.comment.trim()).filter(|c| !c.is_empty());
    let reason = input.regrade_reason.trim();
    db::write_transaction(conn, |conn| {
        let attempt = attempts::find_attempt(conn, attempt_id, Access::Grader(oversight))?;
        gradable_essay(&attempt, question_id)?;
        let previous = grade_record(conn, attempt_id, question_id)?.existing_grade();
        if previous.is_some() && reason.is_empty() {
            let mut errors = FieldErrors::new();
            errors.add("reason", "quizzes.regrade_reason_missing");
            return Err(errors.into());
        }
        let response = attempt_responses::table.find((attempt_id, question_id));
        let changes = (
            attempt_responses::score.eq(input.score.fraction()),
            attempt_responses::pending_manual.eq(false),
            attempt_responses::grader_id.eq(grader.id),
            attempt_responses::comment.eq(comment),
            attempt_responses::graded_at.eq(now),
        );
        let updated = match &previous {
            // Only if still ungraded: a grade given meanwhile makes this a regrade.
            None => diesel::update(response.filter(attempt_responses::graded_at.is_null()))
                .set(changes)
                .execute(conn)?,
            Some(_) => diesel::update(response).set(changes).execute(conn)?,
        };
        if updated == 0 {
            let mut errors = FieldErrors::new();
            errors.add("reason", "quizzes.regrade_reason_missing");
            return Err(errors.into());
        }
        let subject = format!("attempt:{}/{question_id}", attempt_id.get());
        let entry = match previous {
            None => audit::Entry {
                actor: Some(grader.id),
                action: audit::Action::EssayGraded,
                subject,
                details: json!({ "score_percent": input.score.percent(), "learner_id": attempt.user_id }),
            },
            Some(previous) => audit::Entry {
                actor: Some(grader.id),
                action: audit::Action::EssayRegraded,
                subject,
                details: json!({
                    "previous_score_percent": previous.percent,
                    "previous_grader_id": previous.grader,
                    "previous_graded_at": previous.graded_at,
                    "score_percent": input.score.percent(),
                    "reason": reason,
                    "learner_id": attempt.user_id,
                }),
            },
        };
        audit::record(conn, entry, now)?;
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

/// How many essays wait in the runs `oversight` covers, for the home pages: counted
/// in the database, starting from the attempts that wait (`quiz_attempts_pending`).
pub fn pending_essay_count(conn: &mut DbConnection, oversight: &Oversight) -> Result<i64, AppError> {
    let mut query = attempt_responses::table
        .inner_join(quiz_attempts::table)
        .filter(waiting_essays())
        .into_boxed();
    if let Oversight::Runs(runs) = oversight {
        query = query.filter(quiz_attempts::run_id.eq_any(runs.clone()));
    }
    Ok(query.count().get_result(conn)?)
}

/// An essay waits for grading: its answer and its submitted attempt both say so (the
/// attempt's flag first, which `quiz_attempts_pending` indexes).
#[allow(clippy::type_complexity)]
fn waiting_essays() -> diesel::dsl::And<
    diesel::dsl::And<
        diesel::dsl::Eq<quiz_attempts::pending_manual, bool>,
        diesel::dsl::Eq<attempt_responses::pending_manual, bool>,
    >,
    diesel::dsl::IsNotNull<quiz_attempts::submitted_at>,
> {
    quiz_attempts::pending_manual
        .eq(true)
        .and(attempt_responses::pending_manual.eq(true))
        .and(quiz_attempts::submitted_at.is_not_null())
}

/// The essays waiting in the runs `oversight` covers, longest waiting first, with
/// their learners' names.
pub fn pending_essays(conn: &mut DbConnection, oversight: &Oversight) -> Result<Vec<PendingEssay>, AppError> {
    let mut query = attempt_responses::table
        .inner_join(quiz_attempts::table)
        .inner_join(users::table.on(users::id.eq(quiz_attempts::user_id)))
        .filter(waiting_essays())
        .into_boxed();
    if let Oversight::Runs(runs) = oversight {
        query = query.filter(quiz_attempts::run_id.eq_any(runs.clone()));
    }
    let rows: Vec<(AttemptId, String, String, String, String, Option<NaiveDateTime>)> = query
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

/// The name of the learner who took an attempt in a run `oversight` covers; `None` for
/// any other attempt, as if it did not exist.
pub fn learner_of(
    conn: &mut DbConnection,
    oversight: &Oversight,
    attempt_id: AttemptId,
) -> Result<Option<String>, AppError> {
    let attempt = match attempts::find_attempt(conn, attempt_id, Access::Grader(oversight)) {
        Ok(attempt) => attempt,
        Err(AppError::NotFound) => return Ok(None),
        Err(error) => return Err(error),
    };
    Ok(user_store::find(conn, attempt.user_id)?.map(|u| u.name))
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
