//! What a certification observed, as data: the issuer, how the harness signed in, and per flow
//! the redacted transcript, what the client obtained, the token inspection, the refresh sequence
//! and the negative probes' raw outcomes. [`crate::observe`] writes it; [`crate::judge`] reads
//! nothing else. It serialises to JSON (`certify-idp --save-observations`), so a certification
//! can be judged again offline (`certify-idp --rejudge`) and gives the same items.
//!
//! Every string in it is redacted: the transcript by `Transcript::redacted`, every other value by
//! the same run's redactor (same placeholders, so equal secrets stay equal), and a secret of one
//! run that strayed into another run's text by `[redacted]`.

use std::collections::BTreeMap;

use mock_client::profile::{Profile, RegistrationKind};
use mock_client::{CimdFetch, Failure, Transcript};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use crate::token::TokenView;

/// A resource the user never authorizes (the AS-20 probe asks for a token for it).
pub const FOREIGN_RESOURCE: &str = "https://foreign-resource.example/mcp";

/// A redirect URI on a host that is not ChatGPT's (the registration-policy probe).
pub const FOREIGN_REDIRECT: &str = "https://attacker.example/callback";
/// The path segment appended to the client's redirect URI by the exact-match probe.
pub const UNREGISTERED_SUFFIX: &str = "/connector-harness-unregistered";

/// The format written by `--save-observations`; `--rejudge` refuses another.
pub const FORMAT: &str = "connector-harness idp observations v1";

/// Everything one certification observed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observations {
    /// Always [`FORMAT`].
    pub format: String,
    /// The harness version that observed.
    pub harness_version: String,
    /// Start time, RFC 3339 (UTC).
    pub started_at: String,
    /// Wall time in milliseconds.
    pub duration_ms: u64,
    /// The issuer certified.
    pub issuer: String,
    /// The RFC 8707 resource the flows asked for.
    pub resource: String,
    /// How the harness signed in (field names only, never their values).
    pub login: Login,
    /// What the reader should know about how the run went (CIMD not testable, …).
    pub notes: Vec<String>,
    /// One per profile, and the public-client probe's when one was needed.
    pub runs: Vec<RunObs>,
}

/// The login driver, without the values of its fields (passwords).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Login {
    /// Redirects followed until the redirect URI.
    Auto,
    /// Forms filled with these fields.
    Form {
        /// The field names given (`--login-field NAME=…`).
        fields: Vec<String>,
    },
    /// A person signed in and pasted the redirect URL.
    Manual,
}

impl Login {
    /// The driver's description, as the report shows it: `form (username, password)`.
    pub fn describe(&self) -> String {
        match self {
            Login::Auto => "auto".into(),
            Login::Form { fields } if fields.is_empty() => "form".into(),
            Login::Form { fields } => format!("form ({})", fields.join(", ")),
            Login::Manual => "manual".into(),
        }
    }
}

impl From<&mock_client::LoginDriver> for Login {
    fn from(d: &mock_client::LoginDriver) -> Login {
        match d {
            mock_client::LoginDriver::Auto => Login::Auto,
            mock_client::LoginDriver::Form { fields } => Login::Form { fields: fields.keys().cloned().collect() },
            mock_client::LoginDriver::Manual => Login::Manual,
        }
    }
}

/// Why a run does or does not exercise Client ID Metadata Documents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CimdMode {
    /// The profile does not use CIMD.
    NotInProfile,
    /// A static client was given; the profile uses it first.
    StaticClient,
    /// The IdP could not fetch the harness's document (not loopback, no `cimd_base`).
    Unreachable(String),
    /// The IdP refused the harness's loopback `http://` document URL without fetching it (an
    /// https-only rule, as the CIMD draft's SSRF advice suggests): CIMD is not testable here, and
    /// the profile ran again without it.
    LoopbackRefused(String),
    /// The profile may use CIMD.
    Available,
}

/// Which kind of run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunKind {
    /// A ChatGPT profile's flow with every probe.
    Profile,
    /// The AS-18 public-client probe: the flow and the refreshes only.
    PublicClient,
}

/// A negative probe's raw outcome: what the IdP did, classified when the probe ran (a refusal,
/// a code, neither); [`crate::judge`] makes it a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProbeOutcome {
    /// The IdP behaved as it must.
    Pass(String),
    /// It did not.
    Fail(String),
    /// Neither clearly (WARNING).
    Unclear(String),
    /// A page needs a person and the run may not involve one (SKIPPED).
    NeedsUser(String),
    /// The probe could not run (a prerequisite failed).
    NotRun(String),
    /// Recorded, not judged (INFO).
    Info(String),
}

/// A probe: its outcome and the exchanges that show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Probe {
    /// What happened.
    pub outcome: ProbeOutcome,
    /// The exchanges that show it.
    pub seqs: Vec<u32>,
}

/// Probe names (keys of [`RunObs::probes`]).
pub mod probe {
    /// `code_challenge_method=plain`.
    pub const PLAIN: &str = "pkce-plain";
    /// A wrong `code_verifier` at the token endpoint.
    pub const VERIFIER: &str = "wrong-verifier";
    /// An unregistered `redirect_uri`.
    pub const REDIRECT: &str = "redirect-mismatch";
    /// A token for a resource the user never authorized.
    pub const FOREIGN_RESOURCE: &str = "foreign-resource";
    /// The used code redeemed again.
    pub const CODE_REPLAY: &str = "code-replay";
    /// A metadata document whose `client_id` is not its URL.
    pub const CIMD_ID_MISMATCH: &str = "cimd-client-id-mismatch";
    /// A metadata document without `redirect_uris`.
    pub const CIMD_NO_REDIRECTS: &str = "cimd-no-redirect-uris";
    /// DCR with a redirect URI on a foreign host.
    pub const FOREIGN_REGISTRATION: &str = "foreign-redirect-registration";
    /// DCR with the profile's body and `application_type: "web"` (AS-26).
    pub const APPLICATION_TYPE_WEB: &str = "application-type-web";
    /// DCR with `application_type: "web"` and a loopback `http` redirect URI, which OIDC's web
    /// rules forbid (AS-26).
    pub const APPLICATION_TYPE_WEB_LOOPBACK: &str = "application-type-web-loopback";
}

/// The tokens of one token response (redacted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokensObs {
    /// Access token (a placeholder).
    pub access_token: String,
    /// Refresh token, if issued (a placeholder).
    pub refresh_token: Option<String>,
    /// Granted scope, if echoed.
    pub scope: Option<String>,
}

impl From<&mock_client::Tokens> for TokensObs {
    fn from(t: &mock_client::Tokens) -> TokensObs {
        TokensObs {
            access_token: t.access_token.clone(),
            refresh_token: t.refresh_token.clone(),
            scope: t.scope.clone(),
        }
    }
}

/// The client a flow used (its secret left out).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientObs {
    /// How it was obtained.
    pub kind: RegistrationKind,
    /// Client id.
    pub client_id: String,
    /// The token-endpoint auth method it used.
    pub auth_method: String,
    /// Its redirect URI.
    pub redirect_uri: String,
}

impl From<&mock_client::RegisteredClient> for ClientObs {
    fn from(c: &mock_client::RegisteredClient) -> ClientObs {
        ClientObs {
            kind: c.kind,
            client_id: c.client_id.clone(),
            auth_method: c.auth_method.clone(),
            redirect_uri: c.redirect_uri.clone(),
        }
    }
}

/// The AS metadata the flow used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiscoveredObs {
    /// The AS metadata document.
    pub metadata: Value,
    /// Its URL.
    pub metadata_url: String,
}

impl DiscoveredObs {
    /// A string member of the AS metadata.
    pub fn meta(&self, key: &str) -> Option<&str> {
        self.metadata.get(key).and_then(Value::as_str)
    }
}

/// What the main flow obtained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthorizedObs {
    /// The client the flow used.
    pub client: ClientObs,
    /// The scopes requested.
    pub scopes: Vec<String>,
    /// The URL the browser was sent back to.
    pub callback: Url,
    /// The tokens.
    pub tokens: TokensObs,
    /// The transcript entry of the code exchange.
    pub token_seq: u32,
}

/// One token request of the refresh sequence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// The tokens, or why not.
    pub result: Result<TokensObs, Failure>,
    /// Its exchange.
    pub seq: Option<u32>,
}

/// The refresh sequence: refresh, refresh again with what the first returned, replay the first
/// refresh token (when it was rotated) at once; for a public client whose replay was accepted,
/// replay it again after a wait and, when that is refused, try the newest refresh token (was the
/// family revoked?).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RefreshObs {
    /// The first refresh.
    pub first: Option<Step>,
    /// Whether it returned a new refresh token.
    pub rotated: Option<bool>,
    /// The second refresh, with the newest refresh token.
    pub second: Option<Step>,
    /// The first refresh token replayed at once.
    pub replay: Option<Step>,
    /// Seconds waited before `late_replay`.
    pub waited: u64,
    /// The first refresh token replayed after the wait.
    pub late_replay: Option<Step>,
    /// The newest refresh token, after the late replay was refused.
    pub newest_after: Option<Step>,
}

/// Everything one flow observed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunObs {
    /// The key item results name (`chatgpt-2026-cimd`, `public-client`).
    pub key: String,
    /// Which kind of run.
    pub kind: RunKind,
    /// The profile the client followed.
    pub profile: Profile,
    /// Why this run exists.
    pub purpose: String,
    /// Every exchange (redacted).
    pub transcript: Transcript,
    /// Requests the IdP sent to the client's metadata host.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cimd_fetches: Vec<CimdFetch>,
    /// The main flow's result.
    pub result: Result<AuthorizedObs, Failure>,
    /// The AS metadata, when discovery found it.
    pub discovered: Option<DiscoveredObs>,
    /// The client, when one was obtained.
    pub registered: Option<ClientObs>,
    /// Whether CIMD was exercised, and why not.
    pub cimd: CimdMode,
    /// The access token as an MCP server sees it.
    pub token: Option<TokenView>,
    /// The exchanges of the token inspection (JWKS, introspection).
    pub token_seqs: Vec<u32>,
    /// The refresh sequence.
    pub refresh: Option<RefreshObs>,
    /// The negative probes by name ([`probe`]).
    pub probes: BTreeMap<String, Probe>,
    /// Where the browser was sent back on an authorization error (the PKCE-plain probe's refusal),
    /// for RFC 9207 `iss` on error responses (AS-24).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_callback: Option<Url>,
    /// Wall time in milliseconds.
    pub duration_ms: u64,
}

impl RunObs {
    /// "ChatGPT (…) would get a token from this IdP (DCR client, none)" or "… would fail: …".
    pub fn verdict_line(&self) -> String {
        match &self.result {
            Ok(a) => format!(
                "{} would get a token from this IdP ({} client, {})",
                self.profile.display,
                kind_name(a.client.kind),
                a.client.auth_method
            ),
            Err(f) => format!("{} would fail: \"{}\" — because {}", self.profile.display, f.message, f.cause),
        }
    }
}

/// `static`, `CIMD`, `DCR`.
pub fn kind_name(k: RegistrationKind) -> &'static str {
    match k {
        RegistrationKind::Static => "static",
        RegistrationKind::Cimd => "CIMD",
        RegistrationKind::Dcr => "DCR",
    }
}

/// Observations could not be read back.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Not JSON of this shape.
    #[error("not a certification observation file: {0}")]
    Parse(#[from] serde_json::Error),
    /// Another format.
    #[error("observation format `{0}` is not `{FORMAT}`")]
    Format(String),
}

impl Observations {
    /// Pretty JSON, as `--save-observations` writes it.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Reads what [`Observations::to_json`] wrote.
    pub fn from_json(text: &str) -> Result<Observations, ReadError> {
        let o: Observations = serde_json::from_str(text)?;
        if o.format != FORMAT {
            return Err(ReadError::Format(o.format));
        }
        Ok(o)
    }
}
