//! GPT-13 end to end (seed 002): ChatGPT connects to a server with the Apps SDK's mixed
//! authentication through an IdP that advertises only its OpenID Connect scopes (as Auth0 does),
//! calls a protected tool, gets a tool-level `_meta["mcp/www_authenticate"]` challenge, signs in
//! again for the named scope (phase step-up) and the retried call succeeds. With the challenge
//! malformed, GPT-13 fails.

use harness::checks;
use harness::model::{RunRecord, Status};
use harness::reference::{Fault, ReferenceServer};
use mock_client::{Client, ConnectOptions, Phase, profile};
use mock_idp::MockIdp;
use serde_json::json;
use std::sync::Arc;

async fn call_protected_tool(fault: Option<Fault>) -> (RunRecord, serde_json::Value) {
    let idp = MockIdp::builder()
        .configure(|c| {
            c.advertised_scopes = Some(["openid", "profile", "offline_access", "mcp:read"].map(String::from).to_vec())
        })
        .start()
        .await
        .expect("mock IdP starts");
    let idp = Arc::new(idp);
    let mut b = ReferenceServer::builder().issuer(idp.issuer()).jwks_uri(idp.jwks_uri()).mixed_auth(true);
    if let Some(f) = fault {
        b = b.fault(f);
    }
    let server = b.start().await.expect("reference server starts");
    let rewrite = idp.clone();
    let opts = ConnectOptions {
        cimd_rewrite: Some(Arc::new(move |from: &str, to: &str| rewrite.add_fetch_rewrite(from, to))),
        ..Default::default()
    };
    let mut client = Client::new(profile::builtin("chatgpt-2026-cimd").expect("profile"), opts);
    let outcome = client.connect(server.url()).await.expect("connect runs");
    assert!(outcome.connected(), "{outcome:?}");
    assert!(
        !client.granted_scope().unwrap_or_default().contains("mcp:write"),
        "the connect asks only for advertised scopes"
    );
    let result = client.call_tool("write_note", json!({"text": "hi"})).await.expect("the call is answered");
    let record = RunRecord {
        target: server.url().to_owned(),
        profile: "chatgpt-2026-cimd".into(),
        profile_display: client.profile().display.clone(),
        spec_version: mcp_wire::SpecVersion::V2025_11_25,
        outcome,
        transcript: client.transcript().redacted(),
    };
    (record, result)
}

#[tokio::test]
async fn chatgpt_signs_in_again_on_a_tool_level_challenge_and_the_call_succeeds() {
    let (record, result) = call_protected_tool(None).await;
    assert_eq!(result["structuredContent"], json!({"ok": true}), "{result}");
    let ex = &record.transcript.exchanges;
    let step_up: Vec<_> = ex.iter().filter(|e| e.phase == Phase::StepUp).collect();
    assert_eq!(step_up.len(), 2, "one authorization and one token request: {step_up:#?}");
    assert!(step_up[0].url.contains("scope=mcp%3Awrite"), "the challenged scope is asked for: {}", step_up[0].url);
    let findings = checks::run(&record);
    let gpt13 = findings.iter().find(|f| f.id == "GPT-13").expect("GPT-13 judged");
    assert_eq!(gpt13.status, Status::Success, "{gpt13:?}");
    assert!(gpt13.description.contains("signed in again"), "{}", gpt13.description);
    assert!(findings.iter().all(|f| !f.status.is_problem()), "{findings:#?}");
}

#[tokio::test]
async fn a_challenge_without_resource_metadata_fails_gpt_13() {
    let (record, _) = call_protected_tool(Some(Fault::MalformedToolChallenge)).await;
    let findings = checks::run(&record);
    let gpt13 = findings.iter().find(|f| f.id == "GPT-13").expect("GPT-13 judged");
    assert_eq!(gpt13.status, Status::Failure, "{gpt13:?}");
    assert!(gpt13.description.contains("names no resource_metadata"), "{}", gpt13.description);
    let others: Vec<&str> =
        findings.iter().filter(|f| f.status.is_problem() && f.id != "GPT-13").map(|f| f.id.as_str()).collect();
    assert!(others.is_empty(), "{others:?}");
}
