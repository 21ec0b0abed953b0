//! The life of a section: written (draft), submitted (in review), approved or sent back
//! (changes requested); confirmed as still valid; dropped; rolled back. Every action
//! runs in one write transaction under the authoring lock (shared with the import of
//! the courses folder), so revision numbers never collide and a check and the change it
//! guards see the same rows. Learners keep reading the last approved text until a new
//! one is approved; then the module is rendered again.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use super::access::Author;
use super::checks::{self, Check, CheckInput, GlossaryTerm, TextKind};
use super::lineage::{whitespace_folded, ModuleTexts};
use super::model::{CellKey, NewRevision, Origin, State};
use super::{publish, store};
use crate::accounts::model::UserId;
use crate::audit;
use crate::courses::sections;
use crate::db::locks::{self, Lock};
use crate::db::schema::{glossary_terms, law_entries};
use crate::db::{self, DbConnection};
use crate::error::{AppError, AppResult};
use crate::i18n::Locale;
use crate::validation::{is_bidi_control, is_forbidden_control, FieldErrors};

/// Longest section accepted, in characters: far above any real section.
const MAX_SECTION_CHARS: usize = 200_000;
/// The largest request body that carries a section: its longest text in Cyrillic,
/// percent-encoded in a form (up to six bytes a letter), with room for the other
/// fields. Other forms and JSON bodies keep the application's 64 KiB.
pub const SECTION_BODY_LIMIT: usize = 2 * 1024 * 1024;
const MAX_COMMENT_CHARS: usize = 2_000;

/// Runs `work` in a write transaction holding the authoring lock.
pub fn locked<T>(conn: &mut DbConnection, work: impl FnOnce(&mut DbConnection) -> AppResult<T>) -> AppResult<T> {
    db::write_transaction(conn, |conn| {
        locks::for_transaction(conn, Lock::CourseImport)?;
        work(conn)
    })
}

/// The section Markdown as stored: one `## Heading {#id}` section whose id is the
/// section's, line endings LF, trailing spaces and blank lines removed.
pub fn normalise_section(section: &str, markdown: &str) -> AppResult<String> {
    let mut errors = FieldErrors::new();
    if markdown.chars().count() > MAX_SECTION_CHARS {
        errors.add_with(
            "markdown",
            "validation.too_long",
            vec![("max", MAX_SECTION_CHARS.to_string())],
        );
        return Err(errors.into());
    }
    if markdown.chars().any(|c| is_forbidden_control(c) || is_bidi_control(c)) {
        return Err(FieldErrors::one("markdown", "validation.control_characters").into());
    }
    let split = sections::split(markdown, 1);
    let [only] = split.sections.as_slice() else {
        let key = if split.sections.is_empty() {
            "authoring.markdown_needs_heading"
        } else {
            "authoring.markdown_one_section"
        };
        return Err(FieldErrors::one("markdown", key).into());
    };
    if !split.intro.trim().is_empty() {
        return Err(FieldErrors::one("markdown", "authoring.markdown_needs_heading").into());
    }
    if !only.explicit_id || only.id != section {
        let mut errors = FieldErrors::new();
        errors.add_with(
            "markdown",
            "authoring.section_id_mismatch",
            vec![("id", section.to_owned())],
        );
        return Err(errors.into());
    }
    Ok(only.markdown.clone())
}

/// A reviewer's or author's comment: optional unless `required`, a few lines at most.
pub fn checked_comment(comment: &str, required: bool) -> AppResult<String> {
    let comment = comment.trim();
    let mut errors = FieldErrors::new();
    if required && comment.is_empty() {
        errors.add("comment", "authoring.comment_required");
    } else if comment.chars().count() > MAX_COMMENT_CHARS {
        errors.add_with(
            "comment",
            "validation.too_long",
            vec![("max", MAX_COMMENT_CHARS.to_string())],
        );
    } else if comment.chars().any(|c| is_forbidden_control(c) || is_bidi_control(c)) {
        errors.add("comment", "validation.control_characters");
    }
    errors.check(comment.to_owned())
}

/// The module's texts, refusing a cell that does not exist and cannot be created: a
/// base or translation section must exist; an adaptation may replace any live section
/// of its language's text.
pub(crate) fn texts_for(conn: &mut DbConnection, cell: &CellKey) -> AppResult<ModuleTexts> {
    let texts = ModuleTexts::load(conn, &cell.text.course, &cell.text.module)?;
    let exists = texts.history(cell).is_some_and(|h| !h.revisions.is_empty());
    // A section not yet adapted or translated may be begun when its parent section is
    // live: a country's adaptation of any section, a translation of the base's.
    let can_begin = !texts.is_base(&cell.text)
        && texts
            .parent_cell(cell)
            .is_some_and(|parent| texts.live(&parent).is_some());
    if exists || can_begin {
        Ok(texts)
    } else {
        Err(AppError::NotFound)
    }
}

fn require_edit(author: &Author, texts: &ModuleTexts, cell: &CellKey) -> AppResult<()> {
    if author.may_edit(&cell.text, texts.is_base(&cell.text)) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// The parent's live text now: what a new revision is based on.
fn parent_now(texts: &ModuleTexts, cell: &CellKey) -> (String, String) {
    match texts.parent_cell(cell).and_then(|p| texts.live(&p).cloned()) {
        Some(parent) => (sections::fingerprint(&parent.markdown), parent.markdown),
        None => (String::new(), String::new()),
    }
}

/// `PUT`: saves a new draft revision; answers its number.
pub fn save_draft(
    conn: &mut DbConnection,
    author: &Author,
    cell: &CellKey,
    markdown: &str,
    comment: &str,
) -> AppResult<i32> {
    let markdown = normalise_section(&cell.section, markdown)?;
    let comment = checked_comment(comment, false)?;
    locked(conn, |conn| {
        let texts = texts_for(conn, cell)?;
        require_edit(author, &texts, cell)?;
        refuse_over_others_review(&texts, author, cell)?;
        if texts.source(&cell.text).is_none() {
            begin_text(conn, &texts, cell)?;
        }
        let (based_on, based_on_markdown) = parent_now(&texts, cell);
        let now = Utc::now().naive_utc();
        store::insert(
            conn,
            cell,
            NewRevision {
                markdown,
                removes: false,
                state: State::Draft,
                origin: Origin::Browser,
                based_on,
                based_on_markdown,
                author: Some(author.user.id),
                comment,
                reviewed_by: None,
            },
            now,
        )
    })
}

/// Refuses to write over an edit someone else sent for review: the reviewer would lose
/// it from the queue. The author of that edit may continue it (their new draft takes
/// it back from review).
fn refuse_over_others_review(texts: &ModuleTexts, author: &Author, cell: &CellKey) -> AppResult<()> {
    let others_in_review = texts
        .history(cell)
        .and_then(|h| h.latest())
        .is_some_and(|r| r.state == State::InReview && r.author_id != Some(author.user.id));
    if others_in_review {
        Err(AppError::Conflict("authoring.others_edit_in_review"))
    } else {
        Ok(())
    }
}

/// Records a text begun in the browser: a country's first adaptation of a module text,
/// or a new translation. Its front matter stays empty, which marks it as begun here: a
/// new translation is shown to learners only once every section is approved, under the
/// title of the text it is made from (see `publish`).
fn begin_text(conn: &mut DbConnection, texts: &ModuleTexts, cell: &CellKey) -> AppResult<()> {
    let parent = texts.parent_text(&cell.text).ok_or(AppError::NotFound)?;
    let parent_source = texts.source(&parent).cloned().ok_or(AppError::NotFound)?;
    let translated_from = if cell.text.is_adaptation() {
        String::new()
    } else {
        parent.language.clone()
    };
    let section_order = if cell.text.is_adaptation() {
        String::new()
    } else {
        parent_source.section_order.clone()
    };
    store::save_source(
        conn,
        &store::SourceRow {
            language: cell.text.language.clone(),
            country: cell.text.country.clone(),
            translated_from,
            front_matter: String::new(),
            intro: String::new(),
            section_order,
            ..parent_source
        },
    )
}

/// `POST …/drop`: proposes removing a national adaptation's section, so readers of the
/// country see the base section again. Reviewed like any edit.
pub fn propose_drop(conn: &mut DbConnection, author: &Author, cell: &CellKey, comment: &str) -> AppResult<i32> {
    let comment = checked_comment(comment, true)?;
    locked(conn, |conn| {
        let texts = texts_for(conn, cell)?;
        require_edit(author, &texts, cell)?;
        if !cell.text.is_adaptation() {
            return Err(AppError::BadRequest("authoring.only_adaptations_drop"));
        }
        if texts.history(cell).and_then(|h| h.pending()).is_some() {
            return Err(AppError::Conflict("authoring.pending_work"));
        }
        if texts.live(cell).is_none() {
            return Err(AppError::NotFound);
        }
        let (based_on, based_on_markdown) = parent_now(&texts, cell);
        store::insert(
            conn,
            cell,
            NewRevision {
                markdown: String::new(),
                removes: true,
                state: State::InReview,
                origin: Origin::Browser,
                based_on,
                based_on_markdown,
                author: Some(author.user.id),
                comment,
                reviewed_by: None,
            },
            Utc::now().naive_utc(),
        )
    })
}

/// The quality checks of a text proposed for a cell, in `locale`.
pub fn checks_for(
    conn: &mut DbConnection,
    texts: &ModuleTexts,
    cell: &CellKey,
    markdown: &str,
    locale: Locale,
) -> AppResult<Vec<Check>> {
    let parent_cell = texts.parent_cell(cell);
    let parent = parent_cell
        .as_ref()
        .and_then(|p| texts.live(p))
        .map(|r| r.markdown.clone())
        .unwrap_or_default();
    let kind = if texts.is_base(&cell.text) {
        TextKind::Base
    } else if cell.text.is_adaptation() {
        TextKind::Adaptation
    } else {
        TextKind::Translation
    };
    let mut articles = law_entries::table
        .filter(law_entries::article.ne(""))
        .select(law_entries::article)
        .into_boxed();
    if cell.text.is_adaptation() {
        articles = articles.filter(law_entries::country.eq(&cell.text.country));
    }
    let law_articles: Vec<String> = articles.distinct().load(conn)?;
    let parent_language = parent_cell.map(|p| p.text.language).unwrap_or_default();
    let glossary: Vec<GlossaryTerm> = glossary_terms::table
        .filter(glossary_terms::language.eq(&cell.text.language))
        .filter(glossary_terms::deleted.eq(false))
        .select((
            glossary_terms::source_en,
            glossary_terms::source_ru,
            glossary_terms::translation,
        ))
        .load::<(String, String, String)>(conn)?
        .into_iter()
        .map(|(en, ru, translation)| GlossaryTerm {
            source: if parent_language == "ru" { ru } else { en },
            translation,
        })
        .filter(|t| !t.source.trim().is_empty() && !t.translation.trim().is_empty())
        .collect();
    let language = Locale::from_code(&cell.text.language).ok_or(AppError::NotFound)?;
    Ok(checks::check(&CheckInput {
        parent: if kind == TextKind::Base { "" } else { &parent },
        text: markdown,
        kind,
        language,
        law_articles: &law_articles,
        glossary: &glossary,
        locale,
    }))
}

/// `POST …/submit`: sends the newest draft for review. Checks of level error refuse it;
/// warnings need a reason, which is kept with the revision for the reviewer.
pub fn submit(
    conn: &mut DbConnection,
    author: &Author,
    cell: &CellKey,
    reason: &str,
    require_reason_for_warnings: bool,
    locale: Locale,
) -> AppResult<Vec<Check>> {
    let reason = checked_comment(reason, false)?;
    locked(conn, |conn| {
        let texts = texts_for(conn, cell)?;
        require_edit(author, &texts, cell)?;
        let latest = texts
            .history(cell)
            .and_then(|h| h.latest())
            .filter(|r| matches!(r.state, State::Draft | State::ChangesRequested))
            .cloned()
            .ok_or(AppError::Conflict("authoring.nothing_to_submit"))?;
        let found = if latest.removes {
            Vec::new()
        } else {
            checks_for(conn, &texts, cell, &latest.markdown, locale)?
        };
        if checks::has_errors(&found) {
            return Err(AppError::Checks(found));
        }
        if !found.is_empty() && require_reason_for_warnings && reason.is_empty() {
            return Err(AppError::Checks(found));
        }
        store::set_state(conn, latest.id, State::InReview)?;
        if !reason.is_empty() {
            diesel::update(crate::db::schema::section_revisions::table.find(latest.id))
                .set(crate::db::schema::section_revisions::comment.eq(join_comment(&latest.comment, &reason)))
                .execute(conn)?;
        }
        Ok(found)
    })
}

fn join_comment(comment: &str, reason: &str) -> String {
    if comment.is_empty() {
        reason.to_owned()
    } else {
        // Paragraphs apart, as the pages show them.
        format!("{comment}\n\n{reason}")
    }
}

/// The revision waiting for review, after checking that `author` may decide on it.
fn awaiting_review<'a>(
    texts: &'a ModuleTexts,
    author: &Author,
    cell: &CellKey,
) -> AppResult<&'a super::model::Revision> {
    if !author.may_approve(&cell.text, texts.is_base(&cell.text)) {
        return Err(AppError::Forbidden);
    }
    texts
        .history(cell)
        .and_then(|h| h.latest())
        .filter(|r| r.state == State::InReview)
        .ok_or(AppError::Conflict("authoring.nothing_in_review"))
}

/// `POST …/approve`: the revision in review becomes what learners read. Refused to
/// whoever wrote it (four eyes).
pub fn approve(conn: &mut DbConnection, author: &Author, cell: &CellKey, comment: &str) -> AppResult<()> {
    let comment = checked_comment(comment, false)?;
    locked(conn, |conn| {
        let texts = texts_for(conn, cell)?;
        let pending = awaiting_review(&texts, author, cell)?.clone();
        if pending.author_id == Some(author.user.id) {
            return Err(AppError::Forbidden);
        }
        let old = texts.live(cell).map(|r| r.markdown.clone());
        let now = Utc::now().naive_utc();
        store::review(conn, pending.id, State::Approved, author.user.id, &comment, now)?;
        record(
            conn,
            author.user.id,
            audit::Action::SectionApproved,
            cell,
            pending.revision,
            now,
        )?;
        went_live(
            conn,
            &texts,
            cell,
            old,
            (!pending.removes).then_some(pending.markdown),
            Some(author.user.id),
            now,
        )
    })
}

/// `POST …/request-changes`: sends the revision in review back to its author with a
/// comment (required).
pub fn request_changes(conn: &mut DbConnection, author: &Author, cell: &CellKey, comment: &str) -> AppResult<()> {
    let comment = checked_comment(comment, true)?;
    locked(conn, |conn| {
        let texts = texts_for(conn, cell)?;
        let pending = awaiting_review(&texts, author, cell)?.clone();
        store::review(
            conn,
            pending.id,
            State::ChangesRequested,
            author.user.id,
            &comment,
            Utc::now().naive_utc(),
        )
    })
}

/// `POST …/confirm`: the live text is still valid against today's parent and law; a new
/// approved revision with the same text records that. It changes nothing learners
/// read, so whoever may edit or approve the cell confirms it without a second person.
pub fn confirm(conn: &mut DbConnection, author: &Author, cell: &CellKey, comment: &str) -> AppResult<i32> {
    let comment = checked_comment(comment, false)?;
    locked(conn, |conn| {
        let texts = texts_for(conn, cell)?;
        if !author.may_approve(&cell.text, texts.is_base(&cell.text)) {
            return Err(AppError::Forbidden);
        }
        let live = texts.live(cell).cloned().ok_or(AppError::NotFound)?;
        if texts.history(cell).and_then(|h| h.pending()).is_some() {
            // Confirming would bury the draft or the edit in review under a new
            // approved revision: decide on that first.
            return Err(AppError::Conflict("authoring.pending_work"));
        }
        if texts.parent_cell(cell).is_some_and(|p| texts.live(&p).is_none()) {
            // An orphaned section has nothing to be valid against: drop it instead.
            return Err(AppError::Conflict("authoring.orphaned_cannot_confirm"));
        }
        let (based_on, based_on_markdown) = parent_now(&texts, cell);
        let now = Utc::now().naive_utc();
        let revision = store::insert(
            conn,
            cell,
            NewRevision {
                markdown: live.markdown,
                removes: false,
                state: State::Approved,
                origin: Origin::Confirm,
                based_on,
                based_on_markdown,
                author: Some(author.user.id),
                comment,
                reviewed_by: Some(author.user.id),
            },
            now,
        )?;
        record(
            conn,
            author.user.id,
            audit::Action::SectionConfirmed,
            cell,
            revision,
            now,
        )?;
        publish::republish(conn, &cell.text.course, &cell.text.module)?;
        Ok(revision)
    })
}

/// `POST …/rollback`: proposes an earlier approved text again, for review.
pub fn propose_rollback(
    conn: &mut DbConnection,
    author: &Author,
    cell: &CellKey,
    to_revision: i32,
    comment: &str,
) -> AppResult<i32> {
    let comment = checked_comment(comment, false)?;
    locked(conn, |conn| {
        let texts = texts_for(conn, cell)?;
        require_edit(author, &texts, cell)?;
        if texts.history(cell).and_then(|h| h.pending()).is_some() {
            return Err(AppError::Conflict("authoring.pending_work"));
        }
        let target = texts
            .history(cell)
            .and_then(|h| h.revisions.iter().find(|r| r.revision == to_revision))
            .filter(|r| r.state == State::Approved)
            .cloned()
            .ok_or(AppError::NotFound)?;
        let (based_on, based_on_markdown) = parent_now(&texts, cell);
        store::insert(
            conn,
            cell,
            NewRevision {
                markdown: target.markdown,
                removes: target.removes,
                state: State::InReview,
                origin: Origin::Rollback,
                based_on,
                based_on_markdown,
                author: Some(author.user.id),
                comment,
                reviewed_by: None,
            },
            Utc::now().naive_utc(),
        )
    })
}

/// After a cell's live text changed: dependants re-based when only whitespace changed,
/// and the module rendered again for learners.
#[allow(clippy::too_many_arguments)]
fn went_live(
    conn: &mut DbConnection,
    texts: &ModuleTexts,
    cell: &CellKey,
    old: Option<String>,
    new: Option<String>,
    actor: Option<UserId>,
    now: NaiveDateTime,
) -> AppResult<()> {
    if let (Some(old), Some(new)) = (old, new) {
        rebase_children_if_whitespace_only(conn, texts, cell, &old, &new, actor, now)?;
    }
    publish::republish(conn, &cell.text.course, &cell.text.module)
}

/// A parent edit that changes only whitespace or line wrapping re-bases the texts made
/// from the old version: a new approved revision with the same text, recorded in the
/// audit log. Any other edit leaves them outdated for their adapters to decide.
pub fn rebase_children_if_whitespace_only(
    conn: &mut DbConnection,
    texts: &ModuleTexts,
    cell: &CellKey,
    old: &str,
    new: &str,
    actor: Option<UserId>,
    now: NaiveDateTime,
) -> AppResult<()> {
    if old == new || whitespace_folded(old) != whitespace_folded(new) {
        return Ok(());
    }
    let old_fingerprint = sections::fingerprint(old);
    let new_fingerprint = sections::fingerprint(new);
    for child_text in texts.children_of(&cell.text) {
        let child = child_text.cell(&cell.section);
        let Some(live) = texts.live(&child).cloned() else {
            continue;
        };
        if live.based_on != old_fingerprint {
            continue;
        }
        let revision = store::insert(
            conn,
            &child,
            NewRevision {
                markdown: live.markdown,
                removes: false,
                state: State::Approved,
                origin: Origin::Rebase,
                based_on: new_fingerprint.clone(),
                based_on_markdown: new.to_owned(),
                author: actor,
                // The origin (`rebase`) says why, in each reader's language on the pages.
                comment: String::new(),
                reviewed_by: actor,
            },
            now,
        )?;
        audit::record(
            conn,
            audit::Entry {
                actor,
                action: audit::Action::SectionRebased,
                subject: subject_of(&child),
                details: serde_json::json!({ "revision": revision, "from": old_fingerprint, "to": new_fingerprint }),
            },
            now,
        )?;
    }
    Ok(())
}

pub fn subject_of(cell: &CellKey) -> String {
    let country = if cell.text.country.is_empty() {
        String::new()
    } else {
        format!("/{}", cell.text.country)
    };
    format!(
        "section:{}/{}/{}{}/{}",
        cell.text.course, cell.text.module, cell.text.language, country, cell.section
    )
}

fn record(
    conn: &mut DbConnection,
    actor: UserId,
    action: audit::Action,
    cell: &CellKey,
    revision: i32,
    now: NaiveDateTime,
) -> AppResult<()> {
    audit::record(
        conn,
        audit::Entry {
            actor: Some(actor),
            action,
            subject: subject_of(cell),
            details: serde_json::json!({ "revision": revision }),
        },
        now,
    )
}

/// What a check found, for callers that show checks without submitting.
pub fn preview_checks(
    conn: &mut DbConnection,
    cell: &CellKey,
    markdown: &str,
    locale: Locale,
) -> AppResult<Vec<Check>> {
    let markdown = normalise_section(&cell.section, markdown)?;
    let texts = texts_for(conn, cell)?;
    checks_for(conn, &texts, cell, &markdown, locale)
}
