//! Streamable HTTP as far as auth testing touches it (MCP `basic/transports`, `basic/lifecycle`):
//! H-02, H-04, H-05, H-06, H-07, H-09, H-16, H-17, and RS-20 (informational).

use harness_transcript::{Exchange, ExchangeKind, Phase};
use serde_json::{Value, json};

use super::common::{View, answer, client_error, join, ok, result, rpc_error, seqs, summary};
use crate::model::{Finding, Status};
use crate::probe_record::{INVALID_PROTOCOL_VERSION, UNKNOWN_PROTOCOL_VERSION, labels};

/// H-02: a foreign `Origin` is refused, with 403 under 2025-11-25 (T1125 L78-80; T0618 L76).
pub(super) fn h_02(v: &View<'_>) -> Option<Finding> {
    let e = v.probe(labels::BAD_ORIGIN)?;
    let ex = vec![e.seq];
    let details = json!({"answer": summary(e)});
    let had_token = e.request_header("authorization").is_some();
    // The same request without Origin: a refusal it gets too is not about Origin.
    if let Some(c) = v.probe(labels::BAD_ORIGIN_CONTROL)
        && c.status.is_some()
        && c.status == e.status
        && !ok(e)
    {
        return Some(v.skipped(
            "H-02",
            format!(
                "Not tested: the request from Origin https://evil.example got {}, and so did the same request without Origin, so the refusal says nothing about Origin; testable once the request without Origin is served (a valid token: --token or --trusted-idp).",
                answer(e)
            ),
            vec![c.seq, e.seq],
            json!({"control": summary(c), "answer": summary(e)}),
        ));
    }
    Some(match e.status {
        Some(403) => v.pass("H-02", "A request from Origin https://evil.example gets 403.", ex, details),
        Some(s) if (200..300).contains(&s) => v.violated(
            "H-02",
            format!("Expected a request from Origin https://evil.example to be refused with 403; it was served (HTTP {s}), so Origin is not validated (DNS rebinding)."),
            ex,
            details,
        ),
        Some(401) if !had_token => v.info("H-02", "Not judged: without a token the request was refused with 401 before Origin could matter.", ex, details),
        Some(s) if s < 500 && v.spec() == mcp_wire::SpecVersion::V2025_06_18 => {
            v.pass("H-02", format!("A foreign Origin is refused (HTTP {s}; 2025-06-18 names no status)."), ex, details)
        }
        Some(s) if s < 500 => v.finding(
            "H-02",
            Status::Warning,
            format!("A foreign Origin is refused, but with HTTP {s}; 2025-11-25 says 403 Forbidden."),
            ex,
            details,
        ),
        _ => v.violated("H-02", format!("Expected 403 for a foreign Origin; got {}.", answer(e)), ex, details),
    })
}

/// H-04: a JSON array body is refused (T1125 L88-94). The MUST binds clients, hence WARNING.
pub(super) fn h_04(v: &View<'_>) -> Option<Finding> {
    let e = v.probe(labels::JSON_ARRAY_BODY)?;
    let ex = vec![e.seq];
    let details = json!({"answer": summary(e)});
    let had_token = e.request_header("authorization").is_some();
    Some(match e.status {
        Some(401) if !had_token => v.info("H-04", "Not judged: without a token the batch was refused with 401 before being read.", ex, details),
        Some(s) if (400..500).contains(&s) => v.pass("H-04", format!("A JSON array (batch) body is refused (HTTP {s})."), ex, details),
        Some(s) if (200..300).contains(&s) => v.violated(
            "H-04",
            format!("Expected a JSON array body to be refused (batching was removed in 2025-06-18); it was processed (HTTP {s})."),
            ex,
            details,
        ),
        _ => v.violated("H-04", format!("Expected a 4xx for a JSON array body; got {}.", answer(e)), ex, details),
    })
}

/// H-05: clients list both types (T1125 L92-93), so a server may require both: a 406 (or another
/// 4xx) for a one-type `Accept` is correct, and seed 003 recommends exactly that. What is wrong is
/// an answer in a type the request did not accept (the client cannot read it) or a server error.
pub(super) fn h_05(v: &View<'_>) -> Option<Finding> {
    let variants: Vec<(&Exchange, &str)> =
        [(labels::ACCEPT_SSE_ONLY, "text/event-stream"), (labels::ACCEPT_JSON_ONLY, "application/json")]
            .iter()
            .filter_map(|(l, media)| v.probe(l).map(|e| (e, *media)))
            .collect();
    if variants.is_empty() {
        return None;
    }
    let rows: Vec<Value> = variants
        .iter()
        .map(|(e, _)| json!({"accept": e.request_header("accept"), "status": e.status, "content_type": e.response_header("content-type")}))
        .collect();
    let details = json!({"variants": rows});
    let ex = seqs(variants.iter().map(|(e, _)| *e));
    if variants.iter().any(|(e, _)| e.status.is_none()) {
        return Some(v.untestable(
            "H-05",
            "Not tested: a one-type Accept request got no HTTP answer; testable once the server answers both.",
            ex,
            details,
        ));
    }
    let content_type = |e: &Exchange| e.response_header("content-type").unwrap_or("").trim().to_ascii_lowercase();
    let mut problems = Vec::new();
    for (e, media) in &variants {
        match e.status {
            Some(s) if s >= 500 => problems.push(format!("`Accept: {media}` got {}", answer(e))),
            Some(s)
                if (200..300).contains(&s) && !content_type(e).is_empty() && !content_type(e).starts_with(media) =>
            {
                problems.push(format!(
                    "`Accept: {media}` was answered in `{}`, a type the request did not accept",
                    content_type(e)
                ))
            }
            _ => {}
        }
    }
    if !problems.is_empty() {
        return Some(v.violated(
            "H-05",
            format!(
                "Expected a one-type Accept to be served in that type or refused (406 is right: clients must list both types); {}",
                join(&problems)
            ),
            ex,
            details,
        ));
    }
    let what: Vec<String> = variants
        .iter()
        .map(|(e, media)| match e.status {
            Some(s) if (200..300).contains(&s) => format!("`Accept: {media}` → {} {}", answer(e), content_type(e)),
            _ => format!("`Accept: {media}` → {} (the server requires both types, as clients must send)", answer(e)),
        })
        .collect();
    Some(v.pass("H-05", format!("One-type Accept headers are handled correctly: {}", join(&what)), ex, details))
}

/// H-06: an accepted notification gets 202 with no body (T1125 L95-100).
pub(super) fn h_06(v: &View<'_>) -> Option<Finding> {
    let notes: Vec<&Exchange> = v
        .exchanges()
        .iter()
        .filter(|e| {
            (e.phase == Phase::Probe
                && [labels::NOTIFICATION, labels::SCOPE_INITIALIZED].map(ExchangeKind::probe).contains(&e.kind))
                || (e.phase == Phase::Mcp && e.kind.is_mcp("notifications/initialized"))
        })
        .filter(|e| e.status.is_some())
        .collect();
    if notes.is_empty() {
        let setup = v.probe(labels::NOTIFICATION_SETUP)?;
        return (!ok(setup)).then(|| {
            v.untestable(
                "H-06",
                format!("Not tested: the probe needs a session, and initialize with a valid token got {}; testable once initialize with a token succeeds.", answer(setup)),
                vec![setup.seq],
                Value::Null,
            )
        });
    }
    let ex = seqs(notes.iter().copied());
    let body = |e: &Exchange| e.response_body.as_deref().unwrap_or("").trim().to_owned();
    if let Some(e) = notes.iter().find(|e| ok(e) && (e.status != Some(202) || !body(e).is_empty())) {
        let got = if body(e).is_empty() { answer(e) } else { format!("{} with a body", answer(e)) };
        return Some(v.violated(
            "H-06",
            format!("Expected 202 Accepted with no body for notifications/initialized; got {got}."),
            ex,
            json!({"answer": summary(e), "body": body(e).chars().take(200).collect::<String>()}),
        ));
    }
    if let Some(e) = notes.iter().find(|e| !ok(e)) {
        return Some(v.finding(
            "H-06",
            Status::Warning,
            format!(
                "notifications/initialized was refused with {} (allowed, but the client cannot finish initialization).",
                answer(e)
            ),
            ex,
            json!({"answer": summary(e)}),
        ));
    }
    Some(v.pass("H-06", "Notifications get 202 Accepted with no body.", ex, Value::Null))
}

/// Whether the request body is one JSON-RPC request (has `id` and `method`).
fn is_request(e: &Exchange) -> bool {
    e.request_body
        .as_deref()
        .and_then(|b| serde_json::from_str::<Value>(b).ok())
        .is_some_and(|m| m.get("id").is_some() && m.get("method").is_some())
}

/// H-07: a request is answered with `application/json` or `text/event-stream` (T1125 L101-104).
pub(super) fn h_07(v: &View<'_>) -> Option<Finding> {
    let answered: Vec<&Exchange> =
        v.exchanges().iter().filter(|e| e.method == "POST" && ok(e) && v.is_mcp(e) && is_request(e)).collect();
    if answered.is_empty() {
        return None;
    }
    let bad: Vec<&Exchange> = answered
        .iter()
        .copied()
        .filter(|e| {
            let ct = e.response_header("content-type").unwrap_or("").trim().to_ascii_lowercase();
            !(ct.starts_with("application/json") || ct.starts_with("text/event-stream"))
        })
        .collect();
    let ex = seqs(answered.iter().copied());
    Some(match bad.first() {
        Some(e) => v.violated(
            "H-07",
            format!(
                "Expected JSON-RPC requests to be answered as application/json or text/event-stream; `{}` got {} with Content-Type `{}`.",
                e.label,
                answer(e),
                e.response_header("content-type").unwrap_or("(none)")
            ),
            ex,
            json!({"answer": summary(e)}),
        ),
        None => v.pass("H-07", format!("All {} answered requests are JSON or SSE.", answered.len()), ex, Value::Null),
    })
}

/// H-09: GET with `Accept: text/event-stream` opens a stream or answers 405 (T1125 L135-153).
pub(super) fn h_09(v: &View<'_>) -> Option<Finding> {
    let Some(e) = v.probe(labels::GET_STREAM) else {
        if let Some(head) = v.probe(labels::GET_STREAM_HEAD) {
            let sse = head.response_header("content-type").is_some_and(|c| c.starts_with("text/event-stream"));
            let desc = format!(
                "The GET stayed open for {} s (a server-initiated stream, which H-09 allows); a HEAD got {}{}.",
                crate::probe_record::GET_STREAM_WAIT.as_secs(),
                answer(head),
                if sse { " with text/event-stream" } else { "" }
            );
            return Some(if sse {
                v.pass("H-09", desc, vec![head.seq], Value::Null)
            } else {
                v.info("H-09", desc, vec![head.seq], Value::Null)
            });
        }
        let setup = v.probe(labels::GET_STREAM_SETUP)?;
        return (!ok(setup)).then(|| {
            v.untestable(
                "H-09",
                format!("Not tested: the probe needs a session, and initialize with a valid token got {}; testable once initialize with a token succeeds.", answer(setup)),
                vec![setup.seq],
                Value::Null,
            )
        });
    };
    let ex = vec![e.seq];
    let details = json!({"answer": summary(e)});
    let sse = e
        .response_header("content-type")
        .is_some_and(|c| c.trim().to_ascii_lowercase().starts_with("text/event-stream"));
    Some(match e.status {
        Some(405) => v.pass("H-09", "GET answers 405: the server offers no server-initiated stream.", ex, details),
        Some(200) if sse => v.pass("H-09", "GET opens a text/event-stream.", ex, details),
        Some(s) if client_error(e) => v.finding(
            "H-09",
            Status::Warning,
            format!("Expected text/event-stream or 405 Method Not Allowed for GET; got HTTP {s} (clients tolerate it, but the spec names 405)."),
            ex,
            details,
        ),
        None => v.info("H-09", format!("Not judged: the GET got {}.", answer(e)), ex, details),
        Some(_) => v.violated(
            "H-09",
            format!(
                "Expected text/event-stream or 405 for GET; got {} with Content-Type `{}`.",
                answer(e),
                e.response_header("content-type").unwrap_or("(none)")
            ),
            ex,
            details,
        ),
    })
}

/// H-16: an unsupported `MCP-Protocol-Version` gets 400 (T1125 L263-280; lifecycle L165-180).
pub(super) fn h_16(v: &View<'_>) -> Option<Finding> {
    let Some(e) = v.probe(labels::INVALID_PROTOCOL_VERSION) else {
        let setup = v.probe(labels::INVALID_VERSION_SETUP)?;
        return (!ok(setup)).then(|| {
            v.untestable(
                "H-16",
                format!("Not tested: the probe needs a session, and initialize with a valid token got {}; testable once initialize with a token succeeds.", answer(setup)),
                vec![setup.seq],
                Value::Null,
            )
        });
    };
    let ex = vec![e.seq];
    let details = json!({"answer": summary(e)});
    Some(match e.status {
        Some(400) => v.pass("H-16", format!("MCP-Protocol-Version: {INVALID_PROTOCOL_VERSION} gets 400."), ex, details),
        None => v.untestable(
            "H-16",
            format!(
                "Not tested: the request got {} instead of an HTTP answer; testable once the server answers it.",
                answer(e)
            ),
            ex,
            details,
        ),
        Some(s) => v.violated(
            "H-16",
            format!(
                "Expected 400 Bad Request for `MCP-Protocol-Version: {INVALID_PROTOCOL_VERSION}`; got HTTP {s}{}.",
                if (200..300).contains(&s) { " (the request was served)" } else { "" }
            ),
            ex,
            details,
        ),
    })
}

/// H-17: initialize asking for an unknown version is answered with one the server supports
/// (lifecycle L167-172). An error answer is recorded: the lifecycle shows one as an example.
pub(super) fn h_17(v: &View<'_>) -> Option<Finding> {
    let e = v.probe(labels::UNKNOWN_PROTOCOL_VERSION)?;
    let ex = vec![e.seq];
    let details = json!({"answer": summary(e)});
    let answered = result(e).and_then(|r| r.get("protocolVersion").and_then(Value::as_str).map(str::to_owned));
    Some(match (e.status, answered) {
        (_, Some(p)) if p == UNKNOWN_PROTOCOL_VERSION => v.violated(
            "H-17",
            format!("Expected initialize asking for {UNKNOWN_PROTOCOL_VERSION} to be answered with a version the server supports; it echoed {p}."),
            ex,
            details,
        ),
        (_, Some(p)) => v.pass("H-17", format!("initialize asking for {UNKNOWN_PROTOCOL_VERSION} is answered with {p}."), ex, details),
        (Some(401) | None, None) => v.untestable(
            "H-17",
            format!("Not tested: initialize with a valid token got {}; testable once initialize with a token succeeds.", answer(e)),
            ex,
            details,
        ),
        (Some(s), None) if ((200..300).contains(&s) && rpc_error(e).is_some()) || (400..500).contains(&s) => v.info(
            "H-17",
            format!(
                "initialize asking for {UNKNOWN_PROTOCOL_VERSION} got an error ({}) instead of a supported version; the lifecycle's error example allows it, but clients then cannot fall back.",
                rpc_error(e).map(|x| x.to_string()).unwrap_or_else(|| answer(e))
            ),
            ex,
            details,
        ),
        _ => v.violated(
            "H-17",
            format!("Expected initialize asking for {UNKNOWN_PROTOCOL_VERSION} to be answered with a supported protocolVersion; got {}.", answer(e)),
            ex,
            details,
        ),
    })
}

/// RS-20 (informational): local servers should bind to localhost (T1125 L81-82). Only the target's
/// host is visible from here.
pub(super) fn rs_20(v: &View<'_>) -> Option<Finding> {
    let u = v.target_url()?;
    let loopback = net_policy::host_is_loopback(u);
    let desc = if loopback {
        format!(
            "The target {} is on loopback; a local server should listen only there (not checkable from a client).",
            v.target()
        )
    } else {
        format!("The target {} is remote; binding to localhost applies to local servers only.", v.target())
    };
    Some(v.info("RS-20", desc, Vec::new(), json!({"loopback": loopback})))
}
