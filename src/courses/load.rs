//! Reading a courses folder: every file parsed and checked, every problem reported
//! with its file and line. The validator prints the problems; the importer loads the
//! courses that have none.
//!
//! This file holds what is read and the order of reading; `source.rs` reads the
//! files, `checks.rs` checks what they say, `overrides.rs` reads national
//! adaptations and `law_and_glossary.rs` the folder-wide law and glossary files.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::checks::{check_body, check_completion_rule, check_course_meta, check_prerequisites, check_section_ids};
use super::format::{self, CourseToml, FrontMatterError, LawEntry, ModuleFrontMatter, OverrideFrontMatter};
use super::law_and_glossary::{load_glossaries, load_law};
use super::markdown::LinkContext;
use super::overrides::load_overrides;
use super::sections::{self, SplitDocument};
// A catalogue carries its diagnostics, so callers name them through this module.
pub use super::diagnostics::{Diagnostic, Diagnostics, Severity};
// The quiz files of a course are read and checked with the same helpers, which
// `quizzes::format` reaches through this module.
pub(crate) use super::checks::check_language_keys;
pub(crate) use super::source::{file_name, line_starting_with, parse_toml, read_text, sorted_entries};
use crate::i18n::Locale;

/// A module text in one language, as read.
#[derive(Debug, Clone)]
pub struct LoadedText {
    pub path: PathBuf,
    pub front: ModuleFrontMatter,
    /// The front matter as written, for export.
    pub front_text: String,
    pub body: String,
    pub body_first_line: usize,
    pub split: SplitDocument,
}

/// A national adaptation of one language of a module.
#[derive(Debug, Clone)]
pub struct LoadedOverride {
    pub country: String,
    pub language: Locale,
    pub path: PathBuf,
    pub front: OverrideFrontMatter,
    /// The front matter as written (empty when the file has none), for export.
    pub front_text: String,
    pub split: SplitDocument,
    /// Ids of the adapted sections whose base changed since the adaptation.
    pub outdated: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Attachment {
    pub name: String,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct LoadedModule {
    pub id: String,
    pub folder: String,
    pub number: u32,
    pub texts: BTreeMap<Locale, LoadedText>,
    pub overrides: Vec<LoadedOverride>,
    pub attachments: Vec<Attachment>,
}

impl LoadedModule {
    /// The language of the base text: English when the module has it, otherwise Russian.
    pub fn base_language(&self) -> Option<Locale> {
        [Locale::En, Locale::Ru]
            .into_iter()
            .find(|l| self.texts.contains_key(l))
    }

    /// The language a translation was made from (`None` for the base): as its front
    /// matter says, otherwise Russian for the region's languages when the module has
    /// Russian, otherwise the base.
    pub fn parent_language(&self, language: Locale) -> Option<Locale> {
        let base = self.base_language()?;
        if language == base {
            return None;
        }
        let declared = self
            .texts
            .get(&language)
            .and_then(|t| t.front.translated_from.as_deref())
            .and_then(Locale::from_code);
        if let Some(declared) = declared.filter(|d| *d != language) {
            return Some(declared);
        }
        if language != Locale::Ru && language != Locale::En && self.texts.contains_key(&Locale::Ru) {
            return Some(Locale::Ru);
        }
        Some(base)
    }

    /// The text whose settings (minutes) stand for the module: English, else Russian.
    pub fn primary(&self) -> Option<&LoadedText> {
        self.texts.get(&Locale::En).or_else(|| self.texts.get(&Locale::Ru))
    }
}

#[derive(Debug, Clone)]
pub struct LoadedCourse {
    pub id: String,
    pub dir: PathBuf,
    pub meta: CourseToml,
    pub modules: Vec<LoadedModule>,
    pub quizzes: Vec<crate::quizzes::format::LoadedQuiz>,
    /// Every byte the course is made of, for its content fingerprint.
    pub source_hash: String,
}

#[derive(Debug, Default)]
pub struct Catalogue {
    pub courses: Vec<LoadedCourse>,
    /// Country (lower case) → concept → entry.
    pub law: BTreeMap<String, BTreeMap<String, LawEntry>>,
    /// Language → term id → agreed term, from `_glossary/<lang>.toml`.
    pub glossaries: BTreeMap<String, BTreeMap<String, super::law_and_glossary::GlossaryEntry>>,
    pub diagnostics: Diagnostics,
}

impl Catalogue {
    pub fn law_concepts(&self) -> BTreeSet<&str> {
        self.law
            .values()
            .flat_map(|entries| entries.keys().map(String::as_str))
            .collect()
    }
}

/// Reads every course, law file and glossary under `dir`.
pub fn load(dir: &Path) -> Catalogue {
    let mut catalogue = Catalogue::default();
    if !dir.is_dir() {
        catalogue.diagnostics.error(dir, 1, "the courses folder does not exist");
        return catalogue;
    }
    let entries = sorted_entries(dir, dir, &mut catalogue.diagnostics);
    let law_dir = dir.join("_law");
    if law_dir.is_dir() {
        load_law(&law_dir, &mut catalogue);
    }
    let glossary_dir = dir.join("_glossary");
    if glossary_dir.is_dir() {
        load_glossaries(&glossary_dir, &mut catalogue);
    }
    let concepts: BTreeSet<String> = catalogue.law_concepts().into_iter().map(str::to_owned).collect();
    for path in entries {
        let name = file_name(&path);
        if !path.is_dir() || name.starts_with('_') || name.starts_with('.') {
            continue;
        }
        if let Some(course) = load_course(&path, &name, &concepts, &mut catalogue.diagnostics) {
            catalogue.courses.push(course);
        }
    }
    check_prerequisites(&mut catalogue);
    catalogue.diagnostics.sort();
    catalogue
}

/// A SHA-256 over the path and bytes of every file of the course, so that the importer
/// can leave an unchanged course alone.
fn course_fingerprint(dir: &Path) -> String {
    use sha2::{Digest, Sha256};
    let mut files = Vec::new();
    collect_files(dir, &mut files);
    files.sort();
    let mut hasher = Sha256::new();
    for file in files {
        if let Ok(bytes) = std::fs::read(&file) {
            let relative = file.strip_prefix(dir).unwrap_or(&file);
            hasher.update(relative.to_string_lossy().as_bytes());
            hasher.update([0]);
            hasher.update((bytes.len() as u64).to_le_bytes());
            hasher.update(&bytes);
        }
    }
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                collect_files(&path, out);
            } else {
                out.push(path);
            }
        }
    }
}

fn load_course(
    dir: &Path,
    id: &str,
    concepts: &BTreeSet<String>,
    diagnostics: &mut Diagnostics,
) -> Option<LoadedCourse> {
    let toml_path = dir.join("course.toml");
    if !format::is_valid_id(id) {
        diagnostics.error(
            dir,
            1,
            format!("course id `{id}` must use lower-case Latin letters, digits and hyphens"),
        );
    }
    if !toml_path.is_file() {
        diagnostics.error(&toml_path, 1, "the course has no course.toml");
        return None;
    }
    let text = read_text(&toml_path, diagnostics)?;
    let meta: CourseToml = parse_toml(&text, 1, &toml_path, diagnostics)?;
    check_course_meta(&meta, &text, &toml_path, diagnostics);

    let mut folders: Vec<(u32, String, PathBuf)> = Vec::new();
    for path in sorted_entries(dir, dir, diagnostics) {
        let name = file_name(&path);
        if !path.is_dir() {
            if name != "course.toml" && !name.starts_with('.') {
                diagnostics.warning(&path, 1, "not part of the course format; ignored");
            }
            continue;
        }
        if name == "quizzes" || name.starts_with('.') {
            continue;
        }
        match format::parse_module_folder(&name) {
            Some((number, module_id)) if format::is_valid_id(module_id) => {
                folders.push((number, name.clone(), path));
            }
            _ => diagnostics.error(
                &path,
                1,
                format!("`{name}` is not a module folder: name it NN-module-id, e.g. 01-what-is-cybercrime"),
            ),
        }
    }
    if folders.is_empty() {
        diagnostics.error(&toml_path, 1, "the course has no modules");
    }
    let module_folders: Vec<(String, String)> = folders
        .iter()
        .filter_map(|(_, name, _)| format::parse_module_folder(name).map(|(_, id)| (name.clone(), id.to_owned())))
        .collect();
    let mut modules: Vec<LoadedModule> = Vec::new();
    let mut numbers: BTreeMap<u32, String> = BTreeMap::new();
    for (number, name, path) in &folders {
        if let Some(other) = numbers.insert(*number, name.clone()) {
            diagnostics.warning(
                path,
                1,
                format!("module number {number:02} is also used by `{other}`: the order is unclear"),
            );
        }
        let Some(module) = load_module(id, name, path, &module_folders, concepts, diagnostics) else {
            continue;
        };
        if modules.iter().any(|m| m.id == module.id) {
            diagnostics.error(path, 1, format!("duplicate module id `{}`", module.id));
            continue;
        }
        modules.push(module);
    }
    let module_ids: Vec<String> = modules.iter().map(|m| m.id.clone()).collect();
    let quizzes = crate::quizzes::format::load_quizzes(dir, &module_ids, diagnostics);
    check_completion_rule(&meta, &text, &toml_path, &module_ids, &quizzes, diagnostics);
    Some(LoadedCourse {
        id: id.to_owned(),
        dir: dir.to_path_buf(),
        meta,
        modules,
        quizzes,
        source_hash: course_fingerprint(dir),
    })
}

fn load_module(
    course_id: &str,
    folder: &str,
    dir: &Path,
    module_folders: &[(String, String)],
    concepts: &BTreeSet<String>,
    diagnostics: &mut Diagnostics,
) -> Option<LoadedModule> {
    let (number, id) = format::parse_module_folder(folder)?;
    let mut module = LoadedModule {
        id: id.to_owned(),
        folder: folder.to_owned(),
        number,
        texts: BTreeMap::new(),
        overrides: Vec::new(),
        attachments: Vec::new(),
    };
    let mut national_dir = None;
    for path in sorted_entries(dir, dir, diagnostics) {
        let name = file_name(&path);
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            if name == "national" {
                national_dir = Some(path);
            } else {
                diagnostics.error(&path, 1, "unexpected folder in a module (only `national/` is allowed)");
            }
            continue;
        }
        if let Some(stem) = name.strip_suffix(".md") {
            match Locale::from_code(stem).filter(|l| l.code() == stem) {
                Some(language) => {
                    if let Some(text) = load_text(&path, diagnostics) {
                        module.texts.insert(language, text);
                    }
                }
                None => diagnostics.error(
                    &path,
                    1,
                    format!(
                        "unknown language file `{name}`: module files are en.md ru.md kk.md ky.md tg.md tk.md uz.md"
                    ),
                ),
            }
            continue;
        }
        match format::attachment_content_type(&name) {
            Some(content_type) => match std::fs::read(&path) {
                Ok(bytes) => module.attachments.push(Attachment {
                    name,
                    content_type,
                    bytes,
                }),
                Err(error) => diagnostics.error(&path, 1, format!("cannot read the file: {error}")),
            },
            None => diagnostics.error(
                &path,
                1,
                "unsupported attachment type (use png jpg gif webp svg pdf txt csv docx xlsx pptx odt zip mp3 mp4)",
            ),
        }
    }
    if !module.texts.contains_key(&Locale::En) && !module.texts.contains_key(&Locale::Ru) {
        diagnostics.error(dir, 1, "the module has neither en.md nor ru.md");
    }
    let links = LinkContext {
        course_id,
        module_id: id,
        module_folders,
    };
    for (language, text) in &module.texts {
        check_body(text, &[], *language, &links, &module, concepts, diagnostics);
    }
    check_translations(&module, diagnostics);
    if let Some(national_dir) = national_dir {
        load_overrides(&national_dir, &mut module, &links, concepts, diagnostics);
    }
    Some(module)
}

/// A translation's `[based_on]` against the text it was made from: outdated sections
/// are reported as for national adaptations.
fn check_translations(module: &LoadedModule, diagnostics: &mut Diagnostics) {
    for (language, text) in &module.texts {
        let Some(parent_language) = module.parent_language(*language) else {
            continue;
        };
        let parent_name = format!("{}.md", parent_language.code());
        if let Some(declared) = &text.front.translated_from {
            if Locale::from_code(declared).is_none_or(|d| !module.texts.contains_key(&d)) {
                diagnostics.error(
                    &text.path,
                    line_starting_with(&text.front_text, "translated_from") + 1,
                    format!("translated_from names `{declared}`, a language this module does not have"),
                );
                continue;
            }
        }
        let Some(parent) = module.texts.get(&parent_language) else {
            continue;
        };
        if text.front.based_on.is_empty() {
            continue;
        }
        for section in &text.split.sections {
            let Some(parent_section) = parent.split.find(&section.id) else {
                diagnostics.warning(
                    &text.path,
                    section.line,
                    format!("orphaned: section `{}` no longer exists in {parent_name}", section.id),
                );
                continue;
            };
            match text.front.based_on.get(&section.id) {
                Some(recorded) if recorded == &parent_section.fingerprint => {}
                Some(recorded) => diagnostics.warning(
                    &text.path,
                    section.line,
                    format!(
                        "outdated: section `{}` of {parent_name} changed since it was translated (based_on {recorded}, now {}); review the translation and update based_on",
                        section.id, parent_section.fingerprint
                    ),
                ),
                None => diagnostics.warning(
                    &text.path,
                    section.line,
                    format!(
                        "section `{}` has no based_on fingerprint; add `{} = \"{}\"` to [based_on]",
                        section.id, section.id, parent_section.fingerprint
                    ),
                ),
            }
        }
        for id in text.front.based_on.keys() {
            if text.split.find(id).is_none() {
                diagnostics.warning(
                    &text.path,
                    line_starting_with(&text.front_text, id) + 1,
                    format!("based_on names `{id}`, which this translation does not have"),
                );
            }
        }
    }
}

fn load_text(path: &Path, diagnostics: &mut Diagnostics) -> Option<LoadedText> {
    let text = read_text(path, diagnostics)?;
    let split = match format::split_front_matter(&text) {
        Ok(split) => split,
        Err(FrontMatterError::Missing) => {
            diagnostics.error(path, 1, "missing front matter: the file must start with a +++ line");
            return None;
        }
        Err(FrontMatterError::Unclosed) => {
            diagnostics.error(path, 1, "the front matter is not closed with a +++ line");
            return None;
        }
    };
    let front: ModuleFrontMatter = parse_toml(split.front_matter, split.front_matter_first_line, path, diagnostics)?;
    if front.title.trim().is_empty() {
        diagnostics.error(
            path,
            line_starting_with(split.front_matter, "title") + 1,
            "title must not be empty",
        );
    }
    if front.minutes == 0 {
        diagnostics.error(
            path,
            line_starting_with(split.front_matter, "minutes") + 1,
            "minutes must be above 0",
        );
    }
    if front.outcomes.is_empty() || front.outcomes.iter().any(|o| o.trim().is_empty()) {
        diagnostics.error(
            path,
            line_starting_with(split.front_matter, "outcomes") + 1,
            "outcomes must list at least one learning outcome, none empty",
        );
    }
    let document = sections::split(split.body, split.body_first_line);
    check_section_ids(&document, path, diagnostics);
    Some(LoadedText {
        path: path.to_path_buf(),
        front,
        front_text: split.front_matter.to_owned(),
        body: split.body.to_owned(),
        body_first_line: split.body_first_line,
        split: document,
    })
}
