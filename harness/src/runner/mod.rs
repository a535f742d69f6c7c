//! The runner: executes planned scenarios — mock IdP, server under test, client, steps, probes —
//! then hands the transcript to the checks and compares with the expectations.

mod expect;
mod pool;
mod run;
mod target;

pub use pool::{RunOptions, plan, run_all};
pub use run::{RunError, RunSettings, run_one};
pub use target::{Target, TargetError, check_url};
