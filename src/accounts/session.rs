//! Session tokens: JWTs signed with the installation secret (HS256), carried in an
//! HttpOnly cookie for pages and as a Bearer token for the API. Each token names the
//! user's token version; logout and password change raise it, which revokes every
//! token issued before on the server side.

use crate::accounts::model::UserId;
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::config::Secret;
use crate::error::AppError;
use crate::web::context::SESSION_HOURS;

const AUDIENCE: &str = "bilim";
/// The audience of the short token between a right password and a right second
/// factor: it opens nothing but the second step of signing in.
const SECOND_STEP_AUDIENCE: &str = "bilim-second-step";
/// Minutes the second step may take.
pub const SECOND_STEP_MINUTES: i64 = 10;

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    ver: i32,
    iat: i64,
    exp: i64,
    aud: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenSubject {
    pub user_id: UserId,
    pub token_version: i32,
}

pub struct IssuedToken {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

pub fn issue(secret: &Secret, user_id: UserId, token_version: i32) -> Result<IssuedToken, AppError> {
    signed(secret, user_id, token_version, AUDIENCE, Duration::hours(SESSION_HOURS))
}

/// A token for the second step of signing in, after a right password.
pub fn issue_second_step(secret: &Secret, user_id: UserId, token_version: i32) -> Result<IssuedToken, AppError> {
    signed(
        secret,
        user_id,
        token_version,
        SECOND_STEP_AUDIENCE,
        Duration::minutes(SECOND_STEP_MINUTES),
    )
}

fn signed(
    secret: &Secret,
    user_id: UserId,
    token_version: i32,
    audience: &str,
    lifetime: Duration,
) -> Result<IssuedToken, AppError> {
    let now = Utc::now();
    let expires_at = now + lifetime;
    let claims = Claims {
        sub: user_id.to_string(),
        ver: token_version,
        iat: now.timestamp(),
        exp: expires_at.timestamp(),
        aud: audience.into(),
    };
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.bytes()),
    )
    .map_err(|e| AppError::internal(format!("cannot sign a session token: {e}")))?;
    Ok(IssuedToken { token, expires_at })
}

/// The subject of a valid session token: signature, algorithm, audience and expiry
/// checked. Whether its version is still current is the caller's check against the
/// database.
pub fn verify(secret: &Secret, token: &str) -> Option<TokenSubject> {
    verified(secret, token, AUDIENCE)
}

/// The subject of a valid second-step token (never a session token, nor the reverse).
pub fn verify_second_step(secret: &Secret, token: &str) -> Option<TokenSubject> {
    verified(secret, token, SECOND_STEP_AUDIENCE)
}

fn verified(secret: &Secret, token: &str, audience: &str) -> Option<TokenSubject> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_audience(&[audience]);
    validation.leeway = 0;
    let data = jsonwebtoken::decode::<Claims>(token, &DecodingKey::from_secret(secret.bytes()), &validation).ok()?;
    Some(TokenSubject {
        user_id: data.claims.sub.parse().ok()?,
        token_version: data.claims.ver,
    })
}
