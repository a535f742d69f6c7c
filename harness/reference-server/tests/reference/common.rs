//! Shared helpers: a mock IdP plus a reference server, a no-redirect client, JSON-RPC bodies and a
//! `WWW-Authenticate` parser.

use mock_idp::{IdpHandle, MintRequest, MockIdp, Signing};
use reference_server::{ReferenceHandle, ReferenceServer};
use reqwest::header::HeaderMap;
use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};
use std::collections::BTreeMap;

pub const BOTH: &str = "application/json, text/event-stream";

pub struct Env {
    pub idp: IdpHandle,
    pub srv: ReferenceHandle,
}

impl Env {
    /// A correct reference server trusting a fresh mock IdP.
    pub async fn start() -> Env {
        Env::start_with(|b| b).await
    }

    pub async fn start_with(f: impl FnOnce(ReferenceServer) -> ReferenceServer) -> Env {
        let idp = MockIdp::builder().start().await.expect("mock IdP starts");
        let srv = server(&idp, f).await;
        Env { idp, srv }
    }

    /// A genuine token for this server with these scopes.
    pub fn token(&self, scopes: &[&str]) -> String {
        token_for(&self.idp, &self.srv, scopes)
    }
}

pub async fn server(idp: &IdpHandle, f: impl FnOnce(ReferenceServer) -> ReferenceServer) -> ReferenceHandle {
    f(ReferenceServer::builder().issuer(idp.issuer()).jwks_uri(idp.jwks_uri())).start().await.expect("reference starts")
}

pub fn token_for(idp: &IdpHandle, srv: &ReferenceHandle, scopes: &[&str]) -> String {
    idp.mint_valid(srv.url(), scopes).expect("mint").token
}

/// A genuine token whose `sub` is `sub`.
pub fn token_with_sub(idp: &IdpHandle, srv: &ReferenceHandle, sub: &str) -> String {
    let mut claims = idp.mint_valid(srv.url(), &["mcp:read"]).expect("mint").claims;
    claims.insert("sub".into(), json!(sub));
    idp.mint(&MintRequest { claims, signing: Signing::Valid }).expect("mint").token
}

pub use server_kit::test_client::http;

/// An HTTP answer, fully read.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    }

    pub fn www_authenticate(&self) -> String {
        self.header("www-authenticate").unwrap_or_else(|| panic!("no WWW-Authenticate on {self:?}"))
    }

    /// The challenge's auth-params.
    pub fn challenge(&self) -> BTreeMap<String, String> {
        parse_challenge(&self.www_authenticate())
    }

    pub fn session_id(&self) -> String {
        self.header("mcp-session-id").unwrap_or_else(|| panic!("no Mcp-Session-Id on {self:?}"))
    }

    /// The JSON-RPC message, from a JSON body or the `data:` of the first SSE `message` event.
    pub fn rpc(&self) -> Value {
        if self.header("content-type").is_some_and(|c| c.starts_with("text/event-stream")) {
            sse_message(&self.text)
        } else {
            self.json()
        }
    }
}

pub async fn send(rb: RequestBuilder) -> Resp {
    let r = rb.send().await.expect("request sent");
    let (status, headers) = (r.status().as_u16(), r.headers().clone());
    Resp { status, headers, text: r.text().await.unwrap_or_default() }
}

/// A request to the MCP endpoint with spec-client defaults (both Accept types, JSON body type).
pub fn request(srv: &ReferenceHandle, method: Method, token: Option<&str>, session: Option<&str>) -> RequestBuilder {
    request_accepting(srv, method, token, session, BOTH)
}

/// The same with another `Accept` (reqwest's `header` appends, so it cannot be overridden later).
pub fn request_accepting(
    srv: &ReferenceHandle,
    method: Method,
    token: Option<&str>,
    session: Option<&str>,
    accept: &str,
) -> RequestBuilder {
    let mut rb = http().request(method, srv.url()).header("accept", accept).header("content-type", "application/json");
    if let Some(t) = token {
        rb = rb.bearer_auth(t);
    }
    if let Some(s) = session {
        rb = rb.header("mcp-session-id", s);
    }
    rb
}

/// POST one JSON-RPC message.
pub async fn rpc(srv: &ReferenceHandle, token: Option<&str>, session: Option<&str>, body: &Value) -> Resp {
    send(request(srv, Method::POST, token, session).body(body.to_string())).await
}

pub fn init_body() -> Value {
    json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "openai-mcp", "version": "1.0.0"}
    }})
}

pub fn call(id: i64, method: &str, params: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
}

pub fn notification(method: &str) -> Value {
    json!({"jsonrpc": "2.0", "method": method})
}

pub fn tool_call(id: i64, name: &str, args: Value) -> Value {
    call(id, "tools/call", json!({"name": name, "arguments": args}))
}

/// `initialize` with `token`; returns the session id.
pub async fn initialize(srv: &ReferenceHandle, token: &str) -> String {
    let r = rpc(srv, Some(token), None, &init_body()).await;
    assert_eq!(r.status, 200, "{r:?}");
    r.session_id()
}

pub async fn get(url: &str) -> Resp {
    send(http().get(url)).await
}

/// Parses `Bearer k="v", k2=v2` into its parameters (scheme checked to be Bearer).
pub fn parse_challenge(h: &str) -> BTreeMap<String, String> {
    let rest = h.strip_prefix("Bearer").unwrap_or_else(|| panic!("not a Bearer challenge: {h}"));
    let mut out = BTreeMap::new();
    let mut s = rest.trim_start();
    while !s.is_empty() {
        let (k, after) = s.split_once('=').unwrap_or_else(|| panic!("bad challenge {h}"));
        let (v, after) = match after.strip_prefix('"') {
            Some(q) => {
                let end = q.find('"').unwrap_or_else(|| panic!("unterminated value in {h}"));
                (&q[..end], &q[end + 1..])
            }
            None => after.split_once(',').unwrap_or((after, "")),
        };
        assert!(out.insert(k.trim().to_owned(), v.to_owned()).is_none(), "repeated {k} in {h}");
        s = after.trim_start().trim_start_matches(',').trim_start();
    }
    out
}

/// The JSON of the first `event: message` (or unnamed event) with non-empty data.
pub fn sse_message(text: &str) -> Value {
    for block in text.replace("\r\n", "\n").split("\n\n") {
        let mut event = "message".to_owned();
        let mut data = Vec::new();
        for line in block.lines() {
            if let Some(e) = line.strip_prefix("event:") {
                event = e.trim().to_owned();
            } else if let Some(d) = line.strip_prefix("data:") {
                data.push(d.strip_prefix(' ').unwrap_or(d));
            }
        }
        if event == "message" && !data.is_empty() {
            return serde_json::from_str(&data.join("\n")).unwrap_or_else(|e| panic!("bad SSE data ({e}): {text}"));
        }
    }
    panic!("no message event in {text:?}")
}

#[test]
fn challenge_parser_reads_quoted_and_bare_values() {
    let p = parse_challenge(r#"Bearer error="invalid_token", scope="a b", x=y"#);
    assert_eq!(p["error"], "invalid_token");
    assert_eq!(p["scope"], "a b");
    assert_eq!(p["x"], "y");
    assert!(parse_challenge("Bearer").is_empty());
}
