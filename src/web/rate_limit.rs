//! Per-address rate limits for the endpoints that guess passwords or tokens. Limits
//! are kept per instance, in memory; behind a load balancer each instance limits the
//! addresses it sees (set `BILIM_TRUST_PROXY=true` so that is the client's address).

use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;

use actix_web::HttpRequest;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::AppError;

pub struct RateLimits {
    /// Logins, API tokens and the first-administrator setup: password guessing.
    pub sign_in: DefaultKeyedRateLimiter<IpAddr>,
    /// New accounts.
    pub register: DefaultKeyedRateLimiter<IpAddr>,
    /// Public certificate checks: codes must not be guessable by brute force.
    pub verify: DefaultKeyedRateLimiter<IpAddr>,
    trust_proxy: bool,
}

fn per_minute(count: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(count).unwrap_or(NonZeroU32::MIN))
}

impl RateLimits {
    pub fn new(trust_proxy: bool) -> Self {
        RateLimits {
            sign_in: RateLimiter::keyed(per_minute(10)),
            register: RateLimiter::keyed(per_minute(5)),
            verify: RateLimiter::keyed(per_minute(30)),
            trust_proxy,
        }
    }

    fn client_address(&self, req: &HttpRequest) -> IpAddr {
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

    pub fn check(&self, limiter: &DefaultKeyedRateLimiter<IpAddr>, req: &HttpRequest) -> Result<(), AppError> {
        limiter
            .check_key(&self.client_address(req))
            .map_err(|_| AppError::RateLimited)
    }
}
