//! `quizzes/<quiz-id>/quiz.toml` and its `<lang>.gift` files (a contract, like the
//! course format), read and checked for the validator and the importer.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::gift::{self, Question};
use crate::courses::format as course_format;
use crate::courses::load::{self, Diagnostics};
use crate::i18n::Locale;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShowAnswers {
    Never,
    AfterSubmit,
    AfterLastAttempt,
}

fn default_show_answers() -> ShowAnswers {
    ShowAnswers::AfterSubmit
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct QuizToml {
    pub title: BTreeMap<String, String>,
    /// Percent needed to pass.
    pub pass_mark: f64,
    /// Attempts allowed; 0 = unlimited.
    #[serde(default)]
    pub attempts: u32,
    /// 0 = no limit.
    #[serde(default)]
    pub time_limit_minutes: u32,
    /// Questions drawn at random per attempt; 0 = all.
    #[serde(default)]
    pub pick: u32,
    #[serde(default)]
    pub shuffle_answers: bool,
    #[serde(default = "default_show_answers")]
    pub show_answers: ShowAnswers,
    /// The module this quiz follows; absent for the course's final quiz.
    #[serde(default)]
    pub after_module: Option<String>,
    /// The quiz taken before the course whose scores this one's are compared with.
    #[serde(default)]
    pub pre_test: Option<String>,
}

#[derive(Debug, Clone)]
pub struct LoadedQuiz {
    pub id: String,
    pub dir: PathBuf,
    pub settings: QuizToml,
    pub questions: BTreeMap<Locale, Vec<Question>>,
}

/// Reads and checks every quiz of a course.
pub fn load_quizzes(course_dir: &Path, module_ids: &[String], diagnostics: &mut Diagnostics) -> Vec<LoadedQuiz> {
    let dir = course_dir.join("quizzes");
    if !dir.is_dir() {
        return Vec::new();
    }
    let mut quizzes = Vec::new();
    for path in load::sorted_entries(&dir, &dir, diagnostics) {
        let id = load::file_name(&path);
        if id.starts_with('.') {
            continue;
        }
        if !path.is_dir() {
            diagnostics.warning(&path, 1, "not a quiz folder; ignored");
            continue;
        }
        if !course_format::is_valid_id(&id) {
            diagnostics.error(
                &path,
                1,
                format!("quiz id `{id}` must use lower-case Latin letters, digits and hyphens"),
            );
            continue;
        }
        if let Some(quiz) = load_quiz(&path, &id, module_ids, diagnostics) {
            quizzes.push(quiz);
        }
    }
    let ids: Vec<String> = quizzes.iter().map(|q| q.id.clone()).collect();
    for quiz in &quizzes {
        if let Some(pre_test) = &quiz.settings.pre_test {
            if pre_test == &quiz.id || !ids.contains(pre_test) {
                diagnostics.error(
                    &quiz.dir.join("quiz.toml"),
                    1,
                    format!("pre_test `{pre_test}` is not another quiz of this course"),
                );
            }
        }
    }
    quizzes
}

fn load_quiz(dir: &Path, id: &str, module_ids: &[String], diagnostics: &mut Diagnostics) -> Option<LoadedQuiz> {
    let toml_path = dir.join("quiz.toml");
    if !toml_path.is_file() {
        diagnostics.error(&toml_path, 1, "the quiz has no quiz.toml");
        return None;
    }
    let text = load::read_text(&toml_path, diagnostics)?;
    let settings: QuizToml = load::parse_toml(&text, 1, &toml_path, diagnostics)?;
    load::check_language_keys(&settings.title, "title", &text, &toml_path, diagnostics);
    if !(0.0..=100.0).contains(&settings.pass_mark) {
        diagnostics.error(
            &toml_path,
            load::line_starting_with(&text, "pass_mark"),
            "pass_mark must be a percentage from 0 to 100",
        );
    }
    if let Some(module) = &settings.after_module {
        if !module_ids.contains(module) {
            diagnostics.error(
                &toml_path,
                load::line_starting_with(&text, "after_module"),
                format!("after_module `{module}` is not a module of this course"),
            );
        }
    }
    let mut questions = BTreeMap::new();
    for path in load::sorted_entries(dir, dir, diagnostics) {
        let name = load::file_name(&path);
        if name == "quiz.toml" || name.starts_with('.') {
            continue;
        }
        let language = name
            .strip_suffix(".gift")
            .and_then(|stem| Locale::from_code(stem).filter(|l| l.code() == stem));
        let Some(language) = language else {
            diagnostics.error(
                &path,
                1,
                format!(
                    "unknown file `{name}`: questions are in en.gift ru.gift kk.gift ky.gift tg.gift tk.gift uz.gift"
                ),
            );
            continue;
        };
        let Some(source) = load::read_text(&path, diagnostics) else {
            continue;
        };
        let (parsed, errors) = gift::parse(&source);
        for error in errors {
            diagnostics.error(&path, error.line, error.message);
        }
        if parsed.is_empty() {
            diagnostics.error(&path, 1, "the file has no questions");
        }
        for question in &parsed {
            if let Some(message) = cueing_key(question) {
                diagnostics.warning(&path, question.line, message);
            }
        }
        questions.insert(language, parsed);
    }
    if !questions.contains_key(&Locale::En) && !questions.contains_key(&Locale::Ru) {
        diagnostics.error(dir, 1, "the quiz has neither en.gift nor ru.gift");
    }
    check_languages_agree(dir, &questions, diagnostics);
    let counted = questions
        .values()
        .next()
        .map(|q| q.iter().filter(|q| !matches!(q.kind, gift::Kind::Description)).count())
        .unwrap_or(0);
    if usize::try_from(settings.pick).unwrap_or(usize::MAX) > counted {
        diagnostics.error(
            &toml_path,
            load::line_starting_with(&text, "pick"),
            format!("pick = {} but the quiz has {counted} questions", settings.pick),
        );
    }
    Some(LoadedQuiz {
        id: id.to_owned(),
        dir: dir.to_path_buf(),
        settings,
        questions,
    })
}

/// How much longer than every distractor a single-choice key may be before it gives
/// itself away: learners learn that the longest option is right.
const CUEING_RATIO: f64 = 1.5;

/// A warning when a single-choice item's right answer is more than 1.5 times as long
/// as every wrong one.
fn cueing_key(question: &Question) -> Option<String> {
    let gift::Kind::Single { choices } = &question.kind else {
        return None;
    };
    let length = |c: &gift::Choice| c.text.trim().chars().count();
    let key = choices.iter().find(|c| c.weight >= 100.0)?;
    let longest_wrong = choices.iter().filter(|c| c.weight < 100.0).map(length).max()?;
    #[allow(clippy::cast_precision_loss)]
    let cued = length(key) as f64 > CUEING_RATIO * longest_wrong as f64;
    cued.then(|| {
        format!(
            "question `{}`: the right answer ({} characters) is more than {CUEING_RATIO} times as long as every wrong one (at most {longest_wrong}): learners learn that the longest option is right; make the options comparable",
            question.id,
            length(key)
        )
    })
}

/// The same question ids, types, answer counts, right answers and weights in every
/// language: translations change words, never the key.
fn check_languages_agree(dir: &Path, questions: &BTreeMap<Locale, Vec<Question>>, diagnostics: &mut Diagnostics) {
    let Some((reference_language, reference)) = questions
        .get_key_value(&Locale::En)
        .or_else(|| questions.get_key_value(&Locale::Ru))
    else {
        return;
    };
    for (language, list) in questions {
        if language == reference_language {
            continue;
        }
        let path = dir.join(format!("{}.gift", language.code()));
        for question in reference {
            match list.iter().find(|q| q.id == question.id) {
                None => diagnostics.error(
                    &path,
                    1,
                    format!(
                        "question `{}` of {}.gift is missing",
                        question.id,
                        reference_language.code()
                    ),
                ),
                Some(own) if gift::answer_key(own) != gift::answer_key(question) => diagnostics.error(
                    &path,
                    own.line,
                    format!(
                        "question `{}` differs from {}.gift in its type, answers or weights ({} here, {} there)",
                        own.id,
                        reference_language.code(),
                        gift::answer_key(own),
                        gift::answer_key(question)
                    ),
                ),
                Some(_) => {}
            }
        }
        for own in list.iter().filter(|q| !reference.iter().any(|r| r.id == q.id)) {
            diagnostics.error(
                &path,
                own.line,
                format!("question `{}` is not in {}.gift", own.id, reference_language.code()),
            );
        }
    }
}
