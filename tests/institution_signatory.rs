//! Who signs an institution's certificates: administrators set a name and a position on
//! the institution's page in `/admin`; bad input is refused with a message in the
//! reader's language and saves nothing; every change is in the audit log; nobody else
//! may change it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use actix_web::http::StatusCode;
use bilim::accounts::model::{Country, Role};
use bilim::db::schema::audit_events;
use bilim::institutions::{InstitutionId, Signatory};
use common::{TestApp, PASSWORD};
use diesel::prelude::*;

fn stored_signatory(app: &TestApp, institution: InstitutionId) -> Signatory {
    let mut conn = app.state.pool.get().unwrap();
    bilim::institutions::find_with_signatory(&mut conn, institution)
        .unwrap()
        .unwrap()
        .1
}

fn institution_changes_logged(app: &TestApp) -> Vec<String> {
    let mut conn = app.state.pool.get().unwrap();
    audit_events::table
        .filter(audit_events::action.eq("institution_changed"))
        .order(audit_events::id.asc())
        .select(audit_events::details)
        .load(&mut conn)
        .unwrap()
}

async fn an_administrator_sets_the_signatory_and_the_change_is_audited(mut app: TestApp) {
    let institution = app.create_institution("Академия МВД Республики Казахстан", Country::Kz);
    app.create_user("admin@example.kz", Role::Admin, None);
    app.sign_in("admin@example.kz", PASSWORD).await;
    let page = format!("/admin/institutions/{institution}");

    let list = app.get("/admin/institutions?lang=en").await;
    assert!(list.body.contains("Not set"), "{}", list.body);
    assert_eq!(
        list.select_attr(&format!("a[href='{page}']"), "href"),
        vec![page.clone()]
    );

    let form = app.get(&format!("{page}?lang=en")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert_eq!(form.select("h1"), vec!["Академия МВД Республики Казахстан"]);
    assert!(form.has("input#signatory_name") && form.has("input#signatory_position"));

    let saved = app
        .post_form(
            &page,
            &[
                ("signatory_name", "  Ерлан Сапаров  "),
                ("signatory_position", "Начальник академии, генерал-майор полиции"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    assert_eq!(saved.location(), format!("{page}?done=signatory"));
    assert_eq!(
        stored_signatory(&app, institution),
        Signatory {
            name: "Ерлан Сапаров".into(),
            position: "Начальник академии, генерал-майор полиции".into(),
        },
        "stored trimmed"
    );
    let confirmed = app.get(&format!("{page}?done=signatory&lang=en")).await;
    assert_eq!(confirmed.select(".notice p"), vec!["The signatory has been saved."]);
    assert_eq!(confirmed.select_attr("#signatory_name", "value"), vec!["Ерлан Сапаров"]);
    let list = app.get("/admin/institutions?lang=en").await;
    assert!(list.body.contains("Ерлан Сапаров") && !list.body.contains("Not set"));

    let logged = institution_changes_logged(&app);
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert!(
        logged[0].contains("signatory_name") && logged[0].contains("signatory_position"),
        "the fields that changed: {}",
        logged[0]
    );
    assert!(!logged[0].contains("Ерлан"), "the log keeps no names: {}", logged[0]);

    // The same texts again change nothing and log nothing.
    app.post_form(
        &page,
        &[
            ("signatory_name", "Ерлан Сапаров"),
            ("signatory_position", "Начальник академии, генерал-майор полиции"),
        ],
    )
    .await;
    assert_eq!(institution_changes_logged(&app).len(), 1);

    // Both fields empty clear the signatory.
    let cleared = app
        .post_form(&page, &[("signatory_name", ""), ("signatory_position", " ")])
        .await;
    assert_eq!(cleared.status, StatusCode::SEE_OTHER);
    assert_eq!(stored_signatory(&app, institution), Signatory::default());
    assert_eq!(institution_changes_logged(&app).len(), 2);
}

async fn bad_signatory_input_is_refused_in_the_readers_language_and_saves_nothing(mut app: TestApp) {
    let institution = app.create_institution("Ички иштер академиясы", Country::Kg);
    app.create_user("admin@example.kg", Role::Admin, None);
    app.sign_in("admin@example.kg", PASSWORD).await;
    let page = format!("/admin/institutions/{institution}");
    let too_long = "Ж".repeat(121);
    for (name, position, field, message) in [
        (
            "Асель\nТоктогулова",
            "",
            "signatory_name",
            "Write this on one line: remove the line break",
        ),
        (
            "Асель Токтогулова",
            "Начальник\u{202E} академии",
            "signatory_position",
            "Remove the special characters from this field",
        ),
        (
            "Асель\tТоктогулова",
            "",
            "signatory_name",
            "Remove the special characters from this field",
        ),
        (
            too_long.as_str(),
            "",
            "signatory_name",
            "Enter no more than 120 characters",
        ),
        (
            "",
            "Начальник академии",
            "signatory_name",
            "Enter the signatory’s name, or clear the position as well",
        ),
    ] {
        let refused = app
            .post_form(
                &format!("{page}?lang=en"),
                &[("signatory_name", name), ("signatory_position", position)],
            )
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name:?} {position:?}"
        );
        assert!(refused.title().starts_with("Error:"), "{}", refused.title());
        assert_eq!(
            refused.select("[role=alert] a"),
            vec![message.to_owned()],
            "{name:?} {position:?}"
        );
        assert_eq!(refused.select_attr("[role=alert] a", "href"), vec![format!("#{field}")]);
        assert_eq!(refused.select_attr(&format!("#{field}"), "aria-invalid"), vec!["true"]);
        assert!(
            refused.select_attr(&format!("#{field}"), "aria-describedby")[0].contains(&format!("{field}-error")),
            "{}",
            refused.body
        );
    }

    // In the administrator's language.
    let kyrgyz = app
        .post_form(
            &format!("{page}?lang=ky"),
            &[("signatory_name", ""), ("signatory_position", "Академиянын башчысы")],
        )
        .await;
    assert_eq!(kyrgyz.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        kyrgyz.body.contains("Кол коюучунун аты-жөнүн киргизиңиз"),
        "{}",
        kyrgyz.body
    );
    assert_eq!(
        kyrgyz.select_attr("#signatory_position", "value"),
        vec!["Академиянын башчысы"],
        "what was typed is kept"
    );

    assert_eq!(stored_signatory(&app, institution), Signatory::default());
    assert!(institution_changes_logged(&app).is_empty());
}

async fn only_administrators_change_who_signs_certificates(mut app: TestApp) {
    let (institution, _) = app.institution_with_coordinator(
        "Академия МВД Республики Узбекистан",
        Country::Uz,
        "coordinator@example.uz",
    );
    app.create_user("trainer@example.uz", Role::Trainer, Some(institution));
    let page = format!("/admin/institutions/{institution}");
    for email in ["coordinator@example.uz", "trainer@example.uz"] {
        app.sign_out_locally();
        app.sign_in(email, PASSWORD).await;
        assert_eq!(app.get(&page).await.status, StatusCode::FORBIDDEN, "{email}");
        let posted = app
            .post_form(
                &page,
                &[("signatory_name", "Bobur Rahimov"), ("signatory_position", "")],
            )
            .await;
        assert_eq!(
            posted.status,
            StatusCode::FORBIDDEN,
            "{email}: even of their own institution"
        );
    }
    assert_eq!(stored_signatory(&app, institution), Signatory::default());

    app.create_user("admin@example.uz", Role::Admin, None);
    app.sign_out_locally();
    app.sign_in("admin@example.uz", PASSWORD).await;
    let unknown = app
        .post_form(
            "/admin/institutions/999999",
            &[("signatory_name", "Bobur Rahimov"), ("signatory_position", "")],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/admin/institutions/x").await.status, StatusCode::NOT_FOUND);
    assert!(institution_changes_logged(&app).is_empty());
}

on_both_backends!(
    an_administrator_sets_the_signatory_and_the_change_is_audited,
    bad_signatory_input_is_refused_in_the_readers_language_and_saves_nothing,
    only_administrators_change_who_signs_certificates
);
