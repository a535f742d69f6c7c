//! The protocol-era axis of a profile: whether a client speaks MCP 2026-07-28 (the stateless
//! "modern" era: `server/discover`, per-request `_meta`, routing headers) besides the 2025
//! `initialize` handshake, how it chooses between them and how it falls back.
//!
//! A profile without an `eras` section speaks the legacy era only, exactly as before this axis
//! existed, so the dated profiles keep their recorded behaviour. Every value is a [`Fact`]; what no
//! capture shows (ChatGPT's modern `_meta` clientInfo, whether it sends `Mcp-Method`/`Mcp-Name`)
//! is an `assumption` with a note saying what was assumed.

use mcp_wire::SpecVersion;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Fact;

/// Which era a client tries first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EraStart {
    /// `server/discover` first (2026-07-28 "Version Negotiation"), `initialize` only as a fallback.
    Discover,
    /// `initialize` first (a 2025 client that also knows the modern path).
    Initialize,
}

/// When a client gives up on the modern path and sends `initialize` (Streamable HTTP 2026-07-28
/// §Backwards Compatibility, H-43: a 400 whose body is a recognised modern error stays modern;
/// anything else falls back).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fallback {
    /// HTTP statuses of the `server/discover` answer after which `initialize` is tried.
    pub on_status: Vec<u16>,
    /// JSON-RPC error codes (in an answer of any status) after which `initialize` is tried, e.g.
    /// -32601 (a legacy server does not know `server/discover`) or -32022.
    pub on_error: Vec<i64>,
    /// Whether an answer on one of `on_status` whose body is not a JSON-RPC error (an HTML 400, an
    /// empty 404) also leads to `initialize`.
    pub on_other_body: bool,
    /// Milliseconds to wait for the `server/discover` answer before trying `initialize` (Copilot's
    /// behaviour); `None`: a silent server fails the connect at the request timeout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
}

/// The GET a client sends to the MCP URL when it connects (ChatGPT's 2026-08 "SSE probe").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetProbe {
    /// Whether the GET is sent at all.
    pub send: bool,
    /// Statuses of its answer on which the client refuses the server (ChatGPT: 404).
    #[serde(default)]
    pub fail_on: Vec<u16>,
}

/// The protocol-era behaviour of a client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Eras {
    /// The revision the client speaks on the modern path (`MCP-Protocol-Version` and `_meta`
    /// protocolVersion); must be one `mcp_wire::SpecVersion` knows as stateless.
    pub modern_version: Fact<String>,
    /// Which era is tried first.
    pub first: Fact<EraStart>,
    /// The JSON-RPC id of the `server/discover` request (ChatGPT: `openai-mcp-discover`); a
    /// number when the client uses its running counter.
    pub discover_id: Fact<Value>,
    /// When the client falls back to `initialize`; `None`: it never does (Claude after -32601).
    pub fallback: Fact<Option<Fallback>>,
    /// Whether `Mcp-Method` is sent on modern requests (H-25, C-38).
    pub method_header: Fact<bool>,
    /// Whether `Mcp-Name` is sent on `tools/call`, `resources/read`, `prompts/get` (H-25, C-38).
    pub name_header: Fact<bool>,
    /// `_meta["io.modelcontextprotocol/clientInfo"]` on modern requests.
    pub client_info: Fact<Value>,
    /// `_meta["io.modelcontextprotocol/clientCapabilities"]` on modern requests.
    pub client_capabilities: Fact<Value>,
    /// Methods sent after a modern `server/discover` (no `initialize`, no notification).
    pub calls: Fact<Vec<String>>,
    /// Whether the client compares the `server/discover` answer with what the server then serves
    /// and refuses the server when they contradict each other (ChatGPT's HTTP 424).
    pub verify_discover: Fact<bool>,
    /// The GET probe of the MCP URL.
    pub get_probe: Fact<GetProbe>,
}

impl Eras {
    /// The modern revision, parsed (loading a profile checks that it parses and is stateless).
    pub fn version(&self) -> SpecVersion {
        SpecVersion::parse(&self.modern_version.value).filter(|v| v.is_stateless()).unwrap_or(SpecVersion::NEWEST)
    }

    /// Whether an answer to `server/discover` leads to `initialize`: its status and, when the body
    /// is a JSON-RPC error, its code. `None` for `error_code` means the body is not a JSON-RPC error.
    pub fn falls_back(&self, status: u16, error_code: Option<i64>) -> bool {
        let Some(f) = &self.fallback.value else { return false };
        match error_code {
            Some(code) => f.on_error.contains(&code),
            None => f.on_status.contains(&status) && f.on_other_body,
        }
    }

    /// Why this section is unusable, if it is.
    pub(crate) fn invalid(&self) -> Option<String> {
        match SpecVersion::parse(&self.modern_version.value) {
            Some(v) if v.is_stateless() => None,
            Some(v) => {
                Some(format!("eras.modern_version {} is not a stateless (2026-07-28 or later) revision", v.as_str()))
            }
            None => Some(format!("eras.modern_version `{}` is not a known MCP revision", self.modern_version.value)),
        }
    }
}
