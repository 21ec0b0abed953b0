//! A module's `##` sections: where they start, their ids and their fingerprints.
//!
//! The fingerprint is part of the course format (a contract with tools outside this
//! repository): the first 12 lower-case hex digits of the SHA-256 of the section's
//! Markdown, from its `##` heading line up to, not including, the next `##` heading or
//! the end of the file, with line endings normalised to LF, trailing whitespace removed
//! from every line and trailing blank lines dropped, joined with LF, no final newline.

use sha2::{Digest, Sha256};

/// Text with every line ending made LF.
pub fn normalise_line_endings(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub id: String,
    /// Whether the id was written as `{#id}` rather than made from the heading's words.
    pub explicit_id: bool,
    /// The heading's text without the `##` and without the `{#id}`.
    pub heading: String,
    /// 1-based line of the heading in the text it was split from.
    pub line: usize,
    /// The section's Markdown, normalised as for the fingerprint.
    pub markdown: String,
    pub fingerprint: String,
}

/// A split document: what comes before the first `##` heading, then the sections.
#[derive(Debug, Clone, Default)]
pub struct SplitDocument {
    pub intro: String,
    pub sections: Vec<Section>,
}

/// Whether a line opens or closes a fenced code block, and with which fence.
fn fence_of(line: &str) -> Option<(char, usize)> {
    let trimmed = line.trim_start_matches(' ');
    if line.len() - trimmed.len() > 3 {
        return None;
    }
    let first = trimmed.chars().next()?;
    if first != '`' && first != '~' {
        return None;
    }
    let run = trimmed.chars().take_while(|c| *c == first).count();
    (run >= 3).then_some((first, run))
}

/// The heading text of a level-2 ATX heading line, or `None` for any other line.
fn level_two_heading(line: &str) -> Option<&str> {
    let trimmed = line.trim_start_matches(' ');
    if line.len() - trimmed.len() > 3 {
        return None;
    }
    let rest = trimmed.strip_prefix("##")?;
    if rest.starts_with('#') {
        return None;
    }
    if rest.is_empty() {
        return Some("");
    }
    if !rest.starts_with([' ', '\t']) {
        return None;
    }
    // A closing sequence of #s is not part of the text.
    let text = rest.trim();
    let text = text.trim_end_matches('#');
    Some(text.trim_end())
}

/// Splits `{#id}` off the end of a heading's text.
pub fn split_explicit_id(text: &str) -> (String, Option<String>) {
    let trimmed = text.trim_end();
    if trimmed.ends_with('}') {
        if let Some(start) = trimmed.rfind("{#") {
            let inner = trimmed.get(start + 2..trimmed.len() - 1).unwrap_or_default();
            if !inner.is_empty() && !inner.contains(char::is_whitespace) {
                let heading = trimmed.get(..start).unwrap_or_default().trim_end().to_owned();
                return (heading, Some(inner.to_owned()));
            }
        }
    }
    (trimmed.to_owned(), None)
}

/// An id made from a heading's words: lower case, letters and digits of any script,
/// other characters turned into single hyphens.
pub fn slugify(text: &str) -> String {
    let mut slug = String::new();
    let mut pending_hyphen = false;
    for c in text.chars() {
        if c.is_alphanumeric() {
            if pending_hyphen && !slug.is_empty() {
                slug.push('-');
            }
            pending_hyphen = false;
            slug.extend(c.to_lowercase());
        } else if c == '*' || c == '_' || c == '`' {
            // Markdown emphasis and code marks are not part of the words.
        } else {
            pending_hyphen = true;
        }
    }
    if slug.is_empty() {
        "section".into()
    } else {
        slug
    }
}

/// Whether an id uses only the characters the format allows for written ids.
pub fn is_valid_written_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// The fingerprint of normalised section Markdown.
pub fn fingerprint(markdown: &str) -> String {
    Sha256::digest(markdown.as_bytes())
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Trailing whitespace off every line, trailing blank lines dropped, joined with LF.
fn normalise_section(lines: &[&str]) -> String {
    let mut cleaned: Vec<&str> = lines.iter().map(|l| l.trim_end()).collect();
    while cleaned.last().is_some_and(|l| l.is_empty()) {
        cleaned.pop();
    }
    cleaned.join("\n")
}

/// Splits Markdown (with or without front matter: it lies before the first heading)
/// into its intro and `##` sections. `first_line` is the 1-based line number of the
/// text's first line in its file.
pub fn split(text: &str, first_line: usize) -> SplitDocument {
    let text = normalise_line_endings(text);
    let lines: Vec<&str> = text.split('\n').collect();
    let mut starts: Vec<(usize, &str)> = Vec::new();
    let mut open_fence: Option<(char, usize)> = None;
    for (index, line) in lines.iter().enumerate() {
        match (open_fence, fence_of(line)) {
            (None, Some(fence)) => open_fence = Some(fence),
            (Some((c, n)), Some((c2, n2))) if c == c2 && n2 >= n && line.trim().chars().all(|x| x == c) => {
                open_fence = None
            }
            (None, None) => {
                if let Some(heading) = level_two_heading(line) {
                    starts.push((index, heading));
                }
            }
            _ => {}
        }
    }
    let intro_end = starts.first().map(|(i, _)| *i).unwrap_or(lines.len());
    let intro = lines.get(..intro_end).unwrap_or_default().join("\n");
    let mut sections = Vec::with_capacity(starts.len());
    for (position, (start, heading)) in starts.iter().enumerate() {
        let end = starts.get(position + 1).map(|(i, _)| *i).unwrap_or(lines.len());
        let markdown = normalise_section(lines.get(*start..end).unwrap_or_default());
        let (heading_text, written_id) = split_explicit_id(heading);
        sections.push(Section {
            explicit_id: written_id.is_some(),
            id: written_id.unwrap_or_else(|| slugify(&heading_text)),
            heading: heading_text,
            line: first_line + start,
            fingerprint: fingerprint(&markdown),
            markdown,
        });
    }
    SplitDocument { intro, sections }
}

impl SplitDocument {
    pub fn find(&self, id: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.id == id)
    }

    /// The document again, with the sections whose ids appear in `replacements`
    /// replaced by those sections.
    pub fn merged_with(&self, replacements: &[Section]) -> String {
        let mut parts: Vec<&str> = Vec::with_capacity(self.sections.len() + 1);
        if !self.intro.trim().is_empty() {
            parts.push(self.intro.trim_end());
        }
        for section in &self.sections {
            let chosen = replacements.iter().find(|r| r.id == section.id).unwrap_or(section);
            parts.push(&chosen.markdown);
        }
        parts.join("\n\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_section_runs_from_its_heading_to_the_next_one_normalised() {
        let text = "intro\r\n\r\n## First {#one}  \r\ntext   \r\n### sub\r\nmore\r\n\r\n\r\n## Second\nlast\n\n";
        let doc = split(text, 1);
        assert_eq!(doc.intro, "intro\n");
        assert_eq!(doc.sections.len(), 2);
        let first = &doc.sections[0];
        assert_eq!(first.id, "one");
        assert_eq!(first.line, 3);
        assert_eq!(first.markdown, "## First {#one}\ntext\n### sub\nmore");
        // printf '## First {#one}\ntext\n### sub\nmore' | sha256sum
        assert_eq!(first.fingerprint, "d92804f327d6");
        assert_eq!(doc.sections[1].id, "second");
        assert_eq!(doc.sections[1].markdown, "## Second\nlast");
    }

    #[test]
    fn a_heading_inside_a_code_fence_is_not_a_section() {
        let doc = split("## A {#a}\n```markdown\n## not a heading\n```\n## B {#b}\n", 1);
        let ids: Vec<_> = doc.sections.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
    }

    #[test]
    fn the_fingerprint_is_twelve_lower_case_hex_digits_of_sha256() {
        // printf '## A' | sha256sum
        assert_eq!(fingerprint("## A"), "be8641c446d1");
    }

    #[test]
    fn headings_without_ids_get_ids_from_their_words_in_any_script() {
        assert_eq!(slugify("Что такое киберпреступность?"), "что-такое-киберпреступность");
        assert_eq!(slugify("  First *steps*: a case "), "first-steps-a-case");
        assert_eq!(
            split_explicit_id("Title {#my-id}"),
            ("Title".to_owned(), Some("my-id".to_owned()))
        );
    }
}
