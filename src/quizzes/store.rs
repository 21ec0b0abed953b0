//! The imported quizzes: their settings and the questions of each language, as the
//! importer (`quizzes::import`) left them. Attempts, reports and certificates read
//! quizzes through here.

use diesel::prelude::*;

use super::format::QuizToml;
use super::gift::Question;
use crate::db::schema::{quiz_versions, quizzes};
use crate::db::DbConnection;
use crate::error::AppError;
use crate::i18n::{self, Locale};

#[derive(Debug, Clone)]
pub struct Quiz {
    pub course_id: String,
    pub id: String,
    pub settings: QuizToml,
}

impl Quiz {
    pub fn title(&self, locale: Locale) -> String {
        i18n::pick_text(&self.settings.title, locale).unwrap_or_else(|| self.id.clone())
    }
}

fn settings_from(json: &str) -> Result<QuizToml, AppError> {
    serde_json::from_str(json).map_err(AppError::internal)
}

/// An active quiz; a quiz removed from the course folder is not found.
pub fn find_quiz(conn: &mut DbConnection, course_id: &str, quiz_id: &str) -> Result<Option<Quiz>, AppError> {
    let row: Option<String> = quizzes::table
        .find((course_id, quiz_id))
        .filter(quizzes::active.eq(true))
        .select(quizzes::settings)
        .first(conn)
        .optional()?;
    row.map(|settings| {
        Ok(Quiz {
            course_id: course_id.to_owned(),
            id: quiz_id.to_owned(),
            settings: settings_from(&settings)?,
        })
    })
    .transpose()
}

/// A course's quizzes in the order they come in it: each after its module, in the
/// modules' order, then the final tests.
pub fn quizzes_in_order(
    conn: &mut DbConnection,
    course_id: &str,
    modules: &[crate::courses::store::ModuleRow],
) -> Result<Vec<Quiz>, AppError> {
    let mut quizzes = quizzes_of(conn, course_id)?;
    quizzes.sort_by_key(|q| match &q.settings.after_module {
        Some(module) => modules.iter().position(|m| &m.id == module).unwrap_or(usize::MAX - 1),
        None => usize::MAX,
    });
    Ok(quizzes)
}

/// A course's active quizzes, final quiz last.
pub fn quizzes_of(conn: &mut DbConnection, course_id: &str) -> Result<Vec<Quiz>, AppError> {
    let rows: Vec<(String, String)> = quizzes::table
        .filter(quizzes::course_id.eq(course_id))
        .filter(quizzes::active.eq(true))
        .order(quizzes::id.asc())
        .select((quizzes::id, quizzes::settings))
        .load(conn)?;
    let mut list = rows
        .into_iter()
        .map(|(id, settings)| {
            Ok(Quiz {
                course_id: course_id.to_owned(),
                id,
                settings: settings_from(&settings)?,
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    list.sort_by_key(|q| q.settings.after_module.is_none());
    Ok(list)
}

/// The languages the quiz's questions are written in.
pub fn languages(conn: &mut DbConnection, quiz: &Quiz) -> Result<Vec<Locale>, AppError> {
    Ok(quiz_versions::table
        .filter(quiz_versions::course_id.eq(&quiz.course_id))
        .filter(quiz_versions::quiz_id.eq(&quiz.id))
        .select(quiz_versions::language)
        .load(conn)?)
}

/// The quiz's questions in one language, in the file's order.
pub fn questions(conn: &mut DbConnection, quiz: &Quiz, language: Locale) -> Result<Vec<Question>, AppError> {
    let json: String = quiz_versions::table
        .find((&quiz.course_id, &quiz.id, language))
        .select(quiz_versions::questions)
        .first(conn)?;
    serde_json::from_str(&json).map_err(AppError::internal)
}
