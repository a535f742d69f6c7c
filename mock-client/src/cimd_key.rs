//! The key that signs the client's `private_key_jwt` assertions and whose public half the
//! client's metadata document publishes: per run by default, the committed test key on request.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};

/// The fixed test key (committed, public, worthless): signs only when a test pins it with
/// [`CimdKey::test_key`].
const CIMD_TEST_KEY: &str = include_str!("../keys/cimd-client.pem");
/// The `kid` of the fixed test key.
pub const CIMD_KID: &str = "connector-harness-cimd-1";

/// The key that signs the client's `private_key_jwt` assertions, whose public half the client's
/// metadata host serves as the document's JWKS.
///
/// By default ([`CimdKey::per_run`]) a fresh RSA key, generated on first use once per process
/// (one run of the harness) — never the committed one: `--cimd-base` exposes the JWKS to real
/// IdPs, and a key anyone can read would let anyone sign as that client. One key per process
/// rather than per client: generating one costs a moment of CPU, and tests start dozens of
/// clients at once. [`CimdKey::test_key`] pins the committed key for tests that need the same
/// bytes every run.
#[derive(Clone)]
pub struct CimdKey {
    pinned: bool,
}

/// The key [`CimdKey::per_run`] signs with, made on first use.
static PER_RUN: std::sync::OnceLock<Result<KeyPair, String>> = std::sync::OnceLock::new();
/// The committed test key, parsed on first use.
static TEST_KEY: std::sync::OnceLock<Result<KeyPair, String>> = std::sync::OnceLock::new();

struct KeyPair {
    kid: String,
    public: rsa::RsaPublicKey,
    signing: aws_lc_rs::signature::RsaKeyPair,
}

impl std::fmt::Debug for CimdKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CimdKey").field("pinned", &self.pinned).finish_non_exhaustive()
    }
}

impl Default for CimdKey {
    fn default() -> Self {
        CimdKey::per_run()
    }
}

impl CimdKey {
    /// This process's key, generated when first needed (RSA 2048, a random `kid`).
    pub fn per_run() -> CimdKey {
        CimdKey { pinned: false }
    }

    /// The committed test key with `kid` [`CIMD_KID`]: deterministic, for tests only.
    pub fn test_key() -> CimdKey {
        CimdKey { pinned: true }
    }

    /// Starts making this process's key on a thread of its own, so the first flow that signs
    /// does not wait the ≈ 0.1–0.2 s an RSA 2048 generation takes (`check` and `run` call it
    /// before their first request). Nothing to do for the committed key or a key already made.
    pub fn prepare(&self) {
        if !self.pinned && PER_RUN.get().is_none() {
            let key = self.clone();
            std::thread::spawn(move || {
                let _ = key.pair();
            });
        }
    }

    fn pair(&self) -> Result<&'static KeyPair, crate::ClientError> {
        use rsa::pkcs1::EncodeRsaPrivateKey;
        let cell = if self.pinned { &TEST_KEY } else { &PER_RUN };
        let pair = cell.get_or_init(|| {
            let (kid, key) = if self.pinned {
                let key = rsa::RsaPrivateKey::from_pkcs1_pem(CIMD_TEST_KEY).map_err(|e| e.to_string())?;
                (CIMD_KID.to_owned(), key)
            } else {
                // aws-lc generates in a fraction of the `rsa` crate's time (it was 7 % of a `run`).
                use aws_lc_rs::encoding::AsDer;
                use rsa::pkcs8::DecodePrivateKey;
                let fresh =
                    aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).map_err(|e| e.to_string())?;
                let der = fresh.as_der().map_err(|e| e.to_string())?;
                let key = rsa::RsaPrivateKey::from_pkcs8_der(der.as_ref()).map_err(|e| e.to_string())?;
                (format!("connector-harness-cimd-{}", crate::pkce::hex(8)), key)
            };
            let der = key.to_pkcs1_der().map_err(|e| e.to_string())?;
            let signing = aws_lc_rs::signature::RsaKeyPair::from_der(der.as_bytes()).map_err(|e| e.to_string())?;
            Ok(KeyPair { kid, public: key.to_public_key(), signing })
        });
        pair.as_ref().map_err(|e| crate::ClientError::Signing(e.clone()))
    }

    /// The key's `kid`.
    pub fn kid(&self) -> Result<String, crate::ClientError> {
        Ok(self.pair()?.kid.clone())
    }

    /// The public half, as a JWKS.
    pub fn jwks(&self) -> Result<Value, crate::ClientError> {
        let p = self.pair()?;
        Ok(json!({"keys": [{
            "kty": "RSA", "use": "sig", "alg": "RS256", "kid": p.kid,
            "n": URL_SAFE_NO_PAD.encode(p.public.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(p.public.e().to_bytes_be()),
        }]}))
    }

    /// An RFC 7523 client assertion: RS256, `iss` = `sub` = client id, `aud` = the token
    /// endpoint, 60 s lifetime, random `jti`.
    pub fn assertion(&self, client_id: &str, token_endpoint: &str) -> Result<String, crate::ClientError> {
        let p = self.pair()?;
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let claims = json!({
            "iss": client_id, "sub": client_id, "aud": token_endpoint,
            "iat": now, "exp": now + 60, "jti": crate::pkce::hex(32),
        });
        // The header jsonwebtoken writes for RS256 (same members, same order).
        let header = json!({ "typ": "JWT", "alg": "RS256", "kid": p.kid });
        let input =
            format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
        let mut sig = vec![0u8; p.signing.public_modulus_len()];
        p.signing
            .sign(
                &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                &aws_lc_rs::rand::SystemRandom::new(),
                input.as_bytes(),
                &mut sig,
            )
            .map_err(|e| crate::ClientError::Signing(e.to_string()))?;
        Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig)))
    }
}

/// The public half of the fixed test key, as a JWKS ([`CimdKey::test_key`]; clients sign with
/// their [`crate::ConnectOptions::cimd_key`]).
pub fn cimd_jwks() -> Value {
    CimdKey::test_key().jwks().expect("the shipped test key parses")
}

/// An assertion signed with the fixed test key ([`CimdKey::test_key`]).
pub fn assertion(client_id: &str, token_endpoint: &str) -> Result<String, crate::ClientError> {
    CimdKey::test_key().assertion(client_id, token_endpoint)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verifies(key: &CimdKey, assertion: &str) -> bool {
        let jwks: jsonwebtoken::jwk::JwkSet = serde_json::from_value(key.jwks().unwrap()).unwrap();
        let jwk = &jwks.keys[0];
        let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        v.set_audience(&["https://idp.example/token"]);
        jsonwebtoken::decode::<Value>(assertion, &jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap(), &v).is_ok()
    }

    #[test]
    fn a_run_signs_with_a_key_of_its_own_unless_a_test_pins_the_committed_one() {
        let a = CimdKey::per_run();
        let ja = a.jwks().unwrap();
        assert_ne!(a.kid().unwrap(), CIMD_KID);
        assert_ne!(ja["keys"][0]["n"], cimd_jwks()["keys"][0]["n"], "never the committed key by default");
        // The same run (process): the same key.
        assert_eq!(CimdKey::per_run().jwks().unwrap(), ja);
        let signed = a.assertion("https://c.example/client.json", "https://idp.example/token").unwrap();
        assert!(verifies(&a, &signed));
        assert!(!verifies(&CimdKey::test_key(), &signed), "the committed key's JWKS does not verify it");
        // Pinned: the committed key, the same bytes every time.
        let pinned = CimdKey::test_key();
        assert_eq!(pinned.kid().unwrap(), CIMD_KID);
        assert_eq!(pinned.jwks().unwrap(), cimd_jwks());
        assert!(verifies(&pinned, &assertion("https://c.example/client.json", "https://idp.example/token").unwrap()));
    }

    #[test]
    fn connect_options_default_to_a_key_of_their_own() {
        let o = crate::ConnectOptions::default();
        assert_ne!(o.cimd_key.kid().unwrap(), CIMD_KID);
    }
}
