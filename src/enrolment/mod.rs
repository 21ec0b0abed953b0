//! Course runs of training institutions and enrolment in them: self-enrolment,
//! enrolment keys, approval by coordinators, invitations, waitlists that promote the
//! first in line, and a history of every change with who, when and why. Capacity is
//! never exceeded: every change of places happens in a write transaction that, on
//! PostgreSQL, holds an advisory lock for the run.

pub mod api;
pub mod bulk;
pub mod web;

use crate::accounts::model::UserId;
use crate::institutions::InstitutionId;
use chrono::{NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::accounts::model::{Category, Country, Role, User};
use crate::accounts::store as user_store;
use crate::db::schema::{course_runs, enrolment_events, enrolments, run_trainers, users};
use crate::db::{self, DbConnection};
use crate::error::AppError;
use crate::i18n::{self, Locale};
use crate::mail::{self, Email, MailSettings};
use crate::validation::FieldErrors;

const RUN_LOCK_BASE: i64 = 0x6269_6c69_6d02_0000;

crate::text_enum!(Mode { Online => "online", Blended => "blended", InPerson => "in_person" });
crate::text_enum!(EnrolmentMode { Open => "open", Key => "key", Approval => "approval", Invitation => "invitation" });
crate::text_enum!(Phase {
    TrainingOfTrainers => "training_of_trainers",
    Thematic => "thematic",
    NationalPilot => "national_pilot",
    SecondNationalRound => "second_national_round",
    Other => "other",
});
crate::text_enum!(Status {
    Requested => "requested",
    Enrolled => "enrolled",
    Waitlisted => "waitlisted",
    Rejected => "rejected",
    Withdrawn => "withdrawn",
    Completed => "completed",
});

/// Status codes of learners admitted to a run: enrolled, or enrolled and since completed.
pub const ADMITTED: [&str; 2] = [Status::Enrolled.code(), Status::Completed.code()];

impl Status {
    /// Whether the enrolment holds or waits for a place.
    pub fn is_active(self) -> bool {
        matches!(self, Status::Requested | Status::Enrolled | Status::Waitlisted)
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = course_runs)]
pub struct RunRow {
    pub id: i64,
    pub course_id: String,
    pub institution_id: InstitutionId,
    pub language: String,
    pub country: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub enrol_by: NaiveDate,
    pub capacity: i32,
    pub mode: String,
    pub enrolment: String,
    pub enrolment_key: Option<String>,
    pub phase: String,
    pub categories: String,
    pub created_by: UserId,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub reminder_sent_at: Option<NaiveDateTime>,
    /// Share of in-person days a learner must attend, in per cent.
    pub min_attendance: Option<i32>,
    /// When the hourly upkeep settled the attendance of this ended run.
    pub attendance_settled_at: Option<NaiveDateTime>,
}

impl RunRow {
    pub fn enrolment_mode(&self) -> EnrolmentMode {
        EnrolmentMode::from_code(&self.enrolment).unwrap_or(EnrolmentMode::Invitation)
    }

    pub fn categories(&self) -> Vec<String> {
        self.categories.split_whitespace().map(str::to_owned).collect()
    }

    /// The run's country in the lower case of national adaptations, if it has one.
    pub fn adaptation_country(&self) -> Option<&'static str> {
        let code = self.country.to_ascii_lowercase();
        crate::courses::format::COUNTRIES.into_iter().find(|c| *c == code)
    }
}

/// A run as the API returns it.
#[derive(Debug, Clone, Serialize)]
pub struct RunJson {
    pub id: i64,
    pub course_id: String,
    pub institution_id: InstitutionId,
    pub language: String,
    pub country: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub enrol_by: NaiveDate,
    pub capacity: i32,
    pub mode: String,
    pub enrolment: String,
    pub phase: String,
    pub min_attendance: Option<i32>,
    pub enrolled: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = enrolments)]
pub struct EnrolmentRow {
    pub id: i64,
    pub run_id: i64,
    pub user_id: UserId,
    pub status: String,
    #[serde(skip)]
    pub created_at: NaiveDateTime,
    #[serde(skip)]
    pub updated_at: NaiveDateTime,
}

impl EnrolmentRow {
    pub fn status(&self) -> Status {
        Status::from_code(&self.status).unwrap_or(Status::Withdrawn)
    }
}

/// The fields of a run as typed in a form or a JSON body.
#[derive(Debug, Clone, Default, serde::Deserialize, Serialize)]
#[serde(default)]
pub struct RunInput {
    pub course_id: String,
    pub institution_id: String,
    pub language: String,
    pub country: String,
    pub starts_on: String,
    pub ends_on: String,
    pub enrol_by: String,
    pub capacity: String,
    pub mode: String,
    pub enrolment: String,
    pub key: String,
    pub phase: String,
    /// Professional categories the run is for, space-separated; empty = all.
    pub categories: String,
    /// Per cent of in-person days to attend; empty when attendance is not required.
    pub min_attendance: String,
}

/// A checked run.
#[derive(Debug, Clone)]
pub struct RunFields {
    pub course_id: String,
    pub institution_id: InstitutionId,
    pub language: Locale,
    pub country: Country,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub enrol_by: NaiveDate,
    pub capacity: i32,
    pub mode: Mode,
    pub enrolment: EnrolmentMode,
    pub key: Option<String>,
    pub phase: Phase,
    pub categories: Vec<Category>,
    pub min_attendance: Option<i32>,
}

fn parse_date(errors: &mut FieldErrors, field: &'static str, value: &str) -> Option<NaiveDate> {
    match NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d") {
        Ok(date) => Some(date),
        Err(_) => {
            errors.add(field, "runs.date_invalid");
            None
        }
    }
}

/// Checks a run's fields; the course must exist and the institution must be one the
/// user may create runs for (checked by the caller).
pub fn check_run(conn: &mut DbConnection, input: &RunInput) -> Result<Result<RunFields, FieldErrors>, AppError> {
    let mut errors = FieldErrors::new();
    let course_id = input.course_id.trim().to_owned();
    if crate::courses::store::find_active_course(conn, &course_id)?.is_none() {
        errors.add("course_id", "runs.course_invalid");
    }
    let institution_id = input.institution_id.trim().parse::<InstitutionId>().ok();
    if institution_id.is_none() {
        errors.add("institution_id", "accounts.institution_invalid");
    }
    let language = Locale::from_code(&input.language);
    if language.is_none() {
        errors.add("language", "accounts.locale_invalid");
    }
    let country = Country::parse(&input.country);
    if country.is_none() {
        errors.add("country", "validation.country_invalid");
    }
    let starts_on = parse_date(&mut errors, "starts_on", &input.starts_on);
    let ends_on = parse_date(&mut errors, "ends_on", &input.ends_on);
    let enrol_by = parse_date(&mut errors, "enrol_by", &input.enrol_by);
    if let (Some(start), Some(end)) = (starts_on, ends_on) {
        if end < start {
            errors.add("ends_on", "runs.ends_before_start");
        }
    }
    if let (Some(start), Some(by)) = (starts_on, enrol_by) {
        if by > start {
            errors.add("enrol_by", "runs.enrol_by_after_start");
        }
    }
    let capacity = input
        .capacity
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|c| (1..=10_000).contains(c));
    if capacity.is_none() {
        errors.add("capacity", "runs.capacity_invalid");
    }
    let mode = Mode::from_code(&input.mode);
    if mode.is_none() {
        errors.add("mode", "runs.mode_invalid");
    }
    let enrolment = EnrolmentMode::from_code(&input.enrolment);
    if enrolment.is_none() {
        errors.add("enrolment", "runs.enrolment_invalid");
    }
    let key = Some(input.key.trim().to_owned()).filter(|k| !k.is_empty());
    if enrolment == Some(EnrolmentMode::Key) && key.as_ref().is_none_or(|k| k.chars().count() < 4) {
        errors.add("key", "runs.key_missing");
    }
    let phase = Phase::from_code(&input.phase);
    if phase.is_none() {
        errors.add("phase", "runs.phase_invalid");
    }
    let mut categories = Vec::new();
    for code in input.categories.split([' ', ',']).filter(|c| !c.trim().is_empty()) {
        match Category::from_code(code.trim()) {
            Some(category) => categories.push(category),
            None => errors.add("categories", "accounts.category_invalid"),
        }
    }
    let min_attendance = check_min_attendance(&mut errors, &input.min_attendance, mode);
    if let Some(id) = institution_id {
        if crate::institutions::find(conn, id)?.is_none() {
            errors.add("institution_id", "accounts.institution_invalid");
        }
    }
    Ok(
        match (
            language,
            country,
            starts_on,
            ends_on,
            enrol_by,
            capacity,
            mode,
            enrolment,
            phase,
            institution_id,
        ) {
            (
                Some(language),
                Some(country),
                Some(starts_on),
                Some(ends_on),
                Some(enrol_by),
                Some(capacity),
                Some(mode),
                Some(enrolment),
                Some(phase),
                Some(institution_id),
            ) if errors.is_empty() => Ok(RunFields {
                course_id,
                institution_id,
                language,
                country,
                starts_on,
                ends_on,
                enrol_by,
                capacity,
                mode,
                enrolment,
                key: if enrolment == EnrolmentMode::Key { key } else { None },
                phase,
                categories,
                min_attendance,
            }),
            _ => Err(errors),
        },
    )
}

/// The attendance a run requires: empty for none, or a whole per cent from 1 to 100.
/// Only runs that meet in person have days to attend.
fn check_min_attendance(errors: &mut FieldErrors, raw: &str, mode: Option<Mode>) -> Option<i32> {
    let raw = raw.trim().trim_end_matches('%').trim();
    if raw.is_empty() {
        return None;
    }
    let Some(share) = raw.parse::<i32>().ok().filter(|p| (1..=100).contains(p)) else {
        errors.add("min_attendance", "runs.attendance_invalid");
        return None;
    };
    if mode == Some(Mode::Online) {
        errors.add("min_attendance", "runs.attendance_online");
        return None;
    }
    Some(share)
}

/// Whether `user` may manage runs of `institution_id`: administrators any,
/// coordinators their own institution's.
pub fn manages(user: &User, institution_id: InstitutionId) -> bool {
    user.role == Role::Admin || (user.role == Role::Coordinator && user.institution_id == Some(institution_id))
}

/// The columns a run's form sets, for both creating and editing it.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = course_runs, treat_none_as_null = true)]
struct RunValues<'a> {
    course_id: &'a str,
    institution_id: InstitutionId,
    language: &'a str,
    country: &'a str,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    enrol_by: NaiveDate,
    capacity: i32,
    mode: &'a str,
    enrolment: &'a str,
    enrolment_key: Option<&'a str>,
    phase: &'a str,
    categories: String,
    min_attendance: Option<i32>,
    updated_at: NaiveDateTime,
}

impl<'a> RunValues<'a> {
    fn of(fields: &'a RunFields, now: NaiveDateTime) -> Self {
        RunValues {
            course_id: &fields.course_id,
            institution_id: fields.institution_id,
            language: fields.language.code(),
            country: fields.country.code(),
            starts_on: fields.starts_on,
            ends_on: fields.ends_on,
            enrol_by: fields.enrol_by,
            capacity: fields.capacity,
            mode: fields.mode.code(),
            enrolment: fields.enrolment.code(),
            enrolment_key: fields.key.as_deref(),
            phase: fields.phase.code(),
            categories: fields.categories.iter().map(|c| c.code()).collect::<Vec<_>>().join(" "),
            min_attendance: fields.min_attendance,
            updated_at: now,
        }
    }
}

pub fn create_run(conn: &mut DbConnection, user: &User, fields: &RunFields) -> Result<i64, AppError> {
    if !manages(user, fields.institution_id) {
        return Err(AppError::Forbidden);
    }
    let now = Utc::now().naive_utc();
    Ok(diesel::insert_into(course_runs::table)
        .values((
            RunValues::of(fields, now),
            course_runs::created_by.eq(user.id),
            course_runs::created_at.eq(now),
        ))
        .returning(course_runs::id)
        .get_result(conn)?)
}

/// Changes a run's settings. Raising the capacity moves the first in line from the
/// waitlist into the new places; a changed attendance requirement is applied to every
/// learner of the run at once, so that lowering it certifies those who now meet it.
pub fn update_run(
    conn: &mut DbConnection,
    mail: &MailSettings,
    user: &User,
    run_id: i64,
    fields: &RunFields,
) -> Result<(), AppError> {
    let run = find_run_for_manager(conn, user, run_id)?;
    if !manages(user, fields.institution_id) {
        return Err(AppError::Forbidden);
    }
    db::write_transaction(conn, |conn| {
        lock_run(conn, run.id)?;
        diesel::update(course_runs::table.find(run.id))
            .set(RunValues::of(fields, Utc::now().naive_utc()))
            .execute(conn)?;
        let updated = find_run(conn, run.id)?.ok_or(AppError::NotFound)?;
        promote_waitlisted(conn, mail, &updated)?;
        if (updated.min_attendance, updated.ends_on) != (run.min_attendance, run.ends_on) {
            crate::certificates::refresh_run(conn, &updated, Utc::now().naive_utc())?;
        }
        Ok(())
    })
}

/// A run's settings as form fields, for editing.
pub fn input_of(run: &RunRow) -> RunInput {
    RunInput {
        course_id: run.course_id.clone(),
        institution_id: run.institution_id.to_string(),
        language: run.language.clone(),
        country: run.country.clone(),
        starts_on: run.starts_on.to_string(),
        ends_on: run.ends_on.to_string(),
        enrol_by: run.enrol_by.to_string(),
        capacity: run.capacity.to_string(),
        mode: run.mode.clone(),
        enrolment: run.enrolment.clone(),
        key: run.enrolment_key.clone().unwrap_or_default(),
        phase: run.phase.clone(),
        categories: run.categories.clone(),
        min_attendance: run.min_attendance.map(|p| p.to_string()).unwrap_or_default(),
    }
}

pub fn find_run(conn: &mut DbConnection, run_id: i64) -> Result<Option<RunRow>, AppError> {
    Ok(course_runs::table
        .find(run_id)
        .select(RunRow::as_select())
        .first(conn)
        .optional()?)
}

/// A run the user manages; another institution's run is `NotFound`.
pub fn find_run_for_manager(conn: &mut DbConnection, user: &User, run_id: i64) -> Result<RunRow, AppError> {
    find_run(conn, run_id)?
        .filter(|run| manages(user, run.institution_id))
        .ok_or(AppError::NotFound)
}

pub fn enrolled_count(conn: &mut DbConnection, run_id: i64) -> Result<i64, AppError> {
    Ok(enrolments::table
        .filter(enrolments::run_id.eq(run_id))
        .filter(enrolments::status.eq_any(ADMITTED))
        .count()
        .get_result(conn)?)
}

pub fn run_json(conn: &mut DbConnection, run: &RunRow) -> Result<RunJson, AppError> {
    Ok(RunJson {
        id: run.id,
        course_id: run.course_id.clone(),
        institution_id: run.institution_id,
        language: run.language.clone(),
        country: run.country.clone(),
        starts_on: run.starts_on,
        ends_on: run.ends_on,
        enrol_by: run.enrol_by,
        capacity: run.capacity,
        mode: run.mode.clone(),
        enrolment: run.enrolment.clone(),
        phase: run.phase.clone(),
        min_attendance: run.min_attendance,
        enrolled: enrolled_count(conn, run.id)?,
    })
}

/// Whether a learner may see and join a run: their country (or a regional run), their
/// professional category, and enrolment still open.
pub fn open_to(run: &RunRow, user: &User, today: NaiveDate) -> bool {
    let country_fits =
        run.country == Country::Other.code() || user.country.map(Country::code) == Some(run.country.as_str());
    let categories = run.categories();
    let category_fits = categories.is_empty() || categories.iter().any(|c| c == user.category.code());
    country_fits && category_fits && today <= run.enrol_by && run.enrolment_mode() != EnrolmentMode::Invitation
}

/// The runs a user can see: all for administrators, their institution's for
/// coordinators, those open to them (or where they are enrolled or teach) for others.
pub fn visible_runs(conn: &mut DbConnection, user: &User, today: NaiveDate) -> Result<Vec<RunRow>, AppError> {
    let all: Vec<RunRow> = match user.role {
        // Observers read aggregate reports, not runs.
        Role::Observer => Vec::new(),
        Role::Admin => course_runs::table
            .order(course_runs::starts_on.desc())
            .select(RunRow::as_select())
            .load(conn)?,
        Role::Coordinator => course_runs::table
            .filter(course_runs::institution_id.nullable().eq(user.institution_id))
            .order(course_runs::starts_on.desc())
            .select(RunRow::as_select())
            .load(conn)?,
        Role::Learner | Role::Trainer => {
            let mine: Vec<i64> = enrolments::table
                .filter(enrolments::user_id.eq(user.id))
                .select(enrolments::run_id)
                .load(conn)?;
            let teaching: Vec<i64> = run_trainers::table
                .filter(run_trainers::user_id.eq(user.id))
                .select(run_trainers::run_id)
                .load(conn)?;
            let candidates: Vec<RunRow> = course_runs::table
                .filter(
                    course_runs::enrol_by
                        .ge(today)
                        .or(course_runs::id.eq_any(&mine))
                        .or(course_runs::id.eq_any(&teaching)),
                )
                .order(course_runs::starts_on.asc())
                .select(RunRow::as_select())
                .load(conn)?;
            candidates
                .into_iter()
                .filter(|run| mine.contains(&run.id) || teaching.contains(&run.id) || open_to(run, user, today))
                .collect()
        }
    };
    Ok(all)
}

/// Serialises changes to one run (its places, and its attendance register) until the
/// transaction ends. SQLite's write transactions are serial already.
pub fn lock_run(conn: &mut DbConnection, run_id: i64) -> Result<(), AppError> {
    if matches!(conn, DbConnection::Postgresql(_)) {
        diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
            .bind::<diesel::sql_types::BigInt, _>(RUN_LOCK_BASE ^ run_id)
            .execute(conn)?;
    }
    Ok(())
}

fn record(
    conn: &mut DbConnection,
    enrolment_id: i64,
    from: Option<Status>,
    to: Status,
    actor: Option<UserId>,
    reason: Option<&str>,
) -> Result<(), AppError> {
    diesel::insert_into(enrolment_events::table)
        .values((
            enrolment_events::enrolment_id.eq(enrolment_id),
            enrolment_events::from_status.eq(from.map(Status::code)),
            enrolment_events::to_status.eq(to.code()),
            enrolment_events::actor_id.eq(actor),
            enrolment_events::reason.eq(reason),
            enrolment_events::at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

fn set_status(
    conn: &mut DbConnection,
    enrolment: &EnrolmentRow,
    to: Status,
    actor: Option<UserId>,
    reason: Option<&str>,
) -> Result<EnrolmentRow, AppError> {
    let now = Utc::now().naive_utc();
    diesel::update(enrolments::table.find(enrolment.id))
        .set((enrolments::status.eq(to.code()), enrolments::updated_at.eq(now)))
        .execute(conn)?;
    record(conn, enrolment.id, Some(enrolment.status()), to, actor, reason)?;
    Ok(EnrolmentRow {
        status: to.code().to_owned(),
        updated_at: now,
        ..enrolment.clone()
    })
}

fn run_title(conn: &mut DbConnection, run: &RunRow, locale: Locale) -> Result<String, AppError> {
    crate::courses::reading::course_title(conn, &run.course_id, locale)
}

/// Queues the message announcing an enrolment's new status to its learner.
fn notify(
    conn: &mut DbConnection,
    mail: &MailSettings,
    run: &RunRow,
    user_id: UserId,
    kind: mail::Kind,
    reason: Option<&str>,
) -> Result<(), AppError> {
    let Some(user) = user_store::find(conn, user_id)? else {
        return Ok(());
    };
    let course = run_title(conn, run, user.locale)?;
    let mut args = vec![
        ("course", course),
        ("starts", i18n::format_date(user.locale, run.starts_on)),
    ];
    if let Some(reason) = reason {
        args.push(("reason", reason.to_owned()));
    }
    mail.queue(
        conn,
        &Email {
            to: user.email.clone(),
            name: user.name.clone(),
            locale: user.locale,
            kind,
            args,
            link: Some(mail.link(&format!("/runs/{}", run.id))),
            dedupe_key: None,
        },
    )
}

/// Moves the first in line from the waitlist into a freed place.
fn promote_waitlisted(conn: &mut DbConnection, mail: &MailSettings, run: &RunRow) -> Result<(), AppError> {
    while enrolled_count(conn, run.id)? < i64::from(run.capacity) {
        let next: Option<EnrolmentRow> = enrolments::table
            .filter(enrolments::run_id.eq(run.id))
            .filter(enrolments::status.eq(Status::Waitlisted.code()))
            .order((enrolments::updated_at.asc(), enrolments::id.asc()))
            .select(EnrolmentRow::as_select())
            .first(conn)
            .optional()?;
        let Some(next) = next else { break };
        set_status(conn, &next, Status::Enrolled, None, Some("promoted from the waitlist"))?;
        notify(conn, mail, run, next.user_id, mail::Kind::EnrolmentPromoted, None)?;
    }
    Ok(())
}

/// Gives a place if one is free, else a place on the waitlist.
fn place_status(conn: &mut DbConnection, run: &RunRow) -> Result<Status, AppError> {
    Ok(if enrolled_count(conn, run.id)? < i64::from(run.capacity) {
        Status::Enrolled
    } else {
        Status::Waitlisted
    })
}

fn existing(conn: &mut DbConnection, run_id: i64, user_id: UserId) -> Result<Option<EnrolmentRow>, AppError> {
    Ok(enrolments::table
        .filter(enrolments::run_id.eq(run_id))
        .filter(enrolments::user_id.eq(user_id))
        .select(EnrolmentRow::as_select())
        .first(conn)
        .optional()?)
}

/// Creates or renews a user's enrolment with the given status, in the caller's
/// transaction, and records it.
fn put(
    conn: &mut DbConnection,
    run: &RunRow,
    user_id: UserId,
    status: Status,
    actor: UserId,
    reason: Option<&str>,
) -> Result<EnrolmentRow, AppError> {
    match existing(conn, run.id, user_id)? {
        Some(row) => set_status(conn, &row, status, Some(actor), reason),
        None => {
            let now = Utc::now().naive_utc();
            let id: i64 = diesel::insert_into(enrolments::table)
                .values((
                    enrolments::run_id.eq(run.id),
                    enrolments::user_id.eq(user_id),
                    enrolments::status.eq(status.code()),
                    enrolments::created_at.eq(now),
                    enrolments::updated_at.eq(now),
                ))
                .returning(enrolments::id)
                .get_result(conn)?;
            record(conn, id, None, status, Some(actor), reason)?;
            Ok(EnrolmentRow {
                id,
                run_id: run.id,
                user_id,
                status: status.code().to_owned(),
                created_at: now,
                updated_at: now,
            })
        }
    }
}

fn kind_for(status: Status) -> Option<mail::Kind> {
    match status {
        Status::Requested => Some(mail::Kind::EnrolmentRequested),
        Status::Enrolled => Some(mail::Kind::EnrolmentApproved),
        Status::Waitlisted => Some(mail::Kind::EnrolmentWaitlisted),
        Status::Rejected => Some(mail::Kind::EnrolmentRejected),
        _ => None,
    }
}

/// A learner enrols themselves: at once in open runs and with the right key, as a
/// request where the run needs approval. Invitation-only runs refuse.
pub fn self_enrol(
    conn: &mut DbConnection,
    mail: &MailSettings,
    user: &User,
    run_id: i64,
    key: Option<&str>,
    today: NaiveDate,
) -> Result<EnrolmentRow, AppError> {
    let run = find_run(conn, run_id)?.ok_or(AppError::NotFound)?;
    let visible = open_to(&run, user, today) || existing(conn, run.id, user.id)?.is_some();
    if !visible {
        return Err(AppError::NotFound);
    }
    if today > run.enrol_by {
        return Err(AppError::Conflict("runs.enrolment_closed"));
    }
    match run.enrolment_mode() {
        EnrolmentMode::Invitation => return Err(AppError::Forbidden),
        EnrolmentMode::Key => {
            let expected = run.enrolment_key.clone().unwrap_or_default();
            let given = key.unwrap_or_default().trim();
            let matches =
                !expected.is_empty() && subtle::ConstantTimeEq::ct_eq(given.as_bytes(), expected.as_bytes()).into();
            if !matches {
                return Err(AppError::BadRequest("runs.key_wrong"));
            }
        }
        _ => {}
    }
    db::write_transaction(conn, |conn| {
        lock_run(conn, run.id)?;
        if let Some(current) = existing(conn, run.id, user.id)? {
            match current.status() {
                status if status.is_active() || status == Status::Completed => return Ok(current),
                Status::Rejected => return Err(AppError::Conflict("runs.already_rejected")),
                _ => {}
            }
        }
        let status = if run.enrolment_mode() == EnrolmentMode::Approval {
            Status::Requested
        } else {
            place_status(conn, &run)?
        };
        let row = put(conn, &run, user.id, status, user.id, None)?;
        if let Some(kind) = kind_for(status) {
            notify(conn, mail, &run, user.id, kind, None)?;
        }
        Ok(row)
    })
}

fn find_enrolment(conn: &mut DbConnection, id: i64) -> Result<Option<EnrolmentRow>, AppError> {
    Ok(enrolments::table
        .find(id)
        .select(EnrolmentRow::as_select())
        .first(conn)
        .optional()?)
}

/// A coordinator approves a request: a place if one is free, else the waitlist.
pub fn approve(
    conn: &mut DbConnection,
    mail: &MailSettings,
    manager: &User,
    enrolment_id: i64,
) -> Result<EnrolmentRow, AppError> {
    let enrolment = find_enrolment(conn, enrolment_id)?.ok_or(AppError::NotFound)?;
    let run = find_run_for_manager(conn, manager, enrolment.run_id)?;
    db::write_transaction(conn, |conn| {
        lock_run(conn, run.id)?;
        let current = find_enrolment(conn, enrolment_id)?.ok_or(AppError::NotFound)?;
        if current.status() != Status::Requested {
            return Err(AppError::Conflict("runs.not_requested"));
        }
        let status = place_status(conn, &run)?;
        let row = set_status(conn, &current, status, Some(manager.id), None)?;
        if let Some(kind) = kind_for(status) {
            notify(conn, mail, &run, current.user_id, kind, None)?;
        }
        Ok(row)
    })
}

/// A coordinator rejects a request or a waitlisted learner, with a reason.
pub fn reject(
    conn: &mut DbConnection,
    mail: &MailSettings,
    manager: &User,
    enrolment_id: i64,
    reason: &str,
) -> Result<EnrolmentRow, AppError> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 1000 {
        return Err(AppError::BadRequest("runs.reason_missing"));
    }
    let enrolment = find_enrolment(conn, enrolment_id)?.ok_or(AppError::NotFound)?;
    let run = find_run_for_manager(conn, manager, enrolment.run_id)?;
    db::write_transaction(conn, |conn| {
        lock_run(conn, run.id)?;
        let current = find_enrolment(conn, enrolment_id)?.ok_or(AppError::NotFound)?;
        if !matches!(current.status(), Status::Requested | Status::Waitlisted) {
            return Err(AppError::Conflict("runs.cannot_reject"));
        }
        let row = set_status(conn, &current, Status::Rejected, Some(manager.id), Some(reason))?;
        notify(
            conn,
            mail,
            &run,
            current.user_id,
            mail::Kind::EnrolmentRejected,
            Some(reason),
        )?;
        Ok(row)
    })
}

/// The learner leaves the run; a place they held goes to the first in line.
pub fn withdraw(
    conn: &mut DbConnection,
    mail: &MailSettings,
    user: &User,
    enrolment_id: i64,
) -> Result<EnrolmentRow, AppError> {
    let enrolment = find_enrolment(conn, enrolment_id)?
        .filter(|e| e.user_id == user.id)
        .ok_or(AppError::NotFound)?;
    let run = find_run(conn, enrolment.run_id)?.ok_or(AppError::NotFound)?;
    db::write_transaction(conn, |conn| {
        lock_run(conn, run.id)?;
        let current = find_enrolment(conn, enrolment_id)?.ok_or(AppError::NotFound)?;
        if !current.status().is_active() {
            return Err(AppError::Conflict("runs.cannot_withdraw"));
        }
        let row = set_status(conn, &current, Status::Withdrawn, Some(user.id), None)?;
        promote_waitlisted(conn, mail, &run)?;
        Ok(row)
    })
}

/// A coordinator enrols someone directly (bulk upload, invitations): a place if one
/// is free, else the waitlist. An active enrolment is left as it is.
pub fn enrol_by_manager(
    conn: &mut DbConnection,
    mail: &MailSettings,
    manager: &User,
    run: &RunRow,
    user_id: UserId,
) -> Result<EnrolmentRow, AppError> {
    lock_run(conn, run.id)?;
    if let Some(current) = existing(conn, run.id, user_id)? {
        if current.status().is_active() || current.status() == Status::Completed {
            return Ok(current);
        }
    }
    let status = place_status(conn, run)?;
    let row = put(
        conn,
        run,
        user_id,
        status,
        manager.id,
        Some("enrolled by a coordinator"),
    )?;
    if let Some(kind) = kind_for(status) {
        notify(conn, mail, run, user_id, kind, None)?;
    }
    Ok(row)
}

/// The learner's latest run of a course to which they are admitted, if any: the run
/// their certificate names and their quiz attempts count towards in reports.
pub fn latest_admitted_run(
    conn: &mut DbConnection,
    user_id: UserId,
    course_id: &str,
) -> Result<Option<RunRow>, AppError> {
    Ok(course_runs::table
        .inner_join(enrolments::table.on(enrolments::run_id.eq(course_runs::id)))
        .filter(enrolments::user_id.eq(user_id))
        .filter(course_runs::course_id.eq(course_id))
        .filter(enrolments::status.eq_any(ADMITTED))
        .order((course_runs::starts_on.desc(), course_runs::id.desc()))
        .select(RunRow::as_select())
        .first(conn)
        .optional()?)
}

/// Notes study activity in a course on the learner's enrolments in its runs; reports
/// read it to tell active learners from stalled ones.
pub fn record_activity(
    conn: &mut DbConnection,
    user_id: UserId,
    course_id: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let runs_of_course = course_runs::table
        .filter(course_runs::course_id.eq(course_id))
        .select(course_runs::id);
    diesel::update(
        enrolments::table
            .filter(enrolments::user_id.eq(user_id))
            .filter(enrolments::run_id.eq_any(runs_of_course)),
    )
    .set(enrolments::last_activity_at.eq(now))
    .execute(conn)?;
    Ok(())
}

/// Marks a learner's enrolment in a run completed, when they complete its course.
pub fn mark_completed(conn: &mut DbConnection, run_id: i64, user_id: UserId) -> Result<(), AppError> {
    if let Some(current) = existing(conn, run_id, user_id)? {
        if current.status() == Status::Enrolled {
            set_status(conn, &current, Status::Completed, None, Some("course completed"))?;
        }
    }
    Ok(())
}

pub fn enrolments_of_user(conn: &mut DbConnection, user_id: UserId) -> Result<Vec<EnrolmentRow>, AppError> {
    Ok(enrolments::table
        .filter(enrolments::user_id.eq(user_id))
        .order(enrolments::id.desc())
        .select(EnrolmentRow::as_select())
        .load(conn)?)
}

pub fn enrolments_of_run(
    conn: &mut DbConnection,
    run_id: i64,
) -> Result<Vec<(EnrolmentRow, String, String)>, AppError> {
    let rows: Vec<(EnrolmentRow, String, String)> = enrolments::table
        .inner_join(users::table)
        .filter(enrolments::run_id.eq(run_id))
        .order((enrolments::status.asc(), enrolments::updated_at.asc()))
        .select((EnrolmentRow::as_select(), users::name, users::email))
        .load(conn)?;
    Ok(rows)
}

/// The run whose national adaptation a learner reads: their most recent active run of
/// the course.
pub fn run_country_for(
    conn: &mut DbConnection,
    user_id: UserId,
    course_id: &str,
) -> Result<Option<&'static str>, AppError> {
    let runs: Vec<RunRow> = course_runs::table
        .inner_join(enrolments::table)
        .filter(enrolments::user_id.eq(user_id))
        .filter(enrolments::status.eq_any(ADMITTED))
        .filter(course_runs::course_id.eq(course_id))
        .order(course_runs::starts_on.desc())
        .select(RunRow::as_select())
        .load(conn)?;
    Ok(runs.first().and_then(RunRow::adaptation_country))
}

/// Whether a learner may read a course: trainers and above always; learners with an
/// enrolment in one of its runs, or any learner while no run of the course exists.
pub fn may_study(conn: &mut DbConnection, user: &User, course_id: &str) -> Result<bool, AppError> {
    if user.role.is_staff() {
        return Ok(true);
    }
    let runs: i64 = course_runs::table
        .filter(course_runs::course_id.eq(course_id))
        .count()
        .get_result(conn)?;
    if runs == 0 {
        return Ok(true);
    }
    let mine: i64 = course_runs::table
        .inner_join(enrolments::table)
        .filter(enrolments::user_id.eq(user.id))
        .filter(enrolments::status.eq_any(ADMITTED))
        .filter(course_runs::course_id.eq(course_id))
        .count()
        .get_result(conn)?;
    Ok(mine > 0)
}

/// Queues "starting soon" reminders for runs starting within three days, once per
/// run and learner.
pub fn queue_start_reminders(
    conn: &mut DbConnection,
    mail: &MailSettings,
    now: NaiveDateTime,
) -> Result<usize, AppError> {
    let today = now.date();
    let soon = today + chrono::Duration::days(3);
    let runs: Vec<RunRow> = course_runs::table
        .filter(course_runs::reminder_sent_at.is_null())
        .filter(course_runs::starts_on.ge(today))
        .filter(course_runs::starts_on.le(soon))
        .select(RunRow::as_select())
        .load(conn)?;
    let mut queued = 0;
    for run in runs {
        db::write_transaction(conn, |conn| -> Result<(), AppError> {
            let learners: Vec<UserId> = enrolments::table
                .filter(enrolments::run_id.eq(run.id))
                .filter(enrolments::status.eq(Status::Enrolled.code()))
                .select(enrolments::user_id)
                .load(conn)?;
            for user_id in learners {
                let Some(user) = user_store::find(conn, user_id)? else {
                    continue;
                };
                let course = run_title(conn, &run, user.locale)?;
                mail.queue(
                    conn,
                    &Email {
                        to: user.email.clone(),
                        name: user.name.clone(),
                        locale: user.locale,
                        kind: mail::Kind::RunStartingSoon,
                        args: vec![
                            ("course", course),
                            ("starts", i18n::format_date(user.locale, run.starts_on)),
                        ],
                        link: Some(mail.link(&format!("/courses/{}", run.course_id))),
                        dedupe_key: Some(format!("run-{}-start-{}", run.id, user.id)),
                    },
                )?;
                queued += 1;
            }
            diesel::update(course_runs::table.find(run.id))
                .set(course_runs::reminder_sent_at.eq(now))
                .execute(conn)?;
            Ok(())
        })?;
    }
    Ok(queued)
}

/// A person on a run by name: a trainer of the run, or a learner admitted to it.
#[derive(Debug, Clone, Serialize, Queryable)]
pub struct Person {
    pub user_id: UserId,
    pub name: String,
    pub email: String,
}

pub fn trainers_of(conn: &mut DbConnection, run_id: i64) -> Result<Vec<Person>, AppError> {
    Ok(run_trainers::table
        .inner_join(users::table.on(users::id.eq(run_trainers::user_id)))
        .filter(run_trainers::run_id.eq(run_id))
        .order(users::name.asc())
        .select((users::id, users::name, users::email))
        .load(conn)?)
}

/// Whether `user_id` is one of the run's trainers.
pub fn teaches(conn: &mut DbConnection, user_id: UserId, run_id: i64) -> Result<bool, AppError> {
    Ok(run_trainers::table
        .find((run_id, user_id))
        .count()
        .get_result::<i64>(conn)?
        > 0)
}

/// The runs a trainer teaches, the latest first.
pub fn runs_taught_by(conn: &mut DbConnection, user_id: UserId) -> Result<Vec<RunRow>, AppError> {
    Ok(course_runs::table
        .inner_join(run_trainers::table.on(run_trainers::run_id.eq(course_runs::id)))
        .filter(run_trainers::user_id.eq(user_id))
        .order((course_runs::starts_on.desc(), course_runs::id.desc()))
        .select(RunRow::as_select())
        .load(conn)?)
}

/// Makes the account with `email` a trainer of the run. The account must have the
/// trainer role; it may belong to any institution, since national trainers teach for
/// several.
pub fn assign_trainer(
    conn: &mut DbConnection,
    manager: &User,
    run_id: i64,
    email: &str,
) -> Result<Result<(), FieldErrors>, AppError> {
    let run = find_run_for_manager(conn, manager, run_id)?;
    let mut errors = FieldErrors::new();
    let email = email.trim().to_lowercase();
    // One answer for "no account" and "not a trainer", so that the form does not tell
    // which addresses are registered, or with what role.
    let Some(trainer) = user_store::find_row_by_email(conn, &email)?.filter(|row| row.role == Role::Trainer) else {
        errors.add("trainer_email", "runs.trainer_unknown");
        return Ok(Err(errors));
    };
    let inserted = diesel::insert_into(run_trainers::table)
        .values((run_trainers::run_id.eq(run.id), run_trainers::user_id.eq(trainer.id)))
        .execute(conn);
    match inserted {
        Ok(_) => Ok(Ok(())),
        Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)) => {
            errors.add("trainer_email", "runs.trainer_already");
            Ok(Err(errors))
        }
        Err(other) => Err(other.into()),
    }
}

/// Takes a trainer off a run; the attendance they recorded stays.
pub fn remove_trainer(
    conn: &mut DbConnection,
    manager: &User,
    run_id: i64,
    trainer_id: UserId,
) -> Result<(), AppError> {
    let run = find_run_for_manager(conn, manager, run_id)?;
    let removed = diesel::delete(run_trainers::table.find((run.id, trainer_id))).execute(conn)?;
    if removed == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// Learners admitted to a run, by name: the people its trainers keep a register of.
pub fn admitted_learners(conn: &mut DbConnection, run_id: i64) -> Result<Vec<Person>, AppError> {
    Ok(enrolments::table
        .inner_join(users::table)
        .filter(enrolments::run_id.eq(run_id))
        .filter(enrolments::status.eq_any(ADMITTED))
        .order((users::name.asc(), users::id.asc()))
        .select((users::id, users::name, users::email))
        .load(conn)?)
}
