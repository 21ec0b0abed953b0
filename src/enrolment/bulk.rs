//! Enrolling a group from a CSV file (columns: email, full name, category, position,
//! language, and optionally gender, which the programme's share-of-women figure needs
//! and which coordinators often hold for officers who never edit their profile).
//!
//! A row's address decides what happens: a new address gets an account in the run's
//! institution, enrolled; an existing account the uploader manages (a learner of the
//! coordinator's institution; for administrators, any learner) is enrolled; any other
//! account (another institution's, one of no institution, or a staff account) is
//! invited and joins only if the person accepts. A preview shows each row's outcome;
//! applying writes all rows or, if any row is an error, none. Both check every row
//! with the same function, so a row the preview passes is never refused when written.
//! Files in UTF-8 (with or without a byte-order mark) and in Windows-1251 are read;
//! `,` and `;` separators are both accepted, since spreadsheet programs in the region
//! save with `;`.

use chrono::{Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use rand::RngCore;
use serde::Serialize;

use super::model::{RunRow, Status};
use super::places;
use super::runs::lock_run;
use crate::accounts::model::{Category, Gender, Role, User, UserId};
use crate::accounts::service::AdminCreatedUser;
use crate::accounts::{password, service, store, tokens};
use crate::db::schema::bulk_checks;
use crate::db::{self, DbConnection};
use crate::error::{AppError, AppResult};
use crate::i18n::{self, label, Locale};
use crate::mail::{self, Email, MailSettings};
use crate::validation::{self, FieldErrors};

/// The largest file accepted: thousands of rows.
pub const MAX_BYTES: usize = 2 * 1024 * 1024;

/// What applying a row does (a contract: the API's `status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowStatus {
    /// No account has the address: one is created in the run's institution, enrolled.
    New,
    /// An account the uploader manages: enrolled (a place, or the waitlist).
    Enrol,
    /// An account the uploader does not manage: invited to accept or decline.
    Invite,
    /// Already holds, waits for or has completed a place in the run: nothing changes.
    AlreadyEnrolled,
    /// Invited before and has not answered yet: nothing changes.
    AlreadyInvited,
    /// Declined an invitation to the run: not asked again.
    Declined,
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

/// A file that is not text at all, such as a spreadsheet saved in its own format
/// rather than as CSV: not UTF-8, and holding NUL bytes, which no Windows-1251 text has.
fn is_binary(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_err() && bytes.contains(&0)
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

/// The longest position accepted, in characters.
const POSITION_MAX_CHARS: usize = 200;

/// A checked name or position's problem, naming its column.
fn in_column(locale: Locale, column_key: &str, errors: &FieldErrors) -> Option<String> {
    errors.localise(locale).into_iter().next().map(|error| {
        i18n::t_with(
            locale,
            "bulk.in_column",
            &[("column", &i18n::t(locale, column_key)), ("problem", &error.message)],
        )
    })
}

/// Checks one row's cells: the one set of rules the preview and applying share,
/// using the checks account creation makes (so a name the preview passes is never
/// refused when the account is created). A name may be left empty for an existing
/// account; [`assess`] requires it for a new one.
fn check_row(record: &csv::StringRecord, line: usize, locale: Locale) -> Row {
    let cell = |n: usize| record.get(n).unwrap_or_default().trim().to_owned();
    let mut email_errors = FieldErrors::new();
    let email = validation::email(&mut email_errors, "email", &cell(0));
    let mut name_errors = FieldErrors::new();
    let name = if cell(1).is_empty() {
        String::new()
    } else {
        service::check_name(&mut name_errors, "name", record.get(1).unwrap_or_default())
    };
    let position = cell(3);
    let mut position_errors = FieldErrors::new();
    validation::one_line(&mut position_errors, "position", &position);
    if position.chars().count() > POSITION_MAX_CHARS {
        position_errors.add_with(
            "position",
            "validation.too_long",
            vec![("max", POSITION_MAX_CHARS.to_string())],
        );
    }
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
    let problem = if let Some(error) = email_errors.localise(locale).into_iter().next() {
        Some(error.message)
    } else if record.len() < 2 {
        Some(i18n::t(locale, "bulk.columns"))
    } else if let Some(problem) = in_column(locale, "accounts.full_name", &name_errors) {
        Some(problem)
    } else if category.is_none() {
        Some(i18n::t_with(
            locale,
            "bulk.category_unknown",
            &[("value", &category_text)],
        ))
    } else if let Some(problem) = in_column(locale, "bulk.position", &position_errors) {
        Some(problem)
    } else if !language_text.is_empty() && language.is_none() {
        Some(i18n::t_with(
            locale,
            "bulk.language_unknown",
            &[("value", &language_text)],
        ))
    } else if !gender_text.is_empty() && gender.is_none() {
        Some(i18n::t_with(locale, "bulk.gender_unknown", &[("value", &gender_text)]))
    } else {
        None
    };
    Row {
        line,
        email,
        name,
        category,
        position,
        language,
        gender,
        problem,
    }
}

/// The file's text: a localised `400` for what is not text, `413` when too large.
fn read(bytes: &[u8]) -> Result<String, AppError> {
    if bytes.len() > MAX_BYTES {
        return Err(AppError::PayloadTooLarge);
    }
    if is_binary(bytes) {
        return Err(AppError::BadRequest("bulk.unreadable"));
    }
    Ok(decode(bytes))
}

/// The file's rows, each checked on its own. A file that cannot be read at all is a
/// localised `400` (`413` when too large), not a row.
fn parse(bytes: &[u8], locale: Locale) -> Result<Vec<Row>, AppError> {
    parse_text(&read(bytes)?, locale)
}

/// The rows of a file's text (see [`parse`]).
fn parse_text(text: &str, locale: Locale) -> Result<Vec<Row>, AppError> {
    if text.trim().is_empty() {
        return Err(AppError::BadRequest("bulk.empty"));
    }
    // A quote left open swallows the rest of the file into one cell, which the
    // reader would accept without a word: an odd number of quotes is such a file.
    if text.matches('"').count() % 2 == 1 {
        return Err(AppError::BadRequest("bulk.unreadable"));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter(text))
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
        rows.push(check_row(&record, line, locale));
    }
    if rows.is_empty() {
        return Err(AppError::BadRequest("bulk.empty"));
    }
    Ok(rows)
}

/// Each row's line and problem (if any), as [`parse`] finds them before any account
/// is looked up: the pure part of reading an upload, public for the fuzz tests.
pub fn check_file(bytes: &[u8], locale: Locale) -> Result<Vec<(usize, Option<String>)>, AppError> {
    parse(bytes, locale).map(|rows| rows.into_iter().map(|row| (row.line, row.problem)).collect())
}

/// What applying a checked row writes.
#[derive(Debug, Clone, Copy)]
enum Action {
    Create,
    Enrol(UserId),
    Invite(UserId),
    Nothing,
}

/// Whether an upload by `uploader` enrols `account` without asking: only learners
/// the uploader manages (a coordinator, those of their institution; an
/// administrator, every learner). Staff accounts are always invited: they take
/// part in a run only if they choose to.
fn enrols_directly(uploader: &User, account: &User) -> bool {
    account.role == Role::Learner
        && match account.institution_id {
            Some(institution) => super::manages(uploader, institution),
            None => uploader.role == Role::Admin,
        }
}

/// What an upload does with an existing account in `run`, and the row's message.
fn decide(
    conn: &mut DbConnection,
    uploader: &User,
    run: &RunRow,
    account: &User,
    locale: Locale,
) -> Result<(RowStatus, String, Action), AppError> {
    let current = places::existing(conn, run.id, account.id)?.map(|e| e.status);
    Ok(match current {
        Some(status) if status.is_active() || status == Status::Completed => (
            RowStatus::AlreadyEnrolled,
            i18n::t_with(
                locale,
                "bulk.already_enrolled",
                &[("status", &label(locale, "enrolment_status", status.code()))],
            ),
            Action::Nothing,
        ),
        Some(Status::Invited) => (
            RowStatus::AlreadyInvited,
            i18n::t(locale, "bulk.already_invited"),
            Action::Nothing,
        ),
        Some(Status::Declined) => (RowStatus::Declined, i18n::t(locale, "bulk.declined"), Action::Nothing),
        _ if enrols_directly(uploader, account) => (
            RowStatus::Enrol,
            i18n::t(locale, "bulk.existing"),
            Action::Enrol(account.id),
        ),
        _ => (
            RowStatus::Invite,
            i18n::t(locale, "bulk.invite"),
            Action::Invite(account.id),
        ),
    })
}

/// Checks every row against the database: what applying it would do, or an error.
fn assess(
    conn: &mut DbConnection,
    uploader: &User,
    run: &RunRow,
    rows: &[Row],
    locale: Locale,
) -> Result<Vec<(RowOutcome, Action)>, AppError> {
    let mut seen: Vec<&str> = Vec::new();
    let mut planned = Vec::with_capacity(rows.len());
    for row in rows {
        let outcome = |status: RowStatus, message: String| RowOutcome {
            line: row.line,
            email: row.email.clone(),
            status,
            message,
        };
        if let Some(problem) = &row.problem {
            planned.push((outcome(RowStatus::Error, problem.clone()), Action::Nothing));
            continue;
        }
        if seen.contains(&row.email.as_str()) {
            planned.push((
                outcome(RowStatus::Error, i18n::t(locale, "bulk.duplicate")),
                Action::Nothing,
            ));
            continue;
        }
        seen.push(&row.email);
        match store::find_row_by_email(conn, &row.email)? {
            Some(account) => {
                let (status, message, action) = decide(conn, uploader, run, &account, locale)?;
                planned.push((outcome(status, message), action));
            }
            None if row.name.is_empty() => planned.push((
                outcome(RowStatus::Error, i18n::t(locale, "accounts.name_missing")),
                Action::Nothing,
            )),
            None => planned.push((outcome(RowStatus::New, i18n::t(locale, "bulk.new")), Action::Create)),
        }
    }
    Ok(planned)
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

/// What applying the file would do, row by row, for `uploader` in `run`.
pub fn preview(
    conn: &mut DbConnection,
    uploader: &User,
    run: &RunRow,
    bytes: &[u8],
    locale: Locale,
) -> Result<Vec<RowOutcome>, AppError> {
    let rows = parse(bytes, locale)?;
    let planned = assess(conn, uploader, run, &rows, locale)?;
    Ok(planned.into_iter().map(|(outcome, _)| outcome).collect())
}

/// Creates the new accounts (each invited by mail to set a password) and enrols
/// them, enrols the accounts the uploader manages and invites the others, all in one
/// transaction; with any error row nothing is written. Uploading the same file again
/// changes nothing, also when several uploads run at once: uploads into one run wait
/// for each other (the run's lock), and an account another upload created after this
/// one checked its rows is treated as the existing account it now is.
pub fn apply(
    conn: &mut DbConnection,
    mail_settings: &MailSettings,
    uploader: &User,
    run: &RunRow,
    bytes: &[u8],
    locale: Locale,
) -> Result<BulkOutcome, AppError> {
    apply_rows(conn, mail_settings, uploader, run, parse(bytes, locale)?, locale)
}

fn apply_rows(
    conn: &mut DbConnection,
    mail_settings: &MailSettings,
    uploader: &User,
    run: &RunRow,
    rows: Vec<Row>,
    locale: Locale,
) -> Result<BulkOutcome, AppError> {
    db::write_transaction(conn, |conn| {
        lock_run(conn, run.id)?;
        let planned = assess(conn, uploader, run, &rows, locale)?;
        if planned.iter().any(|(outcome, _)| outcome.status == RowStatus::Error) {
            return Ok(BulkOutcome::preview(planned.into_iter().map(|(o, _)| o).collect()));
        }
        // Rows are written in the order of their addresses, so uploads into different
        // runs that share addresses wait for each other's new accounts in the same
        // order and never deadlock; the answer keeps the file's order.
        let mut in_address_order: Vec<_> = rows.iter().zip(planned).collect();
        in_address_order.sort_by(|(a, _), (b, _)| a.email.cmp(&b.email));
        let mut outcomes = Vec::with_capacity(in_address_order.len());
        for (row, (mut outcome, action)) in in_address_order {
            let action = match action {
                Action::Create => match create_invited(conn, mail_settings, run, row)? {
                    Some(id) => Action::Enrol(id),
                    None => {
                        let account = store::find_row_by_email(conn, &row.email)?
                            .ok_or_else(|| AppError::internal("an address taken by another upload is not found"))?;
                        let (status, message, action) = decide(conn, uploader, run, &account, locale)?;
                        outcome.status = status;
                        outcome.message = message;
                        action
                    }
                },
                other => other,
            };
            let written = match action {
                Action::Enrol(id) => Some(places::enrol_by_manager(conn, mail_settings, uploader, run, id)?.status),
                Action::Invite(id) => {
                    places::invite(conn, mail_settings, uploader, run, id)?;
                    None
                }
                Action::Create | Action::Nothing => None,
            };
            outcome.message = done_message(locale, &outcome, written);
            outcomes.push(outcome);
        }
        outcomes.sort_by_key(|outcome| outcome.line);
        Ok(BulkOutcome {
            rows: outcomes,
            applied: true,
        })
    })
}

/// What a written row's result says: what was done, no longer what will be
/// (`enrolled`, the status an enrolment was given).
fn done_message(locale: Locale, outcome: &RowOutcome, enrolled: Option<Status>) -> String {
    let waitlisted = enrolled == Some(Status::Waitlisted);
    let key = match outcome.status {
        RowStatus::New if waitlisted => "coordinator_flows.done_created_waitlisted",
        RowStatus::New => "coordinator_flows.done_created",
        RowStatus::Enrol if waitlisted => "coordinator_flows.done_waitlisted",
        RowStatus::Enrol => "coordinator_flows.done_enrolled",
        RowStatus::Invite => "coordinator_flows.done_invited",
        RowStatus::AlreadyInvited => "coordinator_flows.done_already_invited",
        RowStatus::Declined => "coordinator_flows.done_declined",
        // The status the message names is the one it already had.
        RowStatus::AlreadyEnrolled | RowStatus::Error => return outcome.message.clone(),
    };
    i18n::t(locale, key)
}

/// How long a checked file is kept for applying.
pub const CHECK_HOURS: i64 = 24;

/// A checked file: each row's outcome and, when no row is an error, the id under
/// which the file is kept for applying.
pub struct Check {
    pub rows: Vec<RowOutcome>,
    pub kept: Option<String>,
}

/// Checks the file as [`preview`] does and, when no row is an error, keeps its text
/// for [`CHECK_HOURS`] under a new random id bound to `uploader` and `run`, so that
/// applying it needs no second upload. Checks older than that are deleted here.
pub fn check_and_keep(
    conn: &mut DbConnection,
    uploader: &User,
    run: &RunRow,
    bytes: &[u8],
    locale: Locale,
    now: NaiveDateTime,
) -> Result<Check, AppError> {
    let text = read(bytes)?;
    let rows = parse_text(&text, locale)?;
    let rows: Vec<RowOutcome> = assess(conn, uploader, run, &rows, locale)?
        .into_iter()
        .map(|(outcome, _)| outcome)
        .collect();
    if rows.iter().any(|r| r.status == RowStatus::Error) {
        return Ok(Check { rows, kept: None });
    }
    // PostgreSQL keeps no NUL in text; no clean CSV file has one.
    if text.contains('\0') {
        return Err(AppError::BadRequest("bulk.unreadable"));
    }
    let mut random = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut random);
    let id: String = random.iter().map(|b| format!("{b:02x}")).collect();
    let row_count = i32::try_from(rows.len()).unwrap_or(i32::MAX);
    db::write_transaction(conn, |conn| {
        forget_expired_checks(conn, now)?;
        diesel::insert_into(bulk_checks::table)
            .values((
                bulk_checks::id.eq(&id),
                bulk_checks::run_id.eq(run.id),
                bulk_checks::uploader_id.eq(uploader.id),
                bulk_checks::content.eq(&text),
                bulk_checks::row_count.eq(row_count),
                bulk_checks::created_at.eq(now),
            ))
            .execute(conn)?;
        Ok::<_, AppError>(())
    })?;
    Ok(Check { rows, kept: Some(id) })
}

/// Deletes the checked files older than [`CHECK_HOURS`]: they hold names and
/// addresses, kept only as long as applying them may take. Called on each new check
/// and hourly by the server's maintenance, so none outlives its day for want of uploads.
pub fn forget_expired_checks(conn: &mut DbConnection, now: chrono::NaiveDateTime) -> AppResult<usize> {
    Ok(
        diesel::delete(bulk_checks::table.filter(bulk_checks::created_at.lt(now - Duration::hours(CHECK_HOURS))))
            .execute(conn)?,
    )
}

/// Applies a file kept by [`check_and_keep`]: exactly the rows that were checked, each
/// written as [`apply`] writes it. `None` when `uploader` kept no such check for `run`
/// in the last [`CHECK_HOURS`] (expired, applied already, or someone else's). An
/// applied check is deleted.
pub fn apply_kept(
    conn: &mut DbConnection,
    mail_settings: &MailSettings,
    uploader: &User,
    run: &RunRow,
    check: &str,
    locale: Locale,
    now: NaiveDateTime,
) -> Result<Option<BulkOutcome>, AppError> {
    db::write_transaction(conn, |conn| {
        let content: Option<String> = bulk_checks::table
            .find(check)
            .filter(bulk_checks::run_id.eq(run.id))
            .filter(bulk_checks::uploader_id.eq(uploader.id))
            .filter(bulk_checks::created_at.ge(now - Duration::hours(CHECK_HOURS)))
            .select(bulk_checks::content)
            .first(conn)
            .optional()?;
        let Some(content) = content else {
            return Ok(None);
        };
        let outcome = apply_rows(
            conn,
            mail_settings,
            uploader,
            run,
            parse_text(&content, locale)?,
            locale,
        )?;
        if outcome.applied {
            diesel::delete(bulk_checks::table.find(check)).execute(conn)?;
        }
        Ok(Some(outcome))
    })
}

/// Creates the account of a new row in the run's institution and queues its
/// invitation to set a password; `None` when another upload created an account with
/// the address since the rows were checked (the unique index decides; the attempt is
/// undone to a savepoint, so the transaction goes on).
fn create_invited(
    conn: &mut DbConnection,
    mail_settings: &MailSettings,
    run: &RunRow,
    row: &Row,
) -> Result<Option<UserId>, AppError> {
    let locale = row.language.unwrap_or(run.language);
    // An unusable random password until the invitation is accepted.
    let placeholder = password::generate() + &password::generate();
    let new = AdminCreatedUser {
        email: row.email.clone(),
        name: row.name.clone(),
        role: Role::Learner,
        // The institution's country, which a regional run does not name.
        country: None,
        institution_id: Some(run.institution_id),
        locale,
    };
    let id = match service::create_user(conn, &new, &placeholder) {
        Ok(id) => id,
        Err(AppError::Invalid(fields)) if fields.has("email") && fields.len() == 1 => return Ok(None),
        // Each row was checked with the same rules: anything else refused is a fault.
        Err(AppError::Invalid(fields)) => {
            return Err(AppError::internal(format!("an upload row was refused: {fields:?}")))
        }
        Err(other) => return Err(other),
    };
    store::set_invited_details(
        conn,
        id,
        row.category.unwrap_or(Category::Other),
        &row.position,
        row.gender,
    )?;
    let token = tokens::issue(conn, id, tokens::Purpose::Invitation, Utc::now().naive_utc())?;
    mail_settings.queue(
        conn,
        &Email {
            to: row.email.clone(),
            name: row.name.clone(),
            locale,
            kind: mail::Kind::Invitation,
            args: vec![],
            link: Some(mail_settings.link(&format!("/invitation?token={token}"), locale)),
            dedupe_key: Some(format!("invitation-{id}")),
        },
    )?;
    Ok(Some(id))
}
