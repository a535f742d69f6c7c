//! JSON-RPC 2.0 messages and the MCP methods the reference server implements: `initialize`,
//! `ping`, `tools/list`, `tools/call`, `resources/list`, `prompts/list`.
//!
//! Pure functions of the message and the caller: no HTTP here. The transport decides statuses;
//! this module only says "result", "JSON-RPC error" or "insufficient scope" (which the transport
//! turns into a 403 challenge, MCP 2025-11-25 §Scope Challenge Handling).

use serde_json::{Value, json};

use super::auth::Principal;
use super::config::{ReferenceConfig, SUPPORTED_PROTOCOL_VERSIONS, Tool};
use super::faults::{Fault, Faults};

/// JSON-RPC 2.0 §5.1 error codes.
pub(crate) const PARSE_ERROR: i64 = -32700;
pub(crate) const INVALID_REQUEST: i64 = -32600;
pub(crate) const METHOD_NOT_FOUND: i64 = -32601;
pub(crate) const INVALID_PARAMS: i64 = -32602;
/// Implementation-defined server error used for unknown sessions (as the TypeScript and Python
/// SDKs do).
pub(crate) const SESSION_NOT_FOUND: i64 = -32001;

/// The server's name in `serverInfo`.
pub const SERVER_NAME: &str = "connector-harness-reference";

/// One incoming JSON-RPC message.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Message {
    /// Has `id` and `method`: needs a response.
    Request { id: Value, method: String, params: Value },
    /// Has `method`, no `id`.
    Notification { method: String },
    /// A response to a server-initiated request (`result` or `error` with `id`).
    Response,
}

impl Message {
    pub(crate) fn is_request(&self) -> bool {
        matches!(self, Message::Request { .. })
    }
}

/// Reads one JSON-RPC 2.0 message; `Err` is why it is not one.
pub(crate) fn classify(v: &Value) -> Result<Message, &'static str> {
    let Some(o) = v.as_object() else { return Err("a JSON-RPC message must be a JSON object") };
    if o.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err("`jsonrpc` must be \"2.0\"");
    }
    if let Some(m) = o.get("method") {
        let Some(method) = m.as_str() else { return Err("`method` must be a string") };
        let params = match o.get("params") {
            None => Value::Object(Default::default()),
            Some(p @ Value::Object(_)) => p.clone(),
            Some(_) => return Err("`params` must be an object"),
        };
        return match o.get("id") {
            None => Ok(Message::Notification { method: method.to_owned() }),
            // MCP: "Requests MUST include a string or integer ID", and it "MUST NOT be null".
            Some(id @ Value::String(_)) => Ok(Message::Request { id: id.clone(), method: method.into(), params }),
            Some(id @ Value::Number(n)) if n.is_i64() || n.is_u64() => {
                Ok(Message::Request { id: id.clone(), method: method.into(), params })
            }
            Some(_) => Err("`id` must be a string or an integer"),
        };
    }
    if o.contains_key("id") && (o.contains_key("result") || o.contains_key("error")) {
        return Ok(Message::Response);
    }
    Err("neither a request, a notification nor a response")
}

/// A JSON-RPC success response.
pub(crate) fn result_body(id: Value, result: Value) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "result": result })
}

/// A JSON-RPC error response (`id` null when the request's id is unknown).
pub(crate) fn error_body(id: Value, code: i64, message: &str) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "error": { "code": code, "message": message } })
}

/// What a method call comes to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Outcome {
    Result(Value),
    Error(i64, String),
    /// The caller's token lacks scopes the tool needs.
    InsufficientScope {
        tool: &'static str,
        scopes: Vec<String>,
    },
}

/// The version to answer `initialize` with: the client's if supported, else the latest
/// (MCP lifecycle §Version Negotiation; H-17). Fault switch: `EchoUnsupportedProtocolVersion`.
pub(crate) fn negotiate_version(requested: &str, faults: &Faults) -> String {
    if SUPPORTED_PROTOCOL_VERSIONS.contains(&requested) || faults.has(Fault::EchoUnsupportedProtocolVersion) {
        requested.to_owned()
    } else {
        SUPPORTED_PROTOCOL_VERSIONS[SUPPORTED_PROTOCOL_VERSIONS.len() - 1].to_owned()
    }
}

/// The `initialize` result and the negotiated version.
pub(crate) fn initialize(params: &Value, faults: &Faults) -> Result<(Value, String), (i64, String)> {
    let Some(requested) = params.get("protocolVersion").and_then(Value::as_str) else {
        return Err((INVALID_PARAMS, "initialize needs params.protocolVersion (a string)".into()));
    };
    let version = negotiate_version(requested, faults);
    let result = json!({
        "protocolVersion": version,
        "capabilities": { "tools": {}, "resources": {}, "prompts": {} },
        "serverInfo": { "name": SERVER_NAME, "version": env!("CARGO_PKG_VERSION") },
        "instructions": "Reference MCP server of connector-harness: tools whoami, echo and write_note.",
    });
    Ok((result, version))
}

/// Every method except `initialize` (which the transport handles, since it creates a session).
pub(crate) fn dispatch(method: &str, params: &Value, who: &Principal, config: &ReferenceConfig) -> Outcome {
    match method {
        "ping" => Outcome::Result(json!({})),
        "tools/list" => Outcome::Result(json!({ "tools": tool_list(config) })),
        "tools/call" => call_tool(params, who, config),
        "resources/list" => Outcome::Result(json!({ "resources": [] })),
        "prompts/list" => Outcome::Result(json!({ "prompts": [] })),
        "initialize" => Outcome::Error(INVALID_REQUEST, "initialize is only valid without a session".into()),
        other => Outcome::Error(METHOD_NOT_FOUND, format!("method `{}` is not supported", short(other))),
    }
}

/// The `tools/list` entries. Each carries `securitySchemes` and its `_meta.securitySchemes` mirror,
/// as the OpenAI Apps SDK describes per-tool auth: `oauth2` with the tool's scopes, and under
/// `mixed_auth` a tool needing no scope also `noauth` first (seed 002's "mixed" pattern).
pub(crate) fn tool_list(config: &ReferenceConfig) -> Vec<Value> {
    config
        .offered_tools()
        .iter()
        .map(|t| {
            let schemes = if config.mixed_auth && t.scopes.is_empty() {
                json!([{ "type": "noauth" }, { "type": "oauth2", "scopes": t.scopes }])
            } else {
                json!([{ "type": "oauth2", "scopes": t.scopes }])
            };
            let (title, description, schema, read_only) = match t.tool {
                Tool::Whoami => (
                    "Who am I",
                    "Returns the subject, client id and scopes of the access token used for this call.",
                    json!({ "type": "object", "properties": {}, "additionalProperties": false }),
                    true,
                ),
                Tool::Echo => ("Echo", "Returns its `text` argument.", text_schema(), true),
                Tool::WriteNote => {
                    ("Write a note", "Accepts a note (nothing is stored) and answers ok.", text_schema(), false)
                }
                Tool::Search => (
                    "Search",
                    "Searches the public catalogue; signed-in callers also get their own items.",
                    json!({ "type": "object", "properties": { "query": { "type": "string" } }, "required": ["query"] }),
                    true,
                ),
            };
            json!({
                "name": t.tool.name(),
                "title": title,
                "description": description,
                "inputSchema": schema,
                "annotations": { "readOnlyHint": read_only },
                "securitySchemes": schemes,
                "_meta": { "securitySchemes": schemes },
            })
        })
        .collect()
}

fn text_schema() -> Value {
    json!({ "type": "object", "properties": { "text": { "type": "string" } }, "required": ["text"] })
}

fn call_tool(params: &Value, who: &Principal, config: &ReferenceConfig) -> Outcome {
    let Some(name) = params.get("name").and_then(Value::as_str) else {
        return Outcome::Error(INVALID_PARAMS, "tools/call needs params.name".into());
    };
    let tools = config.offered_tools();
    let Some(spec) = tools.iter().find(|t| t.tool.name() == name) else {
        return Outcome::Error(INVALID_PARAMS, format!("unknown tool `{}`", short(name)));
    };
    // Authorization before anything else about the call.
    if !who.has_all(&spec.scopes) {
        return Outcome::InsufficientScope { tool: spec.tool.name(), scopes: spec.scopes.clone() };
    }
    let args = params.get("arguments").cloned().unwrap_or_else(|| json!({}));
    let text_arg = || args.get("text").and_then(Value::as_str).map(str::to_owned);
    match spec.tool {
        Tool::Whoami => {
            let who = json!({ "sub": who.sub, "client_id": who.client_id, "scopes": who.scopes });
            Outcome::Result(tool_result(&who.to_string(), Some(who.clone()), false))
        }
        // MCP 2025-11-25: argument validation failures are tool execution errors (isError), so the
        // model can correct itself, not protocol errors.
        Tool::Echo => match text_arg() {
            Some(t) => Outcome::Result(tool_result(&t, Some(json!({ "text": t })), false)),
            None => Outcome::Result(tool_result("echo needs a string argument `text`", None, true)),
        },
        Tool::WriteNote => match text_arg() {
            Some(_) => Outcome::Result(tool_result("ok", Some(json!({ "ok": true })), false)),
            None => Outcome::Result(tool_result("write_note needs a string argument `text`", None, true)),
        },
        // Seed 002's handleSearch: public results for everyone, personal ones with a token.
        Tool::Search => {
            let query = args.get("query").and_then(Value::as_str).map(short).unwrap_or_default();
            let mut results = vec![json!({ "title": format!("Public result for `{query}`"), "public": true })];
            if !who.is_anonymous() {
                results
                    .push(json!({ "title": format!("{}'s result for `{query}`", short(&who.sub)), "public": false }));
            }
            let text = format!("Found {} results", results.len());
            let structured = json!({ "results": results, "authenticated": !who.is_anonymous() });
            Outcome::Result(tool_result(&text, Some(structured), false))
        }
    }
}

fn tool_result(text: &str, structured: Option<Value>, is_error: bool) -> Value {
    let mut r = json!({ "content": [{ "type": "text", "text": text }], "isError": is_error });
    if let Some(s) = structured {
        r["structuredContent"] = s;
    }
    r
}

/// A client-supplied name echoed in an error, cut short.
pub(crate) fn short(s: &str) -> String {
    s.chars().take(100).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice(scopes: &[&str]) -> Principal {
        Principal {
            sub: "alice".into(),
            client_id: Some("c1".into()),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn config() -> ReferenceConfig {
        ReferenceConfig::new("http://idp", "http://idp/jwks")
    }

    #[test]
    fn messages_are_classified() {
        let req = classify(&json!({"jsonrpc": "2.0", "id": 1, "method": "ping"})).unwrap();
        assert_eq!(req, Message::Request { id: json!(1), method: "ping".into(), params: json!({}) });
        assert!(req.is_request());
        assert_eq!(
            classify(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"})).unwrap(),
            Message::Notification { method: "notifications/initialized".into() }
        );
        assert_eq!(classify(&json!({"jsonrpc": "2.0", "id": "a", "result": {}})).unwrap(), Message::Response);
        for bad in [
            json!([]),
            json!({"id": 1, "method": "ping"}),
            json!({"jsonrpc": "1.0", "id": 1, "method": "ping"}),
            json!({"jsonrpc": "2.0", "id": null, "method": "ping"}),
            json!({"jsonrpc": "2.0", "id": 1.5, "method": "ping"}),
            json!({"jsonrpc": "2.0", "id": 1, "method": 7}),
            json!({"jsonrpc": "2.0", "id": 1, "method": "ping", "params": [1]}),
            json!({"jsonrpc": "2.0"}),
        ] {
            assert!(classify(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn version_negotiation_echoes_supported_versions_and_falls_back_to_the_latest() {
        let f = Faults::default();
        assert_eq!(negotiate_version("2025-03-26", &f), "2025-03-26");
        assert_eq!(negotiate_version("2025-06-18", &f), "2025-06-18");
        assert_eq!(negotiate_version("2099-01-01", &f), "2025-11-25");
        assert_eq!(
            negotiate_version("2099-01-01", &Faults::new(&[Fault::EchoUnsupportedProtocolVersion])),
            "2099-01-01"
        );
        let (r, v) = initialize(&json!({"protocolVersion": "2025-06-18"}), &f).unwrap();
        assert_eq!(v, "2025-06-18");
        assert_eq!(r["serverInfo"]["name"], SERVER_NAME);
        assert_eq!(r["capabilities"], json!({"tools": {}, "resources": {}, "prompts": {}}));
        assert_eq!(initialize(&json!({}), &f).unwrap_err().0, INVALID_PARAMS);
    }

    #[test]
    fn tools_carry_security_schemes_and_enforce_scopes() {
        let c = config();
        let tools = tool_list(&c);
        assert_eq!(tools.len(), 3);
        let note = tools.iter().find(|t| t["name"] == "write_note").unwrap();
        assert_eq!(note["securitySchemes"], json!([{"type": "oauth2", "scopes": ["mcp:write"]}]));
        assert_eq!(note["_meta"]["securitySchemes"], note["securitySchemes"]);
        let call = |name: &str, args: Value, who: &Principal| {
            dispatch("tools/call", &json!({"name": name, "arguments": args}), who, &c)
        };
        let Outcome::Result(r) = call("whoami", json!({}), &alice(&["mcp:read"])) else { panic!() };
        assert_eq!(r["structuredContent"], json!({"sub": "alice", "client_id": "c1", "scopes": ["mcp:read"]}));
        let Outcome::Result(r) = call("echo", json!({"text": "hi"}), &alice(&["mcp:read"])) else { panic!() };
        assert_eq!(r["content"][0]["text"], "hi");
        let Outcome::Result(r) = call("echo", json!({}), &alice(&["mcp:read"])) else { panic!() };
        assert_eq!(r["isError"], true);
        assert_eq!(
            call("write_note", json!({"text": "x"}), &alice(&["mcp:read"])),
            Outcome::InsufficientScope { tool: "write_note", scopes: vec!["mcp:write".into()] }
        );
        let Outcome::Result(r) = call("write_note", json!({"text": "x"}), &alice(&["mcp:write"])) else { panic!() };
        assert_eq!(r["structuredContent"]["ok"], true);
        assert!(matches!(call("nope", json!({}), &alice(&[])), Outcome::Error(INVALID_PARAMS, _)));
        assert!(matches!(dispatch("tools/call", &json!({}), &alice(&[]), &c), Outcome::Error(INVALID_PARAMS, _)));
    }

    #[test]
    fn mixed_auth_lists_noauth_tools_and_searches_for_anyone() {
        let c = ReferenceConfig { mixed_auth: true, ..config() };
        let tools = tool_list(&c);
        let search = tools.iter().find(|t| t["name"] == "search").unwrap();
        assert_eq!(search["securitySchemes"], json!([{"type": "noauth"}, {"type": "oauth2", "scopes": []}]));
        let note = tools.iter().find(|t| t["name"] == "write_note").unwrap();
        assert_eq!(note["securitySchemes"], json!([{"type": "oauth2", "scopes": ["mcp:write"]}]));
        let call =
            |who: &Principal| dispatch("tools/call", &json!({"name": "search", "arguments": {"query": "q"}}), who, &c);
        let Outcome::Result(r) = call(&Principal::anonymous()) else { panic!() };
        assert_eq!(r["structuredContent"]["authenticated"], false);
        assert_eq!(r["structuredContent"]["results"].as_array().unwrap().len(), 1);
        let Outcome::Result(r) = call(&alice(&[])) else { panic!() };
        assert_eq!(r["structuredContent"]["results"].as_array().unwrap().len(), 2);
        assert_eq!(
            dispatch("tools/call", &json!({"name": "whoami"}), &Principal::anonymous(), &c),
            Outcome::InsufficientScope { tool: "whoami", scopes: vec!["mcp:read".into()] }
        );
        assert!(!tool_list(&config()).iter().any(|t| t["name"] == "search"), "only under mixed_auth");
    }

    #[test]
    fn other_methods() {
        let (c, a) = (config(), alice(&[]));
        assert_eq!(dispatch("ping", &json!({}), &a, &c), Outcome::Result(json!({})));
        assert_eq!(dispatch("resources/list", &json!({}), &a, &c), Outcome::Result(json!({"resources": []})));
        assert_eq!(dispatch("prompts/list", &json!({}), &a, &c), Outcome::Result(json!({"prompts": []})));
        assert!(matches!(dispatch("sampling/x", &json!({}), &a, &c), Outcome::Error(METHOD_NOT_FOUND, _)));
        assert_eq!(error_body(Value::Null, PARSE_ERROR, "x")["error"]["code"], PARSE_ERROR);
    }
}
