//! `/api/v1/auth/token` and `/api/v1/me`.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::accounts::guard::SignedIn;
use crate::accounts::model::UserJson;
use crate::accounts::{personal_data, session, throttle, two_factor, two_factor_web};
use crate::app::AppState;
use crate::error::{AppError, AppResult};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/auth/token", web::post().to(token))
        .route("/me", web::get().to(me))
        .route("/me/export", web::get().to(export));
}

#[derive(Debug, Deserialize)]
struct TokenRequest {
    email: String,
    password: String,
    /// The authenticator app's code (or a recovery code), for accounts with
    /// two-factor sign-in.
    #[serde(default)]
    code: Option<String>,
}

async fn token(req: HttpRequest, state: web::Data<AppState>, body: web::Json<TokenRequest>) -> AppResult<HttpResponse> {
    let TokenRequest { email, password, code } = body.into_inner();
    let user = throttle::authenticate(&state, &req, &email, &password)
        .await?
        .ok_or(AppError::BadCredentials)?;
    let required = two_factor_web::required_for(&state, &user);
    let id = user.id;
    if !state.db(move |conn| two_factor::is_on(conn, id)).await? {
        if required {
            return Err(AppError::SecondFactor("two_factor.set_up_first"));
        }
    } else {
        let code = code.ok_or(AppError::SecondFactor("two_factor.code_needed"))?;
        let attempt = throttle::begin_second_factor_check(&state, &req, &user).await?;
        let subject = user.clone();
        let accepted = state
            .db(move |conn| two_factor::check(conn, &subject, &code, chrono::Utc::now().naive_utc()))
            .await?;
        if accepted.is_none() {
            return Err(AppError::SecondFactor("two_factor.code_wrong"));
        }
        state.attempt_succeeded(attempt).await?;
    }
    let issued = session::issue(&state.config.secret, user.id, user.token_version)?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "token": issued.token,
        "expires_at": issued.expires_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    })))
}

async fn me(SignedIn(user): SignedIn) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(UserJson::from(&user)))
}

/// Everything Bilim holds about the caller (a contract:
/// `{"profile","enrolments","attempts","certificates"}`).
async fn export(state: web::Data<AppState>, SignedIn(user): SignedIn) -> AppResult<HttpResponse> {
    let export = state.db(move |conn| personal_data::export(conn, &user)).await?;
    Ok(HttpResponse::Ok().json(export))
}
