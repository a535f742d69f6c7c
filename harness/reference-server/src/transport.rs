//! The MCP endpoint: Streamable HTTP (MCP 2025-06-18 and 2025-11-25 `basic/transports`) behind
//! OAuth 2.1 bearer authentication.
//!
//! Every request goes through the same steps, in this order; the first that fails answers:
//!
//! 1. Body at most 1 MiB, received within 30 s (the logging middleware; 400 or 408 with a
//!    JSON-RPC error otherwise).
//! 2. `OPTIONS` is a CORS preflight, answered without authentication (`cors::preflight`).
//! 3. `Origin`, when present, must be allowed → else 403 (H-02).
//! 4. Authentication, for every method and every request, session or not (RS-15; MCP security
//!    best practices "MUST NOT use sessions for authentication"): malformed `Authorization` → 400
//!    `invalid_request`; none → 401; invalid → 401 `invalid_token` (`challenge`). A token in the
//!    query string is never looked at (MCP §Token Requirements: "MUST NOT" be in the URI).
//!    Under `mixed_auth` (Apps SDK, seed 002) a request without any `Authorization` is served as an
//!    anonymous caller instead of 401, unless it names a session an authenticated caller opened.
//! 5. Method: POST and DELETE; anything else → 405 `Allow: POST, DELETE` (no server-initiated
//!    SSE stream is offered, H-09).
//! 6. A POST of one JSON object goes by era (`era_route`): a 2026-07-28 request to `modern` (its own
//!    steps), `initialize` on a modern-only server to its refusal naming the versions,
//!    `server/discover` on a legacy-only server to -32601; everything else continues here.
//!    `MCP-Protocol-Version`, when present, must be a supported version → else 400 (H-16).
//! 7. POST body: one JSON-RPC message; invalid JSON → 400 parse error; a JSON array → 400
//!    (batching was removed in 2025-06-18, H-04); not JSON-RPC → 400.
//! 8. For requests, `Accept` is negotiated before anything happens (406 only when neither JSON
//!    nor SSE is acceptable; ChatGPT's `Accept: text/event-stream` alone is fine, GPT-11).
//! 9. Sessions: `initialize` creates one and answers `Mcp-Session-Id` (H-12); everything else
//!    needs the header (400 without it, H-13) naming a live session of the same `sub` (404
//!    otherwise, H-14).
//! 10. Notifications and responses → 202 with no body (H-06); requests → the JSON-RPC response
//!     (200), or 403 `insufficient_scope` when a tool needs scopes the token lacks — under
//!     `mixed_auth`, a 200 tool result carrying `_meta["mcp/www_authenticate"]` instead.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{ACCEPT, ALLOW, CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::sync::Arc;

use super::auth::{self, Credentials, Principal, Rules};
use super::challenge::{self, Rejection};
use super::config::{Era, ResponseMode, SUPPORTED_PROTOCOL_VERSIONS};
use super::cors;
use super::faults::Fault;
use super::mcp::{self, Message, Outcome};
use super::modern;
use super::session::Session;
use super::state::{AppState, now};

/// `Mcp-Session-Id` (header names are case-insensitive; 2025-11-25 spells it `MCP-Session-Id`).
pub const SESSION_HEADER: &str = "mcp-session-id";
/// `MCP-Protocol-Version`.
pub const PROTOCOL_VERSION_HEADER: &str = "mcp-protocol-version";
/// Most messages processed from one batch when the `AcceptBatch` fault is on.
const MAX_BATCH: usize = 32;

/// The handler for every method on the MCP path.
pub(crate) async fn endpoint(
    State(st): State<Arc<AppState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut resp = handle(&st, &method, &uri, &headers, &body).await;
    cors::decorate(&st, cors::request_origin(&headers), &mut resp);
    resp
}

async fn handle(st: &AppState, method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Response {
    if method == Method::OPTIONS && !st.faults.has(Fault::NoCors) {
        return cors::preflight(st, headers);
    }
    if let Some(origin) = cors::request_origin(headers)
        && !cors::origin_allowed(st, origin)
    {
        return cors::forbidden_origin();
    }
    let who = match authenticate(st, uri, headers).await {
        Ok(p) => p,
        Err(resp) => return resp,
    };
    let modern_only = st.config.era == Era::Modern;
    match *method {
        Method::POST if st.faults.has(Fault::PlainTextResponses) => {
            let mut r = post(st, headers, body, &who);
            if r.status() == StatusCode::OK {
                r.headers_mut().insert(CONTENT_TYPE, axum::http::HeaderValue::from_static("text/plain"));
            }
            r
        }
        Method::POST => post(st, headers, body, &who),
        Method::GET | Method::HEAD if modern::has(st, modern::ModernFault::GetServesStream) => modern::open_stream(),
        Method::DELETE if modern_only && modern::has(st, modern::ModernFault::DeleteAccepted) => {
            StatusCode::OK.into_response()
        }
        // 2026-07-28 has no sessions and no GET stream: a modern-only server answers GET and DELETE
        // 405 and allows POST only (H-32).
        Method::DELETE if !modern_only => delete(st, headers, &who),
        Method::GET if st.faults.has(Fault::GetAnswersJson) => json_response(StatusCode::OK, &json!({})),
        Method::GET if st.faults.has(Fault::GetNotFound) => StatusCode::NOT_FOUND.into_response(),
        _ if modern_only => (StatusCode::METHOD_NOT_ALLOWED, [(ALLOW, "POST")]).into_response(),
        _ => (StatusCode::METHOD_NOT_ALLOWED, [(ALLOW, "POST, DELETE")]).into_response(),
    }
}

/// Step 4. Fault switches: `AcceptQueryToken` (GPT-16), `SessionAuthenticates` (RS-15).
async fn authenticate(st: &AppState, uri: &Uri, headers: &HeaderMap) -> Result<Principal, Response> {
    let credentials = auth::credentials(headers);
    let absent = credentials == Credentials::Absent;
    let token = match credentials {
        Credentials::Bearer(t) => Some(t),
        Credentials::Malformed(why) => return Err(challenge::bad_request(st, why)),
        Credentials::Absent | Credentials::OtherScheme => None,
    };
    let token = token.or_else(|| if st.faults.has(Fault::AcceptQueryToken) { query_token(uri) } else { None });
    let Some(token) = token else {
        if st.faults.has(Fault::SessionAuthenticates)
            && let Ok(Some(id)) = session_header(headers)
            && let Some(s) = st.sessions.lock().get(&id)
        {
            return Ok(s.principal.clone());
        }
        if st.config.mixed_auth && absent {
            // Anonymous, unless the request names a session an authenticated caller opened: that
            // session is theirs, and using it needs their token (RS-15). Credentials of another
            // scheme (`Basic …`) are an attempt to authenticate, answered with the Bearer challenge.
            let owned = session_header(headers)
                .ok()
                .flatten()
                .and_then(|id| st.sessions.lock().get(&id).map(|s| !s.principal.is_anonymous()))
                .unwrap_or(false);
            if !owned {
                return Ok(Principal::anonymous());
            }
        }
        return Err(challenge::unauthorized(st, Rejection::Missing));
    };
    // After an AS migration only the new authorization server's tokens are accepted.
    let migrated = st.migrated.lock().clone();
    let (issuer, jwks) = match &migrated {
        Some(a) => (a.issuer.as_str(), &a.jwks),
        None => (st.config.expected_issuer(), &st.jwks),
    };
    let rules = Rules { expected_issuer: issuer, resource: &st.resource, faults: &st.faults };
    auth::validate(&token, jwks, &rules, now())
        .await
        .map_err(|why| challenge::unauthorized(st, Rejection::Invalid(why)))
}

/// `?access_token=` (RFC 6750 §2.3) or `?token=`; read only under the `AcceptQueryToken` fault.
fn query_token(uri: &Uri) -> Option<String> {
    let q = uri.query()?;
    url::form_urlencoded::parse(q.as_bytes())
        .find(|(k, v)| (k == "access_token" || k == "token") && !v.is_empty())
        .map(|(_, v)| v.into_owned())
}

/// The `Mcp-Session-Id` header: `Ok(None)` when absent, `Err` when repeated or unreadable.
fn session_header(headers: &HeaderMap) -> Result<Option<String>, &'static str> {
    let mut all = headers.get_all(SESSION_HEADER).iter();
    let Some(v) = all.next() else { return Ok(None) };
    if all.next().is_some() {
        return Err("more than one Mcp-Session-Id header");
    }
    v.to_str().map(|s| Some(s.to_owned())).map_err(|_| "the Mcp-Session-Id header is not ASCII")
}

/// Step 6. Fault switch: `InvalidProtocolVersionAccepted` (H-16).
fn check_protocol_version(st: &AppState, headers: &HeaderMap) -> Result<(), Failure> {
    let mut all = headers.get_all(PROTOCOL_VERSION_HEADER).iter();
    let Some(v) = all.next() else { return Ok(()) };
    let ok = all.next().is_none() && v.to_str().is_ok_and(|v| SUPPORTED_PROTOCOL_VERSIONS.contains(&v));
    if ok || st.faults.has(Fault::InvalidProtocolVersionAccepted) {
        return Ok(());
    }
    let msg = format!("unsupported MCP-Protocol-Version; supported: {}", SUPPORTED_PROTOCOL_VERSIONS.join(", "));
    Err(Failure(StatusCode::BAD_REQUEST, mcp::INVALID_REQUEST, msg))
}

/// An HTTP error whose body is a JSON-RPC error without an id: status, code, message.
#[derive(Debug)]
struct Failure(StatusCode, i64, String);

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        json_response(self.0, &mcp::error_body(Value::Null, self.1, &self.2))
    }
}

fn rpc_failure(status: StatusCode, code: i64, message: &str) -> Response {
    Failure(status, code, message.to_owned()).into_response()
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    (status, [(CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

fn post(st: &AppState, headers: &HeaderMap, body: &[u8], who: &Principal) -> Response {
    if let Some(r) = era_route(st, headers, body, who) {
        return r;
    }
    if let Err(f) = check_protocol_version(st, headers) {
        return f.into_response();
    }
    let value: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => return rpc_failure(StatusCode::BAD_REQUEST, mcp::PARSE_ERROR, &format!("body is not JSON: {e}")),
    };
    let items = match value {
        // Fault switch: `AcceptBatch` (H-04).
        Value::Array(list) if st.faults.has(Fault::AcceptBatch) && !list.is_empty() => {
            list.into_iter().take(MAX_BATCH).collect::<Vec<_>>()
        }
        Value::Array(_) => {
            let msg = "JSON-RPC batches are not supported: send one message per POST";
            return rpc_failure(StatusCode::BAD_REQUEST, mcp::INVALID_REQUEST, msg);
        }
        single => return post_one(st, headers, &single, who),
    };
    post_batch(st, headers, &items, who)
}

fn post_one(st: &AppState, headers: &HeaderMap, value: &Value, who: &Principal) -> Response {
    let msg = match mcp::classify(value) {
        Ok(m) => m,
        Err(why) => return rpc_failure(StatusCode::BAD_REQUEST, mcp::INVALID_REQUEST, why),
    };
    let format = if msg.is_request() {
        match negotiate(st, headers) {
            Ok(f) => Some(f),
            Err(f) => return f.into_response(),
        }
    } else {
        None
    };
    match (process(st, headers, msg, who), format) {
        (Reply::Rpc { body, session }, Some(format)) => respond(format, &body, session.as_deref()),
        (Reply::Http(r), _) => r,
        _ => accepted(st),
    }
}

/// Only under the `AcceptBatch` fault: each message processed as if posted alone, the responses
/// returned as one array.
fn post_batch(st: &AppState, headers: &HeaderMap, items: &[Value], who: &Principal) -> Response {
    let mut msgs = Vec::with_capacity(items.len());
    for v in items {
        match mcp::classify(v) {
            Ok(m) => msgs.push(m),
            Err(why) => return rpc_failure(StatusCode::BAD_REQUEST, mcp::INVALID_REQUEST, why),
        }
    }
    let format = if msgs.iter().any(Message::is_request) {
        match negotiate(st, headers) {
            Ok(f) => Some(f),
            Err(f) => return f.into_response(),
        }
    } else {
        None
    };
    let mut out = Vec::new();
    let mut new_session = None;
    for m in msgs {
        match process(st, headers, m, who) {
            Reply::Rpc { body, session } => {
                out.push(body);
                new_session = new_session.or(session);
            }
            Reply::Http(r) => return r,
            Reply::Accepted => {}
        }
    }
    match format {
        Some(f) if !out.is_empty() => respond(f, &Value::Array(out), new_session.as_deref()),
        _ => accepted(st),
    }
}

/// Which era answers a POST whose body is one JSON object (junk and arrays keep the legacy
/// path's errors): a dual server sends 2026-07-28 requests to [`modern`] and the rest to the
/// legacy steps; a modern-only one refuses `initialize` naming its versions and validates
/// everything else as 2026-07-28; a legacy-only one does not know `server/discover`.
fn era_route(st: &AppState, headers: &HeaderMap, body: &[u8], who: &Principal) -> Option<Response> {
    let value: Value = serde_json::from_slice(body).ok().filter(Value::is_object)?;
    let method = value.get("method").and_then(Value::as_str);
    match st.config.era {
        Era::Legacy => (method == Some("server/discover")).then(|| modern::discover_unknown(&value)),
        Era::Dual => modern::is_modern(headers, &value).then(|| modern::post(st, headers, &value, who)),
        Era::Modern if method == Some("initialize") => Some(modern::refuse_legacy(st, &value)),
        Era::Modern => Some(modern::post(st, headers, &value, who)),
    }
}

enum Reply {
    /// A JSON-RPC response, and the new session id when it answers `initialize`.
    Rpc { body: Value, session: Option<String> },
    /// A notification or response was taken.
    Accepted,
    /// An HTTP-level answer (400/403/404).
    Http(Response),
}

fn process(st: &AppState, headers: &HeaderMap, msg: Message, who: &Principal) -> Reply {
    match msg {
        Message::Request { id, method, params } if method == "initialize" => initialize(st, id, &params, who),
        Message::Request { id, method, params } => {
            if let Err(f) = session_for(st, headers, who) {
                return Reply::Http(f.into_response());
            }
            match mcp::dispatch(&method, &params, who, &st.config) {
                Outcome::Result(r) => Reply::Rpc { body: mcp::result_body(id, r), session: None },
                Outcome::Error(code, m) => Reply::Rpc { body: mcp::error_body(id, code, &m), session: None },
                // Mixed authentication answers at the tool level (Apps SDK), everything else 403.
                Outcome::InsufficientScope { tool, scopes } if st.config.mixed_auth => Reply::Rpc {
                    body: mcp::result_body(id, challenge::tool_challenge(st, tool, &scopes, who.is_anonymous())),
                    session: None,
                },
                Outcome::InsufficientScope { tool, scopes } => Reply::Http(challenge::forbidden(st, tool, &scopes)),
            }
        }
        Message::Notification { method } => {
            let id = match session_for(st, headers, who) {
                Ok(id) => id,
                Err(f) => return Reply::Http(f.into_response()),
            };
            if method == "notifications/initialized"
                && let Some(id) = id
                && let Some(s) = st.sessions.lock().get_mut(&id)
            {
                s.initialized = true;
            }
            Reply::Accepted
        }
        Message::Response => match session_for(st, headers, who) {
            Ok(_) => Reply::Accepted,
            Err(f) => Reply::Http(f.into_response()),
        },
    }
}

/// `initialize`: a new session bound to the caller, whatever session header came with it.
fn initialize(st: &AppState, id: Value, params: &Value, who: &Principal) -> Reply {
    let (result, version) = match mcp::initialize(params, &st.faults) {
        Ok(r) => r,
        Err((code, m)) => return Reply::Rpc { body: mcp::error_body(id, code, &m), session: None },
    };
    let mut sessions = st.sessions.lock();
    let sid = sessions.new_id(&st.faults);
    sessions.insert(sid.clone(), Session { principal: who.clone(), protocol_version: version, initialized: false });
    Reply::Rpc { body: mcp::result_body(id, result), session: Some(sid) }
}

/// Step 9: the caller's live session. `Ok(None)` only under the `NoSessionRequired` fault (H-13).
fn session_for(st: &AppState, headers: &HeaderMap, who: &Principal) -> Result<Option<String>, Failure> {
    let id = match session_header(headers) {
        Ok(Some(id)) => id,
        Ok(None) if st.faults.has(Fault::NoSessionRequired) => return Ok(None),
        Ok(None) => {
            let msg = "Mcp-Session-Id header required (send initialize first)";
            return Err(Failure(StatusCode::BAD_REQUEST, mcp::INVALID_REQUEST, msg.into()));
        }
        Err(why) => return Err(Failure(StatusCode::BAD_REQUEST, mcp::INVALID_REQUEST, why.into())),
    };
    match st.sessions.lock().get(&id) {
        // Another user's session is reported exactly like an unknown one.
        Some(s) if s.principal.sub == who.sub => Ok(Some(id)),
        _ => Err(session_not_found()),
    }
}

fn session_not_found() -> Failure {
    Failure(StatusCode::NOT_FOUND, mcp::SESSION_NOT_FOUND, "session not found (terminated or unknown)".into())
}

/// DELETE ends the caller's session (H-15). Fault switch: `TerminatedSessionStillServed` (H-14).
fn delete(st: &AppState, headers: &HeaderMap, who: &Principal) -> Response {
    if let Err(f) = check_protocol_version(st, headers) {
        return f.into_response();
    }
    let id = match session_header(headers) {
        Ok(Some(id)) => id,
        Ok(None) => {
            return rpc_failure(StatusCode::BAD_REQUEST, mcp::INVALID_REQUEST, "Mcp-Session-Id header required");
        }
        Err(why) => return rpc_failure(StatusCode::BAD_REQUEST, mcp::INVALID_REQUEST, why),
    };
    let mut sessions = st.sessions.lock();
    match sessions.get(&id) {
        Some(_) if st.faults.has(Fault::DeleteFails) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        Some(s) if s.principal.sub == who.sub => {
            if !st.faults.has(Fault::TerminatedSessionStillServed) {
                sessions.remove(&id);
            }
            StatusCode::NO_CONTENT.into_response()
        }
        _ => session_not_found().into_response(),
    }
}

/// H-06: 202 Accepted, no body. Fault switch: `NotificationNot202`.
fn accepted(st: &AppState) -> Response {
    if st.faults.has(Fault::NotificationNot202) {
        return json_response(StatusCode::OK, &json!({ "accepted": true }));
    }
    StatusCode::ACCEPTED.into_response()
}

/// Step 8: JSON or SSE, as the client accepts and the server prefers. Fault switch:
/// `require_both_accept_types`, and the `AnswerIgnoresAccept` fault (H-05).
fn negotiate(st: &AppState, headers: &HeaderMap) -> Result<ResponseMode, Failure> {
    let accept = Accept::parse(headers);
    if st.config.require_both_accept_types && !(accept.lists_json && accept.lists_sse) {
        let msg = "Accept must list both application/json and text/event-stream";
        return Err(Failure(StatusCode::NOT_ACCEPTABLE, mcp::INVALID_REQUEST, msg.into()));
    }
    if st.faults.has(Fault::AnswerIgnoresAccept) {
        return Ok(st.config.response_mode);
    }
    let choice = match st.config.response_mode {
        ResponseMode::Json if accept.json => Some(ResponseMode::Json),
        ResponseMode::Sse if accept.sse => Some(ResponseMode::Sse),
        _ if accept.json => Some(ResponseMode::Json),
        _ if accept.sse => Some(ResponseMode::Sse),
        _ => None,
    };
    choice.ok_or_else(|| {
        let msg = "Accept allows neither application/json nor text/event-stream";
        Failure(StatusCode::NOT_ACCEPTABLE, mcp::INVALID_REQUEST, msg.into())
    })
}

/// What the `Accept` header allows (RFC 9110 §12.5.1; `q=0` excludes).
#[derive(Debug, Default, PartialEq, Eq)]
struct Accept {
    json: bool,
    sse: bool,
    /// Named explicitly (not through a wildcard).
    lists_json: bool,
    lists_sse: bool,
}

impl Accept {
    fn parse(headers: &HeaderMap) -> Accept {
        let values: Vec<&str> = headers.get_all(ACCEPT).iter().filter_map(|v| v.to_str().ok()).collect();
        if values.is_empty() {
            // No Accept: anything goes (RFC 9110 §12.5.1); JSON is the conservative answer.
            return Accept { json: true, ..Default::default() };
        }
        let mut a = Accept::default();
        for range in values.iter().flat_map(|v| v.split(',')).take(64) {
            let mut parts = range.split(';');
            let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let q_zero = parts.any(|p| {
                let p = p.trim();
                p.get(..2).is_some_and(|k| k.eq_ignore_ascii_case("q="))
                    && p.get(2..).and_then(|q| q.trim().parse::<f32>().ok()).is_some_and(|q| q <= 0.0)
            });
            if q_zero {
                continue;
            }
            match media.as_str() {
                "application/json" => (a.json, a.lists_json) = (true, true),
                "text/event-stream" => (a.sse, a.lists_sse) = (true, true),
                "application/*" => a.json = true,
                "text/*" => a.sse = true,
                "*/*" => (a.json, a.sse) = (true, true),
                _ => {}
            }
        }
        a
    }
}

/// A JSON-RPC response as `application/json`, or as an SSE stream with one `message` event
/// (Streamable HTTP §Sending Messages to the Server).
fn respond(format: ResponseMode, body: &Value, session: Option<&str>) -> Response {
    let mut r = match format {
        ResponseMode::Json => json_response(StatusCode::OK, body),
        ResponseMode::Sse => {
            // serde_json never emits a raw newline, so one `data:` line holds the whole message.
            let event = format!("event: message\ndata: {body}\n\n");
            (StatusCode::OK, [(CONTENT_TYPE, "text/event-stream"), (CACHE_CONTROL, "no-cache")], event).into_response()
        }
    };
    if let Some(id) = session
        && let Ok(v) = HeaderValue::from_str(id)
    {
        r.headers_mut().insert(HeaderName::from_static(SESSION_HEADER), v);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(values: &[&str]) -> Accept {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(ACCEPT, HeaderValue::from_str(v).unwrap());
        }
        Accept::parse(&h)
    }

    #[test]
    fn accept_header_forms() {
        assert_eq!(accept(&[]), Accept { json: true, ..Default::default() });
        assert_eq!(accept(&["text/event-stream"]), Accept { sse: true, lists_sse: true, ..Default::default() });
        let both = accept(&["application/json, text/event-stream"]);
        assert!(both.json && both.sse && both.lists_json && both.lists_sse);
        assert_eq!(accept(&["application/json", "text/event-stream"]), both);
        let star = accept(&["*/*"]);
        assert!(star.json && star.sse && !star.lists_json);
        assert!(accept(&["Application/JSON; charset=utf-8"]).json);
        assert_eq!(accept(&["text/html"]), Accept::default());
        assert_eq!(accept(&["application/json;q=0, text/event-stream; Q=0.0"]), Accept::default());
        assert!(accept(&["application/json;q=0.5"]).json);
        assert!(accept(&["text/*"]).sse && accept(&["application/*"]).json);
    }

    #[test]
    fn query_tokens_are_found_only_by_name() {
        let u = |s: &str| s.parse::<Uri>().unwrap();
        assert_eq!(query_token(&u("/mcp?access_token=abc")).as_deref(), Some("abc"));
        assert_eq!(query_token(&u("/mcp?x=1&token=t%2B1")).as_deref(), Some("t+1"));
        assert_eq!(query_token(&u("/mcp?tokens=1")), None);
        assert_eq!(query_token(&u("/mcp")), None);
    }

    #[test]
    fn sse_responses_are_one_message_event() {
        let r = respond(ResponseMode::Sse, &json!({"a": "x\ny"}), Some("sid"));
        assert_eq!(r.headers()[CONTENT_TYPE], "text/event-stream");
        assert_eq!(r.headers()[SESSION_HEADER], "sid");
    }
}
