//! A mock OAuth 2.1 authorization server for testing MCP servers and clients.
//!
//! It is correct by default — RFC 8414/OIDC metadata at every location the MCP spec lists, RFC 7591
//! registration, Client ID Metadata Documents, PKCE S256, RFC 8707 `resource` → `aud`, RFC 9068 JWT
//! access tokens, refresh rotation with reuse detection, RFC 7662 introspection and RFC 7009
//! revocation — and misbehaves on purpose through named [`Quirk`]s that reproduce real IdPs.
//!
//! ```no_run
//! # async fn demo() -> Result<(), mock_idp::IdpError> {
//! use mock_idp::{LoginMode, MockIdp, NegativeToken, Quirk};
//! let idp = MockIdp::builder().issuer_path("/tenant1").login(LoginMode::AutoApprove).start().await?;
//! println!("issuer {} jwks {}", idp.issuer(), idp.jwks_uri());
//! let good = idp.mint_valid("http://127.0.0.1:8000/mcp", &["mcp:read"])?;
//! let forged = idp.mint_negative(NegativeToken::ForeignKey, "http://127.0.0.1:8000/mcp", &["mcp:read"])?;
//! let seen = idp.snapshot(); // clients, authorization requests, codes, tokens, request log
//! idp.shutdown().await;
//! # Ok(()) }
//! ```

mod authorize;
mod cimd;
mod client_auth;
mod config;
mod error;
mod fetch;
mod introspection;
mod keys;
mod metadata;
mod pkce;
mod quirks;
mod random;
mod registration;
mod server;
mod state;
mod store;
mod token;
mod tokens;

pub use authorize::{SESSION_COOKIE, fields as form_fields};
pub use client_auth::JWT_BEARER_ASSERTION;
pub use config::{IdpConfig, Limits, LoginMode, MetadataLocation, StaticClient, User};
pub use error::{IdpError, OAuthError};
pub use pkce::s256 as pkce_s256;
pub use quirks::{Quirk, Quirks};
pub use server::{Endpoints, IdpHandle, MockIdp};
pub use state::{
    AuthorizationRequestRecord, ClientSource, CodeRecord, IdpSnapshot, LoggedRequest, RegisteredClient, StoreSizes,
    TokenKind, TokenRecord,
};
pub use store::TRUNCATION_MARKER;
pub use tokens::{MintRequest, MintedToken, NegativeToken, Signing, unverified_claims, unverified_header};
