//! H-32: what a 2026-07-28 server does with the traffic of an older client (streamable-http
//! §Earlier Streamable HTTP Revisions). A server that supports only 2026-07-28 SHOULD answer GET
//! and DELETE of the MCP endpoint with 405, never mint or echo `Mcp-Session-Id`, and ignore
//! `Last-Event-ID` (§Receiving Messages: "Resumable SSE streams via `Last-Event-ID` are not
//! supported").
//!
//! Each half is judged only where the spec speaks for the era the request named:
//! - GET/DELETE carry only the 2026-07-28 version header (no body). On a dual-era server the 2025
//!   side governs them (GET MAY open a stream, DELETE MAY end a session), so they are INFO there.
//! - `Mcp-Session-Id` on a dual-era server's 2026-07-28 answers is H-42's contradiction, not here.
//! - `Last-Event-ID` rides a 2026-07-28 `tools/list` (header and `_meta`), whose streams are not
//!   resumable in that revision: judged on every server seen speaking 2026-07-28.

use harness_transcript::{Exchange, ExchangeKind};
use serde_json::{Value, json};

use super::{Eras, Seen};
use crate::checks::common::{View, answer, messages, ok, seqs, summary};
use crate::model::Finding;
use crate::probe_record::{GET_STREAM_WAIT, LAST_EVENT_ID_VALUE, issued_event_id_in, labels};
use mcp_wire::headers;

/// Whether `e` is one of the `modern` probe's 2025-era requests (the other 2026-07-28 checks
/// leave them out).
pub(super) fn is_legacy_traffic(e: &Exchange) -> bool {
    matches!(&e.kind, ExchangeKind::Probe { probe, step: Some(s) }
        if probe == "modern" && s.starts_with(labels::MODERN_LEGACY_STEP))
}

/// One half's outcome: what was seen when it holds, the problem when it does not, or why it
/// could not be judged.
enum Half {
    Holds(String),
    Broken(String),
    Untested(String),
}

/// H-32 (SHOULD). One finding: on a modern-only server all three halves, on a dual-era one the
/// `Last-Event-ID` half (with GET/DELETE reported as INFO beside it).
pub(super) fn h_32(v: &View<'_>, eras: &Eras) -> Vec<Finding> {
    let answered: Vec<&Exchange> =
        v.probes_prefixed("probe:modern").into_iter().filter(|e| e.status.is_some()).collect();
    let traffic: Vec<&Exchange> = answered.iter().copied().filter(|e| is_legacy_traffic(e)).collect();
    let modern_only = eras.modern_only();
    let mut halves = Vec::new();
    let mut out = Vec::new();
    if modern_only {
        halves.push(session_half(&answered));
        if let Some(h) = method_half(v, labels::MODERN_LEGACY_GET, "GET") {
            halves.push(h);
        }
        if let Some(h) = method_half(v, labels::MODERN_LEGACY_DELETE, "DELETE") {
            halves.push(h);
        }
    } else if eras.legacy == Seen::Yes {
        out.extend(methods_info(v));
    }
    let resumed = resumption_half(v);
    if !modern_only && !matches!(resumed, Some(Half::Holds(_) | Half::Broken(_))) {
        let why = if eras.legacy == Seen::Yes {
            "Not judged: the server also speaks the 2025 era, where GET/DELETE and sessions are its 2025 side's to serve, and the 2026-07-28 request with Last-Event-ID got no answer that can be judged."
        } else {
            "Not judged: the requirement is for servers that speak 2026-07-28 only, and this one's 2025 side was not observed."
        };
        out.insert(0, v.skipped("H-32", why, seqs(answered.iter().copied()), Value::Null));
        return out;
    }
    halves.extend(resumed);
    let mut problems = Vec::new();
    let mut seen = Vec::new();
    for h in halves {
        match h {
            Half::Holds(s) => seen.push(s),
            Half::Broken(p) => problems.push(p),
            Half::Untested(u) => seen.push(u),
        }
    }
    let scope = if modern_only {
        "2026-07-28-only server"
    } else {
        "server not seen to speak 2026-07-28 only (only the Last-Event-ID half applies, to its 2026-07-28 request; GET/DELETE are its 2025 side's, session ids H-42's)"
    };
    let ex = if modern_only { seqs(answered.iter().copied()) } else { seqs(traffic.iter().copied()) };
    out.insert(
        0,
        v.verdict(
            "H-32",
            problems.into_iter().map(|p| format!("Expected a {scope} to ignore older clients' traffic: {p}")).collect(),
            format!("{}: {}.", capitalised(scope), seen.join("; ")),
            ex,
            json!({"traffic": traffic.iter().map(|e| summary(e)).collect::<Vec<_>>()}),
        ),
    );
    out
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// Never mint or echo `Mcp-Session-Id`: judged over every answer the probe got.
fn session_half(answered: &[&Exchange]) -> Half {
    let minted: Vec<&&Exchange> = answered.iter().filter(|e| e.response_header("mcp-session-id").is_some()).collect();
    match minted.first() {
        None => Half::Holds(format!("none of {} answers carries Mcp-Session-Id", answered.len())),
        Some(first) => Half::Broken(format!(
            "{} of {} answers carry Mcp-Session-Id (first: `{}`)",
            minted.len(),
            answered.len(),
            first.label
        )),
    }
}

/// GET or DELETE of the MCP endpoint → 405. A GET still open after the wait is an offered
/// stream (its HEAD is what was recorded). `None` when the probe did not send it.
fn method_half(v: &View<'_>, label: &str, method: &str) -> Option<Half> {
    let head = (method == "GET").then(|| v.probe(labels::MODERN_LEGACY_GET_HEAD)).flatten();
    let e = match (v.probe(label), head) {
        (Some(e), _) if e.status.is_some() => e,
        (_, Some(h)) => {
            return Some(Half::Broken(format!(
                "a GET with MCP-Protocol-Version 2026-07-28 was still open after {} s — a stream, not 405 (a HEAD with the same headers got {}{})",
                GET_STREAM_WAIT.as_secs(),
                answer(h),
                h.response_header("content-type").map(|c| format!(", {c}")).unwrap_or_default()
            )));
        }
        (Some(e), None) => {
            return Some(Half::Untested(format!("{method} not tested ({})", answer(e))));
        }
        (None, None) => return None,
    };
    Some(match e.status {
        Some(405) => Half::Holds(format!("{method} is answered 405")),
        _ => Half::Broken(format!("{method} with MCP-Protocol-Version 2026-07-28 got {}, not 405", answer(e))),
    })
}

/// On a dual-era server what GET/DELETE got, recorded: the 2025 side may serve them.
fn methods_info(v: &View<'_>) -> Vec<Finding> {
    let get = v.probe(labels::MODERN_LEGACY_GET).filter(|e| e.status.is_some());
    let head = v.probe(labels::MODERN_LEGACY_GET_HEAD);
    let delete = v.probe(labels::MODERN_LEGACY_DELETE);
    let mut parts = Vec::new();
    let mut ex = Vec::new();
    if let Some(e) = get {
        parts.push(format!("GET got {}", answer(e)));
        ex.push(e);
    } else if let Some(h) = head {
        parts.push(format!("GET stayed open (a stream; HEAD got {})", answer(h)));
        ex.push(h);
    }
    if let Some(e) = delete {
        parts.push(format!("DELETE got {}", answer(e)));
        ex.push(e);
    }
    if parts.is_empty() {
        return Vec::new();
    }
    vec![v.info(
        "H-32",
        format!(
            "With MCP-Protocol-Version 2026-07-28: {}. The server also speaks the 2025 era, whose GET stream and session DELETE it may serve; the 405 rule is for 2026-07-28-only servers, so this is not judged.",
            parts.join(", ")
        ),
        seqs(ex.iter().copied()),
        json!({"answers": ex.iter().map(|e| summary(e)).collect::<Vec<_>>()}),
    )]
}

/// The JSON-RPC id of the request an exchange sent.
fn request_id(e: &Exchange) -> Option<Value> {
    let body: Value = serde_json::from_str(e.request_body.as_deref()?).ok()?;
    body.get("id").cloned()
}

/// `Last-Event-ID` ignored: the 2026-07-28 `tools/list` carrying it gets its own result and
/// nothing else — no response to another request (a replay), and no refusal the same request
/// without the header did not get. `None` when the probe did not send it. Every text says where
/// the id came from: issued by the server earlier in the run, or invented (then a server that
/// resumes only for ids it issued would pass unseen, and a passing text says so).
fn resumption_half(v: &View<'_>) -> Option<Half> {
    let e = v.probe(labels::MODERN_LEGACY_LAST_EVENT_ID)?;
    if e.status.is_none() {
        return Some(Half::Untested(format!("Last-Event-ID not tested ({})", answer(e))));
    }
    let sent = e.request_header(headers::LAST_EVENT_ID).unwrap_or(LAST_EVENT_ID_VALUE);
    let (id, caveat) = match issued_event_id_in(v.exchanges().iter().filter(|x| x.seq < e.seq), sent) {
        Some(seq) => (format!("Last-Event-ID {sent} (an SSE event id the server issued in #{seq})"), ""),
        None => (
            format!("Last-Event-ID {sent} (invented: the server issued no SSE event id earlier in the run)"),
            "; a server that resumes only for event ids it issued would pass this unseen",
        ),
    };
    let own = request_id(e);
    let responses: Vec<Value> =
        messages(e).into_iter().filter(|m| m.get("result").is_some() || m.get("error").is_some()).collect();
    let replayed: Vec<&Value> = responses.iter().filter(|m| m.get("id") != own.as_ref()).collect();
    if !replayed.is_empty() {
        let ids: Vec<String> =
            replayed.iter().take(5).map(|m| m.get("id").map_or_else(|| "none".into(), Value::to_string)).collect();
        return Some(Half::Broken(format!(
            "a 2026-07-28 tools/list with {id} was answered with {} JSON-RPC response(s) to other requests (ids {}): a replay of an earlier stream",
            replayed.len(),
            ids.join(", ")
        )));
    }
    let served = ok(e) && responses.iter().any(|m| m.get("result").is_some());
    if served {
        return Some(Half::Holds(format!("{id} is ignored (its own result, no replay){caveat}")));
    }
    let control = v.probe(labels::MODERN_TOOLS_LIST_AGAIN).or_else(|| v.probe(labels::MODERN_TOOLS_LIST));
    Some(match control.filter(|c| ok(c) && messages(c).iter().any(|m| m.get("result").is_some())) {
        Some(c) => Half::Broken(format!(
            "a 2026-07-28 tools/list with {id} got {} without a result, while the same request without it (`{}`) got one",
            answer(e),
            c.label
        )),
        None => Half::Untested(format!(
            "Last-Event-ID not judged: tools/list got no result with or without it ({})",
            answer(e)
        )),
    })
}
