//! Errors: the OAuth error responses the IdP sends on the wire, and the library's own failures.
//!
//! The two are kept apart on purpose. [`OAuthError`] is *behaviour* — a well-formed RFC 6749 §5.2 /
//! RFC 7591 §3.2.2 error the server under test must cope with. [`IdpError`] means the harness itself
//! broke (a port could not be bound, a key would not load) and never reaches the wire.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// A failure of the mock IdP as a library: nothing to do with the server under test.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IdpError {
    /// The listener could not be bound.
    #[error("failed to bind the mock IdP to {addr}")]
    Bind {
        /// The address asked for.
        addr: String,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },
    /// A signing key could not be loaded or generated.
    #[error("failed to load signing key `{kid}`: {reason}")]
    Key {
        /// The key id.
        kid: String,
        /// Why.
        reason: String,
    },
    /// The configuration is not usable.
    #[error("invalid mock IdP configuration: {0}")]
    Config(String),
    /// A configuration file could not be read or parsed.
    #[error("failed to read mock IdP configuration `{path}`: {reason}")]
    ConfigFile {
        /// The file.
        path: String,
        /// The parser's message, with line and column where it has them.
        reason: String,
    },
    /// A token could not be signed.
    #[error("failed to sign a token: {0}")]
    Signing(String),
}

/// An OAuth error as the RFCs put it on the wire: `{"error": ..., "error_description": ...}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    /// HTTP status.
    pub status: StatusCode,
    /// The `error` code (RFC 6749 §5.2, RFC 7591 §3.2.2, RFC 8707 §2, RFC 7009 §2.2.1).
    pub error: &'static str,
    /// Human-readable detail for the developer reading the transcript.
    pub description: String,
    /// Set when the client tried HTTP Basic: RFC 6749 §5.2 requires a `WWW-Authenticate` on the 401.
    pub basic_challenge: bool,
    /// Extra headers, e.g. `Retry-After` on a rate limit.
    pub retry_after: Option<u64>,
}

impl OAuthError {
    fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        Self { status, error, description: description.into(), basic_challenge: false, retry_after: None }
    }
    /// 400 `invalid_request`.
    pub fn invalid_request(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", d)
    }
    /// 401 `invalid_client`; `basic` adds the `WWW-Authenticate: Basic` challenge.
    pub fn invalid_client(d: impl Into<String>, basic: bool) -> Self {
        let mut e = Self::new(StatusCode::UNAUTHORIZED, "invalid_client", d);
        e.basic_challenge = basic;
        e
    }
    /// 400 `invalid_grant`.
    pub fn invalid_grant(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", d)
    }
    /// 400 `unauthorized_client`.
    pub fn unauthorized_client(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "unauthorized_client", d)
    }
    /// 400 `unsupported_grant_type`.
    pub fn unsupported_grant_type(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "unsupported_grant_type", d)
    }
    /// 400 `invalid_scope`.
    pub fn invalid_scope(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_scope", d)
    }
    /// 400 `invalid_target` (RFC 8707 §2).
    pub fn invalid_target(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_target", d)
    }
    /// 400 `invalid_redirect_uri` (RFC 7591 §3.2.2).
    pub fn invalid_redirect_uri(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_redirect_uri", d)
    }
    /// 400 `invalid_client_metadata` (RFC 7591 §3.2.2).
    pub fn invalid_client_metadata(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_client_metadata", d)
    }
    /// 413 for a body over the limit, in the same JSON shape.
    pub fn too_large(limit: usize) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "invalid_request", format!("request body exceeds {limit} bytes"))
    }
    /// Keycloak's answer when its "Trusted Hosts" registration policy refuses a request.
    pub fn trusted_hosts_policy(host: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            format!(
                "Policy 'Trusted Hosts' rejected request to client-registration service. Details: Host not trusted: {host}"
            ),
        )
    }
    /// 429 with `Retry-After`, as IdPs that rate-limit registration answer.
    pub fn rate_limited(retry_after: u64) -> Self {
        let mut e =
            Self::new(StatusCode::TOO_MANY_REQUESTS, "temporarily_unavailable", "registration rate limit exceeded");
        e.retry_after = Some(retry_after);
        e
    }
    /// 404 for a path the mock IdP does not serve, still as OAuth-style JSON.
    pub fn not_found(path: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", format!("no endpoint at {path}"))
    }
    /// 405 for a known endpoint and the wrong method.
    pub fn method_not_allowed() -> Self {
        Self::new(StatusCode::METHOD_NOT_ALLOWED, "invalid_request", "method not allowed at this endpoint")
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = json!({ "error": self.error, "error_description": self.description });
        let mut resp = (self.status, axum::Json(body)).into_response();
        let h = resp.headers_mut();
        // Error responses carry no cacheable content either (RFC 6749 §5.1 applies to §5.2 in practice).
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if self.basic_challenge {
            h.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"mock-idp\", charset=\"UTF-8\""));
        }
        if let Some(s) = self.retry_after {
            h.insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        resp
    }
}
