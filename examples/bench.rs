//! The load driver of `scripts/bench`; prints one `NAME: VALUE` line per figure.
//!
//! `bench connect [--iterations N]` — the loopback floor (a trivial loopback HTTP round trip × 12
//! plus one RS256 signature by the mock IdP) and the p50 of one connect flow against the embedded
//! stack, for ChatGPT's `chatgpt-2026-cimd` and the spec client.
//!
//! `bench idp --mock ISSUER --oidc-provider ISSUER [--seconds S] [--rounds R] [--only ENDPOINT]` — the same load
//! generator against both IdPs at concurrency 1, 8 and 64 for metadata, JWKS, registration, the code
//! flow and the refresh grant; the two are alternated round by round and the medians compared, so
//! other load on the machine hits both alike.
//!
//! Speed is measured here, never asserted in a test.

#[path = "../benches/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{CONNECT_PROFILES, Endpoints, Op, Stack, median, percentile};

/// Round trips of one connect flow that the floor counts (discovery, registration or metadata
/// document, authorization, token, MCP initialise, initialised, tools/list and their 401s).
const ROUND_TRIPS: u32 = 12;

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

async fn connect_figures(iterations: usize) {
    // The floor: one pooled loopback round trip, and one signature.
    let url = support::echo_server().await;
    let http = support::load_client();
    let mut rtts = Vec::new();
    for i in 0..(iterations * 20 + 50) {
        let t = Instant::now();
        http.get(&url).send().await.expect("echo").bytes().await.expect("echo body");
        if i >= 50 {
            rtts.push(t.elapsed());
        }
    }
    rtts.sort();
    let stack = Stack::start().await;
    let mut signs = Vec::new();
    for i in 0..(iterations + 10) {
        let t = Instant::now();
        stack.idp.mint_valid(support::RESOURCE, &["mcp:read"]).expect("mint");
        if i >= 10 {
            signs.push(t.elapsed());
        }
    }
    signs.sort();
    let rtt = percentile(&rtts, 50);
    let sign = percentile(&signs, 50);
    let floor = rtt * ROUND_TRIPS + sign;
    println!("loopback.round-trip.p50-us: {:.0}", rtt.as_secs_f64() * 1e6);
    println!("rs256.sign.p50-us: {:.0}", sign.as_secs_f64() * 1e6);
    println!("floor.ms: {:.2}", ms(floor));
    for (i, name) in CONNECT_PROFILES.iter().enumerate() {
        let profile = mock_client::profile::builtin(name).expect("a shipped profile");
        for _ in 0..3 {
            stack.connect(&profile).await;
        }
        let mut times: Vec<Duration> = Vec::new();
        let (mut trips, mut signatures) = (0, 0);
        for _ in 0..iterations {
            let (took, n, s) = stack.connect_counted(&profile).await;
            times.push(took);
            (trips, signatures) = (n, s);
        }
        times.sort();
        let p50 = percentile(&times, 50);
        println!("connect.{name}.p50-ms: {:.2}", ms(p50));
        println!("connect.{name}.p90-ms: {:.2}", ms(percentile(&times, 90)));
        let ratio = p50.as_secs_f64() / floor.as_secs_f64();
        if i == 0 {
            println!("connect.p50.vs-floor: {ratio:.1}x");
        } else {
            println!("connect.spec.p50.vs-floor: {ratio:.1}x");
        }
        // The floor counts 12 round trips and one signature; this profile's flow makes
        // `trips` requests (ChatGPT's discovery tries more metadata URLs) and `signatures`
        // signatures. Its own floor says how far the harness is from what the flow must cost.
        let own = rtt * trips as u32 + sign * signatures as u32;
        println!("connect.{name}.round-trips: {trips}");
        println!("connect.{name}.signatures: {signatures}");
        println!("connect.{name}.flow-floor-ms: {:.2}", ms(own));
        println!("connect.{name}.p50.vs-flow-floor: {:.1}x", p50.as_secs_f64() / own.as_secs_f64());
    }
}

async fn idp_figures(mock: &str, oidc: &str, seconds: f64, rounds: usize, only: Option<&str>) {
    let http = support::load_client();
    let targets = [
        ("mock", Arc::new(Endpoints::discover(&http, mock).await)),
        ("oidc-provider", Arc::new(Endpoints::discover(&http, oidc).await)),
    ];
    let span = Duration::from_secs_f64(seconds);
    for op in Op::ALL.into_iter().filter(|op| only.is_none_or(|o| o == op.name())) {
        for c in [1usize, 8, 64] {
            let mut rates: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
            for round in 0..rounds {
                // Alternate which goes first, so a burst of outside load does not favour one.
                let order: [usize; 2] = if round % 2 == 0 { [0, 1] } else { [1, 0] };
                for t in order {
                    rates[t].push(support::load(&targets[t].1, op, c, span).await);
                }
            }
            let [ours, theirs] = rates.map(median);
            let name = op.name();
            println!("idp.{name}.c{c}.mock.ops-per-s: {ours:.0}");
            println!("idp.{name}.c{c}.oidc-provider.ops-per-s: {theirs:.0}");
            println!("idp.{name}.c{c}.vs-oidc-provider: {:.1}x", ours / theirs.max(f64::MIN_POSITIVE));
        }
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("connect") => {
            let n = arg(&args, "--iterations").and_then(|s| s.parse().ok()).unwrap_or(50);
            connect_figures(n).await;
        }
        Some("idp") => {
            let (Some(mock), Some(oidc)) = (arg(&args, "--mock"), arg(&args, "--oidc-provider")) else {
                eprintln!(
                    "usage: bench idp --mock ISSUER --oidc-provider ISSUER [--seconds S] [--rounds R] [--only ENDPOINT]"
                );
                std::process::exit(2);
            };
            let seconds = arg(&args, "--seconds").and_then(|s| s.parse().ok()).unwrap_or(1.0);
            let rounds = arg(&args, "--rounds").and_then(|s| s.parse().ok()).unwrap_or(3);
            let only = arg(&args, "--only");
            idp_figures(&mock, &oidc, seconds, rounds, only.as_deref()).await;
        }
        _ => {
            eprintln!("usage: bench connect [--iterations N] | bench idp --mock ISSUER --oidc-provider ISSUER");
            std::process::exit(2);
        }
    }
}
