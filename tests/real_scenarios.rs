//! The scenario runner against real software: each target of `tests/scenarios/real/` under every
//! shipped client profile (`<target>.yaml`, a matrix) and with the active probes that apply to it
//! (`<target>-probes.yaml`). Every FAILURE and WARNING a target earns is listed in its scenario's
//! `expect`, and every run is a snapshot in `tests/scenarios/real/snapshots/`, so a change of
//! verdict — ours or the server's — fails here and shows up in review. the README's "Verdicts on real servers"
//! is the table of these verdicts, with the hand-confirmed exchanges behind each finding.
//!
//! The servers are installed, pinned, by `scripts/install-deps.sh`; without them these tests say
//! they were skipped, and under `CONNECTOR_HARNESS_REQUIRE_REAL_SERVERS=1` (the README's test
//! command) they fail. `CONNECTOR_HARNESS_UPDATE_SNAPSHOTS=1` rewrites the snapshots instead of
//! comparing (review the diff before committing it); a mismatch leaves `<name>.snap.new` next to
//! the snapshot, as the runner does.

mod support;

use harness::model::RunReport;
use support::real::{run, stabilise};
use support::*;

#[test]
fn stabilise_replaces_http_dates_session_ids_and_id_tokens() {
    let text = "---\nsource: x\n---\n  < set-cookie: a=[cookie-1]; expires=Sun, 22 Nov 2026 07:56:56 GMT; path=/\n  < mcp-session-id: 30b598f93162427b8361613258669638\n  < mcp-session-id: [session-id-1]\n  > body: é Mon, 1 Jan\n  < body: {\"access_token\":\"[token-3]\",\"id_token\":\"[token-4]\"}\n";
    assert_eq!(
        stabilise(text),
        "---\nsource: x\n---\n  < set-cookie: a=[cookie-1]; expires=[time]; path=/\n  < mcp-session-id: [opaque]\n  < mcp-session-id: [session-id-1]\n  > body: é Mon, 1 Jan\n  < body: {\"access_token\":\"[token-3]\",\"id_token\":\"[id-token]\"}\n"
    );
}

/// The profiles every `<target>.yaml` matrix runs, in order: the shipped OAuth profiles, today's
/// ChatGPT (the default profile) among them.
const PROFILES: [&str; 7] = [
    "chatgpt-2025-dcr",
    "chatgpt-2025-09-dcr-basic",
    "chatgpt-2026-cimd",
    "chatgpt-2026-cimd-stable-iss",
    mock_client::profile::TODAYS_CHATGPT,
    "claude",
    "mcp-spec-2025-11-25",
];

/// The connect matrix of `report` (its first six runs) covers exactly [`PROFILES`].
fn assert_every_profile(report: &RunReport) {
    let profiles: Vec<&str> = report.results.iter().take(PROFILES.len()).map(|r| r.run.profile.as_str()).collect();
    assert_eq!(profiles, PROFILES, "the matrix runs every shipped OAuth profile");
}

/// The installed Node 22 and TypeScript SDK, or `None` (skip, or fail under the test command).
fn ts_sdk() -> Option<()> {
    node22()?;
    dep("ts-sdk/node_modules/@modelcontextprotocol/sdk/package.json")?;
    dep("ts-sdk/node_modules/jose/package.json")?;
    Some(())
}

/// The TypeScript SDK's own example, `simpleStreamableHttp.js --oauth`, with its demo
/// authorization server.
#[tokio::test]
async fn ts_sdk_example_server() {
    if ts_sdk().is_none() {
        return;
    }
    let r = run(&["tests/scenarios/real/ts-sdk-example.yaml", "tests/scenarios/real/ts-sdk-example-probes.yaml"], None)
        .await;
    assert_every_profile(&r);
}

/// Our resource server from the TypeScript SDK's bearer-auth middleware, trusting the mock IdP.
#[tokio::test]
async fn ts_sdk_resource_server() {
    if ts_sdk().is_none() {
        return;
    }
    let r = run(
        &[
            "tests/scenarios/real/ts-sdk-resource-server.yaml",
            "tests/scenarios/real/ts-sdk-resource-server-probes.yaml",
        ],
        None,
    )
    .await;
    assert_every_profile(&r);
}

/// The official Python SDK (`mcp`) with a token verifier trusting the mock IdP.
#[tokio::test]
async fn python_sdk_server() {
    if venv_python().is_none() {
        return;
    }
    let r = run(&["tests/scenarios/real/python-sdk.yaml", "tests/scenarios/real/python-sdk-probes.yaml"], None).await;
    assert_every_profile(&r);
}

/// The same Python SDK server on its 2026-07-28 side (it serves both eras on one endpoint).
#[tokio::test]
async fn python_sdk_server_2026_07_28() {
    if venv_python().is_none() {
        return;
    }
    let r = run(&["tests/scenarios/real/python-sdk-modern.yaml"], None).await;
    let f = r.results[0].findings.iter().find(|f| f.id == "H-21").expect("H-21 judged");
    assert_eq!(f.status, harness::model::Status::Failure, "{}", f.description);
}

/// FastMCP with its JWT verifier trusting the mock IdP.
#[tokio::test]
async fn fastmcp_jwt_verifier() {
    if venv_python().is_none() {
        return;
    }
    let r = run(&["tests/scenarios/real/fastmcp-jwt.yaml", "tests/scenarios/real/fastmcp-jwt-probes.yaml"], None).await;
    assert_every_profile(&r);
}

/// FastMCP as its own authorization server (the in-memory OAuth provider).
#[tokio::test]
async fn fastmcp_in_memory_oauth() {
    if venv_python().is_none() {
        return;
    }
    let r = run(
        &[
            "tests/scenarios/real/fastmcp-inmemory-oauth.yaml",
            "tests/scenarios/real/fastmcp-inmemory-oauth-probes.yaml",
        ],
        None,
    )
    .await;
    assert_every_profile(&r);
}

/// oidc-provider as the authorization server (its dev login and consent pages, through the form
/// login driver), the reference MCP server trusting it as the resource server. The scenarios'
/// own target is a placeholder: the runner is pointed at the reference server started here.
#[tokio::test]
async fn oidc_provider_as_authorization_server() {
    use harness::reference::ReferenceServer;
    let Some((_oidc, issuer)) = oidc_provider().await else { return };
    let meta: serde_json::Value =
        http().get(format!("{issuer}/.well-known/openid-configuration")).send().await.unwrap().json().await.unwrap();
    let server =
        ReferenceServer::builder().issuer(&issuer).jwks_uri(meta["jwks_uri"].as_str().unwrap()).start().await.unwrap();
    let r = run(
        &["tests/scenarios/real/oidc-provider.yaml", "tests/scenarios/real/oidc-provider-probes.yaml"],
        Some(server.url().to_owned()),
    )
    .await;
    assert_every_profile(&r);
}
