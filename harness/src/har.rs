//! A browser HAR (HAR 1.2, the JSON every browser's network panel saves) of a ChatGPT connector
//! setup, read as a transcript: `check --transcript FILE.har` and `profiles diff|infer` take it
//! like a `record` capture. Pure data in, pure data out: no I/O, no runtime.
//!
//! What a browser sees of the connector flow is little: ChatGPT's backend does discovery,
//! registration and the code exchange server-side. The HAR shows
//! - ChatGPT's own connector API calls (`chatgpt.com/backend-api/…`), with the OAuth
//!   configuration its backend discovered and, on failure, the `{"detail": "…"}` it shows the user
//!   (seed 001: `Failed to resolve OAuth client for MCP connector: <url>`) — kept as exchanges of
//!   [`ExchangeKind::Unknown`] (no check reads them as anything else) and the message as a
//!   [`NoteKind::ClientMessage`] note;
//! - the browser's navigation to the authorization endpoint (the authorize URL and its
//!   parameters) and the redirect back, classified as `record` classifies them;
//! - any request to the MCP server or the AS the page made itself, classified the same way.
//!
//! Assumptions (no published HAR shows them, seed 001 quotes bodies, not URLs): ChatGPT's
//! connector API lives under `/backend-api/` on `chatgpt.com` or `chat.openai.com` (the one
//! published path is `/backend-api/aip/connectors/links/oauth/callback`), and its error bodies
//! carry the user-facing text in `detail` (seed 001, research §1.8). Everything else on those
//! hosts (page assets, analytics, conversations) is dropped; so are requests to other hosts that
//! classify as nothing.
//!
//! Secrets are redacted on import: cookies (headers and HAR `cookies` arrays), `Authorization`
//! values (ChatGPT's session bearer too), codes, states, verifiers, tokens and assertions in
//! URLs, bodies and `Location` headers — registered as the transcript's secrets and hidden by
//! [`Transcript::redacted`] in every encoding it knows (plain, percent-encoded, JSON-escaped,
//! base64) before the import returns: no secret value leaves it.
//!
//! Bounds (the file is the user's, but may come from anyone): [`MAX_HAR_BYTES`] of input,
//! [`MAX_ENTRIES`] entries read, [`MAX_HEADERS`] headers per message, bodies cut at
//! [`crate::record::MAX_RECORDED_BODY`]; serde_json's recursion limit bounds nesting.

use base64::Engine;
use mock_client::transcript::{Note, NoteKind};
use mock_client::{Exchange, ExchangeKind, Phase, SecretKind, Transcript};
use serde::Deserialize;
use serde_json::Value;

use crate::record::{MAX_RECORDED_BODY, classify, secrets};

/// Largest HAR read (browser HARs of one setup are a few MiB).
pub const MAX_HAR_BYTES: usize = 64 << 20;
/// Most entries read; the rest are counted as skipped.
pub const MAX_ENTRIES: usize = 20_000;
/// Most headers kept per request or response.
pub const MAX_HEADERS: usize = 200;

/// Hosts ChatGPT's web app talks to its backend on.
const CHATGPT_HOSTS: [&str; 2] = ["chatgpt.com", "chat.openai.com"];
/// ChatGPT's backend API prefix (assumption, see the module docs).
const BACKEND_PREFIX: &str = "/backend-api/";

/// Why a HAR could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HarError {
    /// Over [`MAX_HAR_BYTES`].
    #[error("the HAR is {0} bytes; at most {MAX_HAR_BYTES} are read")]
    TooLarge(usize),
    /// Not HAR JSON.
    #[error("not a HAR file: {0}")]
    Format(String),
}

/// What the import produced.
#[derive(Debug, Clone)]
pub struct HarImport {
    /// The transcript, already redacted: no secret value leaves the import.
    pub transcript: Transcript,
    /// The first entry's `startedDateTime`, date part (`2025-06-29`): when the capture was taken.
    pub started: Option<String>,
    /// Entries left out (not the connector flow, or past [`MAX_ENTRIES`]).
    pub skipped: usize,
}

#[derive(Deserialize)]
struct Har {
    log: Log,
}

#[derive(Deserialize)]
struct Log {
    #[serde(default)]
    entries: Vec<Value>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Entry {
    #[serde(default)]
    started_date_time: String,
    #[serde(default)]
    time: f64,
    request: Request,
    #[serde(default)]
    response: Response,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Request {
    method: String,
    url: String,
    #[serde(default)]
    headers: Vec<Header>,
    #[serde(default)]
    cookies: Vec<Header>,
    #[serde(default)]
    post_data: Option<PostData>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Response {
    #[serde(default)]
    status: i64,
    #[serde(default)]
    headers: Vec<Header>,
    #[serde(default)]
    cookies: Vec<Header>,
    #[serde(default)]
    content: Content,
    #[serde(default, rename = "redirectURL")]
    redirect_url: String,
}

#[derive(Deserialize, Default, Clone)]
struct Header {
    #[serde(default)]
    name: String,
    #[serde(default)]
    value: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct PostData {
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    params: Vec<Header>,
}

#[derive(Deserialize, Default)]
struct Content {
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    encoding: Option<String>,
}

/// Whether `v` looks like a HAR (`{"log": {"entries": […]}}`), to tell it from a transcript.
pub fn is_har(v: &Value) -> bool {
    v.get("log").and_then(|l| l.get("entries")).is_some_and(Value::is_array)
}

/// Reads a HAR's text.
pub fn import(text: &str) -> Result<HarImport, HarError> {
    if text.len() > MAX_HAR_BYTES {
        return Err(HarError::TooLarge(text.len()));
    }
    let har: Har = serde_json::from_str(text).map_err(|e| HarError::Format(e.to_string()))?;
    let total = har.log.entries.len();
    let mut t = Transcript::default();
    let mut started = None;
    let mut skipped = total.saturating_sub(MAX_ENTRIES);
    let mut learned = classify::Learned::default();
    let mut mcp_hosts: Vec<String> = Vec::new();
    for raw in har.log.entries.into_iter().take(MAX_ENTRIES) {
        let Ok(entry) = serde_json::from_value::<Entry>(raw) else {
            skipped += 1;
            continue;
        };
        let Some((host, path, query)) = split_url(&entry.request.url) else {
            skipped += 1;
            continue;
        };
        let mut ex = exchange(&entry, t.exchanges.len() as u32 + 1);
        let chatgpt = CHATGPT_HOSTS.iter().any(|h| host == *h || host.ends_with(&format!(".{h}")));
        if chatgpt {
            if !path.starts_with(BACKEND_PREFIX) || !connector_call(&path, &ex) {
                skipped += 1;
                continue;
            }
            ex.phase = connector_phase(&ex);
            ex.kind = ExchangeKind::Unknown;
            ex.label = format!("ChatGPT connector API {} {path}", ex.method);
        } else {
            let body = ex.request_body.clone().unwrap_or_default();
            if serde_json::from_str::<Value>(&body).is_ok_and(|v| v.get("jsonrpc").is_some())
                && !mcp_hosts.contains(&host)
            {
                mcp_hosts.push(host.clone());
            }
            let seen = learned.seen(&ex, &path, &query, &body, mcp_hosts.contains(&host));
            let (phase, kind, label) = classify::classify(&seen);
            if kind == ExchangeKind::Unknown {
                skipped += 1;
                continue;
            }
            learned.learn(&ex, &kind);
            (ex.phase, ex.kind, ex.label) = (phase, kind, label);
        }
        if started.is_none() {
            started = entry.started_date_time.get(..10).filter(|d| is_date(d)).map(str::to_owned);
        }
        let message = client_message(&ex);
        let seq = ex.seq;
        t.push(ex.clone());
        harvest(&mut t, &ex, &entry);
        if let Some(text) = message {
            t.notes.push(Note { kind: NoteKind::ClientMessage, text, from_seq: seq });
        }
    }
    Ok(HarImport { transcript: t.redacted(), started, skipped })
}

/// `(host, path, query)` of an http(s) URL.
fn split_url(url: &str) -> Option<(String, String, String)> {
    let u = url::Url::parse(url).ok()?;
    if !matches!(u.scheme(), "http" | "https") {
        return None;
    }
    Some((u.host_str()?.to_ascii_lowercase(), u.path().to_owned(), u.query().unwrap_or_default().to_owned()))
}

fn is_date(s: &str) -> bool {
    s.len() == 10 && s.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() })
}

/// Headers as the transcript keeps them: HTTP/2 pseudo-headers dropped, at most [`MAX_HEADERS`].
fn headers(h: &[Header]) -> Vec<(String, String)> {
    h.iter().filter(|h| !h.name.starts_with(':')).take(MAX_HEADERS).map(|h| (h.name.clone(), h.value.clone())).collect()
}

fn cut(s: String) -> (String, bool) {
    if s.len() <= MAX_RECORDED_BODY {
        return (s, false);
    }
    let mut end = MAX_RECORDED_BODY;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    (s[..end].to_owned(), true)
}

fn exchange(entry: &Entry, seq: u32) -> Exchange {
    let req = &entry.request;
    let request_body = req.post_data.as_ref().and_then(|p| {
        p.text.clone().or_else(|| {
            (!p.params.is_empty()).then(|| {
                url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(p.params.iter().map(|h| (h.name.as_str(), h.value.as_str())))
                    .finish()
            })
        })
    });
    let res = &entry.response;
    let response_body = res.content.text.clone().map(|text| match res.content.encoding.as_deref() {
        Some("base64") => base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or(text),
        _ => text,
    });
    let mut response_headers = headers(&res.headers);
    if !res.redirect_url.is_empty() && !response_headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("location")) {
        response_headers.push(("location".into(), res.redirect_url.clone()));
    }
    let (request_body, cut_req) = request_body.map(cut).map(|(b, c)| (Some(b), c)).unwrap_or((None, false));
    let (response_body, truncated) = response_body.map(cut).map(|(b, c)| (Some(b), c)).unwrap_or((None, false));
    Exchange {
        request_headers: headers(&req.headers),
        request_body,
        // HAR writes 0 (or -1) when no response arrived.
        status: u16::try_from(res.status).ok().filter(|s| (100..600).contains(s)),
        response_headers,
        response_body,
        truncated: truncated || cut_req,
        duration_ms: if entry.time.is_finite() && entry.time > 0.0 { entry.time as u64 } else { 0 },
        ..Exchange::request(seq, Phase::Discovery, req.method.to_ascii_uppercase(), req.url.clone())
    }
}

/// Whether a backend call is part of the connector setup: its path names connectors or the
/// OAuth link flow, or its bodies carry the connector's OAuth configuration or auth request.
fn connector_call(path: &str, ex: &Exchange) -> bool {
    let p = path.to_ascii_lowercase();
    if p.contains("connector") || p.contains("/aip/") || p.contains("oauth") || p.contains("mcp") {
        return true;
    }
    [&ex.request_body, &ex.response_body].into_iter().flatten().any(|b| {
        b.contains("\"oauth_config\"") || b.contains("\"auth_request\"") || b.contains("\"oauth_client_params\"")
    })
}

/// The flow step a connector API call stands for: the OAuth client's resolution (connector
/// creation, seed 001's failing call) is registration; the OAuth callback is the token step;
/// the rest (the backend's discovery of the OAuth configuration) is discovery.
fn connector_phase(ex: &Exchange) -> Phase {
    let body = ex.request_body.as_deref().unwrap_or_default();
    if ex.url.contains("/oauth/callback") {
        Phase::Token
    } else if body.contains("\"auth_request\"") || body.contains("\"oauth_client_params\"") {
        Phase::Registration
    } else {
        Phase::Discovery
    }
}

/// The message ChatGPT shows for a failed connector call: its `detail` (a string, or the `msg`
/// of the first item FastAPI-style validation errors list).
fn client_message(ex: &Exchange) -> Option<String> {
    if ex.kind != ExchangeKind::Unknown || ex.status.is_none_or(|s| s < 400) {
        return None;
    }
    let v: Value = serde_json::from_str(ex.response_body.as_deref()?).ok()?;
    let d = v.get("detail")?;
    let text = d
        .as_str()
        .map(str::to_owned)
        .or_else(|| d.get(0).and_then(|x| x.get("msg")).and_then(Value::as_str).map(str::to_owned))
        .or_else(|| d.get("message").and_then(Value::as_str).map(str::to_owned))?;
    Some(text.chars().take(2048).collect())
}

/// Registers every secret of the entry: what `record` finds in an exchange, and the HAR's own
/// `cookies` arrays.
fn harvest(t: &mut Transcript, ex: &Exchange, entry: &Entry) {
    secrets::harvest(t, ex);
    for c in entry.request.cookies.iter().chain(&entry.response.cookies) {
        if c.value.len() >= 6 {
            t.add_secret(SecretKind::Cookie, &c.value);
        }
    }
    // A `code` or `state` on the redirect back to ChatGPT's callback.
    if let Some((_, q)) = ex.url.split_once('?') {
        for (k, v) in url::form_urlencoded::parse(q.split('#').next().unwrap_or_default().as_bytes()) {
            let kind = match k.as_ref() {
                "code" => SecretKind::Code,
                "state" => SecretKind::State,
                "code_challenge" => SecretKind::Challenge,
                _ => continue,
            };
            if v.len() >= 6 {
                t.add_secret(kind, &v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn har(entries: Value) -> String {
        json!({"log": {"version": "1.2", "creator": {"name": "test", "version": "1"}, "entries": entries}}).to_string()
    }

    #[test]
    fn an_authorize_navigation_and_its_redirect_import_with_secrets_hidden() {
        let text = har(json!([
            {"startedDateTime": "2026-09-01T10:00:00.000Z", "time": 12,
             "request": {"method": "GET", "url": "https://idp.example/authorize?response_type=code&client_id=abc&redirect_uri=https%3A%2F%2Fchatgpt.com%2Fconnector_platform_oauth_redirect&state=oauth_s_0123456789abcdef&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256&resource=https%3A%2F%2Fmcp.example%2Fmcp",
                         "headers": [{"name": "Cookie", "value": "idp_session=sess-secret-42"}], "cookies": [{"name": "idp_session", "value": "sess-secret-42"}]},
             "response": {"status": 302, "headers": [{"name": "Location", "value": "https://chatgpt.com/connector_platform_oauth_redirect?code=authcode-777&state=oauth_s_0123456789abcdef"}], "content": {}}},
            {"startedDateTime": "2026-09-01T10:00:01.000Z",
             "request": {"method": "GET", "url": "https://chatgpt.com/static/app.js"}, "response": {"status": 200}}
        ]));
        let i = import(&text).unwrap();
        assert_eq!(i.started.as_deref(), Some("2026-09-01"));
        assert_eq!(i.skipped, 1, "the page asset is dropped");
        let e = &i.transcript.exchanges[0];
        assert_eq!(e.kind, ExchangeKind::Authorize);
        let out = serde_json::to_string(&i.transcript).unwrap();
        for secret in ["sess-secret-42", "authcode-777", "oauth_s_0123456789abcdef"] {
            assert!(!out.contains(secret), "{secret} in {out}");
        }
        assert!(out.contains("client_id=abc"), "the parameters stay: {out}");
    }

    #[test]
    fn hostile_hars_are_refused_or_bounded() {
        assert!(matches!(import("[]"), Err(HarError::Format(_))));
        assert!(matches!(import(&" ".repeat(MAX_HAR_BYTES + 1)), Err(HarError::TooLarge(_))));
        // Entries that are not entries, URLs that are not http, absurd statuses: skipped or kept
        // without a status, never a panic.
        let text = har(json!([1, {"request": {"method": "GET", "url": "javascript:alert(1)"}},
            {"request": {"method": "POST", "url": "https://chatgpt.com/backend-api/aip/connectors", "postData": {"text": "x".repeat(MAX_RECORDED_BODY + 10)}},
             "response": {"status": 70000, "content": {"text": "{\"detail\": \"no\"}"}}}]));
        let i = import(&text).unwrap();
        assert_eq!(i.skipped, 2);
        let e = &i.transcript.exchanges[0];
        assert_eq!(e.status, None);
        assert!(e.truncated && e.request_body.as_ref().unwrap().len() == MAX_RECORDED_BODY);
    }
}
