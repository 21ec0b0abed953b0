//! The authoring JSON API (a contract, see README "Authoring API"). Sections are
//! addressed as `/api/v1/authoring/courses/<course>/modules/<module>/sections/<section>
//! ?lang=<xx>[&country=<cc>]`: without `country` the base or a translation, with it
//! that country's adaptation in that language. Learners and observers get 403 on every
//! endpoint; callers who may not edit or approve a cell get 403 for that cell.

use actix_web::{web, HttpResponse};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use super::access::Author;
use super::lineage::{Amendments, ModuleTexts};
use super::model::{CellKey, TextKey};
use super::{law_table, status, workflow};
use crate::accounts::guard::SignedIn;
use crate::accounts::model::{User, UserId};
use crate::app::AppState;
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::web::context::RequestContext;

pub fn routes(cfg: &mut web::ServiceConfig) {
    // A PUT carries a whole section: its own body limit.
    cfg.service(
        web::resource("/authoring/courses/{course}/modules/{module}/sections/{section}")
            .app_data(web::PayloadConfig::new(workflow::SECTION_BODY_LIMIT))
            .app_data(web::JsonConfig::default().limit(workflow::SECTION_BODY_LIMIT))
            .route(web::get().to(get_section))
            .route(web::put().to(put_section)),
    )
    .route(
        "/authoring/courses/{course}/modules/{module}/sections/{section}/submit",
        web::post().to(submit),
    )
    .route(
        "/authoring/courses/{course}/modules/{module}/sections/{section}/approve",
        web::post().to(approve),
    )
    .route(
        "/authoring/courses/{course}/modules/{module}/sections/{section}/request-changes",
        web::post().to(request_changes),
    )
    .route(
        "/authoring/courses/{course}/modules/{module}/sections/{section}/confirm",
        web::post().to(confirm),
    )
    .route(
        "/authoring/courses/{course}/modules/{module}/sections/{section}/drop",
        web::post().to(drop_section),
    )
    .route(
        "/authoring/courses/{course}/modules/{module}/sections/{section}/rollback",
        web::post().to(rollback),
    )
    .route("/authoring/status", web::get().to(course_status))
    .route("/law/{country}", web::get().to(law_table))
    .route("/law/{country}/{concept}", web::put().to(put_law))
    .route("/law/{country}/{concept}/amend", web::post().to(amend_law))
    .route("/law/{country}/{concept}/approve", web::post().to(approve_law))
    .route(
        "/law/{country}/{concept}/request-changes",
        web::post().to(request_law_changes),
    );
}

#[derive(Deserialize)]
pub struct CellQuery {
    pub lang: Option<String>,
    pub country: Option<String>,
}

/// The cell a request names, with its language and country checked.
pub fn cell_of(path: &(String, String, String), query: &CellQuery) -> AppResult<CellKey> {
    let language = query
        .lang
        .as_deref()
        .and_then(crate::i18n::Locale::from_code)
        .ok_or(AppError::BadRequest("authoring.unknown_language"))?;
    let country = match query.country.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        None => String::new(),
        Some(code) => {
            let lower = code.to_ascii_lowercase();
            if !crate::courses::format::COUNTRIES.contains(&lower.as_str()) {
                return Err(AppError::BadRequest("authoring.unknown_country"));
            }
            lower
        }
    };
    let (course, module, section) = path;
    let plain = |s: &str| {
        !s.is_empty() && s.len() <= 200 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    if !plain(course) || !plain(module) || !plain(section) {
        return Err(AppError::NotFound);
    }
    Ok(CellKey {
        text: TextKey {
            course: course.clone(),
            module: module.clone(),
            language: language.code().to_owned(),
            country,
        },
        section: section.clone(),
    })
}

/// Refuses anyone who cannot author (403), before what they ask for is looked at: a
/// learner gets 403 whatever the address.
pub fn require_author(user: &User) -> AppResult<()> {
    if user.role.is_staff() {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// The signed-in person as an author; anyone who cannot author gets 403.
pub fn author_of(conn: &mut DbConnection, user: User) -> AppResult<Author> {
    let author = Author::load(conn, user)?;
    if author.is_author() {
        Ok(author)
    } else {
        Err(AppError::Forbidden)
    }
}

#[derive(Serialize)]
struct HistoryJson {
    revision: i32,
    state: super::model::State,
    origin: super::model::Origin,
    by: Option<String>,
    at: NaiveDateTime,
    comment: String,
    reviewed_by: Option<String>,
    reviewed_at: Option<NaiveDateTime>,
    review_comment: String,
    removes: bool,
}

#[derive(Serialize)]
struct SectionJson {
    state: super::model::State,
    freshness: &'static str,
    /// The newest revision's text: what an editor continues from.
    markdown: String,
    /// The text learners read now (`null` when none is approved).
    live_markdown: Option<String>,
    /// Fingerprint of the parent section the newest revision was made from.
    based_on: String,
    /// The parent section as it was then, for the diff of what changed since.
    based_on_markdown: String,
    /// The parent section now (`null` for the base).
    base_markdown: Option<String>,
    history: Vec<HistoryJson>,
}

fn section_json(conn: &mut DbConnection, cell: &CellKey) -> AppResult<SectionJson> {
    let texts = ModuleTexts::load(conn, &cell.text.course, &cell.text.module)?;
    let history = texts.history(cell).cloned().ok_or(AppError::NotFound)?;
    let latest = history.latest().cloned().ok_or(AppError::NotFound)?;
    let amendments = Amendments::load(conn)?;
    let ids: Vec<UserId> = history
        .revisions
        .iter()
        .flat_map(|r| [r.author_id, r.reviewed_by])
        .flatten()
        .collect();
    let names = super::views::names_of(conn, ids)?;
    let name = |id: Option<UserId>| id.and_then(|id| names.get(&id).cloned());
    Ok(SectionJson {
        state: history.state(),
        freshness: texts.freshness(cell, &amendments).code(),
        live_markdown: history.live_text().map(|r| r.markdown.clone()),
        base_markdown: texts
            .parent_cell(cell)
            .and_then(|p| texts.live(&p))
            .map(|r| r.markdown.clone()),
        based_on: latest.based_on.clone(),
        based_on_markdown: latest.based_on_markdown.clone(),
        markdown: latest.markdown.clone(),
        history: history
            .revisions
            .iter()
            .map(|r| HistoryJson {
                revision: r.revision,
                state: r.state,
                origin: r.origin,
                by: name(r.author_id),
                at: r.created_at,
                comment: r.comment.clone(),
                reviewed_by: name(r.reviewed_by),
                reviewed_at: r.reviewed_at,
                review_comment: r.review_comment.clone(),
                removes: r.removes,
            })
            .collect(),
    })
}

type SectionPath = web::Path<(String, String, String)>;

/// `GET …` → `{"state","freshness","markdown","based_on","base_markdown","history":[…]}`.
async fn get_section(
    state: web::Data<AppState>,
    path: SectionPath,
    query: web::Query<CellQuery>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    // Who asks is checked before what they ask for: a learner gets 403 whatever the
    // parameters.
    let cell = cell_of(&path, &query);
    let json = state
        .db(move |conn| {
            author_of(conn, user)?;
            section_json(conn, &cell?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(json))
}

#[derive(Deserialize)]
struct PutBody {
    markdown: String,
    #[serde(default)]
    comment: String,
}

/// `PUT …` `{"markdown","comment"}` → `200 {"revision","state":"draft"}`.
async fn put_section(
    state: web::Data<AppState>,
    path: SectionPath,
    query: web::Query<CellQuery>,
    body: web::Json<PutBody>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    // Who asks is checked before what they ask for: a learner gets 403 whatever the
    // parameters.
    let cell = cell_of(&path, &query);
    let body = body.into_inner();
    let revision = state
        .db(move |conn| {
            let author = author_of(conn, user)?;
            let cell = cell?;
            workflow::save_draft(conn, &author, &cell, &body.markdown, &body.comment)
        })
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "revision": revision, "state": "draft" })))
}

#[derive(Deserialize, Default)]
struct CommentBody {
    #[serde(default)]
    comment: String,
    /// For submit: why the warnings the checks found do not apply.
    #[serde(default)]
    reason: String,
    /// For rollback: the approved revision to propose again.
    #[serde(default)]
    revision: Option<i32>,
}

/// An optional JSON body: actions without a comment may be posted with no body at all.
fn comment_body(body: &web::Bytes) -> AppResult<CommentBody> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(CommentBody::default());
    }
    serde_json::from_slice(body).map_err(|_| AppError::BadRequest("errors.bad_request"))
}

/// `POST …/submit` → `200 {"state":"in_review","checks":[warnings]}`, or `400
/// {"error","checks":[…]}` when a check of level error fails.
async fn submit(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: SectionPath,
    query: web::Query<CellQuery>,
    body: web::Bytes,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    // Who asks is checked before what they ask for: a learner gets 403 whatever the
    // parameters.
    let cell = cell_of(&path, &query);
    let body = comment_body(&body);
    let locale = ctx.locale;
    let warnings = state
        .db(move |conn| {
            let author = author_of(conn, user)?;
            let cell = cell?;
            let body = body?;
            workflow::submit(conn, &author, &cell, &body.reason, false, locale)
        })
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "state": "in_review", "checks": warnings })))
}

/// `POST …/approve` → `200 {"state":"approved"}`; 403 to the last editor.
async fn approve(
    state: web::Data<AppState>,
    path: SectionPath,
    query: web::Query<CellQuery>,
    body: web::Bytes,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    // Who asks is checked before what they ask for: a learner gets 403 whatever the
    // parameters.
    let cell = cell_of(&path, &query);
    let body = comment_body(&body);
    state
        .db(move |conn| {
            let author = author_of(conn, user)?;
            let cell = cell?;
            let body = body?;
            workflow::approve(conn, &author, &cell, &body.comment)
        })
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "state": "approved" })))
}

/// `POST …/request-changes` `{"comment"}` → `200 {"state":"changes_requested"}`.
async fn request_changes(
    state: web::Data<AppState>,
    path: SectionPath,
    query: web::Query<CellQuery>,
    body: web::Bytes,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    // Who asks is checked before what they ask for: a learner gets 403 whatever the
    // parameters.
    let cell = cell_of(&path, &query);
    let body = comment_body(&body);
    state
        .db(move |conn| {
            let author = author_of(conn, user)?;
            let cell = cell?;
            let body = body?;
            workflow::request_changes(conn, &author, &cell, &body.comment)
        })
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "state": "changes_requested" })))
}

/// `POST …/confirm` → `200 {"revision","state":"approved","freshness":"current"}`.
async fn confirm(
    state: web::Data<AppState>,
    path: SectionPath,
    query: web::Query<CellQuery>,
    body: web::Bytes,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    // Who asks is checked before what they ask for: a learner gets 403 whatever the
    // parameters.
    let cell = cell_of(&path, &query);
    let body = comment_body(&body);
    let revision = state
        .db(move |conn| {
            let author = author_of(conn, user)?;
            let cell = cell?;
            let body = body?;
            workflow::confirm(conn, &author, &cell, &body.comment)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .json(serde_json::json!({ "revision": revision, "state": "approved", "freshness": "current" })))
}

/// `POST …/drop` `{"comment"}` → `200 {"revision","state":"in_review"}`: proposes
/// removing a national adaptation's section.
async fn drop_section(
    state: web::Data<AppState>,
    path: SectionPath,
    query: web::Query<CellQuery>,
    body: web::Bytes,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    // Who asks is checked before what they ask for: a learner gets 403 whatever the
    // parameters.
    let cell = cell_of(&path, &query);
    let body = comment_body(&body);
    let revision = state
        .db(move |conn| {
            let author = author_of(conn, user)?;
            let cell = cell?;
            let body = body?;
            workflow::propose_drop(conn, &author, &cell, &body.comment)
        })
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "revision": revision, "state": "in_review" })))
}

/// `POST …/rollback` `{"revision","comment"}` → `200 {"revision","state":"in_review"}`.
async fn rollback(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: SectionPath,
    query: web::Query<CellQuery>,
    body: web::Bytes,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    // Who asks is checked before what they ask for: a learner gets 403 whatever the
    // parameters.
    let cell = cell_of(&path, &query);
    let body = comment_body(&body);
    let revision = state
        .db(move |conn| {
            let author = author_of(conn, user)?;
            let cell = cell?;
            let body = body?;
            let target = body
                .revision
                .ok_or(AppError::BadRequest("authoring.rollback_needs_revision"))?;
            // Without a comment, one in the caller's language says which revision.
            let comment = if body.comment.trim().is_empty() {
                crate::i18n::t_with(
                    ctx.locale,
                    "authoring_editor.rollback_comment",
                    &[("revision", &target.to_string())],
                )
            } else {
                body.comment
            };
            workflow::propose_rollback(conn, &author, &cell, target, &comment)
        })
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "revision": revision, "state": "in_review" })))
}

#[derive(Deserialize)]
struct StatusQuery {
    course: Option<String>,
}

/// `GET /api/v1/authoring/status?course=<id>` →
/// `[{"module","lang","country","sections","approved","outdated","in_review","law_changed"}]`.
async fn course_status(
    state: web::Data<AppState>,
    query: web::Query<StatusQuery>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let course = query
        .into_inner()
        .course
        .ok_or(AppError::BadRequest("authoring.status_needs_course"))?;
    let rows = state
        .db(move |conn| {
            author_of(conn, user)?;
            status::of_course(conn, &course)
        })
        .await?;
    Ok(HttpResponse::Ok().json(rows))
}

type LawPath = web::Path<(String, String)>;

/// `GET /api/v1/law/<cc>` → the country's entries, each with its pending proposal.
async fn law_table(
    state: web::Data<AppState>,
    path: web::Path<String>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let country = law_table::checked_country(&path);
    let rows = state
        .db(move |conn| {
            author_of(conn, user)?;
            law_table::table_of(conn, &country?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(rows))
}

/// `PUT /api/v1/law/<cc>/<concept>` `{"article","code","title":{…},"note":{…},"source",
/// "verified"}` → `200 {"revision","state":"in_review"}`: proposed for a second person's
/// approval.
async fn put_law(
    state: web::Data<AppState>,
    path: LawPath,
    body: web::Json<law_table::EntryInput>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let target = law_table::checked_country(&path.0).and_then(|c| Ok((c, law_table::checked_concept(&path.1)?)));
    let input = body.into_inner();
    let comment = input.comment.clone();
    let revision = state
        .db(move |conn| {
            let author = author_of(conn, user)?;
            let (country, concept) = target?;
            if !law_table::may_edit(&author, &country) {
                return Err(AppError::Forbidden);
            }
            let mut entry = law_table::checked_entry(input)?;
            // Approval writes the proposal's date; the API sends none, so it keeps the
            // entry's (an amendment's date is changed through `amend`).
            entry.effective = law_table::effective_now(conn, &country, &concept)?;
            law_table::propose(conn, &author, &country, &concept, &entry, &comment)
        })
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "revision": revision, "state": "in_review" })))
}

/// `POST /api/v1/law/<cc>/<concept>/amend` `{"effective","note"[,"status"]}` → `200`.
async fn amend_law(
    state: web::Data<AppState>,
    path: LawPath,
    body: web::Json<law_table::AmendInput>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let target = law_table::checked_country(&path.0).and_then(|c| Ok((c, law_table::checked_concept(&path.1)?)));
    let input = body.into_inner();
    state
        .db(move |conn| {
            let author = author_of(conn, user)?;
            let (country, concept) = target?;
            law_table::amend(conn, &author, &country, &concept, &input)
        })
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "status": "amended" })))
}

/// `POST /api/v1/law/<cc>/<concept>/approve` → `200 {"state":"approved"}`.
async fn approve_law(state: web::Data<AppState>, path: LawPath, SignedIn(user): SignedIn) -> AppResult<HttpResponse> {
    let target = law_table::checked_country(&path.0).and_then(|c| Ok((c, law_table::checked_concept(&path.1)?)));
    state
        .db(move |conn| {
            let author = author_of(conn, user)?;
            let (country, concept) = target?;
            law_table::approve(conn, &author, &country, &concept)
        })
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "state": "approved" })))
}

/// `POST /api/v1/law/<cc>/<concept>/request-changes` `{"comment"}` →
/// `200 {"state":"changes_requested"}`.
async fn request_law_changes(
    state: web::Data<AppState>,
    path: LawPath,
    body: web::Bytes,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let target = law_table::checked_country(&path.0).and_then(|c| Ok((c, law_table::checked_concept(&path.1)?)));
    let body = comment_body(&body);
    state
        .db(move |conn| {
            let author = author_of(conn, user)?;
            let (country, concept) = target?;
            let body = body?;
            law_table::request_changes(conn, &author, &country, &concept, &body.comment)
        })
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "state": "changes_requested" })))
}
