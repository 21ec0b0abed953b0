//! Reports: figures against a hand-computed fixture, CSV export, the activity window
//! and institution isolation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use actix_web::http::{Method, StatusCode};
use bilim::accounts::model::{Country, Role, UserId};
use bilim::db::schema::{course_runs, module_progress, users};

use chrono::{Duration, NaiveDate, NaiveDateTime, Utc};
use common::fixtures::{AttemptBuilder, CertificateBuilder, RunBuilder};
use common::{csv_rows, TestApp, PASSWORD};
use diesel::prelude::*;

fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// A learner with a name and category, admitted to `run` with `status`.
fn learner(app: &TestApp, email: &str, name: &str, category: &str, run: i64, status: &str) -> i64 {
    let id = app.create_user(email, Role::Learner, None);
    app.set_user_name(id, name);
    app.set_user_category(id, category);
    app.admit(run, id, status);
    id
}

fn studied(app: &TestApp, user: i64, days_ago: i64) {
    let mut conn = app.state.pool.get().unwrap();
    let at = now() - Duration::days(days_ago);
    diesel::insert_into(module_progress::table)
        .values((
            module_progress::user_id.eq(user),
            module_progress::course_id.eq("demo-course"),
            module_progress::module_id.eq("intro"),
            module_progress::started_at.eq(at),
            module_progress::updated_at.eq(at),
        ))
        .execute(&mut conn)
        .unwrap();
    bilim::enrolment::record_activity(&mut conn, UserId(user), "demo-course", at).unwrap();
}

/// The fixture, computed by hand:
///
/// Run A (Kazakhstan, national pilot, started 10 days ago), institution A:
/// - Айгерим Сапарова, police officer, completed, studied 2 days ago, certificate;
///   pre-test 40 %, final 80 %.
/// - Данияр Ахметов, investigator, enrolled, studied 3 days ago, revoked certificate;
///   pre-test 60 %, final 100 %.
/// - "=HYPERLINK(…)", police officer, enrolled, studied 30 days ago: stalled.
/// - Ерлан Омаров, prosecutor, enrolled, never studied: stalled.
/// - Requested only: not admitted, counted nowhere.
///
/// So run A: enrolled 4, active 2, completed 1, certified 1, completion 25 %,
/// pre-test mean 50 %, final mean 90 %, average score 90 %, gain +40 points.
///
/// Run B (Uzbekistan, thematic), institution B: one active learner, Bobur Karimov.
struct Fixture {
    coordinator_a: &'static str,
    coordinator_b: &'static str,
    admin: &'static str,
}

/// Imports the demo course with its final test paired with the module quiz `check`
/// as its pre-test, so reports show knowledge gain.
fn demo_course_with_a_pre_test(app: &TestApp) {
    let dir = app.copy_courses("valid");
    let quiz = dir.join("demo-course/quizzes/final/quiz.toml");
    let settings = std::fs::read_to_string(&quiz).unwrap();
    std::fs::write(&quiz, format!("pre_test = \"check\"\n{settings}")).unwrap();
    app.import_courses(&dir);
}

fn fixture(app: &TestApp) -> Fixture {
    demo_course_with_a_pre_test(app);
    let institution_a = app.create_institution("Академия МВД", Country::Kz);
    let institution_b = app.create_institution("Akademiya", Country::Uz);
    let coordinator = app.create_user("coordinator-a@example.kz", Role::Coordinator, Some(institution_a));
    app.create_user("coordinator-b@example.uz", Role::Coordinator, Some(institution_b));
    app.create_user("admin@example.kz", Role::Admin, None);
    let run_a = RunBuilder::new(institution_a, coordinator)
        .country("KZ")
        .phase("national_pilot")
        .started_days_ago(10)
        .insert(app);
    let run_b = RunBuilder::new(institution_b, coordinator)
        .country("UZ")
        .phase("thematic")
        .started_days_ago(5)
        .insert(app);

    let aigerim = learner(
        app,
        "aigerim@example.kz",
        "Айгерим Сапарова",
        "police_officer",
        run_a,
        "completed",
    );
    studied(app, aigerim, 2);
    AttemptBuilder::new(aigerim, run_a, "check", 40.0).insert(app);
    AttemptBuilder::new(aigerim, run_a, "final", 80.0).insert(app);
    CertificateBuilder::new("AAAA-1111", aigerim, run_a).insert(app);

    let daniyar = learner(
        app,
        "daniyar@example.kz",
        "Данияр Ахметов",
        "investigator",
        run_a,
        "enrolled",
    );
    studied(app, daniyar, 3);
    AttemptBuilder::new(daniyar, run_a, "check", 60.0).insert(app);
    AttemptBuilder::new(daniyar, run_a, "final", 100.0).insert(app);
    CertificateBuilder::new("BBBB-2222", daniyar, run_a)
        .revoked(true)
        .insert(app);

    let formula = learner(
        app,
        "formula@example.kz",
        "=HYPERLINK(\"x\")",
        "police_officer",
        run_a,
        "enrolled",
    );
    studied(app, formula, 30);
    learner(app, "erlan@example.kz", "Ерлан Омаров", "prosecutor", run_a, "enrolled");
    learner(
        app,
        "waiting@example.kz",
        "Ожидающий",
        "police_officer",
        run_a,
        "requested",
    );

    let bobur = learner(
        app,
        "bobur@example.uz",
        "Bobur Karimov",
        "investigator",
        run_b,
        "enrolled",
    );
    studied(app, bobur, 1);
    Fixture {
        coordinator_a: "coordinator-a@example.kz",
        coordinator_b: "coordinator-b@example.uz",
        admin: "admin@example.kz",
    }
}

/// The programme's indicators, computed by hand. All runs are in Kyrgyzstan.
///
/// Run T, training of trainers, ended: Асель (woman), Бакыт (man) and Чолпон (gender
/// not recorded) completed, all trainers by category; Асель's and Бакыт's certificates
/// stand, Чолпон's is revoked; Динара is enrolled only. So 2 national trainers
/// certified; 1 course delivered in the phase, with 3 learners completed.
///
/// Run P, national pilot, ended: Эльмира and Жылдыз (women, police officers) and
/// Азамат (man, prosecutor) completed, as did Асель again; Нурлан is enrolled only.
/// Run Q, national pilot, still running: Тимур (man, police officer) completed.
/// So the pilot phase delivered 1 course (Q has not ended) with 4 completed, and the
/// people trained are police officers 3 (2 women, 1 man: 66.7 % women), prosecutors 1
/// (0 %), trainers 3 (Асель once, though she completed two runs: 1 woman, 1 man, 1 not
/// recorded: 50 % women).
fn programme_fixture(app: &TestApp) {
    app.with_courses("valid");
    let institution = app.create_institution("Академия МВД Кыргызской Республики", Country::Kg);
    let admin = app.create_user("admin@example.kg", Role::Admin, None);
    let run_t = RunBuilder::new(institution, admin)
        .country("KG")
        .phase("training_of_trainers")
        .started_days_ago(60)
        .ends_on(today() - Duration::days(40))
        .insert(app);
    let run_p = RunBuilder::new(institution, admin)
        .country("KG")
        .phase("national_pilot")
        .started_days_ago(30)
        .ends_on(today() - Duration::days(1))
        .insert(app);
    let run_q = RunBuilder::new(institution, admin)
        .country("KG")
        .phase("national_pilot")
        .started_days_ago(5)
        .insert(app);
    let people = [
        (
            "asel@example.kg",
            "Асель",
            "trainer",
            run_t,
            "completed",
            Some("female"),
            Some("T-1"),
        ),
        (
            "bakyt@example.kg",
            "Бакыт",
            "trainer",
            run_t,
            "completed",
            Some("male"),
            Some("T-2"),
        ),
        (
            "cholpon@example.kg",
            "Чолпон",
            "trainer",
            run_t,
            "completed",
            None,
            Some("T-3"),
        ),
        (
            "dinara@example.kg",
            "Динара",
            "trainer",
            run_t,
            "enrolled",
            Some("female"),
            None,
        ),
        (
            "elmira@example.kg",
            "Эльмира",
            "police_officer",
            run_p,
            "completed",
            Some("female"),
            None,
        ),
        (
            "jyldyz@example.kg",
            "Жылдыз",
            "police_officer",
            run_p,
            "completed",
            Some("female"),
            None,
        ),
        (
            "azamat@example.kg",
            "Азамат",
            "prosecutor",
            run_p,
            "completed",
            Some("male"),
            None,
        ),
        (
            "nurlan@example.kg",
            "Нурлан",
            "police_officer",
            run_p,
            "enrolled",
            Some("male"),
            None,
        ),
        (
            "timur@example.kg",
            "Тимур",
            "police_officer",
            run_q,
            "completed",
            Some("male"),
            None,
        ),
    ];
    for (email, name, category, run, status, gender, code) in people {
        let id = learner(app, email, name, category, run, status);
        app.set_user_gender(id, gender);
        if let Some(code) = code {
            CertificateBuilder::new(code, id, run)
                .revoked(code == "T-3")
                .insert(app);
        }
        if name == "Асель" {
            app.admit(run_p, id, "completed");
        }
    }
}

const NBSP: char = '\u{a0}';

async fn the_run_report_matches_the_hand_computed_figures(mut app: TestApp) {
    let f = fixture(&app);
    app.sign_in(f.coordinator_a, PASSWORD).await;
    let csv = app.get("/reports/runs.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.header("content-type"), "text/csv; charset=utf-8");
    let rows = csv_rows(&csv.bytes);
    assert_eq!(
        rows.len(),
        1,
        "coordinator A sees only their institution's run: {rows:?}"
    );
    let row = &rows[0];
    assert_eq!(row[1], "Академия МВД");
    assert_eq!(
        &row[5..],
        [
            "4".to_owned(),
            "2".to_owned(),
            "1".to_owned(),
            "1".to_owned(),
            "25,0".to_owned(),
            "90,0".to_owned(),
            "50,0".to_owned(),
            "90,0".to_owned(),
            "+40,0".to_owned(),
        ]
    );

    let page = app.get("/reports").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains(r#"<progress class="chart__bar" max="100" value="25""#),
        "the completion chart is drawn on the server, its bar at the run's 25 %"
    );
    assert!(page.body.contains(&format!("25,0{NBSP}%")));
    assert!(!page.body.contains("<script"));
    assert_eq!(
        page.count("section[aria-labelledby=report-runs] > .table-wrap thead th"),
        6,
        "the wide runs table shows its key columns at first"
    );
    assert_eq!(
        page.count("section[aria-labelledby=report-runs] details thead th"),
        14,
        "and every column a click away"
    );
}

async fn learners_are_split_by_country_category_and_phase(mut app: TestApp) {
    let f = fixture(&app);
    app.sign_in(f.coordinator_a, PASSWORD).await;
    let rows = csv_rows(&app.get("/reports/groups.csv").await.bytes);
    let find = |category: &str| {
        rows.iter()
            .find(|r| r[1] == category)
            .unwrap_or_else(|| panic!("{category} in {rows:?}"))
            .clone()
    };
    assert_eq!(rows.len(), 3, "{rows:?}");
    let police = find("Сотрудник полиции (милиции)");
    assert_eq!(police[0], "Казахстан");
    assert_eq!(&police[3..], ["2", "1", "1", "50,0"]);
    assert_eq!(&find("Следователь")[3..], ["1", "0", "0", "0,0"]);
    assert_eq!(&find("Прокурор")[3..], ["1", "0", "0", "0,0"]);

    // In English, with a decimal point, the file is separated by commas.
    let english = app.get("/reports/groups.csv?lang=en").await;
    let text = String::from_utf8(english.bytes.to_vec()).unwrap();
    let heading = text.trim_start_matches('\u{feff}').lines().next().unwrap();
    assert!(heading.contains(',') && !heading.contains(';'), "{heading}");
    let rows = csv_rows(&english.bytes);
    let police = rows.iter().find(|r| r[1] == "Police officer").unwrap();
    assert_eq!(&police[3..], ["2", "1", "1", "50.0"]);
}

async fn a_shortened_stalled_list_is_the_start_of_the_full_one_ties_and_all(app: TestApp) {
    fixture(&app);
    let run = {
        let mut conn = app.state.pool.get().unwrap();
        course_runs::table
            .order(course_runs::id.asc())
            .select(course_runs::id)
            .first::<i64>(&mut conn)
            .unwrap()
    };
    // Beside the fixture's two stalled learners of run A (never studied; 30 days ago):
    // one more who never studied, and three silent since the very same moment, so
    // that names and then enrolments decide between them.
    learner(&app, "boris@example.kz", "Борис Ли", "investigator", run, "enrolled");
    let same_moment = now() - Duration::days(20);
    for (email, name) in [
        ("vera@example.kz", "Вера Ким"),
        ("aliya@example.kz", "Алия Нур"),
        ("aliya2@example.kz", "Алия Нур"),
    ] {
        let id = learner(&app, email, name, "prosecutor", run, "enrolled");
        let mut conn = app.state.pool.get().unwrap();
        diesel::update(bilim::db::schema::enrolments::table.filter(bilim::db::schema::enrolments::user_id.eq(id)))
            .set(bilim::db::schema::enrolments::last_activity_at.eq(Some(same_moment)))
            .execute(&mut conn)
            .unwrap();
    }
    let mut conn = app.state.pool.get().unwrap();
    let runs: Vec<bilim::enrolment::RunRow> = course_runs::table
        .select(bilim::enrolment::RunRow::as_select())
        .load(&mut conn)
        .unwrap();
    let since = now() - Duration::days(14);
    let stalled = |conn: &mut bilim::db::DbConnection, limit| {
        bilim::reports::stalled_learners(conn, &runs, today(), since, limit).unwrap()
    };
    let (all, total) = stalled(&mut conn, None);
    let names: Vec<&str> = all.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Борис Ли",
            "Ерлан Омаров",
            "=HYPERLINK(\"x\")",
            "Алия Нур",
            "Алия Нур",
            "Вера Ким"
        ]
    );
    assert_eq!(total, 6);
    for limit in 0..=7 {
        let (shown, counted) = stalled(&mut conn, Some(limit));
        let expected = &all[..usize::try_from(limit).unwrap().min(all.len())];
        assert_eq!(shown, expected, "the first {limit}");
        assert_eq!(counted, total);
    }
}

async fn stalled_learners_are_listed_longest_silence_first_and_csv_cells_cannot_run_formulas(mut app: TestApp) {
    let f = fixture(&app);
    app.sign_in(f.coordinator_a, PASSWORD).await;
    let rows = csv_rows(&app.get("/reports/stalled.csv").await.bytes);
    let names: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(names, ["Ерлан Омаров", "'=HYPERLINK(\"x\")"]);
    assert_eq!(rows[0][3], "Нет активности");

    let wider = csv_rows(&app.get("/reports/stalled.csv?days=60").await.bytes);
    assert_eq!(
        wider.len(),
        1,
        "with a 60-day window only the learner who never studied is stalled"
    );
}

async fn the_csv_opens_with_cyrillic_intact(mut app: TestApp) {
    let f = fixture(&app);
    app.sign_in(f.coordinator_a, PASSWORD).await;
    let csv = app.get("/reports/stalled.csv").await;
    assert!(csv.bytes.starts_with(b"\xEF\xBB\xBF"));
    let text = String::from_utf8(csv.bytes[3..].to_vec()).unwrap();
    assert!(
        text.starts_with("Слушатель;Эл. почта;Курс;Последняя активность"),
        "separated by semicolons, as the region's spreadsheet programs read them: {text}"
    );
    assert!(text.contains("Ерлан Омаров"));
    let runs = app.get("/reports/runs.csv").await;
    let runs = String::from_utf8(runs.bytes[3..].to_vec()).unwrap();
    let heading = runs.lines().next().unwrap();
    assert!(
        heading.contains(";Доля завершивших (%);"),
        "a percentage's column says so: {heading}"
    );
    assert!(
        runs.lines()
            .skip(1)
            .all(|row| row.contains(";25,0;") && !row.contains('%')),
        "and its cells are numbers a spreadsheet calculates with: {runs}"
    );
    assert!(csv
        .header("content-disposition")
        .starts_with("attachment; filename=\"bilim-stalled-"));
}

async fn coordinators_see_only_their_institution_and_administrators_see_all(app: TestApp) {
    let f = fixture(&app);
    let mut coordinator = app.signed_in(f.coordinator_b).await;
    let page = coordinator.get("/reports").await;
    assert!(page.body.contains("Akademiya"), "{} {}", page.status, page.body);
    assert!(!page.body.contains("Академия МВД"));
    assert!(!page.body.contains("Ерлан Омаров"));
    let rows = csv_rows(&coordinator.get("/reports/runs.csv").await.bytes);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][1], "Akademiya");

    let mut admin = app.signed_in(f.admin).await;
    let rows = csv_rows(&admin.get("/reports/runs.csv").await.bytes);
    assert_eq!(rows.len(), 2);
}

async fn learners_cannot_read_reports_and_visitors_are_sent_to_sign_in(mut app: TestApp) {
    fixture(&app);
    let anonymous = app.get("/reports").await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    assert!(anonymous.location().starts_with("/login"));
    app.sign_in("aigerim@example.kz", PASSWORD).await;
    assert_eq!(app.get("/reports").await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get("/reports/stalled.csv").await.status, StatusCode::FORBIDDEN);
}

async fn an_invalid_activity_window_is_explained_and_the_default_is_used(mut app: TestApp) {
    let f = fixture(&app);
    app.sign_in(f.coordinator_a, PASSWORD).await;
    let page = app.get("/reports?days=abc").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.count(".error-summary"), 1, "one error summary");
    assert!(page.body.contains("Введите целое число дней от 1 до 365"));
    assert!(
        page.body.contains("Ерлан Омаров"),
        "the report still shows, over the default window"
    );
    assert_eq!(app.get("/reports/unknown.csv").await.status, StatusCode::NOT_FOUND);
}

async fn the_xlsx_export_keeps_figures_as_numbers_and_text_intact(mut app: TestApp) {
    let f = fixture(&app);
    app.sign_in(f.coordinator_a, PASSWORD).await;
    let xlsx = app.get("/reports/runs.xlsx").await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert_eq!(
        xlsx.header("content-type"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(xlsx.bytes.clone())).unwrap();
    let read = |archive: &mut zip::ZipArchive<std::io::Cursor<Vec<u8>>>, name: &str| {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut archive.by_name(name).unwrap(), &mut text).unwrap();
        text
    };
    let sheet = read(&mut archive, "xl/worksheets/sheet1.xml");
    let strings = read(&mut archive, "xl/sharedStrings.xml");
    assert!(
        strings.contains("Академия МВД") && strings.contains("Доля завершивших"),
        "{strings}"
    );
    assert!(
        sheet.contains("<v>0.25</v>"),
        "the completion rate is the number 25 %: {sheet}"
    );
    assert!(sheet.contains("<v>40</v>"), "the gain is the number 40: {sheet}");
}

async fn observers_see_aggregates_of_five_or_more_and_nothing_personal(mut app: TestApp) {
    fixture(&app);
    app.create_user("observer@example.org", Role::Observer, None);
    app.sign_in("observer@example.org", PASSWORD).await;
    let page = app.get("/reports").await;
    assert_eq!(page.status, StatusCode::OK);
    for personal in ["Ерлан Омаров", "erlan@example.kz", "Bobur Karimov", "Айгерим"] {
        assert!(
            !page.body.contains(personal),
            "{personal} must not be shown to observers"
        );
    }
    let runs = csv_rows(&app.get("/reports/runs.csv").await.bytes);
    assert!(runs.is_empty(), "no run has five admitted learners: {runs:?}");
    assert_eq!(app.get("/reports/stalled.csv").await.status, StatusCode::NOT_FOUND);

    // A sixth admitted learner in run A makes it large enough to report.
    let run_a: i64 = {
        let mut conn = app.state.pool.get().unwrap();
        course_runs::table
            .select(course_runs::id)
            .order(course_runs::id.asc())
            .first(&mut conn)
            .unwrap()
    };
    learner(&app, "sixth@example.kz", "Шестой", "police_officer", run_a, "enrolled");
    let runs = csv_rows(&app.get("/reports/runs.csv").await.bytes);
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0][5], "5");
    let groups = csv_rows(&app.get("/reports/groups.csv").await.bytes);
    assert!(
        groups.is_empty(),
        "every category group is still smaller than five: {groups:?}"
    );
}

async fn opening_a_module_makes_a_stalled_learner_active(app: TestApp) {
    let f = fixture(&app);
    let mut erlan = app.signed_in("erlan@example.kz").await;
    assert_eq!(erlan.get("/courses/demo-course/intro").await.status, StatusCode::OK);
    let mut coordinator = app.signed_in(f.coordinator_a).await;
    let stalled = csv_rows(&coordinator.get("/reports/stalled.csv").await.bytes);
    assert!(stalled.iter().all(|r| r[0] != "Ерлан Омаров"), "{stalled:?}");
    let runs = csv_rows(&coordinator.get("/reports/runs.csv").await.bytes);
    assert_eq!(runs[0][6], "3", "Айгерим, Данияр and now Ерлан studied within 14 days");
}

async fn a_quiz_attempt_counts_towards_the_run_the_learner_is_in(mut app: TestApp) {
    let f = fixture(&app);
    let token = app.api_token("erlan@example.kz", PASSWORD).await;
    let started = app
        .api(
            Method::POST,
            "/api/v1/courses/demo-course/quizzes/final/attempts",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(started.status, StatusCode::CREATED, "{}", started.body);
    let id = started.json()["attempt_id"].as_i64().unwrap();
    let submitted = app
        .api(
            Method::POST,
            &format!("/api/v1/attempts/{id}/submit"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.body);
    app.sign_in(f.coordinator_a, PASSWORD).await;
    let runs = csv_rows(&app.get("/reports/runs.csv").await.bytes);
    // Final-test mean over 80, 100 and the unanswered 0: 60; gain 60 − 50.
    assert_eq!(runs[0][12], "60,0".to_owned());
    assert_eq!(runs[0][13], "+10,0");
}

async fn knowledge_gain_is_reported_per_country_and_category(mut app: TestApp) {
    let f = fixture(&app);
    app.sign_in(f.coordinator_a, PASSWORD).await;
    let rows = csv_rows(&app.get("/reports/gain.csv").await.bytes);
    assert_eq!(
        rows,
        [
            ["Казахстан", "Следователь", "60,0", "100,0", "+40,0", "1"],
            ["Казахстан", "Сотрудник полиции (милиции)", "40,0", "80,0", "+40,0", "1"],
        ]
    );
    app.sign_out_locally();
    app.sign_in(f.coordinator_b, PASSWORD).await;
    assert!(
        csv_rows(&app.get("/reports/gain.csv").await.bytes).is_empty(),
        "institution B's learners took no tests"
    );
}

async fn programme_indicators_count_trainers_courses_and_people_trained_with_the_share_of_women(mut app: TestApp) {
    programme_fixture(&app);
    app.sign_in("admin@example.kg", PASSWORD).await;
    let kg = "Кыргызстан";
    assert_eq!(csv_rows(&app.get("/reports/trainers.csv").await.bytes), [[kg, "2"]]);
    let phase = |code: &str| bilim::i18n::label(bilim::i18n::Locale::Ru, "phases", code);
    assert_eq!(
        csv_rows(&app.get("/reports/delivered.csv").await.bytes),
        [
            [phase("training_of_trainers").as_str(), kg, "1", "3"],
            [phase("national_pilot").as_str(), kg, "1", "4"],
        ]
    );
    let trained = csv_rows(&app.get("/reports/trained.csv").await.bytes);
    assert_eq!(
        trained,
        [
            [kg, "Сотрудник полиции (милиции)", "3", "2", "1", "0", "66,7"],
            [kg, "Прокурор", "1", "0", "1", "0", "0,0"],
            [kg, "Тренер-преподаватель", "3", "1", "1", "1", "50,0"],
        ]
    );
    let page = app.get("/reports").await;
    assert!(page.body.contains(&format!("66,7{NBSP}%")));

    app.create_user("observer@example.org", Role::Observer, None);
    app.sign_out_locally();
    app.sign_in("observer@example.org", PASSWORD).await;
    assert!(
        csv_rows(&app.get("/reports/trainers.csv").await.bytes).is_empty(),
        "two trainers are too few to show"
    );
    assert!(
        csv_rows(&app.get("/reports/trained.csv").await.bytes).is_empty(),
        "every group is smaller than five"
    );
}

async fn the_course_report_sums_its_runs_and_weights_means_by_attempts(mut app: TestApp) {
    let f = fixture(&app);
    app.sign_in(f.admin, PASSWORD).await;
    let rows = csv_rows(&app.get("/reports/courses.csv").await.bytes);
    assert_eq!(rows.len(), 1, "both runs are of the demo course: {rows:?}");
    // Runs A and B: 4 + 1 admitted, 2 + 1 active; only run A has quiz attempts.
    assert_eq!(
        &rows[0][1..],
        [
            "2".to_owned(),
            "5".to_owned(),
            "3".to_owned(),
            "1".to_owned(),
            "1".to_owned(),
            "20,0".to_owned(),
            "90,0".to_owned(),
            "50,0".to_owned(),
            "90,0".to_owned(),
            "+40,0".to_owned(),
        ]
    );
}

async fn observers_see_no_figure_of_fewer_than_five_people_inside_a_larger_group(mut app: TestApp) {
    let f = fixture(&app);
    // One investigator takes the final test six times: six attempts, one person.
    let daniyar: i64 = {
        let mut conn = app.state.pool.get().unwrap();
        users::table
            .filter(users::email.eq("daniyar@example.kz"))
            .select(users::id)
            .first(&mut conn)
            .unwrap()
    };
    let run_a: i64 = {
        let mut conn = app.state.pool.get().unwrap();
        course_runs::table
            .select(course_runs::id)
            .order(course_runs::id.asc())
            .first(&mut conn)
            .unwrap()
    };
    for _ in 0..5 {
        AttemptBuilder::new(daniyar, run_a, "final", 90.0).insert(&app);
    }
    app.sign_in(f.admin, PASSWORD).await;
    let gains = csv_rows(&app.get("/reports/gain.csv").await.bytes);
    assert!(
        gains.iter().any(|r| r[1] == "Следователь"),
        "administrators see every group: {gains:?}"
    );
    app.create_user("observer@example.org", Role::Observer, None);
    app.sign_out_locally();
    app.sign_in("observer@example.org", PASSWORD).await;
    let gains = csv_rows(&app.get("/reports/gain.csv").await.bytes);
    assert!(gains.is_empty(), "six attempts of one person are one person: {gains:?}");
}

async fn observers_see_people_trained_but_not_gender_counts_under_five(mut app: TestApp) {
    programme_fixture(&app);
    let run_p: i64 = {
        let mut conn = app.state.pool.get().unwrap();
        course_runs::table
            .filter(course_runs::phase.eq("national_pilot"))
            .select(course_runs::id)
            .order(course_runs::id.asc())
            .first(&mut conn)
            .unwrap()
    };
    // Three more officers in the national pilot: with the two women there, five
    // officers trained in runs large enough for observers to count (Тимур's run of
    // one counts only for administrators).
    for (email, name) in [
        ("kanat@example.kg", "Канат"),
        ("ulan@example.kg", "Улан"),
        ("erlan@example.kg", "Эрлан"),
    ] {
        let id = learner(&app, email, name, "police_officer", run_p, "completed");
        app.set_user_gender(id, Some("male"));
    }
    // Four more prosecutors beside Азамат: a lone prosecutor's row would be left out,
    // and the officers' row with it, so that no total minus the officers gives him.
    for n in 0..4 {
        let id = learner(
            &app,
            &format!("prosecutor{n}@example.kg"),
            "Прокурор",
            "prosecutor",
            run_p,
            "completed",
        );
        app.set_user_gender(id, Some("male"));
    }
    let kg = "Кыргызстан";
    app.sign_in("admin@example.kg", PASSWORD).await;
    let trained = csv_rows(&app.get("/reports/trained.csv").await.bytes);
    assert!(
        trained.contains(&vec![
            kg.to_owned(),
            "Сотрудник полиции (милиции)".to_owned(),
            "6".to_owned(),
            "2".to_owned(),
            "4".to_owned(),
            "0".to_owned(),
            "33,3".to_owned()
        ]),
        "{trained:?}"
    );
    app.create_user("observer@example.org", Role::Observer, None);
    app.sign_out_locally();
    app.sign_in("observer@example.org", PASSWORD).await;
    let trained = csv_rows(&app.get("/reports/trained.csv").await.bytes);
    // Асель, a trainer who also completed the pilot, is a group of one: her row is left
    // out, and with it the next smallest (the officers), so that no total minus the
    // rows shown gives her. The officers' three men left out would then be the total
    // of men minus the prosecutors' five: those are "—" too, and the rest of the
    // prosecutors' gender cells with them.
    assert_eq!(
        trained,
        [[kg, "Прокурор", "5", "—", "—", "—", "—"]],
        "no group of one to four can be read or worked out"
    );
}
/// A run of six officers of whom three took the final test (one of them three times)
/// and two the pre-test: its means, and its course's, are the scores of fewer than five
/// people. Administrators see them; observers see "—", in the pages and the
/// downloads, until five different people have taken each test.
async fn observers_see_no_mean_score_of_fewer_than_five_people_until_five_have_taken_the_test(app: TestApp) {
    demo_course_with_a_pre_test(&app);
    let (academy, coordinator) = app.institution_with_coordinator("Академия", Country::Kz, "head@example.kz");
    let run = RunBuilder::new(academy, coordinator).insert(&app);
    let officers: Vec<i64> = (0..6)
        .map(|n| {
            learner(
                &app,
                &format!("o{n}@example.kz"),
                "Офицер",
                "police_officer",
                run,
                "enrolled",
            )
        })
        .collect();
    for (officer, quiz, score) in [
        (0, "final", 70.0),
        (0, "final", 70.0),
        (0, "final", 70.0),
        (1, "final", 90.0),
        (2, "final", 90.0),
        (0, "check", 40.0),
        (1, "check", 60.0),
    ] {
        AttemptBuilder::new(officers[officer], run, quiz, score).insert(&app);
    }
    app.create_user("admin@example.kz", Role::Admin, None);
    app.create_user("observer@example.org", Role::Observer, None);
    let mut admin = app.signed_in("admin@example.kz").await;
    let mut observer = app.signed_in("observer@example.org").await;
    let percent = |value: &str| format!("{value}{NBSP}%");
    // Average score (the final test: 390 / 5 attempts), pre-test, final test, gain.
    let small = [
        "78,0".to_owned(),
        "50,0".to_owned(),
        "78,0".to_owned(),
        "+28,0".to_owned(),
    ];
    let hidden = ["—", "—", "—", "—"];

    let runs = csv_rows(&admin.get("/reports/runs.csv").await.bytes);
    assert_eq!(runs[0][10..14], small, "administrators see every mean: {runs:?}");
    let courses = csv_rows(&admin.get("/reports/courses.csv").await.bytes);
    assert_eq!(courses[0][7..11], small, "{courses:?}");
    assert_eq!(csv_rows(&admin.get("/reports/gain.csv").await.bytes).len(), 1);

    let runs = csv_rows(&observer.get("/reports/runs.csv").await.bytes);
    assert_eq!(runs[0][5], "6", "the run itself is large enough to show: {runs:?}");
    assert_eq!(runs[0][10..14], hidden, "five attempts of three people: {runs:?}");
    let courses = csv_rows(&observer.get("/reports/courses.csv").await.bytes);
    assert_eq!(courses[0][7..11], hidden, "{courses:?}");
    assert!(
        csv_rows(&observer.get("/reports/gain.csv").await.bytes).is_empty(),
        "the officers' group took each test fewer than five"
    );
    let page = observer.get("/reports").await;
    assert!(!page.body.contains(&percent("78,0")), "nowhere on the page either");

    // Two more officers take the final test and three more the pre-test: five
    // different people behind each mean.
    for (officer, quiz, score) in [
        (3, "final", 85.0),
        (4, "final", 85.0),
        (2, "check", 50.0),
        (3, "check", 50.0),
        (4, "check", 50.0),
    ] {
        AttemptBuilder::new(officers[officer], run, quiz, score).insert(&app);
    }
    let five = [
        "80,0".to_owned(),
        "50,0".to_owned(),
        "80,0".to_owned(),
        "+30,0".to_owned(),
    ];
    let runs = csv_rows(&observer.get("/reports/runs.csv").await.bytes);
    assert_eq!(runs[0][10..14], five, "{runs:?}");
    let courses = csv_rows(&observer.get("/reports/courses.csv").await.bytes);
    assert_eq!(courses[0][7..11], five, "{courses:?}");
    let gains = csv_rows(&observer.get("/reports/gain.csv").await.bytes);
    assert_eq!(
        gains,
        [["Казахстан", "Сотрудник полиции (милиции)", "50,0", "80,0", "+30,0", "7"]]
    );
}

/// A course with a run of sixteen (one of them completed and certified) and a run of
/// two (one completed and certified). Observers used to see the course as 18 / 2 / 2
/// beside the large run's 16 / 1 / 1, so subtracting told them what the two in the
/// hidden run did. Now the small run counts nowhere, the one completion is "—", and
/// what the tables show adds up.
async fn observers_cannot_subtract_a_small_run_or_group_from_a_total(app: TestApp) {
    app.with_courses("valid");
    let (academy, coordinator) = app.institution_with_coordinator("Академия", Country::Kz, "head@example.kz");
    let large = RunBuilder::new(academy, coordinator)
        .phase("national_pilot")
        .insert(&app);
    let small = RunBuilder::new(academy, coordinator).phase("thematic").insert(&app);
    for n in 0..16 {
        let category = if n < 10 { "police_officer" } else { "investigator" };
        let status = if n == 0 { "completed" } else { "enrolled" };
        let id = learner(&app, &format!("l{n}@example.kz"), "Слушатель", category, large, status);
        if n == 0 {
            CertificateBuilder::new("LRGE-0001", id, large).insert(&app);
        }
    }
    for n in 0..2 {
        let status = if n == 0 { "completed" } else { "enrolled" };
        let id = learner(
            &app,
            &format!("s{n}@example.kz"),
            "Слушатель",
            "prosecutor",
            small,
            status,
        );
        if n == 0 {
            CertificateBuilder::new("SMLL-0001", id, small).insert(&app);
        }
    }

    let mut admin = {
        app.create_user("admin@example.kz", Role::Admin, None);
        app.signed_in("admin@example.kz").await
    };
    let courses = csv_rows(&admin.get("/reports/courses.csv").await.bytes);
    assert_eq!(
        courses[0][1..6],
        ["2", "18", "0", "2", "2"],
        "administrators see everything"
    );

    app.create_user("observer@example.org", Role::Observer, None);
    let mut observer = app.signed_in("observer@example.org").await;
    let runs = csv_rows(&observer.get("/reports/runs.csv").await.bytes);
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0][5..10], ["16", "0", "—", "—", "—"], "{runs:?}");
    let courses = csv_rows(&observer.get("/reports/courses.csv").await.bytes);
    assert_eq!(
        courses[0][1..7],
        ["1", "16", "0", "—", "—", "—"],
        "the course counts the large run only: {courses:?}"
    );
    let groups = csv_rows(&observer.get("/reports/groups.csv").await.bytes);
    let enrolled: Vec<&str> = groups.iter().map(|g| g[3].as_str()).collect();
    assert_eq!(enrolled, ["6", "10"], "the two prosecutors count nowhere: {groups:?}");
    assert!(groups.iter().all(|g| g[4] != "1" && g[5] != "1"), "{groups:?}");
}

on_both_backends!(
    a_shortened_stalled_list_is_the_start_of_the_full_one_ties_and_all,
    observers_see_no_mean_score_of_fewer_than_five_people_until_five_have_taken_the_test,
    observers_cannot_subtract_a_small_run_or_group_from_a_total,
    the_run_report_matches_the_hand_computed_figures,
    learners_are_split_by_country_category_and_phase,
    stalled_learners_are_listed_longest_silence_first_and_csv_cells_cannot_run_formulas,
    the_csv_opens_with_cyrillic_intact,
    coordinators_see_only_their_institution_and_administrators_see_all,
    learners_cannot_read_reports_and_visitors_are_sent_to_sign_in,
    an_invalid_activity_window_is_explained_and_the_default_is_used,
    the_xlsx_export_keeps_figures_as_numbers_and_text_intact,
    observers_see_aggregates_of_five_or_more_and_nothing_personal,
    opening_a_module_makes_a_stalled_learner_active,
    a_quiz_attempt_counts_towards_the_run_the_learner_is_in,
    knowledge_gain_is_reported_per_country_and_category,
    programme_indicators_count_trainers_courses_and_people_trained_with_the_share_of_women,
    the_course_report_sums_its_runs_and_weights_means_by_attempts,
    observers_see_no_figure_of_fewer_than_five_people_inside_a_larger_group,
    observers_see_people_trained_but_not_gender_counts_under_five
);
