//! `connector-harness profiles infer CAPTURE`: a profile written from what a captured client did.
//! Pure: a transcript and the profile it is written as a change of in, YAML out.
//!
//! A profile needs every fact, and a capture shows only some, so the inferred profile `extends:`
//! a base (the profile it is meant to update) and writes only the facts the capture shows, each
//! with evidence `captured`, the capture's date and the capture file as its source. What it leaves
//! to the base is named in a comment at the top, so nobody mistakes an inherited fact for an
//! observation. A fact the capture shows only in part (the registration method used, not the
//! whole priority; the PRM lookups until the first document found) is written only where the
//! base contradicts it, and its note says which part was seen.
//!
//! `profiles diff INFERRED CAPTURE` then reports no difference; the profile as written is
//! diffed against the capture before it is returned, and anything that still differs (a derived
//! field no written fact can say) is named in [`Inferred::unresolved`] and in the YAML.

use crate::profile_diff::diff_showing;
use client_profile::Profile;
use harness_transcript::{ExchangeKind, Transcript};
use serde_json::{Map, Value, json};

/// Facts the capture shows only in part: written only when the base contradicts them.
const PARTIAL: [&str; 5] =
    ["auth_mode", "registration.priority", "redirect_uri", "discovery.prm_order", "discovery.as_probes"];

/// What the note of a partly shown fact says.
fn partial_note(field: &str) -> &'static str {
    match field {
        "auth_mode" => "the capture shows how this session authenticated, not the connector form's other choices",
        "registration.priority" => "the capture shows the registration method used, not the order of the others",
        "redirect_uri" => {
            "the capture shows one redirect URI; the rule choosing it (stable or per connector) is not shown"
        }
        "discovery.prm_order" => {
            "the capture shows the lookups until the client found a document; later ones are not shown"
        }
        _ => "the capture shows the probes until the client found a document; later ones are not shown",
    }
}

/// An inferred profile.
#[derive(Debug, Clone, PartialEq)]
pub struct Inferred {
    /// The profile as YAML, loadable with `client_profile::from_file` (it `extends:` the base).
    pub yaml: String,
    /// Fields written from the capture.
    pub written: Vec<String>,
    /// Fields the capture shows only in part and the base agrees with: kept from the base.
    pub consistent: Vec<String>,
    /// Fields the capture does not show: kept from the base.
    pub left_out: Vec<String>,
    /// Fields the profile needs a hand edit for (why, per field): what the capture shows but no
    /// written fact can say, and what an emulation of it needs that the capture does not hold.
    pub unresolved: Vec<(String, String)>,
}

/// Where the capture came from, for each written fact's provenance.
#[derive(Debug, Clone)]
pub struct Provenance {
    /// The new profile's name.
    pub name: String,
    /// When the capture was taken (`2026-11-30`).
    pub observed: String,
    /// The capture (its file name or path).
    pub source: String,
}

/// Writes the profile `t` shows, as a change of `base`.
pub fn infer(base: &Profile, t: &Transcript, prov: &Provenance) -> Inferred {
    let (diff, shown) = diff_showing(base, t);
    let differs = |f: &str| diff.differences.iter().any(|d| d.field == f);
    let mut root = Map::new();
    let mut written = Vec::new();
    let mut consistent = Vec::new();
    let mut unresolved = Vec::new();
    let fact = |value: Value, note: Option<&str>| {
        let mut m = Map::new();
        m.insert("value".into(), value);
        m.insert("evidence".into(), json!("captured"));
        m.insert("observed".into(), json!(prov.observed));
        m.insert("source".into(), json!(prov.source));
        if let Some(n) = note {
            m.insert("note".into(), json!(n));
        }
        Value::Object(m)
    };
    let redirect = shown.iter().find(|(f, _)| f == "redirect_uri").and_then(|(_, v)| v.as_str()).map(str::to_owned);
    for (field, value) in &shown {
        let (value, note) = match field.as_str() {
            // One message the client showed fits a template of the base's: the template stays.
            f if f.starts_with("messages.") => {
                consistent.push(field.clone());
                continue;
            }
            "messages" => {
                unresolved.push((
                    field.clone(),
                    format!(
                        "the client showed {value}, which none of {}'s messages is; which failure it names is not shown, \
                         so add it to `messages` by hand",
                        base.name
                    ),
                ));
                continue;
            }
            f if PARTIAL.contains(&f) && !differs(f) => {
                consistent.push(field.clone());
                continue;
            }
            "redirect_uri" => (json!({"rule": "stable", "stable": value}), Some(partial_note(field))),
            f if PARTIAL.contains(&f) => (value.clone(), Some(partial_note(f))),
            "registration.dcr_body" => (template_redirect(value, redirect.as_deref()), None),
            "token_request.headers" => (token_headers(t), None),
            // Derived from the DCR body or the CIMD document, not a fact of its own: the DCR body
            // written above carries the method the client asked for; a CIMD document is fetched
            // by the authorization server, and a client's capture does not show it.
            // Derived from the DCR body or the CIMD document, not a fact of its own: the DCR body
            // written here carries the method the client asked for; a CIMD document is fetched
            // by the authorization server, and a client's capture does not show it. Whether it
            // still differs is seen below, on the profile as written.
            "token_request.client_auth" => continue,
            _ => (value.clone(), None),
        };
        insert(&mut root, field, fact(value, note));
        written.push(field.clone());
    }
    // A client that used CIMD needs its document to be emulated; the AS fetches it, the client's
    // capture does not hold it.
    let used_cimd = shown.iter().any(|(f, v)| f == "registration.priority" && v == &json!(["cimd"]));
    if used_cimd && base.registration.cimd.is_none() {
        unresolved.push((
            "registration.cimd".into(),
            format!(
                "the client registered with a Client ID Metadata Document, which the authorization server fetches \
                 and the capture does not show; {} has none, so write registration.cimd by hand or take a base that has one",
                base.name
            ),
        ));
    }
    // The profile as written, checked against the capture: what still differs could not be
    // said by the facts written (a CIMD document's method, a message no template has).
    let mut resolved = serde_json::to_value(base).unwrap_or_default();
    client_profile::merge(&mut resolved, Value::Object(root.clone()));
    if let Ok(p) = serde_json::from_value::<Profile>(resolved) {
        for d in diff_showing(&p, t).0.differences {
            if !unresolved.iter().any(|(f, _)| *f == d.field) {
                let why = match d.field.as_str() {
                    "token_request.client_auth" => format!(
                        "the client authenticated with {} where its registration (the DCR body, or the CIMD document \
                         the capture does not show) asks for {}",
                        d.captured, d.profile
                    ),
                    _ => format!("the capture shows {}, which the facts written do not say", d.captured),
                };
                unresolved.push((d.field, why));
            }
        }
    }
    let mut left_out = diff.unobserved.clone();
    left_out.retain(|f| !written.contains(f) && !consistent.contains(f));
    let header = json!({
        "extends": base.name,
        "name": prov.name,
        "display": format!("{} as captured {}", base.display, prov.observed),
        "description": format!(
            "Inferred by `connector-harness profiles infer` from {} ({}): the facts that capture shows, \
             each with evidence `captured`; every other fact is {}'s.",
            prov.source, prov.observed, base.name
        ),
    });
    let mut doc = header.as_object().cloned().unwrap_or_default();
    doc.extend(root);
    let mut yaml = String::new();
    yaml.push_str(&format!("# Inferred from {} ({}).\n", comment_safe(&prov.source), prov.observed));
    yaml.push_str(&format!("# Written from the capture: {}.\n", list(&written)));
    yaml.push_str(&format!(
        "# Shown only in part by the capture and consistent with {} (kept from it): {}.\n",
        base.name,
        list(&consistent)
    ));
    yaml.push_str(&format!("# Not shown by the capture (kept from {}): {}.\n", base.name, list(&left_out)));
    for (f, why) in &unresolved {
        yaml.push_str(&format!("# Not written: {f}: {why}.\n"));
    }
    yaml.push_str(&serde_saphyr::to_string(&Value::Object(doc)).unwrap_or_default());
    Inferred { yaml, written, consistent, left_out, unresolved }
}

fn list(v: &[String]) -> String {
    if v.is_empty() { "none".into() } else { v.join(", ") }
}

/// A file name in a YAML comment: one line.
fn comment_safe(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { '?' } else { c }).collect()
}

/// Sets `a.b.c` in a nested map.
fn insert(root: &mut Map<String, Value>, path: &str, v: Value) {
    let mut parts = path.split('.').peekable();
    let mut m = root;
    while let Some(p) = parts.next() {
        if parts.peek().is_none() {
            m.insert(p.to_owned(), v);
            return;
        }
        let next = m.entry(p.to_owned()).or_insert_with(|| Value::Object(Map::new()));
        if !next.is_object() {
            *next = Value::Object(Map::new());
        }
        let Value::Object(n) = next else { return };
        m = n;
    }
}

/// The DCR body with the redirect URI the authorize request used put back as the profile's
/// `{redirect_uri}` template (the diff fills it in the same way).
fn template_redirect(v: &Value, redirect: Option<&str>) -> Value {
    match v {
        Value::String(s) if Some(s.as_str()) == redirect => json!("{redirect_uri}"),
        Value::Array(a) => Value::Array(a.iter().map(|x| template_redirect(x, redirect)).collect()),
        Value::Object(m) => Value::Object(m.iter().map(|(k, x)| (k.clone(), template_redirect(x, redirect))).collect()),
        _ => v.clone(),
    }
}

/// Headers a transport sets on its own; a profile does not list them.
const TRANSPORT_HEADERS: [&str; 5] = ["host", "content-length", "connection", "transfer-encoding", "cookie"];

/// The code exchange's request headers as sent, in order, but the transport's; the credentials of
/// an `Authorization` header become the profile's `{authorization}` template.
fn token_headers(t: &Transcript) -> Value {
    let Some(e) = t.exchanges.iter().find(|e| e.kind == ExchangeKind::Token { grant: "authorization_code".into() })
    else {
        return json!([]);
    };
    let pairs: Vec<Value> = e
        .request_headers
        .iter()
        .filter(|(k, _)| !TRANSPORT_HEADERS.iter().any(|h| k.eq_ignore_ascii_case(h)))
        .map(
            |(k, v)| {
                if k.eq_ignore_ascii_case("authorization") { json!([k, "{authorization}"]) } else { json!([k, v]) }
            },
        )
        .collect();
    Value::Array(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_nest_and_redirects_become_templates() {
        let mut m = Map::new();
        insert(&mut m, "a.b", json!(1));
        insert(&mut m, "a.c", json!(2));
        insert(&mut m, "d", json!(3));
        assert_eq!(Value::Object(m), json!({"a": {"b": 1, "c": 2}, "d": 3}));
        let body = json!({"redirect_uris": ["https://x/cb"], "client_name": "https://x/cb?no"});
        assert_eq!(
            template_redirect(&body, Some("https://x/cb")),
            json!({"redirect_uris": ["{redirect_uri}"], "client_name": "https://x/cb?no"})
        );
    }

    #[test]
    fn an_empty_capture_writes_nothing_and_names_everything_as_left_out() {
        let base = client_profile::builtin("chatgpt-2026-cimd").unwrap();
        let prov = Provenance { name: "x".into(), observed: "2026-11-30".into(), source: "empty.json".into() };
        let i = infer(&base, &Transcript::default(), &prov);
        assert!(i.written.is_empty(), "{:?}", i.written);
        assert!(i.left_out.contains(&"mcp.calls".to_owned()));
        assert!(i.yaml.contains("extends: chatgpt-2026-cimd"), "{}", i.yaml);
    }
}
