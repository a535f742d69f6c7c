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
    /// Run the mock OAuth 2.1 identity provider on 127.0.0.1 until Ctrl-C.
    Idp(IdpArgs),
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
        Command::Idp(args) => run_idp(args).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
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
