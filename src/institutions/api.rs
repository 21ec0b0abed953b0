//! `/api/v1/institutions`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::accounts::guard::{Admin, SignedIn};
use crate::app::AppState;
use crate::error::AppResult;
use crate::institutions::{self, NewInstitution};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/institutions", web::get().to(list))
        .route("/institutions", web::post().to(create));
}

#[derive(Debug, Deserialize)]
struct CreateRequest {
    name: String,
    country: String,
}

async fn list(state: web::Data<AppState>, _: SignedIn) -> AppResult<HttpResponse> {
    let all = state.db(institutions::list).await?;
    Ok(HttpResponse::Ok().json(all))
}

async fn create(state: web::Data<AppState>, body: web::Json<CreateRequest>, _: Admin) -> AppResult<HttpResponse> {
    let new = NewInstitution::validate(&body.name, &body.country)?;
    let id = state.db(move |conn| institutions::create(conn, &new)).await?;
    Ok(HttpResponse::Created().json(serde_json::json!({ "id": id })))
}
