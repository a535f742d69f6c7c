//! Starting real servers for end-to-end tests: the venv the test command installs, free loopback
//! ports, readiness polling, and children that die with the test.

#![allow(dead_code)]

pub mod real;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The Python of the venv `scripts/install-deps.sh` made, or `None` when it is not installed.
///
/// Without it the real-server tests cannot run. Under the README's test command
/// (`CONNECTOR_HARNESS_REQUIRE_REAL_SERVERS=1`) that is a failure; under a bare `cargo test` the
/// test says so and returns, so a contributor without Python still gets a useful run.
pub fn venv_python() -> Option<PathBuf> {
    let deps =
        std::env::var_os("CONNECTOR_HARNESS_DEPS").map(PathBuf::from).unwrap_or_else(|| repo().join(".cache/deps"));
    let py = deps.join("venv/bin/python");
    if py.exists() {
        return Some(py);
    }
    if std::env::var_os("CONNECTOR_HARNESS_REQUIRE_REAL_SERVERS").is_some() {
        panic!("real servers are required but {} is missing: run scripts/install-deps.sh", py.display());
    }
    eprintln!(
        "skipping: real servers not installed ({} missing); run scripts/install-deps.sh or ./scripts/test",
        py.display()
    );
    None
}

/// A port that was free a moment ago on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A child process killed when dropped.
pub struct Server {
    pub child: Child,
    pub port: u16,
}

/// Spawns `program args` with `env`, and waits until the port accepts connections (at most 30 s).
pub async fn spawn(program: &PathBuf, args: &[&str], env: &[(&str, String)], port: u16) -> Server {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(repo())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("spawning {}: {e}", program.display()));
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return Server { child, port };
        }
        if let Ok(Some(status)) = child.try_wait() {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                use tokio::io::AsyncReadExt;
                let _ = e.read_to_string(&mut err).await;
            }
            panic!("{} exited with {status} before listening:\n{err}", program.display());
        }
        assert!(Instant::now() < deadline, "{} did not listen on {port} within 30 s", program.display());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// An HTTP client that never follows redirects, with a timeout.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(15))
        .no_proxy()
        .build()
        .unwrap()
}

/// A file under the deps directory the test command installs, or `None` (see [`venv_python`] for
/// what a missing install means).
pub fn dep(rel: &str) -> Option<PathBuf> {
    let deps =
        std::env::var_os("CONNECTOR_HARNESS_DEPS").map(PathBuf::from).unwrap_or_else(|| repo().join(".cache/deps"));
    let p = deps.join(rel);
    if p.exists() {
        return Some(p);
    }
    if std::env::var_os("CONNECTOR_HARNESS_REQUIRE_REAL_SERVERS").is_some() {
        panic!("{} is required but missing: run scripts/install-deps.sh", p.display());
    }
    eprintln!("skipping: {} is not installed; run scripts/install-deps.sh or bash scripts/test", p.display());
    None
}

/// Node 22 from npm's `node@22` package.
pub fn node22() -> Option<PathBuf> {
    dep("node22/node_modules/node/bin/node")
}

/// Starts oidc-provider (Node 22) on a free loopback port; returns the child and its issuer.
pub async fn oidc_provider() -> Option<(Child, String)> {
    use tokio::io::AsyncBufReadExt;
    let node = node22()?;
    dep("oidc-provider/node_modules/oidc-provider")?;
    let mut child = Command::new(node)
        .arg("tests/servers/oidc_provider.mjs")
        .env("OIDC_PORT", "0")
        .current_dir(repo())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("spawning oidc-provider");
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("oidc-provider did not get ready within 30 s")
        .unwrap()
        .expect("oidc-provider exited before it was ready");
    let ready: serde_json::Value = serde_json::from_str(&line).unwrap();
    Some((child, ready["issuer"].as_str().unwrap().to_owned()))
}

/// Runs the `connector-harness` binary from the repository root and waits for it.
pub fn bin(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_connector-harness")).args(args).current_dir(repo()).output().unwrap()
}

/// Everything a run printed, stdout then stderr.
pub fn text(o: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// A fresh, empty temporary directory for this test process (`name` keeps tests apart).
pub fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ch-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}
