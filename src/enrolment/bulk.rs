//! Enrolling a group from a CSV file (columns: email, full name, category, position,
//! language, and optionally gender, which the programme's share-of-women figure needs
//! and which coordinators often hold for officers who never edit their profile). A preview shows each row as a new account, an existing account or an
//! error; applying writes all rows or, if any row is an error, none. Files in UTF-8
//! (with or without a byte-order mark) and in Windows-1251 are read; `,` and `;`
//! separators are both accepted, since spreadsheet programs in the region save with `;`.

use chrono::Utc;
use serde::Serialize;

use super::model::RunRow;
use crate::accounts::model::{Category, Gender, Role, User, UserId};
use crate::accounts::service::AdminCreatedUser;
use crate::accounts::{password, service, store, tokens};
use crate::db::{self, DbConnection};
use crate::error::AppError;
use crate::i18n::{self, Locale};
use crate::mail::{self, Email, MailSettings};
use crate::validation::{self, FieldErrors};

/// The largest file accepted: thousands of rows.
pub const MAX_BYTES: usize = 2 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RowStatus {
    New,
    Existing,
    Error,
}

/// One row as the preview and the API show it (a contract).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RowOutcome {
    pub line: usize,
    pub email: String,
    pub status: RowStatus,
    pub message: String,
}

#[derive(Debug, Clone)]
struct Row {
    line: usize,
    email: String,
    name: String,
    category: Option<Category>,
    position: String,
    language: Option<Locale>,
    gender: Option<Gender>,
    problem: Option<String>,
}

/// The file's text: UTF-8 (a byte-order mark is dropped), otherwise Windows-1251.
pub fn decode(bytes: &[u8]) -> String {
    let without_bom = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    match std::str::from_utf8(without_bom) {
        Ok(text) => text.to_owned(),
        Err(_) => encoding_rs::WINDOWS_1251
            .decode_without_bom_handling(without_bom)
            .0
            .into_owned(),
    }
}

fn delimiter(text: &str) -> u8 {
    let first = text.lines().next().unwrap_or_default();
    if first.matches(';').count() > first.matches(',').count() {
        b';'
    } else {
        b','
    }
}

fn language_from(text: &str) -> Option<Locale> {
    let wanted = text.trim();
    Locale::from_code(wanted).or_else(|| {
        Locale::ALL
            .into_iter()
            .find(|l| l.native_name().eq_ignore_ascii_case(wanted))
    })
}

fn is_header(record: &csv::StringRecord) -> bool {
    record
        .get(0)
        .map(|cell| {
            let cell = cell.trim().trim_start_matches('\u{feff}').to_lowercase();
            cell == "email" || cell == "e-mail" || cell.contains("почт")
        })
        .unwrap_or(false)
}

/// The file's rows, each checked on its own. A file that cannot be read at all is a
/// localised `400` (`413` when too large), not a row.
fn parse(bytes: &[u8], locale: Locale) -> Result<Vec<Row>, AppError> {
    if bytes.len() > MAX_BYTES {
        return Err(AppError::PayloadTooLarge);
    }
    let text = decode(bytes);
    if text.trim().is_empty() {
        return Err(AppError::BadRequest("bulk.empty"));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter(&text))
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let record = record.map_err(|_| AppError::BadRequest("bulk.unreadable"))?;
        let line = record
            .position()
            .map(|p| usize::try_from(p.line()).unwrap_or(index + 1))
            .unwrap_or(index + 1);
        if index == 0 && is_header(&record) {
            continue;
        }
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        let cell = |n: usize| record.get(n).unwrap_or_default().trim().to_owned();
        let mut errors = FieldErrors::new();
        let email = validation::email(&mut errors, "email", &cell(0));
        let name = cell(1);
        let category_text = cell(2);
        let category = if category_text.is_empty() {
            Some(Category::Other)
        } else {
            Category::from_code_or_name(&category_text)
        };
        let language_text = cell(4);
        let language = if language_text.is_empty() {
            None
        } else {
            language_from(&language_text)
        };
        let gender_text = cell(5);
        let gender = Gender::from_code_or_name(&gender_text);
        let problem = if let Some(error) = errors.iter().next() {
            Some(i18n::t(locale, error.key))
        } else if record.len() < 2 {
            Some(i18n::t(locale, "bulk.columns"))
        } else if category.is_none() {
            Some(i18n::t_with(
                locale,
                "bulk.category_unknown",
                &[("value", &category_text)],
            ))
        } else if !language_text.is_empty() && language.is_none() {
            Some(i18n::t_with(
                locale,
                "bulk.language_unknown",
                &[("value", &language_text)],
            ))
        } else if !gender_text.is_empty() && gender.is_none() {
            Some(i18n::t_with(locale, "bulk.gender_unknown", &[("value", &gender_text)]))
        } else if name.chars().count() > service::NAME_MAX_CHARS || cell(3).chars().count() > 200 {
            Some(i18n::t_with(
                locale,
                "validation.too_long",
                &[("max", &service::NAME_MAX_CHARS.to_string())],
            ))
        } else {
            None
        };
        rows.push(Row {
            line,
            email,
            name,
            category,
            position: cell(3),
            language,
            gender,
            problem,
        });
    }
    if rows.is_empty() {
        return Err(AppError::BadRequest("bulk.empty"));
    }
    Ok(rows)
}

/// Checks every row against the database: new account, existing account or error.
fn assess(conn: &mut DbConnection, rows: &[Row], locale: Locale) -> Result<Vec<RowOutcome>, AppError> {
    let mut seen: Vec<&str> = Vec::new();
    let mut outcomes = Vec::with_capacity(rows.len());
    for row in rows {
        let outcome = |status: RowStatus, message: String| RowOutcome {
            line: row.line,
            email: row.email.clone(),
            status,
            message,
        };
        if let Some(problem) = &row.problem {
            outcomes.push(outcome(RowStatus::Error, problem.clone()));
            continue;
        }
        if seen.contains(&row.email.as_str()) {
            outcomes.push(outcome(RowStatus::Error, i18n::t(locale, "bulk.duplicate")));
            continue;
        }
        seen.push(&row.email);
        match store::find_row_by_email(conn, &row.email)? {
            Some(_) => outcomes.push(outcome(RowStatus::Existing, i18n::t(locale, "bulk.existing"))),
            None if row.name.is_empty() => {
                outcomes.push(outcome(RowStatus::Error, i18n::t(locale, "accounts.name_missing")))
            }
            None => outcomes.push(outcome(RowStatus::New, i18n::t(locale, "bulk.new"))),
        }
    }
    Ok(outcomes)
}

/// A checked file: every row's outcome, and whether the rows were written.
#[derive(Debug, Clone)]
pub struct BulkOutcome {
    pub rows: Vec<RowOutcome>,
    pub applied: bool,
}

impl BulkOutcome {
    /// Rows checked and not written, as a preview shows them.
    pub fn preview(rows: Vec<RowOutcome>) -> Self {
        BulkOutcome { rows, applied: false }
    }

    pub fn has_errors(&self) -> bool {
        self.rows.iter().any(|r| r.status == RowStatus::Error)
    }
}

pub fn preview(conn: &mut DbConnection, bytes: &[u8], locale: Locale) -> Result<Vec<RowOutcome>, AppError> {
    let rows = parse(bytes, locale)?;
    assess(conn, &rows, locale)
}

/// Creates the new accounts (each invited by mail to set a password) and enrols every
/// row, all in one transaction; with any error row nothing is written. Uploading the
/// same file again changes nothing.
pub fn apply(
    conn: &mut DbConnection,
    mail_settings: &MailSettings,
    manager: &User,
    run: &RunRow,
    bytes: &[u8],
    locale: Locale,
) -> Result<BulkOutcome, AppError> {
    let rows = parse(bytes, locale)?;
    db::write_transaction(conn, |conn| {
        let checked = BulkOutcome::preview(assess(conn, &rows, locale)?);
        if checked.has_errors() {
            return Ok(checked);
        }
        let outcomes = checked.rows;
        let now = Utc::now().naive_utc();
        for (row, outcome) in rows.iter().zip(&outcomes) {
            let user_id = match outcome.status {
                RowStatus::New => {
                    let user_locale = row.language.unwrap_or(run.language);
                    let id = create_invited(conn, run, row, user_locale)?;
                    let token = tokens::issue(conn, id, tokens::Purpose::Invitation, now)?;
                    mail_settings.queue(
                        conn,
                        &Email {
                            to: row.email.clone(),
                            name: row.name.clone(),
                            locale: user_locale,
                            kind: mail::Kind::Invitation,
                            args: vec![],
                            link: Some(mail_settings.link(&format!("/invitation?token={token}"))),
                            dedupe_key: Some(format!("invitation-{id}")),
                        },
                    )?;
                    id
                }
                _ => store::find_row_by_email(conn, &row.email)?
                    .map(|u| u.id)
                    .ok_or(AppError::NotFound)?,
            };
            super::places::enrol_by_manager(conn, mail_settings, manager, run, user_id)?;
        }
        Ok(BulkOutcome {
            rows: outcomes,
            applied: true,
        })
    })
}

fn create_invited(conn: &mut DbConnection, run: &RunRow, row: &Row, locale: Locale) -> Result<UserId, AppError> {
    // An unusable random password until the invitation is accepted.
    let placeholder = password::generate() + &password::generate();
    let new = AdminCreatedUser {
        email: row.email.clone(),
        name: row.name.clone(),
        role: Role::Learner,
        country: Some(run.country),
        institution_id: Some(run.institution_id),
        locale,
    };
    // Each row was checked before: a value the rules still refuse is a fault here.
    let id = service::create_user(conn, &new, &placeholder).map_err(|e| match e {
        AppError::Invalid(fields) => AppError::internal(format!("an upload row was refused: {fields:?}")),
        other => other,
    })?;
    store::set_invited_details(
        conn,
        id,
        row.category.unwrap_or(Category::Other),
        &row.position,
        row.gender,
    )?;
    Ok(id)
}
