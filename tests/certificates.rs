//! Completion and certificates: rules, issuance exactly once, PDFs in every language,
//! public verification, signed credentials and revocation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use actix_web::http::{Method, StatusCode};
use base64::Engine;
use bilim::accounts::model::{Country, Role};
use bilim::i18n::Locale;
use common::fixtures::RunBuilder;
use common::{TestApp, TestAppBuilder, PASSWORD};
use serde_json::{json, Value};

/// A learner whose profile names an institution (as anyone may choose at registration)
/// and who completes the demo course, with no run; returns their token.
async fn completed_learner(app: &mut TestApp, email: &str, name: &str, locale: Locale) -> String {
    app.with_courses("valid");
    let institution = app.create_institution("Академия правоохранительных органов", Country::Kz);
    let id = app.create_user_speaking(email, Role::Learner, Some(institution), locale);
    app.set_user_name(id, name);
    let token = app.api_token(email, PASSWORD).await;
    common::fixtures::complete_the_prerequisite(app, &token).await;
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

/// Who a verification page (in English) says issued the certificate.
fn issuer_row(page: &common::TestResponse) -> String {
    let terms = page.select(".summary-list__row dt");
    let values = page.select(".summary-list__row dd");
    terms
        .iter()
        .zip(values)
        .find(|(term, _)| *term == "Issued by")
        .map(|(_, value)| value)
        .unwrap_or_default()
}

/// The claims of a certificate's signed credential (its signature is checked elsewhere).
async fn credential_claims(app: &mut TestApp, code: &str) -> Value {
    let jwt = app.get(&format!("/api/v1/certificates/{code}")).await.body;
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

/// The codes of the learner's certificates, the newest first.
async fn certificate_codes(app: &mut TestApp, token: &str) -> Vec<String> {
    app.api(Method::GET, "/api/v1/me/certificates", Some(token), None)
        .await
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap().to_owned())
        .collect()
}

/// Sets when a certificate expires, straight in the database.
fn set_expiry(app: &TestApp, code: &str, expires_at: chrono::NaiveDateTime) {
    use bilim::db::schema::certificates;
    use diesel::prelude::*;
    let mut conn = app.state.pool.get().unwrap();
    diesel::update(certificates::table.find(code))
        .set(certificates::expires_at.eq(Some(expires_at)))
        .execute(&mut conn)
        .unwrap();
}

/// How many completions of the demo course are recorded for a learner (one row at most).
fn completions_recorded(app: &TestApp, user: i64) -> i64 {
    use bilim::db::schema::course_completions;
    use diesel::prelude::*;
    let mut conn = app.state.pool.get().unwrap();
    course_completions::table
        .filter(course_completions::user_id.eq(user))
        .filter(course_completions::course_id.eq("demo-course"))
        .count()
        .get_result(&mut conn)
        .unwrap()
}

/// How many times a learner's enrolment in a run was marked completed.
fn completion_events(app: &TestApp, run: i64, user: i64) -> i64 {
    use bilim::db::schema::{enrolment_events, enrolments};
    use diesel::prelude::*;
    let mut conn = app.state.pool.get().unwrap();
    enrolment_events::table
        .inner_join(enrolments::table.on(enrolments::id.eq(enrolment_events::enrolment_id)))
        .filter(enrolments::run_id.eq(run))
        .filter(enrolments::user_id.eq(user))
        .filter(enrolment_events::to_status.eq("completed"))
        .count()
        .get_result(&mut conn)
        .unwrap()
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

/// `threads` requests work out the learner's completion at the same moment: a barrier
/// lines them up, so on PostgreSQL their transactions overlap.
fn complete_at_once(app: &TestApp, user: i64, threads: usize) {
    let user = bilim::accounts::model::UserId(user);
    let pool = app.state.pool.clone();
    let barrier = std::sync::Barrier::new(threads);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let (pool, barrier) = (pool.clone(), &barrier);
            scope.spawn(move || {
                let mut conn = pool.get().unwrap();
                barrier.wait();
                bilim::db::write_transaction(&mut conn, |conn| {
                    bilim::certificates::refresh(conn, user, "demo-course", chrono::Utc::now().naive_utc())
                })
                .unwrap();
            });
        }
    });
}

/// A learner of a run who has met every requirement but whose completion has not been
/// worked out yet (modules marked straight in the database); returns their id and token.
async fn learner_ready_to_complete(app: &mut TestApp, email: &str, run: i64) -> (i64, String) {
    let id = app.create_user(email, Role::Learner, None);
    app.admit(run, id, "enrolled");
    let token = app.api_token(email, PASSWORD).await;
    common::fixtures::complete_the_prerequisite(app, &token).await;
    common::pass_check_quiz(app, &token).await;
    let mut conn = app.state.pool.get().unwrap();
    let now = chrono::Utc::now().naive_utc();
    for module in ["intro", "evidence"] {
        bilim::courses::store::mark_complete(
            &mut conn,
            bilim::accounts::model::UserId(id),
            "demo-course",
            module,
            now,
        )
        .unwrap();
    }
    (id, token)
}

async fn concurrent_completion_issues_exactly_one_certificate(mut app: TestApp) {
    app.with_courses("valid");
    let (institution, coordinator) =
        app.institution_with_coordinator("Академия МВД", Country::Kz, "race.coordinator@example.kz");
    let run = RunBuilder::new(institution, coordinator).insert(&app);
    let (id, token) = learner_ready_to_complete(&mut app, "race@example.kz", run).await;
    complete_at_once(&app, id, 4);
    assert_eq!(certificate_codes(&mut app, &token).await.len(), 1);
    assert_eq!(completions_recorded(&app, id), 1);
    assert_eq!(
        completion_events(&app, run, id),
        1,
        "the enrolment is marked completed once"
    );
    let mut conn = app.state.pool.get().unwrap();
    let told =
        bilim::certificates::queue_issued_notices(&mut conn, &app.state.mail, chrono::Utc::now().naive_utc()).unwrap();
    assert_eq!(told, 1, "the holder is told once");
}

async fn concurrent_recertification_issues_exactly_one_new_certificate(mut app: TestApp) {
    app.with_courses("valid");
    let (institution, coordinator) =
        app.institution_with_coordinator("Академия МВД", Country::Kz, "rerace.coordinator@example.kz");
    let first = RunBuilder::new(institution, coordinator)
        .started_days_ago(400)
        .insert(&app);
    let (id, token) = learner_ready_to_complete(&mut app, "rerace@example.kz", first).await;
    complete_at_once(&app, id, 1);
    let old = certificate_codes(&mut app, &token).await;
    assert_eq!(old.len(), 1);
    set_expiry(
        &app,
        &old[0],
        chrono::Utc::now().naive_utc() - chrono::Duration::days(1),
    );
    let second = RunBuilder::new(institution, coordinator)
        .started_days_ago(2)
        .insert(&app);
    app.admit(second, id, "enrolled");
    complete_at_once(&app, id, 4);
    let codes = certificate_codes(&mut app, &token).await;
    assert_eq!(codes.len(), 2, "one new certificate besides the expired one: {codes:?}");
    assert_eq!(completion_events(&app, second, id), 1);
}

/// A learner admitted to a run, with their token.
async fn learner_of_run(app: &mut TestApp, email: &str, run: i64) -> (i64, String) {
    let id = app.create_user(email, Role::Learner, None);
    app.admit(run, id, "enrolled");
    let token = app.api_token(email, PASSWORD).await;
    (id, token)
}

async fn a_certificate_earned_without_a_run_is_issued_by_the_installation_not_the_learners_chosen_institution(
    mut app: TestApp,
) {
    let token = completed_learner(&mut app, "self@example.kg", "Азамат Касымов", Locale::Ru).await;
    let codes = certificate_codes(&mut app, &token).await;
    assert_eq!(codes.len(), 1);
    let code = &codes[0];
    let page = app.get(&format!("/verify/{code}?lang=en")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(issuer_row(&page), "Bilim");
    assert!(!page.body.contains("Академия правоохранительных органов"));
    let russian = app.get(&format!("/verify/{code}?lang=ru")).await;
    assert_eq!(
        russian.select("a[href^='/api/v1/certificates/'], a[href='/.well-known/jwks.json']"),
        [
            "документ с цифровой подписью (JWT)",
            "открытые ключи для её проверки (JWKS)"
        ],
        "the public sees what the links are, not bare format names"
    );
    let claims = credential_claims(&mut app, code).await;
    assert_eq!(claims["institution"], "Bilim");
    assert_eq!(claims["country"], "");
    app.sign_in("self@example.kg", PASSWORD).await;
    let pdf = pdf_text(&app.get(&format!("/certificates/{code}.pdf?lang=en")).await.bytes);
    assert!(
        pdf.trim_start().starts_with("Bilim"),
        "the installation heads it: {pdf}"
    );
    assert!(!pdf.contains("Period of study"), "no run, no dates: {pdf}");
    assert!(!pdf.contains("Академия правоохранительных органов"), "{pdf}");
}

async fn a_certificate_earned_in_a_run_is_issued_by_the_runs_institution(mut app: TestApp) {
    app.with_courses("valid");
    let (institution, coordinator) = app.institution_with_coordinator(
        "Академия МВД Кыргызской Республики",
        Country::Kg,
        "kg.coordinator@example.kg",
    );
    let run = RunBuilder::new(institution, coordinator).country("KG").insert(&app);
    let own = app.create_institution("Учреждение по выбору слушателя", Country::Kz);
    let id = app.create_user("run.learner@example.kg", Role::Learner, Some(own));
    app.admit(run, id, "enrolled");
    let token = app.api_token("run.learner@example.kg", PASSWORD).await;
    common::fixtures::meet_the_demo_course_rule(&mut app, &token).await;
    let list = app
        .api(Method::GET, "/api/v1/me/certificates", Some(&token), None)
        .await
        .json();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["run_id"], json!(run));
    let code = list[0]["code"].as_str().unwrap().to_owned();
    let page = app.get(&format!("/verify/{code}?lang=en")).await;
    assert_eq!(issuer_row(&page), "Академия МВД Кыргызской Республики");
    let claims = credential_claims(&mut app, &code).await;
    assert_eq!(claims["institution"], "Академия МВД Кыргызской Республики");
    assert_eq!(claims["country"], "KG");
}

async fn a_course_that_certifies_runs_only_records_a_completion_without_a_run_but_no_certificate(mut app: TestApp) {
    app.with_courses("valid");
    let id = app
        .sign_in_as("runless@example.kz", Role::Learner, Some(Country::Kz))
        .await;
    let done = app.post_form("/courses/other-course/only/complete", &[]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let token = app.api_token("runless@example.kz", PASSWORD).await;
    assert_eq!(certificate_codes(&mut app, &token).await, Vec::<String>::new());
    let recorded = {
        use bilim::db::schema::course_completions;
        use diesel::prelude::*;
        let mut conn = app.state.pool.get().unwrap();
        course_completions::table
            .filter(course_completions::user_id.eq(id))
            .filter(course_completions::course_id.eq("other-course"))
            .count()
            .get_result::<i64>(&mut conn)
            .unwrap()
    };
    assert_eq!(recorded, 1, "the completion is recorded");
    let page = app.get("/certificates?lang=en").await;
    assert!(
        page.select(".certificate-note").contains(
            &"This course is certified only for learners of a course run. Enrol in a run to receive a certificate."
                .to_owned()
        ),
        "{:?}",
        page.select(".course-card")
    );
}

async fn a_course_completes_only_after_its_prerequisite(mut app: TestApp) {
    app.with_courses("valid");
    app.sign_in_as("eager@example.kz", Role::Learner, Some(Country::Kz))
        .await;
    let token = app.api_token("eager@example.kz", PASSWORD).await;
    let overview = app.get("/courses/demo-course?lang=en").await;
    assert!(
        overview
            .select(".prerequisites li")
            .contains(&"Other course · not completed yet".to_owned()),
        "{:?}",
        overview.select(".prerequisites li")
    );
    assert_eq!(overview.count(".prerequisites-notice"), 1);
    for module in ["intro", "evidence"] {
        app.api(
            Method::POST,
            &format!("/api/v1/courses/demo-course/modules/{module}/complete"),
            Some(&token),
            None,
        )
        .await;
    }
    common::pass_check_quiz(&mut app, &token).await;
    assert_eq!(
        certificate_codes(&mut app, &token).await,
        Vec::<String>::new(),
        "not certified without the prerequisite"
    );
    let status = app.get("/certificates?lang=en").await;
    assert!(
        status
            .select(".course-card li")
            .contains(&"First complete the course: Other course".to_owned()),
        "{:?}",
        status.select(".course-card li")
    );
    common::fixtures::complete_the_prerequisite(&mut app, &token).await;
    let list = app
        .api(Method::GET, "/api/v1/me/certificates", Some(&token), None)
        .await
        .json();
    assert_eq!(
        list.as_array().unwrap().len(),
        1,
        "completing the prerequisite completes the course: {list}"
    );
    assert_eq!(list[0]["course_id"], "demo-course");
    let overview = app.get("/courses/demo-course?lang=en").await;
    assert!(overview
        .select(".prerequisites li")
        .contains(&"Other course · completed".to_owned()));
    assert_eq!(overview.count(".prerequisites-notice"), 0);
}

/// The demo course imported with `[completion]` replaced by `rule` (TOML lines).
fn demo_course_with_completion_rule(app: &TestApp, rule: &str) {
    edited_demo_course(app, Some(rule), |_| {});
}

/// The demo course imported with `[completion]` replaced by `rule`, or left out when
/// `rule` is `None` (the default rule), after `edit` has changed the course's folder.
fn edited_demo_course(app: &TestApp, rule: Option<&str>, edit: impl FnOnce(&std::path::Path)) {
    let dir = app.copy_courses("valid");
    let course = dir.join("demo-course");
    let path = course.join("course.toml");
    let toml = std::fs::read_to_string(&path).unwrap();
    let (before, _) = toml.split_once("[completion]").unwrap();
    let rule = rule.map(|rule| format!("[completion]\n{rule}\n")).unwrap_or_default();
    std::fs::write(&path, format!("{before}{rule}")).unwrap();
    edit(&course);
    app.import_courses(&dir);
}

/// The learner behind `token` marks a module of the demo course complete.
async fn complete_module(app: &mut TestApp, token: &str, module: &str) {
    let done = app
        .api(
            Method::POST,
            &format!("/api/v1/courses/demo-course/modules/{module}/complete"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{module}: {}", done.body);
}

/// A learner who has completed the demo course's prerequisite; returns their id and token.
async fn learner_past_the_prerequisite(app: &mut TestApp, email: &str) -> (i64, String) {
    let id = app.create_user(email, Role::Learner, None);
    let token = app.api_token(email, PASSWORD).await;
    common::fixtures::complete_the_prerequisite(app, &token).await;
    (id, token)
}

/// A rule that lists modules asks for every one of them, and only them: one listed
/// module is not enough, even with a module the rule leaves out; the listed ones alone
/// complete the course.
async fn a_course_whose_rule_lists_modules_completes_once_every_listed_module_is_complete(mut app: TestApp) {
    edited_demo_course(
        &app,
        Some("modules = [\"intro\", \"evidence\"]\nquizzes = []"),
        |course| {
            let extra = course.join("03-extra");
            std::fs::create_dir(&extra).unwrap();
            std::fs::write(
            extra.join("en.md"),
            "+++\ntitle = \"Further reading\"\nminutes = 10\noutcomes = [\"Know where to read further\"]\n+++\n\n## Reading {#reading}\n\nNothing here is required.\n",
        )
        .unwrap();
        },
    );
    let (reader, token) = learner_past_the_prerequisite(&mut app, "reader@example.kz").await;
    complete_module(&mut app, &token, "intro").await;
    complete_module(&mut app, &token, "extra").await;
    assert_eq!(
        completions_recorded(&app, reader),
        0,
        "one listed module, and one the rule does not list"
    );
    let (lister, token) = learner_past_the_prerequisite(&mut app, "lister@example.kz").await;
    complete_module(&mut app, &token, "intro").await;
    assert_eq!(completions_recorded(&app, lister), 0, "one listed module of two");
    complete_module(&mut app, &token, "evidence").await;
    assert_eq!(
        completions_recorded(&app, lister),
        1,
        "every listed module is complete; the other is not needed"
    );
    assert_eq!(certificate_codes(&mut app, &token).await.len(), 1);
}

/// The demo course without a `[completion]` rule, its final test made the pre-test of
/// the module quiz: by default every module and every quiz but the pre-tests.
fn demo_course_with_the_default_rule(app: &TestApp) {
    edited_demo_course(app, None, |course| {
        let quiz = course.join("quizzes/check/quiz.toml");
        let settings = std::fs::read_to_string(&quiz).unwrap();
        std::fs::write(&quiz, format!("pre_test = \"final\"\n{settings}")).unwrap();
    });
}

/// Without a rule every module is required: the module quiz passed (which completes
/// the module it follows) is not enough while the other module is not complete.
async fn a_course_without_a_completion_rule_completes_once_every_module_is_complete(mut app: TestApp) {
    demo_course_with_the_default_rule(&app);
    let (id, token) = learner_past_the_prerequisite(&mut app, "modules@example.kz").await;
    common::pass_check_quiz(&mut app, &token).await;
    assert_eq!(completions_recorded(&app, id), 0, "the evidence module is missing");
    let progress = app
        .api(Method::GET, "/api/v1/courses/demo-course/progress", Some(&token), None)
        .await
        .json();
    assert!(
        progress["modules"][0]["completed_at"].is_string(),
        "the quiz completed the module it follows: {progress}"
    );
    complete_module(&mut app, &token, "evidence").await;
    assert_eq!(completions_recorded(&app, id), 1, "every module is complete");
    assert_eq!(certificate_codes(&mut app, &token).await.len(), 1);
}

/// Without a rule every quiz is required but the pre-tests: every module is not enough
/// while the module quiz is not passed, and the final test, a pre-test here, is never
/// asked for.
async fn a_course_without_a_completion_rule_completes_once_every_quiz_but_the_pre_tests_is_passed(mut app: TestApp) {
    demo_course_with_the_default_rule(&app);
    let (id, token) = learner_past_the_prerequisite(&mut app, "quizzes@example.kz").await;
    for module in ["intro", "evidence"] {
        complete_module(&mut app, &token, module).await;
    }
    assert_eq!(completions_recorded(&app, id), 0, "the module quiz is not passed");
    common::pass_check_quiz(&mut app, &token).await;
    assert_eq!(
        completions_recorded(&app, id),
        1,
        "the module quiz passed; the pre-test is not required"
    );
    assert_eq!(certificate_codes(&mut app, &token).await.len(), 1);
}

/// Takes the demo course's module quiz, answering the first `right` questions it draws
/// correctly and the others wrongly; returns the result.
async fn take_the_check_quiz(app: &mut TestApp, token: &str, right: usize) -> Value {
    let attempt = app
        .api(
            Method::POST,
            "/api/v1/courses/demo-course/quizzes/check/attempts",
            Some(token),
            None,
        )
        .await
        .json();
    let id = attempt["attempt_id"].as_i64().unwrap();
    for (n, q) in attempt["questions"].as_array().unwrap().iter().enumerate() {
        let correct = n < right;
        let body = match q["id"].as_str().unwrap() {
            "a" => json!({"choice": if correct { "true" } else { "false" }}),
            "b" => {
                let wanted = if correct { "right" } else { "wrong" };
                json!({"choice": q["options"].as_array().unwrap().iter().find(|o| o["text"] == wanted).unwrap()["id"]})
            }
            _ => json!({"value": if correct { 4 } else { 5 }}),
        };
        let saved = app
            .api(
                Method::PUT,
                &format!("/api/v1/attempts/{id}/responses/{}", q["id"].as_str().unwrap()),
                Some(token),
                Some(body),
            )
            .await;
        assert_eq!(saved.status, StatusCode::NO_CONTENT, "{}", saved.body);
    }
    app.api(
        Method::POST,
        &format!("/api/v1/attempts/{id}/submit"),
        Some(token),
        None,
    )
    .await
    .json()
}

/// A course whose rule asks a mean score of 80 % is not completed by a pass at 50 %,
/// and is the moment a later attempt reaches it.
async fn a_course_asking_a_minimum_score_completes_only_once_the_score_is_reached(mut app: TestApp) {
    demo_course_with_completion_rule(&app, "modules = \"all\"\nquizzes = [\"check\"]\nmin_score = 80");
    let id = app.sign_in_as("ambitious@example.kz", Role::Learner, None).await;
    let token = app.api_token("ambitious@example.kz", PASSWORD).await;
    common::fixtures::complete_the_prerequisite(&mut app, &token).await;
    for module in ["intro", "evidence"] {
        app.api(
            Method::POST,
            &format!("/api/v1/courses/demo-course/modules/{module}/complete"),
            Some(&token),
            None,
        )
        .await;
    }
    let half = take_the_check_quiz(&mut app, &token, 1).await;
    assert_eq!(
        (half["percent"].clone(), half["passed"].clone()),
        (json!(50.0), json!(true))
    );
    assert_eq!(completions_recorded(&app, id), 0, "a pass below the course's minimum");
    assert_eq!(certificate_codes(&mut app, &token).await, Vec::<String>::new());
    let status = app.get("/certificates?lang=en").await;
    assert!(
        status
            .select(".course-card li")
            .contains(&"A mean test score of at least 80 %".to_owned()),
        "{:?}",
        status.select(".course-card li")
    );

    let full = take_the_check_quiz(&mut app, &token, 2).await;
    assert_eq!(full["percent"], json!(100.0));
    assert_eq!(completions_recorded(&app, id), 1, "the best score counts");
    assert_eq!(certificate_codes(&mut app, &token).await.len(), 1);
}

/// A required test whose essay still waits for a trainer is not passed yet: the course
/// completes when the essay is graded, not before.
async fn a_required_test_with_an_essay_waiting_for_a_trainer_does_not_complete_the_course(mut app: TestApp) {
    demo_course_with_completion_rule(&app, "modules = \"all\"\nquizzes = [\"check\", \"final\"]");
    let id = app.create_user_speaking("essayist@example.kz", Role::Learner, None, Locale::En);
    let token = app.api_token("essayist@example.kz", PASSWORD).await;
    common::fixtures::meet_the_demo_course_rule(&mut app, &token).await;
    let attempt = app
        .api(
            Method::POST,
            "/api/v1/courses/demo-course/quizzes/final/attempts",
            Some(&token),
            None,
        )
        .await
        .json();
    let attempt_id = attempt["attempt_id"].as_i64().unwrap();
    let question = |id: &str| {
        attempt["questions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|q| q["id"] == id)
            .unwrap()
            .clone()
    };
    let option = |q: &Value, text: &str| {
        q["options"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["text"] == text)
            .unwrap()["id"]
            .clone()
    };
    let (single, multiple) = (question("single"), question("multiple"));
    for (q, body) in [
        ("single", json!({"choice": option(&single, "SHA-256")})),
        (
            "multiple",
            json!({"choices": [option(&multiple, "RAM contents"), option(&multiple, "Network connections")]}),
        ),
        ("tf", json!({"choice": "false"})),
        ("short", json!({"text": "Tashkent"})),
        ("numerical", json!({"value": 64})),
        ("essay", json!({"text": "Every transfer is recorded. Nothing is lost."})),
    ] {
        let saved = app
            .api(
                Method::PUT,
                &format!("/api/v1/attempts/{attempt_id}/responses/{q}"),
                Some(&token),
                Some(body),
            )
            .await;
        assert_eq!(saved.status, StatusCode::NO_CONTENT, "{q}: {}", saved.body);
    }
    let result = app
        .api(
            Method::POST,
            &format!("/api/v1/attempts/{attempt_id}/submit"),
            Some(&token),
            None,
        )
        .await
        .json();
    assert_eq!(
        (result["passed"].clone(), result["pending_manual"].clone()),
        (json!(true), json!(true)),
        "{result}"
    );
    assert_eq!(completions_recorded(&app, id), 0, "the essay is not graded yet");
    assert_eq!(certificate_codes(&mut app, &token).await, Vec::<String>::new());

    app.create_user("grader@example.kz", Role::Admin, None);
    let mut admin = app.signed_in("grader@example.kz").await;
    let graded = admin
        .post_form(
            &format!("/teach/grading/{attempt_id}/essay"),
            &[("score", "100"), ("comment", "")],
        )
        .await;
    assert_eq!(graded.status, StatusCode::SEE_OTHER, "{}", graded.body);
    assert_eq!(
        completions_recorded(&app, id),
        1,
        "grading the essay completes the course"
    );
    assert_eq!(certificate_codes(&mut app, &token).await.len(), 1);
}

async fn an_unreadable_completion_rule_is_an_internal_error_not_the_default_rule(mut app: TestApp) {
    app.with_courses("valid");
    let id = app.create_user("unreadable@example.kz", Role::Learner, None);
    let token = app.api_token("unreadable@example.kz", PASSWORD).await;
    common::fixtures::complete_the_prerequisite(&mut app, &token).await;
    common::pass_check_quiz(&mut app, &token).await;
    app.api(
        Method::POST,
        "/api/v1/courses/demo-course/modules/intro/complete",
        Some(&token),
        None,
    )
    .await;
    {
        use bilim::db::schema::courses;
        use diesel::prelude::*;
        let mut conn = app.state.pool.get().unwrap();
        // Only the intro module is required by this rule, which the server cannot read.
        diesel::update(courses::table.find("demo-course"))
            .set(courses::settings.eq(r#"{"completion": {"modules": ["intro"], "quizes": []}}"#))
            .execute(&mut conn)
            .unwrap();
    }
    let refused = app
        .api(
            Method::POST,
            "/api/v1/courses/demo-course/modules/evidence/complete",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(refused.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        completions_recorded(&app, id),
        0,
        "never completed by a rule nobody wrote"
    );
    assert_eq!(certificate_codes(&mut app, &token).await, Vec::<String>::new());
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
        if let Some(dir) = std::env::var_os("BILIM_CERTIFICATE_SAMPLES") {
            let file = std::path::Path::new(&dir).join(format!("certificate-letters-{lang}.pdf"));
            std::fs::write(file, &response.bytes).unwrap();
        }
    }
}

/// The PDF's text with every run of whitespace made one space, so that a phrase the
/// layout wrapped onto two lines is still found.
fn pdf_words(bytes: &[u8]) -> String {
    pdf_text(bytes).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// An Uzbek academy whose certificates an administrator has had signed, a run of it
/// from `starts` to `ends`, and a learner of the run who has met the demo course's
/// rule; returns the certificate's code. The administrator stays signed in.
async fn certified_at_an_academy_with_a_signatory(
    app: &mut TestApp,
    starts_days_ago: i64,
    ends: chrono::NaiveDate,
) -> (bilim::institutions::InstitutionId, String) {
    app.with_courses("valid");
    let (institution, coordinator) = app.institution_with_coordinator(
        "Академия МВД Республики Узбекистан",
        Country::Uz,
        "uz.coordinator@example.uz",
    );
    app.create_user("admin@example.uz", Role::Admin, None);
    app.sign_in("admin@example.uz", PASSWORD).await;
    let saved = app
        .post_form(
            &format!("/admin/institutions/{institution}"),
            &[
                ("signatory_name", "Alisher Karimov"),
                ("signatory_position", "Akademiya boshligʻi, militsiya general-mayori"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let run = RunBuilder::new(institution, coordinator)
        .country("UZ")
        .started_days_ago(starts_days_ago)
        .ends_on(ends)
        .insert(app);
    let learner = app.create_user_speaking("kursant@example.uz", Role::Learner, Some(institution), Locale::Uz);
    app.set_user_name(learner, "Oʻlmas Qoʻchqorov");
    app.admit(run, learner, "enrolled");
    let token = app.api_token("kursant@example.uz", PASSWORD).await;
    common::fixtures::meet_the_demo_course_rule(app, &token).await;
    let codes = certificate_codes(app, &token).await;
    assert_eq!(codes.len(), 1);
    (institution, codes[0].clone())
}

/// A PNG emblem standing in for an installation's logo.
fn logo_fixture() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/logo.png")
}

async fn the_pdf_names_the_institution_run_dates_hours_signatory_and_verification_address(app: TestAppBuilder) {
    let mut app = app.with_config(|c| c.logo_file = Some(logo_fixture())).start().await;
    let today = chrono::Utc::now().date_naive();
    let starts = today - chrono::Duration::days(12);
    let ends = today + chrono::Duration::days(9);
    let (institution, code) = certified_at_an_academy_with_a_signatory(&mut app, 12, ends).await;
    let verify_url = format!("{}/verify/{code}", app.state.config.public_url);

    let english = app.get(&format!("/certificates/{code}.pdf?lang=en")).await;
    assert_eq!(english.status, StatusCode::OK);
    assert_eq!(pdf_structure(&english.bytes).images, 1, "the installation's logo");
    let text = pdf_words(&english.bytes);
    let period = format!(
        "Period of study: {} – {}",
        bilim::i18n::format_date(Locale::En, starts),
        bilim::i18n::format_date(Locale::En, ends)
    );
    for wanted in [
        "Академия МВД Республики Узбекистан",
        "Uzbekistan",
        "Certificate",
        "Oʻlmas Qoʻchqorov",
        "Demo course",
        period.as_str(),
        "Study time: 2.5 hours",
        "Alisher Karimov",
        "Akademiya boshligʻi, militsiya general-mayori",
        &format!("Certificate number: {code}"),
        &format!("Check this certificate at {verify_url}"),
    ] {
        assert!(text.contains(wanted), "{wanted:?} in {text}");
    }

    // In the holder's language, Uzbek, dates and labels too.
    let uzbek = app.get(&format!("/certificates/{code}.pdf?lang=uz")).await;
    let text = pdf_words(&uzbek.bytes);
    let period = format!(
        "Oʻqish davri: {} – {}",
        bilim::i18n::format_date(Locale::Uz, starts),
        bilim::i18n::format_date(Locale::Uz, ends)
    );
    for wanted in [period.as_str(), "Sertifikat", "Oʻzbekiston", "Alisher Karimov"] {
        assert!(text.contains(wanted), "{wanted:?} in {text}");
    }

    // The coordinator moves the run's end afterwards: the certificate keeps its period.
    {
        use bilim::db::schema::{certificates, course_runs};
        use diesel::prelude::*;
        let mut conn = app.state.pool.get().unwrap();
        let run: i64 = certificates::table
            .find(&code)
            .select(certificates::run_id)
            .first::<Option<i64>>(&mut conn)
            .unwrap()
            .unwrap();
        diesel::update(course_runs::table.find(run))
            .set(course_runs::ends_on.eq(ends + chrono::Duration::days(30)))
            .execute(&mut conn)
            .unwrap();
    }
    let later = pdf_words(&app.get(&format!("/certificates/{code}.pdf?lang=uz")).await.bytes);
    assert!(later.contains(&period), "the period of study as issued: {later}");
    if let Some(dir) = std::env::var_os("BILIM_CERTIFICATE_SAMPLES") {
        // `BILIM_CERTIFICATE_SAMPLES=dir cargo test --test certificates` keeps the PDFs
        // to look at (README's sample is one of them, drawn with pdftoppm).
        for lang in ["uz", "kk", "tg", "ru", "en"] {
            let pdf = app.get(&format!("/certificates/{code}.pdf?lang={lang}")).await;
            std::fs::write(
                std::path::Path::new(&dir).join(format!("certificate-{lang}.pdf")),
                &pdf.bytes,
            )
            .unwrap();
        }
    }

    // A new signatory signs the certificates issued from now on, not this one.
    let changed = app
        .post_form(
            &format!("/admin/institutions/{institution}"),
            &[
                ("signatory_name", "Bobur Rahimov"),
                ("signatory_position", "Boshliq oʻrinbosari"),
            ],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER);
    let again = pdf_words(&app.get(&format!("/certificates/{code}.pdf?lang=en")).await.bytes);
    assert!(
        again.contains("Alisher Karimov") && !again.contains("Bobur Rahimov"),
        "{again}"
    );

    if let Some(dir) = std::env::var_os("BILIM_CERTIFICATE_SAMPLES") {
        // README's sample: a course title in Uzbek, as a real course has.
        rename_certificate(
            &app,
            &code,
            "Oʻlmas Qoʻchqorov",
            "Politsiya va prokurorlar uchun kiberjinoyatchilikka qarshi kurashish asoslari",
        );
        let pdf = app.get(&format!("/certificates/{code}.pdf?lang=uz")).await;
        std::fs::write(std::path::Path::new(&dir).join("certificate-sample-uz.pdf"), &pdf.bytes).unwrap();
    }
}

async fn a_one_day_run_shows_one_date_and_a_certificate_without_a_signatory_no_signature(mut app: TestApp) {
    app.with_courses("valid");
    let (institution, coordinator) =
        app.institution_with_coordinator("Тоҷикистон академияси", Country::Tj, "tj.coordinator@example.tj");
    let today = chrono::Utc::now().date_naive();
    let run = RunBuilder::new(institution, coordinator)
        .country("TJ")
        .started_days_ago(0)
        .ends_on(today)
        .insert(&app);
    let (_, token) = learner_of_run(&mut app, "one.day@example.tj", run).await;
    common::fixtures::meet_the_demo_course_rule(&mut app, &token).await;
    let code = certificate_codes(&mut app, &token).await[0].clone();
    app.sign_in("one.day@example.tj", PASSWORD).await;
    let text = pdf_words(&app.get(&format!("/certificates/{code}.pdf?lang=tg")).await.bytes);
    let day = bilim::i18n::format_date(Locale::Tg, today);
    assert!(text.contains(&format!("Давраи таҳсил: {day}")), "{text}");
    assert!(!text.contains(&format!("{day} –")), "one day, not a range: {text}");
    // With no signatory configured there is no empty signature line to sign.
    let structure = pdf_structure(&app.get(&format!("/certificates/{code}.pdf?lang=tg")).await.bytes);
    assert!(!structure.draws_a_line, "no signature line");
}

/// What a PDF says about itself beyond its text.
#[derive(Debug)]
struct PdfStructure {
    lang: String,
    title: String,
    /// Marked as tagged, with a structure tree.
    tagged: bool,
    headings: usize,
    figure_alts: Vec<String>,
    /// Whether its metadata claims PDF/UA-1.
    claims_pdf_ua: bool,
    images: usize,
    /// Whether a page strokes a single straight line (the signature line; the border
    /// and the QR code are closed rectangles).
    draws_a_line: bool,
}

/// A PDF text string: UTF-16 with a byte order mark, or ASCII.
fn text_string(object: &lopdf::Object) -> String {
    let bytes = object.as_str().unwrap();
    match bytes.strip_prefix(&[0xFE, 0xFF]) {
        Some(utf16) => String::from_utf16(
            &utf16
                .chunks(2)
                .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
                .collect::<Vec<_>>(),
        )
        .unwrap(),
        None => String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

fn pdf_structure(bytes: &[u8]) -> PdfStructure {
    use lopdf::Object;
    let document = lopdf::Document::load_mem(bytes).unwrap();
    let catalog = document.catalog().unwrap();
    let resolve = |object: &Object| document.dereference(object).unwrap().1.clone();
    let lang = text_string(catalog.get(b"Lang").unwrap());
    let marked = catalog
        .get(b"MarkInfo")
        .map(|info| {
            resolve(info)
                .as_dict()
                .unwrap()
                .get(b"Marked")
                .unwrap()
                .as_bool()
                .unwrap()
        })
        .unwrap_or(false);
    let tagged = marked && catalog.get(b"StructTreeRoot").is_ok();
    let info = resolve(document.trailer.get(b"Info").unwrap());
    let title = text_string(info.as_dict().unwrap().get(b"Title").unwrap());
    let xmp = match resolve(catalog.get(b"Metadata").unwrap()) {
        Object::Stream(stream) => {
            String::from_utf8_lossy(&stream.decompressed_content().unwrap_or(stream.content)).into_owned()
        }
        other => panic!("metadata is not a stream: {other:?}"),
    };
    let mut headings = 0;
    let mut figure_alts = Vec::new();
    // Images drawn, not the transparency masks that come with them.
    let image_streams: Vec<(&lopdf::ObjectId, &lopdf::Stream)> = document
        .objects
        .iter()
        .filter_map(|(id, object)| match object {
            Object::Stream(stream)
                if stream.dict.get(b"Subtype").and_then(Object::as_name).ok() == Some(b"Image".as_slice()) =>
            {
                Some((id, stream))
            }
            _ => None,
        })
        .collect();
    let masks: Vec<lopdf::ObjectId> = image_streams
        .iter()
        .filter_map(|(_, stream)| stream.dict.get(b"SMask").and_then(Object::as_reference).ok())
        .collect();
    let images = image_streams.iter().filter(|(id, _)| !masks.contains(id)).count();
    for object in document.objects.values() {
        let Ok(element) = object.as_dict() else { continue };
        match element.get(b"S").and_then(Object::as_name) {
            Ok(b"H1") => headings += 1,
            Ok(b"Figure") => figure_alts.push(text_string(element.get(b"Alt").unwrap())),
            _ => {}
        }
    }
    let draws_a_line = document.get_pages().values().any(|page| {
        let content = lopdf::content::Content::decode(&document.get_page_content(*page).unwrap()).unwrap();
        let operators: Vec<&str> = content.operations.iter().map(|o| o.operator.as_str()).collect();
        operators.windows(3).any(|three| three == ["m", "l", "S"])
    });
    PdfStructure {
        lang,
        title,
        tagged,
        headings,
        figure_alts,
        claims_pdf_ua: xmp.contains("pdfuaid:part"),
        images,
        draws_a_line,
    }
}

async fn the_pdf_is_tagged_in_its_language_with_a_title_a_heading_and_the_qr_code_described(mut app: TestApp) {
    let today = chrono::Utc::now().date_naive();
    let (_, code) = certified_at_an_academy_with_a_signatory(&mut app, 3, today + chrono::Duration::days(3)).await;
    let verify_url = format!("{}/verify/{code}", app.state.config.public_url);
    for (lang, heading, alt) in [
        (
            "uz",
            "Sertifikat",
            "Ushbu sertifikatni tekshirish sahifasiga olib boruvchi QR kod",
        ),
        ("kk", "Сертификат", "Осы сертификатты тексеру бетіне апаратын QR-код"),
        (
            "tg",
            "Шаҳодатнома",
            "QR-код бо пайванд ба саҳифаи санҷиши ин шаҳодатнома",
        ),
    ] {
        let structure = pdf_structure(&app.get(&format!("/certificates/{code}.pdf?lang={lang}")).await.bytes);
        assert_eq!(structure.lang, lang);
        assert!(structure.tagged, "{lang}: {structure:?}");
        assert!(structure.claims_pdf_ua, "{lang}: {structure:?}");
        assert_eq!(structure.headings, 1, "{lang}: {structure:?}");
        assert!(
            structure.title.starts_with(heading) && structure.title.contains("Oʻlmas Qoʻchqorov"),
            "{lang}: {structure:?}"
        );
        assert_eq!(structure.figure_alts, vec![format!("{alt}: {verify_url}")], "{lang}");
        assert!(structure.draws_a_line, "{lang}: the signatory's line");
    }
}

async fn an_svg_logo_is_left_off_the_certificate_which_is_still_issued(app: TestAppBuilder) {
    let svg = tempfile::Builder::new().suffix(".svg").tempfile().unwrap();
    std::fs::write(
        svg.path(),
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>"#,
    )
    .unwrap();
    let path = svg.path().to_owned();
    let mut app = app.with_config(move |c| c.logo_file = Some(path)).start().await;
    let token = completed_learner(&mut app, "svg.logo@example.kz", "Ерлан Ахметов", Locale::Kk).await;
    let code = certificate_codes(&mut app, &token).await[0].clone();
    app.sign_in("svg.logo@example.kz", PASSWORD).await;
    let response = app.get(&format!("/certificates/{code}.pdf")).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(pdf_structure(&response.bytes).images, 0);
    assert!(pdf_words(&response.bytes).contains("Ерлан Ахметов"));
}

/// Writes another course title (in every language) and holder name on a certificate.
fn rename_certificate(app: &TestApp, code: &str, name: &str, title: &str) {
    use bilim::db::schema::certificates;
    use diesel::prelude::*;
    let titles = json!({ "en": title, "uz": title, "ru": title }).to_string();
    let mut conn = app.state.pool.get().unwrap();
    diesel::update(certificates::table.find(code))
        .set((
            certificates::holder_name.eq(name),
            certificates::course_titles.eq(titles),
        ))
        .execute(&mut conn)
        .unwrap();
}

async fn a_long_name_and_a_long_course_title_are_printed_whole(mut app: TestApp) {
    let today = chrono::Utc::now().date_naive();
    let (_, code) = certified_at_an_academy_with_a_signatory(&mut app, 3, today + chrono::Duration::days(3)).await;
    let title = "Tergovda va tezkor-qidiruv faoliyatida raqamli dalillarni toʻplash, qayd etish, saqlash va ekspertizaga tayyorlash usuli";
    assert_eq!(title.chars().count(), 120);
    let name =
        "Nurgʻaliyeva-Qoʻchqorova Gulchehra Abdumalikovna Oʻlmasovna-Toshpoʻlatova Shahrizoda Xudoyberdiyevna qizi";
    rename_certificate(&app, &code, name, title);
    for lang in ["uz", "en", "ru"] {
        let response = app.get(&format!("/certificates/{code}.pdf?lang={lang}")).await;
        assert_eq!(response.status, StatusCode::OK, "{lang}");
        let text = pdf_words(&response.bytes);
        assert!(text.contains(title), "{lang}: the title is whole: {text}");
        assert!(text.contains(name), "{lang}: the name is whole: {text}");
        assert!(text.contains(&code), "{lang}");
    }
    if let Some(dir) = std::env::var_os("BILIM_CERTIFICATE_SAMPLES") {
        let pdf = app.get(&format!("/certificates/{code}.pdf?lang=uz")).await;
        std::fs::write(std::path::Path::new(&dir).join("certificate-long-uz.pdf"), &pdf.bytes).unwrap();
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
    assert!(page.body.contains("Valid") && page.body.contains("Ерлан Ахметов") && page.body.contains("Demo course"));
    assert_eq!(issuer_row(&page), "Bilim", "issued by the installation");
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

/// Behind a load balancer a holder may fetch the credential from one instance and
/// the keys from another: every instance over the database signs with the one key
/// kept there, even an instance whose data directory holds a key of its own from
/// before the key moved into the database.
async fn a_credential_signed_by_one_instance_checks_against_the_keys_another_publishes(mut app: TestApp) {
    let token = completed_learner(&mut app, "two@example.kz", "Aigerim Sultanova", Locale::En).await;
    let code = app
        .api(Method::GET, "/api/v1/me/certificates", Some(&token), None)
        .await
        .json()[0]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let jwt = app.get(&format!("/api/v1/certificates/{code}")).await.body;
    let mut other = app.another_instance().await;
    let jwks = other.get("/.well-known/jwks.json").await.json();
    assert_eq!(
        jwks,
        app.get("/.well-known/jwks.json").await.json(),
        "both instances publish the same key"
    );
    let decoding = jsonwebtoken::DecodingKey::from_ed_components(jwks["keys"][0]["x"].as_str().unwrap()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    let claims = jsonwebtoken::decode::<Value>(&jwt, &decoding, &validation)
        .unwrap()
        .claims;
    assert_eq!(claims["jti"], json!(code));

    // An instance started with a key file of its own, as older versions made one per
    // data directory, uses the database's key all the same.
    let data_dir = tempfile::tempdir().unwrap();
    std::fs::write(data_dir.path().join("certificate-signing.key"), [7u8; 32]).unwrap();
    let mut config = app.state.config.clone();
    config.data_dir = data_dir.path().to_path_buf();
    let state = bilim::app::AppState::new(app.state.pool.clone(), app.backend, config).unwrap();
    assert_eq!(state.signing.jwks(), jwks);
    let signed_there = state.signing.sign(&claims).unwrap();
    assert!(jsonwebtoken::decode::<Value>(&signed_there, &decoding, &validation).is_ok());
}

/// An installation upgraded from a version that kept the signing key in the data
/// directory only goes on signing with that key, so the credentials it issued
/// before still check against the keys it publishes.
async fn an_upgraded_installation_keeps_the_signing_key_its_data_directory_held(app: TestApp) {
    let seed = [7u8; 32];
    std::fs::write(app.data_dir.path().join("certificate-signing.key"), seed).unwrap();
    // The database as the earlier version left it: no key in it.
    bilim::db::settings::remove(&mut app.state.pool.get().unwrap(), "certificate_signing_key").unwrap();
    let state = bilim::app::AppState::new(app.state.pool.clone(), app.backend, app.state.config.clone()).unwrap();
    let public = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key().to_bytes();
    assert_eq!(
        state.signing.jwks()["keys"][0]["x"],
        json!(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(public))
    );
    let mut other = app.another_instance().await;
    assert_eq!(
        other.get("/.well-known/jwks.json").await.json(),
        state.signing.jwks(),
        "and every other instance signs with it too"
    );
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
    let again = app
        .api(
            Method::POST,
            &format!("/api/v1/certificates/{code}/revoke"),
            Some(&coordinator),
            Some(json!({"reason": "Twice"})),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);

    // The audit log has the issue (by the system) and the one revocation (by the
    // coordinator), and not the reason, which is free text.
    use bilim::db::schema::audit_events;
    use diesel::prelude::*;
    let mut conn = app.state.pool.get().unwrap();
    let logged: Vec<(String, Option<i64>, String)> = audit_events::table
        .filter(audit_events::subject.eq(format!("certificate:{code}")))
        .order(audit_events::id.asc())
        .select((audit_events::action, audit_events::actor_id, audit_events::details))
        .load(&mut conn)
        .unwrap();
    let actions: Vec<(&str, bool)> = logged
        .iter()
        .map(|(a, actor, _)| (a.as_str(), actor.is_some()))
        .collect();
    assert_eq!(actions, [("certificate_issued", false), ("certificate_revoked", true)]);
    assert!(!logged[1].2.contains("Issued in error"));
}

async fn an_expired_certificate_is_renewed_by_completing_a_new_run(mut app: TestApp) {
    app.with_courses("valid");
    let (institution, coordinator) =
        app.institution_with_coordinator("Академия МВД", Country::Kz, "renew.coordinator@example.kz");
    let first = RunBuilder::new(institution, coordinator)
        .started_days_ago(800)
        .insert(&app);
    let (id, token) = learner_of_run(&mut app, "renew@example.kz", first).await;
    common::fixtures::meet_the_demo_course_rule(&mut app, &token).await;
    let old = certificate_codes(&mut app, &token).await;
    assert_eq!(old.len(), 1);
    set_expiry(
        &app,
        &old[0],
        chrono::Utc::now().naive_utc() - chrono::Duration::days(1),
    );
    let page = app.get(&format!("/verify/{}?lang=en", old[0])).await;
    assert!(page.body.contains("Expired") && page.body.contains("take the course again"));

    // Studying on in the same run renews nothing: a new run must be completed.
    app.api(
        Method::POST,
        "/api/v1/courses/demo-course/modules/intro/complete",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(certificate_codes(&mut app, &token).await, old);

    let second = RunBuilder::new(institution, coordinator)
        .started_days_ago(3)
        .insert(&app);
    app.admit(second, id, "enrolled");
    app.api(
        Method::POST,
        "/api/v1/courses/demo-course/modules/evidence/complete",
        Some(&token),
        None,
    )
    .await;
    let list = app
        .api(Method::GET, "/api/v1/me/certificates", Some(&token), None)
        .await
        .json();
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
    assert_eq!(
        list[0]["run_id"],
        json!(second),
        "the new certificate names the new run"
    );
    assert_ne!(list[0]["code"], json!(old[0]));
    assert_eq!(list[1]["code"], json!(old[0]), "the expired one is kept");
    assert_eq!(completion_events(&app, second, id), 1);
    let new_code = list[0]["code"].as_str().unwrap().to_owned();
    assert_eq!(credential_claims(&mut app, &new_code).await["status"], "valid");
    app.sign_in("renew@example.kz", PASSWORD).await;
    let mine = app.get("/certificates?lang=en").await;
    let rows = mine.select("table tbody tr");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows[0].contains("Valid") && rows[0].contains(&new_code), "{rows:?}");
    assert!(rows[1].contains("Expired") && rows[1].contains(&old[0]), "{rows:?}");
}

async fn a_revoked_certificate_is_renewed_by_completing_a_new_run(mut app: TestApp) {
    app.with_courses("valid");
    let (institution, coordinator) =
        app.institution_with_coordinator("Академия МВД", Country::Kz, "revoke.renew@example.kz");
    let first = RunBuilder::new(institution, coordinator)
        .started_days_ago(60)
        .insert(&app);
    let (id, token) = learner_of_run(&mut app, "again@example.kz", first).await;
    common::fixtures::meet_the_demo_course_rule(&mut app, &token).await;
    let old = certificate_codes(&mut app, &token).await;
    let coordinator_token = app.api_token("revoke.renew@example.kz", PASSWORD).await;
    let revoked = app
        .api(
            Method::POST,
            &format!("/api/v1/certificates/{}/revoke", old[0]),
            Some(&coordinator_token),
            Some(json!({"reason": "Exam taken by someone else"})),
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK);
    let second = RunBuilder::new(institution, coordinator)
        .started_days_ago(1)
        .insert(&app);
    app.admit(second, id, "enrolled");
    common::pass_check_quiz(&mut app, &token).await;
    let codes = certificate_codes(&mut app, &token).await;
    assert_eq!(codes.len(), 2, "{codes:?}");
    assert_eq!(codes[1], old[0]);
    assert_eq!(credential_claims(&mut app, &codes[0]).await["status"], "valid");
    assert_eq!(credential_claims(&mut app, &old[0]).await["status"], "revoked");
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
    concurrent_recertification_issues_exactly_one_new_certificate,
    a_certificate_earned_without_a_run_is_issued_by_the_installation_not_the_learners_chosen_institution,
    a_certificate_earned_in_a_run_is_issued_by_the_runs_institution,
    a_course_that_certifies_runs_only_records_a_completion_without_a_run_but_no_certificate,
    a_course_completes_only_after_its_prerequisite,
    a_course_asking_a_minimum_score_completes_only_once_the_score_is_reached,
    a_course_whose_rule_lists_modules_completes_once_every_listed_module_is_complete,
    a_course_without_a_completion_rule_completes_once_every_module_is_complete,
    a_course_without_a_completion_rule_completes_once_every_quiz_but_the_pre_tests_is_passed,
    a_required_test_with_an_essay_waiting_for_a_trainer_does_not_complete_the_course,
    an_unreadable_completion_rule_is_an_internal_error_not_the_default_rule,
    the_pdf_carries_the_name_and_course_title_in_every_language,
    the_pdf_names_the_institution_run_dates_hours_signatory_and_verification_address,
    a_one_day_run_shows_one_date_and_a_certificate_without_a_signatory_no_signature,
    the_pdf_is_tagged_in_its_language_with_a_title_a_heading_and_the_qr_code_described,
    a_long_name_and_a_long_course_title_are_printed_whole,
    an_svg_logo_is_left_off_the_certificate_which_is_still_issued,
    anyone_can_verify_a_certificate_and_an_unknown_code_reveals_nothing,
    the_signed_credential_checks_against_the_published_key_and_fails_when_tampered,
    a_credential_signed_by_one_instance_checks_against_the_keys_another_publishes,
    an_upgraded_installation_keeps_the_signing_key_its_data_directory_held,
    coordinators_revoke_their_institutions_certificates_only,
    an_expired_certificate_is_renewed_by_completing_a_new_run,
    a_revoked_certificate_is_renewed_by_completing_a_new_run,
    the_holder_is_told_once_by_email_in_their_language
);
