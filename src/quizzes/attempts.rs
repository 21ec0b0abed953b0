//! Attempts: started with a snapshot of the drawn questions, every response saved as
//! it is given, the time limit enforced on the server, graded exactly once.

use crate::accounts::model::UserId;
use std::collections::BTreeMap;

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::format::{QuizToml, ShowAnswers};
use super::gift::{Kind, Question};
use super::grading::{self, Grade, Response};
use crate::accounts::model::User;
use crate::courses::store as course_store;
use crate::db::schema::{attempt_responses, quiz_attempts, quiz_versions, quizzes};
use crate::db::{self, DbConnection};
use crate::error::AppError;
use crate::i18n::{self, Locale};

/// Advisory-lock namespace for starting attempts on PostgreSQL (one lock per user),
/// so two starts at once cannot both pass the attempt limit.
const START_LOCK_BASE: i64 = 0x6269_6c69_6d01_0000;

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
            settings: serde_json::from_str(&settings).map_err(AppError::internal)?,
        })
    })
    .transpose()
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
                settings: serde_json::from_str(&settings).map_err(AppError::internal)?,
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    list.sort_by_key(|q| q.settings.after_module.is_none());
    Ok(list)
}

fn quiz_languages(conn: &mut DbConnection, quiz: &Quiz) -> Result<Vec<Locale>, AppError> {
    let codes: Vec<String> = quiz_versions::table
        .filter(quiz_versions::course_id.eq(&quiz.course_id))
        .filter(quiz_versions::quiz_id.eq(&quiz.id))
        .select(quiz_versions::language)
        .load(conn)?;
    Ok(codes.iter().filter_map(|c| Locale::from_code(c)).collect())
}

fn load_questions(conn: &mut DbConnection, quiz: &Quiz, language: Locale) -> Result<Vec<Question>, AppError> {
    let json: String = quiz_versions::table
        .find((&quiz.course_id, &quiz.id, language.code()))
        .select(quiz_versions::questions)
        .first(conn)?;
    serde_json::from_str(&json).map_err(AppError::internal)
}

/// A question as drawn for one attempt, with the order its options are shown in.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DrawnQuestion {
    pub question: Question,
    /// Display order of choice options (indices into the question's options).
    #[serde(default)]
    pub order: Vec<usize>,
    /// Display order of the right-hand side of matching pairs.
    #[serde(default)]
    pub right_order: Vec<usize>,
    /// The ids learners see for the options (choice questions) or the right-hand
    /// answers (matching), random per attempt: ids that follow the file's order would
    /// give away the answer written first, or which answer belongs to which pair.
    #[serde(default)]
    pub shown_ids: Vec<String>,
}

impl DrawnQuestion {
    /// The id shown for the option or right-hand answer at `index` of the file.
    pub fn shown_id(&self, index: usize) -> Option<&str> {
        self.shown_ids.get(index).map(String::as_str)
    }

    fn index_of(&self, shown: &str) -> Option<usize> {
        self.shown_ids.iter().position(|id| id == shown.trim())
    }

    /// A response with the ids the learner saw turned into the question's own
    /// (`"1"`, `"r2"` …); `None` when it names an id this attempt never showed.
    pub fn canonical(&self, response: &Response) -> Option<Response> {
        match (&self.question.kind, response) {
            (Kind::Single { .. }, Response::Choice { choice }) => Some(Response::Choice {
                choice: grading::option_id(self.index_of(choice)?),
            }),
            (Kind::Multiple { .. }, Response::Choices { choices }) => Some(Response::Choices {
                choices: choices
                    .iter()
                    .map(|c| self.index_of(c).map(grading::option_id))
                    .collect::<Option<Vec<_>>>()?,
            }),
            (Kind::Matching { .. }, Response::Pairs { pairs }) => Some(Response::Pairs {
                pairs: pairs
                    .iter()
                    .map(|(left, right)| self.index_of(right).map(|i| (left.clone(), grading::right_id(i))))
                    .collect::<Option<BTreeMap<_, _>>>()?,
            }),
            _ => Some(response.clone()),
        }
    }

    /// The ids the learner saw, for a stored response (to show it again).
    pub fn shown(&self, response: &Response) -> Response {
        let shown_of = |canonical: &str, prefix: &str| -> String {
            canonical
                .strip_prefix(prefix)
                .and_then(|n| n.parse::<usize>().ok())
                .and_then(|n| n.checked_sub(1))
                .and_then(|i| self.shown_id(i))
                .unwrap_or(canonical)
                .to_owned()
        };
        match (&self.question.kind, response) {
            (Kind::Single { .. }, Response::Choice { choice }) => Response::Choice {
                choice: shown_of(choice, ""),
            },
            (Kind::Multiple { .. }, Response::Choices { choices }) => Response::Choices {
                choices: choices.iter().map(|c| shown_of(c, "")).collect(),
            },
            (Kind::Matching { .. }, Response::Pairs { pairs }) => Response::Pairs {
                pairs: pairs.iter().map(|(l, r)| (l.clone(), shown_of(r, "r"))).collect(),
            },
            _ => response.clone(),
        }
    }
}

/// Short random ids, distinct within one question.
fn random_ids(count: usize) -> Vec<String> {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    let mut ids: Vec<String> = Vec::with_capacity(count);
    while ids.len() < count {
        // A letter first, so an id is never mistaken for a number.
        let id = format!("o{:06x}", rng.gen_range(0..0x100_0000));
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

/// The quiz settings an attempt keeps, so a later import cannot change its rules.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AttemptSettings {
    pub pass_mark: f64,
    pub show_answers: ShowAnswers,
    pub attempts: u32,
    pub after_module: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Attempt {
    pub id: i64,
    pub user_id: UserId,
    pub course_id: String,
    pub quiz_id: String,
    pub language: Locale,
    pub is_preview: bool,
    pub questions: Vec<DrawnQuestion>,
    pub settings: AttemptSettings,
    pub started_at: NaiveDateTime,
    pub deadline: Option<NaiveDateTime>,
    pub submitted_at: Option<NaiveDateTime>,
    pub percent: Option<f64>,
    pub passed: Option<bool>,
    pub pending_manual: bool,
}

/// An attempt as stored.
#[derive(Queryable, Selectable)]
#[diesel(table_name = quiz_attempts)]
struct AttemptRecord {
    id: i64,
    user_id: UserId,
    course_id: String,
    quiz_id: String,
    language: String,
    is_preview: bool,
    questions: String,
    settings: String,
    started_at: NaiveDateTime,
    deadline: Option<NaiveDateTime>,
    submitted_at: Option<NaiveDateTime>,
    percent: Option<f64>,
    passed: Option<bool>,
    pending_manual: bool,
}

fn attempt_from(row: AttemptRecord) -> Result<Attempt, AppError> {
    let AttemptRecord {
        id,
        user_id,
        course_id,
        quiz_id,
        language,
        is_preview,
        questions,
        settings,
        started_at,
        deadline,
        submitted_at,
        percent,
        passed,
        pending_manual,
    } = row;
    Ok(Attempt {
        id,
        user_id,
        course_id,
        quiz_id,
        language: Locale::from_code(&language).unwrap_or(Locale::En),
        is_preview,
        questions: serde_json::from_str(&questions).map_err(AppError::internal)?,
        settings: serde_json::from_str(&settings).map_err(AppError::internal)?,
        started_at,
        deadline,
        submitted_at,
        percent,
        passed,
        pending_manual,
    })
}

/// The user's attempt; another user's attempt is `NotFound`, as if it did not exist.
pub fn find_attempt(conn: &mut DbConnection, user_id: UserId, attempt_id: i64) -> Result<Attempt, AppError> {
    let row: AttemptRecord = quiz_attempts::table
        .find(attempt_id)
        .filter(quiz_attempts::user_id.eq(user_id))
        .select(AttemptRecord::as_select())
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)?;
    attempt_from(row)
}

/// Any user's attempt, for trainers.
pub fn find_attempt_any(conn: &mut DbConnection, attempt_id: i64) -> Result<Attempt, AppError> {
    let row: AttemptRecord = quiz_attempts::table
        .find(attempt_id)
        .select(AttemptRecord::as_select())
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)?;
    attempt_from(row)
}

pub fn attempts_of(
    conn: &mut DbConnection,
    user_id: UserId,
    course_id: &str,
    quiz_id: &str,
) -> Result<Vec<Attempt>, AppError> {
    let rows: Vec<AttemptRecord> = quiz_attempts::table
        .filter(quiz_attempts::user_id.eq(user_id))
        .filter(quiz_attempts::course_id.eq(course_id))
        .filter(quiz_attempts::quiz_id.eq(quiz_id))
        .order(quiz_attempts::id.asc())
        .select(AttemptRecord::as_select())
        .load(conn)?;
    rows.into_iter().map(attempt_from).collect()
}

impl Attempt {
    pub fn is_open(&self) -> bool {
        self.submitted_at.is_none()
    }

    pub fn is_expired(&self, now: NaiveDateTime) -> bool {
        self.deadline.is_some_and(|deadline| now >= deadline)
    }

    pub fn question(&self, id: &str) -> Option<&DrawnQuestion> {
        self.questions.iter().find(|q| q.question.id == id)
    }
}

fn shuffled(count: usize, shuffle: bool) -> Vec<usize> {
    let mut order: Vec<usize> = (0..count).collect();
    if shuffle {
        order.shuffle(&mut rand::thread_rng());
    }
    order
}

/// Draws the questions of a new attempt: `pick` at random (in the file's order) or
/// all, with options shuffled where the quiz says so. Matching answers are always
/// shuffled, or their order would give the pairs away.
fn draw(questions: Vec<Question>, settings: &QuizToml) -> Vec<DrawnQuestion> {
    let pick = usize::try_from(settings.pick).unwrap_or(usize::MAX);
    let chosen: Vec<Question> = if pick == 0 {
        questions
    } else {
        let mut candidates: Vec<usize> = questions
            .iter()
            .enumerate()
            .filter(|(_, q)| !matches!(q.kind, Kind::Description))
            .map(|(i, _)| i)
            .collect();
        candidates.shuffle(&mut rand::thread_rng());
        candidates.truncate(pick);
        candidates.sort_unstable();
        candidates
            .into_iter()
            .filter_map(|i| questions.get(i).cloned())
            .collect()
    };
    chosen
        .into_iter()
        .map(|question| {
            let (order, right_order, shown_ids) = match &question.kind {
                Kind::Single { choices } | Kind::Multiple { choices } => (
                    shuffled(choices.len(), settings.shuffle_answers),
                    Vec::new(),
                    random_ids(choices.len()),
                ),
                Kind::Matching { pairs } => (Vec::new(), shuffled(pairs.len(), true), random_ids(pairs.len())),
                _ => (Vec::new(), Vec::new(), Vec::new()),
            };
            DrawnQuestion {
                question,
                order,
                right_order,
                shown_ids,
            }
        })
        .collect()
}

fn lock_user_on_postgres(conn: &mut DbConnection, user_id: UserId) -> Result<(), AppError> {
    if matches!(conn, DbConnection::Postgresql(_)) {
        diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
            .bind::<diesel::sql_types::BigInt, _>(START_LOCK_BASE ^ user_id.get())
            .execute(conn)?;
    }
    Ok(())
}

fn counted_attempts(conn: &mut DbConnection, user_id: UserId, quiz: &Quiz) -> Result<i64, AppError> {
    Ok(quiz_attempts::table
        .filter(quiz_attempts::user_id.eq(user_id))
        .filter(quiz_attempts::course_id.eq(&quiz.course_id))
        .filter(quiz_attempts::quiz_id.eq(&quiz.id))
        .filter(quiz_attempts::is_preview.eq(false))
        .count()
        .get_result(conn)?)
}

/// Starts an attempt, or returns the open one (`false`: not new). Staff take quizzes
/// as previews, graded like any other attempt and not limited in number.
pub fn start(
    conn: &mut DbConnection,
    user: &User,
    course_id: &str,
    quiz_id: &str,
    locale: Locale,
    now: NaiveDateTime,
) -> Result<(Attempt, bool), AppError> {
    let quiz = find_quiz(conn, course_id, quiz_id)?.ok_or(AppError::NotFound)?;
    if !crate::enrolment::may_study(conn, user, course_id)? {
        return Err(AppError::Forbidden);
    }
    let is_preview = user.role.is_staff();
    let id = db::write_transaction(conn, |conn| -> Result<Result<i64, i64>, AppError> {
        lock_user_on_postgres(conn, user.id)?;
        let open: Option<(i64, Option<NaiveDateTime>)> = quiz_attempts::table
            .filter(quiz_attempts::user_id.eq(user.id))
            .filter(quiz_attempts::course_id.eq(course_id))
            .filter(quiz_attempts::quiz_id.eq(quiz_id))
            .filter(quiz_attempts::submitted_at.is_null())
            .order(quiz_attempts::id.desc())
            .select((quiz_attempts::id, quiz_attempts::deadline))
            .first(conn)
            .optional()?;
        if let Some((id, deadline)) = open {
            if deadline.is_none_or(|d| now < d) {
                return Ok(Err(id));
            }
        }
        if !is_preview
            && quiz.settings.attempts > 0
            && counted_attempts(conn, user.id, &quiz)? >= i64::from(quiz.settings.attempts)
        {
            return Err(AppError::Conflict("quizzes.no_attempts_left"));
        }
        let languages = quiz_languages(conn, &quiz)?;
        let language = i18n::best_available(&languages, locale).ok_or(AppError::NotFound)?;
        let drawn = draw(load_questions(conn, &quiz, language)?, &quiz.settings);
        let settings = AttemptSettings {
            pass_mark: quiz.settings.pass_mark,
            show_answers: quiz.settings.show_answers,
            attempts: quiz.settings.attempts,
            after_module: quiz.settings.after_module.clone(),
        };
        let deadline = (quiz.settings.time_limit_minutes > 0)
            .then(|| now + Duration::minutes(i64::from(quiz.settings.time_limit_minutes)));
        let id: i64 = diesel::insert_into(quiz_attempts::table)
            .values((
                quiz_attempts::user_id.eq(user.id),
                quiz_attempts::course_id.eq(course_id),
                quiz_attempts::quiz_id.eq(quiz_id),
                quiz_attempts::language.eq(language.code()),
                quiz_attempts::is_preview.eq(is_preview),
                quiz_attempts::questions.eq(serde_json::to_string(&drawn).map_err(AppError::internal)?),
                quiz_attempts::settings.eq(serde_json::to_string(&settings).map_err(AppError::internal)?),
                quiz_attempts::started_at.eq(now),
                quiz_attempts::deadline.eq(deadline),
                quiz_attempts::pending_manual.eq(false),
                quiz_attempts::run_id
                    .eq(crate::enrolment::latest_admitted_run(conn, user.id, course_id)?.map(|run| run.id)),
            ))
            .returning(quiz_attempts::id)
            .get_result(conn)?;
        Ok(Ok(id))
    })?;
    match id {
        Ok(id) => Ok((find_attempt(conn, user.id, id)?, true)),
        Err(open) => Ok((find_attempt(conn, user.id, open)?, false)),
    }
}

/// The responses saved so far, by question id.
pub fn responses(conn: &mut DbConnection, attempt_id: i64) -> Result<BTreeMap<String, Response>, AppError> {
    let rows: Vec<(String, Option<String>)> = attempt_responses::table
        .filter(attempt_responses::attempt_id.eq(attempt_id))
        .select((attempt_responses::question_id, attempt_responses::response))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, json)| json.and_then(|j| serde_json::from_str(&j).ok()).map(|r| (id, r)))
        .collect())
}

/// Saves one response. Refused once the attempt is submitted or its time is up (an
/// expired attempt is then submitted with what it has).
pub fn save_response(
    conn: &mut DbConnection,
    user_id: UserId,
    attempt_id: i64,
    question_id: &str,
    response: &Response,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let attempt = find_attempt(conn, user_id, attempt_id)?;
    if !attempt.is_open() {
        return Err(AppError::Conflict("quizzes.attempt_closed"));
    }
    if attempt.is_expired(now) {
        submit(conn, user_id, attempt_id, now)?;
        return Err(AppError::Conflict("quizzes.time_is_up"));
    }
    let drawn = attempt.question(question_id).ok_or(AppError::NotFound)?;
    let response = drawn
        .canonical(response)
        .ok_or(AppError::BadRequest("quizzes.response_invalid"))?;
    grading::check_shape(&drawn.question, &response).map_err(AppError::BadRequest)?;
    let json = serde_json::to_string(&response).map_err(AppError::internal)?;
    db::write_transaction(conn, |conn| -> Result<(), AppError> {
        // Checked again inside the transaction: a submit may have won the race.
        let still_open: i64 = quiz_attempts::table
            .find(attempt_id)
            .filter(quiz_attempts::submitted_at.is_null())
            .count()
            .get_result(conn)?;
        if still_open == 0 {
            return Err(AppError::Conflict("quizzes.attempt_closed"));
        }
        let key = attempt_responses::table.find((attempt_id, question_id));
        let updated = diesel::update(key)
            .set((
                attempt_responses::response.eq(&json),
                attempt_responses::answered_at.eq(now),
            ))
            .execute(conn)?;
        if updated == 0 {
            diesel::insert_into(attempt_responses::table)
                .values((
                    attempt_responses::attempt_id.eq(attempt_id),
                    attempt_responses::question_id.eq(question_id),
                    attempt_responses::response.eq(&json),
                    attempt_responses::answered_at.eq(now),
                    attempt_responses::pending_manual.eq(false),
                ))
                .execute(conn)?;
        }
        Ok(())
    })
}

/// Removes an answer the learner has emptied, while the attempt is open.
pub fn clear_response(
    conn: &mut DbConnection,
    user_id: UserId,
    attempt_id: i64,
    question_id: &str,
) -> Result<(), AppError> {
    let attempt = find_attempt(conn, user_id, attempt_id)?;
    if !attempt.is_open() {
        return Err(AppError::Conflict("quizzes.attempt_closed"));
    }
    diesel::delete(attempt_responses::table.find((attempt_id, question_id))).execute(conn)?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct QuestionScore {
    pub id: String,
    pub score: f64,
    pub max_score: f64,
    /// An essay not graded yet.
    #[serde(skip_serializing)]
    pub pending: bool,
}

/// The result of a submitted attempt (the API's contract).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AttemptResult {
    pub score: f64,
    pub max_score: f64,
    pub percent: f64,
    pub passed: bool,
    pub pending_manual: bool,
    pub questions: Vec<QuestionScore>,
}

fn round(value: f64) -> f64 {
    (value * 10_000.0).round() / 10_000.0
}

/// Reads a submitted attempt's result as stored.
pub fn stored_result(conn: &mut DbConnection, attempt: &Attempt) -> Result<AttemptResult, AppError> {
    let rows: Vec<(String, Option<f64>, Option<f64>, bool)> = attempt_responses::table
        .filter(attempt_responses::attempt_id.eq(attempt.id))
        .select((
            attempt_responses::question_id,
            attempt_responses::score,
            attempt_responses::max_score,
            attempt_responses::pending_manual,
        ))
        .load(conn)?;
    let questions: Vec<QuestionScore> = attempt
        .questions
        .iter()
        .map(|drawn| {
            let row = rows.iter().find(|r| r.0 == drawn.question.id);
            QuestionScore {
                id: drawn.question.id.clone(),
                score: round(row.and_then(|r| r.1).unwrap_or(0.0)),
                max_score: row
                    .and_then(|r| r.2)
                    .unwrap_or_else(|| grading::grade(&drawn.question, None).max_score),
                pending: row.is_some_and(|r| r.3),
            }
        })
        .collect();
    let score: f64 = questions.iter().map(|q| q.score).sum();
    let max_score: f64 = questions.iter().map(|q| q.max_score).sum();
    let percent = if max_score > 0.0 {
        score / max_score * 100.0
    } else {
        0.0
    };
    Ok(AttemptResult {
        score: round(score),
        max_score: round(max_score),
        percent: round(percent),
        passed: percent + 1e-9 >= attempt.settings.pass_mark,
        pending_manual: rows.iter().any(|r| r.3),
        questions,
    })
}

/// Writes the attempt's totals from its per-question scores, and counts a pass toward
/// the module the quiz follows.
fn store_totals(conn: &mut DbConnection, attempt: &Attempt, now: NaiveDateTime) -> Result<AttemptResult, AppError> {
    let result = stored_result(conn, attempt)?;
    diesel::update(quiz_attempts::table.find(attempt.id))
        .set((
            quiz_attempts::score.eq(result.score),
            quiz_attempts::max_score.eq(result.max_score),
            quiz_attempts::percent.eq(result.percent),
            quiz_attempts::passed.eq(result.passed),
            quiz_attempts::pending_manual.eq(result.pending_manual),
        ))
        .execute(conn)?;
    if result.passed {
        if let Some(module) = &attempt.settings.after_module {
            course_store::mark_complete(conn, attempt.user_id, &attempt.course_id, module, now)?;
        }
        crate::certificates::refresh(conn, attempt.user_id, &attempt.course_id, now)?;
    }
    Ok(result)
}

/// Submits and grades an attempt, exactly once: a second submit, or two at the same
/// time, get the stored result of the first.
pub fn submit(
    conn: &mut DbConnection,
    user_id: UserId,
    attempt_id: i64,
    now: NaiveDateTime,
) -> Result<AttemptResult, AppError> {
    db::write_transaction(conn, |conn| {
        let attempt = find_attempt(conn, user_id, attempt_id)?;
        if attempt.submitted_at.is_some() {
            return stored_result(conn, &attempt);
        }
        // An attempt whose time ran out counts as submitted at its deadline.
        let submitted_at = attempt.deadline.map(|d| d.min(now)).unwrap_or(now);
        let claimed = diesel::update(
            quiz_attempts::table
                .find(attempt_id)
                .filter(quiz_attempts::submitted_at.is_null()),
        )
        .set(quiz_attempts::submitted_at.eq(submitted_at))
        .execute(conn)?;
        if claimed == 0 {
            let attempt = find_attempt(conn, user_id, attempt_id)?;
            return stored_result(conn, &attempt);
        }
        let given = responses(conn, attempt_id)?;
        for drawn in &attempt.questions {
            let grade: Grade = grading::grade(&drawn.question, given.get(&drawn.question.id));
            let key = attempt_responses::table.find((attempt_id, &drawn.question.id));
            let updated = diesel::update(key)
                .set((
                    attempt_responses::score.eq(grade.score),
                    attempt_responses::max_score.eq(grade.max_score),
                    attempt_responses::pending_manual.eq(grade.pending_manual),
                ))
                .execute(conn)?;
            if updated == 0 {
                diesel::insert_into(attempt_responses::table)
                    .values((
                        attempt_responses::attempt_id.eq(attempt_id),
                        attempt_responses::question_id.eq(&drawn.question.id),
                        attempt_responses::score.eq(grade.score),
                        attempt_responses::max_score.eq(grade.max_score),
                        attempt_responses::pending_manual.eq(grade.pending_manual),
                    ))
                    .execute(conn)?;
            }
        }
        store_totals(conn, &attempt, now)
    })
}

/// Submits the attempt if its time is up; returns it as it now stands.
pub fn close_if_expired(conn: &mut DbConnection, attempt: Attempt, now: NaiveDateTime) -> Result<Attempt, AppError> {
    if attempt.is_open() && attempt.is_expired(now) {
        submit(conn, attempt.user_id, attempt.id, now)?;
        return find_attempt(conn, attempt.user_id, attempt.id);
    }
    Ok(attempt)
}

/// Whether the correct answers may be shown for this attempt now.
pub fn answers_visible(conn: &mut DbConnection, attempt: &Attempt) -> Result<bool, AppError> {
    if attempt.is_open() {
        return Ok(false);
    }
    Ok(match attempt.settings.show_answers {
        ShowAnswers::Never => false,
        ShowAnswers::AfterSubmit => true,
        ShowAnswers::AfterLastAttempt => {
            attempt.is_preview
                || (attempt.settings.attempts > 0 && {
                    let used: i64 = quiz_attempts::table
                        .filter(quiz_attempts::user_id.eq(attempt.user_id))
                        .filter(quiz_attempts::course_id.eq(&attempt.course_id))
                        .filter(quiz_attempts::quiz_id.eq(&attempt.quiz_id))
                        .filter(quiz_attempts::is_preview.eq(false))
                        .filter(quiz_attempts::submitted_at.is_not_null())
                        .count()
                        .get_result(conn)?;
                    used >= i64::from(attempt.settings.attempts)
                })
        }
    })
}

/// A trainer's score (0–100 % of the question) and comment for an essay. When the last
/// essay of an attempt is graded, its result is final.
pub fn grade_essay(
    conn: &mut DbConnection,
    grader: &User,
    attempt_id: i64,
    question_id: &str,
    percent: f64,
    comment: &str,
    now: NaiveDateTime,
) -> Result<AttemptResult, AppError> {
    if !(0.0..=100.0).contains(&percent) || !percent.is_finite() {
        return Err(AppError::BadRequest("quizzes.essay_score_invalid"));
    }
    db::write_transaction(conn, |conn| {
        let attempt = find_attempt_any(conn, attempt_id)?;
        let drawn = attempt.question(question_id).ok_or(AppError::NotFound)?;
        if !matches!(drawn.question.kind, Kind::Essay) || attempt.is_open() {
            return Err(AppError::NotFound);
        }
        let updated = diesel::update(attempt_responses::table.find((attempt_id, question_id)))
            .set((
                attempt_responses::score.eq(percent / 100.0),
                attempt_responses::pending_manual.eq(false),
                attempt_responses::grader_id.eq(grader.id),
                attempt_responses::comment.eq(Some(comment.trim()).filter(|c| !c.is_empty())),
                attempt_responses::graded_at.eq(now),
            ))
            .execute(conn)?;
        if updated == 0 {
            return Err(AppError::NotFound);
        }
        store_totals(conn, &attempt, now)
    })
}

/// An essay waiting for a trainer.
#[derive(Debug, Clone, Serialize)]
pub struct PendingEssay {
    pub attempt_id: i64,
    pub question_id: String,
    pub course_id: String,
    pub quiz_id: String,
    pub user_id: UserId,
    pub submitted_at: NaiveDateTime,
}

pub fn pending_essays(conn: &mut DbConnection) -> Result<Vec<PendingEssay>, AppError> {
    let rows: Vec<(i64, String, String, String, UserId, Option<NaiveDateTime>)> = attempt_responses::table
        .inner_join(quiz_attempts::table)
        .filter(attempt_responses::pending_manual.eq(true))
        .filter(quiz_attempts::submitted_at.is_not_null())
        .order(quiz_attempts::submitted_at.asc())
        .select((
            attempt_responses::attempt_id,
            attempt_responses::question_id,
            quiz_attempts::course_id,
            quiz_attempts::quiz_id,
            quiz_attempts::user_id,
            quiz_attempts::submitted_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(attempt_id, question_id, course_id, quiz_id, user_id, submitted_at)| {
            Some(PendingEssay {
                attempt_id,
                question_id,
                course_id,
                quiz_id,
                user_id,
                submitted_at: submitted_at?,
            })
        })
        .collect())
}

/// A trainer's comment and score on a graded essay, for the review page.
pub fn essay_feedback(conn: &mut DbConnection, attempt_id: i64) -> Result<BTreeMap<String, String>, AppError> {
    let rows: Vec<(String, Option<String>)> = attempt_responses::table
        .filter(attempt_responses::attempt_id.eq(attempt_id))
        .filter(attempt_responses::comment.is_not_null())
        .select((attempt_responses::question_id, attempt_responses::comment))
        .load(conn)?;
    Ok(rows.into_iter().filter_map(|(id, c)| c.map(|c| (id, c))).collect())
}
