//! `bilim courses export DIR [--course ID]`: the approved state written back in the
//! course format, so that a trainer's work can be reviewed in git and importing the
//! export changes nothing.
//!
//! The course folder is copied from the courses folder the server reads (course.toml,
//! quizzes and attachments are not edited in the browser), then every module text
//! whose approved sections differ from what its file holds is written anew: its front
//! matter as written with `[based_on]` brought up to date, its intro, its live
//! sections. A text whose sections all match its file keeps the file's bytes, so an
//! export of an untouched course is identical to the course.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::lineage::ModuleTexts;
use super::model::TextKey;
use super::store;
use crate::db::DbConnection;

/// What an export wrote.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ExportReport {
    pub courses: Vec<String>,
    /// Module texts written from the database (the rest were copied unchanged).
    pub rewritten: Vec<PathBuf>,
    /// Texts removed because every section was dropped.
    pub removed: Vec<PathBuf>,
    pub law_tables: Vec<String>,
    pub glossaries: Vec<String>,
}

/// Copies a folder, replacing the target's files of the same names.
fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    let mut entries: Vec<_> = std::fs::read_dir(from)
        .with_context(|| format!("cannot read {}", from.display()))?
        .collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            copy_dir(&path, &target)?;
        } else {
            std::fs::copy(&path, &target).with_context(|| format!("cannot copy {}", path.display()))?;
        }
    }
    Ok(())
}

/// The front matter with `[based_on]` replaced by `based_on` (removed when empty).
pub fn with_based_on(front_matter: &str, based_on: &BTreeMap<String, String>) -> String {
    let mut kept: Vec<&str> = Vec::new();
    let mut in_based_on = false;
    for line in front_matter.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            in_based_on = trimmed == "[based_on]";
        }
        let inline =
            trimmed.starts_with("based_on") && trimmed.trim_start_matches("based_on").trim_start().starts_with('=');
        if !in_based_on && !inline {
            kept.push(line);
        }
    }
    while kept.last().is_some_and(|l| l.trim().is_empty()) {
        kept.pop();
    }
    let mut out = kept.join("\n");
    if !based_on.is_empty() {
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        out.push_str("[based_on]\n");
        for (id, fingerprint) in based_on {
            out.push_str(&format!("{id} = \"{fingerprint}\"\n"));
        }
        out.pop();
    }
    out
}

/// A module text as a file: front matter, intro, sections.
fn file_text(front_matter: &str, intro: &str, sections: &[String]) -> String {
    let mut out = String::new();
    if !front_matter.trim().is_empty() {
        out.push_str("+++\n");
        out.push_str(front_matter.trim_end());
        out.push_str("\n+++\n\n");
    }
    let intro = intro.trim();
    if !intro.is_empty() {
        out.push_str(intro);
        out.push_str("\n\n");
    }
    out.push_str(&sections.join("\n\n"));
    out.push('\n');
    out
}

fn text_path(dir: &Path, key: &TextKey, folder: &str) -> PathBuf {
    let module = dir.join(&key.course).join(folder);
    if key.is_adaptation() {
        module
            .join("national")
            .join(&key.country)
            .join(format!("{}.md", key.language))
    } else {
        module.join(format!("{}.md", key.language))
    }
}

/// Writes one module's texts where the database differs from the files.
fn export_module(
    conn: &mut DbConnection,
    dir: &Path,
    course: &str,
    module: &str,
    report: &mut ExportReport,
) -> anyhow::Result<()> {
    let texts = ModuleTexts::load(conn, course, module).map_err(|e| anyhow::anyhow!("{e}"))?;
    for source in &texts.sources {
        let key = source.key();
        let path = text_path(dir, &key, &source.folder);
        let ids = texts.section_ids(&key);
        let mut sections = Vec::new();
        let mut based_on = BTreeMap::new();
        let mut same_as_file = path.is_file();
        for id in &ids {
            let cell = key.cell(id);
            let Some(history) = texts.history(&cell) else { continue };
            let live = history.live();
            let from_file = history.last_from_files();
            let matches_file = match (live, from_file) {
                (Some(l), Some(f)) => l.removes == f.removes && l.markdown == f.markdown && l.based_on == f.based_on,
                (None, None) => true,
                _ => false,
            };
            same_as_file &= matches_file;
            if let Some(live) = live.filter(|l| !l.removes) {
                sections.push(live.markdown.clone());
                if !live.based_on.is_empty() {
                    based_on.insert(id.clone(), live.based_on.clone());
                }
            }
        }
        if same_as_file {
            continue;
        }
        if sections.is_empty() {
            if path.is_file() {
                std::fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
                report.removed.push(path);
            }
            continue;
        }
        // Base texts record no fingerprints; translations and adaptations do.
        let parent = texts.parent_text(&key);
        let front = match &parent {
            // A translation begun in the browser has no front matter of its own yet:
            // the file gets its parent's (title, minutes, outcomes) and says where it
            // was translated from.
            Some(parent) if !key.is_adaptation() && source.front_matter.trim().is_empty() => {
                let parent_front: String = texts
                    .source(parent)
                    .map(|p| p.front_matter.as_str())
                    .unwrap_or_default()
                    .lines()
                    .filter(|line| !line.trim_start().starts_with("translated_from"))
                    .map(|line| format!("{line}\n"))
                    .collect();
                let declared = format!("translated_from = \"{}\"\n{parent_front}", parent.language);
                with_based_on(&declared, &based_on)
            }
            Some(_) => with_based_on(&source.front_matter, &based_on),
            None => source.front_matter.clone(),
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, file_text(&front, &source.intro, &sections))
            .with_context(|| format!("cannot write {}", path.display()))?;
        report.rewritten.push(path);
    }
    Ok(())
}

/// Exports every course of the catalogue (or one) to `dir`, copying the rest of
/// each course from `source_dir`; the law tables and glossaries go with them.
pub fn export(
    conn: &mut DbConnection,
    source_dir: &Path,
    dir: &Path,
    only: Option<&str>,
) -> anyhow::Result<ExportReport> {
    let mut report = ExportReport::default();
    // Every course in the catalogue, those without sections too (a prerequisite must
    // travel with the course that names it).
    let courses: Vec<String> = crate::courses::store::active_courses(conn)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .into_iter()
        .map(|c| c.id)
        .collect();
    let courses: Vec<String> = match only {
        Some(id) if courses.iter().any(|c| c == id) => vec![id.to_owned()],
        Some(id) => anyhow::bail!("no course `{id}` in the database"),
        None => courses,
    };
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for course in &courses {
        let from = source_dir.join(course);
        if from.is_dir() && from != dir.join(course) {
            copy_dir(&from, &dir.join(course))?;
        }
        let modules: Vec<String> = {
            let mut ids: Vec<String> = store::sources_of_course(conn, course)
                .map_err(|e| anyhow::anyhow!("{e}"))?
                .into_iter()
                .map(|s| s.module_id)
                .collect();
            ids.dedup();
            ids
        };
        for module in modules {
            export_module(conn, dir, course, &module, &mut report)?;
        }
        report.courses.push(course.clone());
    }
    for folder in ["_law", "_glossary"] {
        let from = source_dir.join(folder);
        if from.is_dir() && from != dir.join(folder) {
            copy_dir(&from, &dir.join(folder))?;
        }
    }
    report.law_tables = super::files::write_law_tables(conn, dir)?;
    report.glossaries = super::files::write_glossaries(conn, dir)?;
    Ok(report)
}
