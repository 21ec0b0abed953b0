//! Rate limits for the endpoints that guess passwords, tokens or keys, or that send
//! mail. Every count is kept in the database, in sliding windows that every instance
//! over one database shares.
//!
//! Two kinds of limit:
//! - **every request** ([`Counting::EveryRequest`]: registration, password-reset
//!   mail, certificate checks) counts each request by the client's address, first in
//!   this instance's memory, which turns a flood away without touching the
//!   database, then in the database;
//! - **failures only** ([`Counting::Failures`]: wrong passwords, unknown tokens,
//!   wrong enrolment keys) counts an attempt before it is made ([`reserve`]), so that
//!   attempts made at the same moment cannot all slip under the limit, and takes the
//!   count back when the attempt succeeds ([`release`]). Successes never use up an
//!   allowance, so a class signing in behind one address is never locked out.
//!
//! The client's address is the connection's peer, or behind trusted proxies the
//! address they forwarded (see [`super::proxies`]).

use std::net::IpAddr;
use std::num::NonZeroU32;

use actix_web::HttpRequest;
use chrono::{DurationRound, NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sha2::{Digest, Sha256};

use super::proxies::{self, TrustedProxies};
use crate::db::schema::rate_limit_windows;
use crate::db::DbConnection;
use crate::error::AppError;

/// What a limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counting {
    EveryRequest,
    Failures,
}

/// What a limit protects, with its allowance per window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Wrong passwords from one client address, into any accounts (sign-in, API
    /// tokens, password change): 100 a minute, far above what a class behind one
    /// address gets wrong.
    PasswordFailuresPerAddress,
    /// Wrong passwords for one account, keyed by the address typed whether or not an
    /// account has it, from any client address: 10 in 15 minutes.
    PasswordFailuresPerAccount,
    /// Links and forms with a one-time token (first-administrator setup, password
    /// reset, invitation, address confirmation) that name no valid token, per client
    /// address: 10 a minute.
    TokenFailures,
    /// Wrong enrolment keys, per learner and run: 5 in 15 minutes.
    EnrolmentKeyFailures,
    /// Wrong second-factor codes for one account (after a right password): 5 in 15
    /// minutes, so six digits cannot be worked through.
    SecondFactorFailures,
    /// Password-reset mail asked for, per client address: 10 a minute.
    ResetRequest,
    /// New accounts, per client address: 5 a minute.
    Register,
    /// Public certificate checks, per client address: 30 a minute, so codes cannot
    /// be guessed by brute force.
    Verify,
}

impl Limit {
    /// How many in one window are allowed; the next is refused.
    pub fn allowance(self) -> u32 {
        match self {
            Limit::PasswordFailuresPerAddress => 100,
            Limit::PasswordFailuresPerAccount | Limit::TokenFailures | Limit::ResetRequest => 10,
            Limit::EnrolmentKeyFailures | Limit::SecondFactorFailures | Limit::Register => 5,
            Limit::Verify => 30,
        }
    }

    /// The length of the sliding window the allowance applies to.
    pub fn window(self) -> TimeDelta {
        match self {
            Limit::PasswordFailuresPerAccount | Limit::EnrolmentKeyFailures | Limit::SecondFactorFailures => {
                TimeDelta::minutes(15)
            }
            _ => TimeDelta::minutes(1),
        }
    }

    pub fn counting(self) -> Counting {
        match self {
            Limit::PasswordFailuresPerAddress
            | Limit::PasswordFailuresPerAccount
            | Limit::TokenFailures
            | Limit::EnrolmentKeyFailures
            | Limit::SecondFactorFailures => Counting::Failures,
            Limit::ResetRequest | Limit::Register | Limit::Verify => Counting::EveryRequest,
        }
    }

    /// The message a refused request gets: how long to wait, never whether an
    /// account exists.
    pub fn message_key(self) -> &'static str {
        match self {
            Limit::PasswordFailuresPerAccount => "accounts.sign_in_locked",
            Limit::EnrolmentKeyFailures => "runs.key_attempts_exceeded",
            Limit::SecondFactorFailures => "two_factor.locked",
            _ => "errors.rate_limited",
        }
    }

    fn bucket(self) -> &'static str {
        match self {
            Limit::PasswordFailuresPerAddress => "password_failures_address",
            Limit::PasswordFailuresPerAccount => "password_failures_account",
            Limit::TokenFailures => "token_failures",
            Limit::EnrolmentKeyFailures => "enrolment_key_failures",
            Limit::SecondFactorFailures => "second_factor_failures",
            Limit::ResetRequest => "reset_request",
            Limit::Register => "register",
            Limit::Verify => "verify",
        }
    }
}

/// The key an account is counted under: a hash of the address typed, trimmed and in
/// lower case, so that the table holds no addresses (nor passwords typed into the
/// address field).
pub fn account_key(email: &str) -> String {
    Sha256::digest(email.trim().to_lowercase().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// This instance's limiters for the limits that count every request, and how the
/// client's address is found.
pub struct RateLimits {
    reset_request: DefaultKeyedRateLimiter<String>,
    register: DefaultKeyedRateLimiter<String>,
    verify: DefaultKeyedRateLimiter<String>,
    proxies: TrustedProxies,
}

fn keyed(limit: Limit) -> DefaultKeyedRateLimiter<String> {
    RateLimiter::keyed(Quota::per_minute(
        NonZeroU32::new(limit.allowance()).unwrap_or(NonZeroU32::MIN),
    ))
}

impl RateLimits {
    pub fn new(proxies: TrustedProxies) -> Self {
        RateLimits {
            reset_request: keyed(Limit::ResetRequest),
            register: keyed(Limit::Register),
            verify: keyed(Limit::Verify),
            proxies,
        }
    }

    pub fn client_address(&self, req: &HttpRequest) -> IpAddr {
        self.proxies.client(req.peer_addr().map(|a| a.ip()), req.headers())
    }

    /// The key the client's address is counted under (see [`proxies::address_key`]).
    pub fn client_key(&self, req: &HttpRequest) -> String {
        proxies::address_key(self.client_address(req))
    }

    /// The check in this instance's memory, for limits that count every request, by
    /// the key of the client's address.
    pub fn check_here(&self, limit: Limit, client: &str) -> Result<(), AppError> {
        let limiter = match limit {
            Limit::ResetRequest => &self.reset_request,
            Limit::Register => &self.register,
            Limit::Verify => &self.verify,
            _ => return Ok(()),
        };
        limiter
            .check_key(&client.to_owned())
            .map_err(|_| AppError::RateLimited(limit.message_key()))
    }
}

/// One count in the database's window, to take back with [`release`] when the
/// attempt it stands for succeeds.
#[derive(Debug, Clone)]
pub struct Reservation {
    limit: Limit,
    key: String,
    window_start: NaiveDateTime,
}

/// Adds one to the window `now` falls in and returns the estimated count over the
/// last window's length, this one included.
fn count_one(
    conn: &mut DbConnection,
    limit: Limit,
    key: &str,
    now: NaiveDateTime,
) -> Result<(NaiveDateTime, f64), AppError> {
    let window = limit.window();
    let window_start = now.duration_trunc(window).unwrap_or(now);
    // An upsert: diesel builds it for each backend, not for the two-backend connection.
    macro_rules! count_hit {
        ($conn:expr) => {
            diesel::insert_into(rate_limit_windows::table)
                .values((
                    rate_limit_windows::bucket.eq(limit.bucket()),
                    rate_limit_windows::client.eq(key),
                    rate_limit_windows::window_start.eq(window_start),
                    rate_limit_windows::hits.eq(1),
                ))
                .on_conflict((
                    rate_limit_windows::bucket,
                    rate_limit_windows::client,
                    rate_limit_windows::window_start,
                ))
                .do_update()
                .set(rate_limit_windows::hits.eq(rate_limit_windows::hits + 1))
                .returning(rate_limit_windows::hits)
                .get_result::<i32>($conn)
        };
    }
    let hits = match conn {
        DbConnection::Sqlite(sqlite) => count_hit!(sqlite),
        DbConnection::Postgresql(pg) => count_hit!(pg),
    }?;
    let previous: Option<i32> = rate_limit_windows::table
        .find((limit.bucket(), key, window_start - window))
        .select(rate_limit_windows::hits)
        .first(conn)
        .optional()?;
    Ok((
        window_start,
        sliding_count(hits, previous.unwrap_or(0), now - window_start, window),
    ))
}

/// Counts a request of a limit that counts every request; more than the allowance
/// within the last window is refused (and stays counted).
pub fn check_shared(conn: &mut DbConnection, limit: Limit, key: &str, now: NaiveDateTime) -> Result<(), AppError> {
    let (_, count) = count_one(conn, limit, key, now)?;
    if count > f64::from(limit.allowance()) {
        return Err(AppError::RateLimited(limit.message_key()));
    }
    Ok(())
}

/// Counts an attempt before it is made. Over the allowance, the count is taken back
/// at once and the attempt refused, so refused attempts never extend a lock-out;
/// otherwise the count stays unless [`release`]d.
pub fn reserve(conn: &mut DbConnection, limit: Limit, key: &str, now: NaiveDateTime) -> Result<Reservation, AppError> {
    let (window_start, count) = count_one(conn, limit, key, now)?;
    let reservation = Reservation {
        limit,
        key: key.to_owned(),
        window_start,
    };
    if count > f64::from(limit.allowance()) {
        release(conn, &reservation)?;
        return Err(AppError::RateLimited(limit.message_key()));
    }
    Ok(reservation)
}

/// Takes back a reserved count: the attempt succeeded, or was refused for another
/// limit.
pub fn release(conn: &mut DbConnection, reservation: &Reservation) -> Result<(), AppError> {
    diesel::update(
        rate_limit_windows::table
            .find((
                reservation.limit.bucket(),
                reservation.key.as_str(),
                reservation.window_start,
            ))
            .filter(rate_limit_windows::hits.gt(0)),
    )
    .set(rate_limit_windows::hits.eq(rate_limit_windows::hits - 1))
    .execute(conn)?;
    Ok(())
}

/// Reserves a count under each of `limits`; if one refuses, those already reserved
/// are taken back.
pub fn reserve_all(
    conn: &mut DbConnection,
    limits: &[(Limit, String)],
    now: NaiveDateTime,
) -> Result<Vec<Reservation>, AppError> {
    let mut reserved = Vec::with_capacity(limits.len());
    for (limit, key) in limits {
        match reserve(conn, *limit, key, now) {
            Ok(reservation) => reserved.push(reservation),
            Err(refused) => {
                for reservation in &reserved {
                    release(conn, reservation)?;
                }
                return Err(refused);
            }
        }
    }
    Ok(reserved)
}

/// The hits of the last window, estimated from this window's count and the previous
/// one's, weighted by how much of it still lies within the last window's length; a
/// limit does not start afresh when a window begins.
fn sliding_count(current: i32, previous: i32, into_window: TimeDelta, window: TimeDelta) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let elapsed = into_window.num_milliseconds() as f64 / (window.num_milliseconds().max(1) as f64);
    f64::from(current) + f64::from(previous) * (1.0 - elapsed.clamp(0.0, 1.0))
}

/// Deletes the windows of more than an hour ago; run hourly.
pub fn forget_old_windows(conn: &mut DbConnection, now: NaiveDateTime) -> Result<usize, AppError> {
    Ok(
        diesel::delete(
            rate_limit_windows::table.filter(rate_limit_windows::window_start.lt(now - TimeDelta::hours(1))),
        )
        .execute(conn)?,
    )
}
