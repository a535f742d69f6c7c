//! What a 2026-07-28 server does beyond routing: no requests of its own on a response stream
//! (H-29), a missing client capability refused with -32021 (H-34), only defined error codes
//! (H-39), no reliance on earlier requests (H-40), `initialize` on a modern-only server (H-41),
//! both eras on one endpoint (H-42), a stable `tools/list` order and no unrequested log
//! notifications (H-44).
//!
//! Judged over the `modern` probe's answers to 2026-07-28 requests (its 2025 `initialize`
//! excluded: the 2025 era allows what these forbid).

use harness_transcript::Exchange;
use mcp_wire::{SpecVersion, errors};
use serde_json::{Value, json};

use super::super::common::{View, answer, messages, ok, result, rpc_error, seqs, summary};
use super::routing::{got, sent_param};
use super::{Eras, Seen, code};
use crate::model::{Finding, Status};
use crate::probe_record::{UNKNOWN_RESOURCE_URI, labels};

/// The codes 2026-07-28 defines in its reserved range -32020..-32099 (basic L117-144).
const DEFINED: [i64; 3] =
    [errors::HEADER_MISMATCH, errors::MISSING_REQUIRED_CLIENT_CAPABILITY, errors::UNSUPPORTED_PROTOCOL_VERSION];

/// The probe's answers to 2026-07-28 requests (not its `initialize` nor its 2025-era traffic,
/// which H-32 judges).
fn modern_answers<'a>(v: &View<'a>) -> Vec<&'a Exchange> {
    v.probes_prefixed("probe:modern")
        .into_iter()
        .filter(|e| {
            e.label != labels::MODERN_INITIALIZE && e.status.is_some() && !super::legacy_traffic::is_legacy_traffic(e)
        })
        .collect()
}

fn is_stream(e: &Exchange) -> bool {
    e.response_header("content-type")
        .is_some_and(|c| c.trim_start().to_ascii_lowercase().starts_with("text/event-stream"))
}

/// H-29: no answer stream carries a JSON-RPC request (a message with `method` and `id`). Judged
/// when a stream was seen or a tool was called with the client capabilities declared (where a
/// server would ask the client something); otherwise nothing was observed that could break it.
pub(super) fn h_29(v: &View<'_>) -> Option<Finding> {
    let answers = modern_answers(v);
    let streams: Vec<&Exchange> = answers.iter().copied().filter(|e| is_stream(e)).collect();
    let asked = v.probe(labels::MODERN_CAPABILITY_DECLARED).filter(|e| e.status.is_some());
    if streams.is_empty() && asked.is_none() {
        return Some(v.untestable(
            "H-29",
            format!(
                "Not tested: none of {} answers to 2026-07-28 requests was an SSE stream and no listed tool names a client capability (so none was called with elicitation declared); testable on a server that streams an answer.",
                answers.len()
            ),
            seqs(answers.iter().copied()),
            Value::Null,
        ));
    }
    let mut problems = Vec::new();
    let mut ex = Vec::new();
    for e in &streams {
        for m in messages(e).iter().take(100) {
            if m.get("id").is_some() && m.get("method").is_some() {
                let method: String = m.get("method").and_then(Value::as_str).unwrap_or("?").chars().take(80).collect();
                problems.push(format!(
                    "Expected no JSON-RPC request on a response stream (server-to-client interaction is an input_required result); the answer to `{}` carries a `{method}` request",
                    e.label
                ));
                ex.push(e.seq);
            }
        }
    }
    let all = seqs(streams.iter().copied().chain(asked));
    let ok_text = format!(
        "No JSON-RPC request on any response stream: {} of {} answers were SSE streams{}.",
        streams.len(),
        answers.len(),
        asked
            .map(|e| format!("; the call with elicitation, sampling and roots declared got {}", got(e)))
            .unwrap_or_default()
    );
    Some(v.verdict("H-29", problems, ok_text, if ex.is_empty() { all } else { ex }, json!({"streams": streams.len()})))
}

/// Whether an error is -32021 at HTTP 400 with `data.requiredCapabilities` (an object).
fn capability_refusal(e: &Exchange) -> Result<(), String> {
    let listed = rpc_error(e).and_then(|x| x.pointer("/data/requiredCapabilities").cloned());
    match (e.status, listed) {
        (Some(400), Some(Value::Object(_))) => Ok(()),
        (Some(400), other) => Err(format!(
            "its -32021 error has data.requiredCapabilities {}, not an object naming the capabilities",
            other.map_or_else(|| "(absent)".to_owned(), |x| x.to_string().chars().take(80).collect())
        )),
        (s, _) => Err(format!(
            "its -32021 error came with {}, not HTTP 400",
            s.map_or_else(|| answer(e), |s| format!("HTTP {s}"))
        )),
    }
}

/// H-34: the listed tool whose description names a client capability, called declaring none, is
/// refused with 400 -32021 and `data.requiredCapabilities`; and every -32021 seen has that form.
pub(super) fn h_34(v: &View<'_>) -> Option<Finding> {
    let answers = modern_answers(v);
    let mut problems = Vec::new();
    let mut seen = Vec::new();
    for e in answers.iter().filter(|e| code(e) == Some(errors::MISSING_REQUIRED_CLIENT_CAPABILITY)) {
        seen.push(e.seq);
        if let Err(why) = capability_refusal(e) {
            problems.push(format!("Expected a missing-capability refusal to be HTTP 400 with data.requiredCapabilities; the answer to `{}`: {why}", e.label));
        }
    }
    let probe = v.probe(labels::MODERN_CAPABILITY_MISSING);
    let mut ex = seen.clone();
    let mut observed = None;
    if let Some(e) = probe {
        ex.push(e.seq);
        let tool = sent_param(e, "name");
        match (e.status, code(e)) {
            (None, _) => observed = Some(format!("the call of `{tool}` declaring no client capability got {}", answer(e))),
            (Some(_), Some(c)) if c == errors::MISSING_REQUIRED_CLIENT_CAPABILITY => {
                observed = Some(format!("`{tool}` (its description names a client capability), called declaring none, was refused with {}", got(e)))
            }
            (Some(_), Some(c)) => {
                observed = Some(format!(
                    "`{tool}` (its description names a client capability), called declaring none, was refused with JSON-RPC {c} — for another reason, so whether it needs the capability is not told"
                ))
            }
            (Some(_), None) if result(e).is_some() => problems.push(format!(
                "Expected `{tool}`, whose description says it needs a client capability, to be refused with HTTP 400 and JSON-RPC -32021 when called declaring none; it got {}",
                got(e)
            )),
            (Some(_), None) => observed = Some(format!("the call of `{tool}` declaring no client capability got {}", got(e))),
        }
    }
    ex.sort_unstable();
    ex.dedup();
    let details = json!({"answer": probe.map(summary), "refusals_seen": seen.len()});
    if !problems.is_empty() {
        return Some(v.violated("H-34", super::super::common::join(&problems), ex, details));
    }
    if seen.is_empty() {
        let why = observed.unwrap_or_else(|| {
            "no listed tool's description names a client capability (elicitation, sampling, roots)".to_owned()
        });
        return Some(v.untestable(
            "H-34",
            format!("Not tested: {why}, and no answer was -32021; testable on a server with a tool that needs a client capability."),
            ex,
            details,
        ));
    }
    Some(v.pass(
        "H-34",
        format!(
            "{} -32021 refusals seen, each HTTP 400 with data.requiredCapabilities{}.",
            seen.len(),
            observed.map(|o| format!(" ({o})")).unwrap_or_default()
        ),
        ex,
        details,
    ))
}

/// H-39: no answer carries an error code in -32020..-32099 that 2026-07-28 does not define, nor
/// the 2025 resource-not-found -32002; how the unknown resource was answered is stated.
pub(super) fn h_39(v: &View<'_>) -> Option<Finding> {
    let answers = modern_answers(v);
    if answers.is_empty() {
        return None;
    }
    let mut problems = Vec::new();
    let mut bad = Vec::new();
    let mut codes: Vec<i64> = Vec::new();
    for e in &answers {
        let Some(c) = code(e) else { continue };
        codes.push(c);
        if c == errors::RESOURCE_NOT_FOUND_2025 {
            problems.push(format!(
                "Expected no -32002 (a missing resource is -32602 in 2026-07-28); the answer to `{}` has it",
                e.label
            ));
            bad.push(e.seq);
        } else if (-32099..=-32020).contains(&c) && !DEFINED.contains(&c) {
            problems.push(format!(
                "Expected no undefined error code in -32020..-32099; the answer to `{}` has {c}",
                e.label
            ));
            bad.push(e.seq);
        }
    }
    codes.sort_unstable();
    codes.dedup();
    let unknown = v.probe(labels::MODERN_READ_UNKNOWN).filter(|e| e.status.is_some());
    let read =
        unknown.map(|e| format!(" resources/read of {UNKNOWN_RESOURCE_URI} got {}.", got(e))).unwrap_or_default();
    let details = json!({"codes": codes, "unknown_resource": unknown.map(summary)});
    Some(v.verdict(
        "H-39",
        problems,
        format!("{} answers, error codes seen {codes:?}, all defined.{read}", answers.len()),
        if bad.is_empty() { seqs(answers.iter().copied()) } else { bad },
        details,
    ))
}

/// H-40: the `tools/list` sent first (its own connection, before any `server/discover` with the
/// token) is served like the one sent after `server/discover`.
pub(super) fn h_40(v: &View<'_>) -> Option<Finding> {
    let first = v.probe(labels::MODERN_TOOLS_LIST)?;
    let later = v.probe(labels::MODERN_TOOLS_LIST_AGAIN)?;
    let details = json!({"first": summary(first), "after_discover": summary(later)});
    let served = |e: &Exchange| ok(e) && result(e).is_some();
    let ex = vec![first.seq, later.seq];
    Some(match (served(first), served(later)) {
        (true, _) => v.pass(
            "H-40",
            "A tools/list sent on a fresh connection before any server/discover was served: no earlier request was needed.",
            ex,
            details,
        ),
        (false, true) => v.violated(
            "H-40",
            format!(
                "Expected a 2026-07-28 request not to depend on earlier ones; a tools/list on a fresh connection before any server/discover got {}, the same tools/list after server/discover was served.",
                got(first)
            ),
            ex,
            details,
        ),
        (false, false) => v.untestable(
            "H-40",
            format!(
                "Not tested: tools/list got {} before server/discover and {} after it; testable once one is served.",
                got(first),
                got(later)
            ),
            ex,
            details,
        ),
    })
}

/// H-41 (SHOULD): a server that speaks 2026-07-28 only refuses `initialize` with an error naming
/// its supported versions (`data.supported`, or the versions in the message).
pub(super) fn h_41(v: &View<'_>, eras: &Eras) -> Option<Finding> {
    let e = v.probe(labels::MODERN_INITIALIZE)?;
    let details = json!({"answer": summary(e)});
    if !eras.modern_only() {
        return Some(v.skipped(
            "H-41",
            format!(
                "Not judged: the requirement is for servers that speak 2026-07-28 only; this one {}.",
                match eras.legacy {
                    Seen::Yes => "serves initialize (2025 era)",
                    _ => "was not seen refusing initialize",
                }
            ),
            vec![e.seq],
            details,
        ));
    }
    let err = rpc_error(e);
    let supported = err
        .as_ref()
        .and_then(|x| x.pointer("/data/supported"))
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty() && a.iter().all(Value::is_string))
        .cloned();
    let message = err.as_ref().and_then(|x| x.get("message")).and_then(Value::as_str).unwrap_or_default();
    let named = supported.is_some() || message.contains(SpecVersion::V2026_07_28.as_str());
    Some(if named {
        v.pass(
            "H-41",
            format!(
                "initialize (2025-11-25) was refused with {} naming the supported versions ({}).",
                got(e),
                supported
                    .map_or_else(|| "in its message".to_owned(), |s| format!("data.supported {}", Value::Array(s)))
            ),
            vec![e.seq],
            details,
        )
    } else {
        v.violated(
            "H-41",
            format!(
                "Expected a 2026-07-28-only server to refuse initialize with an error naming its supported versions; it got {} without data.supported or a version in the message.",
                got(e)
            ),
            vec![e.seq],
            details,
        )
    })
}

/// H-42: which eras the server serves (INFO); on a dual-era server, a 2026-07-28 answer carrying
/// `Mcp-Session-Id` contradicts stateless serving (WARNING).
pub(super) fn h_42(v: &View<'_>, eras: &Eras) -> Option<Finding> {
    let init = v.probe(labels::MODERN_INITIALIZE)?;
    let answers = modern_answers(v);
    let mut ex = seqs(answers.iter().copied());
    ex.push(init.seq);
    ex.sort_unstable();
    if eras.legacy != Seen::Yes {
        return Some(v.info(
            "H-42",
            format!("The server serves 2026-07-28 only on this endpoint (initialize got {}).", got(init)),
            vec![init.seq],
            json!({"eras": eras.name()}),
        ));
    }
    let version = result(init)
        .and_then(|r| r.get("protocolVersion").and_then(Value::as_str).map(|s| s.chars().take(40).collect::<String>()));
    // Only requests whose header names 2026-07-28: one without the header, or naming a 2025
    // revision, a dual-era server may route to its 2025 side, where sessions are the rule (H-24).
    let modern = mcp_wire::SpecVersion::V2026_07_28.as_str();
    let answers: Vec<&Exchange> = answers
        .into_iter()
        .filter(|e| e.request_header(mcp_wire::headers::MCP_PROTOCOL_VERSION) == Some(modern))
        .collect();
    let minted: Vec<&Exchange> =
        answers.iter().copied().filter(|e| e.response_header("mcp-session-id").is_some()).collect();
    if !minted.is_empty() {
        return Some(v.finding(
            "H-42",
            Status::Warning,
            format!(
                "Expected a dual-era server to serve 2026-07-28 requests statelessly; {} of {} answers to them carry Mcp-Session-Id (first: `{}`).",
                minted.len(),
                answers.len(),
                minted[0].label
            ),
            seqs(minted),
            json!({"eras": eras.name()}),
        ));
    }
    Some(v.info(
        "H-42",
        format!(
            "The server serves both eras on one endpoint: initialize (2025-11-25) got protocolVersion {}, and none of {} answers to 2026-07-28 requests carries a session id.",
            version.unwrap_or_default(),
            answers.len()
        ),
        ex,
        json!({"eras": eras.name()}),
    ))
}

fn tool_names(e: &Exchange) -> Option<Vec<String>> {
    let r = result(e)?;
    let tools = r.get("tools")?.as_array()?;
    Some(
        tools
            .iter()
            .take(1000)
            .map(|t| t.get("name").and_then(Value::as_str).unwrap_or("").chars().take(80).collect())
            .collect(),
    )
}

/// H-44: `tools/list` twice in the same order (SHOULD: WARNING); no `notifications/message` on
/// any answer, since no probe request asks for logs (MUST NOT: FAILURE).
pub(super) fn h_44(v: &View<'_>) -> Option<Finding> {
    let answers = modern_answers(v);
    let (a, b) = (v.probe(labels::MODERN_TOOLS_LIST), v.probe(labels::MODERN_TOOLS_LIST_AGAIN));
    let lists = a.zip(b).and_then(|(a, b)| tool_names(a).zip(tool_names(b)).map(|(x, y)| (a, b, x, y)));
    let logs: Vec<&Exchange> = answers
        .iter()
        .copied()
        .filter(|e| {
            messages(e)
                .iter()
                .take(100)
                .any(|m| m.get("method").and_then(Value::as_str) == Some("notifications/message"))
        })
        .collect();
    let mut problems = Vec::new();
    let mut status = Status::Success;
    if !logs.is_empty() {
        status = Status::Failure;
        problems.push(format!(
            "Expected no notifications/message unless the request's _meta has logLevel (no probe request sets it); {} answers carry one (first: `{}`)",
            logs.len(),
            logs[0].label
        ));
    }
    let mut order = None;
    if let Some((_, _, x, y)) = &lists {
        if x != y {
            if status == Status::Success {
                status = Status::Warning;
            }
            problems.push(format!(
                "Expected tools/list in a deterministic order; two calls listed [{}] and [{}]",
                x.join(", "),
                y.join(", ")
            ));
        } else {
            order = Some(format!("two tools/list calls listed the same {} tools in the same order", x.len()));
        }
    }
    let mut ex = seqs(logs.iter().copied());
    if let Some((a, b, _, _)) = &lists {
        ex.extend([a.seq, b.seq]);
    }
    ex.sort_unstable();
    ex.dedup();
    let details = json!({"log_notifications": logs.len(), "answers": answers.len()});
    if !problems.is_empty() {
        return Some(v.finding("H-44", status, super::super::common::join(&problems), ex, details));
    }
    if answers.is_empty() {
        return None;
    }
    let order = order.unwrap_or_else(|| "the tools/list order was not compared (fewer than two results)".to_owned());
    Some(v.pass(
        "H-44",
        format!("{order}; none of {} answers carries notifications/message.", answers.len()),
        ex,
        details,
    ))
}
