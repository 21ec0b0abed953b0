//! How far each text of a course is: per module, language and country, how many
//! sections there are, approved, outdated, in review and flagged by a law change. The
//! `/authoring` matrix and `GET /api/v1/authoring/status` read it.

use std::collections::BTreeMap;

use serde::Serialize;

use super::lineage::{Amendments, ModuleTexts};
use super::model::{Freshness, State, TextKey};
use super::store;
use crate::db::DbConnection;
use crate::error::AppResult;

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct TextStatus {
    pub module: String,
    pub lang: String,
    /// `null` for the base and translations.
    pub country: Option<String>,
    pub sections: usize,
    /// Sections whose newest revision is approved.
    pub approved: usize,
    /// Approved and current: nothing to do.
    pub current: usize,
    pub outdated: usize,
    pub in_review: usize,
    pub law_changed: usize,
    pub orphaned: usize,
    /// Drafts and sections sent back for changes.
    pub drafts: usize,
}

impl TextStatus {
    /// The share of sections approved and current, in per cent.
    pub fn percent_done(&self) -> u32 {
        if self.sections == 0 {
            return 100;
        }
        u32::try_from(self.current * 100 / self.sections).unwrap_or(100)
    }
}

/// The status of every text of a module.
pub fn of_module(texts: &ModuleTexts, amendments: &Amendments) -> Vec<TextStatus> {
    let mut by_text: BTreeMap<TextKey, TextStatus> = BTreeMap::new();
    for (cell, history) in &texts.cells {
        let Some(latest) = history.latest() else { continue };
        if history.live_text().is_none() && latest.state == State::Approved {
            continue; // a dropped or removed section
        }
        let row = by_text.entry(cell.text.clone()).or_insert_with(|| TextStatus {
            module: cell.text.module.clone(),
            lang: cell.text.language.clone(),
            country: Some(cell.text.country.clone()).filter(|c| !c.is_empty()),
            ..TextStatus::default()
        });
        row.sections += 1;
        let freshness = texts.freshness(cell, amendments);
        match latest.state {
            State::Approved => row.approved += 1,
            State::InReview => row.in_review += 1,
            State::Draft | State::ChangesRequested => row.drafts += 1,
        }
        match freshness {
            Freshness::Current if latest.state == State::Approved => row.current += 1,
            Freshness::Current => {}
            Freshness::Outdated => row.outdated += 1,
            Freshness::LawChanged => row.law_changed += 1,
            Freshness::Orphaned => row.orphaned += 1,
        }
    }
    by_text.into_values().collect()
}

/// The status of every text of a course, module by module in course order.
pub fn of_course(conn: &mut DbConnection, course: &str) -> AppResult<Vec<TextStatus>> {
    let amendments = Amendments::load(conn)?;
    let sources = store::sources_of_course(conn, course)?;
    let mut modules: Vec<(String, String)> = sources
        .iter()
        .map(|s| (s.folder.clone(), s.module_id.clone()))
        .collect();
    modules.sort();
    modules.dedup();
    let mut rows = Vec::new();
    for (_, module) in modules {
        let texts = ModuleTexts::load(conn, course, &module)?;
        rows.extend(of_module(&texts, &amendments));
    }
    if rows.is_empty() && crate::courses::store::find_course(conn, course)?.is_none() {
        return Err(crate::error::AppError::NotFound);
    }
    Ok(rows)
}
