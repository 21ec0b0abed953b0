//! The seven interface languages: which one a request gets, translated strings with
//! per-language fallback and placeholders, plural forms and dates.
//!
//! rust-i18n compiles `locales/*.toml` into the binary. Its global locale is never set:
//! requests run concurrently, so every lookup names its locale. It has no plurals and
//! one global fallback list, so this module adds both.

use std::borrow::Cow;
use std::sync::OnceLock;

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use intl_pluralrules::{PluralCategory, PluralRuleType, PluralRules};

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[serde(rename_all = "lowercase")]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum Locale {
    Ru,
    Kk,
    Ky,
    Tg,
    Tk,
    Uz,
    En,
}

crate::text_sql!(Locale);

impl Locale {
    /// In the order the language switcher shows them.
    pub const ALL: [Locale; 7] = [
        Locale::Ru,
        Locale::Kk,
        Locale::Ky,
        Locale::Tg,
        Locale::Tk,
        Locale::Uz,
        Locale::En,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Locale::Ru => "ru",
            Locale::Kk => "kk",
            Locale::Ky => "ky",
            Locale::Tg => "tg",
            Locale::Tk => "tk",
            Locale::Uz => "uz",
            Locale::En => "en",
        }
    }

    /// The language's name in itself, as the switcher shows it.
    pub fn native_name(self) -> &'static str {
        match self {
            Locale::Ru => "Русский",
            Locale::Kk => "Қазақша",
            Locale::Ky => "Кыргызча",
            Locale::Tg => "Тоҷикӣ",
            Locale::Tk => "Türkmençe",
            Locale::Uz => "Oʻzbekcha",
            Locale::En => "English",
        }
    }

    pub fn from_code(code: &str) -> Option<Locale> {
        let code = code.trim().to_ascii_lowercase();
        Locale::ALL.into_iter().find(|l| l.code() == code)
    }

    /// The languages tried, in order, when a text is missing in this one: the regional
    /// languages fall back to Russian, then English; Russian and English to each other.
    pub fn fallback_chain(self) -> &'static [Locale] {
        match self {
            Locale::Ru => &[Locale::Ru, Locale::En],
            Locale::En => &[Locale::En, Locale::Ru],
            Locale::Kk => &[Locale::Kk, Locale::Ru, Locale::En],
            Locale::Ky => &[Locale::Ky, Locale::Ru, Locale::En],
            Locale::Tg => &[Locale::Tg, Locale::Ru, Locale::En],
            Locale::Tk => &[Locale::Tk, Locale::Ru, Locale::En],
            Locale::Uz => &[Locale::Uz, Locale::Ru, Locale::En],
        }
    }

    /// The plural categories this language distinguishes for cardinal numbers (CLDR).
    /// CLDR has no rules for Tajik; its nouns do not change after numerals, so `other`.
    pub fn plural_categories(self) -> &'static [&'static str] {
        match self {
            Locale::Ru => &["one", "few", "many", "other"],
            Locale::Tg => &["other"],
            _ => &["one", "other"],
        }
    }
}

/// Picks the best supported language from an `Accept-Language` header, honouring
/// q-values; `None` when nothing in it is supported.
pub fn from_accept_language(header: &str) -> Option<Locale> {
    let mut candidates: Vec<(f32, usize, Locale)> = header
        .split(',')
        .enumerate()
        .filter_map(|(position, part)| {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next()?.trim();
            let primary = tag.split(['-', '_']).next()?;
            let locale = Locale::from_code(primary)?;
            let quality = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            (quality > 0.0).then_some((quality, position, locale))
        })
        .collect();
    candidates.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    candidates.first().map(|c| c.2)
}

fn lookup(locale: Locale, key: &str) -> Option<Cow<'static, str>> {
    locale
        .fallback_chain()
        .iter()
        .find_map(|l| crate::_rust_i18n_try_translate(l.code(), key))
}

/// The text for `key` in `locale` (or the first language of its fallback chain that
/// has it) with `%{name}` placeholders filled. A key missing everywhere shows as the
/// key itself; the locale completeness test keeps that from shipping.
pub fn t(locale: Locale, key: &str) -> String {
    lookup(locale, key)
        .map(Cow::into_owned)
        .unwrap_or_else(|| key.to_owned())
}

/// Like [`t`], with placeholders replaced.
pub fn t_with(locale: Locale, key: &str, args: &[(&str, &str)]) -> String {
    fill_placeholders(&t(locale, key), args)
}

pub fn fill_placeholders(text: &str, args: &[(&str, &str)]) -> String {
    // One pass over the message: a value is copied as it is, never read again, so a
    // user's text that contains "%{name}" (a rejection reason, a name) stays as typed.
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((before, after)) = rest.split_once("%{") {
        out.push_str(before);
        let filled = after.split_once('}').and_then(|(name, tail)| {
            let (_, value) = args.iter().find(|(arg, _)| *arg == name)?;
            Some((*value, tail))
        });
        match filled {
            Some((value, tail)) => {
                out.push_str(value);
                rest = tail;
            }
            None => {
                out.push_str("%{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn plural_rules(locale: Locale) -> Option<&'static PluralRules> {
    static RULES: OnceLock<Vec<(Locale, Option<PluralRules>)>> = OnceLock::new();
    let rules = RULES.get_or_init(|| {
        Locale::ALL
            .into_iter()
            .map(|l| {
                let rules = l
                    .code()
                    .parse::<unic_langid::LanguageIdentifier>()
                    .ok()
                    .and_then(|id| PluralRules::create(id, PluralRuleType::CARDINAL).ok());
                (l, rules)
            })
            .collect()
    });
    rules.iter().find(|(l, _)| *l == locale).and_then(|(_, r)| r.as_ref())
}

/// The CLDR plural category of `count` in `locale`, limited to the categories the
/// locale files carry for that language.
pub fn plural_category(locale: Locale, count: i64) -> &'static str {
    let category = plural_rules(locale)
        .and_then(|rules| rules.select(count).ok())
        .map(|c| match c {
            PluralCategory::ZERO => "zero",
            PluralCategory::ONE => "one",
            PluralCategory::TWO => "two",
            PluralCategory::FEW => "few",
            PluralCategory::MANY => "many",
            PluralCategory::OTHER => "other",
        })
        .unwrap_or("other");
    if locale.plural_categories().contains(&category) {
        category
    } else {
        "other"
    }
}

/// The label of a code in a group of the locale files, e.g. `phases.national_pilot`.
pub fn label(locale: Locale, group: &str, code: &str) -> String {
    t(locale, &format!("{group}.{code}"))
}

/// A counted phrase: `key.one`, `key.few`, … chosen for `count`, with `%{count}`
/// and the other placeholders filled.
pub fn t_count(locale: Locale, key: &str, count: i64, args: &[(&str, &str)]) -> String {
    let category = plural_category(locale, count);
    let count_text = format_number(locale, count);
    let mut all_args: Vec<(&str, &str)> = vec![("count", count_text.as_str())];
    all_args.extend_from_slice(args);
    t_with(locale, &format!("{key}.{category}"), &all_args)
}

/// Whole numbers grouped by thousands: a space in the six regional languages (a
/// no-break space, so a number never wraps), a comma in English.
pub fn format_number(locale: Locale, number: i64) -> String {
    let digits = number.unsigned_abs().to_string();
    let separator = if locale == Locale::En { "," } else { "\u{a0}" };
    let mut grouped = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push_str(separator);
        }
        grouped.push(digit);
    }
    if number < 0 {
        grouped.insert(0, '-');
    }
    grouped
}

/// A share in per cent with one decimal: "85.5%" in English, "85,5 %" in the
/// languages of the region, which write a decimal comma and a space before the sign.
pub fn format_percent(locale: Locale, value: f64) -> String {
    let number = format!("{value:.1}");
    if locale == Locale::En {
        format!("{number}%")
    } else {
        format!("{}\u{a0}%", number.replace('.', ","))
    }
}

/// A difference in percentage points with its sign: "+12.5", "−3,0".
pub fn format_points(locale: Locale, value: f64) -> String {
    let sign = if value < 0.0 { "\u{2212}" } else { "+" };
    let number = format!("{:.1}", value.abs());
    let number = if locale == Locale::En {
        number
    } else {
        number.replace('.', ",")
    };
    format!("{sign}{number}")
}

/// A date written out as officials of each language write it, from the patterns and
/// month names in the locale files ("28 ноября 2026 г.", "2026 ж. 28 қараша").
pub fn format_date(locale: Locale, date: NaiveDate) -> String {
    let month = t(locale, &format!("date.month_{}", date.month()));
    t_with(
        locale,
        "date.long",
        &[
            ("day", &date.day().to_string()),
            ("month", &month),
            ("year", &date.year().to_string()),
        ],
    )
}

/// A moment written as a long date and a UTC time of day ("7 December 2026 11:40 UTC").
pub fn format_date_time(locale: Locale, at: NaiveDateTime) -> String {
    format!("{} {}", format_date(locale, at.date()), at.format("%H:%M UTC"))
}

/// The numeric form used in official documents across the region: dd.MM.yyyy.
pub fn format_date_short(date: NaiveDate) -> String {
    date.format("%d.%m.%Y").to_string()
}

/// Every key of one locale file, for the completeness test and tooling.
pub fn keys_of(locale: Locale) -> Vec<String> {
    crate::_rust_i18n_backend()
        .messages_for_locale(locale.code())
        .unwrap_or_default()
        .into_iter()
        .map(|(key, _)| key.into_owned())
        .collect()
}

/// The text stored for `key` in exactly this locale, without fallback.
pub fn raw(locale: Locale, key: &str) -> Option<String> {
    crate::_rust_i18n_try_translate(locale.code(), key).map(Cow::into_owned)
}

/// The language to show when `wanted` is asked for and only `available` exist: the
/// first of `wanted`'s fallback chain that exists, else the first available.
pub fn best_available(available: &[Locale], wanted: Locale) -> Option<Locale> {
    wanted
        .fallback_chain()
        .iter()
        .copied()
        .find(|l| available.contains(l))
        .or_else(|| Locale::ALL.into_iter().find(|l| available.contains(l)))
}

/// The text for `wanted` from a table keyed by language code, with fallback.
pub fn pick_text(table: &std::collections::BTreeMap<String, String>, wanted: Locale) -> Option<String> {
    pick_text_in(table, wanted).map(|(_, text)| text)
}

/// The text for `wanted` with the language it is actually in, so a page can mark text
/// that fell back to another language with `lang`.
pub fn pick_text_in(table: &std::collections::BTreeMap<String, String>, wanted: Locale) -> Option<(Locale, String)> {
    let available: Vec<Locale> = table.keys().filter_map(|k| Locale::from_code(k)).collect();
    best_available(&available, wanted).and_then(|l| table.get(l.code()).map(|text| (l, text.clone())))
}

#[cfg(test)]
mod tests {
    use super::fill_placeholders;

    #[test]
    fn a_value_is_never_read_as_a_placeholder() {
        let filled = fill_placeholders(
            "Dear %{name}, your request was refused: %{reason}",
            &[("reason", "ask %{name} why"), ("name", "Aigerim")],
        );
        assert_eq!(filled, "Dear Aigerim, your request was refused: ask %{name} why");
    }

    #[test]
    fn unknown_and_unclosed_placeholders_stay_as_written() {
        assert_eq!(
            fill_placeholders("%{other} and %{open", &[("name", "x")]),
            "%{other} and %{open"
        );
    }
}
