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
use super::views::{self, ReviewItem};
use crate::accounts::guard::SignedIn;
use crate::accounts::model::UserId;
use crate::app::AppState;
use crate::courses::store as course_store;
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
        .route("/attempts/{attempt}/review", web::get().to(review_page))
        .configure(teach::routes);
}

/// A moment as pages show it: the date in the reader's language, the time in UTC.
pub(super) fn time_text(locale: Locale, at: NaiveDateTime) -> String {
    i18n::format_date_time(locale, at)
}

#[derive(Serialize)]
struct AttemptSummary {
    id: AttemptId,
    number: usize,
    started: String,
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
            started: time_text(locale, a.started_at),
            open: a.is_open(),
            percent: a.percent.map(|p| format!("{p:.0}")),
            passed: a.passed,
            pending: a.pending_manual,
        })
        .collect();
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

async fn load_open_attempt(
    state: &AppState,
    user_id: UserId,
    attempt_id: AttemptId,
) -> AppResult<(Attempt, BTreeMap<String, Response>)> {
    state
        .db(move |conn| {
            let attempt = attempts::find_attempt(conn, attempt_id, Access::Owner(user_id))?;
            let attempt = attempts::close_if_expired(conn, attempt, Utc::now().naive_utc())?;
            let given = attempts::responses(conn, attempt_id)?;
            Ok((attempt, given))
        })
        .await
}

/// What `quizzes/attempt.html` shows.
#[derive(Serialize)]
struct AttemptPage {
    attempt_id: AttemptId,
    course_id: String,
    quiz_id: String,
    questions: Vec<FormQuestion>,
    content_language: Locale,
    saved: bool,
    minutes_left: Option<i64>,
    deadline: Option<String>,
    time_warning: bool,
}

/// The answer page; `typed` and `errors` show a refused form again as it was sent.
fn attempt_form(
    state: &AppState,
    ctx: &RequestContext,
    attempt: &Attempt,
    given: &BTreeMap<String, Response>,
    typed: &BTreeMap<String, String>,
    errors: Option<&FieldErrors>,
    saved: bool,
) -> AppResult<HttpResponse> {
    let now = Utc::now().naive_utc();
    let minutes_left = attempt.deadline.map(|d| (d - now).num_minutes().max(0));
    let page = AttemptPage {
        attempt_id: attempt.id,
        course_id: attempt.course_id.clone(),
        quiz_id: attempt.quiz_id.clone(),
        questions: answer_form::form_questions(attempt, given, typed),
        content_language: attempt.language,
        saved,
        minutes_left,
        deadline: attempt.deadline.map(|d| time_text(ctx.locale, d)),
        time_warning: minutes_left.is_some_and(|m| m < 5),
    };
    render::form_view(state, ctx, "quizzes/attempt.html", &page, errors)
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
    let (attempt, given) = load_open_attempt(&state, user.id, attempt_id).await?;
    if !attempt.is_open() {
        return Ok(see_other(review_path(attempt_id)));
    }
    attempt_form(
        &state,
        &ctx,
        &attempt,
        &given,
        &BTreeMap::new(),
        None,
        query.saved.is_some(),
    )
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
    let (attempt, _) = load_open_attempt(&state, user_id, attempt_id).await?;
    if !attempt.is_open() {
        return Ok(see_other(review_path(attempt_id)));
    }
    let submit = pairs.iter().any(|(k, v)| k == "action" && v == "submit");
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
        let (attempt, given) = load_open_attempt(&state, user_id, attempt_id).await?;
        let typed = answer_form::typed_fields(pairs);
        return attempt_form(&state, &ctx, &attempt, &given, &typed, Some(&posted.errors), false);
    }
    if submit {
        state
            .db(move |conn| attempts::submit(conn, user_id, attempt_id, Utc::now().naive_utc()))
            .await?;
        return Ok(see_other(review_path(attempt_id)));
    }
    Ok(see_other(format!("/attempts/{attempt_id}?saved=1")))
}

/// What `quizzes/review.html` shows.
#[derive(Serialize)]
struct ReviewPage {
    attempt_id: AttemptId,
    course_id: String,
    quiz_id: String,
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
    let (attempt, result, given, comments, visible) = state
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
            Ok((attempt, result, given, comments, visible))
        })
        .await?;
    let page = ReviewPage {
        attempt_id: attempt.id,
        items: views::review(&attempt, &result, &given, &comments, visible),
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
