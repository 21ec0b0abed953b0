//! The load tool: `cargo bench --bench load` (options after `--`, see `usage`).
//!
//! It starts the real `bilim` binary on a fresh data directory with the shipped
//! curriculum and a seeded population (10,000 learners at five institutions, each
//! enrolled in two runs with progress in both), signs learners in, and drives each
//! scenario over keep-alive HTTP/1.1 connections for a fixed time: the stylesheet (the
//! ceiling: the same binary serving bytes from memory), `/healthz`, a signed-in module
//! page, a course overview, the catalogue, and full quiz attempts through the API
//! (start, ten responses, submit). It prints requests a second, p50 and p99 latency and
//! the server's peak resident memory as a Markdown table, the form BENCHMARKS.md keeps.
//!
//! With `--database postgres://…/` it runs the same scenarios on PostgreSQL, in a fresh
//! database it creates there and drops afterwards.
//!
//! Sign-in goes through `POST /api/v1/auth/token` for the learners who read pages (one
//! Argon2 check each, the "sign-in" row). The quiz scenario needs thousands of
//! learners, each with three attempts: their session tokens are issued with the
//! installation secret the server is started with, as a sign-in would issue them, so
//! the scenario measures quizzes rather than Argon2.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bilim::accounts::model::UserId;
use bilim::config::Secret;
use bilim::db::{self, DatabaseUrl, DbConnection};
use bytes::Bytes;
use diesel::{Connection, RunQueryDsl};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpStream;

const LEARNERS: usize = 10_000;
const INSTITUTIONS: usize = 5;
const PASSWORD: &str = "load-test password 2026";
const SECRET: &str = "load-tool secret, at least thirty-two characters long";
/// The module the page scenario reads: the shipped module the issue measured.
const COURSE: &str = "cybercrime-foundations";
const MODULE: &str = "what-is-cybercrime";
const QUIZ: &str = "final";
const COUNTRIES: [&str; 5] = ["KZ", "KG", "TJ", "TM", "UZ"];
const LOCALES: [&str; 5] = ["ru", "kk", "ky", "tg", "uz"];

struct Options {
    seconds: u64,
    connections: Vec<usize>,
    scenarios: Vec<String>,
    database: Option<String>,
    threads: usize,
}

fn usage() -> ! {
    eprintln!(
        "cargo bench --bench load -- [--seconds N] [--connections 16,64] [--threads N]\n\
         \x20   [--scenarios stylesheet,healthz,sign-in,module,overview,catalogue,quiz]\n\
         \x20   [--database postgres://user@host:port/]"
    );
    std::process::exit(2)
}

fn options() -> Options {
    let mut options = Options {
        seconds: 10,
        connections: vec![16, 64],
        scenarios: [
            "stylesheet",
            "healthz",
            "sign-in",
            "module",
            "overview",
            "catalogue",
            "quiz",
        ]
        .map(String::from)
        .to_vec(),
        database: None,
        threads: 2,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage());
        match arg.as_str() {
            // cargo bench passes --bench to every benchmark binary.
            "--bench" => {}
            "--seconds" => options.seconds = value().parse().unwrap_or_else(|_| usage()),
            "--threads" => options.threads = value().parse().unwrap_or_else(|_| usage()),
            "--connections" => {
                options.connections = value()
                    .split(',')
                    .map(|n| n.trim().parse().unwrap_or_else(|_| usage()))
                    .collect()
            }
            "--scenarios" => options.scenarios = value().split(',').map(|s| s.trim().to_owned()).collect(),
            "--database" => options.database = Some(value()),
            _ => usage(),
        }
    }
    options
}

fn main() {
    let options = options();
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data_dir = tempfile::tempdir().unwrap();
    let database = Database::create(options.database.as_deref(), data_dir.path());
    println!("# Bilim load test, {}", chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"));
    println!();
    println!("- machine: {}", machine());
    println!("- database: {}", database.backend_name());
    println!(
        "- {} s per scenario after 1 s of warm-up, load generator: {} threads on the same machine",
        options.seconds, options.threads
    );

    let started = Instant::now();
    let server = Server::start(&database.url, data_dir.path(), &manifest.join("courses"));
    println!(
        "- start with the shipped curriculum on an empty database: {:.2} s until /healthz answers",
        started.elapsed().as_secs_f64()
    );
    let seeded = Instant::now();
    let population = seed(&database.url);
    println!(
        "- seeded {} learners, {} enrolments, {} progress records in {:.1} s",
        population.learners.len(),
        population.enrolments,
        population.progress,
        seeded.elapsed().as_secs_f64()
    );
    println!("- server memory idle after seeding: {} MB resident", server.rss_mb());
    println!();
    println!("| scenario | connections | requests/s | p50 ms | p99 ms | errors | peak RSS MB |");
    println!("|---|---|---|---|---|---|---|");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(options.threads)
        .enable_all()
        .build()
        .unwrap();
    let address = server.address.clone();
    let readers: Vec<Learner> = runtime.block_on(sign_in_readers(&address, &population, 64));
    let secret = Secret::new(SECRET.as_bytes().to_vec());
    let attempt_pool: Arc<Vec<Learner>> = Arc::new(
        population
            .learners
            .iter()
            .map(|l| Learner {
                token: bilim::accounts::session::issue(&secret, UserId(l.id), 0).unwrap().token,
                ..l.clone()
            })
            .collect(),
    );
    let next_learner = Arc::new(AtomicUsize::new(readers.len()));
    let stylesheet = bilim::web::assets::Assets::new().css_url();
    let seconds = Duration::from_secs(options.seconds);

    for scenario in &options.scenarios {
        let connection_counts: &[usize] = match scenario.as_str() {
            "sign-in" => &[16],
            "healthz" => &[64],
            _ => &options.connections,
        };
        for &connections in connection_counts {
            let peak = server.watch_memory();
            let outcome = match scenario.as_str() {
                "stylesheet" => runtime.block_on(drive_gets(&address, connections, seconds, |_| {
                    (stylesheet.clone(), None)
                })),
                "healthz" => runtime.block_on(drive_gets(&address, connections, seconds, |_| {
                    ("/healthz".into(), None)
                })),
                "module" => runtime.block_on(drive_gets(&address, connections, seconds, |c| {
                    (
                        format!("/courses/{COURSE}/{MODULE}"),
                        Some(readers[c % readers.len()].cookie()),
                    )
                })),
                "overview" => runtime.block_on(drive_gets(&address, connections, seconds, |c| {
                    (format!("/courses/{COURSE}"), Some(readers[c % readers.len()].cookie()))
                })),
                "catalogue" => runtime.block_on(drive_gets(&address, connections, seconds, |c| {
                    ("/courses".into(), Some(readers[c % readers.len()].cookie()))
                })),
                "sign-in" => runtime.block_on(drive_sign_ins(&address, connections, seconds, &population)),
                "quiz" => runtime.block_on(drive_attempts(
                    &address,
                    connections,
                    seconds,
                    Arc::clone(&attempt_pool),
                    Arc::clone(&next_learner),
                )),
                other => {
                    eprintln!("unknown scenario {other}");
                    usage()
                }
            };
            let peak_mb = peak.stop();
            outcome.print(scenario, connections, peak_mb);
        }
    }
    println!();
    println!(
        "Peak resident memory over the whole run (VmHWM): {} MB",
        server.peak_mb()
    );
    drop(server);
    database.drop_if_created();
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    format!("{cores} cores, {cpu}")
}

// ---------------------------------------------------------------------------------
// The database and its population

struct Database {
    url: String,
    /// A PostgreSQL database this run created: (server URL, database name).
    created: Option<(String, String)>,
}

impl Database {
    fn create(postgres: Option<&str>, data_dir: &Path) -> Database {
        match postgres {
            None => Database {
                url: format!("sqlite://{}", data_dir.join("bilim.db").display()),
                created: None,
            },
            Some(server) => {
                let server = server.trim_end_matches('/').to_owned();
                let name = format!("bilim_load_{}", std::process::id());
                let mut admin = diesel::PgConnection::establish(&format!("{server}/postgres")).unwrap();
                diesel::sql_query(format!("DROP DATABASE IF EXISTS {name}"))
                    .execute(&mut admin)
                    .unwrap();
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .unwrap();
                Database {
                    url: format!("{server}/{name}"),
                    created: Some((server, name)),
                }
            }
        }
    }

    fn backend_name(&self) -> &'static str {
        if self.created.is_some() {
            "PostgreSQL"
        } else {
            "SQLite (embedded)"
        }
    }

    fn drop_if_created(&self) {
        if let Some((server, name)) = &self.created {
            if let Ok(mut admin) = diesel::PgConnection::establish(&format!("{server}/postgres")) {
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin);
            }
        }
    }
}

#[derive(Clone)]
struct Learner {
    id: i64,
    email: String,
    token: String,
}

impl Learner {
    /// The cookies a browser sends: the session and the CSRF cookie the server set.
    fn cookie(&self) -> String {
        format!(
            "bilim_session={}; bilim_csrf=load-tool-csrf-cookie-value-of-43-characters",
            self.token
        )
    }
}

struct Population {
    learners: Vec<Learner>,
    enrolments: usize,
    progress: usize,
}

/// Seeds the population with plain SQL (the same on both backends) in one transaction,
/// after the server has migrated the database and imported the shipped courses.
fn seed(url: &str) -> Population {
    let url = DatabaseUrl::parse(url).unwrap();
    let pool = db::connect(&url, 1).unwrap();
    let mut conn = pool.get().unwrap();
    let hash = bilim::accounts::password::hash(PASSWORD).unwrap();
    let modules = module_ids(&mut conn);
    let courses: Vec<&String> = modules.iter().map(|(course, _)| course).collect();
    let now = chrono::Utc::now().naive_utc().format("%Y-%m-%d %H:%M:%S").to_string();
    let today = chrono::Utc::now().date_naive();
    let starts = (today - chrono::Duration::days(10)).to_string();
    let ends = (today + chrono::Duration::days(60)).to_string();
    let mut learners = Vec::with_capacity(LEARNERS);
    let mut enrolments = 0;
    let mut progress = 0;
    conn.transaction::<_, diesel::result::Error, _>(|conn| {
        // The coordinator who created the runs.
        let creator = next_id(conn, "users");
        execute(
            conn,
            "INSERT INTO users (email, name, password_hash, role, category, locale, token_version, created_at, \
             updated_at, search_text, languages) VALUES ",
            &[format!(
                "('admin@load.example', 'Administrator', '{hash}', 'admin', 'other', 'ru', 0, '{now}', '{now}', \
                 'administrator admin@load.example', '')"
            )],
        );
        let first_user = creator + 1;
        let first_institution = next_id(conn, "institutions");
        let first_run = next_id(conn, "course_runs");
        let values: Vec<String> = (0..INSTITUTIONS)
            .map(|i| format!("('Academy {i}', '{}', '{now}', '', '')", COUNTRIES[i]))
            .collect();
        execute(
            conn,
            "INSERT INTO institutions (name, country, created_at, signatory_name, signatory_position) VALUES ",
            &values,
        );
        // A run of every course at every institution, in the institution's country.
        let mut values = Vec::new();
        for i in 0..INSTITUTIONS {
            for course in &courses {
                values.push(format!(
                    "('{course}', {}, '{}', '{}', '{starts}', '{ends}', '{ends}', {LEARNERS}, 'online', \
                     'approval', 'national_pilot', '', {creator}, '{now}', '{now}', FALSE)",
                    first_institution + i as i64,
                    LOCALES[i],
                    COUNTRIES[i],
                ));
            }
        }
        execute(
            conn,
            "INSERT INTO course_runs (course_id, institution_id, language, country, starts_on, ends_on, enrol_by, \
             capacity, mode, enrolment, phase, categories, created_by, created_at, updated_at, opens_early) VALUES ",
            &values,
        );
        let run_of = |institution: usize, course: usize| first_run + (institution * courses.len() + course) as i64;
        for chunk in (0..LEARNERS).collect::<Vec<_>>().chunks(1_000) {
            let mut users = Vec::new();
            let mut enrolled = Vec::new();
            let mut progressed = Vec::new();
            for &n in chunk {
                let institution = n % INSTITUTIONS;
                let id = first_user + n as i64;
                let email = format!("learner{n}@load.example");
                users.push(format!(
                    "('{email}', 'Learner {n}', '{hash}', 'learner', '{}', {}, 'police_officer', '{}', 0, \
                     '{now}', '{now}', '{now}', 'learner {n} {email}', '')",
                    COUNTRIES[institution],
                    first_institution + institution as i64,
                    LOCALES[institution],
                ));
                // The course the scenarios read, and one other.
                let other = 1 + n % (courses.len() - 1);
                for course in [0, other] {
                    enrolled.push(format!(
                        "({}, {id}, 'enrolled', '{now}', '{now}', '{now}')",
                        run_of(institution, course)
                    ));
                    // Three modules opened, the first two completed.
                    for (m, module) in modules[course].1.iter().take(3).enumerate() {
                        let completed = if m < 2 { format!("'{now}'") } else { "NULL".into() };
                        progressed.push(format!(
                            "({id}, '{}', '{module}', '{now}', {completed}, '{now}')",
                            modules[course].0
                        ));
                    }
                }
                learners.push(Learner {
                    id,
                    email,
                    token: String::new(),
                });
            }
            enrolments += enrolled.len();
            progress += progressed.len();
            execute(
                conn,
                "INSERT INTO users (email, name, password_hash, role, country, institution_id, category, locale, \
                 token_version, created_at, updated_at, email_verified_at, search_text, languages) VALUES ",
                &users,
            );
            execute(
                conn,
                "INSERT INTO enrolments (run_id, user_id, status, created_at, updated_at, last_activity_at) VALUES ",
                &enrolled,
            );
            execute(
                conn,
                "INSERT INTO module_progress (user_id, course_id, module_id, started_at, completed_at, updated_at) \
                 VALUES ",
                &progressed,
            );
        }
        Ok(())
    })
    .unwrap();
    db::optimize(&mut conn).unwrap();
    Population {
        learners,
        enrolments,
        progress,
    }
}

fn execute(conn: &mut DbConnection, insert: &str, values: &[String]) {
    diesel::sql_query(format!("{insert}{}", values.join(", ")))
        .execute(conn)
        .unwrap_or_else(|e| panic!("{insert}: {e}"));
}

#[derive(diesel::QueryableByName)]
struct NextId {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    next: i64,
}

/// The id the next row of `table` gets (the tables are empty or nearly so).
fn next_id(conn: &mut DbConnection, table: &str) -> i64 {
    let row: NextId = diesel::sql_query(format!("SELECT COALESCE(MAX(id), 0) + 1 AS next FROM {table}"))
        .get_result(conn)
        .unwrap();
    row.next
}

#[derive(diesel::QueryableByName)]
struct ModuleRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    course_id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    id: String,
}

/// The shipped courses' modules in order, the scenarios' course first.
fn module_ids(conn: &mut DbConnection) -> Vec<(String, Vec<String>)> {
    let rows: Vec<ModuleRow> =
        diesel::sql_query("SELECT course_id, id FROM course_modules ORDER BY course_id, position")
            .load(conn)
            .unwrap();
    let mut courses: Vec<(String, Vec<String>)> = Vec::new();
    for row in rows {
        match courses.last_mut() {
            Some((course, modules)) if *course == row.course_id => modules.push(row.id),
            _ => courses.push((row.course_id, vec![row.id])),
        }
    }
    courses.sort_by_key(|(course, _)| course != COURSE);
    assert!(
        courses.len() >= 2 && courses[0].0 == COURSE,
        "the shipped courses are imported"
    );
    courses
}

// ---------------------------------------------------------------------------------
// The server under test

struct Server {
    child: Child,
    address: String,
}

impl Server {
    fn start(database_url: &str, data_dir: &Path, courses: &Path) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let address = format!("127.0.0.1:{port}");
        let child = Command::new(env!("CARGO_BIN_EXE_bilim"))
            .arg("serve")
            .env("DATABASE_URL", database_url)
            .env("BILIM_DATA_DIR", data_dir)
            .env("BILIM_COURSES_DIR", courses)
            .env("BILIM_BIND", &address)
            .env("BILIM_SECRET", SECRET)
            .env("BILIM_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let server = Server { child, address };
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if healthy(&server.address) {
                return server;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("bilim did not answer /healthz within a minute")
    }

    fn status_field(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        status
            .lines()
            .find(|l| l.starts_with(field))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse().ok())
            .unwrap_or(0)
    }

    fn rss_mb(&self) -> u64 {
        self.status_field("VmRSS:") / 1024
    }

    fn peak_mb(&self) -> u64 {
        self.status_field("VmHWM:") / 1024
    }

    /// Samples the server's resident memory every 20 ms until stopped.
    fn watch_memory(&self) -> MemoryWatch {
        let pid = self.child.id();
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicU64::new(0));
        let thread = {
            let (stop, peak) = (Arc::clone(&stop), Arc::clone(&peak));
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
                    if let Some(kb) = status
                        .lines()
                        .find(|l| l.starts_with("VmRSS:"))
                        .and_then(|l| l.split_whitespace().nth(1))
                        .and_then(|kb| kb.parse::<u64>().ok())
                    {
                        peak.fetch_max(kb, Ordering::Relaxed);
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
            })
        };
        MemoryWatch { stop, peak, thread }
    }
}

impl Drop for Server {
    /// The server goes with the tool, whether it finishes or fails.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn healthy(address: &str) -> bool {
    use std::io::Write;
    let Ok(mut stream) = std::net::TcpStream::connect(address) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.1 200")
}

struct MemoryWatch {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
    thread: std::thread::JoinHandle<()>,
}

impl MemoryWatch {
    fn stop(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
        self.peak.load(Ordering::Relaxed) / 1024
    }
}

// ---------------------------------------------------------------------------------
// The load generator

/// One keep-alive HTTP/1.1 connection.
struct Client {
    sender: http1::SendRequest<Full<Bytes>>,
}

impl Client {
    async fn open(address: &str) -> Client {
        let stream = TcpStream::connect(address).await.unwrap();
        stream.set_nodelay(true).unwrap();
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await.unwrap();
        tokio::spawn(connection);
        Client { sender }
    }

    /// Sends a request and reads the whole answer: its status and body.
    async fn send(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<String>,
    ) -> Result<(StatusCode, Bytes), String> {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header("host", "localhost")
            .header("accept-language", "ru");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = match body {
            Some(body) => request
                .header("content-type", "application/json")
                .body(Full::new(Bytes::from(body))),
            None => request.body(Full::new(Bytes::new())),
        }
        .map_err(|e| e.to_string())?;
        self.sender.ready().await.map_err(|e| e.to_string())?;
        let response = self.sender.send_request(request).await.map_err(|e| e.to_string())?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        Ok((status, body))
    }
}

/// What a scenario measured.
#[derive(Default)]
struct Outcome {
    /// Latency of each request, in microseconds.
    latencies: Vec<u32>,
    errors: usize,
    /// Whole operations (quiz attempts, sign-ins), where the scenario counts them.
    operations: usize,
    elapsed: Duration,
    first_error: Option<String>,
}

impl Outcome {
    fn merge(&mut self, other: Outcome) {
        self.latencies.extend(other.latencies);
        self.errors += other.errors;
        self.operations += other.operations;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }

    fn record(&mut self, started: Instant, result: &Result<(StatusCode, Bytes), String>, expected: StatusCode) -> bool {
        let micros = u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX);
        self.latencies.push(micros);
        match result {
            Ok((status, _)) if *status == expected => true,
            Ok((status, body)) => {
                self.errors += 1;
                self.first_error.get_or_insert_with(|| {
                    format!(
                        "{status}: {}",
                        String::from_utf8_lossy(body).chars().take(200).collect::<String>()
                    )
                });
                false
            }
            Err(error) => {
                self.errors += 1;
                self.first_error.get_or_insert_with(|| error.clone());
                false
            }
        }
    }

    fn percentile(sorted: &[u32], p: f64) -> f64 {
        if sorted.is_empty() {
            return 0.0;
        }
        let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
        f64::from(sorted[rank.min(sorted.len() - 1)]) / 1000.0
    }

    fn print(mut self, scenario: &str, connections: usize, peak_mb: u64) {
        self.latencies.sort_unstable();
        let seconds = self.elapsed.as_secs_f64().max(f64::EPSILON);
        let rate = self.latencies.len() as f64 / seconds;
        let name = match scenario {
            "quiz" => format!(
                "quiz attempts: {:.0} attempts/s (start, 10 responses, submit)",
                self.operations as f64 / seconds
            ),
            "sign-in" => "sign-in (Argon2id, API)".to_owned(),
            "module" => format!("module page {COURSE}/{MODULE}, signed in"),
            "overview" => format!("course overview {COURSE}, signed in"),
            "catalogue" => "catalogue, signed in".to_owned(),
            "stylesheet" => "stylesheet (the ceiling)".to_owned(),
            other => other.to_owned(),
        };
        println!(
            "| {name} | {connections} | {rate:.0} | {:.2} | {:.2} | {} | {peak_mb} |",
            Self::percentile(&self.latencies, 0.50),
            Self::percentile(&self.latencies, 0.99),
            self.errors,
        );
        if let Some(error) = self.first_error {
            eprintln!("  first error in {scenario}: {error}");
        }
    }
}

/// Runs `connections` loops until the warm-up and the measured time have passed; only
/// what completes in the measured time counts.
async fn drive<F, Fut>(connections: usize, seconds: Duration, each: F) -> Outcome
where
    F: Fn(usize, Instant, Instant) -> Fut,
    Fut: std::future::Future<Output = Outcome> + Send + 'static,
{
    let warm_until = Instant::now() + Duration::from_secs(1);
    let stop_at = warm_until + seconds;
    let tasks: Vec<_> = (0..connections)
        .map(|c| tokio::spawn(each(c, warm_until, stop_at)))
        .collect();
    let mut total = Outcome::default();
    for task in tasks {
        total.merge(task.await.unwrap());
    }
    total.elapsed = seconds;
    total
}

async fn drive_gets(
    address: &str,
    connections: usize,
    seconds: Duration,
    request: impl Fn(usize) -> (String, Option<String>),
) -> Outcome {
    drive(connections, seconds, |c, warm_until, stop_at| {
        let (path, cookie) = request(c);
        let address = address.to_owned();
        async move {
            let mut connection = Client::open(&address).await;
            let mut outcome = Outcome::default();
            let headers: Vec<(&str, &str)> = cookie.iter().map(|c| ("cookie", c.as_str())).collect();
            loop {
                let started = Instant::now();
                if started >= stop_at {
                    break;
                }
                let result = connection.send(Method::GET, &path, &headers, None).await;
                if started >= warm_until {
                    outcome.record(started, &result, StatusCode::OK);
                }
                if result.is_err() {
                    connection = Client::open(&address).await;
                }
            }
            outcome
        }
    })
    .await
}

async fn sign_in(connection: &mut Client, email: &str) -> Result<(StatusCode, Bytes), String> {
    let body = serde_json::json!({ "email": email, "password": PASSWORD }).to_string();
    connection
        .send(Method::POST, "/api/v1/auth/token", &[], Some(body))
        .await
}

/// Signs the learners who read pages in through the API, as a script would.
async fn sign_in_readers(address: &str, population: &Population, count: usize) -> Vec<Learner> {
    let mut connection = Client::open(address).await;
    let mut readers = Vec::new();
    for learner in population.learners.iter().take(count) {
        let (status, body) = sign_in(&mut connection, &learner.email).await.unwrap();
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        let answer: Value = serde_json::from_slice(&body).unwrap();
        readers.push(Learner {
            token: answer["token"].as_str().unwrap().to_owned(),
            ..learner.clone()
        });
    }
    readers
}

async fn drive_sign_ins(address: &str, connections: usize, seconds: Duration, population: &Population) -> Outcome {
    let emails: Arc<Vec<String>> = Arc::new(population.learners.iter().map(|l| l.email.clone()).collect());
    let next = Arc::new(AtomicUsize::new(0));
    drive(connections, seconds, |_, warm_until, stop_at| {
        let (address, emails, next) = (address.to_owned(), Arc::clone(&emails), Arc::clone(&next));
        async move {
            let mut connection = Client::open(&address).await;
            let mut outcome = Outcome::default();
            loop {
                let started = Instant::now();
                if started >= stop_at {
                    break;
                }
                let email = &emails[next.fetch_add(1, Ordering::Relaxed) % emails.len()];
                let result = sign_in(&mut connection, email).await;
                if started >= warm_until && outcome.record(started, &result, StatusCode::OK) {
                    outcome.operations += 1;
                }
            }
            outcome
        }
    })
    .await
}

/// A response that the question accepts, whatever its type.
fn response_for(question: &Value) -> Option<Value> {
    let first = |list: &str| {
        question[list]
            .as_array()
            .and_then(|o| o.first())
            .map(|o| o["id"].clone())
    };
    Some(match question["type"].as_str()? {
        "single" | "true_false" => serde_json::json!({ "choice": first("options")? }),
        "multiple" => serde_json::json!({ "choices": [first("options")?] }),
        "short_answer" | "essay" => serde_json::json!({ "text": "an answer" }),
        "numerical" => serde_json::json!({ "value": 1 }),
        "matching" => {
            let left = question["left"].as_array()?;
            let right = question["right"].as_array()?;
            let pairs: serde_json::Map<String, Value> = left
                .iter()
                .zip(right.iter())
                .filter_map(|(l, r)| Some((l["id"].as_str()?.to_owned(), r["id"].clone())))
                .collect();
            serde_json::json!({ "pairs": pairs })
        }
        _ => return None,
    })
}

async fn drive_attempts(
    address: &str,
    connections: usize,
    seconds: Duration,
    learners: Arc<Vec<Learner>>,
    next_learner: Arc<AtomicUsize>,
) -> Outcome {
    let used_up = Arc::new(Mutex::new(false));
    let outcome = drive(connections, seconds, |_, warm_until, stop_at| {
        let (address, learners, next_learner, used_up) = (
            address.to_owned(),
            Arc::clone(&learners),
            Arc::clone(&next_learner),
            Arc::clone(&used_up),
        );
        async move {
            let mut connection = Client::open(&address).await;
            let mut outcome = Outcome::default();
            'learners: loop {
                // Each learner takes the final test's three attempts, then the next.
                let index = next_learner.fetch_add(1, Ordering::Relaxed);
                let Some(learner) = learners.get(index) else {
                    *used_up.lock().unwrap() = true;
                    break;
                };
                let bearer = format!("Bearer {}", learner.token);
                let headers = [("authorization", bearer.as_str())];
                for _ in 0..3 {
                    if Instant::now() >= stop_at {
                        break 'learners;
                    }
                    let counted = Instant::now() >= warm_until;
                    let started = Instant::now();
                    let path = format!("/api/v1/courses/{COURSE}/quizzes/{QUIZ}/attempts");
                    let result = connection.send(Method::POST, &path, &headers, None).await;
                    let ok = if counted {
                        outcome.record(started, &result, StatusCode::CREATED)
                    } else {
                        matches!(&result, Ok((StatusCode::CREATED, _)))
                    };
                    let Ok((_, body)) = result else {
                        connection = Client::open(&address).await;
                        continue;
                    };
                    if !ok {
                        continue;
                    }
                    let attempt: Value = serde_json::from_slice(&body).unwrap();
                    let id = attempt["attempt_id"].as_i64().unwrap();
                    for question in attempt["questions"].as_array().into_iter().flatten() {
                        let Some(response) = response_for(question) else {
                            continue;
                        };
                        let path = format!("/api/v1/attempts/{id}/responses/{}", question["id"].as_str().unwrap());
                        let started = Instant::now();
                        let result = connection
                            .send(Method::PUT, &path, &headers, Some(response.to_string()))
                            .await;
                        if counted {
                            outcome.record(started, &result, StatusCode::NO_CONTENT);
                        }
                    }
                    let started = Instant::now();
                    let path = format!("/api/v1/attempts/{id}/submit");
                    let result = connection.send(Method::POST, &path, &headers, None).await;
                    if counted && outcome.record(started, &result, StatusCode::OK) && Instant::now() < stop_at {
                        outcome.operations += 1;
                    }
                }
            }
            outcome
        }
    })
    .await;
    if *used_up.lock().unwrap() {
        eprintln!("  the quiz scenario ran out of learners: raise LEARNERS or shorten --seconds");
    }
    outcome
}
