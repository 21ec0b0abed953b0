//! Course runs and enrolment through the API: modes, approval, waitlists, capacity
//! under concurrency, bulk upload, isolation between institutions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use actix_web::http::{header, Method, StatusCode};
use bilim::accounts::model::{Country, Role, UserId};
use bilim::enrolment::RunId;
use bilim::institutions::InstitutionId;
use common::{TestApp, PASSWORD};
use diesel::prelude::*;
use serde_json::{json, Value};

fn run_body(institution: InstitutionId, enrolment: &str, capacity: i64) -> Value {
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
        "mode": "blended",
        "enrolment": enrolment,
        "key": if enrolment == "key" { "ALMATY-2026" } else { "" },
        "phase": "national_pilot"
    })
}

struct Setup {
    institution: InstitutionId,
    coordinator: String,
}

async fn setup(app: &mut TestApp) -> Setup {
    app.with_courses("valid");
    let (institution, _) = app.institution_with_coordinator(
        "Академия правоохранительных органов",
        Country::Kz,
        "coordinator@example.kz",
    );
    let coordinator = app.api_token("coordinator@example.kz", PASSWORD).await;
    Setup {
        institution,
        coordinator,
    }
}

async fn new_run(app: &mut TestApp, setup: &Setup, enrolment: &str, capacity: i64) -> i64 {
    let response = app
        .api(
            Method::POST,
            "/api/v1/runs",
            Some(&setup.coordinator),
            Some(run_body(setup.institution, enrolment, capacity)),
        )
        .await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.body);
    response.json()["id"].as_i64().unwrap()
}

async fn learner(app: &mut TestApp, email: &str) -> String {
    app.create_user(email, Role::Learner, None);
    app.api_token(email, PASSWORD).await
}

async fn enrol(app: &mut TestApp, token: &str, run: i64, body: Option<Value>) -> common::TestResponse {
    app.api(
        Method::POST,
        &format!("/api/v1/runs/{run}/enrolments"),
        Some(token),
        body,
    )
    .await
}

fn outbox_subjects(app: &TestApp, to: &str) -> Vec<String> {
    app.mail_to(to).into_iter().map(|m| m.subject).collect()
}

async fn a_coordinator_creates_runs_for_their_own_institution_only(mut app: TestApp) {
    let setup = setup(&mut app).await;
    new_run(&mut app, &setup, "open", 10).await;
    let other = app.create_institution("Академия МВД", Country::Kg);
    let foreign = app
        .api(
            Method::POST,
            "/api/v1/runs",
            Some(&setup.coordinator),
            Some(run_body(other, "open", 10)),
        )
        .await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN);
    let mut bad = run_body(setup.institution, "open", 10);
    bad["starts_on"] = json!("05.03.2026");
    let invalid = app
        .api(Method::POST, "/api/v1/runs", Some(&setup.coordinator), Some(bad))
        .await;
    assert_eq!(invalid.status, StatusCode::BAD_REQUEST);
    assert!(
        invalid.json()["error"].as_str().unwrap().contains("ГГГГ-ММ-ДД"),
        "in the coordinator's language"
    );
    let mut no_course = run_body(setup.institution, "open", 10);
    no_course["course_id"] = json!("no-such-course");
    assert_eq!(
        app.api(Method::POST, "/api/v1/runs", Some(&setup.coordinator), Some(no_course))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    let token = learner(&mut app, "nosy@example.kz").await;
    assert_eq!(
        app.api(
            Method::POST,
            "/api/v1/runs",
            Some(&token),
            Some(run_body(setup.institution, "open", 10))
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
}

async fn a_run_with_several_invalid_fields_is_refused_naming_every_one(mut app: TestApp) {
    let setup = setup(&mut app).await;
    let mut body = run_body(setup.institution, "open", 0);
    body["starts_on"] = json!("05.03.2026");
    body["mode"] = json!("by_post");
    body["phase"] = json!(null);
    body["categories"] = json!("investigator astronaut");
    let refused = app
        .api(Method::POST, "/api/v1/runs", Some(&setup.coordinator), Some(body))
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let fields: Vec<String> = refused.json()["fields"].as_object().unwrap().keys().cloned().collect();
    assert_eq!(
        fields
            .iter()
            .map(String::as_str)
            .collect::<std::collections::BTreeSet<_>>(),
        ["capacity", "categories", "mode", "phase", "starts_on"].into(),
        "{}",
        refused.body
    );
    let summary = refused.json()["error"].as_str().unwrap().to_owned();
    assert!(
        summary.contains("ГГГГ-ММ-ДД"),
        "the summary names every problem: {summary}"
    );
    assert_eq!(
        app.api(Method::GET, "/api/v1/runs", Some(&setup.coordinator), None)
            .await
            .json(),
        json!([]),
        "nothing was created"
    );
}

async fn numbers_in_a_run_body_may_be_sent_as_strings(mut app: TestApp) {
    let setup = setup(&mut app).await;
    let mut body = run_body(setup.institution, "open", 10);
    body["capacity"] = json!("12");
    body["institution_id"] = json!(setup.institution.to_string());
    body["min_attendance"] = json!(75);
    let created = app
        .api(Method::POST, "/api/v1/runs", Some(&setup.coordinator), Some(body))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let runs = app
        .api(Method::GET, "/api/v1/runs", Some(&setup.coordinator), None)
        .await
        .json();
    assert_eq!(runs[0]["capacity"], json!(12));
    assert_eq!(runs[0]["min_attendance"], json!(75));
    assert_eq!(runs[0]["mode"], json!("blended"));
    assert_eq!(runs[0]["country"], json!("KZ"));
    assert_eq!(runs[0]["language"], json!("ru"));
    assert_eq!(runs[0]["enrolled"], json!(0));
}

async fn a_run_stored_with_an_unknown_setting_is_an_error_not_another_setting(mut app: TestApp) {
    let setup = setup(&mut app).await;
    let run = new_run(&mut app, &setup, "open", 10).await;
    {
        use bilim::db::schema::course_runs;
        let mut conn = app.state.pool.get().unwrap();
        diesel::update(course_runs::table.find(run))
            .set(course_runs::enrolment.eq("by_lottery"))
            .execute(&mut conn)
            .unwrap();
    }
    let runs = app
        .api(Method::GET, "/api/v1/runs", Some(&setup.coordinator), None)
        .await;
    assert_eq!(
        runs.status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "not read as invitation-only: {}",
        runs.body
    );
}

async fn learners_enrol_in_open_runs_and_can_withdraw(mut app: TestApp) {
    let setup = setup(&mut app).await;
    let run = new_run(&mut app, &setup, "open", 10).await;
    let token = learner(&mut app, "open@example.kz").await;
    let runs = app.api(Method::GET, "/api/v1/runs", Some(&token), None).await.json();
    assert_eq!(runs[0]["id"], json!(run));
    let enrolled = enrol(&mut app, &token, run, None).await;
    assert_eq!(enrolled.status, StatusCode::CREATED);
    let body = enrolled.json();
    assert_eq!(body["status"], "enrolled");
    assert_eq!(body["run_id"], json!(run));
    let mine = app
        .api(Method::GET, "/api/v1/me/enrolments", Some(&token), None)
        .await
        .json();
    assert_eq!(
        mine,
        json!([{"id": body["id"], "run_id": run, "user_id": body["user_id"], "status": "enrolled"}])
    );
    assert_eq!(
        outbox_subjects(&app, "open@example.kz"),
        ["Вы записаны на курс «Демонстрационный курс»"]
    );
    let withdrawn = app
        .api(
            Method::POST,
            &format!("/api/v1/enrolments/{}/withdraw", body["id"]),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(withdrawn.json()["status"], "withdrawn");
    assert_eq!(
        app.api(
            Method::POST,
            &format!("/api/v1/enrolments/{}/withdraw", body["id"]),
            Some(&token),
            None
        )
        .await
        .status,
        StatusCode::CONFLICT
    );
    let again = enrol(&mut app, &token, run, None).await;
    assert_eq!(
        again.json()["status"],
        "enrolled",
        "a learner who withdrew may enrol again"
    );
}

async fn a_key_run_needs_the_right_key(mut app: TestApp) {
    let setup = setup(&mut app).await;
    let run = new_run(&mut app, &setup, "key", 10).await;
    let token = learner(&mut app, "key@example.kz").await;
    let wrong = enrol(&mut app, &token, run, Some(json!({"key": "guess"}))).await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert_eq!(enrol(&mut app, &token, run, None).await.status, StatusCode::BAD_REQUEST);
    let right = enrol(&mut app, &token, run, Some(json!({"key": "ALMATY-2026"}))).await;
    assert_eq!(right.json()["status"], "enrolled");
}

async fn five_wrong_keys_lock_that_learner_out_of_that_run_for_fifteen_minutes(mut app: TestApp) {
    let setup = setup(&mut app).await;
    let run = new_run(&mut app, &setup, "key", 10).await;
    let other_run = new_run(&mut app, &setup, "key", 10).await;
    let guesser = learner(&mut app, "guesser@example.kz").await;
    for attempt in 0..5 {
        let wrong = enrol(
            &mut app,
            &guesser,
            run,
            Some(json!({"key": format!("GUESS-{attempt}")})),
        )
        .await;
        assert_eq!(wrong.status, StatusCode::BAD_REQUEST, "attempt {attempt}");
        assert_eq!(wrong.json()["error"], "Неверный ключ записи.");
    }
    let sixth = enrol(&mut app, &guesser, run, Some(json!({"key": "ALMATY-2026"}))).await;
    assert_eq!(sixth.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        sixth.json()["error"],
        "Слишком много неверных ключей для этого потока. Подождите 15 минут и попробуйте снова или уточните ключ у координатора."
    );
    let mine = app
        .api(Method::GET, "/api/v1/me/enrolments", Some(&guesser), None)
        .await;
    assert_eq!(mine.json(), json!([]), "the right key changed nothing while locked");
    // The lock is the learner's on this run only.
    let elsewhere = enrol(&mut app, &guesser, other_run, Some(json!({"key": "ALMATY-2026"}))).await;
    assert_eq!(elsewhere.status, StatusCode::CREATED);
    let colleague = learner(&mut app, "colleague@example.kz").await;
    let right = enrol(&mut app, &colleague, run, Some(json!({"key": "ALMATY-2026"}))).await;
    assert_eq!(right.status, StatusCode::CREATED);
}

async fn a_run_needs_a_key_of_at_least_eight_characters(mut app: TestApp) {
    let setup = setup(&mut app).await;
    let mut short = run_body(setup.institution, "key", 10);
    short["key"] = json!("ALMATY7");
    let refused = app
        .api(Method::POST, "/api/v1/runs", Some(&setup.coordinator), Some(short))
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        refused.json()["fields"]["key"],
        "Введите ключ записи длиной не менее 8 символов"
    );
    let runs = app
        .api(Method::GET, "/api/v1/runs", Some(&setup.coordinator), None)
        .await;
    assert_eq!(runs.json(), json!([]), "no run was created");
}

async fn approval_runs_take_requests_that_coordinators_decide_with_a_recorded_reason(mut app: TestApp) {
    let setup = setup(&mut app).await;
    let run = new_run(&mut app, &setup, "approval", 10).await;
    let first = learner(&mut app, "first@example.kz").await;
    let second = learner(&mut app, "second@example.kz").await;
    let a = enrol(&mut app, &first, run, None).await.json();
    let b = enrol(&mut app, &second, run, None).await.json();
    assert_eq!(a["status"], "requested");
    let listed = app
        .api(
            Method::GET,
            &format!("/api/v1/runs/{run}/enrolments"),
            Some(&setup.coordinator),
            None,
        )
        .await
        .json();
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert_eq!(
        app.api(
            Method::POST,
            &format!("/api/v1/enrolments/{}/approve", a["id"]),
            Some(&first),
            None
        )
        .await
        .status,
        StatusCode::FORBIDDEN,
        "learners cannot approve"
    );
    let approved = app
        .api(
            Method::POST,
            &format!("/api/v1/enrolments/{}/approve", a["id"]),
            Some(&setup.coordinator),
            None,
        )
        .await;
    assert_eq!(approved.json()["status"], "enrolled");
    assert_eq!(
        app.api(
            Method::POST,
            &format!("/api/v1/enrolments/{}/approve", a["id"]),
            Some(&setup.coordinator),
            None
        )
        .await
        .status,
        StatusCode::CONFLICT
    );
    let no_reason = app
        .api(
            Method::POST,
            &format!("/api/v1/enrolments/{}/reject", b["id"]),
            Some(&setup.coordinator),
            Some(json!({"reason": "  "})),
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::BAD_REQUEST);
    let rejected = app
        .api(
            Method::POST,
            &format!("/api/v1/enrolments/{}/reject", b["id"]),
            Some(&setup.coordinator),
            Some(json!({"reason": "Not a prosecutor"})),
        )
        .await;
    assert_eq!(rejected.json()["status"], "rejected");
    assert_eq!(
        enrol(&mut app, &second, run, None).await.status,
        StatusCode::CONFLICT,
        "a declined learner cannot simply ask again"
    );
    let subjects = outbox_subjects(&app, "second@example.kz");
    assert!(subjects.iter().any(|s| s.contains("отклонена")), "{subjects:?}");

    use bilim::db::schema::enrolment_events;
    let mut conn = app.state.pool.get().unwrap();
    type Event = (Option<String>, String, Option<i64>, Option<String>);
    let events: Vec<Event> = enrolment_events::table
        .filter(enrolment_events::enrolment_id.eq(b["id"].as_i64().unwrap()))
        .order(enrolment_events::id.asc())
        .select((
            enrolment_events::from_status,
            enrolment_events::to_status,
            enrolment_events::actor_id,
            enrolment_events::reason,
        ))
        .load(&mut conn)
        .unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[1].0.as_deref(), Some("requested"));
    assert_eq!(events[1].1, "rejected");
    assert!(events[1].2.is_some(), "who decided is recorded");
    assert_eq!(events[1].3.as_deref(), Some("Not a prosecutor"));
}

async fn a_full_run_waitlists_and_a_freed_place_promotes_the_first_in_line(mut app: TestApp) {
    let setup = setup(&mut app).await;
    let run = new_run(&mut app, &setup, "open", 2).await;
    let mut tokens = Vec::new();
    let mut enrolments = Vec::new();
    for n in 0..4 {
        let token = learner(&mut app, &format!("wait{n}@example.kz")).await;
        enrolments.push(enrol(&mut app, &token, run, None).await.json());
        tokens.push(token);
    }
    let statuses: Vec<&str> = enrolments.iter().map(|e| e["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["enrolled", "enrolled", "waitlisted", "waitlisted"]);
    app.api(
        Method::POST,
        &format!("/api/v1/enrolments/{}/withdraw", enrolments[0]["id"]),
        Some(&tokens[0]),
        None,
    )
    .await;
    let third = app
        .api(Method::GET, "/api/v1/me/enrolments", Some(&tokens[2]), None)
        .await
        .json();
    assert_eq!(third[0]["status"], "enrolled", "the first in line moves up");
    let fourth = app
        .api(Method::GET, "/api/v1/me/enrolments", Some(&tokens[3]), None)
        .await
        .json();
    assert_eq!(fourth[0]["status"], "waitlisted");
    assert!(outbox_subjects(&app, "wait2@example.kz")
        .iter()
        .any(|s| s.contains("Освободилось место")));
}

async fn many_learners_enrolling_at_once_never_overfill_a_run(mut app: TestApp) {
    let setup = setup(&mut app).await;
    let run = new_run(&mut app, &setup, "open", 3).await;
    let mut users = Vec::new();
    for n in 0..12 {
        let id = app.create_user(&format!("rush{n}@example.kz"), Role::Learner, None);
        let mut conn = app.state.pool.get().unwrap();
        users.push(bilim::accounts::store::find(&mut conn, UserId(id)).unwrap().unwrap());
    }
    let pool = app.state.pool.clone();
    let mail = app.state.mail.clone();
    let today = chrono::Utc::now().date_naive();
    let statuses: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = users
            .iter()
            .map(|user| {
                let pool = pool.clone();
                let mail = mail.clone();
                scope.spawn(move || {
                    let mut conn = pool.get().unwrap();
                    bilim::enrolment::self_enrol(&mut conn, &mail, user, RunId(run), None, today)
                        .unwrap()
                        .status
                        .to_string()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(statuses.iter().filter(|s| *s == "enrolled").count(), 3, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| *s == "waitlisted").count(), 9);
    let mut conn = pool.get().unwrap();
    assert_eq!(bilim::enrolment::enrolled_count(&mut conn, RunId(run)).unwrap(), 3);
}

async fn invitation_runs_are_not_open_to_self_enrolment(mut app: TestApp) {
    let setup = setup(&mut app).await;
    let run = new_run(&mut app, &setup, "invitation", 10).await;
    let token = learner(&mut app, "uninvited@example.kz").await;
    assert_eq!(
        enrol(&mut app, &token, run, None).await.status,
        StatusCode::NOT_FOUND,
        "an invitation-only run is not shown"
    );
    assert!(app
        .api(Method::GET, "/api/v1/runs", Some(&token), None)
        .await
        .json()
        .as_array()
        .unwrap()
        .is_empty());
}

/// A learner of Kyrgyzstan sees the runs held in Kyrgyzstan and the regional runs
/// (open to every country), not those held in Kazakhstan, and cannot join those.
async fn learners_only_see_runs_of_their_country(mut app: TestApp) {
    use common::fixtures::RunBuilder;
    let setup = setup(&mut app).await;
    let kazakh_run = new_run(&mut app, &setup, "open", 10).await;
    let (kyrgyz_academy, kyrgyz_coordinator) =
        app.institution_with_coordinator("Академия МВД КР", Country::Kg, "head@example.kg");
    let kyrgyz_run = RunBuilder::new(kyrgyz_academy, kyrgyz_coordinator)
        .country("KG")
        .starts_in_days(10)
        .insert(&app);
    let regional_run = RunBuilder::new(kyrgyz_academy, kyrgyz_coordinator)
        .country("OTHER")
        .starts_in_days(20)
        .insert(&app);
    let kyrgyz = app.create_user_speaking("kyrgyz@example.kg", Role::Learner, None, bilim::i18n::Locale::Ky);
    {
        use bilim::db::schema::users;
        let mut conn = app.state.pool.get().unwrap();
        diesel::update(users::table.find(kyrgyz))
            .set(users::country.eq(Some("KG")))
            .execute(&mut conn)
            .unwrap();
    }
    let token = app.api_token("kyrgyz@example.kg", PASSWORD).await;
    let visible: Vec<i64> = app
        .api(Method::GET, "/api/v1/runs", Some(&token), None)
        .await
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|run| run["id"].as_i64().unwrap())
        .collect();
    assert_eq!(
        visible,
        [kyrgyz_run, regional_run],
        "the Kyrgyz and the regional run, not the Kazakh run {kazakh_run}"
    );
    assert_eq!(
        enrol(&mut app, &token, kazakh_run, None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        enrol(&mut app, &token, kyrgyz_run, None).await.status,
        StatusCode::CREATED
    );
}

/// Once a run's enrolment closes (its `enrol_by` has passed) learners no longer find
/// it nor join it; those already in it still see it.
async fn a_run_whose_enrolment_has_closed_is_hidden_from_all_but_its_learners(mut app: TestApp) {
    use common::fixtures::RunBuilder;
    app.with_courses("valid");
    let (academy, coordinator) =
        app.institution_with_coordinator("Академия правоохранительных органов", Country::Kz, "head@example.kz");
    let closed = RunBuilder::new(academy, coordinator).started_days_ago(1).insert(&app);
    let open = RunBuilder::new(academy, coordinator).starts_in_days(0).insert(&app);
    let runs_of = |body: Value| -> Vec<i64> {
        body.as_array()
            .unwrap()
            .iter()
            .map(|run| run["id"].as_i64().unwrap())
            .collect()
    };
    let newcomer = learner(&mut app, "late@example.kz").await;
    assert_eq!(
        runs_of(app.api(Method::GET, "/api/v1/runs", Some(&newcomer), None).await.json()),
        [open],
        "a run enrolling until today is listed; one that closed yesterday is not"
    );
    assert_eq!(
        enrol(&mut app, &newcomer, closed, None).await.status,
        StatusCode::NOT_FOUND
    );
    let member = app.create_user("member@example.kz", Role::Learner, None);
    app.admit(closed, member, "enrolled");
    let member = app.api_token("member@example.kz", PASSWORD).await;
    let mut seen = runs_of(app.api(Method::GET, "/api/v1/runs", Some(&member), None).await.json());
    seen.sort_unstable();
    assert_eq!(seen, [closed, open]);
}

async fn coordinators_see_nothing_of_another_institution(mut app: TestApp) {
    let setup = setup(&mut app).await;
    let run = new_run(&mut app, &setup, "approval", 10).await;
    let token = learner(&mut app, "isolated@example.kz").await;
    let request = enrol(&mut app, &token, run, None).await.json();
    let other = app.create_institution("Другая академия", Country::Kz);
    app.create_user("other.coordinator@example.kz", Role::Coordinator, Some(other));
    let stranger = app.api_token("other.coordinator@example.kz", PASSWORD).await;
    assert!(app
        .api(Method::GET, "/api/v1/runs", Some(&stranger), None)
        .await
        .json()
        .as_array()
        .unwrap()
        .is_empty());
    assert_eq!(
        app.api(
            Method::GET,
            &format!("/api/v1/runs/{run}/enrolments"),
            Some(&stranger),
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.api(
            Method::POST,
            &format!("/api/v1/enrolments/{}/approve", request["id"]),
            Some(&stranger),
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.api(
            Method::POST,
            &format!("/api/v1/enrolments/{}/reject", request["id"]),
            Some(&stranger),
            Some(json!({"reason": "x"}))
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    let csv = app
        .send(
            actix_web::test::TestRequest::post()
                .uri(&format!("/api/v1/runs/{run}/enrolments/bulk?dry_run=true"))
                .insert_header((header::AUTHORIZATION, format!("Bearer {stranger}")))
                .insert_header((header::CONTENT_TYPE, "text/csv"))
                .set_payload("a@b.kz,A"),
        )
        .await;
    assert_eq!(csv.status, StatusCode::NOT_FOUND);
    app.create_user("admin@example.kz", Role::Admin, None);
    let admin = app.api_token("admin@example.kz", PASSWORD).await;
    assert_eq!(
        app.api(
            Method::GET,
            &format!("/api/v1/runs/{run}/enrolments"),
            Some(&admin),
            None
        )
        .await
        .status,
        StatusCode::OK
    );
}
on_both_backends!(
    five_wrong_keys_lock_that_learner_out_of_that_run_for_fifteen_minutes,
    a_run_needs_a_key_of_at_least_eight_characters,
    a_coordinator_creates_runs_for_their_own_institution_only,
    a_run_with_several_invalid_fields_is_refused_naming_every_one,
    numbers_in_a_run_body_may_be_sent_as_strings,
    a_run_stored_with_an_unknown_setting_is_an_error_not_another_setting,
    learners_enrol_in_open_runs_and_can_withdraw,
    a_key_run_needs_the_right_key,
    approval_runs_take_requests_that_coordinators_decide_with_a_recorded_reason,
    a_full_run_waitlists_and_a_freed_place_promotes_the_first_in_line,
    many_learners_enrolling_at_once_never_overfill_a_run,
    invitation_runs_are_not_open_to_self_enrolment,
    learners_only_see_runs_of_their_country,
    a_run_whose_enrolment_has_closed_is_hidden_from_all_but_its_learners,
    coordinators_see_nothing_of_another_institution
);

async fn bulk(app: &mut TestApp, setup: &Setup, run: i64, dry_run: bool, body: Vec<u8>) -> common::TestResponse {
    let query = if dry_run { "?dry_run=true" } else { "" };
    app.send(
        actix_web::test::TestRequest::post()
            .uri(&format!("/api/v1/runs/{run}/enrolments/bulk{query}"))
            .insert_header((header::AUTHORIZATION, format!("Bearer {}", setup.coordinator)))
            .insert_header((header::CONTENT_TYPE, "text/csv"))
            .insert_header((header::ACCEPT_LANGUAGE, "en"))
            .set_payload(body),
    )
    .await
}

fn user_count(app: &TestApp) -> i64 {
    use bilim::db::schema::users;
    let mut conn = app.state.pool.get().unwrap();
    users::table.count().get_result(&mut conn).unwrap()
}

const GROUP: &str = "email,full name,category,position,language\n\
    aidos@example.kz,Айдос Ерланұлы,investigator,Senior investigator,kk\n\
    existing@example.kz,Existing Person,police_officer,,ru\n\
    gulnara@example.kz,Гульнара Сейтова,prosecutor,Prosecutor,ru\n";

async fn a_bulk_upload_is_previewed_row_by_row_and_nothing_is_written_until_it_is_applied(mut app: TestApp) {
    let setup = setup(&mut app).await;
    let run = new_run(&mut app, &setup, "invitation", 20).await;
    app.create_user("existing@example.kz", Role::Learner, Some(setup.institution));
    let before = user_count(&app);
    let preview = bulk(&mut app, &setup, run, true, GROUP.as_bytes().to_vec()).await;
    assert_eq!(preview.status, StatusCode::OK);
    let rows = preview.json()["rows"].clone();
    assert_eq!(
        rows.as_array()
            .unwrap()
            .iter()
            .map(|r| r["status"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["new", "enrol", "new"]
    );
    assert_eq!(rows[0]["line"], json!(2));
    assert_eq!(rows[0]["email"], "aidos@example.kz");
    assert_eq!(user_count(&app), before, "a preview writes nothing");

    let applied = bulk(&mut app, &setup, run, false, GROUP.as_bytes().to_vec()).await;
    let done = applied.json()["rows"].clone();
    let outcome = |rows: &serde_json::Value| -> Vec<(serde_json::Value, serde_json::Value, serde_json::Value)> {
        rows.as_array()
            .unwrap()
            .iter()
            .map(|r| (r["line"].clone(), r["email"].clone(), r["status"].clone()))
            .collect()
    };
    assert_eq!(
        outcome(&done),
        outcome(&rows),
        "applying does to each row what the check said"
    );
    assert_ne!(done[0]["message"], rows[0]["message"], "and says it has done it");
    assert_eq!(user_count(&app), before + 2);
    let listed = app
        .api(
            Method::GET,
            &format!("/api/v1/runs/{run}/enrolments"),
            Some(&setup.coordinator),
            None,
        )
        .await
        .json();
    assert_eq!(listed.as_array().unwrap().len(), 3);
    assert_eq!(
        outbox_subjects(&app, "aidos@example.kz").len(),
        2,
        "an invitation and the enrolment notice"
    );
    let again = bulk(&mut app, &setup, run, false, GROUP.as_bytes().to_vec())
        .await
        .json();
    assert_eq!(
        user_count(&app),
        before + 2,
        "uploading the same file again creates nobody"
    );
    assert_eq!(again["rows"][0]["status"], "already_enrolled");
    assert_eq!(
        outbox_subjects(&app, "aidos@example.kz").len(),
        2,
        "and sends nothing again"
    );
    assert_eq!(
        app.api(
            Method::GET,
            &format!("/api/v1/runs/{run}/enrolments"),
            Some(&setup.coordinator),
            None
        )
        .await
        .json()
        .as_array()
        .unwrap()
        .len(),
        3
    );

    let mut conn = app.state.pool.get().unwrap();
    let aidos = bilim::accounts::store::find_row_by_email(&mut conn, "aidos@example.kz")
        .unwrap()
        .unwrap();
    assert_eq!(aidos.name, "Айдос Ерланұлы");
    assert_eq!(aidos.locale, "kk");
    assert_eq!(aidos.category, "investigator");
    assert_eq!(aidos.institution_id, Some(setup.institution));
}

async fn a_file_with_any_bad_row_is_refused_whole_with_a_reason_per_row(mut app: TestApp) {
    let setup = setup(&mut app).await;
    let run = new_run(&mut app, &setup, "invitation", 20).await;
    let before = user_count(&app);
    let file = "email;full name;category;position;language\nok@example.kz;Good Row;judge;;en\nnot-an-email;Bad Row;judge;;en\nok@example.kz;Twice;judge;;en\nx@example.kz;Astronaut;astronaut;;en\ny@example.kz;Linguist;judge;;fr\n";
    let response = bulk(&mut app, &setup, run, false, file.as_bytes().to_vec()).await;
    let rows = response.json()["rows"].clone();
    let statuses: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["new", "error", "error", "error", "error"]);
    // Messages are in the coordinator's language (Russian).
    assert!(rows[1]["message"].as_str().unwrap().contains("адрес электронной почты"));
    assert!(rows[2]["message"].as_str().unwrap().contains("несколько раз"));
    assert!(rows[3]["message"].as_str().unwrap().contains("astronaut"));
    assert!(rows[4]["message"].as_str().unwrap().contains("fr"));
    assert_eq!(user_count(&app), before, "nothing is written when any row is wrong");
}

async fn a_gender_column_is_optional_read_in_any_language_and_never_overwrites_an_account(mut app: TestApp) {
    let setup = setup(&mut app).await;
    let run = new_run(&mut app, &setup, "invitation", 20).await;
    let existing = app.create_user("declared@example.kz", Role::Learner, Some(setup.institution));
    app.set_user_gender(existing, Some("male"));
    let male_in_kazakh = bilim::i18n::t(bilim::i18n::Locale::Kk, "genders.male");
    let bad = "email,full name,category,position,language,gender\nx@example.kz,X,judge,,en,sometimes\n";
    let refused = bulk(&mut app, &setup, run, false, bad.as_bytes().to_vec()).await.json();
    assert_eq!(refused["rows"][0]["status"], "error");
    assert!(refused["rows"][0]["message"].as_str().unwrap().contains("sometimes"));
    let file = format!(
        "email,full name,category,position,language,gender\n\
             aliya@example.kz,Алия Нурлановна,investigator,,kk,female\n\
             marat@example.kz,Марат Беков,police_officer,,kk,{male_in_kazakh}\n\
             nodata@example.kz,Без Данных,police_officer,,ru,\n\
             declared@example.kz,Declared,police_officer,,ru,female\n"
    );
    let applied = bulk(&mut app, &setup, run, false, file.into_bytes()).await.json();
    let statuses: Vec<&str> = applied["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["new", "new", "new", "enrol"]);
    let gender = |email: &str| {
        let mut conn = app.state.pool.get().unwrap();
        bilim::db::schema::users::table
            .filter(bilim::db::schema::users::email.eq(email))
            .select(bilim::db::schema::users::gender)
            .first::<Option<String>>(&mut conn)
            .unwrap()
    };
    assert_eq!(gender("aliya@example.kz").as_deref(), Some("female"));
    assert_eq!(gender("marat@example.kz").as_deref(), Some("male"));
    assert_eq!(gender("nodata@example.kz"), None);
    assert_eq!(
        gender("declared@example.kz").as_deref(),
        Some("male"),
        "what a person declared is theirs"
    );
}

async fn windows_1251_and_utf8_with_bom_are_read_correctly(mut app: TestApp) {
    let setup = setup(&mut app).await;
    let run = new_run(&mut app, &setup, "invitation", 20).await;
    let text =
        "email;ФИО;категория;должность;язык\ncp1251@example.kz;Сергей Ковалёв;Следователь;Старший следователь;ru\n";
    let (encoded, _, _) = encoding_rs::WINDOWS_1251.encode(text);
    let preview = bulk(&mut app, &setup, run, false, encoded.into_owned()).await.json();
    assert_eq!(preview["rows"][0]["status"], "new", "{preview}");
    let with_bom = [
        b"\xEF\xBB\xBF".as_slice(),
        "bom@example.kz,Әлия Нұрланқызы,prosecutor,,kk\n".as_bytes(),
    ]
    .concat();
    assert_eq!(
        bulk(&mut app, &setup, run, false, with_bom).await.json()["rows"][0]["status"],
        "new"
    );
    let mut conn = app.state.pool.get().unwrap();
    assert_eq!(
        bilim::accounts::store::find_row_by_email(&mut conn, "cp1251@example.kz")
            .unwrap()
            .unwrap()
            .name,
        "Сергей Ковалёв"
    );
    assert_eq!(
        bilim::accounts::store::find_row_by_email(&mut conn, "cp1251@example.kz")
            .unwrap()
            .unwrap()
            .category,
        "investigator",
        "categories may be given by name"
    );
    assert_eq!(
        bilim::accounts::store::find_row_by_email(&mut conn, "bom@example.kz")
            .unwrap()
            .unwrap()
            .name,
        "Әлия Нұрланқызы"
    );
}

async fn a_malformed_file_gets_a_clear_error_and_writes_nothing(mut app: TestApp) {
    let setup = setup(&mut app).await;
    let run = new_run(&mut app, &setup, "invitation", 20).await;
    let before = user_count(&app);
    let empty = bulk(&mut app, &setup, run, false, b"\n\n".to_vec()).await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert_eq!(empty.json(), json!({"error": "В файле нет строк."}));
    let unreadable = json!({"error": "Не удалось прочитать файл как CSV. Сохраните таблицу в формате CSV (UTF-8 или Windows-1251) и попробуйте снова."});
    let unclosed_quote = bulk(
        &mut app,
        &setup,
        run,
        false,
        b"email,name\n\"unclosed@example.kz,Name\nnext@example.kz,Next\n".to_vec(),
    )
    .await;
    assert_eq!(
        unclosed_quote.status,
        StatusCode::BAD_REQUEST,
        "{}",
        unclosed_quote.body
    );
    assert_eq!(unclosed_quote.json(), unreadable);
    let binary = bulk(&mut app, &setup, run, false, vec![0, 159, 146, 150, 255, 0, 1]).await;
    assert_eq!(binary.status, StatusCode::BAD_REQUEST, "{}", binary.body);
    assert_eq!(binary.json(), unreadable);
    assert_eq!(user_count(&app), before);
    assert!(app
        .api(
            Method::GET,
            &format!("/api/v1/runs/{run}/enrolments"),
            Some(&setup.coordinator),
            None
        )
        .await
        .json()
        .as_array()
        .unwrap()
        .is_empty());
}
/// Dates far outside this century are refused with the field named and nothing is
/// written; PostgreSQL never sees them (it answered 500 to year -262143).
async fn run_dates_outside_2000_to_2100_are_refused_by_field(mut app: TestApp) {
    let setup = setup(&mut app).await;
    let mut body = run_body(setup.institution, "open", 10);
    body["starts_on"] = json!("-262143-01-01");
    body["ends_on"] = json!("2101-01-01");
    let refused = app
        .api(
            Method::POST,
            "/api/v1/runs?lang=en",
            Some(&setup.coordinator),
            Some(body),
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    let fields = refused.json()["fields"].clone();
    assert_eq!(
        fields["starts_on"],
        json!("The start date must be between the years 2000 and 2100")
    );
    assert_eq!(
        fields["ends_on"],
        json!("The end date must be between the years 2000 and 2100")
    );
    let runs = app
        .api(Method::GET, "/api/v1/runs", Some(&setup.coordinator), None)
        .await
        .json();
    assert_eq!(runs, json!([]), "nothing was written");
}

on_both_backends!(
    run_dates_outside_2000_to_2100_are_refused_by_field,
    a_bulk_upload_is_previewed_row_by_row_and_nothing_is_written_until_it_is_applied,
    a_file_with_any_bad_row_is_refused_whole_with_a_reason_per_row,
    a_gender_column_is_optional_read_in_any_language_and_never_overwrites_an_account,
    windows_1251_and_utf8_with_bom_are_read_correctly,
    a_malformed_file_gets_a_clear_error_and_writes_nothing
);
