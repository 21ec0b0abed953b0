//! Localised email through a queue that never loses a message.
//!
//! Messages are rendered in the recipient's language and written to the `outbox`
//! table in the same transaction as the change they announce. A background worker
//! delivers them: over SMTP when `BILIM_SMTP_URL` is set, otherwise as `.eml` files in
//! `<data dir>/outbox/`. Each message is claimed before sending (on PostgreSQL with
//! `FOR UPDATE SKIP LOCKED`), so with several instances each message is sent by one
//! of them; a failure is retried with exponential backoff. A crash between sending and
//! recording leaves the claim to expire and the message to be sent again with the same
//! Message-ID, which mail systems treat as the same message.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::Transport;
use rand::RngCore;
use tera::Tera;

use crate::db::schema::outbox;
use crate::db::{self, DbConnection, DbPool};
use crate::error::AppError;
use crate::i18n::{self, Locale};

/// How long a claimed message stays reserved for the instance sending it.
const CLAIM_SECONDS: i64 = 120;
/// After this many failed attempts a message is marked failed and left for an operator.
const MAX_ATTEMPTS: i32 = 12;
const BATCH: i64 = 20;

/// What kind of message: each has a text and an HTML template in `templates/mail/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    VerifyEmail,
    Invitation,
    PasswordReset,
    EnrolmentRequested,
    EnrolmentApproved,
    EnrolmentRejected,
    EnrolmentWaitlisted,
    EnrolmentPromoted,
    EnrolmentInvited,
    RunStartingSoon,
    CertificateIssued,
    RegistrationAttempt,
    AuthoringDigest,
    StaffInvitation,
}

impl Kind {
    pub const ALL: [Kind; 14] = [
        Kind::VerifyEmail,
        Kind::Invitation,
        Kind::PasswordReset,
        Kind::EnrolmentRequested,
        Kind::EnrolmentApproved,
        Kind::EnrolmentRejected,
        Kind::EnrolmentWaitlisted,
        Kind::EnrolmentPromoted,
        Kind::EnrolmentInvited,
        Kind::RunStartingSoon,
        Kind::CertificateIssued,
        Kind::RegistrationAttempt,
        Kind::AuthoringDigest,
        Kind::StaffInvitation,
    ];

    /// Names the message's templates, `templates/mail/<key>.txt` and `.html`, which
    /// name its texts in `locales/`.
    pub fn key(self) -> &'static str {
        match self {
            Kind::VerifyEmail => "verify_email",
            Kind::Invitation => "invitation",
            Kind::PasswordReset => "password_reset",
            Kind::EnrolmentRequested => "enrolment_requested",
            Kind::EnrolmentApproved => "enrolment_approved",
            Kind::EnrolmentRejected => "enrolment_rejected",
            Kind::EnrolmentWaitlisted => "enrolment_waitlisted",
            Kind::EnrolmentPromoted => "enrolment_promoted",
            Kind::EnrolmentInvited => "enrolment_invited",
            Kind::RunStartingSoon => "run_starting_soon",
            Kind::CertificateIssued => "certificate_issued",
            Kind::RegistrationAttempt => "registration_attempt",
            Kind::AuthoringDigest => "authoring_digest",
            Kind::StaffInvitation => "staff_invitation",
        }
    }

    /// The subject's text in `locales/`; every placeholder of the message fills it.
    fn subject_key(self) -> &'static str {
        match self {
            Kind::VerifyEmail => "mail.verify_email.subject",
            Kind::Invitation => "mail.invitation.subject",
            Kind::PasswordReset => "mail.password_reset.subject",
            Kind::EnrolmentRequested => "mail.enrolment_requested.subject",
            Kind::EnrolmentApproved => "mail.enrolment_approved.subject",
            Kind::EnrolmentRejected => "mail.enrolment_rejected.subject",
            Kind::EnrolmentWaitlisted => "mail.enrolment_waitlisted.subject",
            Kind::EnrolmentPromoted => "mail.enrolment_promoted.subject",
            Kind::EnrolmentInvited => "mail.enrolment_invited.subject",
            Kind::RunStartingSoon => "mail.run_starting_soon.subject",
            Kind::CertificateIssued => "mail.certificate_issued.subject",
            Kind::RegistrationAttempt => "mail.registration_attempt.subject",
            Kind::AuthoringDigest => "mail.authoring_digest.subject",
            Kind::StaffInvitation => "mail.staff_invitation.subject",
        }
    }
}

/// A message to queue: who gets it, in which language, and what fills its texts.
pub struct Email {
    pub to: String,
    pub name: String,
    pub locale: Locale,
    pub kind: Kind,
    /// Variables of its templates, which fill the placeholders of the same name.
    pub args: Vec<(&'static str, String)>,
    /// A link the message asks the reader to follow.
    pub link: Option<String>,
    /// Queued at most once under this key (a reminder per run and learner, …).
    pub dedupe_key: Option<String>,
}

impl Email {
    /// A message of `kind` to `user`, in their language, with a link to follow and
    /// no placeholders; set `args` and `dedupe_key` with struct update syntax.
    pub fn to_user(user: &crate::accounts::model::User, kind: Kind, link: String) -> Email {
        Email {
            to: user.email.clone(),
            name: user.name.clone(),
            locale: user.locale,
            kind,
            args: Vec::new(),
            link: Some(link),
            dedupe_key: None,
        }
    }
}

pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

fn new_message_id(domain: &str) -> String {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    let id: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("<{id}@{domain}>")
}

/// Deletes every message to `address`, sent or waiting: their bodies name the person.
/// Returns how many were deleted.
pub fn forget_mail_to(conn: &mut DbConnection, address: &str) -> Result<usize, AppError> {
    Ok(diesel::delete(outbox::table.filter(outbox::recipient.eq(address))).execute(conn)?)
}

/// Adds a message to the outbox, in the caller's transaction. A message with a
/// dedupe key already queued is not queued again.
fn enqueue(conn: &mut DbConnection, email: &Email, settings: &MailSettings) -> Result<(), AppError> {
    if let Some(key) = &email.dedupe_key {
        let exists: i64 = outbox::table
            .filter(outbox::dedupe_key.eq(key))
            .count()
            .get_result(conn)?;
        if exists > 0 {
            return Ok(());
        }
    }
    let rendered = settings.render(email)?;
    let now = Utc::now().naive_utc();
    diesel::insert_into(outbox::table)
        .values((
            outbox::recipient.eq(&email.to),
            outbox::subject.eq(&rendered.subject),
            outbox::text_body.eq(&rendered.text),
            outbox::html_body.eq(&rendered.html),
            outbox::message_id.eq(new_message_id(&settings.domain)),
            outbox::dedupe_key.eq(&email.dedupe_key),
            outbox::status.eq("pending"),
            outbox::attempts.eq(0),
            outbox::next_attempt_at.eq(now),
            outbox::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Where mail goes.
pub enum Delivery {
    Smtp(Box<lettre::SmtpTransport>),
    Files(PathBuf),
}

#[derive(Debug, thiserror::Error)]
pub enum MailSetupError {
    #[error("BILIM_SMTP_URL is not a valid SMTP address: {0}")]
    SmtpUrl(String),
    #[error("cannot create the outbox folder {0}: {1}")]
    Folder(String, std::io::Error),
}

impl Delivery {
    /// SMTP when a URL is given (`smtp://host:25`, `smtp://user:pass@host:587?tls=required`
    /// for STARTTLS, `smtps://user:pass@host:465` for TLS), else `.eml` files.
    pub fn new(smtp_url: Option<&str>, outbox_dir: PathBuf) -> Result<Delivery, MailSetupError> {
        match smtp_url {
            Some(url) => {
                let transport = lettre::SmtpTransport::from_url(url)
                    .map_err(|e| MailSetupError::SmtpUrl(e.to_string()))?
                    .timeout(Some(Duration::from_secs(20)))
                    .build();
                Ok(Delivery::Smtp(Box::new(transport)))
            }
            None => {
                std::fs::create_dir_all(&outbox_dir)
                    .map_err(|e| MailSetupError::Folder(outbox_dir.display().to_string(), e))?;
                Ok(Delivery::Files(outbox_dir))
            }
        }
    }

    fn send(&self, message: &lettre::Message) -> Result<(), String> {
        match self {
            Delivery::Smtp(transport) => transport.send(message).map(|_| ()).map_err(|e| e.to_string()),
            Delivery::Files(dir) => lettre::FileTransport::new(dir)
                .send(message)
                .map(|_| ())
                .map_err(|e| e.to_string()),
        }
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryReport {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
}

#[derive(diesel::QueryableByName)]
struct ClaimedId {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}

/// Reserves due messages for this instance. On PostgreSQL rows locked by another
/// instance's claim are skipped rather than waited for.
fn claim(conn: &mut DbConnection, instance: &str, now: NaiveDateTime) -> Result<Vec<i64>, AppError> {
    let until = now + chrono::Duration::seconds(CLAIM_SECONDS);
    match conn {
        DbConnection::Postgresql(pg) => {
            let claimed: Vec<ClaimedId> = diesel::sql_query(
                "UPDATE outbox SET locked_until = $1, locked_by = $2 WHERE id IN (\
                 SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= $3 \
                 AND (locked_until IS NULL OR locked_until < $3) ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED) \
                 RETURNING id",
            )
            .bind::<diesel::sql_types::Timestamp, _>(until)
            .bind::<diesel::sql_types::Text, _>(instance)
            .bind::<diesel::sql_types::Timestamp, _>(now)
            .bind::<diesel::sql_types::BigInt, _>(BATCH)
            .load(pg)?;
            Ok(claimed.into_iter().map(|c| c.id).collect())
        }
        DbConnection::Sqlite(_) => db::write_transaction(conn, |conn| {
            let due: Vec<i64> = outbox::table
                .filter(outbox::status.eq("pending"))
                .filter(outbox::next_attempt_at.le(now))
                .filter(outbox::locked_until.is_null().or(outbox::locked_until.lt(now)))
                .order(outbox::id.asc())
                .limit(BATCH)
                .select(outbox::id)
                .load(conn)?;
            diesel::update(outbox::table.filter(outbox::id.eq_any(&due)))
                .set((outbox::locked_until.eq(until), outbox::locked_by.eq(instance)))
                .execute(conn)?;
            Ok(due)
        }),
    }
}

fn build_message(
    from: &Mailbox,
    recipient: &str,
    subject: &str,
    text: &str,
    html: &str,
    message_id: &str,
) -> Result<lettre::Message, String> {
    let to: Mailbox = recipient.parse().map_err(|e| format!("invalid recipient: {e}"))?;
    lettre::Message::builder()
        .from(from.clone())
        .to(to)
        .subject(subject)
        .message_id(Some(message_id.to_owned()))
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(text.to_owned()),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(html.to_owned()),
                ),
        )
        .map_err(|e| e.to_string())
}

/// Minutes to wait after the n-th failure: 1, 2, 4 … up to an hour.
fn backoff(attempts: i32) -> chrono::Duration {
    let exponent = u32::try_from((attempts - 1).clamp(0, 6)).unwrap_or(6);
    chrono::Duration::minutes(2_i64.pow(exponent).min(60))
}

/// Renews this instance's claim on one message just before sending it, and says
/// whether the claim still holds. A batch can take longer than a claim lasts (twenty
/// messages, each allowed a 20-second SMTP timeout, against 120 seconds): once a claim
/// has run out another instance may have taken the message, so it is left to them.
fn renew_claim(conn: &mut DbConnection, id: i64, instance: &str, at: NaiveDateTime) -> Result<bool, AppError> {
    let renewed = diesel::update(
        outbox::table
            .find(id)
            .filter(outbox::status.eq("pending"))
            .filter(outbox::locked_by.eq(instance))
            .filter(outbox::locked_until.ge(at)),
    )
    .set(outbox::locked_until.eq(at + chrono::Duration::seconds(CLAIM_SECONDS)))
    .execute(conn)?;
    Ok(renewed == 1)
}

/// Reserves the messages due at `now` for `instance` (see [`deliver_claimed`]).
pub fn claim_due(pool: &DbPool, instance: &str, now: NaiveDateTime) -> Result<Vec<i64>, AppError> {
    claim(&mut *pool.get()?, instance, now)
}

/// Sends the messages that are due; each is claimed first, so concurrent workers
/// never send the same message.
pub fn deliver_due(
    pool: &DbPool,
    delivery: &Delivery,
    from: &Mailbox,
    instance: &str,
    now: NaiveDateTime,
) -> Result<DeliveryReport, AppError> {
    let ids = claim_due(pool, instance, now)?;
    deliver_claimed(pool, delivery, from, instance, &ids, now)
}

/// Sends the messages `instance` claimed at `now`, each only while its claim holds.
pub fn deliver_claimed(
    pool: &DbPool,
    delivery: &Delivery,
    from: &Mailbox,
    instance: &str,
    ids: &[i64],
    now: NaiveDateTime,
) -> Result<DeliveryReport, AppError> {
    let mut conn = pool.get()?;
    let mut report = DeliveryReport::default();
    // The moment as the batch goes on: `now`, plus the time sending has taken.
    let started = std::time::Instant::now();
    let moment = || now + chrono::Duration::from_std(started.elapsed()).unwrap_or_default();
    for &id in ids {
        if !renew_claim(&mut conn, id, instance, moment())? {
            continue;
        }
        let row: Option<(String, String, String, String, String, i32)> = outbox::table
            .find(id)
            .select((
                outbox::recipient,
                outbox::subject,
                outbox::text_body,
                outbox::html_body,
                outbox::message_id,
                outbox::attempts,
            ))
            .first(&mut conn)
            .optional()?;
        // Deleted meanwhile (an erasure): nothing to send.
        let Some((recipient, subject, text, html, message_id, attempts)) = row else {
            continue;
        };
        let outcome =
            build_message(from, &recipient, &subject, &text, &html, &message_id).and_then(|m| delivery.send(&m));
        match outcome {
            Ok(()) => {
                diesel::update(outbox::table.find(id))
                    .set((
                        outbox::status.eq("sent"),
                        outbox::sent_at.eq(Utc::now().naive_utc()),
                        outbox::attempts.eq(attempts + 1),
                        outbox::locked_until.eq(None::<NaiveDateTime>),
                        outbox::last_error.eq(None::<String>),
                    ))
                    .execute(&mut conn)?;
                report.sent += 1;
            }
            Err(error) => {
                let attempts = attempts + 1;
                let status = if attempts >= MAX_ATTEMPTS { "failed" } else { "pending" };
                tracing::warn!(outbox_id = id, attempts, %error, "sending mail failed");
                diesel::update(outbox::table.find(id))
                    .set((
                        outbox::status.eq(status),
                        outbox::attempts.eq(attempts),
                        outbox::next_attempt_at.eq(moment() + backoff(attempts)),
                        outbox::locked_until.eq(None::<NaiveDateTime>),
                        outbox::last_error.eq(Some(error.chars().take(500).collect::<String>())),
                    ))
                    .execute(&mut conn)?;
                if status == "failed" {
                    report.failed += 1;
                } else {
                    report.retrying += 1;
                }
            }
        }
    }
    Ok(report)
}

/// Mail settings shared by the queue's producers and its worker.
#[derive(Clone)]
pub struct MailSettings {
    pub from: Mailbox,
    pub domain: String,
    pub site_name: String,
    pub public_url: String,
    /// The pages' templates, built once, which hold the messages' too.
    pub tera: Arc<Tera>,
}

impl MailSettings {
    pub fn new(from: &str, site_name: &str, public_url: &str, tera: Arc<Tera>) -> Result<MailSettings, String> {
        let from: Mailbox = from
            .parse()
            .map_err(|e| format!("BILIM_MAIL_FROM is not an address: {e}"))?;
        let domain = from.email.domain().to_owned();
        Ok(MailSettings {
            from,
            domain,
            site_name: site_name.to_owned(),
            public_url: public_url.to_owned(),
            tera,
        })
    }

    pub fn queue(&self, conn: &mut DbConnection, email: &Email) -> Result<(), AppError> {
        enqueue(conn, email, self)
    }

    /// The message's subject, plain text and HTML in the recipient's language. The
    /// bodies come from `templates/mail/<kind>.txt` and `.html`, rendered by the pages'
    /// tera instance, so the HTML part is escaped exactly as the pages are.
    pub fn render(&self, email: &Email) -> Result<Rendered, AppError> {
        let locale = email.locale;
        let mut args: Vec<(&str, &str)> = email.args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        args.push(("site", self.site_name.as_str()));
        args.push(("name", email.name.as_str()));
        let subject = i18n::t_with(locale, email.kind.subject_key(), &args);
        let mut context = tera::Context::new();
        for (name, value) in &email.args {
            context.insert(*name, value);
        }
        context.insert("lang", locale.code());
        context.insert("site", self.site_name.as_str());
        context.insert("name", &email.name);
        context.insert("subject", &subject);
        context.insert("link", &email.link);
        let key = email.kind.key();
        let text = self.tera.render(&format!("mail/{key}.txt"), &context)?;
        let html = self.tera.render(&format!("mail/{key}.html"), &context)?;
        Ok(Rendered { subject, text, html })
    }

    /// The address of `path` on this site for a reader of `locale`: it carries
    /// `lang=`, so the page it opens is in the recipient's language whatever their
    /// browser asks for (and the switcher's cookie remembers it).
    pub fn link(&self, path: &str, locale: Locale) -> String {
        let (path, fragment) = match path.split_once('#') {
            Some((path, fragment)) => (path, format!("#{fragment}")),
            None => (path, String::new()),
        };
        let separator = if path.contains('?') { '&' } else { '?' };
        format!("{}{path}{separator}lang={}{fragment}", self.public_url, locale.code())
    }
}

/// Runs the delivery loop on its own thread, every few seconds, for the life of the
/// process. Also queues reminders for runs starting soon, certificate notices and the
/// daily authoring digest.
pub fn spawn_worker(
    pool: DbPool,
    delivery: Delivery,
    settings: MailSettings,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    let mut bytes = [0u8; 6];
    rand::thread_rng().fill_bytes(&mut bytes);
    let instance: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    std::thread::Builder::new()
        .name("bilim-mail".into())
        .spawn(move || loop {
            let now = Utc::now().naive_utc();
            if let Ok(mut conn) = pool.get() {
                if let Err(error) = crate::enrolment::queue_start_reminders(&mut conn, &settings, now) {
                    tracing::error!(%error, "queuing run reminders failed");
                }
                if let Err(error) = crate::certificates::queue_issued_notices(&mut conn, &settings, now) {
                    tracing::error!(%error, "queuing certificate notices failed");
                }
                if let Err(error) = crate::authoring::digest::queue_daily(&mut conn, &settings, now) {
                    tracing::error!(%error, "queuing the authoring digest failed");
                }
            }
            match deliver_due(&pool, &delivery, &settings.from, &instance, now) {
                Ok(report) if report.sent + report.retrying + report.failed > 0 => {
                    tracing::info!(
                        sent = report.sent,
                        retrying = report.retrying,
                        failed = report.failed,
                        "mail delivered"
                    );
                }
                Ok(_) => {}
                Err(error) => tracing::error!(%error, "mail delivery failed"),
            }
            std::thread::sleep(Duration::from_secs(5));
        })
}
