//! One planned run, start to finish.

use mock_client::http::{Recorder, Req};
use mock_client::{Client, ConnectOptions, LoginDriver, Outcome, Phase, StaticCredentials};
use mock_idp::{IdpHandle, MockIdp};
use std::sync::Arc;
use std::time::Instant;

use crate::model::{RunRecord, ScenarioResult};
use crate::probes::{Probe, ProbeContext};
use crate::scenario::SendToken;
use crate::scenario::{Planned, RawStep};

/// The harness could not run a scenario (as opposed to the server failing it).
#[derive(Debug, thiserror::Error)]
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
}

fn options(p: &Planned, idp: Option<&Arc<IdpHandle>>, token: Option<String>) -> ConnectOptions {
    let c = &p.client;
    let login = match c.login.as_deref() {
        Some("form") => LoginDriver::Form { fields: c.login_fields.clone() },
        Some("manual") => LoginDriver::Manual,
        _ => LoginDriver::Auto,
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
        continue_after_failure: p.profile.starts_with("chatgpt"),
        ..Default::default()
    }
}

/// Runs one planned scenario. Harness breakage is reported in [`ScenarioResult::error`].
pub async fn run_one(p: &Planned, settings: &super::run::RunSettings) -> ScenarioResult {
    let started = Instant::now();
    let profile = mock_client::profile::load(&p.profile);
    let display = profile.as_ref().map(|x| x.display.clone()).unwrap_or_else(|_| p.profile.clone());
    let mut result = ScenarioResult {
        name: p.name.clone(),
        file: p.file.display().to_string(),
        tags: p.tags.clone(),
        run: RunRecord {
            target: String::new(),
            profile: p.profile.clone(),
            profile_display: display,
            spec_version: p.spec.clone(),
            outcome: Outcome::Connected { tools: vec![], protocol_version: None },
            transcript: Default::default(),
        },
        findings: Vec::new(),
        expectations: Vec::new(),
        verdict: String::new(),
        duration_ms: 0,
        error: None,
    };
    match execute(p, &mut result, settings.shared_idp.clone()).await {
        Ok(()) => {
            result.findings = crate::checks::run(&result.run);
            let profile = profile.ok();
            result.verdict = match &profile {
                Some(pr) => result.run.outcome.verdict(pr),
                None => String::new(),
            };
            result.expectations = super::expect::evaluate(p, &result, settings);
        }
        Err(e) => {
            result.error = Some(e.to_string());
            result.verdict = format!("the harness could not run this scenario: {e}");
        }
    }
    result.duration_ms = started.elapsed().as_millis() as u64;
    result
}

async fn execute(p: &Planned, result: &mut ScenarioResult, shared: Option<Arc<IdpHandle>>) -> Result<(), RunError> {
    let profile = mock_client::profile::load(&p.profile)?;
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

    let token = match p.client.token.as_deref() {
        Some("mint") => {
            let idp = idp
                .as_ref()
                .ok_or(RunError::Step { step: "token: mint".into(), reason: "needs the mock IdP".into() })?;
            Some(idp.mint_valid(&url, &["mcp:read", "mcp:write"])?.token)
        }
        other => other.map(str::to_owned),
    };
    let rec = Recorder::new(Default::default());
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
            RawStep::Probe(probe) => run_probe(probe, &client, &rec, &url, idp.as_deref(), &profile).await?,
            RawStep::Probes(list) => {
                for probe in list {
                    run_probe(probe, &client, &rec, &url, idp.as_deref(), &profile).await?;
                }
            }
            RawStep::SendToken(SendToken::Negative(kind)) => {
                run_probe(&Probe::NegativeToken(*kind), &client, &rec, &url, idp.as_deref(), &profile).await?;
            }
            RawStep::SendToken(SendToken::Claims(claims)) => {
                let idp = idp
                    .as_ref()
                    .ok_or(RunError::Step { step: "send_token".into(), reason: "needs the mock IdP".into() })?;
                let mut minted = idp.mint_valid(&url, &["mcp:read"])?;
                minted.claims.extend(claims.clone());
                let token = idp
                    .mint(&mock_idp::MintRequest { claims: minted.claims, signing: mock_idp::Signing::Valid })?
                    .token;
                rec.secret(mock_client::SecretKind::Token, &token);
                let req = Req::new(reqwest::Method::POST, &url, "send-token:claims")
                    .header("User-Agent", &profile.user_agent_mcp.value)
                    .header("Accept", "application/json, text/event-stream")
                    .header("Authorization", format!("Bearer {token}"))
                    .json(&serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "connector-harness", "version": "0.1"}}}));
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
                let method = reqwest::Method::from_bytes(raw.method.as_bytes()).map_err(|_| RunError::Step {
                    step: "raw".into(),
                    reason: format!("bad method `{}`", raw.method),
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
    result.run.transcript = rec.transcript().redacted();
    drop(target);
    Ok(())
}

async fn run_probe(
    probe: &Probe,
    client: &Client,
    rec: &Recorder,
    url: &str,
    idp: Option<&IdpHandle>,
    profile: &mock_client::Profile,
) -> Result<(), RunError> {
    let ctx = ProbeContext {
        rec,
        target: url,
        idp,
        token: client.access_token(),
        session_id: client.session_id(),
        protocol_version: None,
        user_agent: &profile.user_agent_mcp.value,
    };
    crate::probes::run(probe, &ctx).await.map_err(|e| RunError::Probe(e.to_string()))
}
