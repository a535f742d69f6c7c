//! Outbound fetches the IdP makes: Client ID Metadata Documents and client JWKS.
//!
//! These URLs come from the client, so this is an SSRF surface (MCP 2025-11-25 §Security,
//! CIMD §6). The harness's address policy ([`net_policy`]) decides: only `https` is fetched, or
//! `http` on loopback when test mode allows it; IP-literal hosts are checked before sending and
//! every address a name resolves to inside the connection; private, CGNAT, link-local and
//! unique-local addresses only with [`crate::IdpConfig::allow_private_fetch`], cloud metadata
//! never; no redirects are followed; time and size are bounded.

use net_policy::resolver::{PolicyResolver, SystemLookup};
use parking_lot::RwLock;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

/// Largest document the IdP will read.
pub const MAX_DOCUMENT_BYTES: usize = 64 * 1024;
/// Time allowed for one fetch.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// The shared outbound client and the address policy it applies.
#[derive(Debug, Clone)]
pub(crate) struct Fetcher {
    http: reqwest::Client,
    allow_private: bool,
}

impl Fetcher {
    /// A fetcher; `allow_private` opens the internal address ranges.
    pub(crate) fn new(allow_private: bool) -> Fetcher {
        Fetcher::with_lookup(allow_private, Arc::new(SystemLookup))
    }

    /// A fetcher resolving names with `lookup` (tests: a fake DNS).
    pub(crate) fn with_lookup(allow_private: bool, lookup: Arc<dyn net_policy::resolver::Lookup>) -> Fetcher {
        let policy = Arc::new(RwLock::new(net_policy::Policy::new(allow_private)));
        let http = net_policy::tls::client_builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(FETCH_TIMEOUT)
            .connect_timeout(Duration::from_secs(3))
            .no_proxy()
            .dns_resolver(PolicyResolver::new(policy, lookup))
            .user_agent("connector-harness-mock-idp/0.1")
            .build()
            .expect("a client with these static settings always builds");
        Fetcher { http, allow_private }
    }

    fn policy(&self, allow_loopback: bool) -> net_policy::Policy {
        let mut p = net_policy::Policy::new(self.allow_private);
        p.refuse_plain_http = !allow_loopback;
        p
    }
}

/// Whether a URL is one the IdP may fetch, judged on the URL alone (names are judged again once
/// resolved).
pub(crate) fn allowed(fetcher: &Fetcher, url: &Url, allow_loopback: bool) -> Result<(), String> {
    fetcher.policy(allow_loopback).check_url(url).map_err(|r| refusal(url.as_str(), &r, allow_loopback))
}

fn refusal(url: &str, r: &net_policy::Refusal, allow_loopback: bool) -> String {
    match r {
        net_policy::Refusal::PlainHttp if allow_loopback => {
            format!("refusing to fetch {url}: only https (or http on loopback in test mode)")
        }
        net_policy::Refusal::PlainHttp => format!("refusing to fetch {url}: only https"),
        other => format!("refusing to fetch {url}: {other}"),
    }
}

/// Fetches a JSON object; returns it with the `max-age` the response allowed, if any.
pub(crate) async fn json(fetcher: &Fetcher, url: &str, allow_loopback: bool) -> Result<(Value, Option<i64>), String> {
    let parsed = Url::parse(url).map_err(|e| format!("`{url}` is not a URL: {e}"))?;
    allowed(fetcher, &parsed, allow_loopback)?;
    let mut resp = fetcher.http.get(parsed).header("accept", "application/json").send().await.map_err(|e| {
        match net_policy::refusal_in(&e) {
            Some(r) => refusal(url, r, allow_loopback),
            None => format!("fetching {url} failed: {e}"),
        }
    })?;
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

    #[tokio::test]
    async fn url_policy() {
        let f = Fetcher::new(false);
        let u = |s: &str| Url::parse(s).unwrap();
        assert!(allowed(&f, &u("https://chatgpt.com/oauth/client.json"), false).is_ok());
        assert!(allowed(&f, &u("http://127.0.0.1:9/x"), true).is_ok());
        assert!(allowed(&f, &u("http://[::1]:9/x"), true).is_ok());
        assert!(allowed(&f, &u("http://localhost:9/x"), true).is_ok());
        assert!(allowed(&f, &u("http://127.0.0.1:9/x"), false).is_err());
        assert!(allowed(&f, &u("http://10.0.0.1/x"), true).is_err());
        assert!(allowed(&f, &u("file:///etc/passwd"), true).is_err());
        let e = allowed(&f, &u("https://10.1.2.3/client.json"), true).unwrap_err();
        assert_eq!(
            e,
            "refusing to fetch https://10.1.2.3/client.json: 10.1.2.3 is a private address (RFC 1918); \
             pass --allow-private-addresses if the server is an internal deployment"
        );
        assert!(allowed(&Fetcher::new(true), &u("https://10.1.2.3/client.json"), true).is_ok());
        assert!(allowed(&Fetcher::new(true), &u("https://169.254.169.254/"), true).is_err());
    }

    /// A client id whose host resolves to a private address is refused inside the connection
    /// (the resolver), not only by the URL check.
    #[tokio::test]
    async fn resolved_private_address_is_refused_unless_opted_in() {
        use net_policy::resolver::FakeDns;
        // Nothing listens on port 9 of loopback, so an allowed fetch fails to connect instead.
        let dns =
            FakeDns::new().answer_via("cimd.intranet.test", "10.1.2.3".parse().unwrap(), "127.0.0.1".parse().unwrap());
        let closed = Fetcher::with_lookup(false, Arc::new(dns.clone()));
        let e = json(&closed, "https://cimd.intranet.test:9/client.json", true).await.unwrap_err();
        assert!(
            e.starts_with("refusing to fetch https://cimd.intranet.test:9/client.json: cimd.intranet.test resolves to 10.1.2.3, a private address (RFC 1918); pass --allow-private-addresses"),
            "{e}"
        );
        let open = Fetcher::with_lookup(true, Arc::new(dns));
        let e = json(&open, "https://cimd.intranet.test:9/client.json", true).await.unwrap_err();
        assert!(e.starts_with("fetching https://cimd.intranet.test:9/client.json failed"), "{e}");
    }
}
