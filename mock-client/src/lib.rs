//! A mock of ChatGPT's MCP connector client, driven by dated, evidence-tagged profiles.
//!
//! ```no_run
//! # async fn demo() -> Result<(), mock_client::ClientError> {
//! use mock_client::{Client, ConnectOptions, profile};
//! let mut client = Client::new(profile::builtin("chatgpt-2026-cimd")?, ConnectOptions::default());
//! let outcome = client.connect("http://127.0.0.1:8000/mcp").await?;
//! println!("{}", outcome.verdict(client.profile()));
//! let transcript = client.transcript().redacted(); // every exchange, secrets replaced
//! # Ok(()) }
//! ```

mod authorize;
mod cimd_host;
mod cimd_key;
mod client;
mod continuation;
mod credentials;
mod ctx;
mod direct;
mod discovery;
mod error;
mod fail;
pub mod http;
mod login;
mod mcp;
mod modern;
mod options;
/// The profiles (crate `client-profile`), with the loaders returning [`ClientError`] so callers
/// that load a profile and then connect handle one error type.
pub mod profile {
    pub use client_profile::*;

    use crate::ClientError;

    /// A shipped profile by name.
    pub fn builtin(name: &str) -> Result<Profile, ClientError> {
        Ok(client_profile::builtin(name)?)
    }
    /// A profile from a file; `extends` may name a shipped profile or a sibling file (`NAME.yaml`).
    pub fn from_file(path: &std::path::Path) -> Result<Profile, ClientError> {
        Ok(client_profile::from_file(path)?)
    }
    /// A shipped profile name, or a path to a YAML file.
    pub fn load(name_or_path: &str) -> Result<Profile, ClientError> {
        Ok(client_profile::load(name_or_path)?)
    }
}
mod registration;
mod template;
mod token;

pub use cimd_host::{CimdFetch, CimdHost};
pub use cimd_key::{CIMD_KID, CimdKey, assertion, cimd_jwks};
pub use client::Client;
pub use credentials::{RegisteredClient, StaticCredentials};
pub use direct::{AuthVariant, Authorized, ProbeAuthorization};
pub use discovery::Discovered;
pub use error::ClientError;
pub use mcp_wire::challenge::tool_challenges;
pub use options::{CimdRewrite, ConnectOptions, LoginDriver};
// The transcript and outcome types live in the data crate `harness-transcript`; these keep the
// `mock_client::transcript::…`, `mock_client::redact::…` paths and the root names working.
pub use harness_transcript::outcome::{Continued, Failure, FailureKind, Outcome};
pub use harness_transcript::{outcome, redact, transcript};
// The wire parsers and PKCE live in `mcp-wire`; re-exported so `mock_client::challenge::…` works.
pub use mcp_wire::{challenge, pkce, sse};
pub use profile::Profile;
pub use token::Tokens;
pub use transcript::{Exchange, ExchangeKind, Note, NoteKind, Phase, SecretKind, Transcript};
