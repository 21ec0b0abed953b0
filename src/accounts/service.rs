//! What accounts do: register, sign in, edit a profile, change a password, create
//! users from the command line. Validation turns raw text into typed values and
//! reports every problem by field.

use chrono::Utc;

use crate::accounts::model::{Category, Country, Gender, Role, User, UserId};
use crate::accounts::store::{self, NewUser, ProfileUpdate};
use crate::accounts::time_zone::{self, TimeZone};
use crate::accounts::{password, password_policy};
use crate::audit;
use crate::db::locks::{self, Lock};
use crate::db::{self, DbConnection};
use crate::error::{AppError, AppResult};
use crate::i18n::Locale;
use crate::institutions::{self, Institution, InstitutionId};
use crate::validation::{self, FieldErrors};

pub const NAME_MAX_CHARS: usize = 200;

/// The profile fields as typed in a form or JSON body.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct ProfileInput {
    pub name: String,
    pub country: String,
    pub institution_id: String,
    pub category: String,
    pub locale: String,
    /// `female`, `male` or empty for not stated.
    pub gender: String,
    /// A zone code ("UTC+5") or empty for the country's zone. Only the profile
    /// page shows the field; registration leaves it empty.
    pub time_zone: String,
}

/// Profile fields once checked.
#[derive(Debug, Clone)]
pub struct Profile {
    pub name: String,
    pub country: Country,
    pub institution_id: Option<InstitutionId>,
    pub category: Category,
    pub locale: Locale,
    pub gender: Option<Gender>,
    pub time_zone: Option<TimeZone>,
}

/// The institution chosen in a form's `institution_id` field; empty for none.
fn institution_id_field(raw: &str, errors: &mut FieldErrors) -> Option<InstitutionId> {
    match raw.trim() {
        "" => None,
        raw => match raw.parse::<InstitutionId>() {
            Ok(id) => Some(id),
            Err(_) => {
                errors.add("institution_id", "accounts.institution_invalid");
                None
            }
        },
    }
}

/// Checks what can be checked without the database; `check_institution` does the rest.
fn check_profile(input: &ProfileInput, errors: &mut FieldErrors) -> Option<Profile> {
    let name = validation::required_text(errors, "name", &input.name, NAME_MAX_CHARS, "accounts.name_missing");
    let country = Country::parse(&input.country);
    if country.is_none() {
        errors.add("country", "validation.country_invalid");
    }
    let institution_id = institution_id_field(&input.institution_id, errors);
    let category = Category::from_code(input.category.trim());
    if category.is_none() {
        errors.add("category", "accounts.category_invalid");
    }
    let locale = Locale::from_code(&input.locale);
    if locale.is_none() {
        errors.add("locale", "accounts.locale_invalid");
    }
    let gender = match input.gender.trim() {
        "" => None,
        code => {
            let gender = Gender::from_code(code);
            if gender.is_none() {
                errors.add("gender", "accounts.gender_invalid");
            }
            gender
        }
    };
    let time_zone = time_zone::choice_field(errors, "time_zone", &input.time_zone);
    Some(Profile {
        gender,
        time_zone,
        name,
        country: country?,
        institution_id,
        category: category?,
        locale: locale?,
    })
}

/// An institution, when one is chosen, must exist and be in the chosen country.
fn check_institution(conn: &mut DbConnection, profile: &Profile, errors: &mut FieldErrors) -> AppResult<()> {
    if let Some(id) = profile.institution_id {
        match institutions::find(conn, id)? {
            Some(institution) if institution.country == profile.country => {}
            Some(_) => errors.add("institution_id", "accounts.institution_other_country"),
            None => errors.add("institution_id", "accounts.institution_invalid"),
        }
    }
    Ok(())
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct RegistrationInput {
    #[serde(flatten)]
    pub profile: ProfileInput,
    pub email: String,
    pub password: String,
    pub password_confirmation: String,
}

pub struct Registration {
    pub profile: Profile,
    pub email: String,
    pub password: String,
}

/// Checks a registration's text; the email's uniqueness is checked on insert.
pub fn check_registration(input: &RegistrationInput) -> AppResult<Registration> {
    let mut errors = FieldErrors::new();
    let profile = check_profile(&input.profile, &mut errors);
    let email = validation::email(&mut errors, "email", &input.email);
    password_policy::check_new(&mut errors, "password", &input.password, &[&email, &input.profile.name]);
    if !errors.has("password") && input.password != input.password_confirmation {
        errors.add("password_confirmation", "accounts.password_mismatch");
    }
    match profile {
        Some(profile) if errors.is_empty() => Ok(Registration {
            profile,
            email,
            password: input.password.clone(),
        }),
        _ => Err(errors.into()),
    }
}

/// What a registration did: created an account, or found the address taken.
pub enum Registered {
    New(UserId),
    /// The address already has this account; nothing was changed. The page answers
    /// as for a new account and the owner is told by mail, so the form reveals
    /// nothing about which addresses are registered.
    Taken(User),
}

/// Creates an account unless its address already has one. `password_hash` is
/// computed by the caller, off the connection and for a taken address too, since
/// hashing takes tens of milliseconds and the time must not tell the cases apart.
pub fn register(
    conn: &mut DbConnection,
    registration: &Registration,
    password_hash: &str,
    role: Role,
) -> AppResult<Registered> {
    db::write_transaction(conn, |conn| {
        let mut errors = FieldErrors::new();
        check_institution(conn, &registration.profile, &mut errors)?;
        errors.check(())?;
        if let Some(row) = store::find_row_by_email(conn, &registration.email)? {
            return Ok(Registered::Taken(User::from(row)));
        }
        let profile = &registration.profile;
        store::insert(
            conn,
            &NewUser {
                email: &registration.email,
                name: &profile.name,
                password_hash,
                role,
                country: Some(profile.country),
                institution_id: profile.institution_id,
                category: profile.category,
                locale: profile.locale,
                gender: profile.gender,
            },
        )
        .map(Registered::New)
    })
}

pub fn check_profile_update(input: &ProfileInput) -> AppResult<Profile> {
    let mut errors = FieldErrors::new();
    match check_profile(input, &mut errors) {
        Some(profile) if errors.is_empty() => Ok(profile),
        _ => Err(errors.into()),
    }
}

pub fn update_profile(conn: &mut DbConnection, user: &User, profile: &Profile) -> AppResult<()> {
    let mut errors = FieldErrors::new();
    check_institution(conn, profile, &mut errors)?;
    // A coordinator's institution is set by an administrator, not by themselves.
    let institution_id = if user.role == Role::Coordinator {
        user.institution_id
    } else {
        profile.institution_id
    };
    // A trainer's country decides which national adaptations and law table they edit
    // and approve: once set, only an administrator changes it.
    let country = match (user.role, user.country) {
        (Role::Trainer, Some(country)) => country,
        _ => profile.country,
    };
    errors.check(())?;
    db::write_transaction(conn, |conn| {
        store::update_profile(
            conn,
            user.id,
            &ProfileUpdate {
                name: &profile.name,
                country: Some(country),
                institution_id,
                category: profile.category,
                locale: profile.locale,
                gender: profile.gender,
            },
        )?;
        store::set_time_zone(conn, user.id, profile.time_zone)
    })
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct PasswordChangeInput {
    pub current_password: String,
    pub new_password: String,
    pub new_password_confirmation: String,
}

/// Checks a password change of `user`, whose stored hash is `row_hash`; on success
/// returns the hash of the new password.
pub fn check_password_change(user: &User, row_hash: &str, input: &PasswordChangeInput) -> AppResult<String> {
    let mut errors = FieldErrors::new();
    if !password::verify(&input.current_password, row_hash) {
        errors.add("current_password", "accounts.current_password_wrong");
    }
    password_policy::check_new(
        &mut errors,
        "new_password",
        &input.new_password,
        &[&user.email, &user.name],
    );
    if !errors.has("new_password") && input.new_password != input.new_password_confirmation {
        errors.add("new_password_confirmation", "accounts.password_mismatch");
    }
    errors.check(())?;
    password::hash(&input.new_password)
}

/// A user created by an administrator (command line or setup): any role.
pub struct AdminCreatedUser {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub country: Option<Country>,
    pub institution_id: Option<InstitutionId>,
    pub locale: Locale,
}

/// The rules every role assignment follows, whoever makes it (an administrator's
/// page, the command line, a coordinator's upload): a named institution exists, a
/// coordinator belongs to one, and the last administrator keeps the role, so the
/// installation is never left without one. `current_role` is `None` for a new user.
/// Returns the institution, whose country a new user takes.
fn check_role_assignment(
    conn: &mut DbConnection,
    current_role: Option<Role>,
    role: Role,
    institution_id: Option<InstitutionId>,
    errors: &mut FieldErrors,
) -> AppResult<Option<Institution>> {
    let institution = existing_institution(conn, institution_id, errors)?;
    if role == Role::Coordinator && institution_id.is_none() {
        errors.add("institution_id", "admin.coordinator_needs_institution");
    }
    if current_role == Some(Role::Admin) && role != Role::Admin && store::count_with_role(conn, Role::Admin)? <= 1 {
        errors.add("role", "admin.last_admin");
    }
    Ok(institution)
}

/// The institution an id names; an id that names none is a field error.
fn existing_institution(
    conn: &mut DbConnection,
    institution_id: Option<InstitutionId>,
    errors: &mut FieldErrors,
) -> AppResult<Option<Institution>> {
    let Some(id) = institution_id else {
        return Ok(None);
    };
    let institution = institutions::find(conn, id)?;
    if institution.is_none() {
        errors.add("institution_id", "accounts.institution_invalid");
    }
    Ok(institution)
}

/// A role and institution as an administrator's form gives them.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct RoleChangeInput {
    pub role: String,
    pub institution_id: String,
}

/// An administrator changes a user's role and institution under
/// [`check_role_assignment`]'s rules, and the audit log records it. The change holds
/// the administrators' lock and reads both accounts afresh under it, so two
/// administrators demoting each other at once cannot leave none: the second finds the
/// other the last one, or finds themself no longer an administrator.
pub fn change_role(conn: &mut DbConnection, actor: &User, subject: UserId, input: &RoleChangeInput) -> AppResult<()> {
    db::write_transaction(conn, |conn| {
        locks::for_transaction(conn, Lock::Administrators)?;
        let actor_now = store::find(conn, actor.id)?;
        if !actor_now.is_some_and(|actor| actor.role.is_admin()) {
            return Err(AppError::Forbidden);
        }
        let user = store::find(conn, subject)?.ok_or(AppError::NotFound)?;
        let mut errors = FieldErrors::new();
        let role = Role::from_code(input.role.trim());
        if role.is_none() {
            errors.add("role", "admin.role_invalid");
        }
        let institution_id = institution_id_field(&input.institution_id, &mut errors);
        let Some(role) = role else {
            // Every problem is reported at once, the institution's too.
            existing_institution(conn, institution_id, &mut errors)?;
            return Err(errors.into());
        };
        check_role_assignment(conn, Some(user.role), role, institution_id, &mut errors)?;
        errors.check(())?;
        if (role, institution_id) == (user.role, user.institution_id) {
            return Ok(());
        }
        store::set_role(conn, user.id, role, institution_id)?;
        audit::record(
            conn,
            audit::Entry {
                actor: Some(actor.id),
                action: audit::Action::RoleChanged,
                subject: format!("user:{}", user.id.get()),
                details: serde_json::json!({
                    "from_role": user.role,
                    "to_role": role,
                    "from_institution_id": user.institution_id,
                    "to_institution_id": institution_id,
                }),
            },
            Utc::now().naive_utc(),
        )
    })
}

/// An administrator assigns the languages a trainer translates (see Authoring), from
/// language codes as the user page's checkboxes send them; the audit log records the
/// change. Unknown codes are refused; nothing changes when the set is the same.
pub fn change_languages(conn: &mut DbConnection, actor: &User, subject: UserId, codes: &[String]) -> AppResult<()> {
    let mut languages = Vec::new();
    for code in codes {
        match Locale::from_code(code.trim()) {
            Some(locale) => languages.push(locale),
            None => return Err(FieldErrors::one("languages", "admin.languages_invalid").into()),
        }
    }
    db::write_transaction(conn, |conn| {
        let actor_now = store::find(conn, actor.id)?;
        if !actor_now.is_some_and(|actor| actor.role.is_admin()) {
            return Err(AppError::Forbidden);
        }
        let user = store::find(conn, subject)?.ok_or(AppError::NotFound)?;
        let before = store::languages_of(conn, user.id)?;
        store::set_languages(conn, user.id, &languages)?;
        let after = store::languages_of(conn, user.id)?;
        if before == after {
            return Ok(());
        }
        audit::record(
            conn,
            audit::Entry {
                actor: Some(actor.id),
                action: audit::Action::LanguagesChanged,
                subject: format!("user:{}", user.id.get()),
                details: serde_json::json!({ "from": before, "to": after }),
            },
            Utc::now().naive_utc(),
        )
    })
}

/// Trims and checks a person's full name for an account made for them (by an
/// administrator, the command line or a coordinator's upload, whose preview and
/// apply both check each row with it): required, at most [`NAME_MAX_CHARS`], one
/// plain line.
pub fn check_name(errors: &mut FieldErrors, field: &'static str, value: &str) -> String {
    let before = errors.len();
    validation::one_line(errors, field, value.trim());
    if errors.len() > before {
        // One message per field: the line break or control character says it all.
        return value.trim().to_owned();
    }
    validation::required_text(errors, field, value, NAME_MAX_CHARS, "accounts.name_missing")
}

/// Creates a user of any role, as an administrator asks for it. Every invalid value is
/// a field error: `email`, `name`, `password`, `institution_id` (see
/// [`check_role_assignment`]) and `role`.
pub fn create_user(conn: &mut DbConnection, new: &AdminCreatedUser, password: &str) -> AppResult<UserId> {
    let mut errors = FieldErrors::new();
    let email = validation::email(&mut errors, "email", &new.email);
    let name = check_name(&mut errors, "name", &new.name);
    password_policy::check_new(&mut errors, "password", password, &[&email, &name]);
    errors.check(())?;
    let password_hash = password::hash(password)?;
    db::write_transaction(conn, |conn| {
        let mut errors = FieldErrors::new();
        let institution = check_role_assignment(conn, None, new.role, new.institution_id, &mut errors)?;
        if let (Some(institution), Some(country)) = (&institution, new.country) {
            if institution.country != country {
                errors.add("institution_id", "accounts.institution_other_country");
            }
        }
        errors.check(())?;
        store::insert(
            conn,
            &NewUser {
                email: &email,
                name: &name,
                password_hash: &password_hash,
                role: new.role,
                country: institution.map(|i| i.country).or(new.country),
                institution_id: new.institution_id,
                category: if new.role == Role::Trainer {
                    Category::Trainer
                } else {
                    Category::Other
                },
                locale: new.locale,
                gender: None,
            },
        )
    })
}
