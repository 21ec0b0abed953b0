//! Reading a courses folder: every file parsed and checked, every problem reported
//! with its file and line. The validator prints the problems; the importer loads the
//! courses that have none.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::format::{
    self, CourseToml, FrontMatterError, LawEntry, ModuleFrontMatter, OverrideFrontMatter, AUDIENCES, COUNTRIES,
};
use super::markdown::{self, LinkContext, LinkTarget};
use super::sections::{self, SplitDocument};
use crate::i18n::Locale;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub path: PathBuf,
    pub line: usize,
    pub severity: Severity,
    pub message: String,
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{}:{}: {severity}: {}", self.path.display(), self.line, self.message)
    }
}

#[derive(Debug, Default)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    pub fn error(&mut self, path: &Path, line: usize, message: impl Into<String>) {
        self.push(path, line, Severity::Error, message.into());
    }

    pub fn warning(&mut self, path: &Path, line: usize, message: impl Into<String>) {
        self.push(path, line, Severity::Warning, message.into());
    }

    fn push(&mut self, path: &Path, line: usize, severity: Severity, message: String) {
        self.0.push(Diagnostic {
            path: path.to_path_buf(),
            line,
            severity,
            message,
        });
    }

    pub fn all(&self) -> &[Diagnostic] {
        &self.0
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }

    /// Whether any error concerns a file under `dir`.
    pub fn has_errors_under(&self, dir: &Path) -> bool {
        self.0
            .iter()
            .any(|d| d.severity == Severity::Error && d.path.starts_with(dir))
    }

    fn sort(&mut self) {
        self.0.sort_by(|a, b| {
            a.path
                .cmp(&b.path)
                .then(a.line.cmp(&b.line))
                .then(a.severity.cmp(&b.severity))
        });
    }
}

/// A module text in one language, as read.
#[derive(Debug, Clone)]
pub struct LoadedText {
    pub path: PathBuf,
    pub front: ModuleFrontMatter,
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

/// Reads a file as UTF-8 text with LF line endings; an error names the line of the
/// first invalid byte.
pub(crate) fn read_text(path: &Path, diagnostics: &mut Diagnostics) -> Option<String> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) => {
            diagnostics.error(path, 1, format!("cannot read the file: {error}"));
            return None;
        }
    };
    match String::from_utf8(bytes) {
        Ok(text) => {
            let text = text.strip_prefix('\u{feff}').map(str::to_owned).unwrap_or(text);
            Some(sections::normalise_line_endings(&text))
        }
        Err(error) => {
            let valid_up_to = error.utf8_error().valid_up_to();
            let line = error
                .as_bytes()
                .iter()
                .take(valid_up_to)
                .filter(|b| **b == b'\n')
                .count()
                + 1;
            diagnostics.error(path, line, "the file is not valid UTF-8: save it as UTF-8");
            None
        }
    }
}

pub(crate) fn parse_toml<T: serde::de::DeserializeOwned>(
    text: &str,
    first_line: usize,
    path: &Path,
    diagnostics: &mut Diagnostics,
) -> Option<T> {
    match toml::from_str::<T>(text) {
        Ok(value) => Some(value),
        Err(error) => {
            let (line, message) = format::toml_error_position(text, &error);
            diagnostics.error(path, first_line + line - 1, format!("invalid TOML: {message}"));
            None
        }
    }
}

/// The line of the first line in `text` starting with `prefix`, or 1.
pub(crate) fn line_starting_with(text: &str, prefix: &str) -> usize {
    text.lines()
        .position(|l| l.trim_start().starts_with(prefix))
        .map(|i| i + 1)
        .unwrap_or(1)
}

pub(crate) fn sorted_entries(dir: &Path, path_for_errors: &Path, diagnostics: &mut Diagnostics) -> Vec<PathBuf> {
    match std::fs::read_dir(dir) {
        Ok(entries) => {
            let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            paths.sort();
            paths
        }
        Err(error) => {
            diagnostics.error(path_for_errors, 1, format!("cannot read the folder: {error}"));
            Vec::new()
        }
    }
}

pub(crate) fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

pub(crate) fn check_language_keys(
    table: &BTreeMap<String, String>,
    what: &str,
    text: &str,
    path: &Path,
    diagnostics: &mut Diagnostics,
) {
    let line = line_starting_with(text, &format!("[{what}"));
    for (language, value) in table {
        if !format::is_language(language) {
            diagnostics.error(
                path,
                line,
                format!("[{what}] has an unknown language `{language}` (use en ru kk ky tg tk uz)"),
            );
        } else if value.trim().is_empty() {
            diagnostics.error(path, line, format!("[{what}] {language} is empty"));
        }
    }
    if !table.contains_key("en") && !table.contains_key("ru") {
        diagnostics.error(path, line, format!("[{what}] needs at least `en` or `ru`"));
    }
}

// ---- law files ----

fn load_law(dir: &Path, catalogue: &mut Catalogue) {
    let diagnostics = &mut catalogue.diagnostics;
    for path in sorted_entries(dir, dir, diagnostics) {
        let name = file_name(&path);
        let Some(country) = name.strip_suffix(".toml") else {
            diagnostics.warning(
                &path,
                1,
                "not a law file (law files are named kz.toml, kg.toml, tj.toml, tm.toml, uz.toml); ignored",
            );
            continue;
        };
        if !COUNTRIES.contains(&country) {
            diagnostics.error(
                &path,
                1,
                format!("unknown country `{country}`: law files are kz, kg, tj, tm, uz"),
            );
            continue;
        }
        let Some(text) = read_text(&path, diagnostics) else {
            continue;
        };
        let Some(entries) = parse_toml::<BTreeMap<String, LawEntry>>(&text, 1, &path, diagnostics) else {
            continue;
        };
        for (concept, entry) in &entries {
            let line = line_starting_with(&text, &format!("[{concept}]"));
            if !sections::is_valid_written_id(concept) {
                diagnostics.error(
                    &path,
                    line,
                    format!("concept id `{concept}` must use lower-case Latin letters, digits and _"),
                );
            }
            for (what, table) in [("code", &entry.code), ("title", &entry.title), ("note", &entry.note)] {
                for language in table.keys().filter(|l| !format::is_language(l)) {
                    diagnostics.error(
                        &path,
                        line,
                        format!("{concept}.{what} has an unknown language `{language}`"),
                    );
                }
            }
            if !entry.title.contains_key("en") && !entry.title.contains_key("ru") {
                diagnostics.error(&path, line, format!("{concept} needs a title in `en` or `ru`"));
            }
            if entry.source.trim().is_empty() {
                diagnostics.error(
                    &path,
                    line,
                    format!("{concept} needs a `source`: the address of the official text"),
                );
            }
            if !entry.verified {
                diagnostics.warning(
                    &path,
                    line,
                    format!("{concept} is not verified against the official text (verified = false)"),
                );
            }
        }
        catalogue.law.insert(country.to_owned(), entries);
    }
}

fn check_glossary(dir: &Path, diagnostics: &mut Diagnostics) {
    for path in sorted_entries(dir, dir, diagnostics) {
        let name = file_name(&path);
        match name.strip_suffix(".toml") {
            Some(language) if format::is_language(language) => {
                if let Some(text) = read_text(&path, diagnostics) {
                    parse_toml::<toml::Table>(&text, 1, &path, diagnostics);
                }
            }
            Some(other) => diagnostics.error(&path, 1, format!("unknown language `{other}` for a glossary")),
            None => {}
        }
    }
}

// ---- courses ----

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
        check_glossary(&glossary_dir, &mut catalogue.diagnostics);
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

fn check_prerequisites(catalogue: &mut Catalogue) {
    let ids: BTreeSet<String> = catalogue.courses.iter().map(|c| c.id.clone()).collect();
    for course in &catalogue.courses {
        let path = course.dir.join("course.toml");
        for prerequisite in &course.meta.prerequisites {
            if prerequisite == &course.id {
                catalogue
                    .diagnostics
                    .error(&path, 1, "a course cannot be its own prerequisite");
            } else if !ids.contains(prerequisite) {
                catalogue.diagnostics.error(
                    &path,
                    1,
                    format!("prerequisite `{prerequisite}` is not a course in this folder"),
                );
            }
        }
    }
}

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

/// `[completion]` must name modules and quizzes the course has.
fn check_completion_rule(
    meta: &CourseToml,
    text: &str,
    path: &Path,
    module_ids: &[String],
    quizzes: &[crate::quizzes::format::LoadedQuiz],
    diagnostics: &mut Diagnostics,
) {
    use crate::certificates::completion::{CompletionRule, ModulesRule};
    let Some(table) = &meta.completion else { return };
    let line = line_starting_with(text, "[completion]");
    let rule: CompletionRule = match toml::Value::Table(table.clone()).try_into() {
        Ok(rule) => rule,
        Err(error) => {
            diagnostics.error(path, line, format!("[completion] is not valid: {}", error.message()));
            return;
        }
    };
    match &rule.modules {
        Some(ModulesRule::Named(name)) if name != "all" => {
            diagnostics.error(
                path,
                line,
                "[completion] modules must be \"all\" or a list of module ids",
            );
        }
        Some(ModulesRule::List(ids)) => {
            for id in ids.iter().filter(|id| !module_ids.contains(id)) {
                diagnostics.error(
                    path,
                    line,
                    format!("[completion] names module `{id}`, which the course does not have"),
                );
            }
        }
        _ => {}
    }
    for id in rule
        .quizzes
        .iter()
        .flatten()
        .filter(|id| !quizzes.iter().any(|q| &q.id == *id))
    {
        diagnostics.error(
            path,
            line,
            format!("[completion] names quiz `{id}`, which the course does not have"),
        );
    }
    if rule.min_score.is_some_and(|s| !(0.0..=100.0).contains(&s)) {
        diagnostics.error(path, line, "[completion] min_score must be a percentage from 0 to 100");
    }
}

fn check_course_meta(meta: &CourseToml, text: &str, path: &Path, diagnostics: &mut Diagnostics) {
    check_language_keys(&meta.title, "title", text, path, diagnostics);
    check_language_keys(&meta.summary, "summary", text, path, diagnostics);
    if !(meta.hours.is_finite() && meta.hours > 0.0 && meta.hours <= 1000.0) {
        diagnostics.error(
            path,
            line_starting_with(text, "hours"),
            "hours must be a number above 0",
        );
    }
    if meta.version.as_text().trim().is_empty() {
        diagnostics.error(path, line_starting_with(text, "version"), "version must not be empty");
    }
    let audience_line = line_starting_with(text, "audience");
    if meta.audience.is_empty() {
        diagnostics.error(
            path,
            audience_line,
            "audience must name at least one of police investigator prosecutor judge trainer",
        );
    }
    for audience in &meta.audience {
        if !AUDIENCES.contains(&audience.as_str()) {
            diagnostics.error(
                path,
                audience_line,
                format!("unknown audience `{audience}`: use police, investigator, prosecutor, judge or trainer"),
            );
        }
    }
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
    if let Some(national_dir) = national_dir {
        load_overrides(&national_dir, &mut module, &links, concepts, diagnostics);
    }
    Some(module)
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
        body: split.body.to_owned(),
        body_first_line: split.body_first_line,
        split: document,
    })
}

fn check_section_ids(document: &SplitDocument, path: &Path, diagnostics: &mut Diagnostics) {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for section in &document.sections {
        if section.explicit_id && !sections::is_valid_written_id(&section.id) {
            diagnostics.error(
                path,
                section.line,
                format!(
                    "section id `{}` must use lower-case Latin letters, digits and hyphens",
                    section.id
                ),
            );
        }
        if let Some(first) = seen.insert(&section.id, section.line) {
            diagnostics.error(
                path,
                section.line,
                format!("duplicate section id `{}` (also at line {first})", section.id),
            );
        }
    }
}

/// Checks links, images and law references of a text by rendering it.
#[allow(clippy::too_many_arguments)]
fn check_body(
    text: &LoadedText,
    extra_anchors: &[String],
    language: Locale,
    links: &LinkContext<'_>,
    module: &LoadedModule,
    concepts: &BTreeSet<String>,
    diagnostics: &mut Diagnostics,
) {
    let ids: Vec<String> = text.split.sections.iter().map(|s| s.id.clone()).collect();
    let rendered = markdown::render(&text.body, language, &ids, links);
    let line_at = |offset: usize| text.body_first_line + format::line_of_offset(&text.body, offset) - 1;
    for reference in &rendered.law_references {
        if !concepts.contains(&reference.concept) {
            diagnostics.error(
                &text.path,
                line_at(reference.range.start),
                format!(
                    "{{{{law:{}}}}} names an unknown concept (not in any _law file)",
                    reference.concept
                ),
            );
        }
    }
    for link in &rendered.links {
        let line = line_at(link.range.start);
        let what = if link.is_image { "image" } else { "link" };
        match &link.target {
            LinkTarget::External(url) if link.is_image => diagnostics.error(
                &text.path,
                line,
                format!("image `{url}` must be a file in the module folder (no images from other sites)"),
            ),
            LinkTarget::External(_) => {}
            LinkTarget::Anchor(anchor) => {
                let known = rendered.heading_ids.iter().any(|h| h == anchor)
                    || extra_anchors.iter().any(|h| h == anchor)
                    || anchor.starts_with("fn")
                    || rendered.html.contains(&format!("id=\"{anchor}\""));
                if !known {
                    diagnostics.error(
                        &text.path,
                        line,
                        format!("broken {what}: no section `#{anchor}` in this module"),
                    );
                }
            }
            LinkTarget::Module { folder, .. } => {
                if !links.module_folders.iter().any(|(f, _)| f == folder) {
                    diagnostics.error(
                        &text.path,
                        line,
                        format!("broken {what}: no module folder `{folder}` in this course"),
                    );
                }
            }
            LinkTarget::File(name) => {
                if !module.attachments.iter().any(|a| &a.name == name) {
                    diagnostics.error(
                        &text.path,
                        line,
                        format!("broken {what}: no file `{name}` in the module folder"),
                    );
                }
            }
            LinkTarget::Invalid(url) => diagnostics.error(
                &text.path,
                line,
                format!(
                    "{what} `{url}` is not allowed: use https://…, #section, ../NN-module/ or a file of the module"
                ),
            ),
        }
    }
}

fn load_overrides(
    national_dir: &Path,
    module: &mut LoadedModule,
    links: &LinkContext<'_>,
    concepts: &BTreeSet<String>,
    diagnostics: &mut Diagnostics,
) {
    for country_dir in sorted_entries(national_dir, national_dir, diagnostics) {
        let country = file_name(&country_dir);
        if !country_dir.is_dir() || !COUNTRIES.contains(&country.as_str()) {
            diagnostics.error(
                &country_dir,
                1,
                format!("`{country}` is not a country folder (use kz kg tj tm uz)"),
            );
            continue;
        }
        for path in sorted_entries(&country_dir, &country_dir, diagnostics) {
            let name = file_name(&path);
            let language = name
                .strip_suffix(".md")
                .and_then(|stem| Locale::from_code(stem).filter(|l| l.code() == stem));
            let Some(language) = language else {
                diagnostics.error(
                    &path,
                    1,
                    format!("unknown language file `{name}` in a national adaptation"),
                );
                continue;
            };
            let Some(base) = module.texts.get(&language) else {
                diagnostics.error(
                    &path,
                    1,
                    format!("this adapts {}.md, which the module does not have", language.code()),
                );
                continue;
            };
            if let Some(adaptation) =
                load_override(&path, &country, language, base, links, module, concepts, diagnostics)
            {
                module.overrides.push(adaptation);
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn load_override(
    path: &Path,
    country: &str,
    language: Locale,
    base: &LoadedText,
    links: &LinkContext<'_>,
    module: &LoadedModule,
    concepts: &BTreeSet<String>,
    diagnostics: &mut Diagnostics,
) -> Option<LoadedOverride> {
    let text = read_text(path, diagnostics)?;
    let (front, body, body_first_line, front_text) = match format::split_front_matter(&text) {
        Ok(split) => (
            parse_toml::<OverrideFrontMatter>(split.front_matter, split.front_matter_first_line, path, diagnostics)?,
            split.body.to_owned(),
            split.body_first_line,
            split.front_matter.to_owned(),
        ),
        Err(FrontMatterError::Missing) => (OverrideFrontMatter::default(), text.clone(), 1, String::new()),
        Err(FrontMatterError::Unclosed) => {
            diagnostics.error(path, 1, "the front matter is not closed with a +++ line");
            return None;
        }
    };
    let split = sections::split(&body, body_first_line);
    check_section_ids(&split, path, diagnostics);
    if !split.intro.trim().is_empty() {
        diagnostics.warning(
            path,
            body_first_line,
            "text before the first ## section is ignored in an adaptation",
        );
    }
    let base_name = format!("{}.md", language.code());
    let mut outdated = Vec::new();
    for section in &split.sections {
        let Some(base_section) = base.split.find(&section.id) else {
            diagnostics.error(
                path,
                section.line,
                format!(
                    "section `{}` does not exist in {base_name}: an adaptation replaces sections by id",
                    section.id
                ),
            );
            continue;
        };
        match front.based_on.get(&section.id) {
            Some(recorded) if recorded == &base_section.fingerprint => {}
            Some(recorded) => {
                outdated.push(section.id.clone());
                diagnostics.warning(
                    path,
                    section.line,
                    format!(
                        "outdated: section `{}` of {base_name} changed since it was adapted (based_on {recorded}, now {}); review the adaptation and update based_on",
                        section.id, base_section.fingerprint
                    ),
                );
            }
            None => diagnostics.warning(
                path,
                section.line,
                format!(
                    "section `{}` has no based_on fingerprint, so Bilim cannot tell when it becomes outdated; add `{} = \"{}\"` to [based_on]",
                    section.id, section.id, base_section.fingerprint
                ),
            ),
        }
    }
    for id in front.based_on.keys() {
        if split.find(id).is_none() {
            diagnostics.warning(
                path,
                line_starting_with(&front_text, id) + 1,
                format!("based_on names `{id}`, which this adaptation does not replace"),
            );
        }
    }
    let adapted = LoadedText {
        path: path.to_path_buf(),
        front: base.front.clone(),
        body: body.clone(),
        body_first_line,
        split: split.clone(),
    };
    let base_anchors: Vec<String> = base.split.sections.iter().map(|s| s.id.clone()).collect();
    check_body(&adapted, &base_anchors, language, links, module, concepts, diagnostics);
    Some(LoadedOverride {
        country: country.to_owned(),
        language,
        path: path.to_path_buf(),
        front,
        split,
        outdated,
    })
}
