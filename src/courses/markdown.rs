//! Module Markdown to safe HTML, once per module text at import time.
//!
//! One function builds the parser with Bilim's options, so every caller renders alike.
//! Law references, admonitions, heading ids and links are handled on pulldown-cmark's
//! event stream, never by regular expressions over HTML; the HTML is then cleaned by an
//! allow-list (ammonia). Law references depend on the reader's country and language,
//! so they are left in the cached HTML as markers (private-use characters that authors
//! cannot type into the source) and filled in per request by `courses::law`.

use std::collections::BTreeSet;
use std::ops::Range;
use std::sync::OnceLock;

use pulldown_cmark::{BlockQuoteKind, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd, TextMergeWithOffset};

use crate::i18n::{self, Locale};

pub const LAW_MARKER_START: char = '\u{E000}';
pub const LAW_MARKER_END: char = '\u{E001}';

/// The Markdown extensions Bilim enables, one by one. The authoring checks parse with
/// them too, so they see the same headings, lists and links as the reader.
pub(crate) fn options() -> Options {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_FOOTNOTES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    options.insert(Options::ENABLE_HEADING_ATTRIBUTES);
    options.insert(Options::ENABLE_GFM);
    options
}

/// Where a link or image in the source points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkTarget {
    /// `http:`, `https:`, `mailto:` or a path on this site (`/courses`).
    External(String),
    /// `#section` in the same module.
    Anchor(String),
    /// `../02-module/` (and an optional `#anchor`): another module of the course.
    Module { folder: String, anchor: Option<String> },
    /// `file.png`: an attachment in the module's folder.
    File(String),
    /// Anything else (`javascript:`, `data:`, `../../elsewhere`): refused.
    Invalid(String),
}

#[derive(Debug, Clone)]
pub struct SourceLink {
    /// Byte range in the Markdown that was rendered.
    pub range: Range<usize>,
    pub target: LinkTarget,
    pub is_image: bool,
}

#[derive(Debug, Clone)]
pub struct LawReference {
    pub range: Range<usize>,
    pub concept: String,
}

/// What the rendering found, for the validator and the importer.
#[derive(Debug, Clone, Default)]
pub struct Rendered {
    pub html: String,
    pub heading_ids: Vec<String>,
    pub links: Vec<SourceLink>,
    pub law_references: Vec<LawReference>,
}

impl Rendered {
    pub fn law_concepts(&self) -> BTreeSet<String> {
        self.law_references.iter().map(|r| r.concept.clone()).collect()
    }
}

/// How links to other modules and attachments are written in the HTML.
pub struct LinkContext<'a> {
    pub course_id: &'a str,
    pub module_id: &'a str,
    /// Module folder name → module id, for `../02-module/` links.
    pub module_folders: &'a [(String, String)],
}

pub fn classify_link(url: &str) -> LinkTarget {
    let url = url.trim();
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("mailto:") {
        return LinkTarget::External(url.to_owned());
    }
    if let Some(anchor) = url.strip_prefix('#') {
        return LinkTarget::Anchor(anchor.to_owned());
    }
    if url.starts_with('/') && !url.starts_with("//") {
        return LinkTarget::External(url.to_owned());
    }
    if let Some(rest) = url.strip_prefix("../") {
        let (path, anchor) = match rest.split_once('#') {
            Some((path, anchor)) => (path, Some(anchor.to_owned())),
            None => (rest, None),
        };
        let folder = path.trim_end_matches('/');
        if !folder.is_empty() && !folder.contains('/') && folder != ".." {
            return LinkTarget::Module {
                folder: folder.to_owned(),
                anchor,
            };
        }
        return LinkTarget::Invalid(url.to_owned());
    }
    let is_plain_file_name =
        !url.is_empty() && !url.contains(['/', '\\', ':', '?', '#']) && !url.starts_with('.') && url.contains('.');
    if is_plain_file_name {
        return LinkTarget::File(url.to_owned());
    }
    LinkTarget::Invalid(url.to_owned())
}

fn rewritten_url(target: &LinkTarget, links: &LinkContext<'_>) -> String {
    match target {
        LinkTarget::External(url) => url.clone(),
        LinkTarget::Anchor(anchor) => format!("#{anchor}"),
        LinkTarget::Module { folder, anchor } => {
            let module = links
                .module_folders
                .iter()
                .find(|(f, _)| f == folder)
                .map(|(_, id)| id.as_str())
                .unwrap_or(folder);
            let anchor = anchor.as_ref().map(|a| format!("#{a}")).unwrap_or_default();
            format!("/courses/{}/{module}{anchor}", links.course_id)
        }
        LinkTarget::File(name) => format!("/courses/{}/{}/files/{name}", links.course_id, links.module_id),
        // Left as written; the sanitiser removes unsafe schemes.
        LinkTarget::Invalid(url) => url.clone(),
    }
}

/// Finds `{{law:concept}}` in text and replaces each with a marker.
fn replace_law_references(text: &str, range: &Range<usize>, found: &mut Vec<LawReference>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{law:") {
        let after = rest.get(start + 6..).unwrap_or_default();
        let Some(end) = after.find("}}") else { break };
        let concept = after.get(..end).unwrap_or_default().trim();
        out.push_str(rest.get(..start).unwrap_or_default());
        out.push(LAW_MARKER_START);
        out.push_str(concept);
        out.push(LAW_MARKER_END);
        found.push(LawReference {
            range: range.clone(),
            concept: concept.to_owned(),
        });
        rest = after.get(end + 2..).unwrap_or_default();
    }
    out.push_str(rest);
    out
}

fn admonition_open(kind: &str, language: Locale) -> String {
    let title = i18n::t(language, &format!("admonitions.{kind}"));
    format!(
        "<aside class=\"admonition admonition--{kind}\"><p class=\"admonition__title\">{}</p>\n",
        crate::web::render::escape_html(&title)
    )
}

fn kind_of(kind: BlockQuoteKind) -> &'static str {
    match kind {
        BlockQuoteKind::Warning | BlockQuoteKind::Caution => "warning",
        _ => "note",
    }
}

/// The plain text of a heading, from its events.
fn heading_text(events: &[(Event<'_>, Range<usize>)], start: usize) -> String {
    let mut text = String::new();
    for (event, _) in events.iter().skip(start + 1) {
        match event {
            Event::End(TagEnd::Heading(_)) => break,
            Event::Text(t) | Event::Code(t) => text.push_str(t),
            _ => {}
        }
    }
    text
}

fn unique_id(wanted: String, taken: &mut Vec<String>) -> String {
    let mut id = wanted.clone();
    let mut n = 2;
    while taken.contains(&id) {
        id = format!("{wanted}-{n}");
        n += 1;
    }
    taken.push(id.clone());
    id
}

/// Records where a link or image points and returns the address to write in HTML.
fn rewrite_link(
    dest_url: &str,
    range: &Range<usize>,
    is_image: bool,
    links: &LinkContext<'_>,
    rendered: &mut Rendered,
) -> CowStr<'static> {
    let target = classify_link(dest_url);
    let url = rewritten_url(&target, links);
    rendered.links.push(SourceLink {
        range: range.clone(),
        target,
        is_image,
    });
    CowStr::from(url)
}

/// Renders module Markdown. `section_ids` are the ids of the `##` sections in order,
/// as `sections::split` found them, so headings and sections agree on their ids.
pub fn render(markdown: &str, language: Locale, section_ids: &[String], links: &LinkContext<'_>) -> Rendered {
    let mut rendered = render_unsanitized(markdown, language, section_ids, links);
    rendered.html = sanitize(&rendered.html);
    rendered
}

/// [`render`] without cleaning the HTML by the allow-list: what the validator needs
/// (law references, links, heading ids) costs a fraction of the cleaning, so it cleans
/// the HTML only when it must look into it. Never shown to anyone as it is.
pub fn render_unsanitized(
    markdown: &str,
    language: Locale,
    section_ids: &[String],
    links: &LinkContext<'_>,
) -> Rendered {
    // Marker characters typed by an author would forge law references.
    let source: String = markdown
        .chars()
        .filter(|c| *c != LAW_MARKER_START && *c != LAW_MARKER_END)
        .collect();
    let parser = Parser::new_ext(&source, options()).into_offset_iter();
    let events: Vec<(Event<'_>, Range<usize>)> = TextMergeWithOffset::new(parser).collect();

    let mut rendered = Rendered::default();
    let mut output: Vec<Event<'_>> = Vec::with_capacity(events.len());
    let mut h2_seen = 0;
    let mut code_depth = 0;
    // Text inside an image is its alt attribute: a law reference there would put the
    // reference's HTML into an attribute when it is filled in, so it stays text.
    let mut image_depth = 0;
    // For each open blockquote: the admonition kind it became, if any.
    let mut quotes: Vec<Option<&'static str>> = Vec::new();
    let mut skip_until: usize = 0;

    for (index, (event, range)) in events.iter().enumerate() {
        if index < skip_until {
            continue;
        }
        match event {
            Event::Start(Tag::Heading {
                level,
                id,
                classes,
                attrs,
            }) => {
                let written = id.as_ref().map(|i| i.to_string());
                let from_sections = if *level == HeadingLevel::H2 {
                    h2_seen += 1;
                    section_ids.get(h2_seen - 1).cloned()
                } else {
                    None
                };
                let wanted = from_sections
                    .or(written)
                    .unwrap_or_else(|| super::sections::slugify(&heading_text(&events, index)));
                let id = unique_id(wanted, &mut rendered.heading_ids);
                output.push(Event::Start(Tag::Heading {
                    level: *level,
                    id: Some(CowStr::from(id)),
                    classes: classes.clone(),
                    attrs: attrs.clone(),
                }));
            }
            Event::Start(Tag::BlockQuote(Some(kind))) => {
                let kind = kind_of(*kind);
                quotes.push(Some(kind));
                output.push(Event::Html(CowStr::from(admonition_open(kind, language))));
            }
            Event::Start(Tag::BlockQuote(None)) => {
                let legal_prefix = matches!(events.get(index + 1), Some((Event::Start(Tag::Paragraph), _)))
                    && matches!(events.get(index + 2), Some((Event::Text(t), _)) if t.trim_start().starts_with("[!LEGAL]"));
                if legal_prefix {
                    quotes.push(Some("legal"));
                    output.push(Event::Html(CowStr::from(admonition_open("legal", language))));
                    output.push(Event::Start(Tag::Paragraph));
                    if let Some((Event::Text(t), text_range)) = events.get(index + 2) {
                        let remainder = t.trim_start().trim_start_matches("[!LEGAL]").trim_start().to_owned();
                        skip_until = index + 3;
                        if remainder.is_empty() {
                            if matches!(events.get(index + 3), Some((Event::SoftBreak | Event::HardBreak, _))) {
                                skip_until = index + 4;
                            }
                        } else {
                            let text = replace_law_references(&remainder, text_range, &mut rendered.law_references);
                            output.push(Event::Text(CowStr::from(text)));
                        }
                    }
                } else {
                    quotes.push(None);
                    output.push(event.clone());
                }
            }
            Event::End(TagEnd::BlockQuote(_)) => match quotes.pop().flatten() {
                Some(_) => output.push(Event::Html(CowStr::from("</aside>\n"))),
                None => output.push(event.clone()),
            },
            Event::Start(Tag::CodeBlock(_)) => {
                code_depth += 1;
                output.push(event.clone());
            }
            Event::End(TagEnd::CodeBlock) => {
                code_depth -= 1;
                output.push(event.clone());
            }
            Event::End(TagEnd::Image) => {
                image_depth -= 1;
                output.push(event.clone());
            }
            Event::Text(text) if code_depth == 0 && image_depth == 0 => {
                let replaced = replace_law_references(text, range, &mut rendered.law_references);
                output.push(Event::Text(CowStr::from(replaced)));
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let dest_url = rewrite_link(dest_url, range, false, links, &mut rendered);
                output.push(Event::Start(Tag::Link {
                    link_type: *link_type,
                    dest_url,
                    title: title.clone(),
                    id: id.clone(),
                }));
            }
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                image_depth += 1;
                let dest_url = rewrite_link(dest_url, range, true, links, &mut rendered);
                output.push(Event::Start(Tag::Image {
                    link_type: *link_type,
                    dest_url,
                    title: title.clone(),
                    id: id.clone(),
                }));
            }
            other => output.push(other.clone()),
        }
    }

    let mut html = String::with_capacity(source.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, output.into_iter());
    rendered.html = html;
    rendered
}

fn sanitizer() -> &'static ammonia::Builder<'static> {
    static BUILDER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    BUILDER.get_or_init(|| {
        let mut builder = ammonia::Builder::default();
        builder
            .add_tags(["aside", "section", "figure", "figcaption"])
            .add_tag_attributes("aside", ["class"])
            .add_tag_attributes("p", ["class"])
            .add_tag_attributes("div", ["class", "id"])
            .add_tag_attributes("sup", ["class", "id"])
            .add_tag_attributes("li", ["id"])
            .add_tag_attributes("section", ["class"])
            .add_tag_attributes("ol", ["start"])
            .url_schemes(["http", "https", "mailto"].into_iter().collect())
            .link_rel(Some("noopener noreferrer"));
        for heading in ["h1", "h2", "h3", "h4", "h5", "h6"] {
            builder.add_tag_attributes(heading, ["id"]);
        }
        builder
    })
}

/// Cleans author HTML by the allow-list: no script, style, frames, objects, forms,
/// event handlers, style attributes or `javascript:`/`data:` URLs survive.
pub fn sanitize(html: &str) -> String {
    sanitizer().clean(html).to_string()
}

/// The second-level headings of a rendered module, as (id, text), for its "on this
/// page" list. The HTML is this module's own output (`<h2 id="...">...</h2>`), so a
/// plain scan suffices; inline markup is dropped and the five entities the renderer
/// writes are decoded, so the template escapes the text once.
pub fn outline(html: &str) -> Vec<(String, String)> {
    let mut headings = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<h2 id=\"") {
        let after = rest.get(start + 8..).unwrap_or_default();
        let Some((id, tail)) = after.split_once('"') else { break };
        let Some(open_end) = tail.find('>') else { break };
        let body_and_rest = tail.get(open_end + 1..).unwrap_or_default();
        let Some((inner, remaining)) = body_and_rest.split_once("</h2>") else {
            break;
        };
        let text = plain_text(inner);
        if !text.is_empty() {
            headings.push((id.to_owned(), text));
        }
        rest = remaining;
    }
    headings
}

/// Rendered HTML as plain words, for lists that name a section or a question: tags
/// are dropped (each separates words, as in "</p><p>"), the entities the renderer
/// writes are read back, and runs of white space become one space.
pub fn plain_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                text.push(' ');
            }
            '>' if in_tag => in_tag = false,
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod outline_tests {
    use super::outline;

    #[test]
    fn headings_are_read_with_their_ids_and_plain_text() {
        let html = "<p>x</p><h2 id=\"a\">First <em>one</em></h2><h3 id=\"b\">no</h3><h2 id=\"c\">Q&amp;A</h2>";
        assert_eq!(
            outline(html),
            vec![
                ("a".to_owned(), "First one".to_owned()),
                ("c".to_owned(), "Q&A".to_owned())
            ]
        );
    }
}
