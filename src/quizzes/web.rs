//! Quiz pages: the quiz's start page, answering (usable without JavaScript), review,
//! and for trainers the essay grading queue and item statistics.

use std::collections::BTreeMap;

use actix_web::{web, HttpResponse};
use chrono::{NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

use super::attempts::{self, Attempt};
use super::gift::Kind;
use super::grading::{self, Response};
use super::statistics;
use super::views;
use crate::accounts::guard::{SignedIn, Staff};
use crate::accounts::store as user_store;
use crate::courses::store as course_store;
use crate::error::{AppError, AppResult};
use crate::i18n::{self, Locale};
use crate::validation::FieldErrors;
use crate::web::context::RequestContext;
use crate::web::forms::{CsrfForm, CsrfOnly};
use crate::web::render;
use crate::web::AppState;
use crate::web::{path_id, see_other};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/courses/{course}/quizzes/{quiz}", web::get().to(quiz_page))
        .route("/courses/{course}/quizzes/{quiz}/attempts", web::post().to(start))
        .route("/attempts/{attempt}", web::get().to(attempt_page))
        .route("/attempts/{attempt}", web::post().to(answer))
        .route("/attempts/{attempt}/review", web::get().to(review_page))
        .route("/teach/grading", web::get().to(grading_queue))
        .route("/teach/grading/{attempt}/{question}", web::get().to(essay_page))
        .route("/teach/grading/{attempt}/{question}", web::post().to(grade_essay))
        .route(
            "/teach/quizzes/{course}/{quiz}/statistics",
            web::get().to(statistics_page),
        );
}

fn time_text(locale: Locale, at: NaiveDateTime) -> String {
    format!("{} {}", i18n::format_date(locale, at.date()), at.format("%H:%M UTC"))
}

#[derive(Serialize)]
struct AttemptSummary {
    id: i64,
    number: usize,
    started: String,
    open: bool,
    percent: Option<String>,
    passed: Option<bool>,
    pending: bool,
}

async fn quiz_page(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<(String, String)>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let (course_id, quiz_id) = path.into_inner();
    let locale = ctx.locale;
    let (quiz, course, past) = state
        .db(move |conn| {
            let quiz = attempts::find_quiz(conn, &course_id, &quiz_id)?.ok_or(AppError::NotFound)?;
            let course = course_store::find_active_course(conn, &course_id)?.ok_or(AppError::NotFound)?;
            let now = Utc::now().naive_utc();
            let past = attempts::attempts_of(conn, user.id, &course_id, &quiz_id)?
                .into_iter()
                .map(|a| attempts::close_if_expired(conn, a, now))
                .collect::<AppResult<Vec<_>>>()?;
            Ok((quiz, course, past))
        })
        .await?;
    let counted = past.iter().filter(|a| !a.is_preview).count();
    let limit = usize::try_from(quiz.settings.attempts).unwrap_or(usize::MAX);
    let may_start = user.role.is_staff() || limit == 0 || counted < limit || past.iter().any(Attempt::is_open);
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
    let mut page = render::base_context(&state, &ctx);
    page.insert("course_id", &course.id);
    page.insert(
        "course_title",
        &i18n::pick_text(&course.titles(), locale).unwrap_or_else(|| course.id.clone()),
    );
    page.insert("quiz_id", &quiz.id);
    page.insert("title", &quiz.title(locale));
    page.insert("pass_mark", &quiz.settings.pass_mark);
    page.insert("time_limit", &quiz.settings.time_limit_minutes);
    page.insert("attempts_allowed", &quiz.settings.attempts);
    page.insert("attempts_used", &counted);
    page.insert("attempts", &summaries);
    page.insert("may_start", &may_start);
    page.insert("has_open", &past.iter().any(Attempt::is_open));
    page.insert("is_staff", &user.role.is_staff());
    render::page(&state, "quizzes/start.html", &page)
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
    let (attempt, _) = state
        .db(move |conn| attempts::start(conn, &user, &course, &quiz, locale, Utc::now().naive_utc()))
        .await?;
    Ok(see_other(format!("/attempts/{}", attempt.id)))
}

/// A question on the answer page, with what the learner has given so far.
#[derive(Serialize)]
struct FormQuestion {
    number: usize,
    view: views::QuestionView,
    html: String,
    field: String,
    chosen: Vec<String>,
    text: String,
    pairs: BTreeMap<String, String>,
}

fn field_name(question_id: &str) -> String {
    format!("q-{question_id}")
}

fn form_questions(
    attempt: &Attempt,
    given: &BTreeMap<String, Response>,
    typed: &BTreeMap<String, String>,
) -> Vec<FormQuestion> {
    views::questions_view(attempt)
        .into_iter()
        .zip(attempt.questions.iter())
        .enumerate()
        .map(|(index, (view, drawn))| {
            let field = field_name(&view.id);
            let shown = given.get(&view.id).map(|r| drawn.shown(r));
            let (chosen, text, pairs) = match shown.as_ref() {
                Some(Response::Choice { choice }) => (vec![choice.clone()], String::new(), BTreeMap::new()),
                Some(Response::Choices { choices }) => (choices.clone(), String::new(), BTreeMap::new()),
                Some(Response::Text { text }) => (Vec::new(), text.clone(), BTreeMap::new()),
                Some(Response::Value { value }) => (Vec::new(), value.to_string(), BTreeMap::new()),
                Some(Response::Pairs { pairs }) => (Vec::new(), String::new(), pairs.clone()),
                None => (Vec::new(), String::new(), BTreeMap::new()),
            };
            let text = typed.get(&field).cloned().unwrap_or(text);
            FormQuestion {
                number: index + 1,
                html: view.html.clone(),
                view,
                field,
                chosen,
                text,
                pairs,
            }
        })
        .collect()
}

async fn load_open_attempt(
    state: &AppState,
    ctx: &RequestContext,
    attempt_id: i64,
) -> AppResult<(Attempt, BTreeMap<String, Response>)> {
    let user_id = ctx.user()?.id;
    state
        .db(move |conn| {
            let attempt = attempts::find_attempt(conn, user_id, attempt_id)?;
            let attempt = attempts::close_if_expired(conn, attempt, Utc::now().naive_utc())?;
            let given = attempts::responses(conn, attempt_id)?;
            Ok((attempt, given))
        })
        .await
}

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
    let mut page = render::base_context(state, ctx);
    page.insert("attempt_id", &attempt.id);
    page.insert("questions", &form_questions(attempt, given, typed));
    page.insert("content_language", attempt.language.code());
    page.insert("saved", &saved);
    let minutes_left = attempt.deadline.map(|d| (d - now).num_minutes().max(0));
    page.insert("minutes_left", &minutes_left);
    page.insert("deadline", &attempt.deadline.map(|d| time_text(ctx.locale, d)));
    page.insert("time_warning", &minutes_left.is_some_and(|m| m < 5));
    page.insert("course_id", &attempt.course_id);
    page.insert("quiz_id", &attempt.quiz_id);
    render::form(state, "quizzes/attempt.html", page, errors, ctx.locale)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SavedQuery {
    saved: Option<String>,
}

async fn attempt_page(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
    query: web::Query<SavedQuery>,
) -> AppResult<HttpResponse> {
    let attempt_id = path_id(&path)?;
    let (attempt, given) = load_open_attempt(&state, &ctx, attempt_id).await?;
    if !attempt.is_open() {
        return Ok(see_other(format!("/attempts/{attempt_id}/review")));
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

/// Reads the answer form: every question's field into a response, or an error for
/// the field. Absent radio buttons leave earlier answers as they are.
fn responses_from_form(
    attempt: &Attempt,
    pairs: &[(String, String)],
) -> (Vec<(String, Option<Response>)>, FieldErrors) {
    let mut errors = FieldErrors::new();
    let mut out = Vec::new();
    let values = |name: &str| -> Vec<&str> {
        pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    };
    for drawn in &attempt.questions {
        let id = drawn.question.id.clone();
        let field = field_name(&id);
        let given = values(&field);
        let first = given.first().map(|v| v.trim()).unwrap_or_default();
        let response = match &drawn.question.kind {
            Kind::Single { .. } | Kind::TrueFalse { .. } => {
                if first.is_empty() {
                    continue;
                }
                Some(Response::Choice {
                    choice: first.to_owned(),
                })
            }
            Kind::Multiple { .. } => {
                if values(&format!("{field}-shown")).is_empty() {
                    continue;
                }
                Some(Response::Choices {
                    choices: given.iter().map(|v| v.to_string()).collect(),
                })
            }
            Kind::ShortAnswer { .. } | Kind::Essay => {
                if given.is_empty() {
                    continue;
                }
                Some(first.to_owned())
                    .filter(|t| !t.is_empty())
                    .map(|text| Response::Text { text })
            }
            Kind::Numerical { .. } => {
                if given.is_empty() {
                    continue;
                }
                if first.is_empty() {
                    None
                } else {
                    match first.replace(',', ".").replace([' ', '\u{a0}'], "").parse::<f64>() {
                        Ok(value) if value.is_finite() => Some(Response::Value { value }),
                        _ => {
                            errors.add_named(field.clone(), "quizzes.number_invalid");
                            continue;
                        }
                    }
                }
            }
            Kind::Matching { pairs: question_pairs } => {
                let mut chosen = BTreeMap::new();
                for index in 0..question_pairs.len() {
                    let left = grading::left_id(index);
                    if let Some(right) = values(&format!("{field}--{left}")).first().filter(|v| !v.is_empty()) {
                        chosen.insert(left, right.to_string());
                    }
                }
                if chosen.is_empty() {
                    continue;
                }
                Some(Response::Pairs { pairs: chosen })
            }
            Kind::Description => continue,
        };
        out.push((id, response));
    }
    (out, errors)
}

async fn answer(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let attempt_id = path_id(&path)?;
    let (attempt, _) = load_open_attempt(&state, &ctx, attempt_id).await?;
    if !attempt.is_open() {
        return Ok(see_other(format!("/attempts/{attempt_id}/review")));
    }
    let submit = pairs.iter().any(|(k, v)| k == "action" && v == "submit");
    let (responses, errors) = responses_from_form(&attempt, &pairs);
    let user_id = user.id;
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
        Err(AppError::Conflict(_)) => return Ok(see_other(format!("/attempts/{attempt_id}/review"))),
        Err(error) => return Err(error),
    }
    if !errors.is_empty() {
        let (attempt, given) = load_open_attempt(&state, &ctx, attempt_id).await?;
        let typed: BTreeMap<String, String> = pairs.into_iter().filter(|(k, _)| k.starts_with("q-")).collect();
        return attempt_form(&state, &ctx, &attempt, &given, &typed, Some(&errors), false);
    }
    if submit {
        state
            .db(move |conn| attempts::submit(conn, user_id, attempt_id, Utc::now().naive_utc()))
            .await?;
        return Ok(see_other(format!("/attempts/{attempt_id}/review")));
    }
    Ok(see_other(format!("/attempts/{attempt_id}?saved=1")))
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
            let attempt = attempts::find_attempt(conn, user_id, attempt_id)?;
            let attempt = attempts::close_if_expired(conn, attempt, Utc::now().naive_utc())?;
            if attempt.is_open() {
                return Err(AppError::NotFound);
            }
            let result = attempts::stored_result(conn, &attempt)?;
            let given = attempts::responses(conn, attempt_id)?;
            let comments = attempts::essay_feedback(conn, attempt_id)?;
            let visible = attempts::answers_visible(conn, &attempt)?;
            Ok((attempt, result, given, comments, visible))
        })
        .await?;
    let mut page = render::base_context(&state, &ctx);
    page.insert("attempt_id", &attempt.id);
    page.insert("course_id", &attempt.course_id);
    page.insert("quiz_id", &attempt.quiz_id);
    page.insert("content_language", attempt.language.code());
    page.insert("percent", &format!("{:.0}", result.percent));
    page.insert("score", &format!("{} / {}", result.score, result.max_score));
    page.insert("passed", &result.passed);
    page.insert("pending", &result.pending_manual);
    page.insert("pass_mark", &attempt.settings.pass_mark);
    page.insert("answers_visible", &visible);
    page.insert("items", &views::review(&attempt, &result, &given, &comments, visible));
    render::page(&state, "quizzes/review.html", &page)
}

#[derive(Serialize)]
struct QueueItem {
    attempt_id: i64,
    question_id: String,
    course_id: String,
    quiz_id: String,
    learner: String,
    submitted: String,
}

async fn grading_queue(state: web::Data<AppState>, ctx: RequestContext, _: Staff) -> AppResult<HttpResponse> {
    let locale = ctx.locale;
    let items = state
        .db(move |conn| {
            let pending = attempts::pending_essays(conn)?;
            pending
                .into_iter()
                .map(|p| {
                    let learner = user_store::find(conn, p.user_id)?.map(|u| u.name).unwrap_or_default();
                    Ok(QueueItem {
                        attempt_id: p.attempt_id,
                        question_id: p.question_id,
                        course_id: p.course_id,
                        quiz_id: p.quiz_id,
                        learner,
                        submitted: time_text(locale, p.submitted_at),
                    })
                })
                .collect::<AppResult<Vec<_>>>()
        })
        .await?;
    let mut page = render::base_context(&state, &ctx);
    page.insert("items", &items);
    render::page(&state, "quizzes/grading.html", &page)
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct EssayForm {
    score: String,
    comment: String,
}

async fn essay_form(
    state: &AppState,
    ctx: &RequestContext,
    attempt_id: i64,
    question_id: String,
    form: &EssayForm,
    errors: Option<&FieldErrors>,
) -> AppResult<HttpResponse> {
    let wanted = question_id.clone();
    let (attempt, answer, learner) = state
        .db(move |conn| {
            let attempt = attempts::find_attempt_any(conn, attempt_id)?;
            let given = attempts::responses(conn, attempt_id)?;
            let answer = match given.get(&wanted) {
                Some(Response::Text { text }) => text.clone(),
                _ => String::new(),
            };
            let learner = user_store::find(conn, attempt.user_id)?
                .map(|u| u.name)
                .unwrap_or_default();
            Ok((attempt, answer, learner))
        })
        .await?;
    let drawn = attempt.question(&question_id).ok_or(AppError::NotFound)?;
    if !matches!(drawn.question.kind, Kind::Essay) || attempt.is_open() {
        return Err(AppError::NotFound);
    }
    let mut page = render::base_context(state, ctx);
    page.insert("attempt_id", &attempt_id);
    page.insert("question_id", &question_id);
    page.insert("question_html", &drawn.question.html);
    page.insert("content_language", attempt.language.code());
    page.insert("answer", &answer);
    page.insert("learner", &learner);
    page.insert("form", form);
    render::form(state, "quizzes/grade_essay.html", page, errors, ctx.locale)
}

async fn essay_page(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<(String, String)>,
    _: Staff,
) -> AppResult<HttpResponse> {
    let (attempt, question) = path.into_inner();
    essay_form(&state, &ctx, path_id(&attempt)?, question, &EssayForm::default(), None).await
}

async fn grade_essay(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<(String, String)>,
    CsrfForm(form): CsrfForm<EssayForm>,
    Staff(grader): Staff,
) -> AppResult<HttpResponse> {
    let (attempt, question) = path.into_inner();
    let attempt_id = path_id(&attempt)?;
    let score = form
        .score
        .trim()
        .replace(',', ".")
        .parse::<f64>()
        .ok()
        .filter(|s| (0.0..=100.0).contains(s));
    let Some(score) = score else {
        let mut errors = FieldErrors::new();
        errors.add("score", "quizzes.essay_score_invalid");
        return essay_form(&state, &ctx, attempt_id, question, &form, Some(&errors)).await;
    };
    let comment = form.comment.clone();
    state
        .db(move |conn| {
            attempts::grade_essay(
                conn,
                &grader,
                attempt_id,
                &question,
                score,
                &comment,
                Utc::now().naive_utc(),
            )
        })
        .await?;
    Ok(see_other("/teach/grading?graded=1"))
}

async fn statistics_page(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<(String, String)>,
    _: Staff,
) -> AppResult<HttpResponse> {
    let (course_id, quiz_id) = path.into_inner();
    let locale = ctx.locale;
    let (quiz, stats) = state
        .db(move |conn| {
            let quiz = attempts::find_quiz(conn, &course_id, &quiz_id)?.ok_or(AppError::NotFound)?;
            let stats = statistics::for_quiz(conn, &course_id, &quiz_id)?;
            Ok((quiz, stats))
        })
        .await?;
    let mut page = render::base_context(&state, &ctx);
    page.insert("title", &quiz.title(locale));
    page.insert("course_id", &quiz.course_id);
    page.insert("quiz_id", &quiz.id);
    page.insert("stats", &stats.view(locale));
    render::page(&state, "quizzes/statistics.html", &page)
}
