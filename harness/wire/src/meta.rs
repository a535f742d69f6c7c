//! `_meta` keys of MCP 2026-07-28 (`basic/index` §Per-request and per-response protocol fields,
//! `server/utilities/caching`).

/// Request `_meta`, required: the protocol version of this request (must equal the
/// `MCP-Protocol-Version` header).
pub const PROTOCOL_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
/// Request `_meta`, required: the client capabilities relevant to this request.
pub const CLIENT_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
/// Request `_meta`, recommended: client name and version.
pub const CLIENT_INFO: &str = "io.modelcontextprotocol/clientInfo";
/// Request `_meta`, optional: the minimum log level the server may emit for this request.
pub const LOG_LEVEL: &str = "io.modelcontextprotocol/logLevel";
/// Result `_meta`, recommended on every result: server name and version.
pub const SERVER_INFO: &str = "io.modelcontextprotocol/serverInfo";

/// The prefix of a `Mcp-Name` / `Mcp-Param-*` value carried as base64 (streamable HTTP §Value
/// Encoding); lowercase and exact.
pub const BASE64_SENTINEL_PREFIX: &str = "=?base64?";
/// The suffix of a base64-carried header value.
pub const BASE64_SENTINEL_SUFFIX: &str = "?=";

/// The methods whose `Mcp-Name` header is required, and the `params` field it mirrors.
pub const NAMED_METHODS: [(&str, &str); 3] =
    [("tools/call", "name"), ("resources/read", "uri"), ("prompts/get", "name")];

/// `value` in the `=?base64?…?=` form (standard alphabet, padded), as a client sends a
/// `Mcp-Name` / `Mcp-Param-*` value that is not plain visible ASCII (streamable HTTP §Value
/// Encoding). Probes also send it for plain values, which a server must decode just the same.
pub fn base64_header_value(value: &str) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(value.as_bytes());
    format!("{BASE64_SENTINEL_PREFIX}{b64}{BASE64_SENTINEL_SUFFIX}")
}
