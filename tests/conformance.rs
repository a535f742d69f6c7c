//! Our client in the client leg of the official MCP conformance suite
//! (`@modelcontextprotocol/conformance` 0.1.16, `--suite auth`, 14 scenarios).
//!
//! Under `mcp-spec-2025-11-25` it must pass everything. Under the other profiles the suite's
//! verdicts must match `tests/conformance/<profile>.yaml` exactly — each entry there is a
//! documented behaviour of the real client with its source — so a change in either our client or
//! the suite shows up here (an unlisted failure fails, and so does a listed scenario that passes).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use support::*;

/// Runs the auth suite with our client under `profile`; returns (exit code, output, results dir).
fn run_suite(node: &Path, profile: &str, baseline: Option<&Path>) -> (Option<i32>, String, PathBuf) {
    let cli =
        dep("conformance/node_modules/@modelcontextprotocol/conformance/dist/index.js").expect("checked by the caller");
    let out = std::env::temp_dir().join(format!("ch-conformance-{profile}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    // `exec` so the suite's timeout kills our process, not just the shell around it.
    let command =
        format!("exec {} client --profile {profile} --call test-tool", env!("CARGO_BIN_EXE_connector-harness"));
    let mut cmd = Command::new(node);
    cmd.current_dir(repo())
        .args(["--import", "./tests/servers/loopback_only.mjs"])
        .arg(&cli)
        .args(["client", "--suite", "auth", "--timeout", "30000", "--command", &command, "-o"])
        .arg(&out);
    if let Some(b) = baseline {
        cmd.arg("--expected-failures").arg(b);
    }
    let o = cmd.output().expect("running the conformance suite");
    let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    (o.status.code(), text, out)
}

/// Every (scenario, check id, status) that is a FAILURE or WARNING in a results directory.
fn problems(out: &Path) -> (usize, Vec<(String, String, String)>) {
    let mut found = Vec::new();
    let mut scenarios = 0;
    for dir in std::fs::read_dir(out.join("auth")).expect("results written").flatten() {
        scenarios += 1;
        let name = dir.file_name().to_string_lossy().split("-2").next().unwrap_or_default().to_owned();
        let checks: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join("checks.json")).unwrap()).unwrap();
        for c in checks.as_array().unwrap() {
            let status = c["status"].as_str().unwrap_or_default();
            if status == "FAILURE" || status == "WARNING" {
                found.push((name.clone(), c["id"].as_str().unwrap_or_default().to_owned(), status.to_owned()));
            }
        }
    }
    found.sort();
    (scenarios, found)
}

#[test]
fn spec_profile_passes_the_whole_auth_suite() {
    let Some(node) = node22() else { return };
    if dep("conformance/node_modules/@modelcontextprotocol/conformance/dist/index.js").is_none() {
        return;
    }
    let (code, text, out) = run_suite(&node, "mcp-spec-2025-11-25", None);
    let (scenarios, bad) = problems(&out);
    assert_eq!(scenarios, 14, "{text}");
    assert!(bad.is_empty(), "failures and warnings under the spec profile: {bad:#?}\n{text}");
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("0 failed, 0 warnings"), "{text}");
}

#[test]
fn other_profiles_fail_exactly_their_documented_scenarios() {
    let Some(node) = node22() else { return };
    if dep("conformance/node_modules/@modelcontextprotocol/conformance/dist/index.js").is_none() {
        return;
    }
    for profile in [
        "chatgpt-2025-dcr",
        "chatgpt-2025-09-dcr-basic",
        "chatgpt-2026-cimd",
        "chatgpt-2026-cimd-stable-iss",
        "claude",
        "static-client-id",
    ] {
        let baseline = repo().join(format!("tests/conformance/{profile}.yaml"));
        let (code, text, out) = run_suite(&node, profile, Some(&baseline));
        let (scenarios, bad) = problems(&out);
        assert_eq!(scenarios, 14, "{profile}: {text}");
        assert_eq!(
            code,
            Some(0),
            "{profile}: the suite's verdicts differ from {}:\n{text}\n{bad:#?}",
            baseline.display()
        );
        // The baseline lists scenarios; make sure each listed one really failed for this client.
        let listed = std::fs::read_to_string(&baseline).unwrap();
        for line in listed.lines().filter_map(|l| l.trim().strip_prefix("- auth/")) {
            assert!(bad.iter().any(|(s, _, _)| s == line), "{profile}: {line} is listed but did not fail");
        }
    }
}
