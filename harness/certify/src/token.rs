//! Looking at an issued access token as an MCP server would: a JWT's header and claims, its
//! signature against the IdP's JWKS; for an opaque token, what introspection said.

use serde_json::{Map, Value};

/// How the signature check went.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signature {
    /// Verified with this key.
    Verified {
        /// The key's `kid` (may be empty).
        kid: String,
        /// The algorithm.
        alg: String,
    },
    /// No JWKS key fits the token's `kid`/`alg`.
    NoKey(String),
    /// A key fits, and the signature does not verify with it.
    Invalid(String),
    /// Not checked, and why (no JWKS, not a JWT).
    NotChecked(String),
}

/// What the harness learned about one access token.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TokenView {
    /// The JOSE header, when the token is a JWT.
    pub header: Option<Map<String, Value>>,
    /// The claims, when the token is a JWT.
    pub claims: Option<Map<String, Value>>,
    /// The signature check (JWTs).
    pub signature: Option<Signature>,
    /// The introspection response (`active`, `aud`, `exp` …), when one was made.
    pub introspection: Option<Value>,
}

/// A JWT's segments decoded, without verification; `None` for anything that is not a JWS.
pub fn decode(token: &str) -> Option<(Map<String, Value>, Map<String, Value>)> {
    mcp_wire::jwt::peek(token).map(|p| (p.header, p.claims))
}

/// Verifies a JWT's signature against a JWKS document (the key chosen by `kid`, else every key of
/// a fitting type); claims are not validated here.
pub fn verify(token: &str, jwks: &Value) -> Signature {
    let header = match jsonwebtoken::decode_header(token) {
        Ok(h) => h,
        Err(e) => return Signature::NotChecked(format!("not a verifiable JWS header: {e}")),
    };
    let set: jsonwebtoken::jwk::JwkSet = match serde_json::from_value(jwks.clone()) {
        Ok(s) => s,
        Err(e) => return Signature::NotChecked(format!("the JWKS does not parse: {e}")),
    };
    let alg = format!("{:?}", header.alg);
    let candidates: Vec<&jsonwebtoken::jwk::Jwk> = set
        .keys
        .iter()
        .filter(|k| match (&header.kid, &k.common.key_id) {
            (Some(want), Some(have)) => want == have,
            (Some(_), None) => false,
            (None, _) => true,
        })
        .collect();
    if candidates.is_empty() {
        return Signature::NoKey(format!(
            "no key in the JWKS has kid {:?} (the JWKS lists {:?})",
            header.kid.as_deref().unwrap_or("(none)"),
            set.keys.iter().filter_map(|k| k.common.key_id.clone()).collect::<Vec<_>>()
        ));
    }
    let mut validation = jsonwebtoken::Validation::new(header.alg);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let mut last = String::new();
    for k in candidates {
        let key = match jsonwebtoken::DecodingKey::from_jwk(k) {
            Ok(key) => key,
            Err(e) => {
                last = format!("key {:?} is unusable: {e}", k.common.key_id);
                continue;
            }
        };
        match jsonwebtoken::decode::<Value>(token, &key, &validation) {
            Ok(_) => return Signature::Verified { kid: k.common.key_id.clone().unwrap_or_default(), alg },
            Err(e) => last = format!("{alg} signature does not verify with key {:?}: {e}", k.common.key_id),
        }
    }
    Signature::Invalid(last)
}

impl TokenView {
    /// Whether the token is a JWT.
    pub fn is_jwt(&self) -> bool {
        self.claims.is_some()
    }

    fn claim(&self, k: &str) -> Option<&Value> {
        self.claims
            .as_ref()
            .and_then(|c| c.get(k))
            .or_else(|| self.introspection.as_ref().filter(|i| i.get("active") == Some(&Value::Bool(true)))?.get(k))
    }

    /// The audience as a list (a string `aud` is one entry); `None` when the token has none or
    /// nothing could be learned.
    pub fn audience(&self) -> Option<Vec<String>> {
        match self.claim("aud")? {
            Value::String(s) => Some(vec![s.clone()]),
            Value::Array(a) => Some(a.iter().filter_map(Value::as_str).map(str::to_owned).collect()),
            _ => None,
        }
    }

    /// Whether anything about the audience can be known (a JWT, or an active introspection).
    pub fn audience_knowable(&self) -> bool {
        self.is_jwt() || self.introspection.as_ref().is_some_and(|i| i.get("active") == Some(&Value::Bool(true)))
    }

    /// `iss`.
    pub fn issuer(&self) -> Option<&str> {
        self.claim("iss").and_then(Value::as_str)
    }

    /// `exp − iat` in seconds (JWT or introspection).
    pub fn lifetime(&self) -> Option<i64> {
        let n = |k: &str| self.claim(k).and_then(Value::as_i64);
        Some(n("exp")? - n("iat")?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn verifies_tokens_of_the_mock_idp_against_its_jwks() {
        let idp = mock_idp::MockIdp::builder().start().await.unwrap();
        let jwks: Value = reqwest::get(idp.jwks_uri()).await.unwrap().json().await.unwrap();
        let good = idp.mint_valid("https://mcp.example.com/mcp", &["mcp:read"]).unwrap();
        assert!(matches!(verify(&good.token, &jwks), Signature::Verified { ref alg, .. } if alg == "RS256"));
        let (h, c) = decode(&good.token).unwrap();
        assert_eq!(h["typ"], "at+jwt");
        let view = TokenView { header: Some(h), claims: Some(c), ..Default::default() };
        assert_eq!(view.audience().unwrap(), ["https://mcp.example.com/mcp"]);
        assert_eq!(view.lifetime(), Some(3600));
        for kind in [mock_idp::NegativeToken::ForeignKey, mock_idp::NegativeToken::UnknownKid] {
            let bad = idp.mint_negative(kind, "https://mcp.example.com/mcp", &[]).unwrap();
            assert!(!matches!(verify(&bad.token, &jwks), Signature::Verified { .. }), "{kind:?}");
        }
        assert!(decode("opaque-token").is_none());
        let opaque = TokenView {
            introspection: Some(serde_json::json!({"active": true, "aud": ["a", "b"], "iat": 1, "exp": 61})),
            ..Default::default()
        };
        assert_eq!(opaque.audience().unwrap(), ["a", "b"]);
        assert!(opaque.audience_knowable() && !opaque.is_jwt());
        assert_eq!(opaque.lifetime(), Some(60));
        idp.shutdown().await;
    }
}
