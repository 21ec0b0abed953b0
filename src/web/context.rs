//! What every request knows before its handler runs: who is signed in, which language
//! to answer in and the CSRF token of the browser. One middleware computes it, and the
//! same middleware turns every error response into a page or JSON body in that
//! language, so errors are rendered in one place.
//!
//! The one thing web/ takes from a capability is the signed-in user's type
//! (`accounts::model::User`), which every request carries; finding that user from a
//! token is `AppState::signed_in_user`'s job, in `crate::app`.

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, HttpResponse};
use base64::Engine;
use rand::RngCore;

use crate::accounts::model::User;
use crate::app::AppState;
use crate::error::{AppError, ErrorMessage};
use crate::i18n::{self, Locale};
use crate::web::render;

pub const CSRF_COOKIE: &str = "bilim_csrf";
/// The session token's cookie on pages (the API takes it as a Bearer token).
pub const SESSION_COOKIE: &str = "bilim_session";
/// How long a session token and its cookie last.
pub const SESSION_HOURS: i64 = 12;
pub const LANG_COOKIE: &str = "bilim_lang";

/// The request's user, language and CSRF token.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub user: Option<User>,
    pub locale: Locale,
    pub csrf_token: String,
    /// The path and query of the request, for links back to the same page.
    pub path: String,
    pub query: String,
}

impl RequestContext {
    pub fn is_api_path(path: &str) -> bool {
        path.starts_with("/api/")
    }

    /// The signed-in user, or `Unauthorized` (a redirect to the login page for pages).
    pub fn user(&self) -> Result<&User, AppError> {
        self.user.as_ref().ok_or(AppError::Unauthorized)
    }

    pub fn t(&self, key: &str) -> String {
        i18n::t(self.locale, key)
    }

    /// The language this request's query names (`?lang=`, as the switcher's links and
    /// the links in messages carry it), if any.
    pub fn chosen_locale(&self) -> Option<Locale> {
        query_param(&self.query, "lang").and_then(|code| Locale::from_code(&code))
    }

    /// This context for a page reached by a link sent to a person: in their account's
    /// language (`reader`), not the browser's, unless the request names one itself
    /// (the language switcher on that page).
    pub fn for_reader(&self, reader: Locale) -> RequestContext {
        RequestContext {
            locale: self.chosen_locale().unwrap_or(reader),
            ..self.clone()
        }
    }

    /// This request's context for a page whose response starts a new session
    /// (`session`, the token its cookie carries) in place of the one the request came
    /// with: the forms' CSRF token is bound to the new session, since the browser will
    /// post them with it.
    pub fn with_new_session(&self, state: &AppState, req: &HttpRequest, session: &str) -> RequestContext {
        let browser_token = req
            .cookie(CSRF_COOKIE)
            .map(|c| c.value().to_owned())
            .filter(|v| v.len() >= 32);
        match browser_token {
            Some(browser_token) => RequestContext {
                csrf_token: form_token(state, &browser_token, Some(session)),
                ..self.clone()
            },
            None => self.clone(),
        }
    }
}

impl FromRequest for RequestContext {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(
            req.extensions()
                .get::<RequestContext>()
                .cloned()
                .ok_or_else(|| AppError::internal("the request context middleware is not installed")),
        )
    }
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn query_param<'a>(query: &'a str, name: &str) -> Option<std::borrow::Cow<'a, str>> {
    url_pairs(query).find(|(k, _)| k == name).map(|(_, v)| v)
}

fn url_pairs(query: &str) -> impl Iterator<Item = (std::borrow::Cow<'_, str>, std::borrow::Cow<'_, str>)> {
    form_urlencoded::parse(query.as_bytes())
}

/// The token of the request: a Bearer header on the API (cookies are not accepted
/// there, so the API needs no CSRF token), the session cookie on pages.
fn presented_token(req: &ServiceRequest) -> Option<String> {
    if RequestContext::is_api_path(req.path()) {
        let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))?;
        Some(token.trim().to_owned())
    } else {
        req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned())
    }
}

/// A path segment or query value that carries a control character (NUL, escape…)
/// names nothing here: such a path is a 404 and such a query a 400, before anything
/// reaches the database (PostgreSQL refuses NUL in text with an error).
fn unreadable_address(req: &ServiceRequest) -> Option<AppError> {
    let decoded_path = percent_encoding::percent_decode_str(req.path()).decode_utf8_lossy();
    if decoded_path.chars().any(crate::validation::is_forbidden_control) {
        return Some(AppError::NotFound);
    }
    let query_has_control = url_pairs(req.query_string()).any(|(name, value)| {
        name.chars()
            .chain(value.chars())
            .any(crate::validation::is_forbidden_control)
    });
    query_has_control.then_some(AppError::BadRequest("validation.control_characters"))
}

fn negotiate_locale(req: &ServiceRequest, user: Option<&User>, default: Locale) -> (Locale, bool) {
    if let Some(locale) = query_param(req.query_string(), "lang").and_then(|code| Locale::from_code(&code)) {
        return (locale, true);
    }
    let from_cookie = req.cookie(LANG_COOKIE).and_then(|c| Locale::from_code(c.value()));
    let from_accept = || {
        req.headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(i18n::from_accept_language)
    };
    let locale = from_cookie
        .or_else(|| user.map(|u| u.locale))
        .or_else(from_accept)
        .unwrap_or(default);
    (locale, false)
}

/// The CSRF token that forms carry and posts must return. Signed out, it is the
/// browser's CSRF cookie. Signed in, it is that cookie bound to the session by an HMAC
/// under the server's secret, so a cookie and token planted in the browser from
/// elsewhere are of no use against a signed-in account; a new sign-in gives new tokens.
fn form_token(state: &AppState, browser_token: &str, session: Option<&str>) -> String {
    use hmac::{Hmac, Mac};
    let Some(session) = session else {
        return browser_token.to_owned();
    };
    if browser_token.is_empty() {
        return String::new();
    }
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(state.config.secret.bytes()) else {
        return String::new();
    };
    mac.update(b"bilim csrf\0");
    mac.update(browser_token.as_bytes());
    mac.update(b"\0");
    mac.update(session.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

pub fn session_cookie(state: &AppState, token: String) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, token)
        .path("/")
        .http_only(true)
        .secure(state.config.secure_cookies)
        .same_site(SameSite::Lax)
        .max_age(CookieDuration::hours(SESSION_HOURS))
        .finish()
}

pub fn expired_session_cookie(state: &AppState) -> Cookie<'static> {
    let mut cookie = session_cookie(state, String::new());
    cookie.make_removal();
    cookie
}

pub fn lang_cookie(state: &AppState, locale: Locale) -> Cookie<'static> {
    Cookie::build(LANG_COOKIE, locale.code())
        .path("/")
        .http_only(true)
        .secure(state.config.secure_cookies)
        .same_site(SameSite::Lax)
        .max_age(CookieDuration::days(365))
        .finish()
}

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<BoxBody>>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Err(AppError::internal("application state missing").into());
    };
    let token = presented_token(&req);
    let had_token = token.is_some();
    let session_token = token.clone().filter(|_| !RequestContext::is_api_path(req.path()));
    // A user record that cannot be read (a corrupt stored value, the database away)
    // answers with the error page in the visitor's language, not a bare 500.
    let (user, failed) = match unreadable_address(&req) {
        Some(refused) => (None, Some(refused)),
        None => match state.signed_in_user(token).await {
            Ok(user) => (user, None),
            Err(error) => (None, Some(error)),
        },
    };
    let (locale, lang_from_query) = negotiate_locale(&req, user.as_ref(), state.config.default_locale);
    let existing_csrf = req
        .cookie(CSRF_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| v.len() >= 32);
    let new_csrf = existing_csrf.is_none().then(random_token);
    let browser_token = existing_csrf.or_else(|| new_csrf.clone()).unwrap_or_default();
    let signed_in_session = session_token.filter(|_| user.is_some());
    let context = RequestContext {
        csrf_token: form_token(&state, &browser_token, signed_in_session.as_deref()),
        user,
        locale,
        path: req.path().to_owned(),
        query: req.query_string().to_owned(),
    };
    let drop_stale_session =
        had_token && failed.is_none() && context.user.is_none() && !RequestContext::is_api_path(req.path());
    req.extensions_mut().insert(context.clone());

    let response = match failed {
        Some(error) => req.error_response(error).map_into_boxed_body(),
        None => next.call(req).await?.map_into_boxed_body(),
    };
    let mut response = render_error_if_any(&state, &context, response);

    let mut cookies = Vec::new();
    if let Some(token) = new_csrf {
        cookies.push(
            Cookie::build(CSRF_COOKIE, token)
                .path("/")
                .http_only(true)
                .secure(state.config.secure_cookies)
                .same_site(SameSite::Lax)
                .finish(),
        );
    }
    if lang_from_query {
        cookies.push(lang_cookie(&state, locale));
    }
    if drop_stale_session {
        cookies.push(expired_session_cookie(&state));
    }
    for cookie in cookies {
        if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    Ok(response)
}

/// Replaces the body of an error response (ours or one of actix's extractors') with
/// a page or a JSON `{"error": …}` in the request's language. Pages that render
/// their own errors (forms) carry no error and pass through.
fn render_error_if_any<B: MessageBody + 'static>(
    state: &AppState,
    context: &RequestContext,
    response: ServiceResponse<B>,
) -> ServiceResponse<EitherBody<BoxBody>> {
    let status = response.status();
    let message = response.response().extensions().get::<ErrorMessage>().cloned();
    let fields = message.as_ref().and_then(|m| m.fields.clone());
    let date = message.as_ref().and_then(|m| m.date);
    let checks = message.as_ref().and_then(|m| m.checks.clone());
    let key = message.map(|m| m.key).or_else(|| {
        response
            .response()
            .error()
            .filter(|_| status.is_client_error() || status.is_server_error())
            .map(|_| default_message_key(status))
    });
    let Some(key) = key else {
        return response.map_into_boxed_body().map_into_left_body();
    };
    let (request, _) = response.into_parts();
    let text = match date {
        Some(date) => i18n::t_with(
            context.locale,
            key,
            &[("date", &i18n::format_date(context.locale, date))],
        ),
        None => i18n::t(context.locale, key),
    };
    let replacement = if RequestContext::is_api_path(&context.path) {
        let body = match &fields {
            Some(fields) => serde_json::json!({
                "error": fields.summary(context.locale),
                "fields": fields
                    .localise(context.locale)
                    .into_iter()
                    .map(|e| (e.field.into_owned(), serde_json::Value::String(e.message)))
                    .collect::<serde_json::Map<_, _>>(),
            }),
            None => match &checks {
                Some(checks) => serde_json::json!({ "error": text, "checks": checks }),
                None => serde_json::json!({ "error": text }),
            },
        };
        HttpResponse::build(status).json(body)
    } else if status == actix_web::http::StatusCode::UNAUTHORIZED {
        let next = if context.query.is_empty() {
            context.path.clone()
        } else {
            format!("{}?{}", context.path, context.query)
        };
        let target = format!(
            "/login?next={}",
            form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
        );
        crate::web::see_other(target)
    } else if let Some(fields) = &fields {
        // A page handler lets invalid input through only where no form can be shown
        // again; the error page then says what was wrong.
        render::error_page_with_message(state, context, status, &fields.summary(context.locale))
    } else {
        render::error_page_with_message(state, context, status, &text)
    };
    ServiceResponse::new(request, replacement).map_into_right_body()
}

fn default_message_key(status: actix_web::http::StatusCode) -> &'static str {
    match status.as_u16() {
        401 => "errors.unauthorized",
        403 => "errors.forbidden",
        404 => "errors.not_found",
        405 => "errors.method_not_allowed",
        413 => "errors.payload_too_large",
        415 => "errors.unsupported_media_type",
        429 => "errors.rate_limited",
        400..=499 => "errors.bad_request",
        _ => "errors.internal",
    }
}
