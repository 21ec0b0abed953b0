//! Quiz pages for trainers, coordinators and administrators: the queue of essays to
//! grade, grading one, and a quiz's item statistics.

use std::collections::BTreeMap;

use actix_web::{web, HttpResponse};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::attempts::AttemptId;
use super::essays::{self, EssayScore, GradeInput};
use super::statistics::{self, GroupView};
use super::store;
use super::views;
use super::web::time_text;
use crate::accounts::guard::{SignedIn, Staff};
use crate::accounts::model::{Role, User};
use crate::app::AppState;
use crate::db::DbConnection;
use crate::enrolment::{self, Oversight};
use crate::error::{AppError, AppResult};
use crate::i18n::{self, Locale};
use crate::reports::privacy::MIN_GROUP;
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
    /// The course's and the quiz's titles in the reader's language, not their ids.
    course: String,
    quiz: String,
    /// The question's opening words in the reader's language, not its id.
    question: String,
    /// The language the question is written in, when there is none in the reader's.
    question_lang: Option<&'static str>,
    learner: String,
    submitted: String,
}

/// What `quizzes/grading.html` shows.
#[derive(Serialize)]
struct GradingPage {
    items: Vec<QueueItem>,
    /// "Essay graded: <learner>", after a grade was saved.
    notice: Option<String>,
}

/// `?graded=<attempt id>`, where saving a grade leads: the grade to confirm.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct GradedQuery {
    graded: Option<String>,
}

/// A course's and a quiz's titles, and the quiz's questions' excerpts by id, in the
/// reader's language.
struct QuizNames {
    course: String,
    quiz: String,
    questions: BTreeMap<String, String>,
    /// The language of the questions, when it is not the reader's.
    questions_lang: Option<&'static str>,
}

/// Reads the names of a quiz in the best language of `locale` there is.
fn quiz_names(conn: &mut DbConnection, course_id: &str, quiz_id: &str, locale: Locale) -> AppResult<QuizNames> {
    let course = crate::courses::reading::course_title(conn, course_id, locale)?;
    let Some(quiz) = store::find_quiz(conn, course_id, quiz_id)? else {
        // A quiz removed from the course since: its essays still wait, under its id.
        return Ok(QuizNames {
            course,
            quiz: quiz_id.to_owned(),
            questions: BTreeMap::new(),
            questions_lang: None,
        });
    };
    let languages = store::languages(conn, &quiz)?;
    let language = i18n::best_available(&languages, locale);
    let questions = match language {
        Some(language) => store::questions(conn, &quiz, language)?
            .into_iter()
            .map(|q| (q.id, views::plain_excerpt(&q.html, views::EXCERPT_CHARS)))
            .collect(),
        None => BTreeMap::new(),
    };
    Ok(QuizNames {
        course,
        quiz: quiz.title(locale),
        questions,
        questions_lang: language.filter(|l| *l != locale).map(|l| l.code()),
    })
}

async fn grading_queue(
    state: web::Data<AppState>,
    ctx: RequestContext,
    query: web::Query<GradedQuery>,
    Staff(user): Staff,
) -> AppResult<HttpResponse> {
    let locale = ctx.locale;
    let reader = user.clone();
    let graded: Option<AttemptId> = query.graded.as_deref().and_then(|id| id.parse().ok());
    let (pending, names, graded_learner) = state
        .db(move |conn| {
            let oversight = enrolment::oversight_of(conn, &user)?;
            let pending = essays::pending_essays(conn, &oversight)?;
            // Each quiz's names once, however many essays wait in it.
            let mut names: BTreeMap<(String, String), QuizNames> = BTreeMap::new();
            for essay in &pending {
                let key = (essay.course_id.clone(), essay.quiz_id.clone());
                if let std::collections::btree_map::Entry::Vacant(slot) = names.entry(key) {
                    slot.insert(quiz_names(conn, &essay.course_id, &essay.quiz_id, locale)?);
                }
            }
            // Only an attempt the grader may see is named; any other id is ignored.
            let graded_learner = match graded {
                Some(attempt) => essays::learner_of(conn, &oversight, attempt)?,
                None => None,
            };
            Ok((pending, names, graded_learner))
        })
        .await?;
    let items = pending
        .into_iter()
        .map(|essay| {
            let found = names.get(&(essay.course_id.clone(), essay.quiz_id.clone()));
            QueueItem {
                submitted: time_text(locale, &reader, essay.submitted_at),
                course: found.map(|n| n.course.clone()).unwrap_or_default(),
                quiz: found.map(|n| n.quiz.clone()).unwrap_or_default(),
                question: found
                    .and_then(|n| n.questions.get(&essay.question_id).cloned())
                    .unwrap_or_else(|| essay.question_id.clone()),
                question_lang: found.and_then(|n| n.questions_lang),
                attempt_id: essay.attempt_id,
                question_id: essay.question_id,
                course_id: essay.course_id,
                quiz_id: essay.quiz_id,
                learner: essay.learner,
            }
        })
        .collect();
    let notice =
        graded_learner.map(|learner| i18n::t_with(locale, "quiz_pages.essay_graded", &[("learner", &learner)]));
    render::view(&state, &ctx, "quizzes/grading.html", &GradingPage { items, notice })
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct EssayForm {
    score: String,
    comment: String,
    /// Why an existing grade changes; required for a regrade.
    reason: String,
}

/// What `quizzes/grade_essay.html` shows.
#[derive(Serialize)]
struct EssayPage<'a> {
    attempt_id: AttemptId,
    question_id: String,
    /// The course's and the quiz's titles in the reader's language.
    course: String,
    quiz: String,
    question_html: String,
    content_language: Locale,
    answer: String,
    learner: String,
    /// The grade already given, which a regrade changes: "80 % by …, on …".
    current_grade: Option<String>,
    current_comment: Option<String>,
    form: &'a EssayForm,
}

async fn essay_form(
    state: &AppState,
    ctx: &RequestContext,
    grader: User,
    attempt_id: AttemptId,
    question_id: String,
    form: &EssayForm,
    errors: Option<&FieldErrors>,
) -> AppResult<HttpResponse> {
    let wanted = question_id.clone();
    let locale = ctx.locale;
    let reader = grader.clone();
    let (essay, names) = state
        .db(move |conn| {
            let oversight = enrolment::oversight_of(conn, &grader)?;
            let essay = essays::essay_to_grade(conn, &oversight, attempt_id, &wanted)?;
            let names = quiz_names(conn, &essay.attempt.course_id, &essay.attempt.quiz_id, locale)?;
            Ok((essay, names))
        })
        .await?;
    let current_grade = essay.grade.as_ref().map(|grade| {
        i18n::t_with(
            ctx.locale,
            "quizzes.current_grade",
            &[
                ("score", &i18n::format_percent(ctx.locale, grade.percent)),
                ("grader", essay.grader_name.as_deref().unwrap_or("—")),
                ("when", &time_text(ctx.locale, &reader, grade.graded_at)),
            ],
        )
    });
    let page = EssayPage {
        current_comment: essay.grade.and_then(|grade| grade.comment),
        current_grade,
        attempt_id,
        question_id,
        course: names.course,
        quiz: names.quiz,
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
    Staff(grader): Staff,
) -> AppResult<HttpResponse> {
    let (attempt, question) = path.into_inner();
    essay_form(
        &state,
        &ctx,
        grader,
        path_id(&attempt)?,
        question,
        &EssayForm::default(),
        None,
    )
    .await
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
            return essay_form(&state, &ctx, grader, attempt_id, question, &form, Some(&errors)).await
        }
        Err(error) => return Err(error),
    };
    let (user, wanted, comment, reason) = (
        grader.clone(),
        question.clone(),
        form.comment.clone(),
        form.reason.clone(),
    );
    let graded = state
        .db(move |conn| {
            let oversight = enrolment::oversight_of(conn, &user)?;
            let input = GradeInput {
                score,
                comment: &comment,
                regrade_reason: &reason,
            };
            essays::grade_essay(
                conn,
                &user,
                &oversight,
                attempt_id,
                &wanted,
                &input,
                Utc::now().naive_utc(),
            )
        })
        .await;
    match graded {
        Ok(_) => Ok(see_other(format!("/teach/grading?graded={attempt_id}"))),
        Err(AppError::Invalid(errors)) => {
            essay_form(&state, &ctx, grader, attempt_id, question, &form, Some(&errors)).await
        }
        Err(error) => Err(error),
    }
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
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let (course_id, quiz_id) = path.into_inner();
    let observer = user.role == Role::Observer;
    let (quiz, stats) = state
        .db(move |conn| {
            // Observers see every run's figures, as they see every report; staff see
            // the runs they oversee; learners none.
            let oversight = match user.role {
                Role::Observer => Oversight::Everything,
                role if role.is_staff() => enrolment::oversight_of(conn, &user)?,
                _ => return Err(AppError::Forbidden),
            };
            let quiz = store::find_quiz(conn, &course_id, &quiz_id)?.ok_or(AppError::NotFound)?;
            let stats = statistics::for_quiz(conn, &course_id, &quiz_id, &oversight)?;
            Ok((quiz, stats))
        })
        .await?;
    let page = StatisticsPage {
        title: quiz.title(ctx.locale),
        course_id: quiz.course_id,
        quiz_id: quiz.id,
        stats: stats
            .view(ctx.locale)
            .into_iter()
            // Observers see aggregates only: a group of fewer attempts than the
            // reports' smallest group would show a person's answers.
            .filter(|group| !observer || i64::try_from(group.attempts).unwrap_or(0) >= MIN_GROUP)
            .collect(),
    };
    render::view(&state, &ctx, "quizzes/statistics.html", &page)
}
