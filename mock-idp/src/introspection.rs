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
/// clients may not introspect.
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
        let inner = state.lock();
        let Some(t) = inner.tokens.iter().find(|t| t.value == token) else { return Ok(json!({ "active": false })) };
        if t.revoked || t.expires_at <= now || (t.kind == TokenKind::Refresh && t.used) {
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
        let mut inner = state.lock();
        let found = inner
            .tokens
            .iter()
            .find(|t| t.value == token && t.client_id == auth.client.client_id)
            .map(|t| (t.kind, t.family.clone()));
        match found {
            Some((TokenKind::Refresh, family)) => {
                inner.tokens.iter_mut().filter(|t| t.family == family).for_each(|t| t.revoked = true)
            }
            Some((TokenKind::Access, _)) => {
                inner.tokens.iter_mut().filter(|t| t.value == token).for_each(|t| t.revoked = true)
            }
            None => {}
        }
        Ok::<(), OAuthError>(())
    };
    match run.await {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => e.into_response(),
    }
}
