//! RFC 9728 OAuth 2.0 Protected Resource Metadata, served at both well-known locations:
//!
//! - path-suffixed, `/.well-known/oauth-protected-resource/mcp` (RFC 9728 §3.1: the well-known
//!   segment inserted between host and path; MCP 2025-11-25 §Protected Resource Metadata Discovery
//!   Requirements lists it first), and
//! - host root, `/.well-known/oauth-protected-resource`, which ChatGPT fetches after stripping the
//!   path (GPT-01) and which MCP 2025-11-25 clients try next.
//!
//! Both carry the same document: `resource` is the canonical MCP endpoint URL (RS-18; MCP §Canonical
//! Server URI), `authorization_servers` lists the AS (RS-02), `bearer_methods_supported` is
//! `["header"]` only (RFC 9728 §2; MCP forbids tokens in the query string). `get` routes answer
//! HEAD like GET, without a body (RFC 9110 §9.3.2).
//!
//! Also the MCP manifest `/.well-known/mcp/manifest.json` that ChatGPT read in 2025 (seed 003 §1,
//! §3.1), served only when `manifest_schema_version` is configured.

use axum::extract::State;
use axum::http::header::{ACCESS_CONTROL_ALLOW_ORIGIN, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::sync::Arc;

use super::faults::Fault;
use super::modern::{self, ModernFault};
use super::state::AppState;

/// The PRM document. Fault switches: `PrmWrongResource` (RS-18), `PrmWithoutAuthorizationServers` (RS-02),
/// `PrmListsMetadataUrl` (GPT-03); `OfflineAccessAdvertised` (RS-21) and `PrmResourceTrailingSlash`
/// (RS-28) of the 2026-07-28 faults.
pub(crate) fn document(st: &AppState) -> Value {
    let mut resource = if st.faults.has(Fault::PrmWrongResource) { st.origin.clone() } else { st.resource.clone() };
    if modern::has(st, ModernFault::PrmResourceTrailingSlash) {
        resource.push('/');
    }
    let mut scopes = st.config.scopes_supported.clone();
    if modern::has(st, ModernFault::OfflineAccessAdvertised) {
        scopes.push("offline_access".into());
    }
    let issuer = st.issuer();
    let server = if st.faults.has(Fault::PrmListsMetadataUrl) {
        format!("{}/.well-known/oauth-authorization-server", issuer.trim_end_matches('/'))
    } else {
        issuer
    };
    let mut doc = json!({
        "resource": resource,
        "authorization_servers": [server],
        "scopes_supported": scopes,
        "bearer_methods_supported": ["header"],
        "resource_name": st.config.resource_name,
    });
    if st.faults.has(Fault::PrmWithoutAuthorizationServers)
        && let Some(o) = doc.as_object_mut()
    {
        o.remove("authorization_servers");
    }
    doc
}

/// GET/HEAD `/.well-known/oauth-protected-resource`.
pub(crate) async fn root(State(st): State<Arc<AppState>>) -> Response {
    serve(&st, true)
}

/// GET/HEAD `/.well-known/oauth-protected-resource{mcp_path}`.
pub(crate) async fn path(State(st): State<Arc<AppState>>) -> Response {
    serve(&st, false)
}

/// Fault switches: `NoPrm` (RS-01), `PrmOnlyAtPath` (GPT-01), `NoCors` (GPT-12).
fn serve(st: &AppState, at_root: bool) -> Response {
    if st.faults.has(Fault::NoPrm) || (at_root && st.faults.has(Fault::PrmOnlyAtPath)) {
        return super::server::not_found();
    }
    let mut r = (StatusCode::OK, [(CONTENT_TYPE, "application/json")], document(st).to_string()).into_response();
    // Public metadata: any origin may read it (browser-based clients discover from other origins).
    if !st.faults.has(Fault::NoCors) {
        r.headers_mut().insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    }
    r
}

/// The well-known path of the MCP manifest (seed 003).
pub(crate) const MANIFEST_PATH: &str = "/.well-known/mcp/manifest.json";

/// GET/HEAD `/.well-known/mcp/manifest.json`: 404 unless `manifest_schema_version` is set.
pub(crate) async fn manifest(State(st): State<Arc<AppState>>) -> Response {
    let Some(version) = &st.config.manifest_schema_version else { return super::server::not_found() };
    let doc = json!({
        "schemaVersion": version,
        "name": st.config.resource_name,
        "transport": { "type": "streamable-http", "url": st.resource },
        "authorization": { "type": "oauth2", "protected_resource_metadata": st.prm_url_root() },
    });
    let mut r = (StatusCode::OK, [(CONTENT_TYPE, "application/json")], doc.to_string()).into_response();
    if !st.faults.has(Fault::NoCors) {
        r.headers_mut().insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    }
    r
}
