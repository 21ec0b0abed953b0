//! Accounts: users, roles, passwords, sessions, registration, profiles, the first
//! administrator's setup and the administrators' user management.

pub mod admin;
pub mod api;
pub mod guard;
pub mod invite;
pub mod model;
pub mod password;
pub mod password_policy;
pub mod personal_data;
pub mod recovery;
pub mod service;
pub mod session;
pub mod setup;
pub mod store;
pub mod throttle;
pub mod time_zone;
pub mod tokens;
pub mod two_factor;
pub mod two_factor_web;
pub mod web;
