//! HTTP infrastructure that the capabilities use: the request context (user, language,
//! CSRF token), forms, rendering, static assets, rate limits, file exports and
//! security headers. The application itself, its shared state and its routing table,
//! is in `crate::app`; nothing here names a capability's routes or handlers.

pub mod assets;
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

/// Content Security Policy: everything from this origin, no inline script, no framing.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::CONTENT_SECURITY_POLICY, CSP))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::REFERRER_POLICY, "same-origin"))
        .add(("Permissions-Policy", "camera=(), microphone=(), geolocation=()"))
}
