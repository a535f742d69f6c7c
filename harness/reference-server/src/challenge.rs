//! The answers to requests that are not allowed through: 400 `invalid_request`, 401 (no or invalid
//! token) and 403 `insufficient_scope`, each with its RFC 6750 §3 `WWW-Authenticate: Bearer`
//! challenge.
//!
//! - 401 without a token: `Bearer resource_metadata="<root PRM>", scope="mcp:read"` — no `error`,
//!   as RFC 6750 §3.1 says for requests without authentication information; `resource_metadata`
//!   per RFC 9728 §5.1 and MCP 2025-06-18/2025-11-25 §Authorization Server Location; `scope` per
//!   MCP 2025-11-25 §Protected Resource Metadata Discovery Requirements. The URL is the host-root
//!   PRM because ChatGPT looks there (GPT-02).
//! - 401 with an invalid token: `error="invalid_token"` and an `error_description` are added
//!   (RFC 6750 §3.1, OAuth 2.1 §5.3; RS-09).
//! - 403: `Bearer error="insufficient_scope", scope="<exactly what the tool needs>",
//!   resource_metadata="…", error_description="…"` (MCP 2025-11-25 §Scope Challenge Handling;
//!   RS-12, RS-13, RS-17).
//! - 400: `error="invalid_request"` for a malformed `Authorization` header (RFC 6750 §3.1).
//!
//! - Under `mixed_auth` (OpenAI Apps SDK, seeds 002 and 004), a tool the caller may not use answers
//!   HTTP 200 with a tool result `{content, isError: true, _meta: {"mcp/www_authenticate": [<the 403
//!   challenge>]}}` ([`tool_challenge`]): ChatGPT reads it and runs sign-in (GPT-13).
//!
//! Parameter order follows the spec's own examples: without `error`, `resource_metadata, scope`
//! (the 401 example); with `error`, `error, scope, resource_metadata, error_description` (the 403
//! example). A configured `realm` comes first (RFC 6750 §3). A rejected request's body never
//! carries tool or resource data (RS-07).

use axum::http::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::sync::atomic::Ordering;

use super::faults::Fault;
use super::mcp;
use super::state::{AppState, PRM_WELL_KNOWN};

/// Why a request was refused with 401.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Rejection {
    /// No Bearer credentials at all.
    Missing,
    /// A token that did not validate; the text is the `error_description`.
    Invalid(String),
}

#[derive(Debug, Default)]
struct Challenge {
    realm: Option<String>,
    error: Option<&'static str>,
    scope: Option<String>,
    resource_metadata: Option<String>,
    description: Option<String>,
}

impl Challenge {
    fn header(&self) -> String {
        let mut params: Vec<(&str, String)> = Vec::new();
        params.extend(self.realm.clone().map(|r| ("realm", r)));
        let rm = self.resource_metadata.clone().map(|v| ("resource_metadata", v));
        let scope = self.scope.clone().map(|v| ("scope", v));
        match self.error {
            None => params.extend(rm.into_iter().chain(scope)),
            Some(e) => {
                params.push(("error", e.to_owned()));
                params.extend(scope.into_iter().chain(rm));
                params.extend(self.description.clone().map(|d| ("error_description", d)));
            }
        }
        let params: Vec<String> = params.iter().map(|(k, v)| format!("{k}=\"{}\"", quotable(v))).collect();
        if params.is_empty() { "Bearer".to_owned() } else { format!("Bearer {}", params.join(", ")) }
    }
}

/// RFC 6750 §3: `error_description` (and every value here) stays within
/// `%x20-21 / %x23-5B / %x5D-7E`, so no escaping is ever needed inside the quotes.
fn quotable(s: &str) -> String {
    s.chars().filter(|c| matches!(*c as u32, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E)).take(300).collect()
}

/// The `resource_metadata` URL. Fault switches: `ChallengePointsAtPathPrm` (GPT-02),
/// `PrmUrlUnfetchable` (RS-19).
fn resource_metadata_url(st: &AppState) -> String {
    if st.faults.has(Fault::PrmUrlUnfetchable) {
        return format!("{}{PRM_WELL_KNOWN}-missing", st.origin);
    }
    if st.faults.has(Fault::ChallengePointsAtPathPrm) {
        return st.prm_url_path();
    }
    st.prm_url_root()
}

/// The `scope` value. Fault switch: `InconsistentChallenge` (RS-14) alternates with all of
/// `scopes_supported`.
fn scope_param(st: &AppState, base: &[String]) -> String {
    let n = st.challenges.fetch_add(1, Ordering::Relaxed);
    if st.faults.has(Fault::InconsistentChallenge) && n % 2 == 1 {
        return st.config.scopes_supported.join(" ");
    }
    base.join(" ")
}

/// `resource_metadata` and `scope` of a 400/401 challenge. Fault switches:
/// `NoResourceMetadataInChallenge` (RS-03), `NoScopeInChallenge` (RS-04).
fn base_challenge(st: &AppState) -> Challenge {
    Challenge {
        realm: st.config.challenge_realm.clone(),
        resource_metadata: (!st.faults.has(Fault::NoResourceMetadataInChallenge)).then(|| resource_metadata_url(st)),
        scope: (!st.faults.has(Fault::NoScopeInChallenge)).then(|| scope_param(st, &st.config.challenge_scopes)),
        ..Default::default()
    }
}

fn respond(status: StatusCode, challenge: Option<&Challenge>, body: Value) -> Response {
    let mut r = (status, [(CONTENT_TYPE, "application/json")], body.to_string()).into_response();
    if let Some(c) = challenge
        && let Ok(v) = HeaderValue::from_str(&c.header())
    {
        r.headers_mut().insert(WWW_AUTHENTICATE, v);
    }
    r
}

/// 401 for a missing or invalid token. Fault switches: `WrongStatusForMissingToken` (RS-05),
/// `ServerErrorOnBadToken` (RS-06), `NoInvalidTokenError` (RS-09), `LeakDataOnRejection` and `LeakToolsInErrorText` (RS-07).
pub(crate) fn unauthorized(st: &AppState, why: Rejection) -> Response {
    let f = &st.faults;
    let mut c = base_challenge(st);
    let (status, body) = match &why {
        Rejection::Missing => {
            let status =
                if f.has(Fault::WrongStatusForMissingToken) { StatusCode::FORBIDDEN } else { StatusCode::UNAUTHORIZED };
            let body = json!({ "error": "unauthorized", "error_description": "this MCP server needs an OAuth access token: send Authorization: Bearer <token>" });
            (status, body)
        }
        Rejection::Invalid(desc) => {
            if f.has(Fault::ServerErrorOnBadToken) {
                return respond(StatusCode::INTERNAL_SERVER_ERROR, None, json!({ "error": "internal server error" }));
            }
            if !f.has(Fault::NoInvalidTokenError) {
                c.error = Some("invalid_token");
                c.description = Some(desc.clone());
            }
            (StatusCode::UNAUTHORIZED, json!({ "error": "invalid_token", "error_description": desc }))
        }
    };
    let body = if f.has(Fault::LeakDataOnRejection) {
        mcp::result_body(Value::Null, json!({ "tools": mcp::tool_list(&st.config) }))
    } else if f.has(Fault::LeakToolsInErrorText) {
        let names: Vec<String> = mcp::tool_list(&st.config)
            .iter()
            .filter_map(|t| t.get("name").and_then(Value::as_str).map(str::to_owned))
            .collect();
        let desc = format!("sign in to use this server; available tools: {}", names.join(", "));
        json!({ "error": "unauthorized", "error_description": desc })
    } else {
        body
    };
    respond(status, Some(&c), body)
}

/// 400 `invalid_request` for an `Authorization` header that cannot be read.
pub(crate) fn bad_request(st: &AppState, why: &str) -> Response {
    let mut c = base_challenge(st);
    c.error = Some("invalid_request");
    c.description = Some(why.to_owned());
    respond(StatusCode::BAD_REQUEST, Some(&c), json!({ "error": "invalid_request", "error_description": why }))
}

/// 403 `insufficient_scope` naming exactly the scopes `tool` needs. Fault switches:
/// `InsufficientScopeAs401` (RS-12), `WrongScopeInForbidden` (RS-13), `NoResourceMetadataIn403` (RS-17).
pub(crate) fn forbidden(st: &AppState, tool: &str, needed: &[String]) -> Response {
    let f = &st.faults;
    let named = if f.has(Fault::WrongScopeInForbidden) { &st.config.challenge_scopes } else { needed };
    let desc = format!("tool `{tool}` needs scope `{}`", needed.join(" "));
    let c = Challenge {
        realm: st.config.challenge_realm.clone(),
        error: Some("insufficient_scope"),
        scope: Some(scope_param(st, named)),
        resource_metadata: (!f.has(Fault::NoResourceMetadataIn403)).then(|| resource_metadata_url(st)),
        description: Some(desc.clone()),
    };
    let status = if f.has(Fault::InsufficientScopeAs401) { StatusCode::UNAUTHORIZED } else { StatusCode::FORBIDDEN };
    respond(status, Some(&c), json!({ "error": "insufficient_scope", "error_description": desc }))
}

/// Mixed authentication's answer for a tool the caller may not use: a tool result with
/// `isError: true` and `_meta["mcp/www_authenticate"]` holding the 403 challenge (`error`
/// `insufficient_scope`, the tool's `scope`, `resource_metadata`, `error_description`), as the Apps
/// SDK's `oauthErrorResult` builds it (seed 002). `anonymous`: no token was sent at all. Fault
/// switch: `MalformedToolChallenge` (GPT-13) drops `resource_metadata`.
pub(crate) fn tool_challenge(st: &AppState, tool: &str, needed: &[String], anonymous: bool) -> Value {
    let (text, desc) = if anonymous {
        (
            format!("Authentication required: sign in to use `{tool}`."),
            format!("no access token was provided; tool `{tool}` needs scope `{}`", needed.join(" ")),
        )
    } else {
        (
            format!("Insufficient permissions: `{tool}` needs `{}`.", needed.join(" ")),
            format!("tool `{tool}` needs scope `{}`", needed.join(" ")),
        )
    };
    let c = Challenge {
        realm: st.config.challenge_realm.clone(),
        error: Some("insufficient_scope"),
        scope: Some(needed.join(" ")),
        resource_metadata: (!st.faults.has(Fault::MalformedToolChallenge)).then(|| resource_metadata_url(st)),
        description: Some(desc),
    };
    json!({
        "content": [{ "type": "text", "text": text }],
        "isError": true,
        "_meta": { "mcp/www_authenticate": [c.header()] },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_parameter_order_follows_the_spec_examples() {
        let c = Challenge {
            scope: Some("mcp:read".into()),
            resource_metadata: Some("http://h/.well-known/oauth-protected-resource".into()),
            ..Default::default()
        };
        assert_eq!(
            c.header(),
            r#"Bearer resource_metadata="http://h/.well-known/oauth-protected-resource", scope="mcp:read""#
        );
        let c = Challenge { error: Some("insufficient_scope"), description: Some("needs \"w\"\n".into()), ..c };
        assert_eq!(
            c.header(),
            r#"Bearer error="insufficient_scope", scope="mcp:read", resource_metadata="http://h/.well-known/oauth-protected-resource", error_description="needs w""#
        );
        assert_eq!(Challenge::default().header(), "Bearer");
        let c = Challenge { realm: Some("ownsona".into()), ..Default::default() };
        assert_eq!(c.header(), r#"Bearer realm="ownsona""#);
    }

    #[test]
    fn quoted_values_drop_quote_backslash_and_controls() {
        assert_eq!(quotable("a\"b\\c\td é!"), "abcd !");
        assert_eq!(quotable(&"x".repeat(1000)).len(), 300);
    }
}
