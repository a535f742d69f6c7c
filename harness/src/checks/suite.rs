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
    "GPT-18",
];

/// All findings for a run, one per requirement ID (the worst, as the conformance suite collapses
/// them; INFO findings are all kept). A requirement that does not apply to the run's spec version
/// (RS-04/12/13/14/17 under 2025-06-18) is reported SKIPPED, with what would have been found.
pub fn run(record: &RunRecord) -> Vec<Finding> {
    let v = View::new(record);
    let mut all = Vec::new();
    all.extend(super::prm::all(&v));
    all.extend(super::challenge::all(&v));
    all.extend(super::tokens::all(&v));
    all.extend(super::session::all(&v));
    all.extend(super::transport::all(&v));
    all.extend(super::chatgpt::all(&v));
    let mut out = collapse(all.into_iter().map(|f| applicable(f, &record.spec_version)).collect());
    out.sort_by_key(|f| CHECKED.iter().position(|id| *id == f.id).unwrap_or(usize::MAX));
    out
}

fn applicable(mut f: Finding, spec_version: &str) -> Finding {
    let Some(req) = catalogue::get(&f.id) else { return f };
    if req.applies_to(spec_version) || matches!(f.status, Status::Info | Status::Skipped) {
        return f;
    }
    f.description = format!(
        "Not judged under {spec_version} (the requirement is from {}): {}",
        req.versions.join(", "),
        f.description
    );
    f.status = Status::Skipped;
    f.untestable = false;
    f
}
