//! The ways people are brought in and enrolled, as they use them in the browser: pages
//! reached by a link in an email open in the recipient's language and lead an invitee
//! to their run; an administrator invites staff by email; the run form's dates say
//! which field is wrong; a checked CSV file is applied by its check alone.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use actix_web::http::StatusCode;
use bilim::accounts::model::{Country, Role};
use bilim::i18n::{self, Locale};
use common::fixtures::RunBuilder;
use common::{Browser, TestApp, PASSWORD};
use diesel::prelude::*;

const ACADEMY: &str = "Академия правоохранительных органов";

fn t(locale: Locale, key: &str) -> String {
    i18n::t(locale, key)
}

/// The link to `path` in the last message sent to `to` that has one.
fn link_sent_to(app: &TestApp, to: &str, path: &str) -> String {
    let mail = app.mail_to(to);
    let body = &mail
        .iter()
        .rev()
        .find(|m| m.text_body.contains(path))
        .expect("a message with the link")
        .text_body;
    body.split_whitespace()
        .find(|word| word.contains(path))
        .unwrap()
        .to_owned()
}

/// A browser whose reader's own language is English: it asks for English and
/// remembers English from an earlier visit.
/// Sets a password through the invitation form, as the invitee does.
async fn set_password(invitee: &mut Browser, token: &str) -> common::TestResponse {
    invitee
        .post_form(
            "/invitation",
            &[
                ("token", token),
                ("password", "a strong passphrase"),
                ("password_confirmation", "a strong passphrase"),
            ],
        )
        .await
}

fn english_browser(app: &TestApp) -> Browser {
    let mut browser = app.browser().with_header("Accept-Language", "en-US,en;q=0.9");
    browser.cookies.insert("bilim_lang".into(), "en".into());
    browser
}

fn multipart(token: &str, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----bilim-test-boundary";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n").as_bytes(),
    );
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"group.csv\"\r\nContent-Type: text/csv\r\n\r\n").as_bytes());
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Checks `file` on the run's page, as the coordinator signed in to `browser`.
async fn check(browser: &mut Browser, run: i64, file: &str) -> common::TestResponse {
    let token = browser.csrf_token().await;
    let (content_type, body) = multipart(&token, file.as_bytes());
    browser
        .post_raw(&format!("/coordinator/runs/{run}/bulk?lang=en"), &content_type, body)
        .await
}

/// The id of the kept check the page's "apply" form names, if it offers one.
fn check_id(page: &common::TestResponse) -> Option<String> {
    page.select_attr("form[action*='/bulk/apply'] input[name='check']", "value")
        .into_iter()
        .next()
}

async fn apply(browser: &mut Browser, run: i64, check: &str) -> common::TestResponse {
    browser
        .post_form(
            &format!("/coordinator/runs/{run}/bulk/apply?lang=en"),
            &[("check", check)],
        )
        .await
}

fn enrolment_count(app: &TestApp, run: i64) -> i64 {
    use bilim::db::schema::enrolments;
    let mut conn = app.state.pool.get().unwrap();
    enrolments::table
        .filter(enrolments::run_id.eq(run))
        .count()
        .get_result(&mut conn)
        .unwrap()
}

fn user_count(app: &TestApp) -> i64 {
    use bilim::db::schema::users;
    let mut conn = app.state.pool.get().unwrap();
    users::table.count().get_result(&mut conn).unwrap()
}

fn outbox_count(app: &TestApp) -> i64 {
    use bilim::db::schema::outbox;
    let mut conn = app.state.pool.get().unwrap();
    outbox::table.count().get_result(&mut conn).unwrap()
}

/// A run of the academy, its coordinator signed in to the app's browser.
async fn coordinator_with_run(app: &mut TestApp) -> (bilim::institutions::InstitutionId, i64) {
    app.with_courses("valid");
    let (institution, coordinator) = app.institution_with_coordinator(ACADEMY, Country::Kz, "coord@example.kz");
    let run = RunBuilder::new(institution, coordinator).starts_in_days(20).insert(app);
    app.sign_in("coord@example.kz", PASSWORD).await;
    (institution, run)
}

async fn an_invitee_reads_the_invitation_in_their_own_language_and_lands_on_their_run(mut app: TestApp) {
    let (_, run) = coordinator_with_run(&mut app).await;
    let file =
        "email;full name;category;position;language\nnew.officer@example.uz;Akmal Karimov;investigator;Tergovchi;uz\n";
    let checked = check(&mut app, run, file).await;
    let applied = apply(&mut app, run, &check_id(&checked).expect("a clean check")).await;
    assert_eq!(applied.status, StatusCode::OK, "{}", applied.body);

    let link = link_sent_to(&app, "new.officer@example.uz", "/invitation?token=");
    assert!(
        link.ends_with("&lang=uz"),
        "the link names the invitee's language: {link}"
    );
    let token = app.token_sent_to("new.officer@example.uz");
    let mut invitee = english_browser(&app);
    let page = invitee.get(&format!("/invitation?token={token}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.lang(), "uz", "the account's language, not the browser's");
    assert!(page.body.contains(&t(Locale::Uz, "recovery.invitation_title")));
    assert_eq!(
        page.select_attr("form[method='post']", "action"),
        vec!["/invitation?lang=uz".to_owned()],
        "the form's errors come in the page's language"
    );
    let switched = invitee.get(&format!("/invitation?token={token}&lang=ru")).await;
    assert_eq!(switched.lang(), "ru", "the language switcher on the page still works");
    invitee.cookies.insert("bilim_lang".into(), "en".into());

    let short = invitee
        .post_form(
            "/invitation",
            &[
                ("token", &token),
                ("password", "short"),
                ("password_confirmation", "short"),
            ],
        )
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(short.lang(), "uz", "its errors too");
    assert!(short.title().starts_with(&t(Locale::Uz, "forms.error_prefix")));
    assert!(!short.body.contains("The password must"), "{}", short.body);

    let set = set_password(&mut invitee, &token).await;
    assert_eq!(set.status, StatusCode::SEE_OTHER);
    assert_eq!(set.location(), format!("/runs/{run}?done=invitation_accepted"));
    assert_eq!(invitee.cookies.get("bilim_lang").map(String::as_str), Some("uz"));
    let landed = invitee.get(&set.location()).await;
    assert_eq!(landed.status, StatusCode::OK);
    assert_eq!(landed.lang(), "uz");
    assert!(
        landed
            .select(".notice[role='status']")
            .concat()
            .contains(&t(Locale::Uz, "coordinator_flows.invitation_accepted")),
        "{}",
        landed.body
    );
}

async fn reset_and_confirmation_links_carry_the_account_language_and_open_in_it(app: TestApp) {
    let id = app.create_user_speaking("kk.officer@example.kz", Role::Learner, None, Locale::Kk);
    let mut visitor = english_browser(&app);
    let asked = visitor
        .post_form("/password/forgot?lang=en", &[("email", "kk.officer@example.kz")])
        .await;
    assert_eq!(asked.lang(), "en", "the page that asks is the visitor's");
    let link = link_sent_to(&app, "kk.officer@example.kz", "/password/reset?token=");
    assert!(link.ends_with("&lang=kk"), "{link}");
    let token = app.token_sent_to("kk.officer@example.kz");
    let page = visitor.get(&format!("/password/reset?token={token}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.lang(), "kk");
    assert!(page.body.contains(&t(Locale::Kk, "recovery.reset_title")));
    let mismatched = visitor
        .post_form(
            "/password/reset",
            &[
                ("token", &token),
                ("password", "a strong passphrase"),
                ("password_confirmation", "another passphrase"),
            ],
        )
        .await;
    assert_eq!(mismatched.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(mismatched.lang(), "kk");
    assert!(mismatched.body.contains(&t(Locale::Kk, "accounts.password_mismatch")));

    // The confirmation link of a new address opens in the account's language too.
    {
        let mut conn = app.state.pool.get().unwrap();
        let user = bilim::accounts::store::find(&mut conn, bilim::accounts::model::UserId(id))
            .unwrap()
            .unwrap();
        bilim::accounts::recovery::send_verification(&mut conn, &app.state.mail, &user).unwrap();
    }
    let link = link_sent_to(&app, "kk.officer@example.kz", "/verify-email?token=");
    assert!(link.ends_with("&lang=kk"), "{link}");
    let token = app.token_sent_to("kk.officer@example.kz");
    let mut other = english_browser(&app);
    let confirmed = other.get(&format!("/verify-email?token={token}")).await;
    assert_eq!(confirmed.status, StatusCode::OK);
    assert_eq!(confirmed.lang(), "kk");
    assert!(confirmed.body.contains(&t(Locale::Kk, "recovery.verified_title")));
    let unknown = other.get("/verify-email?token=not-a-token").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "an unknown link stays a 404");
}

/// The administrator of the app's browser and an institution.
async fn administrator(app: &mut TestApp) -> bilim::institutions::InstitutionId {
    let institution = app.create_institution(ACADEMY, Country::Kz);
    app.create_user("admin@example.kz", Role::Admin, None);
    app.sign_in("admin@example.kz", PASSWORD).await;
    institution
}

fn audit_count(app: &TestApp, action: &str) -> i64 {
    use bilim::db::schema::audit_events;
    let mut conn = app.state.pool.get().unwrap();
    audit_events::table
        .filter(audit_events::action.eq(action))
        .count()
        .get_result(&mut conn)
        .unwrap()
}

async fn an_administrator_invites_a_coordinator_who_sets_a_password_and_lands_at_home(mut app: TestApp) {
    let institution = administrator(&mut app).await;
    let overview = app.get("/admin?lang=en").await;
    assert!(overview.select_attr("a", "href").contains(&"/admin/invite".to_owned()));
    let form = app.get("/admin/invite?lang=en").await;
    assert_eq!(form.status, StatusCode::OK);
    for field in ["#name", "#email", "#role", "#institution_id", "#country", "#locale"] {
        assert!(form.has(field), "{field}");
    }
    let sent = app
        .post_form(
            "/admin/invite?lang=en",
            &[
                ("name", "Айгерим Сапарова"),
                ("email", "Aigerim.Saparova@Example.kz"),
                ("role", "coordinator"),
                ("institution_id", &institution.to_string()),
                ("country", ""),
                ("locale", "kk"),
            ],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let location = sent.location();
    assert!(location.ends_with("?invited=1"), "{location}");
    let confirmed = app.get(&format!("{location}&lang=en")).await;
    assert!(confirmed
        .select(".notice[role='status']")
        .concat()
        .contains("The account has been created and the invitation sent"));

    let invited = {
        let mut conn = app.state.pool.get().unwrap();
        bilim::accounts::store::find_row_by_email(&mut conn, "aigerim.saparova@example.kz")
            .unwrap()
            .unwrap()
    };
    assert_eq!(invited.role, Role::Coordinator);
    assert_eq!(invited.institution_id, Some(institution));
    assert_eq!(invited.locale, Locale::Kk);
    assert_eq!(audit_count(&app, "user_invited"), 1, "recorded in the audit log");
    let mail = app.mail_to("aigerim.saparova@example.kz");
    assert_eq!(mail.len(), 1);
    assert_eq!(
        mail[0].subject,
        i18n::t_with(Locale::Kk, "mail.staff_invitation.subject", &[("site", "Bilim")])
    );
    assert!(mail[0].text_body.contains(&t(Locale::Kk, "roles.coordinator")));
    let link = link_sent_to(&app, "aigerim.saparova@example.kz", "/invitation?token=");
    assert!(link.ends_with("&lang=kk"), "{link}");

    let token = app.token_sent_to("aigerim.saparova@example.kz");
    let mut invitee = english_browser(&app);
    assert_eq!(invitee.get(&format!("/invitation?token={token}")).await.lang(), "kk");
    let set = set_password(&mut invitee, &token).await;
    assert_eq!(set.status, StatusCode::SEE_OTHER);
    assert_eq!(
        set.location(),
        "/?done=password_set",
        "no run invited her: her home page"
    );
    let home = invitee.get(&set.location()).await;
    assert_eq!(home.lang(), "kk");
    assert!(home
        .select(".notice[role='status']")
        .concat()
        .contains(&t(Locale::Kk, "coordinator_flows.password_set")));
    let signed_out = app.browser().get("/?done=password_set").await;
    assert!(
        !signed_out.has(".notice"),
        "nobody signed out is told a password was set"
    );
}

async fn an_invitation_with_a_problem_says_which_and_changes_nothing(mut app: TestApp) {
    let institution = administrator(&mut app).await;
    let institution = institution.to_string();
    app.create_user("taken@example.kz", Role::Learner, None);
    let users = user_count(&app);
    let messages = outbox_count(&app);
    let cases: [(&str, [&str; 6], &str, &str); 6] = [
        (
            "a bad address",
            ["Ерлан Ахметов", "not-an-address", "trainer", "", "KZ", "ru"],
            "email",
            "",
        ),
        (
            "a coordinator without an institution",
            ["Ерлан Ахметов", "new@example.kz", "coordinator", "", "", "ru"],
            "institution_id",
            "Choose the institution of the coordinator or observer",
        ),
        (
            "an observer without an institution",
            ["Ерлан Ахметов", "new@example.kz", "observer", "", "", "ru"],
            "institution_id",
            "Choose the institution of the coordinator or observer",
        ),
        (
            "a trainer without a country",
            ["Ерлан Ахметов", "new@example.kz", "trainer", "", "", "ru"],
            "country",
            "Choose the trainer's country",
        ),
        (
            "a role that is not invited by email",
            ["Ерлан Ахметов", "new@example.kz", "admin", &institution, "", "ru"],
            "role",
            "Choose coordinator, trainer or observer",
        ),
        (
            "an address that has an account",
            [
                "Ерлан Ахметов",
                "Taken@example.kz",
                "coordinator",
                &institution,
                "",
                "ru",
            ],
            "email",
            "An account with this email address already exists",
        ),
    ];
    for (case, values, field, message) in cases {
        let names = ["name", "email", "role", "institution_id", "country", "locale"];
        let fields: Vec<(&str, &str)> = names.into_iter().zip(values).collect();
        let refused = app.post_form("/admin/invite?lang=en", &fields).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{case}");
        // The role's radios are marked as a group, on their fieldset.
        let marked = if field == "role" {
            "fieldset".to_owned()
        } else {
            format!("#{field}")
        };
        assert_eq!(
            refused.select_attr(&marked, "aria-invalid"),
            vec!["true".to_owned()],
            "{case}: {}",
            refused.body
        );
        assert!(
            refused.select(&format!("#{field}-error")).concat().contains(message),
            "{case}"
        );
        assert_eq!(
            refused.select_attr("#email", "value"),
            [values[1]],
            "{case}: the form keeps what was typed"
        );
    }
    assert_eq!(user_count(&app), users, "no account was created");
    assert_eq!(outbox_count(&app), messages, "no message was queued");
    assert_eq!(audit_count(&app, "user_invited"), 0);
    let taken = {
        let mut conn = app.state.pool.get().unwrap();
        bilim::accounts::store::find_row_by_email(&mut conn, "taken@example.kz")
            .unwrap()
            .unwrap()
    };
    assert_eq!(taken.role, Role::Learner, "the existing account is as it was");

    let empty = app.post_form("/admin/invite?lang=en", &[]).await;
    assert_eq!(
        empty.select_attr(".error-summary a", "href"),
        ["#name", "#email", "#role", "#locale"],
        "the summary follows the form"
    );
}

async fn the_run_form_names_the_field_of_each_date_error_in_the_order_of_the_form(mut app: TestApp) {
    app.with_courses("valid");
    let institution = app.create_institution(ACADEMY, Country::Kz);
    app.create_user("coord@example.kz", Role::Coordinator, Some(institution));
    app.sign_in("coord@example.kz", PASSWORD).await;
    let form = app.get("/coordinator/runs/new?lang=en").await;
    assert_eq!(
        form.select_attr("#starts_on, #ends_on, #enrol_by", "type"),
        ["date", "date", "date"]
    );
    assert!(!form.body.contains("2026-03-05"), "no ISO hint beside the date pickers");
    let institution = institution.to_string();
    let refused = app
        .post_form(
            "/coordinator/runs/new?lang=en",
            &[
                ("course_id", "no-such-course"),
                ("institution_id", &institution),
                ("language", "ru"),
                ("country", "KZ"),
                ("starts_on", ""),
                ("ends_on", ""),
                ("enrol_by", ""),
                ("capacity", "0"),
                ("mode", "online"),
                ("min_attendance", "50"),
                ("enrolment", "open"),
                ("phase", ""),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.select("#starts_on-error"), ["Error: Enter the start date"]);
    assert_eq!(refused.select("#ends_on-error"), ["Error: Enter the end date"]);
    assert_eq!(
        refused.select("#enrol_by-error"),
        ["Error: Enter the last day of enrolment"]
    );
    assert_eq!(
        refused.select_attr(".error-summary a", "href"),
        [
            "#course_id",
            "#starts_on",
            "#ends_on",
            "#enrol_by",
            "#capacity",
            "#min_attendance",
            "#phase"
        ],
        "the summary lists the errors in the order of the fields"
    );
    let reversed = app
        .post_form(
            "/coordinator/runs/new?lang=en",
            &[
                ("course_id", "demo-course"),
                ("institution_id", &institution),
                ("language", "ru"),
                ("country", "KZ"),
                ("starts_on", "2030-05-10"),
                ("ends_on", "2030-05-01"),
                ("enrol_by", "2030-02-30"),
                ("capacity", "20"),
                ("mode", "online"),
                ("enrolment", "open"),
                ("phase", "national_pilot"),
            ],
        )
        .await;
    assert_eq!(
        reversed.select("#ends_on-error"),
        ["Error: The end date must be on or after the start date"]
    );
    assert_eq!(
        reversed.select("#enrol_by-error"),
        ["Error: Enter the last day of enrolment as YYYY-MM-DD, like 2026-03-05"]
    );
    let runs: i64 = {
        use bilim::db::schema::course_runs;
        let mut conn = app.state.pool.get().unwrap();
        course_runs::table.count().get_result(&mut conn).unwrap()
    };
    assert_eq!(runs, 0, "nothing was created");
}

async fn a_checked_file_is_applied_by_its_check_alone_and_its_rows_say_what_was_done(mut app: TestApp) {
    let (institution, run) = coordinator_with_run(&mut app).await;
    app.create_user("own@example.kz", Role::Learner, Some(institution));
    let page = app.get(&format!("/coordinator/runs/{run}?lang=en")).await;
    assert_eq!(check_id(&page), None, "nothing to apply before a check");
    assert_eq!(
        page.select_attr("form[action$='/bulk#upload'] button", "class"),
        ["button"],
        "checking is the main action"
    );

    let bad = "email;full name;category;position;language\nnew.one@example.kz;Ерлан Жумабеков;investigator;Следователь;kk\nbroken-address;Someone;judge;;ru\n";
    let refused = check(&mut app, run, bad).await;
    assert!(refused.body.contains("Some rows have errors"));
    assert_eq!(
        check_id(&refused),
        None,
        "a file with errors is not offered for applying"
    );
    assert_eq!(
        refused.select_attr("form[action$='/bulk#upload'] button", "class"),
        ["button"]
    );

    let good = "email;full name;category;position;language\nnew.one@example.kz;Ерлан Жумабеков;investigator;Следователь;kk\nown@example.kz;;;;\n";
    let users = user_count(&app);
    let checked = check(&mut app, run, good).await;
    let id = check_id(&checked).expect("a clean check is kept");
    assert_eq!(
        checked.select("form[action*='/bulk/apply'] button"),
        ["Apply 2 rows from the file"]
    );
    assert_eq!(
        checked.select_attr("form[action$='/bulk#upload'] button", "class"),
        ["button button--secondary"],
        "applying is the main action now"
    );
    assert_eq!(
        (enrolment_count(&app, run), user_count(&app)),
        (0, users),
        "a check writes nothing"
    );

    let applied = apply(&mut app, run, &id).await;
    assert_eq!(applied.status, StatusCode::OK, "{}", applied.body);
    assert!(applied
        .select(".notice[role='status']")
        .concat()
        .contains("The file has been applied"));
    assert_eq!(
        applied.select("td.bulk-result"),
        [
            "Account created and enrolled; an email asks them to set a password",
            "Enrolled"
        ]
    );
    assert!(!applied.body.contains("will be"), "the rows say what was done");
    assert_eq!(enrolment_count(&app, run), 2);
    assert_eq!(user_count(&app), users + 1);

    let messages = outbox_count(&app);
    let again = apply(&mut app, run, &id).await;
    assert_eq!(
        again.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a check is applied once"
    );
    assert!(again.body.contains("This check has expired, has already been applied"));
    assert_eq!((enrolment_count(&app, run), outbox_count(&app)), (2, messages));
}

async fn a_check_cannot_be_applied_by_someone_else_or_after_a_day(mut app: TestApp) {
    let (institution, run) = coordinator_with_run(&mut app).await;
    app.create_user("colleague@example.kz", Role::Coordinator, Some(institution));
    let file =
        "email;full name;category;position;language\nnew.one@example.kz;Ерлан Жумабеков;investigator;Следователь;kk\n";
    let checked = check(&mut app, run, file).await;
    let id = check_id(&checked).unwrap();

    let mut colleague = app.signed_in("colleague@example.kz").await;
    let refused = apply(&mut colleague, run, &id).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused
        .select(".error-summary")
        .concat()
        .contains("made by someone else"));
    let unknown = apply(&mut app, run, "0123456789abcdef0123456789abcdef").await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    {
        use bilim::db::schema::bulk_checks;
        let mut conn = app.state.pool.get().unwrap();
        diesel::update(bulk_checks::table.find(&id))
            .set(bulk_checks::created_at.eq(chrono::Utc::now().naive_utc() - chrono::Duration::hours(25)))
            .execute(&mut conn)
            .unwrap();
    }
    let expired = apply(&mut app, run, &id).await;
    assert_eq!(expired.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(enrolment_count(&app, run), 0, "nothing was written");
    assert!(app.mail_to("new.one@example.kz").is_empty());

    let russian = app
        .post_form(
            &format!("/coordinator/runs/{run}/bulk/apply?lang=ru"),
            &[("check", &id)],
        )
        .await;
    assert!(russian
        .select(".error-summary")
        .concat()
        .contains(&t(Locale::Ru, "coordinator_flows.check_expired")));
    let checked_again = check(&mut app, run, file).await;
    let kept: i64 = {
        use bilim::db::schema::bulk_checks;
        let mut conn = app.state.pool.get().unwrap();
        bulk_checks::table.count().get_result(&mut conn).unwrap()
    };
    assert!(check_id(&checked_again).is_some());
    assert_eq!(kept, 1, "the expired check was deleted when a new one was kept");

    // Without any later upload, the server's hourly maintenance forgets it after a day.
    let mut conn = app.state.pool.get().unwrap();
    let now = chrono::Utc::now().naive_utc();
    assert_eq!(
        bilim::enrolment::bulk::forget_expired_checks(&mut conn, now).unwrap(),
        0,
        "a check of today is kept"
    );
    assert_eq!(
        bilim::enrolment::bulk::forget_expired_checks(&mut conn, now + chrono::Duration::hours(25)).unwrap(),
        1,
        "a day later it is gone"
    );
}

on_both_backends!(
    an_invitee_reads_the_invitation_in_their_own_language_and_lands_on_their_run,
    reset_and_confirmation_links_carry_the_account_language_and_open_in_it,
    an_administrator_invites_a_coordinator_who_sets_a_password_and_lands_at_home,
    an_invitation_with_a_problem_says_which_and_changes_nothing,
    the_run_form_names_the_field_of_each_date_error_in_the_order_of_the_form,
    a_checked_file_is_applied_by_its_check_alone_and_its_rows_say_what_was_done,
    a_check_cannot_be_applied_by_someone_else_or_after_a_day,
);
