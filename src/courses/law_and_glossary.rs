//! The folder-wide `_law/<country>.toml` files, which `{{law:concept}}` references
//! resolve against, and the `_glossary/<language>.toml` files, checked for the validator.

use std::collections::BTreeMap;
use std::path::Path;

use super::diagnostics::Diagnostics;
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

/// Checks that every `.toml` glossary of `dir` is named after a language and is valid TOML.
pub(super) fn check_glossary(dir: &Path, diagnostics: &mut Diagnostics) {
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
