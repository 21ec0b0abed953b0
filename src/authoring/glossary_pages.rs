//! The glossary editor's pages: `/authoring/glossary/<lang>` lists a language's agreed
//! terms with a form that adds one, `/authoring/glossary/<lang>/<term>` edits or
//! deletes a term. The rules are in `glossary`.

use actix_web::{web, HttpResponse};
use serde::Serialize;

use super::access::Author;
use super::api::author_of;
use super::glossary::{self, Term, TermInput};
use super::views;
use crate::accounts::guard::SignedIn;
use crate::accounts::model::User;
use crate::app::AppState;
use crate::error::{AppError, AppResult};
use crate::i18n::{self, Locale};
use crate::validation::FieldErrors;
use crate::web::context::RequestContext;
use crate::web::forms::{CsrfForm, CsrfOnly};
use crate::web::render;
use crate::web::{see_other, DoneQuery};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/authoring/glossary/{language}", web::get().to(list_page))
        .route("/authoring/glossary/{language}", web::post().to(add_term))
        .route("/authoring/glossary/{language}/{term}", web::get().to(term_page))
        .route("/authoring/glossary/{language}/{term}", web::post().to(save_term))
        .route(
            "/authoring/glossary/{language}/{term}/delete",
            web::post().to(delete_term),
        );
}

fn notice_of(locale: Locale, done: Option<&str>) -> Option<String> {
    let key = match done? {
        "added" => "glossary_editor.added",
        "saved" => "glossary_editor.saved",
        "deleted" => "glossary_editor.deleted",
        _ => return None,
    };
    Some(i18n::t(locale, key))
}

async fn author_and_language(state: &AppState, user: User, language: &str) -> AppResult<(Author, String)> {
    let language = language.to_owned();
    state
        .db(move |conn| {
            let author = author_of(conn, user)?;
            Ok((author, glossary::checked_language(&language)?))
        })
        .await
}

/// What `authoring/glossary.html` shows: the terms and the form that adds one.
#[derive(Serialize)]
struct ListPage<'a> {
    language: String,
    language_name: &'static str,
    terms: Vec<Term>,
    may_edit: bool,
    form: &'a TermInput,
    notice: Option<String>,
}

async fn show_list(
    state: &AppState,
    ctx: &RequestContext,
    author: &Author,
    language: String,
    form: &TermInput,
    errors: Option<&FieldErrors>,
    notice: Option<String>,
) -> AppResult<HttpResponse> {
    let lookup = language.clone();
    let terms = state.db(move |conn| glossary::terms_of(conn, &lookup)).await?;
    let page = ListPage {
        language_name: views::language_name(&language),
        may_edit: glossary::may_edit(author, &language),
        language,
        terms,
        form,
        notice,
    };
    render::form_view(state, ctx, "authoring/glossary.html", &page, errors)
}

async fn list_page(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
    query: web::Query<DoneQuery>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let (author, language) = author_and_language(&state, user, &path).await?;
    let notice = notice_of(ctx.locale, query.done.as_deref());
    show_list(&state, &ctx, &author, language, &TermInput::default(), None, notice).await
}

async fn add_term(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<TermInput>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let (author, language) = author_and_language(&state, user, &path).await?;
    let (worker, lang, input) = (author.clone(), language.clone(), form.clone());
    let outcome = state
        .db(move |conn| glossary::save(conn, &worker, &lang, None, &input))
        .await;
    match outcome {
        Ok(_) => Ok(see_other(format!("/authoring/glossary/{language}?done=added"))),
        Err(AppError::Invalid(errors)) => show_list(&state, &ctx, &author, language, &form, Some(&errors), None).await,
        Err(other) => Err(other),
    }
}

/// What `authoring/glossary_term.html` shows: one term's form.
#[derive(Serialize)]
struct TermPage<'a> {
    language: String,
    language_name: &'static str,
    term: String,
    may_edit: bool,
    form: &'a TermInput,
}

async fn find_term(state: &AppState, language: &str, term: &str) -> AppResult<Term> {
    if !glossary::is_term_id(term) {
        return Err(AppError::NotFound);
    }
    let (language, term) = (language.to_owned(), term.to_owned());
    state
        .db(move |conn| glossary::find(conn, &language, &term))
        .await?
        .ok_or(AppError::NotFound)
}

fn show_term(
    state: &AppState,
    ctx: &RequestContext,
    author: &Author,
    term: &Term,
    form: &TermInput,
    errors: Option<&FieldErrors>,
) -> AppResult<HttpResponse> {
    let page = TermPage {
        language: term.language.clone(),
        language_name: views::language_name(&term.language),
        term: term.term.clone(),
        may_edit: glossary::may_edit(author, &term.language),
        form,
    };
    render::form_view(state, ctx, "authoring/glossary_term.html", &page, errors)
}

type TermPath = web::Path<(String, String)>;

async fn term_page(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: TermPath,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let (author, language) = author_and_language(&state, user, &path.0).await?;
    let term = find_term(&state, &language, &path.1).await?;
    let form = TermInput {
        term: term.term.clone(),
        source_en: term.source_en.clone(),
        source_ru: term.source_ru.clone(),
        translation: term.translation.clone(),
        note: term.note.clone(),
    };
    show_term(&state, &ctx, &author, &term, &form, None)
}

async fn save_term(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: TermPath,
    CsrfForm(form): CsrfForm<TermInput>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let (author, language) = author_and_language(&state, user, &path.0).await?;
    let term = find_term(&state, &language, &path.1).await?;
    let (worker, lang, id, input) = (author.clone(), language.clone(), term.term.clone(), form.clone());
    let outcome = state
        .db(move |conn| glossary::save(conn, &worker, &lang, Some(&id), &input))
        .await;
    match outcome {
        Ok(_) => Ok(see_other(format!("/authoring/glossary/{language}?done=saved"))),
        Err(AppError::Invalid(errors)) => show_term(&state, &ctx, &author, &term, &form, Some(&errors)),
        Err(other) => Err(other),
    }
}

async fn delete_term(
    state: web::Data<AppState>,
    path: TermPath,
    _form: CsrfOnly,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let (author, language) = author_and_language(&state, user, &path.0).await?;
    let term = find_term(&state, &language, &path.1).await?;
    let lang = language.clone();
    state
        .db(move |conn| glossary::delete(conn, &author, &lang, &term.term))
        .await?;
    Ok(see_other(format!("/authoring/glossary/{language}?done=deleted")))
}
