//! A running `connector-harness idp` that the server under test trusts, named by its issuer
//! (`check --trusted-idp ISSUER`), so `check` and `run --target` can send minted tokens: the
//! negative battery, the wrong-audience token, the insufficient-scope probe.
//!
//! Design: the mock IdP signs with fixed, public test keys unless started with `--generate-keys`
//! (they are test keys: their private halves ship in the source, which is why only tests may
//! trust them). So the harness needs no admin endpoint on the IdP and no shared secret: it starts
//! a local twin of the IdP (same fixed keys, the remote's `scopes_supported`) that only mints, and
//! the tokens it mints name the remote's issuer (`ProbeContext::issuer`). Before any token is
//! minted, the remote's metadata and JWKS are read to prove the twin's signing key is the one the
//! remote publishes — an IdP with other keys (fresh ones, or not ours at all) is refused with a
//! clear error rather than yielding findings about tokens the server was never going to accept.
//! The issuer must be on loopback, where `connector-harness idp` listens.

use mock_idp::{IdpHandle, MockIdp};
use serde_json::Value;
use std::time::Duration;

/// Per request, while reading the remote IdP's metadata and JWKS.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest metadata or JWKS document read.
const MAX_DOCUMENT: usize = 256 * 1024;

/// Why the named IdP cannot be used to mint tokens.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrustedIdpError {
    /// Not an http(s) URL on loopback.
    #[error("--trusted-idp {0}: the issuer must be an http(s) URL on loopback (a running `connector-harness idp`)")]
    NotLoopback(String),
    /// Metadata or JWKS could not be read.
    #[error("--trusted-idp {issuer}: {reason}")]
    Unreadable {
        /// The issuer.
        issuer: String,
        /// What went wrong.
        reason: String,
    },
    /// The IdP does not publish the harness's fixed test key.
    #[error(
        "--trusted-idp {0}: its JWKS does not publish the mock IdP's fixed test key (was it started with --generate-keys, or is it not a `connector-harness idp`?), so tokens minted here would not verify"
    )]
    OtherKeys(String),
    /// The local twin did not start.
    #[error("--trusted-idp: the local minting twin did not start: {0}")]
    Twin(#[from] mock_idp::IdpError),
}

/// A trusted IdP: its issuer and the local twin that mints for it.
#[derive(Debug)]
pub struct TrustedIdp {
    issuer: String,
    twin: IdpHandle,
}

impl TrustedIdp {
    /// Reads the IdP's metadata and JWKS, checks it publishes the fixed test key, and starts the
    /// twin.
    pub async fn connect(issuer: &str) -> Result<TrustedIdp, TrustedIdpError> {
        let url = url::Url::parse(issuer).map_err(|_| TrustedIdpError::NotLoopback(issuer.into()))?;
        if !matches!(url.scheme(), "http" | "https") || !mock_client::http::is_loopback(&url) {
            return Err(TrustedIdpError::NotLoopback(issuer.into()));
        }
        let unreadable = |reason: String| TrustedIdpError::Unreadable { issuer: issuer.into(), reason };
        let http = mock_client::http::client_builder()
            .timeout(FETCH_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .map_err(|e| unreadable(e.to_string()))?;
        // RFC 8414 §3.1: the well-known path goes between the host and the issuer's path.
        let path = url.path().trim_end_matches('/');
        let meta_url = format!("{}/.well-known/oauth-authorization-server{path}", url.origin().ascii_serialization());
        let meta = fetch_json(&http, &meta_url).await.map_err(unreadable)?;
        if meta.get("issuer").and_then(Value::as_str) != Some(issuer) {
            return Err(unreadable(format!("{meta_url} names issuer {:?}, not {issuer}", meta.get("issuer"))));
        }
        let jwks_uri = meta
            .get("jwks_uri")
            .and_then(Value::as_str)
            .ok_or_else(|| unreadable(format!("{meta_url} has no jwks_uri")))?;
        let jwks_url = url::Url::parse(jwks_uri).map_err(|e| unreadable(format!("jwks_uri {jwks_uri}: {e}")))?;
        if !mock_client::http::is_loopback(&jwks_url) {
            return Err(unreadable(format!("jwks_uri {jwks_uri} is not on loopback")));
        }
        let remote_keys = fetch_json(&http, jwks_uri).await.map_err(unreadable)?;
        let scopes: Vec<String> = meta
            .get("scopes_supported")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).take(100).collect())
            .unwrap_or_default();
        let twin = MockIdp::builder()
            .configure(|c| {
                if !scopes.is_empty() {
                    c.scopes_supported = scopes;
                }
                c.generate_keys = false;
            })
            .start()
            .await?;
        let own_keys = fetch_json(&http, &twin.jwks_uri()).await.map_err(unreadable)?;
        let modulus = |jwks: &Value, kid: &str| -> Option<String> {
            jwks.get("keys")?
                .as_array()?
                .iter()
                .find_map(|k| {
                    (k.get("kid").and_then(Value::as_str) == Some(kid)).then(|| k.get("n").and_then(Value::as_str))?
                })
                .map(str::to_owned)
        };
        let kid = twin.active_kid();
        match (modulus(&own_keys, &kid), modulus(&remote_keys, &kid)) {
            (Some(a), Some(b)) if a == b => Ok(TrustedIdp { issuer: issuer.to_owned(), twin }),
            _ => Err(TrustedIdpError::OtherKeys(issuer.into())),
        }
    }

    /// The trusted IdP's issuer: the `iss` of every minted token.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The twin that mints (pass it as `ProbeContext::idp`, with `issuer`).
    pub(crate) fn twin(&self) -> &IdpHandle {
        &self.twin
    }
}

/// GETs a JSON document, bounded in time and size.
async fn fetch_json(http: &reqwest::Client, url: &str) -> Result<Value, String> {
    let mut resp = http.get(url).send().await.map_err(|e| format!("GET {url}: {e}"))?;
    if !resp.status().is_success() {
        return Err(format!("GET {url} answered HTTP {}", resp.status().as_u16()));
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| format!("GET {url}: {e}"))? {
        if body.len() + chunk.len() > MAX_DOCUMENT {
            return Err(format!("GET {url}: the document exceeds {MAX_DOCUMENT} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body).map_err(|e| format!("GET {url}: not JSON ({e})"))
}
