//! The client's own little web server: it serves the Client ID Metadata Document and the JWKS on
//! loopback, so an authorization server can fetch them (the profile's real `https://chatgpt.com/…`
//! URLs are mapped onto it).

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

use crate::error::ClientError;

type Docs = Arc<Mutex<HashMap<String, Value>>>;

/// A running document host. Dropping it stops the server.
#[derive(Debug)]
pub struct CimdHost {
    origin: String,
    docs: Docs,
    stop: Option<oneshot::Sender<()>>,
}

impl CimdHost {
    /// Starts on 127.0.0.1 with a free port.
    pub async fn start() -> Result<CimdHost, ClientError> {
        let listener =
            tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| ClientError::Host(e.to_string()))?;
        let port = listener.local_addr().map_err(|e| ClientError::Host(e.to_string()))?.port();
        let docs: Docs = Default::default();
        let app = Router::new().fallback(serve).with_state(docs.clone());
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(CimdHost { origin: format!("http://127.0.0.1:{port}"), docs, stop: Some(tx) })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Serves `doc` at `path`.
    pub fn put(&self, path: &str, doc: Value) {
        self.docs.lock().unwrap_or_else(|p| p.into_inner()).insert(path.to_owned(), doc);
    }
}

impl Drop for CimdHost {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

async fn serve(State(docs): State<Docs>, req: Request) -> Response {
    let doc = docs.lock().unwrap_or_else(|p| p.into_inner()).get(req.uri().path()).cloned();
    match doc {
        Some(d) => {
            let mut r = axum::Json(d).into_response();
            r.headers_mut().insert("cache-control", axum::http::HeaderValue::from_static("max-age=300"));
            r
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
