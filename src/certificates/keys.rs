//! The Ed25519 key that signs certificates as JWTs (EdDSA). It is generated on first
//! start and kept in the data directory; its public half is published at
//! `/.well-known/jwks.json`, so anyone can check a certificate offline.

use std::path::Path;

use base64::Engine;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use ed25519_dalek::SigningKey;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::AppError;

const KEY_FILE: &str = "certificate-signing.key";

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
    #[error("cannot read or write the certificate signing key {0}: {1}")]
    File(String, std::io::Error),
    #[error("the certificate signing key in {0} is damaged")]
    Damaged(String),
}

impl SigningKeys {
    /// Loads the key from the data directory, creating it on first start.
    pub fn load_or_create(data_dir: &Path) -> Result<SigningKeys, KeyError> {
        let path = data_dir.join(KEY_FILE);
        let shown = path.display().to_string();
        let seed: [u8; 32] = if path.exists() {
            let bytes = std::fs::read(&path).map_err(|e| KeyError::File(shown.clone(), e))?;
            bytes.try_into().map_err(|_| KeyError::Damaged(shown.clone()))?
        } else {
            let mut seed = [0u8; 32];
            rand::thread_rng().fill_bytes(&mut seed);
            crate::config::write_private_file(&path, &seed).map_err(|e| KeyError::File(shown.clone(), e))?;
            seed
        };
        let signing = SigningKey::from_bytes(&seed);
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
