//! Group commit for SQLite: what a request wrote is on disk before it is acknowledged,
//! and concurrent requests share one flush.
//!
//! SQLite runs with `synchronous = NORMAL` in WAL mode: a commit writes its pages to
//! the write-ahead log without waiting for the disk, so a crash of the process loses
//! nothing but a power cut may lose the last commits. `synchronous = FULL` would flush
//! the log at every commit while the write lock is held, one flush per transaction in
//! a single line: about 0.2 ms each here, which caps a quiz at a few hundred attempts
//! a second. Instead, a request that changed something waits, after its commit and
//! with the write lock released, until the log has been flushed since; one flush
//! covers every commit made before it started, however many requests wait for it.
//! This is what PostgreSQL's group commit does, and what it needs no help for.

use std::path::PathBuf;
use std::sync::{Condvar, Mutex, PoisonError};

use diesel::RunQueryDsl;

use super::{Backend, DatabaseUrl, DbConnection};
use crate::error::AppError;

/// The flushes of one SQLite database; nothing to do on PostgreSQL.
#[derive(Debug)]
pub struct Durability {
    /// The database file; its log is beside it with `-wal` appended.
    database: Option<PathBuf>,
    flushes: Mutex<Flushes>,
    flushed: Condvar,
}

#[derive(Debug, Default)]
struct Flushes {
    /// Commits that asked to be made durable, numbered in order.
    requested: u64,
    /// Every commit up to this number is on disk.
    synced: u64,
    /// A flush is under way.
    flushing: bool,
}

diesel::define_sql_function! {
    /// SQLite's count of rows the connection has inserted, updated or deleted.
    fn total_changes() -> diesel::sql_types::BigInt;
}

impl Durability {
    pub fn for_database(url: &DatabaseUrl) -> Self {
        Durability {
            database: (url.backend == Backend::Sqlite).then(|| PathBuf::from(&url.connect_to)),
            flushes: Mutex::new(Flushes::default()),
            flushed: Condvar::new(),
        }
    }

    /// A mark of what the connection has written so far (SQLite's count of rows
    /// changed by it); `None` on PostgreSQL, which makes each commit durable itself.
    pub fn mark(&self, conn: &mut DbConnection) -> Result<Option<i64>, AppError> {
        match conn {
            DbConnection::Sqlite(sqlite) if self.database.is_some() => {
                // A query diesel keeps prepared: it runs twice per request that may write.
                Ok(Some(diesel::select(total_changes()).get_result(sqlite)?))
            }
            _ => Ok(None),
        }
    }

    /// Whether the connection has written since `before` (a [`Durability::mark`]).
    pub fn wrote_since(&self, conn: &mut DbConnection, before: Option<i64>) -> Result<bool, AppError> {
        match before {
            Some(before) => Ok(self.mark(conn)? != Some(before)),
            None => Ok(false),
        }
    }

    /// Waits until every commit made before this call is on disk, flushing the log
    /// itself when no flush that started after this call is under way. Blocks: call
    /// it on the blocking thread pool, with the connection back in the pool so that
    /// others can commit meanwhile (and share the next flush).
    pub fn wait_for_disk(&self) -> Result<(), AppError> {
        let Some(database) = &self.database else { return Ok(()) };
        let mut flushes = self.flushes.lock().unwrap_or_else(PoisonError::into_inner);
        flushes.requested += 1;
        let ticket = flushes.requested;
        loop {
            if flushes.synced >= ticket {
                return Ok(());
            }
            if !flushes.flushing {
                flushes.flushing = true;
                let covers = flushes.requested;
                drop(flushes);
                let outcome = flush(database);
                flushes = self.flushes.lock().unwrap_or_else(PoisonError::into_inner);
                flushes.flushing = false;
                if outcome.is_ok() {
                    flushes.synced = flushes.synced.max(covers);
                }
                self.flushed.notify_all();
                return outcome;
            }
            flushes = self.flushed.wait(flushes).unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// Flushes the database's write-ahead log to disk (fsync reaches the file's pages
/// whichever descriptor wrote them). Without a log, commits went to the database file
/// itself, which is flushed instead.
fn flush(database: &std::path::Path) -> Result<(), AppError> {
    let mut log = database.as_os_str().to_owned();
    log.push("-wal");
    let file = match std::fs::File::open(PathBuf::from(log)) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            std::fs::File::open(database).map_err(|e| AppError::internal(format!("cannot flush the database: {e}")))?
        }
        Err(error) => return Err(AppError::internal(format!("cannot flush the database log: {error}"))),
    };
    file.sync_data()
        .map_err(|e| AppError::internal(format!("cannot flush the database log: {e}")))
}
