//! JSON-RPC error codes MCP defines, by the revision that defined them. The 2026-07-28 codes come
//! from its protocol-defined sub-range -32020..-32099 (`basic/index` §Error Codes).

/// JSON-RPC: the method does not exist or is not available.
pub const METHOD_NOT_FOUND: i64 = -32601;
/// JSON-RPC: invalid method parameters. 2026-07-28 also uses it for a request missing required
/// `_meta` fields, and for an unknown resource (instead of 2025's -32002).
pub const INVALID_PARAMS: i64 = -32602;
/// 2026-07-28 `HeaderMismatch`: the HTTP headers do not match the body, or a required header
/// (`MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name`) is missing or malformed (HTTP 400).
pub const HEADER_MISMATCH: i64 = -32020;
/// 2026-07-28 `MissingRequiredClientCapability`: the request needs a client capability the
/// request's `_meta` did not declare; `data.requiredCapabilities` lists it (HTTP 400).
pub const MISSING_REQUIRED_CLIENT_CAPABILITY: i64 = -32021;
/// 2026-07-28 `UnsupportedProtocolVersion`: `data.supported` lists what the server speaks,
/// `data.requested` what was asked (HTTP 400). Was -32004 in drafts.
pub const UNSUPPORTED_PROTOCOL_VERSION: i64 = -32022;
/// 2025 resource-not-found; 2026-07-28 forbids emitting it (use [`INVALID_PARAMS`]).
pub const RESOURCE_NOT_FOUND_2025: i64 = -32002;
