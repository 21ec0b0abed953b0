//! The `bilim` command line, run as a user would.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

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

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The migrations diesel has recorded as applied in the SQLite database of `dir`.
fn applied_migrations(dir: &Path) -> i64 {
    use diesel::prelude::*;
    let mut conn = diesel::SqliteConnection::establish(&dir.join("bilim.db").display().to_string()).unwrap();
    diesel::sql_query("SELECT COUNT(*) AS n FROM __diesel_schema_migrations")
        .get_result::<Count>(&mut conn)
        .unwrap()
        .n
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

#[test]
fn migrate_brings_a_new_database_up_to_date_and_a_second_run_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let shipped = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite"))
        .unwrap()
        .count();
    let first = bilim(dir.path()).arg("migrate").output().unwrap();
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(
        stdout(&first).contains("The database is up to date."),
        "{}",
        stdout(&first)
    );
    assert_eq!(applied_migrations(dir.path()), i64::try_from(shipped).unwrap());
    let second = bilim(dir.path()).arg("migrate").output().unwrap();
    assert!(second.status.success(), "{}", stderr(&second));
    assert_eq!(applied_migrations(dir.path()), i64::try_from(shipped).unwrap());
}

#[test]
fn migrate_refuses_a_database_file_that_is_not_a_database_and_leaves_it_alone() {
    let dir = tempfile::tempdir().unwrap();
    let junk = b"notes, not a database: nothing here may be overwritten".repeat(100);
    std::fs::write(dir.path().join("bilim.db"), &junk).unwrap();
    let output = bilim(dir.path()).arg("migrate").output().unwrap();
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("file is not a database"),
        "{}",
        stderr(&output)
    );
    assert!(!stdout(&output).contains("up to date"));
    assert_eq!(std::fs::read(dir.path().join("bilim.db")).unwrap(), junk);
}

/// The test courses, and a copy of them in `dir` to change.
fn courses_in(dir: &Path) -> (PathBuf, PathBuf) {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/courses/valid");
    let copy = dir.join("courses");
    common::copy_dir(&fixture, &copy);
    (fixture, copy)
}

/// The revision of each course imported into the database of `dir`, if it is shown.
fn imported_revisions(dir: &Path) -> Vec<(String, i32, bool)> {
    use bilim::db::schema::courses;
    use diesel::prelude::*;
    let mut conn = diesel::SqliteConnection::establish(&dir.join("bilim.db").display().to_string()).unwrap();
    courses::table
        .order(courses::id.asc())
        .select((courses::id, courses::revision, courses::active))
        .load(&mut conn)
        .unwrap()
}

#[test]
fn courses_import_loads_a_folder_and_importing_it_again_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (fixture, _) = courses_in(dir.path());
    let import = || {
        bilim(dir.path())
            .args(["courses", "import"])
            .arg(&fixture)
            .output()
            .unwrap()
    };
    let first = import();
    assert!(first.status.success(), "{}", stderr(&first));
    // Standard error is not a terminal here: no progress bar is drawn into it.
    assert!(
        !stderr(&first).contains("modules") && !stderr(&first).contains('\u{1b}'),
        "{}",
        stderr(&first)
    );
    assert!(
        stdout(&first).contains("imported demo-course (revision 1)")
            && stdout(&first).contains("imported other-course (revision 1)"),
        "{}",
        stdout(&first)
    );
    let courses = vec![
        ("demo-course".to_owned(), 1, true),
        ("other-course".to_owned(), 1, true),
    ];
    assert_eq!(imported_revisions(dir.path()), courses);
    let second = import();
    assert!(second.status.success(), "{}", stderr(&second));
    assert!(stdout(&second).contains("unchanged demo-course"), "{}", stdout(&second));
    assert_eq!(imported_revisions(dir.path()), courses, "no new revision");
}

#[test]
fn courses_import_of_a_folder_with_errors_names_them_and_keeps_the_imported_revision() {
    let dir = tempfile::tempdir().unwrap();
    let (_, copy) = courses_in(dir.path());
    let import = || {
        bilim(dir.path())
            .args(["courses", "import"])
            .arg(&copy)
            .output()
            .unwrap()
    };
    assert!(import().status.success());
    let course = copy.join("demo-course/course.toml");
    let toml = std::fs::read_to_string(&course).unwrap();
    std::fs::write(&course, toml.replace("hours = 2.5", "hours = \"two and a half\"")).unwrap();
    let refused = import();
    assert!(!refused.status.success());
    let line = format!("{}:", course.display());
    assert!(
        stdout(&refused)
            .lines()
            .any(|l| l.starts_with(&line) && l.contains(": error: ")),
        "{}",
        stdout(&refused)
    );
    assert!(
        stderr(&refused).contains("nothing imported: fix the 1 errors above first"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(
        imported_revisions(dir.path()),
        [
            ("demo-course".to_owned(), 1, true),
            ("other-course".to_owned(), 1, true)
        ]
    );
    let missing = bilim(dir.path())
        .args(["courses", "import"])
        .arg(dir.path().join("no-such-folder"))
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(
        stdout(&missing).contains("the courses folder does not exist"),
        "{}",
        stdout(&missing)
    );
}

#[test]
fn courses_hash_prints_each_sections_fingerprint_as_an_adaptation_records_it() {
    let dir = tempfile::tempdir().unwrap();
    let module = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/courses/valid/demo-course/01-intro");
    let output = bilim(dir.path())
        .args(["courses", "hash"])
        .arg(module.join("ru.md"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    // The Kazakh adaptation was made from this text: its [based_on] holds the
    // fingerprint of the section it adapts, which the command must print.
    let adaptation = std::fs::read_to_string(module.join("national/kz/ru.md")).unwrap();
    let recorded = adaptation
        .lines()
        .find(|l| l.starts_with("legal = "))
        .unwrap()
        .to_owned();
    let lines: Vec<String> = stdout(&output).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 2, "one line per `##` section: {lines:?}");
    assert_eq!(lines[0], format!("{recorded}    # line 9"));
    assert!(
        lines[1].starts_with("procedure = \"") && lines[1].ends_with("\"    # line 13"),
        "{lines:?}"
    );
}

#[test]
fn courses_hash_of_a_file_it_cannot_read_says_so_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("05-legal-framework/ru.md");
    let output = bilim(dir.path())
        .args(["courses", "hash"])
        .arg(&missing)
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains(&format!("cannot read {}", missing.display())),
        "{}",
        stderr(&output)
    );
    assert_eq!(stdout(&output), "");
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
