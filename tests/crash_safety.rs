//! What survives the worst moments: a server killed with SIGKILL while 64 learners
//! answer a test, 200 enrolments at once into a run of ten, and a mail queue across
//! an SMTP outage, a crash in the middle of a batch and a restart.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::http::{Method, StatusCode};
use bilim::accounts::model::{Category, Country, Role, UserId};
use bilim::db::schema::{attempt_responses, enrolments, outbox, quiz_attempts};
use bilim::i18n::Locale;
use bilim::mail::{self, Delivery, Email, Kind};
use common::fixtures::RunBuilder;
use common::smtp::{free_port, SmtpServer};
use common::TestApp;
use diesel::prelude::*;

/// A bearer token for `user`, as the server would issue it at sign-in (without the
/// Argon2 work of 200 sign-ins).
fn token_for(app: &TestApp, user: i64) -> String {
    bilim::accounts::session::issue(&app.state.config.secret, UserId(user), 0)
        .unwrap()
        .token
}

/// 200 learners ask for a place in a run of ten at the same moment, each request
/// on its own connection: ten are enrolled, the rest waitlisted, none twice.
async fn two_hundred_enrolments_at_once_never_exceed_ten_places(app: TestApp) {
    app.with_courses("valid");
    let (academy, coordinator) = app.institution_with_coordinator("Академия", Country::Kz, "head@example.kz");
    let run = RunBuilder::new(academy, coordinator).insert(&app);
    {
        use bilim::db::schema::course_runs;
        let mut conn = app.state.pool.get().unwrap();
        diesel::update(course_runs::table.find(run))
            .set((
                course_runs::capacity.eq(10),
                course_runs::enrolment.eq("open"),
                course_runs::enrol_by.eq(chrono::Utc::now().date_naive() + chrono::Duration::days(5)),
            ))
            .execute(&mut conn)
            .unwrap();
    }
    let tokens: Vec<String> = (0..200)
        .map(|n| {
            let id = app.create_user(&format!("rush{n}@example.kz"), Role::Learner, Some(academy));
            token_for(&app, id)
        })
        .collect();
    let requests = tokens.iter().map(|token| {
        let mut browser = app.browser();
        let path = format!("/api/v1/runs/{run}/enrolments");
        async move { browser.api(Method::POST, &path, Some(token), None).await.status }
    });
    let statuses = futures_util::future::join_all(requests).await;
    assert!(statuses.iter().all(|s| *s == StatusCode::CREATED), "{statuses:?}");
    let mut conn = app.state.pool.get().unwrap();
    let by_status: Vec<(String, i64)> = enrolments::table
        .filter(enrolments::run_id.eq(run))
        .group_by(enrolments::status)
        .select((enrolments::status, diesel::dsl::count_star()))
        .order(enrolments::status.asc())
        .load(&mut conn)
        .unwrap();
    assert_eq!(by_status, [("enrolled".to_owned(), 10), ("waitlisted".to_owned(), 190)]);
}

fn queue(app: &TestApp, to: &str) {
    let mut conn = app.state.pool.get().unwrap();
    app.state
        .mail
        .queue(
            &mut conn,
            &Email {
                to: to.into(),
                name: "Гульнара".into(),
                locale: Locale::Ru,
                kind: Kind::EnrolmentApproved,
                args: vec![
                    ("course", "Электронные доказательства".into()),
                    ("starts", "5 марта".into()),
                ],
                link: Some(app.state.mail.link("/runs/1", Locale::Ru)),
                dedupe_key: None,
            },
        )
        .unwrap();
}

/// Twelve messages through an SMTP outage, an instance that dies holding half of
/// them, and a restart: afterwards each was sent exactly once and none is lost.
async fn the_mail_queue_loses_nothing_and_sends_nothing_twice_across_an_outage_and_a_restart(app: TestApp) {
    for n in 0..12 {
        queue(&app, &format!("queue{n}@example.kz"));
    }
    let port = free_port();
    let outbox_dir = app.data_dir.path().join("outbox");
    let down = Delivery::new(Some(&format!("smtp://127.0.0.1:{port}")), outbox_dir.clone()).unwrap();
    let start = chrono::Utc::now().naive_utc();
    let failed = mail::deliver_due(&app.state.pool, &down, &app.state.mail.from, "a", start).unwrap();
    assert_eq!(failed.retrying, 12, "the server is down: everything waits");

    // Instance b claims what is due, then dies before sending any of it.
    let later = start + chrono::Duration::minutes(2);
    let claimed_by_b = mail::claim_due(&app.state.pool, "b", later).unwrap();
    assert_eq!(claimed_by_b.len(), 12);
    drop(claimed_by_b);

    let app = app.restart().await;
    let server = SmtpServer::start_on(port);
    let up = Delivery::new(Some(&server.url()), outbox_dir).unwrap();
    // Before b's claim runs out, nothing is sent twice: it is still b's.
    let too_soon = mail::deliver_due(&app.state.pool, &up, &app.state.mail.from, "c", later).unwrap();
    assert_eq!(too_soon.sent, 0);
    let after_claim = later + chrono::Duration::minutes(3);
    let sent = mail::deliver_due(&app.state.pool, &up, &app.state.mail.from, "c", after_claim).unwrap();
    assert_eq!(sent.sent, 12);
    let again = mail::deliver_due(
        &app.state.pool,
        &up,
        &app.state.mail.from,
        "c",
        after_claim + chrono::Duration::hours(2),
    )
    .unwrap();
    assert_eq!(again, mail::DeliveryReport::default());
    let mut ids: Vec<String> = server
        .messages()
        .iter()
        .filter_map(|m| m.lines().find(|l| l.starts_with("Message-ID: ")).map(str::to_owned))
        .collect();
    assert_eq!(ids.len(), 12, "each message sent once");
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 12);
    let mut conn = app.state.pool.get().unwrap();
    let pending: i64 = outbox::table
        .filter(outbox::status.ne("sent"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(pending, 0, "nothing is lost");
}

on_both_backends!(
    two_hundred_enrolments_at_once_never_exceed_ten_places,
    the_mail_queue_loses_nothing_and_sends_nothing_twice_across_an_outage_and_a_restart
);

/// One HTTP/1.1 request on a new connection; the status, or `None` when the server
/// did not answer (it was killed).
fn http(port: u16, method: &str, path: &str, token: Option<&str>, body: Option<&str>) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(20))).ok()?;
    let body = body.unwrap_or("");
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split(' ').nth(1)?.parse().ok()?;
    let body = response.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned();
    Some((status, body))
}

/// The real server, killed with SIGKILL while 64 learners save answers: every answer
/// acknowledged with 204 before the kill is stored afterwards (or a later answer to
/// the same question, sent before the kill), and every attempt can be read, answered
/// and submitted after a restart.
#[test]
fn answers_acknowledged_before_a_kill_are_all_there_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let courses = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/courses/valid");
    let database = dir.path().join("bilim.db");
    let url = bilim::db::DatabaseUrl::parse(&format!("sqlite://{}", database.display())).unwrap();
    let secret = common::TEST_SECRET;
    let learners: Vec<i64> = {
        let pool = bilim::db::connect(&url, 2).unwrap();
        let mut conn = pool.get().unwrap();
        bilim::db::migrate(&mut conn).unwrap();
        (0..64)
            .map(|n| {
                let email = format!("load{n}@example.kz");
                bilim::accounts::store::insert(
                    &mut conn,
                    &bilim::accounts::store::NewUser {
                        email: &email,
                        name: "Нагрузка",
                        password_hash: "x",
                        role: Role::Learner,
                        country: None,
                        institution_id: None,
                        category: Category::Other,
                        locale: Locale::Ru,
                        gender: None,
                    },
                )
                .unwrap()
                .get()
            })
            .collect()
    };
    let tokens: Vec<String> = learners
        .iter()
        .map(|id| {
            bilim::accounts::session::issue(&bilim::config::Secret::new(secret.to_vec()), UserId(*id), 0)
                .unwrap()
                .token
        })
        .collect();
    let start_server = |port: u16| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_bilim"))
            .arg("serve")
            .env("BILIM_DATA_DIR", dir.path())
            .env("DATABASE_URL", format!("sqlite://{}", database.display()))
            .env("BILIM_SECRET", std::str::from_utf8(secret).unwrap())
            .env("BILIM_BIND", format!("127.0.0.1:{port}"))
            .env("BILIM_COURSES_DIR", &courses)
            .env("BILIM_LOG", "error")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        assert!(lines.any(|l| l.unwrap().contains("Bilim is running")));
        // The line is printed just before the socket opens.
        for _ in 0..100 {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        child
    };
    let port = free_port();
    let mut server = start_server(port);

    // Each learner starts the final test; the attempt's questions are in the answer.
    let attempts: Vec<i64> = tokens
        .iter()
        .map(|token| {
            let (status, body) = http(
                port,
                "POST",
                "/api/v1/courses/demo-course/quizzes/final/attempts",
                Some(token),
                None,
            )
            .unwrap();
            assert_eq!(status, 201, "{body}");
            serde_json::from_str::<serde_json::Value>(&body).unwrap()["attempt_id"]
                .as_i64()
                .unwrap()
        })
        .collect();

    // 64 learners save essay texts as fast as they can; the server is killed mid-way.
    let acknowledged: Arc<Mutex<HashMap<i64, Vec<String>>>> = Arc::default();
    let sent: Arc<Mutex<HashMap<i64, Vec<String>>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = tokens
        .iter()
        .cloned()
        .zip(attempts.iter().copied())
        .map(|(token, attempt)| {
            let (acknowledged, sent, stop) = (acknowledged.clone(), sent.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    let text = format!("answer {n} of attempt {attempt}");
                    sent.lock().unwrap().entry(attempt).or_default().push(text.clone());
                    let body = serde_json::json!({ "text": text }).to_string();
                    let path = format!("/api/v1/attempts/{attempt}/responses/essay");
                    match http(port, "PUT", &path, Some(&token), Some(&body)) {
                        Some((204, _)) => acknowledged.lock().unwrap().entry(attempt).or_default().push(text),
                        _ => break,
                    }
                    n += 1;
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    server.kill().unwrap();
    server.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.join().unwrap();
    }

    let acknowledged = acknowledged.lock().unwrap().clone();
    let sent = sent.lock().unwrap().clone();
    let saves: usize = acknowledged.values().map(Vec::len).sum();
    assert!(saves >= 64, "the load ran before the kill: {saves} saves acknowledged");
    {
        let pool = bilim::db::connect(&url, 1).unwrap();
        let mut conn = pool.get().unwrap();
        for attempt in &attempts {
            let stored: Option<Option<String>> = attempt_responses::table
                .find((attempt, "essay"))
                .select(attempt_responses::response)
                .first(&mut conn)
                .optional()
                .unwrap();
            let Some(last) = acknowledged.get(attempt).and_then(|texts| texts.last()) else {
                continue;
            };
            let stored: serde_json::Value = serde_json::from_str(&stored.flatten().unwrap()).unwrap();
            let stored = stored["text"].as_str().unwrap().to_owned();
            // The last acknowledged answer, or one sent after it before the kill.
            let sent_here = &sent[attempt];
            let from = sent_here.iter().position(|t| t == last).unwrap();
            assert!(
                sent_here[from..].contains(&stored),
                "attempt {attempt}: stored {stored:?}, last acknowledged {last:?}"
            );
        }
        let open: i64 = quiz_attempts::table
            .filter(quiz_attempts::submitted_at.is_null())
            .count()
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(open, 64, "no attempt was lost or closed by the kill");
    }

    // After a restart every attempt answers and submits as before.
    let port = free_port();
    let mut server = start_server(port);
    for (token, attempt) in tokens.iter().zip(&attempts) {
        let body = serde_json::json!({ "text": "after the restart" }).to_string();
        let saved = http(
            port,
            "PUT",
            &format!("/api/v1/attempts/{attempt}/responses/essay"),
            Some(token),
            Some(&body),
        );
        assert_eq!(saved.map(|s| s.0), Some(204));
        let submitted = http(
            port,
            "POST",
            &format!("/api/v1/attempts/{attempt}/submit"),
            Some(token),
            None,
        )
        .unwrap();
        assert_eq!(submitted.0, 200, "{}", submitted.1);
    }
    server.kill().unwrap();
    server.wait().unwrap();
}
