//! What a proxied request is, inferred from the request alone (and what the recording saw
//! before): the phase and [`ExchangeKind`] the mock client would have written for it. A request
//! nothing identifies stays [`ExchangeKind::Unknown`]: the checks then do not read it as
//! anything, rather than read it as the wrong thing.

use axum::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use mcp_wire::paths;
use mock_client::profile::{HttpMethod, ProbeTarget, WellKnown};
use mock_client::transcript::PrmLookup;
use mock_client::{Exchange, ExchangeKind, Phase};

/// The request as the classifier sees it.
pub struct Seen<'a> {
    /// `GET`, `POST`…
    pub method: &'a str,
    /// The path, no query.
    pub path: &'a str,
    /// The query string (without `?`).
    pub query: &'a str,
    /// The request body as text.
    pub body: &'a str,
    /// Whether an `Authorization` header was sent.
    pub authorized: bool,
    /// Whether this route has carried MCP messages (its host is the MCP host).
    pub mcp_host: bool,
    /// The full URL equals the `resource_metadata` of a challenge seen earlier.
    pub named_by_challenge: bool,
    /// The kinds already seen in this discovery (since the last unauthenticated request): a
    /// second fetch of the root PRM that a challenge named is the challenge's lookup, and a second
    /// `openid-configuration` of a path-less issuer is the appended form.
    pub earlier: &'a [ExchangeKind],
}

/// What a capture (the recording proxy, a HAR import) has learned from the requests classified
/// so far, which the next one's classification depends on. Both capture paths keep one, so a
/// request is read the same way whichever of them saw it.
#[derive(Debug, Default)]
pub struct Learned {
    /// The `resource_metadata` URLs of the challenges seen.
    challenge_urls: Vec<String>,
    /// The kinds seen since the last unauthenticated MCP request (this discovery's).
    discovery: Vec<ExchangeKind>,
}

impl Learned {
    /// The classifier's view of `ex`: `path` and `query` are its URL's, split by the caller,
    /// `body` its request body as text, `mcp_host` whether its host has carried MCP messages.
    pub fn seen<'a>(
        &'a self,
        ex: &'a Exchange,
        path: &'a str,
        query: &'a str,
        body: &'a str,
        mcp_host: bool,
    ) -> Seen<'a> {
        Seen {
            method: &ex.method,
            path,
            query,
            body,
            authorized: ex.request_header(AUTHORIZATION.as_str()).is_some(),
            mcp_host,
            named_by_challenge: self.challenge_urls.contains(&ex.url),
            earlier: &self.discovery,
        }
    }

    /// Remembers `ex`, classified as `kind`: an unauthenticated MCP request starts a new
    /// discovery, and a challenge's `resource_metadata` names the PRM a later fetch may be.
    pub fn learn(&mut self, ex: &Exchange, kind: &ExchangeKind) {
        if *kind == ExchangeKind::UnauthenticatedInitialize {
            self.discovery.clear();
        }
        self.discovery.push(kind.clone());
        if let Some(url) = ex.response_header(WWW_AUTHENTICATE.as_str()).and_then(|h| {
            mcp_wire::challenge::parse(h).into_iter().find_map(|c| c.param("resource_metadata").map(str::to_owned))
        }) {
            self.challenge_urls.push(url);
        }
    }
}

/// Phase, kind and a short label for a request.
pub fn classify(s: &Seen<'_>) -> (Phase, ExchangeKind, String) {
    let method = if s.method.eq_ignore_ascii_case("HEAD") { HttpMethod::Head } else { HttpMethod::Get };
    if s.path.starts_with(paths::PROTECTED_RESOURCE) {
        let shape = if s.path == paths::PROTECTED_RESOURCE { PrmLookup::Root } else { PrmLookup::PathInserted };
        let again = s.earlier.contains(&ExchangeKind::Prm { lookup: shape });
        let lookup = if s.named_by_challenge && again { PrmLookup::WwwAuthenticate } else { shape };
        return (Phase::Discovery, ExchangeKind::Prm { lookup }, "PRM".into());
    }
    let on = if s.mcp_host { ProbeTarget::McpHost } else { ProbeTarget::Issuer };
    if s.path.starts_with(paths::AUTHORIZATION_SERVER) {
        let kind = ExchangeKind::AsMetadata { method, well_known: WellKnown::Oauth, on };
        return (Phase::Discovery, kind, "AS metadata (oauth)".into());
    }
    let inserted = ExchangeKind::AsMetadata { method, well_known: WellKnown::OidcInserted, on };
    if s.path == paths::OPENID_CONFIGURATION && s.earlier.contains(&inserted) {
        let kind = ExchangeKind::AsMetadata { method, well_known: WellKnown::OidcAppended, on };
        return (Phase::Discovery, kind, "AS metadata (openid, appended)".into());
    }
    if s.path.starts_with(paths::OPENID_CONFIGURATION) {
        let kind = ExchangeKind::AsMetadata { method, well_known: WellKnown::OidcInserted, on };
        return (Phase::Discovery, kind, "AS metadata (openid, inserted)".into());
    }
    if s.path.ends_with(paths::OPENID_CONFIGURATION) {
        let kind = ExchangeKind::AsMetadata { method, well_known: WellKnown::OidcAppended, on };
        return (Phase::Discovery, kind, "AS metadata (openid, appended)".into());
    }
    let json: Option<serde_json::Value> = serde_json::from_str(s.body).ok();
    if let Some(rpc) = json.as_ref().filter(|v| v.get("jsonrpc").is_some() || v.is_array()) {
        let first = if rpc.is_array() { rpc.get(0) } else { Some(rpc) };
        let m = first.and_then(|v| v.get("method")).and_then(|m| m.as_str()).unwrap_or("(response)").to_owned();
        if !s.authorized {
            return (Phase::Discovery, ExchangeKind::UnauthenticatedInitialize, format!("{m} (no token)"));
        }
        return (Phase::Mcp, ExchangeKind::mcp(&m), m);
    }
    if s.method == "POST" && json.as_ref().is_some_and(|v| v.get("redirect_uris").is_some()) {
        return (Phase::Registration, ExchangeKind::Registration, "registration".into());
    }
    if s.method == "POST"
        && let Some(grant) = form_value(s.body, "grant_type")
    {
        let phase = if grant == "refresh_token" { Phase::Refresh } else { Phase::Token };
        let label = format!("token ({grant})");
        return (phase, ExchangeKind::Token { grant }, label);
    }
    if s.method == "GET" && form_value(s.query, "response_type").is_some() && form_value(s.query, "client_id").is_some()
    {
        return (Phase::Authorize, ExchangeKind::Authorize, "authorize".into());
    }
    if s.method == "DELETE" && s.mcp_host {
        return (Phase::Mcp, ExchangeKind::EndSession, "end session".into());
    }
    let phase = if s.mcp_host { Phase::Mcp } else { Phase::Authorize };
    (phase, ExchangeKind::Unknown, format!("{} {}", s.method, s.path))
}

/// A form (or query) parameter's first value.
pub fn form_value(form: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(form.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen<'a>(method: &'a str, path: &'a str, query: &'a str, body: &'a str) -> Seen<'a> {
        Seen { method, path, query, body, authorized: true, mcp_host: false, named_by_challenge: false, earlier: &[] }
    }

    #[test]
    fn requests_get_the_kind_the_client_would_have_written() {
        let (p, k, _) = classify(&seen("GET", "/.well-known/oauth-protected-resource", "", ""));
        assert_eq!((p, k), (Phase::Discovery, ExchangeKind::Prm { lookup: PrmLookup::Root }));
        let (_, k, _) = classify(&seen("GET", "/.well-known/oauth-protected-resource/mcp", "", ""));
        assert_eq!(k, ExchangeKind::Prm { lookup: PrmLookup::PathInserted });
        let (p, k, _) = classify(&seen("POST", "/token", "", "grant_type=refresh_token&refresh_token=x"));
        assert_eq!((p, k), (Phase::Refresh, ExchangeKind::Token { grant: "refresh_token".into() }));
        let (p, k, _) = classify(&seen("POST", "/register", "", r#"{"redirect_uris":["https://x"]}"#));
        assert_eq!((p, k), (Phase::Registration, ExchangeKind::Registration));
        let (p, k, _) = classify(&seen("GET", "/authorize", "response_type=code&client_id=c", ""));
        assert_eq!((p, k), (Phase::Authorize, ExchangeKind::Authorize));
        let (p, k, _) = classify(&seen("POST", "/mcp", "", r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#));
        assert_eq!((p, k), (Phase::Mcp, ExchangeKind::mcp("tools/list")));
        let mut s = seen("POST", "/mcp", "", r#"{"jsonrpc":"2.0","id":1,"method":"initialize"}"#);
        s.authorized = false;
        assert_eq!(classify(&s).1, ExchangeKind::UnauthenticatedInitialize);
        assert_eq!(classify(&seen("GET", "/login", "", "")).1, ExchangeKind::Unknown);
        // The root PRM a challenge named: the root lookup first, the challenge's on a second fetch.
        let root = ExchangeKind::Prm { lookup: PrmLookup::Root };
        let mut s = seen("GET", "/.well-known/oauth-protected-resource", "", "");
        s.named_by_challenge = true;
        assert_eq!(classify(&s).1, root);
        let earlier = [root];
        s.earlier = &earlier;
        assert_eq!(classify(&s).1, ExchangeKind::Prm { lookup: PrmLookup::WwwAuthenticate });
    }
}
