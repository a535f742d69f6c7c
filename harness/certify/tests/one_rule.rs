//! GPT-04…GPT-09 have one judge each (`harness_checks::checks::chatgpt::gpt_0N_rule`, with the one
//! failure attribution `gpt_blame`): certify-idp's items and the scenario checks must reach the same
//! status from the same transcript. Each mock-IdP quirk that breaks one of these steps (and the
//! ones where the two paths used to disagree: a rate-limited registration, a refused `iss`) is
//! certified; every profile run's transcript and failure then go through the scenario checks as a
//! run record, and each ID's decided status (SUCCESS, WARNING, FAILURE) must be the same on both
//! sides — also when one side says nothing: a step one side calls reached and the other not is a
//! disagreement too. A change to either side's reading alone breaks this.
//!
//! GPT-09 fails only on `invalid_client`: `cimd_token_refused_invalid_grant` refuses a CIMD code
//! exchange otherwise, so a side that failed GPT-09 on any refusal would disagree here.
//!
//! GPT-14 and GPT-21 (#14: the dual-era profile's Apps submission rule) share their rules too, and
//! are compared where both sides judge them.
//!
//! GPT-08 is the exception in kind, not in rule: certification has no MCP server, so it feeds the
//! rule the token's `aud`, and the scenario checks (which see the MCP calls) have nothing to say
//! about a flow that never called one. Its rule is compared in the unit tests of `chatgpt.rs`.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use harness_certify::run::{CertifyConfig, RunKind, certify_observed};
use harness_checks::model::{RunRecord, Status};
use mock_client::Outcome;
use mock_idp::{MockIdp, Quirk};

/// The IDs judged by one rule on both sides.
const IDS: [&str; 8] = ["GPT-04", "GPT-05", "GPT-06", "GPT-07", "GPT-08", "GPT-09", "GPT-14", "GPT-21"];

/// IDs compared only where both sides decide: GPT-08 (see above), and GPT-14/GPT-21, which the
/// scenario checks judge from the code exchange on while certify judges the authorization response.
const WHERE_BOTH_DECIDE: [&str; 3] = ["GPT-08", "GPT-14", "GPT-21"];

/// Each quirk (as `--quirk` spells it; `""` for none), and the IDs both sides must decide as it
/// says in at least one run — so the comparison is never vacuous.
const CASES: &[(&str, &[(&str, Status)])] = &[
    (
        "",
        &[
            ("GPT-04", Status::Success),
            ("GPT-05", Status::Success),
            ("GPT-06", Status::Success),
            ("GPT-07", Status::Success),
            ("GPT-09", Status::Success),
        ],
    ),
    ("no_registration_endpoint", &[("GPT-04", Status::Failure)]),
    ("basic_auth_refused", &[("GPT-07", Status::Failure)]),
    ("client_id_required_in_body", &[("GPT-07", Status::Failure)]),
    ("registration_auth_method_override=client_secret_basic", &[("GPT-05", Status::Failure)]),
    ("trusted_hosts=example.com", &[("GPT-05", Status::Failure), ("GPT-04", Status::Success)]),
    // The registration answered 429 (GPT-17): the path exists, so GPT-04 is SUCCESS on both sides.
    ("registration_rate_limit=1/300", &[("GPT-04", Status::Success)]),
    ("scopes_bound_at_registration", &[("GPT-06", Status::Failure)]),
    ("cimd_singular_auth_method_only", &[("GPT-09", Status::Failure)]),
    ("no_private_key_jwt", &[("GPT-09", Status::Success)]),
    // A CIMD code exchange refused with invalid_grant, not invalid_client: GPT-07 fails, and GPT-09
    // (which only invalid_client fails) is decided by neither side — certify reading "fail GPT-09 on
    // any refusal" would break this.
    ("cimd_token_refused_invalid_grant", &[("GPT-07", Status::Failure)]),
    // ChatGPT refuses the response for its iss (GPT-14), but a code was issued: GPT-06 SUCCESS.
    ("iss_parameter_wrong", &[("GPT-06", Status::Success)]),
    // #14: the dual-era profile's GPT-21 and the dated profile's GPT-14, each by its one rule.
    ("iss_parameter_not_advertised", &[("GPT-21", Status::Warning), ("GPT-14", Status::Warning)]),
];

/// The statuses that decide something (not SKIPPED or INFO).
fn decided(statuses: impl IntoIterator<Item = Status>) -> BTreeSet<String> {
    statuses
        .into_iter()
        .filter(|s| matches!(s, Status::Success | Status::Warning | Status::Failure))
        .map(|s| format!("{s:?}"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certify_and_the_scenario_checks_judge_gpt_04_to_09_alike() {
    let mut set = tokio::task::JoinSet::new();
    for (arg, want) in CASES {
        set.spawn(async move {
            let mut b = MockIdp::builder();
            if !arg.is_empty() {
                b = b.quirk(Quirk::parse_cli(arg).unwrap());
            }
            let idp = Arc::new(b.start().await.unwrap());
            let mut cfg = CertifyConfig::new(idp.issuer());
            // AS-18's wait moves the mock IdP's clock instead of taking 35 s.
            let clock = idp.clone();
            cfg.wait = Some(Arc::new(move |d: Duration| {
                clock.advance_clock(d.as_secs() as i64);
                Box::pin(async {})
            }));
            let (obs, cert) = certify_observed(&cfg).await.unwrap();
            (*arg, *want, obs, cert)
        });
    }
    let mut problems = Vec::new();
    let mut compared = 0;
    while let Some(r) = set.join_next().await {
        let (arg, want, obs, cert) = r.unwrap();
        let mut seen: Vec<(String, BTreeSet<String>, BTreeSet<String>)> = Vec::new();
        for run in obs.runs.iter().filter(|r| r.kind == RunKind::Profile) {
            let record = RunRecord {
                target: obs.resource.clone(),
                profile: run.profile.name.clone(),
                profile_display: run.profile.display.clone(),
                spec_version: mcp_wire::SpecVersion::NEWEST_LEGACY,
                // Certification stops at the token: no MCP connect was attempted.
                outcome: match &run.result {
                    Ok(_) => Outcome::NotAttempted,
                    Err(f) => Outcome::Failed(f.clone()),
                },
                transcript: run.transcript.clone(),
            };
            let scenario = harness_checks::checks::run(&record);
            for id in IDS {
                let s = decided(scenario.iter().filter(|f| f.id == id).map(|f| f.status));
                let Some(item) = cert.item(id) else { continue };
                let c = decided(
                    item.results
                        .iter()
                        .filter(|r| r.run == run.key)
                        .flat_map(|r| &r.checks)
                        .filter(|f| !f.untestable)
                        .map(|f| f.status),
                );
                // Both decide, or neither does (a step the flow never reached); GPT-08 only where
                // both could see something (see the module comment).
                if !WHERE_BOTH_DECIDE.contains(&id) || (!s.is_empty() && !c.is_empty()) {
                    compared += 1;
                    if s != c {
                        let said = |x: &mut dyn Iterator<Item = String>| x.collect::<Vec<_>>().join(" | ");
                        problems.push(format!(
                            "{arg:?} {} {id}: scenario {s:?} ({}), certify {c:?} ({})",
                            run.key,
                            said(&mut scenario.iter().filter(|f| f.id == id).map(|f| f.description.clone())),
                            said(
                                &mut item
                                    .results
                                    .iter()
                                    .filter(|r| r.run == run.key)
                                    .flat_map(|r| &r.checks)
                                    .map(|f| f.description.clone())
                            )
                        ));
                    }
                }
                seen.push((id.to_owned(), s, c));
            }
        }
        for (id, status) in want {
            let status = format!("{status:?}");
            let both = seen.iter().any(|(i, s, c)| i == id && s.contains(&status) && c.contains(&status));
            if !both {
                problems.push(format!("{arg:?}: no run where both sides decide {id} {status}: {seen:?}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    eprintln!("{compared} statuses compared");
    assert!(compared >= 200, "only {compared} comparisons");
}
