//! Quiz pages for learners: the quiz's start page, answering (usable without
//! JavaScript) and the review. The trainers' pages are in `teach`.

use std::collections::BTreeMap;

use actix_web::{web, HttpResponse};
use chrono::{NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

use super::answer_form::{self, FormQuestion};
use super::attempts::{self, Access, Attempt, AttemptId, AttemptsSoFar};
use super::essays;
use super::grading::Response;
use super::results;
use super::store;
use super::teach;
use super::views::{self, CheckItem, ReviewItem};
use crate::accounts::guard::SignedIn;
use crate::accounts::model::{User, UserId};
use crate::accounts::time_zone::TimeZone;
use crate::app::AppState;
use crate::courses::store as course_store;
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::i18n::{self, Locale};
use crate::validation::FieldErrors;
use crate::web::context::RequestContext;
use crate::web::forms::{CsrfForm, CsrfOnly};
use crate::web::render;
use crate::web::{path_id, see_other};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/courses/{course}/quizzes/{quiz}", web::get().to(quiz_page))
        .route("/courses/{course}/quizzes/{quiz}/attempts", web::post().to(start))
        .route("/attempts/{attempt}", web::get().to(attempt_page))
        .route("/attempts/{attempt}", web::post().to(answer))
        .route("/attempts/{attempt}/check", web::get().to(check_page))
        .route("/attempts/{attempt}/review", web::get().to(review_page))
        .configure(teach::routes);
}

/// A moment as pages show it to `user`: the date in the reader's language, the time
/// in the user's zone with its offset.
pub(super) fn time_text(locale: Locale, user: &User, at: NaiveDateTime) -> String {
    TimeZone::of_user(user).date_time(locale, at)
}

/// The quiz's title in the reader's language; its id if the quiz has since been
/// removed from the course (its attempts stay readable).
fn quiz_title(conn: &mut DbConnection, attempt: &Attempt, locale: Locale) -> AppResult<String> {
    Ok(store::find_quiz(conn, &attempt.course_id, &attempt.quiz_id)?
        .map_or_else(|| attempt.quiz_id.clone(), |quiz| quiz.title(locale)))
}

#[derive(Serialize)]
struct AttemptSummary {
    id: AttemptId,
    number: usize,
    started: String,
    /// When it was submitted (or its time ran out); none while it is under way.
    finished: Option<String>,
    open: bool,
    percent: Option<String>,
    passed: Option<bool>,
    pending: bool,
}

/// What `quizzes/start.html` shows.
#[derive(Serialize)]
struct QuizPage {
    course_id: String,
    course_title: String,
    quiz_id: String,
    title: String,
    pass_mark: f64,
    time_limit: u32,
    attempts_allowed: u32,
    attempts_used: usize,
    attempts: Vec<AttemptSummary>,
    may_start: bool,
    has_open: bool,
    is_staff: bool,
    /// A submitted attempt waits for a trainer to grade its essays, and none has
    /// passed: starting another is then not what the learner needs to do.
    awaiting_grading: bool,
}

async fn quiz_page(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<(String, String)>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let (course_id, quiz_id) = path.into_inner();
    let locale = ctx.locale;
    let role = user.role;
    let reader = user.clone();
    let (quiz, course, past) = state
        .db(move |conn| {
            let quiz = store::find_quiz(conn, &course_id, &quiz_id)?.ok_or(AppError::NotFound)?;
            let course = course_store::find_active_course(conn, &course_id)?.ok_or(AppError::NotFound)?;
            let now = Utc::now().naive_utc();
            let past = attempts::attempts_of(conn, user.id, &course_id, &quiz_id)?
                .into_iter()
                .map(|a| attempts::close_if_expired(conn, a, now))
                .collect::<AppResult<Vec<_>>>()?;
            Ok((quiz, course, past))
        })
        .await?;
    let so_far = AttemptsSoFar::of(&past);
    let summaries: Vec<AttemptSummary> = past
        .iter()
        .enumerate()
        .map(|(i, a)| AttemptSummary {
            id: a.id,
            number: i + 1,
            started: time_text(locale, &reader, a.started_at),
            finished: a.submitted_at.map(|at| time_text(locale, &reader, at)),
            open: a.is_open(),
            percent: a.percent.map(|p| format!("{p:.0}")),
            passed: a.passed,
            pending: a.pending_manual,
        })
        .collect();
    let passed = past.iter().any(|a| a.passed == Some(true) && !a.pending_manual);
    let awaiting_grading = !passed && past.iter().any(|a| !a.is_open() && a.pending_manual);
    let page = QuizPage {
        course_title: i18n::pick_text(&course.titles(), locale).unwrap_or_else(|| course.id.clone()),
        course_id: course.id,
        title: quiz.title(locale),
        quiz_id: quiz.id,
        pass_mark: quiz.settings.pass_mark,
        time_limit: quiz.settings.time_limit_minutes,
        attempts_allowed: quiz.settings.attempts,
        attempts_used: so_far.counted,
        attempts: summaries,
        may_start: attempts::may_start(role, quiz.settings.attempts, so_far),
        has_open: so_far.has_open,
        is_staff: role.is_staff(),
        awaiting_grading,
    };
    render::view(&state, &ctx, "quizzes/start.html", &page)
}

async fn start(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<(String, String)>,
    _form: CsrfOnly,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let (course, quiz) = path.into_inner();
    let locale = ctx.locale;
    let started = state
        .db(move |conn| attempts::start(conn, &user, &course, &quiz, locale, Utc::now().naive_utc()))
        .await?;
    Ok(see_other(format!("/attempts/{}", started.attempt_id())))
}

/// The user's attempt (submitted first if its time is up), its answers so far and the
/// quiz's title in `locale`.
async fn load_open_attempt(
    state: &AppState,
    user_id: UserId,
    attempt_id: AttemptId,
    locale: Locale,
) -> AppResult<(Attempt, BTreeMap<String, Response>, String)> {
    state
        .db(move |conn| {
            let attempt = attempts::find_attempt(conn, attempt_id, Access::Owner(user_id))?;
            let attempt = attempts::close_if_expired(conn, attempt, Utc::now().naive_utc())?;
            let given = attempts::responses(conn, attempt_id)?;
            let title = quiz_title(conn, &attempt, locale)?;
            Ok((attempt, given, title))
        })
        .await
}

/// The time an open attempt has left, as its pages show it.
#[derive(Serialize)]
struct TimeLeft {
    minutes_left: Option<i64>,
    deadline: Option<String>,
    time_warning: bool,
}

impl TimeLeft {
    fn of(attempt: &Attempt, locale: Locale, user: &User) -> TimeLeft {
        let now = Utc::now().naive_utc();
        let minutes_left = attempt.deadline.map(|d| (d - now).num_minutes().max(0));
        TimeLeft {
            minutes_left,
            deadline: attempt.deadline.map(|d| time_text(locale, user, d)),
            time_warning: minutes_left.is_some_and(|m| m < 5),
        }
    }
}

/// What `quizzes/attempt.html` shows.
#[derive(Serialize)]
struct AttemptPage {
    attempt_id: AttemptId,
    course_id: String,
    quiz_id: String,
    quiz_title: String,
    questions: Vec<FormQuestion>,
    content_language: Locale,
    saved: bool,
    #[serde(flatten)]
    time: TimeLeft,
}

/// What the answer page shows, and where a refused form is shown again as it was sent
/// (`typed`, with `errors`).
struct AnswerForm<'a> {
    attempt: &'a Attempt,
    quiz_title: String,
    given: &'a BTreeMap<String, Response>,
    typed: &'a BTreeMap<String, String>,
    errors: Option<&'a FieldErrors>,
    saved: bool,
}

/// The answer page.
fn attempt_form(state: &AppState, ctx: &RequestContext, user: &User, form: AnswerForm<'_>) -> AppResult<HttpResponse> {
    let attempt = form.attempt;
    let page = AttemptPage {
        attempt_id: attempt.id,
        course_id: attempt.course_id.clone(),
        quiz_id: attempt.quiz_id.clone(),
        quiz_title: form.quiz_title,
        questions: answer_form::form_questions(attempt, form.given, form.typed),
        content_language: attempt.language,
        saved: form.saved,
        time: TimeLeft::of(attempt, ctx.locale, user),
    };
    render::form_view(state, ctx, "quizzes/attempt.html", &page, form.errors)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SavedQuery {
    saved: Option<String>,
}

fn review_path(attempt_id: AttemptId) -> String {
    format!("/attempts/{attempt_id}/review")
}

async fn attempt_page(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
    query: web::Query<SavedQuery>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let attempt_id = path_id(&path)?;
    let (attempt, given, quiz_title) = load_open_attempt(&state, user.id, attempt_id, ctx.locale).await?;
    if !attempt.is_open() {
        return Ok(see_other(review_path(attempt_id)));
    }
    let form = AnswerForm {
        attempt: &attempt,
        quiz_title,
        given: &given,
        typed: &BTreeMap::new(),
        errors: None,
        saved: query.saved.is_some(),
    };
    attempt_form(&state, &ctx, &user, form)
}

/// What `quizzes/check.html` shows: every question with the answer saved, before the
/// learner submits.
#[derive(Serialize)]
struct CheckPage {
    attempt_id: AttemptId,
    quiz_title: String,
    content_language: Locale,
    items: Vec<CheckItem>,
    answered: usize,
    total: usize,
    #[serde(flatten)]
    time: TimeLeft,
}

/// "Check your answers": the answers as saved, with links back to change each, and
/// the button that submits. Nothing here changes the attempt.
async fn check_page(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let attempt_id = path_id(&path)?;
    let (attempt, given, quiz_title) = load_open_attempt(&state, user.id, attempt_id, ctx.locale).await?;
    if !attempt.is_open() {
        return Ok(see_other(review_path(attempt_id)));
    }
    let items = views::check_items(&attempt, &given);
    let page = CheckPage {
        attempt_id,
        quiz_title,
        content_language: attempt.language,
        answered: items.iter().filter(|item| item.answer.is_some()).count(),
        total: items.len(),
        items,
        time: TimeLeft::of(&attempt, ctx.locale, &user),
    };
    render::view(&state, &ctx, "quizzes/check.html", &page)
}

async fn answer(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let attempt_id = path_id(&path)?;
    let user_id = user.id;
    let (attempt, _, _) = load_open_attempt(&state, user_id, attempt_id, ctx.locale).await?;
    if !attempt.is_open() {
        return Ok(see_other(review_path(attempt_id)));
    }
    // "check" saves and shows the answers to check; "submit" (the check page's
    // button) submits; anything else saves and stays.
    let action = pairs.iter().find(|(k, _)| k == "action").map(|(_, v)| v.as_str());
    let submit = action == Some("submit");
    let check = action == Some("check");
    let posted = answer_form::read_answers(&attempt, &pairs);
    let responses = posted.responses;
    let outcome = state
        .db(move |conn| {
            let now = Utc::now().naive_utc();
            for (question_id, response) in &responses {
                match response {
                    Some(response) => attempts::save_response(conn, user_id, attempt_id, question_id, response, now)?,
                    None => attempts::clear_response(conn, user_id, attempt_id, question_id)?,
                }
            }
            Ok(())
        })
        .await;
    match outcome {
        Ok(()) => {}
        // Time ran out while answering: the attempt was submitted with what it had.
        Err(AppError::Conflict(_)) => return Ok(see_other(review_path(attempt_id))),
        Err(error) => return Err(error),
    }
    if !posted.errors.is_empty() {
        let (attempt, given, quiz_title) = load_open_attempt(&state, user_id, attempt_id, ctx.locale).await?;
        let typed = answer_form::typed_fields(pairs);
        let form = AnswerForm {
            attempt: &attempt,
            quiz_title,
            given: &given,
            typed: &typed,
            errors: Some(&posted.errors),
            saved: false,
        };
        return attempt_form(&state, &ctx, &user, form);
    }
    if submit {
        state
            .db(move |conn| attempts::submit(conn, user_id, attempt_id, Utc::now().naive_utc()))
            .await?;
        return Ok(see_other(review_path(attempt_id)));
    }
    if check {
        return Ok(see_other(format!("/attempts/{attempt_id}/check")));
    }
    Ok(see_other(format!("/attempts/{attempt_id}?saved=1")))
}

/// What `quizzes/review.html` shows.
#[derive(Serialize)]
struct ReviewPage {
    attempt_id: AttemptId,
    course_id: String,
    quiz_id: String,
    quiz_title: String,
    /// When the attempt was submitted, in the reader's zone.
    submitted: Option<String>,
    content_language: Locale,
    percent: String,
    score: String,
    passed: bool,
    pending: bool,
    pass_mark: f64,
    answers_visible: bool,
    items: Vec<ReviewItem>,
}

async fn review_page(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let attempt_id = path_id(&path)?;
    let user_id = user.id;
    let locale = ctx.locale;
    let (attempt, result, given, comments, visible, quiz_title) = state
        .db(move |conn| {
            let attempt = attempts::find_attempt(conn, attempt_id, Access::Owner(user_id))?;
            let attempt = attempts::close_if_expired(conn, attempt, Utc::now().naive_utc())?;
            if attempt.is_open() {
                return Err(AppError::NotFound);
            }
            let result = results::stored_result(conn, &attempt)?;
            let given = attempts::responses(conn, attempt_id)?;
            let comments = essays::essay_feedback(conn, attempt_id)?;
            let visible = results::answers_visible(conn, &attempt)?;
            let title = quiz_title(conn, &attempt, locale)?;
            Ok((attempt, result, given, comments, visible, title))
        })
        .await?;
    let page = ReviewPage {
        attempt_id: attempt.id,
        items: views::review(&attempt, &result, &given, &comments, visible),
        quiz_title,
        submitted: attempt.submitted_at.map(|at| time_text(locale, &user, at)),
        course_id: attempt.course_id,
        quiz_id: attempt.quiz_id,
        content_language: attempt.language,
        percent: format!("{:.0}", result.percent),
        score: format!("{} / {}", result.score, result.max_score),
        passed: result.passed,
        pending: result.pending_manual,
        pass_mark: attempt.settings.pass_mark,
        answers_visible: visible,
    };
    render::view(&state, &ctx, "quizzes/review.html", &page)
}
