//! A report as one reader sees it: the figures their audience may see, with the names
//! of courses and institutions in the reader's language. The page, its charts and the
//! exports are all drawn from it.

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;

use chrono::Utc;

use super::privacy::{self, Audience, VisibleFigures};
use crate::accounts::model::User;
use crate::courses::reading::course_title;
use crate::db::{DbConnection, DbPool};
use crate::error::AppResult;
use crate::i18n::Locale;
use crate::institutions::{self, InstitutionId};

pub struct Report {
    pub figures: VisibleFigures,
    /// Course id → title, for every course of a run or a course row in the report.
    course_titles: BTreeMap<String, String>,
    /// Institution id → name, for every institution of a run in the report.
    institution_names: BTreeMap<InstitutionId, String>,
}

impl Report {
    /// Builds the report `user` may read over an activity window of `days` days, with
    /// at most `stalled_limit` stalled learners listed.
    pub fn build(
        pool: &DbPool,
        user: &User,
        days: u16,
        locale: Locale,
        stalled_limit: Option<i64>,
    ) -> AppResult<Report> {
        let now = Utc::now().naive_utc();
        let figures = super::compute(pool, user, now, days, stalled_limit)?;
        let figures = privacy::visible_figures(Audience::of(user), figures, now.date());
        let conn = &mut pool.get()?;
        // Many runs share a course and an institution: look each up once.
        let mut course_titles = BTreeMap::new();
        let mut institution_names = BTreeMap::new();
        let run_courses = figures.runs.iter().map(|(run, _)| &run.course_id);
        for course_id in run_courses.chain(figures.courses.iter().map(|c| &c.course_id)) {
            if !course_titles.contains_key(course_id) {
                course_titles.insert(course_id.clone(), course_title(conn, course_id, locale)?);
            }
        }
        for (run, _) in &figures.runs {
            if let Entry::Vacant(entry) = institution_names.entry(run.institution_id) {
                entry.insert(institution_name(conn, run.institution_id)?);
            }
        }
        Ok(Report {
            figures,
            course_titles,
            institution_names,
        })
    }

    pub fn audience(&self) -> Audience {
        self.figures.audience
    }

    pub fn course_title(&self, course_id: &str) -> &str {
        self.course_titles
            .get(course_id)
            .map(String::as_str)
            .unwrap_or_default()
    }

    pub fn institution_name(&self, institution_id: InstitutionId) -> &str {
        self.institution_names
            .get(&institution_id)
            .map(String::as_str)
            .unwrap_or_default()
    }

    /// The title of the course of a run in the report, or "" for another run.
    pub fn course_of_run(&self, run_id: i64) -> &str {
        self.figures
            .runs
            .iter()
            .find(|(run, _)| run.id.get() == run_id)
            .map(|(run, _)| self.course_title(&run.course_id))
            .unwrap_or_default()
    }
}

fn institution_name(conn: &mut DbConnection, id: InstitutionId) -> AppResult<String> {
    Ok(institutions::find(conn, id)?.map(|i| i.name).unwrap_or_default())
}
