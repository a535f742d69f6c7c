//! Token validation (MCP §Token Handling, OAuth 2.1 §5.2, RFC 9068 §4): invalid tokens get 401
//! (RS-06), tokens for another audience are refused (RS-08), and only tokens for this resource pass
//! (RS-10). Judged from the garbage-token probe and the mock IdP's negative battery.

use harness_transcript::{Exchange, ExchangeKind};
use mcp_wire::NegativeToken;
use serde_json::json;

use super::challenge::invalid_token_probes;
use super::common::{View, answer, join, ok, seqs, summary};
use crate::model::Finding;
use crate::probe_record::{GARBAGE_TOKEN, labels};

/// The battery members that are wrong only in their audience: their acceptance is RS-08's finding.
pub(crate) const AUDIENCE_TOKENS: [NegativeToken; 4] = [
    NegativeToken::WrongAudience,
    NegativeToken::MissingAudience,
    NegativeToken::AudienceArrayWithoutResource,
    NegativeToken::OtherResourceSameIdp,
];

/// The negative token an exchange carried, from its kind.
pub(crate) fn kind_of(e: &Exchange) -> Option<NegativeToken> {
    NegativeToken::ALL.into_iter().find(|k| e.kind == ExchangeKind::probe(&labels::negative_token(*k)))
}

fn what(e: &Exchange) -> String {
    match kind_of(e) {
        Some(k) => format!("the {}", k.describe()),
        None if e.kind == ExchangeKind::probe(labels::GARBAGE_TOKEN) => format!("the garbage token `{GARBAGE_TOKEN}`"),
        None => e.label.clone(),
    }
}

/// RS-06: invalid, expired, forged and foreign-issuer tokens get 401 — never 2xx, never 5xx
/// (A0618 L267-268; A1125 L475-476). The audience tokens count here only for their status when
/// refused.
pub(super) fn rs_06(v: &View<'_>) -> Option<Finding> {
    let probes = invalid_token_probes(v);
    if probes.is_empty() {
        return None;
    }
    // Grouped by answer: "accepted (HTTP 200): the expired token, …; got HTTP 500: …".
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    let mut rows = Vec::new();
    for e in &probes {
        rows.push(json!({"token": what(e), "answer": answer(e), "seq": e.seq}));
        let audience_only = kind_of(e).is_some_and(|k| AUDIENCE_TOKENS.contains(&k));
        let group = match e.status {
            Some(401) => continue,
            Some(s) if (200..300).contains(&s) && audience_only => continue,
            Some(s) if (200..300).contains(&s) => format!("accepted (HTTP {s})"),
            _ => format!("got {}", answer(e)),
        };
        match groups.iter_mut().find(|(g, _)| *g == group) {
            Some((_, list)) => list.push(what(e)),
            None => groups.push((group, vec![what(e)])),
        }
    }
    let problems: Vec<String> = groups.into_iter().map(|(g, list)| format!("{g}: {}", list.join(", "))).collect();
    let details = json!({"answers": rows});
    let ex = seqs(probes.iter().copied());
    Some(if problems.is_empty() {
        v.pass("RS-06", format!("{} answered 401{}.", sent_tokens(&probes), battery_note(v)), ex, details)
    } else {
        v.violated("RS-06", format!("Expected 401 for every invalid token; {}", join(&problems)), ex, details)
    })
}

/// "The garbage token was" / "All 12 invalid tokens (the garbage token, …) were": what was sent.
fn sent_tokens(probes: &[&Exchange]) -> String {
    let names: Vec<String> = probes.iter().map(|e| what(e)).collect();
    match names.as_slice() {
        [one] => format!("{} was", capitalised(one)),
        many => format!("All {} invalid tokens sent ({}) were", many.len(), many.join(", ")),
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

/// Says so when the negative battery (forged, expired, foreign-issuer tokens) did not run.
fn battery_note(v: &View<'_>) -> &'static str {
    if v.probes_prefixed(labels::NEGATIVE_TOKEN_PREFIX).is_empty() {
        "; the forged, expired and foreign-issuer tokens of the negative battery were not sent (they need an IdP the server trusts: the mock IdP in a scenario, or `--trusted-idp`)"
    } else {
        ""
    }
}

fn refused_all(v: &View<'_>, id: &str, kinds: &[NegativeToken], ok_text: &str, expected: &str) -> Option<Finding> {
    let probes: Vec<&Exchange> = v
        .probes_prefixed(labels::NEGATIVE_TOKEN_PREFIX)
        .into_iter()
        .filter(|e| kind_of(e).is_some_and(|k| kinds.contains(&k)))
        .collect();
    if probes.is_empty() {
        return None;
    }
    let accepted: Vec<&Exchange> = probes.iter().copied().filter(|e| ok(e)).collect();
    let details =
        json!({"answers": probes.iter().map(|e| json!({"token": what(e), "answer": summary(e)})).collect::<Vec<_>>()});
    let ex = seqs(probes.iter().copied());
    Some(if accepted.is_empty() {
        v.pass(id, ok_text, ex, details)
    } else {
        let list: Vec<String> = accepted.iter().map(|e| format!("{} ({})", what(e), answer(e))).collect();
        v.violated(id, format!("{expected}; served: {}.", list.join(", ")), ex, details)
    })
}

/// RS-08: the audience is validated (A0618 L263-264; A1125 L471-472; RFC 8707 §2): genuine tokens
/// of the trusted IdP for another resource, or without `aud`, are refused.
pub(super) fn rs_08(v: &View<'_>) -> Option<Finding> {
    refused_all(
        v,
        "RS-08",
        &AUDIENCE_TOKENS,
        "Tokens for another audience (or without aud) are refused.",
        "Expected genuine tokens whose aud does not name this server to be refused, but the server does not validate the audience",
    )
}

/// RS-10: only tokens issued for this resource are accepted — the same IdP's token for another
/// resource on the same host is refused (A1125 L480-483).
pub(super) fn rs_10(v: &View<'_>) -> Option<Finding> {
    refused_all(
        v,
        "RS-10",
        &[NegativeToken::OtherResourceSameIdp],
        "A genuine token of the same IdP for another resource on this host is refused.",
        "Expected a token issued for another resource to be refused",
    )
}
