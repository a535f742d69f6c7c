//! The MCP and OAuth wire vocabulary, written once: which spec revisions exist, the well-known
//! paths, header names and media types, the JSON-RPC bodies of the handshake, and the parsers of
//! what comes back (WWW-Authenticate challenges, Server-Sent Events, a JWT's unverified claims) and
//! the client's PKCE. Every crate of the harness — the mock client, the mock
//! IdP, the reference server, the checks and the reports — names these facts through this crate,
//! so a new spec revision is one enum variant here and the compiler finds every place that must
//! decide what it means.
//!
//! This crate does no I/O and depends on neither tokio nor reqwest.

pub mod challenge;
pub mod discover;
pub mod errors;
pub mod headers;
pub mod jsonrpc;
pub mod jwt;
pub mod meta;
mod negative_token;
pub mod paths;
pub mod pkce;
pub mod sse;
mod version;

pub use negative_token::NegativeToken;
pub use version::{SpecVersion, UnknownSpecVersion};
