//! Expected failures, with the official MCP conformance suite's semantics, and the exit code.
//!
//! A baseline is a YAML file:
//!
//! ```yaml
//! # why each entry is expected to fail, as comments
//! expected_failures:
//!   - no-root-prm                 # the whole scenario may fail
//!   - "nbf-not-checked:RS-06"     # only this finding may be FAILURE/WARNING
//! ```
//!
//! (a plain top-level list is accepted too; quote entries with `[`, `:` or `#` in a flow list
//! `[…]`). A scenario *fails* when `!result.passed()`; a
//! `scenario:ID` entry *matches* when that scenario's finding `ID` is FAILURE or WARNING.
//! [`apply`] sorts every entry and every failure into: listed failures (fine), unlisted failures
//! (regressions) and stale entries (listed, but the scenario or finding now passes — this fails the
//! run too, so the baseline is kept honest). Entries naming scenarios that did not run (a filtered
//! run) are only reported.

use std::path::{Path, PathBuf};

use serde_json::Value;

use harness_checks::model::{RunReport, ScenarioResult};

/// Process exit codes of a run.
pub mod exit {
    /// Every scenario as expected (with a baseline: only listed failures, nothing stale).
    pub const OK: u8 = 0;
    /// The server under test failed a check: unexpected findings, failed expectations,
    /// regressions against the baseline, or stale baseline entries.
    pub const FINDINGS: u8 = 1;
    /// Usage or configuration error (bad arguments, unreadable scenario or baseline file);
    /// returned by the caller before anything runs.
    pub const USAGE: u8 = 2;
    /// The harness itself broke in at least one scenario (`ScenarioResult::error`): could not
    /// start the target, a scenario went wrong at run time. Takes precedence over 1.
    pub const HARNESS_ERROR: u8 = 3;
}

/// One baseline entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BaselineEntry {
    /// `scenario`: the whole scenario is expected to fail.
    Scenario(String),
    /// `scenario:ID`: finding `ID` of the scenario is expected to be FAILURE or WARNING.
    Finding {
        /// Scenario name.
        scenario: String,
        /// Requirement ID.
        id: String,
    },
}

impl BaselineEntry {
    /// Reads `scenario` or `scenario:ID` (split at the last `:`; an ID has no `[`, `]`, `/` or
    /// spaces, so a scenario name with a colon in it stays whole).
    pub fn parse(s: &str) -> BaselineEntry {
        let s = s.trim();
        match s.rsplit_once(':') {
            Some((scenario, id))
                if !scenario.trim().is_empty()
                    && !id.trim().is_empty()
                    && !id.trim().contains(['[', ']', '/', ' ']) =>
            {
                BaselineEntry::Finding { scenario: scenario.trim().to_owned(), id: id.trim().to_owned() }
            }
            _ => BaselineEntry::Scenario(s.to_owned()),
        }
    }

    /// The scenario it names.
    pub fn scenario(&self) -> &str {
        match self {
            BaselineEntry::Scenario(s) | BaselineEntry::Finding { scenario: s, .. } => s,
        }
    }
}

impl std::fmt::Display for BaselineEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BaselineEntry::Scenario(s) => f.write_str(s),
            BaselineEntry::Finding { scenario, id } => write!(f, "{scenario}:{id}"),
        }
    }
}

/// A loaded baseline.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Baseline {
    /// Entries in file order, without duplicates.
    pub entries: Vec<BaselineEntry>,
}

impl Baseline {
    /// Parses baseline YAML (or JSON).
    pub fn parse(text: &str) -> Result<Baseline, String> {
        let blank = text.lines().all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'));
        let doc: Value = if blank { Value::Null } else { serde_saphyr::from_str(text).map_err(|e| e.to_string())? };
        let list = match doc {
            Value::Null => Vec::new(),
            Value::Array(items) => items,
            Value::Object(mut map) => {
                if let Some(k) = map.keys().find(|k| k.as_str() != "expected_failures") {
                    return Err(format!("unknown key `{k}` (expected `expected_failures`)"));
                }
                match map.remove("expected_failures") {
                    None | Some(Value::Null) => Vec::new(),
                    Some(Value::Array(items)) => items,
                    Some(_) => return Err("`expected_failures` must be a list".into()),
                }
            }
            _ => return Err("a baseline is `expected_failures: [...]` or a list".into()),
        };
        let mut entries: Vec<BaselineEntry> = Vec::new();
        for (i, item) in list.into_iter().enumerate() {
            let Value::String(s) = item else {
                return Err(format!("entry {} must be a string (`scenario` or `scenario:ID`), got {item}", i + 1));
            };
            if s.trim().is_empty() {
                return Err(format!("entry {} is empty", i + 1));
            }
            let e = BaselineEntry::parse(&s);
            if !entries.contains(&e) {
                entries.push(e);
            }
        }
        Ok(Baseline { entries })
    }
}

/// Why a baseline could not be loaded (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// The file could not be read.
    #[error("cannot read baseline {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The file is not a baseline.
    #[error("invalid baseline {path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// Reads a baseline file.
pub fn load(path: impl AsRef<Path>) -> Result<Baseline, BaselineError> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|source| BaselineError::Read { path: path.to_owned(), source })?;
    Baseline::parse(&text).map_err(|message| BaselineError::Invalid { path: path.to_owned(), message })
}

/// How a run compares with a baseline. Each list holds baseline-style entries (`scenario` or
/// `scenario:ID`), so an unlisted failure can be pasted into the baseline as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BaselineVerdict {
    /// Listed and failing: as expected.
    pub listed_failures: Vec<String>,
    /// Failing and not listed: regressions. A failing scenario with no whole-scenario entry
    /// contributes `scenario:ID` for each unexpected FAILURE/WARNING finding not listed, and
    /// `scenario` when a failed expectation (about no listed ID) or a harness error is left.
    pub unlisted_failures: Vec<String>,
    /// Listed but passing: stale entries, which fail the run.
    pub stale: Vec<String>,
    /// Listed scenarios that did not run (a filtered run); informational.
    pub not_run: Vec<String>,
}

impl BaselineVerdict {
    /// No regressions and nothing stale.
    pub fn ok(&self) -> bool {
        self.unlisted_failures.is_empty() && self.stale.is_empty()
    }

    /// Lines for the terminal: one per regression and stale entry, then entries that did not run.
    pub fn describe(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        out.extend(self.unlisted_failures.iter().map(|e| format!("regression: {e} fails and is not in the baseline")));
        out.extend(self.stale.iter().map(|e| format!("stale: {e} is in the baseline but passes; remove it")));
        out.extend(self.not_run.iter().map(|e| format!("not run: {e} (in the baseline)")));
        out
    }
}

/// Compares a run with a baseline.
pub fn apply(baseline: &Baseline, report: &RunReport) -> BaselineVerdict {
    let mut v = BaselineVerdict::default();
    let find = |name: &str| report.results.iter().find(|r| r.name == name);
    for entry in &baseline.entries {
        let Some(r) = find(entry.scenario()) else {
            v.not_run.push(entry.to_string());
            continue;
        };
        let failing = match entry {
            BaselineEntry::Scenario(_) => !r.passed(),
            BaselineEntry::Finding { id, .. } => finding_fails(r, id),
        };
        let list = if failing { &mut v.listed_failures } else { &mut v.stale };
        list.push(entry.to_string());
    }
    for r in report.results.iter().filter(|r| !r.passed()) {
        if baseline.entries.contains(&BaselineEntry::Scenario(r.name.clone())) {
            continue;
        }
        let listed = |id: &str| {
            baseline.entries.contains(&BaselineEntry::Finding { scenario: r.name.clone(), id: id.to_owned() })
                && finding_fails(r, id)
        };
        for f in r.unexpected_problems() {
            let key = format!("{}:{}", r.name, f.id);
            if !listed(&f.id) && !v.unlisted_failures.contains(&key) {
                v.unlisted_failures.push(key);
            }
        }
        let expectation_left = r.expectations.iter().filter(|e| !e.ok).any(|e| {
            // `RS-08: SUCCESS` expected but the finding failed: covered by a `scenario:RS-08` entry.
            e.what.split_once(':').is_none_or(|(id, _)| !listed(id.trim()))
        });
        if expectation_left || r.error.is_some() {
            v.unlisted_failures.push(r.name.clone());
        }
    }
    v
}

fn finding_fails(r: &ScenarioResult, id: &str) -> bool {
    r.findings.iter().any(|f| f.id == id && f.status.is_problem())
}

/// How a command ended, in the tiers every command shares. The one mapping to process exit codes
/// is [`Ending::code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Everything as expected (0).
    AsExpected,
    /// The server under test (or its authorization server) failed a check (1).
    ServerFailed,
    /// The user's input is wrong: arguments, a scenario or baseline file, a target URL, the
    /// user's server command (2).
    InputError,
    /// The harness itself broke (3).
    HarnessBroke,
}

impl Ending {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Ending::AsExpected => exit::OK,
            Ending::ServerFailed => exit::FINDINGS,
            Ending::InputError => exit::USAGE,
            Ending::HarnessBroke => exit::HARNESS_ERROR,
        }
    }
}

/// How a run ended: the harness broke in any scenario (3) before a scenario the user's input
/// made impossible (2) before findings (1). `baseline` must come from [`apply`] on `report`.
pub fn ending(report: &RunReport, baseline: Option<&BaselineVerdict>) -> Ending {
    let errors = || report.results.iter().filter(|r| r.error.is_some());
    if errors().any(|r| r.error_tier.is_harness()) {
        return Ending::HarnessBroke;
    }
    if errors().next().is_some() {
        return Ending::InputError;
    }
    let ok = match baseline {
        Some(v) => v.ok(),
        None => report.results.iter().all(ScenarioResult::passed),
    };
    if ok { Ending::AsExpected } else { Ending::ServerFailed }
}

/// The process exit code for a run ([`ending`]`.code()`):
///
/// | code | meaning |
/// |---|---|
/// | 0 | every scenario as expected — with a baseline, only listed failures and nothing stale |
/// | 1 | the server under test failed a check: unexpected FAILURE/WARNING findings or failed expectations (no baseline), or regressions or stale entries (with one) |
/// | 2 | usage or scenario error: a scenario the user's input made impossible to run (`ErrorTier::Input`: the server command exited before it was ready, a target URL without a scheme); bad arguments and unreadable files are returned by the caller |
/// | 3 | the harness itself broke in at least one scenario (`ScenarioResult::error` with `ErrorTier::Harness`), whatever the baseline says — "the harness broke" is never mistaken for "the server failed" |
///
/// `baseline` must come from [`apply`] on the same `report`.
pub fn exit_code(report: &RunReport, baseline: Option<&BaselineVerdict>) -> u8 {
    ending(report, baseline).code()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;
    use harness_checks::model::Status;

    /// The fixture report without its harness-error scenario.
    fn report() -> RunReport {
        let mut r = fixtures::report();
        r.results.retain(|r| r.error.is_none());
        r
    }

    fn verdict(yaml: &str, report: &RunReport) -> BaselineVerdict {
        apply(&Baseline::parse(yaml).unwrap(), report)
    }

    #[test]
    fn listed_failures_exit_0() {
        let report = report();
        assert_eq!(exit_code(&report, None), exit::FINDINGS);
        let v =
            verdict("expected_failures:\n  - no-root-prm[chatgpt-2026-cimd]\n  - weird \"url\" <scenario>\n", &report);
        assert_eq!(v.listed_failures, ["no-root-prm[chatgpt-2026-cimd]", "weird \"url\" <scenario>"]);
        assert!(v.unlisted_failures.is_empty() && v.stale.is_empty(), "{v:?}");
        assert!(v.ok());
        assert_eq!(exit_code(&report, Some(&v)), exit::OK);
    }

    #[test]
    fn unlisted_failures_exit_1() {
        let report = report();
        let v = verdict("expected_failures: [\"no-root-prm[chatgpt-2026-cimd]\"]", &report);
        assert_eq!(v.unlisted_failures, ["weird \"url\" <scenario>"]);
        assert!(v.stale.is_empty());
        assert_eq!(exit_code(&report, Some(&v)), exit::FINDINGS);
        assert!(v.describe()[0].starts_with("regression: weird"));
    }

    #[test]
    fn listed_but_passing_is_stale_and_exits_1() {
        let report = report();
        let v = verdict(
            "- no-root-prm[chatgpt-2026-cimd]\n- weird \"url\" <scenario>\n- cimd-happy-path[chatgpt-2026-cimd]\n",
            &report,
        );
        assert_eq!(v.stale, ["cimd-happy-path[chatgpt-2026-cimd]"]);
        assert!(v.unlisted_failures.is_empty());
        assert_eq!(exit_code(&report, Some(&v)), exit::FINDINGS);
        assert!(v.describe()[0].starts_with("stale: cimd-happy-path"));
    }

    #[test]
    fn scenario_id_entries_match_failing_findings() {
        let report = report();
        // Only RS-03 listed: RS-12 (WARNING) is a regression.
        let v = verdict(
            "expected_failures:\n- no-root-prm[chatgpt-2026-cimd]:RS-03\n- weird \"url\" <scenario>\n",
            &report,
        );
        assert_eq!(v.listed_failures, ["no-root-prm[chatgpt-2026-cimd]:RS-03", "weird \"url\" <scenario>"]);
        assert_eq!(v.unlisted_failures, ["no-root-prm[chatgpt-2026-cimd]:RS-12"]);
        assert_eq!(exit_code(&report, Some(&v)), exit::FINDINGS);

        // Both listed, FAILURE and WARNING alike: as expected.
        let v = verdict(
            "- no-root-prm[chatgpt-2026-cimd]:RS-03\n- no-root-prm[chatgpt-2026-cimd]:RS-12\n- weird \"url\" <scenario>\n",
            &report,
        );
        assert!(v.ok(), "{v:?}");
        assert_eq!(exit_code(&report, Some(&v)), exit::OK);

        // A listed finding that succeeds, or that the run never produced, is stale.
        let v = verdict(
            "- no-root-prm[chatgpt-2026-cimd]\n- weird \"url\" <scenario>\n- no-root-prm[chatgpt-2026-cimd]:RS-01\n- cimd-happy-path[chatgpt-2026-cimd]:XX-99\n",
            &report,
        );
        assert_eq!(v.stale, ["no-root-prm[chatgpt-2026-cimd]:RS-01", "cimd-happy-path[chatgpt-2026-cimd]:XX-99"]);
        assert_eq!(exit_code(&report, Some(&v)), exit::FINDINGS);

        // An expected FAILURE in a passing scenario still matches `scenario:ID`.
        let v =
            verdict("- nbf-not-checked:RS-06\n- no-root-prm[chatgpt-2026-cimd]\n- weird \"url\" <scenario>\n", &report);
        assert!(v.ok(), "{v:?}");
    }

    #[test]
    fn a_failed_expectation_about_a_listed_finding_is_covered() {
        let mut report = report();
        let r = &mut report.results[2];
        r.expectations = vec![harness_checks::model::ExpectationResult {
            what: "RS-03: SUCCESS".into(),
            actual: "FAILURE".into(),
            ok: false,
        }];
        r.findings[2].status = Status::Success;
        let v = verdict("- no-root-prm[chatgpt-2026-cimd]:RS-03\n- weird \"url\" <scenario>\n", &report);
        assert!(v.ok(), "{v:?}");
    }

    #[test]
    fn harness_errors_exit_3_whatever_the_baseline() {
        let report = fixtures::report();
        assert_eq!(exit_code(&report, None), exit::HARNESS_ERROR);
        let v = verdict("- no-root-prm[chatgpt-2026-cimd]\n- weird \"url\" <scenario>\n- target-wont-start\n", &report);
        assert!(v.ok());
        assert_eq!(exit_code(&report, Some(&v)), exit::HARNESS_ERROR);
        // Unlisted, the errored scenario is also a regression (by its name: it has no findings).
        let v = verdict("- no-root-prm[chatgpt-2026-cimd]\n- weird \"url\" <scenario>\n", &report);
        assert_eq!(v.unlisted_failures, ["target-wont-start"]);
    }

    #[test]
    fn all_passing_exits_0() {
        let mut report = report();
        report.results.retain(|r| r.passed());
        assert_eq!(exit_code(&report, None), exit::OK);
        assert_eq!(exit_code(&report, Some(&verdict("expected_failures: []", &report))), exit::OK);
    }

    #[test]
    fn parses_both_shapes_and_rejects_others() {
        let a = Baseline::parse("# reasons\nexpected_failures:\n  - a\n  - \"b:RS-08\"\n  - a\n").unwrap();
        let b = Baseline::parse("- a\n- b:RS-08\n").unwrap();
        assert_eq!(a, b);
        assert_eq!(
            a.entries,
            [BaselineEntry::Scenario("a".into()), BaselineEntry::Finding { scenario: "b".into(), id: "RS-08".into() }]
        );
        assert_eq!(Baseline::parse("").unwrap(), Baseline::default());
        assert_eq!(Baseline::parse("# nothing yet\n").unwrap(), Baseline::default());
        assert_eq!(Baseline::parse("expected_failures:\n").unwrap(), Baseline::default());
        assert!(Baseline::parse("expected_failure: [a]").unwrap_err().contains("unknown key"));
        assert!(Baseline::parse("expected_failures: [{a: 1}]").is_err());
        assert!(Baseline::parse("expected_failures: a").is_err());
        assert!(Baseline::parse("42").is_err());
        assert_eq!(BaselineEntry::parse("auth/x[p]"), BaselineEntry::Scenario("auth/x[p]".into()));
        assert_eq!(BaselineEntry::parse("s:a/b"), BaselineEntry::Scenario("s:a/b".into()));
        assert_eq!(BaselineEntry::parse("s[p]:RS-01").to_string(), "s[p]:RS-01");
    }

    #[test]
    fn load_reports_unreadable_and_invalid_files() {
        let dir = std::env::temp_dir().join(format!("ch-baseline-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.yaml");
        std::fs::write(&good, "expected_failures: [a, \"b:RS-01\"]\n").unwrap();
        assert_eq!(load(&good).unwrap().entries.len(), 2);
        let bad = dir.join("bad.yaml");
        std::fs::write(&bad, "expected_failures: {a: 1}\n").unwrap();
        assert!(matches!(load(&bad), Err(BaselineError::Invalid { .. })));
        assert!(matches!(load(dir.join("missing.yaml")), Err(BaselineError::Read { .. })));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
