//! `connector-harness profiles diff PROFILE CAPTURE`: field by field, what a captured client did
//! that the profile says it does not. Pure: a profile and a transcript in, differences out.
//!
//! Only what the capture shows is compared; a field it cannot show (no registration happened, no
//! refresh, no MCP call) is listed as unobserved, never reported as a difference. Sequences the
//! client cuts short on success (PRM lookups, AS metadata probes) are compared as a prefix of the
//! profile's order. Secrets are redacted in a capture, so values are compared after the redaction
//! placeholders (`[code-1]`) and the profile's templates (`{redirect_uri}`) are set aside.

use client_profile::{AsProbe, AuthMode, PrmSource, Profile, RegistrationKind};
use harness_transcript::{Exchange, ExchangeKind, NoteKind, Phase, PrmLookup, Transcript};
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
    /// What the capture showed, per compared field (for `profiles infer`).
    shown: Vec<(String, Value)>,
}

impl Diff<'_> {
    fn compare(&mut self, field: &str, profile: Value, captured: Option<(Value, Option<u32>)>) {
        if let Some((c, _)) = &captured {
            self.shown.push((field.to_owned(), c.clone()));
        }
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
    diff_showing(profile, t).0
}

/// [`diff`], with what the capture showed for each compared field (`profiles infer` writes it).
pub(crate) fn diff_showing(profile: &Profile, t: &Transcript) -> (ProfileDiff, Vec<(String, Value)>) {
    let mut d = Diff { out: ProfileDiff { profile: profile.name.clone(), ..Default::default() }, t, shown: Vec::new() };
    user_agents(&mut d, profile);
    auth_mode(&mut d, profile);
    // A client with a token from the user never discovers, registers or authorizes: the
    // profile's OAuth facts do not apply to what it did, so none of them is compared.
    if matches!(profile.auth_mode.value, AuthMode::StaticBearer | AuthMode::QueryToken | AuthMode::None) {
        d.out.unobserved.push("discovery.initial_request".into());
    } else {
        discovery(&mut d, profile);
    }
    registration(&mut d, profile);
    authorize(&mut d, profile);
    token(&mut d, profile);
    mcp(&mut d, profile);
    messages(&mut d, profile);
    (d.out, d.shown)
}

fn is_oauth(e: &Exchange) -> bool {
    matches!(e.kind, ExchangeKind::AsMetadata { .. } | ExchangeKind::Registration | ExchangeKind::Token { .. })
}

fn is_mcp(e: &Exchange) -> bool {
    matches!(e.kind, ExchangeKind::Mcp { .. } | ExchangeKind::UnauthenticatedInitialize)
}

/// How the client authenticated, as the wire shows it: OAuth when it discovered, registered or
/// authorized; else a `?token=`/`?access_token=` on the MCP URL; else a bearer it already had.
/// Mixed mode looks like OAuth (or a typed-in bearer) once its first request was answered 401,
/// so both fit a Mixed profile.
fn auth_mode(d: &mut Diff<'_>, p: &Profile) {
    let oauth = d.first(|e| {
        matches!(e.kind, ExchangeKind::Prm { .. } | ExchangeKind::Authorize | ExchangeKind::Registration)
            || e.kind.is_token("authorization_code")
    });
    let first_mcp = d.first(is_mcp);
    let captured = if let Some(e) = oauth {
        Some((AuthMode::Oauth, e.seq))
    } else if let Some(e) =
        first_mcp.filter(|e| query(&e.url, "token").or_else(|| query(&e.url, "access_token")).is_some())
    {
        Some((AuthMode::QueryToken, e.seq))
    } else {
        d.first(|e| {
            is_mcp(e)
                && e.request_header("authorization")
                    .is_some_and(|a| a.len() > 7 && a[..7].eq_ignore_ascii_case("bearer "))
        })
        .map(|e| (AuthMode::StaticBearer, e.seq))
    };
    let field = "auth_mode";
    match captured {
        None => d.out.unobserved.push(field.into()),
        Some((mode, seq)) => {
            d.shown.push((field.into(), json!(mode)));
            let fits = mode == p.auth_mode.value
                || (p.auth_mode.value == AuthMode::Mixed && matches!(mode, AuthMode::Oauth | AuthMode::StaticBearer));
            if fits {
                d.out.same.push(field.into());
            } else {
                d.out.differences.push(Difference {
                    field: field.into(),
                    profile: json!(p.auth_mode.value),
                    captured: json!(mode),
                    seq: Some(seq),
                });
            }
        }
    }
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
    // An exchange nothing identifies (a HAR's ChatGPT API call) says nothing of the flow's start.
    let unauth = unauth.or_else(|| {
        d.first(|e| e.phase != Phase::Discovery && e.kind != ExchangeKind::Unknown).map(|e| (json!(false), Some(e.seq)))
    });
    d.compare("discovery.initial_request", json!(p.discovery.initial_request.value), unauth);

    // A fetch of the URL the 401 challenge named reads two ways on the wire: the challenge's
    // lookup, or the root/path probe of the same URL. The recorder picks one; either reading that
    // fits the profile's order is no difference.
    let named = challenge_url(d);
    let lookups: Vec<(Value, Option<Value>, u32)> = d
        .first_discovery()
        .filter_map(|e| match e.kind {
            ExchangeKind::Prm { lookup } => {
                let other = match lookup {
                    PrmLookup::WwwAuthenticate => Some(prm_name(shape_of(&e.url))),
                    _ if named.as_deref() == Some(e.url.as_str()) => Some(prm_name(PrmLookup::WwwAuthenticate)),
                    _ => None,
                };
                Some((prm_name(lookup), other, e.seq))
            }
            _ => None,
        })
        .collect();
    let order: Vec<Value> = p.discovery.prm_order.value.iter().map(|s| json!(s)).collect();
    let fits = lookups.len() <= order.len()
        && lookups.iter().zip(&order).all(|((a, b, _), want)| a == want || b.as_ref() == Some(want));
    let captured: Vec<Value> = lookups
        .iter()
        .zip(order.iter().map(Some).chain(std::iter::repeat(None)))
        .map(
            |((a, b, _), want)| {
                if fits && b.is_some() && b.as_ref() == want { b.clone().unwrap_or_default() } else { a.clone() }
            },
        )
        .collect();
    prefix(d, "discovery.prm_order", order, captured, lookups.first().map(|(.., s)| *s));

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

/// The `resource_metadata` of the first 401 challenge the client read.
fn challenge_url(d: &Diff<'_>) -> Option<String> {
    let e = d.own().find(|e| e.status == Some(401) && e.response_header("www-authenticate").is_some())?;
    let header = e.response_header("www-authenticate")?;
    mcp_wire::challenge::parse(header).iter().find_map(|c| c.param("resource_metadata").map(str::to_owned))
}

/// The lookup a PRM URL's shape shows: the root document or a path-inserted one.
fn shape_of(url: &str) -> PrmLookup {
    let path = url.split_once("://").and_then(|(_, r)| r.find('/').map(|i| &r[i..])).unwrap_or("/");
    let path = path.split(['?', '#']).next().unwrap_or(path);
    if path == mcp_wire::paths::PROTECTED_RESOURCE { PrmLookup::Root } else { PrmLookup::PathInserted }
}

/// A sequence the client may cut short: the same when the capture is a prefix of the profile's.
fn prefix(d: &mut Diff<'_>, field: &str, profile: Vec<Value>, captured: Vec<Value>, seq: Option<u32>) {
    if !captured.is_empty() {
        d.shown.push((field.to_owned(), json!(captured)));
    }
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
    if let Some((k, _)) = registration_kind(d) {
        d.shown.push(("registration.priority".into(), json!([k])));
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
    d.shown.push(("redirect_uri".into(), json!(redirect)));
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

/// The 2026-07-28 handshake's method.
const SERVER_DISCOVER: &str = "server/discover";

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
    // The 2026-07-28 path: `server/discover` and no `initialize` on the authenticated session.
    // Its calls are the profile's `eras.calls`; the handshake facts of `mcp` are not shown.
    let discover = calls.iter().find(|(m, _)| m == SERVER_DISCOVER).map(|(_, s)| *s);
    let initialized = d.first(|e| e.kind.is_mcp("initialize")).is_some();
    if let (Some(eras), Some(seq), false) = (&p.eras, discover, initialized) {
        let after: Vec<String> = calls.iter().filter(|(_, s)| *s > seq).map(|(m, _)| m.clone()).collect();
        let captured = (!after.is_empty()).then(|| (json!(after), Some(seq)));
        d.compare("eras.calls", json!(eras.calls.value), captured);
        let version = d
            .own()
            .find(|e| e.seq == seq)
            .and_then(|e| e.request_header(mcp_wire::headers::MCP_PROTOCOL_VERSION))
            .map(|v| (json!(v), Some(seq)));
        d.compare("eras.modern_version", json!(eras.modern_version.value), version);
        d.out.unobserved.push("mcp.calls".into());
    } else {
        let captured = (!calls.is_empty())
            .then(|| (json!(calls.iter().map(|(m, _)| m.clone()).collect::<Vec<_>>()), calls.first().map(|(_, s)| *s)));
        let expected: Vec<String> = p.mcp.calls.value.clone();
        d.compare("mcp.calls", json!(expected), captured);
    }
    let ended = d.first(|e| e.kind == ExchangeKind::EndSession).is_some();
    if d.first(|e| e.phase == Phase::Mcp).is_some() {
        d.compare("mcp.delete_at_end", json!(p.mcp.delete_at_end.value), Some((json!(ended), None)));
    } else {
        d.out.unobserved.push("mcp.delete_at_end".into());
    }
}

/// The message the real client showed (a HAR's ChatGPT error), against the profile's messages:
/// the same when one of them, its `{url}`-style holes filled, is that text.
fn messages(d: &mut Diff<'_>, p: &Profile) {
    let Some(n) = d.t.notes.iter().find(|n| n.kind == NoteKind::ClientMessage) else {
        d.out.unobserved.push("messages".into());
        return;
    };
    let templates = message_templates(p);
    // The most specific template that fits (`{error}: {detail}` fits nearly anything).
    let literal = |t: &str| {
        t.len().saturating_sub(t.split('{').skip(1).map(|p| p.split('}').next().unwrap_or("").len() + 2).sum::<usize>())
    };
    let best = templates.iter().filter(|(_, t)| fits_template(t, &n.text)).max_by_key(|(_, t)| literal(t));
    match best {
        Some((name, _)) => {
            d.shown.push((format!("messages.{name}"), json!(n.text)));
            d.out.same.push(format!("messages.{name}"));
        }
        None => {
            d.shown.push(("messages".into(), json!(n.text)));
            d.out.differences.push(Difference {
                field: "messages".into(),
                profile: json!(templates.iter().map(|(_, t)| t.clone()).collect::<Vec<_>>()),
                captured: json!(n.text),
                seq: Some(n.from_seq),
            });
        }
    }
}

/// `(name, template)` of every message the profile has.
fn message_templates(p: &Profile) -> Vec<(String, String)> {
    let v = serde_json::to_value(&p.messages).unwrap_or_default();
    v.as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, f)| f.get("value").and_then(Value::as_str).map(|t| (k.clone(), t.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether `s` is `template` with each `{name}` hole filled by one or more characters.
fn fits_template(template: &str, s: &str) -> bool {
    // Literal pieces between the holes; bounded: one pass over `s` per piece.
    let mut pieces: Vec<&str> = Vec::new();
    let mut rest = template;
    while let Some((head, after)) = rest.split_once('{') {
        let Some((_, tail)) = after.split_once('}') else { break };
        pieces.push(head);
        rest = tail;
    }
    pieces.push(rest);
    if pieces.len() == 1 {
        return template == s;
    }
    let (first, last) = (pieces[0], pieces[pieces.len() - 1]);
    if !s.starts_with(first) || !s.ends_with(last) || s.len() < first.len() + last.len() {
        return false;
    }
    let mut at = first.len();
    let end = s.len() - last.len();
    for piece in &pieces[1..pieces.len() - 1] {
        // A hole takes at least one character before the next piece.
        let Some(i) = s.get(at + 1..end).and_then(|r| r.find(piece)) else { return false };
        at = at + 1 + i + piece.len();
    }
    end > at
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
    fn messages_fit_their_templates() {
        let t = "Failed to resolve OAuth client for MCP connector: {url}";
        assert!(fits_template(t, "Failed to resolve OAuth client for MCP connector: https://x/mcp"));
        assert!(!fits_template(t, "Failed to resolve OAuth client for MCP connector: "));
        assert!(!fits_template(t, "Error creating connector"));
        let t = "MCP server {url} does not support {method} token endpoint auth method";
        assert!(fits_template(
            t,
            "MCP server https://x does not support client_secret_post token endpoint auth method"
        ));
        assert!(!fits_template(t, "MCP server  does not support x token endpoint auth method"));
        assert!(fits_template("{error}: {detail}", "invalid_client: bad"));
        assert!(!fits_template("{error}: {detail}", ": bad"));
        assert!(fits_template("No app actions available", "No app actions available"));
    }

    #[test]
    fn an_empty_capture_shows_nothing_and_differs_in_nothing() {
        let p = client_profile::builtin("chatgpt-2026-cimd").unwrap();
        let d = diff(&p, &Transcript::default());
        assert!(d.is_same(), "{:?}", d.differences);
        assert!(d.unobserved.contains(&"mcp.calls".to_owned()));
    }
}
