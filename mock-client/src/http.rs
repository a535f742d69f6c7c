//! Outbound HTTP with a recording: every request goes through [`Recorder::send`], which applies
//! the limits (timeout, body size, no automatic redirects, URL policy) and appends the exchange to
//! the transcript.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::error::ClientError;
use crate::transcript::{Exchange, Phase, SecretKind, Transcript};

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
    /// Few words on why.
    pub label: String,
}

impl Req {
    /// A GET.
    pub fn get(url: impl Into<String>, label: impl Into<String>) -> Req {
        Req { method: reqwest::Method::GET, url: url.into(), headers: Vec::new(), body: None, label: label.into() }
    }
    /// Any method.
    pub fn new(method: reqwest::Method, url: impl Into<String>, label: impl Into<String>) -> Req {
        Req { method, url: url.into(), headers: Vec::new(), body: None, label: label.into() }
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
    continuation: Arc<std::sync::atomic::AtomicBool>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder").field("limits", &self.limits).finish_non_exhaustive()
    }
}

impl Recorder {
    /// A recorder with these limits.
    pub fn new(limits: Limits) -> Recorder {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(limits.request_timeout)
            .connect_timeout(Duration::from_secs(5))
            .no_proxy()
            // The profile sets User-Agent per request; no default one of reqwest's own.
            .build()
            .expect("static client settings always build");
        Recorder {
            http,
            transcript: Default::default(),
            limits,
            attempt: Arc::new(1.into()),
            continuation: Arc::new(false.into()),
        }
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
        let mut t = self.lock();
        let from_seq = t.exchanges.len() as u32 + 1;
        t.notes.push(crate::transcript::Note { kind, text: text.into(), from_seq });
    }

    /// The seq the next exchange will get.
    pub fn next_seq(&self) -> u32 {
        self.lock().exchanges.len() as u32 + 1
    }

    /// Registers a secret with the transcript.
    pub fn secret(&self, kind: SecretKind, value: &str) {
        self.lock().add_secret(kind, value);
    }

    /// A copy of the transcript so far.
    pub fn transcript(&self) -> Transcript {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Transcript> {
        self.transcript.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Checks the URL policy: http(s) only, `http` only to loopback when allowed.
    pub fn check_url(&self, url: &str) -> Result<url::Url, ClientError> {
        let u = url::Url::parse(url).map_err(|e| ClientError::BadUrl { url: url.to_owned(), reason: e.to_string() })?;
        match u.scheme() {
            "https" => Ok(u),
            "http" if self.limits.allow_loopback && is_loopback(&u) => Ok(u),
            "http" => Err(ClientError::BadUrl {
                url: url.to_owned(),
                reason: "plain http is allowed only to loopback".into(),
            }),
            s => Err(ClientError::BadUrl { url: url.to_owned(), reason: format!("scheme `{s}` is not http(s)") }),
        }
    }

    /// Sends, reads the body under the limit, records. Transport failures are recorded too and
    /// returned as errors.
    pub async fn send(&self, phase: Phase, req: Req) -> Result<Resp, ClientError> {
        let url = self.check_url(&req.url)?;
        let mut builder = self.http.request(req.method.clone(), url.clone());
        for (k, v) in &req.headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        if let Some(b) = &req.body {
            builder = builder.body(b.clone());
        }
        let mut exchange = Exchange {
            seq: 0,
            phase,
            attempt: self.attempt(),
            label: req.label.clone(),
            method: req.method.to_string(),
            url: req.url.clone(),
            request_headers: req.headers.clone(),
            request_body: req.body.as_ref().map(|b| String::from_utf8_lossy(b).into_owned()),
            status: None,
            response_headers: Vec::new(),
            response_body: None,
            truncated: false,
            duration_ms: 0,
            error: None,
            secrets: Vec::new(),
            // Probes are the harness's own requests, never part of a client's flow.
            continuation: self.continuation() && phase != Phase::Probe,
        };
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
                let seq = self.lock().push(exchange);
                Ok(Resp { status, headers, body, seq })
            }
            Err(e) => {
                let msg = describe(&e);
                exchange.error = Some(msg.clone());
                self.lock().push(exchange);
                Err(ClientError::Transport { url: req.url, reason: msg })
            }
        }
    }
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

/// Whether a URL's host is loopback.
pub fn is_loopback(u: &url::Url) -> bool {
    match u.host() {
        Some(url::Host::Ipv4(a)) => a.is_loopback(),
        Some(url::Host::Ipv6(a)) => a.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}
