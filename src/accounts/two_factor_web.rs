//! Two-factor sign-in in the browser: `/profile/two-factor` (setting up an
//! authenticator app, new recovery codes, turning it off) and `/login/two-factor`,
//! the second step of signing in. After a right password, a user with a second
//! factor gets a ten-minute token that opens only that step; one whose role the
//! installation requires it of, and who has none yet, sets it up there first. Turning
//! it on or off ends the user's other sessions and API tokens, as a password change
//! does.

use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use crate::accounts::guard::SignedIn;
use crate::accounts::model::User;
use crate::accounts::web::{signed_in_response, with_cookie, with_session};
use crate::accounts::{session, store, throttle, two_factor};
use crate::app::AppState;
use crate::audit;
use crate::error::{AppError, AppResult};
use crate::i18n;
use crate::validation::FieldErrors;
use crate::web::context::RequestContext;
use crate::web::forms::CsrfForm;
use crate::web::{render, see_other};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/login/two-factor", web::get().to(second_step_page))
        .route("/login/two-factor", web::post().to(second_step))
        .route("/profile/two-factor", web::get().to(page))
        .route("/profile/two-factor", web::post().to(confirm))
        .route("/profile/two-factor/recovery-codes", web::post().to(renew_codes))
        .route("/profile/two-factor/off", web::post().to(turn_off));
}

/// What `accounts/two_factor.html` shows: the setup with its QR code, or the state of
/// a setup that is on, or the recovery codes just made (shown once).
#[derive(Serialize, Default)]
struct TwoFactorPage {
    on: bool,
    /// Since when, written out.
    on_since: String,
    codes_left: i64,
    /// The QR code of the setup (SVG markup made here, not from input).
    qr_svg: String,
    secret: String,
    /// Recovery codes just made, shown this once.
    new_codes: Vec<String>,
    /// The installation requires a second factor of this user's role.
    required: bool,
    notice: Option<&'static str>,
}

/// Whether the installation requires `user` to sign in with a second factor.
pub fn required_for(state: &AppState, user: &User) -> bool {
    state.config.require_two_factor && user.role.is_staff()
}

async fn page_for(
    state: &AppState,
    ctx: &RequestContext,
    user: User,
    new_codes: Vec<String>,
    notice: Option<&'static str>,
    errors: Option<&FieldErrors>,
) -> AppResult<HttpResponse> {
    let required = required_for(state, &user);
    let site = state.config.site_name.clone();
    let locale = ctx.locale;
    let page = state
        .db(move |conn| {
            let setup = two_factor::begin(conn, user.id)?;
            let mut page = TwoFactorPage {
                on: setup.is_on(),
                new_codes,
                required,
                notice,
                ..TwoFactorPage::default()
            };
            if let Some(since) = setup.confirmed_at {
                page.on_since = i18n::format_date(locale, since.date());
                page.codes_left = two_factor::recovery_codes_left(conn, user.id)?;
            } else {
                page.qr_svg = two_factor::qr_svg(&setup.provisioning_uri(&site, &user.email))?;
                page.secret = setup.secret_grouped();
            }
            Ok(page)
        })
        .await?;
    render::form_view(state, ctx, "accounts/two_factor.html", &page, errors)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PageQuery {
    done: String,
}

async fn page(
    state: web::Data<AppState>,
    ctx: RequestContext,
    query: web::Query<PageQuery>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let notice = match query.done.as_str() {
        "off" => Some("two_factor.turned_off"),
        "required" => Some("two_factor.required_notice"),
        _ => None,
    };
    page_for(&state, &ctx, user, Vec::new(), notice, None).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CodeForm {
    code: String,
    password: String,
}

/// Records in the audit log that `user` turned two-factor sign-in on or off, and ends
/// every session and API token of theirs, as a password change does: whatever signed
/// in before the change must sign in again under it. Returns the token version for
/// the new session of the browser that made the change.
fn changed(conn: &mut crate::db::DbConnection, user: &User, on: bool) -> AppResult<i32> {
    audit::record(
        conn,
        audit::Entry {
            actor: Some(user.id),
            action: audit::Action::TwoFactorChanged,
            subject: format!("user:{}", user.id.get()),
            details: serde_json::json!({ "on": on }),
        },
        Utc::now().naive_utc(),
    )?;
    store::bump_token_version(conn, user.id)
}

/// The first code from the app turns the setup on and shows the recovery codes, in a
/// new session: the others have ended.
async fn confirm(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: RequestContext,
    CsrfForm(form): CsrfForm<CodeForm>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let subject = user.clone();
    let turned_on = state
        .db(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                let Some(codes) = two_factor::confirm(conn, &subject, &form.code, Utc::now().naive_utc())? else {
                    return Ok(None);
                };
                Ok(Some((codes, changed(conn, &subject, true)?)))
            })
        })
        .await?;
    match turned_on {
        Some((codes, version)) => {
            let issued = session::issue(&state.config.secret, user.id, version)?;
            // The page's forms are posted with the new session.
            let ctx = ctx.with_new_session(&state, &req, &issued.token);
            let page = page_for(&state, &ctx, user, codes, Some("two_factor.turned_on"), None).await?;
            with_session(&state, page, issued.token)
        }
        None => {
            let errors = FieldErrors::one("code", "two_factor.code_wrong");
            page_for(&state, &ctx, user, Vec::new(), None, Some(&errors)).await
        }
    }
}

/// Checks the account's password, for the changes that need it: wrong passwords count
/// as at sign-in, and the hash runs under the same cap.
async fn password_matches(state: &AppState, req: &HttpRequest, user: &User, typed: String) -> AppResult<bool> {
    Ok(throttle::authenticate(state, req, &user.email, &typed)
        .await?
        .is_some_and(|found| found.id == user.id))
}

/// New recovery codes, replacing the old ones, after the password and a current code
/// (the password alone must not mint a way past the second factor).
async fn renew_codes(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: RequestContext,
    CsrfForm(form): CsrfForm<CodeForm>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let id = user.id;
    if !state.db(move |conn| two_factor::is_on(conn, id)).await? {
        return Err(AppError::Conflict("two_factor.not_on"));
    }
    if !password_matches(&state, &req, &user, form.password.clone()).await? {
        let errors = FieldErrors::one("password", "accounts.current_password_wrong");
        return page_for(&state, &ctx, user, Vec::new(), None, Some(&errors)).await;
    }
    let attempt = throttle::begin_second_factor_check(&state, &req, &user).await?;
    let (subject, code) = (user.clone(), form.code.clone());
    let accepted = state
        .db(move |conn| two_factor::check(conn, &subject, &code, Utc::now().naive_utc()))
        .await?;
    if accepted.is_none() {
        let errors = FieldErrors::one("code", "two_factor.code_wrong");
        return page_for(&state, &ctx, user, Vec::new(), None, Some(&errors)).await;
    }
    state.attempt_succeeded(attempt).await?;
    let codes = state.db(move |conn| two_factor::new_recovery_codes(conn, id)).await?;
    page_for(&state, &ctx, user, codes, Some("two_factor.codes_renewed"), None).await
}

/// Turns two-factor sign-in off, after the password and a current code, and ends the
/// user's other sessions; refused where the installation requires it of the user's
/// role.
async fn turn_off(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: RequestContext,
    CsrfForm(form): CsrfForm<CodeForm>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    if required_for(&state, &user) {
        return Err(AppError::Conflict("two_factor.cannot_turn_off"));
    }
    let mut errors = FieldErrors::new();
    if !password_matches(&state, &req, &user, form.password.clone()).await? {
        errors.add("password", "accounts.current_password_wrong");
    }
    let subject = user.clone();
    let code = form.code.clone();
    let accepted = if errors.is_empty() {
        state
            .db(move |conn| two_factor::check(conn, &subject, &code, Utc::now().naive_utc()))
            .await?
    } else {
        None
    };
    if accepted.is_none() {
        if errors.is_empty() {
            errors.add("code", "two_factor.code_wrong");
        }
        return page_for(&state, &ctx, user, Vec::new(), None, Some(&errors)).await;
    }
    let subject = user.clone();
    let version = state
        .db(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                two_factor::turn_off(conn, subject.id)?;
                changed(conn, &subject, false)
            })
        })
        .await?;
    signed_in_response(&state, user.id, version, "/profile/two-factor?done=off")
}

/// The cookie that carries the second-step token, sent only to `/login/two-factor`.
const SECOND_STEP_COOKIE: &str = "bilim_second_step";

fn second_step_cookie(state: &AppState, token: String) -> Cookie<'static> {
    Cookie::build(SECOND_STEP_COOKIE, token)
        .path("/login/two-factor")
        .http_only(true)
        .secure(state.config.secure_cookies)
        .same_site(SameSite::Lax)
        .max_age(CookieDuration::minutes(session::SECOND_STEP_MINUTES))
        .finish()
}

/// After a right password: `None` when the user needs no second factor (the caller
/// signs them in); otherwise the way to the second step, which remembers `next`.
pub async fn after_password(state: &AppState, user: &User, next: &str) -> AppResult<Option<HttpResponse>> {
    let id = user.id;
    let on = state.db(move |conn| two_factor::is_on(conn, id)).await?;
    if !on && !required_for(state, user) {
        return Ok(None);
    }
    let issued = session::issue_second_step(&state.config.secret, user.id, user.token_version)?;
    let to = format!("/login/two-factor?next={}", urlencoded(next));
    Ok(Some(with_cookie(
        see_other(to),
        &second_step_cookie(state, issued.token),
    )?))
}

fn urlencoded(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// The user the second-step cookie names, if it is valid and still theirs.
async fn second_step_user(state: &AppState, req: &HttpRequest) -> AppResult<Option<User>> {
    let Some(subject) = req
        .cookie(SECOND_STEP_COOKIE)
        .and_then(|cookie| session::verify_second_step(&state.config.secret, cookie.value()))
    else {
        return Ok(None);
    };
    let user = state.db(move |conn| store::find(conn, subject.user_id)).await?;
    Ok(user.filter(|user| user.token_version == subject.token_version))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NextQuery {
    next: String,
}

/// What `accounts/two_factor_sign_in.html` shows: the code form, or — for a user who
/// must set a second factor up first — the setup with its QR code, or the recovery
/// codes just made and the way on.
#[derive(Serialize, Default)]
struct SecondStepPage {
    next: String,
    setting_up: bool,
    qr_svg: String,
    secret: String,
    new_codes: Vec<String>,
}

async fn second_step_form(
    state: &AppState,
    ctx: &RequestContext,
    user: User,
    next: String,
    errors: Option<&FieldErrors>,
) -> AppResult<HttpResponse> {
    let site = state.config.site_name.clone();
    let page = state
        .db(move |conn| {
            if two_factor::is_on(conn, user.id)? {
                return Ok(SecondStepPage {
                    next,
                    ..SecondStepPage::default()
                });
            }
            let setup = two_factor::begin(conn, user.id)?;
            Ok(SecondStepPage {
                next,
                setting_up: true,
                qr_svg: two_factor::qr_svg(&setup.provisioning_uri(&site, &user.email))?,
                secret: setup.secret_grouped(),
                new_codes: Vec::new(),
            })
        })
        .await?;
    render::form_view(state, ctx, "accounts/two_factor_sign_in.html", &page, errors)
}

/// Back to the password, when the second step has expired or was never begun.
fn start_again() -> HttpResponse {
    see_other("/login?expired=1")
}

async fn second_step_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: RequestContext,
    query: web::Query<NextQuery>,
) -> AppResult<HttpResponse> {
    let Some(user) = second_step_user(&state, &req).await? else {
        return Ok(start_again());
    };
    second_step_form(&state, &ctx, user, query.next.clone(), None).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SecondStepForm {
    code: String,
    next: String,
}

/// Checks the code (or confirms a new setup) and signs the user in.
async fn second_step(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: RequestContext,
    CsrfForm(form): CsrfForm<SecondStepForm>,
) -> AppResult<HttpResponse> {
    let Some(user) = second_step_user(&state, &req).await? else {
        return Ok(start_again());
    };
    let attempt = throttle::begin_second_factor_check(&state, &req, &user).await?;
    let subject = user.clone();
    let code = form.code.clone();
    let outcome = state
        .db(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                let now = Utc::now().naive_utc();
                if two_factor::is_on(conn, subject.id)? {
                    let accepted = two_factor::check(conn, &subject, &code, now)?;
                    return Ok(accepted.map(|_| (Vec::new(), subject.token_version)));
                }
                let Some(codes) = two_factor::confirm(conn, &subject, &code, now)? else {
                    return Ok(None);
                };
                Ok(Some((codes, changed(conn, &subject, true)?)))
            })
        })
        .await?;
    let Some((new_codes, version)) = outcome else {
        let errors = FieldErrors::one("code", "two_factor.code_wrong");
        return second_step_form(&state, &ctx, user, form.next, Some(&errors)).await;
    };
    state.attempt_succeeded(attempt).await?;
    let to = crate::accounts::web::safe_next(&form.next).unwrap_or("/").to_owned();
    tracing::info!(user_id = %user.id, "signed in with a second factor");
    let issued = session::issue(&state.config.secret, user.id, version)?;
    let mut gone = second_step_cookie(&state, String::new());
    gone.make_removal();
    let response = if new_codes.is_empty() {
        see_other(&to)
    } else {
        // A second factor just set up: its recovery codes are shown this once, with
        // the way on.
        let page = SecondStepPage {
            next: to,
            new_codes,
            ..SecondStepPage::default()
        };
        render::view(&state, &ctx, "accounts/two_factor_sign_in.html", &page)?
    };
    let response = with_cookie(response, &gone)?;
    with_session(&state, response, issued.token)
}
