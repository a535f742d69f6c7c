//! `check` against servers nobody vetted: with `--trusted-idp` it mints tokens the server trusts
//! (so a server that skips the audience check gets RS-08 FAILURE), without it those requirements
//! are SKIPPED naming the option, and a server that accepts connections but never answers ends
//! the check with one TARGET finding.

use harness::check::{CheckOptions, check};
use harness::model::{Finding, ScenarioResult, Status};
use harness::reference::{Fault, ReferenceServer};
use harness::trusted_idp::{TrustedIdp, TrustedIdpError};
use mock_idp::MockIdp;
use std::sync::Arc;
use std::time::Duration;

fn options(target: &str, trusted: Option<Arc<TrustedIdp>>, deadline: Duration) -> CheckOptions {
    CheckOptions {
        target: target.into(),
        profile: "mcp-spec-2025-11-25".into(),
        spec: mcp_wire::SpecVersion::V2025_11_25,
        connect: Default::default(),
        deadline,
        concurrency: 4,
        trusted,
        allow_private_addresses: false,
    }
}

/// A mock IdP (fixed test keys, as `connector-harness idp` runs it) and a reference server that
/// trusts it but skips the audience check (RS-08's fault).
async fn idp_and_audience_blind_server() -> (mock_idp::IdpHandle, harness::reference::ReferenceHandle) {
    let idp = MockIdp::builder().start().await.unwrap();
    let server = ReferenceServer::builder()
        .issuer(idp.issuer())
        .jwks_uri(idp.jwks_uri())
        .fault(Fault::SkipAudienceCheck)
        .start()
        .await
        .unwrap();
    (idp, server)
}

fn get<'a>(r: &'a ScenarioResult, id: &str) -> &'a Finding {
    r.findings.iter().find(|f| f.id == id).unwrap_or_else(|| panic!("no {id}: {:#?}", r.findings))
}

#[tokio::test]
async fn a_trusted_idp_lets_check_find_a_server_that_skips_the_audience_check() {
    // The `connector-harness idp` the server trusts (fixed test keys, as the command runs it).
    let (idp, server) = idp_and_audience_blind_server().await;
    let trusted = Arc::new(TrustedIdp::connect(idp.issuer()).await.unwrap());
    let r = check(options(server.url(), Some(trusted), Duration::from_secs(60)), &|_| {}).await;
    assert!(r.error.is_none(), "{r:?}");
    let rs08 = get(&r, "RS-08");
    assert_eq!(rs08.status, Status::Failure, "{rs08:?}");
    assert!(rs08.description.contains("does not validate the audience"), "{}", rs08.description);
    assert_eq!(get(&r, "RS-10").status, Status::Failure);
    assert_eq!(get(&r, "RS-12").status, Status::Success, "{:?}", get(&r, "RS-12"));
    let rs06 = get(&r, "RS-06");
    assert!(rs06.description.contains("the token that expired an hour ago"), "{}", rs06.description);

    // Without the option the same server gets no token verdicts: SKIPPED, naming the option.
    let r = check(options(server.url(), None, Duration::from_secs(60)), &|_| {}).await;
    for id in ["RS-08", "RS-10", "RS-12", "RS-13", "RS-17"] {
        let f = get(&r, id);
        assert_eq!(f.status, Status::Skipped, "{f:?}");
        assert!(f.description.contains("--trusted-idp"), "{}", f.description);
    }
    assert!(get(&r, "RS-06").description.contains("were not sent"));
    assert!(!r.findings.iter().any(|f| f.status == Status::Failure), "{:#?}", r.findings);
}

#[tokio::test]
async fn an_idp_with_other_keys_or_off_loopback_is_refused() {
    let fresh = MockIdp::builder().configure(|c| c.generate_keys = true).start().await.unwrap();
    let e = TrustedIdp::connect(fresh.issuer()).await.unwrap_err();
    assert!(matches!(e, TrustedIdpError::OtherKeys(_)), "{e}");
    let e = TrustedIdp::connect("https://idp.example.com").await.unwrap_err();
    assert!(matches!(e, TrustedIdpError::NotLoopback(_)), "{e}");
    let e = TrustedIdp::connect("http://127.0.0.1:9").await.unwrap_err();
    assert!(matches!(e, TrustedIdpError::Unreadable { .. }), "{e}");
}

#[tokio::test]
async fn a_server_that_never_answers_is_one_finding() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accepts and keeps every connection open, silent (bounded by the test: aborted at the end).
    let silent = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            open.push(s);
        }
    });
    let target = format!("http://127.0.0.1:{port}/mcp");
    // A hang guard, not a timing assertion: the check must return by itself.
    let r =
        tokio::time::timeout(Duration::from_secs(120), check(options(&target, None, Duration::from_secs(4)), &|_| {}))
            .await
            .expect("check ends by its own deadline");
    silent.abort();
    let problems: Vec<&Finding> = r.findings.iter().filter(|f| f.status.is_problem()).collect();
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(problems[0].id, "TARGET");
    assert!(problems[0].description.contains("timed out"), "{}", problems[0].description);
    assert!(r.findings.iter().all(|f| f.id == "TARGET" || f.status == Status::Skipped), "{:#?}", r.findings);
}

/// `run --target URL` with token probes: skipped and SKIPPED without `--trusted-idp` (not "the
/// harness broke"), run through the trusted IdP with it.
#[tokio::test]
async fn run_with_a_target_uses_the_trusted_idp_or_skips_token_probes() {
    use harness::runner::{RunOptions, RunSettings, run_all};
    let (idp, server) = idp_and_audience_blind_server().await;
    let scenario = harness::scenario::load_str(
        "token-probes",
        "name: token probes\nprofile: mcp-spec-2025-11-25\nsteps: [connect, {probes: [negative_tokens, insufficient_scope]}]\n",
    )
    .unwrap();
    let run = |trusted: Option<Arc<TrustedIdp>>| {
        let opts = RunOptions {
            jobs: 1,
            target: Some(server.url().to_owned()),
            settings: RunSettings { trusted, ..Default::default() },
            ..Default::default()
        };
        let loaded = vec![scenario.clone()];
        async move { run_all(&loaded, &opts, |_| {}).await.results.remove(0) }
    };
    let r = run(None).await;
    assert!(r.error.is_none(), "{:?}", r.error);
    assert_eq!(get(&r, "RS-08").status, Status::Skipped);
    assert!(get(&r, "RS-08").description.contains("--trusted-idp"));
    let trusted = Arc::new(TrustedIdp::connect(idp.issuer()).await.unwrap());
    let r = run(Some(trusted)).await;
    assert!(r.error.is_none(), "{:?}", r.error);
    assert_eq!(get(&r, "RS-08").status, Status::Failure, "{:#?}", r.findings);
}
