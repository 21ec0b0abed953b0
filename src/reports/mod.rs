//! Figures for institutions and the programme: per run, per country, professional
//! category and programme phase, knowledge gain between a pre-test and its final quiz,
//! learners who have stalled, and the indicators a capacity-building programme reports
//! to its donors: national trainers certified, national courses delivered, people
//! trained by country and category with the share of women. Every figure is counted by the database in grouped
//! queries over indexed columns; only the grouped rows come back.
//!
//! [`privacy`] decides which of these figures a reader may see, [`report`] puts the
//! visible ones together with names in the reader's language, [`tables`] and [`chart`]
//! lay them out, [`export`] writes them as files, and [`web`] serves the page.

pub mod chart;
pub mod export;
pub mod privacy;
pub mod report;
pub mod tables;
pub mod web;

use crate::accounts::model::UserId;
use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::dsl::{avg, case_when, count, count_star, sum};
use diesel::prelude::*;
use serde::Serialize;

use crate::accounts::model::{Gender, Role, User};
use crate::db::schema::{certificates, course_runs, enrolments, quiz_attempts, users};
use crate::db::{DbConnection, DbPool};
use crate::enrolment::{Phase, RunRow, Status, ADMITTED};
use crate::error::AppError;
use crate::quizzes::store as quiz_store;

/// Every figure a report shows, for the runs one reader may see.
pub struct Figures {
    pub runs: Vec<(RunRow, RunFigures)>,
    pub groups: Vec<GroupFigures>,
    pub gains: Vec<GainFigures>,
    pub trainers: Vec<(String, i64)>,
    pub trained: Vec<TrainedFigures>,
    /// The people behind each course's score means, over all its runs in the report.
    pub course_takers: BTreeMap<String, Takers>,
    /// The first stalled learners (none for observers) and how many there are.
    pub stalled: Vec<StalledLearner>,
    pub stalled_total: i64,
}

/// Computes a report's figures for the runs `user` may see, over an activity window
/// of `days` days. The groupings do not depend on one another, so they run at once,
/// each on a pooled connection of its own: an administrator's dashboard over every run
/// takes about as long as its slowest grouping, not as long as all of them together.
pub fn compute(
    pool: &DbPool,
    user: &User,
    now: NaiveDateTime,
    days: u16,
    stalled_limit: Option<i64>,
) -> Result<Figures, AppError> {
    let since = window_start(now, days);
    let audience = privacy::Audience::of(user);
    let runs = {
        let mut conn = pool.get()?;
        let runs = runs_in_scope(&mut conn, user)?;
        // Only observers' reports leave small runs out; the others need no count first.
        let admitted = match audience {
            privacy::Audience::Aggregates => admitted_counts(&mut conn, &runs)?,
            privacy::Audience::Everything => BTreeMap::new(),
        };
        privacy::runs_counted_for(audience, runs, &admitted)
    };
    let lists_stalled = audience.sees_people();
    // How many different people are behind each mean decides only what observers may
    // see (see `privacy`); the other readers' reports are spared counting them.
    let count_people = audience == privacy::Audience::Aggregates;
    let runs = &runs;
    std::thread::scope(|scope| {
        // One pass over the admitted enrolments and their learners' categories gives
        // the runs' enrolled and completed counts and the groups' alike.
        let enrolled = scope.spawn(move || -> Result<_, AppError> {
            let mut conn = pool.get()?;
            let counts = enrolment_counts(&mut conn, runs)?;
            let groups = group_figures(&mut conn, runs, &counts)?;
            Ok((counts, groups))
        });
        let scores = scope.spawn(move || score_figures(&mut *pool.get()?, runs, count_people));
        let gains = scope.spawn(move || gain_figures(&mut *pool.get()?, runs, count_people));
        let (activity, trainers, trained, stalled) = {
            let mut conn = pool.get()?;
            let activity = activity_counts(&mut conn, runs, since)?;
            let trainers = trainers_certified(&mut conn, runs)?;
            let trained = trained(&mut conn, runs)?;
            let stalled = if lists_stalled {
                stalled_learners(&mut conn, runs, now.date(), since, stalled_limit)?
            } else {
                (Vec::new(), 0)
            };
            (activity, trainers, trained, stalled)
        };
        let (counts, groups) = joined(enrolled)?;
        let (scores, course_takers) = joined(scores)?;
        let (stalled, stalled_total) = stalled;
        Ok(Figures {
            runs: runs
                .iter()
                .cloned()
                .zip(run_figures(runs, &counts, &activity, scores))
                .collect(),
            course_takers,
            groups,
            gains: joined(gains)?,
            trainers,
            trained,
            stalled,
            stalled_total,
        })
    })
}

fn joined<T>(handle: std::thread::ScopedJoinHandle<'_, Result<T, AppError>>) -> Result<T, AppError> {
    handle
        .join()
        .map_err(|_| AppError::internal("a report query thread panicked"))?
}

/// The runs whose figures a user may see: all for administrators and programme
/// observers (who see aggregates only), their institution's for coordinators, none
/// for anyone else.
pub fn runs_in_scope(conn: &mut DbConnection, user: &User) -> Result<Vec<RunRow>, AppError> {
    let query = course_runs::table
        .order((course_runs::starts_on.desc(), course_runs::id.desc()))
        .select(RunRow::as_select());
    Ok(match user.role {
        Role::Admin | Role::Observer => query.load(conn)?,
        Role::Coordinator => query
            .filter(course_runs::institution_id.nullable().eq(user.institution_id))
            .load(conn)?,
        Role::Learner | Role::Trainer => Vec::new(),
    })
}

/// The figures of one run.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RunFigures {
    pub run_id: i64,
    /// Admitted learners: enrolled or completed.
    pub enrolled: i64,
    /// Admitted learners with study activity within the window.
    pub active: i64,
    pub completed: i64,
    /// Certificates issued for the run and not revoked.
    pub certified: i64,
    /// Mean score of submitted attempts at the course's quizzes other than pre-tests.
    pub average_score: Option<f64>,
    /// Mean score of submitted pre-test attempts, and of their paired final quizzes.
    pub pre_test: Option<f64>,
    pub post_test: Option<f64>,
    /// Attempts behind `average_score`, `pre_test` and `post_test`, so that figures
    /// over several runs are weighted as if counted together.
    pub scored_attempts: i64,
    pub pre_test_attempts: i64,
    pub post_test_attempts: i64,
    /// The different people behind `average_score`, `pre_test` and `post_test`;
    /// counted for observers' reports only (zero in the others).
    pub takers: Takers,
}

/// How many different people took the quizzes behind each score mean of a run or a
/// course: what decides whether an observer may see the mean. Only observers'
/// reports count them; the others, which show every mean, leave them at zero.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Takers {
    /// People with a submitted attempt at a quiz other than a pre-test.
    pub scored: i64,
    pub pre_test: i64,
    pub post_test: i64,
}

impl RunFigures {
    /// Completed as a share of admitted learners, in per cent.
    pub fn completion_rate(&self) -> Option<f64> {
        percent(self.completed, self.enrolled)
    }

    /// Post-test minus pre-test mean, in percentage points.
    pub fn gain(&self) -> Option<f64> {
        Some(self.post_test? - self.pre_test?)
    }
}

// Counts stay far below 2^52, where f64 is exact.
#[allow(clippy::cast_precision_loss)]
pub fn percent(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 * 100.0 / whole as f64)
}

/// Admitted learners of one run with one status and professional category, as
/// (run, status, category, count).
type EnrolmentCount = (i64, String, String, i64);

/// Admitted learners of `runs` by run, status and the learner's category.
fn enrolment_counts(conn: &mut DbConnection, runs: &[RunRow]) -> Result<Vec<EnrolmentCount>, AppError> {
    let ids: Vec<i64> = runs.iter().map(|r| r.id.get()).collect();
    Ok(enrolments::table
        .inner_join(users::table.on(users::id.eq(enrolments::user_id)))
        .filter(enrolments::run_id.eq_any(&ids))
        .filter(enrolments::status.eq_any(ADMITTED))
        .group_by((enrolments::run_id, enrolments::status, users::category))
        .select((enrolments::run_id, enrolments::status, users::category, count_star()))
        .load(conn)?)
}

/// Per run, by run id: admitted learners active since the window began, and
/// certificates issued and not revoked.
struct ActivityCounts {
    active: BTreeMap<i64, i64>,
    certified: BTreeMap<i64, i64>,
}

fn activity_counts(conn: &mut DbConnection, runs: &[RunRow], since: NaiveDateTime) -> Result<ActivityCounts, AppError> {
    let ids: Vec<i64> = runs.iter().map(|r| r.id.get()).collect();
    Ok(ActivityCounts {
        active: active_counts(conn, &ids, since)?.into_iter().collect(),
        certified: certified_counts(conn, &ids)?.into_iter().collect(),
    })
}

/// The figures of each of `runs`, in order: their counts added to their score
/// figures (`scores`, by run id).
fn run_figures(
    runs: &[RunRow],
    counts: &[EnrolmentCount],
    activity: &ActivityCounts,
    mut scores: BTreeMap<i64, RunFigures>,
) -> Vec<RunFigures> {
    for (run_id, status, _, count) in counts {
        if let Some(f) = scores.get_mut(run_id) {
            f.enrolled += count;
            if status == Status::Completed.code() {
                f.completed += count;
            }
        }
    }
    runs.iter()
        .map(|run| {
            let run_id = run.id.get();
            let mut f = scores.remove(&run_id).unwrap_or_default();
            f.run_id = run_id;
            f.active = activity.active.get(&run_id).copied().unwrap_or(0);
            f.certified = activity.certified.get(&run_id).copied().unwrap_or(0);
            f
        })
        .collect()
}

/// Admitted learners per run, by run id.
fn admitted_counts(conn: &mut DbConnection, runs: &[RunRow]) -> Result<BTreeMap<i64, i64>, AppError> {
    let ids: Vec<i64> = runs.iter().map(|r| r.id.get()).collect();
    let rows: Vec<(i64, i64)> = enrolments::table
        .filter(enrolments::run_id.eq_any(&ids))
        .filter(enrolments::status.eq_any(ADMITTED))
        .group_by(enrolments::run_id)
        .select((enrolments::run_id, count_star()))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

fn certified_counts(conn: &mut DbConnection, ids: &[i64]) -> Result<Vec<(i64, i64)>, AppError> {
    let rows: Vec<(Option<i64>, i64)> = certificates::table
        .filter(certificates::run_id.eq_any(ids))
        .filter(certificates::revoked_at.is_null())
        .group_by(certificates::run_id)
        .select((certificates::run_id, count_star()))
        .load(conn)?;
    Ok(rows.into_iter().filter_map(|(run, n)| Some((run?, n))).collect())
}

/// Admitted learners per run who opened or completed a module of its course since `since`.
fn active_counts(conn: &mut DbConnection, ids: &[i64], since: NaiveDateTime) -> Result<Vec<(i64, i64)>, AppError> {
    Ok(enrolments::table
        .filter(enrolments::run_id.eq_any(ids))
        .filter(enrolments::status.eq_any(ADMITTED))
        .filter(enrolments::last_activity_at.ge(since))
        .group_by(enrolments::run_id)
        .select((enrolments::run_id, count_star()))
        .load(conn)?)
}

/// (run, quiz, mean score, number of attempts).
type QuizMean = (i64, String, Option<f64>, i64);

/// Mean score and number of submitted attempts per run and quiz, from the run each
/// attempt was taken in.
fn quiz_means(conn: &mut DbConnection, run_ids: &[i64]) -> Result<Vec<QuizMean>, AppError> {
    let rows: Vec<(Option<i64>, String, Option<f64>, i64)> = quiz_attempts::table
        .filter(quiz_attempts::run_id.eq_any(run_ids))
        .filter(quiz_attempts::submitted_at.is_not_null())
        .filter(quiz_attempts::is_preview.eq(false))
        .filter(quiz_attempts::percent.is_not_null())
        .group_by((quiz_attempts::run_id, quiz_attempts::quiz_id))
        .select((
            quiz_attempts::run_id,
            quiz_attempts::quiz_id,
            avg(quiz_attempts::percent),
            count_star(),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(run, quiz, mean, n)| Some((run?, quiz, mean, n)))
        .collect())
}

/// Pairs (pre-test, final quiz) of a course, from `pre_test` in the final quiz's settings.
fn pre_test_pairs(conn: &mut DbConnection, course_id: &str) -> Result<Vec<(String, String)>, AppError> {
    Ok(quiz_store::quizzes_of(conn, course_id)?
        .into_iter()
        .filter_map(|q| Some((q.settings.pre_test.clone()?, q.id)))
        .collect())
}

/// The people behind each course's score means, by course id.
type CourseTakers = BTreeMap<String, Takers>;

/// The score means of each of `runs` and, with `count_people`, the people behind
/// them, by run id (in [`RunFigures`] with only those figures set), and the people
/// behind each course's means over all of `runs`.
fn score_figures(
    conn: &mut DbConnection,
    runs: &[RunRow],
    count_people: bool,
) -> Result<(BTreeMap<i64, RunFigures>, CourseTakers), AppError> {
    let ids: Vec<i64> = runs.iter().map(|r| r.id.get()).collect();
    let means = quiz_means(conn, &ids)?;
    let mut runs_by_course: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for run in runs {
        runs_by_course
            .entry(run.course_id.as_str())
            .or_default()
            .push(run.id.get());
    }
    let mut figures = BTreeMap::new();
    let mut course_takers = BTreeMap::new();
    for (course_id, run_ids) in runs_by_course {
        let pairs = pre_test_pairs(conn, course_id)?;
        let is_pre_test = |quiz: &str| pairs.iter().any(|(pre, _)| pre == quiz);
        let is_post_test = |quiz: &str| pairs.iter().any(|(_, post)| post == quiz);
        let pre_tests: Vec<String> = pairs.iter().map(|(pre, _)| pre.clone()).collect();
        let post_tests: Vec<String> = pairs.iter().map(|(_, post)| post.clone()).collect();
        let (by_run, together) = if count_people {
            takers(conn, &run_ids, &pre_tests, &post_tests)?
        } else {
            (BTreeMap::new(), Takers::default())
        };
        course_takers.insert(course_id.to_owned(), together);
        for run_id in run_ids {
            let of_run: Vec<(&str, f64, i64)> = means
                .iter()
                .filter(|(id, ..)| *id == run_id)
                .filter_map(|(_, quiz, mean, n)| Some((quiz.as_str(), (*mean)?, *n)))
                .collect();
            let scored: Vec<_> = of_run.iter().filter(|(q, ..)| !is_pre_test(q)).copied().collect();
            let pre: Vec<_> = of_run.iter().filter(|(q, ..)| is_pre_test(q)).copied().collect();
            let post: Vec<_> = of_run.iter().filter(|(q, ..)| is_post_test(q)).copied().collect();
            let f = RunFigures {
                run_id,
                average_score: weighted_mean(scored.iter()),
                scored_attempts: attempts(&scored),
                pre_test: weighted_mean(pre.iter()),
                pre_test_attempts: attempts(&pre),
                post_test: weighted_mean(post.iter()),
                post_test_attempts: attempts(&post),
                takers: by_run.get(&run_id).copied().unwrap_or_default(),
                ..RunFigures::default()
            };
            figures.insert(run_id, f);
        }
    }
    Ok((figures, course_takers))
}

/// How many different people have a submitted, scored attempt (not a preview) in each
/// of `run_ids`, by run id, and in all of them together: at a quiz other than the
/// pre-tests `pre_tests`, at one of them, and at one of the final quizzes
/// `post_tests`; the people behind the means [`quiz_means`] gives. Two passes over
/// the attempts count all three.
fn takers(
    conn: &mut DbConnection,
    run_ids: &[i64],
    pre_tests: &[String],
    post_tests: &[String],
) -> Result<(BTreeMap<i64, Takers>, Takers), AppError> {
    let scored = || {
        quiz_attempts::table
            .filter(quiz_attempts::run_id.eq_any(run_ids))
            .filter(quiz_attempts::submitted_at.is_not_null())
            .filter(quiz_attempts::is_preview.eq(false))
            .filter(quiz_attempts::percent.is_not_null())
    };
    let people = || {
        (
            count(case_when(
                quiz_attempts::quiz_id.ne_all(pre_tests),
                quiz_attempts::user_id,
            ))
            .aggregate_distinct(),
            count(case_when(
                quiz_attempts::quiz_id.eq_any(pre_tests),
                quiz_attempts::user_id,
            ))
            .aggregate_distinct(),
            count(case_when(
                quiz_attempts::quiz_id.eq_any(post_tests),
                quiz_attempts::user_id,
            ))
            .aggregate_distinct(),
        )
    };
    let by_run: Vec<(Option<i64>, (i64, i64, i64))> = scored()
        .group_by(quiz_attempts::run_id)
        .select((quiz_attempts::run_id, people()))
        .load(conn)?;
    let together: (i64, i64, i64) = scored().select(people()).get_result(conn)?;
    let takers = |(scored, pre_test, post_test): (i64, i64, i64)| Takers {
        scored,
        pre_test,
        post_test,
    };
    let by_run = by_run
        .into_iter()
        .filter_map(|(run, people)| Some((run?, takers(people))))
        .collect();
    Ok((by_run, takers(together)))
}

fn attempts(rows: &[(&str, f64, i64)]) -> i64 {
    rows.iter().map(|(_, _, n)| n).sum()
}

#[allow(clippy::cast_precision_loss)]
fn weighted_mean<'a>(rows: impl Iterator<Item = &'a (&'a str, f64, i64)>) -> Option<f64> {
    let (sum, n) = rows.fold((0.0, 0_i64), |(sum, n), (_, mean, count)| {
        (sum + mean * *count as f64, n + count)
    });
    (n > 0).then(|| sum / n as f64)
}

/// Figures for one combination of country, professional category and programme phase.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct GroupFigures {
    pub country: String,
    pub category: String,
    pub phase: String,
    pub enrolled: i64,
    pub completed: i64,
    pub certified: i64,
}

impl GroupFigures {
    pub fn completion_rate(&self) -> Option<f64> {
        percent(self.completed, self.enrolled)
    }
}

type GroupKey = (String, String, String);

/// Learners of `runs` split by the run's country, the learner's category and the
/// run's programme phase, from their admitted learners counted by
/// [`enrolment_counts`] and their certificates.
fn group_figures(
    conn: &mut DbConnection,
    runs: &[RunRow],
    counts: &[EnrolmentCount],
) -> Result<Vec<GroupFigures>, AppError> {
    let ids: Vec<i64> = runs.iter().map(|r| r.id.get()).collect();
    let certified: Vec<(Option<i64>, String, i64)> = certificates::table
        .inner_join(users::table.on(users::id.eq(certificates::user_id)))
        .filter(certificates::run_id.eq_any(&ids))
        .filter(certificates::revoked_at.is_null())
        .group_by((certificates::run_id, users::category))
        .select((certificates::run_id, users::category, count_star()))
        .load(conn)?;
    let run_of: BTreeMap<i64, &RunRow> = runs.iter().map(|r| (r.id.get(), r)).collect();
    let key = |run_id: i64, category: &str| -> Option<GroupKey> {
        let run = run_of.get(&run_id)?;
        Some((
            run.country.code().to_owned(),
            category.to_owned(),
            run.phase.code().to_owned(),
        ))
    };
    let mut merged: BTreeMap<GroupKey, GroupFigures> = BTreeMap::new();
    for (run_id, status, category, count) in counts {
        let Some(key) = key(*run_id, category) else { continue };
        let entry = merged.entry(key).or_insert_with_key(new_group);
        entry.enrolled += count;
        if status == Status::Completed.code() {
            entry.completed += count;
        }
    }
    for (run_id, category, count) in certified {
        let Some(key) = run_id.and_then(|run_id| key(run_id, &category)) else {
            continue;
        };
        merged.entry(key).or_insert_with_key(new_group).certified += count;
    }
    Ok(merged.into_values().collect())
}

fn new_group((country, category, phase): &GroupKey) -> GroupFigures {
    GroupFigures {
        country: country.clone(),
        category: category.clone(),
        phase: phase.clone(),
        ..GroupFigures::default()
    }
}

/// An admitted, not yet completed learner of a started run with no study activity
/// since the window began.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StalledLearner {
    pub run_id: i64,
    pub user_id: UserId,
    pub name: String,
    pub email: String,
    pub last_activity: Option<NaiveDateTime>,
}

/// Stalled learners of `runs`, longest silence first (those who never started, then
/// the oldest activity), at most `limit` of them, and how many there are in all.
pub fn stalled_learners(
    conn: &mut DbConnection,
    runs: &[RunRow],
    today: NaiveDate,
    since: NaiveDateTime,
    limit: Option<i64>,
) -> Result<(Vec<StalledLearner>, i64), AppError> {
    let started: Vec<i64> = runs
        .iter()
        .filter(|r| r.starts_on <= today)
        .map(|r| r.id.get())
        .collect();
    let stalled = || {
        enrolments::table
            .filter(enrolments::run_id.eq_any(started.clone()))
            .filter(enrolments::status.eq(Status::Enrolled.code()))
            .filter(
                enrolments::last_activity_at
                    .lt(since)
                    .or(enrolments::last_activity_at.is_null()),
            )
    };
    let total: i64 = stalled().count().get_result(conn)?;
    let limit = limit.unwrap_or(i64::MAX);
    // The silence of the last learner listed: only learners silent at least that long
    // are joined to their names and sorted, not every stalled learner.
    let last_listed: Option<Option<NaiveDateTime>> = if limit < total {
        stalled()
            .order((
                enrolments::last_activity_at.is_not_null(),
                enrolments::last_activity_at.asc(),
            ))
            .select(enrolments::last_activity_at)
            .offset((limit - 1).max(0))
            .first(conn)
            .optional()?
    } else {
        None
    };
    let mut query = stalled()
        .inner_join(users::table.on(users::id.eq(enrolments::user_id)))
        .into_boxed();
    match last_listed {
        Some(Some(at)) => {
            query = query.filter(
                enrolments::last_activity_at
                    .is_null()
                    .or(enrolments::last_activity_at.le(at)),
            )
        }
        Some(None) => query = query.filter(enrolments::last_activity_at.is_null()),
        None => {}
    }
    let rows: Vec<(i64, UserId, String, String, Option<NaiveDateTime>)> = query
        .order((
            enrolments::last_activity_at.is_not_null(),
            enrolments::last_activity_at.asc(),
            users::name.asc(),
            enrolments::id.asc(),
        ))
        .limit(limit)
        .select((
            enrolments::run_id,
            enrolments::user_id,
            users::name,
            users::email,
            enrolments::last_activity_at,
        ))
        .load(conn)?;
    let learners = rows
        .into_iter()
        .map(|(run_id, user_id, name, email, last_activity)| StalledLearner {
            run_id,
            user_id,
            name,
            email,
            last_activity,
        })
        .collect();
    Ok((learners, total))
}

/// The start of an activity window of `days` days ending at `now`.
pub fn window_start(now: NaiveDateTime, days: u16) -> NaiveDateTime {
    now - Duration::days(i64::from(days))
}

/// Mean pre-test and final-test scores of the learners of one country and category.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct GainFigures {
    pub country: String,
    pub category: String,
    pub pre_test: Option<f64>,
    pub post_test: Option<f64>,
    /// Submitted attempts behind `pre_test` and `post_test`.
    pub pre_tests: i64,
    pub post_tests: i64,
    /// At least this many different people took the pre-test, and the final test:
    /// what decides whether an observer may see the group (counted for observers'
    /// reports only, zero in the others).
    pub pre_takers: i64,
    pub post_takers: i64,
}

impl GainFigures {
    pub fn gain(&self) -> Option<f64> {
        Some(self.post_test? - self.pre_test?)
    }
}

/// (country, category, course, quiz, mean score, attempts, people).
type GroupQuizMean = (String, String, String, String, Option<f64>, i64, i64);

/// Quiz means (quiz, mean, attempts) per (country, category).
type MeansByGroup<'a> = BTreeMap<(String, String), Vec<(&'a str, f64, i64)>>;

/// Knowledge gain per country of the run and professional category of the learner,
/// from the attempts taken in `runs` at the pre-tests and final quizzes of their
/// courses; with `count_people`, how many different people took each.
pub fn gain_figures(
    conn: &mut DbConnection,
    runs: &[RunRow],
    count_people: bool,
) -> Result<Vec<GainFigures>, AppError> {
    let ids: Vec<i64> = runs.iter().map(|r| r.id.get()).collect();
    let mut pairs: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for run in runs {
        if !pairs.contains_key(&run.course_id) {
            pairs.insert(run.course_id.clone(), pre_test_pairs(conn, &run.course_id)?);
        }
    }
    // Only the attempts at pre-tests and their final quizzes count, not the checks
    // after each module: the query reads no more of them.
    let paired: std::collections::BTreeSet<String> = pairs
        .values()
        .flatten()
        .flat_map(|(pre, post)| [pre.clone(), post.clone()])
        .collect();
    if paired.is_empty() {
        return Ok(Vec::new());
    }
    let paired: Vec<String> = paired.into_iter().collect();
    // Scores are summed per run, quiz and category, in the order of the attempts'
    // index, and the runs of a country added up here: grouping every attempt by
    // country, category, course and quiz at once costs the database a sort of them all.
    let sums: Vec<RunQuizSum> = quiz_attempts::table
        .inner_join(users::table.on(users::id.eq(quiz_attempts::user_id)))
        .filter(quiz_attempts::run_id.eq_any(&ids))
        .filter(quiz_attempts::quiz_id.eq_any(&paired))
        .filter(quiz_attempts::submitted_at.is_not_null())
        .filter(quiz_attempts::is_preview.eq(false))
        .filter(quiz_attempts::percent.is_not_null())
        .group_by((quiz_attempts::run_id, quiz_attempts::quiz_id, users::category))
        .select((
            quiz_attempts::run_id,
            quiz_attempts::quiz_id,
            users::category,
            sum(quiz_attempts::percent),
            count_star(),
        ))
        .load(conn)?;
    let run_of: BTreeMap<i64, &RunRow> = runs.iter().map(|r| (r.id.get(), r)).collect();
    let mut totals: BTreeMap<GroupQuiz, (f64, i64)> = BTreeMap::new();
    for (run_id, quiz_id, category, total, n) in sums {
        let (Some(run), Some(total)) = (run_id.and_then(|id| run_of.get(&id)), total) else {
            continue;
        };
        let key = (run.country.code().to_owned(), category, run.course_id.clone(), quiz_id);
        let entry = totals.entry(key).or_default();
        entry.0 += total;
        entry.1 += n;
    }
    let people = if count_people {
        people_per_group(conn, &ids, &paired)?
    } else {
        BTreeMap::new()
    };
    #[allow(clippy::cast_precision_loss)]
    let rows: Vec<GroupQuizMean> = totals
        .into_iter()
        .map(|(key, (total, n))| {
            let people = people.get(&key).copied().unwrap_or(0);
            let (country, category, course_id, quiz_id) = key;
            let mean = (n > 0).then(|| total / n as f64);
            (country, category, course_id, quiz_id, mean, n, people)
        })
        .collect();
    let mut pre: MeansByGroup<'_> = BTreeMap::new();
    let mut post: MeansByGroup<'_> = BTreeMap::new();
    // The most takers of any one quiz: a lower bound of the people behind each side.
    let mut takers: BTreeMap<(bool, String, String), i64> = BTreeMap::new();
    for (country, category, course_id, quiz_id, mean, n, people) in &rows {
        let (Some(mean), Some(course_pairs)) = (mean, pairs.get(course_id)) else {
            continue;
        };
        let key = (country.clone(), category.clone());
        for (is_pre, means) in [(true, &mut pre), (false, &mut post)] {
            let paired = course_pairs
                .iter()
                .any(|(pre_test, final_quiz)| if is_pre { pre_test } else { final_quiz } == quiz_id);
            if paired {
                means
                    .entry(key.clone())
                    .or_default()
                    .push((quiz_id.as_str(), *mean, *n));
                let most = takers.entry((is_pre, key.0.clone(), key.1.clone())).or_default();
                *most = (*most).max(*people);
            }
        }
    }
    let keys: std::collections::BTreeSet<(String, String)> = pre.keys().chain(post.keys()).cloned().collect();
    Ok(keys
        .into_iter()
        .map(|key| {
            let pre_rows = pre.get(&key).map(Vec::as_slice).unwrap_or_default();
            let post_rows = post.get(&key).map(Vec::as_slice).unwrap_or_default();
            GainFigures {
                pre_test: weighted_mean(pre_rows.iter()),
                post_test: weighted_mean(post_rows.iter()),
                pre_tests: attempts(pre_rows),
                post_tests: attempts(post_rows),
                pre_takers: takers.get(&(true, key.0.clone(), key.1.clone())).copied().unwrap_or(0),
                post_takers: takers.get(&(false, key.0.clone(), key.1.clone())).copied().unwrap_or(0),
                country: key.0,
                category: key.1,
            }
        })
        .collect())
}

/// (country, category, course, quiz).
type GroupQuiz = (String, String, String, String);

/// (run, quiz, learner's category, sum of the scores, attempts).
type RunQuizSum = (Option<i64>, String, String, Option<f64>, i64);

/// How many different people took each of `quiz_ids` in `run_ids`, per country of the
/// run and category of the learner.
fn people_per_group(
    conn: &mut DbConnection,
    run_ids: &[i64],
    quiz_ids: &[String],
) -> Result<BTreeMap<GroupQuiz, i64>, AppError> {
    let rows: Vec<(String, String, String, String, i64)> = quiz_attempts::table
        .inner_join(course_runs::table.on(quiz_attempts::run_id.eq(course_runs::id.nullable())))
        .inner_join(users::table.on(users::id.eq(quiz_attempts::user_id)))
        .filter(course_runs::id.eq_any(run_ids))
        .filter(quiz_attempts::quiz_id.eq_any(quiz_ids))
        .filter(quiz_attempts::submitted_at.is_not_null())
        .filter(quiz_attempts::is_preview.eq(false))
        .filter(quiz_attempts::percent.is_not_null())
        .group_by((
            course_runs::country,
            users::category,
            quiz_attempts::course_id,
            quiz_attempts::quiz_id,
        ))
        .select((
            course_runs::country,
            users::category,
            quiz_attempts::course_id,
            quiz_attempts::quiz_id,
            count(quiz_attempts::user_id).aggregate_distinct(),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(country, category, course, quiz, people)| ((country, category, course, quiz), people))
        .collect())
}

/// People certified in training-of-trainers runs among `runs`, per country of the
/// run: the national trainers the programme has prepared.
pub fn trainers_certified(conn: &mut DbConnection, runs: &[RunRow]) -> Result<Vec<(String, i64)>, AppError> {
    let ids: Vec<i64> = runs
        .iter()
        .filter(|r| r.phase == Phase::TrainingOfTrainers)
        .map(|r| r.id.get())
        .collect();
    Ok(certificates::table
        .inner_join(course_runs::table.on(certificates::run_id.eq(course_runs::id.nullable())))
        .filter(course_runs::id.eq_any(&ids))
        .filter(certificates::revoked_at.is_null())
        .group_by(course_runs::country)
        .select((course_runs::country, count(certificates::user_id).aggregate_distinct()))
        .order(course_runs::country.asc())
        .load(conn)?)
}

/// Courses delivered in one programme phase and country.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DeliveredFigures {
    pub phase: String,
    pub country: String,
    /// Runs that have ended with at least one admitted learner.
    pub runs: i64,
    pub enrolled: i64,
    pub completed: i64,
}

/// Runs delivered by `today`, per phase and country, from the runs' own figures.
pub fn delivered(runs: &[(RunRow, RunFigures)], today: NaiveDate) -> Vec<DeliveredFigures> {
    let mut merged: BTreeMap<(usize, String), DeliveredFigures> = BTreeMap::new();
    for (run, figures) in runs {
        if run.ends_on >= today || figures.enrolled == 0 {
            continue;
        }
        // Phases in programme order, not alphabetical.
        let order = Phase::ALL.iter().position(|p| *p == run.phase).unwrap_or(usize::MAX);
        let entry = merged
            .entry((order, run.country.code().to_owned()))
            .or_insert_with(|| DeliveredFigures {
                phase: run.phase.code().to_owned(),
                country: run.country.code().to_owned(),
                ..DeliveredFigures::default()
            });
        entry.runs += 1;
        entry.enrolled += figures.enrolled;
        entry.completed += figures.completed;
    }
    merged.into_values().collect()
}

/// People who completed a run, in one country and professional category.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TrainedFigures {
    pub country: String,
    pub category: String,
    pub trained: i64,
    pub women: i64,
    pub men: i64,
    pub not_recorded: i64,
}

impl TrainedFigures {
    /// Women as a share of those whose gender is recorded.
    pub fn share_of_women(&self) -> Option<f64> {
        percent(self.women, self.women + self.men)
    }
}

/// People trained per country of the run and professional category, each person
/// counted once per group, split by recorded gender.
pub fn trained(conn: &mut DbConnection, runs: &[RunRow]) -> Result<Vec<TrainedFigures>, AppError> {
    let ids: Vec<i64> = runs.iter().map(|r| r.id.get()).collect();
    let rows: Vec<(String, String, Option<String>, i64)> = enrolments::table
        .inner_join(course_runs::table.on(course_runs::id.eq(enrolments::run_id)))
        .inner_join(users::table.on(users::id.eq(enrolments::user_id)))
        .filter(enrolments::run_id.eq_any(&ids))
        .filter(enrolments::status.eq(Status::Completed.code()))
        .group_by((course_runs::country, users::category, users::gender))
        .select((
            course_runs::country,
            users::category,
            users::gender,
            count(enrolments::user_id).aggregate_distinct(),
        ))
        .load(conn)?;
    let mut merged: BTreeMap<(String, String), TrainedFigures> = BTreeMap::new();
    for (country, category, gender, count) in rows {
        let entry = merged
            .entry((country.clone(), category.clone()))
            .or_insert_with(|| TrainedFigures {
                country,
                category,
                ..TrainedFigures::default()
            });
        entry.trained += count;
        match gender.as_deref().and_then(Gender::from_code) {
            Some(Gender::Female) => entry.women += count,
            Some(Gender::Male) => entry.men += count,
            None => entry.not_recorded += count,
        }
    }
    Ok(merged.into_values().collect())
}

/// The figures of one course over the runs of it in a report.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CourseFigures {
    pub course_id: String,
    pub runs: i64,
    pub enrolled: i64,
    pub active: i64,
    pub completed: i64,
    pub certified: i64,
    pub average_score: Option<f64>,
    pub pre_test: Option<f64>,
    pub post_test: Option<f64>,
    /// The different people behind the means, over all the course's runs.
    pub takers: Takers,
}

impl CourseFigures {
    pub fn completion_rate(&self) -> Option<f64> {
        percent(self.completed, self.enrolled)
    }

    pub fn gain(&self) -> Option<f64> {
        Some(self.post_test? - self.pre_test?)
    }
}

/// The mean of several means, each weighted by its number of attempts, and the
/// attempts in all: what the mean would be had every attempt been counted together.
fn pooled_mean<T>(parts: &[&T], pick: impl Fn(&T) -> (Option<f64>, i64)) -> (Option<f64>, i64) {
    let rows: Vec<(&str, f64, i64)> = parts
        .iter()
        .filter_map(|part| {
            let (mean, n) = pick(part);
            Some(("", mean?, n))
        })
        .collect();
    (weighted_mean(rows.iter()), attempts(&rows))
}

/// Sums the run figures of each course; means are weighted by their attempts, so a
/// course's average is the mean over all its attempts, not a mean of run means.
/// `takers` are the people behind each course's means, which runs cannot add up (one
/// person may have taken quizzes in two runs).
pub fn course_figures(runs: &[(RunRow, RunFigures)], takers: &BTreeMap<String, Takers>) -> Vec<CourseFigures> {
    let mut by_course: BTreeMap<&str, Vec<&RunFigures>> = BTreeMap::new();
    for (run, figures) in runs {
        by_course.entry(run.course_id.as_str()).or_default().push(figures);
    }
    by_course
        .into_iter()
        .map(|(course_id, figures)| {
            let sum = |pick: fn(&RunFigures) -> i64| figures.iter().map(|f| pick(f)).sum::<i64>();
            let mean = |pick: fn(&RunFigures) -> (Option<f64>, i64)| pooled_mean(&figures, pick).0;
            CourseFigures {
                course_id: course_id.to_owned(),
                runs: i64::try_from(figures.len()).unwrap_or(i64::MAX),
                enrolled: sum(|f| f.enrolled),
                active: sum(|f| f.active),
                completed: sum(|f| f.completed),
                certified: sum(|f| f.certified),
                average_score: mean(|f| (f.average_score, f.scored_attempts)),
                pre_test: mean(|f| (f.pre_test, f.pre_test_attempts)),
                post_test: mean(|f| (f.post_test, f.post_test_attempts)),
                takers: takers.get(course_id).copied().unwrap_or_default(),
            }
        })
        .collect()
}

/// Knowledge gain per country over all categories, each mean weighted by its
/// attempts; `category` is left empty.
pub fn gain_per_country(gains: &[GainFigures]) -> Vec<GainFigures> {
    let mut by_country: BTreeMap<&str, Vec<&GainFigures>> = BTreeMap::new();
    for gain in gains {
        by_country.entry(gain.country.as_str()).or_default().push(gain);
    }
    by_country
        .into_iter()
        .map(|(country, groups)| {
            let (pre_test, pre_tests) = pooled_mean(&groups, |g| (g.pre_test, g.pre_tests));
            let (post_test, post_tests) = pooled_mean(&groups, |g| (g.post_test, g.post_tests));
            let most = |pick: fn(&GainFigures) -> i64| groups.iter().map(|g| pick(g)).max().unwrap_or(0);
            GainFigures {
                country: country.to_owned(),
                category: String::new(),
                pre_test,
                post_test,
                pre_tests,
                post_tests,
                pre_takers: most(|g| g.pre_takers),
                post_takers: most(|g| g.post_takers),
            }
        })
        .collect()
}
