//! The client: runs the connect flow of a profile against an MCP server, then keeps the session
//! for further calls, recording everything.

use serde_json::{Value, json};
use url::Url;

use crate::cimd_host::CimdHost;
use crate::credentials::RegisteredClient;
use crate::ctx::Ctx;
use crate::discovery::Discovered;
use crate::error::ClientError;
use crate::fail::{FailureExt, fail};
use crate::http::{Recorder, Req};
use crate::mcp::{RpcReply, Wire};
use crate::options::ConnectOptions;
use crate::outcome::{Failure, FailureKind, Outcome};
use crate::profile::{AuthMode, BareChallenge, Profile, RedirectRule, RefreshRule, RegistrationKind};
use crate::token::Tokens;
use crate::transcript::{ExchangeKind, Phase, Transcript};

/// Continuations past failures per connect (each relaxes one rule; a handful is all there are).
const MAX_CONTINUATIONS: usize = 8;

/// Everything the flow learned, kept for calls after connecting.
#[derive(Debug, Clone, Default)]
pub(crate) struct Session {
    pub(crate) found: Option<Discovered>,
    pub(crate) client: Option<RegisteredClient>,
    pub(crate) tokens: Option<Tokens>,
    pub(crate) wire: Wire,
    pub(crate) authorizations: u32,
    pub(crate) next_id: u64,
    pub(crate) mcp_url: Option<Url>,
    /// C-33: the client registered at each other AS, by issuer (the current one is `client`).
    pub(crate) clients_by_issuer: Vec<(String, RegisteredClient)>,
    /// C-35: the scopes the last authorization asked for.
    pub(crate) requested_scopes: Vec<String>,
}

/// A mock connector client.
pub struct Client {
    pub(crate) profile: Profile,
    pub(crate) opts: ConnectOptions,
    pub(crate) rec: Recorder,
    pub(crate) host: Option<CimdHost>,
    pub(crate) s: Session,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("profile", &self.profile.name).finish_non_exhaustive()
    }
}

macro_rules! ctx {
    ($self:ident, $url:expr) => {
        Ctx { profile: &$self.profile, opts: &$self.opts, rec: &$self.rec, mcp_url: $url, host: &mut $self.host }
    };
}

impl Client {
    /// A client for `profile`.
    pub fn new(profile: Profile, opts: ConnectOptions) -> Client {
        let rec = Recorder::new(opts.limits.clone());
        Client { profile, opts, rec, host: None, s: Session::default() }
    }

    /// A client that records into an existing recorder, so several clients (a reconnect, another
    /// profile) add to one transcript.
    pub fn with_recorder(profile: Profile, opts: ConnectOptions, rec: Recorder) -> Client {
        Client { profile, opts, rec, host: None, s: Session::default() }
    }

    /// The profile.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The recording HTTP client (the runner sends its probes through it).
    pub fn recorder(&self) -> &Recorder {
        &self.rec
    }

    /// The transcript so far.
    pub fn transcript(&self) -> Transcript {
        self.rec.transcript()
    }

    /// The current access token.
    pub fn access_token(&self) -> Option<&str> {
        self.s.tokens.as_ref().map(|t| t.access_token.as_str())
    }

    /// The scope the AS says it granted, if it said.
    pub fn granted_scope(&self) -> Option<&str> {
        self.s.tokens.as_ref().and_then(|t| t.scope.as_deref())
    }

    /// The current MCP session id.
    pub fn session_id(&self) -> Option<&str> {
        self.s.wire.session_id.as_deref()
    }

    /// Runs the whole connect flow. `Err` only when the harness cannot run it at all (a bad URL
    /// given by the user); everything the server or its AS does wrong is in the [`Outcome`].
    pub async fn connect(&mut self, mcp_url: &str) -> Result<Outcome, ClientError> {
        if let Ok(u) = Url::parse(mcp_url) {
            // The address policy allows the target's own host whatever it is: the user chose it.
            self.rec.add_target(&u);
        }
        let url = self.rec.check_url(mcp_url)?;
        if matches!(self.profile.auth_mode.value, AuthMode::StaticBearer | AuthMode::QueryToken)
            && self.opts.bearer_token.is_none()
        {
            return Err(ClientError::Profile {
                name: self.profile.name.clone(),
                reason: "this profile needs a bearer token (--token)".into(),
            });
        }
        if self.profile.auth_mode.value == AuthMode::Mixed {
            let Some(bare) = self.profile.mixed_bare_challenge.as_ref().map(|f| f.value) else {
                return Err(ClientError::Profile {
                    name: self.profile.name.clone(),
                    reason: "auth_mode mixed needs mixed_bare_challenge (token_prompt or oauth_discovery)".into(),
                });
            };
            if bare == BareChallenge::TokenPrompt && self.opts.bearer_token.is_none() {
                return Err(ClientError::Profile {
                    name: self.profile.name.clone(),
                    reason: "in this profile's Mixed mode ChatGPT may prompt for a token: give one (--token)".into(),
                });
            }
        }
        if self.opts.chatgpt_real_cimd {
            crate::continuation::present_chatgpt_real(&mut self.profile)?;
        }
        self.rec.set_continuation(false);
        let limit = self.rec.limits().flow_timeout;
        match tokio::time::timeout(limit, self.flow(&url)).await {
            Ok(o) => o,
            Err(_) => {
                let f = fail(
                    &self.profile,
                    FailureKind::Unreachable,
                    Phase::Mcp,
                    url.as_str(),
                    &[],
                    format!("the connect flow did not finish within {} s", limit.as_secs()),
                    None,
                );
                Ok(Outcome::Failed(f.generic(&self.profile)))
            }
        }
    }

    /// The profile's attempts; then, when the AS refused only the harness's loopback document URL,
    /// the flow ChatGPT takes without CIMD; then, if asked, the continuation past the first stop.
    async fn flow(&mut self, url: &Url) -> Result<Outcome, ClientError> {
        let mut outcome = self.attempts(url).await;
        if let Outcome::Failed(f) = &outcome
            && let Some(why) = self.cimd_untestable(f)
        {
            self.rec.note(crate::transcript::NoteKind::CimdUntestable, why.clone());
            self.profile.registration.priority.value.retain(|k| *k != RegistrationKind::Cimd);
            self.s.client = None;
            outcome = self.attempts(url).await;
            if let Outcome::Failed(f) = &outcome
                && f.kind == FailureKind::NoClient
            {
                return Err(ClientError::Untestable(format!(
                    "{why} Without CIMD the authorization server offers no way to get a client ({}).",
                    f.cause
                )));
            }
        }
        Ok(match outcome {
            Outcome::Failed(first) if self.opts.continue_after_failure => {
                Outcome::Failed(self.continue_past(url, first).await)
            }
            other => other,
        })
    }

    /// `Some(reason)` when `f` is the AS refusing the harness's own loopback `http://127.0.0.1:…`
    /// metadata document URL — which ChatGPT never presents (it presents `https://chatgpt.com/…`)
    /// — rather than the document: the AS never fetched it, or fetched it and named the URL's
    /// scheme or address as the problem. A document fetched and refused for anything else (its
    /// auth method, its redirect URIs) is a real refusal ChatGPT would meet too.
    fn cimd_untestable(&self, f: &Failure) -> Option<String> {
        let at_as = matches!(f.kind, FailureKind::AuthorizeFailed | FailureKind::TokenFailed)
            && matches!(f.phase, Phase::Authorize | Phase::Token);
        let c = self.s.client.as_ref().filter(|c| at_as && c.kind == RegistrationKind::Cimd)?;
        let host = self.host.as_ref()?;
        let id = Url::parse(&c.client_id).ok()?;
        if id.scheme() != "http" || !c.client_id.starts_with(host.origin()) {
            return None;
        }
        let fetched = host.fetches().iter().any(|x| x.path == id.path() && x.status == 200);
        // The AS's own words (the message carries its error and description; the cause also
        // quotes our request URL, whose https redirect URI would match).
        let words = f.message.replace(&c.client_id, "").to_ascii_lowercase();
        // Words about the URL, not the document ("private_key_jwt" is about the document).
        let about_url =
            ["https", "loopback", "localhost", "private address", "private network", "private ip", "ssrf", "scheme"];
        let names_url = about_url.iter().any(|w| words.contains(w));
        if fetched && !names_url {
            return None;
        }
        let how =
            if fetched { "fetched it and refused its address" } else { "refused it without fetching the document" };
        Some(format!(
            "CIMD not testable here: the harness can only present a loopback http client id ({}), and the authorization server {how} ({}); ChatGPT presents https://chatgpt.com/oauth/…/client.json. Pass --cimd-base https://… (a public URL your tunnel serves to the harness's metadata host) to test CIMD. Meanwhile the flow goes on as ChatGPT's does without CIMD.",
            c.client_id,
            crate::continuation::one_line(&f.cause)
        ))
    }

    /// Past the first failure, one smallest assumption at a time (bounded), recording each next
    /// outcome on `first`. The exchanges sent are marked as continuation; the session left is the
    /// last one's (connected, or stopped), for the steps that follow.
    async fn continue_past(&mut self, url: &Url, first: Failure) -> Failure {
        let mut out = first;
        let mut last = out.clone();
        for _ in 0..MAX_CONTINUATIONS {
            let Some((assumed, edited)) = crate::continuation::past(&self.profile, &last, self.s.client.as_ref())
            else {
                break;
            };
            self.profile = edited;
            self.rec.set_continuation(true);
            self.s.client = None;
            let from_seq = self.rec.next_seq();
            let next = self.once(url).await.unwrap_or_else(Outcome::Failed);
            // The same stop again: the assumption did not get past it, and there is no next.
            let done = match &next {
                Outcome::Failed(f) => {
                    let same = f.kind == last.kind && f.phase == last.phase;
                    last = f.clone();
                    same
                }
                Outcome::Connected { .. } | Outcome::NotAttempted => true,
            };
            out.continued.push(crate::outcome::Continued { assumed, from_seq, next });
            if done {
                break;
            }
        }
        out
    }

    async fn attempts(&mut self, url: &Url) -> Outcome {
        let n = self.profile.retry.attempts.value.max(1);
        let mut last = None;
        for attempt in 1..=n {
            self.rec.set_attempt(attempt);
            if attempt > 1 && self.profile.retry.new_registration_per_attempt.value {
                self.s.client = None;
            }
            match self.once(url).await {
                Ok(o) => return o,
                Err(f) => last = Some(f),
            }
        }
        Outcome::Failed(last.expect("at least one attempt"))
    }

    async fn once(&mut self, url: &Url) -> Result<Outcome, Failure> {
        self.s = Session { client: self.s.client.take(), mcp_url: Some(url.clone()), ..Default::default() };
        match self.profile.auth_mode.value {
            AuthMode::Oauth if self.profile.discovery.on_challenge.value => {
                // The spec's flow: start the session unauthenticated; the first 401 starts OAuth.
            }
            // No token first; the first 401 decides (see `call`).
            AuthMode::Mixed => {}
            AuthMode::Oauth => self.discover_and_authorize(url, None).await?,
            AuthMode::StaticBearer => {
                self.s.wire.token = self.opts.bearer_token.clone();
            }
            AuthMode::QueryToken => {
                self.s.wire.token = self.opts.bearer_token.clone();
                self.s.wire.token_in_query = true;
            }
            AuthMode::None => {}
        }
        if let Some(t) = &self.s.wire.token {
            self.rec.secret(crate::transcript::SecretKind::Token, t);
        }
        self.session(url).await
    }

    /// Discovery, registration, authorization and token, from `challenge` when a 401 started it.
    async fn discover_and_authorize(
        &mut self,
        url: &Url,
        challenge: Option<crate::challenge::Challenge>,
    ) -> Result<(), Failure> {
        let found = {
            let ctx = ctx!(self, url);
            crate::discovery::run(&ctx, challenge).await?
        };
        let redirect = self.redirect_uri_for(&found);
        if self.s.client.is_none() {
            let mut ctx = ctx!(self, url);
            self.s.client = Some(crate::registration::run(&mut ctx, &found, &redirect).await?);
        }
        self.s.found = Some(found);
        self.authorize(url, Phase::Authorize, Phase::Token, None).await
    }

    /// C-33: discovery again after a 401 on a token, as the PRM may now name another AS. The
    /// client registered at the old AS is kept under its issuer and never shown to the new one;
    /// the new AS gets the client registered there before, or a new registration.
    async fn rediscover(&mut self, url: &Url, challenge: Option<crate::challenge::Challenge>) -> Result<(), Failure> {
        let found = {
            let ctx = ctx!(self, url);
            crate::discovery::run(&ctx, challenge).await?
        };
        let old = self.s.found.as_ref().map(|f| f.issuer.clone()).unwrap_or_default();
        if found.issuer != old {
            self.rec.note(
                crate::transcript::NoteKind::AuthorizationServerChanged,
                format!("the Protected Resource Metadata now names the authorization server {} instead of {old}: credentials of {old} are not used there", found.issuer),
            );
            if let Some(c) = self.s.client.take() {
                self.s.clients_by_issuer.retain(|(i, _)| *i != old);
                self.s.clients_by_issuer.push((old, c));
            }
            let known = self.s.clients_by_issuer.iter().position(|(i, _)| *i == found.issuer);
            self.s.client = known.map(|k| self.s.clients_by_issuer.remove(k).1);
            self.s.tokens = None;
            self.s.wire.token = None;
            if self.s.client.is_none() {
                let redirect = self.redirect_uri_for(&found);
                let mut ctx = ctx!(self, url);
                self.s.client = Some(crate::registration::run(&mut ctx, &found, &redirect).await?);
            }
        }
        self.s.found = Some(found);
        Ok(())
    }

    /// The redirect URI the profile uses with this authorization server: the stable one, the
    /// per-connector one, or the stable one only when the AS advertises RFC 9207 `iss`.
    pub(crate) fn redirect_uri_for(&self, found: &Discovered) -> String {
        let advertised_iss =
            found.metadata.get("authorization_response_iss_parameter_supported") == Some(&Value::Bool(true));
        let r = &self.profile.redirect_uri.value;
        let per = r
            .per_connector
            .clone()
            .unwrap_or_else(|| r.stable.clone())
            .replace("{callback_id}", &self.opts.callback_id);
        match r.rule {
            RedirectRule::Stable => r.stable.clone(),
            RedirectRule::PerConnector => per,
            RedirectRule::StableIfIss if advertised_iss => r.stable.clone(),
            RedirectRule::StableIfIss => per,
        }
    }

    /// Authorization + code exchange; `scope` overrides the profile's choice (step-up).
    async fn authorize(&mut self, url: &Url, pa: Phase, pt: Phase, scope: Option<&[String]>) -> Result<(), Failure> {
        let max = self.profile.step_up.max_attempts.value;
        if self.s.authorizations >= max {
            let ctx = ctx!(self, url);
            return Err(fail(
                &self.profile,
                FailureKind::RetryLimit,
                pa,
                url.as_str(),
                &[],
                format!("{max} authorizations did not satisfy the server"),
                None,
            )
            .generic(ctx.profile));
        }
        self.s.authorizations += 1;
        let found = self.s.found.clone().expect("discovered before authorizing");
        let client = self.s.client.clone().expect("registered before authorizing");
        let pkce = crate::pkce::generate();
        let ctx = ctx!(self, url);
        let mut scopes = crate::authorize::scopes(&ctx, &found, scope);
        if scope.is_some() && ctx.profile.oauth_rules().scope_union_on_reauth.value {
            // C-35 (SEP-2350): what was asked for before, then what the challenge adds.
            let mut union = self.s.requested_scopes.clone();
            union.extend(scopes.into_iter().filter(|x| !self.s.requested_scopes.contains(x)));
            scopes = union;
        }
        let cb = crate::authorize::run(&ctx, pa, &found, &client, &pkce, &scopes).await?;
        let params = vec![
            ("grant_type".to_owned(), "authorization_code".to_owned()),
            ("code".to_owned(), cb.code),
            ("redirect_uri".to_owned(), client.redirect_uri.clone()),
            ("code_verifier".to_owned(), pkce.verifier),
        ];
        let tokens = crate::token::request(&ctx, pt, &found, &client, params).await?;
        self.s.requested_scopes = scopes;
        self.s.wire.token = Some(tokens.access_token.clone());
        self.s.tokens = Some(tokens);
        Ok(())
    }

    async fn refresh_tokens(&mut self, url: &Url) -> Result<bool, Failure> {
        let Some(rt) = self.s.tokens.as_ref().and_then(|t| t.refresh_token.clone()) else { return Ok(false) };
        let (Some(found), Some(client)) = (self.s.found.clone(), self.s.client.clone()) else { return Ok(false) };
        let ctx = ctx!(self, url);
        let params = vec![("grant_type".to_owned(), "refresh_token".to_owned()), ("refresh_token".to_owned(), rt)];
        let tokens = crate::token::request(&ctx, Phase::Refresh, &found, &client, params).await?;
        self.s.wire.token = Some(tokens.access_token.clone());
        self.s.tokens = Some(tokens);
        Ok(true)
    }

    /// Refreshes the access token now (the runner's `refresh` step).
    pub async fn refresh(&mut self) -> Result<bool, Failure> {
        let url = self.s.mcp_url.clone().expect("connect first");
        self.refresh_tokens(&url).await
    }

    fn next_id(&mut self) -> u64 {
        self.s.next_id += 1;
        self.s.next_id
    }

    /// Sends one JSON-RPC message, handling 401 (refresh, then re-authorize) and 403
    /// `insufficient_scope` (step-up) as the profile says.
    pub(crate) async fn call(
        &mut self,
        url: &Url,
        phase: Phase,
        method: &str,
        params: Option<Value>,
        notification: bool,
    ) -> Result<RpcReply, Failure> {
        let id = (!notification).then(|| json!(self.next_id()));
        self.call_with_id(url, phase, method, params, id).await
    }

    /// [`Client::call`] with the JSON-RPC id given (`None`: a notification). On the 2026-07-28
    /// path the request carries the per-request `_meta`.
    pub(crate) async fn call_with_id(
        &mut self,
        url: &Url,
        phase: Phase,
        method: &str,
        params: Option<Value>,
        id: Option<Value>,
    ) -> Result<RpcReply, Failure> {
        let mut refreshed = false;
        // Bounded: each turn either returns or uses up a refresh or an authorization.
        for turn in 0..(self.profile.step_up.max_attempts.value + 3) {
            let mut body = json!({"jsonrpc": "2.0", "method": method});
            if let Some(id) = &id {
                // A retry after re-authorizing is a new request: a fresh numeric id.
                body["id"] = if turn == 0 { id.clone() } else { json!(self.next_id()) };
            }
            if let Some(p) = &params {
                body["params"] = p.clone();
            }
            if let Some(m) = &self.s.wire.modern {
                body = m.stamp(body);
            }
            let reply = {
                let ctx = ctx!(self, url);
                crate::mcp::rpc(&ctx, phase, &self.s.wire, body, method).await?
            };
            let mode = self.profile.auth_mode.value;
            if reply.status == 401 && mode == AuthMode::Mixed && self.s.found.is_none() && self.s.wire.token.is_none() {
                self.mixed(url, &reply).await?;
                continue;
            }
            if reply.status == 401 && mode == AuthMode::Oauth && self.s.found.is_none() {
                // Challenged before any authorization (the spec's flow): discover from this 401.
                self.discover_and_authorize(url, reply.challenge.clone()).await?;
                continue;
            }
            let oauth = matches!(mode, AuthMode::Oauth | AuthMode::Mixed) && self.s.found.is_some();
            if reply.status == 401 && oauth {
                if !refreshed && self.profile.refresh.value == RefreshRule::On401 && self.refresh_tokens(url).await? {
                    refreshed = true;
                    continue;
                }
                let scope = reply.challenge.as_ref().map(|c| c.scopes());
                if self.profile.oauth_rules().credentials_by_issuer.value {
                    self.rediscover(url, reply.challenge.clone()).await?;
                }
                self.reauthorize(url, &reply, method, scope.as_deref()).await?;
                continue;
            }
            let insufficient = reply.challenge.as_ref().is_some_and(|c| c.param("error") == Some("insufficient_scope"));
            if reply.status == 403 && insufficient && oauth && self.profile.step_up.on_insufficient_scope.value {
                let scope = reply.challenge.as_ref().map(|c| c.scopes()).unwrap_or_default();
                self.reauthorize(url, &reply, method, Some(&scope)).await?;
                continue;
            }
            return Ok(reply);
        }
        let ctx = ctx!(self, url);
        Err(ctx.generic(phase, format!("{method}: no success after refreshing and re-authorizing")))
    }

    /// Mixed mode's first 401: OAuth when the challenge names Protected Resource Metadata; on a
    /// bare challenge, the profile's way (a token prompt, or OAuth discovery regardless), noted
    /// with its evidence so the result says which way was taken and how well that is known.
    async fn mixed(&mut self, url: &Url, reply: &RpcReply) -> Result<(), Failure> {
        let challenge = reply.challenge.clone();
        if challenge.as_ref().is_some_and(|c| c.param("resource_metadata").is_some()) {
            return self.discover_and_authorize(url, challenge).await;
        }
        let fact = self.profile.mixed_bare_challenge.clone().expect("checked in connect");
        let header = reply
            .challenge
            .as_ref()
            .map(|c| {
                let params: Vec<String> = c.params.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
                format!("`{}`", crate::continuation::one_line(&format!("{} {}", c.scheme, params.join(", "))))
            })
            .unwrap_or_else(|| "no Bearer challenge".to_owned());
        let evidence = format!("{:?}", fact.evidence).to_lowercase();
        let way = match fact.value {
            BareChallenge::TokenPrompt => "prompts for a token and sends it as Authorization: Bearer",
            BareChallenge::OauthDiscovery => "runs OAuth discovery anyway",
        };
        let note = format!(
            "Mixed mode: the 401 carries {header}, naming no resource_metadata, so ChatGPT {way} (the profile's mixed_bare_challenge; evidence: {evidence}, {}{})",
            fact.source,
            fact.note.as_deref().map(|n| format!("; {n}")).unwrap_or_default()
        );
        self.rec.note(crate::transcript::NoteKind::MixedMode, note.clone());
        match fact.value {
            BareChallenge::TokenPrompt => {
                let token = self.opts.bearer_token.clone().expect("checked in connect");
                self.rec.secret(crate::transcript::SecretKind::Token, &token);
                self.s.wire.token = Some(token);
                Ok(())
            }
            BareChallenge::OauthDiscovery => self.discover_and_authorize(url, challenge).await.map_err(|mut f| {
                f.cause = format!("{} — {note}", f.cause);
                f
            }),
        }
    }

    /// Re-authorizes after a challenge. When the attempts run out, the user sees the linking loop
    /// end in an MCP failure (seed 004 "Linking UI loops"), so that is what is reported, with the
    /// server's last answer as the cause.
    async fn reauthorize(
        &mut self,
        url: &Url,
        reply: &RpcReply,
        method: &str,
        scope: Option<&[String]>,
    ) -> Result<(), Failure> {
        match self.authorize(url, Phase::StepUp, Phase::StepUp, scope).await {
            Err(f) if f.kind == FailureKind::RetryLimit => {
                let mut failed = self.mcp_failed(url, reply, method);
                failed.cause =
                    format!("{} — still refused after {} authorizations", failed.cause, self.s.authorizations);
                Err(failed)
            }
            other => other,
        }
    }

    pub(crate) fn mcp_failed(&self, url: &Url, reply: &RpcReply, what: &str) -> Failure {
        let detail = match (&reply.problem, &reply.message) {
            (Some(p), _) => p.clone(),
            (None, Some(m)) if m.get("error").is_some() => format!("JSON-RPC error {}", m["error"]),
            _ => format!("HTTP {}", reply.status),
        };
        let auth = reply.challenge.as_ref().map(|c| format!(" (WWW-Authenticate: {:?})", c.params)).unwrap_or_default();
        fail(
            &self.profile,
            FailureKind::McpFailed,
            Phase::Mcp,
            url.as_str(),
            &[("detail", &detail)],
            format!("{what} failed after authorization: {detail}{auth}"),
            Some(reply.seq),
        )
    }

    async fn session(&mut self, url: &Url) -> Result<Outcome, Failure> {
        if let Some(outcome) = self.modern_session(url).await? {
            return Ok(outcome);
        }
        let init = {
            let ctx = ctx!(self, url);
            crate::mcp::initialize_body(&ctx, 0)
        };
        let reply = self.call(url, Phase::Mcp, "initialize", init.get("params").cloned(), false).await?;
        let result = reply.message.as_ref().and_then(|m| m.get("result")).cloned();
        let Some(result) = result.filter(|_| (200..300).contains(&reply.status)) else {
            return Err(self.mcp_failed(url, &reply, "initialize"));
        };
        self.s.wire.session_id = reply.session_id.clone();
        self.s.wire.protocol_version = result.get("protocolVersion").and_then(Value::as_str).map(str::to_owned);
        let mut tools = Vec::new();
        for method in self.profile.mcp.calls.value.clone() {
            let notification = method.starts_with("notifications/");
            let reply = self.call(url, Phase::Mcp, &method, None, notification).await?;
            if !(200..300).contains(&reply.status) {
                return Err(self.mcp_failed(url, &reply, &method));
            }
            if method == "tools/list" {
                let list = reply.message.as_ref().and_then(|m| m.pointer("/result/tools")).and_then(Value::as_array);
                let Some(list) = list else { return Err(self.mcp_failed(url, &reply, "tools/list")) };
                tools = list.iter().filter_map(|t| t.get("name").and_then(Value::as_str)).map(str::to_owned).collect();
            }
        }
        for (name, args) in self.opts.tool_calls.clone() {
            let result = self.call_tool(&name, args).await?;
            if result.get("isError") == Some(&Value::Bool(true)) {
                tracing::debug!("tool {name} returned an error result");
            }
        }
        Ok(Outcome::Connected { tools, protocol_version: self.s.wire.protocol_version.clone() })
    }

    /// The 2026-07-28 path of a profile that speaks it (`eras`): the GET probe, then
    /// `server/discover` and the profile's calls with the per-request fields. `Ok(None)`: go on
    /// with `initialize` (a profile without eras or starting with it, or the fallback).
    async fn modern_session(&mut self, url: &Url) -> Result<Option<Outcome>, Failure> {
        use crate::modern::{self, AfterDiscover};
        let Some(eras) = self.profile.eras.clone() else { return Ok(None) };
        if eras.get_probe.value.send {
            let req = modern::get_probe(&self.profile, url, self.s.wire.token.as_deref());
            // A GET that stays open (a stream) until the request timeout is not a refusal.
            if let Ok(r) = self.rec.send(Phase::Mcp, req).await
                && let Some(f) = modern::get_probe_refused(&self.profile, &eras, url, r.status, r.seq)
            {
                return Err(f);
            }
        }
        if eras.first.value != crate::profile::EraStart::Discover {
            return Ok(None);
        }
        self.s.wire.modern = Some(modern::wire(&eras));
        // At most two asks: the second only after a -32022 that lists the revision asked for.
        let mut retried = false;
        let (reply, promise) = loop {
            // The retry is a new request: a new id (JSON-RPC ids are not reused).
            let id = if retried { json!(self.next_id()) } else { eras.discover_id.value.clone() };
            let id = Some(id);
            let discover = self.call_with_id(url, Phase::Mcp, "server/discover", None, id);
            let reply = match eras.fallback.value.as_ref().and_then(|f| f.timeout_ms) {
                Some(ms) => match tokio::time::timeout(std::time::Duration::from_millis(ms), discover).await {
                    Ok(r) => r?,
                    Err(_) => return Ok(self.fall_back(format!("server/discover got no answer within {ms} ms"))),
                },
                None => discover.await?,
            };
            match modern::after_discover(&eras, &reply, !retried) {
                AfterDiscover::Retry => retried = true,
                other => break (reply, other),
            }
        };
        let promise = match promise {
            AfterDiscover::Modern(p) => p,
            AfterDiscover::Retry => unreachable!("a retry loops"),
            AfterDiscover::FallBack(why) => return Ok(self.fall_back(why)),
            AfterDiscover::Stop => {
                let mut f = self.mcp_failed(url, &reply, "server/discover");
                if let Some(e) = &reply.error {
                    f.cause =
                        format!("{} with JSON-RPC error {}", f.cause, crate::continuation::one_line(&e.to_string()));
                }
                return Err(f);
            }
        };
        let mut tools = Vec::new();
        for method in eras.calls.value.clone() {
            let reply = self.call(url, Phase::Mcp, &method, None, false).await?;
            if let Some(f) = modern::inconsistent(&self.profile, &eras, &promise, url, &method, &reply) {
                return Err(f);
            }
            let result = reply.message.as_ref().and_then(|m| m.get("result")).filter(|_| modern::ok(&reply));
            let Some(result) = result else { return Err(self.mcp_failed(url, &reply, &method)) };
            if let Some(why) = modern::result_type_problem(result) {
                let mut f = self.mcp_failed(url, &reply, &method);
                f.cause = format!("{method}: {why}");
                return Err(f);
            }
            if method == "tools/list" {
                let Some(list) = result.get("tools").and_then(Value::as_array) else {
                    return Err(self.mcp_failed(url, &reply, "tools/list"));
                };
                tools = list.iter().filter_map(|t| t.get("name").and_then(Value::as_str)).map(str::to_owned).collect();
            }
        }
        for (name, args) in self.opts.tool_calls.clone() {
            self.call_tool(&name, args).await?;
        }
        let version = eras.version().as_str().to_owned();
        Ok(Some(Outcome::Connected { tools, protocol_version: Some(version) }))
    }

    /// Back to the 2025 handshake: the modern headers and `_meta` are no longer sent.
    fn fall_back(&mut self, why: String) -> Option<Outcome> {
        self.s.wire.modern = None;
        self.rec.note(crate::transcript::NoteKind::EraFallback, format!("{why}: falling back to initialize"));
        None
    }

    /// Calls a tool; a tool-level `mcp/www_authenticate` challenge leads to re-authorization and one
    /// retry when the profile honours it. Returns the `result` object.
    pub async fn call_tool(&mut self, name: &str, args: Value) -> Result<Value, Failure> {
        let url = self.s.mcp_url.clone().expect("connect first");
        let params = json!({"name": name, "arguments": args});
        for round in 0..2 {
            let reply = self.call(&url, Phase::Mcp, "tools/call", Some(params.clone()), false).await?;
            let result = reply.message.as_ref().and_then(|m| m.get("result")).cloned();
            let Some(result) = result else { return Err(self.mcp_failed(&url, &reply, &format!("tools/call {name}"))) };
            let challenges = crate::challenge::tool_challenges(&result);
            if round == 0
                && !challenges.is_empty()
                && self.profile.step_up.on_tool_challenge.value
                && self.s.found.is_some()
            {
                let scope = challenges[0].scopes();
                self.authorize(&url, Phase::StepUp, Phase::StepUp, Some(&scope)).await?;
                continue;
            }
            return Ok(result);
        }
        unreachable!("the loop returns in its second round")
    }

    /// Ends the run as the profile's client would: DELETE the session if it does that.
    pub async fn finish(&mut self) {
        if self.profile.mcp.delete_at_end.value {
            self.close().await;
        }
    }

    /// Ends the session with DELETE (recorded).
    pub async fn close(&mut self) {
        let (Some(url), Some(sid)) = (self.s.mcp_url.clone(), self.s.wire.session_id.clone()) else { return };
        let mut req = Req::new(reqwest::Method::DELETE, url.as_str(), "end session")
            .kind(ExchangeKind::EndSession)
            .header("User-Agent", &self.profile.user_agent_mcp.value);
        if let Some(t) = &self.s.wire.token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        req = req.header("Mcp-Session-Id", sid);
        let _ = self.rec.send(Phase::Mcp, req).await;
        self.s.wire.session_id = None;
    }
}
