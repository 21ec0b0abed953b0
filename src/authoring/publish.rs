//! What learners read: each module text rendered from the live (approved) revision of
//! every section, once, when a section's live text changes; pages read the stored HTML.

use chrono::Utc;
use diesel::prelude::*;

use super::lineage::{Amendments, ModuleTexts};
use super::model::{Freshness, TextKey};
use crate::courses::format::ModuleFrontMatter;
use crate::courses::import::{self, Variant};
use crate::courses::markdown::{self, LinkContext};
use crate::db::schema::{courses, module_sources};
use crate::db::DbConnection;
use crate::error::AppResult;
use crate::i18n::Locale;

/// The front matter a module text was read with; a text whose front matter no longer
/// reads (it was checked on import) gets an empty title rather than an error.
fn front_of(text: &str) -> Option<ModuleFrontMatter> {
    toml::from_str(text).ok()
}

#[derive(serde::Deserialize, Default)]
struct AdaptationTitle {
    #[serde(default)]
    title: Option<String>,
}

/// The Markdown body of a text: its intro, then its live sections in order, with the
/// live sections of `adaptation` (same language, one country) in place of the base's.
pub fn body_of(texts: &ModuleTexts, key: &TextKey, adaptation: Option<&TextKey>) -> (String, Vec<String>) {
    let intro = texts
        .source(key)
        .map(|s| s.intro.trim_end().to_owned())
        .unwrap_or_default();
    let mut parts: Vec<&str> = Vec::new();
    if !intro.trim().is_empty() {
        parts.push(&intro);
    }
    let mut ids = Vec::new();
    for section in texts.section_ids(key) {
        let own = texts.live(&key.cell(&section));
        let adapted = adaptation.and_then(|a| texts.live(&a.cell(&section)));
        if let Some(revision) = adapted.or(own) {
            if own.is_some() {
                parts.push(&revision.markdown);
                ids.push(section);
            }
        }
    }
    (parts.join("\n\n"), ids)
}

/// Whether a translation has a live section for every live section of its parent.
fn translation_complete(texts: &ModuleTexts, key: &TextKey) -> bool {
    let Some(parent) = texts.parent_text(key) else {
        return true;
    };
    texts
        .section_ids(&parent)
        .iter()
        .filter(|id| texts.live(&parent.cell(id)).is_some())
        .all(|id| texts.live(&key.cell(id)).is_some())
}

/// Module folders of a course (folder → module id), for `../02-module/` links.
pub fn module_folders(conn: &mut DbConnection, course: &str) -> AppResult<Vec<(String, String)>> {
    Ok(module_sources::table
        .filter(module_sources::course_id.eq(course))
        .select((module_sources::folder, module_sources::module_id))
        .distinct()
        .load(conn)?)
}

/// Every text of a module rendered from its live sections: each language's text, and
/// each national adaptation with at least one live section merged into it.
pub fn variants(
    texts: &ModuleTexts,
    course: &str,
    module: &str,
    folders: &[(String, String)],
    amendments: &Amendments,
) -> Vec<Variant> {
    let links = LinkContext {
        course_id: course,
        module_id: module,
        module_folders: folders,
    };
    let mut out = Vec::new();
    for source in texts.sources.iter().filter(|s| s.country.is_empty()) {
        let Some(language) = Locale::from_code(&source.language) else {
            continue;
        };
        let key = source.key();
        let begun_in_browser = source.front_matter.trim().is_empty();
        let parent_source = texts.parent_text(&key).and_then(|p| texts.source(&p));
        if begun_in_browser && !translation_complete(texts, &key) {
            // Readers keep the language they fall back to until every section is there.
            continue;
        }
        let front = if begun_in_browser {
            parent_source.and_then(|p| front_of(&p.front_matter))
        } else {
            front_of(&source.front_matter)
        };
        let title = front.as_ref().map(|f| f.title.trim().to_owned()).unwrap_or_default();
        let outcomes = front.map(|f| f.outcomes).unwrap_or_default();
        let (body, ids) = body_of(texts, &key, None);
        let rendered = markdown::render(&body, language, &ids, &links);
        out.push(Variant {
            language: source.language.clone(),
            country: String::new(),
            title: title.clone(),
            outcomes: outcomes.clone(),
            law_concepts: rendered.law_concepts().into_iter().collect(),
            html: rendered.html,
            outdated: Vec::new(),
        });
        for adaptation in texts.sources.iter().filter(|s| s.is_adaptation_of(&source.language)) {
            let adaptation_key = adaptation.key();
            let live: Vec<String> = ids
                .iter()
                .filter(|id| texts.live(&adaptation_key.cell(id)).is_some())
                .cloned()
                .collect();
            if live.is_empty() {
                continue;
            }
            let (body, _) = body_of(texts, &key, Some(&adaptation_key));
            let rendered = markdown::render(&body, language, &ids, &links);
            let own_title = toml::from_str::<AdaptationTitle>(&adaptation.front_matter)
                .ok()
                .and_then(|t| t.title)
                .filter(|t| !t.trim().is_empty());
            out.push(Variant {
                language: source.language.clone(),
                country: adaptation.country.clone(),
                title: own_title.unwrap_or_else(|| title.clone()),
                outcomes: outcomes.clone(),
                law_concepts: rendered.law_concepts().into_iter().collect(),
                html: rendered.html,
                outdated: live
                    .into_iter()
                    .filter(|id| texts.freshness(&adaptation_key.cell(id), amendments) == Freshness::Outdated)
                    .collect(),
            });
        }
    }
    out
}

/// Renders a module again from its live sections and stores what changed, under the
/// course's current revision.
pub fn republish(conn: &mut DbConnection, course: &str, module: &str) -> AppResult<()> {
    let texts = ModuleTexts::load(conn, course, module)?;
    let folders = module_folders(conn, course)?;
    let amendments = Amendments::load(conn)?;
    let variants = variants(&texts, course, module, &folders, &amendments);
    let revision: i32 = courses::table
        .find(course)
        .select(courses::revision)
        .first(conn)
        .optional()?
        .unwrap_or(1);
    import::store_variants(conn, course, module, &variants, revision, Utc::now().naive_utc())
}
