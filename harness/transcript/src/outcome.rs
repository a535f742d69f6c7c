//! How a connect ends: connected, or failed with the message the real client shows and the
//! precise cause behind it.

use serde::{Deserialize, Serialize};

use crate::transcript::Phase;
use client_profile::Profile;

/// Why a connect failed, in the client's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// No usable PRM or AS metadata.
    NoOauth,
    /// The AS does not advertise S256.
    PkceNotSupported,
    /// No registration path (no static id, no CIMD, no DCR).
    NoClient,
    /// DCR answered with another token endpoint auth method.
    AuthMethodMismatch,
    /// DCR or the client metadata document was refused.
    RegistrationFailed,
    /// The authorization request ended in an error.
    AuthorizeFailed,
    /// `state` missing or different on the callback.
    StateMismatch,
    /// RFC 9207 `iss` missing or different on the callback.
    IssMismatch,
    /// The token request failed.
    TokenFailed,
    /// MCP calls failed after authorization.
    McpFailed,
    /// A server could not be reached.
    Unreachable,
    /// Re-authorization attempts ran out.
    RetryLimit,
    /// The `server/discover` answer contradicts what the server then serves (ChatGPT's HTTP 424
    /// "MCP server/discover response was inconsistent").
    DiscoverInconsistent,
    /// The GET probe of the MCP URL got an answer the client refuses (ChatGPT 2026-08: 404).
    GetProbeRefused,
}

/// A failed connect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    /// Category.
    pub kind: FailureKind,
    /// What the real client would show, from the profile's messages.
    pub message: String,
    /// The precise cause, for the developer.
    pub cause: String,
    /// Where it happened.
    pub phase: Phase,
    /// The transcript entry that shows it, if one does.
    pub seq: Option<u32>,
    /// What came after, when the harness assumed its way past this failure to find the next one
    /// (the client itself stops here; see [`Continued`]). Empty on the later failures themselves.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub continued: Vec<Continued>,
}

/// One step past a failure where the profile's client stops: the smallest assumption that gets
/// past it, and what the flow met next under it. Exchanges sent under it are marked
/// [`crate::Exchange::continuation`], so nothing reads them as what the client does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Continued {
    /// The assumption, as a clause: "ChatGPT used the path-inserted PRM …".
    pub assumed: String,
    /// The first transcript entry sent under it.
    pub from_seq: u32,
    /// What happened next: connected, or the next failure.
    pub next: Outcome,
}

/// The result of a connect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Initialized and listed tools.
    Connected {
        /// Tool names from `tools/list`.
        tools: Vec<String>,
        /// The negotiated protocol version.
        protocol_version: Option<String>,
    },
    /// Did not connect.
    Failed(Failure),
    /// No connect was attempted (a run with no `connect` step): nothing to say about connecting.
    NotAttempted,
}

impl Outcome {
    /// Whether it connected.
    pub fn connected(&self) -> bool {
        matches!(self, Outcome::Connected { .. })
    }
    /// The failure, if any.
    pub fn failure(&self) -> Option<&Failure> {
        match self {
            Outcome::Failed(f) => Some(f),
            _ => None,
        }
    }
    /// One line: "ChatGPT (2026 CIMD profile) would connect" / "would fail: <message> — because <cause>".
    pub fn verdict(&self, profile: &Profile) -> String {
        self.verdict_as(&profile.display)
    }
    /// [`Outcome::verdict`] for a client known only by its display name (a saved run record).
    pub fn verdict_as(&self, who: &str) -> String {
        match self {
            Outcome::Connected { tools, .. } => format!("{who} would connect ({})", tools_listed(tools.len())),
            Outcome::Failed(f) => format!("{who} would fail: \"{}\" — because {}", f.message, f.cause),
            Outcome::NotAttempted => format!("{who}: no connect attempted, so no verdict on connecting"),
        }
    }
}

/// "1 tool listed", "3 tools listed": the one wording of a connect's tool count.
pub fn tools_listed(n: usize) -> String {
    format!("{n} tool{} listed", if n == 1 { "" } else { "s" })
}
