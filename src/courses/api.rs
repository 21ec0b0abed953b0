//! `/api/v1/courses/<course-id>/…`: completion and progress.

use actix_web::{web, HttpResponse};

use super::reading;
use crate::accounts::guard::SignedIn;
use crate::app::AppState;
use crate::error::AppResult;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/courses/{course}/modules/{module}/complete", web::post().to(complete))
        .route("/courses/{course}/progress", web::get().to(progress));
}

async fn complete(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let (course, module) = path.into_inner();
    state
        .db(move |conn| reading::complete(conn, &user, &course, &module))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn progress(
    state: web::Data<AppState>,
    path: web::Path<String>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let course = path.into_inner();
    let modules = state.db(move |conn| reading::progress(conn, &user, &course)).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "modules": modules })))
}
