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
    let started = Instant::now();
    let started_at = crate::report::json::now_rfc3339();
    let planned = plan(loaded, opts);
    let sem = Arc::new(Semaphore::new(opts.jobs.max(1)));
    let progress = Arc::new(progress);
    let mut set = tokio::task::JoinSet::new();
    for (i, p) in planned.into_iter().enumerate() {
        let sem = sem.clone();
        let settings = opts.settings.clone();
        let progress = progress.clone();
        set.spawn(async move {
            let _permit = sem.acquire_owned().await.expect("the semaphore is never closed");
            let r = super::run_one(&p, &settings).await;
            progress(&r);
            (i, r)
        });
    }
    let mut results = Vec::new();
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok(r) => results.push(r),
            Err(e) => tracing::error!("a scenario task panicked: {e}"),
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
