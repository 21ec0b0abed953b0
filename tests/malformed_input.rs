//! Malformed input at every form and API endpoint: oversized, wrongly typed,
//! unreadable, NUL-bearing and control-character bodies, sent by an administrator and
//! by a learner of the records asked about. Each gets a 4xx with a message in the
//! caller's language, and nothing is written.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use actix_web::http::{header, Method};
use common::routes::{concrete, routes_in_source, world};
use common::{Browser, TestApp, PASSWORD};
use diesel::prelude::*;

/// Routes that read no body: whatever is sent with them is ignored, so they may
/// succeed (and change what they change) with any body.
/// The API's CSV upload reads its body as a file: without `?apply=1` it only
/// previews, so any body gets a preview (or a 400) and changes nothing.
const PREVIEWS_ANY_BODY: &str = "/api/v1/runs/{run}/enrolments/bulk";

const TAKE_NO_BODY: &[&str] = &[
    "/api/v1/attempts/{attempt}/submit",
    "/api/v1/courses/{course}/modules/{module}/complete",
    "/api/v1/courses/{course}/quizzes/{quiz}/attempts",
    "/api/v1/enrolments/{id}/accept",
    "/api/v1/enrolments/{id}/approve",
    "/api/v1/enrolments/{id}/decline",
    "/api/v1/enrolments/{id}/withdraw",
];

/// The rows of the tables input can write to, to show that nothing was written.
fn counts(app: &TestApp) -> Vec<(&'static str, i64)> {
    use bilim::db::schema::*;
    let mut conn = app.state.pool.get().unwrap();
    let c = &mut conn;
    vec![
        ("users", users::table.count().get_result(c).unwrap()),
        ("institutions", institutions::table.count().get_result(c).unwrap()),
        ("course_runs", course_runs::table.count().get_result(c).unwrap()),
        ("enrolments", enrolments::table.count().get_result(c).unwrap()),
        (
            "enrolment_events",
            enrolment_events::table.count().get_result(c).unwrap(),
        ),
        ("quiz_attempts", quiz_attempts::table.count().get_result(c).unwrap()),
        (
            "attempt_responses",
            attempt_responses::table.count().get_result(c).unwrap(),
        ),
        ("certificates", certificates::table.count().get_result(c).unwrap()),
        ("run_sessions", run_sessions::table.count().get_result(c).unwrap()),
        ("attendance", attendance::table.count().get_result(c).unwrap()),
        ("outbox", outbox::table.count().get_result(c).unwrap()),
        ("audit_events", audit_events::table.count().get_result(c).unwrap()),
        ("module_progress", module_progress::table.count().get_result(c).unwrap()),
    ]
}

/// Field names the forms use, each given the bad value.
const FIELDS: &[&str] = &[
    "name",
    "email",
    "password",
    "reason",
    "score",
    "comment",
    "topic",
    "key",
    "code",
    "confirm_email",
    "course_id",
    "starts_on",
    "capacity",
    "trainer_email",
    "country",
    "category",
    "held_on",
    "text",
];

fn form_body(value: &str, token: &str) -> Vec<u8> {
    let mut fields: Vec<(&str, &str)> = vec![("csrf_token", token)];
    fields.extend(FIELDS.iter().map(|f| (*f, value)));
    serde_urlencoded::to_string(fields).unwrap().into_bytes()
}

fn json_bodies() -> Vec<(&'static str, Vec<u8>)> {
    let typed_wrong = serde_json::json!({
        "name": 5, "email": [], "reason": {}, "text": 1.5, "present": "all", "key": false,
        "course_id": null, "capacity": "many", "choice": [1], "value": "x", "country": 7,
    });
    let with_nul = serde_json::json!({
        "name": "Ivan\u{0}", "email": "a\u{0}@b.kz", "reason": "x\u{0}", "text": "\u{0}", "key": "\u{1b}[31m",
        "course_id": "demo\u{0}", "country": "K\u{0}Z", "present": ["\u{0}"], "choice": "\u{0}", "held_on": "2026\u{0}",
    });
    vec![
        ("not JSON", b"{\"name\": ".to_vec()),
        ("wrongly typed", typed_wrong.to_string().into_bytes()),
        ("with NUL and escape", with_nul.to_string().into_bytes()),
        ("a number", b"12345678901234567890123456789".to_vec()),
        (
            "oversized",
            format!("{{\"name\": \"{}\"}}", "x".repeat(3 * 1024 * 1024)).into_bytes(),
        ),
    ]
}

async fn post(
    browser: &mut Browser,
    method: &Method,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
    token: Option<&str>,
) -> (u16, String) {
    let mut request = actix_web::test::TestRequest::default()
        .method(method.clone())
        .uri(&format!("{path}?lang=en"))
        .insert_header((header::CONTENT_TYPE, content_type))
        .set_payload(body);
    if let Some(token) = token {
        request = request.insert_header((header::AUTHORIZATION, format!("Bearer {token}")));
    }
    let response = browser.send(request).await;
    (response.status.as_u16(), response.body)
}

/// Every form and API endpoint refuses every malformed body with a 4xx and a
/// message, and writes nothing.
async fn every_endpoint_refuses_malformed_bodies_with_a_message_and_changes_nothing(mut app: TestApp) {
    let w = world(&mut app).await;
    let mut askers = Vec::new();
    for (n, email) in ["admin@example.kz", "learner.a@example.kz"].into_iter().enumerate() {
        let mut browser = app.browser_from(&format!("10.8.0.{}", n + 1));
        browser.sign_in(email, PASSWORD).await;
        let token = browser.api_token(email, PASSWORD).await;
        askers.push((email, browser, token));
    }
    let routes: Vec<(String, String)> = routes_in_source()
        .into_iter()
        .filter(|(method, route)| method != "GET" && route != "/logout" && !TAKE_NO_BODY.contains(&route.as_str()))
        .collect();
    let mut failures = Vec::new();
    for (method, route) in &routes {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let path = concrete(route, &w);
        for (email, browser, token) in &mut askers {
            let bodies: Vec<(&str, &str, Vec<u8>)> = if route.starts_with("/api/") {
                let mut bodies: Vec<(&str, &str, Vec<u8>)> = json_bodies()
                    .into_iter()
                    .map(|(what, body)| (what, "application/json", body))
                    .collect();
                bodies.push(("wrong content type", "text/plain", b"name=Ivan".to_vec()));
                bodies
            } else {
                let csrf = browser.csrf_token().await;
                vec![
                    (
                        "NUL in every field",
                        "application/x-www-form-urlencoded",
                        form_body("Ivan\u{0}", &csrf),
                    ),
                    (
                        "escape in every field",
                        "application/x-www-form-urlencoded",
                        form_body("\u{1b}[2J", &csrf),
                    ),
                    (
                        "not UTF-8",
                        "application/x-www-form-urlencoded",
                        [
                            b"csrf_token=".to_vec(),
                            csrf.clone().into_bytes(),
                            b"&name=%FF%FE".to_vec(),
                        ]
                        .concat(),
                    ),
                    (
                        "oversized",
                        "application/x-www-form-urlencoded",
                        form_body(&"x".repeat(200 * 1024), &csrf),
                    ),
                    (
                        "wrong content type",
                        "application/json",
                        b"{\"name\": \"Ivan\"}".to_vec(),
                    ),
                ]
            };
            for (what, content_type, body) in bodies {
                let before = counts(&app);
                let token = route.starts_with("/api/").then_some(token.as_str());
                let (status, text) = post(browser, &method, &path, content_type, body, token).await;
                let after = counts(&app);
                let clear = if route == PREVIEWS_ANY_BODY && status == 200 {
                    true
                } else if route.starts_with("/api/") {
                    serde_json::from_str::<serde_json::Value>(&text)
                        .ok()
                        .and_then(|v| v["error"].as_str().map(|e| !e.is_empty()))
                        .unwrap_or(false)
                } else {
                    status == 303 || text.contains("<h1")
                };
                // A visitor's form is sent to sign in (303) before it is read.
                let refused = (400..500).contains(&status)
                    || (status == 303 && !route.starts_with("/api/"))
                    || (route == PREVIEWS_ANY_BODY && status == 200);
                if !refused || !clear || before != after {
                    failures.push(format!(
                        "{method} {route} as {email}, {what}: {status}, changed: {}",
                        before != after
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} refusals went wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

on_both_backends!(every_endpoint_refuses_malformed_bodies_with_a_message_and_changes_nothing);
