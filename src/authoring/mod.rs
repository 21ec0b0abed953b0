//! Trainer authoring: translations and national adaptations of modules edited, checked
//! and reviewed in the browser, section by section, with upstream changes and amended
//! laws tracked. See `courses/README.md` ("Authoring in the browser") for the workflow
//! and README.md ("Authoring API") for the JSON API.
//!
//! - `model`: cells, revision states and origins, freshness;
//! - `store`: the queries on the revision and source tables;
//! - `lineage`: which text each text was made from, and freshness;
//! - `access`: who may edit and approve;
//! - `workflow`: draft, submit, approve, request changes, confirm, drop, rollback;
//! - `checks`: the quality checks run before submission;
//! - `sync`: the courses folder brought in without undoing browser work;
//! - `publish`: learners' pages rendered from approved text;
//! - `status`: the progress of every text; `api`: the JSON API;
//! - `pages`: the overview (`/authoring`), a module text's page and the review queue;
//! - `editor`: the section editor with its preview, checks, review and history;
//! - `views`: what those pages show (names, labels, diffs, previews);
//! - `law_table`: the law tables' proposals, approvals and amendments, and
//!   `law_pages` their editor's pages;
//! - `glossary`: the agreed terms of each language (`glossary_terms`), and
//!   `glossary_pages` their editor's pages;
//! - `files`: the law tables and glossaries written back as files for the export;
//! - `digest`: the daily email telling each trainer what waits for them.

pub mod access;
pub mod api;
pub mod checks;
pub mod diff;
pub mod digest;
pub mod editor;
pub mod export;
pub mod files;
pub mod glossary;
pub mod glossary_pages;
pub mod law_pages;
pub mod law_table;
pub mod lineage;
pub mod model;
pub mod pages;
pub mod publish;
pub mod status;
pub mod store;
pub mod sync;
pub mod views;
pub mod workflow;
