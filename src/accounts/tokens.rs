//! One-time tokens sent by mail: address verification, invitations and password
//! resets. Only a hash is stored; a token works once and expires.

use crate::accounts::model::UserId;
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::db::schema::user_tokens;
use crate::db::DbConnection;
use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    Invitation,
    PasswordReset,
}

impl Purpose {
    fn code(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "verify_email",
            Purpose::Invitation => "invitation",
            Purpose::PasswordReset => "password_reset",
        }
    }

    /// How long a token stays valid.
    pub fn lifetime(self) -> Duration {
        match self {
            Purpose::VerifyEmail => Duration::days(7),
            Purpose::Invitation => Duration::days(14),
            Purpose::PasswordReset => Duration::hours(2),
        }
    }
}

fn hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A new token for the user; earlier unused tokens of the same purpose stop working.
/// Deletes every one-time token of a user (reset and invitation links stop working).
pub fn forget_all_of(conn: &mut DbConnection, user_id: UserId) -> Result<usize, AppError> {
    Ok(diesel::delete(user_tokens::table.filter(user_tokens::user_id.eq(user_id))).execute(conn)?)
}

pub fn issue(
    conn: &mut DbConnection,
    user_id: UserId,
    purpose: Purpose,
    now: NaiveDateTime,
) -> Result<String, AppError> {
    diesel::update(
        user_tokens::table
            .filter(user_tokens::user_id.eq(user_id))
            .filter(user_tokens::purpose.eq(purpose.code()))
            .filter(user_tokens::used_at.is_null()),
    )
    .set(user_tokens::used_at.eq(now))
    .execute(conn)?;
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    diesel::insert_into(user_tokens::table)
        .values((
            user_tokens::user_id.eq(user_id),
            user_tokens::purpose.eq(purpose.code()),
            user_tokens::token_hash.eq(hash(&token)),
            user_tokens::expires_at.eq(now + purpose.lifetime()),
            user_tokens::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(token)
}

/// The user a valid, unused token belongs to, without using it up.
pub fn peek(
    conn: &mut DbConnection,
    token: &str,
    purpose: Purpose,
    now: NaiveDateTime,
) -> Result<Option<UserId>, AppError> {
    Ok(user_tokens::table
        .filter(user_tokens::token_hash.eq(hash(token.trim())))
        .filter(user_tokens::purpose.eq(purpose.code()))
        .filter(user_tokens::used_at.is_null())
        .filter(user_tokens::expires_at.gt(now))
        .select(user_tokens::user_id)
        .first(conn)
        .optional()?)
}

/// Uses the token up; `None` when it is unknown, used or expired. Of two uses at the
/// same time only one succeeds.
pub fn redeem(
    conn: &mut DbConnection,
    token: &str,
    purpose: Purpose,
    now: NaiveDateTime,
) -> Result<Option<UserId>, AppError> {
    let Some(user_id) = peek(conn, token, purpose, now)? else {
        return Ok(None);
    };
    let used = diesel::update(
        user_tokens::table
            .filter(user_tokens::token_hash.eq(hash(token.trim())))
            .filter(user_tokens::used_at.is_null()),
    )
    .set(user_tokens::used_at.eq(now))
    .execute(conn)?;
    Ok((used == 1).then_some(user_id))
}
