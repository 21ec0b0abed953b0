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
    let now = Utc::now();
    let expires_at = now + Duration::hours(SESSION_HOURS);
    let claims = Claims {
        sub: user_id.to_string(),
        ver: token_version,
        iat: now.timestamp(),
        exp: expires_at.timestamp(),
        aud: AUDIENCE.into(),
    };
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.bytes()),
    )
    .map_err(|e| AppError::internal(format!("cannot sign a session token: {e}")))?;
    Ok(IssuedToken { token, expires_at })
}

/// The subject of a valid token: signature, algorithm, audience and expiry checked.
/// Whether its version is still current is the caller's check against the database.
pub fn verify(secret: &Secret, token: &str) -> Option<TokenSubject> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_audience(&[AUDIENCE]);
    validation.leeway = 0;
    let data = jsonwebtoken::decode::<Claims>(token, &DecodingKey::from_secret(secret.bytes()), &validation).ok()?;
    Some(TokenSubject {
        user_id: data.claims.sub.parse().ok()?,
        token_version: data.claims.ver,
    })
}
