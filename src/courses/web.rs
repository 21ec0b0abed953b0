//! Course pages: catalogue, overview, module, completion and attachments.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::cache::Shared;
use super::format::AUDIENCES;
use super::reading::{self, CountryChoice, CourseCard, CourseOverview, ModulePage};
use crate::accounts::guard::SignedIn;
use crate::app::AppState;
use crate::error::AppResult;
use crate::i18n;
use crate::web::context::RequestContext;
use crate::web::forms::CsrfOnly;
use crate::web::render;
use crate::web::see_other;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/courses", web::get().to(catalogue))
        .route("/courses/{course}", web::get().to(overview))
        .route("/courses/{course}/{module}", web::get().to(module))
        .route("/courses/{course}/{module}/complete", web::post().to(complete))
        .route("/courses/{course}/{module}/files/{name}", web::get().to(file));
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CatalogueQuery {
    audience: String,
}

#[derive(Serialize)]
struct Choice {
    value: &'static str,
    label: String,
}

/// What `courses/catalogue.html` shows.
#[derive(Serialize)]
struct CataloguePage {
    courses: Shared<Vec<CourseCard>>,
    audiences: Vec<Choice>,
    filter_audience: &'static str,
}

/// What `courses/overview.html` shows.
#[derive(Serialize)]
struct OverviewPage {
    course: CourseOverview,
}

/// What `courses/module.html` shows.
#[derive(Serialize)]
struct ModuleView {
    module: ModulePage,
}

async fn catalogue(
    state: web::Data<AppState>,
    ctx: RequestContext,
    query: web::Query<CatalogueQuery>,
) -> AppResult<HttpResponse> {
    let audience = AUDIENCES.into_iter().find(|a| *a == query.audience.trim());
    let locale = ctx.locale;
    let cached = state.clone();
    let cards = state
        .db_read(move |conn| reading::cached_catalogue(conn, &cached.content.catalogue, locale, audience))
        .await?;
    let audiences: Vec<Choice> = AUDIENCES
        .into_iter()
        .map(|a| Choice {
            value: a,
            label: i18n::t(locale, &format!("audience.{a}")),
        })
        .collect();
    let page = CataloguePage {
        courses: Shared(cards),
        audiences,
        filter_audience: audience.unwrap_or(""),
    };
    render::view(&state, &ctx, "courses/catalogue.html", &page)
}

async fn overview(state: web::Data<AppState>, ctx: RequestContext, path: web::Path<String>) -> AppResult<HttpResponse> {
    let course_id = path.into_inner();
    let user = ctx.user.clone();
    let locale = ctx.locale;
    let cached = state.clone();
    let course = state
        .db_read(move |conn| reading::overview(conn, &cached.content.overviews, &course_id, user.as_ref(), locale))
        .await?;
    render::view(&state, &ctx, "courses/overview.html", &OverviewPage { course })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ModuleQuery {
    country: Option<String>,
}

async fn module(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<(String, String)>,
    query: web::Query<ModuleQuery>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let (course_id, module_id) = path.into_inner();
    let locale = ctx.locale;
    let country = query.into_inner().country;
    let cached = state.clone();
    let (module, visit) = state
        .db_read(move |conn| {
            let choice = CountryChoice::parse(country.as_deref());
            reading::module_page(
                conn,
                &cached.content.modules,
                &course_id,
                &module_id,
                &user,
                locale,
                choice,
            )
        })
        .await?;
    if let Some(visit) = visit {
        state.db(move |conn| reading::record_visit(conn, &visit)).await?;
    }
    render::view(&state, &ctx, "courses/module.html", &ModuleView { module })
}

async fn complete(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    _form: CsrfOnly,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let (course_id, module_id) = path.into_inner();
    let location = format!("/courses/{course_id}/{module_id}#completion");
    state
        .db(move |conn| reading::complete(conn, &user, &course_id, &module_id))
        .await?;
    Ok(see_other(location))
}

/// An image or attachment of a module, from the database (every instance serves the
/// same files). Names are looked up, never joined to a path, so nothing outside the
/// course can be reached.
async fn file(
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let (course_id, module_id, name) = path.into_inner();
    let inline = name.rsplit_once('.').is_some_and(|(_, ext)| {
        matches!(
            ext.to_ascii_lowercase().as_str(),
            "png" | "jpg" | "jpeg" | "gif" | "webp" | "svg"
        )
    });
    let download_name = name.clone();
    let (content_type, bytes, hash) = state
        .db(move |conn| reading::module_file(conn, &user, &course_id, &module_id, &name))
        .await?;
    let disposition = if inline { "inline" } else { "attachment" };
    let safe_name: String = download_name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .collect();
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "private, max-age=3600"))
        .insert_header((header::ETAG, format!("\"{}\"", hash.get(..16).unwrap_or(&hash))))
        // Files are shown as documents of their own type, never run as part of a page.
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; sandbox",
        ))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("{disposition}; filename=\"{safe_name}\""),
        ))
        .body(bytes))
}
