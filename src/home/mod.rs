//! `/`: the page each person lands on after signing in, built for their role. A
//! learner sees "My learning" (their runs with progress and the next step, requests
//! still waiting, certificates); a trainer the runs they teach and the essays waiting
//! for grading; a coordinator their institution's runs with pending requests first;
//! an administrator an overview; an observer the way to the reports. Signed out, the
//! page introduces Bilim. Each capability answers for its own data; this module only
//! puts it together.

use actix_web::{web, HttpResponse};
use chrono::{NaiveDate, Utc};
use serde::Serialize;

use crate::accounts::model::{Role, User};
use crate::app::AppState;
use crate::courses::{reading, store as course_store};
use crate::db::DbConnection;
use crate::enrolment::views::{run_views, RunView};
use crate::enrolment::{self, EnrolmentRow, RunRow, Status};
use crate::error::AppResult;
use crate::i18n::{self, label, Locale};
use crate::quizzes::store as quiz_store;
use crate::web::context::RequestContext;
use crate::web::render;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home));
}

/// What `home.html` shows: nothing but the layout for someone signed out, one of the
/// role's sections otherwise.
#[derive(Serialize, Default)]
struct HomePage {
    /// The confirmation of the action that led here (`?done=password_set` after an
    /// invitee without a run set their password).
    notice: Option<String>,
    learner: Option<LearnerHome>,
    trainer: Option<TrainerHome>,
    coordinator: Option<CoordinatorHome>,
    admin: Option<AdminHome>,
}

async fn home(
    state: web::Data<AppState>,
    ctx: RequestContext,
    query: web::Query<crate::web::DoneQuery>,
) -> AppResult<HttpResponse> {
    let Some(user) = ctx.user.clone() else {
        return render::view(&state, &ctx, "home.html", &HomePage::default());
    };
    let locale = ctx.locale;
    // Only signed-in readers have set a password; anyone else sees the page plainly.
    let notice = (query.done.as_deref() == Some("password_set")).then(|| ctx.t("coordinator_flows.password_set"));
    let mut page = state
        .db(move |conn| {
            let today = Utc::now().date_naive();
            let mut page = HomePage::default();
            match user.role {
                Role::Learner => page.learner = Some(learner_home(conn, &user, today, locale)?),
                Role::Trainer => page.trainer = Some(trainer_home(conn, &user, today, locale)?),
                Role::Coordinator => page.coordinator = Some(coordinator_home(conn, &user, today, locale)?),
                Role::Admin => {
                    page.admin = Some(admin_home(conn)?);
                    page.coordinator = Some(coordinator_home(conn, &user, today, locale)?);
                }
                // Observers read the reports; the page leads there.
                Role::Observer => {}
            }
            Ok(page)
        })
        .await?;
    page.notice = notice;
    render::view(&state, &ctx, "home.html", &page)
}

/// A run the learner studies in, with how far they are and what to do next.
#[derive(Serialize)]
struct Study {
    run: RunView,
    course_id: String,
    modules_done: usize,
    modules_total: usize,
    /// The share of modules done, in whole per cent, for the progress bar.
    percent: usize,
    next: Option<NextStep>,
    complete: bool,
    /// The certificate's code once it is issued.
    certificate: Option<String>,
    /// The run's first day, when it has not come yet.
    opens_on: Option<String>,
}

/// The one thing the page suggests doing next in a course.
#[derive(Serialize)]
struct NextStep {
    /// "continue", "start", "quiz", "awaiting" (grading) or "remaining": which wording
    /// the page uses.
    kind: &'static str,
    title: String,
    href: String,
}

/// A request or invitation that does not give a place yet.
#[derive(Serialize)]
struct Waiting {
    run: RunView,
    status: String,
    invited: bool,
}

#[derive(Serialize)]
struct LearnerHome {
    studies: Vec<Study>,
    waiting: Vec<Waiting>,
    certificates: usize,
}

fn learner_home(conn: &mut DbConnection, user: &User, today: NaiveDate, locale: Locale) -> AppResult<LearnerHome> {
    let enrolments = enrolment::enrolments_of_user(conn, user.id)?;
    let admitted: Vec<&EnrolmentRow> = enrolments.iter().filter(|e| e.status.is_admitted()).collect();
    let waiting_rows: Vec<&EnrolmentRow> = enrolments
        .iter()
        .filter(|e| matches!(e.status, Status::Requested | Status::Waitlisted | Status::Invited))
        .collect();
    let certificates = crate::certificates::of_user(conn, user.id)?;

    let mut admitted_runs = runs_in_order(conn, admitted.iter().map(|e| e.run_id).collect())?;
    // Of two runs of one course (a second round), the one under way speaks for the
    // course, then one still to come, then the latest that ended.
    admitted_runs.sort_by_key(|run| {
        if run.starts_on > today {
            1
        } else if run.ends_on < today {
            2
        } else {
            0
        }
    });
    let mut studies = Vec::new();
    // One course studied in two runs (a second round) shows once, its latest run.
    let mut seen_courses: Vec<String> = Vec::new();
    let views = run_views(conn, &admitted_runs, locale)?;
    for (run, view) in admitted_runs.iter().zip(views) {
        if seen_courses.contains(&run.course_id) {
            continue;
        }
        seen_courses.push(run.course_id.clone());
        let certificate = certificates
            .iter()
            .find(|c| c.course_id == run.course_id && c.revoked_at.is_none())
            .map(|c| c.code.clone());
        studies.push(study(conn, user, run, view, certificate, today, locale)?);
    }
    // Courses still to finish first, then finished ones.
    studies.sort_by_key(|s| s.complete);

    let waiting_runs = runs_in_order(conn, waiting_rows.iter().map(|e| e.run_id).collect())?;
    let waiting_views = run_views(conn, &waiting_runs, locale)?;
    let waiting = waiting_runs
        .iter()
        .zip(waiting_views)
        .filter_map(|(run, view)| {
            let row = waiting_rows.iter().find(|e| e.run_id == run.id)?;
            Some(Waiting {
                run: view,
                status: label(locale, "enrolment_status", row.status.code()),
                invited: row.status == Status::Invited,
            })
        })
        .collect();
    Ok(LearnerHome {
        studies,
        waiting,
        certificates: certificates.len(),
    })
}

/// The runs with these ids, in the order given (the learner's latest enrolment first).
fn runs_in_order(conn: &mut DbConnection, ids: Vec<enrolment::RunId>) -> AppResult<Vec<RunRow>> {
    let mut runs = enrolment::find_runs(conn, &ids)?;
    runs.sort_by_key(|run| ids.iter().position(|id| *id == run.id));
    Ok(runs)
}

fn study(
    conn: &mut DbConnection,
    user: &User,
    run: &RunRow,
    view: RunView,
    certificate: Option<String>,
    today: NaiveDate,
    locale: Locale,
) -> AppResult<Study> {
    let course_id = run.course_id.clone();
    let modules = course_store::modules_of(conn, &course_id)?;
    let progress = course_store::progress_in_course(conn, user.id, &course_id)?;
    let done: Vec<&str> = progress
        .iter()
        .filter(|p| p.completed_at.is_some())
        .map(|p| p.module_id.as_str())
        .collect();
    let modules_done = modules.iter().filter(|m| done.contains(&m.id.as_str())).count();
    let modules_total = modules.len();
    let completion = crate::certificates::completion::evaluate(conn, user.id, &course_id, locale)?;
    let opens_on = (today < run.starts_on).then(|| i18n::format_date(locale, run.starts_on));
    let next = if completion.complete || opens_on.is_some() {
        None
    } else {
        next_step(
            conn,
            &course_id,
            &modules,
            &progress,
            &done,
            &completion.missing,
            locale,
        )?
    };
    Ok(Study {
        run: view,
        percent: (modules_done * 100).checked_div(modules_total).unwrap_or(0),
        course_id,
        modules_done,
        modules_total,
        next,
        complete: completion.complete,
        certificate,
        opens_on,
    })
}

/// Where to go on: the module last opened and not finished, else the first one not
/// finished, else the first required test not passed yet, else the certificates page
/// that says what remains (attendance, a minimum score).
fn next_step(
    conn: &mut DbConnection,
    course_id: &str,
    modules: &[course_store::ModuleRow],
    progress: &[course_store::ProgressRow],
    done: &[&str],
    missing: &[crate::certificates::completion::Missing],
    locale: Locale,
) -> AppResult<Option<NextStep>> {
    let titles = reading::module_titles(conn, course_id, locale)?;
    let title_of = |id: &str| titles.get(id).cloned().unwrap_or_else(|| id.to_owned());
    let last_opened = progress
        .iter()
        .filter(|p| p.completed_at.is_none() && modules.iter().any(|m| m.id == p.module_id))
        .max_by_key(|p| p.updated_at);
    if let Some(p) = last_opened {
        return Ok(Some(NextStep {
            kind: "continue",
            title: title_of(&p.module_id),
            href: format!("/courses/{course_id}/{}", p.module_id),
        }));
    }
    if let Some(module) = modules.iter().find(|m| !done.contains(&m.id.as_str())) {
        return Ok(Some(NextStep {
            kind: if done.is_empty() { "start" } else { "continue" },
            title: title_of(&module.id),
            href: format!("/courses/{course_id}/{}", module.id),
        }));
    }
    // The tests the course's rule still asks for, as completion found them, taken in
    // the order they come in the course.
    for quiz in quiz_store::quizzes_in_order(conn, course_id, modules)? {
        if let Some(open) = missing.iter().find(|m| m.quiz_id.as_deref() == Some(quiz.id.as_str())) {
            return Ok(Some(NextStep {
                // Answers a trainer still has to grade: nothing to do but wait.
                kind: if open.kind == "awaiting_grading" {
                    "awaiting"
                } else {
                    "quiz"
                },
                title: quiz.title(locale),
                href: format!("/courses/{course_id}/quizzes/{}", quiz.id),
            }));
        }
    }
    Ok(Some(NextStep {
        kind: "remaining",
        title: String::new(),
        href: "/certificates".into(),
    }))
}

/// A run a trainer teaches, or a coordinator manages, with what waits in it.
#[derive(Serialize)]
struct StaffRun {
    run: RunView,
    pending_requests: i64,
    /// Whether the run has ended.
    ended: bool,
}

#[derive(Serialize)]
struct TrainerHome {
    /// Runs not over yet; the ones that ended are counted in `earlier`.
    runs: Vec<StaffRun>,
    earlier: usize,
    essays_waiting: i64,
}

fn trainer_home(conn: &mut DbConnection, user: &User, today: NaiveDate, locale: Locale) -> AppResult<TrainerHome> {
    let runs = enrolment::runs_taught_by(conn, user.id)?;
    let oversight = enrolment::oversight_of(conn, user)?;
    let essays_waiting = crate::quizzes::essays::pending_essay_count(conn, &oversight)?;
    let (runs, earlier) = staff_runs(conn, runs, today, locale)?;
    Ok(TrainerHome {
        runs,
        earlier,
        essays_waiting,
    })
}

/// How many runs a home page lists; an administrator of a large installation finds
/// the rest on the runs page.
const HOME_RUNS: usize = 20;

#[derive(Serialize)]
struct CoordinatorHome {
    runs: Vec<StaffRun>,
    earlier: usize,
    pending_total: i64,
    essays_waiting: i64,
}

fn coordinator_home(
    conn: &mut DbConnection,
    user: &User,
    today: NaiveDate,
    locale: Locale,
) -> AppResult<CoordinatorHome> {
    let runs = enrolment::visible_runs(conn, user, today)?;
    let (runs, earlier) = staff_runs(conn, runs, today, locale)?;
    let oversight = enrolment::oversight_of(conn, user)?;
    Ok(CoordinatorHome {
        pending_total: runs.iter().map(|r| r.pending_requests).sum(),
        runs,
        earlier,
        essays_waiting: crate::quizzes::essays::pending_essay_count(conn, &oversight)?,
    })
}

/// The runs worth showing on a home page, with what waits in them: the ones not over
/// yet and any with requests waiting, those with requests first, then in the order
/// given (the latest start first); at most [`HOME_RUNS`]. The rest are only counted
/// (the second value): their full list is a link away. Views are built only for the
/// runs shown.
fn staff_runs(
    conn: &mut DbConnection,
    runs: Vec<RunRow>,
    today: NaiveDate,
    locale: Locale,
) -> AppResult<(Vec<StaffRun>, usize)> {
    let total = runs.len();
    let ids: Vec<enrolment::RunId> = runs.iter().map(|r| r.id).collect();
    let pending = enrolment::requested_counts(conn, &ids)?;
    let mut shown: Vec<(RunRow, i64)> = runs
        .into_iter()
        .map(|run| {
            let waiting = pending.get(&run.id).copied().unwrap_or(0);
            (run, waiting)
        })
        .filter(|(run, waiting)| run.ends_on >= today || *waiting > 0)
        .collect();
    // A stable sort: the runs keep their order within each group.
    shown.sort_by_key(|(_, waiting)| *waiting == 0);
    shown.truncate(HOME_RUNS);
    let (rows, waiting): (Vec<RunRow>, Vec<i64>) = shown.into_iter().unzip();
    let views = run_views(conn, &rows, locale)?;
    let staff: Vec<StaffRun> = rows
        .iter()
        .zip(views)
        .zip(waiting)
        .map(|((run, view), pending_requests)| StaffRun {
            run: view,
            pending_requests,
            ended: run.ends_on < today,
        })
        .collect();
    let earlier = total - staff.len();
    Ok((staff, earlier))
}

#[derive(Serialize)]
struct AdminHome {
    learners: i64,
    trainers: i64,
    coordinators: i64,
    institutions: usize,
}

fn admin_home(conn: &mut DbConnection) -> AppResult<AdminHome> {
    use crate::accounts::store::count_with_role;
    Ok(AdminHome {
        learners: count_with_role(conn, Role::Learner)?,
        trainers: count_with_role(conn, Role::Trainer)?,
        coordinators: count_with_role(conn, Role::Coordinator)?,
        institutions: crate::institutions::list(conn)?.len(),
    })
}
