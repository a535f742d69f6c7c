//! The token request (code exchange and refresh) with the profile's client authentication and
//! header set.

use base64::Engine;
use serde_json::Value;

use crate::credentials::RegisteredClient;
use crate::ctx::Ctx;
use crate::discovery::Discovered;
use crate::fail::fail;
use crate::http::Req;
use crate::outcome::{Failure, FailureKind};
use crate::transcript::{ExchangeKind, Phase, SecretKind};

/// Tokens from the AS.
#[derive(Debug, Clone, Default)]
pub struct Tokens {
    /// Access token.
    pub access_token: String,
    /// Refresh token, if issued.
    pub refresh_token: Option<String>,
    /// Granted scope, if echoed.
    pub scope: Option<String>,
}

/// Adds the client's authentication for a request to `endpoint` (the token endpoint, or the
/// introspection endpoint): form parameters, and the `Authorization` value it needs (empty unless
/// HTTP Basic).
pub(crate) fn client_auth(
    ctx: &Ctx<'_>,
    phase: Phase,
    client: &RegisteredClient,
    endpoint: &str,
    params: &mut Vec<(String, String)>,
) -> Result<String, Failure> {
    let mut authorization = String::new();
    match client.auth_method.as_str() {
        "client_secret_basic" => {
            // RFC 6749 §2.3.1: form-urlencode id and secret before base64.
            let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            let raw = format!("{}:{}", enc(&client.client_id), enc(client.client_secret.as_deref().unwrap_or("")));
            authorization = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(raw));
        }
        "client_secret_post" => {
            params.push(("client_id".into(), client.client_id.clone()));
            params.push(("client_secret".into(), client.client_secret.clone().unwrap_or_default()));
        }
        "private_key_jwt" => {
            let a = ctx
                .opts
                .cimd_key
                .assertion(&client.client_id, endpoint)
                .map_err(|e| ctx.generic(phase, e.to_string()))?;
            ctx.rec.secret(SecretKind::Assertion, &a);
            params.push(("client_id".into(), client.client_id.clone()));
            params.push((
                "client_assertion_type".into(),
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".into(),
            ));
            params.push(("client_assertion".into(), a));
        }
        _ => params.push(("client_id".into(), client.client_id.clone())),
    }
    Ok(authorization)
}

/// Sends a token request: `grant` params plus the client's authentication.
pub(crate) async fn request(
    ctx: &Ctx<'_>,
    phase: Phase,
    found: &Discovered,
    client: &RegisteredClient,
    mut params: Vec<(String, String)>,
) -> Result<Tokens, Failure> {
    let p = ctx.profile;
    let url = ctx.mcp_url.as_str();
    let endpoint = found.meta("token_endpoint").unwrap_or_default().to_owned();
    if p.token_request.send_resource.value {
        params.push(("resource".into(), ctx.resource_at(&found.prm)));
    }
    let authorization = client_auth(ctx, phase, client, &endpoint, &mut params)?;
    let grant = params.iter().find(|(k, _)| k == "grant_type").map(|(_, v)| v.clone());
    let label = grant.as_ref().map(|v| format!("token ({v})")).unwrap_or_default();
    let kind = ExchangeKind::Token { grant: grant.unwrap_or_default() };
    let mut req = Req::new(reqwest::Method::POST, &endpoint, label).kind(kind).form(&params);
    for (k, v) in &p.token_request.headers.value {
        let v = v.replace("{user_agent}", &p.user_agent_oauth.value).replace("{authorization}", &authorization);
        if !v.is_empty() {
            req = req.header(k.as_str(), v);
        }
    }
    let r = ctx.send(phase, req).await?;
    let v = r.json().unwrap_or(Value::Null);
    // Whatever the AS handed out is a credential, even in an answer refused below (no Bearer type,
    // an error status): register it before judging.
    for (field, kind) in [
        ("access_token", SecretKind::Token),
        ("refresh_token", SecretKind::RefreshToken),
        ("id_token", SecretKind::Token),
    ] {
        if let Some(s) = v.get(field).and_then(Value::as_str) {
            ctx.rec.secret(kind, s);
        }
    }
    let token = v.get("access_token").and_then(Value::as_str).filter(|_| r.status == 200);
    let bearer = v.get("token_type").and_then(Value::as_str).is_some_and(|t| t.eq_ignore_ascii_case("bearer"));
    let Some(token) = token.filter(|_| bearer) else {
        let (err, desc) = crate::fail::oauth_error(&v, r.status);
        let why = if r.status == 200 {
            "a 200 without a Bearer access_token".to_owned()
        } else {
            format!("HTTP {}: {err} ({desc})", r.status)
        };
        return Err(fail(
            p,
            FailureKind::TokenFailed,
            phase,
            url,
            &[("error", &err), ("detail", &desc)],
            format!("the token endpoint {endpoint} answered {why} to {} client authentication", client.auth_method),
            Some(r.seq),
        ));
    };
    let refresh = v.get("refresh_token").and_then(Value::as_str).map(str::to_owned);
    Ok(Tokens {
        access_token: token.to_owned(),
        refresh_token: refresh,
        scope: v.get("scope").and_then(Value::as_str).map(str::to_owned),
    })
}
