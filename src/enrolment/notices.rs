//! The mail enrolment sends: a learner's new status, and "starting soon" reminders.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::{RunRow, Status};
use crate::accounts::model::UserId;
use crate::accounts::store as user_store;
use crate::db::schema::{course_runs, enrolments};
use crate::db::{self, DbConnection};
use crate::error::{AppError, AppResult};
use crate::i18n::{self, Locale};
use crate::mail::{self, Email, MailSettings};

fn run_title(conn: &mut DbConnection, run: &RunRow, locale: Locale) -> AppResult<String> {
    crate::courses::reading::course_title(conn, &run.course_id, locale)
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
    let course = run_title(conn, run, user.locale)?;
    let mut args = vec![
        ("course", course),
        ("starts", i18n::format_date(user.locale, run.starts_on)),
    ];
    if let Some(reason) = reason {
        args.push(("reason", reason.to_owned()));
    }
    mail.queue(
        conn,
        &Email {
            to: user.email.clone(),
            name: user.name.clone(),
            locale: user.locale,
            kind,
            args,
            link: Some(mail.link(&format!("/runs/{}", run.id))),
            dedupe_key: None,
        },
    )
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
                let course = run_title(conn, &run, user.locale)?;
                mail.queue(
                    conn,
                    &Email {
                        to: user.email.clone(),
                        name: user.name.clone(),
                        locale: user.locale,
                        kind: mail::Kind::RunStartingSoon,
                        args: vec![
                            ("course", course),
                            ("starts", i18n::format_date(user.locale, run.starts_on)),
                        ],
                        link: Some(mail.link(&format!("/courses/{}", run.course_id))),
                        dedupe_key: Some(format!("run-{}-start-{}", run.id, user.id)),
                    },
                )?;
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
