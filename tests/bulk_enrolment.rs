//! Enrolling a group from a CSV file across the boundaries of institutions: who is
//! enrolled and who is only invited, answering an invitation, rows the preview must
//! refuse as applying would, and the same file applied several times at once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use actix_web::http::{header, Method, StatusCode};
use bilim::accounts::model::{Country, Role};
use bilim::institutions::InstitutionId;
use common::{TestApp, TestResponse, PASSWORD};
use diesel::prelude::*;
use serde_json::{json, Value};

/// The uploading coordinator's institution.
const ACADEMY: &str = "Академия правоохранительных органов";

fn run_body(institution: InstitutionId, capacity: i64) -> Value {
    let today = chrono::Utc::now().date_naive();
    json!({
        "course_id": "demo-course",
        "institution_id": institution,
        "language": "ru",
        "country": "KZ",
        "starts_on": (today + chrono::Duration::days(30)).to_string(),
        "ends_on": (today + chrono::Duration::days(40)).to_string(),
        "enrol_by": (today + chrono::Duration::days(20)).to_string(),
        "capacity": capacity,
        "mode": "online",
        "enrolment": "invitation",
        "key": "",
        "phase": "national_pilot",
        // The run starts next month; its learners may study from now, so that a test
        // can show an accepted invitation opens the course.
        "opens_early": true
    })
}

/// Two institutions, as the penetration test had them: the uploading coordinator's in
/// Kazakhstan and another in Kyrgyzstan, with a learner and a coordinator there.
struct Setup {
    institution: InstitutionId,
    /// The API token of coordinator@example.kz.
    coordinator: String,
}

async fn setup(app: &mut TestApp) -> Setup {
    app.with_courses("valid");
    let (institution, _) = app.institution_with_coordinator(ACADEMY, Country::Kz, "coordinator@example.kz");
    let (other, _) = app.institution_with_coordinator("Академия МВД КР", Country::Kg, "other.coordinator@example.kg");
    app.create_user("learner@example.kg", Role::Learner, Some(other));
    let coordinator = app.api_token("coordinator@example.kz", PASSWORD).await;
    Setup {
        institution,
        coordinator,
    }
}

async fn new_run(app: &mut TestApp, token: &str, institution: InstitutionId, capacity: i64) -> i64 {
    let response = app
        .api(
            Method::POST,
            "/api/v1/runs",
            Some(token),
            Some(run_body(institution, capacity)),
        )
        .await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.body);
    response.json()["id"].as_i64().unwrap()
}

fn upload_request(token: &str, run: i64, dry_run: bool, file: &[u8]) -> actix_web::test::TestRequest {
    let query = if dry_run { "?dry_run=true" } else { "" };
    actix_web::test::TestRequest::post()
        .uri(&format!("/api/v1/runs/{run}/enrolments/bulk{query}"))
        .insert_header((header::AUTHORIZATION, format!("Bearer {token}")))
        .insert_header((header::CONTENT_TYPE, "text/csv"))
        .set_payload(file.to_vec())
}

async fn upload(app: &mut TestApp, token: &str, run: i64, dry_run: bool, file: &[u8]) -> TestResponse {
    app.send(upload_request(token, run, dry_run, file)).await
}

fn statuses(response: &TestResponse) -> Vec<String> {
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    response.json()["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["status"].as_str().unwrap().to_owned())
        .collect()
}

/// Every enrolment in `run` as (email, status), by email.
fn enrolments(app: &TestApp, run: i64) -> Vec<(String, String)> {
    use bilim::db::schema::{enrolments, users};
    let mut conn = app.state.pool.get().unwrap();
    enrolments::table
        .inner_join(users::table)
        .filter(enrolments::run_id.eq(run))
        .order(users::email.asc())
        .select((users::email, enrolments::status))
        .load(&mut conn)
        .unwrap()
}

fn user_count(app: &TestApp) -> i64 {
    use bilim::db::schema::users;
    let mut conn = app.state.pool.get().unwrap();
    users::table.count().get_result(&mut conn).unwrap()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(email, status)| (email.to_string(), status.to_string()))
        .collect()
}

async fn complete_intro(app: &mut TestApp, token: &str) -> StatusCode {
    app.api(
        Method::POST,
        "/api/v1/courses/demo-course/modules/intro/complete",
        Some(token),
        None,
    )
    .await
    .status
}

const INVITE_MESSAGE: &str = "Учётная запись другого учреждения либо тренера, координатора, наблюдателя или администратора: придёт приглашение по почте, запись — только после его принятия";

async fn a_coordinator_enrols_only_learners_of_their_institution_and_invites_everyone_else(mut app: TestApp) {
    let setup = setup(&mut app).await;
    let run = new_run(&mut app, &setup.coordinator, setup.institution, 20).await;
    app.create_user("own@example.kz", Role::Learner, Some(setup.institution));
    app.create_user("trainer@example.kz", Role::Trainer, Some(setup.institution));
    app.create_user("admin@example.kz", Role::Admin, None);
    app.create_user("loose@example.kz", Role::Learner, None);
    let file = "email,full name,category,position,language\n\
        new@example.kz,Новый Слушатель,investigator,,ru\n\
        own@example.kz,,,,\n\
        learner@example.kg,,,,\n\
        other.coordinator@example.kg,,,,\n\
        trainer@example.kz,,,,\n\
        admin@example.kz,,,,\n\
        loose@example.kz,,,,\n\
        coordinator@example.kz,,,,\n";
    let before = user_count(&app);

    let preview = upload(&mut app, &setup.coordinator, run, true, file.as_bytes()).await;
    assert_eq!(
        statuses(&preview),
        ["new", "enrol", "invite", "invite", "invite", "invite", "invite", "invite"]
    );
    let rows = preview.json()["rows"].clone();
    assert_eq!(rows[1]["message"], "Учётная запись есть: будет записан на поток");
    assert_eq!(rows[2]["message"], INVITE_MESSAGE);
    assert!(enrolments(&app, run).is_empty(), "a preview writes nothing");

    let applied = upload(&mut app, &setup.coordinator, run, false, file.as_bytes()).await;
    assert_eq!(
        statuses(&applied),
        statuses(&preview),
        "applying does what the preview said"
    );
    let done = applied.json()["rows"].clone();
    assert_eq!(
        done[1]["message"], "Запись на поток подтверждена",
        "and each row then says what was done"
    );
    assert_eq!(
        done[2]["message"],
        "Приглашение отправлено по почте: запись — после его принятия"
    );
    assert_eq!(user_count(&app), before + 1);
    assert_eq!(
        enrolments(&app, run),
        pairs(&[
            ("admin@example.kz", "invited"),
            ("coordinator@example.kz", "invited"),
            ("learner@example.kg", "invited"),
            ("loose@example.kz", "invited"),
            ("new@example.kz", "enrolled"),
            ("other.coordinator@example.kg", "invited"),
            ("own@example.kz", "enrolled"),
            ("trainer@example.kz", "invited"),
        ])
    );
    let runs = app
        .api(Method::GET, "/api/v1/runs", Some(&setup.coordinator), None)
        .await
        .json();
    assert_eq!(runs[0]["enrolled"], json!(2), "invitations take no place");

    let invitation = app.mail_to("learner@example.kg");
    assert_eq!(invitation.len(), 1);
    assert_eq!(invitation[0].subject, "Приглашение на курс «Демонстрационный курс»");
    assert!(
        invitation[0]
            .text_body
            .contains(&format!("{ACADEMY} приглашает вас на курс «Демонстрационный курс»"))
            && invitation[0].text_body.contains(&format!("/runs/{run}")),
        "{}",
        invitation[0].text_body
    );
    let invited = app.api_token("learner@example.kg", PASSWORD).await;
    assert_eq!(
        complete_intro(&mut app, &invited).await,
        StatusCode::FORBIDDEN,
        "an invited learner may not study before accepting"
    );
}

async fn an_invitation_takes_no_place_until_accepted_and_a_declined_one_is_not_renewed(mut app: TestApp) {
    let setup = setup(&mut app).await;
    let run = new_run(&mut app, &setup.coordinator, setup.institution, 1).await;
    app.create_user("own@example.kz", Role::Learner, Some(setup.institution));
    let other = app.create_institution("Академия МВД РТ", Country::Tj);
    app.create_user("declines@example.tj", Role::Learner, Some(other));
    let file = "email,full name\nown@example.kz,\nlearner@example.kg,\ndeclines@example.tj,\n";
    let applied = upload(&mut app, &setup.coordinator, run, false, file.as_bytes()).await;
    assert_eq!(statuses(&applied), ["enrol", "invite", "invite"]);

    let accepting = app.api_token("learner@example.kg", PASSWORD).await;
    let mine = app
        .api(Method::GET, "/api/v1/me/enrolments", Some(&accepting), None)
        .await
        .json();
    assert_eq!(mine[0]["status"], "invited");
    let invitation = mine[0]["id"].as_i64().unwrap();
    let declining = app.api_token("declines@example.tj", PASSWORD).await;
    let not_theirs = app
        .api(
            Method::POST,
            &format!("/api/v1/enrolments/{invitation}/accept"),
            Some(&declining),
            None,
        )
        .await;
    assert_eq!(not_theirs.status, StatusCode::NOT_FOUND, "another person's invitation");

    let accepted = app
        .api(
            Method::POST,
            &format!("/api/v1/enrolments/{invitation}/accept"),
            Some(&accepting),
            None,
        )
        .await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.body);
    assert_eq!(
        accepted.json()["status"],
        "waitlisted",
        "the one place went to the learner enrolled directly"
    );
    let again = app
        .api(
            Method::POST,
            &format!("/api/v1/enrolments/{invitation}/accept"),
            Some(&accepting),
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.json()["error"], "На это приглашение уже дан ответ.");

    let declined_id = app
        .api(Method::GET, "/api/v1/me/enrolments", Some(&declining), None)
        .await
        .json()[0]["id"]
        .as_i64()
        .unwrap();
    let declined = app
        .api(
            Method::POST,
            &format!("/api/v1/enrolments/{declined_id}/decline"),
            Some(&declining),
            None,
        )
        .await;
    assert_eq!(declined.json()["status"], "declined");
    assert_eq!(
        app.api(
            Method::POST,
            &format!("/api/v1/enrolments/{declined_id}/accept"),
            Some(&declining),
            None
        )
        .await
        .status,
        StatusCode::CONFLICT,
        "a declined invitation cannot be accepted later"
    );

    let mail_before = app.mail_to("declines@example.tj").len();
    let again = upload(&mut app, &setup.coordinator, run, false, file.as_bytes()).await;
    assert_eq!(statuses(&again), ["already_enrolled", "already_enrolled", "declined"]);
    assert_eq!(
        again.json()["rows"][1]["message"],
        "Уже на этом потоке (В листе ожидания): ничего не изменится"
    );
    assert_eq!(
        app.mail_to("declines@example.tj").len(),
        mail_before,
        "nobody is asked again"
    );
    assert_eq!(
        enrolments(&app, run),
        pairs(&[
            ("declines@example.tj", "declined"),
            ("learner@example.kg", "waitlisted"),
            ("own@example.kz", "enrolled"),
        ])
    );

    // Once accepted, the invitation is an enrolment like any other: a freed place
    // promotes it, and its learner may study.
    let own = app.api_token("own@example.kz", PASSWORD).await;
    let own_enrolment = app
        .api(Method::GET, "/api/v1/me/enrolments", Some(&own), None)
        .await
        .json()[0]["id"]
        .clone();
    app.api(
        Method::POST,
        &format!("/api/v1/enrolments/{own_enrolment}/withdraw"),
        Some(&own),
        None,
    )
    .await;
    assert_eq!(
        enrolments(&app, run)[1],
        ("learner@example.kg".to_owned(), "enrolled".to_owned())
    );
    assert_eq!(complete_intro(&mut app, &accepting).await, StatusCode::NO_CONTENT);
}

async fn an_administrator_enrols_learners_of_every_institution_and_invites_staff(mut app: TestApp) {
    let setup = setup(&mut app).await;
    let run = new_run(&mut app, &setup.coordinator, setup.institution, 20).await;
    app.create_user("admin@example.kz", Role::Admin, None);
    app.create_user("loose@example.kz", Role::Learner, None);
    let admin = app.api_token("admin@example.kz", PASSWORD).await;
    let file = "email,full name\nlearner@example.kg,\nloose@example.kz,\nother.coordinator@example.kg,\n";
    let applied = upload(&mut app, &admin, run, false, file.as_bytes()).await;
    assert_eq!(statuses(&applied), ["enrol", "enrol", "invite"]);
    assert_eq!(
        enrolments(&app, run),
        pairs(&[
            ("learner@example.kg", "enrolled"),
            ("loose@example.kz", "enrolled"),
            ("other.coordinator@example.kg", "invited"),
        ])
    );
}

async fn the_run_page_asks_an_invited_learner_to_accept_or_decline(mut app: TestApp) {
    let setup = setup(&mut app).await;
    let run = new_run(&mut app, &setup.coordinator, setup.institution, 20).await;
    upload(&mut app, &setup.coordinator, run, false, b"learner@example.kg,\n").await;

    let mut learner = app.signed_in("learner@example.kg").await;
    let page = learner.get(&format!("/runs/{run}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.select("#invitation p"),
        [format!(
            "{ACADEMY} приглашает вас на этот поток. Вы будете записаны, только когда примете приглашение."
        )]
    );
    assert_eq!(
        page.select("#invitation button"),
        ["Принять приглашение", "Отклонить приглашение"]
    );
    assert!(!page.has(&format!("form[action='/runs/{run}/withdraw']")));
    let enrolment_id = page.select_attr("#invitation input[name=enrolment_id]", "value")[0].clone();

    let accepted = learner
        .post_form(&format!("/runs/{run}/accept"), &[("enrolment_id", &enrolment_id)])
        .await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER);
    assert_eq!(accepted.location(), format!("/runs/{run}?done=enrolled"));
    let page = learner.get(&format!("/runs/{run}")).await;
    assert!(!page.has("#invitation"));
    assert!(page.has(&format!("form[action='/runs/{run}/withdraw']")));
    assert_eq!(enrolments(&app, run), pairs(&[("learner@example.kg", "enrolled")]));
    let answered_twice = learner
        .post_form(&format!("/runs/{run}/decline"), &[("enrolment_id", &enrolment_id)])
        .await;
    assert_eq!(answered_twice.location(), format!("/runs/{run}?error=runs.not_invited"));
    assert_eq!(enrolments(&app, run), pairs(&[("learner@example.kg", "enrolled")]));
}

async fn names_with_line_breaks_or_control_characters_are_errors_in_the_preview_and_when_applied(mut app: TestApp) {
    let setup = setup(&mut app).await;
    let run = new_run(&mut app, &setup.coordinator, setup.institution, 20).await;
    let file = "email,full name,category,position,language\n\
        crlf@example.kz,\"Иван\r\nИванов\",,,\n\
        soh@example.kz,Иван\u{1}Иванов,,,\n\
        del@example.kz,Иван\u{7f}Иванов,,,\n\
        nul@example.kz,Иван\0Иванов,,,\n\
        tab@example.kz,Иван\tИванов,,,\n\
        rlo@example.kz,Иван \u{202E}вонавИ,,,\n\
        isolate@example.kz,\u{2068}Иван Иванов\u{2069},,,\n\
        position@example.kz,Иван Иванов,,\"Старший\nследователь\",\n\
        fine@example.kz,Иван Иванов,,,\n";
    let line_break = "Фамилия, имя и отчество — Запишите это в одну строку: удалите перенос строки";
    let special = "Фамилия, имя и отчество — Удалите из этого поля служебные символы";
    let expected = [
        ("crlf@example.kz", line_break),
        ("soh@example.kz", special),
        ("del@example.kz", special),
        ("nul@example.kz", special),
        ("tab@example.kz", special),
        ("rlo@example.kz", special),
        ("isolate@example.kz", special),
        (
            "position@example.kz",
            "Должность — Запишите это в одну строку: удалите перенос строки",
        ),
        (
            "fine@example.kz",
            "Новая учётная запись: будет создана, приглашение придёт по почте",
        ),
    ];
    let before = user_count(&app);
    for dry_run in [true, false] {
        let response = upload(&mut app, &setup.coordinator, run, dry_run, file.as_bytes()).await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.body);
        let rows = response.json()["rows"].clone();
        let found: Vec<(&str, &str)> = rows
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["email"].as_str().unwrap(), r["message"].as_str().unwrap()))
            .collect();
        assert_eq!(found, expected, "dry run {dry_run}");
        assert_eq!(
            statuses(&response),
            ["error", "error", "error", "error", "error", "error", "error", "error", "new"]
        );
    }
    assert_eq!(user_count(&app), before, "nothing is written");
    assert!(enrolments(&app, run).is_empty());
}

async fn the_same_file_applied_several_times_at_once_creates_each_account_and_enrolment_once(mut app: TestApp) {
    let setup = setup(&mut app).await;
    let first = new_run(&mut app, &setup.coordinator, setup.institution, 20).await;
    let second = new_run(&mut app, &setup.coordinator, setup.institution, 20).await;
    let file = "email,full name,category,position,language\n\
        a@example.kz,Айгерим Абенова,investigator,,kk\n\
        b@example.kz,Болат Бекетов,police_officer,,ru\n\
        c@example.kz,Данияр Досов,prosecutor,,ru\n\
        d@example.kz,Ержан Есенов,judge,,ru\n\
        e@example.kz,Жанар Жумаева,investigator,,kk\n";
    let before = user_count(&app);
    // Two uploads into each run, all four at once: each request waits for the
    // database on a thread of its own.
    let mut browsers: Vec<_> = (0..4).map(|_| app.browser()).collect();
    let responses = futures_util::future::join_all(
        browsers
            .iter_mut()
            .zip([first, first, second, second])
            .map(|(browser, run)| browser.send(upload_request(&setup.coordinator, run, false, file.as_bytes()))),
    )
    .await;
    for response in &responses {
        assert_eq!(response.status, StatusCode::OK, "{}", response.body);
        assert!(statuses(response).iter().all(|s| s != "error"), "{}", response.body);
    }
    assert_eq!(user_count(&app), before + 5, "one account per row");
    let everyone = ["a", "b", "c", "d", "e"].map(|n| (format!("{n}@example.kz"), "enrolled".to_owned()));
    assert_eq!(enrolments(&app, first), everyone, "one enrolment per row");
    assert_eq!(enrolments(&app, second), everyone);
    for n in ["a", "b", "c", "d", "e"] {
        let kinds: Vec<String> = app
            .mail_to(&format!("{n}@example.kz"))
            .into_iter()
            .map(|m| m.dedupe_key.unwrap_or_default())
            .filter(|key| key.starts_with("invitation-"))
            .collect();
        assert_eq!(kinds.len(), 1, "one invitation to set a password for {n}");
    }
}

on_both_backends!(
    a_coordinator_enrols_only_learners_of_their_institution_and_invites_everyone_else,
    an_invitation_takes_no_place_until_accepted_and_a_declined_one_is_not_renewed,
    an_administrator_enrols_learners_of_every_institution_and_invites_staff,
    the_run_page_asks_an_invited_learner_to_accept_or_decline,
    names_with_line_breaks_or_control_characters_are_errors_in_the_preview_and_when_applied,
    the_same_file_applied_several_times_at_once_creates_each_account_and_enrolment_once
);
