//! The courses folder brought into the revisions, at start and by `bilim courses
//! import`, without ever undoing approved work done in the browser:
//! - a section read as it was last read changes nothing (a restart with the original
//!   files keeps what was approved in the browser since);
//! - a changed section whose live text came from the files is replaced, as before;
//! - a changed section whose live text (or pending work) came from the browser arrives
//!   as a proposal in review, never as a silent replacement.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;

use super::lineage::ModuleTexts;
use super::model::{CellKey, NewRevision, Origin, State, TextKey};
use super::store::{self, SourceRow};
use super::workflow;
use crate::courses::load::{LoadedCourse, LoadedModule};
use crate::courses::sections::{self, Section};
use crate::db::DbConnection;
use crate::error::AppResult;

/// One text of a module as the files hold it.
struct FileText<'a> {
    key: TextKey,
    sections: &'a [Section],
    based_on: &'a BTreeMap<String, String>,
}

pub fn sync_module(
    conn: &mut DbConnection,
    course: &LoadedCourse,
    module: &LoadedModule,
    now: NaiveDateTime,
) -> AppResult<()> {
    let key = |language: &str, country: &str| TextKey {
        course: course.id.clone(),
        module: module.id.clone(),
        language: language.to_owned(),
        country: country.to_owned(),
    };
    let order = |split: &sections::SplitDocument| {
        split
            .sections
            .iter()
            .map(|s| s.id.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let empty = BTreeMap::new();
    let mut files: Vec<(usize, FileText<'_>)> = Vec::new();
    for (language, text) in &module.texts {
        let parent = module.parent_language(*language);
        store::save_source(
            conn,
            &SourceRow {
                course_id: course.id.clone(),
                module_id: module.id.clone(),
                language: language.code().to_owned(),
                country: String::new(),
                folder: module.folder.clone(),
                translated_from: parent.map(|p| p.code().to_owned()).unwrap_or_default(),
                front_matter: text.front_text.clone(),
                intro: text.split.intro.clone(),
                section_order: order(&text.split),
            },
        )?;
        // Parents before their children: the base, then Russian, then the rest.
        let depth = match parent {
            None => 0,
            Some(p) if module.parent_language(p).is_none() => 1,
            Some(_) => 2,
        };
        files.push((
            depth,
            FileText {
                key: key(language.code(), ""),
                sections: &text.split.sections,
                based_on: if parent.is_some() { &text.front.based_on } else { &empty },
            },
        ));
    }
    for adaptation in &module.overrides {
        store::save_source(
            conn,
            &SourceRow {
                course_id: course.id.clone(),
                module_id: module.id.clone(),
                language: adaptation.language.code().to_owned(),
                country: adaptation.country.clone(),
                folder: module.folder.clone(),
                translated_from: String::new(),
                front_matter: adaptation.front_text.clone(),
                intro: String::new(),
                section_order: order(&adaptation.split),
            },
        )?;
        files.push((
            3,
            FileText {
                key: key(adaptation.language.code(), &adaptation.country),
                sections: &adaptation.split.sections,
                based_on: &adaptation.front.based_on,
            },
        ));
    }
    files.sort_by_key(|(depth, _)| *depth);
    for (_, file) in &files {
        let texts = ModuleTexts::load(conn, &course.id, &module.id)?;
        sync_text(conn, &texts, file, now)?;
    }
    Ok(())
}

fn sync_text(conn: &mut DbConnection, texts: &ModuleTexts, file: &FileText<'_>, now: NaiveDateTime) -> AppResult<()> {
    for section in file.sections {
        let cell = file.key.cell(&section.id);
        let parent = texts.parent_cell(&cell);
        let parent_live = parent.as_ref().and_then(|p| texts.live(p));
        // A translation or adaptation without a recorded fingerprint is taken as made
        // from today's parent: shipped texts start as current.
        let based_on = match (&parent, file.based_on.get(&section.id)) {
            (None, _) => String::new(),
            (Some(_), Some(recorded)) => recorded.clone(),
            (Some(_), None) => parent_live
                .map(|p| sections::fingerprint(&p.markdown))
                .unwrap_or_default(),
        };
        let based_on_markdown = parent
            .as_ref()
            .and_then(|p| texts.parent_text_with_fingerprint(p, &based_on))
            .unwrap_or_default();
        let history = texts.history(&cell);
        let unchanged_file = history
            .and_then(|h| h.last_from_files())
            .is_some_and(|r| !r.removes && r.markdown == section.markdown && r.based_on == based_on);
        let already_live = history
            .and_then(|h| h.live_text())
            .is_some_and(|r| r.markdown == section.markdown && r.based_on == based_on);
        if unchanged_file || already_live {
            continue;
        }
        let new = NewRevision {
            markdown: section.markdown.clone(),
            removes: false,
            state: State::Approved,
            origin: Origin::File,
            based_on,
            based_on_markdown,
            author: None,
            comment: String::new(),
            reviewed_by: None,
        };
        write_from_files(conn, texts, &cell, new, now)?;
    }
    // Sections the files had and no longer have.
    for (cell, history) in texts.cells.iter().filter(|(c, _)| c.text == file.key) {
        let in_files = file.sections.iter().any(|s| s.id == cell.section);
        let had_in_files = history.last_from_files().is_some_and(|r| !r.removes);
        if in_files || !had_in_files || history.live_text().is_none() {
            continue;
        }
        let new = NewRevision {
            markdown: String::new(),
            removes: true,
            state: State::Approved,
            origin: Origin::File,
            based_on: String::new(),
            based_on_markdown: String::new(),
            author: None,
            comment: String::new(),
            reviewed_by: None,
        };
        write_from_files(conn, texts, cell, new, now)?;
    }
    Ok(())
}

/// Applies a revision read from the files, or proposes it when work from the browser
/// would be replaced.
fn write_from_files(
    conn: &mut DbConnection,
    texts: &ModuleTexts,
    cell: &CellKey,
    mut new: NewRevision,
    now: NaiveDateTime,
) -> AppResult<()> {
    let history = texts.history(cell);
    let browser_work = history.is_some_and(|h| {
        h.live().is_some_and(|r| r.origin != Origin::File) || h.pending().is_some_and(|r| r.origin != Origin::File)
    });
    if browser_work {
        // The origin (`file`) says where it came from, in each reader's language on the
        // pages; no English words are stored.
        new.state = State::InReview;
        store::insert(conn, cell, new, now)?;
        return Ok(());
    }
    let old = history.and_then(|h| h.live_text()).map(|r| r.markdown.clone());
    let new_text = (!new.removes).then(|| new.markdown.clone());
    store::insert(conn, cell, new, now)?;
    if let (Some(old), Some(new_text)) = (old, new_text) {
        workflow::rebase_children_if_whitespace_only(conn, texts, cell, &old, &new_text, None, now)?;
    }
    Ok(())
}
