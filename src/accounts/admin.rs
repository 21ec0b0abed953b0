//! `/admin` and `/admin/users`: the administrators' overview and their management of
//! users' roles and institutions.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::accounts::guard::Admin;
use crate::accounts::model::{Role, User, UserId};
use crate::accounts::store::{self, UserFilter, PAGE_SIZE};
use crate::db::{self, DbConnection};
use crate::error::{AppError, AppResult};
use crate::i18n::{self, Locale};
use crate::institutions::{self, Institution, InstitutionId};
use crate::validation::FieldErrors;
use crate::web::context::RequestContext;
use crate::web::forms::CsrfForm;
use crate::web::path_id;
use crate::web::render;
use crate::web::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin", web::get().to(overview))
        .route("/admin/users", web::get().to(users_page))
        .route("/admin/users/{id}", web::get().to(user_page))
        .route("/admin/users/{id}", web::post().to(update_user));
}

#[derive(Serialize)]
struct RoleCount {
    label: String,
    count: i64,
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
    let mut page = render::base_context(&state, &ctx);
    page.insert("role_counts", &role_counts);
    page.insert("institution_count", &institution_count);
    render::page(&state, "admin/index.html", &page)
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
    let mut page = render::base_context(&state, &ctx);
    page.insert("users", &rows);
    page.insert(
        "total_label",
        &i18n::t_count(ctx.locale, "admin.users_found", total, &[]),
    );
    page.insert("roles", &role_choices(ctx.locale));
    page.insert("institutions", &all_institutions);
    page.insert("filter_role", &query.role);
    page.insert("filter_institution", &query.institution);
    page.insert("filter_q", &query.q);
    page.insert("page_number", &page_number);
    page.insert("pages", &pages);
    page.insert("previous_url", &(page_number > 1).then(|| page_link(page_number - 1)));
    page.insert("next_url", &(page_number < pages).then(|| page_link(page_number + 1)));
    render::page(&state, "admin/users.html", &page)
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct UserRoleForm {
    role: String,
    institution_id: String,
}

async fn find_user(state: &AppState, id: UserId) -> AppResult<User> {
    state
        .db(move |conn| store::find(conn, id))
        .await?
        .ok_or(AppError::NotFound)
}

async fn user_form_page(
    state: &AppState,
    ctx: &RequestContext,
    user: &User,
    form: &UserRoleForm,
    errors: Option<&FieldErrors>,
    saved: bool,
) -> AppResult<HttpResponse> {
    let all_institutions = state.db(institutions::list).await?;
    let mut page = render::base_context(state, ctx);
    page.insert("subject_id", &user.id);
    page.insert("subject_name", &user.name);
    page.insert("subject_email", &user.email);
    page.insert("form", form);
    page.insert("roles", &role_choices(ctx.locale));
    page.insert("institutions", &all_institutions);
    page.insert("saved", &saved);
    render::form(state, "admin/user_edit.html", page, errors, ctx.locale)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SavedQuery {
    saved: Option<String>,
}

async fn user_page(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
    query: web::Query<SavedQuery>,
    _: Admin,
) -> AppResult<HttpResponse> {
    let user = find_user(&state, path_id(&path)?).await?;
    let form = UserRoleForm {
        role: user.role.code().into(),
        institution_id: user.institution_id.map(|i| i.to_string()).unwrap_or_default(),
    };
    user_form_page(&state, &ctx, &user, &form, None, query.saved.is_some()).await
}

/// Changes a user's role and institution, keeping at least one administrator and
/// giving every coordinator an institution.
fn apply_role_change(conn: &mut DbConnection, user: &User, form: &UserRoleForm) -> AppResult<Result<(), FieldErrors>> {
    let mut errors = FieldErrors::new();
    let role = Role::from_code(form.role.trim());
    if role.is_none() {
        errors.add("role", "admin.role_invalid");
    }
    let institution_id = match form.institution_id.trim() {
        "" => None,
        raw => match raw.parse::<InstitutionId>() {
            Ok(id) if institutions::find(conn, id)?.is_some() => Some(id),
            _ => {
                errors.add("institution_id", "accounts.institution_invalid");
                None
            }
        },
    };
    let Some(role) = role else {
        return Ok(Err(errors));
    };
    if role == Role::Coordinator && institution_id.is_none() && !errors.has("institution_id") {
        errors.add("institution_id", "admin.coordinator_needs_institution");
    }
    if user.role == Role::Admin && role != Role::Admin && store::count_with_role(conn, Role::Admin)? <= 1 {
        errors.add("role", "admin.last_admin");
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    store::set_role(conn, user.id, role, institution_id)?;
    Ok(Ok(()))
}

async fn update_user(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<UserRoleForm>,
    _: Admin,
) -> AppResult<HttpResponse> {
    let user = find_user(&state, path_id(&path)?).await?;
    let subject = user.clone();
    let (outcome, form) = state
        .db(move |conn| {
            let outcome = db::write_transaction(conn, |conn| apply_role_change(conn, &subject, &form))?;
            Ok((outcome, form))
        })
        .await?;
    match outcome {
        Ok(()) => Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("/admin/users/{}?saved=1", user.id)))
            .finish()),
        Err(errors) => user_form_page(&state, &ctx, &user, &form, Some(&errors), false).await,
    }
}
