//! `connector-harness run` and `check` as CI calls them: exit codes, report files, baselines.

mod support;

use support::{bin, text, tmp};

#[test]
fn the_default_run_is_green_and_writes_every_report() {
    let dir = tmp("reports");
    let o = bin(&["run", "--no-color", "--report-dir", dir.to_str().unwrap()]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    let last = String::from_utf8_lossy(&o.stdout).lines().last().unwrap_or_default().to_owned();
    assert!(last.ends_with(" passed, 0 failed"), "{last}");
    // A green run shows only the totals on standard output (#16: at most 40 lines); the progress
    // went to standard error, one line per scenario as this is not a terminal.
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(stdout.lines().count() <= 40, "{} lines:\n{stdout}", stdout.lines().count());
    assert!(stdout.contains("scenarios as expected (-v lists every finding)"), "{stdout}");

    // JSON: parses and holds every scenario with its verdict.
    let report = harness::report::json::parse(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    let passed: usize = last.split(' ').next().unwrap().parse().unwrap();
    assert_eq!(report.results.len(), passed);
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    for r in &report.results {
        assert!(stderr.contains(&r.name), "{} missing from the progress lines", r.name);
        assert!(!r.run.transcript.exchanges.is_empty());
    }
    let verdicts: Vec<&str> = report.results.iter().map(|r| r.verdict.as_str()).collect();
    assert!(verdicts.iter().any(|v| v.contains("ChatGPT (2026 CIMD profile) would connect")), "{verdicts:?}");
    assert!(
        verdicts
            .iter()
            .any(|v| v.contains("would fail: \"Failed to resolve OAuth client for MCP connector: http://127.0.0.1:")),
        "{verdicts:?}"
    );
    // JUnit: valid XML with one testcase per scenario.
    let xml = std::fs::read_to_string(dir.join("junit.xml")).unwrap();
    let parsed = quick_junit::Report::deserialize_from_str(&xml).expect("valid JUnit XML");
    let cases: usize = parsed.test_suites.iter().map(|s| s.test_cases.len()).sum();
    assert_eq!(cases, report.results.len());
    // Markdown with a Mermaid diagram per scenario; checks.json per scenario.
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert_eq!(md.matches("```mermaid").count(), report.results.len());
    assert_eq!(std::fs::read_dir(dir.join("checks")).unwrap().count(), report.results.len());
}

#[test]
fn baseline_semantics_drive_the_exit_code() {
    let failing = "tests/scenarios/expects-connect-to-broken-server.yaml";
    let passing = "tests/scenarios/passes.yaml";
    let dir = tmp("baseline");
    let write = |name: &str, body: &str| {
        let p = dir.join(name);
        std::fs::write(&p, body).unwrap();
        p.to_str().unwrap().to_owned()
    };
    // No baseline: the failure is a finding → 1.
    assert_eq!(bin(&["run", "--no-color", failing]).status.code(), Some(1));
    // Listed failure → 0.
    let listed = write("listed.yaml", "expected_failures:\n  - expects to connect to a server without PRM\n");
    let o = bin(&["run", "--no-color", failing, passing, "--baseline", &listed]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // Unlisted failure → 1.
    let other = write("other.yaml", "expected_failures: []\n");
    assert_eq!(bin(&["run", "--no-color", failing, "--baseline", &other]).status.code(), Some(1));
    // Listed but now passing (stale) → 1.
    let stale = write("stale.yaml", "expected_failures:\n  - connects to the reference server\n");
    let o = bin(&["run", "--no-color", passing, "--baseline", &stale]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).to_lowercase().contains("stale"), "{}", text(&o));
    // A per-finding entry.
    let per = write("per.yaml", "expected_failures:\n  - \"expects to connect to a server without PRM:GPT-01\"\n");
    let o = bin(&["run", "--no-color", failing, "--baseline", &per]);
    assert_eq!(o.status.code(), Some(1), "other findings of that scenario still fail it: {}", text(&o));
}

#[test]
fn usage_errors_exit_2_and_point_at_the_line() {
    let dir = tmp("usage");
    let bad = dir.join("bad.yaml");
    std::fs::write(&bad, "name: x\nsteps:\n  - conect\n").unwrap();
    let o = bin(&["run", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let t = text(&o);
    assert!(t.contains("bad.yaml") && t.contains("line 3") && t.contains("conect"), "{t}");
    assert_eq!(bin(&["run", "--filter", "no-such-scenario-anywhere"]).status.code(), Some(2));
    assert_eq!(bin(&["run", "--profile", "chatgpt-1999"]).status.code(), Some(2));
    assert_eq!(bin(&["check"]).status.code(), Some(2), "--target is required");
}

#[test]
fn check_a_url_with_no_scenario_file() {
    // The reference server started by the `idp`-less path: run one in-process and check it.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (idp, server) = rt.block_on(async {
        let idp = mock_idp::MockIdp::builder().start().await.unwrap();
        let server = harness::testing::reference_server(&idp).await;
        (idp, server)
    });
    let url = server.url().to_owned();
    let o = std::thread::spawn(move || {
        bin(&[
            "check",
            "--no-color",
            "--target",
            &url,
            "--profile",
            "chatgpt-2026-cimd",
            "--profile",
            "mcp-spec-2025-11-25",
        ])
    })
    .join()
    .unwrap();
    let t = text(&o);
    assert_eq!(o.status.code(), Some(0), "{t}");
    assert!(
        t.contains("ChatGPT (2026 CIMD profile) would connect")
            && t.contains("MCP spec 2025-11-25 client would connect"),
        "{t}"
    );
    for id in ["RS-01", "RS-05", "RS-06", "RS-09", "RS-15", "GPT-01", "GPT-02", "H-13"] {
        assert!(t.contains(&format!("SUCCESS  {id}")), "{id} not checked:\n{t}");
    }
    drop((server, idp, rt));
}

/// Without `--profile`, `check` and `client` ask about today's ChatGPT
/// ([`mock_client::profile::TODAYS_CHATGPT`]), and the help and the README say so. The server is
/// the reference server in its 2026-07-28-only era, where the answer differs: today's ChatGPT
/// connects through `server/discover`, the dated 2026 profile (`initialize` only) does not.
#[test]
fn check_and_client_ask_about_today_s_chatgpt_by_default() {
    use harness::reference::{Era, ReferenceServer};
    use mock_client::profile::{TODAYS_CHATGPT, builtin};
    let today = builtin(TODAYS_CHATGPT).unwrap();
    let dated = builtin("chatgpt-2026-cimd").unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (idp, server) = rt.block_on(async {
        let idp = mock_idp::MockIdp::builder().start().await.unwrap();
        let server = ReferenceServer::builder()
            .issuer(idp.issuer())
            .jwks_uri(idp.jwks_uri())
            .era(Era::Modern)
            .start()
            .await
            .unwrap();
        (idp, server)
    });
    let url = server.url().to_owned();
    let (check, dated_check, client) = std::thread::spawn(move || {
        (
            bin(&["check", "--no-color", "--target", &url]),
            bin(&["check", "--no-color", "--target", &url, "--profile", "chatgpt-2026-cimd"]),
            bin(&["client", &url]),
        )
    })
    .join()
    .unwrap();
    let t = text(&check);
    assert_eq!(check.status.code(), Some(0), "{t}");
    assert!(t.contains(&format!("check {TODAYS_CHATGPT}")) && !t.contains("check chatgpt-2026-cimd"), "{t}");
    assert!(t.contains(&format!("{} would connect", today.display)), "{t}");
    let latest = today.latest_observation().unwrap();
    assert!(t.contains(&format!("judging as {}", today.display)) && t.contains(&latest), "{t}");
    assert!(t.contains("--profile chatgpt-2026-cimd"), "says how to ask about a dated profile: {t}");
    let t = text(&dated_check);
    assert_eq!(dated_check.status.code(), Some(1), "{t}");
    assert!(t.contains(&format!("{} would fail", dated.display)) && !t.contains("no --profile"), "{t}");
    let t = text(&client);
    assert_eq!(client.status.code(), Some(0), "{t}");
    assert!(t.contains(&format!("{} would connect", today.display)), "{t}");
    drop((server, idp, rt));

    let help = |cmd: &str| String::from_utf8_lossy(&bin(&[cmd, "--help"]).stdout).replace(['\n', ' '], "");
    assert!(help("check").contains(&format!("default{TODAYS_CHATGPT}")), "{}", help("check"));
    assert!(help("client").contains(&format!("[default:{TODAYS_CHATGPT}]")), "{}", help("client"));
    let list = String::from_utf8_lossy(&bin(&["profiles", "list"]).stdout).into_owned();
    let marked: Vec<&str> = list.lines().filter(|l| l.contains("(default")).collect();
    assert!(marked.len() == 1 && marked[0].starts_with(TODAYS_CHATGPT), "profiles list marks the default: {list}");
    let readme = std::fs::read_to_string(support::repo().join("README.md")).unwrap();
    let check_row = readme.lines().find(|l| l.starts_with("| `check --target URL`")).unwrap();
    assert!(check_row.contains(&format!("default `{TODAYS_CHATGPT}`")), "{check_row}");
    assert!(readme.contains(&format!("its default profile is `{TODAYS_CHATGPT}`")), "the README's `check` section");
}

#[test]
fn cli_snapshots_are_insta_files_with_a_readable_diff_and_an_update_flag() {
    let dir = tmp("snapshots");
    let scenario = dir.join("snap.yaml");
    let write = |profile: &str| {
        std::fs::write(
            &scenario,
            format!("name: snapshot demo\ntarget: {{reference: {{}}}}\nprofile: {profile}\nexpect: {{outcome: connected, snapshot: demo}}\n"),
        )
        .unwrap()
    };
    write("chatgpt-2025-09-dcr-basic");
    let s = scenario.to_str().unwrap();
    // No snapshot yet: fails and leaves `.snap.new` for `cargo insta review`.
    let o = bin(&["run", "--no-color", s]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(dir.join("snapshots/demo.snap.new").exists());
    // Accept it.
    assert_eq!(bin(&["run", "--no-color", "--update-snapshots", s]).status.code(), Some(0));
    let snap = std::fs::read_to_string(dir.join("snapshots/demo.snap")).unwrap();
    assert!(
        snap.starts_with("---\nsource: ")
            && snap.contains("verdict: ChatGPT (2025-09 DCR, Basic client auth) would connect")
    );
    assert!(!dir.join("snapshots/demo.snap.new").exists());
    // Same run: matches (the normalisation is stable across ports and random values).
    let o = bin(&["run", "--no-color", s]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // A change on the wire shows as a diff.
    write("chatgpt-2025-dcr");
    let o = bin(&["run", "--no-color", s]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(
        t.contains("-   > user-agent: Python/3.12 aiohttp/3.9.5")
            && t.contains("+   > user-agent: Python/3.12 aiohttp/3.13.5"),
        "{t}"
    );
}
