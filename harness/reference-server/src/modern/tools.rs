//! What the 2026-07-28 path serves: the configured tools (through [`crate::mcp`]'s dispatch, so
//! both eras run the same tool code), plus tools and a resource that exist to exercise rules only
//! 2026-07-28 has — a per-user resource (RS-27), a state-handle pair (RS-25/RS-26), a tool needing
//! two scopes (RS-22), one needing a client capability (H-34), one with an `x-mcp-header`
//! parameter (H-27) — and the scope hierarchy (RS-24).

use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use super::{Answer, ModernFault, Refusal, has, header, header_value};
use crate::auth::Principal;
use crate::challenge;
use crate::mcp::{self, Outcome};
use crate::state::AppState;
use mcp_wire::errors::{INVALID_PARAMS, MISSING_REQUIRED_CLIENT_CAPABILITY, RESOURCE_NOT_FOUND_2025};
use mcp_wire::headers::MCP_PARAM_PREFIX;
use mcp_wire::meta;

/// The parent scope: a token holding it holds every `mcp:*` scope (RS-24).
pub const PARENT_SCOPE: &str = "mcp";
/// The caller's own notes: the same URI answers differently per user (RS-27).
pub const NOTES_URI: &str = "notes://me";

/// The 2026-07-28-only tools: name, scopes needed, description.
const EXTRA_TOOLS: [(&str, &[&str], &str); 5] = [
    ("run_query", &["mcp:read"], "Runs a query in a region; the region travels in the Mcp-Param-Region header too."),
    ("publish_note", &["mcp:read", "mcp:write"], "Publishes a note: needs both mcp:read and mcp:write."),
    ("open_cursor", &["mcp:read"], "Opens a cursor over the caller's notes and returns its state handle."),
    ("read_cursor", &["mcp:read"], "Reads the notes behind a state handle from open_cursor (its owner only)."),
    (CONFIRM_TOOL, &["mcp:read"], "Asks the user to confirm: needs the elicitation client capability."),
];

/// The tool that needs the elicitation client capability (H-34, H-29).
pub const CONFIRM_TOOL: &str = "confirm_action";

/// The `x-mcp-header` name of `run_query`'s `region`: sent as `Mcp-Param-Region`.
pub const REGION_HEADER_NAME: &str = "Region";

/// H-27: a recognised `Mcp-Param-*` header must match its argument (after base64 decoding), and
/// must be there when the argument is; absent argument, no header expected. Fault switch:
/// `ParamHeaderIgnored`.
fn param_headers(st: &AppState, headers: &HeaderMap, args: &Value) -> Result<(), Refusal> {
    if has(st, ModernFault::ParamHeaderIgnored) {
        return Ok(());
    }
    let name = format!("{MCP_PARAM_PREFIX}{REGION_HEADER_NAME}");
    let Some(body) = args.get("region").filter(|v| !v.is_null()) else { return Ok(()) };
    let body = body.as_str().map(str::to_owned).unwrap_or_else(|| body.to_string());
    let Some(raw) = header(headers, &name) else {
        return Err(Refusal::mismatch(format!("required header {name} is missing or malformed")));
    };
    let sent = header_value(st, &raw).map_err(Refusal::mismatch)?;
    if sent != body {
        return Err(Refusal::mismatch(format!(
            "Header mismatch: {name} header value '{}' does not match body value '{}'",
            mcp::short(&sent),
            mcp::short(&body)
        )));
    }
    Ok(())
}

/// The caller with the scope hierarchy applied. Fault switch: `ScopeHierarchyIgnored`.
fn effective(st: &AppState, who: &Principal) -> Principal {
    let mut p = who.clone();
    if p.scopes.iter().any(|s| s == PARENT_SCOPE) && !has(st, ModernFault::ScopeHierarchyIgnored) {
        let implied = st.config.scopes_supported.iter().filter(|s| s.starts_with("mcp:")).cloned();
        let mut all: Vec<String> = p.scopes.iter().cloned().chain(implied).collect();
        all.extend(["mcp:read".to_owned(), "mcp:write".to_owned()]);
        all.dedup();
        p.scopes = all;
    }
    p
}

/// `tools/list`: the configured tools, then the 2026-07-28 ones, always in this order.
/// Fault switch: `ToolOrderVaries` (H-44) rotates the list by one per call.
pub(super) fn list(st: &AppState) -> Value {
    let mut tools = mcp::tool_list(&st.config);
    tools.extend(EXTRA_TOOLS.iter().map(|(name, scopes, description)| {
        let schemes = json!([{ "type": "oauth2", "scopes": scopes }]);
        let schema = match *name {
            "read_cursor" => json!({ "type": "object", "properties": { "handle": { "type": "string" } }, "required": ["handle"] }),
            "run_query" => json!({ "type": "object", "properties": {
                "region": { "type": "string", "x-mcp-header": REGION_HEADER_NAME },
                "query": { "type": "string" }
            }, "required": ["region", "query"] }),
            _ => json!({ "type": "object", "properties": {} }),
        };
        let mut tool = json!({ "name": name, "description": description, "inputSchema": schema, "securitySchemes": schemes, "_meta": { "securitySchemes": schemes } });
        if *name == "open_cursor" {
            // The handle's schema: how a client (and the `modern_auth` probe) pairs the tool that
            // mints a state handle with the one taking it (`read_cursor`'s required `handle`).
            tool["outputSchema"] = json!({ "type": "object", "properties": { "handle": { "type": "string" } }, "required": ["handle"] });
        }
        tool
    }));
    if has(st, ModernFault::ToolOrderVaries) && !tools.is_empty() {
        let n = st.list_calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed) as usize % tools.len();
        tools.rotate_left(n);
    }
    json!({ "tools": tools })
}

/// `tools/call`.
pub(super) fn call(st: &AppState, headers: &HeaderMap, params: &Value, who: &Principal) -> Result<Answer, Refusal> {
    let who = effective(st, who);
    let name = params.get("name").and_then(Value::as_str).unwrap_or_default();
    let Some((name, scopes, _)) = EXTRA_TOOLS.iter().find(|(n, _, _)| *n == name) else {
        return Ok(match mcp::dispatch("tools/call", params, &who, &st.config) {
            Outcome::Result(r) => Answer::Result(r),
            Outcome::Error(code, m) => return Err(Refusal::new(StatusCode::OK, code, m)),
            Outcome::InsufficientScope { tool, scopes } => Answer::Http(challenge::forbidden(st, tool, &scopes)),
        });
    };
    let needed: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
    if !who.has_all(&needed) {
        // RS-22: every scope the operation needs in one challenge. Fault: the first missing only.
        let named = if has(st, ModernFault::OneScopeAtATime) {
            needed.iter().filter(|s| !who.scopes.contains(s)).take(1).cloned().collect()
        } else {
            needed
        };
        return Ok(Answer::Http(challenge::forbidden(st, name, &named)));
    }
    let args = params.get("arguments").cloned().unwrap_or_else(|| json!({}));
    let text = |t: String, data: Value| {
        Answer::Result(
            json!({ "content": [{ "type": "text", "text": t }], "structuredContent": data, "isError": false }),
        )
    };
    Ok(match *name {
        "run_query" => {
            param_headers(st, headers, &args)?;
            text("0 rows".into(), json!({ "rows": [] }))
        }
        "publish_note" => text("published".into(), json!({ "published": true })),
        "open_cursor" => {
            let handle = st.handles.lock().mint(&who.sub, has(st, ModernFault::PredictableHandles));
            text(format!("cursor {handle}"), json!({ "handle": handle }))
        }
        "read_cursor" => {
            let handle = args.get("handle").and_then(Value::as_str).unwrap_or_default();
            let owner = st.handles.lock().owner(handle).map(str::to_owned);
            // RS-25: the handle is not authentication; only its owner may use it, and another
            // user's handle is reported exactly like an unknown one.
            let usable = owner.as_deref().is_some_and(|o| o == who.sub || has(st, ModernFault::HandleActsAsOwner));
            match owner {
                Some(owner) if usable => text(notes_of(&owner), json!({ "owner": owner, "notes": notes_of(&owner) })),
                _ => return Err(Refusal::new(StatusCode::OK, INVALID_PARAMS, "unknown or expired handle")),
            }
        }
        _ => {
            let declared = params
                .pointer("/_meta")
                .and_then(|m| m.get(meta::CLIENT_CAPABILITIES))
                .and_then(|c| c.get("elicitation"))
                .is_some();
            if !declared && !has(st, ModernFault::MissingCapabilityIgnored) {
                return Err(Refusal::new(
                    StatusCode::BAD_REQUEST,
                    MISSING_REQUIRED_CLIENT_CAPABILITY,
                    "Server requires the elicitation capability for this request",
                )
                .with_data(json!({ "requiredCapabilities": { "elicitation": {} } })));
            }
            text("confirmed".into(), json!({ "confirmed": true }))
        }
    })
}

/// The notes of `sub`: what differs between users.
fn notes_of(sub: &str) -> String {
    format!("notes of {}", mcp::short(sub))
}

/// `resources/list`: the same for everyone.
pub(super) fn resources() -> Value {
    json!({ "resources": [{ "uri": NOTES_URI, "name": "my-notes", "title": "My notes", "mimeType": "text/plain" }] })
}

/// `resources/read`: the result and its cache scope — `private`, since it is the caller's own
/// (RS-27; fault `PrivateResultMarkedPublic`). An unknown URI is -32602 (H-39; fault
/// `ResourceNotFoundAs32002`).
pub(super) fn read_resource(st: &AppState, params: &Value, who: &Principal) -> Result<(Value, &'static str), Refusal> {
    let uri = params.get("uri").and_then(Value::as_str).unwrap_or_default();
    if uri != NOTES_URI {
        let code = if has(st, ModernFault::ResourceNotFoundAs32002) { RESOURCE_NOT_FOUND_2025 } else { INVALID_PARAMS };
        return Err(Refusal::new(StatusCode::OK, code, format!("Resource not found: `{}`", mcp::short(uri)))
            .with_data(json!({ "uri": mcp::short(uri) })));
    }
    let scope = if has(st, ModernFault::PrivateResultMarkedPublic) { "public" } else { "private" };
    let contents = json!({ "contents": [{ "uri": NOTES_URI, "mimeType": "text/plain", "text": notes_of(&who.sub) }] });
    Ok((contents, scope))
}
