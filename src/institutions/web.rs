//! `/admin/institutions`: the administrators' list of institutions and the form that
//! adds one.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::accounts::guard::Admin;
use crate::accounts::model::Country;
use crate::app::AppState;
use crate::error::{AppError, AppResult};
use crate::i18n;
use crate::institutions::InstitutionId;
use crate::institutions::{self, NewInstitution};
use crate::validation::FieldErrors;
use crate::web::context::RequestContext;
use crate::web::forms::CsrfForm;
use crate::web::render;
use crate::web::see_other;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/institutions", web::get().to(list_page))
        .route("/admin/institutions", web::post().to(create));
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct InstitutionForm {
    name: String,
    country: String,
}

#[derive(Serialize)]
struct Row {
    id: InstitutionId,
    name: String,
    country: String,
}

/// What `admin/institutions.html` shows.
#[derive(Serialize)]
struct InstitutionsPage<'a> {
    institutions: Vec<Row>,
    countries: Vec<(String, String)>,
    form: &'a InstitutionForm,
    name_max: usize,
    created: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CreatedQuery {
    created: Option<String>,
}

async fn page_with(
    state: &AppState,
    ctx: &RequestContext,
    form: &InstitutionForm,
    errors: Option<&FieldErrors>,
    created: bool,
) -> AppResult<HttpResponse> {
    let all = state.db(institutions::list).await?;
    let rows: Vec<Row> = all
        .into_iter()
        .map(|i| Row {
            id: i.id,
            name: i.name,
            country: i18n::t(ctx.locale, &format!("countries.{}", i.country.code())),
        })
        .collect();
    let countries: Vec<(String, String)> = Country::ALL
        .iter()
        .filter(|c| **c != Country::Other)
        .map(|c| {
            (
                c.code().to_owned(),
                i18n::t(ctx.locale, &format!("countries.{}", c.code())),
            )
        })
        .collect();
    let page = InstitutionsPage {
        institutions: rows,
        countries,
        form,
        name_max: institutions::NAME_MAX_CHARS,
        created,
    };
    render::form_view(state, ctx, "admin/institutions.html", &page, errors)
}

async fn list_page(
    state: web::Data<AppState>,
    ctx: RequestContext,
    query: web::Query<CreatedQuery>,
    _: Admin,
) -> AppResult<HttpResponse> {
    page_with(&state, &ctx, &InstitutionForm::default(), None, query.created.is_some()).await
}

async fn create(
    state: web::Data<AppState>,
    ctx: RequestContext,
    CsrfForm(form): CsrfForm<InstitutionForm>,
    _: Admin,
) -> AppResult<HttpResponse> {
    match add_institution(&state, &form).await {
        Ok(_) => Ok(see_other("/admin/institutions?created=1")),
        Err(AppError::Invalid(errors)) => page_with(&state, &ctx, &form, Some(&errors), false).await,
        // The only conflict is a name the country already has: the name field's error.
        Err(AppError::Conflict(key)) => {
            page_with(&state, &ctx, &form, Some(&FieldErrors::one("name", key)), false).await
        }
        Err(other) => Err(other),
    }
}

async fn add_institution(state: &AppState, form: &InstitutionForm) -> AppResult<InstitutionId> {
    let new = NewInstitution::validate(&form.name, &form.country)?;
    state.db(move |conn| institutions::create(conn, &new)).await
}
