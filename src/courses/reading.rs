//! What learners read: the catalogue, a course's overview and a module, in the
//! reader's language (with fallback) and country (with national adaptations).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::Utc;
use diesel::prelude::*;
use serde::Serialize;

use super::cache::{Cache, Generation, Shared, Weighed};
use super::format::COUNTRIES;
use super::law::{self, Comparison, LawBook};
use super::store::{self, parse_json, CourseRow, ModuleRow};
use crate::accounts::model::User;
use crate::db::schema::{course_modules, module_versions};
use crate::db::DbConnection;
use crate::error::AppError;
use crate::i18n::{self, Locale};

/// "12 hours", "1,5 часа": whole numbers take their plural form; fractions use the
/// `other` form, as CLDR prescribes for decimals in all seven languages.
pub fn hours_label(locale: Locale, hours: f64) -> String {
    if hours.fract() == 0.0 && hours.abs() < 1e9 {
        // Whole hours below a billion fit an i64 exactly.
        #[allow(clippy::cast_possible_truncation)]
        let whole = hours as i64;
        i18n::t_count(locale, "courses.hours", whole, &[])
    } else {
        let decimal = if locale == Locale::En { "." } else { "," };
        let text = format!("{hours:.1}").replace('.', decimal);
        i18n::t_with(locale, "courses.hours.other", &[("count", &text)])
    }
}

pub fn minutes_label(locale: Locale, minutes: i32) -> String {
    i18n::t_count(locale, "courses.minutes", i64::from(minutes), &[])
}

fn audience_labels(locale: Locale, course: &CourseRow) -> Vec<String> {
    course
        .audience()
        .iter()
        .map(|a| i18n::t(locale, &format!("audience.{a}")))
        .collect()
}

fn title_of(course: &CourseRow, locale: Locale) -> String {
    i18n::pick_text(&course.titles(), locale).unwrap_or_else(|| course.id.clone())
}

#[derive(Debug, Clone, Serialize)]
pub struct CourseCard {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub hours: String,
    pub audience: Vec<String>,
    pub languages: Vec<&'static str>,
}

/// The languages in which every module of a course has its text.
fn complete_languages(modules: &[&str], texts: &BTreeMap<String, BTreeSet<String>>) -> Vec<&'static str> {
    Locale::ALL
        .into_iter()
        .filter(|l| {
            !modules.is_empty()
                && modules
                    .iter()
                    .all(|m| texts.get(*m).is_some_and(|langs| langs.contains(l.code())))
        })
        .map(Locale::native_name)
        .collect()
}

/// The catalogue's cards, by language and audience filter.
pub type CatalogueCache = Cache<(Locale, Option<&'static str>), Vec<CourseCard>>;

impl Weighed for Vec<CourseCard> {
    fn weight(&self) -> usize {
        self.iter()
            .map(|card| card.title.len() + card.summary.len() + card.audience.len() * 64 + 512)
            .sum()
    }
}

/// The catalogue for a reader, from `cache` while content is unchanged.
pub fn cached_catalogue(
    conn: &mut DbConnection,
    cache: &CatalogueCache,
    locale: Locale,
    audience: Option<&'static str>,
) -> Result<Arc<Vec<CourseCard>>, AppError> {
    let generation = Generation::current(conn)?;
    cache.get_or_compute(generation, &(locale, audience), || catalogue(conn, locale, audience))
}

pub fn catalogue(conn: &mut DbConnection, locale: Locale, audience: Option<&str>) -> Result<Vec<CourseCard>, AppError> {
    let courses = store::active_courses(conn)?;
    let modules: Vec<(String, String)> = course_modules::table
        .filter(course_modules::active.eq(true))
        .select((course_modules::course_id, course_modules::id))
        .load(conn)?;
    let mut texts: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for (course, module, language) in store::base_languages(conn)? {
        texts
            .entry(course)
            .or_default()
            .entry(module)
            .or_default()
            .insert(language);
    }
    let empty = BTreeMap::new();
    Ok(courses
        .iter()
        .filter(|c| audience.is_none_or(|a| c.audience().iter().any(|x| x == a)))
        .map(|course| {
            let module_ids: Vec<&str> = modules
                .iter()
                .filter(|(c, _)| c == &course.id)
                .map(|(_, m)| m.as_str())
                .collect();
            CourseCard {
                id: course.id.clone(),
                title: title_of(course, locale),
                summary: i18n::pick_text(&course.summaries(), locale).unwrap_or_default(),
                hours: hours_label(locale, course.hours),
                audience: audience_labels(locale, course),
                languages: complete_languages(&module_ids, texts.get(&course.id).unwrap_or(&empty)),
            }
        })
        .collect())
}

#[derive(Debug, Clone, Serialize)]
pub struct ModuleCard {
    pub id: String,
    pub number: usize,
    pub title: String,
    pub minutes: String,
    pub outcomes: Vec<String>,
    pub completed_on: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Link {
    pub id: String,
    pub title: String,
}

/// A course to take first, and whether the signed-in learner has completed it
/// (`None` for visitors and staff).
#[derive(Debug, Clone, Serialize)]
pub struct Prerequisite {
    pub id: String,
    pub title: String,
    pub met: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CourseOverview {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub hours: String,
    pub audience: Vec<String>,
    pub prerequisites: Vec<Prerequisite>,
    /// The learner has not completed every prerequisite yet.
    pub prerequisites_unmet: bool,
    pub modules: Vec<ModuleCard>,
    pub completed: usize,
    pub total: usize,
    /// The first module not yet completed, where "continue" leads.
    pub next_module: Option<String>,
    /// For a signed-in person: whether they may read the course now, and where they go
    /// if not (`None` for visitors, who are asked to sign in).
    pub(crate) access: Option<StudyAccess>,
    pub quizzes: Vec<QuizLink>,
}

#[derive(Debug, Clone, Serialize)]
pub struct QuizLink {
    pub id: String,
    pub title: String,
    /// "After the module …" or "Final test".
    pub placement: String,
}

/// Title and outcomes of each module in the best language for the reader.
fn module_headings(
    conn: &mut DbConnection,
    course_id: &str,
    locale: Locale,
) -> Result<BTreeMap<String, (String, Vec<String>)>, AppError> {
    let rows: Vec<(String, String, String, String)> = module_versions::table
        .filter(module_versions::course_id.eq(course_id))
        .filter(module_versions::country.eq(""))
        .select((
            module_versions::module_id,
            module_versions::language,
            module_versions::title,
            module_versions::outcomes,
        ))
        .load(conn)?;
    let mut by_module: BTreeMap<String, BTreeMap<String, (String, Vec<String>)>> = BTreeMap::new();
    for (module, language, title, outcomes) in rows {
        by_module
            .entry(module)
            .or_default()
            .insert(language, (title, parse_json(&outcomes)));
    }
    Ok(by_module
        .into_iter()
        .filter_map(|(module, languages)| {
            let available: Vec<Locale> = languages.keys().filter_map(|l| Locale::from_code(l)).collect();
            let chosen = i18n::best_available(&available, locale)?;
            languages.get(chosen.code()).cloned().map(|v| (module, v))
        })
        .collect())
}

/// A course's title in the best language for the reader; its id if the course is gone.
pub fn course_title(conn: &mut DbConnection, course_id: &str, locale: Locale) -> Result<String, AppError> {
    Ok(store::find_course(conn, course_id)?
        .and_then(|c| i18n::pick_text(&c.titles(), locale))
        .unwrap_or_else(|| course_id.to_owned()))
}

/// Each module's title in the best language for the reader.
pub fn module_titles(
    conn: &mut DbConnection,
    course_id: &str,
    locale: Locale,
) -> Result<BTreeMap<String, String>, AppError> {
    Ok(module_headings(conn, course_id, locale)?
        .into_iter()
        .map(|(id, (title, _))| (id, title))
        .collect())
}

fn completion_dates(
    conn: &mut DbConnection,
    user: Option<&User>,
    course_id: &str,
    locale: Locale,
) -> Result<BTreeMap<String, String>, AppError> {
    let Some(user) = user else { return Ok(BTreeMap::new()) };
    Ok(store::progress_in_course(conn, user.id, course_id)?
        .into_iter()
        .filter_map(|p| {
            p.completed_at
                .map(|at| (p.module_id, i18n::format_date(locale, at.date())))
        })
        .collect())
}

/// Whether a signed-in person may read a course now, and what the course page offers
/// them instead when they may not: a learner without a run is led to the runs they may
/// join, never to a refusal.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub(crate) enum StudyAccess {
    /// They may read: the page offers "start" or "continue".
    Open,
    /// Admitted to a run whose content opens on `date`.
    OpensOn { date: String },
    /// In no run of this course: the runs open to them now (each leads to its page, where
    /// they apply), or, when none is, the institution whose coordinator to ask.
    Enrol {
        runs: Vec<crate::enrolment::web::RunView>,
        institution: Option<String>,
    },
}

fn study_access(
    conn: &mut DbConnection,
    user: &User,
    course_id: &str,
    locale: Locale,
) -> Result<StudyAccess, AppError> {
    let today = Utc::now().date_naive();
    match crate::enrolment::may_study(conn, user, course_id, today) {
        Ok(()) => Ok(StudyAccess::Open),
        Err(AppError::NotOpenYet(date)) => Ok(StudyAccess::OpensOn {
            date: i18n::format_date(locale, date),
        }),
        Err(AppError::Forbidden) => {
            let mut runs = Vec::new();
            for run in crate::enrolment::visible_runs(conn, user, today)? {
                if run.course_id == course_id && crate::enrolment::open_to(&run, user, today) {
                    runs.push(crate::enrolment::web::run_view(conn, &run, locale)?);
                }
            }
            let institution = match user.institution_id {
                Some(id) => crate::institutions::find(conn, id)?.map(|i| i.name),
                None => None,
            };
            Ok(StudyAccess::Enrol { runs, institution })
        }
        Err(other) => Err(other),
    }
}

/// What a course's overview shows that is the same for every reader in one language:
/// computed once and kept in the content cache.
#[derive(Debug, Clone)]
pub struct OverviewContent {
    course: CourseRow,
    title: String,
    summary: String,
    hours: String,
    audience: Vec<String>,
    /// The courses to take first that are offered, by id and title.
    prerequisites: Vec<Link>,
    /// The modules, none of them marked completed.
    modules: Vec<ModuleCard>,
    quizzes: Vec<QuizLink>,
}

impl Weighed for OverviewContent {
    fn weight(&self) -> usize {
        let modules: usize = self
            .modules
            .iter()
            .map(|m| m.title.len() + m.outcomes.iter().map(String::len).sum::<usize>() + 128)
            .sum();
        self.summary.len() + modules + self.quizzes.len() * 256 + 1024
    }
}

/// Course overviews' content, by course and language.
pub type OverviewCache = Cache<(String, Locale), OverviewContent>;

fn overview_content(conn: &mut DbConnection, course_id: &str, locale: Locale) -> Result<OverviewContent, AppError> {
    let course = store::find_active_course(conn, course_id)?.ok_or(AppError::NotFound)?;
    let modules = store::modules_of(conn, course_id)?;
    let headings = module_headings(conn, course_id, locale)?;
    let mut prerequisites = Vec::new();
    for id in course.prerequisites() {
        if let Some(other) = store::find_active_course(conn, &id)? {
            prerequisites.push(Link {
                title: title_of(&other, locale),
                id,
            });
        }
    }
    let modules: Vec<ModuleCard> = modules
        .iter()
        .enumerate()
        .map(|(index, module)| {
            let (title, outcomes) = headings
                .get(&module.id)
                .cloned()
                .unwrap_or_else(|| (module.id.clone(), Vec::new()));
            ModuleCard {
                id: module.id.clone(),
                number: index + 1,
                title,
                minutes: minutes_label(locale, module.minutes),
                outcomes,
                completed_on: None,
            }
        })
        .collect();
    let quizzes = crate::quizzes::store::quizzes_of(conn, course_id)?
        .into_iter()
        .map(|quiz| {
            let placement = match &quiz.settings.after_module {
                Some(module) => {
                    let title = headings
                        .get(module)
                        .map(|h| h.0.clone())
                        .unwrap_or_else(|| module.clone());
                    i18n::t_with(locale, "quizzes.after_module", &[("module", &title)])
                }
                None => i18n::t(locale, "quizzes.final_quiz"),
            };
            QuizLink {
                title: quiz.title(locale),
                id: quiz.id,
                placement,
            }
        })
        .collect();
    Ok(OverviewContent {
        title: title_of(&course, locale),
        summary: i18n::pick_text(&course.summaries(), locale).unwrap_or_default(),
        hours: hours_label(locale, course.hours),
        audience: audience_labels(locale, &course),
        prerequisites,
        modules,
        quizzes,
        course,
    })
}

/// A course's overview for a reader (`None` for visitors): its content from `cache`
/// while content is unchanged, and the reader's progress, prerequisites and access.
pub fn overview(
    conn: &mut DbConnection,
    cache: &OverviewCache,
    course_id: &str,
    user: Option<&User>,
    locale: Locale,
) -> Result<CourseOverview, AppError> {
    let generation = Generation::current(conn)?;
    let content = cache.get_or_compute(generation, &(course_id.to_owned(), locale), || {
        overview_content(conn, course_id, locale)
    })?;
    let completed = completion_dates(conn, user, course_id, locale)?;
    let learner = user.filter(|u| !u.role.is_staff());
    let now = Utc::now().naive_utc();
    let mut prerequisites = Vec::with_capacity(content.prerequisites.len());
    for link in &content.prerequisites {
        let met = match learner {
            Some(learner) => Some(crate::certificates::completion::prerequisite_met(
                conn, learner.id, &link.id, now,
            )?),
            None => None,
        };
        prerequisites.push(Prerequisite {
            id: link.id.clone(),
            title: link.title.clone(),
            met,
        });
    }
    let cards: Vec<ModuleCard> = content
        .modules
        .iter()
        .map(|card| ModuleCard {
            completed_on: completed.get(&card.id).cloned(),
            ..card.clone()
        })
        .collect();
    let access = match user {
        Some(user) => Some(study_access(conn, user, course_id, locale)?),
        None => None,
    };
    Ok(CourseOverview {
        access,
        quizzes: content.quizzes.clone(),
        title: content.title.clone(),
        summary: content.summary.clone(),
        hours: content.hours.clone(),
        audience: content.audience.clone(),
        prerequisites_unmet: prerequisites.iter().any(|p| p.met == Some(false)),
        prerequisites,
        completed: cards.iter().filter(|c| c.completed_on.is_some()).count(),
        total: cards.len(),
        next_module: cards.iter().find(|c| c.completed_on.is_none()).map(|c| c.id.clone()),
        modules: cards,
        id: content.course.id.clone(),
    })
}

/// The country version a reader asked for with `?country=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CountryChoice {
    /// No preference: the reader's own country.
    Default,
    /// `?country=none`: the base text.
    Original,
    /// `?country=kz`: a country's version (trainers and above, or the reader's own).
    Country(&'static str),
}

impl CountryChoice {
    pub fn parse(value: Option<&str>) -> CountryChoice {
        match value.map(str::trim) {
            Some("none") | Some("original") => CountryChoice::Original,
            Some(code) => COUNTRIES
                .into_iter()
                .find(|c| *c == code)
                .map_or(CountryChoice::Default, CountryChoice::Country),
            None => CountryChoice::Default,
        }
    }
}

/// The reader's own country in the lower case of folder names, if it has national law.
pub fn country_of(user: &User) -> Option<&'static str> {
    let code = user.country?.code().to_ascii_lowercase();
    COUNTRIES.into_iter().find(|c| *c == code)
}

#[derive(Debug, Clone, Serialize)]
pub struct CountryLink {
    pub code: String,
    pub name: String,
    pub current: bool,
}

/// What a module page shows that is the same for every reader of one kind (see
/// [`ModuleKey`]): computed once and kept in the content cache.
#[derive(Debug, Clone, Serialize)]
pub struct ModuleContent {
    pub course_id: String,
    pub course_title: String,
    pub module_id: String,
    pub number: usize,
    pub total: usize,
    pub title: String,
    pub minutes: String,
    pub outcomes: Vec<String>,
    pub html: String,
    /// The language of the text shown (for its `lang` attribute).
    pub content_language: &'static str,
    pub fallback_notice: Option<String>,
    /// The country whose adaptation is shown, by name.
    pub adapted_for: Option<String>,
    /// The reader's country has an adaptation that is not shown now.
    pub adaptation_available: Option<CountryLink>,
    /// Country versions trainers can preview, with the original first.
    pub previews: Vec<CountryLink>,
    pub outdated_sections: Vec<String>,
    pub previous: Option<Link>,
    pub next: Option<Link>,
    /// Comparison tables of the five countries, for readers without a country.
    pub law_tables: Vec<Comparison>,
    /// The module's sections, for its "on this page" list (long modules only).
    pub sections: Vec<Link>,
    /// Every module of the course, in order, by title.
    #[serde(skip)]
    pub modules: Vec<Link>,
    /// The test that follows this module, if one does.
    pub quiz_after: Option<Link>,
    /// On the last module: the course's final test, if it has one.
    pub final_quiz: Option<Link>,
}

impl Weighed for ModuleContent {
    fn weight(&self) -> usize {
        // The HTML is most of it; the rest is headings and links, a few KB at most.
        self.html.len() + self.law_tables.len() * 2048 + self.modules.len() * 256 + 4096
    }
}

/// Which readers see the same module content: the text's language and country, and
/// the law shown, follow from these.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ModuleKey {
    course_id: String,
    module_id: String,
    locale: Locale,
    reader_country: Option<&'static str>,
    choice: CountryChoice,
    is_staff: bool,
}

/// A module page: the content its kind of reader sees, and this reader's progress.
#[derive(Debug, Clone, Serialize)]
pub struct ModulePage {
    #[serde(flatten)]
    pub content: Shared<ModuleContent>,
    pub completed_on: Option<String>,
    /// Every module of the course, with ticks for the ones completed.
    pub course_index: Vec<IndexEntry>,
}

/// A module in the course index of a module page.
#[derive(Debug, Clone, Serialize)]
pub struct IndexEntry {
    pub id: String,
    pub title: String,
    pub done: bool,
    pub current: bool,
}

/// A module gets an "on this page" list from this many sections on.
const OUTLINE_FROM_SECTIONS: usize = 4;

struct Resolved {
    language: Locale,
    country: String,
}

/// Which text to show: the best language, then the chosen or the reader's country
/// if an adaptation exists in that language.
fn resolve(
    keys: &[(String, String)],
    wanted: Locale,
    reader_country: Option<&str>,
    choice: CountryChoice,
    is_staff: bool,
) -> Option<Resolved> {
    let languages: Vec<Locale> = keys
        .iter()
        .filter(|(_, country)| country.is_empty())
        .filter_map(|(language, _)| Locale::from_code(language))
        .collect();
    let language = i18n::best_available(&languages, wanted)?;
    let country = match choice {
        CountryChoice::Original => None,
        CountryChoice::Country(code) if is_staff || Some(code) == reader_country => Some(code),
        _ => reader_country,
    };
    let adapted = country.filter(|c| keys.iter().any(|(l, k)| l == language.code() && k == c));
    Some(Resolved {
        language,
        country: adapted.unwrap_or_default().to_owned(),
    })
}

fn neighbour(
    modules: &[ModuleRow],
    index: Option<usize>,
    headings: &BTreeMap<String, (String, Vec<String>)>,
) -> Option<Link> {
    let module = modules.get(index?)?;
    Some(Link {
        id: module.id.clone(),
        title: headings
            .get(&module.id)
            .map(|h| h.0.clone())
            .unwrap_or_else(|| module.id.clone()),
    })
}

fn country_name(locale: Locale, code: &str) -> String {
    i18n::t(locale, &format!("countries.{}", code.to_ascii_uppercase()))
}

/// A module page for a reader. The content comes from `cache` when a reader of the
/// same kind has read the module since content last changed; the reader's access,
/// progress and the time of their visit are read and written each time.
pub fn module_page(
    conn: &mut DbConnection,
    cache: &ModuleCache,
    course_id: &str,
    module_id: &str,
    user: &User,
    locale: Locale,
    choice: CountryChoice,
) -> Result<(ModulePage, Option<Visit>), AppError> {
    let generation = Generation::current(conn)?;
    let now = Utc::now().naive_utc();
    // A learner in a course run reads the adaptation of the run's country.
    let run_country = match crate::enrolment::study_country(conn, user, course_id, now.date()) {
        // A course that is not (or no longer) offered is not found, whoever asks.
        Err(_) if store::find_active_course(conn, course_id)?.is_none() => return Err(AppError::NotFound),
        other => other?,
    };
    let key = ModuleKey {
        course_id: course_id.to_owned(),
        module_id: module_id.to_owned(),
        locale,
        reader_country: run_country.or_else(|| country_of(user)),
        choice,
        is_staff: user.role.is_staff(),
    };
    let content = cache.get_or_compute(generation, &key, || module_content(conn, &key))?;
    let progress = store::progress_in_course(conn, user.id, course_id)?;
    let seen = progress.iter().find(|p| p.module_id == module_id);
    let last_activity = seen.map(|p| p.updated_at);
    let visit = store::visit_to_record(last_activity, now).then(|| Visit {
        user_id: user.id,
        course_id: course_id.to_owned(),
        module_id: module_id.to_owned(),
        last_activity,
        at: now,
    });
    let completed_on = seen
        .and_then(|p| p.completed_at)
        .map(|at| i18n::format_date(locale, at.date()));
    let course_index = content
        .modules
        .iter()
        .map(|m| IndexEntry {
            id: m.id.clone(),
            title: m.title.clone(),
            done: progress.iter().any(|p| p.module_id == m.id && p.completed_at.is_some()),
            current: m.id == module_id,
        })
        .collect();
    let page = ModulePage {
        content: Shared(content),
        completed_on,
        course_index,
    };
    Ok((page, visit))
}

/// A reader's visit to a module that is to be written down: the first, or the first
/// in an hour (see `store::record_visit`). Reading a page only reads; the rare write
/// is a step of its own, so the page's reads never wait for the write lock.
#[derive(Debug, Clone)]
pub struct Visit {
    user_id: crate::accounts::model::UserId,
    course_id: String,
    module_id: String,
    last_activity: Option<chrono::NaiveDateTime>,
    at: chrono::NaiveDateTime,
}

pub fn record_visit(conn: &mut DbConnection, visit: &Visit) -> Result<(), AppError> {
    store::record_visit(
        conn,
        visit.user_id,
        &visit.course_id,
        &visit.module_id,
        visit.last_activity,
        visit.at,
    )
}

/// Module pages' content, by kind of reader.
pub type ModuleCache = Cache<ModuleKey, ModuleContent>;

/// Works out what a kind of reader sees of a module: the version in the best language
/// and country, its law references filled in, its headings, links and tests.
fn module_content(conn: &mut DbConnection, key: &ModuleKey) -> Result<ModuleContent, AppError> {
    let ModuleKey {
        course_id,
        module_id,
        locale,
        reader_country,
        choice,
        is_staff,
    } = key;
    let (locale, reader_country, choice, is_staff) = (*locale, *reader_country, *choice, *is_staff);
    let course = store::find_active_course(conn, course_id)?.ok_or(AppError::NotFound)?;
    let modules = store::modules_of(conn, course_id)?;
    let index = modules
        .iter()
        .position(|m| m.id == *module_id)
        .ok_or(AppError::NotFound)?;
    let keys: Vec<(String, String)> = module_versions::table
        .filter(module_versions::course_id.eq(course_id))
        .filter(module_versions::module_id.eq(module_id))
        .select((module_versions::language, module_versions::country))
        .load(conn)?;
    let resolved = resolve(&keys, locale, reader_country, choice, is_staff).ok_or(AppError::NotFound)?;
    let version = store::find_version(conn, course_id, module_id, resolved.language.code(), &resolved.country)?
        .ok_or(AppError::NotFound)?;

    let concepts = law::concepts_in(&version.html);
    let book = LawBook::new(store::law_for_concepts(conn, &concepts)?);
    // The law shown follows the version shown: an adaptation's country, else the
    // reader's (or previewed) country, else a comparison of all five.
    let law_country = match (resolved.country.as_str(), choice) {
        ("", CountryChoice::Country(code)) if is_staff => Some(code),
        ("", _) => reader_country,
        (country, _) => COUNTRIES.into_iter().find(|c| *c == country),
    };
    let html = book.fill(&version.html, law_country, locale);
    let law_tables = if law_country.is_none() {
        book.comparisons(&concepts, locale)
    } else {
        Vec::new()
    };

    let headings = module_headings(conn, course_id, locale)?;
    let outline = super::markdown::outline(&html);
    let sections = if outline.len() >= OUTLINE_FROM_SECTIONS {
        outline.into_iter().map(|(id, title)| Link { id, title }).collect()
    } else {
        Vec::new()
    };
    let quizzes = crate::quizzes::store::quizzes_of(conn, course_id)?;
    let pre_tests: Vec<&str> = quizzes.iter().filter_map(|q| q.settings.pre_test.as_deref()).collect();
    let quiz_link = |q: &crate::quizzes::store::Quiz| Link {
        id: q.id.clone(),
        title: q.title(locale),
    };
    let quiz_after = quizzes
        .iter()
        .find(|q| q.settings.after_module.as_deref() == Some(module_id.as_str()) && !pre_tests.contains(&q.id.as_str()))
        .map(quiz_link);
    let is_last = index + 1 == modules.len();
    let final_quiz = if is_last {
        quizzes
            .iter()
            .find(|q| q.settings.after_module.is_none() && !pre_tests.contains(&q.id.as_str()))
            .map(quiz_link)
    } else {
        None
    };
    let fallback_notice = (resolved.language != locale).then(|| {
        i18n::t_with(
            locale,
            "courses.fallback_notice",
            &[
                ("wanted", locale.native_name()),
                ("shown", resolved.language.native_name()),
            ],
        )
    });
    let adaptation_available = match reader_country {
        Some(own)
            if resolved.country.is_empty() && keys.iter().any(|(l, c)| l == resolved.language.code() && c == own) =>
        {
            Some(CountryLink {
                code: own.to_owned(),
                name: country_name(locale, own),
                current: false,
            })
        }
        _ => None,
    };
    let previews = if is_staff {
        let mut links = vec![CountryLink {
            code: "none".into(),
            name: i18n::t(locale, "courses.preview_original"),
            current: resolved.country.is_empty(),
        }];
        links.extend(
            COUNTRIES
                .iter()
                .filter(|c| keys.iter().any(|(l, k)| l == resolved.language.code() && k == *c))
                .map(|c| CountryLink {
                    code: (*c).to_owned(),
                    name: country_name(locale, c),
                    current: resolved.country == *c,
                }),
        );
        links
    } else {
        Vec::new()
    };
    Ok(ModuleContent {
        course_title: title_of(&course, locale),
        course_id: course.id.clone(),
        module_id: module_id.clone(),
        number: index + 1,
        total: modules.len(),
        title: version.title.clone(),
        minutes: modules
            .get(index)
            .map(|m| minutes_label(locale, m.minutes))
            .unwrap_or_default(),
        outcomes: version.outcomes(),
        html,
        content_language: resolved.language.code(),
        fallback_notice,
        adapted_for: (!resolved.country.is_empty()).then(|| country_name(locale, &resolved.country)),
        adaptation_available,
        previews,
        outdated_sections: if is_staff {
            version
                .outdated_sections
                .split_whitespace()
                .map(str::to_owned)
                .collect()
        } else {
            Vec::new()
        },
        previous: neighbour(&modules, index.checked_sub(1), &headings),
        next: neighbour(&modules, Some(index + 1), &headings),
        law_tables,
        sections,
        modules: modules
            .iter()
            .map(|m| Link {
                id: m.id.clone(),
                title: headings.get(&m.id).map(|h| h.0.clone()).unwrap_or_else(|| m.id.clone()),
            })
            .collect(),
        quiz_after,
        final_quiz,
    })
}

/// An image or attachment of a module, for someone who may read the module: the same
/// check as the module page (`Forbidden` otherwise), so a file is never a way round it.
/// Returns its content type, bytes and content hash.
pub fn module_file(
    conn: &mut DbConnection,
    user: &User,
    course_id: &str,
    module_id: &str,
    name: &str,
) -> Result<(String, Vec<u8>, String), AppError> {
    store::find_active_course(conn, course_id)?.ok_or(AppError::NotFound)?;
    crate::enrolment::may_study(conn, user, course_id, Utc::now().date_naive())?;
    store::find_file(conn, course_id, module_id, name)?.ok_or(AppError::NotFound)
}

/// Marks a module complete for a user; unknown courses and modules are `NotFound`.
pub fn complete(conn: &mut DbConnection, user: &User, course_id: &str, module_id: &str) -> Result<(), AppError> {
    store::find_active_course(conn, course_id)?.ok_or(AppError::NotFound)?;
    crate::enrolment::may_study(conn, user, course_id, Utc::now().date_naive())?;
    let modules = store::modules_of(conn, course_id)?;
    if !modules.iter().any(|m| m.id == module_id) {
        return Err(AppError::NotFound);
    }
    let now = Utc::now().naive_utc();
    store::mark_complete(conn, user.id, course_id, module_id, now)?;
    crate::certificates::refresh(conn, user.id, course_id, now)
}

#[derive(Debug, Clone, Serialize)]
pub struct ModuleProgress {
    pub id: String,
    pub completed_at: Option<String>,
}

/// `GET /api/v1/courses/<id>/progress`: every module in order with its completion
/// time (RFC 3339, UTC) or null.
pub fn progress(conn: &mut DbConnection, user: &User, course_id: &str) -> Result<Vec<ModuleProgress>, AppError> {
    store::find_active_course(conn, course_id)?.ok_or(AppError::NotFound)?;
    let modules = store::modules_of(conn, course_id)?;
    let done: BTreeMap<String, chrono::NaiveDateTime> = store::progress_in_course(conn, user.id, course_id)?
        .into_iter()
        .filter_map(|p| p.completed_at.map(|at| (p.module_id, at)))
        .collect();
    Ok(modules
        .into_iter()
        .map(|m| ModuleProgress {
            completed_at: done
                .get(&m.id)
                .map(|at| at.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            id: m.id,
        })
        .collect())
}
