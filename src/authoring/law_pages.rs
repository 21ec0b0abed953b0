//! The law table editor's pages: `/authoring/law/<cc>` lists a country's entries,
//! `/authoring/law/<cc>/<concept>` shows one with its pending proposal and the forms
//! that propose a change, approve it or send it back, and mark the provision amended
//! or repealed; `/authoring/law/<cc>/new` adds a concept. Every rule is in
//! `law_table`; the handlers only read forms and show pages.

use std::collections::{BTreeMap, HashMap};

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::access::Author;
use super::api::author_of;
use super::diff::{self, Piece};
use super::law_table::{self, AmendInput, CodeInput, EntryInput, EntryView};
use super::model::State;
use super::views::{country_name, language_name, names_of, Choice};
use crate::accounts::guard::SignedIn;
use crate::accounts::model::UserId;
use crate::app::AppState;
use crate::courses::format::LawEntry;
use crate::courses::law_and_glossary::national_language;
use crate::error::{AppError, AppResult};
use crate::i18n::{self, Locale};
use crate::validation::FieldErrors;
use crate::web::context::RequestContext;
use crate::web::forms::CsrfForm;
use crate::web::render;
use crate::web::{see_other, DoneQuery};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/authoring/law/{country}", web::get().to(table_page))
        .route("/authoring/law/{country}/new", web::get().to(new_page))
        .route("/authoring/law/{country}/new", web::post().to(add_concept))
        .route("/authoring/law/{country}/{concept}", web::get().to(entry_page))
        .route("/authoring/law/{country}/{concept}", web::post().to(propose))
        .route("/authoring/law/{country}/{concept}/approve", web::post().to(approve))
        .route(
            "/authoring/law/{country}/{concept}/request-changes",
            web::post().to(request_changes),
        )
        .route("/authoring/law/{country}/{concept}/amend", web::post().to(amend));
}

/// The languages of an entry's texts in the editor: the country's own, Russian, then
/// the others.
pub fn editor_languages(country: &str) -> Vec<&'static str> {
    let national = national_language(country);
    let mut out = vec![national, "ru"];
    out.extend(
        Locale::ALL
            .iter()
            .map(|l| l.code())
            .filter(|c| *c != national && *c != "ru"),
    );
    out
}

/// Notices after a redirect; only known ones are shown.
fn notice_of(locale: Locale, done: Option<&str>) -> Option<String> {
    let key = match done? {
        "proposed" => "law_editor.proposed",
        "approved" => "law_editor.approved",
        "returned" => "law_editor.returned",
        "amended" => "law_editor.amended",
        _ => return None,
    };
    Some(i18n::t(locale, key))
}

fn status_label(locale: Locale, status: &str) -> String {
    match status {
        "amended" | "repealed" | "proposed" => i18n::t(locale, &format!("law_editor.status_{status}")),
        _ => i18n::t(locale, "law_editor.status_in_force"),
    }
}

fn state_label(locale: Locale, state: State) -> String {
    match state {
        State::ChangesRequested => i18n::t(locale, "law_editor.pending_changes_requested"),
        _ => i18n::t(locale, "law_editor.pending_in_review"),
    }
}

/// The author behind a page, with the country of the address checked (unknown → 404;
/// someone who may not author at all → 403).
async fn author_and_country(
    state: &AppState,
    user: crate::accounts::model::User,
    country: &str,
) -> AppResult<(Author, String)> {
    let country = country.to_owned();
    state
        .db(move |conn| {
            let author = author_of(conn, user)?;
            Ok((author, law_table::checked_country(&country)?))
        })
        .await
}

// ---- The table ----------------------------------------------------------------

#[derive(Serialize)]
struct TableRow {
    concept: String,
    article: String,
    code: String,
    title_national: String,
    title_ru: String,
    status: String,
    changed: bool,
    effective: Option<String>,
    verified: bool,
    verified_by: Option<String>,
    verified_at: Option<String>,
    missing_title: bool,
    pending: Option<String>,
}

/// What `authoring/law_table.html` shows.
#[derive(Serialize)]
struct TablePage {
    country: String,
    country_name: String,
    national_name: &'static str,
    /// Russian's name in itself, the language of the table's second title column.
    russian_name: &'static str,
    rows: Vec<TableRow>,
    missing: usize,
    pending: usize,
    may_edit: bool,
    notice: Option<String>,
}

async fn table_page(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
    query: web::Query<DoneQuery>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let (author, country) = author_and_country(&state, user, &path).await?;
    let locale = ctx.locale;
    let lookup = country.clone();
    let (entries, names) = state
        .db(move |conn| {
            let entries = law_table::table_of(conn, &lookup)?;
            let names = names_of(conn, entries.iter().filter_map(|e| e.verified_by).collect())?;
            Ok((entries, names))
        })
        .await?;
    let national = national_language(&country);
    let pick = |map: &BTreeMap<String, String>, lang: &str| map.get(lang).cloned().unwrap_or_default();
    let rows: Vec<TableRow> = entries
        .iter()
        .map(|e| {
            let proposed = e.pending.as_ref().and_then(|p| p.proposed());
            let (code, title) = if e.status == "proposed" {
                let p = proposed.clone().unwrap_or_else(empty_entry);
                (p.code, p.title)
            } else {
                (e.code.clone(), e.title.clone())
            };
            TableRow {
                concept: e.concept.clone(),
                article: if e.status == "proposed" {
                    proposed.as_ref().map(|p| p.article.clone()).unwrap_or_default()
                } else {
                    e.article.clone()
                },
                code: code
                    .get(national)
                    .or_else(|| code.get("ru"))
                    .cloned()
                    .unwrap_or_default(),
                title_national: pick(&title, national),
                title_ru: pick(&title, "ru"),
                status: status_label(locale, &e.status),
                changed: e.status == "amended" || e.status == "repealed",
                effective: e.effective.map(|d| i18n::format_date(locale, d)),
                verified: e.verified,
                verified_by: e.verified_by.and_then(|id| names.get(&id).cloned()),
                verified_at: e.verified_at.map(|at| i18n::format_date(locale, at.date())),
                missing_title: !e.has_national_title,
                pending: e.pending.as_ref().map(|p| state_label(locale, p.state)),
            }
        })
        .collect();
    let page = TablePage {
        country_name: country_name(locale, &country),
        national_name: language_name(national),
        russian_name: Locale::Ru.native_name(),
        missing: rows.iter().filter(|r| r.missing_title).count(),
        pending: rows.iter().filter(|r| r.pending.is_some()).count(),
        rows,
        may_edit: law_table::may_edit(&author, &country),
        notice: notice_of(locale, query.done.as_deref()),
        country,
    };
    render::view(&state, &ctx, "authoring/law_table.html", &page)
}

fn empty_entry() -> LawEntry {
    LawEntry {
        article: String::new(),
        source: String::new(),
        verified: false,
        status: None,
        effective: None,
        amendment_note: None,
        code: BTreeMap::new(),
        title: BTreeMap::new(),
        note: BTreeMap::new(),
    }
}

// ---- The forms ------------------------------------------------------------------

/// The proposal form as sent: `article`, `code` (a code of the table, or `new` with
/// `code_<lang>`), `title_<lang>`, `note_<lang>`, `source`, `verified`, `effective`,
/// `comment`, and `concept` on the new-concept page.
#[derive(Debug, Clone, Default, Serialize)]
pub struct EntryForm {
    concept: String,
    article: String,
    code: String,
    code_names: BTreeMap<String, String>,
    title: BTreeMap<String, String>,
    note: BTreeMap<String, String>,
    source: String,
    verified: bool,
    effective: String,
    comment: String,
}

impl EntryForm {
    fn from_fields(fields: &HashMap<String, String>) -> EntryForm {
        let get = |name: &str| fields.get(name).cloned().unwrap_or_default();
        let per_language = |prefix: &str| -> BTreeMap<String, String> {
            Locale::ALL
                .iter()
                .map(|l| (l.code().to_owned(), get(&format!("{prefix}_{}", l.code()))))
                .collect()
        };
        EntryForm {
            concept: get("concept"),
            article: get("article"),
            code: get("code"),
            code_names: per_language("code"),
            title: per_language("title"),
            note: per_language("note"),
            source: get("source"),
            verified: fields.get("verified").is_some_and(|v| !v.is_empty()),
            effective: get("effective"),
            comment: get("comment"),
        }
    }

    fn from_entry(entry: &LawEntry, concept: &str, codes: &[CodeChoice]) -> EntryForm {
        let code = codes.iter().find(|c| c.names == entry.code).map_or_else(
            || {
                if entry.code.is_empty() {
                    String::new()
                } else {
                    "new".into()
                }
            },
            |c| c.value.clone(),
        );
        EntryForm {
            concept: concept.to_owned(),
            article: entry.article.clone(),
            code_names: if code == "new" {
                entry.code.clone()
            } else {
                BTreeMap::new()
            },
            code,
            title: entry.title.clone(),
            note: entry.note.clone(),
            source: entry.source.clone(),
            verified: entry.verified,
            effective: entry.effective.clone().unwrap_or_default(),
            comment: String::new(),
        }
    }
}

/// A code already used in the country's table, offered in the form's list.
#[derive(Debug, Clone, Serialize)]
struct CodeChoice {
    value: String,
    label: String,
    #[serde(skip)]
    names: BTreeMap<String, String>,
}

fn code_choices(entries: &[EntryView], locale: Locale) -> Vec<CodeChoice> {
    let mut out: Vec<CodeChoice> = Vec::new();
    for entry in entries {
        let names = &entry.code;
        let Some(value) = names
            .get("ru")
            .or_else(|| names.get("en"))
            .or_else(|| names.values().next())
        else {
            continue;
        };
        if out.iter().any(|c| &c.value == value) {
            continue;
        }
        let label = i18n::pick_text(names, locale).unwrap_or_else(|| value.clone());
        out.push(CodeChoice {
            value: value.clone(),
            label,
            names: names.clone(),
        });
    }
    out.sort_by(|a, b| a.label.cmp(&b.label));
    out
}

/// Turns the form into a checked entry, every problem at once.
fn checked_form(form: &EntryForm, codes: &[CodeChoice], new_concept: bool) -> AppResult<(String, LawEntry)> {
    let mut errors = FieldErrors::new();
    let concept = form.concept.trim().to_owned();
    if new_concept {
        match law_table::checked_concept(&concept) {
            Ok(_) => {}
            Err(AppError::Invalid(found)) => {
                for e in found.iter() {
                    errors.add_with("concept", e.key, e.args.clone());
                }
            }
            Err(_) => errors.add("concept", "law_editor.concept_invalid"),
        }
    }
    if form.article.trim().is_empty() {
        errors.add("article", "law_editor.article_required");
    }
    let code: BTreeMap<String, String> = match form.code.trim() {
        "new" => {
            let names: BTreeMap<String, String> = form
                .code_names
                .iter()
                .filter(|(_, n)| !n.trim().is_empty())
                .map(|(l, n)| (l.clone(), n.clone()))
                .collect();
            if !names.contains_key("ru") && !names.contains_key("en") {
                errors.add("code", "law_editor.code_name_required");
            }
            names
        }
        "" => {
            errors.add("code", "law_editor.code_required");
            BTreeMap::new()
        }
        value => match codes.iter().find(|c| c.value == value) {
            Some(choice) => choice.names.clone(),
            None => {
                errors.add("code", "law_editor.code_unknown");
                BTreeMap::new()
            }
        },
    };
    let effective = form.effective.trim();
    let effective = if effective.is_empty() {
        None
    } else {
        match NaiveDate::parse_from_str(effective, "%Y-%m-%d") {
            Ok(date) if (2000..=2100).contains(&chrono::Datelike::year(&date)) => Some(date),
            _ => {
                errors.add("effective", "law_editor.effective_invalid");
                None
            }
        }
    };
    if let Err(AppError::Invalid(comment_errors)) = super::workflow::checked_comment(&form.comment, false) {
        for e in comment_errors.iter() {
            errors.add_with("comment", e.key, e.args.clone());
        }
    }
    let input = EntryInput {
        article: form.article.clone(),
        code: CodeInput::PerLanguage(code),
        title: form.title.clone(),
        note: form.note.clone(),
        source: form.source.clone(),
        verified: form.verified,
        comment: form.comment.clone(),
    };
    match law_table::checked_entry(input) {
        Ok(mut entry) => {
            entry.effective = effective.map(|d| d.format("%Y-%m-%d").to_string());
            errors.check((concept, entry))
        }
        Err(AppError::Invalid(found)) => {
            for e in found.iter() {
                if let Some(field) = ["article", "code", "title", "note", "source"]
                    .into_iter()
                    .find(|f| *f == e.field)
                {
                    errors.add_with(field, e.key, e.args.clone());
                }
            }
            Err(errors.into())
        }
        Err(other) => Err(other),
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct AmendForm {
    amend_status: String,
    amend_effective: String,
    amend_note: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ReviewForm {
    review_comment: String,
}

// ---- The entry page ---------------------------------------------------------------

#[derive(Serialize)]
struct ShownText {
    language: &'static str,
    code: String,
    title: String,
    note: String,
}

#[derive(Serialize)]
struct Current {
    article: String,
    texts: Vec<ShownText>,
    source: String,
    status: String,
    changed: bool,
    effective: Option<String>,
    amendment_note: String,
    verified: bool,
    verified_by: Option<String>,
    verified_at: Option<String>,
    missing_title: bool,
}

#[derive(Serialize)]
struct DiffRow {
    label: String,
    pieces: Vec<Piece>,
}

#[derive(Serialize)]
struct Pending {
    revision: i32,
    state: String,
    in_review: bool,
    by: Option<String>,
    at: String,
    comment: String,
    review_comment: String,
    reviewed_by: Option<String>,
    changes: Vec<DiffRow>,
    own: bool,
}

/// What `authoring/law_entry.html` shows.
#[derive(Serialize)]
struct EntryPage<'a> {
    country: String,
    country_name: String,
    national_name: &'static str,
    concept: String,
    /// The new-concept page: the form only, with the concept's id.
    is_new: bool,
    current: Option<Current>,
    pending: Option<Pending>,
    may_edit: bool,
    may_approve: bool,
    text_languages: Vec<Choice>,
    codes: Vec<CodeChoice>,
    status_options: Vec<Choice>,
    form: &'a EntryForm,
    amend: &'a AmendForm,
    review: &'a ReviewForm,
    notice: Option<String>,
    /// A refusal shown on the page (four eyes).
    refusal: Option<String>,
}

/// How the entry page is to be shown again after a post.
#[derive(Default)]
struct Again<'a> {
    form: Option<&'a EntryForm>,
    amend: Option<&'a AmendForm>,
    review: Option<&'a ReviewForm>,
    errors: Option<&'a FieldErrors>,
    notice: Option<String>,
    refusal: Option<String>,
    status: Option<StatusCode>,
}

fn diff_rows(locale: Locale, country: &str, old: &LawEntry, new: &LawEntry) -> Vec<DiffRow> {
    let mut rows = Vec::new();
    let mut push = |label: String, a: &str, b: &str| {
        if a != b {
            rows.push(DiffRow {
                label,
                pieces: diff::words(a, b),
            });
        }
    };
    push(i18n::t(locale, "law_editor.article"), &old.article, &new.article);
    let get = |map: &BTreeMap<String, String>, l: &str| map.get(l).cloned().unwrap_or_default();
    for language in editor_languages(country) {
        let name = language_name(language);
        push(
            i18n::t_with(locale, "law_editor.code_in", &[("language", name)]),
            &get(&old.code, language),
            &get(&new.code, language),
        );
        push(
            i18n::t_with(locale, "law_editor.title_in", &[("language", name)]),
            &get(&old.title, language),
            &get(&new.title, language),
        );
        push(
            i18n::t_with(locale, "law_editor.note_in", &[("language", name)]),
            &get(&old.note, language),
            &get(&new.note, language),
        );
    }
    push(i18n::t(locale, "law_editor.source"), &old.source, &new.source);
    let yes_no = |v: bool| i18n::t(locale, if v { "law_editor.yes" } else { "law_editor.no" });
    push(
        i18n::t(locale, "law_editor.verified"),
        &yes_no(old.verified),
        &yes_no(new.verified),
    );
    push(
        i18n::t(locale, "law_editor.effective"),
        old.effective.as_deref().unwrap_or_default(),
        new.effective.as_deref().unwrap_or_default(),
    );
    rows
}

fn entry_of_view(view: &EntryView) -> LawEntry {
    LawEntry {
        article: view.article.clone(),
        source: view.source.clone(),
        verified: view.verified,
        status: None,
        effective: view.effective.map(|d| d.format("%Y-%m-%d").to_string()),
        amendment_note: None,
        code: view.code.clone(),
        title: view.title.clone(),
        note: view.note.clone(),
    }
}

async fn show_entry(
    state: &AppState,
    ctx: &RequestContext,
    author: Author,
    country: String,
    concept: Option<String>,
    again: Again<'_>,
) -> AppResult<HttpResponse> {
    let locale = ctx.locale;
    let lookup = country.clone();
    let (entries, names) = state
        .db(move |conn| {
            let entries = law_table::table_of(conn, &lookup)?;
            let mut ids: Vec<UserId> = entries.iter().filter_map(|e| e.verified_by).collect();
            for pending in entries.iter().filter_map(|e| e.pending.as_ref()) {
                ids.extend(pending.author_id);
                ids.extend(pending.reviewed_by);
            }
            let names = names_of(conn, ids)?;
            Ok((entries, names))
        })
        .await?;
    let codes = code_choices(&entries, locale);
    let name_of = |id: Option<UserId>| id.and_then(|id| names.get(&id).cloned());
    let view = match &concept {
        Some(concept) => Some(
            entries
                .iter()
                .find(|e| &e.concept == concept)
                .ok_or(AppError::NotFound)?,
        ),
        None => None,
    };
    let national = national_language(&country);
    let current = view.filter(|v| v.status != "proposed").map(|v| Current {
        article: v.article.clone(),
        texts: editor_languages(&country)
            .into_iter()
            .filter_map(|l| {
                let get = |m: &BTreeMap<String, String>| m.get(l).cloned().unwrap_or_default();
                let shown = ShownText {
                    language: language_name(l),
                    code: get(&v.code),
                    title: get(&v.title),
                    note: get(&v.note),
                };
                (l == national || l == "ru" || !shown.title.is_empty() || !shown.note.is_empty()).then_some(shown)
            })
            .collect(),
        source: v.source.clone(),
        status: status_label(locale, &v.status),
        changed: v.status == "amended" || v.status == "repealed",
        effective: v.effective.map(|d| i18n::format_date(locale, d)),
        amendment_note: v.amendment_note.clone(),
        verified: v.verified,
        verified_by: name_of(v.verified_by),
        verified_at: v.verified_at.map(|at| i18n::format_date(locale, at.date())),
        missing_title: !v.has_national_title,
    });
    let old = view
        .filter(|v| v.status != "proposed")
        .map(entry_of_view)
        .unwrap_or_else(empty_entry);
    let pending = view.and_then(|v| v.pending.as_ref()).map(|p| {
        let proposed = p.proposed().unwrap_or_else(empty_entry);
        Pending {
            revision: p.revision,
            state: state_label(locale, p.state),
            in_review: p.state == State::InReview,
            by: name_of(p.author_id),
            at: i18n::format_date_time(locale, p.created_at),
            comment: p.comment.clone(),
            review_comment: p.review_comment.clone(),
            reviewed_by: name_of(p.reviewed_by),
            changes: diff_rows(locale, &country, &old, &proposed),
            own: p.author_id == Some(author.user.id),
        }
    });
    // The form starts from the proposal waiting for review or sent back, so that its
    // author continues it rather than typing it again over the current entry.
    let start = match view {
        Some(v) => match v.pending.as_ref().and_then(|p| p.proposed()) {
            Some(proposed) => proposed,
            None if v.status == "proposed" => empty_entry(),
            None => entry_of_view(v),
        },
        None => empty_entry(),
    };
    let concept_id = concept.clone().unwrap_or_default();
    let prefilled = EntryForm::from_entry(&start, &concept_id, &codes);
    let no_review = ReviewForm::default();
    let amend_default = AmendForm {
        amend_status: "amended".into(),
        ..AmendForm::default()
    };
    let page = EntryPage {
        country_name: country_name(locale, &country),
        national_name: language_name(national),
        concept: concept_id,
        is_new: concept.is_none(),
        current,
        pending,
        may_edit: law_table::may_edit(&author, &country),
        may_approve: law_table::may_approve(&author, &country),
        text_languages: editor_languages(&country)
            .into_iter()
            .map(|code| Choice {
                value: code.to_owned(),
                label: language_name(code).to_owned(),
            })
            .collect(),
        codes,
        status_options: ["amended", "repealed"]
            .into_iter()
            .map(|value| Choice {
                value: value.to_owned(),
                label: status_label(locale, value),
            })
            .collect(),
        form: again.form.unwrap_or(&prefilled),
        amend: again.amend.unwrap_or(&amend_default),
        review: again.review.unwrap_or(&no_review),
        notice: again.notice,
        refusal: again.refusal,
        country,
    };
    let response = render::form_view(state, ctx, "authoring/law_entry.html", &page, again.errors)?;
    Ok(match again.status {
        Some(status) => {
            let mut response = response;
            *response.status_mut() = status;
            response
        }
        None => response,
    })
}

type EntryPath = web::Path<(String, String)>;

/// The author, the country and the concept of an entry's address.
async fn entry_target(
    state: &AppState,
    user: crate::accounts::model::User,
    path: &EntryPath,
) -> AppResult<(Author, String, String)> {
    let (author, country) = author_and_country(state, user, &path.0).await?;
    let concept = law_table::checked_concept(&path.1)?;
    Ok((author, country, concept))
}

async fn entry_page(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: EntryPath,
    query: web::Query<DoneQuery>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let (author, country, concept) = entry_target(&state, user, &path).await?;
    let again = Again {
        notice: notice_of(ctx.locale, query.done.as_deref()),
        ..Again::default()
    };
    show_entry(&state, &ctx, author, country, Some(concept), again).await
}

async fn new_page(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let (author, country) = author_and_country(&state, user, &path).await?;
    if !law_table::may_edit(&author, &country) {
        return Err(AppError::Forbidden);
    }
    show_entry(&state, &ctx, author, country, None, Again::default()).await
}

/// Proposes the form's entry for `concept` (`None`: the form names a new concept).
async fn propose_entry(
    state: &AppState,
    ctx: &RequestContext,
    author: Author,
    country: String,
    concept: Option<String>,
    fields: HashMap<String, String>,
) -> AppResult<HttpResponse> {
    if !law_table::may_edit(&author, &country) {
        return Err(AppError::Forbidden);
    }
    let form = EntryForm::from_fields(&fields);
    let worker = author.clone();
    let (cc, known, input) = (country.clone(), concept.clone(), form.clone());
    let outcome = state
        .db(move |conn| {
            let entries = law_table::table_of(conn, &cc)?;
            if let Some(concept) = &known {
                if !entries.iter().any(|e| &e.concept == concept) {
                    return Err(AppError::NotFound);
                }
            }
            let codes = code_choices(&entries, Locale::Ru);
            let (named, entry) = checked_form(&input, &codes, known.is_none())?;
            if known.is_none() && entries.iter().any(|e| e.concept == named) {
                // A new concept must not take an existing one's id.
                return Err(FieldErrors::one("concept", "law_editor.concept_taken").into());
            }
            let concept = known.unwrap_or(named);
            law_table::propose(conn, &worker, &cc, &concept, &entry, &input.comment)?;
            Ok(concept)
        })
        .await;
    match outcome {
        Ok(concept) => Ok(see_other(format!("/authoring/law/{country}/{concept}?done=proposed"))),
        Err(AppError::Invalid(errors)) => {
            let again = Again {
                form: Some(&form),
                errors: Some(&errors),
                ..Again::default()
            };
            show_entry(state, ctx, author, country, concept, again).await
        }
        Err(other) => Err(other),
    }
}

async fn propose(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: EntryPath,
    CsrfForm(fields): CsrfForm<HashMap<String, String>>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let (author, country, concept) = entry_target(&state, user, &path).await?;
    let mut fields = fields;
    fields.remove("concept");
    propose_entry(&state, &ctx, author, country, Some(concept), fields).await
}

async fn add_concept(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
    CsrfForm(fields): CsrfForm<HashMap<String, String>>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let (author, country) = author_and_country(&state, user, &path).await?;
    propose_entry(&state, &ctx, author, country, None, fields).await
}

async fn approve(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: EntryPath,
    _form: CsrfForm<crate::web::forms::NoFields>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let (author, country, concept) = entry_target(&state, user, &path).await?;
    if !law_table::may_approve(&author, &country) {
        return Err(AppError::Forbidden);
    }
    let (worker, cc, cn) = (author.clone(), country.clone(), concept.clone());
    let outcome = state
        .db(move |conn| {
            let entries = law_table::table_of(conn, &cc)?;
            let entry = entries.iter().find(|e| e.concept == cn).ok_or(AppError::NotFound)?;
            let pending = entry
                .pending
                .as_ref()
                .filter(|p| p.state == State::InReview)
                .ok_or(AppError::Conflict("authoring.nothing_in_review"))?;
            if pending.author_id == Some(worker.user.id) {
                return Ok(false);
            }
            law_table::approve(conn, &worker, &cc, &cn)?;
            Ok(true)
        })
        .await?;
    if outcome {
        return Ok(see_other(format!("/authoring/law/{country}/{concept}?done=approved")));
    }
    let again = Again {
        refusal: Some(i18n::t(ctx.locale, "law_editor.own_proposal")),
        status: Some(StatusCode::FORBIDDEN),
        ..Again::default()
    };
    show_entry(&state, &ctx, author, country, Some(concept), again).await
}

async fn request_changes(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: EntryPath,
    CsrfForm(form): CsrfForm<ReviewForm>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let (author, country, concept) = entry_target(&state, user, &path).await?;
    let (worker, cc, cn, comment) = (
        author.clone(),
        country.clone(),
        concept.clone(),
        form.review_comment.clone(),
    );
    let outcome = state
        .db(move |conn| law_table::request_changes(conn, &worker, &cc, &cn, &comment))
        .await;
    match outcome {
        Ok(()) => Ok(see_other(format!("/authoring/law/{country}/{concept}?done=returned"))),
        Err(AppError::Invalid(found)) => {
            let mut errors = FieldErrors::new();
            for e in found.iter() {
                errors.add_with("review_comment", e.key, e.args.clone());
            }
            let again = Again {
                review: Some(&form),
                errors: Some(&errors),
                ..Again::default()
            };
            show_entry(&state, &ctx, author, country, Some(concept), again).await
        }
        Err(other) => Err(other),
    }
}

async fn amend(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: EntryPath,
    CsrfForm(form): CsrfForm<AmendForm>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let (author, country, concept) = entry_target(&state, user, &path).await?;
    let input = AmendInput {
        effective: Some(form.amend_effective.clone()),
        note: form.amend_note.clone(),
        status: Some(form.amend_status.clone()),
    };
    let (worker, cc, cn) = (author.clone(), country.clone(), concept.clone());
    let outcome = state
        .db(move |conn| law_table::amend(conn, &worker, &cc, &cn, &input))
        .await;
    match outcome {
        Ok(()) => Ok(see_other(format!("/authoring/law/{country}/{concept}?done=amended"))),
        Err(AppError::Invalid(found)) => {
            let mut errors = FieldErrors::new();
            for e in found.iter() {
                let field = match e.field.as_ref() {
                    "status" => "amend_status",
                    "note" => "amend_note",
                    _ => "amend_effective",
                };
                errors.add_with(field, e.key, e.args.clone());
            }
            let again = Again {
                amend: Some(&form),
                errors: Some(&errors),
                ..Again::default()
            };
            show_entry(&state, &ctx, author, country, Some(concept), again).await
        }
        Err(other) => Err(other),
    }
}
