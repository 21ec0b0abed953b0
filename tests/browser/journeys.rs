//! The four journeys of the people Bilim serves, through the browser as they use it.

use chrono::{Duration, Utc};
use serde_json::json;

use crate::support::{Browser, Context, TestResult, World};

const ADMIN_EMAIL: &str = "admin@akademiya.example.kz";
const COORDINATOR_EMAIL: &str = "koordinator@akademiya.example.uz";
const TRAINER_EMAIL: &str = "trener@akademiya.example.uz";
const LEARNER_EMAIL: &str = "tergovchi@iiv.example.uz";
const PASSWORD: &str = "Kiber-xavfsizlik-2026";

impl Browser<'_> {
    /// Sets a date field's value as the date picker would (typing follows the
    /// browser's own date format, which differs between machines).
    async fn set_date(&self, css: &str, date: chrono::NaiveDate) -> TestResult {
        self.script(
            "document.querySelector(arguments[0]).value = arguments[1];",
            vec![json!(css), json!(date.to_string())],
        )
        .await
        .map(|_| ())
    }

    /// Picks the radio button or check box `name` = `value` by clicking its label.
    async fn pick(&self, name: &str, value: &str) -> TestResult {
        let id = self
            .attr(&format!("input[name='{name}'][value='{value}']"), "id")
            .await?;
        self.click(&format!("label[for='{id}']")).await
    }

    async fn submit(&self, form_action: &str) -> TestResult {
        self.go(&format!("form[action='{form_action}'] button[type=submit]"))
            .await
    }

    async fn expect_path_starting(&self, prefix: &str) -> Result<String, String> {
        let path = self.path().await?;
        if path.starts_with(prefix) {
            Ok(path)
        } else {
            Err(format!("expected to be on {prefix}…, but the browser is on {path}"))
        }
    }

    async fn expect_title(&self, wanted: &str) -> TestResult {
        let title = self.driver.title().await.context("read the title")?;
        if title.contains(wanted) {
            Ok(())
        } else {
            Err(format!("the page's title is {title:?}, not one with {wanted:?}"))
        }
    }

    async fn expect_text(&self, css: &str, wanted: &str) -> TestResult {
        let text = self.text(css).await?;
        if text.contains(wanted) {
            Ok(())
        } else {
            Err(format!("{css} says {text:?}, not {wanted:?}"))
        }
    }
}

/// Kazakh: the setup page printed by the server, its errors, the administrator's home,
/// the institutions page and its errors.
pub async fn administrator_sets_up(world: &World) -> TestResult {
    let b = world.browser().await?;
    let address = world.server.setup_address()?;
    let path = address
        .split_once(&world.server.url)
        .map(|(_, path)| path.to_owned())
        .context("the setup address is on this server")?;
    b.open(&format!("{path}&lang=kk")).await?;
    b.check_page("setup").await?;
    b.submit("/setup").await?;
    b.expect_title("Қате").await?;
    b.check_page("setup with errors").await?;

    b.fill("#name", "Әсел Нұрланқызы").await?;
    b.choose("#country", "KZ").await?;
    b.fill("#email", ADMIN_EMAIL).await?;
    b.fill("#password", PASSWORD).await?;
    b.fill("#password_confirmation", PASSWORD).await?;
    b.submit("/setup").await?;
    b.expect_path_starting("/admin").await?;
    b.check_page("administration").await?;

    b.open("/admin/institutions").await?;
    b.check_page("institutions").await?;
    b.submit("/admin/institutions").await?;
    b.check_page("institutions with errors").await?;
    b.fill("#name", "Oʻzbekiston Respublikasi IIV Akademiyasi").await?;
    b.choose("#country", "UZ").await?;
    b.submit("/admin/institutions").await?;
    let institutions = b.text("main").await?;
    if !institutions.contains("Oʻzbekiston Respublikasi IIV Akademiyasi") {
        return Err("the new institution is listed".into());
    }

    b.open("/").await?;
    b.expect_text("h1", "Әкімшіге арналған шолу").await?;
    b.check_page("administrator's home").await?;

    // The coordinator and the trainer are invited by email, each in their language.
    b.open("/admin/invite").await?;
    b.check_page("invitation form").await?;
    b.submit("/admin/invite").await?;
    b.check_page("invitation form with errors").await?;
    invite(
        &b,
        "Dilshod Karimov",
        COORDINATOR_EMAIL,
        "coordinator",
        Some("1"),
        None,
        "ru",
    )
    .await?;
    b.check_page("invitation sent").await?;
    invite(&b, "Айгүл Сейітова", TRAINER_EMAIL, "trainer", None, Some("UZ"), "kk").await?;
    b.sign_out().await?;
    b.quit().await
}

async fn invite(
    b: &Browser<'_>,
    name: &str,
    email: &str,
    role: &str,
    institution: Option<&str>,
    country: Option<&str>,
    locale: &str,
) -> TestResult {
    b.open("/admin/invite").await?;
    b.fill("#name", name).await?;
    b.fill("#email", email).await?;
    b.pick("role", role).await?;
    if let Some(institution) = institution {
        b.choose("#institution_id", institution).await?;
    }
    if let Some(country) = country {
        b.choose("#country", country).await?;
    }
    b.choose("#locale", locale).await?;
    b.submit("/admin/invite").await?;
    b.expect_text("[role=status]", "").await
}

/// Follows the invitation in the email, sets a password (first with a mismatch) and
/// lands on the home page, all in the invitee's language whatever the browser's.
async fn accept_invitation(world: &World, b: &Browser<'_>, email: &str) -> TestResult {
    let link = world.server.link_sent_to(email, "/invitation")?;
    b.driver.goto(&link).await.context("follow the invitation")?;
    b.check_page("invitation").await?;
    b.fill("#password", PASSWORD).await?;
    b.fill("#password_confirmation", "something else").await?;
    b.go("main form button[type=submit]").await?;
    b.check_page("invitation with errors").await?;
    b.fill("#password", PASSWORD).await?;
    b.fill("#password_confirmation", PASSWORD).await?;
    b.go("main form button[type=submit]").await?;
    let landed = b.expect_path_starting("/?done=password_set").await?;
    b.expect_text("[role=status]", "")
        .await
        .map_err(|e| format!("on {landed}: {e}"))
}

/// Russian: the coordinator's home, the run form with its errors, the new run, a
/// trainer added, a group uploaded from CSV, checked and applied.
pub async fn coordinator_creates_a_run(world: &World) -> TestResult {
    let b = world.browser().await?;
    accept_invitation(world, &b, COORDINATOR_EMAIL).await?;
    b.expect_text("h1", "Потоки моего учреждения").await?;
    b.check_page("coordinator's home").await?;

    b.open("/coordinator/runs/new").await?;
    b.check_page("run form").await?;
    b.submit("/coordinator/runs/new").await?;
    b.check_page("run form with errors").await?;

    let today = Utc::now().date_naive();
    b.choose("#course_id", "cyber-basics").await?;
    b.choose("#language", "uz").await?;
    b.choose("#country", "UZ").await?;
    b.pick("mode", "blended").await?;
    b.pick("enrolment", "approval").await?;
    b.pick("phase", "national_pilot").await?;
    b.fill("#capacity", "20").await?;
    b.set_date("#starts_on", today).await?;
    b.set_date("#ends_on", today + Duration::days(30)).await?;
    b.set_date("#enrol_by", today).await?;
    b.submit("/coordinator/runs/new").await?;
    let run_page = b.expect_path_starting("/coordinator/runs/").await?;
    let run = run_page
        .trim_start_matches("/coordinator/runs/")
        .split(['?', '#'])
        .next()
        .unwrap_or_default()
        .to_owned();
    world.note("run", &run);
    b.expect_text("[role=status]", "Поток создан").await?;
    b.check_page("new run").await?;

    b.fill("#trainer_email", TRAINER_EMAIL).await?;
    b.submit(&format!("/coordinator/runs/{run}/trainers")).await?;
    b.expect_text("[role=status]", "Тренер добавлен").await?;

    let csv = world.server.data_dir.path().join("group.csv");
    std::fs::write(
        &csv,
        "email;full name;category;position;language\n\
         operupolnomochenny@iiv.example.uz;Rustam Tursunov;police_officer;Katta operativ vakil;uz\n\
         sledovatel@iiv.example.uz;Nodira Azimova;investigator;Tergovchi;uz\n",
    )
    .context("write the group file")?;
    upload_group(&b, &run, &csv).await?;
    b.sign_out().await?;
    b.quit().await
}

/// Checks the group's file, then applies the kept check without a second upload.
async fn upload_group(b: &Browser<'_>, run: &str, csv: &std::path::Path) -> TestResult {
    let file = b
        .driver
        .find(thirtyfour::By::Css("#file"))
        .await
        .context("find the file field")?;
    file.send_keys(csv.to_string_lossy().as_ref())
        .await
        .context("choose the file")?;
    b.submit(&format!("/coordinator/runs/{run}/bulk#upload")).await?;
    b.check_page("group checked").await?;
    b.submit(&format!("/coordinator/runs/{run}/bulk/apply#upload")).await?;
    b.check_page("group applied").await?;
    let page = b.text("main").await?;
    if !page.contains("sledovatel@iiv.example.uz") {
        return Err("the applied group lists its rows".into());
    }
    Ok(())
}

/// Uzbek: registration with its errors, the confirmation email's link, the empty home
/// page, the run and the request for a place.
pub async fn learner_asks_for_a_place(world: &World) -> TestResult {
    let run = world.noted("run")?;
    let b = world.browser().await?;
    b.open("/register?lang=uz").await?;
    b.check_page("registration").await?;
    b.submit("/register").await?;
    b.check_page("registration with errors").await?;
    b.fill("#name", "Sardor Oʻrinboyev").await?;
    b.choose("#country", "UZ").await?;
    b.choose("#institution_id", "1").await?;
    b.pick("category", "investigator").await?;
    b.fill("#email", LEARNER_EMAIL).await?;
    b.fill("#password", PASSWORD).await?;
    b.fill("#password_confirmation", PASSWORD).await?;
    b.submit("/register").await?;
    b.check_page("registered").await?;

    let confirm = world.server.link_sent_to(LEARNER_EMAIL, "/verify-email")?;
    b.driver.goto(&confirm).await.context("follow the confirmation link")?;
    b.check_page("address confirmed").await?;

    b.open("/").await?;
    if !b.has("form[action='/logout']").await? {
        b.sign_in(LEARNER_EMAIL, PASSWORD, "uz").await?;
    }
    b.expect_text("h1", "Mening oʻqishim").await?;
    b.check_page("learner's empty home").await?;

    b.open(&format!("/runs/{run}")).await?;
    b.check_page("run to apply to").await?;
    b.submit(&format!("/runs/{run}/enrol")).await?;
    b.expect_text("[role=status]", "arizangiz yuborildi").await?;
    b.check_page("request sent").await?;
    b.quit().await
}

/// Russian: the pending request comes first on the home page; approved on the run page.
pub async fn coordinator_approves(world: &World) -> TestResult {
    let run = world.noted("run")?;
    let b = world.browser().await?;
    b.sign_in(COORDINATOR_EMAIL, PASSWORD, "ru").await?;
    b.expect_text(".notice", "ждёт вашего решения").await?;
    b.open(&format!("/coordinator/runs/{run}")).await?;
    b.check_page("run with a request").await?;
    b.go("form[action$='/approve'] button").await?;
    b.expect_text("[role=status]", "Заявка одобрена").await?;
    b.check_page("request approved").await?;
    b.sign_out().await?;
    b.quit().await
}

/// Uzbek: "continue" on the home page, the module in the Uzbek adaptation, marked
/// complete, the last module leading to the final test, the test with its essay.
pub async fn learner_studies(world: &World) -> TestResult {
    let b = world.browser().await?;
    b.sign_in(LEARNER_EMAIL, PASSWORD, "uz").await?;
    b.check_page("learner's home").await?;
    b.go(".study a.button").await?;
    b.expect_path_starting("/courses/cyber-basics/threats").await?;
    b.expect_text("main", "Oʻzbekistonda huquqiy asos").await?;
    b.check_page("adapted module").await?;
    b.go("#completion form button").await?;
    b.go(".pager__next").await?;
    b.expect_path_starting("/courses/cyber-basics/evidence").await?;
    b.go("#completion form button").await?;
    b.go("#completion a.button").await?;
    b.expect_path_starting("/courses/cyber-basics/quizzes/final").await?;
    b.check_page("quiz start").await?;
    b.go("form[action$='/attempts'] button").await?;
    b.expect_path_starting("/attempts/").await?;
    b.check_page("quiz attempt").await?;
    answer_the_final_test(&b).await?;
    b.check_page("quiz submitted").await?;
    b.quit().await
}

async fn answer_the_final_test(b: &Browser<'_>) -> TestResult {
    let right = b
        .script(
            "const l = [...document.querySelectorAll('label.radios__label')]
               .find(l => l.textContent.includes('tarmoqdan ajratib'));
             return l ? l.getAttribute('for') : null;",
            Vec::new(),
        )
        .await?;
    let right = right.as_str().context("the right answer is offered")?.to_owned();
    b.click(&format!("label[for='{right}']")).await?;
    b.fill(
        "textarea",
        "Saqlash zanjiri qurilmani kim, qachon va nima uchun ushlab turganini qayd etadi. \
         U dalilning oʻzgarmaganini sudda isbotlaydi.",
    )
    .await?;
    b.go("button[value=check]").await?;
    b.expect_path_starting("/attempts/").await?;
    b.expect_text("main", "2").await?;
    b.check_page("answers to check").await?;
    b.go("button[value=submit]").await
}

/// Kazakh: the essay waiting on the trainer's home page, graded; the register kept.
pub async fn trainer_grades_and_keeps_the_register(world: &World) -> TestResult {
    let run = world.noted("run")?;
    let b = world.browser().await?;
    accept_invitation(world, &b, TRAINER_EMAIL).await?;
    b.expect_text(".notice--info", "жазбаша жауап").await?;
    b.check_page("trainer's home").await?;
    b.open("/teach/grading").await?;
    b.check_page("grading list").await?;
    b.go("main a[href^='/teach/grading/']").await?;
    b.check_page("essay to grade").await?;
    let form = b.attr("main form[action^='/teach/grading/']", "action").await?;
    b.submit(&form).await?;
    b.check_page("essay grade with errors").await?;
    b.fill("#score", "1").await?;
    b.submit(&form).await?;
    b.check_page("essay graded").await?;

    b.open(&format!("/runs/{run}/attendance")).await?;
    b.check_page("register").await?;
    b.set_date("#held_on", Utc::now().date_naive()).await?;
    b.fill("#topic", "Электрондық дәлелдемелер").await?;
    b.submit(&format!("/runs/{run}/attendance/days")).await?;
    b.check_page("register with a day").await?;
    b.go("main a[href*='/attendance/days/']").await?;
    b.check_page("day's register").await?;
    b.click("label[for^='present']").await?;
    b.go("main form button[type=submit]").await?;
    b.check_page("day's register saved").await?;
    b.sign_out().await?;
    b.quit().await
}

/// Uzbek: the course is complete on the home page and the certificate downloads as a PDF.
pub async fn learner_downloads_the_certificate(world: &World) -> TestResult {
    let b = world.browser().await?;
    b.sign_in(LEARNER_EMAIL, PASSWORD, "uz").await?;
    b.expect_text(".study", "Kurs yakunlandi").await?;
    b.open("/certificates").await?;
    b.check_page("certificates").await?;
    let pdf = b.attr("main a[href$='.pdf']", "href").await?;
    let fetched = b
        .driver
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(arguments[0]).then(r => r.arrayBuffer().then(body => done([r.status,
               r.headers.get('content-type'), String.fromCharCode(...new Uint8Array(body.slice(0, 5)))])))
             .catch(e => done([0, String(e), '']));",
            vec![json!(pdf)],
        )
        .await
        .context("download the certificate")?;
    let fetched = fetched.json().clone();
    if fetched[0] != json!(200) || fetched[1] != json!("application/pdf") || fetched[2] != json!("%PDF-") {
        return Err(format!("the certificate downloads as a PDF, not {fetched}"));
    }
    let verify = b.attr("main a[href^='/verify/']", "href").await?;
    b.open(&verify).await?;
    b.check_page("certificate verified").await?;
    b.quit().await
}
