//! Completion and certificates: rules, issuance exactly once, PDFs in every language,
//! public verification, signed credentials and revocation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use actix_web::http::{Method, StatusCode};
use base64::Engine;
use bilim::accounts::model::{Country, Role};
use bilim::i18n::Locale;
use common::{TestApp, PASSWORD};
use serde_json::{json, Value};

/// A learner of an institution who completes the demo course; returns their token.
async fn completed_learner(app: &mut TestApp, email: &str, name: &str, locale: Locale) -> String {
    app.with_courses("valid");
    let institution = app.create_institution("Академия правоохранительных органов", Country::Kz);
    let id = app.create_user_speaking(email, Role::Learner, Some(institution), locale);
    app.set_user_name(id, name);
    let token = app.api_token(email, PASSWORD).await;
    for module in ["intro", "evidence"] {
        app.api(
            Method::POST,
            &format!("/api/v1/courses/demo-course/modules/{module}/complete"),
            Some(&token),
            None,
        )
        .await;
    }
    let before = app
        .api(Method::GET, "/api/v1/me/certificates", Some(&token), None)
        .await
        .json();
    assert_eq!(before, json!([]), "the quiz is still missing");
    common::pass_check_quiz(app, &token).await;
    token
}

fn pdf_text(bytes: &[u8]) -> String {
    pdf_extract::extract_text_from_mem(bytes).unwrap()
}

async fn completing_every_requirement_issues_one_certificate(mut app: TestApp) {
    let token = completed_learner(&mut app, "holder@example.kz", "Айгерім Сәрсенова", Locale::Kk).await;
    let list = app
        .api(Method::GET, "/api/v1/me/certificates", Some(&token), None)
        .await
        .json();
    assert_eq!(list.as_array().unwrap().len(), 1);
    let code = list[0]["code"].as_str().unwrap().to_owned();
    assert_eq!(list[0]["course_id"], "demo-course");
    assert!(list[0]["run_id"].is_null());
    assert!(chrono::DateTime::parse_from_rfc3339(list[0]["issued_at"].as_str().unwrap()).is_ok());
    assert!(code.len() >= 20, "codes are long enough not to be guessed: {code}");
    app.api(
        Method::POST,
        "/api/v1/courses/demo-course/modules/intro/complete",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(
        app.api(Method::GET, "/api/v1/me/certificates", Some(&token), None)
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        1,
        "issued once"
    );
}

async fn the_certificate_page_shows_what_is_still_missing(mut app: TestApp) {
    app.with_courses("valid");
    app.sign_in_as("progress@example.kz", Role::Learner, None).await;
    app.get("/courses/demo-course/intro?lang=en").await;
    app.post_form("/courses/demo-course/intro/complete", &[]).await;
    let page = app.get("/certificates?lang=en").await;
    assert!(
        page.body.contains("Still to do")
            && page.body.contains("Electronic evidence")
            && page.body.contains("Check: introduction")
    );
    assert!(
        !page.select("li").iter().any(|item| item.ends_with("Introduction")),
        "a completed module is not listed as missing"
    );
}

async fn concurrent_completion_issues_exactly_one_certificate(mut app: TestApp) {
    app.with_courses("valid");
    let id = bilim::accounts::model::UserId(app.create_user("race@example.kz", Role::Learner, None));
    let token = app.api_token("race@example.kz", PASSWORD).await;
    common::pass_check_quiz(&mut app, &token).await;
    {
        let mut conn = app.state.pool.get().unwrap();
        let now = chrono::Utc::now().naive_utc();
        for module in ["intro", "evidence"] {
            bilim::courses::store::mark_complete(&mut conn, id, "demo-course", module, now).unwrap();
        }
    }
    let pool = app.state.pool.clone();
    std::thread::scope(|scope| {
        for _ in 0..6 {
            let pool = pool.clone();
            scope.spawn(move || {
                let mut conn = pool.get().unwrap();
                bilim::db::write_transaction(&mut conn, |conn| {
                    bilim::certificates::refresh(conn, id, "demo-course", chrono::Utc::now().naive_utc())
                })
                .unwrap();
            });
        }
    });
    let mut conn = pool.get().unwrap();
    assert_eq!(bilim::certificates::of_user(&mut conn, id).unwrap().len(), 1);
}

async fn the_pdf_carries_the_name_and_course_title_in_every_language(mut app: TestApp) {
    // A real name, and then every letter of the seven languages that a font might lack.
    let name = "Oʻlmas Qoʻchqorov-Nurgʻaliyeva";
    let letters = "әғқңөұүһі ңөү ғӣқӯҳҷ äçňöşüýž oʻgʻ";
    let token = completed_learner(&mut app, "pdf@example.kz", &format!("{name} {letters}"), Locale::Uz).await;
    let code = app
        .api(Method::GET, "/api/v1/me/certificates", Some(&token), None)
        .await
        .json()[0]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    app.sign_in("pdf@example.kz", PASSWORD).await;
    for (lang, title) in [
        ("en", "Demo course"),
        ("ru", "Демонстрационный курс"),
        ("kk", "Демонстрациялық курс"),
        ("ky", "Демонстрационный курс"),
        ("tg", "Демонстрационный курс"),
        ("tk", "Демонстрационный курс"),
        ("uz", "Демонстрационный курс"),
    ] {
        let response = app.get(&format!("/certificates/{code}.pdf?lang={lang}")).await;
        assert_eq!(response.status, StatusCode::OK, "{lang}");
        assert_eq!(response.header("content-type"), "application/pdf");
        let text = pdf_text(&response.bytes);
        assert!(text.contains(name), "{lang}: {text}");
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let wanted: String = letters.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(
            compact.contains(&wanted),
            "{lang}: every letter is drawn and extractable: {text}"
        );
        assert!(text.contains(title), "{lang}: {text}");
        assert!(text.contains(&code), "{lang}: the number is printed as text");
    }
}

async fn anyone_can_verify_a_certificate_and_an_unknown_code_reveals_nothing(mut app: TestApp) {
    let token = completed_learner(&mut app, "verify@example.kz", "Ерлан Ахметов", Locale::Ru).await;
    let code = app
        .api(Method::GET, "/api/v1/me/certificates", Some(&token), None)
        .await
        .json()[0]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let page = app.get(&format!("/verify/{code}?lang=en")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Valid")
            && page.body.contains("Ерлан Ахметов")
            && page.body.contains("Demo course")
            && page.body.contains("Академия правоохранительных органов")
    );
    assert!(page.body.contains("Valid until"), "the course sets valid_years");
    let unknown = app.get("/verify/AAAAA-BBBBB-CCCCC-DDDDD?lang=en").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(unknown.body.contains("No certificate with this number exists") && !unknown.body.contains("Ерлан"));
}

async fn the_signed_credential_checks_against_the_published_key_and_fails_when_tampered(mut app: TestApp) {
    let token = completed_learner(&mut app, "jwt@example.kz", "Dilnoza Karimova", Locale::En).await;
    let code = app
        .api(Method::GET, "/api/v1/me/certificates", Some(&token), None)
        .await
        .json()[0]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let jwt = app.get(&format!("/api/v1/certificates/{code}")).await.body;
    let jwks = app.get("/.well-known/jwks.json").await.json();
    let key = &jwks["keys"][0];
    assert_eq!(key["kty"], "OKP");
    assert_eq!(key["crv"], "Ed25519");
    let decoding = jsonwebtoken::DecodingKey::from_ed_components(key["x"].as_str().unwrap()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    let claims = jsonwebtoken::decode::<Value>(&jwt, &decoding, &validation)
        .unwrap()
        .claims;
    assert_eq!(claims["jti"], json!(code));
    assert_eq!(claims["name"], "Dilnoza Karimova");
    assert_eq!(claims["status"], "valid");
    let header = jsonwebtoken::decode_header(&jwt).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::EdDSA);
    assert_eq!(header.kid.as_deref(), key["kid"].as_str());

    let mut parts: Vec<String> = jwt.split('.').map(str::to_owned).collect();
    let mut forged = claims.clone();
    forged["name"] = json!("Someone Else");
    parts[1] = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(forged.to_string());
    assert!(
        jsonwebtoken::decode::<Value>(&parts.join("."), &decoding, &validation).is_err(),
        "a tampered credential is rejected"
    );
    assert_eq!(app.get("/api/v1/certificates/NOPE").await.status, StatusCode::NOT_FOUND);
}

async fn coordinators_revoke_their_institutions_certificates_only(mut app: TestApp) {
    let token = completed_learner(&mut app, "revoked@example.kz", "Нуржан Абенов", Locale::Ru).await;
    let code = app
        .api(Method::GET, "/api/v1/me/certificates", Some(&token), None)
        .await
        .json()[0]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = app.create_institution("Другое учреждение", Country::Kz);
    app.create_user("stranger@example.kz", Role::Coordinator, Some(other));
    let stranger = app.api_token("stranger@example.kz", PASSWORD).await;
    assert_eq!(
        app.api(
            Method::POST,
            &format!("/api/v1/certificates/{code}/revoke"),
            Some(&stranger),
            Some(json!({"reason": "x"}))
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    app.sign_in("stranger@example.kz", PASSWORD).await;
    assert_eq!(
        app.get(&format!("/certificates/{code}.pdf")).await.status,
        StatusCode::NOT_FOUND,
        "another institution's certificate is not found"
    );
    app.sign_out_locally();
    assert_eq!(
        app.api(
            Method::POST,
            &format!("/api/v1/certificates/{code}/revoke"),
            Some(&token),
            Some(json!({"reason": "x"}))
        )
        .await
        .status,
        StatusCode::FORBIDDEN,
        "holders cannot revoke"
    );

    let institution = {
        let mut conn = app.state.pool.get().unwrap();
        bilim::accounts::store::find_row_by_email(&mut conn, "revoked@example.kz")
            .unwrap()
            .unwrap()
            .institution_id
            .unwrap()
    };
    app.create_user("own.coordinator@example.kz", Role::Coordinator, Some(institution));
    let coordinator = app.api_token("own.coordinator@example.kz", PASSWORD).await;
    assert_eq!(
        app.api(
            Method::POST,
            &format!("/api/v1/certificates/{code}/revoke"),
            Some(&coordinator),
            Some(json!({"reason": " "}))
        )
        .await
        .status,
        StatusCode::BAD_REQUEST
    );
    let revoked = app
        .api(
            Method::POST,
            &format!("/api/v1/certificates/{code}/revoke"),
            Some(&coordinator),
            Some(json!({"reason": "Issued in error"})),
        )
        .await;
    assert_eq!(revoked.json()["status"], "revoked");
    let page = app.get(&format!("/verify/{code}?lang=en")).await;
    assert!(page.body.contains("Revoked") && page.body.contains("Issued in error"));
    let jwt = app.get(&format!("/api/v1/certificates/{code}")).await.body;
    let payload = jwt.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["status"], "revoked");
}

async fn an_expired_certificate_says_so_and_invites_recertification(mut app: TestApp) {
    let token = completed_learner(&mut app, "old@example.kz", "Old Holder", Locale::En).await;
    let code = app
        .api(Method::GET, "/api/v1/me/certificates", Some(&token), None)
        .await
        .json()[0]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    {
        use bilim::db::schema::certificates;
        use diesel::prelude::*;
        let mut conn = app.state.pool.get().unwrap();
        let past = chrono::Utc::now().naive_utc() - chrono::Duration::days(1);
        diesel::update(certificates::table.find(&code))
            .set(certificates::expires_at.eq(Some(past)))
            .execute(&mut conn)
            .unwrap();
    }
    let page = app.get(&format!("/verify/{code}?lang=en")).await;
    assert!(page.body.contains("Expired") && page.body.contains("take the course again"));
}

async fn the_holder_is_told_once_by_email_in_their_language(mut app: TestApp) {
    completed_learner(&mut app, "told@example.kz", "Айгерім Сәрсенова", Locale::Kk).await;
    let notices = |app: &TestApp| {
        let mut conn = app.state.pool.get().unwrap();
        bilim::certificates::queue_issued_notices(&mut conn, &app.state.mail, chrono::Utc::now().naive_utc()).unwrap()
    };
    assert_eq!(notices(&app), 1);
    assert_eq!(notices(&app), 0, "told once, however often the worker passes");
    let (subject, body) = app
        .mail_to("told@example.kz")
        .into_iter()
        .find(|m| {
            m.dedupe_key
                .as_deref()
                .is_some_and(|k| k.starts_with("certificate-issued-"))
        })
        .map(|m| (m.subject, m.text_body))
        .unwrap();
    let token = app.api_token("told@example.kz", PASSWORD).await;
    let code = app
        .api(Method::GET, "/api/v1/me/certificates", Some(&token), None)
        .await
        .json()[0]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let title = {
        let mut conn = app.state.pool.get().unwrap();
        bilim::courses::reading::course_title(&mut conn, "demo-course", Locale::Kk).unwrap()
    };
    assert_eq!(
        subject,
        bilim::i18n::t_with(Locale::Kk, "mail.certificate_issued.subject", &[("course", &title)])
    );
    assert!(body.contains(&code), "the message names the certificate: {body}");
    assert!(body.contains("http://localhost/certificates"), "{body}");
}
on_both_backends!(
    completing_every_requirement_issues_one_certificate,
    the_certificate_page_shows_what_is_still_missing,
    concurrent_completion_issues_exactly_one_certificate,
    the_pdf_carries_the_name_and_course_title_in_every_language,
    anyone_can_verify_a_certificate_and_an_unknown_code_reveals_nothing,
    the_signed_credential_checks_against_the_published_key_and_fails_when_tampered,
    coordinators_revoke_their_institutions_certificates_only,
    an_expired_certificate_says_so_and_invites_recertification,
    the_holder_is_told_once_by_email_in_their_language
);
