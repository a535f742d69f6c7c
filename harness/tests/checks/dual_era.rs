//! The dual-era ChatGPT (profile `chatgpt-2026-08-dual-era`) judged end to end: GPT-19, GPT-20 and
//! GPT-21 are SUCCESS on the faultless reference server in each era, and each fails by its fixture
//! (`discover_inconsistent`, `get_not_found`, the IdP without RFC 9207) and by nothing else.

use crate::support::{Setup, run, status};
use harness::model::Status;
use harness::reference::{Era, Fault, ModernFault};
use mock_idp::{MockIdp, Quirk};

const DUAL: &str = "chatgpt-2026-08-dual-era";
const MINE: [&str; 3] = ["GPT-19", "GPT-20", "GPT-21"];

#[tokio::test]
async fn the_faultless_reference_server_passes_gpt_19_to_21_in_each_era() {
    for era in [Era::Dual, Era::Modern, Era::Legacy] {
        let j = run(Setup { probes: false, ..Setup::new(DUAL) }.server(move |b, _| b.era(era))).await;
        assert!(j.record.outcome.connected(), "{era:?}\n{}", j.dump());
        assert!(j.problems().is_empty(), "{era:?}: problems\n{}", j.dump());
        for id in MINE {
            assert_eq!(status(&j, id), Some(Status::Success), "{era:?} {id}\n{}", j.dump());
        }
        let gpt19 = j.get("GPT-19").unwrap();
        let legacy = gpt19.description.contains("falls back to initialize");
        assert_eq!(legacy, era == Era::Legacy, "{}", gpt19.description);
        // On the 2026-07-28 path there is no initialize: GPT-11 says so instead of judging it.
        let gpt11 = status(&j, "GPT-11");
        assert_eq!(gpt11, Some(if era == Era::Legacy { Status::Success } else { Status::Info }), "{era:?}");
    }
}

#[tokio::test]
async fn each_fixture_fails_its_gpt_id_and_no_other() {
    let cases: Vec<(&str, Setup, Status)> = vec![
        (
            "GPT-19",
            Setup { probes: false, ..Setup::new(DUAL) }
                .server(|b, _| b.era(Era::Modern).modern_fault(ModernFault::DiscoverInconsistent)),
            Status::Failure,
        ),
        (
            "GPT-20",
            Setup { probes: false, ..Setup::new(DUAL) }.server(|b, _| b.fault(Fault::GetNotFound)),
            // A SHOULD: one source (tunnel-client#35).
            Status::Warning,
        ),
        (
            "GPT-21",
            Setup {
                probes: false,
                idp: MockIdp::builder().quirk(Quirk::IssParameterNotAdvertised),
                ..Setup::new(DUAL)
            },
            Status::Warning,
        ),
    ];
    for (id, setup, want) in cases {
        let j = run(setup).await;
        assert_eq!(status(&j, id), Some(want), "{id}\n{}", j.dump());
        let others: Vec<String> = j.problems().into_keys().filter(|k| k != id).collect();
        assert!(others.is_empty(), "{id}'s fixture also fails {others:?}\n{}", j.dump());
        let f = j.get(id).unwrap();
        let message = match id {
            "GPT-19" => "MCP server/discover response was inconsistent",
            "GPT-20" => "MCP SSE probe returned 404",
            _ => "Missing OAuth callback data",
        };
        assert!(f.description.contains(message), "{id}: {}", f.description);
    }
}

/// A modern-only server fails the dated profile's 2025 handshake, but today's ChatGPT connects:
/// GPT-11 says both, as a WARNING, not a confident FAILURE.
#[tokio::test]
async fn gpt_11_on_a_modern_only_server_is_era_aware() {
    let j = run(Setup { probes: false, ..Setup::new("chatgpt-2026-cimd") }.server(|b, _| b.era(Era::Modern))).await;
    let f = j.get("GPT-11").expect("GPT-11 reported");
    assert_eq!(f.status, Status::Warning, "{}", j.dump());
    assert!(
        f.description.contains("server/discover") && f.description.contains("chatgpt-2026-08-dual-era"),
        "{}",
        f.description
    );
}
