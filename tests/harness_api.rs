//! The cargo-test API as a server author would copy it, and the proof that no secret the mock IdP
//! issued reaches any report or snapshot.

use harness::testing;
use mock_idp::IdpHandle;
use rstest::{fixture, rstest};
use std::sync::Arc;

/// "A running mock IdP": point your server at `idp.issuer()` and `idp.jwks_uri()`.
#[fixture]
async fn idp() -> Arc<IdpHandle> {
    testing::mock_idp().await
}

/// "Your server", started with the IdP's settings. Here the built-in reference server stands in.
#[rstest]
#[tokio::test]
async fn my_server_passes_its_scenarios(#[future] idp: Arc<IdpHandle>) {
    let idp = idp.await;
    let my_server = testing::reference_server(&idp).await;
    testing::assert_scenarios("tests/scenarios/my-server", my_server.url(), &idp).await;
}

/// The same call fails — with the report in the panic message — when the server is broken.
#[rstest]
#[tokio::test]
async fn a_broken_server_fails_them(#[future] idp: Arc<IdpHandle>) {
    let idp = idp.await;
    let broken = harness::reference::ReferenceServer::builder()
        .issuer(idp.issuer())
        .jwks_uri(idp.jwks_uri())
        .fault(harness::reference::Fault::SkipAudienceCheck)
        .start()
        .await
        .unwrap();
    let report = testing::run_scenarios("tests/scenarios/my-server", broken.url(), &idp).await;
    let r = &report.results[0];
    assert!(!r.passed());
    let failing: Vec<&str> = r.expectations.iter().filter(|e| !e.ok).map(|e| e.what.as_str()).collect();
    assert_eq!(failing, ["RS-08: SUCCESS", "RS-10: SUCCESS"]);
}

/// Every secret the IdP issued (client secrets, codes, access and refresh tokens) is absent from
/// every output: JSON, JUnit, Markdown, the verbose terminal report, checks.json and the snapshot.
/// The normalised run itself is an insta snapshot, so `cargo insta review` shows wire changes.
#[rstest]
#[tokio::test]
async fn outputs_carry_no_secret_and_the_snapshot_is_stable(#[future] idp: Arc<IdpHandle>) {
    use harness::report::{json, junit, markdown, terminal};
    let idp = idp.await;
    let server = testing::reference_server(&idp).await;
    let path = "scenarios/reference-resource-server.yaml";
    let report = testing::run_scenarios(path, server.url(), &idp).await;
    let secrets = idp.snapshot().secrets();
    assert!(secrets.len() >= 6, "the run issued secrets: {}", secrets.len());
    let mut outputs = vec![
        ("json", json::render(&report)),
        ("junit", junit::render(&report)),
        ("markdown", markdown::render(&report)),
        (
            "terminal",
            terminal::render(
                &report,
                &terminal::TerminalOptions { color: false, verbosity: harness::report::Verbosity::Exchanges },
            ),
        ),
    ];
    for r in &report.results {
        outputs.push(("checks.json", json::checks_json_at(r, &report.started_at).to_string()));
        outputs.push(("snapshot", harness::snapshot::render(&r.verdict, &r.findings, &r.run.transcript)));
    }
    for (what, text) in &outputs {
        for s in &secrets {
            assert!(!text.contains(s.as_str()), "{what} leaks a secret the IdP issued ({} chars)", s.len());
        }
    }
    assert!(outputs[0].1.contains("[token-1]") && outputs[0].1.contains("[code-1]"), "placeholders are used");
    let spec_run = report.results.iter().find(|r| r.run.profile == "mcp-spec-2025-11-25").unwrap();
    insta::assert_snapshot!(
        "reference_resource_server_spec_client",
        harness::snapshot::render(&spec_run.verdict, &spec_run.findings, &spec_run.run.transcript)
    );
}
