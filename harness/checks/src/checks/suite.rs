//! Runs every check over a record, judges version applicability in one place, and collapses
//! repeated IDs.

use super::common::View;
use crate::catalogue;
use crate::model::{Finding, RunRecord, Status, collapse};

/// Every requirement ID the checks can report, in catalogue order.
pub const CHECKED: &[&str] = &[
    "RS-01", "RS-02", "RS-03", "RS-04", "RS-05", "RS-06", "RS-07", "RS-08", "RS-09", "RS-10", "RS-12", "RS-13",
    "RS-14", "RS-15", "RS-16", "RS-17", "RS-18", "RS-19", "RS-20", "H-02", "H-04", "H-05", "H-06", "H-07", "H-09",
    "H-12", "H-13", "H-14", "H-15", "H-16", "H-17", "GPT-01", "GPT-02", "GPT-03", "GPT-04", "GPT-05", "GPT-06",
    "GPT-07", "GPT-08", "GPT-09", "GPT-10", "GPT-11", "GPT-12", "GPT-13", "GPT-14", "GPT-15", "GPT-16", "GPT-17",
    "GPT-18", "H-21", "H-22", "H-23", "H-24", "H-25", "H-32", "H-33", "H-35", "H-36", "H-37", "H-38",
];

/// All findings for a run, one per requirement ID (the worst, as the conformance suite collapses
/// them; INFO findings are all kept). A requirement that does not apply to the run's spec version
/// (RS-04/12/13/14/17 under 2025-06-18) is reported SKIPPED, with what would have been found.
pub fn run(record: &RunRecord) -> Vec<Finding> {
    let v = View::new(record);
    if let Some(f) = unreachable(&v) {
        return f;
    }
    let mut all = Vec::new();
    all.extend(super::prm::all(&v));
    all.extend(super::challenge::all(&v));
    all.extend(super::tokens::all(&v));
    all.extend(super::session::all(&v));
    all.extend(super::transport::all(&v));
    all.extend(super::chatgpt::all(&v));
    all = super::modern::judged(&v, all);
    let mut out = collapse(all.into_iter().map(|f| applicable(f, &record.spec_version)).collect());
    out.sort_by_key(|f| CHECKED.iter().position(|id| *id == f.id).unwrap_or(usize::MAX));
    out
}

/// The ID of the finding about the target itself (not a requirement): it never answered over HTTP.
pub const TARGET: &str = "TARGET";

/// When not one request to the target's origin got an HTTP answer (connection refused, timed out,
/// not HTTP), that is the one finding, and every requirement is SKIPPED: judging them from
/// transport errors would blame the server for what was never observed.
fn unreachable(v: &View<'_>) -> Option<Vec<Finding>> {
    let origin = v.target_url().map(|u| u.origin())?;
    let to_target: Vec<_> =
        v.exchanges().iter().filter(|e| url::Url::parse(&e.url).is_ok_and(|u| u.origin() == origin)).collect();
    if to_target.is_empty() || to_target.iter().any(|e| e.status.is_some()) {
        return None;
    }
    let mut errors: Vec<String> = Vec::new();
    for e in &to_target {
        let err = e.error.clone().unwrap_or_else(|| "no answer".into());
        if !errors.contains(&err) {
            errors.push(err);
        }
    }
    let reason = format!(
        "{} got no HTTP answer from {} ({} request{}: {})",
        v.target(),
        origin.ascii_serialization(),
        to_target.len(),
        if to_target.len() == 1 { "" } else { "s" },
        errors.join("; ")
    );
    let mut out = vec![Finding {
        id: TARGET.to_owned(),
        name: "The target answers over HTTP".to_owned(),
        status: Status::Failure,
        description: format!(
            "The target is unreachable or does not speak HTTP: {reason}. Check the URL, that the server is running and listening there, and that it answers HTTP."
        ),
        spec_refs: Vec::new(),
        details: serde_json::json!({"requests": to_target.len(), "errors": errors}),
        exchanges: to_target.iter().map(|e| e.seq).collect(),
        untestable: false,
    }];
    out.extend(CHECKED.iter().map(|id| {
        v.skipped(
            id,
            "Not tested: the target never answered over HTTP (see TARGET).",
            Vec::new(),
            serde_json::Value::Null,
        )
    }));
    Some(out)
}

fn applicable(mut f: Finding, spec_version: &str) -> Finding {
    let Some(req) = catalogue::get(&f.id) else { return f };
    // The 2026-07-28 checks gate themselves on the era the server was seen speaking.
    if super::modern::IDS.contains(&f.id.as_str()) {
        return f;
    }
    if req.applies_to(spec_version) || matches!(f.status, Status::Info | Status::Skipped) {
        return f;
    }
    f.description = format!(
        "Not judged under {spec_version} (the requirement is from {}): {}",
        catalogue::versions_text(&req.versions),
        f.description
    );
    f.status = Status::Skipped;
    f
}
