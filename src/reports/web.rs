//! The reports page for coordinators (their institution), administrators (all
//! institutions) and programme observers (aggregates), and its table downloads.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::chart;
use super::export::FileType;
use super::privacy::Audience;
use super::report::Report;
use super::tables;
use crate::accounts::guard::ReportReader;
use crate::app::AppState;
use crate::error::{AppError, AppResult};
use crate::validation::FieldErrors;
use crate::web::context::RequestContext;
use crate::web::render;

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

/// The most stalled learners the page lists, so that it stays light on a slow
/// connection; the exports list them all.
const PAGE_ROWS: i64 = 200;

/// What `reports/index.html` shows.
#[derive(Serialize)]
struct ReportsPage {
    /// The window as typed, so a wrong value is shown back as it was.
    days: String,
    window: u16,
    charts: [chart::Chart; 2],
    tables: Vec<tables::Table>,
    observer: bool,
    days_hint: &'static str,
}

async fn page(
    state: web::Data<AppState>,
    ctx: RequestContext,
    query: web::Query<WindowQuery>,
    ReportReader(user): ReportReader,
) -> AppResult<HttpResponse> {
    let locale = ctx.locale;
    let audience = Audience::of(&user);
    let parsed = parse_days(query.days.as_deref());
    let days = parsed.as_ref().copied().unwrap_or(DEFAULT_DAYS);
    let report = state
        .with_pool(move |pool| Report::build(pool, &user, days, locale, Some(PAGE_ROWS)))
        .await?;
    let page = ReportsPage {
        days: query.days.clone().unwrap_or_else(|| days.to_string()),
        window: days,
        charts: chart::charts(&report, locale),
        tables: tables::tables_for(audience)
            .map(|spec| spec.build(&report, locale))
            .collect(),
        observer: audience == Audience::Aggregates,
        // Only readers who see the stalled list get a hint that mentions it.
        days_hint: if audience.sees_people() {
            "reports.days_hint"
        } else {
            "reports.days_hint_observer"
        },
    };
    let mut context = render::base_context(&state, &ctx);
    context.extend(tera::Context::from_serialize(&page)?);
    // A window that does not parse is shown beside its field while the page keeps
    // the default window's figures, so the page still answers 200.
    if let Err(errors) = &parsed {
        render::with_errors(&mut context, errors, locale);
    }
    render::page(&state, "reports/index.html", &context)
}

/// `/reports/<table>.<csv|xlsx>`, for each table of [`tables::TABLES`] the reader may
/// see, with every row.
async fn export(
    state: web::Data<AppState>,
    ctx: RequestContext,
    file: web::Path<String>,
    query: web::Query<WindowQuery>,
    ReportReader(user): ReportReader,
) -> AppResult<HttpResponse> {
    let locale = ctx.locale;
    let (name, extension) = file.rsplit_once('.').ok_or(AppError::NotFound)?;
    let spec = tables::find(name, Audience::of(&user)).ok_or(AppError::NotFound)?;
    let file_type = FileType::from_extension(extension).ok_or(AppError::NotFound)?;
    let days = parse_days(query.days.as_deref()).unwrap_or(DEFAULT_DAYS);
    let report = state
        .with_pool(move |pool| Report::build(pool, &user, days, locale, None))
        .await?;
    file_type.attachment(&spec.build(&report, locale), locale)
}
