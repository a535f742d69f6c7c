//! HTTP header names of MCP's Streamable HTTP transport. HTTP header names are case-insensitive;
//! these are the spellings the spec uses, for sending and for reports.

/// The negotiated (legacy) or per-request (2026-07-28) protocol revision.
pub const MCP_PROTOCOL_VERSION: &str = "MCP-Protocol-Version";
/// The session id of the legacy eras; 2026-07-28 has no sessions.
pub const MCP_SESSION_ID: &str = "Mcp-Session-Id";
/// 2026-07-28: the JSON-RPC method of the request, for routing without parsing the body.
pub const MCP_METHOD: &str = "Mcp-Method";
/// 2026-07-28: the tool, resource or prompt a request names (`params.name` or `params.uri`).
pub const MCP_NAME: &str = "Mcp-Name";
/// 2026-07-28: prefix of the headers that mirror tool parameters marked `x-mcp-header`.
pub const MCP_PARAM_PREFIX: &str = "Mcp-Param-";
/// The resumption cursor of an SSE stream.
pub const LAST_EVENT_ID: &str = "Last-Event-ID";
