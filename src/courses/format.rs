//! The files of the course format (`courses/README.md` describes them for trainers):
//! `course.toml`, module front matter, national override front matter and law files.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::i18n::Locale;

/// Audiences a course can be meant for.
pub const AUDIENCES: [&str; 5] = ["police", "investigator", "prosecutor", "judge", "trainer"];

/// Countries with national law and adaptations, in the lower case used in folder names.
pub const COUNTRIES: [&str; 5] = ["kz", "kg", "tj", "tm", "uz"];

/// A version written as text ("1.0") or as a number (1).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum VersionValue {
    Text(String),
    Integer(i64),
    Float(f64),
}

impl VersionValue {
    pub fn as_text(&self) -> String {
        match self {
            VersionValue::Text(text) => text.clone(),
            VersionValue::Integer(number) => number.to_string(),
            VersionValue::Float(number) => number.to_string(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CourseToml {
    pub version: VersionValue,
    pub hours: f64,
    pub audience: Vec<String>,
    #[serde(default)]
    pub prerequisites: Vec<String>,
    pub title: BTreeMap<String, String>,
    pub summary: BTreeMap<String, String>,
    /// Completion rule; read by the completion feature.
    #[serde(default)]
    pub completion: Option<toml::Table>,
    /// Years a certificate stays valid; read by the certificate feature.
    #[serde(default)]
    pub valid_years: Option<u32>,
    /// Whether learners who complete the course without a run are certified.
    #[serde(default)]
    pub certificate: CertificatePolicy,
}

/// `certificate` of `course.toml`: who is certified on completing the course. A
/// learner of a run is certified by the run's institution either way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CertificatePolicy {
    /// Learners who complete the course without a run too, in the installation's name.
    #[default]
    Always,
    /// Only learners of a run; a completion without one is recorded, not certified.
    RunOnly,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModuleFrontMatter {
    pub title: String,
    pub minutes: u32,
    pub outcomes: Vec<String>,
    /// For a translation: the language it was made from (`en` or `ru`, another
    /// translation's language too). Without it: Russian for the region's languages when
    /// the module has Russian, otherwise the base (English, else Russian).
    #[serde(default)]
    pub translated_from: Option<String>,
    /// For a translation: section id → fingerprint of the section it was translated
    /// from, as for national adaptations.
    #[serde(default)]
    pub based_on: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverrideFrontMatter {
    /// Section id → fingerprint of the base section the adaptation was made from.
    #[serde(default)]
    pub based_on: BTreeMap<String, String>,
    /// A title for the adapted module, when the national version needs its own.
    #[serde(default)]
    pub title: Option<String>,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LawEntry {
    #[serde(default)]
    pub article: String,
    pub source: String,
    pub verified: bool,
    /// `amended` or `repealed` once the legislature changed the provision (left out
    /// while it is in force as recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The day the amendment or repeal took effect, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective: Option<String>,
    /// What changed, for the trainers who review the citing sections.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amendment_note: Option<String>,
    pub code: BTreeMap<String, String>,
    pub title: BTreeMap<String, String>,
    #[serde(default)]
    pub note: BTreeMap<String, String>,
}

/// A file's front matter and body. `body_first_line` is the body's first line in the
/// file (1-based), so problems in the body are reported at the right line.
pub struct FrontMatterSplit<'a> {
    pub front_matter: &'a str,
    pub front_matter_first_line: usize,
    pub body: &'a str,
    pub body_first_line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrontMatterError {
    Missing,
    Unclosed,
}

/// Splits `+++`-delimited TOML front matter off a Markdown file, by its own code
/// rather than by the Markdown parser. Expects LF line endings.
pub fn split_front_matter(text: &str) -> Result<FrontMatterSplit<'_>, FrontMatterError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let after_open = text
        .strip_prefix("+++\n")
        .or_else(|| (text.trim_end() == "+++").then_some(""))
        .ok_or(FrontMatterError::Missing)?;
    let mut offset = 0;
    for (index, line) in after_open.split_inclusive('\n').enumerate() {
        if line.trim_end() == "+++" {
            let front_matter = after_open.get(..offset).unwrap_or_default();
            let body = after_open.get(offset + line.len()..).unwrap_or_default();
            return Ok(FrontMatterSplit {
                front_matter,
                front_matter_first_line: 2,
                body,
                body_first_line: index + 3,
            });
        }
        offset += line.len();
    }
    Err(FrontMatterError::Unclosed)
}

/// The 1-based line of a byte offset in a text.
pub fn line_of_offset(text: &str, offset: usize) -> usize {
    text.get(..offset.min(text.len()))
        .map(|before| before.matches('\n').count() + 1)
        .unwrap_or(1)
}

/// A TOML parse error as a line (relative to the text's first line) and a message.
/// Some errors (a key with no value, `a = `) come without a message: those say where
/// reading stopped, so the author is never shown an empty explanation.
pub fn toml_error_position(text: &str, error: &toml::de::Error) -> (usize, String) {
    let start = error.span().map(|span| span.start);
    let line = start.map(|start| line_of_offset(text, start)).unwrap_or(1);
    let message = error.message().trim();
    if !message.is_empty() {
        return (line, message.to_owned());
    }
    let column = start
        .and_then(|start| text.get(..start.min(text.len())))
        .map(|before| before.rsplit('\n').next().unwrap_or_default().chars().count() + 1)
        .unwrap_or(1);
    (
        line,
        format!("cannot read the value at column {column}: a value is missing or malformed"),
    )
}

/// Whether a language code is one of the seven.
pub fn is_language(code: &str) -> bool {
    Locale::from_code(code).is_some_and(|l| l.code() == code)
}

/// A course or module id: lower-case Latin letters, digits and hyphens.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('-')
        && !id.ends_with('-')
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// `NN-<module-id>` → (NN, module id).
pub fn parse_module_folder(name: &str) -> Option<(u32, &str)> {
    let (number, id) = name.split_once('-')?;
    if number.is_empty() || !number.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some((number.parse().ok()?, id))
}

/// The content type of an attachment, from its extension; `None` for types Bilim does
/// not serve.
pub fn attachment_content_type(name: &str) -> Option<&'static str> {
    let extension = name.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match extension.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "pdf" => "application/pdf",
        "txt" => "text/plain; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "odt" => "application/vnd.oasis.opendocument.text",
        "zip" => "application/zip",
        "mp3" => "audio/mpeg",
        "mp4" => "video/mp4",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_is_split_off_with_the_body_line_number() {
        let split = split_front_matter("+++\ntitle = \"x\"\nminutes = 1\n+++\n\nBody\n").ok();
        let split = split.as_ref();
        assert_eq!(split.map(|s| s.front_matter), Some("title = \"x\"\nminutes = 1\n"));
        assert_eq!(split.map(|s| s.body), Some("\nBody\n"));
        assert_eq!(split.map(|s| s.body_first_line), Some(5));
        assert!(matches!(
            split_front_matter("no front matter"),
            Err(FrontMatterError::Missing)
        ));
        assert!(matches!(
            split_front_matter("+++\ntitle = 1\n"),
            Err(FrontMatterError::Unclosed)
        ));
    }

    #[test]
    fn module_folders_are_numbered() {
        assert_eq!(
            parse_module_folder("01-what-is-cybercrime"),
            Some((1, "what-is-cybercrime"))
        );
        assert_eq!(parse_module_folder("what"), None);
        assert_eq!(parse_module_folder("a1-x"), None);
    }
}
