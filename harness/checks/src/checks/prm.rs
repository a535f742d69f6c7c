//! Protected Resource Metadata (RFC 9728) as the MCP authorization spec requires it: served
//! (RS-01), listing authorization servers (RS-02), discoverable (RS-03), naming the canonical
//! resource (RS-18), and the challenge's `resource_metadata` fetchable (RS-19).

use harness_transcript::Exchange;
use serde_json::{Value, json};

use super::common::{View, acceptable_metadata_url, answer, bearer, body_json, join, same_resource, seqs, summary};
use crate::model::Finding;
use crate::probe_record::{self as probes, labels};

/// A served PRM document: 200 and a JSON object (RFC 9728 §3.2).
fn document(e: &Exchange) -> Option<Value> {
    body_json(e).filter(|d| e.status == Some(200) && d.is_object())
}

/// Why a fetch did not yield a document.
fn why_not(e: &Exchange) -> String {
    match (e.status, body_json(e)) {
        (Some(200), Some(_)) => format!("{} answered 200 with JSON that is not an object", e.url),
        (Some(200), None) => {
            format!(
                "{} answered 200 but the body is not JSON{}",
                e.url,
                harness_transcript::transcript::cut_note(e.truncated)
            )
        }
        _ => format!("{} answered {}", e.url, answer(e)),
    }
}

/// The PRM documents served, one per URL (the latest fetch of each).
fn documents<'a>(v: &View<'a>) -> Vec<(&'a Exchange, Value)> {
    let mut out: Vec<(&Exchange, Value)> = Vec::new();
    for e in v.prm_fetches().into_iter().rev() {
        if out.iter().any(|(x, _)| x.url == e.url) {
            continue;
        }
        if let Some(d) = document(e) {
            out.push((e, d));
        }
    }
    out.reverse();
    out
}

/// RS-01: RFC 9728 metadata is served somewhere a client looks (A0618 L61, L76-78; A1125 L63,
/// L80-82). HEAD answers are recorded only: RFC 9110 wants HEAD to match GET, but MCP does not
/// require HEAD.
pub(super) fn rs_01(v: &View<'_>) -> Option<Finding> {
    let fetches = v.prm_fetches();
    if fetches.is_empty() {
        return None;
    }
    let heads: Vec<Value> =
        [labels::PRM_ROOT_HEAD, labels::PRM_PATH_HEAD].iter().filter_map(|l| v.probe(l)).map(summary).collect();
    let details = json!({"fetches": fetches.iter().map(|e| summary(e)).collect::<Vec<_>>(), "head": heads});
    let docs = documents(v);
    if docs.is_empty() {
        let mut reasons: Vec<String> = Vec::new();
        for e in &fetches {
            let r = why_not(e);
            if !reasons.contains(&r) {
                reasons.push(r);
            }
        }
        let desc = format!(
            "Expected Protected Resource Metadata (200 with a JSON object) at a well-known URL or the challenge's resource_metadata; none was served: {}",
            join(&reasons)
        );
        return Some(v.violated("RS-01", desc, seqs(fetches), details));
    }
    let urls: Vec<&str> = docs.iter().map(|(e, _)| e.url.as_str()).collect();
    Some(v.pass(
        "RS-01",
        format!("Protected Resource Metadata is served at {}.", urls.join(" and ")),
        seqs(fetches),
        details,
    ))
}

/// The FAILURE for RS-02/RS-18 when prm_fetch ran but no document came back.
fn no_document(v: &View<'_>, id: &str) -> Option<Finding> {
    let fetches = v.prm_fetches();
    let probed = v.ran("probe:prm_fetch");
    probed.then(|| {
        v.untestable(
            id,
            "Not tested: no Protected Resource Metadata document was served (see RS-01); testable once one is.",
            seqs(fetches),
            Value::Null,
        )
    })
}

/// RS-02: `authorization_servers` lists at least one AS, each an absolute URL (A0618 L77-78;
/// A1125 L81-82; RFC 9728 §2).
pub(super) fn rs_02(v: &View<'_>) -> Option<Finding> {
    let docs = documents(v);
    if docs.is_empty() {
        return no_document(v, "RS-02");
    }
    let mut problems = Vec::new();
    for (e, d) in &docs {
        match d.get("authorization_servers") {
            None => problems.push(format!("{} has no authorization_servers", e.url)),
            Some(Value::Array(a)) if a.is_empty() => problems.push(format!("{} lists no authorization server", e.url)),
            Some(Value::Array(a)) => {
                for s in a {
                    let ok = s
                        .as_str()
                        .and_then(|s| url::Url::parse(s).ok())
                        .is_some_and(|u| matches!(u.scheme(), "http" | "https"));
                    if !ok {
                        problems.push(format!("{} lists {s}, which is not an absolute http(s) URL", e.url));
                    }
                }
            }
            Some(other) => problems.push(format!("{}: authorization_servers is {other}, not an array", e.url)),
        }
    }
    let servers: Vec<Value> = docs
        .iter()
        .map(|(e, d)| json!({"url": e.url, "authorization_servers": d.get("authorization_servers")}))
        .collect();
    let ok = format!(
        "Every PRM document lists its authorization server(s): {}.",
        docs[0].1.get("authorization_servers").map(Value::to_string).unwrap_or_default()
    );
    let problems = if problems.is_empty() {
        problems
    } else {
        vec![format!("Expected a non-empty authorization_servers array of absolute URLs; {}", problems.join("; "))]
    };
    Some(v.verdict("RS-02", problems, ok, seqs(docs.iter().map(|(e, _)| *e)), json!({"documents": servers})))
}

/// RS-03: the PRM can be discovered. 2025-06-18 (A0618 L87-88): the 401's `WWW-Authenticate`
/// carries `resource_metadata`. 2025-11-25 (A1125 L93-99): that, or a well-known URL. Whether
/// the named URL works is RS-19's question.
pub(super) fn rs_03(v: &View<'_>) -> Option<Finding> {
    let challenged: Vec<&Exchange> =
        v.unauthenticated().into_iter().filter(|e| e.status.is_some_and(|s| s >= 400)).collect();
    let in_header: Vec<&Exchange> = challenged
        .iter()
        .copied()
        .filter(|e| bearer(e).is_some_and(|c| c.param("resource_metadata").is_some()))
        .collect();
    let well_known: Vec<&Exchange> = v
        .prm_fetches()
        .into_iter()
        .filter(|e| document(e).is_some())
        .filter(|e| {
            Some(e.url.as_str()) == probes::root_prm_url(v.target()).as_deref()
                || Some(e.url.as_str()) == probes::path_prm_url(v.target()).as_deref()
        })
        .collect();
    let details = json!({
        "resource_metadata_in_challenge": !in_header.is_empty(),
        "well_known": well_known.iter().map(|e| e.url.clone()).collect::<Vec<_>>(),
        "challenges": challenged.iter().map(|e| summary(e)).collect::<Vec<_>>(),
    });
    let mut ex = seqs(challenged.iter().copied());
    ex.extend(seqs(well_known.iter().copied()));
    if v.spec() == mcp_wire::SpecVersion::V2025_06_18 {
        if challenged.is_empty() {
            let served = v.unauthenticated();
            return (!served.is_empty()).then(|| {
                v.info(
                    "RS-03",
                    "Not judged: no unauthenticated request was challenged, so the 401 resource_metadata 2025-06-18 requires could not be seen.",
                    seqs(served),
                    details,
                )
            });
        }
        return Some(if in_header.is_empty() {
            v.violated(
                "RS-03",
                format!(
                    "Expected the 401 challenge to carry resource_metadata (2025-06-18 makes it the only way to find the PRM); got `{}`.",
                    super::common::www_authenticate(challenged[0]).unwrap_or_else(|| "no WWW-Authenticate".into())
                ),
                ex,
                details,
            )
        } else {
            v.pass("RS-03", "The 401 challenge names the PRM in resource_metadata.", ex, details)
        });
    }
    if challenged.is_empty() && well_known.is_empty() && v.prm_fetches().is_empty() {
        return None;
    }
    let how = match (in_header.is_empty(), well_known.is_empty()) {
        (false, false) => "both the challenge's resource_metadata and a well-known URL",
        (false, true) => "the challenge's resource_metadata",
        (true, false) => "a well-known URL (the challenge has no resource_metadata)",
        (true, true) => {
            return Some(v.violated(
                "RS-03",
                "Expected the PRM to be discoverable through the 401 challenge's resource_metadata or a well-known URL (2025-11-25); neither works.",
                ex,
                details,
            ));
        }
    };
    Some(v.pass("RS-03", format!("The PRM is discoverable through {how}."), ex, details))
}

/// RS-18: the PRM `resource` is the MCP server's canonical URI (RFC 9728 §3.3; A1125 L411-413).
pub(super) fn rs_18(v: &View<'_>) -> Option<Finding> {
    let docs = documents(v);
    if docs.is_empty() {
        return no_document(v, "RS-18");
    }
    let target = v.target();
    let mut problems = Vec::new();
    let mut notes = Vec::new();
    for (e, d) in &docs {
        match d.get("resource").and_then(Value::as_str) {
            None => problems.push(format!("{} has no resource", e.url)),
            Some(r) => match same_resource(r, target) {
                Some(true) => {}
                Some(false) => {
                    notes.push(format!("{} names `{r}`, which differs from `{target}` only by a trailing slash", e.url))
                }
                None => problems.push(format!("{} names resource `{r}`", e.url)),
            },
        }
    }
    let details = json!({
        "expected": target,
        "documents": docs.iter().map(|(e, d)| json!({"url": e.url, "resource": d.get("resource")})).collect::<Vec<_>>(),
    });
    let ex = seqs(docs.iter().map(|(e, _)| *e));
    if !problems.is_empty() {
        let desc = format!("Expected every PRM's resource to be the MCP URL `{target}`; {}", join(&problems));
        return Some(v.violated("RS-18", desc, ex, details));
    }
    let mut desc = format!("Every PRM names the MCP URL `{target}` as its resource.");
    if !notes.is_empty() {
        desc = format!("{desc} Note: {}", join(&notes));
    }
    Some(v.pass("RS-18", desc, ex, details))
}

/// RS-19: every `resource_metadata` a challenge names is absolute, https (http only on loopback),
/// fetchable, and a JSON object (RFC 9728 §5.1; A1125 L95).
pub(super) fn rs_19(v: &View<'_>) -> Option<Finding> {
    let challenged: Vec<&Exchange> =
        v.exchanges().iter().filter(|e| matches!(e.status, Some(401 | 403)) && v.is_mcp(e)).collect();
    let mut urls: Vec<(String, u32)> = Vec::new();
    for e in &challenged {
        if let Some(u) = bearer(e).and_then(|c| c.param("resource_metadata").map(str::to_owned))
            && !urls.iter().any(|(x, _)| *x == u)
        {
            urls.push((u, e.seq));
        }
    }
    if urls.is_empty() {
        let any_bearer: Vec<&Exchange> = challenged.iter().copied().filter(|e| bearer(e).is_some()).collect();
        return (!any_bearer.is_empty()).then(|| {
            v.skipped("RS-19", "No challenge names a resource_metadata URL (see RS-03).", seqs(any_bearer), Value::Null)
        });
    }
    let mut problems = Vec::new();
    let mut ex = Vec::new();
    let mut untested = Vec::new();
    let mut rows = Vec::new();
    for (u, seq) in &urls {
        ex.push(*seq);
        if let Err(why) = acceptable_metadata_url(u) {
            problems.push(why);
            rows.push(json!({"url": u, "problem": "not an acceptable URL"}));
            continue;
        }
        match v.fetched(u) {
            Some(e) => {
                ex.push(e.seq);
                rows.push(summary(e));
                if document(e).is_none() {
                    problems.push(why_not(e));
                }
            }
            None => untested.push(u.clone()),
        }
    }
    let details = json!({"resource_metadata": rows});
    if !problems.is_empty() {
        let desc = format!(
            "Expected the challenge's resource_metadata to be an absolute https URL serving PRM JSON; {}",
            join(&problems)
        );
        return Some(v.violated("RS-19", desc, ex, details));
    }
    if !untested.is_empty() {
        if !v.ran(labels::UNAUTHENTICATED) {
            return None;
        }
        let desc = format!(
            "Not tested: {} was named but never fetched (no probe reached it; run the unauthenticated probe).",
            untested.join(", ")
        );
        return Some(v.untestable("RS-19", desc, ex, details));
    }
    let names: Vec<&str> = urls.iter().map(|(u, _)| u.as_str()).collect();
    Some(v.pass(
        "RS-19",
        format!("The challenge's resource_metadata ({}) is fetchable and serves PRM JSON.", names.join(", ")),
        ex,
        details,
    ))
}
