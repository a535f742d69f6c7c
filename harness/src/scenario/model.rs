//! The scenario format. Every struct rejects unknown fields, so a typo is an error with a line
//! number, not a silently ignored setting.

use mock_idp::{IdpConfig, NegativeToken};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::model::Status;
use crate::probes::Probe;
use reference_server::Fault;

/// A scenario file. Every field is optional in the file (fragments supply parts); `name`
/// defaults to the file stem.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Scenario {
    /// Human name.
    pub name: Option<String>,
    /// What it proves.
    pub description: Option<String>,
    /// Tags for `--filter`.
    pub tags: Vec<String>,
    /// Requirement IDs it is about, for `--filter RS-08`.
    pub requirements: Vec<String>,
    /// Fragments merged underneath this file (paths relative to it).
    pub include: Vec<String>,
    /// The spec version findings are judged against (`2025-06-18` or `2025-11-25`).
    #[serde(deserialize_with = "judged_spec")]
    pub spec: Option<SpecVersion>,
    /// The mock IdP's configuration (any `IdpConfig` field). Present → the mock IdP runs.
    pub idp: Option<IdpConfig>,
    /// The server under test.
    pub target: Option<TargetSpec>,
    /// The client profile (default [`mock_client::profile::TODAYS_CHATGPT`], today's ChatGPT).
    pub profile: Option<String>,
    /// Client settings that are not behaviour.
    pub client: Option<ClientSettings>,
    /// What to do (default: `[connect]`).
    pub steps: Option<Vec<RawStep>>,
    /// What should come out.
    pub expect: Option<Expect>,
    /// The same scenario under several profiles, each with its own expectations.
    pub matrix: Vec<MatrixEntry>,
}

/// The server under test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum TargetSpec {
    /// The built-in reference server, protected by the mock IdP; optionally with faults.
    Reference(ReferenceTarget),
    /// An already running server.
    Url(String),
    /// A command to start, with `{{idp.issuer}}`, `{{idp.jwks_uri}}`, `{{port}}` placeholders.
    Command(CommandTarget),
}

/// The reference server's settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReferenceTarget {
    /// Faults to switch on.
    pub faults: Vec<Fault>,
    /// Which MCP eras the server speaks (`dual`, the default; `modern`; `legacy`).
    pub era: Option<reference_server::Era>,
    /// Faults of the 2026-07-28 path to switch on (`modern_faults: [prm_resource_trailing_slash]`).
    pub modern_faults: Vec<reference_server::ModernFault>,
    /// `json` or `sse` responses.
    pub response_mode: Option<reference_server::ResponseMode>,
    /// The Apps SDK's mixed authentication (seed 002): no token needed for `initialize`,
    /// `tools/list` and the `search` tool; protected tools answer with a tool-level
    /// `_meta["mcp/www_authenticate"]` challenge.
    pub mixed_auth: bool,
    /// Serve `/.well-known/mcp/manifest.json` with this `schemaVersion` (seed 003).
    pub manifest_schema_version: Option<String>,
    /// `realm="…"` first in every Bearer challenge (seed 000's `Bearer realm="ownsona"`).
    pub challenge_realm: Option<String>,
    /// Answer 406 unless `Accept` lists both `application/json` and `text/event-stream` (seed 003's
    /// advice; correct behaviour, not a fault).
    pub require_both_accept_types: bool,
}

/// A server started by the runner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandTarget {
    /// Program and arguments.
    pub command: Vec<String>,
    /// Environment.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// The MCP URL once it runs.
    pub url: String,
    /// A URL that answers (any status below 500) once the server is ready; default: the port accepts.
    #[serde(default)]
    pub ready: Option<String>,
    /// Working directory, relative to the scenario file.
    #[serde(default)]
    pub cwd: Option<String>,
    /// Seconds to wait for readiness (default 30).
    #[serde(default)]
    pub ready_timeout: Option<u64>,
}

/// Client settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClientSettings {
    /// How the user's part of authorization is done.
    pub login: Option<Login>,
    /// Form fields for the form driver.
    pub login_fields: BTreeMap<String, String>,
    /// A pre-registered client id.
    pub client_id: Option<String>,
    /// Its secret.
    pub client_secret: Option<String>,
    /// A bearer token (bearer/query-token profiles); `mint` to mint a valid one from the mock IdP.
    pub token: Option<String>,
    /// A public https URL (a tunnel) that reaches the client's metadata host, so a remote AS can
    /// fetch the Client ID Metadata Document.
    pub cimd_base: Option<String>,
    /// The metadata host's port on 127.0.0.1 (what the tunnel forwards to).
    pub cimd_port: Option<u16>,
    /// `harness` (default: the harness's copy of the profile's document) or `chatgpt-real`
    /// (ChatGPT's real `https://chatgpt.com/oauth/client.json`, authenticating with `none`).
    pub cimd_client_id: Option<String>,
}

/// A step as written: a bare name (`connect`) or a one-key map (`call_tool: {name: whoami}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum RawStep {
    /// Run the connect flow.
    Connect,
    /// Connect again with a fresh client (ChatGPT re-registers on every attempt).
    Reconnect,
    /// Refresh the access token.
    Refresh,
    /// End the session as the profile would.
    Finish,
    /// Call a tool.
    CallTool {
        /// Tool name.
        name: String,
        /// Arguments.
        #[serde(default)]
        args: serde_json::Value,
    },
    /// Run one active probe.
    Probe(Probe),
    /// Run several probes.
    Probes(Vec<Probe>),
    /// Send `initialize` with a token minted by the mock IdP.
    SendToken(SendToken),
    /// Send a raw request.
    Raw(RawRequest),
}

/// A minted token to send.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum SendToken {
    /// One of the negative battery.
    Negative(NegativeToken),
    /// Claims overriding a valid token's, signed validly.
    Claims(serde_json::Map<String, serde_json::Value>),
}

/// A raw HTTP request against the target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRequest {
    /// Method.
    #[serde(default)]
    pub method: HttpMethod,
    /// Path relative to the target's origin (default: the MCP path).
    #[serde(default)]
    pub path: Option<String>,
    /// Headers; `{{token}}` is the connected access token.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// JSON body.
    #[serde(default)]
    pub body: Option<serde_json::Value>,
    /// Label in the transcript.
    #[serde(default)]
    pub label: Option<String>,
}

/// An HTTP method as a raw step writes it: any RFC 9110 token (`POST`, `GET`, `PROPFIND`…),
/// checked when the file is read so a typo such as `P0ST ` is an error with its line and column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct HttpMethod(String);

impl HttpMethod {
    /// The method as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for HttpMethod {
    fn default() -> Self {
        HttpMethod("POST".into())
    }
}

impl<'de> Deserialize<'de> for HttpMethod {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        // RFC 9110 §5.6.2 tchar.
        let tchar = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
        if s.is_empty() || s.len() > 32 || !s.chars().all(tchar) {
            return Err(serde::de::Error::custom(format!("`{s}` is not an HTTP method (a token such as POST or GET)")));
        }
        Ok(HttpMethod(s))
    }
}

/// How the user's part of authorization is done (`client.login`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Login {
    /// Follow redirects; the IdP approves without a page.
    Auto,
    /// Fill the login and consent forms with `login_fields`.
    Form,
    /// Ask a person to sign in in a browser.
    Manual,
}

/// The MCP spec version findings are judged against: [`mcp_wire::SpecVersion`], of which scenario
/// files may name the revisions the checks judge ([`JUDGED_SPECS`]).
pub use mcp_wire::SpecVersion;

/// The revisions a scenario may be judged under: the checks speak the `initialize` revisions.
pub const JUDGED_SPECS: [SpecVersion; 2] = [SpecVersion::V2025_06_18, SpecVersion::V2025_11_25];

/// Reads `spec:`, refusing a revision the checks do not judge (at the value's line and column).
fn judged_spec<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<SpecVersion>, D::Error> {
    let v = SpecVersion::deserialize(d)?;
    if JUDGED_SPECS.contains(&v) {
        Ok(Some(v))
    } else {
        Err(serde::de::Error::custom(format!("spec {v} is not judged by the checks yet; use 2025-06-18 or 2025-11-25")))
    }
}

/// How the connect should end (`expect.outcome`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ExpectedOutcome {
    /// Initialized and listed tools.
    Connected,
    /// Did not connect.
    Failed,
    /// No connect step ran.
    NotAttempted,
}

impl ExpectedOutcome {
    /// As written in a scenario file.
    pub fn as_str(self) -> &'static str {
        match self {
            ExpectedOutcome::Connected => "connected",
            ExpectedOutcome::Failed => "failed",
            ExpectedOutcome::NotAttempted => "not_attempted",
        }
    }
}

/// The resolved steps.
pub type Step = RawStep;

/// Expectations.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Expect {
    /// `connected`, `failed` or `not_attempted`.
    pub outcome: Option<ExpectedOutcome>,
    /// The exact message the client would show (`{target}` is the MCP URL).
    pub chatgpt_says: Option<String>,
    /// Finding statuses by requirement ID.
    pub findings: BTreeMap<String, Status>,
    /// A snapshot name: the normalised transcript must equal `scenarios/snapshots/<name>.snap`.
    pub snapshot: Option<String>,
}

/// One matrix entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MatrixEntry {
    /// Profile.
    pub profile: Option<String>,
    /// Client settings (merged over the scenario's).
    pub client: Option<ClientSettings>,
    /// Expectations (replace the scenario's).
    pub expect: Option<Expect>,
    /// Spec version override.
    #[serde(deserialize_with = "judged_spec")]
    pub spec: Option<SpecVersion>,
}

/// A scenario as loaded: the merged file plus where it came from.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The merged scenario.
    pub scenario: Scenario,
    /// Its file.
    pub file: std::path::PathBuf,
    /// Its name (the `name:` or the file stem).
    pub name: String,
}

/// One run to perform: a scenario with one matrix entry resolved.
#[derive(Debug, Clone)]
pub struct Planned {
    /// Display name: `name` or `name [profile]`.
    pub name: String,
    /// File.
    pub file: std::path::PathBuf,
    /// Tags.
    pub tags: Vec<String>,
    /// Requirement IDs.
    pub requirements: Vec<String>,
    /// Spec version.
    pub spec: SpecVersion,
    /// Mock IdP config, when the IdP runs.
    pub idp: Option<IdpConfig>,
    /// Target.
    pub target: TargetSpec,
    /// Profile name or file.
    pub profile: String,
    /// Client settings.
    pub client: ClientSettings,
    /// Steps.
    pub steps: Vec<Step>,
    /// Expectations.
    pub expect: Expect,
}

impl Loaded {
    /// Expands the matrix (or the single run) into planned runs.
    pub fn plan(&self) -> Vec<Planned> {
        let s = &self.scenario;
        let base = |entry: Option<&MatrixEntry>| {
            let profile = entry
                .and_then(|e| e.profile.clone())
                .or_else(|| s.profile.clone())
                .unwrap_or_else(|| mock_client::profile::TODAYS_CHATGPT.into());
            let mut client = s.client.clone().unwrap_or_default();
            if let Some(c) = entry.and_then(|e| e.client.clone()) {
                client.login = c.login.or(client.login);
                client.login_fields.extend(c.login_fields);
                client.client_id = c.client_id.or(client.client_id);
                client.client_secret = c.client_secret.or(client.client_secret);
                client.token = c.token.or(client.token);
                client.cimd_base = c.cimd_base.or(client.cimd_base);
                client.cimd_port = c.cimd_port.or(client.cimd_port);
                client.cimd_client_id = c.cimd_client_id.or(client.cimd_client_id);
            }
            let target = s.target.clone().unwrap_or(TargetSpec::Reference(ReferenceTarget::default()));
            let idp = match (&s.idp, &target) {
                (Some(c), _) => Some(c.clone()),
                (None, TargetSpec::Url(_)) => None,
                (None, _) => Some(IdpConfig::default()),
            };
            Planned {
                name: if entry.is_some() && !s.matrix.is_empty() {
                    format!("{} [{profile}]", self.name)
                } else {
                    self.name.clone()
                },
                file: self.file.clone(),
                tags: s.tags.clone(),
                requirements: s.requirements.clone(),
                spec: entry.and_then(|e| e.spec).or(s.spec).unwrap_or(SpecVersion::V2025_11_25),
                idp,
                target,
                profile,
                client,
                steps: s.steps.clone().unwrap_or_else(|| vec![RawStep::Connect]),
                expect: entry.and_then(|e| e.expect.clone()).or_else(|| s.expect.clone()).unwrap_or_default(),
            }
        };
        if s.matrix.is_empty() { vec![base(None)] } else { s.matrix.iter().map(|e| base(Some(e))).collect() }
    }
}
