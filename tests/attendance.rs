//! Attendance at in-person days: trainers assigned to runs, days and registers, the
//! attendance a run requires before completion, and who may keep a register.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use actix_web::http::{Method, StatusCode};
use bilim::accounts::model::{Country, Role, UserId};
use bilim::db::schema::{attendance, course_runs, enrolments, run_sessions, run_trainers};
use bilim::enrolment::RunId;
use bilim::i18n::{self, Locale};
use bilim::institutions::InstitutionId;
use chrono::{Duration, NaiveDate, Utc};
use common::fixtures::{meet_the_demo_course_rule, RunBuilder};
use common::{Browser, TestApp, PASSWORD};
use diesel::prelude::*;
use serde_json::json;

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// A message as the templates print it, HTML-escaped.
fn shown(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
        .replace('/', "&#x2F;")
}

/// A run of the demo course from five days ago to today, its last day, when its
/// attendance is decided.
fn insert_run(app: &TestApp, institution: InstitutionId, mode: &str, min_attendance: Option<i32>, creator: i64) -> i64 {
    RunBuilder::new(institution, creator)
        .started_days_ago(5)
        .ends_on(today())
        .mode(mode)
        .min_attendance(min_attendance)
        .insert(app)
}

fn days_of(app: &TestApp, run: i64) -> Vec<(i64, NaiveDate)> {
    let mut conn = app.state.pool.get().unwrap();
    run_sessions::table
        .filter(run_sessions::run_id.eq(run))
        .order(run_sessions::held_on.asc())
        .select((run_sessions::id, run_sessions::held_on))
        .load(&mut conn)
        .unwrap()
}

fn attendance_rows(app: &TestApp) -> Vec<(i64, i64, bool)> {
    let mut conn = app.state.pool.get().unwrap();
    attendance::table
        .order((attendance::session_id, attendance::user_id))
        .select((attendance::session_id, attendance::user_id, attendance::present))
        .load(&mut conn)
        .unwrap()
}

struct Setup {
    institution: InstitutionId,
    coordinator: i64,
    trainer: i64,
    learner: i64,
    run: i64,
}

/// A blended run requiring 60 % attendance, its trainer and one admitted learner.
fn setup(app: &TestApp) -> Setup {
    app.with_courses("valid");
    let (institution, coordinator) =
        app.institution_with_coordinator("Академия МВД", Country::Kz, "coordinator@example.kz");
    let trainer = app.create_user("trainer@example.kz", Role::Trainer, None);
    let learner = app.create_user("learner@example.kz", Role::Learner, Some(institution));
    let run = insert_run(app, institution, "blended", Some(60), coordinator);
    app.admit(run, learner, "enrolled");
    Setup {
        institution,
        coordinator,
        trainer,
        learner,
        run,
    }
}

async fn add_day(browser: &mut Browser, run: i64, day: NaiveDate) -> common::TestResponse {
    browser
        .post_form(
            &format!("/runs/{run}/attendance/days"),
            &[
                ("held_on", &day.to_string()),
                ("topic", "Изъятие цифровых доказательств"),
            ],
        )
        .await
}

/// The trainer signs in and adds today to the run's days; returns the day's id.
async fn trainer_adds_today(app: &mut TestApp, s: &Setup) -> i64 {
    app.sign_in("trainer@example.kz", PASSWORD).await;
    add_day(app, s.run, today()).await;
    days_of(app, s.run)[0].0
}

/// Another learner of the institution, admitted to the run.
fn another_learner(app: &TestApp, s: &Setup, email: &str) -> i64 {
    let id = app.create_user(email, Role::Learner, Some(s.institution));
    app.admit(s.run, id, "enrolled");
    id
}

/// The learner completes every module and passes the quiz: all the course's rule asks.
async fn meet_the_course_rule(app: &mut TestApp) -> String {
    let token = app.api_token("learner@example.kz", PASSWORD).await;
    meet_the_demo_course_rule(app, &token).await;
    token
}

fn app_name(app: &TestApp, user: i64) -> String {
    let mut conn = app.state.pool.get().unwrap();
    bilim::db::schema::users::table
        .find(user)
        .select(bilim::db::schema::users::name)
        .first(&mut conn)
        .unwrap()
}

async fn a_coordinator_adds_a_trainer_by_email_and_the_trainer_keeps_the_register(mut app: TestApp) {
    let s = setup(&app);
    app.sign_in("coordinator@example.kz", PASSWORD).await;
    let added = app
        .post_form(
            &format!("/coordinator/runs/{}/trainers", s.run),
            &[("trainer_email", " Trainer@Example.kz ")],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let manage = app.get(&format!("/coordinator/runs/{}", s.run)).await;
    assert!(manage.body.contains("trainer@example.kz"));
    assert!(manage.body.contains(&format!("/runs/{}/attendance", s.run)));

    app.sign_out_locally();
    app.sign_in("trainer@example.kz", PASSWORD).await;
    let teaching = app.get("/teaching").await;
    assert_eq!(teaching.status, StatusCode::OK);
    assert!(
        teaching.body.contains(&format!("/runs/{}/attendance", s.run)),
        "{}",
        teaching.body
    );
    let register = app.get(&format!("/runs/{}/attendance", s.run)).await;
    assert_eq!(register.status, StatusCode::OK);
    assert!(
        register.body.contains("learner@example.kz"),
        "the admitted learner is on the register"
    );
    let created = add_day(&mut app, s.run, today()).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    assert_eq!(created.location(), format!("/runs/{}/attendance?done=added", s.run));
    assert_eq!(days_of(&app, s.run).len(), 1);
}

async fn adding_a_trainer_refuses_unknown_emails_other_roles_and_repeats(mut app: TestApp) {
    let s = setup(&app);
    app.sign_in("coordinator@example.kz", PASSWORD).await;
    let path = format!("/coordinator/runs/{}/trainers", s.run);
    for (email, key) in [
        ("nobody@example.kz", "runs.trainer_unknown"),
        ("learner@example.kz", "runs.trainer_unknown"),
    ] {
        let refused = app.post_form(&path, &[("trainer_email", email)]).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            refused.body.contains(&shown(&i18n::t(Locale::Ru, key))),
            "{key}: {}",
            refused.body
        );
    }
    assert_eq!(
        app.post_form(&path, &[("trainer_email", "trainer@example.kz")])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let again = app.post_form(&path, &[("trainer_email", "trainer@example.kz")]).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again
        .body
        .contains(&shown(&i18n::t(Locale::Ru, "runs.trainer_already"))));
    let mut conn = app.state.pool.get().unwrap();
    let trainers: Vec<i64> = run_trainers::table
        .select(run_trainers::user_id)
        .load(&mut conn)
        .unwrap();
    assert_eq!(trainers, [s.trainer]);
}

async fn a_learner_completes_only_after_attending_the_required_share_of_days(mut app: TestApp) {
    let s = setup(&app);
    app.make_trainer_of(s.run, s.trainer);
    let token = meet_the_course_rule(&mut app).await;
    assert_eq!(
        app.api(Method::GET, "/api/v1/me/certificates", Some(&token), None)
            .await
            .json(),
        json!([]),
        "attendance is still missing"
    );
    let mut as_learner = app.signed_in("learner@example.kz").await;
    let missing = i18n::t_with(
        Locale::Ru,
        "completion.attendance",
        &[("required", "60"), ("attended", "0"), ("held", "0")],
    );
    assert!(
        as_learner.get("/certificates").await.body.contains(&shown(&missing)),
        "the learner is told what is missing"
    );

    let mut as_trainer = app.signed_in("trainer@example.kz").await;
    add_day(&mut as_trainer, s.run, today() - Duration::days(1)).await;
    add_day(&mut as_trainer, s.run, today()).await;
    let days = days_of(&app, s.run);
    assert_eq!(days.len(), 2);
    let learner = s.learner.to_string();
    let saved = as_trainer
        .post_form(
            &format!("/runs/{}/attendance/days/{}", s.run, days[0].0),
            &[("present", &learner)],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(
        app.api(Method::GET, "/api/v1/me/certificates", Some(&token), None)
            .await
            .json(),
        json!([]),
        "1 of 2 days is 50 %, below 60 %"
    );

    as_trainer
        .post_form(
            &format!("/runs/{}/attendance/days/{}", s.run, days[1].0),
            &[("present", &learner)],
        )
        .await;
    let issued = app
        .api(Method::GET, "/api/v1/me/certificates", Some(&token), None)
        .await
        .json();
    assert_eq!(
        issued.as_array().unwrap().len(),
        1,
        "2 of 2 days completes the course: {issued}"
    );
    assert_eq!(issued[0]["run_id"], json!(s.run));

    let run_page = as_learner.get(&format!("/runs/{}", s.run)).await;
    let tally = i18n::t_with(Locale::Ru, "attendance.your_tally", &[("attended", "2"), ("held", "2")]);
    assert!(run_page.body.contains(&shown(&tally)), "{}", run_page.body);
}

async fn a_day_outside_the_run_or_given_twice_is_refused_and_nothing_is_added(mut app: TestApp) {
    let s = setup(&app);
    app.make_trainer_of(s.run, s.trainer);
    app.sign_in("trainer@example.kz", PASSWORD).await;
    let before_start = add_day(&mut app, s.run, today() - Duration::days(6)).await;
    assert_eq!(before_start.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(before_start
        .body
        .contains(&shown(&i18n::t(Locale::Ru, "attendance.day_outside_run"))));
    let path = format!("/runs/{}/attendance/days", s.run);
    let malformed = app.post_form(&path, &[("held_on", "31.12.2026")]).await;
    assert_eq!(malformed.status, StatusCode::UNPROCESSABLE_ENTITY);
    let long_topic = "т".repeat(201);
    let too_long = app
        .post_form(&path, &[("held_on", &today().to_string()), ("topic", &long_topic)])
        .await;
    assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(days_of(&app, s.run).is_empty(), "nothing was added");

    assert_eq!(add_day(&mut app, s.run, today()).await.status, StatusCode::SEE_OTHER);
    let twice = add_day(&mut app, s.run, today()).await;
    assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(twice
        .body
        .contains(&shown(&i18n::t(Locale::Ru, "attendance.day_taken"))));
    assert_eq!(days_of(&app, s.run).len(), 1);

    let online = insert_run(&app, s.institution, "online", None, s.coordinator);
    app.make_trainer_of(online, s.trainer);
    let refused = add_day(&mut app, online, today()).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(days_of(&app, online).is_empty());
}

async fn a_day_with_learners_recorded_present_is_kept_until_they_are_unticked(mut app: TestApp) {
    let s = setup(&app);
    app.make_trainer_of(s.run, s.trainer);
    let day = trainer_adds_today(&mut app, &s).await;
    app.post_form(
        &format!("/runs/{}/attendance/days/{day}", s.run),
        &[("present", &s.learner.to_string())],
    )
    .await;
    let delete = format!("/runs/{}/attendance/days/{day}/delete", s.run);
    let refused = app.post_form(&delete, &[]).await;
    assert_eq!(
        refused.location(),
        format!("/runs/{}/attendance?error=attendance.delete_recorded", s.run)
    );
    let page = app.get(&refused.location()).await;
    assert!(page
        .body
        .contains(&shown(&i18n::t(Locale::Ru, "attendance.delete_recorded"))));
    assert_eq!(days_of(&app, s.run).len(), 1);
    assert_eq!(attendance_rows(&app), [(day, s.learner, true)]);

    app.post_form(&format!("/runs/{}/attendance/days/{day}", s.run), &[])
        .await;
    assert_eq!(
        attendance_rows(&app),
        [(day, s.learner, false)],
        "unticked is recorded absent"
    );
    let removed = app.post_form(&delete, &[]).await;
    assert_eq!(removed.location(), format!("/runs/{}/attendance?done=deleted", s.run));
    assert!(days_of(&app, s.run).is_empty());
    assert!(attendance_rows(&app).is_empty());
}

async fn only_the_runs_trainers_and_managers_may_keep_its_register(mut app: TestApp) {
    let s = setup(&app);
    app.make_trainer_of(s.run, s.trainer);
    let other_institution = app.create_institution("Академия Генеральной прокуратуры", Country::Kz);
    app.create_user(
        "other-coordinator@example.kz",
        Role::Coordinator,
        Some(other_institution),
    );
    app.create_user("other-trainer@example.kz", Role::Trainer, None);
    let other_run = insert_run(&app, other_institution, "in_person", None, s.coordinator);
    let day = trainer_adds_today(&mut app, &s).await;
    assert_eq!(
        app.get(&format!("/runs/{other_run}/attendance")).await.status,
        StatusCode::NOT_FOUND,
        "a run they do not teach"
    );
    assert_eq!(
        app.get(&format!("/runs/{other_run}/attendance/days/{day}"))
            .await
            .status,
        StatusCode::NOT_FOUND,
        "a day of another run"
    );

    let register = format!("/runs/{}/attendance", s.run);
    let record = format!("/runs/{}/attendance/days/{day}", s.run);
    for outsider in [
        "other-trainer@example.kz",
        "other-coordinator@example.kz",
        "learner@example.kz",
    ] {
        let mut browser = app.signed_in(outsider).await;
        assert_eq!(browser.get(&register).await.status, StatusCode::NOT_FOUND, "{outsider}");
        assert_eq!(
            browser
                .post_form(&record, &[("present", &s.learner.to_string())])
                .await
                .status,
            StatusCode::NOT_FOUND,
            "{outsider}"
        );
        assert_eq!(
            add_day(&mut browser, s.run, today() + Duration::days(1)).await.status,
            StatusCode::NOT_FOUND,
            "{outsider}"
        );
    }
    assert!(attendance_rows(&app).is_empty());
    assert_eq!(days_of(&app, s.run).len(), 1);

    let mut coordinator = app.signed_in("coordinator@example.kz").await;
    assert_eq!(
        coordinator.get(&register).await.status,
        StatusCode::OK,
        "the run's coordinator"
    );
    let mut visitor = app.browser();
    assert_eq!(
        visitor.get(&register).await.status,
        StatusCode::SEE_OTHER,
        "visitors sign in first"
    );
}

async fn a_register_with_a_malformed_id_is_refused_and_people_outside_the_run_are_ignored(mut app: TestApp) {
    let s = setup(&app);
    app.make_trainer_of(s.run, s.trainer);
    let outsider = app.create_user("outsider@example.kz", Role::Learner, None);
    let day = trainer_adds_today(&mut app, &s).await;
    let path = format!("/runs/{}/attendance/days/{day}", s.run);
    assert_eq!(
        app.post_form(&path, &[("present", "abc")]).await.status,
        StatusCode::BAD_REQUEST
    );
    assert!(attendance_rows(&app).is_empty(), "nothing was recorded");
    let saved = app.post_form(&path, &[("present", &outsider.to_string())]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    assert_eq!(attendance_rows(&app), [(day, s.learner, false)]);
}

async fn run_settings_refuse_attendance_for_online_runs_and_shares_out_of_range(mut app: TestApp) {
    let s = setup(&app);
    let token = app.api_token("coordinator@example.kz", PASSWORD).await;
    let body = |mode: &str, share: serde_json::Value| {
        json!({
            "course_id": "demo-course",
            "institution_id": s.institution,
            "language": "ru",
            "country": "KZ",
            "starts_on": (today() + Duration::days(30)).to_string(),
            "ends_on": (today() + Duration::days(40)).to_string(),
            "enrol_by": (today() + Duration::days(20)).to_string(),
            "capacity": 20,
            "mode": mode,
            "enrolment": "open",
            "phase": "national_pilot",
            "min_attendance": share,
        })
    };
    for (mode, share) in [
        ("blended", json!(0)),
        ("blended", json!(101)),
        ("in_person", json!("most")),
        ("online", json!(80)),
    ] {
        let refused = app
            .api(
                Method::POST,
                "/api/v1/runs",
                Some(&token),
                Some(body(mode, share.clone())),
            )
            .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{mode} {share}");
    }
    let created = app
        .api(
            Method::POST,
            "/api/v1/runs",
            Some(&token),
            Some(body("in_person", json!(80))),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.json()["id"].clone();
    let runs = app.api(Method::GET, "/api/v1/runs", Some(&token), None).await.json();
    let run = runs.as_array().unwrap().iter().find(|r| r["id"] == id).unwrap();
    assert_eq!(run["min_attendance"], json!(80));
}

async fn lowering_the_required_attendance_certifies_the_learners_who_now_meet_it(mut app: TestApp) {
    let s = setup(&app);
    app.make_trainer_of(s.run, s.trainer);
    let token = meet_the_course_rule(&mut app).await;
    app.sign_in("trainer@example.kz", PASSWORD).await;
    add_day(&mut app, s.run, today() - Duration::days(1)).await;
    add_day(&mut app, s.run, today()).await;
    let first = days_of(&app, s.run)[0].0;
    app.post_form(
        &format!("/runs/{}/attendance/days/{first}", s.run),
        &[("present", &s.learner.to_string())],
    )
    .await;
    assert_eq!(
        app.api(Method::GET, "/api/v1/me/certificates", Some(&token), None)
            .await
            .json(),
        json!([])
    );

    app.sign_out_locally();
    app.sign_in("coordinator@example.kz", PASSWORD).await;
    let institution = s.institution.to_string();
    let starts = (today() - Duration::days(5)).to_string();
    let ends = today().to_string();
    let edited = app
        .post_form(
            &format!("/coordinator/runs/{}/edit", s.run),
            &[
                ("course_id", "demo-course"),
                ("institution_id", &institution),
                ("language", "ru"),
                ("country", "KZ"),
                ("starts_on", &starts),
                ("ends_on", &ends),
                ("enrol_by", &starts),
                ("capacity", "30"),
                ("mode", "blended"),
                ("enrolment", "approval"),
                ("phase", "national_pilot"),
                ("min_attendance", "50"),
            ],
        )
        .await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER, "{}", edited.body);
    let issued = app
        .api(Method::GET, "/api/v1/me/certificates", Some(&token), None)
        .await
        .json();
    assert_eq!(issued.as_array().unwrap().len(), 1, "1 of 2 days meets 50 %: {issued}");
}

async fn a_learner_who_leaves_the_run_keeps_the_attendance_recorded_for_them(mut app: TestApp) {
    let s = setup(&app);
    app.make_trainer_of(s.run, s.trainer);
    let stays = another_learner(&app, &s, "stays@example.kz");
    let day = trainer_adds_today(&mut app, &s).await;
    let path = format!("/runs/{}/attendance/days/{day}", s.run);
    app.post_form(
        &path,
        &[("present", &s.learner.to_string()), ("present", &stays.to_string())],
    )
    .await;
    {
        let mut conn = app.state.pool.get().unwrap();
        diesel::update(enrolments::table.filter(enrolments::user_id.eq(s.learner)))
            .set(enrolments::status.eq("withdrawn"))
            .execute(&mut conn)
            .unwrap();
    }
    app.post_form(&path, &[]).await;
    let mut rows = attendance_rows(&app);
    rows.sort_unstable();
    let mut expected = vec![(day, s.learner, true), (day, stays, false)];
    expected.sort_unstable();
    assert_eq!(rows, expected, "the register changes only for those still in the run");
}

async fn the_register_works_through_the_api_for_the_runs_trainers_only(mut app: TestApp) {
    let s = setup(&app);
    app.make_trainer_of(s.run, s.trainer);
    app.create_user("other-trainer@example.kz", Role::Trainer, None);
    let token = app.api_token("trainer@example.kz", PASSWORD).await;
    let days = format!("/api/v1/runs/{}/attendance/days", s.run);
    let body = json!({"held_on": today().to_string(), "topic": "Осмотр места происшествия"});
    let created = app.api(Method::POST, &days, Some(&token), Some(body.clone())).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let day = created.json()["id"].as_i64().unwrap();
    let twice = app.api(Method::POST, &days, Some(&token), Some(body)).await;
    assert_eq!(twice.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        twice.json()["error"],
        json!(i18n::t(Locale::Ru, "attendance.day_taken"))
    );
    let outside = json!({"held_on": (today() + Duration::days(30)).to_string()});
    assert_eq!(
        app.api(Method::POST, &days, Some(&token), Some(outside)).await.status,
        StatusCode::BAD_REQUEST
    );

    let path = format!("/api/v1/runs/{}/attendance/days/{day}", s.run);
    let malformed = app
        .api(Method::PUT, &path, Some(&token), Some(json!({"present": "everyone"})))
        .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert!(attendance_rows(&app).is_empty());
    let saved = app
        .api(Method::PUT, &path, Some(&token), Some(json!({"present": [s.learner]})))
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let register = saved.json();
    assert_eq!(register["min_attendance"], json!(60));
    assert_eq!(register["days"][0]["present"], json!([s.learner]));
    assert_eq!(register["days"][0]["held_on"], json!(today().to_string()));
    assert_eq!(register["learners"][0]["attended"], json!(1));
    assert_eq!(register["learners"][0]["meets"], json!(true), "1 of 1 day is 100 %");
    let read = app
        .api(
            Method::GET,
            &format!("/api/v1/runs/{}/attendance", s.run),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(read.json(), register);

    let outsider = app.api_token("other-trainer@example.kz", PASSWORD).await;
    assert_eq!(
        app.api(
            Method::GET,
            &format!("/api/v1/runs/{}/attendance", s.run),
            Some(&outsider),
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.api(Method::PUT, &path, Some(&outsider), Some(json!({"present": []})))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(attendance_rows(&app), [(day, s.learner, true)]);
}

async fn registers_saved_at_the_same_time_all_succeed_and_keep_one_record_each(mut app: TestApp) {
    let s = setup(&app);
    app.make_trainer_of(s.run, s.trainer);
    let second = another_learner(&app, &s, "second@example.kz");
    let day = trainer_adds_today(&mut app, &s).await;
    let pool = app.state.pool.clone();
    std::thread::scope(|scope| {
        for i in 0..6 {
            let pool = pool.clone();
            scope.spawn(move || {
                let mut conn = pool.get().unwrap();
                let trainer = bilim::accounts::store::find(&mut conn, UserId(s.trainer))
                    .unwrap()
                    .unwrap();
                let run = bilim::enrolment::find_run(&mut conn, RunId(s.run)).unwrap().unwrap();
                let session = bilim::attendance::find_session(&mut conn, RunId(s.run), day).unwrap();
                let present = if i % 2 == 0 {
                    vec![UserId(s.learner)]
                } else {
                    vec![UserId(s.learner), UserId(second)]
                };
                bilim::attendance::record(&mut conn, &trainer, &run, &session, &present, Utc::now().naive_utc())
                    .unwrap();
            });
        }
    });
    let rows = attendance_rows(&app);
    assert_eq!(rows.len(), 2, "one record per learner: {rows:?}");
    assert!(rows.contains(&(day, s.learner, true)));
}

async fn the_register_downloads_as_csv_with_a_column_per_day(mut app: TestApp) {
    let s = setup(&app);
    app.make_trainer_of(s.run, s.trainer);
    let formula = app.create_user("formula@example.kz", Role::Learner, Some(s.institution));
    app.set_user_name(formula, "=HYPERLINK(\"x\")");
    app.admit(s.run, formula, "enrolled");
    app.sign_in("trainer@example.kz", PASSWORD).await;
    add_day(&mut app, s.run, today() - Duration::days(1)).await;
    add_day(&mut app, s.run, today()).await;
    let first = days_of(&app, s.run)[0].0;
    app.post_form(
        &format!("/runs/{}/attendance/days/{first}", s.run),
        &[("present", &s.learner.to_string())],
    )
    .await;
    let csv = app.get(&format!("/runs/{}/attendance.csv", s.run)).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.header("content-type"), "text/csv; charset=utf-8");
    let text = String::from_utf8(csv.bytes[3..].to_vec()).unwrap();
    let heading: Vec<String> = csv::Reader::from_reader(text.as_bytes())
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let day = |d: NaiveDate| i18n::format_date_short(d);
    let t = |key: &str| i18n::t(Locale::Ru, key);
    let expected = [
        t("accounts.full_name"),
        t("accounts.email"),
        day(today() - Duration::days(1)),
        day(today()),
        t("attendance.days_attended"),
        t("attendance.requirement_met"),
    ];
    assert_eq!(heading, expected);
    let mut rows = common::csv_rows(&csv.bytes);
    rows.sort();
    let no = i18n::t(Locale::Ru, "attendance.no");
    assert_eq!(
        rows,
        [
            vec![
                "'=HYPERLINK(\"x\")".to_owned(),
                "formula@example.kz".to_owned(),
                "0".to_owned(),
                "0".to_owned(),
                "0".to_owned(),
                no.clone()
            ],
            vec![
                app_name(&app, s.learner),
                "learner@example.kz".to_owned(),
                "1".to_owned(),
                "0".to_owned(),
                "1".to_owned(),
                no
            ],
        ]
    );

    app.sign_out_locally();
    app.sign_in("learner@example.kz", PASSWORD).await;
    assert_eq!(
        app.get(&format!("/runs/{}/attendance.csv", s.run)).await.status,
        StatusCode::NOT_FOUND
    );
}

async fn attendance_is_decided_when_the_run_ends_not_on_its_first_days(mut app: TestApp) {
    let s = setup(&app);
    app.make_trainer_of(s.run, s.trainer);
    let ends_in = |app: &TestApp, days: i64| {
        let mut conn = app.state.pool.get().unwrap();
        diesel::update(course_runs::table.find(s.run))
            .set(course_runs::ends_on.eq(today() + Duration::days(days)))
            .execute(&mut conn)
            .unwrap();
    };
    ends_in(&app, 5);
    let token = meet_the_course_rule(&mut app).await;
    let day = trainer_adds_today(&mut app, &s).await;
    app.post_form(
        &format!("/runs/{}/attendance/days/{day}", s.run),
        &[("present", &s.learner.to_string())],
    )
    .await;
    assert_eq!(
        app.api(Method::GET, "/api/v1/me/certificates", Some(&token), None)
            .await
            .json(),
        json!([]),
        "1 of 1 day so far is not yet the share of a run with days still to come"
    );
    let settle = |app: &TestApp| {
        let mut conn = app.state.pool.get().unwrap();
        bilim::attendance::settle_ended_runs(&mut conn, Utc::now().naive_utc()).unwrap()
    };
    assert_eq!(settle(&app), 0, "the run has not ended");
    ends_in(&app, -1);
    assert_eq!(settle(&app), 1);
    assert_eq!(settle(&app), 0, "a run is settled once");
    let issued = app
        .api(Method::GET, "/api/v1/me/certificates", Some(&token), None)
        .await
        .json();
    assert_eq!(
        issued.as_array().unwrap().len(),
        1,
        "settled when the run ended: {issued}"
    );
}

async fn removing_a_day_works_completion_out_again(mut app: TestApp) {
    let s = setup(&app);
    app.make_trainer_of(s.run, s.trainer);
    let token = meet_the_course_rule(&mut app).await;
    app.sign_in("trainer@example.kz", PASSWORD).await;
    add_day(&mut app, s.run, today() - Duration::days(1)).await;
    add_day(&mut app, s.run, today()).await;
    let days = days_of(&app, s.run);
    app.post_form(
        &format!("/runs/{}/attendance/days/{}", s.run, days[0].0),
        &[("present", &s.learner.to_string())],
    )
    .await;
    app.post_form(&format!("/runs/{}/attendance/days/{}", s.run, days[1].0), &[])
        .await;
    assert_eq!(
        app.api(Method::GET, "/api/v1/me/certificates", Some(&token), None)
            .await
            .json(),
        json!([]),
        "1 of 2 is below 60 %"
    );
    let removed = app
        .post_form(&format!("/runs/{}/attendance/days/{}/delete", s.run, days[1].0), &[])
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    let issued = app
        .api(Method::GET, "/api/v1/me/certificates", Some(&token), None)
        .await
        .json();
    assert_eq!(
        issued.as_array().unwrap().len(),
        1,
        "1 of 1 meets it once the mistaken day is gone: {issued}"
    );
}
on_both_backends!(
    a_coordinator_adds_a_trainer_by_email_and_the_trainer_keeps_the_register,
    adding_a_trainer_refuses_unknown_emails_other_roles_and_repeats,
    a_learner_completes_only_after_attending_the_required_share_of_days,
    a_day_outside_the_run_or_given_twice_is_refused_and_nothing_is_added,
    a_day_with_learners_recorded_present_is_kept_until_they_are_unticked,
    only_the_runs_trainers_and_managers_may_keep_its_register,
    a_register_with_a_malformed_id_is_refused_and_people_outside_the_run_are_ignored,
    run_settings_refuse_attendance_for_online_runs_and_shares_out_of_range,
    lowering_the_required_attendance_certifies_the_learners_who_now_meet_it,
    a_learner_who_leaves_the_run_keeps_the_attendance_recorded_for_them,
    the_register_works_through_the_api_for_the_runs_trainers_only,
    registers_saved_at_the_same_time_all_succeed_and_keep_one_record_each,
    the_register_downloads_as_csv_with_a_column_per_day,
    attendance_is_decided_when_the_run_ends_not_on_its_first_days,
    removing_a_day_works_completion_out_again
);
