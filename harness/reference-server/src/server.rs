//! Starting, inspecting and stopping the reference server: the router, the body-limit and
//! request-log middleware, and [`ReferenceHandle`].

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use serde_json::Value;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::config::ReferenceConfig;
use super::error::ReferenceError;
use super::faults::Faults;
use super::jwks::JwksCache;
use super::state::{AppState, LoggedRequest, MAX_LOGGED_BODY_BYTES, PRM_WELL_KNOWN, RequestLog};
use super::{mcp, prm, transport};

/// Largest request body read; beyond it the answer is 400 with a JSON-RPC error.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Time allowed for a request body to arrive; beyond it the answer is 408.
pub const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

pub(crate) async fn start(config: ReferenceConfig) -> Result<ReferenceHandle, ReferenceError> {
    config.validate()?;
    // jsonwebtoken panics on first use if it cannot tell which crypto backend to use; make the
    // choice explicit (a second install attempt is a harmless error).
    let _ = jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER.install_default();
    // RS-20: loopback only.
    let addr = format!("127.0.0.1:{}", config.port);
    let listener =
        TcpListener::bind(&addr).await.map_err(|source| ReferenceError::Bind { addr: addr.clone(), source })?;
    let local = listener.local_addr().map_err(|source| ReferenceError::Bind { addr, source })?;
    let origin = format!("http://127.0.0.1:{}", local.port());
    let state = Arc::new(AppState {
        faults: Faults::new(&config.faults),
        resource: format!("{origin}{}", config.mcp_path),
        origin,
        jwks: JwksCache::new(config.jwks_uri.clone()),
        sessions: Mutex::default(),
        log: Mutex::new(RequestLog::default()),
        challenges: AtomicU64::new(0),
        config,
    });
    let app = router(state.clone());
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
    });
    Ok(ReferenceHandle { state, shutdown: Some(tx), task: Some(task) })
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
    let (parts, body) = req.into_parts();
    let read = tokio::time::timeout(BODY_TIMEOUT, axum::body::to_bytes(body, MAX_BODY_BYTES)).await;
    let (bytes, resp) = match read {
        Ok(Ok(b)) => {
            let resp = next.run(Request::from_parts(parts.clone(), Body::from(b.clone()))).await;
            (b, resp)
        }
        Ok(Err(_)) => {
            let msg = format!("request body larger than {MAX_BODY_BYTES} bytes (or unreadable)");
            (Default::default(), failure(StatusCode::BAD_REQUEST, &msg))
        }
        Err(_) => (Default::default(), failure(StatusCode::REQUEST_TIMEOUT, "request body not received in time")),
    };
    let carried_token = parts.headers.get_all(AUTHORIZATION).iter().any(|v| {
        let v = v.as_bytes();
        v.len() > 7 && v[..7].eq_ignore_ascii_case(b"bearer ") && v[7..].iter().any(|b| *b != b' ')
    });
    let rpc_method = serde_json::from_slice::<Value>(&bytes)
        .ok()
        .and_then(|v| v.get("method").and_then(Value::as_str).map(str::to_owned));
    let shown = &bytes[..bytes.len().min(MAX_LOGGED_BODY_BYTES)];
    st.log().push(LoggedRequest {
        seq: 0,
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| (k.to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect(),
        body: String::from_utf8_lossy(shown).into_owned(),
        carried_token,
        rpc_method,
        status: resp.status().as_u16(),
    });
    resp
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
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
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
        self.state.origin.rsplit(':').next().and_then(|p| p.parse().ok()).unwrap_or(0)
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
        self.state.log().entries.iter().cloned().collect()
    }
    /// Live sessions.
    pub fn session_count(&self) -> usize {
        self.state.sessions().len()
    }
    /// The live sessions, oldest first.
    pub fn sessions(&self) -> Vec<super::session::SessionInfo> {
        self.state.sessions().list()
    }
    /// Stops the server and waits (at most 5 s) for it.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take()
            && tokio::time::timeout(std::time::Duration::from_secs(5), t).await.is_err()
        {
            tracing::warn!("reference MCP server did not stop within 5 s");
        }
    }
}

impl Drop for ReferenceHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}
