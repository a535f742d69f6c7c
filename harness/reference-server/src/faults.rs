//! Deliberate faults: each one makes the reference server break exactly one requirement of
//! `REQUIREMENTS.md` (RS-xx, H-xx, GPT-xx), so a check can be proved able to fail.
//!
//! A fault is a small switch in the one code path it breaks (PRM serving, challenge building,
//! token validation, the transport), never a second copy of a handler. Where the switch lives is
//! named on each variant. Faults combine freely, but the tests exercise them one at a time.

use serde::{Deserialize, Serialize};

/// Declares [`Fault`], [`Fault::ALL`] and [`Fault::requirements`] from one list, so a new variant
/// cannot be forgotten in `ALL` or left without a requirement ID.
macro_rules! faults {
    ($(#[$edoc:meta])* $enum:ident; $( $(#[$doc:meta])* $name:ident => [$($id:literal),+] ),+ $(,)?) => {
        $(#[$edoc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        #[non_exhaustive]
        pub enum $enum {
            $( $(#[$doc])* $name, )+
        }

        impl $enum {
            /// Every fault, in declaration order.
            pub const ALL: &'static [$enum] = &[$($enum::$name),+];

            /// The requirement IDs this fault violates; the first is the one it exists for, any
            /// others follow from it (e.g. a missing `resource_metadata` also fails GPT-02).
            pub fn requirements(self) -> &'static [&'static str] {
                match self {
                    $($enum::$name => &[$($id),+],)+
                }
            }
        }
    };
}
pub(crate) use faults;

faults! {
    /// One deliberate misbehaviour of the reference server. Serialized in `snake_case`
    /// (`no_prm`, `skip_audience_check`, …) for scenario and config files.
    Fault;
    /// RS-01: no Protected Resource Metadata at either well-known location (both 404).
    /// Switch: `prm::serve`.
    NoPrm => ["RS-01", "GPT-01"],
    /// RS-02: the PRM omits `authorization_servers`. Switch: `prm::document`.
    PrmWithoutAuthorizationServers => ["RS-02"],
    /// RS-03 (2025-06-18 makes the header the only discovery mechanism): the 401/400 challenge has
    /// no `resource_metadata`, so ChatGPT is not pointed at the root PRM either (GPT-02).
    /// Switch: `challenge::base_challenge`.
    NoResourceMetadataInChallenge => ["RS-03", "GPT-02"],
    /// GPT-01: PRM only at the path-suffixed location; the root `/.well-known/oauth-protected-resource`
    /// ChatGPT fetches (it strips `/mcp`) answers 404. Switch: `prm::serve`.
    PrmOnlyAtPath => ["GPT-01"],
    /// GPT-02: challenges point `resource_metadata` at the path-suffixed PRM instead of the host-root
    /// one ChatGPT wants. Switch: `challenge::resource_metadata_url`.
    ChallengePointsAtPathPrm => ["GPT-02"],
    /// RS-04: the 401 (and 400) challenge carries no `scope=`. Switch: `challenge::base_challenge`.
    NoScopeInChallenge => ["RS-04"],
    /// RS-05: a request without a token gets 403 instead of 401. Switch: `challenge::unauthorized`.
    WrongStatusForMissingToken => ["RS-05"],
    /// RS-06: an invalid token gets HTTP 500 instead of 401. Switch: `challenge::unauthorized`.
    ServerErrorOnBadToken => ["RS-06"],
    /// RS-07: the 401 body carries a `tools/list` result — data handed to an unauthenticated party.
    /// Switch: `challenge::unauthorized`.
    LeakDataOnRejection => ["RS-07"],
    /// RS-07: the 401 body is not JSON-RPC but names every tool in its `error_description` — the
    /// same leak in another shape ("… available tools: whoami, echo, write_note").
    /// Switch: `challenge::unauthorized`.
    LeakToolsInErrorText => ["RS-07"],
    /// RS-08/RS-10: `aud` is not checked, so tokens for another resource (or without `aud`) pass.
    /// Switch: `auth::check_claims`.
    SkipAudienceCheck => ["RS-08", "RS-10", "GPT-08"],
    /// RS-09: an invalid token gets a 401 whose challenge lacks `error="invalid_token"`.
    /// Switch: `challenge::unauthorized`.
    NoInvalidTokenError => ["RS-09"],
    /// RS-12: insufficient scope is answered with 401 instead of 403. Switch: `challenge::forbidden`.
    InsufficientScopeAs401 => ["RS-12"],
    /// RS-13: the 403 `scope` names the server's base challenge scope (`mcp:read`) rather than the
    /// scopes the tool needs — the usual copy-paste bug. Switch: `challenge::forbidden`.
    WrongScopeInForbidden => ["RS-13"],
    /// RS-14: every other challenge names a different `scope` (the base scopes, then all of
    /// `scopes_supported`), so the same request gets different challenges.
    /// Switch: `challenge::scope_param`.
    InconsistentChallenge => ["RS-14"],
    /// RS-15: a request with a known `Mcp-Session-Id` and no token is served as the session's user.
    /// Switch: `transport::authenticate`.
    SessionAuthenticates => ["RS-15"],
    /// RS-16: session ids are sequential (`session-1`, `session-2`, …).
    /// Switch: `session::SessionStore::new_id`.
    PredictableSessionIds => ["RS-16"],
    /// RS-17: the 403 challenge has no `resource_metadata`. Switch: `challenge::forbidden`.
    NoResourceMetadataIn403 => ["RS-17"],
    /// RS-18: the PRM `resource` is the bare origin instead of the MCP endpoint URL (the common
    /// "base URL" misconfiguration). Switch: `prm::document`.
    PrmWrongResource => ["RS-18"],
    /// RS-19: the challenge's `resource_metadata` names an absolute URL that answers 404.
    /// Switch: `challenge::resource_metadata_url`.
    PrmUrlUnfetchable => ["RS-19"],
    /// RS-06: signatures are not verified (nor the algorithm or key), so `alg: none`, HS256 and
    /// foreign-key tokens pass. Switch: `auth::verify_signature`.
    SkipSignatureCheck => ["RS-06"],
    /// RS-06: `exp` is not compared with the clock, so expired tokens pass. Switch: `auth::check_claims`.
    SkipExpiryCheck => ["RS-06"],
    /// RS-06: `nbf` is ignored, so not-yet-valid tokens pass (FastMCP 4.1.2's bug).
    /// Switch: `auth::check_claims`.
    SkipNbfCheck => ["RS-06"],
    /// RS-06: `iss` is not compared, so tokens from a foreign issuer pass (if the key verifies).
    /// Switch: `auth::check_claims`.
    SkipIssuerCheck => ["RS-06"],
    /// GPT-16: a token in the query string (`?access_token=` or `?token=`) is accepted when no
    /// `Authorization` header is sent. Switch: `transport::authenticate`.
    AcceptQueryToken => ["GPT-16"],
    /// H-02: `Origin` is not validated (no 403 for a foreign origin). Switch: `cors::origin_allowed`.
    NoOriginCheck => ["H-02"],
    /// H-04: a JSON array body is processed as a JSON-RPC batch instead of rejected with 400.
    /// Switch: `transport::post`.
    AcceptBatch => ["H-04"],
    /// H-06: notifications get 200 with a JSON body instead of 202 with none.
    /// Switch: `transport::accepted`.
    NotificationNot202 => ["H-06"],
    /// H-07: answers to requests are labelled `Content-Type: text/plain`, neither JSON nor SSE.
    /// Switch: `transport::handle`.
    PlainTextResponses => ["H-07"],
    /// H-09: an authenticated GET is answered 200 with a JSON body instead of an SSE stream or 405.
    /// Switch: `transport::handle`.
    GetAnswersJson => ["H-09"],
    /// H-15: DELETE of a live session answers 500 instead of ending it (2xx) or 405.
    /// Switch: `transport::delete`.
    DeleteFails => ["H-15"],
    /// H-12: session ids contain a space (outside visible ASCII 0x21–0x7E).
    /// Switch: `session::SessionStore::new_id`.
    SessionIdNotAscii => ["H-12"],
    /// H-13: requests without `Mcp-Session-Id` are served instead of answered with 400.
    /// Switch: `transport::session_for`.
    NoSessionRequired => ["H-13"],
    /// H-14: DELETE answers 204 but the session stays usable. Switch: `transport::delete`.
    TerminatedSessionStillServed => ["H-14"],
    /// H-16: an unsupported `MCP-Protocol-Version` header is accepted.
    /// Switch: `transport::check_protocol_version`.
    InvalidProtocolVersionAccepted => ["H-16"],
    /// H-17: `initialize` echoes whatever `protocolVersion` the client sent, supported or not.
    /// Switch: `mcp::negotiate_version`.
    EchoUnsupportedProtocolVersion => ["H-17"],
    /// H-05: `Accept` is ignored: answers come in the configured response mode (JSON by default)
    /// even when the request accepts only the other type, so that client cannot read them.
    /// (Requiring both types is correct behaviour: `ReferenceConfig::require_both_accept_types`.)
    /// Switch: `transport::negotiate`.
    AnswerIgnoresAccept => ["H-05"],
    /// GPT-12: no CORS: preflights are not answered (they fall through to authentication → 401)
    /// and responses carry no `Access-Control-*` headers. Switches: `transport::handle` (preflight),
    /// `cors::decorate`, `prm::serve`.
    NoCors => ["GPT-12"],
    /// GPT-13: the tool-level `_meta["mcp/www_authenticate"]` challenge of mixed authentication
    /// names no `resource_metadata` (only `error`, `scope` and `error_description`), so ChatGPT
    /// cannot find the authorization server from it. Takes effect with `mixed_auth` only.
    /// Switch: `challenge::tool_challenge`.
    MalformedToolChallenge => ["GPT-13"],
    /// GPT-03: the PRM's `authorization_servers` lists the authorization server's metadata URL
    /// (`{issuer}/.well-known/oauth-authorization-server`, as seed 003 §3.1 configures it) instead of
    /// its issuer identifier (RFC 9728 §2), so a client building RFC 8414 / OIDC URLs from it finds no
    /// metadata. Switch: `prm::document`.
    PrmListsMetadataUrl => ["GPT-03"],
    /// GPT-20: a GET of the MCP endpoint (with a valid token) answers 404 instead of 405 or an
    /// event stream, as an endpoint that routes POST only does; ChatGPT's 2026-08 connector
    /// creation refused that ("MCP SSE probe returned 404"). H-09 names 405 for a server without a
    /// GET stream. Switch: `transport::handle`.
    GetNotFound => ["GPT-20", "H-09"],
}

impl Fault {
    /// The requirement ID this fault exists to break.
    pub fn requirement(self) -> &'static str {
        self.requirements()[0]
    }

    /// The `snake_case` name used in config files.
    pub fn name(self) -> String {
        serde_json::to_value(self).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
    }
}

/// The faults in force, for cheap lookups on the request path.
#[derive(Debug, Clone, Default)]
pub(crate) struct Faults(std::collections::BTreeSet<Fault>);

impl Faults {
    pub(crate) fn new(list: &[Fault]) -> Self {
        Faults(list.iter().copied().collect())
    }

    pub(crate) fn has(&self, f: Fault) -> bool {
        self.0.contains(&f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_fault_names_known_requirement_ids_and_round_trips_through_serde() {
        let mut names = HashSet::new();
        for &f in Fault::ALL {
            for id in f.requirements() {
                let ok = ["RS-", "H-", "GPT-"].iter().any(|p| {
                    id.strip_prefix(p).is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                });
                assert!(ok, "{f:?} names {id}");
            }
            let name = f.name();
            assert!(names.insert(name.clone()), "duplicate name {name}");
            let back: Fault = serde_json::from_value(serde_json::json!(name)).unwrap();
            assert_eq!(back, f);
        }
        assert_eq!(Fault::SkipAudienceCheck.name(), "skip_audience_check");
        assert_eq!(Fault::NoPrm.requirement(), "RS-01");
        assert!(Fault::ALL.len() >= 30);
    }

    #[test]
    fn the_set_answers_membership() {
        let f = Faults::new(&[Fault::NoPrm, Fault::NoPrm, Fault::NoCors]);
        assert!(f.has(Fault::NoPrm) && f.has(Fault::NoCors));
        assert!(!f.has(Fault::AcceptBatch));
        assert!(!Faults::default().has(Fault::NoPrm));
    }
}
