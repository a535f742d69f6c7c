//! `cargo bench`: one connect flow against the embedded stack (the mock IdP and the reference MCP
//! server, as `run` uses them), each mock-IdP operation on its own, and the floor under them (a
//! loopback round trip, one RS256 signature). `scripts/bench` runs the side-by-side load against
//! oidc-provider; this is the per-operation view, for profiling one change.

mod support;

use std::sync::Arc;
use support::{CONNECT_PROFILES, Endpoints, Op, Stack, Worker};

fn main() {
    divan::main();
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime")
}

#[divan::bench(args = CONNECT_PROFILES, sample_count = 30)]
fn connect(bencher: divan::Bencher, name: &str) {
    let rt = runtime();
    let stack = rt.block_on(Stack::start());
    let profile = mock_client::profile::builtin(name).expect("a shipped profile");
    bencher.bench_local(|| rt.block_on(stack.connect(&profile)));
}

#[divan::bench(args = Op::ALL, sample_count = 50)]
fn mock_idp(bencher: divan::Bencher, op: Op) {
    let rt = runtime();
    let stack = rt.block_on(Stack::start());
    let mut worker = rt.block_on(async {
        let ep = Arc::new(Endpoints::discover(&support::load_client(), stack.idp.issuer()).await);
        Worker::new(ep).await
    });
    bencher.bench_local(|| rt.block_on(worker.run(op)));
}

#[divan::bench]
fn loopback_round_trip(bencher: divan::Bencher) {
    let rt = runtime();
    let url = rt.block_on(support::echo_server());
    let http = support::load_client();
    bencher
        .bench_local(|| rt.block_on(async { http.get(&url).send().await.expect("echo").bytes().await.expect("body") }));
}

#[divan::bench]
fn rs256_sign(bencher: divan::Bencher) {
    let rt = runtime();
    let stack = rt.block_on(Stack::start());
    bencher.bench_local(|| stack.idp.mint_valid(support::RESOURCE, &["mcp:read"]).expect("mint"));
}
