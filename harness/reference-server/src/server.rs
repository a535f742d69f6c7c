//! Starting, inspecting and stopping the reference server: the router, the body-limit and
//! request-log middleware, and [`ReferenceHandle`].

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use parking_lot::Mutex;
use serde_json::Value;
use server_kit::{BodyError, BodyLimits, Exchange, Served};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use super::config::ReferenceConfig;
use super::error::ReferenceError;
use super::faults::Faults;
use super::jwks::JwksCache;
use super::state::{AppState, LoggedRequest, MAX_LOGGED_BODY_BYTES, McpFacts, PRM_WELL_KNOWN, RequestLog};
use super::{mcp, prm, transport};

/// Largest request body read; beyond it the answer is 400 with a JSON-RPC error.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Time allowed for a request body to arrive; beyond it the answer is 408.
pub const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

// The builder's `start` lives here, beside what it starts, so the configuration module does not
// depend on the server (no module cycle: server → config only).
impl crate::config::ReferenceServer {
    /// Validates the configuration, binds 127.0.0.1 and serves until the handle is shut down or
    /// dropped.
    pub async fn start(self) -> Result<ReferenceHandle, ReferenceError> {
        start(self.into_config()).await
    }
}

pub(crate) async fn start(config: ReferenceConfig) -> Result<ReferenceHandle, ReferenceError> {
    config.validate()?;
    // jsonwebtoken panics on first use if it cannot tell which crypto backend to use; make the
    // choice explicit (a second install attempt is a harmless error).
    let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
    // RS-20: loopback only.
    let bound = server_kit::bind_loopback(config.port)
        .await
        .map_err(|e| ReferenceError::Bind { addr: e.addr, source: e.source })?;
    let origin = bound.origin();
    let state = Arc::new(AppState {
        faults: Faults::new(&config.faults),
        resource: format!("{origin}{}", config.mcp_path),
        origin,
        jwks: JwksCache::new(config.jwks_uri.clone()),
        sessions: Mutex::default(),
        log: Mutex::new(RequestLog::default()),
        challenges: AtomicU64::new(0),
        handles: Mutex::default(),
        list_calls: AtomicU64::new(0),
        discovered: Mutex::default(),
        last_answer: Mutex::default(),
        event_ids: AtomicU64::new(0),
        migrated: Mutex::default(),
        config,
    });
    let served = Served::start(bound, router(state.clone()), "reference MCP server");
    Ok(ReferenceHandle { state, served })
}

fn router(state: Arc<AppState>) -> Router {
    let path = state.config.mcp_path.clone();
    Router::new()
        .route(&path, any(transport::endpoint))
        .route(PRM_WELL_KNOWN, get(prm::root))
        .route(&format!("{PRM_WELL_KNOWN}{path}"), get(prm::path))
        .route(prm::MANIFEST_PATH, get(prm::manifest))
        .fallback(|| async { not_found() })
        .layer(middleware::from_fn_with_state(state.clone(), log_and_limit))
        .with_state(state)
}

/// An HTTP error whose body is a JSON-RPC error without an id.
fn failure(status: StatusCode, message: &str) -> Response {
    let body = mcp::error_body(Value::Null, mcp::INVALID_REQUEST, message);
    (status, [(CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

/// The JSON 404 for unknown paths (and PRM removed by a fault).
pub(crate) fn not_found() -> Response {
    (StatusCode::NOT_FOUND, [(CONTENT_TYPE, "application/json")], r#"{"error":"not_found"}"#).into_response()
}

/// Buffers the body under [`MAX_BODY_BYTES`] and within [`BODY_TIMEOUT`], then records the
/// exchange in the request log.
async fn log_and_limit(State(st): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let limits = BodyLimits { max_bytes: MAX_BODY_BYTES, deadline: Some(BODY_TIMEOUT) };
    server_kit::buffer_and_record(req, next, limits, refuse, |ex| st.log.lock().push(entry(&ex))).await
}

/// The answer to a body that could not be read: 400 when too large, 408 when too slow.
fn refuse(e: BodyError) -> Response {
    match e {
        BodyError::TimedOut => failure(StatusCode::REQUEST_TIMEOUT, "request body not received in time"),
        _ => failure(
            StatusCode::BAD_REQUEST,
            &format!("request body larger than {MAX_BODY_BYTES} bytes (or unreadable)"),
        ),
    }
}

/// The log entry of one exchange (numbered by the log).
fn entry(ex: &Exchange<'_>) -> LoggedRequest {
    let bytes = ex.body.unwrap_or_default();
    let carried_token = ex.parts.headers.get_all(AUTHORIZATION).iter().any(|v| {
        let v = v.as_bytes();
        v.len() > 7 && v[..7].eq_ignore_ascii_case(b"bearer ") && v[7..].iter().any(|b| *b != b' ')
    });
    let rpc_method = serde_json::from_slice::<Value>(bytes)
        .ok()
        .and_then(|v| v.get("method").and_then(Value::as_str).map(str::to_owned));
    let shown = String::from_utf8_lossy(&bytes[..bytes.len().min(MAX_LOGGED_BODY_BYTES)]).into_owned();
    LoggedRequest::of(ex, |s| s, shown, McpFacts { carried_token, rpc_method })
}

/// A copy of what the reference server has recorded, taken at one moment.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReferenceSnapshot {
    /// Requests, arrival order.
    pub requests: Vec<LoggedRequest>,
    /// Live sessions, oldest first.
    pub sessions: Vec<super::session::SessionInfo>,
}

/// A running reference server. Dropping it stops the server.
#[derive(Debug)]
pub struct ReferenceHandle {
    state: Arc<AppState>,
    served: Served,
}

impl ReferenceHandle {
    /// The MCP endpoint, `http://127.0.0.1:PORT/mcp`: also the canonical resource.
    pub fn url(&self) -> &str {
        &self.state.resource
    }
    /// The canonical resource URI tokens must name in `aud` (RFC 8707; equals [`Self::url`]).
    /// Faults that change what the PRM advertises do not change this.
    pub fn resource(&self) -> &str {
        &self.state.resource
    }
    /// `http://127.0.0.1:PORT`.
    pub fn origin(&self) -> &str {
        &self.state.origin
    }
    /// `http://127.0.0.1:PORT/.well-known/oauth-protected-resource`.
    pub fn prm_url_root(&self) -> String {
        self.state.prm_url_root()
    }
    /// `http://127.0.0.1:PORT/.well-known/oauth-protected-resource/mcp`.
    pub fn prm_url_path(&self) -> String {
        self.state.prm_url_path()
    }
    /// The bound port.
    pub fn port(&self) -> u16 {
        self.served.port()
    }
    /// The configuration in force.
    pub fn config(&self) -> &ReferenceConfig {
        &self.state.config
    }
    /// Everything the server has recorded so far: requests and live sessions.
    pub fn snapshot(&self) -> ReferenceSnapshot {
        ReferenceSnapshot { requests: self.requests(), sessions: self.sessions() }
    }
    /// Every request received so far (the latest [`super::state::MAX_LOGGED_REQUESTS`]), in order.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.state.log.lock().entries.iter().cloned().collect()
    }
    /// Live sessions.
    pub fn session_count(&self) -> usize {
        self.state.sessions.lock().len()
    }
    /// The live sessions, oldest first.
    pub fn sessions(&self) -> Vec<super::session::SessionInfo> {
        self.state.sessions.lock().list()
    }

    /// Moves the resource to another authorization server at run time (an AS migration, MCP
    /// 2026-07-28 C-33): from now on the PRM lists `issuer`, and only tokens it issued (`iss`
    /// equal to it, signed by a key of `jwks_uri`) are accepted, so a client still holding the
    /// old AS's token is challenged and must discover the new one.
    pub fn switch_authorization_server(&self, issuer: impl Into<String>, jwks_uri: impl Into<String>) {
        let authority = super::state::Authority { issuer: issuer.into(), jwks: JwksCache::new(jwks_uri.into()) };
        *self.state.migrated.lock() = Some(Arc::new(authority));
    }

    /// Stops the server and waits (at most 5 s) for it.
    pub async fn shutdown(self) {
        self.served.shutdown().await;
    }
}
