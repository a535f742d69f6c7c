//! Signing keys and the JWKS the mock IdP publishes.
//!
//! Tests must not pay for 2048-bit key generation on every run, so the default key set is three
//! fixed keys shipped in `keys/` (see the README there: they are public and worthless). Fresh keys
//! are generated only when a user asks (`generate_keys: true`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
#[cfg(test)]
use jsonwebtoken::DecodingKey;
#[cfg(test)]
use jsonwebtoken::EncodingKey;
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde_json::{Value, json};

use crate::error::IdpError;

const SIGNING_1: &str = include_str!("../keys/signing-1.pem");
const SIGNING_2: &str = include_str!("../keys/signing-2.pem");
const FOREIGN: &str = include_str!("../keys/foreign.pem");

/// One RSA key with its `kid`.
#[derive(Clone)]
pub struct SigningKey {
    /// Key id, published in the JWKS and put in token headers.
    pub kid: String,
    public: RsaPublicKey,
    /// jsonwebtoken's view of the key (the tests compare its tokens with ours).
    #[cfg(test)]
    encoding: EncodingKey,
    /// The same key parsed once for aws-lc: parsing validates the key, which costs more than
    /// the signature itself.
    pair: std::sync::Arc<aws_lc_rs::signature::RsaKeyPair>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("SigningKey").field("kid", &self.kid).finish_non_exhaustive()
    }
}

impl SigningKey {
    fn from_private(kid: &str, private: RsaPrivateKey) -> Result<Self, IdpError> {
        let err = |reason: String| IdpError::Key { kid: kid.to_owned(), reason };
        let der = private.to_pkcs1_der().map_err(|e| err(e.to_string()))?;
        let pair = aws_lc_rs::signature::RsaKeyPair::from_der(der.as_bytes()).map_err(|e| err(e.to_string()))?;
        Ok(SigningKey {
            kid: kid.to_owned(),
            public: private.to_public_key(),
            #[cfg(test)]
            encoding: EncodingKey::from_rsa_der(der.as_bytes()),
            pair: std::sync::Arc::new(pair),
        })
    }

    /// An RSASSA-PKCS1-v1_5 SHA-256 signature (RS256, RFC 7518 §3.3) of `message`.
    pub(crate) fn sign_rs256(&self, message: &[u8]) -> Result<Vec<u8>, IdpError> {
        let mut sig = vec![0u8; self.pair.public_modulus_len()];
        let rng = aws_lc_rs::rand::SystemRandom::new();
        self.pair
            .sign(&aws_lc_rs::signature::RSA_PKCS1_SHA256, &rng, message, &mut sig)
            .map_err(|e| IdpError::Signing(e.to_string()))?;
        Ok(sig)
    }

    fn from_pem(kid: &str, pem: &str) -> Result<Self, IdpError> {
        let private =
            RsaPrivateKey::from_pkcs1_pem(pem).map_err(|e| IdpError::Key { kid: kid.into(), reason: e.to_string() })?;
        Self::from_private(kid, private)
    }

    fn generate(kid: &str) -> Result<Self, IdpError> {
        let private = RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048)
            .map_err(|e| IdpError::Key { kid: kid.into(), reason: e.to_string() })?;
        Self::from_private(kid, private)
    }

    /// The key as jsonwebtoken signs with it.
    #[cfg(test)]
    pub fn encoding_key(&self) -> &EncodingKey {
        &self.encoding
    }

    /// A verification key (what a resource server builds from the JWKS).
    #[cfg(test)]
    pub fn decoding_key(&self) -> DecodingKey {
        let n = URL_SAFE_NO_PAD.encode(self.public.n().to_bytes_be());
        let e = URL_SAFE_NO_PAD.encode(self.public.e().to_bytes_be());
        DecodingKey::from_rsa_components(&n, &e).expect("components of a valid RSA key")
    }

    /// The public key as SPKI PEM — the bytes an algorithm-confusion attacker uses as an HMAC secret.
    pub fn public_pem(&self) -> String {
        self.public.to_public_key_pem(LineEnding::LF).unwrap_or_default()
    }

    /// The key as a JWK (RFC 7517 §4, RFC 7518 §6.3.1).
    pub fn jwk(&self) -> Value {
        json!({
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": self.kid,
            "n": URL_SAFE_NO_PAD.encode(self.public.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(self.public.e().to_bytes_be()),
        })
    }
}

/// The IdP's keys: the published ones (first is active until rotated) and a foreign one it never
/// publishes.
#[derive(Debug, Clone)]
pub struct KeySet {
    /// Published keys.
    pub published: Vec<SigningKey>,
    /// Index of the key that signs new tokens.
    pub active: usize,
    /// A key nobody trusts.
    pub foreign: SigningKey,
}

impl KeySet {
    /// The fixed test keys: parsed once per process (parsing validates each key, which costs more
    /// than a signature, and every embedded IdP a `run` starts loads them).
    pub fn fixed() -> Result<KeySet, IdpError> {
        // The error is kept as its parts (`IdpError` is not `Clone`); parsing gives only `Key`.
        static FIXED: std::sync::OnceLock<Result<KeySet, (String, String)>> = std::sync::OnceLock::new();
        FIXED
            .get_or_init(|| {
                Self::parse_fixed().map_err(|e| match e {
                    IdpError::Key { kid, reason } => (kid, reason),
                    other => ("fixed keys".into(), other.to_string()),
                })
            })
            .clone()
            .map_err(|(kid, reason)| IdpError::Key { kid, reason })
    }

    fn parse_fixed() -> Result<KeySet, IdpError> {
        Ok(KeySet {
            published: vec![
                SigningKey::from_pem("test-key-1", SIGNING_1)?,
                SigningKey::from_pem("test-key-2", SIGNING_2)?,
            ],
            active: 0,
            foreign: SigningKey::from_pem("foreign-key-1", FOREIGN)?,
        })
    }

    /// Fresh keys, with random key ids.
    pub fn generate() -> Result<KeySet, IdpError> {
        let tag = crate::random::token(6);
        Ok(KeySet {
            published: vec![
                SigningKey::generate(&format!("gen-{tag}-1"))?,
                SigningKey::generate(&format!("gen-{tag}-2"))?,
            ],
            active: 0,
            foreign: SigningKey::generate(&format!("foreign-{tag}"))?,
        })
    }

    /// The key that signs now.
    pub fn active(&self) -> &SigningKey {
        &self.published[self.active]
    }

    /// Makes the next published key the active one; both stay in the JWKS, so tokens signed
    /// before the rotation keep verifying.
    pub fn rotate(&mut self) {
        self.active = (self.active + 1) % self.published.len();
    }

    /// The JWKS document.
    pub fn jwks(&self) -> Value {
        json!({ "keys": self.published.iter().map(SigningKey::jwk).collect::<Vec<_>>() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_keys_load_and_publish_two_distinct_kids() {
        let ks = KeySet::fixed().unwrap();
        let jwks = ks.jwks();
        let keys = jwks["keys"].as_array().unwrap();
        assert_eq!(keys.len(), 2);
        assert_ne!(keys[0]["kid"], keys[1]["kid"]);
        assert_ne!(keys[0]["n"], keys[1]["n"]);
        assert_eq!(keys[0]["e"], "AQAB");
        // The foreign key is never published.
        assert!(!jwks.to_string().contains(&ks.foreign.kid));
        assert!(ks.active().public_pem().starts_with("-----BEGIN PUBLIC KEY-----"));
    }

    #[test]
    fn rotation_changes_the_active_key() {
        let mut ks = KeySet::fixed().unwrap();
        let before = ks.active().kid.clone();
        ks.rotate();
        assert_ne!(before, ks.active().kid);
    }
}
