//! Links sent by mail: confirming an address, accepting an invitation by setting a
//! password, and resetting a forgotten password. A reset request answers the same
//! whether or not the address has an account, so it reveals nothing.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::model::User;
use super::tokens::{self, Purpose};
use super::web::{signed_in_response, with_cookie};
use super::{password, store};
use crate::accounts::model::UserId;
use crate::accounts::password_policy::{self, MAX_CHARS as PASSWORD_MAX_CHARS, MIN_CHARS as PASSWORD_MIN_CHARS};
use crate::app::AppState;
use crate::db::{self, DbConnection};
use crate::error::{AppError, AppResult};
use crate::mail::{Email, Kind, MailSettings};
use crate::validation::{self, FieldErrors};
use crate::web::context::{self, RequestContext};
use crate::web::forms::CsrfForm;
use crate::web::render;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/password/forgot", web::get().to(forgot_page))
        .route("/password/forgot", web::post().to(forgot))
        .route("/password/reset", web::get().to(reset_page))
        .route("/password/reset", web::post().to(reset))
        .route("/invitation", web::get().to(invitation_page))
        .route("/invitation", web::post().to(accept_invitation))
        .route("/verify-email", web::get().to(verify_email));
}

/// Queues the message that asks a new user to confirm their address.
pub fn send_verification(conn: &mut DbConnection, mail: &MailSettings, user: &User) -> Result<(), AppError> {
    let token = tokens::issue(conn, user.id, Purpose::VerifyEmail, Utc::now().naive_utc())?;
    mail.queue(
        conn,
        &Email::to_user(
            user,
            Kind::VerifyEmail,
            mail.link(&format!("/verify-email?token={token}"), user.locale),
        ),
    )
}

/// Tells the owner of an address that someone tried to register with it, with a link
/// to sign in and the address of the page that sends a password reset link.
pub fn send_registration_attempt(conn: &mut DbConnection, mail: &MailSettings, owner: &User) -> Result<(), AppError> {
    mail.queue(
        conn,
        &Email {
            args: vec![("reset", mail.link("/password/forgot", owner.locale))],
            ..Email::to_user(owner, Kind::RegistrationAttempt, mail.link("/login", owner.locale))
        },
    )
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ForgotForm {
    email: String,
}

/// What `accounts/forgot.html` shows.
#[derive(Serialize)]
struct ForgotPage<'a> {
    email: &'a str,
    sent: bool,
}

fn forgot_form(
    state: &AppState,
    ctx: &RequestContext,
    form: &ForgotForm,
    errors: Option<&FieldErrors>,
    sent: bool,
) -> AppResult<HttpResponse> {
    let page = ForgotPage {
        email: &form.email,
        sent,
    };
    render::form_view(state, ctx, "accounts/forgot.html", &page, errors)
}

async fn forgot_page(state: web::Data<AppState>, ctx: RequestContext) -> AppResult<HttpResponse> {
    forgot_form(&state, &ctx, &ForgotForm::default(), None, false)
}

async fn forgot(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: RequestContext,
    CsrfForm(form): CsrfForm<ForgotForm>,
) -> AppResult<HttpResponse> {
    state
        .check_rate(crate::web::rate_limit::Limit::ResetRequest, &req)
        .await?;
    let mut errors = FieldErrors::new();
    let email = validation::email(&mut errors, "email", &form.email);
    if !errors.is_empty() {
        return forgot_form(&state, &ctx, &form, Some(&errors), false);
    }
    let mail = state.mail.clone();
    state
        .db(move |conn| {
            let Some(row) = store::find_row_by_email(conn, &email)? else {
                return Ok(());
            };
            let user = User::from(row);
            db::write_transaction(conn, |conn| {
                let token = tokens::issue(conn, user.id, Purpose::PasswordReset, Utc::now().naive_utc())?;
                mail.queue(
                    conn,
                    &Email::to_user(
                        &user,
                        Kind::PasswordReset,
                        mail.link(&format!("/password/reset?token={token}"), user.locale),
                    ),
                )
            })
        })
        .await?;
    forgot_form(&state, &ctx, &ForgotForm::default(), None, true)
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct TokenQuery {
    token: String,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct NewPasswordForm {
    token: String,
    password: String,
    password_confirmation: String,
}

/// Whose valid token this is; a 404 otherwise, counted against the client's address.
async fn token_owner(state: &AppState, req: &HttpRequest, token: &str, purpose: Purpose) -> AppResult<User> {
    let token = token.to_owned();
    let owner: UserId = super::throttle::look_up_token(state, req, move |conn| {
        tokens::peek(conn, &token, purpose, Utc::now().naive_utc())
    })
    .await?;
    state
        .db(move |conn| store::find(conn, owner))
        .await?
        .ok_or(AppError::NotFound)
}

/// Where each kind of set-password link posts, and the words of its page.
fn page_of(purpose: Purpose) -> (&'static str, &'static str) {
    match purpose {
        Purpose::Invitation => ("/invitation", "invitation"),
        _ => ("/password/reset", "reset"),
    }
}

/// What `accounts/new_password.html` shows, for a reset or an invitation.
#[derive(Serialize)]
struct NewPasswordPage<'a> {
    token: &'a str,
    action: &'static str,
    title_key: String,
    lead_key: String,
    password_min: usize,
    password_max: usize,
}

fn password_form(
    state: &AppState,
    ctx: &RequestContext,
    purpose: Purpose,
    token: &str,
    errors: Option<&FieldErrors>,
) -> AppResult<HttpResponse> {
    let (action, words) = page_of(purpose);
    let page = NewPasswordPage {
        token,
        action,
        title_key: format!("recovery.{words}_title"),
        lead_key: format!("recovery.{words}_lead"),
        password_min: PASSWORD_MIN_CHARS,
        password_max: PASSWORD_MAX_CHARS,
    };
    render::form_view(state, ctx, "accounts/new_password.html", &page, errors)
}

async fn reset_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: RequestContext,
    query: web::Query<TokenQuery>,
) -> AppResult<HttpResponse> {
    let owner = token_owner(&state, &req, &query.token, Purpose::PasswordReset).await?;
    password_form(
        &state,
        &ctx.for_reader(owner.locale),
        Purpose::PasswordReset,
        &query.token,
        None,
    )
}

async fn invitation_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: RequestContext,
    query: web::Query<TokenQuery>,
) -> AppResult<HttpResponse> {
    let owner = token_owner(&state, &req, &query.token, Purpose::Invitation).await?;
    password_form(
        &state,
        &ctx.for_reader(owner.locale),
        Purpose::Invitation,
        &query.token,
        None,
    )
}

/// Sets a new password with a one-time token and signs the user in; the address is
/// confirmed too, since the link arrived in its mailbox.
async fn set_password_with(
    state: &AppState,
    req: &HttpRequest,
    ctx: &RequestContext,
    form: NewPasswordForm,
    purpose: Purpose,
) -> AppResult<HttpResponse> {
    let owner = token_owner(state, req, &form.token, purpose).await?;
    // The page's errors and the page it leads to are in the account's language (or
    // the one the form was shown in, which its address names).
    let ctx = &ctx.for_reader(owner.locale);
    let mut errors = FieldErrors::new();
    password_policy::check_new(&mut errors, "password", &form.password, &[&owner.email, &owner.name]);
    if !errors.has("password") && form.password != form.password_confirmation {
        errors.add("password_confirmation", "accounts.password_mismatch");
    }
    if !errors.is_empty() {
        return password_form(state, ctx, purpose, &form.token, Some(&errors));
    }
    let plain = form.password.clone();
    let hash = state.password_work(move || password::hash(&plain)).await?;
    let token = form.token.clone();
    let (user_id, version) = state
        .db(move |conn| {
            db::write_transaction(conn, |conn| {
                let now = Utc::now().naive_utc();
                let user_id = tokens::redeem(conn, &token, purpose, now)?.ok_or(AppError::NotFound)?;
                let version = store::set_password(conn, user_id, &hash)?;
                store::mark_email_verified(conn, user_id, now)?;
                Ok((user_id, version))
            })
        })
        .await?;
    // A new password is the first factor only: an account with a second factor (or
    // whose role must have one) still goes through the code step.
    let user = state
        .db(move |conn| store::find(conn, user_id))
        .await?
        .ok_or(AppError::NotFound)?;
    let next = match purpose {
        Purpose::Invitation => {
            let run = state
                .db(move |conn| crate::enrolment::latest_open_enrolment_run(conn, user_id))
                .await?;
            landing_after_invitation(run)
        }
        _ => "/profile?saved=password".to_owned(),
    };
    let in_language = context::lang_cookie(state, ctx.locale);
    if let Some(second_step) = crate::accounts::two_factor_web::after_password(state, &user, &next).await? {
        return with_cookie(second_step, &in_language);
    }
    with_cookie(signed_in_response(state, user_id, version, &next)?, &in_language)
}

/// Where an invitee goes once their password is set: the run they were invited to
/// (the latest they hold, wait for or are asked to answer), with a notice, or their
/// home page when no run invited them (a staff member an administrator invited).
fn landing_after_invitation(run: Option<crate::enrolment::RunId>) -> String {
    match run {
        Some(run) => format!("/runs/{run}?done=invitation_accepted"),
        None => "/?done=password_set".to_owned(),
    }
}

async fn reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: RequestContext,
    CsrfForm(form): CsrfForm<NewPasswordForm>,
) -> AppResult<HttpResponse> {
    set_password_with(&state, &req, &ctx, form, Purpose::PasswordReset).await
}

async fn accept_invitation(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: RequestContext,
    CsrfForm(form): CsrfForm<NewPasswordForm>,
) -> AppResult<HttpResponse> {
    set_password_with(&state, &req, &ctx, form, Purpose::Invitation).await
}

async fn verify_email(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: RequestContext,
    query: web::Query<TokenQuery>,
) -> AppResult<HttpResponse> {
    let token = query.into_inner().token;
    let owner = super::throttle::look_up_token(&state, &req, move |conn| {
        let now = Utc::now().naive_utc();
        let Some(user_id) = tokens::redeem(conn, &token, Purpose::VerifyEmail, now)? else {
            return Ok(None);
        };
        store::mark_email_verified(conn, user_id, now)?;
        store::find(conn, user_id)
    })
    .await?;
    let ctx = ctx.for_reader(owner.locale);
    let page = render::view(&state, &ctx, "accounts/verified.html", &render::LayoutOnly {})?;
    with_cookie(page, &context::lang_cookie(&state, ctx.locale))
}
