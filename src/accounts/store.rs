//! Queries on the `users` table.

use crate::institutions::InstitutionId;
use chrono::Utc;
use diesel::prelude::*;

use crate::accounts::model::{Category, Country, Gender, Role, User, UserId, UserRow};
use crate::db::schema::users;
use crate::db::DbConnection;
use crate::error::AppError;
use crate::i18n::Locale;
use crate::validation::FieldErrors;

/// What a new account is made of; the password is already hashed.
pub struct NewUser<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
    pub country: Option<Country>,
    pub institution_id: Option<InstitutionId>,
    pub category: Category,
    pub locale: Locale,
    pub gender: Option<Gender>,
}

/// Creates the account; an address already registered is the email field's error
/// (the unique index decides, so two sign-ups racing for one address cannot both win).
pub fn insert(conn: &mut DbConnection, new: &NewUser<'_>) -> Result<UserId, AppError> {
    let now = Utc::now().naive_utc();
    diesel::insert_into(users::table)
        .values((
            users::email.eq(new.email),
            users::name.eq(new.name),
            users::search_text.eq(search_text_of(new.name, new.email)),
            users::password_hash.eq(new.password_hash),
            users::role.eq(new.role),
            users::country.eq(new.country),
            users::institution_id.eq(new.institution_id),
            users::category.eq(new.category),
            users::locale.eq(new.locale),
            users::gender.eq(new.gender),
            users::token_version.eq(0),
            users::created_at.eq(now),
            users::updated_at.eq(now),
        ))
        .returning(users::id)
        .get_result(conn)
        .map_err(|e| match e {
            diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _) => {
                AppError::Invalid(FieldErrors::one("email", "accounts.email_taken"))
            }
            other => other.into(),
        })
}

pub fn find_row_by_email(conn: &mut DbConnection, email: &str) -> Result<Option<UserRow>, AppError> {
    Ok(users::table
        .filter(users::email.eq(email))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_row(conn: &mut DbConnection, id: UserId) -> Result<Option<UserRow>, AppError> {
    Ok(users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn find(conn: &mut DbConnection, id: UserId) -> Result<Option<User>, AppError> {
    Ok(users::table.find(id).select(User::as_select()).first(conn).optional()?)
}

/// The names of the given accounts, by id (ids without an account are left out).
pub fn names_of(
    conn: &mut DbConnection,
    ids: &[UserId],
) -> Result<std::collections::HashMap<UserId, String>, AppError> {
    let mut names = std::collections::HashMap::new();
    // Bounded batches keep each query within every backend's parameter limit.
    for batch in ids.chunks(500) {
        let rows: Vec<(UserId, String)> = users::table
            .filter(users::id.eq_any(batch))
            .select((users::id, users::name))
            .load(conn)?;
        names.extend(rows);
    }
    Ok(names)
}

pub fn email_exists(conn: &mut DbConnection, email: &str) -> Result<bool, AppError> {
    let count: i64 = users::table.filter(users::email.eq(email)).count().get_result(conn)?;
    Ok(count > 0)
}

pub fn count_with_role(conn: &mut DbConnection, role: Role) -> Result<i64, AppError> {
    Ok(users::table.filter(users::role.eq(role)).count().get_result(conn)?)
}

/// Raises the token version, revoking every session and API token issued so far.
/// Returns the new version.
pub fn bump_token_version(conn: &mut DbConnection, id: UserId) -> Result<i32, AppError> {
    diesel::update(users::table.find(id))
        .set((
            users::token_version.eq(users::token_version + 1),
            users::updated_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    Ok(users::table.find(id).select(users::token_version).first(conn)?)
}

/// What the personal-data export adds to the profile: the position a coordinator's
/// upload recorded and when the address was confirmed.
pub fn export_details(
    conn: &mut DbConnection,
    id: UserId,
) -> Result<(Option<String>, Option<chrono::NaiveDateTime>), AppError> {
    Ok(users::table
        .find(id)
        .select((users::position, users::email_verified_at))
        .first(conn)?)
}

/// The address an erased account is left with: no one's, never deliverable (`.invalid`
/// is reserved), and recognisable on the administrators' pages.
pub fn erased_address(id: UserId) -> String {
    format!("erased-{}@erased.invalid", id.get())
}

/// Whether an account's personal data has been erased.
pub fn is_erased(user: &User) -> bool {
    user.email == erased_address(user.id)
}

/// Replaces an account's name, address and password with nothing personal, makes it a
/// learner and revokes its sessions. Country, institution, category and gender stay
/// for the anonymous figures.
pub fn erase(conn: &mut DbConnection, id: UserId) -> Result<(), AppError> {
    diesel::update(users::table.find(id))
        .set((
            users::name.eq(format!("#{}", id.get())),
            users::email.eq(erased_address(id)),
            users::search_text.eq(""),
            users::position.eq(None::<String>),
            // Not a hash Argon2 can read: no password ever matches it.
            users::password_hash.eq("!erased"),
            users::role.eq(Role::Learner),
            users::token_version.eq(users::token_version + 1),
            users::updated_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

pub struct ProfileUpdate<'a> {
    pub name: &'a str,
    pub country: Option<Country>,
    pub institution_id: Option<InstitutionId>,
    pub category: Category,
    pub locale: Locale,
    pub gender: Option<Gender>,
}

pub fn update_profile(conn: &mut DbConnection, id: UserId, update: &ProfileUpdate<'_>) -> Result<(), AppError> {
    let email: String = users::table.find(id).select(users::email).first(conn)?;
    diesel::update(users::table.find(id))
        .set((
            users::name.eq(update.name),
            users::search_text.eq(search_text_of(update.name, &email)),
            users::country.eq(update.country),
            users::institution_id.eq(update.institution_id),
            users::category.eq(update.category),
            users::locale.eq(update.locale),
            users::gender.eq(update.gender),
            users::updated_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Sets the zone the user reads times in; `None` for their country's.
pub fn set_time_zone(
    conn: &mut DbConnection,
    id: UserId,
    zone: Option<crate::accounts::time_zone::TimeZone>,
) -> Result<(), AppError> {
    diesel::update(users::table.find(id))
        .set(users::time_zone.eq(zone))
        .execute(conn)?;
    Ok(())
}

/// Sets a new password hash and raises the token version in one statement.
pub fn set_password(conn: &mut DbConnection, id: UserId, password_hash: &str) -> Result<i32, AppError> {
    diesel::update(users::table.find(id))
        .set((
            users::password_hash.eq(password_hash),
            users::token_version.eq(users::token_version + 1),
            users::updated_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    Ok(users::table.find(id).select(users::token_version).first(conn)?)
}

pub fn set_role(
    conn: &mut DbConnection,
    id: UserId,
    role: Role,
    institution_id: Option<InstitutionId>,
) -> Result<(), AppError> {
    diesel::update(users::table.find(id))
        .set((
            users::role.eq(role),
            users::institution_id.eq(institution_id),
            users::updated_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

/// The details a coordinator's upload gives a new account.
pub fn set_invited_details(
    conn: &mut DbConnection,
    id: UserId,
    category: Category,
    position: &str,
    gender: Option<Gender>,
) -> Result<(), AppError> {
    diesel::update(users::table.find(id))
        .set((
            users::category.eq(category),
            users::gender.eq(gender),
            users::position.eq(Some(position.trim()).filter(|p| !p.is_empty())),
        ))
        .execute(conn)?;
    Ok(())
}

/// Marks the address as verified (the user followed a link sent to it).
pub fn mark_email_verified(conn: &mut DbConnection, id: UserId, at: chrono::NaiveDateTime) -> Result<(), AppError> {
    diesel::update(users::table.find(id))
        .set(users::email_verified_at.eq(Some(at)))
        .execute(conn)?;
    Ok(())
}

/// Filters of the administrators' user list.
#[derive(Debug, Default, Clone)]
pub struct UserFilter {
    pub role: Option<Role>,
    pub institution_id: Option<InstitutionId>,
    pub search: Option<String>,
}

pub const PAGE_SIZE: i64 = 50;

/// One page of users, newest first, and the number of users matching the filter.
pub fn list(conn: &mut DbConnection, filter: &UserFilter, page: i64) -> Result<(Vec<User>, i64), AppError> {
    let filtered = || {
        let mut query = users::table.into_boxed();
        if let Some(role) = filter.role {
            query = query.filter(users::role.eq(role));
        }
        if let Some(institution_id) = filter.institution_id {
            query = query.filter(users::institution_id.eq(institution_id));
        }
        if let Some(search) = &filter.search {
            let pattern = format!("%{}%", escape_like(&search.to_lowercase()));
            query = query.filter(users::search_text.like(pattern).escape('\\'));
        }
        query
    };
    let total: i64 = filtered().count().get_result(conn)?;
    let found = filtered()
        .order(users::id.desc())
        .limit(PAGE_SIZE)
        .offset(page.saturating_sub(1).max(0).saturating_mul(PAGE_SIZE))
        .select(User::as_select())
        .load(conn)?;
    Ok((found, total))
}

/// What the user search matches: name and email address in lower case, folded by
/// Rust so that Cyrillic and Latin letters match whatever case was typed.
fn search_text_of(name: &str, email: &str) -> String {
    format!("{} {}", name.to_lowercase(), email.to_lowercase())
}

/// Fills the search text of users written before it existed (migration 000009), a
/// batch at a time; afterwards every write keeps it.
pub fn fill_search_text(conn: &mut DbConnection) -> Result<usize, diesel::result::Error> {
    let mut filled = 0;
    loop {
        let batch: Vec<(i64, String, String)> = users::table
            .filter(users::search_text.eq(""))
            .select((users::id, users::name, users::email))
            .limit(1_000)
            .load(conn)?;
        if batch.is_empty() {
            return Ok(filled);
        }
        for (id, name, email) in &batch {
            diesel::update(users::table.find(id))
                .set(users::search_text.eq(search_text_of(name, email)))
                .execute(conn)?;
        }
        filled += batch.len();
    }
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// The languages a trainer translates (codes), as assigned in `/admin` or by
/// `bilim user create --languages`.
pub fn languages_of(conn: &mut DbConnection, id: UserId) -> Result<Vec<String>, AppError> {
    let codes: Option<String> = users::table.find(id).select(users::languages).first(conn).optional()?;
    Ok(codes
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect())
}

/// Assigns the languages a trainer translates.
pub fn set_languages(conn: &mut DbConnection, id: UserId, languages: &[crate::i18n::Locale]) -> Result<(), AppError> {
    let mut codes: Vec<&str> = languages.iter().map(|l| l.code()).collect();
    codes.sort_unstable();
    codes.dedup();
    diesel::update(users::table.find(id))
        .set(users::languages.eq(codes.join(" ")))
        .execute(conn)?;
    Ok(())
}

/// Languages written as `kk,ru` or `kk ru`; `None` names the first unknown code.
pub fn parse_languages(text: &str) -> Result<Vec<crate::i18n::Locale>, String> {
    text.split([',', ' '])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|code| crate::i18n::Locale::from_code(code).ok_or_else(|| code.to_owned()))
        .collect()
}
