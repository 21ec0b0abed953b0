//! Runs as stored: creating and changing them, finding them, who may see which, and
//! how many places are taken.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime, Utc};
use diesel::dsl::count_star;
use diesel::prelude::*;

use super::access::manages;
use super::input::RunFields;
use super::model::{EnrolmentMode, Mode, Phase, RunId, RunJson, RunRow, Status, ADMITTED};
use super::places::promote_waitlisted;
use crate::accounts::model::{Country, Role, User};
use crate::db::locks::{self, Lock};
use crate::db::schema::{course_runs, enrolments, run_trainers};
use crate::db::{self, DbConnection};
use crate::error::{AppError, AppResult};
use crate::i18n::Locale;
use crate::institutions::InstitutionId;
use crate::mail::MailSettings;

/// The columns a run's form sets, for both creating and editing it.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = course_runs, treat_none_as_null = true)]
struct RunValues<'a> {
    course_id: &'a str,
    institution_id: InstitutionId,
    language: Locale,
    country: Country,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    enrol_by: NaiveDate,
    capacity: i32,
    mode: Mode,
    enrolment: EnrolmentMode,
    enrolment_key: Option<&'a str>,
    phase: Phase,
    categories: String,
    min_attendance: Option<i32>,
    opens_early: bool,
    updated_at: NaiveDateTime,
}

impl<'a> RunValues<'a> {
    fn of(fields: &'a RunFields, now: NaiveDateTime) -> Self {
        RunValues {
            course_id: &fields.course_id,
            institution_id: fields.institution_id,
            language: fields.language,
            country: fields.country,
            starts_on: fields.starts_on,
            ends_on: fields.ends_on,
            enrol_by: fields.enrol_by,
            capacity: fields.capacity,
            mode: fields.mode,
            enrolment: fields.enrolment,
            enrolment_key: fields.key.as_deref(),
            phase: fields.phase,
            categories: fields.categories.codes(),
            min_attendance: fields.min_attendance,
            opens_early: fields.opens_early,
            updated_at: now,
        }
    }
}

pub fn create_run(conn: &mut DbConnection, user: &User, fields: &RunFields) -> AppResult<RunId> {
    if !manages(user, fields.institution_id) {
        return Err(AppError::Forbidden);
    }
    let now = Utc::now().naive_utc();
    Ok(diesel::insert_into(course_runs::table)
        .values((
            RunValues::of(fields, now),
            course_runs::created_by.eq(user.id),
            course_runs::created_at.eq(now),
        ))
        .returning(course_runs::id)
        .get_result(conn)?)
}

/// Changes a run's settings. Raising the capacity moves the first in line from the
/// waitlist into the new places; a changed attendance requirement or date is applied to
/// every learner of the run at once, so that lowering the requirement certifies those
/// who now meet it, and moving the start to today issues the certificates that waited.
pub fn update_run(
    conn: &mut DbConnection,
    mail: &MailSettings,
    user: &User,
    run_id: RunId,
    fields: &RunFields,
) -> AppResult<()> {
    let run = find_run_for_manager(conn, user, run_id)?;
    if !manages(user, fields.institution_id) {
        return Err(AppError::Forbidden);
    }
    db::write_transaction(conn, |conn| {
        lock_run(conn, run.id)?;
        diesel::update(course_runs::table.find(run.id))
            .set(RunValues::of(fields, Utc::now().naive_utc()))
            .execute(conn)?;
        let updated = find_run(conn, run.id)?.ok_or(AppError::NotFound)?;
        promote_waitlisted(conn, mail, &updated)?;
        let decides_completion = |r: &RunRow| (r.min_attendance, r.starts_on, r.ends_on);
        if decides_completion(&updated) != decides_completion(&run) {
            crate::certificates::refresh_run(conn, &updated, Utc::now().naive_utc())?;
        }
        Ok(())
    })
}

pub fn find_run(conn: &mut DbConnection, run_id: RunId) -> AppResult<Option<RunRow>> {
    Ok(course_runs::table
        .find(run_id)
        .select(RunRow::as_select())
        .first(conn)
        .optional()?)
}

/// A run the user manages; another institution's run is `NotFound`.
pub fn find_run_for_manager(conn: &mut DbConnection, user: &User, run_id: RunId) -> AppResult<RunRow> {
    find_run(conn, run_id)?
        .filter(|run| manages(user, run.institution_id))
        .ok_or(AppError::NotFound)
}

/// The runs with these ids, in no particular order; ids without a run are left out.
pub fn find_runs(conn: &mut DbConnection, run_ids: &[RunId]) -> AppResult<Vec<RunRow>> {
    Ok(course_runs::table
        .filter(course_runs::id.eq_any(run_ids))
        .select(RunRow::as_select())
        .load(conn)?)
}

/// How many learners a run has admitted: the places taken.
pub fn enrolled_count(conn: &mut DbConnection, run_id: RunId) -> AppResult<i64> {
    Ok(enrolments::table
        .filter(enrolments::run_id.eq(run_id))
        .filter(enrolments::status.eq_any(ADMITTED))
        .count()
        .get_result(conn)?)
}

/// The courses with a run in progress on `today` that has admitted learners: their
/// outdated sections come first in the authoring overview.
pub fn courses_running_on(conn: &mut DbConnection, today: NaiveDate) -> AppResult<Vec<String>> {
    Ok(course_runs::table
        .inner_join(enrolments::table.on(enrolments::run_id.eq(course_runs::id)))
        .filter(course_runs::starts_on.le(today))
        .filter(course_runs::ends_on.ge(today))
        .filter(enrolments::status.eq_any(ADMITTED))
        .select(course_runs::course_id)
        .distinct()
        .load(conn)?)
}

/// The places taken in each of `runs`, in one query; a run nobody joined is absent.
pub fn enrolled_counts(conn: &mut DbConnection, runs: &[RunRow]) -> AppResult<HashMap<RunId, i64>> {
    let ids: Vec<RunId> = runs.iter().map(|run| run.id).collect();
    let counts: Vec<(RunId, i64)> = enrolments::table
        .filter(enrolments::run_id.eq_any(&ids))
        .filter(enrolments::status.eq_any(ADMITTED))
        .group_by(enrolments::run_id)
        .select((enrolments::run_id, count_star()))
        .load(conn)?;
    Ok(counts.into_iter().collect())
}

/// The requests waiting for a coordinator's decision in each of the runs with `ids`,
/// in one query (by the `enrolments_activity` index); a run without any is absent.
pub fn requested_counts(conn: &mut DbConnection, ids: &[RunId]) -> AppResult<HashMap<RunId, i64>> {
    let counts: Vec<(RunId, i64)> = enrolments::table
        .filter(enrolments::run_id.eq_any(ids))
        .filter(enrolments::status.eq(Status::Requested))
        .group_by(enrolments::run_id)
        .select((enrolments::run_id, count_star()))
        .load(conn)?;
    Ok(counts.into_iter().collect())
}

/// Runs as the API returns them, with their places taken.
pub fn run_jsons(conn: &mut DbConnection, runs: &[RunRow]) -> AppResult<Vec<RunJson>> {
    let enrolled = enrolled_counts(conn, runs)?;
    Ok(runs
        .iter()
        .map(|run| RunJson::of(run, enrolled.get(&run.id).copied().unwrap_or(0)))
        .collect())
}

/// Whether a learner may see and join a run: their country (or a regional run), their
/// professional category, and enrolment still open.
pub fn open_to(run: &RunRow, user: &User, today: NaiveDate) -> bool {
    let country_fits = run.country == Country::Other || user.country == Some(run.country);
    country_fits
        && run.categories.admit(user.category)
        && today <= run.enrol_by
        && run.enrolment != EnrolmentMode::Invitation
}

/// The runs a user can see: all for administrators, their institution's for
/// coordinators, those open to them (or where they are enrolled or teach) for others.
pub fn visible_runs(conn: &mut DbConnection, user: &User, today: NaiveDate) -> AppResult<Vec<RunRow>> {
    let all: Vec<RunRow> = match user.role {
        // Observers read aggregate reports, not runs.
        Role::Observer => Vec::new(),
        Role::Admin => course_runs::table
            .order(course_runs::starts_on.desc())
            .select(RunRow::as_select())
            .load(conn)?,
        Role::Coordinator => course_runs::table
            .filter(course_runs::institution_id.nullable().eq(user.institution_id))
            .order(course_runs::starts_on.desc())
            .select(RunRow::as_select())
            .load(conn)?,
        Role::Learner | Role::Trainer => {
            let mine: Vec<RunId> = enrolments::table
                .filter(enrolments::user_id.eq(user.id))
                .select(enrolments::run_id)
                .load(conn)?;
            let teaching: Vec<RunId> = run_trainers::table
                .filter(run_trainers::user_id.eq(user.id))
                .select(run_trainers::run_id)
                .load(conn)?;
            let candidates: Vec<RunRow> = course_runs::table
                .filter(
                    course_runs::enrol_by
                        .ge(today)
                        .or(course_runs::id.eq_any(&mine))
                        .or(course_runs::id.eq_any(&teaching)),
                )
                .order(course_runs::starts_on.asc())
                .select(RunRow::as_select())
                .load(conn)?;
            candidates
                .into_iter()
                .filter(|run| mine.contains(&run.id) || teaching.contains(&run.id) || open_to(run, user, today))
                .collect()
        }
    };
    Ok(all)
}

/// Serialises changes to one run (its places, and its attendance register) until the
/// transaction ends. SQLite's write transactions are serial already.
pub fn lock_run(conn: &mut DbConnection, run_id: RunId) -> AppResult<()> {
    Ok(locks::for_transaction(conn, Lock::Run(run_id.get()))?)
}
