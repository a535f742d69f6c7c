//! Challenges and statuses: the 401/403/400 answers and their `WWW-Authenticate` (RFC 6750 §3,
//! MCP §Error Handling and §Scope Challenge Handling): RS-04, RS-05, RS-07, RS-09, RS-12, RS-13,
//! RS-14, RS-17.

use harness_transcript::Exchange;
use mcp_wire::challenge::Challenge;
use serde_json::{Value, json};

use super::common::{
    View, answer, bearer, client_error, join, messages, ok, params, result, rpc_error, seqs, summary, www_authenticate,
};
use crate::model::Finding;
use crate::probe_record::labels;

/// RS-04: the 401 challenge names a `scope` (A1125 L103-107), so clients know what to ask for.
pub(super) fn rs_04(v: &View<'_>) -> Option<Finding> {
    let challenged: Vec<(&Exchange, Challenge)> =
        v.unauthenticated().into_iter().filter(|e| client_error(e)).filter_map(|e| bearer(e).map(|c| (e, c))).collect();
    if challenged.is_empty() {
        return None;
    }
    let missing: Vec<&Exchange> = challenged.iter().filter(|(_, c)| c.scopes().is_empty()).map(|(e, _)| *e).collect();
    let ex = seqs(challenged.iter().map(|(e, _)| *e));
    let details = json!({"challenges": challenged.iter().map(|(e, _)| summary(e)).collect::<Vec<_>>()});
    Some(match missing.first() {
        Some(e) => v.violated(
            "RS-04",
            format!(
                "Expected scope=\"…\" in the 401 challenge to a request without a token; got `{}`.",
                www_authenticate(e).unwrap_or_default()
            ),
            ex,
            details,
        ),
        None => v.pass(
            "RS-04",
            format!("The 401 challenge names scope=\"{}\".", challenged[0].1.param("scope").unwrap_or("")),
            ex,
            details,
        ),
    })
}

/// RS-05: 401 without a token, 400 or 401 for a malformed `Authorization`, 403 for insufficient
/// scope (A0618 L279-285; A1125 L487-493; RFC 6750 §3.1). A request that is served is another
/// requirement's business (RS-15, RS-12), except an unauthenticated initialize, recorded as INFO.
pub(super) fn rs_05(v: &View<'_>) -> Option<Finding> {
    let mut problems = Vec::new();
    let mut checked = Vec::new();
    let mut served_unauthenticated = Vec::new();
    // What was sent and what it got, in the order of the sentence the finding ends with.
    let mut observed: Vec<String> = Vec::new();
    let unauthenticated = v.unauthenticated();
    let mut no_token_401 = 0;
    for e in &unauthenticated {
        checked.push(*e);
        match e.status {
            Some(401) => no_token_401 += 1,
            Some(s) if (200..300).contains(&s) => served_unauthenticated.push(e.seq),
            _ => problems.push(format!("a request without a token got {}", answer(e))),
        }
    }
    if no_token_401 > 0 {
        observed.push(format!("{no_token_401} of {} requests without a token got 401", unauthenticated.len()));
    }
    let malformed = [
        (labels::MALFORMED_BEARER_ONLY, "`Authorization: Bearer` with no token"),
        (labels::MALFORMED_TWO_TOKENS, "`Authorization: Bearer a b`"),
        (labels::MALFORMED_BASIC, "`Authorization: Basic …`"),
    ];
    let mut malformed_ok = Vec::new();
    for (label, what) in malformed {
        if let Some(e) = v.probe(label) {
            checked.push(e);
            if matches!(e.status, Some(400 | 401)) {
                malformed_ok.push(format!("{what} → {}", answer(e)));
            } else {
                problems.push(format!("{what} got {} (400 invalid_request or 401 expected)", answer(e)));
            }
        }
    }
    if !malformed_ok.is_empty() {
        observed.push(malformed_ok.join(", "));
    }
    if let Some(e) = v.probe(labels::SESSION_WITHOUT_TOKEN) {
        checked.push(e);
        if !ok(e) && e.status != Some(401) {
            problems.push(format!("a session id without a token got {}", answer(e)));
        } else if e.status == Some(401) {
            observed.push("a session id without a token got 401".into());
        }
    }
    let scope_call = v.probe(labels::SCOPE_CALL);
    if let Some(e) = scope_call {
        checked.push(e);
        if !ok(e) && e.status != Some(403) {
            problems.push(format!("a token lacking the tool's scope got {} (403 expected)", answer(e)));
        } else if e.status == Some(403) {
            observed.push("a token lacking the tool's scope got 403".into());
        }
    }
    if checked.is_empty() {
        return None;
    }
    let details = json!({"answers": checked.iter().map(|e| summary(e)).collect::<Vec<_>>()});
    let ex = seqs(checked.iter().copied());
    if !problems.is_empty() {
        let desc = format!(
            "Expected 401 without a token, 400 or 401 for a malformed Authorization header, 403 for insufficient scope: {}",
            join(&super::common::counted(&problems))
        );
        return Some(v.violated("RS-05", desc, ex, details));
    }
    if checked.len() == served_unauthenticated.len() {
        return Some(v.info(
            "RS-05",
            "initialize is served without a token; the server may gate later requests instead (as the conformance suite's step-up scenario does), so the 401 could not be judged.",
            ex,
            details,
        ));
    }
    let mut desc = format!("Statuses are right for what was sent: {}.", observed.join("; "));
    if scope_call.is_none() {
        desc.push_str(" The 403 for insufficient scope was not tested (the insufficient-scope probe did not run).");
    }
    if !served_unauthenticated.is_empty() {
        desc.push_str(" Note: initialize is served without a token.");
    }
    Some(v.pass("RS-05", desc, ex, details))
}

/// RS-07: a rejected request is not processed, so its answer carries no data (A0618 L261-262,
/// L362-364; A1125 L469-470, L686-688): no JSON-RPC `result`, and — in whatever shape the body has
/// (plain text, HTML, a JSON document of its own) — none of the tool names, tool results or
/// resource contents the authorized session got back.
pub(super) fn rs_07(v: &View<'_>) -> Option<Finding> {
    let rejected: Vec<&Exchange> = v.exchanges().iter().filter(|e| client_error(e) && v.is_mcp(e)).collect();
    if rejected.is_empty() {
        return None;
    }
    let data = authorized_data(v);
    let leak_of = |e: &Exchange| -> Option<String> {
        if messages(e).iter().any(|m| m.get("result").is_some()) {
            return Some("a JSON-RPC result".into());
        }
        // Other 4xx answers (a 400 for a bad session) may quote the request; only refusals of
        // credentials are searched for the session's data.
        if !matches!(e.status, Some(401 | 403)) {
            return None;
        }
        let body = e.response_body.as_deref().unwrap_or("");
        let request = e.request_body.as_deref().unwrap_or("");
        // Text the request itself carried (the called tool's name) may be echoed in an error.
        let found: Vec<&Datum> =
            data.iter().filter(|d| body.contains(d.text.as_str()) && !request.contains(d.text.as_str())).collect();
        let names: Vec<&str> =
            found.iter().filter(|d| d.kind == DatumKind::ToolName).map(|d| d.text.as_str()).collect();
        let tool_names = data.iter().filter(|d| d.kind == DatumKind::ToolName).count();
        if let Some(d) = found.iter().find(|d| d.kind != DatumKind::ToolName) {
            return Some(format!("{} `{}`", d.kind.describe(), d.text.chars().take(60).collect::<String>()));
        }
        (!names.is_empty() && names.len() >= tool_names.min(2)).then(|| {
            format!("the tool names {}", names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", "))
        })
    };
    let leaks: Vec<(&Exchange, String)> = rejected.iter().filter_map(|e| leak_of(e).map(|w| (*e, w))).collect();
    let ex = seqs(rejected.iter().copied());
    Some(match leaks.first() {
        Some((e, what)) => v.violated(
            "RS-07",
            format!(
                "Expected a rejected request to carry no data; the {} answer to `{}` carries {what} that the authorized session got{}.",
                answer(e),
                e.label,
                if leaks.len() > 1 { format!(" (and {} more answers like it)", leaks.len() - 1) } else { String::new() }
            ),
            ex,
            json!({"leaks": leaks.iter().map(|(e, what)| json!({"seq": e.seq, "label": e.label, "found": what, "body": e.response_body.as_deref().map(|b| b.chars().take(300).collect::<String>())})).collect::<Vec<_>>()}),
        ),
        None => v.pass(
            "RS-07",
            format!(
                "None of the {} rejected requests got a JSON-RPC result back{}.",
                rejected.len(),
                if data.is_empty() {
                    String::new()
                } else {
                    format!(", and no 401/403 body carries any of the {} tool names, results and resource texts the authorized session got", data.len())
                }
            ),
            ex,
            Value::Null,
        ),
    })
}

/// What kind of data an authorized request returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DatumKind {
    ToolName,
    ToolResult,
    Resource,
}

impl DatumKind {
    fn describe(self) -> &'static str {
        match self {
            DatumKind::ToolName => "the tool name",
            DatumKind::ToolResult => "the tool result",
            DatumKind::Resource => "the resource text",
        }
    }
}

/// One piece of data an authorized request returned.
#[derive(Debug)]
struct Datum {
    kind: DatumKind,
    text: String,
}

/// Text shorter than this is too common to prove a leak (a result of `ok`, a resource named `a`).
const MIN_LEAK_TEXT: usize = 8;

/// Tool names, tool-call result texts and resource texts/URIs from the successful answers to
/// authenticated MCP requests: what a rejected request must not carry.
fn authorized_data(v: &View<'_>) -> Vec<Datum> {
    let mut out: Vec<Datum> = Vec::new();
    let mut push = |kind: DatumKind, text: &str| {
        let long_enough = kind == DatumKind::ToolName && text.len() >= 3 || text.chars().count() >= MIN_LEAK_TEXT;
        if long_enough && !out.iter().any(|d| d.text == text) {
            out.push(Datum { kind, text: text.to_owned() });
        }
    };
    for e in v.exchanges().iter().filter(|e| ok(e) && v.is_mcp(e) && e.request_header("authorization").is_some()) {
        let Some(method) = e
            .request_body
            .as_deref()
            .and_then(|b| serde_json::from_str::<Value>(b).ok())
            .and_then(|b| b.get("method").and_then(Value::as_str).map(str::to_owned))
        else {
            continue;
        };
        let Some(r) = result(e) else { continue };
        match method.as_str() {
            "tools/list" => {
                for t in r.get("tools").and_then(Value::as_array).into_iter().flatten() {
                    if let Some(n) = t.get("name").and_then(Value::as_str) {
                        push(DatumKind::ToolName, n);
                    }
                }
            }
            "tools/call" if r.get("isError") != Some(&Value::Bool(true)) => {
                for c in r.get("content").and_then(Value::as_array).into_iter().flatten() {
                    if let Some(t) = c.get("text").and_then(Value::as_str) {
                        push(DatumKind::ToolResult, t);
                    }
                }
            }
            "resources/list" | "resources/read" => {
                for key in ["resources", "contents"] {
                    for res in r.get(key).and_then(Value::as_array).into_iter().flatten() {
                        for field in ["uri", "text"] {
                            if let Some(t) = res.get(field).and_then(Value::as_str) {
                                push(DatumKind::Resource, t);
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// The invalid-token probes: the garbage token and the negative battery.
pub(super) fn invalid_token_probes<'a>(v: &View<'a>) -> Vec<&'a Exchange> {
    let mut list = v.probes_prefixed(labels::NEGATIVE_TOKEN_PREFIX);
    if let Some(e) = v.probe(labels::GARBAGE_TOKEN) {
        list.insert(0, e);
    }
    list
}

/// RS-09: a 401 for a token that failed validation says `error="invalid_token"` (A0618 L265-267;
/// A1125 L473-475; RFC 6750 §3.1). Statuses other than 401 are RS-06's.
pub(super) fn rs_09(v: &View<'_>) -> Option<Finding> {
    let probes = invalid_token_probes(v);
    if probes.is_empty() {
        return None;
    }
    let answered: Vec<&Exchange> = probes.iter().copied().filter(|e| e.status == Some(401)).collect();
    if answered.is_empty() {
        return Some(v.skipped(
            "RS-09",
            "No invalid token was answered 401, so there was no challenge to read (see RS-06).",
            seqs(probes),
            Value::Null,
        ));
    }
    let bad: Vec<&Exchange> = answered
        .iter()
        .copied()
        .filter(|e| bearer(e).and_then(|c| c.param("error").map(str::to_owned)).as_deref() != Some("invalid_token"))
        .collect();
    let ex = seqs(answered.iter().copied());
    Some(match bad.first() {
        Some(e) => v.violated(
            "RS-09",
            format!(
                "Expected `WWW-Authenticate: Bearer error=\"invalid_token\"` with the 401 to an invalid token; `{}` got `{}`{}.",
                e.label,
                www_authenticate(e).unwrap_or_else(|| "no WWW-Authenticate".into()),
                if bad.len() > 1 { format!(" (and {} more like it)", bad.len() - 1) } else { String::new() }
            ),
            ex,
            json!({"answers": bad.iter().map(|e| summary(e)).collect::<Vec<_>>()}),
        ),
        None => v.pass("RS-09", format!("All {} 401s to invalid tokens carry error=\"invalid_token\".", answered.len()), ex, Value::Null),
    })
}

/// The challenge of the insufficient-scope call: the HTTP one, or a tool-level one.
fn scope_challenge(e: &Exchange) -> Option<(Challenge, bool)> {
    if let Some(c) = bearer(e) {
        return Some((c, false));
    }
    let r = result(e)?;
    mcp_wire::challenge::tool_challenges(&r).into_iter().next().map(|c| (c, true))
}

/// The untestable finding when the insufficient-scope probe could not make its call.
fn scope_call_missing(v: &View<'_>, id: &str) -> Option<Finding> {
    if let Some(list) = v.probe(labels::SCOPE_LIST) {
        let tools = result(list)
            .and_then(|r| r.get("tools").and_then(Value::as_array).map(Vec::len))
            .map(|n| match n {
                0 => "no tool listed".to_owned(),
                n => format!("none of the {}", harness_transcript::outcome::tools_listed(n)),
            })
            .unwrap_or_else(|| format!("tools/list got {} without a tool list, so no tool", answer(list)));
        return Some(v.untestable(
            id,
            format!(
                "Not tested: {tools} declares an oauth2 scope beyond mcp:read in its securitySchemes, so no tool was called with too little scope; name one in a scenario with `insufficient_scope: {{tool: NAME}}`."
            ),
            vec![list.seq],
            json!({"list": summary(list)}),
        ));
    }
    let init = v.probe(labels::SCOPE_INITIALIZE)?;
    Some(v.untestable(
        id,
        format!(
            "Not tested: initialize with a valid mcp:read token got {}, so the tool call was not made; testable once initialize with such a token succeeds.",
            answer(init)
        ),
        vec![init.seq],
        json!({"initialize": summary(init)}),
    ))
}

/// RS-12: insufficient scope is answered 403 with `error="insufficient_scope"` and a `scope`
/// (A1125 L504-512).
pub(super) fn rs_12(v: &View<'_>) -> Option<Finding> {
    let Some(e) = v.probe(labels::SCOPE_CALL) else { return scope_call_missing(v, "RS-12") };
    let ex = vec![e.seq];
    let details = json!({"call": summary(e)});
    let seen = www_authenticate(e).unwrap_or_else(|| "no WWW-Authenticate".into());
    Some(match (e.status, scope_challenge(e)) {
        (None, _) => v.untestable("RS-12", format!("Not tested: the tool call got {}.", answer(e)), ex, details),
        (Some(403), Some((c, false))) if c.param("error") == Some("insufficient_scope") && !c.scopes().is_empty() => v.pass(
            "RS-12",
            format!("A token lacking the tool's scope gets 403 with error=\"insufficient_scope\", scope=\"{}\".", c.param("scope").unwrap_or("")),
            ex,
            details,
        ),
        (Some(403), _) => v.violated(
            "RS-12",
            format!("Expected the 403 to carry `Bearer error=\"insufficient_scope\", scope=\"…\"`; got `{seen}`."),
            ex,
            details,
        ),
        (Some(s), Some((_, true))) if (200..300).contains(&s) => v.violated(
            "RS-12",
            "Expected HTTP 403 with a WWW-Authenticate challenge; the server answered with a tool-level _meta[\"mcp/www_authenticate\"] challenge, which only Apps SDK clients read.",
            ex,
            details,
        ),
        (Some(s), None) if (200..300).contains(&s) && result(e).is_some_and(|r| r.get("isError") == Some(&Value::Bool(true))) => {
            match offered_tools(v) {
                Some(tools) if !tools.iter().any(|t| Some(t.as_str()) == called_tool(e).as_deref()) => v.skipped(
                    "RS-12",
                    format!(
                        "The probe's tool {:?} is not among the server's tools ({}); name a tool that exists and needs more than mcp:read.",
                        called_tool(e).unwrap_or_default(),
                        tools.join(", ")
                    ),
                    ex,
                    details,
                ),
                _ => v.violated(
                    "RS-12",
                    "Expected HTTP 403 with error=\"insufficient_scope\"; the server refused the call with a tool result (isError: true) and no challenge, so no client can step up.",
                    ex,
                    details,
                ),
            }
        }
        (Some(s), None) if (200..300).contains(&s) => match rpc_error(e) {
            Some(err) => v.skipped(
                "RS-12",
                format!(
                    "The tool call failed with JSON-RPC error {} instead of a scope challenge; name a tool that exists and needs more than mcp:read.",
                    err
                ),
                ex,
                details,
            ),
            None => v.violated(
                "RS-12",
                "Expected 403 insufficient_scope; the tool ran with a token holding only mcp:read (scopes are not enforced, or the probe's tool needs no more: name another).",
                ex,
                details,
            ),
        },
        (Some(s), _) => v.violated(
            "RS-12",
            format!("Expected 403 with error=\"insufficient_scope\" for a token lacking the tool's scope; got HTTP {s} with `{seen}`."),
            ex,
            details,
        ),
    })
}

/// RS-13: the challenged `scope` satisfies the request — a token with it succeeds (A1125 L514-516).
pub(super) fn rs_13(v: &View<'_>) -> Option<Finding> {
    let Some(call) = v.probe(labels::SCOPE_CALL) else { return scope_call_missing(v, "RS-13") };
    let (c, _) = scope_challenge(call)?;
    let named = c.scopes();
    if named.is_empty() {
        return Some(v.violated(
            "RS-13",
            "Expected the insufficient-scope challenge to name the scopes the call needs; it names none.",
            vec![call.seq],
            json!({"challenge": params(&c)}),
        ));
    }
    let scope = named.join(" ");
    let Some(retry) = v.probe(labels::SCOPE_STEP_UP_CALL) else {
        let init = v.probe(labels::SCOPE_STEP_UP_INITIALIZE);
        let mut ex = vec![call.seq];
        ex.extend(init.map(|e| e.seq));
        let why = init
            .map(|e| format!("initialize with it got {}", answer(e)))
            .unwrap_or_else(|| "the probe did not get that far".into());
        return Some(v.untestable(
            "RS-13",
            format!("Not tested: a token with mcp:read and `{scope}` was minted but {why}."),
            ex,
            Value::Null,
        ));
    };
    let ex = vec![call.seq, retry.seq];
    let details = json!({"challenge": params(&c), "retry": summary(retry)});
    let refused = !ok(retry) || scope_challenge(retry).is_some();
    let mut held = vec![crate::probe_record::READ_SCOPE.to_owned()];
    held.extend(named.iter().filter(|s| *s != crate::probe_record::READ_SCOPE).cloned());
    Some(if refused {
        v.violated(
            "RS-13",
            format!(
                "Expected the scope the 403 names (`{scope}`) to satisfy the call; a token holding `{}` still got {} with `{}`.",
                held.join(" "),
                answer(retry),
                www_authenticate(retry).unwrap_or_else(|| "no challenge header".into())
            ),
            ex,
            details,
        )
    } else {
        v.pass("RS-13", format!("A token with the challenged scope `{scope}` satisfies the call."), ex, details)
    })
}

/// RS-14: the same request gets the same challenge (A1125 L526): status and parameters, the
/// free-text `error_description` aside.
pub(super) fn rs_14(v: &View<'_>) -> Option<Finding> {
    let same: Vec<&Exchange> = [labels::UNAUTHENTICATED, labels::REPEAT_FIRST, labels::REPEAT_SECOND]
        .iter()
        .filter_map(|l| v.probe(l))
        .filter(|e| e.status.is_some())
        .collect();
    if same.len() < 2 {
        return None;
    }
    let key = |e: &Exchange| {
        let mut p = bearer(e).map(|c| c.params).unwrap_or_default();
        p.remove("error_description");
        (e.status, p)
    };
    let first = key(same[0]);
    let differing: Vec<&Exchange> = same.iter().copied().filter(|e| key(e) != first).collect();
    let ex = seqs(same.iter().copied());
    let details = json!({"answers": same.iter().map(|e| summary(e)).collect::<Vec<_>>()});
    Some(match differing.first() {
        Some(d) => v.violated(
            "RS-14",
            format!(
                "Expected the same unauthenticated request to get the same challenge; got {} `{}` and then {} `{}`.",
                answer(same[0]),
                www_authenticate(same[0]).unwrap_or_default(),
                answer(d),
                www_authenticate(d).unwrap_or_default()
            ),
            ex,
            details,
        ),
        None => v.pass("RS-14", format!("{} identical requests got identical challenges.", same.len()), ex, details),
    })
}

/// RS-17: the 403 challenge carries `resource_metadata` too (A1125 L511).
pub(super) fn rs_17(v: &View<'_>) -> Option<Finding> {
    let Some(call) = v.probe(labels::SCOPE_CALL) else { return scope_call_missing(v, "RS-17") };
    let (c, _) = scope_challenge(call)?;
    let details = json!({"challenge": params(&c)});
    Some(match c.param("resource_metadata") {
        Some(u) => v.pass(
            "RS-17",
            format!("The insufficient-scope challenge names resource_metadata=\"{u}\"."),
            vec![call.seq],
            details,
        ),
        None => v.violated(
            "RS-17",
            format!(
                "Expected resource_metadata in the insufficient-scope challenge too, as in the 401; got `{}`.",
                www_authenticate(call).unwrap_or_else(|| "a tool-level challenge without it".into())
            ),
            vec![call.seq],
            details,
        ),
    })
}

/// The tool a `tools/call` exchange named.
fn called_tool(e: &harness_transcript::Exchange) -> Option<String> {
    let body: Value = serde_json::from_str(e.request_body.as_deref()?).ok()?;
    body.pointer("/params/name").and_then(Value::as_str).map(str::to_owned)
}

/// The tool names of the first successful `tools/list` in the transcript, if the run listed tools.
fn offered_tools(v: &View<'_>) -> Option<Vec<String>> {
    v.exchanges().iter().find_map(|e| {
        let body: Value = serde_json::from_str(e.request_body.as_deref()?).ok()?;
        if body.get("method").and_then(Value::as_str) != Some("tools/list") {
            return None;
        }
        let msgs = mcp_wire::jsonrpc::messages(e.response_header("content-type"), e.response_body.as_deref()?);
        let tools = msgs.iter().find_map(|m| m.pointer("/result/tools").and_then(Value::as_array))?;
        Some(tools.iter().filter_map(|t| t.get("name").and_then(Value::as_str).map(str::to_owned)).collect())
    })
}
