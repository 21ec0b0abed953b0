//! Who may do what with runs: who manages them, who may study a course, and which
//! run a learner's study counts towards.

use diesel::prelude::*;

use super::model::{RunRow, ADMITTED};
use crate::accounts::model::{Role, User, UserId};
use crate::db::schema::{course_runs, enrolments};
use crate::db::DbConnection;
use crate::error::AppResult;
use crate::institutions::InstitutionId;

/// Whether `user` may manage runs of `institution_id`: administrators any,
/// coordinators their own institution's.
pub fn manages(user: &User, institution_id: InstitutionId) -> bool {
    user.role == Role::Admin || (user.role == Role::Coordinator && user.institution_id == Some(institution_id))
}

/// The learner's latest run of a course to which they are admitted, if any: the run
/// their certificate names, their quiz attempts count towards in reports, and whose
/// national adaptation they read.
pub fn latest_admitted_run(conn: &mut DbConnection, user_id: UserId, course_id: &str) -> AppResult<Option<RunRow>> {
    Ok(course_runs::table
        .inner_join(enrolments::table.on(enrolments::run_id.eq(course_runs::id)))
        .filter(enrolments::user_id.eq(user_id))
        .filter(course_runs::course_id.eq(course_id))
        .filter(enrolments::status.eq_any(ADMITTED))
        .order((course_runs::starts_on.desc(), course_runs::id.desc()))
        .select(RunRow::as_select())
        .first(conn)
        .optional()?)
}

/// The country whose national adaptation a learner reads: that of their latest run
/// of the course.
pub fn run_country_for(conn: &mut DbConnection, user_id: UserId, course_id: &str) -> AppResult<Option<&'static str>> {
    Ok(latest_admitted_run(conn, user_id, course_id)?
        .as_ref()
        .and_then(RunRow::adaptation_country))
}

/// Whether a learner may read a course: trainers and above always; learners with an
/// enrolment in one of its runs, or any learner while no run of the course exists.
pub fn may_study(conn: &mut DbConnection, user: &User, course_id: &str) -> AppResult<bool> {
    if user.role.is_staff() {
        return Ok(true);
    }
    let runs: i64 = course_runs::table
        .filter(course_runs::course_id.eq(course_id))
        .count()
        .get_result(conn)?;
    if runs == 0 {
        return Ok(true);
    }
    Ok(latest_admitted_run(conn, user.id, course_id)?.is_some())
}
