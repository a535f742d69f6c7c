//! The `connector-harness` binary as a user runs it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_connector-harness"))
}

#[test]
fn idp_command_prints_its_urls_and_serves_them() {
    let mut child = bin()
        .args(["idp", "--issuer-path", "/tenant1", "--quirk", "no_registration_endpoint", "--login", "form"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut lines = Vec::new();
    while Instant::now() < deadline && !lines.iter().any(|l: &String| l.starts_with("Ctrl-C")) {
        let mut l = String::new();
        if out.read_line(&mut l).unwrap() == 0 {
            break;
        }
        lines.push(l);
    }
    let text = lines.concat();
    let issuer = text
        .lines()
        .next()
        .and_then(|l| l.split("issuer ").nth(1))
        .unwrap_or_else(|| panic!("{text}"))
        .trim()
        .to_owned();
    assert!(issuer.starts_with("http://127.0.0.1:") && issuer.ends_with("/tenant1"), "{text}");
    assert!(text.contains("/.well-known/oauth-authorization-server/tenant1"), "{text}");
    assert!(text.contains("registration   (none: no_registration_endpoint)"), "{text}");
    // The login mode as the user typed it, not the Rust variant's name.
    assert!(text.contains("  login form; quirks: no_registration_endpoint"), "{text}");
    let origin = issuer.trim_end_matches("/tenant1");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let meta: serde_json::Value = rt.block_on(async {
        reqwest::get(format!("{origin}/.well-known/oauth-authorization-server/tenant1"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    assert_eq!(meta["issuer"], issuer);
    assert!(meta.get("registration_endpoint").is_none());
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn bad_quirks_and_configs_are_usage_errors() {
    let o = bin().args(["idp", "--quirk", "no_such_quirk"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown quirk `no_such_quirk`"));
    let dir = std::env::temp_dir().join(format!("ch-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("idp.yaml");
    std::fs::write(&cfg, "login: form\nquirkz: [no_audience]\n").unwrap();
    let o = bin().args(["idp", "--config", cfg.to_str().unwrap()]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("quirkz") && err.contains("line 2"), "{err}");
    let o = bin().args(["idp", "--list-quirks"]).output().unwrap();
    assert!(o.status.success());
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), mock_idp::Quirk::ALL_NAMES.len());
}
