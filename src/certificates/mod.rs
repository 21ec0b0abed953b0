//! Completion and verifiable certificates. A certificate is issued once, when a
//! learner completes a course, with an unguessable code; anyone can check it at
//! `/verify/<code>` or offline as an Ed25519-signed JWT.

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
use crate::courses::store as course_store;
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

/// Re-evaluates a learner's completion after one of its inputs changed; records a new
/// completion, marks the run's enrolment completed and issues the certificate, once.
pub fn refresh(conn: &mut DbConnection, user_id: UserId, course_id: &str, now: NaiveDateTime) -> Result<(), AppError> {
    let Some(user) = user_store::find(conn, user_id)? else {
        return Ok(());
    };
    if user.role != Role::Learner {
        // Staff preview courses; they are not certified for it.
        return Ok(());
    }
    let state = completion::evaluate(conn, user_id, course_id, user.locale)?;
    if !state.complete || state.completed_at.is_some() {
        return Ok(());
    }
    let run = enrolment::latest_admitted_run(conn, user_id, course_id)?;
    // In a savepoint of its own: on PostgreSQL a unique violation would otherwise abort
    // the caller's whole transaction, such as a register being saved.
    let inserted = db::write_transaction(conn, |conn| {
        diesel::insert_into(course_completions::table)
            .values((
                course_completions::user_id.eq(user_id),
                course_completions::course_id.eq(course_id),
                course_completions::run_id.eq(run.as_ref().map(|r| r.id)),
                course_completions::completed_at.eq(now),
            ))
            .execute(conn)
    });
    match inserted {
        Ok(_) => {}
        // Completed by a concurrent request: that request issues the certificate.
        Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)) => {
            return Ok(())
        }
        Err(other) => return Err(other.into()),
    }
    if let Some(run) = &run {
        enrolment::mark_completed(conn, run.id, user_id)?;
    }
    issue(conn, &user, course_id, run.as_ref(), now)?;
    Ok(())
}

/// Works out again the completion of every learner admitted to a run, after a change
/// to the run (its attendance requirement, its days, its end) that may decide it.
pub fn refresh_run(conn: &mut DbConnection, run: &enrolment::RunRow, now: NaiveDateTime) -> Result<(), AppError> {
    for learner in enrolment::admitted_learners(conn, run.id)? {
        let user_id = learner.user_id;
        refresh(conn, user_id, &run.course_id, now)?;
    }
    Ok(())
}

fn issue(
    conn: &mut DbConnection,
    user: &User,
    course_id: &str,
    run: Option<&enrolment::RunRow>,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let course = course_store::find_course(conn, course_id)?.ok_or(AppError::NotFound)?;
    let institution_id = run.map(|r| r.institution_id).or(user.institution_id);
    let institution = match institution_id {
        Some(id) => crate::institutions::find(conn, id)?.map(|i| i.name).unwrap_or_default(),
        None => String::new(),
    };
    let country = run
        .map(|r| r.country)
        .or(user.country)
        .map(|c| c.code().to_owned())
        .unwrap_or_default();
    let valid_years: Option<u32> = serde_json::from_str::<serde_json::Value>(&course.settings)
        .ok()
        .and_then(|v| v.get("valid_years").and_then(serde_json::Value::as_u64))
        .and_then(|y| u32::try_from(y).ok());
    let expires_at =
        valid_years.and_then(|years| now.checked_add_months(chrono::Months::new(years.saturating_mul(12))));
    // In a savepoint of its own: on PostgreSQL a unique violation would otherwise abort
    // the caller's whole transaction, such as a register being saved.
    let inserted = db::write_transaction(conn, |conn| {
        diesel::insert_into(certificates::table)
            .values((
                certificates::code.eq(new_code()),
                certificates::user_id.eq(user.id),
                certificates::course_id.eq(course_id),
                certificates::run_id.eq(run.map(|r| r.id)),
                certificates::holder_name.eq(&user.name),
                certificates::course_titles.eq(&course.titles),
                certificates::institution.eq(institution),
                certificates::country.eq(country),
                certificates::hours.eq(course.hours),
                certificates::issued_at.eq(now),
                certificates::expires_at.eq(expires_at),
            ))
            .execute(conn)
    });
    match inserted {
        Ok(_) => Ok(()),
        // One certificate per learner and course: a second issue is a no-op.
        Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)) => Ok(()),
        Err(other) => Err(other.into()),
    }
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
    let certificate = find(conn, code)?.ok_or(AppError::NotFound)?;
    if !may_manage(conn, user, &certificate)? {
        return Err(AppError::NotFound);
    }
    if certificate.revoked_at.is_some() {
        return Err(AppError::Conflict("certificates.already_revoked"));
    }
    diesel::update(certificates::table.find(&certificate.code))
        .set((
            certificates::revoked_at.eq(now),
            certificates::revoked_reason.eq(reason),
            certificates::revoked_by.eq(user.id),
        ))
        .execute(conn)?;
    find(conn, &certificate.code)?.ok_or(AppError::NotFound)
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

pub fn credential(certificate: &Certificate, issuer: &str, now: NaiveDateTime) -> CredentialClaims {
    CredentialClaims {
        iss: issuer.to_owned(),
        sub: format!("{issuer}/verify/{}", certificate.code),
        jti: certificate.code.clone(),
        iat: certificate.issued_at.and_utc().timestamp(),
        exp: certificate.expires_at.map(|e| e.and_utc().timestamp()),
        name: certificate.holder_name.clone(),
        course_id: certificate.course_id.clone(),
        course: certificate.course_title(Locale::En),
        institution: certificate.institution.clone(),
        country: certificate.country.clone(),
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
                    ..Email::to_user(&holder, mail::Kind::CertificateIssued, mail.link("/certificates"))
                },
            )?;
            queued += 1;
            Ok(())
        })?;
    }
    Ok(queued)
}
