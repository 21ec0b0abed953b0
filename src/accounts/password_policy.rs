//! What a new password must be: at least 12 characters, at most 128, not one of the
//! 19,640 passwords people choose most often (the list Django ships, in
//! `common-passwords/`, under its BSD licence), nor such a password with digits or
//! symbols added, nor the account's own address or name.

use std::collections::HashSet;
use std::sync::OnceLock;

use crate::validation::FieldErrors;

pub const MIN_CHARS: usize = 12;
pub const MAX_CHARS: usize = 128;

/// The bundled list, lower-cased, read once.
fn common_passwords() -> &'static HashSet<&'static str> {
    static LIST: OnceLock<HashSet<&'static str>> = OnceLock::new();
    LIST.get_or_init(|| {
        include_str!("common-passwords/passwords.txt")
            .lines()
            .filter(|line| !line.is_empty())
            .collect()
    })
}

/// Whether `password` is common: on the list, or a listed word of four or more
/// letters with only digits and symbols around it ("Password2024!", "!qwerty12345").
pub fn is_common(password: &str) -> bool {
    let lower = password.to_lowercase();
    let list = common_passwords();
    if list.contains(lower.as_str()) {
        return true;
    }
    let core = lower.trim_matches(|c: char| c.is_ascii_digit() || c.is_ascii_punctuation() || c.is_whitespace());
    core.chars().count() >= 4 && list.contains(core)
}

/// Whether `password` is no more than the account's address, the part before its
/// `@`, or its name, whatever the case and spaces.
fn is_personal(password: &str, personal: &[&str]) -> bool {
    let squeeze = |text: &str| text.to_lowercase().split_whitespace().collect::<String>();
    let password = squeeze(password);
    personal
        .iter()
        .flat_map(|value| {
            let value = squeeze(value);
            let local = value.split('@').next().unwrap_or_default().to_owned();
            [value, local]
        })
        .any(|value| !value.is_empty() && value == password)
}

/// Checks a new password for `field`; `personal` holds the account's address and
/// name where they are known.
pub fn check_new(errors: &mut FieldErrors, field: &'static str, value: &str, personal: &[&str]) {
    let length = value.chars().count();
    if length == 0 {
        errors.add(field, "validation.password_missing");
    } else if length < MIN_CHARS {
        errors.add_with(
            field,
            "validation.password_too_short",
            vec![("min", MIN_CHARS.to_string())],
        );
    } else if length > MAX_CHARS {
        errors.add_with(field, "validation.too_long", vec![("max", MAX_CHARS.to_string())]);
    } else if is_common(value) {
        errors.add(field, "validation.password_common");
    } else if is_personal(value, personal) {
        errors.add(field, "validation.password_personal");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listed_passwords_and_listed_words_with_digits_added_are_common() {
        for password in ["qwerty123456", "Password1234", "iloveyou2024!!", "1q2w3e4r5t6y"] {
            assert!(is_common(password), "{password}");
        }
        for password in ["correct horse battery", "Шымкент-тергеу-2026", "kx9!Lm2#qP7z"] {
            assert!(!is_common(password), "{password}");
        }
    }

    #[test]
    fn the_accounts_own_address_or_name_is_refused() {
        let mut errors = FieldErrors::new();
        check_new(
            &mut errors,
            "password",
            "aigerim.saparova",
            &["Aigerim.Saparova@mvd.kz", "Айгерим"],
        );
        assert!(errors.has("password"));
        let mut errors = FieldErrors::new();
        check_new(
            &mut errors,
            "password",
            "saparova aigerim 1987",
            &["aigerim.saparova@mvd.kz"],
        );
        assert!(errors.is_empty());
    }
}
