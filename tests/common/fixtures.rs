//! Builders for the set-ups several test files share: courses imported from a fixture
//! folder, an institution with its coordinator, runs, enrolments, submitted attempts
//! and certificates written straight into the database (for figures and dates the
//! application would not let a test make through its pages, such as runs that
//! started in the past), changes to an account, the mail queued for someone, and a
//! learner who meets every requirement of the demo course through the API.
//!
//! A builder starts from the values most tests want and is finished with
//! `insert(&app)`, like crates.io's test builders:
//!
//! ```ignore
//! let run = RunBuilder::new(institution, coordinator).phase("thematic").started_days_ago(10).insert(&app);
//! ```

use actix_web::http::Method;
use bilim::db::schema::{certificates, course_runs, enrolments, outbox, quiz_attempts, run_trainers, users};
use chrono::{Duration, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::TestApp;
use bilim::accounts::model::{Country, Role};
use bilim::institutions::InstitutionId;

fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

impl TestApp {
    /// Copies a fixture courses folder into the data directory, imports it, and
    /// returns where it is.
    pub fn with_courses(&self, fixture: &str) -> std::path::PathBuf {
        let dir = self.copy_courses(fixture);
        self.import_courses(&dir);
        dir
    }

    /// An institution and a coordinator account of it; returns their ids.
    pub fn institution_with_coordinator(&self, name: &str, country: Country, email: &str) -> (InstitutionId, i64) {
        let institution = self.create_institution(name, country);
        let coordinator = self.create_user(email, Role::Coordinator, Some(institution));
        (institution, coordinator)
    }

    /// Admits a learner already in the database to `run` with `status` ("enrolled",
    /// "completed", "requested"…), without the checks enrolling through the API makes.
    pub fn admit(&self, run: i64, user: i64, status: &str) {
        let mut conn = self.state.pool.get().unwrap();
        diesel::insert_into(enrolments::table)
            .values((
                enrolments::run_id.eq(run),
                enrolments::user_id.eq(user),
                enrolments::status.eq(status),
                enrolments::created_at.eq(now()),
                enrolments::updated_at.eq(now()),
            ))
            .execute(&mut conn)
            .unwrap();
    }

    /// Makes `user` (a trainer) one of the run's trainers.
    pub fn make_trainer_of(&self, run: i64, user: i64) {
        let mut conn = self.state.pool.get().unwrap();
        diesel::insert_into(run_trainers::table)
            .values((run_trainers::run_id.eq(run), run_trainers::user_id.eq(user)))
            .execute(&mut conn)
            .unwrap();
    }

    /// Changes an account's name.
    pub fn set_user_name(&self, user: i64, name: &str) {
        let mut conn = self.state.pool.get().unwrap();
        diesel::update(users::table.find(user))
            .set(users::name.eq(name))
            .execute(&mut conn)
            .unwrap();
    }

    /// Changes an account's recorded gender.
    pub fn set_user_gender(&self, user: i64, gender: Option<&str>) {
        let mut conn = self.state.pool.get().unwrap();
        diesel::update(users::table.find(user))
            .set(users::gender.eq(gender))
            .execute(&mut conn)
            .unwrap();
    }

    /// Changes an account's professional category.
    pub fn set_user_category(&self, user: i64, category: &str) {
        let mut conn = self.state.pool.get().unwrap();
        diesel::update(users::table.find(user))
            .set(users::category.eq(category))
            .execute(&mut conn)
            .unwrap();
    }

    /// The messages queued for `to`, oldest first.
    pub fn mail_to(&self, to: &str) -> Vec<QueuedMail> {
        let mut conn = self.state.pool.get().unwrap();
        outbox::table
            .filter(outbox::recipient.eq(to))
            .order(outbox::id.asc())
            .select((outbox::subject, outbox::text_body, outbox::dedupe_key))
            .load::<(String, String, Option<String>)>(&mut conn)
            .unwrap()
            .into_iter()
            .map(|(subject, text_body, dedupe_key)| QueuedMail {
                subject,
                text_body,
                dedupe_key,
            })
            .collect()
    }

    /// The token of the link in the last message sent to `to` that has one.
    pub fn token_sent_to(&self, to: &str) -> String {
        let mail = self.mail_to(to);
        let body = mail
            .iter()
            .rev()
            .map(|m| &m.text_body)
            .find(|b| b.contains("token="))
            .expect("a message with a link");
        let start = body.find("token=").unwrap() + 6;
        body[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect()
    }
}

/// A message in the outbox.
pub struct QueuedMail {
    pub subject: String,
    pub text_body: String,
    pub dedupe_key: Option<String>,
}

/// The learner behind `token` completes the demo course's prerequisite (the other
/// course, which certifies learners of runs only, so it adds no certificate).
pub async fn complete_the_prerequisite(app: &mut TestApp, token: &str) {
    let done = app
        .api(
            Method::POST,
            "/api/v1/courses/other-course/modules/only/complete",
            Some(token),
            None,
        )
        .await;
    assert_eq!(done.status, actix_web::http::StatusCode::NO_CONTENT, "{}", done.body);
}

/// The learner behind `token` completes the demo course's prerequisite and both
/// modules of the demo course and passes its module quiz, all through the API:
/// everything the course's rule asks.
pub async fn meet_the_demo_course_rule(app: &mut TestApp, token: &str) {
    complete_the_prerequisite(app, token).await;
    for module in ["intro", "evidence"] {
        app.api(
            Method::POST,
            &format!("/api/v1/courses/demo-course/modules/{module}/complete"),
            Some(token),
            None,
        )
        .await;
    }
    super::pass_check_quiz(app, token).await;
}

/// A run of the demo course inserted straight into the database. By default: in
/// Russian, in Kazakhstan, started five days ago (its enrolment closed that day),
/// ending in thirty days, online, by approval, national pilot, thirty places, open
/// to every category, no attendance required.
pub struct RunBuilder {
    institution: InstitutionId,
    created_by: i64,
    country: String,
    mode: String,
    phase: String,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    min_attendance: Option<i32>,
    opens_early: bool,
}

impl RunBuilder {
    pub fn new(institution: InstitutionId, created_by: i64) -> Self {
        RunBuilder {
            institution,
            created_by,
            country: "KZ".into(),
            mode: "online".into(),
            phase: "national_pilot".into(),
            starts_on: today() - Duration::days(5),
            ends_on: today() + Duration::days(30),
            min_attendance: None,
            opens_early: false,
        }
    }

    /// The country code, upper case.
    pub fn country(mut self, country: &str) -> Self {
        self.country = country.into();
        self
    }

    pub fn mode(mut self, mode: &str) -> Self {
        self.mode = mode.into();
        self
    }

    pub fn phase(mut self, phase: &str) -> Self {
        self.phase = phase.into();
        self
    }

    /// Started `days` days ago; enrolment closed the same day.
    pub fn started_days_ago(mut self, days: i64) -> Self {
        self.starts_on = today() - Duration::days(days);
        self
    }

    /// Starts in `days` days; enrolment closes the same day.
    pub fn starts_in_days(mut self, days: i64) -> Self {
        self.starts_on = today() + Duration::days(days);
        self
    }

    /// Whether its content opens before the start date.
    pub fn opens_early(mut self, opens_early: bool) -> Self {
        self.opens_early = opens_early;
        self
    }

    pub fn ends_on(mut self, day: NaiveDate) -> Self {
        self.ends_on = day;
        self
    }

    /// The share of in-person days, in per cent, a learner must attend.
    pub fn min_attendance(mut self, share: Option<i32>) -> Self {
        self.min_attendance = share;
        self
    }

    /// Inserts the run and returns its id.
    pub fn insert(self, app: &TestApp) -> i64 {
        let mut conn = app.state.pool.get().unwrap();
        let now = now();
        diesel::insert_into(course_runs::table)
            .values((
                course_runs::course_id.eq("demo-course"),
                course_runs::institution_id.eq(self.institution),
                course_runs::language.eq("ru"),
                course_runs::country.eq(self.country),
                course_runs::starts_on.eq(self.starts_on),
                course_runs::ends_on.eq(self.ends_on),
                course_runs::enrol_by.eq(self.starts_on),
                course_runs::capacity.eq(30),
                course_runs::mode.eq(self.mode),
                course_runs::enrolment.eq("approval"),
                course_runs::phase.eq(self.phase),
                course_runs::categories.eq(""),
                course_runs::created_by.eq(self.created_by),
                course_runs::created_at.eq(now),
                course_runs::updated_at.eq(now),
                course_runs::min_attendance.eq(self.min_attendance),
                course_runs::opens_early.eq(self.opens_early),
            ))
            .returning(course_runs::id)
            .get_result(&mut conn)
            .unwrap()
    }
}

/// A submitted attempt at a quiz of the demo course, in Russian, taken in a run,
/// scored `percent` out of 100 and passed from 60 %; nothing waits for a trainer.
pub struct AttemptBuilder {
    user: i64,
    run: i64,
    quiz: String,
    percent: f64,
}

impl AttemptBuilder {
    pub fn new(user: i64, run: i64, quiz: &str, percent: f64) -> Self {
        AttemptBuilder {
            user,
            run,
            quiz: quiz.into(),
            percent,
        }
    }

    pub fn insert(self, app: &TestApp) {
        let mut conn = app.state.pool.get().unwrap();
        diesel::insert_into(quiz_attempts::table)
            .values((
                quiz_attempts::user_id.eq(self.user),
                quiz_attempts::course_id.eq("demo-course"),
                quiz_attempts::quiz_id.eq(self.quiz),
                quiz_attempts::language.eq("ru"),
                quiz_attempts::is_preview.eq(false),
                quiz_attempts::questions.eq("[]"),
                quiz_attempts::settings.eq("{}"),
                quiz_attempts::started_at.eq(now()),
                quiz_attempts::submitted_at.eq(Some(now())),
                quiz_attempts::score.eq(Some(self.percent)),
                quiz_attempts::max_score.eq(Some(100.0)),
                quiz_attempts::percent.eq(Some(self.percent)),
                quiz_attempts::passed.eq(Some(self.percent >= 60.0)),
                quiz_attempts::pending_manual.eq(false),
                quiz_attempts::run_id.eq(Some(self.run)),
            ))
            .execute(&mut conn)
            .unwrap();
    }
}

/// A certificate of the demo course earned in a run, issued now, standing unless
/// `revoked` is called; its holder, titles and institution are placeholders.
pub struct CertificateBuilder {
    code: String,
    user: i64,
    run: i64,
    revoked: bool,
}

impl CertificateBuilder {
    pub fn new(code: &str, user: i64, run: i64) -> Self {
        CertificateBuilder {
            code: code.into(),
            user,
            run,
            revoked: false,
        }
    }

    /// Revoked (now) when `revoked` is true.
    pub fn revoked(mut self, revoked: bool) -> Self {
        self.revoked = revoked;
        self
    }

    pub fn insert(self, app: &TestApp) {
        let mut conn = app.state.pool.get().unwrap();
        diesel::insert_into(certificates::table)
            .values((
                certificates::code.eq(self.code),
                certificates::user_id.eq(self.user),
                certificates::course_id.eq("demo-course"),
                certificates::run_id.eq(Some(self.run)),
                certificates::holder_name.eq("holder"),
                certificates::course_titles.eq("{}"),
                certificates::institution.eq("institution"),
                certificates::country.eq("KZ"),
                certificates::hours.eq(2.0),
                certificates::issued_at.eq(now()),
                certificates::revoked_at.eq(self.revoked.then(now)),
            ))
            .execute(&mut conn)
            .unwrap();
    }
}
