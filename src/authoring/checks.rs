//! Quality checks of a section before it is submitted for review: what a careful
//! reviewer would look for first, found by the machine so the reviewer does not have
//! to. Errors block submission; warnings need a reason from the author.
//!
//! Pure functions of the proposed text and its parent (the base section it translates
//! or adapts): no database, so the editor, the API and `courses check` share them.

use std::collections::{BTreeMap, BTreeSet};

use pulldown_cmark::{Event, HeadingLevel, LinkType, Parser, Tag, TagEnd, TextMergeStream};
use serde::Serialize;

use crate::courses::{markdown, sections};
use crate::i18n::{self, Locale};

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
///
/// On the text alone, for every kind: `section_id` (it starts with its `##` heading
/// line), `empty`, `plain_article` and `wrong_script`. Against the parent, for a
/// translation or an adaptation: the heading's `{#id}`, `law_references`, `headings`,
/// `lists`, `links`, `glossary`, and for a translation only, `numbers`. Each `Check`
/// names what differs, in `input.locale`.
pub fn check(input: &CheckInput<'_>) -> Vec<Check> {
    let mut checks = Vec::new();
    let text = parse(input.text);
    section_id(input, &mut checks);
    if !text.has_body {
        checks.push(found(
            Level::Error,
            "empty",
            i18n::t(input.locale, "authoring_checks.empty"),
        ));
    }
    if input.kind != TextKind::Base {
        let parent = parse(input.parent);
        // A translation must say exactly what its base says; an adaptation exists to
        // say something else about its country's law, so only warn there.
        let strict = if input.kind == TextKind::Translation {
            Level::Error
        } else {
            Level::Warning
        };
        law_references(input.locale, strict, &parent, &text, &mut checks);
        structure(input.locale, strict, &parent, &text, &mut checks);
        glossary(input, &parent, &text, &mut checks);
        if input.kind == TextKind::Translation {
            numbers(input.locale, &parent, &text, &mut checks);
        }
    }
    plain_article(input, &text, &mut checks);
    wrong_script(input.language, input.locale, &text, &mut checks);
    checks
}

/// Whether any check blocks submission.
pub fn has_errors(checks: &[Check]) -> bool {
    checks.iter().any(|c| c.level == Level::Error)
}

fn found(level: Level, code: &'static str, message: String) -> Check {
    Check { level, code, message }
}

// ---- Reading the Markdown -------------------------------------------------------------

/// What the checks need from a section's Markdown, read in one pass over the events of
/// the parser the renderer uses, so that a heading, a list item or a link is counted
/// exactly when the reader will see one.
#[derive(Debug, Default)]
struct Parsed {
    /// `{{law:concept}}` concepts, once each, in the order they first occur.
    law_concepts: Vec<String>,
    /// Headings per level (1 to 6), the section's own `##` heading included.
    headings: BTreeMap<u8, usize>,
    list_items: usize,
    /// Where links and images point, and addresses written as plain text, as often as
    /// they occur.
    links: Vec<String>,
    /// The words a reader reads: text outside code, without `{{law:…}}` tokens and
    /// addresses; each block (paragraph, heading, list item, table cell) on its own
    /// line, so that words of different blocks are never taken for neighbours.
    prose: String,
    /// Whether anything follows the section's heading.
    has_body: bool,
}

fn heading_level(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// Whether an event puts something on the page (for the "empty section" check). An
/// HTML comment shows nothing, so it does not count.
fn shows_something(event: &Event<'_>) -> bool {
    match event {
        Event::Text(text) | Event::Code(text) | Event::InlineMath(text) | Event::DisplayMath(text) => {
            !text.trim().is_empty()
        }
        Event::Html(html) | Event::InlineHtml(html) => {
            let html = html.trim();
            !html.is_empty() && !html.starts_with("<!--")
        }
        Event::Start(Tag::Image { .. } | Tag::Table(_)) => true,
        Event::Rule | Event::FootnoteReference(_) | Event::TaskListMarker(_) => true,
        _ => false,
    }
}

fn parse(markdown: &str) -> Parsed {
    let mut parsed = Parsed::default();
    let mut code_blocks = 0usize;
    // For each open link: whether it is an autolink, whose text is its address.
    let mut links_open: Vec<bool> = Vec::new();
    // The body starts after the section's heading when the text begins with one;
    // otherwise the whole text is body.
    let mut in_own_heading = false;
    let mut first_event = true;
    for event in TextMergeStream::new(Parser::new_ext(markdown, markdown::options())) {
        if first_event {
            first_event = false;
            in_own_heading = matches!(
                event,
                Event::Start(Tag::Heading {
                    level: HeadingLevel::H2,
                    ..
                })
            );
        }
        if !in_own_heading && shows_something(&event) {
            parsed.has_body = true;
        }
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                *parsed.headings.entry(heading_level(level)).or_default() += 1;
            }
            Event::End(TagEnd::Heading(_)) => {
                in_own_heading = false;
                parsed.prose.push('\n');
            }
            Event::Start(Tag::CodeBlock(_)) => code_blocks += 1,
            Event::End(TagEnd::CodeBlock) => {
                code_blocks = code_blocks.saturating_sub(1);
                parsed.prose.push('\n');
            }
            Event::Start(Tag::Item) => parsed.list_items += 1,
            Event::Start(Tag::Link {
                link_type, dest_url, ..
            }) => {
                push_target(&mut parsed.links, &dest_url);
                links_open.push(matches!(link_type, LinkType::Autolink | LinkType::Email));
            }
            Event::End(TagEnd::Link) => {
                links_open.pop();
            }
            Event::Start(Tag::Image { dest_url, .. }) => push_target(&mut parsed.links, &dest_url),
            Event::Text(text) => {
                let in_autolink = links_open.last().copied().unwrap_or(false);
                if code_blocks == 0 && !in_autolink {
                    read_text(&text, &mut parsed);
                }
            }
            // Inline code and HTML are not words of the text, but they do separate words.
            Event::Code(_)
            | Event::InlineHtml(_)
            | Event::FootnoteReference(_)
            | Event::SoftBreak
            | Event::HardBreak => {
                parsed.prose.push(' ');
            }
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Item
                | TagEnd::TableCell
                | TagEnd::BlockQuote(_)
                | TagEnd::FootnoteDefinition
                | TagEnd::HtmlBlock
                | TagEnd::DefinitionListTitle
                | TagEnd::DefinitionListDefinition,
            ) => parsed.prose.push('\n'),
            _ => {}
        }
    }
    parsed
}

fn push_target(links: &mut Vec<String>, target: &str) {
    let target = target.trim();
    if !target.is_empty() {
        links.push(target.to_owned());
    }
}

/// Adds a piece of text to `parsed`: its `{{law:…}}` concepts and plain-text addresses
/// are recorded and left out of the prose, so that neither their Latin letters nor
/// their digits are taken for words or numbers of the text.
fn read_text(text: &str, parsed: &mut Parsed) {
    let mut rest = text;
    let mut without_law = String::with_capacity(text.len());
    // The same scan as the renderer's: `{{law:` up to the next `}}`.
    while let Some(start) = rest.find("{{law:") {
        let after = rest.get(start + 6..).unwrap_or_default();
        let Some(end) = after.find("}}") else { break };
        let concept = after.get(..end).unwrap_or_default().trim();
        if !concept.is_empty() && !parsed.law_concepts.iter().any(|c| c == concept) {
            parsed.law_concepts.push(concept.to_owned());
        }
        without_law.push_str(rest.get(..start).unwrap_or_default());
        without_law.push(' ');
        rest = after.get(end + 2..).unwrap_or_default();
    }
    without_law.push_str(rest);

    for piece in without_law.split_inclusive(char::is_whitespace) {
        let word = piece.trim_end_matches(char::is_whitespace);
        let space = piece.get(word.len()..).unwrap_or_default();
        match address_start(word) {
            Some(start) => {
                let address = word.get(start..).unwrap_or_default();
                // Punctuation after an address belongs to the sentence.
                let address =
                    address.trim_end_matches(['.', ',', ';', ':', '!', '?', ')', ']', '»', '"', '\'', '”', '’']);
                push_target(&mut parsed.links, address);
                parsed.prose.push_str(word.get(..start).unwrap_or_default());
                parsed.prose.push(' ');
            }
            None => parsed.prose.push_str(word),
        }
        parsed.prose.push_str(space);
    }
}

/// Where a web or mail address written as plain text starts in a word, if it has one.
fn address_start(word: &str) -> Option<usize> {
    // ASCII lower case keeps every byte offset of the word.
    let lower = word.to_ascii_lowercase();
    ["https://", "http://", "mailto:", "www."]
        .iter()
        .filter_map(|prefix| lower.find(prefix))
        .filter(|start| {
            // `(https://…` is an address; `xwww.` is not.
            lower
                .get(..*start)
                .and_then(|before| before.chars().next_back())
                .is_none_or(|c| !c.is_alphanumeric())
        })
        .min()
}

// ---- Words and numbers ----------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenKind {
    Word,
    Number,
}

/// A word (a run of letters of any script) or a number (digits, with `.` or `-`
/// between digits, as article numbers are written: `205`, `278-1`, `205.1`).
#[derive(Debug, Clone)]
struct Token<'a> {
    text: &'a str,
    kind: TokenKind,
    /// The prose line (block) it is on: tokens of different blocks are never neighbours.
    line: usize,
    /// Byte range in the prose, to quote what was written.
    start: usize,
    end: usize,
    /// Written straight after a hyphen, as a suffix is (`205-бап`, `273-nji`).
    after_hyphen: bool,
    /// Followed straight by a full stop, as an abbreviation is (`ст.`, `Art.`).
    before_dot: bool,
}

fn is_letter(c: char) -> bool {
    // `char::is_alphabetic` includes the modifier letters, so Uzbek ʻ (U+02BB) and ʼ
    // (U+02BC) are part of a word, as they are letters of the alphabet.
    c.is_alphabetic()
}

fn tokens(prose: &str) -> Vec<Token<'_>> {
    let mut found = Vec::new();
    let mut line = 0;
    let mut previous: Option<char> = None;
    let mut chars = prose.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        let kind = if is_letter(c) {
            TokenKind::Word
        } else if c.is_ascii_digit() {
            TokenKind::Number
        } else {
            if c == '\n' {
                line += 1;
            }
            previous = Some(c);
            continue;
        };
        let mut end = start + c.len_utf8();
        let mut last = c;
        while let Some(&(at, next)) = chars.peek() {
            let continues = match kind {
                TokenKind::Word => is_letter(next),
                TokenKind::Number => {
                    let digit_follows = prose
                        .get(at + next.len_utf8()..)
                        .and_then(|after| after.chars().next())
                        .is_some_and(|d| d.is_ascii_digit());
                    next.is_ascii_digit() || (matches!(next, '.' | '-') && digit_follows)
                }
            };
            if !continues {
                break;
            }
            end = at + next.len_utf8();
            last = next;
            chars.next();
        }
        let before_dot = chars.peek().is_some_and(|&(_, next)| next == '.');
        found.push(Token {
            text: prose.get(start..end).unwrap_or_default(),
            kind,
            line,
            start,
            end,
            after_hyphen: matches!(previous, Some('-' | '\u{2011}')),
            before_dot,
        });
        previous = Some(last);
    }
    found
}

/// The numbers of the prose as written, each with a form that reads the same whichever
/// way a language groups thousands or writes decimals: `1,000`, `1.000` and `1 000`
/// all give `1000`; `3.5` and `3,5` give `3.5`.
fn numbers_of(prose: &str) -> Vec<(String, String)> {
    let chars: Vec<char> = prose.chars().collect();
    let digits_from = |from: usize| chars.iter().skip(from).take_while(|c| c.is_ascii_digit()).count();
    let text_of = |from: usize, count: usize| -> String { chars.iter().skip(from).take(count).collect() };
    let mut numbers = Vec::new();
    let mut at = 0;
    while at < chars.len() {
        let first = digits_from(at);
        if first == 0 {
            at += 1;
            continue;
        }
        // Groups of digits and the separator before each (none before the first).
        let mut groups: Vec<(Option<char>, String)> = vec![(None, text_of(at, first))];
        let mut end = at + first;
        while let Some(separator) = chars.get(end).copied() {
            let next = digits_from(end + 1);
            let previous = groups.last().map(|(_, g)| g.chars().count()).unwrap_or_default();
            let joins = match separator {
                '.' | ',' => next > 0,
                // A space only groups thousands: `10 000`, never `2023 150`.
                ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}' => next == 3 && previous <= 3,
                _ => false,
            };
            if !joins {
                break;
            }
            groups.push((Some(separator), text_of(end + 1, next)));
            end += 1 + next;
        }
        let decimal = match groups.last() {
            Some((Some('.' | ','), last)) => last.chars().count() != 3,
            _ => false,
        };
        let mut canonical = String::new();
        let count = groups.len();
        for (index, (_, digits)) in groups.iter().enumerate() {
            if decimal && index + 1 == count {
                canonical.push('.');
            }
            canonical.push_str(digits);
        }
        numbers.push((canonical, text_of(at, end - at)));
        at = end;
    }
    numbers
}

// ---- Comparisons ----------------------------------------------------------------------

/// What `wanted` has more of than `got`: each key with how many more, shown as its first
/// form in `wanted`, in the order of `wanted`. Items are (key, as shown).
fn surplus(wanted: &[(String, String)], got: &[(String, String)]) -> Vec<(String, usize)> {
    let count = |items: &[(String, String)], key: &str| items.iter().filter(|(k, _)| k == key).count();
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    let mut more = Vec::new();
    for (key, shown) in wanted {
        if !seen.insert(key) {
            continue;
        }
        let (have, need) = (count(got, key), count(wanted, key));
        if need > have {
            more.push((shown.clone(), need - have));
        }
    }
    more
}

fn same_as_shown(items: &[String]) -> Vec<(String, String)> {
    items.iter().map(|i| (i.clone(), i.clone())).collect()
}

/// `a, b ×2, c`: the items, with how often where more than once.
fn list(items: &[(String, usize)]) -> String {
    items
        .iter()
        .map(|(item, times)| {
            if *times > 1 {
                format!("{item} ×{times}")
            } else {
                item.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Check 1: The section's heading line, and its id, which must be the parent's so that
/// adaptations, links and fingerprints keep finding the section in every language.
fn section_id(input: &CheckInput<'_>, checks: &mut Vec<Check>) {
    let text = sections::split(input.text, 1);
    // The parent's id is the truth: the section is stored and found under it.
    let expected = if input.kind == TextKind::Base {
        None
    } else {
        sections::split(input.parent, 1).sections.first().map(|s| s.id.clone())
    };
    let shown_id = expected.clone().unwrap_or_else(|| "…".to_owned());
    // Blank lines before the heading change nothing; any other text would be a section
    // of its own, without a heading.
    let first = text.sections.first().filter(|_| text.intro.trim().is_empty());
    let Some(section) = first else {
        let line = format!("## … {{#{shown_id}}}");
        let message = i18n::t_with(input.locale, "authoring_checks.section_no_heading", &[("line", &line)]);
        checks.push(found(Level::Error, "section_id", message));
        return;
    };
    if input.kind == TextKind::Base {
        return;
    }
    if !section.explicit_id {
        let message = i18n::t_with(
            input.locale,
            "authoring_checks.section_id_missing",
            &[("id", &shown_id)],
        );
        checks.push(found(Level::Error, "section_id", message));
        return;
    }
    if let Some(expected) = expected {
        if section.id != expected {
            let message = i18n::t_with(
                input.locale,
                "authoring_checks.section_id_different",
                &[("found", &section.id), ("expected", &expected)],
            );
            checks.push(found(Level::Error, "section_id", message));
        }
    }
}

/// Check 2: The same `{{law:…}}` concepts as the parent, as a set: a translation may cite a
/// concept once where its base cites it twice.
fn law_references(locale: Locale, level: Level, parent: &Parsed, text: &Parsed, checks: &mut Vec<Check>) {
    let shown = |items: Vec<(String, usize)>| {
        items
            .into_iter()
            .map(|(concept, _)| (format!("{{{{law:{concept}}}}}"), 1))
            .collect::<Vec<_>>()
    };
    let missing = shown(surplus(
        &same_as_shown(&parent.law_concepts),
        &same_as_shown(&text.law_concepts),
    ));
    let extra = shown(surplus(
        &same_as_shown(&text.law_concepts),
        &same_as_shown(&parent.law_concepts),
    ));
    if !missing.is_empty() {
        let message = i18n::t_with(
            locale,
            "authoring_checks.law_missing",
            &[("references", &list(&missing))],
        );
        checks.push(found(level, "law_references", message));
    }
    if !extra.is_empty() {
        let message = i18n::t_with(locale, "authoring_checks.law_extra", &[("references", &list(&extra))]);
        checks.push(found(level, "law_references", message));
    }
}

/// Check 3: The same headings per level, list items and link targets as the parent.
fn structure(locale: Locale, links_level: Level, parent: &Parsed, text: &Parsed, checks: &mut Vec<Check>) {
    for level in 1..=6u8 {
        let expected = parent.headings.get(&level).copied().unwrap_or_default();
        let got = text.headings.get(&level).copied().unwrap_or_default();
        if expected != got {
            let marks = "#".repeat(usize::from(level));
            let message = i18n::t_with(
                locale,
                "authoring_checks.headings_count",
                &[
                    ("level", &level.to_string()),
                    ("marks", &marks),
                    ("found", &got.to_string()),
                    ("expected", &expected.to_string()),
                ],
            );
            checks.push(found(Level::Warning, "headings", message));
        }
    }
    if parent.list_items != text.list_items {
        let message = i18n::t_with(
            locale,
            "authoring_checks.lists_count",
            &[
                ("found", &text.list_items.to_string()),
                ("expected", &parent.list_items.to_string()),
            ],
        );
        checks.push(found(Level::Warning, "lists", message));
    }
    let missing = surplus(&same_as_shown(&parent.links), &same_as_shown(&text.links));
    let extra = surplus(&same_as_shown(&text.links), &same_as_shown(&parent.links));
    if !missing.is_empty() {
        let message = i18n::t_with(
            locale,
            "authoring_checks.links_missing",
            &[("targets", &list(&missing))],
        );
        checks.push(found(links_level, "links", message));
    }
    if !extra.is_empty() {
        let message = i18n::t_with(locale, "authoring_checks.links_extra", &[("targets", &list(&extra))]);
        checks.push(found(links_level, "links", message));
    }
}

/// Whether a word means "article" (of a code) in one of the seven languages, in any of
/// its forms: Article, Art.; статья, ст.; бап, бабы (kk); берене (ky); модда, моддаи
/// (tg, Uzbek Cyrillic); madda (tk); modda (uz). `after_number` is whether the word
/// follows the number: the Turkic languages write the number first (`205-бап`,
/// `7-modda`), English and Russian after the word, and a number before an English or
/// Russian word belongs to something else (`пункт 7 статьи 29`: paragraph 7 of
/// article 29).
fn means_article(token: &Token<'_>, after_number: bool) -> bool {
    let word = token.text.to_lowercase();
    let english_or_russian = (token.before_dot && (word == "art" || word == "ст"))
        || word.starts_with("article")
        || word.starts_with("стать")
        || word.starts_with("статей");
    let either_side = word == "бап"
        // Kazakh бап becomes бабы-, бабын- before a vowel.
        || word.starts_with("бапт")
        || word.starts_with("бапқ")
        || word.starts_with("бабы")
        || word.starts_with("берене")
        || word.starts_with("модда")
        || word.starts_with("madda")
        || word.starts_with("modda");
    either_side || (english_or_russian && !after_number)
}

/// Whether a word names a convention. Conventions number their own articles (Article 7
/// of the Budapest Convention is computer-related forgery), and those small numbers
/// are often also numbers of some national article, so a block that names a
/// convention is left alone.
fn names_convention(token: &Token<'_>) -> bool {
    let word = token.text.to_lowercase();
    word == "treaty"
        || word == "treaties"
        || ["convention", "конвенци", "конвенси", "konwensi", "konvensi"]
            .iter()
            .any(|stem| word.starts_with(stem))
}

/// Check 4: An article number written as plain text next to a word for "article", where
/// the law table has the article: a `{{law:…}}` reference shows each reader their own
/// country's article instead.
fn plain_article(input: &CheckInput<'_>, text: &Parsed, checks: &mut Vec<Check>) {
    let articles: BTreeSet<&str> = input
        .law_articles
        .iter()
        .map(|a| a.trim())
        .filter(|a| !a.is_empty())
        .collect();
    if articles.is_empty() {
        return;
    }
    let tokens = tokens(&text.prose);
    let convention_lines: BTreeSet<usize> = tokens
        .iter()
        .filter(|t| t.kind == TokenKind::Word && names_convention(t))
        .map(|t| t.line)
        .collect();
    let word_at = |index: usize, line: usize| {
        tokens
            .get(index)
            .filter(|t| t.kind == TokenKind::Word && t.line == line)
    };
    let mut quotes: Vec<String> = Vec::new();
    for (index, number) in tokens.iter().enumerate() {
        if number.kind != TokenKind::Number
            || !articles.contains(number.text)
            || convention_lines.contains(&number.line)
        {
            continue;
        }
        // The word after the number (`205-бап`), or after a short ordinal suffix written
        // onto it (`273-nji madda`); else the word before it (`ст. 205`, `моддаи 205`).
        let after = word_at(index + 1, number.line);
        let after_suffix = after
            .filter(|suffix| suffix.after_hyphen && suffix.text.chars().count() <= 4 && !means_article(suffix, true))
            .and_then(|_| word_at(index + 2, number.line));
        let before = index.checked_sub(1).and_then(|i| word_at(i, number.line));
        let span = if let Some(word) = after.filter(|w| means_article(w, true)) {
            Some((number.start, word.end))
        } else if let Some(word) = after_suffix.filter(|w| means_article(w, true)) {
            Some((number.start, word.end))
        } else {
            before
                .filter(|w| means_article(w, false))
                .map(|word| (word.start, number.end))
        };
        let quote = span.and_then(|(start, end)| text.prose.get(start..end));
        if let Some(quote) = quote {
            if !quotes.iter().any(|q| q == quote) {
                quotes.push(quote.to_owned());
            }
        }
    }
    if quotes.is_empty() {
        return;
    }
    let message = i18n::t_with(
        input.locale,
        "authoring_checks.plain_article",
        &[("quotes", &quoted(&quotes)), ("reference", "{{law:…}}")],
    );
    checks.push(found(Level::Warning, "plain_article", message));
}

/// At most five quoted items, then `…` when there are more.
fn quoted(items: &[String]) -> String {
    let mut shown: Vec<String> = items.iter().take(MAX_QUOTED).cloned().collect();
    if items.len() > MAX_QUOTED {
        shown.push("…".to_owned());
    }
    shown.join(", ")
}

const MAX_QUOTED: usize = 5;

/// How a word of a glossary term is recognised in a text. The parent's words must be
/// the term's words themselves (any case), so that "понятой" (attesting witness) is not
/// read into "понятие" (concept); the translation may carry any ending, as the Turkic
/// languages and Russian add them (киберқылмыстар, kiberjinoyatchiligi, доступа), so a
/// word only has to begin with its stem. Numbers match whole either way.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Stem {
    Prefix(String),
    Exact(String),
}

/// The words of a term, each to be matched whole.
fn whole_words(phrase: &str) -> Vec<Stem> {
    let lower = phrase.to_lowercase();
    tokens(&lower)
        .into_iter()
        .map(|token| Stem::Exact(token.text.to_owned()))
        .collect()
}

/// The stems of a term's words: a word of more than four letters without its last one
/// (five or six letters) or two (more), a shorter word whole, any ending allowed after.
fn stems(phrase: &str) -> Vec<Stem> {
    let lower = phrase.to_lowercase();
    tokens(&lower)
        .into_iter()
        .map(|token| match token.kind {
            TokenKind::Number => Stem::Exact(token.text.to_owned()),
            TokenKind::Word => {
                let letters = token.text.chars().count();
                let cut = match letters {
                    0..=4 => 0,
                    5..=6 => 1,
                    _ => 2,
                };
                Stem::Prefix(token.text.chars().take(letters - cut).collect())
            }
        })
        .collect()
}

/// The words of the prose in lower case, with their line.
fn lower_words(prose: &str) -> Vec<(String, usize)> {
    tokens(prose)
        .into_iter()
        .map(|t| (t.text.to_lowercase(), t.line))
        .collect()
}

/// Whether the words hold the phrase: consecutive words on one line, each matching its
/// stem. Words are whole tokens, so a match always starts at a word boundary, in any
/// script.
fn contains_phrase(words: &[(String, usize)], phrase: &[Stem]) -> bool {
    if phrase.is_empty() {
        return false;
    }
    words.windows(phrase.len()).any(|window| {
        let one_line = window.first().map(|(_, l)| l) == window.last().map(|(_, l)| l);
        one_line
            && window.iter().zip(phrase).all(|((word, _), stem)| match stem {
                Stem::Prefix(start) => word.starts_with(start.as_str()),
                Stem::Exact(whole) => word == whole,
            })
    })
}

/// The alternatives of a glossary entry, separated by `;`.
fn alternatives(terms: &str) -> impl Iterator<Item = &str> {
    terms.split(';').map(str::trim).filter(|t| !t.is_empty())
}

/// The ways one alternative may be written. The glossaries add a gloss, a completion or
/// a second form in brackets: "иҷозат (санксия)", "допустимость (доказательств)",
/// "qonunga xilof kirish (ruxsatsiz kirish)". Any of them will do in the translation:
/// the words outside the brackets, all the words, or those inside one pair. The words
/// inside alone say too little to find the term in the parent ("доказательств" is no
/// term), so there only the first two count.
fn forms(alternative: &str, in_translation: bool) -> Vec<String> {
    let mut outside = String::new();
    let mut all = String::new();
    let mut inside: Vec<String> = Vec::new();
    let mut depth = 0usize;
    for c in alternative.chars() {
        match c {
            '(' => {
                if depth == 0 {
                    inside.push(String::new());
                }
                depth += 1;
                all.push(' ');
            }
            ')' if depth > 0 => {
                depth -= 1;
                all.push(' ');
            }
            _ if depth > 0 => {
                if let Some(current) = inside.last_mut() {
                    current.push(c);
                }
                all.push(c);
            }
            _ => {
                outside.push(c);
                all.push(c);
            }
        }
    }
    let mut found = vec![outside, all];
    if in_translation {
        found.extend(inside);
    }
    found
        .into_iter()
        .map(|form| form.trim().to_owned())
        .filter(|form| !form.is_empty())
        .collect()
}

/// Check 5: Each glossary term the parent uses appears here in its agreed translation.
fn glossary(input: &CheckInput<'_>, parent: &Parsed, text: &Parsed, checks: &mut Vec<Check>) {
    let parent_words = lower_words(&parent.prose);
    let text_words = lower_words(&text.prose);
    for term in input.glossary {
        let used = alternatives(&term.source).find(|source| {
            forms(source, false)
                .iter()
                .any(|form| contains_phrase(&parent_words, &whole_words(form)))
        });
        let Some(source) = used else { continue };
        let translated = alternatives(&term.translation)
            .flat_map(|alternative| forms(alternative, true))
            .any(|form| contains_phrase(&text_words, &stems(&form)));
        if !translated {
            let message = i18n::t_with(
                input.locale,
                "authoring_checks.glossary",
                &[("term", source), ("translation", term.translation.trim())],
            );
            checks.push(found(Level::Warning, "glossary", message));
        }
    }
}

/// Check 6: The same numbers as the parent, as many times each (a translation changes words,
/// never figures, dates or amounts).
fn numbers(locale: Locale, parent: &Parsed, text: &Parsed, checks: &mut Vec<Check>) {
    let in_parent = numbers_of(&parent.prose);
    let in_text = numbers_of(&text.prose);
    let missing = surplus(&in_parent, &in_text);
    let extra = surplus(&in_text, &in_parent);
    if !missing.is_empty() {
        let message = i18n::t_with(
            locale,
            "authoring_checks.numbers_missing",
            &[("numbers", &list(&missing))],
        );
        checks.push(found(Level::Warning, "numbers", message));
    }
    if !extra.is_empty() {
        let message = i18n::t_with(locale, "authoring_checks.numbers_extra", &[("numbers", &list(&extra))]);
        checks.push(found(Level::Warning, "numbers", message));
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Script {
    Latin,
    Cyrillic,
    Other,
}

fn script_of(c: char) -> Script {
    let cyrillic = matches!(c,
        '\u{0400}'..='\u{052F}' | '\u{1C80}'..='\u{1C8F}' | '\u{2DE0}'..='\u{2DFF}' | '\u{A640}'..='\u{A69F}');
    // Basic Latin, Latin-1 and Extended-A/B letters (Turkmen ç ä ž ň ö ş ü ý), and the
    // Latin Extended Additional block.
    let latin = c.is_ascii_alphabetic()
        || matches!(c, '\u{00C0}'..='\u{024F}' | '\u{1E00}'..='\u{1EFF}' | '\u{2C60}'..='\u{2C7F}' | '\u{A720}'..='\u{A7FF}');
    if cyrillic {
        Script::Cyrillic
    } else if latin {
        Script::Latin
    } else {
        Script::Other
    }
}

/// The word with the letters of `marked` in brackets, to point at look-alike letters a
/// reader cannot tell apart: `д[o]ступ`.
fn marked(word: &str, script: Script) -> String {
    let mut out = String::with_capacity(word.len() + 4);
    for c in word.chars() {
        if script_of(c) == script {
            out.push('[');
            out.push(c);
            out.push(']');
        } else {
            out.push(c);
        }
    }
    out
}

/// Latin letters that look like letters of the Cyrillic alphabets: the ones a typing
/// or copying mistake puts into a word of the other alphabet.
const LOOK_ALIKES: &str = "aceiopxyABCEHIKMOPTXY";

/// Whether a word is a Latin name with a Cyrillic ending, as Kazakh and Kyrgyz texts
/// write them (CERTтен, Telegramдагы, USDTге): Latin letters, then no more Latin ones.
/// A Latin part of one letter (`oперация`) or of look-alike letters only (`Ceрвер`) is
/// more likely a mistake than a name.
fn latin_name_with_suffix(word: &str) -> bool {
    let latin_part: Vec<char> = word.chars().take_while(|c| script_of(*c) == Script::Latin).collect();
    let mut rest = word.chars().skip(latin_part.len());
    latin_part.len() >= 2
        && latin_part.iter().any(|c| !LOOK_ALIKES.contains(*c))
        && rest.all(|c| script_of(c) != Script::Latin)
}

/// The words written between quotation marks (« », “ ”, „ “, " "), which may be
/// quotations in another language.
fn words_in_quotation_marks(prose: &str) -> std::collections::BTreeSet<&str> {
    let mut words = std::collections::BTreeSet::new();
    let mut rest = prose;
    while let Some(open) = rest.find(['«', '“', '„', '"']) {
        let after_open = rest
            .get(open..)
            .and_then(|r| r.chars().next())
            .map_or(1, char::len_utf8);
        let inside_start = open + after_open;
        let inside = rest.get(inside_start..).unwrap_or_default();
        let Some(close) = inside.find(['»', '”', '“', '"']) else {
            break;
        };
        let quoted = inside.get(..close).unwrap_or_default();
        // A quotation is short; a long run between two marks is more likely unpaired marks.
        if quoted.split_whitespace().count() <= 6 {
            words.extend(quoted.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()));
        }
        let close_len = inside
            .get(close..)
            .and_then(|r| r.chars().next())
            .map_or(1, char::len_utf8);
        rest = inside.get(close + close_len..).unwrap_or_default();
    }
    words
}

/// Check 7: Letters of the wrong alphabet. Uzbek and Turkmen are written in Latin, English
/// too: a Cyrillic letter is wrong there. Russian, Kazakh, Kyrgyz and Tajik are written
/// in Cyrillic but name things in Latin (IP, Bitcoin, SHA-256, CERTтен), so only a word
/// mixing both alphabets otherwise is wrong: a look-alike letter typed on the other
/// keyboard, which breaks search and copying.
fn wrong_script(language: Locale, locale: Locale, text: &Parsed, checks: &mut Vec<Check>) {
    let latin_language = matches!(language, Locale::Uz | Locale::Tk | Locale::En);
    let quoted_words = words_in_quotation_marks(&text.prose);
    let mut offending: Vec<String> = Vec::new();
    let mut quotations: Vec<String> = Vec::new();
    for token in tokens(&text.prose) {
        if token.kind != TokenKind::Word {
            continue;
        }
        let latin = token.text.chars().filter(|c| script_of(*c) == Script::Latin).count();
        let cyrillic = token.text.chars().filter(|c| script_of(*c) == Script::Cyrillic).count();
        let shown = if latin_language {
            match (cyrillic, latin) {
                (0, _) => None,
                // A whole Russian word in quotation marks is a quotation (slang an
                // investigator meets, «дропы»): a warning, not an error.
                (_, 0) if quoted_words.contains(token.text) => {
                    if !quotations.iter().any(|q| q == token.text) {
                        quotations.push(token.text.to_owned());
                    }
                    None
                }
                (_, 0) => Some(token.text.to_owned()),
                _ => Some(marked(token.text, Script::Cyrillic)),
            }
        } else if latin > 0 && cyrillic > 0 && !latin_name_with_suffix(token.text) {
            // The letters of the alphabet the word mostly is not written in are the
            // typing mistakes: д[o]ступ, Bitc[о]in.
            let minority = if latin <= cyrillic {
                Script::Latin
            } else {
                Script::Cyrillic
            };
            Some(marked(token.text, minority))
        } else {
            None
        };
        if let Some(shown) = shown {
            if !offending.contains(&shown) {
                offending.push(shown);
            }
        }
    }
    if !quotations.is_empty() {
        let message = i18n::t_with(
            locale,
            "authoring_checks.script_quoted",
            &[("words", &quoted(&quotations))],
        );
        checks.push(found(Level::Warning, "wrong_script", message));
    }
    if offending.is_empty() {
        return;
    }
    let key = if latin_language {
        "authoring_checks.script_cyrillic"
    } else {
        "authoring_checks.script_mixed"
    };
    let message = i18n::t_with(locale, key, &[("words", &quoted(&offending))]);
    checks.push(found(Level::Error, "wrong_script", message));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_russian_word_quoted_in_an_uzbek_text_is_a_warning_and_unquoted_an_error() {
        let quoted = run(
            "",
            "## Pul {#mules}\n\nUlarni «дропы» deb atashadi.",
            TextKind::Base,
            Locale::Uz,
        );
        assert!(quoted.iter().all(|c| c.level == Level::Warning), "{quoted:?}");
        assert!(quoted.iter().any(|c| c.code == "wrong_script"), "{quoted:?}");
        let bare = run(
            "",
            "## Pul {#mules}\n\nBu матн kirill yozuvida.",
            TextKind::Base,
            Locale::Uz,
        );
        assert!(
            bare.iter().any(|c| c.code == "wrong_script" && c.level == Level::Error),
            "{bare:?}"
        );
    }

    fn run(parent: &str, text: &str, kind: TextKind, language: Locale) -> Vec<Check> {
        check(&CheckInput {
            parent,
            text,
            kind,
            language,
            law_articles: &[],
            glossary: &[],
            locale: Locale::En,
        })
    }

    fn translate(parent: &str, text: &str, language: Locale) -> Vec<Check> {
        run(parent, text, TextKind::Translation, language)
    }

    fn with_code<'a>(checks: &'a [Check], code: &str) -> Vec<&'a Check> {
        checks.iter().filter(|c| c.code == code).collect()
    }

    const PARENT: &str = "## Неправомерный доступ {#unauthorised-access}\n\n\
        Неправомерный доступ наказывается по {{law:unauthorised_access}}.\n\n\
        ### Признаки\n\n\
        - доступ к 1 000 учётных записей;\n\
        - ущерб свыше 3,5 млн тенге.\n\n\
        См. [форму изъятия](seizure-form.pdf) и [раздел ниже](#case-study).\n";

    const KAZAKH: &str = "## Құқыққа сыйымсыз қол жеткізу {#unauthorised-access}\n\n\
        Құқыққа сыйымсыз қол жеткізу үшін {{law:unauthorised_access}} бойынша жауапкершілік көзделген.\n\n\
        ### Белгілері\n\n\
        - 1 000 есептік жазбаға қол жеткізу;\n\
        - 3,5 млн теңгеден асатын залал.\n\n\
        [Алып қою нысанын](seizure-form.pdf) және [төмендегі бөлімді](#case-study) қараңыз.\n";

    #[test]
    fn a_faithful_translation_passes_every_check() {
        let glossary = [GlossaryTerm {
            source: "неправомерный доступ".into(),
            translation: "құқыққа сыйымсыз қол жеткізу".into(),
        }];
        let articles = ["205".to_owned()];
        let checks = check(&CheckInput {
            parent: PARENT,
            text: KAZAKH,
            kind: TextKind::Translation,
            language: Locale::Kk,
            law_articles: &articles,
            glossary: &glossary,
            locale: Locale::En,
        });
        assert_eq!(checks, []);
        assert!(!has_errors(&checks));
    }

    #[test]
    fn a_section_must_start_with_its_heading_line() {
        let checks = translate(
            PARENT,
            "Текст без заголовка.\n\n## Тақырып {#unauthorised-access}\n\nМәтін.",
            Locale::Kk,
        );
        let found = with_code(&checks, "section_id");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].level, Level::Error);
        assert!(
            found[0].message.contains("## … {#unauthorised-access}"),
            "{}",
            found[0].message
        );
        assert!(has_errors(&checks));

        let base = run("", "## Heading\n\nText.", TextKind::Base, Locale::En);
        assert!(with_code(&base, "section_id").is_empty(), "{base:?}");
        let base = run("", "Text.", TextKind::Base, Locale::En);
        assert_eq!(with_code(&base, "section_id").len(), 1);
    }

    #[test]
    fn a_translation_keeps_the_id_of_its_parent_written_out() {
        let different = translate(
            PARENT,
            &KAZAKH.replace("{#unauthorised-access}", "{#access}"),
            Locale::Kk,
        );
        let found = with_code(&different, "section_id");
        assert_eq!(found.len(), 1);
        assert!(found[0].message.contains("{#access}") && found[0].message.contains("{#unauthorised-access}"));

        let unwritten = translate(PARENT, &KAZAKH.replace(" {#unauthorised-access}", ""), Locale::Kk);
        let found = with_code(&unwritten, "section_id");
        assert_eq!(found.len(), 1);
        assert!(
            found[0].message.contains("{#unauthorised-access}"),
            "{}",
            found[0].message
        );

        assert!(with_code(&translate(PARENT, KAZAKH, Locale::Kk), "section_id").is_empty());
    }

    #[test]
    fn a_section_with_nothing_after_its_heading_is_empty() {
        let empty = translate(
            PARENT,
            "## Тақырып {#unauthorised-access}\n\n<!-- кейін аударылады -->\n",
            Locale::Kk,
        );
        let found = with_code(&empty, "empty");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].level, Level::Error);
        let base = run("", "## Heading {#a}\n", TextKind::Base, Locale::En);
        assert_eq!(with_code(&base, "empty").len(), 1);

        let image_only = run(
            "",
            "## Heading {#a}\n\n![Scene](scene.png)\n",
            TextKind::Base,
            Locale::En,
        );
        assert!(with_code(&image_only, "empty").is_empty());
    }

    #[test]
    fn law_references_are_compared_as_sets_and_named() {
        let parent = "## A {#a}\n\nSee {{law:computer_fraud}} and {{law:csam}}, and {{law:csam}} again.";
        let text = "## A {#a}\n\nSee {{law:csam}} and {{law: money_laundering }}.";
        let checks = translate(parent, text, Locale::En);
        let found = with_code(&checks, "law_references");
        assert_eq!(found.len(), 2, "{checks:?}");
        assert!(found.iter().all(|c| c.level == Level::Error));
        assert!(found[0].message.contains("{{law:computer_fraud}}") && !found[0].message.contains("csam"));
        assert!(found[1].message.contains("{{law:money_laundering}}"));

        let adapted = run(parent, text, TextKind::Adaptation, Locale::En);
        assert!(with_code(&adapted, "law_references")
            .iter()
            .all(|c| c.level == Level::Warning));

        let once = translate(parent, "## A {#a}\n\n{{law:csam}}, {{law:computer_fraud}}.", Locale::En);
        assert!(with_code(&once, "law_references").is_empty(), "{once:?}");
    }

    #[test]
    fn a_law_reference_in_code_is_not_a_reference() {
        let checks = translate(
            "## A {#a}\n\nText.",
            "## A {#a}\n\nWrite `{{law:csam}}` here.",
            Locale::En,
        );
        assert!(with_code(&checks, "law_references").is_empty(), "{checks:?}");
    }

    #[test]
    fn headings_are_counted_per_level_and_list_items_in_all() {
        let parent = "## A {#a}\n\n### One\n\n### Two\n\n- x\n- y\n\n1. z\n";
        let text = "## A {#a}\n\n### One\n\n#### Two\n\n- x\n- y\n";
        let checks = translate(parent, text, Locale::En);
        let headings = with_code(&checks, "headings");
        assert_eq!(headings.len(), 2, "{checks:?}");
        assert!(
            headings[0].message.contains("(###): 1 here, 2 in the base text"),
            "{}",
            headings[0].message
        );
        assert!(headings[1].message.contains("(####): 1 here, 0 in the base text"));
        let lists = with_code(&checks, "lists");
        assert_eq!(lists.len(), 1);
        assert_eq!(lists[0].level, Level::Warning);
        assert!(lists[0].message.contains("2 here, 3 in the base text"));

        let same = translate(
            parent,
            "## Б {#a}\n\n### Один\n\n### Два\n\n- икс\n- игрек\n\n1. зет\n",
            Locale::Ru,
        );
        assert!(
            with_code(&same, "headings").is_empty() && with_code(&same, "lists").is_empty(),
            "{same:?}"
        );
    }

    #[test]
    fn link_targets_are_compared_without_their_text() {
        let parent = "## A {#a}\n\nSee [the form](form.pdf), ![a scene](scene.png), [below](#case) and https://adilet.zan.kz/rus.";
        let renamed = "## A {#a}\n\nҚараңыз: [нысан](form.pdf), ![көрініс](scene.png), [төменде](#case), https://adilet.zan.kz/rus.";
        assert!(with_code(&translate(parent, renamed, Locale::Kk), "links").is_empty());

        let changed = "## A {#a}\n\nҚараңыз: [нысан](form-kk.pdf), ![көрініс](scene.png), [төменде](#case).";
        let checks = translate(parent, changed, Locale::Kk);
        let found = with_code(&checks, "links");
        assert_eq!(found.len(), 2, "{checks:?}");
        assert_eq!(found[0].level, Level::Error);
        assert!(
            found[0].message.ends_with("form.pdf, https://adilet.zan.kz/rus"),
            "{}",
            found[0].message
        );
        assert!(found[1].message.ends_with("form-kk.pdf"));

        let adapted = run(parent, changed, TextKind::Adaptation, Locale::Kk);
        assert!(with_code(&adapted, "links").iter().all(|c| c.level == Level::Warning));
    }

    fn plain_articles(text: &str, articles: &[&str]) -> Vec<Check> {
        let articles: Vec<String> = articles.iter().map(|a| (*a).to_owned()).collect();
        let checks = check(&CheckInput {
            parent: "",
            text,
            kind: TextKind::Base,
            language: Locale::Ru,
            law_articles: &articles,
            glossary: &[],
            locale: Locale::En,
        });
        checks.into_iter().filter(|c| c.code == "plain_article").collect()
    }

    #[test]
    fn an_article_number_beside_the_word_for_article_is_reported_in_every_language() {
        for (written, quote) in [
            ("under Article 205 of the Code", "Article 205"),
            ("under Art. 205 of the Code", "Art. 205"),
            ("по статье 205 УК", "статье 205"),
            ("по ст. 205 УК", "ст. 205"),
            ("ҚК-нің 205-бабына сәйкес", "205-бабына"),
            ("ҚК 205 бап", "205 бап"),
            ("КК 205-беренеси", "205-беренеси"),
            ("моддаи 205 КҶ", "моддаи 205"),
            ("JK-nyň 205-nji maddasy", "205-nji maddasy"),
            ("JKning 278-1-moddasi", "278-1-moddasi"),
        ] {
            let found = plain_articles(&format!("## A {{#a}}\n\nText {written}."), &["205", "278-1"]);
            assert_eq!(found.len(), 1, "{written}");
            assert_eq!(found[0].level, Level::Warning);
            assert!(found[0].message.contains(quote), "{written}: {}", found[0].message);
            assert!(found[0].message.contains("{{law:…}}"));
        }
    }

    #[test]
    fn other_numbers_near_the_word_for_article_are_not_reported() {
        for written in [
            "Article 206 of the Code",
            "in 205 cases",
            "по статье 2050",
            "статья\n\n205 человек",
            "{{law:unauthorised_access}} (`статья 205`)",
            // Paragraph 205 of article 29, as Russian writes it.
            "согласно пункту 205 статьи 29",
            "Article 205 of the Budapest Convention",
            "Будапешт конвенциясының 205-бабы",
        ] {
            let found = plain_articles(&format!("## A {{#a}}\n\n{written}."), &["205", ""]);
            assert!(found.is_empty(), "{written}: {found:?}");
        }
    }

    fn glossary_checks(parent: &str, text: &str, source: &str, translation: &str) -> Vec<Check> {
        let glossary = [GlossaryTerm {
            source: source.into(),
            translation: translation.into(),
        }];
        let checks = check(&CheckInput {
            parent,
            text,
            kind: TextKind::Translation,
            language: Locale::Kk,
            law_articles: &[],
            glossary: &glossary,
            locale: Locale::En,
        });
        checks.into_iter().filter(|c| c.code == "glossary").collect()
    }

    #[test]
    fn a_glossary_term_of_the_parent_needs_its_agreed_translation_in_any_inflection() {
        let parent = "## A {#a}\n\nЭлектронные доказательства собирают сразу.";
        let inflected = "## A {#a}\n\nЭлектрондық дәлелдемелерді бірден жинайды.";
        assert!(glossary_checks(
            parent,
            inflected,
            "электронные доказательства",
            "электрондық дәлелдемелер"
        )
        .is_empty());

        let other_word = "## A {#a}\n\nЦифрлық айғақтарды бірден жинайды.";
        let found = glossary_checks(
            parent,
            other_word,
            "электронные доказательства",
            "электрондық дәлелдемелер",
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].level, Level::Warning);
        assert!(
            found[0].message.contains("“электронные доказательства”"),
            "{}",
            found[0].message
        );
        assert!(found[0].message.contains("“электрондық дәлелдемелер”"));
    }

    #[test]
    fn glossary_alternatives_and_case_are_honoured_and_unused_terms_ignored() {
        let parent = "## A {#a}\n\nКИБЕРПРЕСТУПЛЕНИЕ совершено в Алматы.";
        let text = "## A {#a}\n\nКиберқылмыстар Алматыда жасалды.";
        assert!(glossary_checks(parent, text, "киберпреступность; киберпреступление", "киберқылмыс").is_empty());
        let found = glossary_checks(
            parent,
            "## A {#a}\n\nҚылмыс жасалды.",
            "киберпреступность; киберпреступление",
            "киберқылмыс",
        );
        assert_eq!(found.len(), 1);
        assert!(found[0].message.contains("“киберпреступление”"), "{}", found[0].message);

        // The parent does not use the term, and a word that only contains it, or only
        // begins like it, is not it.
        let unused = "## A {#a}\n\nАнтикиберпреступление не термин, и понятие тоже.";
        assert!(glossary_checks(unused, "## A {#a}\n\nМәтін.", "киберпреступление", "киберқылмыс").is_empty());
        assert!(glossary_checks(unused, "## A {#a}\n\nМәтін.", "понятой", "куәгер").is_empty());
    }

    #[test]
    fn a_form_in_brackets_of_a_glossary_term_counts_on_its_own() {
        let parent = "## A {#a}\n\nНужна санкция прокурора.";
        for text in ["Прокурор иҷозат дод.", "Санксияи прокурор лозим аст."] {
            let text = format!("## A {{#a}}\n\n{text}");
            assert!(
                glossary_checks(parent, &text, "санкция", "иҷозат (санксия)").is_empty(),
                "{text}"
            );
        }
        // In the parent, the words in brackets alone are not the term.
        let evidence = "## A {#a}\n\nСбор доказательств.";
        assert!(glossary_checks(
            evidence,
            "## A {#a}\n\nDalillar.",
            "допустимость (доказательств)",
            "maqbullik"
        )
        .is_empty());
        let admissible = "## A {#a}\n\nДопустимость доказательств под вопросом.";
        assert_eq!(
            glossary_checks(
                admissible,
                "## A {#a}\n\nDalillar.",
                "допустимость (доказательств)",
                "maqbullik"
            )
            .len(),
            1
        );

        let found = glossary_checks(parent, "## A {#a}\n\nПрокурор розӣ шуд.", "санкция", "иҷозат (санксия)");
        assert_eq!(found.len(), 1);
        assert!(found[0].message.contains("“иҷозат (санксия)”"), "{}", found[0].message);
    }

    #[test]
    fn numbers_missing_or_added_are_named_whatever_the_separators() {
        let parent = "## A {#a}\n\nIn 2023, 1,250 cases; losses of 3.5 million; 12 and 12 again.";
        let same = "## A {#a}\n\nВ 2023 году 1 250 дел; ущерб 3,5 млн; 12 и снова 12.";
        assert!(with_code(&translate(parent, same, Locale::Ru), "numbers").is_empty());

        let changed = "## A {#a}\n\nВ 2024 году 1 250 дел; ущерб 3,5 млн; 12.";
        let checks = translate(parent, changed, Locale::Ru);
        let found = with_code(&checks, "numbers");
        assert_eq!(found.len(), 2, "{checks:?}");
        assert!(found.iter().all(|c| c.level == Level::Warning));
        assert!(found[0].message.ends_with(": 2023, 12"), "{}", found[0].message);
        assert!(found[1].message.ends_with(": 2024"), "{}", found[1].message);
    }

    #[test]
    fn numbers_in_code_addresses_law_references_and_ids_do_not_count() {
        let parent = "## Step 1 {#step-1}\n\nRun `sha256sum` on 2 files, see https://example.kz/a/15 and {{law:csam}}.\n\n```\necho 42\n```";
        let text = "## Қадам 1 {#step-1}\n\n2 файлға `sha512sum` іске қосыңыз, https://example.kz/a/15 және {{law:csam}} қараңыз.\n\n```\necho 7\n```";
        assert!(with_code(&translate(parent, text, Locale::Kk), "numbers").is_empty());
    }

    #[test]
    fn an_adaptation_may_change_numbers() {
        let checks = run(
            "## A {#a}\n\nUp to 5 years.",
            "## A {#a}\n\nUp to 7 years.",
            TextKind::Adaptation,
            Locale::En,
        );
        assert!(with_code(&checks, "numbers").is_empty());
    }

    #[test]
    fn uzbek_and_turkmen_texts_may_have_no_cyrillic_letter() {
        let checks = run(
            "",
            "## Kirish {#a}\n\nOʻzbekiston qonunchiligi va модда.",
            TextKind::Base,
            Locale::Uz,
        );
        let found = with_code(&checks, "wrong_script");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].level, Level::Error);
        assert!(found[0].message.ends_with(": модда"), "{}", found[0].message);

        let mixed = run(
            "",
            "## Giriş {#a}\n\nKompýuter mаglumatlary.",
            TextKind::Base,
            Locale::Tk,
        );
        assert!(with_code(&mixed, "wrong_script")[0]
            .message
            .ends_with(": m[а]glumatlary"));

        let clean = "## Kirish {#a}\n\nOʻzbekiston, gʻaraz va taʼsir: `модда`, https://lex.uz/докс, {{law:csam}}.";
        assert!(with_code(&run("", clean, TextKind::Base, Locale::Uz), "wrong_script").is_empty());
    }

    #[test]
    fn cyrillic_languages_may_name_things_in_latin_but_not_mix_letters_in_a_word() {
        // The "о" of "дoступ" and the "і" of "Бiлім" below are Latin.
        let checks = run(
            "",
            "## Кіріспе {#a}\n\nIP мекенжайы, Bitcoin, SHA-256 және дoступ, Бiлім.",
            TextKind::Base,
            Locale::Kk,
        );
        let found = with_code(&checks, "wrong_script");
        assert_eq!(found.len(), 1, "{checks:?}");
        assert!(
            found[0].message.ends_with(": д[o]ступ, Б[i]лім"),
            "{}",
            found[0].message
        );

        let clean = run(
            "",
            "## Введение {#a}\n\nIP-адрес, Bitcoin и SHA-256.",
            TextKind::Base,
            Locale::Ru,
        );
        assert!(with_code(&clean, "wrong_script").is_empty());
    }

    #[test]
    fn a_latin_name_may_take_a_cyrillic_ending_but_look_alike_letters_may_not() {
        let names = "## Киришүү {#a}\n\nCERTтен жана Telegramдагы USDTге SMSтен.";
        assert!(with_code(&run("", names, TextKind::Base, Locale::Ky), "wrong_script").is_empty());

        // "Ce" and "o" below are Latin.
        let checks = run(
            "",
            "## Киришүү {#a}\n\nCeрвер жана oперация.",
            TextKind::Base,
            Locale::Ky,
        );
        let found = with_code(&checks, "wrong_script");
        assert_eq!(found.len(), 1, "{checks:?}");
        assert!(
            found[0].message.ends_with(": [C][e]рвер, [o]перация"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn english_may_have_no_cyrillic_letter_and_at_most_five_words_are_quoted() {
        let checks = run(
            "",
            "## Intro {#a}\n\nоdin dva tri chetyre pyat shest: один два три четыре пять шесть.",
            TextKind::Base,
            Locale::En,
        );
        let found = with_code(&checks, "wrong_script");
        assert_eq!(found.len(), 1);
        assert!(
            found[0].message.ends_with(": [о]din, один, два, три, четыре, …"),
            "{}",
            found[0].message
        );
        assert!(with_code(
            &run("", "## Intro {#a}\n\nPlain English.", TextKind::Base, Locale::En),
            "wrong_script"
        )
        .is_empty());
    }

    #[test]
    fn messages_are_in_the_language_of_whoever_reads_them() {
        let checks = check(&CheckInput {
            parent: PARENT,
            text: "## Тақырып {#unauthorised-access}\n",
            kind: TextKind::Translation,
            language: Locale::Kk,
            law_articles: &[],
            glossary: &[],
            locale: Locale::Ru,
        });
        let empty = with_code(&checks, "empty");
        assert_eq!(empty[0].message, "В разделе нет текста после заголовка.");
    }

    #[test]
    fn numbers_read_the_same_with_any_grouping_or_decimal_mark() {
        let canonical = |prose: &str| numbers_of(prose).into_iter().map(|(c, _)| c).collect::<Vec<_>>();
        assert_eq!(
            canonical("1,000 1.000 1 000 1\u{a0}000"),
            ["1000", "1000", "1000", "1000"]
        );
        assert_eq!(canonical("3.5 3,5 0,25"), ["3.5", "3.5", "0.25"]);
        assert_eq!(canonical("2023 150, 1, 2"), ["2023", "150", "1", "2"]);
    }
}
