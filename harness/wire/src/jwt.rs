//! Reading a JWT without verifying it: its header and claims, for reports, checks and the
//! decisions that come before a signature check (which key, which audience). Never a basis for
//! trusting a token: verification lives with whoever holds the keys.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

/// A compact JWS's header and claims, decoded but not verified.
#[derive(Debug, Clone, PartialEq)]
pub struct Peeked {
    /// The JOSE header.
    pub header: Map<String, Value>,
    /// The claims.
    pub claims: Map<String, Value>,
}

/// The header and claims of a compact JWS (`header.claims.signature`, exactly three segments),
/// without verifying it; `None` for anything else. Trailing `=` padding on a segment is tolerated
/// (some issuers pad); each segment must decode to a JSON object.
pub fn peek(token: &str) -> Option<Peeked> {
    let mut parts = token.split('.');
    let (h, c, _sig) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    Some(Peeked { header: segment(h.trim_end_matches('='))?, claims: segment(c.trim_end_matches('='))? })
}

/// One unpadded base64url segment decoded as a JSON object; `None` when it is not one.
pub fn segment(part: &str) -> Option<Map<String, Value>> {
    let bytes = URL_SAFE_NO_PAD.decode(part).ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn enc(v: &Value) -> String {
        URL_SAFE_NO_PAD.encode(v.to_string())
    }

    #[test]
    fn peeks_header_and_claims_of_a_three_segment_token() {
        let t = format!("{}.{}.sig", enc(&json!({"alg": "RS256", "kid": "k1"})), enc(&json!({"sub": "u", "aud": "x"})));
        let p = peek(&t).expect("a JWS");
        assert_eq!(p.header["kid"], "k1");
        assert_eq!(p.claims["sub"], "u");
        // Padded segments (some issuers pad) still read.
        let padded = format!("{}==.{}.", enc(&json!({"alg": "none"})), enc(&json!({"a": 1})));
        assert_eq!(peek(&padded).expect("padded").header["alg"], "none");
    }

    #[test]
    fn refuses_what_is_not_a_compact_jws_of_objects() {
        let h = enc(&json!({"alg": "RS256"}));
        assert!(peek("opaque-token").is_none());
        assert!(peek(&format!("{h}.{h}")).is_none(), "two segments");
        assert!(peek(&format!("{h}.{h}.s.extra")).is_none(), "JWE-like five segments");
        assert!(peek(&format!("{h}.{}.s", enc(&json!([1, 2])))).is_none(), "claims not an object");
        assert!(peek(&format!("{h}.!!!.s")).is_none(), "not base64url");
        assert!(segment(&format!("{h}=")).is_none(), "segment() itself is strict about padding");
    }
}
