//! The cargo-test API as a server author would copy it, and the proof that no secret the mock IdP
//! issued reaches any report or snapshot. The README's Rust examples are this file's code, word for
//! word: `the_readmes_rust_examples_are_compiled_here` fails when either side changes alone.

use harness::testing::{self, IdpHandle};
use rstest::{fixture, rstest};
use std::sync::Arc;

/// A running mock IdP: point your server at `idp.issuer()` and `idp.jwks_uri()`.
#[fixture]
async fn idp() -> Arc<IdpHandle> {
    testing::mock_idp().await
}

/// Your server, started with the IdP's settings, passes the scenarios kept beside its tests
/// (here the built-in reference server stands in for it).
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
    let broken = testing::ReferenceServer::builder()
        .issuer(idp.issuer())
        .jwks_uri(idp.jwks_uri())
        .fault(testing::Fault::SkipAudienceCheck)
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

/// The README's mock-IdP library example ("As a library, in a test"), compiled and run.
#[tokio::test]
#[allow(unused_variables)]
async fn the_mock_idp_as_a_library() -> Result<(), Box<dyn std::error::Error>> {
    use mock_idp::{MockIdp, NegativeToken, Quirk};

    let idp = MockIdp::builder().issuer_path("/tenant1").quirk(Quirk::NoAudience).start().await?;
    // Point your server at idp.issuer() and idp.jwks_uri(), then:
    let good = idp.mint_valid("http://127.0.0.1:8000/mcp", &["mcp:read"])?;
    for kind in NegativeToken::ALL {
        let bad = idp.mint_negative(kind, "http://127.0.0.1:8000/mcp", &["mcp:read"])?;
        // expect 401 from your server for bad.token
    }
    let seen = idp.snapshot(); // registered clients, authorization requests, codes, tokens, request log
    idp.advance_clock(61); // codes and refresh tokens expire without sleeping
    Ok(())
}

/// The README's ```rust blocks that this file does not hold word for word (at some indentation).
fn blocks_not_here(readme: &str, code: &str) -> Vec<String> {
    let mut missing = Vec::new();
    let mut block: Option<Vec<&str>> = None;
    for line in readme.lines() {
        match (&mut block, line.trim_end()) {
            (None, "```rust") => block = Some(Vec::new()),
            (Some(b), "```") => {
                let found = [0, 4, 8].iter().any(|n| {
                    let pad = " ".repeat(*n);
                    let indented: Vec<String> =
                        b.iter().map(|l| if l.is_empty() { String::new() } else { format!("{pad}{l}") }).collect();
                    code.contains(&format!("{}\n", indented.join("\n")))
                });
                if !found {
                    missing.push(b.join("\n"));
                }
                block = None;
            }
            (Some(b), _) => b.push(line),
            (None, _) => {}
        }
    }
    missing
}

/// Every Rust example in the README is code this test file compiles and runs, so the README cannot
/// show an API that does not exist; and a README edit alone is caught.
#[test]
fn the_readmes_rust_examples_are_compiled_here() {
    let root = env!("CARGO_MANIFEST_DIR");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    let code = std::fs::read_to_string(format!("{root}/tests/harness_api.rs")).unwrap();
    assert!(readme.matches("```rust").count() >= 2, "the README shows the cargo-test API and the mock IdP");
    let missing = blocks_not_here(&readme, &code);
    assert!(missing.is_empty(), "README blocks not in tests/harness_api.rs:\n{}", missing.join("\n---\n"));
    let drifted = readme.replacen("testing::mock_idp().await", "testing::mock_idp()", 1);
    assert_eq!(blocks_not_here(&drifted, &code).len(), 1, "an edited README block is caught");
}

/// The scenario directory `inner_assert_scenarios` runs (set by the test that starts it).
const SCENARIO_DIR_VAR: &str = "HARNESS_API_SCENARIO_DIR";

/// `assert_scenarios` as a user's test calls it, on a directory given by the environment; run only
/// in a child process by `snapshots_are_accepted_from_cargo_test_with_the_variable`.
#[tokio::test]
#[ignore = "started in a child process by snapshots_are_accepted_from_cargo_test_with_the_variable"]
async fn inner_assert_scenarios() {
    let dir = std::env::var(SCENARIO_DIR_VAR).expect("started by the outer test");
    let idp = testing::mock_idp().await;
    let server = testing::reference_server(&idp).await;
    testing::assert_scenarios(&dir, server.url(), &idp).await;
}

/// A new snapshot fails `cargo test` with a message naming the variable (and writes only
/// `.snap.new`); `CONNECTOR_HARNESS_UPDATE_SNAPSHOTS=1 cargo test` accepts it; the next plain run
/// matches it.
#[test]
fn snapshots_are_accepted_from_cargo_test_with_the_variable() {
    let dir = std::env::temp_dir().join(format!("ch-harness-api-snap-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("snap.yaml"),
        "name: a snapshot accepted from cargo test\nsteps:\n  - connect\nprofile: mcp-spec-2025-11-25\n\
         expect:\n  outcome: connected\n  snapshot: accepted-from-cargo-test\n",
    )
    .unwrap();
    let kept = dir.join("snapshots/accepted-from-cargo-test.snap");
    let cargo_test = |update: Option<&str>| {
        let mut c = std::process::Command::new(std::env::current_exe().unwrap());
        c.args(["--ignored", "--exact", "inner_assert_scenarios"]).env(SCENARIO_DIR_VAR, &dir);
        match update {
            Some(v) => c.env(testing::UPDATE_SNAPSHOTS_VAR, v),
            None => c.env_remove(testing::UPDATE_SNAPSHOTS_VAR),
        };
        let o = c.output().unwrap();
        (o.status.success(), format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)))
    };
    let (ok, out) = cargo_test(None);
    assert!(!ok, "a missing snapshot fails: {out}");
    assert!(out.contains("CONNECTOR_HARNESS_UPDATE_SNAPSHOTS=1 cargo test"), "the panic says how to accept: {out}");
    assert!(!kept.exists() && kept.with_extension("snap.new").exists(), "only .snap.new is written");
    let (ok, out) = cargo_test(Some("0"));
    assert!(!ok && !kept.exists(), "`0` does not accept: {out}");
    let (ok, out) = cargo_test(Some("1"));
    assert!(ok && kept.exists(), "the variable accepts it: {out}");
    assert!(!kept.with_extension("snap.new").exists(), "the .snap.new is gone");
    let (ok, out) = cargo_test(None);
    assert!(ok, "the accepted snapshot matches the next run: {out}");
    let _ = std::fs::remove_dir_all(&dir);
}
