//! Loading a course's quizzes into the database, with question texts rendered once.

use diesel::prelude::*;
use sha2::{Digest, Sha256};

use super::format::LoadedQuiz;
use super::gift::{Question, TextFormat};
use crate::courses::markdown::{self, LinkContext};
use crate::db::schema::{quiz_versions, quizzes};
use crate::db::DbConnection;
use crate::error::AppError;
use crate::i18n::Locale;

/// A question's text as safe HTML: Markdown rendered and sanitised like module text,
/// HTML sanitised, plain text escaped with its line breaks kept.
pub fn render_text(format: TextFormat, text: &str, language: Locale, course_id: &str) -> String {
    match format {
        TextFormat::Markdown => {
            let folders = Vec::new();
            let links = LinkContext {
                course_id,
                module_id: "",
                module_folders: &folders,
            };
            markdown::render(text, language, &[], &links).html
        }
        TextFormat::Html => markdown::sanitize(text),
        TextFormat::Plain | TextFormat::Moodle => {
            format!("<p>{}</p>", crate::web::render::escape_html(text).replace('\n', "<br>"))
        }
    }
}

fn with_html(questions: &[Question], language: Locale, course_id: &str) -> Vec<Question> {
    questions
        .iter()
        .map(|q| Question {
            html: render_text(q.format, &q.text, language, course_id),
            ..q.clone()
        })
        .collect()
}

/// Replaces a course's quizzes with the loaded ones; quizzes no longer in the folder
/// are hidden, their attempts kept.
pub fn import_quizzes(conn: &mut DbConnection, course_id: &str, loaded: &[LoadedQuiz]) -> Result<(), AppError> {
    diesel::update(quizzes::table.filter(quizzes::course_id.eq(course_id)))
        .set(quizzes::active.eq(false))
        .execute(conn)?;
    for quiz in loaded {
        let settings = serde_json::to_string(&quiz.settings).map_err(AppError::internal)?;
        let titles = serde_json::to_string(&quiz.settings.title).map_err(AppError::internal)?;
        let rendered: Vec<(Locale, String)> = quiz
            .questions
            .iter()
            .map(|(language, questions)| {
                let json = serde_json::to_string(&with_html(questions, *language, course_id)).unwrap_or_default();
                (*language, json)
            })
            .collect();
        let mut hasher = Sha256::new();
        hasher.update(settings.as_bytes());
        for (language, json) in &rendered {
            hasher.update(language.code().as_bytes());
            hasher.update(json.as_bytes());
        }
        let hash: String = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
        let key = quizzes::table.find((course_id, &quiz.id));
        let updated = diesel::update(key)
            .set((
                quizzes::settings.eq(&settings),
                quizzes::titles.eq(&titles),
                quizzes::content_hash.eq(&hash),
                quizzes::active.eq(true),
            ))
            .execute(conn)?;
        if updated == 0 {
            diesel::insert_into(quizzes::table)
                .values((
                    quizzes::course_id.eq(course_id),
                    quizzes::id.eq(&quiz.id),
                    quizzes::settings.eq(&settings),
                    quizzes::titles.eq(&titles),
                    quizzes::content_hash.eq(&hash),
                    quizzes::active.eq(true),
                ))
                .execute(conn)?;
        }
        diesel::delete(
            quiz_versions::table
                .filter(quiz_versions::course_id.eq(course_id))
                .filter(quiz_versions::quiz_id.eq(&quiz.id)),
        )
        .execute(conn)?;
        for (language, json) in &rendered {
            diesel::insert_into(quiz_versions::table)
                .values((
                    quiz_versions::course_id.eq(course_id),
                    quiz_versions::quiz_id.eq(&quiz.id),
                    quiz_versions::language.eq(*language),
                    quiz_versions::questions.eq(json),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}
