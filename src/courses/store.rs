//! Queries on the course tables: courses, modules, rendered module versions,
//! attachments, law entries and progress. Every query a page runs is by primary key or
//! by an index (`courses_active`, `course_modules_order`, `module_progress` keys).

use crate::accounts::model::UserId;
use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{course_modules, courses, law_entries, module_files, module_progress, module_versions};
use crate::db::DbConnection;
use crate::error::AppError;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = courses)]
pub struct CourseRow {
    pub id: String,
    pub version: String,
    pub hours: f64,
    pub audience: String,
    pub titles: String,
    pub summaries: String,
    pub prerequisites: String,
    pub settings: String,
    pub source_hash: String,
    pub revision: i32,
    pub active: bool,
    pub imported_at: NaiveDateTime,
}

/// Text stored per language as JSON `{"en": "…", "ru": "…"}`.
pub type PerLanguage = BTreeMap<String, String>;

pub fn parse_json<T: serde::de::DeserializeOwned + Default>(text: &str) -> T {
    serde_json::from_str(text).unwrap_or_default()
}

impl CourseRow {
    pub fn titles(&self) -> PerLanguage {
        parse_json(&self.titles)
    }

    pub fn summaries(&self) -> PerLanguage {
        parse_json(&self.summaries)
    }

    pub fn audience(&self) -> Vec<String> {
        self.audience.split_whitespace().map(str::to_owned).collect()
    }

    pub fn prerequisites(&self) -> Vec<String> {
        parse_json(&self.prerequisites)
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = course_modules)]
pub struct ModuleRow {
    pub course_id: String,
    pub id: String,
    pub position: i32,
    pub minutes: i32,
    pub active: bool,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = module_versions)]
pub struct ModuleVersionRow {
    pub course_id: String,
    pub module_id: String,
    pub language: String,
    pub country: String,
    pub title: String,
    pub outcomes: String,
    pub html: String,
    pub law_concepts: String,
    pub outdated_sections: String,
    pub content_hash: String,
    pub revision: i32,
    pub updated_at: NaiveDateTime,
}

impl ModuleVersionRow {
    pub fn outcomes(&self) -> Vec<String> {
        parse_json(&self.outcomes)
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = law_entries)]
pub struct LawRow {
    pub country: String,
    pub concept: String,
    pub article: String,
    pub codes: String,
    pub titles: String,
    pub notes: String,
    pub source: String,
    pub verified: bool,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = module_progress)]
pub struct ProgressRow {
    pub user_id: UserId,
    pub course_id: String,
    pub module_id: String,
    pub started_at: NaiveDateTime,
    pub completed_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
}

pub fn active_courses(conn: &mut DbConnection) -> Result<Vec<CourseRow>, AppError> {
    Ok(courses::table
        .filter(courses::active.eq(true))
        .order(courses::id.asc())
        .select(CourseRow::as_select())
        .load(conn)?)
}

/// The active courses that name `course_id` as a prerequisite (a handful of courses:
/// they are read whole).
pub fn courses_requiring(conn: &mut DbConnection, course_id: &str) -> Result<Vec<String>, AppError> {
    Ok(active_courses(conn)?
        .into_iter()
        .filter(|c| c.prerequisites().iter().any(|p| p == course_id))
        .map(|c| c.id)
        .collect())
}

pub fn find_course(conn: &mut DbConnection, id: &str) -> Result<Option<CourseRow>, AppError> {
    Ok(courses::table
        .find(id)
        .select(CourseRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_active_course(conn: &mut DbConnection, id: &str) -> Result<Option<CourseRow>, AppError> {
    Ok(find_course(conn, id)?.filter(|c| c.active))
}

/// The course's active modules in order.
pub fn modules_of(conn: &mut DbConnection, course_id: &str) -> Result<Vec<ModuleRow>, AppError> {
    Ok(course_modules::table
        .filter(course_modules::course_id.eq(course_id))
        .filter(course_modules::active.eq(true))
        .order(course_modules::position.asc())
        .select(ModuleRow::as_select())
        .load(conn)?)
}

/// Every course's (module, language) pairs of base texts, for the catalogue's
/// language list.
pub fn base_languages(conn: &mut DbConnection) -> Result<Vec<(String, String, String)>, AppError> {
    Ok(module_versions::table
        .filter(module_versions::country.eq(""))
        .select((
            module_versions::course_id,
            module_versions::module_id,
            module_versions::language,
        ))
        .load(conn)?)
}

pub fn find_version(
    conn: &mut DbConnection,
    course_id: &str,
    module_id: &str,
    language: &str,
    country: &str,
) -> Result<Option<ModuleVersionRow>, AppError> {
    Ok(module_versions::table
        .find((course_id, module_id, language, country))
        .select(ModuleVersionRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_file(
    conn: &mut DbConnection,
    course_id: &str,
    module_id: &str,
    name: &str,
) -> Result<Option<(String, Vec<u8>, String)>, AppError> {
    Ok(module_files::table
        .find((course_id, module_id, name))
        .select((
            module_files::content_type,
            module_files::bytes,
            module_files::content_hash,
        ))
        .first(conn)
        .optional()?)
}

pub fn law_for_concepts(conn: &mut DbConnection, concepts: &[String]) -> Result<Vec<LawRow>, AppError> {
    if concepts.is_empty() {
        return Ok(Vec::new());
    }
    Ok(law_entries::table
        .filter(law_entries::concept.eq_any(concepts))
        .select(LawRow::as_select())
        .load(conn)?)
}

pub fn progress_in_course(
    conn: &mut DbConnection,
    user_id: UserId,
    course_id: &str,
) -> Result<Vec<ProgressRow>, AppError> {
    Ok(module_progress::table
        .filter(module_progress::user_id.eq(user_id))
        .filter(module_progress::course_id.eq(course_id))
        .select(ProgressRow::as_select())
        .load(conn)?)
}

/// The courses in which a user has opened at least one module.
pub fn courses_started_by(conn: &mut DbConnection, user_id: UserId) -> Result<Vec<String>, AppError> {
    let mut ids: Vec<String> = module_progress::table
        .filter(module_progress::user_id.eq(user_id))
        .select(module_progress::course_id)
        .distinct()
        .load(conn)?;
    ids.sort();
    Ok(ids)
}

/// Records that a user opened a module: the first visit is the start; later visits
/// refresh the time of last activity that reports read, at most once an hour so that
/// reading does not write on every page.
pub fn record_start(
    conn: &mut DbConnection,
    user_id: UserId,
    course_id: &str,
    module_id: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let last_activity: Option<NaiveDateTime> = module_progress::table
        .find((user_id, course_id, module_id))
        .select(module_progress::updated_at)
        .first(conn)
        .optional()?;
    record_visit(conn, user_id, course_id, module_id, last_activity, now)
}

/// Whether a visit to a module last active at `last_activity` (`None`: never opened)
/// is to be written down at `now`: the first visit, and then at most once an hour.
pub fn visit_to_record(last_activity: Option<NaiveDateTime>, now: NaiveDateTime) -> bool {
    last_activity.is_none_or(|last| last < now - chrono::Duration::hours(1))
}

/// [`record_start`] for a caller that has read the module's progress already:
/// `last_activity` is its `updated_at`, `None` if it has none.
pub fn record_visit(
    conn: &mut DbConnection,
    user_id: UserId,
    course_id: &str,
    module_id: &str,
    last_activity: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    // Read within the hour: nothing to write. An UPDATE that changes no row still
    // takes SQLite's write lock, which would put every page view in line behind
    // every other write.
    if !visit_to_record(last_activity, now) {
        return Ok(());
    }
    let stale = now - chrono::Duration::hours(1);
    if last_activity.is_some() {
        let refreshed = diesel::update(module_progress::table.find((user_id, course_id, module_id)))
            .filter(module_progress::updated_at.lt(stale))
            .set(module_progress::updated_at.eq(now))
            .execute(conn)?;
        if refreshed > 0 {
            crate::enrolment::record_activity(conn, user_id, course_id, now)?;
        }
    } else {
        let inserted = diesel::insert_into(module_progress::table)
            .values((
                module_progress::user_id.eq(user_id),
                module_progress::course_id.eq(course_id),
                module_progress::module_id.eq(module_id),
                module_progress::started_at.eq(now),
                module_progress::updated_at.eq(now),
            ))
            .execute(conn);
        match inserted {
            Ok(_) => crate::enrolment::record_activity(conn, user_id, course_id, now)?,
            // Another request of the same user recorded it first: nothing to do.
            Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)) => {}
            Err(other) => return Err(other.into()),
        }
    }
    Ok(())
}

/// Marks a module complete; completing it again keeps the first completion time.
/// Returns the completion time.
pub fn mark_complete(
    conn: &mut DbConnection,
    user_id: UserId,
    course_id: &str,
    module_id: &str,
    now: NaiveDateTime,
) -> Result<NaiveDateTime, AppError> {
    record_start(conn, user_id, course_id, module_id, now)?;
    let key = module_progress::table
        .filter(module_progress::user_id.eq(user_id))
        .filter(module_progress::course_id.eq(course_id))
        .filter(module_progress::module_id.eq(module_id));
    let newly_completed = diesel::update(key.filter(module_progress::completed_at.is_null()))
        .set((
            module_progress::completed_at.eq(now),
            module_progress::updated_at.eq(now),
        ))
        .execute(conn)?;
    if newly_completed > 0 {
        crate::enrolment::record_activity(conn, user_id, course_id, now)?;
    }
    let completed: Option<NaiveDateTime> = key.select(module_progress::completed_at).first(conn)?;
    Ok(completed.unwrap_or(now))
}
