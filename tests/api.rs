//! The JSON API: tokens, `/me`, institutions, health, and errors as JSON.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use actix_web::http::{Method, StatusCode};
use bilim::accounts::model::{Country, Role};
use common::{TestApp, PASSWORD, TEST_SECRET};
use serde_json::json;

fn forge_token(secret: &[u8], user_id: i64, version: i32, expires_in_seconds: i64) -> String {
    let now = chrono::Utc::now().timestamp();
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &json!({"sub": user_id.to_string(), "ver": version, "iat": now, "exp": now + expires_in_seconds, "aud": "bilim"}),
        &jsonwebtoken::EncodingKey::from_secret(secret),
    )
    .unwrap()
}

async fn a_token_from_valid_credentials_opens_me(mut app: TestApp) {
    let institution = app.create_institution("Карагандинская академия МВД", Country::Kz);
    let id = app.create_user("coordinator@example.kz", Role::Coordinator, Some(institution));
    let response = app
        .api(
            Method::POST,
            "/api/v1/auth/token",
            None,
            Some(json!({"email": "coordinator@example.kz", "password": PASSWORD})),
        )
        .await;
    assert_eq!(response.status, StatusCode::OK);
    let body = response.json();
    let token = body["token"].as_str().unwrap();
    assert!(chrono::DateTime::parse_from_rfc3339(body["expires_at"].as_str().unwrap()).is_ok());

    let me = app.api(Method::GET, "/api/v1/me", Some(token), None).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(
        me.json(),
        json!({"id": id, "email": "coordinator@example.kz", "name": "Test coordinator", "role": "coordinator", "country": "KZ", "institution_id": institution, "locale": "ru"})
    );
}

async fn bad_credentials_get_401_with_a_json_error(mut app: TestApp) {
    app.create_user("api@example.kz", Role::Learner, None);
    let wrong = app
        .api(
            Method::POST,
            "/api/v1/auth/token",
            None,
            Some(json!({"email": "api@example.kz", "password": "nope nope nope"})),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.json()["error"].as_str().is_some_and(|m| !m.is_empty()));
    let unknown = app
        .api(
            Method::POST,
            "/api/v1/auth/token",
            None,
            Some(json!({"email": "ghost@example.kz", "password": PASSWORD})),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
}

async fn me_without_a_token_or_with_a_tampered_or_expired_one_is_401(mut app: TestApp) {
    let id = app.create_user("tamper@example.kz", Role::Learner, None);
    assert_eq!(
        app.api(Method::GET, "/api/v1/me", None, None).await.status,
        StatusCode::UNAUTHORIZED
    );

    let token = app.api_token("tamper@example.kz", PASSWORD).await;
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let forged_claims = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        json!({"sub": "1", "ver": 0, "iat": 0, "exp": 4_000_000_000_i64, "aud": "bilim"}).to_string(),
    );
    parts[1] = forged_claims;
    let tampered = parts.join(".");
    let response = app.api(Method::GET, "/api/v1/me", Some(&tampered), None).await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    assert!(response.json()["error"].is_string());

    let expired = forge_token(TEST_SECRET, id, 0, -60);
    assert_eq!(
        app.api(Method::GET, "/api/v1/me", Some(&expired), None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let other_secret = forge_token(b"another-installation-secret-another-installation", id, 0, 600);
    assert_eq!(
        app.api(Method::GET, "/api/v1/me", Some(&other_secret), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let valid = forge_token(TEST_SECRET, id, 0, 600);
    assert_eq!(
        app.api(Method::GET, "/api/v1/me", Some(&valid), None).await.status,
        StatusCode::OK
    );
}

async fn a_tampered_session_cookie_is_treated_as_signed_out(mut app: TestApp) {
    let id = app.create_user("cookie@example.kz", Role::Learner, None);
    let mut token = forge_token(TEST_SECRET, id, 0, 600);
    token.push('x');
    app.cookies.insert("bilim_session".into(), token);
    let response = app.get("/profile").await;
    assert_eq!(response.status, StatusCode::SEE_OTHER);
    assert!(!app.cookies.contains_key("bilim_session"), "the bad cookie is cleared");
}

async fn the_api_ignores_session_cookies_so_it_needs_no_csrf_token(mut app: TestApp) {
    app.create_user("cookieonly@example.kz", Role::Learner, None);
    app.sign_in("cookieonly@example.kz", PASSWORD).await;
    assert_eq!(
        app.api(Method::GET, "/api/v1/me", None, None).await.status,
        StatusCode::UNAUTHORIZED
    );
}

async fn administrators_create_institutions_and_everyone_signed_in_lists_them(mut app: TestApp) {
    app.create_user("admin@example.kz", Role::Admin, None);
    app.create_user("learner@example.kz", Role::Learner, None);
    let admin = app.api_token("admin@example.kz", PASSWORD).await;
    let learner = app.api_token("learner@example.kz", PASSWORD).await;

    let created = app
        .api(
            Method::POST,
            "/api/v1/institutions",
            Some(&admin),
            Some(json!({"name": "Академия МВД Кыргызской Республики", "country": "KG"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let id = created.json()["id"].as_i64().unwrap();

    let duplicate = app
        .api(
            Method::POST,
            "/api/v1/institutions",
            Some(&admin),
            Some(json!({"name": "Академия МВД Кыргызской Республики", "country": "kg"})),
        )
        .await;
    assert_eq!(duplicate.status, StatusCode::CONFLICT);
    let bad_country = app
        .api(
            Method::POST,
            "/api/v1/institutions",
            Some(&admin),
            Some(json!({"name": "X", "country": "FR"})),
        )
        .await;
    assert_eq!(bad_country.status, StatusCode::BAD_REQUEST);
    let missing = app
        .api(
            Method::POST,
            "/api/v1/institutions",
            Some(&admin),
            Some(json!({"country": "KZ"})),
        )
        .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert!(missing.json()["error"].is_string());
    let wrong_type = app
        .api(
            Method::POST,
            "/api/v1/institutions",
            Some(&admin),
            Some(json!({"name": 5, "country": "KZ"})),
        )
        .await;
    assert_eq!(wrong_type.status, StatusCode::BAD_REQUEST);

    let forbidden = app
        .api(
            Method::POST,
            "/api/v1/institutions",
            Some(&learner),
            Some(json!({"name": "Mine", "country": "KZ"})),
        )
        .await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    assert!(forbidden.json()["error"].is_string());

    let list = app.api(Method::GET, "/api/v1/institutions", Some(&learner), None).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(
        list.json(),
        json!([{"id": id, "name": "Академия МВД Кыргызской Республики", "country": "KG"}])
    );
    assert_eq!(
        app.api(Method::GET, "/api/v1/institutions", None, None).await.status,
        StatusCode::UNAUTHORIZED
    );
}

async fn health_reports_the_database_in_use(mut app: TestApp) {
    let response = app.get("/healthz").await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.json(), json!({"status": "ok", "database": app.backend.name()}));
}

async fn unknown_api_routes_and_bad_bodies_get_json_errors_never_500(mut app: TestApp) {
    let unknown = app.api(Method::GET, "/api/v1/nothing-here", None, None).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(unknown.json()["error"].is_string());
    let not_json = app
        .post_raw("/api/v1/auth/token", "application/json", b"{not json".to_vec())
        .await;
    assert_eq!(not_json.status, StatusCode::BAD_REQUEST);
    assert!(not_json.json()["error"].is_string());
    let wrong_type = app
        .post_raw("/api/v1/auth/token", "text/plain", b"hello".to_vec())
        .await;
    assert!(wrong_type.status.is_client_error());
    assert!(wrong_type.json()["error"].is_string());
    let huge = app
        .post_raw("/api/v1/auth/token", "application/json", vec![b' '; 300_000])
        .await;
    assert_eq!(huge.status, StatusCode::PAYLOAD_TOO_LARGE);
    let invalid_utf8 = app
        .post_raw(
            "/api/v1/auth/token",
            "application/json",
            b"{\"email\":\"\xff\xfe\",\"password\":\"x\"}".to_vec(),
        )
        .await;
    assert_eq!(invalid_utf8.status, StatusCode::BAD_REQUEST);
}
on_both_backends!(
    a_token_from_valid_credentials_opens_me,
    bad_credentials_get_401_with_a_json_error,
    me_without_a_token_or_with_a_tampered_or_expired_one_is_401,
    a_tampered_session_cookie_is_treated_as_signed_out,
    the_api_ignores_session_cookies_so_it_needs_no_csrf_token,
    administrators_create_institutions_and_everyone_signed_in_lists_them,
    health_reports_the_database_in_use,
    unknown_api_routes_and_bad_bodies_get_json_errors_never_500
);
