//! Quizzes: GIFT question files per language, attempts graded on the server, essay
//! grading by trainers and item statistics.

pub mod api;
pub mod attempts;
pub mod format;
pub mod gift;
pub mod grading;
pub mod import;
pub mod moodle;
pub mod statistics;
pub mod views;
pub mod web;
