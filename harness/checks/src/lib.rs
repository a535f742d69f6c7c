//! The judging half of the harness: the run record ([`model`]), the requirement catalogue
//! ([`catalogue`]) and the checks ([`checks`]) that turn a record into findings.
//!
//! This crate depends on the transcript, the wire vocabulary and the profiles — all data — and on
//! neither tokio nor reqwest, so "checks only read the transcript" holds by construction: a saved
//! run can be re-checked offline, and no check can send a request.

pub mod catalogue;
pub mod checks;
pub mod model;
pub mod probe_record;
pub mod profile_diff;
pub mod profile_infer;
pub mod spec_links;
