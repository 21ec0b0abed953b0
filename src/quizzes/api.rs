//! The quiz API (a contract): start an attempt, save responses, submit.

use actix_web::{web, HttpResponse};
use chrono::Utc;

use super::attempts::{self, Access, AttemptId, Started};
use super::grading::Response;
use super::views;
use crate::accounts::guard::SignedIn;
use crate::app::AppState;
use crate::error::AppResult;
use crate::web::context::RequestContext;
use crate::web::path_id;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/courses/{course}/quizzes/{quiz}/attempts", web::post().to(start))
        .route("/attempts/{attempt}/responses/{question}", web::put().to(save))
        .route("/attempts/{attempt}/submit", web::post().to(submit));
}

async fn start(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<(String, String)>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let (course, quiz) = path.into_inner();
    let locale = ctx.locale;
    let (attempt, started) = state
        .db(move |conn| {
            let started = attempts::start(conn, &user, &course, &quiz, locale, Utc::now().naive_utc())?;
            let attempt = attempts::find_attempt(conn, started.attempt_id(), Access::Owner(user.id))?;
            Ok((attempt, started))
        })
        .await?;
    let body = serde_json::json!({
        "attempt_id": attempt.id,
        "deadline": attempt.deadline.map(|d| d.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        "questions": views::questions_view(&attempt),
    });
    Ok(match started {
        Started::New(_) => HttpResponse::Created().json(body),
        Started::Resumed(_) => HttpResponse::Ok().json(body),
    })
}

async fn save(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: web::Json<Response>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let (attempt, question) = path.into_inner();
    let attempt: AttemptId = path_id(&attempt)?;
    let response = body.into_inner();
    state
        .db(move |conn| attempts::save_response(conn, user.id, attempt, &question, &response, Utc::now().naive_utc()))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn submit(
    state: web::Data<AppState>,
    path: web::Path<String>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let attempt: AttemptId = path_id(&path)?;
    let result = state
        .db(move |conn| attempts::submit(conn, user.id, attempt, Utc::now().naive_utc()))
        .await?;
    Ok(HttpResponse::Ok().json(result))
}
