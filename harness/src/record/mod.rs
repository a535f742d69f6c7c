//! `connector-harness record`: a recording reverse proxy in front of a user's MCP server and its
//! authorization server. One loopback listener per route forwards to its upstream — and nowhere
//! else — and every exchange is written to a transcript in the format the mock client writes
//! (phase and [`mock_client::ExchangeKind`] inferred from the request, [`classify`]), redacted
//! each time it is written ([`secrets`]), so `check --transcript` and `profiles diff` read a real
//! client's session as they read an emulated one.
//!
//! Bounds: request bodies up to [`MAX_REQUEST_BODY`], buffered responses up to
//! [`MAX_RESPONSE_BODY`] (a larger one is refused with 502 and recorded as such); an event
//! stream is passed through as it arrives, and the first [`MAX_RECORDED_BODY`] bytes of it are
//! recorded. Nothing here is a dependency of the judging crates.
//!
//! `--rewrite-urls` in front of an authorization server rewrites URLs only: a client that
//! authenticates with a signed assertion (`private_key_jwt`, as ChatGPT's CIMD client does) signs
//! it for the token endpoint it sees — the proxy's — and the proxy cannot re-sign. The AS must
//! accept its public token URL as the audience (RFC 7523 §3): the mock IdP does for the URLs it is
//! told of (`IdpHandle::add_public_token_url`, `serve --idp-public-origin`); otherwise route only
//! the MCP server.

pub mod classify;
pub mod rewrite;
pub mod secrets;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use futures_util::StreamExt;
use mock_client::{Exchange, Transcript};
use parking_lot::Mutex;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rewrite::Rewrites;

/// Largest request body forwarded.
pub const MAX_REQUEST_BODY: usize = 1 << 20;
/// Largest buffered (non-stream) response forwarded.
pub const MAX_RESPONSE_BODY: usize = 8 << 20;
/// Largest body kept in the transcript (the rest is cut, `truncated`).
pub const MAX_RECORDED_BODY: usize = 256 << 10;
/// How long the upstream may stay silent before the proxy gives up on it.
pub const UPSTREAM_READ_TIMEOUT: Duration = Duration::from_secs(120);

/// One listener and the upstream it forwards to.
#[derive(Debug, Clone)]
pub struct Route {
    /// The loopback address to listen on (`127.0.0.1:7000`; port 0 picks one).
    pub listen: SocketAddr,
    /// Where to forward (`https://mcp.example.com`, or an origin with a base path).
    pub upstream: url::Url,
}

impl std::str::FromStr for Route {
    type Err = RecordError;
    /// `127.0.0.1:PORT=UPSTREAM_URL`.
    fn from_str(s: &str) -> Result<Route, RecordError> {
        let bad = |why: &str| RecordError::Route(format!("`{s}`: {why}"));
        let (listen, upstream) = s.split_once('=').ok_or_else(|| bad("expected 127.0.0.1:PORT=UPSTREAM_URL"))?;
        let listen: SocketAddr = listen.parse().map_err(|_| bad("the listen address is not IP:PORT"))?;
        if listen.ip() != std::net::Ipv4Addr::LOCALHOST {
            return Err(bad("the listen address must be 127.0.0.1 (put a tunnel in front for a public URL)"));
        }
        let upstream = url::Url::parse(upstream).map_err(|e| bad(&format!("the upstream URL: {e}")))?;
        if !matches!(upstream.scheme(), "http" | "https") || upstream.host_str().is_none() {
            return Err(bad("the upstream must be an http(s) URL with a host"));
        }
        Ok(Route { listen, upstream })
    }
}

/// What to record.
#[derive(Debug, Clone, Default)]
pub struct RecordOptions {
    /// The routes (at least one).
    pub routes: Vec<Route>,
    /// Swap upstream origins for route origins in what the client sees, and back.
    pub rewrite_urls: bool,
    /// Write the redacted transcript here after every exchange.
    pub out: Option<PathBuf>,
}

/// The proxy could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// A `--route` that cannot be used.
    #[error("bad route {0}")]
    Route(String),
    /// A listener could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The HTTP client could not be built.
    #[error("building the upstream client: {0}")]
    Client(String),
}

struct RouteState {
    origin: String,
    upstream: url::Url,
    mcp_host: bool,
}

struct Log {
    transcript: Transcript,
    routes: Vec<RouteState>,
    /// What the requests so far tell about the next one.
    learned: classify::Learned,
}

struct Shared {
    http: reqwest::Client,
    log: Mutex<Log>,
    to_client: Rewrites,
    to_upstream: Rewrites,
    out: Option<PathBuf>,
    write_lock: tokio::sync::Mutex<()>,
}

/// A running recording proxy; dropping it stops the listeners.
pub struct Recording {
    shared: Arc<Shared>,
    servers: Vec<server_kit::Served>,
    origins: Vec<String>,
}

impl Recording {
    /// Binds every route and starts forwarding.
    pub async fn start(opts: RecordOptions) -> Result<Recording, RecordError> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10))
            .read_timeout(UPSTREAM_READ_TIMEOUT)
            .build()
            .map_err(|e| RecordError::Client(e.to_string()))?;
        let mut listeners = Vec::new();
        for r in &opts.routes {
            let bound = server_kit::bind_loopback(r.listen.port())
                .await
                .map_err(|e| RecordError::Bind { addr: r.listen, source: e.source })?;
            let origin = bound.origin();
            listeners.push((bound, origin));
        }
        let routes: Vec<RouteState> = opts
            .routes
            .iter()
            .zip(&listeners)
            .map(|(r, (_, origin))| RouteState {
                origin: origin.clone(),
                upstream: r.upstream.clone(),
                mcp_host: false,
            })
            .collect();
        let pairs: Vec<(String, String)> =
            routes.iter().map(|r| (r.upstream.origin().ascii_serialization(), r.origin.clone())).collect();
        let to_client = if opts.rewrite_urls { Rewrites::new(pairs) } else { Rewrites::default() };
        let shared = Arc::new(Shared {
            http,
            log: Mutex::new(Log { transcript: Transcript::default(), routes, learned: classify::Learned::default() }),
            to_upstream: to_client.inverse(),
            to_client,
            out: opts.out.clone(),
            write_lock: tokio::sync::Mutex::new(()),
        });
        let mut servers = Vec::new();
        let mut origins = Vec::new();
        for (i, (listener, origin)) in listeners.into_iter().enumerate() {
            let app = axum::Router::new().fallback(forward).with_state((shared.clone(), i));
            servers.push(server_kit::Served::start(listener, app, "record proxy"));
            origins.push(origin);
        }
        Ok(Recording { shared, servers, origins })
    }

    /// Each route's origin, in the order given.
    pub fn origins(&self) -> &[String] {
        &self.origins
    }

    /// The transcript so far, redacted.
    pub fn transcript(&self) -> Transcript {
        self.shared.log.lock().transcript.redacted()
    }

    /// Stops the listeners (in-flight exchanges finish) and writes the transcript a last time.
    pub async fn shutdown(self) -> std::io::Result<()> {
        for s in self.servers {
            s.shutdown().await;
        }
        write(&self.shared).await
    }
}

async fn write(shared: &Shared) -> std::io::Result<()> {
    let Some(path) = &shared.out else { return Ok(()) };
    let _guard = shared.write_lock.lock().await;
    let text = serde_json::to_string_pretty(&shared.log.lock().transcript.redacted())
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let tmp = path.with_extension("partial");
    tokio::fs::write(&tmp, text).await?;
    tokio::fs::rename(&tmp, path).await
}

const HOP_BY_HOP: [&str; 10] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
];

fn pairs(h: &HeaderMap) -> Vec<(String, String)> {
    h.iter().map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned())).collect()
}

fn cut(bytes: &[u8]) -> (String, bool) {
    let n = bytes.len().min(MAX_RECORDED_BODY);
    (String::from_utf8_lossy(&bytes[..n]).into_owned(), bytes.len() > MAX_RECORDED_BODY)
}

/// A proxied request, recorded.
async fn forward(State((shared, route)): State<(Arc<Shared>, usize)>, req: Request) -> Response {
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let (upstream, route_origin) = {
        let log = shared.log.lock();
        (log.routes[route].upstream.clone(), log.routes[route].origin.clone())
    };
    let path_q = parts.uri.path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "/".into());
    let scheme = parts.headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()).unwrap_or("http");
    let client_url = match parts.headers.get("host").and_then(|v| v.to_str().ok()) {
        Some(h) => format!("{scheme}://{h}{path_q}"),
        None => format!("{route_origin}{path_q}"),
    };
    let req_headers = pairs(&parts.headers);
    let mut ex = Exchange {
        request_headers: req_headers,
        ..Exchange::request(0, mock_client::Phase::Discovery, parts.method.as_str(), client_url.clone())
    };
    let body = match axum::body::to_bytes(body, MAX_REQUEST_BODY).await {
        Ok(b) => b,
        Err(_) => {
            ex.error = Some(format!("request body over the proxy's {MAX_REQUEST_BODY}-byte limit; not forwarded"));
            return finish(&shared, route, ex, plain(StatusCode::PAYLOAD_TOO_LARGE, "request body too large")).await;
        }
    };
    if !body.is_empty() {
        ex.request_body = Some(cut(&body).0);
    }
    let base = upstream.as_str().trim_end_matches('/');
    let upstream_url = format!("{base}{}", shared.to_upstream.apply(&path_q));
    let mut rb = shared.http.request(parts.method.clone(), &upstream_url);
    for (k, v) in &parts.headers {
        let name = k.as_str();
        if HOP_BY_HOP.contains(&name) || name == "accept-encoding" || name.starts_with("x-forwarded-") {
            continue;
        }
        let value = shared.to_upstream.apply(&String::from_utf8_lossy(v.as_bytes()));
        if let Ok(v) = HeaderValue::from_str(&value) {
            rb = rb.header(k.clone(), v);
        }
    }
    let up_body = match std::str::from_utf8(&body) {
        Ok(text) if !shared.to_upstream.is_empty() => shared.to_upstream.apply(text).into_bytes().into(),
        _ => body.clone(),
    };
    let resp = match rb.body(up_body).send().await {
        Ok(r) => r,
        Err(e) => {
            ex.error = Some(format!("upstream {upstream_url}: {e}"));
            return finish(&shared, route, ex, plain(StatusCode::BAD_GATEWAY, "upstream unreachable")).await;
        }
    };
    let status = resp.status();
    let mut headers = HeaderMap::new();
    for (k, v) in resp.headers() {
        let name = k.as_str();
        if HOP_BY_HOP.contains(&name) || name == "content-encoding" {
            continue;
        }
        let value = shared.to_client.apply(&String::from_utf8_lossy(v.as_bytes()));
        if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(k.as_ref()), HeaderValue::from_str(&value)) {
            headers.append(n, v);
        }
    }
    ex.status = Some(status.as_u16());
    ex.response_headers = pairs(&headers);
    let is_stream = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.to_ascii_lowercase().starts_with("text/event-stream"));
    if is_stream {
        // Passed through as it arrives; recorded (capped) when it ends.
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<bytes_shim::Bytes, std::io::Error>>(16);
        let shared2 = shared.clone();
        tokio::spawn(async move {
            let mut stream = resp.bytes_stream();
            let mut kept: Vec<u8> = Vec::new();
            let mut total = 0usize;
            while let Some(chunk) = stream.next().await {
                match chunk {
                    Ok(c) => {
                        total += c.len();
                        let room = MAX_RECORDED_BODY.saturating_sub(kept.len());
                        kept.extend_from_slice(&c[..c.len().min(room)]);
                        if tx.send(Ok(c)).await.is_err() {
                            ex.error = Some("the client closed the stream".into());
                            break;
                        }
                    }
                    Err(e) => {
                        ex.error = Some(format!("upstream stream: {e}"));
                        let _ = tx.send(Err(std::io::Error::other(e.to_string()))).await;
                        break;
                    }
                }
            }
            let (text, _) = cut(&kept);
            ex.response_body = Some(text);
            ex.truncated = total > MAX_RECORDED_BODY;
            ex.duration_ms = started.elapsed().as_millis() as u64;
            record(&shared2, route, ex);
            let _ = write(&shared2).await;
        });
        let stream = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|c| (c, rx)) });
        let mut r = Response::new(Body::from_stream(stream));
        *r.status_mut() = status;
        *r.headers_mut() = headers;
        return r;
    }
    let mut buf: Vec<u8> = Vec::new();
    let mut stream = resp.bytes_stream();
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(c) if buf.len() + c.len() <= MAX_RESPONSE_BODY => buf.extend_from_slice(&c),
            Ok(_) => {
                ex.error = Some(format!("response body over the proxy's {MAX_RESPONSE_BODY}-byte limit"));
                ex.response_body = Some(cut(&buf).0);
                ex.truncated = true;
                return finish(&shared, route, ex, plain(StatusCode::BAD_GATEWAY, "upstream body too large")).await;
            }
            Err(e) => {
                ex.error = Some(format!("upstream body: {e}"));
                return finish(&shared, route, ex, plain(StatusCode::BAD_GATEWAY, "upstream body failed")).await;
            }
        }
    }
    let out: Vec<u8> = match std::str::from_utf8(&buf) {
        Ok(text) if !shared.to_client.is_empty() => shared.to_client.apply(text).into_bytes(),
        _ => buf,
    };
    if !out.is_empty() {
        let (text, truncated) = cut(&out);
        ex.response_body = Some(text);
        ex.truncated = truncated;
    }
    let mut r = Response::new(Body::from(out));
    *r.status_mut() = status;
    *r.headers_mut() = headers;
    finish(&shared, route, ex, r).await
}

/// The `bytes` type axum bodies stream (re-exported by axum).
mod bytes_shim {
    pub use axum::body::Bytes;
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    let mut r = Response::new(Body::from(text));
    *r.status_mut() = status;
    r
}

async fn finish(shared: &Arc<Shared>, route: usize, mut ex: Exchange, r: Response) -> Response {
    ex.duration_ms = ex.duration_ms.max(1);
    record(shared, route, ex);
    if let Err(e) = write(shared).await {
        tracing::warn!("record: writing the transcript failed: {e}");
    }
    r
}

/// Classifies `ex`, finds its secrets and appends it.
fn record(shared: &Shared, route: usize, mut ex: Exchange) {
    let mut log = shared.log.lock();
    let (path, query) = {
        let after = ex.url.split_once("://").map(|(_, r)| r).unwrap_or(&ex.url);
        let pq = after.find('/').map(|i| &after[i..]).unwrap_or("/");
        pq.split_once('?').map(|(p, q)| (p.to_owned(), q.to_owned())).unwrap_or((pq.to_owned(), String::new()))
    };
    let body = ex.request_body.clone().unwrap_or_default();
    let is_rpc = serde_json::from_str::<serde_json::Value>(&body).is_ok_and(|v| v.get("jsonrpc").is_some());
    if is_rpc {
        log.routes[route].mcp_host = true;
    }
    let seen = log.learned.seen(&ex, &path, &query, &body, log.routes[route].mcp_host);
    let (phase, kind, label) = classify::classify(&seen);
    log.learned.learn(&ex, &kind);
    ex.phase = phase;
    ex.kind = kind;
    ex.label = label;
    let t = &mut log.transcript;
    t.push(ex.clone());
    secrets::harvest(t, &ex);
}
