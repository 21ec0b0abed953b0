//! HTTP infrastructure that the capabilities use: the request context (user, language,
//! CSRF token), forms, rendering, static assets, rate limits, file exports and
//! security headers. The application itself, its shared state and its routing table,
//! is in `crate::app`; nothing here names a capability's routes or handlers.

pub mod assets;
pub mod body;
pub mod context;
pub mod export;
pub mod forms;
pub mod proxies;
pub mod rate_limit;
pub mod render;

use actix_web::http::header;
use actix_web::middleware::DefaultHeaders;
use actix_web::HttpResponse;

use crate::error::AppResult;

/// The numeric id in a path segment; anything else names nothing, so it is a 404.
pub fn path_id<Id: std::str::FromStr>(raw: &str) -> AppResult<Id> {
    raw.parse().map_err(|_| crate::error::AppError::NotFound)
}

/// A redirect after a form post (303, so the browser follows it with a GET).
pub fn see_other(to: impl AsRef<str>) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to.as_ref()))
        .finish()
}

/// `?done=…` on a page reached by a redirect after a form: the action to confirm. Each
/// page maps the values it knows to its own notice and ignores the rest.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct DoneQuery {
    pub done: Option<String>,
}

/// Content Security Policy: everything from this origin, no inline script, no framing.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub fn security_headers(https: bool) -> DefaultHeaders {
    let headers = DefaultHeaders::new()
        .add((header::CONTENT_SECURITY_POLICY, CSP))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::REFERRER_POLICY, "same-origin"))
        .add(("Permissions-Policy", "camera=(), microphone=(), geolocation=()"))
        // Pages and JSON carry personal data and CSRF tokens: no cache keeps them,
        // unless a response says otherwise (stylesheets, logos, public certificates).
        .add((header::CACHE_CONTROL, "no-store"));
    if https {
        // Served over https: browsers should never try plain http again for a year.
        headers.add((header::STRICT_TRANSPORT_SECURITY, "max-age=31536000"))
    } else {
        headers
    }
}

/// `HEAD` is answered as `GET` is, by the same handler (the server sends no body):
/// link checkers and monitors probe with it. Pages whose GET acts are left out.
pub async fn head_as_get(
    mut req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    // Pages whose GET does something (redeems a link, begins a setup, issues a waiting
    // certificate) are not run for a HEAD, which link checkers and mail scanners send
    // without a person behind them.
    const ACTING_GETS: [&str; 4] = [
        "/verify-email",
        "/profile/two-factor",
        "/login/two-factor",
        "/certificates",
    ];
    if req.method() == actix_web::http::Method::HEAD && !ACTING_GETS.contains(&req.path()) {
        req.head_mut().method = actix_web::http::Method::GET;
    }
    next.call(req).await
}
