//! `connector-harness`: will ChatGPT connect to this MCP server, and if not, what will it say?
//!
//! Run with `cargo run --release -- idp` to start the mock identity provider.

use anyhow::Context;
use clap::{Parser, Subcommand};
use harness::report::{Ending, sanitize};
use mock_idp::{IdpConfig, LoginMode, MockIdp, Quirk};
use std::path::PathBuf;
use std::process::ExitCode;

mod calls;

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
    /// Connect to an MCP server once, as the profile's client would, then make the --call tool calls
    /// and print their results; exit 0 if it connects and every call gives a result, 1 if not.
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
    // --- #15: serve, record (helper E) ---
    /// Run the reference MCP server behind the embedded mock IdP on 127.0.0.1 until Ctrl-C,
    /// printing both URLs: the embedded default made reachable for trying things and for `record`.
    Serve(ServeArgs),
    /// A recording reverse proxy: one 127.0.0.1 listener per --route, forwarding to its upstream
    /// only, writing the redacted transcript (the `client --transcript` format) to --out after
    /// every exchange, until Ctrl-C. Re-check it with `check --transcript`.
    Record(RecordArgs),
    // --- end #15 ---
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
    /// What a captured client (a `record` or `client --transcript` file) did differently from a
    /// profile, field by field. Exit 0 when nothing differs, 1 otherwise.
    Diff {
        /// A shipped profile name or a YAML file.
        profile: String,
        /// The capture: a `record`/`client --transcript` file, a run record, or a browser HAR.
        capture: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: DiffFormat,
    },
    /// A profile YAML from a capture (a transcript or a browser HAR): the facts it shows, with
    /// evidence `captured`; every other fact is the base's, named in a comment at the top.
    /// `profiles diff INFERRED CAPTURE` then finds no difference.
    Infer {
        /// The capture: a `record`/`client --transcript` file, a run record, or a browser HAR.
        capture: PathBuf,
        /// The profile it is written as a change of (`extends:`): the one it updates.
        #[arg(long, default_value = mock_client::profile::TODAYS_CHATGPT)]
        base: String,
        /// The new profile's name (default: `captured-` and the capture's file stem).
        #[arg(long)]
        name: Option<String>,
        /// When the capture was taken (default: a HAR's first entry's date, else the file's
        /// modification date, UTC).
        #[arg(long)]
        observed: Option<String>,
        /// Write the YAML here instead of stdout (name it NAME.yaml to load it by path).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum DiffFormat {
    Text,
    Json,
}

#[derive(clap::Args)]
struct ReportArgs {
    /// Write report.json, junit.xml, report.md, report.html and checks/<scenario>.json here.
    #[arg(long)]
    report_dir: Option<PathBuf>,
    /// More detail: `-v` every scenario with every finding, `-vv` every exchange with headers and
    /// bodies too (by default `run` prints only what needs attention, `check` every finding).
    #[arg(long, short, action = clap::ArgAction::Count)]
    verbose: u8,
    /// No colours.
    #[arg(long)]
    no_color: bool,
}

/// Where the harness may connect on the server's say-so.
#[derive(clap::Args)]
struct NetArgs {
    /// Contact private (RFC 1918), CGNAT, link-local and unique-local addresses that the server
    /// under test (or its authorization server) names — for internal deployments. Loopback and
    /// public addresses are always allowed; cloud metadata addresses never.
    #[arg(long)]
    allow_private_addresses: bool,
}

#[derive(clap::Args)]
struct RunArgs {
    /// Scenario files or directories (default: the built-in scenarios).
    paths: Vec<PathBuf>,
    /// Run against this MCP URL instead of each scenario's target.
    #[arg(long)]
    target: Option<String>,
    /// With --target: the issuer of a running `connector-harness idp` the target trusts, so token
    /// probes mint through it (without it they are skipped and their requirements SKIPPED).
    #[arg(long, value_name = "ISSUER_URL", requires = "target")]
    trusted_idp: Option<String>,
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
    net: NetArgs,
    #[command(flatten)]
    report: ReportArgs,
}

#[derive(clap::Args)]
struct CheckArgs {
    /// The MCP server URL (with --transcript: the target the capture talks to, when its first MCP
    /// request does not say).
    #[arg(long, required_unless_present = "transcript")]
    target: Option<String>,
    /// Judge a saved transcript (`client --transcript`, `record --out`, or a run record) offline
    /// instead of connecting: every check that reads a transcript, no request sent.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["trusted_idp"])]
    transcript: Option<PathBuf>,
    /// Client profiles to check with (repeatable; default chatgpt-2026-08-dual-era, today's ChatGPT;
    /// `--profile chatgpt-2026-cimd` asks about the dated 2026 one).
    #[arg(long = "profile")]
    profiles: Vec<String>,
    #[command(flatten)]
    user: UserArgs,
    /// The MCP spec version to judge against.
    #[arg(long, default_value = "2025-11-25")]
    spec: String,
    /// The issuer of a running `connector-harness idp` the server trusts: the harness mints tokens
    /// for it (with its fixed test keys) so the negative battery, wrong-audience and
    /// insufficient-scope probes run (RS-08, RS-10, RS-12, RS-13, RS-17).
    #[arg(long, value_name = "ISSUER_URL")]
    trusted_idp: Option<String>,
    /// Overall deadline in seconds, per profile; requests time out after a quarter of it (≤ 15 s).
    #[arg(long, value_name = "SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    timeout: u64,
    #[command(flatten)]
    net: NetArgs,
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
    /// A shipped profile name (see `profiles list`) or a YAML file; default: today's ChatGPT.
    #[arg(long, default_value = mock_client::profile::TODAYS_CHATGPT)]
    profile: String,
    #[command(flatten)]
    user: UserArgs,
    /// Call this tool after connecting (repeatable); arguments as NAME or NAME={"json":"args"}.
    /// Each result is printed; a JSON-RPC error, `isError: true` or no answer exits 1.
    #[arg(long = "call", value_parser = parse_call)]
    calls: Vec<(String, serde_json::Value)>,
    /// Write the redacted transcript as JSON here.
    #[arg(long)]
    transcript: Option<PathBuf>,
    /// More detail on stderr, as in `run` and `check`: `-v` every exchange in one line (redacted),
    /// `-vv` with its headers and bodies too.
    #[arg(long, short, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(flatten)]
    net: NetArgs,
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
    /// Fetch Client ID Metadata Documents and JWKS from private, CGNAT, link-local and
    /// unique-local addresses too (never from cloud metadata addresses).
    #[arg(long)]
    allow_private_addresses: bool,
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
        Command::Idp(args) => run_idp(args).await.map(|()| Ending::AsExpected),
        Command::Client(args) => run_client(args).await,
        Command::Profiles { action: ProfilesAction::Diff { profile, capture, format } } => {
            run_profile_diff(&profile, &capture, format)
        }
        Command::Profiles { action: ProfilesAction::Infer { capture, base, name, observed, out } } => {
            run_profile_infer(&capture, &base, name, observed, out.as_deref()).map(|()| Ending::AsExpected)
        }
        Command::Profiles { action } => run_profiles(action).map(|()| Ending::AsExpected),
        Command::CertifyIdp(args) => run_certify(args).await,
        Command::Serve(args) => run_serve(args).await.map(|()| Ending::AsExpected),
        Command::Record(args) => run_record(args).await.map(|()| Ending::AsExpected),
    };
    ExitCode::from(exit_code(result))
}

/// The one place where every command's end becomes an exit code: 0 as expected, 1 the server
/// failed, 2 the user's input is wrong, 3 the harness broke. An error is printed (sanitised: it
/// may quote the server) and placed in its tier by [`tier_of`].
fn exit_code(result: anyhow::Result<Ending>) -> u8 {
    match result {
        Ok(ending) => ending.code(),
        Err(e) => {
            let tier = tier_of(&e);
            let text = sanitize::block(&format!("{e:#}")).into_owned();
            match tier {
                Ending::HarnessBroke => eprintln!("error: the harness broke: {text}"),
                _ => eprintln!("error: {text}"),
            }
            tier.code()
        }
    }
}

/// The tier of an error, from the typed errors in its chain: the user's input (arguments, files,
/// URLs, profiles, the IdP's port or configuration) or — for anything not known to be the
/// user's — the harness.
fn tier_of(e: &anyhow::Error) -> Ending {
    use mock_client::ClientError as C;
    use mock_idp::IdpError as I;
    for cause in e.chain() {
        if cause.is::<Usage>()
            || cause.is::<harness::scenario::LoadError>()
            || cause.is::<harness::report::BaselineError>()
            || cause.is::<std::io::Error>()
        {
            return Ending::InputError;
        }
        if let Some(t) = cause.downcast_ref::<harness::runner::TargetError>() {
            return if t.tier().is_harness() { Ending::HarnessBroke } else { Ending::InputError };
        }
        if let Some(c) = cause.downcast_ref::<C>() {
            return match c {
                C::BadUrl { .. } | C::Profile { .. } | C::UnknownProfile(..) => Ending::InputError,
                _ => Ending::HarnessBroke,
            };
        }
        if let Some(i) = cause.downcast_ref::<I>() {
            return match i {
                I::Bind { .. } | I::Config(_) | I::ConfigFile { .. } => Ending::InputError,
                _ => Ending::HarnessBroke,
            };
        }
    }
    Ending::HarnessBroke
}

/// A usage error found by the binary itself (a bad flag value, no scenario selected).
#[derive(Debug)]
struct Usage(String);

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}

fn usage(message: impl Into<String>) -> anyhow::Error {
    Usage(message.into()).into()
}

/// The running `connector-harness idp` named by `--trusted-idp`, checked before anything runs: an
/// issuer that is not one (other keys, not on loopback) is the user's input being wrong (2).
async fn trusted_idp(issuer: Option<&str>) -> anyhow::Result<Option<std::sync::Arc<harness::trusted_idp::TrustedIdp>>> {
    match issuer {
        Some(issuer) => match harness::trusted_idp::TrustedIdp::connect(issuer).await {
            Ok(t) => Ok(Some(std::sync::Arc::new(t))),
            Err(e) => Err(usage(e.to_string())),
        },
        None => Ok(None),
    }
}

/// A target URL as the user typed it: `example.com/mcp` is a usage error (2), not a server
/// failure or a harness error.
fn target_url(url: &str) -> anyhow::Result<()> {
    harness::runner::check_url(url).map_err(anyhow::Error::from)
}

fn write_reports(report: &harness::model::RunReport, dir: &std::path::Path) -> anyhow::Result<()> {
    use harness::report::{html, json, junit, markdown};
    std::fs::create_dir_all(dir.join("checks")).with_context(|| format!("creating {}", dir.display()))?;
    std::fs::write(dir.join("report.json"), json::render(report))?;
    std::fs::write(dir.join("junit.xml"), junit::render(report))?;
    std::fs::write(dir.join("report.md"), markdown::render(report))?;
    std::fs::write(dir.join("report.html"), html::render(report))?;
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
    base: harness::report::Verbosity,
    args: &ReportArgs,
    baseline: Option<&PathBuf>,
) -> anyhow::Result<Ending> {
    use harness::report::{baseline as bl, terminal};
    let opts = if args.no_color {
        terminal::TerminalOptions { color: false, verbosity: terminal::Verbosity::from_count(base, args.verbose) }
    } else {
        terminal::TerminalOptions::detect(terminal::Verbosity::from_count(base, args.verbose))
    };
    emit(&terminal::render(&report, &opts))?;
    if let Some(dir) = &args.report_dir {
        write_reports(&report, dir)?;
    }
    let verdict = match baseline {
        Some(path) => {
            let b = bl::load(path)?;
            let v = bl::apply(&b, &report);
            for line in v.describe() {
                emit(&format!("{line}\n"))?;
            }
            Some(v)
        }
        None => None,
    };
    Ok(bl::ending(&report, verdict.as_ref()))
}

/// Progress on standard error while scenarios run. On a terminal: one status line rewritten as
/// each scenario finishes and cleared by [`progress_done`], so the report that follows is not
/// printed twice; elsewhere (CI logs, pipes): one plain line per scenario.
fn progress(color: bool) -> impl Fn(&harness::model::ScenarioResult) + Send + Sync + 'static {
    use std::io::{IsTerminal, Write};
    let live = std::io::stderr().is_terminal();
    let done = std::sync::atomic::AtomicUsize::new(0);
    move |r| {
        let line = harness::report::progress_line(&r.name, r.passed(), r.duration_ms, color);
        if live {
            let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K{n} done · {line}");
            let _ = err.flush();
        } else {
            eprintln!("{line}");
        }
    }
}

/// Clears the live progress line (nothing to do when standard error is not a terminal).
fn progress_done() {
    use std::io::{IsTerminal, Write};
    if std::io::stderr().is_terminal() {
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K");
        let _ = err.flush();
    }
}

async fn run_scenarios(args: RunArgs) -> anyhow::Result<Ending> {
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
            all.extend(more?);
        }
        Ok(all)
    };
    let loaded = loaded?;
    if let Some(t) = &args.target {
        target_url(t)?;
    }
    for name in &args.profiles {
        mock_client::profile::load(name)?;
    }
    let trusted = trusted_idp(args.trusted_idp.as_deref()).await?;
    let mut opts = RunOptions {
        filters: args.filters.clone(),
        profiles: args.profiles.clone(),
        target: args.target.clone(),
        settings: RunSettings {
            update_snapshots: args.update_snapshots,
            allow_private_addresses: args.net.allow_private_addresses,
            trusted,
            ..Default::default()
        },
        ..Default::default()
    };
    if let Some(j) = args.jobs {
        opts.jobs = j.max(1);
    }
    if harness::runner::plan(&loaded, &opts).is_empty() {
        return Err(usage(format!("no scenario matches {:?}", args.filters)));
    }
    let color =
        !args.report.no_color && harness::report::TerminalOptions::detect(harness::report::Verbosity::Attention).color;
    let report = harness::runner::run_all(&loaded, &opts, progress(color)).await;
    progress_done();
    finish_run(report, harness::report::Verbosity::Attention, &args.report, args.baseline.as_ref()).await
}

/// The profiles `check` judges with: the ones named, else today's ChatGPT.
fn check_profiles(named: &[String]) -> Vec<String> {
    if named.is_empty() { vec![mock_client::profile::TODAYS_CHATGPT.to_owned()] } else { named.to_vec() }
}

/// What `check` says on stderr when no `--profile` was given: which ChatGPT it asks about.
fn defaulted_profile_note() -> String {
    format!(
        "no --profile: asking about today's ChatGPT ({}); --profile chatgpt-2026-cimd (or any in `profiles list`) asks about a dated one",
        mock_client::profile::TODAYS_CHATGPT
    )
}

async fn run_check(args: CheckArgs) -> anyhow::Result<Ending> {
    use harness::check::{CheckOptions, DEFAULT_CONCURRENCY, check};
    use harness::scenario::{JUDGED_SPECS, SpecVersion};
    use mock_client::{ConnectOptions, LoginDriver, StaticCredentials};
    let spec = SpecVersion::parse(&args.spec)
        .filter(|v| JUDGED_SPECS.contains(v))
        .ok_or_else(|| usage("--spec must be 2025-06-18 or 2025-11-25"))?;
    if let Some(file) = &args.transcript {
        return check_offline(file, &args, spec).await;
    }
    let target = args.target.clone().unwrap_or_default();
    target_url(&target)?;
    let profiles = check_profiles(&args.profiles);
    for profile in &profiles {
        mock_client::profile::load(profile)?;
    }
    if args.profiles.is_empty() {
        eprintln!("{}", defaulted_profile_note());
    }
    let trusted = trusted_idp(args.trusted_idp.as_deref()).await?;
    let started = std::time::Instant::now();
    let started_at = harness::check::now_rfc3339();
    let color =
        !args.report.no_color && harness::report::TerminalOptions::detect(harness::report::Verbosity::Attention).color;
    let line = progress(color);
    let mut results = Vec::new();
    for profile in &profiles {
        let connect = ConnectOptions {
            login: match args.user.login {
                LoginDriverArg::Auto => LoginDriver::Auto,
                LoginDriverArg::Form => LoginDriver::Form { fields: args.user.login_fields.iter().cloned().collect() },
                LoginDriverArg::Manual => LoginDriver::Manual,
            },
            static_client: args
                .user
                .client_id
                .clone()
                .map(|client_id| StaticCredentials { client_id, client_secret: args.user.client_secret.clone() }),
            bearer_token: args.user.token.clone(),
            cimd_base: args.user.cimd_base.clone(),
            cimd_port: args.user.cimd_port,
            chatgpt_real_cimd: args.user.cimd_client_id == CimdClientIdArg::ChatgptReal,
            // ChatGPT stops at the first failure; the harness names the next ones too (marked).
            continue_after_failure: mock_client::profile::is_chatgpt(profile),
            ..Default::default()
        };
        let opts = CheckOptions {
            target: target.clone(),
            profile: profile.clone(),
            spec,
            connect,
            deadline: std::time::Duration::from_secs(args.timeout),
            concurrency: DEFAULT_CONCURRENCY,
            trusted: trusted.clone(),
            allow_private_addresses: args.net.allow_private_addresses,
        };
        let r = check(opts, &|msg: &str| eprintln!("{}", sanitize::line(msg))).await;
        line(&r);
        results.push(r);
    }
    // `check` inspects one server: its findings are what the user came for.
    progress_done();
    let report = harness::check::report(results, started, started_at);
    finish_run(report, harness::report::Verbosity::Findings, &args.report, None).await
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
                let default =
                    if n == mock_client::profile::TODAYS_CHATGPT { "  (default: today's ChatGPT)" } else { "" };
                writeln!(out, "{n:32} {}{default}", p.display)?;
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
        ProfilesAction::Diff { .. } | ProfilesAction::Infer { .. } => {
            unreachable!("handled by run_profile_diff / run_profile_infer")
        }
    }
    emit(&out)
}

/// The official conformance suite passes scenario data in `MCP_CONFORMANCE_CONTEXT`
/// (`auth/pre-registration`: `{"client_id": ..., "client_secret": ...}`).
fn conformance_context() -> Option<serde_json::Value> {
    std::env::var("MCP_CONFORMANCE_CONTEXT").ok().and_then(|s| serde_json::from_str(&s).ok())
}

async fn run_client(args: ClientArgs) -> anyhow::Result<Ending> {
    use mock_client::{Client, ConnectOptions, LoginDriver, StaticCredentials};
    target_url(&args.url)?;
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
        // Called below, after the connect, so each result is printed and a failed call is told
        // apart from a failed connect.
        tool_calls: Vec::new(),
        // The suite's CIMD scenario expects this exact client id URL (it never fetches it).
        cimd_base: args.user.cimd_base.or_else(|| {
            std::env::var_os("MCP_CONFORMANCE_SCENARIO").map(|_| "https://conformance-test.local".to_owned())
        }),
        cimd_port: args.user.cimd_port,
        chatgpt_real_cimd: args.user.cimd_client_id == CimdClientIdArg::ChatgptReal,
        // ChatGPT stops at the first failure; the harness names the next ones too (marked as such).
        // Not under the official conformance suite, which judges the client's own behaviour.
        continue_after_failure: mock_client::profile::is_chatgpt(&profile.name)
            && std::env::var_os("MCP_CONFORMANCE_SCENARIO").is_none(),
        limits: mock_client::http::Limits {
            allow_private_addresses: args.net.allow_private_addresses,
            ..Default::default()
        },
        ..ConnectOptions::default()
    };
    let mut client = Client::new(profile, opts);
    let outcome = match client.connect(&args.url).await {
        Ok(o) => o,
        // The error may quote a URL the server chose (holding a code, say): redact it too.
        Err(e) => anyhow::bail!(client.transcript().redact_text(&e.to_string())),
    };
    // The tools the user asked for, only on a session that connected as the profile's client does.
    let mut ends = Vec::new();
    if outcome.connected() {
        for (name, arguments) in &args.calls {
            let end = match client.call_tool(name, arguments.clone()).await {
                Ok(result) => calls::CallEnd::Result(result),
                Err(f) => calls::CallEnd::Failed(f),
            };
            ends.push((name.clone(), end));
        }
    }
    client.finish().await;
    let raw = client.transcript();
    let outcome = raw.redact_outcome(&outcome);
    let transcript = raw.redacted();
    let verbosity = harness::report::Verbosity::from_count(harness::report::Verbosity::Attention, args.verbose);
    // Plain text: stderr may be a log file while stdout is a terminal.
    let opts = harness::report::TerminalOptions { color: false, verbosity };
    eprint!("{}", harness::report::terminal::exchanges(&transcript, &opts));
    if let Some(path) = &args.transcript {
        std::fs::write(path, serde_json::to_string_pretty(&transcript)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    // The verdict and the notes quote the server's error text: sanitised, so they cannot forge output.
    println!("{}", sanitize::line(&outcome.verdict(client.profile())));
    for line in outcome_notes(&outcome, &transcript) {
        println!("  {}", sanitize::line(&line));
    }
    if !outcome.connected() && !args.calls.is_empty() {
        println!("no tool called: the client did not connect");
    }
    // A tool may echo what the client sent (a token, a code): redacted like the transcript, before
    // anything is cut, so no part of a secret survives a cap.
    for (name, end) in &ends {
        let end = match end {
            calls::CallEnd::Result(v) => calls::CallEnd::Result(raw.redact_value(v)),
            calls::CallEnd::Failed(f) => {
                calls::CallEnd::Failed(mock_client::Failure { cause: raw.redact_text(&f.cause), ..f.clone() })
            }
        };
        for line in calls::render(&raw.redact_text(name), &end) {
            println!("{line}");
        }
    }
    let failed = ends.iter().filter(|(_, e)| e.failed()).count();
    if failed > 0 {
        let noun = if failed == 1 { "call" } else { "calls" };
        println!("{failed} tool {noun} of {} failed", ends.len());
    }
    Ok(if outcome.connected() && failed == 0 { Ending::AsExpected } else { Ending::ServerFailed })
}

/// The lines under `client`'s verdict: what the client noted (CIMD not testable here, Mixed mode's
/// way), and each failure met past the first stop, under the assumption that got there.
fn outcome_notes(outcome: &mock_client::Outcome, transcript: &mock_client::Transcript) -> Vec<String> {
    let mut out: Vec<String> = transcript.notes.iter().map(|n| format!("note: {}", n.text)).collect();
    for c in outcome.failure().map(|f| f.continued.as_slice()).unwrap_or_default() {
        let next = match &c.next {
            mock_client::Outcome::Connected { tools, .. } => {
                format!("it would then connect ({})", mock_client::outcome::tools_listed(tools.len()))
            }
            mock_client::Outcome::Failed(f) => format!("it would then fail: \"{}\" — because {}", f.message, f.cause),
            mock_client::Outcome::NotAttempted => continue,
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
    config.allow_private_fetch |= args.allow_private_addresses;
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
    // As the user spells it on the command line (`--login auto`), not the Rust variant's name.
    let login = match idp.login_mode() {
        LoginMode::AutoApprove => "auto".to_owned(),
        LoginMode::Form => "form".to_owned(),
        LoginMode::Deny => "deny".to_owned(),
        other => format!("{other:?}").to_lowercase(),
    };
    println!("  login {login}; quirks: {}", if quirks.is_empty() { "none".to_string() } else { quirks.join(", ") });
    println!("Ctrl-C to stop.");
    tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
    idp.shutdown().await;
    Ok(())
}

#[derive(clap::Args)]
struct CertifyIdpArgs {
    /// The issuer identifier, exactly as MCP servers and clients are configured with it.
    #[arg(long, required_unless_present = "rejudge", conflicts_with = "rejudge")]
    issuer: Option<String>,
    /// Also write everything the certification observed (redacted) to this JSON file, for
    /// --rejudge.
    #[arg(long, value_name = "FILE", conflicts_with = "rejudge")]
    save_observations: Option<PathBuf>,
    /// Judge and render a file written by --save-observations again, offline (no request is
    /// sent).
    #[arg(long, value_name = "FILE")]
    rejudge: Option<PathBuf>,
    /// Client profiles to certify with (repeatable; default: chatgpt-2025-dcr,
    /// chatgpt-2025-09-dcr-basic, chatgpt-2026-cimd, chatgpt-2026-08-dual-era).
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
    #[arg(long, default_value = harness_certify::run::DEFAULT_RESOURCE)]
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
    /// AS-18: seconds to wait before replaying a used refresh token a second time, when a public
    /// client's replay was accepted at once (a reuse window must have closed by then).
    #[arg(long, default_value_t = 35, value_parser = clap::value_parser!(u64).range(1..=600))]
    refresh_reuse_wait: u64,
    /// Where to write idp-certification.md, .json and .html.
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    net: NetArgs,
}

async fn run_certify(args: CertifyIdpArgs) -> anyhow::Result<Ending> {
    use harness_certify::observations::Observations;
    use harness_certify::{judge, render};
    let cert = if let Some(file) = &args.rejudge {
        let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        let o = Observations::from_json(&text).map_err(|e| usage(format!("--rejudge {}: {e}", file.display())))?;
        judge::certification(&o)
    } else {
        certify_live(args.issuer.clone().unwrap_or_default(), &args).await?
    };
    let paths = render::write(&cert, &args.out).with_context(|| format!("writing {}", args.out.display()))?;
    let mut out = render::terminal(&cert);
    for p in &paths {
        out.push_str(&format!("wrote {}\n", p.display()));
    }
    emit(&out)?;
    let failed = cert.items.iter().any(|i| i.status == harness::model::Status::Failure);
    Ok(if failed { Ending::ServerFailed } else { Ending::AsExpected })
}

/// Observes and judges the issuer; writes the observations when asked to.
async fn certify_live(issuer: String, args: &CertifyIdpArgs) -> anyhow::Result<harness_certify::model::Certification> {
    use harness_certify::run;
    use mock_client::{LoginDriver, StaticCredentials};
    let mut cfg = run::CertifyConfig::new(issuer);
    cfg.profiles = args.profiles.clone();
    cfg.resource = args.resource.clone();
    cfg.login = match args.login {
        LoginDriverArg::Auto => LoginDriver::Auto,
        LoginDriverArg::Form => LoginDriver::Form { fields: args.login_fields.iter().cloned().collect() },
        LoginDriverArg::Manual => LoginDriver::Manual,
    };
    cfg.static_client = args
        .client_id
        .clone()
        .map(|client_id| StaticCredentials { client_id, client_secret: args.client_secret.clone() });
    cfg.cimd_base = args.cimd_base.clone();
    cfg.cimd_port = args.cimd_port;
    cfg.reuse_wait = std::time::Duration::from_secs(args.refresh_reuse_wait);
    cfg.limits.allow_private_addresses = args.net.allow_private_addresses;
    cfg.progress = Some(std::sync::Arc::new(|line: &str| eprintln!("{}", sanitize::line(line))));
    let (observed, cert) = match run::certify_observed(&cfg).await {
        Ok(c) => c,
        Err(run::CertifyError::Usage(e)) => return Err(usage(e)),
        Err(e @ run::CertifyError::Harness(_)) => return Err(e.into()),
    };
    if let Some(file) = &args.save_observations {
        std::fs::write(file, observed.to_json()).with_context(|| format!("writing {}", file.display()))?;
    }
    Ok(cert)
}

// --- #15: serve, check --transcript (helper E) ---

/// `check --transcript FILE`: the checks over a saved capture, one result per profile.
async fn check_offline(
    file: &std::path::Path,
    args: &CheckArgs,
    spec: harness::scenario::SpecVersion,
) -> anyhow::Result<Ending> {
    use harness::offline::{CaptureFile, check_capture};
    let (_, text) = read_capture(file)?;
    if let Some(t) = &args.target {
        target_url(t)?;
    }
    let profiles = check_profiles(&args.profiles);
    if args.profiles.is_empty() {
        eprintln!("{}", defaulted_profile_note());
    }
    let started = std::time::Instant::now();
    let started_at = harness::check::now_rfc3339();
    let mut results = Vec::new();
    for profile in &profiles {
        mock_client::profile::load(profile)?;
        let capture = CaptureFile::parse(&text).map_err(|e| usage(format!("{}: {e}", file.display())))?;
        let r = check_capture(capture, args.target.clone(), profile, spec).map_err(|e| usage(e.to_string()))?;
        results.push(r);
    }
    finish_run(
        harness::check::report(results, started, started_at),
        harness::report::Verbosity::Findings,
        &args.report,
        None,
    )
    .await
}

#[derive(clap::Args)]
struct ServeArgs {
    /// The MCP server's port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// The mock IdP's port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    idp_port: u16,
    /// Which MCP eras the reference server speaks.
    #[arg(long, value_enum, default_value = "dual")]
    era: EraArg,
    /// A reference-server fault (its snake_case name, as in a scenario's `faults:`); repeatable.
    #[arg(long = "fault", value_parser = parse_fault)]
    faults: Vec<reference_server::Fault>,
    /// An origin clients reach the mock IdP at (a `record` route or a tunnel in front of it;
    /// repeatable): a `private_key_jwt` assertion whose `aud` is that origin's token URL is
    /// accepted, as the client signs for the token endpoint it sees. Only these are added.
    #[arg(long = "idp-public-origin", value_parser = parse_origin)]
    idp_public_origins: Vec<String>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum EraArg {
    Dual,
    Modern,
    Legacy,
}

/// `http(s)://host[:port]`, no path.
fn parse_origin(s: &str) -> Result<String, String> {
    let s = s.trim_end_matches('/');
    let rest = s.strip_prefix("https://").or_else(|| s.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(['/', '?', '#', '@', ' ']) => Ok(s.to_owned()),
        _ => Err(format!("`{s}` is not an origin (http(s)://host[:port])")),
    }
}

fn parse_fault(s: &str) -> Result<reference_server::Fault, String> {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).map_err(|_| format!("unknown fault `{s}`"))
}

/// The embedded default (what `run` uses when a scenario names no target), standalone.
async fn run_serve(args: ServeArgs) -> anyhow::Result<()> {
    use reference_server::{Era, ReferenceServer};
    let idp = MockIdp::builder().port(args.idp_port).start().await.context("starting the mock IdP")?;
    let era = match args.era {
        EraArg::Dual => Era::Dual,
        EraArg::Modern => Era::Modern,
        EraArg::Legacy => Era::Legacy,
    };
    let mut b = ReferenceServer::builder().issuer(idp.issuer()).jwks_uri(idp.jwks_uri()).port(args.port).era(era);
    for f in &args.faults {
        b = b.fault(*f);
    }
    let server = b.start().await.map_err(|e| usage(format!("starting the reference server: {e}")))?;
    for o in &args.idp_public_origins {
        let token = idp.endpoints().token.replacen(idp.origin(), o, 1);
        idp.add_public_token_url(token);
    }
    println!("reference MCP server  {}", server.url());
    println!("mock IdP issuer       {}", idp.issuer());
    println!("Ctrl-C to stop.");
    use std::io::Write;
    std::io::stdout().flush()?;
    tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
    drop(server);
    idp.shutdown().await;
    Ok(())
}

#[derive(clap::Args)]
struct RecordArgs {
    /// `127.0.0.1:PORT=UPSTREAM_URL`: listen on the loopback address, forward to the upstream
    /// (repeatable: the MCP server, its authorization server…; port 0 picks a free one).
    #[arg(long = "route", required = true, value_parser = parse_route)]
    routes: Vec<harness::record::Route>,
    /// Where to write the redacted transcript (rewritten after every exchange).
    #[arg(long)]
    out: PathBuf,
    /// Rewrite each upstream's origin to its route's origin in responses (headers and bodies) and
    /// back in requests, so a client that starts at the proxied MCP URL stays on the proxies.
    #[arg(long)]
    rewrite_urls: bool,
}

fn parse_route(s: &str) -> Result<harness::record::Route, String> {
    s.parse().map_err(|e: harness::record::RecordError| e.to_string())
}

async fn run_record(args: RecordArgs) -> anyhow::Result<()> {
    use harness::record::{RecordOptions, Recording};
    let opts =
        RecordOptions { routes: args.routes.clone(), rewrite_urls: args.rewrite_urls, out: Some(args.out.clone()) };
    let rec = Recording::start(opts).await.map_err(|e| usage(e.to_string()))?;
    for (r, origin) in args.routes.iter().zip(rec.origins()) {
        println!("recording {origin} -> {}", r.upstream);
    }
    println!("writing {}", args.out.display());
    println!("Ctrl-C to stop.");
    use std::io::Write;
    std::io::stdout().flush()?;
    tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
    rec.shutdown().await.with_context(|| format!("writing {}", args.out.display()))?;
    Ok(())
}

/// A capture file's transcript (a HAR imported and redacted on the way) and its text.
fn read_capture(capture: &std::path::Path) -> anyhow::Result<(mock_client::Transcript, String)> {
    let size = std::fs::metadata(capture).with_context(|| format!("reading {}", capture.display()))?.len();
    if size > harness::har::MAX_HAR_BYTES as u64 {
        return Err(usage(format!(
            "{}: {size} bytes; at most {} are read",
            capture.display(),
            harness::har::MAX_HAR_BYTES
        )));
    }
    let text = std::fs::read_to_string(capture).with_context(|| format!("reading {}", capture.display()))?;
    let t =
        match harness::offline::CaptureFile::parse(&text).map_err(|e| usage(format!("{}: {e}", capture.display())))? {
            harness::offline::CaptureFile::Record { transcript, .. } => transcript,
            harness::offline::CaptureFile::Transcript(t) => t,
        };
    Ok((t, text))
}

/// `profiles infer CAPTURE`.
fn run_profile_infer(
    capture: &std::path::Path,
    base: &str,
    name: Option<String>,
    observed: Option<String>,
    out: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    let base = mock_client::profile::load(base)?;
    let (t, text) = read_capture(capture)?;
    let har_date = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .filter(harness::har::is_har)
        .and_then(|_| harness::har::import(&text).ok())
        .and_then(|i| i.started);
    let observed = match observed.or(har_date) {
        Some(d) => d,
        None => {
            let modified = std::fs::metadata(capture)?.modified()?;
            let secs = modified.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
            utc_date(secs)
        }
    };
    let stem = capture.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "capture".into());
    let source = capture.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let prov = harness::profile_infer::Provenance {
        name: name.unwrap_or_else(|| format!("captured-{stem}")),
        observed,
        source: sanitize::line(&source).into_owned(),
    };
    let inferred = harness::profile_infer::infer(&base, &t, &prov);
    match out {
        Some(path) => std::fs::write(path, &inferred.yaml).with_context(|| format!("writing {}", path.display()))?,
        None => emit(&inferred.yaml)?,
    }
    for (field, why) in &inferred.unresolved {
        eprintln!("not written: {field}: {why}");
    }
    Ok(())
}

/// `YYYY-MM-DD` of a Unix time (UTC; the civil-from-days conversion of the proleptic Gregorian
/// calendar).
fn utc_date(secs: u64) -> String {
    let days = (secs / 86_400) as i64 + 719_468;
    let era = days.div_euclid(146_097);
    let doe = days.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `profiles diff PROFILE CAPTURE`.
fn run_profile_diff(profile: &str, capture: &std::path::Path, format: DiffFormat) -> anyhow::Result<Ending> {
    use std::fmt::Write;
    let p = mock_client::profile::load(profile)?;
    let (t, _) = read_capture(capture)?;
    let d = harness::profile_diff::diff(&p, &t);
    let mut out = String::new();
    match format {
        DiffFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&d)?)?,
        DiffFormat::Text => {
            if d.is_same() {
                writeln!(
                    out,
                    "no difference from {} ({} fields compared, {} not in the capture)",
                    p.name,
                    d.same.len(),
                    d.unobserved.len()
                )?;
            } else {
                writeln!(out, "{} difference(s) from {}:", d.differences.len(), p.name)?;
            }
            for x in &d.differences {
                let at = x.seq.map(|s| format!(" (exchange #{s})")).unwrap_or_default();
                writeln!(
                    out,
                    "  {}{at}\n    profile:  {}\n    captured: {}",
                    x.field,
                    sanitize::line(&x.profile.to_string()),
                    sanitize::line(&x.captured.to_string())
                )?;
            }
            if !d.unobserved.is_empty() {
                writeln!(out, "not in the capture: {}", d.unobserved.join(", "))?;
            }
        }
    }
    emit(&out)?;
    Ok(if d.is_same() { Ending::AsExpected } else { Ending::ServerFailed })
}
// --- end #15 serve ---
