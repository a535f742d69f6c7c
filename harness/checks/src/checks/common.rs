//! What every check uses: a read-only view of the run record with lookups by probe label, and the
//! constructors that turn a verdict into a [`Finding`] with the catalogue's name, level and sources.

use harness_transcript::{Exchange, ExchangeKind, Phase};
use mcp_wire::SpecVersion;
use mcp_wire::challenge::{self, Challenge};
use serde_json::{Value, json};

use crate::catalogue;
use crate::model::{Finding, RunRecord, Status};
use crate::probe_record as probes;

/// The run record as checks see it.
pub(crate) struct View<'a> {
    pub record: &'a RunRecord,
    target: Option<url::Url>,
    /// ChatGPT's connect judged as a whole, once; see `chatgpt::connect_findings`.
    pub(super) connect_findings: std::cell::OnceCell<Vec<Finding>>,
    /// The eras the server was seen speaking, detected once: every 2026-07-28 rule gates on them,
    /// and detecting parses each `initialize` answer (a hostile server's can be a megabyte).
    pub(super) eras: std::cell::OnceCell<super::modern::Eras>,
    /// The 2026-07-28 area's findings, judged once for all its IDs; see `modern::for_id`.
    pub(super) modern_findings: std::cell::OnceCell<Vec<Finding>>,
}

impl<'a> View<'a> {
    pub fn new(record: &'a RunRecord) -> View<'a> {
        View {
            record,
            target: url::Url::parse(&record.target).ok(),
            connect_findings: std::cell::OnceCell::new(),
            eras: std::cell::OnceCell::new(),
            modern_findings: std::cell::OnceCell::new(),
        }
    }

    pub fn exchanges(&self) -> &'a [Exchange] {
        &self.record.transcript.exchanges
    }

    /// The target URL as given.
    pub fn target(&self) -> &'a str {
        &self.record.target
    }

    /// The parsed target, if it parses.
    pub fn target_url(&self) -> Option<&url::Url> {
        self.target.as_ref()
    }

    /// The revision the run is judged under.
    pub fn spec(&self) -> SpecVersion {
        self.record.spec_version
    }

    /// Whether the connect was made with a ChatGPT profile (the connect-based GPT checks need one).
    pub fn is_chatgpt(&self) -> bool {
        client_profile::is_chatgpt(&self.record.profile)
    }

    /// The last probe exchange of the kind this label names (`probe:<name>[:<step>]`).
    pub fn probe(&self, label: &str) -> Option<&'a Exchange> {
        let kind = ExchangeKind::probe(label);
        self.exchanges().iter().rev().find(|e| e.phase == Phase::Probe && e.kind == kind)
    }

    /// Probe exchanges of the probe `prefix` names whose step starts with its step part
    /// (`probe:negative_token:` → every negative token), in order.
    pub fn probes_prefixed(&self, prefix: &str) -> Vec<&'a Exchange> {
        let wanted = ExchangeKind::probe(prefix);
        let Some((name, step)) = probe_parts(&wanted) else { return Vec::new() };
        self.exchanges()
            .iter()
            .filter(|e| e.phase == Phase::Probe)
            .filter(|e| match (probe_parts(&e.kind), step) {
                (Some((n, Some(s))), Some(want)) => n == name && s.starts_with(want),
                // The probe's name exactly: `probe:modern` is not `probe:modern_auth`.
                (Some((n, _)), None) => n == name,
                _ => false,
            })
            .collect()
    }

    /// Connect exchanges (everything but probes) of one phase.
    pub fn connect(&self, phase: Phase) -> impl Iterator<Item = &'a Exchange> {
        self.exchanges().iter().filter(move |e| e.phase == phase)
    }

    /// Whether an exchange went to the MCP endpoint (same origin and path; query ignored).
    pub fn is_mcp(&self, e: &Exchange) -> bool {
        let (Some(t), Ok(u)) = (self.target.as_ref(), url::Url::parse(&e.url)) else { return false };
        u.origin() == t.origin() && u.path().trim_end_matches('/') == t.path().trim_end_matches('/')
    }

    /// Requests to the MCP endpoint sent with no credentials at all (no Authorization header and no
    /// token in the query): the probes' unauthenticated initializes and the connect's first request.
    pub fn unauthenticated(&self) -> Vec<&'a Exchange> {
        let probe_kinds =
            [probes::labels::UNAUTHENTICATED, probes::labels::REPEAT_FIRST, probes::labels::REPEAT_SECOND]
                .map(ExchangeKind::probe);
        self.exchanges()
            .iter()
            .filter(|e| e.status.is_some() && e.method == "POST" && self.is_mcp(e))
            .filter(|e| match e.phase {
                Phase::Probe => probe_kinds.contains(&e.kind),
                _ => e.request_header("authorization").is_none() && !e.url.contains("token="),
            })
            .collect()
    }

    /// Every PRM fetch (probe or connect) with the URL it fetched.
    pub fn prm_fetches(&self) -> Vec<&'a Exchange> {
        let probe_kinds = [
            probes::labels::PRM_ROOT_GET,
            probes::labels::PRM_PATH_GET,
            probes::labels::UNAUTHENTICATED_RESOURCE_METADATA,
            probes::labels::SCOPE_RESOURCE_METADATA,
        ]
        .map(ExchangeKind::probe);
        self.exchanges()
            .iter()
            .filter(|e| e.method == "GET")
            .filter(|e| match e.phase {
                Phase::Probe => probe_kinds.contains(&e.kind),
                Phase::Discovery => matches!(e.kind, ExchangeKind::Prm { .. }),
                _ => false,
            })
            .collect()
    }

    /// The latest GET of `url` that got an answer, any phase.
    pub fn fetched(&self, url: &str) -> Option<&'a Exchange> {
        self.exchanges().iter().rev().find(|e| e.method == "GET" && e.url == url && e.status.is_some())
    }

    /// Whether any exchange of the probe (or probe step) this label names exists: the probe ran.
    pub fn ran(&self, label: &str) -> bool {
        let wanted = ExchangeKind::probe(label);
        let Some((name, step)) = probe_parts(&wanted) else { return false };
        self.exchanges().iter().filter(|e| e.phase == Phase::Probe).filter_map(|e| probe_parts(&e.kind)).any(
            |(n, s)| {
                n == name
                    && match (step, s) {
                        (None, _) => true,
                        (Some(want), Some(s)) => s == want || s.strip_prefix(want).is_some_and(|r| r.starts_with(':')),
                        (Some(_), None) => false,
                    }
            },
        )
    }

    /// Whether the server issues session ids (any answer carried `Mcp-Session-Id`).
    pub fn issues_sessions(&self) -> bool {
        self.exchanges().iter().any(|e| e.response_header("mcp-session-id").is_some())
    }

    /// A finding for `id`, named and referenced from the catalogue.
    pub fn finding(
        &self,
        id: &str,
        status: Status,
        description: impl Into<String>,
        exchanges: Vec<u32>,
        details: Value,
    ) -> Finding {
        let req = catalogue::get(id);
        Finding {
            id: id.to_owned(),
            name: req.map(|r| r.name.clone()).unwrap_or_else(|| id.to_owned()),
            status,
            description: description.into(),
            spec_refs: req.map(|r| r.spec_refs()).unwrap_or_default(),
            details,
            exchanges,
            untestable: false,
        }
    }

    /// The requirement holds.
    pub fn pass(&self, id: &str, description: impl Into<String>, exchanges: Vec<u32>, details: Value) -> Finding {
        self.finding(id, Status::Success, description, exchanges, details)
    }

    /// The requirement is violated: FAILURE for a MUST, WARNING for a SHOULD.
    pub fn violated(&self, id: &str, description: impl Into<String>, exchanges: Vec<u32>, details: Value) -> Finding {
        let status = catalogue::get(id).map(|r| r.violation()).unwrap_or(Status::Failure);
        self.finding(id, status, description, exchanges, details)
    }

    /// A probe ran but a step it needed failed, so the requirement was not tested: SKIPPED, never
    /// FAILURE — the server may well meet it. The description starts "Not tested:" and says what
    /// was observed and what would make it testable.
    pub fn untestable(&self, id: &str, description: impl Into<String>, exchanges: Vec<u32>, details: Value) -> Finding {
        self.finding(id, Status::Skipped, description, exchanges, details)
    }

    /// Recorded, never a problem.
    pub fn info(&self, id: &str, description: impl Into<String>, exchanges: Vec<u32>, details: Value) -> Finding {
        self.finding(id, Status::Info, description, exchanges, details)
    }

    /// Not applicable to this run.
    pub fn skipped(&self, id: &str, description: impl Into<String>, exchanges: Vec<u32>, details: Value) -> Finding {
        self.finding(id, Status::Skipped, description, exchanges, details)
    }

    /// SUCCESS when `problems` is empty, otherwise a violation listing them.
    pub fn verdict(
        &self,
        id: &str,
        problems: Vec<String>,
        ok: impl Into<String>,
        exchanges: Vec<u32>,
        details: Value,
    ) -> Finding {
        if problems.is_empty() {
            self.pass(id, ok, exchanges, details)
        } else {
            self.violated(id, join(&problems), exchanges, details)
        }
    }
}

/// Problems as one list: repeats counted ("… (4 times)"), first occurrence order kept.
pub(crate) fn counted(problems: &[String]) -> Vec<String> {
    let mut out: Vec<(String, usize)> = Vec::new();
    for p in problems {
        match out.iter_mut().find(|(x, _)| x == p) {
            Some((_, n)) => *n += 1,
            None => out.push((p.clone(), 1)),
        }
    }
    out.into_iter().map(|(p, n)| if n > 1 { format!("{p} ({n} times)") } else { p }).collect()
}

/// Sentences joined into one description.
pub(crate) fn join(parts: &[String]) -> String {
    let mut s = parts.join("; ");
    if !s.ends_with('.') {
        s.push('.');
    }
    s
}

/// The Bearer challenge of a response, if any (several `WWW-Authenticate` headers are all read).
pub(crate) fn bearer(e: &Exchange) -> Option<Challenge> {
    e.response_headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("www-authenticate"))
        .find_map(|(_, v)| challenge::bearer(v))
}

/// The raw `WWW-Authenticate` value(s), for descriptions.
pub(crate) fn www_authenticate(e: &Exchange) -> Option<String> {
    let all: Vec<&str> = e
        .response_headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("www-authenticate"))
        .map(|(_, v)| v.as_str())
        .collect();
    (!all.is_empty()).then(|| all.join(", "))
}

/// The JSON-RPC messages of the response.
pub(crate) fn messages(e: &Exchange) -> Vec<Value> {
    with_messages(e, <[Value]>::to_vec)
}

/// The first JSON-RPC `result` of the response.
pub(crate) fn result(e: &Exchange) -> Option<Value> {
    with_messages(e, |ms| ms.iter().find_map(|m| m.get("result").cloned()))
}

/// The first JSON-RPC `error` of the response.
pub(crate) fn rpc_error(e: &Exchange) -> Option<Value> {
    with_messages(e, |ms| ms.iter().find_map(|m| m.get("error").cloned()))
}

/// Parsed JSON-RPC messages by body, then by content type (looked up without copying the body).
type ParsedBodies = std::collections::HashMap<String, Vec<(Option<String>, std::rc::Rc<Vec<Value>>)>>;

thread_local! {
    /// Response bodies parsed as JSON-RPC during one [`parsed_once`] scope: dozens of rules read
    /// the same responses, and parsing them again was a twentieth of a `run`'s CPU. Keyed by the
    /// text itself, so a hit is the same text; outside a scope nothing is kept.
    static PARSED: std::cell::RefCell<Option<ParsedBodies>> = const { std::cell::RefCell::new(None) };
}

/// Runs `judge` with each response body parsed at most once (a scope opened inside another
/// shares it).
pub(crate) fn parsed_once<R>(judge: impl FnOnce() -> R) -> R {
    struct Scope(bool);
    impl Drop for Scope {
        fn drop(&mut self) {
            if self.0 {
                PARSED.with(|p| *p.borrow_mut() = None);
            }
        }
    }
    let opened = PARSED.with(|p| {
        let mut p = p.borrow_mut();
        let fresh = p.is_none();
        if fresh {
            *p = Some(Default::default());
        }
        fresh
    });
    let _scope = Scope(opened);
    judge()
}

/// `read` over the JSON-RPC messages of the response, parsed once inside a [`parsed_once`] scope.
fn with_messages<R>(e: &Exchange, read: impl FnOnce(&[Value]) -> R) -> R {
    let body = e.response_body.as_deref().unwrap_or("");
    let content_type = e.response_header("content-type");
    let parse = || mcp_wire::jsonrpc::messages(content_type, body);
    if body.is_empty() {
        return read(&[]);
    }
    let cached = PARSED.with(|p| {
        let mut p = p.borrow_mut();
        let map = p.as_mut()?;
        let by_type = match map.get_mut(body) {
            Some(v) => v,
            None => map.entry(body.to_owned()).or_default(),
        };
        if let Some((_, ms)) = by_type.iter().find(|(t, _)| t.as_deref() == content_type) {
            return Some(ms.clone());
        }
        let ms = std::rc::Rc::new(parse());
        by_type.push((content_type.map(str::to_owned), ms.clone()));
        Some(ms)
    });
    match cached {
        Some(ms) => read(&ms),
        None => read(&parse()),
    }
}

/// The response body as JSON.
pub(crate) fn body_json(e: &Exchange) -> Option<Value> {
    e.json()
}

/// 2xx.
pub(crate) fn ok(e: &Exchange) -> bool {
    e.status.is_some_and(|s| (200..300).contains(&s))
}

/// 4xx.
pub(crate) fn client_error(e: &Exchange) -> bool {
    e.status.is_some_and(|s| (400..500).contains(&s))
}

/// "HTTP 401", or what happened instead of an answer.
pub(crate) fn answer(e: &Exchange) -> String {
    match (e.status, &e.error) {
        (Some(s), _) => format!("HTTP {s}"),
        (None, Some(err)) => format!("no answer ({err})"),
        (None, None) => "no answer".to_owned(),
    }
}

/// A compact JSON summary of an exchange for `details`.
pub(crate) fn summary(e: &Exchange) -> Value {
    let mut v = json!({"seq": e.seq, "label": e.label, "request": format!("{} {}", e.method, e.url)});
    match e.status {
        Some(s) => v["status"] = json!(s),
        None => v["error"] = json!(e.error),
    }
    if let Some(w) = www_authenticate(e) {
        v["www_authenticate"] = json!(w);
    }
    if let Some(c) = e.response_header("content-type") {
        v["content_type"] = json!(c);
    }
    v
}

/// The challenge's parameters as JSON, for `details`.
pub(crate) fn params(c: &Challenge) -> Value {
    json!(c.params)
}

/// Whether `url` is absolute http(s) — https, or http to a loopback host.
pub(crate) fn acceptable_metadata_url(url: &str) -> Result<url::Url, String> {
    let u = url::Url::parse(url).map_err(|e| format!("`{url}` is not an absolute URL ({e})"))?;
    match u.scheme() {
        "https" => Ok(u),
        "http" if net_policy::host_is_loopback(&u) => Ok(u),
        "http" => Err(format!("`{url}` is plain http to a non-loopback host; RFC 9728 requires https")),
        s => Err(format!("`{url}` has scheme `{s}`, not https")),
    }
}

/// Two URLs name the same resource: equal after URL normalisation (scheme and host case, default
/// port, no fragment). `Some(true)` exact, `Some(false)` equal but for a trailing slash, `None` not.
pub(crate) fn same_resource(a: &str, b: &str) -> Option<bool> {
    let norm = |s: &str| {
        url::Url::parse(s).ok().map(|mut u| {
            u.set_fragment(None);
            u.to_string()
        })
    };
    let (a, b) = (norm(a)?, norm(b)?);
    if a == b {
        Some(true)
    } else if a.trim_end_matches('/') == b.trim_end_matches('/') {
        Some(false)
    } else {
        None
    }
}

/// The seqs of some exchanges.
pub(crate) fn seqs<'e>(list: impl IntoIterator<Item = &'e Exchange>) -> Vec<u32> {
    list.into_iter().map(|e| e.seq).collect()
}

/// A probe kind's name and step.
fn probe_parts(kind: &ExchangeKind) -> Option<(&str, Option<&str>)> {
    match kind {
        ExchangeKind::Probe { probe, step } => Some((probe.as_str(), step.as_deref())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(content_type: &str, body: &str) -> Exchange {
        let mut e = Exchange::request(1, Phase::Mcp, "POST", "http://127.0.0.1/mcp");
        e.status = Some(200);
        e.response_headers = vec![("content-type".into(), content_type.into())];
        e.response_body = Some(body.into());
        e
    }

    #[test]
    fn a_body_parsed_once_reads_the_same_as_parsed_each_time() {
        let json = answer("application/json", r#"{"jsonrpc":"2.0","id":1,"result":{"a":1}}"#);
        // The same text as an event stream is not JSON-RPC: the content type is part of the key.
        let sse_text = answer("text/event-stream", r#"{"jsonrpc":"2.0","id":1,"result":{"a":1}}"#);
        let sse = answer(
            "text/event-stream",
            "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-1}}\n\n",
        );
        let each = [&json, &sse_text, &sse].map(|e| (result(e), rpc_error(e), messages(e).len()));
        let once =
            parsed_once(|| [&json, &sse_text, &sse, &json].map(|e| (result(e), rpc_error(e), messages(e).len())));
        assert_eq!(each, [once[0].clone(), once[1].clone(), once[2].clone()]);
        assert_eq!(once[0], once[3]);
        assert_eq!(each[0].0, Some(serde_json::json!({"a": 1})));
        assert_eq!(each[1], (None, None, 0));
        assert_eq!(each[2].1, Some(serde_json::json!({"code": -1})));
        // The scope closes: nothing is kept after it.
        assert!(PARSED.with(|p| p.borrow().is_none()));
    }
}
