//! Quiz pages for trainers, coordinators and administrators: the queue of essays to
//! grade, grading one, and a quiz's item statistics.

use actix_web::{web, HttpResponse};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::attempts::AttemptId;
use super::essays::{self, EssayScore};
use super::statistics::{self, GroupView};
use super::store;
use super::web::time_text;
use crate::accounts::guard::Staff;
use crate::app::AppState;
use crate::error::{AppError, AppResult};
use crate::i18n::Locale;
use crate::validation::FieldErrors;
use crate::web::context::RequestContext;
use crate::web::forms::CsrfForm;
use crate::web::render;
use crate::web::{path_id, see_other};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/teach/grading", web::get().to(grading_queue))
        .route("/teach/grading/{attempt}/{question}", web::get().to(essay_page))
        .route("/teach/grading/{attempt}/{question}", web::post().to(grade_essay))
        .route(
            "/teach/quizzes/{course}/{quiz}/statistics",
            web::get().to(statistics_page),
        );
}

#[derive(Serialize)]
struct QueueItem {
    attempt_id: AttemptId,
    question_id: String,
    course_id: String,
    quiz_id: String,
    learner: String,
    submitted: String,
}

/// What `quizzes/grading.html` shows.
#[derive(Serialize)]
struct GradingPage {
    items: Vec<QueueItem>,
}

async fn grading_queue(state: web::Data<AppState>, ctx: RequestContext, _: Staff) -> AppResult<HttpResponse> {
    let pending = state.db(essays::pending_essays).await?;
    let items = pending
        .into_iter()
        .map(|essay| QueueItem {
            submitted: time_text(ctx.locale, essay.submitted_at),
            attempt_id: essay.attempt_id,
            question_id: essay.question_id,
            course_id: essay.course_id,
            quiz_id: essay.quiz_id,
            learner: essay.learner,
        })
        .collect();
    render::view(&state, &ctx, "quizzes/grading.html", &GradingPage { items })
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct EssayForm {
    score: String,
    comment: String,
}

/// What `quizzes/grade_essay.html` shows.
#[derive(Serialize)]
struct EssayPage<'a> {
    attempt_id: AttemptId,
    question_id: String,
    question_html: String,
    content_language: Locale,
    answer: String,
    learner: String,
    form: &'a EssayForm,
}

async fn essay_form(
    state: &AppState,
    ctx: &RequestContext,
    attempt_id: AttemptId,
    question_id: String,
    form: &EssayForm,
    errors: Option<&FieldErrors>,
) -> AppResult<HttpResponse> {
    let wanted = question_id.clone();
    let essay = state
        .db(move |conn| essays::essay_to_grade(conn, attempt_id, &wanted))
        .await?;
    let page = EssayPage {
        attempt_id,
        question_id,
        question_html: essay.question_html,
        content_language: essay.attempt.language,
        answer: essay.answer,
        learner: essay.learner,
        form,
    };
    render::form_view(state, ctx, "quizzes/grade_essay.html", &page, errors)
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
    let score = match EssayScore::parse(&form.score) {
        Ok(score) => score,
        Err(AppError::Invalid(errors)) => {
            return essay_form(&state, &ctx, attempt_id, question, &form, Some(&errors)).await
        }
        Err(error) => return Err(error),
    };
    let comment = form.comment.clone();
    state
        .db(move |conn| {
            essays::grade_essay(
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

/// What `quizzes/statistics.html` shows.
#[derive(Serialize)]
struct StatisticsPage {
    title: String,
    course_id: String,
    quiz_id: String,
    stats: Vec<GroupView>,
}

async fn statistics_page(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<(String, String)>,
    _: Staff,
) -> AppResult<HttpResponse> {
    let (course_id, quiz_id) = path.into_inner();
    let (quiz, stats) = state
        .db(move |conn| {
            let quiz = store::find_quiz(conn, &course_id, &quiz_id)?.ok_or(AppError::NotFound)?;
            let stats = statistics::for_quiz(conn, &course_id, &quiz_id)?;
            Ok((quiz, stats))
        })
        .await?;
    let page = StatisticsPage {
        title: quiz.title(ctx.locale),
        course_id: quiz.course_id,
        quiz_id: quiz.id,
        stats: stats.view(ctx.locale),
    };
    render::view(&state, &ctx, "quizzes/statistics.html", &page)
}
