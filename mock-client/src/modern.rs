//! The MCP 2026-07-28 ("modern") path of a profile that speaks it (its `eras` section), as the
//! decisions the client's session makes: the GET probe request and whether its answer is refused,
//! the per-request fields, what a `server/discover` answer leads to (the modern path, the
//! `initialize` fallback, or a failure), and ChatGPT's refusal of an inconsistent answer. The
//! client (`client.rs`) sends the requests; this module holds no I/O.
//!
//! Everything is recorded with its [`ExchangeKind`], so the checks judge it from the transcript
//! alone (GPT-19 from the discover and the request after it, GPT-20 from the GET probe).

use serde_json::{Value, json};
use url::Url;

use crate::fail::fail;
use crate::http::Req;
use crate::mcp::{ModernWire, RpcReply};
use crate::outcome::{Failure, FailureKind};
use crate::profile::{Eras, Profile};
use crate::transcript::{ExchangeKind, Phase};
use mcp_wire::discover::{Promise, Served, contradiction};

/// The per-request fields of the profile's modern path.
pub(crate) fn wire(eras: &Eras) -> ModernWire {
    let version = eras.version().as_str().to_owned();
    ModernWire {
        version: version.clone(),
        method_header: eras.method_header.value,
        name_header: eras.name_header.value,
        meta: json!({
            mcp_wire::meta::PROTOCOL_VERSION: version,
            mcp_wire::meta::CLIENT_CAPABILITIES: eras.client_capabilities.value,
            mcp_wire::meta::CLIENT_INFO: eras.client_info.value,
        }),
    }
}

/// ChatGPT's 2026-08 GET of the MCP URL ("SSE probe"), with the token when there is one.
pub(crate) fn get_probe(p: &Profile, url: &Url, token: Option<&str>) -> Req {
    let mut req = Req::get(url.as_str(), "GET probe of the MCP URL")
        .kind(ExchangeKind::GetProbe)
        .header("User-Agent", &p.user_agent_mcp.value)
        .header("Accept", "text/event-stream");
    if let Some(t) = token {
        req = req.header("Authorization", format!("Bearer {t}"));
    }
    req
}

/// The failure when the profile refuses the GET probe's `status` (ChatGPT: 404).
pub(crate) fn get_probe_refused(p: &Profile, eras: &Eras, url: &Url, status: u16, seq: u32) -> Option<Failure> {
    if !eras.get_probe.value.fail_on.contains(&status) {
        return None;
    }
    let s = status.to_string();
    let mut f = fail(
        p,
        FailureKind::GetProbeRefused,
        Phase::Mcp,
        url.as_str(),
        &[("status", &s)],
        format!("the GET probe of {url} answered HTTP {s}"),
        Some(seq),
    );
    if let Some(m) = &p.messages.get_probe_failed {
        f.message = m.value.replace("{status}", &s).replace("{url}", url.as_str());
    }
    Some(f)
}

/// What a `server/discover` answer leads to.
pub(crate) enum AfterDiscover {
    /// The modern path, with what the answer promised.
    Modern(Promise),
    /// The `initialize` fallback, and why.
    FallBack(String),
    /// -32022 naming the revision the client asked for among the supported ones: ask again, once
    /// (SEP-2575, the spec client's "retry with a supported version"); a second refusal is read
    /// by the other rules.
    Retry,
    /// Neither: the profile stops (its MCP failure).
    Stop,
}

/// Reads the `server/discover` answer as the profile does (its `eras.fallback`).
pub(crate) fn after_discover(eras: &Eras, reply: &RpcReply, retry_allowed: bool) -> AfterDiscover {
    let version = eras.version().as_str();
    let result = reply.message.as_ref().and_then(|m| m.get("result")).filter(|_| ok(reply));
    let Some(promise) = result.and_then(Promise::of) else {
        let error = reply.error.as_ref().or_else(|| reply.message.as_ref().and_then(|m| m.get("error")));
        let code = error.and_then(|e| e.get("code")).and_then(Value::as_i64);
        let supported = error.and_then(|e| e.pointer("/data/supported")).and_then(Value::as_array);
        if retry_allowed
            && code == Some(mcp_wire::errors::UNSUPPORTED_PROTOCOL_VERSION)
            && supported.is_some_and(|s| s.iter().any(|v| v.as_str() == Some(version)))
        {
            return AfterDiscover::Retry;
        }
        if eras.falls_back(reply.status, code) {
            let how = code.map(|c| format!(" with JSON-RPC {c}")).unwrap_or_default();
            return AfterDiscover::FallBack(format!("server/discover answered HTTP {}{how}", reply.status));
        }
        return AfterDiscover::Stop;
    };
    if !promise.offers(version) && eras.fallback.value.is_some() {
        return AfterDiscover::FallBack(format!("server/discover does not offer {version}"));
    }
    AfterDiscover::Modern(promise)
}

/// ChatGPT's refusal of an answer that `reply` (to `method`, after `server/discover`) contradicts
/// (HTTP 424), when the profile checks; `None` when it agrees or the profile does not check.
pub(crate) fn inconsistent(
    p: &Profile,
    eras: &Eras,
    promise: &Promise,
    url: &Url,
    method: &str,
    reply: &RpcReply,
) -> Option<Failure> {
    if !eras.verify_discover.value {
        return None;
    }
    let served = Served { method, status: reply.status, message: reply.message.as_ref() };
    let why = contradiction(promise, eras.version().as_str(), served)?;
    let mut f = fail(
        p,
        FailureKind::DiscoverInconsistent,
        Phase::Mcp,
        url.as_str(),
        &[("detail", &why)],
        why.clone(),
        Some(reply.seq),
    );
    if let Some(m) = &p.messages.discover_inconsistent {
        f.message = m.value.replace("{url}", url.as_str());
    }
    Some(f)
}

/// Whether a reply is a 2xx.
pub(crate) fn ok(r: &RpcReply) -> bool {
    (200..300).contains(&r.status)
}

/// C-39: an absent `resultType` means `complete`; `input_required` needs the multi-round-trip
/// flow this client does not implement; anything else is invalid.
pub(crate) fn result_type_problem(result: &Value) -> Option<String> {
    match result.get("resultType") {
        None => None,
        Some(Value::String(s)) if s == "complete" => None,
        Some(Value::String(s)) if s == "input_required" => {
            Some("resultType input_required (the harness client does not answer input requests)".into())
        }
        Some(other) => Some(format!("resultType {other} is not complete or input_required, so the result is invalid")),
    }
}
