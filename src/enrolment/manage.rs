//! Course run pages for coordinators: they create and edit runs, decide requests, add
//! trainers and enrol groups from a CSV file.

use crate::web::forms::Choice;
use actix_multipart::Multipart;
use actix_web::{web, HttpResponse};
use chrono::Utc;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

use super::bulk::{self, BulkOutcome};
use super::model::{EnrolmentId, EnrolmentMode, Mode, Person, Phase, RunId, Status};
use super::views::{run_view, run_views, RunView};
use super::RunInput;
use crate::accounts::guard::Manager;
use crate::accounts::model::{Category, Country, User, UserId};
use crate::app::AppState;
use crate::courses::store as course_store;
use crate::error::{AppError, AppResult};
use crate::i18n::{self, label, Locale};
use crate::institutions;
use crate::validation::FieldErrors;
use crate::web::context::RequestContext;
use crate::web::forms::{csrf_token_matches, CsrfForm, CsrfOnly};
use crate::web::render;
use crate::web::{path_id, see_other, DoneQuery};

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/coordinator/runs", web::get().to(manage_list))
        .route("/coordinator/runs/new", web::get().to(new_run_page))
        .route("/coordinator/runs/new", web::post().to(create_run))
        .route("/coordinator/runs/{run}", web::get().to(manage_run))
        .route("/coordinator/runs/{run}/edit", web::get().to(edit_run_page))
        .route("/coordinator/runs/{run}/edit", web::post().to(edit_run))
        .route("/coordinator/runs/{run}/bulk", web::post().to(bulk_upload))
        .route("/coordinator/runs/{run}/bulk/apply", web::post().to(bulk_apply))
        .route("/coordinator/runs/{run}/trainers", web::post().to(add_trainer))
        .route(
            "/coordinator/runs/{run}/trainers/{user}/remove",
            web::post().to(remove_trainer),
        )
        .route("/coordinator/enrolments/{id}/approve", web::post().to(approve))
        .route("/coordinator/enrolments/{id}/reject", web::post().to(reject));
}

/// What `runs/manage_list.html` shows.
#[derive(Serialize)]
struct ManageListPage {
    runs: Vec<RunView>,
}

async fn manage_list(
    state: web::Data<AppState>,
    ctx: RequestContext,
    Manager(user): Manager,
) -> AppResult<HttpResponse> {
    let locale = ctx.locale;
    let runs = state
        .db(move |conn| {
            let runs = super::visible_runs(conn, &user, Utc::now().date_naive())?;
            run_views(conn, &runs, locale)
        })
        .await?;
    render::view(&state, &ctx, "runs/manage_list.html", &ManageListPage { runs })
}

fn choices<T: Copy>(all: &[T], code: fn(T) -> &'static str, group: &str, locale: Locale) -> Vec<Choice> {
    all.iter()
        .map(|v| Choice::new(code(*v).to_owned(), label(locale, group, code(*v))))
        .collect()
}

/// What `runs/form.html` shows.
#[derive(Serialize)]
struct RunFormPage<'a> {
    form: &'a RunInput,
    /// The run being edited; none for a new run.
    editing: Option<RunId>,
    courses: Vec<Choice>,
    institutions: Vec<Choice>,
    run_languages: Vec<Choice>,
    countries: Vec<Choice>,
    modes: Vec<Choice>,
    enrolment_modes: Vec<Choice>,
    phases: Vec<Choice>,
    categories: Vec<Choice>,
}

/// The run form, for a new run (`editing` none) or an existing one.
async fn run_form(
    state: &AppState,
    ctx: &RequestContext,
    user: &User,
    form: &RunInput,
    editing: Option<RunId>,
    errors: Option<&FieldErrors>,
) -> AppResult<HttpResponse> {
    let locale = ctx.locale;
    let for_user = user.clone();
    let (courses, institutions) = state
        .db(move |conn| {
            let courses: Vec<Choice> = course_store::active_courses(conn)?
                .into_iter()
                .map(|c| {
                    let label = i18n::pick_text(&c.titles(), locale).unwrap_or_else(|| c.id.clone());
                    Choice::new(c.id, label)
                })
                .collect();
            let institutions: Vec<Choice> = institutions::list(conn)?
                .into_iter()
                .filter(|i| super::manages(&for_user, i.id))
                .map(|i| Choice::new(i.id.to_string(), i.name))
                .collect();
            Ok((courses, institutions))
        })
        .await?;
    let page = RunFormPage {
        form,
        editing,
        courses,
        institutions,
        run_languages: Locale::ALL.iter().map(|l| Choice::language(*l)).collect(),
        countries: choices(Country::ALL, Country::code, "countries", locale),
        modes: choices(Mode::ALL, Mode::code, "run_modes", locale),
        enrolment_modes: choices(EnrolmentMode::ALL, EnrolmentMode::code, "enrolment_modes", locale),
        phases: choices(Phase::ALL, Phase::code, "phases", locale),
        categories: choices(Category::ALL, Category::code, "categories", locale),
    };
    render::form_view(state, ctx, "runs/form.html", &page, errors)
}

async fn new_run_page(
    state: web::Data<AppState>,
    ctx: RequestContext,
    Manager(user): Manager,
) -> AppResult<HttpResponse> {
    let form = RunInput {
        institution_id: user.institution_id.map(|i| i.to_string()).unwrap_or_default(),
        language: ctx.locale.code().into(),
        country: user.country.map(|c| c.code().to_owned()).unwrap_or_default(),
        ..RunInput::default()
    };
    run_form(&state, &ctx, &user, &form, None, None).await
}

async fn create_run(
    state: web::Data<AppState>,
    ctx: RequestContext,
    CsrfForm(form): CsrfForm<RunInput>,
    Manager(user): Manager,
) -> AppResult<HttpResponse> {
    let checked_form = form.clone();
    let creator = user.clone();
    let outcome = state
        .db(move |conn| {
            let fields = super::check_run(conn, &checked_form)?;
            super::create_run(conn, &creator, &fields)
        })
        .await;
    match outcome {
        Ok(id) => Ok(see_other(format!("/coordinator/runs/{id}?done=created"))),
        Err(AppError::Invalid(errors)) => run_form(&state, &ctx, &user, &form, None, Some(&errors)).await,
        Err(error) => Err(error),
    }
}

async fn edit_run_page(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
    Manager(user): Manager,
) -> AppResult<HttpResponse> {
    let run_id: RunId = path_id(&path)?;
    let manager = user.clone();
    let form = state
        .db(move |conn| super::find_run_for_manager(conn, &manager, run_id).map(|run| super::input_of(&run)))
        .await?;
    run_form(&state, &ctx, &user, &form, Some(run_id), None).await
}

async fn edit_run(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<RunInput>,
    Manager(user): Manager,
) -> AppResult<HttpResponse> {
    let run_id: RunId = path_id(&path)?;
    let checked_form = form.clone();
    let editor = user.clone();
    let mail = state.mail.clone();
    let outcome = state
        .db(move |conn| {
            // Another institution's run is not found, whatever the form holds.
            super::find_run_for_manager(conn, &editor, run_id)?;
            let fields = super::check_run(conn, &checked_form)?;
            super::update_run(conn, &mail, &editor, run_id, &fields)
        })
        .await;
    match outcome {
        Ok(()) => Ok(see_other(format!("/coordinator/runs/{run_id}?done=saved"))),
        Err(AppError::Invalid(errors)) => run_form(&state, &ctx, &user, &form, Some(run_id), Some(&errors)).await,
        Err(error) => Err(error),
    }
}

/// One enrolment in the run's table, with the decisions it allows.
#[derive(Serialize)]
struct EnrolmentLine {
    id: EnrolmentId,
    name: String,
    email: String,
    status: String,
    requested: bool,
    waitlisted: bool,
}

/// What a form on the run's management page sent back to show on it.
#[derive(Default)]
struct ManageOutcome {
    /// A checked CSV file: its rows, and whether they were applied.
    upload: Option<BulkOutcome>,
    /// The id under which a file checked without errors is kept for applying.
    kept: Option<String>,
    upload_error: Option<String>,
    trainer_email: String,
    trainer_errors: Option<FieldErrors>,
    /// The confirmation of the action that led here.
    notice: Option<String>,
}

/// What `runs/manage.html` shows.
#[derive(Serialize)]
struct ManagePage {
    run: RunView,
    enrolments: Vec<EnrolmentLine>,
    trainers: Vec<Person>,
    trainer_email: String,
    /// The rows of a checked CSV file.
    preview: Option<Vec<bulk::RowOutcome>>,
    applied: bool,
    preview_has_errors: bool,
    /// The kept check the "apply" form names, offered only after a check without errors.
    check_id: Option<String>,
    /// "Enrol the 12 people in the file", the label of that form's button.
    apply_label: Option<String>,
    upload_error: Option<String>,
    notice: Option<String>,
}

async fn manage_page(
    state: &AppState,
    ctx: &RequestContext,
    user: User,
    run_id: RunId,
    outcome: ManageOutcome,
) -> AppResult<HttpResponse> {
    let locale = ctx.locale;
    let (run, enrolments, trainers) = state
        .db(move |conn| {
            let run = super::find_run_for_manager(conn, &user, run_id)?;
            let lines = super::enrolments_of_run(conn, run.id)?
                .into_iter()
                .map(|line| EnrolmentLine {
                    id: line.enrolment.id,
                    status: label(locale, "enrolment_status", line.enrolment.status.code()),
                    requested: line.enrolment.status == Status::Requested,
                    waitlisted: line.enrolment.status == Status::Waitlisted,
                    name: line.name,
                    email: line.email,
                })
                .collect::<Vec<_>>();
            let trainers = super::trainers_of(conn, run.id)?;
            Ok((run_view(conn, &run, locale)?, lines, trainers))
        })
        .await?;
    let page = ManagePage {
        run,
        enrolments,
        trainers,
        trainer_email: outcome.trainer_email,
        preview_has_errors: outcome.upload.as_ref().is_some_and(BulkOutcome::has_errors),
        applied: outcome.upload.as_ref().is_some_and(|upload| upload.applied),
        apply_label: outcome.kept.as_ref().and(outcome.upload.as_ref()).map(|upload| {
            let count = i64::try_from(upload.rows.len()).unwrap_or(i64::MAX);
            i18n::t_count(locale, "coordinator_flows.apply_rows", count, &[])
        }),
        check_id: outcome.kept,
        preview: outcome.upload.map(|upload| upload.rows),
        upload_error: outcome.upload_error,
        notice: outcome.notice,
    };
    render::form_view(state, ctx, "runs/manage.html", &page, outcome.trainer_errors.as_ref())
}

/// The confirmation shown after an action on a run; only known actions are named.
fn done_notice(done: Option<&str>) -> Option<&'static str> {
    match done? {
        "created" => Some("runs.done_created"),
        "saved" => Some("runs.done_saved"),
        "trainer_added" => Some("runs.done_trainer_added"),
        "trainer_removed" => Some("runs.done_trainer_removed"),
        "approved" => Some("runs.done_approved"),
        "rejected" => Some("runs.done_rejected"),
        _ => None,
    }
}

async fn manage_run(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
    query: web::Query<DoneQuery>,
    Manager(user): Manager,
) -> AppResult<HttpResponse> {
    let outcome = ManageOutcome {
        notice: done_notice(query.done.as_deref()).map(|key| i18n::t(ctx.locale, key)),
        ..ManageOutcome::default()
    };
    manage_page(&state, &ctx, user, path_id(&path)?, outcome).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TrainerForm {
    trainer_email: String,
}

async fn add_trainer(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<TrainerForm>,
    Manager(user): Manager,
) -> AppResult<HttpResponse> {
    let run_id: RunId = path_id(&path)?;
    let email = form.trainer_email.clone();
    let manager = user.clone();
    let outcome = state
        .db(move |conn| super::assign_trainer(conn, &manager, run_id, &email))
        .await;
    match outcome {
        Ok(()) => Ok(see_other(format!(
            "/coordinator/runs/{run_id}?done=trainer_added#trainers"
        ))),
        Err(AppError::Invalid(errors)) => {
            let outcome = ManageOutcome {
                trainer_email: form.trainer_email,
                trainer_errors: Some(errors),
                ..ManageOutcome::default()
            };
            manage_page(&state, &ctx, user, run_id, outcome).await
        }
        Err(error) => Err(error),
    }
}

async fn remove_trainer(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    _form: CsrfOnly,
    Manager(user): Manager,
) -> AppResult<HttpResponse> {
    let (run_id, trainer_id): (RunId, UserId) = (path_id(&path.0)?, path_id(&path.1)?);
    state
        .db(move |conn| super::remove_trainer(conn, &user, run_id, trainer_id))
        .await?;
    Ok(see_other(format!(
        "/coordinator/runs/{run_id}?done=trainer_removed#trainers"
    )))
}

async fn approve(
    state: web::Data<AppState>,
    path: web::Path<String>,
    _form: CsrfOnly,
    Manager(user): Manager,
) -> AppResult<HttpResponse> {
    let id: EnrolmentId = path_id(&path)?;
    let mail = state.mail.clone();
    let row = state.db(move |conn| super::approve(conn, &mail, &user, id)).await?;
    Ok(see_other(format!("/coordinator/runs/{}?done=approved", row.run_id)))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RejectForm {
    reason: String,
}

async fn reject(
    state: web::Data<AppState>,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<RejectForm>,
    Manager(user): Manager,
) -> AppResult<HttpResponse> {
    let id: EnrolmentId = path_id(&path)?;
    let mail = state.mail.clone();
    let row = state
        .db(move |conn| super::reject(conn, &mail, &user, id, &form.reason))
        .await?;
    Ok(see_other(format!("/coordinator/runs/{}?done=rejected", row.run_id)))
}

/// The upload form as sent: its CSRF token and the file.
struct Upload {
    csrf_token: String,
    file: Vec<u8>,
}

/// Reads the upload form. Its CSRF token comes first (the form puts it first, and
/// browsers send fields in order): a body whose first field is not the browser's
/// token is refused before another byte of it is read, so a forged or junk upload
/// cannot make the server read megabytes.
async fn read_upload(ctx: &RequestContext, mut payload: Multipart) -> AppResult<Upload> {
    let mut upload = Upload {
        csrf_token: String::new(),
        file: Vec::new(),
    };
    let mut first = true;
    while let Some(field) = payload.next().await {
        let mut field = field.map_err(|_| AppError::BadRequest("errors.bad_request"))?;
        let name = field
            .content_disposition()
            .and_then(|d| d.get_name())
            .unwrap_or_default()
            .to_owned();
        if first && name != "csrf_token" {
            return Err(AppError::Csrf);
        }
        // A token is short; anything longer is not one.
        let limit = if first { 256 } else { bulk::MAX_BYTES };
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|_| AppError::BadRequest("errors.bad_request"))?;
            if bytes.len() + chunk.len() > limit {
                return Err(if first {
                    AppError::Csrf
                } else {
                    AppError::PayloadTooLarge
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        if first {
            upload.csrf_token = String::from_utf8_lossy(&bytes).into_owned();
            if !csrf_token_matches(ctx, &upload.csrf_token) {
                return Err(AppError::Csrf);
            }
            first = false;
            continue;
        }
        if name == "file" {
            upload.file = bytes;
        }
    }
    if first {
        return Err(AppError::Csrf);
    }
    Ok(upload)
}

/// Checks an uploaded file and shows each row's outcome. A file without errors is
/// kept for a day, and the page offers to apply it by its id alone; nothing is written
/// to enrolments here.
async fn bulk_upload(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
    payload: Multipart,
    Manager(user): Manager,
) -> AppResult<HttpResponse> {
    let run_id: RunId = path_id(&path)?;
    // Another institution's run is not found, before a byte of the file is read.
    let manager = user.clone();
    state
        .db(move |conn| super::find_run_for_manager(conn, &manager, run_id))
        .await?;
    let upload = read_upload(&ctx, payload).await?;
    let locale = ctx.locale;
    let manager = user.clone();
    let checked = state
        .db(move |conn| {
            let run = super::find_run_for_manager(conn, &manager, run_id)?;
            bulk::check_and_keep(conn, &manager, &run, &upload.file, locale, Utc::now().naive_utc())
        })
        .await;
    let outcome = match checked {
        Ok(check) => ManageOutcome {
            upload: Some(BulkOutcome::preview(check.rows)),
            kept: check.kept,
            ..ManageOutcome::default()
        },
        Err(AppError::BadRequest(key)) => ManageOutcome {
            upload_error: Some(i18n::t(locale, key)),
            ..ManageOutcome::default()
        },
        Err(error) => return Err(error),
    };
    manage_page(&state, &ctx, user, run_id, outcome).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ApplyForm {
    /// The id of the kept check to apply.
    check: String,
}

/// Applies a file checked before, named by its kept check: exactly the rows that were
/// checked. A check that has expired, was applied already or is another coordinator's
/// is refused with a localised message (422) and nothing is written.
async fn bulk_apply(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<ApplyForm>,
    Manager(user): Manager,
) -> AppResult<HttpResponse> {
    let run_id: RunId = path_id(&path)?;
    let locale = ctx.locale;
    let mail = state.mail.clone();
    let manager = user.clone();
    let applied = state
        .db(move |conn| {
            let run = super::find_run_for_manager(conn, &manager, run_id)?;
            bulk::apply_kept(
                conn,
                &mail,
                &manager,
                &run,
                form.check.trim(),
                locale,
                Utc::now().naive_utc(),
            )
        })
        .await?;
    let Some(upload) = applied else {
        let outcome = ManageOutcome {
            upload_error: Some(i18n::t(locale, "coordinator_flows.check_expired")),
            ..ManageOutcome::default()
        };
        let mut page = manage_page(&state, &ctx, user, run_id, outcome).await?;
        *page.status_mut() = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(page);
    };
    let outcome = ManageOutcome {
        upload: Some(upload),
        ..ManageOutcome::default()
    };
    manage_page(&state, &ctx, user, run_id, outcome).await
}
