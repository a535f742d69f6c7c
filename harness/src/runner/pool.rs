//! Running many scenarios concurrently: each has its own mock IdP, server and ports, so they are
//! independent; `jobs` bounds how many run at once.

use std::sync::Arc;
use std::time::Instant;
use tokio::sync::Semaphore;

use crate::model::{RunReport, ScenarioResult};
use crate::scenario::{Loaded, Planned, TargetSpec};

/// What to run and how.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Concurrent scenarios (default: the number of cores).
    pub jobs: usize,
    /// `--filter` terms (name substring, tag, or requirement ID).
    pub filters: Vec<String>,
    /// Run every scenario under each of these profiles instead of its own.
    pub profiles: Vec<String>,
    /// Run against this URL instead of the scenario's target (no mock IdP of ours is trusted there,
    /// so probes that need minted tokens are skipped).
    pub target: Option<String>,
    /// Snapshot handling.
    pub settings: super::RunSettings,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            jobs: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2),
            filters: Vec::new(),
            profiles: Vec::new(),
            target: None,
            settings: Default::default(),
        }
    }
}

/// Plans every loaded scenario under the options.
pub fn plan(loaded: &[Loaded], opts: &RunOptions) -> Vec<Planned> {
    let mut out = Vec::new();
    for l in loaded {
        for mut p in l.plan() {
            if let Some(t) = &opts.target {
                p.target = TargetSpec::Url(t.clone());
                p.idp = None;
            }
            if opts.profiles.is_empty() {
                out.push(p);
            } else {
                for prof in &opts.profiles {
                    let mut q = p.clone();
                    q.name = format!("{} [{prof}]", l.name);
                    q.profile = prof.clone();
                    out.push(q);
                }
            }
        }
    }
    out.retain(|p| crate::scenario::matches(p, &opts.filters));
    out
}

/// Runs everything; `progress` is called as each scenario ends.
pub async fn run_all(
    loaded: &[Loaded],
    opts: &RunOptions,
    progress: impl Fn(&ScenarioResult) + Send + Sync + 'static,
) -> RunReport {
    mock_client::CimdKey::per_run().prepare();
    let started = Instant::now();
    let started_at = crate::clock::now_rfc3339();
    let planned = plan(loaded, opts);
    let sem = Arc::new(Semaphore::new(opts.jobs.max(1)));
    let progress = Arc::new(progress);
    let mut set = tokio::task::JoinSet::new();
    // Which planned scenario each task runs, so a task that panics still yields its result.
    let mut tasks = std::collections::HashMap::new();
    for (i, p) in planned.iter().cloned().enumerate() {
        let sem = sem.clone();
        let settings = opts.settings.clone();
        let progress = progress.clone();
        let handle = set.spawn(async move {
            let _permit = sem.acquire_owned().await.expect("the semaphore is never closed");
            let r = super::run_one(&p, &settings).await;
            progress(&r);
            (i, r)
        });
        tasks.insert(handle.id(), (i, Instant::now()));
    }
    let mut results = Vec::new();
    while let Some(joined) = set.join_next_with_id().await {
        match joined {
            Ok((_, r)) => results.push(r),
            Err(e) => {
                // A panic (or a cancelled task) is the harness breaking: the scenario becomes a
                // harness error (exit 3, JUnit <error>) instead of vanishing from the report.
                let Some(&(i, spawned)) = tasks.get(&e.id()) else { continue };
                let what = panic_text(e);
                tracing::error!("scenario `{}` broke the harness: {what}", planned[i].name);
                let r = super::run::broken_result(&planned[i], &what, spawned.elapsed().as_millis() as u64);
                progress(&r);
                results.push((i, r));
            }
        }
    }
    results.sort_by_key(|(i, _)| *i);
    RunReport {
        harness_version: env!("CARGO_PKG_VERSION").into(),
        started_at,
        duration_ms: started.elapsed().as_millis() as u64,
        results: results.into_iter().map(|(_, r)| r).collect(),
    }
}

/// What a failed task says: the panic message when there is one.
fn panic_text(e: tokio::task::JoinError) -> String {
    if !e.is_panic() {
        return format!("its task ended early ({e})");
    }
    let payload = e.into_panic();
    let msg = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into());
    format!("panic: {msg}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> RunReport {
        let loaded = vec![crate::scenario::load_str("t", text).unwrap()];
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(run_all(&loaded, &RunOptions { jobs: 1, ..Default::default() }, |_| {}))
    }

    /// A scenario that panics inside the harness (the client is asked for a tool before it ever
    /// connected) is a harness error for that scenario, not a scenario that silently vanishes.
    #[test]
    fn a_panicking_scenario_is_a_harness_error_not_a_missing_result() {
        let report = run("name: tool before connect\nsteps:\n  - call_tool: {name: echo}\n");
        assert_eq!(report.results.len(), 1, "the scenario is in the report");
        let r = &report.results[0];
        let e = r.error.as_deref().expect("a harness error");
        assert!(e.contains("panic") && e.contains("connect first"), "{e}");
        assert!(!r.passed());
        assert_eq!(crate::report::exit_code(&report, None), crate::report::baseline::exit::HARNESS_ERROR);
    }

    /// Without a `connect` step nothing is said about connecting.
    #[test]
    fn a_run_without_connect_is_not_attempted() {
        let report = run("name: no connect\nsteps: [finish]\nexpect: {outcome: not_attempted}\n");
        let r = &report.results[0];
        assert_eq!(r.run.outcome, mock_client::Outcome::NotAttempted);
        assert!(!r.verdict.contains("would connect") && r.verdict.contains("no connect attempted"), "{}", r.verdict);
        assert!(r.passed(), "{:?}", r.expectations);
        let report = run("name: no connect\nsteps: [finish]\nexpect: {outcome: connected}\n");
        assert!(!report.results[0].passed(), "a run without connect does not count as connected");
    }
}
