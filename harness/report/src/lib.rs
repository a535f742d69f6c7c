//! Reports: pure functions of a [`RunReport`](harness_checks::model::RunReport), kept apart from the
//! runner (as nextest and hurl keep theirs).
//!
//! - [`terminal`]: the human report (✔/✘ per scenario, the verdict, findings by phase, the closing
//!   `N passed, M failed` line), and the runner's [`progress_line`].
//! - [`json`]: the whole report as JSON, and one scenario as the official conformance suite's
//!   `checks.json`.
//! - [`junit`]: JUnit XML for CI (`<failure>` for the server, `<error>` for the harness).
//! - [`markdown`]: a Markdown report with a Mermaid sequence diagram per scenario.
//! - [`sequence`]: the one Mermaid sequence-diagram writer (lanes as a parameter) the scenario
//!   and certification reports share, with its escaping.
//! - [`baseline`]: expected failures and the process exit code.
//! - [`clock`]: the run's wall-clock stamps, here so the runner and certification share one
//!   format without depending on each other.
//!
//! Reports render only what the report holds: transcripts in a report are redacted before they
//! get there (`Transcript::redacted`), and no reporter reads a secret from anywhere else.

pub mod baseline;
pub mod clock;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sanitize;
pub mod sequence;
mod shared;
pub mod terminal;

pub use baseline::{Baseline, BaselineEntry, BaselineError, BaselineVerdict, Ending, ending, exit_code};
pub use terminal::{TerminalOptions, Verbosity, progress_line};

/// Hand-made reports for the reporters' tests (here and in `harness-certify`): a few scenarios over a
/// small, realistic transcript. Not part of the API.
#[doc(hidden)]
pub mod fixtures {
    use harness_transcript::{Exchange, Failure, FailureKind, Outcome, Phase, SecretKind, Transcript};

    use harness_checks::model::{ExpectationResult, Finding, RunRecord, RunReport, ScenarioResult, SpecRef, Status};

    /// The MCP server under test.
    pub const TARGET: &str = "http://127.0.0.1:8000/mcp";
    /// The authorization server.
    pub const AS: &str = "http://127.0.0.1:9000";
    /// The client's metadata document (its `client_id`).
    pub const CIMD: &str = "http://127.0.0.1:7000/client.json";
    /// The profile's display name.
    pub const DISPLAY: &str = "ChatGPT (2026 CIMD profile)";

    /// One exchange; `seq` is assigned by [`Transcript::push`].
    pub fn exchange(phase: Phase, method: &str, url: &str, label: &str, status: Option<u16>) -> Exchange {
        Exchange {
            seq: 0,
            phase,
            attempt: 1,
            label: label.into(),
            kind: Default::default(),
            method: method.into(),
            url: url.into(),
            request_headers: vec![("accept".into(), "application/json".into())],
            request_body: None,
            status,
            response_headers: vec![("content-type".into(), "application/json".into())],
            response_body: status.map(|_| "{}".into()),
            truncated: false,
            duration_ms: 3,
            error: None,
            secrets: vec![],
            continuation: false,
        }
    }

    /// A finding.
    pub fn finding(id: &str, status: Status, description: &str, exchanges: &[u32]) -> Finding {
        Finding {
            id: id.into(),
            name: format!("{id} check"),
            status,
            description: description.into(),
            spec_refs: vec![SpecRef {
                id: "RFC9728".into(),
                url: Some("https://www.rfc-editor.org/rfc/rfc9728.html#section-3".into()),
                location: Some("§3".into()),
            }],
            details: serde_json::json!({ "expected": "x", "actual": "y" }),
            exchanges: exchanges.to_vec(),
            untestable: false,
        }
    }

    fn expect(what: &str, actual: &str, ok: bool) -> ExpectationResult {
        ExpectationResult { what: what.into(), actual: actual.into(), ok }
    }

    fn connected() -> Outcome {
        Outcome::Connected { tools: vec!["echo".into(), "add".into()], protocol_version: Some("2025-11-25".into()) }
    }

    fn failed(phase: Phase, seq: Option<u32>) -> Outcome {
        Outcome::Failed(Failure {
            kind: FailureKind::NoOauth,
            message: format!("MCP server {TARGET} does not implement OAuth"),
            cause: "root PRM http://127.0.0.1:8000/.well-known/oauth-protected-resource answered HTTP 404".into(),
            phase,
            seq,
            continued: Vec::new(),
        })
    }

    /// A scenario result around a transcript.
    pub fn result(name: &str, file: &str, transcript: Transcript, outcome: Outcome) -> ScenarioResult {
        let verdict = outcome.verdict_as(DISPLAY);
        ScenarioResult {
            name: name.into(),
            file: file.into(),
            tags: vec!["cimd".into()],
            run: RunRecord {
                target: TARGET.into(),
                profile: "chatgpt-2026-cimd".into(),
                profile_display: DISPLAY.into(),
                spec_version: mcp_wire::SpecVersion::V2025_11_25,
                outcome,
                transcript,
            },
            findings: vec![],
            expectations: vec![],
            verdict,
            duration_ms: 1250,
            error: None,
            error_tier: Default::default(),
        }
    }

    /// A whole connector flow: discovery, CIMD registration, authorize, token, MCP, one probe.
    pub fn happy_transcript() -> Transcript {
        let mut t = Transcript::default();
        let mut e = exchange(Phase::Discovery, "POST", TARGET, "initialize", Some(401));
        e.response_headers.push((
            "www-authenticate".into(),
            "Bearer resource_metadata=\"http://127.0.0.1:8000/.well-known/oauth-protected-resource\"".into(),
        ));
        e.request_body = Some("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\"}".into());
        t.push(e);
        t.push(exchange(
            Phase::Discovery,
            "GET",
            "http://127.0.0.1:8000/.well-known/oauth-protected-resource",
            "root PRM",
            Some(200),
        ));
        t.push(exchange(
            Phase::Discovery,
            "GET",
            &format!("{AS}/.well-known/oauth-authorization-server"),
            "AS metadata",
            Some(200),
        ));
        t.push(exchange(Phase::Registration, "GET", CIMD, "client metadata document", Some(200)));
        let cid: String = url::form_urlencoded::byte_serialize(CIMD.as_bytes()).collect();
        t.push(exchange(
            Phase::Authorize,
            "GET",
            &format!("{AS}/authorize?response_type=code&client_id={cid}&state=[state-1]&code_challenge=[challenge-1]"),
            "authorization request",
            Some(302),
        ));
        t.push(exchange(Phase::Token, "POST", &format!("{AS}/token"), "code exchange", Some(200)));
        t.push(exchange(Phase::Mcp, "POST", TARGET, "initialize", Some(200)));
        t.push(exchange(Phase::Mcp, "POST", TARGET, "tools/list", Some(200)));
        t.push(exchange(Phase::Probe, "POST", TARGET, "garbage token", Some(401)));
        t
    }

    /// URLs and labels with every character Mermaid, Markdown and XML choke on.
    pub fn nasty_transcript() -> Transcript {
        let mut t = Transcript::default();
        t.push(exchange(
            Phase::Discovery,
            "GET",
            "http://127.0.0.1:8000/.well-known/oauth-protected-resource;v=1?x=\"y\"&z=<w>#frag%20:end",
            "root PRM \"quoted\"; #1: <b>bold</b> 100% -->> end",
            Some(200),
        ));
        let mut e = exchange(Phase::Mcp, "POST", "http://[::1]:9999/mcp?token=a:b;c", "tools/call\nnext line", None);
        e.error = Some("connection refused: <closed>; #x \u{1b}[31m".into());
        e.response_body = None;
        t.push(e);
        t.push(exchange(Phase::StepUp, "POST", TARGET, "insufficient_scope | retry", Some(403)));
        t.push(exchange(Phase::Refresh, "POST", &format!("{AS}/token"), "refresh", Some(200)));
        t
    }

    /// Five scenarios, sorted by name: passed, passed with an expected FAILURE, failed (an
    /// unexpected FAILURE and WARNING), harness error, failed expectation over a nasty transcript.
    pub fn report() -> RunReport {
        let mut happy =
            result("cimd-happy-path[chatgpt-2026-cimd]", "scenarios/happy.yaml", happy_transcript(), connected());
        happy.findings = vec![
            finding("RS-01", Status::Success, "401 with WWW-Authenticate on an unauthenticated request", &[1]),
            finding("RS-03", Status::Success, "root PRM served", &[2]),
            finding("GPT-10", Status::Success, "client metadata document reachable", &[4]),
            finding("AS-23", Status::Success, "token response has no-store", &[6]),
            finding("RS-20", Status::Success, "initialize and tools/list answered", &[7, 8]),
            finding("RS-08", Status::Success, "garbage token refused with 401", &[9, 7]),
            finding("GPT-04", Status::Skipped, "no refresh in this run", &[]),
            finding("H-13", Status::Info, "2 tools listed", &[]),
        ];

        let mut nbf = result("nbf-not-checked", "scenarios/faults.yaml", happy_transcript(), connected());
        nbf.findings = vec![
            finding("RS-01", Status::Success, "401 on an unauthenticated request", &[1]),
            finding("RS-06", Status::Failure, "accepts a token whose nbf is an hour in the future", &[9]),
        ];
        nbf.expectations = vec![expect("RS-06: FAILURE", "FAILURE", true)];

        let mut t = Transcript::default();
        t.push(exchange(Phase::Discovery, "POST", TARGET, "initialize", Some(401)));
        t.push(exchange(
            Phase::Discovery,
            "GET",
            "http://127.0.0.1:8000/.well-known/oauth-protected-resource",
            "root PRM",
            Some(404),
        ));
        t.push(exchange(Phase::Probe, "POST", TARGET, "token in query", Some(200)));
        let mut no_prm =
            result("no-root-prm[chatgpt-2026-cimd]", "scenarios/faults.yaml", t, failed(Phase::Discovery, Some(2)));
        no_prm.findings = vec![
            finding("RS-01", Status::Success, "401 on an unauthenticated request", &[1]),
            finding("RS-03", Status::Failure, "root PRM answered 404", &[2]),
            finding("RS-12", Status::Warning, "token accepted in the query string", &[3]),
        ];
        no_prm.expectations = vec![expect("outcome: failed", "failed", true)];

        let mut broken =
            result("target-wont-start", "scenarios/faults.yaml", Transcript::default(), failed(Phase::Discovery, None));
        broken.verdict = String::new();
        broken.error = Some("could not start the target: address 127.0.0.1:8000 in use <&>".into());
        broken.duration_ms = 12;

        let mut weird =
            result("weird \"url\" <scenario>", "scenarios/weird.yaml", nasty_transcript(), failed(Phase::Mcp, Some(2)));
        weird.findings = vec![finding("RS-99", Status::Success, "pipes | and\nnewlines & <tags>", &[1, 2])];
        weird.expectations = vec![expect("outcome: connected", "failed", false)];

        RunReport {
            harness_version: "0.1.0".into(),
            started_at: "2026-07-01T12:00:00Z".into(),
            duration_ms: 4321,
            results: vec![happy, nbf, no_prm, broken, weird],
        }
    }

    /// Text a hostile server could put anywhere: a terminal escape, a bell, a NUL, a table pipe,
    /// a script tag, backticks, Markdown emphasis, a CR LF and a Mermaid directive.
    pub const HOSTILE: &str = "evil`code` | <script>alert(1)</script> **b** \u{1b}[2J\u{7}\u{0}\r\nnext %%{init}%%";

    /// One failed scenario with [`HOSTILE`] in every field a reporter shows: name, file, target,
    /// profile, verdict, error, finding ids and descriptions, expectations, exchange labels, URLs,
    /// headers, bodies and transport errors.
    pub fn hostile_report() -> RunReport {
        let mut t = Transcript::default();
        let mut e = exchange(Phase::Discovery, "POST", &format!("{TARGET}?q={HOSTILE}"), HOSTILE, Some(401));
        e.response_headers.push(("www-authenticate".into(), format!("Bearer error=\"{HOSTILE}\"")));
        e.response_body = Some(HOSTILE.into());
        e.request_body = Some(format!("{{\"x\":\"{HOSTILE}\"}}"));
        t.push(e);
        let mut e = exchange(Phase::Mcp, HOSTILE, &format!("http://127.0.0.1:8000/{HOSTILE}"), "tools/list", None);
        e.error = Some(HOSTILE.into());
        e.response_body = None;
        t.push(e);
        let mut r =
            result(&format!("hostile {HOSTILE}"), &format!("scenarios/{HOSTILE}.yaml"), t, failed(Phase::Mcp, Some(2)));
        r.run.profile_display = format!("Client {HOSTILE}");
        r.run.target = format!("{TARGET}#{HOSTILE}");
        r.verdict = format!("would fail: {HOSTILE}");
        r.error = Some(format!("the scenario cannot run: {HOSTILE}"));
        r.error_tier = harness_checks::model::ErrorTier::Input;
        r.findings = vec![
            finding(&format!("RS-{HOSTILE}"), Status::Failure, HOSTILE, &[1]),
            finding("RS-01", Status::Warning, &format!("second {HOSTILE}"), &[1, 2]),
        ];
        r.expectations = vec![expect(&format!("outcome: {HOSTILE}"), HOSTILE, false)];
        RunReport {
            harness_version: format!("0.1.0 {HOSTILE}"),
            started_at: "2026-07-01T12:00:00Z".into(),
            duration_ms: 77,
            results: vec![r],
        }
    }

    /// The secret values [`secret_report`]'s transcript carried before redaction.
    pub const SECRETS: [&str; 6] = [
        "eyJhbGciOiJSUzI1NiJ9.SECRET-ACCESS-TOKEN.sig",
        "SECRET-REFRESH-TOKEN-abc",
        "s3cret+Client/Secret",
        "SECRET-CODE-123",
        "SECRET-VERIFIER-xyz",
        "oauth_s_0123456789abcdef0123456789abcdef",
    ];

    /// A report whose transcript carried every kind of secret, built — as the runner does — from
    /// `transcript.redacted()`.
    pub fn secret_report() -> RunReport {
        use base64::Engine;
        let [at, rt, cs, code, verifier, state] = SECRETS;
        let mut t = Transcript::default();
        let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let mut a = exchange(
            Phase::Authorize,
            "GET",
            &format!("{AS}/authorize?client_id=cid&state={}", enc(state)),
            "authorization request",
            Some(302),
        );
        a.response_headers.push(("location".into(), format!("https://chatgpt.com/cb?code={code}&state={state}")));
        t.push(a);
        let mut tok = exchange(Phase::Token, "POST", &format!("{AS}/token"), "code exchange", Some(200));
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("cid:{cs}"));
        tok.request_headers.push(("authorization".into(), format!("Basic {basic}")));
        tok.request_body =
            Some(format!("grant_type=authorization_code&code={}&code_verifier={}", enc(code), enc(verifier)));
        tok.response_body = Some(format!("{{\"access_token\":\"{at}\",\"refresh_token\":\"{rt}\"}}"));
        t.push(tok);
        let mut mcp = exchange(Phase::Mcp, "POST", TARGET, "initialize", Some(200));
        mcp.request_headers.push(("authorization".into(), format!("Bearer {at}")));
        t.push(mcp);
        t.add_secret(SecretKind::Token, at);
        t.add_secret(SecretKind::RefreshToken, rt);
        t.add_secret(SecretKind::ClientSecret, cs);
        t.add_secret(SecretKind::Code, code);
        t.add_secret(SecretKind::Verifier, verifier);
        t.add_secret(SecretKind::State, state);

        let mut r = result("secrets", "scenarios/secrets.yaml", t.redacted(), connected());
        r.findings = vec![
            finding("AS-23", Status::Failure, "token response lacks Cache-Control: no-store", &[2]),
            finding("RS-01", Status::Success, "bearer token accepted", &[3]),
        ];
        RunReport {
            harness_version: "0.1.0".into(),
            started_at: "2026-07-01T12:00:00Z".into(),
            duration_ms: 10,
            results: vec![r],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures;

    /// Reports render only what the (redacted) transcript holds: no secret the run handled
    /// reaches any of them.
    #[test]
    fn no_reporter_leaks_a_registered_secret() {
        let report = fixtures::secret_report();
        let r = &report.results[0];
        let outputs = [
            (
                "terminal",
                super::terminal::render(
                    &report,
                    &super::TerminalOptions { color: false, verbosity: super::Verbosity::Exchanges },
                ),
            ),
            ("json", super::json::render(&report)),
            ("checks.json", super::json::checks_json_at(r, &report.started_at).to_string()),
            ("junit", super::junit::render(&report)),
            ("markdown", super::markdown::render(&report)),
        ];
        let encoded: Vec<String> =
            fixtures::SECRETS.iter().map(|s| url::form_urlencoded::byte_serialize(s.as_bytes()).collect()).collect();
        for (name, text) in &outputs {
            for s in fixtures::SECRETS.iter().map(|s| s.to_string()).chain(encoded.iter().cloned()) {
                assert!(!text.contains(&s), "{name} leaks {s}");
            }
        }
        // The verbose terminal shows the placeholders instead, Basic credentials included.
        let term = &outputs[0].1;
        for p in [
            "[token-1]",
            "[refresh-token-1]",
            "[code-1]",
            "[verifier-1]",
            "[state-1]",
            "Basic <base64 of cid:[client-secret-1]>",
        ] {
            assert!(term.contains(p), "terminal lacks {p}");
        }
    }
}
