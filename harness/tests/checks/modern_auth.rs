//! The 2026-07-28 authorization checks (RS-21…RS-28) against the reference server: faultless in
//! the dual and modern-only eras → SUCCESS (RS-23 recorded as INFO); each RS-2x `ModernFault` →
//! its ID fails and no other of these IDs changes; a legacy-only server → SKIPPED; without a
//! parent scope RS-24 is SKIPPED and says how to test it.

use crate::support::{Judged, Setup, run};
use harness::checks::modern_auth::IDS;
use harness::model::Status;
use harness::probes::Probe;
use harness::reference::{Era, ModernFault};

async fn judged_with(era: Era, fault: Option<ModernFault>, parent_scope: Option<&str>) -> Judged {
    let mut setup = Setup::modern("chatgpt-2026-cimd", era, fault);
    setup.extra = vec![Probe::ModernAuth { parent_scope: parent_scope.map(str::to_owned) }];
    run(setup).await
}

async fn judged(era: Era, fault: Option<ModernFault>) -> Judged {
    judged_with(era, fault, Some("mcp")).await
}

/// The one finding of `id` under 2025-11-25.
fn status(j: &Judged, id: &str) -> Status {
    let s: Vec<Status> = j.by_version[0].1.iter().filter(|f| f.id == id).map(|f| f.status).collect();
    assert_eq!(s.len(), 1, "{id}: {s:?}\n{}", j.dump());
    s[0]
}

fn clean(id: &str) -> Status {
    if id == "RS-23" { Status::Info } else { Status::Success }
}

#[tokio::test]
async fn a_faultless_server_passes_every_authorization_rule_in_both_modern_eras() {
    for era in [Era::Dual, Era::Modern] {
        let j = judged(era, None).await;
        for (v, list) in &j.by_version {
            for id in IDS {
                let f = list.iter().find(|f| f.id == *id).unwrap_or_else(|| panic!("{id} reported under {v}"));
                assert_eq!(f.status, clean(id), "{era:?} {v} {id}: {}", f.description);
                assert_eq!(f.details["era"], "2026-07-28", "{id}");
            }
        }
    }
}

#[tokio::test]
async fn each_authorization_fault_fails_its_id_and_no_other() {
    let faults = [
        (ModernFault::OfflineAccessAdvertised, "RS-21", Status::Warning),
        (ModernFault::OneScopeAtATime, "RS-22", Status::Warning),
        (ModernFault::ScopeHierarchyIgnored, "RS-24", Status::Failure),
        (ModernFault::HandleActsAsOwner, "RS-25", Status::Failure),
        (ModernFault::PredictableHandles, "RS-26", Status::Warning),
        (ModernFault::PrivateResultMarkedPublic, "RS-27", Status::Failure),
        (ModernFault::PrmResourceTrailingSlash, "RS-28", Status::Failure),
    ];
    for (fault, id, want) in faults {
        for era in [Era::Dual, Era::Modern] {
            let j = judged(era, Some(fault)).await;
            assert_eq!(status(&j, id), want, "{fault:?} {era:?}\n{}", j.dump());
            for other in IDS.iter().filter(|o| **o != id) {
                assert_eq!(status(&j, other), clean(other), "{fault:?} {era:?} {other}\n{}", j.dump());
            }
        }
    }
}

#[tokio::test]
async fn the_authorization_rules_are_skipped_on_a_legacy_only_server() {
    let j = judged(Era::Legacy, None).await;
    for id in IDS {
        let f = j.get(id).expect("reported");
        assert_eq!(f.status, Status::Skipped, "{id}: {}", f.description);
        assert!(f.description.contains("does not speak 2026-07-28"), "{id}: {}", f.description);
    }
}

#[tokio::test]
async fn without_a_parent_scope_the_hierarchy_is_not_tested_and_the_finding_says_how() {
    let j = judged_with(Era::Modern, Some(ModernFault::ScopeHierarchyIgnored), None).await;
    let f = j.get("RS-24").expect("reported");
    assert_eq!(f.status, Status::Skipped, "{}", f.description);
    assert!(f.description.contains("parent_scope"), "{}", f.description);
}
