//! The MCP 2026-07-28 ("modern") path of a profile that speaks it (its `eras` section): the GET
//! probe of the MCP URL, `server/discover`, then the profile's calls with per-request `_meta` and
//! the routing headers, no `initialize` and no session; or the `initialize` fallback when the
//! discover answer is one the profile falls back on.
//!
//! Everything is recorded with its [`ExchangeKind`], so the checks judge it from the transcript
//! alone (GPT-19 from the discover and the request after it, GPT-20 from the GET probe).

use serde_json::{Value, json};
use url::Url;

use crate::client::Client;
use crate::fail::fail;
use crate::http::Req;
use crate::mcp::{ModernWire, RpcReply};
use crate::outcome::{Failure, FailureKind, Outcome};
use crate::profile::{EraStart, Eras};
use crate::transcript::{ExchangeKind, Phase};
use mcp_wire::discover::{Promise, Served, contradiction};

/// What the modern path ended in.
pub(crate) enum Modern {
    /// Connected without `initialize`.
    Connected(Outcome),
    /// The server answered `server/discover` as a legacy server: go on with `initialize`.
    FallBack,
}

impl Client {
    /// The modern path, when the profile speaks 2026-07-28; `None` when it does not (or starts
    /// with `initialize`), so the legacy session runs as before.
    pub(crate) async fn modern_session(&mut self, url: &Url) -> Option<Result<Modern, Failure>> {
        let eras = self.profile.eras.clone()?;
        if eras.get_probe.value.send
            && let Err(f) = self.get_probe(url, &eras).await
        {
            return Some(Err(f));
        }
        if eras.first.value != EraStart::Discover {
            return None;
        }
        Some(self.discover_then_calls(url, &eras).await)
    }

    /// ChatGPT's 2026-08 GET of the MCP URL ("SSE probe"), with the token. A status the profile
    /// refuses fails the connect with the profile's message; a GET that stays open (a stream) or
    /// times out is not refused.
    async fn get_probe(&mut self, url: &Url, eras: &Eras) -> Result<(), Failure> {
        let mut req = Req::get(url.as_str(), "GET probe of the MCP URL")
            .kind(ExchangeKind::GetProbe)
            .header("User-Agent", &self.profile.user_agent_mcp.value)
            .header("Accept", "text/event-stream");
        if let Some(t) = &self.s.wire.token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        let Ok(r) = self.rec.send(Phase::Mcp, req).await else { return Ok(()) };
        if !eras.get_probe.value.fail_on.contains(&r.status) {
            return Ok(());
        }
        let status = r.status.to_string();
        let mut f = fail(
            &self.profile,
            FailureKind::GetProbeRefused,
            Phase::Mcp,
            url.as_str(),
            &[("status", &status)],
            format!("the GET probe of {url} answered HTTP {status}"),
            Some(r.seq),
        );
        if let Some(m) = &self.profile.messages.get_probe_failed {
            f.message = m.value.replace("{status}", &status).replace("{url}", url.as_str());
        }
        Err(f)
    }

    /// `server/discover`, then (modern) the profile's calls, or the fallback.
    async fn discover_then_calls(&mut self, url: &Url, eras: &Eras) -> Result<Modern, Failure> {
        let version = eras.version().as_str().to_owned();
        self.s.wire.modern = Some(ModernWire {
            version: version.clone(),
            method_header: eras.method_header.value,
            name_header: eras.name_header.value,
            meta: json!({
                mcp_wire::meta::PROTOCOL_VERSION: version,
                mcp_wire::meta::CLIENT_CAPABILITIES: eras.client_capabilities.value,
                mcp_wire::meta::CLIENT_INFO: eras.client_info.value,
            }),
        });
        let discover =
            self.call_with_id(url, Phase::Mcp, "server/discover", None, Some(eras.discover_id.value.clone()));
        let reply = match eras.fallback.value.as_ref().and_then(|f| f.timeout_ms) {
            Some(ms) => match tokio::time::timeout(std::time::Duration::from_millis(ms), discover).await {
                Ok(r) => r?,
                Err(_) => return Ok(self.fall_back(format!("server/discover got no answer within {ms} ms"))),
            },
            None => discover.await?,
        };
        let result = reply.message.as_ref().and_then(|m| m.get("result")).filter(|_| ok(&reply));
        let Some(promise) = result.and_then(Promise::of) else {
            let code = reply.error.as_ref().and_then(|e| e.get("code")).and_then(Value::as_i64);
            if eras.falls_back(reply.status, code) {
                let how = code.map(|c| format!(" with JSON-RPC {c}")).unwrap_or_default();
                return Ok(self.fall_back(format!("server/discover answered HTTP {}{how}", reply.status)));
            }
            return Err(self.mcp_failed(url, &reply, "server/discover"));
        };
        if !promise.offers(&version) && eras.fallback.value.is_some() {
            return Ok(self.fall_back(format!("server/discover does not offer {version}")));
        }
        let mut tools = Vec::new();
        for method in eras.calls.value.clone() {
            let reply = self.call(url, Phase::Mcp, &method, None, false).await?;
            if eras.verify_discover.value
                && let Some(why) = contradiction(&promise, &version, served(&method, &reply))
            {
                return Err(self.discover_inconsistent(url, &reply, why));
            }
            if !ok(&reply) {
                return Err(self.mcp_failed(url, &reply, &method));
            }
            let result = reply.message.as_ref().and_then(|m| m.get("result"));
            if let Some(why) = result.and_then(result_type_problem) {
                let mut f = self.mcp_failed(url, &reply, &method);
                f.cause = format!("{method}: {why}");
                return Err(f);
            }
            if method == "tools/list" {
                let list = result.and_then(|r| r.get("tools")).and_then(Value::as_array);
                let Some(list) = list else { return Err(self.mcp_failed(url, &reply, "tools/list")) };
                tools = list.iter().filter_map(|t| t.get("name").and_then(Value::as_str)).map(str::to_owned).collect();
            }
        }
        for (name, args) in self.opts.tool_calls.clone() {
            self.call_tool(&name, args).await?;
        }
        Ok(Modern::Connected(Outcome::Connected { tools, protocol_version: Some(version) }))
    }

    /// Back to the 2025 handshake: the modern headers and `_meta` are no longer sent.
    fn fall_back(&mut self, why: String) -> Modern {
        self.s.wire.modern = None;
        self.rec.note(crate::transcript::NoteKind::EraFallback, format!("{why}: falling back to initialize"));
        Modern::FallBack
    }

    /// The profile's refusal of an inconsistent `server/discover` (ChatGPT's HTTP 424).
    fn discover_inconsistent(&self, url: &Url, reply: &RpcReply, why: String) -> Failure {
        let mut f = fail(
            &self.profile,
            FailureKind::DiscoverInconsistent,
            Phase::Mcp,
            url.as_str(),
            &[("detail", &why)],
            why.clone(),
            Some(reply.seq),
        );
        if let Some(m) = &self.profile.messages.discover_inconsistent {
            f.message = m.value.replace("{url}", url.as_str());
        }
        f
    }
}

fn ok(r: &RpcReply) -> bool {
    (200..300).contains(&r.status)
}

/// A reply as the consistency rule reads it.
fn served<'a>(method: &'a str, r: &'a RpcReply) -> Served<'a> {
    Served { method, status: r.status, message: r.message.as_ref() }
}

/// C-39: an absent `resultType` means `complete`; `input_required` needs the multi-round-trip
/// flow this client does not implement; anything else is invalid.
fn result_type_problem(result: &Value) -> Option<String> {
    match result.get("resultType") {
        None => None,
        Some(Value::String(s)) if s == "complete" => None,
        Some(Value::String(s)) if s == "input_required" => {
            Some("resultType input_required (the harness client does not answer input requests)".into())
        }
        Some(other) => Some(format!("resultType {other} is not complete or input_required, so the result is invalid")),
    }
}
