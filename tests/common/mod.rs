//! The test harness: the whole application (every middleware, the real templates and
//! a real, freshly migrated database) driven through actix's HTTP service by one or
//! more [`Browser`]s, each with a cookie jar like a browser's.
//!
//! - [`TestApp::builder`] starts an application with changes to the configuration;
//! - [`fixtures`] builds the set-ups several test files share;
//! - [`TestResponse::select`] queries a page with CSS selectors ([`html`]).
//!
//! Every database test runs on SQLite; when `LMS_TEST_POSTGRES_URL` is set it also
//! runs on PostgreSQL, each test in a database of its own. Without the variable the
//! PostgreSQL halves are reported as ignored (see [`on_both_backends!`]).
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

pub mod authoring;
pub mod fixtures;
pub mod html;
pub mod routes;
pub mod smtp;

use std::collections::BTreeMap;
use std::ops::{Deref, DerefMut};
use std::rc::Rc;
use std::sync::atomic::{AtomicU32, Ordering};

use actix_http::Request;
use actix_service::Service;
use actix_web::body::BoxBody;
use actix_web::cookie::Cookie;
use actix_web::dev::ServiceResponse;
use actix_web::http::{header, Method, StatusCode};
use actix_web::{test, web};
use bilim::accounts::model::{Country, Role};
use bilim::accounts::service::{self, AdminCreatedUser};
use bilim::app::AppState;
use bilim::config::{Config, Secret};
use bilim::db::{self, Backend, DatabaseUrl, DbPool};
use bilim::i18n::Locale;
use bilim::institutions::InstitutionId;
use diesel::{Connection, RunQueryDsl};

pub const TEST_SECRET: &[u8] = b"test-secret-that-is-long-enough-for-hs256-signing-0123456789";
pub const PASSWORD: &str = "correct horse battery";

type BoxedService = Box<
    dyn Service<
        Request,
        Response = ServiceResponse<BoxBody>,
        Error = actix_web::Error,
        Future = futures_util::future::LocalBoxFuture<'static, Result<ServiceResponse<BoxBody>, actix_web::Error>>,
    >,
>;

/// A PostgreSQL database made for one test and dropped after it.
pub struct PgDatabase {
    admin_url: String,
    name: String,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if let Ok(mut conn) = diesel::PgConnection::establish(&self.admin_url) {
            let _ =
                diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name)).execute(&mut conn);
        }
    }
}

/// `url` with its database name replaced.
fn with_database(url: &str, name: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a postgres URL");
    let (authority, query) = match rest.split_once('?') {
        Some((before, query)) => (before, Some(query)),
        None => (rest, None),
    };
    let host = authority.split('/').next().unwrap_or(authority);
    let mut out = format!("{scheme}://{host}/{name}");
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique_name() -> String {
    format!(
        "bilim_test_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst),
        rand_suffix()
    )
}

fn rand_suffix() -> u32 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0)
}

/// A fresh PostgreSQL database. The test fails when `LMS_TEST_POSTGRES_URL` is unset
/// or the server cannot be reached: CI must not silently skip PostgreSQL. Tests that
/// call this are marked `#[cfg_attr(not(postgres_tests), ignore = …)]` so that a run
/// without the variable reports them as ignored.
pub fn fresh_postgres() -> (String, PgDatabase) {
    let base = std::env::var("LMS_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .expect("LMS_TEST_POSTGRES_URL is not set: run PostgreSQL tests with it set");
    let admin_url = with_database(&base, "postgres");
    let mut conn = diesel::PgConnection::establish(&admin_url)
        .unwrap_or_else(|e| panic!("LMS_TEST_POSTGRES_URL is set but PostgreSQL cannot be reached: {e}"));
    let name = unique_name();
    diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
        .execute(&mut conn)
        .expect("create test database");
    (with_database(&base, &name), PgDatabase { admin_url, name })
}

pub struct TestResponse {
    pub status: StatusCode,
    pub headers: header::HeaderMap,
    pub body: String,
    pub bytes: Vec<u8>,
}

impl TestResponse {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn location(&self) -> String {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }

    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }

    /// The body parsed as HTML, to query with CSS selectors (see [`html`]).
    pub fn html(&self) -> html::Html {
        html::Html::parse(&self.body)
    }

    /// The text of each element `selector` matches, whitespace collapsed, in
    /// document order: `page.select("table.runs td.status")`.
    pub fn select(&self, selector: &str) -> Vec<String> {
        self.html().select(selector).iter().map(|e| e.text()).collect()
    }

    /// The value of `attribute` on each element `selector` matches that has it.
    pub fn select_attr(&self, selector: &str, attribute: &str) -> Vec<String> {
        self.html()
            .select(selector)
            .iter()
            .filter_map(|e| e.attr(attribute).map(str::to_owned))
            .collect()
    }

    /// How many elements match `selector`.
    pub fn count(&self, selector: &str) -> usize {
        self.html().select(selector).len()
    }

    /// Whether any element matches `selector`.
    pub fn has(&self, selector: &str) -> bool {
        !self.html().select(selector).is_empty()
    }

    /// The page's language: the `lang` of its `<html>` element.
    pub fn lang(&self) -> String {
        self.select_attr("html", "lang").concat()
    }

    /// The text of the `<title>` element.
    pub fn title(&self) -> String {
        let start = self.body.find("<title>").map(|i| i + 7).unwrap_or(0);
        let end = self.body[start..].find("</title>").map(|i| start + i).unwrap_or(start);
        self.body[start..end].to_owned()
    }
}

/// A browser over a test application: its own cookie jar, the application's service.
/// `TestApp` dereferences to the browser it starts with, so `app.get(…)` is that
/// browser's request; `app.browser()` opens another over the same application, so a
/// test can hold several people signed in at once.
///
/// A browser's requests come from no peer address (which the application reads as
/// `0.0.0.0`) unless [`Browser::connecting_from`] gives it one; [`Browser::with_header`]
/// adds a header to every request, such as a forwarding header a proxy would write.
pub struct Browser {
    service: Rc<BoxedService>,
    pub state: web::Data<AppState>,
    pub cookies: BTreeMap<String, String>,
    /// The CSRF token last read from a page, with the CSRF and session cookies it
    /// was read under: a new sign-in binds new tokens.
    csrf: Option<(Option<String>, Option<String>, String)>,
    pub peer: Option<std::net::SocketAddr>,
    pub headers: Vec<(header::HeaderName, String)>,
}

impl Browser {
    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// This browser, connecting from `address` (an IP address; the port is made up).
    pub fn connecting_from(mut self, address: &str) -> Self {
        let ip: std::net::IpAddr = address.parse().expect("an IP address");
        self.peer = Some(std::net::SocketAddr::new(ip, 40_000));
        self
    }

    /// This browser, sending `name: value` with every request.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        let name = header::HeaderName::from_bytes(name.as_bytes()).expect("a header name");
        self.headers.push((name, value.to_owned()));
        self
    }

    pub async fn send(&mut self, mut req: test::TestRequest) -> TestResponse {
        if let Some(peer) = self.peer {
            req = req.peer_addr(peer);
        }
        for (name, value) in &self.headers {
            req = req.append_header((name.clone(), value.as_str()));
        }
        if !self.cookies.is_empty() {
            req = req.insert_header((header::COOKIE, self.cookie_header()));
        }
        self.call(req.to_request()).await
    }

    /// Sends a request built by hand (a body that streams, say), without this
    /// browser's cookies, and keeps the cookies of the answer.
    pub async fn call(&mut self, request: Request) -> TestResponse {
        let response = self.service.call(request).await.expect("service call");
        let status = response.status();
        let headers = response.headers().clone();
        for value in headers.get_all(header::SET_COOKIE) {
            let Ok(cookie) = Cookie::parse(value.to_str().unwrap().to_owned()) else {
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
        let bytes = actix_web::body::to_bytes(response.into_body())
            .await
            .unwrap_or_default();
        TestResponse {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes: bytes.to_vec(),
        }
    }

    pub async fn get(&mut self, path: &str) -> TestResponse {
        self.send(test::TestRequest::get().uri(path)).await
    }

    pub async fn get_with_header(&mut self, path: &str, name: header::HeaderName, value: &str) -> TestResponse {
        self.send(test::TestRequest::get().uri(path).insert_header((name, value)))
            .await
    }

    /// The CSRF token of the page's forms, as a browser has it: read from a page's
    /// form (the CSRF cookie itself signed out, bound to the session signed in), and
    /// read again after the cookies change.
    pub async fn csrf_token(&mut self) -> String {
        let cookies = || {
            let csrf = self.cookies.get("bilim_csrf").cloned();
            let session = self.cookies.get("bilim_session").cloned();
            (csrf, session)
        };
        if let Some((csrf, session, token)) = &self.csrf {
            if (csrf.clone(), session.clone()) == cookies() {
                return token.clone();
            }
        }
        for page in ["/profile", "/login"] {
            let response = self.get(page).await;
            if let Some(token) = response
                .select_attr("input[name='csrf_token']", "value")
                .into_iter()
                .next()
            {
                let (csrf, session) = (
                    self.cookies.get("bilim_csrf").cloned(),
                    self.cookies.get("bilim_session").cloned(),
                );
                self.csrf = Some((csrf, session, token.clone()));
                return token;
            }
        }
        panic!("no page offers a form with a CSRF token");
    }

    /// Posts a form as a browser would, with the CSRF token of the page.
    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> TestResponse {
        let token = self.csrf_token().await;
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        self.post_form_without_token(path, &all).await
    }

    pub async fn post_form_without_token(&mut self, path: &str, fields: &[(&str, &str)]) -> TestResponse {
        let body = serde_urlencoded::to_string(fields).unwrap();
        self.post_raw(path, "application/x-www-form-urlencoded", body.into_bytes())
            .await
    }

    pub async fn post_raw(&mut self, path: &str, content_type: &str, body: Vec<u8>) -> TestResponse {
        self.send(
            test::TestRequest::post()
                .uri(path)
                .insert_header((header::CONTENT_TYPE, content_type))
                .set_payload(body),
        )
        .await
    }

    pub async fn api(
        &mut self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> TestResponse {
        let mut req = test::TestRequest::default().method(method).uri(path);
        if let Some(token) = token {
            req = req.insert_header((header::AUTHORIZATION, format!("Bearer {token}")));
        }
        if let Some(body) = body {
            req = req.set_json(body);
        }
        self.send(req).await
    }

    /// Signs in through the login form; panics unless it succeeds.
    pub async fn sign_in(&mut self, email: &str, password: &str) {
        let response = self
            .post_form("/login", &[("email", email), ("password", password)])
            .await;
        assert_eq!(
            response.status,
            StatusCode::SEE_OTHER,
            "sign-in failed: {}",
            response.body
        );
        assert!(self.cookies.contains_key("bilim_session"));
    }

    pub async fn api_token(&mut self, email: &str, password: &str) -> String {
        let response = self
            .api(
                Method::POST,
                "/api/v1/auth/token",
                None,
                Some(serde_json::json!({"email": email, "password": password})),
            )
            .await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.body);
        response.json()["token"].as_str().unwrap().to_owned()
    }

    pub fn sign_out_locally(&mut self) {
        self.cookies.remove("bilim_session");
    }
}

/// The whole application over a fresh database, and the browser a test drives it
/// with (see [`Browser`]).
pub struct TestApp {
    browser: Browser,
    pub backend: Backend,
    pub data_dir: tempfile::TempDir,
    _postgres: Option<PgDatabase>,
}

pub fn test_config(data_dir: &std::path::Path, database: DatabaseUrl) -> Config {
    Config {
        bind: "127.0.0.1:0".into(),
        data_dir: data_dir.to_path_buf(),
        database,
        default_locale: Locale::Ru,
        secret: Secret::new(TEST_SECRET.to_vec()),
        site_name: "Bilim".into(),
        logo_file: None,
        public_url: "http://localhost".into(),
        secure_cookies: false,
        courses_dir: data_dir.join("courses"),
        smtp_url: None,
        mail_from: "Bilim <no-reply@bilim.test>".into(),
        body_timeout: std::time::Duration::from_secs(30),
        require_two_factor: false,
        access_log: false,
        trusted_proxies: bilim::web::proxies::TrustedProxies::none(),
    }
}

fn migrated_pool(url: &DatabaseUrl) -> DbPool {
    let pool = db::connect(url, 4).expect("open test database");
    let mut conn = pool.get().expect("connection");
    db::migrate(&mut conn).expect("migrate");
    pool
}

type ConfigChange = Box<dyn FnOnce(&mut Config)>;

/// How to start a test application: on which backend, and with which changes to
/// [`test_config`], like crates.io's `TestApp::init().with_config(…)`:
///
/// ```ignore
/// let app = TestApp::builder().with_config(|c| c.secure_cookies = true).sqlite().await;
/// ```
///
/// A two-backend test that needs its own configuration takes the builder instead of
/// the application (`async fn name(app: TestAppBuilder)`), set to the backend it
/// runs on, and starts it with [`TestAppBuilder::start`].
pub struct TestAppBuilder {
    backend: Backend,
    changes: Vec<ConfigChange>,
}

impl TestAppBuilder {
    pub fn new(backend: Backend) -> Self {
        TestAppBuilder {
            backend,
            changes: Vec::new(),
        }
    }

    /// Changes the configuration the application starts with (after the test
    /// defaults; the database and data directory are the test's own). Changes apply
    /// in order.
    pub fn with_config(mut self, change: impl FnOnce(&mut Config) + 'static) -> Self {
        self.changes.push(Box::new(change));
        self
    }

    /// Starts the application on SQLite.
    pub async fn sqlite(mut self) -> TestApp {
        self.backend = Backend::Sqlite;
        self.start().await
    }

    /// Starts the application on PostgreSQL; fails when `LMS_TEST_POSTGRES_URL` is
    /// unset or the server cannot be reached.
    pub async fn postgres(mut self) -> TestApp {
        self.backend = Backend::Postgres;
        self.start().await
    }

    /// Starts the application on the builder's backend, in a fresh database.
    pub async fn start(self) -> TestApp {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let (url, database) = match self.backend {
            Backend::Sqlite => (
                DatabaseUrl::parse(&format!("sqlite://{}", data_dir.path().join("bilim.db").display())).unwrap(),
                None,
            ),
            Backend::Postgres => {
                let (url, database) = fresh_postgres();
                (DatabaseUrl::parse(&url).unwrap(), Some(database))
            }
        };
        let mut config = test_config(data_dir.path(), url.clone());
        for change in self.changes {
            change(&mut config);
        }
        TestApp::start(data_dir, config, database).await
    }
}

/// What a test listed in [`on_both_backends!`] takes: the application already started
/// on the backend, or a [`TestAppBuilder`] for it.
pub trait ForBackend: Sized {
    fn for_backend(backend: Backend) -> impl std::future::Future<Output = Self>;
}

impl ForBackend for TestApp {
    fn for_backend(backend: Backend) -> impl std::future::Future<Output = Self> {
        TestAppBuilder::new(backend).start()
    }
}

impl ForBackend for TestAppBuilder {
    fn for_backend(backend: Backend) -> impl std::future::Future<Output = Self> {
        std::future::ready(TestAppBuilder::new(backend))
    }
}

/// Runs `test` on `backend`, handing it what it takes (see [`ForBackend`]).
pub async fn run_on<A: ForBackend, F: std::future::Future<Output = ()>>(backend: Backend, test: impl FnOnce(A) -> F) {
    test(A::for_backend(backend).await).await;
}

impl TestApp {
    /// A builder to start an application with changes to the test configuration.
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder::new(Backend::Sqlite)
    }

    pub async fn sqlite() -> TestApp {
        Self::builder().sqlite().await
    }

    pub async fn postgres() -> TestApp {
        Self::builder().postgres().await
    }

    async fn start(data_dir: tempfile::TempDir, config: Config, postgres: Option<PgDatabase>) -> TestApp {
        let url = config.database.clone();
        let pool = migrated_pool(&url);
        let state = web::Data::new(AppState::new(pool, url.backend, config).expect("templates"));
        let service = test::init_service(bilim::app::app(state.clone())).await;
        let service =
            actix_service::boxed::service(actix_service::ServiceExt::map(service, |res: ServiceResponse<_>| {
                res.map_into_boxed_body()
            }));
        TestApp {
            browser: Browser {
                service: Rc::new(service),
                state,
                cookies: BTreeMap::new(),
                csrf: None,
                peer: None,
                headers: Vec::new(),
            },
            backend: url.backend,
            data_dir,
            _postgres: postgres,
        }
    }

    /// Another browser over this application, with an empty cookie jar: a second
    /// person using the site at the same time. Browsers opened before a
    /// [`TestApp::restart`] keep talking to the application as it was.
    pub fn browser(&self) -> Browser {
        Browser {
            service: Rc::clone(&self.browser.service),
            state: self.browser.state.clone(),
            cookies: BTreeMap::new(),
            csrf: None,
            peer: None,
            headers: Vec::new(),
        }
    }

    /// Another browser over this application, connecting from `address`.
    pub fn browser_from(&self, address: &str) -> Browser {
        self.browser().connecting_from(address)
    }

    /// Another browser over this application, signed in as `email` with the test
    /// password.
    pub async fn signed_in(&self, email: &str) -> Browser {
        let mut browser = self.browser();
        browser.sign_in(email, PASSWORD).await;
        browser
    }

    /// A new application over the same database and data directory, as after a
    /// server restart; the browser's cookies and the configuration are kept.
    pub async fn restart(self) -> TestApp {
        let config = self.state.config.clone();
        let TestApp {
            data_dir,
            _postgres,
            browser: Browser { cookies, .. },
            ..
        } = self;
        let mut app = Self::start(data_dir, config, _postgres).await;
        app.cookies = cookies;
        app
    }

    /// A second instance over the same database, as behind a load balancer: its own
    /// memory and data directory, the same tables and configuration otherwise.
    pub async fn another_instance(&self) -> TestApp {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let mut config = self.state.config.clone();
        config.data_dir = data_dir.path().to_path_buf();
        config.courses_dir = data_dir.path().join("courses");
        Self::start(data_dir, config, None).await
    }

    /// Creates an account directly in the database, as `bilim user create` does.
    pub fn create_user(&self, email: &str, role: Role, institution_id: Option<InstitutionId>) -> i64 {
        self.create_user_speaking(email, role, institution_id, Locale::Ru)
    }

    /// Creates an account whose interface language is `locale`.
    pub fn create_user_speaking(
        &self,
        email: &str,
        role: Role,
        institution_id: Option<InstitutionId>,
        locale: Locale,
    ) -> i64 {
        let mut conn = self.state.pool.get().unwrap();
        service::create_user(
            &mut conn,
            &AdminCreatedUser {
                email: email.into(),
                name: format!("Test {}", role.code()),
                role,
                country: if institution_id.is_some() {
                    None
                } else {
                    Some(Country::Kz)
                },
                institution_id,
                locale,
            },
            PASSWORD,
        )
        .unwrap()
        .get()
    }

    pub fn create_institution(&self, name: &str, country: Country) -> InstitutionId {
        let mut conn = self.state.pool.get().unwrap();
        bilim::institutions::create(
            &mut conn,
            &bilim::institutions::NewInstitution {
                name: name.into(),
                country,
            },
        )
        .unwrap()
    }

    /// Copies a fixture courses folder into this app's data directory (so a test can
    /// change it) and returns where it is.
    pub fn copy_courses(&self, fixture: &str) -> std::path::PathBuf {
        let from = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/courses")
            .join(fixture);
        let to = self.data_dir.path().join("courses");
        copy_dir(&from, &to);
        to
    }

    /// Checks and imports a courses folder.
    pub fn import_courses(&self, dir: &std::path::Path) -> bilim::courses::import::ImportReport {
        let mut conn = self.state.pool.get().unwrap();
        let (catalogue, report) = bilim::courses::import_folder(&mut conn, dir).unwrap();
        assert!(
            !catalogue.diagnostics.has_errors(),
            "{:#?}",
            catalogue.diagnostics.all()
        );
        report
    }

    /// Creates a user with a country (lower-case code) or none, and signs them in.
    pub async fn sign_in_as(&mut self, email: &str, role: Role, country: Option<Country>) -> i64 {
        let id = {
            let mut conn = self.state.pool.get().unwrap();
            service::create_user(
                &mut conn,
                &AdminCreatedUser {
                    email: email.into(),
                    name: format!("Reader {}", role.code()),
                    role,
                    country,
                    institution_id: None,
                    locale: Locale::Ru,
                },
                PASSWORD,
            )
            .unwrap()
            .get()
        };
        self.sign_out_locally();
        self.sign_in(email, PASSWORD).await;
        id
    }
}

impl Deref for TestApp {
    type Target = Browser;

    fn deref(&self) -> &Browser {
        &self.browser
    }
}

impl DerefMut for TestApp {
    fn deref_mut(&mut self) -> &mut Browser {
        &mut self.browser
    }
}

pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Runs each named test once per backend: `mod name { on_sqlite, on_postgres }`.
///
/// A test is a plain top-level `async fn name(mut app: TestApp) { … }` (or
/// `async fn name(app: TestAppBuilder)` to change the configuration before starting
/// it); list the tests after them with `on_both_backends!(name_a, name_b);`. The
/// PostgreSQL half is ignored unless the tests were built with `LMS_TEST_POSTGRES_URL`
/// set (build.rs turns it into the `postgres_tests` cfg); when it is set and the
/// server cannot be reached, the PostgreSQL half fails.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[actix_web::test]
                async fn on_sqlite() {
                    $crate::common::run_on(::bilim::db::Backend::Sqlite, super::$name).await;
                }

                #[actix_web::test]
                #[cfg_attr(not(postgres_tests), ignore = "LMS_TEST_POSTGRES_URL is not set")]
                async fn on_postgres() {
                    $crate::common::run_on(::bilim::db::Backend::Postgres, super::$name).await;
                }
            }
        )+
    };
}

/// Passes the demo course's module quiz through the API, whichever questions it draws.
pub async fn pass_check_quiz(app: &mut TestApp, token: &str) {
    let attempt = app
        .api(
            Method::POST,
            "/api/v1/courses/demo-course/quizzes/check/attempts",
            Some(token),
            None,
        )
        .await
        .json();
    let id = attempt["attempt_id"].as_i64().unwrap();
    for q in attempt["questions"].as_array().unwrap() {
        let body = match q["id"].as_str().unwrap() {
            "a" => serde_json::json!({"choice": "true"}),
            "b" => {
                serde_json::json!({"choice": q["options"].as_array().unwrap().iter().find(|o| o["text"] == "right").unwrap()["id"]})
            }
            _ => serde_json::json!({"value": 4}),
        };
        app.api(
            Method::PUT,
            &format!("/api/v1/attempts/{id}/responses/{}", q["id"].as_str().unwrap()),
            Some(token),
            Some(body),
        )
        .await;
    }
    let result = app
        .api(
            Method::POST,
            &format!("/api/v1/attempts/{id}/submit"),
            Some(token),
            None,
        )
        .await
        .json();
    assert_eq!(result["passed"], serde_json::json!(true));
}

/// The CSV rows, without the byte-order mark, separated by `,` or `;` (whichever the
/// heading row uses more).
pub fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").expect("a byte-order mark")).unwrap();
    let heading = text.lines().next().unwrap_or_default();
    let separator = if heading.matches(';').count() > heading.matches(',').count() {
        b';'
    } else {
        b','
    };
    csv::ReaderBuilder::new()
        .delimiter(separator)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}
