//! The section editor: `/authoring/sections/{course}/{module}/{section}?language=xx[&country=cc]`
//! (`language` names the text; `lang` stays the interface's language, as on every page).
//! One page per cell: the base rendered with what changed in it since this text was
//! made, the Markdown editor with a preview and the checks, the glossary and the law
//! that apply, the review of a pending edit, and the cell's history with rollback.
//! Every action is a plain form post (no script needed); the rules are the workflow's,
//! the same as the JSON API's.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::access::{language_of_country, Author};
use super::api::{author_of, cell_of, require_author, CellQuery};
use super::diff::Piece;
use super::lineage::{law_concepts_in, Amendments, ModuleTexts};
use super::model::{CellKey, State};
use super::views::{self, Label, TextName};
use super::workflow;
use crate::accounts::guard::SignedIn;
use crate::accounts::model::{Country, UserId};
use crate::app::AppState;
use crate::courses::format::COUNTRIES;
use crate::courses::law::LawBook;
use crate::db::schema::{glossary_terms, law_entries};
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::i18n::{self, Locale};
use crate::validation::FieldErrors;
use crate::web::context::RequestContext;
use crate::web::forms::{CsrfForm, FormLimit};
use crate::web::render;
use crate::web::see_other;
use diesel::prelude::*;

pub fn routes(cfg: &mut web::ServiceConfig) {
    // The editor's form carries a whole section: its own body limit.
    cfg.service(
        web::resource("/authoring/sections/{course}/{module}/{section}")
            .app_data(web::PayloadConfig::new(workflow::SECTION_BODY_LIMIT))
            .app_data(FormLimit(workflow::SECTION_BODY_LIMIT))
            .route(web::get().to(editor_page))
            .route(web::post().to(save)),
    )
    .route(
        "/authoring/sections/{course}/{module}/{section}/review",
        web::post().to(review),
    )
    .route(
        "/authoring/sections/{course}/{module}/{section}/confirm",
        web::post().to(confirm),
    )
    .route(
        "/authoring/sections/{course}/{module}/{section}/drop",
        web::post().to(drop_section),
    )
    .route(
        "/authoring/sections/{course}/{module}/{section}/rollback",
        web::post().to(rollback),
    );
}

type SectionPath = web::Path<(String, String, String)>;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EditorQuery {
    language: Option<String>,
    country: Option<String>,
    done: Option<String>,
}

impl EditorQuery {
    fn cell_query(&self) -> CellQuery {
        CellQuery {
            lang: self.language.clone(),
            country: self.country.clone(),
        }
    }
}

/// What the editor form posts: the text, a note on the edit, the reason warnings do not
/// apply, and which button was pressed.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct EditForm {
    pub markdown: String,
    pub comment: String,
    pub reason: String,
    pub law: String,
    /// `preview`, `save` or `submit`.
    pub intent: String,
}

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct DecisionForm {
    /// `approve` or `request_changes`.
    pub decision: String,
    pub review_comment: String,
    /// `review` when posted from the review queue, which the answer returns to.
    pub back: String,
}

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct ConfirmForm {
    pub confirm_comment: String,
    pub back: String,
}

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct DropForm {
    pub drop_comment: String,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct RollbackForm {
    pub revision: String,
}

#[derive(Serialize)]
struct HistoryLine {
    revision: i32,
    state: Label,
    origin: String,
    by: String,
    at: String,
    comment: String,
    reviewed_by: String,
    reviewed_at: String,
    review_comment: String,
    removes: bool,
    is_live: bool,
    may_roll_back: bool,
}

#[derive(Serialize)]
struct Pending {
    revision: i32,
    by: String,
    at: String,
    comment: String,
    removes: bool,
    /// The live text → the text in review.
    diff: Option<Vec<Piece>>,
    /// Whether the person looking made this edit (and so may not approve it).
    own: bool,
}

#[derive(Serialize)]
struct GlossaryLine {
    source: String,
    translation: String,
    note: String,
    used: bool,
}

#[derive(Serialize)]
struct LawLine {
    concept: String,
    /// "Criminal Code …, Article 205: …" in the reader's language.
    text: String,
    verified: bool,
    /// No entry for this concept in the country's table.
    missing: bool,
    status: String,
}

#[derive(Serialize)]
struct EditorPage {
    course: String,
    module: String,
    section: String,
    heading: String,
    text: TextName,
    /// `language=kk[&country=kz]`, for the forms' addresses.
    query: String,
    module_page: String,
    is_base: bool,
    is_adaptation: bool,
    started: bool,
    state: Option<Label>,
    freshness: Label,
    /// The parent section now, rendered, and its language.
    base_html: Option<String>,
    base_text: Option<TextName>,
    /// What changed in the parent since the newest revision was made.
    base_diff: Option<Vec<Piece>>,
    /// The live text learners read now, rendered.
    live_html: Option<String>,
    form: EditForm,
    preview_html: Option<String>,
    checks: Vec<super::checks::Check>,
    checks_run: bool,
    has_warnings: bool,
    glossary: Vec<GlossaryLine>,
    law_country: String,
    law_country_name: String,
    law_countries: Vec<views::Choice>,
    law: Vec<LawLine>,
    pending: Option<Pending>,
    history: Vec<HistoryLine>,
    may_edit: bool,
    may_approve: bool,
    may_confirm: bool,
    /// A draft or an edit in review: confirming and dropping wait for it.
    has_pending_work: bool,
    /// Someone else's edit is in review: the text cannot be edited until it is decided.
    blocked_by_review: bool,
    may_drop: bool,
    notice: Option<String>,
    decision: DecisionForm,
    confirm: ConfirmForm,
    drop: DropForm,
}

/// Notices shown after a redirect; only known keys are shown.
fn notice_of(done: Option<&str>) -> Option<&'static str> {
    match done? {
        "saved" => Some("authoring_editor.done_saved"),
        "submitted" => Some("authoring_editor.done_submitted"),
        "approved" => Some("authoring_editor.done_approved"),
        "changes_requested" => Some("authoring_editor.done_changes_requested"),
        "confirmed" => Some("authoring_editor.done_confirmed"),
        "drop_proposed" => Some("authoring_editor.done_drop_proposed"),
        "rollback_proposed" => Some("authoring_editor.done_rollback_proposed"),
        _ => None,
    }
}

/// The country whose law a preview shows: the adaptation's own; for the base and
/// translations the one asked for, else the country whose language it is, else the
/// author's.
fn law_country_for(cell: &CellKey, asked: Option<&str>, author: &Author) -> String {
    if cell.text.is_adaptation() {
        return cell.text.country.clone();
    }
    if let Some(code) = asked.map(str::trim).map(str::to_ascii_lowercase) {
        if COUNTRIES.contains(&code.as_str()) {
            return code;
        }
    }
    let by_language = [Country::Kz, Country::Kg, Country::Tj, Country::Tm, Country::Uz]
        .into_iter()
        .find(|c| language_of_country(*c) == Some(cell.text.language.as_str()));
    by_language
        .or(author.user.country.filter(|c| *c != Country::Other))
        .map(|c| c.code().to_ascii_lowercase())
        .unwrap_or_else(|| "kz".to_owned())
}

/// The agreed terms of the text's language that its parent section uses: for a
/// translation, terms whose source (English or Russian, as the parent is written) it
/// contains; for an adaptation, written in the same language, terms whose agreed
/// translation it contains, so the adapter keeps to them.
fn glossary_for(
    conn: &mut DbConnection,
    cell: &CellKey,
    parent_language: &str,
    parent: &str,
    text: &str,
) -> AppResult<Vec<GlossaryLine>> {
    let rows: Vec<(String, String, String, String)> = glossary_terms::table
        .filter(glossary_terms::language.eq(&cell.text.language))
        .filter(glossary_terms::deleted.eq(false))
        .select((
            glossary_terms::source_en,
            glossary_terms::source_ru,
            glossary_terms::translation,
            glossary_terms::note,
        ))
        .load(conn)?;
    let parent_lower = parent.to_lowercase();
    let text_lower = text.to_lowercase();
    let mut lines: Vec<GlossaryLine> = rows
        .into_iter()
        .filter_map(|(en, ru, translation, note)| {
            let source = if parent_language == "ru" { ru } else { en };
            let same_language = parent_language == cell.text.language;
            let sought = if same_language { &translation } else { &source };
            let found = !sought.trim().is_empty() && parent_lower.contains(&sought.to_lowercase());
            found.then(|| GlossaryLine {
                used: text_lower.contains(&translation.to_lowercase()),
                source,
                translation,
                note,
            })
        })
        .collect();
    lines.sort_by(|a, b| a.source.cmp(&b.source));
    Ok(lines)
}

/// The country's law entries cited in the section or its parent, as readers see them.
fn law_for(conn: &mut DbConnection, country: &str, texts: &[&str], locale: Locale) -> AppResult<Vec<LawLine>> {
    let concepts: Vec<String> = texts
        .iter()
        .flat_map(|t| law_concepts_in(t))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let statuses: std::collections::BTreeMap<String, String> = law_entries::table
        .filter(law_entries::country.eq(country))
        .filter(law_entries::concept.eq_any(&concepts))
        .select((law_entries::concept, law_entries::status))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let book = LawBook::new(crate::courses::store::law_for_concepts(conn, &concepts)?);
    Ok(concepts
        .into_iter()
        .map(|concept| {
            let provision = book.provision(country, &concept, locale);
            let status = statuses.get(&concept).map(String::as_str).unwrap_or_default();
            LawLine {
                text: provision.as_ref().map(|p| p.text.clone()).unwrap_or_default(),
                verified: provision.as_ref().is_some_and(|p| p.verified),
                missing: provision.is_none(),
                status: match status {
                    "amended" | "repealed" => i18n::t(locale, &format!("authoring_editor.law_status_{status}")),
                    _ => String::new(),
                },
                concept,
            }
        })
        .collect())
}

/// Everything the editor shows for a cell; `form` is what the author typed (or `None`
/// for the newest revision's text), `preview` asks for the preview and checks.
#[allow(clippy::too_many_lines)]
fn editor_data(
    conn: &mut DbConnection,
    author: &Author,
    cell: &CellKey,
    form: Option<EditForm>,
    preview: bool,
    locale: Locale,
) -> AppResult<EditorPage> {
    let texts = workflow::texts_for(conn, cell)?;
    let amendments = Amendments::load(conn)?;
    let is_base = texts.is_base(&cell.text);
    let history = texts.history(cell).cloned().unwrap_or_default();
    let latest = history.latest().cloned();
    let live = history.live_text().cloned();
    let parent_cell = texts.parent_cell(cell);
    let parent_now = parent_cell.as_ref().and_then(|p| texts.live(p)).cloned();
    let law_country = law_country_for(cell, form.as_ref().map(|f| f.law.as_str()), author);

    let starting_text = latest
        .as_ref()
        .filter(|r| !r.removes)
        .map(|r| r.markdown.clone())
        .or_else(|| live.as_ref().map(|r| r.markdown.clone()))
        .or_else(|| parent_now.as_ref().map(|r| r.markdown.clone()))
        .unwrap_or_default();
    let mut form = form.unwrap_or_else(|| EditForm {
        markdown: starting_text,
        ..EditForm::default()
    });
    form.law = law_country.clone();

    // A text that is not one section with its heading gets no checks: the field's
    // error says what to fix first.
    let normalised = workflow::normalise_section(&cell.section, &form.markdown).ok();
    let (preview_html, checks) = if preview {
        let checks = match &normalised {
            Some(markdown) => workflow::checks_for(conn, &texts, cell, markdown, locale)?,
            None => Vec::new(),
        };
        let html = views::rendered(conn, cell, &form.markdown, Some(&law_country), locale)?;
        (Some(html), checks)
    } else {
        (None, Vec::new())
    };

    let ids: Vec<UserId> = history
        .revisions
        .iter()
        .flat_map(|r| [r.author_id, r.reviewed_by])
        .flatten()
        .collect();
    let names = views::names_of(conn, ids)?;
    let name = |id: Option<UserId>| {
        id.and_then(|id| names.get(&id).cloned())
            .unwrap_or_else(|| i18n::t(locale, "authoring_editor.from_files"))
    };
    let may_edit = author.may_edit(&cell.text, is_base);
    let may_approve = author.may_approve(&cell.text, is_base);
    let live_id = live.as_ref().map(|r| r.id);
    let history_lines: Vec<HistoryLine> = history
        .revisions
        .iter()
        .rev()
        .map(|r| HistoryLine {
            revision: r.revision,
            state: views::state_label(r.state, locale),
            origin: i18n::t(locale, &format!("authoring_editor.origin_{}", r.origin.code())),
            by: name(r.author_id),
            at: i18n::format_date_time(locale, r.created_at),
            comment: r.comment.clone(),
            reviewed_by: r.reviewed_by.map(|id| name(Some(id))).unwrap_or_default(),
            reviewed_at: r
                .reviewed_at
                .map(|at| i18n::format_date_time(locale, at))
                .unwrap_or_default(),
            review_comment: r.review_comment.clone(),
            removes: r.removes,
            is_live: Some(r.id) == live_id,
            may_roll_back: may_edit
                && r.state == State::Approved
                && Some(r.id) != live_id
                && !history.state().is_pending(),
        })
        .collect();

    let pending = latest.as_ref().filter(|r| r.state == State::InReview).map(|r| Pending {
        revision: r.revision,
        by: name(r.author_id),
        at: i18n::format_date_time(locale, r.created_at),
        comment: r.comment.clone(),
        removes: r.removes,
        diff: views::diff_of(live.as_ref().map_or("", |l| l.markdown.as_str()), &r.markdown),
        own: r.author_id == Some(author.user.id),
    });

    // What changed in the base since the approved text was made (the change an edit in
    // review answers); for a text with nothing approved yet, since its newest revision.
    let base_diff = live
        .as_ref()
        .or(latest.as_ref())
        .zip(parent_now.as_ref())
        .filter(|(r, p)| !r.based_on_markdown.is_empty() && r.based_on_markdown != p.markdown)
        .and_then(|(r, p)| views::diff_of(&r.based_on_markdown, &p.markdown));
    let base_html = match &parent_now {
        Some(parent) => Some(views::rendered(
            conn,
            parent_cell.as_ref().unwrap_or(cell),
            &parent.markdown,
            Some(&law_country),
            locale,
        )?),
        None => None,
    };
    let live_html = match &live {
        Some(live) => Some(views::rendered(conn, cell, &live.markdown, Some(&law_country), locale)?),
        None => None,
    };
    let parent_markdown = parent_now.as_ref().map_or("", |p| p.markdown.as_str());
    let parent_language = parent_cell.as_ref().map_or("", |p| p.text.language.as_str());
    let glossary = if parent_cell.is_some() {
        glossary_for(conn, cell, parent_language, parent_markdown, &form.markdown)?
    } else {
        Vec::new()
    };
    let law = law_for(conn, &law_country, &[parent_markdown, &form.markdown], locale)?;
    let freshness = texts.freshness(cell, &amendments);
    let has_pending_work = history.pending().is_some();
    let has_warnings = checks.iter().any(|c| c.level == super::checks::Level::Warning);
    Ok(EditorPage {
        course: cell.text.course.clone(),
        module: cell.text.module.clone(),
        section: cell.section.clone(),
        heading: views::heading_of(
            latest.as_ref().map_or(parent_markdown, |r| r.markdown.as_str()),
            &cell.section,
        ),
        text: TextName::of(&cell.text, locale),
        query: cell.text.query(),
        module_page: cell.text.page_path(),
        is_base,
        is_adaptation: cell.text.is_adaptation(),
        started: latest.is_some(),
        state: latest.as_ref().map(|_| views::state_label(history.state(), locale)),
        freshness: views::freshness_label(freshness, locale),
        base_html,
        base_text: parent_cell.as_ref().map(|p| TextName::of(&p.text, locale)),
        base_diff,
        live_html,
        form,
        preview_html,
        checks_run: preview && normalised.is_some(),
        has_warnings,
        checks,
        glossary,
        law_country_name: views::country_name(locale, &law_country),
        law_countries: COUNTRIES
            .iter()
            .map(|c| views::Choice {
                value: (*c).to_owned(),
                label: views::country_name(locale, c),
            })
            .collect(),
        law_country,
        law,
        pending,
        history: history_lines,
        may_edit,
        may_approve,
        // The base has no parent to be valid against, only the law it cites.
        may_confirm: may_approve
            && live.is_some()
            && !has_pending_work
            && (parent_cell.is_none() || parent_now.is_some()),
        has_pending_work,
        blocked_by_review: latest
            .as_ref()
            .is_some_and(|r| r.state == State::InReview && r.author_id != Some(author.user.id)),
        may_drop: may_edit && cell.text.is_adaptation() && live.is_some() && !has_pending_work,
        notice: None,
        decision: DecisionForm::default(),
        confirm: ConfirmForm::default(),
        drop: DropForm::default(),
    })
}

/// Shows the editor, with the errors of a failed post when there are any.
async fn show(
    state: &AppState,
    ctx: &RequestContext,
    cell: CellKey,
    change: impl FnOnce(&mut EditorPage) + Send + 'static,
    form: Option<EditForm>,
    preview: bool,
    errors: Option<FieldErrors>,
) -> AppResult<HttpResponse> {
    let user = ctx.user()?.clone();
    let locale = ctx.locale;
    let page = state
        .db(move |conn| {
            let author = author_of(conn, user)?;
            let mut page = editor_data(conn, &author, &cell, form, preview, locale)?;
            change(&mut page);
            Ok(page)
        })
        .await?;
    render::form_view(state, ctx, "authoring/editor.html", &page, errors.as_ref())
}

fn cell_from(path: &SectionPath, query: &EditorQuery) -> AppResult<CellKey> {
    cell_of(&(path.0.clone(), path.1.clone(), path.2.clone()), &query.cell_query())
}

async fn editor_page(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: SectionPath,
    query: web::Query<EditorQuery>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    require_author(&user)?;
    let cell = cell_from(&path, &query)?;
    let notice = notice_of(query.done.as_deref()).map(|key| i18n::t(ctx.locale, key));
    show(&state, &ctx, cell, move |page| page.notice = notice, None, false, None).await
}

fn redirect(cell: &CellKey, done: &str) -> HttpResponse {
    see_other(format!("{}&done={done}", cell.editor_path()))
}

/// Back to the review queue when the form was posted from it, else to the editor.
fn redirect_back(cell: &CellKey, back: &str, done: &str) -> HttpResponse {
    if back == "review" {
        see_other(format!("/authoring/review?done={done}"))
    } else {
        redirect(cell, done)
    }
}

/// The editor form: preview (with the checks), save a draft, or save and submit. A
/// submission the checks refuse, or whose warnings have no reason, is shown again with
/// the checks and saves nothing.
async fn save(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: SectionPath,
    query: web::Query<EditorQuery>,
    CsrfForm(form): CsrfForm<EditForm>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    require_author(&user)?;
    let cell = cell_from(&path, &query)?;
    let locale = ctx.locale;
    match form.intent.as_str() {
        "preview" => {
            let errors = match workflow::normalise_section(&cell.section, &form.markdown) {
                Err(AppError::Invalid(errors)) => Some(errors),
                Err(other) => return Err(other),
                Ok(_) => None,
            };
            return show(&state, &ctx, cell, |_| {}, Some(form), true, errors).await;
        }
        "save" | "submit" => {}
        _ => return Err(AppError::BadRequest("errors.bad_request")),
    }
    let submit = form.intent == "submit";
    let input = form.clone();
    let target = cell.clone();
    let outcome = state
        .db(move |conn| {
            let author = author_of(conn, user)?;
            let markdown = workflow::normalise_section(&target.section, &input.markdown)?;
            if submit {
                let found = workflow::preview_checks(conn, &target, &markdown, locale)?;
                let needs_reason = found.iter().any(|c| c.level == super::checks::Level::Warning);
                if super::checks::has_errors(&found) {
                    return Err(FieldErrors::one("markdown", "authoring_editor.fix_errors_first").into());
                }
                if needs_reason && input.reason.trim().is_empty() {
                    return Err(FieldErrors::one("reason", "authoring_editor.reason_required").into());
                }
            }
            workflow::save_draft(conn, &author, &target, &markdown, &input.comment)?;
            if submit {
                workflow::submit(conn, &author, &target, &input.reason, true, locale)?;
            }
            Ok(())
        })
        .await;
    match outcome {
        Ok(()) => Ok(redirect(&cell, if submit { "submitted" } else { "saved" })),
        Err(AppError::Invalid(errors)) => show(&state, &ctx, cell, |_| {}, Some(form), submit, Some(errors)).await,
        Err(AppError::Checks(_)) => {
            let errors = FieldErrors::one("markdown", "authoring_editor.fix_errors_first");
            show(&state, &ctx, cell, |_| {}, Some(form), true, Some(errors)).await
        }
        Err(other) => Err(other),
    }
}

/// The answer to one of the editor's small forms: the redirect `done` when it worked;
/// on invalid input the editor again, the errors beside this form's own comment box
/// (`field`) and what was typed kept by `keep`.
async fn answer<T>(
    state: &AppState,
    ctx: &RequestContext,
    cell: CellKey,
    outcome: AppResult<T>,
    done: HttpResponse,
    field: &'static str,
    keep: impl FnOnce(&mut EditorPage) + Send + 'static,
) -> AppResult<HttpResponse> {
    match outcome {
        Ok(_) => Ok(done),
        Err(AppError::Invalid(errors)) => {
            show(
                state,
                ctx,
                cell,
                keep,
                None,
                false,
                Some(errors.renamed("comment", field)),
            )
            .await
        }
        Err(other) => Err(other),
    }
}

/// Approve or request changes on the edit in review. The person who made it is told
/// that another person must approve it.
async fn review(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: SectionPath,
    query: web::Query<EditorQuery>,
    CsrfForm(form): CsrfForm<DecisionForm>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    require_author(&user)?;
    let cell = cell_from(&path, &query)?;
    let approve = match form.decision.as_str() {
        "approve" => true,
        "request_changes" => false,
        _ => return Err(AppError::BadRequest("errors.bad_request")),
    };
    let input = form.clone();
    let target = cell.clone();
    let outcome = state
        .db(move |conn| {
            let author = author_of(conn, user)?;
            let texts = ModuleTexts::load(conn, &target.text.course, &target.text.module)?;
            let own = texts
                .history(&target)
                .and_then(|h| h.latest())
                .is_some_and(|r| r.state == State::InReview && r.author_id == Some(author.user.id));
            if approve && own && author.may_approve(&target.text, texts.is_base(&target.text)) {
                return Err(FieldErrors::one("decision", "authoring_editor.four_eyes").into());
            }
            if approve {
                workflow::approve(conn, &author, &target, &input.review_comment)
            } else {
                workflow::request_changes(conn, &author, &target, &input.review_comment)
            }
        })
        .await;
    let done = redirect_back(
        &cell,
        &form.back,
        if approve { "approved" } else { "changes_requested" },
    );
    answer(&state, &ctx, cell, outcome, done, "review_comment", move |page| {
        page.decision = form
    })
    .await
}

/// "Still valid": the live text is confirmed against today's parent and law.
async fn confirm(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: SectionPath,
    query: web::Query<EditorQuery>,
    CsrfForm(form): CsrfForm<ConfirmForm>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    require_author(&user)?;
    let cell = cell_from(&path, &query)?;
    let input = form.clone();
    let target = cell.clone();
    let outcome = state
        .db(move |conn| {
            let author = author_of(conn, user)?;
            workflow::confirm(conn, &author, &target, &input.confirm_comment)
        })
        .await;
    let done = redirect_back(&cell, &form.back, "confirmed");
    answer(&state, &ctx, cell, outcome, done, "confirm_comment", move |page| {
        page.confirm = form
    })
    .await
}

/// Proposes dropping a national adaptation's section (reviewed like an edit).
async fn drop_section(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: SectionPath,
    query: web::Query<EditorQuery>,
    CsrfForm(form): CsrfForm<DropForm>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    require_author(&user)?;
    let cell = cell_from(&path, &query)?;
    let input = form.clone();
    let target = cell.clone();
    let outcome = state
        .db(move |conn| {
            let author = author_of(conn, user)?;
            workflow::propose_drop(conn, &author, &target, &input.drop_comment)
        })
        .await;
    let done = redirect(&cell, "drop_proposed");
    answer(&state, &ctx, cell, outcome, done, "drop_comment", move |page| {
        page.drop = form
    })
    .await
}

/// Proposes an earlier approved text again, for review.
async fn rollback(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: SectionPath,
    query: web::Query<EditorQuery>,
    CsrfForm(form): CsrfForm<RollbackForm>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    require_author(&user)?;
    let cell = cell_from(&path, &query)?;
    let revision: i32 = form
        .revision
        .trim()
        .parse()
        .map_err(|_| AppError::BadRequest("authoring.rollback_needs_revision"))?;
    let target = cell.clone();
    let comment = i18n::t_with(
        ctx.locale,
        "authoring_editor.rollback_comment",
        &[("revision", &revision.to_string())],
    );
    state
        .db(move |conn| {
            let author = author_of(conn, user)?;
            workflow::propose_rollback(conn, &author, &target, revision, &comment)
        })
        .await?;
    Ok(redirect(&cell, "rollback_proposed"))
}
