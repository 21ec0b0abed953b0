//! The `bilim` command line, run as a user would.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::io::Write;
use std::process::{Command, Stdio};

fn bilim(data_dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bilim"));
    command
        .env("BILIM_DATA_DIR", data_dir)
        .env_remove("DATABASE_URL")
        .env_remove("BILIM_SECRET")
        .env("BILIM_LOG", "warn");
    command
}

#[test]
fn user_create_reads_the_password_from_standard_input_and_the_account_can_sign_in() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = bilim(dir.path())
        .args([
            "user",
            "create",
            "--email",
            "Trainer@Example.kz",
            "--name",
            "Нурлан Трене",
            "--role",
            "trainer",
            "--country",
            "kz",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a long enough password\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("trainer@example.kz") && !stdout.contains("a long enough password"));

    let url = bilim::db::DatabaseUrl::parse(&format!("sqlite://{}", dir.path().join("bilim.db").display())).unwrap();
    let pool = bilim::db::connect(&url, 1).unwrap();
    let mut conn = pool.get().unwrap();
    let user = bilim::accounts::store::find_row_by_email(&mut conn, "trainer@example.kz")
        .unwrap()
        .unwrap();
    assert!(bilim::accounts::password::verify(
        "a long enough password",
        &user.password_hash
    ));
    assert_eq!(user.role, bilim::accounts::model::Role::Trainer);
    assert!(
        dir.path().join("secret.key").exists(),
        "a secret is generated and kept in the data dir"
    );
}

#[test]
fn user_create_without_a_password_prints_a_generated_one_once() {
    let dir = tempfile::tempdir().unwrap();
    let output = bilim(dir.path())
        .args([
            "user",
            "create",
            "--email",
            "admin@example.kz",
            "--name",
            "Admin",
            "--role",
            "admin",
        ])
        .output()
        .unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    let password = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Password (shown once): "))
        .unwrap();
    assert_eq!(password.len(), 20);
    assert_eq!(
        stdout.matches(password).count(),
        1,
        "the password is printed once: {stdout}"
    );

    let url = bilim::db::DatabaseUrl::parse(&format!("sqlite://{}", dir.path().join("bilim.db").display())).unwrap();
    let pool = bilim::db::connect(&url, 1).unwrap();
    let mut conn = pool.get().unwrap();
    let user = bilim::accounts::store::find_row_by_email(&mut conn, "admin@example.kz")
        .unwrap()
        .unwrap();
    assert!(
        bilim::accounts::password::verify(password, &user.password_hash),
        "the printed password signs the account in"
    );
    assert!(!bilim::accounts::password::verify(
        "not the password",
        &user.password_hash
    ));
    assert_eq!(user.role, bilim::accounts::model::Role::Admin);
}

#[test]
fn user_create_refuses_a_duplicate_a_short_password_and_a_coordinator_without_institution() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str], stdin: &[u8]| {
        let mut child = bilim(dir.path())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin).unwrap();
        child.wait_with_output().unwrap()
    };
    let create = [
        "user",
        "create",
        "--email",
        "dup@example.kz",
        "--name",
        "Dup",
        "--role",
        "learner",
        "--password-stdin",
    ];
    assert!(run(&create, b"long enough password").status.success());
    let again = run(&create, b"long enough password");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    let short = run(
        &[
            "user",
            "create",
            "--email",
            "s@example.kz",
            "--name",
            "S",
            "--role",
            "learner",
            "--password-stdin",
        ],
        b"short",
    );
    assert!(!short.status.success());
    let coordinator = run(
        &[
            "user",
            "create",
            "--email",
            "c@example.kz",
            "--name",
            "C",
            "--role",
            "coordinator",
            "--password-stdin",
        ],
        b"long enough password",
    );
    assert!(!coordinator.status.success());
    assert!(String::from_utf8_lossy(&coordinator.stderr).contains("--institution"));
}

#[test]
fn user_create_names_the_option_of_every_value_it_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let create_coordinator = |email: &str| {
        bilim(dir.path())
            .args(["user", "create", "--email", email, "--name", "Coordinator"])
            .args(["--role", "coordinator", "--institution", "424242"])
            .output()
            .unwrap()
    };

    let bad_address = create_coordinator("not an address");
    assert!(!bad_address.status.success());
    let stderr = String::from_utf8_lossy(&bad_address.stderr);
    assert!(stderr.contains("--email: "), "{stderr}");

    let no_such_institution = create_coordinator("coordinator@example.kz");
    assert!(!no_such_institution.status.success());
    let stderr = String::from_utf8_lossy(&no_such_institution.stderr);
    assert!(
        stderr.contains("--institution: Choose an institution from the list"),
        "{stderr}"
    );
}

#[test]
fn an_unknown_database_scheme_stops_the_command_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let output = bilim(dir.path())
        .arg("migrate")
        .env("DATABASE_URL", "mysql://localhost/bilim")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("DATABASE_URL must start with"));
}

#[test]
fn the_old_trust_proxy_switch_stops_the_command_and_points_to_the_trusted_proxies_setting() {
    let dir = tempfile::tempdir().unwrap();
    let migrate_with = |name: &str, value: &str| bilim(dir.path()).arg("migrate").env(name, value).output().unwrap();
    let old = migrate_with("BILIM_TRUST_PROXY", "true");
    assert!(!old.status.success(), "trusting every client's header must not start");
    let stderr = String::from_utf8_lossy(&old.stderr);
    assert!(stderr.contains("BILIM_TRUST_PROXY is no longer read"), "{stderr}");
    assert!(stderr.contains("BILIM_TRUSTED_PROXIES=10.0.0.0/8"), "{stderr}");
    let off = migrate_with("BILIM_TRUST_PROXY", "false");
    assert!(off.status.success(), "{}", String::from_utf8_lossy(&off.stderr));
}

#[test]
fn an_unreadable_trusted_proxy_list_stops_the_command_naming_the_entry() {
    let dir = tempfile::tempdir().unwrap();
    let output = bilim(dir.path())
        .arg("migrate")
        .env("BILIM_TRUSTED_PROXIES", "10.0.0.0/8, 10.0.0.0/33")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("BILIM_TRUSTED_PROXIES must list"), "{stderr}");
    assert!(stderr.contains("\"10.0.0.0/33\""), "{stderr}");
    let header = bilim(dir.path())
        .arg("migrate")
        .env("BILIM_FORWARDED_HEADER", "X-Real-IP")
        .output()
        .unwrap();
    assert!(!header.status.success());
    assert!(String::from_utf8_lossy(&header.stderr).contains("BILIM_FORWARDED_HEADER must be"));
    let accepted = bilim(dir.path())
        .arg("migrate")
        .env("BILIM_TRUSTED_PROXIES", "10.0.0.0/8,127.0.0.1, fd00::/8")
        .env("BILIM_FORWARDED_HEADER", "forwarded")
        .output()
        .unwrap();
    assert!(
        accepted.status.success(),
        "{}",
        String::from_utf8_lossy(&accepted.stderr)
    );
}

#[test]
fn help_explains_every_command() {
    let output = Command::new(env!("CARGO_BIN_EXE_bilim"))
        .arg("--help")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    for command in ["serve", "migrate", "user", "courses", "quiz", "backup", "restore"] {
        assert!(text.contains(command), "{command}");
    }
}

/// A database of `dir` with its schema, as the server leaves it.
fn migrated_pool(dir: &std::path::Path) -> bilim::db::DbPool {
    let url = bilim::db::DatabaseUrl::parse(&format!("sqlite://{}", dir.join("bilim.db").display())).unwrap();
    let pool = bilim::db::connect(&url, 2).unwrap();
    bilim::db::migrate(&mut pool.get().unwrap()).unwrap();
    pool
}

/// One learner and the audit entry of their creation, in one transaction: a
/// consistent copy holds as many of one as of the other.
fn add_learner(conn: &mut bilim::db::DbConnection, n: usize) {
    bilim::db::write_transaction(conn, |conn| -> Result<(), bilim::error::AppError> {
        let email = format!("load{n}@example.kz");
        let id = bilim::accounts::store::insert(
            conn,
            &bilim::accounts::store::NewUser {
                email: &email,
                name: "Нагрузка",
                password_hash: "x",
                role: bilim::accounts::model::Role::Learner,
                country: None,
                institution_id: None,
                category: bilim::accounts::model::Category::Other,
                locale: bilim::i18n::Locale::Ru,
                gender: None,
            },
        )?;
        bilim::audit::record(
            conn,
            bilim::audit::Entry {
                actor: None,
                action: bilim::audit::Action::RoleChanged,
                subject: format!("user:{}", id.get()),
                details: serde_json::json!({}),
            },
            chrono::Utc::now().naive_utc(),
        )
    })
    .unwrap();
}

fn counts(path: &std::path::Path) -> (i64, i64) {
    use diesel::prelude::*;
    let mut conn = diesel::SqliteConnection::establish(&path.display().to_string()).unwrap();
    let users: i64 = bilim::db::schema::users::table.count().get_result(&mut conn).unwrap();
    let logged: i64 = bilim::db::schema::audit_events::table
        .count()
        .get_result(&mut conn)
        .unwrap();
    (users, logged)
}

/// A backup taken while learners are being added is consistent (as many users as
/// audit entries, written in pairs), and restoring it elsewhere gives those counts.
#[test]
fn a_backup_taken_under_load_restores_with_the_same_counts() {
    let dir = tempfile::tempdir().unwrap();
    let pool = migrated_pool(dir.path());
    let backup_file = dir.path().join("copy.db");
    let stop = std::sync::atomic::AtomicBool::new(false);
    let output = std::thread::scope(|scope| {
        let writer = scope.spawn(|| {
            let mut conn = pool.get().unwrap();
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) || n < 50 {
                add_learner(&mut conn, n);
                n += 1;
            }
            n
        });
        // Some learners are in before the copy begins; more are added while it runs.
        while counts(&dir.path().join("bilim.db")).0 < 20 {
            std::thread::yield_now();
        }
        let output = bilim(dir.path())
            .args(["backup", backup_file.to_str().unwrap()])
            .output()
            .unwrap();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let written = writer.join().unwrap();
        assert!(written >= 50);
        output
    });
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let (users, logged) = counts(&backup_file);
    assert!(users >= 20, "{users}");
    assert_eq!(users, logged, "the copy is one consistent moment");
    assert!(String::from_utf8_lossy(&output.stdout).contains(&format!("{users} users")));

    let elsewhere = tempfile::tempdir().unwrap();
    let restored = bilim(elsewhere.path())
        .args(["restore", backup_file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        restored.status.success(),
        "{}",
        String::from_utf8_lossy(&restored.stderr)
    );
    assert_eq!(counts(&elsewhere.path().join("bilim.db")), (users, logged));

    let again = bilim(dir.path())
        .args(["backup", backup_file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!again.status.success(), "an existing file is never overwritten");
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));
}

/// A restore refuses a file that is not a Bilim database, and a database a server is
/// using; either way the database stays as it was.
#[test]
fn a_restore_refuses_a_damaged_file_and_a_database_in_use_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let pool = migrated_pool(dir.path());
    add_learner(&mut pool.get().unwrap(), 1);
    drop(pool);
    let database = dir.path().join("bilim.db");
    let before = counts(&database);

    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, b"this is not a database at all, just some text").unwrap();
    let refused = bilim(dir.path())
        .args(["restore", junk.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("is not an SQLite database"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert_eq!(counts(&database), before);

    let copy = dir.path().join("copy.db");
    assert!(bilim(dir.path())
        .args(["backup", copy.to_str().unwrap()])
        .status()
        .unwrap()
        .success());
    let mut server = bilim(dir.path())
        .args(["serve"])
        .env("BILIM_BIND", "127.0.0.1:0")
        .env("BILIM_COURSES_DIR", dir.path().join("no-courses"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(server.stdout.take().unwrap()));
    assert!(
        lines.any(|line| line.unwrap().contains("Bilim is running")),
        "the server starts"
    );
    let busy = bilim(dir.path())
        .args(["restore", copy.to_str().unwrap()])
        .output()
        .unwrap();
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(!busy.status.success());
    assert!(
        String::from_utf8_lossy(&busy.stderr).contains("stop it before restoring"),
        "{}",
        String::from_utf8_lossy(&busy.stderr)
    );
    assert_eq!(counts(&database), before);
}
