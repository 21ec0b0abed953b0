//! The mail enrolment sends: a learner's new status, and "starting soon" reminders.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::{RunRow, Status};
use crate::accounts::model::{User, UserId};
use crate::accounts::store as user_store;
use crate::db::schema::{course_runs, enrolments};
use crate::db::{self, DbConnection};
use crate::error::{AppError, AppResult};
use crate::i18n;
use crate::mail::{self, Email, MailSettings};

/// A message about `run` to one learner, in their language: it names the course and
/// its first day, and whatever `args` add.
struct RunMessage<'a> {
    run: &'a RunRow,
    kind: mail::Kind,
    args: Vec<(&'static str, String)>,
    /// The page the message links to; the link carries the learner's language.
    path: String,
    dedupe_key: Option<String>,
}

fn queue_to(conn: &mut DbConnection, mail: &MailSettings, user: &User, message: RunMessage) -> AppResult<()> {
    let course = crate::courses::reading::course_title(conn, &message.run.course_id, user.locale)?;
    let mut args = vec![
        ("course", course),
        ("starts", i18n::format_date(user.locale, message.run.starts_on)),
    ];
    args.extend(message.args);
    mail.queue(
        conn,
        &Email {
            args,
            dedupe_key: message.dedupe_key,
            ..Email::to_user(user, message.kind, mail.link(&message.path, user.locale))
        },
    )
}

/// The message that announces an enrolment's new status, if the status has one.
pub(super) fn kind_for(status: Status) -> Option<mail::Kind> {
    match status {
        Status::Requested => Some(mail::Kind::EnrolmentRequested),
        Status::Enrolled => Some(mail::Kind::EnrolmentApproved),
        Status::Waitlisted => Some(mail::Kind::EnrolmentWaitlisted),
        Status::Rejected => Some(mail::Kind::EnrolmentRejected),
        _ => None,
    }
}

/// Queues the message announcing an enrolment's new status to its learner.
pub(super) fn notify(
    conn: &mut DbConnection,
    mail: &MailSettings,
    run: &RunRow,
    user_id: UserId,
    kind: mail::Kind,
    reason: Option<&str>,
) -> AppResult<()> {
    let Some(user) = user_store::find(conn, user_id)? else {
        return Ok(());
    };
    let message = RunMessage {
        run,
        kind,
        args: reason.map(|reason| ("reason", reason.to_owned())).into_iter().collect(),
        path: format!("/runs/{}", run.id),
        dedupe_key: None,
    };
    queue_to(conn, mail, &user, message)
}

/// Queues the invitation to join `run` to the person invited: it names the inviting
/// institution and links to the run's page, where they accept or decline.
pub(super) fn notify_invited(
    conn: &mut DbConnection,
    mail: &MailSettings,
    run: &RunRow,
    user_id: UserId,
) -> AppResult<()> {
    let Some(user) = user_store::find(conn, user_id)? else {
        return Ok(());
    };
    let institution = crate::institutions::find(conn, run.institution_id)?
        .map(|i| i.name)
        .unwrap_or_default();
    let message = RunMessage {
        run,
        kind: mail::Kind::EnrolmentInvited,
        args: vec![("institution", institution)],
        path: format!("/runs/{}", run.id),
        dedupe_key: None,
    };
    queue_to(conn, mail, &user, message)
}

/// Queues "starting soon" reminders for runs starting within three days, once per
/// run and learner.
pub fn queue_start_reminders(conn: &mut DbConnection, mail: &MailSettings, now: NaiveDateTime) -> AppResult<usize> {
    let today = now.date();
    let soon = today + chrono::Duration::days(3);
    let runs: Vec<RunRow> = course_runs::table
        .filter(course_runs::reminder_sent_at.is_null())
        .filter(course_runs::starts_on.ge(today))
        .filter(course_runs::starts_on.le(soon))
        .select(RunRow::as_select())
        .load(conn)?;
    let mut queued = 0;
    for run in runs {
        db::write_transaction(conn, |conn| -> Result<(), AppError> {
            let learners: Vec<UserId> = enrolments::table
                .filter(enrolments::run_id.eq(run.id))
                .filter(enrolments::status.eq(Status::Enrolled))
                .select(enrolments::user_id)
                .load(conn)?;
            for user_id in learners {
                let Some(user) = user_store::find(conn, user_id)? else {
                    continue;
                };
                let message = RunMessage {
                    run: &run,
                    kind: mail::Kind::RunStartingSoon,
                    args: Vec::new(),
                    path: format!("/courses/{}", run.course_id),
                    dedupe_key: Some(format!("run-{}-start-{}", run.id, user.id)),
                };
                queue_to(conn, mail, &user, message)?;
                queued += 1;
            }
            diesel::update(course_runs::table.find(run.id))
                .set(course_runs::reminder_sent_at.eq(now))
                .execute(conn)?;
            Ok(())
        })?;
    }
    Ok(queued)
}
