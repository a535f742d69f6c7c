//! The 2026-07-28 authorization probe (`modern_auth`, RS-21…RS-28): what a resource server must do
//! once sessions are gone and every request stands alone — no `offline_access` advertised, one
//! challenge naming every scope an operation needs, scope hierarchies honoured, state handles that
//! are neither authentication nor transferable between users, per-user results cached privately,
//! and a PRM `resource` equal to the URL clients connect to.
//!
//! Two users are needed (A: the IdP's first user; B: [`SECOND_USER`]), so everything past the
//! PRM and the unauthenticated challenge needs tokens minted by an IdP the server trusts; without
//! one the probe stops there and the checks say so. The tools and resources are chosen from what
//! the server lists (`securitySchemes` scopes, `inputSchema` / `outputSchema`), never by name:
//! a server with nothing to probe for a requirement leaves it untested, and the checks say what
//! would make it testable.

use super::{ACCEPT_BOTH, ProbeError, Run, labels, path_prm_url, probe_req, result_of, root_prm_url};
use harness_checks::probe_record::{MODERN_AUTH_READS, MODERN_AUTH_STEP_UPS, SECOND_USER};
use mcp_wire::challenge::{self, Challenge};
use mcp_wire::{SpecVersion, headers, jsonrpc, meta};
use mock_client::SecretKind;
use mock_client::http::{Req, Resp};
use mock_idp::IdpHandle;
use reqwest::Method;
use serde_json::{Value, json};

/// Longest list of tools or resources looked through (a hostile server may list millions).
const MAX_LISTED: usize = 1000;

/// The tools of a `tools/list` result this probe can use.
#[derive(Debug, Default)]
struct Picks {
    /// A tool needing two or more scopes, callable without arguments (RS-22): name and scopes.
    several_scopes: Option<(String, Vec<String>)>,
    /// A tool whose scopes all sit under the parent scope, callable without arguments (RS-24).
    under_parent: Option<(String, Vec<String>)>,
    /// A state-handle pair (RS-25/26): the minting tool (no required arguments, an `outputSchema`
    /// string property), the tool taking that property as its only required argument, and the
    /// property's name.
    handles: Option<(String, String, String)>,
}

/// The `oauth2` scopes a listed tool declares (`securitySchemes` or `_meta.securitySchemes`).
fn declared_scopes(tool: &Value) -> Vec<String> {
    let schemes = tool.get("securitySchemes").or_else(|| tool.pointer("/_meta/securitySchemes"));
    let mut out: Vec<String> = schemes
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|s| s.get("type").and_then(Value::as_str) == Some("oauth2"))
        .filter_map(|s| s.get("scopes").and_then(Value::as_array))
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The required argument names of a tool's `inputSchema`.
fn required_args(tool: &Value) -> Vec<&str> {
    tool.pointer("/inputSchema/required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

/// Whether `scope` sits under `parent` in a hierarchy (`mcp` → `mcp:read`, `mcp.read`, `mcp/read`).
fn under(scope: &str, parent: &str) -> bool {
    scope.strip_prefix(parent).is_some_and(|rest| rest.starts_with([':', '.', '/']))
}

fn pick(list: &Value, parent: Option<&str>) -> Picks {
    let tools: Vec<&Value> =
        list.get("tools").and_then(Value::as_array).into_iter().flatten().take(MAX_LISTED).collect();
    let name = |t: &Value| t.get("name").and_then(Value::as_str).map(str::to_owned);
    let no_args = |t: &&&Value| required_args(t).is_empty();
    let several_scopes = tools
        .iter()
        .filter(no_args)
        .find(|t| declared_scopes(t).len() >= 2)
        .and_then(|t| Some((name(t)?, declared_scopes(t))));
    let under_parent = parent.and_then(|p| {
        tools
            .iter()
            .filter(no_args)
            .find(|t| {
                let s = declared_scopes(t);
                !s.is_empty() && s.iter().all(|x| under(x, p))
            })
            .and_then(|t| Some((name(t)?, declared_scopes(t))))
    });
    let handles = tools.iter().filter(no_args).find_map(|open| {
        let props = open.pointer("/outputSchema/properties")?.as_object()?;
        props.iter().filter(|(_, s)| s.get("type").and_then(Value::as_str) == Some("string")).find_map(|(field, _)| {
            let read = tools.iter().find(|t| {
                required_args(t) == [field.as_str()]
                    && t.pointer("/inputSchema/properties")
                        .and_then(|p| p.get(field))
                        .and_then(|p| p.get("type"))
                        .and_then(Value::as_str)
                        == Some("string")
            })?;
            Some((name(open)?, name(read)?, field.clone()))
        })
    });
    Picks { several_scopes, under_parent, handles }
}

/// The challenge of an answer: HTTP (`WWW-Authenticate` Bearer on a 401/403) or tool-level
/// (`_meta["mcp/www_authenticate"]`, Apps SDK).
fn challenge_of(r: &Resp) -> Option<Challenge> {
    if matches!(r.status, 401 | 403) {
        return r.headers_named("www-authenticate").find_map(challenge::bearer);
    }
    result_of(r).and_then(|res| challenge::tool_challenges(&res).into_iter().next())
}

/// A `Mcp-Name` value: as is when visible ASCII, else the `=?base64?…?=` form.
fn name_header(v: &str) -> String {
    use base64::Engine;
    if !v.is_empty() && v.bytes().all(|b| (0x21..0x7f).contains(&b)) {
        v.to_owned()
    } else {
        let b64 = base64::engine::general_purpose::STANDARD.encode(v);
        format!("{}{b64}{}", meta::BASE64_SENTINEL_PREFIX, meta::BASE64_SENTINEL_SUFFIX)
    }
}

impl Run<'_, '_> {
    /// A 2026-07-28 request: version and method headers, `Mcp-Name` where the method has one, and
    /// the `_meta` envelope merged into `params`.
    fn modern_request(&self, label: &str, id: u64, method: &str, params: Value, token: Option<&str>) -> Req {
        let v = SpecVersion::V2026_07_28.as_str();
        let mut params = if params.is_object() { params } else { json!({}) };
        params["_meta"] = json!({
            meta::PROTOCOL_VERSION: v,
            meta::CLIENT_CAPABILITIES: {},
            meta::CLIENT_INFO: {"name": "connector-harness-probe", "version": env!("CARGO_PKG_VERSION")},
        });
        let name = meta::NAMED_METHODS
            .iter()
            .find(|(m, _)| *m == method)
            .and_then(|(_, field)| params.get(*field).and_then(Value::as_str).map(name_header));
        let mut r = probe_req(Method::POST, self.ctx.target, label)
            .header("User-Agent", self.ctx.user_agent)
            .header("Accept", ACCEPT_BOTH)
            .header(headers::MCP_PROTOCOL_VERSION, v)
            .header(headers::MCP_METHOD, method);
        if let Some(n) = name {
            r = r.header(headers::MCP_NAME, n);
        }
        if let Some(t) = token {
            r = r.header("Authorization", format!("Bearer {t}"));
        }
        r.json(&jsonrpc::request(id, method, Some(params)))
    }

    /// A genuine token for the target with `scopes`, for user A (`sub` None) or another user.
    fn mint_for(&self, idp: &IdpHandle, scopes: &[&str], sub: Option<&str>) -> Result<String, ProbeError> {
        let mut claims = idp.valid_claims(self.ctx.target, scopes);
        if let Some(sub) = sub {
            claims.insert("sub".into(), json!(sub));
        }
        let t = idp
            .mint(&mock_idp::MintRequest { claims, signing: mock_idp::Signing::Valid })
            .map_err(|e| self.mint_error(e))?;
        let token = self.reissue(idp, t, false)?;
        self.ctx.rec.secret(SecretKind::Token, &token);
        Ok(token)
    }

    async fn call(
        &self,
        label: &str,
        id: u64,
        tool: &str,
        args: Value,
        token: Option<&str>,
    ) -> Result<Option<Resp>, ProbeError> {
        let req = self.modern_request(label, id, "tools/call", json!({"name": tool, "arguments": args}), token);
        self.send(req).await
    }

    /// See the module doc. Bounded by [`super::Probe::max_requests`].
    pub(super) async fn modern_auth(&self, parent: Option<&str>) -> Result<(), ProbeError> {
        self.modern_auth_prm().await?;
        self.send(self.modern_request(labels::MODERN_AUTH_UNAUTHENTICATED, 1, "tools/list", json!({}), None)).await?;
        let Some(idp) = self.ctx.idp else { return Ok(()) };
        let all: Vec<&str> = idp.config().scopes_supported.iter().map(String::as_str).collect();
        let a = self.mint_for(idp, &all, None)?;
        let b = self.mint_for(idp, &all, Some(SECOND_USER))?;
        let list = self.modern_request(labels::MODERN_AUTH_TOOLS_LIST, 2, "tools/list", json!({}), Some(&a));
        let tools = self.send(list).await?.filter(Resp::ok).and_then(|r| result_of(&r));
        let list_b = self.modern_request(labels::MODERN_AUTH_TOOLS_LIST_B, 3, "tools/list", json!({}), Some(&b));
        self.send(list_b).await?;
        let picks = tools.as_ref().map(|t| pick(t, parent)).unwrap_or_default();
        if let Some((tool, scopes)) = &picks.several_scopes {
            self.step_up(idp, tool, scopes, &all, parent).await?;
        }
        if let (Some(p), Some((tool, _))) = (parent, &picks.under_parent) {
            let t = self.mint_for(idp, &[p], None)?;
            self.call(labels::MODERN_AUTH_PARENT_SCOPE, 20, tool, json!({}), Some(&t)).await?;
        }
        if let Some((open, read, field)) = &picks.handles {
            self.handles(open, read, field, &a, &b).await?;
        }
        self.per_user_reads(&a, &b).await
    }

    /// The PRM, unless the transcript already holds a PRM document (from `prm_fetch`, the
    /// connect's discovery or a challenge's `resource_metadata`).
    async fn modern_auth_prm(&self) -> Result<(), ProbeError> {
        let have = self.ctx.rec.transcript().exchanges.iter().any(|e| {
            e.method == "GET"
                && e.status.is_some_and(|s| (200..300).contains(&s))
                && e.url.contains(super::PRM_WELL_KNOWN)
                && e.json().is_some_and(|d| d.get("resource").is_some())
        });
        if have {
            return Ok(());
        }
        let mut urls = Vec::new();
        urls.extend(path_prm_url(self.ctx.target).map(|u| (u, labels::MODERN_AUTH_PRM_PATH)));
        urls.extend(root_prm_url(self.ctx.target).map(|u| (u, labels::MODERN_AUTH_PRM_ROOT)));
        for (url, label) in urls {
            if let Some(r) = self.send(self.get(Method::GET, &url, label)).await?
                && r.ok()
            {
                break;
            }
        }
        Ok(())
    }

    /// RS-22/23: calls `tool` with a token lacking its scopes, then — as a client would — adds what
    /// each challenge names and calls again, until the call is not challenged or nothing new is
    /// named (at most [`MODERN_AUTH_STEP_UPS`] calls).
    async fn step_up(
        &self,
        idp: &IdpHandle,
        tool: &str,
        scopes: &[String],
        all: &[&str],
        parent: Option<&str>,
    ) -> Result<(), ProbeError> {
        let mut held: Vec<String> = all
            .iter()
            .filter(|s| !scopes.iter().any(|x| x == *s) && Some(**s) != parent)
            .map(|s| s.to_string())
            .collect();
        for n in 1..=MODERN_AUTH_STEP_UPS {
            let refs: Vec<&str> = held.iter().map(String::as_str).collect();
            let t = self.mint_for(idp, &refs, None)?;
            let label = labels::numbered(labels::MODERN_AUTH_STEP_UP_PREFIX, n);
            let Some(r) = self.call(&label, 10 + n as u64, tool, json!({}), Some(&t)).await? else { return Ok(()) };
            let Some(c) = challenge_of(&r) else { return Ok(()) };
            let new: Vec<String> = c.scopes().into_iter().filter(|s| !held.contains(s)).collect();
            if new.is_empty() {
                return Ok(());
            }
            held.extend(new);
        }
        Ok(())
    }

    /// RS-25/26: two handles minted for A; A's first presented by A (the control), by B, and
    /// without a token.
    async fn handles(&self, open: &str, read: &str, field: &str, a: &str, b: &str) -> Result<(), ProbeError> {
        let mut minted = Vec::new();
        for n in 1..=2 {
            let label = labels::numbered(labels::MODERN_AUTH_HANDLE_OPEN_PREFIX, n);
            let r = self.call(&label, 30 + n as u64, open, json!({}), Some(a)).await?;
            let handle = r.as_ref().filter(|r| r.ok()).and_then(result_of).and_then(|res| {
                res.get("structuredContent").and_then(|c| c.get(field)).and_then(Value::as_str).map(str::to_owned)
            });
            minted.extend(handle);
        }
        let Some(h) = minted.first() else { return Ok(()) };
        let args = json!({ field: h });
        self.call(labels::MODERN_AUTH_HANDLE_OWNER, 33, read, args.clone(), Some(a)).await?;
        self.call(labels::MODERN_AUTH_HANDLE_OTHER_USER, 34, read, args.clone(), Some(b)).await?;
        self.call(labels::MODERN_AUTH_HANDLE_NO_TOKEN, 35, read, args, None).await?;
        Ok(())
    }

    /// RS-27: the first [`MODERN_AUTH_READS`] listed resources, read as A and as B.
    async fn per_user_reads(&self, a: &str, b: &str) -> Result<(), ProbeError> {
        let req = self.modern_request(labels::MODERN_AUTH_RESOURCES_LIST, 40, "resources/list", json!({}), Some(a));
        let Some(list) = self.send(req).await?.filter(Resp::ok).and_then(|r| result_of(&r)) else { return Ok(()) };
        let uris: Vec<String> = list
            .get("resources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .take(MAX_LISTED)
            .filter_map(|r| r.get("uri").and_then(Value::as_str).map(str::to_owned))
            .take(MODERN_AUTH_READS)
            .collect();
        for (n, uri) in (1..).zip(&uris) {
            for (prefix, token) in [(labels::MODERN_AUTH_READ_A_PREFIX, a), (labels::MODERN_AUTH_READ_B_PREFIX, b)] {
                let label = labels::numbered(prefix, n);
                let req =
                    self.modern_request(&label, 40 + n as u64, "resources/read", json!({"uri": uri}), Some(token));
                self.send(req).await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tools_are_picked_from_what_the_server_lists() {
        let list = json!({"tools": [
            {"name": "echo", "inputSchema": {"required": ["text"]}, "securitySchemes": [{"type": "oauth2", "scopes": ["a:read", "a:write"]}]},
            {"name": "publish", "inputSchema": {}, "_meta": {"securitySchemes": [{"type": "oauth2", "scopes": ["a:write", "a:read"]}]}},
            {"name": "open", "inputSchema": {}, "outputSchema": {"properties": {"h": {"type": "string"}, "n": {"type": "integer"}}}},
            {"name": "read", "inputSchema": {"properties": {"h": {"type": "string"}}, "required": ["h"]}},
        ]});
        let p = pick(&list, Some("a"));
        assert_eq!(p.several_scopes, Some(("publish".into(), vec!["a:read".into(), "a:write".into()])));
        assert_eq!(p.under_parent.map(|x| x.0), Some("publish".into()));
        assert_eq!(p.handles, Some(("open".into(), "read".into(), "h".into())));
        assert!(pick(&list, Some("ab")).under_parent.is_none());
        assert!(pick(&json!({"tools": "x"}), None).several_scopes.is_none());
        assert!(under("mcp:read", "mcp") && under("mcp.read", "mcp") && !under("mcpx", "mcp") && !under("mcp", "mcp"));
        assert_eq!(name_header("whoami"), "whoami");
        assert_eq!(name_header("a b"), "=?base64?YSBi?=");
    }
}
