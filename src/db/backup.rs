//! `bilim backup FILE` and `bilim restore FILE` for the embedded SQLite database.
//!
//! A backup is `VACUUM INTO`: one read transaction, so the copy is consistent (every
//! transaction committed before it began is in, none after) while the server goes on
//! serving and writing. A restore checks the copy, refuses while a server holds the
//! database, keeps the database it replaces beside it, and swaps the files in one
//! rename. PostgreSQL has its own tools (README: Backups).

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{bail, ensure, Context};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel::SqliteConnection;

use crate::config::Config;
use crate::db::Backend;

/// The SQLite file the configuration names; PostgreSQL has no file to copy.
fn database_file(config: &Config) -> anyhow::Result<PathBuf> {
    if config.database.backend != Backend::Sqlite {
        bail!("backup and restore are for the embedded SQLite database; back PostgreSQL up with pg_dump (README: Backups)");
    }
    Ok(PathBuf::from(&config.database.connect_to))
}

/// The lock file beside the database: servers hold it shared, a restore exclusively.
fn lock_path(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// Held by a running server for as long as it runs, so that a restore cannot swap the
/// database under it. Several servers may hold it at once.
pub struct ServerLock {
    _file: Option<File>,
}

/// Takes the shared server lock of an SQLite database (none for PostgreSQL).
pub fn hold_while_serving(config: &Config) -> anyhow::Result<ServerLock> {
    if config.database.backend != Backend::Sqlite {
        return Ok(ServerLock { _file: None });
    }
    let path = lock_path(Path::new(&config.database.connect_to));
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open the lock file {}", path.display()))?;
    file.lock_shared()
        .with_context(|| format!("cannot lock {}", path.display()))?;
    Ok(ServerLock { _file: Some(file) })
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    count: i64,
}

#[derive(QueryableByName)]
struct TextRow {
    #[diesel(sql_type = Text)]
    value: String,
}

/// What a backup or restore found in the copy, for the console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub users: i64,
    pub enrolments: i64,
    pub attempts: i64,
    pub certificates: i64,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} users, {} enrolments, {} quiz attempts, {} certificates",
            self.users, self.enrolments, self.attempts, self.certificates
        )
    }
}

fn count(conn: &mut SqliteConnection, table: &str) -> anyhow::Result<i64> {
    // The table names are this module's constants, never input.
    let row: Count = diesel::sql_query(format!("SELECT COUNT(*) AS count FROM {table}"))
        .get_result(conn)
        .with_context(|| format!("cannot count the {table}"))?;
    Ok(row.count)
}

/// Opens an SQLite file that must exist, and checks it is whole and a Bilim database.
fn open_checked(path: &Path) -> anyhow::Result<(SqliteConnection, Summary)> {
    ensure!(path.is_file(), "{} is not a file", path.display());
    let mut conn = SqliteConnection::establish(&path.display().to_string())
        .with_context(|| format!("cannot open {}", path.display()))?;
    let integrity: TextRow = diesel::sql_query("SELECT integrity_check AS value FROM pragma_integrity_check")
        .get_result(&mut conn)
        .with_context(|| format!("{} is not an SQLite database", path.display()))?;
    ensure!(
        integrity.value == "ok",
        "{} is damaged: {}",
        path.display(),
        integrity.value
    );
    let summary = Summary {
        users: count(&mut conn, "users").with_context(|| format!("{} is not a Bilim database", path.display()))?,
        enrolments: count(&mut conn, "enrolments")?,
        attempts: count(&mut conn, "quiz_attempts")?,
        certificates: count(&mut conn, "certificates")?,
    };
    Ok((conn, summary))
}

/// Writes a consistent copy of the configured SQLite database to `to`, which must not
/// exist yet, while the server may go on running.
pub fn backup(config: &Config, to: &Path) -> anyhow::Result<Summary> {
    let database = database_file(config)?;
    ensure!(database.is_file(), "there is no database at {}", database.display());
    ensure!(!to.exists(), "{} exists already: choose a new file name", to.display());
    let mut conn = SqliteConnection::establish(&database.display().to_string())
        .with_context(|| format!("cannot open {}", database.display()))?;
    diesel::sql_query("PRAGMA busy_timeout = 10000").execute(&mut conn)?;
    diesel::sql_query("VACUUM INTO ?")
        .bind::<Text, _>(to.display().to_string())
        .execute(&mut conn)
        .with_context(|| format!("cannot write the backup {}", to.display()))?;
    // The copy holds password hashes and second-factor secrets: its owner's only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("cannot make {} private", to.display()))?;
    }
    let (_, summary) = open_checked(to)?;
    Ok(summary)
}

/// Replaces the configured SQLite database with the backup `from`, after checking the
/// backup and that no server is using the database. The database replaced is kept as
/// `<name>.before-restore-<time>`; nothing changes if a check fails.
pub fn restore(config: &Config, from: &Path) -> anyhow::Result<Summary> {
    let database = database_file(config)?;
    let (conn, summary) = open_checked(from)?;
    drop(conn);
    if let Some(parent) = database.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    }
    let lock_file = lock_path(&database);
    let lock = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_file)
        .with_context(|| format!("cannot open the lock file {}", lock_file.display()))?;
    if lock.try_lock().is_err() {
        bail!(
            "a Bilim server is using {}: stop it before restoring",
            database.display()
        );
    }
    let mut staged = database.as_os_str().to_owned();
    staged.push(".restoring");
    let staged = PathBuf::from(staged);
    std::fs::copy(from, &staged).with_context(|| format!("cannot copy {} to {}", from.display(), staged.display()))?;
    File::open(&staged)
        .and_then(|file| file.sync_all())
        .with_context(|| format!("cannot write {} to disk", staged.display()))?;
    // The database replaced is kept whole: its write-ahead log and index (which hold
    // its latest transactions if its server stopped abruptly) move with it, so that
    // SQLite does not read them into the restored one.
    let kept_suffix = format!(".before-restore-{}", chrono::Utc::now().format("%Y%m%d-%H%M%S"));
    let mut moved: Vec<(PathBuf, PathBuf)> = Vec::new();
    // Should a move fail half-way, the files already moved go back: the database is
    // left as it was, never missing.
    let put_back = |moved: &[(PathBuf, PathBuf)]| {
        for (from, to) in moved.iter().rev() {
            let _ = std::fs::rename(to, from);
        }
    };
    for suffix in ["", "-wal", "-shm"] {
        let mut current = database.as_os_str().to_owned();
        current.push(suffix);
        let current = PathBuf::from(current);
        if current.exists() {
            let mut kept = database.as_os_str().to_owned();
            kept.push(&kept_suffix);
            kept.push(suffix);
            let kept = PathBuf::from(kept);
            if let Err(error) = std::fs::rename(&current, &kept) {
                put_back(&moved);
                let _ = std::fs::remove_file(&staged);
                return Err(error).with_context(|| format!("cannot keep {} as {}", current.display(), kept.display()));
            }
            moved.push((current, kept));
        }
    }
    if let Err(error) = std::fs::rename(&staged, &database) {
        put_back(&moved);
        let _ = std::fs::remove_file(&staged);
        return Err(error).with_context(|| format!("cannot move the backup into {}", database.display()));
    }
    drop(lock);
    Ok(summary)
}
