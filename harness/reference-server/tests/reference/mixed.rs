//! Options beyond the default server: the OpenAI Apps SDK's mixed authentication (seeds 002 and
//! 004), the MCP manifest (seed 003) and a challenge `realm` (seed 000).

use crate::common::*;
use serde_json::{Value, json};

async fn mixed() -> Env {
    Env::start_with(|b| b.mixed_auth(true)).await
}

/// The tool result's single `mcp/www_authenticate` challenge, parsed.
fn tool_challenge(r: &Resp) -> std::collections::BTreeMap<String, String> {
    assert_eq!(r.status, 200, "a tool-level challenge rides on HTTP 200: {r:?}");
    let v = r.json();
    assert_eq!(v["result"]["isError"], true, "{v}");
    assert_eq!(v["result"]["content"][0]["type"], "text", "{v}");
    let list = v["result"]["_meta"]["mcp/www_authenticate"].as_array().expect("a list of challenges").clone();
    assert_eq!(list.len(), 1, "{v}");
    parse_challenge(list[0].as_str().expect("a string"))
}

#[tokio::test]
async fn without_a_token_initialize_tools_list_and_search_work_and_protected_tools_challenge() {
    let env = mixed().await;
    let srv = &env.srv;
    let init = rpc(srv, None, None, &init_body()).await;
    assert_eq!(init.status, 200, "{init:?}");
    assert!(init.header("www-authenticate").is_none());
    let sid = init.session_id();
    let list = rpc(srv, None, Some(&sid), &call(1, "tools/list", json!({}))).await.json();
    let tools = list["result"]["tools"].as_array().unwrap();
    let names: Vec<&str> = tools.iter().filter_map(|t| t["name"].as_str()).collect();
    assert_eq!(names, ["whoami", "echo", "write_note", "search"]);
    let search = &tools[3];
    assert_eq!(search["securitySchemes"], json!([{"type": "noauth"}, {"type": "oauth2", "scopes": []}]));
    assert_eq!(search["_meta"]["securitySchemes"], search["securitySchemes"]);
    assert_eq!(tools[2]["securitySchemes"], json!([{"type": "oauth2", "scopes": ["mcp:write"]}]));

    let found = rpc(srv, None, Some(&sid), &tool_call(2, "search", json!({"query": "tacos"}))).await;
    assert_eq!(found.status, 200);
    let found = found.json();
    assert_eq!(found["result"]["isError"], false, "{found}");
    assert_eq!(found["result"]["structuredContent"]["authenticated"], false);
    assert_eq!(found["result"]["content"][0]["text"], "Found 1 results");

    // Seed 002/004: `Bearer resource_metadata="<root PRM>", error="insufficient_scope",
    // error_description="…"` (plus the scope that satisfies the call).
    let c = tool_challenge(&rpc(srv, None, Some(&sid), &tool_call(3, "whoami", json!({}))).await);
    assert_eq!(c["resource_metadata"], srv.prm_url_root());
    assert_eq!(c["error"], "insufficient_scope");
    assert_eq!(c["scope"], "mcp:read");
    assert!(c["error_description"].contains("no access token"), "{c:?}");
    // A notification in the anonymous session is taken as usual.
    let n = rpc(srv, None, Some(&sid), &notification("notifications/initialized")).await;
    assert_eq!((n.status, n.text.as_str()), (202, ""));
}

#[tokio::test]
async fn tokens_are_still_validated_and_scopes_enforced_at_the_tool_level() {
    let env = mixed().await;
    let srv = &env.srv;
    // An invalid token is refused (RFC 6750 §3.1), never treated as anonymous.
    let bad = rpc(srv, Some("not-a-real-access-token-0000"), None, &init_body()).await;
    assert_eq!(bad.status, 401);
    assert_eq!(bad.challenge()["error"], "invalid_token");
    // Another scheme is an attempt to authenticate: told to use Bearer, not served anonymously.
    let basic = send(
        request(srv, reqwest::Method::POST, None, None)
            .header("authorization", "Basic YTpi")
            .body(init_body().to_string()),
    )
    .await;
    assert_eq!(basic.status, 401);
    let neg = env.idp.mint_negative(mock_idp::NegativeToken::WrongAudience, srv.url(), &["mcp:read"]).unwrap();
    assert_eq!(rpc(srv, Some(&neg.token), None, &init_body()).await.status, 401);

    let read = env.token(&["mcp:read"]);
    let sid = initialize(srv, &read).await;
    let who = rpc(srv, Some(&read), Some(&sid), &tool_call(1, "whoami", json!({}))).await.json();
    assert_eq!(who["result"]["structuredContent"]["scopes"], json!(["mcp:read"]));
    let c = tool_challenge(&rpc(srv, Some(&read), Some(&sid), &tool_call(2, "write_note", json!({"text": "x"}))).await);
    assert_eq!((c["error"].as_str(), c["scope"].as_str()), ("insufficient_scope", "mcp:write"));
    assert_eq!(c["resource_metadata"], srv.prm_url_root());
    let found = rpc(srv, Some(&read), Some(&sid), &tool_call(3, "search", json!({"query": "q"}))).await.json();
    assert_eq!(found["result"]["structuredContent"]["authenticated"], true);
    assert_eq!(found["result"]["structuredContent"]["results"].as_array().unwrap().len(), 2);

    // The session an authenticated caller opened needs that caller's token (RS-15)…
    let hijack = rpc(srv, None, Some(&sid), &call(4, "tools/list", json!({}))).await;
    assert_eq!(hijack.status, 401, "{hijack:?}");
    assert!(hijack.challenge().contains_key("resource_metadata"));
    // …and an anonymous session is not the authenticated caller's.
    let anon = rpc(srv, None, None, &init_body()).await.session_id();
    assert_eq!(rpc(srv, Some(&read), Some(&anon), &call(5, "tools/list", json!({}))).await.status, 404);

    // With the scope the challenge named, the call succeeds.
    let write = env.token(&["mcp:write"]);
    let sid = initialize(srv, &write).await;
    let ok = rpc(srv, Some(&write), Some(&sid), &tool_call(6, "write_note", json!({"text": "x"}))).await.json();
    assert_eq!(ok["result"]["structuredContent"], json!({"ok": true}), "{ok}");
}

#[tokio::test]
async fn the_default_server_has_no_anonymous_access_and_no_search_tool() {
    let env = Env::start().await;
    assert_eq!(rpc(&env.srv, None, None, &init_body()).await.status, 401);
    let t = env.token(&["mcp:read"]);
    let sid = initialize(&env.srv, &t).await;
    let list: Value = rpc(&env.srv, Some(&t), Some(&sid), &call(1, "tools/list", json!({}))).await.json();
    assert_eq!(list["result"]["tools"].as_array().unwrap().len(), 3);
    let r = rpc(&env.srv, Some(&t), Some(&sid), &tool_call(2, "write_note", json!({"text": "x"}))).await;
    assert_eq!(r.status, 403, "insufficient scope is HTTP 403 outside mixed authentication");
}

#[tokio::test]
async fn the_manifest_is_served_only_when_configured() {
    let env = Env::start().await;
    let url = format!("{}/.well-known/mcp/manifest.json", env.srv.origin());
    assert_eq!(get(&url).await.status, 404);
    let env = Env::start_with(|b| b.manifest_schema_version("2024-11-05")).await;
    let url = format!("{}/.well-known/mcp/manifest.json", env.srv.origin());
    let r = get(&url).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin").as_deref(), Some("*"));
    let m = r.json();
    assert_eq!(m["schemaVersion"], "2024-11-05");
    assert_eq!(m["transport"]["url"], env.srv.url());
    assert_eq!(m["authorization"]["protected_resource_metadata"], env.srv.prm_url_root());
}

#[tokio::test]
async fn a_realm_comes_first_in_every_challenge() {
    let env = Env::start_with(|b| b.challenge_realm("ownsona")).await;
    let r = rpc(&env.srv, None, None, &init_body()).await;
    assert_eq!(r.status, 401);
    assert!(
        r.www_authenticate().starts_with(r#"Bearer realm="ownsona", resource_metadata=""#),
        "{}",
        r.www_authenticate()
    );
    // OwnSona's exact challenge: a realm and nothing else.
    let env = Env::start_with(|b| {
        b.challenge_realm("ownsona")
            .fault(reference_server::Fault::NoResourceMetadataInChallenge)
            .fault(reference_server::Fault::NoScopeInChallenge)
    })
    .await;
    assert_eq!(rpc(&env.srv, None, None, &init_body()).await.www_authenticate(), r#"Bearer realm="ownsona""#);
}
