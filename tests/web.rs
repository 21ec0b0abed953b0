//! Pages as a browser meets them: languages, errors, headers, assets, malformed input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use actix_web::http::{header, StatusCode};
use bilim::accounts::model::Role;
use common::{TestApp, TestAppBuilder, PASSWORD};

async fn the_language_comes_from_the_query_then_the_cookie_then_the_profile_then_the_browser(mut app: TestApp) {
    let default = app.get("/").await;
    assert_eq!(default.lang(), "ru", "the default language is Russian");

    let browser = app
        .get_with_header("/", header::ACCEPT_LANGUAGE, "de-DE, ky;q=0.9, en;q=0.8")
        .await;
    assert_eq!(browser.lang(), "ky");

    let chosen = app.get("/?lang=tg").await;
    assert_eq!(chosen.lang(), "tg");
    assert_eq!(app.cookies.get("bilim_lang").map(String::as_str), Some("tg"));
    let remembered = app.get_with_header("/", header::ACCEPT_LANGUAGE, "en").await;
    assert_eq!(remembered.lang(), "tg", "the remembered choice beats the browser");

    app.cookies.remove("bilim_lang");
    app.create_user("pref@example.kz", Role::Learner, None);
    {
        let mut conn = app.state.pool.get().unwrap();
        let user = bilim::accounts::store::find_row_by_email(&mut conn, "pref@example.kz")
            .unwrap()
            .unwrap();
        bilim::accounts::store::update_profile(
            &mut conn,
            user.id,
            &bilim::accounts::store::ProfileUpdate {
                name: "Pref",
                country: None,
                institution_id: None,
                category: bilim::accounts::model::Category::Other,
                locale: bilim::i18n::Locale::Tk,
                gender: None,
            },
        )
        .unwrap();
    }
    app.sign_in("pref@example.kz", PASSWORD).await;
    let profile = app.get_with_header("/profile", header::ACCEPT_LANGUAGE, "en").await;
    assert_eq!(profile.lang(), "tk", "the profile's language beats the browser");

    let unknown = app.get("/?lang=xx").await;
    assert_eq!(unknown.lang(), "tk", "an unknown language is ignored");
}

async fn every_page_has_a_switcher_naming_each_language_in_itself(mut app: TestApp) {
    let page = app.get("/login?next=%2Fprofile&lang=en").await;
    for name in [
        "Русский",
        "Қазақша",
        "Кыргызча",
        "Тоҷикӣ",
        "Türkmençe",
        "Oʻzbekcha",
        "English",
    ] {
        assert!(page.body.contains(name), "{name}");
    }
    assert_eq!(
        page.select_attr("a[hreflang=uz]", "href"),
        ["/login?next=%2Fprofile&lang=uz"],
        "the switcher keeps the page and its query"
    );
}

async fn unknown_pages_get_a_localised_404(mut app: TestApp) {
    let english = app.get("/no/such/page?lang=en").await;
    assert_eq!(english.status, StatusCode::NOT_FOUND);
    assert!(english.body.contains("Page not found"));
    let russian = app.get("/no/such/page?lang=ru").await;
    assert!(russian.body.contains("Страница не найдена"));
    let kazakh = app.get("/no/such/page?lang=kk").await;
    assert_eq!(kazakh.status, StatusCode::NOT_FOUND);
    assert_eq!(kazakh.lang(), "kk");
    assert_eq!(kazakh.select("h1"), ["Бет табылмады"]);
    assert_eq!(
        kazakh.select("p.lead"),
        ["Мекенжайдың дұрыс екенін тексеріңіз. Бет басқа орынға ауыстырылған немесе жойылған болуы мүмкін."]
    );
}

async fn malformed_form_posts_get_clear_errors_and_never_a_500(mut app: TestApp) {
    let token = app.csrf_token().await;
    let invalid_utf8 = [b"csrf_token=".as_slice(), token.as_bytes(), b"&email=%FF%FE&password=x"].concat();
    let response = app
        .post_raw("/login?lang=en", "application/x-www-form-urlencoded", invalid_utf8)
        .await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert!(response.body.contains("could not be read"));

    let huge = format!("csrf_token={token}&name={}", "a".repeat(200_000));
    let response = app
        .post_raw(
            "/register?lang=en",
            "application/x-www-form-urlencoded",
            huge.into_bytes(),
        )
        .await;
    assert_eq!(response.status, StatusCode::PAYLOAD_TOO_LARGE);

    let json = app.post_raw("/login?lang=en", "application/json", b"{}".to_vec()).await;
    assert_eq!(json.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let wrong_method = app.send(actix_web::test::TestRequest::delete().uri("/login")).await;
    assert!(wrong_method.status.is_client_error());

    let garbage = app
        .post_raw(
            "/login?lang=en",
            "application/x-www-form-urlencoded",
            format!("csrf_token={token}&&&=&%%%").into_bytes(),
        )
        .await;
    assert!(garbage.status.is_client_error(), "{}", garbage.status);

    let too_long = "я".repeat(201);
    let response = app
        .post_form(
            "/register?lang=en",
            &[
                ("name", &too_long),
                ("country", "KZ"),
                ("category", "judge"),
                ("locale", "ru"),
                ("email", "long@example.kz"),
                ("password", PASSWORD),
                ("password_confirmation", PASSWORD),
            ],
        )
        .await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.body.contains("Enter no more than 200 characters"));
}

async fn pages_carry_security_headers_and_cookies_are_httponly(mut app: TestApp) {
    let page = app.get("/login").await;
    let csp = page.header("content-security-policy");
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'") && !csp.contains("unsafe-inline")
    );
    assert_eq!(page.header("x-content-type-options"), "nosniff");
    let set_cookie = page.header("set-cookie");
    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"),
        "{set_cookie}"
    );

    app.create_user("cookie.flags@example.kz", Role::Learner, None);
    let response = app
        .post_form(
            "/login",
            &[("email", "cookie.flags@example.kz"), ("password", PASSWORD)],
        )
        .await;
    let session = response
        .headers
        .get_all(header::SET_COOKIE)
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("bilim_session="))
        .unwrap();
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Lax") && session.contains("Max-Age="),
        "{session}"
    );
}

/// Pages and JSON that may carry personal data are never stored by a cache; a HEAD
/// request is answered as GET is (status and headers).
async fn personal_pages_and_json_are_not_cached_and_head_answers_like_get(mut app: TestApp) {
    app.create_user("cache@example.kz", Role::Learner, None);
    let token = app.api_token("cache@example.kz", PASSWORD).await;
    let me = app
        .api(actix_web::http::Method::GET, "/api/v1/me", Some(&token), None)
        .await;
    assert_eq!(me.header("cache-control"), "no-store");
    app.sign_in("cache@example.kz", PASSWORD).await;
    let profile = app.get("/profile").await;
    assert_eq!(profile.status, StatusCode::OK);
    assert_eq!(profile.header("cache-control"), "no-store");
    assert_eq!(profile.header("strict-transport-security"), "", "no HSTS over http");

    for path in ["/", "/login", "/courses", "/healthz"] {
        let get = app.get(path).await;
        let head = app
            .send(
                actix_web::test::TestRequest::default()
                    .method(actix_web::http::Method::HEAD)
                    .uri(path),
            )
            .await;
        assert_eq!(head.status, get.status, "{path}");
        assert_eq!(head.header("content-type"), get.header("content-type"), "{path}");
    }
}

/// Signed in, the CSRF token of the forms is bound to the session: a token that
/// matches the CSRF cookie alone (as one planted together with that cookie would)
/// is refused, and the bound one is taken.
async fn once_signed_in_the_csrf_token_is_bound_to_the_session(mut app: TestApp) {
    app.create_user("bound@example.kz", Role::Learner, None);
    app.sign_in("bound@example.kz", PASSWORD).await;
    let cookie_value = app.cookies.get("bilim_csrf").cloned().unwrap();
    let form_token = app.csrf_token().await;
    assert_ne!(form_token, cookie_value, "the form's token is not the cookie itself");
    let planted = app
        .post_form_without_token(
            "/profile/password",
            &[
                ("csrf_token", &cookie_value),
                ("current_password", PASSWORD),
                ("new_password", "a brand new passphrase"),
                ("new_password_confirmation", "a brand new passphrase"),
            ],
        )
        .await;
    assert_eq!(planted.status, StatusCode::FORBIDDEN);
    let bound = app
        .post_form_without_token(
            "/profile/password",
            &[
                ("csrf_token", &form_token),
                ("current_password", "wrong"),
                ("new_password", "a brand new passphrase"),
                ("new_password_confirmation", "a brand new passphrase"),
            ],
        )
        .await;
    assert_eq!(bound.status, StatusCode::UNPROCESSABLE_ENTITY, "past the CSRF check");
}

async fn the_stylesheet_is_fingerprinted_cached_and_compressed(mut app: TestApp) {
    let page = app.get("/").await;
    let start = page.body.find("/static/bilim-").unwrap();
    let end = page.body[start..].find('"').unwrap() + start;
    let url = page.body[start..end].to_owned();
    let css = app.get_with_header(&url, header::ACCEPT_ENCODING, "gzip").await;
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(css.header("content-encoding"), "gzip");
    assert!(css.header("cache-control").contains("immutable"));
    assert_eq!(
        app.get("/static/bilim-0000000000.css").await.status,
        StatusCode::NOT_FOUND
    );
    assert!(page.body.len() < 30 * 1024, "a page stays under the HTML budget");
    assert!(!page.body.contains("<script"), "no JavaScript is needed");
}
on_both_backends!(
    the_language_comes_from_the_query_then_the_cookie_then_the_profile_then_the_browser,
    every_page_has_a_switcher_naming_each_language_in_itself,
    unknown_pages_get_a_localised_404,
    malformed_form_posts_get_clear_errors_and_never_a_500,
    pages_carry_security_headers_and_cookies_are_httponly,
    personal_pages_and_json_are_not_cached_and_head_answers_like_get,
    once_signed_in_the_csrf_token_is_bound_to_the_session,
    the_stylesheet_is_fingerprinted_cached_and_compressed
);

async fn with_secure_cookies_configured_every_cookie_is_marked_secure(app: TestAppBuilder) {
    let mut app = app.with_config(|c| c.secure_cookies = true).start().await;
    let page = app.get("/login?lang=en").await;
    let cookies: Vec<String> = page
        .headers
        .get_all(header::SET_COOKIE)
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(cookies.iter().any(|c| c.starts_with("bilim_csrf=")), "{cookies:?}");
    app.create_user("secure@example.kz", Role::Learner, None);
    let signed_in = app
        .post_form("/login", &[("email", "secure@example.kz"), ("password", PASSWORD)])
        .await;
    let session: Vec<String> = signed_in
        .headers
        .get_all(header::SET_COOKIE)
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(session.iter().any(|c| c.starts_with("bilim_session=")), "{session:?}");
    for cookie in cookies.iter().chain(&session) {
        assert!(cookie.contains("; Secure"), "{cookie}");
    }
}

on_both_backends!(with_secure_cookies_configured_every_cookie_is_marked_secure);

/// With an https public address, every answer tells browsers to keep to https.
async fn with_an_https_address_every_answer_carries_hsts(app: TestAppBuilder) {
    let mut app = app.with_config(|c| c.secure_cookies = true).start().await;
    for path in ["/", "/login", "/no-such-page"] {
        let page = app.get(path).await;
        assert_eq!(page.header("strict-transport-security"), "max-age=31536000", "{path}");
    }
}

on_both_backends!(with_an_https_address_every_answer_carries_hsts);

/// A client that announces a body, sends a few bytes and then nothing more holds its
/// connection no longer than the body timeout: the request ends in a client error.
async fn a_body_that_never_arrives_in_full_is_cut_off_at_the_deadline(app: TestAppBuilder) {
    use std::time::Duration;
    let mut app = app
        .with_config(|c| c.body_timeout = Duration::from_secs(1))
        .start()
        .await;
    let (mut sender, payload) = actix_http::h1::Payload::create(false);
    sender.feed_data(actix_web::web::Bytes::from_static(b"email=slow%40example.kz&pass"));
    let request = actix_web::test::TestRequest::post()
        .uri("/login")
        .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
        .insert_header((header::CONTENT_LENGTH, "60000"))
        .to_request();
    let (request, _) = request.replace_payload(actix_http::Payload::from(payload));
    let response = actix_web::rt::time::timeout(Duration::from_secs(20), app.call(request))
        .await
        .expect("an answer once the deadline has passed, not a connection held open");
    assert!(response.status.is_client_error(), "{}", response.status);
    drop(sender);
}

on_both_backends!(a_body_that_never_arrives_in_full_is_cut_off_at_the_deadline);
