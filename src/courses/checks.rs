//! Checks of what a course says, beyond its syntax: `course.toml`'s settings and
//! prerequisites, the `[completion]` rule, section ids, and the links, images and law
//! references of a module text.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::diagnostics::Diagnostics;
use super::format::{self, CourseToml, AUDIENCES};
use super::load::{Catalogue, LoadedModule, LoadedText};
use super::markdown::{self, LinkContext, LinkTarget};
use super::sections::{self, SplitDocument};
use super::source::line_starting_with;
use crate::i18n::Locale;

/// `course.toml`'s title, summary, hours, version and audience.
pub(super) fn check_course_meta(meta: &CourseToml, text: &str, path: &Path, diagnostics: &mut Diagnostics) {
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

/// A `[title]`-like table of texts by language: known languages, none empty, and
/// English or Russian present, since every other language falls back to them.
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

/// Every prerequisite is another course of the same folder.
pub(super) fn check_prerequisites(catalogue: &mut Catalogue) {
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

/// `[completion]` must name modules and quizzes the course has.
pub(super) fn check_completion_rule(
    meta: &CourseToml,
    text: &str,
    path: &Path,
    module_ids: &[String],
    quizzes: &[crate::quizzes::format::LoadedQuiz],
    diagnostics: &mut Diagnostics,
) {
    use crate::certificates::completion::{parse_rule, ModulesRule};
    let Some(table) = &meta.completion else { return };
    let line = line_starting_with(text, "[completion]");
    // Read as the server reads the imported rule, so that a rule the check accepts is
    // never one the server cannot read.
    let rule = match serde_json::to_value(table).and_then(parse_rule) {
        Ok(rule) => rule,
        Err(error) => {
            diagnostics.error(path, line, format!("[completion] is not valid: {error}"));
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

/// Written section ids are well formed, and no id is used twice in a text.
pub(super) fn check_section_ids(document: &SplitDocument, path: &Path, diagnostics: &mut Diagnostics) {
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
pub(super) fn check_body(
    text: &LoadedText,
    extra_anchors: &[String],
    language: Locale,
    links: &LinkContext<'_>,
    module: &LoadedModule,
    concepts: &BTreeSet<String>,
    diagnostics: &mut Diagnostics,
) {
    let ids: Vec<String> = text.split.sections.iter().map(|s| s.id.clone()).collect();
    let rendered = markdown::render_unsanitized(&text.body, language, &ids, links);
    // The cleaned HTML is made only for an anchor that is not a heading's.
    let cleaned = std::cell::OnceCell::new();
    let cleaned_html = || cleaned.get_or_init(|| markdown::sanitize(&rendered.html));
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
                    || cleaned_html().contains(&format!("id=\"{anchor}\""));
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
