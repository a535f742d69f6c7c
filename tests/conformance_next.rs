//! Our client in the client leg of the official MCP conformance suite 0.2.0-alpha.12
//! (`@modelcontextprotocol/conformance`, installed beside 0.1.16 as `conformance-next`; it needs
//! Node 22), run with `--requirements <revision>`: exactly the client scenarios a spec revision
//! requires, frozen at its release.
//!
//! The suite drives every client scenario with one command; scenarios that want scenario-specific
//! behaviour (call `add_numbers`, answer an elicitation, reconnect an SSE stream, send custom
//! headers) cannot be served by `client --call test-tool`. Those are listed in the baseline files
//! under `tests/conformance-next/<revision>/` with that reason: a limit of how the suite drives us,
//! not a finding about the client. Everything else must pass: under `2026-07-28` every scored auth
//! scenario plus `request-metadata` and `http-standard-headers`; under `2025-11-25` every scored
//! auth scenario. A listed scenario that starts passing fails the run too (the suite reports it as
//! stale), so the baselines stay exact.

mod support;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::*;

const CLI: &str = "conformance-next/node_modules/@modelcontextprotocol/conformance/dist/index.js";

/// Client scenarios both revisions run and report but never score (extensions: grant types and
/// DPoP our client does not implement).
const UNSCORED: &[&str] = &[
    "auth/client-credentials-jwt",
    "auth/client-credentials-basic",
    "auth/enterprise-managed-authorization",
    "auth/dpop",
    "auth/dpop-nonce",
    "auth/wif-jwt-bearer",
    "json-schema-2020-12-preservation",
];

/// One suite run at a time: each starts a dozen mock servers and client processes, and two at once
/// on a busy machine have made a scenario's first request fail with a connection reset.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A scored auth scenario.
fn scored_auth(s: &str) -> bool {
    s.starts_with("auth/") && !UNSCORED.contains(&s)
}

/// Runs the suite's client leg with `what` (which scenarios, and how) against our client under
/// `profile`, writing results to a fresh directory named by `tag`; returns (exit code, output,
/// results dir).
fn suite<S: AsRef<OsStr>>(
    node: &Path,
    tag: &str,
    profile: &str,
    what: impl IntoIterator<Item = S>,
) -> (Option<i32>, String, PathBuf) {
    let cli = dep(CLI).expect("checked by the caller");
    let out = std::env::temp_dir().join(format!("ch-conformance-next-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    // `exec` so the suite's timeout kills our process, not just the shell around it.
    let command =
        format!("exec {} client --profile {profile} --call test-tool", env!("CARGO_BIN_EXE_connector-harness"));
    let o = Command::new(node)
        .current_dir(repo())
        .args(["--import", "./tests/servers/loopback_only.mjs"])
        .arg(&cli)
        .arg("client")
        .args(what)
        .args(["--timeout", "30000", "--command", &command, "-o"])
        .arg(&out)
        .output()
        .expect("running the conformance suite");
    let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    (o.status.code(), text, out)
}

/// Runs the client scenarios of `revision` with our client under `profile`, `baseline` naming
/// the expected failures.
fn run_suite(node: &Path, revision: &str, profile: &str, baseline: &Path) -> (Option<i32>, String, PathBuf) {
    let what =
        [OsStr::new("--requirements"), OsStr::new(revision), OsStr::new("--expected-failures"), baseline.as_os_str()];
    suite(node, &format!("{revision}-{profile}"), profile, what)
}

/// Every (scenario, check id, status) that is a FAILURE or WARNING in a results directory, and
/// the scenarios seen. Results sit in `<out>/<scenario>-<timestamp>/` and `<out>/auth/…`.
fn problems(out: &Path) -> (Vec<String>, Vec<(String, String, String)>) {
    let mut found = Vec::new();
    let mut scenarios = Vec::new();
    let mut dirs: Vec<(String, PathBuf)> = Vec::new();
    for d in std::fs::read_dir(out).expect("results written").flatten() {
        let name = d.file_name().to_string_lossy().into_owned();
        if name == "auth" {
            for a in std::fs::read_dir(d.path()).unwrap().flatten() {
                dirs.push((format!("auth/{}", a.file_name().to_string_lossy()), a.path()));
            }
        } else if d.path().join("checks.json").exists() {
            dirs.push((name, d.path()));
        }
    }
    for (name, path) in dirs {
        // `<scenario>-<ISO timestamp>`: the timestamp starts with `-2`.
        let scenario = scenario_of(&name).to_owned();
        let checks: serde_json::Value =
            serde_json::from_slice(&std::fs::read(path.join("checks.json")).unwrap()).unwrap();
        for c in checks.as_array().unwrap() {
            let status = c["status"].as_str().unwrap_or_default();
            if status == "FAILURE" || status == "WARNING" {
                found.push((scenario.clone(), c["id"].as_str().unwrap_or_default().to_owned(), status.to_owned()));
            }
        }
        scenarios.push(scenario);
    }
    scenarios.sort();
    found.sort();
    (scenarios, found)
}

/// The scenarios a baseline lists.
/// The scenario a result directory holds: the suite names it `<scenario>-<ISO time>`
/// (`auth/dpop-2026-11-30T07-20-15-842Z`). Cut at the timestamp itself, not at a `-20`: times
/// hold `-20` (minute or second 20) and so do scenario names (`json-schema-2020-12-…`).
fn scenario_of(dir: &str) -> &str {
    let stamp = |b: &[u8]| {
        let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
        b.len() >= 12
            && b[0] == b'-'
            && digits(1..5)
            && b[5] == b'-'
            && digits(6..8)
            && b[8] == b'-'
            && digits(9..11)
            && b[11] == b'T'
    };
    (0..dir.len()).rev().find(|&i| stamp(&dir.as_bytes()[i..])).map_or(dir, |i| &dir[..i])
}

#[test]
fn result_directories_name_their_scenario_whatever_the_time() {
    for (dir, scenario) in [
        ("auth/client-credentials-basic-2026-11-30T07-20-15-842Z", "auth/client-credentials-basic"),
        ("auth/dpop-2026-11-30T05-49-20-205Z", "auth/dpop"),
        ("json-schema-2020-12-preservation-2026-11-30T20-20-20-200Z", "json-schema-2020-12-preservation"),
        ("initialize-2026-11-30T05-49-25-826Z", "initialize"),
        ("no-timestamp", "no-timestamp"),
    ] {
        assert_eq!(scenario_of(dir), scenario, "{dir}");
    }
}

fn listed(baseline: &Path) -> Vec<String> {
    std::fs::read_to_string(baseline)
        .unwrap()
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- "))
        .map(str::to_owned)
        .collect()
}

/// Runs one revision under one profile and asserts: the suite agrees with the baseline (exit 0),
/// every listed scenario really failed, and none of `must_pass` shows a failure or warning.
fn check(revision: &str, profile: &str, must_pass: impl Fn(&str) -> bool) {
    let Some(node) = node22() else { return };
    if dep(CLI).is_none() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let baseline = repo().join(format!("tests/conformance-next/{revision}/{profile}.yaml"));
    let started = std::time::Instant::now();
    let (code, text, out) = run_suite(&node, revision, profile, &baseline);
    let (scenarios, bad) = problems(&out);
    eprintln!("{revision} / {profile}: {} scenarios in {:.1} s", scenarios.len(), started.elapsed().as_secs_f64());
    let required: Vec<&(String, String, String)> = bad.iter().filter(|(s, _, _)| must_pass(s)).collect();
    assert!(required.is_empty(), "{revision} / {profile}: failures in required scenarios: {required:#?}\n{text}");
    for s in listed(&baseline) {
        assert!(!must_pass(&s), "{revision} / {profile}: {s} is required to pass and may not be baselined");
        assert!(bad.iter().any(|(b, _, _)| *b == s), "{revision} / {profile}: {s} is listed but did not fail");
    }
    assert_eq!(
        code,
        Some(0),
        "{revision} / {profile}: the suite's verdicts differ from {}:\n{text}\n{bad:#?}",
        baseline.display()
    );
}

#[test]
fn spec_2026_profile_passes_the_2026_07_28_auth_and_header_scenarios() {
    check("2026-07-28", "mcp-spec-2026-07-28", |s| {
        scored_auth(s) || s == "http-standard-headers" || s == "request-metadata"
    });
}

#[test]
fn spec_2025_profile_passes_every_2025_11_25_auth_scenario() {
    check("2025-11-25", "mcp-spec-2025-11-25", scored_auth);
}

/// One scenario at `--spec-version 2025-11-25 --force` under `profile` (a name or a file); returns
/// its checks.
fn one_scenario(node: &Path, scenario: &str, profile: &str) -> Vec<serde_json::Value> {
    let who = if profile.ends_with(".yaml") { "file" } else { profile };
    let tag = format!("{}-{who}", scenario.replace('/', "-"));
    let what = ["--scenario", scenario, "--spec-version", "2025-11-25", "--force"];
    let (_, text, out) = suite(node, &tag, profile, what);
    let dir = std::fs::read_dir(out.join("auth"))
        .unwrap_or_else(|e| panic!("{scenario}: no results ({e}): {text}"))
        .flatten()
        .next()
        .expect("one result directory");
    let checks: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("checks.json")).unwrap()).unwrap();
    checks.as_array().unwrap().clone()
}

fn check_of<'a>(checks: &'a [serde_json::Value], id: &str) -> &'a serde_json::Value {
    checks.iter().find(|c| c["id"] == id).unwrap_or_else(|| panic!("no check {id}: {checks:#?}"))
}

/// The 2026-07-28 OAuth rules, checked by the suite's own scenarios on the 2025-11-25 wire (the
/// modern MCP path is another profile's part): with the rules on, the client re-registers at a new
/// AS and keeps its credentials from it (C-33) and re-authorizes with the union of scopes (C-35);
/// the 2025-11-25 profile, without them, does neither — so each check can fail.
#[test]
fn the_2026_oauth_rules_pass_the_suites_migration_and_step_up_scenarios() {
    let Some(node) = node22() else { return };
    if dep(CLI).is_none() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let with = repo().join("tests/conformance-next/oauth-2026-on-2025-wire.yaml");
    let with = with.to_str().unwrap();
    let migration = "auth/authorization-server-migration";
    let c = one_scenario(&node, migration, with);
    for id in ["sep-2352-reregister-on-as-change", "sep-2352-no-reuse-on-as-change"] {
        assert_eq!(check_of(&c, id)["status"], "SUCCESS", "{id}: {c:#?}");
    }
    let without = one_scenario(&node, migration, "mcp-spec-2025-11-25");
    assert_eq!(check_of(&without, "sep-2352-reregister-on-as-change")["status"], "FAILURE");

    let scope = |profile: &str| {
        let c = one_scenario(&node, "auth/scope-step-up", profile);
        check_of(&c, "scope-step-up-escalation")["details"]["requestedScope"].as_str().unwrap_or_default().to_owned()
    };
    assert_eq!(scope(with), "mcp:basic mcp:write", "the union of the first and the challenged scope");
    assert_eq!(scope("mcp-spec-2025-11-25"), "mcp:write", "without the rule: only the challenged scope");
}
