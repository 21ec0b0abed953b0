//! Whether a learner has completed a course, computed on the server whenever one of
//! its inputs changes (a module marked complete, a quiz passed, an essay graded), and
//! stored with its time. The rule comes from `[completion]` in `course.toml`; without
//! it, every module must be complete and every quiz passed (pre-tests excepted). A run
//! may also require a share of its in-person days attended (`min_attendance`).

use crate::accounts::model::UserId;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::courses::store as course_store;
use crate::db::schema::{course_completions, quiz_attempts};
use crate::db::DbConnection;
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
}

#[derive(Debug, Clone, Serialize)]
pub struct Completion {
    pub complete: bool,
    pub completed_at: Option<NaiveDateTime>,
    pub missing: Vec<Missing>,
}

fn rule_of(settings: &str) -> CompletionRule {
    serde_json::from_str::<serde_json::Value>(settings)
        .ok()
        .and_then(|v| v.get("completion").cloned())
        .filter(|v| !v.is_null())
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default()
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

/// Computes the learner's completion of a course from its rule.
pub fn evaluate(
    conn: &mut DbConnection,
    user_id: UserId,
    course_id: &str,
    locale: Locale,
) -> Result<Completion, AppError> {
    let course = course_store::find_course(conn, course_id)?.ok_or(AppError::NotFound)?;
    let rule = rule_of(&course.settings);
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
        })
        .collect();
    let quizzes = quiz_store::quizzes_of(conn, course_id)?;
    let pre_tests: Vec<String> = quizzes.iter().filter_map(|q| q.settings.pre_test.clone()).collect();
    let required_quizzes: Vec<String> = rule.quizzes.clone().unwrap_or_else(|| {
        quizzes
            .iter()
            .map(|q| q.id.clone())
            .filter(|id| !pre_tests.contains(id))
            .collect()
    });
    let mut best_scores = Vec::new();
    for quiz_id in &required_quizzes {
        match best_passed(conn, user_id, course_id, quiz_id)? {
            Some(score) => best_scores.push(score),
            None => missing.push(Missing {
                kind: "quiz",
                title: quizzes
                    .iter()
                    .find(|q| &q.id == quiz_id)
                    .map(|q| q.title(locale))
                    .unwrap_or_else(|| quiz_id.clone()),
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
            });
        }
    }
    if let Some(attendance) = missing_attendance(conn, user_id, course_id, locale)? {
        missing.push(attendance);
    }
    let completed_at: Option<NaiveDateTime> = course_completions::table
        .find((user_id, course_id))
        .select(course_completions::completed_at)
        .first(conn)
        .optional()?;
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
    locale: Locale,
) -> Result<Option<Missing>, AppError> {
    let Some(run) = crate::enrolment::latest_admitted_run(conn, user_id, course_id)? else {
        return Ok(None);
    };
    let Some(required) = run.min_attendance else {
        return Ok(None);
    };
    let tally = crate::attendance::tally(conn, run.id, user_id)?;
    // Days are added as the run goes on, so the share is only final from its last day:
    // attending the first day of five is not 100 %.
    let run_has_ended = chrono::Utc::now().date_naive() >= run.ends_on;
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
    }))
}
