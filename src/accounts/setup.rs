//! The first administrator. An empty installation has no default password: while no
//! administrator exists, the server prints a one-time setup address whose token is
//! stored only as a hash, and the first person to use it becomes the administrator.

use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::accounts::model::{Category, Role, UserId};
use crate::accounts::service::Profile;
use crate::accounts::store::{self, NewUser};
use crate::db::{self, settings, DbConnection};
use crate::error::{AppError, AppResult};

const SETUP_TOKEN_SETTING: &str = "setup_token_sha256";

fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// When no administrator exists, makes a new setup token (replacing any earlier one)
/// and returns it; otherwise `None`.
pub fn issue_token_if_needed(conn: &mut DbConnection) -> Result<Option<String>, AppError> {
    db::write_transaction(conn, |conn| {
        if store::count_with_role(conn, Role::Admin)? > 0 {
            settings::remove(conn, SETUP_TOKEN_SETTING)?;
            return Ok(None);
        }
        let mut bytes = [0u8; 24];
        rand::thread_rng().fill_bytes(&mut bytes);
        let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        settings::set(conn, SETUP_TOKEN_SETTING, &token_hash(&token))?;
        Ok(Some(token))
    })
}

/// Whether `token` opens the setup page now: it matches and no administrator exists.
pub fn token_is_valid(conn: &mut DbConnection, token: &str) -> Result<bool, AppError> {
    if store::count_with_role(conn, Role::Admin)? > 0 {
        return Ok(false);
    }
    let stored = settings::get(conn, SETUP_TOKEN_SETTING)?;
    Ok(stored.is_some_and(|s| bool::from(s.as_bytes().ct_eq(token_hash(token).as_bytes()))))
}

/// Creates the first administrator and retires the token, atomically: of two people
/// using the address at once, one succeeds.
pub fn create_first_admin(
    conn: &mut DbConnection,
    token: &str,
    email: &str,
    profile: &Profile,
    password_hash: &str,
) -> AppResult<UserId> {
    db::write_transaction(conn, |conn| {
        if !token_is_valid(conn, token)? {
            return Err(AppError::NotFound);
        }
        let id = store::insert(
            conn,
            &NewUser {
                email,
                name: &profile.name,
                password_hash,
                role: Role::Admin,
                country: Some(profile.country),
                institution_id: None,
                category: Category::Other,
                locale: profile.locale,
                gender: None,
            },
        )?;
        settings::remove(conn, SETUP_TOKEN_SETTING)?;
        Ok(id)
    })
}
