//! The application: the state every request shares, the middleware stack and the
//! routing table, which composes each capability's `routes`. The server and the tests
//! run it through [`app`].

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware;
use actix_web::{web, App, HttpResponse};
use anyhow::Context;
use tera::Tera;

use crate::accounts::model::User;
use crate::accounts::{session, store};
use crate::config::Config;
use crate::db::{Backend, DbConnection, DbPool};
use crate::error::{AppError, AppResult};
use crate::web::{assets, body, context, forms, rate_limit, render, security_headers};
use crate::{accounts, attendance, audit, certificates, courses, enrolment, institutions, quizzes, reports};

pub struct AppState {
    pub pool: DbPool,
    pub backend: Backend,
    pub config: Config,
    /// Built once; the mail settings share it, so messages are rendered with the
    /// same templates and escaper as the pages, inside requests or not.
    pub tera: Arc<Tera>,
    pub assets: assets::Assets,
    pub limits: rate_limit::RateLimits,
    /// Argon2 hashes running at once: each takes 19 MiB and a core for tens of
    /// milliseconds, so a burst of sign-ins waits here rather than exhausting memory.
    pub password_slots: tokio::sync::Semaphore,
    pub mail: crate::mail::MailSettings,
    pub signing: crate::certificates::keys::SigningKeys,
    /// Flushes SQLite's log before a request that wrote is answered (group commit).
    pub durability: Arc<crate::db::durability::Durability>,
    /// Rendered course content, shared by this instance's workers.
    pub content: courses::ContentCaches,
}

impl AppState {
    /// Builds what every request shares. Fails on templates that do not compile, a
    /// mail sender address that does not parse, or a signing key that cannot be read
    /// or stored in the database.
    pub fn new(pool: DbPool, backend: Backend, config: Config) -> anyhow::Result<Self> {
        let tera = Arc::new(render::build_tera().context("the page templates do not compile")?);
        let mail = crate::mail::MailSettings::new(
            &config.mail_from,
            &config.site_name,
            &config.public_url,
            Arc::clone(&tera),
        )
        .map_err(|e| anyhow::anyhow!("BILIM_MAIL_FROM is not a usable sender: {e}"))?;
        let mut conn = pool.get().context("cannot connect to the database")?;
        let signing = crate::certificates::keys::SigningKeys::load_or_create(&mut conn, &config.data_dir)
            .context("cannot read or create the certificate signing key")?;
        drop(conn);
        let proxies = config.trusted_proxies.clone();
        let durability = Arc::new(crate::db::durability::Durability::for_database(&config.database));
        Ok(AppState {
            signing,
            mail,
            pool,
            backend,
            config,
            tera,
            assets: assets::Assets::new(),
            limits: rate_limit::RateLimits::new(proxies),
            password_slots: tokio::sync::Semaphore::new(password_slots()),
            content: courses::ContentCaches::new(),
            durability,
        })
    }

    /// Refuses a request over `limit` (one that counts every request) for its
    /// client's address: first in this instance's memory, then in the database that
    /// every instance shares.
    pub async fn check_rate(&self, limit: rate_limit::Limit, req: &actix_web::HttpRequest) -> AppResult<()> {
        let key = self.limits.client_key(req);
        self.limits.check_here(limit, &key)?;
        self.db(move |conn| rate_limit::check_shared(conn, limit, &key, chrono::Utc::now().naive_utc()))
            .await
    }

    /// Counts an attempt under each of `limits` (limits that count failures, with the
    /// key each counts by), or refuses it with 429 when one is used up. The counts
    /// stay, as failures, unless the attempt is then declared a success with
    /// [`AppState::attempt_succeeded`].
    pub async fn begin_attempt(&self, limits: Vec<(rate_limit::Limit, String)>) -> AppResult<Attempt> {
        let reservations = self
            .db(move |conn| rate_limit::reserve_all(conn, &limits, chrono::Utc::now().naive_utc()))
            .await?;
        Ok(Attempt { reservations })
    }

    /// Takes back the counts of an attempt that succeeded.
    pub async fn attempt_succeeded(&self, attempt: Attempt) -> AppResult<()> {
        self.db(move |conn| {
            for reservation in &attempt.reservations {
                rate_limit::release(conn, reservation)?;
            }
            Ok(())
        })
        .await
    }

    /// Runs Argon2 work (hashing or checking a password) on the blocking thread pool,
    /// at most [`password_slots`] at once; the rest wait their turn.
    pub async fn password_work<T, F>(&self, work: F) -> AppResult<T>
    where
        F: FnOnce() -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let _slot = self.password_slots.acquire().await.map_err(AppError::internal)?;
        web::block(work).await?
    }

    /// The user a session token (cookie or Bearer) belongs to, while the token is
    /// valid and its version current; `None` for no token or a stale one.
    pub async fn signed_in_user(&self, token: Option<String>) -> AppResult<Option<User>> {
        let Some(subject) = token.and_then(|t| session::verify(&self.config.secret, &t)) else {
            return Ok(None);
        };
        let user = self.db_read(move |conn| store::find(conn, subject.user_id)).await?;
        Ok(user.filter(|u| u.token_version == subject.token_version))
    }

    /// Runs work that only reads. On SQLite, with a connection free at once, it runs
    /// right here on the worker: a read by key takes microseconds, while a hop to the
    /// blocking pool and back costs two thread switches, more than the read itself.
    /// Otherwise, and always on PostgreSQL (a round trip over the network), it runs on
    /// the blocking pool as [`AppState::db`] does. Work that may write, or wait on a
    /// lock, belongs in [`AppState::db`].
    pub async fn db_read<T, F>(&self, work: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConnection) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        if self.backend == Backend::Sqlite {
            if let Some(mut conn) = self.pool.try_get() {
                return work(&mut conn);
            }
        }
        let pool = self.pool.clone();
        web::block(move || {
            let mut conn = pool.get()?;
            work(&mut conn)
        })
        .await?
    }

    /// Runs work that takes connections from the pool itself (several at once, say) on
    /// the blocking thread pool.
    pub async fn with_pool<T, F>(&self, work: F) -> AppResult<T>
    where
        F: FnOnce(&DbPool) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        web::block(move || work(&pool)).await?
    }

    /// Runs database work on the blocking thread pool, never on an async worker: a
    /// pooled connection may wait, and SQLite calls block. What the work wrote is on
    /// disk before this returns, so a response never acknowledges what a power cut
    /// could take back (see `db::durability`).
    pub async fn db<T, F>(&self, work: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConnection) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        let durability = Arc::clone(&self.durability);
        web::block(move || {
            let mut conn = pool.get()?;
            let before = durability.mark(&mut conn)?;
            let outcome = work(&mut conn);
            let wrote = durability.wrote_since(&mut conn, before)?;
            drop(conn);
            if wrote {
                durability.wait_for_disk()?;
            }
            outcome
        })
        .await?
    }
}

/// An attempt counted against limits that count failures (see
/// [`AppState::begin_attempt`]).
#[must_use = "an attempt counts as a failure unless declared a success"]
pub struct Attempt {
    reservations: Vec<rate_limit::Reservation>,
}

/// How many password hashes may run at once: one per core, at least two and at most
/// eight (19 MiB each).
fn password_slots() -> usize {
    std::thread::available_parallelism()
        .map_or(2, std::num::NonZeroUsize::get)
        .clamp(2, 8)
}

/// The whole application, as the server and the tests run it.
pub fn app(
    state: web::Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let body_timeout = state.config.body_timeout;
    let access_log = state.config.access_log;
    let https = state.config.secure_cookies;
    App::new()
        .app_data(state)
        .app_data(web::PayloadConfig::new(forms::FORM_LIMIT_BYTES))
        .app_data(web::JsonConfig::default().limit(forms::FORM_LIMIT_BYTES))
        .app_data(web::QueryConfig::default())
        .wrap(middleware::from_fn(context::middleware))
        .wrap(middleware::from_fn(move |req, next| {
            body::deadline(body_timeout, req, next)
        }))
        .wrap(middleware::from_fn(crate::web::head_as_get))
        .wrap(security_headers(https))
        .wrap(middleware::Compress::default())
        .wrap(middleware::Condition::new(
            access_log,
            middleware::Logger::new("%r %s %Dms"),
        ))
        .route("/healthz", web::get().to(healthz))
        .route("/static/{name}", web::get().to(assets::static_file))
        .route("/logo", web::get().to(assets::logo))
        .configure(crate::home::routes)
        .configure(accounts::web::routes)
        .configure(accounts::recovery::routes)
        .configure(accounts::two_factor_web::routes)
        .configure(accounts::admin::routes)
        .configure(audit::web::routes)
        .configure(institutions::web::routes)
        .configure(courses::web::routes)
        .configure(quizzes::web::routes)
        .configure(enrolment::web::routes)
        .configure(attendance::web::routes)
        .configure(certificates::web::routes)
        .configure(reports::web::routes)
        .configure(crate::authoring::pages::routes)
        .configure(crate::authoring::editor::routes)
        .configure(crate::authoring::law_pages::routes)
        .configure(crate::authoring::glossary_pages::routes)
        .service(
            web::scope("/api/v1")
                .configure(accounts::api::routes)
                .configure(institutions::api::routes)
                .configure(courses::api::routes)
                .configure(quizzes::api::routes)
                .configure(enrolment::api::routes)
                .configure(attendance::api::routes)
                .configure(certificates::api::routes)
                .configure(crate::authoring::api::routes)
                .default_service(web::to(not_found)),
        )
        .default_service(web::to(not_found))
}

async fn not_found() -> AppResult<HttpResponse> {
    Err(AppError::NotFound)
}

async fn healthz(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    state
        .db(|conn| {
            use diesel::RunQueryDsl;
            diesel::sql_query("SELECT 1").execute(conn)?;
            Ok(())
        })
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "status": "ok",
        "database": state.backend.name(),
    })))
}
