//! The reports page for coordinators (their institution) and administrators (all
//! institutions), its server-drawn chart and its CSV exports.

use std::collections::BTreeMap;

use actix_web::{web, HttpResponse};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::{CourseFigures, DeliveredFigures, GainFigures, GroupFigures, RunFigures, StalledLearner, TrainedFigures};
use crate::accounts::guard::ReportReader;
use crate::accounts::model::{Role, User};
use crate::courses::reading::course_title;
use crate::db::{DbConnection, DbPool};
use crate::enrolment::RunRow;
use crate::error::{AppError, AppResult};
use crate::i18n::{self, label, Locale};
use crate::institutions::{self, InstitutionId};
use crate::validation::FieldErrors;
use crate::web::context::RequestContext;
use crate::web::export::{self, export_failed};
use crate::web::render;
use crate::web::AppState;

const DEFAULT_DAYS: u16 = 14;
const MAX_DAYS: u16 = 365;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/reports", web::get().to(page))
        .route("/reports/{file}", web::get().to(export));
}

#[derive(Deserialize)]
struct WindowQuery {
    days: Option<String>,
}

/// The activity window in days from `?days=`, or the field error to show.
fn parse_days(raw: Option<&str>) -> Result<u16, FieldErrors> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(DEFAULT_DAYS);
    };
    match raw.parse::<u16>() {
        Ok(days) if (1..=MAX_DAYS).contains(&days) => Ok(days),
        _ => {
            let mut errors = FieldErrors::new();
            errors.add_with("days", "reports.days_invalid", vec![("max", MAX_DAYS.to_string())]);
            Err(errors)
        }
    }
}

/// Everything a report shows, in the reader's language.
struct Report {
    /// Read by a programme observer: small figures are hidden.
    observer: bool,
    runs: Vec<(RunRow, RunFigures)>,
    courses: Vec<(String, CourseFigures)>,
    groups: Vec<GroupFigures>,
    gains: Vec<GainFigures>,
    trainers: Vec<(String, i64)>,
    delivered: Vec<DeliveredFigures>,
    trained: Vec<TrainedFigures>,
    stalled: Vec<StalledLearner>,
    stalled_total: i64,
    titles: Vec<(i64, String, String)>,
}

/// Builds the report a user may read. Observers get aggregates only: no stalled list
/// (it names people) and no run or group of fewer than [`super::MIN_GROUP`] people.
fn build_report(pool: &DbPool, user: &User, days: u16, locale: Locale, limit: Option<i64>) -> AppResult<Report> {
    let now = Utc::now().naive_utc();
    let super::Figures {
        runs,
        mut groups,
        mut gains,
        mut trainers,
        mut trained,
        stalled,
        stalled_total,
    } = super::compute(pool, user, now, days, limit)?;
    let mut runs = runs;
    let observer = user.role == Role::Observer;
    // Totals over courses and phases count every run; what is too small to show is
    // decided on the totals.
    let delivered = super::delivered(&runs, now.date());
    let mut course_rows = super::course_figures(&runs);
    if observer {
        let large = |people: i64| people >= super::MIN_GROUP;
        runs.retain(|(_, f)| large(f.enrolled));
        course_rows.retain(|c| large(c.enrolled));
        groups.retain(|g| large(g.enrolled));
        gains.retain(|g| {
            (g.pre_test.is_none() || large(g.pre_takers)) && (g.post_test.is_none() || large(g.post_takers))
        });
        trainers.retain(|(_, n)| large(*n));
        trained.retain(|t| large(t.trained));
    }
    let conn = &mut pool.get()?;
    // Many runs share a course and an institution: look each up once.
    let mut courses: BTreeMap<String, String> = BTreeMap::new();
    let mut institutions: BTreeMap<InstitutionId, String> = BTreeMap::new();
    let mut titles = Vec::with_capacity(runs.len());
    for (run, _) in &runs {
        if !courses.contains_key(&run.course_id) {
            let title = course_title(conn, &run.course_id, locale)?;
            courses.insert(run.course_id.clone(), title);
        }
        if let std::collections::btree_map::Entry::Vacant(entry) = institutions.entry(run.institution_id) {
            entry.insert(institution_name(conn, run.institution_id)?);
        }
        titles.push((
            run.id,
            courses.get(&run.course_id).cloned().unwrap_or_default(),
            institutions.get(&run.institution_id).cloned().unwrap_or_default(),
        ));
    }
    let mut course_titles = Vec::with_capacity(course_rows.len());
    for figures in course_rows {
        let title = match courses.get(&figures.course_id) {
            Some(title) => title.clone(),
            None => course_title(conn, &figures.course_id, locale)?,
        };
        course_titles.push((title, figures));
    }
    Ok(Report {
        observer,
        runs,
        courses: course_titles,
        groups,
        gains,
        trainers,
        delivered,
        trained,
        stalled,
        stalled_total,
        titles,
    })
}

fn institution_name(conn: &mut DbConnection, id: InstitutionId) -> AppResult<String> {
    Ok(institutions::find(conn, id)?.map(|i| i.name).unwrap_or_default())
}

/// A value in a report table: its text for the reader, and for figures the number
/// that a spreadsheet should calculate with.
#[derive(Clone, Serialize)]
struct Cell {
    text: String,
    #[serde(skip)]
    figure: Option<Figure>,
}

#[derive(Clone, Copy)]
enum Figure {
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

    /// In place of a figure an observer may not see: it would point at fewer than
    /// [`super::MIN_GROUP`] people.
    fn hidden() -> Cell {
        Cell::text("—")
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
}

/// One row of a report table.
#[derive(Serialize)]
struct Row {
    cells: Vec<Cell>,
}

/// A table as the page shows it and the exports write it.
#[derive(Serialize)]
struct Table {
    name: &'static str,
    headings: Vec<String>,
    rows: Vec<Row>,
    /// Set when the page shows only the first rows; the exports have them all.
    shortened: Option<String>,
}

/// The most stalled learners the page lists, so that it stays light on a slow
/// connection; the exports list them all.
const PAGE_ROWS: i64 = 200;

fn headings(locale: Locale, keys: &[&str]) -> Vec<String> {
    keys.iter()
        .map(|key| i18n::t(locale, &format!("reports.{key}")))
        .collect()
}

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
}

const OUTCOME_HEADINGS: [&str; 9] = [
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

fn outcome_cells(locale: Locale, outcome: &Outcome) -> Vec<Cell> {
    let counts = outcome.counts.iter().map(|n| Cell::count(*n));
    let rates = outcome.rates.iter().map(|rate| Cell::percent(locale, *rate));
    counts
        .chain(rates)
        .chain(std::iter::once(Cell::points(locale, outcome.gain)))
        .collect()
}

fn runs_table(report: &Report, locale: Locale) -> Table {
    let rows = report
        .runs
        .iter()
        .zip(&report.titles)
        .map(|((run, f), (_, course, institution))| Row {
            cells: [
                vec![
                    Cell::text(course.clone()),
                    Cell::text(institution.clone()),
                    Cell::text(label(locale, "countries", &run.country)),
                    Cell::text(label(locale, "phases", &run.phase)),
                    Cell::text(i18n::format_date_short(run.starts_on)),
                ],
                outcome_cells(locale, &Outcome::of_run(f)),
            ]
            .concat(),
        })
        .collect();
    Table {
        name: "runs",
        headings: headings(
            locale,
            &[
                ["course", "institution", "country", "phase", "starts_on"].as_slice(),
                &OUTCOME_HEADINGS,
            ]
            .concat(),
        ),
        rows,
        shortened: None,
    }
}

fn courses_table(report: &Report, locale: Locale) -> Table {
    let rows = report
        .courses
        .iter()
        .map(|(title, f)| Row {
            cells: [
                vec![Cell::text(title.clone()), Cell::count(f.runs)],
                outcome_cells(locale, &Outcome::of_course(f)),
            ]
            .concat(),
        })
        .collect();
    Table {
        name: "courses",
        headings: headings(locale, &[["course", "runs"].as_slice(), &OUTCOME_HEADINGS].concat()),
        rows,
        shortened: None,
    }
}

fn groups_table(report: &Report, locale: Locale) -> Table {
    let rows = report
        .groups
        .iter()
        .map(|g| Row {
            cells: vec![
                Cell::text(label(locale, "countries", &g.country)),
                Cell::text(label(locale, "categories", &g.category)),
                Cell::text(label(locale, "phases", &g.phase)),
                Cell::count(g.enrolled),
                Cell::count(g.completed),
                Cell::count(g.certified),
                Cell::percent(locale, g.completion_rate()),
            ],
        })
        .collect();
    Table {
        name: "groups",
        headings: headings(
            locale,
            &[
                "country",
                "category",
                "phase",
                "enrolled",
                "completed",
                "certified",
                "completion_rate",
            ],
        ),
        rows,
        shortened: None,
    }
}

fn gain_table(report: &Report, locale: Locale) -> Table {
    let rows = report
        .gains
        .iter()
        .map(|g| Row {
            cells: vec![
                Cell::text(label(locale, "countries", &g.country)),
                Cell::text(label(locale, "categories", &g.category)),
                Cell::percent(locale, g.pre_test),
                Cell::percent(locale, g.post_test),
                Cell::points(locale, g.gain()),
                Cell::count(g.post_tests),
            ],
        })
        .collect();
    Table {
        name: "gain",
        headings: headings(
            locale,
            &["country", "category", "pre_test", "post_test", "gain", "tests_taken"],
        ),
        rows,
        shortened: None,
    }
}

fn trainers_table(report: &Report, locale: Locale) -> Table {
    let rows = report
        .trainers
        .iter()
        .map(|(country, count)| Row {
            cells: vec![Cell::text(label(locale, "countries", country)), Cell::count(*count)],
        })
        .collect();
    Table {
        name: "trainers",
        headings: headings(locale, &["country", "trainers_certified"]),
        rows,
        shortened: None,
    }
}

fn delivered_table(report: &Report, locale: Locale) -> Table {
    let rows = report
        .delivered
        .iter()
        .map(|d| Row {
            cells: vec![
                Cell::text(label(locale, "phases", &d.phase)),
                Cell::text(label(locale, "countries", &d.country)),
                Cell::count(d.runs),
                if report.observer && d.enrolled < super::MIN_GROUP {
                    Cell::hidden()
                } else {
                    Cell::count(d.completed)
                },
            ],
        })
        .collect();
    Table {
        name: "delivered",
        headings: headings(locale, &["phase", "country", "courses_delivered", "learners_completed"]),
        rows,
        shortened: None,
    }
}

fn trained_table(report: &Report, locale: Locale) -> Table {
    let rows = report
        .trained
        .iter()
        .map(|t| {
            // A gender count of one to four would tell an observer about those people.
            let small = |n: i64| (1..super::MIN_GROUP).contains(&n);
            let hide_gender = report.observer && [t.women, t.men, t.not_recorded].into_iter().any(small);
            let gender_cells = if hide_gender {
                vec![Cell::hidden(), Cell::hidden(), Cell::hidden(), Cell::hidden()]
            } else {
                vec![
                    Cell::count(t.women),
                    Cell::count(t.men),
                    Cell::count(t.not_recorded),
                    Cell::percent(locale, t.share_of_women()),
                ]
            };
            let group = vec![
                Cell::text(label(locale, "countries", &t.country)),
                Cell::text(label(locale, "categories", &t.category)),
                Cell::count(t.trained),
            ];
            Row {
                cells: [group, gender_cells].concat(),
            }
        })
        .collect();
    Table {
        name: "trained",
        headings: headings(
            locale,
            &[
                "country",
                "category",
                "trained",
                "women",
                "men",
                "gender_not_recorded",
                "share_women",
            ],
        ),
        rows,
        shortened: None,
    }
}

fn stalled_table(report: &Report, locale: Locale) -> Table {
    let rows: Vec<Row> = report
        .stalled
        .iter()
        .map(|s| {
            let course = report
                .titles
                .iter()
                .find(|(run_id, ..)| *run_id == s.run_id)
                .map(|(_, course, _)| course.clone())
                .unwrap_or_default();
            Row {
                cells: vec![
                    Cell::text(s.name.clone()),
                    Cell::text(s.email.clone()),
                    Cell::text(course),
                    Cell::text(
                        s.last_activity
                            .map(|at| i18n::format_date(locale, at.date()))
                            .unwrap_or_else(|| i18n::t(locale, "reports.never")),
                    ),
                ],
            }
        })
        .collect();
    let shown = rows.len();
    Table {
        name: "stalled",
        headings: headings(locale, &["learner", "email", "course", "last_activity"]),
        rows,
        shortened: (i64::try_from(shown).unwrap_or(i64::MAX) < report.stalled_total).then(|| {
            i18n::t_with(
                locale,
                "reports.shortened",
                &[
                    ("shown", &shown.to_string()),
                    ("total", &report.stalled_total.to_string()),
                ],
            )
        }),
    }
}

/// A horizontal bar of a chart, in the chart's own units.
#[derive(Serialize)]
struct Bar {
    label: String,
    value: String,
    width: f64,
    y: usize,
    /// A modifier of the bar's style, such as "pre" for pre-test bars; may be empty.
    kind: &'static str,
}

/// A bar chart of percentages, drawn by the template as SVG.
#[derive(Serialize)]
struct Chart {
    name: &'static str,
    title: String,
    description: String,
    bars: Vec<Bar>,
    height: usize,
}

impl Chart {
    /// A chart of `(label, per cent, kind)` values, one bar each.
    fn of(name: &'static str, locale: Locale, values: Vec<(String, f64, &'static str)>) -> Chart {
        let bars: Vec<Bar> = values
            .into_iter()
            .enumerate()
            .map(|(i, (label, value, kind))| Bar {
                label,
                value: i18n::format_percent(locale, value),
                width: value.clamp(0.0, 100.0) / 100.0 * PLOT_WIDTH,
                y: i * BAR_PITCH,
                kind,
            })
            .collect();
        Chart {
            name,
            title: i18n::t(locale, &format!("reports.{name}_chart_title")),
            description: i18n::t(locale, &format!("reports.{name}_chart_description")),
            height: bars.len() * BAR_PITCH,
            bars,
        }
    }
}

const BAR_PITCH: usize = 28;
/// The width of a bar at 100 %, leaving room for the value at the right.
const PLOT_WIDTH: f64 = 560.0;

fn completion_chart(report: &Report, locale: Locale) -> Chart {
    let values = report
        .runs
        .iter()
        .zip(&report.titles)
        .filter_map(|((run, f), (_, course, _))| {
            let label = format!("{course} · {}", i18n::format_date_short(run.starts_on));
            Some((label, f.completion_rate()?, ""))
        })
        .collect();
    Chart::of("completion", locale, values)
}

/// Pre-test and final-test means per country, one pair of bars each.
fn gain_chart(report: &Report, locale: Locale) -> Chart {
    let pre = i18n::t(locale, "reports.pre_test");
    let post = i18n::t(locale, "reports.post_test");
    let mut values = Vec::new();
    for g in super::gain_per_country(&report.gains) {
        let country = label(locale, "countries", &g.country);
        if let Some(mean) = g.pre_test {
            values.push((format!("{country} · {pre}"), mean, "pre"));
        }
        if let Some(mean) = g.post_test {
            values.push((format!("{country} · {post}"), mean, ""));
        }
    }
    Chart::of("gain", locale, values)
}

async fn page(
    state: web::Data<AppState>,
    ctx: RequestContext,
    query: web::Query<WindowQuery>,
    ReportReader(user): ReportReader,
) -> AppResult<HttpResponse> {
    let observer = user.role == Role::Observer;
    let locale = ctx.locale;
    let parsed = parse_days(query.days.as_deref());
    let days = parsed.as_ref().copied().unwrap_or(DEFAULT_DAYS);
    let report = state
        .with_pool(move |pool| build_report(pool, &user, days, locale, Some(PAGE_ROWS)))
        .await?;
    let mut page = render::base_context(&state, &ctx);
    if let Err(errors) = &parsed {
        render::with_errors(&mut page, errors, locale);
    }
    page.insert("days", &query.days.clone().unwrap_or_else(|| days.to_string()));
    page.insert("window", &days);
    page.insert(
        "charts",
        &[completion_chart(&report, locale), gain_chart(&report, locale)],
    );
    let mut tables = vec![
        runs_table(&report, locale),
        courses_table(&report, locale),
        groups_table(&report, locale),
        gain_table(&report, locale),
        trainers_table(&report, locale),
        delivered_table(&report, locale),
        trained_table(&report, locale),
    ];
    if !observer {
        tables.push(stalled_table(&report, locale));
    }
    page.insert("tables", &tables);
    page.insert("observer", &observer);
    // Observers see no stalled list, so their hint does not mention one.
    page.insert(
        "days_hint",
        if observer {
            "reports.days_hint_observer"
        } else {
            "reports.days_hint"
        },
    );
    render::page(&state, "reports/index.html", &page)
}

/// `/reports/<runs|courses|groups|gain|trainers|delivered|trained|stalled>.<csv|xlsx>`. CSV is UTF-8 with a byte-order mark,
/// so that spreadsheet programs open Cyrillic and Uzbek/Turkmen Latin correctly; XLSX
/// keeps figures as numbers.
async fn export(
    state: web::Data<AppState>,
    ctx: RequestContext,
    file: web::Path<String>,
    query: web::Query<WindowQuery>,
    ReportReader(user): ReportReader,
) -> AppResult<HttpResponse> {
    let locale = ctx.locale;
    let (name, extension) = file.rsplit_once('.').ok_or(AppError::NotFound)?;
    let pick: fn(&Report, Locale) -> Table = match name {
        "runs" => runs_table,
        "courses" => courses_table,
        "groups" => groups_table,
        "gain" => gain_table,
        "trainers" => trainers_table,
        "delivered" => delivered_table,
        "trained" => trained_table,
        "stalled" if user.role != Role::Observer => stalled_table,
        _ => return Err(AppError::NotFound),
    };
    let (content_type, write): (&str, Writer) = match extension {
        "csv" => (export::CSV, csv_bytes),
        "xlsx" => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            xlsx_bytes,
        ),
        _ => return Err(AppError::NotFound),
    };
    let days = parse_days(query.days.as_deref()).unwrap_or(DEFAULT_DAYS);
    let report = state
        .with_pool(move |pool| build_report(pool, &user, days, locale, None))
        .await?;
    let table = pick(&report, locale);
    let bytes = write(&table)?;
    let filename = format!("bilim-{}-{}.{extension}", table.name, Utc::now().date_naive());
    Ok(export::attachment(content_type, &filename, bytes))
}

/// Writes a table in one export format.
type Writer = fn(&Table) -> AppResult<Vec<u8>>;

fn csv_bytes(table: &Table) -> AppResult<Vec<u8>> {
    export::csv_document(
        &table.headings,
        table
            .rows
            .iter()
            .map(|row| row.cells.iter().map(|cell| cell.text.as_str())),
    )
}

/// One worksheet with a bold heading row; figures are numbers (percentages as
/// fractions with a percent format), everything else text, so no cell is a formula.
fn xlsx_bytes(table: &Table) -> AppResult<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut workbook = Workbook::new();
    let heading = Format::new().set_bold();
    let percent = Format::new().set_num_format("0.0%");
    let points = Format::new().set_num_format("+0.0;-0.0;0.0");
    let sheet = workbook.add_worksheet();
    sheet.set_name(table.name).map_err(export_failed)?;
    for (col, text) in (0_u16..).zip(&table.headings) {
        sheet
            .write_string_with_format(0, col, text, &heading)
            .map_err(export_failed)?;
    }
    for (row_index, row) in (1_u32..).zip(&table.rows) {
        for (col, cell) in (0_u16..).zip(&row.cells) {
            match cell.figure {
                #[allow(clippy::cast_precision_loss)]
                Some(Figure::Count(n)) => sheet.write_number(row_index, col, n as f64),
                Some(Figure::Percent(v)) => sheet.write_number_with_format(row_index, col, v / 100.0, &percent),
                Some(Figure::Points(v)) => sheet.write_number_with_format(row_index, col, v, &points),
                None => sheet.write_string(row_index, col, &cell.text),
            }
            .map_err(export_failed)?;
        }
    }
    sheet.autofit();
    workbook.save_to_buffer().map_err(export_failed)
}
