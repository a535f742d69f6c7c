//! The MCP 2026-07-28 path of the endpoint: no `initialize`, no session; every request carries
//! its protocol version and client capabilities in `_meta` and mirrors its method (and name) in
//! headers, which the server checks against the body (`basic/transports/streamable-http`
//! §Request Metadata, §Server Validation; `basic/index` §Per-request protocol fields).
//!
//! Order of checks for a POST on this path (authentication already passed, as for every request):
//! 1. `MCP-Protocol-Version` present (H-24) → else 400 -32020.
//! 2. `_meta` protocolVersion and clientCapabilities present (H-33) → else 400 -32602.
//! 3. Header version equals `_meta` version (H-21) → else 400 -32020.
//! 4. The version is served (H-22) → else 400 -32022 with `data.supported` / `data.requested`.
//! 5. `Mcp-Method` equals `method` (H-25, values case-sensitive H-28) → else 400 -32020.
//! 6. `Mcp-Name` equals `params.name` / `params.uri` on `tools/call`, `resources/read`,
//!    `prompts/get`, after decoding `=?base64?…?=` (H-25, H-26) → else 400 -32020.
//! 7. The method: unknown → 404 -32601 (H-23); results carry `resultType` (H-35) and
//!    `_meta` serverInfo (H-38); lists, reads and `server/discover` carry `ttlMs` and
//!    `cacheScope` (H-37).
//!
//! No `Mcp-Session-Id` is read, minted or echoed (H-32).

mod tools;

pub use crate::modern_faults::ModernFault;

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use mcp_wire::SpecVersion;
use mcp_wire::errors::{HEADER_MISMATCH, INVALID_PARAMS, METHOD_NOT_FOUND, UNSUPPORTED_PROTOCOL_VERSION};
use mcp_wire::headers::{LAST_EVENT_ID, MCP_METHOD, MCP_NAME, MCP_PROTOCOL_VERSION, MCP_SESSION_ID};
use mcp_wire::meta;
use serde_json::{Value, json};
use std::sync::atomic::Ordering;

use super::auth::Principal;
use super::config::{Era, SUPPORTED_PROTOCOL_VERSIONS};
use super::mcp::{self, Message, SERVER_NAME};
use super::state::AppState;

/// Longest header value read for comparison; a longer one is malformed.
const MAX_HEADER_VALUE: usize = 8 * 1024;

/// Whether `msg` opens the 2026-07-28 path: `server/discover`, the 2026-07-28 version header, or
/// 2026-07-28 `_meta`. Anything else (`initialize`, a 2025 request) stays legacy in a dual server.
pub(crate) fn is_modern(headers: &HeaderMap, value: &Value) -> bool {
    let stateless = |v: &str| SpecVersion::parse(v).is_some_and(SpecVersion::is_stateless);
    value.get("method").and_then(Value::as_str) == Some("server/discover")
        || header(headers, MCP_PROTOCOL_VERSION).is_some_and(|v| stateless(&v))
        || value.pointer("/params/_meta").and_then(|m| m.get(meta::PROTOCOL_VERSION)).is_some()
}

/// The versions this server speaks, newest first (`server/discover` `supportedVersions`).
pub(crate) fn supported_versions(era: Era) -> Vec<&'static str> {
    let modern = [SpecVersion::NEWEST.as_str()];
    match era {
        Era::Modern => modern.to_vec(),
        Era::Dual => modern.into_iter().chain(SUPPORTED_PROTOCOL_VERSIONS.iter().rev().copied()).collect(),
        Era::Legacy => SUPPORTED_PROTOCOL_VERSIONS.iter().rev().copied().collect(),
    }
}

/// An error response of this path: HTTP status and a JSON-RPC error with the request's id.
pub(crate) struct Refusal {
    status: StatusCode,
    code: i64,
    message: String,
    data: Option<Value>,
}

impl Refusal {
    fn new(status: StatusCode, code: i64, message: impl Into<String>) -> Self {
        Refusal { status, code, message: message.into(), data: None }
    }
    fn mismatch(message: impl Into<String>) -> Self {
        Refusal::new(StatusCode::BAD_REQUEST, HEADER_MISMATCH, message)
    }
    fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }
    fn respond(self, id: &Value) -> Response {
        let mut err = json!({ "code": self.code, "message": self.message });
        if let Some(d) = self.data {
            err["data"] = d;
        }
        json_response(self.status, &json!({ "jsonrpc": "2.0", "id": id, "error": err }))
    }
}

pub(crate) fn has(st: &AppState, f: ModernFault) -> bool {
    st.config.modern_faults.contains(&f)
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    (status, [(CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

/// One header's value as text: `None` when absent, repeated or not visible ASCII.
fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    let mut all = headers.get_all(name).iter();
    let v = all.next()?;
    if all.next().is_some() || v.len() > MAX_HEADER_VALUE {
        return None;
    }
    v.to_str().ok().map(str::to_owned)
}

/// A `Mcp-Name` / `Mcp-Param-*` value as the client meant it: the `=?base64?…?=` form decoded
/// (markers exact and lowercase), anything else as sent. `Err` when the encoded form is not valid
/// base64 of UTF-8. Fault switch: `Base64NameNotDecoded` (H-26).
fn header_value(st: &AppState, raw: &str) -> Result<String, &'static str> {
    let inner =
        raw.strip_prefix(meta::BASE64_SENTINEL_PREFIX).and_then(|r| r.strip_suffix(meta::BASE64_SENTINEL_SUFFIX));
    match inner {
        Some(b64) if !has(st, ModernFault::Base64NameNotDecoded) => {
            let bytes = STANDARD.decode(b64).map_err(|_| "the =?base64?…?= value is not valid base64")?;
            String::from_utf8(bytes).map_err(|_| "the =?base64?…?= value is not UTF-8")
        }
        _ => Ok(raw.to_owned()),
    }
}

/// A POST on the 2026-07-28 path (`value` is one JSON object).
pub(crate) fn post(st: &AppState, headers: &HeaderMap, value: &Value, who: &Principal) -> Response {
    let id = value.get("id").cloned().unwrap_or(Value::Null);
    let msg = match mcp::classify(value) {
        Ok(m) => m,
        Err(why) => return Refusal::new(StatusCode::BAD_REQUEST, mcp::INVALID_REQUEST, why).respond(&id),
    };
    let Message::Request { method, params, .. } = msg else {
        // Notifications and responses: accepted, nothing to answer (no session to touch).
        return StatusCode::ACCEPTED.into_response();
    };
    let mut resp =
        match validate(st, headers, &method, &params).and_then(|()| dispatch(st, headers, &method, &params, who)) {
            Ok(Answer::Result(result)) => {
                let body = mcp::result_body(id, result);
                let mut prelude = stream_prelude(st, &method, &params);
                if has(st, ModernFault::ReplaysOnLastEventId) {
                    let previous = st.last_answer.lock().replace(body.clone());
                    if headers.contains_key(LAST_EVENT_ID) {
                        prelude.splice(0..0, previous);
                    }
                }
                if has(st, ModernFault::ResumesIssuedEventIds) && method == "tools/list" {
                    return resumable_answer(st, headers, &body);
                }
                match prelude.as_slice() {
                    [] => json_response(StatusCode::OK, &body),
                    prelude => sse_response(prelude, &body),
                }
            }
            Ok(Answer::Http(r)) => r,
            Err(refusal) => refusal.respond(&id),
        };
    if has(st, ModernFault::SessionIdOnModernResponses) {
        let sid = st.sessions.lock().new_id(&st.faults);
        if let Ok(v) = HeaderValue::from_str(&sid) {
            resp.headers_mut().insert(MCP_SESSION_ID, v);
        }
    }
    resp
}

/// What a faulty server sends on the response stream before a `tools/call` result: nothing when
/// faultless (results go out as `application/json`). `RequestOnResponseStream` (H-29): an
/// `elicitation/create` request when `confirm_action` is called with the elicitation capability
/// declared. `LogWithoutLogLevel` (H-44): a `notifications/message` though `_meta` has no
/// logLevel.
fn stream_prelude(st: &AppState, method: &str, params: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    if method != "tools/call" {
        return out;
    }
    let m = params.get("_meta");
    if has(st, ModernFault::LogWithoutLogLevel) && m.and_then(|m| m.get(meta::LOG_LEVEL)).is_none() {
        out.push(json!({ "jsonrpc": "2.0", "method": "notifications/message",
            "params": { "level": "info", "logger": SERVER_NAME, "data": "tool call started" } }));
    }
    let elicitation = m.and_then(|m| m.get(meta::CLIENT_CAPABILITIES)).and_then(|c| c.get("elicitation")).is_some();
    if has(st, ModernFault::RequestOnResponseStream)
        && elicitation
        && params.get("name").and_then(Value::as_str) == Some(tools::CONFIRM_TOOL)
    {
        out.push(json!({ "jsonrpc": "2.0", "id": "elicit-1", "method": "elicitation/create",
            "params": { "message": "Confirm the action?", "requestedSchema": { "type": "object", "properties": {} } } }));
    }
    out
}

/// What the `GetServesStream` fault (H-32) answers GET and HEAD with: a 2025-style standalone SSE
/// stream — one keep-alive comment, then held open until the client goes away.
pub(crate) fn open_stream() -> Response {
    use futures_util::StreamExt;
    let first = futures_util::stream::iter([Ok::<_, std::io::Error>(axum::body::Bytes::from_static(b": stream\n\n"))]);
    let body = axum::body::Body::from_stream(first.chain(futures_util::stream::pending()));
    (StatusCode::OK, [(CONTENT_TYPE, "text/event-stream"), (CACHE_CONTROL, "no-cache")], body).into_response()
}

/// An SSE response: one `message` event per JSON-RPC message, the response last.
/// The `ResumesIssuedEventIds` fault's `tools/list` answer: one SSE event with the next id, after
/// a replay of the previous answer when `Last-Event-ID` names an id this server issued.
fn resumable_answer(st: &AppState, headers: &HeaderMap, body: &Value) -> Response {
    let issued = st.event_ids.load(Ordering::Relaxed);
    let known = header(headers, LAST_EVENT_ID)
        .and_then(|v| v.strip_prefix("ev-").and_then(|n| n.parse::<u64>().ok()))
        .is_some_and(|n| (1..=issued).contains(&n));
    let previous = st.last_answer.lock().replace(body.clone());
    let mut events = String::new();
    if let Some(p) = previous.filter(|_| known) {
        events.push_str(&format!("event: message\ndata: {p}\n\n"));
    }
    let id = st.event_ids.fetch_add(1, Ordering::Relaxed) + 1;
    events.push_str(&format!("id: ev-{id}\nevent: message\ndata: {body}\n\n"));
    (StatusCode::OK, [(CONTENT_TYPE, "text/event-stream"), (CACHE_CONTROL, "no-cache")], events).into_response()
}

fn sse_response(prelude: &[Value], body: &Value) -> Response {
    // serde_json never emits a raw newline, so one `data:` line holds a whole message.
    let events: String = prelude.iter().chain([body]).map(|m| format!("event: message\ndata: {m}\n\n")).collect();
    (StatusCode::OK, [(CONTENT_TYPE, "text/event-stream"), (CACHE_CONTROL, "no-cache")], events).into_response()
}

/// Steps 1-6 of the module doc.
fn validate(st: &AppState, headers: &HeaderMap, method: &str, params: &Value) -> Result<(), Refusal> {
    let header_version = header(headers, MCP_PROTOCOL_VERSION);
    if header_version.is_none() && !has(st, ModernFault::MissingVersionHeaderAccepted) {
        return Err(Refusal::mismatch(format!("required header {MCP_PROTOCOL_VERSION} is missing or malformed")));
    }
    let m = params.get("_meta");
    let meta_version = m.and_then(|m| m.get(meta::PROTOCOL_VERSION)).and_then(Value::as_str);
    let capabilities = m.and_then(|m| m.get(meta::CLIENT_CAPABILITIES)).filter(|c| c.is_object());
    if (meta_version.is_none() || capabilities.is_none()) && !has(st, ModernFault::MissingMetaAccepted) {
        let msg = format!("params._meta must carry {} and {}", meta::PROTOCOL_VERSION, meta::CLIENT_CAPABILITIES);
        return Err(Refusal::new(StatusCode::BAD_REQUEST, INVALID_PARAMS, msg));
    }
    let requested = meta_version
        .map(str::to_owned)
        .or(header_version.clone())
        .unwrap_or_else(|| SpecVersion::NEWEST.as_str().to_owned());
    if let (Some(h), Some(b)) = (header_version.as_deref(), meta_version)
        && h != b
        && !has(st, ModernFault::VersionHeaderMismatchAccepted)
    {
        return Err(Refusal::mismatch(format!(
            "Header mismatch: {MCP_PROTOCOL_VERSION} header value '{}' does not match _meta value '{}'",
            mcp::short(h),
            mcp::short(b)
        )));
    }
    if !SpecVersion::parse(&requested).is_some_and(SpecVersion::is_stateless) {
        if has(st, ModernFault::UnsupportedVersionWithoutList) {
            return Err(Refusal::new(StatusCode::BAD_REQUEST, mcp::INVALID_REQUEST, "unsupported protocol version"));
        }
        return Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            UNSUPPORTED_PROTOCOL_VERSION,
            "Unsupported protocol version",
        )
        .with_data(json!({ "supported": [SpecVersion::NEWEST.as_str()], "requested": mcp::short(&requested) })));
    }
    if !has(st, ModernFault::MethodHeaderIgnored) {
        let sent = header(headers, MCP_METHOD);
        let same = match sent.as_deref() {
            Some(h) if has(st, ModernFault::MethodHeaderCaseInsensitive) => h.eq_ignore_ascii_case(method),
            Some(h) => h == method,
            None => false,
        };
        if !same {
            return Err(Refusal::mismatch(match sent {
                Some(h) => format!(
                    "Header mismatch: {MCP_METHOD} header value '{}' does not match body value '{}'",
                    mcp::short(&h),
                    mcp::short(method)
                ),
                None => format!("required header {MCP_METHOD} is missing or malformed"),
            }));
        }
    }
    if let Some((_, field)) = meta::NAMED_METHODS.iter().find(|(m, _)| *m == method)
        && !has(st, ModernFault::NameHeaderIgnored)
    {
        let body = params.get(*field).and_then(Value::as_str).unwrap_or_default();
        let Some(raw) = header(headers, MCP_NAME) else {
            return Err(Refusal::mismatch(format!("required header {MCP_NAME} is missing or malformed")));
        };
        let sent = header_value(st, &raw).map_err(Refusal::mismatch)?;
        if sent != body {
            return Err(Refusal::mismatch(format!(
                "Header mismatch: {MCP_NAME} header value '{}' does not match body value '{}'",
                mcp::short(&sent),
                mcp::short(body)
            )));
        }
    }
    Ok(())
}

/// What a method answers: a result (decorated here) or an HTTP-level answer (a 403 challenge).
pub(crate) enum Answer {
    Result(Value),
    Http(Response),
}

/// Step 7.
fn dispatch(
    st: &AppState,
    headers: &HeaderMap,
    method: &str,
    params: &Value,
    who: &Principal,
) -> Result<Answer, Refusal> {
    let answer = match method {
        "server/discover" if !has(st, ModernFault::NoDiscover) => {
            if has(st, ModernFault::DiscoverRequiredFirst) {
                let mut seen = st.discovered.lock();
                if seen.len() < crate::handles::MAX_HANDLES {
                    seen.insert(who.sub.clone());
                }
            }
            cached(st, discover(st), "public")
        }
        "tools/list" if has(st, ModernFault::DiscoverRequiredFirst) && !st.discovered.lock().contains(&who.sub) => {
            return Err(Refusal::new(StatusCode::BAD_REQUEST, mcp::INVALID_REQUEST, "call server/discover first"));
        }
        "tools/list" => cached(st, tools::list(st), "public"),
        "tools/call" => return tools::call(st, headers, params, who).map(|a| complete(st, a)),
        "resources/list" => cached(st, tools::resources(), "public"),
        "resources/read" => {
            let (r, scope) = tools::read_resource(st, params, who)?;
            cached(st, r, scope)
        }
        "ping" => json!({}),
        other => {
            let status = if has(st, ModernFault::UnknownMethodAs200) { StatusCode::OK } else { StatusCode::NOT_FOUND };
            return Err(Refusal::new(status, METHOD_NOT_FOUND, format!("Method not found: `{}`", mcp::short(other))));
        }
    };
    Ok(complete(st, Answer::Result(answer)))
}

/// `server/discover`'s result (before the common fields).
/// Fault switch: `DiscoverInconsistent` (no `tools` capability declared).
fn discover(st: &AppState) -> Value {
    let capabilities = if has(st, ModernFault::DiscoverInconsistent) {
        json!({ "resources": {} })
    } else {
        json!({ "tools": {}, "resources": {} })
    };
    json!({
        "supportedVersions": supported_versions(st.config.era),
        "capabilities": capabilities,
        "instructions": "Reference MCP server of connector-harness (MCP 2026-07-28): tools whoami, echo, write_note, run_query, publish_note, open_cursor, read_cursor, confirm_action; resource notes://me.",
    })
}

/// Adds `ttlMs` and `cacheScope` (H-37). Fault switch: `NoCachingHints`.
fn cached(st: &AppState, mut result: Value, scope: &str) -> Value {
    if !has(st, ModernFault::NoCachingHints) {
        result["ttlMs"] = json!(60_000);
        result["cacheScope"] = json!(scope);
    }
    result
}

/// Adds `resultType` (H-35) and `_meta` serverInfo (H-38) to a result.
fn complete(st: &AppState, answer: Answer) -> Answer {
    let Answer::Result(mut r) = answer else { return answer };
    if !has(st, ModernFault::NoResultType) {
        r["resultType"] = json!("complete");
    }
    if !has(st, ModernFault::NoServerInfoMeta) {
        r["_meta"][meta::SERVER_INFO] = json!({ "name": SERVER_NAME, "version": env!("CARGO_PKG_VERSION") });
    }
    Answer::Result(r)
}

/// A modern-only server's answer to `initialize` (or any legacy request): 400 with the
/// UnsupportedProtocolVersion error naming what it speaks (VE L154-157, H-41). Fault switch:
/// `InitializeErrorWithoutVersions`.
pub(crate) fn refuse_legacy(st: &AppState, value: &Value) -> Response {
    let id = value.get("id").cloned().unwrap_or(Value::Null);
    if has(st, ModernFault::InitializeErrorWithoutVersions) {
        return Refusal::new(StatusCode::BAD_REQUEST, mcp::INVALID_REQUEST, "initialize is not supported").respond(&id);
    }
    let requested = value.pointer("/params/protocolVersion").and_then(Value::as_str).unwrap_or("");
    let msg = format!(
        "Unsupported protocol version: this server speaks MCP {} only (no initialize; send _meta with each request)",
        SpecVersion::NEWEST.as_str()
    );
    Refusal::new(StatusCode::BAD_REQUEST, UNSUPPORTED_PROTOCOL_VERSION, msg)
        .with_data(json!({ "supported": supported_versions(Era::Modern), "requested": mcp::short(requested) }))
        .respond(&id)
}

/// A legacy-only server's answer to `server/discover`: the method does not exist there.
pub(crate) fn discover_unknown(value: &Value) -> Response {
    let id = value.get("id").cloned().unwrap_or(Value::Null);
    let msg = "Method not found: server/discover (this server speaks MCP 2025-06-18 and 2025-11-25: initialize first)";
    Refusal::new(StatusCode::BAD_REQUEST, METHOD_NOT_FOUND, msg).respond(&id)
}
