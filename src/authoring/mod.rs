//! Trainer authoring: translations and national adaptations of modules edited, checked
//! and reviewed in the browser, section by section, with upstream changes and amended
//! laws tracked. See `courses/README.md` ("Authoring in the browser") for the workflow.

pub mod checks;
