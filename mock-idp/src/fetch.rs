//! Outbound fetches the IdP makes: Client ID Metadata Documents and client JWKS.
//!
//! These URLs come from the client, so this is an SSRF surface (MCP 2025-11-25 §Security,
//! CIMD §6): only `https` is fetched, or `http` on loopback when test mode allows it; no
//! redirects are followed; time and size are bounded.

use serde_json::Value;
use std::time::Duration;
use url::{Host, Url};

/// Largest document the IdP will read.
pub const MAX_DOCUMENT_BYTES: usize = 64 * 1024;
/// Time allowed for one fetch.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// The shared outbound client.
pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(FETCH_TIMEOUT)
        .connect_timeout(Duration::from_secs(3))
        .no_proxy()
        .user_agent("connector-harness-mock-idp/0.1")
        .build()
        .expect("a client with these static settings always builds")
}

/// Whether a URL is one the IdP may fetch.
pub(crate) fn allowed(url: &Url, allow_loopback: bool) -> Result<(), String> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if allow_loopback && is_loopback(url) => Ok(()),
        "http" => Err(format!("refusing to fetch {url}: only https (or http on loopback in test mode)")),
        s => Err(format!("refusing to fetch {url}: scheme `{s}` is not http(s)")),
    }
}

/// Whether the URL's host is a loopback address or `localhost`.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(a)) => a.is_loopback(),
        Some(Host::Ipv6(a)) => a.is_loopback(),
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Fetches a JSON object; returns it with the `max-age` the response allowed, if any.
pub(crate) async fn json(
    http: &reqwest::Client,
    url: &str,
    allow_loopback: bool,
) -> Result<(Value, Option<i64>), String> {
    let parsed = Url::parse(url).map_err(|e| format!("`{url}` is not a URL: {e}"))?;
    allowed(&parsed, allow_loopback)?;
    let mut resp = http
        .get(parsed)
        .header("accept", "application/json")
        .send()
        .await
        .map_err(|e| format!("fetching {url} failed: {e}"))?;
    if !resp.status().is_success() {
        return Err(format!("fetching {url} answered HTTP {}", resp.status().as_u16()));
    }
    let max_age =
        resp.headers().get("cache-control").and_then(|v| v.to_str().ok()).and_then(|v| {
            v.split(',').find_map(|d| d.trim().strip_prefix("max-age=").and_then(|s| s.parse::<i64>().ok()))
        });
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| format!("reading {url} failed: {e}"))? {
        if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
            return Err(format!("{url} is larger than {MAX_DOCUMENT_BYTES} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    let v: Value = serde_json::from_slice(&body).map_err(|e| format!("{url} is not JSON: {e}"))?;
    if !v.is_object() {
        return Err(format!("{url} is not a JSON object"));
    }
    Ok((v, max_age))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_policy() {
        let u = |s: &str| Url::parse(s).unwrap();
        assert!(allowed(&u("https://chatgpt.com/oauth/client.json"), false).is_ok());
        assert!(allowed(&u("http://127.0.0.1:9/x"), true).is_ok());
        assert!(allowed(&u("http://[::1]:9/x"), true).is_ok());
        assert!(allowed(&u("http://localhost:9/x"), true).is_ok());
        assert!(allowed(&u("http://127.0.0.1:9/x"), false).is_err());
        assert!(allowed(&u("http://10.0.0.1/x"), true).is_err());
        assert!(allowed(&u("file:///etc/passwd"), true).is_err());
    }
}
