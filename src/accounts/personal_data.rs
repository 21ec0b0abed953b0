//! A person's own data: everything Bilim holds about them, downloaded as JSON
//! (`GET /api/v1/me/export`, or the button on `/profile`), and an administrator's
//! erasure of it. Erasure keeps what the anonymous figures need (country,
//! institution, category, gender, statuses, scores, dates) and the certificates
//! issued, which must stay verifiable for whoever holds them; it removes the name,
//! address, password, what the person wrote and what was written about them, and the
//! mail sent to them.

use chrono::{NaiveDateTime, Utc};
use serde::Serialize;

use crate::accounts::model::{Category, Country, Gender, Role, User, UserId};
use crate::accounts::{store, tokens, two_factor};
use crate::audit;
use crate::certificates::{self, Certificate};
use crate::db::locks::{self, Lock};
use crate::db::{self, DbConnection};
use crate::enrolment::personal_data::{self as enrolment_data, EnrolmentExport};
use crate::error::{AppError, AppResult};
use crate::i18n::Locale;
use crate::institutions::{self, InstitutionId};
use crate::mail;
use crate::quizzes::personal_data::{self as quiz_data, AttemptExport};

/// The account itself.
#[derive(Debug, Serialize)]
pub struct ProfileExport {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub country: Option<Country>,
    pub institution_id: Option<InstitutionId>,
    pub institution: Option<String>,
    pub category: Category,
    pub gender: Option<Gender>,
    pub locale: Locale,
    /// The time zone chosen in the profile; none when times follow the country.
    pub time_zone: Option<crate::accounts::time_zone::TimeZone>,
    pub created_at: NaiveDateTime,
    /// The position a coordinator's upload recorded, if any.
    pub position: Option<String>,
    pub email_verified_at: Option<NaiveDateTime>,
}

/// Everything held about one person (a contract: these four keys).
#[derive(Debug, Serialize)]
pub struct Export {
    pub profile: ProfileExport,
    pub enrolments: Vec<EnrolmentExport>,
    pub attempts: Vec<AttemptExport>,
    /// The certificates as issued, without who revoked one (another person's id).
    pub certificates: Vec<serde_json::Value>,
}

/// Everything held about `user`.
pub fn export(conn: &mut DbConnection, user: &User) -> AppResult<Export> {
    let extra = store::export_details(conn, user.id)?;
    let institution = match user.institution_id {
        Some(id) => institutions::find(conn, id)?.map(|i| i.name),
        None => None,
    };
    Ok(Export {
        profile: ProfileExport {
            id: user.id,
            email: user.email.clone(),
            name: user.name.clone(),
            role: user.role,
            country: user.country,
            institution_id: user.institution_id,
            institution,
            category: user.category,
            gender: user.gender,
            locale: user.locale,
            time_zone: user.time_zone,
            created_at: user.created_at,
            position: extra.0,
            email_verified_at: extra.1,
        },
        enrolments: enrolment_data::export_of(conn, user.id)?,
        attempts: quiz_data::export_of(conn, user.id)?,
        certificates: certificates::of_user(conn, user.id)?
            .iter()
            .map(own_certificate)
            .collect::<AppResult<Vec<_>>>()?,
    })
}

/// A certificate as its holder downloads it: all it says, but not who revoked it.
fn own_certificate(certificate: &Certificate) -> AppResult<serde_json::Value> {
    let mut value = serde_json::to_value(certificate).map_err(AppError::internal)?;
    if let Some(fields) = value.as_object_mut() {
        fields.remove("revoked_by");
    }
    Ok(value)
}

/// An administrator erases `subject`'s personal data (see the module's notes). Not
/// their own (another administrator must), and never the last administrator's.
pub fn erase(conn: &mut DbConnection, admin: &User, subject: UserId) -> AppResult<()> {
    if admin.id == subject {
        return Err(AppError::Conflict("admin.cannot_erase_self"));
    }
    db::write_transaction(conn, |conn| {
        locks::for_transaction(conn, Lock::Administrators)?;
        // Read afresh under the lock: an administrator demoted meanwhile erases nothing.
        if !store::find(conn, admin.id)?.is_some_and(|actor| actor.role.is_admin()) {
            return Err(AppError::Forbidden);
        }
        let user = store::find(conn, subject)?.ok_or(AppError::NotFound)?;
        if store::is_erased(&user) {
            return Err(AppError::Conflict("admin.already_erased"));
        }
        if user.role == Role::Admin && store::count_with_role(conn, Role::Admin)? <= 1 {
            return Err(AppError::Conflict("admin.last_admin"));
        }
        let mails = mail::forget_mail_to(conn, &user.email)?;
        let links = tokens::forget_all_of(conn, user.id)?;
        let reasons = enrolment_data::erase_free_text_of(conn, user.id)?;
        let answers = quiz_data::erase_free_text_of(conn, user.id)?;
        two_factor::turn_off(conn, user.id)?;
        store::erase(conn, user.id)?;
        audit::record(
            conn,
            audit::Entry {
                actor: Some(admin.id),
                action: audit::Action::PersonalDataErased,
                subject: format!("user:{}", user.id.get()),
                details: serde_json::json!({
                    "former_role": user.role,
                    "mails_deleted": mails,
                    "links_deleted": links,
                    "reasons_erased": reasons,
                    "answers_erased": answers,
                }),
            },
            Utc::now().naive_utc(),
        )
    })
}
