//! Form posts from pages: the body is checked for size, encoding and the CSRF token
//! before a handler sees it.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use crate::error::AppError;
use crate::web::context::RequestContext;

/// The largest form body accepted; the longest text fields are a few kilobytes.
pub const FORM_LIMIT_BYTES: usize = 64 * 1024;

/// A larger limit for the forms of one resource (set with `.app_data(FormLimit(n))`
/// beside a `web::PayloadConfig` of the same size): the section editor's text.
#[derive(Debug, Clone, Copy)]
pub struct FormLimit(pub usize);

/// A form with nothing but its CSRF token: buttons such as "sign out" or "approve".
#[derive(Debug, Default, serde::Deserialize)]
pub struct NoFields {}

pub type CsrfOnly = CsrfForm<NoFields>;

/// An `application/x-www-form-urlencoded` body whose `csrf_token` field matches the
/// browser's CSRF cookie. Form structs take every field as text with defaults, so a
/// missing or wrong value becomes a message beside its field, not a rejected request.
pub struct CsrfForm<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let context = req.extensions_get_context();
        let limit = req.app_data::<FormLimit>().map_or(FORM_LIMIT_BYTES, |l| l.0);
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim_start().starts_with("application/x-www-form-urlencoded"))
            .unwrap_or(false);
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let context = context?;
            if !is_form {
                return Err(AppError::UnsupportedMediaType);
            }
            let body = body.await.map_err(|_| AppError::PayloadTooLarge)?;
            if body.len() > limit {
                return Err(AppError::PayloadTooLarge);
            }
            let pairs = decode_strictly(&body)?;
            let token_matches = pairs
                .iter()
                .find(|(name, _)| name == "csrf_token")
                .is_some_and(|(_, value)| csrf_token_matches(&context, value));
            if !token_matches {
                return Err(AppError::Csrf);
            }
            serde_urlencoded::from_bytes(&body)
                .map(CsrfForm)
                .map_err(|_| AppError::BadRequest("errors.bad_request"))
        })
    }
}

trait ContextOfRequest {
    fn extensions_get_context(&self) -> Result<RequestContext, AppError>;
}

impl ContextOfRequest for HttpRequest {
    fn extensions_get_context(&self) -> Result<RequestContext, AppError> {
        use actix_web::HttpMessage;
        self.extensions()
            .get::<RequestContext>()
            .cloned()
            .ok_or_else(|| AppError::internal("the request context middleware is not installed"))
    }
}

/// Decodes the form's pairs, refusing text that is not valid UTF-8 instead of
/// silently replacing it, and text with control characters other than tabs and line
/// breaks.
fn decode_strictly(body: &[u8]) -> Result<Vec<(String, String)>, AppError> {
    let invalid = || AppError::BadRequest("errors.invalid_encoding");
    std::str::from_utf8(body).map_err(|_| invalid())?;
    body.split(|b| *b == b'&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut halves = part.splitn(2, |b| *b == b'=');
            let name = halves.next().unwrap_or_default();
            let value = halves.next().unwrap_or_default();
            let (name, value) = (
                decode_component(name).ok_or_else(invalid)?,
                decode_component(value).ok_or_else(invalid)?,
            );
            if name
                .chars()
                .chain(value.chars())
                .any(crate::validation::is_forbidden_control)
            {
                return Err(AppError::BadRequest("validation.control_characters"));
            }
            Ok((name, value))
        })
        .collect()
}

fn decode_component(raw: &[u8]) -> Option<String> {
    let plus_as_space: Vec<u8> = raw.iter().map(|b| if *b == b'+' { b' ' } else { *b }).collect();
    percent_encoding::percent_decode(&plus_as_space)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
}

/// Whether the CSRF token a form sent is the browser's: never when the browser has
/// none, and compared in constant time, so timing tells nothing about the token.
/// Forms that are not URL-encoded (file uploads) check their token with this too.
pub fn csrf_token_matches(context: &RequestContext, sent: &str) -> bool {
    !context.csrf_token.is_empty() && constant_time_eq(sent.as_bytes(), context.csrf_token.as_bytes())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// One option of a form's list or radio buttons: the value sent, the label in the
/// reader's language, and for a language named in its own words (Қазақша, Oʻzbekcha),
/// that language, so the option carries `lang` and is read in its own voice.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub lang: Option<&'static str>,
}

impl Choice {
    pub fn new(value: impl Into<String>, label: impl Into<String>) -> Choice {
        Choice {
            value: value.into(),
            label: label.into(),
            lang: None,
        }
    }

    /// A language as the option that chooses it: its code, its own name.
    pub fn language(language: crate::i18n::Locale) -> Choice {
        Choice {
            value: language.code().to_owned(),
            label: language.native_name().to_owned(),
            lang: Some(language.code()),
        }
    }
}
