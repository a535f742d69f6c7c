//! Identity-provider certification: does this authorization server work with ChatGPT's connector
//! flow? (`connector-harness certify-idp`, issue #7.)
//!
//! For each ChatGPT profile the mock client authorizes directly at the issuer
//! (`mock_client::Client::authorize_at`): discovery, registration, authorization through the login
//! driver, the code exchange; then the harness refreshes, inspects the access token, and sends the
//! negative probes an IdP must refuse. Every request is recorded; [`judge`] turns what happened
//! into the items of [`catalogue`] (AS-*, GPT-*, and the Provider Configuration Checklist of seed
//! 004 as PCC-1…PCC-9), each with its status, evidence and — on failure — what to change in the
//! IdP; [`render`] writes the Markdown, JSON and self-contained HTML reports.

//!
//! The pipeline is observe → [`observations::Observations`] (serialisable, redacted) → judge →
//! render: [`observe`] drives the live client and records, [`judge`] is pure (observations in,
//! items out, no I/O), so a saved certification can be judged again offline.

pub mod catalogue;
pub mod judge;
pub mod model;
pub mod observations;
pub mod observe;
pub mod render;
pub mod run;
mod text;
pub mod token;

pub use text::excerpt;
