//! A person's enrolments for their own data export, and erasing the free text about
//! them that enrolment keeps (the reasons given for decisions).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::model::{EnrolmentId, RunId, Status};
use crate::accounts::model::UserId;
use crate::db::schema::{attendance, course_runs, enrolment_events, enrolments, run_sessions};
use crate::db::DbConnection;
use crate::error::AppResult;

/// One change of an enrolment's status.
#[derive(Debug, Serialize, Queryable)]
pub struct StatusChange {
    #[serde(skip)]
    pub enrolment_id: EnrolmentId,
    pub from: Option<Status>,
    pub to: Status,
    pub reason: Option<String>,
    pub at: NaiveDateTime,
}

/// One day of an in-person run, and whether the person was there.
#[derive(Debug, Serialize, Queryable)]
pub struct AttendanceDay {
    #[serde(skip)]
    pub run_id: RunId,
    pub held_on: chrono::NaiveDate,
    pub present: bool,
}

/// One enrolment as its holder downloads it.
#[derive(Debug, Serialize)]
pub struct EnrolmentExport {
    pub id: EnrolmentId,
    pub run_id: RunId,
    pub course_id: String,
    pub status: Status,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub last_activity_at: Option<NaiveDateTime>,
    pub history: Vec<StatusChange>,
    pub attendance: Vec<AttendanceDay>,
}

/// Every enrolment of `user_id`, with its history and attendance, oldest first.
pub fn export_of(conn: &mut DbConnection, user_id: UserId) -> AppResult<Vec<EnrolmentExport>> {
    type Row = (
        EnrolmentId,
        RunId,
        String,
        Status,
        NaiveDateTime,
        NaiveDateTime,
        Option<NaiveDateTime>,
    );
    let rows: Vec<Row> = enrolments::table
        .inner_join(course_runs::table.on(course_runs::id.eq(enrolments::run_id)))
        .filter(enrolments::user_id.eq(user_id))
        .order(enrolments::id.asc())
        .select((
            enrolments::id,
            enrolments::run_id,
            course_runs::course_id,
            enrolments::status,
            enrolments::created_at,
            enrolments::updated_at,
            enrolments::last_activity_at,
        ))
        .load(conn)?;
    let ids: Vec<EnrolmentId> = rows.iter().map(|row| row.0).collect();
    let mut history: Vec<StatusChange> = enrolment_events::table
        .filter(enrolment_events::enrolment_id.eq_any(&ids))
        .order((enrolment_events::at.asc(), enrolment_events::id.asc()))
        .select((
            enrolment_events::enrolment_id,
            enrolment_events::from_status,
            enrolment_events::to_status,
            enrolment_events::reason,
            enrolment_events::at,
        ))
        .load(conn)?;
    let mut days: Vec<AttendanceDay> = attendance::table
        .inner_join(run_sessions::table.on(run_sessions::id.eq(attendance::session_id)))
        .filter(attendance::user_id.eq(user_id))
        .order(run_sessions::held_on.asc())
        .select((run_sessions::run_id, run_sessions::held_on, attendance::present))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, run_id, course_id, status, created_at, updated_at, last_activity_at)| EnrolmentExport {
                history: drain(&mut history, |change| change.enrolment_id == id),
                attendance: drain(&mut days, |day| day.run_id == run_id),
                id,
                run_id,
                course_id,
                status,
                created_at,
                updated_at,
                last_activity_at,
            },
        )
        .collect())
}

/// Takes the items that match out of `items`, in order.
fn drain<T>(items: &mut Vec<T>, matches: impl Fn(&T) -> bool) -> Vec<T> {
    let (taken, kept): (Vec<T>, Vec<T>) = std::mem::take(items).into_iter().partition(|item| matches(item));
    *items = kept;
    taken
}

/// Erases the reasons written about `user_id`'s enrolments (free text that may name
/// them); statuses and dates stay for the figures. Returns how many were erased.
pub fn erase_free_text_of(conn: &mut DbConnection, user_id: UserId) -> AppResult<usize> {
    let theirs = enrolments::table
        .filter(enrolments::user_id.eq(user_id))
        .select(enrolments::id);
    Ok(diesel::update(
        enrolment_events::table
            .filter(enrolment_events::enrolment_id.eq_any(theirs))
            .filter(enrolment_events::reason.is_not_null()),
    )
    .set(enrolment_events::reason.eq(None::<String>))
    .execute(conn)?)
}
