//! `/api/v1/auth/token` and `/api/v1/me`.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::accounts::guard::SignedIn;
use crate::accounts::model::UserJson;
use crate::accounts::{session, throttle};
use crate::app::AppState;
use crate::error::{AppError, AppResult};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/auth/token", web::post().to(token))
        .route("/me", web::get().to(me));
}

#[derive(Debug, Deserialize)]
struct TokenRequest {
    email: String,
    password: String,
}

async fn token(req: HttpRequest, state: web::Data<AppState>, body: web::Json<TokenRequest>) -> AppResult<HttpResponse> {
    let TokenRequest { email, password } = body.into_inner();
    let user = throttle::authenticate(&state, &req, &email, &password)
        .await?
        .ok_or(AppError::BadCredentials)?;
    let issued = session::issue(&state.config.secret, user.id, user.token_version)?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "token": issued.token,
        "expires_at": issued.expires_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    })))
}

async fn me(SignedIn(user): SignedIn) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(UserJson::from(&user)))
}
