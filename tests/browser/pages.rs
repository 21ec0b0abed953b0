//! The page states the journeys do not pass through, the weight of module pages, and
//! screenshots of the main pages in every language.

use serde_json::{json, Value};

use crate::support::{Browser, Context, TestResult, World};

const PASSWORD: &str = "Kiber-xavfsizlik-2026";

/// Pages each role opens that the journeys did not: each passes the same checks.
pub async fn other_pages(world: &World) -> TestResult {
    let run = world.noted("run")?;
    let b = world.browser().await?;
    for (path, name) in [
        ("/?lang=ru", "home for visitors"),
        ("/login?lang=kk", "sign-in"),
        ("/password/forgot?lang=uz", "forgotten password"),
        ("/courses?lang=tg", "catalogue"),
        (
            "/courses/cybercrime-foundations?lang=ky",
            "course overview for visitors",
        ),
        ("/verify/NOT-A-CODE?lang=tk", "certificate not found"),
        (
            "/password/reset?token=not-a-token&lang=ky",
            "password reset with a wrong link",
        ),
        ("/invitation?token=not-a-token&lang=tg", "invitation with a wrong link"),
        ("/no-such-page?lang=ru", "not found"),
    ] {
        b.open(path).await?;
        b.check_page(name).await?;
    }
    b.open("/login?lang=kk").await?;
    b.go("form[action='/login'] button[type=submit]").await?;
    b.check_page("sign-in with errors").await?;

    b.sign_in("admin@akademiya.example.kz", PASSWORD, "kk").await?;
    for (path, name) in [
        ("/admin/users", "people"),
        ("/admin/users/2", "a person's roles"),
        ("/admin/audit", "audit log"),
        ("/reports", "reports"),
        ("/profile", "profile"),
        ("/profile/two-factor", "two-factor set-up"),
        ("/authoring", "authoring overview"),
        ("/authoring/review", "review queue"),
        ("/authoring/law/uz", "law table"),
        ("/authoring/glossary/uz", "glossary"),
        ("/authoring/modules/cyber-basics/threats?language=uz", "a module text"),
        (
            "/authoring/sections/cyber-basics/threats/legal?language=uz&country=uz",
            "section editor",
        ),
        ("/teach/quizzes/cyber-basics/final/statistics", "quiz statistics"),
    ] {
        b.open(path).await?;
        b.check_page(name).await?;
    }
    b.open("/authoring/glossary/uz").await?;
    b.go("main a[href^='/authoring/glossary/uz/']").await?;
    b.check_page("a glossary term").await?;
    b.open("/admin/institutions/1").await?;
    b.check_page("an institution's signatory").await?;
    b.fill("#signatory_name", "").await?;
    b.fill("#signatory_position", "Akademiya boshligʻi").await?;
    b.go("form[action='/admin/institutions/1'] button[type=submit]").await?;
    b.check_page("an institution's signatory with errors").await?;
    b.fill("#signatory_name", "Bahodir Rahimov").await?;
    b.go("form[action='/admin/institutions/1'] button[type=submit]").await?;
    b.check_page("an institution's signatory saved").await?;
    b.open("/authoring/law/uz/new").await?;
    b.check_page("a new law entry").await?;
    b.go("main form[method=post] button[type=submit]").await?;
    b.check_page("a new law entry with errors").await?;

    b.open("/profile").await?;
    b.fill("#name", "").await?;
    b.go("form[action='/profile'] button[type=submit]").await?;
    b.check_page("profile with errors").await?;
    b.sign_out().await?;

    b.sign_in("koordinator@akademiya.example.uz", PASSWORD, "ru").await?;
    for (path, name) in [
        ("/coordinator/runs", "the institution's runs"),
        (&*format!("/coordinator/runs/{run}/edit"), "run form, editing"),
        (&*format!("/coordinator/runs/{run}"), "run with its learners"),
        ("/reports", "the institution's reports"),
    ] {
        b.open(path).await?;
        b.check_page(name).await?;
    }
    b.sign_out().await?;

    b.sign_in("trener@akademiya.example.uz", PASSWORD, "kk").await?;
    for (path, name) in [("/teaching", "runs taught"), ("/teach/grading", "grading list, empty")] {
        b.open(path).await?;
        b.check_page(name).await?;
    }
    b.sign_out().await?;

    b.sign_in("tergovchi@iiv.example.uz", PASSWORD, "uz").await?;
    for (path, name) in [
        ("/runs", "runs for a learner"),
        (&*format!("/runs/{run}"), "the learner's run"),
        ("/courses/cyber-basics", "course overview with ticks"),
        ("/courses/cyber-basics/evidence", "last module"),
    ] {
        b.open(path).await?;
        b.check_page(name).await?;
    }
    if b.has("a[href*='/review']").await.unwrap_or(false) {
        b.go("a[href*='/review']").await?;
        b.check_page("quiz review").await?;
    }
    b.sign_out().await?;
    b.quit().await
}

/// The module pages of the shipped courses, as a learner's browser loads them: at
/// most 30 KB of compressed HTML, one stylesheet of at most 20 KB that the second
/// page takes from the cache, no script, no font, nothing from another site, and at
/// most five requests for the first screen.
pub async fn weight_budget(world: &World) -> TestResult {
    let b = world.browser().await?;
    b.sign_in("trener@akademiya.example.uz", PASSWORD, "ru").await?;
    let mut heaviest = (0_u64, String::new());
    let mut problems = Vec::new();
    for course in [
        "cybercrime-foundations",
        "electronic-evidence",
        "cryptocurrency-investigations",
        "international-cooperation",
        "training-of-trainers",
    ] {
        b.open(&format!("/courses/{course}")).await?;
        let modules: Vec<String> = b
            .script(
                "return [...document.querySelectorAll('.module-list__title a')].map(a => a.getAttribute('href'));",
                Vec::new(),
            )
            .await?
            .as_array()
            .map(|list| list.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
            .unwrap_or_default();
        if modules.is_empty() {
            problems.push(format!("{course} lists no modules"));
        }
        for module in modules {
            for lang in ["uz", "ru"] {
                let path = format!("{module}?lang={lang}");
                b.open(&path).await?;
                let weight = page_weight(&b).await?;
                let html = weight["html"].as_u64().unwrap_or(u64::MAX);
                if html > heaviest.0 {
                    heaviest = (html, path.clone());
                }
                problems.extend(budget_problems(&path, &weight));
            }
        }
    }
    b.quit().await?;
    println!(
        "heaviest module page: {} bytes of compressed HTML ({})",
        heaviest.0, heaviest.1
    );
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

/// What the browser loaded for the page it shows.
async fn page_weight(b: &Browser<'_>) -> Result<Value, String> {
    b.script(
        "const nav = performance.getEntriesByType('navigation')[0];
         const resources = performance.getEntriesByType('resource');
         return {
           html: nav.encodedBodySize,
           encoding: nav.transferSize > 0 ? 'network' : 'cache',
           requests: 1 + resources.length,
           scripts: document.scripts.length,
           resources: resources.map(r => ({ name: r.name, type: r.initiatorType,
             size: r.encodedBodySize, transfer: r.transferSize })),
           origin: location.origin,
         };",
        Vec::new(),
    )
    .await
}

fn budget_problems(path: &str, weight: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let html = weight["html"].as_u64().unwrap_or(u64::MAX);
    if html > 30 * 1024 {
        problems.push(format!("{path}: {html} bytes of compressed HTML > 30 KB"));
    }
    let requests = weight["requests"].as_u64().unwrap_or(u64::MAX);
    if requests > 5 {
        problems.push(format!("{path}: {requests} requests > 5"));
    }
    if weight["scripts"] != json!(0) {
        problems.push(format!("{path}: the page has a script"));
    }
    let origin = weight["origin"].as_str().unwrap_or_default();
    for resource in weight["resources"].as_array().into_iter().flatten() {
        let name = resource["name"].as_str().unwrap_or_default();
        if !name.starts_with(origin) {
            problems.push(format!("{path}: a request to another site: {name}"));
        }
        if [".woff", ".woff2", ".ttf", ".otf"].iter().any(|ext| name.contains(ext)) {
            problems.push(format!("{path}: a web font: {name}"));
        }
        if name.contains(".css") {
            let size = resource["size"].as_u64().unwrap_or(u64::MAX);
            if size > 20 * 1024 {
                problems.push(format!("{path}: the stylesheet is {size} bytes > 20 KB"));
            }
            if resource["transfer"].as_u64().unwrap_or(1) > 0 && !path.contains("cybercrime-foundations/") {
                // Every page after the first course's takes the stylesheet from the cache.
                problems.push(format!("{path}: the stylesheet was downloaded again, not cached"));
            }
        }
    }
    problems
}

/// The main pages in every language, at a phone's and a desktop's width, written to
/// `target/tmp/browser-screenshots/` for a reviewer.
pub async fn screenshots(world: &World) -> TestResult {
    let run = world.noted("run")?;
    let b = world.browser().await?;
    for lang in ["en", "ru", "kk", "ky", "tg", "tk", "uz"] {
        b.open(&format!("/login?lang={lang}")).await?;
        shoot(&b, &format!("{lang}-sign-in")).await?;
    }
    b.sign_in("tergovchi@iiv.example.uz", PASSWORD, "uz").await?;
    for lang in ["en", "ru", "kk", "ky", "tg", "tk", "uz"] {
        for (path, name) in [
            ("/", "my-learning"),
            ("/courses/cyber-basics", "course"),
            ("/courses/cyber-basics/threats", "module"),
            ("/courses/cyber-basics/quizzes/final", "quiz"),
            (&*format!("/runs/{run}"), "run"),
            ("/certificates", "certificates"),
        ] {
            let separator = if path.contains('?') { '&' } else { '?' };
            b.open(&format!("{path}{separator}lang={lang}")).await?;
            shoot(&b, &format!("{lang}-{name}")).await?;
        }
    }
    b.sign_out().await?;
    b.sign_in("koordinator@akademiya.example.uz", PASSWORD, "ru").await?;
    for lang in ["en", "ru", "kk", "ky", "tg", "tk", "uz"] {
        for (path, name) in [
            ("/", "coordinator-home"),
            (&*format!("/coordinator/runs/{run}"), "coordinator-run"),
        ] {
            let separator = if path.contains('?') { '&' } else { '?' };
            b.open(&format!("{path}{separator}lang={lang}")).await?;
            shoot(&b, &format!("{lang}-{name}")).await?;
        }
    }
    b.quit().await?;
    let count = std::fs::read_dir(&world.screenshots)
        .context("read the screenshots")?
        .count();
    println!("{count} screenshots in {}", world.screenshots.display());
    Ok(())
}

async fn shoot(b: &Browser<'_>, name: &str) -> TestResult {
    for width in [360, 1280] {
        b.screenshot(name, width).await?;
    }
    Ok(())
}
