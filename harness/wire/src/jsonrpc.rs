//! The JSON-RPC request bodies a client of MCP sends, built in one place so the handshake of each
//! revision is written once. Keys come in the order the transcripts and snapshots show them
//! (`jsonrpc`, `id`, `method`, `params`).

use serde_json::{Value, json};

use crate::SpecVersion;

/// The `initialize` request for `version` (free text: a profile or a test may name a revision the
/// harness does not know; [`SpecVersion::as_str`] for the known ones).
pub fn initialize(id: u64, version: &str, capabilities: &Value, client_info: &Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "initialize", "params": {
        "protocolVersion": version,
        "capabilities": capabilities,
        "clientInfo": client_info,
    }})
}

/// The `initialize` request of a known revision with no capabilities: what the harness's own
/// probes send.
pub fn initialize_as(id: u64, version: SpecVersion, client_info: &Value) -> Value {
    initialize(id, version.as_str(), &json!({}), client_info)
}

/// The `notifications/initialized` notification that completes the handshake.
pub fn initialized() -> Value {
    json!({"jsonrpc": "2.0", "method": "notifications/initialized"})
}

/// A request: `params` only when given.
pub fn request(id: u64, method: &str, params: Option<Value>) -> Value {
    let mut b = json!({"jsonrpc": "2.0", "id": id, "method": method});
    if let Some(p) = params {
        b["params"] = p;
    }
    b
}

/// `tools/list` without a cursor.
pub fn tools_list(id: u64) -> Value {
    request(id, "tools/list", None)
}

/// `tools/call` of `name` with `arguments`.
pub fn tools_call(id: u64, name: &str, arguments: Value) -> Value {
    request(id, "tools/call", Some(json!({"name": name, "arguments": arguments})))
}

/// The JSON-RPC messages of a response body: a JSON object or array, or the `message` events of an
/// SSE stream (empty when neither parses).
pub fn messages(content_type: Option<&str>, body: &str) -> Vec<Value> {
    if content_type.is_some_and(crate::sse::is_event_stream) {
        return crate::sse::json_messages(body).unwrap_or_default();
    }
    match serde_json::from_str::<Value>(body) {
        Ok(Value::Array(a)) => a,
        Ok(v @ Value::Object(_)) => vec![v],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_carry_the_version_and_keep_the_key_order_snapshots_show() {
        let b = initialize_as(1, SpecVersion::V2025_06_18, &json!({"name": "h", "version": "0"}));
        assert_eq!(
            b.to_string(),
            r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"h","version":"0"}}}"#
        );
        assert_eq!(initialized().to_string(), r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#);
        assert_eq!(tools_list(3).to_string(), r#"{"jsonrpc":"2.0","id":3,"method":"tools/list"}"#);
        assert_eq!(
            tools_call(2, "t", json!({"x": 1})).to_string(),
            r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"t","arguments":{"x":1}}}"#
        );
    }
}
