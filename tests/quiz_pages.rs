//! The quiz pages as officers meet them: the test named in every heading, times in the
//! reader's time zone, a "check your answers" step before submitting, errors that name
//! their question, honest statuses while an essay waits for a trainer, and the
//! trainers' grading list in words rather than ids.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use actix_web::http::StatusCode;
use bilim::accounts::model::{Country, Role};
use bilim::db::schema::{certificates, quiz_attempts, users};
use bilim::i18n::Locale;
use chrono::{Duration, NaiveDateTime};
use common::fixtures::{CertificateBuilder, RunBuilder};
use common::{Browser, TestApp, PASSWORD};
use diesel::prelude::*;

const START_PAGE: &str = "/courses/demo-course/quizzes/final";
const START: &str = "/courses/demo-course/quizzes/final/attempts";

/// A learner of Kazakhstan (their account's country) reading English, signed in, with
/// the demo course imported. Returns their id.
async fn learner(app: &mut TestApp, email: &str) -> i64 {
    app.with_courses("valid");
    let id = app.create_user_speaking(email, Role::Learner, None, Locale::En);
    app.sign_in(email, PASSWORD).await;
    id
}

/// Makes passing the final test part of completing the demo course (its rule names only
/// the module quiz), so that `/certificates` lists it while it is not passed.
fn require_the_final_test(app: &TestApp) {
    let dir = app.copy_courses("valid");
    let path = dir.join("demo-course/course.toml");
    let toml = std::fs::read_to_string(&path).unwrap();
    assert!(toml.contains("quizzes = [\"check\"]"));
    std::fs::write(
        &path,
        toml.replace("quizzes = [\"check\"]", "quizzes = [\"check\", \"final\"]"),
    )
    .unwrap();
    app.import_courses(&dir);
}

/// Starts the final test with the start page's button; returns the attempt's path.
async fn start_attempt(browser: &mut Browser) -> String {
    let started = browser.post_form(START, &[]).await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
    started.location()
}

fn attempt_id(path: &str) -> i64 {
    path.rsplit('/').next().unwrap().parse().unwrap()
}

fn deadline_of(app: &TestApp, attempt: i64) -> NaiveDateTime {
    let mut conn = app.state.pool.get().unwrap();
    quiz_attempts::table
        .find(attempt)
        .select(quiz_attempts::deadline)
        .first::<Option<NaiveDateTime>>(&mut conn)
        .unwrap()
        .expect("the final test has a time limit")
}

fn stored_time_zone(app: &TestApp, user: i64) -> Option<String> {
    let mut conn = app.state.pool.get().unwrap();
    users::table
        .find(user)
        .select(users::time_zone)
        .first(&mut conn)
        .unwrap()
}

fn stored_name(app: &TestApp, user: i64) -> String {
    let mut conn = app.state.pool.get().unwrap();
    users::table.find(user).select(users::name).first(&mut conn).unwrap()
}

/// The profile form as a learner of Kazakhstan sends it, with `time_zone` chosen.
fn profile_form<'a>(name: &'a str, time_zone: &'a str) -> [(&'static str, &'a str); 7] {
    [
        ("name", name),
        ("country", "KZ"),
        ("institution_id", ""),
        ("category", "investigator"),
        ("locale", "en"),
        ("gender", ""),
        ("time_zone", time_zone),
    ]
}

/// A moment as the pages write a time of day in `zone`, hours ahead of UTC.
fn clock(at: NaiveDateTime, hours: i64, zone: &str) -> String {
    format!("{} ({zone})", (at + Duration::hours(hours)).format("%H:%M"))
}

async fn quiz_pages_name_the_test_and_show_times_in_the_learners_zone(mut app: TestApp) {
    let id = learner(&mut app, "zone@example.kz").await;
    let attempt = start_attempt(&mut app).await;
    let deadline = deadline_of(&app, attempt_id(&attempt));

    let page = app.get(&format!("{attempt}?lang=en")).await;
    assert_eq!(page.select("h1"), ["Final test"], "the test's name, not just \"Test\"");
    assert!(page.title().starts_with("Final test"), "{}", page.title());
    assert!(
        page.body.contains(&clock(deadline, 5, "UTC+5")),
        "a learner of Kazakhstan reads the deadline on Astana's clock: {:?}",
        page.select(".notice")
    );
    assert!(!page.body.contains(&deadline.format("%H:%M UTC").to_string()));
    let in_russian = app.get(&format!("{attempt}?lang=ru")).await;
    assert_eq!(in_russian.select("h1"), ["Итоговый тест"], "in the reader's language");

    let saved = app.post_form("/profile", &profile_form("Test learner", "UTC+6")).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(stored_time_zone(&app, id).as_deref(), Some("UTC+6"));
    let profile = app.get("/profile?lang=en").await;
    assert!(profile.has("select#time_zone option[value='UTC+6'][selected]"));
    assert!(profile.has("#time_zone-hint"), "the field explains itself");
    let page = app.get(&format!("{attempt}?lang=en")).await;
    assert!(
        page.body.contains(&clock(deadline, 6, "UTC+6")),
        "the zone chosen wins over the country's: {:?}",
        page.select(".notice")
    );
    let start_page = app.get(&format!("{START_PAGE}?lang=en")).await;
    assert!(
        start_page.select("tbody td").join(" ").contains("(UTC+6)"),
        "{:?}",
        start_page.select("tbody td")
    );

    app.post_form("/profile", &profile_form("Test learner", "")).await;
    assert_eq!(stored_time_zone(&app, id), None, "back to the country's zone");
    let submitted = app.post_form(&attempt, &[("action", "submit")]).await;
    assert_eq!(submitted.location(), format!("{attempt}/review"));
    let review = app.get(&format!("{attempt}/review?lang=en")).await;
    assert_eq!(review.select("h1"), ["Final test"]);
    assert!(review.title().contains("Final test"), "{}", review.title());
    assert!(
        review.body.contains("(UTC+5)"),
        "the time it was submitted, on the learner's clock"
    );
}

async fn an_unknown_time_zone_is_refused_in_the_readers_language_and_nothing_is_saved(mut app: TestApp) {
    let id = learner(&mut app, "vienna@example.kz").await;
    let refused = app
        .post_form("/profile?lang=ru", &profile_form("Другое имя", "Europe/Vienna"))
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        refused.select(".error-summary a[href='#time_zone']"),
        ["Выберите часовой пояс из списка"]
    );
    assert!(refused.has("select#time_zone[aria-invalid=true]"));
    assert!(refused.title().starts_with("Ошибка:"), "{}", refused.title());
    assert_eq!(stored_time_zone(&app, id), None, "no zone saved");
    assert_eq!(stored_name(&app, id), "Test learner", "nor anything else of the form");
}

async fn a_number_that_is_not_one_names_its_question(mut app: TestApp) {
    learner(&mut app, "number@example.kz").await;
    let attempt = start_attempt(&mut app).await;
    let refused = app
        .post_form(
            &format!("{attempt}?lang=en"),
            &[("q-numerical", "sixty"), ("action", "check")],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not on to the check step"
    );
    let message = "Question 5: enter a number, for example 12 or 3.5";
    assert_eq!(refused.select(".error-summary a[href='#q-numerical']"), [message]);
    assert_eq!(refused.select("#q-numerical-error"), [format!("Error: {message}")]);
    assert_eq!(refused.select_attr("input[name=q-numerical]", "value"), ["sixty"]);
    let in_russian = app
        .post_form(
            &format!("{attempt}?lang=ru"),
            &[("q-numerical", "шестьдесят"), ("action", "save")],
        )
        .await;
    assert_eq!(
        in_russian.select(".error-summary a[href='#q-numerical']"),
        ["Вопрос 5: введите число, например 12 или 3,5"]
    );
}

async fn checking_answers_lists_each_question_keeps_the_answers_and_warns_before_submitting(mut app: TestApp) {
    learner(&mut app, "check@example.kz").await;
    let attempt = start_attempt(&mut app).await;
    let form = app.get(&format!("{attempt}?lang=en")).await;
    assert_eq!(
        form.select("form.quiz button"),
        ["Check your answers", "Save answers"],
        "no submit without the check step"
    );

    let checked = app
        .post_form(
            &attempt,
            &[
                ("q-tf", "false"),
                ("q-short", "Tashkent"),
                ("q-numerical", "64"),
                ("action", "check"),
            ],
        )
        .await;
    assert_eq!(checked.location(), format!("{attempt}/check"));
    let check = app.get(&format!("{attempt}/check?lang=en")).await;
    assert_eq!(check.select("h1"), ["Check your answers"]);
    assert!(check.title().contains("Final test"), "{}", check.title());
    assert_eq!(check.select(".answered-count"), ["3 of 7 questions answered"]);
    let rows = check.select(".check-list .summary-list__row");
    assert_eq!(rows.len(), 7, "every question but the text to read: {rows:?}");
    assert!(
        rows[0].starts_with("Question 1 Which hash function") && rows[0].contains("Not answered"),
        "{rows:?}"
    );
    assert!(rows[2].contains("Question 3") && rows[2].contains("False"), "{rows:?}");
    assert!(rows[3].contains("Tashkent") && rows[4].contains("64"), "{rows:?}");
    assert!(!check.body.contains("Right."), "no feedback before submitting");
    assert_eq!(
        check.select_attr(".check-list a", "href")[2],
        format!("{attempt}#q-tf-label"),
        "each answer links back to its question"
    );
    let warning = check
        .body
        .find("After submitting you cannot change your answers.")
        .unwrap();
    let button = check.body.find(">Submit answers</button>").unwrap();
    assert!(warning < button, "the warning comes before the button");
    assert_eq!(
        app.get(&format!("{attempt}/check?lang=ru"))
            .await
            .select(".answered-count"),
        ["Отвечено на 3 из 7 вопросов"]
    );

    let again = app.get(&format!("{attempt}?lang=en")).await;
    assert_eq!(again.select_attr("input[name=q-numerical]", "value"), ["64"]);
    assert!(
        again.has("input[name=q-tf][value=false][checked]"),
        "the answers were kept"
    );

    let submitted = app.post_form(&attempt, &[("action", "submit")]).await;
    assert_eq!(submitted.location(), format!("{attempt}/review"));
    let review = app.get(&format!("{attempt}/review?lang=en")).await;
    assert!(
        review.body.contains("Tashkent") && review.body.contains("43 %"),
        "3 of 7"
    );
    assert_eq!(
        app.get(&format!("{attempt}/check")).await.location(),
        format!("{attempt}/review"),
        "a submitted attempt has nothing left to check"
    );
}

async fn the_check_step_keeps_to_the_time_limit(mut app: TestApp) {
    learner(&mut app, "late@example.kz").await;
    let attempt = start_attempt(&mut app).await;
    app.post_form(&attempt, &[("q-numerical", "64"), ("action", "check")])
        .await;
    {
        let mut conn = app.state.pool.get().unwrap();
        let past = chrono::Utc::now().naive_utc() - Duration::minutes(1);
        diesel::update(quiz_attempts::table.find(attempt_id(&attempt)))
            .set(quiz_attempts::deadline.eq(Some(past)))
            .execute(&mut conn)
            .unwrap();
    }
    let late = app.get(&format!("{attempt}/check")).await;
    assert_eq!(
        late.location(),
        format!("{attempt}/review"),
        "the time is up: submitted"
    );
    let review = app.get(&format!("{attempt}/review?lang=en")).await;
    assert!(review.body.contains("64"), "with the answers it had");
}

/// The learner answers the final test's essay and submits: the attempt waits for a
/// trainer, with one of its two attempts left.
async fn submit_an_essay(app: &mut TestApp) -> String {
    let attempt = start_attempt(app).await;
    let submitted = app
        .post_form(
            &attempt,
            &[
                ("q-essay", "Every transfer is recorded. Nothing is lost."),
                ("action", "submit"),
            ],
        )
        .await;
    assert_eq!(submitted.location(), format!("{attempt}/review"));
    attempt
}

async fn while_an_essay_awaits_grading_the_start_page_and_certificates_say_so(mut app: TestApp) {
    learner(&mut app, "waiting@example.kz").await;
    require_the_final_test(&app);
    app.get("/courses/demo-course/intro?lang=en").await;
    let before = app.get(&format!("{START_PAGE}?lang=en")).await;
    assert!(!before.has(".awaiting-grading"));
    submit_an_essay(&mut app).await;

    let start_page = app.get(&format!("{START_PAGE}?lang=en")).await;
    assert_eq!(
        start_page.select(".awaiting-grading"),
        ["Your answers are awaiting grading by a trainer. The result will be final once they are graded."]
    );
    assert_eq!(
        start_page.select("form[action$='/attempts'] button.button--secondary"),
        ["Start another attempt"],
        "another attempt is offered, but not as the main action"
    );
    assert_eq!(start_page.count("form[action$='/attempts'] button"), 1);

    let certificates = app.get("/certificates?lang=en").await;
    assert_eq!(certificates.select(".awaiting-grading__list li"), ["Final test"]);
    let still_to_do = certificates.select(".still-missing li");
    assert!(!still_to_do.is_empty(), "the modules are still to do");
    assert!(
        !still_to_do.contains(&"Final test".to_owned()),
        "the test is not still to do: {still_to_do:?}"
    );
}

async fn a_learner_without_an_essay_waiting_is_offered_the_test_as_before(mut app: TestApp) {
    learner(&mut app, "plain@example.kz").await;
    require_the_final_test(&app);
    app.get("/courses/demo-course/intro?lang=en").await;
    let attempt = start_attempt(&mut app).await;
    app.post_form(&attempt, &[("q-numerical", "64"), ("action", "submit")])
        .await;
    let start_page = app.get(&format!("{START_PAGE}?lang=en")).await;
    assert!(!start_page.has(".awaiting-grading"), "nothing waits for a trainer");
    assert_eq!(
        start_page.select("form[action$='/attempts'] button.button"),
        ["Start the test"]
    );
    assert!(!start_page.has("form[action$='/attempts'] button.button--secondary"));
    let certificates = app.get("/certificates?lang=en").await;
    assert!(certificates
        .select(".still-missing li")
        .contains(&"Final test".to_owned()));
    assert!(!certificates.has(".awaiting-grading"));
}

async fn staff_previews_show_no_attempt_counter(mut app: TestApp) {
    learner(&mut app, "counted@example.kz").await;
    let learners_page = app.get(&format!("{START_PAGE}?lang=en")).await;
    assert!(
        learners_page.body.contains("0 of 2 used"),
        "a learner's attempts are counted"
    );
    app.create_user("preview@example.kz", Role::Trainer, None);
    let mut trainer = app.signed_in("preview@example.kz").await;
    let preview = trainer.get(&format!("{START_PAGE}?lang=en")).await;
    assert_eq!(preview.status, StatusCode::OK);
    assert!(!preview.body.contains(" used<"), "{:?}", preview.select(".meta"));
    assert!(!preview.body.contains("0 of 2"));
    assert!(preview.body.contains("preview"), "the preview is said to be one");
}

/// A Kazakh academy's run of the demo course with its coordinator and a trainer;
/// returns the run's and the trainer's ids.
fn academy_run(app: &TestApp, name: &str, trainer: &str, head: &str) -> (i64, i64) {
    app.with_courses("valid");
    let (institution, coordinator) = app.institution_with_coordinator(name, Country::Kz, head);
    let run = RunBuilder::new(institution, coordinator).insert(app);
    let trainer_id = app.create_user(trainer, Role::Trainer, Some(institution));
    app.make_trainer_of(run, trainer_id);
    (run, trainer_id)
}

async fn the_grading_list_names_course_test_and_question_and_confirms_a_grade(app: TestApp) {
    let (run, _) = academy_run(&app, "Academy", "grader@example.kz", "head@example.kz");
    academy_run(&app, "Other academy", "outsider@example.kz", "other.head@example.kz");
    let learner_id = app.create_user_speaking("essayist@example.kz", Role::Learner, None, Locale::En);
    app.set_user_name(learner_id, "Aigerim Nurlanova");
    app.admit(run, learner_id, "enrolled");
    let mut learner = app.signed_in("essayist@example.kz").await;
    let attempt = start_attempt(&mut learner).await;
    learner
        .post_form(
            &attempt,
            &[("q-essay", "Every transfer is recorded."), ("action", "submit")],
        )
        .await;
    let id = attempt_id(&attempt);

    let mut trainer = app.signed_in("grader@example.kz").await;
    let queue = trainer.get("/teach/grading?lang=en").await;
    let row = queue.select("tbody tr").join(" ");
    assert!(
        row.contains("Demo course")
            && row.contains("Final test")
            && row.contains("Explain the chain of custody in two sentences."),
        "course, test and question in words: {row}"
    );
    assert!(!row.contains("(essay)"), "not the question's id: {row}");
    let in_russian = trainer.get("/teach/grading?lang=ru").await.select("tbody tr").join(" ");
    assert!(
        in_russian.contains("Объясните в двух предложениях"),
        "the question in the reader's language: {in_russian}"
    );
    let in_kazakh = trainer.get("/teach/grading?lang=kk").await;
    assert_eq!(
        in_kazakh.select_attr("tbody small", "lang"),
        ["ru"],
        "a question shown in another language says which (no Kazakh: Russian comes next)"
    );
    assert!(
        queue.select_attr("tbody small[lang]", "lang").is_empty(),
        "in the reader's own language no lang is needed"
    );
    let essay_page = trainer.get(&format!("/teach/grading/{id}/essay?lang=en")).await;
    let facts = essay_page.select(".summary-list dd");
    assert_eq!(
        facts[..2],
        ["Demo course", "Final test"],
        "the page names the course and the test"
    );

    let graded = trainer
        .post_form(
            &format!("/teach/grading/{id}/essay"),
            &[("score", "80"), ("comment", "")],
        )
        .await;
    assert_eq!(graded.location(), format!("/teach/grading?graded={id}"));
    let confirmed = trainer.get(&format!("/teach/grading?graded={id}&lang=en")).await;
    assert_eq!(confirmed.select(".notice"), ["Essay graded: Aigerim Nurlanova"]);

    let mut outsider = app.signed_in("outsider@example.kz").await;
    let elsewhere = outsider.get(&format!("/teach/grading?graded={id}&lang=en")).await;
    assert_eq!(elsewhere.status, StatusCode::OK);
    assert!(
        !elsewhere.has(".notice") && !elsewhere.body.contains("Aigerim"),
        "another academy's learner is not named"
    );
    let nonsense = trainer.get("/teach/grading?graded=abc&lang=en").await;
    assert_eq!(nonsense.status, StatusCode::OK);
    assert!(!nonsense.has(".notice"));
}

async fn certificate_links_name_the_certificate_and_the_language(mut app: TestApp) {
    app.with_courses("valid");
    let (institution, coordinator) = app.institution_with_coordinator("Academy", Country::Kz, "head@example.kz");
    let run = RunBuilder::new(institution, coordinator)
        .started_days_ago(10)
        .insert(&app);
    let holder = app.create_user_speaking("holder@example.kz", Role::Learner, None, Locale::En);
    CertificateBuilder::new("ABCDE-FGHJK-LMNPQ-RSTUV", holder, run).insert(&app);
    {
        let mut conn = app.state.pool.get().unwrap();
        diesel::update(certificates::table.find("ABCDE-FGHJK-LMNPQ-RSTUV"))
            .set(certificates::course_titles.eq(r#"{"en":"Digital evidence","ru":"Цифровые доказательства"}"#))
            .execute(&mut conn)
            .unwrap();
    }
    app.sign_in("holder@example.kz", PASSWORD).await;

    let russian = app.get("/certificates?lang=ru").await;
    assert_eq!(
        russian.select("table a[href$='.pdf']"),
        ["Сертификат «Цифровые доказательства» (PDF)"]
    );
    assert_eq!(
        russian.select("table a[href$='.pdf?lang=en']"),
        ["PDF на английском языке"]
    );
    assert!(russian.select("tbody tr").concat().contains("ABCDE-FGHJK-LMNPQ-RSTUV"));
    let english = app.get("/certificates?lang=en").await;
    assert_eq!(
        english.select("table a[href$='.pdf']"),
        ["Digital evidence certificate (PDF)"]
    );
    assert!(
        !english.has("table a[href$='.pdf?lang=en']"),
        "no second link to the same English PDF"
    );
}

on_both_backends!(
    quiz_pages_name_the_test_and_show_times_in_the_learners_zone,
    an_unknown_time_zone_is_refused_in_the_readers_language_and_nothing_is_saved,
    a_number_that_is_not_one_names_its_question,
    checking_answers_lists_each_question_keeps_the_answers_and_warns_before_submitting,
    the_check_step_keeps_to_the_time_limit,
    while_an_essay_awaits_grading_the_start_page_and_certificates_say_so,
    a_learner_without_an_essay_waiting_is_offered_the_test_as_before,
    staff_previews_show_no_attempt_counter,
    the_grading_list_names_course_test_and_question_and_confirms_a_grade,
    certificate_links_name_the_certificate_and_the_language
);
