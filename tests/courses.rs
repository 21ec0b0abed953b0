//! Courses as learners and trainers use them: import, catalogue, modules in their
//! language and country, national law, completion and attachments.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use actix_web::http::{Method, StatusCode};
use bilim::accounts::model::{Country, Role};
use common::TestApp;
use serde_json::json;

async fn importing_twice_makes_no_new_revision_and_a_change_makes_one_keeping_progress(mut app: TestApp) {
    let dir = app.copy_courses("valid");
    let first = app.import_courses(&dir);
    assert_eq!(
        first.imported,
        vec![("demo-course".to_owned(), 1), ("other-course".to_owned(), 1)]
    );
    assert!(first.law_updated);
    let second = app.import_courses(&dir);
    assert!(second.imported.is_empty() && !second.law_updated, "{second:?}");
    assert_eq!(second.unchanged, ["demo-course", "other-course"]);

    app.sign_in_as("reader@example.kz", Role::Learner, Some(Country::Kz))
        .await;
    let done = app.post_form("/courses/demo-course/intro/complete", &[]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);

    let module = dir.join("demo-course/02-evidence/en.md");
    let text = std::fs::read_to_string(&module)
        .unwrap()
        .replace("is governed by", "is regulated by");
    std::fs::write(&module, text).unwrap();
    let third = app.import_courses(&dir);
    assert_eq!(third.imported, vec![("demo-course".to_owned(), 2)]);
    assert_eq!(third.unchanged, ["other-course"]);

    let progress = app.get("/courses/demo-course?lang=en").await;
    assert!(
        progress.body.contains("Modules completed: 1 of 2"),
        "progress survives a re-import"
    );
}

async fn an_import_reports_its_progress_module_by_module_and_counts_unchanged_courses_at_once(app: TestApp) {
    let dir = app.copy_courses("valid");
    let catalogue = bilim::courses::load::load(&dir);
    let import = |seen: &mut Vec<(usize, usize, String)>| {
        let mut conn = app.state.pool.get().unwrap();
        bilim::courses::import::import_with_progress(&mut conn, &catalogue, &mut |p| {
            seen.push((p.done, p.total, p.course.to_owned()))
        })
        .unwrap()
    };
    let mut first = Vec::new();
    let report = import(&mut first);
    assert_eq!(report.imported.len(), 2);
    // Two modules of demo-course, then the one of other-course, each counted once
    // imported; the count never goes back.
    let total = 3;
    assert_eq!(first.first(), Some(&(0, total, "demo-course".to_owned())));
    assert_eq!(first.last(), Some(&(total, total, "other-course".to_owned())));
    assert!(first.windows(2).all(|w| w[0].0 <= w[1].0), "{first:?}");
    for done in 1..=total {
        assert!(first.iter().any(|(d, ..)| *d == done), "{done} of {first:?}");
    }

    let mut again = Vec::new();
    let report = import(&mut again);
    assert_eq!(report.unchanged.len(), 2);
    assert_eq!(
        again,
        [
            (0, total, "demo-course".to_owned()),
            (2, total, "demo-course".to_owned()),
            (3, total, "other-course".to_owned())
        ],
        "unchanged courses count all their modules at once"
    );
}

async fn a_course_removed_from_the_folder_leaves_the_catalogue_but_keeps_progress(mut app: TestApp) {
    let dir = app.with_courses("valid");
    app.sign_in_as("keeper@example.kz", Role::Learner, None).await;
    app.post_form("/courses/other-course/only/complete", &[]).await;
    std::fs::remove_dir_all(dir.join("other-course")).unwrap();
    std::fs::write(
        dir.join("demo-course/course.toml"),
        std::fs::read_to_string(dir.join("demo-course/course.toml"))
            .unwrap()
            .replace("prerequisites = [\"other-course\"]", "prerequisites = []"),
    )
    .unwrap();
    let report = app.import_courses(&dir);
    assert_eq!(report.deactivated, ["other-course"]);
    assert!(!app.get("/courses?lang=en").await.body.contains("Other course"));
    assert_eq!(app.get("/courses/other-course").await.status, StatusCode::NOT_FOUND);
    common::copy_dir(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/courses/valid/other-course"),
        &dir.join("other-course"),
    );
    app.import_courses(&dir);
    let token = app.api_token("keeper@example.kz", common::PASSWORD).await;
    let progress = app
        .api(Method::GET, "/api/v1/courses/other-course/progress", Some(&token), None)
        .await
        .json();
    assert!(progress["modules"][0]["completed_at"].is_string(), "{progress}");
}

async fn the_catalogue_lists_courses_in_the_readers_language_and_filters_by_audience(mut app: TestApp) {
    app.with_courses("valid");
    let russian = app.get("/courses?lang=ru").await;
    assert_eq!(russian.status, StatusCode::OK);
    assert!(russian.body.contains("Демонстрационный курс") && russian.body.contains("Другой курс"));
    assert!(
        russian.body.contains("2,5 часа"),
        "fractional hours use the `other` form"
    );
    let kazakh = app.get("/courses?lang=kk").await;
    assert!(kazakh.body.contains("Демонстрациялық курс"));
    let english = app.get("/courses?lang=en&audience=prosecutor").await;
    assert!(english.body.contains("Other course") && !english.body.contains("Demo course"));
    assert_eq!(
        english.select(".course-card dd")[2],
        "English",
        "the languages a course is available in are listed"
    );
    let unknown = app.get("/courses?audience=astronaut&lang=en").await;
    assert!(
        unknown.body.contains("Demo course"),
        "an unknown filter shows everything"
    );
}

async fn the_course_overview_shows_modules_minutes_outcomes_and_prerequisites(mut app: TestApp) {
    app.with_courses("valid");
    let page = app.get("/courses/demo-course?lang=en").await;
    assert_eq!(page.status, StatusCode::OK);
    for text in [
        "Introduction",
        "Electronic evidence",
        "30 minutes",
        "45 minutes",
        "Explain what unauthorised access is",
        "Other course",
    ] {
        assert!(page.body.contains(text), "{text}");
    }
    assert_eq!(
        app.get("/courses/no-such-course?lang=en").await.status,
        StatusCode::NOT_FOUND
    );
}

async fn a_module_needs_a_signed_in_reader(mut app: TestApp) {
    app.with_courses("valid");
    let response = app.get("/courses/demo-course/intro").await;
    assert_eq!(response.status, StatusCode::SEE_OTHER);
    assert_eq!(response.location(), "/login?next=%2Fcourses%2Fdemo-course%2Fintro");
}

async fn a_missing_translation_falls_back_to_russian_with_a_notice(mut app: TestApp) {
    app.with_courses("valid");
    app.sign_in_as("kk@example.kz", Role::Learner, None).await;
    let kazakh = app.get("/courses/demo-course/intro?lang=kk").await;
    assert!(kazakh.body.contains("Кіріспе") && !kazakh.body.contains("course-fallback"));
    assert!(
        !kazakh.body.contains("notice--info"),
        "no notice when the language exists"
    );
    let fallback = app.get("/courses/demo-course/evidence?lang=kk").await;
    assert!(
        fallback.body.contains("Электронные доказательства"),
        "kk falls back to ru"
    );
    assert_eq!(
        fallback.select(".notice--info p"),
        ["Бұл модуль таңдалған тілде («Қазақша») әлі жоқ, сондықтан басқа тілде көрсетілген: «Русский»."]
    );
    assert_eq!(fallback.select_attr("article.module", "lang"), ["ru"]);
    let english_only = app.get("/courses/other-course/only?lang=kk").await;
    assert!(english_only.body.contains("Text in English only."), "then to English");
    assert_eq!(
        english_only.select(".notice--info p"),
        ["Бұл модуль таңдалған тілде («Қазақша») әлі жоқ, сондықтан басқа тілде көрсетілген: «English»."]
    );
    assert_eq!(english_only.select_attr("article.module", "lang"), ["en"]);
}

async fn a_reader_from_kazakhstan_sees_the_adaptation_and_can_reach_the_original(mut app: TestApp) {
    app.with_courses("valid");
    app.sign_in_as("kz@example.kz", Role::Learner, Some(Country::Kz)).await;
    let adapted = app.get("/courses/demo-course/intro?lang=ru").await;
    assert!(
        adapted.body.contains("Правовая основа в Казахстане"),
        "{}",
        adapted.body
    );
    assert!(adapted.body.contains("Адаптирован к законодательству: Казахстан"));
    assert!(
        adapted.body.contains("Порядок действий"),
        "sections not adapted come from the base text"
    );
    let original = app.get("/courses/demo-course/intro?lang=ru&country=none").await;
    assert!(!original.body.contains("Правовая основа в Казахстане") && original.body.contains("Правовая основа"));
    assert!(
        original.body.contains("?country=kz"),
        "the adaptation stays one click away"
    );
    let learner_preview = app.get("/courses/demo-course/intro?lang=ru&country=uz").await;
    assert!(
        learner_preview.body.contains("Правовая основа в Казахстане"),
        "learners do not preview other countries"
    );
    let english = app.get("/courses/demo-course/intro?lang=en").await;
    assert!(
        english.body.contains("Legal basis") && !english.body.contains("badge\""),
        "no adaptation in English: base text"
    );
}

async fn trainers_preview_any_countrys_version(mut app: TestApp) {
    app.with_courses("valid");
    app.sign_in_as("trainer@example.kz", Role::Trainer, Some(Country::Uz))
        .await;
    let kz = app.get("/courses/demo-course/intro?lang=ru&country=kz").await;
    assert!(kz.body.contains("Правовая основа в Казахстане"));
    assert!(kz.body.contains("статья 205"));
    let uz = app.get("/courses/demo-course/intro?lang=ru&country=uz").await;
    assert!(!uz.body.contains("в Казахстане") && uz.body.contains("статья 278-2"));
    assert!(uz.body.contains("Просмотр национальной версии"));
}

async fn law_references_follow_the_readers_country_and_language(mut app: TestApp) {
    app.with_courses("valid");
    app.sign_in_as("uz@example.kz", Role::Learner, Some(Country::Uz)).await;
    let english = app.get("/courses/demo-course/intro?lang=en").await;
    assert!(
        english.body.contains(
            "Criminal Code of the Republic of Uzbekistan, Article 278-2: Unauthorised access to computer information"
        ),
        "{}",
        english.body
    );
    assert!(english.body.contains("to be verified by a national trainer"));

    app.sign_in_as("kz.law@example.kz", Role::Learner, Some(Country::Kz))
        .await;
    let kazakh = app.get("/courses/demo-course/intro?lang=kk").await;
    assert!(kazakh.body.contains("Қазақстан Республикасының Қылмыстық кодексі"));
    assert!(
        !kazakh.body.contains("law-ref__unverified"),
        "a verified entry carries no mark"
    );
    let procedure = app.get("/courses/demo-course/evidence?lang=en").await;
    assert!(procedure
        .body
        .contains("Criminal Procedure Code of the Republic of Kazakhstan: Evidence in electronic form"));

    app.sign_in_as("nowhere@example.kz", Role::Learner, None).await;
    let compared = app.get("/courses/demo-course/intro?lang=en").await;
    assert!(
        compared
            .body
            .contains("KZ Article 205 · KG Article kg-100 · TJ Article tj-100 · TM Article tm-100 · UZ Article 278-2"),
        "{}",
        compared.body
    );
    assert!(compared.has("#law-unauthorised_access"));
    for country in ["Kazakhstan", "Kyrgyzstan", "Tajikistan", "Turkmenistan", "Uzbekistan"] {
        assert!(compared.body.contains(country), "{country}");
    }
    let missing = app.get("/courses/demo-course/evidence?lang=en").await;
    assert!(missing.body.contains("no specific provision recorded for this country"));
}

async fn module_text_is_rendered_with_admonitions_tables_and_navigation(mut app: TestApp) {
    app.with_courses("valid");
    app.sign_in_as("nav@example.kz", Role::Learner, None).await;
    let page = app.get("/courses/demo-course/intro?lang=en").await;
    for text in [
        "admonition--legal",
        "admonition--warning",
        "<table>",
        "/courses/demo-course/intro/files/scheme.png",
        "/courses/demo-course/evidence",
        "Module 1 of 2",
        "<code>{{law:unauthorised_access}}</code>",
    ] {
        assert!(page.body.contains(text), "{text}");
    }
    assert_eq!(
        page.select_attr(".pager a[rel~=next]", "href"),
        ["/courses/demo-course/evidence"]
    );
    assert!(!page.body.contains("rel=\"prev\""));
    assert_eq!(
        app.get("/courses/demo-course/no-such-module").await.status,
        StatusCode::NOT_FOUND
    );
}

/// When `user` completed `module` of the demo course, as stored.
fn completed_at(app: &TestApp, user: i64, module: &str) -> Option<chrono::NaiveDateTime> {
    use bilim::db::schema::module_progress;
    use diesel::prelude::*;
    let mut conn = app.state.pool.get().unwrap();
    module_progress::table
        .find((user, "demo-course", module))
        .select(module_progress::completed_at)
        .first(&mut conn)
        .unwrap()
}

/// Moves the stored completion of `module` back to `at`, as if it had been completed then.
fn backdate_completion(app: &TestApp, user: i64, module: &str, at: chrono::NaiveDateTime) {
    use bilim::db::schema::module_progress;
    use diesel::prelude::*;
    let mut conn = app.state.pool.get().unwrap();
    let changed = diesel::update(module_progress::table.find((user, "demo-course", module)))
        .set(module_progress::completed_at.eq(Some(at)))
        .execute(&mut conn)
        .unwrap();
    assert_eq!(changed, 1);
}

fn a_year_ago() -> chrono::NaiveDateTime {
    chrono::NaiveDate::from_ymd_opt(2025, 1, 15)
        .unwrap()
        .and_hms_opt(10, 0, 0)
        .unwrap()
}

async fn marking_a_module_complete_records_it_once_with_its_time(mut app: TestApp) {
    app.with_courses("valid");
    let user = app.sign_in_as("done@example.kz", Role::Learner, None).await;
    assert!(app
        .get("/courses/demo-course/intro?lang=en")
        .await
        .body
        .contains("Mark this module as complete"));
    let done = app.post_form("/courses/demo-course/intro/complete", &[]).await;
    assert_eq!(done.location(), "/courses/demo-course/intro#completion");
    assert!(completed_at(&app, user, "intro").is_some());
    let page = app.get("/courses/demo-course/intro?lang=en").await;
    assert!(page.body.contains("Completed on"));
    backdate_completion(&app, user, "intro", a_year_ago());
    let again = app.post_form("/courses/demo-course/intro/complete", &[]).await;
    assert_eq!(again.location(), "/courses/demo-course/intro#completion");
    assert_eq!(
        completed_at(&app, user, "intro"),
        Some(a_year_ago()),
        "completing it again keeps the first completion's time"
    );
    let page = app.get("/courses/demo-course/intro?lang=en").await;
    assert_eq!(page.select(".status--done"), ["Completed on 15 January 2025"]);
    let forged = app
        .post_form_without_token("/courses/demo-course/evidence/complete", &[])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let unknown = app.post_form("/courses/demo-course/nope/complete", &[]).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

async fn the_progress_api_reports_each_module_with_its_completion_time(mut app: TestApp) {
    app.with_courses("valid");
    let user = app.create_user("api.reader@example.kz", Role::Learner, None);
    let token = app.api_token("api.reader@example.kz", common::PASSWORD).await;
    let before = app
        .api(Method::GET, "/api/v1/courses/demo-course/progress", Some(&token), None)
        .await;
    assert_eq!(
        before.json(),
        json!({"modules": [{"id": "intro", "completed_at": null}, {"id": "evidence", "completed_at": null}]})
    );
    let done = app
        .api(
            Method::POST,
            "/api/v1/courses/demo-course/modules/evidence/complete",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(done.status, StatusCode::NO_CONTENT);
    assert!(completed_at(&app, user, "evidence").is_some());
    backdate_completion(&app, user, "evidence", a_year_ago());
    let again = app
        .api(
            Method::POST,
            "/api/v1/courses/demo-course/modules/evidence/complete",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::NO_CONTENT);
    let after = app
        .api(Method::GET, "/api/v1/courses/demo-course/progress", Some(&token), None)
        .await
        .json();
    assert!(after["modules"][0]["completed_at"].is_null());
    let at = after["modules"][1]["completed_at"].as_str().unwrap();
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(at).unwrap().naive_utc(),
        a_year_ago(),
        "completing it again keeps the first completion's time: {at}"
    );
    assert_eq!(completed_at(&app, user, "evidence"), Some(a_year_ago()));
    assert_eq!(
        app.api(
            Method::POST,
            "/api/v1/courses/demo-course/modules/nope/complete",
            Some(&token),
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.api(Method::GET, "/api/v1/courses/nope/progress", Some(&token), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.api(Method::GET, "/api/v1/courses/demo-course/progress", None, None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

async fn attachments_are_served_with_their_type_and_nothing_outside_the_course(mut app: TestApp) {
    app.with_courses("valid");
    app.sign_in_as("files@example.kz", Role::Learner, None).await;
    let image = app.get("/courses/demo-course/intro/files/scheme.png").await;
    assert_eq!(image.status, StatusCode::OK);
    assert_eq!(image.header("content-type"), "image/png");
    assert!(image.header("content-security-policy").contains("sandbox"));
    for path in [
        "/courses/demo-course/intro/files/missing.png",
        "/courses/demo-course/intro/files/..%2F..%2Fcourse.toml",
        "/courses/demo-course/intro/files/en.md",
        "/courses/demo-course/intro/files/%2Fetc%2Fpasswd",
    ] {
        assert_eq!(app.get(path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
}
async fn a_learner_who_may_not_read_a_module_cannot_download_its_files_either(mut app: TestApp) {
    app.with_courses("valid");
    let (institution, coordinator) =
        app.institution_with_coordinator("Академия МВД", Country::Kz, "coordinator@example.kz");
    common::fixtures::RunBuilder::new(institution, coordinator).insert(&app);
    app.sign_in_as("outsider@example.kz", Role::Learner, None).await;

    let module = app.get("/courses/demo-course/intro").await;
    assert_eq!(module.status, StatusCode::FORBIDDEN, "not enrolled in the course's run");
    let image = app.get("/courses/demo-course/intro/files/scheme.png").await;
    assert_eq!(
        image.status,
        StatusCode::FORBIDDEN,
        "the module's files are closed alike"
    );
    assert!(!image.bytes.starts_with(b"\x89PNG"));
}

on_both_backends!(
    an_import_reports_its_progress_module_by_module_and_counts_unchanged_courses_at_once,
    a_learner_who_may_not_read_a_module_cannot_download_its_files_either,
    importing_twice_makes_no_new_revision_and_a_change_makes_one_keeping_progress,
    a_course_removed_from_the_folder_leaves_the_catalogue_but_keeps_progress,
    the_catalogue_lists_courses_in_the_readers_language_and_filters_by_audience,
    the_course_overview_shows_modules_minutes_outcomes_and_prerequisites,
    a_module_needs_a_signed_in_reader,
    a_missing_translation_falls_back_to_russian_with_a_notice,
    a_reader_from_kazakhstan_sees_the_adaptation_and_can_reach_the_original,
    trainers_preview_any_countrys_version,
    law_references_follow_the_readers_country_and_language,
    module_text_is_rendered_with_admonitions_tables_and_navigation,
    marking_a_module_complete_records_it_once_with_its_time,
    the_progress_api_reports_each_module_with_its_completion_time,
    attachments_are_served_with_their_type_and_nothing_outside_the_course
);
