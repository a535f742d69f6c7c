//! Authorization server metadata (RFC 8414, OpenID Connect Discovery 1.0) and the JWKS.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::sync::Arc;

use crate::config::MetadataLocation;
use crate::quirks::Quirk;
use crate::state::AppState;

/// The metadata document. The same document is served at every configured location, which is
/// what real IdPs do; OIDC-required members are included so the OIDC locations are valid too.
pub(crate) fn document(state: &AppState) -> Value {
    let q = |x: Quirk| state.config.has(x);
    let issuer = if q(Quirk::MetadataIssuerMismatch) {
        format!("{}/not-the-issuer", state.origin)
    } else {
        state.issuer.clone()
    };
    let auth_methods = state.token_auth_methods();
    let mut m = json!({
        "issuer": issuer,
        "authorization_endpoint": state.endpoint("authorize"),
        "token_endpoint": state.endpoint("token"),
        "jwks_uri": state.endpoint("jwks"),
        "introspection_endpoint": state.endpoint("introspect"),
        "revocation_endpoint": state.endpoint("revoke"),
        "scopes_supported": state.config.advertised_scopes.as_ref().unwrap_or(&state.config.scopes_supported),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported": auth_methods,
        "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    });
    if !q(Quirk::NoRegistrationEndpoint) {
        m["registration_endpoint"] = json!(state.endpoint("register"));
    }
    if !q(Quirk::NoCodeChallengeMethods) {
        m["code_challenge_methods_supported"] =
            if q(Quirk::PlainPkceAllowed) { json!(["S256", "plain"]) } else { json!(["S256"]) };
    }
    if !q(Quirk::IssParameterNotAdvertised) && !q(Quirk::IssSentNotAdvertised) {
        m["authorization_response_iss_parameter_supported"] = json!(true);
    }
    if !q(Quirk::NoCimd) {
        m["client_id_metadata_document_supported"] = json!(true);
    }
    m
}

/// The well-known paths for an issuer path, in the order the MCP spec tells clients to try them
/// (A1125 L131–144), without duplicates.
pub(crate) fn paths(issuer_path: &str, locations: &[MetadataLocation], trailing_slash: bool) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |p: String| {
        if !out.contains(&p) {
            out.push(p);
        }
    };
    for loc in [MetadataLocation::Oauth, MetadataLocation::OidcInserted, MetadataLocation::OidcAppended] {
        if !locations.contains(&loc) {
            continue;
        }
        let p = match loc {
            MetadataLocation::Oauth => format!("/.well-known/oauth-authorization-server{issuer_path}"),
            MetadataLocation::OidcInserted => format!("/.well-known/openid-configuration{issuer_path}"),
            MetadataLocation::OidcAppended => format!("{issuer_path}/.well-known/openid-configuration"),
        };
        push(p.clone());
        if trailing_slash {
            // An issuer ending in `/` yields these forms when a client inserts it literally.
            let with_slash = match loc {
                MetadataLocation::OidcAppended => format!("{issuer_path}//.well-known/openid-configuration"),
                _ => format!("{p}/"),
            };
            push(with_slash);
        }
    }
    out
}

pub(crate) async fn serve(State(state): State<Arc<AppState>>) -> Response {
    Json(document(&state)).into_response()
}

pub(crate) async fn jwks(State(state): State<Arc<AppState>>) -> Response {
    let mut r = Json(state.keys().jwks()).into_response();
    r.headers_mut().insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("max-age=60"));
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use MetadataLocation::*;

    #[test]
    fn well_known_paths_for_issuer_with_and_without_path() {
        assert_eq!(
            paths("/tenant1", &[Oauth, OidcInserted, OidcAppended], false),
            [
                "/.well-known/oauth-authorization-server/tenant1",
                "/.well-known/openid-configuration/tenant1",
                "/tenant1/.well-known/openid-configuration"
            ]
        );
        assert_eq!(
            paths("", &[Oauth, OidcInserted, OidcAppended], false),
            ["/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"]
        );
        assert_eq!(paths("", &[OidcAppended], false), ["/.well-known/openid-configuration"]);
    }
}
