//! The routing headers of MCP 2026-07-28 (streamable HTTP §Request Metadata, §Server
//! Validation): `Mcp-Method` and `Mcp-Name` validated (H-25), `=?base64?…?=` values decoded before
//! the comparison (H-26), `x-mcp-header` parameters mirrored in `Mcp-Param-*` and compared (H-27),
//! header values compared case-sensitively (H-28).
//!
//! Each judges the `modern` probe's requests that vary one header of an otherwise correct
//! request; what the server did not list (no tool, resource, prompt, no `x-mcp-header`
//! parameter) was not probed, and the finding says so.

use harness_transcript::Exchange;
use mcp_wire::{errors, headers};
use serde_json::{Value, json};

use super::super::common::{View, answer, result, summary};
use super::code;
use crate::model::Finding;
use crate::probe_record::{WRONG_NAME, labels};

/// What an answer was, for descriptions: "HTTP 400 with JSON-RPC -32020", "HTTP 200 with a
/// result".
pub(super) fn got(e: &Exchange) -> String {
    let Some(s) = e.status else { return answer(e) };
    match (code(e), result(e)) {
        (Some(c), _) => format!("HTTP {s} with JSON-RPC {c}"),
        (None, Some(_)) => format!("HTTP {s} with a result"),
        (None, None) => format!("HTTP {s}"),
    }
}

/// Refused as a header mismatch: HTTP 400 with -32020.
pub(super) fn mismatch_refused(e: &Exchange) -> bool {
    e.status == Some(400) && code(e) == Some(errors::HEADER_MISMATCH)
}

/// A string field of the request's `params` (the tool name, the resource URI).
pub(super) fn sent_param(e: &Exchange, field: &str) -> String {
    e.request_body
        .as_deref()
        .and_then(|b| serde_json::from_str::<Value>(b).ok())
        .and_then(|b| b.pointer(&format!("/params/{field}")).and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_default()
        .chars()
        .take(80)
        .collect()
}

/// The outcome of requests that must each be refused with 400 and -32020.
struct Refusals {
    refused: Vec<String>,
    problems: Vec<String>,
    unanswered: Vec<String>,
    seqs: Vec<u32>,
    answers: Vec<Value>,
}

impl Refusals {
    fn new() -> Self {
        Refusals {
            refused: Vec::new(),
            problems: Vec::new(),
            unanswered: Vec::new(),
            seqs: Vec::new(),
            answers: Vec::new(),
        }
    }

    /// Judges the probe `label` (when sent), described as `sent`.
    fn expect(&mut self, v: &View<'_>, label: &str, sent: impl FnOnce(&Exchange) -> String) {
        let Some(e) = v.probe(label) else { return };
        let sent = sent(e);
        self.seqs.push(e.seq);
        self.answers.push(summary(e));
        if e.status.is_none() {
            self.unanswered.push(format!("{sent} got {}", answer(e)));
        } else if mismatch_refused(e) {
            self.refused.push(sent);
        } else {
            self.problems
                .push(format!("Expected {sent} to be refused with HTTP 400 and JSON-RPC -32020; it got {}", got(e)));
        }
    }
}

/// H-25: `Mcp-Method` mismatched, and `Mcp-Name` missing or mismatched on `tools/call`,
/// `resources/read`, `prompts/get` (for what the server lists), each refused with 400 -32020.
pub(super) fn h_25(v: &View<'_>) -> Option<Finding> {
    v.probe(labels::MODERN_METHOD_MISMATCH)?;
    let mut r = Refusals::new();
    r.expect(v, labels::MODERN_METHOD_MISMATCH, |_| "a tools/list sent with Mcp-Method: prompts/list".to_owned());
    let named = [
        (labels::MODERN_CALL_NAME_MISSING, "tools/call", "name", false),
        (labels::MODERN_CALL_NAME_MISMATCH, "tools/call", "name", true),
        (labels::MODERN_READ_NAME_MISSING, "resources/read", "uri", false),
        (labels::MODERN_READ_NAME_MISMATCH, "resources/read", "uri", true),
        (labels::MODERN_PROMPT_NAME_MISSING, "prompts/get", "name", false),
        (labels::MODERN_PROMPT_NAME_MISMATCH, "prompts/get", "name", true),
    ];
    for (label, method, field, wrong) in named {
        r.expect(v, label, |e| {
            let what = sent_param(e, field);
            let sent = e.request_header(headers::MCP_NAME).unwrap_or_default();
            if wrong {
                format!("a {method} of `{what}` with Mcp-Name: {sent}")
            } else {
                format!("a {method} of `{what}` without Mcp-Name")
            }
        });
    }
    let not_probed: Vec<&str> = [
        (labels::MODERN_CALL_NAME_MISSING, "tools/call (no tool listed)"),
        (labels::MODERN_READ_NAME_MISSING, "resources/read (no resource listed)"),
        (labels::MODERN_PROMPT_NAME_MISSING, "prompts/get (no prompt listed)"),
    ]
    .into_iter()
    .filter(|(l, _)| v.probe(l).is_none())
    .map(|(_, w)| w)
    .collect();
    let details = json!({"answers": r.answers, "mcp_name_not_probed_on": not_probed});
    if !r.problems.is_empty() {
        return Some(v.violated("H-25", super::super::common::join(&r.problems), r.seqs, details));
    }
    if r.refused.is_empty() {
        return Some(v.untestable(
            "H-25",
            format!("Not tested: {}; testable once the server answers.", r.unanswered.join("; ")),
            r.seqs,
            details,
        ));
    }
    let mut d = format!("Refused with 400 and -32020: {}.", r.refused.join("; "));
    if !not_probed.is_empty() {
        d.push_str(&format!(" Mcp-Name not probed on {}.", not_probed.join(", ")));
    }
    if !r.unanswered.is_empty() {
        d.push_str(&format!(" Unanswered: {}.", r.unanswered.join("; ")));
    }
    Some(v.pass("H-25", d, r.seqs, details))
}

/// H-26: a correct `Mcp-Name` sent as `=?base64?…?=` is served like the plain-name control call;
/// a wrong one so encoded is refused with 400 -32020. Not judged when the server does not compare
/// `Mcp-Name` at all (the plain mismatch was served: H-25 reports that).
pub(super) fn h_26(v: &View<'_>) -> Option<Finding> {
    v.probe(labels::MODERN_METHOD_MISMATCH)?;
    let (Some(control), Some(good), Some(bad)) = (
        v.probe(labels::MODERN_CALL),
        v.probe(labels::MODERN_CALL_NAME_BASE64),
        v.probe(labels::MODERN_CALL_NAME_BASE64_WRONG),
    ) else {
        return Some(v.untestable(
            "H-26",
            "Not tested: the server listed no tool to call with an =?base64?…?= Mcp-Name (the probe calls a listed tool); testable on a server whose tools/list (2026-07-28) lists one.",
            Vec::new(),
            Value::Null,
        ));
    };
    let tool = sent_param(control, "name");
    let ex = vec![control.seq, good.seq, bad.seq];
    let details = json!({"control": summary(control), "encoded": summary(good), "encoded_wrong": summary(bad)});
    if control.status.is_none() || good.status.is_none() || bad.status.is_none() || mismatch_refused(control) {
        return Some(v.untestable(
            "H-26",
            format!(
                "Not tested: the call of `{tool}` with its plain Mcp-Name got {}, the encoded ones {} and {}; testable once the plain call is answered without -32020.",
                got(control),
                got(good),
                got(bad)
            ),
            ex,
            details,
        ));
    }
    let plain_mismatch_served =
        v.probe(labels::MODERN_CALL_NAME_MISMATCH).is_some_and(|e| e.status.is_some() && !mismatch_refused(e));
    let mut problems = Vec::new();
    let same = good.status == control.status && code(good) == code(control);
    if !same {
        problems.push(format!(
            "Expected a tools/call of `{tool}` with Mcp-Name `{}` (the name, =?base64?…?= encoded) to be answered like the same call with the plain name ({}); it got {}",
            good.request_header(headers::MCP_NAME).unwrap_or_default(),
            got(control),
            got(good)
        ));
    }
    if !mismatch_refused(bad) && !plain_mismatch_served {
        problems.push(format!(
            "Expected a tools/call of `{tool}` with Mcp-Name `{}` ({WRONG_NAME}, =?base64?…?= encoded) to be refused with HTTP 400 and JSON-RPC -32020, as the plain mismatch was; it got {}",
            bad.request_header(headers::MCP_NAME).unwrap_or_default(),
            got(bad)
        ));
    }
    if problems.is_empty() && plain_mismatch_served {
        return Some(v.untestable(
            "H-26",
            format!(
                "Not tested: the server does not compare Mcp-Name at all (a plain mismatched name was served; see H-25), so whether it decodes =?base64?…?= cannot be told; the correctly encoded name got {}.",
                got(good)
            ),
            ex,
            details,
        ));
    }
    Some(v.verdict(
        "H-26",
        problems,
        format!(
            "An =?base64?…?= Mcp-Name is decoded before comparison: the encoded name of `{tool}` got {} like the plain one, an encoded wrong name got 400 and -32020.",
            got(good)
        ),
        ex,
        details,
    ))
}

/// The `Mcp-Param-*` header a request carried: `(name, value)`.
fn param_header(e: &Exchange) -> Option<(String, String)> {
    let prefix = headers::MCP_PARAM_PREFIX.to_ascii_lowercase();
    e.request_headers
        .iter()
        .find(|(k, _)| k.to_ascii_lowercase().starts_with(&prefix))
        .map(|(k, v)| (k.clone(), v.clone()))
}

/// H-27: for the first listed tool with an `x-mcp-header` parameter, the matching `Mcp-Param-*`
/// header is served, a different one and an omitted one are refused with 400 -32020.
pub(super) fn h_27(v: &View<'_>) -> Option<Finding> {
    v.probe(labels::MODERN_METHOD_MISMATCH)?;
    let Some(matching) = v.probe(labels::MODERN_PARAM_MATCH) else {
        let listed = [labels::MODERN_TOOLS_LIST, labels::MODERN_TOOLS_LIST_AGAIN]
            .iter()
            .any(|l| v.probe(l).is_some_and(|e| result(e).is_some()));
        let why = if listed {
            "Not tested: no tool in tools/list declares an x-mcp-header parameter; testable on a server with one."
        } else {
            "Not tested: tools/list (2026-07-28) returned no result, so no x-mcp-header parameter could be found; testable once it does."
        };
        return Some(v.untestable("H-27", why, Vec::new(), Value::Null));
    };
    let tool = sent_param(matching, "name");
    let (header, value) = param_header(matching).unwrap_or_default();
    let mut problems = Vec::new();
    let mut ex = vec![matching.seq];
    let mut answers = vec![summary(matching)];
    if matching.status.is_none() {
        return Some(v.untestable(
            "H-27",
            format!(
                "Not tested: the call of `{tool}` with a matching {header} got {}; testable once it is answered.",
                answer(matching)
            ),
            ex,
            json!({"answers": answers}),
        ));
    }
    if mismatch_refused(matching) {
        problems.push(format!(
            "Expected a tools/call of `{tool}` whose {header}: {value} matches its argument to be served; it was refused with 400 and -32020"
        ));
    }
    let mut r = Refusals::new();
    r.expect(v, labels::MODERN_PARAM_MISMATCH, |e| {
        let (h, val) = param_header(e).unwrap_or_default();
        format!("a tools/call of `{tool}` whose {h}: {val} differs from its argument ({value})")
    });
    r.expect(v, labels::MODERN_PARAM_MISSING, |_| format!("a tools/call of `{tool}` without its {header} header"));
    problems.extend(r.problems);
    ex.extend(r.seqs);
    answers.extend(r.answers);
    let details = json!({"tool": tool, "header": header, "answers": answers});
    Some(v.verdict(
        "H-27",
        problems,
        format!(
            "`{tool}`'s x-mcp-header parameter is checked: a matching {header} got {}; refused with 400 and -32020: {}.",
            got(matching),
            r.refused.join("; ")
        ),
        ex,
        details,
    ))
}

/// H-28: header values are case-sensitive — `Mcp-Method: TOOLS/LIST` is refused with 400 -32020.
/// Not judged when the server does not compare `Mcp-Method` at all (H-25 reports that). The case
/// of header names is not probed: the HTTP client normalises names, so the harness cannot send a
/// chosen case (the description says so).
pub(super) fn h_28(v: &View<'_>) -> Option<Finding> {
    let e = v.probe(labels::MODERN_METHOD_CASE)?;
    let details = json!({"answer": summary(e)});
    if e.status.is_none() {
        return Some(v.untestable(
            "H-28",
            format!(
                "Not tested: the tools/list with Mcp-Method: TOOLS/LIST got {}; testable once it is answered.",
                answer(e)
            ),
            vec![e.seq],
            details,
        ));
    }
    let plain = v.probe(labels::MODERN_METHOD_MISMATCH);
    if !mismatch_refused(e) && plain.is_some_and(|p| p.status.is_some() && !mismatch_refused(p)) {
        return Some(v.untestable(
            "H-28",
            format!(
                "Not tested: the server does not compare Mcp-Method at all (Mcp-Method: prompts/list on a tools/list was served; see H-25), so case-sensitivity cannot be told; Mcp-Method: TOOLS/LIST got {}.",
                got(e)
            ),
            vec![e.seq],
            details,
        ));
    }
    Some(if mismatch_refused(e) {
        v.pass(
            "H-28",
            "Header values are compared case-sensitively: a tools/list with Mcp-Method: TOOLS/LIST was refused with 400 and -32020 (the case of header names is not varied: the HTTP client normalises them).",
            vec![e.seq],
            details,
        )
    } else {
        v.violated(
            "H-28",
            format!(
                "Expected a tools/list with Mcp-Method: TOOLS/LIST to be refused with HTTP 400 and JSON-RPC -32020 (header values are case-sensitive); it got {}.",
                got(e)
            ),
            vec![e.seq],
            details,
        )
    })
}
