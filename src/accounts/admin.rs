//! `/admin` and `/admin/users`: the administrators' overview and their management of
//! users' roles and institutions.

use crate::web::forms::Choice;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::accounts::guard::Admin;
use crate::accounts::invite::{self, InviteInput};
use crate::accounts::model::{Country, Role, User, UserId};
use crate::accounts::personal_data;
use crate::accounts::service::{self, RoleChangeInput};
use crate::accounts::store::{self, UserFilter, PAGE_SIZE};
use crate::app::AppState;
use crate::error::{AppError, AppResult};
use crate::i18n::{self, Locale};
use crate::institutions::{self, Institution, InstitutionId};
use crate::validation::FieldErrors;
use crate::web::context::RequestContext;
use crate::web::forms::CsrfForm;
use crate::web::render;
use crate::web::{path_id, see_other};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin", web::get().to(overview))
        .route("/admin/users", web::get().to(users_page))
        .route("/admin/users/{id}", web::get().to(user_page))
        .route("/admin/users/{id}", web::post().to(update_user))
        .route("/admin/users/{id}/erase", web::post().to(erase_user))
        .route("/admin/users/{id}/languages", web::post().to(update_languages))
        .route("/admin/invite", web::get().to(invite_page))
        .route("/admin/invite", web::post().to(invite));
}

#[derive(Serialize)]
struct RoleCount {
    label: String,
    count: i64,
}

/// What `admin/index.html` shows.
#[derive(Serialize)]
struct OverviewPage {
    role_counts: Vec<RoleCount>,
    institution_count: usize,
}

async fn overview(state: web::Data<AppState>, ctx: RequestContext, _: Admin) -> AppResult<HttpResponse> {
    let (counts, institution_count) = state
        .db(|conn| {
            let counts = Role::ALL
                .iter()
                .map(|role| Ok((*role, store::count_with_role(conn, *role)?)))
                .collect::<AppResult<Vec<_>>>()?;
            Ok((counts, institutions::list(conn)?.len()))
        })
        .await?;
    let role_counts: Vec<RoleCount> = counts
        .into_iter()
        .map(|(role, count)| RoleCount {
            label: i18n::t_count(ctx.locale, &format!("admin.count_{}", role.code()), count, &[]),
            count,
        })
        .collect();
    let page = OverviewPage {
        role_counts,
        institution_count,
    };
    render::view(&state, &ctx, "admin/index.html", &page)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct UsersQuery {
    role: String,
    institution: String,
    q: String,
    page: String,
}

#[derive(Serialize)]
struct UserRowView {
    id: UserId,
    name: String,
    email: String,
    role: String,
    institution: String,
    joined: String,
}

/// What `admin/users.html` shows: one page of the filtered list.
#[derive(Serialize)]
struct UsersPage<'a> {
    users: Vec<UserRowView>,
    total_label: String,
    roles: Vec<(String, String)>,
    institutions: &'a [Institution],
    filter_role: &'a str,
    filter_institution: &'a str,
    filter_q: &'a str,
    page_number: i64,
    pages: i64,
    previous_url: Option<String>,
    next_url: Option<String>,
}

fn institution_name(all: &[Institution], id: Option<InstitutionId>) -> String {
    id.and_then(|id| all.iter().find(|i| i.id == id))
        .map(|i| i.name.clone())
        .unwrap_or_default()
}

fn role_choices(locale: Locale) -> Vec<(String, String)> {
    Role::ALL
        .iter()
        .map(|r| (r.code().to_owned(), i18n::t(locale, &format!("roles.{}", r.code()))))
        .collect()
}

async fn users_page(
    state: web::Data<AppState>,
    ctx: RequestContext,
    query: web::Query<UsersQuery>,
    _: Admin,
) -> AppResult<HttpResponse> {
    let filter = UserFilter {
        role: Role::from_code(query.role.trim()),
        institution_id: query.institution.trim().parse().ok(),
        search: Some(query.q.trim().to_owned()).filter(|q| !q.is_empty()),
    };
    let page_number: i64 = query.page.trim().parse().unwrap_or(1).clamp(1, 1_000_000);
    let list_filter = filter.clone();
    let ((users, total), all_institutions) = state
        .db(move |conn| Ok((store::list(conn, &list_filter, page_number)?, institutions::list(conn)?)))
        .await?;
    let rows: Vec<UserRowView> = users
        .iter()
        .map(|u| UserRowView {
            id: u.id,
            name: u.name.clone(),
            email: u.email.clone(),
            role: i18n::t(ctx.locale, &format!("roles.{}", u.role.code())),
            institution: institution_name(&all_institutions, u.institution_id),
            joined: i18n::format_date_short(u.created_at.date()),
        })
        .collect();
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let page_link = |n: i64| {
        let mut s = form_urlencoded::Serializer::new(String::new());
        s.append_pair("role", &query.role)
            .append_pair("institution", &query.institution)
            .append_pair("q", &query.q)
            .append_pair("page", &n.to_string());
        format!("/admin/users?{}", s.finish())
    };
    let page = UsersPage {
        users: rows,
        total_label: i18n::t_count(ctx.locale, "admin.users_found", total, &[]),
        roles: role_choices(ctx.locale),
        institutions: &all_institutions,
        filter_role: &query.role,
        filter_institution: &query.institution,
        filter_q: &query.q,
        page_number,
        pages,
        previous_url: (page_number > 1).then(|| page_link(page_number - 1)),
        next_url: (page_number < pages).then(|| page_link(page_number + 1)),
    };
    render::view(&state, &ctx, "admin/users.html", &page)
}

async fn find_user(state: &AppState, id: UserId) -> AppResult<User> {
    state
        .db(move |conn| store::find(conn, id))
        .await?
        .ok_or(AppError::NotFound)
}

/// What `admin/user_edit.html` shows: one user's role and institution.
#[derive(Serialize)]
struct UserEditPage<'a> {
    subject_id: UserId,
    subject_name: &'a str,
    subject_email: &'a str,
    form: &'a RoleChangeInput,
    roles: Vec<(String, String)>,
    institutions: Vec<Institution>,
    /// The notice after an action: "saved", "erased", "invited"…
    notice: Option<&'static str>,
    /// An erased account offers no second erasure.
    erased: bool,
    /// The languages a trainer translates, offered for trainers and administrators.
    translated_languages: Option<Vec<LanguageChoice>>,
}

/// One checkbox of the languages a trainer translates.
#[derive(Serialize)]
struct LanguageChoice {
    code: &'static str,
    name: &'static str,
    checked: bool,
}

async fn user_form_page(
    state: &AppState,
    ctx: &RequestContext,
    user: &User,
    form: &RoleChangeInput,
    errors: Option<&FieldErrors>,
    notice: Option<&'static str>,
) -> AppResult<HttpResponse> {
    let all_institutions = state.db(institutions::list).await?;
    let subject = user.id;
    let assigned = state.db(move |conn| store::languages_of(conn, subject)).await?;
    let languages = matches!(user.role, Role::Trainer | Role::Admin).then(|| {
        Locale::ALL
            .into_iter()
            .map(|l| LanguageChoice {
                code: l.code(),
                name: l.native_name(),
                checked: assigned.iter().any(|a| a == l.code()),
            })
            .collect()
    });
    let page = UserEditPage {
        translated_languages: languages,
        subject_id: user.id,
        subject_name: &user.name,
        subject_email: &user.email,
        form,
        roles: role_choices(ctx.locale),
        institutions: all_institutions,
        notice,
        erased: store::is_erased(user),
    };
    render::form_view(state, ctx, "admin/user_edit.html", &page, errors)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SavedQuery {
    saved: Option<String>,
    erased: Option<String>,
    languages: Option<String>,
    invited: Option<String>,
}

async fn user_page(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
    query: web::Query<SavedQuery>,
    _: Admin,
) -> AppResult<HttpResponse> {
    let user = find_user(&state, path_id(&path)?).await?;
    let notice = match (&query.saved, &query.erased, &query.languages) {
        _ if query.invited.is_some() => Some("coordinator_flows.invited"),
        (_, Some(_), _) => Some("admin.user_erased"),
        (_, None, Some(_)) => Some("admin.languages_saved"),
        (Some(_), None, None) => Some("admin.user_saved"),
        (None, None, None) => None,
    };
    user_form_page(&state, &ctx, &user, &role_form(&user), None, notice).await
}

/// The role form as the account stands.
fn role_form(user: &User) -> RoleChangeInput {
    RoleChangeInput {
        role: user.role.code().into(),
        institution_id: user.institution_id.map(|i| i.to_string()).unwrap_or_default(),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EraseInput {
    /// The account's address, typed again to confirm.
    confirm_email: String,
}

/// Erases the account's personal data, once its address has been typed to confirm.
async fn erase_user(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<EraseInput>,
    Admin(admin): Admin,
) -> AppResult<HttpResponse> {
    let user = find_user(&state, path_id(&path)?).await?;
    if form.confirm_email.trim().to_lowercase() != user.email {
        let errors = FieldErrors::one("confirm_email", "admin.erase_confirm_mismatch");
        return user_form_page(&state, &ctx, &user, &role_form(&user), Some(&errors), None).await;
    }
    let subject = user.id;
    state
        .db(move |conn| personal_data::erase(conn, &admin, subject))
        .await?;
    Ok(see_other(format!("/admin/users/{}?erased=1", subject)))
}

async fn update_user(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<RoleChangeInput>,
    Admin(actor): Admin,
) -> AppResult<HttpResponse> {
    let user = find_user(&state, path_id(&path)?).await?;
    let subject = user.id;
    let input = form.clone();
    let outcome = state
        .db(move |conn| service::change_role(conn, &actor, subject, &input))
        .await;
    match outcome {
        Ok(()) => Ok(see_other(format!("/admin/users/{}?saved=1", user.id))),
        Err(AppError::Invalid(errors)) => user_form_page(&state, &ctx, &user, &form, Some(&errors), None).await,
        Err(other) => Err(other),
    }
}

/// Saves the languages a trainer translates: one checkbox `lang_<code>` per language.
async fn update_languages(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<std::collections::HashMap<String, String>>,
    Admin(actor): Admin,
) -> AppResult<HttpResponse> {
    let user = find_user(&state, path_id(&path)?).await?;
    let subject = user.id;
    let codes: Vec<String> = form
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .filter_map(|(name, _)| name.strip_prefix("lang_").map(str::to_owned))
        .collect();
    let outcome = state
        .db(move |conn| service::change_languages(conn, &actor, subject, &codes))
        .await;
    match outcome {
        Ok(()) => Ok(see_other(format!("/admin/users/{}?languages=1", user.id))),
        Err(AppError::Invalid(errors)) => {
            user_form_page(&state, &ctx, &user, &role_form(&user), Some(&errors), None).await
        }
        Err(other) => Err(other),
    }
}

/// What `admin/invite.html` shows.
#[derive(Serialize)]
struct InvitePage<'a> {
    form: &'a InviteInput,
    roles: Vec<Choice>,
    institutions: Vec<Choice>,
    countries: Vec<Choice>,
    locales: Vec<Choice>,
}

async fn invite_form(
    state: &AppState,
    ctx: &RequestContext,
    form: &InviteInput,
    errors: Option<&FieldErrors>,
) -> AppResult<HttpResponse> {
    let locale = ctx.locale;
    let all_institutions = state.db(institutions::list).await?;
    let page = InvitePage {
        form,
        roles: invite::ROLES
            .iter()
            .map(|r| Choice::new(r.code().to_owned(), i18n::t(locale, &format!("roles.{}", r.code()))))
            .collect(),
        institutions: all_institutions
            .into_iter()
            .map(|i| Choice::new(i.id.to_string(), i.name))
            .collect(),
        countries: Country::ALL
            .iter()
            .map(|c| Choice::new(c.code().to_owned(), i18n::t(locale, &format!("countries.{}", c.code()))))
            .collect(),
        locales: Locale::ALL.iter().map(|l| Choice::language(*l)).collect(),
    };
    render::form_view(state, ctx, "admin/invite.html", &page, errors)
}

async fn invite_page(state: web::Data<AppState>, ctx: RequestContext, _: Admin) -> AppResult<HttpResponse> {
    let form = InviteInput {
        // The message is in the administrator's language unless they choose another.
        locale: ctx.locale.code().to_owned(),
        ..InviteInput::default()
    };
    invite_form(&state, &ctx, &form, None).await
}

/// Creates the account and sends the invitation, then shows the new account's page
/// with a confirmation; a problem shows the form again with nothing changed.
async fn invite(
    state: web::Data<AppState>,
    ctx: RequestContext,
    CsrfForm(form): CsrfForm<InviteInput>,
    Admin(actor): Admin,
) -> AppResult<HttpResponse> {
    let input = form.clone();
    let mail = state.mail.clone();
    let outcome = state.db(move |conn| invite::invite(conn, &mail, &actor, &input)).await;
    match outcome {
        Ok(id) => Ok(see_other(format!("/admin/users/{id}?invited=1"))),
        Err(AppError::Invalid(errors)) => invite_form(&state, &ctx, &form, Some(&errors)).await,
        Err(other) => Err(other),
    }
}
