//! Course run pages: learners find runs and enrol; coordinators create runs, decide
//! requests and enrol groups from a CSV file.

use crate::accounts::model::UserId;
use actix_multipart::Multipart;
use actix_web::{web, HttpResponse};
use chrono::Utc;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

use super::{bulk, EnrolmentMode, Mode, Phase, RunInput, RunRow, Status};
use crate::accounts::guard::{Manager, SignedIn};
use crate::accounts::model::{Category, Country, Role, User};
use crate::courses::store as course_store;
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::i18n::{self, label, Locale};
use crate::institutions;
use crate::validation::FieldErrors;
use crate::web::context::RequestContext;
use crate::web::forms::{CsrfForm, CsrfOnly};
use crate::web::render;
use crate::web::AppState;
use crate::web::{path_id, see_other};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/runs", web::get().to(runs_page))
        .route("/runs/{run}", web::get().to(run_page))
        .route("/runs/{run}/enrol", web::post().to(enrol))
        .route("/runs/{run}/withdraw", web::post().to(withdraw))
        .route("/coordinator/runs", web::get().to(manage_list))
        .route("/coordinator/runs/new", web::get().to(new_run_page))
        .route("/coordinator/runs/new", web::post().to(create_run))
        .route("/coordinator/runs/{run}", web::get().to(manage_run))
        .route("/coordinator/runs/{run}/edit", web::get().to(edit_run_page))
        .route("/coordinator/runs/{run}/edit", web::post().to(edit_run))
        .route("/coordinator/runs/{run}/bulk", web::post().to(bulk_upload))
        .route("/coordinator/runs/{run}/trainers", web::post().to(add_trainer))
        .route(
            "/coordinator/runs/{run}/trainers/{user}/remove",
            web::post().to(remove_trainer),
        )
        .route("/coordinator/enrolments/{id}/approve", web::post().to(approve))
        .route("/coordinator/enrolments/{id}/reject", web::post().to(reject));
}

/// A run as the pages show it, in the reader's language; the register pages show it too.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct RunView {
    id: i64,
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

pub(crate) fn run_view(conn: &mut DbConnection, run: &RunRow, locale: Locale) -> AppResult<RunView> {
    let course = crate::courses::reading::course_title(conn, &run.course_id, locale)?;
    let institution = institutions::find(conn, run.institution_id)?
        .map(|i| i.name)
        .unwrap_or_default();
    let enrolled = super::enrolled_count(conn, run.id)?;
    let free = (i64::from(run.capacity) - enrolled).max(0);
    Ok(RunView {
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
        language: Locale::from_code(&run.language)
            .map(Locale::native_name)
            .unwrap_or_default(),
        country: label(locale, "countries", &run.country),
        mode: label(locale, "run_modes", &run.mode),
        enrolment: label(locale, "enrolment_modes", &run.enrolment),
        enrolment_code: run.enrolment_mode().code(),
        phase: label(locale, "phases", &run.phase),
        places: i18n::t_count(locale, "runs.places_free", free, &[]),
        capacity: run.capacity,
        enrolled,
        attendance_rule: run
            .min_attendance
            .map(|share| i18n::t_with(locale, "attendance.requirement", &[("share", &share.to_string())])),
        in_person: run.mode != Mode::Online.code(),
        starts_on: run.starts_on.to_string(),
        ends_on: run.ends_on.to_string(),
    })
}

#[derive(Serialize)]
struct MyEnrolment {
    run: RunView,
    status: String,
}

async fn runs_page(
    state: web::Data<AppState>,
    ctx: RequestContext,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let locale = ctx.locale;
    let (open, mine) = state
        .db(move |conn| {
            let today = Utc::now().date_naive();
            let enrolments = super::enrolments_of_user(conn, user.id)?;
            let mut mine = Vec::new();
            for enrolment in &enrolments {
                if let Some(run) = super::find_run(conn, enrolment.run_id)? {
                    mine.push(MyEnrolment {
                        run: run_view(conn, &run, locale)?,
                        status: label(locale, "enrolment_status", &enrolment.status),
                    });
                }
            }
            let taken: Vec<i64> = enrolments.iter().map(|e| e.run_id).collect();
            let open = super::visible_runs(conn, &user, today)?
                .into_iter()
                .filter(|run| !taken.contains(&run.id) && super::open_to(run, &user, today))
                .map(|run| run_view(conn, &run, locale))
                .collect::<AppResult<Vec<_>>>()?;
            Ok((open, mine))
        })
        .await?;
    let mut page = render::base_context(&state, &ctx);
    page.insert("open_runs", &open);
    page.insert("my_enrolments", &mine);
    render::page(&state, "runs/list.html", &page)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RunPageQuery {
    error: Option<String>,
}

async fn run_page(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
    query: web::Query<RunPageQuery>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let run_id = path_id(&path)?;
    let locale = ctx.locale;
    let (view, enrolment, attendance) = state
        .db(move |conn| {
            let run = super::find_run(conn, run_id)?.ok_or(AppError::NotFound)?;
            let enrolment = super::enrolments_of_user(conn, user.id)?
                .into_iter()
                .find(|e| e.run_id == run.id);
            let today = Utc::now().date_naive();
            let visible =
                enrolment.is_some() || super::open_to(&run, &user, today) || super::manages(&user, run.institution_id);
            if !visible {
                return Err(AppError::NotFound);
            }
            let admitted = enrolment
                .as_ref()
                .is_some_and(|e| super::ADMITTED.contains(&e.status.as_str()));
            let attendance = if admitted {
                own_attendance(conn, &run, user.id, locale)?
            } else {
                None
            };
            Ok((run_view(conn, &run, locale)?, enrolment, attendance))
        })
        .await?;
    let mut page = render::base_context(&state, &ctx);
    page.insert("run", &view);
    page.insert("attendance", &attendance);
    page.insert("enrolment_id", &enrolment.as_ref().map(|e| e.id));
    page.insert(
        "status",
        &enrolment.as_ref().map(|e| label(locale, "enrolment_status", &e.status)),
    );
    page.insert("active", &enrolment.as_ref().is_some_and(|e| e.status().is_active()));
    let error = query
        .error
        .as_deref()
        .filter(|e| e.starts_with("runs."))
        .map(|key| i18n::t(locale, key));
    page.insert("error", &error);
    render::page(&state, "runs/run.html", &page)
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
    let run_id = path_id(&path)?;
    let mail = state.mail.clone();
    let outcome = state
        .db(move |conn| super::self_enrol(conn, &mail, &user, run_id, Some(&form.key), Utc::now().date_naive()))
        .await;
    match outcome {
        Ok(_) => Ok(see_other(format!("/runs/{run_id}"))),
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
    let run_id: i64 = path_id(&path)?;
    let enrolment_id = path_id(&form.enrolment_id)?;
    let mail = state.mail.clone();
    state
        .db(move |conn| super::withdraw(conn, &mail, &user, enrolment_id))
        .await?;
    Ok(see_other(format!("/runs/{run_id}")))
}

// ---- coordinators ----

async fn manage_list(
    state: web::Data<AppState>,
    ctx: RequestContext,
    Manager(user): Manager,
) -> AppResult<HttpResponse> {
    let locale = ctx.locale;
    let runs = state
        .db(move |conn| {
            super::visible_runs(conn, &user, Utc::now().date_naive())?
                .iter()
                .map(|run| run_view(conn, run, locale))
                .collect::<AppResult<Vec<_>>>()
        })
        .await?;
    let mut page = render::base_context(&state, &ctx);
    page.insert("runs", &runs);
    render::page(&state, "runs/manage_list.html", &page)
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
}

fn choices<T: Copy>(all: &[T], code: fn(T) -> &'static str, group: &str, locale: Locale) -> Vec<Choice> {
    all.iter()
        .map(|v| Choice {
            value: code(*v).to_owned(),
            label: label(locale, group, code(*v)),
        })
        .collect()
}

/// The run form, for a new run (`editing` none) or an existing one.
async fn run_form(
    state: &AppState,
    ctx: &RequestContext,
    user: &User,
    form: &RunInput,
    editing: Option<i64>,
    errors: Option<&FieldErrors>,
) -> AppResult<HttpResponse> {
    let locale = ctx.locale;
    let for_user = user.clone();
    let (courses, institutions) = state
        .db(move |conn| {
            let courses: Vec<Choice> = course_store::active_courses(conn)?
                .into_iter()
                .map(|c| Choice {
                    label: i18n::pick_text(&c.titles(), locale).unwrap_or_else(|| c.id.clone()),
                    value: c.id,
                })
                .collect();
            let institutions: Vec<Choice> = institutions::list(conn)?
                .into_iter()
                .filter(|i| super::manages(&for_user, i.id))
                .map(|i| Choice {
                    value: i.id.to_string(),
                    label: i.name,
                })
                .collect();
            Ok((courses, institutions))
        })
        .await?;
    let mut page = render::base_context(state, ctx);
    page.insert("form", form);
    page.insert("editing", &editing);
    page.insert("courses", &courses);
    page.insert("institutions", &institutions);
    page.insert(
        "run_languages",
        &Locale::ALL
            .iter()
            .map(|l| Choice {
                value: l.code().into(),
                label: l.native_name().into(),
            })
            .collect::<Vec<_>>(),
    );
    page.insert("countries", &choices(Country::ALL, Country::code, "countries", locale));
    page.insert("modes", &choices(Mode::ALL, Mode::code, "run_modes", locale));
    page.insert(
        "enrolment_modes",
        &choices(EnrolmentMode::ALL, EnrolmentMode::code, "enrolment_modes", locale),
    );
    page.insert("phases", &choices(Phase::ALL, Phase::code, "phases", locale));
    page.insert(
        "categories",
        &choices(Category::ALL, Category::code, "categories", locale),
    );
    render::form(state, "runs/form.html", page, errors, locale)
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

/// The run form's fields; categories are ticked boxes, so they may repeat.
fn run_input_from(pairs: &[(String, String)]) -> RunInput {
    let field = |name: &str| {
        pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect::<Vec<_>>()
    };
    let first = |name: &str| field(name).first().map(|v| v.to_string()).unwrap_or_default();
    RunInput {
        course_id: first("course_id"),
        institution_id: first("institution_id"),
        language: first("language"),
        country: first("country"),
        starts_on: first("starts_on"),
        ends_on: first("ends_on"),
        enrol_by: first("enrol_by"),
        capacity: first("capacity"),
        mode: first("mode"),
        enrolment: first("enrolment"),
        key: first("key"),
        phase: first("phase"),
        categories: field("categories").join(" "),
        min_attendance: first("min_attendance"),
    }
}

async fn create_run(
    state: web::Data<AppState>,
    ctx: RequestContext,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
    Manager(user): Manager,
) -> AppResult<HttpResponse> {
    let form = run_input_from(&pairs);
    let checked_form = form.clone();
    let creator = user.clone();
    let outcome = state
        .db(move |conn| match super::check_run(conn, &checked_form)? {
            Ok(fields) => super::create_run(conn, &creator, &fields).map(Ok),
            Err(errors) => Ok(Err(errors)),
        })
        .await?;
    match outcome {
        Ok(id) => Ok(see_other(format!("/coordinator/runs/{id}"))),
        Err(errors) => run_form(&state, &ctx, &user, &form, None, Some(&errors)).await,
    }
}

async fn edit_run_page(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
    Manager(user): Manager,
) -> AppResult<HttpResponse> {
    let run_id = path_id(&path)?;
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
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
    Manager(user): Manager,
) -> AppResult<HttpResponse> {
    let run_id = path_id(&path)?;
    let form = run_input_from(&pairs);
    let checked_form = form.clone();
    let editor = user.clone();
    let mail = state.mail.clone();
    let outcome = state
        .db(move |conn| match super::check_run(conn, &checked_form)? {
            Ok(fields) => super::update_run(conn, &mail, &editor, run_id, &fields).map(Ok),
            Err(errors) => Ok(Err(errors)),
        })
        .await?;
    match outcome {
        Ok(()) => Ok(see_other(format!("/coordinator/runs/{run_id}"))),
        Err(errors) => run_form(&state, &ctx, &user, &form, Some(run_id), Some(&errors)).await,
    }
}

#[derive(Serialize)]
struct EnrolmentLine {
    id: i64,
    name: String,
    email: String,
    status: String,
    requested: bool,
    waitlisted: bool,
}

/// What a form on the run's management page sent back to show on it.
#[derive(Default)]
struct ManageOutcome {
    /// A checked CSV file: its rows, whether they were applied, whether any failed.
    preview: Option<(Vec<bulk::RowOutcome>, bool, bool)>,
    upload_error: Option<String>,
    trainer_email: String,
    trainer_errors: Option<FieldErrors>,
}

async fn manage_page(
    state: &AppState,
    ctx: &RequestContext,
    run_id: i64,
    outcome: ManageOutcome,
) -> AppResult<HttpResponse> {
    let user = ctx.user_in(Role::manages_runs)?.clone();
    let locale = ctx.locale;
    let (view, lines, trainers) = state
        .db(move |conn| {
            let run = super::find_run_for_manager(conn, &user, run_id)?;
            let lines = super::enrolments_of_run(conn, run.id)?
                .into_iter()
                .map(|(row, name, email)| EnrolmentLine {
                    id: row.id,
                    status: label(locale, "enrolment_status", &row.status),
                    requested: row.status() == Status::Requested,
                    waitlisted: row.status() == Status::Waitlisted,
                    name,
                    email,
                })
                .collect::<Vec<_>>();
            let trainers = super::trainers_of(conn, run.id)?;
            Ok((run_view(conn, &run, locale)?, lines, trainers))
        })
        .await?;
    let mut page = render::base_context(state, ctx);
    page.insert("run", &view);
    page.insert("enrolments", &lines);
    page.insert("trainers", &trainers);
    page.insert("trainer_email", &outcome.trainer_email);
    let (rows, applied, has_errors) = outcome
        .preview
        .map(|(rows, applied, errors)| (Some(rows), applied, errors))
        .unwrap_or((None, false, false));
    page.insert("preview", &rows);
    page.insert("applied", &applied);
    page.insert("preview_has_errors", &has_errors);
    page.insert("upload_error", &outcome.upload_error);
    render::form(state, "runs/manage.html", page, outcome.trainer_errors.as_ref(), locale)
}

async fn manage_run(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    manage_page(&state, &ctx, path_id(&path)?, ManageOutcome::default()).await
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
    let run_id = path_id(&path)?;
    let email = form.trainer_email.clone();
    let outcome = state
        .db(move |conn| super::assign_trainer(conn, &user, run_id, &email))
        .await?;
    match outcome {
        Ok(()) => Ok(see_other(format!("/coordinator/runs/{run_id}#trainers"))),
        Err(errors) => {
            let outcome = ManageOutcome {
                trainer_email: form.trainer_email,
                trainer_errors: Some(errors),
                ..ManageOutcome::default()
            };
            manage_page(&state, &ctx, run_id, outcome).await
        }
    }
}

async fn remove_trainer(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    _form: CsrfOnly,
    Manager(user): Manager,
) -> AppResult<HttpResponse> {
    let (run_id, trainer_id) = (path_id(&path.0)?, path_id(&path.1)?);
    state
        .db(move |conn| super::remove_trainer(conn, &user, run_id, trainer_id))
        .await?;
    Ok(see_other(format!("/coordinator/runs/{run_id}#trainers")))
}

async fn approve(
    state: web::Data<AppState>,
    path: web::Path<String>,
    _form: CsrfOnly,
    Manager(user): Manager,
) -> AppResult<HttpResponse> {
    let id = path_id(&path)?;
    let mail = state.mail.clone();
    let row = state.db(move |conn| super::approve(conn, &mail, &user, id)).await?;
    Ok(see_other(format!("/coordinator/runs/{}", row.run_id)))
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
    let id = path_id(&path)?;
    let mail = state.mail.clone();
    let row = state
        .db(move |conn| super::reject(conn, &mail, &user, id, &form.reason))
        .await?;
    Ok(see_other(format!("/coordinator/runs/{}", row.run_id)))
}

/// Reads the upload form: its CSRF token, the action and the file's bytes.
async fn read_upload(mut payload: Multipart) -> AppResult<(String, String, Vec<u8>)> {
    let (mut token, mut action, mut file) = (String::new(), String::new(), Vec::new());
    while let Some(field) = payload.next().await {
        let mut field = field.map_err(|_| AppError::BadRequest("errors.bad_request"))?;
        let name = field
            .content_disposition()
            .and_then(|d| d.get_name())
            .unwrap_or_default()
            .to_owned();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|_| AppError::BadRequest("errors.bad_request"))?;
            if bytes.len() + chunk.len() > bulk::MAX_BYTES {
                return Err(AppError::PayloadTooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
        match name.as_str() {
            "csrf_token" => token = String::from_utf8_lossy(&bytes).into_owned(),
            "action" => action = String::from_utf8_lossy(&bytes).into_owned(),
            "file" => file = bytes,
            _ => {}
        }
    }
    Ok((token, action, file))
}

async fn bulk_upload(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
    payload: Multipart,
    Manager(user): Manager,
) -> AppResult<HttpResponse> {
    let run_id = path_id(&path)?;
    let (token, action, file) = read_upload(payload).await?;
    let token_matches =
        !ctx.csrf_token.is_empty() && subtle::ConstantTimeEq::ct_eq(token.as_bytes(), ctx.csrf_token.as_bytes()).into();
    if !token_matches {
        return Err(AppError::Csrf);
    }
    let locale = ctx.locale;
    let mail = state.mail.clone();
    let apply = action == "apply";
    let outcome = state
        .db(move |conn| {
            let run = super::find_run_for_manager(conn, &user, run_id)?;
            if apply {
                bulk::apply(conn, &mail, &user, &run, &file, locale)
            } else {
                bulk::preview(conn, &file, locale).map(|rows| (rows, false))
            }
        })
        .await;
    match outcome {
        Ok((rows, applied)) => {
            let has_errors = rows.iter().any(|r| r.status == bulk::RowStatus::Error);
            let outcome = ManageOutcome {
                preview: Some((rows, applied, has_errors)),
                ..ManageOutcome::default()
            };
            manage_page(&state, &ctx, run_id, outcome).await
        }
        Err(AppError::BadRequest(key)) => {
            let outcome = ManageOutcome {
                upload_error: Some(i18n::t(locale, key)),
                ..ManageOutcome::default()
            };
            manage_page(&state, &ctx, run_id, outcome).await
        }
        Err(error) => Err(error),
    }
}
