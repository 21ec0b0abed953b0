//! The law table and glossary editors in the browser, the languages an administrator
//! assigns to a trainer, and the daily authoring digest: through the real HTTP stack,
//! on both backends.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use actix_web::http::{Method, StatusCode};
use bilim::db::schema::{audit_events, glossary_terms, law_entries, law_revisions, outbox, settings, users};
use bilim::i18n::Locale;
use chrono::NaiveDate;
use common::authoring::{people, post, put, section};
use common::{Browser, TestApp};
use diesel::prelude::*;
use serde_json::json;

const ENTRY: &str = "/authoring/law/kz/unauthorised_access";
const CRIMINAL_CODE: &str = "Уголовный кодекс Республики Казахстан";

/// The proposal form of the `unauthorised_access` entry with a new Kazakh title.
fn title_change<'a>(kk_title: &'a str, comment: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("article", "205"),
        ("code", CRIMINAL_CODE),
        ("title_kk", kk_title),
        ("title_ru", "Неправомерный доступ к информации"),
        ("title_en", "Unlawful access to information"),
        ("source", "https://adilet.zan.kz/rus/docs/K1400000226"),
        ("verified", "on"),
        ("effective", ""),
        ("comment", comment),
    ]
}

fn law_revision_count(app: &TestApp) -> i64 {
    let mut conn = app.state.pool.get().unwrap();
    law_revisions::table.count().get_result(&mut conn).unwrap()
}

fn audit_count(app: &TestApp, action: &str) -> i64 {
    let mut conn = app.state.pool.get().unwrap();
    audit_events::table
        .filter(audit_events::action.eq(action))
        .count()
        .get_result(&mut conn)
        .unwrap()
}

async fn kk_title_in_table(browser: &mut Browser) -> String {
    let table = browser.get("/authoring/law/kz").await;
    assert_eq!(table.status, StatusCode::OK, "{}", table.body);
    table
        .select("tr[data-concept=\"unauthorised_access\"] td.title-national")
        .join(" ")
}

async fn a_trainer_proposes_a_title_change_in_the_browser_and_it_shows_only_after_another_trainer_approves(
    mut app: TestApp,
) {
    app.with_courses("valid");
    people(&mut app).await;
    let mut kz = app.signed_in("kz@bilim.test").await;
    let page = kz.get(ENTRY).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.has("form[action=\"/authoring/law/kz/unauthorised_access\"]"));

    let new_title = "Ақпаратқа заңсыз қол жеткізу (жаңа редакция)";
    let proposed = kz
        .post_form(ENTRY, &title_change(new_title, "Ресми мәтін бойынша"))
        .await;
    assert_eq!(proposed.status, StatusCode::SEE_OTHER, "{}", proposed.body);
    assert_eq!(proposed.location(), format!("{ENTRY}?done=proposed"));
    assert!(!kk_title_in_table(&mut kz).await.contains("жаңа редакция"));
    let entry = kz.get(ENTRY).await;
    assert!(entry.has(".pending-proposal ins"), "the proposal is shown as a diff");
    assert!(entry
        .select(".pending-proposal ins")
        .join(" ")
        .contains("(жаңа редакция)"));
    assert!(kz
        .get("/authoring/law/kz")
        .await
        .has("tr[data-concept=\"unauthorised_access\"] .pending"));

    let mut kz2 = app.signed_in("kz2@bilim.test").await;
    let approved = kz2.post_form(&format!("{ENTRY}/approve"), &[]).await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER, "{}", approved.body);
    assert!(kk_title_in_table(&mut kz).await.contains(new_title));
    let mut conn = app.state.pool.get().unwrap();
    let state: String = law_revisions::table
        .order(law_revisions::id.desc())
        .select(law_revisions::state)
        .first(&mut conn)
        .unwrap();
    assert_eq!(state, "approved");
}

async fn the_proposers_own_approval_is_refused_with_a_message_and_changes_nothing(mut app: TestApp) {
    app.with_courses("valid");
    people(&mut app).await;
    let mut kz = app.signed_in("kz@bilim.test").await;
    let proposed = kz.post_form(ENTRY, &title_change("Өз ұсынысым", "")).await;
    assert_eq!(proposed.status, StatusCode::SEE_OTHER, "{}", proposed.body);
    let own = kz.post_form(&format!("{ENTRY}/approve"), &[]).await;
    assert_eq!(own.status, StatusCode::FORBIDDEN);
    let message = own.select(".refusal").join(" ");
    assert!(
        message.contains("өзіңіз бекіте алмайсыз") || message.contains("утвердить его сами"),
        "{message}"
    );
    assert!(
        own.has(".pending-proposal"),
        "the entry page is shown again, not a bare error page"
    );
    assert!(!kk_title_in_table(&mut kz).await.contains("Өз ұсынысым"));
    let mut conn = app.state.pool.get().unwrap();
    let state: String = law_revisions::table
        .order(law_revisions::id.desc())
        .select(law_revisions::state)
        .first(&mut conn)
        .unwrap();
    assert_eq!(state, "in_review");
}

async fn requesting_changes_without_a_comment_is_refused(mut app: TestApp) {
    app.with_courses("valid");
    people(&mut app).await;
    let mut kz = app.signed_in("kz@bilim.test").await;
    kz.post_form(ENTRY, &title_change("Қайтарылатын ұсыныс", "")).await;
    let mut kz2 = app.signed_in("kz2@bilim.test").await;
    let refused = kz2
        .post_form(&format!("{ENTRY}/request-changes"), &[("review_comment", "  ")])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(refused.has("#review_comment-error"));
    assert!(refused.has(".error-summary a[href=\"#review_comment\"]"));
    let returned = kz2
        .post_form(
            &format!("{ENTRY}/request-changes"),
            &[("review_comment", "Атауын тексеріңіз")],
        )
        .await;
    assert_eq!(returned.status, StatusCode::SEE_OTHER, "{}", returned.body);
    let page = kz.get(ENTRY).await;
    assert!(page.select(".review-comment").join(" ").contains("Атауын тексеріңіз"));
}

async fn a_proposal_sent_back_is_continued_in_the_form_instead_of_typed_again(mut app: TestApp) {
    app.with_courses("valid");
    people(&mut app).await;
    let mut kz = app.signed_in("kz@bilim.test").await;
    let title = "Қайта терілмейтін атау";
    let proposed = kz.post_form(ENTRY, &title_change(title, "")).await;
    assert_eq!(proposed.status, StatusCode::SEE_OTHER, "{}", proposed.body);
    assert_eq!(
        kz.get(ENTRY).await.select_attr("#title_kk", "value"),
        vec![title],
        "a proposal in review is shown in the form"
    );
    let mut kz2 = app.signed_in("kz2@bilim.test").await;
    let returned = kz2
        .post_form(
            &format!("{ENTRY}/request-changes"),
            &[("review_comment", "Дереккөзді тексеріңіз")],
        )
        .await;
    assert_eq!(returned.status, StatusCode::SEE_OTHER, "{}", returned.body);
    let page = kz.get(ENTRY).await;
    assert_eq!(
        page.select_attr("#title_kk", "value"),
        vec![title],
        "the form starts from the returned proposal"
    );
}

async fn the_tables_russian_column_is_named_by_the_languages_own_name(mut app: TestApp) {
    app.with_courses("valid");
    people(&mut app).await;
    let mut kz = app.signed_in("kz@bilim.test").await;
    let table = kz.get("/authoring/law/kz").await;
    let headings = table.select("thead th").join(" | ");
    assert!(headings.contains(Locale::Ru.native_name()), "{headings}");
}

async fn a_refused_approval_is_shown_below_the_pages_heading(mut app: TestApp) {
    app.with_courses("valid");
    people(&mut app).await;
    let mut kz = app.signed_in("kz@bilim.test").await;
    kz.post_form(ENTRY, &title_change("Өз ұсынысым", "")).await;
    let own = kz.post_form(&format!("{ENTRY}/approve"), &[]).await;
    assert_eq!(own.status, StatusCode::FORBIDDEN);
    let headings = own.select("main h1, main h2");
    assert!(
        headings.first().is_some_and(|h| h.contains("unauthorised_access")),
        "the first heading is the page's h1: {headings:?}"
    );
    let h1 = own.body.find("<h1").unwrap();
    let refusal = own.body.find("class=\"refusal\"").unwrap();
    assert!(h1 < refusal, "the refusal follows the heading");
}

fn entry_row(app: &TestApp) -> (Option<NaiveDate>, Option<i64>) {
    let mut conn = app.state.pool.get().unwrap();
    law_entries::table
        .find(("kz", "unauthorised_access"))
        .select((law_entries::effective, law_entries::verified_by))
        .first(&mut conn)
        .unwrap()
}

fn user_id(app: &TestApp, email: &str) -> i64 {
    let mut conn = app.state.pool.get().unwrap();
    users::table
        .filter(users::email.eq(email))
        .select(users::id)
        .first(&mut conn)
        .unwrap()
}

async fn an_approved_proposal_writes_its_date_even_cleared_and_a_new_wording_is_verified_anew(mut app: TestApp) {
    app.with_courses("valid");
    people(&mut app).await;
    let mut kz = app.signed_in("kz@bilim.test").await;
    let mut kz2 = app.signed_in("kz2@bilim.test").await;
    let (_, verified_by) = entry_row(&app);
    assert_eq!(verified_by, None, "verified in the files, by nobody known");

    let mut fields = title_change("Жаңа редакциядағы атау", "");
    fields[7] = ("effective", "2025-01-01");
    let proposed = kz.post_form(ENTRY, &fields).await;
    assert_eq!(proposed.status, StatusCode::SEE_OTHER, "{}", proposed.body);
    let approved = kz2.post_form(&format!("{ENTRY}/approve"), &[]).await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER, "{}", approved.body);
    let (effective, verified_by) = entry_row(&app);
    assert_eq!(effective, NaiveDate::from_ymd_opt(2025, 1, 1));
    assert_eq!(
        verified_by,
        Some(user_id(&app, "kz@bilim.test")),
        "the new wording is verified by its proposal, not by the old verification"
    );

    fields[7] = ("effective", "");
    let cleared = kz.post_form(ENTRY, &fields).await;
    assert_eq!(cleared.status, StatusCode::SEE_OTHER, "{}", cleared.body);
    let approved = kz2.post_form(&format!("{ENTRY}/approve"), &[]).await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER, "{}", approved.body);
    assert_eq!(entry_row(&app).0, None, "the cleared date is written");
}

async fn wrong_input_is_shown_again_with_field_errors_and_changes_nothing(mut app: TestApp) {
    app.with_courses("valid");
    people(&mut app).await;
    let before = law_revision_count(&app);
    let mut kz = app.signed_in("kz@bilim.test").await;
    let mut fields = title_change("Дұрыс емес", "");
    fields[0] = ("article", " ");
    fields[1] = ("code", "Кодекс, которого нет");
    fields[7] = ("effective", "31.01.2025");
    let refused = kz.post_form(ENTRY, &fields).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    for field in ["article", "code", "effective"] {
        assert!(refused.has(&format!("#{field}-error")), "{field}: {}", refused.body);
        assert!(refused.has(&format!(".error-summary a[href=\"#{field}\"]")));
    }
    assert_eq!(
        refused.select_attr("#title_kk", "value"),
        vec!["Дұрыс емес"],
        "the form keeps what was typed"
    );
    assert_eq!(refused.select_attr("#effective", "value"), vec!["31.01.2025"]);
    assert_eq!(law_revision_count(&app), before);

    let amend = kz
        .post_form(
            &format!("{ENTRY}/amend"),
            &[
                ("amend_status", "amended"),
                ("amend_effective", "2026-13-40"),
                ("amend_note", ""),
            ],
        )
        .await;
    assert_eq!(amend.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(amend.has("#amend_effective-error"));
    assert!(!kz.get("/authoring/law/kz").await.body.contains("2026"));
}

async fn amending_marks_the_entry_amended_and_the_sections_citing_it_law_changed(mut app: TestApp) {
    app.with_courses("valid");
    let p = people(&mut app).await;
    let law_changed = |rows: &serde_json::Value| -> u64 {
        rows.as_array()
            .unwrap()
            .iter()
            .map(|r| r["law_changed"].as_u64().unwrap())
            .sum()
    };
    let before = app
        .api(
            Method::GET,
            "/api/v1/authoring/status?course=demo-course",
            Some(&p.kz_trainer),
            None,
        )
        .await
        .json();
    assert_eq!(law_changed(&before), 0);
    let mut kz = app.signed_in("kz@bilim.test").await;
    let amended = kz
        .post_form(
            &format!("{ENTRY}/amend"),
            &[
                ("amend_status", "repealed"),
                ("amend_effective", "2026-01-01"),
                ("amend_note", "Жаңа кодекс"),
            ],
        )
        .await;
    assert_eq!(amended.status, StatusCode::SEE_OTHER, "{}", amended.body);
    let page = kz.get(&amended.location()).await;
    assert!(page.has(".notice"));
    let status = page.select(".current-status").join(" ");
    assert!(
        status.contains("Утратила силу") || status.contains("Күші жойылды"),
        "{status}"
    );
    let after = app
        .api(
            Method::GET,
            "/api/v1/authoring/status?course=demo-course",
            Some(&p.kz_trainer),
            None,
        )
        .await
        .json();
    assert!(law_changed(&after) > 0, "{after}");
    assert_eq!(audit_count(&app, "law_amended"), 1);
}

async fn entries_without_a_title_in_the_countrys_language_are_marked_and_counted(mut app: TestApp) {
    app.with_courses("valid");
    people(&mut app).await;
    let mut kz = app.signed_in("kz@bilim.test").await;
    let table = kz.get("/authoring/law/kz").await;
    assert_eq!(table.status, StatusCode::OK);
    assert!(table.has("tr[data-concept=\"electronic_evidence\"] .missing-title"));
    assert!(!table.has("tr[data-concept=\"unauthorised_access\"] .missing-title"));
    let marked = table.count("tr.row--flag");
    assert!(marked > 0);
    let count_line = table.select("main li").join(" | ");
    assert!(count_line.contains(&format!(": {marked}")), "{count_line}");
    assert!(kz
        .get("/authoring/law/kz/electronic_evidence")
        .await
        .has("p.missing-title"));
}

async fn other_authors_may_read_a_countrys_table_but_not_change_it_and_learners_may_not_see_it(mut app: TestApp) {
    app.with_courses("valid");
    people(&mut app).await;
    let before = law_revision_count(&app);
    let mut uz = app.signed_in("uz@bilim.test").await;
    assert_eq!(uz.get("/authoring/law/kz").await.status, StatusCode::OK);
    let page = uz.get(ENTRY).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.has("form[action=\"/authoring/law/kz/unauthorised_access\"]"));
    let refused = uz.post_form(ENTRY, &title_change("Бөгде", "")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        uz.post_form(&format!("{ENTRY}/amend"), &[("amend_effective", "2026-01-01")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(uz.get("/authoring/law/kz/new").await.status, StatusCode::FORBIDDEN);
    assert_eq!(law_revision_count(&app), before);

    let mut coordinator = app.signed_in("coord-uz@bilim.test").await;
    assert_eq!(coordinator.get("/authoring/law/kz").await.status, StatusCode::OK);

    let mut learner = app.signed_in("learner@bilim.test").await;
    assert_eq!(learner.get("/authoring/law/kz").await.status, StatusCode::FORBIDDEN);
    assert_eq!(learner.get(ENTRY).await.status, StatusCode::FORBIDDEN);
    let mut observer = app.signed_in("observer@bilim.test").await;
    assert_eq!(observer.get("/authoring/law/kz").await.status, StatusCode::FORBIDDEN);

    let mut kz = app.signed_in("kz@bilim.test").await;
    assert_eq!(kz.get("/authoring/law/xx").await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        kz.get("/authoring/law/kz/no_such_concept").await.status,
        StatusCode::NOT_FOUND
    );
}

async fn a_new_concept_is_proposed_and_approved_into_the_table(mut app: TestApp) {
    app.with_courses("valid");
    people(&mut app).await;
    let mut kz = app.signed_in("kz@bilim.test").await;
    assert_eq!(kz.get("/authoring/law/kz/new").await.status, StatusCode::OK);
    let mut fields = title_change("Деректерді заңсыз жинау", "");
    fields.push(("concept", "unauthorised_access"));
    let taken = kz.post_form("/authoring/law/kz/new", &fields).await;
    assert_eq!(taken.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(taken.has("#concept-error"));
    fields.pop();
    fields.push(("concept", "data_collection"));
    fields[1] = ("code", "new");
    fields.push((
        "code_ru",
        "Кодекс Республики Казахстан об административных правонарушениях",
    ));
    let proposed = kz.post_form("/authoring/law/kz/new", &fields).await;
    assert_eq!(proposed.status, StatusCode::SEE_OTHER, "{}", proposed.body);
    assert_eq!(proposed.location(), "/authoring/law/kz/data_collection?done=proposed");
    let mut admin = app.signed_in("admin@bilim.test").await;
    let approved = admin.post_form("/authoring/law/kz/data_collection/approve", &[]).await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER, "{}", approved.body);
    let table = kz.get("/authoring/law/kz").await;
    assert!(table
        .select("tr[data-concept=\"data_collection\"]")
        .join(" ")
        .contains("Деректерді заңсыз жинау"));
}

async fn a_concept_named_new_is_refused_with_a_message_since_its_page_could_never_open(mut app: TestApp) {
    app.with_courses("valid");
    let p = people(&mut app).await;
    let before = law_revision_count(&app);
    let mut kz = app.signed_in("kz@bilim.test").await;
    let mut fields = title_change("Жаңа ұғым", "");
    fields.push(("concept", "new"));
    let refused = kz.post_form("/authoring/law/kz/new", &fields).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    let message = refused.select("#concept-error").join(" ");
    let expected = [Locale::Ru, Locale::Kk].map(|l| bilim::i18n::t(l, "law_editor.concept_reserved"));
    assert!(expected.iter().any(|e| message.contains(e.as_str())), "{message}");
    let api = app
        .api(
            Method::PUT,
            "/api/v1/law/kz/new",
            Some(&p.kz_trainer),
            Some(json!({
                "article": "1",
                "code": "Кодекс",
                "title": {"ru": "Понятие"},
                "source": "https://adilet.zan.kz/rus/docs/K1400000226"
            })),
        )
        .await;
    assert_eq!(api.status, StatusCode::BAD_REQUEST, "{}", api.body);
    assert!(api.body.contains(expected[0].as_str()), "{}", api.body);
    assert_eq!(law_revision_count(&app), before);
}

// ---- Glossary -------------------------------------------------------------------

async fn a_translator_adds_edits_and_deletes_glossary_terms_each_change_audited(mut app: TestApp) {
    let original = app.with_courses("valid");
    people(&mut app).await;
    let mut kz = app.signed_in("kz@bilim.test").await;
    assert_eq!(kz.get("/authoring/glossary/kk").await.status, StatusCode::OK);
    let added = kz
        .post_form(
            "/authoring/glossary/kk",
            &[
                ("term", "digital-evidence"),
                ("source_en", "digital evidence"),
                ("source_ru", "цифровые доказательства"),
                ("translation", "цифрлық дәлелдемелер"),
                ("note", ""),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let list = kz.get(&added.location()).await;
    assert!(list.has(".notice"));
    assert!(list
        .select("tr[data-term=\"digital-evidence\"]")
        .join(" ")
        .contains("цифрлық дәлелдемелер"));

    let wrong = kz
        .post_form("/authoring/glossary/kk", &[("term", "Bad Id"), ("translation", "")])
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["term", "translation", "source_en"] {
        assert!(wrong.has(&format!("#{field}-error")), "{field}");
    }

    let edited = kz
        .post_form(
            "/authoring/glossary/kk/digital-evidence",
            &[
                ("source_en", "digital evidence"),
                ("source_ru", "цифровые доказательства"),
                ("translation", "цифрлық дәлелдер"),
                ("note", "ҚПК терминологиясы бойынша"),
            ],
        )
        .await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER, "{}", edited.body);
    let page = kz.get("/authoring/glossary/kk/digital-evidence").await;
    assert_eq!(page.select_attr("#translation", "value"), vec!["цифрлық дәлелдер"]);

    // The export writes the edited glossary, the same bytes every time.
    let first = app.data_dir.path().join("export-1");
    let second = app.data_dir.path().join("export-2");
    {
        let mut conn = app.state.pool.get().unwrap();
        bilim::authoring::export::export(&mut conn, &original, &first, None).unwrap();
        bilim::authoring::export::export(&mut conn, &original, &second, None).unwrap();
    }
    let written = std::fs::read(first.join("_glossary/kk.toml")).unwrap();
    assert_eq!(written, std::fs::read(second.join("_glossary/kk.toml")).unwrap());
    assert!(String::from_utf8(written).unwrap().contains("цифрлық дәлелдер"));

    let deleted = kz
        .post_form("/authoring/glossary/kk/digital-evidence/delete", &[])
        .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER, "{}", deleted.body);
    assert_eq!(
        kz.get("/authoring/glossary/kk/digital-evidence").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(audit_count(&app, "glossary_changed"), 3);
    let mut conn = app.state.pool.get().unwrap();
    let left: i64 = glossary_terms::table
        .filter(glossary_terms::deleted.eq(false))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(left, 0);
}

async fn two_people_adding_the_same_term_at_once_are_told_it_is_taken_not_shown_a_server_error(mut app: TestApp) {
    app.with_courses("valid");
    people(&mut app).await;
    let mut kz = app.signed_in("kz@bilim.test").await;
    // Another writer adds the term under the authoring lock and holds it a moment, as a
    // second request arriving at the same time would.
    let (adding, added) = std::sync::mpsc::channel();
    let pool = app.state.pool.clone();
    let other = std::thread::spawn(move || {
        let mut conn = pool.get().unwrap();
        bilim::authoring::workflow::locked(&mut conn, |conn| {
            diesel::insert_into(glossary_terms::table)
                .values((
                    glossary_terms::language.eq("kk"),
                    glossary_terms::term.eq("botnet"),
                    glossary_terms::source_en.eq("botnet"),
                    glossary_terms::source_ru.eq("ботнет"),
                    glossary_terms::translation.eq("ботнет"),
                    glossary_terms::note.eq(""),
                    glossary_terms::updated_at.eq(chrono::Utc::now().naive_utc()),
                ))
                .execute(conn)?;
            adding.send(()).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(700));
            Ok(())
        })
        .unwrap();
    });
    added.recv().unwrap();
    let second = kz
        .post_form(
            "/authoring/glossary/kk",
            &[
                ("term", "botnet"),
                ("source_en", "botnet"),
                ("translation", "ботнет желісі"),
            ],
        )
        .await;
    other.join().unwrap();
    assert_eq!(second.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", second.body);
    assert!(second.has("#term-error"), "{}", second.body);
}

fn write_kk_glossary(dir: &std::path::Path, terms: &[(&str, &str)]) {
    let mut text = String::new();
    for (term, kk) in terms {
        text.push_str(&format!(
            "[{term}]\nen = \"{term}\"\nru = \"{term}\"\nkk = \"{kk}\"\n\n"
        ));
    }
    std::fs::create_dir_all(dir.join("_glossary")).unwrap();
    std::fs::write(dir.join("_glossary/kk.toml"), text).unwrap();
}

async fn a_deleted_glossary_term_stays_deleted_through_imports_and_the_export(mut app: TestApp) {
    let dir = app.with_courses("valid");
    people(&mut app).await;
    write_kk_glossary(&dir, &[("botnet", "ботнет")]);
    app.import_courses(&dir);
    let mut kz = app.signed_in("kz@bilim.test").await;
    assert!(kz.get("/authoring/glossary/kk").await.has("tr[data-term=\"botnet\"]"));
    let deleted = kz.post_form("/authoring/glossary/kk/botnet/delete", &[]).await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER, "{}", deleted.body);

    // The language's last term is gone: the export writes its file with none.
    let out = app.data_dir.path().join("export");
    {
        let mut conn = app.state.pool.get().unwrap();
        bilim::authoring::export::export(&mut conn, &dir, &out, None).unwrap();
    }
    let written = std::fs::read_to_string(out.join("_glossary/kk.toml")).unwrap();
    assert!(!written.contains("botnet"), "{written}");

    // Another change to the files is imported; the deleted term is not brought back.
    write_kk_glossary(&dir, &[("botnet", "ботнет"), ("phishing", "фишинг")]);
    app.import_courses(&dir);
    let list = kz.get("/authoring/glossary/kk").await;
    assert!(list.has("tr[data-term=\"phishing\"]"), "{}", list.body);
    assert!(!list.has("tr[data-term=\"botnet\"]"), "the deletion lasts");
    assert_eq!(
        kz.get("/authoring/glossary/kk/botnet").await.status,
        StatusCode::NOT_FOUND
    );

    // The files give the term a new text: it is theirs again.
    write_kk_glossary(&dir, &[("botnet", "бот-желі"), ("phishing", "фишинг")]);
    app.import_courses(&dir);
    let list = kz.get("/authoring/glossary/kk").await;
    assert!(
        list.select("tr[data-term=\"botnet\"]").join(" ").contains("бот-желі"),
        "{}",
        list.body
    );
}

async fn only_a_languages_translators_and_administrators_change_its_glossary(mut app: TestApp) {
    app.with_courses("valid");
    people(&mut app).await;
    let term = [
        ("term", "cybercrime"),
        ("source_en", "cybercrime"),
        ("source_ru", "киберпреступность"),
        ("translation", "kiberjinoyat"),
    ];
    let mut kz = app.signed_in("kz@bilim.test").await;
    assert_eq!(
        kz.get("/authoring/glossary/uz").await.status,
        StatusCode::OK,
        "authors may read"
    );
    assert_eq!(
        kz.post_form("/authoring/glossary/uz", &term).await.status,
        StatusCode::FORBIDDEN
    );
    let mut learner = app.signed_in("learner@bilim.test").await;
    assert_eq!(
        learner.get("/authoring/glossary/uz").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(kz.get("/authoring/glossary/xx").await.status, StatusCode::NOT_FOUND);
    let mut uz = app.signed_in("uz@bilim.test").await;
    assert_eq!(
        uz.post_form("/authoring/glossary/uz", &term).await.status,
        StatusCode::SEE_OTHER
    );
    let mut admin = app.signed_in("admin@bilim.test").await;
    let edit = admin
        .post_form(
            "/authoring/glossary/uz/cybercrime",
            &[("source_en", "cybercrime"), ("translation", "kiberjinoyatchilik")],
        )
        .await;
    assert_eq!(edit.status, StatusCode::SEE_OTHER, "{}", edit.body);
    assert_eq!(
        kz.post_form("/authoring/glossary/uz/cybercrime/delete", &[])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(audit_count(&app, "glossary_changed"), 2);
}

// ---- Languages in /admin --------------------------------------------------------

async fn an_administrator_sets_a_trainers_languages_and_the_audit_log_records_it(mut app: TestApp) {
    app.with_courses("valid");
    people(&mut app).await;
    let uz_id: i64 = {
        let mut conn = app.state.pool.get().unwrap();
        users::table
            .filter(users::email.eq("uz@bilim.test"))
            .select(users::id)
            .first(&mut conn)
            .unwrap()
    };
    let mut admin = app.signed_in("admin@bilim.test").await;
    let page = admin.get(&format!("/admin/users/{uz_id}")).await;
    assert!(page.has("#lang_uz[checked]"));
    assert!(!page.has("#lang_ru[checked]"));
    let saved = admin
        .post_form(
            &format!("/admin/users/{uz_id}/languages"),
            &[("lang_uz", "on"), ("lang_ru", "on")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let page = admin.get(&saved.location()).await;
    assert!(page.has(".notice"));
    assert!(page.has("#lang_ru[checked]") && page.has("#lang_uz[checked]"));
    let mut conn = app.state.pool.get().unwrap();
    let stored: String = users::table
        .find(uz_id)
        .select(users::languages)
        .first(&mut conn)
        .unwrap();
    assert_eq!(stored, "ru uz");
    assert_eq!(audit_count(&app, "languages_changed"), 1);
    // The same set again changes nothing and logs nothing.
    admin
        .post_form(
            &format!("/admin/users/{uz_id}/languages"),
            &[("lang_uz", "on"), ("lang_ru", "on")],
        )
        .await;
    assert_eq!(audit_count(&app, "languages_changed"), 1);

    let learner_id: i64 = users::table
        .filter(users::email.eq("learner@bilim.test"))
        .select(users::id)
        .first(&mut conn)
        .unwrap();
    assert!(!admin.get(&format!("/admin/users/{learner_id}")).await.has("#lang_ru"));
    let mut kz = app.signed_in("kz@bilim.test").await;
    let refused = kz
        .post_form(&format!("/admin/users/{uz_id}/languages"), &[("lang_kk", "on")])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

// ---- The daily digest -----------------------------------------------------------

fn at(day: u32, hour: u32, minute: u32) -> chrono::NaiveDateTime {
    NaiveDate::from_ymd_opt(2030, 3, day)
        .unwrap()
        .and_hms_opt(hour, minute, 0)
        .unwrap()
}

fn queue_digest(app: &TestApp, now: chrono::NaiveDateTime) -> usize {
    let mut conn = app.state.pool.get().unwrap();
    bilim::authoring::digest::queue_daily(&mut conn, &app.state.mail, now).unwrap()
}

fn mail_to(app: &TestApp, address: &str) -> Vec<(String, String, String)> {
    let mut conn = app.state.pool.get().unwrap();
    outbox::table
        .filter(outbox::recipient.eq(address))
        .select((outbox::subject, outbox::text_body, outbox::html_body))
        .load(&mut conn)
        .unwrap()
}

/// kz's Kazakh text of the intro's legal section, citing the law, sent for review.
async fn kk_legal_in_review(app: &mut TestApp, kz_trainer: &str) {
    let url = section("intro", "legal", "kk", None);
    let saved = put(
        app,
        kz_trainer,
        &url,
        "## Құқықтық негіз {#legal}\n\nЗаңсыз қол жеткізу үшін {{law:unauthorised_access}} бойынша жауапкершілік көзделген.",
    )
    .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let submitted = post(app, kz_trainer, &url, "submit", json!({ "reason": "checked" })).await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.body);
}

/// The administrator marks Kazakhstan's `unauthorised_access` amended.
async fn amend_kz_law(app: &mut TestApp, admin: &str) {
    let amended = app
        .api(
            Method::POST,
            "/api/v1/law/kz/unauthorised_access/amend",
            Some(admin),
            Some(json!({"effective": "2030-03-01", "note": "Жаңа редакция"})),
        )
        .await;
    assert_eq!(amended.status, StatusCode::OK, "{}", amended.body);
}

async fn the_digest_is_sent_once_a_day_to_each_trainer_with_work_in_their_language(mut app: TestApp) {
    app.with_courses("valid");
    let p = people(&mut app).await;
    {
        let mut conn = app.state.pool.get().unwrap();
        diesel::update(users::table.filter(users::email.eq("kz2@bilim.test")))
            .set(users::locale.eq("kk"))
            .execute(&mut conn)
            .unwrap();
    }
    // A Kazakh section waits for review: kz wrote it, kz2 may approve it.
    kk_legal_in_review(&mut app, &p.kz_trainer).await;

    assert_eq!(queue_digest(&app, at(10, 2, 59)), 0, "not before three o'clock");
    let sent = queue_digest(&app, at(10, 3, 4));
    assert_eq!(sent, 1, "only kz2 has something to do");
    let to_reviewer = mail_to(&app, "kz2@bilim.test");
    assert_eq!(to_reviewer.len(), 1);
    let (subject, text, html) = &to_reviewer[0];
    assert!(
        subject.contains("курс мәтіндері"),
        "in the recipient's language: {subject}"
    );
    // The link names the text (`language`) and carries the reader's own language.
    let link = format!(
        "{}/authoring/sections/demo-course/intro/legal?language=kk&lang=kk",
        app.state.mail.public_url
    );
    assert!(text.contains(&link), "{text}");
    assert!(
        html.contains(&format!("href=\"{}\"", link.replace('&', "&amp;"))),
        "{html}"
    );
    assert!(text.contains("Тексеруге"), "{text}");
    assert!(
        mail_to(&app, "kz@bilim.test").is_empty(),
        "nobody reviews their own edit"
    );
    assert!(mail_to(&app, "uz@bilim.test").is_empty(), "nothing to do, no mail");

    assert_eq!(queue_digest(&app, at(10, 9, 0)), 0, "once a day");
    let other = app.another_instance().await;
    assert_eq!(
        queue_digest(&other, at(10, 3, 5)),
        0,
        "a second instance the same day sends nothing"
    );
    assert_eq!(mail_to(&app, "kz2@bilim.test").len(), 1);

    // The next day, after the law is amended, the Kazakhstan trainers also hear of the
    // sections that cite it.
    amend_kz_law(&mut app, &p.admin).await;
    assert_eq!(queue_digest(&other, at(11, 3, 0)), 2);
    let to_author = mail_to(&app, "kz@bilim.test");
    assert_eq!(to_author.len(), 1);
    assert!(
        to_author[0].0.contains("Тексты курсов"),
        "kz reads Russian: {}",
        to_author[0].0
    );
    assert!(to_author[0].1.contains("Изменился закон"), "{}", to_author[0].1);
    assert!(mail_to(&app, "uz@bilim.test").is_empty());
    assert_eq!(queue_digest(&app, at(11, 4, 0)), 0);
}

async fn the_digest_names_sections_by_heading_and_leaves_out_law_changes_already_being_edited(mut app: TestApp) {
    app.with_courses("valid");
    let p = people(&mut app).await;
    kk_legal_in_review(&mut app, &p.kz_trainer).await;
    amend_kz_law(&mut app, &p.admin).await;
    assert!(queue_digest(&app, at(10, 3, 0)) > 0);

    let (_, text, _) = mail_to(&app, "kz2@bilim.test").remove(0);
    assert!(text.contains("Құқықтық негіз — intro (Қазақша)"), "{text}");
    assert!(!text.contains("› legal"), "no raw ids: {text}");
    let edited = "/authoring/sections/demo-course/intro/legal?language=kk";
    for (_, text, _) in mail_to(&app, "kz@bilim.test") {
        assert!(
            !text.contains(edited),
            "the section in review is not listed as law changed: {text}"
        );
    }
}

async fn two_instances_starting_on_the_same_first_day_claim_it_once_without_an_error(mut app: TestApp) {
    app.with_courses("valid");
    people(&mut app).await;
    // Another instance claims the first day and has not committed yet.
    let (claiming, claimed) = std::sync::mpsc::channel();
    let pool = app.state.pool.clone();
    let other = std::thread::spawn(move || {
        let mut conn = pool.get().unwrap();
        bilim::db::write_transaction(&mut conn, |conn| -> Result<(), diesel::result::Error> {
            diesel::insert_into(settings::table)
                .values((
                    settings::name.eq(bilim::authoring::digest::DAY_SETTING),
                    settings::value.eq("2030-03-10"),
                ))
                .execute(conn)?;
            claiming.send(()).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(700));
            Ok(())
        })
        .unwrap();
    });
    claimed.recv().unwrap();
    let queued = {
        let mut conn = app.state.pool.get().unwrap();
        bilim::authoring::digest::queue_daily(&mut conn, &app.state.mail, at(10, 3, 0))
    };
    other.join().unwrap();
    assert_eq!(queued.unwrap(), 0, "the other instance has the day");
}

on_both_backends!(
    a_trainer_proposes_a_title_change_in_the_browser_and_it_shows_only_after_another_trainer_approves,
    the_proposers_own_approval_is_refused_with_a_message_and_changes_nothing,
    requesting_changes_without_a_comment_is_refused,
    a_proposal_sent_back_is_continued_in_the_form_instead_of_typed_again,
    the_tables_russian_column_is_named_by_the_languages_own_name,
    a_refused_approval_is_shown_below_the_pages_heading,
    an_approved_proposal_writes_its_date_even_cleared_and_a_new_wording_is_verified_anew,
    wrong_input_is_shown_again_with_field_errors_and_changes_nothing,
    amending_marks_the_entry_amended_and_the_sections_citing_it_law_changed,
    entries_without_a_title_in_the_countrys_language_are_marked_and_counted,
    other_authors_may_read_a_countrys_table_but_not_change_it_and_learners_may_not_see_it,
    a_new_concept_is_proposed_and_approved_into_the_table,
    a_concept_named_new_is_refused_with_a_message_since_its_page_could_never_open,
    a_translator_adds_edits_and_deletes_glossary_terms_each_change_audited,
    only_a_languages_translators_and_administrators_change_its_glossary,
    a_deleted_glossary_term_stays_deleted_through_imports_and_the_export,
    two_people_adding_the_same_term_at_once_are_told_it_is_taken_not_shown_a_server_error,
    an_administrator_sets_a_trainers_languages_and_the_audit_log_records_it,
    the_digest_is_sent_once_a_day_to_each_trainer_with_work_in_their_language,
    the_digest_names_sections_by_heading_and_leaves_out_law_changes_already_being_edited,
    two_instances_starting_on_the_same_first_day_claim_it_once_without_an_error,
);
