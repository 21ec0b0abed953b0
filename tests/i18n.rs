//! The seven locale files: complete, consistent, in the right script, with plurals and
//! dates as each language writes them.
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
            // File formats, encodings and time zones keep their international names.
            let mut text_only = without_placeholders.replace("name@example.kz", "");
            for token in ["Windows-1251", "UTF-8", "CSV", "XLSX", "Excel", "PDF", "UTC"] {
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
