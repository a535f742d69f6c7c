//! The connect-based GPT checks fail when ChatGPT's flow breaks at the server's authorization
//! server (mock IdP quirks that reproduce real IdPs) or through a server misconfiguration. Each case
//! names the one GPT ID the failure is attributed to; nothing else may fail.

use crate::support::{Setup, run};
use mock_idp::{MockIdp, Quirk};
use std::sync::Arc;

struct Case {
    name: &'static str,
    setup: Setup,
    fails: &'static str,
}

fn connect_only(profile: &'static str, idp: MockIdp) -> Setup {
    Setup { idp, probes: false, ..Setup::new(profile) }
}

fn cases() -> Vec<Case> {
    let b = MockIdp::builder;
    vec![
        Case {
            name: "no DCR, no CIMD, no static client (OwnerRez, seed 001)",
            setup: connect_only("chatgpt-2026-cimd", b().quirk(Quirk::NoRegistrationEndpoint).quirk(Quirk::NoCimd)),
            fails: "GPT-04",
        },
        Case {
            name: "registration echoes another auth method (Keycloak) to ChatGPT 2025-06",
            setup: connect_only(
                "chatgpt-2025-dcr",
                b().quirk(Quirk::RegistrationAuthMethodOverride("client_secret_basic".into())),
            ),
            fails: "GPT-05",
        },
        Case {
            name: "scopes bound at registration (Clerk): invalid_scope after a scope-less DCR",
            setup: connect_only("chatgpt-2026-cimd", b().quirk(Quirk::NoCimd).quirk(Quirk::ScopesBoundAtRegistration)),
            fails: "GPT-06",
        },
        Case {
            name: "token endpoint refuses the Basic it advertises",
            setup: connect_only("chatgpt-2025-09-dcr-basic", b().quirk(Quirk::BasicAuthRefused)),
            fails: "GPT-07",
        },
        Case {
            name: "aud ignores resource (Keycloak without an audience mapper, seed 003)",
            setup: connect_only("chatgpt-2026-cimd", b().quirk(Quirk::AudienceNotFromResource("account".into()))),
            fails: "GPT-08",
        },
        Case {
            name: "CIMD read through the singular auth method only (invalid_client)",
            setup: connect_only("chatgpt-2026-cimd", b().quirk(Quirk::CimdSingularAuthMethodOnly)),
            fails: "GPT-09",
        },
        Case {
            name: "code_challenge_methods_supported omitted",
            setup: connect_only("chatgpt-2026-cimd", b().quirk(Quirk::NoCodeChallengeMethods)),
            fails: "GPT-10",
        },
        Case {
            name: "RFC 9207 iss advertised but wrong",
            setup: connect_only("chatgpt-2026-cimd", b().quirk(Quirk::IssParameterWrong)),
            fails: "GPT-14",
        },
        Case {
            name: "refresh token expired before the refresh",
            setup: Setup {
                refresh: true,
                expire_refresh: Some(2 * 86_400),
                ..connect_only("chatgpt-2025-09-dcr-basic", b())
            },
            fails: "GPT-15",
        },
        Case {
            name: "DCR rate-limited (Supabase-style 429)",
            setup: connect_only(
                "chatgpt-2026-cimd",
                b().quirk(Quirk::NoCimd).quirk(Quirk::RegistrationRateLimit { max: 0, per_seconds: 300 }),
            ),
            fails: "GPT-17",
        },
        Case {
            name: "the PRM names an issuer without metadata",
            setup: connect_only("chatgpt-2026-cimd", b())
                .server(|s, idp| s.issuer(format!("{}/nowhere", idp.origin()))),
            fails: "GPT-03",
        },
    ]
}

#[tokio::test]
async fn each_broken_step_of_chatgpts_flow_fails_its_gpt_check() {
    let gate = Arc::new(tokio::sync::Semaphore::new(4));
    let mut set = tokio::task::JoinSet::new();
    for case in cases() {
        let gate = gate.clone();
        set.spawn(async move {
            let _permit = gate.acquire_owned().await.expect("semaphore open");
            (case.name, case.fails, run(case.setup).await)
        });
    }
    let mut errors = Vec::new();
    while let Some(done) = set.join_next().await {
        let (name, id, j) = done.expect("case did not panic");
        let problems = j.problems();
        match problems.get(id) {
            Some(f) => eprintln!("{name}: {id} {:?}: {}", f.status, f.description),
            None => errors.push(format!("{name}: {id} did not fail\n{}", j.dump())),
        }
        let others: Vec<&String> = problems.keys().filter(|k| *k != id).collect();
        if !others.is_empty() {
            errors.push(format!("{name}: also failing {others:?}\n{}", j.dump()));
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n\n"));
}
