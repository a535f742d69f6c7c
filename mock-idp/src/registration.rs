//! Dynamic Client Registration (RFC 7591), with the policies real IdPs put in front of it.
//!
//! Accepts the bodies ChatGPT is observed to send (with and without `scope`; auth method
//! `client_secret_post`, `client_secret_basic`, `none`, or omitted → RFC 7591 §2's default
//! `client_secret_basic`) and answers per §3.2.1; errors per §3.2.2.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use url::Url;

use crate::error::OAuthError;
use crate::quirks::Quirk;
use crate::state::{AppState, ClientSource, RegisteredClient};

/// Grant types this IdP supports.
const GRANTS: [&str; 2] = ["authorization_code", "refresh_token"];

/// Schemes refused outright, whatever else the URI looks like: they run code or show content in
/// the browser (`javascript`, `data`, `blob`, …), name browser internals (`about`, `chrome`, …), or
/// are not application callbacks at all (`ftp`, `ws`, `file`, …).
const FORBIDDEN_SCHEMES: [&str; 15] = [
    "javascript",
    "data",
    "file",
    "vbscript",
    "blob",
    "about",
    "chrome",
    "chrome-extension",
    "moz-extension",
    "edge",
    "view-source",
    "ftp",
    "ws",
    "wss",
    "filesystem",
];

/// Private-use schemes of real MCP clients that predate the reverse-domain rule and are accepted
/// by name: refusing one refuses the client's whole registration (Cursor registers
/// `cursor://anysphere.cursor-mcp/oauth/callback` with two other URIs in one request; see
/// `/work/shared/research/chatgpt-behaviour-and-peers.md` §1.10).
const KNOWN_NATIVE_SCHEMES: [&str; 1] = ["cursor"];

/// Checks one redirect URI: absolute, no fragment (RFC 6749 §3.1.2); `https`; `http` only on a
/// loopback host — `127.0.0.1`, `[::1]` or `localhost` (RFC 8252 §7.3, §8.3); otherwise a
/// private-use scheme in reverse-domain form such as `com.example.app:/cb` (RFC 8252 §7.1), or one
/// of [`KNOWN_NATIVE_SCHEMES`]. Anything else — `blob:`, `about:`, `ws:`, a bare `a:` — is an
/// `invalid_redirect_uri`.
pub(crate) fn check_redirect_uri(uri: &str) -> Result<(), OAuthError> {
    let bad = |m: &str| OAuthError::invalid_redirect_uri(format!("redirect URI `{uri}` {m}"));
    let u = Url::parse(uri).map_err(|_| bad("is not an absolute URI"))?;
    if u.fragment().is_some() {
        return Err(bad("has a fragment"));
    }
    let scheme = u.scheme();
    if FORBIDDEN_SCHEMES.contains(&scheme) {
        return Err(bad("uses a forbidden scheme"));
    }
    match scheme {
        "https" if u.host().is_some() => Ok(()),
        "https" => Err(bad("has no host")),
        "http" if loopback_redirect_host(&u) => Ok(()),
        "http" => Err(bad("uses http on a non-loopback host (only 127.0.0.1, [::1] and localhost)")),
        s if KNOWN_NATIVE_SCHEMES.contains(&s) => Ok(()),
        s if reverse_domain(s) => Ok(()),
        _ => Err(bad(
            "uses a private-use scheme that is not in reverse-domain form, e.g. com.example.app (RFC 8252 §7.1)",
        )),
    }
}

/// The loopback hosts RFC 8252 §7.3 and §8.3 name, and `localhost`.
fn loopback_redirect_host(u: &Url) -> bool {
    match u.host() {
        Some(url::Host::Ipv4(a)) => a == std::net::Ipv4Addr::LOCALHOST,
        Some(url::Host::Ipv6(a)) => a == std::net::Ipv6Addr::LOCALHOST,
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// `com.example.app`: at least two non-empty dot-separated labels.
fn reverse_domain(scheme: &str) -> bool {
    let labels: Vec<&str> = scheme.split('.').collect();
    labels.len() >= 2 && labels.iter().all(|l| !l.is_empty())
}

/// OIDC Dynamic Client Registration 1.0 §2 `application_type`, which MCP 2026-07-28 clients MUST
/// send (client registration, L152-179) and an OIDC server may enforce (AS-26).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ApplicationType {
    /// A browser-based client on a web server: `https` redirect URIs, never `localhost`.
    Web,
    /// A desktop, mobile or CLI client: private-use schemes or `http` on a loopback host.
    Native,
}

impl ApplicationType {
    fn as_str(self) -> &'static str {
        match self {
            ApplicationType::Web => "web",
            ApplicationType::Native => "native",
        }
    }
}

/// The registration's `application_type`, with its redirect-URI rules applied.
///
/// - Sent: `web` or `native`, and its rules. OIDC states the web rule (`https`, no `localhost`)
///   for implicit-grant clients; this server applies it to every client that declares `web`, the
///   strict reading the MCP 2026-07-28 registration text warns clients about ("authorization
///   servers may enforce type-specific redirect URI rules"; certify's AS-26 probes it).
/// - Absent: OIDC Dynamic Client Registration 1.0 §2 — "The default, if omitted, is `web`" — so
///   the client is `web`, and the registration response says so (RFC 7591 §3.2.1: the response
///   carries every registered member, the server's defaults included). OIDC's web rule binds
///   implicit-grant clients only, and this server registers `code` clients only, so the default
///   brings no redirect rule: a client the spec allows to omit the member (every 2025-era one)
///   still registers its loopback redirect. [`Quirk::ApplicationTypeDefaultWeb`] applies the
///   strict rule to the default too; [`Quirk::ApplicationTypeUntypedDefault`] records no type.
fn application_type(
    state: &AppState,
    body: &Map<String, Value>,
    redirect_uris: &[String],
) -> Result<Option<ApplicationType>, OAuthError> {
    let given = body.get("application_type");
    if state.config.has(Quirk::ApplicationTypeRejected) && given.is_some() {
        return Err(OAuthError::invalid_client_metadata("unknown client metadata `application_type`"));
    }
    if state.config.has(Quirk::ApplicationTypeIgnored) {
        return Ok(None);
    }
    let t = match given {
        Some(Value::String(s)) if s == "web" => ApplicationType::Web,
        Some(Value::String(s)) if s == "native" => ApplicationType::Native,
        Some(Value::String(s)) => {
            return Err(OAuthError::invalid_client_metadata(format!(
                "application_type `{s}` is neither `web` nor `native`"
            )));
        }
        Some(_) => return Err(OAuthError::invalid_client_metadata("application_type must be a string")),
        None if state.config.has(Quirk::ApplicationTypeUntypedDefault) => return Ok(None),
        None if state.config.has(Quirk::ApplicationTypeDefaultWeb) => ApplicationType::Web,
        None => return Ok(Some(ApplicationType::Web)),
    };
    for uri in redirect_uris {
        // Already known to be absolute (check_redirect_uri).
        let Ok(u) = Url::parse(uri) else { continue };
        let loopback = loopback_redirect_host(&u);
        let ok = match t {
            ApplicationType::Web => u.scheme() == "https" && !loopback,
            ApplicationType::Native => (u.scheme() == "http" && loopback) || !matches!(u.scheme(), "http" | "https"),
        };
        if !ok {
            let rule = match t {
                ApplicationType::Web => "a web client's redirect URIs use https and not localhost",
                ApplicationType::Native => {
                    "a native client's redirect URIs use a private-use scheme or http on loopback"
                }
            };
            return Err(OAuthError::invalid_redirect_uri(format!(
                "redirect URI `{uri}` does not suit application_type `{}`: {rule} (OIDC Dynamic Client Registration \
                 1.0 §2)",
                t.as_str()
            )));
        }
    }
    Ok(Some(t))
}

fn host_trusted(uri: &str, trusted: &[String]) -> Result<(), String> {
    let host = Url::parse(uri).ok().and_then(|u| u.host_str().map(str::to_owned)).unwrap_or_default();
    if trusted.iter().any(|t| host == *t || host.ends_with(&format!(".{t}"))) { Ok(()) } else { Err(host) }
}

fn string_list(body: &Map<String, Value>, key: &str) -> Result<Option<Vec<String>>, OAuthError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| OAuthError::invalid_client_metadata(format!("`{key}` must be an array of strings")))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(OAuthError::invalid_client_metadata(format!("`{key}` must be an array of strings"))),
    }
}

/// `POST /register`.
pub(crate) async fn register(
    State(state): State<Arc<AppState>>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    match handle(&state, &headers, &body) {
        Ok(v) => {
            let mut r = (StatusCode::CREATED, Json(v)).into_response();
            r.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
            r
        }
        Err(e) => e.into_response(),
    }
}

fn handle(state: &AppState, headers: &axum::http::HeaderMap, body: &[u8]) -> Result<Value, OAuthError> {
    if let Some((max, per)) = state.config.quirks.registration_rate_limit() {
        let now = state.now();
        let mut caches = state.caches.lock();
        let window = &mut caches.registrations;
        while window.front().is_some_and(|t| *t <= now - per as i64) {
            window.pop_front();
        }
        if window.len() >= max as usize {
            let retry = window.front().map(|t| (t + per as i64 - now).max(1) as u64).unwrap_or(per);
            return Err(OAuthError::rate_limited(retry));
        }
        window.push_back(now);
    }
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !ct.to_ascii_lowercase().starts_with("application/json") {
        return Err(OAuthError::invalid_client_metadata(
            "registration requests are JSON (Content-Type: application/json)",
        ));
    }
    let limits = &state.config.limits;
    if body.len() > limits.max_client_metadata_bytes {
        return Err(OAuthError::invalid_client_metadata(format!(
            "the client metadata is {} bytes; this server stores at most {} per client",
            body.len(),
            limits.max_client_metadata_bytes
        )));
    }
    let body: Map<String, Value> = match serde_json::from_slice(body) {
        Ok(Value::Object(m)) => m,
        Ok(_) => return Err(OAuthError::invalid_client_metadata("the registration request must be a JSON object")),
        Err(e) => {
            return Err(OAuthError::invalid_client_metadata(format!("the registration request is not JSON: {e}")));
        }
    };

    let grant_types = string_list(&body, "grant_types")?.unwrap_or_else(|| vec!["authorization_code".into()]);
    if let Some(g) = grant_types.iter().find(|g| !GRANTS.contains(&g.as_str())) {
        return Err(OAuthError::invalid_client_metadata(format!("grant type `{g}` is not supported")));
    }
    let response_types = string_list(&body, "response_types")?.unwrap_or_else(|| vec!["code".into()]);
    if response_types.iter().any(|r| r != "code") {
        return Err(OAuthError::invalid_client_metadata("only response type `code` is supported"));
    }
    let redirect_uris = string_list(&body, "redirect_uris")?.unwrap_or_default();
    if redirect_uris.is_empty() {
        return Err(OAuthError::invalid_redirect_uri("redirect_uris is required for the authorization_code grant"));
    }
    if redirect_uris.len() > limits.max_redirect_uris {
        return Err(OAuthError::invalid_redirect_uri(format!(
            "{} redirect URIs; this server accepts at most {} per client",
            redirect_uris.len(),
            limits.max_redirect_uris
        )));
    }
    if let Some(long) = redirect_uris.iter().find(|r| r.len() > limits.max_redirect_uri_bytes) {
        return Err(OAuthError::invalid_redirect_uri(format!(
            "a redirect URI of {} bytes; this server accepts at most {}",
            long.len(),
            limits.max_redirect_uri_bytes
        )));
    }
    for r in &redirect_uris {
        check_redirect_uri(r)?;
    }
    let application_type = application_type(state, &body, &redirect_uris)?;
    if let Some(trusted) = state.config.quirks.trusted_hosts() {
        for r in &redirect_uris {
            host_trusted(r, trusted).map_err(|h| OAuthError::trusted_hosts_policy(&h))?;
        }
    }

    let requested = match body.get("token_endpoint_auth_method") {
        None | Some(Value::Null) => "client_secret_basic".to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(OAuthError::invalid_client_metadata("token_endpoint_auth_method must be a string")),
    };
    let method = state.config.quirks.registration_auth_method_override().map(str::to_owned).unwrap_or(requested);
    if !state.token_auth_methods().contains(&method.as_str()) {
        return Err(OAuthError::invalid_client_metadata(format!(
            "token_endpoint_auth_method `{method}` is not supported"
        )));
    }
    let jwks_uri = body.get("jwks_uri").and_then(Value::as_str).map(str::to_owned);
    let jwks = body.get("jwks").cloned();
    if method == "private_key_jwt" && jwks_uri.is_none() && jwks.is_none() {
        return Err(OAuthError::invalid_client_metadata("private_key_jwt needs jwks_uri or jwks"));
    }

    let scope: Option<Vec<String>> = match body.get("scope") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.split(' ').filter(|x| !x.is_empty()).map(str::to_owned).collect()),
        Some(_) => return Err(OAuthError::invalid_client_metadata("scope must be a space-separated string")),
    };
    if let Some(unknown) = scope.iter().flatten().find(|s| !state.config.scopes_supported.contains(s)) {
        return Err(OAuthError::invalid_client_metadata(format!("scope `{unknown}` is not supported")));
    }
    // Most IdPs treat a registered scope as informational; the quirk models those (Clerk) that
    // bind it, falling back to their default scopes when the request named none.
    let allowed_scopes = if state.config.has(Quirk::ScopesBoundAtRegistration) {
        Some(scope.clone().unwrap_or_else(|| state.config.default_scopes.clone()))
    } else {
        None
    };

    let client_id = format!("mcid_{}", crate::random::token(16));
    let secret = (method != "none" && method != "private_key_jwt").then(|| crate::random::token(32));
    let now = state.now();

    let mut resp = body.clone();
    resp.insert("client_id".into(), json!(client_id));
    resp.insert("client_id_issued_at".into(), json!(now));
    if let Some(s) = &secret {
        resp.insert("client_secret".into(), json!(s));
        resp.insert("client_secret_expires_at".into(), json!(0));
    }
    resp.insert("token_endpoint_auth_method".into(), json!(method));
    resp.insert("grant_types".into(), json!(grant_types));
    resp.insert("response_types".into(), json!(response_types));
    resp.insert("redirect_uris".into(), json!(redirect_uris));
    if let Some(s) = allowed_scopes.as_ref().or(scope.as_ref()) {
        resp.insert("scope".into(), json!(s.join(" ")));
    }
    if let Some(t) = application_type {
        resp.insert("application_type".into(), json!(t.as_str()));
    }

    let client = RegisteredClient {
        client_id,
        client_secret: secret,
        redirect_uris,
        auth_methods: vec![method],
        grant_types,
        allowed_scopes,
        client_name: body.get("client_name").and_then(Value::as_str).map(str::to_owned),
        jwks_uri,
        jwks,
        source: ClientSource::Dynamic,
        metadata: Some(Value::Object(body)),
    };
    state.add_client(std::sync::Arc::new(client));
    Ok(Value::Object(resp))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uri_rules() {
        assert!(check_redirect_uri("https://chatgpt.com/connector_platform_oauth_redirect").is_ok());
        assert!(check_redirect_uri("http://127.0.0.1:33418/cb").is_ok());
        assert!(check_redirect_uri("http://localhost:8787/callback").is_ok());
        assert!(check_redirect_uri("cursor://anysphere.cursor-mcp/oauth/callback").is_ok());
        assert!(check_redirect_uri("http://[::1]:8080/cb").is_ok());
        assert!(check_redirect_uri("com.example.app:/oauth2redirect").is_ok());
        assert!(check_redirect_uri("com.example.app://cb").is_ok());
        for bad in [
            "http://evil.example/cb",
            "http://127.0.0.2/cb",
            "http://10.0.0.1/cb",
            "https://a.example/cb#frag",
            "/relative",
            "javascript:alert(1)",
            "data:text/html,x",
            "file:///etc/passwd",
            "blob:https://a.example/0b2c",
            "about:blank",
            "chrome://settings",
            "ftp://a.example/cb",
            "ws://127.0.0.1/cb",
            "wss://a.example/cb",
            "a:",
            "myapp://cb",
            "com.:/cb",
            ".com.example:/cb",
        ] {
            assert_eq!(check_redirect_uri(bad).unwrap_err().error, "invalid_redirect_uri", "{bad}");
        }
    }

    #[test]
    fn trusted_hosts_match_exact_and_subdomains() {
        let t = vec!["chatgpt.com".to_string()];
        assert!(host_trusted("https://chatgpt.com/x", &t).is_ok());
        assert!(host_trusted("https://a.chatgpt.com/x", &t).is_ok());
        assert_eq!(host_trusted("https://evilchatgpt.com/x", &t).unwrap_err(), "evilchatgpt.com");
    }
}
