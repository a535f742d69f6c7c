//! `connector-harness profiles diff PROFILE CAPTURE`: field by field, what a captured client did
//! that the profile says it does not. Pure: a profile and a transcript in, differences out.
//!
//! Only what the capture shows is compared; a field it cannot show (no registration happened, no
//! refresh, no MCP call) is listed as unobserved, never reported as a difference. Sequences the
//! client cuts short on success (PRM lookups, AS metadata probes) are compared as a prefix of the
//! profile's order. Secrets are redacted in a capture, so values are compared after the redaction
//! placeholders (`[code-1]`) and the profile's templates (`{redirect_uri}`) are set aside.

use client_profile::{AsProbe, PrmSource, Profile, RegistrationKind};
use harness_transcript::{Exchange, ExchangeKind, Phase, PrmLookup, Transcript};
use serde::Serialize;
use serde_json::{Value, json};

/// One field where the capture and the profile differ.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Difference {
    /// The profile field (`discovery.prm_order`, `user_agent_mcp`).
    pub field: String,
    /// What the profile says.
    pub profile: Value,
    /// What the capture shows.
    pub captured: Value,
    /// The exchange that shows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seq: Option<u32>,
}

/// The whole comparison.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ProfileDiff {
    /// The profile compared against.
    pub profile: String,
    /// Fields that differ.
    pub differences: Vec<Difference>,
    /// Fields compared and found the same.
    pub same: Vec<String>,
    /// Fields the capture cannot show.
    pub unobserved: Vec<String>,
}

impl ProfileDiff {
    /// Whether nothing differs.
    pub fn is_same(&self) -> bool {
        self.differences.is_empty()
    }
}

struct Diff<'a> {
    out: ProfileDiff,
    t: &'a Transcript,
}

impl Diff<'_> {
    fn compare(&mut self, field: &str, profile: Value, captured: Option<(Value, Option<u32>)>) {
        match captured {
            None => self.out.unobserved.push(field.to_owned()),
            Some((c, _)) if c == profile => self.out.same.push(field.to_owned()),
            Some((captured, seq)) => {
                self.out.differences.push(Difference { field: field.to_owned(), profile, captured, seq })
            }
        }
    }

    /// The client's own exchanges (not the harness's probes, not what it sent past a stop).
    fn own(&self) -> impl Iterator<Item = &Exchange> {
        self.t.exchanges.iter().filter(|e| e.phase != Phase::Probe && !e.continuation)
    }

    /// The first discovery: from the first discovery exchange to the first exchange of another
    /// phase (a client that starts over repeats it; the first run shows its order).
    fn first_discovery(&self) -> impl Iterator<Item = &Exchange> {
        self.own().skip_while(|e| e.phase != Phase::Discovery).take_while(|e| e.phase == Phase::Discovery)
    }

    fn first(&self, f: impl Fn(&Exchange) -> bool) -> Option<&Exchange> {
        self.own().find(|e| f(e))
    }
}

/// Compares `profile` with what the capture `t` shows.
pub fn diff(profile: &Profile, t: &Transcript) -> ProfileDiff {
    let mut d = Diff { out: ProfileDiff { profile: profile.name.clone(), ..Default::default() }, t };
    user_agents(&mut d, profile);
    discovery(&mut d, profile);
    registration(&mut d, profile);
    authorize(&mut d, profile);
    token(&mut d, profile);
    mcp(&mut d, profile);
    d.out
}

fn is_oauth(e: &Exchange) -> bool {
    matches!(e.kind, ExchangeKind::AsMetadata { .. } | ExchangeKind::Registration | ExchangeKind::Token { .. })
}

fn is_mcp(e: &Exchange) -> bool {
    matches!(e.kind, ExchangeKind::Mcp { .. } | ExchangeKind::UnauthenticatedInitialize)
}

fn user_agents(d: &mut Diff<'_>, p: &Profile) {
    let ua = |e: &Exchange| (json!(e.request_header("user-agent").unwrap_or("")), Some(e.seq));
    let oauth = d.first(is_oauth).map(ua);
    d.compare("user_agent_oauth", json!(p.user_agent_oauth.value), oauth);
    let mcp = d.first(is_mcp).map(ua);
    d.compare("user_agent_mcp", json!(p.user_agent_mcp.value), mcp);
}

/// A lookup as the profile's `prm_order` names it.
fn prm_name(l: PrmLookup) -> Value {
    json!(match l {
        PrmLookup::WwwAuthenticate => PrmSource::WwwAuthenticate,
        PrmLookup::PathInserted => PrmSource::Path,
        PrmLookup::Root => PrmSource::Root,
        _ => return Value::Null,
    })
}

fn discovery(d: &mut Diff<'_>, p: &Profile) {
    let unauth = d.first(|e| e.kind == ExchangeKind::UnauthenticatedInitialize).map(|e| (json!(true), Some(e.seq)));
    let unauth = unauth.or_else(|| d.first(|e| e.phase != Phase::Discovery).map(|e| (json!(false), Some(e.seq))));
    d.compare("discovery.initial_request", json!(p.discovery.initial_request.value), unauth);

    let lookups: Vec<(PrmLookup, u32)> = d
        .first_discovery()
        .filter_map(|e| match e.kind {
            ExchangeKind::Prm { lookup } => Some((lookup, e.seq)),
            _ => None,
        })
        .collect();
    let order: Vec<Value> = p.discovery.prm_order.value.iter().map(|s| json!(s)).collect();
    let captured: Vec<Value> = lookups.iter().map(|(l, _)| prm_name(*l)).collect();
    prefix(d, "discovery.prm_order", order, captured, lookups.first().map(|(_, s)| *s));

    let probes: Vec<(AsProbe, u32)> = d
        .first_discovery()
        .filter_map(|e| match e.kind {
            ExchangeKind::AsMetadata { method, well_known, on } => {
                Some((AsProbe { method, kind: well_known, on }, e.seq))
            }
            _ => None,
        })
        .collect();
    let order: Vec<Value> = p.discovery.as_probes.value.iter().map(|a| json!(a)).collect();
    let captured: Vec<Value> = probes.iter().map(|(a, _)| json!(a)).collect();
    prefix(d, "discovery.as_probes", order, captured, probes.first().map(|(_, s)| *s));
}

/// A sequence the client may cut short: the same when the capture is a prefix of the profile's.
fn prefix(d: &mut Diff<'_>, field: &str, profile: Vec<Value>, captured: Vec<Value>, seq: Option<u32>) {
    if captured.is_empty() {
        d.out.unobserved.push(field.to_owned());
    } else if profile.starts_with(&captured) {
        d.out.same.push(field.to_owned());
    } else {
        d.out.differences.push(Difference {
            field: field.into(),
            profile: json!(profile),
            captured: json!(captured),
            seq,
        });
    }
}

/// The registration way a capture shows: DCR when it registered, CIMD when the client id is an
/// https URL, otherwise a pre-registered (static) client.
fn registration_kind(d: &Diff<'_>) -> Option<(RegistrationKind, u32)> {
    if let Some(e) = d.first(|e| e.kind == ExchangeKind::Registration) {
        return Some((RegistrationKind::Dcr, e.seq));
    }
    let e = d.first(|e| e.kind == ExchangeKind::Authorize)?;
    let id = query(&e.url, "client_id")?;
    Some((
        if id.starts_with("https://") || id.starts_with("http://") {
            RegistrationKind::Cimd
        } else {
            RegistrationKind::Static
        },
        e.seq,
    ))
}

fn registration(d: &mut Diff<'_>, p: &Profile) {
    match d.first(|e| e.kind == ExchangeKind::Registration) {
        Some(e) => {
            let body: Value =
                e.request_body.as_deref().and_then(|b| serde_json::from_str(b).ok()).unwrap_or(Value::Null);
            let redirect = query_of_authorize(d, "redirect_uri");
            let expected = fill(&p.registration.dcr_body.value, redirect.as_deref());
            d.compare("registration.dcr_body", expected, Some((body, Some(e.seq))));
        }
        None => d.out.unobserved.push("registration.dcr_body".into()),
    }
    match registration_kind(d) {
        // The profile's priority lists what it tries; which one a server allows decides the rest.
        Some((k, seq)) if !p.registration.priority.value.contains(&k) => d.out.differences.push(Difference {
            field: "registration.priority".into(),
            profile: json!(p.registration.priority.value),
            captured: json!(k),
            seq: Some(seq),
        }),
        Some(_) => d.out.same.push("registration.priority".into()),
        None => d.out.unobserved.push("registration.priority".into()),
    }
}

/// `{redirect_uri}` in the profile's DCR body, as the capture's authorize request sent it.
fn fill(v: &Value, redirect: Option<&str>) -> Value {
    match v {
        Value::String(s) if s == "{redirect_uri}" => redirect.map(|r| json!(r)).unwrap_or_else(|| v.clone()),
        Value::Array(a) => Value::Array(a.iter().map(|x| fill(x, redirect)).collect()),
        Value::Object(m) => Value::Object(m.iter().map(|(k, x)| (k.clone(), fill(x, redirect))).collect()),
        _ => v.clone(),
    }
}

fn query(url: &str, name: &str) -> Option<String> {
    let q = url.split_once('?')?.1.split('#').next()?;
    url::form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

fn query_of_authorize(d: &Diff<'_>, name: &str) -> Option<String> {
    d.first(|e| e.kind == ExchangeKind::Authorize).and_then(|e| query(&e.url, name))
}

fn authorize(d: &mut Diff<'_>, p: &Profile) {
    let Some(e) = d.first(|e| e.kind == ExchangeKind::Authorize) else {
        for f in ["redirect_uri", "authorize.param_order", "authorize.send_resource"] {
            d.out.unobserved.push(f.into());
        }
        return;
    };
    let (url, seq) = (e.url.clone(), e.seq);
    let redirect = query(&url, "redirect_uri").unwrap_or_default();
    let r = &p.redirect_uri.value;
    let allowed = redirect == r.stable || r.per_connector.as_deref().is_some_and(|t| template_matches(t, &redirect));
    if allowed {
        d.out.same.push("redirect_uri".into());
    } else {
        d.out.differences.push(Difference {
            field: "redirect_uri".into(),
            profile: json!(r),
            captured: json!(redirect),
            seq: Some(seq),
        });
    }
    let names: Vec<Value> = url
        .split_once('?')
        .map(|(_, q)| url::form_urlencoded::parse(q.as_bytes()).map(|(k, _)| json!(k)).collect())
        .unwrap_or_default();
    d.compare("authorize.param_order", json!(p.authorize.param_order.value), Some((json!(names), Some(seq))));
    let sent = query(&url, "resource").is_some();
    d.compare("authorize.send_resource", json!(p.authorize.send_resource.value), Some((json!(sent), Some(seq))));
}

/// Whether `s` fits a template with `{name}` holes (each hole: one or more characters).
fn template_matches(template: &str, s: &str) -> bool {
    let Some((head, rest)) = template.split_once('{') else { return template == s };
    let Some((_, tail)) = rest.split_once('}') else { return template == s };
    s.len() > head.len() + tail.len() && s.starts_with(head) && s.ends_with(tail)
}

/// How a token request authenticated the client.
fn client_auth(e: &Exchange) -> &'static str {
    let body = e.request_body.as_deref().unwrap_or("");
    let has = |f: &str| url::form_urlencoded::parse(body.as_bytes()).any(|(k, _)| k == f);
    if e.request_header("authorization").is_some_and(|a| a.to_ascii_lowercase().starts_with("basic ")) {
        "client_secret_basic"
    } else if has("client_assertion") {
        "private_key_jwt"
    } else if has("client_secret") {
        "client_secret_post"
    } else {
        "none"
    }
}

fn token(d: &mut Diff<'_>, p: &Profile) {
    let Some(e) = d.first(|e| e.kind.is_token("authorization_code")) else {
        for f in ["token_request.headers", "token_request.send_resource", "token_request.client_auth"] {
            d.out.unobserved.push(f.into());
        }
        return;
    };
    let (seq, e) = (e.seq, e.clone());
    // Each header the profile names, with the captured value ({user_agent} is the profile's own;
    // a header holding credentials, `{authorization}`, depends on the client authentication,
    // compared below).
    let expected: Vec<(String, String)> = p
        .token_request
        .headers
        .value
        .iter()
        .map(|(k, v)| (k.clone(), v.replace("{user_agent}", &p.user_agent_oauth.value)))
        .filter(|(_, v)| !(v.starts_with('{') && v.ends_with('}')))
        .collect();
    let captured: Vec<(String, String)> =
        expected.iter().map(|(k, _)| (k.clone(), e.request_header(k).unwrap_or("(absent)").to_owned())).collect();
    d.compare("token_request.headers", json!(expected), Some((json!(captured), Some(seq))));
    let body = e.request_body.as_deref().unwrap_or("");
    let sent = url::form_urlencoded::parse(body.as_bytes()).any(|(k, _)| k == "resource");
    d.compare(
        "token_request.send_resource",
        json!(p.token_request.send_resource.value),
        Some((json!(sent), Some(seq))),
    );
    // The method the profile asks for: DCR's requested method, CIMD's document's.
    let expected = match registration_kind(d).map(|(k, _)| k) {
        Some(RegistrationKind::Dcr) => p.registration.dcr_body.value.get("token_endpoint_auth_method").cloned(),
        Some(RegistrationKind::Cimd) => {
            p.registration.cimd.as_ref().and_then(|c| c.value.document.get("token_endpoint_auth_method").cloned())
        }
        _ => None,
    };
    match expected {
        Some(m) => d.compare("token_request.client_auth", m, Some((json!(client_auth(&e)), Some(seq)))),
        None => d.out.unobserved.push("token_request.client_auth".into()),
    }
}

fn mcp(d: &mut Diff<'_>, p: &Profile) {
    let init = d.first(|e| e.kind.is_mcp("initialize") || e.kind == ExchangeKind::UnauthenticatedInitialize);
    let params = init
        .and_then(|e| e.request_body.as_deref())
        .and_then(|b| serde_json::from_str::<Value>(b).ok())
        .and_then(|v| v.get("params").cloned());
    let seq = init.map(|e| e.seq);
    let get = |k: &str| params.as_ref().and_then(|p| p.get(k).cloned()).map(|v| (v, seq));
    d.compare("mcp.protocol_version", json!(p.mcp.protocol_version.value), get("protocolVersion"));
    d.compare("mcp.client_info", p.mcp.client_info.value.clone(), get("clientInfo"));
    d.compare("mcp.capabilities", p.mcp.capabilities.value.clone(), get("capabilities"));
    let accept = d.first(is_mcp).map(|e| (json!(e.request_header("accept").unwrap_or("(absent)")), Some(e.seq)));
    d.compare("mcp.accept", json!(p.mcp.accept.value), accept);
    // The calls after initialize, in order, as the authenticated client made them.
    let calls: Vec<(String, u32)> = d
        .own()
        .filter(|e| e.phase == Phase::Mcp)
        .filter_map(|e| match &e.kind {
            ExchangeKind::Mcp { method } if method != "initialize" => Some((method.clone(), e.seq)),
            _ => None,
        })
        .collect();
    let captured = (!calls.is_empty())
        .then(|| (json!(calls.iter().map(|(m, _)| m.clone()).collect::<Vec<_>>()), calls.first().map(|(_, s)| *s)));
    let expected: Vec<String> = p.mcp.calls.value.clone();
    d.compare("mcp.calls", json!(expected), captured);
    let ended = d.first(|e| e.kind == ExchangeKind::EndSession).is_some();
    if d.first(|e| e.phase == Phase::Mcp).is_some() {
        d.compare("mcp.delete_at_end", json!(p.mcp.delete_at_end.value), Some((json!(ended), None)));
    } else {
        d.out.unobserved.push("mcp.delete_at_end".into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_their_fills() {
        assert!(template_matches(
            "https://chatgpt.com/connector/oauth/{callback_id}",
            "https://chatgpt.com/connector/oauth/abc"
        ));
        assert!(!template_matches(
            "https://chatgpt.com/connector/oauth/{callback_id}",
            "https://chatgpt.com/connector/oauth/"
        ));
        assert!(!template_matches("https://a/{x}", "https://b/y"));
    }

    #[test]
    fn an_empty_capture_shows_nothing_and_differs_in_nothing() {
        let p = client_profile::builtin("chatgpt-2026-cimd").unwrap();
        let d = diff(&p, &Transcript::default());
        assert!(d.is_same(), "{:?}", d.differences);
        assert!(d.unobserved.contains(&"mcp.calls".to_owned()));
    }
}
