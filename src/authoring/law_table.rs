//! The law tables edited in the browser: a change to an entry is proposed and approved
//! by a second person, like a section; marking an entry amended or repealed takes
//! effect at once, since it only flags the sections that cite it for review.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::access::{same_country, Author};
use super::model::State;
use super::workflow::{checked_comment, locked};
use crate::accounts::model::{Role, UserId};
use crate::audit;
use crate::courses::format::{self, LawEntry, COUNTRIES};
use crate::db::schema::{law_entries, law_revisions};
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::validation::{is_bidi_control, is_forbidden_control, FieldErrors};

crate::text_enum!(LawStatus {
    InForce => "in_force",
    Amended => "amended",
    Repealed => "repealed",
});

/// A proposed entry as the API and the editor send it.
#[derive(Debug, Clone, Deserialize)]
pub struct EntryInput {
    #[serde(default)]
    pub article: String,
    /// The code's name per language; a single string names it in every language the
    /// entry's title has.
    #[serde(default)]
    pub code: CodeInput,
    #[serde(default)]
    pub title: BTreeMap<String, String>,
    #[serde(default)]
    pub note: BTreeMap<String, String>,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub verified: bool,
    /// Why the change is proposed, for the reviewer.
    #[serde(default)]
    pub comment: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum CodeInput {
    PerLanguage(BTreeMap<String, String>),
    Same(String),
}

impl Default for CodeInput {
    fn default() -> Self {
        CodeInput::PerLanguage(BTreeMap::new())
    }
}

const MAX_FIELD_CHARS: usize = 1_000;

fn one_line_ok(text: &str) -> bool {
    !text.chars().any(|c| c.is_control() || is_bidi_control(c)) && text.chars().count() <= MAX_FIELD_CHARS
}

/// Checks an entry: the article a short line, every text in a known language and
/// without control characters, a title in English or Russian, an http(s) source.
pub fn checked_entry(input: EntryInput) -> AppResult<LawEntry> {
    let mut errors = FieldErrors::new();
    let article = input.article.trim().to_owned();
    if article.chars().count() > 40 || !one_line_ok(&article) {
        errors.add("article", "law_editor.article_invalid");
    }
    let title: BTreeMap<String, String> = input
        .title
        .into_iter()
        .map(|(l, t)| (l, t.trim().to_owned()))
        .filter(|(_, t)| !t.is_empty())
        .collect();
    let code = match input.code {
        CodeInput::PerLanguage(map) => map,
        CodeInput::Same(name) => title.keys().map(|l| (l.clone(), name.clone())).collect(),
    };
    let code: BTreeMap<String, String> = code
        .into_iter()
        .map(|(l, t)| (l, t.trim().to_owned()))
        .filter(|(_, t)| !t.is_empty())
        .collect();
    let note: BTreeMap<String, String> = input
        .note
        .into_iter()
        .map(|(l, t)| (l, t.trim().to_owned()))
        .filter(|(_, t)| !t.is_empty())
        .collect();
    for (field, table) in [("code", &code), ("title", &title), ("note", &note)] {
        if table.keys().any(|l| !format::is_language(l)) {
            errors.add(field, "law_editor.unknown_language");
        } else if table.values().any(|t| !one_line_ok(t)) {
            errors.add(field, "validation.control_characters");
        }
    }
    if !title.contains_key("en") && !title.contains_key("ru") {
        errors.add("title", "law_editor.title_needs_en_or_ru");
    }
    let source = input.source.trim().to_owned();
    let lower = source.to_ascii_lowercase();
    if !(lower.starts_with("https://") || lower.starts_with("http://")) || !one_line_ok(&source) || source.contains(' ')
    {
        errors.add("source", "law_editor.source_invalid");
    }
    errors.check(LawEntry {
        article,
        source,
        verified: input.verified,
        status: None,
        effective: None,
        amendment_note: None,
        code,
        title,
        note,
    })
}

/// Whether someone may propose changes to, or mark amendments of, a country's table.
pub fn may_edit(author: &Author, country: &str) -> bool {
    match author.user.role {
        Role::Admin => true,
        Role::Trainer => author.user.country.is_some_and(|c| same_country(c, country)),
        _ => false,
    }
}

/// Whether someone may approve a change (the four-eyes rule aside).
pub fn may_approve(author: &Author, country: &str) -> bool {
    may_edit(author, country)
        || (author.user.role == Role::Coordinator
            && author.institution_country.is_some_and(|c| same_country(c, country)))
}

pub fn checked_country(code: &str) -> AppResult<String> {
    let lower = code.trim().to_ascii_lowercase();
    if COUNTRIES.contains(&lower.as_str()) {
        Ok(lower)
    } else {
        Err(AppError::NotFound)
    }
}

/// The address of the page that adds a concept (`/authoring/law/<cc>/new`), which
/// takes precedence over an entry of that name: such an entry could never be opened.
pub const NEW_CONCEPT_PAGE: &str = "new";

/// A concept id: a malformed one is not found; `new` is refused with a message, since
/// its page would be the new-concept page.
pub fn checked_concept(concept: &str) -> AppResult<String> {
    if concept == NEW_CONCEPT_PAGE {
        Err(FieldErrors::one("concept", "law_editor.concept_reserved").into())
    } else if crate::courses::sections::is_valid_written_id(concept) && concept.len() <= 100 {
        Ok(concept.to_owned())
    } else {
        Err(AppError::NotFound)
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = law_revisions)]
pub struct LawRevision {
    pub id: i64,
    pub country: String,
    pub concept: String,
    pub revision: i32,
    /// The proposed entry as JSON (the `_law/<cc>.toml` fields).
    pub entry: String,
    pub state: State,
    pub origin: super::model::Origin,
    pub author_id: Option<UserId>,
    pub comment: String,
    pub created_at: NaiveDateTime,
    pub reviewed_by: Option<UserId>,
    pub reviewed_at: Option<NaiveDateTime>,
    pub review_comment: String,
}

impl LawRevision {
    pub fn proposed(&self) -> Option<LawEntry> {
        serde_json::from_str(&self.entry).ok()
    }
}

#[allow(clippy::too_many_arguments)]
fn insert_revision(
    conn: &mut DbConnection,
    country: &str,
    concept: &str,
    entry: &LawEntry,
    origin: super::model::Origin,
    author: Option<UserId>,
    comment: &str,
    now: NaiveDateTime,
) -> AppResult<i32> {
    let last: Option<i32> = law_revisions::table
        .filter(law_revisions::country.eq(country))
        .filter(law_revisions::concept.eq(concept))
        .select(diesel::dsl::max(law_revisions::revision))
        .first(conn)?;
    let revision = last.unwrap_or(0) + 1;
    let entry = serde_json::to_string(entry).map_err(AppError::internal)?;
    diesel::insert_into(law_revisions::table)
        .values((
            law_revisions::country.eq(country),
            law_revisions::concept.eq(concept),
            law_revisions::revision.eq(revision),
            law_revisions::entry.eq(entry),
            law_revisions::state.eq(State::InReview),
            law_revisions::origin.eq(origin),
            law_revisions::author_id.eq(author),
            law_revisions::comment.eq(comment),
            law_revisions::created_at.eq(now),
            law_revisions::review_comment.eq(""),
        ))
        .execute(conn)?;
    Ok(revision)
}

/// An entry changed in the files after it was edited in the browser: proposed for
/// review instead of replacing the browser's version.
pub fn propose_from_files(
    conn: &mut DbConnection,
    country: &str,
    concept: &str,
    entry: &LawEntry,
    now: NaiveDateTime,
) -> AppResult<()> {
    insert_revision(
        conn,
        country,
        concept,
        entry,
        super::model::Origin::File,
        None,
        // No stored words: pages name the origin (course files) in the reader's language.
        "",
        now,
    )?;
    Ok(())
}

/// The date from which an entry's wording applies now, as a proposal carries it: the
/// API's proposals have no date of their own and keep the entry's.
pub fn effective_now(conn: &mut DbConnection, country: &str, concept: &str) -> AppResult<Option<String>> {
    let effective: Option<Option<NaiveDate>> = law_entries::table
        .find((country, concept))
        .select(law_entries::effective)
        .first(conn)
        .optional()?;
    Ok(effective.flatten().map(|d| d.format("%Y-%m-%d").to_string()))
}

/// `PUT /api/v1/law/<cc>/<concept>`: proposes a new version of an entry (or a new
/// entry) for review; answers the revision number.
pub fn propose(
    conn: &mut DbConnection,
    author: &Author,
    country: &str,
    concept: &str,
    entry: &LawEntry,
    comment: &str,
) -> AppResult<i32> {
    if !may_edit(author, country) {
        return Err(AppError::Forbidden);
    }
    let comment = checked_comment(comment, false)?;
    locked(conn, |conn| {
        insert_revision(
            conn,
            country,
            concept,
            entry,
            super::model::Origin::Browser,
            Some(author.user.id),
            &comment,
            Utc::now().naive_utc(),
        )
    })
}

fn latest_in_review(conn: &mut DbConnection, country: &str, concept: &str) -> AppResult<LawRevision> {
    let latest: Option<LawRevision> = law_revisions::table
        .filter(law_revisions::country.eq(country))
        .filter(law_revisions::concept.eq(concept))
        .order(law_revisions::revision.desc())
        .select(LawRevision::as_select())
        .first(conn)
        .optional()?;
    latest
        .filter(|r| r.state == State::InReview)
        .ok_or(AppError::Conflict("authoring.nothing_in_review"))
}

/// Approves the proposed version of an entry; it replaces the entry at once on every
/// page that cites it. Refused to its author (four eyes).
pub fn approve(conn: &mut DbConnection, author: &Author, country: &str, concept: &str) -> AppResult<()> {
    if !may_approve(author, country) {
        return Err(AppError::Forbidden);
    }
    locked(conn, |conn| {
        let pending = latest_in_review(conn, country, concept)?;
        if pending.author_id == Some(author.user.id) {
            return Err(AppError::Forbidden);
        }
        let entry = pending
            .proposed()
            .ok_or_else(|| AppError::internal("unreadable law revision"))?;
        let now = Utc::now().naive_utc();
        diesel::update(law_revisions::table.find(pending.id))
            .set((
                law_revisions::state.eq(State::Approved),
                law_revisions::reviewed_by.eq(Some(author.user.id)),
                law_revisions::reviewed_at.eq(Some(now)),
            ))
            .execute(conn)?;
        // A proposal may name the date its wording took effect (the editor's form).
        let effective = entry
            .effective
            .as_deref()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
        let json = |v: &BTreeMap<String, String>| serde_json::to_string(v).unwrap_or_else(|_| "{}".into());
        let before: Option<(bool, String, String)> = law_entries::table
            .find((country, concept))
            .select((law_entries::verified, law_entries::article, law_entries::titles))
            .first(conn)
            .optional()?;
        // A browser edit marks the entry as the browser's; a proposal from the files,
        // once approved, leaves it to the files again.
        let updated_by = (pending.origin != super::model::Origin::File)
            .then_some(pending.author_id)
            .flatten();
        let (verified_by, verified_at) = if entry.verified {
            (pending.author_id.or(Some(author.user.id)), Some(now))
        } else {
            (None, None)
        };
        let values = (
            law_entries::article.eq(&entry.article),
            law_entries::codes.eq(json(&entry.code)),
            law_entries::titles.eq(json(&entry.title)),
            law_entries::notes.eq(json(&entry.note)),
            law_entries::source.eq(&entry.source),
            law_entries::verified.eq(entry.verified),
            law_entries::updated_by.eq(updated_by),
            law_entries::updated_at.eq(Some(now)),
        );
        match before {
            Some((already, article, titles)) => {
                // The proposal's date is written even when cleared: the form shows the
                // entry's date, so an empty one means the author removed it.
                diesel::update(law_entries::table.find((country, concept)))
                    .set((values, law_entries::effective.eq(effective)))
                    .execute(conn)?;
                // Who verified the entry and when stays only while it is still verified
                // and its wording (article and titles) is the one they verified; a new
                // wording is verified by this proposal or not at all.
                let old_titles: Option<BTreeMap<String, String>> = serde_json::from_str(&titles).ok();
                let same_wording = article == entry.article && old_titles.as_ref() == Some(&entry.title);
                if !(already && entry.verified && same_wording) {
                    diesel::update(law_entries::table.find((country, concept)))
                        .set((
                            law_entries::verified_by.eq(verified_by),
                            law_entries::verified_at.eq(verified_at),
                        ))
                        .execute(conn)?;
                }
            }
            None => {
                diesel::insert_into(law_entries::table)
                    .values((
                        law_entries::country.eq(country),
                        law_entries::concept.eq(concept),
                        values,
                        law_entries::verified_by.eq(verified_by),
                        law_entries::verified_at.eq(verified_at),
                        law_entries::effective.eq(effective),
                    ))
                    .execute(conn)?;
            }
        }
        audit::record(
            conn,
            audit::Entry {
                actor: Some(author.user.id),
                action: audit::Action::LawChanged,
                subject: format!("law:{country}/{concept}"),
                details: serde_json::json!({ "revision": pending.revision, "article": entry.article }),
            },
            now,
        )
    })
}

/// Sends a proposed version back with a comment (required).
pub fn request_changes(
    conn: &mut DbConnection,
    author: &Author,
    country: &str,
    concept: &str,
    comment: &str,
) -> AppResult<()> {
    if !may_approve(author, country) {
        return Err(AppError::Forbidden);
    }
    let comment = checked_comment(comment, true)?;
    locked(conn, |conn| {
        let pending = latest_in_review(conn, country, concept)?;
        diesel::update(law_revisions::table.find(pending.id))
            .set((
                law_revisions::state.eq(State::ChangesRequested),
                law_revisions::reviewed_by.eq(Some(author.user.id)),
                law_revisions::reviewed_at.eq(Some(Utc::now().naive_utc())),
                law_revisions::review_comment.eq(&comment),
            ))
            .execute(conn)?;
        Ok(())
    })
}

#[derive(Debug, Clone, Deserialize)]
pub struct AmendInput {
    pub effective: Option<String>,
    #[serde(default)]
    pub note: String,
    /// `amended` (the default) or `repealed`.
    #[serde(default)]
    pub status: Option<String>,
}

/// `POST /api/v1/law/<cc>/<concept>/amend`: records that the legislature amended (or
/// repealed) the provision from a date. Every section citing it for that country is
/// "law changed" until a trainer confirms or edits it.
pub fn amend(
    conn: &mut DbConnection,
    author: &Author,
    country: &str,
    concept: &str,
    input: &AmendInput,
) -> AppResult<()> {
    if !may_edit(author, country) {
        return Err(AppError::Forbidden);
    }
    let mut errors = FieldErrors::new();
    let effective = input
        .effective
        .as_deref()
        .and_then(|d| NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").ok())
        .filter(|d| (2000..=2100).contains(&chrono::Datelike::year(d)));
    if effective.is_none() {
        errors.add("effective", "law_editor.effective_invalid");
    }
    let status = match input.status.as_deref().map(str::trim) {
        None | Some("") | Some("amended") => LawStatus::Amended,
        Some("repealed") => LawStatus::Repealed,
        Some(_) => {
            errors.add("status", "law_editor.status_invalid");
            LawStatus::Amended
        }
    };
    let note = input.note.trim().to_owned();
    if note.chars().count() > 2_000 || note.chars().any(|c| is_forbidden_control(c) || is_bidi_control(c)) {
        errors.add("note", "validation.control_characters");
    }
    let effective = errors.check(effective)?;
    locked(conn, |conn| {
        let now = Utc::now().naive_utc();
        let updated = diesel::update(law_entries::table.find((country, concept)))
            .set((
                law_entries::status.eq(status),
                law_entries::effective.eq(effective),
                law_entries::amended_at.eq(Some(now)),
                law_entries::amendment_note.eq(&note),
                // The entry is now the browser's: the files no longer replace it.
                law_entries::updated_by.eq(Some(author.user.id)),
                law_entries::updated_at.eq(Some(now)),
            ))
            .execute(conn)?;
        if updated == 0 {
            return Err(AppError::NotFound);
        }
        audit::record(
            conn,
            audit::Entry {
                actor: Some(author.user.id),
                action: audit::Action::LawAmended,
                subject: format!("law:{country}/{concept}"),
                details: serde_json::json!({ "status": status, "effective": effective }),
            },
            now,
        )
    })
}

/// One entry of a country's table as the editor shows it.
#[derive(Debug, Clone, Serialize)]
pub struct EntryView {
    pub concept: String,
    pub article: String,
    pub code: BTreeMap<String, String>,
    pub title: BTreeMap<String, String>,
    pub note: BTreeMap<String, String>,
    pub source: String,
    pub verified: bool,
    pub verified_by: Option<UserId>,
    pub verified_at: Option<NaiveDateTime>,
    pub status: String,
    pub effective: Option<NaiveDate>,
    pub amended_at: Option<NaiveDateTime>,
    pub amendment_note: String,
    /// Whether the entry has a title in the language of the country's readers.
    pub has_national_title: bool,
    /// The newest proposal when it waits for review or for its author.
    pub pending: Option<LawRevision>,
}

type EntryRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    bool,
    Option<i64>,
    Option<NaiveDateTime>,
    String,
    Option<NaiveDate>,
    Option<NaiveDateTime>,
    String,
);

/// A country's law table with the pending proposals, by concept.
pub fn table_of(conn: &mut DbConnection, country: &str) -> AppResult<Vec<EntryView>> {
    let rows: Vec<EntryRow> = law_entries::table
        .filter(law_entries::country.eq(country))
        .order(law_entries::concept)
        .select((
            law_entries::concept,
            law_entries::article,
            law_entries::codes,
            law_entries::titles,
            law_entries::notes,
            law_entries::source,
            law_entries::verified,
            law_entries::verified_by,
            law_entries::verified_at,
            law_entries::status,
            law_entries::effective,
            law_entries::amended_at,
            law_entries::amendment_note,
        ))
        .load(conn)?;
    let revisions: Vec<LawRevision> = law_revisions::table
        .filter(law_revisions::country.eq(country))
        .order((law_revisions::concept, law_revisions::revision))
        .select(LawRevision::as_select())
        .load(conn)?;
    let national = crate::courses::law_and_glossary::national_language(country);
    let map = |text: &str| -> BTreeMap<String, String> { serde_json::from_str(text).unwrap_or_default() };
    let mut out: Vec<EntryView> = rows
        .into_iter()
        .map(|row| {
            let title = map(&row.3);
            EntryView {
                has_national_title: title.contains_key(national),
                pending: None,
                concept: row.0,
                article: row.1,
                code: map(&row.2),
                title,
                note: map(&row.4),
                source: row.5,
                verified: row.6,
                verified_by: row.7.map(UserId),
                verified_at: row.8,
                status: row.9,
                effective: row.10,
                amended_at: row.11,
                amendment_note: row.12,
            }
        })
        .collect();
    for revision in revisions {
        let waiting = revision.state.is_pending();
        if let Some(view) = out.iter_mut().find(|v| v.concept == revision.concept) {
            view.pending = waiting.then_some(revision);
        } else if waiting {
            // A new entry proposed in the browser, not yet approved.
            let proposed = revision.proposed().unwrap_or(LawEntry {
                article: String::new(),
                source: String::new(),
                verified: false,
                status: None,
                effective: None,
                amendment_note: None,
                code: BTreeMap::new(),
                title: BTreeMap::new(),
                note: BTreeMap::new(),
            });
            out.push(EntryView {
                concept: revision.concept.clone(),
                article: String::new(),
                code: BTreeMap::new(),
                title: BTreeMap::new(),
                note: BTreeMap::new(),
                source: String::new(),
                verified: false,
                verified_by: None,
                verified_at: None,
                status: "proposed".into(),
                effective: None,
                amended_at: None,
                amendment_note: String::new(),
                has_national_title: proposed.title.contains_key(national),
                pending: Some(revision),
            });
        }
    }
    Ok(out)
}
