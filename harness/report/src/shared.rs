//! What every reporter computes the same way, so the terminal, JSON, JUnit and Markdown reports
//! never disagree: the verdict line, a finding's phase, what failed, counts.

use std::collections::BTreeMap;

use harness_transcript::{Phase, Transcript};

use harness_checks::model::{Finding, RunReport, ScenarioResult, Status};

/// How a scenario ended, as the reports show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    /// As expected.
    Passed,
    /// A finding or an expectation about the server failed.
    Failed,
    /// The harness itself broke.
    Error,
}

impl State {
    pub(crate) fn of(result: &ScenarioResult) -> State {
        if result.error.is_some() {
            State::Error
        } else if result.passed() {
            State::Passed
        } else {
            State::Failed
        }
    }
}

/// What a result's error is called: `harness error` (the harness broke) or `scenario error` (the
/// user's input made the scenario impossible to run).
pub(crate) fn error_label(result: &ScenarioResult) -> &'static str {
    if result.error_tier.is_harness() { "harness error" } else { "scenario error" }
}

/// The one-line verdict: the result's own, or — for results built without one — derived from the
/// outcome the same way the client words it (a harness error gives none: the outcome means
/// nothing then, and the error is shown on its own).
pub(crate) fn verdict(result: &ScenarioResult) -> String {
    if !result.verdict.trim().is_empty() {
        return result.verdict.clone();
    }
    if result.error.is_some() {
        return "no verdict: the harness failed".to_owned();
    }
    result.run.outcome.verdict_as(&result.run.profile_display)
}

/// `SUCCESS`, `FAILURE`, … as in `checks.json` (one name: [`Status::as_str`]).
pub(crate) fn status_str(s: Status) -> &'static str {
    s.as_str()
}

/// Every status, in the order summaries list them.
pub(crate) const STATUSES: [Status; 5] =
    [Status::Success, Status::Failure, Status::Warning, Status::Skipped, Status::Info];

/// Where a finding is shown: the flow step of the exchanges that prove it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Group {
    Discovery,
    Registration,
    Authorize,
    Token,
    Mcp,
    StepUp,
    Refresh,
    Probes,
    Other,
}

impl Group {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Group::Discovery => "discovery",
            Group::Registration => "registration",
            Group::Authorize => "authorize",
            Group::Token => "token",
            Group::Mcp => "MCP",
            Group::StepUp => "step-up",
            Group::Refresh => "refresh",
            Group::Probes => "probes",
            Group::Other => "other",
        }
    }

    fn from_phase(p: Phase) -> Group {
        match p {
            Phase::Discovery => Group::Discovery,
            Phase::Registration => Group::Registration,
            Phase::Authorize => Group::Authorize,
            Phase::Token => Group::Token,
            Phase::Mcp => Group::Mcp,
            Phase::StepUp => Group::StepUp,
            Phase::Refresh => Group::Refresh,
            Phase::Probe => Group::Probes,
        }
    }

    /// A finding's group: `probes` if any of its exchanges is a probe (probe findings often cite
    /// the flow exchange they compare against), else the phase of its earliest exchange; `other`
    /// when it cites none the transcript holds.
    pub(crate) fn of(finding: &Finding, transcript: &Transcript) -> Group {
        let mut phases: Vec<(u32, Phase)> = finding
            .exchanges
            .iter()
            .filter_map(|seq| transcript.exchanges.iter().find(|e| e.seq == *seq))
            .map(|e| (e.seq, e.phase))
            .collect();
        if phases.iter().any(|(_, p)| *p == Phase::Probe) {
            return Group::Probes;
        }
        phases.sort();
        phases.first().map(|(_, p)| Group::from_phase(*p)).unwrap_or(Group::Other)
    }
}

/// Findings grouped by [`Group`], groups in flow order, findings in their original order.
pub(crate) fn grouped(result: &ScenarioResult) -> Vec<(Group, Vec<&Finding>)> {
    let mut groups: BTreeMap<Group, Vec<&Finding>> = BTreeMap::new();
    for f in &result.findings {
        groups.entry(Group::of(f, &result.run.transcript)).or_default().push(f);
    }
    groups.into_iter().collect()
}

/// The lines that say why a scenario failed: each unexpected FAILURE/WARNING finding
/// (`FAILURE  RS-08  description`) and each expectation that did not hold.
pub(crate) fn failing_lines(result: &ScenarioResult) -> Vec<String> {
    let mut out: Vec<String> = result
        .unexpected_problems()
        .into_iter()
        .map(|f| format!("{}  {}  {}", status_str(f.status), f.id, f.description))
        .collect();
    out.extend(result.expectations.iter().filter(|e| !e.ok).map(expectation_line));
    out
}

/// The headline of a failed scenario, what a CI page shows first: the requirements that failed
/// and the first cause — `RS-08, H-13: the 401 has no WWW-Authenticate header`. Unmet
/// expectations that name no requirement (`outcome`, `snapshot`) are named as such.
pub(crate) fn failure_headline(result: &ScenarioResult) -> String {
    let problems = result.unexpected_problems();
    let unmet: Vec<_> = result.expectations.iter().filter(|e| !e.ok).collect();
    let mut ids: Vec<String> = problems.iter().map(|f| f.id.clone()).collect();
    for e in &unmet {
        let what = e.what.split(':').next().unwrap_or(&e.what).trim().to_owned();
        if !ids.contains(&what) {
            ids.push(what);
        }
    }
    let cause = match (problems.first(), unmet.first()) {
        (Some(f), _) => format!("{} {}", status_str(f.status), f.description),
        (None, Some(e)) => expectation_line(e),
        (None, None) => return verdict(result),
    };
    format!("{}: {cause}", ids.join(", "))
}

/// `expected RS-08: SUCCESS, got FAILURE`.
pub(crate) fn expectation_line(e: &harness_checks::model::ExpectationResult) -> String {
    format!("expected {}, got {}", e.what, e.actual)
}

/// Findings by requirement family (`RS`, `H`, `AS`, `C`, `GPT`; the ID before its `-`), one
/// line each with the statuses that occur: `  RS    118 SUCCESS, 2 FAILURE, 4 SKIPPED`.
pub(crate) fn family_lines(report: &RunReport) -> Vec<String> {
    let mut by: BTreeMap<&str, BTreeMap<Status, usize>> = BTreeMap::new();
    for f in report.results.iter().flat_map(|r| &r.findings) {
        let family = f.id.split_once('-').map_or(f.id.as_str(), |(fam, _)| fam);
        *by.entry(family).or_default().entry(f.status).or_default() += 1;
    }
    let width = by.keys().map(|k| k.chars().count()).max().unwrap_or(0);
    by.iter()
        .map(|(family, counts)| {
            let parts: Vec<String> =
                STATUSES.iter().filter_map(|s| counts.get(s).map(|n| format!("{n} {}", status_str(*s)))).collect();
            format!("  {family:<width$}  {}", parts.join(", "))
        })
        .collect()
}

/// Findings of every result, counted by status.
pub(crate) fn status_counts(report: &RunReport) -> BTreeMap<Status, usize> {
    let mut counts: BTreeMap<Status, usize> = STATUSES.iter().map(|s| (*s, 0)).collect();
    for f in report.results.iter().flat_map(|r| &r.findings) {
        *counts.entry(f.status).or_default() += 1;
    }
    counts
}

/// `findings: 40 SUCCESS, 2 FAILURE, 1 WARNING, 3 SKIPPED, 5 INFO`.
pub(crate) fn status_counts_line(report: &RunReport) -> String {
    let counts = status_counts(report);
    let parts: Vec<String> = STATUSES.iter().map(|s| format!("{} {}", counts[s], status_str(*s))).collect();
    format!("findings: {}", parts.join(", "))
}

/// (passed, failed, harness errors); a result with a harness error counts as failed too.
pub(crate) fn tally(report: &RunReport) -> (usize, usize, usize) {
    let passed = report.results.iter().filter(|r| r.passed()).count();
    let errors = report.results.iter().filter(|r| r.error.is_some()).count();
    (passed, report.results.len() - passed, errors)
}

/// `N passed, M failed` — the plain closing line CI tools read; never coloured.
pub(crate) fn summary_line(report: &RunReport) -> String {
    let (passed, failed, _) = tally(report);
    format!("{passed} passed, {failed} failed")
}

/// `850 ms`, `1.25 s`, `2 min 05 s`.
pub(crate) fn duration(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.2} s", ms as f64 / 1000.0)
    } else {
        format!("{} min {:02} s", ms / 60_000, (ms % 60_000) / 1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;

    #[test]
    fn findings_are_grouped_by_the_phase_of_their_exchanges() {
        let report = fixtures::report();
        let good = &report.results[0];
        let groups: Vec<&str> = grouped(good).iter().map(|(g, _)| g.label()).collect();
        assert_eq!(groups, ["discovery", "registration", "token", "MCP", "probes", "other"]);
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(850), "850 ms");
        assert_eq!(duration(1250), "1.25 s");
        assert_eq!(duration(125_000), "2 min 05 s");
    }

    #[test]
    fn a_result_without_a_verdict_gets_one_from_its_outcome() {
        let mut r = fixtures::report().results[2].clone();
        r.verdict.clear();
        assert!(verdict(&r).starts_with("ChatGPT (2026 CIMD profile) would fail: \""), "{}", verdict(&r));
        r.error = Some("boom".into());
        assert_eq!(verdict(&r), "no verdict: the harness failed");
    }
}
