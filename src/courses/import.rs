//! Loading checked courses into the database.
//!
//! Importing is idempotent: a course whose files have not changed is left alone (no
//! new revision); a changed course gets a new revision, and only the module texts
//! whose rendering changed are rewritten. Progress is keyed by course and module id
//! and never touched, so no import loses or resets it. Module Markdown is rendered
//! here, once, and the HTML stored; pages never render Markdown.

use std::collections::BTreeSet;

use chrono::Utc;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use super::load::{Catalogue, LoadedCourse, LoadedModule};
use super::store::ModuleVersionRow;
use crate::db::locks::{self, Lock};
use crate::db::schema::{
    course_modules, course_revisions, courses, glossary_terms, law_entries, module_files, module_versions,
};
use crate::db::{self, settings, DbConnection};
use crate::error::AppError;

const LAW_HASH_SETTING: &str = "law_entries_sha256";
const GLOSSARY_HASH_SETTING: &str = "glossary_terms_sha256";

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportReport {
    /// Courses imported with a new revision, and that revision.
    pub imported: Vec<(String, i32)>,
    pub unchanged: Vec<String>,
    /// Courses not imported because of errors; the database keeps their last revision.
    pub skipped: Vec<String>,
    /// Courses no longer in the folder, hidden from the catalogue (progress is kept).
    pub deactivated: Vec<String>,
    pub law_updated: bool,
}

fn sha256_hex(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// One rendered text of a module: a language, and a country for adaptations.
pub struct Variant {
    pub language: String,
    pub country: String,
    pub title: String,
    pub outcomes: Vec<String>,
    pub html: String,
    pub law_concepts: Vec<String>,
    pub outdated: Vec<String>,
}

impl Variant {
    fn content_hash(&self) -> String {
        let outcomes = self.outcomes.join("\n");
        let concepts = self.law_concepts.join(" ");
        let outdated = self.outdated.join(" ");
        sha256_hex(&[
            self.title.as_bytes(),
            outcomes.as_bytes(),
            self.html.as_bytes(),
            concepts.as_bytes(),
            outdated.as_bytes(),
        ])
    }
}

fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

/// How far an import has got, for whoever shows it (the command line draws a bar);
/// the library itself shows nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress<'a> {
    /// Modules imported, found unchanged or skipped so far.
    pub done: usize,
    /// Modules of every course in the folder.
    pub total: usize,
    /// The course being imported.
    pub course: &'a str,
}

/// Imports every course of the catalogue that has no errors. Instances starting
/// together import one after the other.
pub fn import(conn: &mut DbConnection, catalogue: &Catalogue) -> Result<ImportReport, AppError> {
    import_with_progress(conn, catalogue, &mut |_| {})
}

/// [`import`], calling `progress` once before the first course and after every module.
pub fn import_with_progress(
    conn: &mut DbConnection,
    catalogue: &Catalogue,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<ImportReport, AppError> {
    locks::while_held(conn, Lock::CourseImport, |conn| {
        import_locked(conn, catalogue, progress)
    })
}

fn import_locked(
    conn: &mut DbConnection,
    catalogue: &Catalogue,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<ImportReport, AppError> {
    let total = catalogue.courses.iter().map(|c| c.modules.len()).sum();
    let mut done = 0;
    progress(Progress {
        done,
        total,
        course: catalogue.courses.first().map(|c| c.id.as_str()).unwrap_or_default(),
    });
    let mut report = ImportReport::default();
    let law_has_errors = catalogue.diagnostics.all().iter().any(|d| {
        d.severity == super::diagnostics::Severity::Error && d.path.components().any(|c| c.as_os_str() == "_law")
    });
    if !law_has_errors {
        report.law_updated = db::write_transaction(conn, |conn| import_law(conn, catalogue))?;
    }
    let glossary_has_errors = catalogue.diagnostics.all().iter().any(|d| {
        d.severity == super::diagnostics::Severity::Error && d.path.components().any(|c| c.as_os_str() == "_glossary")
    });
    if !glossary_has_errors {
        db::write_transaction(conn, |conn| import_glossaries(conn, catalogue))?;
    }
    for course in &catalogue.courses {
        let before = done;
        if catalogue.diagnostics.has_errors_under(&course.dir) {
            report.skipped.push(course.id.clone());
        } else {
            let mut module_done = |modules: usize| {
                progress(Progress {
                    done: before + modules,
                    total,
                    course: &course.id,
                })
            };
            match db::write_transaction(conn, |conn| import_course(conn, course, &mut module_done))? {
                Some(revision) => report.imported.push((course.id.clone(), revision)),
                None => report.unchanged.push(course.id.clone()),
            }
        }
        done = before + course.modules.len();
        progress(Progress {
            done,
            total,
            course: &course.id,
        });
    }
    let present: BTreeSet<&str> = catalogue.courses.iter().map(|c| c.id.as_str()).collect();
    let active: Vec<String> = courses::table
        .filter(courses::active.eq(true))
        .select(courses::id)
        .load(conn)?;
    for id in active.into_iter().filter(|id| !present.contains(id.as_str())) {
        diesel::update(courses::table.find(&id))
            .set(courses::active.eq(false))
            .execute(conn)?;
        report.deactivated.push(id);
    }
    Ok(report)
}

/// A law entry as the import compares it: country, concept, the hash of its file
/// version, who edited it in the browser, when it was marked amended.
type StoredLawEntry = (String, String, String, Option<i64>, Option<chrono::NaiveDateTime>);

/// Brings the law tables of `_law/` into the database entry by entry, never undoing
/// what was edited and approved in the browser: an entry read as it was last read
/// changes nothing; a changed entry that only the files ever wrote is replaced; a
/// changed entry edited in the browser arrives as a proposal for review.
fn import_law(conn: &mut DbConnection, catalogue: &Catalogue) -> Result<bool, AppError> {
    let serialised = json(&catalogue.law);
    let hash = sha256_hex(&[serialised.as_bytes()]);
    if settings::get(conn, LAW_HASH_SETTING)?.as_deref() == Some(hash.as_str()) {
        return Ok(false);
    }
    let now = Utc::now().naive_utc();
    let stored: Vec<StoredLawEntry> = law_entries::table
        .select((
            law_entries::country,
            law_entries::concept,
            law_entries::file_hash,
            law_entries::updated_by,
            law_entries::amended_at,
        ))
        .load(conn)?;
    let current = crate::authoring::files::law_as_files(conn)?;
    for (country, entries) in &catalogue.law {
        for (concept, entry) in entries {
            let file_hash = sha256_hex(&[json(entry).as_bytes()]);
            let existing = stored.iter().find(|(c, k, ..)| c == country && k == concept);
            let same_as_stored = current.get(country).and_then(|e| e.get(concept)) == Some(entry);
            let effective = entry
                .effective
                .as_deref()
                .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
            let values = (
                law_entries::article.eq(entry.article.trim()),
                law_entries::codes.eq(json(&entry.code)),
                law_entries::titles.eq(json(&entry.title)),
                law_entries::notes.eq(json(&entry.note)),
                law_entries::source.eq(entry.source.trim()),
                law_entries::verified.eq(entry.verified),
                law_entries::status.eq(entry.status.clone().unwrap_or_else(|| "in_force".into())),
                law_entries::effective.eq(effective),
                law_entries::amendment_note.eq(entry.amendment_note.clone().unwrap_or_default()),
                law_entries::file_hash.eq(&file_hash),
            );
            match existing {
                Some((_, _, stored_hash, _, _)) if stored_hash == &file_hash => {}
                Some((_, _, _, Some(_), _)) => {
                    // Edited in the browser: the files' version waits for review,
                    // unless it is what the browser approved (an export read back).
                    if !same_as_stored {
                        crate::authoring::law_table::propose_from_files(conn, country, concept, entry, now)?;
                    }
                    diesel::update(law_entries::table.find((country, concept)))
                        .set(law_entries::file_hash.eq(&file_hash))
                        .execute(conn)?;
                }
                Some((_, _, _, None, amended_at)) => {
                    let amended_at = match (&entry.status, amended_at) {
                        (None, _) => None,
                        (Some(_), Some(at)) => Some(*at),
                        (Some(_), None) => Some(now),
                    };
                    diesel::update(law_entries::table.find((country, concept)))
                        .set((values, law_entries::amended_at.eq(amended_at)))
                        .execute(conn)?;
                }
                None => {
                    diesel::insert_into(law_entries::table)
                        .values((
                            law_entries::country.eq(country),
                            law_entries::concept.eq(concept),
                            values,
                            law_entries::amended_at.eq(entry.status.as_ref().map(|_| now)),
                        ))
                        .execute(conn)?;
                }
            }
        }
    }
    // Entries the files no longer have go, unless they were edited in the browser.
    for (country, concept, _, updated_by, _) in &stored {
        let in_files = catalogue.law.get(country).is_some_and(|e| e.contains_key(concept));
        if !in_files && updated_by.is_none() {
            diesel::delete(law_entries::table.find((country, concept))).execute(conn)?;
        }
    }
    settings::set(conn, LAW_HASH_SETTING, &hash)?;
    Ok(true)
}

/// Brings the glossaries of `_glossary/` into the database: terms never edited in the
/// browser follow the files; terms edited in the browser are kept; a term deleted in
/// the browser (its tombstone) stays deleted unless the files now give it another text
/// than the one deleted, which then follows the files again.
fn import_glossaries(conn: &mut DbConnection, catalogue: &Catalogue) -> Result<(), AppError> {
    let hash = sha256_hex(&[json(&catalogue.glossaries).as_bytes()]);
    if settings::get(conn, GLOSSARY_HASH_SETTING)?.as_deref() == Some(hash.as_str()) {
        return Ok(());
    }
    settings::set(conn, GLOSSARY_HASH_SETTING, &hash)?;
    let now = Utc::now().naive_utc();
    for (language, terms) in &catalogue.glossaries {
        type Kept = (String, bool, String, String, String, String);
        let kept: Vec<Kept> = glossary_terms::table
            .filter(glossary_terms::language.eq(language))
            .filter(glossary_terms::updated_by.is_not_null())
            .select((
                glossary_terms::term,
                glossary_terms::deleted,
                glossary_terms::source_en,
                glossary_terms::source_ru,
                glossary_terms::translation,
                glossary_terms::note,
            ))
            .load(conn)?;
        diesel::delete(
            glossary_terms::table
                .filter(glossary_terms::language.eq(language))
                .filter(glossary_terms::updated_by.is_null()),
        )
        .execute(conn)?;
        for (term, entry) in terms {
            let translation = entry.translation(language);
            let file_text = (
                entry.en.as_str(),
                entry.ru.as_str(),
                translation.as_str(),
                entry.note.as_str(),
            );
            match kept.iter().find(|k| &k.0 == term) {
                // Edited in the browser, or deleted there with the text the files
                // still have: the browser's decision stands.
                Some(k) if !k.1 || (k.2.as_str(), k.3.as_str(), k.4.as_str(), k.5.as_str()) == file_text => continue,
                // Deleted, but the files changed the term since: it is theirs again.
                Some(_) => {
                    diesel::delete(glossary_terms::table.find((language, term))).execute(conn)?;
                }
                None => {}
            }
            diesel::insert_into(glossary_terms::table)
                .values((
                    glossary_terms::language.eq(language),
                    glossary_terms::term.eq(term),
                    glossary_terms::source_en.eq(&entry.en),
                    glossary_terms::source_ru.eq(&entry.ru),
                    glossary_terms::translation.eq(&translation),
                    glossary_terms::note.eq(&entry.note),
                    glossary_terms::updated_at.eq(now),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// Imports one course; `Some(revision)` when it changed, `None` when it had not.
/// `module_done` is told how many of its modules are imported so far.
fn import_course(
    conn: &mut DbConnection,
    course: &LoadedCourse,
    module_done: &mut dyn FnMut(usize),
) -> Result<Option<i32>, AppError> {
    let now = Utc::now().naive_utc();
    let existing: Option<(String, i32, bool)> = courses::table
        .find(&course.id)
        .select((courses::source_hash, courses::revision, courses::active))
        .first(conn)
        .optional()?;
    if let Some((hash, _, true)) = &existing {
        if hash == &course.source_hash {
            return Ok(None);
        }
    }
    let revision = existing.as_ref().map(|(_, r, _)| r + 1).unwrap_or(1);
    let meta = &course.meta;
    let course_settings = serde_json::json!({
        "completion": meta.completion,
        "valid_years": meta.valid_years,
        "certificate": meta.certificate,
    });
    let values = (
        courses::version.eq(meta.version.as_text()),
        courses::hours.eq(meta.hours),
        courses::audience.eq(meta.audience.join(" ")),
        courses::titles.eq(json(&meta.title)),
        courses::summaries.eq(json(&meta.summary)),
        courses::prerequisites.eq(json(&meta.prerequisites)),
        courses::settings.eq(course_settings.to_string()),
        courses::source_hash.eq(&course.source_hash),
        courses::revision.eq(revision),
        courses::active.eq(true),
        courses::imported_at.eq(now),
    );
    if existing.is_some() {
        diesel::update(courses::table.find(&course.id))
            .set(values)
            .execute(conn)?;
    } else {
        diesel::insert_into(courses::table)
            .values((courses::id.eq(&course.id), values))
            .execute(conn)?;
    }
    diesel::insert_into(course_revisions::table)
        .values((
            course_revisions::course_id.eq(&course.id),
            course_revisions::revision.eq(revision),
            course_revisions::source_hash.eq(&course.source_hash),
            course_revisions::imported_at.eq(now),
        ))
        .execute(conn)?;
    import_modules(conn, course, revision, module_done)?;
    crate::quizzes::import::import_quizzes(conn, &course.id, &course.quizzes)?;
    // Publication comes from the courses folder (at start or `bilim courses import`),
    // so the system is the actor.
    crate::audit::record(
        conn,
        crate::audit::Entry {
            actor: None,
            action: crate::audit::Action::CoursePublished,
            subject: format!("course:{}", course.id),
            details: serde_json::json!({ "revision": revision, "source_hash": course.source_hash }),
        },
        now,
    )?;
    Ok(Some(revision))
}

fn import_modules(
    conn: &mut DbConnection,
    course: &LoadedCourse,
    revision: i32,
    module_done: &mut dyn FnMut(usize),
) -> Result<(), AppError> {
    let now = Utc::now().naive_utc();
    diesel::update(course_modules::table.filter(course_modules::course_id.eq(&course.id)))
        .set(course_modules::active.eq(false))
        .execute(conn)?;
    for (index, module) in course.modules.iter().enumerate() {
        let minutes = module.primary().map(|t| t.front.minutes).unwrap_or(0);
        let position = i32::try_from(index).unwrap_or(i32::MAX);
        let minutes = i32::try_from(minutes).unwrap_or(i32::MAX);
        let key = course_modules::table.find((&course.id, &module.id));
        let updated = diesel::update(key)
            .set((
                course_modules::position.eq(position),
                course_modules::minutes.eq(minutes),
                course_modules::active.eq(true),
            ))
            .execute(conn)?;
        if updated == 0 {
            diesel::insert_into(course_modules::table)
                .values((
                    course_modules::course_id.eq(&course.id),
                    course_modules::id.eq(&module.id),
                    course_modules::position.eq(position),
                    course_modules::minutes.eq(minutes),
                    course_modules::active.eq(true),
                ))
                .execute(conn)?;
        }
        import_versions(conn, course, module, revision, now)?;
        import_files(conn, course, module)?;
        module_done(index + 1);
    }
    Ok(())
}

/// Brings the module's sections from the files into the authoring revisions (never
/// undoing approved work done in the browser), then renders what learners read from the
/// live revisions.
fn import_versions(
    conn: &mut DbConnection,
    course: &LoadedCourse,
    module: &LoadedModule,
    revision: i32,
    now: chrono::NaiveDateTime,
) -> Result<(), AppError> {
    crate::authoring::sync::sync_module(conn, course, module, now)?;
    let texts = crate::authoring::lineage::ModuleTexts::load(conn, &course.id, &module.id)?;
    let folders: Vec<(String, String)> = course
        .modules
        .iter()
        .map(|m| (m.folder.clone(), m.id.clone()))
        .collect();
    let amendments = crate::authoring::lineage::Amendments::load(conn)?;
    let variants = crate::authoring::publish::variants(&texts, &course.id, &module.id, &folders, &amendments);
    store_variants(conn, &course.id, &module.id, &variants, revision, now)
}

/// Stores a module's rendered texts: writes those whose content changed and deletes
/// those no longer rendered.
pub fn store_variants(
    conn: &mut DbConnection,
    course_id: &str,
    module_id: &str,
    variants: &[Variant],
    revision: i32,
    now: chrono::NaiveDateTime,
) -> Result<(), AppError> {
    let existing: Vec<(String, String, String)> = module_versions::table
        .filter(module_versions::course_id.eq(course_id))
        .filter(module_versions::module_id.eq(module_id))
        .select((
            module_versions::language,
            module_versions::country,
            module_versions::content_hash,
        ))
        .load(conn)?;
    for variant in variants {
        let hash = variant.content_hash();
        let stored = existing
            .iter()
            .find(|(l, c, _)| l == &variant.language && c == &variant.country);
        if stored.is_some_and(|(_, _, h)| h == &hash) {
            continue;
        }
        let row = ModuleVersionRow {
            course_id: course_id.to_owned(),
            module_id: module_id.to_owned(),
            language: variant.language.clone(),
            country: variant.country.clone(),
            title: variant.title.clone(),
            outcomes: json(&variant.outcomes),
            html: variant.html.clone(),
            law_concepts: variant.law_concepts.join(" "),
            outdated_sections: variant.outdated.join(" "),
            content_hash: hash,
            revision,
            updated_at: now,
        };
        if stored.is_some() {
            diesel::update(module_versions::table.find((&row.course_id, &row.module_id, &row.language, &row.country)))
                .set(&row)
                .execute(conn)?;
        } else {
            diesel::insert_into(module_versions::table).values(&row).execute(conn)?;
        }
    }
    for (language, country, _) in &existing {
        if !variants
            .iter()
            .any(|v| &v.language == language && &v.country == country)
        {
            diesel::delete(module_versions::table.find((course_id, module_id, language, country))).execute(conn)?;
        }
    }
    Ok(())
}

fn import_files(conn: &mut DbConnection, course: &LoadedCourse, module: &LoadedModule) -> Result<(), AppError> {
    let existing: Vec<(String, String)> = module_files::table
        .filter(module_files::course_id.eq(&course.id))
        .filter(module_files::module_id.eq(&module.id))
        .select((module_files::name, module_files::content_hash))
        .load(conn)?;
    for attachment in &module.attachments {
        let hash = sha256_hex(&[&attachment.bytes]);
        match existing.iter().find(|(name, _)| name == &attachment.name) {
            Some((_, stored)) if stored == &hash => {}
            Some(_) => {
                diesel::update(module_files::table.find((&course.id, &module.id, &attachment.name)))
                    .set((
                        module_files::content_type.eq(attachment.content_type),
                        module_files::bytes.eq(&attachment.bytes),
                        module_files::content_hash.eq(&hash),
                    ))
                    .execute(conn)?;
            }
            None => {
                diesel::insert_into(module_files::table)
                    .values((
                        module_files::course_id.eq(&course.id),
                        module_files::module_id.eq(&module.id),
                        module_files::name.eq(&attachment.name),
                        module_files::content_type.eq(attachment.content_type),
                        module_files::bytes.eq(&attachment.bytes),
                        module_files::content_hash.eq(&hash),
                    ))
                    .execute(conn)?;
            }
        }
    }
    for (name, _) in &existing {
        if !module.attachments.iter().any(|a| &a.name == name) {
            diesel::delete(module_files::table.find((&course.id, &module.id, name))).execute(conn)?;
        }
    }
    Ok(())
}
