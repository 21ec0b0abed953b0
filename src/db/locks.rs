//! PostgreSQL advisory locks: every key Bilim takes, in one place, so that two features
//! can never pick the same number. On SQLite, write transactions are serial already
//! (`BEGIN IMMEDIATE`), so the locks are taken on PostgreSQL only.

use diesel::RunQueryDsl;

use crate::db::DbConnection;

/// What a lock serialises. The keys share a prefix ("bilim" in ASCII) so they do not
/// collide with other applications' locks on a shared server. Per-record keys mix the
/// record's id into the prefix; should two of them meet (ids past 65,535 can), the
/// two changes merely wait for each other, which is slower but never wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    /// Running the schema migrations, when several instances start at once.
    Migration,
    /// Importing the courses folder.
    CourseImport,
    /// Changes to one run's places and attendance register (the run's id).
    Run(i64),
    /// Starting a quiz attempt, per user (the user's id), so the attempt limit holds.
    AttemptStart(i64),
    /// Changing who is an administrator, so that at least one always remains.
    Administrators,
    /// Working out one learner's completions and certificates (the user's id), so that
    /// a completion is recorded and a certificate issued once, and a learner holds at
    /// most one valid certificate of a course.
    Certification(i64),
}

impl Lock {
    pub fn key(self) -> i64 {
        const PREFIX: i64 = 0x6269_6c69_6d00_0000;
        match self {
            Lock::Migration => PREFIX | 0x0001,
            Lock::CourseImport => PREFIX | 0x0002,
            Lock::Administrators => PREFIX | 0x0003,
            Lock::AttemptStart(user_id) => (PREFIX | 0x01_0000) ^ user_id,
            Lock::Run(run_id) => (PREFIX | 0x02_0000) ^ run_id,
            Lock::Certification(user_id) => (PREFIX | 0x03_0000) ^ user_id,
        }
    }
}

/// Holds `lock` until the caller's transaction ends.
pub fn for_transaction(conn: &mut DbConnection, lock: Lock) -> diesel::QueryResult<()> {
    if matches!(conn, DbConnection::Postgresql(_)) {
        diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
            .bind::<diesel::sql_types::BigInt, _>(lock.key())
            .execute(conn)?;
    }
    Ok(())
}

/// Runs `work` while holding `lock` on the connection's session (for work that spans
/// several transactions), and releases it whatever `work` returns.
pub fn while_held<T, E: From<diesel::result::Error>>(
    conn: &mut DbConnection,
    lock: Lock,
    work: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E> {
    let locked = matches!(conn, DbConnection::Postgresql(_));
    if locked {
        diesel::sql_query("SELECT pg_advisory_lock($1)")
            .bind::<diesel::sql_types::BigInt, _>(lock.key())
            .execute(conn)?;
    }
    let outcome = work(conn);
    if locked {
        diesel::sql_query("SELECT pg_advisory_unlock($1)")
            .bind::<diesel::sql_types::BigInt, _>(lock.key())
            .execute(conn)?;
    }
    outcome
}
