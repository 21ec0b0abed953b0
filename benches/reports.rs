//! The reports dashboard at programme scale: 100,000 learners, each in two of 200 runs
//! (of the five shipped courses) at 50 institutions, 1,000,000 module progress records
//! and 200,000 quiz attempts.
//! `cargo bench --bench reports` prints how long the administrator's dashboard (every
//! run) and a coordinator's (one institution) take to compute on SQLite and, when
//! `LMS_TEST_POSTGRES_URL` is set, on PostgreSQL too, in a database of its own made
//! for the run (`bilim_bench_reports`, dropped afterwards unless `BILIM_BENCH_KEEP` is
//! set, so that its query plans can be read; a kept database is used again).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::Path;
use std::time::Instant;

use bilim::accounts::model::{Category, Country, Role, User};
use bilim::db::schema::{course_runs, enrolments, institutions, module_progress, quiz_attempts, users};
use bilim::db::{self, DatabaseUrl, DbConnection, DbPool};
use bilim::i18n::Locale;
use bilim::reports::{self, privacy, privacy::Audience};
use chrono::{Duration, NaiveDateTime, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use diesel::prelude::*;

const LEARNERS: i64 = 100_000;
const INSTITUTIONS: i64 = 50;
const RUNS: i64 = 200;
/// Modules each learner has opened in each of their two courses.
const MODULES_PER_COURSE: usize = 5;
const BATCH: usize = 1_000;

fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

/// The shipped courses and their module ids.
type Courses = Vec<(String, Vec<String>)>;

/// Writes the learners, runs, enrolments, progress and attempts in one transaction on
/// either backend's connection (batch inserts need the backend's own connection).
macro_rules! seed_on {
    ($conn:expr, $courses:expr) => {{
        let courses: &Courses = $courses;
        let today = Utc::now().date_naive();
        $conn
            .transaction::<_, diesel::result::Error, _>(|conn| {
                for i in 0..INSTITUTIONS {
                    diesel::insert_into(institutions::table)
                        .values((
                            institutions::name.eq(format!("Institution {i}")),
                            institutions::country.eq(Country::ALL[(i % 5) as usize].code()),
                            institutions::created_at.eq(now()),
                        ))
                        .execute(conn)?;
                }
                let categories = [Category::PoliceOfficer, Category::Investigator, Category::Prosecutor];
                let ids: Vec<i64> = (1..=LEARNERS).collect();
                for chunk in ids.chunks(BATCH) {
                    let rows: Vec<_> = chunk
                        .iter()
                        .map(|&i| {
                            (
                                users::email.eq(format!("learner{i}@example.kz")),
                                users::name.eq(format!("Слушатель {i}")),
                                users::password_hash.eq("!"),
                                users::role.eq(Role::Learner.code()),
                                users::category.eq(categories[(i % 3) as usize].code()),
                                users::gender.eq([Some("female"), Some("male"), None][(i % 3) as usize]),
                                users::locale.eq("ru"),
                                users::created_at.eq(now()),
                                users::updated_at.eq(now()),
                            )
                        })
                        .collect();
                    diesel::insert_into(users::table).values(&rows).execute(conn)?;
                }
                for run in 0..RUNS {
                    diesel::insert_into(course_runs::table)
                        .values((
                            course_runs::course_id.eq(&course_of(courses, run + 1).0),
                            course_runs::institution_id.eq(run % INSTITUTIONS + 1),
                            course_runs::language.eq("ru"),
                            course_runs::country.eq(Country::ALL[(run % 5) as usize].code()),
                            course_runs::starts_on.eq(today - Duration::days(run % 60)),
                            // A third of the runs have ended: the courses delivered.
                            course_runs::ends_on.eq(if run % 3 == 0 {
                                today - Duration::days(1)
                            } else {
                                today + Duration::days(30)
                            }),
                            course_runs::enrol_by.eq(today - Duration::days(run % 60)),
                            course_runs::capacity.eq(1_000),
                            course_runs::mode.eq("online"),
                            course_runs::enrolment.eq("approval"),
                            course_runs::phase.eq([
                                "national_pilot",
                                "second_national_round",
                                "training_of_trainers",
                                "thematic",
                            ][(run % 4) as usize]),
                            course_runs::categories.eq(""),
                            course_runs::created_by.eq(1_i64),
                            course_runs::created_at.eq(now()),
                            course_runs::updated_at.eq(now()),
                        ))
                        .execute(conn)?;
                }
                for chunk in ids.chunks(BATCH) {
                    let rows: Vec<_> = chunk
                        .iter()
                        .flat_map(|&i| [(i, first_run(i)), (i, first_run(i) % RUNS + 1)])
                        .map(|(i, run)| {
                            (
                                enrolments::run_id.eq(run),
                                enrolments::user_id.eq(i),
                                enrolments::status.eq(if (i + run) % 4 == 0 { "completed" } else { "enrolled" }),
                                enrolments::created_at.eq(now()),
                                enrolments::updated_at.eq(now()),
                                enrolments::last_activity_at.eq(Some(now() - Duration::days(days_since_study(i)))),
                            )
                        })
                        .collect();
                    diesel::insert_into(enrolments::table).values(&rows).execute(conn)?;
                    let rows: Vec<_> = chunk
                        .iter()
                        .flat_map(|&i| [(i, first_run(i)), (i, first_run(i) % RUNS + 1)])
                        .flat_map(|(i, run)| (0..MODULES_PER_COURSE).map(move |m| (i, run, m)))
                        .map(|(i, run, m)| {
                            let (course, modules) = course_of(courses, run);
                            let at = now() - Duration::days((i + m as i64) % 45);
                            debug_assert!(days_since_study(i) <= (i + m as i64) % 45);
                            (
                                module_progress::user_id.eq(i),
                                module_progress::course_id.eq(course.clone()),
                                module_progress::module_id.eq(modules[m].clone()),
                                module_progress::started_at.eq(at),
                                module_progress::updated_at.eq(at),
                            )
                        })
                        .collect();
                    for rows in rows.chunks(BATCH) {
                        diesel::insert_into(module_progress::table).values(rows).execute(conn)?;
                    }
                    let rows: Vec<_> = chunk
                        .iter()
                        .flat_map(|&i| [(i, first_run(i)), (i, first_run(i) % RUNS + 1)])
                        .map(|(i, run)| {
                            let percent = ((i * 7 + run * 31) % 101) as f64;
                            (
                                quiz_attempts::user_id.eq(i),
                                quiz_attempts::course_id.eq(course_of(courses, run).0.clone()),
                                quiz_attempts::quiz_id.eq("final"),
                                quiz_attempts::language.eq("ru"),
                                quiz_attempts::is_preview.eq(false),
                                quiz_attempts::questions.eq("[]"),
                                quiz_attempts::settings.eq("{}"),
                                quiz_attempts::started_at.eq(now()),
                                quiz_attempts::submitted_at.eq(Some(now())),
                                quiz_attempts::percent.eq(Some(percent)),
                                quiz_attempts::passed.eq(Some(percent >= 60.0)),
                                quiz_attempts::pending_manual.eq(false),
                                quiz_attempts::run_id.eq(Some(run)),
                            )
                        })
                        .collect();
                    diesel::insert_into(quiz_attempts::table).values(&rows).execute(conn)?;
                }
                Ok(())
            })
            .expect("seed");
    }};
}

fn seed(conn: &mut DbConnection, courses: &Courses) {
    let started = Instant::now();
    match conn {
        DbConnection::Sqlite(sqlite) => seed_on!(sqlite, courses),
        DbConnection::Postgresql(pg) => seed_on!(pg, courses),
    }
    eprintln!(
        "seeded {LEARNERS} learners, {} progress records, {} attempts in {:.1?}",
        LEARNERS * 2 * MODULES_PER_COURSE as i64,
        LEARNERS * 2,
        started.elapsed()
    );
}

/// Days since the learner's most recent module activity: the least of the five
/// modules' `(i + m) % 45`.
fn days_since_study(learner: i64) -> i64 {
    (0..MODULES_PER_COURSE as i64)
        .map(|m| (learner + m) % 45)
        .min()
        .unwrap_or(0)
}

/// The first of a learner's two runs; the second is the next run, of another course.
fn first_run(learner: i64) -> i64 {
    learner % RUNS + 1
}

/// Runs cycle through the five courses.
fn course_of(courses: &Courses, run: i64) -> &(String, Vec<String>) {
    &courses[((run - 1) % 5) as usize]
}

fn shipped_courses(conn: &mut DbConnection) -> Courses {
    use bilim::db::schema::course_modules;
    let rows: Vec<(String, String)> = course_modules::table
        .order((course_modules::course_id, course_modules::position))
        .select((course_modules::course_id, course_modules::id))
        .load(conn)
        .unwrap();
    let mut courses: Courses = Vec::new();
    for (course, module) in rows {
        match courses.last_mut() {
            Some((id, modules)) if *id == course => modules.push(module),
            _ => courses.push((course, vec![module])),
        }
    }
    assert_eq!(courses.len(), 5, "the five shipped courses");
    assert!(courses.iter().all(|(_, m)| m.len() >= MODULES_PER_COURSE));
    courses
}

fn reader(role: Role, institution_id: Option<i64>) -> User {
    User {
        id: bilim::accounts::model::UserId(0),
        email: "reader@example.kz".into(),
        name: "Reader".into(),
        role,
        country: None,
        institution_id: institution_id.map(bilim::institutions::InstitutionId),
        category: Category::Other,
        locale: Locale::Ru,
        token_version: 0,
        created_at: now(),
        gender: None,
        time_zone: None,
    }
}

/// Everything the dashboard computes for one reader, as the reports page does.
fn dashboard(pool: &DbPool, user: &User) -> usize {
    let figures = reports::compute(pool, user, now(), 14, Some(200)).unwrap();
    let report = privacy::visible_figures(Audience::of(user), figures, Utc::now().date_naive());
    let countries = reports::gain_per_country(&report.gains);
    report.runs.len()
        + report.courses.len()
        + report.groups.len()
        + report.gains.len()
        + countries.len()
        + report.trainers.len()
        + report.trained.len()
        + report.delivered.len()
        + report.stalled.len()
        + usize::try_from(report.stalled_total).unwrap()
}

/// Opens (and on first use seeds) the benchmark's database at `url`.
fn prepare(url: &DatabaseUrl) -> DbPool {
    // The page runs its groupings at once, each on a connection of its own.
    let pool = db::connect(url, 4).unwrap();
    let mut conn = pool.get().unwrap();
    db::migrate(&mut conn).unwrap();
    let seeded: i64 = users::table.count().get_result(&mut *conn).unwrap();
    if seeded == 0 {
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("courses");
        bilim::courses::import_folder(&mut conn, &shipped).unwrap();
        let courses = shipped_courses(&mut conn);
        seed(&mut conn, &courses);
    }
    // What a running server does: SQLite's planner statistics are refreshed hourly,
    // PostgreSQL's autovacuum analyses and vacuums a table after bulk writes.
    db::optimize(&mut conn).unwrap();
    if let DbConnection::Postgresql(pg) = &mut *conn {
        diesel::sql_query("VACUUM ANALYZE").execute(pg).unwrap();
    }
    pool
}

fn measure(c: &mut Criterion, backend: &str, pool: &DbPool) {
    let mut group = c.benchmark_group(format!(
        "reports dashboard on {backend}, 100k learners, 1M progress records"
    ));
    group.sample_size(10);
    let admin = reader(Role::Admin, None);
    group.bench_function("administrator: all 200 runs", |b| b.iter(|| dashboard(pool, &admin)));
    let coordinator = reader(Role::Coordinator, Some(1));
    group.bench_function("coordinator: one institution", |b| {
        b.iter(|| dashboard(pool, &coordinator))
    });
    group.finish();
}

/// The benchmark's PostgreSQL database, dropped when done unless `BILIM_BENCH_KEEP`
/// is set.
struct PgBenchDatabase {
    admin_url: String,
    keep: bool,
}

const PG_DATABASE: &str = "bilim_bench_reports";

impl PgBenchDatabase {
    fn open(base: &str) -> (PgBenchDatabase, DatabaseUrl) {
        let (prefix, _) = base.rsplit_once('/').expect("a postgres URL ending in a database name");
        let admin_url = format!("{prefix}/postgres");
        let keep = std::env::var_os("BILIM_BENCH_KEEP").is_some();
        let mut admin = diesel::PgConnection::establish(&admin_url).unwrap();
        let exists: i64 = diesel::dsl::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!(
            "(SELECT COUNT(*) FROM pg_database WHERE datname = '{PG_DATABASE}')"
        )))
        .get_result(&mut admin)
        .unwrap();
        if exists > 0 && !keep {
            diesel::sql_query(format!("DROP DATABASE {PG_DATABASE} WITH (FORCE)"))
                .execute(&mut admin)
                .unwrap();
        }
        if exists == 0 || !keep {
            diesel::sql_query(format!("CREATE DATABASE {PG_DATABASE}"))
                .execute(&mut admin)
                .unwrap();
        }
        let url = DatabaseUrl::parse(&format!("{prefix}/{PG_DATABASE}")).unwrap();
        (PgBenchDatabase { admin_url, keep }, url)
    }
}

impl Drop for PgBenchDatabase {
    fn drop(&mut self) {
        if self.keep {
            return;
        }
        if let Ok(mut admin) = diesel::PgConnection::establish(&self.admin_url) {
            let _ =
                diesel::sql_query(format!("DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")).execute(&mut admin);
        }
    }
}

fn bench(c: &mut Criterion) {
    // BILIM_BENCH_DB keeps the seeded SQLite database for a look at query plans.
    let dir = tempfile::tempdir().unwrap();
    let path = std::env::var("BILIM_BENCH_DB").map_or_else(|_| dir.path().join("bench.db"), Into::into);
    let url = DatabaseUrl::parse(&format!("sqlite://{}", path.display())).unwrap();
    let pool = prepare(&url);
    measure(c, "SQLite", &pool);
    drop(pool);
    if let Some(base) = std::env::var("LMS_TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty()) {
        let (database, url) = PgBenchDatabase::open(&base);
        let pool = prepare(&url);
        measure(c, "PostgreSQL", &pool);
        drop(pool);
        drop(database);
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
