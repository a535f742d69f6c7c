//! Authentication of every MCP request: 401/400/403 challenges and token validation.

use crate::common::*;
use mock_idp::NegativeToken;
use reference_server::Tool;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn no_token_gets_the_exact_401_challenge_and_no_data() {
    let env = Env::start().await;
    let srv = &env.srv;
    let r = rpc(srv, None, None, &init_body()).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.www_authenticate(), format!(r#"Bearer resource_metadata="{}", scope="mcp:read""#, srv.prm_url_root()));
    assert!(r.header("mcp-session-id").is_none());
    assert!(!r.text.contains("protocolVersion") && !r.text.contains("whoami"), "{}", r.text);
    // The same challenge for a tools call and for GET/DELETE: every request is authenticated first.
    let r = rpc(srv, None, Some("some-session"), &tool_call(1, "whoami", json!({}))).await;
    assert_eq!((r.status, r.challenge().get("error").cloned()), (401, None));
    for m in [Method::GET, Method::DELETE] {
        assert_eq!(send(request(srv, m.clone(), None, None)).await.status, 401, "{m}");
    }
}

#[tokio::test]
async fn another_auth_scheme_counts_as_no_token() {
    let env = Env::start().await;
    let r = send(
        request(&env.srv, Method::POST, None, None)
            .header("authorization", "Basic dXNlcjpwYXNz")
            .body(init_body().to_string()),
    )
    .await;
    assert_eq!(r.status, 401);
    assert!(!r.challenge().contains_key("error"), "RFC 6750 §3.1: no error code for an unsupported method");
}

#[tokio::test]
async fn malformed_authorization_headers_get_400_invalid_request() {
    let env = Env::start().await;
    let srv = &env.srv;
    let good = env.token(&["mcp:read"]);
    let cases: Vec<Vec<String>> = vec![
        vec!["Bearer".into()],
        vec!["Bearer    ".into()],
        vec![format!("Bearer {good} {good}")],
        vec![format!("Bearer {good}, Basic abc")],
        vec!["Bearer a$b".into()],
        vec![format!("Bearer {good}"), format!("Bearer {good}")],
    ];
    for values in cases {
        let mut rb = request(srv, Method::POST, None, None).body(init_body().to_string());
        for v in &values {
            rb = rb.header("authorization", v);
        }
        let r = send(rb).await;
        assert_eq!(r.status, 400, "{values:?}");
        let c = r.challenge();
        assert_eq!(c["error"], "invalid_request", "{values:?}");
        assert_eq!(c["resource_metadata"], srv.prm_url_root());
        assert!(!c["error_description"].is_empty());
    }
}

#[tokio::test]
async fn a_valid_token_initializes_a_session() {
    let env = Env::start().await;
    let srv = &env.srv;
    let t = env.token(&["mcp:read"]);
    let r = rpc(srv, Some(&t), None, &init_body()).await;
    assert_eq!(r.status, 200, "{r:?}");
    let sid = r.session_id();
    assert!(sid.len() >= 22 && sid.bytes().all(|b| (0x21..=0x7E).contains(&b)), "{sid}");
    let body = r.json();
    assert_eq!(body["id"], 0);
    assert_eq!(body["result"]["protocolVersion"], "2025-06-18");
    assert_eq!(body["result"]["serverInfo"]["name"], "connector-harness-reference");
    assert_eq!(body["result"]["capabilities"], json!({"tools": {}, "resources": {}, "prompts": {}}));
    // The scheme is case-insensitive.
    let r = send(
        request(srv, Method::POST, None, None)
            .header("authorization", format!("bearer {t}"))
            .body(init_body().to_string()),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(srv.session_count(), 2);
}

#[tokio::test]
async fn every_negative_token_gets_401_invalid_token_and_no_data() {
    let env = Env::start().await;
    let srv = &env.srv;
    for kind in NegativeToken::ALL {
        let bad = env.idp.mint_negative(kind, srv.url(), &["mcp:read", "mcp:write"]).unwrap().token;
        for body in [init_body(), tool_call(1, "whoami", json!({}))] {
            let r = rpc(srv, Some(&bad), None, &body).await;
            assert_eq!(r.status, 401, "{kind:?}: {r:?}");
            let c = r.challenge();
            assert_eq!(c["error"], "invalid_token", "{kind:?}");
            assert!(!c["error_description"].is_empty(), "{kind:?}");
            assert_eq!(c["resource_metadata"], srv.prm_url_root());
            assert_eq!(c["scope"], "mcp:read");
            assert!(r.header("mcp-session-id").is_none());
            for leak in ["protocolVersion", "whoami", "alice", "result"] {
                assert!(!r.text.contains(leak), "{kind:?} body leaks {leak}: {}", r.text);
            }
        }
    }
    assert_eq!(srv.session_count(), 0);
}

#[tokio::test]
async fn garbage_and_non_jwt_tokens_get_401_invalid_token() {
    let env = Env::start().await;
    for t in ["garbage", "a.b.c", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln", &"A".repeat(20_000)] {
        let r = rpc(&env.srv, Some(t), None, &init_body()).await;
        assert_eq!((r.status, r.challenge()["error"].as_str()), (401, "invalid_token"), "{}", &t[..t.len().min(40)]);
    }
}

#[tokio::test]
async fn a_token_in_the_query_string_is_never_accepted() {
    let env = Env::start().await;
    let t = env.token(&["mcp:read"]);
    for q in ["access_token", "token"] {
        let url = format!("{}?{q}={t}", env.srv.url());
        let r = send(http().post(url).header("accept", BOTH).body(init_body().to_string())).await;
        assert_eq!(r.status, 401, "{q}");
        assert!(!r.challenge().contains_key("error"), "treated as no token at all");
    }
}

#[tokio::test]
async fn tokens_signed_with_the_rotated_key_are_accepted() {
    let env = Env::start().await;
    let before = env.token(&["mcp:read"]);
    initialize(&env.srv, &before).await;
    env.idp.rotate_signing_key();
    let after = env.token(&["mcp:read"]);
    initialize(&env.srv, &after).await;
    initialize(&env.srv, &before).await;
}

#[tokio::test]
async fn missing_scope_gets_the_exact_403_challenge_and_the_same_one_twice() {
    let env = Env::start().await;
    let srv = &env.srv;
    let t = env.token(&["mcp:read"]);
    let sid = initialize(srv, &t).await;
    let call = tool_call(5, "write_note", json!({"text": "hello"}));
    let r = rpc(srv, Some(&t), Some(&sid), &call).await;
    assert_eq!(r.status, 403);
    let want = format!(
        r#"Bearer error="insufficient_scope", scope="mcp:write", resource_metadata="{}", error_description="tool `write_note` needs scope `mcp:write`""#,
        srv.prm_url_root()
    );
    assert_eq!(r.www_authenticate(), want);
    assert!(!r.text.contains("\"ok\""), "{}", r.text);
    // RS-14: the same request gets the same challenge.
    let again = rpc(srv, Some(&t), Some(&sid), &call).await;
    assert_eq!((again.status, again.www_authenticate()), (403, want));
    // RS-13: a token with exactly the named scope succeeds.
    let w = env.token(&["mcp:write"]);
    let sid = initialize(srv, &w).await;
    let ok = rpc(srv, Some(&w), Some(&sid), &call).await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.json()["result"]["structuredContent"]["ok"], true);
}

#[tokio::test]
async fn per_tool_scopes_are_configurable_and_named_exactly() {
    let env = Env::start_with(|b| {
        b.tool_scopes(Tool::Echo, &["mcp:read", "mcp:echo"]).scopes_supported(&["mcp:read", "mcp:write", "mcp:echo"])
    })
    .await;
    let t = env.token(&["mcp:read"]);
    let sid = initialize(&env.srv, &t).await;
    let r = rpc(&env.srv, Some(&t), Some(&sid), &tool_call(1, "echo", json!({"text": "x"}))).await;
    assert_eq!((r.status, r.challenge()["scope"].as_str()), (403, "mcp:read mcp:echo"));
}

#[tokio::test]
async fn a_session_without_a_token_is_refused() {
    let env = Env::start().await;
    let t = env.token(&["mcp:read"]);
    let sid = initialize(&env.srv, &t).await;
    let r = rpc(&env.srv, None, Some(&sid), &call(1, "tools/list", json!({}))).await;
    assert_eq!(r.status, 401);
    assert!(!r.text.contains("whoami"));
}

#[tokio::test]
async fn a_session_belongs_to_the_sub_that_created_it() {
    let env = Env::start().await;
    let srv = &env.srv;
    let alice = env.token(&["mcp:read"]);
    let sid = initialize(srv, &alice).await;
    let bob = token_with_sub(&env.idp, srv, "bob");
    let r = rpc(srv, Some(&bob), Some(&sid), &call(1, "tools/list", json!({}))).await;
    assert_eq!(r.status, 404, "another user's session looks unknown");
    assert_eq!(send(request(srv, Method::DELETE, Some(&bob), Some(&sid))).await.status, 404);
    assert_eq!(rpc(srv, Some(&alice), Some(&sid), &call(2, "tools/list", json!({}))).await.status, 200);
}

#[tokio::test]
async fn the_request_log_records_order_and_whether_a_token_came() {
    let env = Env::start().await;
    let srv = &env.srv;
    let t = env.token(&["mcp:read"]);
    rpc(srv, None, None, &init_body()).await;
    get(&srv.prm_url_root()).await;
    initialize(srv, &t).await;
    let log = srv.requests();
    let seen: Vec<_> =
        log.iter().map(|r| (r.seq, r.method.as_str(), r.path.as_str(), r.extra.carried_token, r.status)).collect();
    assert_eq!(
        seen,
        [
            (1, "POST", "/mcp", false, 401),
            (2, "GET", "/.well-known/oauth-protected-resource", false, 200),
            (3, "POST", "/mcp", true, 200)
        ]
    );
    assert_eq!(log[2].extra.rpc_method.as_deref(), Some("initialize"));
    let snap = srv.snapshot();
    assert_eq!(snap.requests, log);
    assert_eq!(snap.sessions.len(), 1);
    assert_eq!(snap.sessions[0].sub, "alice");
    assert!(log[2].body.contains("openai-mcp"));
}
