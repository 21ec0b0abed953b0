//! Who may do what with runs: who manages them, who may study a course and from when,
//! and which run a learner's study and certificate count towards.

use chrono::NaiveDate;
use diesel::prelude::*;

use super::model::{RunId, RunRow, Status, ADMITTED};
use crate::accounts::model::{Role, User, UserId};
use crate::db::schema::{course_runs, enrolments, run_trainers};
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::institutions::InstitutionId;

/// Whether `user` may manage runs of `institution_id`: administrators any,
/// coordinators their own institution's.
pub fn manages(user: &User, institution_id: InstitutionId) -> bool {
    user.role == Role::Admin || (user.role == Role::Coordinator && user.institution_id == Some(institution_id))
}

/// The runs whose learners' work a member of staff may see and grade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Oversight {
    /// Every run, and work done without a run: administrators.
    Everything,
    /// These runs only: those a trainer teaches, or those of a coordinator's
    /// institution. Work done without a run is not among them.
    Runs(Vec<RunId>),
}

impl Oversight {
    /// Whether work counted towards `run` (or towards no run) is overseen.
    pub fn covers(&self, run: Option<RunId>) -> bool {
        match self {
            Oversight::Everything => true,
            Oversight::Runs(runs) => run.is_some_and(|run| runs.contains(&run)),
        }
    }
}

/// Whose work `user` oversees: administrators everyone's; trainers their runs'
/// learners; coordinators the learners of their institution's runs; nobody else any.
pub fn oversight_of(conn: &mut DbConnection, user: &User) -> AppResult<Oversight> {
    let runs = match (user.role, user.institution_id) {
        (Role::Admin, _) => return Ok(Oversight::Everything),
        (Role::Trainer, _) => run_trainers::table
            .filter(run_trainers::user_id.eq(user.id))
            .select(run_trainers::run_id)
            .load(conn)?,
        (Role::Coordinator, Some(institution)) => course_runs::table
            .filter(course_runs::institution_id.eq(institution))
            .select(course_runs::id)
            .load(conn)?,
        (Role::Coordinator, None) | (Role::Learner | Role::Observer, _) => Vec::new(),
    };
    Ok(Oversight::Runs(runs))
}

/// The learner's latest run of a course to which they are admitted, if any: the run
/// their certificate names, their quiz attempts count towards in reports, and whose
/// national adaptation they read.
pub fn latest_admitted_run(conn: &mut DbConnection, user_id: UserId, course_id: &str) -> AppResult<Option<RunRow>> {
    Ok(course_runs::table
        .inner_join(enrolments::table.on(enrolments::run_id.eq(course_runs::id)))
        .filter(enrolments::user_id.eq(user_id))
        .filter(course_runs::course_id.eq(course_id))
        .filter(admitted_status())
        .order((course_runs::starts_on.desc(), course_runs::id.desc()))
        .select(RunRow::as_select())
        .first(conn)
        .optional()?)
}

/// Enrolments that admit to a run ([`ADMITTED`]), as a condition diesel keeps prepared:
/// `eq_any` would be prepared again at every query, and this one runs on every page
/// of a course.
fn admitted_status(
) -> diesel::dsl::Or<diesel::dsl::Eq<enrolments::status, Status>, diesel::dsl::Eq<enrolments::status, Status>> {
    let [first, second] = ADMITTED;
    enrolments::status.eq(first).or(enrolments::status.eq(second))
}

/// The learner's runs of a course to which they are admitted, the latest first.
fn admitted_runs(conn: &mut DbConnection, user_id: UserId, course_id: &str) -> AppResult<Vec<RunRow>> {
    Ok(course_runs::table
        .inner_join(enrolments::table.on(enrolments::run_id.eq(course_runs::id)))
        .filter(enrolments::user_id.eq(user_id))
        .filter(course_runs::course_id.eq(course_id))
        .filter(admitted_status())
        .order((course_runs::starts_on.desc(), course_runs::id.desc()))
        .select(RunRow::as_select())
        .load(conn)?)
}

/// The run a learner's completion of a course counts in, and whose institution issues
/// their certificate: the latest of their admitted runs that has started by `today`,
/// else the latest one still to start (the certificate then waits for its start).
pub fn certifying_run(
    conn: &mut DbConnection,
    user_id: UserId,
    course_id: &str,
    today: NaiveDate,
) -> AppResult<Option<RunRow>> {
    let runs = admitted_runs(conn, user_id, course_id)?;
    let started = runs.iter().position(|run| run.has_started(today));
    Ok(match started {
        Some(index) => runs.into_iter().nth(index),
        None => runs.into_iter().next(),
    })
}

/// Whether a user may read a course (its modules, files and quizzes) on `today`:
/// trainers and above always, to preview it; learners while no run of the course
/// exists, or with an admission to one of its runs that has started or whose content
/// opens before the start. Before the start a learner is refused with the day the
/// run opens ([`AppError::NotOpenYet`]); without an admission, `Forbidden`.
pub fn may_study(conn: &mut DbConnection, user: &User, course_id: &str, today: NaiveDate) -> AppResult<()> {
    if user.role.is_staff() {
        return Ok(());
    }
    let admitted = admitted_runs(conn, user.id, course_id)?;
    admission(conn, course_id, &admitted, today)
}

/// [`may_study`], and the country whose national adaptation the reader reads: that of
/// their latest run of the course, if they are in one. One query for a learner in a
/// run that is open.
pub fn study_country(
    conn: &mut DbConnection,
    user: &User,
    course_id: &str,
    today: NaiveDate,
) -> AppResult<Option<&'static str>> {
    let admitted = admitted_runs(conn, user.id, course_id)?;
    if !user.role.is_staff() {
        admission(conn, course_id, &admitted, today)?;
    }
    Ok(admitted.first().and_then(RunRow::adaptation_country))
}

/// The rule of [`may_study`] for a learner admitted to `admitted` (latest first).
fn admission(conn: &mut DbConnection, course_id: &str, admitted: &[RunRow], today: NaiveDate) -> AppResult<()> {
    if admitted.iter().any(|run| run.is_open_for_study(today)) {
        return Ok(());
    }
    let runs: i64 = course_runs::table
        .filter(course_runs::course_id.eq(course_id))
        .count()
        .get_result(conn)?;
    if runs == 0 {
        return Ok(());
    }
    match admitted.iter().map(|run| run.starts_on).min() {
        Some(opens_on) => Err(AppError::NotOpenYet(opens_on)),
        None => Err(AppError::Forbidden),
    }
}
