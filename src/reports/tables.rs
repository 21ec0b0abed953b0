//! The report tables: [`TABLES`] lists every one, with its columns, who may see it and
//! how its rows are built, so the page and the exports both take their tables from it.

use serde::Serialize;

use super::privacy::Audience;
use super::report::Report;
use super::{CourseFigures, RunFigures};
use crate::i18n::{self, label, Locale};

/// One table of the reports page and of its downloads.
pub struct TableSpec {
    /// Names the table in the page's anchors, in its download's address and file name,
    /// and in the locale keys of its heading (`reports.table_<name>`) and explanation
    /// (`reports.explained_<name>`).
    pub name: &'static str,
    /// Locale keys under `reports.` of the column headings, one per cell of a row, in
    /// groups that several tables may share.
    columns: &'static [&'static [&'static str]],
    /// The table lists people by name, which only some audiences may see.
    names_people: bool,
    rows: fn(&Report, Locale) -> Vec<Row>,
    /// How many rows there are in all, for a table the page may shorten.
    total: Option<fn(&Report) -> i64>,
    /// For a wide table, the columns the page shows at first (the rest are a click
    /// away, and in the downloads); empty when every column is shown.
    key_columns: &'static [&'static str],
}

/// Every report table, in the order the page shows them.
pub const TABLES: &[TableSpec] = &[
    TableSpec {
        name: "runs",
        columns: &[
            &["course", "institution", "country", "phase", "starts_on"],
            &OUTCOME_COLUMNS,
        ],
        names_people: false,
        rows: runs_rows,
        total: None,
        key_columns: &[
            "course",
            "starts_on",
            "enrolled",
            "completed",
            "completion_rate",
            "average_score",
        ],
    },
    TableSpec {
        name: "courses",
        columns: &[&["course", "runs"], &OUTCOME_COLUMNS],
        names_people: false,
        rows: courses_rows,
        total: None,
        key_columns: &[
            "course",
            "enrolled",
            "completed",
            "completion_rate",
            "average_score",
            "gain",
        ],
    },
    TableSpec {
        name: "groups",
        columns: &[&[
            "country",
            "category",
            "phase",
            "enrolled",
            "completed",
            "certified",
            "completion_rate",
        ]],
        names_people: false,
        rows: groups_rows,
        total: None,
        key_columns: &[],
    },
    TableSpec {
        name: "gain",
        columns: &[&["country", "category", "pre_test", "post_test", "gain", "tests_taken"]],
        names_people: false,
        rows: gain_rows,
        total: None,
        key_columns: &[],
    },
    TableSpec {
        name: "trainers",
        columns: &[&["country", "trainers_certified"]],
        names_people: false,
        rows: trainers_rows,
        total: None,
        key_columns: &[],
    },
    TableSpec {
        name: "delivered",
        columns: &[&["phase", "country", "courses_delivered", "learners_completed"]],
        names_people: false,
        rows: delivered_rows,
        total: None,
        key_columns: &[],
    },
    TableSpec {
        name: "trained",
        columns: &[&[
            "country",
            "category",
            "trained",
            "women",
            "men",
            "gender_not_recorded",
            "share_women",
        ]],
        names_people: false,
        rows: trained_rows,
        total: None,
        key_columns: &[],
    },
    TableSpec {
        name: "stalled",
        columns: &[&["learner", "email", "course", "last_activity"]],
        names_people: true,
        rows: stalled_rows,
        total: Some(|report| report.figures.stalled_total),
        key_columns: &[],
    },
];

/// The tables `audience` may see, in the page's order.
pub fn tables_for(audience: Audience) -> impl Iterator<Item = &'static TableSpec> {
    TABLES.iter().filter(move |spec| spec.visible_to(audience))
}

/// The table called `name`, if `audience` may see it.
pub fn find(name: &str, audience: Audience) -> Option<&'static TableSpec> {
    tables_for(audience).find(|spec| spec.name == name)
}

impl TableSpec {
    fn visible_to(&self, audience: Audience) -> bool {
        !self.names_people || audience.sees_people()
    }

    pub fn build(&self, report: &Report, locale: Locale) -> Table {
        let rows = (self.rows)(report, locale);
        let columns: Vec<&str> = self.columns.concat();
        debug_assert!(
            rows.iter().all(|row| row.cells.len() == columns.len()),
            "every row of the {} table has a cell per column",
            self.name
        );
        let shown = i64::try_from(rows.len()).unwrap_or(i64::MAX);
        let shortened = self
            .total
            .map(|total| total(report))
            .filter(|total| shown < *total)
            .map(|total| {
                i18n::t_with(
                    locale,
                    "reports.shortened",
                    &[("shown", &shown.to_string()), ("total", &total.to_string())],
                )
            });
        let key: Vec<bool> = columns
            .iter()
            .map(|c| self.key_columns.is_empty() || self.key_columns.contains(c))
            .collect();
        Table {
            name: self.name,
            has_more: key.contains(&false),
            key,
            headings: columns
                .iter()
                .map(|key| i18n::t(locale, &format!("reports.{key}")))
                .collect(),
            rows,
            shortened,
        }
    }
}

/// A table as the page shows it and the exports write it.
#[derive(Serialize)]
pub struct Table {
    pub name: &'static str,
    pub headings: Vec<String>,
    pub rows: Vec<Row>,
    /// Set when the page shows only the first rows; the exports have them all.
    pub shortened: Option<String>,
    /// Per column, whether the page shows it at first.
    pub key: Vec<bool>,
    /// Some columns are shown only on request.
    pub has_more: bool,
}

/// One row of a report table.
#[derive(Serialize)]
pub struct Row {
    pub cells: Vec<Cell>,
}

/// A value in a report table: its text for the reader, and for figures the number
/// that a spreadsheet should calculate with.
#[derive(Clone, Serialize)]
pub struct Cell {
    pub text: String,
    #[serde(skip)]
    pub figure: Option<Figure>,
}

#[derive(Clone, Copy)]
pub enum Figure {
    Count(i64),
    Percent(f64),
    Points(f64),
}

impl Cell {
    fn text(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            figure: None,
        }
    }

    fn count(n: i64) -> Cell {
        Cell {
            text: n.to_string(),
            figure: Some(Figure::Count(n)),
        }
    }

    fn percent(locale: Locale, value: Option<f64>) -> Cell {
        match value {
            Some(v) => Cell {
                text: i18n::format_percent(locale, v),
                figure: Some(Figure::Percent(v)),
            },
            None => Cell::text("—"),
        }
    }

    fn points(locale: Locale, value: Option<f64>) -> Cell {
        match value {
            Some(v) => Cell {
                text: i18n::format_points(locale, v),
                figure: Some(Figure::Points(v)),
            },
            None => Cell::text("—"),
        }
    }

    /// In place of a figure the reader's audience may not see (see
    /// [`super::privacy`]).
    fn hidden() -> Cell {
        Cell::text("—")
    }
}

/// The columns of [`Outcome::cells`].
const OUTCOME_COLUMNS: [&str; 9] = [
    "enrolled",
    "active",
    "completed",
    "certified",
    "completion_rate",
    "average_score",
    "pre_test",
    "post_test",
    "gain",
];

/// What the runs and the courses tables both report, in the same columns.
struct Outcome {
    counts: [i64; 4],
    rates: [Option<f64>; 4],
    gain: Option<f64>,
}

impl Outcome {
    fn of_run(f: &RunFigures) -> Outcome {
        Outcome {
            counts: [f.enrolled, f.active, f.completed, f.certified],
            rates: [f.completion_rate(), f.average_score, f.pre_test, f.post_test],
            gain: f.gain(),
        }
    }

    fn of_course(f: &CourseFigures) -> Outcome {
        Outcome {
            counts: [f.enrolled, f.active, f.completed, f.certified],
            rates: [f.completion_rate(), f.average_score, f.pre_test, f.post_test],
            gain: f.gain(),
        }
    }

    /// Cells for the columns [`OUTCOME_COLUMNS`]; `hides` says which counts are "—"
    /// for the reader, and the completion rate goes with the completions.
    fn cells(&self, locale: Locale, hides: impl Fn(&str) -> bool) -> Vec<Cell> {
        let counts =
            OUTCOME_COLUMNS
                .iter()
                .zip(self.counts)
                .map(|(column, n)| if hides(column) { Cell::hidden() } else { Cell::count(n) });
        let rates = self.rates.iter().enumerate().map(|(i, rate)| {
            if i == 0 && hides("completed") {
                Cell::hidden()
            } else {
                Cell::percent(locale, *rate)
            }
        });
        counts
            .chain(rates)
            .chain(std::iter::once(Cell::points(locale, self.gain)))
            .collect()
    }
}

/// One row for each of `items`, with the cells `cells` makes of its index and it.
fn rows<T>(items: &[T], cells: impl Fn(usize, &T) -> Vec<Cell>) -> Vec<Row> {
    items
        .iter()
        .enumerate()
        .map(|(i, item)| Row { cells: cells(i, item) })
        .collect()
}

/// A count of people, or "—" where the reader may not see it (see [`super::privacy`]).
fn people(report: &Report, table: &str, row: usize, column: &str, count: i64) -> Cell {
    if report.figures.hides(table, row, column) {
        Cell::hidden()
    } else {
        Cell::count(count)
    }
}

fn runs_rows(report: &Report, locale: Locale) -> Vec<Row> {
    rows(&report.figures.runs, |i, (run, f)| {
        [
            vec![
                Cell::text(report.course_title(&run.course_id)),
                Cell::text(report.institution_name(run.institution_id)),
                Cell::text(label(locale, "countries", run.country.code())),
                Cell::text(label(locale, "phases", run.phase.code())),
                Cell::text(i18n::format_date_short(run.starts_on)),
            ],
            Outcome::of_run(f).cells(locale, |column| report.figures.hides("runs", i, column)),
        ]
        .concat()
    })
}

fn courses_rows(report: &Report, locale: Locale) -> Vec<Row> {
    rows(&report.figures.courses, |i, f| {
        [
            vec![Cell::text(report.course_title(&f.course_id)), Cell::count(f.runs)],
            Outcome::of_course(f).cells(locale, |column| report.figures.hides("courses", i, column)),
        ]
        .concat()
    })
}

fn groups_rows(report: &Report, locale: Locale) -> Vec<Row> {
    rows(&report.figures.groups, |i, g| {
        let completed = people(report, "groups", i, "completed", g.completed);
        let rate = if completed.figure.is_some() {
            Cell::percent(locale, g.completion_rate())
        } else {
            Cell::hidden()
        };
        vec![
            Cell::text(label(locale, "countries", &g.country)),
            Cell::text(label(locale, "categories", &g.category)),
            Cell::text(label(locale, "phases", &g.phase)),
            Cell::count(g.enrolled),
            completed,
            people(report, "groups", i, "certified", g.certified),
            rate,
        ]
    })
}

fn gain_rows(report: &Report, locale: Locale) -> Vec<Row> {
    rows(&report.figures.gains, |_, g| {
        vec![
            Cell::text(label(locale, "countries", &g.country)),
            Cell::text(label(locale, "categories", &g.category)),
            Cell::percent(locale, g.pre_test),
            Cell::percent(locale, g.post_test),
            Cell::points(locale, g.gain()),
            Cell::count(g.post_tests),
        ]
    })
}

fn trainers_rows(report: &Report, locale: Locale) -> Vec<Row> {
    rows(&report.figures.trainers, |_, (country, count)| {
        vec![Cell::text(label(locale, "countries", country)), Cell::count(*count)]
    })
}

fn delivered_rows(report: &Report, locale: Locale) -> Vec<Row> {
    rows(&report.figures.delivered, |i, d| {
        vec![
            Cell::text(label(locale, "phases", &d.phase)),
            Cell::text(label(locale, "countries", &d.country)),
            Cell::count(d.runs),
            people(report, "delivered", i, "learners_completed", d.completed),
        ]
    })
}

fn trained_rows(report: &Report, locale: Locale) -> Vec<Row> {
    rows(&report.figures.trained, |i, t| {
        let women = people(report, "trained", i, "women", t.women);
        let men = people(report, "trained", i, "men", t.men);
        // The share of women with the men's count would give the women's, and back.
        let share = if women.figure.is_some() && men.figure.is_some() {
            Cell::percent(locale, t.share_of_women())
        } else {
            Cell::hidden()
        };
        vec![
            Cell::text(label(locale, "countries", &t.country)),
            Cell::text(label(locale, "categories", &t.category)),
            Cell::count(t.trained),
            women,
            men,
            people(report, "trained", i, "gender_not_recorded", t.not_recorded),
            share,
        ]
    })
}

fn stalled_rows(report: &Report, locale: Locale) -> Vec<Row> {
    rows(&report.figures.stalled, |_, s| {
        vec![
            Cell::text(s.name.clone()),
            Cell::text(s.email.clone()),
            Cell::text(report.course_of_run(s.run_id)),
            Cell::text(
                s.last_activity
                    .map(|at| i18n::format_date(locale, at.date()))
                    .unwrap_or_else(|| i18n::t(locale, "reports.never")),
            ),
        ]
    })
}
