//! The built-in reference MCP server: a correct Streamable HTTP MCP server that is an OAuth 2.1
//! resource server for an external authorization server. By default it is dual-era on one
//! endpoint ([`Era`]): MCP 2025-06-18 / 2025-11-25 with `initialize` and sessions, and MCP
//! 2026-07-28 (per-request `_meta`, `server/discover`, header validation, caching hints, state
//! handles) without either.
//!
//! It is the harness's embedded default target and the base of the fixture servers that break
//! one requirement each ([`Fault`]). Start it next to an authorization server (the mock IdP in
//! tests) and point a client at [`ReferenceHandle::url`]:
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use reference_server::{Fault, ReferenceServer};
//! let idp = mock_idp::MockIdp::builder().start().await?;
//! let server = ReferenceServer::builder().issuer(idp.issuer()).jwks_uri(idp.jwks_uri()).start().await?;
//! let token = idp.mint_valid(server.url(), &["mcp:read"])?;
//! // POST initialize to server.url() with `Authorization: Bearer {token.token}` …
//! let broken = ReferenceServer::builder()
//!     .issuer(idp.issuer())
//!     .jwks_uri(idp.jwks_uri())
//!     .fault(Fault::SkipAudienceCheck)
//!     .start()
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! Module map: `config` (configuration and builder), `server` (router, start, handle, request
//! log), `transport` (the MCP endpoint's order of checks), `auth` (Authorization header and JWT
//! validation), `jwks` (key cache), `challenge` (400/401/403 and `WWW-Authenticate`), `prm`
//! (RFC 9728 metadata), `cors`, `session`, `mcp` (JSON-RPC methods and tools), `faults`;
//! `modern` (the 2026-07-28 path: validation, dispatch, its tools, state handles and
//! [`ModernFault`]s).

mod auth;
mod challenge;
mod config;
mod cors;
mod error;
mod faults;
mod handles;
mod jwks;
mod mcp;
mod modern;
mod modern_faults;
mod prm;
mod server;
mod session;
mod state;
mod transport;

pub use auth::LEEWAY_SECS;
pub use config::{Era, ReferenceConfig, ReferenceServer, ResponseMode, SUPPORTED_PROTOCOL_VERSIONS, Tool, ToolSpec};
pub use cors::{ALLOW_HEADERS, ALLOW_METHODS, EXPOSE_HEADERS};
pub use error::ReferenceError;
pub use faults::Fault;
pub use handles::MAX_HANDLES;
pub use jwks::{FETCH_TIMEOUT, MAX_JWKS_BYTES, REFETCH_INTERVAL};
pub use mcp::SERVER_NAME;
pub use modern_faults::ModernFault;
pub use server::{BODY_TIMEOUT, MAX_BODY_BYTES, ReferenceHandle, ReferenceSnapshot};
pub use session::{MAX_SESSIONS, SessionInfo};
pub use state::{LoggedRequest, MAX_LOGGED_BODY_BYTES, MAX_LOGGED_REQUESTS, McpFacts};
pub use transport::{PROTOCOL_VERSION_HEADER, SESSION_HEADER};
