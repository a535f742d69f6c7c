//! Getting a client: the static credentials the user typed, a Client ID Metadata Document, or
//! RFC 7591 dynamic registration — in the profile's priority order.

use serde_json::Value;

use crate::credentials::RegisteredClient;
use crate::ctx::Ctx;
use crate::discovery::Discovered;
use crate::fail::fail;
use crate::fail::oauth_error;
use crate::http::Req;
use crate::outcome::{Failure, FailureKind};
use crate::profile::{DcrAuthRule, RegistrationKind};
use crate::template::fill;
use crate::transcript::{ExchangeKind, Phase, SecretKind};

pub(crate) async fn run(
    ctx: &mut Ctx<'_>,
    found: &Discovered,
    redirect_uri: &str,
) -> Result<RegisteredClient, Failure> {
    let p = ctx.profile;
    let url = ctx.mcp_url.as_str().to_owned();
    let as_methods = found.meta_list("token_endpoint_auth_methods_supported");
    let mut tried = Vec::new();
    for kind in p.registration.priority.value.clone() {
        match kind {
            RegistrationKind::Static => {
                let Some(s) = ctx.opts.static_client.clone() else {
                    tried.push("no static client id configured");
                    continue;
                };
                let supported = |m: &str| as_methods.as_ref().is_none_or(|l| l.iter().any(|x| x == m));
                let auth_method = match &s.client_secret {
                    None => "none",
                    Some(_) if supported("client_secret_basic") => "client_secret_basic",
                    Some(_) => "client_secret_post",
                };
                if let Some(sec) = &s.client_secret {
                    ctx.rec.secret(SecretKind::ClientSecret, sec);
                }
                return Ok(RegisteredClient {
                    kind,
                    client_id: s.client_id,
                    client_secret: s.client_secret,
                    auth_method: auth_method.into(),
                    redirect_uri: redirect_uri.into(),
                });
            }
            RegistrationKind::Cimd => {
                let Some(cimd) = &p.registration.cimd else {
                    tried.push("the profile has no client metadata document");
                    continue;
                };
                if found.metadata.get("client_id_metadata_document_supported") != Some(&Value::Bool(true)) {
                    tried.push("the AS does not advertise client_id_metadata_document_supported");
                    continue;
                }
                let cimd = cimd.value.clone();
                let (client_id, jwks_uri) = ctx.publish_cimd(&cimd, redirect_uri).await.map_err(|e| {
                    fail(p, FailureKind::RegistrationFailed, Phase::Registration, &url, &[], e.to_string(), None)
                })?;
                // Pick the first method we can use that the AS supports (RFC 8414's default list is
                // client_secret_basic, which a document cannot use, so an AS without the field gets
                // our first choice).
                let auth_method = match &as_methods {
                    Some(l) => cimd.auth_methods.iter().find(|m| l.contains(m)).cloned(),
                    None => cimd.auth_methods.first().cloned(),
                };
                let Some(auth_method) = auth_method else {
                    tried.push("no auth method of the client document is supported by the AS");
                    continue;
                };
                let _ = jwks_uri;
                return Ok(RegisteredClient {
                    kind,
                    client_id,
                    client_secret: None,
                    auth_method,
                    redirect_uri: redirect_uri.into(),
                });
            }
            RegistrationKind::Dcr => {
                let Some(endpoint) = found.meta("registration_endpoint").map(str::to_owned) else {
                    tried.push("the AS has no registration_endpoint");
                    continue;
                };
                let body = fill(&p.registration.dcr_body.value, &[("redirect_uri", redirect_uri)]);
                let requested = body.get("token_endpoint_auth_method").and_then(Value::as_str).map(str::to_owned);
                let req = Req::new(reqwest::Method::POST, &endpoint, "dynamic client registration")
                    .kind(ExchangeKind::Registration)
                    .header("User-Agent", &p.user_agent_oauth.value)
                    .header("Accept", "*/*")
                    .json(&body);
                let r = ctx.send(Phase::Registration, req).await?;
                let v = r.json().unwrap_or(Value::Null);
                // Credentials in the answer are secrets even when it is refused below. RFC 7592's
                // management credential is a bearer secret too (oidc-provider sends it).
                for field in ["client_secret", "registration_access_token"] {
                    if let Some(s) = v.get(field).and_then(Value::as_str) {
                        ctx.rec.secret(SecretKind::ClientSecret, s);
                    }
                }
                let Some(client_id) = v.get("client_id").and_then(Value::as_str).filter(|_| r.ok()).map(str::to_owned)
                else {
                    let (err, desc) = oauth_error(&v, r.status);
                    return Err(fail(
                        p,
                        FailureKind::RegistrationFailed,
                        Phase::Registration,
                        &url,
                        &[("error", &err), ("detail", &desc)],
                        format!("dynamic client registration at {endpoint} answered HTTP {}: {err} ({desc})", r.status),
                        Some(r.seq),
                    ));
                };
                let secret = v.get("client_secret").and_then(Value::as_str).map(str::to_owned);
                ctx.rec.secret(SecretKind::ClientId, &client_id);
                // RFC 7591 §2: an omitted method means client_secret_basic.
                let echoed = v
                    .get("token_endpoint_auth_method")
                    .and_then(Value::as_str)
                    .unwrap_or("client_secret_basic")
                    .to_owned();
                if p.registration.dcr_auth_rule.value == DcrAuthRule::RequireRequested
                    && let Some(req) = &requested
                    && *req != echoed
                {
                    return Err(fail(
                        p,
                        FailureKind::AuthMethodMismatch,
                        Phase::Registration,
                        &url,
                        &[("method", req)],
                        format!("registration asked for {req} and the response says {echoed}"),
                        Some(r.seq),
                    ));
                }
                return Ok(RegisteredClient {
                    kind,
                    client_id,
                    client_secret: secret,
                    auth_method: echoed,
                    redirect_uri: redirect_uri.into(),
                });
            }
        }
    }
    Err(fail(
        p,
        FailureKind::NoClient,
        Phase::Registration,
        &url,
        &[],
        format!("no way to obtain a client: {}", tried.join("; ")),
        None,
    ))
}
