//! Mail: messages in the recipient's language, queued, delivered over real SMTP or to
//! files, retried after failures and sent exactly once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::sync::Arc;

use bilim::db::schema::outbox;
use bilim::i18n::Locale;
use bilim::mail::{self, Delivery, Email, Kind, MailSettings};
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
                link: Some(app.state.mail.link("/runs/1", locale)),
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
    assert!(rows[0].1.starts_with("Здравствуйте, Гульнара!") && rows[0].1.contains("http://localhost/runs/1?lang=ru"));
    let html = Html::parse(&rows[0].2);
    assert_eq!(html.select("html")[0].attr("lang"), Some("ru"));
    assert!(!html.select("a[href='http://localhost/runs/1?lang=ru']").is_empty());
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
/// The first retry comes after one minute, then two, four… up to an hour; after the
/// twelfth failure a message is given up as failed and never tried again.
async fn retries_back_off_from_one_minute_and_stop_after_twelve(app: TestApp) {
    queue(&app, "unreachable@example.kz", Locale::Ru);
    let delivery = Delivery::new(
        Some(&format!("smtp://127.0.0.1:{}", free_port())),
        app.data_dir.path().join("outbox"),
    )
    .unwrap();
    let deliver = |at: chrono::NaiveDateTime| {
        mail::deliver_due(&app.state.pool, &delivery, &app.state.mail.from, "test", at).unwrap()
    };
    let start = now();
    assert_eq!(deliver(start).retrying, 1);
    assert_eq!(
        deliver(start + chrono::Duration::seconds(55)),
        mail::DeliveryReport::default(),
        "not due before a minute"
    );
    assert_eq!(
        deliver(start + chrono::Duration::seconds(65)).retrying,
        1,
        "due after a minute"
    );
    let mut at = start + chrono::Duration::seconds(65);
    for _ in 3..=12 {
        at += chrono::Duration::hours(2);
        deliver(at);
    }
    assert_eq!(statuses(&app), [("failed".to_owned(), 12)]);
    at += chrono::Duration::days(1);
    assert_eq!(
        deliver(at),
        mail::DeliveryReport::default(),
        "a failed message stays failed"
    );
}

/// An instance whose claim ran out while it was busy (a slow SMTP server) does not
/// send the messages another instance has taken over since: each is sent once.
async fn a_claim_that_ran_out_is_not_used_so_nothing_is_sent_twice(app: TestApp) {
    queue(&app, "once@example.kz", Locale::Ru);
    let server = SmtpServer::start();
    let delivery = Delivery::new(Some(&server.url()), app.data_dir.path().join("outbox")).unwrap();
    let start = now();
    let claimed_by_a = mail::claim_due(&app.state.pool, "a", start).unwrap();
    assert_eq!(claimed_by_a.len(), 1);
    let later = start + chrono::Duration::minutes(3);
    let by_b = mail::deliver_due(&app.state.pool, &delivery, &app.state.mail.from, "b", later).unwrap();
    assert_eq!(by_b.sent, 1, "the claim of a ran out; b takes the message over");
    let by_a = mail::deliver_claimed(
        &app.state.pool,
        &delivery,
        &app.state.mail.from,
        "a",
        &claimed_by_a,
        later,
    )
    .unwrap();
    assert_eq!(by_a, mail::DeliveryReport::default(), "a finds its claim gone");
    assert_eq!(server.messages().len(), 1);
}

on_both_backends!(
    retries_back_off_from_one_minute_and_stop_after_twelve,
    a_claim_that_ran_out_is_not_used_so_nothing_is_sent_twice,
    a_message_is_written_in_the_recipients_language_as_text_and_html,
    a_real_smtp_round_trip_delivers_the_message,
    without_smtp_messages_are_written_as_eml_files,
    a_failing_smtp_server_then_a_working_one_delivers_every_message_exactly_once,
    two_instances_delivering_at_once_send_each_message_once
);

#[actix_web::test]
async fn mail_is_rendered_by_the_tera_instance_the_pages_use() {
    let app = TestApp::sqlite().await;
    assert!(
        Arc::ptr_eq(&app.state.tera, &app.state.mail.tera),
        "built once, shared with the mail worker"
    );
}

/// The settings the application builds, with the pages' templates, without a database.
fn settings() -> MailSettings {
    let tera = Arc::new(bilim::web::render::build_tera().unwrap());
    MailSettings::new("Bilim <noreply@example.kz>", "Bilim", "http://localhost", tera).unwrap()
}

fn email(name: &str, locale: Locale, kind: Kind, args: Vec<(&'static str, String)>) -> Email {
    Email {
        to: "learner@example.kz".into(),
        name: name.into(),
        locale,
        kind,
        args,
        link: Some("http://localhost/runs/7".into()),
        dedupe_key: None,
    }
}

#[test]
fn a_name_is_escaped_in_the_html_part_and_kept_as_is_in_the_text_part() {
    let name = r#"O'Brien <b> & "Q""#;
    let course = r#"Rock 'n' <roll> & "blues""#;
    let rendered = settings()
        .render(&email(
            name,
            Locale::En,
            Kind::EnrolmentApproved,
            vec![("course", course.into()), ("starts", "5 March 2026".into())],
        ))
        .unwrap();
    assert!(
        rendered.text.starts_with(&format!("Hello, {name}.\n\n")),
        "{}",
        rendered.text
    );
    assert!(rendered.text.contains(&format!("“{course}”")), "{}", rendered.text);
    assert_eq!(rendered.subject, format!("You are enrolled in “{course}”"));
    assert!(
        rendered
            .html
            .contains("<p>Hello, O&#39;Brien &lt;b&gt; &amp; &quot;Q&quot;.</p>"),
        "{}",
        rendered.html
    );
    assert!(rendered
        .html
        .contains("<title>You are enrolled in “Rock &#39;n&#39; &lt;roll&gt; &amp; &quot;blues&quot;”</title>"));
    for raw in [name, course, "<b>", "<roll>", "O'Brien", "\"Q\""] {
        assert!(!rendered.html.contains(raw), "{raw} is escaped in {}", rendered.html);
    }
}

#[test]
fn a_message_reads_exactly_as_it_always_has() {
    let rendered = settings()
        .render(&email(
            "Aigerim",
            Locale::En,
            Kind::EnrolmentRejected,
            vec![
                ("course", "Digital evidence".into()),
                ("starts", "5 March 2026".into()),
                (
                    "reason",
                    "The run is full. \n\n\n\n Please apply for the autumn run.\n".into(),
                ),
            ],
        ))
        .unwrap();
    assert_eq!(rendered.subject, "Your request to join “Digital evidence” was declined");
    assert_eq!(
        rendered.text,
        "Hello, Aigerim.\n\n\
         Your request to join the course “Digital evidence” was declined. The coordinator's reason: The run is full.\n\n\
         Please apply for the autumn run.\n\n\
         See the course run:\nhttp://localhost/runs/7\n\n\
         — Bilim"
    );
    assert_eq!(
        rendered.html,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Your request to join “Digital evidence” was declined</title></head>\
         <body style=\"font-family:system-ui,'Segoe UI',Roboto,'Noto Sans','DejaVu Sans',sans-serif;color:#1b1f24;line-height:1.5;max-width:36em\">\
         <p>Hello, Aigerim.</p>\
         <p>Your request to join the course “Digital evidence” was declined. The coordinator&#39;s reason: The run is full.</p>\
         <p>Please apply for the autumn run.</p>\
         <p><a href=\"http://localhost/runs/7\" style=\"display:inline-block;background:#1d6b3a;color:#fff;padding:.6em 1em;text-decoration:none;font-weight:bold\">See the course run</a></p>\
         <p style=\"font-size:.9em;color:#4a5360\">http://localhost/runs/7</p>\
         <p>— Bilim</p></body></html>"
    );
    let without_link = settings()
        .render(&Email {
            link: None,
            ..email("Aigerim", Locale::En, Kind::VerifyEmail, vec![])
        })
        .unwrap();
    assert_eq!(
        without_link.text,
        "Hello, Aigerim.\n\nPlease confirm that this address is yours by following the link below. The link works for seven days.\n\n— Bilim"
    );
    assert!(!without_link.html.contains("<a "));
}

#[test]
fn every_message_is_written_in_every_language() {
    let settings = settings();
    let args = || {
        vec![
            ("course", "Digital evidence".to_owned()),
            ("starts", "5 March 2026".to_owned()),
            ("reason", "Full".to_owned()),
            ("code", "BLM-2026-0001".to_owned()),
            ("institution", "Academy of the Ministry of Internal Affairs".to_owned()),
            ("reset", "http://localhost/password/forgot".to_owned()),
            ("role", "Coordinator".to_owned()),
        ]
    };
    for kind in Kind::ALL {
        for locale in Locale::ALL {
            let rendered = settings.render(&email("Aigerim", locale, kind, args())).unwrap();
            let own_keys = format!("mail.{}.", kind.key());
            for part in [&rendered.subject, &rendered.text, &rendered.html] {
                let untranslated = [own_keys.as_str(), "mail.greeting", "mail.signature", "%{"];
                assert!(
                    !untranslated.iter().any(|k| part.contains(k)) && !part.trim().is_empty(),
                    "{} {}: {part}",
                    kind.key(),
                    locale.code()
                );
            }
            assert!(rendered.text.contains("Aigerim") && rendered.text.contains("http://localhost/runs/7"));
            assert!(rendered.html.contains(&format!("<html lang=\"{}\">", locale.code())));
        }
    }
}
