//! Runs every check over a record, judges version applicability in one place, and collapses
//! repeated IDs.

use super::common::View;
use crate::catalogue;
use crate::model::{Finding, RunRecord, Status, collapse};
use mcp_wire::SpecVersion;

/// All findings for a run, one per requirement ID (the worst, as the conformance suite collapses
/// them; INFO findings are all kept). A requirement that does not apply to the run's spec version
/// (RS-04/12/13/14/17 under 2025-06-18) is reported SKIPPED, with what would have been found.
pub fn run(record: &RunRecord) -> Vec<Finding> {
    super::common::parsed_once(|| judge(record))
}

fn judge(record: &RunRecord) -> Vec<Finding> {
    let v = View::new(record);
    if let Some(f) = unreachable(&v) {
        return f;
    }
    let all: Vec<Finding> = super::registry::RULES.iter().flat_map(|r| (r.judge)(&v)).collect();
    // On a server that speaks 2026-07-28 only, the legacy-only findings become SKIPPED; the era is reported.
    let all = super::modern::judged(&v, all);
    let mut out = collapse(all.into_iter().map(|f| applicable(f, record.spec_version)).collect());
    out.sort_by_key(|f| super::registry::order(&f.id));
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
    out.extend(super::registry::ids().map(|id| {
        v.skipped(
            id,
            "Not tested: the target never answered over HTTP (see TARGET).",
            Vec::new(),
            serde_json::Value::Null,
        )
    }));
    Some(out)
}

fn applicable(mut f: Finding, spec_version: SpecVersion) -> Finding {
    let Some(req) = catalogue::get(&f.id) else { return f };
    // The 2026-07-28 checks gate themselves on the era the server was seen speaking.
    if super::modern::IDS.contains(&f.id.as_str()) || super::modern_auth::IDS.contains(&f.id.as_str()) {
        return f;
    }
    if req.applies_to(spec_version.as_str()) || matches!(f.status, Status::Info | Status::Skipped) {
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
