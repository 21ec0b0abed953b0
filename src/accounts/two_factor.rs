//! Two-factor sign-in: a time-based one-time password (TOTP, RFC 6238: HMAC-SHA1, six
//! digits, 30-second steps) from an authenticator app, and ten one-time recovery codes
//! for a lost phone. A code is accepted one step either side of now, and each step
//! once: a code seen over a shoulder is of no use a second time.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use hmac::{Hmac, Mac};
use rand::{Rng, RngCore};
use sha2::{Digest, Sha256};

use crate::accounts::model::{User, UserId};
use crate::db::schema::{recovery_codes, two_factor};
use crate::db::{self, DbConnection};
use crate::error::{AppError, AppResult};

/// Seconds per step.
const STEP_SECONDS: i64 = 30;
/// Steps either side of now a code is accepted in, for clocks a little apart.
const DRIFT_STEPS: i64 = 1;
/// Recovery codes made at a time.
pub const RECOVERY_CODES: usize = 10;

/// RFC 4648 base32 without padding, as authenticator apps take secrets.
fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for byte in bytes {
        buffer = (buffer << 8) | u32::from(*byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            let index = usize::try_from((buffer >> bits) & 31).unwrap_or(0);
            out.push(char::from(ALPHABET.get(index).copied().unwrap_or(b'A')));
        }
    }
    if bits > 0 {
        let index = usize::try_from((buffer << (5 - bits)) & 31).unwrap_or(0);
        out.push(char::from(ALPHABET.get(index).copied().unwrap_or(b'A')));
    }
    out
}

fn from_base32(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for c in text.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let value = match c.to_ascii_uppercase() {
            letter @ 'A'..='Z' => u32::from(letter) - u32::from('A'),
            digit @ '2'..='7' => u32::from(digit) - u32::from('2') + 26,
            _ => return None,
        };
        buffer = (buffer << 5) | value;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((buffer >> bits) & 0xff).ok()?);
        }
    }
    Some(out)
}

/// The six-digit code of `secret` at `counter` (RFC 4226's HOTP, truncated).
fn code_at(secret: &[u8], counter: i64) -> Option<u32> {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret).ok()?;
    mac.update(&counter.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = usize::from(hash.get(19)? & 0x0f);
    let word = hash.get(offset..offset + 4)?;
    let number = u32::from_be_bytes([word.first()? & 0x7f, *word.get(1)?, *word.get(2)?, *word.get(3)?]);
    Some(number % 1_000_000)
}

/// The time step of a moment.
fn step_of(at: NaiveDateTime) -> i64 {
    at.and_utc().timestamp().div_euclid(STEP_SECONDS)
}

/// The step whose code `typed` is, within the drift allowed and after `last_step`.
fn matching_step(secret: &[u8], typed: &str, now: NaiveDateTime, last_step: i64) -> Option<i64> {
    let digits: String = typed.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
    if digits.len() != 6 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let typed: u32 = digits.parse().ok()?;
    let now = step_of(now);
    (now - DRIFT_STEPS..=now + DRIFT_STEPS)
        .filter(|step| *step > last_step)
        .find(|step| code_at(secret, *step) == Some(typed))
}

/// One user's authenticator setup as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = two_factor)]
pub struct Setup {
    pub user_id: UserId,
    /// Base32, as the app was given it.
    pub secret: String,
    pub confirmed_at: Option<NaiveDateTime>,
    pub last_step: i64,
    pub created_at: NaiveDateTime,
}

/// Minutes an unconfirmed setup may be confirmed in.
const SETUP_MINUTES: i64 = 10;

impl Setup {
    pub fn is_on(&self) -> bool {
        self.confirmed_at.is_some()
    }

    /// An unconfirmed setup older than [`SETUP_MINUTES`]: no longer confirmable.
    fn is_stale(&self, now: NaiveDateTime) -> bool {
        !self.is_on() && now - self.created_at > chrono::Duration::minutes(SETUP_MINUTES)
    }

    /// The `otpauth://` address an authenticator app reads from the QR code.
    pub fn provisioning_uri(&self, issuer: &str, account: &str) -> String {
        let encode =
            |text: &str| percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string();
        format!(
            "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits=6&period={STEP_SECONDS}",
            encode(issuer),
            encode(account),
            self.secret,
            encode(issuer)
        )
    }

    /// The secret in groups of four, easier to type by hand than to read from a line.
    pub fn secret_grouped(&self) -> String {
        self.secret
            .as_bytes()
            .chunks(4)
            .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

pub fn setup_of(conn: &mut DbConnection, user_id: UserId) -> AppResult<Option<Setup>> {
    Ok(two_factor::table
        .find(user_id)
        .select(Setup::as_select())
        .first(conn)
        .optional()?)
}

/// Whether the user signs in with a second factor.
pub fn is_on(conn: &mut DbConnection, user_id: UserId) -> AppResult<bool> {
    Ok(setup_of(conn, user_id)?.is_some_and(|setup| setup.is_on()))
}

/// The setup being made: the one begun earlier, or a new secret. A setup that is on
/// already is returned as it is.
pub fn begin(conn: &mut DbConnection, user_id: UserId) -> AppResult<Setup> {
    let now = Utc::now().naive_utc();
    match setup_of(conn, user_id)? {
        Some(setup) if setup.is_on() || !setup.is_stale(now) => return Ok(setup),
        // A setup begun long ago and never confirmed is replaced: whoever saw its
        // secret then (someone who had the password for a moment) must not hold the
        // secret the owner confirms later.
        Some(_) => {
            diesel::delete(
                two_factor::table
                    .find(user_id)
                    .filter(two_factor::confirmed_at.is_null()),
            )
            .execute(conn)?;
        }
        None => {}
    }
    let mut secret = [0u8; 20];
    rand::thread_rng().fill_bytes(&mut secret);
    let inserted = diesel::insert_into(two_factor::table)
        .values((
            two_factor::user_id.eq(user_id),
            two_factor::secret.eq(base32(&secret)),
            two_factor::last_step.eq(0_i64),
            two_factor::created_at.eq(now),
        ))
        .execute(conn);
    match inserted {
        // Two pages opened at once: the other one's setup stands.
        Ok(_) | Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)) => {}
        Err(other) => return Err(other.into()),
    }
    setup_of(conn, user_id)?.ok_or_else(|| AppError::internal("a new two-factor setup was not stored"))
}

/// Checks `typed` against the user's authenticator and uses its step up, atomically
/// (the update only succeeds from the step read), so one code never works twice.
fn use_code(conn: &mut DbConnection, setup: &Setup, typed: &str, now: NaiveDateTime) -> AppResult<bool> {
    let Some(secret) = from_base32(&setup.secret) else {
        return Err(AppError::internal("a stored two-factor secret is not base32"));
    };
    let Some(step) = matching_step(&secret, typed, now, setup.last_step) else {
        return Ok(false);
    };
    let used = diesel::update(
        two_factor::table
            .find(setup.user_id)
            .filter(two_factor::last_step.eq(setup.last_step)),
    )
    .set(two_factor::last_step.eq(step))
    .execute(conn)?;
    Ok(used == 1)
}

fn code_hash(code: &str) -> String {
    let normalised: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    format!("{:x}", Sha256::digest(normalised.as_bytes()))
}

/// Ten new recovery codes, replacing any earlier ones; shown to the user once.
pub fn new_recovery_codes(conn: &mut DbConnection, user_id: UserId) -> AppResult<Vec<String>> {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";
    let mut rng = rand::thread_rng();
    let codes: Vec<String> = (0..RECOVERY_CODES)
        .map(|_| {
            let mut code: String = (0..10)
                .map(|_| char::from(ALPHABET.get(rng.gen_range(0..ALPHABET.len())).copied().unwrap_or(b'x')))
                .collect();
            code.insert(5, '-');
            code
        })
        .collect();
    db::write_transaction(conn, |conn| {
        diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id))).execute(conn)?;
        for code in &codes {
            diesel::insert_into(recovery_codes::table)
                .values((
                    recovery_codes::user_id.eq(user_id),
                    recovery_codes::code_hash.eq(code_hash(code)),
                ))
                .execute(conn)?;
        }
        Ok::<(), AppError>(())
    })?;
    Ok(codes)
}

/// How many unused recovery codes the user has left.
pub fn recovery_codes_left(conn: &mut DbConnection, user_id: UserId) -> AppResult<i64> {
    Ok(recovery_codes::table
        .filter(recovery_codes::user_id.eq(user_id))
        .filter(recovery_codes::used_at.is_null())
        .count()
        .get_result(conn)?)
}

/// Uses up a recovery code if it is one of the user's unused ones.
fn use_recovery_code(conn: &mut DbConnection, user_id: UserId, typed: &str, now: NaiveDateTime) -> AppResult<bool> {
    let used = diesel::update(
        recovery_codes::table
            .filter(recovery_codes::user_id.eq(user_id))
            .filter(recovery_codes::code_hash.eq(code_hash(typed)))
            .filter(recovery_codes::used_at.is_null()),
    )
    .set(recovery_codes::used_at.eq(now))
    .execute(conn)?;
    Ok(used > 0)
}

/// What a second-factor check accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    AppCode,
    RecoveryCode,
}

/// Checks a code typed at sign-in: the app's current code, or a recovery code.
pub fn check(conn: &mut DbConnection, user: &User, typed: &str, now: NaiveDateTime) -> AppResult<Option<Accepted>> {
    let Some(setup) = setup_of(conn, user.id)?.filter(Setup::is_on) else {
        return Ok(None);
    };
    if use_code(conn, &setup, typed, now)? {
        return Ok(Some(Accepted::AppCode));
    }
    if use_recovery_code(conn, user.id, typed, now)? {
        return Ok(Some(Accepted::RecoveryCode));
    }
    Ok(None)
}

/// Turns the setup on once the user has typed a first code from their app; returns
/// the recovery codes to show. A wrong code changes nothing.
pub fn confirm(
    conn: &mut DbConnection,
    user: &User,
    typed: &str,
    now: NaiveDateTime,
) -> AppResult<Option<Vec<String>>> {
    let Some(setup) = setup_of(conn, user.id)? else {
        return Ok(None);
    };
    if setup.is_on() || setup.is_stale(now) || !use_code(conn, &setup, typed, now)? {
        return Ok(None);
    }
    diesel::update(two_factor::table.find(user.id))
        .set(two_factor::confirmed_at.eq(now))
        .execute(conn)?;
    Ok(Some(new_recovery_codes(conn, user.id)?))
}

/// Turns two-factor sign-in off: the secret and the recovery codes go.
pub fn turn_off(conn: &mut DbConnection, user_id: UserId) -> AppResult<()> {
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id))).execute(conn)?;
    diesel::delete(two_factor::table.find(user_id)).execute(conn)?;
    Ok(())
}

/// The QR code of `text` as SVG markup, drawn with squares of the page's text colour.
pub fn qr_svg(text: &str) -> AppResult<String> {
    let code = qrcodegen::QrCode::encode_text(text, qrcodegen::QrCodeEcc::Medium)
        .map_err(|e| AppError::internal(format!("cannot draw a QR code: {e:?}")))?;
    let size = code.size();
    let border = 4;
    let mut path = String::new();
    for y in 0..size {
        for x in 0..size {
            if code.get_module(x, y) {
                path.push_str(&format!("M{},{}h1v1h-1z", x + border, y + border));
            }
        }
    }
    let side = size + 2 * border;
    Ok(format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}" width="220" height="220" aria-hidden="true" focusable="false" shape-rendering="crispEdges"><rect width="100%" height="100%" fill="#fff"/><path d="{path}" fill="#000"/></svg>"##
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    fn at(seconds: i64) -> NaiveDateTime {
        DateTime::from_timestamp(seconds, 0).unwrap_or_default().naive_utc()
    }

    /// RFC 6238 appendix B, SHA-1, the last six digits of each eight-digit code.
    #[test]
    fn codes_match_the_rfc_test_vectors() {
        let secret = b"12345678901234567890";
        for (seconds, code) in [
            (59, 287_082),
            (1_111_111_109, 81_804),
            (1_111_111_111, 50_471),
            (1_234_567_890, 5_924),
            (2_000_000_000, 279_037),
            (20_000_000_000, 353_130),
        ] {
            assert_eq!(code_at(secret, step_of(at(seconds))), Some(code), "{seconds}");
        }
    }

    #[test]
    fn base32_round_trips_and_matches_the_rfc() {
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(from_base32("MZXW 6YTB OI"), Some(b"foobar".to_vec()));
        assert_eq!(from_base32("not base32!"), None);
    }

    #[test]
    fn a_code_is_taken_one_step_either_side_and_only_after_the_last_used() {
        let secret = b"12345678901234567890";
        let now = at(1_111_111_111);
        let step = step_of(now);
        assert_eq!(matching_step(secret, "050 471", now, 0), Some(step));
        let previous = format!("{:06}", code_at(secret, step - 1).unwrap_or_default());
        assert_eq!(matching_step(secret, &previous, now, 0), Some(step - 1));
        assert_eq!(matching_step(secret, "050471", now, step), None, "used already");
        assert_eq!(matching_step(secret, "12345", now, 0), None);
    }
}
