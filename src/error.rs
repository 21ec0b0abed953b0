//! Error policy.
//!
//! - Inside a request, every fallible step returns [`AppError`]; domain modules
//!   return their own `thiserror` types where callers need to tell cases apart, and
//!   convert into `AppError` at the edge.
//! - `AppError` is mapped to an HTTP status in exactly one place
//!   ([`AppError::status_code`]); the page or JSON body the user sees is rendered in
//!   their language by `web::context`, which sees the request's locale.
//! - Internal errors are logged with their cause and shown as a plain "something went
//!   wrong" message; causes (SQL, paths, secrets) never reach the response.
//! - Outside the request path (CLI, start-up) `anyhow` carries errors to `main`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

use crate::validation::FieldErrors;

/// What a failed request shows, put into the response's extensions for
/// `web::context` to render as a page or as JSON in the request's language.
#[derive(Debug, Clone)]
pub struct ErrorMessage {
    pub key: &'static str,
    /// Every invalid field with its message key, for [`AppError::Invalid`].
    pub fields: Option<FieldErrors>,
    /// A day the message names as `%{date}`, written in the reader's language.
    pub date: Option<chrono::NaiveDate>,
    /// The failed quality checks of an authored section, for [`AppError::Checks`].
    pub checks: Option<Vec<crate::authoring::checks::Check>>,
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("not signed in")]
    Unauthorized,
    #[error("wrong email or password")]
    BadCredentials,
    /// A right password, but the second factor is missing, wrong or not yet set up
    /// (the key says which).
    #[error("second factor needed: {0}")]
    SecondFactor(&'static str),
    #[error("forbidden")]
    Forbidden,
    /// Study of a course run whose content has not opened yet; the message gives the
    /// day it opens, in the reader's language.
    #[error("not open until {0}")]
    NotOpenYet(chrono::NaiveDate),
    #[error("the form was not sent from this site or has expired")]
    Csrf,
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    /// Input that names its invalid fields. Pages show the form again with the error
    /// summary and each field's message (see `web::render::form`); the API answers
    /// `400 {"error": "<summary>", "fields": {"<field>": "<message>", …}}` with every
    /// invalid field.
    #[error("invalid input in {} field(s)", .0.len())]
    Invalid(FieldErrors),
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// An authored section that fails a quality check of level error; the API answers
    /// `400 {"error": "<summary>", "checks": [{"level","code","message"}, …]}` with every
    /// check found (messages already in the author's language).
    #[error("{} quality check(s) failed", .0.len())]
    Checks(Vec<crate::authoring::checks::Check>),
    /// Over a rate limit; the key of the message saying what to wait for.
    #[error("too many requests: {0}")]
    RateLimited(&'static str),
    #[error("request body too large")]
    PayloadTooLarge,
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        AppError::Internal(cause.to_string())
    }

    /// The locale key of the message shown to the user.
    pub fn message_key(&self) -> &'static str {
        match self {
            AppError::NotFound => "errors.not_found",
            AppError::Unauthorized => "errors.unauthorized",
            AppError::BadCredentials => "accounts.login_failed",
            AppError::Forbidden => "errors.forbidden",
            AppError::NotOpenYet(_) => "runs.not_open_yet",
            AppError::Csrf => "errors.csrf",
            AppError::BadRequest(key)
            | AppError::Conflict(key)
            | AppError::SecondFactor(key)
            | AppError::RateLimited(key) => key,
            AppError::Invalid(_) => "forms.there_is_a_problem",
            AppError::Checks(_) => "authoring.checks_failed",
            AppError::PayloadTooLarge => "errors.payload_too_large",
            AppError::UnsupportedMediaType => "errors.unsupported_media_type",
            AppError::Internal(_) => "errors.internal",
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Unauthorized | AppError::BadCredentials | AppError::SecondFactor(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::NotOpenYet(_) | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::BadRequest(_) | AppError::Invalid(_) | AppError::Checks(_) => StatusCode::BAD_REQUEST,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let AppError::Internal(cause) = self {
            tracing::error!(%cause, "request failed");
        }
        let mut response = HttpResponse::new(self.status_code());
        response.extensions_mut().insert(ErrorMessage {
            key: self.message_key(),
            fields: match self {
                AppError::Invalid(fields) => Some(fields.clone()),
                _ => None,
            },
            date: match self {
                AppError::NotOpenYet(date) => Some(*date),
                _ => None,
            },
            checks: match self {
                AppError::Checks(checks) => Some(checks.clone()),
                _ => None,
            },
        });
        response
    }
}

impl From<FieldErrors> for AppError {
    fn from(errors: FieldErrors) -> Self {
        AppError::Invalid(errors)
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(error: diesel::result::Error) -> Self {
        match error {
            diesel::result::Error::NotFound => AppError::NotFound,
            // Input the database cannot hold (NUL in text on PostgreSQL, a date beyond
            // its range) that slipped past the checks at the edge is the request's
            // fault: a 400 and a warning, never a 500. The statement failed, so
            // nothing was written by it.
            diesel::result::Error::DatabaseError(_, ref info) if is_unstorable_input(info.message()) => {
                tracing::warn!(cause = info.message(), "input the database cannot store");
                AppError::BadRequest("errors.bad_request")
            }
            other => AppError::internal(other),
        }
    }
}

fn is_unstorable_input(message: &str) -> bool {
    message.contains("invalid byte sequence for encoding")
        || message.contains("date out of range")
        || message.contains("timestamp out of range")
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(error: diesel::r2d2::PoolError) -> Self {
        AppError::internal(error)
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(error: actix_web::error::BlockingError) -> Self {
        AppError::internal(error)
    }
}

impl From<tera::Error> for AppError {
    fn from(error: tera::Error) -> Self {
        // tera's Display hides the cause chain; keep it for the log.
        let mut message = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        AppError::Internal(message)
    }
}

pub type AppResult<T> = Result<T, AppError>;
