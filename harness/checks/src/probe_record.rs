//! What the probes put in the transcript, as the checks read it: the label each probe exchange
//! carries, the fixed values probes send (the garbage token, the bad protocol versions, the
//! foreign origin) and the URLs they target. The probe executor (`harness::probes`) sends these;
//! the checks find the exchanges by them. Kept here so the checks need nothing of the executor.

use harness_transcript::Exchange;
use mcp_wire::NegativeToken;
use std::time::Duration;

/// The `Origin` of `bad_origin`.
pub const EVIL_ORIGIN: &str = "https://evil.example";
/// The `Origin` of `cors_preflight` (ChatGPT's, research §1.1).
pub const CHATGPT_ORIGIN: &str = "https://chatgpt.com";
/// The token `garbage_token` sends: valid RFC 6750 `b64token` syntax, not a token anyone issued.
pub const GARBAGE_TOKEN: &str = "not-a-real-access-token-0000";
/// The `MCP-Protocol-Version` of `invalid_protocol_version`.
pub const INVALID_PROTOCOL_VERSION: &str = "1999-01-01";
/// The `protocolVersion` `unknown_protocol_version` asks for.
pub const UNKNOWN_PROTOCOL_VERSION: &str = "2099-01-01";
/// The only scope of the token `insufficient_scope` starts with.
pub const READ_SCOPE: &str = "mcp:read";
/// How many sessions `session_ids` samples.
pub const SESSION_SAMPLES: usize = 5;
/// How long `get_stream` waits for the GET to finish before treating it as an open stream.
pub const GET_STREAM_WAIT: Duration = Duration::from_secs(3);
/// The `Last-Event-ID` the `modern` probe's resumption request carries when the server issued
/// no usable SSE event id earlier in the run (H-32: a 2026-07-28 server ignores it; streams of
/// that revision are not resumable). Invented: a server that resumes only for ids it issued
/// shows neither a replay nor a refusal to it.
pub const LAST_EVENT_ID_VALUE: &str = "1";
/// The longest issued event id the probe sends back.
const MAX_EVENT_ID_LEN: usize = 256;

/// The last SSE event id the server issued in `exchanges` (an `id:` field of an event-stream
/// response), with the seq of the exchange that carried it — so the `modern` probe resumes from
/// a real id, not an invented one. Only ids that fit an HTTP header value (visible ASCII and
/// spaces, at most 256 bytes) count: another is not sent back.
pub fn last_issued_event_id(exchanges: &[Exchange]) -> Option<(u32, String)> {
    exchanges.iter().rev().find_map(|e| {
        let body = e.response_body.as_deref()?;
        if !e.response_header("content-type").is_some_and(mcp_wire::sse::is_event_stream) {
            return None;
        }
        let usable = |id: &String| id.len() <= MAX_EVENT_ID_LEN && id.bytes().all(|b| (0x20..0x7f).contains(&b));
        mcp_wire::sse::event_ids(body).into_iter().rev().find(usable).map(|id| (e.seq, id))
    })
}

/// The exchange among `exchanges` whose event-stream response issued the SSE event id `id`.
pub fn issued_event_id_in<'a>(exchanges: impl IntoIterator<Item = &'a Exchange>, id: &str) -> Option<u32> {
    exchanges.into_iter().find_map(|e| {
        let body = e.response_body.as_deref()?;
        let stream = e.response_header("content-type").is_some_and(mcp_wire::sse::is_event_stream);
        (stream && mcp_wire::sse::event_ids(body).iter().any(|i| i == id)).then_some(e.seq)
    })
}
/// The path of the MCP manifest ChatGPT reads (seed 003).
pub const MANIFEST_PATH: &str = "/.well-known/mcp/manifest.json";
/// RFC 9728 §3's well-known path.
pub const PRM_WELL_KNOWN: &str = "/.well-known/oauth-protected-resource";

/// The method `modern`'s unknown-method request names (no revision defines it).
pub const UNKNOWN_METHOD: &str = "connector-harness/no-such-method";

/// The URI `modern` reads to see how a missing resource is reported (H-39).
pub const UNKNOWN_RESOURCE_URI: &str = "connector-harness://no-such-resource";
/// The `Mcp-Name` the name-mismatch probes send (no server should have it).
pub const WRONG_NAME: &str = "connector-harness-no-such-name";
/// The value `modern` gives an `x-mcp-header` parameter (body and matching header).
pub const PARAM_VALUE: &str = "connector-harness-a";
/// The other value the `Mcp-Param-*` mismatch sends in the header.
pub const PARAM_OTHER_VALUE: &str = "connector-harness-b";
/// The client capabilities a tool description may name (H-34), as `_meta` keys.
pub const CLIENT_CAPABILITY_NAMES: [&str; 3] = ["elicitation", "sampling", "roots"];

/// The `sub` of the second user the `modern_auth` probe mints tokens for (user A is the IdP's
/// first user): what differs between two users' results is per-user data (RS-25/RS-27).
pub const SECOND_USER: &str = "connector-harness-user-b";
/// How many resources of `resources/list` the `modern_auth` probe reads under both users.
pub const MODERN_AUTH_READS: usize = 2;
/// The most step-up calls the `modern_auth` probe makes for one operation (RS-22).
pub const MODERN_AUTH_STEP_UPS: usize = 4;

/// The labels probe exchanges carry in the transcript. Checks look exchanges up by these.
pub mod labels {
    /// GET of the host-root PRM, `/.well-known/oauth-protected-resource`.
    pub const PRM_ROOT_GET: &str = "probe:prm_fetch:root_get";
    /// HEAD of the host-root PRM.
    pub const PRM_ROOT_HEAD: &str = "probe:prm_fetch:root_head";
    /// GET of the path-suffixed PRM, `/.well-known/oauth-protected-resource{path}` (not sent when
    /// the MCP endpoint is at the root).
    pub const PRM_PATH_GET: &str = "probe:prm_fetch:path_get";
    /// HEAD of the path-suffixed PRM.
    pub const PRM_PATH_HEAD: &str = "probe:prm_fetch:path_head";
    /// POST initialize without credentials.
    pub const UNAUTHENTICATED: &str = "probe:unauthenticated";
    /// GET of the challenge's `resource_metadata` URL (when absolute and not fetched yet).
    pub const UNAUTHENTICATED_RESOURCE_METADATA: &str = "probe:unauthenticated:resource_metadata";
    /// The same unauthenticated request again (RS-14).
    pub const REPEAT_FIRST: &str = "probe:repeat_challenge:first";
    /// …and once more.
    pub const REPEAT_SECOND: &str = "probe:repeat_challenge:second";
    /// `Authorization: Bearer` with no token.
    pub const MALFORMED_BEARER_ONLY: &str = "probe:malformed_authorization:bearer_only";
    /// `Authorization: Bearer a b` (two tokens).
    pub const MALFORMED_TWO_TOKENS: &str = "probe:malformed_authorization:two_tokens";
    /// `Authorization: Basic …` (another scheme).
    pub const MALFORMED_BASIC: &str = "probe:malformed_authorization:basic";
    /// A syntactically valid token nobody issued.
    pub const GARBAGE_TOKEN: &str = "probe:garbage_token";
    /// Prefix of the negative-battery labels: `probe:negative_token:<kind>` (see
    /// [`negative_token`]).
    pub const NEGATIVE_TOKEN_PREFIX: &str = "probe:negative_token:";
    /// initialize with an `mcp:read`-only token.
    pub const SCOPE_INITIALIZE: &str = "probe:insufficient_scope:initialize";
    /// notifications/initialized in that session.
    pub const SCOPE_INITIALIZED: &str = "probe:insufficient_scope:initialized";
    /// tools/list in that session, to pick a tool that needs more scope (when none is named).
    pub const SCOPE_LIST: &str = "probe:insufficient_scope:list";
    /// The tool call that needs more scope.
    pub const SCOPE_CALL: &str = "probe:insufficient_scope:call";
    /// GET of the 403 challenge's `resource_metadata` (when not fetched yet).
    pub const SCOPE_RESOURCE_METADATA: &str = "probe:insufficient_scope:resource_metadata";
    /// initialize with a token holding `mcp:read` plus the challenged scopes.
    pub const SCOPE_STEP_UP_INITIALIZE: &str = "probe:insufficient_scope:step_up_initialize";
    /// The same tool call with that token.
    pub const SCOPE_STEP_UP_CALL: &str = "probe:insufficient_scope:step_up_call";
    /// Setup: a session for `session_without_token` when the connect left none.
    pub const SESSION_WITHOUT_TOKEN_SETUP: &str = "probe:session_without_token:initialize";
    /// tools/list with a live session id and no Authorization.
    pub const SESSION_WITHOUT_TOKEN: &str = "probe:session_without_token";
    /// initialize with the token only in `?access_token=`.
    pub const QUERY_ACCESS_TOKEN: &str = "probe:query_token:access_token";
    /// initialize with the token only in `?token=`.
    pub const QUERY_TOKEN: &str = "probe:query_token:token";
    /// initialize with `Origin: https://evil.example`.
    pub const BAD_ORIGIN: &str = "probe:bad_origin";
    /// The same initialize without `Origin`, sent first: the control H-02 compares with, so a
    /// status the server gives with or without the header is not blamed on Origin.
    pub const BAD_ORIGIN_CONTROL: &str = "probe:bad_origin:control";
    /// OPTIONS preflight from `https://chatgpt.com`.
    pub const CORS_PREFLIGHT: &str = "probe:cors_preflight";
    /// POST `[initialize]`.
    pub const JSON_ARRAY_BODY: &str = "probe:json_array_body";
    /// Setup for `notification`.
    pub const NOTIFICATION_SETUP: &str = "probe:notification:initialize";
    /// notifications/initialized in a live session.
    pub const NOTIFICATION: &str = "probe:notification";
    /// Setup for `get_stream`.
    pub const GET_STREAM_SETUP: &str = "probe:get_stream:initialize";
    /// GET with `Accept: text/event-stream`.
    pub const GET_STREAM: &str = "probe:get_stream";
    /// HEAD sent when the GET was still open after [`super::GET_STREAM_WAIT`].
    pub const GET_STREAM_HEAD: &str = "probe:get_stream:head_after_timeout";
    /// tools/list with a token and no session id.
    pub const MISSING_SESSION_ID: &str = "probe:missing_session_id";
    /// Setup: the session `terminated_session` ends.
    pub const TERMINATED_INITIALIZE: &str = "probe:terminated_session:initialize";
    /// DELETE of that session.
    pub const TERMINATED_DELETE: &str = "probe:terminated_session:delete";
    /// tools/list naming the deleted session.
    pub const TERMINATED_REUSE: &str = "probe:terminated_session:reuse";
    /// Setup for `invalid_protocol_version`.
    pub const INVALID_VERSION_SETUP: &str = "probe:invalid_protocol_version:initialize";
    /// tools/list with `MCP-Protocol-Version: 1999-01-01`.
    pub const INVALID_PROTOCOL_VERSION: &str = "probe:invalid_protocol_version";
    /// initialize asking for protocol version 2099-01-01.
    pub const UNKNOWN_PROTOCOL_VERSION: &str = "probe:unknown_protocol_version";
    /// Prefix of the session samples: `probe:session_ids:1` … `:5`.
    pub const SESSION_IDS_PREFIX: &str = "probe:session_ids:";
    /// DELETE of each sampled session.
    pub const SESSION_IDS_DELETE: &str = "probe:session_ids:delete";
    /// GET `/.well-known/mcp/manifest.json`.
    pub const MANIFEST: &str = "probe:manifest";
    /// initialize with `Accept: text/event-stream` only (ChatGPT's 2025 capture).
    pub const ACCEPT_SSE_ONLY: &str = "probe:accept_variants:sse_only";
    /// initialize with `Accept: application/json` only.
    pub const ACCEPT_JSON_ONLY: &str = "probe:accept_variants:json_only";

    /// 2026-07-28 `server/discover` with a valid token (era detection, H-35/36/37/38).
    pub const MODERN_DISCOVER: &str = "probe:modern:discover";
    /// The same `server/discover` without credentials (whether it needs a token is left open: INFO).
    pub const MODERN_DISCOVER_UNAUTHENTICATED: &str = "probe:modern:discover_unauthenticated";
    /// 2026-07-28 `tools/list` with a valid token (era detection, H-35/37/38).
    pub const MODERN_TOOLS_LIST: &str = "probe:modern:tools_list";
    /// 2026-07-28 `tools/list` whose `MCP-Protocol-Version` header (2025-11-25) differs from `_meta` (H-21).
    pub const MODERN_VERSION_MISMATCH: &str = "probe:modern:version_mismatch";
    /// 2026-07-28 `tools/list` without `MCP-Protocol-Version` (H-24).
    pub const MODERN_VERSION_MISSING: &str = "probe:modern:version_missing";
    /// `tools/list` with `Mcp-Method: prompts/list` (H-25).
    pub const MODERN_METHOD_MISMATCH: &str = "probe:modern:method_mismatch";
    /// `tools/list` naming version 2099-01-01 in the header and `_meta` (H-22).
    pub const MODERN_UNSUPPORTED_VERSION: &str = "probe:modern:unsupported_version";
    /// `tools/list` whose `_meta` lacks `clientCapabilities` (H-33).
    pub const MODERN_NO_CAPABILITIES: &str = "probe:modern:no_capabilities";
    /// A 2026-07-28 request for a method no revision defines (H-23).
    pub const MODERN_UNKNOWN_METHOD: &str = "probe:modern:unknown_method";

    // The `modern` probe's protocol-side requests (H-25 Mcp-Name, H-26…H-29, H-34, H-39…H-44).
    /// `tools/list` again after `server/discover` (H-44 order, H-40: the first one came before any
    /// discover).
    pub const MODERN_TOOLS_LIST_AGAIN: &str = "probe:modern:tools_list_again";
    /// `tools/list` with `Mcp-Method: TOOLS/LIST` (H-28: values are case-sensitive).
    pub const MODERN_METHOD_CASE: &str = "probe:modern:method_case";
    /// A 2025-11-25 `initialize` with the token (H-41 on a modern-only server, H-42).
    pub const MODERN_INITIALIZE: &str = "probe:modern:initialize";
    /// `tools/call` of a listed tool with a correct `Mcp-Name`: the control the name probes are
    /// compared with.
    pub const MODERN_CALL: &str = "probe:modern:call";
    /// The same call without `Mcp-Name` (H-25).
    pub const MODERN_CALL_NAME_MISSING: &str = "probe:modern:call_name_missing";
    /// The same call with `Mcp-Name` naming another tool (H-25).
    pub const MODERN_CALL_NAME_MISMATCH: &str = "probe:modern:call_name_mismatch";
    /// The same call with the correct name as `=?base64?…?=` (H-26: must be served).
    pub const MODERN_CALL_NAME_BASE64: &str = "probe:modern:call_name_base64";
    /// The same call with another name as `=?base64?…?=` (H-26: must be refused).
    pub const MODERN_CALL_NAME_BASE64_WRONG: &str = "probe:modern:call_name_base64_wrong";
    /// `resources/list` (to pick a resource for the `Mcp-Name` probes).
    pub const MODERN_RESOURCES_LIST: &str = "probe:modern:resources_list";
    /// `resources/read` of a listed resource without `Mcp-Name` (H-25).
    pub const MODERN_READ_NAME_MISSING: &str = "probe:modern:read_name_missing";
    /// `resources/read` of a listed resource with `Mcp-Name` naming another URI (H-25).
    pub const MODERN_READ_NAME_MISMATCH: &str = "probe:modern:read_name_mismatch";
    /// `resources/read` of [`super::UNKNOWN_RESOURCE_URI`] with a matching `Mcp-Name` (H-39).
    pub const MODERN_READ_UNKNOWN: &str = "probe:modern:read_unknown";
    /// `prompts/list` (to pick a prompt for the `Mcp-Name` probes).
    pub const MODERN_PROMPTS_LIST: &str = "probe:modern:prompts_list";
    /// `prompts/get` of a listed prompt without `Mcp-Name` (H-25).
    pub const MODERN_PROMPT_NAME_MISSING: &str = "probe:modern:prompt_name_missing";
    /// `prompts/get` of a listed prompt with `Mcp-Name` naming another prompt (H-25).
    pub const MODERN_PROMPT_NAME_MISMATCH: &str = "probe:modern:prompt_name_mismatch";
    /// `tools/call` of the first tool with an `x-mcp-header` parameter, header equal to the body (H-27).
    pub const MODERN_PARAM_MATCH: &str = "probe:modern:param_match";
    /// The same call with the `Mcp-Param-*` header differing from the body (H-27).
    pub const MODERN_PARAM_MISMATCH: &str = "probe:modern:param_mismatch";
    /// The same call without the `Mcp-Param-*` header (H-27).
    pub const MODERN_PARAM_MISSING: &str = "probe:modern:param_missing";
    /// `tools/call` of a tool whose description names a client capability, declaring none (H-34).
    pub const MODERN_CAPABILITY_MISSING: &str = "probe:modern:capability_missing";
    /// The same call declaring elicitation, sampling and roots (H-29: what the stream carries).
    pub const MODERN_CAPABILITY_DECLARED: &str = "probe:modern:capability_declared";

    // The `modern` probe's 2025-era traffic (H-32): what an older client sends a 2026-07-28
    // server. Their steps start with [`MODERN_LEGACY_STEP`]; the other 2026-07-28 checks leave
    // them out (a 2025 GET stream may carry server requests, legitimately for that era).
    /// The step prefix of the 2025-era traffic below.
    pub const MODERN_LEGACY_STEP: &str = "legacy_";
    /// GET of the MCP endpoint with the 2026-07-28 version header and the token (405 expected
    /// from a 2026-07-28-only server).
    pub const MODERN_LEGACY_GET: &str = "probe:modern:legacy_get";
    /// HEAD with the same headers, sent when the GET was still open after
    /// [`super::GET_STREAM_WAIT`] (the GET opened a stream; its head is recorded this way).
    pub const MODERN_LEGACY_GET_HEAD: &str = "probe:modern:legacy_get_head_after_timeout";
    /// DELETE of the MCP endpoint with the 2026-07-28 version header and the token (405 expected
    /// from a 2026-07-28-only server).
    pub const MODERN_LEGACY_DELETE: &str = "probe:modern:legacy_delete";
    /// A 2026-07-28 `tools/list` carrying `Last-Event-ID`: the last SSE event id the server issued
    /// earlier in the run ([`super::last_issued_event_id`]), else the invented
    /// [`super::LAST_EVENT_ID_VALUE`]; answered as without it (no replay, no resumption).
    pub const MODERN_LEGACY_LAST_EVENT_ID: &str = "probe:modern:legacy_last_event_id";

    // The `modern_auth` probe (RS-21…RS-28, MCP 2026-07-28 authorization).
    /// GET of the path-suffixed PRM, when the transcript has no PRM document yet (RS-21/RS-28).
    pub const MODERN_AUTH_PRM_PATH: &str = "probe:modern_auth:prm_path";
    /// GET of the host-root PRM, when neither an earlier fetch nor the path PRM gave a document.
    pub const MODERN_AUTH_PRM_ROOT: &str = "probe:modern_auth:prm_root";
    /// A 2026-07-28 `tools/list` without credentials: its challenge's `scope` (RS-21).
    pub const MODERN_AUTH_UNAUTHENTICATED: &str = "probe:modern_auth:unauthenticated";
    /// 2026-07-28 `tools/list` as user A (every scope of the IdP): the tools to probe with.
    pub const MODERN_AUTH_TOOLS_LIST: &str = "probe:modern_auth:tools_list";
    /// The same `tools/list` as user B (RS-27).
    pub const MODERN_AUTH_TOOLS_LIST_B: &str = "probe:modern_auth:tools_list_user_b";
    /// 2026-07-28 `resources/list` as user A: the resources read under both users (RS-27).
    pub const MODERN_AUTH_RESOURCES_LIST: &str = "probe:modern_auth:resources_list";
    /// Prefix of the step-up calls of a tool needing several scopes: `…:step_up:1`, `:2`, … (RS-22/23).
    pub const MODERN_AUTH_STEP_UP_PREFIX: &str = "probe:modern_auth:step_up:";
    /// A tool call with a token holding only the parent scope (RS-24).
    pub const MODERN_AUTH_PARENT_SCOPE: &str = "probe:modern_auth:parent_scope";
    /// Prefix of the two state-handle mints as user A: `…:handle_open:1`, `:2` (RS-26).
    pub const MODERN_AUTH_HANDLE_OPEN_PREFIX: &str = "probe:modern_auth:handle_open:";
    /// User A presents its own handle: the control (RS-25).
    pub const MODERN_AUTH_HANDLE_OWNER: &str = "probe:modern_auth:handle_owner";
    /// User B presents A's handle (RS-25).
    pub const MODERN_AUTH_HANDLE_OTHER_USER: &str = "probe:modern_auth:handle_other_user";
    /// A's handle presented without a token (RS-25).
    pub const MODERN_AUTH_HANDLE_NO_TOKEN: &str = "probe:modern_auth:handle_no_token";
    /// Prefix of `resources/read` as user A: `…:read_a:1`, … (RS-27).
    pub const MODERN_AUTH_READ_A_PREFIX: &str = "probe:modern_auth:read_a:";
    /// Prefix of the same reads as user B: `…:read_b:1`, … (RS-27).
    pub const MODERN_AUTH_READ_B_PREFIX: &str = "probe:modern_auth:read_b:";

    /// `<prefix><n>` for the numbered `modern_auth` steps (from 1).
    pub fn numbered(prefix: &str, n: usize) -> String {
        format!("{prefix}{n}")
    }

    /// `probe:negative_token:<kind>`, the kind in its snake_case name (`alg_none`).
    pub fn negative_token(kind: mcp_wire::NegativeToken) -> String {
        format!("{NEGATIVE_TOKEN_PREFIX}{}", super::negative_name(kind))
    }

    /// `probe:session_ids:<n>` (from 1).
    pub fn session_sample(n: usize) -> String {
        format!("{SESSION_IDS_PREFIX}{n}")
    }
}

/// The snake_case name of a negative token kind (`alg_none`).
pub fn negative_name(kind: NegativeToken) -> String {
    serde_json::to_value(kind).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_else(|| format!("{kind:?}"))
}

/// `scheme://host[:port]` of a URL.
pub fn origin_of(target: &str) -> Option<String> {
    let u = url::Url::parse(target).ok()?;
    Some(u.origin().ascii_serialization()).filter(|o| o != "null")
}

/// The host-root PRM URL ChatGPT fetches (the path stripped): `{origin}/.well-known/oauth-protected-resource`.
pub fn root_prm_url(target: &str) -> Option<String> {
    origin_of(target).map(|o| format!("{o}{PRM_WELL_KNOWN}"))
}

/// The path-suffixed PRM URL (RFC 9728 §3.1), or `None` when the endpoint is at the root.
pub fn path_prm_url(target: &str) -> Option<String> {
    let u = url::Url::parse(target).ok()?;
    let path = u.path().trim_end_matches('/');
    (!path.is_empty()).then(|| format!("{}{PRM_WELL_KNOWN}{path}", u.origin().ascii_serialization()))
}

/// The MCP manifest URL (seed 003).
pub fn manifest_url(target: &str) -> Option<String> {
    origin_of(target).map(|o| format!("{o}{MANIFEST_PATH}"))
}
