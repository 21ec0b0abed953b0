//! tera templates, compiled into the binary, and what every page gets in its context.
//! Email is rendered from `templates/mail/` by the same instance (see `crate::mail`).
//!
//! tera 1 is used deliberately over tera 2: its API is stable and known, and the
//! only thing tera 2 would add here, functions that read the render state, is
//! replaced by passing `lang` to the `t` function; templates stay display-only.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use serde::Serialize;
use tera::{Tera, Value};

use crate::app::AppState;
use crate::error::{AppError, AppResult};
use crate::i18n::{self, Locale};
use crate::validation::FieldErrors;
use crate::web::context::RequestContext;

macro_rules! templates {
    ($($name:literal),+ $(,)?) => {
        &[$(($name, include_str!(concat!("../../templates/", $name)))),+]
    };
}

const TEMPLATES: &[(&str, &str)] = templates![
    "base.html",
    "macros.html",
    "partials/error_summary.html",
    "partials/header.html",
    "partials/footer.html",
    "home.html",
    "home/learner.html",
    "home/trainer.html",
    "home/coordinator.html",
    "home/admin.html",
    "home/staff_runs.html",
    "error.html",
    "accounts/login.html",
    "accounts/logout.html",
    "accounts/register.html",
    "accounts/profile.html",
    "accounts/setup.html",
    "accounts/forgot.html",
    "accounts/new_password.html",
    "accounts/verified.html",
    "accounts/two_factor.html",
    "accounts/two_factor_sign_in.html",
    "accounts/registered.html",
    "admin/index.html",
    "admin/audit.html",
    "admin/institutions.html",
    "admin/institution.html",
    "admin/users.html",
    "admin/user_edit.html",
    "admin/invite.html",
    "courses/catalogue.html",
    "courses/overview.html",
    "courses/module.html",
    "quizzes/macros.html",
    "quizzes/start.html",
    "quizzes/attempt.html",
    "quizzes/check.html",
    "quizzes/review.html",
    "quizzes/grading.html",
    "quizzes/grade_essay.html",
    "quizzes/statistics.html",
    "runs/list.html",
    "runs/run.html",
    "runs/manage_list.html",
    "runs/form.html",
    "runs/manage.html",
    "attendance/teaching.html",
    "attendance/run.html",
    "attendance/day.html",
    "certificates/mine.html",
    "certificates/verify.html",
    "reports/index.html",
    "reports/table.html",
    "reports/chart.html",
    "authoring/macros.html",
    "authoring/overview.html",
    "authoring/text.html",
    "authoring/editor.html",
    "authoring/review.html",
    "authoring/law_table.html",
    "authoring/law_entry.html",
    "authoring/glossary.html",
    "authoring/glossary_term.html",
    "mail/base.html",
    "mail/base.txt",
    "mail/verify_email.html",
    "mail/verify_email.txt",
    "mail/invitation.html",
    "mail/invitation.txt",
    "mail/password_reset.html",
    "mail/password_reset.txt",
    "mail/enrolment_requested.html",
    "mail/enrolment_requested.txt",
    "mail/enrolment_approved.html",
    "mail/enrolment_approved.txt",
    "mail/enrolment_rejected.html",
    "mail/enrolment_rejected.txt",
    "mail/enrolment_waitlisted.html",
    "mail/enrolment_waitlisted.txt",
    "mail/enrolment_promoted.html",
    "mail/enrolment_promoted.txt",
    "mail/enrolment_invited.html",
    "mail/enrolment_invited.txt",
    "mail/run_starting_soon.html",
    "mail/run_starting_soon.txt",
    "mail/certificate_issued.html",
    "mail/certificate_issued.txt",
    "mail/registration_attempt.html",
    "mail/registration_attempt.txt",
    "mail/authoring_digest.html",
    "mail/authoring_digest.txt",
    "mail/staff_invitation.html",
    "mail/staff_invitation.txt",
];

pub fn build_tera() -> Result<Tera, tera::Error> {
    let mut tera = Tera::default();
    tera.add_raw_templates(TEMPLATES.to_vec())?;
    tera.autoescape_on(vec![".html"]);
    tera.set_escape_fn(escape_html);
    tera.register_function("t", translate_function);
    tera.register_filter("paragraphs", paragraphs_filter);
    Ok(tera)
}

/// Escapes what could end a text node or a quoted attribute. tera's default also
/// escapes `/`, which only makes every URL in the page longer.
pub fn escape_html(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for c in input.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// `text | paragraphs`: the paragraphs of a text, which a blank line separates,
/// trimmed, without empty ones (a coordinator's reason may hold several).
fn paragraphs_filter(value: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    let text = value
        .as_str()
        .ok_or_else(|| tera::Error::msg("paragraphs needs a text"))?;
    Ok(Value::Array(
        text.split("\n\n")
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| Value::String(p.to_owned()))
            .collect(),
    ))
}

/// `t(key="…", lang=lang)`; with `count=n` it picks the plural form of `key`; any
/// other argument fills the `%{name}` placeholder of the same name.
fn translate_function(args: &HashMap<String, Value>) -> tera::Result<Value> {
    let key = args
        .get("key")
        .and_then(Value::as_str)
        .ok_or_else(|| tera::Error::msg("t() needs key"))?;
    let locale = args
        .get("lang")
        .and_then(Value::as_str)
        .and_then(Locale::from_code)
        .ok_or_else(|| tera::Error::msg(format!("t(key={key:?}) needs a valid lang")))?;
    let values: Vec<(String, String)> = args
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "key" | "lang" | "count"))
        .map(|(name, value)| {
            let text = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (name.clone(), text)
        })
        .collect();
    let placeholders: Vec<(&str, &str)> = values.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let text = match args.get("count").and_then(Value::as_i64) {
        Some(count) => i18n::t_count(locale, key, count, &placeholders),
        None => i18n::t_with(locale, key, &placeholders),
    };
    Ok(Value::String(text))
}

#[derive(Serialize)]
struct LanguageLink {
    code: &'static str,
    name: &'static str,
    url: String,
    current: bool,
}

/// The same page in another language: the current path and query with `lang` set.
fn url_in_language(context: &RequestContext, locale: Locale) -> String {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (name, value) in form_urlencoded::parse(context.query.as_bytes()) {
        if name != "lang" {
            serializer.append_pair(&name, &value);
        }
    }
    serializer.append_pair("lang", locale.code());
    format!("{}?{}", context.path, serializer.finish())
}

/// What the base layout needs on every page.
pub fn base_context(state: &AppState, context: &RequestContext) -> tera::Context {
    let mut page = tera::Context::new();
    page.insert("lang", context.locale.code());
    page.insert("site_name", &state.config.site_name);
    page.insert("has_logo", &state.config.logo_file.is_some());
    page.insert("css_url", &state.assets.css_url());
    page.insert("csrf_token", &context.csrf_token);
    page.insert("current_path", &context.path);
    page.insert("user", &context.user.as_ref().map(|user| user.navigation()));
    let languages: Vec<LanguageLink> = Locale::ALL
        .into_iter()
        .map(|l| LanguageLink {
            code: l.code(),
            name: l.native_name(),
            url: url_in_language(context, l),
            current: l == context.locale,
        })
        .collect();
    page.insert("languages", &languages);
    page.insert("errors", &Vec::<()>::new());
    page.insert("field_errors", &HashMap::<&str, &str>::new());
    page
}

pub fn with_errors(page: &mut tera::Context, errors: &FieldErrors, locale: Locale) {
    let localised = errors.localise(locale);
    let by_field: HashMap<&str, &str> = localised
        .iter()
        .map(|e| (e.field.as_ref(), e.message.as_str()))
        .collect();
    page.insert("field_errors", &by_field);
    page.insert("errors", &localised);
}

pub fn render(state: &AppState, template: &str, page: &tera::Context) -> AppResult<String> {
    Ok(state.tera.render(template, page)?)
}

/// A page's bytes: written straight into the body, since a `String` would check the
/// UTF-8 of every page again (a tenth of a module page's time).
fn render_page(state: &AppState, template: &str, page: &tera::Context) -> AppResult<Vec<u8>> {
    let mut body = Vec::with_capacity(16 * 1024);
    state.tera.render_to(template, page, &mut body)?;
    Ok(body)
}

fn html(status: StatusCode, body: impl actix_web::body::MessageBody + 'static) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body)
}

/// A page with status 200.
pub fn page(state: &AppState, template: &str, page: &tera::Context) -> AppResult<HttpResponse> {
    Ok(html(StatusCode::OK, render_page(state, template, page)?))
}

/// A page from a typed context: the base layout's values plus the fields of `page`,
/// a `Serialize` struct that names everything the template shows.
pub fn view<P: Serialize>(state: &AppState, ctx: &RequestContext, template: &str, page: &P) -> AppResult<HttpResponse> {
    form_view(state, ctx, template, page, None)
}

/// The context of a page that shows only the layout's values and its own words.
#[derive(Serialize)]
pub struct LayoutOnly {}

/// A form page from a typed context, shown again with its errors when there are any
/// (see [`form`]).
pub fn form_view<P: Serialize>(
    state: &AppState,
    ctx: &RequestContext,
    template: &str,
    page: &P,
    errors: Option<&FieldErrors>,
) -> AppResult<HttpResponse> {
    let mut context = base_context(state, ctx);
    context.extend(tera::Context::from_serialize(page)?);
    form(state, template, context, errors, ctx.locale)
}

/// A form page: shown plainly (200), or shown again with its error summary and every
/// field's message (422, so tools see the submission failed).
pub fn form(
    state: &AppState,
    template: &str,
    mut page: tera::Context,
    errors: Option<&FieldErrors>,
    locale: Locale,
) -> AppResult<HttpResponse> {
    match errors {
        Some(errors) => {
            with_errors(&mut page, errors, locale);
            Ok(html(
                StatusCode::UNPROCESSABLE_ENTITY,
                render_page(state, template, &page)?,
            ))
        }
        None => Ok(html(StatusCode::OK, render_page(state, template, &page)?)),
    }
}

/// The localised error page. Rendering problems fall back to plain localised text so
/// an error never turns into a second error.
pub fn error_page(state: &AppState, context: &RequestContext, status: StatusCode, key: &str) -> HttpResponse {
    error_page_with_message(state, context, status, &i18n::t(context.locale, key))
}

/// The error page with a message already in the request's language.
pub fn error_page_with_message(
    state: &AppState,
    context: &RequestContext,
    status: StatusCode,
    message: &str,
) -> HttpResponse {
    let mut page = base_context(state, context);
    page.insert("status", &status.as_u16());
    page.insert("message", message);
    page.insert("title_key", &format!("errors.title_{}", title_group(status)));
    match state.tera.render("error.html", &page) {
        Ok(body) => html(status, body),
        Err(error) => {
            tracing::error!(error = %AppError::from(error), "cannot render the error page");
            HttpResponse::build(status)
                .content_type("text/plain; charset=utf-8")
                .body(message.to_owned())
        }
    }
}

fn title_group(status: StatusCode) -> &'static str {
    match status.as_u16() {
        403 => "forbidden",
        404 => "not_found",
        429 => "rate_limited",
        400..=499 => "bad_request",
        _ => "internal",
    }
}
