//! Quizzes through the API and the pages: attempts, saving, time limits, grading
//! once, limits, essays graded by trainers, statistics.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use actix_web::http::{Method, StatusCode};
use bilim::accounts::model::Role;
use bilim::i18n::Locale;
use common::{TestApp, PASSWORD};
use serde_json::{json, Value};

const START: &str = "/api/v1/courses/demo-course/quizzes/final/attempts";

async fn learner_with_token(app: &mut TestApp, email: &str) -> String {
    app.with_courses("valid");
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
        assert_eq!(attempt.status, StatusCode::CREATED);
        let id = attempt.json()["attempt_id"].as_i64().unwrap();
        app.api(
            Method::POST,
            &format!("/api/v1/attempts/{id}/submit"),
            Some(&trainer),
            None,
        )
        .await;
    }
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

async fn two_submits_at_the_same_time_grade_once(mut app: TestApp) {
    let token = learner_with_token(&mut app, "race@example.kz").await;
    let attempt = app.api(Method::POST, START, Some(&token), None).await.json();
    answer_all_correctly(&mut app, &token, &attempt).await;
    let id = attempt["attempt_id"].as_i64().unwrap();
    let user_id = bilim::accounts::model::UserId(
        app.api(Method::GET, "/api/v1/me", Some(&token), None).await.json()["id"]
            .as_i64()
            .unwrap(),
    );
    let pool = app.state.pool.clone();
    let results: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let pool = pool.clone();
                scope.spawn(move || {
                    let mut conn = pool.get().unwrap();
                    bilim::quizzes::attempts::submit(
                        &mut conn,
                        user_id,
                        bilim::quizzes::attempts::AttemptId(id),
                        chrono::Utc::now().naive_utc(),
                    )
                    .unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(results.windows(2).all(|w| w[0] == w[1]), "{results:?}");
    use bilim::db::schema::attempt_responses;
    use diesel::prelude::*;
    let mut conn = pool.get().unwrap();
    let rows: i64 = attempt_responses::table
        .filter(attempt_responses::attempt_id.eq(id))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(rows, 8, "one graded row per question, not one per submit");
}

/// Every learner's essay waits in one queue, the longest waiting first, with the
/// learner's name.
async fn the_grading_queue_lists_every_learners_essay_with_their_name(mut app: TestApp) {
    let mut attempt_ids = Vec::new();
    for email in ["first@example.kz", "second@example.kz"] {
        let token = learner_with_token(&mut app, email).await;
        let attempt = app.api(Method::POST, START, Some(&token), None).await.json();
        answer_all_correctly(&mut app, &token, &attempt).await;
        let id = attempt["attempt_id"].as_i64().unwrap();
        app.api(
            Method::POST,
            &format!("/api/v1/attempts/{id}/submit"),
            Some(&token),
            None,
        )
        .await;
        attempt_ids.push(id);
    }

    app.sign_in_as("queue@example.kz", Role::Trainer, None).await;
    let queue = app.get("/teach/grading?lang=en").await;
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

async fn a_trainer_grades_an_essay_and_the_result_becomes_final(mut app: TestApp) {
    let token = learner_with_token(&mut app, "essay@example.kz").await;
    let attempt = app.api(Method::POST, START, Some(&token), None).await.json();
    answer_all_correctly(&mut app, &token, &attempt).await;
    let id = attempt["attempt_id"].as_i64().unwrap();
    app.api(
        Method::POST,
        &format!("/api/v1/attempts/{id}/submit"),
        Some(&token),
        None,
    )
    .await;

    app.sign_in_as("grader@example.kz", Role::Trainer, None).await;
    let queue = app.get("/teach/grading?lang=en").await;
    assert!(
        queue.body.contains(&format!("/teach/grading/{id}/essay")),
        "{}",
        queue.body
    );
    let form = app.get(&format!("/teach/grading/{id}/essay?lang=en")).await;
    assert!(form.body.contains("Every transfer is recorded."));
    let invalid = app
        .post_form(
            &format!("/teach/grading/{id}/essay?lang=en"),
            &[("score", "150"), ("comment", "")],
        )
        .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(invalid.body.contains("Enter a score from 0 to 100"));
    let graded = app
        .post_form(
            &format!("/teach/grading/{id}/essay"),
            &[("score", "50"), ("comment", "Mention the hash values.")],
        )
        .await;
    assert_eq!(graded.status, StatusCode::SEE_OTHER);
    assert!(!app
        .get("/teach/grading")
        .await
        .body
        .contains(&format!("/teach/grading/{id}/essay")));

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

    app.sign_out_locally();
    app.sign_in("essay@example.kz", PASSWORD).await;
    let review = app.get(&format!("/attempts/{id}/review?lang=en")).await;
    assert!(review.body.contains("Mention the hash values."));
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
    assert!(bad.body.contains("Enter a number") && bad.has(".error-summary a[href='#q-numerical']"));
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
    app.sign_in_as("analyst@example.kz", Role::Trainer, None).await;
    let page = app.get("/teach/quizzes/demo-course/final/statistics?lang=en").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("5 attempts") && page.body.contains("Русский") && page.body.contains("English"));
    let stats = {
        let mut conn = app.state.pool.get().unwrap();
        bilim::quizzes::statistics::for_quiz(&mut conn, "demo-course", "final").unwrap()
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
on_both_backends!(
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
    the_grading_queue_lists_every_learners_essay_with_their_name,
    a_trainer_grades_an_essay_and_the_result_becomes_final,
    learners_cannot_reach_the_trainers_pages,
    a_learner_takes_the_test_with_html_forms_alone,
    a_module_quiz_draws_its_questions_and_a_pass_completes_the_module,
    statistics_show_each_questions_share_correct_by_language
);
