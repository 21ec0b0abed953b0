//! Bilim: a learning management system for computer-based cybercrime training.
//!
//! Modules are organised by capability; each owns its models, queries and the logic
//! behind its pages and API endpoints.

rust_i18n::i18n!("locales");

/// Declares a closed set of values stored as text, with its stored codes, so the
/// database, forms and JSON agree on one spelling.
#[macro_export]
macro_rules! text_enum {
    ($name:ident { $($variant:ident => $code:literal),+ $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub const fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            pub fn from_code(code: &str) -> Option<$name> {
                match code { $($code => Some($name::$variant),)+ _ => None }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.code())
            }
        }
    };
}

pub mod accounts;
pub mod attendance;
pub mod certificates;
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
pub mod reports;
pub mod server;
pub mod validation;
pub mod web;
