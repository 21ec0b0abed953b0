//! Places in a run: learners enrol themselves, coordinators approve, reject and enrol
//! directly, learners withdraw, and the waitlist moves up. Every change is recorded
//! with who made it, when and why, and happens with the run locked (see
//! [`lock_run`]), so capacity is never exceeded.

use chrono::{NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::model::{EnrolmentId, EnrolmentMode, EnrolmentOfRun, EnrolmentRow, Person, RunId, RunRow, Status, ADMITTED};
use super::notices::{kind_for, notify, notify_invited};
use super::runs::{enrolled_count, find_run, find_run_for_manager, lock_run, open_to};
use crate::accounts::model::{User, UserId};
use crate::app::AppState;
use crate::audit;
use crate::db::schema::{course_runs, enrolment_events, enrolments, users};
use crate::db::{self, DbConnection};
use crate::error::{AppError, AppResult};
use crate::mail::{self, MailSettings};
use crate::web::rate_limit::Limit;

/// Adds a change of status to the enrolment's history. A change that someone made to
/// another person's enrolment (a coordinator's decision) also goes to the audit log;
/// its reason stays in the history only, since reasons are free text.
fn record(
    conn: &mut DbConnection,
    enrolment_id: EnrolmentId,
    learner: UserId,
    from: Option<Status>,
    to: Status,
    actor: Option<UserId>,
    reason: Option<&str>,
) -> AppResult<()> {
    let now = Utc::now().naive_utc();
    diesel::insert_into(enrolment_events::table)
        .values((
            enrolment_events::enrolment_id.eq(enrolment_id),
            enrolment_events::from_status.eq(from),
            enrolment_events::to_status.eq(to),
            enrolment_events::actor_id.eq(actor),
            enrolment_events::reason.eq(reason),
            enrolment_events::at.eq(now),
        ))
        .execute(conn)?;
    if let Some(actor) = actor.filter(|actor| *actor != learner) {
        audit::record(
            conn,
            audit::Entry {
                actor: Some(actor),
                action: audit::Action::EnrolmentDecided,
                subject: format!("enrolment:{}", enrolment_id.get()),
                details: serde_json::json!({ "learner_id": learner, "from": from, "to": to }),
            },
            now,
        )?;
    }
    Ok(())
}

fn set_status(
    conn: &mut DbConnection,
    enrolment: &EnrolmentRow,
    to: Status,
    actor: Option<UserId>,
    reason: Option<&str>,
) -> AppResult<EnrolmentRow> {
    let now = Utc::now().naive_utc();
    diesel::update(enrolments::table.find(enrolment.id))
        .set((enrolments::status.eq(to), enrolments::updated_at.eq(now)))
        .execute(conn)?;
    record(
        conn,
        enrolment.id,
        enrolment.user_id,
        Some(enrolment.status),
        to,
        actor,
        reason,
    )?;
    Ok(EnrolmentRow {
        status: to,
        updated_at: now,
        ..enrolment.clone()
    })
}

/// Moves the first in line from the waitlist into a freed place.
pub(super) fn promote_waitlisted(conn: &mut DbConnection, mail: &MailSettings, run: &RunRow) -> AppResult<()> {
    while enrolled_count(conn, run.id)? < i64::from(run.capacity) {
        let next: Option<EnrolmentRow> = enrolments::table
            .filter(enrolments::run_id.eq(run.id))
            .filter(enrolments::status.eq(Status::Waitlisted))
            .order((enrolments::updated_at.asc(), enrolments::id.asc()))
            .select(EnrolmentRow::as_select())
            .first(conn)
            .optional()?;
        let Some(next) = next else { break };
        set_status(conn, &next, Status::Enrolled, None, Some("promoted from the waitlist"))?;
        notify(conn, mail, run, next.user_id, mail::Kind::EnrolmentPromoted, None)?;
    }
    Ok(())
}

/// Gives a place if one is free, else a place on the waitlist.
fn place_status(conn: &mut DbConnection, run: &RunRow) -> AppResult<Status> {
    Ok(if enrolled_count(conn, run.id)? < i64::from(run.capacity) {
        Status::Enrolled
    } else {
        Status::Waitlisted
    })
}

pub(super) fn existing(conn: &mut DbConnection, run_id: RunId, user_id: UserId) -> AppResult<Option<EnrolmentRow>> {
    Ok(enrolments::table
        .filter(enrolments::run_id.eq(run_id))
        .filter(enrolments::user_id.eq(user_id))
        .select(EnrolmentRow::as_select())
        .first(conn)
        .optional()?)
}

/// Creates or renews a user's enrolment with the given status, in the caller's
/// transaction, and records it.
fn put(
    conn: &mut DbConnection,
    run: &RunRow,
    user_id: UserId,
    status: Status,
    actor: UserId,
    reason: Option<&str>,
) -> AppResult<EnrolmentRow> {
    match existing(conn, run.id, user_id)? {
        Some(row) => set_status(conn, &row, status, Some(actor), reason),
        None => {
            let now = Utc::now().naive_utc();
            let id: EnrolmentId = diesel::insert_into(enrolments::table)
                .values((
                    enrolments::run_id.eq(run.id),
                    enrolments::user_id.eq(user_id),
                    enrolments::status.eq(status),
                    enrolments::created_at.eq(now),
                    enrolments::updated_at.eq(now),
                ))
                .returning(enrolments::id)
                .get_result(conn)?;
            record(conn, id, user_id, None, status, Some(actor), reason)?;
            Ok(EnrolmentRow {
                id,
                run_id: run.id,
                user_id,
                status,
                created_at: now,
                updated_at: now,
            })
        }
    }
}

/// The refusal of a wrong enrolment key.
const KEY_WRONG: &str = "runs.key_wrong";

/// Whether the key a learner typed opens a run enrolled by key; compared in constant
/// time, so the answer's timing tells nothing about the key.
fn key_opens(run: &RunRow, key: Option<&str>) -> bool {
    let expected = run.enrolment_key.as_deref().unwrap_or_default();
    let given = key.unwrap_or_default().trim();
    !expected.is_empty() && subtle::ConstantTimeEq::ct_eq(given.as_bytes(), expected.as_bytes()).into()
}

/// A learner enrols themselves: at once in open runs and with the right key, as a
/// request where the run needs approval. Invitation-only runs refuse.
pub fn self_enrol(
    conn: &mut DbConnection,
    mail: &MailSettings,
    user: &User,
    run_id: RunId,
    key: Option<&str>,
    today: NaiveDate,
) -> AppResult<EnrolmentRow> {
    let run = find_run(conn, run_id)?.ok_or(AppError::NotFound)?;
    let visible = open_to(&run, user, today) || existing(conn, run.id, user.id)?.is_some();
    if !visible {
        return Err(AppError::NotFound);
    }
    if today > run.enrol_by {
        return Err(AppError::Conflict("runs.enrolment_closed"));
    }
    match run.enrolment {
        EnrolmentMode::Invitation => return Err(AppError::Forbidden),
        EnrolmentMode::Key if !key_opens(&run, key) => return Err(AppError::BadRequest(KEY_WRONG)),
        _ => {}
    }
    db::write_transaction(conn, |conn| {
        lock_run(conn, run.id)?;
        if let Some(current) = existing(conn, run.id, user.id)? {
            match current.status {
                status if status.is_active() || status == Status::Completed => return Ok(current),
                Status::Rejected => return Err(AppError::Conflict("runs.already_rejected")),
                _ => {}
            }
        }
        let status = if run.enrolment == EnrolmentMode::Approval {
            Status::Requested
        } else {
            place_status(conn, &run)?
        };
        let row = put(conn, &run, user.id, status, user.id, None)?;
        if let Some(kind) = kind_for(status) {
            notify(conn, mail, &run, user.id, kind, None)?;
        }
        Ok(row)
    })
}

/// [`self_enrol`] for a request, with wrong enrolment keys limited per learner and
/// run (see `Limit::EnrolmentKeyFailures`): once they are used up, the run refuses
/// every key with 429, the right one too, until the window has moved on. Only wrong
/// keys count.
pub async fn self_enrol_limited(
    state: &AppState,
    user: User,
    run_id: RunId,
    key: Option<String>,
) -> AppResult<EnrolmentRow> {
    let attempt = state
        .begin_attempt(vec![(Limit::EnrolmentKeyFailures, format!("{}:{run_id}", user.id))])
        .await?;
    let mail = state.mail.clone();
    let outcome = state
        .db(move |conn| self_enrol(conn, &mail, &user, run_id, key.as_deref(), Utc::now().date_naive()))
        .await;
    if !matches!(outcome, Err(AppError::BadRequest(KEY_WRONG))) {
        state.attempt_succeeded(attempt).await?;
    }
    outcome
}

fn find_enrolment(conn: &mut DbConnection, id: EnrolmentId) -> AppResult<Option<EnrolmentRow>> {
    Ok(enrolments::table
        .find(id)
        .select(EnrolmentRow::as_select())
        .first(conn)
        .optional()?)
}

/// A coordinator approves a request: a place if one is free, else the waitlist.
pub fn approve(
    conn: &mut DbConnection,
    mail: &MailSettings,
    manager: &User,
    enrolment_id: EnrolmentId,
) -> AppResult<EnrolmentRow> {
    let enrolment = find_enrolment(conn, enrolment_id)?.ok_or(AppError::NotFound)?;
    let run = find_run_for_manager(conn, manager, enrolment.run_id)?;
    db::write_transaction(conn, |conn| {
        lock_run(conn, run.id)?;
        let current = find_enrolment(conn, enrolment_id)?.ok_or(AppError::NotFound)?;
        if current.status != Status::Requested {
            return Err(AppError::Conflict("runs.not_requested"));
        }
        let status = place_status(conn, &run)?;
        let row = set_status(conn, &current, status, Some(manager.id), None)?;
        if let Some(kind) = kind_for(status) {
            notify(conn, mail, &run, current.user_id, kind, None)?;
        }
        Ok(row)
    })
}

/// A coordinator rejects a request or a waitlisted learner, with a reason.
pub fn reject(
    conn: &mut DbConnection,
    mail: &MailSettings,
    manager: &User,
    enrolment_id: EnrolmentId,
    reason: &str,
) -> AppResult<EnrolmentRow> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 1000 {
        return Err(AppError::BadRequest("runs.reason_missing"));
    }
    // The API takes any JSON string: a NUL or escape sequence in a reason that is
    // shown and mailed is refused, as it is in forms.
    if reason.chars().any(crate::validation::is_forbidden_control) {
        return Err(AppError::BadRequest("validation.control_characters"));
    }
    let enrolment = find_enrolment(conn, enrolment_id)?.ok_or(AppError::NotFound)?;
    let run = find_run_for_manager(conn, manager, enrolment.run_id)?;
    db::write_transaction(conn, |conn| {
        lock_run(conn, run.id)?;
        let current = find_enrolment(conn, enrolment_id)?.ok_or(AppError::NotFound)?;
        if !matches!(current.status, Status::Requested | Status::Waitlisted) {
            return Err(AppError::Conflict("runs.cannot_reject"));
        }
        let row = set_status(conn, &current, Status::Rejected, Some(manager.id), Some(reason))?;
        notify(
            conn,
            mail,
            &run,
            current.user_id,
            mail::Kind::EnrolmentRejected,
            Some(reason),
        )?;
        Ok(row)
    })
}

/// The learner leaves the run; a place they held goes to the first in line.
pub fn withdraw(
    conn: &mut DbConnection,
    mail: &MailSettings,
    user: &User,
    enrolment_id: EnrolmentId,
) -> AppResult<EnrolmentRow> {
    let enrolment = find_enrolment(conn, enrolment_id)?
        .filter(|e| e.user_id == user.id)
        .ok_or(AppError::NotFound)?;
    let run = find_run(conn, enrolment.run_id)?.ok_or(AppError::NotFound)?;
    db::write_transaction(conn, |conn| {
        lock_run(conn, run.id)?;
        let current = find_enrolment(conn, enrolment_id)?.ok_or(AppError::NotFound)?;
        if !current.status.is_active() {
            return Err(AppError::Conflict("runs.cannot_withdraw"));
        }
        let row = set_status(conn, &current, Status::Withdrawn, Some(user.id), None)?;
        promote_waitlisted(conn, mail, &run)?;
        Ok(row)
    })
}

/// A coordinator enrols someone they manage directly (bulk upload): a place if one
/// is free, else the waitlist. An active enrolment is left as it is.
pub fn enrol_by_manager(
    conn: &mut DbConnection,
    mail: &MailSettings,
    manager: &User,
    run: &RunRow,
    user_id: UserId,
) -> AppResult<EnrolmentRow> {
    lock_run(conn, run.id)?;
    if let Some(current) = existing(conn, run.id, user_id)? {
        if current.status.is_active() || current.status == Status::Completed {
            return Ok(current);
        }
    }
    let status = place_status(conn, run)?;
    let row = put(
        conn,
        run,
        user_id,
        status,
        manager.id,
        Some("enrolled by a coordinator"),
    )?;
    if let Some(kind) = kind_for(status) {
        notify(conn, mail, run, user_id, kind, None)?;
    }
    Ok(row)
}

/// A coordinator invites someone they do not manage (bulk upload): an invitation
/// that holds no place and gives no access until the person accepts it, announced by
/// mail. In the caller's transaction, with the run locked. An enrolment that holds or
/// waits for a place, a completed one, a pending invitation and a declined one are
/// left as they are: a person who said no is not asked again by the same file.
pub fn invite(
    conn: &mut DbConnection,
    mail: &MailSettings,
    manager: &User,
    run: &RunRow,
    user_id: UserId,
) -> AppResult<EnrolmentRow> {
    lock_run(conn, run.id)?;
    if let Some(current) = existing(conn, run.id, user_id)? {
        if current.status.is_active()
            || matches!(current.status, Status::Completed | Status::Invited | Status::Declined)
        {
            return Ok(current);
        }
    }
    let row = put(
        conn,
        run,
        user_id,
        Status::Invited,
        manager.id,
        Some("invited by a coordinator"),
    )?;
    notify_invited(conn, mail, run, user_id)?;
    Ok(row)
}

/// The invited person's pending invitation, with its run; another person's
/// enrolment is a 404, and an enrolment that is not a pending invitation a 409.
fn invitation_of(conn: &mut DbConnection, user: &User, enrolment_id: EnrolmentId) -> AppResult<(EnrolmentRow, RunRow)> {
    let enrolment = find_enrolment(conn, enrolment_id)?
        .filter(|e| e.user_id == user.id)
        .ok_or(AppError::NotFound)?;
    if enrolment.status != Status::Invited {
        return Err(AppError::Conflict("runs.not_invited"));
    }
    let run = find_run(conn, enrolment.run_id)?.ok_or(AppError::NotFound)?;
    Ok((enrolment, run))
}

/// The invited person accepts: a place if one is free, else the waitlist, as if a
/// coordinator of the run had enrolled them. Only then may they study.
pub fn accept(
    conn: &mut DbConnection,
    mail: &MailSettings,
    user: &User,
    enrolment_id: EnrolmentId,
) -> AppResult<EnrolmentRow> {
    let (_, run) = invitation_of(conn, user, enrolment_id)?;
    db::write_transaction(conn, |conn| {
        lock_run(conn, run.id)?;
        let (current, _) = invitation_of(conn, user, enrolment_id)?;
        let status = place_status(conn, &run)?;
        let row = set_status(conn, &current, status, Some(user.id), Some("accepted the invitation"))?;
        if let Some(kind) = kind_for(status) {
            notify(conn, mail, &run, user.id, kind, None)?;
        }
        Ok(row)
    })
}

/// The invited person declines; the invitation is kept as declined, so the same
/// file uploaded again does not invite them again.
pub fn decline(conn: &mut DbConnection, user: &User, enrolment_id: EnrolmentId) -> AppResult<EnrolmentRow> {
    let (_, run) = invitation_of(conn, user, enrolment_id)?;
    db::write_transaction(conn, |conn| {
        lock_run(conn, run.id)?;
        let (current, _) = invitation_of(conn, user, enrolment_id)?;
        set_status(
            conn,
            &current,
            Status::Declined,
            Some(user.id),
            Some("declined the invitation"),
        )
    })
}

/// Marks a learner's enrolment in a run completed, when they complete its course.
pub fn mark_completed(conn: &mut DbConnection, run_id: RunId, user_id: UserId) -> AppResult<()> {
    if let Some(current) = existing(conn, run_id, user_id)? {
        if current.status == Status::Enrolled {
            set_status(conn, &current, Status::Completed, None, Some("course completed"))?;
        }
    }
    Ok(())
}

/// Notes study activity in a course on the learner's enrolments in its runs; reports
/// read it to tell active learners from stalled ones.
pub fn record_activity(conn: &mut DbConnection, user_id: UserId, course_id: &str, now: NaiveDateTime) -> AppResult<()> {
    let runs_of_course = course_runs::table
        .filter(course_runs::course_id.eq(course_id))
        .select(course_runs::id);
    diesel::update(
        enrolments::table
            .filter(enrolments::user_id.eq(user_id))
            .filter(enrolments::run_id.eq_any(runs_of_course)),
    )
    .set(enrolments::last_activity_at.eq(now))
    .execute(conn)?;
    Ok(())
}

/// A learner's enrolments, the latest first.
pub fn enrolments_of_user(conn: &mut DbConnection, user_id: UserId) -> AppResult<Vec<EnrolmentRow>> {
    Ok(enrolments::table
        .filter(enrolments::user_id.eq(user_id))
        .order(enrolments::id.desc())
        .select(EnrolmentRow::as_select())
        .load(conn)?)
}

/// The run of the user's latest enrolment that holds, waits for or asks them to
/// answer about a place: the run an invitation to set a password was sent for.
pub fn latest_open_enrolment_run(conn: &mut DbConnection, user_id: UserId) -> AppResult<Option<RunId>> {
    Ok(enrolments_of_user(conn, user_id)?
        .into_iter()
        .find(|e| e.status.is_active() || e.status == Status::Invited)
        .map(|e| e.run_id))
}

/// A run's enrolments with their learners, grouped by status and the longest waiting
/// first.
pub fn enrolments_of_run(conn: &mut DbConnection, run_id: RunId) -> AppResult<Vec<EnrolmentOfRun>> {
    Ok(enrolments::table
        .inner_join(users::table)
        .filter(enrolments::run_id.eq(run_id))
        .order((enrolments::status.asc(), enrolments::updated_at.asc()))
        .select((EnrolmentRow::as_select(), users::name, users::email))
        .load(conn)?)
}

/// Learners admitted to a run, by name: the people its trainers keep a register of.
pub fn admitted_learners(conn: &mut DbConnection, run_id: RunId) -> AppResult<Vec<Person>> {
    Ok(enrolments::table
        .inner_join(users::table)
        .filter(enrolments::run_id.eq(run_id))
        .filter(enrolments::status.eq_any(ADMITTED))
        .order((users::name.asc(), users::id.asc()))
        .select((users::id, users::name, users::email))
        .load(conn)?)
}
