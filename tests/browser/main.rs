//! End-to-end tests in a real browser: headless Chromium driven over WebDriver
//! (thirtyfour) against a real `bilim serve` on a free port.
//!
//! The journeys run in order on one server, as the people they stand for would meet
//! it: the first administrator sets up in Kazakh; a coordinator creates a run,
//! uploads a group and approves a request in Russian; a learner in Uzbek registers,
//! enrols, reads a module with their country's adaptation and takes the test; a
//! trainer grades the essay and keeps the register in Kazakh; the learner downloads
//! the certificate. Every page state they pass goes through the same checks at 320
//! and 1280 px (axe-core, WCAG 2.2 A and AA, 0 violations; no sideways scroll; every
//! control reachable by keyboard with a visible focus indicator). Then the weight of
//! a module page is measured, and screenshots of the main pages are written in all
//! seven languages to `target/tmp/browser-screenshots/`.
//!
//! Without Chromium, ChromeDriver or npm these tests report themselves as ignored,
//! never as passed; with `BILIM_BROWSER_TESTS=required` (as `.ci/run` sets) they fail
//! instead.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod journeys;
mod pages;
mod support;

use std::sync::{Arc, OnceLock};

use libtest_mimic::{Arguments, Failed, Trial};
use support::{TestResult, Tools, World};

type Step = for<'a> fn(&'a World) -> std::pin::Pin<Box<dyn std::future::Future<Output = TestResult> + 'a>>;

/// The trials in the order they run: each journey builds on the ones before it.
const TRIALS: &[(&str, Step)] = &[
    ("journey_1_the_first_administrator_sets_up_in_kazakh", |w| {
        Box::pin(journeys::administrator_sets_up(w))
    }),
    (
        "journey_2_a_coordinator_creates_a_run_and_uploads_a_group_in_russian",
        |w| Box::pin(journeys::coordinator_creates_a_run(w)),
    ),
    ("journey_3_a_learner_registers_and_asks_for_a_place_in_uzbek", |w| {
        Box::pin(journeys::learner_asks_for_a_place(w))
    }),
    ("journey_4_the_coordinator_approves_the_request_in_russian", |w| {
        Box::pin(journeys::coordinator_approves(w))
    }),
    (
        "journey_5_the_learner_reads_the_adapted_module_and_takes_the_test_in_uzbek",
        |w| Box::pin(journeys::learner_studies(w)),
    ),
    (
        "journey_6_a_trainer_grades_the_essay_and_keeps_the_register_in_kazakh",
        |w| Box::pin(journeys::trainer_grades_and_keeps_the_register(w)),
    ),
    ("journey_7_the_learner_downloads_the_certificate_in_uzbek", |w| {
        Box::pin(journeys::learner_downloads_the_certificate(w))
    }),
    ("pages_not_met_on_the_journeys_pass_the_same_checks", |w| {
        Box::pin(pages::other_pages(w))
    }),
    ("a_module_page_keeps_to_the_weight_budget", |w| {
        Box::pin(pages::weight_budget(w))
    }),
    ("screenshots_of_the_main_pages_in_seven_languages", |w| {
        Box::pin(pages::screenshots(w))
    }),
];

fn main() {
    let mut args = Arguments::from_args();
    // One server and one browser, shared in order.
    args.test_threads = Some(1);
    let required = std::env::var("BILIM_BROWSER_TESTS").is_ok_and(|v| v == "required");
    let tools = Tools::find();
    if let Err(why) = &tools {
        eprintln!("browser tests: {why}");
    }
    let tools = Arc::new(tools);
    let world: Arc<OnceLock<Result<World, String>>> = Arc::new(OnceLock::new());
    let runtime = Arc::new(
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime"),
    );
    let trials = TRIALS
        .iter()
        .map(|(name, step)| {
            let (tools, world, runtime, step) = (Arc::clone(&tools), Arc::clone(&world), Arc::clone(&runtime), *step);
            let ignored = tools.is_err() && !required;
            Trial::test(*name, move || {
                let tools = tools.as_ref().as_ref().map_err(|why| Failed::from(why.as_str()))?;
                let world = world.get_or_init(|| World::start(tools));
                let world = world
                    .as_ref()
                    .map_err(|why| Failed::from(format!("set-up failed: {why}")))?;
                runtime
                    .block_on(async {
                        let outcome = step(world).await;
                        world.close_windows().await;
                        outcome
                    })
                    .map_err(Failed::from)
            })
            .with_ignored_flag(ignored)
        })
        .collect();
    let conclusion = libtest_mimic::run(&args, trials);
    if let Some(Ok(world)) = Arc::try_unwrap(world).ok().and_then(|cell| cell.into_inner()) {
        println!("browser screenshots: {}", world.screenshots.display());
        drop(world);
    }
    conclusion.exit();
}
