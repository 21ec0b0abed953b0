//! Stored states are read back as typed values: a value in the database that is not
//! one of its set's codes is an internal error, logged and answered with 500 in the
//! reader's language, never silently read as another valid state.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use actix_web::http::{Method, StatusCode};
use bilim::accounts::model::Role;
use bilim::db::schema::users;
use common::{TestApp, PASSWORD};
use diesel::prelude::*;

fn store_role(app: &TestApp, email: &str, code: &str) {
    let mut conn = app.state.pool.get().unwrap();
    diesel::update(users::table.filter(users::email.eq(email)))
        .set(users::role.eq(code))
        .execute(&mut conn)
        .unwrap();
}

async fn an_unknown_stored_role_is_an_internal_error_not_another_role(mut app: TestApp) {
    app.create_user("officer@example.kz", Role::Learner, None);
    let token = app.api_token("officer@example.kz", PASSWORD).await;
    store_role(&app, "officer@example.kz", "superuser");

    let me = app.api(Method::GET, "/api/v1/me", Some(&token), None).await;
    assert_eq!(me.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        !me.body.contains("superuser"),
        "the stored value is logged, not shown: {}",
        me.body
    );
    assert!(me.json()["error"].is_string());

    store_role(&app, "officer@example.kz", "learner");
    let repaired = app.api(Method::GET, "/api/v1/me", Some(&token), None).await;
    assert_eq!(repaired.status, StatusCode::OK, "{}", repaired.body);
    assert_eq!(repaired.json()["role"], "learner");
}

async fn an_unknown_stored_role_does_not_open_a_page_as_anyone(mut app: TestApp) {
    app.sign_in_as("officer@example.kz", Role::Admin, None).await;
    store_role(&app, "officer@example.kz", "Admin ");

    let page = app.get("/admin/users?lang=kk").await;
    assert_eq!(page.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(page.lang(), "kk", "the error page is in the reader's language");
}

on_both_backends!(
    an_unknown_stored_role_is_an_internal_error_not_another_role,
    an_unknown_stored_role_does_not_open_a_page_as_anyone
);
