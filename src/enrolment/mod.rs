//! Course runs of training institutions and enrolment in them: self-enrolment,
//! enrolment keys, approval by coordinators, invitations to accept or decline,
//! waitlists that promote the first in line, and a history of every change with who,
//! when and why. Capacity is never exceeded: every change of places happens in a
//! write transaction that, on PostgreSQL, holds an advisory lock for the run.
//!
//! - `model`: ids, the closed sets of settings and states, the rows
//! - `input`: a run's form or JSON fields and their checks
//! - `runs`: creating, changing and finding runs, who sees which, places taken
//! - `places`: the state machine of an enrolment and its history
//! - `access`: who manages runs, who may study a course, the run study counts towards
//! - `trainers`: the trainers of a run
//! - `notices`: status mail and "starting soon" reminders
//! - `bulk`: enrolling a group from a CSV file
//! - `views`: a run as the pages show it; `web` (learners) and `manage` (coordinators)
//!   are the pages, `api` the API

mod access;
pub mod api;
pub mod bulk;
mod input;
mod manage;
mod model;
mod notices;
pub mod personal_data;
mod places;
mod runs;
mod trainers;
pub(crate) mod views;
pub mod web;

pub use access::{certifying_run, latest_admitted_run, manages, may_study, oversight_of, study_country, Oversight};
pub use input::{check_run, input_of, RunFields, RunInput};
pub use model::{
    Categories, EnrolmentId, EnrolmentMode, EnrolmentOfRun, EnrolmentRow, Mode, Person, Phase, RunId, RunJson, RunRow,
    Status, ADMITTED,
};
pub use notices::queue_start_reminders;
pub use places::{
    accept, admitted_learners, approve, decline, enrol_by_manager, enrolments_of_run, enrolments_of_user, invite,
    latest_open_enrolment_run, mark_completed, record_activity, reject, self_enrol, self_enrol_limited, withdraw,
};
pub use runs::{
    courses_running_on, create_run, enrolled_count, enrolled_counts, find_run, find_run_for_manager, find_runs,
    lock_run, open_to, requested_counts, run_jsons, update_run, visible_runs,
};
pub use trainers::{assign_trainer, remove_trainer, runs_taught_by, teaches, trainers_of};
