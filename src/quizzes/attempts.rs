//! Attempts: started with a snapshot of the drawn questions, every response saved as
//! it is given, the time limit enforced on the server, graded exactly once.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::draw::{self, DrawnQuestion};
use super::format::ShowAnswers;
use super::grading::{self, Grade, Response};
use super::results::{self, AttemptResult};
use super::store::{self, Quiz};
use crate::accounts::model::{Role, User, UserId};
use crate::db::locks::{self, Lock};
use crate::db::schema::{attempt_responses, quiz_attempts};
use crate::db::{self, DbConnection};
use crate::enrolment::{Oversight, RunId};
use crate::error::AppError;
use crate::i18n::{self, Locale};

crate::id_type!(
    /// One learner's attempt at one quiz.
    AttemptId
);

/// The quiz settings an attempt keeps, so a later import cannot change its rules.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AttemptSettings {
    pub pass_mark: f64,
    pub show_answers: ShowAnswers,
    pub attempts: u32,
    pub after_module: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Attempt {
    pub id: AttemptId,
    pub user_id: UserId,
    pub course_id: String,
    pub quiz_id: String,
    pub language: Locale,
    pub is_preview: bool,
    pub questions: Vec<DrawnQuestion>,
    pub settings: AttemptSettings,
    pub started_at: NaiveDateTime,
    pub deadline: Option<NaiveDateTime>,
    pub submitted_at: Option<NaiveDateTime>,
    pub percent: Option<f64>,
    pub passed: Option<bool>,
    pub pending_manual: bool,
    /// The run the attempt counts towards; `None` for a course studied without a run.
    pub run_id: Option<RunId>,
}

/// An attempt as stored; the drawn questions and settings are JSON.
#[derive(Queryable, Selectable)]
#[diesel(table_name = quiz_attempts)]
struct AttemptRecord {
    id: AttemptId,
    user_id: UserId,
    course_id: String,
    quiz_id: String,
    language: Locale,
    is_preview: bool,
    questions: String,
    settings: String,
    started_at: NaiveDateTime,
    deadline: Option<NaiveDateTime>,
    submitted_at: Option<NaiveDateTime>,
    percent: Option<f64>,
    passed: Option<bool>,
    pending_manual: bool,
    run_id: Option<RunId>,
}

fn attempt_from(row: AttemptRecord) -> Result<Attempt, AppError> {
    let AttemptRecord {
        id,
        user_id,
        course_id,
        quiz_id,
        language,
        is_preview,
        questions,
        settings,
        started_at,
        deadline,
        submitted_at,
        percent,
        passed,
        pending_manual,
        run_id,
    } = row;
    Ok(Attempt {
        id,
        user_id,
        course_id,
        quiz_id,
        language,
        is_preview,
        questions: serde_json::from_str(&questions).map_err(AppError::internal)?,
        settings: serde_json::from_str(&settings).map_err(AppError::internal)?,
        started_at,
        deadline,
        submitted_at,
        percent,
        passed,
        pending_manual,
        run_id,
    })
}

/// Who looks an attempt up, which decides the attempts they may see. An attempt they
/// may not see is `NotFound`, as if it did not exist.
#[derive(Debug, Clone, Copy)]
pub enum Access<'a> {
    /// The learner who took it.
    Owner(UserId),
    /// Staff grading essays: only attempts in the runs they oversee.
    Grader(&'a Oversight),
}

pub fn find_attempt(conn: &mut DbConnection, attempt_id: AttemptId, access: Access<'_>) -> Result<Attempt, AppError> {
    let mut query = quiz_attempts::table
        .find(attempt_id)
        .select(AttemptRecord::as_select())
        .into_boxed();
    if let Access::Owner(user_id) = access {
        query = query.filter(quiz_attempts::user_id.eq(user_id));
    }
    let row = query.first(conn).optional()?.ok_or(AppError::NotFound)?;
    if let Access::Grader(oversight) = access {
        if !oversight.covers(row.run_id) {
            return Err(AppError::NotFound);
        }
    }
    attempt_from(row)
}

pub fn attempts_of(
    conn: &mut DbConnection,
    user_id: UserId,
    course_id: &str,
    quiz_id: &str,
) -> Result<Vec<Attempt>, AppError> {
    let rows: Vec<AttemptRecord> = quiz_attempts::table
        .filter(quiz_attempts::user_id.eq(user_id))
        .filter(quiz_attempts::course_id.eq(course_id))
        .filter(quiz_attempts::quiz_id.eq(quiz_id))
        .order(quiz_attempts::id.asc())
        .select(AttemptRecord::as_select())
        .load(conn)?;
    rows.into_iter().map(attempt_from).collect()
}

impl Attempt {
    pub fn is_open(&self) -> bool {
        self.submitted_at.is_none()
    }

    pub fn is_expired(&self, now: NaiveDateTime) -> bool {
        self.deadline.is_some_and(|deadline| now >= deadline)
    }

    pub fn question(&self, id: &str) -> Option<&DrawnQuestion> {
        self.questions.iter().find(|q| q.question.id == id)
    }
}

/// Where a user stands with one quiz's attempt limit.
#[derive(Debug, Clone, Copy)]
pub struct AttemptsSoFar {
    /// Attempts that count toward the limit: every one but previews, submitted or not.
    pub counted: usize,
    /// Whether an attempt is under way and within its time.
    pub has_open: bool,
}

impl AttemptsSoFar {
    /// Counts a user's attempts at one quiz, after expired ones have been closed.
    pub fn of(attempts: &[Attempt]) -> Self {
        AttemptsSoFar {
            counted: attempts.iter().filter(|a| !a.is_preview).count(),
            has_open: attempts.iter().any(Attempt::is_open),
        }
    }
}

/// Whether a user may start an attempt, or go back to the one under way. Staff always
/// may: their attempts are previews and unlimited. A learner may while the quiz's
/// limit (0: none) is not used up. The start page and [`start`] both ask here.
pub fn may_start(role: Role, allowed: u32, so_far: AttemptsSoFar) -> bool {
    let limit = usize::try_from(allowed).unwrap_or(usize::MAX);
    role.is_staff() || so_far.has_open || allowed == 0 || so_far.counted < limit
}

/// Serialises a user's attempt starts until the transaction ends, so the attempt limit holds.
fn lock_attempt_start(conn: &mut DbConnection, user_id: UserId) -> Result<(), AppError> {
    Ok(locks::for_transaction(conn, Lock::AttemptStart(user_id.get()))?)
}

fn counted_attempts(conn: &mut DbConnection, user_id: UserId, quiz: &Quiz) -> Result<usize, AppError> {
    let count: i64 = quiz_attempts::table
        .filter(quiz_attempts::user_id.eq(user_id))
        .filter(quiz_attempts::course_id.eq(&quiz.course_id))
        .filter(quiz_attempts::quiz_id.eq(&quiz.id))
        .filter(quiz_attempts::is_preview.eq(false))
        .count()
        .get_result(conn)?;
    Ok(usize::try_from(count).unwrap_or(usize::MAX))
}

/// What starting an attempt did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Started {
    /// A new attempt was started.
    New(AttemptId),
    /// The user's attempt under way, which a new start goes back to.
    Resumed(AttemptId),
}

impl Started {
    pub fn attempt_id(self) -> AttemptId {
        match self {
            Started::New(id) | Started::Resumed(id) => id,
        }
    }
}

/// Starts an attempt, or returns the open one. Staff take quizzes as previews, graded
/// like any other attempt and not limited in number.
pub fn start(
    conn: &mut DbConnection,
    user: &User,
    course_id: &str,
    quiz_id: &str,
    locale: Locale,
    now: NaiveDateTime,
) -> Result<Started, AppError> {
    let quiz = store::find_quiz(conn, course_id, quiz_id)?.ok_or(AppError::NotFound)?;
    crate::enrolment::may_study(conn, user, course_id, now.date())?;
    db::write_transaction(conn, |conn| {
        lock_attempt_start(conn, user.id)?;
        let open: Option<(AttemptId, Option<NaiveDateTime>)> = quiz_attempts::table
            .filter(quiz_attempts::user_id.eq(user.id))
            .filter(quiz_attempts::course_id.eq(course_id))
            .filter(quiz_attempts::quiz_id.eq(quiz_id))
            .filter(quiz_attempts::submitted_at.is_null())
            .order(quiz_attempts::id.desc())
            .select((quiz_attempts::id, quiz_attempts::deadline))
            .first(conn)
            .optional()?;
        if let Some((id, deadline)) = open {
            if deadline.is_none_or(|d| now < d) {
                return Ok(Started::Resumed(id));
            }
        }
        let so_far = AttemptsSoFar {
            counted: counted_attempts(conn, user.id, &quiz)?,
            has_open: false,
        };
        if !may_start(user.role, quiz.settings.attempts, so_far) {
            return Err(AppError::Conflict("quizzes.no_attempts_left"));
        }
        insert_attempt(conn, user, &quiz, locale, now).map(Started::New)
    })
}

fn insert_attempt(
    conn: &mut DbConnection,
    user: &User,
    quiz: &Quiz,
    locale: Locale,
    now: NaiveDateTime,
) -> Result<AttemptId, AppError> {
    let languages = store::languages(conn, quiz)?;
    let language = i18n::best_available(&languages, locale).ok_or(AppError::NotFound)?;
    let drawn = draw::draw(store::questions(conn, quiz, language)?, &quiz.settings);
    let settings = AttemptSettings {
        pass_mark: quiz.settings.pass_mark,
        show_answers: quiz.settings.show_answers,
        attempts: quiz.settings.attempts,
        after_module: quiz.settings.after_module.clone(),
    };
    let deadline = (quiz.settings.time_limit_minutes > 0)
        .then(|| now + Duration::minutes(i64::from(quiz.settings.time_limit_minutes)));
    let run_id = crate::enrolment::latest_admitted_run(conn, user.id, &quiz.course_id)?.map(|run| run.id);
    Ok(diesel::insert_into(quiz_attempts::table)
        .values((
            quiz_attempts::user_id.eq(user.id),
            quiz_attempts::course_id.eq(&quiz.course_id),
            quiz_attempts::quiz_id.eq(&quiz.id),
            quiz_attempts::language.eq(language),
            quiz_attempts::is_preview.eq(user.role.is_staff()),
            quiz_attempts::questions.eq(serde_json::to_string(&drawn).map_err(AppError::internal)?),
            quiz_attempts::settings.eq(serde_json::to_string(&settings).map_err(AppError::internal)?),
            quiz_attempts::started_at.eq(now),
            quiz_attempts::deadline.eq(deadline),
            quiz_attempts::pending_manual.eq(false),
            quiz_attempts::run_id.eq(run_id),
        ))
        .returning(quiz_attempts::id)
        .get_result(conn)?)
}

/// The responses saved so far, by question id.
pub fn responses(conn: &mut DbConnection, attempt_id: AttemptId) -> Result<BTreeMap<String, Response>, AppError> {
    let rows: Vec<(String, Option<String>)> = attempt_responses::table
        .filter(attempt_responses::attempt_id.eq(attempt_id))
        .select((attempt_responses::question_id, attempt_responses::response))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, json)| json.and_then(|j| serde_json::from_str(&j).ok()).map(|r| (id, r)))
        .collect())
}

/// Saves one response. Refused once the attempt is submitted or its time is up (an
/// expired attempt is then submitted with what it has).
pub fn save_response(
    conn: &mut DbConnection,
    user_id: UserId,
    attempt_id: AttemptId,
    question_id: &str,
    response: &Response,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let attempt = find_attempt(conn, attempt_id, Access::Owner(user_id))?;
    if !attempt.is_open() {
        return Err(AppError::Conflict("quizzes.attempt_closed"));
    }
    if attempt.is_expired(now) {
        submit(conn, user_id, attempt_id, now)?;
        return Err(AppError::Conflict("quizzes.time_is_up"));
    }
    let drawn = attempt.question(question_id).ok_or(AppError::NotFound)?;
    let response = drawn
        .canonical(response)
        .ok_or(AppError::BadRequest("quizzes.response_invalid"))?;
    grading::check_shape(&drawn.question, &response).map_err(AppError::BadRequest)?;
    let json = serde_json::to_string(&response).map_err(AppError::internal)?;
    db::write_transaction(conn, |conn| -> Result<(), AppError> {
        if !hold_open_attempt(conn, attempt_id)? {
            return Err(AppError::Conflict("quizzes.attempt_closed"));
        }
        // One upsert, so that two saves of one answer (autosave, a double click) both
        // succeed and the later wins. diesel builds it per backend.
        macro_rules! upsert {
            ($conn:expr) => {
                diesel::insert_into(attempt_responses::table)
                    .values((
                        attempt_responses::attempt_id.eq(attempt_id),
                        attempt_responses::question_id.eq(question_id),
                        attempt_responses::response.eq(&json),
                        attempt_responses::answered_at.eq(now),
                        attempt_responses::pending_manual.eq(false),
                    ))
                    .on_conflict((attempt_responses::attempt_id, attempt_responses::question_id))
                    .do_update()
                    .set((
                        attempt_responses::response.eq(&json),
                        attempt_responses::answered_at.eq(now),
                    ))
                    .execute($conn)
            };
        }
        match conn {
            DbConnection::Sqlite(sqlite) => upsert!(sqlite),
            DbConnection::Postgresql(pg) => upsert!(pg),
        }?;
        Ok(())
    })
}

/// Whether the attempt is still open, holding its row until the transaction ends: a
/// submit waits for a save under way (and grades the saved answer), and a save that
/// waited for a submit finds the attempt closed. The update changes nothing; on
/// PostgreSQL it takes the row lock, on SQLite the write transaction is serial anyway.
fn hold_open_attempt(conn: &mut DbConnection, attempt_id: AttemptId) -> Result<bool, AppError> {
    let held = diesel::update(
        quiz_attempts::table
            .find(attempt_id)
            .filter(quiz_attempts::submitted_at.is_null()),
    )
    .set(quiz_attempts::pending_manual.eq(quiz_attempts::pending_manual))
    .execute(conn)?;
    Ok(held == 1)
}

/// Removes an answer the learner has emptied, while the attempt is open.
pub fn clear_response(
    conn: &mut DbConnection,
    user_id: UserId,
    attempt_id: AttemptId,
    question_id: &str,
) -> Result<(), AppError> {
    let attempt = find_attempt(conn, attempt_id, Access::Owner(user_id))?;
    if !attempt.is_open() {
        return Err(AppError::Conflict("quizzes.attempt_closed"));
    }
    db::write_transaction(conn, |conn| {
        // A submit that won the race has graded the answer: it stays.
        if !hold_open_attempt(conn, attempt_id)? {
            return Err(AppError::Conflict("quizzes.attempt_closed"));
        }
        diesel::delete(attempt_responses::table.find((attempt_id, question_id))).execute(conn)?;
        Ok(())
    })
}

/// Submits and grades an attempt, exactly once: a second submit, or two at the same
/// time, get the stored result of the first.
pub fn submit(
    conn: &mut DbConnection,
    user_id: UserId,
    attempt_id: AttemptId,
    now: NaiveDateTime,
) -> Result<AttemptResult, AppError> {
    db::write_transaction(conn, |conn| {
        let attempt = find_attempt(conn, attempt_id, Access::Owner(user_id))?;
        if attempt.submitted_at.is_some() {
            return results::stored_result(conn, &attempt);
        }
        // An attempt whose time ran out counts as submitted at its deadline.
        let submitted_at = attempt.deadline.map(|d| d.min(now)).unwrap_or(now);
        let claimed = diesel::update(
            quiz_attempts::table
                .find(attempt_id)
                .filter(quiz_attempts::submitted_at.is_null()),
        )
        .set(quiz_attempts::submitted_at.eq(submitted_at))
        .execute(conn)?;
        if claimed == 0 {
            let attempt = find_attempt(conn, attempt_id, Access::Owner(user_id))?;
            return results::stored_result(conn, &attempt);
        }
        let given = responses(conn, attempt_id)?;
        for drawn in &attempt.questions {
            let grade: Grade = grading::grade(&drawn.question, given.get(&drawn.question.id));
            // An upsert: a question never answered has no row yet.
            macro_rules! store_grade {
                ($conn:expr) => {
                    diesel::insert_into(attempt_responses::table)
                        .values((
                            attempt_responses::attempt_id.eq(attempt_id),
                            attempt_responses::question_id.eq(&drawn.question.id),
                            attempt_responses::score.eq(grade.score),
                            attempt_responses::max_score.eq(grade.max_score),
                            attempt_responses::pending_manual.eq(grade.pending_manual),
                        ))
                        .on_conflict((
                            attempt_responses::attempt_id,
                            attempt_responses::question_id,
                        ))
                        .do_update()
                        .set((
                            attempt_responses::score.eq(grade.score),
                            attempt_responses::max_score.eq(grade.max_score),
                            attempt_responses::pending_manual.eq(grade.pending_manual),
                        ))
                        .execute($conn)
                };
            }
            match conn {
                DbConnection::Sqlite(sqlite) => store_grade!(sqlite),
                DbConnection::Postgresql(pg) => store_grade!(pg),
            }?;
        }
        results::store_totals(conn, &attempt, now)
    })
}

/// Submits the attempt if its time is up; returns it as it now stands.
pub fn close_if_expired(conn: &mut DbConnection, attempt: Attempt, now: NaiveDateTime) -> Result<Attempt, AppError> {
    if attempt.is_open() && attempt.is_expired(now) {
        submit(conn, attempt.user_id, attempt.id, now)?;
        return find_attempt(conn, attempt.id, Access::Owner(attempt.user_id));
    }
    Ok(attempt)
}
