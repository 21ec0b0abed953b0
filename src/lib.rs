//! Bilim: a learning management system for computer-based cybercrime training.
//!
//! Modules are organised by capability; each owns its models, queries and the logic
//! behind its pages and API endpoints.

rust_i18n::i18n!("locales");

pub mod accounts;
pub mod cli;
pub mod config;
pub mod courses;
pub mod db;
pub mod demo;
pub mod enrolment;
pub mod error;
pub mod i18n;
pub mod institutions;
pub mod mail;
pub mod quizzes;
pub mod server;
pub mod validation;
pub mod web;
