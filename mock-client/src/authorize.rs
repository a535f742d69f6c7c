//! The authorization request (OAuth 2.1 §4.1.1 with PKCE, RFC 8707 `resource`) and the checks on
//! the callback (`state`, RFC 9207 `iss`, errors).

use serde_json::Value;

use crate::credentials::RegisteredClient;
use crate::ctx::Ctx;
use crate::discovery::Discovered;
use crate::fail::fail;
use crate::outcome::{Failure, FailureKind};
use crate::pkce::Pkce;
use crate::profile::ScopeSource;
use crate::transcript::{Phase, SecretKind};

/// Scopes to request, per the profile: the first source that has any; `extra` (a step-up
/// challenge's scope) overrides.
pub(crate) fn scopes(ctx: &Ctx<'_>, found: &Discovered, extra: Option<&[String]>) -> Vec<String> {
    if let Some(e) = extra.filter(|e| !e.is_empty()) {
        return e.to_vec();
    }
    let list = |v: &Value| -> Vec<String> {
        v.get("scopes_supported")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default()
    };
    for s in &ctx.profile.authorize.scope_from.value {
        let got = match s {
            ScopeSource::Challenge => found.challenge.as_ref().map(|c| c.scopes()).unwrap_or_default(),
            ScopeSource::Prm => list(&found.prm),
            ScopeSource::As => list(&found.metadata),
        };
        if !got.is_empty() {
            return got;
        }
    }
    Vec::new()
}

/// The authorization code and what came with it.
#[derive(Debug, Clone)]
pub struct Callback {
    /// The code.
    pub code: String,
    /// The whole URL the browser was sent back to (code, state, iss).
    pub url: url::Url,
}

/// Sends the user through authorization and checks the callback.
pub(crate) async fn run(
    ctx: &Ctx<'_>,
    phase: Phase,
    found: &Discovered,
    client: &RegisteredClient,
    pkce: &Pkce,
    scope: &[String],
) -> Result<Callback, Failure> {
    let p = ctx.profile;
    let url = ctx.mcp_url.as_str();
    let endpoint = found.meta("authorization_endpoint").unwrap_or_default();
    let state = format!("{}{}", p.authorize.state_prefix.value, crate::pkce::hex(p.authorize.state_hex));
    ctx.rec.secret(SecretKind::State, &state);
    ctx.rec.secret(SecretKind::Verifier, &pkce.verifier);
    ctx.rec.secret(SecretKind::Challenge, &pkce.challenge);
    let scope = scope.join(" ");
    let resource = ctx.resource_at(&found.prm);
    let mut auth = url::Url::parse(endpoint)
        .map_err(|e| ctx.generic(phase, format!("authorization_endpoint `{endpoint}`: {e}")))?;
    {
        let mut q = auth.query_pairs_mut();
        for name in &p.authorize.param_order.value {
            let value = match name.as_str() {
                "response_type" => Some("code"),
                "client_id" => Some(client.client_id.as_str()),
                "redirect_uri" => Some(client.redirect_uri.as_str()),
                "state" => Some(state.as_str()),
                "scope" => (!scope.is_empty()).then_some(scope.as_str()),
                "code_challenge" => Some(pkce.challenge.as_str()),
                "code_challenge_method" => Some("S256"),
                "resource" => p.authorize.send_resource.value.then_some(resource.as_str()),
                _ => None,
            };
            if let Some(v) = value {
                q.append_pair(name, v);
            }
        }
    }
    let back = crate::login::run(ctx, phase, auth.as_str(), &client.redirect_uri).await?;
    let params: Vec<(String, String)> = back.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let last = ctx.rec.transcript().exchanges.last().map(|e| e.seq);
    // A code is a live credential from the moment the AS issues it, even one refused below for a
    // wrong `iss` or `state`: register it before judging the callback.
    if let Some(code) = get("code") {
        ctx.rec.secret(SecretKind::Code, &code);
    }

    if p.authorize.verify_iss.value {
        let advertised =
            found.metadata.get("authorization_response_iss_parameter_supported") == Some(&Value::Bool(true));
        let expected = found.meta("issuer").unwrap_or_default();
        match get("iss") {
            Some(iss) if iss != expected => {
                return Err(fail(
                    p,
                    FailureKind::IssMismatch,
                    phase,
                    url,
                    &[],
                    format!("the authorization response's iss `{iss}` is not the issuer `{expected}` (RFC 9207 §2.4)"),
                    last,
                ));
            }
            None if advertised => {
                return Err(fail(
                    p,
                    FailureKind::IssMismatch,
                    phase,
                    url,
                    &[],
                    "the AS advertises authorization_response_iss_parameter_supported but sent no iss (RFC 9207 §2.4)",
                    last,
                ));
            }
            _ => {}
        }
    }
    if let Some(err) = get("error") {
        let desc = get("error_description").unwrap_or_default();
        return Err(fail(
            p,
            FailureKind::AuthorizeFailed,
            phase,
            url,
            &[("error", &err), ("detail", &desc)],
            format!("the authorization server answered {err}: {desc}"),
            last,
        ));
    }
    if p.authorize.verify_state.value && get("state").as_deref() != Some(state.as_str()) {
        return Err(fail(
            p,
            FailureKind::StateMismatch,
            phase,
            url,
            &[],
            format!("the callback's state {:?} is not the state sent", get("state")),
            last,
        ));
    }
    let code = get("code")
        .filter(|c| !c.is_empty())
        .ok_or_else(|| ctx.generic(phase, "the callback carries no code".into()))?;
    Ok(Callback { code, url: back })
}
