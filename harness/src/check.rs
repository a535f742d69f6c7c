//! `connector-harness check`: one profile's connect to someone else's server, then every probe
//! that applies, judged — bounded by one overall deadline.
//!
//! Unlike a scenario run, `check` faces servers nobody vetted: one that never answers, or answers
//! each request just before the per-request timeout. So the per-request timeout is a quarter of
//! the deadline (at most 15 s), the probes run concurrently ([`CheckOptions::concurrency`] at
//! once, each on its own connections), and whatever has not finished at the deadline is
//! abandoned and reported as timed out — a `TARGET` WARNING naming the probes, and SKIPPED for a
//! requirement whose only evidence is a timed-out request — never as a requirement FAILURE. A
//! target that gives no HTTP answer at all to the connect is not probed: the checks report it as
//! the one `TARGET` finding.

use mock_client::http::{Limits, Recorder};
use mock_client::{Client, ConnectOptions, Outcome};
use parking_lot::Mutex;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::checks;
use crate::model::{Finding, RunHead, RunRecord, ScenarioResult, Status};
use crate::probes::{self, Probe, ProbeContext};
use crate::trusted_idp::TrustedIdp;

/// Probes in flight at once.
pub const DEFAULT_CONCURRENCY: usize = 4;
/// The longest per-request timeout (the client's usual one).
const MAX_REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// The shortest, so a tiny deadline still lets a healthy loopback server answer.
const MIN_REQUEST_TIMEOUT: Duration = Duration::from_secs(1);

/// What to check.
pub struct CheckOptions {
    /// The MCP server URL.
    pub target: String,
    /// The client profile (a shipped name or a file).
    pub profile: String,
    /// The spec version to judge against.
    pub spec: mcp_wire::SpecVersion,
    /// How the connect signs in (login driver, pre-registered client, bearer token).
    pub connect: ConnectOptions,
    /// The whole check's deadline.
    pub deadline: Duration,
    /// Probes in flight at once (at least 1).
    pub concurrency: usize,
    /// An IdP the server trusts, to mint tokens with.
    pub trusted: Option<Arc<TrustedIdp>>,
    /// `--allow-private-addresses`: contact the internal addresses the server names.
    pub allow_private_addresses: bool,
}

/// The per-request timeout for a deadline: a quarter of it, between 1 and 15 s.
pub fn request_timeout(deadline: Duration) -> Duration {
    (deadline / 4).clamp(MIN_REQUEST_TIMEOUT, MAX_REQUEST_TIMEOUT)
}

/// Runs the check; `progress` gets one plain line per step (for stderr). Harness breakage (an
/// unusable profile) is in [`ScenarioResult::error`].
pub async fn check(mut opts: CheckOptions, progress: &(dyn Fn(&str) + Sync)) -> ScenarioResult {
    mock_client::CimdKey::per_run().prepare();
    let started = Instant::now();
    let deadline = started + opts.deadline;
    let name = format!("check {}", opts.profile);
    let head = RunHead {
        target: opts.target.clone(),
        profile: opts.profile.clone(),
        profile_display: opts.profile.clone(),
        spec_version: opts.spec,
    };
    let mut result = ScenarioResult::not_run(name.clone(), "check".into(), Vec::new(), head);
    let profile = match mock_client::profile::load(&opts.profile) {
        Ok(p) => p,
        Err(e) => {
            result.error = Some(e.to_string());
            result.verdict = format!("the harness could not run this check: {e}");
            return result;
        }
    };
    result.run.profile_display = profile.display.clone();
    // Which client the verdict is about, and how current that client's facts are.
    let observed = profile.latest_observation().map(|d| format!(", facts observed up to {d}")).unwrap_or_default();
    progress(&format!("{name}: judging as {}, profile {}{observed}", profile.display, profile.name));
    let per_request = request_timeout(opts.deadline);
    let limits = Limits {
        request_timeout: per_request,
        flow_timeout: opts.deadline,
        allow_private_addresses: opts.allow_private_addresses,
        ..Default::default()
    };
    let rec = Recorder::new(limits.clone());
    if let Ok(u) = url::Url::parse(&opts.target) {
        // The target is the user's choice; what it names is still checked.
        rec.add_target(&u);
    }
    let mut client = Client::with_recorder(
        profile.clone(),
        ConnectOptions { limits, ..std::mem::take(&mut opts.connect) },
        rec.clone(),
    );

    progress(&format!("{name}: connecting to {} (deadline {} s)", opts.target, opts.deadline.as_secs()));
    let mut timed_out: Vec<String> = Vec::new();
    let remaining = || deadline.saturating_duration_since(Instant::now());
    match tokio::time::timeout(remaining(), client.connect(&opts.target)).await {
        Ok(Ok(outcome)) => result.run.outcome = outcome,
        Ok(Err(e)) => {
            let raw = rec.transcript();
            let e = raw.redact_text(&e.to_string());
            result.verdict = format!("the harness could not run this check: {e}");
            result.error = Some(e);
            result.run.transcript = raw.redacted();
            result.run.outcome = raw.redact_outcome(&result.run.outcome);
            return result;
        }
        Err(_) => {
            timed_out.push("the connect".into());
            result.run.outcome = Outcome::Failed(mock_client::Failure {
                kind: mock_client::FailureKind::Unreachable,
                message: format!("the connect did not finish within the {} s deadline", opts.deadline.as_secs()),
                cause: format!("check stopped at its deadline ({} s, --timeout)", opts.deadline.as_secs()),
                phase: mock_client::Phase::Mcp,
                seq: None,
                continued: Vec::new(),
            });
        }
    }

    if answered(&rec, &opts.target) && timed_out.is_empty() {
        // Plus the 2026-07-28 probes: `check` is how a real server's era gets detected; the
        // authorization one sends only its token-free part without a trusted IdP.
        let modern_auth = Probe::ModernAuth { parent_scope: None };
        let list: Vec<Probe> = Probe::ALL
            .iter()
            .chain([&Probe::Modern, &modern_auth])
            .filter(|p| !p.needs_idp() || opts.trusted.is_some())
            .cloned()
            .collect();
        progress(&format!("{name}: connected; running {} probes, {} at a time", list.len(), opts.concurrency.max(1)));
        let unfinished = run_probes(&list, &opts, &client, &rec, &profile, remaining(), progress).await;
        timed_out.extend(unfinished);
    }
    if remaining() > Duration::ZERO {
        let _ = tokio::time::timeout(remaining().min(per_request), client.finish()).await;
    }

    // Checks judge what was on the wire; every text they produce is redacted below, before
    // anything is rendered.
    let raw = rec.transcript();
    result.run.transcript = raw.clone();
    let mut findings = checks::run(&result.run);
    if !findings.iter().any(|f| f.id == checks::TARGET) {
        skip_timed_out(&mut findings, &result.run, per_request);
        if opts.trusted.is_none() {
            crate::findings::skip_token_requirements(&mut findings);
        }
        if !timed_out.is_empty() {
            findings.insert(0, deadline_finding(&timed_out, opts.deadline));
        }
    }
    crate::findings::redact(&raw, &mut findings);
    result.findings = findings;
    result.run.transcript = raw.redacted();
    result.run.outcome = raw.redact_outcome(&result.run.outcome);
    result.verdict = result.run.outcome.verdict(&profile);
    result.duration_ms = started.elapsed().as_millis() as u64;
    progress(&format!("{name}: done in {:.1} s", started.elapsed().as_secs_f64()));
    result
}

/// The checks of several profiles as one report (what `--report-dir` and the terminal render).
pub fn report(results: Vec<ScenarioResult>, started: Instant, started_at: String) -> crate::model::RunReport {
    crate::model::RunReport {
        harness_version: env!("CARGO_PKG_VERSION").into(),
        started_at,
        duration_ms: started.elapsed().as_millis() as u64,
        results,
    }
}

/// Now, RFC 3339 (UTC): a report's `started_at`.
pub use crate::clock::now_rfc3339;

/// Whether any request to the target's origin got an HTTP answer.
fn answered(rec: &Recorder, target: &str) -> bool {
    let Ok(t) = url::Url::parse(target) else { return false };
    rec.transcript()
        .exchanges
        .iter()
        .any(|e| e.status.is_some() && url::Url::parse(&e.url).is_ok_and(|u| u.origin() == t.origin()))
}

/// Runs the probes, at most `opts.concurrency` at once, until `budget` runs out; returns the
/// names of those that did not finish.
async fn run_probes(
    list: &[Probe],
    opts: &CheckOptions,
    client: &Client,
    rec: &Recorder,
    profile: &mock_client::Profile,
    budget: Duration,
    progress: &(dyn Fn(&str) + Sync),
) -> Vec<String> {
    let sem = Arc::new(tokio::sync::Semaphore::new(opts.concurrency.max(1)));
    let done: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut set = tokio::task::JoinSet::new();
    for probe in list.iter().cloned() {
        let (sem, done, rec) = (sem.clone(), done.clone(), rec.clone());
        let target = opts.target.clone();
        let trusted = opts.trusted.clone();
        let token = client.access_token().map(str::to_owned);
        let session = client.session_id().map(str::to_owned);
        let ua = profile.user_agent_mcp.value.clone();
        set.spawn(async move {
            let Ok(_permit) = sem.acquire_owned().await else { return (probe, Ok(())) };
            let ctx = ProbeContext {
                rec: &rec,
                target: &target,
                idp: trusted.as_deref().map(TrustedIdp::twin),
                issuer: trusted.as_deref().map(TrustedIdp::issuer),
                token: token.as_deref(),
                session_id: session.as_deref(),
                protocol_version: None,
                user_agent: &ua,
            };
            let r = probes::run(&probe, &ctx).await;
            done.lock().push(probe.name().to_owned());
            (probe, r)
        });
    }
    let total = list.len();
    let collect = async {
        let mut n = 0;
        while let Some(joined) = set.join_next().await {
            n += 1;
            match joined {
                Ok((p, Ok(()))) => progress(&format!("  probe {p} done ({n}/{total})")),
                Ok((p, Err(e))) => progress(&format!("  probe {p} could not run: {e} ({n}/{total})")),
                Err(e) => progress(&format!("  a probe task failed: {e} ({n}/{total})")),
            }
        }
    };
    if tokio::time::timeout(budget, collect).await.is_err() {
        set.abort_all();
        let done = done.lock().clone();
        return list.iter().map(|p| p.name().to_owned()).filter(|n| !done.contains(n)).collect();
    }
    Vec::new()
}

/// A FAILURE or WARNING whose every exchange timed out was not observed: SKIPPED, saying so.
fn skip_timed_out(findings: &mut [Finding], run: &RunRecord, per_request: Duration) {
    for f in findings.iter_mut().filter(|f| f.status.is_problem() && !f.exchanges.is_empty()) {
        let all_timed_out = f.exchanges.iter().all(|seq| {
            run.transcript
                .exchanges
                .iter()
                .find(|e| e.seq == *seq)
                .is_some_and(|e| e.status.is_none() && e.error.as_deref() == Some("timed out"))
        });
        if all_timed_out {
            f.status = Status::Skipped;
            f.description = format!(
                "Not tested: the request timed out (no answer within {} s); testable once the server answers in time (or with a longer --timeout).",
                per_request.as_secs()
            );
        }
    }
}

/// The deadline cut the check short.
fn deadline_finding(timed_out: &[String], deadline: Duration) -> Finding {
    Finding {
        id: checks::TARGET.to_owned(),
        name: "The target answers in time".to_owned(),
        status: Status::Warning,
        description: format!(
            "check stopped at its {} s deadline (--timeout): {} did not finish, so what they test is not reported. The server answers too slowly for a client that gives up sooner.",
            deadline.as_secs(),
            timed_out.join(", ")
        ),
        spec_refs: Vec::new(),
        details: serde_json::json!({"timed_out": timed_out, "deadline_s": deadline.as_secs()}),
        exchanges: Vec::new(),
        untestable: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_request_timeouts_fit_the_deadline() {
        assert_eq!(request_timeout(Duration::from_secs(60)), Duration::from_secs(15));
        assert_eq!(request_timeout(Duration::from_secs(20)), Duration::from_secs(5));
        assert_eq!(request_timeout(Duration::from_secs(2)), Duration::from_secs(1));
        assert_eq!(request_timeout(Duration::from_secs(600)), Duration::from_secs(15));
    }
}
