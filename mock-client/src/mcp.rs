//! MCP over Streamable HTTP, as far as a connector needs it: POST one JSON-RPC message, read a
//! JSON or SSE answer, keep `Mcp-Session-Id` and `MCP-Protocol-Version`.

use serde_json::{Value, json};

use crate::challenge::{self, Challenge};
use crate::ctx::Ctx;
use crate::http::{Req, Resp};
use crate::outcome::Failure;
use crate::transcript::{ExchangeKind, Phase, SecretKind};

/// What one JSON-RPC exchange gave back.
#[derive(Debug, Clone)]
pub struct RpcReply {
    /// HTTP status.
    pub status: u16,
    /// The JSON-RPC response with the request's id, if one came.
    pub message: Option<Value>,
    /// The Bearer challenge on a 401/403.
    pub challenge: Option<Challenge>,
    /// `Mcp-Session-Id` of the response.
    pub session_id: Option<String>,
    /// Transcript entry.
    pub seq: u32,
    /// Why no message could be read, if so.
    pub problem: Option<String>,
    /// The JSON-RPC `error` of a non-2xx answer whose body is one (the modern path decides its
    /// fallback by its code).
    pub error: Option<Value>,
}

/// Session state sent along.
#[derive(Debug, Clone, Default)]
pub struct Wire {
    /// Access token, sent as Bearer (or in the query in `query_token` mode).
    pub token: Option<String>,
    /// Put the token in `?token=` instead of the header.
    pub token_in_query: bool,
    /// The session id.
    pub session_id: Option<String>,
    /// The negotiated version.
    pub protocol_version: Option<String>,
    /// The 2026-07-28 path's per-request fields, while on it.
    pub modern: Option<ModernWire>,
}

/// What every request on the 2026-07-28 path carries (streamable-http §Request Metadata,
/// basic §Per-request protocol fields).
#[derive(Debug, Clone)]
pub struct ModernWire {
    /// `MCP-Protocol-Version` and `_meta` protocolVersion.
    pub version: String,
    /// Whether `Mcp-Method` is sent.
    pub method_header: bool,
    /// Whether `Mcp-Name` is sent on the named methods.
    pub name_header: bool,
    /// The `_meta` object merged into every request's params.
    pub meta: Value,
}

impl ModernWire {
    /// `body` with the `_meta` fields merged into its params (created when absent).
    pub fn stamp(&self, mut body: Value) -> Value {
        if body.get("params").is_none_or(|p| !p.is_object()) {
            body["params"] = json!({});
        }
        let params = &mut body["params"];
        if params.get("_meta").is_none_or(|m| !m.is_object()) {
            params["_meta"] = json!({});
        }
        if let (Some(m), Some(add)) = (params["_meta"].as_object_mut(), self.meta.as_object()) {
            for (k, v) in add {
                m.insert(k.clone(), v.clone());
            }
        }
        body
    }
}

/// A header value as C-38 wants it: as is when it is visible ASCII without leading or trailing
/// space, else `=?base64?…?=` of its UTF-8.
fn header_safe(v: &str) -> String {
    let plain = !v.is_empty() && v.bytes().all(|b| (0x20..0x7f).contains(&b)) && v.trim() == v;
    if plain {
        v.to_owned()
    } else {
        use base64::Engine;
        format!(
            "{}{}{}",
            mcp_wire::meta::BASE64_SENTINEL_PREFIX,
            base64::engine::general_purpose::STANDARD.encode(v.as_bytes()),
            mcp_wire::meta::BASE64_SENTINEL_SUFFIX
        )
    }
}

/// The request for `initialize`.
pub(crate) fn initialize_body(ctx: &Ctx<'_>, id: u64) -> Value {
    let m = &ctx.profile.mcp;
    mcp_wire::jsonrpc::initialize(id, &m.protocol_version.value, &m.capabilities.value, &m.client_info.value)
}

/// Builds a POST with the profile's headers.
pub(crate) fn post(ctx: &Ctx<'_>, wire: &Wire, body: &Value, label: &str) -> Req {
    let p = ctx.profile;
    let mut url = ctx.mcp_url.clone();
    if wire.token_in_query
        && let Some(t) = &wire.token
    {
        url.query_pairs_mut().append_pair("token", t);
    }
    let method = body.get("method").and_then(Value::as_str).unwrap_or_default();
    let mut req = Req::new(reqwest::Method::POST, url.as_str(), label)
        .kind(ExchangeKind::mcp(method))
        .header("User-Agent", &p.user_agent_mcp.value)
        .header("Accept", &p.mcp.accept.value);
    if !wire.token_in_query
        && let Some(t) = &wire.token
    {
        req = req.header("Authorization", format!("Bearer {t}"));
    }
    if let Some(s) = &wire.session_id {
        req = req.header("Mcp-Session-Id", s);
    }
    if let Some(m) = &wire.modern {
        req = req.header(mcp_wire::headers::MCP_PROTOCOL_VERSION, &m.version);
        if m.method_header && !method.is_empty() {
            req = req.header(mcp_wire::headers::MCP_METHOD, method);
        }
        if m.name_header
            && let Some((_, field)) = mcp_wire::meta::NAMED_METHODS.iter().find(|(n, _)| *n == method)
            && let Some(name) = body.pointer(&format!("/params/{field}")).and_then(Value::as_str)
        {
            req = req.header(mcp_wire::headers::MCP_NAME, header_safe(name));
        }
    } else if p.mcp.send_protocol_version_header.value
        && let Some(v) = &wire.protocol_version
    {
        req = req.header("MCP-Protocol-Version", v);
    }
    for (k, v) in p.mcp.extra_headers.as_ref().map(|f| f.value.clone()).unwrap_or_default() {
        req = req.header(k, v);
    }
    req.json(body)
}

/// Reads the JSON-RPC response with `id` out of a JSON or SSE body.
pub(crate) fn read(r: &Resp, id: Option<u64>) -> (Option<Value>, Option<String>) {
    let ct = r.header("content-type").unwrap_or("").to_ascii_lowercase();
    let text = r.text();
    let messages: Result<Vec<Value>, String> = if crate::sse::is_event_stream(&ct) {
        crate::sse::json_messages(&text)
    } else if text.trim().is_empty() {
        Ok(vec![])
    } else {
        serde_json::from_str::<Value>(&text)
            .map(|v| vec![v])
            .map_err(|e| format!("the body is not JSON: {e}{}", crate::transcript::cut_note(r.truncated)))
    };
    match messages {
        Err(e) => (None, Some(e)),
        Ok(ms) => {
            let found = ms.into_iter().find(|m| id.is_none_or(|i| m.get("id") == Some(&json!(i))));
            let problem = found.is_none().then(|| {
                format!(
                    "no JSON-RPC response with id {id:?} in a {} body",
                    if ct.is_empty() { "typeless" } else { &ct }
                )
            });
            (found, problem)
        }
    }
}

/// One JSON-RPC message.
pub(crate) async fn rpc(
    ctx: &Ctx<'_>,
    phase: Phase,
    wire: &Wire,
    body: Value,
    label: &str,
) -> Result<RpcReply, Failure> {
    let id = body.get("id").and_then(Value::as_u64);
    let r = ctx.send(phase, post(ctx, wire, &body, label)).await?;
    let challenge = r.headers_named("www-authenticate").find_map(challenge::bearer);
    let session_id = r.header("mcp-session-id").map(str::to_owned);
    if let Some(s) = &session_id {
        ctx.rec.secret(SecretKind::SessionId, s);
    }
    let string_id = body.get("id").is_some_and(Value::is_string);
    let (message, problem) =
        if (200..300).contains(&r.status) && (id.is_some() || string_id) { read(&r, id) } else { (None, None) };
    let error = (r.status >= 400).then(|| r.json()).flatten().and_then(|v| v.get("error").cloned());
    Ok(RpcReply { status: r.status, message, challenge, session_id, seq: r.seq, problem, error })
}

/// An `initialize` POST with the profile's version and client info (no session yet).
pub(crate) fn initialize_req(ctx: &Ctx<'_>, token: Option<&str>, label: &str) -> Req {
    let wire = Wire { token: token.map(str::to_owned), ..Default::default() };
    post(ctx, &wire, &initialize_body(ctx, 0), label)
}
