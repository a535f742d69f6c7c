//! The MCP 2026-07-28 authorization rules (RS-21…RS-28), judged from the `modern_auth` probe
//! (and, for RS-21/RS-28, every PRM document and challenge in the transcript). Judged only when
//! the server was seen speaking 2026-07-28 — by the `modern` probe's era detection or by this
//! probe's own 2026-07-28 `tools/list` carrying `resultType` — and every finding names the era.
//!
//! RS-23 relaxes RS-13 for 2026-07-28 (a 403 need not repeat scopes already granted): RS-13's
//! step-up token always holds what the first token held plus what the challenge named, so a
//! server that names only the missing scopes is never failed there; RS-23 itself records what
//! the challenges named (INFO).
//!
//! Nothing here is reported unless the `modern_auth` probe ran, so runs without it are unchanged.

use harness_transcript::Exchange;
use mcp_wire::challenge::{Challenge, tool_challenges};
use serde_json::{Value, json};

use super::common::{View, answer, bearer, join, ok, params, result, seqs, summary};
use super::modern::{Seen, detect, tag};
use super::session::{common_affixes, entropy_bits};
use crate::model::Finding;
use crate::probe_record::{MODERN_AUTH_READS, MODERN_AUTH_STEP_UPS, PRM_WELL_KNOWN, labels, path_prm_url};

/// The IDs this area judges.
pub const IDS: &[&str] = &["RS-21", "RS-22", "RS-23", "RS-24", "RS-25", "RS-26", "RS-27", "RS-28"];

/// The IDs whose probing needs tokens for two users minted by an IdP the server trusts.
const NEEDS_TOKENS: &[&str] = &["RS-22", "RS-23", "RS-24", "RS-25", "RS-26", "RS-27"];

/// The probe's name as its labels carry it.
const PROBE: &str = "probe:modern_auth";

/// The findings of one of [`IDS`] (the registry's judge for each).
pub(crate) fn for_id(v: &View<'_>, id: &str) -> Vec<Finding> {
    if !v.ran(PROBE) {
        return Vec::new();
    }
    let f = match gate(v, id) {
        Some(skip) => skip,
        None => match id {
            "RS-21" => rs_21(v),
            "RS-22" => rs_22(v),
            "RS-23" => rs_23(v),
            "RS-24" => rs_24(v),
            "RS-25" => rs_25(v),
            "RS-26" => rs_26(v),
            "RS-27" => rs_27(v),
            "RS-28" => rs_28(v),
            _ => return Vec::new(),
        },
    };
    vec![tag(f)]
}

/// The probe's own 2026-07-28 `tools/list` (user A), when it got a result.
fn tools_list<'a>(v: &View<'a>) -> Option<(&'a Exchange, Value)> {
    let e = v.probe(labels::MODERN_AUTH_TOOLS_LIST).filter(|e| ok(e))?;
    result(e).map(|r| (e, r))
}

/// `Some(SKIPPED finding)` when `id` cannot be judged in this run: the server does not speak
/// 2026-07-28, or the tokens the probe needs were not available.
fn gate(v: &View<'_>, id: &str) -> Option<Finding> {
    let ex = seqs(v.probes_prefixed(PROBE));
    let eras = detect(v);
    let own = tools_list(v).is_some_and(|(_, r)| r.get("resultType").is_some());
    let modern = eras.modern == Seen::Yes || own;
    let asked = v.probe(labels::MODERN_AUTH_TOOLS_LIST).is_some();
    if NEEDS_TOKENS.contains(&id) && !asked {
        return Some(v.skipped(
            id,
            "Not tested: needs tokens for two users minted by an IdP the server trusts. Run `connector-harness idp`, make the server trust its issuer and JWKS, and pass `--trusted-idp ISSUER`.",
            ex,
            Value::Null,
        ));
    }
    if modern {
        return None;
    }
    Some(if eras.modern == Seen::No || asked {
        v.skipped(
            id,
            "Not judged: the server does not speak 2026-07-28 (no 2026-07-28 request was served as 2026-07-28); the 2025 rules (RS-12/13/18) apply instead.",
            ex,
            json!({"eras": eras.name()}),
        )
    } else {
        v.untestable(
            id,
            "Not tested: no 2026-07-28 request with a token got an HTTP answer, so the server's era is unknown; testable with the `modern` probe and a token.",
            ex,
            json!({"eras": eras.name()}),
        )
    })
}

/// Every PRM document in the transcript: `(exchange, document)` for each 2xx GET of a
/// well-known PRM URL (probes or the connect) or of a challenge's `resource_metadata`.
fn prm_documents<'a>(v: &View<'a>) -> Vec<(&'a Exchange, Value)> {
    let metadata_urls: Vec<String> = v
        .exchanges()
        .iter()
        .filter_map(bearer)
        .filter_map(|c| c.param("resource_metadata").map(str::to_owned))
        .collect();
    v.exchanges()
        .iter()
        .filter(|e| e.method == "GET" && ok(e))
        .filter(|e| e.url.contains(PRM_WELL_KNOWN) || metadata_urls.contains(&e.url))
        .filter_map(|e| e.json().filter(|d| d.get("resource").is_some()).map(|d| (e, d)))
        .collect()
}

/// A challenge of an answer: `WWW-Authenticate` Bearer, or a tool result's
/// `_meta["mcp/www_authenticate"]`.
fn challenge(e: &Exchange) -> Option<Challenge> {
    if matches!(e.status, Some(401 | 403)) {
        return bearer(e);
    }
    result(e).filter(|_| ok(e)).and_then(|r| tool_challenges(&r).into_iter().next())
}

/// A result the server served as a success (2xx, a `result`, not `isError`).
fn served(e: &Exchange) -> Option<Value> {
    result(e).filter(|r| ok(e) && r.get("isError") != Some(&Value::Bool(true)))
}

/// How a request was refused: the HTTP status, plus the JSON-RPC error code or `isError`.
fn refusal(e: &Exchange) -> String {
    let code = super::common::rpc_error(e).and_then(|x| x.get("code").and_then(Value::as_i64));
    match (code, result(e).and_then(|r| r.get("isError").cloned())) {
        (Some(c), _) => format!("{}, JSON-RPC error {c}", answer(e)),
        (None, Some(Value::Bool(true))) => format!("{}, a tool result with isError", answer(e)),
        _ => answer(e),
    }
}

/// The request body as JSON.
fn request_json(e: &Exchange) -> Option<Value> {
    e.request_body.as_deref().and_then(|b| serde_json::from_str(b).ok())
}

/// The tool a `tools/call` request named.
fn called_tool(e: &Exchange) -> String {
    request_json(e)
        .and_then(|b| b.pointer("/params/name").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| "(unknown)".to_owned())
}

/// RS-21 (SHOULD NOT): no `offline_access` in PRM `scopes_supported` or a challenge's `scope`.
fn rs_21(v: &View<'_>) -> Finding {
    let docs = prm_documents(v);
    let challenges: Vec<(&Exchange, Challenge)> =
        v.exchanges().iter().filter_map(|e| bearer(e).filter(|c| c.param("scope").is_some()).map(|c| (e, c))).collect();
    let mut problems = Vec::new();
    let mut ex = Vec::new();
    for (e, d) in &docs {
        let listed = d.get("scopes_supported").and_then(Value::as_array);
        if listed.is_some_and(|a| a.iter().any(|s| s.as_str() == Some("offline_access"))) {
            problems.push(format!("the PRM at {} lists offline_access in scopes_supported", e.url));
            ex.push(e.seq);
        }
    }
    for (e, c) in &challenges {
        if c.scopes().iter().any(|s| s == "offline_access") {
            problems.push(format!("the challenge of `{}` ({}) names offline_access in scope", e.label, answer(e)));
            ex.push(e.seq);
        }
    }
    if docs.is_empty() && challenges.is_empty() {
        return v.untestable(
            "RS-21",
            "Not tested: no PRM document and no challenge with a scope was seen; testable once the PRM is fetchable.",
            seqs(v.probes_prefixed(PROBE)),
            Value::Null,
        );
    }
    if problems.is_empty() {
        ex = seqs(docs.iter().map(|(e, _)| *e).chain(challenges.iter().map(|(e, _)| *e)));
    }
    let problems = if problems.is_empty() {
        Vec::new()
    } else {
        vec![format!("Expected no offline_access in PRM scopes_supported or challenges: {}", join(&problems))]
    };
    v.verdict(
        "RS-21",
        problems,
        format!(
            "{} PRM document(s) and {} challenge(s) with a scope seen; none names offline_access.",
            docs.len(),
            challenges.len()
        ),
        ex,
        Value::Null,
    )
}

/// The step-up calls of RS-22, in order.
fn step_ups<'a>(v: &View<'a>) -> Vec<&'a Exchange> {
    (1..=MODERN_AUTH_STEP_UPS)
        .filter_map(|n| v.probe(&labels::numbered(labels::MODERN_AUTH_STEP_UP_PREFIX, n)))
        .collect()
}

/// RS-22 (SHOULD): one challenge names every scope the operation needs.
fn rs_22(v: &View<'_>) -> Finding {
    let calls = step_ups(v);
    let Some(first) = calls.first() else {
        return v.untestable(
            "RS-22",
            "Not tested: no listed tool without required arguments declares two or more oauth2 scopes (securitySchemes); testable once one does.",
            seqs(v.probe(labels::MODERN_AUTH_TOOLS_LIST)),
            Value::Null,
        );
    };
    let tool = called_tool(first);
    let ex = seqs(calls.iter().copied());
    let named: Vec<String> = calls.iter().filter_map(|e| challenge(e)).map(|c| c.scopes().join(" ")).collect();
    let details = json!({"tool": tool, "calls": calls.iter().map(|e| summary(e)).collect::<Vec<_>>(), "challenged_scopes": named});
    let Some(c) = challenge(first) else {
        return v.info(
            "RS-22",
            format!(
                "`{tool}` declares several scopes, but the call with a token lacking them got {} without a challenge; nothing to count (scope enforcement is RS-12's).",
                answer(first)
            ),
            ex,
            details,
        );
    };
    if c.scopes().is_empty() {
        return v.violated(
            "RS-22",
            format!("Expected the challenge for `{tool}` to name the scopes it needs; it names none."),
            ex,
            details,
        );
    }
    let last = calls.last().copied().unwrap_or(first);
    match named.len() {
        1 => v.pass(
            "RS-22",
            format!("One challenge named every scope `{tool}` needs (`{}`); the next call got {}.", named[0], answer(last)),
            ex,
            details,
        ),
        n => v.violated(
            "RS-22",
            format!(
                "Expected one challenge naming every scope `{tool}` needs; the operation was challenged {n} times, one step at a time: {}{}.",
                named.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", then "),
                if challenge(last).is_some() { " (still challenged when the probe stopped)" } else { "" }
            ),
            ex,
            details,
        ),
    }
}

/// RS-23 (changed, INFO): what the 403s named; repeating granted scopes is allowed, not required.
fn rs_23(v: &View<'_>) -> Finding {
    let calls = step_ups(v);
    let challenged: Vec<(&Exchange, Challenge)> = calls.iter().filter_map(|e| challenge(e).map(|c| (*e, c))).collect();
    let Some((e, c)) = challenged.first() else {
        return v.untestable(
            "RS-23",
            "Not tested: no step-up challenge was observed (see RS-22).",
            seqs(calls.iter().copied()),
            Value::Null,
        );
    };
    let repeats = challenged.windows(2).any(|w| {
        let before = w[0].1.scopes();
        w[1].1.scopes().iter().any(|s| before.contains(s))
    });
    let later = if challenged.len() > 1 {
        if repeats {
            " A later challenge repeated scopes already named (and granted)."
        } else {
            " Later challenges named only scopes not yet granted."
        }
    } else {
        ""
    };
    v.info(
        "RS-23",
        format!(
            "The challenge for `{}` named `{}`.{later} In 2026-07-28 a 403 need not repeat scopes already granted (the client unions them), so this is recorded, not judged; RS-13's step-up token keeps the granted scopes.",
            called_tool(e),
            c.scopes().join(" ")
        ),
        seqs(challenged.iter().map(|(e, _)| *e)),
        json!({"challenges": challenged.iter().map(|(_, c)| params(c)).collect::<Vec<_>>()}),
    )
}

/// RS-24 (MUST): a token holding only a parent scope the AS defines satisfies a narrower one.
fn rs_24(v: &View<'_>) -> Finding {
    let Some(e) = v.probe(labels::MODERN_AUTH_PARENT_SCOPE) else {
        return v.untestable(
            "RS-24",
            "Not tested: scope hierarchies are the AS's and cannot be seen from outside. Name the parent scope (`modern_auth: {parent_scope: NAME}` in a scenario) and list a tool without required arguments whose scopes all sit under it.",
            seqs(v.probe(labels::MODERN_AUTH_TOOLS_LIST)),
            Value::Null,
        );
    };
    let tool = called_tool(e);
    let details = json!({"tool": tool, "answer": summary(e)});
    if let Some(c) = challenge(e) {
        return v.violated(
            "RS-24",
            format!(
                "Expected a token holding only the parent scope to satisfy `{tool}` (its scopes sit under it); it was challenged ({}, scope `{}`).",
                answer(e),
                c.scopes().join(" ")
            ),
            vec![e.seq],
            details,
        );
    }
    if served(e).is_some() {
        return v.pass(
            "RS-24",
            format!("A token holding only the parent scope was served calling `{tool}`."),
            vec![e.seq],
            details,
        );
    }
    v.untestable(
        "RS-24",
        format!("Not tested: the parent-scope call of `{tool}` got {}, neither served nor challenged.", answer(e)),
        vec![e.seq],
        details,
    )
}

/// The handle calls: owner (control), other user, no token.
fn handle_calls<'a>(v: &View<'a>) -> Option<(&'a Exchange, &'a Exchange, &'a Exchange)> {
    Some((
        v.probe(labels::MODERN_AUTH_HANDLE_OWNER)?,
        v.probe(labels::MODERN_AUTH_HANDLE_OTHER_USER)?,
        v.probe(labels::MODERN_AUTH_HANDLE_NO_TOKEN)?,
    ))
}

fn no_handles(v: &View<'_>, id: &str) -> Finding {
    let opens = v.probes_prefixed(labels::MODERN_AUTH_HANDLE_OPEN_PREFIX);
    let why = match opens.first() {
        None => "Not tested: no state-handle pair is listed (a tool without required arguments whose outputSchema has a string property, and a tool taking that property as its only required argument); testable once one is.".to_owned(),
        Some(e) => format!("Not tested: the handle-minting tool `{}` returned no handle ({}).", called_tool(e), answer(e)),
    };
    v.untestable(id, why, seqs(opens), Value::Null)
}

/// What a result carries apart from the fields that describe it (hints, `_meta`, `resultType`).
fn payload(r: &Value) -> Value {
    let mut r = r.clone();
    if let Some(m) = r.as_object_mut() {
        for k in ["_meta", "ttlMs", "cacheScope", "resultType"] {
            m.remove(k);
        }
    }
    r
}

/// RS-25 (MUST): a state handle is not authentication — refused without a token, and another
/// user presenting it is not served as its owner.
fn rs_25(v: &View<'_>) -> Finding {
    let Some((owner, other, none)) = handle_calls(v) else { return no_handles(v, "RS-25") };
    let ex = vec![owner.seq, other.seq, none.seq];
    let details = json!({"owner": summary(owner), "other_user": summary(other), "no_token": summary(none)});
    let tool = called_tool(owner);
    let Some(mine) = served(owner) else {
        return v.untestable(
            "RS-25",
            format!("Not tested: the handle's owner presenting it to `{tool}` got {}, so a refusal of others would show nothing.", answer(owner)),
            ex,
            details,
        );
    };
    let mut problems = Vec::new();
    if served(none).is_some() {
        problems.push(format!("`{tool}` with user A's handle and no token was served ({})", answer(none)));
    }
    if served(other).is_some_and(|r| payload(&r) == payload(&mine)) {
        problems.push(format!("user B presenting user A's handle to `{tool}` was served A's result"));
    }
    let problems = if problems.is_empty() {
        Vec::new()
    } else {
        vec![format!("Expected every request verified and a handle never to act as its owner: {}", join(&problems))]
    };
    v.verdict(
        "RS-25",
        problems,
        format!(
            "User A's handle: served to A, {} without a token, {} to user B.",
            refusal(none),
            if served(other).is_some() {
                "served (not as A)".to_owned()
            } else {
                format!("refused ({})", refusal(other))
            }
        ),
        ex,
        details,
    )
}

/// RS-26 (SHOULD): handles are non-deterministic (two minted for the same user differ, with no
/// counter and enough entropy).
fn rs_26(v: &View<'_>) -> Finding {
    let Some(owner) = v.probe(labels::MODERN_AUTH_HANDLE_OWNER) else { return no_handles(v, "RS-26") };
    let args = request_json(owner).and_then(|b| b.pointer("/params/arguments").cloned());
    let field = args.as_ref().and_then(Value::as_object).and_then(|m| m.keys().next().cloned()).unwrap_or_default();
    let opens = v.probes_prefixed(labels::MODERN_AUTH_HANDLE_OPEN_PREFIX);
    let handles: Vec<String> = opens
        .iter()
        .filter_map(|e| served(e))
        .filter_map(|r| {
            r.get("structuredContent").and_then(|c| c.get(&field)).and_then(Value::as_str).map(str::to_owned)
        })
        .collect();
    let ex = seqs(opens.iter().copied());
    if handles.len() < 2 {
        return v.untestable(
            "RS-26",
            format!(
                "Not tested: only {} of {} handle mints returned a handle; two are compared.",
                handles.len(),
                opens.len()
            ),
            ex,
            Value::Null,
        );
    }
    let ids: Vec<&str> = handles.iter().map(String::as_str).collect();
    let mut problems = Vec::new();
    if ids[0] == ids[1] {
        problems.push("two mints for the same user returned the same handle".to_owned());
    } else {
        let (pre, suf) = common_affixes(&ids);
        let middles: Vec<&str> = ids.iter().map(|s| &s[pre..s.len() - suf]).collect();
        if middles.iter().all(|m| !m.is_empty() && m.bytes().all(|b| b.is_ascii_digit())) {
            problems.push(format!("the handles differ only in a counter (`{}`, `{}`)", ids[0], ids[1]));
        }
    }
    let bits = entropy_bits(&ids);
    if bits < 64.0 && problems.is_empty() {
        problems.push(format!("about {bits:.0} bits of entropy (want at least 64)"));
    }
    let details = json!({"handles": ids, "estimated_bits": bits.round()});
    let problems = if problems.is_empty() {
        Vec::new()
    } else {
        vec![format!("Expected unguessable state handles: {}", join(&problems))]
    };
    v.verdict(
        "RS-26",
        problems,
        format!("Two handles minted for the same user differ, with about {bits:.0} bits of entropy (their binding to the user is RS-25's)."),
        ex,
        details,
    )
}

/// RS-27 (MUST): results that differ between two users carry `cacheScope: "private"`.
fn rs_27(v: &View<'_>) -> Finding {
    let mut pairs = vec![(
        "tools/list".to_owned(),
        labels::MODERN_AUTH_TOOLS_LIST.to_owned(),
        labels::MODERN_AUTH_TOOLS_LIST_B.to_owned(),
    )];
    for n in 1..=MODERN_AUTH_READS {
        let a = labels::numbered(labels::MODERN_AUTH_READ_A_PREFIX, n);
        let uri = v
            .probe(&a)
            .and_then(request_json)
            .and_then(|b| b.pointer("/params/uri").and_then(Value::as_str).map(str::to_owned));
        if let Some(uri) = uri {
            pairs.push((format!("resources/read {uri}"), a, labels::numbered(labels::MODERN_AUTH_READ_B_PREFIX, n)));
        }
    }
    let mut compared = Vec::new();
    let mut differing = Vec::new();
    let mut problems = Vec::new();
    let mut ex = Vec::new();
    for (what, a, b) in &pairs {
        let (Some(ea), Some(eb)) = (v.probe(a), v.probe(b)) else { continue };
        let (Some(ra), Some(rb)) = (served(ea), served(eb)) else { continue };
        ex.extend([ea.seq, eb.seq]);
        compared.push(what.clone());
        if payload(&ra) == payload(&rb) {
            continue;
        }
        differing.push(what.clone());
        let scopes: Vec<String> =
            [&ra, &rb].iter().map(|r| r.get("cacheScope").map_or("(absent)".to_owned(), |s| s.to_string())).collect();
        if [&ra, &rb].iter().any(|r| r.get("cacheScope").and_then(Value::as_str) != Some("private")) {
            problems.push(format!(
                "{what} differs between users A and B but is marked cacheScope {} / {}",
                scopes[0], scopes[1]
            ));
        }
    }
    let details = json!({"compared": compared, "differing": differing});
    if compared.is_empty() {
        return v.untestable(
            "RS-27",
            "Not tested: no result was served to both users (tools/list, resources/read); testable once one is.",
            seqs(v.probes_prefixed(PROBE)),
            details,
        );
    }
    if differing.is_empty() {
        return v.untestable(
            "RS-27",
            format!(
                "Not tested: {} result(s) compared under two users ({}), none differed, so none is per-user; a per-user resource would make it testable.",
                compared.len(),
                compared.join(", ")
            ),
            ex,
            details,
        );
    }
    let problems = if problems.is_empty() {
        Vec::new()
    } else {
        vec![format!("Expected per-user results to carry cacheScope \"private\": {}", join(&problems))]
    };
    v.verdict(
        "RS-27",
        problems,
        format!(
            "{} result(s) differ between users A and B ({}); each is marked cacheScope \"private\".",
            differing.len(),
            differing.join(", ")
        ),
        ex,
        details,
    )
}

/// RS-28 (MUST): the PRM `resource` is exactly the URL clients connect to, byte for byte. The PRM
/// judged is the one the server points to: a challenge's `resource_metadata`, else the
/// path-suffixed well-known URL, else the first fetched.
fn rs_28(v: &View<'_>) -> Finding {
    let docs = prm_documents(v);
    let pointed: Vec<String> = v
        .exchanges()
        .iter()
        .filter_map(bearer)
        .filter_map(|c| c.param("resource_metadata").map(str::to_owned))
        .collect();
    let path = path_prm_url(v.target());
    let chosen = docs
        .iter()
        .find(|(e, _)| pointed.contains(&e.url))
        .or_else(|| docs.iter().find(|(e, _)| Some(&e.url) == path.as_ref()))
        .or_else(|| docs.first());
    let Some((e, d)) = chosen else {
        return v.untestable(
            "RS-28",
            "Not tested: no PRM document with a `resource` was fetched; testable once the PRM is served.",
            seqs(v.probes_prefixed(PROBE)),
            Value::Null,
        );
    };
    let resource =
        d.get("resource").map(|r| r.as_str().map_or_else(|| r.to_string(), str::to_owned)).unwrap_or_default();
    let details = json!({"prm": e.url, "resource": resource, "target": v.target()});
    if resource == v.target() {
        v.pass(
            "RS-28",
            format!("The PRM at {} names `resource` {resource}, exactly the URL connected to.", e.url),
            vec![e.seq],
            details,
        )
    } else {
        v.violated(
            "RS-28",
            format!(
                "Expected the PRM `resource` to be exactly the URL clients connect to ({}); the PRM at {} names {resource:?}, and exact-match authorization servers will refuse it.",
                v.target(),
                e.url
            ),
            vec![e.seq],
            details,
        )
    }
}
