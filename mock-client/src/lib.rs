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
pub mod challenge;
mod cimd_host;
mod client;
mod continuation;
mod direct;
mod discovery;
mod error;
pub mod http;
mod login;
mod mcp;
mod outcome;
pub mod pkce;
pub mod profile;
pub mod redact;
mod registration;
pub mod sse;
mod token;
pub mod transcript;

pub use cimd_host::{CimdFetch, CimdHost};
pub use client::{CimdRewrite, Client, ConnectOptions};
pub use direct::{AuthVariant, Authorized, ProbeAuthorization};
pub use discovery::Discovered;
pub use error::ClientError;
pub use login::LoginDriver;
pub use mcp::tool_challenges;
pub use outcome::{Continued, Failure, FailureKind, Outcome};
pub use profile::Profile;
pub use registration::{CIMD_KID, CimdKey, RegisteredClient, StaticCredentials, assertion, cimd_jwks};
pub use token::Tokens;
pub use transcript::{Exchange, Note, NoteKind, Phase, SecretKind, Transcript};
