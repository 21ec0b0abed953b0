//! Who depends on whom, and whether each cell is still current.
//!
//! A module has a base text (English when it has one, otherwise Russian). Every other
//! language is a translation made from another text (`translated_from`: Russian from
//! English, the region's languages from Russian by default). A national adaptation in
//! a language depends on that language's text. So a change cascades one level at a
//! time: base → translation → adaptation.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::{CellHistory, CellKey, Freshness, Revision, TextKey};
use super::store::{self, SourceRow};
use crate::courses::sections;
use crate::db::schema::law_entries;
use crate::db::DbConnection;
use crate::error::AppResult;

/// The `{{law:concept}}` references of a Markdown text; those inside code (fenced
/// blocks and inline spans) are text, not references, as when the text is rendered.
pub fn law_concepts_in(markdown: &str) -> BTreeSet<String> {
    let prose = outside_code(markdown);
    let mut found = BTreeSet::new();
    let mut rest = prose.as_str();
    while let Some(start) = rest.find("{{law:") {
        let after = rest.get(start + 6..).unwrap_or_default();
        let Some(end) = after.find("}}") else { break };
        let concept = after.get(..end).unwrap_or_default().trim();
        if !concept.is_empty() {
            found.insert(concept.to_owned());
        }
        rest = after.get(end + 2..).unwrap_or_default();
    }
    found
}

/// The text with fenced code blocks and inline code spans blanked out.
fn outside_code(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut fence: Option<String> = None;
    for line in markdown.lines() {
        let trimmed = line.trim_start();
        let marker: String = trimmed.chars().take_while(|c| *c == '`' || *c == '~').collect();
        if let Some(open) = &fence {
            if marker.len() >= open.len() && marker.starts_with(open.chars().next().unwrap_or('`')) {
                fence = None;
            }
            out.push('\n');
            continue;
        }
        if marker.len() >= 3 {
            fence = Some(marker);
            out.push('\n');
            continue;
        }
        // Inline code: text between backtick runs of equal length is dropped.
        let mut in_code = false;
        for part in line.split('`') {
            if !in_code {
                out.push_str(part);
            }
            in_code = !in_code;
        }
        out.push('\n');
    }
    out
}

/// When each law entry was last marked amended or repealed: (country, concept) → time.
#[derive(Debug, Clone, Default)]
pub struct Amendments(BTreeMap<(String, String), NaiveDateTime>);

impl Amendments {
    pub fn load(conn: &mut DbConnection) -> AppResult<Self> {
        let rows: Vec<(String, String, Option<NaiveDateTime>)> = law_entries::table
            .filter(law_entries::amended_at.is_not_null())
            .select((law_entries::country, law_entries::concept, law_entries::amended_at))
            .load(conn)?;
        Ok(Amendments(
            rows.into_iter()
                .filter_map(|(country, concept, at)| Some(((country, concept), at?)))
                .collect(),
        ))
    }

    /// Whether a text read by `country` (any country for `""`) cites a concept whose
    /// law was amended after `since`.
    pub fn changed_since(&self, country: &str, concepts: &BTreeSet<String>, since: NaiveDateTime) -> bool {
        self.0
            .iter()
            .any(|((c, concept), at)| (country.is_empty() || c == country) && *at > since && concepts.contains(concept))
    }
}

/// A module's texts and cells, read once, answering questions about their lineage.
#[derive(Debug, Clone, Default)]
pub struct ModuleTexts {
    pub sources: Vec<SourceRow>,
    pub cells: BTreeMap<CellKey, CellHistory>,
}

impl ModuleTexts {
    pub fn load(conn: &mut DbConnection, course: &str, module: &str) -> AppResult<Self> {
        Ok(ModuleTexts {
            sources: store::sources_of_module(conn, course, module)?,
            cells: store::module_cells(conn, course, module)?,
        })
    }

    pub fn source(&self, key: &TextKey) -> Option<&SourceRow> {
        self.sources
            .iter()
            .find(|s| s.language == key.language && s.country == key.country)
    }

    /// The base language: English when the module has it, otherwise Russian.
    pub fn base_language(&self) -> Option<&str> {
        let has = |code: &str| self.sources.iter().any(|s| s.country.is_empty() && s.language == code);
        if has("en") {
            Some("en")
        } else if has("ru") {
            Some("ru")
        } else {
            None
        }
    }

    pub fn is_base(&self, key: &TextKey) -> bool {
        !key.is_adaptation() && self.base_language() == Some(key.language.as_str())
    }

    /// The text a text was made from; `None` for the base.
    pub fn parent_text(&self, key: &TextKey) -> Option<TextKey> {
        if key.is_adaptation() {
            return Some(TextKey {
                country: String::new(),
                ..key.clone()
            });
        }
        if self.is_base(key) {
            return None;
        }
        let has_russian = self.sources.iter().any(|s| s.country.is_empty() && s.language == "ru");
        let from = self
            .source(key)
            .map(|s| s.translated_from.clone())
            .filter(|f| !f.is_empty() && f != &key.language)
            .or_else(|| {
                // A translation begun in the browser: as for files, the region's
                // languages are made from Russian when the module has it.
                (key.language != "en" && key.language != "ru" && has_russian).then(|| "ru".to_owned())
            })
            .or_else(|| self.base_language().map(str::to_owned))?;
        Some(TextKey {
            language: from,
            ..key.clone()
        })
    }

    pub fn parent_cell(&self, cell: &CellKey) -> Option<CellKey> {
        self.parent_text(&cell.text).map(|text| text.cell(&cell.section))
    }

    pub fn history(&self, cell: &CellKey) -> Option<&CellHistory> {
        self.cells.get(cell)
    }

    /// The live text of a cell.
    pub fn live(&self, cell: &CellKey) -> Option<&Revision> {
        self.cells.get(cell).and_then(CellHistory::live_text)
    }

    /// The texts that depend on a text directly.
    pub fn children_of(&self, key: &TextKey) -> Vec<TextKey> {
        self.sources
            .iter()
            .map(SourceRow::key)
            .filter(|k| k != key && self.parent_text(k).as_ref() == Some(key))
            .collect()
    }

    /// Whether the cell's live text still matches its parent and the law it cites.
    pub fn freshness(&self, cell: &CellKey, amendments: &Amendments) -> Freshness {
        let Some(live) = self.live(cell) else {
            return Freshness::Current;
        };
        if let Some(parent) = self.parent_cell(cell) {
            match self.live(&parent) {
                None => return Freshness::Orphaned,
                Some(p) if sections::fingerprint(&p.markdown) != live.based_on => return Freshness::Outdated,
                Some(_) => {}
            }
        }
        let concepts = law_concepts_in(&live.markdown);
        if amendments.changed_since(&cell.text.country, &concepts, live.live_since()) {
            return Freshness::LawChanged;
        }
        Freshness::Current
    }

    /// The text a revision was based on when it was made, if the history holds it.
    pub fn parent_text_with_fingerprint(&self, parent: &CellKey, fingerprint: &str) -> Option<String> {
        self.cells.get(parent).and_then(|h| {
            h.revisions
                .iter()
                .rev()
                .find(|r| !r.removes && sections::fingerprint(&r.markdown) == fingerprint)
                .map(|r| r.markdown.clone())
        })
    }

    /// The ids of a text's sections in order: as the files order them, then any
    /// section that exists only in the database.
    pub fn section_ids(&self, key: &TextKey) -> Vec<String> {
        let mut ids: Vec<String> = self
            .source(key)
            .map(|s| s.sections().map(str::to_owned).collect())
            .unwrap_or_default();
        for cell in self.cells.keys().filter(|c| &c.text == key) {
            if !ids.contains(&cell.section) {
                ids.push(cell.section.clone());
            }
        }
        ids
    }
}

/// Text with the whitespace inside each block made one space, blocks (paragraphs, list
/// items, headings, quotes, table rows) kept apart: two texts equal this way differ only
/// in whitespace or line wrapping, not in meaning.
pub fn whitespace_folded(text: &str) -> String {
    let mut blocks: Vec<Vec<&str>> = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            if !current.is_empty() {
                blocks.push(std::mem::take(&mut current));
            }
            continue;
        }
        if starts_a_block(trimmed) && !current.is_empty() {
            blocks.push(std::mem::take(&mut current));
        }
        current.extend(trimmed.split_whitespace());
    }
    if !current.is_empty() {
        blocks.push(current);
    }
    blocks
        .iter()
        .map(|words| words.join(" "))
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// A line that begins a Markdown block of its own even without a blank line before it.
fn starts_a_block(line: &str) -> bool {
    let ordered = line
        .find(['.', ')'])
        .is_some_and(|end| end > 0 && line.get(..end).is_some_and(|n| n.chars().all(|c| c.is_ascii_digit())));
    ordered || line.starts_with(['-', '*', '+', '#', '>', '|']) || line.starts_with("```") || line.starts_with("~~~")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrapping_a_paragraph_keeps_its_folded_form() {
        let before = "## A {#a}\n\nOne two\nthree four.\n\n- first\n- second";
        let after = "## A {#a}\n\nOne two three\n  four.   \n\n\n- first\n- second";
        assert_eq!(whitespace_folded(before), whitespace_folded(after));
    }

    #[test]
    fn joining_paragraphs_or_list_items_changes_the_folded_form() {
        assert_ne!(whitespace_folded("a\n\nb"), whitespace_folded("a b"));
        assert_ne!(whitespace_folded("- a\n- b"), whitespace_folded("- a - b"));
        assert_ne!(whitespace_folded("one"), whitespace_folded("one two"));
    }

    #[test]
    fn law_references_are_found_with_their_concepts() {
        let found = law_concepts_in("See {{law:csam}} and {{law: fraud }}, not {{law:}} or {{law:x");
        assert_eq!(found.into_iter().collect::<Vec<_>>(), ["csam", "fraud"]);
        let in_code =
            law_concepts_in("Write `{{law:csam}}` like this:\n\n```\n{{law:fraud}}\n```\n{{law:jurisdiction}}");
        assert_eq!(in_code.into_iter().collect::<Vec<_>>(), ["jurisdiction"]);
    }
}
