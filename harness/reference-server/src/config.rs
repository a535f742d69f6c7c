//! What the reference server is configured with, and the builder that starts it.
//!
//! Defaults make a correct server for a ChatGPT-style client: PRM at both well-known locations,
//! three tools with per-tool scopes, JSON responses, ChatGPT's origins allowed. Only `issuer` and
//! `jwks_uri` (the authorization server it trusts) have no default.

use serde::{Deserialize, Serialize};
use url::Url;

use super::error::ReferenceError;
use super::faults::Fault;
use super::modern_faults::ModernFault;

/// The MCP protocol versions the server speaks, oldest first; the last is preferred
/// (MCP 2025-11-25 lifecycle §Version Negotiation).
pub const SUPPORTED_PROTOCOL_VERSIONS: [&str; 3] = ["2025-03-26", "2025-06-18", "2025-11-25"];

/// Which MCP eras the server speaks on its one endpoint (MCP 2026-07-28 `basic/versioning`
/// §Backward Compatibility with Initialization-Based Versions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Era {
    /// Both: a request carrying 2026-07-28 `_meta` (or the 2026-07-28 version header, or
    /// `server/discover`) is served statelessly; `initialize` opens a legacy session.
    #[default]
    Dual,
    /// 2026-07-28 only: `initialize` is refused naming the supported versions, GET and DELETE
    /// answer 405, no session id is ever minted.
    Modern,
    /// 2025-06-18 and 2025-11-25 only, as before 2026-07-28: `server/discover` is an unknown
    /// method (-32601).
    Legacy,
}

impl Era {
    fn is_dual(&self) -> bool {
        *self == Era::Dual
    }
}

/// How the server answers a JSON-RPC request when the client accepts both forms
/// (Streamable HTTP §Sending Messages: `application/json` or `text/event-stream`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ResponseMode {
    /// One `application/json` body.
    #[default]
    Json,
    /// A `text/event-stream` with a single `event: message` whose `data:` is the response.
    Sse,
}

/// The built-in tools. Their behaviour is fixed; their required scopes are configurable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Tool {
    /// Returns `sub`, `client_id` and the scopes of the caller's token.
    Whoami,
    /// Returns its `text` argument.
    Echo,
    /// Accepts a `text` argument and answers `ok` (nothing is stored).
    WriteNote,
    /// Searches a fixed public catalogue for its `query`; an authenticated caller also gets
    /// personal results. Offered only with [`ReferenceConfig::mixed_auth`], where it is the seed-002
    /// "mixed" tool: `securitySchemes` `noauth` and `oauth2`.
    Search,
}

impl Tool {
    /// The MCP tool name.
    pub fn name(self) -> &'static str {
        match self {
            Tool::Whoami => "whoami",
            Tool::Echo => "echo",
            Tool::WriteNote => "write_note",
            Tool::Search => "search",
        }
    }
}

/// A tool and the scopes a token needs to call it (all of them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolSpec {
    /// Which tool.
    pub tool: Tool,
    /// Scopes required to call it.
    pub scopes: Vec<String>,
}

/// The reference server's configuration. Deserializable from scenario files (every field
/// optional except `issuer` and `jwks_uri`, which [`ReferenceConfig::validate`] insists on).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReferenceConfig {
    /// Port on 127.0.0.1 (0 picks a free one).
    pub port: u16,
    /// Path of the MCP endpoint. The canonical resource is `http://127.0.0.1:PORT{mcp_path}`.
    pub mcp_path: String,
    /// The authorization server listed in the PRM `authorization_servers`.
    pub issuer: String,
    /// Where its signing keys are.
    pub jwks_uri: String,
    /// The `iss` tokens must carry; `None` means `issuer`.
    pub expected_issuer: Option<String>,
    /// The tools and the scopes each needs.
    pub tools: Vec<ToolSpec>,
    /// PRM `scopes_supported`.
    pub scopes_supported: Vec<String>,
    /// The `scope` named in 401 challenges: what a token needs to use the server at all
    /// (MCP 2025-11-25 §Protected Resource Metadata Discovery Requirements, scope guidance).
    pub challenge_scopes: Vec<String>,
    /// JSON or SSE when the client accepts both.
    pub response_mode: ResponseMode,
    /// Browser origins allowed to call the endpoint (exact `scheme://host[:port]`).
    pub allowed_origins: Vec<String>,
    /// Also allow any `http(s)://127.0.0.1`, `localhost` or `[::1]` origin, whatever the port.
    pub allow_loopback_origins: bool,
    /// PRM `resource_name`.
    pub resource_name: String,
    /// Deliberate misbehaviours (empty: a correct server).
    pub faults: Vec<Fault>,
    /// The OpenAI Apps SDK's mixed authentication (seeds 002 and 004): requests without a token are
    /// served as an anonymous caller — `initialize`, `tools/list` and tools without scopes (the
    /// `search` tool is added, `securitySchemes` `noauth` + `oauth2`) — and a tool that needs
    /// scopes the caller lacks (or a token it does not have) answers HTTP 200 with a tool result
    /// `{isError: true, _meta: {"mcp/www_authenticate": ["Bearer error=\"insufficient_scope\", …"]}}`
    /// instead of 403, so ChatGPT re-authorizes. Invalid tokens still get 401, and a session an
    /// authenticated caller opened still needs that caller's token.
    pub mixed_auth: bool,
    /// Serve `/.well-known/mcp/manifest.json` with this `schemaVersion` (seed 003 §3.1); `None`
    /// serves none (404).
    pub manifest_schema_version: Option<String>,
    /// A `realm` parameter put first in every `WWW-Authenticate: Bearer` challenge (RFC 6750 §3),
    /// e.g. OwnSona's `Bearer realm="ownsona"` (seed 000). Harmless by itself.
    pub challenge_realm: Option<String>,
    /// Answer 406 unless `Accept` lists both `application/json` and `text/event-stream`, as seed
    /// 003 §3.1 advises. Clients must list both (T1125 L92-93), so this is correct, not a fault.
    pub require_both_accept_types: bool,
    /// Which eras are served (default: both).
    #[serde(skip_serializing_if = "Era::is_dual")]
    pub era: Era,
    /// Deliberate misbehaviours of the 2026-07-28 path (empty: correct).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub modern_faults: Vec<ModernFault>,
}

impl Default for ReferenceConfig {
    fn default() -> Self {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        ReferenceConfig {
            port: 0,
            mcp_path: "/mcp".into(),
            issuer: String::new(),
            jwks_uri: String::new(),
            expected_issuer: None,
            tools: vec![
                ToolSpec { tool: Tool::Whoami, scopes: s(&["mcp:read"]) },
                ToolSpec { tool: Tool::Echo, scopes: s(&["mcp:read"]) },
                ToolSpec { tool: Tool::WriteNote, scopes: s(&["mcp:write"]) },
            ],
            scopes_supported: s(&["mcp:read", "mcp:write"]),
            challenge_scopes: s(&["mcp:read"]),
            response_mode: ResponseMode::Json,
            allowed_origins: s(&["https://chatgpt.com", "https://chat.openai.com"]),
            allow_loopback_origins: true,
            resource_name: "connector-harness reference MCP server".into(),
            faults: Vec::new(),
            mixed_auth: false,
            manifest_schema_version: None,
            challenge_realm: None,
            require_both_accept_types: false,
            era: Era::Dual,
            modern_faults: Vec::new(),
        }
    }
}

impl ReferenceConfig {
    /// The default configuration trusting this authorization server.
    pub fn new(issuer: impl Into<String>, jwks_uri: impl Into<String>) -> Self {
        ReferenceConfig { issuer: issuer.into(), jwks_uri: jwks_uri.into(), ..Default::default() }
    }

    /// The `iss` tokens must carry.
    pub fn expected_issuer(&self) -> &str {
        self.expected_issuer.as_deref().unwrap_or(&self.issuer)
    }

    /// The scopes `tool` needs, if the server offers it.
    pub fn tool_scopes(&self, tool: Tool) -> Option<&[String]> {
        self.tools.iter().find(|t| t.tool == tool).map(|t| t.scopes.as_slice())
    }

    /// The tools offered: [`Self::tools`], plus `search` (no scopes) under
    /// [`Self::mixed_auth`] when it is not listed.
    pub fn offered_tools(&self) -> Vec<ToolSpec> {
        let mut list = self.tools.clone();
        if self.mixed_auth && !list.iter().any(|t| t.tool == Tool::Search) {
            list.push(ToolSpec { tool: Tool::Search, scopes: Vec::new() });
        }
        list
    }

    /// Checks everything `start` relies on.
    pub fn validate(&self) -> Result<(), ReferenceError> {
        let p = &self.mcp_path;
        if !p.starts_with('/') || p.len() < 2 || p.ends_with('/') {
            return Err(ReferenceError::config(
                "mcp_path",
                format!("`{p}` must start with `/`, not end with `/`, and not be `/`"),
            ));
        }
        if p.starts_with("/.well-known")
            || p.contains("//")
            || !p.bytes().all(|b| b.is_ascii_alphanumeric() || b"/-._~".contains(&b))
        {
            return Err(ReferenceError::config("mcp_path", format!("`{p}` must be a plain path outside /.well-known")));
        }
        absolute_http_url("issuer", &self.issuer)?;
        absolute_http_url("jwks_uri", &self.jwks_uri)?;
        if self.expected_issuer().is_empty() {
            return Err(ReferenceError::config("expected_issuer", "must not be empty"));
        }
        let scope_lists = [("scopes_supported", &self.scopes_supported), ("challenge_scopes", &self.challenge_scopes)];
        for (field, list) in scope_lists.into_iter().chain(self.tools.iter().map(|t| ("tools.scopes", &t.scopes))) {
            if let Some(bad) = list.iter().find(|s| !is_scope_token(s)) {
                return Err(ReferenceError::config(field, format!("`{bad}` is not an RFC 6749 §3.3 scope token")));
            }
        }
        for (i, t) in self.tools.iter().enumerate() {
            if self.tools[..i].iter().any(|u| u.tool == t.tool) {
                return Err(ReferenceError::config("tools", format!("`{}` is listed twice", t.tool.name())));
            }
        }
        for o in &self.allowed_origins {
            let ok = Url::parse(o).is_ok_and(|u| u.origin().ascii_serialization() == *o);
            if !ok {
                return Err(ReferenceError::config(
                    "allowed_origins",
                    format!("`{o}` is not a serialized origin (scheme://host[:port])"),
                ));
            }
        }
        if self.resource_name.chars().any(char::is_control) {
            return Err(ReferenceError::config("resource_name", "must not contain control characters"));
        }
        if let Some(r) = &self.challenge_realm
            && (r.is_empty()
                || !r
                    .bytes()
                    .all(|b| b == b' ' || b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b)))
        {
            return Err(ReferenceError::config(
                "challenge_realm",
                format!("`{r}` must be non-empty visible ASCII without `\"` or `\\` (it is quoted as is)"),
            ));
        }
        if let Some(v) = &self.manifest_schema_version
            && (v.is_empty() || v.len() > 64 || v.chars().any(char::is_control))
        {
            return Err(ReferenceError::config("manifest_schema_version", format!("`{v}` is not a version string")));
        }
        Ok(())
    }
}

fn absolute_http_url(field: &'static str, v: &str) -> Result<(), ReferenceError> {
    match Url::parse(v) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() && u.fragment().is_none() => Ok(()),
        Ok(_) => Err(ReferenceError::config(field, format!("`{v}` must be an absolute http(s) URL without fragment"))),
        Err(e) => Err(ReferenceError::config(field, format!("`{v}` is not a URL: {e}"))),
    }
}

/// `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )` (RFC 6749 §3.3): safe inside a quoted
/// `scope="…"` challenge parameter.
pub(crate) fn is_scope_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
}

/// Builds and starts a reference server:
/// `ReferenceServer::builder().issuer(idp.issuer()).jwks_uri(idp.jwks_uri()).start().await?`.
#[derive(Debug, Clone, Default)]
pub struct ReferenceServer {
    config: ReferenceConfig,
}

impl ReferenceServer {
    /// A builder with the default (correct) configuration; set `issuer` and `jwks_uri`.
    pub fn builder() -> Self {
        ReferenceServer::default()
    }
    /// Starts from a full configuration (e.g. read from a scenario file).
    pub fn with_config(config: ReferenceConfig) -> Self {
        ReferenceServer { config }
    }
    /// The authorization server to list in the PRM (and, by default, the expected `iss`).
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.config.issuer = issuer.into();
        self
    }
    /// Where the authorization server's keys are.
    pub fn jwks_uri(mut self, uri: impl Into<String>) -> Self {
        self.config.jwks_uri = uri.into();
        self
    }
    /// Expect this `iss` instead of the listed issuer.
    pub fn expected_issuer(mut self, iss: impl Into<String>) -> Self {
        self.config.expected_issuer = Some(iss.into());
        self
    }
    /// Listen on this port of 127.0.0.1 (0 picks a free one).
    pub fn port(mut self, port: u16) -> Self {
        self.config.port = port;
        self
    }
    /// The MCP endpoint path (default `/mcp`).
    pub fn mcp_path(mut self, path: impl Into<String>) -> Self {
        self.config.mcp_path = path.into();
        self
    }
    /// Sets the scopes `tool` needs (adding the tool if it was not offered).
    pub fn tool_scopes(mut self, tool: Tool, scopes: &[&str]) -> Self {
        let scopes: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
        match self.config.tools.iter_mut().find(|t| t.tool == tool) {
            Some(t) => t.scopes = scopes,
            None => self.config.tools.push(ToolSpec { tool, scopes }),
        }
        self
    }
    /// PRM `scopes_supported`.
    pub fn scopes_supported(mut self, scopes: &[&str]) -> Self {
        self.config.scopes_supported = scopes.iter().map(|s| s.to_string()).collect();
        self
    }
    /// JSON or SSE answers.
    pub fn response_mode(mut self, mode: ResponseMode) -> Self {
        self.config.response_mode = mode;
        self
    }
    /// Replaces the allowed browser origins.
    pub fn allowed_origins(mut self, origins: &[&str]) -> Self {
        self.config.allowed_origins = origins.iter().map(|s| s.to_string()).collect();
        self
    }
    /// Adds a fault.
    pub fn fault(mut self, f: Fault) -> Self {
        self.config.faults.push(f);
        self
    }
    /// Adds a 2026-07-28 fault.
    pub fn modern_fault(mut self, f: ModernFault) -> Self {
        self.config.modern_faults.push(f);
        self
    }
    /// Which eras to serve.
    pub fn era(mut self, era: Era) -> Self {
        self.config.era = era;
        self
    }
    /// Require both types in `Accept` (see [`ReferenceConfig::require_both_accept_types`]).
    pub fn require_both_accept_types(mut self, on: bool) -> Self {
        self.config.require_both_accept_types = on;
        self
    }
    /// The Apps SDK's mixed authentication (see [`ReferenceConfig::mixed_auth`]).
    pub fn mixed_auth(mut self, on: bool) -> Self {
        self.config.mixed_auth = on;
        self
    }
    /// Serve `/.well-known/mcp/manifest.json` with this `schemaVersion`.
    pub fn manifest_schema_version(mut self, v: impl Into<String>) -> Self {
        self.config.manifest_schema_version = Some(v.into());
        self
    }
    /// Put `realm="…"` first in every Bearer challenge.
    pub fn challenge_realm(mut self, realm: impl Into<String>) -> Self {
        self.config.challenge_realm = Some(realm.into());
        self
    }
    /// Changes the rest of the configuration in place.
    pub fn configure(mut self, f: impl FnOnce(&mut ReferenceConfig)) -> Self {
        f(&mut self.config);
        self
    }
    /// The configuration as built so far.
    pub fn config(&self) -> &ReferenceConfig {
        &self.config
    }
    /// The configuration, for the server to start with.
    pub(crate) fn into_config(self) -> ReferenceConfig {
        self.config
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok() -> ReferenceConfig {
        ReferenceConfig::new("http://127.0.0.1:1", "http://127.0.0.1:1/jwks")
    }

    #[test]
    fn defaults_are_valid_once_the_authorization_server_is_set() {
        assert!(ReferenceConfig::default().validate().is_err());
        ok().validate().unwrap();
        assert_eq!(ok().expected_issuer(), "http://127.0.0.1:1");
        assert_eq!(ok().tool_scopes(Tool::WriteNote).unwrap(), ["mcp:write"]);
    }

    #[test]
    fn bad_fields_are_named() {
        let field = |c: ReferenceConfig| match c.validate() {
            Err(ReferenceError::Config { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(ReferenceConfig { mcp_path: "mcp".into(), ..ok() }), "mcp_path");
        assert_eq!(field(ReferenceConfig { mcp_path: "/".into(), ..ok() }), "mcp_path");
        assert_eq!(field(ReferenceConfig { mcp_path: "/.well-known/x".into(), ..ok() }), "mcp_path");
        assert_eq!(field(ReferenceConfig { mcp_path: "/a//b".into(), ..ok() }), "mcp_path");
        assert_eq!(field(ReferenceConfig { mcp_path: "/{id}".into(), ..ok() }), "mcp_path");
        assert_eq!(field(ReferenceConfig { jwks_uri: "file:///etc/passwd".into(), ..ok() }), "jwks_uri");
        assert_eq!(field(ReferenceConfig { issuer: "not a url".into(), ..ok() }), "issuer");
        assert_eq!(field(ReferenceConfig { scopes_supported: vec!["a\"b".into()], ..ok() }), "scopes_supported");
        assert_eq!(field(ReferenceConfig { challenge_scopes: vec!["a b".into()], ..ok() }), "challenge_scopes");
        assert_eq!(
            field(ReferenceConfig { allowed_origins: vec!["https://x.com/".into()], ..ok() }),
            "allowed_origins"
        );
        let mut twice = ok();
        twice.tools.push(ToolSpec { tool: Tool::Echo, scopes: vec![] });
        assert_eq!(field(twice), "tools");
        assert_eq!(field(ReferenceConfig { challenge_realm: Some("a\"b".into()), ..ok() }), "challenge_realm");
        assert_eq!(field(ReferenceConfig { challenge_realm: Some(String::new()), ..ok() }), "challenge_realm");
        assert_eq!(
            field(ReferenceConfig { manifest_schema_version: Some(String::new()), ..ok() }),
            "manifest_schema_version"
        );
        ReferenceConfig {
            challenge_realm: Some("ownsona".into()),
            manifest_schema_version: Some("2025-06-18".into()),
            ..ok()
        }
        .validate()
        .unwrap();
    }

    #[test]
    fn mixed_auth_offers_the_search_tool_once() {
        assert_eq!(ok().offered_tools().len(), 3);
        let mixed = ReferenceConfig { mixed_auth: true, ..ok() };
        let tools = mixed.offered_tools();
        assert_eq!(tools.len(), 4);
        assert_eq!(tools[3], ToolSpec { tool: Tool::Search, scopes: vec![] });
        let listed = ReferenceServer::with_config(mixed).tool_scopes(Tool::Search, &["mcp:read"]);
        assert_eq!(listed.config().offered_tools().len(), 4, "a listed search tool is not added again");
        assert_eq!(Tool::Search.name(), "search");
    }

    #[test]
    fn builder_sets_tool_scopes_and_faults() {
        let b = ReferenceServer::builder()
            .issuer("http://i")
            .tool_scopes(Tool::Echo, &["mcp:echo"])
            .fault(Fault::NoPrm)
            .response_mode(ResponseMode::Sse);
        assert_eq!(b.config().tool_scopes(Tool::Echo).unwrap(), ["mcp:echo"]);
        assert_eq!(b.config().faults, [Fault::NoPrm]);
        assert_eq!(b.config().response_mode, ResponseMode::Sse);
    }

    #[test]
    fn config_files_use_snake_case_and_reject_unknown_fields() {
        let c: ReferenceConfig = serde_json::from_value(serde_json::json!({
            "issuer": "http://i", "jwks_uri": "http://i/jwks", "response_mode": "sse",
            "faults": ["no_prm", "skip_audience_check"],
            "tools": [{"tool": "write_note", "scopes": ["w"]}]
        }))
        .unwrap();
        assert_eq!(c.faults, [Fault::NoPrm, Fault::SkipAudienceCheck]);
        assert_eq!(c.mcp_path, "/mcp");
        assert!(serde_json::from_value::<ReferenceConfig>(serde_json::json!({"isuer": "x"})).is_err());
    }

    #[test]
    fn scope_tokens_exclude_space_quote_and_backslash() {
        assert!(is_scope_token("mcp:read"));
        for bad in ["", "a b", "a\"b", "a\\b", "é"] {
            assert!(!is_scope_token(bad), "{bad}");
        }
    }
}
