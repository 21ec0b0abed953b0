//! The routes of the application and a world of records to ask them about, shared by
//! the access matrix and the malformed-input tests.

use std::collections::BTreeSet;

use actix_web::http::Method;
use bilim::accounts::model::{Country, Role};
use serde_json::json;

use super::fixtures::{CertificateBuilder, RunBuilder};
use super::{TestApp, PASSWORD};

/// Every route the application serves, from the `.route(…)` calls in `src/`: those in
/// `api.rs` files are under `/api/v1` (the scope `src/app.rs` gives them).
pub fn routes_in_source() -> BTreeSet<(String, String)> {
    let mut routes = BTreeSet::new();
    let app = std::fs::read_to_string("src/app.rs").unwrap();
    let scope = app.split("web::scope(\"/api/v1\")").nth(1).unwrap();
    let scope = scope.split("default_service").next().unwrap();
    for configured in scope.split(".configure(").skip(1) {
        let module = configured.split(')').next().unwrap();
        assert!(
            module.ends_with("::api::routes"),
            "only api.rs modules are configured under /api/v1, not {module}"
        );
    }
    let mut files = Vec::new();
    let mut folders = vec![std::path::PathBuf::from("src")];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let prefix = if file.file_name().is_some_and(|n| n == "api.rs") {
            "/api/v1"
        } else {
            ""
        };
        for call in text.split(".route(").skip(1) {
            let compact: String = call.chars().filter(|c| !c.is_whitespace()).collect();
            let Some(rest) = compact.strip_prefix('"') else {
                continue;
            };
            let Some((path, rest)) = rest.split_once('"') else {
                continue;
            };
            let Some(method) = rest
                .strip_prefix(",web::")
                .and_then(|r| r.split_once("()"))
                .map(|(m, _)| m)
            else {
                continue;
            };
            routes.insert((method.to_uppercase(), format!("{prefix}{path}")));
        }
        // `web::resource("/path")…​.route(web::get().to(…))`: one path, several methods.
        for resource in text.split("web::resource(").skip(1) {
            let compact: String = resource.chars().filter(|c| !c.is_whitespace()).collect();
            let Some((path, rest)) = compact.strip_prefix('"').and_then(|r| r.split_once('"')) else {
                continue;
            };
            let block = rest.split("web::resource(").next().unwrap_or_default();
            for call in block.split(".route(web::").skip(1) {
                if let Some((method, _)) = call.split_once("()") {
                    routes.insert((method.to_uppercase(), format!("{prefix}{path}")));
                }
            }
        }
    }
    routes
}

/// Academy A with its run (blended, started), learner, trainer and coordinator, an
/// attempt with an essay waiting, a certificate and an attendance day; academy B
/// with the same people and a run of its own; an observer and an administrator.
pub struct World {
    pub run: i64,
    pub enrolment: i64,
    pub attempt: i64,
    pub certificate: String,
    pub day: i64,
    pub learner: i64,
    pub trainer: i64,
    pub stylesheet: String,
    /// Academy A, which the records asked for belong to.
    pub institution: i64,
}

pub async fn world(app: &mut TestApp) -> World {
    app.with_courses("valid");
    let (academy_a, coordinator_a) =
        app.institution_with_coordinator("Academy A", Country::Kz, "coordinator.a@example.kz");
    let (academy_b, coordinator_b) =
        app.institution_with_coordinator("Academy B", Country::Kz, "coordinator.b@example.kz");
    let run = RunBuilder::new(academy_a, coordinator_a).mode("blended").insert(app);
    let run_b = RunBuilder::new(academy_b, coordinator_b).mode("blended").insert(app);
    let learner = app.create_user("learner.a@example.kz", Role::Learner, Some(academy_a));
    let learner_b = app.create_user("learner.b@example.kz", Role::Learner, Some(academy_b));
    app.admit(run, learner, "enrolled");
    app.admit(run_b, learner_b, "enrolled");
    let trainer = app.create_user("trainer.a@example.kz", Role::Trainer, Some(academy_a));
    let trainer_b = app.create_user("trainer.b@example.kz", Role::Trainer, Some(academy_b));
    app.make_trainer_of(run, trainer);
    app.make_trainer_of(run_b, trainer_b);
    app.create_user("observer@example.org", Role::Observer, None);
    app.create_user("admin@example.kz", Role::Admin, None);

    let token = app.api_token("learner.a@example.kz", PASSWORD).await;
    let started = app
        .api(
            Method::POST,
            "/api/v1/courses/demo-course/quizzes/final/attempts",
            Some(&token),
            None,
        )
        .await
        .json();
    let attempt = started["attempt_id"].as_i64().unwrap();
    app.api(
        Method::PUT,
        &format!("/api/v1/attempts/{attempt}/responses/essay"),
        Some(&token),
        Some(json!({"text": "Изъято в присутствии понятых."})),
    )
    .await;
    app.api(
        Method::POST,
        &format!("/api/v1/attempts/{attempt}/submit"),
        Some(&token),
        None,
    )
    .await;
    let enrolment = app
        .api(Method::GET, "/api/v1/me/enrolments", Some(&token), None)
        .await
        .json()[0]["id"]
        .as_i64()
        .unwrap();
    CertificateBuilder::new("MATRX-0001", learner, run).insert(app);

    let coordinator = app.api_token("coordinator.a@example.kz", PASSWORD).await;
    let day = app
        .api(
            Method::POST,
            &format!("/api/v1/runs/{run}/attendance/days"),
            Some(&coordinator),
            Some(json!({"held_on": chrono::Utc::now().date_naive().to_string(), "topic": "Изъятие"})),
        )
        .await;
    let day = day.json()["id"].as_i64().unwrap_or_else(|| panic!("{}", day.body));
    let home = app.get("/").await.body;
    let start = home.find("/static/bilim-").unwrap() + "/static/".len();
    let stylesheet = home[start..].split('"').next().unwrap().to_owned();
    World {
        run,
        enrolment,
        attempt,
        certificate: "MATRX-0001".into(),
        day,
        learner,
        trainer,
        stylesheet,
        institution: academy_a.get(),
    }
}

/// The path asked for a route: its placeholders filled with academy A's records.
pub fn concrete(route: &str, w: &World) -> String {
    let id = if route.starts_with("/admin/users/") {
        w.learner
    } else if route.starts_with("/admin/institutions/") {
        w.institution
    } else {
        w.enrolment
    };
    let file = if route.starts_with("/reports/") {
        "runs.csv".to_owned()
    } else {
        format!("{}.pdf", w.certificate)
    };
    let name = if route.starts_with("/static/") {
        w.stylesheet.clone()
    } else {
        "scheme.png".to_owned()
    };
    // Authoring addresses a section in a language, and its status a course.
    let query = if route.starts_with("/api/v1/authoring/courses/") {
        "?lang=kk"
    } else if route.starts_with("/authoring/sections/") || route.starts_with("/authoring/modules/") {
        "?language=kk"
    } else if route == "/api/v1/authoring/status" {
        "?course=demo-course"
    } else {
        ""
    };
    let path = route
        .replace("{run}", &w.run.to_string())
        .replace("{id}", &id.to_string())
        .replace("{attempt}", &w.attempt.to_string())
        .replace("{question}", "essay")
        .replace("{course}", "demo-course")
        .replace("{module}", "intro")
        .replace("{quiz}", "final")
        .replace("{code}", &w.certificate)
        .replace("{file}", &file)
        .replace("{day}", &w.day.to_string())
        .replace("{user}", &w.trainer.to_string())
        .replace("{name}", &name)
        .replace("{section}", "legal")
        .replace("{country}", "kz")
        .replace("{concept}", "unauthorised_access")
        .replace("{language}", "kk")
        .replace("{term}", "cybercrime");
    format!("{path}{query}")
}
