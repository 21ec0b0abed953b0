//! Accounts through the web pages: registration, sign-in, profile, sign-out, password
//! change, the first administrator's setup, roles and CSRF.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use actix_web::http::StatusCode;
use bilim::accounts::model::{Country, Role};
use bilim::web::proxies::{ForwardedHeader, TrustedProxies};
use common::{TestApp, TestAppBuilder, PASSWORD};

fn registration<'a>(email: &'a str, locale: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", "Айгерім Сәрсенова"),
        ("country", "KZ"),
        ("institution_id", ""),
        ("category", "investigator"),
        ("locale", locale),
        ("email", email),
        ("password", PASSWORD),
        ("password_confirmation", PASSWORD),
    ]
}

async fn a_visitor_registers_signs_in_sees_the_profile_signs_out_and_signs_in_again(mut app: TestApp) {
    let page = app.get("/register?lang=kk").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.lang(), "kk");
    assert_eq!(
        page.select("select#locale option[value=uz][lang=uz]"),
        ["Oʻzbekcha"],
        "each language is named in its own words, marked with its language"
    );

    let created = app
        .post_form("/register", &registration("aigerim@example.kz", "kk"))
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    assert_eq!(created.select("h1"), ["Поштаңызды тексеріңіз"]);
    assert!(created.body.contains("aigerim@example.kz"));
    assert!(
        !app.cookies.contains_key("bilim_session"),
        "registering does not sign in, whatever the address"
    );
    app.sign_in("aigerim@example.kz", PASSWORD).await;

    let profile = app.get("/profile").await;
    assert_eq!(profile.status, StatusCode::OK);
    assert!(profile.body.contains("aigerim@example.kz"));
    assert!(profile.body.contains("Айгерім Сәрсенова"));
    assert_eq!(profile.lang(), "kk");

    let uzbek = app.get("/profile?lang=uz").await;
    assert_eq!(uzbek.lang(), "uz");

    let signed_out = app.post_form("/logout", &[]).await;
    assert_eq!(signed_out.status, StatusCode::SEE_OTHER);
    assert!(!app.cookies.contains_key("bilim_session"));
    let after = app.get("/profile").await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
    assert_eq!(after.location(), "/login?next=%2Fprofile");

    app.sign_in("AIGERIM@example.kz ", PASSWORD).await;
    let again = app.get("/profile").await;
    assert_eq!(again.status, StatusCode::OK);
    // The language chosen last (Uzbek) is kept across sign-out and sign-in.
    assert_eq!(again.lang(), "uz");
}

async fn a_visitor_who_is_not_signed_in_is_sent_to_the_login_page_and_back(mut app: TestApp) {
    let response = app.get("/profile").await;
    assert_eq!(response.status, StatusCode::SEE_OTHER);
    assert_eq!(response.location(), "/login?next=%2Fprofile");
    app.create_user("back@example.kz", Role::Learner, None);
    let token = app.csrf_token().await;
    let signed_in = app
        .post_form_without_token(
            "/login",
            &[
                ("csrf_token", &token),
                ("email", "back@example.kz"),
                ("password", PASSWORD),
                ("next", "/profile"),
            ],
        )
        .await;
    assert_eq!(signed_in.location(), "/profile");
    app.sign_out_locally();
    let offsite = app
        .post_form_without_token(
            "/login",
            &[
                ("csrf_token", &token),
                ("email", "back@example.kz"),
                ("password", PASSWORD),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(offsite.location(), "/", "a sign-in never redirects to another site");
}

async fn a_sign_in_follows_next_only_to_a_plain_path_on_this_site(mut app: TestApp) {
    app.create_user("back@example.kz", Role::Learner, None);
    let at_home = app
        .post_form(
            "/login",
            &[
                ("email", "back@example.kz"),
                ("password", PASSWORD),
                ("next", "/runs?lang=kk"),
            ],
        )
        .await;
    assert_eq!(at_home.location(), "/runs?lang=kk", "a path on this site is followed");
    // Eight more sign-ins stay under the per-minute limit of the test's one address.
    // Other control characters (NUL, DEL…) are refused with the whole form.
    let offsite = [
        "/\t/evil.example/",
        "/\r\nSet-Cookie: x=1",
        "/\u{2028}/evil.example/",
        "/ /evil.example/",
        "/\\evil.example/",
        "/\u{200B}/evil.example/",
        "/\u{202E}elpmaxe.live//",
        "evil.example",
    ];
    for next in offsite {
        app.sign_out_locally();
        let response = app
            .post_form(
                "/login",
                &[("email", "back@example.kz"), ("password", PASSWORD), ("next", next)],
            )
            .await;
        assert_eq!(
            response.status,
            StatusCode::SEE_OTHER,
            "{next:?} never breaks the sign-in"
        );
        assert_eq!(response.location(), "/", "{next:?} is ignored: the person's home page");
    }
}

/// A password of twelve characters or more is still refused when it is one that
/// people choose most often, such a word with digits added, or the person's own
/// address or name; a new name with a right-to-left override is refused too.
async fn common_or_personal_passwords_and_reversed_names_are_refused_with_a_reason(mut app: TestApp) {
    let register = |name: &'static str, email: &'static str, password: &'static str| {
        vec![
            ("name", name),
            ("country", "KZ"),
            ("category", "investigator"),
            ("locale", "en"),
            ("email", email),
            ("password", password),
            ("password_confirmation", password),
        ]
    };
    for (password, message) in [
        ("qwerty123456", "This password is among the most common ones"),
        ("Password2024!", "This password is among the most common ones"),
        (
            "aigerim.saparova",
            "The password must not be your email address or your name",
        ),
    ] {
        let response = app
            .post_form(
                "/register?lang=en",
                &register("Aigerim Saparova", "aigerim.saparova@example.kz", password),
            )
            .await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{password}");
        assert!(
            response.select("#password-error").concat().contains(message),
            "{password}: {:?}",
            response.select("#password-error")
        );
    }
    let reversed = app
        .post_form(
            "/register?lang=en",
            &register("Aigerim \u{202E}avorapaS", "aigerim.saparova@example.kz", PASSWORD),
        )
        .await;
    assert_eq!(reversed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reversed
        .select("#name-error")
        .concat()
        .contains("Remove the special characters from this field"));
    let mut conn = app.state.pool.get().unwrap();
    assert!(
        bilim::accounts::store::find_row_by_email(&mut conn, "aigerim.saparova@example.kz")
            .unwrap()
            .is_none(),
        "no account was made"
    );
}

async fn registration_errors_are_shown_beside_each_field_with_a_summary_and_nothing_is_saved(mut app: TestApp) {
    let response = app
        .post_form(
            "/register?lang=en",
            &[
                ("name", ""),
                ("country", "XX"),
                ("category", "astronaut"),
                ("locale", "fr"),
                ("email", "not-an-email"),
                ("password", "short"),
                ("password_confirmation", ""),
            ],
        )
        .await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.title().starts_with("Error:"), "{}", response.title());
    assert!(response.body.contains("There is a problem"));
    for (field, message) in [
        ("name", "Enter your full name"),
        ("country", "Choose a country from the list"),
        ("category", "Choose your professional category"),
        ("locale", "Choose a language from the list"),
        ("email", "Enter an email address in the correct format"),
        ("password", "The password must be at least 12 characters long"),
    ] {
        assert!(
            response
                .select(&format!(".error-summary a[href='#{field}']"))
                .iter()
                .any(|link| link.starts_with(message)),
            "summary link for {field}"
        );
        assert!(response.has(&format!("#{field}-error")), "message beside {field}");
    }
    assert!(response.has("[aria-invalid=true]"));
    let mut conn = app.state.pool.get().unwrap();
    assert!(!bilim::accounts::store::email_exists(&mut conn, "not-an-email").unwrap());
}

/// A page's body with what differs between two browsers' answers (the address
/// typed, the CSRF token) blanked out.
fn without(body: &str, email: &str, csrf: &str) -> String {
    body.replace(email, "EMAIL").replace(csrf, "CSRF")
}

async fn registering_a_taken_address_answers_as_for_a_new_one_and_tells_the_owner_by_mail(app: TestApp) {
    let owner = app.create_user("taken@example.kz", Role::Learner, None);
    let hash_before = {
        let mut conn = app.state.pool.get().unwrap();
        bilim::accounts::store::find_row_by_email(&mut conn, "taken@example.kz")
            .unwrap()
            .unwrap()
            .password_hash
    };
    let mut newcomer = app.browser_from("198.51.100.1");
    let mut prober = app.browser_from("198.51.100.2");
    let new = newcomer
        .post_form("/register", &registration("new@example.kz", "kk"))
        .await;
    let taken = prober
        .post_form("/register", &registration("Taken@Example.kz", "kk"))
        .await;

    assert_eq!(new.status, StatusCode::OK, "{}", new.body);
    assert_eq!(taken.status, StatusCode::OK, "{}", taken.body);
    assert_eq!(
        without(&taken.body, "taken@example.kz", &prober.csrf_token().await),
        without(&new.body, "new@example.kz", &newcomer.csrf_token().await),
        "the same page for a taken address as for a new one"
    );
    assert_eq!(taken.select("h1"), ["Проверьте почту"]);
    for (response, browser) in [(&new, &newcomer), (&taken, &prober)] {
        assert!(!browser.cookies.contains_key("bilim_session"));
        assert_eq!(
            browser.cookies.get("bilim_lang").map(String::as_str),
            Some("kk"),
            "{:?}",
            response.headers
        );
    }

    // The owner's account is as it was, and its owner is told, in their language,
    // with a link to sign in and the page that resets a password.
    let mut conn = app.state.pool.get().unwrap();
    let row = bilim::accounts::store::find_row_by_email(&mut conn, "taken@example.kz")
        .unwrap()
        .unwrap();
    assert_eq!(row.id.get(), owner);
    assert_eq!(row.name, "Test learner");
    assert_eq!(row.password_hash, hash_before);
    let told = app.mail_to("taken@example.kz");
    assert_eq!(told.len(), 1);
    assert_eq!(
        told[0].subject,
        "Кто-то пытался зарегистрироваться в Bilim с вашим адресом"
    );
    assert!(
        told[0].text_body.contains("http://localhost/login"),
        "{}",
        told[0].text_body
    );
    assert!(told[0].text_body.contains("http://localhost/password/forgot"));
    let welcomed = app.mail_to("new@example.kz");
    assert_eq!(welcomed.len(), 1);
    assert_eq!(
        welcomed[0].subject,
        "Bilim платформасы үшін электрондық пошта мекенжайыңызды растаңыз"
    );
}

async fn an_institution_from_another_country_is_refused_at_registration(mut app: TestApp) {
    let bishkek = app.create_institution("Академия МВД", Country::Kg);
    let id = bishkek.to_string();
    let mut fields = registration("mixed@example.kz", "en");
    fields.retain(|(k, _)| *k != "institution_id");
    fields.push(("institution_id", &id));
    let response = app.post_form("/register?lang=en", &fields).await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response
        .body
        .contains("The institution you chose is in another country"));
}

async fn a_post_without_a_valid_csrf_token_is_rejected_and_changes_nothing(mut app: TestApp) {
    let mut fields = registration("csrf@example.kz", "en");
    fields.push(("csrf_token", "forged-token-forged-token-forged-token"));
    app.csrf_token().await;
    let response = app.post_form_without_token("/register?lang=en", &fields).await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
    assert!(response.body.contains("The form has expired"));
    let missing = app
        .post_form_without_token("/login", &[("email", "csrf@example.kz"), ("password", PASSWORD)])
        .await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    let mut conn = app.state.pool.get().unwrap();
    assert!(!bilim::accounts::store::email_exists(&mut conn, "csrf@example.kz").unwrap());
}

async fn a_wrong_password_gets_one_message_that_does_not_reveal_whether_the_account_exists(mut app: TestApp) {
    app.create_user("known@example.kz", Role::Learner, None);
    let wrong = app
        .post_form(
            "/login?lang=en",
            &[("email", "known@example.kz"), ("password", "wrong password!")],
        )
        .await;
    let unknown = app
        .post_form(
            "/login?lang=en",
            &[("email", "nobody@example.kz"), ("password", "wrong password!")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    let message = "The email address or password is incorrect";
    assert!(wrong.body.contains(message) && unknown.body.contains(message));
    assert!(!app.cookies.contains_key("bilim_session"));
}

async fn signing_out_revokes_the_session_token_on_the_server(mut app: TestApp) {
    app.create_user("revoke@example.kz", Role::Learner, None);
    app.sign_in("revoke@example.kz", PASSWORD).await;
    let stolen = app.cookies.get("bilim_session").cloned().unwrap();
    app.post_form("/logout", &[]).await;
    app.cookies.insert("bilim_session".into(), stolen);
    let response = app.get("/profile").await;
    assert_eq!(
        response.status,
        StatusCode::SEE_OTHER,
        "an old session token must not work after sign-out"
    );
}

async fn changing_the_password_keeps_this_session_and_ends_the_others(mut app: TestApp) {
    app.create_user("change@example.kz", Role::Learner, None);
    app.sign_in("change@example.kz", PASSWORD).await;
    let other_device = app.cookies.get("bilim_session").cloned().unwrap();

    let wrong = app
        .post_form(
            "/profile/password?lang=en",
            &[
                ("current_password", "not it at all"),
                ("new_password", "a brand new passphrase"),
                ("new_password_confirmation", "a brand new passphrase"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.body.contains("The current password is incorrect"));

    let changed = app
        .post_form(
            "/profile/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a brand new passphrase"),
                ("new_password_confirmation", "a brand new passphrase"),
            ],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER);
    assert_eq!(app.get("/profile").await.status, StatusCode::OK);

    let this_device = app.cookies.get("bilim_session").cloned().unwrap();
    app.cookies.insert("bilim_session".into(), other_device);
    assert_eq!(app.get("/profile").await.status, StatusCode::SEE_OTHER);
    app.cookies.insert("bilim_session".into(), this_device);

    app.sign_out_locally();
    let old = app
        .post_form("/login", &[("email", "change@example.kz"), ("password", PASSWORD)])
        .await;
    assert_eq!(old.status, StatusCode::UNPROCESSABLE_ENTITY);
    app.sign_in("change@example.kz", "a brand new passphrase").await;
}

async fn the_profile_saves_new_details_and_switches_to_the_chosen_language(mut app: TestApp) {
    let institution = app
        .create_institution("Академия правоохранительных органов", Country::Kz)
        .to_string();
    app.create_user("profile@example.kz", Role::Learner, None);
    app.sign_in("profile@example.kz", PASSWORD).await;
    let saved = app
        .post_form(
            "/profile",
            &[
                ("name", "Ерлан Ахметов"),
                ("country", "KZ"),
                ("institution_id", &institution),
                ("category", "prosecutor"),
                ("locale", "kk"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let profile = app.get("/profile?saved=profile").await;
    assert!(profile.body.contains("Ерлан Ахметов"));
    assert_eq!(profile.lang(), "kk");
    assert!(profile.has(&format!("option[value='{institution}'][selected]")));
    let token = app.api_token("profile@example.kz", PASSWORD).await;
    let me = app
        .api(actix_web::http::Method::GET, "/api/v1/me", Some(&token), None)
        .await
        .json();
    assert_eq!(me["locale"], "kk");
    assert_eq!(me["institution_id"], institution.parse::<i64>().unwrap());
}

async fn gender_is_recorded_only_when_the_person_gives_it(mut app: TestApp) {
    let id = app.create_user("gender@example.kz", Role::Learner, None);
    app.sign_in("gender@example.kz", PASSWORD).await;
    let gender = |app: &common::TestApp| -> Option<String> {
        use diesel::prelude::*;
        let mut conn = app.state.pool.get().unwrap();
        bilim::db::schema::users::table
            .find(id)
            .select(bilim::db::schema::users::gender)
            .first(&mut conn)
            .unwrap()
    };
    let fields = |gender: &'static str| {
        [
            ("name", "Айжан Нурланова"),
            ("country", "KZ"),
            ("category", "investigator"),
            ("locale", "ru"),
            ("gender", gender),
        ]
    };
    assert_eq!(
        app.post_form("/profile", &fields("female")).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(gender(&app).as_deref(), Some("female"));
    assert!(
        app.get("/profile")
            .await
            .has("input[name=gender][value=female][checked]"),
        "the choice is shown again"
    );

    let refused = app.post_form("/profile", &fields("unknown")).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused
        .body
        .contains(&bilim::i18n::t(bilim::i18n::Locale::Ru, "accounts.gender_invalid")));
    assert_eq!(gender(&app).as_deref(), Some("female"), "nothing changed");

    assert_eq!(
        app.post_form("/profile", &fields("")).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(gender(&app), None, "withdrawn when the person prefers not to say");
}

async fn a_learner_gets_a_localised_403_on_every_admin_page(mut app: TestApp) {
    app.create_user("learner@example.kz", Role::Learner, None);
    app.sign_in("learner@example.kz", PASSWORD).await;
    for path in ["/admin", "/admin/users", "/admin/institutions", "/admin/users/1"] {
        let response = app.get(&format!("{path}?lang=kk")).await;
        assert_eq!(response.status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(response.lang(), "kk");
        assert!(!response.body.contains("errors.forbidden"), "the message is translated");
    }
    let post = app
        .post_form("/admin/institutions", &[("name", "X"), ("country", "KZ")])
        .await;
    assert_eq!(post.status, StatusCode::FORBIDDEN);
}

async fn the_setup_address_creates_the_first_administrator_once(mut app: TestApp) {
    let token = {
        let mut conn = app.state.pool.get().unwrap();
        bilim::accounts::setup::issue_token_if_needed(&mut conn)
            .unwrap()
            .expect("a token while no admin exists")
    };
    assert_eq!(app.get("/setup?token=wrong").await.status, StatusCode::NOT_FOUND);
    let page = app.get(&format!("/setup?token={token}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let created = app
        .post_form(
            "/setup",
            &[
                ("token", &token),
                ("name", "Admin"),
                ("country", "KZ"),
                ("locale", "ru"),
                ("email", "root@example.kz"),
                ("password", PASSWORD),
                ("password_confirmation", PASSWORD),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    assert_eq!(app.get("/admin").await.status, StatusCode::OK);
    app.sign_out_locally();
    assert_eq!(
        app.get(&format!("/setup?token={token}")).await.status,
        StatusCode::NOT_FOUND
    );
    let again = app
        .post_form(
            "/setup",
            &[
                ("token", &token),
                ("name", "Intruder"),
                ("country", "KZ"),
                ("locale", "ru"),
                ("email", "evil@example.kz"),
                ("password", PASSWORD),
                ("password_confirmation", PASSWORD),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    let mut conn = app.state.pool.get().unwrap();
    assert!(bilim::accounts::setup::issue_token_if_needed(&mut conn)
        .unwrap()
        .is_none());
}

async fn an_administrator_adds_institutions_and_appoints_a_coordinator(mut app: TestApp) {
    app.create_user("admin@example.kz", Role::Admin, None);
    let learner = app.create_user("future.coordinator@example.kz", Role::Learner, None);
    app.sign_in("admin@example.kz", PASSWORD).await;

    let empty = app
        .post_form("/admin/institutions?lang=en", &[("name", " "), ("country", "KZ")])
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.body.contains("Enter the name of the institution"));

    let added = app
        .post_form(
            "/admin/institutions",
            &[("name", "Академия МВД Республики Узбекистан"), ("country", "UZ")],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    let duplicate = app
        .post_form(
            "/admin/institutions?lang=en",
            &[("name", "Академия МВД Республики Узбекистан"), ("country", "UZ")],
        )
        .await;
    assert!(duplicate.body.contains("already exists"));
    let list = app.get("/admin/institutions").await;
    assert!(list.body.contains("Академия МВД Республики Узбекистан"));

    let path = format!("/admin/users/{learner}");
    let without = app
        .post_form(
            &format!("{path}?lang=en"),
            &[("role", "coordinator"), ("institution_id", "")],
        )
        .await;
    assert_eq!(without.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(without
        .body
        .contains("Choose the institution this coordinator works for"));

    let institution = {
        let mut conn = app.state.pool.get().unwrap();
        bilim::institutions::list(&mut conn).unwrap()[0].id.to_string()
    };
    let appointed = app
        .post_form(&path, &[("role", "coordinator"), ("institution_id", &institution)])
        .await;
    assert_eq!(appointed.status, StatusCode::SEE_OTHER);
    let users = app.get("/admin/users?role=coordinator").await;
    assert!(users.body.contains("future.coordinator@example.kz"));
    assert_eq!(app.get("/admin/users/999999").await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/admin/users/abc").await.status, StatusCode::NOT_FOUND);
}

async fn the_user_search_finds_cyrillic_and_latin_names_whatever_case_is_typed(mut app: TestApp) {
    app.create_user("admin@example.kz", Role::Admin, None);
    let named = |email: &str, name: &str| {
        app.create_user(email, Role::Learner, None);
        let mut conn = app.state.pool.get().unwrap();
        let id = bilim::accounts::store::find_row_by_email(&mut conn, email)
            .unwrap()
            .unwrap()
            .id;
        bilim::accounts::store::update_profile(
            &mut conn,
            id,
            &bilim::accounts::store::ProfileUpdate {
                name,
                country: None,
                institution_id: None,
                category: bilim::accounts::model::Category::Investigator,
                locale: bilim::i18n::Locale::Ru,
                gender: None,
            },
        )
        .unwrap();
    };
    named("aigerim@example.kz", "Айгерім Сәрсенова");
    named("bobur@example.uz", "Bobur Oʻktamov");
    named("percent@example.kz", "Сто процентов");
    app.sign_in("admin@example.kz", PASSWORD).await;
    for (query, expected) in [
        ("айгерім", "aigerim@example.kz"),
        ("САРСЕНОВА", ""),
        ("СӘРСЕНОВА", "aigerim@example.kz"),
        ("bobur o", "bobur@example.uz"),
        ("AIGERIM@", "aigerim@example.kz"),
    ] {
        let q: String = form_urlencoded::byte_serialize(query.as_bytes()).collect();
        let page = app.get(&format!("/admin/users?q={q}")).await;
        assert_eq!(page.status, StatusCode::OK);
        for email in ["aigerim@example.kz", "bobur@example.uz", "percent@example.kz"] {
            assert_eq!(page.body.contains(email), email == expected, "{query} → {email}");
        }
    }
    let everyone = app.get("/admin/users?q=%25").await;
    assert!(
        !everyone.body.contains("aigerim@example.kz"),
        "a % is a character to find, not a wildcard"
    );
}

async fn the_only_administrator_cannot_remove_their_own_role(mut app: TestApp) {
    let admin = app.create_user("only.admin@example.kz", Role::Admin, None);
    app.sign_in("only.admin@example.kz", PASSWORD).await;
    let response = app
        .post_form(
            &format!("/admin/users/{admin}?lang=en"),
            &[("role", "learner"), ("institution_id", "")],
        )
        .await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.body.contains("This is the only administrator"));
    assert_eq!(app.get("/admin").await.status, StatusCode::OK);
}

/// Two administrators demote each other at the same moment, round after round: one
/// of them always remains, and the audit log records each demotion that happened.
async fn two_administrators_demoting_each_other_at_once_leave_one(app: TestApp) {
    use bilim::db::schema::{audit_events, users};
    use diesel::prelude::*;
    let first = app.create_user("first.admin@example.kz", Role::Admin, None);
    let second = app.create_user("second.admin@example.kz", Role::Admin, None);
    let mut first_browser = app.signed_in("first.admin@example.kz").await;
    let mut second_browser = app.signed_in("second.admin@example.kz").await;
    let demote = [("role", "learner"), ("institution_id", "")];
    let mut demotions = 0;
    for round in 0..10 {
        {
            let mut conn = app.state.pool.get().unwrap();
            diesel::update(users::table.filter(users::id.eq_any([first, second])))
                .set(users::role.eq("admin"))
                .execute(&mut conn)
                .unwrap();
        }
        let (a, b) = futures_util::future::join(
            first_browser.post_form(&format!("/admin/users/{second}?lang=en"), &demote),
            second_browser.post_form(&format!("/admin/users/{first}?lang=en"), &demote),
        )
        .await;
        let admins: i64 = {
            let mut conn = app.state.pool.get().unwrap();
            users::table
                .filter(users::role.eq("admin"))
                .count()
                .get_result(&mut conn)
                .unwrap()
        };
        assert_eq!(admins, 1, "round {round}: {} and {}", a.status, b.status);
        let succeeded = [&a, &b].iter().filter(|r| r.status == StatusCode::SEE_OTHER).count();
        assert_eq!(succeeded, 1, "round {round}: {} and {}", a.status, b.status);
        for refused in [&a, &b].into_iter().filter(|r| r.status != StatusCode::SEE_OTHER) {
            assert!(
                refused.status == StatusCode::FORBIDDEN
                    || (refused.status == StatusCode::UNPROCESSABLE_ENTITY
                        && refused.body.contains("This is the only administrator")),
                "round {round}: {}",
                refused.status
            );
        }
        demotions += succeeded;
    }
    let mut conn = app.state.pool.get().unwrap();
    let recorded: i64 = audit_events::table
        .filter(audit_events::action.eq("role_changed"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(usize::try_from(recorded).unwrap(), demotions);
}

async fn an_administrator_cannot_appoint_a_coordinator_of_an_institution_that_does_not_exist(mut app: TestApp) {
    app.create_user("admin@example.kz", Role::Admin, None);
    let learner = app.create_user("hopeful@example.kz", Role::Learner, None);
    app.sign_in("admin@example.kz", PASSWORD).await;

    let response = app
        .post_form(
            &format!("/admin/users/{learner}?lang=en"),
            &[("role", "coordinator"), ("institution_id", "424242")],
        )
        .await;

    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.body.contains("Choose an institution from the list"));
    let coordinators = app.get("/admin/users?role=coordinator").await;
    assert!(!coordinators.body.contains("hopeful@example.kz"));
}

async fn an_unknown_role_and_an_unknown_institution_are_reported_together(mut app: TestApp) {
    app.create_user("admin@example.kz", Role::Admin, None);
    let learner = app.create_user("hopeful@example.kz", Role::Learner, None);
    app.sign_in("admin@example.kz", PASSWORD).await;

    let response = app
        .post_form(
            &format!("/admin/users/{learner}?lang=en"),
            &[("role", "superuser"), ("institution_id", "424242")],
        )
        .await;

    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        response.select(".error-summary__list a").len(),
        2,
        "both fields are listed: {}",
        response.body
    );
    assert!(response.body.contains("Choose an institution from the list"));
}

/// Posts the login form with a wrong password for `email`.
async fn wrong_password(browser: &mut common::Browser, email: &str) -> common::TestResponse {
    browser
        .post_form("/login?lang=en", &[("email", email), ("password", "guess guess guess")])
        .await
}

async fn failed_sign_ins_into_one_account_stop_at_ten_whatever_addresses_and_instances_they_come_from(app: TestApp) {
    app.create_user("officer@example.kz", Role::Learner, None);
    app.create_user("colleague@example.kz", Role::Learner, None);
    let other = app.another_instance().await;
    for attempt in 0..10 {
        let instance = if attempt % 2 == 0 { &app } else { &other };
        let mut guesser = instance.browser_from(&format!("198.51.100.{attempt}"));
        let response = wrong_password(&mut guesser, "officer@example.kz").await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "attempt {attempt}");
    }
    let locked = "Too many failed sign-in attempts with this email address. Wait 15 minutes";
    let mut fresh = other.browser_from("198.51.100.200");
    let eleventh = wrong_password(&mut fresh, "officer@example.kz").await;
    assert_eq!(eleventh.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(eleventh.body.contains(locked), "{}", eleventh.body);
    // The right password is refused too while the account is locked.
    let mut owner = app.browser_from("203.0.113.5");
    let right = owner
        .post_form(
            "/login?lang=en",
            &[("email", "officer@example.kz"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(right.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(!owner.cookies.contains_key("bilim_session"));
    // Another account signs in from the guessers' addresses.
    app.browser_from("198.51.100.0")
        .sign_in("colleague@example.kz", PASSWORD)
        .await;
    // An address without an account is locked the same way, with the same message.
    for attempt in 0..10 {
        let mut guesser = app.browser_from(&format!("198.51.100.{attempt}"));
        let response = wrong_password(&mut guesser, "nobody@example.kz").await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "attempt {attempt}");
    }
    let unknown = wrong_password(&mut fresh, "NOBODY@example.kz ").await;
    assert_eq!(unknown.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(unknown.body.contains(locked));
}

async fn a_class_of_twenty_five_signs_in_from_one_address_within_a_minute(app: TestApp) {
    for officer in 0..25 {
        app.create_user(&format!("officer{officer}@example.kz"), Role::Learner, None);
    }
    for officer in 0..25 {
        let mut browser = app.browser_from("203.0.113.10");
        browser.sign_in(&format!("officer{officer}@example.kz"), PASSWORD).await;
    }
    let token = app
        .browser_from("203.0.113.10")
        .api_token("officer0@example.kz", PASSWORD)
        .await;
    assert!(!token.is_empty());
}

/// Waits, if need be, until a minute has just begun: limits count in one-minute
/// windows (a sliding estimate across two), so a burst meant to fill one limit must
/// not straddle the turn of a minute.
fn wait_for_a_fresh_minute() {
    use chrono::Timelike;
    let second = chrono::Utc::now().second();
    if second > 35 {
        std::thread::sleep(std::time::Duration::from_secs(u64::from(61 - second)));
    }
}

async fn failed_sign_ins_from_one_address_stop_at_a_hundred_and_other_addresses_go_on(app: TestApp) {
    app.create_user("officer@example.kz", Role::Learner, None);
    let mut guesser = app.browser_from("192.0.2.1");
    wait_for_a_fresh_minute();
    // Five guesses at each of twenty accounts: no account reaches its own limit.
    for attempt in 0..100 {
        let response = wrong_password(&mut guesser, &format!("target{}@example.kz", attempt % 20)).await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "attempt {attempt}");
    }
    let hundred_and_first = wrong_password(&mut guesser, "target99@example.kz").await;
    assert_eq!(hundred_and_first.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(hundred_and_first
        .body
        .contains("Too many attempts in a short time. Wait a minute and try again."));
    let api = guesser
        .api(
            actix_web::http::Method::POST,
            "/api/v1/auth/token?lang=en",
            None,
            Some(serde_json::json!({"email": "officer@example.kz", "password": PASSWORD})),
        )
        .await;
    assert_eq!(api.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        api.json()["error"],
        "Too many attempts in a short time. Wait a minute and try again."
    );

    let mut neighbour = app.browser_from("192.0.2.2");
    let elsewhere = wrong_password(&mut neighbour, "target99@example.kz").await;
    assert_eq!(elsewhere.status, StatusCode::UNPROCESSABLE_ENTITY);
    neighbour.sign_in("officer@example.kz", PASSWORD).await;
}

async fn many_token_requests_at_once_all_succeed_while_password_hashing_is_capped(app: TestApp) {
    for officer in 0..20 {
        app.create_user(&format!("officer{officer}@example.kz"), Role::Learner, None);
    }
    let mut browsers: Vec<common::Browser> = (0..20).map(|_| app.browser_from("203.0.113.20")).collect();
    let requests = browsers.iter_mut().enumerate().map(|(officer, browser)| {
        browser.api(
            actix_web::http::Method::POST,
            "/api/v1/auth/token",
            None,
            Some(serde_json::json!({"email": format!("officer{officer}@example.kz"), "password": PASSWORD})),
        )
    });
    let responses = futures_util::future::join_all(requests).await;
    let statuses: Vec<StatusCode> = responses.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        vec![StatusCode::OK; 20],
        "those over the cap wait, they do not fail"
    );
    let slots = &app.state.password_slots;
    let cap = slots.available_permits();
    assert!((2..=8).contains(&cap), "{cap} hashes at once");
}

async fn behind_a_trusted_proxy_the_client_is_the_rightmost_address_the_proxy_did_not_write(app: TestAppBuilder) {
    let app = app
        .with_config(|c| {
            c.trusted_proxies = TrustedProxies::parse("10.0.0.0/8, 127.0.0.1", ForwardedHeader::XForwardedFor).unwrap();
        })
        .start()
        .await;
    // Registration allows five a minute per client; a client behind the proxy
    // writes a new address of its own choosing at the left of every request.
    let spoofing = |i: u32| {
        app.browser_from("10.0.0.2")
            .with_header("X-Forwarded-For", &format!("198.51.100.{i}, 203.0.113.7, 10.0.0.9"))
    };
    for attempt in 0..5 {
        let response = spoofing(attempt).post_form("/register?lang=en", &[]).await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "attempt {attempt}");
    }
    let sixth = spoofing(5).post_form("/register?lang=en", &[]).await;
    assert_eq!(sixth.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(sixth.body.contains("Too many attempts in a short time"));
    // Another client behind the same proxy has its own allowance.
    let mut neighbour = app
        .browser_from("10.0.0.2")
        .with_header("X-Forwarded-For", "203.0.113.8");
    assert_eq!(
        neighbour.post_form("/register?lang=en", &[]).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // A client connecting directly cannot take another address with the header.
    let mut direct = app
        .browser_from("203.0.113.7")
        .with_header("X-Forwarded-For", "198.51.100.99");
    assert_eq!(
        direct.post_form("/register?lang=en", &[]).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    // A Forwarded header is not what this proxy writes, so it is not read.
    let mut other_header = app
        .browser_from("127.0.0.1")
        .with_header("Forwarded", "for=203.0.113.7");
    assert_eq!(
        other_header.post_form("/register?lang=en", &[]).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

async fn a_forwarded_header_is_read_with_quoted_ipv6_and_ports_and_counts_the_64_network(app: TestAppBuilder) {
    let app = app
        .with_config(|c| c.trusted_proxies = TrustedProxies::parse("10.0.0.1", ForwardedHeader::Forwarded).unwrap())
        .start()
        .await;
    let through_proxy = |forwarded: &str| app.browser_from("10.0.0.1").with_header("Forwarded", forwarded);
    for attempt in 0..5 {
        let forwarded = format!(r#"for=198.51.100.{attempt};proto=https, for="[2001:db8:0:1::{attempt}]:4711""#);
        let response = through_proxy(&forwarded).post_form("/register?lang=en", &[]).await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "attempt {attempt}");
    }
    let same_network = through_proxy(r#"for="[2001:db8:0:1:ffff::1]""#)
        .post_form("/register?lang=en", &[])
        .await;
    assert_eq!(same_network.status, StatusCode::TOO_MANY_REQUESTS);
    let next_network = through_proxy(r#"for="[2001:db8:0:2::1]:80""#)
        .post_form("/register?lang=en", &[])
        .await;
    assert_eq!(next_network.status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn unknown_setup_reset_and_invitation_links_are_limited_per_address_and_valid_ones_are_not(app: TestApp) {
    app.create_user("officer@example.kz", Role::Learner, None);
    let mut visitor = app.browser_from("192.0.2.10");
    let asked = visitor
        .post_form("/password/forgot", &[("email", "officer@example.kz")])
        .await;
    assert_eq!(asked.status, StatusCode::OK);
    let reset = format!("/password/reset?token={}", app.token_sent_to("officer@example.kz"));
    // Valid links count nothing.
    for _ in 0..12 {
        assert_eq!(visitor.get(&reset).await.status, StatusCode::OK);
    }
    wait_for_a_fresh_minute();
    for attempt in 0..10 {
        let path = match attempt % 3 {
            0 => format!("/setup?token=guess{attempt}"),
            1 => format!("/password/reset?token=guess{attempt}"),
            _ => format!("/invitation?token=guess{attempt}"),
        };
        assert_eq!(visitor.get(&path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    let eleventh = visitor.get("/invitation?token=guess10&lang=en").await;
    assert_eq!(eleventh.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(eleventh.body.contains("Too many attempts in a short time"));
    assert_eq!(
        visitor.get(&reset).await.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the address is limited, valid link or not"
    );
    let posted = visitor
        .post_form(
            "/password/reset",
            &[
                ("token", "guess11"),
                ("password", PASSWORD),
                ("password_confirmation", PASSWORD),
            ],
        )
        .await;
    assert_eq!(posted.status, StatusCode::TOO_MANY_REQUESTS);
    let mut elsewhere = app.browser_from("192.0.2.11");
    assert_eq!(elsewhere.get("/setup?token=guess").await.status, StatusCode::NOT_FOUND);
    assert_eq!(elsewhere.get(&reset).await.status, StatusCode::OK);
}

on_both_backends!(
    two_administrators_demoting_each_other_at_once_leave_one,
    common_or_personal_passwords_and_reversed_names_are_refused_with_a_reason,
    a_sign_in_follows_next_only_to_a_plain_path_on_this_site,
    a_visitor_registers_signs_in_sees_the_profile_signs_out_and_signs_in_again,
    a_visitor_who_is_not_signed_in_is_sent_to_the_login_page_and_back,
    registration_errors_are_shown_beside_each_field_with_a_summary_and_nothing_is_saved,
    registering_a_taken_address_answers_as_for_a_new_one_and_tells_the_owner_by_mail,
    an_institution_from_another_country_is_refused_at_registration,
    a_post_without_a_valid_csrf_token_is_rejected_and_changes_nothing,
    a_wrong_password_gets_one_message_that_does_not_reveal_whether_the_account_exists,
    signing_out_revokes_the_session_token_on_the_server,
    changing_the_password_keeps_this_session_and_ends_the_others,
    the_profile_saves_new_details_and_switches_to_the_chosen_language,
    gender_is_recorded_only_when_the_person_gives_it,
    a_learner_gets_a_localised_403_on_every_admin_page,
    the_setup_address_creates_the_first_administrator_once,
    an_administrator_adds_institutions_and_appoints_a_coordinator,
    the_user_search_finds_cyrillic_and_latin_names_whatever_case_is_typed,
    the_only_administrator_cannot_remove_their_own_role,
    an_administrator_cannot_appoint_a_coordinator_of_an_institution_that_does_not_exist,
    an_unknown_role_and_an_unknown_institution_are_reported_together,
    failed_sign_ins_into_one_account_stop_at_ten_whatever_addresses_and_instances_they_come_from,
    a_class_of_twenty_five_signs_in_from_one_address_within_a_minute,
    failed_sign_ins_from_one_address_stop_at_a_hundred_and_other_addresses_go_on,
    many_token_requests_at_once_all_succeed_while_password_hashing_is_capped,
    behind_a_trusted_proxy_the_client_is_the_rightmost_address_the_proxy_did_not_write,
    a_forwarded_header_is_read_with_quoted_ipv6_and_ports_and_counts_the_64_network,
    unknown_setup_reset_and_invitation_links_are_limited_per_address_and_valid_ones_are_not
);
