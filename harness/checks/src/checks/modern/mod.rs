//! The MCP 2026-07-28 era: which eras the server speaks (from what the `modern` probe and the
//! `initialize`s observed), and the first checks of the new revision — `server/discover` (H-36),
//! `resultType` (H-35), caching hints (H-37), `serverInfo` in `_meta` (H-38) and the unknown-method
//! answer (H-23). These are judged only when the server was seen speaking 2026-07-28, whatever
//! revision the run names, and each finding says so in its details (`era`).
//!
//! Nothing here is reported unless the `modern` probe ran, so runs without it are unchanged.

mod behaviour;
mod legacy_traffic;
mod routing;

use harness_transcript::Exchange;
use mcp_wire::{SpecVersion, errors, meta};
use serde_json::{Value, json};

use super::common::{View, answer, ok, result, rpc_error, seqs, summary};
use crate::model::{Finding, Status};
use crate::probe_record::labels;

/// The IDs this area judges (they gate themselves on the era, not on the run's `--spec`).
pub const IDS: &[&str] = &[
    "H-21", "H-22", "H-23", "H-24", "H-25", "H-26", "H-27", "H-28", "H-29", "H-32", "H-33", "H-34", "H-35", "H-36",
    "H-37", "H-38", "H-39", "H-40", "H-41", "H-42", "H-44",
];

/// The ID of the era finding (not a requirement): which eras the server speaks.
pub const ERA: &str = "ERA";

/// Checks that exist only in the 2025 eras (they need `initialize` or sessions): SKIPPED on a
/// server that speaks 2026-07-28 only, instead of judging the refusal of a handshake it does not
/// have.
pub const LEGACY_ONLY: &[&str] = &["RS-15", "RS-16", "H-06", "H-12", "H-13", "H-14", "H-15", "H-16", "H-17"];

/// What was observed of one era: spoken, refused, or not observed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// A request of the era was served.
    Yes,
    /// Requests of the era were answered over HTTP, none was served.
    No,
    /// Nothing of the era was sent or answered.
    Unknown,
}

/// The eras the server speaks, as observed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Eras {
    /// 2025-era: an `initialize` answered with a `protocolVersion`.
    pub legacy: Seen,
    /// 2026-07-28: `server/discover` listing 2026-07-28, or a `tools/list` result with `resultType`.
    pub modern: Seen,
}

impl Eras {
    /// `legacy`, `modern`, `both` or `unknown` (one era seen and the other not observed is named
    /// by the one seen only when the other was refused).
    pub fn name(&self) -> &'static str {
        match (self.legacy, self.modern) {
            (Seen::Yes, Seen::Yes) => "both",
            (Seen::Yes, Seen::No) => "legacy",
            (Seen::No, Seen::Yes) => "modern",
            _ => "unknown",
        }
    }

    /// Whether the server was seen speaking 2026-07-28 and refusing `initialize`.
    pub fn modern_only(&self) -> bool {
        self.legacy == Seen::No && self.modern == Seen::Yes
    }
}

/// Detects the eras from the transcript. Legacy: any `initialize` sent with a token (connect or
/// probe) — served when its result names a `protocolVersion`. Modern: the `modern` probe's
/// `server/discover` lists 2026-07-28, or its `tools/list` result carries `resultType` (either
/// alone, so a server lacking one of them is still recognised and judged on it).
pub(crate) fn detect(v: &View<'_>) -> Eras {
    *v.eras.get_or_init(|| detect_once(v))
}

fn detect_once(v: &View<'_>) -> Eras {
    let inits: Vec<&Exchange> = v
        .exchanges()
        .iter()
        .filter(|e| v.is_mcp(e) && e.method == "POST" && e.status.is_some())
        .filter(|e| e.request_header("authorization").is_some() && is_initialize(e))
        .collect();
    let legacy = if inits.iter().any(|e| result(e).is_some_and(|r| r.get("protocolVersion").is_some())) {
        Seen::Yes
    } else if inits.is_empty() {
        Seen::Unknown
    } else {
        Seen::No
    };
    let discover = v.probe(labels::MODERN_DISCOVER).filter(|e| e.status.is_some());
    let list = v.probe(labels::MODERN_TOOLS_LIST).filter(|e| e.status.is_some());
    let modern = if discover.and_then(result).is_some_and(|r| lists_modern(&r))
        || list.and_then(result).is_some_and(|r| r.get("resultType").is_some())
    {
        Seen::Yes
    } else if discover.is_some() || list.is_some() {
        Seen::No
    } else {
        Seen::Unknown
    };
    Eras { legacy, modern }
}

/// The eras a run's server was seen speaking ([`detect`] over the record).
pub fn eras(record: &crate::model::RunRecord) -> Eras {
    detect(&View::new(record))
}

fn is_initialize(e: &Exchange) -> bool {
    e.request_body
        .as_deref()
        .and_then(|b| serde_json::from_str::<Value>(b).ok())
        .is_some_and(|b| b.get("method").and_then(Value::as_str) == Some("initialize"))
}

fn lists_modern(r: &Value) -> bool {
    r.get("supportedVersions")
        .and_then(Value::as_array)
        .is_some_and(|a| a.iter().any(|x| x.as_str() == Some(SpecVersion::V2026_07_28.as_str())))
}

pub(crate) fn all(v: &View<'_>) -> Vec<Finding> {
    if !v.ran("probe:modern") {
        return Vec::new();
    }
    let eras = detect(v);
    let mut out = vec![era_finding(v, &eras)];
    if eras.modern != Seen::Yes {
        let why = match eras.modern {
            Seen::No => {
                "Not judged: the server does not speak 2026-07-28 (server/discover and a 2026-07-28 tools/list were not served as 2026-07-28)."
            }
            _ => "Not tested: no 2026-07-28 request with a token got an HTTP answer, so the server's era is unknown.",
        };
        let ex = seqs(v.probes_prefixed("probe:modern"));
        out.extend(IDS.iter().map(|id| v.skipped(id, why, ex.clone(), json!({"era": eras.name()}))));
        return out;
    }
    out.extend(discover_unauthenticated(v));
    let mut found: Vec<Finding> =
        [h_36(v), h_35(v), h_37(v), h_38(v), h_23(v), h_21(v), h_24(v, &eras), routing::h_25(v), h_22(v), h_33(v)]
            .into_iter()
            .flatten()
            .collect();
    found.extend(legacy_traffic::h_32(v, &eras));
    out.extend(found.into_iter().map(tag));
    out.extend(
        [
            routing::h_26(v),
            routing::h_27(v),
            routing::h_28(v),
            behaviour::h_29(v),
            behaviour::h_34(v),
            behaviour::h_39(v),
            behaviour::h_40(v),
            behaviour::h_41(v, &eras),
            behaviour::h_42(v, &eras),
            behaviour::h_44(v),
        ]
        .into_iter()
        .flatten()
        .map(tag),
    );
    out
}

/// Every 2026-07-28 finding names the era it judged (this area's and `modern_auth`'s).
pub(super) fn tag(mut f: Finding) -> Finding {
    let era = SpecVersion::V2026_07_28.as_str();
    match &mut f.details {
        Value::Object(m) => {
            m.insert("era".into(), json!(era));
        }
        Value::Null => f.details = json!({"era": era}),
        other => f.details = json!({"era": era, "details": other.take()}),
    }
    f
}

fn era_finding(v: &View<'_>, eras: &Eras) -> Finding {
    let word = |s: Seen| match s {
        Seen::Yes => "served",
        Seen::No => "refused",
        Seen::Unknown => "not observed",
    };
    let description = format!(
        "The server speaks: {} (2025 initialize {}; 2026-07-28 server/discover or tools/list {}).",
        eras.name(),
        word(eras.legacy),
        word(eras.modern)
    );
    Finding {
        id: ERA.to_owned(),
        name: "The MCP eras the server speaks".to_owned(),
        status: Status::Info,
        description,
        spec_refs: Vec::new(),
        details: json!({"eras": eras.name(), "legacy": word(eras.legacy), "modern": word(eras.modern)}),
        exchanges: seqs(v.probes_prefixed("probe:modern")),
        untestable: false,
    }
}

/// Whether `server/discover` needs a token is left open by the spec: recorded, never judged.
fn discover_unauthenticated(v: &View<'_>) -> Option<Finding> {
    let e = v.probe(labels::MODERN_DISCOVER_UNAUTHENTICATED)?;
    let what = match e.status {
        Some(401) => "is challenged (401): the server requires a token for server/discover",
        Some(s) if (200..300).contains(&s) => "is served: server/discover needs no token here",
        Some(_) => "got another answer",
        None => "got no HTTP answer",
    };
    Some(v.info(
        "H-36",
        format!(
            "server/discover without credentials {what} ({}); the spec leaves open whether it needs one, so this is not judged.",
            answer(e)
        ),
        vec![e.seq],
        json!({"answer": summary(e), "era": SpecVersion::V2026_07_28.as_str()}),
    ))
}

/// The results the modern probe got with a token: `(method, exchange, result)`.
fn results<'a>(v: &View<'a>) -> Vec<(&'static str, &'a Exchange, Value)> {
    [("server/discover", labels::MODERN_DISCOVER), ("tools/list", labels::MODERN_TOOLS_LIST)]
        .into_iter()
        .filter_map(|(m, l)| v.probe(l).filter(|e| ok(e)).and_then(|e| result(e).map(|r| (m, e, r))))
        .collect()
}

fn untested(v: &View<'_>, id: &str) -> Finding {
    let ex = seqs([labels::MODERN_DISCOVER, labels::MODERN_TOOLS_LIST].into_iter().filter_map(|l| v.probe(l)));
    v.untestable(
        id,
        "Not tested: neither server/discover nor tools/list (2026-07-28, with a token) returned a result; testable once one does.",
        ex,
        Value::Null,
    )
}

/// H-36: `server/discover` is implemented: a result with `supportedVersions` (listing 2026-07-28)
/// and `capabilities` (server-discover L7-9, L92-107).
fn h_36(v: &View<'_>) -> Option<Finding> {
    let e = v.probe(labels::MODERN_DISCOVER)?;
    let details = json!({"answer": summary(e)});
    let Some(r) = result(e).filter(|_| ok(e)) else {
        return Some(v.violated(
            "H-36",
            format!(
                "Expected server/discover (2026-07-28 headers and _meta, valid token) to return a result; it got {}.",
                answer(e)
            ),
            vec![e.seq],
            details,
        ));
    };
    let mut problems = Vec::new();
    match r.get("supportedVersions").and_then(Value::as_array) {
        None => problems.push("the result has no supportedVersions array".to_owned()),
        Some(_) if !lists_modern(&r) => problems.push("supportedVersions does not list 2026-07-28".to_owned()),
        Some(_) => {}
    }
    if !r.get("capabilities").is_some_and(Value::is_object) {
        problems.push("the result has no capabilities object".to_owned());
    }
    let problems = problems
        .into_iter()
        .map(|p| format!("Expected a server/discover result with supportedVersions and capabilities: {p}"))
        .collect();
    Some(v.verdict(
        "H-36",
        problems,
        "server/discover returns supportedVersions (with 2026-07-28) and capabilities.",
        vec![e.seq],
        json!({"supportedVersions": r.get("supportedVersions"), "answer": summary(e)}),
    ))
}

/// H-35: every result carries `resultType`, `complete` or `input_required` (basic L73-85).
fn h_35(v: &View<'_>) -> Option<Finding> {
    let rs = results(v);
    if rs.is_empty() {
        return Some(untested(v, "H-35"));
    }
    let mut problems = Vec::new();
    for (m, _, r) in &rs {
        match r.get("resultType") {
            Some(Value::String(s)) if s == "complete" || s == "input_required" => {}
            Some(other) => problems.push(format!("the {m} result has resultType {other}, not complete/input_required")),
            None => problems.push(format!("the {m} result has no resultType")),
        }
    }
    let problems = problems.into_iter().map(|p| format!("Expected resultType on every result: {p}")).collect();
    Some(v.verdict(
        "H-35",
        problems,
        format!("{} results seen, each with resultType.", rs.len()),
        seqs(rs.iter().map(|(_, e, _)| *e)),
        json!({"resultTypes": rs.iter().map(|(m, _, r)| json!({"method": m, "resultType": r.get("resultType")})).collect::<Vec<_>>()}),
    ))
}

/// H-37: cacheable results carry `ttlMs` ≥ 0 and `cacheScope` `public`/`private` (caching L13-21).
fn h_37(v: &View<'_>) -> Option<Finding> {
    let rs: Vec<_> = results(v)
        .into_iter()
        .filter(|(_, _, r)| r.get("resultType").and_then(Value::as_str) != Some("input_required"))
        .collect();
    if rs.is_empty() {
        return Some(untested(v, "H-37"));
    }
    let mut problems = Vec::new();
    for (m, _, r) in &rs {
        if r.get("ttlMs").and_then(Value::as_u64).is_none() {
            problems.push(format!("the {m} result has ttlMs {}, not an integer ≥ 0", shown(r.get("ttlMs"))));
        }
        if !matches!(r.get("cacheScope").and_then(Value::as_str), Some("public" | "private")) {
            problems.push(format!("the {m} result has cacheScope {}, not public/private", shown(r.get("cacheScope"))));
        }
    }
    let problems = problems.into_iter().map(|p| format!("Expected caching hints on cacheable results: {p}")).collect();
    Some(v.verdict(
        "H-37",
        problems,
        format!("{} cacheable results seen, each with ttlMs and cacheScope.", rs.len()),
        seqs(rs.iter().map(|(_, e, _)| *e)),
        json!({"hints": rs.iter().map(|(m, _, r)| json!({"method": m, "ttlMs": r.get("ttlMs"), "cacheScope": r.get("cacheScope")})).collect::<Vec<_>>()}),
    ))
}

fn shown(x: Option<&Value>) -> String {
    x.map_or_else(|| "(absent)".to_owned(), |x| x.to_string().chars().take(80).collect())
}

/// H-38 (SHOULD): every result's `_meta` carries `io.modelcontextprotocol/serverInfo` (basic
/// L394-402).
fn h_38(v: &View<'_>) -> Option<Finding> {
    let rs = results(v);
    if rs.is_empty() {
        return Some(untested(v, "H-38"));
    }
    let problems: Vec<String> = rs
        .iter()
        .filter(|(_, _, r)| !r.pointer("/_meta").and_then(|m| m.get(meta::SERVER_INFO)).is_some_and(Value::is_object))
        .map(|(m, _, _)| format!("Expected _meta[\"{}\"] on every result: the {m} result has none", meta::SERVER_INFO))
        .collect();
    Some(v.verdict(
        "H-38",
        problems,
        format!("{} results seen, each with serverInfo in _meta.", rs.len()),
        seqs(rs.iter().map(|(_, e, _)| *e)),
        Value::Null,
    ))
}

/// H-23: an unknown method is answered HTTP 404 with JSON-RPC -32601 (streamable-http L271-275).
fn h_23(v: &View<'_>) -> Option<Finding> {
    let e = v.probe(labels::MODERN_UNKNOWN_METHOD)?;
    let details = json!({"answer": summary(e)});
    let Some(status) = e.status else {
        return Some(v.untestable(
            "H-23",
            format!("Not tested: the unknown-method request got {}; testable once the server answers it.", answer(e)),
            vec![e.seq],
            details,
        ));
    };
    let code = rpc_error(e).and_then(|x| x.get("code").and_then(Value::as_i64));
    let mut problems = Vec::new();
    if status != 404 {
        problems.push(format!("HTTP {status}, not 404"));
    }
    if code != Some(errors::METHOD_NOT_FOUND) {
        problems.push(match code {
            Some(c) => format!("JSON-RPC error {c}, not -32601"),
            None => "no JSON-RPC error -32601 in the body".to_owned(),
        });
    }
    let problems = if problems.is_empty() {
        Vec::new()
    } else {
        vec![format!(
            "Expected a 2026-07-28 request for an unknown method to get 404 with -32601; it got {}",
            super::common::join(&problems)
        )]
    };
    Some(v.verdict("H-23", problems, "An unknown method gets 404 with JSON-RPC -32601.", vec![e.seq], details))
}

/// The other areas' findings with the legacy-only ones SKIPPED on a modern-only server, followed
/// by this area's findings.
/// The findings of one new requirement (the registry's judge for each of [`IDS`]).
pub(crate) fn for_id(v: &View<'_>, id: &str) -> Vec<Finding> {
    judged_once(v).iter().filter(|f| f.id == id).cloned().collect()
}

/// [`all`], judged once per record: the registry asks for each of [`IDS`] in turn.
fn judged_once<'v>(v: &'v View<'_>) -> &'v [Finding] {
    v.modern_findings.get_or_init(|| all(v))
}

/// After every rule has judged: on a modern-only server the legacy-only findings become SKIPPED
/// (with what they would have said), and the era seen is reported as the `ERA` INFO finding.
pub(crate) fn judged(v: &View<'_>, others: Vec<Finding>) -> Vec<Finding> {
    let mine: Vec<Finding> = judged_once(v).iter().filter(|f| f.id == ERA).cloned().collect();
    let eras = if mine.is_empty() { None } else { Some(detect(v)) };
    let mut out: Vec<Finding> = others
        .into_iter()
        .map(|f| match eras {
            Some(e) if e.modern_only() && LEGACY_ONLY.contains(&f.id.as_str()) => {
                v.skipped(
                    &f.id,
                    "Not judged: the server speaks 2026-07-28 only (initialize was refused, server/discover served), which has no initialize handshake and no sessions.",
                    f.exchanges.clone(),
                    json!({"era": "modern", "not_judged": {"status": f.status, "description": f.description}}),
                )
            }
            _ => f,
        })
        .collect();
    out.extend(mine);
    out
}

/// The JSON-RPC error code of an answer, if any.
fn code(e: &Exchange) -> Option<i64> {
    rpc_error(e).and_then(|x| x.get("code").and_then(Value::as_i64))
}

/// A malformed request that must be refused with HTTP 400 and JSON-RPC `want`: SUCCESS when it
/// was, FAILURE otherwise (`sent` says what was wrong with the request).
fn refused(v: &View<'_>, id: &str, label: &str, want: i64, sent: &str) -> Option<Finding> {
    let e = v.probe(label)?;
    let details = json!({"answer": summary(e)});
    if e.status.is_none() {
        return Some(v.untestable(
            id,
            format!("Not tested: {sent} got {}; testable once the server answers it.", answer(e)),
            vec![e.seq],
            details,
        ));
    }
    let got = code(e);
    Some(if e.status == Some(400) && got == Some(want) {
        v.pass(id, format!("{sent} is refused with 400 and {want}."), vec![e.seq], details)
    } else {
        v.violated(
            id,
            format!(
                "Expected {sent} to be refused with HTTP 400 and JSON-RPC {want}; it got {}{}.",
                answer(e),
                got.map(|c| format!(" with JSON-RPC {c}")).unwrap_or_else(|| " without a JSON-RPC error".into())
            ),
            vec![e.seq],
            details,
        )
    })
}

/// H-21: the `MCP-Protocol-Version` header must equal `_meta` protocolVersion, else 400 -32020.
fn h_21(v: &View<'_>) -> Option<Finding> {
    refused(
        v,
        "H-21",
        labels::MODERN_VERSION_MISMATCH,
        errors::HEADER_MISMATCH,
        "a tools/list whose MCP-Protocol-Version header (2025-11-25) differs from _meta (2026-07-28)",
    )
}

/// H-24: a 2026-07-28 request without `MCP-Protocol-Version` is refused 400 -32020, unless the
/// server also speaks the 2025 era (it may then take the legacy default; INFO).
fn h_24(v: &View<'_>, eras: &Eras) -> Option<Finding> {
    let e = v.probe(labels::MODERN_VERSION_MISSING)?;
    // A server that also speaks the 2025 era MAY read a header-less request as 2025-03-26 (SH
    // L277-281): served, or refused as its 2025 side refuses (a missing session), is its choice.
    if eras.legacy == Seen::Yes && code(e) != Some(errors::HEADER_MISMATCH) {
        return Some(v.info(
            "H-24",
            format!(
                "A 2026-07-28 tools/list without MCP-Protocol-Version got {}; the server also speaks the 2025 era, so it may take the legacy default 2025-03-26 — not judged.",
                answer(e)
            ),
            vec![e.seq],
            json!({"answer": summary(e)}),
        ));
    }
    refused(
        v,
        "H-24",
        labels::MODERN_VERSION_MISSING,
        errors::HEADER_MISMATCH,
        "a 2026-07-28 tools/list without MCP-Protocol-Version",
    )
}

/// H-33: a `_meta` without `clientCapabilities` is refused 400 -32602.
fn h_33(v: &View<'_>) -> Option<Finding> {
    refused(
        v,
        "H-33",
        labels::MODERN_NO_CAPABILITIES,
        errors::INVALID_PARAMS,
        "a 2026-07-28 tools/list whose _meta lacks clientCapabilities",
    )
}

/// H-22: an unsupported version is refused 400 -32022 with `data.supported` listing versions.
fn h_22(v: &View<'_>) -> Option<Finding> {
    let sent = "a tools/list naming protocol version 2099-01-01";
    let mut f = refused(v, "H-22", labels::MODERN_UNSUPPORTED_VERSION, errors::UNSUPPORTED_PROTOCOL_VERSION, sent)?;
    if f.status != Status::Success {
        return Some(f);
    }
    let e = v.probe(labels::MODERN_UNSUPPORTED_VERSION)?;
    let supported = rpc_error(e).and_then(|x| x.pointer("/data/supported").cloned());
    let listed =
        supported.as_ref().and_then(Value::as_array).is_some_and(|a| !a.is_empty() && a.iter().all(Value::is_string));
    if !listed {
        f = v.violated(
            "H-22",
            format!(
                "Expected the -32022 refusal of {sent} to list the supported versions in data.supported; it has {}.",
                shown(supported.as_ref())
            ),
            vec![e.seq],
            json!({"answer": summary(e)}),
        );
    } else {
        f.description = format!("{sent} is refused with 400 and -32022, data.supported {}.", shown(supported.as_ref()));
    }
    Some(f)
}
