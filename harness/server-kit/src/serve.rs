//! Binding a loopback listener, serving a router on it, and the handle that stops it.

use axum::Router;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How long [`Served::shutdown`] waits for in-flight requests before abandoning them.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// The listening socket could not be bound.
#[derive(Debug, thiserror::Error)]
#[error("failed to bind {addr}")]
pub struct BindError {
    /// The address tried.
    pub addr: String,
    /// The OS error.
    #[source]
    pub source: std::io::Error,
}

/// A bound loopback listener, not yet serving: the server learns its origin (to build its URLs)
/// before it builds its router.
#[derive(Debug)]
pub struct Bound {
    listener: TcpListener,
    local: SocketAddr,
}

impl Bound {
    /// `http://127.0.0.1:PORT`.
    pub fn origin(&self) -> String {
        format!("http://{}", self.local)
    }
}

/// Binds `127.0.0.1:port` (0 picks a free port). Loopback only: what these servers hold (keys,
/// tokens, logs with secrets) must not be reachable from the network.
pub async fn bind_loopback(port: u16) -> Result<Bound, BindError> {
    let addr = format!("127.0.0.1:{port}");
    let listener = match TcpListener::bind(&addr).await {
        Ok(l) => l,
        Err(source) => return Err(BindError { addr, source }),
    };
    let local = listener.local_addr().map_err(|source| BindError { addr, source })?;
    Ok(Bound { listener, local })
}

/// A router being served on a loopback listener. Dropping it stops the server at once;
/// [`Served::shutdown`] lets in-flight requests finish first.
#[derive(Debug)]
pub struct Served {
    local: SocketAddr,
    name: &'static str,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Served {
    /// Serves `app` on `listener` until shut down; `name` names the server in the warning logged
    /// when it does not stop in time.
    pub fn start(bound: Bound, app: Router, name: &'static str) -> Served {
        let Bound { listener, local } = bound;
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Served { local, name, shutdown: Some(tx), task: Some(task) }
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.local.port()
    }

    /// `http://127.0.0.1:PORT`.
    pub fn origin(&self) -> String {
        format!("http://{}", self.local)
    }

    /// Stops accepting, lets in-flight requests finish, and waits at most [`SHUTDOWN_GRACE`]: a
    /// stuck request is abandoned rather than hanging the caller.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take()
            && tokio::time::timeout(SHUTDOWN_GRACE, t).await.is_err()
        {
            tracing::warn!("{} did not stop within {} s", self.name, SHUTDOWN_GRACE.as_secs());
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn serves_on_loopback_and_stops() {
        let bound = bind_loopback(0).await.unwrap();
        let origin = bound.origin();
        let served = Served::start(bound, Router::new(), "test server");
        assert_eq!(served.origin(), origin);
        assert!(served.local_addr().ip().is_loopback());
        assert_ne!(served.port(), 0);
        assert_eq!(served.origin(), format!("http://127.0.0.1:{}", served.port()));
        let port = served.port();
        served.shutdown().await;
        // The port is free again once the server has stopped.
        assert!(bind_loopback(port).await.is_ok());
    }
}
