//! Behaviour profiles: what a client (ChatGPT at a given date, Claude, the spec) does, as data.
//!
//! Every behaviour is a [`Fact`]: its value, how well it is known ([`Evidence`]), when it was
//! observed, and where that came from. Profiles are YAML files in `harness/profile/profiles/`, shipped
//! inside the binary and loadable from disk; a profile may `extends:` another and override
//! fields, so dated ChatGPT variants share what did not change. Adding a new ChatGPT behaviour
//! means editing a profile, not Rust.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::Path;

mod eras;
mod error;
pub use eras::{EraStart, Eras, Fallback, GetProbe};
pub use error::ProfileError;

/// How well a fact is known (research notes' tags).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Evidence {
    /// Two or more independent sources agree.
    Confirmed,
    /// One source.
    SingleSource,
    /// Quoted from OpenAI's (or the vendor's) documentation, second-hand.
    Docs,
    /// Given or seen only in made-up fixtures.
    Unverified,
    /// Not captured anywhere: our choice, stated so it is not mistaken for an observation.
    Assumption,
    /// What a specification requires (for the spec profile).
    Spec,
    /// Seen in a capture of the real client's traffic (`record`, a browser HAR) and written by
    /// `profiles infer`; `source` names the capture file.
    Captured,
}

/// One behaviour with its provenance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fact<T> {
    /// The behaviour.
    pub value: T,
    /// How well it is known.
    pub evidence: Evidence,
    /// When it was observed (`2025-09-17`, `2026-06..2026-09`; a bare year is read as text).
    #[serde(deserialize_with = "text")]
    pub observed: String,
    /// Where from.
    pub source: String,
    /// Anything a reader should know (assumptions must say what was assumed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Reads a string, or a number as its text (YAML reads `observed: 2025` as an integer).
fn text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format!("expected a date or text, found {other}"))),
    }
}

/// How the client authenticates to the MCP server at all (the connector form's choice).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMode {
    /// The OAuth connector flow.
    Oauth,
    /// A static `Authorization: Bearer` the user supplies (Responses API path, seed 000).
    StaticBearer,
    /// No auth, the token in the URL's `?token=` (seed 000's workaround).
    QueryToken,
    /// No auth at all.
    None,
    /// The connector form's "Mixed" (seed 000): no token first; a 401 decides — OAuth when its
    /// challenge points at Protected Resource Metadata, else what [`Profile::mixed_bare_challenge`] says.
    Mixed,
}

/// What Mixed mode does with a 401 whose Bearer challenge names no `resource_metadata` (a bare
/// `Bearer realm="…"`, seed 000).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BareChallenge {
    /// Ask the user for a token and send it as `Authorization: Bearer`.
    TokenPrompt,
    /// Run OAuth discovery anyway (well-known PRM and AS metadata), failing with "does not
    /// implement OAuth" when there is none.
    OauthDiscovery,
}

/// Where Protected Resource Metadata is looked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrmSource {
    /// The `resource_metadata` of the 401 challenge.
    WwwAuthenticate,
    /// `/.well-known/oauth-protected-resource{path}`.
    Path,
    /// `/.well-known/oauth-protected-resource` (the path stripped).
    Root,
}

/// How PRM probing ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrmRule {
    /// Use the first source that yields a valid document (the spec's algorithm).
    FirstFound,
    /// Probe every source in order; the root document must be valid, or the connector fails.
    RootRequired,
}

/// Where an AS metadata probe goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProbeTarget {
    /// The issuer from PRM.
    Issuer,
    /// The MCP server's host (ChatGPT probes it too).
    McpHost,
}

/// Which well-known document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WellKnown {
    /// `/.well-known/oauth-authorization-server{path}` (RFC 8414 insertion).
    Oauth,
    /// `/.well-known/openid-configuration{path}` (OIDC insertion).
    OidcInserted,
    /// `{path}/.well-known/openid-configuration` (OIDC appending).
    OidcAppended,
}

/// One AS metadata probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AsProbe {
    /// `GET` or `HEAD`.
    pub method: HttpMethod,
    /// Which host.
    pub on: ProbeTarget,
    /// Which document.
    pub kind: WellKnown,
}

/// A request method for probes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    /// GET.
    Get,
    /// HEAD.
    Head,
}

/// How AS metadata probing ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AsRule {
    /// Stop at the first valid document (GET).
    FirstValid,
    /// Run every probe in the list, then use the first valid document.
    ProbeAll,
}

/// The discovery behaviour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Discovery {
    /// Whether an unauthenticated MCP request is sent first to read the 401 challenge.
    pub initial_request: Fact<bool>,
    /// Authorize only when the server challenges (the spec's flow: request → 401 → discovery),
    /// instead of up front when the connector is created (ChatGPT).
    pub on_challenge: Fact<bool>,
    /// PRM sources in the order tried.
    pub prm_order: Fact<Vec<PrmSource>>,
    /// When PRM probing ends.
    pub prm_rule: Fact<PrmRule>,
    /// AS metadata probes in order.
    pub as_probes: Fact<Vec<AsProbe>>,
    /// When AS probing ends.
    pub as_rule: Fact<AsRule>,
    /// Require metadata `issuer` to equal the issuer the URL was built from (RFC 8414 §3.3).
    pub check_issuer: Fact<bool>,
    /// Refuse to proceed unless `code_challenge_methods_supported` contains `S256`.
    pub require_s256_advertised: Fact<bool>,
}

/// A registration method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationKind {
    /// A client id (and secret) the user typed in.
    Static,
    /// Client ID Metadata Document (needs `client_id_metadata_document_supported`).
    Cimd,
    /// RFC 7591 (needs `registration_endpoint`).
    Dcr,
}

/// What the client does with the DCR response's `token_endpoint_auth_method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DcrAuthRule {
    /// Use whatever the response says.
    FollowResponse,
    /// Fail unless the response echoes the requested method (ChatGPT 2025-06).
    RequireRequested,
}

/// The CIMD identity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cimd {
    /// The client id URL; `{callback_id}` is replaced per connector.
    pub client_id: String,
    /// The document served at that URL (`{client_id}`, `{redirect_uri}`, `{jwks_uri}` substituted).
    pub document: Value,
    /// The JWKS URL.
    pub jwks_uri: String,
    /// Token-endpoint auth methods the client will use, in preference order, intersected with
    /// the AS's `token_endpoint_auth_methods_supported`.
    pub auth_methods: Vec<String>,
}

/// Registration behaviour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Registration {
    /// Methods in priority order.
    pub priority: Fact<Vec<RegistrationKind>>,
    /// The DCR request body (`{redirect_uri}` substituted).
    pub dcr_body: Fact<Value>,
    /// DCR response handling.
    pub dcr_auth_rule: Fact<DcrAuthRule>,
    /// CIMD, where the client uses it.
    #[serde(default)]
    pub cimd: Option<Fact<Cimd>>,
}

/// How the redirect URI is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RedirectRule {
    /// Always the stable URI.
    Stable,
    /// Always the per-connector URI.
    PerConnector,
    /// The stable URI only if the AS advertises RFC 9207 `iss`, else per-connector.
    StableIfIss,
}

/// Redirect URIs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedirectUris {
    /// Rule.
    pub rule: RedirectRule,
    /// The stable URI.
    pub stable: String,
    /// The per-connector template (`{callback_id}`).
    #[serde(default)]
    pub per_connector: Option<String>,
}

/// Where requested scopes come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScopeSource {
    /// The 401 challenge's `scope`.
    Challenge,
    /// PRM `scopes_supported`.
    Prm,
    /// AS `scopes_supported`.
    As,
}

/// The authorization request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Authorize {
    /// Scope sources, first non-empty wins; none → `scope` omitted.
    pub scope_from: Fact<Vec<ScopeSource>>,
    /// `state` prefix; followed by `state_hex` random hex characters.
    pub state_prefix: Fact<String>,
    /// Hex characters after the prefix.
    pub state_hex: usize,
    /// Whether the returned `state` is compared.
    pub verify_state: Fact<bool>,
    /// Whether RFC 9207 `iss` is compared when the AS advertises it.
    pub verify_iss: Fact<bool>,
    /// Whether `resource` is sent.
    pub send_resource: Fact<bool>,
    /// Parameter order as sent.
    pub param_order: Fact<Vec<String>>,
}

/// The token request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// Headers in the order sent; `{user_agent}` substituted. `Content-Type` and
    /// `Authorization` are added where the profile's list names them.
    pub headers: Fact<Vec<(String, String)>>,
    /// Whether `resource` is sent.
    pub send_resource: Fact<bool>,
}

/// The MCP session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mcp {
    /// `clientInfo`.
    pub client_info: Fact<Value>,
    /// `protocolVersion` asked for.
    pub protocol_version: Fact<String>,
    /// `capabilities`.
    pub capabilities: Fact<Value>,
    /// `Accept` on POSTs.
    pub accept: Fact<String>,
    /// Extra headers on every MCP request, in order.
    #[serde(default)]
    pub extra_headers: Option<Fact<Vec<(String, String)>>>,
    /// Whether `MCP-Protocol-Version` is sent after initialize.
    pub send_protocol_version_header: Fact<bool>,
    /// Methods after `initialize` (`notifications/initialized` is a notification).
    pub calls: Fact<Vec<String>>,
    /// Whether the session is ended with DELETE.
    pub delete_at_end: Fact<bool>,
}

/// Reaction to challenges.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepUp {
    /// Re-authorize on HTTP 403 `insufficient_scope`, with the challenge's scope.
    pub on_insufficient_scope: Fact<bool>,
    /// Re-authorize on a tool result's `_meta["mcp/www_authenticate"]`.
    pub on_tool_challenge: Fact<bool>,
    /// Authorization attempts per resource before giving up (the spec suggests a limit; the
    /// official suite fails clients above 3).
    pub max_attempts: Fact<u32>,
}

/// Refresh behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefreshRule {
    /// Refresh after a 401 on an MCP call, once, then re-authorize.
    On401,
    /// Never refresh (reconnect instead).
    Never,
}

/// Retry behaviour after a failed connect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retry {
    /// Whole-flow attempts.
    pub attempts: Fact<u32>,
    /// A fresh registration on every attempt (orphan DCR clients, seed 003).
    pub new_registration_per_attempt: Fact<bool>,
}

/// The messages the client shows for each failure (research §1.8). `{url}`, `{method}`,
/// `{error}`, `{detail}` are substituted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Messages {
    /// No PRM or AS metadata found.
    pub no_oauth: Fact<String>,
    /// No registration path.
    pub no_client: Fact<String>,
    /// DCR echoed another auth method.
    pub auth_method_mismatch: Fact<String>,
    /// The AS answered an error at authorize or token.
    pub oauth_error: Fact<String>,
    /// MCP calls failed after OAuth.
    pub mcp_failed: Fact<String>,
    /// Anything else.
    pub generic: Fact<String>,
    /// A `server/discover` answer contradicted by what the server then serves (2026-08 dual-era
    /// ChatGPT: HTTP 424); absent for clients not known to check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discover_inconsistent: Option<Fact<String>>,
    /// The GET probe of the MCP URL answered with a status the client refuses (`{status}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub get_probe_failed: Option<Fact<String>>,
    /// The Apps submission builder, when the per-connector callback is used (no RFC 9207).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing_callback_data: Option<Fact<String>>,
    /// A failure right after consent with a user-defined OAuth client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unexpected_connection_error: Option<Fact<String>>,
    /// Connector creation against an AS with neither DCR nor CIMD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth_configuration_error: Option<Fact<String>>,
    /// The generic reconnect prompt (a no-auth server looping on Reconnect).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_expired: Option<Fact<String>>,
    /// App review's rejection of a sign-in it could not complete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_sign_in_failed: Option<Fact<String>>,
}

/// A whole profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Identifier (`chatgpt-2026-cimd`).
    pub name: String,
    /// For the verdict line: "ChatGPT (2026 CIMD profile)".
    pub display: String,
    /// One paragraph: what this is and when it applies.
    pub description: String,
    /// The profile this one was written as a change of (already merged in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extends: Option<String>,
    /// Whether this is an abstract base, not listed for use.
    #[serde(default)]
    pub base: bool,
    /// Connector auth mode.
    pub auth_mode: Fact<AuthMode>,
    /// Mixed mode's way on a 401 with a bare challenge (needed when `auth_mode` is `mixed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mixed_bare_challenge: Option<Fact<BareChallenge>>,
    /// User-Agent of discovery, registration and token requests.
    pub user_agent_oauth: Fact<String>,
    /// User-Agent of MCP requests.
    pub user_agent_mcp: Fact<String>,
    /// Discovery.
    pub discovery: Discovery,
    /// Registration.
    pub registration: Registration,
    /// Redirect URIs.
    pub redirect_uri: Fact<RedirectUris>,
    /// Authorization request.
    pub authorize: Authorize,
    /// Token request.
    pub token_request: TokenRequest,
    /// MCP session.
    pub mcp: Mcp,
    /// Challenges.
    pub step_up: StepUp,
    /// Refresh.
    pub refresh: Fact<RefreshRule>,
    /// Retries.
    pub retry: Retry,
    /// Failure messages.
    pub messages: Messages,
    /// The protocol eras it speaks; absent: the 2025 `initialize` handshake only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eras: Option<Eras>,
    /// The MCP 2026-07-28 OAuth client rules (C-33, C-35, C-42); absent: the behaviour the dated
    /// profiles were written against (see [`OauthRules::default`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth_rules: Option<OauthRules>,
}

/// Which `resource` the client sends on the authorization and token requests (RFC 8707).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ResourceRule {
    /// The MCP server URL the user entered, without its fragment (what the dated profiles send).
    #[default]
    ServerUrl,
    /// The PRM's `resource` member byte for byte, never re-serialised by a URL parser (C-42;
    /// the official suite's `resource-parameter-matches-prm`).
    PrmExact,
}

/// The client's OAuth rules that MCP 2026-07-28 added (research §1c), one fact each. C-30/C-31/C-32
/// are [`Authorize::verify_iss`] and [`Discovery::check_issuer`]; C-34 is the DCR body's
/// `application_type`; C-37 is [`Registration::priority`]. `Default` is what the dated profiles do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OauthRules {
    /// C-42: which `resource` is sent.
    pub resource: Fact<ResourceRule>,
    /// C-42: a PRM whose `resource` is not the server URL (compared as RFC 9728 §3.3 says: the
    /// same string) is refused before any authorization request.
    pub refuse_prm_resource_mismatch: Fact<bool>,
    /// C-33: credentials are kept per AS `issuer` and never reused at another AS; a PRM naming a
    /// new AS means a new registration there.
    pub credentials_by_issuer: Fact<bool>,
    /// C-35: a re-authorization after an `insufficient_scope` challenge asks for the union of the
    /// scopes asked for before and the challenged ones (SEP-2350).
    pub scope_union_on_reauth: Fact<bool>,
}

impl Default for OauthRules {
    fn default() -> Self {
        fn legacy<T>(value: T) -> Fact<T> {
            Fact {
                value,
                evidence: Evidence::Assumption,
                observed: "2025-11-25".into(),
                source: "what the profiles written before MCP 2026-07-28 do".into(),
                note: None,
            }
        }
        OauthRules {
            resource: legacy(ResourceRule::ServerUrl),
            refuse_prm_resource_mismatch: legacy(false),
            credentials_by_issuer: legacy(false),
            scope_union_on_reauth: legacy(false),
        }
    }
}

impl Profile {
    /// Whether the client speaks MCP 2026-07-28 (has an `eras` section).
    pub fn speaks_modern(&self) -> bool {
        self.eras.is_some()
    }

    /// The OAuth rules in force: the profile's, or the dated profiles' defaults.
    pub fn oauth_rules(&self) -> OauthRules {
        self.oauth_rules.clone().unwrap_or_default()
    }

    /// The date of its most recent observation: the latest `observed` (a range's end) among the
    /// facts that are not assumptions, for saying how current a verdict's client is ("facts observed
    /// up to 2026-09-23"). `None` when no fact carries a date.
    pub fn latest_observation(&self) -> Option<String> {
        facts(self)
            .into_iter()
            .filter(|row| row.2 != Evidence::Assumption)
            .filter_map(|row| {
                let end = row.3.rsplit("..").next().unwrap_or_default().trim().to_owned();
                let dated = end.len() >= 4 && end.bytes().take(4).all(|b| b.is_ascii_digit());
                dated.then_some(end)
            })
            .max()
    }
}

/// The shipped profiles, by file.
const BUILTIN: &[(&str, &str)] = &[
    ("chatgpt-base", include_str!("../profiles/chatgpt-base.yaml")),
    ("chatgpt-2025-dcr", include_str!("../profiles/chatgpt-2025-dcr.yaml")),
    ("chatgpt-2025-09-dcr-basic", include_str!("../profiles/chatgpt-2025-09-dcr-basic.yaml")),
    ("chatgpt-2026-cimd", include_str!("../profiles/chatgpt-2026-cimd.yaml")),
    ("chatgpt-2026-cimd-stable-iss", include_str!("../profiles/chatgpt-2026-cimd-stable-iss.yaml")),
    ("chatgpt-bearer-token", include_str!("../profiles/chatgpt-bearer-token.yaml")),
    ("chatgpt-noauth-query-token", include_str!("../profiles/chatgpt-noauth-query-token.yaml")),
    ("mcp-spec-2025-11-25", include_str!("../profiles/mcp-spec-2025-11-25.yaml")),
    ("chatgpt-2026-mixed", include_str!("../profiles/chatgpt-2026-mixed.yaml")),
    ("claude", include_str!("../profiles/claude.yaml")),
    ("claude-2026-09", include_str!("../profiles/claude-2026-09.yaml")),
    ("chatgpt-2026-08-dual-era", include_str!("../profiles/chatgpt-2026-08-dual-era.yaml")),
    ("mcp-spec-2026-07-28", include_str!("../profiles/mcp-spec-2026-07-28.yaml")),
    ("static-client-id", include_str!("../profiles/static-client-id.yaml")),
];

/// The profile the harness asks about when none is named (`check`, `client`, a scenario without
/// `profile:`): today's ChatGPT. Since 2026-08 ChatGPT is a dual-era client (`server/discover`
/// first, `initialize` as the fallback), so "will ChatGPT connect?" is answered with that profile;
/// the dated ones (`chatgpt-2026-cimd`, `chatgpt-2025-dcr`, …) are asked for by name. The one place
/// this default is written: the CLI's defaults and help, the scenario default and the README name it
/// from here or are tested against it.
pub const TODAYS_CHATGPT: &str = "chatgpt-2026-08-dual-era";

/// Whether a profile (by name) is one of ChatGPT's: the GPT-* checks judge only those, and only
/// those stop at the first failure while the harness goes on to name the next ones.
pub fn is_chatgpt(name: &str) -> bool {
    name.starts_with("chatgpt")
}

/// Names of the shipped, usable profiles.
pub fn builtin_names() -> Vec<String> {
    // Read once per process: every scenario's checks ask (each call parsed every profile).
    static NAMES: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
        BUILTIN
            .iter()
            .filter_map(|(n, text)| {
                raw(n, text).ok().filter(|v| v.get("base") != Some(&Value::Bool(true))).map(|_| n.to_string())
            })
            .collect()
    });
    NAMES.clone()
}

fn raw(name: &str, text: &str) -> Result<Value, ProfileError> {
    serde_saphyr::from_str::<Value>(text)
        .map_err(|e| ProfileError::Invalid { name: name.to_owned(), reason: e.to_string() })
}

/// The `extends:` merge of the profile format, applied to `over` on top of its `base`: objects
/// merge key by key, everything else is replaced. Public so that a tool writing a profile
/// (`profiles infer`) resolves it exactly as loading will.
pub fn merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    // A fact (an object with `value`) is replaced whole, so its provenance and
                    // value never come from two different observations.
                    Some(existing) if v.get("value").is_none() => merge(existing, v),
                    _ => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, o) => *b = o,
    }
}

fn resolve(name: &str, text: &str, lookup: &dyn Fn(&str) -> Option<String>, depth: u32) -> Result<Value, ProfileError> {
    if depth > 8 {
        return Err(ProfileError::Invalid { name: name.into(), reason: "`extends` chain is longer than 8".into() });
    }
    let v = raw(name, text)?;
    let Some(parent) = v.get("extends").and_then(Value::as_str).map(str::to_owned) else { return Ok(v) };
    let parent_text = lookup(&parent).ok_or_else(|| ProfileError::Invalid {
        name: name.into(),
        reason: format!("extends unknown profile `{parent}`"),
    })?;
    let mut base = resolve(&parent, &parent_text, lookup, depth + 1)?;
    // `base: true` is not inherited: a profile extending a base is usable unless it says otherwise.
    let own_base = v.get("base").cloned();
    merge(&mut base, v);
    if let Some(o) = base.as_object_mut() {
        match own_base {
            Some(b) => o.insert("base".into(), b),
            None => o.remove("base"),
        };
    }
    Ok(base)
}

fn builtin_text(name: &str) -> Option<String> {
    BUILTIN.iter().find(|(n, _)| *n == name).map(|(_, t)| t.to_string())
}

fn finish(name: &str, v: Value) -> Result<Profile, ProfileError> {
    let p: Profile =
        serde_json::from_value(v).map_err(|e| ProfileError::Invalid { name: name.into(), reason: e.to_string() })?;
    if let Some(reason) = p.eras.as_ref().and_then(Eras::invalid) {
        return Err(ProfileError::Invalid { name: name.into(), reason });
    }
    Ok(p)
}

/// A shipped profile by name.
///
/// Shipped profiles are compiled in, so each is parsed once per process: a `run` asks for a
/// profile per scenario, and YAML parsing with its `extends` chain was a tenth of its CPU.
pub fn builtin(name: &str) -> Result<Profile, ProfileError> {
    static PARSED: std::sync::LazyLock<std::sync::Mutex<std::collections::HashMap<String, Profile>>> =
        std::sync::LazyLock::new(Default::default);
    if let Some(p) = PARSED.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(name) {
        return Ok(p.clone());
    }
    let text = builtin_text(name).ok_or_else(|| ProfileError::Unknown(name.into(), builtin_names().join(", ")))?;
    let p = finish(name, resolve(name, &text, &|n| builtin_text(n), 0)?)?;
    PARSED.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(name.to_owned(), p.clone());
    Ok(p)
}

/// A profile from a file; `extends` may name a shipped profile or a sibling file (`NAME.yaml`).
pub fn from_file(path: &Path) -> Result<Profile, ProfileError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| ProfileError::Invalid { name: name.clone(), reason: e.to_string() })?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let lookup = move |n: &str| std::fs::read_to_string(dir.join(format!("{n}.yaml"))).ok().or_else(|| builtin_text(n));
    finish(&name, resolve(&name, &text, &lookup, 0)?)
}

/// A shipped profile name, or a path to a YAML file.
pub fn load(name_or_path: &str) -> Result<Profile, ProfileError> {
    if name_or_path.ends_with(".yaml") || name_or_path.ends_with(".yml") || name_or_path.contains('/') {
        from_file(Path::new(name_or_path))
    } else {
        builtin(name_or_path)
    }
}

/// One fact as a row: `(path, value, evidence, observed, source, note)`.
pub type FactRow = (String, String, Evidence, String, String, Option<String>);

/// Every fact of a profile as rows, in declaration order, for `profiles show`.
pub fn facts(p: &Profile) -> Vec<FactRow> {
    let v = serde_json::to_value(p).unwrap_or_default();
    let mut out = Vec::new();
    walk("", &v, &mut out);
    out
}

fn walk(prefix: &str, v: &Value, out: &mut Vec<FactRow>) {
    let Value::Object(m) = v else { return };
    if let (Some(value), Some(ev)) = (m.get("value"), m.get("evidence")) {
        let evidence = serde_json::from_value(ev.clone()).unwrap_or(Evidence::Unverified);
        let s = |k: &str| m.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
        let shown = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        out.push((
            prefix.to_owned(),
            shown,
            evidence,
            s("observed"),
            s("source"),
            m.get("note").and_then(Value::as_str).map(str::to_owned),
        ));
        return;
    }
    for (k, child) in m {
        let p = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
        walk(&p, child, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_profile_loads_and_every_fact_has_provenance() {
        let names = builtin_names();
        assert!(names.len() >= 9, "{names:?}");
        assert!(!names.contains(&"chatgpt-base".to_string()), "bases are not listed");
        for n in names {
            let p = builtin(&n).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(p.name, n);
            for (path, _, ev, observed, source, note) in facts(&p) {
                assert!(!observed.is_empty() && !source.is_empty(), "{n}: {path} lacks observed/source");
                if ev == Evidence::Assumption {
                    assert!(note.is_some(), "{n}: assumption {path} must say what was assumed");
                }
            }
        }
    }

    #[test]
    fn extends_overrides_only_what_it_names() {
        let base = builtin("chatgpt-2025-dcr").unwrap();
        let basic = builtin("chatgpt-2025-09-dcr-basic").unwrap();
        assert_eq!(base.user_agent_mcp, basic.user_agent_mcp);
        assert_ne!(base.registration.dcr_auth_rule.value, basic.registration.dcr_auth_rule.value);
    }

    #[test]
    fn unknown_profile_and_bad_files_are_clear_errors() {
        let e = builtin("chatgpt-1999").unwrap_err().to_string();
        assert!(e.contains("unknown profile") && e.contains("chatgpt-2026-cimd"), "{e}");
        let dir = std::env::temp_dir().join(format!("mc-prof-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("x.yaml");
        std::fs::write(&f, "extends: chatgpt-2026-cimd\nname: x\nuser_agent_mcp: {value: a, evidence: nonsense, observed: x, source: y}\n").unwrap();
        let e = from_file(&f).unwrap_err().to_string();
        assert!(e.contains("nonsense") || e.contains("evidence"), "{e}");
        std::fs::write(&f, "extends: chatgpt-2026-cimd\nname: x\ndisplay: X\nuser_agent_mcp: {value: custom/1, evidence: assumption, observed: today, source: me, note: testing}\n").unwrap();
        assert_eq!(from_file(&f).unwrap().user_agent_mcp.value, "custom/1");
    }

    #[test]
    fn todays_chatgpt_is_a_shipped_dual_era_chatgpt_profile() {
        let p = builtin(TODAYS_CHATGPT).unwrap_or_else(|e| panic!("{e}"));
        assert!(is_chatgpt(TODAYS_CHATGPT) && !p.base, "{TODAYS_CHATGPT} must be a usable ChatGPT profile");
        let eras = p.eras.as_ref().expect("today's ChatGPT speaks 2026-07-28");
        assert_eq!(eras.first.value, EraStart::Discover, "today's ChatGPT sends server/discover first");
        assert!(eras.falls_back(400, Some(-32601)), "and falls back to initialize on a 2025-only server");
        // It is the most recently observed ChatGPT profile: no dated one saw ChatGPT later.
        let latest = p.latest_observation().expect("dated facts");
        for n in builtin_names().into_iter().filter(|n| is_chatgpt(n)) {
            let other = builtin(&n).unwrap().latest_observation().unwrap_or_default();
            assert!(other <= latest, "{n} was observed {other}, after {TODAYS_CHATGPT} ({latest})");
        }
    }

    #[test]
    fn the_latest_observation_is_a_range_s_end_and_never_an_assumption() {
        let mut p = builtin("chatgpt-2025-dcr").unwrap();
        p.user_agent_mcp.observed = "2025-06..2027-01".into();
        assert_eq!(p.latest_observation().as_deref(), Some("2027-01"));
        p.user_agent_mcp.evidence = Evidence::Assumption;
        assert_ne!(p.latest_observation().as_deref(), Some("2027-01"), "an assumption is not an observation");
    }

    #[test]
    fn dated_profiles_speak_legacy_only_and_today_s_clients_have_every_era_fact() {
        for n in ["chatgpt-2025-dcr", "chatgpt-2026-cimd", "chatgpt-2026-mixed", "claude", "mcp-spec-2025-11-25"] {
            assert!(!builtin(n).unwrap().speaks_modern(), "{n} gained an era section");
        }
        let dual = builtin("chatgpt-2026-08-dual-era").unwrap();
        let eras = dual.eras.as_ref().expect("the dual-era profile speaks 2026-07-28");
        assert_eq!(eras.first.value, EraStart::Discover);
        assert_eq!(eras.discover_id.value, "openai-mcp-discover");
        assert!(
            eras.falls_back(400, Some(-32601)) && eras.falls_back(400, None) && !eras.falls_back(400, Some(-32020))
        );
        let rows = facts(&dual);
        for field in [
            "modern_version",
            "first",
            "discover_id",
            "fallback",
            "method_header",
            "name_header",
            "client_info",
            "client_capabilities",
            "calls",
            "verify_discover",
            "get_probe",
        ] {
            assert!(rows.iter().any(|r| r.0 == format!("eras.{field}")), "profiles show lacks eras.{field}");
        }
        // OAuth as chatgpt-2026-cimd.
        assert_eq!(dual.registration, builtin("chatgpt-2026-cimd").unwrap().registration);
        let claude = builtin("claude-2026-09").unwrap();
        assert!(!claude.eras.as_ref().unwrap().falls_back(400, Some(-32601)), "Claude does not fall back after -32601");
        assert_eq!(claude.registration.dcr_body.value["application_type"], "web");
        assert!(builtin("mcp-spec-2026-07-28").unwrap().eras.unwrap().falls_back(404, None));
    }

    #[test]
    fn an_era_section_must_name_a_stateless_revision() {
        let dir = std::env::temp_dir().join(format!("mc-prof-era-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("x.yaml");
        let text = builtin_text("mcp-spec-2026-07-28")
            .unwrap()
            .replace("modern_version: {value: \"2026-07-28\"", "modern_version: {value: \"2025-11-25\"");
        std::fs::write(&f, text.replace("name: mcp-spec-2026-07-28", "name: x")).unwrap();
        let e = from_file(&f).unwrap_err().to_string();
        assert!(e.contains("not a stateless"), "{e}");
    }
}
