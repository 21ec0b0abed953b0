//! Starting the server: configuration, database, migrations, first-run setup, demo data.

use actix_web::{web, HttpServer};
use anyhow::Context;

use crate::accounts::setup;
use crate::app::AppState;
use crate::config::Config;
use crate::db::{self, DbPool};
use crate::demo;

/// The database pool's size: connections open at once.
const POOL_SIZE: u32 = 16;

/// Blocking threads of each of actix's workers (one a core): together about as many
/// as the pool has connections.
const BLOCKING_THREADS_PER_WORKER: usize = 8;

/// Opens the database named by the configuration and brings its schema up to date.
pub fn open_database(config: &Config) -> anyhow::Result<DbPool> {
    let pool = db::connect(&config.database, POOL_SIZE)?;
    let mut conn = pool.get().context("cannot connect to the database")?;
    let applied = db::migrate(&mut conn)?;
    if applied > 0 {
        tracing::info!(applied, "database migrated");
    }
    // Search texts of users written before the column existed (migration 000009).
    crate::accounts::store::fill_search_text(&mut conn).context("cannot fill the users' search texts")?;
    Ok(pool)
}

/// Imports the courses folder at start. Problems are logged; a course with errors
/// keeps its last imported revision, so a typo never takes a course offline.
fn import_courses(config: &Config, conn: &mut crate::db::DbConnection) {
    if !config.courses_dir.is_dir() {
        tracing::warn!(dir = %config.courses_dir.display(), "no courses folder: no courses imported");
        return;
    }
    let catalogue = crate::courses::load::load(&config.courses_dir);
    for diagnostic in catalogue.diagnostics.all() {
        if diagnostic.severity == crate::courses::load::Severity::Error {
            tracing::error!("{diagnostic}");
        }
    }
    match crate::cli::import_with_progress_bar(conn, &catalogue) {
        Ok(report) => crate::cli::print_import_report(&report),
        Err(error) => tracing::error!(%error, "importing the courses failed"),
    }
}

pub async fn serve(config: Config, seed_demo: bool) -> anyhow::Result<()> {
    // Held until the server stops, so `bilim restore` cannot swap the file under it.
    let _serving = db::backup::hold_while_serving(&config)?;
    let pool = open_database(&config)?;
    let mut conn = pool.get().context("cannot connect to the database")?;
    import_courses(&config, &mut conn);
    if seed_demo {
        demo::seed(&mut conn)?.print();
    }
    if let Some(token) = setup::issue_token_if_needed(&mut conn).map_err(|e| anyhow::anyhow!("{e}"))? {
        // Printed, not logged: the address is a credential for whoever reads the console.
        println!();
        println!("No administrator exists yet. Open this address once to create the first one:");
        println!("    {}/setup?token={token}", config.public_url);
        println!();
    }
    drop(conn);
    let delivery = crate::mail::Delivery::new(config.smtp_url.as_deref(), config.data_dir.join("outbox"))?;
    match &config.smtp_url {
        Some(_) => tracing::info!("mail is sent over SMTP"),
        None => {
            tracing::info!(folder = %config.data_dir.join("outbox").display(), "no BILIM_SMTP_URL: mail is written as .eml files")
        }
    }
    let backend = config.database.backend;
    let bind = config.bind.clone();
    let state = web::Data::new(AppState::new(pool.clone(), backend, config).context("cannot start the application")?);
    crate::mail::spawn_worker(pool.clone(), delivery, state.mail.clone()).context("cannot start the mail worker")?;
    spawn_planner_statistics(pool).context("cannot start the database maintenance thread")?;
    tracing::info!(%bind, database = backend.name(), "Bilim is listening");
    println!("Bilim is running on http://{bind} ({} database)", backend.name());
    HttpServer::new(move || crate::app::app(state.clone()))
        // Database work runs on these threads and waits for one of the pool's
        // connections, so more threads than connections only wait, each keeping its
        // own stack and allocator cache (actix's default is 512 a worker).
        .worker_max_blocking_threads(BLOCKING_THREADS_PER_WORKER)
        .bind(&bind)
        .with_context(|| format!("cannot listen on {bind}"))?
        .run()
        .await
        .context("the server stopped with an error")
}

/// Hourly upkeep: refreshes SQLite's planner statistics, so that report queries keep
/// good plans as tables grow (connections are long-lived; `optimize` on open alone is
/// not enough), settles the attendance of runs that have ended, issues the
/// certificates that waited for their run to start, forgets checked CSV files older
/// than a day and rate-limit windows of more than an hour ago.
fn spawn_planner_statistics(pool: crate::db::DbPool) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("bilim-db-maintenance".into())
        .spawn(move || loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
            if let Ok(mut conn) = pool.get() {
                if let Err(error) = crate::db::optimize(&mut conn) {
                    tracing::warn!(%error, "refreshing planner statistics failed");
                }
                let now = chrono::Utc::now().naive_utc();
                if let Err(error) = crate::attendance::settle_ended_runs(&mut conn, now) {
                    tracing::warn!(%error, "settling the attendance of ended runs failed");
                }
                if let Err(error) = crate::certificates::issue_waiting(&mut conn, now) {
                    tracing::warn!(%error, "issuing the certificates that waited for their run's start failed");
                }
                if let Err(error) = crate::enrolment::bulk::forget_expired_checks(&mut conn, now) {
                    tracing::warn!(%error, "forgetting expired CSV checks failed");
                }
                if let Err(error) = crate::web::rate_limit::forget_old_windows(&mut conn, now) {
                    tracing::warn!(%error, "forgetting old rate-limit windows failed");
                }
            }
        })
}
