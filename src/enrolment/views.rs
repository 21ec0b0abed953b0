//! A run as the pages show it, in the reader's language; the register pages show it
//! too. Lists of runs are built with one query for the places taken and one look-up
//! per distinct course and institution, not per run.

use std::collections::HashMap;

use serde::Serialize;

use super::model::{Mode, RunId, RunRow};
use super::runs::enrolled_counts;
use crate::db::DbConnection;
use crate::error::AppResult;
use crate::i18n::{self, label, Locale};
use crate::institutions::{self, InstitutionId};

#[derive(Debug, Clone, Serialize)]
pub(crate) struct RunView {
    id: RunId,
    course_id: String,
    course: String,
    institution: String,
    dates: String,
    enrol_by: String,
    language: &'static str,
    country: String,
    mode: String,
    enrolment: String,
    enrolment_code: &'static str,
    phase: String,
    places: String,
    capacity: i32,
    enrolled: i64,
    /// What the run requires of attendance at its in-person days, if anything.
    attendance_rule: Option<String>,
    /// Whether the group meets in person, and so has days to attend.
    in_person: bool,
    /// The first and last day as a date field takes them.
    starts_on: String,
    ends_on: String,
}

impl RunView {
    pub(crate) fn id(&self) -> RunId {
        self.id
    }

    fn of(run: &RunRow, course: String, institution: String, enrolled: i64, locale: Locale) -> Self {
        let free = (i64::from(run.capacity) - enrolled).max(0);
        RunView {
            id: run.id,
            course_id: run.course_id.clone(),
            course,
            institution,
            dates: format!(
                "{} – {}",
                i18n::format_date(locale, run.starts_on),
                i18n::format_date(locale, run.ends_on)
            ),
            enrol_by: i18n::format_date(locale, run.enrol_by),
            language: run.language.native_name(),
            country: label(locale, "countries", run.country.code()),
            mode: label(locale, "run_modes", run.mode.code()),
            enrolment: label(locale, "enrolment_modes", run.enrolment.code()),
            enrolment_code: run.enrolment.code(),
            phase: label(locale, "phases", run.phase.code()),
            places: i18n::t_count(locale, "runs.places_free", free, &[]),
            capacity: run.capacity,
            enrolled,
            attendance_rule: run
                .min_attendance
                .map(|share| i18n::t_with(locale, "attendance.requirement", &[("share", &share.to_string())])),
            in_person: run.mode != Mode::Online,
            starts_on: run.starts_on.to_string(),
            ends_on: run.ends_on.to_string(),
        }
    }
}

fn institution_name(conn: &mut DbConnection, id: InstitutionId) -> AppResult<String> {
    Ok(institutions::find(conn, id)?.map(|i| i.name).unwrap_or_default())
}

pub(crate) fn run_view(conn: &mut DbConnection, run: &RunRow, locale: Locale) -> AppResult<RunView> {
    let course = crate::courses::reading::course_title(conn, &run.course_id, locale)?;
    let institution = institution_name(conn, run.institution_id)?;
    let enrolled = super::runs::enrolled_count(conn, run.id)?;
    Ok(RunView::of(run, course, institution, enrolled, locale))
}

/// Views of many runs, in their order.
pub(crate) fn run_views(conn: &mut DbConnection, runs: &[RunRow], locale: Locale) -> AppResult<Vec<RunView>> {
    let enrolled = enrolled_counts(conn, runs)?;
    let mut courses: HashMap<&str, String> = HashMap::new();
    let mut institutions: HashMap<InstitutionId, String> = HashMap::new();
    let mut views = Vec::with_capacity(runs.len());
    for run in runs {
        let course = match courses.get(run.course_id.as_str()) {
            Some(title) => title.clone(),
            None => {
                let title = crate::courses::reading::course_title(conn, &run.course_id, locale)?;
                courses.insert(&run.course_id, title.clone());
                title
            }
        };
        let institution = match institutions.get(&run.institution_id) {
            Some(name) => name.clone(),
            None => {
                let name = institution_name(conn, run.institution_id)?;
                institutions.insert(run.institution_id, name.clone());
                name
            }
        };
        let places_taken = enrolled.get(&run.id).copied().unwrap_or(0);
        views.push(RunView::of(run, course, institution, places_taken, locale));
    }
    Ok(views)
}
