//! Sustained mixed load against a running mock IdP, for `scripts/soak-idp` (which starts
//! `connector-harness idp`, runs this, and reads the IdP's peak RSS).
//!
//! `idp-soak --issuer URL [--seconds N] [--concurrency C] [--rs-id ID --rs-secret S]`
//!
//! Each worker loops until the time is up over: full flows (register → authorize → token →
//! refresh → introspect, with refresh-token replays and revocations), registrations with metadata
//! just under the size cap and over it, unredeemed codes, 60 KB junk bodies, metadata and JWKS
//! GETs. Every answer is checked; anything a long-running IdP must never answer — a 5xx, a 429, a
//! `server_error`, a fresh flow that fails — counts as unexpected. Prints `NAME: VALUE` lines and
//! exits 1 if anything was unexpected. Speed is not judged here; memory is, by the script.

use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const REDIRECT: &str = "https://chatgpt.com/connector_platform_oauth_redirect";
const RESOURCE: &str = "http://127.0.0.1:9/mcp";

struct Ctx {
    http: reqwest::Client,
    issuer: String,
    rs: Option<(String, String)>,
    requests: AtomicU64,
    flows: AtomicU64,
    unexpected: AtomicU64,
}

impl Ctx {
    fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.issuer.trim_end_matches('/'))
    }

    fn bad(&self, what: String) {
        if self.unexpected.fetch_add(1, Ordering::Relaxed) < 10 {
            eprintln!("unexpected: {what}");
        }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Option<(u16, Value, Option<String>)> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        match req.send().await {
            Ok(r) => {
                let status = r.status().as_u16();
                let location = r.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_owned);
                let body = r.json().await.unwrap_or(Value::Null);
                if status >= 500 || status == 429 {
                    self.bad(format!("HTTP {status}: {body}"));
                }
                Some((status, body, location))
            }
            Err(e) => {
                self.bad(format!("request failed: {e}"));
                None
            }
        }
    }

    async fn register(&self, body: &Value) -> Option<(u16, Value)> {
        self.send(self.http.post(self.url("register")).json(body)).await.map(|(s, b, _)| (s, b))
    }

    async fn authorize(&self, client_id: &str, challenge: &str) -> Option<String> {
        let q = [
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", REDIRECT),
            ("state", "soak"),
            ("scope", "mcp:read"),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
            ("resource", RESOURCE),
        ];
        let (status, body, location) = self.send(self.http.get(self.url("authorize")).query(&q)).await?;
        let loc = location.and_then(|l| url::Url::parse(&l).ok());
        let code = loc.as_ref().and_then(|l| l.query_pairs().find(|(k, _)| k == "code").map(|(_, v)| v.into_owned()));
        if code.is_none() {
            self.bad(format!("authorize answered {status} without a code: {body} {loc:?}"));
        }
        code
    }

    async fn token(&self, id: &str, secret: &str, form: &[(&str, &str)]) -> Option<(u16, Value)> {
        let mut form = form.to_vec();
        form.extend([("client_id", id), ("client_secret", secret)]);
        self.send(self.http.post(self.url("token")).form(&form)).await.map(|(s, b, _)| (s, b))
    }

    async fn introspect(&self, token: &str) -> Option<Value> {
        let (id, secret) = self.rs.as_ref()?;
        let req = self.http.post(self.url("introspect")).basic_auth(id, Some(secret)).form(&[("token", token)]);
        self.send(req).await.map(|(_, b, _)| b)
    }

    /// A registration whose metadata is `pad` bytes of `client_name`.
    fn dcr(pad: usize) -> Value {
        json!({
            "client_name": "x".repeat(pad),
            "redirect_uris": [REDIRECT],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "client_secret_post",
        })
    }

    /// Register → authorize → token → refresh → introspect (→ replay → revoke); `false` when a
    /// step of the fresh flow failed.
    async fn flow(&self, n: u64) -> bool {
        let Some((201, c)) = self.register(&Self::dcr(16)).await else { return false };
        let (id, secret) = (c["client_id"].as_str().unwrap_or(""), c["client_secret"].as_str().unwrap_or(""));
        let verifier = format!("soak-verifier-{n:0>40}");
        let Some(code) = self.authorize(id, &mock_idp::pkce_s256(&verifier)).await else { return false };
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("code_verifier", verifier.as_str()),
            ("redirect_uri", REDIRECT),
            ("resource", RESOURCE),
        ];
        let Some((200, t)) = self.token(id, secret, &form).await else { return false };
        let rt = t["refresh_token"].as_str().unwrap_or("").to_owned();
        let Some((200, t2)) = self.token(id, secret, &[("grant_type", "refresh_token"), ("refresh_token", &rt)]).await
        else {
            return false;
        };
        let at2 = t2["access_token"].as_str().unwrap_or("");
        if let Some(info) = self.introspect(at2).await
            && info["active"] != true
        {
            self.bad(format!("a fresh token is inactive: {info}"));
        }
        if n.is_multiple_of(4) {
            let replay = self.token(id, secret, &[("grant_type", "refresh_token"), ("refresh_token", &rt)]).await;
            if replay.as_ref().map(|(s, b)| (*s, b["error"].as_str())) != Some((400, Some("invalid_grant"))) {
                self.bad(format!("a replayed refresh token was not refused: {replay:?}"));
            }
            let rt2 = t2["refresh_token"].as_str().unwrap_or("");
            let form = [("token", rt2), ("client_id", id), ("client_secret", secret)];
            self.send(self.http.post(self.url("revoke")).form(&form)).await;
        }
        self.flows.fetch_add(1, Ordering::Relaxed);
        true
    }

    async fn one(&self, n: u64) {
        match n % 10 {
            // Metadata just under the 16 KiB cap: the client store's worst case.
            0 => {
                if !matches!(self.register(&Self::dcr(15_000)).await, Some((201, _))) {
                    self.bad("a registration under the cap was refused".into());
                }
            }
            1 => {
                let r = self.register(&Self::dcr(20_000)).await;
                if r.as_ref().map(|(s, b)| (*s, b["error"].as_str())) != Some((400, Some("invalid_client_metadata"))) {
                    self.bad(format!("an oversize registration was not refused: {:?}", r.map(|(s, _)| s)));
                }
            }
            // 60 KB of junk: the request log keeps only a truncated prefix.
            2 => {
                let req = self
                    .http
                    .post(self.url("token"))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(format!("grant_type=password&junk={}", "j".repeat(60_000)));
                self.send(req).await;
            }
            // Codes that are never redeemed.
            3 => {
                if let Some((201, c)) = self.register(&Self::dcr(16)).await {
                    let challenge = mock_idp::pkce_s256(&format!("unredeemed-{n:0>43}"));
                    self.authorize(c["client_id"].as_str().unwrap_or(""), &challenge).await;
                }
            }
            4 => {
                for path in [".well-known/oauth-authorization-server", "jwks"] {
                    let url = format!("{}/{path}", self.issuer.trim_end_matches('/'));
                    self.send(self.http.get(url)).await;
                }
            }
            _ => {
                if !self.flow(n).await {
                    self.bad(format!("fresh flow {n} failed"));
                }
            }
        }
    }
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(issuer) = arg(&args, "--issuer") else {
        eprintln!("usage: idp-soak --issuer URL [--seconds N] [--concurrency C] [--rs-id ID --rs-secret S]");
        std::process::exit(2);
    };
    let seconds: u64 = arg(&args, "--seconds").and_then(|s| s.parse().ok()).unwrap_or(60);
    let concurrency: u64 = arg(&args, "--concurrency").and_then(|s| s.parse().ok()).unwrap_or(8);
    let rs = arg(&args, "--rs-id").zip(arg(&args, "--rs-secret"));
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .no_proxy()
        .build()
        .expect("a client with static settings");
    let ctx = Arc::new(Ctx {
        http,
        issuer,
        rs,
        requests: AtomicU64::new(0),
        flows: AtomicU64::new(0),
        unexpected: AtomicU64::new(0),
    });
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let workers: Vec<_> = (0..concurrency)
        .map(|w| {
            let ctx = ctx.clone();
            tokio::spawn(async move {
                let mut n = w;
                while Instant::now() < deadline {
                    ctx.one(n).await;
                    n += concurrency;
                }
            })
        })
        .collect();
    for w in workers {
        let _ = w.await;
    }
    // After the load, one more fresh flow must work.
    let final_ok = ctx.flow(u64::MAX / 2).await;
    let secs = started.elapsed().as_secs_f64();
    let requests = ctx.requests.load(Ordering::Relaxed);
    println!("idp.soak.seconds: {secs:.0}");
    println!("idp.soak.concurrency: {concurrency}");
    println!("idp.soak.requests: {requests}");
    println!("idp.soak.requests-per-second: {:.0}", requests as f64 / secs);
    println!("idp.soak.flows: {}", ctx.flows.load(Ordering::Relaxed));
    println!("idp.soak.unexpected: {}", ctx.unexpected.load(Ordering::Relaxed));
    println!("idp.soak.final-flow: {}", if final_ok { "ok" } else { "FAILED" });
    if !final_ok || ctx.unexpected.load(Ordering::Relaxed) > 0 {
        std::process::exit(1);
    }
}
