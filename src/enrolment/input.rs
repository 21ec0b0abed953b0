//! A run's settings as typed in the form or sent in a JSON body, and their checks.

use chrono::NaiveDate;
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use super::model::{Categories, EnrolmentMode, Mode, Phase, RunRow};
use crate::accounts::model::{Category, Country};
use crate::db::DbConnection;
use crate::error::AppResult;
use crate::i18n::Locale;
use crate::institutions::InstitutionId;
use crate::validation::FieldErrors;

/// The fields of a run as typed in a form or a JSON body, all as text: what is wrong
/// with a value is a message beside its field, never a rejected request.
///
/// Read from JSON, numbers and strings alike become text (a missing or `null` field is
/// empty). Read from the form, the ticked boxes of `categories` repeat the key, and
/// they are joined with spaces; any other repeated field keeps its first value.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RunInput {
    pub course_id: String,
    pub institution_id: String,
    pub language: String,
    pub country: String,
    pub starts_on: String,
    pub ends_on: String,
    pub enrol_by: String,
    pub capacity: String,
    pub mode: String,
    pub enrolment: String,
    pub key: String,
    pub phase: String,
    /// Professional categories the run is for, space-separated; empty = all.
    pub categories: String,
    /// Per cent of in-person days to attend; empty when attendance is not required.
    pub min_attendance: String,
    /// Whether the content opens before the start date: a ticked box ("true", "on"),
    /// JSON `true`, or empty for closed.
    pub opens_early: String,
}

impl RunInput {
    /// The field called `name`, or `None` for a field the run does not have (such as
    /// the form's CSRF token).
    fn field_mut(&mut self, name: &str) -> Option<&mut String> {
        Some(match name {
            "course_id" => &mut self.course_id,
            "institution_id" => &mut self.institution_id,
            "language" => &mut self.language,
            "country" => &mut self.country,
            "starts_on" => &mut self.starts_on,
            "ends_on" => &mut self.ends_on,
            "enrol_by" => &mut self.enrol_by,
            "capacity" => &mut self.capacity,
            "mode" => &mut self.mode,
            "enrolment" => &mut self.enrolment,
            "key" => &mut self.key,
            "phase" => &mut self.phase,
            "categories" => &mut self.categories,
            "min_attendance" => &mut self.min_attendance,
            "opens_early" => &mut self.opens_early,
            _ => return None,
        })
    }
}

/// Any JSON or form value as the text a check reads: a string as it is, `null` as
/// nothing, anything else (a number) as JSON writes it.
fn as_text(value: serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text,
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

impl<'de> Deserialize<'de> for RunInput {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(RunInputVisitor)
    }
}

struct RunInputVisitor;

impl<'de> Visitor<'de> for RunInputVisitor {
    type Value = RunInput;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("the fields of a run")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RunInput, A::Error> {
        let mut input = RunInput::default();
        let mut seen: Vec<String> = Vec::new();
        while let Some(name) = map.next_key::<String>()? {
            let text = as_text(map.next_value()?);
            let repeated = seen.contains(&name);
            let Some(field) = input.field_mut(&name) else {
                continue;
            };
            if name == "categories" {
                if !field.is_empty() {
                    field.push(' ');
                }
                field.push_str(&text);
            } else if !repeated {
                *field = text;
            }
            seen.push(name);
        }
        Ok(input)
    }
}

/// A checked run.
#[derive(Debug, Clone)]
pub struct RunFields {
    pub course_id: String,
    pub institution_id: InstitutionId,
    pub language: Locale,
    pub country: Country,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub enrol_by: NaiveDate,
    pub capacity: i32,
    pub mode: Mode,
    pub enrolment: EnrolmentMode,
    pub key: Option<String>,
    pub phase: Phase,
    pub categories: Categories,
    pub min_attendance: Option<i32>,
    pub opens_early: bool,
}

/// The years a run's dates may fall in: courses of this century. A date far outside
/// (year -262143, say) is a typing slip or a probe, and some databases cannot store it.
const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// The run's three dates, each with its own messages so that an error names its field.
#[derive(Clone, Copy)]
enum RunDate {
    StartsOn,
    EndsOn,
    EnrolBy,
}

impl RunDate {
    fn field(self) -> &'static str {
        match self {
            RunDate::StartsOn => "starts_on",
            RunDate::EndsOn => "ends_on",
            RunDate::EnrolBy => "enrol_by",
        }
    }

    /// The keys for a missing date, one that does not parse, and one out of range.
    fn messages(self) -> [&'static str; 3] {
        match self {
            RunDate::StartsOn => [
                "coordinator_flows.starts_on_missing",
                "coordinator_flows.starts_on_invalid",
                "coordinator_flows.starts_on_out_of_range",
            ],
            RunDate::EndsOn => [
                "coordinator_flows.ends_on_missing",
                "coordinator_flows.ends_on_invalid",
                "coordinator_flows.ends_on_out_of_range",
            ],
            RunDate::EnrolBy => [
                "coordinator_flows.enrol_by_missing",
                "coordinator_flows.enrol_by_invalid",
                "coordinator_flows.enrol_by_out_of_range",
            ],
        }
    }
}

fn parse_date(errors: &mut FieldErrors, date: RunDate, value: &str) -> Option<NaiveDate> {
    let field = date.field();
    let [missing, invalid, out_of_range] = date.messages();
    if value.trim().is_empty() {
        errors.add(field, missing);
        return None;
    }
    match NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d") {
        Ok(date) if YEARS.contains(&chrono::Datelike::year(&date)) => Some(date),
        Ok(_) => {
            errors.add(field, out_of_range);
            None
        }
        Err(_) => {
            errors.add(field, invalid);
            None
        }
    }
}

/// The run form's fields in the order it shows them, which its error summary follows.
const FIELD_ORDER: [&str; 15] = [
    "course_id",
    "institution_id",
    "language",
    "country",
    "starts_on",
    "ends_on",
    "enrol_by",
    "opens_early",
    "capacity",
    "mode",
    "min_attendance",
    "enrolment",
    "key",
    "phase",
    "categories",
];

/// The first, last and closing day of enrolment, when all three are dates in order.
struct RunDates {
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    enrol_by: NaiveDate,
}

/// Each date must be a date; the run must not end before it starts, and enrolment
/// must close by the first day.
fn check_dates(errors: &mut FieldErrors, input: &RunInput) -> Option<RunDates> {
    let starts_on = parse_date(errors, RunDate::StartsOn, &input.starts_on);
    let ends_on = parse_date(errors, RunDate::EndsOn, &input.ends_on);
    let enrol_by = parse_date(errors, RunDate::EnrolBy, &input.enrol_by);
    if let (Some(start), Some(end)) = (starts_on, ends_on) {
        if end < start {
            errors.add("ends_on", "runs.ends_before_start");
        }
    }
    if let (Some(start), Some(by)) = (starts_on, enrol_by) {
        if by > start {
            errors.add("enrol_by", "runs.enrol_by_after_start");
        }
    }
    Some(RunDates {
        starts_on: starts_on?,
        ends_on: ends_on?,
        enrol_by: enrol_by?,
    })
}

/// A value that was given and valid, or a message beside its field.
/// The shortest enrolment key a run may be given: eight characters, so that, with
/// wrong keys limited per learner and run, a key cannot be guessed. Runs keep a
/// shorter key given before until they are edited.
pub const KEY_MIN_CHARS: usize = 8;

fn required<T>(errors: &mut FieldErrors, field: &'static str, key: &'static str, parsed: Option<T>) -> Option<T> {
    if parsed.is_none() {
        errors.add(field, key);
    }
    parsed
}

/// Checks a run's fields, reporting every invalid one ([`crate::error::AppError::Invalid`]).
/// The course must exist and the institution too; whether the user may create runs
/// for it is the caller's check.
pub fn check_run(conn: &mut DbConnection, input: &RunInput) -> AppResult<RunFields> {
    let mut errors = FieldErrors::new();
    let course_id = input.course_id.trim().to_owned();
    if crate::courses::store::find_active_course(conn, &course_id)?.is_none() {
        errors.add("course_id", "runs.course_invalid");
    }
    let institution_id = required(
        &mut errors,
        "institution_id",
        "accounts.institution_invalid",
        input.institution_id.trim().parse::<InstitutionId>().ok(),
    );
    let language = required(
        &mut errors,
        "language",
        "accounts.locale_invalid",
        Locale::from_code(&input.language),
    );
    let country = required(
        &mut errors,
        "country",
        "validation.country_invalid",
        Country::parse(&input.country),
    );
    let dates = check_dates(&mut errors, input);
    let capacity = input
        .capacity
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|c| (1..=10_000).contains(c));
    let capacity = required(&mut errors, "capacity", "runs.capacity_invalid", capacity);
    let mode = required(&mut errors, "mode", "runs.mode_invalid", Mode::from_code(&input.mode));
    let enrolment = required(
        &mut errors,
        "enrolment",
        "runs.enrolment_invalid",
        EnrolmentMode::from_code(&input.enrolment),
    );
    let key = Some(input.key.trim().to_owned()).filter(|k| !k.is_empty());
    if enrolment == Some(EnrolmentMode::Key) && key.as_ref().is_none_or(|k| k.chars().count() < KEY_MIN_CHARS) {
        errors.add("key", "runs.key_missing");
    }
    let phase = required(
        &mut errors,
        "phase",
        "runs.phase_invalid",
        Phase::from_code(&input.phase),
    );
    let categories = check_categories(&mut errors, &input.categories);
    let min_attendance = check_min_attendance(&mut errors, &input.min_attendance, mode);
    let opens_early = check_flag(&mut errors, "opens_early", &input.opens_early);
    let institution_id = match institution_id {
        Some(id) if crate::institutions::find(conn, id)?.is_none() => {
            errors.add("institution_id", "accounts.institution_invalid");
            None
        }
        other => other,
    };
    let errors = errors.in_order(&FIELD_ORDER);
    let (Some(institution_id), Some(language), Some(country), Some(dates)) = (institution_id, language, country, dates)
    else {
        return Err(errors.into());
    };
    let (Some(capacity), Some(mode), Some(enrolment), Some(phase)) = (capacity, mode, enrolment, phase) else {
        return Err(errors.into());
    };
    errors.check(RunFields {
        course_id,
        institution_id,
        language,
        country,
        starts_on: dates.starts_on,
        ends_on: dates.ends_on,
        enrol_by: dates.enrol_by,
        capacity,
        mode,
        enrolment,
        key: if enrolment == EnrolmentMode::Key { key } else { None },
        phase,
        categories,
        min_attendance,
        opens_early,
    })
}

/// A yes-or-no setting: a ticked box ("on", "true") or JSON `true`/`false`; empty
/// (an unticked box, a missing field) is no.
fn check_flag(errors: &mut FieldErrors, field: &'static str, raw: &str) -> bool {
    match raw.trim() {
        "" | "false" | "off" | "0" => false,
        "true" | "on" | "1" => true,
        _ => {
            errors.add(field, "runs.flag_invalid");
            false
        }
    }
}

/// Categories typed as codes separated by spaces or commas.
fn check_categories(errors: &mut FieldErrors, raw: &str) -> Categories {
    let mut categories = Vec::new();
    for code in raw.split([' ', ',']).filter(|c| !c.trim().is_empty()) {
        match Category::from_code(code.trim()) {
            Some(category) => categories.push(category),
            None => errors.add("categories", "accounts.category_invalid"),
        }
    }
    Categories(categories)
}

/// The attendance a run requires: empty for none, or a whole per cent from 1 to 100.
/// Only runs that meet in person have days to attend.
fn check_min_attendance(errors: &mut FieldErrors, raw: &str, mode: Option<Mode>) -> Option<i32> {
    let raw = raw.trim().trim_end_matches('%').trim();
    if raw.is_empty() {
        return None;
    }
    let Some(share) = raw.parse::<i32>().ok().filter(|p| (1..=100).contains(p)) else {
        errors.add("min_attendance", "runs.attendance_invalid");
        return None;
    };
    if mode == Some(Mode::Online) {
        errors.add("min_attendance", "runs.attendance_online");
        return None;
    }
    Some(share)
}

/// A run's settings as form fields, for editing.
pub fn input_of(run: &RunRow) -> RunInput {
    RunInput {
        course_id: run.course_id.clone(),
        institution_id: run.institution_id.to_string(),
        language: run.language.code().to_owned(),
        country: run.country.code().to_owned(),
        starts_on: run.starts_on.to_string(),
        ends_on: run.ends_on.to_string(),
        enrol_by: run.enrol_by.to_string(),
        capacity: run.capacity.to_string(),
        mode: run.mode.code().to_owned(),
        enrolment: run.enrolment.code().to_owned(),
        key: run.enrolment_key.clone().unwrap_or_default(),
        phase: run.phase.code().to_owned(),
        categories: run.categories.codes(),
        min_attendance: run.min_attendance.map(|p| p.to_string()).unwrap_or_default(),
        opens_early: if run.opens_early { "true".into() } else { String::new() },
    }
}
