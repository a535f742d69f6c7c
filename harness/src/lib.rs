//! The harness: scenario files, the runner, checks over transcripts, snapshots and reports —
//! and the built-in reference MCP server they run against by default.
//!
//! Data goes one way: scenario file → [`runner`] → (mock IdP, mock client driven by a profile,
//! active probes) → transcript ([`model::RunRecord`]) → [`checks`] → [`model::Finding`]s →
//! [`model::ScenarioResult`] → snapshot and [`report`]s. Checks and reports only read the
//! transcript, so a saved run can be re-checked offline.

// The record model, the catalogue and the checks live in `harness-checks` (no tokio, no reqwest);
// re-exported so `harness::model::…`, `harness::catalogue::…`, `harness::checks::run` keep working.
pub use harness_checks::{catalogue, checks, model, profile_diff, profile_infer};

pub mod builtin;
pub mod check;
mod findings;
pub mod har;
pub mod offline;
pub mod probes;
pub mod record;
pub mod runner;
pub mod scenario;
pub mod snapshot;
pub mod testing;
pub mod trusted_idp;

/// The reports (and the run clock) are the `harness-report` crate (no tokio, no reqwest);
/// re-exported so `harness::report::…` and `harness::clock::…` paths keep working.
pub use harness_report as report;
pub use harness_report::clock;

/// The reference MCP server, now its own crate; re-exported so `harness::reference::…` paths keep working.
pub use reference_server as reference;
