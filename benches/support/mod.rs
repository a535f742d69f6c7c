//! What `cargo bench` (`benches/speed.rs`) and the load driver `scripts/bench` runs
//! (`examples/bench.rs`) both measure: one connect flow against the embedded stack, the loopback
//! floor under it, and the five OAuth operations a load generator drives against an IdP.
//!
//! Nothing here judges speed: the figures are printed, never asserted (no timed tests).

#![allow(dead_code)]

use harness::reference::{ReferenceHandle, ReferenceServer};
use mock_client::{Client, ConnectOptions, Outcome, profile};
use mock_idp::{IdpHandle, MockIdp};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// ChatGPT's redirect URI: both IdPs accept it, and nothing ever loads it.
pub const REDIRECT: &str = "https://chatgpt.com/connector_platform_oauth_redirect";
/// The resource every token is asked for (both IdPs then sign a JWT access token).
pub const RESOURCE: &str = "http://127.0.0.1:9/mcp";
/// The profiles whose connect flow is measured: ChatGPT's current one and the spec client.
pub const CONNECT_PROFILES: [&str; 2] = ["chatgpt-2026-cimd", "mcp-spec-2025-11-25"];

/// The embedded default of `run`: the reference MCP server behind the mock IdP.
pub struct Stack {
    pub idp: Arc<IdpHandle>,
    pub server: ReferenceHandle,
}

impl Stack {
    pub async fn start() -> Stack {
        let idp = Arc::new(MockIdp::builder().start().await.expect("the mock IdP starts"));
        let server = ReferenceServer::builder()
            .issuer(idp.issuer())
            .jwks_uri(idp.jwks_uri())
            .start()
            .await
            .expect("the reference server starts");
        Stack { idp, server }
    }

    /// Connect options that let the IdP fetch the client's metadata document from loopback.
    pub fn options(&self) -> ConnectOptions {
        let idp = self.idp.clone();
        ConnectOptions {
            cimd_rewrite: Some(Arc::new(move |from: &str, to: &str| idp.add_fetch_rewrite(from, to))),
            ..Default::default()
        }
    }

    /// One full connect flow of `profile` (discovery, registration or CIMD, authorization, token,
    /// MCP initialise and tools/list); panics unless it connects, so a broken stack is not timed.
    pub async fn connect(&self, profile: &profile::Profile) -> Duration {
        self.connect_counted(profile).await.0
    }

    /// [`Stack::connect`], and the flow's own floor terms: the HTTP round trips its client made,
    /// and the RS256 signatures it cost (the access token, plus the client assertion when the
    /// token request carried one).
    pub async fn connect_counted(&self, profile: &profile::Profile) -> (Duration, usize, usize) {
        let started = Instant::now();
        let mut c = Client::new(profile.clone(), self.options());
        let outcome = c.connect(self.server.url()).await.expect("connect runs");
        let took = started.elapsed();
        assert!(matches!(outcome, Outcome::Connected { .. }), "{} did not connect: {outcome:?}", profile.name);
        let t = c.transcript();
        let assertion =
            t.exchanges.iter().any(|e| e.request_body.as_deref().is_some_and(|b| b.contains("client_assertion=")));
        let counts = (t.exchanges.len(), 1 + usize::from(assertion));
        c.close().await;
        (took, counts.0, counts.1)
    }
}

/// A trivial loopback HTTP server (one route, a two-byte body): the round trip every request of a
/// connect flow costs at the least.
pub async fn echo_server() -> String {
    let app = axum::Router::new().route("/", axum::routing::get(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let addr = listener.local_addr().expect("bound");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}/")
}

/// A client for the load generator: no redirects followed, cookies kept (oidc-provider's sign-in
/// session lives in them), no proxy.
pub fn load_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .timeout(Duration::from_secs(30))
        .no_proxy()
        .build()
        .expect("static client settings")
}

/// The operations the load generator measures, per IdP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// GET the RFC 8414 metadata.
    Metadata,
    /// GET the JWKS.
    Jwks,
    /// RFC 7591 registration of a public client.
    Register,
    /// Authorization request (signed-in session, grant already given) and code exchange.
    CodeFlow,
    /// A refresh grant (rotating: the new refresh token is used next).
    Refresh,
}

impl Op {
    pub const ALL: [Op; 5] = [Op::Metadata, Op::Jwks, Op::Register, Op::CodeFlow, Op::Refresh];

    pub fn name(self) -> &'static str {
        match self {
            Op::Metadata => "metadata",
            Op::Jwks => "jwks",
            Op::Register => "register",
            Op::CodeFlow => "code-flow",
            Op::Refresh => "refresh",
        }
    }
}

impl std::fmt::Display for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// An IdP's endpoints, read from its RFC 8414 metadata.
#[derive(Debug, Clone)]
pub struct Endpoints {
    pub metadata: String,
    pub jwks: String,
    pub register: String,
    pub authorize: String,
    pub token: String,
}

impl Endpoints {
    pub async fn discover(http: &reqwest::Client, issuer: &str) -> Endpoints {
        let metadata = format!("{}/.well-known/oauth-authorization-server", issuer.trim_end_matches('/'));
        let m: Value = http.get(&metadata).send().await.expect("metadata").json().await.expect("metadata JSON");
        let field = |k: &str| m[k].as_str().unwrap_or_else(|| panic!("{issuer}: no {k} in its metadata")).to_owned();
        Endpoints {
            jwks: field("jwks_uri"),
            register: field("registration_endpoint"),
            authorize: field("authorization_endpoint"),
            token: field("token_endpoint"),
            metadata,
        }
    }
}

/// One load-generator worker: its own cookie jar, a registered public client, a signed-in session
/// with the grant given, and its current refresh token.
pub struct Worker {
    http: reqwest::Client,
    ep: Arc<Endpoints>,
    client_id: String,
    refresh_token: String,
}

fn form_field(html: &str, name: &str) -> bool {
    html.contains(&format!("value=\"{name}\""))
}

impl Worker {
    pub async fn new(ep: Arc<Endpoints>) -> Worker {
        let http = load_client();
        let mut w = Worker { http, ep, client_id: String::new(), refresh_token: String::new() };
        w.client_id = w.register().await;
        w.code_flow().await;
        w
    }

    pub async fn run(&mut self, op: Op) {
        match op {
            Op::Metadata => self.get_ok(&self.ep.metadata).await,
            Op::Jwks => self.get_ok(&self.ep.jwks).await,
            Op::Register => {
                self.register().await;
            }
            Op::CodeFlow => self.code_flow().await,
            Op::Refresh => self.refresh().await,
        }
    }

    async fn get_ok(&self, url: &str) {
        let r = self.http.get(url).send().await.expect("GET");
        assert!(r.status().is_success(), "GET {url}: {}", r.status());
        r.bytes().await.expect("body");
    }

    async fn register(&self) -> String {
        let body = json!({
            "redirect_uris": [REDIRECT],
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "client_name": "bench",
        });
        let r = self.http.post(&self.ep.register).json(&body).send().await.expect("register");
        let status = r.status();
        let v: Value = r.json().await.expect("registration JSON");
        assert!(status.is_success(), "register: {status} {v}");
        v["client_id"].as_str().expect("client_id").to_owned()
    }

    /// Authorization request → (oidc-provider's dev sign-in and consent the first time) → code →
    /// token. Sets the worker's refresh token.
    async fn code_flow(&mut self) {
        let pkce = mock_client::pkce::generate();
        let q = [
            ("response_type", "code"),
            ("client_id", self.client_id.as_str()),
            ("redirect_uri", REDIRECT),
            ("state", "bench"),
            ("scope", "mcp:read"),
            ("code_challenge", pkce.challenge.as_str()),
            ("code_challenge_method", "S256"),
            ("resource", RESOURCE),
        ];
        let mut resp = self.http.get(&self.ep.authorize).query(&q).send().await.expect("authorize");
        let mut code = None;
        // Bounded: a sign-in and a consent take six hops.
        for _ in 0..12 {
            let Some(loc) = resp.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_owned) else {
                panic!("authorize: {} without a Location", resp.status());
            };
            let loc =
                url::Url::parse(&loc).or_else(|_| url::Url::parse(&self.ep.authorize).unwrap().join(&loc)).unwrap();
            if loc.as_str().starts_with(REDIRECT) {
                code = loc.query_pairs().find(|(k, _)| k == "code").map(|(_, v)| v.into_owned());
                break;
            }
            if loc.path().starts_with("/interaction/") {
                let page =
                    self.http.get(loc.clone()).send().await.expect("interaction").text().await.unwrap_or_default();
                let form: Vec<(&str, &str)> = if form_field(&page, "consent") {
                    vec![("prompt", "consent")]
                } else {
                    vec![("prompt", "login"), ("login", "bench"), ("password", "bench")]
                };
                resp = self.http.post(loc).form(&form).send().await.expect("interaction POST");
            } else {
                resp = self.http.get(loc).send().await.expect("redirect hop");
            }
        }
        let code = code.expect("the authorization request ends at the redirect URI with a code");
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("client_id", self.client_id.as_str()),
            ("code_verifier", pkce.verifier.as_str()),
            ("resource", RESOURCE),
        ];
        self.refresh_token = self.token(&form).await;
    }

    async fn refresh(&mut self) {
        let rt = std::mem::take(&mut self.refresh_token);
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", rt.as_str()),
            ("client_id", self.client_id.as_str()),
            ("resource", RESOURCE),
        ];
        let next = self.token(&form).await;
        self.refresh_token = if next.is_empty() { rt } else { next };
    }

    /// A token request; returns the refresh token of the answer (empty when there is none).
    async fn token(&self, form: &[(&str, &str)]) -> String {
        let r = self.http.post(&self.ep.token).form(form).send().await.expect("token");
        let status = r.status();
        let v: Value = r.json().await.expect("token JSON");
        assert!(status.is_success() && v["access_token"].is_string(), "token: {status} {v}");
        v["refresh_token"].as_str().unwrap_or_default().to_owned()
    }
}

/// The p-th percentile (0–100) of sorted durations.
pub fn percentile(sorted: &[Duration], p: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) * p / 100).min(sorted.len() - 1)]
}

/// The median of unsorted values.
pub fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// `workers` workers each running `op` back to back for `for_how_long`; operations per second.
pub async fn load(ep: &Arc<Endpoints>, op: Op, workers: usize, for_how_long: Duration) -> f64 {
    let mut ws = Vec::new();
    for _ in 0..workers {
        ws.push(Worker::new(ep.clone()).await);
    }
    let started = Instant::now();
    let deadline = started + for_how_long;
    let tasks: Vec<_> = ws
        .into_iter()
        .map(|mut w| {
            tokio::spawn(async move {
                let mut n = 0u64;
                while Instant::now() < deadline {
                    w.run(op).await;
                    n += 1;
                }
                n
            })
        })
        .collect();
    let mut total = 0;
    for t in tasks {
        total += t.await.expect("a worker panicked");
    }
    total as f64 / started.elapsed().as_secs_f64()
}
