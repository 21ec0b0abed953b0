//! The glossaries edited in the browser: the agreed terms of each language
//! (`glossary_terms`), which translators' checks look for and `bilim courses export`
//! writes back as `_glossary/<lang>.toml`.
//!
//! A term edited here is the browser's: importing the files no longer replaces it (see
//! `courses::import`). A deleted term is kept as a tombstone (`deleted`), which every
//! reader passes over: the import does not bring it back unless the files change its
//! text, and the export writes its language's file without it (even with no term
//! left) instead of keeping the files' bytes, which still hold it. Every change is in
//! the audit log.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::access::Author;
use super::workflow::locked;
use crate::accounts::model::{Role, UserId};
use crate::audit;
use crate::courses::format;
use crate::db::schema::glossary_terms;
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::validation::{is_bidi_control, FieldErrors};

const MAX_TERM_ID: usize = 100;
const MAX_TEXT_CHARS: usize = 300;
const MAX_NOTE_CHARS: usize = 1_000;

/// One agreed term of a language.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = glossary_terms)]
pub struct Term {
    pub language: String,
    pub term: String,
    pub source_en: String,
    pub source_ru: String,
    pub translation: String,
    pub note: String,
    pub updated_by: Option<UserId>,
    pub updated_at: NaiveDateTime,
}

/// A term as the editor's form sends it; `term` (the id) only when adding.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct TermInput {
    pub term: String,
    pub source_en: String,
    pub source_ru: String,
    pub translation: String,
    pub note: String,
}

/// Whether someone may change a language's glossary: its translators and
/// administrators.
pub fn may_edit(author: &Author, language: &str) -> bool {
    match author.user.role {
        Role::Admin => true,
        Role::Trainer => author.languages.iter().any(|l| l == language),
        _ => false,
    }
}

/// A language of the glossaries named in an address; any other is not found.
pub fn checked_language(code: &str) -> AppResult<String> {
    if format::is_language(code) {
        Ok(code.to_owned())
    } else {
        Err(AppError::NotFound)
    }
}

/// Term ids as the files write them: lower-case Latin letters, digits, `-` and `_`,
/// starting with a letter.
pub fn is_term_id(id: &str) -> bool {
    id.len() <= MAX_TERM_ID
        && id.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// A language's terms, without the deleted ones.
pub fn terms_of(conn: &mut DbConnection, language: &str) -> AppResult<Vec<Term>> {
    Ok(glossary_terms::table
        .filter(glossary_terms::language.eq(language))
        .filter(glossary_terms::deleted.eq(false))
        .order(glossary_terms::term)
        .select(Term::as_select())
        .load(conn)?)
}

/// A term of a language; a deleted one is not found.
pub fn find(conn: &mut DbConnection, language: &str, term: &str) -> AppResult<Option<Term>> {
    Ok(glossary_terms::table
        .find((language, term))
        .filter(glossary_terms::deleted.eq(false))
        .select(Term::as_select())
        .first(conn)
        .optional()?)
}

fn checked_text(errors: &mut FieldErrors, field: &'static str, text: &str, max: usize) -> String {
    let text = text.trim().to_owned();
    if text.chars().any(|c| c.is_control() || is_bidi_control(c)) {
        errors.add(field, "validation.control_characters");
    } else if text.chars().count() > max {
        errors.add_with(field, "validation.too_long", vec![("max", max.to_string())]);
    }
    text
}

/// Checks a term: a translation, the source in English or Russian, one plain line
/// each, and for a new term a free, well-formed id.
fn checked(input: &TermInput, new_id: bool) -> AppResult<TermInput> {
    let mut errors = FieldErrors::new();
    let term = input.term.trim().to_owned();
    if new_id && !is_term_id(&term) {
        errors.add("term", "glossary_editor.term_invalid");
    }
    let source_en = checked_text(&mut errors, "source_en", &input.source_en, MAX_TEXT_CHARS);
    let source_ru = checked_text(&mut errors, "source_ru", &input.source_ru, MAX_TEXT_CHARS);
    if source_en.is_empty() && source_ru.is_empty() {
        errors.add("source_en", "glossary_editor.source_required");
    }
    let translation = checked_text(&mut errors, "translation", &input.translation, MAX_TEXT_CHARS);
    if translation.is_empty() {
        errors.add("translation", "glossary_editor.translation_required");
    }
    let note = checked_text(&mut errors, "note", &input.note, MAX_NOTE_CHARS);
    errors.check(TermInput {
        term,
        source_en,
        source_ru,
        translation,
        note,
    })
}

fn record(conn: &mut DbConnection, author: &Author, language: &str, term: &str, change: &str) -> AppResult<()> {
    audit::record(
        conn,
        audit::Entry {
            actor: Some(author.user.id),
            action: audit::Action::GlossaryChanged,
            subject: format!("glossary:{language}/{term}"),
            details: serde_json::json!({ "change": change }),
        },
        Utc::now().naive_utc(),
    )
}

/// Adds a term (`existing` is `None`) or changes one; answers its id.
pub fn save(
    conn: &mut DbConnection,
    author: &Author,
    language: &str,
    existing: Option<&str>,
    input: &TermInput,
) -> AppResult<String> {
    if !may_edit(author, language) {
        return Err(AppError::Forbidden);
    }
    let checked = checked(input, existing.is_none())?;
    let term = existing.map_or_else(|| checked.term.clone(), str::to_owned);
    // Under the authoring lock, like every authoring write: two people adding the same
    // term one after the other, the second is told it is taken (not a key violation),
    // and an import of the files never interleaves with the change.
    locked(conn, |conn| {
        let now = Utc::now().naive_utc();
        // `Some(true)`: a deleted term's tombstone, which adding the term again revives.
        let deleted: Option<bool> = glossary_terms::table
            .find((language, &term))
            .select(glossary_terms::deleted)
            .first(conn)
            .optional()?;
        let found = deleted == Some(false);
        let values = (
            glossary_terms::source_en.eq(&checked.source_en),
            glossary_terms::source_ru.eq(&checked.source_ru),
            glossary_terms::translation.eq(&checked.translation),
            glossary_terms::note.eq(&checked.note),
            glossary_terms::updated_by.eq(Some(author.user.id)),
            glossary_terms::updated_at.eq(now),
            glossary_terms::deleted.eq(false),
        );
        match (existing, deleted) {
            (None, Some(false)) => return Err(FieldErrors::one("term", "glossary_editor.term_taken").into()),
            (Some(_), None | Some(true)) => return Err(AppError::NotFound),
            (Some(_), Some(false)) | (None, Some(true)) => {
                diesel::update(glossary_terms::table.find((language, &term)))
                    .set(values)
                    .execute(conn)?;
            }
            (None, None) => {
                diesel::insert_into(glossary_terms::table)
                    .values((
                        glossary_terms::language.eq(language),
                        glossary_terms::term.eq(&term),
                        values,
                    ))
                    .execute(conn)?;
            }
        }
        record(conn, author, language, &term, if found { "edited" } else { "added" })?;
        Ok(term.clone())
    })
}

/// Deletes a term: it is kept as a tombstone, the browser's, with the text it had, so
/// the import knows what was deleted (see the module's documentation).
pub fn delete(conn: &mut DbConnection, author: &Author, language: &str, term: &str) -> AppResult<()> {
    if !may_edit(author, language) {
        return Err(AppError::Forbidden);
    }
    locked(conn, |conn| {
        let deleted = diesel::update(
            glossary_terms::table
                .find((language, term))
                .filter(glossary_terms::deleted.eq(false)),
        )
        .set((
            glossary_terms::deleted.eq(true),
            glossary_terms::updated_by.eq(Some(author.user.id)),
            glossary_terms::updated_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
        if deleted == 0 {
            return Err(AppError::NotFound);
        }
        record(conn, author, language, term, "deleted")
    })
}
