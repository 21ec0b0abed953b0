//! `/admin/institutions`: the administrators' list of institutions, the form that
//! adds one, and each institution's page setting who signs its certificates.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::accounts::guard::Admin;
use crate::accounts::model::Country;
use crate::accounts::model::UserId;
use crate::app::AppState;
use crate::error::{AppError, AppResult};
use crate::i18n;
use crate::institutions::InstitutionId;
use crate::institutions::{self, NewInstitution, Signatory};
use crate::validation::FieldErrors;
use crate::web::context::RequestContext;
use crate::web::forms::CsrfForm;
use crate::web::render;
use crate::web::{path_id, see_other, DoneQuery};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/institutions", web::get().to(list_page))
        .route("/admin/institutions", web::post().to(create))
        .route("/admin/institutions/{id}", web::get().to(signatory_page))
        .route("/admin/institutions/{id}", web::post().to(save_signatory));
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
    /// Who signs its certificates; empty while none is configured.
    signatory: String,
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
    let all = state.db(institutions::list_with_signatories).await?;
    let rows: Vec<Row> = all
        .into_iter()
        .map(|(i, signatory)| Row {
            id: i.id,
            name: i.name,
            country: i18n::t(ctx.locale, &format!("countries.{}", i.country.code())),
            signatory: signatory.name,
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

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct SignatoryForm {
    signatory_name: String,
    signatory_position: String,
}

/// What `admin/institution.html` shows: one institution and who signs its certificates.
#[derive(Serialize)]
struct SignatoryPage<'a> {
    institution_id: InstitutionId,
    institution_name: String,
    country: String,
    form: &'a SignatoryForm,
    name_max: usize,
    position_max: usize,
    saved: bool,
}

async fn signatory_form_page(
    state: &AppState,
    ctx: &RequestContext,
    id: InstitutionId,
    form: Option<&SignatoryForm>,
    errors: Option<&FieldErrors>,
    saved: bool,
) -> AppResult<HttpResponse> {
    let (institution, signatory) = state
        .db(move |conn| institutions::find_with_signatory(conn, id))
        .await?
        .ok_or(AppError::NotFound)?;
    let stored = SignatoryForm {
        signatory_name: signatory.name,
        signatory_position: signatory.position,
    };
    let page = SignatoryPage {
        institution_id: institution.id,
        institution_name: institution.name,
        country: i18n::t(ctx.locale, &format!("countries.{}", institution.country.code())),
        // After a refused post, what was typed; otherwise what is stored.
        form: form.unwrap_or(&stored),
        name_max: institutions::SIGNATORY_NAME_MAX_CHARS,
        position_max: institutions::SIGNATORY_POSITION_MAX_CHARS,
        saved,
    };
    render::form_view(state, ctx, "admin/institution.html", &page, errors)
}

async fn signatory_page(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
    query: web::Query<DoneQuery>,
    _: Admin,
) -> AppResult<HttpResponse> {
    let saved = query.done.as_deref() == Some("signatory");
    signatory_form_page(&state, &ctx, path_id(&path)?, None, None, saved).await
}

async fn save_signatory(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<SignatoryForm>,
    Admin(admin): Admin,
) -> AppResult<HttpResponse> {
    let id: InstitutionId = path_id(&path)?;
    match store_signatory(&state, admin.id, id, &form).await {
        Ok(()) => Ok(see_other(format!("/admin/institutions/{id}?done=signatory"))),
        Err(AppError::Invalid(errors)) => {
            signatory_form_page(&state, &ctx, id, Some(&form), Some(&errors), false).await
        }
        Err(other) => Err(other),
    }
}

async fn store_signatory(state: &AppState, actor: UserId, id: InstitutionId, form: &SignatoryForm) -> AppResult<()> {
    let signatory = Signatory::validate(&form.signatory_name, &form.signatory_position)?;
    state
        .db(move |conn| institutions::set_signatory(conn, actor, id, &signatory, chrono::Utc::now().naive_utc()))
        .await
}
