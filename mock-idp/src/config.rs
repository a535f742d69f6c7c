//! What the mock IdP is asked to be: issuer shape, login mode, lifetimes, clients, quirks.
//!
//! The same struct is filled from code (the builder), from a YAML/JSON file (`idp --config`) and,
//! later, from a scenario's `idp:` section, so every field has a default that gives a correct,
//! spec-following authorization server.

use serde::{Deserialize, Serialize};
use std::path::Path;

use crate::error::IdpError;
use crate::quirks::{Quirk, Quirks};

/// How the user's part of `/authorize` goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LoginMode {
    /// Approve at once with a 302 to the redirect URI: headless runs.
    #[default]
    AutoApprove,
    /// An HTML login page, then a consent page, with a cookie session; drives the form login driver.
    Form,
    /// Always answer `access_denied`.
    Deny,
}

/// Where the authorization server metadata is served (RFC 8414 §3.1, OIDC Discovery §4, and the
/// path-appending form the MCP spec lists for OIDC issuers with a path).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum MetadataLocation {
    /// `/.well-known/oauth-authorization-server{path}`.
    Oauth,
    /// `/.well-known/openid-configuration{path}`.
    OidcInserted,
    /// `{path}/.well-known/openid-configuration`.
    OidcAppended,
}

/// A user the form login accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    /// Login name, also the token `sub`.
    pub username: String,
    /// Password.
    pub password: String,
}

/// A client that exists before any registration: the static client ids users type into a
/// connector form (seed 001's `oauthClientId`), or a resource server's introspection credentials.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaticClient {
    /// The client id.
    pub client_id: String,
    /// The secret; absent for a public client.
    #[serde(default)]
    pub client_secret: Option<String>,
    /// Exact redirect URIs.
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// `client_secret_basic`, `client_secret_post` or `none`; defaults from the secret's presence.
    #[serde(default)]
    pub token_endpoint_auth_method: Option<String>,
    /// Scopes this client may ask for; empty means any supported scope.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// A resource server's credentials: this client may introspect (RFC 7662) every client's
    /// tokens. Any other client learns only about its own tokens (`{"active": false}` for the
    /// rest), so a self-registered client cannot read another client's grants (RFC 7662 §4).
    #[serde(default)]
    pub resource_server: bool,
}

/// How much the IdP remembers. Every store is bounded and none refuses once full: expired entries
/// are swept, and past a cap the oldest (for clients: the least recently used) entry is forgotten,
/// so a long-running `connector-harness idp` keeps answering with a bounded memory footprint.
/// Static clients are never forgotten.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Dynamically registered and metadata-document clients kept (least recently used evicted
    /// beyond it; its tokens then stop authenticating). Default 1,000.
    pub max_clients: usize,
    /// Largest registration request (the client metadata JSON) in bytes; a larger one is refused
    /// with `invalid_client_metadata` (RFC 7591 §3.2.2). Default 16 KiB.
    pub max_client_metadata_bytes: usize,
    /// `redirect_uris` per registration; more are refused with `invalid_redirect_uri`. Default 20.
    pub max_redirect_uris: usize,
    /// Length of one redirect URI in bytes; longer is refused with `invalid_redirect_uri`. Default 2,048.
    pub max_redirect_uri_bytes: usize,
    /// Authorization codes kept: unredeemed ones until they expire, redeemed ones as long as the
    /// tokens they produced live (for replay detection), the oldest first beyond it. Default 10,000.
    pub max_codes: usize,
    /// Access and refresh tokens kept: expired ones are swept, the oldest first beyond it (a
    /// forgotten token is inactive at introspection and unknown at `/token`). Default 10,000.
    pub max_tokens: usize,
    /// Entries in the request log and in the authorization-request log, each a ring buffer that
    /// keeps the newest. Default 2,000.
    pub max_log_entries: usize,
    /// Bytes kept of each logged body, query string, header value and authorization parameter;
    /// longer ones end in `…[truncated by mock-idp; N bytes]`. Default 4 KiB.
    pub max_logged_bytes: usize,
    /// Pending form-mode authorizations and login sessions kept (oldest forgotten). Default 1,000.
    pub max_sessions: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_clients: 1_000,
            max_client_metadata_bytes: 16 * 1024,
            max_redirect_uris: 20,
            max_redirect_uri_bytes: 2_048,
            max_codes: 10_000,
            max_tokens: 10_000,
            max_log_entries: 2_000,
            max_logged_bytes: 4 * 1024,
            max_sessions: 1_000,
        }
    }
}

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IdpConfig {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Issuer path, e.g. `/tenant1`; empty for an issuer at the origin.
    pub issuer_path: String,
    /// How `/authorize` obtains the user's consent.
    pub login: LoginMode,
    /// Users the form login accepts.
    pub users: Vec<User>,
    /// `scopes_supported`: the scopes `/authorize`, `/register` and `/token` accept.
    pub scopes_supported: Vec<String>,
    /// The `scopes_supported` the metadata lists, when it lists fewer than the IdP accepts; `None`
    /// lists them all. Auth0 and others list only their OpenID Connect scopes there, not an API's
    /// permissions (seed 002), so a client asking for the advertised scopes gets a token without
    /// them and learns them from a scope challenge.
    pub advertised_scopes: Option<Vec<String>>,
    /// Scopes granted to a client that registered without `scope` when
    /// [`Quirk::ScopesBoundAtRegistration`] is on.
    pub default_scopes: Vec<String>,
    /// Resources tokens may be issued for; empty accepts any absolute URI without a fragment.
    pub resources: Vec<String>,
    /// Access token lifetime in seconds.
    pub access_token_ttl: u64,
    /// Refresh token lifetime in seconds.
    pub refresh_token_ttl: u64,
    /// Authorization code lifetime in seconds (RFC 6749 §4.1.2 recommends at most 600).
    pub code_ttl: u64,
    /// Where metadata is served.
    pub metadata_locations: Vec<MetadataLocation>,
    /// Clients that exist from the start.
    pub clients: Vec<StaticClient>,
    /// Misbehaviours to reproduce.
    pub quirks: Quirks,
    /// Allow `http://` loopback URLs for Client ID Metadata Documents and `jwks_uri` (test mode).
    pub allow_loopback_fetch: bool,
    /// Fetch those documents from private, CGNAT, link-local and unique-local addresses too
    /// (`--allow-private-addresses`; cloud metadata addresses are never fetched).
    pub allow_private_fetch: bool,
    /// Seconds a fetched client metadata document stays cached when it sends no `max-age`.
    pub cimd_cache_ttl: u64,
    /// Generate fresh RSA keys instead of the fixed test keys (slow: about a second per key in debug).
    pub generate_keys: bool,
    /// Request body limit in bytes.
    pub max_body_bytes: usize,
    /// Caps on what the IdP remembers (see [`Limits`]).
    pub limits: Limits,
}

impl Default for IdpConfig {
    fn default() -> Self {
        IdpConfig {
            port: 0,
            issuer_path: String::new(),
            login: LoginMode::AutoApprove,
            users: vec![User { username: "alice".into(), password: "wonderland".into() }],
            scopes_supported: ["openid", "profile", "offline_access", "mcp:read", "mcp:write"]
                .map(String::from)
                .to_vec(),
            advertised_scopes: None,
            default_scopes: vec!["openid".into()],
            resources: Vec::new(),
            access_token_ttl: 3600,
            refresh_token_ttl: 86_400,
            code_ttl: 60,
            metadata_locations: vec![
                MetadataLocation::Oauth,
                MetadataLocation::OidcInserted,
                MetadataLocation::OidcAppended,
            ],
            clients: Vec::new(),
            quirks: Quirks::default(),
            allow_loopback_fetch: true,
            allow_private_fetch: false,
            cimd_cache_ttl: 300,
            generate_keys: false,
            max_body_bytes: 64 * 1024,
            limits: Limits::default(),
        }
    }
}

impl IdpConfig {
    /// Reads a YAML (or JSON, which is YAML) configuration file.
    pub fn from_file(path: &Path) -> Result<IdpConfig, IdpError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| IdpError::ConfigFile { path: path.display().to_string(), reason: e.to_string() })?;
        Self::from_yaml(&text).map_err(|reason| IdpError::ConfigFile { path: path.display().to_string(), reason })
    }

    /// Parses YAML text; the error names line and column.
    pub fn from_yaml(text: &str) -> Result<IdpConfig, String> {
        let cfg: IdpConfig = serde_saphyr::from_str(text).map_err(|e| e.to_string())?;
        cfg.validate().map_err(|e| e.to_string())?;
        Ok(cfg)
    }

    /// Rejects configurations that cannot work, before anything binds.
    pub fn validate(&self) -> Result<(), IdpError> {
        if !self.issuer_path.is_empty()
            && (!self.issuer_path.starts_with('/')
                || self.issuer_path.ends_with('/')
                || self.issuer_path.contains(['?', '#']))
        {
            return Err(IdpError::Config(format!(
                "issuer_path `{}` must start with `/`, not end with `/`, and hold no query or fragment",
                self.issuer_path
            )));
        }
        if self.metadata_locations.is_empty() {
            return Err(IdpError::Config("metadata_locations is empty: nothing could discover this IdP".into()));
        }
        if let Some(bad) = self.advertised_scopes.iter().flatten().find(|s| !self.scopes_supported.contains(s)) {
            return Err(IdpError::Config(format!("advertised scope `{bad}` is not in scopes_supported")));
        }
        if self.access_token_ttl == 0 || self.code_ttl == 0 {
            return Err(IdpError::Config("token and code lifetimes must be at least one second".into()));
        }
        if self.max_body_bytes < 1024 {
            return Err(IdpError::Config("max_body_bytes below 1024 would refuse ordinary requests".into()));
        }
        let l = &self.limits;
        if [l.max_clients, l.max_codes, l.max_tokens, l.max_log_entries, l.max_sessions, l.max_redirect_uris]
            .contains(&0)
        {
            return Err(IdpError::Config("every count in `limits` must be at least 1".into()));
        }
        if l.max_logged_bytes < 64 || l.max_client_metadata_bytes < 256 || l.max_redirect_uri_bytes < 32 {
            return Err(IdpError::Config(
                "limits too small to work: max_logged_bytes >= 64, max_client_metadata_bytes >= 256, \
                 max_redirect_uri_bytes >= 32"
                    .into(),
            ));
        }
        for c in &self.clients {
            if let Some(m) = &c.token_endpoint_auth_method {
                if !["client_secret_basic", "client_secret_post", "none"].contains(&m.as_str()) {
                    return Err(IdpError::Config(format!(
                        "static client `{}`: unsupported auth method `{m}`",
                        c.client_id
                    )));
                }
                if m != "none" && c.client_secret.is_none() {
                    return Err(IdpError::Config(format!(
                        "static client `{}`: `{m}` needs a client_secret",
                        c.client_id
                    )));
                }
            }
        }
        Ok(())
    }

    /// Whether a unit quirk is on.
    pub fn has(&self, q: Quirk) -> bool {
        self.quirks.has(&q)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_config_with_quirks_and_clients() {
        let cfg = IdpConfig::from_yaml(
            "issuer_path: /tenant1\nlogin: form\nquirks: [no_audience, {trusted_hosts: [chatgpt.com]}]\nclients:\n  - client_id: static-1\n    client_secret: s3cret\n    redirect_uris: [https://chatgpt.com/connector_platform_oauth_redirect]\n",
        )
        .unwrap();
        assert_eq!(cfg.issuer_path, "/tenant1");
        assert_eq!(cfg.login, LoginMode::Form);
        assert!(cfg.has(Quirk::NoAudience));
        assert_eq!(cfg.clients[0].client_id, "static-1");
    }

    #[test]
    fn config_errors_point_at_the_line() {
        let err = IdpConfig::from_yaml("login: form\nquirkz: []\n").unwrap_err();
        assert!(err.contains("quirkz"), "{err}");
        assert!(err.contains("line 2"), "{err}");
        let err = IdpConfig::from_yaml("issuer_path: tenant1/\n").unwrap_err();
        assert!(err.contains("issuer_path"), "{err}");
    }

    #[test]
    fn advertised_scopes_are_a_subset_of_the_supported_ones() {
        let cfg = IdpConfig::from_yaml("advertised_scopes: [openid, \"mcp:read\"]\n").unwrap();
        assert_eq!(cfg.advertised_scopes.unwrap(), ["openid", "mcp:read"]);
        let err = IdpConfig::from_yaml("advertised_scopes: [\"mcp:admin\"]\n").unwrap_err();
        assert!(err.contains("mcp:admin"), "{err}");
    }
}
