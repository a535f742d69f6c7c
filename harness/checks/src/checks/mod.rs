//! Checks: pure functions from a [`RunRecord`](crate::model::RunRecord) — the transcript of the
//! connect and the probes, plus the target, spec version, profile and outcome — to
//! [`Finding`](crate::model::Finding)s, one small function per requirement. They never touch the
//! network, so a saved run can be re-checked offline.
//!
//! One file per area: `prm` (RS-01/02/03/18/19), `challenge` (RS-04/05/07/09/12/13/14/17),
//! `tokens` (RS-06/08/10), `session` (RS-15/16, H-12/13/14/15), `transport` (H-02/04/05/06/07/09/
//! 16/17, RS-20), `chatgpt` (GPT-*), `authorization_server` (AS-24…28, judged by certification);
//! `common` holds the lookups and finding constructors, `registry` maps each requirement ID to its
//! judge, `suite` runs the registry.

pub mod authorization_server;
mod challenge;
pub mod chatgpt;
mod common;
pub mod modern;
mod prm;
pub mod registry;
mod session;
mod suite;
mod tokens;
mod transport;

#[cfg(test)]
use chatgpt::one_type_accept_profiles as chatgpt_one_type_accept_profiles;
#[cfg(test)]
mod tests;

pub use registry::{RULES, Rule};
pub use suite::{TARGET, run};
