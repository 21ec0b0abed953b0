//! Configuration from environment variables (documented in README.md).

use std::path::{Path, PathBuf};

use anyhow::Context;
use rand::RngCore;

use crate::db::DatabaseUrl;
use crate::i18n::Locale;
use crate::web::proxies::{ForwardedHeader, TrustedProxies};

#[derive(Debug, Clone)]
pub struct Config {
    pub bind: String,
    pub data_dir: PathBuf,
    pub database: DatabaseUrl,
    pub default_locale: Locale,
    pub secret: Secret,
    pub site_name: String,
    /// An optional logo file (SVG, PNG or JPEG) shown in the header.
    pub logo_file: Option<PathBuf>,
    /// The public address, used in links printed on the console and sent by mail.
    pub public_url: String,
    /// Whether session cookies carry the `Secure` flag (on when the public URL is https).
    pub secure_cookies: bool,
    /// The courses folder imported at start.
    pub courses_dir: PathBuf,
    /// `BILIM_SMTP_URL`: SMTP server for outgoing mail; without it mail goes to files.
    pub smtp_url: Option<String>,
    /// `BILIM_MAIL_FROM`: the sender of outgoing mail.
    pub mail_from: String,
    /// `BILIM_REQUIRE_TWO_FACTOR`: trainers, coordinators and administrators must sign
    /// in with a second factor.
    pub require_two_factor: bool,
    /// `BILIM_ACCESS_LOG`: a line per request in the log. Off by default: writing it
    /// cost 10–20 % of the requests a second served (measured with wrk, see README).
    pub access_log: bool,
    /// `BILIM_BODY_TIMEOUT`: how long a client may take to send a request's body, in
    /// seconds, so that slow senders cannot hold connections open.
    pub body_timeout: std::time::Duration,
    /// The load balancers whose forwarding header names the client's address, so rate
    /// limits see the client behind them (`BILIM_TRUSTED_PROXIES`,
    /// `BILIM_FORWARDED_HEADER`).
    pub trusted_proxies: TrustedProxies,
}

/// The key that signs session tokens and CSRF tokens. Its `Debug` never shows it.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl Secret {
    pub fn new(bytes: Vec<u8>) -> Self {
        Secret(bytes)
    }

    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

const SECRET_FILE: &str = "secret.key";

/// An on/off setting: unset, `false`, `0` or `no` is off; `true`, `1` or `yes` is on;
/// anything else stops the server with the setting's name.
fn switch(name: &str, value: Option<String>) -> anyhow::Result<bool> {
    match value.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        None | Some("false" | "0" | "no") => Ok(false),
        Some("true" | "1" | "yes") => Ok(true),
        Some(other) => anyhow::bail!("{name} must be true or false, not {other:?}"),
    }
}

impl Config {
    /// Reads the environment. Creates the data directory and, when `BILIM_SECRET` is
    /// unset, a random secret kept in it, so logins survive restarts.
    pub fn from_env() -> anyhow::Result<Config> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let data_dir = PathBuf::from(var("BILIM_DATA_DIR").unwrap_or_else(|| "./data".into()));
        std::fs::create_dir_all(&data_dir)
            .with_context(|| format!("cannot create the data directory {}", data_dir.display()))?;
        let database_url =
            var("DATABASE_URL").unwrap_or_else(|| format!("sqlite://{}", data_dir.join("bilim.db").display()));
        let database = DatabaseUrl::parse(&database_url)?;
        let default_locale = match var("BILIM_DEFAULT_LOCALE") {
            Some(code) => Locale::from_code(&code)
                .with_context(|| format!("BILIM_DEFAULT_LOCALE must be one of ru kk ky tg tk uz en, not {code:?}"))?,
            None => Locale::Ru,
        };
        let secret = match var("BILIM_SECRET") {
            Some(secret) if secret.len() >= 32 => Secret(secret.into_bytes()),
            Some(_) => anyhow::bail!("BILIM_SECRET must be at least 32 characters long"),
            None => load_or_create_secret(&data_dir)?,
        };
        let bind = var("BILIM_BIND").unwrap_or_else(|| "127.0.0.1:8080".into());
        let public_url = var("BILIM_PUBLIC_URL")
            .unwrap_or_else(|| format!("http://{bind}"))
            .trim_end_matches('/')
            .to_owned();
        let logo_file = var("BILIM_LOGO").map(PathBuf::from);
        if let Some(logo) = &logo_file {
            anyhow::ensure!(logo.is_file(), "BILIM_LOGO {} is not a file", logo.display());
        }
        // The old switch believed whatever address a client wrote into the headers.
        // Turning it off stays harmless; turning it on stops the server with directions.
        let old_switch = var("BILIM_TRUST_PROXY").map(|v| v.trim().to_ascii_lowercase());
        anyhow::ensure!(
            matches!(old_switch.as_deref(), None | Some("false" | "0" | "no")),
            "BILIM_TRUST_PROXY is no longer read: it let any client choose the address rate limits \
             count. Remove it, and behind a load balancer set BILIM_TRUSTED_PROXIES to the \
             balancers' addresses or ranges instead (e.g. BILIM_TRUSTED_PROXIES=10.0.0.0/8,127.0.0.1)"
        );
        let header = match var("BILIM_FORWARDED_HEADER") {
            None => ForwardedHeader::default(),
            Some(name) => ForwardedHeader::parse(&name).with_context(|| {
                format!("BILIM_FORWARDED_HEADER must be X-Forwarded-For or Forwarded, not {name:?}")
            })?,
        };
        let trusted_proxies = TrustedProxies::parse(&var("BILIM_TRUSTED_PROXIES").unwrap_or_default(), header)
            .map_err(|e| {
                anyhow::anyhow!("BILIM_TRUSTED_PROXIES must list IP addresses or CIDR ranges separated by commas: {e}")
            })?;
        let body_timeout = match var("BILIM_BODY_TIMEOUT") {
            Some(seconds) => match seconds.trim().parse::<u64>() {
                Ok(seconds @ 1..=3600) => std::time::Duration::from_secs(seconds),
                _ => anyhow::bail!("BILIM_BODY_TIMEOUT must be a number of seconds from 1 to 3600, not {seconds:?}"),
            },
            None => std::time::Duration::from_secs(30),
        };
        let require_two_factor = switch("BILIM_REQUIRE_TWO_FACTOR", var("BILIM_REQUIRE_TWO_FACTOR"))?;
        let access_log = switch("BILIM_ACCESS_LOG", var("BILIM_ACCESS_LOG"))?;
        Ok(Config {
            require_two_factor,
            access_log,
            body_timeout,
            trusted_proxies,
            secure_cookies: public_url.starts_with("https://"),
            bind,
            data_dir,
            database,
            default_locale,
            secret,
            courses_dir: PathBuf::from(var("BILIM_COURSES_DIR").unwrap_or_else(|| "courses".into())),
            smtp_url: var("BILIM_SMTP_URL"),
            mail_from: var("BILIM_MAIL_FROM").unwrap_or_else(|| "Bilim <no-reply@bilim.localhost>".into()),
            site_name: var("BILIM_SITE_NAME").unwrap_or_else(|| "Bilim".into()),
            logo_file,
            public_url,
        })
    }
}

fn load_or_create_secret(data_dir: &Path) -> anyhow::Result<Secret> {
    let path = data_dir.join(SECRET_FILE);
    if path.exists() {
        let bytes = std::fs::read(&path).with_context(|| format!("cannot read the secret {}", path.display()))?;
        anyhow::ensure!(bytes.len() >= 32, "the secret in {} is too short", path.display());
        return Ok(Secret(bytes));
    }
    let mut bytes = vec![0u8; 64];
    rand::thread_rng().fill_bytes(&mut bytes);
    write_private_file(&path, &bytes).with_context(|| format!("cannot write the secret {}", path.display()))?;
    Ok(Secret(bytes))
}

/// Writes a file readable by its owner only.
pub fn write_private_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod switch_tests {
    use super::switch;

    #[test]
    fn a_switch_is_off_unless_said_on_and_a_typo_names_the_setting() {
        for off in [None, Some("false"), Some("0"), Some(" No ")] {
            assert!(
                matches!(switch("BILIM_ACCESS_LOG", off.map(str::to_owned)), Ok(false)),
                "{off:?}"
            );
        }
        for on in ["true", "1", "YES"] {
            assert!(
                matches!(switch("BILIM_ACCESS_LOG", Some(on.to_owned())), Ok(true)),
                "{on}"
            );
        }
        let typo = switch("BILIM_ACCESS_LOG", Some("on please".to_owned()));
        assert!(matches!(typo, Err(e) if e.to_string().contains("BILIM_ACCESS_LOG must be true or false")));
    }
}
