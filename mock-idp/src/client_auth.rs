//! Client authentication at the token, introspection and revocation endpoints.
//!
//! One method per request (RFC 6749 §2.3: "MUST NOT use more than one authentication method"),
//! and it must be one the client registered. HTTP Basic credentials are form-urlencoded before
//! base64 (RFC 6749 §2.3.1) — a detail real clients and servers get wrong, so it is honoured here.

use axum::http::HeaderMap;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;

use crate::error::OAuthError;
use crate::quirks::Quirk;
use std::sync::Arc;

use crate::state::{AppState, RegisteredClient};

/// The `client_assertion_type` of RFC 7523 §2.2.
pub const JWT_BEARER_ASSERTION: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// An authenticated client and the method it used.
#[derive(Debug, Clone)]
pub(crate) struct Authenticated {
    pub client: Arc<RegisteredClient>,
    pub method: &'static str,
}

/// Form parameters, in order.
pub(crate) type Form = Vec<(String, String)>;

/// The single value of a parameter; a repeated parameter is an `invalid_request` (RFC 6749 §3.2).
pub(crate) fn param<'a>(form: &'a Form, name: &str) -> Result<Option<&'a str>, OAuthError> {
    let mut it = form.iter().filter(|(k, _)| k == name);
    let first = it.next().map(|(_, v)| v.as_str());
    if it.next().is_some() {
        return Err(OAuthError::invalid_request(format!("parameter `{name}` is repeated")));
    }
    Ok(first)
}

fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = headers.get(axum::http::header::AUTHORIZATION) else { return Ok(None) };
    let bad = |m: &str| OAuthError::invalid_client(format!("malformed Basic credentials: {m}"), true);
    let value = value.to_str().map_err(|_| bad("not ASCII"))?;
    let (scheme, rest) = value.split_once(' ').ok_or_else(|| bad("no credentials after the scheme"))?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(OAuthError::invalid_client(
            format!("unsupported authorization scheme `{scheme}` at this endpoint"),
            true,
        ));
    }
    let decoded = STANDARD.decode(rest.trim()).map_err(|_| bad("not base64"))?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad("not UTF-8"))?;
    let (id, secret) = decoded.split_once(':').ok_or_else(|| bad("no `:` between id and secret"))?;
    let unescape = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.into_owned()).unwrap_or_default()
    };
    Ok(Some((unescape(id), unescape(secret))))
}

/// Constant-time comparison, so the mock does not teach timing leaks by example.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Finds a client by id: registered, static, or a metadata document URL.
pub(crate) async fn lookup(state: &AppState, client_id: &str) -> Option<Result<Arc<RegisteredClient>, OAuthError>> {
    if let Some(c) = state.client(client_id)
        && c.source != crate::state::ClientSource::MetadataDocument
    {
        return Some(Ok(c));
    }
    if crate::cimd::is_document_url(client_id) {
        return Some(crate::cimd::resolve(state, client_id).await);
    }
    None
}

/// Authenticates the client of a token-endpoint-style request.
pub(crate) async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    form: &Form,
) -> Result<Authenticated, OAuthError> {
    let basic = basic_credentials(headers)?;
    let body_id = param(form, "client_id")?;
    let body_secret = param(form, "client_secret")?;
    let assertion_type = param(form, "client_assertion_type")?;
    let assertion = param(form, "client_assertion")?;

    let used = [basic.is_some(), body_secret.is_some(), assertion.is_some() || assertion_type.is_some()];
    if used.iter().filter(|u| **u).count() > 1 {
        return Err(OAuthError::invalid_request("more than one client authentication method was used (RFC 6749 §2.3)"));
    }

    if let Some((id, secret)) = basic {
        if state.config.has(Quirk::BasicAuthRefused) {
            return Err(OAuthError::invalid_client("HTTP Basic client authentication is not supported", true));
        }
        match body_id {
            Some(b) if b != id => {
                return Err(OAuthError::invalid_request("client_id in the body differs from the Basic credentials"));
            }
            None if state.config.has(Quirk::ClientIdRequiredInBody) => {
                return Err(OAuthError::invalid_request("client_id is required in the request body"));
            }
            _ => {}
        }
        let client = known(state, &id, true).await?;
        require_method(&client, "client_secret_basic", true)?;
        check_secret(&client, &secret, true)?;
        return Ok(Authenticated { client, method: "client_secret_basic" });
    }

    if let Some(secret) = body_secret {
        let id = body_id.ok_or_else(|| OAuthError::invalid_request("client_secret without client_id"))?;
        let client = known(state, id, false).await?;
        require_method(&client, "client_secret_post", false)?;
        check_secret(&client, secret, false)?;
        return Ok(Authenticated { client, method: "client_secret_post" });
    }

    if assertion.is_some() || assertion_type.is_some() {
        if assertion_type != Some(JWT_BEARER_ASSERTION) {
            return Err(OAuthError::invalid_request(format!("client_assertion_type must be {JWT_BEARER_ASSERTION}")));
        }
        let assertion =
            assertion.ok_or_else(|| OAuthError::invalid_request("client_assertion_type without client_assertion"))?;
        let claimed = jsonwebtoken::dangerous::insecure_decode::<Value>(assertion)
            .ok()
            .and_then(|d| d.claims.get("sub").and_then(Value::as_str).map(str::to_owned))
            .ok_or_else(|| OAuthError::invalid_client("client_assertion is not a JWT with a sub", false))?;
        if let Some(b) = body_id
            && b != claimed
        {
            return Err(OAuthError::invalid_client("client_id differs from the client_assertion sub", false));
        }
        let client = known(state, &claimed, false).await?;
        require_method(&client, "private_key_jwt", false)?;
        verify_assertion(state, &client, assertion).await?;
        return Ok(Authenticated { client, method: "private_key_jwt" });
    }

    let id = body_id.ok_or_else(|| OAuthError::invalid_client("no client authentication and no client_id", false))?;
    let client = known(state, id, false).await?;
    require_method(&client, "none", false)?;
    Ok(Authenticated { client, method: "none" })
}

async fn known(state: &AppState, id: &str, basic: bool) -> Result<Arc<RegisteredClient>, OAuthError> {
    match lookup(state, id).await {
        Some(Ok(c)) => Ok(c),
        Some(Err(e)) => Err(e),
        None => Err(OAuthError::invalid_client(format!("unknown client `{id}`"), basic)),
    }
}

fn require_method(client: &RegisteredClient, method: &str, basic: bool) -> Result<(), OAuthError> {
    if client.auth_methods.iter().any(|m| m == method) {
        Ok(())
    } else {
        Err(OAuthError::invalid_client(
            format!("client is registered for {} but authenticated with {method}", client.auth_methods.join(" or ")),
            basic,
        ))
    }
}

fn check_secret(client: &RegisteredClient, secret: &str, basic: bool) -> Result<(), OAuthError> {
    match &client.client_secret {
        Some(s) if same(s, secret) => Ok(()),
        _ => Err(OAuthError::invalid_client("client authentication failed", basic)),
    }
}

async fn client_jwks(state: &AppState, client: &RegisteredClient) -> Result<Value, OAuthError> {
    if let Some(j) = &client.jwks {
        return Ok(j.clone());
    }
    let uri = client.jwks_uri.as_deref().ok_or_else(|| OAuthError::invalid_client("client has no jwks_uri", false))?;
    let now = state.now();
    let fetch_url = {
        let caches = state.caches.lock();
        if let Some((j, until)) = caches.jwks_cache.get(uri)
            && *until > now
        {
            return Ok(j.clone());
        }
        crate::state::rewrite(&caches.fetch_rewrites, uri)
    };
    let (jwks, _) = crate::fetch::json(&state.http, &fetch_url, state.config.allow_loopback_fetch)
        .await
        .map_err(|e| OAuthError::invalid_client(format!("client jwks_uri: {e}"), false))?;
    let mut caches = state.caches.lock();
    caches.jwks_cache.insert(uri.to_owned(), (jwks.clone(), now + 300));
    if caches.jwks_cache.sweep_due() {
        caches.jwks_cache.retain(|(_, until)| *until > now);
    }
    Ok(jwks)
}

/// Verifies an RFC 7523 client assertion: RS256 signature by a key of the client's JWKS,
/// `iss` = `sub` = client id, `aud` naming this token endpoint (at its own origin or at a public URL
/// the IdP was told of) or the issuer, `exp` in the future,
/// and a `jti` never seen before.
async fn verify_assertion(state: &AppState, client: &RegisteredClient, assertion: &str) -> Result<(), OAuthError> {
    let bad = |m: String| OAuthError::invalid_client(format!("client_assertion: {m}"), false);
    let header = jsonwebtoken::decode_header(assertion).map_err(|e| bad(e.to_string()))?;
    if header.alg != Algorithm::RS256 {
        return Err(bad(format!("alg {:?} is not RS256", header.alg)));
    }
    let jwks = client_jwks(state, client).await?;
    let keys = jwks.get("keys").and_then(Value::as_array).cloned().unwrap_or_default();
    let candidates: Vec<&Value> = keys
        .iter()
        .filter(|k| k.get("kty").and_then(Value::as_str) == Some("RSA"))
        .filter(|k| header.kid.is_none() || k.get("kid").and_then(Value::as_str) == header.kid.as_deref())
        .collect();
    if candidates.is_empty() {
        return Err(bad("no RSA key in the client's JWKS matches the assertion's kid".into()));
    }
    let mut validation = Validation::new(Algorithm::RS256);
    let mut audiences = vec![state.endpoint("token"), state.issuer.clone()];
    audiences.extend(state.caches.lock().public_token_urls.iter().cloned());
    validation.set_audience(&audiences);
    validation.set_issuer(&[client.client_id.as_str()]);
    validation.sub = Some(client.client_id.clone());
    validation.set_required_spec_claims(&["exp", "iss", "sub", "aud"]);
    validation.leeway = 5;
    // `exp` (required above) and `nbf` are checked on the IdP's clock below, like codes and
    // refresh tokens, so `advance_clock` expires assertions too.
    validation.validate_exp = false;
    let mut last_err = String::new();
    for k in candidates {
        let (Some(n), Some(e)) = (k.get("n").and_then(Value::as_str), k.get("e").and_then(Value::as_str)) else {
            continue;
        };
        let Ok(key) = DecodingKey::from_rsa_components(n, e) else { continue };
        match jsonwebtoken::decode::<Value>(assertion, &key, &validation) {
            Ok(data) => {
                let now = state.now();
                let time = |k: &str| data.claims.get(k).and_then(Value::as_f64);
                if time("exp").is_none_or(|exp| exp < (now - 5) as f64) {
                    return Err(bad("the assertion has expired".into()));
                }
                if time("nbf").is_some_and(|nbf| nbf > (now + 5) as f64) {
                    return Err(bad("the assertion is not valid yet (nbf)".into()));
                }
                let jti = data.claims.get("jti").and_then(Value::as_str).ok_or_else(|| bad("no jti".into()))?;
                // Remembered until the assertion expires (after that it is refused as expired
                // anyway); beyond the cap the oldest is forgotten.
                let exp = time("exp").map(|e| e as i64).unwrap_or(now);
                let key = format!("{}|{jti}", client.client_id);
                let mut caches = state.caches.lock();
                if caches.used_assertion_jtis.contains(&key) {
                    return Err(bad("jti was already used (replayed assertion)".into()));
                }
                caches.used_assertion_jtis.insert(key, exp + 5);
                if caches.used_assertion_jtis.sweep_due() {
                    caches.used_assertion_jtis.retain(|until| *until >= now);
                }
                return Ok(());
            }
            Err(e) => last_err = e.to_string(),
        }
    }
    Err(bad(last_err))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn basic_credentials_are_form_decoded() {
        let mut h = HeaderMap::new();
        let raw = STANDARD.encode("my%3Aclient:s%2Bcret");
        h.insert("authorization", HeaderValue::from_str(&format!("Basic {raw}")).unwrap());
        assert_eq!(basic_credentials(&h).unwrap(), Some(("my:client".into(), "s+cret".into())));
        h.insert("authorization", HeaderValue::from_static("Basic !!!"));
        let e = basic_credentials(&h).unwrap_err();
        assert_eq!(e.error, "invalid_client");
        assert!(e.basic_challenge);
    }

    #[test]
    fn repeated_parameters_are_refused() {
        let form: Form = vec![("code".into(), "a".into()), ("code".into(), "b".into())];
        assert_eq!(param(&form, "code").unwrap_err().error, "invalid_request");
    }
}
