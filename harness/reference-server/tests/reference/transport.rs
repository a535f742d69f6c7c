//! Streamable HTTP behaviour: sessions, notifications, methods, Accept, Origin/CORS, versions.

use crate::common::*;
use reference_server::{Fault, ReferenceConfig, ReferenceError, ReferenceServer, ResponseMode};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn full_session_from_initialize_to_delete() {
    let env = Env::start().await;
    let srv = &env.srv;
    let t = env.token(&["mcp:read"]);
    let sid = initialize(srv, &t).await;

    let r = rpc(srv, Some(&t), Some(&sid), &notification("notifications/initialized")).await;
    assert_eq!((r.status, r.text.as_str()), (202, ""));
    assert!(srv.sessions()[0].initialized);
    assert_eq!(srv.sessions()[0].protocol_version, "2025-06-18");

    let r = rpc(srv, Some(&t), Some(&sid), &call(1, "tools/list", json!({}))).await;
    assert_eq!(r.status, 200);
    let tools = r.json()["result"]["tools"].as_array().unwrap().clone();
    let names: Vec<_> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["whoami", "echo", "write_note"]);
    for t in &tools {
        assert_eq!(t["inputSchema"]["type"], "object");
        assert_eq!(t["securitySchemes"][0]["type"], "oauth2");
        assert_eq!(t["_meta"]["securitySchemes"], t["securitySchemes"]);
    }
    assert_eq!(tools[2]["securitySchemes"][0]["scopes"], json!(["mcp:write"]));

    let r = rpc(srv, Some(&t), Some(&sid), &tool_call(2, "whoami", json!({}))).await;
    assert_eq!(r.status, 200);
    let who = &r.json()["result"]["structuredContent"];
    assert_eq!(who["sub"], "alice");
    assert_eq!(who["client_id"], "minted-by-test");
    assert_eq!(who["scopes"], json!(["mcp:read"]));

    let r = rpc(srv, Some(&t), Some(&sid), &tool_call(3, "echo", json!({"text": "hi there"}))).await;
    assert_eq!(r.json()["result"]["content"][0]["text"], "hi there");
    for (method, want) in
        [("resources/list", json!({"resources": []})), ("prompts/list", json!({"prompts": []})), ("ping", json!({}))]
    {
        let r = rpc(srv, Some(&t), Some(&sid), &call(4, method, json!({}))).await;
        assert_eq!((r.status, r.json()["result"].clone()), (200, want), "{method}");
    }
    let r = rpc(srv, Some(&t), Some(&sid), &call(5, "sampling/createMessage", json!({}))).await;
    assert_eq!((r.status, r.json()["error"]["code"].clone()), (200, json!(-32601)));
    let r = rpc(srv, Some(&t), Some(&sid), &tool_call(6, "nope", json!({}))).await;
    assert_eq!((r.json()["id"].clone(), r.json()["error"]["code"].clone()), (json!(6), json!(-32602)));

    let r = send(request(srv, Method::DELETE, Some(&t), Some(&sid))).await;
    assert_eq!(r.status, 204);
    assert_eq!(srv.session_count(), 0);
    let r = rpc(srv, Some(&t), Some(&sid), &call(7, "tools/list", json!({}))).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["error"]["code"], -32001);
    assert_eq!(send(request(srv, Method::DELETE, Some(&t), Some(&sid))).await.status, 404);
}

#[tokio::test]
async fn requests_without_or_with_an_unknown_session_id() {
    let env = Env::start().await;
    let t = env.token(&["mcp:read"]);
    let r = rpc(&env.srv, Some(&t), None, &call(1, "tools/list", json!({}))).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"]["code"], -32600);
    assert_eq!(rpc(&env.srv, Some(&t), None, &notification("notifications/initialized")).await.status, 400);
    assert_eq!(send(request(&env.srv, Method::DELETE, Some(&t), None)).await.status, 400);
    let r = rpc(&env.srv, Some(&t), Some("no-such-session"), &call(1, "tools/list", json!({}))).await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn bodies_that_are_not_one_json_rpc_message_get_400() {
    let env = Env::start().await;
    let t = env.token(&["mcp:read"]);
    let cases = [
        (json!([init_body()]).to_string(), -32600),
        ("[]".to_owned(), -32600),
        ("{not json".to_owned(), -32700),
        (json!({"jsonrpc": "2.0", "id": null, "method": "ping"}).to_string(), -32600),
        (json!({"id": 1, "method": "initialize"}).to_string(), -32600),
        ("42".to_owned(), -32600),
    ];
    for (body, code) in cases {
        let r = send(request(&env.srv, Method::POST, Some(&t), None).body(body.clone())).await;
        assert_eq!(r.status, 400, "{body}");
        assert_eq!(r.json()["error"]["code"], code, "{body}");
        assert_eq!(r.json()["id"], serde_json::Value::Null);
    }
    assert_eq!(env.srv.session_count(), 0);
}

#[tokio::test]
async fn a_body_over_one_mebibyte_gets_400() {
    let env = Env::start().await;
    let t = env.token(&["mcp:read"]);
    let big = format!(r#"{{"jsonrpc":"2.0","id":1,"method":"ping","params":{{"x":"{}"}}}}"#, "a".repeat(1024 * 1024));
    let r = send(request(&env.srv, Method::POST, Some(&t), None).body(big)).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"]["code"], -32600);
}

#[tokio::test]
async fn get_and_other_methods_get_405_once_authenticated() {
    let env = Env::start().await;
    let t = env.token(&["mcp:read"]);
    for m in [Method::GET, Method::PUT, Method::PATCH] {
        let r = send(request_accepting(&env.srv, m.clone(), Some(&t), None, "text/event-stream")).await;
        assert_eq!(r.status, 405, "{m}");
        assert_eq!(r.header("allow").as_deref(), Some("POST, DELETE"), "{m}");
    }
}

#[tokio::test]
async fn protocol_version_header_must_be_supported() {
    let env = Env::start().await;
    let t = env.token(&["mcp:read"]);
    let sid = initialize(&env.srv, &t).await;
    let list = call(1, "tools/list", json!({}));
    for (v, want) in [("1999-01-01", 400), ("2025-11-25", 200), ("2025-03-26", 200), ("", 400)] {
        let rb = request(&env.srv, Method::POST, Some(&t), Some(&sid)).header("mcp-protocol-version", v);
        assert_eq!(send(rb.body(list.to_string())).await.status, want, "{v:?}");
    }
    let rb = request(&env.srv, Method::DELETE, Some(&t), Some(&sid)).header("mcp-protocol-version", "1999-01-01");
    assert_eq!(send(rb).await.status, 400);
}

#[tokio::test]
async fn initialize_negotiates_the_protocol_version() {
    let env = Env::start().await;
    let t = env.token(&["mcp:read"]);
    for (asked, got) in [("2025-03-26", "2025-03-26"), ("2025-11-25", "2025-11-25"), ("2099-12-31", "2025-11-25")] {
        let mut body = init_body();
        body["params"]["protocolVersion"] = json!(asked);
        let r = rpc(&env.srv, Some(&t), None, &body).await;
        assert_eq!(r.json()["result"]["protocolVersion"], got, "{asked}");
    }
}

#[tokio::test]
async fn accept_header_decides_between_json_sse_and_406() {
    let env = Env::start().await;
    let t = env.token(&["mcp:read"]);
    let with_accept = |accept: Option<&str>| {
        let mut rb = http().post(env.srv.url()).bearer_auth(&t).body(init_body().to_string());
        if let Some(a) = accept {
            rb = rb.header("accept", a);
        }
        rb
    };
    // ChatGPT's 2025 capture: only text/event-stream.
    let r = send(with_accept(Some("text/event-stream"))).await;
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("text/event-stream"));
    assert_eq!(r.rpc()["result"]["protocolVersion"], "2025-06-18");
    for a in [None, Some("application/json"), Some(BOTH), Some("*/*")] {
        let r = send(with_accept(a)).await;
        assert_eq!(r.status, 200, "{a:?}");
        assert_eq!(r.header("content-type").as_deref(), Some("application/json"), "{a:?}");
    }
    let r = send(with_accept(Some("text/html"))).await;
    assert_eq!(r.status, 406);
    assert_eq!(env.srv.session_count(), 5, "a 406 creates no session");
    // Notifications need no particular Accept.
    let sid = initialize(&env.srv, &t).await;
    let rb = http().post(env.srv.url()).bearer_auth(&t).header("mcp-session-id", &sid).header("accept", "text/html");
    assert_eq!(send(rb.body(notification("notifications/initialized").to_string())).await.status, 202);
}

#[tokio::test]
async fn sse_mode_answers_with_one_parseable_message_event() {
    let env = Env::start_with(|b| b.response_mode(ResponseMode::Sse)).await;
    let t = env.token(&["mcp:read"]);
    let r = rpc(&env.srv, Some(&t), None, &init_body()).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type").as_deref(), Some("text/event-stream"));
    assert!(r.text.starts_with("event: message\ndata: {"), "{:?}", r.text);
    assert!(r.text.ends_with("\n\n"));
    let msg = sse_message(&r.text);
    assert_eq!(msg["result"]["serverInfo"]["name"], "connector-harness-reference");
    let sid = r.session_id();
    let r = rpc(&env.srv, Some(&t), Some(&sid), &tool_call(1, "echo", json!({"text": "line1\nline2"}))).await;
    assert_eq!(r.rpc()["result"]["content"][0]["text"], "line1\nline2");
    // A client that accepts only JSON still gets JSON.
    let rb = request_accepting(&env.srv, Method::POST, Some(&t), Some(&sid), "application/json");
    let r = send(rb.body(call(2, "ping", json!({})).to_string())).await;
    assert_eq!(r.header("content-type").as_deref(), Some("application/json"));
}

#[tokio::test]
async fn foreign_origins_get_403_and_allowed_ones_get_cors_headers() {
    let env = Env::start().await;
    let srv = &env.srv;
    let t = env.token(&["mcp:read"]);
    for bad in ["https://evil.example", "null", "https://chatgpt.com.evil.example"] {
        let rb = request(srv, Method::POST, Some(&t), None).header("origin", bad);
        let r = send(rb.body(init_body().to_string())).await;
        assert_eq!(r.status, 403, "{bad}");
        assert!(r.header("access-control-allow-origin").is_none());
    }
    for good in ["https://chatgpt.com", "https://chat.openai.com", "http://localhost:6274", "http://127.0.0.1:5173"] {
        let r =
            send(request(srv, Method::POST, Some(&t), None).header("origin", good).body(init_body().to_string())).await;
        assert_eq!(r.status, 200, "{good}");
        assert_eq!(r.header("access-control-allow-origin").as_deref(), Some(good));
        assert_eq!(r.header("access-control-expose-headers").as_deref(), Some("mcp-session-id, www-authenticate"));
    }
    // Even a 401 is readable by the page, so it can see the challenge.
    let r = send(request(srv, Method::POST, None, None).header("origin", "https://chatgpt.com").body("{}")).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.header("access-control-allow-origin").as_deref(), Some("https://chatgpt.com"));
}

#[tokio::test]
async fn cors_preflight_is_answered_without_authentication() {
    let env = Env::start().await;
    let srv = &env.srv;
    let preflight = |origin: &str| {
        http()
            .request(Method::OPTIONS, srv.url())
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization, content-type, mcp-protocol-version")
    };
    let r = send(preflight("https://chatgpt.com")).await;
    assert_eq!(r.status, 204);
    assert_eq!(r.header("access-control-allow-origin").as_deref(), Some("https://chatgpt.com"));
    assert_eq!(r.header("access-control-allow-methods").as_deref(), Some("POST, GET, DELETE, OPTIONS"));
    assert_eq!(
        r.header("access-control-allow-headers").as_deref(),
        Some("authorization, content-type, mcp-session-id, mcp-protocol-version, accept, last-event-id")
    );
    assert_eq!(r.header("access-control-expose-headers").as_deref(), Some("mcp-session-id, www-authenticate"));
    assert_eq!(send(preflight("https://evil.example")).await.status, 403);
    let plain = send(http().request(Method::OPTIONS, srv.url())).await;
    assert_eq!(plain.status, 204);
}

#[tokio::test]
async fn start_errors_are_typed() {
    let err = ReferenceServer::with_config(ReferenceConfig::default()).start().await.unwrap_err();
    assert!(matches!(err, ReferenceError::Config { field: "issuer", .. }), "{err}");
    let env = Env::start().await;
    let taken = ReferenceServer::builder()
        .issuer(env.idp.issuer())
        .jwks_uri(env.idp.jwks_uri())
        .port(env.srv.port())
        .start()
        .await
        .unwrap_err();
    assert!(matches!(taken, ReferenceError::Bind { .. }), "{taken}");
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let env = Env::start_with(|b| b.fault(Fault::NoCors)).await;
    let url = env.srv.prm_url_root();
    assert_eq!(get(&url).await.status, 200);
    env.srv.shutdown().await;
    assert!(http().get(&url).send().await.is_err());
}
