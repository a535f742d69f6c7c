//! Everything the mock IdP remembers, and the records a test can inspect.
//!
//! Records hold real secret values on purpose: tests compare them, and the harness's redaction
//! uses them to know exactly which strings to hide. They never leave the process except through
//! [`crate::IdpHandle::snapshot`].

use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::config::IdpConfig;
use crate::keys::KeySet;

/// How many records of one kind the IdP keeps before refusing to create more, so a runaway client
/// cannot exhaust memory.
pub const MAX_RECORDS: usize = 10_000;

/// Where a client came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientSource {
    /// Configured before start.
    Static,
    /// RFC 7591 dynamic registration.
    Dynamic,
    /// A Client ID Metadata Document fetched from its URL.
    MetadataDocument,
}

/// A client the IdP knows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegisteredClient {
    /// The client id (a URL for CIMD clients).
    pub client_id: String,
    /// The secret, for confidential clients.
    pub client_secret: Option<String>,
    /// Exact redirect URIs.
    pub redirect_uris: Vec<String>,
    /// Token endpoint auth methods this client may use, in preference order.
    pub auth_methods: Vec<String>,
    /// `grant_types`.
    pub grant_types: Vec<String>,
    /// Scopes this client is limited to; `None` = any supported scope.
    pub allowed_scopes: Option<Vec<String>>,
    /// `client_name`.
    pub client_name: Option<String>,
    /// `jwks_uri`, for `private_key_jwt`.
    pub jwks_uri: Option<String>,
    /// Inline `jwks`, for `private_key_jwt`.
    pub jwks: Option<Value>,
    /// Origin of the record.
    pub source: ClientSource,
    /// The raw registration request or metadata document.
    pub metadata: Option<Value>,
}

/// One `/authorize` request as received.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuthorizationRequestRecord {
    /// Every query parameter, in order, duplicates kept.
    pub params: Vec<(String, String)>,
    /// What the IdP answered: `code`, an OAuth error code, `login_page`.
    pub outcome: String,
}

/// An authorization code.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CodeRecord {
    /// The code.
    pub code: String,
    /// Client it was issued to.
    pub client_id: String,
    /// Redirect URI it was issued for.
    pub redirect_uri: String,
    /// Whether the authorization request carried `redirect_uri` (then the token request must too).
    pub redirect_uri_sent: bool,
    /// Granted scopes.
    pub scope: Vec<String>,
    /// RFC 8707 resources from the authorization request.
    pub resources: Vec<String>,
    /// PKCE challenge.
    pub code_challenge: String,
    /// PKCE method.
    pub code_challenge_method: String,
    /// The user.
    pub sub: String,
    /// Issue time (unix seconds, IdP clock).
    pub issued_at: i64,
    /// Whether it has been redeemed.
    pub redeemed: bool,
}

/// Access or refresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// An access token.
    Access,
    /// A refresh token.
    Refresh,
}

/// An issued token.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TokenRecord {
    /// Access or refresh.
    pub kind: TokenKind,
    /// The token string.
    pub value: String,
    /// `jti` of a JWT access token.
    pub jti: Option<String>,
    /// Client.
    pub client_id: String,
    /// User.
    pub sub: String,
    /// Scopes.
    pub scope: Vec<String>,
    /// Audience values.
    pub aud: Vec<String>,
    /// RFC 8707 resources the grant covers.
    pub resources: Vec<String>,
    /// Expiry (unix seconds).
    pub expires_at: i64,
    /// Grant family: every token descending from one authorization code shares it.
    pub family: String,
    /// Revoked (explicitly, by code reuse or by refresh-token reuse).
    pub revoked: bool,
    /// For refresh tokens: already exchanged (rotation).
    pub used: bool,
    /// `authorization_code` or `refresh_token`.
    pub grant: String,
}

/// One HTTP request the IdP received.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoggedRequest {
    /// Order of arrival, from 1.
    pub seq: u64,
    /// Method.
    pub method: String,
    /// Path.
    pub path: String,
    /// Raw query string.
    pub query: Option<String>,
    /// Headers in arrival order.
    pub headers: Vec<(String, String)>,
    /// Body as text (lossy UTF-8).
    pub body: String,
    /// Response status.
    pub status: u16,
}

/// A form-mode authorization waiting for login and consent.
#[derive(Debug, Clone)]
pub struct PendingAuthorization {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) redirect_uri_sent: bool,
    pub(crate) state: Option<String>,
    pub(crate) scope: Vec<String>,
    pub(crate) resources: Vec<String>,
    pub(crate) code_challenge: String,
    pub(crate) code_challenge_method: String,
    pub(crate) created_at: i64,
}

/// A copy of everything inspectable, taken at one moment.
#[derive(Debug, Clone, Serialize)]
pub struct IdpSnapshot {
    /// Clients, registration order.
    pub clients: Vec<RegisteredClient>,
    /// `/authorize` requests, arrival order.
    pub authorization_requests: Vec<AuthorizationRequestRecord>,
    /// Codes, issue order.
    pub codes: Vec<CodeRecord>,
    /// Tokens, issue order.
    pub tokens: Vec<TokenRecord>,
    /// Every request, arrival order.
    pub requests: Vec<LoggedRequest>,
}

impl IdpSnapshot {
    /// The client with this id.
    pub fn client(&self, id: &str) -> Option<&RegisteredClient> {
        self.clients.iter().find(|c| c.client_id == id)
    }
    /// Access tokens only.
    pub fn access_tokens(&self) -> impl Iterator<Item = &TokenRecord> {
        self.tokens.iter().filter(|t| t.kind == TokenKind::Access)
    }
    /// Every secret value the IdP handed out (client secrets, codes, tokens), for redaction checks.
    pub fn secrets(&self) -> Vec<String> {
        let mut s: Vec<String> = self.clients.iter().filter_map(|c| c.client_secret.clone()).collect();
        s.extend(self.codes.iter().map(|c| c.code.clone()));
        s.extend(self.tokens.iter().map(|t| t.value.clone()));
        s
    }
}

#[derive(Debug, Default)]
pub(crate) struct Inner {
    pub clients: Vec<RegisteredClient>,
    pub auth_requests: Vec<AuthorizationRequestRecord>,
    pub codes: Vec<CodeRecord>,
    pub tokens: Vec<TokenRecord>,
    pub requests: Vec<LoggedRequest>,
    pub requests_dropped: u64,
    pub pending: HashMap<String, PendingAuthorization>,
    pub sessions: HashMap<String, String>,
    pub registrations: VecDeque<i64>,
    pub cimd_cache: HashMap<String, (RegisteredClient, i64)>,
    pub jwks_cache: HashMap<String, (Value, i64)>,
    pub used_assertion_jtis: HashSet<String>,
    pub fetch_rewrites: BTreeMap<String, String>,
}

/// Shared server state.
#[derive(Debug)]
pub(crate) struct AppState {
    pub config: IdpConfig,
    pub issuer: String,
    /// `http://127.0.0.1:PORT` — where the routes really are.
    pub origin: String,
    pub keys: Mutex<KeySet>,
    pub inner: Mutex<Inner>,
    pub clock_offset: AtomicI64,
    pub http: crate::fetch::Fetcher,
}

impl AppState {
    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock would be a bug of ours; keep serving rather than cascade.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn keys(&self) -> MutexGuard<'_, KeySet> {
        self.keys.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Unix seconds on the IdP's clock (real time plus any advance a test asked for).
    pub fn now(&self) -> i64 {
        let real = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
        real + self.clock_offset.load(Ordering::Relaxed)
    }

    /// The URL of an endpoint under the issuer path.
    pub fn endpoint(&self, name: &str) -> String {
        format!("{}{}/{}", self.origin, self.config.issuer_path, name)
    }

    /// Every supported token endpoint auth method, as advertised. `basic_auth_refused` keeps Basic
    /// here on purpose: the servers it models advertise Basic and then do not honour it.
    pub fn token_auth_methods(&self) -> Vec<&'static str> {
        let mut m = vec!["client_secret_basic", "client_secret_post", "none", "private_key_jwt"];
        if self.config.has(crate::Quirk::NoPrivateKeyJwt) || self.config.has(crate::Quirk::CimdSingularAuthMethodOnly) {
            m.retain(|x| *x != "private_key_jwt");
        }
        m
    }

    pub fn snapshot(&self) -> IdpSnapshot {
        let i = self.lock();
        IdpSnapshot {
            clients: i.clients.clone(),
            authorization_requests: i.auth_requests.clone(),
            codes: i.codes.clone(),
            tokens: i.tokens.clone(),
            requests: i.requests.clone(),
        }
    }
}

/// Rewrites a URL by the longest matching prefix (so ChatGPT's `https://chatgpt.com/oauth/...`
/// documents can be served by the mock client on loopback).
pub(crate) fn rewrite(rewrites: &BTreeMap<String, String>, url: &str) -> String {
    rewrites
        .iter()
        .filter(|(from, _)| url.starts_with(from.as_str()))
        .max_by_key(|(from, _)| from.len())
        .map(|(from, to)| format!("{to}{}", &url[from.len()..]))
        .unwrap_or_else(|| url.to_owned())
}
