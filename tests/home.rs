//! Each role lands on a page of its own after signing in: a learner's "My learning"
//! with the next step in each course, a trainer's runs and grading queue, a
//! coordinator's runs with pending requests first, an administrator's overview. The
//! learner's run page confirms what they did and no longer offers a place they hold.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use actix_web::http::StatusCode;
use bilim::accounts::model::{Country, Role};
use common::fixtures::{complete_the_prerequisite, meet_the_demo_course_rule, RunBuilder};
use common::{TestApp, PASSWORD};

fn academy(app: &TestApp) -> (bilim::institutions::InstitutionId, i64) {
    app.with_courses("valid");
    app.institution_with_coordinator(
        "Академия правоохранительных органов",
        Country::Kz,
        "coordinator@example.kz",
    )
}

async fn sign_in_through_the_form(app: &mut TestApp, email: &str) -> String {
    let response = app
        .post_form("/login", &[("email", email), ("password", PASSWORD)])
        .await;
    assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.body);
    response.location()
}

async fn a_learner_lands_on_my_learning_and_is_led_step_by_step_to_the_certificate(mut app: TestApp) {
    let (institution, coordinator) = academy(&app);
    let run = RunBuilder::new(institution, coordinator).insert(&app);
    let learner = app.create_user("learner@example.kz", Role::Learner, None);
    app.admit(run, learner, "enrolled");

    assert_eq!(sign_in_through_the_form(&mut app, "learner@example.kz").await, "/");
    let home = app.get("/?lang=en").await;
    assert_eq!(home.status, StatusCode::OK);
    assert_eq!(home.select("h1"), vec!["My learning"]);
    assert_eq!(home.select(".study h2 a"), vec!["Demo course"]);
    assert!(home.select(".study").join(" ").contains("Modules completed: 0 of 2"));
    assert_eq!(
        home.select_attr(".study a.button", "href"),
        vec!["/courses/demo-course/intro"],
        "the first module is the first step"
    );
    assert!(home.select(".study a.button")[0].starts_with("Start:"));

    // Opening the second module and leaving it: "continue" goes back to it.
    assert_eq!(app.get("/courses/demo-course/evidence").await.status, StatusCode::OK);
    let home = app.get("/?lang=en").await;
    assert_eq!(
        home.select_attr(".study a.button", "href"),
        vec!["/courses/demo-course/evidence"]
    );
    assert!(home.select(".study a.button")[0].starts_with("Continue:"));

    for module in ["intro", "evidence"] {
        let done = app
            .post_form(&format!("/courses/demo-course/{module}/complete"), &[])
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER);
    }
    let home = app.get("/?lang=en").await;
    assert_eq!(
        home.select_attr(".study a.button", "href"),
        vec!["/courses/demo-course/quizzes/check"],
        "with the modules done, the test the rule requires is next"
    );
    assert!(home.select(".study a.button")[0].starts_with("Take the test:"));

    let token = app.api_token("learner@example.kz", PASSWORD).await;
    common::pass_check_quiz(&mut app, &token).await;
    let home = app.get("/?lang=en").await;
    assert_eq!(
        home.select_attr(".study a.button", "href"),
        vec!["/certificates"],
        "what remains (the prerequisite course) is explained on the certificates page"
    );

    complete_the_prerequisite(&mut app, &token).await;
    meet_the_demo_course_rule(&mut app, &token).await;
    let home = app.get("/?lang=en").await;
    assert!(
        home.select(".study").join(" ").contains("Course completed"),
        "{}",
        home.body
    );
    let certificate = home.select_attr(".study a.button", "href");
    assert_eq!(certificate.len(), 1);
    assert!(certificate[0].starts_with("/certificates/") && certificate[0].ends_with(".pdf"));
    assert!(home.select("main").join(" ").contains("You hold 1 certificate."));

    let russian = app.get("/?lang=ru").await;
    assert_eq!(russian.select("h1"), vec!["Моё обучение"]);
}

async fn a_learner_without_a_run_is_shown_where_to_find_one(mut app: TestApp) {
    academy(&app);
    app.create_user("newcomer@example.kz", Role::Learner, None);
    sign_in_through_the_form(&mut app, "newcomer@example.kz").await;
    let home = app.get("/?lang=en").await;
    assert!(home
        .select("main p")
        .join(" ")
        .contains("You are not studying in a course run yet"));
    assert_eq!(
        home.select_attr("main .button-group a", "href"),
        vec!["/runs", "/courses"]
    );
}

async fn each_action_on_a_run_is_confirmed_and_a_held_place_is_not_offered_again(mut app: TestApp) {
    let (institution, coordinator) = academy(&app);
    let run = RunBuilder::new(institution, coordinator)
        .starts_in_days(10)
        .insert(&app);
    app.create_user("applicant@example.kz", Role::Learner, None);
    sign_in_through_the_form(&mut app, "applicant@example.kz").await;

    let before = app.get(&format!("/runs/{run}?lang=en")).await;
    assert!(
        before.has(&format!("form[action='/runs/{run}/enrol']")),
        "{}",
        before.body
    );

    let applied = app.post_form(&format!("/runs/{run}/enrol"), &[("key", "")]).await;
    assert_eq!(applied.location(), format!("/runs/{run}?done=requested"));
    let page = app.get(&format!("/runs/{run}?done=requested&lang=en")).await;
    assert!(page
        .select("[role=status]")
        .join(" ")
        .contains("Your request for a place has been sent"));
    assert!(
        !page.has(&format!("form[action='/runs/{run}/enrol']")),
        "no second application while one waits"
    );
    let home = app.get("/?lang=en").await;
    assert!(home.select("main").join(" ").contains("Requests and invitations"));
    assert_eq!(home.select_attr(".card-line a", "href"), vec![format!("/runs/{run}")]);

    let enrolment_id = page.select_attr("input[name=enrolment_id]", "value")[0].clone();
    let withdrawn = app
        .post_form(&format!("/runs/{run}/withdraw"), &[("enrolment_id", &enrolment_id)])
        .await;
    assert_eq!(withdrawn.location(), format!("/runs/{run}?done=withdrawn"));
    let page = app.get(&format!("/runs/{run}?done=withdrawn&lang=en")).await;
    assert!(page
        .select("[role=status]")
        .join(" ")
        .contains("You have withdrawn from this run."));
    assert!(
        page.has(&format!("form[action='/runs/{run}/enrol']")),
        "one may apply again"
    );

    let forged = app.get(&format!("/runs/{run}?done=%3Cscript%3E&lang=en")).await;
    assert!(!forged.has("[role=status]"), "only known confirmations are shown");
    let stale = app.get(&format!("/runs/{run}?done=enrolled&lang=en")).await;
    assert!(
        !stale.has("[role=status]"),
        "an address that says 'enrolled' confirms nothing while the learner has withdrawn"
    );
}

async fn a_completed_run_links_the_certificate_instead_of_offering_a_place(mut app: TestApp) {
    let (institution, coordinator) = academy(&app);
    let run = RunBuilder::new(institution, coordinator).insert(&app);
    let learner = app.create_user("graduate@example.kz", Role::Learner, None);
    app.admit(run, learner, "enrolled");
    sign_in_through_the_form(&mut app, "graduate@example.kz").await;
    let token = app.api_token("graduate@example.kz", PASSWORD).await;
    meet_the_demo_course_rule(&mut app, &token).await;

    let page = app.get(&format!("/runs/{run}?lang=en")).await;
    assert!(!page.has(&format!("form[action='/runs/{run}/enrol']")), "{}", page.body);
    let links = page.select_attr("main a.button", "href");
    assert_eq!(links.len(), 1, "{}", page.body);
    assert!(links[0].starts_with("/certificates/") && links[0].ends_with(".pdf"));
}

async fn a_run_whose_enrolment_closed_says_so_instead_of_offering_a_form(mut app: TestApp) {
    let (institution, coordinator) = academy(&app);
    // Started five days ago: its enrolment closed that day.
    let run = RunBuilder::new(institution, coordinator).insert(&app);
    let learner = app
        .sign_in_as("late@example.kz", Role::Learner, Some(Country::Kz))
        .await;
    // Withdrew before the deadline: the run stays visible to them.
    app.admit(run, learner, "withdrawn");
    let page = app.get(&format!("/runs/{run}?lang=en")).await;
    assert!(!page.has(&format!("form[action='/runs/{run}/enrol']")));
    assert!(page
        .select("main p")
        .join(" ")
        .contains("Enrolment in this run closed on"));
}

async fn staff_land_on_their_work(mut app: TestApp) {
    let (institution, coordinator) = academy(&app);
    let waiting_run = RunBuilder::new(institution, coordinator)
        .starts_in_days(10)
        .insert(&app);
    let quiet_run = RunBuilder::new(institution, coordinator)
        .starts_in_days(20)
        .insert(&app);
    let ended_run = RunBuilder::new(institution, coordinator)
        .started_days_ago(400)
        .ends_on(chrono::Utc::now().date_naive() - chrono::Duration::days(370))
        .insert(&app);
    let applicant = app.create_user("applicant@example.kz", Role::Learner, None);
    app.admit(waiting_run, applicant, "requested");

    assert_eq!(sign_in_through_the_form(&mut app, "coordinator@example.kz").await, "/");
    let home = app.get("/?lang=en").await;
    assert_eq!(home.select("h1"), vec!["My institution's course runs"]);
    assert!(home
        .select(".notice")
        .join(" ")
        .contains("1 request for a place is waiting for your decision"));
    let runs = home.select_attr(".course-card h3 a", "href");
    assert_eq!(
        runs,
        vec![
            format!("/coordinator/runs/{waiting_run}"),
            format!("/coordinator/runs/{quiet_run}")
        ],
        "the run with a request comes first; the run that ended is only counted"
    );
    assert!(home.select(".tag--attention").join(" ").contains("1 request waiting"));
    assert_eq!(home.select_attr("main a[href='/coordinator/runs']", "href").len(), 1);
    assert!(home.select("main").join(" ").contains("1 more course run"));

    app.sign_out_locally();
    let trainer = app.create_user("trainer@example.kz", Role::Trainer, None);
    {
        use bilim::db::schema::run_trainers;
        use diesel::prelude::*;
        let mut conn = app.state.pool.get().unwrap();
        diesel::insert_into(run_trainers::table)
            .values((run_trainers::run_id.eq(quiet_run), run_trainers::user_id.eq(trainer)))
            .execute(&mut conn)
            .unwrap();
    }
    assert_eq!(sign_in_through_the_form(&mut app, "trainer@example.kz").await, "/");
    let home = app.get("/?lang=en").await;
    assert_eq!(home.select("h1"), vec!["My teaching"]);
    assert_eq!(
        home.select_attr(".course-card h3 a", "href"),
        vec![format!("/runs/{quiet_run}")]
    );
    let taught = app.get(&format!("/runs/{quiet_run}?lang=en")).await;
    assert_eq!(
        taught.status,
        StatusCode::OK,
        "the run a trainer teaches opens from their home page"
    );
    assert!(
        !taught.has("form[action$='/enrol']"),
        "a trainer is not offered a place"
    );
    assert_eq!(
        app.get(&format!("/runs/{ended_run}?lang=en")).await.status,
        StatusCode::NOT_FOUND,
        "a closed run they do not teach stays hidden"
    );
    assert!(home
        .select("main p")
        .join(" ")
        .contains("No answers are waiting for your grading."));

    app.sign_out_locally();
    app.create_user("admin@example.kz", Role::Admin, None);
    sign_in_through_the_form(&mut app, "admin@example.kz").await;
    let home = app.get("/?lang=en").await;
    assert_eq!(home.select("h1"), vec!["Administration overview"]);
    assert!(home.select(".summary-list").join(" ").contains("Coordinators"));
    assert!(home.has("a[href='/admin/users']"));

    app.sign_out_locally();
    app.create_user("observer@example.kz", Role::Observer, None);
    sign_in_through_the_form(&mut app, "observer@example.kz").await;
    let home = app.get("/?lang=en").await;
    assert!(home.has("main a.button[href='/reports']"));

    app.sign_out_locally();
    let visitor = app.get("/?lang=en").await;
    assert!(
        visitor.has("main a.button[href='/login']"),
        "visitors see the introduction"
    );
}

async fn a_module_page_shows_the_course_index_and_leads_to_the_tests(mut app: TestApp) {
    let (institution, coordinator) = academy(&app);
    let run = RunBuilder::new(institution, coordinator).insert(&app);
    let learner = app.create_user("reader@example.kz", Role::Learner, None);
    app.admit(run, learner, "enrolled");
    app.sign_in("reader@example.kz", PASSWORD).await;
    app.post_form("/courses/demo-course/intro/complete", &[]).await;

    let first = app.get("/courses/demo-course/intro?lang=en").await;
    assert_eq!(first.select(".course-index li").len(), 2);
    assert_eq!(
        first.count(".course-index li.course-index__done"),
        1,
        "the completed module is ticked"
    );
    assert_eq!(
        first.select_attr(".course-index a[aria-current=page]", "href"),
        vec!["#main"]
    );
    assert_eq!(
        first.select_attr("#completion a.button", "href"),
        vec!["/courses/demo-course/quizzes/check"],
        "the module's own test follows it"
    );
    assert!(!first.has(".toc"), "a short module needs no list of its sections");

    let last = app.get("/courses/demo-course/evidence?lang=en").await;
    assert_eq!(
        last.select_attr("#completion a.button", "href"),
        vec!["/courses/demo-course/quizzes/final"],
        "the last module leads to the final test"
    );
    assert!(last.select("#completion a.button")[0].contains("Final test"));
}

async fn a_long_module_lists_its_sections_on_the_page(mut app: TestApp) {
    let dir = app.copy_courses("valid");
    let module = dir.join("demo-course/02-evidence/en.md");
    let mut text = std::fs::read_to_string(&module).unwrap();
    for heading in ["Seizure", "Imaging", "Chain of custody", "Reporting"] {
        text.push_str(&format!("\n## {heading}\n\nText of the section.\n"));
    }
    std::fs::write(&module, text).unwrap();
    app.import_courses(&dir);
    app.sign_in_as("trainer@example.kz", Role::Trainer, None).await;
    let page = app.get("/courses/demo-course/evidence?lang=en").await;
    let sections = page.select(".toc li a");
    assert!(sections.len() >= 4, "{}", page.body);
    assert!(sections.contains(&"Chain of custody".to_owned()));
    for href in page.select_attr(".toc li a", "href") {
        let id = href.trim_start_matches('#');
        assert!(
            page.has(&format!("h2[id='{id}']")),
            "{href} leads to a heading on the page"
        );
    }
}

fn last_activity(app: &TestApp, user: i64) -> chrono::NaiveDateTime {
    use bilim::db::schema::module_progress;
    use diesel::prelude::*;
    let mut conn = app.state.pool.get().unwrap();
    module_progress::table
        .find((user, "demo-course", "intro"))
        .select(module_progress::updated_at)
        .first(&mut conn)
        .unwrap()
}

async fn reading_a_module_records_the_learners_activity_at_most_once_an_hour(mut app: TestApp) {
    use bilim::db::schema::module_progress;
    use diesel::prelude::*;
    let (institution, coordinator) = academy(&app);
    let run = RunBuilder::new(institution, coordinator).insert(&app);
    let learner = app.create_user("reader@example.kz", Role::Learner, None);
    app.admit(run, learner, "enrolled");
    app.sign_in("reader@example.kz", PASSWORD).await;

    assert_eq!(app.get("/courses/demo-course/intro").await.status, StatusCode::OK);
    let first = last_activity(&app, learner);
    assert_eq!(app.get("/courses/demo-course/intro").await.status, StatusCode::OK);
    assert_eq!(
        last_activity(&app, learner),
        first,
        "a second view within the hour writes nothing"
    );

    let two_hours_ago = chrono::Utc::now().naive_utc() - chrono::Duration::hours(2);
    {
        let mut conn = app.state.pool.get().unwrap();
        diesel::update(module_progress::table.find((learner, "demo-course", "intro")))
            .set(module_progress::updated_at.eq(two_hours_ago))
            .execute(&mut conn)
            .unwrap();
    }
    assert_eq!(app.get("/courses/demo-course/intro").await.status, StatusCode::OK);
    assert!(
        last_activity(&app, learner) > two_hours_ago + chrono::Duration::minutes(90),
        "a view after an hour refreshes the activity reports read"
    );
}

on_both_backends!(
    reading_a_module_records_the_learners_activity_at_most_once_an_hour,
    a_learner_lands_on_my_learning_and_is_led_step_by_step_to_the_certificate,
    a_learner_without_a_run_is_shown_where_to_find_one,
    each_action_on_a_run_is_confirmed_and_a_held_place_is_not_offered_again,
    a_completed_run_links_the_certificate_instead_of_offering_a_place,
    a_run_whose_enrolment_closed_says_so_instead_of_offering_a_form,
    staff_land_on_their_work,
    a_module_page_shows_the_course_index_and_leads_to_the_tests,
    a_long_module_lists_its_sections_on_the_page,
);
