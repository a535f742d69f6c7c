//! One planned run, start to finish.

use mock_client::http::{Recorder, Req};
use mock_client::{Client, ConnectOptions, LoginDriver, Outcome, Phase, StaticCredentials};
use mock_idp::{IdpHandle, MockIdp};
use std::sync::Arc;
use std::time::Instant;

use crate::model::{ErrorTier, RunHead, ScenarioResult};
use crate::probes::{Probe, ProbeContext};
use crate::scenario::{Login, SendToken};
use crate::scenario::{Planned, RawStep};

/// The harness could not run a scenario (as opposed to the server failing it).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The mock IdP did not start.
    #[error("failed to start the mock IdP: {0}")]
    Idp(#[from] mock_idp::IdpError),
    /// The target did not start.
    #[error(transparent)]
    Target(#[from] super::target::TargetError),
    /// The profile is unusable.
    #[error(transparent)]
    Client(#[from] mock_client::ClientError),
    /// A step needs something the scenario does not provide.
    #[error("step `{step}`: {reason}")]
    Step {
        /// The step.
        step: String,
        /// Why.
        reason: String,
    },
    /// A probe broke.
    #[error("probe failed to run: {0}")]
    Probe(String),
}

impl RunError {
    /// Whose fault it is: the scenario's (or the user's server command's), or the harness's.
    pub fn tier(&self) -> ErrorTier {
        use mock_client::ClientError as C;
        match self {
            RunError::Idp(_) | RunError::Probe(_) => ErrorTier::Harness,
            RunError::Target(t) => t.tier(),
            RunError::Client(C::BadUrl { .. } | C::Profile { .. } | C::UnknownProfile(..)) => ErrorTier::Input,
            RunError::Client(_) => ErrorTier::Harness,
            RunError::Step { .. } => ErrorTier::Input,
        }
    }
}

/// Options that affect one run.
#[derive(Debug, Clone, Default)]
pub struct RunSettings {
    /// Write snapshots instead of comparing.
    pub update_snapshots: bool,
    /// Where snapshots live (default: `<scenario dir>/snapshots`).
    pub snapshot_dir: Option<std::path::PathBuf>,
    /// A mock IdP the caller already runs (the cargo-test API: the caller's server trusts it);
    /// used instead of starting one per scenario.
    pub shared_idp: Option<Arc<IdpHandle>>,
    /// `--allow-private-addresses`: let the client contact the internal addresses the server under
    /// test names (see [`mock_client::http::Limits::allow_private_addresses`]).
    pub allow_private_addresses: bool,
    /// A running `connector-harness idp` the target trusts (`run --target URL --trusted-idp`):
    /// token probes mint through it when the scenario has no mock IdP of its own.
    pub trusted: Option<Arc<crate::trusted_idp::TrustedIdp>>,
}

fn options(p: &Planned, idp: Option<&Arc<IdpHandle>>, token: Option<String>) -> ConnectOptions {
    let c = &p.client;
    let login = match c.login {
        Some(Login::Form) => LoginDriver::Form { fields: c.login_fields.clone() },
        Some(Login::Manual) => LoginDriver::Manual,
        Some(Login::Auto) | None => LoginDriver::Auto,
    };
    let rewrite: Option<mock_client::CimdRewrite> = idp.map(|i| {
        let i = i.clone();
        Arc::new(move |from: &str, to: &str| i.add_fetch_rewrite(from, to)) as mock_client::CimdRewrite
    });
    ConnectOptions {
        login,
        static_client: c
            .client_id
            .clone()
            .map(|client_id| StaticCredentials { client_id, client_secret: c.client_secret.clone() }),
        bearer_token: token,
        cimd_rewrite: rewrite,
        cimd_base: c.cimd_base.clone(),
        cimd_port: c.cimd_port,
        chatgpt_real_cimd: c.cimd_client_id.as_deref() == Some("chatgpt-real"),
        // ChatGPT stops at the first failure; the run goes on to name the next ones too.
        continue_after_failure: mock_client::profile::is_chatgpt(&p.profile),
        ..Default::default()
    }
}

/// A result for `p` before anything ran: no outcome yet ([`Outcome::NotAttempted`]), no findings.
fn blank_result(p: &Planned, display: String) -> ScenarioResult {
    let head =
        RunHead { target: String::new(), profile: p.profile.clone(), profile_display: display, spec_version: p.spec };
    ScenarioResult::not_run(p.name.clone(), p.file.display().to_string(), p.tags.clone(), head)
}

/// The result of a scenario whose run broke inside the harness (a panic in its task): a harness
/// error, so the run cannot end green with the scenario silently missing.
pub(crate) fn broken_result(p: &Planned, what: &str, duration_ms: u64) -> ScenarioResult {
    let mut result = blank_result(p, p.profile.clone());
    let e = format!("the harness broke while running this scenario: {what}");
    result.verdict = format!("the harness could not run this scenario: {e}");
    result.error = Some(e);
    result.duration_ms = duration_ms;
    result
}

/// Runs one planned scenario. Harness breakage is reported in [`ScenarioResult::error`].
pub async fn run_one(p: &Planned, settings: &super::run::RunSettings) -> ScenarioResult {
    let started = Instant::now();
    let profile = mock_client::profile::load(&p.profile);
    let display = profile.as_ref().map(|x| x.display.clone()).unwrap_or_else(|_| p.profile.clone());
    let mut result = blank_result(p, display);
    let rec = Recorder::new(mock_client::http::Limits {
        allow_private_addresses: settings.allow_private_addresses,
        ..Default::default()
    });
    let mut token_probes_skipped = false;
    // Loaded once: the display name above, the flow and the verdict below all use this one.
    let (profile, run) = match profile {
        Ok(pr) => {
            let run = execute(p, &pr, &mut result, settings, &rec, &mut token_probes_skipped).await;
            (Some(pr), run)
        }
        Err(e) => (None, Err(RunError::from(e))),
    };
    match run {
        Ok(()) => {
            // Checks judge what was on the wire (RS-16 weighs the session ids themselves); every
            // text they produce is redacted below, before anything is rendered or snapshotted.
            let raw = rec.transcript();
            result.run.transcript = raw.clone();
            result.findings = crate::checks::run(&result.run);
            if token_probes_skipped {
                crate::findings::skip_token_requirements(&mut result.findings);
            }
            result.run.transcript = raw.redacted();
            result.run.outcome = raw.redact_outcome(&result.run.outcome);
            crate::findings::redact(&raw, &mut result.findings);
            result.verdict = match &profile {
                Some(pr) => result.run.outcome.verdict(pr),
                None => String::new(),
            };
            result.expectations = super::expect::evaluate(p, &result, settings);
            for e in &mut result.expectations {
                e.what = raw.redact_text(&e.what);
                e.actual = raw.redact_text(&e.actual);
            }
        }
        Err(e) => {
            result.error_tier = e.tier();
            let raw = rec.transcript();
            result.run.transcript = raw.redacted();
            result.run.outcome = raw.redact_outcome(&result.run.outcome);
            let e = raw.redact_text(&e.to_string());
            result.verdict = format!("the harness could not run this scenario: {e}");
            result.error = Some(e);
        }
    }
    result.duration_ms = started.elapsed().as_millis() as u64;
    result
}

async fn execute(
    p: &Planned,
    profile: &mock_client::Profile,
    result: &mut ScenarioResult,
    settings: &RunSettings,
    rec: &Recorder,
    token_probes_skipped: &mut bool,
) -> Result<(), RunError> {
    let shared = settings.shared_idp.clone();
    if let Some(v) = p.client.cimd_client_id.as_deref().filter(|v| !["harness", "chatgpt-real"].contains(v)) {
        return Err(RunError::Step {
            step: "client.cimd_client_id".into(),
            reason: format!("`{v}` is not one of harness, chatgpt-real"),
        });
    }
    let idp = match (&p.idp, shared) {
        (_, Some(shared)) => Some(shared),
        (Some(cfg), None) => Some(Arc::new(MockIdp::with_config(cfg.clone()).start().await?)),
        (None, None) => None,
    };
    let dir = p.file.parent().map(std::path::Path::to_path_buf).unwrap_or_default();
    let target = super::target::start(&p.target, idp.as_deref(), &dir).await?;
    let url = target.url().to_owned();
    result.run.target = url.clone();
    // What token probes mint with: the run's IdP, or the twin of a trusted one (naming its issuer).
    let trusted = settings.trusted.as_deref().filter(|_| idp.is_none());
    let minter = idp.as_deref().or(trusted.map(crate::trusted_idp::TrustedIdp::twin));
    let issuer = trusted.map(crate::trusted_idp::TrustedIdp::issuer);
    let mut probe_env = ProbeEnv { idp: minter, issuer, skipped: token_probes_skipped };

    let token = match p.client.token.as_deref() {
        Some("mint") => {
            let idp = idp
                .as_ref()
                .ok_or(RunError::Step { step: "token: mint".into(), reason: "needs the mock IdP".into() })?;
            Some(idp.mint_valid(&url, &["mcp:read", "mcp:write"])?.token)
        }
        other => other.map(str::to_owned),
    };
    if let Ok(u) = url::Url::parse(&url) {
        // The target is the user's choice (probes go there even before a connect step).
        rec.add_target(&u);
    }
    let mut client = Client::with_recorder(profile.clone(), options(p, idp.as_ref(), token.clone()), rec.clone());
    let mut connected_once = false;
    let mut attempt = 1;
    for step in &p.steps {
        match step {
            RawStep::Connect | RawStep::Reconnect => {
                if matches!(step, RawStep::Reconnect) || connected_once {
                    attempt += 1;
                    rec.set_attempt(attempt);
                    client =
                        Client::with_recorder(profile.clone(), options(p, idp.as_ref(), token.clone()), rec.clone());
                }
                result.run.outcome = client.connect(&url).await?;
                connected_once = true;
            }
            RawStep::Refresh => {
                if let Err(f) = client.refresh().await {
                    result.run.outcome = Outcome::Failed(f);
                }
            }
            RawStep::Finish => client.finish().await,
            RawStep::CallTool { name, args } => {
                let args = if args.is_null() { serde_json::json!({}) } else { args.clone() };
                if let Err(f) = client.call_tool(name, args).await
                    && result.run.outcome.connected()
                {
                    result.run.outcome = Outcome::Failed(f);
                }
            }
            RawStep::Probe(probe) => run_probe(probe, &client, rec, &url, &mut probe_env, profile).await?,
            RawStep::Probes(list) => {
                for probe in list {
                    run_probe(probe, &client, rec, &url, &mut probe_env, profile).await?;
                }
            }
            RawStep::SendToken(SendToken::Negative(kind)) => {
                run_probe(&Probe::NegativeToken(*kind), &client, rec, &url, &mut probe_env, profile).await?;
            }
            RawStep::SendToken(SendToken::Claims(claims)) => {
                let idp = idp
                    .as_ref()
                    .ok_or(RunError::Step { step: "send_token".into(), reason: "needs the mock IdP".into() })?;
                let mut all = idp.valid_claims(&url, &["mcp:read"]);
                all.extend(claims.clone());
                let token = idp.mint(&mock_idp::MintRequest { claims: all, signing: mock_idp::Signing::Valid })?.token;
                rec.secret(mock_client::SecretKind::Token, &token);
                let req = Req::new(reqwest::Method::POST, &url, "send-token:claims")
                    .header("User-Agent", &profile.user_agent_mcp.value)
                    .header("Accept", "application/json, text/event-stream")
                    .header("Authorization", format!("Bearer {token}"))
                    .json(&mcp_wire::jsonrpc::initialize_as(
                        1,
                        mcp_wire::SpecVersion::V2025_06_18,
                        &serde_json::json!({"name": "connector-harness", "version": "0.1"}),
                    ));
                let _ = rec.send(Phase::Probe, req).await;
            }
            RawStep::Raw(raw) => {
                let base =
                    url::Url::parse(&url).map_err(|e| RunError::Step { step: "raw".into(), reason: e.to_string() })?;
                let target = match &raw.path {
                    Some(p) => base
                        .join(p)
                        .map_err(|e| RunError::Step { step: "raw".into(), reason: e.to_string() })?
                        .to_string(),
                    None => url.clone(),
                };
                let method = reqwest::Method::from_bytes(raw.method.as_str().as_bytes()).map_err(|_| {
                    RunError::Step { step: "raw".into(), reason: format!("bad method `{}`", raw.method.as_str()) }
                })?;
                let mut req = Req::new(method, target, raw.label.clone().unwrap_or_else(|| "raw".into()));
                for (k, v) in &raw.headers {
                    req = req.header(k, v.replace("{{token}}", client.access_token().unwrap_or_default()));
                }
                if let Some(b) = &raw.body {
                    req = req.json(b);
                }
                let _ = rec.send(Phase::Probe, req).await;
            }
        }
    }
    drop(target);
    Ok(())
}

/// What token probes mint with, and whether one was skipped for want of it.
struct ProbeEnv<'a> {
    idp: Option<&'a IdpHandle>,
    issuer: Option<&'a str>,
    skipped: &'a mut bool,
}

async fn run_probe(
    probe: &Probe,
    client: &Client,
    rec: &Recorder,
    url: &str,
    env: &mut ProbeEnv<'_>,
    profile: &mock_client::Profile,
) -> Result<(), RunError> {
    // No IdP the target trusts (`--target` without `--trusted-idp`): the probe is not run and its
    // requirements are SKIPPED, naming the option — not a harness error.
    if probe.needs_idp() && env.idp.is_none() {
        *env.skipped = true;
        return Ok(());
    }
    let ctx = ProbeContext {
        rec,
        target: url,
        idp: env.idp,
        issuer: env.issuer,
        token: client.access_token(),
        session_id: client.session_id(),
        protocol_version: None,
        user_agent: &profile.user_agent_mcp.value,
    };
    crate::probes::run(probe, &ctx).await.map_err(|e| RunError::Probe(e.to_string()))
}
