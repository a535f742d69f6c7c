//! Outbound HTTP with a recording: every request goes through [`Recorder::send`], which applies
//! the limits (timeout, body size, no automatic redirects, the address policy) and appends the
//! exchange to the transcript.
//!
//! The address policy ([`net_policy`]) is applied twice per request: to the URL before sending
//! (scheme, plain http only to loopback, IP-literal hosts) and, through the client's DNS resolver,
//! to every address a host name resolves to. Redirects are never followed by reqwest; the login
//! driver follows them one hop at a time through [`Recorder::send`], so every hop is checked too.

use net_policy::resolver::{Lookup, PolicyResolver, SharedPolicy, SystemLookup};
use parking_lot::{Mutex, RwLock};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::error::ClientError;
use crate::transcript::{Exchange, ExchangeKind, Phase, SecretKind, Transcript};

/// Limits on what the client will do.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Per request, connect to end of body.
    pub request_timeout: Duration,
    /// Largest response body read; the rest is cut and the exchange marked truncated.
    pub max_body_bytes: usize,
    /// Redirects a login driver follows before giving up.
    pub max_redirects: u32,
    /// Whether `http://` to loopback hosts is allowed (ChatGPT itself refuses non-public hosts;
    /// tests run everything on loopback).
    pub allow_loopback: bool,
    /// `--allow-private-addresses`: contact private, CGNAT, link-local and unique-local addresses
    /// the server under test names (an internal deployment). Cloud metadata, unspecified,
    /// multicast and broadcast addresses stay refused regardless.
    pub allow_private_addresses: bool,
    /// Whole connect flow.
    pub flow_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            request_timeout: Duration::from_secs(15),
            max_body_bytes: 1024 * 1024,
            max_redirects: 20,
            allow_loopback: true,
            allow_private_addresses: false,
            flow_timeout: Duration::from_secs(120),
        }
    }
}

/// A request to send.
#[derive(Debug, Clone)]
pub struct Req {
    /// Method.
    pub method: reqwest::Method,
    /// URL.
    pub url: String,
    /// Headers in order.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Option<Vec<u8>>,
    /// Few words on why (display text).
    pub label: String,
    /// What it is, for the checks (see [`ExchangeKind`]).
    pub kind: ExchangeKind,
}

impl Req {
    /// A GET.
    pub fn get(url: impl Into<String>, label: impl Into<String>) -> Req {
        Req {
            method: reqwest::Method::GET,
            url: url.into(),
            headers: Vec::new(),
            body: None,
            label: label.into(),
            kind: ExchangeKind::Unknown,
        }
    }
    /// Any method.
    pub fn new(method: reqwest::Method, url: impl Into<String>, label: impl Into<String>) -> Req {
        Req {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: None,
            label: label.into(),
            kind: ExchangeKind::Unknown,
        }
    }
    /// Says what the request is (the transcript's [`ExchangeKind`]).
    pub fn kind(mut self, kind: ExchangeKind) -> Req {
        self.kind = kind;
        self
    }
    /// Adds a header.
    pub fn header(mut self, k: impl Into<String>, v: impl Into<String>) -> Req {
        self.headers.push((k.into(), v.into()));
        self
    }
    /// Sets a JSON body and its content type.
    pub fn json(mut self, v: &serde_json::Value) -> Req {
        self.headers.push(("Content-Type".into(), "application/json".into()));
        self.body = Some(v.to_string().into_bytes());
        self
    }
    /// Sets a form body (`application/x-www-form-urlencoded`, as aiohttp encodes it).
    pub fn form(mut self, pairs: &[(String, String)]) -> Req {
        let body: String = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
        self.body = Some(body.into_bytes());
        self
    }
}

/// A response, fully read.
#[derive(Debug, Clone)]
pub struct Resp {
    /// Status.
    pub status: u16,
    /// Headers in order.
    pub headers: Vec<(String, String)>,
    /// Body bytes (at most the limit).
    pub body: Vec<u8>,
    /// The body was larger than the limit and was cut there.
    pub truncated: bool,
    /// The transcript entry.
    pub seq: u32,
}

impl Resp {
    /// A header, case-insensitively (the first).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    /// All values of a header.
    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers.iter().filter(move |(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    /// The body as JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    /// 2xx.
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// The recording client, shared by every step of a run.
#[derive(Clone)]
pub struct Recorder {
    http: reqwest::Client,
    transcript: Arc<Mutex<Transcript>>,
    limits: Limits,
    attempt: Arc<std::sync::atomic::AtomicU32>,
    policy: SharedPolicy,
    /// How names resolve (before the policy filters the answers); kept for [`Recorder::isolated`].
    lookup: Arc<dyn Lookup>,
    /// The client of [`Recorder::isolated`], built once (building one loads the TLS roots).
    unpooled: Arc<std::sync::OnceLock<reqwest::Client>>,
    /// Set while the client runs past a failure under an assumption: exchanges are marked.
    continuation: Arc<std::sync::atomic::AtomicBool>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder").field("limits", &self.limits).finish_non_exhaustive()
    }
}

impl Recorder {
    /// A recorder with these limits, resolving names with the system resolver.
    pub fn new(limits: Limits) -> Recorder {
        Recorder::with_lookup(limits, Arc::new(SystemLookup))
    }

    /// A recorder whose names are answered by `lookup` (tests: a [`net_policy::resolver::FakeDns`]
    /// that makes a name resolve to a private address), still filtered by the address policy.
    pub fn with_lookup(limits: Limits, lookup: Arc<dyn Lookup>) -> Recorder {
        let mut policy = net_policy::Policy::new(limits.allow_private_addresses);
        policy.refuse_plain_http = !limits.allow_loopback;
        let policy: SharedPolicy = Arc::new(RwLock::new(policy));
        let http = http_client(&limits, true, &policy, &lookup);
        Recorder {
            http,
            transcript: Default::default(),
            limits,
            attempt: Arc::new(1.into()),
            policy,
            lookup,
            unpooled: Default::default(),
            continuation: Arc::new(false.into()),
        }
    }

    /// A recorder writing to the same transcript whose requests each open a connection of their
    /// own (no pooling): a server that answers before reading a request body leaves unread bytes
    /// on its connection, and a kept-alive connection would hand them to the next request as the
    /// start of its answer (probes use this, so no probe changes another's answer). It shares the
    /// address policy, targets included.
    pub fn isolated(&self) -> Recorder {
        let http = self.unpooled.get_or_init(|| http_client(&self.limits, false, &self.policy, &self.lookup)).clone();
        Recorder { http, ..self.clone() }
    }

    /// Allows the host of the URL the user pointed the harness at, whatever it is or resolves to
    /// (an internal target is the user's choice; what *it* names is still checked).
    pub fn add_target(&self, url: &url::Url) {
        self.policy.write().add_target(url);
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Sets the attempt number new exchanges are tagged with.
    pub fn set_attempt(&self, n: u32) {
        self.attempt.store(n, std::sync::atomic::Ordering::Relaxed);
    }

    /// The attempt number.
    pub fn attempt(&self) -> u32 {
        self.attempt.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Marks the exchanges from now on as sent past a failure where the client stops (or not).
    pub fn set_continuation(&self, on: bool) {
        self.continuation.store(on, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether new exchanges are marked as continuation.
    pub fn continuation(&self) -> bool {
        self.continuation.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Adds a note (a decision or limit of the client) starting at the next exchange.
    pub fn note(&self, kind: crate::transcript::NoteKind, text: impl Into<String>) {
        let mut t = self.transcript.lock();
        let from_seq = t.exchanges.len() as u32 + 1;
        t.notes.push(crate::transcript::Note { kind, text: text.into(), from_seq });
    }

    /// The seq the next exchange will get.
    pub fn next_seq(&self) -> u32 {
        self.transcript.lock().exchanges.len() as u32 + 1
    }

    /// Registers a secret with the transcript.
    pub fn secret(&self, kind: SecretKind, value: &str) {
        self.transcript.lock().add_secret(kind, value);
    }

    /// A copy of the transcript so far.
    pub fn transcript(&self) -> Transcript {
        self.transcript.lock().clone()
    }

    /// Checks the URL against the address policy: http(s) only, `http` only to loopback when
    /// allowed, no IP-literal host of a refused class. Host names are checked once resolved.
    pub fn check_url(&self, url: &str) -> Result<url::Url, ClientError> {
        let u = url::Url::parse(url).map_err(|e| ClientError::BadUrl { url: url.to_owned(), reason: e.to_string() })?;
        let verdict = self.policy.read().check_url(&u);
        match verdict {
            Ok(()) => Ok(u),
            Err(r) => Err(refused(url, r)),
        }
    }

    /// Sends, reads the body under the limit, records. Transport failures are recorded too and
    /// returned as errors; so are address-policy refusals, so the transcript shows which URL the
    /// server named and why the harness did not go there.
    pub async fn send(&self, phase: Phase, req: Req) -> Result<Resp, ClientError> {
        let url = match self.check_url(&req.url) {
            Ok(u) => u,
            Err(e @ ClientError::Refused { .. }) => {
                self.record_refusal(phase, &req, &e);
                return Err(e);
            }
            Err(e) => return Err(e),
        };
        let mut builder = self.http.request(req.method.clone(), url.clone());
        for (k, v) in &req.headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        if let Some(b) = &req.body {
            builder = builder.body(b.clone());
        }
        let mut exchange = self.unsent(phase, &req);
        let started = Instant::now();
        let result = async {
            let mut resp = builder.send().await?;
            let status = resp.status().as_u16();
            let headers: Vec<(String, String)> = resp
                .headers()
                .iter()
                .map(|(k, v)| (k.to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
                .collect();
            let mut body = Vec::new();
            let mut truncated = false;
            while let Some(chunk) = resp.chunk().await? {
                let room = self.limits.max_body_bytes.saturating_sub(body.len());
                if chunk.len() > room {
                    body.extend_from_slice(&chunk[..room]);
                    truncated = true;
                    break;
                }
                body.extend_from_slice(&chunk);
            }
            Ok::<_, reqwest::Error>((status, headers, body, truncated))
        }
        .await;
        exchange.duration_ms = started.elapsed().as_millis() as u64;
        match result {
            Ok((status, headers, body, truncated)) => {
                exchange.status = Some(status);
                exchange.response_headers = headers.clone();
                exchange.response_body = Some(String::from_utf8_lossy(&body).into_owned());
                exchange.truncated = truncated;
                let seq = self.transcript.lock().push(exchange);
                Ok(Resp { status, headers, body, truncated, seq })
            }
            Err(e) => {
                let err = match net_policy::refusal_in(&e) {
                    Some(r) => refused(&req.url, r.clone()),
                    None => ClientError::Transport { url: req.url.clone(), reason: describe(&e) },
                };
                exchange.error = Some(match &err {
                    ClientError::Transport { reason, .. } => reason.clone(),
                    other => other.to_string(),
                });
                self.transcript.lock().push(exchange);
                Err(err)
            }
        }
    }

    /// The exchange a request starts as, before any answer (its sequence number is set on push).
    fn unsent(&self, phase: Phase, req: &Req) -> Exchange {
        Exchange {
            attempt: self.attempt(),
            label: req.label.clone(),
            kind: req.kind.clone(),
            request_headers: req.headers.clone(),
            request_body: req.body.as_ref().map(|b| String::from_utf8_lossy(b).into_owned()),
            // Probes are the harness's own requests, never part of a client's flow.
            continuation: self.continuation() && phase != Phase::Probe,
            ..Exchange::request(0, phase, req.method.to_string(), req.url.clone())
        }
    }

    /// Appends an exchange that was never sent: the URL the server named and the refusal.
    fn record_refusal(&self, phase: Phase, req: &Req, e: &ClientError) {
        let mut exchange = self.unsent(phase, req);
        exchange.error = Some(e.to_string());
        self.transcript.lock().push(exchange);
    }
}

/// A policy refusal as a client error. Address and name refusals are [`ClientError::Refused`]
/// (recorded, named with their class and the opt-in flag); scheme and plain-http refusals stay
/// [`ClientError::BadUrl`] as before.
fn refused(url: &str, r: net_policy::Refusal) -> ClientError {
    use net_policy::Refusal;
    match r {
        Refusal::Scheme(_) | Refusal::PlainHttp | Refusal::NoHost => {
            ClientError::BadUrl { url: url.to_owned(), reason: r.to_string() }
        }
        // Address, name and resolution refusals, and any later kind: refused by policy.
        _ => ClientError::Refused { url: url.to_owned(), refusal: r },
    }
}

/// The HTTP client of a recorder; `pooled: false` keeps no idle connection, so every request
/// opens its own.
/// The client every recorder sends with: no redirects followed (the flow follows them hop by hop,
/// each checked), the time limits, and a resolver that applies the address policy after DNS.
fn http_client(limits: &Limits, pooled: bool, policy: &SharedPolicy, lookup: &Arc<dyn Lookup>) -> reqwest::Client {
    let mut b = net_policy::tls::client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(limits.request_timeout)
        .connect_timeout(Duration::from_secs(5))
        .no_proxy()
        .dns_resolver(PolicyResolver::new(policy.clone(), lookup.clone()));
    // The profile sets User-Agent per request; no default one of reqwest's own.
    if !pooled {
        b = b.pool_max_idle_per_host(0);
    }
    b.build().expect("static client settings always build")
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "connection failed".into()
    } else {
        let mut s = e.to_string();
        let mut src = std::error::Error::source(e);
        while let Some(inner) = src {
            s.push_str(": ");
            s.push_str(&inner.to_string());
            src = inner.source();
        }
        s
    }
}

/// A `reqwest::ClientBuilder` on the process-wide TLS configuration, which reads the system's
/// root certificates only at the first https handshake (see [`net_policy::tls`]).
pub use net_policy::tls::client_builder;

/// Whether a URL's host is loopback (a loopback literal, IPv4-mapped ones included, or
/// `localhost`): the address policy's plain-http rule.
pub fn is_loopback(u: &url::Url) -> bool {
    net_policy::host_is_loopback(u)
}

/// `scheme://host[:port]`.
pub(crate) fn origin(u: &url::Url) -> String {
    u.origin().ascii_serialization()
}
