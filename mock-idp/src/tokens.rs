//! Access tokens: the well-formed ones `/token` issues (RFC 9068 JWTs or opaque strings) and the
//! deliberately broken ones tests mint to prove a resource server rejects them.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::error::IdpError;
use crate::keys::{KeySet, SigningKey};

/// How a minted token is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Signing {
    /// RS256 with the IdP's active key: a genuine signature.
    Valid,
    /// `alg: none` and an empty signature.
    AlgNone,
    /// HS256 keyed with the IdP's RSA public key PEM (algorithm confusion).
    Hs256WithPublicKey,
    /// RS256 with the active key but a `kid` the JWKS does not contain.
    UnknownKid,
    /// RS256 with a key the IdP never published.
    ForeignKey,
}

// The battery's vocabulary is shared with the checks that judge the answers: it lives in
// `mcp-wire` and is re-exported here.
pub use mcp_wire::NegativeToken;

/// A request to mint a token with arbitrary claims.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MintRequest {
    /// The claims, exactly as they will appear.
    pub claims: Map<String, Value>,
    /// How to sign.
    pub signing: Signing,
}

/// A token minted for a test.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MintedToken {
    /// The compact JWT.
    pub token: String,
    /// Its claims.
    pub claims: Map<String, Value>,
    /// How it was signed.
    pub signing: Signing,
}

/// Builds the standard RFC 9068 claim set.
#[allow(clippy::too_many_arguments)]
pub(crate) fn standard_claims(
    iss: &str,
    sub: &str,
    aud: Option<Value>,
    client_id: &str,
    scope: &[String],
    now: i64,
    ttl: i64,
    jti: &str,
) -> Map<String, Value> {
    let mut c = Map::new();
    c.insert("iss".into(), json!(iss));
    c.insert("sub".into(), json!(sub));
    if let Some(aud) = aud {
        c.insert("aud".into(), aud);
    }
    c.insert("exp".into(), json!(now + ttl));
    c.insert("iat".into(), json!(now));
    c.insert("jti".into(), json!(jti));
    c.insert("client_id".into(), json!(client_id));
    if !scope.is_empty() {
        c.insert("scope".into(), json!(scope.join(" ")));
    }
    c
}

/// Signs claims as `signing` says. `typ` is `at+jwt` (RFC 9068 §2.1) for every variant.
pub(crate) fn sign(keys: &KeySet, claims: &Map<String, Value>, signing: Signing) -> Result<String, IdpError> {
    // The header jsonwebtoken would write (same members, same order), signed with the key pair
    // parsed at start-up.
    let rs256 = |key: &SigningKey, kid: &str| {
        let header = json!({ "typ": "at+jwt", "alg": "RS256", "kid": kid });
        let payload = serde_json::to_vec(claims).map_err(|e| IdpError::Signing(e.to_string()))?;
        let input = format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(payload));
        let sig = key.sign_rs256(input.as_bytes())?;
        Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig)))
    };
    match signing {
        Signing::Valid => rs256(keys.active(), &keys.active().kid),
        Signing::UnknownKid => rs256(keys.active(), "unknown-kid-0000"),
        Signing::ForeignKey => rs256(&keys.foreign, &keys.foreign.kid),
        Signing::Hs256WithPublicKey => {
            let mut h = Header::new(Algorithm::HS256);
            h.typ = Some("at+jwt".into());
            h.kid = Some(keys.active().kid.clone());
            let secret = EncodingKey::from_secret(keys.active().public_pem().as_bytes());
            jsonwebtoken::encode(&h, claims, &secret).map_err(|e| IdpError::Signing(e.to_string()))
        }
        Signing::AlgNone => {
            // jsonwebtoken refuses to produce `none` tokens, which is right for a library and
            // exactly what a negative test needs to get around.
            let header = json!({ "alg": "none", "typ": "at+jwt" });
            let enc = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
            Ok(format!("{}.{}.", enc(&header), enc(&Value::Object(claims.clone()))))
        }
    }
}

/// Decodes the payload of a compact JWT without verifying it (for tests and reports).
pub fn unverified_claims(token: &str) -> Option<Map<String, Value>> {
    mcp_wire::jwt::peek(token).map(|p| p.claims)
}

/// Decodes the header of a compact JWT without verifying it.
pub fn unverified_header(token: &str) -> Option<Map<String, Value>> {
    mcp_wire::jwt::peek(token).map(|p| p.header)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{DecodingKey, Validation};

    fn claims() -> Map<String, Value> {
        standard_claims(
            "http://idp",
            "alice",
            Some(json!("http://rs/mcp")),
            "c1",
            &["mcp:read".into()],
            1_900_000_000,
            60,
            "j1",
        )
    }

    #[test]
    fn valid_tokens_verify_against_the_published_key_and_carry_at_jwt() {
        let keys = KeySet::fixed().unwrap();
        let t = sign(&keys, &claims(), Signing::Valid).unwrap();
        assert_eq!(unverified_header(&t).unwrap()["typ"], "at+jwt");
        // Byte for byte what jsonwebtoken writes before the signature (header member order too).
        let mut h = Header::new(Algorithm::RS256);
        h.typ = Some("at+jwt".into());
        h.kid = Some(keys.active().kid.clone());
        let reference = jsonwebtoken::encode(&h, &claims(), keys.active().encoding_key()).unwrap();
        assert_eq!(t.rsplit_once('.').unwrap().0, reference.rsplit_once('.').unwrap().0);
        let mut v = Validation::new(Algorithm::RS256);
        v.set_audience(&["http://rs/mcp"]);
        v.set_issuer(&["http://idp"]);
        let d = jsonwebtoken::decode::<Value>(&t, &keys.active().decoding_key(), &v).unwrap();
        assert_eq!(d.claims["scope"], "mcp:read");
    }

    #[test]
    fn broken_signatures_do_not_verify_with_the_published_key() {
        let keys = KeySet::fixed().unwrap();
        let mut v = Validation::new(Algorithm::RS256);
        v.set_audience(&["http://rs/mcp"]);
        for s in [Signing::ForeignKey, Signing::Hs256WithPublicKey, Signing::AlgNone] {
            let t = sign(&keys, &claims(), s).unwrap();
            assert!(jsonwebtoken::decode::<Value>(&t, &keys.active().decoding_key(), &v).is_err(), "{s:?} verified");
        }
        let none = sign(&keys, &claims(), Signing::AlgNone).unwrap();
        assert!(none.ends_with('.'));
        assert_eq!(unverified_header(&none).unwrap()["alg"], "none");
        let hs = sign(&keys, &claims(), Signing::Hs256WithPublicKey).unwrap();
        // It really is an HMAC over the public PEM: an attacker-side verification succeeds.
        let mut hv = Validation::new(Algorithm::HS256);
        hv.set_audience(&["http://rs/mcp"]);
        let secret = DecodingKey::from_secret(keys.active().public_pem().as_bytes());
        assert!(jsonwebtoken::decode::<Value>(&hs, &secret, &hv).is_ok());
        let uk = sign(&keys, &claims(), Signing::UnknownKid).unwrap();
        assert_eq!(unverified_header(&uk).unwrap()["kid"], "unknown-kid-0000");
    }
}
