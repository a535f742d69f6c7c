//! `connector-harness`: will ChatGPT connect to this MCP server, and if not, what will it say?
//!
//! Run with `cargo run --release -- idp` to start the mock identity provider.

use anyhow::Context;
use clap::{Parser, Subcommand};
use mock_idp::{IdpConfig, LoginMode, MockIdp, Quirk};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "connector-harness",
    version,
    about = "Will ChatGPT connect to this MCP server? A conformance harness for MCP servers and their OAuth setup."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run scenarios (files or directories; none: the built-in ones against the embedded reference
    /// server) and report. Exit 0 all as expected, 1 findings, 2 usage error, 3 harness error.
    Run(RunArgs),
    /// Will ChatGPT connect to this URL? Connects with the profile and runs every check that
    /// applies to an external server, with no scenario file.
    Check(CheckArgs),
    /// Run the mock OAuth 2.1 identity provider on 127.0.0.1 until Ctrl-C.
    Idp(IdpArgs),
    /// Connect to an MCP server once, as the profile's client would; exit 0 if it connects.
    Client(ClientArgs),
    /// Certify an identity provider for ChatGPT's connector flow: per ChatGPT profile, discovery,
    /// registration, authorization, token, refresh and negative probes, judged as AS-*, GPT-* and
    /// PCC-* items; writes idp-certification.{md,json,html}. Exit 0 no FAILURE, 1 a FAILURE, 2 usage.
    CertifyIdp(CertifyIdpArgs),
    /// List the client profiles, or show one with the evidence behind every behaviour.
    Profiles {
        #[command(subcommand)]
        action: ProfilesAction,
    },
}

#[derive(Subcommand)]
enum ProfilesAction {
    /// One line per shipped profile.
    List,
    /// Every behaviour of a profile with its evidence level, date and source.
    Show {
        /// A shipped profile name or a YAML file.
        name: String,
    },
}

#[derive(clap::Args)]
struct ReportArgs {
    /// Write report.json, junit.xml, report.md and checks/<scenario>.json here.
    #[arg(long)]
    report_dir: Option<PathBuf>,
    /// Print every exchange of every scenario.
    #[arg(long, short)]
    verbose: bool,
    /// No colours.
    #[arg(long)]
    no_color: bool,
}

#[derive(clap::Args)]
struct RunArgs {
    /// Scenario files or directories (default: the built-in scenarios).
    paths: Vec<PathBuf>,
    /// Run against this MCP URL instead of each scenario's target.
    #[arg(long)]
    target: Option<String>,
    /// Run every scenario under this profile instead of its own (repeatable).
    #[arg(long = "profile")]
    profiles: Vec<String>,
    /// Select scenarios by name substring, tag or requirement ID (repeatable).
    #[arg(long = "filter")]
    filters: Vec<String>,
    /// Scenarios run at once (default: the number of cores).
    #[arg(long)]
    jobs: Option<usize>,
    /// Expected-failures file (`scenario` or `scenario:ID` entries).
    #[arg(long)]
    baseline: Option<PathBuf>,
    /// Write snapshots instead of comparing them.
    #[arg(long)]
    update_snapshots: bool,
    #[command(flatten)]
    report: ReportArgs,
}

#[derive(clap::Args)]
struct CheckArgs {
    /// The MCP server URL.
    #[arg(long)]
    target: String,
    /// Client profiles to check with (repeatable; default chatgpt-2026-cimd).
    #[arg(long = "profile")]
    profiles: Vec<String>,
    #[command(flatten)]
    user: UserArgs,
    /// The MCP spec version to judge against.
    #[arg(long, default_value = "2025-11-25")]
    spec: String,
    #[command(flatten)]
    report: ReportArgs,
}

/// What the user of a connector supplies: how they sign in, and credentials typed into the form.
#[derive(clap::Args)]
struct UserArgs {
    /// How the user's part of authorization is done.
    #[arg(long, value_enum, default_value = "auto")]
    login: LoginDriverArg,
    /// A form field for `--login form`, e.g. username=alice (repeatable).
    #[arg(long = "login-field", value_parser = parse_kv)]
    login_fields: Vec<(String, String)>,
    /// A pre-registered client id (the connector form's "OAuth client ID").
    #[arg(long)]
    client_id: Option<String>,
    /// Its secret.
    #[arg(long)]
    client_secret: Option<String>,
    /// The token for bearer-token and query-token profiles.
    #[arg(long)]
    token: Option<String>,
    /// A public https URL (your tunnel) that reaches the harness's client-metadata host on
    /// --cimd-port, so the authorization server can fetch the Client ID Metadata Document. Without
    /// it the harness can only present a loopback http URL, and CIMD may not be testable.
    #[arg(long)]
    cimd_base: Option<String>,
    /// The client-metadata host's port on 127.0.0.1 (what the tunnel forwards to).
    #[arg(long)]
    cimd_port: Option<u16>,
    /// Which client id to present where the profile uses CIMD: the harness's copy of the profile's
    /// document, or ChatGPT's real https://chatgpt.com/oauth/client.json (with token endpoint auth
    /// `none`), for authorization servers that can fetch it.
    #[arg(long, value_enum, default_value = "harness")]
    cimd_client_id: CimdClientIdArg,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum CimdClientIdArg {
    Harness,
    ChatgptReal,
}

#[derive(clap::Args)]
struct ClientArgs {
    /// A shipped profile name (see `profiles list`) or a YAML file.
    #[arg(long, default_value = "chatgpt-2026-cimd")]
    profile: String,
    #[command(flatten)]
    user: UserArgs,
    /// Call this tool after connecting (repeatable); arguments as NAME or NAME={"json":"args"}.
    #[arg(long = "call", value_parser = parse_call)]
    calls: Vec<(String, serde_json::Value)>,
    /// Write the redacted transcript as JSON here.
    #[arg(long)]
    transcript: Option<PathBuf>,
    /// Print every exchange (redacted).
    #[arg(long, short)]
    verbose: bool,
    /// The MCP server URL (the official conformance suite appends it as the last argument).
    url: String,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LoginDriverArg {
    Auto,
    Form,
    Manual,
}

fn parse_kv(s: &str) -> Result<(String, String), String> {
    s.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())).ok_or_else(|| format!("`{s}` is not key=value"))
}

fn parse_call(s: &str) -> Result<(String, serde_json::Value), String> {
    match s.split_once('=') {
        None => Ok((s.to_owned(), serde_json::json!({}))),
        Some((n, j)) => serde_json::from_str(j)
            .map(|v| (n.to_owned(), v))
            .map_err(|e| format!("arguments of `{n}` are not JSON: {e}")),
    }
}

#[derive(clap::Args)]
struct IdpArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Issuer path, e.g. /tenant1 (default: the issuer is the origin).
    #[arg(long)]
    issuer_path: Option<String>,
    /// How /authorize gets the user's consent.
    #[arg(long, value_enum)]
    login: Option<LoginArg>,
    /// A named misbehaviour; repeat for several. `name` or `name=value`
    /// (trusted_hosts=a.com,b.com; registration_rate_limit=10/300; registration_auth_method_override=client_secret_basic).
    #[arg(long = "quirk", value_parser = Quirk::parse_cli)]
    quirks: Vec<Quirk>,
    /// A YAML (or JSON) configuration file; flags given here override it.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Generate fresh RSA keys instead of the fixed public test keys.
    #[arg(long)]
    generate_keys: bool,
    /// Print the list of quirks and exit.
    #[arg(long)]
    list_quirks: bool,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LoginArg {
    Auto,
    Form,
    Deny,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            // clap uses 0 for --help/--version and 2 for usage errors, as we do.
            return ExitCode::from(e.exit_code() as u8);
        }
    };
    let result = match cli.command {
        Command::Run(args) => run_scenarios(args).await,
        Command::Check(args) => run_check(args).await,
        Command::Idp(args) => run_idp(args).await.map(|()| ExitCode::SUCCESS),
        Command::Client(args) => run_client(args).await,
        Command::Profiles { action } => run_profiles(action).map(|()| ExitCode::SUCCESS),
        Command::CertifyIdp(args) => run_certify(args).await,
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn write_reports(report: &harness::model::RunReport, dir: &std::path::Path) -> anyhow::Result<()> {
    use harness::report::{json, junit, markdown};
    std::fs::create_dir_all(dir.join("checks")).with_context(|| format!("creating {}", dir.display()))?;
    std::fs::write(dir.join("report.json"), json::render(report))?;
    std::fs::write(dir.join("junit.xml"), junit::render(report))?;
    std::fs::write(dir.join("report.md"), markdown::render(report))?;
    for r in &report.results {
        let safe: String =
            r.name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
        let checks = json::checks_json_at(r, &report.started_at);
        std::fs::write(dir.join("checks").join(format!("{safe}.json")), serde_json::to_string_pretty(&checks)?)?;
    }
    Ok(())
}

async fn finish_run(
    report: harness::model::RunReport,
    args: &ReportArgs,
    baseline: Option<&PathBuf>,
) -> anyhow::Result<ExitCode> {
    use harness::report::{baseline as bl, terminal};
    let opts = if args.no_color {
        terminal::TerminalOptions { color: false, verbose: args.verbose }
    } else {
        terminal::TerminalOptions::detect(args.verbose)
    };
    emit(&terminal::render(&report, &opts))?;
    if let Some(dir) = &args.report_dir {
        write_reports(&report, dir)?;
    }
    let verdict = match baseline {
        Some(path) => {
            let b = match bl::load(path) {
                Ok(b) => b,
                Err(e) => {
                    eprintln!("error: {e}");
                    return Ok(ExitCode::from(bl::exit::USAGE));
                }
            };
            let v = bl::apply(&b, &report);
            for line in v.describe() {
                emit(&format!("{line}\n"))?;
            }
            Some(v)
        }
        None => None,
    };
    Ok(ExitCode::from(bl::exit_code(&report, verdict.as_ref())))
}

fn progress(color: bool) -> impl Fn(&harness::model::ScenarioResult) + Send + Sync + 'static {
    move |r| eprintln!("{}", harness::report::progress_line(&r.name, r.passed(), r.duration_ms, color))
}

async fn run_scenarios(args: RunArgs) -> anyhow::Result<ExitCode> {
    use harness::runner::{RunOptions, RunSettings};
    let loaded = if args.paths.is_empty() {
        harness::builtin::scenarios()
    } else {
        let mut all = Vec::new();
        for p in &args.paths {
            let more = if p.is_dir() {
                harness::scenario::load_dir(p)
            } else {
                harness::scenario::load_file(p).map(|l| vec![l])
            };
            match more {
                Ok(m) => all.extend(m),
                Err(e) => {
                    eprintln!("error: {e}");
                    return Ok(ExitCode::from(2));
                }
            }
        }
        Ok(all)
    };
    let loaded = match loaded {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    for name in &args.profiles {
        mock_client::profile::load(name)?;
    }
    let mut opts = RunOptions {
        filters: args.filters.clone(),
        profiles: args.profiles.clone(),
        target: args.target.clone(),
        settings: RunSettings { update_snapshots: args.update_snapshots, ..Default::default() },
        ..Default::default()
    };
    if let Some(j) = args.jobs {
        opts.jobs = j.max(1);
    }
    if harness::runner::plan(&loaded, &opts).is_empty() {
        eprintln!("error: no scenario matches {:?}", args.filters);
        return Ok(ExitCode::from(2));
    }
    let color = !args.report.no_color && harness::report::TerminalOptions::detect(false).color;
    let report = harness::runner::run_all(&loaded, &opts, progress(color)).await;
    finish_run(report, &args.report, args.baseline.as_ref()).await
}

async fn run_check(args: CheckArgs) -> anyhow::Result<ExitCode> {
    use harness::scenario::{ClientSettings, Loaded, RawStep, Scenario, TargetSpec};
    if !["2025-06-18", "2025-11-25"].contains(&args.spec.as_str()) {
        eprintln!("error: --spec must be 2025-06-18 or 2025-11-25");
        return Ok(ExitCode::from(2));
    }
    let profiles = if args.profiles.is_empty() { vec!["chatgpt-2026-cimd".to_owned()] } else { args.profiles.clone() };
    let mut loaded = Vec::new();
    for profile in &profiles {
        mock_client::profile::load(profile)?;
        let scenario = Scenario {
            name: Some(format!("check {profile}")),
            spec: Some(args.spec.clone()),
            target: Some(TargetSpec::Url(args.target.clone())),
            profile: Some(profile.clone()),
            client: Some(ClientSettings {
                login: Some(
                    match args.user.login {
                        LoginDriverArg::Auto => "auto",
                        LoginDriverArg::Form => "form",
                        LoginDriverArg::Manual => "manual",
                    }
                    .to_owned(),
                ),
                login_fields: args.user.login_fields.iter().cloned().collect(),
                client_id: args.user.client_id.clone(),
                client_secret: args.user.client_secret.clone(),
                token: args.user.token.clone(),
                cimd_base: args.user.cimd_base.clone(),
                cimd_port: args.user.cimd_port,
                cimd_client_id: (args.user.cimd_client_id == CimdClientIdArg::ChatgptReal)
                    .then(|| "chatgpt-real".to_owned()),
            }),
            steps: Some(vec![
                RawStep::Connect,
                RawStep::Probes(harness::probes::Probe::all_for_external()),
                RawStep::Finish,
            ]),
            ..Default::default()
        };
        loaded.push(Loaded { name: format!("check {profile}"), file: PathBuf::from("check"), scenario });
    }
    let opts = harness::runner::RunOptions { jobs: 1, ..Default::default() };
    let color = !args.report.no_color && harness::report::TerminalOptions::detect(false).color;
    let report = harness::runner::run_all(&loaded, &opts, progress(color)).await;
    finish_run(report, &args.report, None).await
}

/// Writes to stdout; a closed pipe (`| head`) ends the output quietly instead of panicking.
fn emit(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

fn run_profiles(action: ProfilesAction) -> anyhow::Result<()> {
    use std::fmt::Write;
    let mut out = String::new();
    match action {
        ProfilesAction::List => {
            for n in mock_client::profile::builtin_names() {
                let p = mock_client::profile::builtin(&n)?;
                writeln!(out, "{n:32} {}", p.display)?;
            }
        }
        ProfilesAction::Show { name } => {
            let p = mock_client::profile::load(&name)?;
            writeln!(out, "{} — {}\n{}\n", p.name, p.display, p.description.trim())?;
            for (path, value, evidence, observed, source, note) in mock_client::profile::facts(&p) {
                writeln!(
                    out,
                    "{path}\n  value:    {value}\n  evidence: {evidence:?} · observed {observed}\n  source:   {source}"
                )?;
                if let Some(n) = note {
                    writeln!(out, "  note:     {n}")?;
                }
            }
        }
    }
    emit(&out)
}

/// The official conformance suite passes scenario data in `MCP_CONFORMANCE_CONTEXT`
/// (`auth/pre-registration`: `{"client_id": ..., "client_secret": ...}`).
fn conformance_context() -> Option<serde_json::Value> {
    std::env::var("MCP_CONFORMANCE_CONTEXT").ok().and_then(|s| serde_json::from_str(&s).ok())
}

async fn run_client(args: ClientArgs) -> anyhow::Result<ExitCode> {
    use mock_client::{Client, ConnectOptions, LoginDriver, StaticCredentials};
    let profile = mock_client::profile::load(&args.profile)?;
    let ctx = conformance_context();
    let ctx_str = |k: &str| ctx.as_ref().and_then(|c| c.get(k)).and_then(|v| v.as_str()).map(str::to_owned);
    let client_id = args.user.client_id.or_else(|| ctx_str("client_id"));
    let opts = ConnectOptions {
        login: match args.user.login {
            LoginDriverArg::Auto => LoginDriver::Auto,
            LoginDriverArg::Form => LoginDriver::Form { fields: args.user.login_fields.into_iter().collect() },
            LoginDriverArg::Manual => LoginDriver::Manual,
        },
        static_client: client_id.map(|client_id| StaticCredentials {
            client_id,
            client_secret: args.user.client_secret.or_else(|| ctx_str("client_secret")),
        }),
        bearer_token: args.user.token,
        tool_calls: args.calls,
        // The suite's CIMD scenario expects this exact client id URL (it never fetches it).
        cimd_base: args.user.cimd_base.or_else(|| {
            std::env::var_os("MCP_CONFORMANCE_SCENARIO").map(|_| "https://conformance-test.local".to_owned())
        }),
        cimd_port: args.user.cimd_port,
        chatgpt_real_cimd: args.user.cimd_client_id == CimdClientIdArg::ChatgptReal,
        // ChatGPT stops at the first failure; the harness names the next ones too (marked as such).
        // Not under the official conformance suite, which judges the client's own behaviour.
        continue_after_failure: profile.name.starts_with("chatgpt")
            && std::env::var_os("MCP_CONFORMANCE_SCENARIO").is_none(),
        ..ConnectOptions::default()
    };
    let mut client = Client::new(profile, opts);
    let outcome = client.connect(&args.url).await?;
    client.finish().await;
    let transcript = client.transcript().redacted();
    if args.verbose {
        for e in &transcript.exchanges {
            eprintln!(
                "#{:<3} [{} · attempt {}] {} {} → {}",
                e.seq,
                e.phase,
                e.attempt,
                e.method,
                e.url,
                e.status.map(|s| s.to_string()).or(e.error.clone()).unwrap_or_default()
            );
        }
    }
    if let Some(path) = &args.transcript {
        std::fs::write(path, serde_json::to_string_pretty(&transcript)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    println!("{}", outcome.verdict(client.profile()));
    for line in outcome_notes(&outcome, &transcript) {
        println!("  {line}");
    }
    Ok(if outcome.connected() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// The lines under `client`'s verdict: what the client noted (CIMD not testable here, Mixed mode's
/// way), and each failure met past the first stop, under the assumption that got there.
fn outcome_notes(outcome: &mock_client::Outcome, transcript: &mock_client::Transcript) -> Vec<String> {
    let mut out: Vec<String> = transcript.notes.iter().map(|n| format!("note: {}", n.text)).collect();
    for c in outcome.failure().map(|f| f.continued.as_slice()).unwrap_or_default() {
        let next = match &c.next {
            mock_client::Outcome::Connected { tools, .. } => {
                format!("it would then connect ({} tools listed)", tools.len())
            }
            mock_client::Outcome::Failed(f) => format!("it would then fail: \"{}\" — because {}", f.message, f.cause),
        };
        out.push(format!("past that, assuming {} (from exchange #{}): {next}", c.assumed, c.from_seq));
    }
    out
}

async fn run_idp(args: IdpArgs) -> anyhow::Result<()> {
    if args.list_quirks {
        for q in Quirk::ALL_NAMES {
            println!("{q}");
        }
        return Ok(());
    }
    let mut config = match &args.config {
        Some(p) => IdpConfig::from_file(p)?,
        None => IdpConfig::default(),
    };
    if args.port != 0 {
        config.port = args.port;
    }
    if let Some(p) = args.issuer_path {
        config.issuer_path = p;
    }
    if let Some(l) = args.login {
        config.login = match l {
            LoginArg::Auto => LoginMode::AutoApprove,
            LoginArg::Form => LoginMode::Form,
            LoginArg::Deny => LoginMode::Deny,
        };
    }
    config.quirks.0.extend(args.quirks);
    config.generate_keys |= args.generate_keys;
    let idp = MockIdp::with_config(config).start().await.context("starting the mock IdP")?;
    let e = idp.endpoints();
    println!("mock IdP listening — issuer {}", e.issuer);
    for m in &e.metadata {
        println!("  metadata       {m}");
    }
    println!("  authorization  {}", e.authorization);
    println!("  token          {}", e.token);
    match &e.registration {
        Some(r) => println!("  registration   {r}"),
        None => println!("  registration   (none: no_registration_endpoint)"),
    }
    println!("  jwks           {}", e.jwks);
    println!("  introspection  {}", e.introspection);
    println!("  revocation     {}", e.revocation);
    let quirks: Vec<&str> = idp.config().quirks.0.iter().map(Quirk::name).collect();
    println!(
        "  login {:?}; quirks: {}",
        idp.login_mode(),
        if quirks.is_empty() { "none".to_string() } else { quirks.join(", ") }
    );
    println!("Ctrl-C to stop.");
    tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
    idp.shutdown().await;
    Ok(())
}

#[derive(clap::Args)]
struct CertifyIdpArgs {
    /// The issuer identifier, exactly as MCP servers and clients are configured with it.
    #[arg(long)]
    issuer: String,
    /// Client profiles to certify with (repeatable; default: chatgpt-2025-dcr,
    /// chatgpt-2025-09-dcr-basic, chatgpt-2026-cimd).
    #[arg(long = "profile")]
    profiles: Vec<String>,
    /// How the user's part of authorization is done (`form` fills the IdP's login and consent
    /// pages with --login-field values; `manual` asks you to sign in in a browser).
    #[arg(long, value_enum, default_value = "form")]
    login: LoginDriverArg,
    /// A login form field, e.g. username=alice (repeatable).
    #[arg(long = "login-field", value_parser = parse_kv)]
    login_fields: Vec<(String, String)>,
    /// The RFC 8707 resource: your MCP server's canonical URL.
    #[arg(long, default_value = harness::certify::run::DEFAULT_RESOURCE)]
    resource: String,
    /// A pre-registered client id (then no profile registers one).
    #[arg(long)]
    client_id: Option<String>,
    /// Its secret.
    #[arg(long, requires = "client_id")]
    client_secret: Option<String>,
    /// A public https URL that reaches the harness's client-metadata host (a tunnel to
    /// --cimd-port), so a remote IdP can fetch ChatGPT's Client ID Metadata Document.
    #[arg(long)]
    cimd_base: Option<String>,
    /// The client-metadata host's port on 127.0.0.1 (default: a free one).
    #[arg(long)]
    cimd_port: Option<u16>,
    /// Where to write idp-certification.md, .json and .html.
    #[arg(long)]
    out: PathBuf,
}

async fn run_certify(args: CertifyIdpArgs) -> anyhow::Result<ExitCode> {
    use harness::certify::{render, run};
    use mock_client::{LoginDriver, StaticCredentials};
    let mut cfg = run::CertifyConfig::new(args.issuer);
    cfg.profiles = args.profiles;
    cfg.resource = args.resource;
    cfg.login = match args.login {
        LoginDriverArg::Auto => LoginDriver::Auto,
        LoginDriverArg::Form => LoginDriver::Form { fields: args.login_fields.into_iter().collect() },
        LoginDriverArg::Manual => LoginDriver::Manual,
    };
    cfg.static_client =
        args.client_id.map(|client_id| StaticCredentials { client_id, client_secret: args.client_secret });
    cfg.cimd_base = args.cimd_base;
    cfg.cimd_port = args.cimd_port;
    cfg.progress = Some(std::sync::Arc::new(|line: &str| eprintln!("{line}")));
    let cert = match run::certify(&cfg).await {
        Ok(c) => c,
        Err(run::CertifyError::Usage(e)) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
        Err(run::CertifyError::Harness(e)) => {
            eprintln!("error: the harness could not run: {e}");
            return Ok(ExitCode::from(3));
        }
    };
    let paths = render::write(&cert, &args.out).with_context(|| format!("writing {}", args.out.display()))?;
    let mut out = format!("{}\n", cert.verdict);
    for i in cert.items.iter().filter(|i| i.status.is_problem() && !i.untestable) {
        let status = if i.status == harness::model::Status::Failure { "FAILURE" } else { "WARNING" };
        out.push_str(&format!("  {status}  {}  {}\n", i.id, i.name));
    }
    let untested: Vec<&str> = cert.items.iter().filter(|i| i.untestable).map(|i| i.id.as_str()).collect();
    if !untested.is_empty() {
        out.push_str(&format!("  not tested, because an earlier step failed: {}\n", untested.join(", ")));
    }
    for p in &paths {
        out.push_str(&format!("wrote {}\n", p.display()));
    }
    emit(&out)?;
    let failed = cert.items.iter().any(|i| i.status == harness::model::Status::Failure);
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
