//! `{{law:concept}}` for one reader: the article of the reader's country in the
//! reader's language, or, for a reader without a country, a comparison of the five.
//! The cached module HTML carries markers; this fills them per request, which is a
//! string substitution, not Markdown rendering.

use std::collections::BTreeMap;

use serde::Serialize;

use super::format::COUNTRIES;
use super::markdown::{LAW_MARKER_END, LAW_MARKER_START};
use super::store::{parse_json, LawRow, PerLanguage};
use crate::i18n::{self, Locale};

fn in_language(table: &PerLanguage, locale: Locale) -> Option<(Locale, String)> {
    i18n::pick_text_in(table, locale)
}

/// Escaped text, inside `<span lang="…">` when it is not in the reader's language, so
/// screen readers and hyphenation follow the language it is written in.
fn marked(text: &str, language: Locale, reader: Locale) -> String {
    let escaped = crate::web::render::escape_html(text);
    if language == reader {
        escaped
    } else {
        format!("<span lang=\"{}\">{escaped}</span>", language.code())
    }
}

/// Stand-ins for the code and the title while the sentence around them is escaped.
const CODE_SLOT: &str = "\u{E010}";
const TITLE_SLOT: &str = "\u{E011}";

/// "Article 205", "205-бап", "205-nji madda". Turkmen ordinals follow vowel harmony
/// with the number's last word, which a fixed pattern cannot express: "206-njy madda".
pub fn article_label(locale: Locale, number: &str) -> String {
    let label = i18n::t_with(locale, "law.article", &[("number", number)]);
    if locale == Locale::Tk && turkmen_number_takes_back_vowel(number) {
        label.replacen("-nji", "-njy", 1)
    } else {
        label
    }
}

/// Whether the last number in `text` is read with a back vowel in Turkmen: its last
/// word is alty (6), dokuz (9), on (10), otuz (30), kyrk (40), altmyş (60) or togsan (90).
fn turkmen_number_takes_back_vowel(text: &str) -> bool {
    let digits: Vec<u32> = text
        .rsplit(|c: char| !c.is_ascii_digit())
        .find(|part| !part.is_empty())
        .map(|part| part.chars().filter_map(|c| c.to_digit(10)).collect())
        .unwrap_or_default();
    let mut from_end = digits.iter().rev();
    match (from_end.next(), from_end.next()) {
        (Some(units), _) if *units != 0 => matches!(units, 6 | 9),
        (Some(_), Some(tens)) if *tens != 0 => matches!(tens, 1 | 3 | 4 | 6 | 9),
        _ => false,
    }
}

/// The concepts referred to in marked HTML, in order of first use.
pub fn concepts_in(html: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find(LAW_MARKER_START) {
        let after = rest.get(start + LAW_MARKER_START.len_utf8()..).unwrap_or_default();
        let Some(end) = after.find(LAW_MARKER_END) else { break };
        let concept = after.get(..end).unwrap_or_default().to_owned();
        if !found.contains(&concept) {
            found.push(concept);
        }
        rest = after.get(end + LAW_MARKER_END.len_utf8()..).unwrap_or_default();
    }
    found
}

/// One country's provision as shown to a reader.
#[derive(Debug, Clone, Serialize)]
pub struct Provision {
    pub country: String,
    pub country_name: String,
    /// "Criminal Code of the Republic of Kazakhstan, Article 205: …", in the reader's language.
    pub text: String,
    /// The same as safe HTML, with `lang` on the code and title where they fell back to
    /// another language.
    pub html: String,
    pub source: String,
    pub verified: bool,
    pub note: Option<String>,
    /// The note's language when it is not the reader's.
    pub note_lang: Option<&'static str>,
}

/// A concept with its provision in each of the five countries (absent where no
/// entry is recorded), for the comparison tables.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub concept: String,
    pub anchor: String,
    pub rows: Vec<Option<Provision>>,
    pub country_names: Vec<String>,
}

pub struct LawBook {
    /// (country, concept) → entry.
    entries: BTreeMap<(String, String), LawRow>,
}

impl LawBook {
    pub fn new(rows: Vec<LawRow>) -> Self {
        LawBook {
            entries: rows
                .into_iter()
                .map(|r| ((r.country.clone(), r.concept.clone()), r))
                .collect(),
        }
    }

    pub fn provision(&self, country: &str, concept: &str, locale: Locale) -> Option<Provision> {
        let row = self.entries.get(&(country.to_owned(), concept.to_owned()))?;
        let (code_language, code) = in_language(&parse_json(&row.codes), locale).unwrap_or((locale, String::new()));
        let (title_language, title) = in_language(&parse_json(&row.titles), locale).unwrap_or((locale, String::new()));
        let note = in_language(&parse_json(&row.notes), locale);
        let article = row.article.trim();
        let sentence = |code: &str, title: &str| {
            if article.is_empty() {
                i18n::t_with(
                    locale,
                    "law.reference_without_article",
                    &[("code", code), ("title", title)],
                )
            } else {
                // Through `article_label`, so Turkmen ordinals follow vowel harmony here too.
                let article = article_label(locale, article);
                i18n::t_with(
                    locale,
                    "law.reference",
                    &[("code", code), ("article", &article), ("title", title)],
                )
            }
        };
        let text = sentence(&code, &title);
        let html = crate::web::render::escape_html(&sentence(CODE_SLOT, TITLE_SLOT))
            .replacen(CODE_SLOT, &marked(&code, code_language, locale), 1)
            .replacen(TITLE_SLOT, &marked(&title, title_language, locale), 1);
        Some(Provision {
            country: country.to_owned(),
            country_name: i18n::t(locale, &format!("countries.{}", country.to_ascii_uppercase())),
            text,
            html,
            source: row.source.clone(),
            verified: row.verified,
            note_lang: note
                .as_ref()
                .map(|(l, _)| *l)
                .filter(|l| *l != locale)
                .map(Locale::code),
            note: note.map(|(_, n)| n),
        })
    }

    fn unverified_mark(locale: Locale) -> String {
        format!(
            " <span class=\"law-ref__unverified\">({})</span>",
            crate::web::render::escape_html(&i18n::t(locale, "law.unverified"))
        )
    }

    fn inline_for_country(&self, country: &str, concept: &str, locale: Locale) -> String {
        match self.provision(country, concept, locale) {
            Some(provision) => {
                let mark = if provision.verified {
                    String::new()
                } else {
                    Self::unverified_mark(locale)
                };
                format!(
                    "<a class=\"law-ref\" href=\"{}\" rel=\"noopener noreferrer\">{}</a>{mark}",
                    crate::web::render::escape_html(&provision.source),
                    provision.html
                )
            }
            None => format!(
                "<span class=\"law-ref law-ref--missing\">{}</span>",
                crate::web::render::escape_html(&i18n::t(locale, "law.no_provision"))
            ),
        }
    }

    /// For a reader without a country: the five articles in brief, linking to the
    /// comparison table at the end of the module.
    fn inline_comparison(&self, concept: &str, locale: Locale) -> String {
        let parts: Vec<String> = COUNTRIES
            .iter()
            .map(|country| {
                let article = self
                    .entries
                    .get(&(country.to_string(), concept.to_owned()))
                    .map(|r| r.article.trim().to_owned())
                    .filter(|a| !a.is_empty())
                    .map(|a| article_label(locale, &a))
                    .unwrap_or_else(|| "—".into());
                format!("{} {}", country.to_ascii_uppercase(), article)
            })
            .collect();
        format!(
            "<a class=\"law-ref law-ref--compare\" href=\"#law-{}\">{}</a>",
            crate::web::render::escape_html(concept),
            crate::web::render::escape_html(&parts.join(" · "))
        )
    }

    /// The comparison of the five countries for each concept.
    pub fn comparisons(&self, concepts: &[String], locale: Locale) -> Vec<Comparison> {
        concepts
            .iter()
            .map(|concept| Comparison {
                concept: concept.clone(),
                anchor: format!("law-{concept}"),
                rows: COUNTRIES.iter().map(|c| self.provision(c, concept, locale)).collect(),
                country_names: COUNTRIES
                    .iter()
                    .map(|c| i18n::t(locale, &format!("countries.{}", c.to_ascii_uppercase())))
                    .collect(),
            })
            .collect()
    }

    /// The module HTML with every marker replaced for this reader. Only markers in text
    /// become links and tables; a marker inside a tag (an attribute the renderer did not
    /// expect one in) is dropped, so the inserted HTML can never end an attribute and
    /// open an element of its own.
    pub fn fill(&self, html: &str, country: Option<&str>, locale: Locale) -> String {
        let mut out = String::with_capacity(html.len() + 256);
        // Where we are in the sanitiser's serialisation: attribute values are always
        // double-quoted there, with `"` written as `&quot;`.
        let mut in_tag = false;
        let mut in_quotes = false;
        let mut chars = html.char_indices().peekable();
        while let Some((index, c)) = chars.next() {
            if c == LAW_MARKER_START {
                let after = html.get(index + c.len_utf8()..).unwrap_or_default();
                let Some(end) = after.find(LAW_MARKER_END) else {
                    out.push_str(after);
                    break;
                };
                let concept = after.get(..end).unwrap_or_default();
                if !in_tag {
                    match country {
                        Some(country) => out.push_str(&self.inline_for_country(country, concept, locale)),
                        None => out.push_str(&self.inline_comparison(concept, locale)),
                    }
                }
                let resume = index + c.len_utf8() + end + LAW_MARKER_END.len_utf8();
                while chars.peek().is_some_and(|(i, _)| *i < resume) {
                    chars.next();
                }
                continue;
            }
            match (in_tag, in_quotes, c) {
                (false, _, '<') => in_tag = true,
                (true, false, '>') => in_tag = false,
                (true, _, '"') => in_quotes = !in_quotes,
                _ => {}
            }
            out.push(c);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marker_inside_a_tag_is_dropped_and_one_in_text_is_filled() {
        let book = LawBook::new(Vec::new());
        let html = format!(
            "<p>See {LAW_MARKER_START}csam{LAW_MARKER_END}.</p><img alt=\"{LAW_MARKER_START}csam{LAW_MARKER_END}<script>\">"
        );
        let filled = book.fill(&html, Some("kz"), Locale::Ru);
        assert!(filled.contains("<img alt=\"<script>\">"), "{filled}");
        assert!(filled.starts_with("<p>See <"), "{filled}");
        assert!(!filled.contains(LAW_MARKER_START));
    }

    #[test]
    fn a_turkmen_provision_prints_its_article_with_the_ordinal_in_harmony() {
        let row = |concept: &str, article: &str| LawRow {
            country: "tm".into(),
            concept: concept.into(),
            article: article.into(),
            codes: r#"{"tk": "Türkmenistanyň Jenaýat kodeksi"}"#.into(),
            titles: r#"{"tk": "Maglumatlara bikanun girmek"}"#.into(),
            notes: "{}".into(),
            source: String::new(),
            verified: false,
        };
        let book = LawBook::new(vec![row("back", "206"), row("front", "205")]);
        let back = book.provision("tm", "back", Locale::Tk).unwrap();
        assert!(back.text.contains("206-njy madda"), "{}", back.text);
        let front = book.provision("tm", "front", Locale::Tk).unwrap();
        assert!(front.text.contains("205-nji madda"), "{}", front.text);
    }

    #[test]
    fn a_title_that_falls_back_to_russian_is_marked_with_its_language_and_stays_escaped() {
        let book = LawBook::new(vec![LawRow {
            country: "kz".into(),
            concept: "x".into(),
            article: "205".into(),
            codes: r#"{"kk": "ҚР Қылмыстық кодексі", "ru": "УК РК"}"#.into(),
            titles: r#"{"ru": "Неправомерный доступ <к> информации"}"#.into(),
            notes: r#"{"ru": "Номер уточняется"}"#.into(),
            source: String::new(),
            verified: false,
        }]);
        let provision = book.provision("kz", "x", Locale::Kk).unwrap();
        assert!(
            provision
                .html
                .contains("<span lang=\"ru\">Неправомерный доступ &lt;к&gt; информации</span>"),
            "{}",
            provision.html
        );
        assert!(
            provision.html.starts_with("ҚР Қылмыстық кодексі"),
            "the code is Kazakh: {}",
            provision.html
        );
        assert_eq!(provision.note_lang, Some("ru"));
        let russian = book.provision("kz", "x", Locale::Ru).unwrap();
        assert!(!russian.html.contains("<span"), "nothing to mark for a Russian reader");
        assert_eq!(russian.note_lang, None);
    }

    #[test]
    fn turkmen_ordinals_follow_the_last_word_of_the_number() {
        for (number, back) in [
            ("205", false),
            ("206", true),
            ("209", true),
            ("210", true),
            ("278-2", false),
            ("230", true),
            ("250", false),
            ("300", false),
            ("335-1", false),
            ("96", true),
        ] {
            assert_eq!(turkmen_number_takes_back_vowel(number), back, "{number}");
        }
    }
}
