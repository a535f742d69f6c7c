//! The 2026-07-28 probes: stateless requests with the routing headers and the `_meta` envelope,
//! each one varying a single part a conformant server must refuse (or serve) in a given way.
//!
//! The tool, resource and prompt the `Mcp-Name` / `Mcp-Param-*` / capability probes use are
//! picked from what the server lists (see [`picks`]), never named here, so any server can be
//! probed; what it does not list is not probed, and the checks say so.

use super::{ACCEPT_BOTH, ProbeError, Run, UNKNOWN_METHOD, UNKNOWN_PROTOCOL_VERSION, labels, probe_req, result_of};
use harness_checks::probe_record::{
    CLIENT_CAPABILITY_NAMES, LAST_EVENT_ID_VALUE, PARAM_VALUE, UNKNOWN_RESOURCE_URI, WRONG_NAME, last_issued_event_id,
};
use mcp_wire::{SpecVersion, headers, jsonrpc, meta};
use mock_client::http::Req;
use reqwest::Method;
use serde_json::{Map, Value, json};

pub(super) mod picks;

/// The requests `modern` sends at most (its [`super::Probe::max_requests`]): discover ×2,
/// tools/list ×2, unknown method, 5 malformed lists, method case, initialize, 5 name calls,
/// resources/list + 2 reads + unknown read, prompts/list + 2 gets, 3 parameter calls, 2 capability
/// calls, and the 2025-era traffic (GET, its HEAD when the GET stays open, DELETE, a request
/// with `Last-Event-ID`).
pub const MAX_REQUESTS: usize = 33;

/// One 2026-07-28 request as the probe varies it: everything a conformant client sends, each part
/// replaceable.
struct Modern<'a> {
    label: &'a str,
    method: &'a str,
    /// `params` without `_meta`.
    params: Map<String, Value>,
    header_version: Option<&'a str>,
    meta_version: Option<&'a str>,
    method_header: String,
    /// `None`: no `clientCapabilities` in `_meta`.
    capabilities: Option<Value>,
    /// `Mcp-Name`, `Mcp-Param-*`: sent as given.
    extra: Vec<(String, String)>,
}

impl<'a> Modern<'a> {
    fn new(label: &'a str, method: &'a str) -> Self {
        let v = Some(SpecVersion::V2026_07_28.as_str());
        Modern {
            label,
            method,
            params: Map::new(),
            header_version: v,
            meta_version: v,
            method_header: method.to_owned(),
            capabilities: Some(json!({})),
            extra: Vec::new(),
        }
    }
    fn params(mut self, p: Map<String, Value>) -> Self {
        self.params = p;
        self
    }
    fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra.push((name.into(), value.into()));
        self
    }
    fn name(self, value: impl Into<String>) -> Self {
        self.header(headers::MCP_NAME, value)
    }
}

impl Run<'_, '_> {
    /// A 2026-07-28 POST: `MCP-Protocol-Version` and `Mcp-Method` headers, and the `_meta`
    /// envelope (protocol version, client capabilities, client info) in `params`.
    fn modern_req(&self, m: Modern<'_>, id: u64, token: Option<&str>) -> Req {
        let client_info = json!({"name": "connector-harness-probe", "version": env!("CARGO_PKG_VERSION")});
        let mut meta_map = Map::new();
        if let Some(v) = m.meta_version {
            meta_map.insert(meta::PROTOCOL_VERSION.into(), json!(v));
        }
        if let Some(c) = m.capabilities {
            meta_map.insert(meta::CLIENT_CAPABILITIES.into(), c);
        }
        meta_map.insert(meta::CLIENT_INFO.into(), client_info);
        let mut params = m.params;
        params.insert("_meta".into(), Value::Object(meta_map));
        let body = jsonrpc::request(id, m.method, Some(Value::Object(params)));
        let mut r = probe_req(Method::POST, self.ctx.target, m.label)
            .header("User-Agent", self.ctx.user_agent)
            .header("Accept", ACCEPT_BOTH)
            .header(headers::MCP_METHOD, &m.method_header);
        if let Some(v) = m.header_version {
            r = r.header(headers::MCP_PROTOCOL_VERSION, v);
        }
        for (k, v) in &m.extra {
            r = r.header(k, v);
        }
        if let Some(t) = token {
            r = r.header("Authorization", format!("Bearer {t}"));
        }
        r.json(&body)
    }

    /// Sends one request of this probe; the result when one came.
    async fn modern_send(&self, m: Modern<'_>, id: &mut u64, token: Option<&str>) -> Result<Option<Value>, ProbeError> {
        *id += 1;
        Ok(self.send(self.modern_req(m, *id, token)).await?.and_then(|r| result_of(&r)))
    }

    /// `server/discover` without a token; with the token: `tools/list` before any discover (H-40),
    /// `server/discover`, `tools/list` again (H-44), an unknown method, five malformed
    /// `tools/list`s (version header mismatched or missing, `Mcp-Method` mismatched, unsupported
    /// version, no `clientCapabilities`), `Mcp-Method` in upper case (H-28), a 2025 `initialize`
    /// (H-41/42), the 2025-era traffic of [`Run::legacy_traffic`] (H-32), then the `Mcp-Name`
    /// (H-25/26), resource-not-found (H-39), `x-mcp-header`
    /// (H-27) and client-capability (H-34, H-29) requests on what the server lists. Without a
    /// token (no connect token, no IdP) only the unauthenticated discover.
    pub(super) async fn modern(&self) -> Result<(), ProbeError> {
        let mut id = 0;
        let discover = "server/discover";
        self.modern_send(Modern::new(labels::MODERN_DISCOVER_UNAUTHENTICATED, discover), &mut id, None).await?;
        let Some(token) = self.valid_token()? else { return Ok(()) };
        let t = Some(token.as_str());
        let first = self.modern_send(Modern::new(labels::MODERN_TOOLS_LIST, "tools/list"), &mut id, t).await?;
        self.modern_send(Modern::new(labels::MODERN_DISCOVER, discover), &mut id, t).await?;
        let again = self.modern_send(Modern::new(labels::MODERN_TOOLS_LIST_AGAIN, "tools/list"), &mut id, t).await?;
        self.modern_send(Modern::new(labels::MODERN_UNKNOWN_METHOD, UNKNOWN_METHOD), &mut id, t).await?;
        let legacy = Some(SpecVersion::V2025_11_25.as_str());
        let unsupported = Some(UNKNOWN_PROTOCOL_VERSION);
        let list = |label| Modern::new(label, "tools/list");
        let variants = [
            Modern { header_version: legacy, ..list(labels::MODERN_VERSION_MISMATCH) },
            Modern { header_version: None, ..list(labels::MODERN_VERSION_MISSING) },
            Modern { method_header: "prompts/list".into(), ..list(labels::MODERN_METHOD_MISMATCH) },
            Modern {
                header_version: unsupported,
                meta_version: unsupported,
                ..list(labels::MODERN_UNSUPPORTED_VERSION)
            },
            Modern { capabilities: None, ..list(labels::MODERN_NO_CAPABILITIES) },
            Modern { method_header: "TOOLS/LIST".into(), ..list(labels::MODERN_METHOD_CASE) },
        ];
        for m in variants {
            self.modern_send(m, &mut id, t).await?;
        }
        self.modern_initialize(&token).await?;
        self.legacy_traffic(&token, &mut id).await?;
        let tools = first.or(again).unwrap_or(Value::Null);
        self.name_probes(&tools, &mut id, t).await?;
        self.param_probes(&tools, &mut id, t).await?;
        self.capability_probes(&tools, &mut id, t).await
    }

    /// A 2025-11-25 `initialize` with the token: served by a server that speaks the 2025 era,
    /// refused (naming its versions, H-41) by a 2026-07-28-only one.
    async fn modern_initialize(&self, token: &str) -> Result<(), ProbeError> {
        let body = super::initialize_body(SpecVersion::V2025_11_25.as_str());
        self.send(self.post(labels::MODERN_INITIALIZE, &body, Some(token), None)).await?;
        Ok(())
    }

    /// What an older client sends a 2026-07-28 server (H-32): a GET and a DELETE of the MCP
    /// endpoint (2026-07-28 version header, the token), and a 2026-07-28 `tools/list` carrying
    /// `Last-Event-ID`. A GET that opens a stream never ends, so it is cut after
    /// the stream wait and a HEAD with the same headers records its head ([`Run::get_or_head`]).
    async fn legacy_traffic(&self, token: &str, id: &mut u64) -> Result<(), ProbeError> {
        let version = SpecVersion::V2026_07_28.as_str();
        let bare = |method: Method, label: &str| {
            probe_req(method, self.ctx.target, label)
                .header("User-Agent", self.ctx.user_agent)
                .header(headers::MCP_PROTOCOL_VERSION, version)
                .header("Authorization", format!("Bearer {token}"))
        };
        let get = bare(Method::GET, labels::MODERN_LEGACY_GET).header("Accept", "text/event-stream");
        self.get_or_head(get, labels::MODERN_LEGACY_GET_HEAD).await?;
        self.send(bare(Method::DELETE, labels::MODERN_LEGACY_DELETE)).await?;
        // A real id where the server issued one earlier in this run (a server that resumes only
        // for ids it knows shows nothing to an invented one); H-32's finding says which it was.
        let issued = last_issued_event_id(&self.ctx.rec.transcript().exchanges).map(|(_, id)| id);
        let resume = Modern::new(labels::MODERN_LEGACY_LAST_EVENT_ID, "tools/list")
            .header(headers::LAST_EVENT_ID, issued.as_deref().unwrap_or(LAST_EVENT_ID_VALUE));
        self.modern_send(resume, id, Some(token)).await?;
        Ok(())
    }

    /// `Mcp-Name` on `tools/call`, `resources/read` and `prompts/get`: missing and mismatched
    /// (H-25), and for the tool also `=?base64?…?=` encoded, right and wrong (H-26), next to a
    /// correct control call; a read of an unknown resource (H-39).
    async fn name_probes(&self, tools: &Value, id: &mut u64, t: Option<&str>) -> Result<(), ProbeError> {
        if let Some(tool) = picks::plain_tool(tools) {
            let call = |label| Modern::new(label, "tools/call").params(tool.params.clone());
            let calls = [
                call(labels::MODERN_CALL).name(&tool.name),
                call(labels::MODERN_CALL_NAME_MISSING),
                call(labels::MODERN_CALL_NAME_MISMATCH).name(WRONG_NAME),
                call(labels::MODERN_CALL_NAME_BASE64).name(meta::base64_header_value(&tool.name)),
                call(labels::MODERN_CALL_NAME_BASE64_WRONG).name(meta::base64_header_value(WRONG_NAME)),
            ];
            for m in calls {
                self.modern_send(m, id, t).await?;
            }
        }
        let resources = self.modern_send(Modern::new(labels::MODERN_RESOURCES_LIST, "resources/list"), id, t).await?;
        if let Some(uri) = resources.as_ref().and_then(picks::first_resource) {
            let read = |label| Modern::new(label, "resources/read").params(picks::object([("uri", json!(uri))]));
            self.modern_send(read(labels::MODERN_READ_NAME_MISSING), id, t).await?;
            self.modern_send(read(labels::MODERN_READ_NAME_MISMATCH).name(UNKNOWN_RESOURCE_URI), id, t).await?;
        }
        let unknown = picks::object([("uri", json!(UNKNOWN_RESOURCE_URI))]);
        let read = Modern::new(labels::MODERN_READ_UNKNOWN, "resources/read").params(unknown);
        self.modern_send(read.name(UNKNOWN_RESOURCE_URI), id, t).await?;
        let prompts = self.modern_send(Modern::new(labels::MODERN_PROMPTS_LIST, "prompts/list"), id, t).await?;
        if let Some(name) = prompts.as_ref().and_then(picks::first_prompt) {
            let get = |label| Modern::new(label, "prompts/get").params(picks::object([("name", json!(name))]));
            self.modern_send(get(labels::MODERN_PROMPT_NAME_MISSING), id, t).await?;
            self.modern_send(get(labels::MODERN_PROMPT_NAME_MISMATCH).name(WRONG_NAME), id, t).await?;
        }
        Ok(())
    }

    /// The first tool with an `x-mcp-header` parameter: header equal to the body, different, and
    /// missing (H-27).
    async fn param_probes(&self, tools: &Value, id: &mut u64, t: Option<&str>) -> Result<(), ProbeError> {
        let Some(p) = picks::param_tool(tools, PARAM_VALUE) else { return Ok(()) };
        let header = format!("{}{}", headers::MCP_PARAM_PREFIX, p.header);
        let call = |label| Modern::new(label, "tools/call").params(p.tool.params.clone()).name(&p.tool.name);
        self.modern_send(call(labels::MODERN_PARAM_MATCH).header(&header, &p.matching), id, t).await?;
        self.modern_send(call(labels::MODERN_PARAM_MISMATCH).header(&header, &p.other), id, t).await?;
        self.modern_send(call(labels::MODERN_PARAM_MISSING), id, t).await?;
        Ok(())
    }

    /// The first tool whose description names a client capability: called declaring none (H-34),
    /// then declaring them all (what the answer stream carries, H-29).
    async fn capability_probes(&self, tools: &Value, id: &mut u64, t: Option<&str>) -> Result<(), ProbeError> {
        let Some(tool) = picks::capability_tool(tools) else { return Ok(()) };
        let call = |label| Modern::new(label, "tools/call").params(tool.params.clone()).name(&tool.name);
        self.modern_send(call(labels::MODERN_CAPABILITY_MISSING), id, t).await?;
        let all: Map<String, Value> = CLIENT_CAPABILITY_NAMES.iter().map(|c| ((*c).to_owned(), json!({}))).collect();
        let declared = Modern { capabilities: Some(Value::Object(all)), ..call(labels::MODERN_CAPABILITY_DECLARED) };
        self.modern_send(declared, id, t).await?;
        Ok(())
    }
}
