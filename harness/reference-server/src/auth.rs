//! Bearer credentials: reading the `Authorization` header (RFC 6750 §2.1) and validating RFC 9068
//! JWT access tokens against the authorization server's JWKS.
//!
//! MCP 2025-06-18 and 2025-11-25 §Token Handling: the server MUST validate access tokens as
//! OAuth 2.1 §5.2 describes and MUST only accept tokens issued for itself (audience, RFC 8707).
//! Validation here is RFC 9068 §4 in this order — header (`alg` RS256 only, `typ` `at+jwt`),
//! key by `kid`, signature, then claims (`iss` exact, `exp` required and in the future, `nbf`
//! not in the future, `aud` equal to or containing the resource, `sub` present) — with
//! [`LEEWAY_SECS`] of clock skew. Every failure is a description for `error_description`, never a
//! panic or a server error.

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use jsonwebtoken::{Algorithm, Validation};
use serde_json::{Map, Value};

use super::faults::{Fault, Faults};
use super::jwks::{JwksCache, KeyError};

/// Clock skew tolerated on `exp` and `nbf`, in seconds.
pub const LEEWAY_SECS: i64 = 30;
/// Longest token looked at; anything longer is invalid without parsing.
const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// What the `Authorization` header holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Credentials {
    /// No `Authorization` header.
    Absent,
    /// Another scheme (`Basic …`, `DPoP …`): no Bearer credentials. RFC 6750 §3.1: a request
    /// "attempted using an unsupported authentication method" is answered like one without any
    /// authentication information (401, no `error`), and RFC 9110 §11.6.1's challenge then tells
    /// the client which scheme to use.
    OtherScheme,
    /// `Bearer <token>`, syntactically well formed.
    Bearer(String),
    /// A Bearer header that cannot be read (RFC 6750 §3.1 `invalid_request`, HTTP 400).
    Malformed(&'static str),
}

/// Reads the `Authorization` header. Malformed, answered with 400 `invalid_request`:
/// several `Authorization` headers ("repeats the same parameter"), `Bearer` without a token, more
/// than one token or scheme in the value, a token outside the RFC 6750 §2.1 `b64token` syntax, or
/// a value that is not visible ASCII. The scheme name is case-insensitive (RFC 9110 §11.1).
pub(crate) fn credentials(headers: &HeaderMap) -> Credentials {
    let mut all = headers.get_all(AUTHORIZATION).iter();
    let Some(value) = all.next() else { return Credentials::Absent };
    if all.next().is_some() {
        return Credentials::Malformed("more than one Authorization header");
    }
    let Ok(value) = value.to_str() else {
        return Credentials::Malformed("the Authorization header is not visible ASCII");
    };
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Credentials::OtherScheme;
    }
    let token = rest.trim_matches(' ');
    if token.is_empty() {
        return Credentials::Malformed("Bearer without a token");
    }
    if token.contains([' ', '\t', ',']) {
        return Credentials::Malformed("more than one token or scheme in the Authorization header");
    }
    if !is_b64token(token) {
        return Credentials::Malformed("the token is not RFC 6750 b64token syntax");
    }
    Credentials::Bearer(token.to_owned())
}

/// `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="` (RFC 6750 §2.1).
fn is_b64token(t: &str) -> bool {
    let body = t.trim_end_matches('=');
    !body.is_empty() && body.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

/// The authenticated caller, from a validated token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Principal {
    /// `sub`.
    pub sub: String,
    /// `client_id` (RFC 9068 §2.2), if present.
    pub client_id: Option<String>,
    /// `scope`, split on spaces (RFC 9068 §2.2.3).
    pub scopes: Vec<String>,
}

impl Principal {
    /// The caller of a request without a token under mixed authentication: no `sub` (a validated
    /// token always has a non-empty one), no scopes.
    pub(crate) fn anonymous() -> Principal {
        Principal { sub: String::new(), client_id: None, scopes: Vec::new() }
    }

    /// Whether this is [`Principal::anonymous`].
    pub(crate) fn is_anonymous(&self) -> bool {
        self.sub.is_empty()
    }

    pub(crate) fn has_all(&self, needed: &[String]) -> bool {
        needed.iter().all(|s| self.scopes.contains(s))
    }
}

/// What a token must satisfy.
#[derive(Debug, Clone)]
pub(crate) struct Rules<'a> {
    pub expected_issuer: &'a str,
    pub resource: &'a str,
    pub faults: &'a Faults,
}

/// Validates a JWT access token; `Err` is the `error_description`.
pub(crate) async fn validate(token: &str, jwks: &JwksCache, rules: &Rules<'_>, now: i64) -> Result<Principal, String> {
    let claims = verify_signature(token, jwks, rules.faults).await?;
    check_claims(&claims, rules, now)
}

/// Header checks, key lookup and signature verification; returns the claims.
async fn verify_signature(token: &str, jwks: &JwksCache, faults: &Faults) -> Result<Map<String, Value>, String> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err("the token is too long".into());
    }
    let parts: Vec<&str> = token.splitn(4, '.').collect();
    if parts.len() != 3 {
        return Err("the token is not a JWS compact serialization (three dot-separated parts)".into());
    }
    let header = decode_object(parts[0]).ok_or("the token header is not base64url JSON")?;
    let text = |k: &str| header.get(k).and_then(Value::as_str);
    // RFC 9068 §4: the typ header must be at+jwt (media types compare case-insensitively).
    let typ = text("typ").unwrap_or_default();
    if !typ.eq_ignore_ascii_case("at+jwt") && !typ.eq_ignore_ascii_case("application/at+jwt") {
        return Err(format!("typ `{}` is not at+jwt (RFC 9068)", printable(typ)));
    }
    if faults.has(Fault::SkipSignatureCheck) {
        return decode_object(parts[1]).ok_or_else(|| "the token payload is not base64url JSON".into());
    }
    // Only the algorithm the AS signs with: rejects `none`, and HS256 keyed with the public key.
    let alg = text("alg").unwrap_or_default();
    if alg != "RS256" {
        return Err(format!("alg `{}` is not accepted (RS256 only)", printable(alg)));
    }
    if let Some(claims) = jwks.verified(token) {
        return Ok(Map::clone(&claims));
    }
    let key = jwks.key(text("kid")).await.map_err(|e| match e {
        KeyError::UnknownKid(k) => format!("no key `{}` in the authorization server's JWKS", printable(&k)),
        KeyError::NoKid => "the token has no kid and the JWKS holds several keys".into(),
        KeyError::Unavailable(why) => format!("the authorization server's keys are unavailable: {why}"),
    })?;
    let mut v = Validation::new(Algorithm::RS256);
    // Claims are checked by `check_claims`, one switchable rule at a time.
    v.required_spec_claims.clear();
    v.validate_exp = false;
    v.validate_nbf = false;
    v.validate_aud = false;
    let claims = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &v)
        .map(|d| d.claims)
        .map_err(|e| format!("signature verification failed: {e}"))?;
    jwks.remember(token, std::sync::Arc::new(claims.clone()));
    Ok(claims)
}

/// The claim rules of RFC 9068 §4 and MCP §Token Handling.
pub(crate) fn check_claims(c: &Map<String, Value>, rules: &Rules<'_>, now: i64) -> Result<Principal, String> {
    let f = rules.faults;
    let text = |k: &str| c.get(k).and_then(Value::as_str);
    if !f.has(Fault::SkipIssuerCheck) && text("iss") != Some(rules.expected_issuer) {
        return Err(format!("iss is not `{}`", rules.expected_issuer));
    }
    let exp = c.get("exp").and_then(Value::as_f64).ok_or("the token has no numeric exp")?;
    if !f.has(Fault::SkipExpiryCheck) && exp + (LEEWAY_SECS as f64) <= now as f64 {
        return Err("the token has expired".into());
    }
    if let Some(nbf) = c.get("nbf") {
        let nbf = nbf.as_f64().ok_or("nbf is not a number")?;
        if !f.has(Fault::SkipNbfCheck) && nbf > (now + LEEWAY_SECS) as f64 {
            return Err("the token is not valid yet (nbf)".into());
        }
    }
    if !f.has(Fault::SkipAudienceCheck) {
        // RFC 7519 §4.1.3: `aud` is a string or an array of strings, compared exactly.
        let ok = match c.get("aud") {
            Some(Value::String(a)) => a == rules.resource,
            Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(rules.resource)),
            _ => false,
        };
        if !ok {
            return Err(format!("aud does not contain this resource `{}`", rules.resource));
        }
    }
    let sub = text("sub").filter(|s| !s.is_empty()).ok_or("the token has no sub")?;
    let scopes = text("scope").map(|s| s.split_whitespace().map(str::to_owned).collect()).unwrap_or_default();
    Ok(Principal { sub: sub.to_owned(), client_id: text("client_id").map(str::to_owned), scopes })
}

fn decode_object(part: &str) -> Option<Map<String, Value>> {
    mcp_wire::jwt::segment(part)
}

/// A value quoted back in a description, cut short and restricted to safe characters.
fn printable(s: &str) -> String {
    s.chars().take(64).filter(|c| c.is_ascii_graphic() && *c != '"' && *c != '\\').collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use serde_json::json;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(AUTHORIZATION, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn authorization_header_forms() {
        assert_eq!(credentials(&headers(&[])), Credentials::Absent);
        assert_eq!(credentials(&headers(&["Bearer abc.def-_~+/=="])), Credentials::Bearer("abc.def-_~+/==".into()));
        assert_eq!(credentials(&headers(&["bearer   abc"])), Credentials::Bearer("abc".into()));
        assert_eq!(credentials(&headers(&["Basic dXNlcjpwYXNz"])), Credentials::OtherScheme);
        assert_eq!(credentials(&headers(&["DPoP abc"])), Credentials::OtherScheme);
        for bad in
            [&["Bearer"][..], &["Bearer "], &["Bearer a b"], &["Bearer a, Basic b"], &["Bearer a$b"], &["Bearer ="]]
        {
            assert!(matches!(credentials(&headers(bad)), Credentials::Malformed(_)), "{bad:?}");
        }
        assert!(matches!(credentials(&headers(&["Bearer a", "Bearer b"])), Credentials::Malformed(_)));
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, HeaderValue::from_bytes(b"Bearer \xe9").unwrap());
        assert!(matches!(credentials(&h), Credentials::Malformed(_)));
    }

    const RES: &str = "http://127.0.0.1:1/mcp";
    const NOW: i64 = 1_900_000_000;

    fn claims() -> Map<String, Value> {
        let v = json!({"iss": "http://idp", "sub": "alice", "aud": RES, "exp": NOW + 60, "iat": NOW,
                       "client_id": "c1", "scope": "mcp:read  mcp:write"});
        v.as_object().unwrap().clone()
    }

    fn check(c: &Map<String, Value>, faults: &[Fault]) -> Result<Principal, String> {
        let f = Faults::new(faults);
        check_claims(c, &Rules { expected_issuer: "http://idp", resource: RES, faults: &f }, NOW)
    }

    fn with(k: &str, v: Value) -> Map<String, Value> {
        let mut c = claims();
        c.insert(k.into(), v);
        c
    }

    #[test]
    fn valid_claims_give_the_principal() {
        let p = check(&claims(), &[]).unwrap();
        assert_eq!(p.sub, "alice");
        assert_eq!(p.client_id.as_deref(), Some("c1"));
        assert_eq!(p.scopes, ["mcp:read", "mcp:write"]);
        assert!(p.has_all(&["mcp:write".into()]) && !p.has_all(&["admin".into()]));
        assert!(check(&with("aud", json!(["other", RES])), &[]).is_ok());
        // Within the leeway.
        assert!(check(&with("exp", json!(NOW - 10)), &[]).is_ok());
        assert!(check(&with("nbf", json!(NOW + 10)), &[]).is_ok());
    }

    #[test]
    fn each_claim_rule_rejects_and_its_fault_lets_it_pass() {
        let cases = [
            (with("iss", json!("http://evil")), Fault::SkipIssuerCheck),
            (with("exp", json!(NOW - 3600)), Fault::SkipExpiryCheck),
            (with("nbf", json!(NOW + 3600)), Fault::SkipNbfCheck),
            (with("aud", json!("http://127.0.0.1:1/mcp-other")), Fault::SkipAudienceCheck),
            (with("aud", json!(["a", "b"])), Fault::SkipAudienceCheck),
            (with("aud", json!(RES.to_owned() + "/")), Fault::SkipAudienceCheck),
        ];
        for (c, fault) in cases {
            assert!(check(&c, &[]).is_err(), "{c:?}");
            assert!(check(&c, &[fault]).is_ok(), "{fault:?}");
        }
        let mut no_aud = claims();
        no_aud.remove("aud");
        assert!(check(&no_aud, &[]).unwrap_err().contains("aud"));
        for k in ["exp", "sub"] {
            let mut c = claims();
            c.remove(k);
            assert!(check(&c, &[]).is_err(), "{k}");
        }
        assert!(check(&with("exp", json!("soon")), &[]).is_err());
        assert!(check(&with("nbf", json!("now")), &[]).is_err());
    }

    #[tokio::test]
    async fn header_checks_come_before_any_key_lookup() {
        let jwks = JwksCache::new("http://127.0.0.1:9/jwks".into());
        let f = Faults::default();
        let enc = |v: Value| URL_SAFE_NO_PAD.encode(v.to_string());
        let body = enc(Value::Object(claims()));
        let cases = [
            (format!("{}.{body}.", enc(json!({"alg": "none", "typ": "at+jwt"}))), "alg `none`"),
            (format!("{}.{body}.c2ln", enc(json!({"alg": "HS256", "typ": "at+jwt"}))), "alg `HS256`"),
            (format!("{}.{body}.c2ln", enc(json!({"alg": "RS256", "typ": "JWT"}))), "typ `JWT`"),
            (format!("{}.{body}.c2ln", enc(json!({"alg": "RS256"}))), "typ ``"),
            ("not-a-jwt".to_owned(), "three dot-separated"),
            ("a.b.c.d.e".to_owned(), "three dot-separated"),
            ("!!.b.c".to_owned(), "header"),
            ("x".repeat(MAX_TOKEN_BYTES + 1), "too long"),
        ];
        for (t, want) in cases {
            let e = verify_signature(&t, &jwks, &f).await.unwrap_err();
            assert!(e.contains(want), "{e} lacks {want}");
        }
        let ok_typ = format!("{}.{body}.", enc(json!({"alg": "none", "typ": "application/AT+JWT"})));
        let skip = Faults::new(&[Fault::SkipSignatureCheck]);
        assert_eq!(verify_signature(&ok_typ, &jwks, &skip).await.unwrap()["sub"], "alice");
        // With keys unavailable, an RS256 token is refused with a description, not a panic.
        let rs = format!("{}.{body}.c2ln", enc(json!({"alg": "RS256", "typ": "at+jwt", "kid": "k"})));
        assert!(verify_signature(&rs, &jwks, &f).await.unwrap_err().contains("unavailable"));
    }

    #[tokio::test]
    async fn a_verified_token_skips_the_signature_check_but_not_the_header_rules() {
        let jwks = JwksCache::new("http://127.0.0.1:9/jwks".into());
        let f = Faults::default();
        let enc = |v: Value| URL_SAFE_NO_PAD.encode(v.to_string());
        let body = enc(Value::Object(claims()));
        let rs = format!("{}.{body}.c2ln", enc(json!({"alg": "RS256", "typ": "at+jwt", "kid": "k"})));
        assert!(verify_signature(&rs, &jwks, &f).await.is_err(), "no key, no signature: refused");
        // As after a good signature: the same token is not verified again.
        jwks.remember(&rs, std::sync::Arc::new(claims()));
        assert_eq!(verify_signature(&rs, &jwks, &f).await.unwrap()["sub"], "alice");
        // The header rules run before the cache: a remembered token with a wrong typ stays refused.
        let jwt = format!("{}.{body}.c2ln", enc(json!({"alg": "RS256", "typ": "JWT", "kid": "k"})));
        jwks.remember(&jwt, std::sync::Arc::new(claims()));
        assert!(verify_signature(&jwt, &jwks, &f).await.unwrap_err().contains("typ"));
    }
}
