//! Field-level validation results shared by every form and JSON body: which field is
//! wrong and the locale key that says why. Rendering turns them into an error summary
//! and messages beside the fields in the user's language.

use std::borrow::Cow;

use crate::error::AppError;
use crate::i18n::{self, Locale};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The form field's name, which is also the input's `id`.
    pub field: Cow<'static, str>,
    pub key: &'static str,
    /// Placeholder values for the message, such as a length limit.
    pub args: Vec<(&'static str, String)>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(Vec<FieldError>);

#[derive(Debug, Clone, serde::Serialize)]
pub struct LocalisedFieldError {
    pub field: Cow<'static, str>,
    pub message: String,
}

impl FieldErrors {
    pub fn new() -> Self {
        FieldErrors(Vec::new())
    }

    /// A single invalid field, for problems found one at a time (a taken address).
    pub fn one(field: &'static str, key: &'static str) -> Self {
        let mut errors = FieldErrors::new();
        errors.add(field, key);
        errors
    }

    pub fn add(&mut self, field: &'static str, key: &'static str) {
        self.add_with(field, key, Vec::new());
    }

    pub fn add_with(&mut self, field: &'static str, key: &'static str, args: Vec<(&'static str, String)>) {
        self.push(Cow::Borrowed(field), key, args);
    }

    /// For fields whose names are made at run time, such as one per quiz question.
    pub fn add_named(&mut self, field: String, key: &'static str) {
        self.push(Cow::Owned(field), key, Vec::new());
    }

    /// [`FieldErrors::add_named`] with placeholder values, such as the question's number.
    pub fn add_named_with(&mut self, field: String, key: &'static str, args: Vec<(&'static str, String)>) {
        self.push(Cow::Owned(field), key, args);
    }

    fn push(&mut self, field: Cow<'static, str>, key: &'static str, args: Vec<(&'static str, String)>) {
        // One message per field: the first problem found is the one to fix first.
        if !self.0.iter().any(|e| e.field == field) {
            self.0.push(FieldError { field, key, args });
        }
    }

    /// The same errors in the order of `fields`, the order a form shows its fields, so
    /// the error summary reads as the form does; fields not named keep their order,
    /// after the others.
    pub fn in_order(mut self, fields: &[&str]) -> Self {
        self.0
            .sort_by_key(|error| fields.iter().position(|f| *f == error.field).unwrap_or(fields.len()));
        self
    }

    /// The same errors with `from` called `to`: for a page with several forms whose
    /// fields share a name in the model (each form's comment box has its own id).
    pub fn renamed(mut self, from: &str, to: &'static str) -> Self {
        for error in &mut self.0 {
            if error.field == from {
                error.field = Cow::Borrowed(to);
            }
        }
        self
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn has(&self, field: &str) -> bool {
        self.0.iter().any(|e| e.field == field)
    }

    pub fn iter(&self) -> impl Iterator<Item = &FieldError> {
        self.0.iter()
    }

    /// `Ok(value)` when nothing was recorded, otherwise [`AppError::Invalid`] with
    /// every field recorded.
    pub fn check<T>(self, value: T) -> Result<T, AppError> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(AppError::Invalid(self))
        }
    }

    /// One line that names every problem, for the API's `error` summary: with one
    /// invalid field it is that field's message.
    pub fn summary(&self, locale: Locale) -> String {
        self.localise(locale)
            .into_iter()
            .map(|e| e.message)
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub fn localise(&self, locale: Locale) -> Vec<LocalisedFieldError> {
        self.0
            .iter()
            .map(|e| {
                let args: Vec<(&str, &str)> = e.args.iter().map(|(k, v)| (*k, v.as_str())).collect();
                LocalisedFieldError {
                    field: e.field.clone(),
                    message: i18n::t_with(locale, e.key, &args),
                }
            })
            .collect()
    }
}

/// A control character that no text field may hold. Tabs and line breaks are
/// ordinary in long answers and reasons; NUL and the other controls never are, and
/// PostgreSQL refuses NUL in text outright.
pub fn is_forbidden_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// A character that reorders text around it (embedding, override and isolate controls,
/// the directional marks and the Arabic letter mark): invisible, in a name it could make
/// "Ivanov" read as someone else's on a page or a certificate. No language of the
/// region needs them in a name.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Checks that a text is one plain line, as a name or a position must be: a line
/// break (Alt+Enter in a spreadsheet cell) has its own message; any other control
/// character or a bidirectional control is refused too.
pub fn one_line(errors: &mut FieldErrors, field: &'static str, value: &str) {
    if value.contains(['\n', '\r']) {
        errors.add(field, "validation.line_break");
    } else if value.chars().any(|c| is_forbidden_control(c) || is_bidi_control(c)) {
        errors.add(field, "validation.control_characters");
    }
}

/// Trims and checks a required one-line text field (a name, a title) against a length
/// limit in characters; control characters and bidirectional controls are refused.
pub fn required_text(
    errors: &mut FieldErrors,
    field: &'static str,
    value: &str,
    max_chars: usize,
    missing_key: &'static str,
) -> String {
    let value = value.trim();
    if value.is_empty() {
        errors.add(field, missing_key);
    } else if value.chars().count() > max_chars {
        errors.add_with(field, "validation.too_long", vec![("max", max_chars.to_string())]);
    } else if value.chars().any(|c| c.is_control() || is_bidi_control(c)) {
        errors.add(field, "validation.control_characters");
    }
    value.to_owned()
}

/// Lower-cases and checks an email address: one `@`, a dotted domain, no spaces.
pub fn email(errors: &mut FieldErrors, field: &'static str, value: &str) -> String {
    let value = value.trim().to_lowercase();
    if value.is_empty() {
        errors.add(field, "validation.email_missing");
        return value;
    }
    let valid = value.chars().count() <= 254
        && !value.chars().any(|c| c.is_whitespace() || c.is_control())
        && match value.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            }
            None => false,
        };
    // `.invalid` is reserved (RFC 2606) and names erased accounts here: no one may
    // register or be given such an address.
    if !valid || value.ends_with(".invalid") {
        errors.add(field, "validation.email_invalid");
    }
    value
}
