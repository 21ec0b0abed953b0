//! The daily authoring digest: once a day, from 03:00 UTC (or the mail worker's first
//! tick after it), each trainer gets one email in their own language listing the
//! sections that wait for them: outdated or "law changed" sections of texts they may
//! edit (translations in their languages, adaptations for their country) and sections
//! in review they may approve (not their own edits). Someone with nothing to do gets
//! nothing.
//!
//! A section with work under way (a draft, or an edit in review) is not listed as
//! outdated or "law changed": that work is where it is being dealt with. Each item is
//! named by the section's heading, its module and its language.
//!
//! The day is claimed in the settings table (`authoring_digest_day`) by an insert that
//! ignores a row already there and a conditional update, so of several instances
//! sharing a database exactly one sends it, even on the very first day; each message
//! also has a dedupe key per day and recipient.

use chrono::{NaiveDateTime, Timelike};
use diesel::prelude::*;

use super::access::Author;
use super::lineage::{Amendments, ModuleTexts};
use super::model::{CellKey, Freshness, State};
use super::store;
use super::views::{heading_of, TextName};
use crate::accounts::model::{Role, User};
use crate::db::schema::{settings, users};
use crate::db::{self, DbConnection};
use crate::error::{AppError, AppResult};
use crate::i18n::{self, Locale};
use crate::mail::{Email, Kind, MailSettings};

/// The settings row that holds the last day a digest was sent (`YYYY-MM-DD`).
pub const DAY_SETTING: &str = "authoring_digest_day";
/// The hour (UTC) from which the day's digest is due.
pub const SEND_HOUR: u32 = 3;
/// Links listed in one message; the rest are counted and left to `/authoring`.
pub const MAX_LINKS: usize = 20;

/// Why a section is in someone's digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    Review,
    LawChanged,
    Outdated,
}

impl Reason {
    fn key(self) -> &'static str {
        match self {
            Reason::Review => "mail.authoring_digest.item_review",
            Reason::LawChanged => "mail.authoring_digest.item_law_changed",
            Reason::Outdated => "mail.authoring_digest.item_outdated",
        }
    }
}

/// A section in a digest: why, which, and its heading (from its newest text).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Item {
    pub reason: Reason,
    pub cell: CellKey,
    pub heading: String,
}

/// One trainer's digest: the sections waiting for them, most urgent first.
#[derive(Debug, Clone)]
pub struct Digest {
    pub user: User,
    pub items: Vec<Item>,
}

impl Digest {
    pub fn count(&self, reason: Reason) -> usize {
        self.items.iter().filter(|i| i.reason == reason).count()
    }
}

/// Whether the digest of `now`'s day is due, given the last day it was sent.
pub fn is_due(last_sent: Option<&str>, now: NaiveDateTime) -> bool {
    now.hour() >= SEND_HOUR && last_sent.is_none_or(|day| day < day_of(now).as_str())
}

fn day_of(now: NaiveDateTime) -> String {
    now.date().format("%Y-%m-%d").to_string()
}

/// Claims `now`'s day for this instance; `Some(previous)` when it did (to give the
/// day back should queuing fail), `None` when it is not due or another instance has
/// it. The update names the value it read, so of two instances reading the same day
/// only one changes the row.
fn claim_day(conn: &mut DbConnection, now: NaiveDateTime) -> AppResult<Option<Option<String>>> {
    db::write_transaction(conn, |conn| {
        let last = db::settings::get(conn, DAY_SETTING)?;
        if !is_due(last.as_deref(), now) {
            return Ok(None);
        }
        let today = day_of(now);
        let claimed = match &last {
            Some(previous) => {
                diesel::update(
                    settings::table
                        .filter(settings::name.eq(DAY_SETTING))
                        .filter(settings::value.eq(previous)),
                )
                .set(settings::value.eq(&today))
                .execute(conn)?
                    == 1
            }
            // The first day: another instance may insert the row at the same time;
            // only the instance whose insert wrote it has the day.
            None => db::settings::set_if_absent(conn, DAY_SETTING, &today)?,
        };
        Ok(claimed.then_some(last))
    })
}

/// Every trainer's digest as things stand, leaving out those with nothing to do.
pub fn digests(conn: &mut DbConnection) -> AppResult<Vec<Digest>> {
    let trainers: Vec<User> = users::table
        .filter(users::role.eq(Role::Trainer))
        .order(users::id)
        .select(User::as_select())
        .load(conn)?;
    let mut authors = Vec::new();
    for user in trainers.into_iter().filter(|u| !crate::accounts::store::is_erased(u)) {
        authors.push(Author::load(conn, user)?);
    }
    let mut digests: Vec<Digest> = authors
        .iter()
        .map(|a| Digest {
            user: a.user.clone(),
            items: Vec::new(),
        })
        .collect();
    if authors.is_empty() {
        return Ok(digests);
    }
    let amendments = Amendments::load(conn)?;
    for course in store::courses_with_cells(conn)? {
        let mut modules: Vec<String> = store::sources_of_course(conn, &course)?
            .into_iter()
            .map(|s| s.module_id)
            .collect();
        modules.sort();
        modules.dedup();
        for module in modules {
            let texts = ModuleTexts::load(conn, &course, &module)?;
            for (cell, history) in &texts.cells {
                let Some(latest) = history.latest() else { continue };
                if history.live_text().is_none() && latest.state == State::Approved {
                    continue; // a dropped or removed section
                }
                let is_base = texts.is_base(&cell.text);
                // Work under way (a draft, an edit in review) is already dealing with it.
                let under_way = matches!(latest.state, State::Draft | State::InReview);
                let stale = match texts.freshness(cell, &amendments) {
                    _ if under_way => None,
                    Freshness::Outdated => Some(Reason::Outdated),
                    Freshness::LawChanged => Some(Reason::LawChanged),
                    _ => None,
                };
                let item = |reason| Item {
                    reason,
                    cell: cell.clone(),
                    heading: heading_of(&latest.markdown, &cell.section),
                };
                for (author, digest) in authors.iter().zip(digests.iter_mut()) {
                    if let Some(reason) = stale {
                        if author.may_edit(&cell.text, is_base) {
                            digest.items.push(item(reason));
                        }
                    }
                    if latest.state == State::InReview
                        && latest.author_id != Some(author.user.id)
                        && author.may_approve(&cell.text, is_base)
                    {
                        digest.items.push(item(Reason::Review));
                    }
                }
            }
        }
    }
    digests.retain(|d| !d.items.is_empty());
    for digest in &mut digests {
        digest.items.sort();
    }
    Ok(digests)
}

/// The message of one digest.
pub fn email_of(digest: &Digest, mail: &MailSettings, now: NaiveDateTime) -> Email {
    let locale: Locale = digest.user.locale;
    let lines: Vec<String> = digest
        .items
        .iter()
        .take(MAX_LINKS)
        .map(|item| {
            // The heading, then the module and the text's language (and country).
            let name = TextName::of(&item.cell.text, locale);
            let mut text = name.language.to_owned();
            if !name.country_name.is_empty() {
                text = format!("{text}, {}", name.country_name);
            }
            let where_ = format!("{} — {} ({text})", item.heading, item.cell.text.module);
            let label = i18n::t_with(locale, item.reason.key(), &[("section", &where_)]);
            format!("{label}\t{}", mail.link(&item.cell.editor_path(), locale))
        })
        .collect();
    let more = digest.items.len().saturating_sub(MAX_LINKS);
    Email {
        to: digest.user.email.clone(),
        name: digest.user.name.clone(),
        locale,
        kind: Kind::AuthoringDigest,
        args: vec![
            ("outdated", digest.count(Reason::Outdated).to_string()),
            ("law_changed", digest.count(Reason::LawChanged).to_string()),
            ("review", digest.count(Reason::Review).to_string()),
            ("total", digest.items.len().to_string()),
            ("items", lines.join("\n")),
            (
                "more_text",
                if more == 0 {
                    String::new()
                } else {
                    i18n::t_with(locale, "mail.authoring_digest.more", &[("more", &more.to_string())])
                },
            ),
            ("more_link", mail.link("/authoring", locale)),
        ],
        link: Some(mail.link("/authoring", locale)),
        dedupe_key: Some(format!("authoring-digest-{}-{}", day_of(now), digest.user.id.get())),
    }
}

/// Queues the day's digests when they are due and no other instance has; answers how
/// many were queued. The mail worker calls it on every tick with the time.
pub fn queue_daily(conn: &mut DbConnection, mail: &MailSettings, now: NaiveDateTime) -> AppResult<usize> {
    let Some(previous) = claim_day(conn, now)? else {
        return Ok(0);
    };
    let queued = db::write_transaction(conn, |conn| -> AppResult<usize> {
        let digests = digests(conn)?;
        for digest in &digests {
            mail.queue(conn, &email_of(digest, mail, now))?;
        }
        Ok(digests.len())
    });
    if queued.is_err() {
        // Give the day back, so that a later tick tries again.
        let today = day_of(now);
        db::write_transaction(conn, |conn| -> Result<(), AppError> {
            let rows = settings::table
                .filter(settings::name.eq(DAY_SETTING))
                .filter(settings::value.eq(&today));
            match &previous {
                Some(value) => diesel::update(rows).set(settings::value.eq(value)).execute(conn)?,
                None => diesel::delete(rows).execute(conn)?,
            };
            Ok(())
        })?;
    }
    queued
}
