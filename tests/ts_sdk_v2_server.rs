//! A real MCP 2026-07-28 server: the official TypeScript SDK v2 (`@modelcontextprotocol/server`,
//! pinned by `scripts/install-deps.sh`), started by `tests/servers/ts_sdk_v2_server.mjs` with the
//! SDK's Express bearer-auth middleware trusting the mock IdP, in each of its two modes. Asserted
//! over raw HTTP, with no harness code in between, so these are facts about the SDK and about the
//! mock IdP's tokens, which the harness checks for #13 are later measured against.
//!
//! Without the install these tests say they were skipped; under
//! `CONNECTOR_HARNESS_REQUIRE_REAL_SERVERS=1` (the README's test command) they fail.

mod support;

use mock_idp::{MockIdp, NegativeToken};
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::real;
use support::*;

/// The revision the v2 SDK serves on its modern path.
const MODERN: &str = "2026-07-28";

/// The installed Node 22 and SDK v2 packages, or `None` (skip, or fail under the test command).
fn ts_sdk_v2() -> Option<std::path::PathBuf> {
    let node = node22()?;
    for package in
        ["@modelcontextprotocol/server", "@modelcontextprotocol/express", "@modelcontextprotocol/node", "jose"]
    {
        dep(&format!("ts-sdk-v2/node_modules/{package}/package.json"))?;
    }
    Some(node)
}

/// A 2026-07-28 request without parameters: see [`modern_call`].
async fn modern(url: &str, token: Option<&str>, method: &str, id: u64) -> reqwest::Response {
    modern_call(url, token, method, None, id).await
}

/// A 2026-07-28 request: the `MCP-Protocol-Version` and `Mcp-Method` headers and the `_meta`
/// envelope the spec requires on every request; with `name`, a `tools/call` of that tool (no
/// arguments) and its `Mcp-Name` header.
async fn modern_call(url: &str, token: Option<&str>, method: &str, name: Option<&str>, id: u64) -> reqwest::Response {
    let meta = json!({
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "connector-harness-test", "version": "0"},
    });
    let mut params = json!({"_meta": meta});
    let mut req = http()
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", MODERN)
        .header("mcp-method", method);
    if let Some(name) = name {
        params["name"] = json!(name);
        params["arguments"] = json!({});
        req = req.header("mcp-name", name);
    }
    req = req.json(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

/// A 2025-11-25 `initialize` (no envelope, no modern headers).
async fn initialize(url: &str, token: &str) -> reqwest::Response {
    http()
        .post(url)
        .bearer_auth(token)
        .header("accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "connector-harness-test", "version": "0"}}}))
        .send()
        .await
        .unwrap()
}

/// The JSON-RPC message of a response, whether sent as a JSON body or as one SSE `data:` event.
async fn message(r: reqwest::Response) -> Value {
    let body = r.text().await.unwrap();
    let json = body.lines().find_map(|l| l.strip_prefix("data:")).unwrap_or(&body).trim().to_owned();
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("not JSON-RPC ({e}): {body}"))
}

/// `server/discover` is answered with 2026-07-28 in either mode; an unauthenticated request gets
/// 401 with a `resource_metadata` challenge naming the SDK's path-inserted PRM; a token the mock
/// IdP minted for the server's resource is accepted, one for another audience is not; and the
/// modes differ exactly on the 2025 `initialize`: refused with -32022 naming 2026-07-28 in
/// modern-only, served in stateless-legacy.
#[tokio::test]
async fn ts_sdk_v2_server_serves_2026_07_28_and_trusts_the_mock_idp() {
    let Some(node) = ts_sdk_v2() else { return };
    let idp = MockIdp::builder().start().await.unwrap();
    for mode in ["modern-only", "stateless-legacy"] {
        let port = free_port();
        let url = format!("http://127.0.0.1:{port}/mcp");
        let _server = spawn(
            &node,
            &["tests/servers/ts_sdk_v2_server.mjs", mode],
            &[
                ("MCP_PORT", port.to_string()),
                ("IDP_ISSUER", idp.issuer().to_owned()),
                ("IDP_JWKS_URI", idp.jwks_uri()),
                ("MCP_AUDIENCE", url.clone()),
            ],
            port,
        )
        .await;

        // No token: 401, a Bearer challenge with the PRM URL, and that PRM names the mock IdP.
        let r = modern(&url, None, "server/discover", 1).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{mode}");
        let challenge = r.headers()["www-authenticate"].to_str().unwrap().to_owned();
        let prm_url = format!("http://127.0.0.1:{port}/.well-known/oauth-protected-resource/mcp");
        assert!(
            challenge.starts_with("Bearer ") && challenge.contains(&format!("resource_metadata=\"{prm_url}\"")),
            "{mode}: {challenge}"
        );
        let prm: Value = http().get(&prm_url).send().await.unwrap().json().await.unwrap();
        assert_eq!(prm["resource"], url.as_str(), "{mode}: {prm}");
        assert_eq!(prm["authorization_servers"], json!([idp.issuer()]), "{mode}: {prm}");

        // A token from the mock IdP for this resource: server/discover names 2026-07-28.
        let token = idp.mint_valid(&url, &["mcp:read"]).unwrap().token;
        let r = modern(&url, Some(&token), "server/discover", 2).await;
        assert_eq!(r.status(), StatusCode::OK, "{mode}");
        let discover = message(r).await;
        let versions = discover["result"]["supportedVersions"].as_array().unwrap_or_else(|| panic!("{discover}"));
        assert!(versions.iter().any(|v| v == MODERN), "{mode}: {discover}");
        assert_eq!(discover["result"]["resultType"], "complete", "{mode}: {discover}");

        // The token reaches the tools: whoami reports the token's subject.
        let minted = idp.mint_valid(&url, &["mcp:read"]).unwrap();
        let r = modern_call(&url, Some(&minted.token), "tools/call", Some("whoami"), 3).await;
        assert_eq!(r.status(), StatusCode::OK, "{mode}");
        let who = message(r).await;
        let text = who["result"]["content"][0]["text"].as_str().unwrap_or_else(|| panic!("{mode}: {who}"));
        let who: Value = serde_json::from_str(text).unwrap();
        assert_eq!(who["sub"], minted.claims["sub"], "{mode}: {who}");

        // A token for another audience is refused like no token, with invalid_token.
        let foreign = idp.mint_negative(NegativeToken::WrongAudience, &url, &["mcp:read"]).unwrap().token;
        let r = modern(&url, Some(&foreign), "server/discover", 4).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{mode}");
        assert!(r.headers()["www-authenticate"].to_str().unwrap().contains("error=\"invalid_token\""), "{mode}");

        // The modes differ on the 2025 handshake.
        let r = initialize(&url, &token).await;
        let status = r.status();
        let answer = message(r).await;
        match mode {
            "modern-only" => {
                assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
                assert_eq!(answer["error"]["code"], -32022, "{answer}");
                assert_eq!(answer["error"]["data"]["supported"], json!([MODERN]), "{answer}");
            }
            _ => {
                assert_eq!(status, StatusCode::OK, "{answer}");
                assert_eq!(answer["result"]["protocolVersion"], "2025-11-25", "{answer}");
            }
        }
    }
    idp.shutdown().await;
}

/// The harness's 2026-07-28 probe against the v2 server, once per mode
/// (`tests/scenarios/real/ts-sdk-v2-<mode>.yaml`): every FAILURE and WARNING it earns is listed
/// there (each confirmed by hand with curl; README, "Verdicts on real servers"), every other
/// judged ID is asserted too, and the run is snapshotted like the other real servers'
/// (`CONNECTOR_HARNESS_UPDATE_SNAPSHOTS=1` to accept a reviewed change).
#[tokio::test]
async fn ts_sdk_v2_server_as_judged_by_the_modern_probe() {
    if ts_sdk_v2().is_none() {
        return;
    }
    for mode in ["modern-only", "stateless-legacy"] {
        let report = real::run(&[&format!("tests/scenarios/real/ts-sdk-v2-{mode}.yaml")], None).await;
        assert_eq!(report.results.len(), 1, "{mode}");
    }
}
