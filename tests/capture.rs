//! #15: `serve`, `check --transcript` and `record` — a saved or recorded session judged offline by
//! the same checks as the live run.

use harness::model::{RunRecord, Status};
use harness::offline::{CaptureFile, NO_OUTCOME, check_capture};
use harness::reference::{Fault, ReferenceServer};
use harness::scenario::SpecVersion;
use mock_client::{Client, ConnectOptions, profile};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PROFILE: &str = "chatgpt-2026-cimd";

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_connector-harness"))
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ch-capture-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A child killed (after Ctrl-C, so it writes what it holds) when dropped.
struct Running(Child);

impl Running {
    fn interrupt(&mut self) {
        let _ = Command::new("kill").args(["-INT", &self.0.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if self.0.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Spawns the binary and reads its stdout until the `Ctrl-C` line; returns the lines.
fn spawn_until_ready(args: &[&str]) -> (Running, Vec<String>) {
    // Held in `Running` at once, so every path kills and waits for it.
    let mut running = Running(bin().args(args).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap());
    let mut out = BufReader::new(running.0.stdout.take().unwrap());
    let mut lines = Vec::new();
    loop {
        let mut l = String::new();
        if out.read_line(&mut l).unwrap_or(0) == 0 {
            panic!("{args:?} ended before it was ready: {lines:?}");
        }
        let l = l.trim_end().to_owned();
        let done = l.starts_with("Ctrl-C");
        lines.push(l);
        if done {
            return (running, lines);
        }
    }
}

fn field<'a>(lines: &'a [String], prefix: &str) -> &'a str {
    lines.iter().find_map(|l| l.strip_prefix(prefix)).map(str::trim).unwrap_or_else(|| panic!("{prefix}: {lines:?}"))
}

fn statuses(findings: &[harness::model::Finding]) -> BTreeMap<String, Status> {
    findings.iter().map(|f| (f.id.clone(), f.status)).collect()
}

/// The live connect's findings and the findings of its saved transcript, judged offline, agree on
/// every requirement the wire shows; the GPT-* connect verdicts, which need the client's outcome,
/// are SKIPPED from a bare transcript and identical from a run record that holds it.
#[tokio::test]
async fn a_saved_transcript_is_judged_offline_as_the_live_run_was() {
    let idp = harness::testing::mock_idp().await;
    let server = ReferenceServer::builder()
        .issuer(idp.issuer())
        .jwks_uri(idp.jwks_uri())
        .fault(Fault::NoScopeInChallenge)
        .fault(Fault::PrmOnlyAtPath)
        .start()
        .await
        .unwrap();
    let p = profile::builtin(PROFILE).unwrap();
    let mut client = Client::new(p.clone(), ConnectOptions { continue_after_failure: true, ..Default::default() });
    let outcome = client.connect(server.url()).await.unwrap();
    client.finish().await;
    let raw = client.transcript();
    let live = RunRecord {
        target: server.url().to_owned(),
        profile: PROFILE.into(),
        profile_display: p.display.clone(),
        spec_version: SpecVersion::V2025_11_25,
        outcome: outcome.clone(),
        transcript: raw.clone(),
    };
    let live = statuses(&harness::checks::run(&live));
    assert_eq!(live.get("RS-04"), Some(&Status::Warning), "the fault shows live: {live:?}");
    assert!(live.get("GPT-01").is_some_and(|s| s.is_problem()), "the fault shows live: {live:?}");

    // `client --transcript` writes the redacted transcript.
    let saved = serde_json::to_string_pretty(&raw.redacted()).unwrap();
    let r = check_capture(CaptureFile::parse(&saved).unwrap(), None, PROFILE, SpecVersion::V2025_11_25).unwrap();
    assert_eq!(r.run.target, server.url(), "the target is the first MCP request's URL");
    let offline = statuses(&r.findings);
    for (id, status) in &live {
        if id.starts_with("GPT-") {
            let f = r.findings.iter().find(|f| &f.id == id).unwrap();
            assert!(
                f.status == Status::Skipped && (f.description == NO_OUTCOME || *status == Status::Skipped),
                "{f:?}"
            );
        } else {
            assert_eq!(offline.get(id), Some(status), "{id}: live {status:?}, offline {:?}", offline.get(id));
        }
    }
    for (id, status) in &offline {
        assert!(live.contains_key(id) || *status == Status::Skipped, "{id} only offline, as {status:?}");
    }

    // A run record holds the outcome too: then every verdict is the live one.
    let record = serde_json::json!({"outcome": outcome, "transcript": raw.redacted()}).to_string();
    let r = check_capture(CaptureFile::parse(&record).unwrap(), None, PROFILE, SpecVersion::V2025_11_25).unwrap();
    let offline = statuses(&r.findings);
    for (id, status) in &live {
        assert_eq!(offline.get(id), Some(status), "{id} from a run record");
    }
}

/// `serve` prints both URLs and serves them; `record` in front of it (both routes, URLs rewritten)
/// lets the client connect through the proxies, and what it recorded — redacted, with phases and
/// kinds — is judged by `check --transcript` as the client's own transcript is.
#[test]
fn the_client_connects_through_record_in_front_of_serve() {
    // The DCR client: it authenticates with a secret, which survives the proxy's URL rewriting.
    const DCR: &str = "chatgpt-2025-dcr";
    let dir = tmp("record");
    let (_serve, lines) =
        spawn_until_ready(&["serve", "--port", "0", "--idp-port", "0", "--fault", "no_scope_in_challenge"]);
    let mcp = field(&lines, "reference MCP server").to_owned();
    let issuer = field(&lines, "mock IdP issuer").to_owned();
    let mcp_origin = mcp.match_indices('/').nth(2).map(|(i, _)| mcp[..i].to_owned()).unwrap();

    // The client straight at `serve`.
    let direct = dir.join("direct.json");
    let o = bin().args(["client", "--profile", DCR, &mcp, "--transcript", direct.to_str().unwrap()]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stdout));

    // The client through `record`.
    let recorded = dir.join("recorded.json");
    let (mut rec, lines) = spawn_until_ready(&[
        "record",
        "--route",
        &format!("127.0.0.1:0={mcp_origin}"),
        "--route",
        &format!("127.0.0.1:0={issuer}"),
        "--rewrite-urls",
        "--out",
        recorded.to_str().unwrap(),
    ]);
    let proxy = lines
        .iter()
        .find_map(|l| {
            l.strip_prefix("recording ").and_then(|r| r.split_once(" -> ")).filter(|(_, u)| u.starts_with(&mcp_origin))
        })
        .map(|(o, _)| o.to_owned())
        .expect("a route for the MCP server");
    let through = mcp.replacen(&mcp_origin, &proxy, 1);
    let o = bin().args(["client", "--profile", DCR, &through]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "through the proxy: {}", String::from_utf8_lossy(&o.stdout));
    rec.interrupt();

    let text = std::fs::read_to_string(&recorded).unwrap();
    let t: mock_client::Transcript = serde_json::from_str(&text).unwrap();
    use mock_client::ExchangeKind as K;
    for (what, found) in [
        ("PRM", t.exchanges.iter().any(|e| matches!(e.kind, K::Prm { .. }))),
        ("AS metadata", t.exchanges.iter().any(|e| matches!(e.kind, K::AsMetadata { .. }))),
        ("unauthenticated initialize", t.exchanges.iter().any(|e| e.kind == K::UnauthenticatedInitialize)),
        ("authorize", t.exchanges.iter().any(|e| e.kind == K::Authorize)),
        ("code exchange", t.exchanges.iter().any(|e| e.kind.is_token("authorization_code"))),
        ("tools/list", t.exchanges.iter().any(|e| e.kind.is_mcp("tools/list"))),
    ] {
        assert!(
            found,
            "{what} missing from the recording: {:#?}",
            t.exchanges.iter().map(|e| (&e.method, &e.url, &e.kind)).collect::<Vec<_>>()
        );
    }
    // Redacted at write time: no token, code or verifier in the file.
    assert!(!text.contains("eyJ"), "a JWT in the recording");
    for e in &t.exchanges {
        if let Some(b) = &e.request_body {
            for field in ["code=", "code_verifier=", "refresh_token="] {
                if let Some(v) = b.split('&').find_map(|kv| kv.strip_prefix(field)) {
                    assert!(v.starts_with("%5B") || v.starts_with('['), "{field} not redacted: {v}");
                }
            }
        }
    }
    assert!(!t.secrets.is_empty());

    // Judged offline: the recording and the client's own transcript agree on every requirement.
    let judge = |file: &PathBuf, target: &str| {
        let out = dir.join(format!("{}-report", file.file_stem().unwrap().to_string_lossy()));
        let o = bin()
            .args(["check", "--transcript", file.to_str().unwrap(), "--target", target, "--profile", DCR, "--no-color"])
            .args(["--report-dir", out.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(matches!(o.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&o.stderr));
        let report = harness::report::json::parse(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
        statuses(&report.results[0].findings)
    };
    let from_client = judge(&direct, &mcp);
    let from_record = judge(&recorded, &through);
    assert_eq!(from_client.get("RS-04"), Some(&Status::Warning), "the fault shows: {from_client:?}");
    assert_eq!(from_record, from_client);
}

/// One ChatGPT profile's client recorded through `record` (in process) in front of the embedded
/// default (`serve`'s pair): the redacted transcript the proxy wrote.
///
/// Not the CIMD client: it signs its `private_key_jwt` assertion for the token endpoint it sees
/// (the proxy's), which the mock IdP refuses as another audience, and with only the MCP server
/// routed its `resource` (the proxy's URL) becomes the token's audience, which the server refuses.
async fn recorded_session(name: &str) -> mock_client::Transcript {
    use harness::record::{RecordOptions, Recording, Route};
    let idp = harness::testing::mock_idp().await;
    let server = harness::testing::reference_server(&idp).await;
    let origin = |u: &str| u.match_indices('/').nth(2).map(|(i, _)| u[..i].to_owned()).unwrap_or_else(|| u.to_owned());
    let route = |up: &str| Route { listen: "127.0.0.1:0".parse().unwrap(), upstream: up.parse().unwrap() };
    let rec = Recording::start(RecordOptions {
        routes: vec![route(&origin(server.url())), route(&origin(idp.issuer()))],
        rewrite_urls: true,
        out: None,
    })
    .await
    .unwrap();
    let through = server.url().replacen(&origin(server.url()), &rec.origins()[0], 1);
    let mut client = Client::new(profile::builtin(name).unwrap(), ConnectOptions::default());
    let outcome = client.connect(&through).await.unwrap();
    assert!(outcome.connected(), "{name} through the proxy: {outcome:?}");
    client.finish().await;
    // In-flight writes finish before the transcript is read.
    let t = rec.transcript();
    rec.shutdown().await.unwrap();
    t
}

/// The profiles whose clients the round trip records (each connects to the embedded default).
const ROUND_TRIP: [&str; 2] = ["chatgpt-2025-dcr", "chatgpt-2025-09-dcr-basic"];

/// Round trip: each ChatGPT profile's recorded client differs in nothing from its own profile,
/// and from another profile in exactly the fields where the two profiles differ.
#[tokio::test]
async fn a_recorded_client_matches_its_own_profile_and_differs_from_another_where_they_differ() {
    let mut sessions = Vec::new();
    for name in ROUND_TRIP {
        let t = recorded_session(name).await;
        let own = harness::profile_diff::diff(&profile::builtin(name).unwrap(), &t);
        assert!(own.is_same(), "{name} against itself: {:#?}", own.differences);
        assert!(own.same.len() >= 10, "{name}: too little compared: {own:#?}");
        sessions.push((name, t));
    }
    let fields = |p: &str, t: &mock_client::Transcript| -> Vec<String> {
        harness::profile_diff::diff(&profile::builtin(p).unwrap(), t).differences.into_iter().map(|d| d.field).collect()
    };
    // The documented differences between the dated profiles, as the capture shows them.
    let dcr = &sessions[0].1;
    let basic = &sessions[1].1;
    insta::assert_debug_snapshot!(
        "profile_diff_cross",
        [
            ("chatgpt-2025-dcr capture vs chatgpt-2025-09-dcr-basic", fields("chatgpt-2025-09-dcr-basic", dcr)),
            ("chatgpt-2025-09-dcr-basic capture vs chatgpt-2025-dcr", fields("chatgpt-2025-dcr", basic)),
            ("chatgpt-2025-dcr capture vs chatgpt-2026-cimd", fields("chatgpt-2026-cimd", dcr)),
        ]
    );
}
