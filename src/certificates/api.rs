//! The certificate API (a contract): the holder's list, the signed credential and
//! revocation.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::CertificateJson;
use crate::accounts::guard::{Manager, SignedIn};
use crate::app::AppState;
use crate::error::{AppError, AppResult};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/me/certificates", web::get().to(mine))
        .route("/certificates/{code}", web::get().to(credential))
        .route("/certificates/{code}/revoke", web::post().to(revoke));
}

async fn mine(state: web::Data<AppState>, SignedIn(user): SignedIn) -> AppResult<HttpResponse> {
    let user_id = user.id;
    let list = state.db(move |conn| super::of_user(conn, user_id)).await?;
    Ok(HttpResponse::Ok().json(list.iter().map(CertificateJson::from).collect::<Vec<_>>()))
}

/// The certificate as a JWT signed with the installation's Ed25519 key; its public
/// key is at `/.well-known/jwks.json`. Public, like the verification page.
async fn credential(
    state: web::Data<AppState>,
    path: web::Path<String>,
    req: actix_web::HttpRequest,
) -> AppResult<HttpResponse> {
    state.check_rate(crate::web::rate_limit::Limit::Verify, &req).await?;
    let code = path.into_inner();
    let certificate = state
        .db(move |conn| super::find(conn, &code))
        .await?
        .ok_or(AppError::NotFound)?;
    let claims = super::credential(
        &certificate,
        &state.config.public_url,
        &state.config.site_name,
        super::now(),
    );
    let token = state.signing.sign(&claims)?;
    Ok(HttpResponse::Ok().content_type("application/jwt").body(token))
}

#[derive(Debug, Deserialize)]
struct RevokeBody {
    reason: String,
}

async fn revoke(
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<RevokeBody>,
    Manager(user): Manager,
) -> AppResult<HttpResponse> {
    let code = path.into_inner();
    let reason = body.into_inner().reason;
    let certificate = state
        .db(move |conn| super::revoke(conn, &user, &code, &reason, super::now()))
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "code": certificate.code,
        "status": certificate.validity(super::now()),
    })))
}
