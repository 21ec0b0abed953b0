//! Control characters (NUL, escape…) in a path, a query, a form or a JSON body are the
//! request's fault: a 404 or 400 in the visitor's language, never a 500, and nothing
//! is written. PostgreSQL refuses NUL in text outright, so these requests used to
//! answer 500 there.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use actix_web::http::{Method, StatusCode};
use bilim::accounts::model::Role;
use common::{TestApp, PASSWORD};
use serde_json::json;

async fn a_nul_in_a_path_names_nothing(mut app: TestApp) {
    for path in [
        "/verify/AB%00CD",
        "/courses/x%00y",
        "/api/v1/certificates/A%00B",
        "/certificates/AB%1BCD.pdf",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{path}: {}", response.body);
    }
}

async fn a_nul_in_a_form_or_query_is_refused_with_a_clear_message(mut app: TestApp) {
    app.create_user("admin@example.kz", Role::Admin, None);
    let login = app
        .post_form(
            "/login?lang=en",
            &[("email", "admin\0@example.kz"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(login.status, StatusCode::BAD_REQUEST, "{}", login.body);
    assert!(login.body.contains("Remove the special characters"), "{}", login.body);

    app.sign_in("admin@example.kz", PASSWORD).await;
    let search = app.get("/admin/users?q=%00&lang=en").await;
    assert_eq!(search.status, StatusCode::BAD_REQUEST);
    assert!(search.body.contains("Remove the special characters"));

    let multiline = app
        .post_form(
            "/admin/institutions?lang=en",
            &[("name", "Академия\tМВД"), ("country", "KZ")],
        )
        .await;
    assert_ne!(
        multiline.status,
        StatusCode::BAD_REQUEST,
        "a tab is not refused as a control character"
    );
}

async fn a_nul_in_a_json_body_never_answers_500(mut app: TestApp) {
    app.create_user("officer@example.kz", Role::Learner, None);
    let token = app
        .api(
            Method::POST,
            "/api/v1/auth/token",
            None,
            Some(json!({"email": "officer\u{0}@example.kz", "password": PASSWORD})),
        )
        .await;
    assert!(token.status.is_client_error(), "{} {}", token.status, token.body);
    assert!(token.json()["error"].is_string());
}

on_both_backends!(
    a_nul_in_a_path_names_nothing,
    a_nul_in_a_form_or_query_is_refused_with_a_clear_message,
    a_nul_in_a_json_body_never_answers_500
);
