//! Token introspection (RFC 7662) and revocation (RFC 7009), so resource servers that validate
//! opaque tokens can be tested, and a client's logout can be observed.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::sync::Arc;

use crate::client_auth::{authenticate, param};
use crate::error::OAuthError;
use crate::state::{AppState, TokenKind};

/// `POST /introspect`. Callers authenticate like confidential clients (RFC 7662 §2.1); public
/// clients may not introspect. A caller learns about its own tokens, or about every token when it
/// is a static client flagged `resource_server`; anything else is `{"active": false}`, exactly
/// like an unknown token, so a self-registered client can neither read another client's grant
/// nor learn that a token exists (RFC 7662 §4).
pub(crate) async fn introspect(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let run = async {
        let form = crate::token::parse_form(&headers, &body)?;
        let auth = authenticate(&state, &headers, &form).await?;
        if auth.method == "none" {
            return Err(OAuthError::invalid_client("public clients may not introspect", false));
        }
        let token = param(&form, "token")?.ok_or_else(|| OAuthError::invalid_request("token is required"))?;
        let now = state.now();
        let tokens = state.tokens.lock();
        let Some(t) = tokens.get(token) else { return Ok(json!({ "active": false })) };
        let may_see = t.client_id == auth.client.client_id || state.resource_servers.contains(&auth.client.client_id);
        if !may_see || tokens.revoked(t) || t.expires_at <= now || (t.kind == TokenKind::Refresh && t.used) {
            return Ok(json!({ "active": false }));
        }
        let mut v = json!({
            "active": true,
            "client_id": t.client_id,
            "sub": t.sub,
            "iss": state.issuer,
            "exp": t.expires_at,
            "token_type": if t.kind == TokenKind::Access { "Bearer" } else { "refresh_token" },
        });
        if !t.scope.is_empty() {
            v["scope"] = json!(t.scope.join(" "));
        }
        match t.aud.len() {
            0 => {}
            1 => v["aud"] = json!(t.aud[0]),
            _ => v["aud"] = json!(t.aud),
        }
        if let Some(j) = &t.jti {
            v["jti"] = json!(j);
        }
        Ok::<Value, OAuthError>(v)
    };
    match run.await {
        Ok(v) => {
            let mut r = Json(v).into_response();
            r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Err(e) => e.into_response(),
    }
}

/// `POST /revoke`. Unknown tokens still get 200 (RFC 7009 §2.2); revoking a refresh token revokes
/// its whole grant.
pub(crate) async fn revoke(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let run = async {
        let form = crate::token::parse_form(&headers, &body)?;
        let auth = authenticate(&state, &headers, &form).await?;
        let token = param(&form, "token")?.ok_or_else(|| OAuthError::invalid_request("token is required"))?;
        let mut tokens = state.tokens.lock();
        let found =
            tokens.get(token).filter(|t| t.client_id == auth.client.client_id).map(|t| (t.kind, t.family.clone()));
        match found {
            Some((TokenKind::Refresh, family)) => tokens.revoke_family(&family),
            Some((TokenKind::Access, _)) => tokens.revoke_token(token),
            None => {}
        }
        Ok::<(), OAuthError>(())
    };
    match run.await {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => e.into_response(),
    }
}
