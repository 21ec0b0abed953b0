//! An administrator invites a coordinator, trainer or observer by email, so that
//! nobody has to register first: the account is created with no usable password, and
//! the person chooses one through the invitation link, as learners enrolled from a
//! CSV file do. The message and the account are in the language the administrator
//! chose for the person.

use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::model::{Country, Role, User, UserId};
use super::service::{self, AdminCreatedUser};
use super::{password, store, tokens};
use crate::audit;
use crate::db::{self, DbConnection};
use crate::error::{AppError, AppResult};
use crate::i18n::Locale;
use crate::institutions::InstitutionId;
use crate::mail::{Email, Kind, MailSettings};
use crate::validation::{self, FieldErrors};

/// The roles an administrator invites by email. Learners come through registration or
/// a coordinator's CSV upload; administrators are named on an existing account's page.
pub const ROLES: [Role; 3] = [Role::Coordinator, Role::Trainer, Role::Observer];

/// The invitation form as sent.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct InviteInput {
    pub name: String,
    pub email: String,
    pub role: String,
    pub institution_id: String,
    pub country: String,
    pub locale: String,
}

/// The fields of the form in the order it shows them, which its error summary follows.
const FIELD_ORDER: [&str; 6] = ["name", "email", "role", "institution_id", "country", "locale"];

/// A checked invitation.
struct Invitation {
    new: AdminCreatedUser,
}

/// Checks every field at once: coordinators and observers belong to an institution, a
/// trainer has a country (the adaptation they work on).
fn check(input: &InviteInput) -> (Option<Invitation>, FieldErrors) {
    let mut errors = FieldErrors::new();
    let name = service::check_name(&mut errors, "name", &input.name);
    let email = validation::email(&mut errors, "email", &input.email);
    let role = Role::from_code(input.role.trim()).filter(|role| ROLES.contains(role));
    if role.is_none() {
        errors.add("role", "coordinator_flows.role_invalid");
    }
    let institution_id = match input.institution_id.trim() {
        "" => {
            if matches!(role, Some(Role::Coordinator | Role::Observer)) {
                errors.add("institution_id", "coordinator_flows.institution_missing");
            }
            None
        }
        raw => {
            let parsed = raw.parse::<InstitutionId>().ok();
            if parsed.is_none() {
                errors.add("institution_id", "accounts.institution_invalid");
            }
            parsed
        }
    };
    let country = match input.country.trim() {
        "" => {
            if role == Some(Role::Trainer) {
                errors.add("country", "coordinator_flows.country_missing");
            }
            None
        }
        raw => {
            let parsed = Country::parse(raw);
            if parsed.is_none() {
                errors.add("country", "validation.country_invalid");
            }
            parsed
        }
    };
    let locale = Locale::from_code(input.locale.trim());
    if locale.is_none() {
        errors.add("locale", "accounts.locale_invalid");
    }
    let invitation = match (role, locale) {
        (Some(role), Some(locale)) if errors.is_empty() => Some(Invitation {
            new: AdminCreatedUser {
                email,
                name,
                role,
                country,
                institution_id,
                locale,
            },
        }),
        _ => None,
    };
    (invitation, errors)
}

/// Creates the invited account and queues its invitation, recorded in the audit log,
/// all in one transaction. An address that already has an account is a field error
/// and changes nothing: its role is changed on its own page.
pub fn invite(conn: &mut DbConnection, mail: &MailSettings, actor: &User, input: &InviteInput) -> AppResult<UserId> {
    let (invitation, mut errors) = check(input);
    let email = input.email.trim().to_lowercase();
    db::write_transaction(conn, |conn| {
        let actor_now = store::find(conn, actor.id)?;
        if !actor_now.is_some_and(|actor| actor.role.is_admin()) {
            return Err(AppError::Forbidden);
        }
        if !errors.has("email") && store::find_row_by_email(conn, &email)?.is_some() {
            errors.add("email", "coordinator_flows.account_exists");
        }
        let Some(invitation) = invitation.as_ref().filter(|_| errors.is_empty()) else {
            return Err(errors.clone().in_order(&FIELD_ORDER).into());
        };
        let new = &invitation.new;
        // An unusable random password until the invitation is accepted.
        let placeholder = password::generate() + &password::generate();
        let id = service::create_user(conn, new, &placeholder).map_err(|error| match error {
            AppError::Invalid(fields) => AppError::Invalid(fields.in_order(&FIELD_ORDER)),
            other => other,
        })?;
        let now = Utc::now().naive_utc();
        let token = tokens::issue(conn, id, tokens::Purpose::Invitation, now)?;
        mail.queue(
            conn,
            &Email {
                to: new.email.clone(),
                name: new.name.clone(),
                locale: new.locale,
                kind: Kind::StaffInvitation,
                args: vec![(
                    "role",
                    crate::i18n::t(new.locale, &format!("roles.{}", new.role.code())),
                )],
                link: Some(mail.link(&format!("/invitation?token={token}"), new.locale)),
                dedupe_key: None,
            },
        )?;
        audit::record(
            conn,
            audit::Entry {
                actor: Some(actor.id),
                action: audit::Action::UserInvited,
                subject: format!("user:{}", id.get()),
                details: serde_json::json!({
                    "role": new.role,
                    "institution_id": new.institution_id,
                    "country": new.country,
                    "locale": new.locale.code(),
                }),
            },
            now,
        )?;
        Ok(id)
    })
}
