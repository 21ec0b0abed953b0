//! Problems found in a courses folder, each with its file, line and severity, so that
//! the validator can print them and the importer can skip what has errors.

use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub path: PathBuf,
    pub line: usize,
    pub severity: Severity,
    pub message: String,
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{}:{}: {severity}: {}", self.path.display(), self.line, self.message)
    }
}

#[derive(Debug, Default)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    pub fn error(&mut self, path: &Path, line: usize, message: impl Into<String>) {
        self.push(path, line, Severity::Error, message.into());
    }

    pub fn warning(&mut self, path: &Path, line: usize, message: impl Into<String>) {
        self.push(path, line, Severity::Warning, message.into());
    }

    fn push(&mut self, path: &Path, line: usize, severity: Severity, message: String) {
        self.0.push(Diagnostic {
            path: path.to_path_buf(),
            line,
            severity,
            message,
        });
    }

    pub fn all(&self) -> &[Diagnostic] {
        &self.0
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }

    /// Whether any error concerns a file under `dir`.
    pub fn has_errors_under(&self, dir: &Path) -> bool {
        self.0
            .iter()
            .any(|d| d.severity == Severity::Error && d.path.starts_with(dir))
    }

    /// Puts the problems in file and line order, errors before warnings on a line.
    pub(super) fn sort(&mut self) {
        self.0.sort_by(|a, b| {
            a.path
                .cmp(&b.path)
                .then(a.line.cmp(&b.line))
                .then(a.severity.cmp(&b.severity))
        });
    }
}
