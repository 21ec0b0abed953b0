//! The seven locale files: complete, holding every key the source names, consistent, in
//! the right script, with plurals and dates as each language writes them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::BTreeSet;

use bilim::i18n::{self, Locale};
use chrono::NaiveDate;

const CATEGORIES: [&str; 6] = ["zero", "one", "two", "few", "many", "other"];

/// Plural tables are the tables all of whose keys are plural categories
/// (`[admin.institutions_count]`: one, other), unlike `[categories]`, which merely
/// has a key named `other`.
fn plural_bases() -> BTreeSet<String> {
    let mut children: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for locale in Locale::ALL {
        for key in i18n::keys_of(locale) {
            if let Some((base, last)) = key.rsplit_once('.') {
                children.entry(base.to_owned()).or_default().push(last.to_owned());
            }
        }
    }
    children
        .into_iter()
        .filter(|(_, keys)| keys.iter().all(|k| CATEGORIES.contains(&k.as_str())))
        .map(|(base, _)| base)
        .collect()
}

/// A key without its plural category, and the category if it has one.
fn split_plural(key: &str) -> (&str, Option<&str>) {
    static BASES: std::sync::OnceLock<BTreeSet<String>> = std::sync::OnceLock::new();
    let bases = BASES.get_or_init(plural_bases);
    match key.rsplit_once('.') {
        Some((base, category)) if bases.contains(base) => (base, Some(category)),
        _ => (key, None),
    }
}

fn placeholders(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = text;
    while let Some(start) = rest.find("%{") {
        let Some(end) = rest[start..].find('}') else { break };
        found.insert(rest[start + 2..start + end].to_owned());
        rest = &rest[start + end..];
    }
    found
}

/// The text with its `%{name}` placeholders removed.
fn without_placeholders(text: &str) -> String {
    text.split("%{")
        .map(|part| part.split_once('}').map(|(_, rest)| rest).unwrap_or(part))
        .collect()
}

fn plain_keys(locale: Locale) -> BTreeSet<String> {
    i18n::keys_of(locale)
        .iter()
        .map(|k| split_plural(k).0.to_owned())
        .collect()
}

#[test]
fn every_locale_has_exactly_the_keys_of_the_english_file() {
    let english = plain_keys(Locale::En);
    assert!(english.len() > 100, "the English file is loaded");
    for locale in Locale::ALL {
        let keys = plain_keys(locale);
        let missing: Vec<_> = english.difference(&keys).collect();
        let extra: Vec<_> = keys.difference(&english).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{}: missing {missing:?}, extra {extra:?}",
            locale.code()
        );
    }
}

#[test]
fn plural_keys_carry_exactly_the_categories_of_their_language() {
    for locale in Locale::ALL {
        let keys = i18n::keys_of(locale);
        let bases: BTreeSet<&str> = keys
            .iter()
            .filter_map(|k| match split_plural(k) {
                (base, Some(_)) => Some(base),
                _ => None,
            })
            .collect();
        for base in bases {
            let categories: BTreeSet<&str> = keys
                .iter()
                .filter_map(|k| match split_plural(k) {
                    (b, Some(c)) if b == base => Some(c),
                    _ => None,
                })
                .collect();
            let expected: BTreeSet<&str> = locale.plural_categories().iter().copied().collect();
            assert_eq!(categories, expected, "{} {base}", locale.code());
        }
    }
}

#[test]
fn placeholders_are_the_same_in_every_language() {
    for key in i18n::keys_of(Locale::En) {
        let (base, _) = split_plural(&key);
        let english = placeholders(&i18n::raw(Locale::En, &key).unwrap());
        for locale in Locale::ALL {
            let keys = i18n::keys_of(locale);
            for own_key in keys.iter().filter(|k| split_plural(k).0 == base) {
                let text = i18n::raw(locale, own_key).unwrap();
                let mut own = placeholders(&text);
                let mut expected = english.clone();
                // `count` may be left out where a language's form for one item spells it out.
                own.remove("count");
                expected.remove("count");
                assert_eq!(own, expected, "{} {own_key}: {text}", locale.code());
            }
        }
    }
}

#[test]
fn no_english_is_left_in_the_other_locales() {
    let allowed_same = ["date.long"];
    // International words that are spelt the same in Turkmen or Uzbek.
    let same_word = ["Administrator", "Koordinator", "Test"];
    for locale in Locale::ALL.into_iter().filter(|l| *l != Locale::En) {
        for key in i18n::keys_of(Locale::En) {
            if allowed_same.contains(&key.as_str()) || split_plural(&key).1.is_some() {
                continue;
            }
            let english = i18n::raw(Locale::En, &key).unwrap();
            let Some(own) = i18n::raw(locale, &key) else { continue };
            let has_words = without_placeholders(&english)
                .chars()
                .filter(|c| c.is_alphabetic())
                .count()
                > 3;
            let legitimately_same = same_word.contains(&own.as_str());
            assert!(
                !(has_words && own == english) || legitimately_same,
                "{} {key} is still English: {own}",
                locale.code()
            );
        }
    }
}

#[test]
fn cyrillic_languages_are_written_in_cyrillic_and_latin_ones_in_latin() {
    for locale in [Locale::Ru, Locale::Kk, Locale::Ky, Locale::Tg, Locale::Tk, Locale::Uz] {
        let cyrillic = matches!(locale, Locale::Ru | Locale::Kk | Locale::Ky | Locale::Tg);
        for key in i18n::keys_of(locale) {
            let text = i18n::raw(locale, &key).unwrap();
            let without_placeholders: String = text
                .split("%{")
                .map(|part| part.split_once('}').map(|(_, rest)| rest).unwrap_or(part))
                .collect();
            // File formats, encodings, time zones, the product, the authenticator apps
            // an officer installs, the API's field names and the course format's legal
            // reference syntax keep their own names.
            let mut text_only = without_placeholders.replace("name@example.kz", "");
            for token in [
                "Windows-1251",
                "UTF-8",
                "CSV",
                "XLSX",
                "Excel",
                "PDF",
                "UTC",
                "JSON",
                "JWKS",
                "JWT",
                "QR",
                "Bilim",
                "FreeOTP",
                "Google Authenticator",
                "Microsoft Authenticator",
                "\"code\"",
                "Markdown",
                "{{law:",
            ] {
                text_only = text_only.replace(token, "");
            }
            let letters: Vec<char> = text_only.chars().filter(|c| c.is_alphabetic()).collect();
            let wrong = letters
                .iter()
                .filter(|c| {
                    if cyrillic {
                        c.is_ascii_alphabetic()
                    } else {
                        ('\u{400}'..='\u{4ff}').contains(*c)
                    }
                })
                .count();
            assert_eq!(wrong, 0, "{} {key} mixes scripts: {text}", locale.code());
        }
    }
}

#[test]
fn uzbek_writes_o_and_g_with_the_turned_comma() {
    for key in i18n::keys_of(Locale::Uz) {
        let text = i18n::raw(Locale::Uz, &key).unwrap();
        for bad in ["o'", "g'", "o‘", "g‘", "o’", "g’", "O'", "G'", "o`", "g`"] {
            assert!(
                !text.contains(bad),
                "uz {key} writes {bad:?} instead of ʻ (U+02BB): {text}"
            );
        }
    }
    assert!(i18n::t(Locale::Uz, "countries.UZ").contains('ʻ'), "Oʻzbekiston");
}

#[test]
fn russian_counts_use_one_few_and_many() {
    let text = |n| i18n::t_count(Locale::Ru, "admin.institutions_count", n, &[]);
    assert_eq!(text(1), "1 учреждение");
    assert_eq!(text(3), "3 учреждения");
    assert_eq!(text(5), "5 учреждений");
    assert_eq!(text(11), "11 учреждений");
    assert_eq!(text(21), "21 учреждение");
    assert_eq!(text(1_000), "1\u{a0}000 учреждений");
    assert_eq!(
        i18n::t_count(Locale::En, "admin.institutions_count", 1, &[]),
        "1 institution"
    );
    assert_eq!(
        i18n::t_count(Locale::En, "admin.institutions_count", 2, &[]),
        "2 institutions"
    );
    assert_eq!(i18n::plural_category(Locale::Tg, 1), "other");
    assert_eq!(i18n::plural_category(Locale::Kk, 1), "one");
}

#[test]
fn dates_are_written_as_each_language_writes_them() {
    let date = NaiveDate::from_ymd_opt(2026, 3, 5).unwrap();
    assert_eq!(i18n::format_date(Locale::Ru, date), "5 марта 2026 г.");
    assert_eq!(i18n::format_date(Locale::En, date), "5 March 2026");
    assert_eq!(i18n::format_date(Locale::Kk, date), "2026 ж. 5 наурыз");
    assert_eq!(i18n::format_date_short(date), "05.03.2026");
    for locale in Locale::ALL {
        let text = i18n::format_date(locale, date);
        assert!(
            text.contains("2026") && text.contains('5') && !text.contains("%{"),
            "{}: {text}",
            locale.code()
        );
    }
}

#[test]
fn accept_language_picks_the_best_supported_language() {
    assert_eq!(i18n::from_accept_language("kk-KZ,kk;q=0.9,ru;q=0.8"), Some(Locale::Kk));
    assert_eq!(i18n::from_accept_language("fr, uz;q=0.5, ru;q=0.7"), Some(Locale::Ru));
    assert_eq!(i18n::from_accept_language("de, fr"), None);
    assert_eq!(i18n::from_accept_language("ru;q=0, en"), Some(Locale::En));
    assert_eq!(i18n::from_accept_language(";;;,,q=abc"), None);
}

#[test]
fn a_missing_text_falls_back_through_russian_to_english() {
    assert_eq!(Locale::Kk.fallback_chain(), &[Locale::Kk, Locale::Ru, Locale::En]);
    assert_eq!(Locale::Ru.fallback_chain(), &[Locale::Ru, Locale::En]);
    assert_eq!(Locale::En.fallback_chain(), &[Locale::En, Locale::Ru]);
    assert_eq!(i18n::t(Locale::Kk, "no.such.key"), "no.such.key");
}

/// A piece of source code as the key scan sees it: names, punctuation and string
/// literals, without whitespace and comments.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    Name(String),
    Punct(char),
    Text(String),
}

/// Splits Rust source into tokens, each with its line. Enough of Rust's lexical rules
/// to keep strings, raw strings, char literals, lifetimes and comments apart.
fn rust_tokens(source: &str) -> Vec<(Token, usize)> {
    let chars: Vec<char> = source.chars().collect();
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    let mut tokens = Vec::new();
    let (mut i, mut line) = (0, 1);
    while i < chars.len() {
        let c = chars[i];
        let start_line = line;
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '/' && at(i + 1) == '/' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    line += usize::from(chars[i] == '\n');
                    i += 1;
                }
            }
        } else if (c == 'r' && matches!(at(i + 1), '"' | '#'))
            || (c == 'b' && at(i + 1) == 'r' && matches!(at(i + 2), '"' | '#'))
        {
            // A raw string: r"…", r#"…"#, br"…".
            let mut j = if c == 'b' { i + 2 } else { i + 1 };
            let mut hashes = 0;
            while at(j) == '#' {
                hashes += 1;
                j += 1;
            }
            if at(j) != '"' {
                // `r#name`, a raw identifier.
                tokens.push((Token::Name(c.to_string()), line));
                i += 1;
                continue;
            }
            j += 1;
            let content_start = j;
            loop {
                if j >= chars.len() {
                    break;
                }
                if chars[j] == '"' && (0..hashes).all(|h| at(j + 1 + h) == '#') {
                    break;
                }
                line += usize::from(chars[j] == '\n');
                j += 1;
            }
            tokens.push((
                Token::Text(chars[content_start..j.min(chars.len())].iter().collect()),
                start_line,
            ));
            i = j + 1 + hashes;
        } else if c == '"' || (c == 'b' && at(i + 1) == '"') {
            let mut j = if c == 'b' { i + 2 } else { i + 1 };
            let mut text = String::new();
            while j < chars.len() && chars[j] != '"' {
                if chars[j] == '\\' {
                    text.push(chars[j]);
                    j += 1;
                }
                line += usize::from(at(j) == '\n');
                text.push(at(j));
                j += 1;
            }
            tokens.push((Token::Text(text), start_line));
            i = j + 1;
        } else if c == '\'' || (c == 'b' && at(i + 1) == '\'') {
            let j = if c == 'b' { i + 1 } else { i };
            if at(j + 1) == '\\' {
                // An escaped char literal: '\'', '\n', '\u{2019}'.
                let mut k = j + 3;
                while k < chars.len() && chars[k] != '\'' {
                    k += 1;
                }
                i = k + 1;
            } else if at(j + 2) == '\'' {
                i = j + 3;
            } else {
                // A lifetime or label.
                tokens.push((Token::Punct('\''), line));
                i = j + 1;
            }
        } else if c.is_alphanumeric() || c == '_' {
            let mut j = i;
            while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_') {
                j += 1;
            }
            tokens.push((Token::Name(chars[i..j].iter().collect()), line));
            i = j;
        } else {
            tokens.push((Token::Punct(c), line));
            i += 1;
        }
    }
    tokens
}

/// The tokens inside the tags (`{{ … }}`, `{% … %}`) of a tera template; text and
/// comments between them are skipped.
fn template_tokens(source: &str) -> Vec<(Token, usize)> {
    let mut tokens = Vec::new();
    let mut rest = source;
    let mut line = 1;
    while let Some(start) = rest.find('{') {
        line += rest[..start].matches('\n').count();
        rest = &rest[start..];
        let end = if rest.starts_with("{{") {
            "}}"
        } else if rest.starts_with("{%") {
            "%}"
        } else if rest.starts_with("{#") {
            "#}"
        } else {
            rest = &rest[1..];
            continue;
        };
        let Some(length) = rest.find(end) else { break };
        let tag = &rest[2..length];
        if !rest.starts_with("{#") {
            // tera's strings are "…", '…' or `…`, without escapes; quote them as Rust
            // does so that one tokenizer reads both.
            let mut quoted = String::new();
            let mut delimiter = None;
            for c in tag.chars() {
                match delimiter {
                    None if matches!(c, '"' | '\'' | '`') => {
                        delimiter = Some(c);
                        quoted.push('"');
                    }
                    Some(d) if c == d => {
                        delimiter = None;
                        quoted.push('"');
                    }
                    Some(_) if c == '"' || c == '\\' => {
                        quoted.push('\\');
                        quoted.push(c);
                    }
                    _ => quoted.push(c),
                }
            }
            tokens.extend(rust_tokens(&quoted).into_iter().map(|(t, l)| (t, l + line - 1)));
        }
        line += rest[..length].matches('\n').count();
        rest = &rest[length + end.len()..];
    }
    tokens
}

fn files_under(dir: &std::path::Path, extensions: &[&str]) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(files_under(&path, extensions));
        } else if path.extension().is_some_and(|e| extensions.iter().any(|x| e == *x)) {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// `errors.not_found`, `countries.KZ`: names joined by dots.
fn looks_like_key(text: &str) -> bool {
    let mut parts = text.split('.');
    let first = parts.next().unwrap_or_default();
    first.starts_with(|c: char| c.is_ascii_lowercase())
        && first
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && text.contains('.')
        && parts.all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
}

/// What a literal found in the source has to name in the English file.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Use {
    /// A whole key, or the base of a plural one (`runs.places_left` for `.one` …).
    Key,
    /// The start of keys completed at run time: `"reports.table_" ~ name`.
    Prefix,
    /// A group of keys: `label(locale, "phases", code)`.
    Group,
    /// A `format!` pattern: `"countries.{}"`, `"reports.{name}_chart_title"`.
    Pattern,
}

struct Found {
    text: String,
    usage: Use,
    place: String,
}

/// The name of the call whose argument list holds the token at `index`.
fn enclosing_call(tokens: &[(Token, usize)], index: usize) -> Option<&str> {
    let mut depth = 0;
    for i in (0..index).rev() {
        match &tokens[i].0 {
            Token::Punct(')' | ']' | '}') => depth += 1,
            Token::Punct('(' | '[' | '{') if depth > 0 => depth -= 1,
            Token::Punct('(') => {
                return match tokens.get(i.wrapping_sub(1)) {
                    Some((Token::Name(name), _)) => Some(name),
                    _ => None,
                };
            }
            Token::Punct('[' | '{' | ';') if depth == 0 => return None,
            _ => {}
        }
    }
    None
}

/// The name of the call of which the token at `index` starts the second argument.
fn second_argument_of(tokens: &[(Token, usize)], index: usize) -> Option<&str> {
    let comma = index.checked_sub(1)?;
    if tokens[comma].0 != Token::Punct(',') {
        return None;
    }
    let mut depth = 0;
    for i in (0..comma).rev() {
        match &tokens[i].0 {
            Token::Punct(')' | ']' | '}') => depth += 1,
            Token::Punct('(' | '[' | '{') if depth > 0 => depth -= 1,
            Token::Punct(',') if depth == 0 => return None,
            Token::Punct('(') => return enclosing_call(tokens, i + 1),
            Token::Punct('[' | '{' | ';') if depth == 0 => return None,
            _ => {}
        }
    }
    None
}

/// The literals among `tokens` that name message keys, how, and on which line.
///
/// A literal is taken for a key where it can only be one: the key argument of
/// `i18n::t`, `t_with`, `t_count` (also as a `format!` pattern) and `ctx.t`, the key
/// of `AppError::BadRequest` and `Conflict`, `t(key="…")` in a template; anywhere
/// else, a dotted literal whose first part is one of the locale files' `tables`
/// (`"errors.…"`, `"runs.…"`), which is how the keys that forms and services pass
/// around as `&'static str` are found. Template names (`"home.html"`) are not keys.
fn literal_keys(
    tokens: &[(Token, usize)],
    template: bool,
    tables: &BTreeSet<String>,
    is_template: &dyn Fn(&str) -> bool,
) -> Vec<(String, Use, usize)> {
    let in_a_table = |text: &str| text.contains('.') && text.split('.').next().is_some_and(|t| tables.contains(t));
    let mut found = Vec::new();
    for (index, (token, line)) in tokens.iter().enumerate() {
        let Token::Text(text) = token else { continue };
        let before = |n: usize| index.checked_sub(n).and_then(|i| tokens.get(i)).map(|(t, _)| t);
        let after = tokens.get(index + 1).map(|(t, _)| t);
        let name_before =
            |n: usize, names: &[&str]| matches!(before(n), Some(Token::Name(x)) if names.contains(&x.as_str()));
        let loose = looks_like_key(text) && in_a_table(text) && !is_template(text);
        let usage = if template {
            let key_argument = name_before(2, &["key"])
                && before(1) == Some(&Token::Punct('='))
                && enclosing_call(tokens, index) == Some("t");
            let concatenated = after == Some(&Token::Punct('~')) || before(1) == Some(&Token::Punct('~'));
            match (key_argument, concatenated) {
                (true, true) => Some(Use::Prefix),
                (true, false) => Some(Use::Key),
                (false, false) if loose => Some(Use::Key),
                _ => None,
            }
        } else {
            let opens = before(1) == Some(&Token::Punct('('));
            let format = opens && before(2) == Some(&Token::Punct('!')) && name_before(3, &["format"]);
            // The argument the literal starts: itself, or `format!(…)` or `&format!(…)`.
            let argument = match (format, before(4)) {
                (true, Some(Token::Punct('&'))) => index - 4,
                (true, _) => index - 3,
                (false, _) => index,
            };
            let key_argument = matches!(second_argument_of(tokens, argument), Some("t" | "t_with" | "t_count"));
            let pattern = format && text.contains('{');
            if pattern && (key_argument || in_a_table(text.split('{').next().unwrap_or_default())) {
                Some(Use::Pattern)
            } else if key_argument
                || (opens && name_before(2, &["BadRequest", "Conflict"]))
                || (opens && name_before(2, &["t"]) && before(3) == Some(&Token::Punct('.')))
            {
                Some(Use::Key)
            } else if second_argument_of(tokens, index) == Some("label") {
                Some(Use::Group)
            } else if loose {
                Some(Use::Key)
            } else {
                None
            }
        };
        if let Some(usage) = usage {
            found.push((text.clone(), usage, *line));
        }
    }
    found
}

/// The tables of the English file: `errors`, `runs` …
fn tables() -> BTreeSet<String> {
    i18n::keys_of(Locale::En)
        .iter()
        .filter_map(|k| k.split('.').next().map(str::to_owned))
        .collect()
}

/// Every literal in `src/` and `templates/` that names message keys, and where.
fn keys_named_in_the_source() -> Vec<Found> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let tables = tables();
    let is_template = |text: &str| root.join("templates").join(text).is_file();
    let sources = files_under(&root.join("src"), &["rs"])
        .into_iter()
        .map(|p| (rust_tokens(&std::fs::read_to_string(&p).unwrap()), p, false))
        .chain(
            files_under(&root.join("templates"), &["html", "txt"])
                .into_iter()
                .map(|p| (template_tokens(&std::fs::read_to_string(&p).unwrap()), p, true)),
        );
    let mut found = Vec::new();
    for (tokens, path, template) in sources {
        let relative = path.strip_prefix(root).unwrap().display().to_string();
        for (text, usage, line) in literal_keys(&tokens, template, &tables, &is_template) {
            found.push(Found {
                text,
                usage,
                place: format!("{relative}:{line}"),
            });
        }
    }
    found
}

/// Whether `pattern`, a `format!` string, can give a key: each `{…}` stands for a
/// name without dots.
fn pattern_matches(pattern: &str, key: &str) -> bool {
    let mut pieces = Vec::new();
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        pieces.push(&rest[..open]);
        rest = rest[open..].split_once('}').map(|(_, after)| after).unwrap_or("");
    }
    pieces.push(rest);
    let Some(mut remaining) = key.strip_prefix(pieces[0]) else {
        return false;
    };
    for (n, piece) in pieces.iter().enumerate().skip(1) {
        let last = n == pieces.len() - 1;
        let position = if last {
            remaining.strip_suffix(piece).map(str::len)
        } else if piece.is_empty() {
            Some(remaining.find('.').unwrap_or(remaining.len()))
        } else {
            remaining.find(piece)
        };
        let Some(position) = position else { return false };
        let filled = &remaining[..position];
        if filled.is_empty() || filled.contains('.') {
            return false;
        }
        remaining = &remaining[position + piece.len()..];
    }
    remaining.is_empty()
}

#[test]
fn every_key_the_source_names_is_in_the_english_file() {
    let keys: BTreeSet<String> = i18n::keys_of(Locale::En).into_iter().collect();
    let found = keys_named_in_the_source();
    let missing: Vec<String> = found
        .iter()
        .filter(|f| {
            let text = f.text.as_str();
            !match f.usage {
                Use::Key => keys.contains(text) || keys.contains(&format!("{text}.other")),
                Use::Prefix => keys.iter().any(|k| k.starts_with(text)),
                Use::Group => keys.iter().any(|k| k.starts_with(&format!("{text}."))),
                // `t_count` completes the key with a plural category.
                Use::Pattern => keys.iter().any(|k| {
                    pattern_matches(text, k) || k.rsplit_once('.').is_some_and(|(b, _)| pattern_matches(text, b))
                }),
            }
        })
        .map(|f| format!("{} {:?} {}", f.place, f.usage, f.text))
        .collect();
    assert!(missing.is_empty(), "not in locales/en.toml:\n{}", missing.join("\n"));
}

#[test]
fn the_key_scan_tells_keys_from_other_literals() {
    let tables: BTreeSet<String> = ["errors", "runs", "phases"].map(String::from).into();
    let rust = |code: &str| literal_keys(&rust_tokens(code), false, &tables, &|t| t == "home.html");
    let template = |code: &str| literal_keys(&template_tokens(code), true, &tables, &|t| t == "base.html");
    let key = |text: &str, usage: Use, line: usize| (text.to_owned(), usage, line);

    // Where only a key can stand, a typo in its first part is caught too.
    assert_eq!(
        rust("let t = i18n::t_with(\n    ctx.locale,\n    \"eror.typo\",\n    &[(\"max\", \"a.b\")],\n);"),
        [key("eror.typo", Use::Key, 3)]
    );
    assert_eq!(
        rust("Err(AppError::Conflict(\"rnus.full\")); ctx.t(\"nav.home\")"),
        [key("rnus.full", Use::Key, 1), key("nav.home", Use::Key, 1)]
    );
    assert_eq!(
        rust("i18n::t(*l, &format!(\"countrie.{}\", c.code())); label(locale, \"phases\", &run.phase)"),
        [key("countrie.{}", Use::Pattern, 1), key("phases", Use::Group, 1)]
    );
    // Elsewhere, dotted literals of a table: the keys forms and services pass around.
    assert_eq!(
        rust("errors.add(\"email\", \"errors.email_invalid\"); // \"errors.in_a_comment\"\n/* \"runs.old\" */"),
        [key("errors.email_invalid", Use::Key, 1)]
    );
    assert_eq!(
        rust("let q = '\"'; let k: &'static str = if full { \"runs.full\" } else { r#\"runs.open\"# };"),
        [key("runs.full", Use::Key, 1), key("runs.open", Use::Key, 1)]
    );
    // File names and dotted words of no table are not keys.
    assert_eq!(
        rust("render(\"home.html\", \"example.kz\", \"errors\", format!(\"{}.pdf\", n))"),
        []
    );

    assert_eq!(
        template(
            "{% extends \"base.html\" %}\n<p title='it's'>{{ t(key=\"eror.typo\", lang=lang) }}</p>\n\
             {{ t(lang=lang, key='runs.table_' ~ name) }}{# t(key=\"runs.commented\") #}\n\
             {{ forms::input(key=\"x.y\", hint=\"errors.hint\") }}"
        ),
        [
            key("eror.typo", Use::Key, 2),
            key("runs.table_", Use::Prefix, 3),
            key("errors.hint", Use::Key, 4)
        ]
    );

    assert!(pattern_matches(
        "reports.{name}_chart_title",
        "reports.completion_chart_title"
    ));
    assert!(!pattern_matches(
        "reports.{name}_chart_title",
        "reports.completion_chart_description"
    ));
    assert!(pattern_matches("countries.{}", "countries.KZ"));
    assert!(!pattern_matches("countries.{}", "countries"));
    assert!(!pattern_matches("mail.{}.subject", "mail.greeting"));
}

#[test]
fn the_key_scan_reads_the_whole_source() {
    let found = keys_named_in_the_source();
    let has = |text: &str, usage: Use| found.iter().any(|f| f.text == text && f.usage == usage);
    assert!(found.len() > 500, "{} keys found", found.len());
    assert!(has("runs.already_rejected", Use::Key) && has("validation.too_long", Use::Key));
    assert!(has("recovery.forgot_title", Use::Key) && has("mail.enrolment_rejected.body", Use::Key));
    assert!(has("reports.table_", Use::Prefix) && has("phases", Use::Group));
    assert!(has("countries.{}", Use::Pattern) && has("reports.{name}_chart_title", Use::Pattern));
    assert!(!found.iter().any(|f| f.text.ends_with(".html")));
}
