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
    for command in ["serve", "migrate", "user"] {
        assert!(text.contains(command), "{command}");
    }
}
