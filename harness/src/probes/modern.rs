//! The 2026-07-28 probes: stateless requests with the routing headers and the `_meta` envelope,
//! each one varying a single part a conformant server must refuse (or serve) in a given way.

use super::{ACCEPT_BOTH, ProbeError, Run, UNKNOWN_METHOD, UNKNOWN_PROTOCOL_VERSION, labels, probe_req};
use mcp_wire::{SpecVersion, headers, jsonrpc, meta};
use mock_client::http::Req;
use reqwest::Method;
use serde_json::json;

impl Run<'_, '_> {
    /// A 2026-07-28 POST: `MCP-Protocol-Version` and `Mcp-Method` headers, and the `_meta`
    /// envelope (protocol version, client capabilities, client info) in `params`.
    fn modern_post(&self, label: &str, id: u64, method: &str, token: Option<&str>) -> Req {
        let v = SpecVersion::V2026_07_28.as_str();
        self.modern_variant(label, id, method, token, Some(v), Some(v), method, true)
    }

    /// [`Self::modern_post`] with each part settable: the header version (`None`: no header), the
    /// `_meta` version, the `Mcp-Method` value and whether `_meta` has `clientCapabilities`.
    #[allow(clippy::too_many_arguments)]
    fn modern_variant(
        &self,
        label: &str,
        id: u64,
        method: &str,
        token: Option<&str>,
        header_version: Option<&str>,
        meta_version: Option<&str>,
        method_header: &str,
        capabilities: bool,
    ) -> Req {
        let client_info = json!({"name": "connector-harness-probe", "version": env!("CARGO_PKG_VERSION")});
        let mut m = serde_json::Map::new();
        if let Some(v) = meta_version {
            m.insert(meta::PROTOCOL_VERSION.into(), json!(v));
        }
        if capabilities {
            m.insert(meta::CLIENT_CAPABILITIES.into(), json!({}));
        }
        m.insert(meta::CLIENT_INFO.into(), client_info);
        let body = jsonrpc::request(id, method, Some(json!({"_meta": m})));
        let mut r = probe_req(Method::POST, self.ctx.target, label)
            .header("User-Agent", self.ctx.user_agent)
            .header("Accept", ACCEPT_BOTH)
            .header(headers::MCP_METHOD, method_header);
        if let Some(v) = header_version {
            r = r.header(headers::MCP_PROTOCOL_VERSION, v);
        }
        if let Some(t) = token {
            r = r.header("Authorization", format!("Bearer {t}"));
        }
        r.json(&body)
    }

    /// `server/discover` without and with a token, then `tools/list`, an unknown method and five
    /// malformed `tools/list`s (version header mismatched or missing, `Mcp-Method` mismatched,
    /// unsupported version, no `clientCapabilities`) with the token. Without a token (no connect token, no IdP) only the unauthenticated discover.
    pub(super) async fn modern(&self) -> Result<(), ProbeError> {
        let discover = "server/discover";
        self.send(self.modern_post(labels::MODERN_DISCOVER_UNAUTHENTICATED, 1, discover, None)).await?;
        let Some(token) = self.valid_token()? else { return Ok(()) };
        self.send(self.modern_post(labels::MODERN_DISCOVER, 2, discover, Some(&token))).await?;
        self.send(self.modern_post(labels::MODERN_TOOLS_LIST, 3, "tools/list", Some(&token))).await?;
        self.send(self.modern_post(labels::MODERN_UNKNOWN_METHOD, 4, UNKNOWN_METHOD, Some(&token))).await?;
        let (modern, list, t) = (Some(SpecVersion::V2026_07_28.as_str()), "tools/list", Some(token.as_str()));
        let legacy = Some(SpecVersion::V2025_11_25.as_str());
        let unsupported = Some(UNKNOWN_PROTOCOL_VERSION);
        let variants = [
            (labels::MODERN_VERSION_MISMATCH, legacy, modern, list, true),
            (labels::MODERN_VERSION_MISSING, None, modern, list, true),
            (labels::MODERN_METHOD_MISMATCH, modern, modern, "prompts/list", true),
            (labels::MODERN_UNSUPPORTED_VERSION, unsupported, unsupported, list, true),
            (labels::MODERN_NO_CAPABILITIES, modern, modern, list, false),
        ];
        for (n, (label, header, meta_version, method_header, caps)) in (5..).zip(variants) {
            self.send(self.modern_variant(label, n, list, t, header, meta_version, method_header, caps)).await?;
        }
        Ok(())
    }
}
