//! Account pages: register, sign in, sign out, profile, first-administrator setup.

use crate::web::forms::Choice;
use actix_web::cookie::Cookie;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::accounts::guard::SignedIn;
use crate::accounts::model::{Category, Country, Gender, Role, User, UserId};
use crate::accounts::password_policy::{MAX_CHARS as PASSWORD_MAX_CHARS, MIN_CHARS as PASSWORD_MIN_CHARS};
use crate::accounts::service::{self, PasswordChangeInput, ProfileInput, RegistrationInput};
use crate::accounts::time_zone::TimeZone;
use crate::accounts::two_factor_web;
use crate::accounts::{password, session, setup, store, throttle};
use crate::app::AppState;
use crate::error::{AppError, AppResult};
use crate::i18n::{self, Locale};
use crate::institutions::{self, Institution};
use crate::validation::FieldErrors;
use crate::web::context::{self, RequestContext};
use crate::web::forms::{CsrfForm, CsrfOnly};
use crate::web::render;
use crate::web::see_other;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/login", web::get().to(login_page))
        .route("/login", web::post().to(login))
        .route("/logout", web::get().to(logout_page))
        .route("/logout", web::post().to(logout))
        .route("/register", web::get().to(register_page))
        .route("/register", web::post().to(register))
        .route("/profile", web::get().to(profile_page))
        .route("/profile", web::post().to(update_profile))
        .route("/profile/password", web::post().to(change_password))
        .route("/profile/export", web::get().to(export_download))
        .route("/setup", web::get().to(setup_page))
        .route("/setup", web::post().to(setup));
}

#[derive(Serialize)]
struct InstitutionGroup {
    country: String,
    institutions: Vec<Choice>,
}

/// The options of the profile's select and radio fields, in the reader's language,
/// which every page with the profile's fields shows.
#[derive(Serialize)]
struct ProfileChoices {
    countries: Vec<Choice>,
    genders: Vec<Choice>,
    categories: Vec<Choice>,
    locales: Vec<Choice>,
    institution_groups: Vec<InstitutionGroup>,
    password_min: usize,
    password_max: usize,
    name_max: usize,
}

/// The choices of a value set named by its codes: `countries.KZ`, `categories.judge`…
fn code_choices(locale: Locale, codes: impl Iterator<Item = &'static str>, names: &str) -> Vec<Choice> {
    codes
        .map(|code| Choice::new(code, i18n::t(locale, &format!("{names}.{code}"))))
        .collect()
}

fn profile_choices(locale: Locale, all_institutions: &[Institution]) -> ProfileChoices {
    let locales: Vec<Choice> = Locale::ALL.iter().map(|l| Choice::language(*l)).collect();
    let institution_groups: Vec<InstitutionGroup> = Country::ALL
        .iter()
        .filter_map(|country| {
            let institutions: Vec<Choice> = all_institutions
                .iter()
                .filter(|i| i.country == *country)
                .map(|i| Choice::new(i.id.to_string(), i.name.clone()))
                .collect();
            (!institutions.is_empty()).then(|| InstitutionGroup {
                country: i18n::t(locale, &format!("countries.{}", country.code())),
                institutions,
            })
        })
        .collect();
    let not_stated = Choice::new(String::new(), i18n::t(locale, "accounts.gender_not_stated"));
    let genders: Vec<Choice> = std::iter::once(not_stated)
        .chain(code_choices(locale, Gender::ALL.iter().map(|g| g.code()), "genders"))
        .collect();
    ProfileChoices {
        countries: code_choices(locale, Country::ALL.iter().map(|c| c.code()), "countries"),
        genders,
        categories: code_choices(locale, Category::ALL.iter().map(|c| c.code()), "categories"),
        locales,
        institution_groups,
        password_min: PASSWORD_MIN_CHARS,
        password_max: PASSWORD_MAX_CHARS,
        name_max: service::NAME_MAX_CHARS,
    }
}

fn profile_input_of(user: &User) -> ProfileInput {
    ProfileInput {
        name: user.name.clone(),
        country: user.country.map(|c| c.code().to_owned()).unwrap_or_default(),
        institution_id: user.institution_id.map(|i| i.to_string()).unwrap_or_default(),
        category: user.category.code().into(),
        locale: user.locale.code().into(),
        gender: user.gender.map(|g| g.code().to_owned()).unwrap_or_default(),
        time_zone: user.time_zone.map(|z| z.code().to_owned()).unwrap_or_default(),
    }
}

/// The profile's time zones: first "as in my country", which names the zone that
/// gives, then every zone offered.
fn time_zone_choices(locale: Locale, user: &User) -> Vec<Choice> {
    let automatic = Choice::new(
        String::new(),
        i18n::t_with(
            locale,
            "time_zones.automatic",
            &[("zone", &TimeZone::of_country(user.country).label(locale))],
        ),
    );
    std::iter::once(automatic)
        .chain(
            TimeZone::ALL
                .iter()
                .map(|zone| Choice::new(zone.code().to_owned(), zone.label(locale))),
        )
        .collect()
}

/// Only paths on this site are followed after signing in, never another host: one
/// leading `/`, and no backslash, whitespace, control or format character anywhere.
/// Browsers drop tabs and line breaks from a URL and read `\\` as `/`, so
/// `/<TAB>/evil.example/` would otherwise lead off-site, and a line break cannot be
/// sent in a header at all.
pub fn safe_next(next: &str) -> Option<&str> {
    let mut chars = next.chars();
    let one_leading_slash = chars.next() == Some('/') && !matches!(chars.next(), Some('/'));
    let clean = !next
        .chars()
        .any(|c| c == '\\' || c.is_whitespace() || c.is_control() || is_format_character(c));
    (one_leading_slash && clean).then_some(next)
}

/// Unicode's invisible format characters (category Cf), which can hide or reorder
/// what a URL shows.
fn is_format_character(c: char) -> bool {
    matches!(c,
        '\u{AD}'
        | '\u{600}'..='\u{605}'
        | '\u{61C}'
        | '\u{6DD}'
        | '\u{70F}'
        | '\u{180E}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{206F}'
        | '\u{FEFF}'
        | '\u{FFF9}'..='\u{FFFB}'
        | '\u{E0001}'
        | '\u{E0020}'..='\u{E007F}')
}

/// Signs the user in with a new session cookie and sends them on to `to`.
pub fn signed_in_response(state: &AppState, user_id: UserId, token_version: i32, to: &str) -> AppResult<HttpResponse> {
    let issued = session::issue(&state.config.secret, user_id, token_version)?;
    with_session(state, see_other(to), issued.token)
}

/// The response with a session cookie carrying `token` (from [`session::issue`]).
pub fn with_session(state: &AppState, response: HttpResponse, token: String) -> AppResult<HttpResponse> {
    with_cookie(response, &context::session_cookie(state, token))
}

/// The response with `cookie` set on it.
pub fn with_cookie(mut response: HttpResponse, cookie: &Cookie<'_>) -> AppResult<HttpResponse> {
    response.add_cookie(cookie).map_err(AppError::internal)?;
    Ok(response)
}

// ---- sign in ----

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LoginForm {
    email: String,
    password: String,
    next: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NextQuery {
    next: String,
    /// Set when the second step of signing in has expired.
    expired: Option<String>,
}

/// What `accounts/login.html` shows.
#[derive(Serialize)]
struct LoginPage<'a> {
    email: &'a str,
    next: &'a str,
    expired: bool,
}

fn login_form_page(
    state: &AppState,
    ctx: &RequestContext,
    form: &LoginForm,
    errors: Option<&FieldErrors>,
) -> AppResult<HttpResponse> {
    let page = LoginPage {
        email: &form.email,
        next: safe_next(&form.next).unwrap_or(""),
        expired: false,
    };
    render::form_view(state, ctx, "accounts/login.html", &page, errors)
}

async fn login_page(
    state: web::Data<AppState>,
    ctx: RequestContext,
    query: web::Query<NextQuery>,
) -> AppResult<HttpResponse> {
    if ctx.user.is_some() {
        return Ok(see_other(safe_next(&query.next).unwrap_or("/")));
    }
    let page = LoginPage {
        email: "",
        next: safe_next(&query.next).unwrap_or(""),
        expired: query.expired.is_some(),
    };
    render::form_view(&state, &ctx, "accounts/login.html", &page, None)
}

async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: RequestContext,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> AppResult<HttpResponse> {
    let mut errors = FieldErrors::new();
    if form.email.trim().is_empty() {
        errors.add("email", "validation.email_missing");
    }
    if form.password.is_empty() {
        errors.add("password", "validation.password_missing");
    }
    if !errors.is_empty() {
        return login_form_page(&state, &ctx, &form, Some(&errors));
    }
    let user = throttle::authenticate(&state, &req, &form.email, &form.password).await?;
    let Some(user) = user else {
        errors.add("email", "accounts.login_failed");
        return login_form_page(&state, &ctx, &form, Some(&errors));
    };
    let next = safe_next(&form.next).unwrap_or("/");
    if let Some(second_step) = two_factor_web::after_password(&state, &user, next).await? {
        return Ok(second_step);
    }
    tracing::info!(user_id = %user.id, "signed in");
    signed_in_response(&state, user.id, user.token_version, next)
}

// ---- sign out ----

async fn logout_page(state: web::Data<AppState>, ctx: RequestContext, _: SignedIn) -> AppResult<HttpResponse> {
    render::view(&state, &ctx, "accounts/logout.html", &render::LayoutOnly {})
}

/// Signs out everywhere: raising the token version revokes every session of the user.
async fn logout(state: web::Data<AppState>, ctx: RequestContext, _form: CsrfOnly) -> AppResult<HttpResponse> {
    if let Some(user) = &ctx.user {
        let id = user.id;
        state.db(move |conn| store::bump_token_version(conn, id)).await?;
    }
    with_cookie(see_other("/"), &context::expired_session_cookie(&state))
}

// ---- registration ----

async fn load_institutions(state: &AppState) -> AppResult<Vec<Institution>> {
    state.db(institutions::list).await
}

/// What `accounts/register.html` shows.
#[derive(Serialize)]
struct RegisterPage<'a> {
    #[serde(flatten)]
    choices: ProfileChoices,
    form: &'a ProfileInput,
    email: &'a str,
}

async fn register_form_page(
    state: &AppState,
    ctx: &RequestContext,
    input: &RegistrationInput,
    errors: Option<&FieldErrors>,
) -> AppResult<HttpResponse> {
    let all_institutions = load_institutions(state).await?;
    let page = RegisterPage {
        choices: profile_choices(ctx.locale, &all_institutions),
        form: &input.profile,
        email: &input.email,
    };
    render::form_view(state, ctx, "accounts/register.html", &page, errors)
}

async fn register_page(state: web::Data<AppState>, ctx: RequestContext) -> AppResult<HttpResponse> {
    if ctx.user.is_some() {
        return Ok(see_other("/"));
    }
    let input = RegistrationInput {
        profile: ProfileInput {
            locale: ctx.locale.code().into(),
            ..ProfileInput::default()
        },
        ..RegistrationInput::default()
    };
    register_form_page(&state, &ctx, &input, None).await
}

async fn register(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: RequestContext,
    CsrfForm(input): CsrfForm<RegistrationInput>,
) -> AppResult<HttpResponse> {
    state.check_rate(crate::web::rate_limit::Limit::Register, &req).await?;
    match register_learner(&state, &input).await {
        Ok((email, locale)) => {
            let page = RegisteredPage { email: &email };
            let response = render::view(&state, &ctx, "accounts/registered.html", &page)?;
            with_cookie(response, &context::lang_cookie(&state, locale))
        }
        Err(AppError::Invalid(errors)) => register_form_page(&state, &ctx, &input, Some(&errors)).await,
        Err(other) => Err(other),
    }
}

/// What `accounts/registered.html` shows, the same whether the address was new or
/// taken.
#[derive(Serialize)]
struct RegisteredPage<'a> {
    email: &'a str,
}

/// Creates the learner's account and asks them to confirm their address, or, when
/// the address has an account already, tells its owner by mail; the same work
/// either way (a password hash, a lookup, a message), so neither the answer nor
/// its time tells which. Returns the address and the language chosen.
async fn register_learner(state: &AppState, input: &RegistrationInput) -> AppResult<(String, Locale)> {
    let registration = service::check_registration(input)?;
    let plain = registration.password.clone();
    let password_hash = state.password_work(move || password::hash(&plain)).await?;
    let mail = state.mail.clone();
    state
        .db(move |conn| {
            match service::register(conn, &registration, &password_hash, Role::Learner)? {
                service::Registered::New(id) => {
                    tracing::info!(user_id = %id, "registered");
                    if let Some(user) = store::find(conn, id)? {
                        super::recovery::send_verification(conn, &mail, &user)?;
                    }
                }
                service::Registered::Taken(owner) => {
                    tracing::info!(user_id = %owner.id, "registration with a taken address; owner told");
                    super::recovery::send_registration_attempt(conn, &mail, &owner)?;
                }
            }
            Ok((registration.email, registration.profile.locale))
        })
        .await
}

// ---- profile ----

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct WelcomeQuery {
    welcome: Option<String>,
    saved: Option<String>,
}

/// What `accounts/profile.html` shows.
#[derive(Serialize)]
struct ProfilePage<'a> {
    #[serde(flatten)]
    choices: ProfileChoices,
    form: &'a ProfileInput,
    email: &'a str,
    role: String,
    institution_locked: bool,
    country_locked: bool,
    member_since: String,
    notice: Option<String>,
    time_zones: Vec<Choice>,
}

async fn profile_form_page(
    state: &AppState,
    ctx: &RequestContext,
    profile: &ProfileInput,
    errors: Option<&FieldErrors>,
    notice: Option<&str>,
) -> AppResult<HttpResponse> {
    let user = ctx.user()?;
    let all_institutions = load_institutions(state).await?;
    let page = ProfilePage {
        choices: profile_choices(ctx.locale, &all_institutions),
        form: profile,
        email: &user.email,
        role: i18n::t(ctx.locale, &format!("roles.{}", user.role.code())),
        // A coordinator's institution is set by an administrator.
        institution_locked: user.role == Role::Coordinator,
        // A trainer's country (their authoring rights) is set by an administrator.
        country_locked: user.role == Role::Trainer && user.country.is_some(),
        member_since: i18n::format_date(ctx.locale, user.created_at.date()),
        notice: notice.map(|key| i18n::t(ctx.locale, key)),
        time_zones: time_zone_choices(ctx.locale, user),
    };
    render::form_view(state, ctx, "accounts/profile.html", &page, errors)
}

async fn profile_page(
    state: web::Data<AppState>,
    ctx: RequestContext,
    query: web::Query<WelcomeQuery>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let notice = if query.welcome.is_some() {
        Some("accounts.welcome")
    } else if query.saved.as_deref() == Some("profile") {
        Some("accounts.profile_saved")
    } else if query.saved.as_deref() == Some("password") {
        Some("accounts.password_changed")
    } else {
        None
    };
    profile_form_page(&state, &ctx, &profile_input_of(&user), None, notice).await
}

async fn update_profile(
    state: web::Data<AppState>,
    ctx: RequestContext,
    CsrfForm(input): CsrfForm<ProfileInput>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    match save_profile(&state, user, &input).await {
        // The language chosen in the profile is the one to show from now on.
        Ok(locale) => with_cookie(
            see_other("/profile?saved=profile"),
            &context::lang_cookie(&state, locale),
        ),
        Err(AppError::Invalid(errors)) => profile_form_page(&state, &ctx, &input, Some(&errors), None).await,
        Err(other) => Err(other),
    }
}

/// Saves the profile; returns the language chosen in it.
async fn save_profile(state: &AppState, user: User, input: &ProfileInput) -> AppResult<Locale> {
    let profile = service::check_profile_update(input)?;
    let locale = profile.locale;
    state
        .db(move |conn| service::update_profile(conn, &user, &profile))
        .await?;
    Ok(locale)
}

async fn change_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: RequestContext,
    CsrfForm(input): CsrfForm<PasswordChangeInput>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    match set_new_password(&state, &req, &user, input).await {
        Ok(version) => {
            tracing::info!(user_id = %user.id, "password changed; other sessions revoked");
            signed_in_response(&state, user.id, version, "/profile?saved=password")
        }
        Err(AppError::Invalid(errors)) => {
            profile_form_page(&state, &ctx, &profile_input_of(&user), Some(&errors), None).await
        }
        Err(other) => Err(other),
    }
}

/// Checks the current password and sets the new one; returns the new token version.
/// A wrong current password counts as a failed sign-in into the account.
async fn set_new_password(
    state: &AppState,
    req: &HttpRequest,
    user: &User,
    input: PasswordChangeInput,
) -> AppResult<i32> {
    let user_id = user.id;
    let attempt = throttle::begin_password_check(state, req, &user.email).await?;
    let row = state
        .db(move |conn| store::find_row(conn, user_id))
        .await?
        .ok_or(AppError::Unauthorized)?;
    let checked = state
        .password_work(move || service::check_password_change(&row, &row.password_hash, &input))
        .await;
    let wrong_password = matches!(&checked, Err(AppError::Invalid(errors)) if errors.has("current_password"));
    if !wrong_password {
        state.attempt_succeeded(attempt).await?;
    }
    let new_hash = checked?;
    state
        .db(move |conn| store::set_password(conn, user_id, &new_hash))
        .await
}

// ---- first administrator ----

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SetupQuery {
    token: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SetupInput {
    token: String,
    #[serde(flatten)]
    registration: RegistrationInput,
}

/// A 404 unless the setup token is valid; wrong tokens count against the client's
/// address.
async fn check_setup_token(state: &AppState, req: &HttpRequest, token: &str) -> AppResult<()> {
    let token = token.to_owned();
    throttle::look_up_token(state, req, move |conn| {
        Ok(setup::token_is_valid(conn, &token)?.then_some(()))
    })
    .await
}

/// What `accounts/setup.html` shows.
#[derive(Serialize)]
struct SetupPage<'a> {
    #[serde(flatten)]
    choices: ProfileChoices,
    token: &'a str,
    form: &'a ProfileInput,
    email: &'a str,
}

fn setup_form_page(
    state: &AppState,
    ctx: &RequestContext,
    input: &SetupInput,
    errors: Option<&FieldErrors>,
) -> AppResult<HttpResponse> {
    let page = SetupPage {
        // No institution exists before the first administrator adds one.
        choices: profile_choices(ctx.locale, &[]),
        token: &input.token,
        form: &input.registration.profile,
        email: &input.registration.email,
    };
    render::form_view(state, ctx, "accounts/setup.html", &page, errors)
}

async fn setup_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: RequestContext,
    query: web::Query<SetupQuery>,
) -> AppResult<HttpResponse> {
    check_setup_token(&state, &req, &query.token).await?;
    let input = SetupInput {
        token: query.into_inner().token,
        registration: RegistrationInput {
            profile: ProfileInput {
                locale: ctx.locale.code().into(),
                category: Category::Other.code().into(),
                ..ProfileInput::default()
            },
            ..RegistrationInput::default()
        },
    };
    setup_form_page(&state, &ctx, &input, None)
}

async fn setup(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: RequestContext,
    CsrfForm(mut input): CsrfForm<SetupInput>,
) -> AppResult<HttpResponse> {
    check_setup_token(&state, &req, &input.token).await?;
    input.registration.profile.category = Category::Other.code().into();
    match create_first_admin(&state, &input).await {
        Ok(id) => {
            tracing::info!(user_id = %id, "first administrator created");
            signed_in_response(&state, id, 0, "/admin")
        }
        Err(AppError::Invalid(errors)) => setup_form_page(&state, &ctx, &input, Some(&errors)),
        Err(other) => Err(other),
    }
}

async fn create_first_admin(state: &AppState, input: &SetupInput) -> AppResult<UserId> {
    let registration = service::check_registration(&input.registration)?;
    let plain = registration.password.clone();
    let password_hash = state.password_work(move || password::hash(&plain)).await?;
    let token = input.token.clone();
    state
        .db(move |conn| {
            setup::create_first_admin(conn, &token, &registration.email, &registration.profile, &password_hash)
        })
        .await
}

/// The profile's "download my data" link: the API's export, as a file.
async fn export_download(state: web::Data<AppState>, SignedIn(user): SignedIn) -> AppResult<HttpResponse> {
    let id = user.id;
    let export = state
        .db(move |conn| crate::accounts::personal_data::export(conn, &user))
        .await?;
    let bytes = serde_json::to_vec_pretty(&export).map_err(AppError::internal)?;
    Ok(crate::web::export::attachment(
        "application/json",
        &format!("bilim-my-data-{}.json", id.get()),
        bytes,
    ))
}
