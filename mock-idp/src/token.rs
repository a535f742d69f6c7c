//! The token endpoint: `authorization_code` and `refresh_token` grants (OAuth 2.1 §4.1.3, §4.3),
//! with RFC 8707 `resource` → `aud`, single-use short-lived codes, and refresh-token rotation with
//! reuse detection (a replayed refresh token revokes its whole family: OAuth 2.1 §4.3.1, RFC 9700
//! §4.14.2).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::sync::Arc;

use crate::client_auth::{Form, authenticate, param};
use crate::error::OAuthError;
use crate::quirks::Quirk;
use crate::state::{AppState, ClientSource, RegisteredClient, TokenKind, TokenRecord};
use crate::tokens::{Signing, sign, standard_claims};

pub(crate) fn parse_form(headers: &HeaderMap, body: &[u8]) -> Result<Form, OAuthError> {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !ct.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded") {
        return Err(OAuthError::invalid_request("the request body must be application/x-www-form-urlencoded"));
    }
    Ok(url::form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
}

fn no_store(v: Value) -> Response {
    let mut r = Json(v).into_response();
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r.headers_mut().insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    r
}

/// `POST /token`.
pub(crate) async fn token(State(state): State<Arc<AppState>>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    match handle(&state, &headers, &body).await {
        Ok(v) => no_store(v),
        Err(e) => e.into_response(),
    }
}

async fn handle(state: &AppState, headers: &HeaderMap, body: &[u8]) -> Result<Value, OAuthError> {
    let form = parse_form(headers, body)?;
    let grant =
        param(&form, "grant_type")?.ok_or_else(|| OAuthError::invalid_request("grant_type is required"))?.to_owned();
    if grant != "authorization_code" && grant != "refresh_token" {
        return Err(OAuthError::unsupported_grant_type(format!("grant_type `{grant}` is not supported")));
    }
    let auth = authenticate(state, headers, &form).await?;
    if !auth.client.grant_types.contains(&grant) {
        return Err(OAuthError::unauthorized_client(format!("client is not registered for the {grant} grant")));
    }
    let resources: Vec<String> = form.iter().filter(|(k, _)| k == "resource").map(|(_, v)| v.clone()).collect();
    for r in &resources {
        crate::authorize::check_resource(state, r).map_err(OAuthError::invalid_target)?;
    }
    if grant == "authorization_code" {
        code_grant(state, &auth.client, &form, resources)
    } else {
        refresh_grant(state, &auth.client, &form, resources)
    }
}

fn code_grant(
    state: &AppState,
    client: &RegisteredClient,
    form: &Form,
    resources: Vec<String>,
) -> Result<Value, OAuthError> {
    let code = param(form, "code")?.ok_or_else(|| OAuthError::invalid_request("code is required"))?;
    let verifier = param(form, "code_verifier")?;
    let redirect_uri = param(form, "redirect_uri")?;
    let now = state.now();
    let Some(rec) = state.codes.lock().get(code).cloned() else {
        return Err(OAuthError::invalid_grant("unknown authorization code"));
    };
    if rec.redeemed {
        return Err(code_replayed(state, &rec.code));
    }
    if rec.client_id != client.client_id {
        return Err(OAuthError::invalid_grant("authorization code was issued to another client"));
    }
    if now - rec.issued_at > state.config.code_ttl as i64 {
        return Err(OAuthError::invalid_grant("authorization code expired"));
    }
    match (redirect_uri, rec.redirect_uri_sent) {
        (Some(r), _) if r != rec.redirect_uri => {
            return Err(OAuthError::invalid_grant("redirect_uri differs from the authorization request"));
        }
        (None, true) => {
            return Err(OAuthError::invalid_grant("redirect_uri is required: the authorization request carried one"));
        }
        _ => {}
    }
    let verifier = verifier.ok_or_else(|| OAuthError::invalid_grant("code_verifier is required (PKCE)"))?;
    // Hashing happens on the copy, outside any lock.
    crate::pkce::verify(verifier, &rec.code_challenge, &rec.code_challenge_method)
        .map_err(OAuthError::invalid_grant)?;
    if let Some(r) = resources.iter().find(|r| !rec.resources.is_empty() && !rec.resources.contains(r)) {
        return Err(OAuthError::invalid_target(format!("resource `{r}` was not part of the authorization request")));
    }
    if state.config.has(Quirk::CimdTokenRefusedInvalidGrant) && client.source == ClientSource::MetadataDocument {
        return Err(OAuthError::invalid_grant("the authorization code cannot be exchanged by this client"));
    }
    // Claim the code: re-checked under the lock, since a concurrent request may have redeemed it
    // since the copy was taken. The family is reserved before the codes lock is released, so a
    // replay that sees `redeemed` finds a family to revoke.
    {
        let mut codes = state.codes.lock();
        match codes.get_mut(code) {
            None => return Err(OAuthError::invalid_grant("unknown authorization code")),
            Some(c) if c.redeemed => {
                drop(codes);
                return Err(code_replayed(state, &rec.code));
            }
            Some(c) => c.redeemed = true,
        }
        state.tokens.lock().reserve(&rec.code);
    }
    let granted = if resources.is_empty() { rec.resources.clone() } else { resources };
    let grant = Grant { client, sub: &rec.sub, scope: &rec.scope, resources: &granted, family: &rec.code, now };
    let issued = issue(state, &grant, "authorization_code", true)?;
    if !commit(state, &grant, issued.records) {
        return Err(OAuthError::invalid_grant(
            "authorization code was already used; tokens issued from it are revoked",
        ));
    }
    Ok(issued.response)
}

/// RFC 6749 §4.1.2: a reused code SHOULD revoke what it produced.
fn code_replayed(state: &AppState, code: &str) -> OAuthError {
    state.tokens.lock().revoke_family(code);
    OAuthError::invalid_grant("authorization code was already used; tokens issued from it are revoked")
}

fn refresh_grant(
    state: &AppState,
    client: &RegisteredClient,
    form: &Form,
    resources: Vec<String>,
) -> Result<Value, OAuthError> {
    let presented =
        param(form, "refresh_token")?.ok_or_else(|| OAuthError::invalid_request("refresh_token is required"))?;
    let now = state.now();
    let rotate = !state.config.has(Quirk::NoRefreshRotation);
    // Check and rotate in one critical section, so two concurrent uses of one refresh token cannot
    // both succeed: the second sees `used` and revokes the family (OAuth 2.1 §4.3.1).
    let (rec, scope, granted) = {
        let mut tokens = state.tokens.lock();
        let rec = match tokens.get(presented) {
            Some(t) if t.kind == TokenKind::Refresh => t.clone(),
            _ => return Err(OAuthError::invalid_grant("unknown refresh token")),
        };
        if rec.client_id != client.client_id {
            return Err(OAuthError::invalid_grant("refresh token was issued to another client"));
        }
        if tokens.revoked(&rec) {
            return Err(OAuthError::invalid_grant("refresh token was revoked"));
        }
        if rec.used && !within_reuse_window(state, &rec, now) {
            tokens.revoke_family(&rec.family);
            return Err(OAuthError::invalid_grant("refresh token reuse detected: the whole grant is revoked"));
        }
        if rec.expires_at <= now {
            return Err(OAuthError::invalid_grant("refresh token expired"));
        }
        let scope: Vec<String> = match param(form, "scope")? {
            Some(s) => {
                let asked: Vec<String> = s.split(' ').filter(|x| !x.is_empty()).map(str::to_owned).collect();
                if let Some(bad) = asked.iter().find(|x| !rec.scope.contains(x)) {
                    return Err(OAuthError::invalid_scope(format!("scope `{bad}` exceeds the original grant")));
                }
                asked
            }
            None => rec.scope.clone(),
        };
        if let Some(r) = resources.iter().find(|r| !rec.resources.is_empty() && !rec.resources.contains(r)) {
            return Err(OAuthError::invalid_target(format!("resource `{r}` was not part of the original grant")));
        }
        let granted = if resources.is_empty() { rec.resources.clone() } else { resources };
        if rotate && !rec.used {
            tokens.mark_used(presented, now);
        }
        tokens.reserve(&rec.family);
        (rec, scope, granted)
    };
    let grant = Grant { client, sub: &rec.sub, scope: &scope, resources: &granted, family: &rec.family, now };
    // Without rotation the same refresh token is handed back: the quirk models servers that never
    // rotate.
    let mut issued = issue(state, &grant, "refresh_token", rotate)?;
    if !commit(state, &grant, issued.records) {
        return Err(OAuthError::invalid_grant("the grant was revoked while this token was being issued"));
    }
    if !rotate && client.grant_types.iter().any(|g| g == "refresh_token") {
        issued.response["refresh_token"] = json!(presented);
    }
    Ok(issued.response)
}

/// Whether a used refresh token is still inside the `refresh_reuse_window` quirk's window (then
/// it is honoured again instead of revoking the family).
fn within_reuse_window(state: &AppState, rec: &TokenRecord, now: i64) -> bool {
    match (state.config.quirks.refresh_reuse_window(), rec.used_at) {
        (Some(window), Some(at)) => now - at <= window as i64,
        _ => false,
    }
}

/// The audience a token gets: the resources, unless a quirk says otherwise; a client without any
/// resource gets its own id (RFC 9068 §3 needs some `aud`).
pub(crate) fn audience(state: &AppState, resources: &[String], client_id: &str) -> Vec<String> {
    if state.config.has(Quirk::NoAudience) {
        return Vec::new();
    }
    if let Some(fixed) = state.config.quirks.fixed_audience() {
        return vec![fixed.to_owned()];
    }
    if resources.is_empty() { vec![client_id.to_owned()] } else { resources.to_vec() }
}

/// What one issuance is for.
struct Grant<'a> {
    client: &'a RegisteredClient,
    sub: &'a str,
    scope: &'a [String],
    resources: &'a [String],
    /// The authorization code every token of this grant descends from.
    family: &'a str,
    now: i64,
}

/// Signed tokens not stored yet, and the response that hands them out.
struct Issued {
    records: Vec<TokenRecord>,
    response: Value,
}

/// Mints the tokens of a reserved grant. Called with no lock held: RS256 signing is the slow part
/// of `/token`, and holding a lock through it would serialise every endpoint behind it. On
/// failure the reservation is given up.
fn issue(state: &AppState, g: &Grant<'_>, grant: &str, new_refresh: bool) -> Result<Issued, OAuthError> {
    let aud = audience(state, g.resources, &g.client.client_id);
    let ttl = state.config.access_token_ttl as i64;
    let jti = crate::random::token(12);
    let access = if state.config.has(Quirk::OpaqueAccessTokens) {
        crate::random::token(32)
    } else {
        let aud_claim = match aud.len() {
            0 => None,
            1 => Some(json!(aud[0])),
            _ => Some(json!(aud)),
        };
        let claims = standard_claims(&state.issuer, g.sub, aud_claim, &g.client.client_id, g.scope, g.now, ttl, &jti);
        let keys = state.keys();
        match sign(&keys, &claims, Signing::Valid) {
            Ok(t) => t,
            Err(e) => {
                state.tokens.lock().abort(g.family);
                return Err(OAuthError::invalid_request(e.to_string()));
            }
        }
    };
    let record = |kind, value: &str, expires_at| TokenRecord {
        kind,
        value: value.to_owned(),
        jti: (kind == TokenKind::Access).then(|| jti.clone()),
        client_id: g.client.client_id.clone(),
        sub: g.sub.to_owned(),
        scope: g.scope.to_vec(),
        aud: aud.clone(),
        resources: g.resources.to_vec(),
        expires_at,
        family: g.family.to_owned(),
        revoked: false,
        used: false,
        used_at: None,
        grant: grant.to_owned(),
    };
    let mut records = vec![record(TokenKind::Access, &access, g.now + ttl)];
    let mut v = json!({ "access_token": access, "token_type": "Bearer", "expires_in": ttl });
    if !g.scope.is_empty() {
        v["scope"] = json!(g.scope.join(" "));
    }
    if new_refresh && g.client.grant_types.iter().any(|gt| gt == "refresh_token") {
        let refresh = crate::random::token(32);
        records.push(record(TokenKind::Refresh, &refresh, g.now + state.config.refresh_token_ttl as i64));
        v["refresh_token"] = json!(refresh);
    }
    Ok(Issued { records, response: v })
}

/// Stores issued tokens; `false` when their family was revoked while they were being signed
/// (then they are not stored and must not be handed out).
fn commit(state: &AppState, g: &Grant<'_>, records: Vec<TokenRecord>) -> bool {
    state.tokens.lock().commit(g.family, records, g.now)
}
