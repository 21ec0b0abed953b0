//! Completion and verifiable certificates. A certificate is issued once per
//! completion, when a learner completes a course (in a run, once the run has started),
//! with an unguessable code; anyone can check it at `/verify/<code>` or offline as an
//! Ed25519-signed JWT. A learner holds at most one valid certificate of a course; one
//! whose certificate expired or was revoked is certified again on completing a new run.

pub mod api;
pub mod completion;
pub mod keys;
pub mod pdf;
pub mod web;

use crate::accounts::model::UserId;
use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use rand::RngCore;
use serde::Serialize;

use crate::accounts::model::{Role, User};
use crate::accounts::store as user_store;
use crate::audit;
use crate::courses::format::CertificatePolicy;
use crate::courses::store as course_store;
use crate::db::locks::{self, Lock};
use crate::db::schema::{certificates, course_completions};
use crate::db::{self, DbConnection};
use crate::enrolment;
use crate::error::AppError;
use crate::i18n::{self, Locale};
use crate::mail::{self, Email, MailSettings};

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = certificates)]
pub struct Certificate {
    pub code: String,
    pub user_id: UserId,
    pub course_id: String,
    pub run_id: Option<enrolment::RunId>,
    pub holder_name: String,
    pub course_titles: String,
    pub institution: String,
    pub country: String,
    pub hours: f64,
    pub issued_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    pub revoked_reason: Option<String>,
    pub revoked_by: Option<UserId>,
    /// Who signed it: the issuing institution's signatory when it was issued (empty
    /// for none, and for certificates issued by the installation).
    pub signatory_name: String,
    pub signatory_position: String,
    /// The run's first and last day when the certificate was issued (none for older
    /// certificates and those issued without a run).
    pub period_starts: Option<chrono::NaiveDate>,
    pub period_ends: Option<chrono::NaiveDate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Validity {
    Valid,
    Revoked,
    Expired,
}

impl Certificate {
    pub fn validity(&self, now: NaiveDateTime) -> Validity {
        if self.revoked_at.is_some() {
            Validity::Revoked
        } else if self.expires_at.is_some_and(|e| e <= now) {
            Validity::Expired
        } else {
            Validity::Valid
        }
    }

    /// Who issued the certificate: the institution of the run it was earned in. One
    /// earned without a run is issued by the installation (`site_name`), whatever
    /// institution its holder's profile names (certificates issued before this rule
    /// stored the holder's own institution; it is never shown).
    pub fn issuer(&self, site_name: &str) -> String {
        match self.run_id {
            Some(_) if !self.institution.is_empty() => self.institution.clone(),
            _ => site_name.to_owned(),
        }
    }

    /// The country code of the run the certificate was earned in; empty for one
    /// issued by the installation.
    pub fn issuer_country(&self) -> &str {
        if self.run_id.is_some() {
            &self.country
        } else {
            ""
        }
    }

    /// The time zone the certificate's dates are written in wherever it is shown (the
    /// holder's list, the PDF, the public verification page): the issuing country's,
    /// so the three never name different days.
    pub fn zone(&self) -> crate::accounts::time_zone::TimeZone {
        crate::accounts::time_zone::TimeZone::of_country(crate::accounts::model::Country::from_code(&self.country))
    }

    pub fn course_title(&self, locale: Locale) -> String {
        let titles: course_store::PerLanguage = course_store::parse_json(&self.course_titles);
        i18n::pick_text(&titles, locale).unwrap_or_else(|| self.course_id.clone())
    }
}

/// A code that cannot be guessed: 100 random bits in groups, without look-alikes.
fn new_code() -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let mut bytes = [0u8; 20];
    rand::thread_rng().fill_bytes(&mut bytes);
    let chars: Vec<char> = bytes
        .iter()
        .map(|b| char::from(*ALPHABET.get(usize::from(*b) % ALPHABET.len()).unwrap_or(&b'X')))
        .collect();
    chars
        .chunks(5)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// Re-evaluates a learner's completion after one of its inputs changed: records a
/// new completion, marks the run's enrolment completed and issues the certificate once
/// it is due; then works out again the courses that name this one as a prerequisite.
///
/// Everything happens under the learner's [`Lock::Certification`] (on SQLite, write
/// transactions are serial already), so concurrent checks record one completion and
/// issue one certificate, and a learner never holds two valid certificates of a course.
pub fn refresh(conn: &mut DbConnection, user_id: UserId, course_id: &str, now: NaiveDateTime) -> Result<(), AppError> {
    let Some(user) = user_store::find(conn, user_id)? else {
        return Ok(());
    };
    if user.role != Role::Learner {
        // Staff preview courses; they are not certified for it.
        return Ok(());
    }
    let completed = db::write_transaction(conn, |conn| -> Result<bool, AppError> {
        locks::for_transaction(conn, Lock::Certification(user_id.get()))?;
        settle(conn, &user, course_id, now)
    })?;
    if completed {
        for dependent in course_store::courses_requiring(conn, course_id)? {
            refresh(conn, user_id, &dependent, now)?;
        }
    }
    Ok(())
}

/// Records the learner's completion of a course if they have newly completed it, and
/// issues the certificate it is due; returns whether a completion was recorded.
///
/// A completion is new when none is recorded, or when the learner holds no valid
/// certificate of the course (theirs expired or was revoked, or none was issued) and
/// completes it in a run other than the one of their last completion. Its certificate
/// is issued once the run has started; a completion without a run is certified in the
/// installation's name unless the course says `certificate = "run_only"`.
fn settle(conn: &mut DbConnection, user: &User, course_id: &str, now: NaiveDateTime) -> Result<bool, AppError> {
    let state = completion::evaluate(conn, user.id, course_id, user.locale)?;
    if !state.complete {
        return Ok(false);
    }
    let run = enrolment::certifying_run(conn, user.id, course_id, now.date())?;
    let held = of_user_and_course(conn, user.id, course_id)?;
    let holds_valid = held.iter().any(|c| c.validity(now) == Validity::Valid);
    let new_completion = match completion::recorded(conn, user.id, course_id)? {
        None => {
            diesel::insert_into(course_completions::table)
                .values((
                    course_completions::user_id.eq(user.id),
                    course_completions::course_id.eq(course_id),
                    course_completions::run_id.eq(run.as_ref().map(|r| r.id)),
                    course_completions::completed_at.eq(now),
                ))
                .execute(conn)?;
            true
        }
        Some((last_run, _)) if !holds_valid && run.as_ref().is_some_and(|r| Some(r.id) != last_run) => {
            diesel::update(course_completions::table.find((user.id, course_id)))
                .set((
                    course_completions::run_id.eq(run.as_ref().map(|r| r.id)),
                    course_completions::completed_at.eq(now),
                ))
                .execute(conn)?;
            true
        }
        Some(_) => false,
    };
    if new_completion {
        if let Some(run) = &run {
            enrolment::mark_completed(conn, run.id, user.id)?;
        }
    }
    let Some((run_id, completed_at)) = completion::recorded(conn, user.id, course_id)? else {
        return Ok(new_completion);
    };
    if holds_valid || held.iter().any(|c| c.issued_at >= completed_at) {
        // Certified already, for this completion or an earlier one still valid.
        return Ok(new_completion);
    }
    let course = course_store::find_course(conn, course_id)?.ok_or(AppError::NotFound)?;
    let run = match run_id {
        Some(id) => Some(enrolment::find_run(conn, id)?.ok_or(AppError::NotFound)?),
        None => None,
    };
    let due = match &run {
        // Never before the run has started: the completion waits for its first day.
        Some(run) => run.has_started(now.date()),
        None => certificate_policy(&course)? == CertificatePolicy::Always,
    };
    if due {
        issue(conn, user, &course, run.as_ref(), now)?;
    }
    Ok(new_completion)
}

/// Works out again the completion of every learner admitted to a run, after a change
/// to the run (its attendance requirement, its days, its start or end) that may decide it.
pub fn refresh_run(conn: &mut DbConnection, run: &enrolment::RunRow, now: NaiveDateTime) -> Result<(), AppError> {
    for learner in enrolment::admitted_learners(conn, run.id)? {
        let user_id = learner.user_id;
        refresh(conn, user_id, &run.course_id, now)?;
    }
    Ok(())
}

/// Issues the certificates that waited for their run to start: completions recorded
/// before the first day of a run that has now started. Called by the hourly upkeep;
/// a learner's next completion check (a module, a quiz, `/certificates`) issues theirs
/// too. Returns how many waiting completions it worked out again.
pub fn issue_waiting(conn: &mut DbConnection, now: NaiveDateTime) -> Result<usize, AppError> {
    use crate::db::schema::course_runs;
    let today = now.date();
    // Runs that started within the last weeks: a completion waits only for its start.
    let recent = today - chrono::Duration::days(WAITING_DAYS);
    let recorded: Vec<(UserId, String, NaiveDateTime)> = course_completions::table
        .inner_join(course_runs::table.on(course_completions::run_id.eq(course_runs::id.nullable())))
        .filter(course_runs::starts_on.le(today))
        .filter(course_runs::starts_on.ge(recent))
        .select((
            course_completions::user_id,
            course_completions::course_id,
            course_completions::completed_at,
        ))
        .load(conn)?;
    let mut looked_at = 0;
    for (user_id, course_id, completed_at) in recorded {
        let issued: i64 = certificates::table
            .filter(certificates::user_id.eq(user_id))
            .filter(certificates::course_id.eq(&course_id))
            .filter(certificates::issued_at.ge(completed_at))
            .count()
            .get_result(conn)?;
        if issued == 0 {
            refresh(conn, user_id, &course_id, now)?;
            looked_at += 1;
        }
    }
    Ok(looked_at)
}

/// How far back the hourly upkeep looks for runs whose certificates waited for the start.
const WAITING_DAYS: i64 = 30;

/// `certificate` of the course's settings: `Always` when the course does not say.
fn certificate_policy(course: &course_store::CourseRow) -> Result<CertificatePolicy, AppError> {
    let read = serde_json::from_str::<serde_json::Value>(&course.settings).and_then(|settings| {
        match settings.get("certificate").cloned() {
            None | Some(serde_json::Value::Null) => Ok(CertificatePolicy::default()),
            Some(value) => serde_json::from_value(value),
        }
    });
    read.map_err(|error| {
        tracing::error!(course = %course.id, %error, "the course's stored certificate setting cannot be read");
        AppError::internal(format!(
            "the certificate setting of {} cannot be read: {error}",
            course.id
        ))
    })
}

/// Issues a certificate of `course` for the learner's completion. The run's
/// institution and country issue it; without a run, the installation does (the stored
/// institution and country are then empty), never the learner's own profile.
fn issue(
    conn: &mut DbConnection,
    user: &User,
    course: &course_store::CourseRow,
    run: Option<&enrolment::RunRow>,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    // The institution's name and signatory as they are today stay on the certificate.
    let (institution, signatory) = match run {
        Some(run) => crate::institutions::find_with_signatory(conn, run.institution_id)?
            .map(|(institution, signatory)| (institution.name, signatory))
            .unwrap_or_default(),
        None => Default::default(),
    };
    let country = run.map(|r| r.country.code().to_owned()).unwrap_or_default();
    let valid_years: Option<u32> = serde_json::from_str::<serde_json::Value>(&course.settings)
        .ok()
        .and_then(|v| v.get("valid_years").and_then(serde_json::Value::as_u64))
        .and_then(|y| u32::try_from(y).ok());
    let expires_at =
        valid_years.and_then(|years| now.checked_add_months(chrono::Months::new(years.saturating_mul(12))));
    let code = new_code();
    diesel::insert_into(certificates::table)
        .values((
            certificates::code.eq(&code),
            certificates::user_id.eq(user.id),
            certificates::course_id.eq(&course.id),
            certificates::run_id.eq(run.map(|r| r.id)),
            certificates::holder_name.eq(&user.name),
            certificates::course_titles.eq(&course.titles),
            certificates::institution.eq(institution),
            certificates::country.eq(country),
            certificates::hours.eq(course.hours),
            certificates::issued_at.eq(now),
            certificates::expires_at.eq(expires_at),
            certificates::signatory_name.eq(&signatory.name),
            certificates::signatory_position.eq(&signatory.position),
            certificates::period_starts.eq(run.map(|r| r.starts_on)),
            certificates::period_ends.eq(run.map(|r| r.ends_on)),
        ))
        .execute(conn)?;
    // The system issues: a completion, not a person, decides it.
    audit::record(
        conn,
        audit::Entry {
            actor: None,
            action: audit::Action::CertificateIssued,
            subject: format!("certificate:{code}"),
            details: serde_json::json!({
                "holder_id": user.id,
                "course_id": course.id,
                "run_id": run.map(|r| r.id),
                "expires_at": expires_at,
            }),
        },
        now,
    )
}

/// Whether the learner holds a valid certificate of the course.
pub fn holds_valid(
    conn: &mut DbConnection,
    user_id: UserId,
    course_id: &str,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    Ok(of_user_and_course(conn, user_id, course_id)?
        .iter()
        .any(|c| c.validity(now) == Validity::Valid))
}

/// Why a learner whose completion is recorded holds no valid certificate of the course
/// yet, as `/certificates` tells them: their run has not started (the certificate is
/// issued from its first day), or the course certifies learners of runs only.
pub fn waiting_reason(
    conn: &mut DbConnection,
    user_id: UserId,
    course_id: &str,
    now: NaiveDateTime,
    locale: Locale,
) -> Result<Option<String>, AppError> {
    if holds_valid(conn, user_id, course_id, now)? {
        return Ok(None);
    }
    let Some((run_id, _)) = completion::recorded(conn, user_id, course_id)? else {
        return Ok(None);
    };
    match run_id {
        Some(run_id) => {
            let run = enrolment::find_run(conn, run_id)?.ok_or(AppError::NotFound)?;
            Ok((!run.has_started(now.date())).then(|| {
                let date = i18n::format_date(locale, run.starts_on);
                i18n::t_with(locale, "certificates.waits_for_start", &[("date", &date)])
            }))
        }
        None => {
            let course = course_store::find_course(conn, course_id)?.ok_or(AppError::NotFound)?;
            Ok((certificate_policy(&course)? == CertificatePolicy::RunOnly)
                .then(|| i18n::t(locale, "certificates.run_only")))
        }
    }
}

/// The learner's certificates of one course, the newest first.
fn of_user_and_course(conn: &mut DbConnection, user_id: UserId, course_id: &str) -> Result<Vec<Certificate>, AppError> {
    Ok(certificates::table
        .filter(certificates::user_id.eq(user_id))
        .filter(certificates::course_id.eq(course_id))
        .order(certificates::issued_at.desc())
        .select(Certificate::as_select())
        .load(conn)?)
}

pub fn find(conn: &mut DbConnection, code: &str) -> Result<Option<Certificate>, AppError> {
    Ok(certificates::table
        .find(code.trim().to_ascii_uppercase())
        .select(Certificate::as_select())
        .first(conn)
        .optional()?)
}

pub fn of_user(conn: &mut DbConnection, user_id: UserId) -> Result<Vec<Certificate>, AppError> {
    Ok(certificates::table
        .filter(certificates::user_id.eq(user_id))
        .order(certificates::issued_at.desc())
        .select(Certificate::as_select())
        .load(conn)?)
}

/// Whether `user` may see a certificate's PDF and revoke it: its holder (see only),
/// an administrator, or a coordinator of the holder's or the run's institution.
pub fn may_manage(conn: &mut DbConnection, user: &User, certificate: &Certificate) -> Result<bool, AppError> {
    if user.role == Role::Admin {
        return Ok(true);
    }
    if user.role != Role::Coordinator {
        return Ok(false);
    }
    let Some(own) = user.institution_id else {
        return Ok(false);
    };
    let run_institution = match certificate.run_id {
        Some(run) => enrolment::find_run(conn, run)?.map(|r| r.institution_id),
        None => None,
    };
    let holder_institution = user_store::find(conn, certificate.user_id)?.and_then(|u| u.institution_id);
    Ok(run_institution == Some(own) || holder_institution == Some(own))
}

/// Revokes a certificate with a reason; another institution's certificate is not found.
pub fn revoke(
    conn: &mut DbConnection,
    user: &User,
    code: &str,
    reason: &str,
    now: NaiveDateTime,
) -> Result<Certificate, AppError> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 1000 {
        return Err(AppError::BadRequest("certificates.reason_missing"));
    }
    // The API takes any JSON string: a NUL or escape sequence in a reason that is
    // shown and mailed is refused, as it is in forms.
    if reason.chars().any(crate::validation::is_forbidden_control) {
        return Err(AppError::BadRequest("validation.control_characters"));
    }
    let certificate = find(conn, code)?.ok_or(AppError::NotFound)?;
    if !may_manage(conn, user, &certificate)? {
        return Err(AppError::NotFound);
    }
    db::write_transaction(conn, |conn| {
        // Only a standing certificate is revoked: of two revocations at once, the
        // second finds it revoked already.
        let revoked = diesel::update(
            certificates::table
                .find(&certificate.code)
                .filter(certificates::revoked_at.is_null()),
        )
        .set((
            certificates::revoked_at.eq(now),
            certificates::revoked_reason.eq(reason),
            certificates::revoked_by.eq(user.id),
        ))
        .execute(conn)?;
        if revoked == 0 {
            return Err(AppError::Conflict("certificates.already_revoked"));
        }
        // The reason is free text and stays on the certificate; the log keeps ids.
        audit::record(
            conn,
            audit::Entry {
                actor: Some(user.id),
                action: audit::Action::CertificateRevoked,
                subject: format!("certificate:{}", certificate.code),
                details: serde_json::json!({ "holder_id": certificate.user_id, "course_id": certificate.course_id }),
            },
            now,
        )?;
        find(conn, &certificate.code)?.ok_or(AppError::NotFound)
    })
}

/// The claims of the signed credential.
#[derive(Debug, Serialize, serde::Deserialize, PartialEq)]
pub struct CredentialClaims {
    pub iss: String,
    pub sub: String,
    pub jti: String,
    pub iat: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    pub name: String,
    pub course_id: String,
    pub course: String,
    pub institution: String,
    pub country: String,
    pub hours: f64,
    pub status: Validity,
}

/// The claims of a certificate's credential: `issuer` is the installation's public
/// address, `site_name` its name, which issues certificates earned without a run.
pub fn credential(certificate: &Certificate, issuer: &str, site_name: &str, now: NaiveDateTime) -> CredentialClaims {
    CredentialClaims {
        iss: issuer.to_owned(),
        sub: format!("{issuer}/verify/{}", certificate.code),
        jti: certificate.code.clone(),
        iat: certificate.issued_at.and_utc().timestamp(),
        exp: certificate.expires_at.map(|e| e.and_utc().timestamp()),
        name: certificate.holder_name.clone(),
        course_id: certificate.course_id.clone(),
        course: certificate.course_title(Locale::En),
        institution: certificate.issuer(site_name),
        country: certificate.issuer_country().to_owned(),
        hours: certificate.hours,
        status: certificate.validity(now),
    }
}

/// The learner's certificates as `/api/v1/me/certificates` lists them.
#[derive(Debug, Serialize)]
pub struct CertificateJson {
    pub code: String,
    pub course_id: String,
    pub run_id: Option<enrolment::RunId>,
    pub issued_at: String,
}

impl From<&Certificate> for CertificateJson {
    fn from(c: &Certificate) -> Self {
        CertificateJson {
            code: c.code.clone(),
            course_id: c.course_id.clone(),
            run_id: c.run_id,
            issued_at: c.issued_at.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        }
    }
}

pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

/// How many holders one pass of the mail worker tells about their new certificate.
const NOTICE_BATCH: i64 = 50;

/// Tells the holders of newly issued certificates, by email in their language, that
/// the certificate is ready, once each. The mail worker of every instance calls this;
/// marking the certificate told and queuing the message happen in one transaction,
/// and only the instance whose mark takes effect queues it.
pub fn queue_issued_notices(
    conn: &mut DbConnection,
    mail: &MailSettings,
    now: NaiveDateTime,
) -> Result<usize, AppError> {
    let waiting: Vec<Certificate> = certificates::table
        .filter(certificates::notified_at.is_null())
        .filter(certificates::revoked_at.is_null())
        .order(certificates::issued_at.asc())
        .limit(NOTICE_BATCH)
        .select(Certificate::as_select())
        .load(conn)?;
    let mut queued = 0;
    for certificate in waiting {
        db::write_transaction(conn, |conn| -> Result<(), AppError> {
            let marked = diesel::update(certificates::table.find(&certificate.code))
                .filter(certificates::notified_at.is_null())
                .set(certificates::notified_at.eq(now))
                .execute(conn)?;
            let Some(holder) = user_store::find(conn, certificate.user_id)?.filter(|_| marked == 1) else {
                return Ok(());
            };
            mail.queue(
                conn,
                &Email {
                    args: vec![
                        ("course", certificate.course_title(holder.locale)),
                        ("code", certificate.code.clone()),
                    ],
                    dedupe_key: Some(format!("certificate-issued-{}", certificate.code)),
                    ..Email::to_user(
                        &holder,
                        mail::Kind::CertificateIssued,
                        mail.link("/certificates", holder.locale),
                    )
                },
            )?;
            queued += 1;
            Ok(())
        })?;
    }
    Ok(queued)
}
