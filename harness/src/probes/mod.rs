//! Active probes: the requests the runner sends on purpose after (or instead of) connecting — no
//! token, malformed headers, forged and foreign tokens, a reused session without a token, a token
//! in the query string, a foreign `Origin`, and so on.
//!
//! Every probe request goes through the run's [`Recorder`] with [`Phase::Probe`] and a label from
//! [`labels`] (`probe:<name>[:<variant>]`); the checks find the exchanges again by those labels and
//! judge them from the transcript alone, so a saved run can be re-checked offline. A probe sends a
//! fixed, small number of requests. A server that does not answer (timeout, reset) is recorded as
//! such and the probe moves on; [`ProbeError`] is only for harness breakage (a probe that needs the
//! mock IdP without one, a target URL the recorder refuses, a token that cannot be minted).
//!
//! Probes that need a valid access token use the connect's token, or — when the run has the mock IdP
//! and the connect did not get that far — mint one for the target with all the IdP's scopes. Probes
//! that need a session use the connect's, or create their own with `initialize` (label
//! `probe:<name>:initialize`). Without a token and without the IdP those probes send nothing, and
//! the checks that read them report nothing.

use mcp_wire::{SpecVersion, jsonrpc};
// What a probe sends and how its exchanges are labelled is the record the checks read: it lives in
// `harness-checks` and is re-exported here, so `harness::probes::labels` keeps working.
pub use harness_checks::probe_record::{
    CHATGPT_ORIGIN, EVIL_ORIGIN, GARBAGE_TOKEN, GET_STREAM_WAIT, INVALID_PROTOCOL_VERSION, MANIFEST_PATH,
    PRM_WELL_KNOWN, READ_SCOPE, SESSION_SAMPLES, UNKNOWN_METHOD, UNKNOWN_PROTOCOL_VERSION, labels, manifest_url,
    negative_name, origin_of, path_prm_url, root_prm_url,
};
use mock_client::http::{Recorder, Req, Resp};
use mock_client::transcript::ExchangeKind;
use mock_client::{ClientError, Phase, SecretKind};
use mock_idp::{IdpHandle, NegativeToken};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::fmt;

/// The `Accept` every probe POST sends (Streamable HTTP: clients list both types). Only
/// `accept_variants` varies it, so a server that insists on both types affects only that probe.
pub const ACCEPT_BOTH: &str = "application/json, text/event-stream";
/// The protocol version probes ask for when the connect negotiated none.
pub const DEFAULT_PROTOCOL_VERSION: SpecVersion = SpecVersion::NEWEST_LEGACY;

/// One probe, as scenario files name it: a bare name (`garbage_token`, `insufficient_scope`) or a
/// one-key map for the ones with an argument (`negative_token: alg_none`,
/// `insufficient_scope: {tool: delete_everything}`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Probe {
    /// POST initialize without credentials (RS-03/04/05/07/19, GPT-02).
    Unauthenticated,
    /// `Bearer` alone, `Bearer a b`, `Basic …` (RS-05).
    MalformedAuthorization,
    /// A syntactically valid token nobody issued (RS-06/09).
    GarbageToken,
    /// The whole negative battery of the mock IdP (RS-06/08/09/10); needs the IdP.
    NegativeTokens,
    /// One token of the battery; needs the IdP.
    NegativeToken(NegativeToken),
    /// An `mcp:read` token calls a tool needing more, then the challenged scope is tried
    /// (RS-05/12/13/17); needs the IdP.
    InsufficientScope {
        /// The tool; by default the first in `tools/list` whose `securitySchemes` (or
        /// `_meta.securitySchemes`) name an `oauth2` scope beyond [`READ_SCOPE`].
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tool: Option<String>,
    },
    /// A live session id without a token (RS-15).
    SessionWithoutToken,
    /// A valid token only in `?access_token=` and in `?token=` (GPT-16).
    QueryToken,
    /// `Origin: https://evil.example` (H-02).
    BadOrigin,
    /// A JSON array body (H-04).
    JsonArrayBody,
    /// notifications/initialized → 202 (H-06).
    Notification,
    /// GET with `Accept: text/event-stream` (H-09).
    GetStream,
    /// A request without `Mcp-Session-Id` (H-13).
    MissingSessionId,
    /// DELETE a session, then use it (H-14/15).
    TerminatedSession,
    /// `MCP-Protocol-Version: 1999-01-01` (H-16).
    InvalidProtocolVersion,
    /// initialize asking for 2099-01-01 (H-17).
    UnknownProtocolVersion,
    /// OPTIONS from `https://chatgpt.com` (GPT-12).
    CorsPreflight,
    /// The same unauthenticated request twice (RS-14).
    RepeatChallenge,
    /// Root and path PRM, HEAD and GET (RS-01/02/18, GPT-01).
    PrmFetch,
    /// Five initializes to sample session ids (RS-16, H-12).
    SessionIds,
    /// `/.well-known/mcp/manifest.json` (GPT-18).
    Manifest,
    /// initialize with a one-type `Accept` (H-05, GPT-11).
    AcceptVariants,
    /// The 2026-07-28 era: `server/discover` with and without a token, `tools/list`, an unknown
    /// method, malformed requests varying one header or `_meta` field, `Mcp-Name` /
    /// `Mcp-Param-*` / client-capability calls on what the server lists, and a 2025 `initialize`
    /// (era detection, H-21…H-29, H-32…H-42, H-44; see `probes/modern.rs`). Not in
    /// [`Probe::ALL`] yet, so runs that do not name it are unchanged.
    Modern,
    /// The 2026-07-28 authorization rules (RS-21…RS-28): `offline_access` in the PRM and
    /// challenges, one challenge per operation, the scope hierarchy (only when `parent_scope`
    /// names the AS's parent scope), state handles across users and without a token, per-user
    /// results under two users, the PRM `resource` byte for byte. The token parts need the mock
    /// IdP; without it only the PRM and an unauthenticated request are sent. Not in
    /// [`Probe::ALL`], like [`Probe::Modern`].
    ModernAuth {
        /// A scope the AS defines as the parent of narrower ones (`mcp` for `mcp:read`); the
        /// hierarchy cannot be seen from outside, so RS-24 is tested only when this is given.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        parent_scope: Option<String>,
    },
}

impl Probe {
    /// Every probe (the negative battery once, as [`Probe::NegativeTokens`]), in the order the
    /// runner should send them: discovery first, then challenges, tokens, sessions, transport.
    pub const ALL: &'static [Probe] = &[
        Probe::PrmFetch,
        Probe::Unauthenticated,
        Probe::RepeatChallenge,
        Probe::MalformedAuthorization,
        Probe::GarbageToken,
        Probe::NegativeTokens,
        Probe::InsufficientScope { tool: None },
        Probe::SessionWithoutToken,
        Probe::QueryToken,
        Probe::BadOrigin,
        Probe::CorsPreflight,
        Probe::JsonArrayBody,
        Probe::AcceptVariants,
        Probe::Notification,
        Probe::GetStream,
        Probe::MissingSessionId,
        Probe::InvalidProtocolVersion,
        Probe::UnknownProtocolVersion,
        Probe::SessionIds,
        Probe::TerminatedSession,
        Probe::Manifest,
    ];

    /// [`Probe::ALL`] as a list (for scenario steps).
    pub fn all() -> Vec<Probe> {
        Probe::ALL.to_vec()
    }

    /// The probes that need no IdP of ours (`check --target URL`): [`Probe::ALL`] without the
    /// minted-token ones. Those needing a token use the connect's (or `--token`).
    pub fn all_for_external() -> Vec<Probe> {
        Probe::ALL.iter().filter(|p| !p.needs_idp()).cloned().collect()
    }

    /// The snake_case name (`insufficient_scope`), as in scenario files and labels.
    pub fn name(&self) -> &'static str {
        match self {
            Probe::Unauthenticated => "unauthenticated",
            Probe::MalformedAuthorization => "malformed_authorization",
            Probe::GarbageToken => "garbage_token",
            Probe::NegativeTokens => "negative_tokens",
            Probe::NegativeToken(_) => "negative_token",
            Probe::InsufficientScope { .. } => "insufficient_scope",
            Probe::SessionWithoutToken => "session_without_token",
            Probe::QueryToken => "query_token",
            Probe::BadOrigin => "bad_origin",
            Probe::JsonArrayBody => "json_array_body",
            Probe::Notification => "notification",
            Probe::GetStream => "get_stream",
            Probe::MissingSessionId => "missing_session_id",
            Probe::TerminatedSession => "terminated_session",
            Probe::InvalidProtocolVersion => "invalid_protocol_version",
            Probe::UnknownProtocolVersion => "unknown_protocol_version",
            Probe::CorsPreflight => "cors_preflight",
            Probe::RepeatChallenge => "repeat_challenge",
            Probe::PrmFetch => "prm_fetch",
            Probe::SessionIds => "session_ids",
            Probe::Manifest => "manifest",
            Probe::AcceptVariants => "accept_variants",
            Probe::Modern => "modern",
            Probe::ModernAuth { .. } => "modern_auth",
        }
    }

    /// Whether the probe mints tokens, so needs the mock IdP (the target must trust it).
    pub fn needs_idp(&self) -> bool {
        matches!(self, Probe::NegativeTokens | Probe::NegativeToken(_) | Probe::InsufficientScope { .. })
    }

    /// The most requests the probe sends (its bound; a test checks every probe stays within it).
    pub fn max_requests(&self) -> usize {
        match self {
            Probe::NegativeTokens => NegativeToken::ALL.len(),
            Probe::SessionIds => 2 * SESSION_SAMPLES,
            // initialize, initialized, list, call, resource_metadata, step-up initialize, step-up call.
            Probe::InsufficientScope { .. } => 7,
            Probe::PrmFetch => 4,
            Probe::MalformedAuthorization | Probe::TerminatedSession | Probe::GetStream => 3,
            Probe::Modern => modern::MAX_REQUESTS,
            // PRM path and root, unauthenticated, tools/list as A and B, the step-ups, the
            // parent-scope call, two handle mints and three handle reads, resources/list, the reads.
            Probe::ModernAuth { .. } => {
                2 + 1
                    + 2
                    + harness_checks::probe_record::MODERN_AUTH_STEP_UPS
                    + 1
                    + 5
                    + 1
                    + 2 * harness_checks::probe_record::MODERN_AUTH_READS
            }
            Probe::Unauthenticated
            | Probe::BadOrigin
            | Probe::RepeatChallenge
            | Probe::QueryToken
            | Probe::AcceptVariants
            | Probe::SessionWithoutToken
            | Probe::Notification
            | Probe::InvalidProtocolVersion => 2,
            Probe::GarbageToken
            | Probe::NegativeToken(_)
            | Probe::CorsPreflight
            | Probe::JsonArrayBody
            | Probe::MissingSessionId
            | Probe::UnknownProtocolVersion
            | Probe::Manifest => 1,
        }
    }
}

impl fmt::Display for Probe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Probe::NegativeToken(k) => write!(f, "negative_token: {}", negative_name(*k)),
            Probe::InsufficientScope { tool: Some(t) } => write!(f, "insufficient_scope: {{tool: {t}}}"),
            Probe::ModernAuth { parent_scope: Some(s) } => write!(f, "modern_auth: {{parent_scope: {s}}}"),
            p => f.write_str(p.name()),
        }
    }
}

/// Reads the bare-name form for every probe (`insufficient_scope` meaning the default tool) and the
/// one-key-map form for those with an argument.
impl<'de> Deserialize<'de> for Probe {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        /// The derived map form.
        #[derive(Deserialize)]
        #[serde(rename_all = "snake_case", deny_unknown_fields)]
        enum Tagged {
            NegativeToken(NegativeToken),
            InsufficientScope {
                #[serde(default)]
                tool: Option<String>,
            },
            ModernAuth {
                #[serde(default)]
                parent_scope: Option<String>,
            },
        }
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Probe;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a probe name (e.g. garbage_token) or `negative_token: <kind>` / `insufficient_scope: {tool: …}` / `modern_auth: {parent_scope: …}`",
                )
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Probe, E> {
                let modern_auth = Probe::ModernAuth { parent_scope: None };
                let all = Probe::ALL.iter().chain([&Probe::NegativeTokens, &Probe::Modern, &modern_auth]);
                if let Some(p) = all.clone().find(|p| p.name() == s) {
                    return Ok(p.clone());
                }
                if s == "negative_token" {
                    return Err(E::custom(
                        "`negative_token` needs a kind: `negative_token: alg_none` (or use negative_tokens)",
                    ));
                }
                let names: Vec<&str> = all.map(Probe::name).chain(["negative_token"]).collect();
                Err(E::custom(format!("unknown probe `{s}`; known: {}", names.join(", "))))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Probe, A::Error> {
                let t = Tagged::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(match t {
                    Tagged::NegativeToken(k) => Probe::NegativeToken(k),
                    Tagged::InsufficientScope { tool } => Probe::InsufficientScope { tool },
                    Tagged::ModernAuth { parent_scope } => Probe::ModernAuth { parent_scope },
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// What a probe works with: the run's recorder and what the connect left behind.
#[derive(Debug, Clone, Copy)]
pub struct ProbeContext<'a> {
    /// The run's recorder (the client's: `client.recorder()`), so probes land in the same
    /// transcript.
    pub rec: &'a Recorder,
    /// The MCP endpoint URL under test.
    pub target: &'a str,
    /// The mock IdP the target trusts, when the run has one — or the local twin of a trusted
    /// `connector-harness idp` (see [`crate::trusted_idp`]), which signs with the same keys.
    pub idp: Option<&'a IdpHandle>,
    /// The `iss` minted tokens carry when it is not `idp`'s own (the trusted IdP's issuer).
    pub issuer: Option<&'a str>,
    /// A valid access token from the connect.
    pub token: Option<&'a str>,
    /// The connect's MCP session id.
    pub session_id: Option<&'a str>,
    /// The protocol version the connect negotiated.
    pub protocol_version: Option<&'a str>,
    /// The `User-Agent` of probe requests.
    pub user_agent: &'a str,
}

impl<'a> ProbeContext<'a> {
    /// A context with nothing from a connect.
    pub fn new(rec: &'a Recorder, target: &'a str, user_agent: &'a str) -> Self {
        ProbeContext {
            rec,
            target,
            idp: None,
            issuer: None,
            token: None,
            session_id: None,
            protocol_version: None,
            user_agent,
        }
    }
}

/// The harness could not run a probe (never: the server misbehaved — that is in the transcript).
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// The probe mints tokens and the run has no mock IdP.
    #[error("probe `{probe}` mints tokens, so it needs the mock IdP (and a target that trusts it)")]
    NeedsIdp {
        /// The probe.
        probe: String,
    },
    /// The recorder refused a URL the harness built from the target.
    #[error("probe `{probe}` cannot send to {url}: {reason}")]
    BadUrl {
        /// The probe.
        probe: String,
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// The mock IdP could not mint a token.
    #[error("probe `{probe}`: the mock IdP could not mint a token: {source}")]
    Mint {
        /// The probe.
        probe: String,
        /// The IdP's error.
        #[source]
        source: mock_idp::IdpError,
    },
}

/// Runs one probe. Bounded by [`Probe::max_requests`]; a server that does not answer is recorded,
/// not an error.
pub async fn run(probe: &Probe, ctx: &ProbeContext<'_>) -> Result<(), ProbeError> {
    // Every probe request on a connection of its own (see `Recorder::isolated`).
    let rec = ctx.rec.isolated();
    let ctx = &ProbeContext { rec: &rec, ..*ctx };
    let p = Run { ctx, name: probe.name() };
    if probe.needs_idp() && ctx.idp.is_none() {
        return Err(ProbeError::NeedsIdp { probe: probe.to_string() });
    }
    match probe {
        Probe::PrmFetch => p.prm_fetch().await,
        Probe::Unauthenticated => p.unauthenticated().await,
        Probe::RepeatChallenge => p.repeat_challenge().await,
        Probe::MalformedAuthorization => p.malformed_authorization().await,
        Probe::GarbageToken => p.garbage_token().await,
        Probe::NegativeTokens => {
            for kind in NegativeToken::ALL {
                p.negative_token(kind).await?;
            }
            Ok(())
        }
        Probe::NegativeToken(kind) => p.negative_token(*kind).await,
        Probe::InsufficientScope { tool } => p.insufficient_scope(tool.as_deref()).await,
        Probe::SessionWithoutToken => p.session_without_token().await,
        Probe::QueryToken => p.query_token().await,
        Probe::BadOrigin => p.bad_origin().await,
        Probe::JsonArrayBody => p.json_array_body().await,
        Probe::Notification => p.notification().await,
        Probe::GetStream => p.get_stream().await,
        Probe::MissingSessionId => p.missing_session_id().await,
        Probe::TerminatedSession => p.terminated_session().await,
        Probe::InvalidProtocolVersion => p.invalid_protocol_version().await,
        Probe::UnknownProtocolVersion => p.unknown_protocol_version().await,
        Probe::CorsPreflight => p.cors_preflight().await,
        Probe::SessionIds => p.session_ids().await,
        Probe::Manifest => p.manifest().await,
        Probe::AcceptVariants => p.accept_variants().await,
        Probe::Modern => p.modern().await,
        Probe::ModernAuth { parent_scope } => p.modern_auth(parent_scope.as_deref()).await,
    }
}

mod modern;
mod modern_auth;

pub use mcp_wire::jsonrpc::messages as rpc_messages;

/// The first tool of a `tools/list` result whose `oauth2` security scheme (`securitySchemes`, or
/// the Apps SDK's `_meta.securitySchemes`) names a scope outside `held`.
pub fn tool_needing_more_than(list: &Value, held: &[&str]) -> Option<String> {
    let tools = list.get("tools")?.as_array()?;
    tools.iter().take(1000).find_map(|t| {
        let schemes = t.get("securitySchemes").or_else(|| t.pointer("/_meta/securitySchemes"))?.as_array()?;
        let needs_more = schemes.iter().any(|s| {
            s.get("type").and_then(Value::as_str) == Some("oauth2")
                && s.get("scopes")
                    .and_then(Value::as_array)
                    .is_some_and(|sc| sc.iter().filter_map(Value::as_str).any(|x| !held.contains(&x)))
        });
        if needs_more { t.get("name").and_then(Value::as_str).map(str::to_owned) } else { None }
    })
}

/// The first JSON-RPC `result` in a response.
fn result_of(r: &Resp) -> Option<Value> {
    rpc_messages(r.header("content-type"), &r.text()).into_iter().find_map(|m| m.get("result").cloned())
}

/// The probes' `initialize` (the version is free text: `unknown_protocol_version` asks for one no
/// revision has).
fn initialize_body(version: &str) -> Value {
    let client_info = json!({"name": "connector-harness-probe", "version": env!("CARGO_PKG_VERSION")});
    jsonrpc::initialize(1, version, &json!({}), &client_info)
}

/// A probe request: its label (`probe:<name>[:<step>]`) and the matching [`ExchangeKind::Probe`].
fn probe_req(method: Method, url: &str, label: &str) -> Req {
    Req::new(method, url, label).kind(ExchangeKind::probe(label))
}

/// A session a probe can use.
#[derive(Debug, Clone)]
struct Session {
    token: String,
    /// `None` when the server answered initialize without a session id (no sessions).
    id: Option<String>,
    version: String,
}

/// One probe being run.
struct Run<'c, 'a> {
    ctx: &'c ProbeContext<'a>,
    name: &'static str,
}

impl Run<'_, '_> {
    /// Sends and records; `None` when no answer came (the recorder logged the transport error).
    async fn send(&self, req: Req) -> Result<Option<Resp>, ProbeError> {
        match self.ctx.rec.send(Phase::Probe, req).await {
            Ok(r) => {
                self.note_session(&r);
                Ok(Some(r))
            }
            Err(ClientError::BadUrl { url, reason }) => {
                Err(ProbeError::BadUrl { probe: self.name.into(), url, reason })
            }
            Err(_) => Ok(None),
        }
    }

    /// Like [`Self::send`] for URLs the server chose (a challenge's `resource_metadata`): a URL the
    /// recorder refuses is the server's problem (RS-19 judges it), not the harness's.
    async fn send_to_server_url(&self, req: Req) -> Option<Resp> {
        let r = self.ctx.rec.send(Phase::Probe, req).await.ok()?;
        self.note_session(&r);
        Some(r)
    }

    /// Every session id a probe receives is a credential of a live session (the server may not
    /// end it on DELETE), so it is a secret from the moment it arrives; checks judge the values
    /// before redaction.
    fn note_session(&self, r: &Resp) {
        for id in r.headers_named("mcp-session-id") {
            self.ctx.rec.secret(SecretKind::SessionId, id);
        }
    }

    fn get(&self, method: Method, url: &str, label: &str) -> Req {
        probe_req(method, url, label).header("User-Agent", self.ctx.user_agent).header("Accept", "application/json")
    }

    /// A POST to the MCP endpoint with the probe's standard headers.
    fn post(&self, label: &str, body: &Value, token: Option<&str>, session: Option<&Session>) -> Req {
        self.post_to(self.ctx.target, label, body, token, session, ACCEPT_BOTH)
    }

    fn post_to(
        &self,
        url: &str,
        label: &str,
        body: &Value,
        token: Option<&str>,
        session: Option<&Session>,
        accept: &str,
    ) -> Req {
        let mut r =
            probe_req(Method::POST, url, label).header("User-Agent", self.ctx.user_agent).header("Accept", accept);
        if let Some(t) = token {
            r = r.header("Authorization", format!("Bearer {t}"));
        }
        if let Some(s) = session {
            if let Some(id) = &s.id {
                r = r.header("Mcp-Session-Id", id);
            }
            r = r.header("MCP-Protocol-Version", &s.version);
        }
        r.json(body)
    }

    fn version(&self) -> &str {
        self.ctx.protocol_version.unwrap_or(DEFAULT_PROTOCOL_VERSION.as_str())
    }

    fn mint_error(&self, source: mock_idp::IdpError) -> ProbeError {
        ProbeError::Mint { probe: self.name.into(), source }
    }

    /// A genuine token for the target, naming [`ProbeContext::issuer`] when set.
    fn mint_valid(&self, idp: &IdpHandle, scopes: &[&str]) -> Result<String, ProbeError> {
        let t = idp.mint_valid(self.ctx.target, scopes).map_err(|e| self.mint_error(e))?;
        self.reissue(idp, t, false)
    }

    /// One token of the negative battery, naming [`ProbeContext::issuer`] when set (except the
    /// wrong-issuer one, whose point is its foreign `iss`).
    fn mint_negative(&self, idp: &IdpHandle, kind: NegativeToken, scopes: &[&str]) -> Result<String, ProbeError> {
        let t = idp.mint_negative(kind, self.ctx.target, scopes).map_err(|e| self.mint_error(e))?;
        self.reissue(idp, t, kind == NegativeToken::WrongIssuer)
    }

    /// The token as minted, or — for a trusted IdP minted through its local twin — the same claims
    /// with the trusted issuer's `iss`, signed the same way.
    fn reissue(&self, idp: &IdpHandle, t: mock_idp::MintedToken, keep_iss: bool) -> Result<String, ProbeError> {
        let Some(iss) = self.ctx.issuer.filter(|_| !keep_iss) else { return Ok(t.token) };
        let mut claims = t.claims;
        claims.insert("iss".into(), Value::String(iss.to_owned()));
        let req = mock_idp::MintRequest { claims, signing: t.signing };
        Ok(idp.mint(&req).map_err(|e| self.mint_error(e))?.token)
    }

    /// The connect's token, or one minted for the target with all the IdP's scopes.
    fn valid_token(&self) -> Result<Option<String>, ProbeError> {
        if let Some(t) = self.ctx.token {
            return Ok(Some(t.to_owned()));
        }
        let Some(idp) = self.ctx.idp else { return Ok(None) };
        let scopes: Vec<&str> = idp.config().scopes_supported.iter().map(String::as_str).collect();
        let t = self.mint_valid(idp, &scopes)?;
        self.ctx.rec.secret(SecretKind::Token, &t);
        Ok(Some(t))
    }

    /// initialize with `token`; the session when it succeeded (`id` None if the server issues none).
    async fn initialize(&self, label: &str, token: &str) -> Result<Option<Session>, ProbeError> {
        let Some(r) = self.send(self.post(label, &initialize_body(self.version()), Some(token), None)).await? else {
            return Ok(None);
        };
        let Some(result) = result_of(&r).filter(|_| r.ok()) else { return Ok(None) };
        let id = r.header("mcp-session-id").map(str::to_owned);
        if let Some(id) = &id {
            self.ctx.rec.secret(SecretKind::SessionId, id);
        }
        let version = result.get("protocolVersion").and_then(Value::as_str).unwrap_or(self.version()).to_owned();
        Ok(Some(Session { token: token.to_owned(), id, version }))
    }

    /// The connect's session, or a new one (`setup_label`).
    async fn session(&self, setup_label: &str) -> Result<Option<Session>, ProbeError> {
        if let (Some(id), Some(token)) = (self.ctx.session_id, self.ctx.token) {
            return Ok(Some(Session { token: token.into(), id: Some(id.into()), version: self.version().into() }));
        }
        let Some(token) = self.valid_token()? else { return Ok(None) };
        self.initialize(setup_label, &token).await
    }

    /// GETs a `resource_metadata` URL unless the transcript already has a GET of it.
    async fn fetch_resource_metadata(&self, url: &str, label: &str) {
        let Ok(u) = url::Url::parse(url) else { return };
        if !matches!(u.scheme(), "http" | "https") {
            return;
        }
        let seen =
            self.ctx.rec.transcript().exchanges.iter().any(|e| e.method == "GET" && e.url == url && e.status.is_some());
        if !seen {
            self.send_to_server_url(self.get(Method::GET, url, label)).await;
        }
    }

    async fn prm_fetch(&self) -> Result<(), ProbeError> {
        let Some(root) = root_prm_url(self.ctx.target) else {
            return Err(ProbeError::BadUrl {
                probe: self.name.into(),
                url: self.ctx.target.into(),
                reason: "not an absolute URL".into(),
            });
        };
        let mut targets = vec![(root, labels::PRM_ROOT_GET, labels::PRM_ROOT_HEAD)];
        if let Some(path) = path_prm_url(self.ctx.target) {
            targets.push((path, labels::PRM_PATH_GET, labels::PRM_PATH_HEAD));
        }
        for (url, get, head) in targets {
            self.send(self.get(Method::GET, &url, get)).await?;
            self.send(self.get(Method::HEAD, &url, head)).await?;
        }
        Ok(())
    }

    async fn unauthenticated(&self) -> Result<(), ProbeError> {
        let Some(r) =
            self.send(self.post(labels::UNAUTHENTICATED, &initialize_body(self.version()), None, None)).await?
        else {
            return Ok(());
        };
        let url = r
            .headers_named("www-authenticate")
            .find_map(mock_client::challenge::bearer)
            .and_then(|c| c.param("resource_metadata").map(str::to_owned));
        if let Some(url) = url {
            self.fetch_resource_metadata(&url, labels::UNAUTHENTICATED_RESOURCE_METADATA).await;
        }
        Ok(())
    }

    async fn repeat_challenge(&self) -> Result<(), ProbeError> {
        for label in [labels::REPEAT_FIRST, labels::REPEAT_SECOND] {
            self.send(self.post(label, &initialize_body(self.version()), None, None)).await?;
        }
        Ok(())
    }

    async fn malformed_authorization(&self) -> Result<(), ProbeError> {
        let cases = [
            (labels::MALFORMED_BEARER_ONLY, "Bearer"),
            (labels::MALFORMED_TWO_TOKENS, "Bearer a b"),
            // `user:pass`: another scheme, so no Bearer credentials at all (RFC 6750 §3.1).
            (labels::MALFORMED_BASIC, "Basic dXNlcjpwYXNz"),
        ];
        for (label, value) in cases {
            let req = self.post(label, &initialize_body(self.version()), None, None).header("Authorization", value);
            self.send(req).await?;
        }
        Ok(())
    }

    async fn garbage_token(&self) -> Result<(), ProbeError> {
        self.send(self.post(labels::GARBAGE_TOKEN, &initialize_body(self.version()), Some(GARBAGE_TOKEN), None))
            .await?;
        Ok(())
    }

    async fn negative_token(&self, kind: NegativeToken) -> Result<(), ProbeError> {
        let idp = self.ctx.idp.ok_or_else(|| ProbeError::NeedsIdp { probe: self.name.into() })?;
        // All the IdP's scopes, so a refusal can only be about the token's validity.
        let scopes: Vec<&str> = idp.config().scopes_supported.iter().map(String::as_str).collect();
        let t = self.mint_negative(idp, kind, &scopes)?;
        self.ctx.rec.secret(SecretKind::Token, &t);
        let label = labels::negative_token(kind);
        self.send(self.post(&label, &initialize_body(self.version()), Some(&t), None)).await?;
        Ok(())
    }

    async fn insufficient_scope(&self, tool: Option<&str>) -> Result<(), ProbeError> {
        let idp = self.ctx.idp.ok_or_else(|| ProbeError::NeedsIdp { probe: self.name.into() })?;
        let read = self.mint_valid(idp, &[READ_SCOPE])?;
        self.ctx.rec.secret(SecretKind::Token, &read);
        let Some(s) = self.initialize(labels::SCOPE_INITIALIZE, &read).await? else { return Ok(()) };
        let note = jsonrpc::initialized();
        self.send(self.post(labels::SCOPE_INITIALIZED, &note, Some(&read), Some(&s))).await?;
        let tool = match tool {
            Some(t) => t.to_owned(),
            None => {
                let list = jsonrpc::tools_list(3);
                let Some(r) = self.send(self.post(labels::SCOPE_LIST, &list, Some(&read), Some(&s))).await? else {
                    return Ok(());
                };
                // No tool declares a scope the token lacks: nothing to call (RS-12 is SKIPPED and
                // says how to name one).
                let Some(t) = result_of(&r).and_then(|res| tool_needing_more_than(&res, &[READ_SCOPE])) else {
                    return Ok(());
                };
                t
            }
        };
        let tool = tool.as_str();
        let call = jsonrpc::tools_call(2, tool, json!({"text": "connector-harness probe"}));
        let Some(r) = self.send(self.post(labels::SCOPE_CALL, &call, Some(&read), Some(&s))).await? else {
            return Ok(());
        };
        // The challenge: HTTP (401/403) or tool-level (`_meta["mcp/www_authenticate"]`, Apps SDK).
        let challenge = r
            .headers_named("www-authenticate")
            .find_map(mock_client::challenge::bearer)
            .or_else(|| result_of(&r).and_then(|res| mock_client::tool_challenges(&res).into_iter().next()));
        let Some(c) = challenge else { return Ok(()) };
        if let Some(url) = c.param("resource_metadata") {
            self.fetch_resource_metadata(url, labels::SCOPE_RESOURCE_METADATA).await;
        }
        let named = c.scopes();
        if named.is_empty() {
            return Ok(());
        }
        // What a client re-authorizing for this challenge would hold: what it had plus what was named.
        let mut scopes = vec![READ_SCOPE];
        scopes.extend(named.iter().map(String::as_str).filter(|s| *s != READ_SCOPE));
        let up = self.mint_valid(idp, &scopes)?;
        self.ctx.rec.secret(SecretKind::Token, &up);
        let Some(s2) = self.initialize(labels::SCOPE_STEP_UP_INITIALIZE, &up).await? else { return Ok(()) };
        self.send(self.post(labels::SCOPE_STEP_UP_CALL, &call, Some(&up), Some(&s2))).await?;
        Ok(())
    }

    async fn session_without_token(&self) -> Result<(), ProbeError> {
        let Some(s) = self.session(labels::SESSION_WITHOUT_TOKEN_SETUP).await? else { return Ok(()) };
        if s.id.is_none() {
            return Ok(());
        }
        let body = jsonrpc::tools_list(3);
        self.send(self.post(labels::SESSION_WITHOUT_TOKEN, &body, None, Some(&s))).await?;
        Ok(())
    }

    async fn query_token(&self) -> Result<(), ProbeError> {
        let Some(token) = self.valid_token()? else { return Ok(()) };
        for (param, label) in [("access_token", labels::QUERY_ACCESS_TOKEN), ("token", labels::QUERY_TOKEN)] {
            let mut u = url::Url::parse(self.ctx.target).map_err(|e| ProbeError::BadUrl {
                probe: self.name.into(),
                url: self.ctx.target.into(),
                reason: e.to_string(),
            })?;
            u.query_pairs_mut().append_pair(param, &token);
            let req = self.post_to(u.as_str(), label, &initialize_body(self.version()), None, None, ACCEPT_BOTH);
            self.send(req).await?;
        }
        Ok(())
    }

    async fn bad_origin(&self) -> Result<(), ProbeError> {
        let token = self.valid_token()?;
        self.send(self.post(labels::BAD_ORIGIN_CONTROL, &initialize_body(self.version()), token.as_deref(), None))
            .await?;
        let req = self
            .post(labels::BAD_ORIGIN, &initialize_body(self.version()), token.as_deref(), None)
            .header("Origin", EVIL_ORIGIN);
        self.send(req).await?;
        Ok(())
    }

    async fn cors_preflight(&self) -> Result<(), ProbeError> {
        let req = probe_req(Method::OPTIONS, self.ctx.target, labels::CORS_PREFLIGHT)
            .header("User-Agent", self.ctx.user_agent)
            .header("Origin", CHATGPT_ORIGIN)
            .header("Access-Control-Request-Method", "POST")
            .header(
                "Access-Control-Request-Headers",
                "authorization, content-type, mcp-protocol-version, mcp-session-id",
            );
        self.send(req).await?;
        Ok(())
    }

    async fn json_array_body(&self) -> Result<(), ProbeError> {
        let token = self.valid_token()?;
        let body = Value::Array(vec![initialize_body(self.version())]);
        self.send(self.post(labels::JSON_ARRAY_BODY, &body, token.as_deref(), None)).await?;
        Ok(())
    }

    async fn accept_variants(&self) -> Result<(), ProbeError> {
        let Some(token) = self.valid_token()? else { return Ok(()) };
        for (label, accept) in
            [(labels::ACCEPT_SSE_ONLY, "text/event-stream"), (labels::ACCEPT_JSON_ONLY, "application/json")]
        {
            let req =
                self.post_to(self.ctx.target, label, &initialize_body(self.version()), Some(&token), None, accept);
            self.send(req).await?;
        }
        Ok(())
    }

    async fn notification(&self) -> Result<(), ProbeError> {
        let Some(s) = self.session(labels::NOTIFICATION_SETUP).await? else { return Ok(()) };
        let note = jsonrpc::initialized();
        self.send(self.post(labels::NOTIFICATION, &note, Some(&s.token), Some(&s))).await?;
        Ok(())
    }

    async fn get_stream(&self) -> Result<(), ProbeError> {
        let Some(s) = self.session(labels::GET_STREAM_SETUP).await? else { return Ok(()) };
        let mut req = probe_req(Method::GET, self.ctx.target, labels::GET_STREAM)
            .header("User-Agent", self.ctx.user_agent)
            .header("Accept", "text/event-stream")
            .header("Authorization", format!("Bearer {}", s.token))
            .header("MCP-Protocol-Version", &s.version);
        if let Some(id) = &s.id {
            req = req.header("Mcp-Session-Id", id);
        }
        self.get_or_head(req, labels::GET_STREAM_HEAD).await
    }

    /// Sends a GET that may open an SSE stream. A server that offers the stream keeps it open and
    /// the recorder reads bodies to the end, so the wait is cut after [`GET_STREAM_WAIT`] and a
    /// HEAD with the same headers (no body: RFC 9110 §9.3.2), labelled `head_label`, records its
    /// head instead.
    async fn get_or_head(&self, get: Req, head_label: &str) -> Result<(), ProbeError> {
        let head = Req {
            method: Method::HEAD,
            label: head_label.into(),
            kind: ExchangeKind::probe(head_label),
            ..get.clone()
        };
        match tokio::time::timeout(GET_STREAM_WAIT, self.send(get)).await {
            Ok(r) => {
                r?;
            }
            Err(_) => {
                let _ = tokio::time::timeout(GET_STREAM_WAIT, self.send(head)).await;
            }
        }
        Ok(())
    }

    async fn missing_session_id(&self) -> Result<(), ProbeError> {
        let Some(token) = self.valid_token()? else { return Ok(()) };
        let body = jsonrpc::tools_list(4);
        let req = self
            .post(labels::MISSING_SESSION_ID, &body, Some(&token), None)
            .header("MCP-Protocol-Version", self.version());
        self.send(req).await?;
        Ok(())
    }

    async fn terminated_session(&self) -> Result<(), ProbeError> {
        let Some(token) = self.valid_token()? else { return Ok(()) };
        let Some(s) = self.initialize(labels::TERMINATED_INITIALIZE, &token).await? else { return Ok(()) };
        let Some(id) = &s.id else { return Ok(()) };
        let del = probe_req(Method::DELETE, self.ctx.target, labels::TERMINATED_DELETE)
            .header("User-Agent", self.ctx.user_agent)
            .header("Authorization", format!("Bearer {token}"))
            .header("Mcp-Session-Id", id)
            .header("MCP-Protocol-Version", &s.version);
        let Some(r) = self.send(del).await? else { return Ok(()) };
        if r.ok() {
            let body = jsonrpc::tools_list(5);
            self.send(self.post(labels::TERMINATED_REUSE, &body, Some(&token), Some(&s))).await?;
        }
        Ok(())
    }

    async fn invalid_protocol_version(&self) -> Result<(), ProbeError> {
        let Some(mut s) = self.session(labels::INVALID_VERSION_SETUP).await? else { return Ok(()) };
        s.version = INVALID_PROTOCOL_VERSION.into();
        let body = jsonrpc::tools_list(6);
        self.send(self.post(labels::INVALID_PROTOCOL_VERSION, &body, Some(&s.token), Some(&s))).await?;
        Ok(())
    }

    async fn unknown_protocol_version(&self) -> Result<(), ProbeError> {
        let Some(token) = self.valid_token()? else { return Ok(()) };
        let body = initialize_body(UNKNOWN_PROTOCOL_VERSION);
        self.send(self.post(labels::UNKNOWN_PROTOCOL_VERSION, &body, Some(&token), None)).await?;
        Ok(())
    }

    /// The sampled ids are registered as secrets like every probe's (RS-16 and H-12 judge their
    /// values before redaction); each session is deleted right away.
    async fn session_ids(&self) -> Result<(), ProbeError> {
        let Some(token) = self.valid_token()? else { return Ok(()) };
        let mut ids = Vec::new();
        for n in 1..=SESSION_SAMPLES {
            let label = labels::session_sample(n);
            let req = self.post(&label, &initialize_body(self.version()), Some(&token), None);
            if let Some(r) = self.send(req).await?
                && let Some(id) = r.header("mcp-session-id")
            {
                ids.push(id.to_owned());
            }
        }
        for id in ids {
            let del = probe_req(Method::DELETE, self.ctx.target, labels::SESSION_IDS_DELETE)
                .header("User-Agent", self.ctx.user_agent)
                .header("Authorization", format!("Bearer {token}"))
                .header("Mcp-Session-Id", id);
            self.send(del).await?;
        }
        Ok(())
    }

    async fn manifest(&self) -> Result<(), ProbeError> {
        let Some(url) = manifest_url(self.ctx.target) else { return Ok(()) };
        self.send(self.get(Method::GET, &url, labels::MANIFEST)).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(s: &str) -> Result<Probe, String> {
        serde_saphyr::from_str::<Probe>(s).map_err(|e| e.to_string())
    }

    #[test]
    fn probes_read_from_scenario_yaml_in_both_forms() {
        assert_eq!(yaml("garbage_token").unwrap(), Probe::GarbageToken);
        assert_eq!(yaml("insufficient_scope").unwrap(), Probe::InsufficientScope { tool: None });
        assert_eq!(
            yaml("insufficient_scope: {tool: delete_all}").unwrap(),
            Probe::InsufficientScope { tool: Some("delete_all".into()) }
        );
        assert_eq!(yaml("negative_token: alg_none").unwrap(), Probe::NegativeToken(NegativeToken::AlgNone));
        assert_eq!(yaml("negative_tokens").unwrap(), Probe::NegativeTokens);
        let list: Vec<Probe> = serde_saphyr::from_str("[prm_fetch, {negative_token: expired}, session_ids]").unwrap();
        assert_eq!(list, [Probe::PrmFetch, Probe::NegativeToken(NegativeToken::Expired), Probe::SessionIds]);
        assert!(yaml("garbage").unwrap_err().contains("unknown probe `garbage`"));
        assert!(yaml("negative_token").unwrap_err().contains("needs a kind"));
        assert!(yaml("negative_token: nope").is_err());
        assert!(yaml("insufficient_scope: {tol: x}").is_err());
        assert_eq!(yaml("modern_auth").unwrap(), Probe::ModernAuth { parent_scope: None });
        assert_eq!(
            yaml("modern_auth: {parent_scope: mcp}").unwrap(),
            Probe::ModernAuth { parent_scope: Some("mcp".into()) }
        );
        assert!(yaml("modern_auth: {parent: mcp}").is_err());
    }

    #[test]
    fn probes_round_trip_and_name_themselves() {
        let mut all: Vec<Probe> = Probe::ALL.to_vec();
        all.push(Probe::NegativeToken(NegativeToken::WrongAudience));
        all.push(Probe::InsufficientScope { tool: Some("x".into()) });
        all.push(Probe::ModernAuth { parent_scope: None });
        all.push(Probe::ModernAuth { parent_scope: Some("mcp".into()) });
        for p in all {
            let v = serde_json::to_value(&p).unwrap();
            let back: Probe = serde_json::from_value(v.clone()).unwrap();
            assert_eq!(back, p, "{v}");
            assert!(p.max_requests() >= 1);
            assert!(!p.to_string().is_empty());
        }
        assert_eq!(serde_json::to_value(Probe::BadOrigin).unwrap(), json!("bad_origin"));
        assert_eq!(
            serde_json::to_value(Probe::InsufficientScope { tool: None }).unwrap(),
            json!({"insufficient_scope": {}})
        );
        assert_eq!(
            labels::negative_token(NegativeToken::OtherResourceSameIdp),
            "probe:negative_token:other_resource_same_idp"
        );
        assert_eq!(labels::session_sample(3), "probe:session_ids:3");
    }

    #[test]
    fn external_probes_need_no_idp_and_all_covers_them() {
        for p in &Probe::all_for_external() {
            assert!(!p.needs_idp(), "{p}");
            assert!(Probe::ALL.contains(p), "{p}");
        }
        let with_idp: Vec<&Probe> = Probe::ALL.iter().filter(|p| !Probe::all_for_external().contains(*p)).collect();
        assert!(with_idp.iter().all(|p| p.needs_idp()), "{with_idp:?}");
        let mut names: Vec<&str> = Probe::ALL.iter().map(Probe::name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Probe::ALL.len());
    }

    #[test]
    fn well_known_urls_follow_rfc_9728() {
        let t = "http://127.0.0.1:8000/public/mcp";
        assert_eq!(root_prm_url(t).unwrap(), "http://127.0.0.1:8000/.well-known/oauth-protected-resource");
        assert_eq!(path_prm_url(t).unwrap(), "http://127.0.0.1:8000/.well-known/oauth-protected-resource/public/mcp");
        assert_eq!(path_prm_url("https://a.example/"), None);
        assert_eq!(
            manifest_url("https://a.example:8443/mcp").unwrap(),
            "https://a.example:8443/.well-known/mcp/manifest.json"
        );
        assert_eq!(root_prm_url("not a url"), None);
    }

    #[test]
    fn rpc_messages_read_json_and_sse() {
        assert_eq!(rpc_messages(Some("application/json"), r#"{"id":1,"result":{}}"#).len(), 1);
        assert_eq!(rpc_messages(None, r#"[{"id":1},{"id":2}]"#).len(), 2);
        let sse = "id: 0\ndata:\n\nevent: message\ndata: {\"id\":1,\"result\":{\"a\":1}}\n\n";
        assert_eq!(rpc_messages(Some("text/event-stream; charset=utf-8"), sse)[0]["result"]["a"], 1);
        assert!(rpc_messages(Some("application/json"), "nope").is_empty());
    }

    #[tokio::test]
    async fn probes_needing_the_idp_say_so_and_others_record_unreachable_servers() {
        let rec = Recorder::new(mock_client::http::Limits {
            request_timeout: std::time::Duration::from_secs(2),
            ..Default::default()
        });
        // A closed port: every request fails at the transport, which is recorded, not an error.
        let target = "http://127.0.0.1:9/mcp";
        let ctx = ProbeContext::new(&rec, target, "probe-test");
        let e = run(&Probe::NegativeTokens, &ctx).await.unwrap_err();
        assert!(matches!(e, ProbeError::NeedsIdp { .. }), "{e}");
        run(&Probe::PrmFetch, &ctx).await.unwrap();
        run(&Probe::Unauthenticated, &ctx).await.unwrap();
        // Without a token and without the IdP, token probes send nothing.
        run(&Probe::QueryToken, &ctx).await.unwrap();
        let t = rec.transcript();
        assert_eq!(t.exchanges.len(), 5, "{:#?}", t.exchanges);
        assert!(t.exchanges.iter().all(|e| e.phase == Phase::Probe && e.status.is_none() && e.error.is_some()));
        assert_eq!(t.exchanges[0].label, labels::PRM_ROOT_GET);
        // A target the recorder refuses is harness breakage.
        let bad = ProbeContext::new(&rec, "ftp://x/mcp", "probe-test");
        assert!(matches!(run(&Probe::Manifest, &bad).await.unwrap_err(), ProbeError::BadUrl { .. }));
        assert!(matches!(run(&Probe::Unauthenticated, &bad).await.unwrap_err(), ProbeError::BadUrl { .. }));
    }
}
