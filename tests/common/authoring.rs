//! What the authoring tests share: the people of a course's translation and adaptation
//! work, each with an API token, and the calls of the authoring API.

use actix_web::http::{Method, StatusCode};
use bilim::accounts::model::{Country, Role};
use bilim::db::schema::{section_revisions, users};
use diesel::prelude::*;
use serde_json::{json, Value};

use super::{TestApp, TestResponse, PASSWORD};

/// The people of these tests, each with an API token.
pub struct People {
    pub admin: String,
    pub second_admin: String,
    /// A Kazakhstan trainer (adapts for KZ) who also translates into Kazakh.
    pub kz_trainer: String,
    /// Another Kazakhstan trainer translating into Kazakh and Russian.
    pub kz_reviewer: String,
    /// A trainer from Uzbekistan translating into Uzbek.
    pub uz_trainer: String,
    pub coordinator_kz: String,
    pub coordinator_uz: String,
    pub learner: String,
    pub observer: String,
}

pub fn set_trainer(app: &TestApp, email: &str, country: &str, languages: &str) {
    let mut conn = app.state.pool.get().unwrap();
    diesel::update(users::table.filter(users::email.eq(email)))
        .set((users::country.eq(country), users::languages.eq(languages)))
        .execute(&mut conn)
        .unwrap();
}

pub async fn people(app: &mut TestApp) -> People {
    app.create_user("admin@bilim.test", Role::Admin, None);
    app.create_user("admin2@bilim.test", Role::Admin, None);
    app.create_user("kz@bilim.test", Role::Trainer, None);
    set_trainer(app, "kz@bilim.test", "KZ", "kk");
    app.create_user("kz2@bilim.test", Role::Trainer, None);
    set_trainer(app, "kz2@bilim.test", "KZ", "kk ru");
    app.create_user("uz@bilim.test", Role::Trainer, None);
    set_trainer(app, "uz@bilim.test", "UZ", "uz");
    app.institution_with_coordinator("Academy KZ", Country::Kz, "coord-kz@bilim.test");
    app.institution_with_coordinator("Academy UZ", Country::Uz, "coord-uz@bilim.test");
    app.create_user("learner@bilim.test", Role::Learner, None);
    app.create_user("observer@bilim.test", Role::Observer, None);
    People {
        admin: app.api_token("admin@bilim.test", PASSWORD).await,
        second_admin: app.api_token("admin2@bilim.test", PASSWORD).await,
        kz_trainer: app.api_token("kz@bilim.test", PASSWORD).await,
        kz_reviewer: app.api_token("kz2@bilim.test", PASSWORD).await,
        uz_trainer: app.api_token("uz@bilim.test", PASSWORD).await,
        coordinator_kz: app.api_token("coord-kz@bilim.test", PASSWORD).await,
        coordinator_uz: app.api_token("coord-uz@bilim.test", PASSWORD).await,
        learner: app.api_token("learner@bilim.test", PASSWORD).await,
        observer: app.api_token("observer@bilim.test", PASSWORD).await,
    }
}

pub fn section(module: &str, id: &str, lang: &str, country: Option<&str>) -> String {
    let country = country.map(|c| format!("&country={c}")).unwrap_or_default();
    format!("/api/v1/authoring/courses/demo-course/modules/{module}/sections/{id}?lang={lang}{country}")
}

pub fn action(url: &str, action: &str) -> String {
    let (path, query) = url.split_once('?').unwrap();
    format!("{path}/{action}?{query}")
}

pub async fn get(app: &mut TestApp, token: &str, url: &str) -> Value {
    let response = app.api(Method::GET, url, Some(token), None).await;
    assert_eq!(response.status, StatusCode::OK, "{url}: {}", response.body);
    response.json()
}

pub async fn put(app: &mut TestApp, token: &str, url: &str, markdown: &str) -> TestResponse {
    app.api(
        Method::PUT,
        url,
        Some(token),
        Some(json!({ "markdown": markdown, "comment": "test edit" })),
    )
    .await
}

pub async fn post(app: &mut TestApp, token: &str, url: &str, name: &str, body: Value) -> TestResponse {
    app.api(Method::POST, &action(url, name), Some(token), Some(body)).await
}

/// Writes, submits and has someone else approve a new text for a section.
pub async fn publish(app: &mut TestApp, author: &str, approver: &str, url: &str, markdown: &str) {
    let saved = put(app, author, url, markdown).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let submitted = post(app, author, url, "submit", json!({ "reason": "checked by hand" })).await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.body);
    let approved = post(app, approver, url, "approve", json!({})).await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
}

/// The module page a Kazakh-speaking learner (country `country`) reads.
pub async fn page_text(app: &TestApp, lang: &str, country: &str) -> String {
    let mut browser = app.browser();
    browser.sign_in("learner@bilim.test", PASSWORD).await;
    let mut conn = app.state.pool.get().unwrap();
    diesel::update(users::table.filter(users::email.eq("learner@bilim.test")))
        .set((users::locale.eq(lang), users::country.eq(country)))
        .execute(&mut conn)
        .unwrap();
    let page = browser.get("/courses/demo-course/intro").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.select("main").join(" ")
}

pub fn revisions(app: &TestApp) -> i64 {
    let mut conn = app.state.pool.get().unwrap();
    section_revisions::table.count().get_result(&mut conn).unwrap()
}
