//! No secret survives in any output, however a hostile server echoes it.
//!
//! A hostile MCP server and authorization server (one axum app on 127.0.0.1) mints random secrets
//! from an alphabet that every encoding mangles (`/`, `+`, `=`, space, `%`, `&`, `é`) and echoes
//! every secret it has minted or received — client secret, registration access token, code,
//! `state`, PKCE challenge and verifier, the Basic credential, the client assertion, access,
//! refresh and ID tokens, session ids — in every encoding at once: literal, JSON with escaped
//! slashes (PHP), JSON with every character `\u`-escaped, percent-encoded in upper and lower-case
//! hex, form-encoded, double percent-encoded, HTML character references, and base64 of
//! `client_id:secret` in both alphabets with and without padding. It echoes them in JSON bodies,
//! in `error_description`, in response headers, in the MCP server's `WWW-Authenticate`, in the
//! callback URL, in tool descriptions. Codes are also refused for a wrong `iss` and a wrong
//! `state`.
//!
//! The real CLI then runs every command that writes something — `client -v --transcript`,
//! `check -v --report-dir`, `run --report-dir` with a snapshot, `certify-idp` — and every byte
//! it printed or wrote is searched for every secret, after decoding each output in every one of
//! those ways (independently of the harness's own decoder).
//!
//! The secrets and the JSON style of each server are drawn from a seeded generator: set
//! `REDACTION_SEED` to try another draw (a failure prints the seed).

mod support;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

/// How a server writes JSON strings.
#[derive(Debug, Clone, Copy)]
enum JsonStyle {
    /// `serde_json` as is.
    Plain,
    /// PHP's default: every `/` as `\/`, non-ASCII as `\u`.
    EscapedSlashes,
    /// Every character as `\uXXXX`.
    AllUnicode,
    /// A random mix of literal and `\u`-escaped characters.
    Mixed,
}

/// What the AS does with the authorization and token requests.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Variant {
    /// Issues tokens.
    Success,
    /// Refuses the code, echoing everything in `error_description`.
    TokenError,
    /// Returns a code with a wrong `iss`.
    WrongIss,
    /// Returns a code with a wrong `state`.
    WrongState,
    /// Advertises client ID metadata documents and `private_key_jwt` only (a client assertion),
    /// then refuses the code.
    Cimd,
}

/// Secrets a server minted or received, by kind (the kind only names it in a failure).
type Secrets = Vec<(&'static str, String)>;

struct Hostile {
    origin: String,
    variant: Variant,
    style: JsonStyle,
    rng: Mutex<StdRng>,
    secrets: Mutex<Secrets>,
    /// How often each secret was echoed.
    echoed: Mutex<std::collections::HashMap<String, usize>>,
}

/// Answers that echo a new secret in every form.
const FULL_ECHOES: usize = 2;

const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/=";

impl Hostile {
    /// A fresh secret: header-safe characters, and for values that never travel in a header also
    /// space, `%`, `&` and `é`.
    fn mint(&self, kind: &'static str, header_safe: bool) -> String {
        let mut rng = self.rng.lock().unwrap();
        let mut s = String::from("S");
        for i in 0..28 {
            if !header_safe && i % 9 == 4 {
                s.push([' ', '%', '&', 'é'][rng.gen_range(0..4)]);
            } else {
                s.push(ALPHABET[rng.gen_range(0..ALPHABET.len())] as char);
            }
        }
        self.note(kind, &s);
        s
    }

    fn note(&self, kind: &'static str, value: &str) {
        let mut all = self.secrets.lock().unwrap();
        if !value.is_empty() && !all.iter().any(|(_, v)| v == value) {
            all.push((kind, value.to_owned()));
        }
    }

    /// Every known secret in every encoding, as one text; `ascii` keeps only the forms that may
    /// go in a header.
    ///
    /// A secret is echoed in every form by the first [`FULL_ECHOES`] answers after it became known,
    /// then in one form drawn at random (the outputs stay small enough to search quickly).
    fn echo(&self, ascii: bool) -> String {
        let all = self.secrets.lock().unwrap().clone();
        let mut counts = self.echoed.lock().unwrap();
        let mut rng = self.rng.lock().unwrap();
        let mut out = Vec::new();
        for (_, s) in &all {
            let forms: Vec<String> =
                encodings(s).into_iter().filter(|f| !ascii || f.bytes().all(|b| (0x20..0x7f).contains(&b))).collect();
            let n = counts.entry(s.clone()).or_insert(0);
            *n += 1;
            if *n <= FULL_ECHOES {
                out.extend(forms);
            } else if !forms.is_empty() {
                out.push(forms[rng.gen_range(0..forms.len())].clone());
            }
        }
        out.join(" | ")
    }

    fn json(&self, v: &serde_json::Value) -> String {
        let mut rng = self.rng.lock().unwrap();
        write_json(v, self.style, &mut rng)
    }

    fn reply(&self, status: u16, body: serde_json::Value) -> Response {
        let text = self.json(&body);
        let mut r = (StatusCode::from_u16(status).unwrap(), text).into_response();
        r.headers_mut().insert("content-type", "application/json".parse().unwrap());
        if let Ok(v) = self.echo(true).parse() {
            r.headers_mut().insert("x-echo", v);
        }
        r
    }
}

/// Every encoding of one secret the test throws at the harness.
fn encodings(s: &str) -> Vec<String> {
    let pct_upper: String = s.bytes().map(|b| format!("%{b:02X}")).collect();
    let pct_lower: String = s.bytes().map(|b| format!("%{b:02x}")).collect();
    let form: String = url::form_urlencoded::byte_serialize(s.as_bytes()).collect();
    let double: String = pct_upper.replace('%', "%25");
    let html: String = s.chars().map(|c| format!("&#x{:x};", c as u32)).collect();
    let basic = format!("client-7:{form}");
    let b = &base64::engine::general_purpose::STANDARD;
    let mut out = vec![s.to_owned(), pct_upper, pct_lower, form, double, html];
    for e in [
        base64::engine::general_purpose::STANDARD,
        base64::engine::general_purpose::STANDARD_NO_PAD,
        base64::engine::general_purpose::URL_SAFE,
        base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ] {
        out.push(format!("Basic {}", e.encode(&basic)));
    }
    out.push(b.encode(s));
    out
}

/// JSON text in a style; strings (keys too) written by hand.
fn write_json(v: &serde_json::Value, style: JsonStyle, rng: &mut StdRng) -> String {
    use serde_json::Value;
    match v {
        Value::String(s) => write_str(s, style, rng),
        Value::Array(a) => format!("[{}]", a.iter().map(|x| write_json(x, style, rng)).collect::<Vec<_>>().join(",")),
        Value::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, x)| format!("{}:{}", write_str(k, style, rng), write_json(x, style, rng)))
                .collect::<Vec<_>>()
                .join(",")
        ),
        other => other.to_string(),
    }
}

fn write_str(s: &str, style: JsonStyle, rng: &mut StdRng) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        let escape_u = match style {
            JsonStyle::Plain => false,
            JsonStyle::EscapedSlashes => !c.is_ascii(),
            JsonStyle::AllUnicode => true,
            JsonStyle::Mixed => rng.gen_bool(0.5),
        };
        if escape_u || (c as u32) < 0x20 {
            let mut buf = [0u16; 2];
            for u in c.encode_utf16(&mut buf) {
                out.push_str(&format!("\\u{u:04X}"));
            }
        } else if c == '/' && matches!(style, JsonStyle::EscapedSlashes) {
            out.push_str("\\/");
        } else if c == '"' || c == '\\' {
            out.push('\\');
            out.push(c);
        } else {
            out.push(c);
        }
    }
    out.push('"');
    out
}

fn form_params(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

async fn handle(State(h): State<Arc<Hostile>>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    use serde_json::json;
    let o = &h.origin;
    let path = uri.path();
    // The client's credential at the token endpoint (probes send a fixed, non-secret Basic value
    // to the MCP server).
    if path == "/token"
        && let Some(b) =
            headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|a| a.strip_prefix("Basic "))
    {
        h.note("basic credential", b);
    }
    match path {
        "/.well-known/oauth-protected-resource" | "/.well-known/oauth-protected-resource/mcp" => {
            h.reply(200, json!({"resource": format!("{o}/mcp"), "authorization_servers": [o], "echo": h.echo(false)}))
        }
        "/.well-known/oauth-authorization-server" | "/.well-known/openid-configuration" => {
            let cimd = h.variant == Variant::Cimd;
            let methods = if cimd { json!(["private_key_jwt"]) } else { json!(["client_secret_basic"]) };
            h.reply(
                200,
                json!({
                    "issuer": o,
                    "authorization_endpoint": format!("{o}/authorize"),
                    "token_endpoint": format!("{o}/token"),
                    "registration_endpoint": format!("{o}/register"),
                    "response_types_supported": ["code"],
                    "grant_types_supported": ["authorization_code", "refresh_token"],
                    "code_challenge_methods_supported": ["S256"],
                    "token_endpoint_auth_methods_supported": methods,
                    "client_id_metadata_document_supported": cimd,
                    "authorization_response_iss_parameter_supported": true,
                    "scopes_supported": ["mcp"],
                }),
            )
        }
        "/register" => {
            let secret = h.mint("client secret", false);
            let rat = h.mint("registration access token", true);
            let req: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            let mut v = req.clone();
            v["client_id"] = json!("client-7");
            v["client_secret"] = json!(secret);
            v["registration_access_token"] = json!(rat);
            v["token_endpoint_auth_method"] = json!("client_secret_basic");
            v["echo"] = json!(h.echo(false));
            h.reply(201, v)
        }
        "/authorize" => {
            let q: Vec<(String, String)> = form_params(uri.query().unwrap_or("").as_bytes());
            let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
            h.note("state", &get("state"));
            h.note("code challenge", &get("code_challenge"));
            let code = h.mint("code", false);
            let state = if h.variant == Variant::WrongState { format!("{}-x", get("state")) } else { get("state") };
            let iss = if h.variant == Variant::WrongIss { "https://evil.example".to_owned() } else { o.clone() };
            let mut back = url::Url::parse(&get("redirect_uri")).unwrap_or_else(|_| url::Url::parse(o).unwrap());
            back.query_pairs_mut()
                .append_pair("code", &code)
                .append_pair("state", &state)
                .append_pair("iss", &iss)
                .append_pair("echo", &h.echo(false));
            let mut r = StatusCode::FOUND.into_response();
            r.headers_mut().insert("location", back.as_str().parse().unwrap());
            r
        }
        "/token" => {
            let p = form_params(&body);
            let get = |k: &str| p.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
            h.note("code verifier", &get("code_verifier"));
            h.note("client assertion", &get("client_assertion"));
            h.note("refresh token sent", &get("refresh_token"));
            if h.variant == Variant::Success {
                let at = h.mint("access token", true);
                let rt = h.mint("refresh token", false);
                let id = h.mint("id token", true);
                h.reply(
                    200,
                    json!({"access_token": at, "token_type": "Bearer", "expires_in": 3600, "refresh_token": rt,
                           "id_token": id, "scope": "mcp", "echo": h.echo(false)}),
                )
            } else {
                // Refuses, quoting the request back (PHP frameworks do) and every secret known.
                let desc = format!(
                    "code {} refused for verifier {} with {} ({})",
                    get("code"),
                    get("code_verifier"),
                    headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or(""),
                    h.echo(false)
                );
                h.reply(400, json!({"error": "invalid_grant", "error_description": desc}))
            }
        }
        "/mcp" => mcp(&h, &method, &headers, &body),
        _ => h.reply(404, json!({"error": "not_found", "error_description": h.echo(false)})),
    }
}

fn mcp(h: &Hostile, method: &Method, headers: &HeaderMap, body: &[u8]) -> Response {
    use serde_json::json;
    let o = &h.origin;
    let bearer = headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|a| a.strip_prefix("Bearer "));
    let known = h.secrets.lock().unwrap().iter().any(|(k, v)| *k == "access token" && Some(v.as_str()) == bearer);
    if !known {
        let desc = h.echo(true).replace(['"', '\\'], "");
        let mut r = h.reply(401, json!({"error": "invalid_token", "error_description": h.echo(false)}));
        let challenge = format!(
            "Bearer resource_metadata=\"{o}/.well-known/oauth-protected-resource/mcp\", error=\"invalid_token\", error_description=\"{desc}\""
        );
        r.headers_mut().insert("www-authenticate", challenge.parse().unwrap());
        return r;
    }
    if *method == Method::DELETE {
        return h.reply(200, json!({"echo": h.echo(false)}));
    }
    if *method != Method::POST {
        return h.reply(405, json!({"error": h.echo(false)}));
    }
    let req: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let Some(id) = req.get("id").cloned() else {
        return StatusCode::ACCEPTED.into_response();
    };
    let result = match req.get("method").and_then(|m| m.as_str()) {
        Some("initialize") => {
            let sid = h.mint("session id", true);
            let mut r = h.reply(
                200,
                json!({"jsonrpc": "2.0", "id": id, "result": {"protocolVersion": "2025-06-18", "capabilities": {"tools": {}},
                    "serverInfo": {"name": "hostile", "version": "1"}, "instructions": h.echo(false)}}),
            );
            r.headers_mut().insert("mcp-session-id", sid.parse().unwrap());
            return r;
        }
        Some("tools/list") => {
            json!({"tools": [{"name": "echo", "description": h.echo(false), "inputSchema": {"type": "object"}}]})
        }
        _ => json!({"content": [{"type": "text", "text": h.echo(false)}]}),
    };
    h.reply(200, json!({"jsonrpc": "2.0", "id": id, "result": result}))
}

/// A hostile server on its own loopback port, served by a runtime on a background thread.
struct Server {
    state: Arc<Hostile>,
    _rt: tokio::runtime::Runtime,
}

impl Server {
    fn start(variant: Variant, style: JsonStyle, seed: u64) -> Server {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let origin = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let state = Arc::new(Hostile {
            origin,
            variant,
            style,
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
            secrets: Mutex::new(Vec::new()),
            echoed: Mutex::new(Default::default()),
        });
        let app = axum::Router::new().fallback(handle).with_state(state.clone());
        rt.spawn(async move { axum::serve(listener, app).await });
        Server { state, _rt: rt }
    }
    fn mcp(&self) -> String {
        format!("{}/mcp", self.state.origin)
    }
    fn secrets(&self) -> Secrets {
        self.state.secrets.lock().unwrap().clone()
    }
}

fn bin(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_connector-harness")).args(args).current_dir(cwd).output().unwrap()
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ch-redaction-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() { out.extend(files(&p)) } else { out.push(p) }
    }
    out
}

/// The ways the test reads an output, independently of the harness's decoder: a JSON text by its
/// strings and keys (recursively: bodies are JSON inside JSON; structure and numbers hold no
/// secret), any other text as it is; each of those with `\/` and `\uXXXX` undone, percent- and
/// form-decoded (twice), HTML references undone, and every base64 run decoded at every alignment
/// in both alphabets.
fn views(leaf: String) -> Vec<String> {
    let mut mine = vec![leaf];
    let add = |v: String, all: &mut Vec<String>| {
        if !all.contains(&v) {
            all.push(v);
        }
    };
    if mine[0].contains('\\') {
        let u = unescape_json(&mine[0]);
        add(u, &mut mine);
    }
    for t in mine.clone() {
        if t.contains('%') || t.contains('+') {
            let once = percent(&t);
            let twice = if once.contains('%') { percent(&once) } else { once.clone() };
            add(once, &mut mine);
            add(twice, &mut mine);
        }
        if t.contains('&') {
            add(unescape_html(&t), &mut mine);
        }
    }
    let mut all = Vec::new();
    for v in mine {
        all.extend(base64_runs(&v));
        all.push(v);
    }
    all
}

/// The texts a view is built from: the strings and keys of a JSON document (of JSON documents
/// inside its strings, a few levels deep), or the text itself.
fn leaves(text: &str, out: &mut Vec<String>, depth: u8) {
    fn walk(v: &serde_json::Value, out: &mut Vec<String>, depth: u8) {
        match v {
            serde_json::Value::String(s) => leaves(s, out, depth + 1),
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out, depth)),
            serde_json::Value::Object(m) => m.iter().for_each(|(k, x)| {
                out.push(k.clone());
                walk(x, out, depth)
            }),
            _ => {}
        }
    }
    let trimmed = text.trim_start();
    if depth < 4
        && (trimmed.starts_with('{') || trimmed.starts_with('['))
        && let Ok(v) = serde_json::from_str::<serde_json::Value>(text)
    {
        walk(&v, out, depth);
    } else {
        out.push(text.to_owned());
    }
}

fn unescape_json(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    let mut pending_high: Option<u32> = None;
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.peek().copied() {
                Some('/') | Some('"') | Some('\\') => {
                    out.push(chars.next().unwrap());
                    continue;
                }
                Some('u') => {
                    let hex: String = chars.clone().skip(1).take(4).collect();
                    if let Ok(u) = u32::from_str_radix(&hex, 16)
                        && hex.len() == 4
                    {
                        for _ in 0..5 {
                            chars.next();
                        }
                        if (0xD800..0xDC00).contains(&u) {
                            pending_high = Some(u);
                        } else if let (Some(hi), true) = (pending_high.take(), (0xDC00..0xE000).contains(&u)) {
                            out.extend(char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (u - 0xDC00)));
                        } else {
                            out.extend(char::from_u32(u));
                        }
                        continue;
                    }
                }
                _ => {}
            }
        }
        out.push(c);
    }
    out
}

fn unescape_html(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let end = rest.as_bytes().iter().take(12).position(|&b| b == b';');
        let decoded = end.and_then(|e| {
            let name = &rest[1..e];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                n if n.starts_with("#x") || n.starts_with("#X") => {
                    u32::from_str_radix(&n[2..], 16).ok().and_then(char::from_u32)
                }
                n if n.starts_with('#') => n[1..].parse().ok().and_then(char::from_u32),
                _ => None,
            };
            c.map(|c| (c, e + 1))
        });
        match decoded {
            Some((c, n)) => {
                out.push(c);
                rest = &rest[n..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn percent(s: &str) -> String {
    String::from_utf8_lossy(&url::form_urlencoded::parse(s.as_bytes()).fold(Vec::new(), |mut acc, (k, v)| {
        // `parse` splits on `&` and `=`: rebuild the text with the separators it consumed.
        if !acc.is_empty() {
            acc.push(b'&');
        }
        acc.extend_from_slice(k.as_bytes());
        if !v.is_empty() {
            acc.push(b'=');
            acc.extend_from_slice(v.as_bytes());
        }
        acc
    }))
    .into_owned()
}

/// Base64 of the shortest secret (29 bytes) is longer than this.
const MIN_BASE64: usize = 32;

fn base64_runs(s: &str) -> Vec<String> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    let cfg = GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true);
    let engines =
        [GeneralPurpose::new(&base64::alphabet::STANDARD, cfg), GeneralPurpose::new(&base64::alphabet::URL_SAFE, cfg)];
    let mut out = Vec::new();
    for run in s.split(|c: char| !(c.is_ascii_alphanumeric() || "+/-_".contains(c))).filter(|r| r.len() >= MIN_BASE64) {
        for off in 0..4 {
            let mut part = &run[off..];
            if part.len() % 4 == 1 {
                part = &part[..part.len() - 1];
            }
            for e in &engines {
                if let Ok(raw) = e.decode(part) {
                    let t = String::from_utf8_lossy(&raw).into_owned();
                    if t.contains('%') || t.contains('+') {
                        out.push(percent(&t));
                    }
                    out.push(t);
                }
            }
        }
    }
    out
}

/// Every secret that some output shows, as `kind in output`. Each distinct string (outputs repeat
/// the same texts many times) is read once, and a secret is looked up by its first two bytes
/// before a full comparison.
fn leaks(outputs: &[(String, String)], secrets: &Secrets) -> Vec<String> {
    let mut by_prefix: Vec<Vec<usize>> = vec![Vec::new(); 1 << 16];
    for (i, (_, s)) in secrets.iter().enumerate() {
        let b = s.as_bytes();
        by_prefix[(b[0] as usize) << 8 | b[1] as usize].push(i);
    }
    let mut seen: std::collections::HashSet<u64> = Default::default();
    let mut found = Vec::new();
    for (name, text) in outputs {
        let mut layer = Vec::new();
        leaves(text, &mut layer, 0);
        for leaf in layer {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            leaf.hash(&mut h);
            if !seen.insert(h.finish()) {
                continue;
            }
            for v in views(leaf.clone()) {
                let b = v.as_bytes();
                for i in 0..b.len().saturating_sub(1) {
                    for &k in &by_prefix[(b[i] as usize) << 8 | b[i + 1] as usize] {
                        let (kind, s) = &secrets[k];
                        if b[i..].starts_with(s.as_bytes()) {
                            let what = format!("{kind} in {name}");
                            if !found.contains(&what) {
                                // Where it was: the text as written around the decoded hit.
                                let at = String::from_utf8_lossy(&b[i.saturating_sub(80)..b.len().min(i + 120)])
                                    .into_owned();
                                eprintln!("{what}: …{at}…\n  in a text of {} bytes: {:.300}", leaf.len(), leaf);
                            }
                            found.push(what);
                        }
                    }
                }
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

fn collect(label: &str, o: &Output, dir: Option<&Path>, outputs: &mut Vec<(String, String)>) {
    outputs.push((format!("{label} stdout"), String::from_utf8_lossy(&o.stdout).into_owned()));
    outputs.push((format!("{label} stderr"), String::from_utf8_lossy(&o.stderr).into_owned()));
    for f in dir.map(files).unwrap_or_default() {
        let name = format!("{label} {}", f.strip_prefix(dir.unwrap()).unwrap().display());
        outputs.push((name, String::from_utf8_lossy(&std::fs::read(&f).unwrap()).into_owned()));
    }
}

#[test]
fn no_secret_survives_in_any_output_whatever_the_encoding() {
    let seed: u64 = std::env::var("REDACTION_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(20261129);
    let mut rng = StdRng::seed_from_u64(seed);
    let styles = [JsonStyle::Plain, JsonStyle::EscapedSlashes, JsonStyle::AllUnicode, JsonStyle::Mixed];
    let mut style = || styles[rng.gen_range(0..styles.len())];
    let root = tmp("root");
    let mut outputs: Vec<(String, String)> = Vec::new();
    let mut secrets: Secrets = Vec::new();

    // `client` in each way a code can be refused or tokens issued, each with its own server.
    let dcr = "chatgpt-2025-09-dcr-basic";
    let cases = [
        (Variant::Success, dcr),
        (Variant::TokenError, dcr),
        (Variant::WrongIss, dcr),
        (Variant::WrongState, dcr),
        (Variant::Cimd, "chatgpt-2026-cimd"),
        // The default profile's own traffic: the GET probe and `server/discover` with the token,
        // each answered with echoed secrets, then the `initialize` fallback.
        (Variant::Success, mock_client::profile::TODAYS_CHATGPT),
    ];
    let mut runs = Vec::new();
    for (i, (variant, profile)) in cases.iter().enumerate() {
        let server = Server::start(*variant, style(), seed + i as u64);
        let dir = root.join(format!("client-{i}"));
        std::fs::create_dir_all(&dir).unwrap();
        let (url, d, p) = (server.mcp(), dir.clone(), profile.to_string());
        let t = std::thread::spawn(move || {
            let transcript = d.join("transcript.json");
            bin(&["client", "--profile", &p, &url, "-v", "--transcript", transcript.to_str().unwrap()], &d)
        });
        runs.push((format!("client {variant:?}"), server, dir, t));
    }
    // `check -v` with reports, a scenario with a snapshot and reports, and a certification.
    let check = Server::start(Variant::Success, style(), seed + 10);
    let check_dir = root.join("check");
    {
        let (url, d) = (check.mcp(), check_dir.clone());
        std::fs::create_dir_all(&d).unwrap();
        let t = std::thread::spawn(move || {
            bin(&["check", "--target", &url, "--profile", dcr, "-v", "--no-color", "--report-dir", "reports"], &d)
        });
        runs.push(("check".into(), check, check_dir, t));
    }
    let scenario = Server::start(Variant::TokenError, style(), seed + 20);
    let run_dir = root.join("run");
    {
        std::fs::create_dir_all(&run_dir).unwrap();
        std::fs::write(
            run_dir.join("hostile.yaml"),
            format!(
                "name: hostile\ntarget: {{url: {}}}\nprofile: {dcr}\nsteps: [connect, {{probes: [garbage_token, session_ids]}}, finish]\nexpect: {{outcome: failed, snapshot: hostile}}\n",
                scenario.mcp()
            ),
        )
        .unwrap();
        let d = run_dir.clone();
        let t = std::thread::spawn(move || {
            bin(&["run", "hostile.yaml", "-vv", "--no-color", "--update-snapshots", "--report-dir", "reports"], &d)
        });
        runs.push(("run".into(), scenario, run_dir, t));
    }
    let certify = Server::start(Variant::Success, style(), seed + 30);
    let cert_dir = root.join("certify");
    {
        std::fs::create_dir_all(&cert_dir).unwrap();
        let (issuer, d) = (certify.state.origin.clone(), cert_dir.clone());
        let t = std::thread::spawn(move || {
            bin(&["certify-idp", "--issuer", &issuer, "--profile", dcr, "--login", "auto", "--out", "out"], &d)
        });
        runs.push(("certify-idp".into(), certify, cert_dir, t));
    }

    let started = std::time::Instant::now();
    for (label, server, dir, t) in runs {
        let o = t.join().unwrap();
        eprintln!("{label} done after {:?}", started.elapsed());
        collect(&label, &o, Some(&dir), &mut outputs);
        secrets.extend(server.secrets());
    }
    // The generator must have reached every kind of secret, or the test proves less than it says.
    for kind in [
        "client secret",
        "registration access token",
        "code",
        "state",
        "code challenge",
        "code verifier",
        "basic credential",
        "client assertion",
        "access token",
        "refresh token",
        "id token",
        "session id",
    ] {
        assert!(secrets.iter().any(|(k, _)| *k == kind), "the hostile server never saw a {kind} (seed {seed})");
    }
    let written = outputs.iter().filter(|(n, _)| n.contains("report.json") || n.ends_with(".snap")).count();
    assert!(
        written >= 3,
        "the commands wrote no reports or snapshot: {:?}",
        outputs.iter().map(|o| &o.0).collect::<Vec<_>>()
    );
    let started = std::time::Instant::now();
    let found = leaks(&outputs, &secrets);
    let dump: Vec<String> = secrets.iter().map(|(k, v)| format!("{k}\t{v}")).collect();
    std::fs::write(root.join("secrets.tsv"), dump.join("\n")).unwrap();
    eprintln!("searched {} outputs in {:?}", outputs.len(), started.elapsed());
    assert!(found.is_empty(), "secrets survived (seed {seed}):\n  {}", found.join("\n  "));
}

#[test]
fn the_test_decoder_finds_every_encoding_it_throws() {
    // The property above is only as strong as its search: every form the server echoes, in every
    // JSON style, must be found by `views`.
    let s = "Sab/c+d e%f&gé=~x0123456789AB";
    let mut rng = StdRng::seed_from_u64(1);
    for form in encodings(s) {
        for style in [JsonStyle::Plain, JsonStyle::EscapedSlashes, JsonStyle::AllUnicode, JsonStyle::Mixed] {
            let body = write_json(&serde_json::json!({"echo": format!("x {form} y")}), style, &mut rng);
            let secrets = vec![("s", s.to_owned())];
            assert_eq!(leaks(&[("t".into(), body.clone())], &secrets).len(), 1, "{form} as {body}");
        }
    }
}
