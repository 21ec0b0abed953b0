//! Mail: messages in the recipient's language, queued, delivered over real SMTP or to
//! files, retried after failures and sent exactly once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use bilim::db::schema::outbox;
use bilim::i18n::Locale;
use bilim::mail::{self, Delivery, Email, Kind};
use common::html::Html;
use common::smtp::{free_port, SmtpServer};
use common::TestApp;
use diesel::prelude::*;

fn queue(app: &TestApp, to: &str, locale: Locale) {
    let mut conn = app.state.pool.get().unwrap();
    app.state
        .mail
        .queue(
            &mut conn,
            &Email {
                to: to.into(),
                name: "Гульнара".into(),
                locale,
                kind: Kind::EnrolmentApproved,
                args: vec![
                    ("course", "Электронные доказательства".into()),
                    ("starts", "5 марта 2026 г.".into()),
                ],
                link: Some(app.state.mail.link("/runs/1")),
                dedupe_key: None,
            },
        )
        .unwrap();
}

fn statuses(app: &TestApp) -> Vec<(String, i32)> {
    let mut conn = app.state.pool.get().unwrap();
    outbox::table
        .order(outbox::id.asc())
        .select((outbox::status, outbox::attempts))
        .load(&mut conn)
        .unwrap()
}

fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

async fn a_message_is_written_in_the_recipients_language_as_text_and_html(app: TestApp) {
    queue(&app, "ru@example.kz", Locale::Ru);
    queue(&app, "en@example.kz", Locale::En);
    let mut conn = app.state.pool.get().unwrap();
    let rows: Vec<(String, String, String)> = outbox::table
        .order(outbox::id.asc())
        .select((outbox::subject, outbox::text_body, outbox::html_body))
        .load(&mut conn)
        .unwrap();
    assert_eq!(rows[0].0, "Вы записаны на курс «Электронные доказательства»");
    assert!(rows[0].1.starts_with("Здравствуйте, Гульнара!") && rows[0].1.contains("http://localhost/runs/1"));
    let html = Html::parse(&rows[0].2);
    assert_eq!(html.select("html")[0].attr("lang"), Some("ru"));
    assert!(!html.select("a[href='http://localhost/runs/1']").is_empty());
    assert_eq!(rows[1].0, "You are enrolled in “Электронные доказательства”");
}

async fn a_real_smtp_round_trip_delivers_the_message(app: TestApp) {
    let server = SmtpServer::start();
    queue(&app, "smtp@example.kz", Locale::Ru);
    let delivery = Delivery::new(Some(&server.url()), app.data_dir.path().join("outbox")).unwrap();
    let report = mail::deliver_due(&app.state.pool, &delivery, &app.state.mail.from, "test", now()).unwrap();
    assert_eq!(report.sent, 1);
    let messages = server.messages();
    assert_eq!(messages.len(), 1);
    assert!(messages[0].contains("To: smtp@example.kz"));
    assert!(messages[0].contains("Message-ID: <"));
    assert!(messages[0].contains("multipart/alternative"));
    assert_eq!(statuses(&app), [("sent".to_owned(), 1)]);
    let again = mail::deliver_due(&app.state.pool, &delivery, &app.state.mail.from, "test", now()).unwrap();
    assert_eq!(again.sent, 0, "a sent message is not sent again");
}

async fn without_smtp_messages_are_written_as_eml_files(app: TestApp) {
    queue(&app, "file@example.kz", Locale::Ru);
    let dir = app.data_dir.path().join("outbox");
    let delivery = Delivery::new(None, dir.clone()).unwrap();
    mail::deliver_due(&app.state.pool, &delivery, &app.state.mail.from, "test", now()).unwrap();
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
    assert_eq!(files.len(), 1);
    let content = std::fs::read_to_string(files[0].path()).unwrap();
    assert!(content.contains("To: file@example.kz"));
}

async fn a_failing_smtp_server_then_a_working_one_delivers_every_message_exactly_once(app: TestApp) {
    for n in 0..3 {
        queue(&app, &format!("retry{n}@example.kz"), Locale::Ru);
    }
    let port = free_port();
    let delivery = Delivery::new(
        Some(&format!("smtp://127.0.0.1:{port}")),
        app.data_dir.path().join("outbox"),
    )
    .unwrap();
    let failed = mail::deliver_due(&app.state.pool, &delivery, &app.state.mail.from, "test", now()).unwrap();
    assert_eq!(
        failed.retrying, 3,
        "nothing listens yet: every message waits for a retry"
    );
    assert!(statuses(&app)
        .iter()
        .all(|(status, attempts)| status == "pending" && *attempts == 1));
    let too_soon = mail::deliver_due(&app.state.pool, &delivery, &app.state.mail.from, "test", now()).unwrap();
    assert_eq!(
        too_soon,
        mail::DeliveryReport::default(),
        "a retry waits for its backoff"
    );

    let server = SmtpServer::start_on(port);
    let later = now() + chrono::Duration::minutes(5);
    let delivered = mail::deliver_due(&app.state.pool, &delivery, &app.state.mail.from, "test", later).unwrap();
    assert_eq!(delivered.sent, 3);
    let again = mail::deliver_due(
        &app.state.pool,
        &delivery,
        &app.state.mail.from,
        "test",
        later + chrono::Duration::minutes(5),
    )
    .unwrap();
    assert_eq!(again.sent, 0);
    let mut recipients: Vec<String> = server
        .messages()
        .iter()
        .filter_map(|m| m.lines().find(|l| l.starts_with("To: ")).map(str::to_owned))
        .collect();
    recipients.sort();
    assert_eq!(
        recipients,
        [
            "To: retry0@example.kz",
            "To: retry1@example.kz",
            "To: retry2@example.kz"
        ]
    );
}

async fn two_instances_delivering_at_once_send_each_message_once(app: TestApp) {
    for n in 0..30 {
        queue(&app, &format!("many{n}@example.kz"), Locale::Ru);
    }
    let server = SmtpServer::start();
    let pool = app.state.pool.clone();
    let from = app.state.mail.from.clone();
    let url = server.url();
    let outbox_dir = app.data_dir.path().join("outbox");
    let sent: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = ["a", "b", "c"]
            .into_iter()
            .map(|instance| {
                let pool = pool.clone();
                let from = from.clone();
                let url = url.clone();
                let outbox_dir = outbox_dir.clone();
                scope.spawn(move || {
                    let delivery = Delivery::new(Some(&url), outbox_dir).unwrap();
                    let mut total = 0;
                    for _ in 0..3 {
                        total += mail::deliver_due(&pool, &delivery, &from, instance, now())
                            .unwrap()
                            .sent;
                    }
                    total
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(sent, 30);
    let messages = server.messages();
    assert_eq!(messages.len(), 30, "no message was sent twice");
    let mut ids: Vec<String> = messages
        .iter()
        .filter_map(|m| m.lines().find(|l| l.starts_with("Message-ID: ")).map(str::to_owned))
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 30);
}
on_both_backends!(
    a_message_is_written_in_the_recipients_language_as_text_and_html,
    a_real_smtp_round_trip_delivers_the_message,
    without_smtp_messages_are_written_as_eml_files,
    a_failing_smtp_server_then_a_working_one_delivers_every_message_exactly_once,
    two_instances_delivering_at_once_send_each_message_once
);
