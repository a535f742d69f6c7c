//! What an exchange is, as a type: checks find exchanges by kind, not by the free-text label the
//! client wrote for people (renaming a label must not silently break a check). The label stays as
//! display text for reports and snapshots.

use client_profile::{AsProbe, HttpMethod, ProbeTarget, WellKnown};
use serde::{Deserialize, Serialize};

/// Where a Protected Resource Metadata request looked (RFC 9728 §3, MCP 2025-11-25's order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PrmLookup {
    /// The `resource_metadata` URL of the `WWW-Authenticate` challenge.
    WwwAuthenticate,
    /// The path-inserted well-known URL (`/.well-known/oauth-protected-resource/mcp`).
    PathInserted,
    /// The host-root well-known URL (`/.well-known/oauth-protected-resource`).
    Root,
}

/// What one exchange of the transcript is. A transcript saved before kinds existed loads with
/// [`ExchangeKind::Unknown`] everywhere.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ExchangeKind {
    /// Not recorded (an old transcript, a scenario's `raw` step, a hand-built exchange).
    #[default]
    Unknown,
    /// The client's first MCP request, sent without credentials to get the challenge.
    UnauthenticatedInitialize,
    /// A Protected Resource Metadata fetch.
    Prm {
        /// Which URL.
        lookup: PrmLookup,
    },
    /// An authorization server metadata request, as the profile's discovery plan names it.
    AsMetadata {
        /// `GET` or `HEAD`.
        method: HttpMethod,
        /// Which document.
        well_known: WellKnown,
        /// On which host.
        on: ProbeTarget,
    },
    /// Dynamic client registration (RFC 7591).
    Registration,
    /// A registration sent on purpose with a foreign redirect host, to learn the AS's policy.
    RegistrationPolicyProbe,
    /// The authorization request, and each redirect the user agent follows.
    Authorize,
    /// A login form submitted by the form driver.
    LoginForm,
    /// A token request.
    Token {
        /// Its `grant_type`.
        grant: String,
    },
    /// Token introspection (RFC 7662).
    Introspection,
    /// An MCP JSON-RPC message (request or notification).
    Mcp {
        /// Its method (`initialize`, `tools/list`, `notifications/initialized`).
        method: String,
    },
    /// The DELETE that ends an MCP session.
    EndSession,
    /// The client's GET of the MCP URL when it connects (ChatGPT's 2026-08 "SSE probe").
    GetProbe,
    /// A request the harness sends on purpose to probe the server.
    Probe {
        /// The probe (`garbage_token`, `negative_token`).
        probe: String,
        /// Its step, where it sends several (`root_get`, `alg_none`, `initialize`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<String>,
    },
}

impl ExchangeKind {
    /// An AS metadata request of the profile's discovery plan.
    pub fn as_metadata(p: &AsProbe) -> ExchangeKind {
        ExchangeKind::AsMetadata { method: p.method, well_known: p.kind, on: p.on }
    }

    /// A probe exchange from its label, `probe:<name>[:<step>]` (the probe executor's labels);
    /// `Unknown` for a label of another shape.
    pub fn probe(label: &str) -> ExchangeKind {
        let Some(rest) = label.strip_prefix("probe:") else { return ExchangeKind::Unknown };
        let (probe, step) = match rest.split_once(':') {
            Some((p, s)) => (p, Some(s.to_owned())),
            None => (rest, None),
        };
        if probe.is_empty() {
            return ExchangeKind::Unknown;
        }
        ExchangeKind::Probe { probe: probe.to_owned(), step }
    }

    /// An MCP message of this method.
    pub fn mcp(method: &str) -> ExchangeKind {
        ExchangeKind::Mcp { method: method.to_owned() }
    }

    /// Whether this is an MCP message of `method`.
    pub fn is_mcp(&self, method: &str) -> bool {
        matches!(self, ExchangeKind::Mcp { method: m } if m == method)
    }

    /// Whether this is a token request with this grant.
    pub fn is_token(&self, grant: &str) -> bool {
        matches!(self, ExchangeKind::Token { grant: g } if g == grant)
    }

    /// Whether it is nothing recorded.
    pub fn is_unknown(&self) -> bool {
        matches!(self, ExchangeKind::Unknown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_labels_split_into_probe_and_step() {
        assert_eq!(
            ExchangeKind::probe("probe:prm_fetch:root_get"),
            ExchangeKind::Probe { probe: "prm_fetch".into(), step: Some("root_get".into()) }
        );
        assert_eq!(
            ExchangeKind::probe("probe:garbage_token"),
            ExchangeKind::Probe { probe: "garbage_token".into(), step: None }
        );
        assert_eq!(ExchangeKind::probe("root PRM"), ExchangeKind::Unknown);
        assert_eq!(ExchangeKind::probe("probe:"), ExchangeKind::Unknown);
    }

    #[test]
    fn serialises_tagged_and_reads_old_transcripts_as_unknown() {
        let k = ExchangeKind::Token { grant: "authorization_code".into() };
        let v = serde_json::to_value(&k).unwrap();
        assert_eq!(v, serde_json::json!({"type": "token", "grant": "authorization_code"}));
        assert_eq!(serde_json::from_value::<ExchangeKind>(v).unwrap(), k);
        let p = ExchangeKind::Prm { lookup: PrmLookup::PathInserted };
        assert_eq!(serde_json::to_value(&p).unwrap(), serde_json::json!({"type": "prm", "lookup": "path_inserted"}));
    }
}
