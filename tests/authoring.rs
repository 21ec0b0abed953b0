//! Trainer authoring through the JSON API and the learners' pages: the workflow of a
//! section, four eyes, the cascade from the base through a translation to a national
//! adaptation, whitespace-only re-basing, law amendments, the files and the database
//! kept one (export, import, restart), and who may do what.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use actix_web::http::{Method, StatusCode};
use bilim::db::schema::{audit_events, users};
use common::authoring::{get, page_text, people, post, publish, put, revisions, section};
use common::{TestApp, PASSWORD};
use diesel::prelude::*;
use serde_json::{json, Value};

const KK_LEGAL: &str = "## Құқықтық негіз {#legal}\n\nЗаңсыз қол жеткізу үшін {{law:unauthorised_access}} бойынша жауапкершілік көзделген.";

async fn a_translation_is_drafted_submitted_and_approved_by_someone_else_before_learners_read_it(mut app: TestApp) {
    app.with_courses("valid");
    let p = people(&mut app).await;
    let url = section("intro", "legal", "kk", None);
    let before = get(&mut app, &p.kz_trainer, &url).await;
    assert_eq!(before["state"], "approved");
    assert_eq!(before["freshness"], "current");
    assert!(before["markdown"]
        .as_str()
        .unwrap()
        .starts_with("## Құқықтық негіз {#legal}"));
    assert!(before["base_markdown"].as_str().unwrap().contains("{#legal}"));

    let saved = put(&mut app, &p.kz_trainer, &url, KK_LEGAL).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    assert_eq!(saved.json()["state"], "draft");
    assert_eq!(saved.json()["revision"], 2);
    assert!(!page_text(&app, "kk", "KZ").await.contains("жауапкершілік көзделген"));

    let submitted = post(&mut app, &p.kz_trainer, &url, "submit", json!({})).await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.body);
    assert_eq!(submitted.json()["state"], "in_review");
    let during_review = page_text(&app, "kk", "KZ").await;
    assert!(
        during_review.contains("бойынша жазаланады"),
        "the last approved text stays live"
    );
    assert!(!during_review.contains("жауапкершілік көзделген"));

    let own = post(&mut app, &p.kz_trainer, &url, "approve", json!({})).await;
    assert_eq!(
        own.status,
        StatusCode::FORBIDDEN,
        "four eyes: the last editor may not approve"
    );
    let approved = post(&mut app, &p.kz_reviewer, &url, "approve", json!({})).await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    assert_eq!(approved.json()["state"], "approved");
    assert!(page_text(&app, "kk", "KZ").await.contains("жауапкершілік көзделген"));

    let after = get(&mut app, &p.admin, &url).await;
    let history = after["history"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[1]["state"], "approved");
    assert_eq!(history[1]["comment"], "test edit");
    assert_eq!(history[0]["by"], Value::Null, "the first revision came from the files");
}

async fn changes_requested_need_a_comment_and_send_the_section_back_to_draft(mut app: TestApp) {
    app.with_courses("valid");
    let p = people(&mut app).await;
    let url = section("intro", "legal", "kk", None);
    assert_eq!(
        post(&mut app, &p.kz_trainer, &url, "submit", json!({})).await.status,
        StatusCode::CONFLICT
    );
    put(&mut app, &p.kz_trainer, &url, KK_LEGAL).await;
    assert_eq!(
        post(&mut app, &p.kz_reviewer, &url, "approve", json!({})).await.status,
        StatusCode::CONFLICT
    );
    post(&mut app, &p.kz_trainer, &url, "submit", json!({})).await;
    let silent = post(&mut app, &p.kz_reviewer, &url, "request-changes", json!({})).await;
    assert_eq!(silent.status, StatusCode::BAD_REQUEST, "{}", silent.body);
    let sent_back = post(
        &mut app,
        &p.kz_reviewer,
        &url,
        "request-changes",
        json!({ "comment": "Use the Code's wording." }),
    )
    .await;
    assert_eq!(sent_back.status, StatusCode::OK, "{}", sent_back.body);
    let state = get(&mut app, &p.kz_trainer, &url).await;
    assert_eq!(state["state"], "changes_requested");
    assert_eq!(state["history"][1]["review_comment"], "Use the Code's wording.");
    // Back to draft: the author edits and submits again.
    let again = put(&mut app, &p.kz_trainer, &url, &format!("{KK_LEGAL}\n\nҚосымша.")).await;
    assert_eq!(again.json()["state"], "draft");
    assert_eq!(
        post(&mut app, &p.kz_trainer, &url, "submit", json!({})).await.status,
        StatusCode::OK
    );
    assert_eq!(
        post(&mut app, &p.coordinator_kz, &url, "approve", json!({}))
            .await
            .status,
        StatusCode::OK
    );
}

async fn a_section_whose_heading_names_another_id_is_refused(mut app: TestApp) {
    app.with_courses("valid");
    let p = people(&mut app).await;
    let url = section("intro", "legal", "kk", None);
    for markdown in [
        "## Құқықтық негіз {#procedure}\n\nМәтін.",
        "## Құқықтық негіз\n\nМәтін.",
        "Мәтін тақырыпсыз.",
        "## Құқықтық негіз {#legal}\n\nМәтін.\n\n## Тағы бір {#other}\n\nМәтін.",
        "## Құқықтық негіз {#legal}\n\nNUL \u{0} inside.",
    ] {
        let refused = put(&mut app, &p.kz_trainer, &url, markdown).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{markdown}: {}", refused.body);
        assert!(refused.json()["error"].is_string());
    }
    assert_eq!(
        get(&mut app, &p.kz_trainer, &url).await["history"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

async fn a_word_mixing_latin_and_cyrillic_letters_is_refused_at_submission_with_the_check(mut app: TestApp) {
    app.with_courses("valid");
    let p = people(&mut app).await;
    let kk = section("intro", "legal", "kk", None);
    let mixed = "## Құқықтық негіз {#legal}\n\nЗаңсыз қoл жеткізу {{law:unauthorised_access}} бойынша жазаланады.";
    put(&mut app, &p.kz_trainer, &kk, mixed).await;
    let refused = post(&mut app, &p.kz_trainer, &kk, "submit", json!({})).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    let body = refused.json();
    assert!(body["error"].is_string());
    let checks = body["checks"].as_array().unwrap();
    assert!(
        checks
            .iter()
            .any(|c| c["level"] == "error" && c["code"] == "wrong_script"),
        "{checks:?}"
    );
    assert_eq!(get(&mut app, &p.kz_trainer, &kk).await["state"], "draft");
}

async fn a_base_change_outdates_the_translation_and_a_translation_change_outdates_the_adaptation(mut app: TestApp) {
    app.with_courses("valid");
    let p = people(&mut app).await;
    let en = section("intro", "legal", "en", None);
    let ru = section("intro", "legal", "ru", None);
    let kk = section("intro", "legal", "kk", None);
    let kz_ru = section("intro", "legal", "ru", Some("kz"));
    for url in [&ru, &kk, &kz_ru] {
        assert_eq!(get(&mut app, &p.admin, url).await["freshness"], "current", "{url}");
    }
    publish(
        &mut app,
        &p.admin,
        &p.second_admin,
        &en,
        "## Legal basis {#legal}\n\nUnauthorised access and its attempt are punished under {{law:unauthorised_access}}.",
    )
    .await;
    assert_eq!(get(&mut app, &p.admin, &ru).await["freshness"], "outdated");
    assert_eq!(
        get(&mut app, &p.admin, &kk).await["freshness"],
        "current",
        "kk is made from ru, unchanged"
    );
    assert_eq!(get(&mut app, &p.admin, &kz_ru).await["freshness"], "current");
    let diff_source = get(&mut app, &p.admin, &ru).await;
    assert!(diff_source["base_markdown"].as_str().unwrap().contains("its attempt"));

    publish(
        &mut app,
        &p.kz_reviewer,
        &p.admin,
        &ru,
        "## Правовая основа {#legal}\n\nНеправомерный доступ и покушение на него наказываются по {{law:unauthorised_access}}.",
    )
    .await;
    assert_eq!(get(&mut app, &p.admin, &ru).await["freshness"], "current");
    assert_eq!(get(&mut app, &p.admin, &kk).await["freshness"], "outdated");
    assert_eq!(get(&mut app, &p.admin, &kz_ru).await["freshness"], "outdated");

    // The adapter decides the adaptation is still valid.
    let confirmed = post(&mut app, &p.kz_trainer, &kz_ru, "confirm", json!({})).await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
    let now = get(&mut app, &p.admin, &kz_ru).await;
    assert_eq!(now["freshness"], "current");
    assert_eq!(now["state"], "approved");
    assert!(now["based_on_markdown"].as_str().unwrap().contains("покушение"));
    let status = app
        .api(
            Method::GET,
            "/api/v1/authoring/status?course=demo-course",
            Some(&p.kz_trainer),
            None,
        )
        .await;
    assert_eq!(status.status, StatusCode::OK);
    let rows = status.json();
    let kk_row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["module"] == "intro" && r["lang"] == "kk" && r["country"].is_null())
        .unwrap()
        .clone();
    assert_eq!(kk_row["sections"], 2);
    assert_eq!(kk_row["outdated"], 1);
    assert_eq!(kk_row["approved"], 2);
    assert_eq!(kk_row["in_review"], 0);
    assert_eq!(kk_row["law_changed"], 0);
}

async fn a_whitespace_only_base_edit_rebases_its_dependants_and_is_logged(mut app: TestApp) {
    app.with_courses("valid");
    let p = people(&mut app).await;
    let en = section("intro", "procedure", "en", None);
    let ru = section("intro", "procedure", "ru", None);
    let base = get(&mut app, &p.admin, &en).await["markdown"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = get(&mut app, &p.admin, &ru).await["history"].as_array().unwrap().len();
    let rewrapped = base.replace("(../02-evidence/) and", "(../02-evidence/)\nand");
    assert_ne!(rewrapped, base);
    publish(&mut app, &p.admin, &p.second_admin, &en, &rewrapped).await;
    let ru_now = get(&mut app, &p.admin, &ru).await;
    assert_eq!(ru_now["freshness"], "current");
    let history = ru_now["history"].as_array().unwrap();
    assert_eq!(history.len(), before + 1);
    assert_eq!(history.last().unwrap()["origin"], "rebase");
    assert_eq!(ru_now["based_on_markdown"], rewrapped.as_str());
    let mut conn = app.state.pool.get().unwrap();
    let logged: i64 = audit_events::table
        .filter(audit_events::action.eq("section_rebased"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(logged, 1);
    drop(conn);
    // A change of words is not re-based.
    let reworded = rewrapped.replace("Secure the scene", "Cordon off the scene");
    publish(&mut app, &p.admin, &p.second_admin, &en, &reworded).await;
    assert_eq!(get(&mut app, &p.admin, &ru).await["freshness"], "outdated");
}

async fn an_amended_law_flags_exactly_the_sections_citing_it_until_confirmed(mut app: TestApp) {
    app.with_courses("valid");
    let p = people(&mut app).await;
    let amend = json!({ "effective": "2026-11-01", "note": "Article 205 reworded" });
    let wrong_country = app
        .api(
            Method::POST,
            "/api/v1/law/kz/unauthorised_access/amend",
            Some(&p.uz_trainer),
            Some(amend.clone()),
        )
        .await;
    assert_eq!(wrong_country.status, StatusCode::FORBIDDEN);
    let learner = app
        .api(
            Method::POST,
            "/api/v1/law/kz/unauthorised_access/amend",
            Some(&p.learner),
            Some(amend.clone()),
        )
        .await;
    assert_eq!(learner.status, StatusCode::FORBIDDEN);
    let bad_date = app
        .api(
            Method::POST,
            "/api/v1/law/kz/unauthorised_access/amend",
            Some(&p.kz_trainer),
            Some(json!({ "effective": "1. 11. 2026" })),
        )
        .await;
    assert_eq!(bad_date.status, StatusCode::BAD_REQUEST);
    let amended = app
        .api(
            Method::POST,
            "/api/v1/law/kz/unauthorised_access/amend",
            Some(&p.kz_trainer),
            Some(amend),
        )
        .await;
    assert_eq!(amended.status, StatusCode::OK, "{}", amended.body);

    let kz_ru = section("intro", "legal", "ru", Some("kz"));
    assert_eq!(get(&mut app, &p.admin, &kz_ru).await["freshness"], "law_changed");
    for lang in ["en", "ru", "kk"] {
        let url = section("intro", "legal", lang, None);
        assert_eq!(
            get(&mut app, &p.admin, &url).await["freshness"],
            "law_changed",
            "{lang}"
        );
        let procedure = section("intro", "procedure", lang, None);
        assert_eq!(
            get(&mut app, &p.admin, &procedure).await["freshness"],
            "current",
            "{lang}"
        );
    }
    assert_eq!(
        get(&mut app, &p.admin, &section("evidence", "preservation", "en", None)).await["freshness"],
        "current"
    );
    let confirmed = post(&mut app, &p.kz_trainer, &kz_ru, "confirm", json!({})).await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
    assert_eq!(get(&mut app, &p.admin, &kz_ru).await["freshness"], "current");
}

async fn a_law_entry_is_changed_only_after_a_second_person_approves_it(mut app: TestApp) {
    app.with_courses("valid");
    let p = people(&mut app).await;
    let entry = json!({
        "article": "205-1",
        "code": { "ru": "Уголовный кодекс Республики Казахстан", "kk": "Қазақстан Республикасының Қылмыстық кодексі" },
        "title": { "ru": "Неправомерный доступ к информации", "kk": "Ақпаратқа заңсыз қол жеткізу" },
        "note": {},
        "source": "https://adilet.zan.kz/rus/docs/K1400000226",
        "verified": true
    });
    let outsider = app
        .api(
            Method::PUT,
            "/api/v1/law/kz/unauthorised_access",
            Some(&p.uz_trainer),
            Some(entry.clone()),
        )
        .await;
    assert_eq!(outsider.status, StatusCode::FORBIDDEN);
    let bad = app
        .api(
            Method::PUT,
            "/api/v1/law/kz/unauthorised_access",
            Some(&p.kz_trainer),
            Some(json!({ "article": "205", "title": { "xx": "?" }, "source": "javascript:alert(1)" })),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    let proposed = app
        .api(
            Method::PUT,
            "/api/v1/law/kz/unauthorised_access",
            Some(&p.kz_trainer),
            Some(entry),
        )
        .await;
    assert_eq!(proposed.status, StatusCode::OK, "{}", proposed.body);
    assert_eq!(proposed.json()["state"], "in_review");
    assert!(page_text(&app, "ru", "KZ").await.contains("205"));
    assert!(!page_text(&app, "ru", "KZ").await.contains("205-1"));
    let own = app
        .api(
            Method::POST,
            "/api/v1/law/kz/unauthorised_access/approve",
            Some(&p.kz_trainer),
            None,
        )
        .await;
    assert_eq!(own.status, StatusCode::FORBIDDEN);
    let other_country = app
        .api(
            Method::POST,
            "/api/v1/law/kz/unauthorised_access/approve",
            Some(&p.coordinator_uz),
            None,
        )
        .await;
    assert_eq!(other_country.status, StatusCode::FORBIDDEN);
    let approved = app
        .api(
            Method::POST,
            "/api/v1/law/kz/unauthorised_access/approve",
            Some(&p.coordinator_kz),
            None,
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    assert!(
        page_text(&app, "ru", "KZ").await.contains("205-1"),
        "every page shows the new article at once"
    );
}

async fn export_then_import_changes_nothing_and_a_second_export_is_byte_identical(mut app: TestApp) {
    let original = app.with_courses("valid");
    let p = people(&mut app).await;
    publish(
        &mut app,
        &p.kz_trainer,
        &p.kz_reviewer,
        &section("intro", "legal", "kk", None),
        KK_LEGAL,
    )
    .await;
    publish(
        &mut app,
        &p.kz_trainer,
        &p.kz_reviewer,
        &section("intro", "procedure", "ru", Some("kz")),
        "## Порядок действий в Казахстане {#procedure}\n\nОбеспечьте сохранность места происшествия по правилам УПК РК. См. [следующий модуль](../02-evidence/).",
    )
    .await;
    let first = app.data_dir.path().join("export-1");
    let second = app.data_dir.path().join("export-2");
    {
        let mut conn = app.state.pool.get().unwrap();
        bilim::authoring::export::export(&mut conn, &original, &first, None).unwrap();
    }
    let exported_kk = std::fs::read_to_string(first.join("demo-course/01-intro/kk.md")).unwrap();
    assert!(exported_kk.contains("жауапкершілік көзделген"));
    assert!(exported_kk.contains("[based_on]"));
    let catalogue = bilim::courses::load::load(&first);
    assert!(
        !catalogue.diagnostics.has_errors(),
        "{:#?}",
        catalogue.diagnostics.all()
    );
    let before = revisions(&app);
    app.import_courses(&first);
    assert_eq!(revisions(&app), before, "importing the export makes no new revision");
    {
        let mut conn = app.state.pool.get().unwrap();
        bilim::authoring::export::export(&mut conn, &first, &second, None).unwrap();
    }
    for file in [
        "demo-course/01-intro/kk.md",
        "demo-course/01-intro/national/kz/ru.md",
        "demo-course/01-intro/en.md",
        "_law/kz.toml",
    ] {
        assert_eq!(
            std::fs::read(first.join(file)).unwrap(),
            std::fs::read(second.join(file)).unwrap(),
            "{file}"
        );
    }
    // An untouched text keeps the files' bytes.
    assert_eq!(
        std::fs::read(original.join("demo-course/01-intro/en.md")).unwrap(),
        std::fs::read(first.join("demo-course/01-intro/en.md")).unwrap()
    );
}

async fn importing_the_original_files_again_keeps_work_approved_in_the_browser(mut app: TestApp) {
    let dir = app.with_courses("valid");
    let p = people(&mut app).await;
    let kk = section("intro", "legal", "kk", None);
    publish(&mut app, &p.kz_trainer, &p.kz_reviewer, &kk, KK_LEGAL).await;
    // Another file of the course changes, so the course is imported again.
    let evidence = dir.join("demo-course/02-evidence/en.md");
    let text = std::fs::read_to_string(&evidence).unwrap();
    std::fs::write(&evidence, format!("{text}\nOne more line.\n")).unwrap();
    app.import_courses(&dir);
    let mut app = app.restart().await;
    assert!(page_text(&app, "kk", "KZ").await.contains("жауапкершілік көзделген"));
    assert_eq!(get(&mut app, &p.admin, &kk).await["state"], "approved");

    // A file that differs from the browser's approved text arrives as a proposal.
    let kk_file = dir.join("demo-course/01-intro/kk.md");
    let text = std::fs::read_to_string(&kk_file).unwrap();
    std::fs::write(&kk_file, text.replace("бойынша жазаланады", "бойынша қатаң жазаланады")).unwrap();
    app.import_courses(&dir);
    let state = get(&mut app, &p.admin, &kk).await;
    assert_eq!(state["state"], "in_review");
    assert_eq!(state["history"].as_array().unwrap().last().unwrap()["origin"], "file");
    assert!(page_text(&app, "kk", "KZ").await.contains("жауапкершілік көзделген"));
}

async fn only_authors_reach_the_authoring_api_and_each_only_their_cells(mut app: TestApp) {
    app.with_courses("valid");
    let p = people(&mut app).await;
    let kk = section("intro", "legal", "kk", None);
    let en = section("intro", "legal", "en", None);
    let kz_ru = section("intro", "legal", "ru", Some("kz"));
    let status = "/api/v1/authoring/status?course=demo-course";
    for token in [&p.learner, &p.observer] {
        assert_eq!(
            app.api(Method::GET, &kk, Some(token), None).await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(put(&mut app, token, &kk, KK_LEGAL).await.status, StatusCode::FORBIDDEN);
        for name in ["submit", "approve", "request-changes", "confirm"] {
            assert_eq!(
                post(&mut app, token, &kk, name, json!({"comment": "x"})).await.status,
                StatusCode::FORBIDDEN
            );
        }
        assert_eq!(
            app.api(Method::GET, status, Some(token), None).await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            app.api(Method::GET, "/api/v1/law/kz", Some(token), None).await.status,
            StatusCode::FORBIDDEN
        );
    }
    assert_eq!(
        app.api(Method::GET, &kk, None, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    // A trainer edits their country's adaptations and their languages, not the base.
    assert_eq!(
        put(&mut app, &p.kz_trainer, &en, "## Legal basis {#legal}\n\nText.")
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        put(&mut app, &p.uz_trainer, &kk, KK_LEGAL).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        put(&mut app, &p.uz_trainer, &kz_ru, "## Правовая основа {#legal}\n\nТекст.")
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        put(
            &mut app,
            &p.kz_trainer,
            &kz_ru,
            "## Правовая основа {#legal}\n\nТекст {{law:unauthorised_access}}."
        )
        .await
        .status,
        StatusCode::OK
    );
    // Coordinators approve but do not write.
    assert_eq!(
        put(
            &mut app,
            &p.coordinator_kz,
            &kz_ru,
            "## Правовая основа {#legal}\n\nТекст."
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post(&mut app, &p.kz_trainer, &kz_ru, "submit", json!({})).await.status,
        StatusCode::OK
    );
    assert_eq!(
        post(&mut app, &p.coordinator_uz, &kz_ru, "approve", json!({}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post(&mut app, &p.uz_trainer, &kz_ru, "approve", json!({})).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post(&mut app, &p.coordinator_kz, &kz_ru, "approve", json!({}))
            .await
            .status,
        StatusCode::OK
    );
    // Unknown cells and parameters.
    let missing = section("intro", "no-such-section", "kk", None);
    assert_eq!(
        app.api(Method::GET, &missing, Some(&p.admin), None).await.status,
        StatusCode::NOT_FOUND
    );
    let bad_lang = "/api/v1/authoring/courses/demo-course/modules/intro/sections/legal?lang=xx";
    assert_eq!(
        app.api(Method::GET, bad_lang, Some(&p.admin), None).await.status,
        StatusCode::BAD_REQUEST
    );
    let bad_country = section("intro", "legal", "ru", Some("fr"));
    assert_eq!(
        app.api(Method::GET, &bad_country, Some(&p.admin), None).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.api(
            Method::GET,
            "/api/v1/authoring/status?course=nope",
            Some(&p.admin),
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
}

async fn authored_markdown_is_sanitised_like_the_files(mut app: TestApp) {
    app.with_courses("valid");
    let p = people(&mut app).await;
    publish(
        &mut app,
        &p.admin,
        &p.second_admin,
        &section("intro", "procedure", "en", None),
        "## Procedure {#procedure}\n\n<script>alert(1)</script><img src=x onerror=\"alert(2)\">\n\nA [link](javascript:alert(3)).",
    )
    .await;
    let mut browser = app.browser();
    browser.sign_in("learner@bilim.test", PASSWORD).await;
    let mut conn = app.state.pool.get().unwrap();
    diesel::update(users::table.filter(users::email.eq("learner@bilim.test")))
        .set((users::locale.eq("en"), users::country.eq::<Option<&str>>(None)))
        .execute(&mut conn)
        .unwrap();
    drop(conn);
    let page = browser.get("/courses/demo-course/intro").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("<script>alert"), "{}", page.body);
    assert!(!page.body.contains("onerror"));
    assert!(!page.body.contains("href=\"javascript"), "{}", page.body);
    assert!(
        page.body.contains("link</a>.") || page.body.contains("A link."),
        "the link text stays: {}",
        page.body
    );
}

async fn a_translation_begun_in_the_browser_reaches_learners_only_once_every_section_is_approved(mut app: TestApp) {
    let original = app.with_courses("valid");
    let p = people(&mut app).await;
    let legal = section("intro", "legal", "uz", None);
    let procedure = section("intro", "procedure", "uz", None);
    assert_eq!(
        get_status(&mut app, &p.uz_trainer, &legal).await,
        StatusCode::NOT_FOUND,
        "nothing written yet"
    );
    assert_eq!(
        put(
            &mut app,
            &p.kz_trainer,
            &legal,
            "## Huquqiy asos {#legal}\n\nMatn {{law:unauthorised_access}}."
        )
        .await
        .status,
        StatusCode::FORBIDDEN,
        "Uzbek is not among the Kazakh trainer's languages"
    );
    publish(
        &mut app,
        &p.uz_trainer,
        &p.admin,
        &legal,
        "## Huquqiy asos {#legal}\n\nQonunga xilof kirish {{law:unauthorised_access}} boʻyicha jazolanadi.",
    )
    .await;
    let state = get(&mut app, &p.admin, &legal).await;
    assert_eq!(state["freshness"], "current");
    assert!(
        state["base_markdown"].as_str().unwrap().contains("Правовая основа"),
        "made from Russian"
    );
    assert!(
        !page_text(&app, "uz", "UZ").await.contains("boʻyicha jazolanadi"),
        "half a translation is not shown"
    );
    publish(
        &mut app,
        &p.uz_trainer,
        &p.admin,
        &procedure,
        "## Harakatlar tartibi {#procedure}\n\nHodisa joyini saqlang. [Keyingi modul](../02-evidence/) ga qarang.",
    )
    .await;
    let page = page_text(&app, "uz", "UZ").await;
    assert!(
        page.contains("boʻyicha jazolanadi") && page.contains("Hodisa joyini saqlang"),
        "{page}"
    );
    // The export writes a file that passes the checks.
    let out = app.data_dir.path().join("export-uz");
    {
        let mut conn = app.state.pool.get().unwrap();
        bilim::authoring::export::export(&mut conn, &original, &out, None).unwrap();
    }
    let file = std::fs::read_to_string(out.join("demo-course/01-intro/uz.md")).unwrap();
    assert!(file.starts_with("+++\ntranslated_from = \"ru\"\n"), "{file}");
    let catalogue = bilim::courses::load::load(&out);
    assert!(
        !catalogue.diagnostics.has_errors(),
        "{:#?}",
        catalogue.diagnostics.all()
    );
}

async fn get_status(app: &mut TestApp, token: &str, url: &str) -> StatusCode {
    app.api(Method::GET, url, Some(token), None).await.status
}

on_both_backends!(
    a_translation_begun_in_the_browser_reaches_learners_only_once_every_section_is_approved,
    a_translation_is_drafted_submitted_and_approved_by_someone_else_before_learners_read_it,
    changes_requested_need_a_comment_and_send_the_section_back_to_draft,
    a_section_whose_heading_names_another_id_is_refused,
    a_word_mixing_latin_and_cyrillic_letters_is_refused_at_submission_with_the_check,
    a_base_change_outdates_the_translation_and_a_translation_change_outdates_the_adaptation,
    a_whitespace_only_base_edit_rebases_its_dependants_and_is_logged,
    an_amended_law_flags_exactly_the_sections_citing_it_until_confirmed,
    a_law_entry_is_changed_only_after_a_second_person_approves_it,
    export_then_import_changes_nothing_and_a_second_export_is_byte_identical,
    importing_the_original_files_again_keeps_work_approved_in_the_browser,
    only_authors_reach_the_authoring_api_and_each_only_their_cells,
    authored_markdown_is_sanitised_like_the_files,
);
