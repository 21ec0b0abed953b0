//! Two-factor sign-in: setting up an authenticator app, signing in with its codes or
//! a recovery code, the API token, and an installation that requires it of staff.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use actix_web::http::{Method, StatusCode};
use bilim::accounts::model::{Role, UserId};
use common::{TestApp, TestAppBuilder, PASSWORD};
use hmac::{Hmac, Mac};
use serde_json::json;

/// The current code of a base32 secret, computed here the way an authenticator app
/// does (RFC 6238), independently of the server's code.
fn app_code(secret: &str, offset_steps: i64) -> String {
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bits = String::new();
    for c in secret.chars().filter(|c| !c.is_whitespace()) {
        bits.push_str(&format!("{:05b}", alphabet.find(c).unwrap()));
    }
    let key: Vec<u8> = bits
        .as_bytes()
        .chunks(8)
        .filter(|chunk| chunk.len() == 8)
        .map(|chunk| u8::from_str_radix(std::str::from_utf8(chunk).unwrap(), 2).unwrap())
        .collect();
    let step = chrono::Utc::now().timestamp() / 30 + offset_steps;
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(&key).unwrap();
    mac.update(&step.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = usize::from(hash[19] & 0x0f);
    let number = u32::from_be_bytes([
        hash[offset] & 0x7f,
        hash[offset + 1],
        hash[offset + 2],
        hash[offset + 3],
    ]);
    format!("{:06}", number % 1_000_000)
}

/// Sets up two-factor sign-in for the signed-in browser; returns the secret and the
/// recovery codes shown.
async fn set_up(browser: &mut common::Browser) -> (String, Vec<String>) {
    let (secret, on) = set_up_showing(browser).await;
    let codes = on.select(".recovery-codes code");
    assert_eq!(codes.len(), 10);
    (secret, codes)
}

/// Sets up two-factor sign-in for the signed-in browser; returns the secret and the
/// page that says it is on.
async fn set_up_showing(browser: &mut common::Browser) -> (String, common::TestResponse) {
    let page = browser.get("/profile/two-factor?lang=en").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.has(".qr-code svg"), "a QR code to scan");
    let secret = page.select("code.secret").concat().replace(' ', "");
    assert_eq!(secret.len(), 32, "{secret}");
    let wrong = browser
        .post_form("/profile/two-factor?lang=en", &[("code", "000000")])
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.body.contains("The code is not right or has expired"));
    let on = browser
        .post_form("/profile/two-factor?lang=en", &[("code", &app_code(&secret, 0))])
        .await;
    assert_eq!(on.status, StatusCode::OK, "{}", on.body);
    assert!(on.body.contains("Two-factor sign-in is on."));
    (secret, on)
}

/// With two-factor sign-in on, a right password leads to the code step, and only the
/// app's current code or an unused recovery code opens the account; a code works once.
async fn a_trainer_sets_up_an_authenticator_and_signs_in_with_its_code(app: TestApp) {
    app.create_user("trainer@example.kz", Role::Trainer, None);
    let mut browser = app.signed_in("trainer@example.kz").await;
    let (secret, codes) = set_up(&mut browser).await;

    let mut next_day = app.browser();
    let password = next_day
        .post_form(
            "/login?lang=en",
            &[
                ("email", "trainer@example.kz"),
                ("password", PASSWORD),
                ("next", "/teaching"),
            ],
        )
        .await;
    assert_eq!(password.status, StatusCode::SEE_OTHER);
    assert!(
        password.location().starts_with("/login/two-factor"),
        "{}",
        password.location()
    );
    assert!(
        !next_day.cookies.contains_key("bilim_session"),
        "no session before the code"
    );
    assert_eq!(next_day.get("/profile").await.status, StatusCode::SEE_OTHER);

    let step = next_day.get(&password.location()).await;
    assert_eq!(step.status, StatusCode::OK);
    let wrong = next_day
        .post_form(
            "/login/two-factor?lang=en",
            &[("code", "123456"), ("next", "/teaching")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The code of the step just used to set up is spent; the next one is taken.
    let code = app_code(&secret, 1);
    let right = next_day
        .post_form("/login/two-factor", &[("code", &code), ("next", "/teaching")])
        .await;
    assert_eq!(right.status, StatusCode::SEE_OTHER);
    assert_eq!(right.location(), "/teaching");
    assert_eq!(next_day.get("/profile").await.status, StatusCode::OK);

    // The same code again, from another browser: refused, it was used.
    let mut thief = app.browser();
    thief
        .post_form("/login", &[("email", "trainer@example.kz"), ("password", PASSWORD)])
        .await;
    let replay = thief.post_form("/login/two-factor", &[("code", &code)]).await;
    assert_eq!(replay.status, StatusCode::UNPROCESSABLE_ENTITY, "a code works once");
    let recovery = thief.post_form("/login/two-factor", &[("code", &codes[0])]).await;
    assert_eq!(recovery.status, StatusCode::SEE_OTHER, "a recovery code opens it once");
    let mut again = app.browser();
    again
        .post_form("/login", &[("email", "trainer@example.kz"), ("password", PASSWORD)])
        .await;
    let reused = again.post_form("/login/two-factor", &[("code", &codes[0])]).await;
    assert_eq!(
        reused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "each recovery code once"
    );

    let mut stranger = app.browser();
    let without_password = stranger.post_form("/login/two-factor", &[("code", &codes[1])]).await;
    assert_eq!(without_password.status, StatusCode::SEE_OTHER);
    assert!(without_password.location().starts_with("/login?expired"));
}

/// The API asks for the code too: without it 401 with a message naming the field,
/// with a wrong one 401, with the app's code a token.
async fn the_api_token_needs_the_code_of_an_account_with_two_factors(mut app: TestApp) {
    app.create_user("analyst@example.kz", Role::Trainer, None);
    let mut browser = app.signed_in("analyst@example.kz").await;
    let (secret, _) = set_up(&mut browser).await;
    let ask = |code: Option<String>| {
        let mut body = json!({ "email": "analyst@example.kz", "password": PASSWORD });
        if let Some(code) = code {
            body["code"] = json!(code);
        }
        body
    };
    let without = app
        .api(Method::POST, "/api/v1/auth/token?lang=en", None, Some(ask(None)))
        .await;
    assert_eq!(without.status, StatusCode::UNAUTHORIZED);
    assert!(without.json()["error"].as_str().unwrap().contains("\"code\""));
    let wrong = app
        .api(
            Method::POST,
            "/api/v1/auth/token",
            None,
            Some(ask(Some("999999".into()))),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let right = app
        .api(
            Method::POST,
            "/api/v1/auth/token",
            None,
            // The step used to set up is spent: the app's next code.
            Some(ask(Some(app_code(&secret, 1)))),
        )
        .await;
    assert_eq!(right.status, StatusCode::OK, "{}", right.body);
    assert!(right.json()["token"].is_string());
}

/// Where the installation requires it, a coordinator without a second factor sets it
/// up as part of signing in, sees the recovery codes, and cannot turn it off; a
/// learner is not asked. Setting it up ends the sessions from before, as turning it
/// on from the profile does.
async fn an_installation_can_require_a_second_factor_of_staff(app: TestAppBuilder) {
    let app = app.with_config(|c| c.require_two_factor = true).start().await;
    let academy = app.create_institution("Академия", bilim::accounts::model::Country::Kz);
    let id = app.create_user("coordinator@example.kz", Role::Coordinator, Some(academy));
    app.create_user("learner@example.kz", Role::Learner, None);
    // A session from before the installation required a second factor.
    let mut earlier = app.browser();
    let issued = bilim::accounts::session::issue(&app.state.config.secret, UserId(id), 0).unwrap();
    earlier.cookies.insert("bilim_session".into(), issued.token);
    assert_eq!(earlier.get("/profile").await.status, StatusCode::OK);

    let mut learner = app.browser();
    let signed = learner
        .post_form("/login", &[("email", "learner@example.kz"), ("password", PASSWORD)])
        .await;
    assert_eq!(signed.location(), "/", "learners are not asked");

    let mut coordinator = app.browser();
    let password = coordinator
        .post_form("/login", &[("email", "coordinator@example.kz"), ("password", PASSWORD)])
        .await;
    assert!(password.location().starts_with("/login/two-factor"));
    let step = coordinator.get(&format!("{}&lang=en", password.location())).await;
    assert!(step.body.contains("Set up two-factor sign-in to continue"));
    let secret = step.select("code.secret").concat().replace(' ', "");
    let done = coordinator
        .post_form(
            "/login/two-factor?lang=en",
            &[("code", &app_code(&secret, 0)), ("next", "/coordinator/runs")],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert_eq!(done.select(".recovery-codes code").len(), 10);
    assert_eq!(done.select_attr("a.button", "href"), ["/coordinator/runs"]);
    assert_eq!(coordinator.get("/coordinator/runs").await.status, StatusCode::OK);
    assert_eq!(
        earlier.get("/profile").await.status,
        StatusCode::SEE_OTHER,
        "the session from before has ended"
    );

    let off = coordinator
        .post_form(
            "/profile/two-factor/off?lang=en",
            &[("password", PASSWORD), ("code", &app_code(&secret, 1))],
        )
        .await;
    assert_eq!(off.status, StatusCode::CONFLICT);
    assert!(off.body.contains("required for your role"));
}

/// A new password from a reset link is the first factor only: the second step still
/// stands between it and a session.
async fn a_password_reset_does_not_skip_the_second_factor(app: TestApp) {
    app.create_user("reset@example.kz", Role::Trainer, None);
    let mut browser = app.signed_in("reset@example.kz").await;
    set_up(&mut browser).await;
    let mut mailbox_thief = app.browser();
    mailbox_thief
        .post_form("/password/forgot", &[("email", "reset@example.kz")])
        .await;
    let token = app.token_sent_to("reset@example.kz");
    let reset = mailbox_thief
        .post_form(
            "/password/reset",
            &[
                ("token", &token),
                ("password", "a new passphrase of mine"),
                ("password_confirmation", "a new passphrase of mine"),
            ],
        )
        .await;
    assert_eq!(reset.status, StatusCode::SEE_OTHER);
    assert!(
        reset.location().starts_with("/login/two-factor"),
        "{}",
        reset.location()
    );
    assert!(
        !mailbox_thief.cookies.contains_key("bilim_session"),
        "no session without the code"
    );
    assert_eq!(mailbox_thief.get("/profile").await.status, StatusCode::SEE_OTHER);
}

/// What `GET /api/v1/me` answers to `token`.
async fn me(app: &TestApp, token: &str) -> StatusCode {
    app.browser()
        .api(Method::GET, "/api/v1/me", Some(token), None)
        .await
        .status
}

/// Turning two-factor sign-in on, and off again, ends every other session and API
/// token of the person, as a password change does; the browser that made the change
/// stays signed in, and the forms of the page it was shown still post.
async fn turning_two_factor_on_or_off_ends_the_other_sessions_and_api_tokens(app: TestApp) {
    let email = "careful@example.kz";
    app.create_user(email, Role::Trainer, None);
    let mut laptop = app.signed_in(email).await;
    let mut phone = app.signed_in(email).await;
    let token = app.browser().api_token(email, PASSWORD).await;
    assert_eq!(me(&app, &token).await, StatusCode::OK);

    let (secret, on) = set_up_showing(&mut laptop).await;
    assert_eq!(
        phone.get("/profile").await.status,
        StatusCode::SEE_OTHER,
        "the phone is signed out"
    );
    assert_eq!(
        me(&app, &token).await,
        StatusCode::UNAUTHORIZED,
        "the API token is revoked"
    );
    assert_eq!(
        laptop.get("/profile").await.status,
        StatusCode::OK,
        "the browser that turned it on"
    );

    // Signed in again, now with a code; an API token with a recovery code.
    let codes = on.select(".recovery-codes code");
    let mut phone = app.browser();
    phone
        .post_form("/login", &[("email", email), ("password", PASSWORD)])
        .await;
    let step = phone
        .post_form("/login/two-factor", &[("code", &app_code(&secret, 1))])
        .await;
    assert_eq!(step.status, StatusCode::SEE_OTHER, "{}", step.body);
    let token = app
        .browser()
        .api(
            Method::POST,
            "/api/v1/auth/token",
            None,
            Some(json!({ "email": email, "password": PASSWORD, "code": codes[1] })),
        )
        .await
        .json()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(me(&app, &token).await, StatusCode::OK);

    // Turned off from the form of the page that said it was on.
    let form_token = on.select_attr("form[action='/profile/two-factor/off'] input[name=csrf_token]", "value");
    let off = laptop
        .post_form_without_token(
            "/profile/two-factor/off",
            &[
                ("csrf_token", &form_token[0]),
                ("password", PASSWORD),
                ("code", &codes[0]),
            ],
        )
        .await;
    assert_eq!(off.status, StatusCode::SEE_OTHER, "{}", off.body);
    assert_eq!(off.location(), "/profile/two-factor?done=off");
    assert_eq!(
        phone.get("/profile").await.status,
        StatusCode::SEE_OTHER,
        "the phone is signed out"
    );
    assert_eq!(
        me(&app, &token).await,
        StatusCode::UNAUTHORIZED,
        "the API token is revoked"
    );
    assert_eq!(laptop.get("/profile").await.status, StatusCode::OK);
}

on_both_backends!(
    turning_two_factor_on_or_off_ends_the_other_sessions_and_api_tokens,
    a_password_reset_does_not_skip_the_second_factor,
    a_trainer_sets_up_an_authenticator_and_signs_in_with_its_code,
    the_api_token_needs_the_code_of_an_account_with_two_factors
);
on_both_backends!(an_installation_can_require_a_second_factor_of_staff);
