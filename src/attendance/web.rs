//! The register pages: a trainer's runs, a run's in-person days with each learner's
//! attendance, and the register of one day.

use actix_web::{web, HttpResponse};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::{LearnerAttendance, RegisterLine, Session, SessionInput};
use crate::accounts::guard::SignedIn;
use crate::accounts::model::UserId;
use crate::app::AppState;
use crate::enrolment;
use crate::enrolment::web::{run_view, RunView};
use crate::enrolment::RunId;
use crate::error::{AppError, AppResult};
use crate::i18n;
use crate::validation::FieldErrors;
use crate::web::context::RequestContext;
use crate::web::export;
use crate::web::forms::{CsrfForm, CsrfOnly};
use crate::web::render;
use crate::web::{path_id, see_other};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/teaching", web::get().to(teaching_page))
        .route("/runs/{run}/attendance", web::get().to(run_page))
        .route("/runs/{run}/attendance.csv", web::get().to(register_csv))
        .route("/runs/{run}/attendance/days", web::post().to(add_day))
        .route("/runs/{run}/attendance/days/{day}", web::get().to(day_page))
        .route("/runs/{run}/attendance/days/{day}", web::post().to(save_register))
        .route("/runs/{run}/attendance/days/{day}/delete", web::post().to(delete_day));
}

/// What `attendance/teaching.html` shows: the runs the trainer teaches.
#[derive(Serialize)]
struct TeachingPage {
    runs: Vec<RunView>,
}

async fn teaching_page(
    state: web::Data<AppState>,
    ctx: RequestContext,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let locale = ctx.locale;
    let runs = state
        .db(move |conn| {
            enrolment::runs_taught_by(conn, user.id)?
                .iter()
                .map(|run| run_view(conn, run, locale))
                .collect::<AppResult<Vec<_>>>()
        })
        .await?;
    render::view(&state, &ctx, "attendance/teaching.html", &TeachingPage { runs })
}

#[derive(Serialize)]
struct DayLine {
    id: i64,
    date: String,
    topic: String,
    present: usize,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RunPageQuery {
    done: Option<String>,
    error: Option<String>,
}

/// Notices the run page shows after a redirect; only known keys are shown.
fn notice_of(done: Option<&str>) -> Option<&'static str> {
    match done {
        Some("added") => Some("attendance.day_added"),
        Some("saved") => Some("attendance.register_saved"),
        Some("deleted") => Some("attendance.day_deleted"),
        _ => None,
    }
}

async fn run_page(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
    query: web::Query<RunPageQuery>,
) -> AppResult<HttpResponse> {
    let run_id = path_id(&path)?;
    let error = query
        .error
        .as_deref()
        .filter(|key| *key == "attendance.delete_recorded")
        .map(str::to_owned);
    let notice = notice_of(query.done.as_deref());
    run_page_with(&state, &ctx, run_id, &SessionInput::default(), None, notice, error).await
}

/// What `attendance/run.html` shows: the run's days, each learner's attendance and
/// the form that adds a day.
#[derive(Serialize)]
struct RunAttendancePage<'a> {
    held: usize,
    run: RunView,
    days: Vec<DayLine>,
    learners: Vec<LearnerAttendance>,
    form: &'a SessionInput,
    notice: Option<String>,
    error: Option<String>,
}

async fn run_page_with(
    state: &AppState,
    ctx: &RequestContext,
    run_id: RunId,
    form: &SessionInput,
    errors: Option<&FieldErrors>,
    notice: Option<&str>,
    error: Option<String>,
) -> AppResult<HttpResponse> {
    let user = ctx.user()?.clone();
    let locale = ctx.locale;
    let (heading, days, learners) = state
        .db(move |conn| {
            let run = super::find_run_for_register(conn, &user, run_id)?;
            let sessions = super::sessions_of(conn, run.id)?;
            let present = super::present_on_days(conn, run.id)?;
            let days: Vec<DayLine> = sessions
                .iter()
                .map(|s| DayLine {
                    id: s.id,
                    date: i18n::format_date(locale, s.held_on),
                    topic: s.topic.clone(),
                    present: present.get(&s.id).map_or(0, Vec::len),
                })
                .collect();
            let held = i64::try_from(sessions.len()).unwrap_or(i64::MAX);
            let learners = super::learners_attendance(conn, &run, held)?;
            Ok((run_view(conn, &run, locale)?, days, learners))
        })
        .await?;
    let page = RunAttendancePage {
        held: days.len(),
        run: heading,
        days,
        learners,
        form,
        notice: notice.map(|key| i18n::t(locale, key)),
        error: error.map(|key| i18n::t(locale, &key)),
    };
    render::form_view(state, ctx, "attendance/run.html", &page, errors)
}

async fn add_day(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<SessionInput>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let run_id = path_id(&path)?;
    let input = form.clone();
    let outcome = state
        .db(move |conn| {
            let run = super::find_run_for_register(conn, &user, run_id)?;
            super::add_session(conn, &user, &run, &input)
        })
        .await;
    match outcome {
        Ok(_) => Ok(see_other(format!("/runs/{run_id}/attendance?done=added"))),
        Err(AppError::Invalid(errors)) => run_page_with(&state, &ctx, run_id, &form, Some(&errors), None, None).await,
        Err(other) => Err(other),
    }
}

/// What `attendance/day.html` shows: one day's register.
#[derive(Serialize)]
struct DayPage {
    run: RunView,
    day_id: i64,
    date: String,
    topic: String,
    lines: Vec<RegisterLine>,
}

async fn day_page(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<(String, String)>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let (run_id, day_id) = (path_id(&path.0)?, path_id(&path.1)?);
    let locale = ctx.locale;
    let (heading, session, lines): (RunView, Session, Vec<RegisterLine>) = state
        .db(move |conn| {
            let run = super::find_run_for_register(conn, &user, run_id)?;
            let session = super::find_session(conn, run.id, day_id)?;
            let lines = super::register(conn, &run, &session)?;
            Ok((run_view(conn, &run, locale)?, session, lines))
        })
        .await?;
    let page = DayPage {
        run: heading,
        day_id: session.id,
        date: i18n::format_date(locale, session.held_on),
        topic: session.topic,
        lines,
    };
    render::view(&state, &ctx, "attendance/day.html", &page)
}

/// The ticked learners of a register form; anything but a number is a bad request.
fn present_ids(pairs: &[(String, String)]) -> AppResult<Vec<UserId>> {
    pairs
        .iter()
        .filter(|(name, _)| name == "present")
        .map(|(_, value)| {
            value
                .trim()
                .parse()
                .map_err(|_| AppError::BadRequest("errors.bad_request"))
        })
        .collect()
}

async fn save_register(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let (run_id, day_id) = (path_id(&path.0)?, path_id(&path.1)?);
    let present = present_ids(&pairs)?;
    state
        .db(move |conn| {
            let run = super::find_run_for_register(conn, &user, run_id)?;
            let session = super::find_session(conn, run.id, day_id)?;
            super::record(conn, &user, &run, &session, &present, Utc::now().naive_utc())
        })
        .await?;
    Ok(see_other(format!("/runs/{run_id}/attendance?done=saved")))
}

async fn delete_day(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    _form: CsrfOnly,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let (run_id, day_id) = (path_id(&path.0)?, path_id(&path.1)?);
    let outcome = state
        .db(move |conn| {
            let run = super::find_run_for_register(conn, &user, run_id)?;
            super::delete_session(conn, &run, day_id)
        })
        .await;
    match outcome {
        Ok(()) => Ok(see_other(format!("/runs/{run_id}/attendance?done=deleted"))),
        Err(AppError::Conflict(super::DELETE_RECORDED)) => Ok(see_other(format!(
            "/runs/{run_id}/attendance?error={}",
            super::DELETE_RECORDED
        ))),
        Err(other) => Err(other),
    }
}

/// `/runs/<id>/attendance.csv`: the whole register for the institution's records, a
/// row per learner and a column per day (1 present, 0 absent), then the days attended
/// and, when the run requires attendance, whether the learner meets it.
async fn register_csv(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let run_id = path_id(&path)?;
    let locale = ctx.locale;
    let (run, sessions, present, learners) = state
        .db(move |conn| {
            let run = super::find_run_for_register(conn, &user, run_id)?;
            let sessions = super::sessions_of(conn, run.id)?;
            let present = super::present_on_days(conn, run.id)?;
            let held = i64::try_from(sessions.len()).unwrap_or(i64::MAX);
            let learners = super::learners_attendance(conn, &run, held)?;
            Ok((run, sessions, present, learners))
        })
        .await?;
    let mut headings = vec![i18n::t(locale, "accounts.full_name"), i18n::t(locale, "accounts.email")];
    headings.extend(sessions.iter().map(|s| i18n::format_date_short(s.held_on)));
    headings.push(i18n::t(locale, "attendance.days_attended"));
    if run.min_attendance.is_some() {
        headings.push(i18n::t(locale, "attendance.requirement_met"));
    }
    let rows = learners.iter().map(|learner| {
        let mut row = vec![learner.name.clone(), learner.email.clone()];
        row.extend(sessions.iter().map(|s| {
            let was_there = present.get(&s.id).is_some_and(|ids| ids.contains(&learner.user_id));
            if was_there { "1" } else { "0" }.to_owned()
        }));
        row.push(learner.attended.to_string());
        if let Some(meets) = learner.meets {
            row.push(i18n::t(locale, if meets { "attendance.yes" } else { "attendance.no" }));
        }
        row
    });
    let bytes = export::csv_document(&headings, rows)?;
    let filename = format!("bilim-attendance-run-{}-{}.csv", run.id, Utc::now().date_naive());
    Ok(export::attachment(export::CSV, &filename, bytes))
}
