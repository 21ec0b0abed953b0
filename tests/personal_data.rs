//! A person's own data: the download of everything held about them, and an
//! administrator's erasure that keeps the figures and the certificates issued.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use actix_web::http::{header, Method, StatusCode};
use bilim::accounts::model::{Country, Role};
use bilim::db::schema::{attempt_responses, audit_events, outbox, quiz_attempts, user_tokens, users};
use common::fixtures::{CertificateBuilder, RunBuilder};
use common::{TestApp, PASSWORD};
use diesel::prelude::*;
use serde_json::{json, Value};

const START: &str = "/api/v1/courses/demo-course/quizzes/final/attempts";
const ESSAY: &str = "Я изъял телефон в присутствии понятых и сразу изолировал его.";

/// A learner of a Kazakh academy's run who has written an essay in the final test and
/// holds a certificate. Returns the learner's id, the run and the certificate code.
async fn learner_with_history(app: &mut TestApp, email: &str) -> (i64, i64, String) {
    app.with_courses("valid");
    let (academy, coordinator) = app.institution_with_coordinator("Академия", Country::Kz, "head@example.kz");
    let run = RunBuilder::new(academy, coordinator).insert(app);
    let learner = app.create_user(email, Role::Learner, Some(academy));
    app.admit(run, learner, "enrolled");
    let token = app.api_token(email, PASSWORD).await;
    let attempt = app.api(Method::POST, START, Some(&token), None).await.json();
    let id = attempt["attempt_id"].as_i64().unwrap();
    let saved = app
        .api(
            Method::PUT,
            &format!("/api/v1/attempts/{id}/responses/essay"),
            Some(&token),
            Some(json!({ "text": ESSAY })),
        )
        .await;
    assert_eq!(saved.status, StatusCode::NO_CONTENT, "{}", saved.body);
    app.api(
        Method::POST,
        &format!("/api/v1/attempts/{id}/submit"),
        Some(&token),
        None,
    )
    .await;
    let code = format!("PD{learner:03}-0001");
    CertificateBuilder::new(&code, learner, run).insert(app);
    (learner, run, code)
}

/// The download holds the profile, the enrolment with its history, the attempt with
/// the essay as written, and the certificate; nothing of anyone else's. The API and
/// the profile page's button give the same four parts.
async fn a_learner_downloads_everything_held_about_them(mut app: TestApp) {
    let (learner, run, code) = learner_with_history(&mut app, "aigerim@example.kz").await;
    let token = app.api_token("aigerim@example.kz", PASSWORD).await;
    let export = app.api(Method::GET, "/api/v1/me/export", Some(&token), None).await;
    assert_eq!(export.status, StatusCode::OK);
    let data = export.json();
    let mut keys: Vec<&str> = data.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["attempts", "certificates", "enrolments", "profile"]);
    assert_eq!(data["profile"]["id"], json!(learner));
    assert_eq!(data["profile"]["email"], json!("aigerim@example.kz"));
    assert_eq!(data["profile"]["institution"], json!("Академия"));
    assert_eq!(data["enrolments"][0]["run_id"], json!(run));
    assert_eq!(data["enrolments"][0]["status"], json!("enrolled"));
    let essay = data["attempts"][0]["responses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["question_id"] == "essay")
        .unwrap();
    assert_eq!(essay["response"]["text"], json!(ESSAY));
    assert_eq!(data["certificates"][0]["code"], json!(code));
    assert_eq!(
        app.api(Method::GET, "/api/v1/me/export", None, None).await.status,
        StatusCode::UNAUTHORIZED
    );

    app.create_user("other@example.kz", Role::Learner, None);
    let other = app.api_token("other@example.kz", PASSWORD).await;
    let theirs = app
        .api(Method::GET, "/api/v1/me/export", Some(&other), None)
        .await
        .json();
    assert_eq!(theirs["attempts"], json!([]));
    assert_eq!(theirs["certificates"], json!([]));

    let mut browser = app.signed_in("aigerim@example.kz").await;
    let profile = browser.get("/profile?lang=en").await;
    assert_eq!(profile.select_attr("a[href='/profile/export']", "href").len(), 1);
    let download = browser.get("/profile/export").await;
    assert_eq!(download.status, StatusCode::OK);
    assert!(download
        .header(header::CONTENT_DISPOSITION.as_str())
        .starts_with("attachment"));
    let file: Value = serde_json::from_slice(&download.bytes).unwrap();
    assert_eq!(file["attempts"], data["attempts"]);
}

/// Erasing takes a typed confirmation; it removes the name, address, password, essay,
/// mail and links, keeps the scores and the certificate (still verifiable), and is
/// recorded. An administrator cannot erase themself.
async fn an_administrator_erases_a_persons_data_and_the_figures_and_certificate_stay(mut app: TestApp) {
    let (learner, _, code) = learner_with_history(&mut app, "aigerim@example.kz").await;
    let forgot = app
        .post_form("/password/forgot", &[("email", "aigerim@example.kz")])
        .await;
    assert_eq!(forgot.status, StatusCode::OK);
    let admin = app.create_user("admin@example.kz", Role::Admin, None);
    let mut browser = app.signed_in("admin@example.kz").await;
    let erase = format!("/admin/users/{learner}/erase?lang=en");

    let mistyped = browser
        .post_form(&erase, &[("confirm_email", "aigerim@example.com")])
        .await;
    assert_eq!(mistyped.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(mistyped
        .select("#confirm_email-error")
        .concat()
        .contains("Type the person's email address exactly as shown to confirm"));
    let count_mail = |app: &TestApp| -> i64 {
        let mut conn = app.state.pool.get().unwrap();
        outbox::table
            .filter(outbox::recipient.eq("aigerim@example.kz"))
            .count()
            .get_result(&mut conn)
            .unwrap()
    };
    assert!(count_mail(&app) > 0, "nothing changed yet");

    let erased = browser
        .post_form(&erase, &[("confirm_email", " Aigerim@Example.kz ")])
        .await;
    assert_eq!(erased.status, StatusCode::SEE_OTHER);
    assert_eq!(erased.location(), format!("/admin/users/{learner}?erased=1"));
    let after = browser.get(&format!("{}&lang=en", erased.location())).await;
    assert!(after
        .select(".notice")
        .concat()
        .contains("The person's personal data has been erased."));
    assert!(!after.has("form[action$='/erase']"), "nothing left to erase");

    let mut conn = app.state.pool.get().unwrap();
    let (name, email): (String, String) = users::table
        .find(learner)
        .select((users::name, users::email))
        .first(&mut conn)
        .unwrap();
    assert_eq!(name, format!("#{learner}"));
    assert_eq!(email, format!("erased-{learner}@erased.invalid"));
    assert_eq!(count_mail(&app), 0);
    let links: i64 = user_tokens::table
        .filter(user_tokens::user_id.eq(learner))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(links, 0);
    let answer_of = |conn: &mut bilim::db::DbConnection, question: &str| -> (Option<String>, Option<f64>) {
        attempt_responses::table
            .inner_join(quiz_attempts::table)
            .filter(quiz_attempts::user_id.eq(learner))
            .filter(attempt_responses::question_id.eq(question))
            .select((attempt_responses::response, attempt_responses::score))
            .first(conn)
            .unwrap()
    };
    assert_eq!(answer_of(&mut conn, "essay").0, None, "what they wrote is gone");
    assert_eq!(answer_of(&mut conn, "tf").1, Some(0.0), "scores stay for the figures");
    let recorded: i64 = audit_events::table
        .filter(audit_events::action.eq("personal_data_erased"))
        .filter(audit_events::actor_id.eq(admin))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(recorded, 1);
    drop(conn);

    let verify = browser.get(&format!("/verify/{code}?lang=en")).await;
    assert_eq!(verify.status, StatusCode::OK);
    assert!(verify.body.contains("Valid"), "the certificate still verifies");
    let sign_in = app
        .post_form(
            "/login?lang=en",
            &[("email", "aigerim@example.kz"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(
        sign_in.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the account no longer opens"
    );

    let own = browser
        .post_form(
            &format!("/admin/users/{admin}/erase"),
            &[("confirm_email", "admin@example.kz")],
        )
        .await;
    assert_eq!(own.status, StatusCode::CONFLICT);
}

on_both_backends!(
    a_learner_downloads_everything_held_about_them,
    an_administrator_erases_a_persons_data_and_the_figures_and_certificate_stay
);
