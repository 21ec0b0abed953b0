//! Quizzes: GIFT question files per language, attempts graded on the server, essay
//! grading by trainers and item statistics.
//!
//! The imported quizzes are read through `store`; `draw` picks an attempt's questions
//! and hides their answers; `attempts` starts, saves and submits them, `grading`
//! scores each response and `results` keeps the totals; `essays` is the trainers'
//! side. `views` says what a question shows, `web` and `api` serve it.

pub mod answer_form;
pub mod api;
pub mod attempts;
pub mod draw;
pub mod essays;
pub mod format;
pub mod gift;
pub mod grading;
pub mod import;
pub mod moodle;
pub mod personal_data;
pub mod results;
pub mod statistics;
pub mod store;
pub mod teach;
pub mod views;
pub mod web;
