//! The folder-wide `_law/<country>.toml` files, which `{{law:concept}}` references
//! resolve against, and the `_glossary/<language>.toml` files, checked for the validator.

use std::collections::BTreeMap;
use std::path::Path;

use super::format::{self, LawEntry, COUNTRIES};
use super::load::Catalogue;
use super::sections;
use super::source::{file_name, line_starting_with, parse_toml, read_text, sorted_entries};

/// Reads and checks every law file of `dir` into the catalogue's law table.
pub(super) fn load_law(dir: &Path, catalogue: &mut Catalogue) {
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
            if let Some(status) = entry
                .status
                .as_deref()
                .filter(|s| !matches!(*s, "amended" | "repealed"))
            {
                diagnostics.error(
                    &path,
                    line,
                    format!("{concept}.status is `{status}`: write \"amended\" or \"repealed\", or leave it out"),
                );
            }
            let effective_ok = entry
                .effective
                .as_deref()
                .is_none_or(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok());
            if !effective_ok {
                diagnostics.error(
                    &path,
                    line,
                    format!("{concept}.effective must be a date written YYYY-MM-DD"),
                );
            }
            let national = national_language(country);
            if !entry.title.contains_key(national) {
                diagnostics.warning(
                    &path,
                    line,
                    format!(
                        "{concept} has no title in `{national}`, the language of its readers: they see it in Russian"
                    ),
                );
            }
            let has_a_note = entry.note.values().any(|n| !n.trim().is_empty());
            if has_a_note && !entry.note.contains_key(national) {
                diagnostics.warning(
                    &path,
                    line,
                    format!(
                        "{concept} has no note in `{national}`, the language of its readers: they see it in Russian"
                    ),
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

/// The language of a country's own readers (`kz` → `kk`).
pub fn national_language(country: &str) -> &'static str {
    match country {
        "kz" => "kk",
        "kg" => "ky",
        "tj" => "tg",
        "tm" => "tk",
        _ => "uz",
    }
}

/// One agreed term of a glossary: its words in English and Russian, in the glossary's
/// language, and a note for translators.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct GlossaryEntry {
    #[serde(default)]
    pub en: String,
    #[serde(default)]
    pub ru: String,
    #[serde(default)]
    pub note: String,
    /// The term in the glossary's own language (the key named after the language).
    #[serde(flatten)]
    pub other: BTreeMap<String, String>,
}

impl GlossaryEntry {
    pub fn translation(&self, language: &str) -> String {
        match language {
            "en" => self.en.clone(),
            "ru" => self.ru.clone(),
            other => self.other.get(other).cloned().unwrap_or_default(),
        }
    }
}

/// Reads every `.toml` glossary of `dir`, named after a language, into the catalogue.
pub(super) fn load_glossaries(dir: &Path, catalogue: &mut Catalogue) {
    let diagnostics = &mut catalogue.diagnostics;
    for path in sorted_entries(dir, dir, diagnostics) {
        let name = file_name(&path);
        match name.strip_suffix(".toml") {
            Some(language) if format::is_language(language) => {
                if let Some(text) = read_text(&path, diagnostics) {
                    if let Some(terms) = parse_toml::<BTreeMap<String, GlossaryEntry>>(&text, 1, &path, diagnostics) {
                        catalogue.glossaries.insert(language.to_owned(), terms);
                    }
                }
            }
            Some(other) => diagnostics.error(&path, 1, format!("unknown language `{other}` for a glossary")),
            None => {}
        }
    }
}
