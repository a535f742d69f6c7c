//! Observing: one ChatGPT flow per profile straight at the issuer, then the requests a
//! certification adds (token inspection, refreshes, negative probes), all recorded, and turned
//! into redacted [`Observations`] — the only thing [`crate::judge`] reads.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mock_client::http::{Limits, Req};
use mock_client::profile::{DcrAuthRule, Profile, RegistrationKind};
use mock_client::{
    AuthVariant, Authorized, Client, ConnectOptions, Discovered, ExchangeKind, Failure, FailureKind, LoginDriver,
    Phase, ProbeAuthorization, RegisteredClient, SecretKind, StaticCredentials,
};
use serde_json::{Value, json};
use url::Url;

use super::observations::{
    AuthorizedObs, CimdMode, ClientObs, DiscoveredObs, Observations, Probe, ProbeOutcome, RefreshObs, RunKind, RunObs,
    Step, TokensObs, probe,
};
use super::text::{excerpt, refusal};
use super::token::{Signature, TokenView};

/// ChatGPT's profiles, certified when none is named.
pub const DEFAULT_PROFILES: [&str; 3] = ["chatgpt-2025-dcr", "chatgpt-2025-09-dcr-basic", "chatgpt-2026-cimd"];
/// The resource asked for when none is given.
pub const DEFAULT_RESOURCE: &str = "https://mcp.example.com/mcp";
pub use super::observations::{FOREIGN_REDIRECT, FOREIGN_RESOURCE, UNREGISTERED_SUFFIX};
/// The key of the public-client probe's run.
pub const PUBLIC_RUN: &str = "public-client";

/// Called with a line of progress.
pub type Progress = Arc<dyn Fn(&str) + Send + Sync>;

/// Waits for a duration. The default sleeps; tests pass one that moves the mock IdP's clock
/// instead, so the AS-18 reuse-window probe never sleeps in a test.
pub type Wait = Arc<dyn Fn(Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// How long AS-18 waits before replaying a used refresh token a second time: longer than the
/// reuse windows IdPs document by default (Auth0's reuse interval, Okta's grace period: 30 s).
pub const DEFAULT_REUSE_WAIT: Duration = Duration::from_secs(35);

/// What to certify and how.
#[derive(Clone)]
pub struct CertifyConfig {
    /// The issuer identifier, exactly as clients and MCP servers are configured with it.
    pub issuer: String,
    /// The RFC 8707 resource (the MCP server's canonical URL).
    pub resource: String,
    /// Profile names or YAML files; empty: [`DEFAULT_PROFILES`].
    pub profiles: Vec<String>,
    /// The login driver.
    pub login: LoginDriver,
    /// A pre-registered client (then no profile registers one).
    pub static_client: Option<StaticCredentials>,
    /// A public https base URL that reaches the client's metadata host (a tunnel to `cimd_port`),
    /// so a remote IdP can fetch ChatGPT's metadata document.
    pub cimd_base: Option<String>,
    /// The metadata host's port on 127.0.0.1 (default: a free one).
    pub cimd_port: Option<u16>,
    /// Request limits.
    pub limits: Limits,
    /// Progress lines (the CLI prints them to stderr).
    pub progress: Option<Progress>,
    /// AS-18: how long to wait before replaying a used refresh token again, when the IdP accepted
    /// the replay at once (a reuse window must close within it).
    pub reuse_wait: Duration,
    /// How to wait (default: sleep).
    pub wait: Option<Wait>,
}

impl std::fmt::Debug for CertifyConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertifyConfig")
            .field("issuer", &self.issuer)
            .field("resource", &self.resource)
            .field("profiles", &self.profiles)
            .field("login", &self.login)
            .finish_non_exhaustive()
    }
}

impl CertifyConfig {
    /// Defaults for `issuer`: ChatGPT's profiles, the form driver with no fields, the default
    /// resource.
    pub fn new(issuer: impl Into<String>) -> CertifyConfig {
        CertifyConfig {
            issuer: issuer.into(),
            resource: DEFAULT_RESOURCE.to_owned(),
            profiles: Vec::new(),
            login: LoginDriver::Form { fields: Default::default() },
            static_client: None,
            cimd_base: None,
            cimd_port: None,
            limits: Limits::default(),
            progress: None,
            reuse_wait: DEFAULT_REUSE_WAIT,
            wait: None,
        }
    }

    async fn wait_for(&self, d: Duration) {
        match &self.wait {
            Some(w) => w(d).await,
            None => tokio::time::sleep(d).await,
        }
    }

    fn say(&self, line: &str) {
        if let Some(p) = &self.progress {
            p(line);
        }
    }
}

/// The certification could not run (a usage or environment problem, not a finding about the IdP).
#[derive(Debug, thiserror::Error)]
pub enum CertifyError {
    /// A bad argument.
    #[error("{0}")]
    Usage(String),
    /// The harness could not do its part.
    #[error("{0}")]
    Harness(String),
}

/// Everything one run observed, with the live client still attached (for the probes that depend
/// on what came before); [`Obs::finish`] makes it data.
struct Obs {
    pub key: String,
    pub kind: RunKind,
    pub profile: Profile,
    pub purpose: String,
    pub client: Client,
    pub result: Result<Authorized, Failure>,
    pub discovered: Option<Discovered>,
    pub registered: Option<RegisteredClient>,
    pub cimd: CimdMode,
    pub token: Option<TokenView>,
    pub token_seqs: Vec<u32>,
    pub refresh: Option<RefreshObs>,
    pub probes: BTreeMap<&'static str, Probe>,
    pub error_callback: Option<Url>,
    pub duration_ms: u64,
}

impl Obs {
    /// The run as data, with its raw transcript (whose secrets redact it).
    fn finish(self) -> (RunObs, mock_client::Transcript) {
        let t = self.client.transcript();
        let run = RunObs {
            key: self.key,
            kind: self.kind,
            profile: self.profile,
            purpose: self.purpose,
            transcript: t.redacted(),
            cimd_fetches: self.client.cimd_fetches(),
            result: self.result.map(|a| AuthorizedObs {
                client: ClientObs::from(&a.client),
                scopes: a.scopes,
                callback: a.callback,
                tokens: TokensObs::from(&a.tokens),
                token_seq: a.token_seq,
            }),
            discovered: self.discovered.map(|d| DiscoveredObs { metadata: d.metadata, metadata_url: d.metadata_url }),
            registered: self.registered.as_ref().map(ClientObs::from),
            cimd: self.cimd,
            token: self.token,
            token_seqs: self.token_seqs,
            refresh: self.refresh,
            probes: self.probes.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
            error_callback: self.error_callback,
            duration_ms: self.duration_ms,
        };
        (run, t)
    }
}

/// Every string of `run` redacted with its transcript's placeholders (the transcript itself
/// already is).
fn redact_run(run: RunObs, t: &mock_client::Transcript) -> Result<RunObs, CertifyError> {
    let v = serde_json::to_value(&run).map_err(|e| CertifyError::Harness(format!("observations: {e}")))?;
    serde_json::from_value(t.redact_value(&v)).map_err(|e| CertifyError::Harness(format!("observations: {e}")))
}

/// Replaces every secret any run handled, in every string of the observations, by `[redacted]`,
/// in any encoding. Each run was already redacted with its own placeholders: this catches a value
/// that strayed into another run's text (the AS echoing one run's credential in a later run's
/// answer).
fn scrub(o: &mut Observations, secrets: &[String]) {
    fn walk(v: &mut Value, r: &mock_client::redact::Redactor) {
        match v {
            Value::String(s) => *s = r.hide(s),
            Value::Array(a) => a.iter_mut().for_each(|x| walk(x, r)),
            Value::Object(m) => m.values_mut().for_each(|x| walk(x, r)),
            _ => {}
        }
    }
    let mut values: Vec<&String> = secrets.iter().filter(|s| s.len() >= 8).collect();
    values.sort();
    values.dedup();
    let r = mock_client::redact::Redactor::new(values.into_iter().map(|s| (s.clone(), "[redacted]".to_owned())));
    let Ok(mut v) = serde_json::to_value(&*o) else { return };
    walk(&mut v, &r);
    if let Ok(back) = serde_json::from_value(v) {
        *o = back;
    }
}

fn is_loopback(u: &Url) -> bool {
    mock_client::http::is_loopback(u)
}

/// Observes the issuer: every profile's flow and probes, the public-client probe when needed.
pub async fn observe(cfg: &CertifyConfig) -> Result<Observations, CertifyError> {
    let started = Instant::now();
    let started_at = harness_report::clock::now_rfc3339();
    let check = mock_client::http::Recorder::new(cfg.limits.clone());
    if let Ok(u) = Url::parse(&cfg.issuer) {
        // The issuer is the target: allowed whatever address it has (what it names is checked).
        check.add_target(&u);
    }
    let issuer = check.check_url(&cfg.issuer).map_err(|e| CertifyError::Usage(format!("--issuer: {e}")))?;
    let resource = Url::parse(&cfg.resource).map_err(|e| CertifyError::Usage(format!("--resource: {e}")))?;
    if resource.fragment().is_some() || !matches!(resource.scheme(), "https" | "http") {
        return Err(CertifyError::Usage("--resource must be an absolute http(s) URL without a fragment".into()));
    }
    if let Some(b) = &cfg.cimd_base {
        let u = Url::parse(b).map_err(|e| CertifyError::Usage(format!("--cimd-base: {e}")))?;
        if u.scheme() != "https" && !is_loopback(&u) {
            return Err(CertifyError::Usage("--cimd-base must be an https URL".into()));
        }
    }
    let names: Vec<String> = if cfg.profiles.is_empty() {
        DEFAULT_PROFILES.iter().map(|s| s.to_string()).collect()
    } else {
        cfg.profiles.clone()
    };
    let mut profiles = Vec::new();
    for n in &names {
        let p = mock_client::profile::load(n).map_err(|e| CertifyError::Usage(e.to_string()))?;
        if p.auth_mode.value != mock_client::profile::AuthMode::Oauth {
            return Err(CertifyError::Usage(format!("profile `{n}` does not use OAuth: nothing to certify with it")));
        }
        profiles.push(p);
    }

    let mut notes = Vec::new();
    let mut runs = Vec::new();
    let mut done = Once::default();
    for mut profile in profiles {
        let mode = cimd_mode(cfg, &profile, &issuer);
        match &mode {
            CimdMode::Unreachable(why) => {
                notes.push(format!("{}: {why}", profile.name));
                profile.registration.priority.value.retain(|k| *k != RegistrationKind::Cimd);
            }
            CimdMode::Available if cfg.cimd_base.is_some() => rebase_cimd(&mut profile, cfg.cimd_base.as_deref()),
            _ => {}
        }
        cfg.say(&format!("certifying {} with {} ({})", cfg.issuer, profile.name, profile.display));
        let key = profile.name.clone();
        let purpose = format!("ChatGPT's connector flow as {} behaves, straight at the issuer", profile.display);
        let fallback = profile.clone();
        let probed_before = done;
        let mut obs = run_one(cfg, key.clone(), RunKind::Profile, profile, purpose.clone(), mode, &mut done).await?;
        if let Some(why) = loopback_refusal(&obs) {
            cfg.say(&format!("  {why}"));
            notes.push(format!("{}: {why}", fallback.name));
            let mut profile = fallback;
            profile.registration.priority.value.retain(|k| *k != RegistrationKind::Cimd);
            let mode = CimdMode::LoopbackRefused(why);
            // The discarded attempt's policy probe is sent again with the flow that is kept.
            done = probed_before;
            obs = run_one(cfg, key, RunKind::Profile, profile, purpose, mode, &mut done).await?;
        }
        let (run, t) = obs.finish();
        cfg.say(&format!("  {}", run.verdict_line()));
        runs.push((run, t));
    }

    // AS-18 is about public clients: test one when no profile had one.
    let public_tested = runs.iter().map(|(o, _)| o).any(|o| {
        o.registered.as_ref().is_some_and(|c| c.auth_method == "none")
            && o.refresh.as_ref().is_some_and(|r| r.first.is_some())
    });
    let can_register = runs
        .iter()
        .map(|(o, _)| o)
        .find_map(|o| o.discovered.as_ref().and_then(|d| d.meta("registration_endpoint")).map(|_| o.profile.clone()));
    if !public_tested && let Some(base) = can_register {
        let profile = public_profile(base, runs.iter().map(|(o, _)| o));
        cfg.say(&format!("certifying {} with a public client (AS-18 refresh rotation)", cfg.issuer));
        let purpose = "AS-18: refresh-token rotation is required for public clients; no ChatGPT profile got one, so \
                       a public client (ChatGPT's DCR body with token_endpoint_auth_method none) is registered"
            .to_owned();
        let mut done = Once { foreign_registration: true, application_type: true };
        let obs = run_one(
            cfg,
            PUBLIC_RUN.to_owned(),
            RunKind::PublicClient,
            profile,
            purpose,
            CimdMode::NotInProfile,
            &mut done,
        )
        .await?;
        let (run, t) = obs.finish();
        cfg.say(&format!("  {}", run.verdict_line()));
        runs.push((run, t));
    }

    let secrets: Vec<String> = runs.iter().flat_map(|(_, t)| t.secrets.iter().map(|s| s.value.clone())).collect();
    let mut redacted = Vec::new();
    for (run, t) in runs {
        redacted.push(redact_run(run, &t)?);
    }
    let mut o = Observations {
        format: super::observations::FORMAT.to_owned(),
        harness_version: env!("CARGO_PKG_VERSION").to_owned(),
        started_at,
        duration_ms: started.elapsed().as_millis() as u64,
        issuer: cfg.issuer.clone(),
        resource: cfg.resource.clone(),
        login: (&cfg.login).into(),
        notes,
        runs: redacted,
    };
    scrub(&mut o, &secrets);
    Ok(o)
}

fn cimd_mode(cfg: &CertifyConfig, p: &Profile, issuer: &Url) -> CimdMode {
    let prio = &p.registration.priority.value;
    if p.registration.cimd.is_none() || !prio.contains(&RegistrationKind::Cimd) {
        return CimdMode::NotInProfile;
    }
    let static_first = prio.iter().position(|k| *k == RegistrationKind::Static)
        < prio.iter().position(|k| *k == RegistrationKind::Cimd);
    if cfg.static_client.is_some() && static_first {
        return CimdMode::StaticClient;
    }
    if cfg.cimd_base.is_some() || is_loopback(issuer) {
        return CimdMode::Available;
    }
    CimdMode::Unreachable(
        "Client ID Metadata Documents not tested: the harness serves ChatGPT's metadata document on 127.0.0.1, \
         which this IdP cannot fetch. Give --cimd-base https://… (a public tunnel to --cimd-port) to test CIMD; \
         this run used ChatGPT's DCR fallback"
            .to_owned(),
    )
}

/// Whether the IdP refused the harness's own `http://` loopback metadata document URL without
/// fetching it — a limit of where the harness runs, not a finding (ChatGPT presents an https URL).
///
/// All of: the document URL was not https (no https `--cimd-base`); the flow used it; the IdP
/// answered the authorization request itself with a refusal (not a login or consent page that
/// failed later); and the harness's metadata host logged no fetch of the document. An IdP that
/// fetched the document and then refused it stays a FAILURE (GPT-09): that refusal is about the
/// document, which a tunnel would not change.
fn loopback_refusal(o: &Obs) -> Option<String> {
    if o.cimd != CimdMode::Available {
        return None;
    }
    let c = o.registered.as_ref().filter(|c| c.kind == RegistrationKind::Cimd)?;
    let url = Url::parse(&c.client_id).ok()?;
    if url.scheme() == "https" {
        return None;
    }
    let f = o.result.as_ref().err().filter(|f| f.phase == Phase::Authorize)?;
    let t = o.client.transcript();
    let e = f.seq.and_then(|s| t.exchanges.iter().find(|e| e.seq == s))?;
    let refused = match e.status {
        Some(s) if s >= 400 => true,
        Some(300..=399) => e.response_header("location").is_some_and(|l| l.contains("error=")),
        _ => false,
    };
    let signed_in = t.phase(Phase::Authorize).any(|x| x.kind == ExchangeKind::LoginForm);
    if e.phase != Phase::Authorize || !refused || signed_in {
        return None;
    }
    if o.client.cimd_fetches().iter().any(|x| x.path == url.path()) {
        return None;
    }
    let answer = excerpt(e);
    let answer = answer.split_once(" → ").map(|(_, r)| r.to_owned()).unwrap_or(answer);
    Some(t.redact_text(&format!(
        "Client ID Metadata Documents not testable here: the IdP refused the harness's document URL {} without \
         fetching it (HTTP {}), as authorization servers that accept only https client ids do (ChatGPT presents \
         https://chatgpt.com/…). To test CIMD, pass --cimd-base https://… served by a tunnel to --cimd-port; this \
         flow ran again with ChatGPT's DCR fallback",
        c.client_id,
        crate::text::one_line_capped(&answer, 200)
    )))
}

/// Moves the profile's CIMD URLs under `base` (`https://chatgpt.com/oauth/{callback_id}/client.json`
/// → `{base}/oauth/{callback_id}/client.json`), where the harness can serve them.
fn rebase_cimd(p: &mut Profile, base: Option<&str>) {
    let (Some(base), Some(c)) = (base, p.registration.cimd.as_mut()) else { return };
    let base = base.trim_end_matches('/');
    let move_under = |u: &str| match u.splitn(4, '/').nth(3) {
        Some(path) => format!("{base}/{path}"),
        None => base.to_owned(),
    };
    c.value.client_id = move_under(&c.value.client_id);
    c.value.jwks_uri = move_under(&c.value.jwks_uri);
}

/// A public DCR client with ChatGPT's registration body: the first run's profile that registers
/// with DCR (else the first run's), asking for `token_endpoint_auth_method: none`.
fn public_profile<'a>(fallback: Profile, runs: impl Iterator<Item = &'a RunObs>) -> Profile {
    let mut p = runs
        .map(|o| o.profile.clone())
        .find(|p| p.registration.priority.value.contains(&RegistrationKind::Dcr))
        .unwrap_or(fallback);
    p.registration.priority.value = vec![RegistrationKind::Dcr];
    if let Some(m) = p.registration.dcr_body.value.as_object_mut() {
        m.insert("token_endpoint_auth_method".into(), json!("none"));
    }
    p.registration.dcr_auth_rule.value = DcrAuthRule::RequireRequested;
    p.display = format!("Public client ({}'s DCR body, token_endpoint_auth_method none)", p.name);
    p.name = format!("{}+public-client", p.name);
    p
}

/// The registration probes sent once per certification, not once per profile (each registers a
/// client at the IdP under test).
#[derive(Debug, Clone, Copy, Default)]
struct Once {
    /// The foreign-redirect-host policy probe.
    foreign_registration: bool,
    /// The AS-26 `application_type` probes.
    application_type: bool,
}

async fn run_one(
    cfg: &CertifyConfig,
    key: String,
    kind: RunKind,
    profile: Profile,
    purpose: String,
    cimd: CimdMode,
    done: &mut Once,
) -> Result<Obs, CertifyError> {
    let started = Instant::now();
    let opts = ConnectOptions {
        login: cfg.login.clone(),
        static_client: if kind == RunKind::Profile { cfg.static_client.clone() } else { None },
        cimd_base: if cimd == CimdMode::Available { cfg.cimd_base.clone() } else { None },
        limits: cfg.limits.clone(),
        ..Default::default()
    };
    let mut client = Client::new(profile.clone(), opts);
    if let (Some(port), CimdMode::Available) = (cfg.cimd_port, &cimd) {
        start_host(&mut client, port).await?;
    }
    let result = client.authorize_at(&cfg.issuer, &cfg.resource).await;
    let mut o = Obs {
        key,
        kind,
        profile,
        purpose,
        discovered: client.discovered().cloned(),
        registered: client.registered_client().cloned(),
        result,
        client,
        cimd,
        token: None,
        token_seqs: Vec::new(),
        refresh: None,
        probes: BTreeMap::new(),
        error_callback: None,
        duration_ms: 0,
    };
    let authorized = o.result.is_ok() || matches!(&o.result, Err(f) if f.phase == Phase::Token);
    if let Ok(auth) = o.result.clone() {
        if kind == RunKind::Profile {
            inspect(&mut o, &auth).await;
        }
        o.refresh = Some(refreshes(cfg, &mut o.client, &auth).await);
    }
    if kind == RunKind::Profile {
        if authorized {
            authorization_probes(&mut o).await;
        }
        if o.result.is_ok() {
            token_probes(cfg, &mut o).await;
        }
        if !done.foreign_registration
            && let Some(endpoint) =
                o.discovered.as_ref().and_then(|d| d.meta("registration_endpoint")).map(str::to_owned)
        {
            done.foreign_registration = true;
            let p = foreign_registration(&mut o, &endpoint).await;
            o.probes.insert(probe::FOREIGN_REGISTRATION, p);
        }
        // AS-26 once, in the first run whose own registration succeeded: that registration is the
        // control, so a refusal of the same body with application_type is the member's doing.
        if !done.application_type
            && let Some(endpoint) =
                o.discovered.as_ref().and_then(|d| d.meta("registration_endpoint")).map(str::to_owned)
            && o.registered.as_ref().is_some_and(|c| c.kind == RegistrationKind::Dcr)
        {
            done.application_type = true;
            application_type_probes(&mut o, &endpoint).await;
        }
        if let Ok(auth) = o.result.clone() {
            // Last: a replayed code may (rightly) revoke everything issued from it.
            let first = o.client.next_seq();
            let r = o.client.exchange_code(&auth.code, &auth.code_verifier, &auth.client.redirect_uri, None).await;
            let outcome = match r {
                Ok(_) => ProbeOutcome::Fail(
                    "the used authorization code was accepted again: a second token was issued".into(),
                ),
                Err(f) => ProbeOutcome::Pass(format!("refused: {}", refusal(&f))),
            };
            o.probes.insert(probe::CODE_REPLAY, Probe { outcome, seqs: (first..o.client.next_seq()).collect() });
        }
    }
    o.duration_ms = started.elapsed().as_millis() as u64;
    Ok(o)
}

async fn start_host(client: &mut Client, port: u16) -> Result<(), CertifyError> {
    // The previous run's host may still be releasing the port.
    let mut last = String::new();
    for _ in 0..50 {
        match client.start_cimd_host(port).await {
            Ok(()) => return Ok(()),
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Err(CertifyError::Harness(last))
}

/// The access token as an MCP server sees it: JWT header and claims, signature against the JWKS,
/// or introspection for an opaque token.
async fn inspect(o: &mut Obs, auth: &Authorized) {
    let at = auth.tokens.access_token.clone();
    let mut view = TokenView::default();
    if let Some((h, c)) = super::token::decode(&at) {
        view.header = Some(h);
        view.claims = Some(c);
    }
    let mut jwks = None;
    if let Some(uri) = auth.discovered.meta("jwks_uri") {
        let req = Req::get(uri, "JWKS (token signature check)").header("Accept", "application/json");
        match o.client.recorder().send(Phase::Probe, req).await {
            Ok(r) => {
                o.token_seqs.push(r.seq);
                jwks = Some(match (r.status, r.json()) {
                    (200, Some(v)) if v.get("keys").and_then(Value::as_array).is_some_and(|k| !k.is_empty()) => Ok(v),
                    (200, _) => Err(format!("the JWKS at {uri} holds no keys")),
                    (s, _) => Err(format!("the JWKS at {uri} answered HTTP {s}")),
                });
            }
            Err(e) => jwks = Some(Err(format!("the JWKS at {uri}: {e}"))),
        }
    }
    if view.is_jwt() {
        view.signature = Some(match &jwks {
            Some(Ok(j)) => super::token::verify(&at, j),
            Some(Err(e)) => Signature::NotChecked(e.clone()),
            None => Signature::NotChecked("the metadata has no jwks_uri".into()),
        });
    } else {
        let first = o.client.next_seq();
        if let Some(Ok(r)) = o.client.introspect(&at).await
            && r.status == 200
        {
            view.introspection = r.json();
        }
        o.token_seqs.extend(first..o.client.next_seq());
    }
    o.token = Some(view);
}

async fn step(client: &mut Client, phase: Phase, rt: &str) -> Step {
    let first = client.next_seq();
    let result = client.refresh_with(phase, rt).await;
    Step {
        result: result.map(|t| TokensObs::from(&t)),
        seq: (first < client.next_seq()).then(|| client.next_seq() - 1),
    }
}

async fn refreshes(cfg: &CertifyConfig, client: &mut Client, auth: &Authorized) -> RefreshObs {
    let mut r = RefreshObs::default();
    let Some(rt0) = auth.tokens.refresh_token.clone() else { return r };
    let first = step(client, Phase::Refresh, &rt0).await;
    let Ok(t1) = first.result.clone() else {
        r.first = Some(first);
        return r;
    };
    r.first = Some(first);
    let rotated = t1.refresh_token.as_deref().is_some_and(|x| x != rt0);
    r.rotated = Some(rotated);
    let current = t1.refresh_token.clone().unwrap_or_else(|| rt0.clone());
    let second = step(client, Phase::Refresh, &current).await;
    r.second = Some(second);
    if !rotated {
        return r;
    }
    let replay = step(client, Phase::Probe, &rt0).await;
    let accepted = replay.result.as_ref().ok().and_then(|t| t.refresh_token.clone());
    r.replay = Some(replay);
    // Confidential clients may keep a refresh token valid (AS-18 is INFO for them): no wait.
    let (Some(from_replay), "none") = (accepted, auth.client.auth_method.as_str()) else { return r };
    // The replay's refresh token is the family's newest: refused after the late replay, the
    // family was revoked.
    let newest = from_replay;
    let secs = cfg.reuse_wait.as_secs();
    cfg.say(&format!("  AS-18: the used refresh token was accepted again; replaying it once more in {secs} s"));
    cfg.wait_for(cfg.reuse_wait).await;
    r.waited = secs;
    let late = step(client, Phase::Probe, &rt0).await;
    let refused = late.result.is_err();
    r.late_replay = Some(late);
    if refused {
        r.newest_after = Some(step(client, Phase::Probe, &newest).await);
    }
    r
}

fn same_endpoint(a: &Url, b: &str) -> bool {
    Url::parse(b).is_ok_and(|b| {
        a.scheme() == b.scheme()
            && a.host_str() == b.host_str()
            && a.port_or_known_default() == b.port_or_known_default()
            && a.path() == b.path()
    })
}

/// How a refused request was answered: the status and the gist of the body, from its exchange.
fn answered(client: &Client, f: &Failure) -> String {
    let t = client.transcript();
    match f.seq.and_then(|s| t.exchanges.iter().find(|e| e.seq == s)) {
        Some(e) if e.status.is_some() => {
            let x = excerpt(e);
            x.split_once(" → ").map(|(_, r)| format!("HTTP {r}")).unwrap_or(x)
        }
        _ => refusal(f),
    }
}

/// Judges an authorization request the IdP must refuse. `unregistered`: the redirect URI the
/// probe sent when it is not the client's (the IdP must never send the browser there).
fn judge_refusal(client: &Client, p: &ProbeAuthorization, accepted: &str, unregistered: Option<&str>) -> ProbeOutcome {
    match &p.result {
        Ok(url) => {
            if let Some(bad) = unregistered
                && same_endpoint(url, bad)
            {
                return ProbeOutcome::Fail(format!("the IdP sent the browser to the unregistered redirect URI {bad}"));
            }
            match (p.param("code"), p.param("error")) {
                (Some(_), _) => ProbeOutcome::Fail(accepted.to_owned()),
                (None, Some(e)) => ProbeOutcome::Pass(format!(
                    "refused: error={e}{} sent to the client's registered redirect URI",
                    p.param("error_description").map(|d| format!(" ({d})")).unwrap_or_default()
                )),
                (None, None) => {
                    ProbeOutcome::Unclear("the IdP redirected back with neither a code nor an error".into())
                }
            }
        }
        Err(f) if f.kind == FailureKind::AuthorizeFailed && f.cause.contains("login driver is `auto`") => {
            ProbeOutcome::NeedsUser(
                "the IdP showed a page before deciding, and this probe may not ask a person to sign in (rerun with \
                 --login form to let the harness sign in)"
                    .into(),
            )
        }
        Err(f) if f.kind == FailureKind::Unreachable => ProbeOutcome::Unclear(format!("no answer: {}", f.cause)),
        Err(f) => ProbeOutcome::Pass(format!("refused: {}", answered(client, f))),
    }
}

async fn authorization_probes(o: &mut Obs) {
    let plain = o.client.probe_authorization(&AuthVariant { plain_pkce: true, ..Default::default() }).await;
    let outcome = judge_refusal(
        &o.client,
        &plain,
        "a code was issued for a PKCE challenge with code_challenge_method=plain",
        None,
    );
    o.probes.insert(probe::PLAIN, Probe { outcome, seqs: plain.seqs.clone() });
    if plain.param("error").is_some() {
        o.error_callback = plain.result.as_ref().ok().cloned();
    }

    let Some(client) = o.registered.clone() else { return };
    let bad = format!("{}{UNREGISTERED_SUFFIX}", client.redirect_uri.trim_end_matches('/'));
    let mismatch =
        o.client.probe_authorization(&AuthVariant { redirect_uri: Some(bad.clone()), ..Default::default() }).await;
    let outcome = judge_refusal(
        &o.client,
        &mismatch,
        "a code was issued although the request named an unregistered redirect_uri",
        Some(&bad),
    );
    o.probes.insert(probe::REDIRECT, Probe { outcome, seqs: mismatch.seqs.clone() });

    if client.kind == RegistrationKind::Cimd {
        let doc = |id: &str, redirects: Option<&str>| {
            let mut d = json!({
                "client_id": id,
                "client_name": "connector-harness probe",
                "grant_types": ["authorization_code", "refresh_token"],
                "response_types": ["code"],
                "token_endpoint_auth_method": "none",
            });
            if let Some(r) = redirects {
                d["redirect_uris"] = json!([r]);
            }
            d
        };
        for (name, path, accepted) in [
            (
                probe::CIMD_ID_MISMATCH,
                "/connector-harness/probe-client-id-mismatch/client.json",
                "a code was issued for a document whose client_id is not its URL",
            ),
            (
                probe::CIMD_NO_REDIRECTS,
                "/connector-harness/probe-no-redirect-uris/client.json",
                "a code was issued for a document without redirect_uris",
            ),
        ] {
            let url = match o.client.serve_cimd(path, Value::Null).await {
                Ok(u) => u,
                Err(e) => {
                    o.probes.insert(name, Probe { outcome: ProbeOutcome::NotRun(e.to_string()), seqs: vec![] });
                    continue;
                }
            };
            let d = if name == probe::CIMD_ID_MISMATCH {
                doc(&format!("{}/other-client.json", url.trim_end_matches("/client.json")), Some(&client.redirect_uri))
            } else {
                doc(&url, None)
            };
            let _ = o.client.serve_cimd(path, d).await;
            let p = o.client.probe_authorization(&AuthVariant { client_id: Some(url), ..Default::default() }).await;
            let outcome = judge_refusal(&o.client, &p, accepted, None);
            o.probes.insert(name, Probe { outcome, seqs: p.seqs.clone() });
        }
    }
}

/// A fresh authorization with the flow's client, for probes that need an unused code.
async fn fresh_code(
    cfg: &CertifyConfig,
    o: &mut Obs,
    why: &str,
) -> Result<(String, ProbeAuthorization), ProbeAuthorization> {
    if cfg.login == LoginDriver::Manual {
        cfg.say(&format!("  negative probe ({why}): sign in once more"));
    }
    let p = o.client.probe_authorization(&AuthVariant { user_may_act: true, ..Default::default() }).await;
    match p.param("code") {
        Some(c) => Ok((c, p)),
        None => Err(p),
    }
}

fn not_run(p: &ProbeAuthorization) -> Probe {
    let why = match &p.result {
        Ok(u) => format!("the fresh authorization ended without a code ({})", u.query().unwrap_or("")),
        Err(f) => format!("the fresh authorization failed: {}", f.cause),
    };
    Probe { outcome: ProbeOutcome::NotRun(why), seqs: p.seqs.clone() }
}

async fn token_probes(cfg: &CertifyConfig, o: &mut Obs) {
    // A wrong code_verifier.
    match fresh_code(cfg, o, "a wrong code_verifier").await {
        Err(p) => {
            o.probes.insert(probe::VERIFIER, not_run(&p));
        }
        Ok((code, p)) => {
            let wrong = mock_client::pkce::generate().verifier;
            let first = o.client.next_seq();
            let r = o.client.exchange_code(&code, &wrong, &p.redirect_uri, None).await;
            let outcome = match r {
                Ok(_) => ProbeOutcome::Fail("a token was issued for a wrong code_verifier".into()),
                Err(f) => ProbeOutcome::Pass(format!("refused: {}", refusal(&f))),
            };
            let mut seqs = p.seqs.clone();
            seqs.extend(first..o.client.next_seq());
            o.probes.insert(probe::VERIFIER, Probe { outcome, seqs });
        }
    }
    // A token for a resource the user never authorized.
    match fresh_code(cfg, o, "a token for a foreign resource").await {
        Err(p) => {
            o.probes.insert(probe::FOREIGN_RESOURCE, not_run(&p));
        }
        Ok((code, p)) => {
            let first = o.client.next_seq();
            let r = o.client.exchange_code(&code, &p.verifier, &p.redirect_uri, Some(FOREIGN_RESOURCE)).await;
            let outcome = match r {
                Err(f) => ProbeOutcome::Pass(format!("refused: {}", refusal(&f))),
                Ok(t) => {
                    let mut view = TokenView::default();
                    if let Some((h, c)) = super::token::decode(&t.access_token) {
                        view.header = Some(h);
                        view.claims = Some(c);
                    } else if let Some(Ok(r)) = o.client.introspect(&t.access_token).await {
                        view.introspection = r.json();
                    }
                    match view.audience() {
                        Some(aud) if aud.iter().any(|a| a == FOREIGN_RESOURCE) => ProbeOutcome::Fail(format!(
                            "issued a token for a resource the user never authorized: aud {aud:?}"
                        )),
                        Some(aud) => {
                            ProbeOutcome::Pass(format!("issued a token, but not for the foreign resource: aud {aud:?}"))
                        }
                        None if view.audience_knowable() => {
                            ProbeOutcome::Pass("issued a token without aud (not bound to the foreign resource)".into())
                        }
                        None => {
                            ProbeOutcome::Unclear("issued an opaque token whose audience could not be learned".into())
                        }
                    }
                }
            };
            let mut seqs = p.seqs.clone();
            seqs.extend(first..o.client.next_seq());
            o.probes.insert(probe::FOREIGN_RESOURCE, Probe { outcome, seqs });
        }
    }
}

/// One registration request of a probe: the answer's status, body and transcript entry, or why
/// there was none. What the IdP issued is redacted like any registration's.
async fn probe_registration(
    o: &mut Obs,
    endpoint: &str,
    body: &Value,
    label: &str,
) -> Result<(u16, Value, u32), String> {
    let req = Req::new(reqwest::Method::POST, endpoint, label)
        .header("User-Agent", &o.profile.user_agent_oauth.value)
        .header("Accept", "*/*")
        .json(body);
    let rec = o.client.recorder().clone();
    let r = rec.send(Phase::Probe, req).await.map_err(|e| e.to_string())?;
    let v = r.json().unwrap_or(Value::Null);
    for (k, kind) in [
        ("client_id", SecretKind::ClientId),
        ("client_secret", SecretKind::ClientSecret),
        ("registration_access_token", SecretKind::ClientSecret),
    ] {
        if let Some(s) = v.get(k).and_then(Value::as_str) {
            rec.secret(kind, s);
        }
    }
    Ok((r.status, v, r.seq))
}

/// `error (description)` of a refused registration.
fn registration_error(status: u16, v: &Value) -> String {
    let err = v.get("error").and_then(Value::as_str).unwrap_or("");
    let desc = v.get("error_description").and_then(Value::as_str).unwrap_or("");
    let desc = if desc.is_empty() { String::new() } else { format!(" — {}", one_line(desc)) };
    format!("HTTP {status}: {err}{desc}")
}

fn one_line(s: &str) -> String {
    super::text::one_line_capped(s, 200)
}

/// AS-26: the profile's DCR body with `application_type: "web"` (what a 2026-07-28 client sends
/// for a remote browser app) and the redirect URI this run just registered, then the same with a
/// loopback `http` redirect URI, which OIDC's web rules forbid. The first must register; the
/// second shows whether the rules are enforced. A rate limit (429) leaves them not run.
async fn application_type_probes(o: &mut Obs, endpoint: &str) {
    let mut body = o.profile.registration.dcr_body.value.clone();
    if !body.is_object() {
        return;
    }
    body["application_type"] = json!("web");
    if let Some(c) = &o.registered {
        body["redirect_uris"] = json!([c.redirect_uri]);
    }
    let label = "registration with application_type web (AS-26 probe)";
    let typed = match probe_registration(o, endpoint, &body, label).await {
        Err(e) => Probe { outcome: ProbeOutcome::NotRun(format!("no answer: {e}")), seqs: vec![] },
        Ok((s @ 200..=299, _, seq)) => {
            Probe { outcome: ProbeOutcome::Pass(format!("registered (HTTP {s})")), seqs: vec![seq] }
        }
        Ok((429, v, seq)) => Probe { outcome: ProbeOutcome::NotRun(registration_error(429, &v)), seqs: vec![seq] },
        Ok((s, v, seq)) => Probe { outcome: ProbeOutcome::Fail(registration_error(s, &v)), seqs: vec![seq] },
    };
    let registered = matches!(typed.outcome, ProbeOutcome::Pass(_));
    o.probes.insert(probe::APPLICATION_TYPE_WEB, typed);
    if !registered {
        return;
    }
    body["redirect_uris"] = json!(["http://127.0.0.1:8976/callback"]);
    let label = "registration with application_type web and a loopback http redirect URI (AS-26 probe)";
    let loopback = match probe_registration(o, endpoint, &body, label).await {
        Err(e) => Probe { outcome: ProbeOutcome::NotRun(format!("no answer: {e}")), seqs: vec![] },
        Ok((s @ 200..=299, _, seq)) => {
            Probe { outcome: ProbeOutcome::Info(format!("registered (HTTP {s})")), seqs: vec![seq] }
        }
        Ok((429, v, seq)) => Probe { outcome: ProbeOutcome::NotRun(registration_error(429, &v)), seqs: vec![seq] },
        Ok((s, v, seq)) => Probe { outcome: ProbeOutcome::Pass(registration_error(s, &v)), seqs: vec![seq] },
    };
    o.probes.insert(probe::APPLICATION_TYPE_WEB_LOOPBACK, loopback);
}

/// DCR with the profile's body and a redirect URI on a foreign host: what the IdP's policy does.
async fn foreign_registration(o: &mut Obs, endpoint: &str) -> Probe {
    let mut body = o.profile.registration.dcr_body.value.clone();
    body["redirect_uris"] = json!([FOREIGN_REDIRECT]);
    let label = "registration with a foreign redirect host (policy probe)";
    match probe_registration(o, endpoint, &body, label).await {
        Err(e) => Probe { outcome: ProbeOutcome::Info(format!("no answer: {e}")), seqs: vec![o.client.next_seq() - 1] },
        Ok((status, v, seq)) => {
            let err = v.get("error").and_then(Value::as_str).unwrap_or("");
            let desc = v.get("error_description").and_then(Value::as_str).unwrap_or("");
            let text = match status {
                200..=299 => format!(
                    "accepted (HTTP {}): the IdP registers clients for any https redirect host, so anyone can make a \
                     client that looks like ChatGPT's; a registration policy limited to chatgpt.com (and your own \
                     hosts) is safer",
                    status
                ),
                429 => format!("rate-limited (HTTP 429): {err} {desc}"),
                s => format!(
                    "refused (HTTP {s}: {err}{}): a registration policy restricts redirect hosts; ChatGPT's own \
                     registration is judged by GPT-05",
                    if desc.is_empty() { String::new() } else { format!(" — {desc}") }
                ),
            };
            Probe { outcome: ProbeOutcome::Info(text), seqs: vec![seq] }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(issuer: &str) -> CertifyConfig {
        CertifyConfig::new(issuer)
    }

    #[test]
    fn cimd_is_tested_only_where_the_idp_can_fetch_the_document() {
        let cimd = mock_client::profile::builtin("chatgpt-2026-cimd").unwrap();
        let dcr = mock_client::profile::builtin("chatgpt-2025-dcr").unwrap();
        let local = Url::parse("http://127.0.0.1:9/").unwrap();
        let remote = Url::parse("https://idp.example/realms/x").unwrap();
        assert_eq!(cimd_mode(&cfg("x"), &dcr, &local), CimdMode::NotInProfile);
        assert_eq!(cimd_mode(&cfg("x"), &cimd, &local), CimdMode::Available);
        assert!(matches!(cimd_mode(&cfg("x"), &cimd, &remote), CimdMode::Unreachable(w) if w.contains("--cimd-base")));
        let mut tunnel = cfg("x");
        tunnel.cimd_base = Some("https://tunnel.example".into());
        assert_eq!(cimd_mode(&tunnel, &cimd, &remote), CimdMode::Available);
        let mut with_static = cfg("x");
        with_static.static_client = Some(StaticCredentials { client_id: "c".into(), client_secret: None });
        assert_eq!(cimd_mode(&with_static, &cimd, &local), CimdMode::StaticClient);
    }

    #[test]
    fn the_metadata_document_moves_under_the_public_base() {
        let mut p = mock_client::profile::builtin("chatgpt-2026-cimd").unwrap();
        rebase_cimd(&mut p, Some("https://tunnel.example/"));
        let c = &p.registration.cimd.as_ref().unwrap().value;
        assert_eq!(c.client_id, "https://tunnel.example/oauth/{callback_id}/client.json");
        assert_eq!(c.jwks_uri, "https://tunnel.example/oauth/jwks.json");
    }

    #[test]
    fn the_public_client_probe_registers_with_none() {
        let base = mock_client::profile::builtin("chatgpt-2025-09-dcr-basic").unwrap();
        let p = public_profile(base, std::iter::empty());
        assert_eq!(p.registration.priority.value, [RegistrationKind::Dcr]);
        assert_eq!(p.registration.dcr_body.value["token_endpoint_auth_method"], "none");
        assert_eq!(p.registration.dcr_auth_rule.value, DcrAuthRule::RequireRequested);
        assert!(p.name.ends_with("+public-client"));
    }

    #[tokio::test]
    async fn usage_errors_are_reported_before_anything_runs() {
        for (c, words) in [
            (cfg("ftp://idp.example"), "--issuer"),
            (cfg("http://idp.example"), "--issuer"),
            (CertifyConfig { resource: "https://x/mcp#frag".into(), ..cfg("http://127.0.0.1:9") }, "--resource"),
            (
                CertifyConfig { profiles: vec!["no-such-profile".into()], ..cfg("http://127.0.0.1:9") },
                "unknown profile",
            ),
            (
                CertifyConfig { profiles: vec!["chatgpt-bearer-token".into()], ..cfg("http://127.0.0.1:9") },
                "does not use OAuth",
            ),
            (CertifyConfig { cimd_base: Some("http://tunnel.example".into()), ..cfg("http://127.0.0.1:9") }, "https"),
        ] {
            match observe(&c).await {
                Err(CertifyError::Usage(e)) => assert!(e.contains(words), "{e}"),
                other => panic!("{words}: {:?}", other.map(|c| c.issuer)),
            }
        }
    }
}
