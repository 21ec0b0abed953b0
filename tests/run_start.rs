//! A course run's start date: its learners read the course from that day on (or
//! earlier, when the run's content opens before the start), and a certificate is never
//! issued before the run has started.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use actix_web::http::{Method, StatusCode};
use bilim::accounts::model::{Country, Role};
use bilim::i18n::Locale;
use chrono::{Duration, NaiveDate, Utc};
use common::fixtures::{meet_the_demo_course_rule, RunBuilder};
use common::{TestApp, PASSWORD};
use serde_json::{json, Value};

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// The demo course with a run of it by a Kazakh academy; returns the institution and
/// the coordinator's id.
fn academy(app: &TestApp) -> (bilim::institutions::InstitutionId, i64) {
    app.with_courses("valid");
    app.institution_with_coordinator(
        "Академия правоохранительных органов",
        Country::Kz,
        "coordinator@example.kz",
    )
}

fn module_progress_rows(app: &TestApp, user: i64) -> i64 {
    use bilim::db::schema::module_progress;
    use diesel::prelude::*;
    let mut conn = app.state.pool.get().unwrap();
    module_progress::table
        .filter(module_progress::user_id.eq(user))
        .filter(module_progress::course_id.eq("demo-course"))
        .count()
        .get_result(&mut conn)
        .unwrap()
}

fn move_start_to_today(app: &TestApp, run: i64) {
    use bilim::db::schema::course_runs;
    use diesel::prelude::*;
    let mut conn = app.state.pool.get().unwrap();
    diesel::update(course_runs::table.find(run))
        .set((course_runs::starts_on.eq(today()), course_runs::enrol_by.eq(today())))
        .execute(&mut conn)
        .unwrap();
}

async fn certificates_of(app: &mut TestApp, token: &str) -> Vec<Value> {
    app.api(Method::GET, "/api/v1/me/certificates", Some(token), None)
        .await
        .json()
        .as_array()
        .unwrap()
        .clone()
}

async fn a_learner_without_a_run_is_led_to_the_runs_open_to_them_not_to_a_refusal(mut app: TestApp) {
    let (institution, coordinator) = academy(&app);
    let run = RunBuilder::new(institution, coordinator)
        .starts_in_days(10)
        .insert(&app);
    app.sign_in_as("newcomer@example.kz", Role::Learner, Some(Country::Kz))
        .await;
    let page = app.get("/courses/demo-course?lang=en").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.has("#join-title"), "{}", page.body);
    assert!(page.has(&format!("a[href='/runs/{run}']")), "the open run is offered");
    assert!(
        !page.has("a.button[href='/courses/demo-course/intro']"),
        "no 'start' that would end in a refusal"
    );
    assert!(!page.has(".module-list a"), "module titles are not links to a refusal");

    app.sign_out_locally();
    app.sign_in_as("elsewhere@example.uz", Role::Learner, Some(Country::Uz))
        .await;
    let none_open = app.get("/courses/demo-course?lang=en").await;
    assert!(
        !none_open.has(".join-run a"),
        "a Kazakh run is not open to an Uzbek learner"
    );
    assert!(
        none_open.select(".join-run").join(" ").contains("Ask the coordinator"),
        "{}",
        none_open.select(".join-run").join(" ")
    );

    app.sign_out_locally();
    let admitted = app
        .sign_in_as("admitted@example.kz", Role::Learner, Some(Country::Kz))
        .await;
    app.admit(run, admitted, "enrolled");
    let waiting = app.get("/courses/demo-course?lang=en").await;
    assert!(
        waiting
            .select(".notice")
            .join(" ")
            .contains(&bilim::i18n::format_date(Locale::En, today() + Duration::days(10))),
        "the day the run opens"
    );
    move_start_to_today(&app, run);
    let open = app.get("/courses/demo-course?lang=en").await;
    assert!(open.has("a.button[href='/courses/demo-course/intro']"), "{}", open.body);
}

async fn a_learner_cannot_study_a_run_before_it_starts_and_is_told_the_day_it_opens(mut app: TestApp) {
    let (institution, coordinator) = academy(&app);
    let run = RunBuilder::new(institution, coordinator)
        .starts_in_days(10)
        .insert(&app);
    let learner = app
        .sign_in_as("early@example.kz", Role::Learner, Some(Country::Kz))
        .await;
    app.admit(run, learner, "enrolled");
    let opens = today() + Duration::days(10);
    let english = format!(
        "Your course run starts on {}. Its content opens on that day.",
        bilim::i18n::format_date(Locale::En, opens)
    );

    let page = app.get("/courses/demo-course/intro?lang=en").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.body.contains(&english), "{}", page.body);
    let russian = app.get("/courses/demo-course/intro?lang=ru").await;
    assert!(
        russian.body.contains(&format!(
            "Ваш поток начинается {}.",
            bilim::i18n::format_date(Locale::Ru, opens)
        )),
        "{}",
        russian.body
    );

    let token = app.api_token("early@example.kz", PASSWORD).await;
    let complete = app
        .api(
            Method::POST,
            "/api/v1/courses/demo-course/modules/intro/complete?lang=en",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(complete.status, StatusCode::FORBIDDEN);
    assert_eq!(complete.json(), json!({ "error": english }));
    let attempt = app
        .api(
            Method::POST,
            "/api/v1/courses/demo-course/quizzes/check/attempts?lang=en",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(attempt.status, StatusCode::FORBIDDEN);
    assert_eq!(attempt.json(), json!({ "error": english }));
    assert_eq!(
        app.get("/courses/demo-course/intro/files/scheme.png").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(module_progress_rows(&app, learner), 0, "nothing was recorded");

    app.sign_out_locally();
    app.sign_in_as("trainer@example.kz", Role::Trainer, None).await;
    assert_eq!(
        app.get("/courses/demo-course/intro").await.status,
        StatusCode::OK,
        "staff preview the course whenever they like"
    );
}

async fn a_run_whose_content_opens_early_is_studied_before_its_start_and_certified_from_it(mut app: TestApp) {
    let (institution, coordinator) = academy(&app);
    let run = RunBuilder::new(institution, coordinator)
        .starts_in_days(10)
        .opens_early(true)
        .insert(&app);
    let visitor = app
        .sign_in_as("visitor@example.kz", Role::Learner, Some(Country::Kz))
        .await;
    app.admit(run, visitor, "enrolled");
    let waiter = app.create_user("waiter@example.kz", Role::Learner, None);
    app.admit(run, waiter, "enrolled");
    let visitor_token = app.api_token("visitor@example.kz", PASSWORD).await;
    let waiter_token = app.api_token("waiter@example.kz", PASSWORD).await;
    assert_eq!(app.get("/courses/demo-course/intro").await.status, StatusCode::OK);
    meet_the_demo_course_rule(&mut app, &visitor_token).await;
    meet_the_demo_course_rule(&mut app, &waiter_token).await;

    assert_eq!(certificates_of(&mut app, &visitor_token).await, Vec::<Value>::new());
    let enrolments = app
        .api(Method::GET, "/api/v1/me/enrolments", Some(&visitor_token), None)
        .await
        .json();
    assert_eq!(enrolments[0]["status"], "completed", "the completion is recorded");
    let page = app.get("/certificates?lang=en").await;
    let waiting = format!(
        "Your certificate will be issued when your course run starts, on {}.",
        bilim::i18n::format_date(Locale::En, today() + Duration::days(10))
    );
    assert!(page.select(".certificate-note").contains(&waiting), "{}", page.body);

    move_start_to_today(&app, run);
    let page = app.get("/certificates?lang=en").await;
    assert!(!page.select(".certificate-note").contains(&waiting), "{}", page.body);
    let issued = certificates_of(&mut app, &visitor_token).await;
    assert_eq!(issued.len(), 1, "the first visit after the start issues it");
    assert_eq!(issued[0]["run_id"], json!(run));

    assert_eq!(certificates_of(&mut app, &waiter_token).await, Vec::<Value>::new());
    {
        let mut conn = app.state.pool.get().unwrap();
        bilim::certificates::issue_waiting(&mut conn, Utc::now().naive_utc()).unwrap();
    }
    assert_eq!(
        certificates_of(&mut app, &waiter_token).await.len(),
        1,
        "the hourly upkeep issues the others"
    );
    {
        let mut conn = app.state.pool.get().unwrap();
        assert_eq!(
            bilim::certificates::issue_waiting(&mut conn, Utc::now().naive_utc()).unwrap(),
            0,
            "nothing waits any more"
        );
    }
}

async fn a_run_says_whether_its_content_opens_early_in_the_form_and_the_api(mut app: TestApp) {
    let (institution, _) = academy(&app);
    let token = app.api_token("coordinator@example.kz", PASSWORD).await;
    let body = |opens_early: Value| {
        json!({
            "course_id": "demo-course",
            "institution_id": institution,
            "language": "ru",
            "country": "KZ",
            "starts_on": (today() + Duration::days(30)).to_string(),
            "ends_on": (today() + Duration::days(40)).to_string(),
            "enrol_by": (today() + Duration::days(20)).to_string(),
            "capacity": 10,
            "mode": "online",
            "enrolment": "open",
            "phase": "thematic",
            "opens_early": opens_early,
        })
    };
    let refused = app
        .api(
            Method::POST,
            "/api/v1/runs?lang=en",
            Some(&token),
            Some(body(json!("maybe"))),
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        refused.json(),
        json!({"error": "Choose yes or no", "fields": {"opens_early": "Choose yes or no"}})
    );
    let created = app
        .api(Method::POST, "/api/v1/runs", Some(&token), Some(body(json!(true))))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.json()["id"].as_i64().unwrap();
    let closed = app
        .api(Method::POST, "/api/v1/runs", Some(&token), Some(body(Value::Null)))
        .await;
    let closed_id = closed.json()["id"].as_i64().unwrap();
    let runs = app.api(Method::GET, "/api/v1/runs", Some(&token), None).await.json();
    let opens_early = |id: i64| {
        runs.as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == json!(id))
            .map(|r| r["opens_early"].clone())
    };
    assert_eq!(opens_early(id), Some(json!(true)));
    assert_eq!(opens_early(closed_id), Some(json!(false)), "closed unless asked");

    app.sign_in("coordinator@example.kz", PASSWORD).await;
    let new = app.get("/coordinator/runs/new?lang=en").await;
    assert_eq!(new.select_attr("input#opens_early", "type"), ["checkbox"]);
    assert!(new
        .select("label[for=opens_early]")
        .contains(&"Content opens before the start date".to_owned()));
    let edit = app.get(&format!("/coordinator/runs/{id}/edit?lang=en")).await;
    assert_eq!(
        edit.count("input#opens_early[checked]"),
        1,
        "the saved setting is ticked"
    );
    let starts = (today() + Duration::days(30)).to_string();
    let ends = (today() + Duration::days(40)).to_string();
    let enrol_by = (today() + Duration::days(20)).to_string();
    let institution_text = institution.to_string();
    let saved = app
        .post_form(
            &format!("/coordinator/runs/{id}/edit"),
            &[
                ("course_id", "demo-course"),
                ("institution_id", &institution_text),
                ("language", "ru"),
                ("country", "KZ"),
                ("starts_on", &starts),
                ("ends_on", &ends),
                ("enrol_by", &enrol_by),
                ("capacity", "10"),
                ("mode", "online"),
                ("enrolment", "open"),
                ("phase", "thematic"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let edit = app.get(&format!("/coordinator/runs/{id}/edit?lang=en")).await;
    assert_eq!(edit.count("input#opens_early[checked]"), 0, "an unticked box closes it");
}

/// Clears the mark that a run's "starting soon" reminders were queued, as a run looks
/// to an instance that read it before another instance marked it.
fn unmark_reminded(app: &TestApp, run: i64) {
    use bilim::db::schema::course_runs;
    use diesel::prelude::*;
    let mut conn = app.state.pool.get().unwrap();
    diesel::update(course_runs::table.find(run))
        .set(course_runs::reminder_sent_at.eq(None::<chrono::NaiveDateTime>))
        .execute(&mut conn)
        .unwrap();
}

/// "Starting soon" reminders go to the enrolled learners of runs starting within three
/// days, once each: not to those only asking for a place or waiting for one, not to
/// learners of a run starting later or already started, and never twice, also when two
/// instances' workers both found the run before either had marked it.
async fn learners_of_a_run_starting_within_three_days_are_reminded_once(app: TestApp) {
    let (institution, coordinator) = academy(&app);
    let run = |starts_in: i64| {
        RunBuilder::new(institution, coordinator)
            .starts_in_days(starts_in)
            .insert(&app)
    };
    let (soon, later, started) = (run(3), run(4), run(-1));
    for (email, run, status) in [
        ("soon@example.kz", soon, "enrolled"),
        ("asking@example.kz", soon, "requested"),
        ("waiting@example.kz", soon, "waitlisted"),
        ("later@example.kz", later, "enrolled"),
        ("started@example.kz", started, "enrolled"),
    ] {
        let learner = app.create_user(email, Role::Learner, None);
        app.admit(run, learner, status);
    }
    // What the mail worker runs on every tick.
    let remind = |now: chrono::NaiveDateTime| {
        let mut conn = app.state.pool.get().unwrap();
        bilim::enrolment::queue_start_reminders(&mut conn, &app.state.mail, now).unwrap()
    };
    let now = Utc::now().naive_utc();
    let subjects = |email: &str| -> Vec<String> { app.mail_to(email).into_iter().map(|m| m.subject).collect() };

    let queued = remind(now);
    let course = {
        let mut conn = app.state.pool.get().unwrap();
        bilim::courses::reading::course_title(&mut conn, "demo-course", Locale::Ru).unwrap()
    };
    let starts = bilim::i18n::format_date(Locale::Ru, today() + Duration::days(3));
    assert_eq!(
        subjects("soon@example.kz"),
        [bilim::i18n::t_with(
            Locale::Ru,
            "mail.run_starting_soon.subject",
            &[("course", &course), ("starts", &starts)]
        )]
    );
    for other in [
        "asking@example.kz",
        "waiting@example.kz",
        "later@example.kz",
        "started@example.kz",
    ] {
        assert_eq!(subjects(other), Vec::<String>::new(), "{other} is not reminded");
    }
    assert_eq!(queued, 1);

    assert_eq!(remind(now), 0, "the next tick queues nothing");
    // A second instance that read the run before the first marked it.
    unmark_reminded(&app, soon);
    remind(now);
    assert_eq!(subjects("soon@example.kz").len(), 1, "a learner is reminded once");

    // A day later, the run that started in four days starts in three.
    assert_eq!(remind(now + Duration::days(1)), 1);
    assert_eq!(subjects("later@example.kz").len(), 1);
    assert_eq!(subjects("soon@example.kz").len(), 1);
    assert_eq!(subjects("started@example.kz"), Vec::<String>::new());
}

on_both_backends!(
    a_learner_without_a_run_is_led_to_the_runs_open_to_them_not_to_a_refusal,
    learners_of_a_run_starting_within_three_days_are_reminded_once,
    a_learner_cannot_study_a_run_before_it_starts_and_is_told_the_day_it_opens,
    a_run_whose_content_opens_early_is_studied_before_its_start_and_certified_from_it,
    a_run_says_whether_its_content_opens_early_in_the_form_and_the_api
);
