//! The words of authoring: a cell (one section of one text), the states of its
//! revisions, where a revision came from, and its computed freshness.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::accounts::model::UserId;
use crate::db::schema::section_revisions;

crate::text_enum!(State {
    Draft => "draft",
    InReview => "in_review",
    Approved => "approved",
    ChangesRequested => "changes_requested",
});

impl State {
    /// Whether a revision in this state waits for someone: work not yet live.
    pub fn is_pending(self) -> bool {
        self != State::Approved
    }
}

// Where a revision came from: read from the courses folder (file), written in the
// editor or through the API (browser), "still valid" with the same text made current
// against today's parent (confirm), re-based automatically because the parent changed
// only in whitespace or line wrapping (rebase), or an earlier approved text proposed
// again (rollback).
crate::text_enum!(Origin {
    File => "file",
    Browser => "browser",
    Confirm => "confirm",
    Rebase => "rebase",
    Rollback => "rollback",
});

/// Whether a cell's live text still matches what it was made from. Computed from the
/// parents and the law table whenever it is asked for, never stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Freshness {
    Current,
    LawChanged,
    Outdated,
    Orphaned,
}

impl Freshness {
    pub fn code(self) -> &'static str {
        match self {
            Freshness::Current => "current",
            Freshness::LawChanged => "law_changed",
            Freshness::Outdated => "outdated",
            Freshness::Orphaned => "orphaned",
        }
    }
}

/// One text of a module: a language, and a country for national adaptations (`None`
/// for the base text and its translations).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TextKey {
    pub course: String,
    pub module: String,
    pub language: String,
    /// Lower-case country code, `""` for the base and translations (as stored).
    pub country: String,
}

impl TextKey {
    pub fn is_adaptation(&self) -> bool {
        !self.country.is_empty()
    }

    pub fn cell(&self, section: &str) -> CellKey {
        CellKey {
            text: self.clone(),
            section: section.to_owned(),
        }
    }
}

/// One section of one text: the unit that is edited, reviewed and tracked.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CellKey {
    pub text: TextKey,
    pub section: String,
}

impl TextKey {
    /// The query that names this text on authoring pages: `language=kk[&country=kz]`
    /// (`lang` is the interface's language on every page, so it cannot name the text).
    pub fn query(&self) -> String {
        if self.is_adaptation() {
            format!("language={}&country={}", self.language, self.country)
        } else {
            format!("language={}", self.language)
        }
    }

    /// The page listing this text's sections.
    pub fn page_path(&self) -> String {
        format!("/authoring/modules/{}/{}?{}", self.course, self.module, self.query())
    }
}

impl CellKey {
    /// The section editor's page for this cell (ids are plain ASCII, checked on the
    /// way in, so they need no escaping).
    pub fn editor_path(&self) -> String {
        format!(
            "/authoring/sections/{}/{}/{}?{}",
            self.text.course,
            self.text.module,
            self.section,
            self.text.query()
        )
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = section_revisions)]
pub struct Revision {
    pub id: i64,
    pub course_id: String,
    pub module_id: String,
    pub language: String,
    pub country: String,
    pub section_id: String,
    pub revision: i32,
    pub markdown: String,
    /// The revision drops the section (an adaptation no longer needed, a section
    /// removed from the files).
    pub removes: bool,
    pub state: State,
    pub origin: Origin,
    /// Fingerprint of the parent section this text was made from (`""` for the base).
    pub based_on: String,
    /// The parent section's full text at that moment, for the diff of later changes.
    pub based_on_markdown: String,
    pub author_id: Option<UserId>,
    pub comment: String,
    pub created_at: NaiveDateTime,
    pub reviewed_by: Option<UserId>,
    pub reviewed_at: Option<NaiveDateTime>,
    pub review_comment: String,
}

impl Revision {
    /// When this text became live: its approval, or its import for files.
    pub fn live_since(&self) -> NaiveDateTime {
        self.reviewed_at.unwrap_or(self.created_at)
    }
}

/// A revision about to be written; the store numbers it.
#[derive(Debug, Clone)]
pub struct NewRevision {
    pub markdown: String,
    pub removes: bool,
    pub state: State,
    pub origin: Origin,
    pub based_on: String,
    pub based_on_markdown: String,
    pub author: Option<UserId>,
    pub comment: String,
    /// Set for revisions approved as they are written (files, confirmations, re-bases).
    pub reviewed_by: Option<UserId>,
}

/// The revisions of one cell, oldest first, and what they mean.
#[derive(Debug, Clone, Default)]
pub struct CellHistory {
    pub revisions: Vec<Revision>,
}

impl CellHistory {
    pub fn latest(&self) -> Option<&Revision> {
        self.revisions.last()
    }

    /// The approved revision learners read (which may drop the section).
    pub fn live(&self) -> Option<&Revision> {
        self.revisions.iter().rev().find(|r| r.state == State::Approved)
    }

    /// The live text, unless the live revision dropped the section.
    pub fn live_text(&self) -> Option<&Revision> {
        self.live().filter(|r| !r.removes)
    }

    /// Work newer than the live text, waiting for its author or a reviewer.
    pub fn pending(&self) -> Option<&Revision> {
        self.latest().filter(|r| r.state.is_pending())
    }

    /// The newest revision read from the files.
    pub fn last_from_files(&self) -> Option<&Revision> {
        self.revisions.iter().rev().find(|r| r.origin == Origin::File)
    }

    /// The workflow state of the cell: that of its newest revision.
    pub fn state(&self) -> State {
        self.latest().map(|r| r.state).unwrap_or(State::Draft)
    }
}
