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

/// One ChatGPT profile's client recorded through `record` (in process, both routes, URLs
/// rewritten) in front of the embedded default (`serve`'s pair): the redacted transcript the proxy
/// wrote.
///
/// The CIMD clients sign their `private_key_jwt` assertion for the token endpoint they see — the
/// proxy's — so the mock IdP is told that URL is its public token URL (and only that one is
/// added: every other audience is still refused). The bearer-token profiles get a token minted for
/// the upstream server; the query-token profile needs the server to read `?token=` (its fault).
async fn recorded_session(name: &str) -> mock_client::Transcript {
    use harness::record::{RecordOptions, Recording, Route};
    use mock_client::profile::AuthMode;
    let p = profile::builtin(name).unwrap();
    let idp = harness::testing::mock_idp().await;
    let mut server = ReferenceServer::builder().issuer(idp.issuer()).jwks_uri(idp.jwks_uri());
    if p.auth_mode.value == AuthMode::QueryToken {
        server = server.fault(Fault::AcceptQueryToken);
    }
    let server = server.start().await.unwrap();
    let origin = |u: &str| u.match_indices('/').nth(2).map(|(i, _)| u[..i].to_owned()).unwrap_or_else(|| u.to_owned());
    let route = |up: &str| Route { listen: "127.0.0.1:0".parse().unwrap(), upstream: up.parse().unwrap() };
    let rec = Recording::start(RecordOptions {
        routes: vec![route(&origin(server.url())), route(&origin(idp.issuer()))],
        rewrite_urls: true,
        out: None,
    })
    .await
    .unwrap();
    idp.add_public_token_url(idp.endpoints().token.replacen(idp.origin(), &rec.origins()[1], 1));
    let through = server.url().replacen(&origin(server.url()), &rec.origins()[0], 1);
    let rewrite = idp.clone();
    let token = matches!(p.auth_mode.value, AuthMode::StaticBearer | AuthMode::QueryToken)
        .then(|| idp.mint_valid(server.url(), &["mcp:read", "mcp:write"]).unwrap().token);
    let options = ConnectOptions {
        cimd_rewrite: Some(std::sync::Arc::new(move |from: &str, to: &str| rewrite.add_fetch_rewrite(from, to))),
        bearer_token: token,
        ..Default::default()
    };
    let mut client = Client::new(p, options);
    let outcome = client.connect(&through).await.unwrap();
    assert!(outcome.connected(), "{name} through the proxy: {outcome:?}");
    client.finish().await;
    // In-flight writes finish before the transcript is read.
    let t = rec.transcript();
    rec.shutdown().await.unwrap();
    t
}

fn differing(p: &str, t: &mock_client::Transcript) -> Vec<String> {
    harness::profile_diff::diff(&profile::builtin(p).unwrap(), t).differences.into_iter().map(|d| d.field).collect()
}

/// Round trip, for every ChatGPT profile `profiles list` shows: its client recorded through
/// `record` in front of `serve` differs in nothing from its own profile; against its neighbour
/// profile it differs in exactly the fields where the two profiles are documented to differ.
#[tokio::test]
async fn every_chatgpt_profile_s_recorded_client_matches_its_own_profile_and_differs_from_another_where_documented() {
    // (profile, the other profile, the fields the two profiles document differently that the
    // capture shows). Each set is read off the two YAML files; a profile edit changes it.
    // An empty set is documented too: the two profiles differ only where this server does not
    // lead (the stable callback needs an AS with RFC 9207 `iss`; Mixed is OAuth on the wire once
    // the challenge names PRM, seed 000).
    let expected: &[(&str, &str, &[&str])] = &[
        (
            "chatgpt-2025-dcr",
            "chatgpt-2025-09-dcr-basic",
            &["user_agent_oauth", "registration.dcr_body", "token_request.headers"],
        ),
        (
            "chatgpt-2025-09-dcr-basic",
            "chatgpt-2025-dcr",
            &["user_agent_oauth", "registration.dcr_body", "token_request.headers", "token_request.client_auth"],
        ),
        ("chatgpt-2026-cimd", "chatgpt-2025-dcr", &["registration.priority", "mcp.protocol_version"]),
        ("chatgpt-2026-cimd-stable-iss", "chatgpt-2026-cimd", &[]),
        ("chatgpt-bearer-token", "chatgpt-noauth-query-token", &["auth_mode"]),
        ("chatgpt-noauth-query-token", "chatgpt-bearer-token", &["auth_mode"]),
        ("chatgpt-2026-mixed", "chatgpt-2026-cimd", &[]),
        ("chatgpt-2026-08-dual-era", "chatgpt-2026-cimd", &["discovery.as_probes", "mcp.calls"]),
        ("chatgpt-2026-cimd", "chatgpt-bearer-token", &["auth_mode", "mcp.protocol_version"]),
    ];
    let listed: Vec<String> =
        profile::builtin_names().into_iter().filter(|n| mock_client::profile::is_chatgpt(n)).collect();
    let covered: Vec<String> = expected.iter().map(|(n, ..)| n.to_string()).collect();
    assert_eq!(
        listed.iter().collect::<std::collections::BTreeSet<_>>(),
        covered.iter().collect(),
        "every ChatGPT profile has its round trip"
    );
    let mut report = Vec::new();
    for (name, other, fields) in expected {
        let t = recorded_session(name).await;
        let own = harness::profile_diff::diff(&profile::builtin(name).unwrap(), &t);
        assert!(own.is_same(), "{name} against itself: {:#?}", own.differences);
        assert!(own.same.len() >= 5, "{name}: too little compared: {own:#?}");
        report.push((name.to_string(), other.to_string(), differing(other, &t), fields.to_vec()));
    }
    let wrong: Vec<_> = report.iter().filter(|(.., got, want)| got != want).collect();
    assert!(wrong.is_empty(), "(capture, profile, differing fields, documented): {wrong:#?}");
}

/// `profiles infer`: from each capture, a profile written as a change of another profile that
/// differs from the capture; it loads as a profile, every fact it writes says `captured` with the
/// capture's date and file, every other fact is the base's, and `profiles diff` against the
/// capture finds no difference (where the base did).
#[tokio::test]
async fn an_inferred_profile_loads_and_differs_in_nothing_from_its_capture() {
    use harness::profile_infer::{Provenance, infer};
    use mock_client::profile::Evidence;
    let dir = tmp("infer");
    // (capture, base, the fields left for a hand edit): a CIMD client on a base without a CIMD
    // document cannot be emulated from its capture alone, and the inferred profile says so.
    for (name, base, hand) in [
        ("chatgpt-2025-09-dcr-basic", "chatgpt-2025-dcr", &[][..]),
        ("chatgpt-2026-cimd", "chatgpt-2025-dcr", &["registration.cimd"][..]),
        ("chatgpt-2026-08-dual-era", "chatgpt-2026-cimd", &[][..]),
    ] {
        let t = recorded_session(name).await;
        let base_p = profile::builtin(base).unwrap();
        let before = harness::profile_diff::diff(&base_p, &t);
        assert!(!before.is_same(), "{name}: the base must differ for the test to mean anything");
        let prov = Provenance {
            name: format!("inferred-{name}"),
            observed: "2026-11-30".into(),
            source: format!("{name}.json"),
        };
        let inferred = infer(&base_p, &t, &prov);
        let unresolved: Vec<&str> = inferred.unresolved.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(unresolved, hand, "{name}: {:?}", inferred.unresolved);
        for f in hand {
            assert!(inferred.yaml.contains(&format!("# Not written: {f}:")), "{}", inferred.yaml);
        }
        let file = dir.join(format!("inferred-{name}.yaml"));
        std::fs::write(&file, &inferred.yaml).unwrap();
        let p = profile::from_file(&file).unwrap_or_else(|e| panic!("{name}: {e}\n{}", inferred.yaml));
        let after = harness::profile_diff::diff(&p, &t);
        assert!(after.is_same(), "{name}: {:#?}\n{}", after.differences, inferred.yaml);
        let rows = profile::facts(&p);
        for field in &inferred.written {
            let row =
                rows.iter().find(|r| &r.0 == field).unwrap_or_else(|| panic!("{name}: {field} not in the profile"));
            assert_eq!(
                (row.2, row.3.as_str(), row.4.as_str()),
                (Evidence::Captured, "2026-11-30", prov.source.as_str())
            );
        }
        for d in &before.differences {
            assert!(
                inferred.written.contains(&d.field) || d.field == "token_request.client_auth",
                "{name}: {} differed from {base} and was not written",
                d.field
            );
        }
        // What the capture cannot show stays the base's, evidence and all, and is named.
        assert_eq!(p.step_up, base_p.step_up);
        assert_eq!(p.retry, base_p.retry);
        assert!(rows.iter().filter(|r| r.2 == Evidence::Captured).count() == inferred.written.len());
        assert!(inferred.yaml.contains("# Not shown by the capture"), "{}", inferred.yaml);
        assert!(inferred.left_out.contains(&"messages".to_owned()), "{:?}", inferred.left_out);

        // The same through the CLI, from the file `record` would have written.
        if name == "chatgpt-2025-09-dcr-basic" {
            let capture = dir.join("basic-capture.json");
            std::fs::write(&capture, serde_json::to_string_pretty(&t).unwrap()).unwrap();
            let out = dir.join("cli-inferred.yaml");
            let o = bin()
                .args(["profiles", "infer", capture.to_str().unwrap(), "--base", base, "--observed", "2026-11-30"])
                .args(["--name", "cli-inferred", "--out", out.to_str().unwrap()])
                .output()
                .unwrap();
            assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
            let yaml = std::fs::read_to_string(&out).unwrap();
            assert!(yaml.contains("source: basic-capture.json") && yaml.contains("evidence: captured"), "{yaml}");
            let o =
                bin().args(["profiles", "diff", out.to_str().unwrap(), capture.to_str().unwrap()]).output().unwrap();
            assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stdout));
            let o = bin().args(["profiles", "diff", base, capture.to_str().unwrap()]).output().unwrap();
            assert_eq!(o.status.code(), Some(1), "the base differs: {}", String::from_utf8_lossy(&o.stdout));
        }
    }
}

const SEED_001_HAR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/har/seed-001-no-client-id.har");
const SEED_001_MCP: &str = "https://ownerrez-mcp-server.fly.dev/mcp";
/// The fixture's fake secrets: the session cookie, Cloudflare's cookie, the session bearer.
const SEED_001_SECRETS: [&str; 3] = [
    "fAkE.s3ss10n/T0ken+V4lue==",
    "cf-clearance-FAKE-0123456789",
    "eyJhbGciOiJSUzI1NiJ9.eyJmYWtlIjoidGVzdCJ9.ZmFrZS1zaWduYXR1cmU",
];

/// Every encoding of `s` the redaction knows: plain, percent-encoded, JSON-escaped (`\/`,
/// `\u002F`), HTML-escaped, base64 (standard and URL-safe, padded or not).
fn encodings(s: &str) -> Vec<String> {
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    let pct: String = url::form_urlencoded::byte_serialize(s.as_bytes()).collect();
    vec![
        s.to_owned(),
        pct.clone(),
        pct.to_lowercase(),
        s.replace('/', "\\/"),
        s.replace('/', "\\u002F"),
        s.replace('+', "&#43;"),
        STANDARD.encode(s),
        URL_SAFE_NO_PAD.encode(s),
    ]
}

/// Seed 001 as a browser HAR (hand-made, see its `comment`): it imports as a transcript of
/// ChatGPT's connector API calls with ChatGPT's message as a note, redacted at import in every
/// encoding; `profiles diff` finds the message among the ChatGPT profile's (and reports a profile
/// that lacks it); `check --transcript` and `profiles infer` take the HAR as they take a capture.
#[test]
fn the_seed_001_har_imports_redacted_and_diffs_against_the_chatgpt_profile() {
    let text = std::fs::read_to_string(SEED_001_HAR).unwrap();
    // The fixture carries the session cookie in the encodings the test claims to check.
    let raw_encodings = encodings(SEED_001_SECRETS[0]);
    for (i, e) in raw_encodings.iter().enumerate().filter(|(i, _)| *i != 2 && *i != 7) {
        // The HAR holds bodies as JSON strings: a backslash of the body is doubled in the file.
        assert!(text.contains(&e.replace('\\', "\\\\")), "encoding {i} ({e}) missing from the fixture");
    }

    let i = harness::har::import(&text).unwrap();
    assert_eq!(i.started.as_deref(), Some("2025-06-29"));
    assert_eq!(i.skipped, 3, "the page, /me and the analytics call are dropped");
    let t = &i.transcript;
    use mock_client::{ExchangeKind, Phase};
    let shape: Vec<(Phase, &ExchangeKind, &str, Option<u16>)> =
        t.exchanges.iter().map(|e| (e.phase, &e.kind, e.method.as_str(), e.status)).collect();
    assert_eq!(
        shape,
        [
            (Phase::Discovery, &ExchangeKind::Unknown, "POST", Some(200)),
            (Phase::Registration, &ExchangeKind::Unknown, "POST", Some(400)),
        ]
    );
    // The authorize URL ChatGPT's backend discovered, and what the user saw.
    let config: serde_json::Value = serde_json::from_str(t.exchanges[0].response_body.as_deref().unwrap()).unwrap();
    assert_eq!(config["oauth_config"]["authorization_url"], "https://app.ownerrez.com/oauth/authorize");
    assert_eq!(t.notes.len(), 1);
    assert_eq!(t.notes[0].text, format!("Failed to resolve OAuth client for MCP connector: {SEED_001_MCP}"));
    assert_eq!(t.notes[0].from_seq, 2);
    // Redacted at import: no secret in any encoding, anywhere in the transcript.
    let out = serde_json::to_string(t).unwrap();
    for s in SEED_001_SECRETS {
        for e in encodings(s) {
            assert!(!out.contains(&e), "{e} (an encoding of a secret) survived the import");
        }
    }
    assert!(t.secrets.iter().all(|s| s.value.starts_with('[')), "{:?}", t.secrets);
    assert!(t.secrets.len() >= 3);

    // profiles diff: the message is the profile's `no_client`; nothing else is shown.
    let o = bin().args(["profiles", "diff", "chatgpt-2025-dcr", SEED_001_HAR, "--format", "json"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stdout));
    let d: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(d["same"], serde_json::json!(["messages.no_client"]), "{d}");
    // A profile whose messages do not hold it differs in `messages`.
    let dir = tmp("har");
    let other = dir.join("other-messages.yaml");
    std::fs::write(
        &other,
        "extends: chatgpt-2025-dcr\nname: other-messages\ndisplay: X\nmessages:\n  no_client: {value: \"No client for {url}\", \
         evidence: assumption, observed: test, source: test, note: a made-up message}\n  oauth_error: {value: \"OAuth error {error}\", \
         evidence: assumption, observed: test, source: test, note: a made-up message}\n",
    )
    .unwrap();
    let o =
        bin().args(["profiles", "diff", other.to_str().unwrap(), SEED_001_HAR, "--format", "json"]).output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stdout));
    let d: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(d["differences"][0]["field"], "messages", "{d}");

    // check --transcript takes the HAR; what it writes holds no secret either.
    let report = dir.join("report");
    let o = bin()
        .args(["check", "--transcript", SEED_001_HAR, "--target", SEED_001_MCP, "--profile", "chatgpt-2025-dcr"])
        .args(["--no-color", "--report-dir", report.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&o.stderr));
    let written = std::fs::read_to_string(report.join("report.json")).unwrap();
    for s in SEED_001_SECRETS {
        assert!(!written.contains(s), "a secret in report.json");
    }

    // profiles infer takes it too: the capture's date from the HAR; nothing written but named.
    let o = bin().args(["profiles", "infer", SEED_001_HAR, "--base", "chatgpt-2025-dcr"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let yaml = String::from_utf8(o.stdout).unwrap();
    assert!(yaml.contains("(2025-06-29)") && yaml.contains("messages.no_client"), "{yaml}");
    let f = dir.join("captured-seed-001-no-client-id.yaml");
    std::fs::write(&f, &yaml).unwrap();
    let o = bin().args(["profiles", "diff", f.to_str().unwrap(), SEED_001_HAR]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stdout));
}
