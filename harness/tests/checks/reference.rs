//! The correct reference server: no FAILURE or WARNING, and every check reports what it verified.

use crate::support::{Setup, run, status};
use harness::model::Status;

/// What the reference server must pass under 2025-11-25 with ChatGPT's 2026 profile, probes and a
/// refresh. GPT-05 and GPT-17 need dynamic registration (the 2026 profile uses a metadata document
/// with the mock IdP), GPT-13 a tool-level challenge (the reference answers 403 instead).
const SUCCESS: &[&str] = &[
    "RS-01", "RS-02", "RS-03", "RS-04", "RS-05", "RS-06", "RS-07", "RS-08", "RS-09", "RS-10", "RS-12", "RS-13",
    "RS-14", "RS-15", "RS-16", "RS-17", "RS-18", "RS-19", "H-02", "H-04", "H-05", "H-06", "H-07", "H-09", "H-12",
    "H-13", "H-14", "H-15", "H-16", "H-17", "GPT-01", "GPT-02", "GPT-03", "GPT-04", "GPT-06", "GPT-07", "GPT-08",
    "GPT-09", "GPT-10", "GPT-11", "GPT-12", "GPT-14", "GPT-15", "GPT-16",
];

#[tokio::test]
async fn the_reference_server_passes_everything_chatgpt_2026_checks() {
    let j = run(Setup { refresh: true, ..Setup::new("chatgpt-2026-cimd") }).await;
    assert!(j.record.outcome.connected(), "{}", j.dump());
    assert!(j.problems().is_empty(), "problems on the reference server:\n{}", j.dump());
    for id in SUCCESS {
        assert_eq!(status(&j, id), Some(Status::Success), "{id}\n{}", j.dump());
    }
    assert_eq!(status(&j, "RS-20"), Some(Status::Info));
    assert_eq!(status(&j, "GPT-18"), Some(Status::Skipped), "no manifest is served");
    for id in ["GPT-05", "GPT-13", "GPT-17"] {
        assert_eq!(status(&j, id), None, "{id} has nothing to judge\n{}", j.dump());
    }
    // Under 2025-06-18 the 2025-11-25-only SHOULDs are reported SKIPPED, everything else the same.
    let (v, old) = &j.by_version[1];
    assert_eq!(*v, "2025-06-18");
    for id in ["RS-04", "RS-12", "RS-13", "RS-14", "RS-17"] {
        assert_eq!(old.iter().find(|f| f.id == id).map(|f| f.status), Some(Status::Skipped), "{id}");
    }
    assert_eq!(old.iter().find(|f| f.id == "RS-03").map(|f| f.status), Some(Status::Success));
    // A saved record re-checks offline to the same findings.
    let saved = serde_json::to_string(&j.record).expect("records serialize");
    let back: harness::model::RunRecord = serde_json::from_str(&saved).expect("and read back");
    assert_eq!(harness::checks::run(&back), j.by_version[0].1);
    // Every finding is catalogued and carries its spec references and exchanges.
    for f in &j.by_version[0].1 {
        assert!(harness::catalogue::get(&f.id).is_some(), "{}", f.id);
        assert!(!f.spec_refs.is_empty() && !f.description.is_empty(), "{f:?}");
        if f.status == Status::Success {
            assert!(!f.exchanges.is_empty(), "{} names no exchange", f.id);
        }
    }
}

#[tokio::test]
async fn the_reference_server_passes_with_the_spec_client_too() {
    let j = run(Setup::new("mcp-spec-2025-11-25")).await;
    assert!(j.record.outcome.connected(), "{}", j.dump());
    assert!(j.problems().is_empty(), "problems on the reference server:\n{}", j.dump());
    // The connect-based GPT checks need a ChatGPT profile; the server-side ones still run.
    for id in ["GPT-03", "GPT-04", "GPT-07", "GPT-08"] {
        assert_eq!(status(&j, id), None, "{id}");
    }
    for id in ["GPT-01", "GPT-02", "GPT-12", "GPT-16", "RS-06", "RS-15", "H-14"] {
        assert_eq!(status(&j, id), Some(Status::Success), "{id}\n{}", j.dump());
    }
}
