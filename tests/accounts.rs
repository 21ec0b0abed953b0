//! Accounts through the web pages: registration, sign-in, profile, sign-out, password
//! change, the first administrator's setup, roles and CSRF.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use actix_web::http::StatusCode;
use bilim::accounts::model::{Country, Role};
use common::{TestApp, PASSWORD};

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

async fn a_visitor_registers_sees_the_profile_signs_out_and_signs_in_again(mut app: TestApp) {
    let page = app.get("/register?lang=kk").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.lang(), "kk");

    let created = app
        .post_form("/register", &registration("aigerim@example.kz", "kk"))
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    assert_eq!(created.location(), "/profile?welcome=1");

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
    assert_eq!(
        offsite.location(),
        "/profile",
        "a sign-in never redirects to another site"
    );
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
        assert_eq!(response.location(), "/profile", "{next:?} is ignored");
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

async fn registering_an_address_twice_says_so_and_keeps_the_first_account(mut app: TestApp) {
    app.post_form("/register", &registration("twice@example.kz", "ru"))
        .await;
    app.sign_out_locally();
    let second = app
        .post_form("/register?lang=en", &registration("Twice@Example.kz", "en"))
        .await;
    assert_eq!(second.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(second
        .body
        .contains("An account with this email address already exists"));
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

async fn sign_in_attempts_spread_over_several_instances_share_one_limit(mut app: TestApp) {
    let mut other = app.another_instance().await;
    let mut statuses = Vec::new();
    for attempt in 0..12 {
        let instance = if attempt % 2 == 0 { &mut app } else { &mut other };
        let response = instance
            .post_form(
                "/login?lang=en",
                &[("email", "guess@example.kz"), ("password", "guess guess guess")],
            )
            .await;
        statuses.push(response.status);
    }
    // Each instance saw six attempts, within its own allowance of ten a minute.
    assert!(
        statuses[..10].iter().all(|s| *s == StatusCode::UNPROCESSABLE_ENTITY),
        "{statuses:?}"
    );
    assert_eq!(
        statuses[10..],
        [StatusCode::TOO_MANY_REQUESTS, StatusCode::TOO_MANY_REQUESTS],
        "{statuses:?}"
    );
}

async fn repeated_failed_sign_ins_are_slowed_down(mut app: TestApp) {
    let mut statuses = Vec::new();
    for _ in 0..12 {
        let response = app
            .post_form(
                "/login?lang=en",
                &[("email", "guess@example.kz"), ("password", "guess guess guess")],
            )
            .await;
        statuses.push(response.status);
    }
    assert!(statuses.contains(&StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
    let limited = app
        .post_form(
            "/login?lang=en",
            &[("email", "guess@example.kz"), ("password", "guess guess guess")],
        )
        .await;
    assert!(limited.body.contains("Too many attempts"));
}
on_both_backends!(
    two_administrators_demoting_each_other_at_once_leave_one,
    common_or_personal_passwords_and_reversed_names_are_refused_with_a_reason,
    a_sign_in_follows_next_only_to_a_plain_path_on_this_site,
    a_visitor_registers_sees_the_profile_signs_out_and_signs_in_again,
    a_visitor_who_is_not_signed_in_is_sent_to_the_login_page_and_back,
    registration_errors_are_shown_beside_each_field_with_a_summary_and_nothing_is_saved,
    registering_an_address_twice_says_so_and_keeps_the_first_account,
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
    sign_in_attempts_spread_over_several_instances_share_one_limit,
    repeated_failed_sign_ins_are_slowed_down
);
