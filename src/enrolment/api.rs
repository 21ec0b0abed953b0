//! The enrolment API (a contract): runs, self-enrolment, coordinators' decisions,
//! answers to invitations and bulk upload.

use actix_web::{web, HttpResponse};
use chrono::Utc;
use serde::Deserialize;

use super::{bulk, EnrolmentId, EnrolmentRow, RunId, RunInput};
use crate::accounts::guard::{Manager, SignedIn};
use crate::accounts::model::User;
use crate::app::AppState;
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::mail::MailSettings;
use crate::web::context::RequestContext;
use crate::web::path_id;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/runs", web::post().to(create_run))
        .route("/runs", web::get().to(list_runs))
        .route("/runs/{run}/enrolments", web::post().to(enrol))
        .route("/runs/{run}/enrolments", web::get().to(run_enrolments))
        .route("/runs/{run}/enrolments/bulk", web::post().to(bulk_upload))
        .route("/me/enrolments", web::get().to(my_enrolments))
        .route("/enrolments/{id}/approve", web::post().to(approve))
        .route("/enrolments/{id}/reject", web::post().to(reject))
        .route("/enrolments/{id}/withdraw", web::post().to(withdraw))
        .route("/enrolments/{id}/accept", web::post().to(accept))
        .route("/enrolments/{id}/decline", web::post().to(decline));
}

fn enrolment_json(row: &EnrolmentRow) -> serde_json::Value {
    serde_json::json!({"id": row.id, "run_id": row.run_id, "user_id": row.user_id, "status": row.status})
}

async fn create_run(
    state: web::Data<AppState>,
    body: web::Json<RunInput>,
    Manager(user): Manager,
) -> AppResult<HttpResponse> {
    let input = body.into_inner();
    let id = state
        .db(move |conn| {
            let fields = super::check_run(conn, &input)?;
            super::create_run(conn, &user, &fields)
        })
        .await?;
    Ok(HttpResponse::Created().json(serde_json::json!({ "id": id })))
}

async fn list_runs(state: web::Data<AppState>, SignedIn(user): SignedIn) -> AppResult<HttpResponse> {
    let runs = state
        .db(move |conn| {
            let runs = super::visible_runs(conn, &user, Utc::now().date_naive())?;
            super::run_jsons(conn, &runs)
        })
        .await?;
    Ok(HttpResponse::Ok().json(runs))
}

#[derive(Debug, Default, Deserialize)]
struct EnrolBody {
    key: Option<String>,
}

async fn enrol(
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let run: RunId = path_id(&path)?;
    let body: EnrolBody = if body.iter().all(u8::is_ascii_whitespace) {
        EnrolBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|_| AppError::BadRequest("errors.bad_request"))?
    };
    let row = super::self_enrol_limited(&state, user, run, body.key).await?;
    Ok(HttpResponse::Created().json(enrolment_json(&row)))
}

async fn my_enrolments(state: web::Data<AppState>, SignedIn(user): SignedIn) -> AppResult<HttpResponse> {
    let user_id = user.id;
    let rows = state.db(move |conn| super::enrolments_of_user(conn, user_id)).await?;
    Ok(HttpResponse::Ok().json(rows.iter().map(enrolment_json).collect::<Vec<_>>()))
}

async fn run_enrolments(
    state: web::Data<AppState>,
    path: web::Path<String>,
    Manager(user): Manager,
) -> AppResult<HttpResponse> {
    let run: RunId = path_id(&path)?;
    let rows = state
        .db(move |conn| {
            let run = super::find_run_for_manager(conn, &user, run)?;
            super::enrolments_of_run(conn, run.id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(
        rows.iter()
            .map(|line| enrolment_json(&line.enrolment))
            .collect::<Vec<_>>(),
    ))
}

async fn approve(
    state: web::Data<AppState>,
    path: web::Path<String>,
    Manager(user): Manager,
) -> AppResult<HttpResponse> {
    let id: EnrolmentId = path_id(&path)?;
    let mail = state.mail.clone();
    let row = state.db(move |conn| super::approve(conn, &mail, &user, id)).await?;
    Ok(HttpResponse::Ok().json(enrolment_json(&row)))
}

#[derive(Debug, Deserialize)]
struct RejectBody {
    reason: String,
}

async fn reject(
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<RejectBody>,
    Manager(user): Manager,
) -> AppResult<HttpResponse> {
    let id: EnrolmentId = path_id(&path)?;
    let mail = state.mail.clone();
    let reason = body.into_inner().reason;
    let row = state
        .db(move |conn| super::reject(conn, &mail, &user, id, &reason))
        .await?;
    Ok(HttpResponse::Ok().json(enrolment_json(&row)))
}

/// A learner's own decision on their enrolment (withdraw, accept an invitation),
/// which may tell others by mail.
async fn learner_decides(
    state: &AppState,
    path: &str,
    user: User,
    decide: fn(&mut DbConnection, &MailSettings, &User, EnrolmentId) -> AppResult<EnrolmentRow>,
) -> AppResult<HttpResponse> {
    let id: EnrolmentId = path_id(path)?;
    let mail = state.mail.clone();
    let row = state.db(move |conn| decide(conn, &mail, &user, id)).await?;
    Ok(HttpResponse::Ok().json(enrolment_json(&row)))
}

async fn withdraw(
    state: web::Data<AppState>,
    path: web::Path<String>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    learner_decides(&state, &path, user, super::withdraw).await
}

async fn accept(
    state: web::Data<AppState>,
    path: web::Path<String>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    learner_decides(&state, &path, user, super::accept).await
}

async fn decline(
    state: web::Data<AppState>,
    path: web::Path<String>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let id: EnrolmentId = path_id(&path)?;
    let row = state.db(move |conn| super::decline(conn, &user, id)).await?;
    Ok(HttpResponse::Ok().json(enrolment_json(&row)))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct BulkQuery {
    dry_run: Option<String>,
}

async fn bulk_upload(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
    query: web::Query<BulkQuery>,
    body: web::Bytes,
    Manager(user): Manager,
) -> AppResult<HttpResponse> {
    let run: RunId = path_id(&path)?;
    let dry_run = query.dry_run.as_deref().is_some_and(|v| v == "true" || v == "1");
    let locale = ctx.locale;
    let mail = state.mail.clone();
    let rows = state
        .db(move |conn| {
            let run = super::find_run_for_manager(conn, &user, run)?;
            if dry_run {
                bulk::preview(conn, &user, &run, &body, locale)
            } else {
                bulk::apply(conn, &mail, &user, &run, &body, locale).map(|outcome| outcome.rows)
            }
        })
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "rows": rows })))
}
