//! Quizzes through the API and the pages: attempts, saving, time limits, grading
//! once, limits, essays graded by trainers, statistics.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use actix_web::http::{Method, StatusCode};
use bilim::accounts::model::{Country, Role};
use bilim::enrolment::Oversight;
use bilim::i18n::Locale;
use common::fixtures::RunBuilder;
use common::{TestApp, PASSWORD};
use serde_json::{json, Value};

const START: &str = "/api/v1/courses/demo-course/quizzes/final/attempts";

async fn learner_with_token(app: &mut TestApp, email: &str) -> String {
    learner_of_final_test_with(app, email, &[]).await
}

/// A learner (reading English) of the demo course whose final test has each of
/// `settings` (`key`, TOML value) set in its quiz.toml; returns their token.
async fn learner_of_final_test_with(app: &mut TestApp, email: &str, settings: &[(&str, &str)]) -> String {
    let dir = app.copy_courses("valid");
    let path = dir.join("demo-course/quizzes/final/quiz.toml");
    let mut toml: Vec<String> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    for (key, value) in settings {
        let line = toml
            .iter_mut()
            .find(|line| line.starts_with(&format!("{key} =")))
            .unwrap_or_else(|| panic!("the final test's quiz.toml sets {key}"));
        *line = format!("{key} = {value}");
    }
    std::fs::write(&path, toml.join("\n") + "\n").unwrap();
    app.import_courses(&dir);
    app.create_user_speaking(email, Role::Learner, None, Locale::En);
    app.api_token(email, PASSWORD).await
}

fn question<'a>(attempt: &'a Value, id: &str) -> &'a Value {
    attempt["questions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["id"] == id)
        .unwrap()
}

fn option_with_text(question: &Value, text: &str) -> String {
    question["options"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["text"] == text)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Answers every question of the demo final test correctly (the essay with text).
async fn answer_all_correctly(app: &mut TestApp, token: &str, attempt: &Value) {
    let id = attempt["attempt_id"].as_i64().unwrap();
    let single = option_with_text(question(attempt, "single"), "SHA-256");
    let multiple = question(attempt, "multiple");
    let ram = option_with_text(multiple, "RAM contents");
    let network = option_with_text(multiple, "Network connections");
    let matching = question(attempt, "matching");
    let right = |text: &str| {
        matching["right"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["text"] == text)
            .unwrap()["id"]
            .clone()
    };
    let left = |text: &str| {
        matching["left"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["text"] == text)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let mut pairs = serde_json::Map::new();
    pairs.insert(left("Kazakhstan"), right("Astana"));
    pairs.insert(left("Kyrgyzstan"), right("Bishkek"));
    pairs.insert(left("Tajikistan"), right("Dushanbe"));
    for (q, body) in [
        ("single", json!({"choice": single})),
        ("multiple", json!({"choices": [ram, network]})),
        ("tf", json!({"choice": "false"})),
        ("short", json!({"text": "  toshkent "})),
        ("numerical", json!({"value": 64})),
        ("matching", json!({"pairs": pairs})),
        ("essay", json!({"text": "Every transfer is recorded. Nothing is lost."})),
    ] {
        let response = app
            .api(
                Method::PUT,
                &format!("/api/v1/attempts/{id}/responses/{q}"),
                Some(token),
                Some(body),
            )
            .await;
        assert_eq!(response.status, StatusCode::NO_CONTENT, "{q}: {}", response.body);
    }
}

async fn starting_an_attempt_returns_the_questions_without_their_answers(mut app: TestApp) {
    let token = learner_with_token(&mut app, "start@example.kz").await;
    let response = app.api(Method::POST, START, Some(&token), None).await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.body);
    let attempt = response.json();
    assert!(attempt["attempt_id"].is_i64());
    assert!(
        chrono::DateTime::parse_from_rfc3339(attempt["deadline"].as_str().unwrap()).is_ok(),
        "30-minute limit"
    );
    let types: Vec<&str> = attempt["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "single",
            "multiple",
            "true_false",
            "short_answer",
            "numerical",
            "matching",
            "essay",
            "description"
        ]
    );
    let tf = question(&attempt, "tf");
    assert_eq!(
        tf["options"],
        json!([{"id": "true", "text": "True"}, {"id": "false", "text": "False"}])
    );
    assert_eq!(question(&attempt, "single")["options"].as_array().unwrap().len(), 3);
    assert_eq!(question(&attempt, "matching")["left"].as_array().unwrap().len(), 3);
    assert_eq!(question(&attempt, "matching")["right"].as_array().unwrap().len(), 3);
    let body = response.body.to_lowercase();
    for secret in [
        "weight",
        "feedback",
        "\"right.\"",
        "broken",
        "use sha-256",
        "tashkent",
        "\"64\"",
        "\"id\":\"1\"",
        "\"id\":\"r1\"",
    ] {
        assert!(
            !body.contains(secret),
            "`{secret}` must not reach the browser before submitting: {body}"
        );
    }
    let again = app.api(Method::POST, START, Some(&token), None).await;
    assert_eq!(
        again.status,
        StatusCode::OK,
        "an open attempt is resumed, not duplicated"
    );
    assert_eq!(again.json()["attempt_id"], attempt["attempt_id"]);

    let id = attempt["attempt_id"].as_i64().unwrap();
    let submitted = app
        .api(
            Method::POST,
            &format!("/api/v1/attempts/{id}/submit"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(submitted.status, StatusCode::OK);
    let second = app.api(Method::POST, START, Some(&token), None).await;
    assert_eq!(second.status, StatusCode::CREATED);
    let second = second.json();
    assert_ne!(second["attempt_id"], attempt["attempt_id"]);
    // The ids an attempt shows are drawn for it: the same answer has another id in
    // the next attempt, so an id learnt once gives nothing away.
    let shown_ids = |attempt: &Value| -> Vec<(String, String)> {
        let mut ids = Vec::new();
        for (q, list) in [("single", "options"), ("multiple", "options"), ("matching", "right")] {
            for option in question(attempt, q)[list].as_array().unwrap() {
                let text = format!("{q}: {}", option["text"].as_str().unwrap());
                ids.push((text, option["id"].as_str().unwrap().to_owned()));
            }
        }
        ids.sort();
        ids
    };
    let (first_ids, second_ids) = (shown_ids(&attempt), shown_ids(&second));
    assert_eq!(first_ids.len(), 9);
    assert_eq!(
        first_ids.iter().map(|(text, _)| text).collect::<Vec<_>>(),
        second_ids.iter().map(|(text, _)| text).collect::<Vec<_>>()
    );
    for ((text, first), (_, second)) in first_ids.iter().zip(&second_ids) {
        assert_ne!(first, second, "`{text}` has the same id in two attempts");
    }
}

async fn a_fully_correct_attempt_scores_everything_but_the_essay_which_waits_for_a_trainer(mut app: TestApp) {
    let token = learner_with_token(&mut app, "full@example.kz").await;
    let attempt = app.api(Method::POST, START, Some(&token), None).await.json();
    answer_all_correctly(&mut app, &token, &attempt).await;
    let id = attempt["attempt_id"].as_i64().unwrap();
    let result = app
        .api(
            Method::POST,
            &format!("/api/v1/attempts/{id}/submit"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(result.status, StatusCode::OK);
    let result = result.json();
    assert_eq!(result["score"], json!(6.0));
    assert_eq!(result["max_score"], json!(7.0));
    assert_eq!(result["pending_manual"], json!(true));
    assert_eq!(result["passed"], json!(true), "6 of 7 is above the 60 % pass mark");
    let questions = result["questions"].as_array().unwrap();
    assert_eq!(questions.len(), 8);
    assert_eq!(questions[0], json!({"id": "single", "score": 1.0, "max_score": 1.0}));
    assert_eq!(questions[6], json!({"id": "essay", "score": 0.0, "max_score": 1.0}));
    assert_eq!(
        questions[7],
        json!({"id": "intro-text", "score": 0.0, "max_score": 0.0})
    );

    let second = app
        .api(
            Method::POST,
            &format!("/api/v1/attempts/{id}/submit"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(second.json(), result, "a second submit returns the same result");
    let late = app
        .api(
            Method::PUT,
            &format!("/api/v1/attempts/{id}/responses/single"),
            Some(&token),
            Some(json!({"choice": "1"})),
        )
        .await;
    assert_eq!(late.status, StatusCode::CONFLICT);
    assert!(late.json()["error"].is_string());
}

async fn wrong_and_partial_answers_are_graded_with_weights(mut app: TestApp) {
    let token = learner_with_token(&mut app, "partial@example.kz").await;
    let attempt = app.api(Method::POST, START, Some(&token), None).await.json();
    let id = attempt["attempt_id"].as_i64().unwrap();
    let multiple = question(&attempt, "multiple");
    let ram = option_with_text(multiple, "RAM contents");
    let disk = option_with_text(multiple, "A switched-off hard disk");
    for (q, body) in [
        ("multiple", json!({"choices": [ram]})),
        ("tf", json!({"choice": "true"})),
        ("numerical", json!({"value": 63.5})),
    ] {
        app.api(
            Method::PUT,
            &format!("/api/v1/attempts/{id}/responses/{q}"),
            Some(&token),
            Some(body),
        )
        .await;
    }
    let result = app
        .api(
            Method::POST,
            &format!("/api/v1/attempts/{id}/submit"),
            Some(&token),
            None,
        )
        .await
        .json();
    assert_eq!(result["score"], json!(0.5));
    assert_eq!(result["passed"], json!(false));
    assert_eq!(
        result["pending_manual"],
        json!(false),
        "an empty essay is not waiting for anyone"
    );

    let second = app.api(Method::POST, START, Some(&token), None).await.json();
    let second_id = second["attempt_id"].as_i64().unwrap();
    let negative = app
        .api(Method::PUT, &format!("/api/v1/attempts/{second_id}/responses/multiple"), Some(&token), Some(json!({"choices": [option_with_text(question(&second, "multiple"), "RAM contents"), option_with_text(question(&second, "multiple"), "A switched-off hard disk")]})))
        .await;
    assert_eq!(negative.status, StatusCode::NO_CONTENT);
    let graded = app
        .api(
            Method::POST,
            &format!("/api/v1/attempts/{second_id}/submit"),
            Some(&token),
            None,
        )
        .await
        .json();
    assert_eq!(
        graded["questions"][1]["score"],
        json!(0.0),
        "negative weights never take a question below zero"
    );
    let _ = disk;
}

async fn bad_responses_are_refused_with_clear_errors_and_change_nothing(mut app: TestApp) {
    let token = learner_with_token(&mut app, "bad@example.kz").await;
    let attempt = app.api(Method::POST, START, Some(&token), None).await.json();
    let id = attempt["attempt_id"].as_i64().unwrap();
    for (q, body, status) in [
        ("single", json!({"choice": "99"}), StatusCode::BAD_REQUEST),
        ("single", json!({"text": "SHA-256"}), StatusCode::BAD_REQUEST),
        ("tf", json!({"choice": "maybe"}), StatusCode::BAD_REQUEST),
        ("numerical", json!({"value": "sixty-four"}), StatusCode::BAD_REQUEST),
        ("matching", json!({"pairs": {"l1": "r9"}}), StatusCode::BAD_REQUEST),
        ("intro-text", json!({"text": "x"}), StatusCode::BAD_REQUEST),
        ("no-such-question", json!({"choice": "1"}), StatusCode::NOT_FOUND),
    ] {
        let response = app
            .api(
                Method::PUT,
                &format!("/api/v1/attempts/{id}/responses/{q}"),
                Some(&token),
                Some(body),
            )
            .await;
        assert_eq!(response.status, status, "{q}: {}", response.body);
        assert!(response.json()["error"].is_string());
    }
    let file_position = app
        .api(
            Method::PUT,
            &format!("/api/v1/attempts/{id}/responses/single"),
            Some(&token),
            Some(json!({"choice": "1"})),
        )
        .await;
    assert_eq!(
        file_position.status,
        StatusCode::BAD_REQUEST,
        "only the ids this attempt showed are accepted"
    );
    assert_eq!(
        app.api(Method::POST, "/api/v1/attempts/abc/submit", Some(&token), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.api(
            Method::POST,
            "/api/v1/courses/demo-course/quizzes/nope/attempts",
            Some(&token),
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
}

async fn another_users_attempt_is_not_found(mut app: TestApp) {
    let token = learner_with_token(&mut app, "owner@example.kz").await;
    let attempt = app.api(Method::POST, START, Some(&token), None).await.json();
    let id = attempt["attempt_id"].as_i64().unwrap();
    app.create_user("intruder@example.kz", Role::Learner, None);
    let intruder = app.api_token("intruder@example.kz", PASSWORD).await;
    assert_eq!(
        app.api(
            Method::PUT,
            &format!("/api/v1/attempts/{id}/responses/tf"),
            Some(&intruder),
            Some(json!({"choice": "true"}))
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.api(
            Method::POST,
            &format!("/api/v1/attempts/{id}/submit"),
            Some(&intruder),
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    app.sign_in("intruder@example.kz", PASSWORD).await;
    assert_eq!(app.get(&format!("/attempts/{id}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get(&format!("/attempts/{id}/review")).await.status,
        StatusCode::NOT_FOUND
    );
}

async fn answers_survive_a_server_restart_in_the_middle_of_an_attempt(mut app: TestApp) {
    let token = learner_with_token(&mut app, "restart@example.kz").await;
    let attempt = app.api(Method::POST, START, Some(&token), None).await.json();
    let id = attempt["attempt_id"].as_i64().unwrap();
    app.api(
        Method::PUT,
        &format!("/api/v1/attempts/{id}/responses/tf"),
        Some(&token),
        Some(json!({"choice": "false"})),
    )
    .await;
    app.api(
        Method::PUT,
        &format!("/api/v1/attempts/{id}/responses/numerical"),
        Some(&token),
        Some(json!({"value": 64})),
    )
    .await;
    let mut app = app.restart().await;
    let resumed = app.api(Method::POST, START, Some(&token), None).await;
    assert_eq!(
        resumed.json()["attempt_id"],
        json!(id),
        "the attempt is still open after the restart"
    );
    let result = app
        .api(
            Method::POST,
            &format!("/api/v1/attempts/{id}/submit"),
            Some(&token),
            None,
        )
        .await
        .json();
    assert_eq!(
        result["score"],
        json!(2.0),
        "both answers given before the restart count"
    );
}

async fn the_time_limit_is_enforced_by_the_server(mut app: TestApp) {
    let token = learner_with_token(&mut app, "late@example.kz").await;
    let attempt = app.api(Method::POST, START, Some(&token), None).await.json();
    let id = attempt["attempt_id"].as_i64().unwrap();
    app.api(
        Method::PUT,
        &format!("/api/v1/attempts/{id}/responses/tf"),
        Some(&token),
        Some(json!({"choice": "false"})),
    )
    .await;
    {
        use bilim::db::schema::quiz_attempts;
        use diesel::prelude::*;
        let mut conn = app.state.pool.get().unwrap();
        let past = chrono::Utc::now().naive_utc() - chrono::Duration::minutes(1);
        diesel::update(quiz_attempts::table.find(id))
            .set(quiz_attempts::deadline.eq(Some(past)))
            .execute(&mut conn)
            .unwrap();
    }
    let late = app
        .api(
            Method::PUT,
            &format!("/api/v1/attempts/{id}/responses/numerical"),
            Some(&token),
            Some(json!({"value": 64})),
        )
        .await;
    assert_eq!(late.status, StatusCode::CONFLICT);
    let result = app
        .api(
            Method::POST,
            &format!("/api/v1/attempts/{id}/submit"),
            Some(&token),
            None,
        )
        .await
        .json();
    assert_eq!(
        result["score"],
        json!(1.0),
        "the expired attempt was submitted with what it had"
    );
}

async fn attempts_beyond_the_limit_are_refused_but_staff_previews_are_not(mut app: TestApp) {
    let token = learner_with_token(&mut app, "limit@example.kz").await;
    for _ in 0..2 {
        let attempt = app.api(Method::POST, START, Some(&token), None).await;
        assert_eq!(attempt.status, StatusCode::CREATED);
        let id = attempt.json()["attempt_id"].as_i64().unwrap();
        app.api(
            Method::POST,
            &format!("/api/v1/attempts/{id}/submit"),
            Some(&token),
            None,
        )
        .await;
    }
    let third = app.api(Method::POST, START, Some(&token), None).await;
    assert_eq!(third.status, StatusCode::CONFLICT);
    assert!(third.json()["error"].as_str().unwrap().contains("all the attempts"));

    app.create_user_speaking("trainer@example.kz", Role::Trainer, None, Locale::En);
    let trainer = app.api_token("trainer@example.kz", PASSWORD).await;
    for _ in 0..3 {
        let attempt = app.api(Method::POST, START, Some(&trainer), None).await;
        assert_eq!(attempt.status, StatusCode::CREATED, "{}", attempt.body);
        let id = attempt.json()["attempt_id"].as_i64().unwrap();
        let submitted = app
            .api(
                Method::POST,
                &format!("/api/v1/attempts/{id}/submit"),
                Some(&trainer),
                None,
            )
            .await;
        assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.body);
    }
    let stats = {
        let mut conn = app.state.pool.get().unwrap();
        bilim::quizzes::statistics::for_quiz(&mut conn, "demo-course", "final", &Oversight::Everything).unwrap()
    };
    assert_eq!(
        stats.overall.attempts, 2,
        "the learner's two attempts count; the trainer's previews do not"
    );
}

/// The start page offers what starting an attempt allows: going back to the attempt
/// under way even when it is the last one, and nothing once every attempt is used.
async fn the_start_page_offers_an_attempt_only_while_starting_one_is_allowed(mut app: TestApp) {
    let token = learner_with_token(&mut app, "offers@example.kz").await;
    app.sign_in("offers@example.kz", PASSWORD).await;
    let start_page = "/courses/demo-course/quizzes/final?lang=en";
    let submit = |id: i64| format!("/api/v1/attempts/{id}/submit");
    let first = app.api(Method::POST, START, Some(&token), None).await.json();
    app.api(
        Method::POST,
        &submit(first["attempt_id"].as_i64().unwrap()),
        Some(&token),
        None,
    )
    .await;
    let last = app.api(Method::POST, START, Some(&token), None).await.json();

    let while_the_last_is_open = app.get(start_page).await;
    assert_eq!(
        while_the_last_is_open.select("form[action$='/attempts'] button"),
        ["Continue the attempt"]
    );
    let resumed = app.post_form("/courses/demo-course/quizzes/final/attempts", &[]).await;
    assert_eq!(resumed.location(), format!("/attempts/{}", last["attempt_id"]));

    app.api(
        Method::POST,
        &submit(last["attempt_id"].as_i64().unwrap()),
        Some(&token),
        None,
    )
    .await;
    let all_used = app.get(start_page).await;
    assert!(!all_used.has("form[action$='/attempts']"));
    assert!(all_used
        .body
        .contains("You have used all the attempts allowed for this test."));
    let refused = app.post_form("/courses/demo-course/quizzes/final/attempts", &[]).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
}

/// Four submits of one attempt released together, each at its own time: one of them
/// grades it; the attempt keeps that one's time, the module its pass completes is
/// completed once at that same time, and every submit answers with the one result.
async fn two_submits_at_the_same_time_grade_once(mut app: TestApp) {
    use bilim::db::schema::{attempt_responses, module_progress, quiz_attempts};
    use chrono::Timelike;
    use diesel::prelude::*;
    use std::sync::Barrier;
    let token = learner_with_token(&mut app, "race@example.kz").await;
    let attempt = app
        .api(
            Method::POST,
            "/api/v1/courses/demo-course/quizzes/check/attempts",
            Some(&token),
            None,
        )
        .await
        .json();
    let id = attempt["attempt_id"].as_i64().unwrap();
    for q in attempt["questions"].as_array().unwrap() {
        let body = match q["id"].as_str().unwrap() {
            "a" => json!({"choice": "true"}),
            "b" => json!({"choice": option_with_text(q, "right")}),
            _ => json!({"value": 4}),
        };
        let saved = app
            .api(
                Method::PUT,
                &format!("/api/v1/attempts/{id}/responses/{}", q["id"].as_str().unwrap()),
                Some(&token),
                Some(body),
            )
            .await;
        assert_eq!(saved.status, StatusCode::NO_CONTENT, "{}", saved.body);
    }
    let user_id = bilim::accounts::model::UserId(
        app.api(Method::GET, "/api/v1/me", Some(&token), None).await.json()["id"]
            .as_i64()
            .unwrap(),
    );
    let base = chrono::Utc::now().naive_utc().with_nanosecond(0).unwrap();
    let times: Vec<_> = (1..=4).map(|i| base + chrono::Duration::minutes(i)).collect();
    let pool = app.state.pool.clone();
    let barrier = Barrier::new(times.len());
    let results: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = times
            .iter()
            .map(|&now| {
                let pool = pool.clone();
                let barrier = &barrier;
                scope.spawn(move || {
                    let mut conn = pool.get().unwrap();
                    barrier.wait();
                    bilim::quizzes::attempts::submit(&mut conn, user_id, bilim::quizzes::attempts::AttemptId(id), now)
                        .unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(results[0].passed, "{results:?}");
    assert!(results.windows(2).all(|w| w[0] == w[1]), "{results:?}");

    let mut conn = pool.get().unwrap();
    let submitted_at: Option<chrono::NaiveDateTime> = quiz_attempts::table
        .find(id)
        .select(quiz_attempts::submitted_at)
        .first(&mut conn)
        .unwrap();
    let winner = submitted_at.unwrap();
    assert!(times.contains(&winner), "{winner} is one submit's time, of {times:?}");
    let completed_at: Option<chrono::NaiveDateTime> = module_progress::table
        .find((user_id.0, "demo-course", "intro"))
        .select(module_progress::completed_at)
        .first(&mut conn)
        .unwrap();
    assert_eq!(
        completed_at,
        Some(winner),
        "the module is completed once, by the submit that graded the attempt"
    );
    let rows: i64 = attempt_responses::table
        .filter(attempt_responses::attempt_id.eq(id))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(rows, 2, "one graded row per question drawn, not one per submit");
}

/// Saves that overlap for real (threads released together, each with its own
/// connection): two saves of one answer both succeed; a save racing a submit either
/// lands before the grading, and is graded, or is refused as too late. Never an error.
async fn overlapping_saves_and_a_racing_submit_never_fail(mut app: TestApp) {
    use bilim::quizzes::attempts::{self, AttemptId};
    use bilim::quizzes::grading::Response;
    use std::sync::Barrier;
    let token = learner_with_token(&mut app, "autosave@example.kz").await;
    let user_id = bilim::accounts::model::UserId(
        app.api(Method::GET, "/api/v1/me", Some(&token), None).await.json()["id"]
            .as_i64()
            .unwrap(),
    );
    let pool = app.state.pool.clone();
    let save = |id: i64, choice: &str| {
        let mut conn = pool.get().unwrap();
        attempts::save_response(
            &mut conn,
            user_id,
            AttemptId(id),
            "tf",
            &Response::Choice { choice: choice.into() },
            chrono::Utc::now().naive_utc(),
        )
    };

    let first = app.api(Method::POST, START, Some(&token), None).await.json();
    let first = first["attempt_id"].as_i64().unwrap();
    let barrier = Barrier::new(8);
    let saves: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                scope.spawn(|| {
                    barrier.wait();
                    save(first, "true")
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(saves.iter().all(Result::is_ok), "{saves:?}");

    let barrier = Barrier::new(8);
    let (saved, result) = std::thread::scope(|scope| {
        let savers: Vec<_> = (0..7)
            .map(|_| {
                scope.spawn(|| {
                    barrier.wait();
                    save(first, "false")
                })
            })
            .collect();
        let submitter = scope.spawn(|| {
            barrier.wait();
            let mut conn = pool.get().unwrap();
            attempts::submit(&mut conn, user_id, AttemptId(first), chrono::Utc::now().naive_utc())
        });
        let saved: Vec<_> = savers.into_iter().map(|h| h.join().unwrap()).collect();
        (saved, submitter.join().unwrap())
    });
    assert!(result.is_ok(), "{result:?}");
    for outcome in &saved {
        assert!(
            matches!(
                outcome,
                Ok(()) | Err(bilim::error::AppError::Conflict("quizzes.attempt_closed"))
            ),
            "{outcome:?}"
        );
    }
    // The answer stored is the one graded: "false" (right) scores 1, "true" 0. A save
    // acknowledged after the grading would leave the two apart.
    use bilim::db::schema::attempt_responses;
    use diesel::prelude::*;
    let mut conn = pool.get().unwrap();
    let (response, score): (Option<String>, Option<f64>) = attempt_responses::table
        .find((first, "tf"))
        .select((attempt_responses::response, attempt_responses::score))
        .first(&mut conn)
        .unwrap();
    let response: Value = serde_json::from_str(&response.unwrap()).unwrap();
    let expected = if saved.iter().any(Result::is_ok) {
        "false"
    } else {
        "true"
    };
    assert_eq!(response["choice"], json!(expected));
    assert_eq!(score, Some(if expected == "false" { 1.0 } else { 0.0 }));
}

/// A Kazakh academy's run of the demo course, with its coordinator and one trainer.
struct AcademyRun {
    run: i64,
    trainer: &'static str,
    coordinator: &'static str,
}

fn academy_run(app: &TestApp, name: &str, trainer: &'static str, coordinator: &'static str) -> AcademyRun {
    app.with_courses("valid");
    let (institution, coordinator_id) = app.institution_with_coordinator(name, Country::Kz, coordinator);
    let run = RunBuilder::new(institution, coordinator_id).insert(app);
    let trainer_id = app.create_user(trainer, Role::Trainer, Some(institution));
    app.make_trainer_of(run, trainer_id);
    AcademyRun {
        run,
        trainer,
        coordinator,
    }
}

/// `email`, enrolled in `run`, answers the final test right and submits it: its
/// essay waits for a trainer. Returns the attempt's id.
async fn essay_waiting_in(app: &mut TestApp, run: i64, email: &str) -> i64 {
    app.with_courses("valid");
    let learner = app.create_user_speaking(email, Role::Learner, None, Locale::En);
    app.admit(run, learner, "enrolled");
    let token = app.api_token(email, PASSWORD).await;
    let attempt = app.api(Method::POST, START, Some(&token), None).await.json();
    answer_all_correctly(app, &token, &attempt).await;
    let id = attempt["attempt_id"].as_i64().unwrap();
    let submitted = app
        .api(
            Method::POST,
            &format!("/api/v1/attempts/{id}/submit"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(submitted.status, StatusCode::OK);
    id
}

fn essay_graded_at(app: &TestApp, attempt: i64) -> Option<chrono::NaiveDateTime> {
    use bilim::db::schema::attempt_responses;
    use diesel::prelude::*;
    let mut conn = app.state.pool.get().unwrap();
    attempt_responses::table
        .find((attempt, "essay"))
        .select(attempt_responses::graded_at)
        .first(&mut conn)
        .unwrap()
}

fn essay_score(app: &TestApp, attempt: i64) -> Option<f64> {
    use bilim::db::schema::attempt_responses;
    use diesel::prelude::*;
    let mut conn = app.state.pool.get().unwrap();
    attempt_responses::table
        .find((attempt, "essay"))
        .select(attempt_responses::score)
        .first(&mut conn)
        .unwrap()
}

/// The essays of a trainer's runs wait in one queue, the longest waiting first, with
/// the learner's name.
async fn the_grading_queue_lists_the_essays_of_the_trainers_runs_with_their_learners(mut app: TestApp) {
    let academy = academy_run(&app, "Academy", "queue@example.kz", "head@example.kz");
    let mut attempt_ids = Vec::new();
    for email in ["first@example.kz", "second@example.kz"] {
        attempt_ids.push(essay_waiting_in(&mut app, academy.run, email).await);
    }

    let mut trainer = app.signed_in(academy.trainer).await;
    let queue = trainer.get("/teach/grading?lang=en").await;
    let learner_column: Vec<String> = queue.select("tbody td").into_iter().step_by(4).collect();
    assert_eq!(learner_column, ["Test learner", "Test learner"]);
    assert_eq!(
        queue.select_attr("tbody tr a", "href"),
        attempt_ids
            .iter()
            .map(|id| format!("/teach/grading/{id}/essay"))
            .collect::<Vec<_>>()
    );
}

/// A trainer or coordinator of another academy neither sees nor grades an essay: it
/// is not found for them, and nothing changes. Those who teach or manage its run,
/// and administrators, see it.
async fn essays_are_seen_and_graded_only_by_those_who_teach_or_manage_their_run(mut app: TestApp) {
    let own = academy_run(&app, "Own academy", "own.trainer@example.kz", "own.head@example.kz");
    let other = academy_run(
        &app,
        "Other academy",
        "other.trainer@example.kz",
        "other.head@example.kz",
    );
    let id = essay_waiting_in(&mut app, own.run, "learner@example.kz").await;
    let essay = format!("/teach/grading/{id}/essay?lang=en");

    for outsider in [other.trainer, other.coordinator] {
        let mut browser = app.signed_in(outsider).await;
        let queue = browser.get("/teach/grading?lang=en").await;
        assert_eq!(queue.status, StatusCode::OK);
        assert!(!queue.has("tbody tr"), "{outsider} sees no essay of another academy");
        assert_eq!(browser.get(&essay).await.status, StatusCode::NOT_FOUND, "{outsider}");
        let grade = browser.post_form(&essay, &[("score", "100"), ("comment", "")]).await;
        assert_eq!(grade.status, StatusCode::NOT_FOUND, "{outsider}");
        assert_eq!(essay_graded_at(&app, id), None, "{outsider} changed nothing");
    }

    app.create_user("admin@example.kz", Role::Admin, None);
    for insider in [own.trainer, own.coordinator, "admin@example.kz"] {
        let mut browser = app.signed_in(insider).await;
        let queue = browser.get("/teach/grading?lang=en").await;
        assert_eq!(
            queue.select_attr("tbody tr a", "href"),
            [format!("/teach/grading/{id}/essay")],
            "{insider}"
        );
        let page = browser.get(&essay).await;
        assert_eq!(page.status, StatusCode::OK, "{insider}");
        assert!(page.body.contains("Every transfer is recorded."), "{insider}");
    }
}

async fn a_trainer_grades_an_essay_and_the_result_becomes_final(mut app: TestApp) {
    let academy = academy_run(&app, "Academy", "grader@example.kz", "head@example.kz");
    let id = essay_waiting_in(&mut app, academy.run, "essay@example.kz").await;

    let mut trainer = app.signed_in(academy.trainer).await;
    let queue = trainer.get("/teach/grading?lang=en").await;
    assert!(
        queue.body.contains(&format!("/teach/grading/{id}/essay")),
        "{}",
        queue.body
    );
    let row = queue.select("tbody tr").join(" ");
    assert!(
        row.contains("Demo course") && row.contains("Final test") && !row.contains("demo-course /"),
        "the list names the course and the quiz, not their ids: {row}"
    );
    let form = trainer.get(&format!("/teach/grading/{id}/essay?lang=en")).await;
    assert!(form.body.contains("Every transfer is recorded."));
    assert!(!form.has("#reason"), "a first grade needs no reason");
    let invalid = trainer
        .post_form(
            &format!("/teach/grading/{id}/essay?lang=en"),
            &[("score", "150"), ("comment", "")],
        )
        .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(invalid.body.contains("Enter a score from 0 to 100"));
    let graded = trainer
        .post_form(
            &format!("/teach/grading/{id}/essay"),
            &[("score", "50"), ("comment", "Mention the hash values.")],
        )
        .await;
    assert_eq!(graded.status, StatusCode::SEE_OTHER);
    assert!(!trainer
        .get("/teach/grading")
        .await
        .body
        .contains(&format!("/teach/grading/{id}/essay")));

    let token = app.api_token("essay@example.kz", PASSWORD).await;
    let result = app
        .api(
            Method::POST,
            &format!("/api/v1/attempts/{id}/submit"),
            Some(&token),
            None,
        )
        .await
        .json();
    assert_eq!(result["score"], json!(6.5));
    assert_eq!(result["pending_manual"], json!(false));

    let mut learner = app.signed_in("essay@example.kz").await;
    let review = learner.get(&format!("/attempts/{id}/review?lang=en")).await;
    assert!(review.body.contains("Mention the hash values."));
}

/// Changing a grade is a regrade: refused without a reason, changing nothing; with
/// one, recorded in the audit log with the old and the new score, which
/// administrators read and download. The log itself cannot be changed.
async fn a_regrade_needs_a_reason_and_is_recorded_in_the_audit_log(mut app: TestApp) {
    let academy = academy_run(&app, "Academy", "grader@example.kz", "head@example.kz");
    let id = essay_waiting_in(&mut app, academy.run, "essay@example.kz").await;
    let essay = format!("/teach/grading/{id}/essay?lang=en");
    let mut trainer = app.signed_in(academy.trainer).await;
    let first = trainer.post_form(&essay, &[("score", "50"), ("comment", "")]).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);

    let page = trainer.get(&essay).await;
    assert!(
        page.body.contains("Already graded: 50.0%, by Test trainer"),
        "{}",
        page.body
    );
    let silent = trainer.post_form(&essay, &[("score", "100"), ("comment", "")]).await;
    assert_eq!(silent.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(silent
        .body
        .contains("This answer has already been graded. To change the grade, give the reason"));
    assert_eq!(
        essay_score(&app, id),
        Some(0.5),
        "a regrade without a reason changes nothing"
    );

    let regraded = trainer
        .post_form(
            &essay,
            &[("score", "80"), ("comment", ""), ("reason", "Second reading")],
        )
        .await;
    assert_eq!(regraded.status, StatusCode::SEE_OTHER);
    assert_eq!(essay_score(&app, id), Some(0.8));

    app.create_user("admin@example.kz", Role::Admin, None);
    let mut admin = app.signed_in("admin@example.kz").await;
    let log = admin.get("/admin/audit?action=essay_regraded&lang=en").await;
    assert_eq!(log.status, StatusCode::OK);
    let cells = log.select("tbody td");
    assert_eq!(cells.len(), 5, "one regrade: {cells:?}");
    assert_eq!(cells[1], "Essay regraded");
    assert_eq!(cells[3], format!("attempt:{id}/essay"));
    let details: Value = serde_json::from_str(&cells[4]).unwrap();
    assert_eq!(details["previous_score_percent"], json!(50.0));
    assert_eq!(details["score_percent"], json!(80.0));
    assert_eq!(details["reason"], json!("Second reading"));
    let csv = admin.get("/admin/audit.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.body.matches(",essay_graded,").count(), 1, "{}", csv.body);
    assert_eq!(csv.body.matches(",essay_regraded,").count(), 1);
    let mut trainer_again = app.signed_in(academy.trainer).await;
    assert_eq!(trainer_again.get("/admin/audit").await.status, StatusCode::FORBIDDEN);

    use bilim::db::schema::audit_events;
    use diesel::prelude::*;
    let mut conn = app.state.pool.get().unwrap();
    assert!(diesel::delete(audit_events::table).execute(&mut conn).is_err());
    assert!(diesel::update(audit_events::table)
        .set(audit_events::subject.eq("forged"))
        .execute(&mut conn)
        .is_err());
    let kept: i64 = audit_events::table
        .filter(audit_events::action.like("essay_%"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(kept, 2, "the log is append-only");
}

async fn learners_cannot_reach_the_trainers_pages(mut app: TestApp) {
    let _ = learner_with_token(&mut app, "curious@example.kz").await;
    app.sign_in("curious@example.kz", PASSWORD).await;
    for path in [
        "/teach/grading",
        "/teach/grading/1/essay",
        "/teach/quizzes/demo-course/final/statistics",
    ] {
        assert_eq!(app.get(path).await.status, StatusCode::FORBIDDEN, "{path}");
    }
}

async fn a_learner_takes_the_test_with_html_forms_alone(mut app: TestApp) {
    let _ = learner_with_token(&mut app, "forms@example.kz").await;
    app.sign_in("forms@example.kz", PASSWORD).await;
    let start_page = app.get("/courses/demo-course/quizzes/final?lang=en").await;
    assert!(start_page.body.contains("Start the test") && start_page.body.contains("60 %"));
    let started = app.post_form("/courses/demo-course/quizzes/final/attempts", &[]).await;
    assert_eq!(started.status, StatusCode::SEE_OTHER);
    let attempt_path = started.location();
    let page = app.get(&format!("{attempt_path}?lang=en")).await;
    assert!(page.body.contains("minutes left") && page.body.contains("Question 7"));
    assert!(!page.body.contains("<script"));
    let bad = app
        .post_form(
            &format!("{attempt_path}?lang=en"),
            &[("q-numerical", "sixty"), ("q-tf", "false"), ("action", "save")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("Question 5: enter a number") && bad.has(".error-summary a[href='#q-numerical']"));
    assert_eq!(
        bad.select_attr("input[name=q-numerical]", "value"),
        ["sixty"],
        "what was typed is shown again"
    );
    let saved = app
        .post_form(
            &attempt_path,
            &[("q-numerical", "64"), ("q-short", "Tashkent"), ("action", "save")],
        )
        .await;
    assert_eq!(saved.location(), format!("{attempt_path}?saved=1"));
    let again = app.get(&format!("{attempt_path}?lang=en")).await;
    assert_eq!(again.select_attr("input[name=q-numerical]", "value"), ["64"]);
    assert_eq!(again.select_attr("input[name=q-short]", "value"), ["Tashkent"]);
    assert!(
        again.has("input[name=q-tf][value=false][checked]"),
        "the true/false answer saved with the rejected form was kept"
    );
    let submitted = app
        .post_form(&attempt_path, &[("q-numerical", "64"), ("action", "submit")])
        .await;
    assert_eq!(submitted.location(), format!("{attempt_path}/review"));
    let review = app.get(&format!("{attempt_path}/review?lang=en")).await;
    assert!(review.body.contains("43 %"), "3 of 7: {}", review.body);
    assert!(review.body.contains("Correct answer") && review.body.contains("Use SHA-256."));
    assert_eq!(
        app.get(&attempt_path).await.location(),
        format!("{attempt_path}/review")
    );
}

async fn a_module_quiz_draws_its_questions_and_a_pass_completes_the_module(mut app: TestApp) {
    let token = learner_with_token(&mut app, "module@example.kz").await;
    let attempt = app
        .api(
            Method::POST,
            "/api/v1/courses/demo-course/quizzes/check/attempts",
            Some(&token),
            None,
        )
        .await
        .json();
    let questions = attempt["questions"].as_array().unwrap();
    assert_eq!(questions.len(), 2, "pick = 2");
    assert!(attempt["deadline"].is_null());
    let id = attempt["attempt_id"].as_i64().unwrap();
    for q in questions {
        let body = match q["id"].as_str().unwrap() {
            "a" => json!({"choice": "true"}),
            "b" => json!({"choice": option_with_text(q, "right")}),
            _ => json!({"value": 4}),
        };
        app.api(
            Method::PUT,
            &format!("/api/v1/attempts/{id}/responses/{}", q["id"].as_str().unwrap()),
            Some(&token),
            Some(body),
        )
        .await;
    }
    let result = app
        .api(
            Method::POST,
            &format!("/api/v1/attempts/{id}/submit"),
            Some(&token),
            None,
        )
        .await
        .json();
    assert_eq!(result["percent"], json!(100.0));
    let progress = app
        .api(Method::GET, "/api/v1/courses/demo-course/progress", Some(&token), None)
        .await
        .json();
    assert!(
        progress["modules"][0]["completed_at"].is_string(),
        "passing the quiz completes the module it follows"
    );
}

async fn statistics_show_each_questions_share_correct_by_language(mut app: TestApp) {
    app.with_courses("valid");
    for (n, locale) in [
        (0, Locale::En),
        (1, Locale::En),
        (2, Locale::Ru),
        (3, Locale::Ru),
        (4, Locale::En),
    ] {
        let email = format!("stats{n}@example.kz");
        app.create_user_speaking(&email, Role::Learner, None, locale);
        let token = app.api_token(&email, PASSWORD).await;
        let start = app.api(Method::POST, START, Some(&token), None).await.json();
        let id = start["attempt_id"].as_i64().unwrap();
        if n % 2 == 0 {
            app.api(
                Method::PUT,
                &format!("/api/v1/attempts/{id}/responses/tf"),
                Some(&token),
                Some(json!({"choice": "false"})),
            )
            .await;
        }
        app.api(
            Method::POST,
            &format!("/api/v1/attempts/{id}/submit"),
            Some(&token),
            None,
        )
        .await;
    }
    // An administrator sees every group, however small (observers see groups of five
    // attempts or more only).
    app.sign_in_as("analyst@example.kz", Role::Admin, None).await;
    let page = app.get("/teach/quizzes/demo-course/final/statistics?lang=en").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.select("h2"), ["All languages", "English", "Русский"]);
    let summaries: Vec<String> = page.select("p").into_iter().filter(|p| p.contains(" · ")).collect();
    assert!(
        summaries[0].starts_with("5 attempts ·")
            && summaries[1].starts_with("3 attempts ·")
            && summaries[2].starts_with("2 attempts ·"),
        "{summaries:?}"
    );
    // The row of the true/false question in a language's table: id, answered, correct.
    let tf_row = |group: &str| {
        let cells = page.select(&format!("div[aria-label='{group}'] td"));
        let row = cells.chunks(4).find(|row| row[0] == "tf").unwrap().to_vec();
        row[..3].to_vec()
    };
    assert_eq!(tf_row("English"), ["tf", "3", "67 %"]);
    assert_eq!(tf_row("Русский"), ["tf", "2", "50 %"]);
    let stats = {
        let mut conn = app.state.pool.get().unwrap();
        bilim::quizzes::statistics::for_quiz(&mut conn, "demo-course", "final", &Oversight::Everything).unwrap()
    };
    let tf = stats.overall.questions.iter().find(|q| q.id == "tf").unwrap();
    assert_eq!(tf.answered, 5);
    assert!((tf.correct_share - 0.6).abs() < 1e-9);
    assert_eq!(
        tf.discrimination,
        Some(1.0),
        "the best attempts answered it, the weakest did not"
    );
    assert_eq!(stats.by_language.len(), 2);
}
/// Item statistics show a trainer and a coordinator the attempts of the runs they
/// teach or manage; administrators see every run's, observers every run's groups of
/// five attempts or more.
async fn item_statistics_show_staff_only_the_runs_they_oversee(mut app: TestApp) {
    let own = academy_run(&app, "Own academy", "own.trainer@example.kz", "own.head@example.kz");
    let other = academy_run(
        &app,
        "Other academy",
        "other.trainer@example.kz",
        "other.head@example.kz",
    );
    essay_waiting_in(&mut app, own.run, "a@example.kz").await;
    essay_waiting_in(&mut app, own.run, "b@example.kz").await;
    essay_waiting_in(&mut app, other.run, "c@example.kz").await;
    app.create_user("admin@example.kz", Role::Admin, None);
    app.create_user("observer@example.kz", Role::Observer, None);

    for (who, expected) in [
        (own.trainer, "2 attempts ·"),
        (own.coordinator, "2 attempts ·"),
        (other.trainer, "1 attempt ·"),
        ("admin@example.kz", "3 attempts ·"),
    ] {
        let mut browser = app.signed_in(who).await;
        let page = browser.get("/teach/quizzes/demo-course/final/statistics?lang=en").await;
        assert_eq!(page.status, StatusCode::OK, "{who}");
        // The first summary is that of all languages together.
        let overall = page.select("p").into_iter().find(|p| p.contains(" · ")).unwrap();
        assert!(overall.starts_with(expected), "{who} should see {expected}: {overall}");
    }
    // Observers see every run's figures, but no group of fewer than five attempts:
    // three attempts would show the answers of three people.
    let mut observer = app.signed_in("observer@example.kz").await;
    let page = observer
        .get("/teach/quizzes/demo-course/final/statistics?lang=en")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.select("p").iter().all(|p| !p.contains(" · ")), "no group shown");
}

/// Starts an attempt at the final test and submits it with no answers; returns it as
/// started.
async fn blank_attempt(app: &mut TestApp, token: &str) -> Value {
    let attempt = app.api(Method::POST, START, Some(token), None).await;
    assert_eq!(attempt.status, StatusCode::CREATED, "{}", attempt.body);
    let attempt = attempt.json();
    let id = attempt["attempt_id"].as_i64().unwrap();
    let submitted = app
        .api(
            Method::POST,
            &format!("/api/v1/attempts/{id}/submit"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.body);
    attempt
}

/// What the review of an attempt shows of the right answers.
#[derive(Debug, PartialEq)]
struct Review {
    /// The answers of the "Correct answer" rows.
    correct: Vec<String>,
    /// The general feedback of the single-choice question, which explains its answer.
    explains: bool,
    /// The notice that the test shows no correct answers.
    says_hidden: bool,
}

/// The review page of `attempt`, for its signed-in owner.
async fn review_of(app: &mut TestApp, attempt: &Value) -> Review {
    let id = attempt["attempt_id"].as_i64().unwrap();
    let page = app.get(&format!("/attempts/{id}/review?lang=en")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    Review {
        correct: page
            .select(".review .summary-list__row dt")
            .into_iter()
            .zip(page.select(".review .summary-list__row dd"))
            .filter(|(term, _)| term == "Correct answer")
            .map(|(_, answer)| answer)
            .collect(),
        explains: page.body.contains("Use SHA-256."),
        says_hidden: page.body.contains("The correct answers are not shown for this test."),
    }
}

/// What a review that hides the answers shows of them: nothing, and says so.
fn hidden() -> Review {
    Review {
        correct: Vec::new(),
        explains: false,
        says_hidden: true,
    }
}

/// `show_answers = "after_submit"`: the review of every submitted attempt shows the
/// correct answer of each question that has one, and the explanations.
async fn a_test_showing_answers_after_submitting_shows_them_in_every_review(mut app: TestApp) {
    let email = "after-submit@example.kz";
    let token = learner_of_final_test_with(&mut app, email, &[("show_answers", "\"after_submit\"")]).await;
    app.sign_in(email, PASSWORD).await;
    let attempt = blank_attempt(&mut app, &token).await;
    let review = review_of(&mut app, &attempt).await;
    assert!(!review.says_hidden && review.explains, "{review:?}");
    assert_eq!(
        review.correct.len(),
        6,
        "every question but the essay and the text: {review:?}"
    );
    assert!(review.correct.contains(&"SHA-256".to_owned()), "{review:?}");
}

/// `show_answers = "never"`: no review shows a correct answer or an explanation.
async fn a_test_that_never_shows_answers_keeps_them_out_of_the_review(mut app: TestApp) {
    let email = "never@example.kz";
    let token = learner_of_final_test_with(&mut app, email, &[("show_answers", "\"never\"")]).await;
    app.sign_in(email, PASSWORD).await;
    let first = blank_attempt(&mut app, &token).await;
    assert_eq!(review_of(&mut app, &first).await, hidden());
    let last = blank_attempt(&mut app, &token).await;
    assert_eq!(
        review_of(&mut app, &last).await,
        hidden(),
        "not after the last attempt either"
    );
}

/// `show_answers = "after_last_attempt"`: while attempts are left, the review hides the
/// answers; once the last allowed attempt is submitted, every review shows them.
async fn a_test_showing_answers_after_the_last_attempt_hides_them_until_then(mut app: TestApp) {
    let email = "last@example.kz";
    let token = learner_of_final_test_with(
        &mut app,
        email,
        &[("show_answers", "\"after_last_attempt\""), ("attempts", "2")],
    )
    .await;
    app.sign_in(email, PASSWORD).await;
    let first = blank_attempt(&mut app, &token).await;
    assert_eq!(review_of(&mut app, &first).await, hidden(), "one attempt is left");
    let last = blank_attempt(&mut app, &token).await;
    for attempt in [&last, &first] {
        let review = review_of(&mut app, attempt).await;
        assert!(!review.says_hidden && review.explains, "{review:?}");
        assert_eq!(review.correct.len(), 6, "{review:?}");
    }
}

/// The texts of a question's options in the order an attempt shows them.
fn option_order(attempt: &Value, id: &str) -> Vec<String> {
    question(attempt, id)["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["text"].as_str().unwrap().to_owned())
        .collect()
}

/// The options of the final test's choice questions, as its GIFT file lists them.
const SINGLE: [&str; 3] = ["SHA-256", "MD5", "CRC32"];
const MULTIPLE: [&str; 3] = ["RAM contents", "Network connections", "A switched-off hard disk"];

/// With `shuffle_answers` on, attempts show a question's options in orders of their
/// own. Options are shuffled with the thread's random generator, which takes no seed:
/// twelve attempts all showing one of the six orders of three options would happen
/// once in 6^11 (about 3 × 10^8) runs.
async fn shuffled_answers_come_in_another_order_across_attempts(mut app: TestApp) {
    let token = learner_of_final_test_with(
        &mut app,
        "shuffled@example.kz",
        &[("shuffle_answers", "true"), ("attempts", "0")],
    )
    .await;
    let mut orders = std::collections::BTreeSet::new();
    for _ in 0..12 {
        let attempt = blank_attempt(&mut app, &token).await;
        for (id, source) in [("single", &SINGLE), ("multiple", &MULTIPLE)] {
            let mut order = option_order(&attempt, id);
            if id == "single" {
                orders.insert(order.clone());
            }
            order.sort();
            let mut expected = source.to_vec();
            expected.sort_unstable();
            assert_eq!(order, expected, "every option, once");
        }
    }
    assert!(orders.len() > 1, "twelve attempts, one order: {orders:?}");
}

/// With `shuffle_answers` off, every attempt shows the options in the file's order.
async fn unshuffled_answers_keep_the_order_of_the_file(mut app: TestApp) {
    let token = learner_of_final_test_with(
        &mut app,
        "in-order@example.kz",
        &[("shuffle_answers", "false"), ("attempts", "0")],
    )
    .await;
    for _ in 0..12 {
        let attempt = blank_attempt(&mut app, &token).await;
        assert_eq!(option_order(&attempt, "single"), SINGLE);
        assert_eq!(option_order(&attempt, "multiple"), MULTIPLE);
    }
}

on_both_backends!(
    a_test_showing_answers_after_submitting_shows_them_in_every_review,
    a_test_that_never_shows_answers_keeps_them_out_of_the_review,
    a_test_showing_answers_after_the_last_attempt_hides_them_until_then,
    shuffled_answers_come_in_another_order_across_attempts,
    unshuffled_answers_keep_the_order_of_the_file,
    starting_an_attempt_returns_the_questions_without_their_answers,
    a_fully_correct_attempt_scores_everything_but_the_essay_which_waits_for_a_trainer,
    wrong_and_partial_answers_are_graded_with_weights,
    bad_responses_are_refused_with_clear_errors_and_change_nothing,
    another_users_attempt_is_not_found,
    answers_survive_a_server_restart_in_the_middle_of_an_attempt,
    the_time_limit_is_enforced_by_the_server,
    attempts_beyond_the_limit_are_refused_but_staff_previews_are_not,
    the_start_page_offers_an_attempt_only_while_starting_one_is_allowed,
    two_submits_at_the_same_time_grade_once,
    overlapping_saves_and_a_racing_submit_never_fail,
    the_grading_queue_lists_the_essays_of_the_trainers_runs_with_their_learners,
    essays_are_seen_and_graded_only_by_those_who_teach_or_manage_their_run,
    a_trainer_grades_an_essay_and_the_result_becomes_final,
    a_regrade_needs_a_reason_and_is_recorded_in_the_audit_log,
    item_statistics_show_staff_only_the_runs_they_oversee,
    learners_cannot_reach_the_trainers_pages,
    a_learner_takes_the_test_with_html_forms_alone,
    a_module_quiz_draws_its_questions_and_a_pass_completes_the_module,
    statistics_show_each_questions_share_correct_by_language
);
