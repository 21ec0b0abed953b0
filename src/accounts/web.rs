//! Account pages: register, sign in, sign out, profile, first-administrator setup.

use crate::accounts::model::UserId;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::accounts::guard::SignedIn;
use crate::accounts::model::{Category, Country, Gender, Role, User};
use crate::accounts::service::{self, FormError, PasswordChangeInput, ProfileInput, RegistrationInput};
use crate::accounts::{password, session, setup, store};
use crate::error::{AppError, AppResult};
use crate::i18n::{self, Locale};
use crate::institutions::{self, Institution};
use crate::validation::{FieldErrors, PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS};
use crate::web::context::{self, RequestContext};
use crate::web::forms::{CsrfForm, CsrfOnly};
use crate::web::render;
use crate::web::see_other;
use crate::web::AppState;

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
        .route("/setup", web::get().to(setup_page))
        .route("/setup", web::post().to(setup));
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
}

#[derive(Serialize)]
struct InstitutionGroup {
    country: String,
    institutions: Vec<Choice>,
}

/// The options of the profile's select and radio fields, in the reader's language.
fn profile_choices(page: &mut tera::Context, locale: Locale, all_institutions: &[Institution]) {
    let countries: Vec<Choice> = Country::ALL
        .iter()
        .map(|c| Choice {
            value: c.code().into(),
            label: i18n::t(locale, &format!("countries.{}", c.code())),
        })
        .collect();
    let categories: Vec<Choice> = Category::ALL
        .iter()
        .map(|c| Choice {
            value: c.code().into(),
            label: i18n::t(locale, &format!("categories.{}", c.code())),
        })
        .collect();
    let locales: Vec<Choice> = Locale::ALL
        .iter()
        .map(|l| Choice {
            value: l.code().into(),
            label: l.native_name().into(),
        })
        .collect();
    let groups: Vec<InstitutionGroup> = Country::ALL
        .iter()
        .filter_map(|country| {
            let institutions: Vec<Choice> = all_institutions
                .iter()
                .filter(|i| i.country == *country)
                .map(|i| Choice {
                    value: i.id.to_string(),
                    label: i.name.clone(),
                })
                .collect();
            (!institutions.is_empty()).then(|| InstitutionGroup {
                country: i18n::t(locale, &format!("countries.{}", country.code())),
                institutions,
            })
        })
        .collect();
    let genders: Vec<Choice> = std::iter::once(Choice {
        value: String::new(),
        label: i18n::t(locale, "accounts.gender_not_stated"),
    })
    .chain(Gender::ALL.iter().map(|g| Choice {
        value: g.code().into(),
        label: i18n::t(locale, &format!("genders.{}", g.code())),
    }))
    .collect();
    page.insert("countries", &countries);
    page.insert("genders", &genders);
    page.insert("categories", &categories);
    page.insert("locales", &locales);
    page.insert("institution_groups", &groups);
    page.insert("password_min", &PASSWORD_MIN_CHARS);
    page.insert("password_max", &PASSWORD_MAX_CHARS);
    page.insert("name_max", &service::NAME_MAX_CHARS);
}

fn profile_input_of(user: &User) -> ProfileInput {
    ProfileInput {
        name: user.name.clone(),
        country: user.country.map(|c| c.code().to_owned()).unwrap_or_default(),
        institution_id: user.institution_id.map(|i| i.to_string()).unwrap_or_default(),
        category: user.category.code().into(),
        locale: user.locale.code().into(),
        gender: user.gender.map(|g| g.code().to_owned()).unwrap_or_default(),
    }
}

/// Only paths on this site are followed after signing in, never another host.
fn safe_next(next: &str) -> Option<&str> {
    let local = next.starts_with('/') && !next.starts_with("//") && !next.contains('\\');
    local.then_some(next)
}

fn signed_in_response(state: &AppState, user_id: UserId, token_version: i32, to: &str) -> AppResult<HttpResponse> {
    let issued = session::issue(&state.config.secret, user_id, token_version)?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .cookie(context::session_cookie(state, issued.token))
        .finish())
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
}

fn login_form_page(
    state: &AppState,
    ctx: &RequestContext,
    form: &LoginForm,
    errors: Option<&FieldErrors>,
) -> AppResult<HttpResponse> {
    let mut page = render::base_context(state, ctx);
    page.insert("email", &form.email);
    page.insert("next", safe_next(&form.next).unwrap_or(""));
    render::form(state, "accounts/login.html", page, errors, ctx.locale)
}

async fn login_page(
    state: web::Data<AppState>,
    ctx: RequestContext,
    query: web::Query<NextQuery>,
) -> AppResult<HttpResponse> {
    if ctx.user.is_some() {
        return Ok(see_other(safe_next(&query.next).unwrap_or("/profile")));
    }
    let form = LoginForm {
        next: query.into_inner().next,
        ..LoginForm::default()
    };
    login_form_page(&state, &ctx, &form, None)
}

async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: RequestContext,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> AppResult<HttpResponse> {
    state.check_rate(crate::web::rate_limit::Limit::SignIn, &req).await?;
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
    let (email, password) = (form.email.clone(), form.password.clone());
    let user = state
        .db(move |conn| service::authenticate(conn, &email, &password))
        .await?;
    let Some(user) = user else {
        errors.add("email", "accounts.login_failed");
        return login_form_page(&state, &ctx, &form, Some(&errors));
    };
    tracing::info!(user_id = %user.id, "signed in");
    signed_in_response(
        &state,
        user.id,
        user.token_version,
        safe_next(&form.next).unwrap_or("/profile"),
    )
}

// ---- sign out ----

async fn logout_page(state: web::Data<AppState>, ctx: RequestContext, _: SignedIn) -> AppResult<HttpResponse> {
    let page = render::base_context(&state, &ctx);
    render::page(&state, "accounts/logout.html", &page)
}

/// Signs out everywhere: raising the token version revokes every session of the user.
async fn logout(state: web::Data<AppState>, ctx: RequestContext, _form: CsrfOnly) -> AppResult<HttpResponse> {
    if let Some(user) = &ctx.user {
        let id = user.id;
        state.db(move |conn| store::bump_token_version(conn, id)).await?;
    }
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/"))
        .cookie(context::expired_session_cookie(&state))
        .finish())
}

// ---- registration ----

async fn load_institutions(state: &AppState) -> AppResult<Vec<Institution>> {
    state.db(institutions::list).await
}

async fn register_form_page(
    state: &AppState,
    ctx: &RequestContext,
    input: &RegistrationInput,
    errors: Option<&FieldErrors>,
) -> AppResult<HttpResponse> {
    let all_institutions = load_institutions(state).await?;
    let mut page = render::base_context(state, ctx);
    profile_choices(&mut page, ctx.locale, &all_institutions);
    page.insert("form", &&input.profile);
    page.insert("email", &input.email);
    render::form(state, "accounts/register.html", page, errors, ctx.locale)
}

async fn register_page(state: web::Data<AppState>, ctx: RequestContext) -> AppResult<HttpResponse> {
    if ctx.user.is_some() {
        return Ok(see_other("/profile"));
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
    let registration = match service::check_registration(&input) {
        Ok(registration) => registration,
        Err(errors) => return register_form_page(&state, &ctx, &input, Some(&errors)).await,
    };
    let plain = registration.password.clone();
    let password_hash = web::block(move || password::hash(&plain)).await??;
    let mail = state.mail.clone();
    let outcome = state
        .db(move |conn| {
            let outcome = service::register(conn, &registration, &password_hash, Role::Learner);
            if let Ok(id) = &outcome {
                if let Some(user) = store::find(conn, *id)? {
                    super::recovery::send_verification(conn, &mail, &user)?;
                }
            }
            Ok(outcome.map(|id| (id, registration.profile.locale)))
        })
        .await?;
    match outcome {
        Ok((id, locale)) => {
            tracing::info!(user_id = %id, "registered");
            let mut response = signed_in_response(&state, id, 0, "/profile?welcome=1")?;
            response
                .add_cookie(&context::lang_cookie(&state, locale))
                .map_err(AppError::internal)?;
            Ok(response)
        }
        Err(FormError::Fields(errors)) => register_form_page(&state, &ctx, &input, Some(&errors)).await,
        Err(FormError::App(error)) => Err(error),
    }
}

// ---- profile ----

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct WelcomeQuery {
    welcome: Option<String>,
    saved: Option<String>,
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
    let mut page = render::base_context(state, ctx);
    profile_choices(&mut page, ctx.locale, &all_institutions);
    page.insert("form", profile);
    page.insert("email", &user.email);
    page.insert("role", &i18n::t(ctx.locale, &format!("roles.{}", user.role.code())));
    page.insert("institution_locked", &(user.role == Role::Coordinator));
    page.insert("member_since", &i18n::format_date(ctx.locale, user.created_at.date()));
    page.insert("notice", &notice.map(|key| i18n::t(ctx.locale, key)));
    render::form(state, "accounts/profile.html", page, errors, ctx.locale)
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
    let profile = match service::check_profile_update(&input) {
        Ok(profile) => profile,
        Err(errors) => return profile_form_page(&state, &ctx, &input, Some(&errors), None).await,
    };
    let locale = profile.locale;
    let outcome = state
        .db(move |conn| Ok(service::update_profile(conn, &user, &profile)))
        .await?;
    match outcome {
        Ok(()) => {
            let mut response = see_other("/profile?saved=profile");
            // The language chosen in the profile is the one to show from now on.
            response
                .add_cookie(&context::lang_cookie(&state, locale))
                .map_err(AppError::internal)?;
            Ok(response)
        }
        Err(FormError::Fields(errors)) => profile_form_page(&state, &ctx, &input, Some(&errors), None).await,
        Err(FormError::App(error)) => Err(error),
    }
}

async fn change_password(
    state: web::Data<AppState>,
    ctx: RequestContext,
    CsrfForm(input): CsrfForm<PasswordChangeInput>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let user_id = user.id;
    let row = state
        .db(move |conn| store::find_row(conn, user_id))
        .await?
        .ok_or(AppError::Unauthorized)?;
    let checked = web::block(move || service::check_password_change(&row.password_hash, &input)).await?;
    match checked {
        Ok(new_hash) => {
            let version = state
                .db(move |conn| store::set_password(conn, user_id, &new_hash))
                .await?;
            tracing::info!(user_id = %user_id, "password changed; other sessions revoked");
            signed_in_response(&state, user_id, version, "/profile?saved=password")
        }
        Err(FormError::Fields(errors)) => {
            profile_form_page(&state, &ctx, &profile_input_of(&user), Some(&errors), None).await
        }
        Err(FormError::App(error)) => Err(error),
    }
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

async fn check_setup_token(state: &AppState, token: &str) -> AppResult<()> {
    let token = token.to_owned();
    let valid = state.db(move |conn| setup::token_is_valid(conn, &token)).await?;
    if valid {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

fn setup_form_page(
    state: &AppState,
    ctx: &RequestContext,
    input: &SetupInput,
    errors: Option<&FieldErrors>,
) -> AppResult<HttpResponse> {
    let mut page = render::base_context(state, ctx);
    profile_choices(&mut page, ctx.locale, &[]);
    page.insert("token", &input.token);
    page.insert("form", &&input.registration.profile);
    page.insert("email", &input.registration.email);
    render::form(state, "accounts/setup.html", page, errors, ctx.locale)
}

async fn setup_page(
    state: web::Data<AppState>,
    ctx: RequestContext,
    query: web::Query<SetupQuery>,
) -> AppResult<HttpResponse> {
    check_setup_token(&state, &query.token).await?;
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
    state.check_rate(crate::web::rate_limit::Limit::SignIn, &req).await?;
    check_setup_token(&state, &input.token).await?;
    input.registration.profile.category = Category::Other.code().into();
    let registration = match service::check_registration(&input.registration) {
        Ok(registration) => registration,
        Err(errors) => return setup_form_page(&state, &ctx, &input, Some(&errors)),
    };
    let plain = registration.password.clone();
    let password_hash = web::block(move || password::hash(&plain)).await??;
    let token = input.token.clone();
    let outcome = state
        .db(move |conn| {
            Ok(setup::create_first_admin(
                conn,
                &token,
                &registration.email,
                &registration.profile,
                &password_hash,
            ))
        })
        .await?;
    match outcome {
        Ok(id) => {
            tracing::info!(user_id = %id, "first administrator created");
            signed_in_response(&state, id, 0, "/admin")
        }
        Err(FormError::Fields(errors)) => setup_form_page(&state, &ctx, &input, Some(&errors)),
        Err(FormError::App(error)) => Err(error),
    }
}
