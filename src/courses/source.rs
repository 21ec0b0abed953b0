//! Reading the files of a courses folder: UTF-8 text, TOML, sorted folder listings.
//! A file that cannot be read becomes a diagnostic with its line, not an error that
//! stops the reading, so one run reports every problem.

use std::path::{Path, PathBuf};

use super::diagnostics::Diagnostics;
use super::format;
use super::sections;

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

/// The paths in `dir` in name order, so that problems are always reported in the same
/// order; a folder that cannot be read is an error on `path_for_errors`.
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

/// The last part of `path`, or "" when it has none.
pub(crate) fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
