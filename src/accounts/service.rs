//! What accounts do: register, sign in, edit a profile, change a password, create
//! users from the command line. Validation turns raw text into typed values and
//! reports every problem by field.

use crate::accounts::model::{Category, Country, Gender, Role, User, UserId};
use crate::accounts::password;
use crate::accounts::store::{self, InsertUserError, NewUser, ProfileUpdate};
use crate::db::{self, DbConnection};
use crate::error::AppError;
use crate::i18n::Locale;
use crate::institutions;
use crate::institutions::InstitutionId;
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
}

/// Checks what can be checked without the database; `check_institution` does the rest.
fn check_profile(input: &ProfileInput, errors: &mut FieldErrors) -> Option<Profile> {
    let name = validation::required_text(errors, "name", &input.name, NAME_MAX_CHARS, "accounts.name_missing");
    let country = Country::parse(&input.country);
    if country.is_none() {
        errors.add("country", "validation.country_invalid");
    }
    let institution_id = match input.institution_id.trim() {
        "" => None,
        raw => match raw.parse::<InstitutionId>() {
            Ok(id) => Some(id),
            Err(_) => {
                errors.add("institution_id", "accounts.institution_invalid");
                None
            }
        },
    };
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
    Some(Profile {
        gender,
        name,
        country: country?,
        institution_id,
        category: category?,
        locale: locale?,
    })
}

/// An institution, when one is chosen, must exist and be in the chosen country.
fn check_institution(conn: &mut DbConnection, profile: &Profile, errors: &mut FieldErrors) -> Result<(), AppError> {
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
pub fn check_registration(input: &RegistrationInput) -> Result<Registration, FieldErrors> {
    let mut errors = FieldErrors::new();
    let profile = check_profile(&input.profile, &mut errors);
    let email = validation::email(&mut errors, "email", &input.email);
    validation::new_password(&mut errors, "password", &input.password);
    if !errors.has("password") && input.password != input.password_confirmation {
        errors.add("password_confirmation", "accounts.password_mismatch");
    }
    match profile {
        Some(profile) if errors.is_empty() => Ok(Registration {
            profile,
            email,
            password: input.password.clone(),
        }),
        _ => Err(errors),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FormError {
    #[error("the form has errors")]
    Fields(FieldErrors),
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<diesel::result::Error> for FormError {
    fn from(error: diesel::result::Error) -> Self {
        FormError::App(error.into())
    }
}

impl From<FieldErrors> for FormError {
    fn from(errors: FieldErrors) -> Self {
        FormError::Fields(errors)
    }
}

fn single_error(field: &'static str, key: &'static str) -> FormError {
    let mut errors = FieldErrors::new();
    errors.add(field, key);
    FormError::Fields(errors)
}

/// Creates a learner account. `password_hash` is computed by the caller, off the
/// connection, since hashing takes tens of milliseconds.
pub fn register(
    conn: &mut DbConnection,
    registration: &Registration,
    password_hash: &str,
    role: Role,
) -> Result<UserId, FormError> {
    db::write_transaction(conn, |conn| {
        let mut errors = FieldErrors::new();
        check_institution(conn, &registration.profile, &mut errors)?;
        if !errors.is_empty() {
            return Err(FormError::Fields(errors));
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
        .map_err(|e| match e {
            InsertUserError::EmailTaken => single_error("email", "accounts.email_taken"),
            InsertUserError::Database(e) => e.into(),
        })
    })
}

/// The user whose email and password match, or `None`, taking the same time either
/// way.
pub fn authenticate(conn: &mut DbConnection, email: &str, password: &str) -> Result<Option<User>, AppError> {
    let email = email.trim().to_lowercase();
    match store::find_row_by_email(conn, &email)? {
        Some(row) if password::verify(password, &row.password_hash) => Ok(Some(User::from(row))),
        Some(_) => Ok(None),
        None => {
            password::verify_against_nothing(password);
            Ok(None)
        }
    }
}

pub fn check_profile_update(input: &ProfileInput) -> Result<Profile, FieldErrors> {
    let mut errors = FieldErrors::new();
    match check_profile(input, &mut errors) {
        Some(profile) if errors.is_empty() => Ok(profile),
        _ => Err(errors),
    }
}

pub fn update_profile(conn: &mut DbConnection, user: &User, profile: &Profile) -> Result<(), FormError> {
    let mut errors = FieldErrors::new();
    check_institution(conn, profile, &mut errors)?;
    // A coordinator's institution is set by an administrator, not by themselves.
    let institution_id = if user.role == Role::Coordinator {
        user.institution_id
    } else {
        profile.institution_id
    };
    errors.into_result(())?;
    store::update_profile(
        conn,
        user.id,
        &ProfileUpdate {
            name: &profile.name,
            country: Some(profile.country),
            institution_id,
            category: profile.category,
            locale: profile.locale,
            gender: profile.gender,
        },
    )?;
    Ok(())
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct PasswordChangeInput {
    pub current_password: String,
    pub new_password: String,
    pub new_password_confirmation: String,
}

/// Checks a password change; on success returns the hash of the new password.
pub fn check_password_change(row_hash: &str, input: &PasswordChangeInput) -> Result<String, FormError> {
    let mut errors = FieldErrors::new();
    if !password::verify(&input.current_password, row_hash) {
        errors.add("current_password", "accounts.current_password_wrong");
    }
    validation::new_password(&mut errors, "new_password", &input.new_password);
    if !errors.has("new_password") && input.new_password != input.new_password_confirmation {
        errors.add("new_password_confirmation", "accounts.password_mismatch");
    }
    errors.into_result(())?;
    Ok(password::hash(&input.new_password)?)
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

#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    #[error("{0}")]
    Invalid(String),
    #[error("a user with the email {0} already exists")]
    EmailTaken(String),
    #[error(transparent)]
    App(#[from] AppError),
}

pub fn create_user(conn: &mut DbConnection, new: &AdminCreatedUser, password: &str) -> Result<UserId, CreateUserError> {
    let mut errors = FieldErrors::new();
    let email = validation::email(&mut errors, "email", &new.email);
    let name = validation::required_text(&mut errors, "name", &new.name, NAME_MAX_CHARS, "accounts.name_missing");
    validation::new_password(&mut errors, "password", password);
    if let Some(error) = errors.iter().next() {
        let message = crate::i18n::t(Locale::En, error.key);
        return Err(CreateUserError::Invalid(format!("{}: {}", error.field, message)));
    }
    if new.role == Role::Coordinator && new.institution_id.is_none() {
        return Err(CreateUserError::Invalid("a coordinator needs --institution".into()));
    }
    let password_hash = password::hash(password)?;
    db::write_transaction(conn, |conn| {
        if let Some(id) = new.institution_id {
            let institution = institutions::find(conn, id)?
                .ok_or_else(|| CreateUserError::Invalid(format!("there is no institution {id}")))?;
            if new.country.is_some_and(|c| c != institution.country) {
                return Err(CreateUserError::Invalid(format!(
                    "institution {id} is in {}, not in the given country",
                    institution.country.code()
                )));
            }
        }
        let country = match new.institution_id {
            Some(id) => institutions::find(conn, id)?.map(|i| i.country),
            None => new.country,
        };
        store::insert(
            conn,
            &NewUser {
                email: &email,
                name: &name,
                password_hash: &password_hash,
                role: new.role,
                country,
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
        .map_err(|e| match e {
            InsertUserError::EmailTaken => CreateUserError::EmailTaken(email.clone()),
            InsertUserError::Database(e) => CreateUserError::App(e.into()),
        })
    })
}

impl From<diesel::result::Error> for CreateUserError {
    fn from(error: diesel::result::Error) -> Self {
        CreateUserError::App(error.into())
    }
}
