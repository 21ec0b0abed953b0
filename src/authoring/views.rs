//! What the authoring pages show, built from the model: a text's name, a state's and a
//! freshness's words, diffs and rendered previews. Shared by the overview, the review
//! queue and the section editor, so each says the same thing the same way.

use std::collections::BTreeMap;

use diesel::prelude::*;
use serde::Serialize;

use super::diff::{self, Piece};
use super::lineage::ModuleTexts;
use super::model::{CellKey, Freshness, State, TextKey};
use crate::accounts::model::UserId;
use crate::courses::law::LawBook;
use crate::courses::markdown::{self, LinkContext};
use crate::courses::store as course_store;
use crate::db::schema::users;
use crate::db::DbConnection;
use crate::error::AppResult;
use crate::i18n::{self, Locale};

/// A text named for people: its language (in that language) and, for an adaptation,
/// its country in the reader's language.
#[derive(Debug, Clone, Serialize)]
pub struct TextName {
    pub lang: String,
    pub language: &'static str,
    pub country: String,
    pub country_name: String,
}

impl TextName {
    pub fn of(key: &TextKey, locale: Locale) -> Self {
        TextName {
            lang: key.language.clone(),
            language: language_name(&key.language),
            country: key.country.clone(),
            country_name: country_name(locale, &key.country),
        }
    }
}

/// A language's name in itself (`""` for an unknown code), as the switcher shows it.
pub fn language_name(code: &str) -> &'static str {
    Locale::from_code(code).map_or("", Locale::native_name)
}

/// One option of a list, a select or radios: the value sent and the words shown (the
/// templates read `.value` and `.label`).
#[derive(Debug, Clone, Serialize)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// The names of the people behind `ids`, for "by whom" lines.
pub fn names_of(conn: &mut DbConnection, ids: Vec<UserId>) -> AppResult<BTreeMap<UserId, String>> {
    Ok(users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::name))
        .load::<(UserId, String)>(conn)?
        .into_iter()
        .collect())
}

/// A country's name in the reader's language; `""` for no country.
pub fn country_name(locale: Locale, code: &str) -> String {
    if code.is_empty() {
        String::new()
    } else {
        i18n::t(locale, &format!("countries.{}", code.to_ascii_uppercase()))
    }
}

/// A state or freshness as the pages show it: its code (for styling and tests) and its
/// words.
#[derive(Debug, Clone, Serialize)]
pub struct Label {
    pub code: &'static str,
    pub text: String,
}

pub fn state_label(state: State, locale: Locale) -> Label {
    Label {
        code: state.code(),
        text: i18n::t(locale, &format!("authoring_editor.state_{}", state.code())),
    }
}

pub fn freshness_label(freshness: Freshness, locale: Locale) -> Label {
    Label {
        code: freshness.code(),
        text: i18n::t(locale, &format!("authoring_editor.freshness_{}", freshness.code())),
    }
}

/// A word diff with long unchanged runs shortened, or `None` when nothing changed.
pub fn diff_of(old: &str, new: &str) -> Option<Vec<Piece>> {
    let pieces = diff::words(old, new);
    diff::changes(&pieces).then(|| diff::compacted(pieces))
}

/// A section's Markdown rendered as learners would see it, with legal references filled
/// in for `law_country` (sanitised like every module text).
pub fn rendered(
    conn: &mut DbConnection,
    cell: &CellKey,
    markdown: &str,
    law_country: Option<&str>,
    locale: Locale,
) -> AppResult<String> {
    let language = Locale::from_code(&cell.text.language).unwrap_or(locale);
    let folders = super::publish::module_folders(conn, &cell.text.course)?;
    let links = LinkContext {
        course_id: &cell.text.course,
        module_id: &cell.text.module,
        module_folders: &folders,
    };
    let html = markdown::render(markdown, language, std::slice::from_ref(&cell.section), &links).html;
    let concepts = crate::courses::law::concepts_in(&html);
    let book = LawBook::new(course_store::law_for_concepts(conn, &concepts)?);
    Ok(book.fill(&html, law_country, language))
}

/// Who may see what is going on with a cell, for the pages' lists.
#[derive(Debug, Clone, Serialize)]
pub struct CellLine {
    pub course: String,
    pub module: String,
    pub section: String,
    pub heading: String,
    pub text: TextName,
    pub state: Label,
    pub freshness: Label,
    pub editor: String,
}

/// The heading of a section's Markdown without its `{#id}`, for lists.
pub fn heading_of(markdown: &str, fallback: &str) -> String {
    let first = markdown.lines().next().unwrap_or_default();
    let text = first.trim_start_matches('#').trim();
    let (text, _) = crate::courses::sections::split_explicit_id(text);
    if text.trim().is_empty() {
        fallback.to_owned()
    } else {
        text.trim().to_owned()
    }
}

pub fn cell_line(texts: &ModuleTexts, cell: &CellKey, freshness: Freshness, locale: Locale) -> CellLine {
    let history = texts.history(cell);
    let markdown = history
        .and_then(|h| h.latest())
        .map(|r| r.markdown.as_str())
        .or_else(|| {
            texts
                .parent_cell(cell)
                .and_then(|p| texts.live(&p))
                .map(|r| r.markdown.as_str())
        })
        .unwrap_or_default();
    CellLine {
        course: cell.text.course.clone(),
        module: cell.text.module.clone(),
        section: cell.section.clone(),
        heading: heading_of(markdown, &cell.section),
        text: TextName::of(&cell.text, locale),
        state: state_label(history.map_or(State::Approved, |h| h.state()), locale),
        freshness: freshness_label(freshness, locale),
        editor: cell.editor_path(),
    }
}
