//! Password and token checks under the limits that count failures (see
//! `web::rate_limit`): a wrong password counts against the client's address and the
//! account typed, an unknown token against the client's address. Successes count
//! nothing, so a class signing in from one address is never locked out, while a
//! guesser is stopped at one account whatever addresses they use.

use actix_web::HttpRequest;

use super::model::User;
use super::{password, store};
use crate::app::{AppState, Attempt};
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::web::rate_limit::{self, Limit};

/// The limits a password check counts against: the client's address and the account
/// typed (existing or not, so a refusal tells nothing about which addresses exist).
pub async fn begin_password_check(state: &AppState, req: &HttpRequest, email: &str) -> AppResult<Attempt> {
    state
        .begin_attempt(vec![
            (Limit::PasswordFailuresPerAddress, state.limits.client_key(req)),
            (Limit::PasswordFailuresPerAccount, rate_limit::account_key(email)),
        ])
        .await
}

/// The user whose email and password match, or `None`. An unknown address costs one
/// Argon2 check like a wrong password, under the same cap, so both take the same
/// time; both count as failures, a match counts nothing. Refused with 429 while the
/// client's address or the account has used up its failures.
pub async fn authenticate(state: &AppState, req: &HttpRequest, email: &str, password: &str) -> AppResult<Option<User>> {
    let attempt = begin_password_check(state, req, email).await?;
    let email = email.trim().to_lowercase();
    let row = state.db(move |conn| store::find_row_by_email(conn, &email)).await?;
    let password = password.to_owned();
    let user = state
        .password_work(move || {
            Ok(match row {
                Some(row) if password::verify(&password, &row.password_hash) => Some(User::from(row)),
                Some(_) => None,
                None => {
                    password::verify_against_nothing(&password);
                    None
                }
            })
        })
        .await?;
    if user.is_some() {
        state.attempt_succeeded(attempt).await?;
    }
    Ok(user)
}

/// Looks up what a one-time token from a link (setup, reset, invitation, address
/// confirmation) leads to. A token that leads nowhere (unknown, used, expired) is a
/// 404 and counts against the client's address; too many are refused with 429.
pub async fn look_up_token<T, F>(state: &AppState, req: &HttpRequest, look_up: F) -> AppResult<T>
where
    F: FnOnce(&mut DbConnection) -> AppResult<Option<T>> + Send + 'static,
    T: Send + 'static,
{
    let attempt = state
        .begin_attempt(vec![(Limit::TokenFailures, state.limits.client_key(req))])
        .await?;
    match state.db(look_up).await? {
        Some(found) => {
            state.attempt_succeeded(attempt).await?;
            Ok(found)
        }
        None => Err(AppError::NotFound),
    }
}

/// The limits a second-factor code counts against: the account (whose password was
/// right) and the client's address.
pub async fn begin_second_factor_check(state: &AppState, req: &HttpRequest, user: &User) -> AppResult<Attempt> {
    state
        .begin_attempt(vec![
            (Limit::SecondFactorFailures, format!("user:{}", user.id.get())),
            (Limit::PasswordFailuresPerAddress, state.limits.client_key(req)),
        ])
        .await
}
