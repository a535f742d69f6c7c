//! Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document; MCP 2025-11-25).
//!
//! A `client_id` that is an https URL names a JSON document describing the client. The IdP fetches
//! it, checks that its `client_id` is exactly that URL (MCP A1125 L236), that it has the required
//! fields (L229, L239), and caches it (L237).

use serde_json::Value;

use crate::error::OAuthError;
use crate::quirks::Quirk;
use std::sync::Arc;

use crate::state::{AppState, ClientSource, RegisteredClient, rewrite};

/// Whether a `client_id` is a metadata-document URL rather than an opaque id.
pub(crate) fn is_document_url(client_id: &str) -> bool {
    client_id.starts_with("https://") || client_id.starts_with("http://")
}

/// Resolves a URL client id to a client, from cache or by fetching.
pub(crate) async fn resolve(state: &AppState, client_id: &str) -> Result<Arc<RegisteredClient>, OAuthError> {
    if state.config.has(Quirk::NoCimd) {
        return Err(OAuthError::invalid_client("client ID metadata documents are not supported by this server", false));
    }
    let now = state.now();
    let fetch_url = {
        let mut caches = state.caches.lock();
        if let Some((c, until)) = caches.cimd_cache.get(client_id)
            && *until > now
        {
            let c = c.clone();
            caches.cimd_cache.touch(client_id);
            return Ok(c);
        }
        rewrite(&caches.fetch_rewrites, client_id)
    };
    let (doc, max_age) = crate::fetch::json(&state.http, &fetch_url, state.config.allow_loopback_fetch)
        .await
        .map_err(|e| OAuthError::invalid_client(format!("client metadata document: {e}"), false))?;
    let client = Arc::new(validate(state, client_id, doc)?);
    let ttl = max_age.unwrap_or(state.config.cimd_cache_ttl as i64).max(0);
    {
        // Beyond `max_clients` the least recently used document is forgotten (and fetched again
        // when its client comes back).
        let mut caches = state.caches.lock();
        caches.cimd_cache.insert(client_id.to_owned(), (client.clone(), now + ttl));
        if caches.cimd_cache.sweep_due() {
            caches.cimd_cache.retain(|(_, until)| *until > now);
        }
    }
    state.add_client(client.clone());
    Ok(client)
}

fn validate(state: &AppState, url: &str, doc: Value) -> Result<RegisteredClient, OAuthError> {
    let bad = |m: String| OAuthError::invalid_client(format!("client metadata document: {m}"), false);
    let s = |k: &str| doc.get(k).and_then(Value::as_str).map(str::to_owned);
    match doc.get("client_id").and_then(Value::as_str) {
        Some(id) if id == url => {}
        Some(_) if state.config.has(Quirk::CimdClientIdNotChecked) => {}
        Some(id) => return Err(bad(format!("client_id `{id}` does not equal the document URL `{url}`"))),
        None => return Err(bad("no client_id".into())),
    }
    let client_name = s("client_name").ok_or_else(|| bad("no client_name".into()))?;
    let redirect_uris: Vec<String> = doc
        .get("redirect_uris")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default();
    if redirect_uris.is_empty() {
        return Err(bad("redirect_uris is missing or empty".into()));
    }
    for r in &redirect_uris {
        crate::registration::check_redirect_uri(r).map_err(|m| bad(m.description))?;
    }
    let singular = s("token_endpoint_auth_method").unwrap_or_else(|| "none".into());
    if singular.starts_with("client_secret") {
        return Err(bad(format!("`{singular}` needs a shared secret, which a metadata document cannot carry")));
    }
    // ChatGPT's document lists every method it can use in `token_endpoint_auth_methods_supported`;
    // a server that reads it can negotiate down to `none`. The quirk models servers that read
    // only the singular field.
    let offered: Vec<String> = if state.config.has(Quirk::CimdSingularAuthMethodOnly) {
        vec![singular]
    } else {
        let mut list: Vec<String> = doc
            .get("token_endpoint_auth_methods_supported")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default();
        if !list.contains(&singular) {
            list.insert(0, singular);
        }
        list
    };
    let supported = state.token_auth_methods();
    let auth_methods: Vec<String> =
        offered.into_iter().filter(|m| supported.contains(&m.as_str()) && !m.starts_with("client_secret")).collect();
    if auth_methods.is_empty() {
        return Err(bad(format!(
            "no token endpoint auth method this server supports (it supports {})",
            supported.join(", ")
        )));
    }
    let jwks_uri = s("jwks_uri");
    let jwks = doc.get("jwks").cloned();
    if auth_methods == ["private_key_jwt"] && jwks_uri.is_none() && jwks.is_none() {
        return Err(bad("private_key_jwt without jwks_uri or jwks".into()));
    }
    let grant_types = doc
        .get("grant_types")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_else(|| vec!["authorization_code".to_owned()]);
    Ok(RegisteredClient {
        client_id: url.to_owned(),
        client_secret: None,
        redirect_uris,
        auth_methods,
        grant_types,
        allowed_scopes: None,
        client_name: Some(client_name),
        jwks_uri,
        jwks,
        source: ClientSource::MetadataDocument,
        metadata: Some(doc),
    })
}
