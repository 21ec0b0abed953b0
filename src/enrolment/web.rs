//! Course run pages for learners: they find runs, enrol, answer invitations and
//! withdraw. The
//! coordinators' pages are in `manage.rs`; both are routed here.

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::model::{EnrolmentId, EnrolmentMode, RunId, RunRow, Status};
use super::views::run_views;
pub(crate) use super::views::{run_view, RunView};
use crate::accounts::guard::SignedIn;
use crate::accounts::model::{Role, UserId};
use crate::app::AppState;
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::i18n::{self, label, Locale};
use crate::web::context::RequestContext;
use crate::web::forms::CsrfForm;
use crate::web::render;
use crate::web::{path_id, see_other};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/runs", web::get().to(runs_page))
        .route("/runs/{run}", web::get().to(run_page))
        .route("/runs/{run}/enrol", web::post().to(enrol))
        .route("/runs/{run}/withdraw", web::post().to(withdraw))
        .route("/runs/{run}/accept", web::post().to(accept))
        .route("/runs/{run}/decline", web::post().to(decline));
    super::manage::routes(cfg);
}

/// A run the learner is on, with their status in it.
#[derive(Serialize)]
struct MyEnrolment {
    run: RunView,
    status: String,
}

/// What `runs/list.html` shows.
#[derive(Serialize)]
struct RunsPage {
    open_runs: Vec<RunView>,
    my_enrolments: Vec<MyEnrolment>,
}

/// The learner's runs, their latest enrolment first.
fn my_enrolments(conn: &mut DbConnection, user_id: UserId, locale: Locale) -> AppResult<Vec<MyEnrolment>> {
    let enrolments = super::enrolments_of_user(conn, user_id)?;
    let run_ids: Vec<RunId> = enrolments.iter().map(|e| e.run_id).collect();
    let mut runs_by_id: HashMap<RunId, RunRow> = super::find_runs(conn, &run_ids)?
        .into_iter()
        .map(|run| (run.id, run))
        .collect();
    let (runs, statuses): (Vec<RunRow>, Vec<Status>) = enrolments
        .iter()
        .filter_map(|e| runs_by_id.remove(&e.run_id).map(|run| (run, e.status)))
        .unzip();
    Ok(run_views(conn, &runs, locale)?
        .into_iter()
        .zip(statuses)
        .map(|(run, status)| MyEnrolment {
            run,
            status: label(locale, "enrolment_status", status.code()),
        })
        .collect())
}

async fn runs_page(
    state: web::Data<AppState>,
    ctx: RequestContext,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let locale = ctx.locale;
    let page = state
        .db(move |conn| {
            let today = Utc::now().date_naive();
            let my_enrolments = my_enrolments(conn, user.id, locale)?;
            let taken: Vec<RunId> = my_enrolments.iter().map(|e| e.run.id()).collect();
            let open: Vec<RunRow> = super::visible_runs(conn, &user, today)?
                .into_iter()
                .filter(|run| !taken.contains(&run.id) && super::open_to(run, &user, today))
                .collect();
            Ok(RunsPage {
                open_runs: run_views(conn, &open, locale)?,
                my_enrolments,
            })
        })
        .await?;
    render::view(&state, &ctx, "runs/list.html", &page)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RunPageQuery {
    error: Option<String>,
    done: Option<String>,
}

/// The confirmation for what the learner just did on the run's page (`?done=`): the
/// status their action led to, their withdrawal or answer to an invitation, or the
/// invitation they accepted by setting a password. Shown only while it is still true
/// of their enrolment, so an old or forged address never confirms what is not so.
fn done_notice(done: Option<&str>, status: Option<Status>) -> Option<&'static str> {
    let status = status?;
    let (key, still_true) = match done? {
        "requested" => ("run_page.done_requested", status == Status::Requested),
        "enrolled" => ("run_page.done_enrolled", status == Status::Enrolled),
        "waitlisted" => ("run_page.done_waitlisted", status == Status::Waitlisted),
        "withdrawn" => ("run_page.done_withdrawn", status == Status::Withdrawn),
        "declined" => ("run_page.done_declined", status == Status::Declined),
        "invitation_accepted" => (
            "coordinator_flows.invitation_accepted",
            status.is_admitted() || status.is_active(),
        ),
        _ => return None,
    };
    still_true.then_some(key)
}

/// What `runs/run.html` shows.
#[derive(Serialize)]
struct RunPage {
    run: RunView,
    /// The learner's attendance so far, when they are admitted to a run with a register.
    attendance: Option<String>,
    enrolment_id: Option<EnrolmentId>,
    /// The learner's status in the run, if they have an enrolment.
    status: Option<String>,
    /// Whether the learner holds or waits for a place, and so may withdraw.
    active: bool,
    /// Whether the learner has been invited and has not answered yet.
    invited: bool,
    /// Why the last attempt to enrol failed, in the reader's language.
    error: Option<String>,
    /// What the learner's last action on this page did, in the reader's language.
    notice: Option<String>,
    /// Whether the page offers to enrol or apply: never to someone who holds, waits
    /// for or has completed a place, was turned down, or after the enrolment date.
    may_apply: bool,
    /// The enrolment deadline has passed for someone who could otherwise apply.
    enrolment_closed: bool,
    /// The learner completed the run.
    completed: bool,
    /// The code of the learner's certificate for the run's course, once issued.
    certificate: Option<String>,
}

async fn run_page(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
    query: web::Query<RunPageQuery>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let run_id: RunId = path_id(&path)?;
    let locale = ctx.locale;
    let error = query
        .error
        .as_deref()
        .filter(|e| e.starts_with("runs."))
        .map(|key| i18n::t(locale, key));
    let done = query.done.clone();
    let page = state
        .db(move |conn| {
            let run = super::find_run(conn, run_id)?.ok_or(AppError::NotFound)?;
            let enrolment = super::enrolments_of_user(conn, user.id)?
                .into_iter()
                .find(|e| e.run_id == run.id);
            let today = Utc::now().date_naive();
            let open = super::open_to(&run, &user, today);
            // Trainers see the runs they teach: their home page links here.
            let visible = enrolment.is_some()
                || open
                || super::manages(&user, run.institution_id)
                || super::teaches(conn, user.id, run.id)?;
            if !visible {
                return Err(AppError::NotFound);
            }
            let attendance = match &enrolment {
                Some(e) if e.status.is_admitted() => own_attendance(conn, &run, user.id, locale)?,
                _ => None,
            };
            let status = enrolment.as_ref().map(|e| e.status);
            let completed = status == Some(Status::Completed);
            let certificate = if completed {
                crate::certificates::of_user(conn, user.id)?
                    .into_iter()
                    .find(|c| c.course_id == run.course_id && c.revoked_at.is_none())
                    .map(|c| c.code)
            } else {
                None
            };
            // Only learners take places; staff see the run without a form.
            let could_apply = user.role == Role::Learner
                && run.enrolment != EnrolmentMode::Invitation
                && matches!(status, None | Some(Status::Withdrawn | Status::Declined));
            let enrolment_closed = could_apply && today > run.enrol_by;
            Ok(RunPage {
                notice: done_notice(done.as_deref(), status).map(|key| i18n::t(locale, key)),
                may_apply: could_apply && !enrolment_closed && (open || enrolment.is_some()),
                enrolment_closed,
                completed,
                certificate,
                run: run_view(conn, &run, locale)?,
                attendance,
                enrolment_id: enrolment.as_ref().map(|e| e.id),
                status: enrolment
                    .as_ref()
                    .map(|e| label(locale, "enrolment_status", e.status.code())),
                active: enrolment.as_ref().is_some_and(|e| e.status.is_active()),
                invited: enrolment.as_ref().is_some_and(|e| e.status == Status::Invited),
                error,
            })
        })
        .await?;
    render::view(&state, &ctx, "runs/run.html", &page)
}

/// "You attended 3 of 5 in-person days", for a learner of a run that keeps a register.
fn own_attendance(conn: &mut DbConnection, run: &RunRow, user_id: UserId, locale: Locale) -> AppResult<Option<String>> {
    let tally = crate::attendance::tally(conn, run.id, user_id)?;
    if tally.held == 0 && run.min_attendance.is_none() {
        return Ok(None);
    }
    Ok(Some(i18n::t_with(
        locale,
        "attendance.your_tally",
        &[
            ("attended", &tally.attended.to_string()),
            ("held", &tally.held.to_string()),
        ],
    )))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EnrolForm {
    key: String,
}

async fn enrol(
    state: web::Data<AppState>,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<EnrolForm>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let run_id: RunId = path_id(&path)?;
    let outcome = super::self_enrol_limited(&state, user, run_id, Some(form.key)).await;
    match outcome {
        Ok(row) => Ok(see_other(format!("/runs/{run_id}?done={}", row.status.code()))),
        // Shown on the run's page, in the reader's language.
        Err(AppError::BadRequest(key) | AppError::Conflict(key)) => {
            Ok(see_other(format!("/runs/{run_id}?error={key}")))
        }
        Err(error) => Err(error),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct WithdrawForm {
    enrolment_id: String,
}

async fn withdraw(
    state: web::Data<AppState>,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<WithdrawForm>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let run_id: RunId = path_id(&path)?;
    let enrolment_id: EnrolmentId = path_id(&form.enrolment_id)?;
    let mail = state.mail.clone();
    state
        .db(move |conn| super::withdraw(conn, &mail, &user, enrolment_id))
        .await?;
    Ok(see_other(format!("/runs/{run_id}?done=withdrawn")))
}

/// The invited learner's answer, from the run's page.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AnswerForm {
    enrolment_id: String,
}

async fn accept(
    state: web::Data<AppState>,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<AnswerForm>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let run_id: RunId = path_id(&path)?;
    let enrolment_id: EnrolmentId = path_id(&form.enrolment_id)?;
    let mail = state.mail.clone();
    let outcome = state
        .db(move |conn| super::accept(conn, &mail, &user, enrolment_id))
        .await;
    answered(run_id, outcome)
}

async fn decline(
    state: web::Data<AppState>,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<AnswerForm>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let run_id: RunId = path_id(&path)?;
    let enrolment_id: EnrolmentId = path_id(&form.enrolment_id)?;
    let outcome = state.db(move |conn| super::decline(conn, &user, enrolment_id)).await;
    answered(run_id, outcome)
}

/// Back to the run's page, with the reason when the answer came too late (the
/// invitation was already answered).
fn answered(run_id: RunId, outcome: AppResult<super::EnrolmentRow>) -> AppResult<HttpResponse> {
    match outcome {
        Ok(row) => Ok(see_other(format!("/runs/{run_id}?done={}", row.status.code()))),
        Err(AppError::Conflict(key)) => Ok(see_other(format!("/runs/{run_id}?error={key}"))),
        Err(error) => Err(error),
    }
}
