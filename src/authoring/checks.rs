//! Quality checks of a section before it is submitted for review: what a careful
//! reviewer would look for first, found by the machine so the reviewer does not have
//! to. Errors block submission; warnings need a reason from the author.
//!
//! Pure functions of the proposed text and its parent (the base section it translates
//! or adapts): no database, so the editor, the API and `courses check` share them.

use serde::Serialize;

use crate::i18n::Locale;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Error,
    Warning,
}

/// What the checked text is, which decides how strictly it must follow its parent: a
/// translation says the same as its base; a national adaptation may say something else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKind {
    /// The base text itself (no parent): only the checks on the text alone run.
    Base,
    Translation,
    Adaptation,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub level: Level,
    /// A stable code for the kind of check (e.g. `law_references`, `wrong_script`).
    pub code: &'static str,
    /// The message, in the language of whoever reads it.
    pub message: String,
}

/// An agreed term: the word of the parent's language and its agreed translation.
#[derive(Debug, Clone)]
pub struct GlossaryTerm {
    pub source: String,
    pub translation: String,
}

pub struct CheckInput<'a> {
    /// The parent section's Markdown (empty for the base).
    pub parent: &'a str,
    /// The proposed section's Markdown, starting with its `## Heading {#id}` line.
    pub text: &'a str,
    pub kind: TextKind,
    /// The language the text is written in.
    pub language: Locale,
    /// Article numbers of the law entries the text's country (or, with no country, any
    /// country) records, for the "article written as plain text" check.
    pub law_articles: &'a [String],
    /// The glossary of the text's language.
    pub glossary: &'a [GlossaryTerm],
    /// The language of the messages.
    pub locale: Locale,
}

/// Every check on the text; an empty list when nothing was found.
pub fn check(input: &CheckInput<'_>) -> Vec<Check> {
    let _ = input;
    Vec::new()
}

/// Whether any check blocks submission.
pub fn has_errors(checks: &[Check]) -> bool {
    checks.iter().any(|c| c.level == Level::Error)
}
