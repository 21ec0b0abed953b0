//! Pages reached by a link in an email, as people use them in the browser: they open
//! in the recipient's language (errors included) whatever the browser asks for, and
//! lead an invitee to their run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use actix_web::http::StatusCode;
use bilim::accounts::model::{Country, Role};
use bilim::i18n::{self, Locale};
use common::fixtures::RunBuilder;
use common::{Browser, TestApp, PASSWORD};

const ACADEMY: &str = "Академия правоохранительных органов";

fn t(locale: Locale, key: &str) -> String {
    i18n::t(locale, key)
}

/// The link to `path` in the last message sent to `to` that has one.
fn link_sent_to(app: &TestApp, to: &str, path: &str) -> String {
    let mail = app.mail_to(to);
    let body = &mail
        .iter()
        .rev()
        .find(|m| m.text_body.contains(path))
        .expect("a message with the link")
        .text_body;
    body.split_whitespace()
        .find(|word| word.contains(path))
        .unwrap()
        .to_owned()
}

/// A browser whose reader's own language is English: it asks for English and
/// remembers English from an earlier visit.
fn english_browser(app: &TestApp) -> Browser {
    let mut browser = app.browser().with_header("Accept-Language", "en-US,en;q=0.9");
    browser.cookies.insert("bilim_lang".into(), "en".into());
    browser
}

fn multipart(token: &str, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----bilim-test-boundary";
    let mut body = Vec::new();
    for (name, value) in [("csrf_token", token), ("action", "apply")] {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"group.csv\"\r\nContent-Type: text/csv\r\n\r\n").as_bytes());
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Enrols the group in `file` on the run's page, as the coordinator signed in to
/// `browser`.
async fn enrol_from_file(browser: &mut Browser, run: i64, file: &str) -> common::TestResponse {
    let token = browser.csrf_token().await;
    let (content_type, body) = multipart(&token, file.as_bytes());
    browser
        .post_raw(&format!("/coordinator/runs/{run}/bulk?lang=en"), &content_type, body)
        .await
}

/// A run of the academy, its coordinator signed in to the app's browser.
async fn coordinator_with_run(app: &mut TestApp) -> (bilim::institutions::InstitutionId, i64) {
    app.with_courses("valid");
    let (institution, coordinator) = app.institution_with_coordinator(ACADEMY, Country::Kz, "coord@example.kz");
    let run = RunBuilder::new(institution, coordinator).starts_in_days(20).insert(app);
    app.sign_in("coord@example.kz", PASSWORD).await;
    (institution, run)
}

async fn an_invitee_reads_the_invitation_in_their_own_language_and_lands_on_their_run(mut app: TestApp) {
    let (_, run) = coordinator_with_run(&mut app).await;
    let file =
        "email;full name;category;position;language\nnew.officer@example.uz;Akmal Karimov;investigator;Tergovchi;uz\n";
    let applied = enrol_from_file(&mut app, run, file).await;
    assert_eq!(applied.status, StatusCode::OK, "{}", applied.body);

    let link = link_sent_to(&app, "new.officer@example.uz", "/invitation?token=");
    assert!(
        link.ends_with("&lang=uz"),
        "the link names the invitee's language: {link}"
    );
    let token = app.token_sent_to("new.officer@example.uz");
    let mut invitee = english_browser(&app);
    let page = invitee.get(&format!("/invitation?token={token}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.lang(), "uz", "the account's language, not the browser's");
    assert!(page.body.contains(&t(Locale::Uz, "recovery.invitation_title")));
    assert_eq!(
        page.select_attr("form[method='post']", "action"),
        vec!["/invitation?lang=uz".to_owned()],
        "the form's errors come in the page's language"
    );
    let switched = invitee.get(&format!("/invitation?token={token}&lang=ru")).await;
    assert_eq!(switched.lang(), "ru", "the language switcher on the page still works");
    invitee.cookies.insert("bilim_lang".into(), "en".into());

    let short = invitee
        .post_form(
            "/invitation",
            &[
                ("token", &token),
                ("password", "short"),
                ("password_confirmation", "short"),
            ],
        )
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(short.lang(), "uz", "its errors too");
    assert!(short.title().starts_with(&t(Locale::Uz, "forms.error_prefix")));
    assert!(!short.body.contains("The password must"), "{}", short.body);

    let set = invitee
        .post_form(
            "/invitation",
            &[
                ("token", &token),
                ("password", "a strong passphrase"),
                ("password_confirmation", "a strong passphrase"),
            ],
        )
        .await;
    assert_eq!(set.status, StatusCode::SEE_OTHER);
    assert_eq!(set.location(), format!("/runs/{run}?done=invitation_accepted"));
    assert_eq!(invitee.cookies.get("bilim_lang").map(String::as_str), Some("uz"));
    let landed = invitee.get(&set.location()).await;
    assert_eq!(landed.status, StatusCode::OK);
    assert_eq!(landed.lang(), "uz");
    assert!(
        landed
            .select(".notice[role='status']")
            .concat()
            .contains(&t(Locale::Uz, "coordinator_flows.invitation_accepted")),
        "{}",
        landed.body
    );
}

async fn reset_and_confirmation_links_carry_the_account_language_and_open_in_it(app: TestApp) {
    let id = app.create_user_speaking("kk.officer@example.kz", Role::Learner, None, Locale::Kk);
    let mut visitor = english_browser(&app);
    let asked = visitor
        .post_form("/password/forgot?lang=en", &[("email", "kk.officer@example.kz")])
        .await;
    assert_eq!(asked.lang(), "en", "the page that asks is the visitor's");
    let link = link_sent_to(&app, "kk.officer@example.kz", "/password/reset?token=");
    assert!(link.ends_with("&lang=kk"), "{link}");
    let token = app.token_sent_to("kk.officer@example.kz");
    let page = visitor.get(&format!("/password/reset?token={token}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.lang(), "kk");
    assert!(page.body.contains(&t(Locale::Kk, "recovery.reset_title")));
    let mismatched = visitor
        .post_form(
            "/password/reset",
            &[
                ("token", &token),
                ("password", "a strong passphrase"),
                ("password_confirmation", "another passphrase"),
            ],
        )
        .await;
    assert_eq!(mismatched.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(mismatched.lang(), "kk");
    assert!(mismatched.body.contains(&t(Locale::Kk, "accounts.password_mismatch")));

    // The confirmation link of a new address opens in the account's language too.
    {
        let mut conn = app.state.pool.get().unwrap();
        let user = bilim::accounts::store::find(&mut conn, bilim::accounts::model::UserId(id))
            .unwrap()
            .unwrap();
        bilim::accounts::recovery::send_verification(&mut conn, &app.state.mail, &user).unwrap();
    }
    let link = link_sent_to(&app, "kk.officer@example.kz", "/verify-email?token=");
    assert!(link.ends_with("&lang=kk"), "{link}");
    let token = app.token_sent_to("kk.officer@example.kz");
    let mut other = english_browser(&app);
    let confirmed = other.get(&format!("/verify-email?token={token}")).await;
    assert_eq!(confirmed.status, StatusCode::OK);
    assert_eq!(confirmed.lang(), "kk");
    assert!(confirmed.body.contains(&t(Locale::Kk, "recovery.verified_title")));
    let unknown = other.get("/verify-email?token=not-a-token").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "an unknown link stays a 404");
}

on_both_backends!(
    an_invitee_reads_the_invitation_in_their_own_language_and_lands_on_their_run,
    reset_and_confirmation_links_carry_the_account_language_and_open_in_it,
);
