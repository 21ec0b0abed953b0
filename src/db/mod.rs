//! Database access for both backends: one diesel `MultiConnection` over SQLite and
//! PostgreSQL, chosen at run time by the database URL, an r2d2 pool, per-connection
//! SQLite pragmas and embedded migrations per backend.

pub mod backup;
pub mod durability;
pub mod locks;
pub mod schema;
pub mod settings;

use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, PooledConnection};
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, RunQueryDsl};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

pub type DbPool = Pool<ConnectionManager<DbConnection>>;
pub type PooledDb = PooledConnection<ConnectionManager<DbConnection>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbSetupError {
    #[error("DATABASE_URL must start with postgres://, postgresql:// or sqlite:// (got scheme {0:?})")]
    UnknownScheme(String),
    #[error("cannot create the directory for the SQLite database {path}: {source}")]
    CreateDir { path: String, source: std::io::Error },
    #[error("cannot open the database: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error("cannot migrate the database: {0}")]
    Migration(String),
    #[error("database error: {0}")]
    Query(#[from] diesel::result::Error),
}

/// Where a database URL points, checked before anything is opened: an unknown scheme
/// is an error, never a new SQLite file with a strange name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    pub backend: Backend,
    /// What diesel is given: the URL for PostgreSQL, the file path for SQLite.
    pub connect_to: String,
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, DbSetupError> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self {
                backend: Backend::Postgres,
                connect_to: url.to_owned(),
            });
        }
        if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
            if !path.is_empty() {
                return Ok(Self {
                    backend: Backend::Sqlite,
                    connect_to: path.to_owned(),
                });
            }
        }
        let scheme = url.split(':').next().unwrap_or_default().to_owned();
        Err(DbSetupError::UnknownScheme(scheme))
    }
}

/// Sets SQLite's pragmas on every new connection. `busy_timeout` comes before the
/// journal mode so a second connection waits instead of failing while the first
/// switches the file to WAL; foreign keys are off in SQLite unless asked for. A larger
/// page cache (8 MB a connection) keeps report queries over large tables in memory.
/// Memory-mapped reads are off: each connection remapped the file whenever writes
/// grew it, and under a quiz's load the remapping (and the TLB flushes it sends to
/// every core) cost more than the reads saved;
/// `optimize` on open gathers the planner statistics that reports' joins need, as the
/// SQLite documentation advises for long-lived connections.
#[derive(Debug, Clone, Copy)]
struct SqlitePragmas;

impl CustomizeConnection<DbConnection, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut DbConnection) -> Result<(), diesel::r2d2::Error> {
        if let DbConnection::Sqlite(sqlite) = conn {
            for pragma in [
                "PRAGMA busy_timeout = 10000",
                "PRAGMA journal_mode = WAL",
                "PRAGMA synchronous = NORMAL",
                "PRAGMA foreign_keys = ON",
                "PRAGMA cache_size = -8192",
                "PRAGMA mmap_size = 0",
                "PRAGMA analysis_limit = 400",
                "PRAGMA optimize = 0x10002",
            ] {
                diesel::sql_query(pragma)
                    .execute(sqlite)
                    .map_err(diesel::r2d2::Error::QueryError)?;
            }
        }
        Ok(())
    }
}

/// Refreshes the query planner's statistics where they are stale. SQLite only does this
/// when asked; PostgreSQL's autovacuum does it on its own.
pub fn optimize(conn: &mut DbConnection) -> Result<(), diesel::result::Error> {
    if let DbConnection::Sqlite(sqlite) = conn {
        diesel::sql_query("PRAGMA optimize").execute(sqlite)?;
    }
    Ok(())
}

/// Opens a pool for the URL, creating the SQLite file's directory where needed.
pub fn connect(url: &DatabaseUrl, max_size: u32) -> Result<DbPool, DbSetupError> {
    if url.backend == Backend::Sqlite {
        if let Some(parent) = std::path::Path::new(&url.connect_to).parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent).map_err(|source| DbSetupError::CreateDir {
                    path: parent.display().to_string(),
                    source,
                })?;
            }
        }
    }
    let manager = ConnectionManager::<DbConnection>::new(url.connect_to.clone());
    let pool = Pool::builder()
        .max_size(max_size)
        // A SQLite connection cannot go stale, so checking it with a query at every
        // checkout is work for nothing; a PostgreSQL connection can (a restarted
        // server), and is checked.
        .test_on_check_out(url.backend == Backend::Postgres)
        .connection_timeout(Duration::from_secs(15))
        .connection_customizer(Box::new(SqlitePragmas))
        .build(manager)?;
    Ok(pool)
}

/// Runs the pending migrations of the connection's backend. On PostgreSQL an advisory
/// lock makes concurrent starts of several instances safe.
///
/// Data that SQL alone cannot derive the same way on both backends is filled in by
/// the capability that owns it, after this (see `server::open_database`).
pub fn migrate(conn: &mut DbConnection) -> Result<usize, DbSetupError> {
    let to_error = |e: Box<dyn std::error::Error + Send + Sync>| DbSetupError::Migration(e.to_string());
    match conn {
        DbConnection::Sqlite(sqlite) => {
            let applied = sqlite.run_pending_migrations(SQLITE_MIGRATIONS).map_err(to_error)?;
            Ok(applied.len())
        }
        DbConnection::Postgresql(pg) => {
            diesel::sql_query("SELECT pg_advisory_lock($1)")
                .bind::<diesel::sql_types::BigInt, _>(locks::Lock::Migration.key())
                .execute(pg)?;
            let result = pg
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|applied| applied.len())
                .map_err(to_error);
            diesel::sql_query("SELECT pg_advisory_unlock($1)")
                .bind::<diesel::sql_types::BigInt, _>(locks::Lock::Migration.key())
                .execute(pg)?;
            result
        }
    }
}

/// Reverts every migration, newest first: used by the test that proves each
/// migration's `down.sql` undoes its `up.sql` on both backends.
pub fn revert_all(conn: &mut DbConnection) -> Result<usize, DbSetupError> {
    let to_error = |e: Box<dyn std::error::Error + Send + Sync>| DbSetupError::Migration(e.to_string());
    match conn {
        DbConnection::Sqlite(sqlite) => sqlite
            .revert_all_migrations(SQLITE_MIGRATIONS)
            .map(|reverted| reverted.len())
            .map_err(to_error),
        DbConnection::Postgresql(pg) => pg
            .revert_all_migrations(POSTGRES_MIGRATIONS)
            .map(|reverted| reverted.len())
            .map_err(to_error),
    }
}

/// The turn of this process's SQLite write transactions (see [`write_transaction`]).
/// One for every database the process has open: in production that is one, and tests
/// with a database each only wait a little longer for each other's short writes.
static SQLITE_WRITERS: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Runs `work` in a transaction meant for writing. On SQLite it is an immediate
/// transaction: the write lock is taken at the start, so two writers queue on the busy
/// timeout instead of one failing with SQLITE_BUSY when it upgrades a read lock.
pub fn write_transaction<T, E>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    let is_sqlite = match conn {
        DbConnection::Sqlite(sqlite) => {
            let depth = AnsiTransactionManager::transaction_manager_status_mut(sqlite).transaction_depth()?;
            if depth.is_some() {
                // Already inside a write transaction: a savepoint nests in it.
                false
            } else {
                true
            }
        }
        DbConnection::Postgresql(_) => false,
    };
    if !is_sqlite {
        return conn.transaction(work);
    }
    // Writers of this process queue here, in turn, rather than on SQLite's busy
    // handler, which polls the lock with sleeps of 1, 2, 5, 10… ms: under a quiz's
    // load most of a writer's time went to sleeping past the moment the lock was
    // free. Other processes (a `bilim` command) still meet the busy handler.
    let _turn = SQLITE_WRITERS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let DbConnection::Sqlite(sqlite) = conn {
        AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?;
    }
    let outcome = work(conn);
    if let DbConnection::Sqlite(sqlite) = conn {
        match &outcome {
            Ok(_) => AnsiTransactionManager::commit_transaction(sqlite)?,
            Err(_) => AnsiTransactionManager::rollback_transaction(sqlite)?,
        }
    }
    outcome
}
