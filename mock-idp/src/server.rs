//! Starting, inspecting and stopping the mock IdP.

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use server_kit::{BodyLimits, Served};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::config::{IdpConfig, LoginMode};
use crate::error::{IdpError, OAuthError};
use crate::keys::KeySet;
use crate::quirks::Quirk;
use crate::state::{AppState, IdpSnapshot, LoggedRequest, StoreSizes};
use crate::store::{truncate, truncate_bytes};
use crate::tokens::{MintRequest, MintedToken, NegativeToken, Signing, sign, standard_claims};

/// Builds a mock IdP. `MockIdp::builder().login(LoginMode::Form).quirk(Quirk::NoAudience).start()`.
#[derive(Debug, Default, Clone)]
pub struct MockIdp {
    config: IdpConfig,
}

impl MockIdp {
    /// A builder with the default, spec-following configuration.
    pub fn builder() -> MockIdp {
        MockIdp::default()
    }
    /// Starts from a full configuration (e.g. read from a file).
    pub fn with_config(config: IdpConfig) -> MockIdp {
        MockIdp { config }
    }
    /// Listen on this port of 127.0.0.1 (0 picks a free one).
    pub fn port(mut self, port: u16) -> Self {
        self.config.port = port;
        self
    }
    /// Put the issuer under a path, e.g. `/tenant1`.
    pub fn issuer_path(mut self, path: impl Into<String>) -> Self {
        self.config.issuer_path = path.into();
        self
    }
    /// How the user's part of `/authorize` goes.
    pub fn login(mut self, mode: LoginMode) -> Self {
        self.config.login = mode;
        self
    }
    /// Adds a quirk.
    pub fn quirk(mut self, q: Quirk) -> Self {
        self.config.quirks.0.push(q);
        self
    }
    /// Adds a pre-registered client.
    pub fn static_client(mut self, c: crate::config::StaticClient) -> Self {
        self.config.clients.push(c);
        self
    }
    /// Restricts the resources tokens may be issued for.
    pub fn resources(mut self, r: Vec<String>) -> Self {
        self.config.resources = r;
        self
    }
    /// Changes the rest of the configuration in place.
    pub fn configure(mut self, f: impl FnOnce(&mut IdpConfig)) -> Self {
        f(&mut self.config);
        self
    }

    /// Binds 127.0.0.1 and serves until the handle is shut down or dropped.
    pub async fn start(self) -> Result<IdpHandle, IdpError> {
        let config = self.config;
        config.validate()?;
        let keys = if config.generate_keys { KeySet::generate()? } else { KeySet::fixed()? };
        let bound = server_kit::bind_loopback(config.port)
            .await
            .map_err(|e| IdpError::Bind { addr: e.addr, source: e.source })?;
        let origin = bound.origin();
        let mut issuer = format!("{origin}{}", config.issuer_path);
        if config.has(Quirk::IssuerTrailingSlash) {
            issuer.push('/');
        }
        let http = crate::fetch::Fetcher::new(config.allow_private_fetch);
        let state = Arc::new(AppState::new(config, issuer, origin, keys, http));
        let served = Served::start(bound, router(state.clone()), "mock IdP");
        Ok(IdpHandle { state, served })
    }
}

fn router(state: Arc<AppState>) -> Router {
    let p = state.config.issuer_path.clone();
    let mut r = Router::new();
    for path in
        crate::metadata::paths(&p, &state.config.metadata_locations, state.config.has(Quirk::IssuerTrailingSlash))
    {
        // `get` answers HEAD too, with the same headers and no body (RFC 9110 §9.3.2).
        r = r.route(&path, get(crate::metadata::serve));
    }
    r = r
        .route(&format!("{p}/jwks"), get(crate::metadata::jwks))
        .route(&format!("{p}/authorize"), get(crate::authorize::authorize))
        .route(&format!("{p}/login"), post(crate::authorize::login))
        .route(&format!("{p}/consent"), post(crate::authorize::consent))
        .route(&format!("{p}/token"), post(crate::token::token))
        .route(&format!("{p}/introspect"), post(crate::introspection::introspect))
        .route(&format!("{p}/revoke"), post(crate::introspection::revoke));
    if !state.config.has(Quirk::NoRegistrationEndpoint) {
        r = r.route(&format!("{p}/register"), post(crate::registration::register));
    }
    r.method_not_allowed_fallback(|| async { OAuthError::method_not_allowed().into_response() })
        .fallback(|req: Request| async move { OAuthError::not_found(req.uri().path()).into_response() })
        .layer(middleware::from_fn_with_state(state.clone(), log_and_limit))
        .with_state(state)
}

/// Buffers the body under the size limit, then records the exchange in the request log (a body
/// refused for its size is answered 413 and not logged).
async fn log_and_limit(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let limit = state.config.max_body_bytes;
    let limits = BodyLimits { max_bytes: limit, deadline: None };
    let refuse = |_| OAuthError::too_large(limit).into_response();
    server_kit::buffer_and_record(req, next, limits, refuse, |ex| {
        let Ok(body) = ex.body else { return };
        // Every logged value is cut to `max_logged_bytes`, so an entry is bounded whatever the
        // client sent.
        let max = state.config.limits.max_logged_bytes;
        let mut entry = LoggedRequest::of(&ex, |s| truncate(s, max), truncate_bytes(body, max), ());
        let mut log = state.log.lock();
        entry.seq = log.pushed + 1;
        log.push(entry);
    })
    .await
}

/// Where everything is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Endpoints {
    /// The issuer identifier.
    pub issuer: String,
    /// Metadata URLs, in the order spec clients try them.
    pub metadata: Vec<String>,
    /// `/authorize`.
    pub authorization: String,
    /// `/token`.
    pub token: String,
    /// `/register`, unless the quirk removed it.
    pub registration: Option<String>,
    /// The JWKS.
    pub jwks: String,
    /// `/introspect`.
    pub introspection: String,
    /// `/revoke`.
    pub revocation: String,
}

/// A running mock IdP. Dropping it stops the server.
#[derive(Debug)]
pub struct IdpHandle {
    state: Arc<AppState>,
    served: Served,
}

impl IdpHandle {
    /// The issuer identifier (with the trailing slash when that quirk is on).
    pub fn issuer(&self) -> &str {
        &self.state.issuer
    }
    /// `http://127.0.0.1:PORT`.
    pub fn origin(&self) -> &str {
        &self.state.origin
    }
    /// The bound port.
    pub fn port(&self) -> u16 {
        self.served.port()
    }
    /// The configuration in force.
    pub fn config(&self) -> &IdpConfig {
        &self.state.config
    }
    /// The JWKS URL.
    pub fn jwks_uri(&self) -> String {
        self.state.endpoint("jwks")
    }
    /// All endpoint URLs.
    pub fn endpoints(&self) -> Endpoints {
        let s = &self.state;
        Endpoints {
            issuer: s.issuer.clone(),
            metadata: crate::metadata::paths(&s.config.issuer_path, &s.config.metadata_locations, false)
                .into_iter()
                .map(|p| format!("{}{p}", s.origin))
                .collect(),
            authorization: s.endpoint("authorize"),
            token: s.endpoint("token"),
            registration: (!s.config.has(Quirk::NoRegistrationEndpoint)).then(|| s.endpoint("register")),
            jwks: s.endpoint("jwks"),
            introspection: s.endpoint("introspect"),
            revocation: s.endpoint("revoke"),
        }
    }
    /// The metadata document as served.
    pub fn metadata(&self) -> serde_json::Value {
        crate::metadata::document(&self.state)
    }
    /// A copy of everything the IdP remembers now (each store read in turn, not one atomic cut).
    pub fn snapshot(&self) -> IdpSnapshot {
        self.state.snapshot()
    }
    /// How many entries each store holds: each stays within its cap in [`crate::Limits`].
    pub fn store_sizes(&self) -> StoreSizes {
        self.state.sizes()
    }
    /// Signs new tokens with the next published key (both stay in the JWKS).
    pub fn rotate_signing_key(&self) {
        self.state.rotate_keys();
    }
    /// The `kid` that signs new tokens.
    pub fn active_kid(&self) -> String {
        self.state.keys().active().kid.clone()
    }
    /// Moves the IdP's clock forward (codes and refresh tokens expire without sleeping).
    pub fn advance_clock(&self, secs: i64) {
        self.state.clock_offset.fetch_add(secs, Ordering::Relaxed);
    }
    /// Fetch `to…` whenever a client document or JWKS URL starts with `from` (for example
    /// `https://chatgpt.com/oauth/` → the mock client's loopback server). The `client_id` is still
    /// compared with the original URL.
    pub fn add_fetch_rewrite(&self, from: impl Into<String>, to: impl Into<String>) {
        self.state.caches.lock().fetch_rewrites.insert(from.into(), to.into());
    }
    /// Tells the IdP that clients reach its token endpoint at `url` too (a recording proxy or a
    /// tunnel in front of it): a `private_key_jwt` assertion whose `aud` is `url` is accepted, as
    /// RFC 7523 §3 lets the audience be the token endpoint URL the client used. Only the URLs
    /// named here are added; every other audience is still refused. At most 16 are kept.
    pub fn add_public_token_url(&self, url: impl Into<String>) {
        let mut caches = self.state.caches.lock();
        if caches.public_token_urls.len() < 16 {
            caches.public_token_urls.push(url.into());
        }
    }
    /// A genuine access token for `resource`, as `/token` would issue it, without a flow.
    pub fn mint_valid(&self, resource: &str, scope: &[&str]) -> Result<MintedToken, IdpError> {
        self.mint(&MintRequest { claims: self.valid_claims(resource, scope), signing: Signing::Valid })
    }
    /// The claims [`IdpHandle::mint_valid`] signs, unsigned: for a test that changes one before
    /// signing, so the token costs one signature rather than two.
    pub fn valid_claims(&self, resource: &str, scope: &[&str]) -> serde_json::Map<String, serde_json::Value> {
        let scope: Vec<String> = scope.iter().map(|s| s.to_string()).collect();
        self.claims(Some(serde_json::json!(resource)), &scope, 0)
    }
    /// A token with exactly these claims, signed as asked.
    pub fn mint(&self, req: &MintRequest) -> Result<MintedToken, IdpError> {
        let token = sign(&self.state.keys(), &req.claims, req.signing)?;
        Ok(MintedToken { token, claims: req.claims.clone(), signing: req.signing })
    }
    /// One token of the negative battery for `resource`: wrong in exactly one way.
    pub fn mint_negative(&self, kind: NegativeToken, resource: &str, scope: &[&str]) -> Result<MintedToken, IdpError> {
        use serde_json::json;
        let scope: Vec<String> = scope.iter().map(|s| s.to_string()).collect();
        let mut claims = self.claims(Some(json!(resource)), &scope, 0);
        let now = self.state.now();
        let signing = match kind {
            NegativeToken::AlgNone => Signing::AlgNone,
            NegativeToken::Hs256WithPublicKey => Signing::Hs256WithPublicKey,
            NegativeToken::UnknownKid => Signing::UnknownKid,
            NegativeToken::ForeignKey => Signing::ForeignKey,
            _ => Signing::Valid,
        };
        match kind {
            NegativeToken::Expired => {
                claims.insert("iat".into(), json!(now - 7200));
                claims.insert("exp".into(), json!(now - 3600));
            }
            NegativeToken::NotYetValid => {
                claims.insert("nbf".into(), json!(now + 3600));
            }
            NegativeToken::WrongIssuer => {
                claims.insert("iss".into(), json!("https://other-issuer.example"));
            }
            NegativeToken::WrongAudience => {
                claims.insert("aud".into(), json!("https://elsewhere.example/mcp"));
            }
            NegativeToken::MissingAudience => {
                claims.remove("aud");
            }
            NegativeToken::AudienceArrayWithoutResource => {
                claims.insert("aud".into(), json!(["https://elsewhere.example/mcp", "account"]));
            }
            NegativeToken::OtherResourceSameIdp => {
                let other = url::Url::parse(resource)
                    .map(|mut u| {
                        u.set_path(&format!("{}-other", u.path().trim_end_matches('/')));
                        u.to_string()
                    })
                    .unwrap_or_else(|_| format!("{resource}-other"));
                claims.insert("aud".into(), json!(other));
            }
            _ => {}
        }
        self.mint(&MintRequest { claims, signing })
    }

    fn claims(
        &self,
        aud: Option<serde_json::Value>,
        scope: &[String],
        ttl_shift: i64,
    ) -> serde_json::Map<String, serde_json::Value> {
        let now = self.state.now();
        let sub = self.state.config.users.first().map(|u| u.username.clone()).unwrap_or_else(|| "user".into());
        standard_claims(
            &self.state.issuer,
            &sub,
            aud,
            "minted-by-test",
            scope,
            now,
            self.state.config.access_token_ttl as i64 + ttl_shift,
            &crate::random::token(12),
        )
    }

    /// Stops the server and waits (at most 5 s) for it: in-flight requests finish quickly; a
    /// stuck one is abandoned.
    pub async fn shutdown(self) {
        self.served.shutdown().await;
    }

    /// The login mode in force.
    pub fn login_mode(&self) -> LoginMode {
        self.state.config.login
    }
}
