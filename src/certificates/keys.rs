//! The Ed25519 key that signs certificates as JWTs (EdDSA). It is kept in the
//! database, so that every instance over one database signs with the same key and
//! publishes the same public half at `/.well-known/jwks.json`, where anyone can check a
//! certificate offline: a credential signed by one instance verifies against the keys
//! another serves.

use std::path::Path;

use base64::Engine;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use ed25519_dalek::SigningKey;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::db::{settings, DbConnection};
use crate::error::AppError;

/// Where versions before the key moved into the database kept it. A key found there
/// becomes the installation's key if the database has none yet, so certificates
/// already issued keep verifying.
const KEY_FILE: &str = "certificate-signing.key";
/// The settings row holding the key's 32-byte seed, in base64.
const KEY_SETTING: &str = "certificate_signing_key";

pub struct SigningKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    public: [u8; 32],
    key_id: String,
}

impl std::fmt::Debug for SigningKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKeys({})", self.key_id)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read the certificate signing key {0}: {1}")]
    File(String, std::io::Error),
    #[error("the certificate signing key in {0} is damaged")]
    Damaged(String),
    #[error("cannot read or store the certificate signing key in the database: {0}")]
    Database(#[from] diesel::result::Error),
}

fn encode(seed: &[u8; 32]) -> String {
    base64::engine::general_purpose::STANDARD.encode(seed)
}

fn decode(text: &str) -> Option<[u8; 32]> {
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .ok()?
        .try_into()
        .ok()
}

impl SigningKeys {
    /// The installation's key from the database. On the first start it is stored
    /// there: the key an earlier version left in `<data dir>/certificate-signing.key`,
    /// or a new one. Instances starting together each offer theirs, and all use the
    /// one stored first.
    pub fn load_or_create(conn: &mut DbConnection, data_dir: &Path) -> Result<SigningKeys, KeyError> {
        let file = data_dir.join(KEY_FILE);
        let from_file = if file.exists() {
            let shown = file.display().to_string();
            let bytes = std::fs::read(&file).map_err(|e| KeyError::File(shown.clone(), e))?;
            Some(<[u8; 32]>::try_from(bytes).map_err(|_| KeyError::Damaged(shown))?)
        } else {
            None
        };
        if settings::get(conn, KEY_SETTING)?.is_none() {
            let offered = from_file.unwrap_or_else(|| {
                let mut seed = [0u8; 32];
                rand::thread_rng().fill_bytes(&mut seed);
                seed
            });
            if settings::set_if_absent(conn, KEY_SETTING, &encode(&offered))? && from_file.is_some() {
                tracing::info!(file = %file.display(), "the certificate signing key moved into the database");
            }
        }
        let stored = settings::get(conn, KEY_SETTING)?.unwrap_or_default();
        let seed = decode(&stored).ok_or_else(|| KeyError::Damaged(format!("the setting {KEY_SETTING}")))?;
        if from_file.is_some_and(|own| own != seed) {
            tracing::warn!(
                file = %file.display(),
                "this data directory's certificate signing key is not the one in the database and is no longer \
                 used: credentials signed with it before verify again once fetched anew"
            );
        }
        Self::from_seed(&seed, KEY_SETTING)
    }

    fn from_seed(seed: &[u8; 32], shown: &str) -> Result<SigningKeys, KeyError> {
        let shown = shown.to_owned();
        let signing = SigningKey::from_bytes(seed);
        let der = signing.to_pkcs8_der().map_err(|_| KeyError::Damaged(shown.clone()))?;
        let public = signing.verifying_key().to_bytes();
        let x = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(public);
        let key_id: String = Sha256::digest(public)
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok(SigningKeys {
            encoding: EncodingKey::from_ed_der(der.as_bytes()),
            decoding: DecodingKey::from_ed_components(&x).map_err(|_| KeyError::Damaged(shown))?,
            public,
            key_id,
        })
    }

    /// The public key as a JSON Web Key Set.
    pub fn jwks(&self) -> serde_json::Value {
        serde_json::json!({
            "keys": [{
                "kty": "OKP",
                "crv": "Ed25519",
                "x": base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.public),
                "kid": self.key_id,
                "alg": "EdDSA",
                "use": "sig",
            }]
        })
    }

    pub fn sign<T: Serialize>(&self, claims: &T) -> Result<String, AppError> {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.key_id.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding)
            .map_err(|e| AppError::internal(format!("cannot sign a certificate: {e}")))
    }

    /// Checks a token's signature with this installation's key.
    pub fn verify<T: DeserializeOwned>(&self, token: &str) -> Option<T> {
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        jsonwebtoken::decode::<T>(token, &self.decoding, &validation)
            .ok()
            .map(|d| d.claims)
    }
}
