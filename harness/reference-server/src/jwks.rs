//! The authorization server's signing keys, fetched from its `jwks_uri` and cached.
//!
//! Keys are fetched lazily on the first token, and again when a token names a `kid` the cache
//! does not hold (key rotation) — but at most once per [`REFETCH_INTERVAL`], so a stream of forged
//! tokens with random `kid`s cannot turn the server into a request amplifier against the AS.
//! Each fetch is bounded in time ([`FETCH_TIMEOUT`]) and size ([`MAX_JWKS_BYTES`]); no redirects.
//!
//! Tokens whose signature verified are remembered (at most [`MAX_VERIFIED`], forgotten together
//! when full) with their claims, so a client sending the same token on every MCP request pays for
//! one RSA verification, not one per request. Any change of the key set forgets them all: a token
//! is never accepted on a key that is no longer published.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::DecodingKey;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// Least time between two fetches of the JWKS.
pub const REFETCH_INTERVAL: Duration = Duration::from_secs(10);
/// Time allowed for one fetch.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest JWKS document read.
pub const MAX_JWKS_BYTES: usize = 256 * 1024;
/// Most keys kept from one document.
const MAX_KEYS: usize = 64;
/// Most verified tokens remembered (each at most the 16 KiB a token may have).
pub const MAX_VERIFIED: usize = 256;

/// Why no key could be found for a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeyError {
    /// The JWKS (even freshly fetched) has no usable key with this `kid`.
    UnknownKid(String),
    /// The token has no `kid` and the JWKS holds more than one key.
    NoKid,
    /// The JWKS could not be fetched or parsed.
    Unavailable(String),
}

#[derive(Default)]
struct Cached {
    keys: HashMap<String, DecodingKey>,
    /// Keys published without a `kid` (usable only by tokens without one).
    anonymous: Vec<DecodingKey>,
    last_fetch: Option<Instant>,
    last_error: Option<String>,
}

/// A JWKS cache for one `jwks_uri`.
pub(crate) struct JwksCache {
    uri: String,
    http: reqwest::Client,
    // A tokio mutex: it is held across the fetch so concurrent misses share one request.
    cached: Mutex<Cached>,
    /// Token → its claims, for tokens verified against the current key set.
    verified: parking_lot::Mutex<HashMap<String, Arc<Map<String, Value>>>>,
}

impl std::fmt::Debug for JwksCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwksCache").field("uri", &self.uri).finish_non_exhaustive()
    }
}

impl JwksCache {
    pub(crate) fn new(uri: String) -> Self {
        let http = net_policy::tls::client_builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(FETCH_TIMEOUT)
            .connect_timeout(Duration::from_secs(3))
            .no_proxy()
            .user_agent(concat!("connector-harness-reference/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        JwksCache { uri, http, cached: Mutex::new(Cached::default()), verified: Default::default() }
    }

    /// The claims of a token already verified against the current keys.
    pub(crate) fn verified(&self, token: &str) -> Option<Arc<Map<String, Value>>> {
        self.verified.lock().get(token).cloned()
    }

    /// Remembers a token whose signature verified (forgetting every other one when full).
    pub(crate) fn remember(&self, token: &str, claims: Arc<Map<String, Value>>) {
        let mut v = self.verified.lock();
        if v.len() >= MAX_VERIFIED {
            v.clear();
        }
        v.insert(token.to_owned(), claims);
    }

    /// The key for `kid` (or the only key when the token has none), fetching the JWKS if it is
    /// missing and the last fetch is older than [`REFETCH_INTERVAL`].
    pub(crate) async fn key(&self, kid: Option<&str>) -> Result<DecodingKey, KeyError> {
        let mut c = self.cached.lock().await;
        if let Some(k) = lookup(&c, kid) {
            return Ok(k);
        }
        if c.last_fetch.is_none_or(|t| t.elapsed() >= REFETCH_INTERVAL) {
            c.last_fetch = Some(Instant::now());
            match self.fetch().await {
                Ok(doc) => {
                    let (keys, anonymous) = parse_jwks(&doc);
                    self.verified.lock().clear();
                    c.keys = keys;
                    c.anonymous = anonymous;
                    c.last_error = None;
                }
                Err(e) => {
                    tracing::warn!(uri = %self.uri, error = %e, "JWKS fetch failed");
                    c.last_error = Some(e);
                }
            }
            if let Some(k) = lookup(&c, kid) {
                return Ok(k);
            }
        }
        if c.keys.is_empty() && c.anonymous.is_empty() {
            let why = c.last_error.clone().unwrap_or_else(|| "the JWKS holds no usable RS256 key".into());
            return Err(KeyError::Unavailable(why));
        }
        Err(match kid {
            Some(k) => KeyError::UnknownKid(k.to_owned()),
            None => KeyError::NoKid,
        })
    }

    async fn fetch(&self) -> Result<Value, String> {
        let mut resp = self
            .http
            .get(&self.uri)
            .header("accept", "application/json, application/jwk-set+json")
            .send()
            .await
            .map_err(|e| format!("fetching {} failed: {e}", self.uri))?;
        if !resp.status().is_success() {
            return Err(format!("{} answered HTTP {}", self.uri, resp.status().as_u16()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| format!("reading {} failed: {e}", self.uri))? {
            if body.len() + chunk.len() > MAX_JWKS_BYTES {
                return Err(format!("{} is larger than {MAX_JWKS_BYTES} bytes", self.uri));
            }
            body.extend_from_slice(&chunk);
        }
        serde_json::from_slice(&body).map_err(|e| format!("{} is not JSON: {e}", self.uri))
    }
}

fn lookup(c: &Cached, kid: Option<&str>) -> Option<DecodingKey> {
    match kid {
        Some(k) => c.keys.get(k).cloned(),
        // RFC 7515 §4.1.4 makes `kid` optional; without one, only an unambiguous key will do.
        None => match (c.keys.len(), c.anonymous.len()) {
            (1, 0) => c.keys.values().next().cloned(),
            (0, 1) => c.anonymous.first().cloned(),
            _ => None,
        },
    }
}

/// Keeps the RSA signature keys usable with RS256 (RFC 7517 §4, RFC 7518 §6.3.1): `kty` RSA,
/// `use` absent or `sig`, `alg` absent or `RS256`, `n` and `e` base64url. Anything else is skipped.
fn parse_jwks(doc: &Value) -> (HashMap<String, DecodingKey>, Vec<DecodingKey>) {
    let mut keys = HashMap::new();
    let mut anonymous = Vec::new();
    let list = doc.get("keys").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    for jwk in list.iter().take(MAX_KEYS) {
        let s = |k: &str| jwk.get(k).and_then(Value::as_str);
        if s("kty") != Some("RSA") || s("use").is_some_and(|u| u != "sig") || s("alg").is_some_and(|a| a != "RS256") {
            continue;
        }
        let (Some(n), Some(e)) = (s("n"), s("e")) else { continue };
        // from_rsa_components accepts padding and other alphabets; insist on base64url here.
        if URL_SAFE_NO_PAD.decode(n).is_err() || URL_SAFE_NO_PAD.decode(e).is_err() {
            continue;
        }
        let Ok(key) = DecodingKey::from_rsa_components(n, e) else { continue };
        match s("kid") {
            Some(kid) => {
                keys.insert(kid.to_owned(), key);
            }
            None => anonymous.push(key),
        }
    }
    (keys, anonymous)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn verified_tokens_are_bounded() {
        let cache = JwksCache::new("http://127.0.0.1:9/jwks".into());
        for i in 0..=MAX_VERIFIED {
            cache.remember(&format!("t{i}"), Arc::new(Map::new()));
        }
        assert!(cache.verified.lock().len() <= MAX_VERIFIED);
        assert!(cache.verified("t0").is_none());
        assert!(cache.verified(&format!("t{MAX_VERIFIED}")).is_some());
    }

    #[test]
    fn only_rs256_signature_keys_are_kept() {
        let doc = json!({"keys": [
            {"kty": "RSA", "kid": "a", "n": "AQAB", "e": "AQAB"},
            {"kty": "RSA", "kid": "enc", "use": "enc", "n": "AQAB", "e": "AQAB"},
            {"kty": "RSA", "kid": "ps", "alg": "PS256", "n": "AQAB", "e": "AQAB"},
            {"kty": "EC", "kid": "ec", "crv": "P-256", "x": "AQAB", "y": "AQAB"},
            {"kty": "RSA", "kid": "bad", "n": "+/==", "e": "AQAB"},
            {"kty": "RSA", "n": "AQAB", "e": "AQAB"},
            "garbage"
        ]});
        let (keys, anon) = parse_jwks(&doc);
        assert_eq!(keys.keys().collect::<Vec<_>>(), ["a"]);
        assert_eq!(anon.len(), 1);
        assert!(parse_jwks(&json!({"keys": 5})).0.is_empty());
        assert!(parse_jwks(&json!([1, 2])).0.is_empty());
    }

    #[test]
    fn a_token_without_kid_needs_an_unambiguous_key() {
        let (keys, anonymous) = parse_jwks(&json!({"keys": [{"kty": "RSA", "kid": "a", "n": "AQAB", "e": "AQAB"}]}));
        let one = Cached { keys, anonymous, ..Default::default() };
        assert!(lookup(&one, None).is_some());
        assert!(lookup(&one, Some("a")).is_some());
        assert!(lookup(&one, Some("b")).is_none());
        let (keys, anonymous) = parse_jwks(&json!({"keys": [
            {"kty": "RSA", "kid": "a", "n": "AQAB", "e": "AQAB"},
            {"kty": "RSA", "kid": "b", "n": "AQAB", "e": "AQAB"}
        ]}));
        assert!(lookup(&Cached { keys, anonymous, ..Default::default() }, None).is_none());
    }

    #[tokio::test]
    async fn an_unreachable_jwks_is_reported_and_not_refetched_at_once() {
        // Port 9 on loopback: connection refused, immediately.
        let cache = JwksCache::new("http://127.0.0.1:9/jwks".into());
        assert!(matches!(cache.key(Some("k")).await, Err(KeyError::Unavailable(_))));
        let first = cache.cached.lock().await.last_fetch;
        assert!(matches!(cache.key(Some("k")).await, Err(KeyError::Unavailable(_))));
        assert_eq!(cache.cached.lock().await.last_fetch, first, "refetched within the interval");
    }
}
