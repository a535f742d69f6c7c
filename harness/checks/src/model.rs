//! The plain data that flows from the runner to checks to reports.
//!
//! One direction: scenario → runner → [`RunRecord`] (the transcript and what the run knows) →
//! checks → [`Finding`]s → [`ScenarioResult`] → reports. Reports and snapshots read these types
//! and nothing else, so a saved JSON report can be re-checked and re-rendered offline.

use harness_transcript::{Outcome, Transcript};
use mcp_wire::SpecVersion;
use serde::{Deserialize, Serialize};

/// A finding's status. The names and meanings match the official conformance suite's
/// `checks.json`, so users can merge both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    /// The requirement holds.
    Success,
    /// Informational; never fails a run.
    Info,
    /// Not tested in this run: not applicable (a different spec version, a feature not in use),
    /// or the probe did not run or its prerequisite failed. The description says why and what
    /// would make it testable.
    Skipped,
    /// A SHOULD is not met.
    Warning,
    /// A MUST is not met. Never "could not be tested": that is [`Status::Skipped`] with the reason.
    Failure,
}

impl Status {
    /// `SUCCESS`, `FAILURE`, … as in the suite's `checks.json` (the serde name, without serde).
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Success => "SUCCESS",
            Status::Info => "INFO",
            Status::Skipped => "SKIPPED",
            Status::Warning => "WARNING",
            Status::Failure => "FAILURE",
        }
    }
}

impl Status {
    /// Severity for collapsing repeated IDs: FAILURE > WARNING > SUCCESS > SKIPPED > INFO.
    pub fn severity(self) -> u8 {
        match self {
            Status::Info => 0,
            Status::Skipped => 1,
            Status::Success => 2,
            Status::Warning => 3,
            Status::Failure => 4,
        }
    }
    /// Whether this status fails a run.
    pub fn is_problem(self) -> bool {
        matches!(self, Status::Failure | Status::Warning)
    }
}

/// A reference into a specification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecRef {
    /// Short id, e.g. `MCP-2025-11-25-authorization` or `RFC9728`.
    pub id: String,
    /// The published page (`https://www.rfc-editor.org/rfc/rfc9728.html#section-3`); none for
    /// sources without one (the project's research notes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Where in it, as the catalogue cites it: `§3.3`, or lines of the spec source at the commit
    /// the research names (`L469-470`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

/// One check result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Requirement ID from the catalogue (`RS-08`, `GPT-04`, `H-13`, `AS-23`).
    pub id: String,
    /// Short name of what was checked.
    pub name: String,
    /// Status.
    pub status: Status,
    /// One sentence: what was expected and what happened.
    pub description: String,
    /// Spec references.
    #[serde(default, skip_serializing_if = "Vec::is_empty", rename = "specReferences")]
    pub spec_refs: Vec<SpecRef>,
    /// Structured detail (expected vs actual, headers seen…); secrets already redacted.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub details: serde_json::Value,
    /// The transcript exchanges (`seq`) that prove it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exchanges: Vec<u32>,
    /// certify-idp's "not tested" mark on a FAILURE (its own convention, see `certify`). The checks
    /// of a scenario run never set it: a requirement they could not test is [`Status::Skipped`].
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub untestable: bool,
}

/// Keeps one finding per ID, the most severe (ties keep the last), as the conformance suite's
/// collapse does; INFO findings are all kept.
pub fn collapse(findings: Vec<Finding>) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::new();
    for f in findings {
        if f.status == Status::Info {
            out.push(f);
            continue;
        }
        match out.iter_mut().find(|x| x.id == f.id && x.status != Status::Info) {
            Some(x) if f.status.severity() >= x.status.severity() => {
                let mut merged = f;
                for e in &x.exchanges {
                    if !merged.exchanges.contains(e) {
                        merged.exchanges.push(*e);
                    }
                }
                *x = merged;
            }
            Some(x) => {
                for e in f.exchanges {
                    if !x.exchanges.contains(&e) {
                        x.exchanges.push(e);
                    }
                }
            }
            None => out.push(f),
        }
    }
    out
}

/// Everything a run produced, before checks: what the checks read.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunRecord {
    /// The MCP server URL under test (the canonical resource).
    pub target: String,
    /// The client profile used.
    pub profile: String,
    /// Its display name ("ChatGPT (2026 CIMD profile)").
    pub profile_display: String,
    /// The MCP spec version the run is judged against (`2025-06-18` or `2025-11-25`); the same
    /// string as before on the wire, so saved records read back unchanged.
    pub spec_version: SpecVersion,
    /// How the connect ended.
    pub outcome: Outcome,
    /// Every exchange, redacted.
    pub transcript: Transcript,
}

/// What a run is about before it starts: the [`RunRecord`] fields known up front.
#[derive(Debug, Clone)]
pub struct RunHead {
    /// The MCP server URL (empty until a target is started).
    pub target: String,
    /// The client profile name.
    pub profile: String,
    /// Its display name (the name itself until the profile loads).
    pub profile_display: String,
    /// The MCP spec version judged against.
    pub spec_version: SpecVersion,
}

/// What a scenario expected about one finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpectationResult {
    /// What was expected (`RS-08: SUCCESS`, `outcome: failed`, `chatgpt_says: …`, `snapshot: x`).
    pub what: String,
    /// What happened.
    pub actual: String,
    /// Whether they agree.
    pub ok: bool,
}

/// One scenario (one matrix entry) after checks.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScenarioResult {
    /// Scenario name (`file stem` or `file stem[profile]` for matrix entries).
    pub name: String,
    /// Its file.
    pub file: String,
    /// Tags.
    pub tags: Vec<String>,
    /// The run.
    pub run: RunRecord,
    /// Findings after collapsing.
    pub findings: Vec<Finding>,
    /// The scenario's expectations and whether they held.
    pub expectations: Vec<ExpectationResult>,
    /// The one-line verdict ("ChatGPT (…) would connect" / "would fail: … — because …").
    pub verdict: String,
    /// Wall time in milliseconds.
    pub duration_ms: u64,
    /// Set when the harness itself broke (could not start the target, bad scenario at run time);
    /// such a result is an error, not a finding about the server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Whose fault `error` is: the user's input (exit 2) or the harness (exit 3). Meaningless
    /// without `error`.
    #[serde(default, skip_serializing_if = "ErrorTier::is_harness")]
    pub error_tier: ErrorTier,
}

/// Why a scenario could not be run: kept apart from "the server failed" (a finding) all the way
/// to the exit code.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorTier {
    /// The user's input is wrong: a scenario asks for what it does not provide, a target URL
    /// without a scheme, the user's server command failing to start or exiting before it was
    /// ready (exit 2).
    Input,
    /// The harness itself broke (exit 3).
    #[default]
    Harness,
}

impl ErrorTier {
    /// Whether this is the harness's fault (the default).
    pub fn is_harness(&self) -> bool {
        *self == ErrorTier::Harness
    }
}

impl ScenarioResult {
    /// A result before anything ran: no outcome yet ([`Outcome::NotAttempted`]), no findings, no
    /// verdict. The runner and `check` both start from it, so neither can begin "connected".
    pub fn not_run(name: String, file: String, tags: Vec<String>, run: RunHead) -> ScenarioResult {
        ScenarioResult {
            name,
            file,
            tags,
            run: RunRecord {
                target: run.target,
                profile: run.profile,
                profile_display: run.profile_display,
                spec_version: run.spec_version,
                outcome: Outcome::NotAttempted,
                transcript: Default::default(),
            },
            findings: Vec::new(),
            expectations: Vec::new(),
            verdict: String::new(),
            duration_ms: 0,
            error: None,
            error_tier: Default::default(),
        }
    }

    /// Whether the scenario is as expected: no harness error, every expectation held, and — for
    /// finding IDs the scenario did not name — no FAILURE or WARNING.
    pub fn passed(&self) -> bool {
        self.error.is_none() && self.expectations.iter().all(|e| e.ok) && self.unexpected_problems().is_empty()
    }

    /// FAILURE/WARNING findings the expectations did not name.
    pub fn unexpected_problems(&self) -> Vec<&Finding> {
        self.findings
            .iter()
            .filter(|f| f.status.is_problem())
            .filter(|f| !self.expectations.iter().any(|e| e.what.starts_with(&format!("{}:", f.id))))
            .collect()
    }
}

/// A whole run of the harness: every scenario result. This is what `--report-dir` writes as JSON
/// and what every reporter renders.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunReport {
    /// The harness version.
    pub harness_version: String,
    /// Start time, RFC 3339 (UTC).
    pub started_at: String,
    /// Wall time in milliseconds.
    pub duration_ms: u64,
    /// Results in a stable order (by scenario name).
    pub results: Vec<ScenarioResult>,
}
