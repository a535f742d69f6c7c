//! The 2026-07-28 path: a correct server in each era, and every [`ModernFault`] breaking the one
//! rule it is named for (the same probe passes without it).

use crate::common::*;
use mcp_wire::SpecVersion;
use mcp_wire::headers::{LAST_EVENT_ID, MCP_METHOD, MCP_NAME, MCP_PROTOCOL_VERSION};
use mcp_wire::meta;
use mock_idp::IdpHandle;
use reference_server::{Era, ModernFault, ReferenceHandle};
use reqwest::Method;
use serde_json::{Value, json};

const V: &str = SpecVersion::NEWEST.as_str();

/// A 2026-07-28 request: `params` plus `_meta` with the version and (empty) client capabilities.
fn body(method: &str, mut params: Value) -> Value {
    params["_meta"] = json!({ meta::PROTOCOL_VERSION: V, meta::CLIENT_CAPABILITIES: {} });
    json!({ "jsonrpc": "2.0", "id": 7, "method": method, "params": params })
}

/// Headers a correct 2026-07-28 client sends for `body`, then `changes` (a `None` value removes).
async fn send_modern(
    srv: &ReferenceHandle,
    token: Option<&str>,
    body: &Value,
    changes: &[(&str, Option<&str>)],
) -> Resp {
    let method = body["method"].as_str().unwrap_or_default().to_owned();
    let mut headers: Vec<(String, String)> = vec![(MCP_PROTOCOL_VERSION.into(), V.into()), (MCP_METHOD.into(), method)];
    let name = body["params"].get("name").or(body["params"].get("uri")).and_then(Value::as_str);
    if let Some(n) = name {
        headers.push((MCP_NAME.into(), n.into()));
    }
    for (k, v) in changes {
        headers.retain(|(h, _)| !h.eq_ignore_ascii_case(k));
        if let Some(v) = v {
            headers.push((k.to_string(), v.to_string()));
        }
    }
    let mut rb = request(srv, Method::POST, token, None);
    for (k, v) in headers {
        rb = rb.header(k, v);
    }
    send(rb.body(body.to_string())).await
}

fn error_code(r: &Resp) -> Option<i64> {
    r.json()["error"]["code"].as_i64()
}

async fn env(era: Era, fault: Option<ModernFault>) -> Env {
    Env::start_with(move |b| {
        let b = b.era(era);
        match fault {
            Some(f) => b.modern_fault(f),
            None => b,
        }
    })
    .await
}

fn tok(idp: &IdpHandle, srv: &ReferenceHandle, sub: &str, scopes: &[&str]) -> String {
    let mut claims = idp.mint_valid(srv.url(), scopes).expect("mint").claims;
    claims.insert("sub".into(), json!(sub));
    idp.mint(&mock_idp::MintRequest { claims, signing: mock_idp::Signing::Valid }).expect("mint").token
}

#[tokio::test]
async fn a_dual_server_answers_discover_and_still_opens_legacy_sessions() {
    let e = env(Era::Dual, None).await;
    let t = e.token(&["mcp:read"]);
    let r = send_modern(&e.srv, Some(&t), &body("server/discover", json!({})), &[]).await;
    assert_eq!(r.status, 200, "{r:?}");
    let res = &r.json()["result"];
    assert_eq!(res["supportedVersions"], json!(["2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26"]));
    assert_eq!(res["resultType"], "complete");
    assert_eq!(res["cacheScope"], "public");
    assert!(res["ttlMs"].as_u64().is_some());
    assert_eq!(res["_meta"][meta::SERVER_INFO]["name"], reference_server::SERVER_NAME);
    assert!(r.header("mcp-session-id").is_none());
    // The same endpoint still serves a legacy client with a session.
    let sid = initialize(&e.srv, &t).await;
    let r = rpc(&e.srv, Some(&t), Some(&sid), &call(2, "tools/list", json!({}))).await;
    assert_eq!(r.status, 200);
    assert!(r.json()["result"].get("resultType").is_none(), "legacy results stay 2025-shaped");
}

#[tokio::test]
async fn a_modern_only_server_refuses_initialize_get_and_delete() {
    let e = env(Era::Modern, None).await;
    let t = e.token(&["mcp:read"]);
    let r = rpc(&e.srv, Some(&t), None, &init_body()).await;
    assert_eq!(r.status, 400, "{r:?}");
    assert_eq!(error_code(&r), Some(-32022));
    assert_eq!(r.json()["error"]["data"]["supported"], json!(["2026-07-28"]));
    assert!(r.header("mcp-session-id").is_none());
    for m in [Method::GET, Method::DELETE] {
        assert_eq!(send(request(&e.srv, m, Some(&t), Some("x"))).await.status, 405);
    }
    // A legacy request without the headers fails validation as 2026-07-28 asks.
    let r = rpc(&e.srv, Some(&t), None, &call(3, "tools/list", json!({}))).await;
    assert_eq!((r.status, error_code(&r)), (400, Some(-32020)));
    let r = send_modern(&e.srv, Some(&t), &body("tools/list", json!({})), &[]).await;
    assert_eq!(r.status, 200, "{r:?}");
}

#[tokio::test]
async fn a_legacy_only_server_does_not_know_discover() {
    let e = env(Era::Legacy, None).await;
    let t = e.token(&["mcp:read"]);
    let r = send_modern(&e.srv, Some(&t), &body("server/discover", json!({})), &[]).await;
    assert_eq!(error_code(&r), Some(-32601), "{r:?}");
    initialize(&e.srv, &t).await;
}

#[tokio::test]
async fn the_same_uri_read_by_two_users_differs_and_is_private() {
    let e = env(Era::Dual, None).await;
    let read = body("resources/read", json!({ "uri": "notes://me" }));
    let a = send_modern(&e.srv, Some(&tok(&e.idp, &e.srv, "alice", &["mcp:read"])), &read, &[]).await.json();
    let b = send_modern(&e.srv, Some(&tok(&e.idp, &e.srv, "bob", &["mcp:read"])), &read, &[]).await.json();
    assert_ne!(a["result"]["contents"], b["result"]["contents"]);
    assert_eq!(
        (a["result"]["cacheScope"].as_str(), b["result"]["cacheScope"].as_str()),
        (Some("private"), Some("private"))
    );
}

/// Whether the server keeps the rule `fault` is named for, observed as a probe would.
async fn keeps_rule(fault: ModernFault, e: &Env) -> bool {
    use ModernFault::*;
    let (idp, srv) = (&e.idp, &e.srv);
    let t = tok(idp, srv, "alice", &["mcp:read"]);
    let go = |b: Value, changes: Vec<(&'static str, Option<&'static str>)>| {
        let t = t.clone();
        async move { send_modern(srv, Some(&t), &b, &changes).await }
    };
    let list = || body("tools/list", json!({}));
    let mismatch = |r: &Resp| r.status == 400 && error_code(r) == Some(-32020);
    match fault {
        VersionHeaderMismatchAccepted => {
            let mut b = list();
            b["params"]["_meta"][meta::PROTOCOL_VERSION] = json!("2025-11-25");
            mismatch(&go(b, vec![]).await)
        }
        MissingVersionHeaderAccepted => mismatch(&go(list(), vec![(MCP_PROTOCOL_VERSION, None)]).await),
        UnsupportedVersionWithoutList => {
            let mut b = list();
            b["params"]["_meta"][meta::PROTOCOL_VERSION] = json!("2099-01-01");
            let r = go(b, vec![(MCP_PROTOCOL_VERSION, Some("2099-01-01"))]).await;
            r.status == 400 && error_code(&r) == Some(-32022) && r.json()["error"]["data"]["supported"][0] == V
        }
        UnknownMethodAs200 => {
            let r = go(body("nothing/here", json!({})), vec![]).await;
            r.status == 404 && error_code(&r) == Some(-32601)
        }
        MethodHeaderIgnored => mismatch(&go(list(), vec![(MCP_METHOD, Some("tools/call"))]).await),
        NameHeaderIgnored => {
            let b = body("tools/call", json!({ "name": "echo", "arguments": { "text": "hi" } }));
            mismatch(&go(b, vec![(MCP_NAME, Some("whoami"))]).await)
        }
        Base64NameNotDecoded => {
            let b = body("tools/call", json!({ "name": "echo", "arguments": { "text": "hi" } }));
            let r = go(b, vec![(MCP_NAME, Some("=?base64?ZWNobw==?="))]).await;
            r.status == 200 && r.json()["result"]["isError"] == false
        }
        ParamHeaderIgnored => {
            let args = json!({ "name": "run_query", "arguments": { "region": "us-west1", "query": "q" } });
            let wrong = go(body("tools/call", args.clone()), vec![("Mcp-Param-Region", Some("eu-north1"))]).await;
            let missing = go(body("tools/call", args.clone()), vec![]).await;
            let right = go(body("tools/call", args), vec![("Mcp-Param-Region", Some("=?base64?dXMtd2VzdDE=?="))]).await;
            mismatch(&wrong) && mismatch(&missing) && right.status == 200
        }
        DiscoverRequiredFirst => go(list(), vec![]).await.status == 200,
        MethodHeaderCaseInsensitive => mismatch(&go(list(), vec![(MCP_METHOD, Some("TOOLS/LIST"))]).await),
        SessionIdOnModernResponses => go(list(), vec![]).await.header("mcp-session-id").is_none(),
        MissingMetaAccepted => {
            let mut b = list();
            b["params"]["_meta"].as_object_mut().unwrap().remove(meta::CLIENT_CAPABILITIES);
            let r = go(b, vec![]).await;
            r.status == 400 && error_code(&r) == Some(-32602)
        }
        MissingCapabilityIgnored => {
            let r = go(body("tools/call", json!({ "name": "confirm_action" })), vec![]).await;
            r.status == 400
                && error_code(&r) == Some(-32021)
                && r.json()["error"]["data"]["requiredCapabilities"].get("elicitation").is_some()
        }
        NoResultType => go(list(), vec![]).await.json()["result"]["resultType"] == "complete",
        NoDiscover => {
            let r = go(body("server/discover", json!({})), vec![]).await;
            r.status == 200 && r.json()["result"]["supportedVersions"][0] == V
        }
        NoCachingHints => {
            let res = go(list(), vec![]).await.json()["result"].clone();
            res["ttlMs"].as_u64().is_some() && res["cacheScope"].is_string()
        }
        NoServerInfoMeta => go(list(), vec![]).await.json()["result"]["_meta"][meta::SERVER_INFO]["name"].is_string(),
        ResourceNotFoundAs32002 => {
            let r = go(body("resources/read", json!({ "uri": "notes://nobody" })), vec![]).await;
            error_code(&r) == Some(-32602)
        }
        InitializeErrorWithoutVersions => {
            let r = rpc(srv, Some(&t), None, &init_body()).await;
            r.status == 400 && r.json()["error"]["data"]["supported"].as_array().is_some_and(|v| v.contains(&json!(V)))
        }
        ToolOrderVaries => {
            let names = |v: Value| {
                v["result"]["tools"].as_array().unwrap().iter().map(|t| t["name"].clone()).collect::<Vec<_>>()
            };
            names(go(list(), vec![]).await.json()) == names(go(list(), vec![]).await.json())
        }
        OfflineAccessAdvertised => {
            let prm = get(&srv.prm_url_root()).await.json();
            !prm["scopes_supported"].as_array().unwrap().contains(&json!("offline_access"))
        }
        OneScopeAtATime => {
            let none = tok(idp, srv, "alice", &[]);
            let r = send_modern(srv, Some(&none), &body("tools/call", json!({ "name": "publish_note" })), &[]).await;
            let scope = r.challenge().get("scope").cloned().unwrap_or_default();
            r.status == 403 && scope.split(' ').any(|s| s == "mcp:read") && scope.split(' ').any(|s| s == "mcp:write")
        }
        ScopeHierarchyIgnored => {
            let parent = tok(idp, srv, "alice", &["mcp"]);
            let b = body("tools/call", json!({ "name": "whoami" }));
            let r = send_modern(srv, Some(&parent), &b, &[]).await;
            r.status == 200 && r.json()["result"]["isError"] == false
        }
        HandleActsAsOwner => {
            let opened = go(body("tools/call", json!({ "name": "open_cursor" })), vec![]).await.json();
            let handle = opened["result"]["structuredContent"]["handle"].as_str().unwrap().to_owned();
            let bob = tok(idp, srv, "bob", &["mcp:read"]);
            let b = body("tools/call", json!({ "name": "read_cursor", "arguments": { "handle": handle } }));
            let r = send_modern(srv, Some(&bob), &b, &[]).await;
            let no_token = send_modern(srv, None, &b, &[]).await;
            error_code(&r) == Some(-32602) && !r.text.contains("alice") && no_token.status == 401
        }
        PredictableHandles => {
            let mut seen = Vec::new();
            for _ in 0..2 {
                let opened = go(body("tools/call", json!({ "name": "open_cursor" })), vec![]).await.json();
                seen.push(opened["result"]["structuredContent"]["handle"].as_str().unwrap().to_owned());
            }
            seen[0] != seen[1] && seen.iter().all(|h| h.len() >= 32 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        }
        PrivateResultMarkedPublic => {
            let r = go(body("resources/read", json!({ "uri": "notes://me" })), vec![]).await;
            r.json()["result"]["cacheScope"] == "private"
        }
        PrmResourceTrailingSlash => get(&srv.prm_url_root()).await.json()["resource"] == srv.url(),
        RequestOnResponseStream => {
            let mut b = body("tools/call", json!({ "name": "confirm_action" }));
            b["params"]["_meta"][meta::CLIENT_CAPABILITIES] = json!({ "elicitation": {} });
            let r = go(b, vec![]).await;
            // Checked before parsing: the faulty answer is an SSE stream, not one JSON body.
            r.status == 200 && !r.text.contains("elicitation/create") && r.json()["result"]["isError"] == false
        }
        LogWithoutLogLevel => {
            let r = go(body("tools/call", json!({ "name": "whoami" })), vec![]).await;
            r.status == 200 && !r.text.contains("notifications/message") && r.json()["result"]["isError"] == false
        }
        DiscoverInconsistent => {
            let caps = go(body("server/discover", json!({})), vec![]).await.json()["result"]["capabilities"].clone();
            caps.get("tools").is_some() && go(list(), vec![]).await.json()["result"]["tools"][0]["name"].is_string()
        }
        GetServesStream => {
            // Only the head is read: the faulty server holds the stream open.
            let rb = request(srv, Method::GET, Some(&t), None).header(MCP_PROTOCOL_VERSION, V);
            rb.send().await.expect("request sent").status().as_u16() == 405
        }
        DeleteAccepted => {
            send(request(srv, Method::DELETE, Some(&t), None).header(MCP_PROTOCOL_VERSION, V)).await.status == 405
        }
        ReplaysOnLastEventId => {
            go(list(), vec![]).await;
            let r = go(list(), vec![(LAST_EVENT_ID, Some("1"))]).await;
            // Checked before parsing: the faulty answer is an SSE stream replaying the first answer.
            r.status == 200 && !r.text.starts_with("event:") && r.json()["result"]["tools"].is_array()
        }
        ResumesIssuedEventIds => {
            // Resumes from the id its first answer carried (when it issued one), never replaying.
            let first = go(list(), vec![]).await;
            let issued = mcp_wire::sse::event_ids(&first.text).pop().unwrap_or_else(|| "ev-1".into());
            let r = send_modern(srv, Some(&t), &list(), &[(LAST_EVENT_ID, Some(issued.as_str()))]).await;
            // One answer: a JSON body, or a stream of exactly one message (nothing replayed).
            let streamed = mcp_wire::sse::json_messages(&r.text).unwrap_or_default();
            r.status == 200
                && if streamed.is_empty() { r.json()["result"]["tools"].is_array() } else { streamed.len() == 1 }
        }
        _ => panic!("no demonstration written yet for {fault:?}"),
    }
}

#[tokio::test]
async fn every_modern_fault_breaks_its_rule_and_the_correct_server_keeps_it() {
    let mut errors = Vec::new();
    for &fault in ModernFault::ALL {
        // Rules of 2026-07-28-only servers are shown on one.
        let modern_only = [ModernFault::InitializeErrorWithoutVersions, ModernFault::DeleteAccepted];
        let era = if modern_only.contains(&fault) { Era::Modern } else { Era::Dual };
        if !keeps_rule(fault, &env(era, None).await).await {
            errors.push(format!("{fault:?}: the correct server breaks {}", fault.requirements()[0]));
        }
        if keeps_rule(fault, &env(era, Some(fault)).await).await {
            errors.push(format!("{fault:?}: the faulty server still keeps {}", fault.requirements()[0]));
        }
    }
    assert!(errors.is_empty(), "{errors:#?}");
}
