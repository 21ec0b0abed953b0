//! The database layer on both backends: URLs, migrations up and down, transactions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use bilim::db::{self, Backend, DatabaseUrl};

#[test]
fn a_database_url_with_an_unknown_scheme_is_an_error_not_a_new_file() {
    assert!(DatabaseUrl::parse("mysql://root@localhost/bilim").is_err());
    assert!(DatabaseUrl::parse("bilim.db").is_err());
    assert!(DatabaseUrl::parse("sqlite://").is_err());
    assert_eq!(
        DatabaseUrl::parse("sqlite://./data/bilim.db").unwrap().connect_to,
        "./data/bilim.db"
    );
    assert_eq!(
        DatabaseUrl::parse("postgresql://u@h/db").unwrap().backend,
        Backend::Postgres
    );
    assert_eq!(
        DatabaseUrl::parse("postgres://u@h/db").unwrap().backend,
        Backend::Postgres
    );
}

fn migrations_apply_revert_and_apply_again(url: &DatabaseUrl) {
    let pool = db::connect(url, 2).unwrap();
    let mut conn = pool.get().unwrap();
    let applied = db::migrate(&mut conn).unwrap();
    assert!(applied >= 1);
    assert_eq!(db::migrate(&mut conn).unwrap(), 0, "migrating twice changes nothing");
    assert_eq!(db::revert_all(&mut conn).unwrap(), applied, "every migration reverts");
    assert_eq!(
        db::migrate(&mut conn).unwrap(),
        applied,
        "and applies again after reverting"
    );
}

#[test]
fn every_sqlite_migration_reverts_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let url = DatabaseUrl::parse(&format!("sqlite://{}", dir.path().join("m.db").display())).unwrap();
    migrations_apply_revert_and_apply_again(&url);
}

#[test]
#[cfg_attr(not(postgres_tests), ignore = "LMS_TEST_POSTGRES_URL is not set")]
fn every_postgres_migration_reverts_cleanly() {
    let (url, _database) = common::fresh_postgres();
    migrations_apply_revert_and_apply_again(&DatabaseUrl::parse(&url).unwrap());
}

#[test]
fn sqlite_connections_have_foreign_keys_wal_and_a_busy_timeout() {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Value {
        #[diesel(sql_type = diesel::sql_types::Text)]
        value: String,
    }
    let dir = tempfile::tempdir().unwrap();
    let url = DatabaseUrl::parse(&format!("sqlite://{}", dir.path().join("nested/dir/p.db").display())).unwrap();
    let pool = db::connect(&url, 2).unwrap();
    let mut conn = pool.get().unwrap();
    let read = |conn: &mut db::DbConnection, pragma: &str| -> String {
        diesel::sql_query(format!("SELECT CAST(({pragma}) AS TEXT) AS value"))
            .get_result::<Value>(conn)
            .unwrap()
            .value
    };
    assert_eq!(read(&mut conn, "SELECT foreign_keys FROM pragma_foreign_keys"), "1");
    assert_eq!(read(&mut conn, "SELECT journal_mode FROM pragma_journal_mode"), "wal");
    assert_eq!(read(&mut conn, "SELECT timeout FROM pragma_busy_timeout"), "10000");
}

/// Two instances starting on an empty database both store a setting no one has
/// stored yet (the first administrator's setup token, say): the one that waits for
/// the other's row replaces it instead of failing on its key, which stopped the
/// second instance's start.
#[test]
#[cfg_attr(not(postgres_tests), ignore = "LMS_TEST_POSTGRES_URL is not set")]
fn two_instances_storing_the_same_new_setting_at_once_both_succeed() {
    use diesel::Connection;
    let (url, _database) = common::fresh_postgres();
    let pool = db::connect(&DatabaseUrl::parse(&url).unwrap(), 2).unwrap();
    db::migrate(&mut pool.get().unwrap()).unwrap();
    let mut first = pool.get().unwrap();
    let mut second = pool.get().unwrap();
    let other = first
        .transaction::<_, diesel::result::Error, _>(|first| {
            db::settings::set(first, "setup_token_sha256", "first")?;
            // The second writes while the first's row is not yet committed, and waits.
            let other = std::thread::spawn(move || {
                second.transaction::<_, diesel::result::Error, _>(|second| {
                    db::settings::set(second, "setup_token_sha256", "second")
                })
            });
            std::thread::sleep(std::time::Duration::from_millis(300));
            Ok(other)
        })
        .unwrap();
    other.join().unwrap().expect("the second instance's write succeeds");
    assert_eq!(
        db::settings::get(&mut pool.get().unwrap(), "setup_token_sha256")
            .unwrap()
            .as_deref(),
        Some("second")
    );
}
