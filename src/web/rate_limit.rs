//! Per-address rate limits for the endpoints that guess passwords or tokens. Each
//! request is first checked against a limiter in the instance's memory, which turns a
//! flood away without touching the database; the requests it lets through are then
//! counted in the database, so that every instance over one database shares the limit
//! (behind a load balancer set `BILIM_TRUST_PROXY=true`, so that the address is the
//! client's).

use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;

use actix_web::HttpRequest;
use chrono::{DurationRound, NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::db::schema::rate_limit_windows;
use crate::db::DbConnection;
use crate::error::AppError;

/// What a limit protects, with its allowance per minute and client address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Logins, API tokens, password resets and the first-administrator setup:
    /// password and token guessing.
    SignIn,
    /// New accounts.
    Register,
    /// Public certificate checks: codes must not be guessable by brute force.
    Verify,
}

impl Limit {
    pub fn per_minute(self) -> u32 {
        match self {
            Limit::SignIn => 10,
            Limit::Register => 5,
            Limit::Verify => 30,
        }
    }

    fn bucket(self) -> &'static str {
        match self {
            Limit::SignIn => "sign_in",
            Limit::Register => "register",
            Limit::Verify => "verify",
        }
    }
}

pub struct RateLimits {
    sign_in: DefaultKeyedRateLimiter<IpAddr>,
    register: DefaultKeyedRateLimiter<IpAddr>,
    verify: DefaultKeyedRateLimiter<IpAddr>,
    trust_proxy: bool,
}

fn keyed(limit: Limit) -> DefaultKeyedRateLimiter<IpAddr> {
    RateLimiter::keyed(Quota::per_minute(
        NonZeroU32::new(limit.per_minute()).unwrap_or(NonZeroU32::MIN),
    ))
}

impl RateLimits {
    pub fn new(trust_proxy: bool) -> Self {
        RateLimits {
            sign_in: keyed(Limit::SignIn),
            register: keyed(Limit::Register),
            verify: keyed(Limit::Verify),
            trust_proxy,
        }
    }

    pub fn client_address(&self, req: &HttpRequest) -> IpAddr {
        let from_proxy = self
            .trust_proxy
            .then(|| req.connection_info().realip_remote_addr().map(str::to_owned))
            .flatten()
            .and_then(|a| {
                a.parse::<std::net::SocketAddr>()
                    .map(|s| s.ip())
                    .ok()
                    .or_else(|| a.parse().ok())
            });
        from_proxy
            .or_else(|| req.peer_addr().map(|a| a.ip()))
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
    }

    /// The check in this instance's memory.
    pub fn check_here(&self, limit: Limit, client: IpAddr) -> Result<(), AppError> {
        let limiter = match limit {
            Limit::SignIn => &self.sign_in,
            Limit::Register => &self.register,
            Limit::Verify => &self.verify,
        };
        limiter.check_key(&client).map_err(|_| AppError::RateLimited)
    }
}

/// Counts a request in the database's window for this minute, shared by every
/// instance; more than the limit's allowance within the last sixty seconds is refused.
pub fn check_shared(conn: &mut DbConnection, limit: Limit, client: IpAddr, now: NaiveDateTime) -> Result<(), AppError> {
    let window_start = now.duration_trunc(TimeDelta::minutes(1)).unwrap_or(now);
    // An upsert: diesel builds it for each backend, not for the two-backend connection.
    macro_rules! count_hit {
        ($conn:expr) => {
            diesel::insert_into(rate_limit_windows::table)
                .values((
                    rate_limit_windows::bucket.eq(limit.bucket()),
                    rate_limit_windows::client.eq(client.to_string()),
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
        .find((limit.bucket(), client.to_string(), window_start - TimeDelta::minutes(1)))
        .select(rate_limit_windows::hits)
        .first(conn)
        .optional()?;
    if sliding_count(hits, previous.unwrap_or(0), now - window_start) > f64::from(limit.per_minute()) {
        return Err(AppError::RateLimited);
    }
    Ok(())
}

/// The hits of the last sixty seconds, estimated from this minute's count and the
/// previous minute's, weighted by how much of it still lies within them; a limit
/// does not start afresh on the minute.
fn sliding_count(current: i32, previous: i32, into_window: TimeDelta) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let elapsed = into_window.num_milliseconds() as f64 / 60_000.0;
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
