//! Attendance at the in-person days of a course run. A run's trainers (and the
//! coordinators and administrators who manage it) add the days the group meets and
//! take the register on each; a run may require a share of the days attended before
//! its learners complete the course.

pub mod api;
pub mod web;

use crate::accounts::model::UserId;
use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::count_star;
use diesel::prelude::*;
use serde::Serialize;

use crate::accounts::model::{Role, User};
use crate::db::schema::{attendance, run_sessions};
use crate::db::{self, DbConnection};
use crate::enrolment::{self, Mode, RunId, RunRow};
use crate::error::AppError;
use crate::validation::FieldErrors;

/// The longest topic of a day, in characters.
pub const TOPIC_MAX_CHARS: usize = 200;

/// One in-person day of a run.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = run_sessions)]
pub struct Session {
    pub id: i64,
    pub run_id: RunId,
    pub held_on: NaiveDate,
    pub topic: String,
    pub created_by: UserId,
    pub created_at: NaiveDateTime,
}

/// A run whose register `user` may keep: a run they teach, or one they manage.
/// Any other run is `NotFound`, so that its existence is not revealed.
pub fn find_run_for_register(conn: &mut DbConnection, user: &User, run_id: RunId) -> Result<RunRow, AppError> {
    let run = enrolment::find_run(conn, run_id)?.ok_or(AppError::NotFound)?;
    let teaches = user.role == Role::Trainer && enrolment::teaches(conn, user.id, run.id)?;
    if teaches || enrolment::manages(user, run.institution_id) {
        Ok(run)
    } else {
        Err(AppError::NotFound)
    }
}

/// The run's days in date order.
pub fn sessions_of(conn: &mut DbConnection, run_id: RunId) -> Result<Vec<Session>, AppError> {
    Ok(run_sessions::table
        .filter(run_sessions::run_id.eq(run_id))
        .order(run_sessions::held_on.asc())
        .select(Session::as_select())
        .load(conn)?)
}

/// A day of this run; a day of another run is `NotFound`.
pub fn find_session(conn: &mut DbConnection, run_id: RunId, session_id: i64) -> Result<Session, AppError> {
    run_sessions::table
        .find(session_id)
        .filter(run_sessions::run_id.eq(run_id))
        .select(Session::as_select())
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)
}

/// A new day as typed in the form.
#[derive(Debug, Clone, Default, serde::Deserialize, Serialize)]
#[serde(default)]
pub struct SessionInput {
    pub held_on: String,
    pub topic: String,
}

/// Why a day cannot be removed: someone was recorded present on it.
pub const DELETE_RECORDED: &str = "attendance.delete_recorded";

/// Adds an in-person day to a run. The day must fall within the run's dates, once,
/// and only runs that meet in person have such days.
pub fn add_session(
    conn: &mut DbConnection,
    recorder: &User,
    run: &RunRow,
    input: &SessionInput,
) -> Result<i64, AppError> {
    let mut errors = FieldErrors::new();
    let held_on = NaiveDate::parse_from_str(input.held_on.trim(), "%Y-%m-%d").ok();
    match held_on {
        None => errors.add("held_on", "runs.date_invalid"),
        Some(day) if day < run.starts_on || day > run.ends_on => {
            errors.add("held_on", "attendance.day_outside_run");
        }
        Some(_) => {}
    }
    if run.mode == Mode::Online {
        errors.add("held_on", "attendance.online_run");
    }
    let topic = input.topic.trim();
    if topic.chars().count() > TOPIC_MAX_CHARS {
        errors.add_with(
            "topic",
            "attendance.topic_too_long",
            vec![("max", TOPIC_MAX_CHARS.to_string())],
        );
    }
    let Some(held_on) = held_on.filter(|_| errors.is_empty()) else {
        return Err(AppError::Invalid(errors));
    };
    let inserted = diesel::insert_into(run_sessions::table)
        .values((
            run_sessions::run_id.eq(run.id),
            run_sessions::held_on.eq(held_on),
            run_sessions::topic.eq(topic),
            run_sessions::created_by.eq(recorder.id),
            run_sessions::created_at.eq(chrono::Utc::now().naive_utc()),
        ))
        .returning(run_sessions::id)
        .get_result(conn);
    match inserted {
        Ok(id) => Ok(id),
        Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)) => {
            errors.add("held_on", "attendance.day_taken");
            Err(AppError::Invalid(errors))
        }
        Err(other) => Err(other.into()),
    }
}

/// Removes a day that was added by mistake. A day on which someone was recorded
/// present is kept (`Conflict`): removing it would take attendance away from learners.
pub fn delete_session(conn: &mut DbConnection, run: &RunRow, session_id: i64) -> Result<(), AppError> {
    let session = find_session(conn, run.id, session_id)?;
    db::write_transaction(conn, |conn| {
        enrolment::lock_run(conn, run.id)?;
        let present: i64 = attendance::table
            .filter(attendance::session_id.eq(session.id))
            .filter(attendance::present.eq(true))
            .count()
            .get_result(conn)?;
        if present > 0 {
            return Err(AppError::Conflict(DELETE_RECORDED));
        }
        diesel::delete(attendance::table.filter(attendance::session_id.eq(session.id))).execute(conn)?;
        diesel::delete(run_sessions::table.find(session.id)).execute(conn)?;
        // Fewer days held can raise a learner's share to what the run requires.
        crate::certificates::refresh_run(conn, run, chrono::Utc::now().naive_utc())?;
        Ok(())
    })
}

/// A learner on a day's register.
#[derive(Debug, Clone, Serialize)]
pub struct RegisterLine {
    pub user_id: UserId,
    pub name: String,
    pub email: String,
    pub present: bool,
}

/// The register of a day: every learner admitted to the run, ticked when recorded
/// present.
pub fn register(conn: &mut DbConnection, run: &RunRow, session: &Session) -> Result<Vec<RegisterLine>, AppError> {
    let present: Vec<UserId> = attendance::table
        .filter(attendance::session_id.eq(session.id))
        .filter(attendance::present.eq(true))
        .select(attendance::user_id)
        .load(conn)?;
    Ok(enrolment::admitted_learners(conn, run.id)?
        .into_iter()
        .map(|learner| RegisterLine {
            present: present.contains(&learner.user_id),
            user_id: learner.user_id,
            name: learner.name,
            email: learner.email,
        })
        .collect())
}

/// Records a day's register: the learners in `present` were there, every other
/// admitted learner was not. Ids of people not admitted to the run are ignored (they
/// may have withdrawn since the page was opened), and what was recorded earlier for
/// someone who has since left the run is kept. Each learner's completion is then
/// worked out again, since attendance may be what they were missing.
pub fn record(
    conn: &mut DbConnection,
    recorder: &User,
    run: &RunRow,
    session: &Session,
    present: &[UserId],
    now: NaiveDateTime,
) -> Result<(), AppError> {
    db::write_transaction(conn, |conn| {
        // Two trainers saving the same day at once would otherwise both insert it.
        enrolment::lock_run(conn, run.id)?;
        let learners = enrolment::admitted_learners(conn, run.id)?;
        let ids: Vec<UserId> = learners.iter().map(|learner| learner.user_id).collect();
        diesel::delete(
            attendance::table
                .filter(attendance::session_id.eq(session.id))
                .filter(attendance::user_id.eq_any(&ids)),
        )
        .execute(conn)?;
        for user_id in &ids {
            diesel::insert_into(attendance::table)
                .values((
                    attendance::session_id.eq(session.id),
                    attendance::user_id.eq(user_id),
                    attendance::present.eq(present.contains(user_id)),
                    attendance::recorded_by.eq(recorder.id),
                    attendance::recorded_at.eq(now),
                ))
                .execute(conn)?;
        }
        crate::certificates::refresh_run(conn, run, now)?;
        Ok(())
    })
}

/// Days attended out of the days the run has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub attended: i64,
    pub held: i64,
}

impl Tally {
    /// Whether at least `required` per cent of the run's days were attended; a run
    /// that requires attendance but has no days yet is not met. Whether the run has
    /// ended, and so the share is final, is the caller's question.
    pub fn meets(self, required: i32) -> bool {
        self.held > 0 && self.attended * 100 >= i64::from(required) * self.held
    }
}

pub fn tally(conn: &mut DbConnection, run_id: RunId, user_id: UserId) -> Result<Tally, AppError> {
    let held: i64 = run_sessions::table
        .filter(run_sessions::run_id.eq(run_id))
        .count()
        .get_result(conn)?;
    let attended: i64 = attendance::table
        .inner_join(run_sessions::table)
        .filter(attendance::user_id.eq(user_id))
        .filter(attendance::present.eq(true))
        .filter(run_sessions::run_id.eq(run_id))
        .count()
        .get_result(conn)?;
    Ok(Tally { attended, held })
}

/// Days attended per learner of a run.
pub fn attended_by_learner(conn: &mut DbConnection, run_id: RunId) -> Result<BTreeMap<UserId, i64>, AppError> {
    let rows: Vec<(UserId, i64)> = attendance::table
        .inner_join(run_sessions::table)
        .filter(run_sessions::run_id.eq(run_id))
        .filter(attendance::present.eq(true))
        .group_by(attendance::user_id)
        .select((attendance::user_id, count_star()))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// A learner's attendance in a run, as the register pages and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct LearnerAttendance {
    pub user_id: UserId,
    pub name: String,
    pub email: String,
    pub attended: i64,
    pub held: i64,
    /// Whether the learner meets the run's requirement; `None` when there is none.
    pub meets: Option<bool>,
}

/// Every admitted learner's attendance in a run that has `held` days.
pub fn learners_attendance(
    conn: &mut DbConnection,
    run: &RunRow,
    held: i64,
) -> Result<Vec<LearnerAttendance>, AppError> {
    let attended = attended_by_learner(conn, run.id)?;
    Ok(enrolment::admitted_learners(conn, run.id)?
        .into_iter()
        .map(|learner| {
            let tally = Tally {
                attended: attended.get(&learner.user_id).copied().unwrap_or(0),
                held,
            };
            LearnerAttendance {
                user_id: learner.user_id,
                name: learner.name,
                email: learner.email,
                attended: tally.attended,
                held,
                meets: run.min_attendance.map(|required| tally.meets(required)),
            }
        })
        .collect())
}

/// The learners recorded present on each day of a run.
pub fn present_on_days(conn: &mut DbConnection, run_id: RunId) -> Result<BTreeMap<i64, Vec<UserId>>, AppError> {
    let rows: Vec<(i64, UserId)> = attendance::table
        .inner_join(run_sessions::table)
        .filter(run_sessions::run_id.eq(run_id))
        .filter(attendance::present.eq(true))
        .order((attendance::session_id, attendance::user_id))
        .select((attendance::session_id, attendance::user_id))
        .load(conn)?;
    let mut days: BTreeMap<i64, Vec<UserId>> = BTreeMap::new();
    for (session_id, user_id) in rows {
        days.entry(session_id).or_default().push(user_id);
    }
    Ok(days)
}

/// Settles the attendance of runs that require it and whose last day has passed:
/// works out their learners' completion once more, now that the requirement is
/// decided, and records it. Called by the hourly upkeep.
pub fn settle_ended_runs(conn: &mut DbConnection, now: NaiveDateTime) -> Result<usize, AppError> {
    use crate::db::schema::course_runs;
    let ended: Vec<RunRow> = course_runs::table
        .filter(course_runs::min_attendance.is_not_null())
        .filter(course_runs::attendance_settled_at.is_null())
        .filter(course_runs::ends_on.lt(now.date()))
        .select(RunRow::as_select())
        .load(conn)?;
    for run in &ended {
        db::write_transaction(conn, |conn| -> Result<(), AppError> {
            enrolment::lock_run(conn, run.id)?;
            crate::certificates::refresh_run(conn, run, now)?;
            diesel::update(course_runs::table.find(run.id))
                .set(course_runs::attendance_settled_at.eq(now))
                .execute(conn)?;
            Ok(())
        })?;
    }
    Ok(ended.len())
}
