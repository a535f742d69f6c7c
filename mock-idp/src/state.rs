//! Everything the mock IdP remembers, and the records a test can inspect.
//!
//! Records hold real secret values on purpose: tests compare them, and the harness's redaction
//! uses them to know exactly which strings to hide. They never leave the process except through
//! [`crate::IdpHandle::snapshot`].

use parking_lot::{Mutex, RwLock};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::config::IdpConfig;
use crate::keys::KeySet;
use crate::store::{Bounded, Ring};

/// Where a client came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ClientSource {
    /// Configured before start.
    Static,
    /// RFC 7591 dynamic registration.
    Dynamic,
    /// A Client ID Metadata Document fetched from its URL.
    MetadataDocument,
}

/// A client the IdP knows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegisteredClient {
    /// The client id (a URL for CIMD clients).
    pub client_id: String,
    /// The secret, for confidential clients.
    pub client_secret: Option<String>,
    /// Exact redirect URIs.
    pub redirect_uris: Vec<String>,
    /// Token endpoint auth methods this client may use, in preference order.
    pub auth_methods: Vec<String>,
    /// `grant_types`.
    pub grant_types: Vec<String>,
    /// Scopes this client is limited to; `None` = any supported scope.
    pub allowed_scopes: Option<Vec<String>>,
    /// `client_name`.
    pub client_name: Option<String>,
    /// `jwks_uri`, for `private_key_jwt`.
    pub jwks_uri: Option<String>,
    /// Inline `jwks`, for `private_key_jwt`.
    pub jwks: Option<Value>,
    /// Origin of the record.
    pub source: ClientSource,
    /// The raw registration request or metadata document.
    pub metadata: Option<Value>,
}

/// One `/authorize` request as received.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuthorizationRequestRecord {
    /// Every query parameter, in order, duplicates kept.
    pub params: Vec<(String, String)>,
    /// What the IdP answered: `code`, an OAuth error code, `login_page`.
    pub outcome: String,
}

/// An authorization code.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CodeRecord {
    /// The code.
    pub code: String,
    /// Client it was issued to.
    pub client_id: String,
    /// Redirect URI it was issued for.
    pub redirect_uri: String,
    /// Whether the authorization request carried `redirect_uri` (then the token request must too).
    pub redirect_uri_sent: bool,
    /// Granted scopes.
    pub scope: Vec<String>,
    /// RFC 8707 resources from the authorization request.
    pub resources: Vec<String>,
    /// PKCE challenge.
    pub code_challenge: String,
    /// PKCE method.
    pub code_challenge_method: String,
    /// The user.
    pub sub: String,
    /// Issue time (unix seconds, IdP clock).
    pub issued_at: i64,
    /// Whether it has been redeemed.
    pub redeemed: bool,
}

/// Access or refresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TokenKind {
    /// An access token.
    Access,
    /// A refresh token.
    Refresh,
}

/// An issued token.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TokenRecord {
    /// Access or refresh.
    pub kind: TokenKind,
    /// The token string.
    pub value: String,
    /// `jti` of a JWT access token.
    pub jti: Option<String>,
    /// Client.
    pub client_id: String,
    /// User.
    pub sub: String,
    /// Scopes.
    pub scope: Vec<String>,
    /// Audience values.
    pub aud: Vec<String>,
    /// RFC 8707 resources the grant covers.
    pub resources: Vec<String>,
    /// Expiry (unix seconds).
    pub expires_at: i64,
    /// Grant family: every token descending from one authorization code shares it.
    pub family: String,
    /// Revoked (explicitly, by code reuse or by refresh-token reuse).
    pub revoked: bool,
    /// For refresh tokens: already exchanged (rotation).
    pub used: bool,
    /// For refresh tokens: when it was first exchanged (IdP clock), for the reuse-window quirk.
    pub used_at: Option<i64>,
    /// `authorization_code` or `refresh_token`.
    pub grant: String,
}

/// One HTTP request the IdP received (every value cut to `max_logged_bytes`).
pub type LoggedRequest = server_kit::LoggedRequest;

/// A form-mode authorization waiting for login and consent.
#[derive(Debug, Clone)]
pub struct PendingAuthorization {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) redirect_uri_sent: bool,
    pub(crate) state: Option<String>,
    pub(crate) scope: Vec<String>,
    pub(crate) resources: Vec<String>,
    pub(crate) code_challenge: String,
    pub(crate) code_challenge_method: String,
    pub(crate) created_at: i64,
}

/// A copy of everything inspectable, taken at one moment.
#[derive(Debug, Clone, Serialize)]
pub struct IdpSnapshot {
    /// Clients, registration order.
    pub clients: Vec<RegisteredClient>,
    /// `/authorize` requests, arrival order.
    pub authorization_requests: Vec<AuthorizationRequestRecord>,
    /// Codes, issue order.
    pub codes: Vec<CodeRecord>,
    /// Tokens, issue order.
    pub tokens: Vec<TokenRecord>,
    /// The newest requests (a ring buffer of `limits.max_log_entries`), arrival order.
    pub requests: Vec<LoggedRequest>,
}

impl IdpSnapshot {
    /// The client with this id.
    pub fn client(&self, id: &str) -> Option<&RegisteredClient> {
        self.clients.iter().find(|c| c.client_id == id)
    }
    /// Access tokens only.
    pub fn access_tokens(&self) -> impl Iterator<Item = &TokenRecord> {
        self.tokens.iter().filter(|t| t.kind == TokenKind::Access)
    }
    /// Every secret value the IdP handed out (client secrets, codes, tokens), for redaction checks.
    pub fn secrets(&self) -> Vec<String> {
        let mut s: Vec<String> = self.clients.iter().filter_map(|c| c.client_secret.clone()).collect();
        s.extend(self.codes.iter().map(|c| c.code.clone()));
        s.extend(self.tokens.iter().map(|t| t.value.clone()));
        s
    }
}

/// The tokens, with what each grant family (every token descending from one authorization code)
/// shares: whether it was revoked, and how many tokens of it are stored or being issued.
///
/// Revoking a family is one flag, not a scan; a token is revoked when it or its family is. The
/// family entry lives while a token of it is stored or an issuance is reserved, so a code or
/// refresh-token replay that lands while new tokens are being signed (outside any lock) still
/// revokes them: [`TokenStore::commit`] refuses to store into a revoked family.
#[derive(Debug)]
pub(crate) struct TokenStore {
    tokens: Bounded<TokenRecord>,
    families: HashMap<String, Family>,
}

#[derive(Debug, Default)]
struct Family {
    revoked: bool,
    members: usize,
    reserved: usize,
}

impl TokenStore {
    fn new(cap: usize) -> Self {
        TokenStore { tokens: Bounded::new(cap), families: HashMap::new() }
    }

    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// A token by value.
    pub fn get(&self, value: &str) -> Option<&TokenRecord> {
        self.tokens.get(value)
    }

    /// Whether the token itself or its family was revoked.
    pub fn revoked(&self, t: &TokenRecord) -> bool {
        t.revoked || self.families.get(&t.family).is_some_and(|f| f.revoked)
    }

    /// Revokes one token.
    pub fn revoke_token(&mut self, value: &str) {
        if let Some(t) = self.tokens.get_mut(value) {
            t.revoked = true;
        }
    }

    /// Revokes every token of a grant family, including ones being issued right now.
    pub fn revoke_family(&mut self, family: &str) {
        if let Some(f) = self.families.get_mut(family) {
            f.revoked = true;
        }
    }

    /// Marks a refresh token as exchanged (rotation) at `now` (the reuse-window quirk counts from it).
    pub fn mark_used(&mut self, value: &str, now: i64) {
        if let Some(t) = self.tokens.get_mut(value) {
            t.used = true;
            t.used_at = Some(now);
        }
    }

    /// Announces that tokens of `family` are about to be signed and stored.
    pub fn reserve(&mut self, family: &str) {
        self.families.entry(family.to_owned()).or_default().reserved += 1;
    }

    /// Gives up a reservation without storing anything.
    pub fn abort(&mut self, family: &str) {
        if let Some(f) = self.families.get_mut(family) {
            f.reserved = f.reserved.saturating_sub(1);
        }
        self.drop_if_empty(family);
    }

    /// Stores the tokens of a reservation, unless the family was revoked meanwhile (then nothing is
    /// stored and `false` comes back). Expired tokens are swept now and then, and the oldest go
    /// beyond the cap.
    pub fn commit(&mut self, family: &str, records: Vec<TokenRecord>, now: i64) -> bool {
        let revoked = match self.families.get_mut(family) {
            Some(f) => {
                f.reserved = f.reserved.saturating_sub(1);
                f.revoked
            }
            None => true,
        };
        if revoked {
            self.drop_if_empty(family);
            return false;
        }
        if let Some(f) = self.families.get_mut(family) {
            f.members += records.len();
        }
        let mut gone = Vec::new();
        for r in records {
            gone.extend(self.tokens.insert(r.value.clone(), r));
        }
        if self.tokens.sweep_due() {
            gone.extend(self.tokens.retain(|t| t.expires_at > now));
        }
        for (_, t) in gone {
            self.forget(&t.family);
        }
        true
    }

    /// One token of `family` left the store.
    fn forget(&mut self, family: &str) {
        if let Some(f) = self.families.get_mut(family) {
            f.members = f.members.saturating_sub(1);
        }
        self.drop_if_empty(family);
    }

    fn drop_if_empty(&mut self, family: &str) {
        if self.families.get(family).is_some_and(|f| f.members == 0 && f.reserved == 0) {
            self.families.remove(family);
        }
    }

    /// Every stored token, issue order, with `revoked` reflecting its family.
    pub fn records(&self) -> Vec<TokenRecord> {
        self.tokens
            .in_creation_order()
            .into_iter()
            .map(|t| TokenRecord { revoked: self.revoked(t), ..t.clone() })
            .collect()
    }

    /// Grant families tracked (for the soak test's bound).
    pub fn families(&self) -> usize {
        self.families.len()
    }
}

/// Clients that registered or were resolved from a metadata document; static ones live in
/// [`AppState::static_clients`] and are never evicted.
pub(crate) type ClientStore = Bounded<Arc<RegisteredClient>>;

/// Form-mode logins: pending authorizations and sessions.
#[derive(Debug)]
pub(crate) struct Logins {
    pub pending: Bounded<PendingAuthorization>,
    pub sessions: Bounded<String>,
}

/// Caches and bookkeeping of the outbound fetches and client authentication.
#[derive(Debug)]
pub(crate) struct Caches {
    /// Registration times inside the `registration_rate_limit` window (at most its `max`).
    pub registrations: VecDeque<i64>,
    pub cimd_cache: Bounded<(Arc<RegisteredClient>, i64)>,
    pub jwks_cache: Bounded<(Value, i64)>,
    /// `client|jti` of accepted assertions → their expiry; a replay inside the expiry is refused.
    pub used_assertion_jtis: Bounded<i64>,
    pub fetch_rewrites: BTreeMap<String, String>,
    /// The token endpoint's URLs as clients reaching the IdP through a proxy or tunnel see it
    /// (`IdpHandle::add_public_token_url`): an assertion `aud` naming one names this endpoint.
    pub public_token_urls: Vec<String>,
}

/// The request log: a ring buffer of bounded entries.
pub(crate) type RequestLog = Ring<LoggedRequest>;

/// Shared server state.
///
/// Each store has its own lock, and no lock is held while signing, hashing or fetching: a
/// handler copies what it needs, lets go, does the slow work, and locks again to store the
/// result (re-checking what may have changed: a code redeemed meanwhile, a family revoked
/// meanwhile). Where two locks are held together the order is codes → tokens.
#[derive(Debug)]
pub(crate) struct AppState {
    pub config: IdpConfig,
    pub issuer: String,
    /// `http://127.0.0.1:PORT` — where the routes really are.
    pub origin: String,
    /// Replaced whole on rotation, so a signer holds its own `Arc` and no lock.
    pub keys: RwLock<Arc<KeySet>>,
    /// Configured clients, never evicted, in configuration order.
    pub static_clients: Vec<Arc<RegisteredClient>>,
    /// Client ids that may introspect every client's tokens.
    pub resource_servers: HashSet<String>,
    pub clients: Mutex<ClientStore>,
    pub codes: Mutex<Bounded<CodeRecord>>,
    pub tokens: Mutex<TokenStore>,
    pub auth_requests: Mutex<Ring<AuthorizationRequestRecord>>,
    pub log: Mutex<RequestLog>,
    pub logins: Mutex<Logins>,
    pub caches: Mutex<Caches>,
    pub clock_offset: AtomicI64,
    pub http: crate::fetch::Fetcher,
}

/// How many entries each store holds right now, for tests and the soak that assert the caps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StoreSizes {
    /// Dynamic and metadata-document clients (static ones not counted).
    pub clients: usize,
    /// Authorization codes.
    pub codes: usize,
    /// Access and refresh tokens.
    pub tokens: usize,
    /// Grant families tracked.
    pub token_families: usize,
    /// Request log entries.
    pub requests: usize,
    /// Authorization-request log entries.
    pub authorization_requests: usize,
    /// Pending form authorizations.
    pub pending_authorizations: usize,
    /// Login sessions.
    pub sessions: usize,
    /// Cached client metadata documents.
    pub cimd_cache: usize,
    /// Cached client JWKS.
    pub jwks_cache: usize,
    /// Remembered assertion `jti`s.
    pub assertion_jtis: usize,
}

impl AppState {
    pub fn new(config: IdpConfig, issuer: String, origin: String, keys: KeySet, http: crate::fetch::Fetcher) -> Self {
        let l = config.limits.clone();
        let static_clients: Vec<Arc<RegisteredClient>> =
            config.clients.iter().map(|c| Arc::new(static_client(c))).collect();
        let resource_servers =
            config.clients.iter().filter(|c| c.resource_server).map(|c| c.client_id.clone()).collect();
        AppState {
            issuer,
            origin,
            keys: RwLock::new(Arc::new(keys)),
            static_clients,
            resource_servers,
            clients: Mutex::new(Bounded::new(l.max_clients)),
            codes: Mutex::new(Bounded::new(l.max_codes)),
            tokens: Mutex::new(TokenStore::new(l.max_tokens)),
            auth_requests: Mutex::new(Ring::new(l.max_log_entries)),
            log: Mutex::new(Ring::new(l.max_log_entries)),
            logins: Mutex::new(Logins {
                pending: Bounded::new(l.max_sessions),
                sessions: Bounded::new(l.max_sessions),
            }),
            caches: Mutex::new(Caches {
                registrations: VecDeque::new(),
                cimd_cache: Bounded::new(l.max_clients),
                jwks_cache: Bounded::new(l.max_clients),
                used_assertion_jtis: Bounded::new(l.max_tokens),
                fetch_rewrites: BTreeMap::new(),
                public_token_urls: Vec::new(),
            }),
            clock_offset: Default::default(),
            http,
            config,
        }
    }

    /// The signing keys in force (a cheap handle; sign with it after every lock is released).
    pub fn keys(&self) -> Arc<KeySet> {
        self.keys.read().clone()
    }

    /// Makes the next published key the active one.
    pub fn rotate_keys(&self) {
        let mut w = self.keys.write();
        let mut next = KeySet::clone(&w);
        next.rotate();
        *w = Arc::new(next);
    }

    /// Unix seconds on the IdP's clock (real time plus any advance a test asked for).
    pub fn now(&self) -> i64 {
        let real = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
        real + self.clock_offset.load(Ordering::Relaxed)
    }

    /// The URL of an endpoint under the issuer path.
    pub fn endpoint(&self, name: &str) -> String {
        format!("{}{}/{}", self.origin, self.config.issuer_path, name)
    }

    /// Every supported token endpoint auth method, as advertised. `basic_auth_refused` keeps Basic
    /// here on purpose: the servers it models advertise Basic and then do not honour it.
    pub fn token_auth_methods(&self) -> Vec<&'static str> {
        let mut m = vec!["client_secret_basic", "client_secret_post", "none", "private_key_jwt"];
        if self.config.has(crate::Quirk::NoPrivateKeyJwt) || self.config.has(crate::Quirk::CimdSingularAuthMethodOnly) {
            m.retain(|x| *x != "private_key_jwt");
        }
        m
    }

    /// A static or stored client by id (marking a stored one as recently used).
    pub fn client(&self, id: &str) -> Option<Arc<RegisteredClient>> {
        if let Some(c) = self.static_clients.iter().find(|c| c.client_id == id) {
            return Some(c.clone());
        }
        let mut clients = self.clients.lock();
        let c = clients.get(id).cloned()?;
        clients.touch(id);
        Some(c)
    }

    /// Stores a new dynamic or metadata-document client, forgetting the least recently used one
    /// beyond the cap. A client already known keeps its record.
    pub fn add_client(&self, client: Arc<RegisteredClient>) {
        if self.static_clients.iter().any(|c| c.client_id == client.client_id) {
            return;
        }
        let mut clients = self.clients.lock();
        if !clients.contains(&client.client_id) {
            clients.insert(client.client_id.clone(), client);
        }
    }

    pub fn snapshot(&self) -> IdpSnapshot {
        let mut clients: Vec<RegisteredClient> = self.static_clients.iter().map(|c| (**c).clone()).collect();
        clients.extend(self.clients.lock().in_creation_order().into_iter().map(|c| (**c).clone()));
        let codes = self.codes.lock().in_creation_order().into_iter().cloned().collect();
        IdpSnapshot {
            clients,
            authorization_requests: self.auth_requests.lock().iter().cloned().collect(),
            codes,
            tokens: self.tokens.lock().records(),
            requests: self.log.lock().iter().cloned().collect(),
        }
    }

    pub fn sizes(&self) -> StoreSizes {
        let (tokens, token_families) = {
            let t = self.tokens.lock();
            (t.len(), t.families())
        };
        let (pending_authorizations, sessions) = {
            let l = self.logins.lock();
            (l.pending.len(), l.sessions.len())
        };
        let (cimd_cache, jwks_cache, assertion_jtis) = {
            let c = self.caches.lock();
            (c.cimd_cache.len(), c.jwks_cache.len(), c.used_assertion_jtis.len())
        };
        StoreSizes {
            clients: self.clients.lock().len(),
            codes: self.codes.lock().len(),
            tokens,
            token_families,
            requests: self.log.lock().len(),
            authorization_requests: self.auth_requests.lock().len(),
            pending_authorizations,
            sessions,
            cimd_cache,
            jwks_cache,
            assertion_jtis,
        }
    }
}

fn static_client(c: &crate::config::StaticClient) -> RegisteredClient {
    let method = c
        .token_endpoint_auth_method
        .clone()
        .unwrap_or_else(|| if c.client_secret.is_some() { "client_secret_basic".into() } else { "none".into() });
    RegisteredClient {
        client_id: c.client_id.clone(),
        client_secret: c.client_secret.clone(),
        redirect_uris: c.redirect_uris.clone(),
        auth_methods: vec![method],
        grant_types: vec!["authorization_code".into(), "refresh_token".into()],
        allowed_scopes: (!c.scopes.is_empty()).then(|| c.scopes.clone()),
        client_name: None,
        jwks_uri: None,
        jwks: None,
        source: ClientSource::Static,
        metadata: None,
    }
}

/// Rewrites a URL by the longest matching prefix (so ChatGPT's `https://chatgpt.com/oauth/...`
/// documents can be served by the mock client on loopback).
pub(crate) fn rewrite(rewrites: &BTreeMap<String, String>, url: &str) -> String {
    rewrites
        .iter()
        .filter(|(from, _)| url.starts_with(from.as_str()))
        .max_by_key(|(from, _)| from.len())
        .map(|(from, to)| format!("{to}{}", &url[from.len()..]))
        .unwrap_or_else(|| url.to_owned())
}
