//! Two `bilim serve` processes over one PostgreSQL database behave as one
//! installation, as behind a load balancer: each has its own data directory, port and
//! copy of the courses folder, and both have the same `BILIM_SECRET`.
//!
//! The two start at the same moment on an empty database, so they migrate and import
//! the courses together; then each check sends its requests to one instance or the
//! other and looks at what the other does with them: sessions, content published,
//! the mail queue, rate limits and the certificate signing key.
//!
//! PostgreSQL only (SQLite is one file on one machine): without `LMS_TEST_POSTGRES_URL`
//! at build time the checks report themselves as ignored; built with it, they fail
//! when PostgreSQL cannot be reached.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use bilim::accounts::model::{Country, Role};
use bilim::accounts::service::{self, AdminCreatedUser};
use bilim::db::{DatabaseUrl, DbConnection, DbPool};
use bilim::i18n::Locale;
use diesel::prelude::*;
use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::{json, Value};

use common::{PASSWORD, TEST_SECRET};

/// How long another instance may take to show what one instance changed.
const PROPAGATION: Duration = Duration::from_secs(10);

type Check = for<'a> fn(&'a Cluster) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + 'a>>;

const CHECKS: &[(&str, Check)] = &[
    (
        "both_instances_migrate_the_empty_database_at_once_and_each_migration_runs_once",
        |c| Box::pin(migrations_run_once(c)),
    ),
    (
        "the_courses_folder_is_imported_once_though_both_instances_import_it_at_start",
        |c| Box::pin(courses_are_imported_once(c)),
    ),
    (
        "a_sign_in_on_one_instance_is_honoured_by_the_other_for_pages_forms_and_the_api",
        |c| Box::pin(a_sign_in_is_honoured_by_the_other(c)),
    ),
    (
        "signing_out_on_one_instance_ends_the_session_and_the_tokens_on_the_other",
        |c| Box::pin(signing_out_ends_the_session_on_the_other(c)),
    ),
    (
        "a_password_change_on_one_instance_revokes_the_tokens_the_other_honoured",
        |c| Box::pin(a_password_change_revokes_tokens_on_the_other(c)),
    ),
    (
        "a_section_published_through_one_instance_is_served_by_the_other_within_seconds",
        |c| Box::pin(a_published_section_is_served_by_the_other(c)),
    ),
    (
        "courses_imported_from_the_command_line_are_served_by_both_instances_within_seconds",
        |c| Box::pin(a_command_line_import_is_served_by_both(c)),
    ),
    (
        "each_message_queued_through_either_instance_is_sent_once_by_one_of_the_two_workers",
        |c| Box::pin(each_message_is_sent_once(c)),
    ),
    ("failed_sign_ins_split_between_the_instances_are_limited_as_one", |c| {
        Box::pin(failed_sign_ins_are_limited_as_one(c))
    }),
    (
        "a_credential_signed_by_one_instance_checks_against_the_keys_the_other_publishes",
        |c| Box::pin(a_credential_checks_against_the_others_keys(c)),
    ),
];

fn main() {
    let args = Arguments::from_args();
    let runtime = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
    };
    let built_for_postgres = cfg!(postgres_tests);
    // Started by the first check that runs, for all of them: both instances at the
    // same moment, on the empty database.
    let cluster: Arc<OnceLock<Result<Cluster, String>>> = Arc::new(OnceLock::new());
    let trials = CHECKS
        .iter()
        .map(|(name, check)| {
            let (cluster, check) = (Arc::clone(&cluster), *check);
            Trial::test(*name, move || {
                let cluster = cluster.get_or_init(|| {
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| runtime().block_on(Cluster::start())))
                        .unwrap_or_else(|panic| Err(panic_message(panic.as_ref())))
                });
                let cluster = cluster
                    .as_ref()
                    .map_err(|why| Failed::from(format!("the two instances did not start: {why}")))?;
                let outcome =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| runtime().block_on(check(cluster))));
                outcome
                    .map_err(|panic| Failed::from(format!("{}\n\n{}", panic_message(panic.as_ref()), cluster.logs())))
            })
            .with_ignored_flag(!built_for_postgres)
        })
        .collect();
    let conclusion = libtest_mimic::run(&args, trials);
    // Stops both servers, then drops the database (exit() would skip destructors).
    drop(Arc::try_unwrap(cluster).ok().and_then(OnceLock::into_inner));
    conclusion.exit();
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "a check panicked".into())
}

// ---- the two instances ----

/// One `bilim serve` process with its own data directory, port and courses folder.
struct Instance {
    name: &'static str,
    child: Child,
    url: String,
    data_dir: tempfile::TempDir,
}

impl Instance {
    fn spawn(name: &'static str, database_url: &str) -> Instance {
        let data_dir = tempfile::tempdir().unwrap();
        let courses = data_dir.path().join("courses");
        common::copy_dir(&fixture_courses(), &courses);
        let port = common::smtp::free_port();
        let log = std::fs::File::create(data_dir.path().join("server.log")).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_bilim"))
            .arg("serve")
            .env("BILIM_DATA_DIR", data_dir.path())
            .env("DATABASE_URL", database_url)
            .env("BILIM_SECRET", std::str::from_utf8(TEST_SECRET).unwrap())
            .env("BILIM_BIND", format!("127.0.0.1:{port}"))
            .env("BILIM_PUBLIC_URL", "http://bilim.test")
            .env("BILIM_COURSES_DIR", &courses)
            .env_remove("BILIM_SMTP_URL")
            .env("BILIM_LOG", "info")
            .env("NO_COLOR", "1")
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        Instance {
            name,
            child,
            url: format!("http://127.0.0.1:{port}"),
            data_dir,
        }
    }

    /// What the instance printed and logged so far.
    fn output(&self) -> String {
        std::fs::read_to_string(self.data_dir.path().join("server.log")).unwrap_or_default()
    }

    fn outbox(&self) -> PathBuf {
        self.data_dir.path().join("outbox")
    }

    /// Waits until `/healthz` answers, or fails when the process ends first.
    async fn ready(&mut self, http: &reqwest::Client, deadline: Instant) -> Result<(), String> {
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("instance {} stopped ({status}):\n{}", self.name, self.output()));
            }
            if let Ok(response) = http.get(format!("{}/healthz", self.url)).send().await {
                if response.status() == 200 {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                return Err(format!("instance {} is not ready:\n{}", self.name, self.output()));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn fixture_courses() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/courses/valid")
}

/// Row counts of the tables the course import writes.
type TableCounts = BTreeMap<&'static str, i64>;

const IMPORTED_TABLES: &[&str] = &[
    "courses",
    "course_revisions",
    "course_modules",
    "module_versions",
    "module_files",
    "module_sources",
    "section_revisions",
    "law_entries",
    "law_revisions",
    "glossary_terms",
    "quizzes",
    "quiz_versions",
    "audit_events",
];

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    count: i64,
}

fn count_rows(conn: &mut DbConnection, tables: &[&'static str]) -> TableCounts {
    tables
        .iter()
        .map(|table| {
            let row: Count = diesel::sql_query(format!("SELECT COUNT(*) AS count FROM {table}"))
                .get_result(conn)
                .unwrap();
            (*table, row.count)
        })
        .collect()
}

/// Both instances over one fresh database, and what their start left in it.
struct Cluster {
    a: Instance,
    b: Instance,
    database_url: String,
    pool: DbPool,
    /// The versions in `__diesel_schema_migrations` right after both started.
    migrations: Vec<String>,
    /// The import's tables right after both started.
    imported: TableCounts,
    _database: common::PgDatabase,
}

impl Cluster {
    async fn start() -> Result<Cluster, String> {
        let (database_url, database) = common::fresh_postgres();
        // Both at once, so that they migrate and import at the same moment.
        let mut a = Instance::spawn("A", &database_url);
        let mut b = Instance::spawn("B", &database_url);
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        a.ready(&http, deadline).await?;
        b.ready(&http, deadline).await?;
        let pool = bilim::db::connect(&DatabaseUrl::parse(&database_url).unwrap(), 4).map_err(|e| e.to_string())?;
        let mut conn = pool.get().map_err(|e| e.to_string())?;
        let migrations: Vec<String> = diesel::sql_query("SELECT version AS value FROM __diesel_schema_migrations")
            .load::<TextRow>(&mut conn)
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|row| row.value)
            .collect();
        let imported = count_rows(&mut conn, IMPORTED_TABLES);
        drop(conn);
        Ok(Cluster {
            a,
            b,
            database_url,
            pool,
            migrations,
            imported,
            _database: database,
        })
    }

    fn instances(&self) -> [&Instance; 2] {
        [&self.a, &self.b]
    }

    fn logs(&self) -> String {
        self.instances()
            .iter()
            .map(|i| format!("---- instance {} ----\n{}", i.name, i.output()))
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn conn(&self) -> bilim::db::PooledDb {
        self.pool.get().unwrap()
    }

    /// An account made as `bilim user create` makes it, with the test password.
    fn create_user(&self, email: &str, role: Role, locale: Locale) -> i64 {
        service::create_user(
            &mut self.conn(),
            &AdminCreatedUser {
                email: email.into(),
                name: format!("Scale {}", role.code()),
                role,
                country: Some(Country::Kz),
                institution_id: None,
                locale,
            },
            PASSWORD,
        )
        .unwrap()
        .get()
    }
}

#[derive(QueryableByName)]
struct TextRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    value: String,
}

// ---- a browser that the load balancer sends to either instance ----

/// What an instance answered.
struct Reply {
    status: u16,
    location: String,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    fn csrf_token(&self) -> String {
        let html = common::html::Html::parse(&self.body);
        html.select("input[name='csrf_token']")
            .first()
            .and_then(|input| input.attr("value"))
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("no CSRF token on the page: {}", self.body))
    }
}

/// One person's browser: one cookie jar, whichever instance a request reaches.
struct Browser {
    http: reqwest::Client,
    cookies: BTreeMap<String, String>,
}

impl Browser {
    fn new() -> Browser {
        Browser {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: BTreeMap::new(),
        }
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> Reply {
        let cookies = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let request = if cookies.is_empty() {
            request
        } else {
            request.header(reqwest::header::COOKIE, cookies)
        };
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        for value in response.headers().get_all(reqwest::header::SET_COOKIE) {
            let Ok(cookie) = actix_web::cookie::Cookie::parse(value.to_str().unwrap().to_owned()) else {
                continue;
            };
            let removed =
                cookie.max_age().is_some_and(|age| age.is_zero() || age.is_negative()) || cookie.value().is_empty();
            if removed {
                self.cookies.remove(cookie.name());
            } else {
                self.cookies.insert(cookie.name().to_owned(), cookie.value().to_owned());
            }
        }
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = response.text().await.unwrap_or_default();
        Reply { status, location, body }
    }

    async fn get(&mut self, on: &Instance, path: &str) -> Reply {
        let request = self.http.get(format!("{}{path}", on.url));
        self.send(request).await
    }

    /// Posts a form with the CSRF token of the page `from` (read from `read_on`).
    async fn post_form(
        &mut self,
        read_on: &Instance,
        from: &str,
        post_to: &Instance,
        path: &str,
        fields: &[(&str, &str)],
    ) -> Reply {
        let token = self.get(read_on, from).await.csrf_token();
        let mut all = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        let request = self
            .http
            .post(format!("{}{path}", post_to.url))
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(&all).unwrap());
        self.send(request).await
    }

    async fn sign_in(&mut self, on: &Instance, email: &str, password: &str) {
        let reply = self
            .post_form(on, "/login", on, "/login", &[("email", email), ("password", password)])
            .await;
        assert_eq!(reply.status, 303, "signing in on {} failed: {}", on.name, reply.body);
        assert!(self.cookies.contains_key("bilim_session"));
    }

    async fn api(
        &mut self,
        on: &Instance,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.http.request(method, format!("{}{path}", on.url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        // The API carries no cookies: a token is the whole credential.
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let body = response.text().await.unwrap_or_default();
        Reply {
            status,
            location: String::new(),
            body,
        }
    }

    async fn api_token(&mut self, on: &Instance, email: &str, password: &str) -> String {
        let reply = self
            .api(
                on,
                "POST",
                "/api/v1/auth/token",
                None,
                Some(json!({"email": email, "password": password})),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.json()["token"].as_str().unwrap().to_owned()
    }
}

/// Asks `page` of `on` until its text contains `wanted`; fails after [`PROPAGATION`].
async fn poll_until_served(browser: &mut Browser, on: &Instance, page: &str, wanted: &str) {
    let deadline = Instant::now() + PROPAGATION;
    loop {
        let reply = browser.get(on, page).await;
        assert_eq!(reply.status, 200, "{page} on {}: {}", on.name, reply.body);
        if reply.body.contains(wanted) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "instance {} still serves {page} without {wanted:?} after {PROPAGATION:?}",
            on.name
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

// ---- the checks ----

async fn migrations_run_once(cluster: &Cluster) {
    let mut versions = cluster.migrations.clone();
    let recorded = versions.len();
    versions.sort();
    versions.dedup();
    assert_eq!(versions.len(), recorded, "a migration was recorded twice: {versions:?}");
    let shipped = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/postgres"))
        .unwrap()
        .filter(|entry| entry.as_ref().unwrap().path().is_dir())
        .count();
    assert_eq!(recorded, shipped, "every migration is applied, each once");
    // The second instance to take the migration lock found nothing left to do.
    let migrated: Vec<&str> = cluster
        .instances()
        .iter()
        .filter(|i| i.output().contains("database migrated"))
        .map(|i| i.name)
        .collect();
    assert_eq!(migrated.len(), 1, "exactly one instance migrated: {migrated:?}");
}

async fn courses_are_imported_once(cluster: &Cluster) {
    // What one import of the same folder writes into an empty database.
    let dir = tempfile::tempdir().unwrap();
    let url = DatabaseUrl::parse(&format!("sqlite://{}", dir.path().join("once.db").display())).unwrap();
    let pool = bilim::db::connect(&url, 1).unwrap();
    let mut conn = pool.get().unwrap();
    bilim::db::migrate(&mut conn).unwrap();
    let (catalogue, _) = bilim::courses::import_folder(&mut conn, &fixture_courses()).unwrap();
    assert!(!catalogue.diagnostics.has_errors());
    let once = count_rows(&mut conn, IMPORTED_TABLES);
    assert!(once["courses"] > 0 && once["section_revisions"] > 0, "{once:?}");
    assert_eq!(cluster.imported, once, "the shared database holds one import's rows");
    let revisions: Vec<(String, i32)> = bilim::db::schema::course_revisions::table
        .select((
            bilim::db::schema::course_revisions::course_id,
            bilim::db::schema::course_revisions::revision,
        ))
        .order(bilim::db::schema::course_revisions::course_id)
        .load(&mut cluster.conn())
        .unwrap();
    assert_eq!(
        revisions,
        [("demo-course".to_owned(), 1), ("other-course".to_owned(), 1)]
    );
    // One instance imported; the other, waiting for the import lock, found the
    // courses unchanged.
    let outputs: Vec<String> = cluster.instances().iter().map(|i| i.output()).collect();
    let importers = outputs
        .iter()
        .filter(|o| o.contains("imported demo-course (revision 1)"))
        .count();
    let unchanged = outputs.iter().filter(|o| o.contains("unchanged demo-course")).count();
    assert_eq!((importers, unchanged), (1, 1));
}

async fn a_sign_in_is_honoured_by_the_other(cluster: &Cluster) {
    let (a, b) = (&cluster.a, &cluster.b);
    cluster.create_user("moving@scale.test", Role::Learner, Locale::En);
    let mut browser = Browser::new();
    browser.sign_in(a, "moving@scale.test", PASSWORD).await;
    let profile = browser.get(b, "/profile").await;
    assert_eq!(profile.status, 200, "the page cookie from A opens B's pages");
    assert!(profile.body.contains("moving@scale.test"));
    // A form read from A's page is accepted by B: the CSRF token is bound to the
    // session by the shared secret.
    let saved = browser
        .post_form(
            a,
            "/profile",
            b,
            "/profile",
            &[
                ("name", "Moved Between Instances"),
                ("country", "KZ"),
                ("institution_id", ""),
                ("category", "other"),
                ("locale", "en"),
                ("gender", ""),
                ("time_zone", ""),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert!(browser
        .get(a, "/profile")
        .await
        .body
        .contains("Moved Between Instances"));

    let token = browser.api_token(a, "moving@scale.test", PASSWORD).await;
    let me = browser.api(b, "GET", "/api/v1/me", Some(&token), None).await;
    assert_eq!(me.status, 200, "the API token from A is honoured by B: {}", me.body);
    assert_eq!(me.json()["email"], "moving@scale.test");
}

async fn signing_out_ends_the_session_on_the_other(cluster: &Cluster) {
    let (a, b) = (&cluster.a, &cluster.b);
    cluster.create_user("leaving@scale.test", Role::Learner, Locale::En);
    let mut browser = Browser::new();
    browser.sign_in(b, "leaving@scale.test", PASSWORD).await;
    let token = browser.api_token(b, "leaving@scale.test", PASSWORD).await;
    let session = browser.cookies.clone();
    assert_eq!(
        browser.api(b, "GET", "/api/v1/me", Some(&token), None).await.status,
        200
    );

    let out = browser.post_form(a, "/profile", a, "/logout", &[]).await;
    assert_eq!(out.status, 303, "{}", out.body);

    assert_eq!(
        browser.api(b, "GET", "/api/v1/me", Some(&token), None).await.status,
        401,
        "B refuses the token once the user signed out on A"
    );
    // The old cookie, as a stolen copy would carry it.
    browser.cookies = session;
    let profile = browser.get(b, "/profile").await;
    assert_eq!(profile.status, 303, "B refuses the old page cookie: {}", profile.body);
    assert!(profile.location.starts_with("/login"), "{}", profile.location);
}

async fn a_password_change_revokes_tokens_on_the_other(cluster: &Cluster) {
    let (a, b) = (&cluster.a, &cluster.b);
    cluster.create_user("rotating@scale.test", Role::Learner, Locale::En);
    let mut browser = Browser::new();
    let token = browser.api_token(b, "rotating@scale.test", PASSWORD).await;
    browser.sign_in(a, "rotating@scale.test", PASSWORD).await;
    let new_password = "another long passphrase for scale";
    let changed = browser
        .post_form(
            a,
            "/profile",
            a,
            "/profile/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", new_password),
                ("new_password_confirmation", new_password),
            ],
        )
        .await;
    assert_eq!(changed.status, 303, "{}", changed.body);
    assert_eq!(
        browser.api(b, "GET", "/api/v1/me", Some(&token), None).await.status,
        401,
        "B refuses the token issued before the password changed on A"
    );
    assert_eq!(
        browser.get(b, "/profile").await.status,
        200,
        "the session A issued with the change opens B's pages"
    );
    let fresh = browser.api_token(b, "rotating@scale.test", new_password).await;
    assert_eq!(
        browser.api(a, "GET", "/api/v1/me", Some(&fresh), None).await.status,
        200
    );
}

async fn a_published_section_is_served_by_the_other(cluster: &Cluster) {
    let (a, b) = (&cluster.a, &cluster.b);
    cluster.create_user("author@scale.test", Role::Admin, Locale::En);
    cluster.create_user("reviewer@scale.test", Role::Admin, Locale::En);
    cluster.create_user("reader@scale.test", Role::Learner, Locale::En);
    let mut reader = Browser::new();
    reader.sign_in(b, "reader@scale.test", PASSWORD).await;
    // B has served the page before the change, as it would have to many readers.
    let before = reader.get(b, "/courses/demo-course/intro?lang=en").await;
    assert_eq!(before.status, 200, "{}", before.body);
    assert!(
        before.body.contains("Unauthorised access is punished"),
        "{}",
        before.body
    );

    let mut staff = Browser::new();
    let author = staff.api_token(a, "author@scale.test", PASSWORD).await;
    let reviewer = staff.api_token(a, "reviewer@scale.test", PASSWORD).await;
    let section = "/api/v1/authoring/courses/demo-course/modules/intro/sections/legal";
    let markdown = "## Legal basis {#legal}\n\nUnauthorised access, published through one instance, is punished under {{law:unauthorised_access}}.";
    let saved = staff
        .api(
            a,
            "PUT",
            &format!("{section}?lang=en"),
            Some(&author),
            Some(json!({"markdown": markdown, "comment": "scale-out"})),
        )
        .await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    let submitted = staff
        .api(
            a,
            "POST",
            &format!("{section}/submit?lang=en"),
            Some(&author),
            Some(json!({"reason": "checked by hand"})),
        )
        .await;
    assert_eq!(submitted.status, 200, "{}", submitted.body);
    let approved = staff
        .api(
            a,
            "POST",
            &format!("{section}/approve?lang=en"),
            Some(&reviewer),
            Some(json!({})),
        )
        .await;
    assert_eq!(approved.status, 200, "{}", approved.body);

    poll_until_served(
        &mut reader,
        b,
        "/courses/demo-course/intro?lang=en",
        "published through one instance",
    )
    .await;
}

async fn a_command_line_import_is_served_by_both(cluster: &Cluster) {
    cluster.create_user("importing@scale.test", Role::Learner, Locale::En);
    let mut reader = Browser::new();
    reader.sign_in(&cluster.a, "importing@scale.test", PASSWORD).await;
    let page = "/courses/demo-course/evidence?lang=en";
    for instance in cluster.instances() {
        let before = reader.get(instance, page).await;
        assert_eq!(before.status, 200, "{page} on {}: {}", instance.name, before.body);
        assert!(!before.body.contains("Imported from the command line"));
    }
    // The operator's copy of the courses, changed and imported with the CLI.
    let work = tempfile::tempdir().unwrap();
    let courses = work.path().join("courses");
    common::copy_dir(&fixture_courses(), &courses);
    let module = courses.join("demo-course/02-evidence/en.md");
    let mut text = std::fs::read_to_string(&module).unwrap();
    text.push_str("\nImported from the command line while both instances serve.\n");
    std::fs::write(&module, text).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_bilim"))
        .args(["courses", "import"])
        .arg(&courses)
        .env("BILIM_DATA_DIR", work.path().join("data"))
        .env("DATABASE_URL", &cluster.database_url)
        .env("BILIM_SECRET", std::str::from_utf8(TEST_SECRET).unwrap())
        .env("BILIM_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("imported demo-course (revision"), "{stdout}");
    for instance in cluster.instances() {
        poll_until_served(&mut reader, instance, page, "Imported from the command line").await;
    }
}

async fn each_message_is_sent_once(cluster: &Cluster) {
    use bilim::db::schema::outbox;
    let resets: Vec<String> = (0..6).map(|n| format!("reset{n}@scale.test")).collect();
    for recipient in &resets {
        cluster.create_user(recipient, Role::Learner, Locale::En);
    }
    // Password-reset mail asked for through both instances, half through each.
    for (n, recipient) in resets.iter().enumerate() {
        let on = if n % 2 == 0 { &cluster.a } else { &cluster.b };
        let mut browser = Browser::new();
        let asked = browser
            .post_form(
                on,
                "/password/forgot",
                on,
                "/password/forgot",
                &[("email", recipient.as_str())],
            )
            .await;
        assert_eq!(asked.status, 200, "{}", asked.body);
    }
    // And a burst of notices, as a coordinator's group upload queues them: more than
    // one worker takes in one round (20), so both workers take turns at the queue.
    let notices: Vec<String> = (0..54).map(|n| format!("notice{n}@scale.test")).collect();
    let now = chrono::Utc::now().naive_utc();
    for (n, recipient) in notices.iter().enumerate() {
        diesel::insert_into(outbox::table)
            .values((
                outbox::recipient.eq(recipient),
                outbox::subject.eq("Notice"),
                outbox::text_body.eq("A notice."),
                outbox::html_body.eq("<p>A notice.</p>"),
                outbox::message_id.eq(format!("<scale-notice-{n}@bilim.test>")),
                outbox::status.eq("pending"),
                outbox::attempts.eq(0),
                outbox::next_attempt_at.eq(now),
                outbox::created_at.eq(now),
            ))
            .execute(&mut cluster.conn())
            .unwrap();
    }
    let recipients: Vec<&String> = resets.iter().chain(&notices).collect();
    // Each worker looks at the queue every few seconds; wait until every message is
    // recorded as sent.
    let deadline = Instant::now() + Duration::from_secs(40);
    let sent = loop {
        let rows: Vec<(String, String)> = outbox::table
            .filter(outbox::recipient.eq_any(&recipients))
            .select((outbox::message_id, outbox::status))
            .load(&mut cluster.conn())
            .unwrap();
        assert_eq!(rows.len(), recipients.len(), "one message is queued per request");
        if rows.iter().all(|(_, status)| status == "sent") {
            break rows;
        }
        assert!(Instant::now() < deadline, "not all sent after 40 s: {rows:?}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let mut files = Vec::new();
    for instance in cluster.instances() {
        for entry in std::fs::read_dir(instance.outbox()).unwrap() {
            let mut text = String::new();
            std::fs::File::open(entry.unwrap().path())
                .unwrap()
                .read_to_string(&mut text)
                .unwrap();
            files.push((instance.name, text));
        }
    }
    for (message_id, _) in &sent {
        let copies: Vec<&str> = files
            .iter()
            .filter(|(_, text)| text.contains(message_id.as_str()))
            .map(|(name, _)| *name)
            .collect();
        assert_eq!(
            copies.len(),
            1,
            "message {message_id} was written once, by one instance: {copies:?}"
        );
    }
}

async fn failed_sign_ins_are_limited_as_one(cluster: &Cluster) {
    let (a, b) = (&cluster.a, &cluster.b);
    cluster.create_user("guessed@scale.test", Role::Learner, Locale::En);
    let mut guesser = Browser::new();
    let wrong = |n: usize| json!({"email": "guessed@scale.test", "password": format!("wrong guess {n}")});
    // Ten wrong passwords for one account are allowed in 15 minutes: five on each.
    for n in 0..10 {
        let on = if n % 2 == 0 { a } else { b };
        let reply = guesser
            .api(on, "POST", "/api/v1/auth/token", None, Some(wrong(n)))
            .await;
        assert_eq!(reply.status, 401, "guess {n} on {}: {}", on.name, reply.body);
    }
    let eleventh = guesser
        .api(a, "POST", "/api/v1/auth/token", None, Some(wrong(10)))
        .await;
    assert_eq!(eleventh.status, 429, "the eleventh guess is refused: {}", eleventh.body);
    let right = guesser
        .api(
            b,
            "POST",
            "/api/v1/auth/token",
            None,
            Some(json!({"email": "guessed@scale.test", "password": PASSWORD})),
        )
        .await;
    assert_eq!(
        right.status, 429,
        "the other instance refuses even the right password while the account is locked"
    );
}

async fn a_credential_checks_against_the_others_keys(cluster: &Cluster) {
    use bilim::db::schema::certificates;
    let holder = cluster.create_user("holder@scale.test", Role::Learner, Locale::En);
    let code = "SCALE-OUTAB-CDEFG-HJKLM";
    diesel::insert_into(certificates::table)
        .values((
            certificates::code.eq(code),
            certificates::user_id.eq(holder),
            certificates::course_id.eq("demo-course"),
            certificates::holder_name.eq("Scale Holder"),
            certificates::course_titles.eq("{}"),
            certificates::institution.eq(""),
            certificates::country.eq(""),
            certificates::hours.eq(2.5),
            certificates::issued_at.eq(chrono::Utc::now().naive_utc()),
        ))
        .execute(&mut cluster.conn())
        .unwrap();
    let mut anyone = Browser::new();
    let jwt = anyone.get(&cluster.a, &format!("/api/v1/certificates/{code}")).await;
    assert_eq!(jwt.status, 200, "{}", jwt.body);
    let jwks_a = anyone.get(&cluster.a, "/.well-known/jwks.json").await.json();
    let jwks_b = anyone.get(&cluster.b, "/.well-known/jwks.json").await.json();
    assert_eq!(jwks_a, jwks_b, "both instances publish the same key");
    let key = jsonwebtoken::DecodingKey::from_ed_components(jwks_b["keys"][0]["x"].as_str().unwrap()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    let claims = jsonwebtoken::decode::<Value>(&jwt.body, &key, &validation)
        .unwrap_or_else(|e| panic!("A's credential does not check against B's keys: {e}"))
        .claims;
    assert_eq!(claims["jti"], code);
}
