//! Sessions (Streamable HTTP §Session Management, MCP security best practices §Session Hijacking):
//! a session never authenticates (RS-15), its id is unguessable (RS-16) and visible ASCII (H-12),
//! a request without it gets 400 (H-13), a terminated one 404 (H-14), and DELETE ends it (H-15).

use harness_transcript::Exchange;
use serde_json::{Value, json};

use super::common::{View, answer, join, ok, seqs, summary};
use crate::model::Finding;
use crate::probe_record::{SESSION_SAMPLES, labels};

/// What happened to a probe's own `initialize`, when its main request is missing: `Skipped` when
/// the server answered without a session id (it has no sessions), `Untestable` otherwise.
fn setup_outcome(v: &View<'_>, id: &str, setup: &Exchange, what: &str) -> Finding {
    if ok(setup) && setup.response_header("mcp-session-id").is_none() {
        return v.skipped(
            id,
            "The server issues no session ids, so there is no session to test.",
            vec![setup.seq],
            Value::Null,
        );
    }
    v.untestable(
        id,
        format!("Not tested: initialize with a valid token got {}, so {what}; testable once initialize with a token succeeds.", answer(setup)),
        vec![setup.seq],
        json!({"initialize": summary(setup)}),
    )
}

/// RS-15: a live session id without a token is refused — sessions are not authentication (best
/// practices L575-576; every request carries the token, A1125 L447-455).
pub(super) fn rs_15(v: &View<'_>) -> Option<Finding> {
    let Some(e) = v.probe(labels::SESSION_WITHOUT_TOKEN) else {
        let setup = v.probe(labels::SESSION_WITHOUT_TOKEN_SETUP)?;
        return Some(setup_outcome(v, "RS-15", setup, "no session could be reused"));
    };
    let details = json!({"answer": summary(e)});
    Some(match e.status {
        Some(s) if (200..300).contains(&s) => v.violated(
            "RS-15",
            format!("Expected a request with a live Mcp-Session-Id but no Authorization to be refused (401); it was served (HTTP {s}): the session authenticates."),
            vec![e.seq],
            details,
        ),
        Some(_) => v.pass("RS-15", format!("A session id without a token is refused ({}).", answer(e)), vec![e.seq], details),
        None => v.untestable("RS-15", format!("Not tested: the request got {} instead of an HTTP answer; testable once the server answers it.", answer(e)), vec![e.seq], details),
    })
}

/// Estimated entropy in bits of the part of the ids that varies (common prefix and suffix
/// removed): length × log2(alphabet), the alphabet being hex when every varying character is a hex
/// digit, otherwise the character classes seen.
pub(super) fn entropy_bits(ids: &[&str]) -> f64 {
    let (pre, suf) = common_affixes(ids);
    let varying: Vec<&str> = ids.iter().map(|s| &s[pre..s.len() - suf]).collect();
    let chars: Vec<char> = varying.iter().flat_map(|s| s.chars()).filter(|c| *c != '-').collect();
    let alphabet: f64 = if chars.iter().all(char::is_ascii_hexdigit) {
        16.0
    } else {
        let mut n = 0.0;
        if chars.iter().any(char::is_ascii_digit) {
            n += 10.0;
        }
        if chars.iter().any(char::is_ascii_lowercase) {
            n += 26.0;
        }
        if chars.iter().any(char::is_ascii_uppercase) {
            n += 26.0;
        }
        let mut others: Vec<char> = chars.iter().copied().filter(|c| !c.is_ascii_alphanumeric()).collect();
        others.sort_unstable();
        others.dedup();
        n + others.len() as f64
    };
    let shortest = varying.iter().map(|s| s.chars().filter(|c| *c != '-').count()).min().unwrap_or(0);
    shortest as f64 * alphabet.max(2.0).log2()
}

/// Byte lengths of the longest common prefix and suffix (on char boundaries, not overlapping).
pub(super) fn common_affixes(ids: &[&str]) -> (usize, usize) {
    let Some(first) = ids.first() else { return (0, 0) };
    let shortest = ids.iter().map(|s| s.len()).min().unwrap_or(0);
    let mut pre = 0;
    for (i, c) in first.char_indices() {
        let end = i + c.len_utf8();
        if end > shortest || !ids.iter().all(|s| s.get(..end) == Some(&first[..end])) {
            break;
        }
        pre = end;
    }
    let mut suf = 0;
    for (i, _) in first.char_indices().rev() {
        let n = first.len() - i;
        if n + pre > shortest || !ids.iter().all(|s| s.len() >= n && s.get(s.len() - n..) == Some(&first[i..])) {
            break;
        }
        suf = n;
    }
    (pre, suf)
}

/// RS-16: session ids are unguessable (best practices L578-579, transports L201-202). Statistical
/// over [`SESSION_SAMPLES`] ids, so WARNING at most.
pub(super) fn rs_16(v: &View<'_>) -> Option<Finding> {
    let samples: Vec<&Exchange> = (1..=SESSION_SAMPLES).filter_map(|n| v.probe(&labels::session_sample(n))).collect();
    if samples.is_empty() {
        return None;
    }
    let ids: Vec<&str> = samples.iter().filter_map(|e| e.response_header("mcp-session-id")).collect();
    let ex = seqs(samples.iter().copied());
    if ids.len() < 2 {
        if samples.iter().all(|e| ok(e)) {
            return Some(v.skipped("RS-16", "The server issues no session ids.", ex, Value::Null));
        }
        return Some(v.untestable(
            "RS-16",
            format!(
                "Not tested: only {} of {} initializes with a valid token returned a session id.",
                ids.len(),
                samples.len()
            ),
            ex,
            json!({"answers": samples.iter().map(|e| summary(e)).collect::<Vec<_>>()}),
        ));
    }
    // A saved report's transcript holds placeholders, not ids: nothing to weigh.
    if ids.iter().any(|id| id.starts_with("[session-id-")) {
        return Some(v.skipped(
            "RS-16",
            "The sampled session ids are redacted in this transcript; check the live run to judge them.",
            ex,
            Value::Null,
        ));
    }
    let mut problems = Vec::new();
    let mut distinct = ids.clone();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < ids.len() {
        problems.push(format!("{} initializes returned only {} distinct session ids", ids.len(), distinct.len()));
    }
    let shortest = ids.iter().map(|s| s.len()).min().unwrap_or(0);
    if shortest < 16 {
        problems.push(format!("ids are as short as {shortest} characters"));
    }
    let (pre, suf) = common_affixes(&ids);
    let middles: Vec<&str> = ids.iter().map(|s| &s[pre..s.len() - suf]).collect();
    if middles.iter().all(|m| !m.is_empty() && m.bytes().all(|b| b.is_ascii_digit())) {
        problems.push(format!("ids differ only in a counter ({} … {})", ids[0], ids[ids.len() - 1]));
    }
    let bits = entropy_bits(&ids);
    if bits < 64.0 {
        problems.push(format!("about {bits:.0} bits of entropy (want at least 64)"));
    }
    let details = json!({"ids": ids, "estimated_bits": bits.round()});
    Some(if problems.is_empty() {
        v.pass(
            "RS-16",
            format!("{} sampled session ids are distinct, with about {bits:.0} bits of entropy.", ids.len()),
            ex,
            details,
        )
    } else {
        v.violated("RS-16", format!("Expected unguessable session ids: {}", join(&problems)), ex, details)
    })
}

/// H-12: session ids are visible ASCII, 0x21-0x7E (T1125 L198-205).
pub(super) fn h_12(v: &View<'_>) -> Option<Finding> {
    let with_id: Vec<(&Exchange, &str)> =
        v.exchanges().iter().filter_map(|e| e.response_header("mcp-session-id").map(|id| (e, id))).collect();
    if with_id.is_empty() {
        return None;
    }
    let bad: Vec<&(&Exchange, &str)> =
        with_id.iter().filter(|(_, id)| id.is_empty() || !id.bytes().all(|b| (0x21..=0x7E).contains(&b))).collect();
    let ex = seqs(with_id.iter().map(|(e, _)| *e));
    Some(match bad.first() {
        Some((e, id)) => v.violated(
            "H-12",
            format!("Expected session ids of visible ASCII (0x21-0x7E) only; `{}` got {:?}.", e.label, id),
            ex,
            json!({"bad": bad.iter().map(|(e, id)| json!({"seq": e.seq, "id": id})).collect::<Vec<_>>()}),
        ),
        None => v.pass("H-12", format!("All {} session ids seen are visible ASCII.", with_id.len()), ex, Value::Null),
    })
}

/// H-13: without `Mcp-Session-Id`, a server that uses sessions answers 400 (T1125 L206-210).
pub(super) fn h_13(v: &View<'_>) -> Option<Finding> {
    let e = v.probe(labels::MISSING_SESSION_ID)?;
    let details = json!({"answer": summary(e)});
    if !v.issues_sessions() {
        return Some(v.skipped(
            "H-13",
            "The server issues no session ids, so none can be missing.",
            vec![e.seq],
            details,
        ));
    }
    Some(match e.status {
        Some(400) => v.pass("H-13", "A request without Mcp-Session-Id gets 400.", vec![e.seq], details),
        None => v.untestable("H-13", format!("Not tested: the request got {} instead of an HTTP answer; testable once the server answers it.", answer(e)), vec![e.seq], details),
        Some(s) => v.violated(
            "H-13",
            format!(
                "Expected 400 for tools/list without Mcp-Session-Id from a server that issues session ids; got HTTP {s}{}.",
                if (200..300).contains(&s) { " (served outside any session)" } else { "" }
            ),
            vec![e.seq],
            details,
        ),
    })
}

/// H-14: after DELETE ended a session, requests naming it get 404 (T1125 L211-215).
pub(super) fn h_14(v: &View<'_>) -> Option<Finding> {
    let Some(del) = v.probe(labels::TERMINATED_DELETE) else {
        let setup = v.probe(labels::TERMINATED_INITIALIZE)?;
        return Some(setup_outcome(v, "H-14", setup, "there was no session to terminate"));
    };
    if del.status == Some(405) {
        return Some(v.skipped(
            "H-14",
            "The server does not let clients end sessions (DELETE → 405).",
            vec![del.seq],
            Value::Null,
        ));
    }
    if !ok(del) {
        return Some(v.skipped(
            "H-14",
            format!("DELETE got {}, so no session was terminated (see H-15).", answer(del)),
            vec![del.seq],
            Value::Null,
        ));
    }
    let Some(reuse) = v.probe(labels::TERMINATED_REUSE) else {
        return Some(v.untestable(
            "H-14",
            "Not tested: the request after DELETE was not sent.",
            vec![del.seq],
            Value::Null,
        ));
    };
    let ex = vec![del.seq, reuse.seq];
    let details = json!({"delete": summary(del), "reuse": summary(reuse)});
    Some(match reuse.status {
        Some(404) => v.pass("H-14", "A deleted session gets 404, so clients know to start a new one.", ex, details),
        Some(s) => v.violated(
            "H-14",
            format!(
                "Expected 404 for a session ended by DELETE ({}); got HTTP {s}{}.",
                answer(del),
                if (200..300).contains(&s) { ": the session is still served" } else { "" }
            ),
            ex,
            details,
        ),
        None => v.untestable(
            "H-14",
            format!(
                "Not tested: the reuse got {} instead of an HTTP answer; testable once the server answers it.",
                answer(reuse)
            ),
            ex,
            details,
        ),
    })
}

/// H-15: DELETE with a session id ends it (2xx) or is refused with 405 (T1125 L216-220).
pub(super) fn h_15(v: &View<'_>) -> Option<Finding> {
    let deletes: Vec<&Exchange> = v
        .exchanges()
        .iter()
        .filter(|e| {
            e.method == "DELETE" && v.is_mcp(e) && e.request_header("mcp-session-id").is_some() && e.status.is_some()
        })
        .collect();
    if deletes.is_empty() {
        return None;
    }
    let bad: Vec<&Exchange> = deletes.iter().copied().filter(|e| !ok(e) && e.status != Some(405)).collect();
    let ex = seqs(deletes.iter().copied());
    Some(match bad.first() {
        Some(e) => v.violated(
            "H-15",
            format!(
                "Expected DELETE of a live session to end it (2xx) or answer 405; `{}` got {}.",
                e.label,
                answer(e)
            ),
            ex,
            json!({"answer": summary(e)}),
        ),
        None => v.pass("H-15", format!("DELETE answers {}.", answer(deletes[0])), ex, Value::Null),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_and_affixes() {
        assert_eq!(common_affixes(&["session-1", "session-2"]), (8, 0));
        assert_eq!(common_affixes(&["a1z", "a2z"]), (1, 1));
        assert_eq!(common_affixes(&["same", "same"]), (4, 0));
        let uuids = ["3f2a1b4c-1d2e-4f30-8a9b-0c1d2e3f4a5b", "9e8d7c6b-5a49-4382-b716-05f4e3d2c1b0"];
        assert!(entropy_bits(&uuids) >= 100.0, "{}", entropy_bits(&uuids));
        assert!(entropy_bits(&["session-1", "session-2"]) < 8.0);
        let b64 = ["Zq3_xY9-aB2cD4eF6gH8iJ0kL1mN3oP5qR7sT9uV1wX", "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0U1v"];
        assert!(entropy_bits(&b64) > 200.0);
    }
}
