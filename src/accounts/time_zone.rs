//! The time zone a user reads times in. Times are stored in UTC; pages show them in
//! the reader's zone with its offset ("14:45 (UTC+5)"), so an officer in Tashkent
//! never has to convert a deadline.
//!
//! The zones are fixed offsets, not the IANA database: every country of the region
//! keeps one offset all year (no daylight saving), so an offset is exact there and
//! needs no tables to keep up to date. The few other zones offered are also ones
//! without daylight saving. A user who never chose a zone gets their country's.

use chrono::{Duration, NaiveDateTime};

use crate::accounts::model::{Country, User};
use crate::i18n::{self, Locale};
use crate::validation::FieldErrors;

crate::text_enum!(TimeZone {
    Utc => "UTC",
    Plus3 => "UTC+3",
    Plus4 => "UTC+4",
    Plus5 => "UTC+5",
    Plus6 => "UTC+6",
});

impl TimeZone {
    /// The zone of a country of service: Kazakhstan has kept one zone, UTC+5, since
    /// March 2024; Kyrgyzstan is UTC+6; the others UTC+5. Elsewhere UTC.
    pub fn of_country(country: Option<Country>) -> TimeZone {
        match country {
            Some(Country::Kz | Country::Tj | Country::Tm | Country::Uz) => TimeZone::Plus5,
            Some(Country::Kg) => TimeZone::Plus6,
            Some(Country::Other) | None => TimeZone::Utc,
        }
    }

    /// The zone `user` reads times in: the one they chose, else their country's.
    pub fn of_user(user: &User) -> TimeZone {
        user.time_zone.unwrap_or_else(|| TimeZone::of_country(user.country))
    }

    /// The zone of whoever reads a page: UTC for a visitor who is not signed in.
    pub fn of_reader(user: Option<&User>) -> TimeZone {
        user.map_or(TimeZone::Utc, TimeZone::of_user)
    }

    /// Hours ahead of UTC.
    fn offset_hours(self) -> i64 {
        match self {
            TimeZone::Utc => 0,
            TimeZone::Plus3 => 3,
            TimeZone::Plus4 => 4,
            TimeZone::Plus5 => 5,
            TimeZone::Plus6 => 6,
        }
    }

    /// A UTC moment as the wall clock in this zone shows it.
    pub fn local(self, at_utc: NaiveDateTime) -> NaiveDateTime {
        at_utc + Duration::hours(self.offset_hours())
    }

    /// The zone's name in a form's list: its offset and the capitals that use it,
    /// "(UTC+5) Tashkent, Astana, Dushanbe, Ashgabat".
    pub fn label(self, locale: Locale) -> String {
        format!(
            "({}) {}",
            self.code(),
            i18n::t(locale, &format!("time_zones.{}", self.key()))
        )
    }

    /// The locale key of the zone's cities; codes hold "+", which keys do not.
    fn key(self) -> &'static str {
        match self {
            TimeZone::Utc => "utc",
            TimeZone::Plus3 => "utc_plus_3",
            TimeZone::Plus4 => "utc_plus_4",
            TimeZone::Plus5 => "utc_plus_5",
            TimeZone::Plus6 => "utc_plus_6",
        }
    }

    /// A moment as pages show it: the long date and the time of day in this zone,
    /// with the zone named ("7 December 2026 14:45 (UTC+5)").
    pub fn date_time(self, locale: Locale, at_utc: NaiveDateTime) -> String {
        let local = self.local(at_utc);
        format!(
            "{} {} ({})",
            i18n::format_date(locale, local.date()),
            local.format("%H:%M"),
            self.code()
        )
    }

    /// The date of a moment in this zone, for pages that show only the day (a
    /// certificate issued at 23:00 UTC was issued the next day in Tashkent).
    pub fn date(self, locale: Locale, at_utc: NaiveDateTime) -> String {
        i18n::format_date(locale, self.local(at_utc).date())
    }
}

/// Reads the profile form's `time_zone` field: empty is "as in my country"; a code
/// not in the list is an error for the field.
pub fn choice_field(errors: &mut FieldErrors, field: &'static str, raw: &str) -> Option<TimeZone> {
    match raw.trim() {
        "" => None,
        code => {
            let zone = TimeZone::from_code(&code.to_ascii_uppercase());
            if zone.is_none() {
                errors.add(field, "time_zones.invalid");
            }
            zone
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(hour: u32, minute: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 12, 7)
            .and_then(|d| d.and_hms_opt(hour, minute, 0))
            .unwrap_or_default()
    }

    #[test]
    fn each_country_of_the_region_has_its_own_zone_and_others_utc() {
        assert_eq!(TimeZone::of_country(Some(Country::Kz)), TimeZone::Plus5);
        assert_eq!(TimeZone::of_country(Some(Country::Kg)), TimeZone::Plus6);
        assert_eq!(TimeZone::of_country(Some(Country::Tj)), TimeZone::Plus5);
        assert_eq!(TimeZone::of_country(Some(Country::Tm)), TimeZone::Plus5);
        assert_eq!(TimeZone::of_country(Some(Country::Uz)), TimeZone::Plus5);
        assert_eq!(TimeZone::of_country(Some(Country::Other)), TimeZone::Utc);
        assert_eq!(TimeZone::of_country(None), TimeZone::Utc);
    }

    #[test]
    fn a_time_is_shown_on_the_local_clock_with_its_offset_and_may_change_the_day() {
        assert_eq!(
            TimeZone::Plus5.date_time(Locale::En, at(9, 45)),
            "7 December 2026 14:45 (UTC+5)"
        );
        assert_eq!(TimeZone::Plus6.date(Locale::En, at(20, 30)), "8 December 2026");
        assert_eq!(
            TimeZone::Utc.date_time(Locale::En, at(9, 45)),
            "7 December 2026 09:45 (UTC)"
        );
    }

    #[test]
    fn a_choice_is_a_known_code_or_empty() {
        let mut errors = FieldErrors::new();
        assert_eq!(choice_field(&mut errors, "time_zone", ""), None);
        assert_eq!(choice_field(&mut errors, "time_zone", " utc+6 "), Some(TimeZone::Plus6));
        assert!(errors.is_empty());
        assert_eq!(choice_field(&mut errors, "time_zone", "Europe/Vienna"), None);
        assert!(errors.has("time_zone"));
    }
}
