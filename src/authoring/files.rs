//! The law tables and glossaries as the course format writes them: read back from the
//! database for `bilim courses export`, and compared with the files on import.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use chrono::NaiveDate;
use diesel::prelude::*;

use crate::courses::format::LawEntry;
use crate::courses::law_and_glossary::GlossaryEntry;
use crate::db::schema::{glossary_terms, law_entries};
use crate::db::DbConnection;
use crate::error::AppResult;

type LawRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    bool,
    String,
    Option<NaiveDate>,
    String,
    Option<i64>,
    Option<chrono::NaiveDateTime>,
);

fn map(text: &str) -> BTreeMap<String, String> {
    serde_json::from_str(text).unwrap_or_default()
}

fn entry_of(row: &LawRow) -> LawEntry {
    LawEntry {
        article: row.2.clone(),
        code: map(&row.3),
        title: map(&row.4),
        note: map(&row.5),
        source: row.6.clone(),
        verified: row.7,
        status: Some(row.8.clone()).filter(|s| s != "in_force"),
        effective: row.9.map(|d| d.format("%Y-%m-%d").to_string()),
        amendment_note: Some(row.10.clone()).filter(|n| !n.is_empty()),
    }
}

fn law_rows(conn: &mut DbConnection) -> AppResult<Vec<LawRow>> {
    Ok(law_entries::table
        .order((law_entries::country, law_entries::concept))
        .select((
            law_entries::country,
            law_entries::concept,
            law_entries::article,
            law_entries::codes,
            law_entries::titles,
            law_entries::notes,
            law_entries::source,
            law_entries::verified,
            law_entries::status,
            law_entries::effective,
            law_entries::amendment_note,
            law_entries::updated_by,
            law_entries::amended_at,
        ))
        .load(conn)?)
}

/// Every entry as the files would hold it: country → concept → entry.
pub fn law_as_files(conn: &mut DbConnection) -> AppResult<BTreeMap<String, BTreeMap<String, LawEntry>>> {
    let mut out: BTreeMap<String, BTreeMap<String, LawEntry>> = BTreeMap::new();
    for row in law_rows(conn)? {
        out.entry(row.0.clone())
            .or_default()
            .insert(row.1.clone(), entry_of(&row));
    }
    Ok(out)
}

/// Writes `_law/<cc>.toml` for each country whose table was changed in the browser
/// (edited or marked amended); the others keep the files' bytes.
pub fn write_law_tables(conn: &mut DbConnection, dir: &Path) -> anyhow::Result<Vec<String>> {
    let rows = law_rows(conn).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut changed: BTreeMap<String, bool> = BTreeMap::new();
    for row in &rows {
        *changed.entry(row.0.clone()).or_default() |= row.11.is_some() || row.12.is_some();
    }
    let mut written = Vec::new();
    for (country, changed) in changed {
        let path = dir.join("_law").join(format!("{country}.toml"));
        if !changed && path.is_file() {
            continue;
        }
        let entries: BTreeMap<String, LawEntry> = rows
            .iter()
            .filter(|r| r.0 == country)
            .map(|r| (r.1.clone(), entry_of(r)))
            .collect();
        let body = toml::to_string(&entries).context("cannot write the law table as TOML")?;
        let text = format!(
            "# Legal references: {country}. Written by `bilim courses export` from the law table\n# edited and approved in the browser.\n\n{body}"
        );
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        written.push(country);
    }
    Ok(written)
}

/// Writes `_glossary/<lang>.toml` for each language with terms edited or deleted in the
/// browser, without the deleted ones: a language whose every term was deleted gets a
/// file with none, so the files' bytes (which still hold them) are not kept.
pub fn write_glossaries(conn: &mut DbConnection, dir: &Path) -> anyhow::Result<Vec<String>> {
    type TermRow = (String, String, String, String, String, String, Option<i64>, bool);
    let rows: Vec<TermRow> = glossary_terms::table
        .order((glossary_terms::language, glossary_terms::term))
        .select((
            glossary_terms::language,
            glossary_terms::term,
            glossary_terms::source_en,
            glossary_terms::source_ru,
            glossary_terms::translation,
            glossary_terms::note,
            glossary_terms::updated_by,
            glossary_terms::deleted,
        ))
        .load(conn)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut written = Vec::new();
    let languages: std::collections::BTreeSet<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    for language in languages {
        let path = dir.join("_glossary").join(format!("{language}.toml"));
        let edited = rows.iter().any(|r| r.0 == language && r.6.is_some());
        if !edited && path.is_file() {
            continue;
        }
        let terms: BTreeMap<String, GlossaryEntry> = rows
            .iter()
            .filter(|r| r.0 == language && !r.7)
            .map(|r| {
                let mut entry = GlossaryEntry {
                    en: r.2.clone(),
                    ru: r.3.clone(),
                    note: r.5.clone(),
                    other: BTreeMap::new(),
                };
                match language {
                    "en" => entry.en = r.4.clone(),
                    "ru" => entry.ru = r.4.clone(),
                    other => {
                        entry.other.insert(other.to_owned(), r.4.clone());
                    }
                }
                (r.1.clone(), entry)
            })
            .collect();
        let body = toml::to_string(&terms).context("cannot write the glossary as TOML")?;
        let text = format!(
            "# Glossary: {language}. Written by `bilim courses export` from the glossary edited in the browser.\n\n{body}"
        );
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        written.push(language.to_owned());
    }
    Ok(written)
}
