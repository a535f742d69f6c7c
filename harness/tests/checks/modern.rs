//! The 2026-07-28 checks against the reference server in each era: no fault → SUCCESS, each
//! `ModernFault` of a judged ID → FAILURE/WARNING on that ID; legacy-only checks SKIPPED on a
//! modern-only server; the modern checks SKIPPED on a legacy-only one.

use crate::support::{Judged, Setup, run};
use harness::checks::modern::{IDS, LEGACY_ONLY};
use harness::model::Status;
use harness::reference::{Era, ModernFault};

async fn judged(era: Era, fault: Option<ModernFault>) -> Judged {
    run(Setup::modern("chatgpt-2026-cimd", era, fault)).await
}

/// Every finding of `id` under 2025-11-25 (INFO findings repeat an ID).
fn statuses(j: &Judged, id: &str) -> Vec<Status> {
    j.by_version[0].1.iter().filter(|f| f.id == id).map(|f| f.status).collect()
}

/// The one judged (non-INFO) finding of `id`, or its one INFO finding when it has only that
/// (H-42 reports which eras the server serves as INFO).
fn judged_status(j: &Judged, id: &str) -> Status {
    let all = statuses(j, id);
    let s: Vec<Status> = all.iter().copied().filter(|s| *s != Status::Info).collect();
    if s.is_empty() && all == [Status::Info] {
        return Status::Info;
    }
    assert_eq!(s.len(), 1, "{id}: {s:?}\n{}", j.dump());
    s[0]
}

/// What a faultless reference server gets: SUCCESS, except H-41, which is only for modern-only
/// servers (SKIPPED on a dual-era one), and H-42, INFO (which eras it serves). H-32 is judged on a
/// dual-era server too, on its `Last-Event-ID` half only.
fn expected_clean(era: Era, id: &str) -> Status {
    match id {
        "H-41" if era != Era::Modern => Status::Skipped,
        "H-42" => Status::Info,
        _ => Status::Success,
    }
}

/// What a fault does to an ID other than its own: a server that does not compare a header at
/// all cannot show whether it decodes (H-26) or compares case-sensitively (H-28) — SKIPPED.
fn expected_with(fault: ModernFault, era: Era, id: &str) -> Status {
    match (fault, id) {
        (ModernFault::NameHeaderIgnored, "H-26") | (ModernFault::MethodHeaderIgnored, "H-28") => Status::Skipped,
        _ => expected_clean(era, id),
    }
}

#[tokio::test]
async fn the_era_is_detected_and_the_modern_checks_pass_on_a_faultless_server() {
    for (era, name) in [(Era::Dual, "both"), (Era::Modern, "modern")] {
        let j = judged(era, None).await;
        let f = j.by_version[0].1.iter().find(|f| f.id == "ERA").expect("an ERA finding");
        assert_eq!(f.details["eras"], name, "{}", j.dump());
        for id in IDS {
            assert_eq!(judged_status(&j, id), expected_clean(era, id), "{era:?} {id}\n{}", j.dump());
        }
        // Whether server/discover needs a token is recorded, not judged.
        assert!(statuses(&j, "H-36").contains(&Status::Info), "{}", j.dump());
        // Judged whatever revision the run names.
        for (v, list) in &j.by_version {
            for id in IDS {
                let want = expected_clean(era, id);
                let f = list.iter().find(|f| f.id == *id && (f.status != Status::Info || want == Status::Info));
                let f = f.expect("judged");
                assert_eq!(f.status, want, "{v} {id}: {}", f.description);
                if f.status == Status::Success {
                    assert_eq!(f.details["era"], "2026-07-28");
                }
            }
        }
    }
}

#[tokio::test]
async fn legacy_only_checks_are_skipped_on_a_modern_only_server() {
    let j = judged(Era::Modern, None).await;
    for id in LEGACY_ONLY {
        for s in statuses(&j, id) {
            assert_eq!(s, Status::Skipped, "{id}\n{}", j.dump());
        }
    }
    let rs16 = j.get("RS-16").expect("RS-16 reported");
    assert!(rs16.description.contains("speaks 2026-07-28 only"), "{}", rs16.description);
}

#[tokio::test]
async fn the_modern_checks_are_skipped_on_a_legacy_only_server() {
    let j = judged(Era::Legacy, None).await;
    let f = j.by_version[0].1.iter().find(|f| f.id == "ERA").expect("an ERA finding");
    assert_eq!(f.details["eras"], "legacy", "{}", j.dump());
    assert!(!statuses(&j, "H-36").contains(&Status::Info), "{}", j.dump());
    for id in IDS {
        let f = j.get(id).expect("reported");
        assert_eq!(f.status, Status::Skipped, "{id}: {}", f.description);
        assert!(f.description.contains("does not speak 2026-07-28"), "{}", f.description);
    }
    // The legacy checks are judged as before.
    assert_eq!(j.get("RS-16").map(|f| f.status), Some(Status::Success), "{}", j.dump());
}

#[tokio::test]
async fn each_modern_fault_fails_its_id_and_no_other_modern_id() {
    let both: &[Era] = &[Era::Dual, Era::Modern];
    // H-24 and H-32's GET/DELETE/session halves are judged as such only on a modern-only server
    // (see `expected_clean`, H-24's legacy default on a dual-era one, and the next test).
    let modern: &[Era] = &[Era::Modern];
    let faults = [
        (ModernFault::NoDiscover, "H-36", both),
        (ModernFault::NoResultType, "H-35", both),
        (ModernFault::NoCachingHints, "H-37", both),
        (ModernFault::NoServerInfoMeta, "H-38", both),
        (ModernFault::UnknownMethodAs200, "H-23", both),
        (ModernFault::VersionHeaderMismatchAccepted, "H-21", both),
        (ModernFault::UnsupportedVersionWithoutList, "H-22", both),
        (ModernFault::MethodHeaderIgnored, "H-25", both),
        (ModernFault::MissingMetaAccepted, "H-33", both),
        (ModernFault::MissingVersionHeaderAccepted, "H-24", modern),
        (ModernFault::SessionIdOnModernResponses, "H-32", modern),
        (ModernFault::GetServesStream, "H-32", modern),
        (ModernFault::DeleteAccepted, "H-32", modern),
        (ModernFault::ReplaysOnLastEventId, "H-32", both),
        (ModernFault::ResumesIssuedEventIds, "H-32", both),
        (ModernFault::NameHeaderIgnored, "H-25", both),
        (ModernFault::Base64NameNotDecoded, "H-26", both),
        (ModernFault::ParamHeaderIgnored, "H-27", both),
        (ModernFault::MethodHeaderCaseInsensitive, "H-28", both),
        (ModernFault::RequestOnResponseStream, "H-29", both),
        (ModernFault::MissingCapabilityIgnored, "H-34", both),
        (ModernFault::ResourceNotFoundAs32002, "H-39", both),
        (ModernFault::DiscoverRequiredFirst, "H-40", both),
        (ModernFault::InitializeErrorWithoutVersions, "H-41", modern),
        (ModernFault::SessionIdOnModernResponses, "H-42", &[Era::Dual]),
        (ModernFault::ToolOrderVaries, "H-44", both),
        (ModernFault::LogWithoutLogLevel, "H-44", both),
    ];
    for (fault, id, eras) in faults {
        for &era in eras {
            let j = judged(era, Some(fault)).await;
            // SHOULDs are WARNING; so is H-42's contradiction and H-44's order (its log half is
            // a MUST NOT).
            let should = matches!(id, "H-38" | "H-32" | "H-41" | "H-42")
                || (id == "H-44" && fault == ModernFault::ToolOrderVaries);
            let want = if should { Status::Warning } else { Status::Failure };
            assert_eq!(judged_status(&j, id), want, "{fault:?} {era:?}\n{}", j.dump());
            for other in IDS.iter().filter(|o| **o != id) {
                let clean = expected_with(fault, era, other);
                assert_eq!(judged_status(&j, other), clean, "{fault:?} {era:?} {other}\n{}", j.dump());
            }
        }
    }
}

/// H-32's `Last-Event-ID` request resumes from an SSE event id the server issued earlier in the
/// run where there is one, so a server that resumes only for its own ids (`ResumesIssuedEventIds`)
/// is caught; where there is none the id is invented, and the finding says what that leaves unseen.
#[tokio::test]
async fn the_last_event_id_probe_sends_an_issued_id_and_says_when_it_invented_one() {
    let h32 = |j: &Judged| {
        let f = j.by_version[0].1.iter().find(|f| f.id == "H-32" && f.status != Status::Info).cloned();
        f.unwrap_or_else(|| panic!("H-32 judged\n{}", j.dump()))
    };
    let j = judged(Era::Modern, Some(ModernFault::ResumesIssuedEventIds)).await;
    let f = h32(&j);
    assert_eq!(f.status, Status::Warning, "{}", f.description);
    assert!(
        f.description.contains("Last-Event-ID ev-") && f.description.contains("the server issued in #"),
        "{}",
        f.description
    );
    for era in [Era::Dual, Era::Modern] {
        let f = h32(&judged(era, None).await);
        assert_eq!(f.status, Status::Success, "{}", f.description);
        assert!(f.description.contains("Last-Event-ID 1 (invented"), "{}", f.description);
        assert!(
            f.description.contains("resumes only for event ids it issued would pass this unseen"),
            "{}",
            f.description
        );
    }
}

/// A dual-era server's 2025 side may serve GET (a stream) and DELETE (its sessions'): H-32 stays
/// SUCCESS there (its `Last-Event-ID` half) with a GET stream too, and the GET/DELETE answers are
/// recorded as INFO.
#[tokio::test]
async fn get_and_delete_are_info_on_a_dual_era_server() {
    for (fault, what) in [
        (Some(ModernFault::GetServesStream), "GET stayed open"),
        // The 2025 side answers a DELETE without a session id 400 (H-13's rule for a session call).
        (None, "DELETE got HTTP 400"),
    ] {
        let j = judged(Era::Dual, fault).await;
        assert_eq!(judged_status(&j, "H-32"), Status::Success, "{fault:?}\n{}", j.dump());
        let info = j.by_version[0].1.iter().find(|f| f.id == "H-32" && f.status == Status::Info);
        let info = info.unwrap_or_else(|| panic!("{fault:?}: no H-32 INFO\n{}", j.dump()));
        assert!(info.description.contains(what), "{fault:?}: {}", info.description);
    }
}

/// On a modern-only server each H-32 fault names its own half in the finding.
#[tokio::test]
async fn each_h32_fault_names_its_half() {
    for (fault, what) in [
        (ModernFault::GetServesStream, "still open after"),
        (ModernFault::DeleteAccepted, "DELETE with MCP-Protocol-Version 2026-07-28 got HTTP 200"),
        (ModernFault::ReplaysOnLastEventId, "a replay of an earlier stream"),
        (ModernFault::SessionIdOnModernResponses, "carry Mcp-Session-Id"),
    ] {
        let j = judged(Era::Modern, Some(fault)).await;
        let f = j.by_version[0].1.iter().find(|f| f.id == "H-32" && f.status == Status::Warning).expect("H-32 WARNING");
        assert!(f.description.contains(what), "{fault:?}: {}", f.description);
    }
}
