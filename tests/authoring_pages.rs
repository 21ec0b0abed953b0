//! Trainer authoring in the browser: the overview, a module text's page, the section
//! editor (preview, checks, save, submit, review, confirm, drop, history and rollback)
//! and the review queue with its bulk approval, each with its failure cases.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use actix_web::http::StatusCode;
use common::authoring::{get, page_text, people, publish, put, revisions, section};
use common::TestApp;

/// The editor page of a section of the demo course's intro module.
fn editor(id: &str, lang: &str, country: Option<&str>) -> String {
    let country = country.map(|c| format!("&country={c}")).unwrap_or_default();
    format!("/authoring/sections/demo-course/intro/{id}?language={lang}{country}")
}

fn action(url: &str, name: &str) -> String {
    let (path, query) = url.split_once('?').unwrap();
    format!("{path}/{name}?{query}")
}

const KZ_LEGAL: &str =
    "## Правовая основа в Казахстане {#legal}\n\nВ Республике Казахстан применяется {{law:unauthorised_access}}; см. также нормативное постановление Верховного суда.";

async fn an_adaptation_edited_in_the_browser_reaches_learners_only_after_another_trainer_approves_it(mut app: TestApp) {
    app.with_courses("valid");
    let _ = people(&mut app).await;
    let mut author = app.signed_in("kz@bilim.test").await;
    let url = editor("legal", "ru", Some("kz"));

    let page = author.get(&url).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.has("textarea#markdown"), "the trainer of the country may edit");
    assert!(
        page.select(".editor__base").join(" ").contains("Unauthorised access")
            || page.select(".editor__base").join(" ").contains("Правовая основа"),
        "the base is shown rendered"
    );

    let preview = author
        .post_form(&url, &[("markdown", KZ_LEGAL), ("intent", "preview"), ("law", "kz")])
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    assert!(preview.has(".checks"), "the checks are shown with the preview");
    assert!(preview
        .select(".preview")
        .join(" ")
        .contains("нормативное постановление"));
    let token = author_token(&mut app).await;
    assert_eq!(
        get(&mut app, &token, &section("intro", "legal", "ru", Some("kz"))).await["state"],
        "approved",
        "a preview saves nothing"
    );

    let submitted = author
        .post_form(
            &url,
            &[
                ("markdown", KZ_LEGAL),
                ("intent", "submit"),
                ("comment", "Ссылка на постановление"),
            ],
        )
        .await;
    assert_eq!(submitted.status, StatusCode::SEE_OTHER, "{}", submitted.body);
    assert!(submitted.location().contains("done=submitted"));
    let after = author.get(&submitted.location()).await;
    assert!(after.has(".notice"), "the action is confirmed");
    assert!(after.has(".tag--in_review"));
    assert!(
        !page_text(&app, "ru", "KZ").await.contains("нормативное постановление"),
        "learners keep the approved text while the edit is in review"
    );

    let mut reviewer = app.signed_in("kz2@bilim.test").await;
    let queue = reviewer.get("/authoring/review").await;
    assert_eq!(queue.status, StatusCode::OK, "{}", queue.body);
    assert!(queue
        .select(".review-item")
        .join(" ")
        .contains("Правовая основа в Казахстане"));
    let approved = reviewer
        .post_form(&action(&url, "review"), &[("decision", "approve"), ("back", "review")])
        .await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER, "{}", approved.body);
    assert_eq!(approved.location(), "/authoring/review?done=approved");
    assert!(page_text(&app, "ru", "KZ").await.contains("нормативное постановление"));
}

/// An API token of the Kazakhstan trainer, for reading a section's state.
async fn author_token(app: &mut TestApp) -> String {
    app.api_token("kz2@bilim.test", common::PASSWORD).await
}

async fn the_author_of_an_edit_is_told_another_person_must_approve_it(mut app: TestApp) {
    app.with_courses("valid");
    let _ = people(&mut app).await;
    let mut author = app.signed_in("kz@bilim.test").await;
    let url = editor("legal", "ru", Some("kz"));
    author
        .post_form(&url, &[("markdown", KZ_LEGAL), ("intent", "submit")])
        .await;
    let page = author.get(&url).await;
    assert!(
        !page.has("button[value=approve]"),
        "no approve button for one's own edit"
    );
    let refused = author
        .post_form(&action(&url, "review"), &[("decision", "approve")])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(refused.has(".error-summary"));
    let token = author_token(&mut app).await;
    assert_eq!(
        get(&mut app, &token, &section("intro", "legal", "ru", Some("kz"))).await["state"],
        "in_review"
    );
}

async fn changes_are_requested_only_with_a_comment_and_go_back_to_the_author(mut app: TestApp) {
    app.with_courses("valid");
    let _ = people(&mut app).await;
    let mut author = app.signed_in("kz@bilim.test").await;
    let url = editor("legal", "ru", Some("kz"));
    author
        .post_form(&url, &[("markdown", KZ_LEGAL), ("intent", "submit")])
        .await;
    let mut reviewer = app.signed_in("kz2@bilim.test").await;
    let refused = reviewer
        .post_form(
            &action(&url, "review"),
            &[("decision", "request_changes"), ("review_comment", " ")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(
        refused.has("#review_comment-error"),
        "the message is beside the comment box"
    );
    let sent_back = reviewer
        .post_form(
            &action(&url, "review"),
            &[
                ("decision", "request_changes"),
                ("review_comment", "Укажите номер постановления."),
            ],
        )
        .await;
    assert_eq!(sent_back.status, StatusCode::SEE_OTHER, "{}", sent_back.body);
    let page = author.get(&url).await;
    assert!(page.has(".tag--changes_requested"));
    assert!(page
        .select(".history")
        .join(" ")
        .contains("Укажите номер постановления."));
}

async fn a_submission_the_checks_refuse_is_shown_again_with_the_checks_and_saves_nothing(mut app: TestApp) {
    app.with_courses("valid");
    let _ = people(&mut app).await;
    let mut author = app.signed_in("kz@bilim.test").await;
    let url = editor("legal", "kk", None);
    let before = revisions(&app);
    let mixed = "## Құқықтық негіз {#legal}\n\nЗаңсыз қoл жеткізу {{law:unauthorised_access}} бойынша жазаланады.";
    let refused = author
        .post_form(&url, &[("markdown", mixed), ("intent", "submit")])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(refused.has("#markdown-error"));
    assert!(refused.has(".checks__item--error"), "the failing check is listed");
    assert!(
        refused.select("textarea#markdown").join("").contains("қoл"),
        "the text typed is kept"
    );
    assert_eq!(revisions(&app), before, "nothing was saved");

    let wrong_id = author
        .post_form(
            &url,
            &[("markdown", "## Құқықтық негіз {#other}\n\nМәтін."), ("intent", "save")],
        )
        .await;
    assert_eq!(wrong_id.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong_id.select("#markdown-error").join(" ").contains("{#legal}"));
    assert_eq!(revisions(&app), before);

    let unknown = author
        .post_form(&url, &[("markdown", mixed), ("intent", "publish")])
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(revisions(&app), before);
}

async fn a_base_change_is_shown_as_a_diff_and_confirming_makes_the_text_current(mut app: TestApp) {
    app.with_courses("valid");
    let p = people(&mut app).await;
    publish(
        &mut app,
        &p.admin,
        &p.second_admin,
        &section("intro", "legal", "ru", None),
        "## Правовая основа {#legal}\n\nНеправомерный доступ и покушение на него наказываются по {{law:unauthorised_access}}.",
    )
    .await;
    let mut author = app.signed_in("kz@bilim.test").await;
    let url = editor("legal", "kk", None);
    let page = author.get(&url).await;
    assert!(page.has(".tag--outdated"));
    assert!(
        page.select(".editor__base .diff ins").join(" ").contains("покушение"),
        "{}",
        page.select(".editor__base").join(" ")
    );

    let overview = author.get("/authoring?language=kk").await;
    assert_eq!(overview.status, StatusCode::OK, "{}", overview.body);
    assert!(overview
        .select("#attention-list .card")
        .join(" ")
        .contains("Құқықтық негіз"));

    let mut reviewer = app.signed_in("kz2@bilim.test").await;
    let queue = reviewer.get("/authoring/review?reason=base_changed").await;
    assert!(queue.select(".review-item").join(" ").contains("Құқықтық негіз"));
    let confirmed = reviewer
        .post_form(&action(&url, "confirm"), &[("back", "review")])
        .await;
    assert_eq!(confirmed.status, StatusCode::SEE_OTHER, "{}", confirmed.body);
    let token = author_token(&mut app).await;
    assert_eq!(
        get(&mut app, &token, &section("intro", "legal", "kk", None)).await["freshness"],
        "current"
    );
    let queue = reviewer.get("/authoring/review?reason=base_changed").await;
    assert!(!queue.select(".review-item").join(" ").contains("Құқықтық негіз"));
}

async fn an_earlier_revision_is_proposed_again_from_the_history_and_reviewed(mut app: TestApp) {
    app.with_courses("valid");
    let p = people(&mut app).await;
    let api_url = section("intro", "legal", "ru", Some("kz"));
    publish(&mut app, &p.kz_trainer, &p.kz_reviewer, &api_url, KZ_LEGAL).await;
    let mut author = app.signed_in("kz@bilim.test").await;
    let url = editor("legal", "ru", Some("kz"));
    let page = author.get(&url).await;
    assert_eq!(
        page.count(".history > li"),
        2,
        "the file's revision and the approved edit"
    );
    let missing = author.post_form(&action(&url, "rollback"), &[("revision", "99")]).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let not_a_number = author
        .post_form(&action(&url, "rollback"), &[("revision", "one")])
        .await;
    assert_eq!(not_a_number.status, StatusCode::BAD_REQUEST);
    let rolled = author.post_form(&action(&url, "rollback"), &[("revision", "1")]).await;
    assert_eq!(rolled.status, StatusCode::SEE_OTHER, "{}", rolled.body);
    let state = get(&mut app, &p.kz_trainer, &api_url).await;
    assert_eq!(state["state"], "in_review", "a rollback is reviewed like an edit");
    assert!(page_text(&app, "ru", "KZ").await.contains("нормативное постановление"));
    let again = author.post_form(&action(&url, "rollback"), &[("revision", "1")]).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "one proposal at a time");
}

async fn an_edit_in_review_is_neither_buried_by_a_confirmation_nor_overwritten_by_someone_else(mut app: TestApp) {
    app.with_courses("valid");
    let p = people(&mut app).await;
    publish(
        &mut app,
        &p.admin,
        &p.second_admin,
        &section("intro", "legal", "ru", None),
        "## Правовая основа {#legal}\n\nНеправомерный доступ и покушение на него наказываются по {{law:unauthorised_access}}.",
    )
    .await;
    let url = editor("legal", "kk", None);
    let fixed = "## Құқықтық негіз {#legal}\n\nЗаңсыз қол жеткізу және оған оқталу {{law:unauthorised_access}} бойынша жазаланады.";
    let mut author = app.signed_in("kz@bilim.test").await;
    let submitted = author
        .post_form(
            &url,
            &[("markdown", fixed), ("intent", "submit"), ("reason", "Тексерілді")],
        )
        .await;
    assert_eq!(submitted.status, StatusCode::SEE_OTHER, "{}", submitted.body);

    let mut reviewer = app.signed_in("kz2@bilim.test").await;
    let queue = reviewer.get("/authoring/review").await;
    assert!(
        queue.select(".review-item .diff ins").join(" ").contains("покушение"),
        "the reviewer sees the base change the edit answers: {}",
        queue.select(".review-item").join(" ")
    );
    let page = reviewer.get(&url).await;
    assert!(
        page.select(".editor__base .diff ins").join(" ").contains("покушение"),
        "and so does the editor"
    );
    assert!(!page.has("#confirm-title"), "no 'still valid' while an edit waits");
    assert!(!page.has("textarea#markdown"), "nor an editor over someone else's edit");
    assert!(page.has("button[value=approve]"));
    let buried = reviewer.post_form(&action(&url, "confirm"), &[]).await;
    assert_eq!(buried.status, StatusCode::CONFLICT, "{}", buried.body);
    let overwritten = reviewer
        .post_form(&url, &[("markdown", fixed), ("intent", "save")])
        .await;
    assert_eq!(overwritten.status, StatusCode::CONFLICT);
    let api = get(&mut app, &p.kz_reviewer, &section("intro", "legal", "kk", None)).await;
    assert_eq!(api["state"], "in_review");
    assert!(
        api["markdown"].as_str().unwrap().contains("оқталу"),
        "the edit is intact"
    );
    // Its author may take it back and go on.
    let continued = author.post_form(&url, &[("markdown", fixed), ("intent", "save")]).await;
    assert_eq!(continued.status, StatusCode::SEE_OTHER);
}

async fn a_long_section_is_saved_and_a_preview_of_a_text_without_its_heading_says_what_to_fix(mut app: TestApp) {
    app.with_courses("valid");
    let p = people(&mut app).await;
    let url = editor("legal", "kk", None);
    let mut author = app.signed_in("kz@bilim.test").await;
    // About 60,000 Cyrillic letters: some 360 KB once percent-encoded in a form.
    let long = format!(
        "## Құқықтық негіз {{#legal}}\n\n{}{{{{law:unauthorised_access}}}}",
        "Заңсыз қол жеткізу бойынша жауапкершілік. ".repeat(1_400)
    );
    let saved = author.post_form(&url, &[("markdown", &long), ("intent", "save")]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.status);
    let api_saved = put(&mut app, &p.kz_trainer, &section("intro", "legal", "kk", None), &long).await;
    assert_eq!(api_saved.status, StatusCode::OK, "the API takes it too");

    let headless = author
        .post_form(&url, &[("markdown", "Мәтін тақырыпсыз."), ("intent", "preview")])
        .await;
    assert_eq!(headless.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(headless.has("#markdown-error"));
    assert!(
        !headless.has(".checks"),
        "no 'checks passed' for a text that is not a section"
    );
}

async fn a_countrys_queue_holds_its_adaptations_and_the_translations_into_its_language(mut app: TestApp) {
    app.with_courses("valid");
    let _ = people(&mut app).await;
    let mut author = app.signed_in("kz@bilim.test").await;
    let kk = "## Құқықтық негіз {#legal}\n\nЗаңсыз қол жеткізу {{law:unauthorised_access}} бойынша қылмыстық жауаптылыққа әкеп соғады.";
    author
        .post_form(
            &editor("legal", "kk", None),
            &[("markdown", kk), ("intent", "submit"), ("reason", "Тексерілді")],
        )
        .await;
    let mut coordinator = app.signed_in("coord-kz@bilim.test").await;
    let queue = coordinator.get("/authoring/review?country=kz").await;
    assert!(
        queue.select(".review-item").join(" ").contains("Құқықтық негіз"),
        "{}",
        queue.body
    );
    let overview = coordinator.get("/authoring").await;
    assert!(
        overview.select("a[href='/authoring/review']").join(" ").contains('1'),
        "the overview counts what waits for this person"
    );
    let uz = coordinator.get("/authoring/review?country=uz").await;
    assert!(!uz.has(".review-item"));
}

async fn dropping_an_adaptation_needs_a_reason_and_a_second_person(mut app: TestApp) {
    app.with_courses("valid");
    let _ = people(&mut app).await;
    let mut author = app.signed_in("kz@bilim.test").await;
    let url = editor("legal", "ru", Some("kz"));
    let refused = author.post_form(&action(&url, "drop"), &[("drop_comment", "")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(refused.has("#drop_comment-error"));
    let proposed = author
        .post_form(
            &action(&url, "drop"),
            &[("drop_comment", "Норма общая для всех стран.")],
        )
        .await;
    assert_eq!(proposed.status, StatusCode::SEE_OTHER);
    let mut reviewer = app.signed_in("kz2@bilim.test").await;
    reviewer
        .post_form(&action(&url, "review"), &[("decision", "approve")])
        .await;
    assert!(!page_text(&app, "ru", "KZ").await.contains("Республике Казахстан"));
}

async fn bulk_approval_approves_only_edits_without_warnings_by_other_people(mut app: TestApp) {
    app.with_courses("valid");
    let _ = people(&mut app).await;
    let mut author = app.signed_in("kz@bilim.test").await;
    author
        .post_form(
            &editor("legal", "ru", Some("kz")),
            &[("markdown", KZ_LEGAL), ("intent", "submit")],
        )
        .await;
    let mut reviewer = app.signed_in("kz2@bilim.test").await;
    let queue = reviewer.get("/authoring/review").await;
    let items = queue.select_attr("#bulk input[name=item]", "value");
    assert_eq!(items, ["demo-course/intro/legal/ru/kz"], "{}", queue.body);
    // The author's own queue offers nothing for bulk approval.
    let own = author.get("/authoring/review").await;
    assert!(!own.has("#bulk"));
    let forged = author
        .post_form(
            "/authoring/review/approve",
            &[("item", "demo-course/intro/legal/ru/kz")],
        )
        .await;
    assert_eq!(forged.location(), "/authoring/review?done=bulk_approved&count=0");
    let token = author_token(&mut app).await;
    assert_eq!(
        get(&mut app, &token, &section("intro", "legal", "ru", Some("kz"))).await["state"],
        "in_review",
        "eligibility is checked again on the server"
    );
    let done = reviewer
        .post_form(
            "/authoring/review/approve",
            &[("item", "demo-course/intro/legal/ru/kz")],
        )
        .await;
    assert_eq!(done.location(), "/authoring/review?done=bulk_approved&count=1");
    let after = reviewer.get(&done.location()).await;
    assert!(after.has(".notice"));
    assert!(page_text(&app, "ru", "KZ").await.contains("нормативное постановление"));
    let bad = reviewer
        .post_form("/authoring/review/approve", &[("item", "nonsense")])
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

async fn the_overview_and_text_pages_list_every_text_and_open_only_for_authors(mut app: TestApp) {
    app.with_courses("valid");
    let _ = people(&mut app).await;
    let mut trainer = app.signed_in("uz@bilim.test").await;
    let overview = trainer.get("/authoring").await;
    assert_eq!(overview.status, StatusCode::OK, "{}", overview.body);
    assert!(overview.has("table.matrix"));
    let kz = trainer.get("/authoring?country=kz").await;
    assert!(
        kz.has("table.matrix a[href='/authoring/modules/demo-course/evidence?language=ru&country=kz']"),
        "a module without the country's adaptation offers to begin it: {}",
        kz.select("table.matrix").join(" ")
    );
    assert!(overview.has("a[href='/authoring/glossary/uz']"));
    assert!(overview.has("a[href='/authoring/law/uz']"));
    let text = trainer
        .get("/authoring/modules/demo-course/intro?language=ru&country=uz")
        .await;
    assert_eq!(text.status, StatusCode::OK, "{}", text.body);
    assert!(
        text.has(".card a[href*='/authoring/sections/demo-course/intro/legal?language=ru&country=uz']"),
        "{}",
        text.body
    );
    let switcher = trainer.get(&format!("{}&lang=ru", editor("legal", "kk", None))).await;
    assert_eq!(switcher.lang(), "ru", "the interface's language is asked with lang");
    assert!(
        switcher.has("textarea#markdown[lang=kk]") || switcher.has("pre.source[lang=kk]"),
        "and the text edited stays the Kazakh one"
    );
    let other_country = trainer.get(&editor("legal", "ru", Some("kz"))).await;
    assert_eq!(other_country.status, StatusCode::OK, "authors may read every text");
    assert!(!other_country.has("textarea#markdown"), "but edit only their own");
    let forbidden = trainer
        .post_form(
            &editor("legal", "ru", Some("kz")),
            &[("markdown", KZ_LEGAL), ("intent", "save")],
        )
        .await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);

    for email in ["learner@bilim.test", "observer@bilim.test"] {
        let mut browser = app.signed_in(email).await;
        for url in ["/authoring", "/authoring/review", &editor("legal", "kk", None)] {
            assert_eq!(browser.get(url).await.status, StatusCode::FORBIDDEN, "{email} {url}");
        }
        assert!(
            !browser.get("/courses").await.has("a[href='/authoring']"),
            "no menu link"
        );
    }
    assert!(trainer.get("/courses").await.has("a[href='/authoring']"));
    for missing in [
        "/authoring/sections/demo-course/intro/nowhere?language=kk",
        "/authoring/sections/demo-course/nowhere/legal?language=kk",
        "/authoring/modules/no-course/intro?language=kk",
    ] {
        assert_eq!(trainer.get(missing).await.status, StatusCode::NOT_FOUND, "{missing}");
    }
    assert_eq!(
        trainer
            .get("/authoring/sections/demo-course/intro/legal?language=xx")
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
}

async fn a_trainer_cannot_move_to_another_country_to_edit_its_adaptations(mut app: TestApp) {
    app.with_courses("valid");
    let p = people(&mut app).await;
    let mut trainer = app.signed_in("kz@bilim.test").await;
    let profile = trainer.get("/profile").await;
    assert!(
        profile.has("select#country[disabled]"),
        "the country is shown, not offered"
    );
    let moved = trainer
        .post_form(
            "/profile",
            &[
                ("name", "Айжан Нурланова"),
                ("country", "UZ"),
                ("category", "investigator"),
                ("locale", "kk"),
            ],
        )
        .await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER, "the rest of the profile is saved");
    let me = app
        .api(actix_web::http::Method::GET, "/api/v1/me", Some(&p.kz_trainer), None)
        .await
        .json();
    assert_eq!(me["country"], "KZ", "an administrator sets a trainer's country");
    let uz = trainer
        .post_form(
            &editor("legal", "ru", Some("uz")),
            &[("markdown", KZ_LEGAL), ("intent", "save")],
        )
        .await;
    assert_eq!(uz.status, StatusCode::FORBIDDEN);
}

on_both_backends!(
    a_trainer_cannot_move_to_another_country_to_edit_its_adaptations,
    an_adaptation_edited_in_the_browser_reaches_learners_only_after_another_trainer_approves_it,
    the_author_of_an_edit_is_told_another_person_must_approve_it,
    changes_are_requested_only_with_a_comment_and_go_back_to_the_author,
    a_submission_the_checks_refuse_is_shown_again_with_the_checks_and_saves_nothing,
    a_base_change_is_shown_as_a_diff_and_confirming_makes_the_text_current,
    an_earlier_revision_is_proposed_again_from_the_history_and_reviewed,
    an_edit_in_review_is_neither_buried_by_a_confirmation_nor_overwritten_by_someone_else,
    a_long_section_is_saved_and_a_preview_of_a_text_without_its_heading_says_what_to_fix,
    a_countrys_queue_holds_its_adaptations_and_the_translations_into_its_language,
    dropping_an_adaptation_needs_a_reason_and_a_second_person,
    bulk_approval_approves_only_edits_without_warnings_by_other_people,
    the_overview_and_text_pages_list_every_text_and_open_only_for_authors,
);
