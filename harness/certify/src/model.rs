//! The certification's data: what the reports render, and what `idp-certification.json` holds.
//! Everything in it is redacted (transcripts by `Transcript::redacted`, every other text by
//! `Transcript::redact_text` of its run).

use mock_client::{CimdFetch, Failure, Transcript};
use serde::{Deserialize, Serialize};

use harness_checks::catalogue::Level;
use harness_checks::model::{Finding, Status};

/// A whole certification of one authorization server.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Certification {
    /// Always `connector-harness idp certification`.
    pub kind: String,
    /// The harness version.
    pub harness_version: String,
    /// Start time, RFC 3339 (UTC).
    pub started_at: String,
    /// Wall time in milliseconds.
    pub duration_ms: u64,
    /// The issuer certified.
    pub issuer: String,
    /// The RFC 8707 resource the flows asked for.
    pub resource: String,
    /// The login driver (`form`, `manual`, `auto`).
    pub login: String,
    /// The worst item status.
    pub status: Status,
    /// One line: certified, or how many items fail.
    pub verdict: String,
    /// One run per profile, and the public-client probe when one was needed.
    pub runs: Vec<ProfileRun>,
    /// Every item, in catalogue order.
    pub items: Vec<Item>,
    /// What the reader should know about how the run went (CIMD not testable, …).
    pub notes: Vec<String>,
    /// How many items and per-flow results show each label of the summary table
    /// ([`Certification::totals`] at the time the certification was made).
    #[serde(default)]
    pub totals: Totals,
}

/// Counts by the labels the summary table shows ([`LABELS`]): every item's overall label, and
/// every per-flow result's, so a WARNING under one flow of an item that FAILs overall is counted
/// too.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Items by their overall label.
    pub items: Vec<(String, usize)>,
    /// Per-flow results (the table's flow columns) by label.
    pub results: Vec<(String, usize)>,
}

/// Every label a status badge can show, in report order.
pub const LABELS: [&str; 6] = ["SUCCESS", "FAILURE", "FAILURE (not tested)", "WARNING", "SKIPPED", "INFO"];

/// A status as its badge reads: `FAILURE (not tested)` when every failing check failed only
/// because a prerequisite did.
pub fn label(s: Status, untestable: bool) -> String {
    let name = match s {
        Status::Success => "SUCCESS",
        Status::Info => "INFO",
        Status::Skipped => "SKIPPED",
        Status::Warning => "WARNING",
        Status::Failure => "FAILURE",
    };
    if untestable && s == Status::Failure { format!("{name} (not tested)") } else { name.to_owned() }
}

fn tally<'a>(labels: impl Iterator<Item = String> + 'a) -> Vec<(String, usize)> {
    let all: Vec<String> = labels.collect();
    LABELS.iter().map(|l| (l.to_string(), all.iter().filter(|x| x == l).count())).collect()
}

/// One flow: a ChatGPT profile's, or the public-client probe's.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProfileRun {
    /// The key item results name (`chatgpt-2026-cimd`, `public-client`).
    pub key: String,
    /// The profile used.
    pub profile: String,
    /// Its display name.
    pub display: String,
    /// Why this run exists.
    pub purpose: String,
    /// "ChatGPT (…) would get a token from this IdP" or "… would fail: "<message>" — because <cause>".
    pub verdict: String,
    /// The flow's failure, if it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
    /// How the client was obtained (`dcr client_secret_post`, `cimd private_key_jwt`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// Requests the IdP sent to the client's metadata host.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cimd_fetches: Vec<CimdFetch>,
    /// Every exchange, redacted.
    pub transcript: Transcript,
    /// Wall time in milliseconds.
    pub duration_ms: u64,
}

/// One certification item.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Item {
    /// `AS-18`, `GPT-07`, `PCC-4`.
    pub id: String,
    /// A few words.
    pub name: String,
    /// How binding it is.
    pub level: Level,
    /// What it requires, in one line.
    pub summary: String,
    /// How the harness decides it.
    pub how: String,
    /// For PCC-*: the AS/GPT items it covers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub maps_to: Vec<String>,
    /// The worst result.
    pub status: Status,
    /// Whether every failing result failed only because a prerequisite did.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub untestable: bool,
    /// One result per run the item applies to.
    pub results: Vec<ItemResult>,
    /// What to change in the IdP, for the failing and warning checks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remedies: Vec<String>,
}

/// An item under one run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ItemResult {
    /// The run's key.
    pub run: String,
    /// The worst check.
    pub status: Status,
    /// Whether every failing check failed only because a prerequisite did.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub untestable: bool,
    /// What was checked (`Finding.exchanges` are seqs of the run's transcript; `details.remedy`
    /// says what to change when it fails).
    pub checks: Vec<Finding>,
    /// The exchanges the checks cite, with a one-line excerpt each.
    pub evidence: Vec<Evidence>,
}

/// One exchange cited as evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// Its seq in the run's transcript.
    pub seq: u32,
    /// `POST http://…/token → 400 {"error":"invalid_grant",…}` (redacted).
    pub excerpt: String,
}

/// Combines statuses: the worst of SUCCESS/WARNING/FAILURE when there is any; else INFO when
/// there is any; else SKIPPED.
pub fn combine(statuses: impl IntoIterator<Item = Status>) -> Status {
    let all: Vec<Status> = statuses.into_iter().collect();
    let decisive = all.iter().copied().filter(|s| matches!(s, Status::Success | Status::Warning | Status::Failure));
    if let Some(worst) = decisive.max_by_key(|s| s.severity()) {
        worst
    } else if all.contains(&Status::Info) {
        Status::Info
    } else {
        Status::Skipped
    }
}

impl Certification {
    /// An item by ID.
    pub fn item(&self, id: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.id == id)
    }

    /// A run by key.
    pub fn run(&self, key: &str) -> Option<&ProfileRun> {
        self.runs.iter().find(|r| r.key == key)
    }

    /// IDs of the items whose status is FAILURE or WARNING for a reason of their own (not only
    /// because a prerequisite failed).
    pub fn problems(&self) -> Vec<&str> {
        self.items
            .iter()
            .filter(|i| i.results.iter().any(|r| r.checks.iter().any(|c| c.status.is_problem() && !c.untestable)))
            .map(|i| i.id.as_str())
            .collect()
    }

    /// Counts of every label the summary table shows: items by their overall badge, and every
    /// per-flow badge.
    pub fn totals(&self) -> Totals {
        Totals {
            items: tally(self.items.iter().map(|i| label(i.status, i.untestable))),
            results: tally(self.items.iter().flat_map(|i| i.results.iter().map(|r| label(r.status, r.untestable)))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combining_statuses() {
        use Status::*;
        assert_eq!(combine([Info, Success, Skipped]), Success);
        assert_eq!(combine([Info, Skipped]), Info);
        assert_eq!(combine([Skipped]), Skipped);
        assert_eq!(combine([]), Skipped);
        assert_eq!(combine([Success, Warning, Info]), Warning);
        assert_eq!(combine([Failure, Warning]), Failure);
    }
}
