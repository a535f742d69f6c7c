//! The MCP and OAuth wire vocabulary, written once: which spec revisions exist, the well-known
//! paths, header names and media types. Every crate of the harness — the mock client, the mock
//! IdP, the reference server, the checks and the reports — names these facts through this crate,
//! so a new spec revision is one enum variant here and the compiler finds every place that must
//! decide what it means.
//!
//! This crate does no I/O and depends on neither tokio nor reqwest.

pub mod errors;
pub mod headers;
pub mod meta;
pub mod paths;
mod version;

pub use version::{SpecVersion, UnknownSpecVersion};
