//! Queries on `section_revisions` and `module_sources`. Pages read a module's or a
//! course's revisions in one query by the `section_revisions_cell` index (its leading
//! columns are course and module); the review queue reads by `section_revisions_queue`.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::{CellHistory, CellKey, NewRevision, Revision, State, TextKey};
use crate::accounts::model::UserId;
use crate::db::schema::{module_sources, section_revisions};
use crate::db::DbConnection;
use crate::error::AppResult;

/// What a module text holds besides its sections, as last read from the files.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = module_sources)]
pub struct SourceRow {
    pub course_id: String,
    pub module_id: String,
    pub language: String,
    pub country: String,
    /// The module's folder (`01-what-is-cybercrime`), for links and for export.
    pub folder: String,
    /// The language this translation was made from (`""` for the base and adaptations).
    pub translated_from: String,
    /// The front matter as written between the `+++` lines (TOML).
    pub front_matter: String,
    /// The text before the first `##` section.
    pub intro: String,
    /// The section ids in order, separated by spaces.
    pub section_order: String,
}

impl SourceRow {
    pub fn key(&self) -> TextKey {
        TextKey {
            course: self.course_id.clone(),
            module: self.module_id.clone(),
            language: self.language.clone(),
            country: self.country.clone(),
        }
    }

    /// Whether this row is a national adaptation of the text in `language`.
    pub fn is_adaptation_of(&self, language: &str) -> bool {
        !self.country.is_empty() && self.language == language
    }

    pub fn sections(&self) -> impl Iterator<Item = &str> {
        self.section_order.split_whitespace()
    }
}

fn cell_of(r: &Revision) -> CellKey {
    CellKey {
        text: TextKey {
            course: r.course_id.clone(),
            module: r.module_id.clone(),
            language: r.language.clone(),
            country: r.country.clone(),
        },
        section: r.section_id.clone(),
    }
}

fn group(rows: Vec<Revision>) -> BTreeMap<CellKey, CellHistory> {
    let mut cells: BTreeMap<CellKey, CellHistory> = BTreeMap::new();
    for row in rows {
        cells.entry(cell_of(&row)).or_default().revisions.push(row);
    }
    cells
}

/// Every cell of a course, each with its revisions oldest first.
pub fn course_cells(conn: &mut DbConnection, course: &str) -> AppResult<BTreeMap<CellKey, CellHistory>> {
    let rows = section_revisions::table
        .filter(section_revisions::course_id.eq(course))
        .order((
            section_revisions::module_id,
            section_revisions::language,
            section_revisions::country,
            section_revisions::section_id,
            section_revisions::revision,
        ))
        .select(Revision::as_select())
        .load(conn)?;
    Ok(group(rows))
}

/// Every cell of a module, each with its revisions oldest first.
pub fn module_cells(conn: &mut DbConnection, course: &str, module: &str) -> AppResult<BTreeMap<CellKey, CellHistory>> {
    let rows = section_revisions::table
        .filter(section_revisions::course_id.eq(course))
        .filter(section_revisions::module_id.eq(module))
        .order((
            section_revisions::language,
            section_revisions::country,
            section_revisions::section_id,
            section_revisions::revision,
        ))
        .select(Revision::as_select())
        .load(conn)?;
    Ok(group(rows))
}

/// Ids of the courses that have cells, for the pages that list every course.
pub fn courses_with_cells(conn: &mut DbConnection) -> AppResult<Vec<String>> {
    Ok(section_revisions::table
        .select(section_revisions::course_id)
        .distinct()
        .order(section_revisions::course_id)
        .load(conn)?)
}

/// The cells whose newest revision waits in a state (the review queue).
pub fn revisions_in_state(conn: &mut DbConnection, state: State) -> AppResult<Vec<Revision>> {
    Ok(section_revisions::table
        .filter(section_revisions::state.eq(state))
        .order((
            section_revisions::course_id,
            section_revisions::module_id,
            section_revisions::language,
            section_revisions::country,
            section_revisions::section_id,
        ))
        .select(Revision::as_select())
        .load(conn)?)
}

/// Writes the next revision of a cell and answers its number. Callers hold the
/// authoring lock inside a write transaction, so numbers never collide.
pub fn insert(conn: &mut DbConnection, cell: &CellKey, new: NewRevision, now: NaiveDateTime) -> AppResult<i32> {
    let last: Option<i32> = section_revisions::table
        .filter(section_revisions::course_id.eq(&cell.text.course))
        .filter(section_revisions::module_id.eq(&cell.text.module))
        .filter(section_revisions::language.eq(&cell.text.language))
        .filter(section_revisions::country.eq(&cell.text.country))
        .filter(section_revisions::section_id.eq(&cell.section))
        .select(diesel::dsl::max(section_revisions::revision))
        .first(conn)?;
    let revision = last.unwrap_or(0) + 1;
    let reviewed_at = (new.state == State::Approved).then_some(now);
    diesel::insert_into(section_revisions::table)
        .values((
            section_revisions::course_id.eq(&cell.text.course),
            section_revisions::module_id.eq(&cell.text.module),
            section_revisions::language.eq(&cell.text.language),
            section_revisions::country.eq(&cell.text.country),
            section_revisions::section_id.eq(&cell.section),
            section_revisions::revision.eq(revision),
            section_revisions::markdown.eq(&new.markdown),
            section_revisions::removes.eq(new.removes),
            section_revisions::state.eq(new.state),
            section_revisions::origin.eq(new.origin),
            section_revisions::based_on.eq(&new.based_on),
            section_revisions::based_on_markdown.eq(&new.based_on_markdown),
            section_revisions::author_id.eq(new.author),
            section_revisions::comment.eq(&new.comment),
            section_revisions::created_at.eq(now),
            section_revisions::reviewed_by.eq(new.reviewed_by),
            section_revisions::reviewed_at.eq(reviewed_at),
            section_revisions::review_comment.eq(""),
        ))
        .execute(conn)?;
    Ok(revision)
}

/// Records a reviewer's decision on a revision.
pub fn review(
    conn: &mut DbConnection,
    id: i64,
    state: State,
    reviewer: UserId,
    comment: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    diesel::update(section_revisions::table.find(id))
        .set((
            section_revisions::state.eq(state),
            section_revisions::reviewed_by.eq(Some(reviewer)),
            section_revisions::reviewed_at.eq(Some(now)),
            section_revisions::review_comment.eq(comment),
        ))
        .execute(conn)?;
    Ok(())
}

/// Moves a revision to another state without a review (submitting a draft).
pub fn set_state(conn: &mut DbConnection, id: i64, state: State) -> AppResult<()> {
    diesel::update(section_revisions::table.find(id))
        .set(section_revisions::state.eq(state))
        .execute(conn)?;
    Ok(())
}

pub fn sources_of_module(conn: &mut DbConnection, course: &str, module: &str) -> AppResult<Vec<SourceRow>> {
    Ok(module_sources::table
        .filter(module_sources::course_id.eq(course))
        .filter(module_sources::module_id.eq(module))
        .order((module_sources::language, module_sources::country))
        .select(SourceRow::as_select())
        .load(conn)?)
}

pub fn sources_of_course(conn: &mut DbConnection, course: &str) -> AppResult<Vec<SourceRow>> {
    Ok(module_sources::table
        .filter(module_sources::course_id.eq(course))
        .order((
            module_sources::module_id,
            module_sources::language,
            module_sources::country,
        ))
        .select(SourceRow::as_select())
        .load(conn)?)
}

pub fn save_source(conn: &mut DbConnection, row: &SourceRow) -> AppResult<()> {
    let key = module_sources::table.find((&row.course_id, &row.module_id, &row.language, &row.country));
    if diesel::update(key).set(row).execute(conn)? == 0 {
        diesel::insert_into(module_sources::table).values(row).execute(conn)?;
    }
    Ok(())
}

/// The languages a trainer translates.
pub fn languages_of(conn: &mut DbConnection, user: UserId) -> AppResult<Vec<String>> {
    crate::accounts::store::languages_of(conn, user)
}
