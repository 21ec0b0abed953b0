//! The trainers of a run: who teaches it, which runs a trainer teaches, and how
//! coordinators add and remove them.

use diesel::prelude::*;

use super::model::{Person, RunId, RunRow};
use super::runs::find_run_for_manager;
use crate::accounts::model::{Role, User, UserId};
use crate::accounts::store as user_store;
use crate::db::schema::{course_runs, run_trainers, users};
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::validation::FieldErrors;

pub fn trainers_of(conn: &mut DbConnection, run_id: RunId) -> AppResult<Vec<Person>> {
    Ok(run_trainers::table
        .inner_join(users::table.on(users::id.eq(run_trainers::user_id)))
        .filter(run_trainers::run_id.eq(run_id))
        .order(users::name.asc())
        .select((users::id, users::name, users::email))
        .load(conn)?)
}

/// Whether `user_id` is one of the run's trainers.
pub fn teaches(conn: &mut DbConnection, user_id: UserId, run_id: RunId) -> AppResult<bool> {
    Ok(run_trainers::table
        .find((run_id, user_id))
        .count()
        .get_result::<i64>(conn)?
        > 0)
}

/// The runs a trainer teaches, the latest first.
pub fn runs_taught_by(conn: &mut DbConnection, user_id: UserId) -> AppResult<Vec<RunRow>> {
    Ok(course_runs::table
        .inner_join(run_trainers::table.on(run_trainers::run_id.eq(course_runs::id)))
        .filter(run_trainers::user_id.eq(user_id))
        .order((course_runs::starts_on.desc(), course_runs::id.desc()))
        .select(RunRow::as_select())
        .load(conn)?)
}

/// The form's answer about the trainer's address, as [`AppError::Invalid`].
fn trainer_email_error(key: &'static str) -> AppError {
    let mut errors = FieldErrors::new();
    errors.add("trainer_email", key);
    errors.into()
}

/// Makes the account with `email` a trainer of the run. The account must have the
/// trainer role; it may belong to any institution, since national trainers teach for
/// several.
pub fn assign_trainer(conn: &mut DbConnection, manager: &User, run_id: RunId, email: &str) -> AppResult<()> {
    let run = find_run_for_manager(conn, manager, run_id)?;
    let email = email.trim().to_lowercase();
    // One answer for "no account" and "not a trainer", so that the form does not tell
    // which addresses are registered, or with what role.
    let Some(trainer) = user_store::find_row_by_email(conn, &email)?.filter(|row| row.role == Role::Trainer) else {
        return Err(trainer_email_error("runs.trainer_unknown"));
    };
    let inserted = diesel::insert_into(run_trainers::table)
        .values((run_trainers::run_id.eq(run.id), run_trainers::user_id.eq(trainer.id)))
        .execute(conn);
    match inserted {
        Ok(_) => Ok(()),
        Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)) => {
            Err(trainer_email_error("runs.trainer_already"))
        }
        Err(other) => Err(other.into()),
    }
}

/// Takes a trainer off a run; the attendance they recorded stays.
pub fn remove_trainer(conn: &mut DbConnection, manager: &User, run_id: RunId, trainer_id: UserId) -> AppResult<()> {
    let run = find_run_for_manager(conn, manager, run_id)?;
    let removed = diesel::delete(run_trainers::table.find((run.id, trainer_id))).execute(conn)?;
    if removed == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}
