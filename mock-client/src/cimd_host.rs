//! The client's own little web server: it serves the Client ID Metadata Document and the JWKS on
//! loopback, so an authorization server can fetch them (the profile's real `https://chatgpt.com/…`
//! URLs are mapped onto it).

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use parking_lot::Mutex;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::oneshot;

use crate::error::ClientError;

type Docs = Arc<Mutex<HashMap<String, Value>>>;
type Fetches = Arc<Mutex<Vec<CimdFetch>>>;

/// One request the host answered: who fetched what (an authorization server fetching the client's
/// metadata document or JWKS is evidence that it supports Client ID Metadata Documents).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CimdFetch {
    /// The path requested.
    pub path: String,
    /// The requester's `User-Agent`, if it sent one.
    pub user_agent: Option<String>,
    /// The status answered (200, or 404 for a path nothing is served at).
    pub status: u16,
}

/// A running document host. Dropping it stops the server.
#[derive(Debug)]
pub struct CimdHost {
    origin: String,
    docs: Docs,
    fetches: Fetches,
    stop: Option<oneshot::Sender<()>>,
}

impl CimdHost {
    /// Starts on 127.0.0.1 with a free port.
    pub async fn start() -> Result<CimdHost, ClientError> {
        Self::start_on(0).await
    }

    /// Starts on this port of 127.0.0.1 (0 picks a free one), e.g. behind a tunnel that gives the
    /// documents a public https URL.
    pub async fn start_on(port: u16) -> Result<CimdHost, ClientError> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .map_err(|e| ClientError::Host(format!("127.0.0.1:{port}: {e}")))?;
        let port = listener.local_addr().map_err(|e| ClientError::Host(e.to_string()))?.port();
        let docs: Docs = Default::default();
        let fetches: Fetches = Default::default();
        let app = Router::new().fallback(serve).with_state((docs.clone(), fetches.clone()));
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(CimdHost { origin: format!("http://127.0.0.1:{port}"), docs, fetches, stop: Some(tx) })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Serves `doc` at `path`.
    pub fn put(&self, path: &str, doc: Value) {
        self.docs.lock().insert(path.to_owned(), doc);
    }

    /// Every request answered so far, in order.
    pub fn fetches(&self) -> Vec<CimdFetch> {
        self.fetches.lock().clone()
    }
}

impl Drop for CimdHost {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

async fn serve(State((docs, fetches)): State<(Docs, Fetches)>, req: Request) -> Response {
    let path = req.uri().path().to_owned();
    let doc = docs.lock().get(&path).cloned();
    let user_agent = req.headers().get("user-agent").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let mut log = fetches.lock();
    // Bounded: a document host lives for one run.
    if log.len() < 1000 {
        log.push(CimdFetch { path, user_agent, status: if doc.is_some() { 200 } else { 404 } });
    }
    drop(log);
    match doc {
        Some(d) => {
            let mut r = axum::Json(d).into_response();
            r.headers_mut().insert("cache-control", axum::http::HeaderValue::from_static("max-age=300"));
            r
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
