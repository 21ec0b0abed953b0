//! The attendance register as JSON, for tablets in the classroom and for importing
//! registers kept elsewhere. Access is the pages': the run's trainers and the
//! coordinators and administrators who manage it; any other run is a 404.

use actix_web::{web, HttpResponse};
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{LearnerAttendance, SessionInput};
use crate::accounts::guard::SignedIn;
use crate::accounts::model::User;
use crate::accounts::model::UserId;
use crate::app::AppState;
use crate::db::DbConnection;
use crate::enrolment::RunId;
use crate::error::AppResult;
use crate::web::path_id;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/runs/{run}/attendance", web::get().to(register))
        .route("/runs/{run}/attendance/days", web::post().to(add_day))
        .route("/runs/{run}/attendance/days/{day}", web::put().to(record_day));
}

#[derive(Serialize)]
struct DayJson {
    id: i64,
    held_on: NaiveDate,
    topic: String,
    /// Learners recorded present.
    present: Vec<UserId>,
}

#[derive(Serialize)]
struct RegisterJson {
    run_id: RunId,
    min_attendance: Option<i32>,
    days: Vec<DayJson>,
    learners: Vec<LearnerAttendance>,
}

/// The run's days with who was present on each, and each learner's attendance.
fn register_of(conn: &mut DbConnection, user: &User, run_id: RunId) -> AppResult<RegisterJson> {
    let run = super::find_run_for_register(conn, user, run_id)?;
    let sessions = super::sessions_of(conn, run.id)?;
    let mut present = super::present_on_days(conn, run.id)?;
    let held = i64::try_from(sessions.len()).unwrap_or(i64::MAX);
    Ok(RegisterJson {
        run_id: run.id,
        min_attendance: run.min_attendance,
        learners: super::learners_attendance(conn, &run, held)?,
        days: sessions
            .into_iter()
            .map(|s| DayJson {
                present: present.remove(&s.id).unwrap_or_default(),
                id: s.id,
                held_on: s.held_on,
                topic: s.topic,
            })
            .collect(),
    })
}

/// `GET /api/v1/runs/<id>/attendance`.
async fn register(
    state: web::Data<AppState>,
    path: web::Path<String>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let run_id = path_id(&path)?;
    let register = state.db(move |conn| register_of(conn, &user, run_id)).await?;
    Ok(HttpResponse::Ok().json(register))
}

/// `POST /api/v1/runs/<id>/attendance/days` `{"held_on","topic"}` → `201 {"id"}`.
async fn add_day(
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<SessionInput>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let run_id = path_id(&path)?;
    let input = body.into_inner();
    let id = state
        .db(move |conn| {
            let run = super::find_run_for_register(conn, &user, run_id)?;
            super::add_session(conn, &user, &run, &input)
        })
        .await?;
    Ok(HttpResponse::Created().json(serde_json::json!({ "id": id })))
}

#[derive(Deserialize)]
struct PresentBody {
    present: Vec<UserId>,
}

/// `PUT /api/v1/runs/<id>/attendance/days/<day>` `{"present":[user ids]}`: the whole
/// register of the day, as the page saves it; answers with the updated register.
async fn record_day(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: web::Json<PresentBody>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let (run_id, day_id) = (path_id(&path.0)?, path_id(&path.1)?);
    let present = body.into_inner().present;
    let register = state
        .db(move |conn| {
            let run = super::find_run_for_register(conn, &user, run_id)?;
            let session = super::find_session(conn, run.id, day_id)?;
            super::record(conn, &user, &run, &session, &present, Utc::now().naive_utc())?;
            register_of(conn, &user, run_id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(register))
}
