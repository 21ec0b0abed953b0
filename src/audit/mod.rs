//! The audit log: an append-only record of every privileged action — who did what to
//! which record, and when. Capabilities record their actions inside the transaction
//! that makes the change, so an action is logged exactly when it happened. Details
//! hold ids and values, never names or addresses, so that erasing a person's personal
//! data leaves the log whole; the database refuses to change or delete a row.

pub mod web;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::accounts::model::UserId;
use crate::db::schema::audit_events;
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};

crate::text_enum!(Action {
    RoleChanged => "role_changed",
    EnrolmentDecided => "enrolment_decided",
    EssayGraded => "essay_graded",
    EssayRegraded => "essay_regraded",
    CertificateIssued => "certificate_issued",
    CertificateRevoked => "certificate_revoked",
    CoursePublished => "course_published",
    PersonalDataErased => "personal_data_erased",
    TwoFactorChanged => "two_factor_changed",
    SectionApproved => "section_approved",
    SectionConfirmed => "section_confirmed",
    SectionRebased => "section_rebased",
    LawChanged => "law_changed",
    LawAmended => "law_amended",
    GlossaryChanged => "glossary_changed",
    LanguagesChanged => "languages_changed",
    InstitutionChanged => "institution_changed",

    UserInvited => "user_invited",
});

/// One privileged action about to be recorded.
pub struct Entry {
    /// Who acted; `None` for the system itself (the command line, the mail worker).
    pub actor: Option<UserId>,
    pub action: Action,
    /// The record acted on, as `kind:id` (`attempt:12/essay-1`, `user:5`, `run:3`).
    pub subject: String,
    /// What changed: ids and values, never names or addresses.
    pub details: serde_json::Value,
}

/// Appends the entry; call it inside the transaction that makes the change.
pub fn record(conn: &mut DbConnection, entry: Entry, now: NaiveDateTime) -> AppResult<()> {
    let details = serde_json::to_string(&entry.details).map_err(AppError::internal)?;
    diesel::insert_into(audit_events::table)
        .values((
            audit_events::at.eq(now),
            audit_events::actor_id.eq(entry.actor),
            audit_events::action.eq(entry.action),
            audit_events::subject.eq(&entry.subject),
            audit_events::details.eq(details),
        ))
        .execute(conn)?;
    Ok(())
}

/// One recorded action, as the log shows it.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = audit_events)]
pub struct Event {
    pub id: i64,
    pub at: NaiveDateTime,
    pub actor_id: Option<UserId>,
    pub action: Action,
    pub subject: String,
    pub details: String,
}

/// Which events to list: all of them, or one action's, or one actor's.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub action: Option<Action>,
    pub actor: Option<UserId>,
    /// Only events before this one (by id): the next page of a long log.
    pub before: Option<i64>,
}

/// The latest events that match, newest first, at most `limit`.
pub fn events(conn: &mut DbConnection, filter: &Filter, limit: i64) -> AppResult<Vec<Event>> {
    let mut query = audit_events::table.select(Event::as_select()).into_boxed();
    if let Some(action) = filter.action {
        query = query.filter(audit_events::action.eq(action));
    }
    if let Some(actor) = filter.actor {
        query = query.filter(audit_events::actor_id.eq(actor));
    }
    if let Some(before) = filter.before {
        query = query.filter(audit_events::id.lt(before));
    }
    Ok(query.order(audit_events::id.desc()).limit(limit).load(conn)?)
}
