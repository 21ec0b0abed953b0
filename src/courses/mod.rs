//! Courses written in Markdown by national trainers: the file format, the validator,
//! rendering, import into the database, and the pages and API learners use.

pub mod api;
pub mod cache;
mod checks;
pub mod diagnostics;
pub mod format;
pub mod import;
pub mod law;
pub mod law_and_glossary;
pub mod load;
pub mod markdown;
mod overrides;
pub mod reading;
pub mod sections;
mod source;
pub mod store;
pub mod web;

use std::path::Path;

use crate::db::DbConnection;
use crate::error::AppError;

/// Checks and imports a courses folder, logging what happened; courses with errors
/// keep their last imported revision.
pub fn import_folder(conn: &mut DbConnection, dir: &Path) -> Result<(load::Catalogue, import::ImportReport), AppError> {
    let catalogue = load::load(dir);
    let report = import::import(conn, &catalogue)?;
    Ok((catalogue, report))
}

/// Course content kept in memory for the pages that show it (see [`cache`]).
pub struct ContentCaches {
    pub modules: reading::ModuleCache,
    pub catalogue: reading::CatalogueCache,
    pub overviews: reading::OverviewCache,
}

impl ContentCaches {
    pub fn new() -> Self {
        ContentCaches {
            modules: cache::Cache::new(cache::BUDGET_BYTES),
            catalogue: cache::Cache::new(cache::BUDGET_BYTES / 16),
            overviews: cache::Cache::new(cache::BUDGET_BYTES / 8),
        }
    }
}

impl Default for ContentCaches {
    fn default() -> Self {
        Self::new()
    }
}
