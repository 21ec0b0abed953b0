//! The authoring overview (`/authoring`), the page of one module text
//! (`/authoring/modules/{course}/{module}?language=xx[&country=cc]`) and the review queue
//! (`/authoring/review`) with its bulk approval.

use std::collections::{BTreeMap, BTreeSet};

use actix_web::{web, HttpResponse};
use chrono::Utc;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::access::{language_of_country, Author};
use super::api::{author_of, cell_of, require_author, CellQuery};
use super::diff::Piece;
use super::lineage::{whitespace_folded, Amendments, ModuleTexts};
use super::model::{CellKey, Freshness, State, TextKey};
use super::status::{self, TextStatus};
use super::views::{self, CellLine, Choice, TextName};
use super::{store, workflow};
use crate::accounts::guard::SignedIn;
use crate::accounts::model::Country;
use crate::app::AppState;
use crate::courses::format::COUNTRIES;
use crate::courses::store as course_store;
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::i18n::{self, Locale};
use crate::web::context::RequestContext;
use crate::web::forms::CsrfForm;
use crate::web::render;
use crate::web::see_other;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/authoring", web::get().to(overview))
        .route("/authoring/modules/{course}/{module}", web::get().to(text_page))
        .route("/authoring/review", web::get().to(review_queue))
        .route("/authoring/review/approve", web::post().to(bulk_approve));
}

fn language_choices() -> Vec<Choice> {
    Locale::ALL
        .into_iter()
        .map(|l| Choice {
            value: l.code().to_owned(),
            label: l.native_name().to_owned(),
        })
        .collect()
}

fn country_choices(locale: Locale) -> Vec<Choice> {
    COUNTRIES
        .iter()
        .map(|c| Choice {
            value: (*c).to_owned(),
            label: views::country_name(locale, c),
        })
        .collect()
}

/// A filter value that names a known code, else none.
fn known(value: Option<&str>, codes: &[&str]) -> String {
    value
        .map(|v| v.trim().to_ascii_lowercase())
        .filter(|v| codes.contains(&v.as_str()))
        .unwrap_or_default()
}

fn language_codes() -> Vec<&'static str> {
    Locale::ALL.into_iter().map(Locale::code).collect()
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Filters {
    course: Option<String>,
    country: Option<String>,
    language: Option<String>,
    reason: Option<String>,
    done: Option<String>,
    count: Option<String>,
}

/// The filters as the pages use them: known codes only, `""` for all.
#[derive(Debug, Clone, Default, Serialize)]
struct Chosen {
    course: String,
    country: String,
    language: String,
    reason: String,
}

impl Chosen {
    fn of(filters: &Filters, courses: &[String]) -> Self {
        let course_refs: Vec<&str> = courses.iter().map(String::as_str).collect();
        Chosen {
            course: known(filters.course.as_deref(), &course_refs),
            country: known(filters.country.as_deref(), &COUNTRIES),
            language: known(filters.language.as_deref(), &language_codes()),
            reason: known(filters.reason.as_deref(), &REASONS),
        }
    }

    /// Whether a text passes the filters. A country stands for its adaptations and for
    /// the translations into its language, which its coordinators approve too.
    fn wants(&self, key: &TextKey) -> bool {
        let country_language = Country::parse(&self.country).and_then(language_of_country);
        (self.course.is_empty() || self.course == key.course)
            && (self.language.is_empty() || self.language == key.language)
            && (self.country.is_empty()
                || self.country == key.country
                || (!key.is_adaptation() && country_language == Some(key.language.as_str())))
    }
}

fn course_title(row: &course_store::CourseRow, locale: Locale) -> String {
    let titles = row.titles();
    titles
        .get(locale.code())
        .or_else(|| titles.get("en"))
        .or_else(|| titles.get("ru"))
        .cloned()
        .unwrap_or_else(|| row.id.clone())
}

/// The courses that have texts to author, those with a run in progress first.
fn courses_in_order(conn: &mut DbConnection, locale: Locale) -> AppResult<Vec<(String, String, bool)>> {
    let running: BTreeSet<String> = crate::enrolment::courses_running_on(conn, Utc::now().date_naive())?
        .into_iter()
        .collect();
    let mut out = Vec::new();
    for id in store::courses_with_cells(conn)? {
        let title = course_store::find_course(conn, &id)?
            .map(|row| course_title(&row, locale))
            .unwrap_or_else(|| id.clone());
        let is_running = running.contains(&id);
        out.push((id, title, is_running));
    }
    out.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.1.cmp(&b.1)));
    Ok(out)
}

/// The module ids of a course in course order, with their folders.
fn modules_in_order(conn: &mut DbConnection, course: &str) -> AppResult<Vec<(String, String)>> {
    let mut modules: Vec<(String, String)> = store::sources_of_course(conn, course)?
        .into_iter()
        .map(|s| (s.folder, s.module_id))
        .collect();
    modules.sort();
    modules.dedup();
    Ok(modules)
}

#[derive(Serialize)]
struct MatrixCell {
    link: String,
    percent: u32,
    sections: usize,
    outdated: usize,
    in_review: usize,
    law_changed: usize,
    orphaned: usize,
    drafts: usize,
    done: bool,
}

#[derive(Serialize)]
struct MatrixRow {
    module: String,
    folder: String,
    cells: Vec<Option<MatrixCell>>,
    /// Per column without a text: the page where it can be begun, when its parent
    /// text exists (a country's adaptation of a language the module has, or a
    /// translation of a module with a base).
    begin: Vec<Option<String>>,
}

#[derive(Serialize)]
struct CourseMatrix {
    id: String,
    title: String,
    running: bool,
    columns: Vec<TextName>,
    rows: Vec<MatrixRow>,
}

#[derive(Serialize)]
struct OverviewPage {
    chosen: Chosen,
    courses: Vec<Choice>,
    language_choices: Vec<Choice>,
    countries: Vec<Choice>,
    matrices: Vec<CourseMatrix>,
    attention: Vec<AttentionLine>,
    /// Sections needing attention beyond those listed.
    attention_more: usize,
    review_count: usize,
    may_edit_law: Vec<Choice>,
    my_languages: Vec<Choice>,
}

#[derive(Serialize)]
struct AttentionLine {
    #[serde(flatten)]
    cell: CellLine,
    course_title: String,
    running: bool,
}

/// How many sections the overview lists as needing attention; the rest are counted.
const ATTENTION_LIMIT: usize = 50;

/// A module's texts by column (see [`column_order`]), each with its status.
type ModuleRow = BTreeMap<(usize, String), (TextKey, TextStatus)>;

fn matrix_cell(status: &TextStatus, key: &TextKey) -> MatrixCell {
    MatrixCell {
        link: key.page_path(),
        percent: status.percent_done(),
        sections: status.sections,
        outdated: status.outdated,
        in_review: status.in_review,
        law_changed: status.law_changed,
        orphaned: status.orphaned,
        drafts: status.drafts,
        done: status.current == status.sections,
    }
}

fn text_key(course: &str, status: &TextStatus) -> TextKey {
    TextKey {
        course: course.to_owned(),
        module: status.module.clone(),
        language: status.lang.clone(),
        country: status.country.clone().unwrap_or_default(),
    }
}

/// Column order: the base languages first, then the region's languages, each followed
/// by its countries' adaptations.
fn column_order(key: &TextKey) -> (usize, String) {
    let position = Locale::ALL
        .into_iter()
        .position(|l| l.code() == key.language)
        .unwrap_or(usize::MAX);
    (position, key.country.clone())
}

#[allow(clippy::too_many_lines)]
fn overview_data(
    conn: &mut DbConnection,
    author: &Author,
    filters: &Filters,
    locale: Locale,
) -> AppResult<OverviewPage> {
    let courses = courses_in_order(conn, locale)?;
    let ids: Vec<String> = courses.iter().map(|c| c.0.clone()).collect();
    let chosen = Chosen::of(filters, &ids);
    let amendments = Amendments::load(conn)?;
    let mut matrices = Vec::new();
    let mut attention = Vec::new();
    let mut review_count = 0;
    for (course, title, running) in &courses {
        if !chosen.course.is_empty() && &chosen.course != course {
            continue;
        }
        let mut per_module: Vec<(String, String, ModuleRow, BTreeSet<String>)> = Vec::new();
        let mut columns: BTreeMap<(usize, String), TextKey> = BTreeMap::new();
        for (folder, module) in modules_in_order(conn, course)? {
            let texts = ModuleTexts::load(conn, course, &module)?;
            let mut row = BTreeMap::new();
            for status in status::of_module(&texts, &amendments) {
                let key = text_key(course, &status);
                if !chosen.wants(&key) {
                    continue;
                }
                let column = column_order(&key);
                columns.entry(column.clone()).or_insert_with(|| TextKey {
                    module: String::new(),
                    ..key.clone()
                });
                row.insert(column, (key, status));
            }
            for (cell, history) in &texts.cells {
                if !chosen.wants(&cell.text) {
                    continue;
                }
                let freshness = texts.freshness(cell, &amendments);
                let state = history.state();
                let dropped = history.live_text().is_none() && state == State::Approved;
                if dropped {
                    continue;
                }
                let awaits_me = history.latest().is_some_and(|r| {
                    r.state == State::InReview
                        && r.author_id != Some(author.user.id)
                        && author.may_approve(&cell.text, texts.is_base(&cell.text))
                });
                if awaits_me {
                    review_count += 1;
                }
                if freshness != Freshness::Current || state == State::InReview {
                    attention.push(AttentionLine {
                        cell: views::cell_line(&texts, cell, freshness, locale),
                        course_title: title.clone(),
                        running: *running,
                    });
                }
            }
            let languages: BTreeSet<String> = texts
                .sources
                .iter()
                .filter(|s| s.country.is_empty())
                .map(|s| s.language.clone())
                .collect();
            per_module.push((module, folder, row, languages));
        }
        if columns.is_empty() {
            continue;
        }
        let column_keys: Vec<(usize, String)> = columns.keys().cloned().collect();
        matrices.push(CourseMatrix {
            id: course.clone(),
            title: title.clone(),
            running: *running,
            columns: columns.values().map(|k| TextName::of(k, locale)).collect(),
            rows: per_module
                .into_iter()
                .map(|(module, folder, mut row, languages)| {
                    let begin = columns
                        .values()
                        .map(|column| {
                            let can_begin = !row
                                .values()
                                .any(|(k, _)| k.language == column.language && k.country == column.country)
                                && if column.is_adaptation() {
                                    languages.contains(&column.language)
                                } else {
                                    !languages.is_empty()
                                };
                            can_begin.then(|| {
                                TextKey {
                                    module: module.clone(),
                                    ..column.clone()
                                }
                                .page_path()
                            })
                        })
                        .collect();
                    MatrixRow {
                        cells: column_keys
                            .iter()
                            .map(|c| row.remove(c).map(|(key, status)| matrix_cell(&status, &key)))
                            .collect(),
                        begin,
                        module,
                        folder,
                    }
                })
                .collect(),
        });
    }
    // Outdated and law-changed sections of courses being taught now come first.
    let urgency = |line: &AttentionLine| match line.cell.freshness.code {
        "outdated" | "law_changed" | "orphaned" => 0,
        _ => 1,
    };
    attention.sort_by_key(|line| (!line.running, urgency(line)));
    let attention_more = attention.len().saturating_sub(ATTENTION_LIMIT);
    attention.truncate(ATTENTION_LIMIT);
    let may_edit_law = COUNTRIES
        .iter()
        .filter(|c| super::law_table::may_edit(author, c))
        .map(|c| Choice {
            value: (*c).to_owned(),
            label: views::country_name(locale, c),
        })
        .collect();
    let my_languages = Locale::ALL
        .into_iter()
        .filter(|l| {
            author.user.role == crate::accounts::model::Role::Admin || author.languages.iter().any(|m| m == l.code())
        })
        .map(|l| Choice {
            value: l.code().to_owned(),
            label: l.native_name().to_owned(),
        })
        .collect();
    Ok(OverviewPage {
        chosen,
        courses: courses
            .into_iter()
            .map(|(value, label, _)| Choice { value, label })
            .collect(),
        language_choices: language_choices(),
        countries: country_choices(locale),
        matrices,
        attention,
        attention_more,
        review_count,
        may_edit_law,
        my_languages,
    })
}

async fn overview(
    state: web::Data<AppState>,
    ctx: RequestContext,
    filters: web::Query<Filters>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let locale = ctx.locale;
    let filters = filters.into_inner();
    let page = state
        .db(move |conn| {
            let author = author_of(conn, user)?;
            overview_data(conn, &author, &filters, locale)
        })
        .await?;
    render::view(&state, &ctx, "authoring/overview.html", &page)
}

#[derive(Serialize)]
struct SectionLine {
    #[serde(flatten)]
    cell: CellLine,
    started: bool,
}

#[derive(Serialize)]
struct Link {
    href: String,
    label: String,
    lang: String,
    current: bool,
}

#[derive(Serialize)]
struct TextPage {
    course: String,
    module: String,
    folder: String,
    text: TextName,
    is_base: bool,
    parent: Option<Link>,
    sections: Vec<SectionLine>,
    translations: Vec<Link>,
    adaptations: Vec<Link>,
    may_edit: bool,
}

fn text_data(conn: &mut DbConnection, author: &Author, key: &TextKey, locale: Locale) -> AppResult<TextPage> {
    let texts = ModuleTexts::load(conn, &key.course, &key.module)?;
    if texts.sources.is_empty() {
        return Err(AppError::NotFound);
    }
    let amendments = Amendments::load(conn)?;
    let is_base = texts.is_base(key);
    let exists = texts.source(key).is_some();
    let parent = texts.parent_text(key);
    if !exists && parent.as_ref().and_then(|p| texts.source(p)).is_none() {
        return Err(AppError::NotFound);
    }
    // A text not begun yet lists its parent's sections, each ready to be begun.
    let mut ids = texts.section_ids(key);
    if let Some(parent) = &parent {
        for id in texts.section_ids(parent) {
            if texts.live(&parent.cell(&id)).is_some() && !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
    let sections = ids
        .iter()
        .map(|id| {
            let cell = key.cell(id);
            let started = texts.history(&cell).is_some_and(|h| !h.revisions.is_empty());
            SectionLine {
                cell: views::cell_line(&texts, &cell, texts.freshness(&cell, &amendments), locale),
                started,
            }
        })
        .collect();
    let folder = texts.sources.first().map(|s| s.folder.clone()).unwrap_or_default();
    let link = |k: &TextKey, label: String| Link {
        href: k.page_path(),
        label,
        lang: k.language.clone(),
        current: k == key,
    };
    let translations = Locale::ALL
        .into_iter()
        .map(|l| {
            let k = TextKey {
                language: l.code().to_owned(),
                country: String::new(),
                ..key.clone()
            };
            link(&k, l.native_name().to_owned())
        })
        .collect();
    let language = key.language.clone();
    let adaptations = COUNTRIES
        .iter()
        .map(|c| {
            let k = TextKey {
                language: language.clone(),
                country: (*c).to_owned(),
                ..key.clone()
            };
            Link {
                lang: String::new(),
                ..link(&k, views::country_name(locale, c))
            }
        })
        .collect();
    Ok(TextPage {
        course: key.course.clone(),
        module: key.module.clone(),
        folder,
        text: TextName::of(key, locale),
        is_base,
        parent: parent.map(|p| {
            let name = TextName::of(&p, locale);
            let label = if p.is_adaptation() {
                format!("{} · {}", name.language, name.country_name)
            } else {
                name.language.to_owned()
            };
            link(&p, label)
        }),
        sections,
        translations,
        adaptations,
        may_edit: author.may_edit(key, is_base),
    })
}

/// `language=kk[&country=kz]`: the text a page is about.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TextQuery {
    language: Option<String>,
    country: Option<String>,
}

async fn text_page(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<(String, String)>,
    query: web::Query<TextQuery>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    require_author(&user)?;
    let (course, module) = path.into_inner();
    let query = query.into_inner();
    let asked = CellQuery {
        lang: query.language,
        country: query.country,
    };
    // A section id that is always valid, to check the course, module, language and country.
    let key = cell_of(&(course, module, "x".to_owned()), &asked)?.text;
    let locale = ctx.locale;
    let page = state
        .db(move |conn| {
            let author = author_of(conn, user)?;
            text_data(conn, &author, &key, locale)
        })
        .await?;
    render::view(&state, &ctx, "authoring/text.html", &page)
}

/// Why an item is in the review queue.
const REASONS: [&str; 4] = ["new", "base_changed", "law_changed", "orphaned"];

#[derive(Serialize)]
struct ReviewItem {
    #[serde(flatten)]
    cell: CellLine,
    /// For the bulk approval form: `course/module/section/lang/country`.
    id: String,
    reason: &'static str,
    reason_text: String,
    course_title: String,
    pending: bool,
    pending_by: String,
    pending_comment: String,
    own: bool,
    may_approve: bool,
    may_confirm: bool,
    base_text: Option<TextName>,
    /// The base when the text was made → the base now.
    base_diff: Option<Vec<Piece>>,
    /// The live text → the text in review.
    text_diff: Option<Vec<Piece>>,
    /// The base now → the text (an adaptation, in the same language), or the two side
    /// by side for a translation.
    against_base: Option<Vec<Piece>>,
    base_now: String,
    text_now: String,
    same_language: bool,
    warnings: Vec<String>,
    bulk: bool,
}

#[derive(Serialize)]
struct ReviewPage {
    chosen: Chosen,
    language_choices: Vec<Choice>,
    countries: Vec<Choice>,
    reasons: Vec<Choice>,
    items: Vec<ReviewItem>,
    bulk_count: usize,
    notice: Option<String>,
}

fn reason_of(freshness: Freshness) -> &'static str {
    match freshness {
        Freshness::Current => "new",
        Freshness::Outdated => "base_changed",
        Freshness::LawChanged => "law_changed",
        Freshness::Orphaned => "orphaned",
    }
}

/// One item of the queue, or `None` when the cell waits for nobody this person can help.
#[allow(clippy::too_many_lines)]
#[allow(clippy::too_many_arguments)]
fn review_item(
    conn: &mut DbConnection,
    author: &Author,
    texts: &ModuleTexts,
    cell: &CellKey,
    amendments: &Amendments,
    course_title: &str,
    wanted_reason: &str,
    locale: Locale,
) -> AppResult<Option<ReviewItem>> {
    let Some(history) = texts.history(cell) else {
        return Ok(None);
    };
    let Some(latest) = history.latest() else {
        return Ok(None);
    };
    let live = history.live_text();
    if live.is_none() && latest.state == State::Approved {
        return Ok(None);
    }
    let freshness = texts.freshness(cell, amendments);
    let pending = latest.state == State::InReview;
    if !pending && freshness == Freshness::Current {
        return Ok(None);
    }
    if !pending && latest.state != State::Approved {
        // A draft being reworked: its author has it, not a reviewer.
        return Ok(None);
    }
    let is_base = texts.is_base(&cell.text);
    let may_approve = author.may_approve(&cell.text, is_base);
    if !may_approve {
        return Ok(None);
    }
    let parent_cell = texts.parent_cell(cell);
    let parent_now = parent_cell.as_ref().and_then(|p| texts.live(p));
    let base_now = parent_now.map(|p| p.markdown.clone()).unwrap_or_default();
    let made_from = if pending {
        latest.based_on_markdown.clone()
    } else {
        live.map(|l| l.based_on_markdown.clone()).unwrap_or_default()
    };
    let text_now = if latest.removes {
        String::new()
    } else {
        latest.markdown.clone()
    };
    // "The base then → now" from when the approved text was made: the change an edit
    // in review answers. Without an approved text, from when the edit was made.
    let shown_from = live
        .map(|l| l.based_on_markdown.clone())
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| made_from.clone());
    let base_diff = if parent_now.is_some() && !shown_from.is_empty() {
        views::diff_of(&shown_from, &base_now)
    } else {
        None
    };
    let text_diff = if pending {
        views::diff_of(live.map_or("", |l| l.markdown.as_str()), &text_now)
    } else {
        None
    };
    let same_language = parent_cell
        .as_ref()
        .is_some_and(|p| p.text.language == cell.text.language);
    let against_base = if same_language && parent_now.is_some() {
        views::diff_of(&base_now, &text_now)
    } else {
        None
    };
    // Whether the base changed at most in spacing since the text was made (`false` for
    // the base itself and when what it was made from is not known).
    let whitespace_only = parent_now
        .is_some_and(|p| !made_from.is_empty() && whitespace_folded(&made_from) == whitespace_folded(&p.markdown));
    let reason = if pending && freshness == Freshness::Current {
        // A new edit may still be based on an older base than today's.
        if base_diff.is_some() && !whitespace_only {
            "base_changed"
        } else {
            "new"
        }
    } else {
        reason_of(freshness)
    };
    if !wanted_reason.is_empty() && wanted_reason != reason {
        return Ok(None);
    }
    let warnings: Vec<String> = if pending && !latest.removes {
        workflow::checks_for(conn, texts, cell, &latest.markdown, locale)?
            .into_iter()
            .map(|c| c.message)
            .collect()
    } else {
        Vec::new()
    };
    let own = latest.author_id == Some(author.user.id);
    // Bulk approval: a new edit by someone else, nothing for the checks, and a base
    // that changed at most in spacing; never a removal, an orphan or a law change.
    let bulk = pending && !own && warnings.is_empty() && whitespace_only && !latest.removes && reason == "new";
    let author_name = match latest.author_id {
        Some(id) => crate::db::schema::users::table
            .find(id)
            .select(crate::db::schema::users::name)
            .first::<String>(conn)
            .optional()?
            .unwrap_or_default(),
        None => i18n::t(locale, "authoring_editor.from_files"),
    };
    Ok(Some(ReviewItem {
        cell: views::cell_line(texts, cell, freshness, locale),
        id: format!(
            "{}/{}/{}/{}/{}",
            cell.text.course, cell.text.module, cell.section, cell.text.language, cell.text.country
        ),
        reason,
        reason_text: i18n::t(locale, &format!("authoring_overview.reason_{reason}")),
        course_title: course_title.to_owned(),
        pending,
        pending_by: if pending { author_name } else { String::new() },
        pending_comment: if pending { latest.comment.clone() } else { String::new() },
        own,
        may_approve,
        may_confirm: !pending && freshness != Freshness::Orphaned && live.is_some(),
        base_text: parent_cell.as_ref().map(|p| TextName::of(&p.text, locale)),
        base_diff,
        text_diff,
        against_base,
        base_now,
        text_now,
        same_language,
        warnings,
        bulk,
    }))
}

fn review_items(
    conn: &mut DbConnection,
    author: &Author,
    chosen: &Chosen,
    locale: Locale,
) -> AppResult<Vec<ReviewItem>> {
    let amendments = Amendments::load(conn)?;
    let mut items = Vec::new();
    for (course, title, _) in courses_in_order(conn, locale)? {
        if !chosen.course.is_empty() && chosen.course != course {
            continue;
        }
        for (_, module) in modules_in_order(conn, &course)? {
            let texts = ModuleTexts::load(conn, &course, &module)?;
            let cells: Vec<CellKey> = texts.cells.keys().filter(|c| chosen.wants(&c.text)).cloned().collect();
            for cell in cells {
                if let Some(item) =
                    review_item(conn, author, &texts, &cell, &amendments, &title, &chosen.reason, locale)?
                {
                    items.push(item);
                }
            }
        }
    }
    Ok(items)
}

fn review_notice(filters: &Filters, locale: Locale) -> Option<String> {
    match filters.done.as_deref()? {
        "bulk_approved" => {
            let count: i64 = filters.count.as_deref().and_then(|c| c.parse().ok()).unwrap_or(0);
            Some(i18n::t_count(locale, "authoring_overview.bulk_approved", count, &[]))
        }
        "approved" => Some(i18n::t(locale, "authoring_editor.done_approved")),
        "changes_requested" => Some(i18n::t(locale, "authoring_editor.done_changes_requested")),
        "confirmed" => Some(i18n::t(locale, "authoring_editor.done_confirmed")),
        _ => None,
    }
}

async fn review_queue(
    state: web::Data<AppState>,
    ctx: RequestContext,
    filters: web::Query<Filters>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let locale = ctx.locale;
    let filters = filters.into_inner();
    let notice = review_notice(&filters, locale);
    let page = state
        .db(move |conn| {
            let author = author_of(conn, user)?;
            let ids = store::courses_with_cells(conn)?;
            let chosen = Chosen::of(&filters, &ids);
            let items = review_items(conn, &author, &chosen, locale)?;
            Ok(ReviewPage {
                bulk_count: items.iter().filter(|i| i.bulk).count(),
                chosen,
                language_choices: language_choices(),
                countries: country_choices(locale),
                reasons: REASONS
                    .iter()
                    .map(|r| Choice {
                        value: (*r).to_owned(),
                        label: i18n::t(locale, &format!("authoring_overview.reason_{r}")),
                    })
                    .collect(),
                items,
                notice,
            })
        })
        .await?;
    render::view(&state, &ctx, "authoring/review.html", &page)
}

/// The cell a bulk approval names (`course/module/section/lang/country`).
fn cell_named(id: &str) -> AppResult<CellKey> {
    let parts: Vec<&str> = id.split('/').collect();
    let [course, module, section, lang, country] = parts.as_slice() else {
        return Err(AppError::BadRequest("errors.bad_request"));
    };
    cell_of(
        &((*course).to_owned(), (*module).to_owned(), (*section).to_owned()),
        &CellQuery {
            lang: Some((*lang).to_owned()),
            country: Some((*country).to_owned()),
        },
    )
}

/// Approves the ticked items that are eligible for bulk approval: in review, no check
/// warns, the base changed at most in whitespace, and made by someone else. Each is
/// checked again here; anything else is left for a one-by-one review.
async fn bulk_approve(
    state: web::Data<AppState>,
    ctx: RequestContext,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    require_author(&user)?;
    let cells: Vec<CellKey> = pairs
        .iter()
        .filter(|(name, _)| name == "item")
        .map(|(_, value)| cell_named(value))
        .collect::<AppResult<_>>()?;
    let locale = ctx.locale;
    let approved = state
        .db(move |conn| {
            let author = author_of(conn, user)?;
            let amendments = Amendments::load(conn)?;
            let mut approved = 0_i64;
            for cell in cells {
                let texts = ModuleTexts::load(conn, &cell.text.course, &cell.text.module)?;
                let item = review_item(conn, &author, &texts, &cell, &amendments, "", "", locale)?;
                if !item.is_some_and(|i| i.bulk) {
                    continue;
                }
                // One item decided meanwhile (approved by someone else, sent back) does
                // not stop the others.
                match workflow::approve(conn, &author, &cell, "") {
                    Ok(()) => approved += 1,
                    Err(AppError::Conflict(_) | AppError::Forbidden) => {}
                    Err(other) => return Err(other),
                }
            }
            Ok(approved)
        })
        .await?;
    Ok(see_other(format!(
        "/authoring/review?done=bulk_approved&count={approved}"
    )))
}
