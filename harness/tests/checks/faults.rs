//! Every `Fault` of the reference server makes its requirement IDs fail — and nothing else newly
//! fails, except what the table below lists with its reason.

use crate::support::{Judged, Setup, run};
use harness::reference::Fault;
use std::collections::BTreeSet;
use std::sync::Arc;

/// IDs a fault also breaks, beyond `Fault::requirements()`, and why.
fn also_fails(fault: Fault) -> &'static [(&'static str, &'static str)] {
    match fault {
        Fault::NoPrm => &[("RS-19", "the challenge still names the root PRM URL, which now answers 404")],
        Fault::PrmWithoutAuthorizationServers => {
            &[("GPT-01", "ChatGPT requires the root PRM to list an authorization server, so the connect fails")]
        }
        Fault::PrmOnlyAtPath => &[("RS-19", "the challenge names the root PRM URL, which the fault removed")],
        Fault::PrmUrlUnfetchable => &[("GPT-02", "the challenge no longer names the host-root PRM")],
        Fault::InsufficientScopeAs401 => {
            &[("RS-05", "the spec's status table (MUST) says 403 for insufficient scope, 401 is the wrong status")]
        }
        Fault::MalformedToolChallenge => &[
            ("RS-12", "the fault needs mixed_auth, which answers insufficient scope at the tool level, not with 403"),
            (
                "RS-17",
                "the malformed tool-level challenge is also the insufficient-scope one, without resource_metadata",
            ),
        ],
        Fault::PlainTextResponses => {
            &[("H-05", "answers come as text/plain whatever the Accept, a type neither one-type request accepted")]
        }
        _ => &[],
    }
}

async fn judged(fault: Option<Fault>) -> Judged {
    let setup = Setup::new("chatgpt-2026-cimd");
    let setup = match fault {
        // Tool-level challenges exist only under mixed authentication (seed 002).
        Some(f @ Fault::MalformedToolChallenge) => setup.server(move |b, _| b.mixed_auth(true).fault(f)),
        // Only a profile that sends ChatGPT's 2026-08 GET probe meets a GET answered 404.
        Some(f @ Fault::GetNotFound) => Setup::new("chatgpt-2026-08-dual-era").server(move |b, _| b.fault(f)),
        Some(f) => setup.server(move |b, _| b.fault(f)),
        None => setup,
    };
    run(setup).await
}

#[tokio::test]
async fn every_fault_fails_its_requirements_and_nothing_else() {
    let baseline: BTreeSet<String> = judged(None).await.problems().into_keys().collect();
    assert!(baseline.is_empty(), "the reference server has problems: {baseline:?}");
    let gate = Arc::new(tokio::sync::Semaphore::new(4));
    let mut set = tokio::task::JoinSet::new();
    for &fault in Fault::ALL {
        let gate = gate.clone();
        set.spawn(async move {
            let _permit = gate.acquire_owned().await.expect("semaphore open");
            (fault, judged(Some(fault)).await)
        });
    }
    let mut errors = Vec::new();
    let mut table = Vec::new();
    while let Some(done) = set.join_next().await {
        let (fault, j) = done.expect("fault run did not panic");
        let problems = j.problems();
        let expected: BTreeSet<&str> = fault.requirements().iter().copied().collect();
        let allowed: BTreeSet<&str> =
            expected.iter().copied().chain(also_fails(fault).iter().map(|(id, _)| *id)).collect();
        for id in &expected {
            if !problems.contains_key(*id) {
                errors.push(format!("{fault:?}: {id} did not fail\n{}", j.dump()));
            }
        }
        for (id, f) in &problems {
            if !allowed.contains(id.as_str()) && !baseline.contains(id) {
                errors.push(format!("{fault:?}: {id} also fails ({:?}: {})", f.status, f.description));
            }
        }
        for (id, why) in also_fails(fault) {
            if !problems.contains_key(*id) {
                errors.push(format!("{fault:?}: {id} is listed as also failing ({why}) but does not"));
            }
        }
        let row: Vec<String> = problems.iter().map(|(id, f)| format!("{id}={:?}", f.status)).collect();
        table.push(format!("{fault:?}: {}", row.join(" ")));
    }
    table.sort();
    eprintln!("{}", table.join("\n"));
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}
