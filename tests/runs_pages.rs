//! Enrolment and account links as people use them in the browser: runs pages,
//! coordinators' pages with a CSV upload, password reset, invitations, address
//! confirmation, and course access once runs exist.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use actix_web::http::{header, StatusCode};
use bilim::accounts::model::{Country, Role};
use bilim::db::schema::user_tokens;
use common::{TestApp, PASSWORD};
use diesel::prelude::*;

fn dates() -> (String, String, String) {
    let today = chrono::Utc::now().date_naive();
    (
        (today + chrono::Duration::days(30)).to_string(),
        (today + chrono::Duration::days(35)).to_string(),
        (today + chrono::Duration::days(20)).to_string(),
    )
}

/// A coordinator signed in through the login page, with a run created through the form.
async fn coordinator_with_run(app: &mut TestApp, enrolment: &str) -> (i64, String) {
    app.with_courses("valid");
    let (institution, _) =
        app.institution_with_coordinator("Академия правоохранительных органов", Country::Kz, "coord@example.kz");
    app.sign_in("coord@example.kz", PASSWORD).await;
    let (starts, ends, enrol_by) = dates();
    let institution_text = institution.to_string();
    let created = app
        .post_form(
            "/coordinator/runs/new",
            &[
                ("course_id", "demo-course"),
                ("institution_id", &institution_text),
                ("language", "ru"),
                ("country", "KZ"),
                ("starts_on", &starts),
                ("ends_on", &ends),
                ("enrol_by", &enrol_by),
                ("capacity", "2"),
                ("mode", "in_person"),
                ("enrolment", enrolment),
                ("key", "SECRET-KEY"),
                ("phase", "national_pilot"),
                ("categories", "investigator"),
                ("categories", "prosecutor"),
                // The run starts in a month; its learners read the course before then.
                ("opens_early", "true"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let location = created.location();
    let (page, done) = location.split_once('?').unwrap();
    assert_eq!(done, "done=created", "the page confirms the run was created");
    let confirmed = app.get(&format!("{location}&lang=en")).await;
    assert!(
        confirmed
            .select(".notice")
            .join(" ")
            .contains("The course run is created"),
        "{}",
        confirmed.body
    );
    let run: i64 = page.rsplit('/').next().unwrap().parse().unwrap();
    (run, page.to_owned())
}

fn multipart(token: &str, action: &str, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----bilim-test-boundary";
    let mut body = Vec::new();
    for (name, value) in [("csrf_token", token), ("action", action)] {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"group.csv\"\r\nContent-Type: text/csv\r\n\r\n").as_bytes());
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// An upload whose first field is not the CSRF token is refused at once, without
/// waiting for (or reading) the rest of its body: here a body that never ends.
async fn an_upload_without_its_token_first_is_refused_before_its_body_is_read(mut app: TestApp) {
    let (run, _) = coordinator_with_run(&mut app, "invitation").await;
    let boundary = "----bilim-test-boundary";
    let (mut sender, payload) = actix_http::h1::Payload::create(false);
    sender.feed_data(actix_web::web::Bytes::from(format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"junk.csv\"\r\n\r\njunk junk junk"
    )));
    let mut request = actix_web::test::TestRequest::post()
        .uri(&format!("/coordinator/runs/{run}/bulk"))
        .insert_header((
            actix_web::http::header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        ))
        .insert_header((actix_web::http::header::CONTENT_LENGTH, "40000000"))
        .insert_header((actix_web::http::header::COOKIE, app.cookie_header()))
        .to_request();
    request = request.replace_payload(actix_http::Payload::from(payload)).0;
    let refused = actix_web::rt::time::timeout(std::time::Duration::from_secs(10), app.call(request))
        .await
        .expect("refused without waiting for the body");
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    drop(sender);
}

/// What another institution's coordinator could change in a run: the run's fields,
/// its enrolments with their statuses, its trainers and its attendance days.
type RunState = (
    (i32, chrono::NaiveDate, chrono::NaiveDate, i64, chrono::NaiveDateTime),
    Vec<(i64, String)>,
    Vec<i64>,
    Vec<chrono::NaiveDate>,
);

fn run_state(app: &TestApp, run: i64) -> RunState {
    use bilim::db::schema::{course_runs, enrolments, run_sessions, run_trainers};
    let mut conn = app.state.pool.get().unwrap();
    let fields = course_runs::table
        .find(run)
        .select((
            course_runs::capacity,
            course_runs::starts_on,
            course_runs::enrol_by,
            course_runs::institution_id,
            course_runs::updated_at,
        ))
        .first(&mut conn)
        .unwrap();
    let enrolled = enrolments::table
        .filter(enrolments::run_id.eq(run))
        .order(enrolments::user_id)
        .select((enrolments::user_id, enrolments::status))
        .load(&mut conn)
        .unwrap();
    let trainers = run_trainers::table
        .filter(run_trainers::run_id.eq(run))
        .order(run_trainers::user_id)
        .select(run_trainers::user_id)
        .load(&mut conn)
        .unwrap();
    let days = run_sessions::table
        .filter(run_sessions::run_id.eq(run))
        .order(run_sessions::held_on)
        .select(run_sessions::held_on)
        .load(&mut conn)
        .unwrap();
    (fields, enrolled, trainers, days)
}

/// Every page and form that manages a run answers another institution's coordinator
/// "not found" and changes nothing: the run's page, its settings, the group upload,
/// its trainers, its enrolment requests and its attendance register.
async fn another_institutions_coordinator_can_neither_see_nor_change_a_run(mut app: TestApp) {
    use bilim::db::schema::{enrolments, run_sessions};
    let (run, location) = coordinator_with_run(&mut app, "approval").await;
    let trainer = app.create_user("trainer@example.kz", Role::Trainer, None);
    app.make_trainer_of(run, trainer);
    app.create_user("spare.trainer@example.kz", Role::Trainer, None);
    let learner = app.create_user("applicant@example.kz", Role::Learner, None);
    app.admit(run, learner, "requested");
    let request: i64 = {
        let mut conn = app.state.pool.get().unwrap();
        enrolments::table
            .filter(enrolments::run_id.eq(run))
            .select(enrolments::id)
            .first(&mut conn)
            .unwrap()
    };
    let (starts, ends, enrol_by) = dates();
    let day = app
        .post_form(
            &format!("/runs/{run}/attendance/days"),
            &[("held_on", starts.as_str()), ("topic", "Изъятие")],
        )
        .await;
    assert_eq!(day.status, StatusCode::SEE_OTHER, "{}", day.body);
    let day: i64 = {
        let mut conn = app.state.pool.get().unwrap();
        run_sessions::table
            .filter(run_sessions::run_id.eq(run))
            .select(run_sessions::id)
            .first(&mut conn)
            .unwrap()
    };
    let before = run_state(&app, run);

    let (elsewhere, _) =
        app.institution_with_coordinator("Академия Генеральной прокуратуры", Country::Kz, "stranger@example.kz");
    let mut stranger = app.signed_in("stranger@example.kz").await;
    for page in [
        location.clone(),
        format!("{location}/edit"),
        format!("/runs/{run}/attendance"),
        format!("/runs/{run}/attendance.csv"),
        format!("/runs/{run}/attendance/days/{day}"),
    ] {
        assert_eq!(stranger.get(&page).await.status, StatusCode::NOT_FOUND, "{page}");
    }
    let elsewhere = elsewhere.to_string();
    let (elsewhere, starts, ends, enrol_by) = (elsewhere.as_str(), starts.as_str(), ends.as_str(), enrol_by.as_str());
    let forms: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            format!("{location}/edit"),
            vec![
                ("course_id", "demo-course"),
                ("institution_id", elsewhere),
                ("language", "ru"),
                ("country", "KZ"),
                ("starts_on", starts),
                ("ends_on", ends),
                ("enrol_by", enrol_by),
                ("capacity", "25"),
                ("mode", "in_person"),
                ("enrolment", "open"),
                ("phase", "national_pilot"),
            ],
        ),
        (
            format!("{location}/trainers"),
            vec![("trainer_email", "spare.trainer@example.kz")],
        ),
        (format!("{location}/trainers/{trainer}/remove"), vec![]),
        (format!("/coordinator/enrolments/{request}/approve"), vec![]),
        (
            format!("/coordinator/enrolments/{request}/reject"),
            vec![("reason", "No places")],
        ),
        (
            format!("/runs/{run}/attendance/days"),
            vec![("held_on", ends), ("topic", "Чужой день")],
        ),
        (format!("/runs/{run}/attendance/days/{day}"), vec![("present", "1")]),
        (format!("/runs/{run}/attendance/days/{day}/delete"), vec![]),
        (
            format!("{location}/bulk/apply"),
            vec![("check", "0123456789abcdef0123456789abcdef")],
        ),
    ];
    for (path, fields) in &forms {
        let refused = stranger.post_form(path, fields).await;
        assert_eq!(refused.status, StatusCode::NOT_FOUND, "{path}: {}", refused.body);
    }
    let token = stranger.csrf_token().await;
    let file =
        "email;full name;category;position;language\nplanted@example.kz;Подставное Лицо;investigator;Investigator;ru\n";
    for action in ["preview", "apply"] {
        let (content_type, body) = multipart(&token, action, file.as_bytes());
        let refused = stranger
            .post_raw(&format!("{location}/bulk"), &content_type, body)
            .await;
        assert_eq!(refused.status, StatusCode::NOT_FOUND, "bulk {action}: {}", refused.body);
    }
    assert_eq!(run_state(&app, run), before, "nothing changed");
    assert!(app.mail_to("planted@example.kz").is_empty());
    assert!(app.mail_to("applicant@example.kz").is_empty());
    assert_eq!(
        app.get(&location).await.status,
        StatusCode::OK,
        "the run's own coordinator still manages it"
    );
}

async fn a_coordinator_creates_a_run_with_the_form_and_errors_are_shown_beside_fields(mut app: TestApp) {
    app.with_courses("valid");
    let institution = app.create_institution("Академия", Country::Kz);
    app.create_user("coord@example.kz", Role::Coordinator, Some(institution));
    app.sign_in("coord@example.kz", PASSWORD).await;
    let page = app.get("/coordinator/runs/new?lang=en").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Demo course") && page.body.contains("National pilot course"));
    let bad = app
        .post_form(
            "/coordinator/runs/new?lang=en",
            &[
                ("course_id", "demo-course"),
                ("institution_id", &institution.to_string()),
                ("language", "ru"),
                ("country", "KZ"),
                ("starts_on", "2026-13-01"),
                ("ends_on", ""),
                ("enrol_by", ""),
                ("capacity", "0"),
                ("mode", "teleport"),
                ("enrolment", "key"),
                ("phase", "national_pilot"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    for message in [
        "Enter the start date as YYYY-MM-DD",
        "Enter the end date",
        "Enter the last day of enrolment",
        "Enter the number of places",
        "Choose how the run is delivered",
        "Enter an enrolment key",
    ] {
        assert!(bad.body.contains(message), "{message}");
    }
    app.sign_out_locally();
    app.create_user("learner@example.kz", Role::Learner, None);
    app.sign_in("learner@example.kz", PASSWORD).await;
    assert_eq!(app.get("/coordinator/runs").await.status, StatusCode::FORBIDDEN);
}

async fn learners_find_a_run_enrol_with_its_key_and_withdraw(mut app: TestApp) {
    let (run, _) = coordinator_with_run(&mut app, "key").await;
    app.sign_out_locally();
    app.create_user("learner@example.kz", Role::Learner, None);
    {
        let mut conn = app.state.pool.get().unwrap();
        let id = bilim::accounts::store::find_row_by_email(&mut conn, "learner@example.kz")
            .unwrap()
            .unwrap()
            .id;
        bilim::accounts::store::set_invited_details(
            &mut conn,
            id,
            bilim::accounts::model::Category::Investigator,
            "",
            None,
        )
        .unwrap();
    }
    app.sign_in("learner@example.kz", PASSWORD).await;
    let list = app.get("/runs?lang=en").await;
    assert!(
        list.body.contains(&format!("/runs/{run}")),
        "an investigator of Kazakhstan sees the run"
    );
    let wrong = app.post_form(&format!("/runs/{run}/enrol"), &[("key", "guess")]).await;
    let page = app.get(&format!("{}&lang=en", wrong.location())).await;
    assert!(page.body.contains("The enrolment key is not correct."));
    app.post_form(&format!("/runs/{run}/enrol"), &[("key", "SECRET-KEY")])
        .await;
    let enrolled = app.get(&format!("/runs/{run}?lang=en")).await;
    assert!(enrolled.body.contains("Enrolled") && enrolled.body.contains("Withdraw from this run"));
    let enrolment_id = {
        let mut conn = app.state.pool.get().unwrap();
        let user = bilim::accounts::store::find_row_by_email(&mut conn, "learner@example.kz")
            .unwrap()
            .unwrap();
        bilim::enrolment::enrolments_of_user(&mut conn, user.id).unwrap()[0]
            .id
            .to_string()
    };
    app.post_form(&format!("/runs/{run}/withdraw"), &[("enrolment_id", &enrolment_id)])
        .await;
    assert!(app
        .get(&format!("/runs/{run}?lang=en"))
        .await
        .body
        .contains("Withdrawn"));
}

async fn a_learner_of_another_category_does_not_see_the_run(mut app: TestApp) {
    let (run, _) = coordinator_with_run(&mut app, "open").await;
    app.sign_out_locally();
    app.create_user("judge@example.kz", Role::Learner, None);
    app.sign_in("judge@example.kz", PASSWORD).await;
    assert!(!app.get("/runs?lang=en").await.body.contains(&format!("/runs/{run}")));
    assert_eq!(app.get(&format!("/runs/{run}")).await.status, StatusCode::NOT_FOUND);
}

async fn a_coordinator_uploads_a_group_checks_it_and_enrols_everyone(mut app: TestApp) {
    let (run, location) = coordinator_with_run(&mut app, "invitation").await;
    let token = app.csrf_token().await;
    let file = "email;full name;category;position;language\nnew.officer@example.kz;Ерлан Жумабеков;investigator;Investigator;kk\nbroken-address;Someone;judge;;ru\n";
    let (content_type, body) = multipart(&token, "preview", file.as_bytes());
    let preview = app
        .post_raw(&format!("/coordinator/runs/{run}/bulk?lang=en"), &content_type, body)
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    assert!(preview.body.contains("Some rows have errors") && preview.body.contains("correct format"));
    let fixed = "email;full name;category;position;language\nnew.officer@example.kz;Ерлан Жумабеков;investigator;Investigator;kk\n";
    let (content_type, body) = multipart(&token, "preview", fixed.as_bytes());
    let checked = app
        .post_raw(&format!("/coordinator/runs/{run}/bulk?lang=en"), &content_type, body)
        .await;
    let check = checked
        .select_attr("form[action*='/bulk/apply'] input[name='check']", "value")
        .concat();
    assert!(
        !check.is_empty(),
        "a clean check is offered for applying: {}",
        checked.body
    );
    let applied = app
        .post_form(
            &format!("/coordinator/runs/{run}/bulk/apply?lang=en"),
            &[("check", &check)],
        )
        .await;
    assert!(applied.body.contains("The file has been applied"), "{}", applied.body);
    let manage = app.get(&format!("{location}?lang=en")).await;
    assert!(manage.body.contains("Ерлан Жумабеков") && manage.body.contains("Enrolled"));
    let (content_type, body) = multipart("forged-token-forged-token-forged-token", "preview", fixed.as_bytes());
    assert_eq!(
        app.post_raw(&format!("/coordinator/runs/{run}/bulk"), &content_type, body)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.post_form_without_token(
            &format!("/coordinator/runs/{run}/bulk/apply"),
            &[
                ("csrf_token", "forged-token-forged-token-forged-token"),
                ("check", &check)
            ],
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );

    app.sign_out_locally();
    let invitation = app.token_sent_to("new.officer@example.kz");
    let page = app.get(&format!("/invitation?token={invitation}&lang=kk")).await;
    assert_eq!(page.status, StatusCode::OK);
    let set = app
        .post_form(
            "/invitation",
            &[
                ("token", &invitation),
                ("password", "a strong passphrase"),
                ("password_confirmation", "a strong passphrase"),
            ],
        )
        .await;
    assert_eq!(set.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.get("/profile").await.status,
        StatusCode::OK,
        "accepting the invitation signs in"
    );
    assert_eq!(
        app.get(&format!("/invitation?token={invitation}")).await.status,
        StatusCode::NOT_FOUND,
        "an invitation works once"
    );
}

async fn a_password_reset_works_once_and_says_the_same_for_unknown_addresses(mut app: TestApp) {
    app.create_user("forgetful@example.kz", Role::Learner, None);
    let known = app
        .post_form("/password/forgot?lang=en", &[("email", "forgetful@example.kz")])
        .await;
    let unknown = app
        .post_form("/password/forgot?lang=en", &[("email", "nobody@example.kz")])
        .await;
    assert_eq!(known.status, StatusCode::OK);
    assert_eq!(
        known.body,
        unknown.body.replace("nobody@example.kz", "forgetful@example.kz"),
        "the answer reveals nothing"
    );
    assert!(known.body.contains("If an account uses this address"));
    let invalid = app
        .post_form("/password/forgot?lang=en", &[("email", "not an address")])
        .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);

    let token = app.token_sent_to("forgetful@example.kz");
    assert_eq!(
        app.get("/password/reset?token=wrong").await.status,
        StatusCode::NOT_FOUND
    );
    let mismatch = app
        .post_form(
            "/password/reset?lang=en",
            &[
                ("token", &token),
                ("password", "a new passphrase"),
                ("password_confirmation", "another one!"),
            ],
        )
        .await;
    assert_eq!(mismatch.status, StatusCode::UNPROCESSABLE_ENTITY);
    let reset = app
        .post_form(
            "/password/reset",
            &[
                ("token", &token),
                ("password", "a new passphrase"),
                ("password_confirmation", "a new passphrase"),
            ],
        )
        .await;
    assert_eq!(reset.status, StatusCode::SEE_OTHER);
    app.sign_out_locally();
    app.sign_in("forgetful@example.kz", "a new passphrase").await;
    app.sign_out_locally();
    let again = app
        .post_form(
            "/password/reset",
            &[
                ("token", &token),
                ("password", "third passphrase"),
                ("password_confirmation", "third passphrase"),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND, "a reset link works once");
}

async fn an_expired_reset_link_is_refused(mut app: TestApp) {
    app.create_user("late@example.kz", Role::Learner, None);
    app.post_form("/password/forgot", &[("email", "late@example.kz")]).await;
    let token = app.token_sent_to("late@example.kz");
    {
        let mut conn = app.state.pool.get().unwrap();
        let past = chrono::Utc::now().naive_utc() - chrono::Duration::minutes(1);
        diesel::update(user_tokens::table)
            .set(user_tokens::expires_at.eq(past))
            .execute(&mut conn)
            .unwrap();
    }
    assert_eq!(
        app.get(&format!("/password/reset?token={token}")).await.status,
        StatusCode::NOT_FOUND
    );
    let refused = app
        .post_form(
            "/password/reset",
            &[
                ("token", &token),
                ("password", "a new passphrase"),
                ("password_confirmation", "a new passphrase"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND, "{}", refused.body);
    let mut conn = app.state.pool.get().unwrap();
    let user = bilim::accounts::store::find_row_by_email(&mut conn, "late@example.kz")
        .unwrap()
        .unwrap();
    assert!(
        bilim::accounts::password::verify(PASSWORD, &user.password_hash),
        "the old password still works"
    );
    assert!(!bilim::accounts::password::verify(
        "a new passphrase",
        &user.password_hash
    ));
}

async fn registering_sends_an_address_confirmation_that_works_once(mut app: TestApp) {
    let created = app
        .post_form(
            "/register",
            &[
                ("name", "Нуржан Абенов"),
                ("country", "KZ"),
                ("institution_id", ""),
                ("category", "police_officer"),
                ("locale", "kk"),
                ("email", "confirm@example.kz"),
                ("password", PASSWORD),
                ("password_confirmation", PASSWORD),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let token = app.token_sent_to("confirm@example.kz");
    let confirmed = app.get(&format!("/verify-email?token={token}&lang=en")).await;
    assert!(confirmed.body.contains("Your email address is confirmed"));
    assert_eq!(
        app.get(&format!("/verify-email?token={token}")).await.status,
        StatusCode::NOT_FOUND
    );
    let subject = app.mail_to("confirm@example.kz").remove(0).subject;
    assert_eq!(
        subject, "Bilim платформасы үшін электрондық пошта мекенжайыңызды растаңыз",
        "in the language the learner chose"
    );
}

async fn once_a_course_has_runs_learners_need_an_enrolment_and_read_their_runs_adaptation(mut app: TestApp) {
    let (run, _) = coordinator_with_run(&mut app, "open").await;
    app.sign_out_locally();
    app.sign_in_as("outsider@example.kz", Role::Learner, Some(Country::Uz))
        .await;
    assert_eq!(
        app.get("/courses/demo-course/intro").await.status,
        StatusCode::FORBIDDEN
    );
    let mut conn = app.state.pool.get().unwrap();
    let user = bilim::accounts::store::find_row_by_email(&mut conn, "outsider@example.kz")
        .unwrap()
        .unwrap();
    let run_row = bilim::enrolment::find_run(&mut conn, bilim::enrolment::RunId(run))
        .unwrap()
        .unwrap();
    let coordinator = bilim::accounts::store::find_row_by_email(&mut conn, "coord@example.kz")
        .unwrap()
        .unwrap();
    let coordinator = bilim::accounts::model::User::from(coordinator);
    bilim::db::write_transaction(&mut conn, |conn| {
        bilim::enrolment::enrol_by_manager(conn, &app.state.mail, &coordinator, &run_row, user.id)
    })
    .unwrap();
    drop(conn);
    let page = app.get("/courses/demo-course/intro?lang=ru").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Правовая основа в Казахстане"),
        "a learner from Uzbekistan in a Kazakh run reads the Kazakh adaptation"
    );
    app.sign_out_locally();
    app.sign_in_as("trainer@example.kz", Role::Trainer, None).await;
    assert_eq!(
        app.get("/courses/demo-course/intro").await.status,
        StatusCode::OK,
        "trainers always read every module"
    );
    let _ = header::LOCATION;
}

async fn editing_a_run_with_more_places_promotes_the_waiting_list(mut app: TestApp) {
    let (run, location) = coordinator_with_run(&mut app, "invitation").await;
    let run = bilim::enrolment::RunId(run);
    let mut conn = app.state.pool.get().unwrap();
    let run_row = bilim::enrolment::find_run(&mut conn, run).unwrap().unwrap();
    let coordinator = bilim::accounts::model::User::from(
        bilim::accounts::store::find_row_by_email(&mut conn, "coord@example.kz")
            .unwrap()
            .unwrap(),
    );
    drop(conn);
    let mut statuses = Vec::new();
    for n in 0..3 {
        let id = app.create_user(&format!("group{n}@example.kz"), Role::Learner, None);
        let mut conn = app.state.pool.get().unwrap();
        let row = bilim::db::write_transaction(&mut conn, |conn| {
            bilim::enrolment::enrol_by_manager(
                conn,
                &app.state.mail,
                &coordinator,
                &run_row,
                bilim::accounts::model::UserId(id),
            )
        })
        .unwrap();
        statuses.push(row.status);
    }
    assert_eq!(statuses, ["enrolled", "enrolled", "waitlisted"]);
    let form = app.get(&format!("{location}/edit?lang=en")).await;
    assert_eq!(form.select_attr("input[name=capacity]", "value"), ["2"]);
    assert!(form.body.contains("Save the run"));
    let (starts, ends, enrol_by) = dates();
    let institution = run_row.institution_id.to_string();
    let saved = app
        .post_form(
            &format!("{location}/edit"),
            &[
                ("course_id", "demo-course"),
                ("institution_id", &institution),
                ("language", "ru"),
                ("country", "KZ"),
                ("starts_on", &starts),
                ("ends_on", &ends),
                ("enrol_by", &enrol_by),
                ("capacity", "3"),
                ("mode", "online"),
                ("enrolment", "invitation"),
                ("phase", "thematic"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let mut conn = app.state.pool.get().unwrap();
    assert_eq!(
        bilim::enrolment::enrolled_count(&mut conn, run).unwrap(),
        3,
        "the waitlisted learner took the new place"
    );
    let bad = app
        .post_form(&format!("{location}/edit?lang=en"), &[("capacity", "0")])
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}
/// A learner of Kazakhstan who is an investigator, so that the runs
/// `coordinator_with_run` makes are open to them, signed in in a browser of their own.
async fn investigator(app: &TestApp, email: &str) -> common::Browser {
    app.create_user(email, Role::Learner, None);
    let mut conn = app.state.pool.get().unwrap();
    let id = bilim::accounts::store::find_row_by_email(&mut conn, email)
        .unwrap()
        .unwrap()
        .id;
    bilim::accounts::store::set_invited_details(
        &mut conn,
        id,
        bilim::accounts::model::Category::Investigator,
        "",
        None,
    )
    .unwrap();
    drop(conn);
    app.signed_in(email).await
}

fn enrolments_of(app: &TestApp, email: &str) -> usize {
    let mut conn = app.state.pool.get().unwrap();
    let user = bilim::accounts::store::find_row_by_email(&mut conn, email)
        .unwrap()
        .unwrap();
    bilim::enrolment::enrolments_of_user(&mut conn, user.id).unwrap().len()
}

async fn after_five_wrong_keys_the_enrolment_form_refuses_every_key_for_that_run(mut app: TestApp) {
    let (run, _) = coordinator_with_run(&mut app, "key").await;
    let mut guesser = investigator(&app, "guesser@example.kz").await;
    for attempt in 0..5 {
        let wrong = guesser
            .post_form(&format!("/runs/{run}/enrol"), &[("key", &format!("GUESS-{attempt}"))])
            .await;
        assert_eq!(wrong.status, StatusCode::SEE_OTHER, "attempt {attempt}");
        assert_eq!(wrong.location(), format!("/runs/{run}?error=runs.key_wrong"));
    }
    let sixth = guesser
        .post_form(&format!("/runs/{run}/enrol?lang=en"), &[("key", "SECRET-KEY")])
        .await;
    assert_eq!(sixth.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(sixth
        .body
        .contains("Too many wrong keys for this run. Wait 15 minutes and try again"));
    assert_eq!(enrolments_of(&app, "guesser@example.kz"), 0);
    // Another learner with the right key is not held back.
    let mut colleague = investigator(&app, "colleague@example.kz").await;
    let enrolled = colleague
        .post_form(&format!("/runs/{run}/enrol"), &[("key", "SECRET-KEY")])
        .await;
    assert_eq!(enrolled.location(), format!("/runs/{run}?done=enrolled"));
    assert_eq!(enrolments_of(&app, "colleague@example.kz"), 1);
}

async fn a_key_shorter_than_eight_characters_is_refused_on_the_form_and_an_older_one_works_until_edited(
    mut app: TestApp,
) {
    let (run, location) = coordinator_with_run(&mut app, "key").await;
    let run_id = bilim::enrolment::RunId(run);
    {
        use diesel::prelude::*;
        let mut conn = app.state.pool.get().unwrap();
        diesel::update(bilim::db::schema::course_runs::table.find(run_id))
            .set(bilim::db::schema::course_runs::enrolment_key.eq("ABCD"))
            .execute(&mut conn)
            .unwrap();
    }
    let (starts, ends, enrol_by) = dates();
    let institution = {
        let mut conn = app.state.pool.get().unwrap();
        bilim::enrolment::find_run(&mut conn, run_id)
            .unwrap()
            .unwrap()
            .institution_id
            .to_string()
    };
    let edited = app
        .post_form(
            &format!("{location}/edit?lang=en"),
            &[
                ("course_id", "demo-course"),
                ("institution_id", &institution),
                ("language", "ru"),
                ("country", "KZ"),
                ("starts_on", &starts),
                ("ends_on", &ends),
                ("enrol_by", &enrol_by),
                ("capacity", "2"),
                ("mode", "in_person"),
                ("enrolment", "key"),
                ("key", "ABCD"),
                ("phase", "national_pilot"),
            ],
        )
        .await;
    assert_eq!(edited.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        edited
            .select("#key-error")
            .concat()
            .ends_with("Enter an enrolment key of at least 8 characters"),
        "{:?}",
        edited.select("#key-error")
    );
    let mut conn = app.state.pool.get().unwrap();
    let stored = bilim::enrolment::find_run(&mut conn, run_id).unwrap().unwrap();
    assert_eq!(stored.enrolment_key.as_deref(), Some("ABCD"), "nothing was saved");
    assert_eq!(stored.capacity, 2);
    drop(conn);
    let mut learner = investigator(&app, "learner@example.kz").await;
    let enrolled = learner
        .post_form(&format!("/runs/{run}/enrol"), &[("key", "ABCD")])
        .await;
    assert_eq!(
        enrolled.location(),
        format!("/runs/{run}?done=enrolled"),
        "the older key still opens the run"
    );
    assert_eq!(enrolments_of(&app, "learner@example.kz"), 1);
}

on_both_backends!(
    an_upload_without_its_token_first_is_refused_before_its_body_is_read,
    a_coordinator_creates_a_run_with_the_form_and_errors_are_shown_beside_fields,
    learners_find_a_run_enrol_with_its_key_and_withdraw,
    a_learner_of_another_category_does_not_see_the_run,
    a_coordinator_uploads_a_group_checks_it_and_enrols_everyone,
    a_password_reset_works_once_and_says_the_same_for_unknown_addresses,
    an_expired_reset_link_is_refused,
    registering_sends_an_address_confirmation_that_works_once,
    another_institutions_coordinator_can_neither_see_nor_change_a_run,
    once_a_course_has_runs_learners_need_an_enrolment_and_read_their_runs_adaptation,
    editing_a_run_with_more_places_promotes_the_waiting_list,
    after_five_wrong_keys_the_enrolment_form_refuses_every_key_for_that_run,
    a_key_shorter_than_eight_characters_is_refused_on_the_form_and_an_older_one_works_until_edited
);
