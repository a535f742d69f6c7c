//! Authorizing at an authorization server directly, with no MCP server in front of it: what
//! identity-provider certification drives.
//!
//! [`Client::authorize_at`] runs the profile's own behaviour — its AS metadata probes (those on the
//! issuer; the MCP-host probes have no host here), registration (static, CIMD, DCR, in the profile's
//! order), the authorization request (PKCE S256, `resource`, `state`, the profile's scopes) through
//! the login driver, and the token request with the profile's client authentication and headers —
//! recording every exchange into the client's transcript, as `connect` does. The other methods
//! reuse what it obtained for the requests a certification adds: refreshes, negative probes,
//! introspection, and documents served from the client's metadata host.

use serde_json::Value;
use url::Url;

use crate::cimd_host::{CimdFetch, CimdHost};
use crate::client::{Client, Session};
use crate::credentials::RegisteredClient;
use crate::ctx::Ctx;
use crate::discovery::Discovered;
use crate::error::ClientError;
use crate::fail::fail;
use crate::http::{Req, Resp};
use crate::options::{ConnectOptions, LoginDriver};
use crate::outcome::{Failure, FailureKind};
use crate::pkce::Pkce;
use crate::token::Tokens;
use crate::transcript::{ExchangeKind, Phase, SecretKind};

/// What [`Client::authorize_at`] obtained.
#[derive(Debug, Clone)]
pub struct Authorized {
    /// The AS metadata used.
    pub discovered: Discovered,
    /// The client the flow used (static, CIMD or DCR).
    pub client: RegisteredClient,
    /// The scopes requested.
    pub scopes: Vec<String>,
    /// The URL the browser was sent back to.
    pub callback: Url,
    /// The authorization code (already redeemed).
    pub code: String,
    /// Its PKCE verifier.
    pub code_verifier: String,
    /// The tokens.
    pub tokens: Tokens,
    /// The transcript entry of the code exchange.
    pub token_seq: u32,
}

/// An authorization request that differs from the profile's in one way, for negative probes.
#[derive(Debug, Clone, Default)]
pub struct AuthVariant {
    /// Another `client_id` (a metadata document the probe serves).
    pub client_id: Option<String>,
    /// Another `redirect_uri`.
    pub redirect_uri: Option<String>,
    /// `code_challenge_method=plain` (the challenge is the verifier).
    pub plain_pkce: bool,
    /// Another `resource`.
    pub resource: Option<String>,
    /// Whether a person may be asked to sign in (the `manual` driver). When not, a `manual` run
    /// drives the probe as `auto` does: a login page ends it.
    pub user_may_act: bool,
}

/// How a probe authorization ended.
#[derive(Debug, Clone)]
pub struct ProbeAuthorization {
    /// The URL the browser was sent back to (one of the redirect URIs), or why it was not.
    pub result: Result<Url, Failure>,
    /// The PKCE verifier of the request.
    pub verifier: String,
    /// The redirect URI sent.
    pub redirect_uri: String,
    /// The transcript entries of the probe.
    pub seqs: Vec<u32>,
}

impl ProbeAuthorization {
    /// A query parameter of the URL the browser was sent back to.
    pub fn param(&self, name: &str) -> Option<String> {
        self.result.as_ref().ok()?.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
    }
}

impl Client {
    fn direct_ctx<'a>(&'a mut self, url: &'a Url, opts: Option<&'a ConnectOptions>) -> Ctx<'a> {
        Ctx {
            profile: &self.profile,
            opts: opts.unwrap_or(&self.opts),
            rec: &self.rec,
            mcp_url: url,
            host: &mut self.host,
        }
    }

    fn resource_url(&self) -> Url {
        self.s.mcp_url.clone().unwrap_or_else(|| Url::parse("https://resource.invalid/").expect("static URL"))
    }

    /// The seq the next exchange will get.
    pub fn next_seq(&self) -> u32 {
        self.rec.transcript().exchanges.len() as u32 + 1
    }

    fn seqs_since(&self, first: u32) -> Vec<u32> {
        (first..self.next_seq()).collect()
    }

    /// The AS metadata found by [`Client::authorize_at`], also when the flow failed later.
    pub fn discovered(&self) -> Option<&Discovered> {
        self.s.found.as_ref()
    }

    /// The client obtained by [`Client::authorize_at`], also when the flow failed later.
    pub fn registered_client(&self) -> Option<&RegisteredClient> {
        self.s.client.as_ref()
    }

    /// Starts the client's metadata host on this port of 127.0.0.1 (before [`Client::authorize_at`];
    /// otherwise a free port is picked when a document is first served).
    pub async fn start_cimd_host(&mut self, port: u16) -> Result<(), ClientError> {
        self.host = Some(CimdHost::start_on(port).await?);
        Ok(())
    }

    /// Serves `doc` at `path` of the client's metadata host; returns its URL (under
    /// `ConnectOptions::cimd_base` when set).
    pub async fn serve_cimd(&mut self, path: &str, doc: Value) -> Result<String, ClientError> {
        if self.host.is_none() {
            self.host = Some(CimdHost::start().await?);
        }
        let host = self.host.as_ref().expect("just started");
        host.put(path, doc);
        let base = self.opts.cimd_base.clone().unwrap_or_else(|| host.origin().to_owned());
        Ok(format!("{}{path}", base.trim_end_matches('/')))
    }

    /// Every request the client's metadata host answered (the authorization server fetching
    /// documents).
    pub fn cimd_fetches(&self) -> Vec<CimdFetch> {
        self.host.as_ref().map(CimdHost::fetches).unwrap_or_default()
    }

    /// The profile's flow against the authorization server `issuer`, for `resource`: AS metadata
    /// from the issuer's well-known locations, a client, authorization and the code exchange.
    /// Everything the server does wrong is the [`Failure`], with the message the profile's client
    /// would show; what was found before it stays available ([`Client::discovered`],
    /// [`Client::registered_client`]).
    pub async fn authorize_at(&mut self, issuer: &str, resource: &str) -> Result<Authorized, Failure> {
        // The user named both: the address policy allows their hosts whatever they are.
        for u in [issuer, resource].iter().filter_map(|s| Url::parse(s).ok()) {
            self.rec.add_target(&u);
        }
        let url = match self.rec.check_url(resource) {
            Ok(u) => u,
            Err(e) => {
                return Err(fail(
                    &self.profile,
                    FailureKind::Unreachable,
                    Phase::Discovery,
                    resource,
                    &[],
                    e.to_string(),
                    None,
                ));
            }
        };
        self.s = Session { mcp_url: Some(url.clone()), ..Default::default() };
        let limit = self.rec.limits().flow_timeout;
        match tokio::time::timeout(limit, self.direct_flow(&url, issuer)).await {
            Ok(r) => r,
            Err(_) => Err(fail(
                &self.profile,
                FailureKind::Unreachable,
                Phase::Authorize,
                url.as_str(),
                &[],
                format!("the authorization flow did not finish within {} s", limit.as_secs()),
                None,
            )),
        }
    }

    async fn direct_flow(&mut self, url: &Url, issuer: &str) -> Result<Authorized, Failure> {
        let mut found = Discovered { issuer: issuer.to_owned(), ..Default::default() };
        let discovered = {
            let ctx = self.direct_ctx(url, None);
            crate::discovery::as_metadata(&ctx, &mut found, false).await
        };
        if !found.metadata.is_null() {
            self.s.found = Some(found.clone());
        }
        discovered?;
        let redirect = self.redirect_uri_for(&found);
        let client = {
            let mut ctx = self.direct_ctx(url, None);
            crate::registration::run(&mut ctx, &found, &redirect).await?
        };
        self.s.client = Some(client.clone());
        let pkce = crate::pkce::generate();
        let ctx = self.direct_ctx(url, None);
        let scopes = crate::authorize::scopes(&ctx, &found, None);
        let cb = crate::authorize::run(&ctx, Phase::Authorize, &found, &client, &pkce, &scopes).await?;
        let params = vec![
            ("grant_type".to_owned(), "authorization_code".to_owned()),
            ("code".to_owned(), cb.code.clone()),
            ("redirect_uri".to_owned(), client.redirect_uri.clone()),
            ("code_verifier".to_owned(), pkce.verifier.clone()),
        ];
        let tokens = crate::token::request(&ctx, Phase::Token, &found, &client, params).await?;
        let token_seq = ctx.rec.transcript().exchanges.last().map(|e| e.seq).unwrap_or_default();
        self.s.wire.token = Some(tokens.access_token.clone());
        self.s.tokens = Some(tokens.clone());
        Ok(Authorized {
            discovered: found,
            client,
            scopes,
            callback: cb.url,
            code: cb.code,
            code_verifier: pkce.verifier,
            tokens,
            token_seq,
        })
    }

    /// A further authorization request with the client [`Client::authorize_at`] obtained, changed
    /// as `v` says, driven by the login driver (in the [`Phase::Probe`] phase) until the IdP sends
    /// the browser to the sent redirect URI or the client's own. Nothing is checked: the caller
    /// judges the result.
    pub async fn probe_authorization(&mut self, v: &AuthVariant) -> ProbeAuthorization {
        let first = self.next_seq();
        let url = self.resource_url();
        let pkce = if v.plain_pkce {
            let verifier = crate::pkce::generate().verifier;
            Pkce { challenge: verifier.clone(), verifier }
        } else {
            crate::pkce::generate()
        };
        let (Some(found), Some(client)) = (self.s.found.clone(), self.s.client.clone()) else {
            let f = fail(
                &self.profile,
                FailureKind::NoClient,
                Phase::Probe,
                url.as_str(),
                &[],
                "no client: authorize_at did not get that far",
                None,
            );
            return ProbeAuthorization {
                result: Err(f),
                verifier: pkce.verifier,
                redirect_uri: String::new(),
                seqs: vec![],
            };
        };
        let redirect = v.redirect_uri.clone().unwrap_or_else(|| client.redirect_uri.clone());
        let p = &self.profile;
        let state = format!("{}{}", p.authorize.state_prefix.value, crate::pkce::hex(p.authorize.state_hex));
        self.rec.secret(SecretKind::State, &state);
        self.rec.secret(SecretKind::Verifier, &pkce.verifier);
        self.rec.secret(SecretKind::Challenge, &pkce.challenge);
        let resource = v.resource.clone().unwrap_or_else(|| {
            let mut u = url.clone();
            u.set_fragment(None);
            u.to_string()
        });
        let manual_off = (!v.user_may_act && self.opts.login == LoginDriver::Manual)
            .then(|| ConnectOptions { login: LoginDriver::Auto, ..self.opts.clone() });
        let ctx = self.direct_ctx(&url, manual_off.as_ref());
        let scope = crate::authorize::scopes(&ctx, &found, None).join(" ");
        let endpoint = found.meta("authorization_endpoint").unwrap_or_default();
        let result = match Url::parse(endpoint) {
            Err(e) => Err(ctx.generic(Phase::Probe, format!("authorization_endpoint `{endpoint}`: {e}"))),
            Ok(mut auth) => {
                {
                    let mut q = auth.query_pairs_mut();
                    for name in &ctx.profile.authorize.param_order.value {
                        let value = match name.as_str() {
                            "response_type" => Some("code"),
                            "client_id" => Some(v.client_id.as_deref().unwrap_or(&client.client_id)),
                            "redirect_uri" => Some(redirect.as_str()),
                            "state" => Some(state.as_str()),
                            "scope" => (!scope.is_empty()).then_some(scope.as_str()),
                            "code_challenge" => Some(pkce.challenge.as_str()),
                            "code_challenge_method" => Some(if v.plain_pkce { "plain" } else { "S256" }),
                            "resource" => ctx.profile.authorize.send_resource.value.then_some(resource.as_str()),
                            _ => None,
                        };
                        if let Some(val) = value {
                            q.append_pair(name, val);
                        }
                    }
                }
                let mut targets = vec![redirect.as_str()];
                if client.redirect_uri != redirect {
                    targets.push(client.redirect_uri.as_str());
                }
                crate::login::run_until(&ctx, Phase::Probe, auth.as_str(), &targets).await
            }
        };
        if let Ok(u) = &result
            && let Some((_, code)) = u.query_pairs().find(|(k, _)| k == "code")
        {
            self.rec.secret(SecretKind::Code, &code);
        }
        ProbeAuthorization { result, verifier: pkce.verifier, redirect_uri: redirect, seqs: self.seqs_since(first) }
    }

    /// A code exchange (in the [`Phase::Probe`] phase) with the client's authentication;
    /// `resource` replaces the one the profile would send.
    pub async fn exchange_code(
        &mut self,
        code: &str,
        verifier: &str,
        redirect_uri: &str,
        resource: Option<&str>,
    ) -> Result<Tokens, Failure> {
        self.rec.secret(SecretKind::Code, code);
        self.rec.secret(SecretKind::Verifier, verifier);
        let url = match resource.map(Url::parse) {
            Some(Ok(u)) => u,
            _ => self.resource_url(),
        };
        let params = vec![
            ("grant_type".to_owned(), "authorization_code".to_owned()),
            ("code".to_owned(), code.to_owned()),
            ("redirect_uri".to_owned(), redirect_uri.to_owned()),
            ("code_verifier".to_owned(), verifier.to_owned()),
        ];
        self.token_request(&url, Phase::Probe, params).await
    }

    /// A refresh grant with this refresh token (not necessarily the current one), with the
    /// profile's client authentication; the current tokens are left alone.
    pub async fn refresh_with(&mut self, phase: Phase, refresh_token: &str) -> Result<Tokens, Failure> {
        let url = self.resource_url();
        let params = vec![
            ("grant_type".to_owned(), "refresh_token".to_owned()),
            ("refresh_token".to_owned(), refresh_token.to_owned()),
        ];
        self.token_request(&url, phase, params).await
    }

    async fn token_request(
        &mut self,
        url: &Url,
        phase: Phase,
        params: Vec<(String, String)>,
    ) -> Result<Tokens, Failure> {
        let (Some(found), Some(client)) = (self.s.found.clone(), self.s.client.clone()) else {
            return Err(fail(&self.profile, FailureKind::NoClient, phase, url.as_str(), &[], "no client yet", None));
        };
        let ctx = self.direct_ctx(url, None);
        crate::token::request(&ctx, phase, &found, &client, params).await
    }

    /// RFC 7662 introspection of `token` at the AS's `introspection_endpoint`, authenticated as the
    /// client authenticates at the token endpoint. `None` when the AS advertises no endpoint.
    pub async fn introspect(&mut self, token: &str) -> Option<Result<Resp, Failure>> {
        let url = self.resource_url();
        let (found, client) = (self.s.found.clone()?, self.s.client.clone()?);
        let endpoint = found.meta("introspection_endpoint")?.to_owned();
        let ctx = self.direct_ctx(&url, None);
        let mut params =
            vec![("token".to_owned(), token.to_owned()), ("token_type_hint".to_owned(), "access_token".to_owned())];
        let authorization = match crate::token::client_auth(&ctx, Phase::Probe, &client, &endpoint, &mut params) {
            Ok(a) => a,
            Err(f) => return Some(Err(f)),
        };
        let mut req = Req::new(reqwest::Method::POST, &endpoint, "token introspection")
            .kind(ExchangeKind::Introspection)
            .header("User-Agent", &ctx.profile.user_agent_oauth.value)
            .header("Accept", "application/json")
            .header("Content-Type", "application/x-www-form-urlencoded");
        if !authorization.is_empty() {
            req = req.header("Authorization", authorization);
        }
        Some(ctx.send(Phase::Probe, req.form(&params)).await)
    }
}
