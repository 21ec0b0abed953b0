//! Whether a learner has completed a course, computed on the server whenever one of
//! its inputs changes (a module marked complete, a quiz passed, an essay graded), and
//! stored with its time. The rule comes from `[completion]` in `course.toml`; without
//! it, every module must be complete and every quiz passed (pre-tests excepted). A run
//! may also require a share of its in-person days attended (`min_attendance`), and the
//! course's prerequisites must have been completed first.

use crate::accounts::model::UserId;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::courses::store as course_store;
use crate::db::schema::{certificates, course_completions, quiz_attempts};
use crate::db::DbConnection;
use crate::enrolment::RunId;
use crate::error::AppError;
use crate::i18n::{self, Locale};
use crate::quizzes::store as quiz_store;

/// `modules = "all"` or a list of module ids.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum ModulesRule {
    Named(String),
    List(Vec<String>),
}

/// `[completion]` of `course.toml`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CompletionRule {
    #[serde(default)]
    pub modules: Option<ModulesRule>,
    /// Quizzes to pass; by default every quiz of the course that is not a pre-test.
    #[serde(default)]
    pub quizzes: Option<Vec<String>>,
    /// Minimum mean of the best scores of the required quizzes, in per cent.
    #[serde(default)]
    pub min_score: Option<f64>,
}

/// What is still missing, as the learner is shown it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Missing {
    pub kind: &'static str,
    pub title: String,
    /// For a test not passed yet (`quiz`, `awaiting_grading`): its id, so a page can
    /// link it.
    #[serde(skip)]
    pub quiz_id: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Completion {
    pub complete: bool,
    pub completed_at: Option<NaiveDateTime>,
    pub missing: Vec<Missing>,
}

/// Reads a `[completion]` rule, as `bilim courses check` and the running server both
/// do: what the check accepts, the server reads the same way.
pub fn parse_rule(value: serde_json::Value) -> Result<CompletionRule, serde_json::Error> {
    if value.is_null() {
        return Ok(CompletionRule::default());
    }
    serde_json::from_value(value)
}

/// The completion rule of an imported course. A stored rule that cannot be read is an
/// internal error, logged with its cause, never silently the default rule.
fn rule_of(course_id: &str, settings: &str) -> Result<CompletionRule, AppError> {
    let read = serde_json::from_str::<serde_json::Value>(settings)
        .and_then(|v| parse_rule(v.get("completion").cloned().unwrap_or_default()));
    read.map_err(|error| {
        tracing::error!(course = course_id, %error, "the course's stored completion rule cannot be read");
        AppError::internal(format!("the completion rule of {course_id} cannot be read: {error}"))
    })
}

/// Whether the learner has completed a prerequisite course: a recorded completion of
/// it, or a certificate of it that is still valid.
pub(crate) fn prerequisite_met(
    conn: &mut DbConnection,
    user_id: UserId,
    course_id: &str,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    if recorded(conn, user_id, course_id)?.is_some() {
        return Ok(true);
    }
    let valid: i64 = certificates::table
        .filter(certificates::user_id.eq(user_id))
        .filter(certificates::course_id.eq(course_id))
        .filter(certificates::revoked_at.is_null())
        .filter(certificates::expires_at.is_null().or(certificates::expires_at.gt(now)))
        .count()
        .get_result(conn)?;
    Ok(valid > 0)
}

/// Each prerequisite of a course (those still in the catalogue) with whether the
/// learner has completed it, in the order `course.toml` names them.
pub fn prerequisites_of(
    conn: &mut DbConnection,
    user_id: UserId,
    course: &course_store::CourseRow,
    now: NaiveDateTime,
) -> Result<Vec<(course_store::CourseRow, bool)>, AppError> {
    let mut prerequisites = Vec::new();
    for id in course.prerequisites() {
        if let Some(other) = course_store::find_active_course(conn, &id)? {
            let met = prerequisite_met(conn, user_id, &id, now)?;
            prerequisites.push((other, met));
        }
    }
    Ok(prerequisites)
}

/// The learner's recorded completion of a course: the run it counted in and when.
pub fn recorded(
    conn: &mut DbConnection,
    user_id: UserId,
    course_id: &str,
) -> Result<Option<(Option<RunId>, NaiveDateTime)>, AppError> {
    Ok(course_completions::table
        .find((user_id, course_id))
        .select((course_completions::run_id, course_completions::completed_at))
        .first(conn)
        .optional()?)
}

/// The best score of a user's passed, submitted, non-preview attempts at a quiz.
fn best_passed(
    conn: &mut DbConnection,
    user_id: UserId,
    course_id: &str,
    quiz_id: &str,
) -> Result<Option<f64>, AppError> {
    let scores: Vec<Option<f64>> = quiz_attempts::table
        .filter(quiz_attempts::user_id.eq(user_id))
        .filter(quiz_attempts::course_id.eq(course_id))
        .filter(quiz_attempts::quiz_id.eq(quiz_id))
        .filter(quiz_attempts::submitted_at.is_not_null())
        .filter(quiz_attempts::passed.eq(true))
        .filter(quiz_attempts::pending_manual.eq(false))
        .select(quiz_attempts::percent)
        .load(conn)?;
    Ok(scores.into_iter().flatten().reduce(f64::max))
}

/// The quizzes a course's rule requires: those it names, else every quiz of the
/// course that is not a pre-test.
fn required_of(rule: &CompletionRule, quizzes: &[quiz_store::Quiz]) -> Vec<String> {
    let pre_tests: Vec<String> = quizzes.iter().filter_map(|q| q.settings.pre_test.clone()).collect();
    rule.quizzes.clone().unwrap_or_else(|| {
        quizzes
            .iter()
            .map(|q| q.id.clone())
            .filter(|id| !pre_tests.contains(id))
            .collect()
    })
}

/// Whether a submitted, non-preview attempt of the user at a quiz waits for a trainer
/// to grade its essays.
pub fn awaits_grading(
    conn: &mut DbConnection,
    user_id: UserId,
    course_id: &str,
    quiz_id: &str,
) -> Result<bool, AppError> {
    let waiting: i64 = quiz_attempts::table
        .filter(quiz_attempts::user_id.eq(user_id))
        .filter(quiz_attempts::course_id.eq(course_id))
        .filter(quiz_attempts::quiz_id.eq(quiz_id))
        .filter(quiz_attempts::submitted_at.is_not_null())
        .filter(quiz_attempts::pending_manual.eq(true))
        .filter(quiz_attempts::is_preview.eq(false))
        .count()
        .get_result(conn)?;
    Ok(waiting > 0)
}

/// Computes the learner's completion of a course from its rule.
pub fn evaluate(
    conn: &mut DbConnection,
    user_id: UserId,
    course_id: &str,
    locale: Locale,
) -> Result<Completion, AppError> {
    let course = course_store::find_course(conn, course_id)?.ok_or(AppError::NotFound)?;
    let rule = rule_of(&course.id, &course.settings)?;
    let now = chrono::Utc::now().naive_utc();
    let modules = course_store::modules_of(conn, course_id)?;
    let required_modules: Vec<String> = match &rule.modules {
        Some(ModulesRule::List(ids)) => ids.clone(),
        _ => modules.iter().map(|m| m.id.clone()).collect(),
    };
    let done: Vec<String> = course_store::progress_in_course(conn, user_id, course_id)?
        .into_iter()
        .filter(|p| p.completed_at.is_some())
        .map(|p| p.module_id)
        .collect();
    let titles = crate::courses::reading::module_titles(conn, course_id, locale)?;
    let mut missing: Vec<Missing> = required_modules
        .iter()
        .filter(|id| !done.contains(id))
        .map(|id| Missing {
            kind: "module",
            title: titles.get(id).cloned().unwrap_or_else(|| id.clone()),
            quiz_id: None,
        })
        .collect();
    let quizzes = quiz_store::quizzes_of(conn, course_id)?;
    let required_quizzes = required_of(&rule, &quizzes);
    let mut best_scores = Vec::new();
    for quiz_id in &required_quizzes {
        match best_passed(conn, user_id, course_id, quiz_id)? {
            Some(score) => best_scores.push(score),
            None => missing.push(Missing {
                // Not "to do" while a trainer still has its essays: the learner has
                // done their part, and the page says so.
                kind: if awaits_grading(conn, user_id, course_id, quiz_id)? {
                    "awaiting_grading"
                } else {
                    "quiz"
                },
                title: quizzes
                    .iter()
                    .find(|q| &q.id == quiz_id)
                    .map(|q| q.title(locale))
                    .unwrap_or_else(|| quiz_id.clone()),
                quiz_id: Some(quiz_id.clone()),
            }),
        }
    }
    if let Some(minimum) = rule.min_score {
        // Counts are small; the mean over them is exact enough.
        #[allow(clippy::cast_precision_loss)]
        let mean = if best_scores.is_empty() {
            0.0
        } else {
            best_scores.iter().sum::<f64>() / best_scores.len() as f64
        };
        if mean + 1e-9 < minimum {
            missing.push(Missing {
                kind: "score",
                title: i18n::t_with(locale, "completion.min_score", &[("score", &format!("{minimum:.0}"))]),
                quiz_id: None,
            });
        }
    }
    if let Some(attendance) = missing_attendance(conn, user_id, course_id, now, locale)? {
        missing.push(attendance);
    }
    for (prerequisite, met) in prerequisites_of(conn, user_id, &course, now)? {
        if !met {
            let title = i18n::pick_text(&prerequisite.titles(), locale).unwrap_or_else(|| prerequisite.id.clone());
            missing.push(Missing {
                kind: "prerequisite",
                title: i18n::t_with(locale, "completion.prerequisite", &[("course", &title)]),
                quiz_id: None,
            });
        }
    }
    let completed_at = recorded(conn, user_id, course_id)?.map(|(_, at)| at);
    Ok(Completion {
        complete: missing.is_empty(),
        completed_at,
        missing,
    })
}

/// The attendance the learner's run still requires of them, if it requires any.
fn missing_attendance(
    conn: &mut DbConnection,
    user_id: UserId,
    course_id: &str,
    now: NaiveDateTime,
    locale: Locale,
) -> Result<Option<Missing>, AppError> {
    let Some(run) = crate::enrolment::certifying_run(conn, user_id, course_id, now.date())? else {
        return Ok(None);
    };
    let Some(required) = run.min_attendance else {
        return Ok(None);
    };
    let tally = crate::attendance::tally(conn, run.id, user_id)?;
    // Days are added as the run goes on, so the share is only final from its last day:
    // attending the first day of five is not 100 %.
    let run_has_ended = now.date() >= run.ends_on;
    if run_has_ended && tally.meets(required) {
        return Ok(None);
    }
    Ok(Some(Missing {
        kind: "attendance",
        title: i18n::t_with(
            locale,
            "completion.attendance",
            &[
                ("required", &required.to_string()),
                ("attended", &tally.attended.to_string()),
                ("held", &tally.held.to_string()),
            ],
        ),
        quiz_id: None,
    }))
}
