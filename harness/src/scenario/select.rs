//! `--filter`: a planned run is selected when any filter term matches its name (substring,
//! case-insensitive), one of its tags, or one of its requirement IDs.

use super::model::Planned;

/// Whether `p` is selected by `filters` (no filters selects everything).
pub fn matches(p: &Planned, filters: &[String]) -> bool {
    filters.is_empty()
        || filters.iter().any(|f| {
            let f = f.to_lowercase();
            p.name.to_lowercase().contains(&f)
                || p.tags.iter().any(|t| t.to_lowercase() == f)
                || p.requirements.iter().any(|r| r.to_lowercase() == f)
                || p.expect.findings.keys().any(|r| r.to_lowercase() == f)
        })
}
