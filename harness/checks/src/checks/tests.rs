//! Checks over hand-made transcripts: the verdicts no reference-server fault or IdP quirk can
//! produce (a partial OIDC document, tool-level challenges, a manifest, odd content types), the
//! INFO/SKIPPED/untestable paths, and version applicability. The end-to-end proofs are in
//! `harness/tests/checks/`.

use harness_transcript::{Exchange, ExchangeKind, Failure, FailureKind, Outcome, Phase, Transcript};
use serde_json::{Value, json};

use crate::model::{Finding, RunRecord, Status};
use crate::probe_record::labels;

const T: &str = "https://mcp.example/mcp";
const ROOT_PRM: &str = "https://mcp.example/.well-known/oauth-protected-resource";

/// The kind the client or the probes would give an exchange with this label: the fixtures name
/// exchanges by their display labels, the checks match kinds.
fn kind_for(phase: Phase, label: &str) -> ExchangeKind {
    use harness_transcript::PrmLookup;
    if phase == Phase::Probe {
        return ExchangeKind::probe(label);
    }
    match label {
        "root PRM" => ExchangeKind::Prm { lookup: PrmLookup::Root },
        "path PRM" => ExchangeKind::Prm { lookup: PrmLookup::PathInserted },
        "PRM from WWW-Authenticate" => ExchangeKind::Prm { lookup: PrmLookup::WwwAuthenticate },
        "dynamic client registration" => ExchangeKind::Registration,
        "unauthenticated initialize" => ExchangeKind::UnauthenticatedInitialize,
        l if l.contains("as metadata") => ExchangeKind::AsMetadata {
            method: client_profile::HttpMethod::Get,
            well_known: client_profile::WellKnown::Oauth,
            on: client_profile::ProbeTarget::Issuer,
        },
        l if l.starts_with("token (") => {
            ExchangeKind::Token { grant: l.trim_start_matches("token (").trim_end_matches(')').to_owned() }
        }
        "initialize" | "notifications/initialized" | "tools/list" | "tools/call" => ExchangeKind::mcp(label),
        _ => ExchangeKind::Unknown,
    }
}

struct Ex(Exchange);

impl Ex {
    fn new(phase: Phase, label: &str, method: &str, url: &str, status: Option<u16>) -> Ex {
        Ex(Exchange {
            seq: 0,
            phase,
            attempt: 1,
            label: label.into(),
            kind: kind_for(phase, label),
            method: method.into(),
            url: url.into(),
            request_headers: Vec::new(),
            request_body: None,
            status,
            response_headers: Vec::new(),
            response_body: None,
            truncated: false,
            duration_ms: 1,
            error: status.is_none().then(|| "timed out".into()),
            secrets: Vec::new(),
            continuation: false,
        })
    }
    fn probe(label: &str, method: &str, status: u16) -> Ex {
        Ex::new(Phase::Probe, label, method, T, Some(status))
    }
    fn req(mut self, k: &str, v: &str) -> Ex {
        self.0.request_headers.push((k.into(), v.into()));
        self
    }
    fn send(mut self, body: &Value) -> Ex {
        self.0.request_body = Some(body.to_string());
        self
    }
    fn resp(mut self, k: &str, v: &str) -> Ex {
        self.0.response_headers.push((k.into(), v.into()));
        self
    }
    fn json(mut self, body: Value) -> Ex {
        self.0.response_headers.push(("content-type".into(), "application/json".into()));
        self.0.response_body = Some(body.to_string());
        self
    }
    fn body(mut self, ct: &str, body: &str) -> Ex {
        self.0.response_headers.push(("content-type".into(), ct.into()));
        self.0.response_body = Some(body.into());
        self
    }
}

fn record(profile: &str, version: &str, outcome: Outcome, list: Vec<Ex>) -> RunRecord {
    let mut t = Transcript::default();
    for e in list {
        t.push(e.0);
    }
    RunRecord {
        target: T.into(),
        profile: profile.into(),
        profile_display: profile.into(),
        spec_version: mcp_wire::SpecVersion::parse(version).expect("a known spec version"),
        outcome,
        transcript: t,
    }
}

fn connected() -> Outcome {
    Outcome::Connected { tools: vec!["x".into()], protocol_version: Some("2025-11-25".into()) }
}

fn run(list: Vec<Ex>) -> Vec<Finding> {
    super::run(&record("mcp-spec-2025-11-25", "2025-11-25", connected(), list))
}

fn find<'a>(fs: &'a [Finding], id: &str) -> &'a Finding {
    fs.iter().find(|f| f.id == id).unwrap_or_else(|| panic!("no {id} in {fs:#?}"))
}

fn status(fs: &[Finding], id: &str) -> Option<Status> {
    fs.iter().find(|f| f.id == id).map(|f| f.status)
}

fn init() -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}})
}

#[test]
fn nothing_run_means_nothing_reported() {
    let fs = run(vec![]);
    assert_eq!(fs.len(), 1, "{fs:#?}");
    assert_eq!(find(&fs, "RS-20").status, Status::Info);
    assert!(find(&fs, "RS-20").description.contains("remote"));
    for id in super::registry::ids() {
        assert!(crate::catalogue::get(id).is_some(), "{id} is not catalogued");
    }
}

#[test]
fn gpt_03_fails_on_a_partial_oidc_document_on_the_mcp_host() {
    let meta = json!({"issuer": "https://as.example", "authorization_endpoint": "https://as.example/a", "token_endpoint": "https://as.example/t", "code_challenge_methods_supported": ["S256"]});
    let list = |partial: bool| {
        vec![
            Ex::new(Phase::Discovery, "root PRM", "GET", ROOT_PRM, Some(200))
                .json(json!({"resource": T, "authorization_servers": ["https://as.example"]})),
            Ex::new(
                Phase::Discovery,
                "get as metadata (oauth) on issuer",
                "GET",
                "https://as.example/.well-known/oauth-authorization-server",
                Some(200),
            )
            .json(meta.clone()),
            if partial {
                Ex::new(
                    Phase::Discovery,
                    "get as metadata (oidcinserted) on mcphost",
                    "GET",
                    "https://mcp.example/.well-known/openid-configuration",
                    Some(200),
                )
                .json(json!({"issuer": "https://mcp.example", "jwks_uri": "https://mcp.example/jwks"}))
            } else {
                Ex::new(
                    Phase::Discovery,
                    "get as metadata (oidcinserted) on mcphost",
                    "GET",
                    "https://mcp.example/.well-known/openid-configuration",
                    Some(404),
                )
            },
        ]
    };
    let fs = super::run(&record("chatgpt-2026-cimd", "2025-11-25", connected(), list(true)));
    let f = find(&fs, "GPT-03");
    assert_eq!(f.status, Status::Failure, "{f:?}");
    assert!(
        f.description.contains("partial") && f.description.contains("does not implement OAuth"),
        "{}",
        f.description
    );
    assert_eq!(find(&fs, "GPT-01").status, Status::Success);
    assert_eq!(find(&fs, "GPT-10").status, Status::Success);
    let fs = super::run(&record("chatgpt-2026-cimd", "2025-11-25", connected(), list(false)));
    assert_eq!(find(&fs, "GPT-03").status, Status::Success);
    // The same transcript under a non-ChatGPT profile: the connect-based GPT checks do not apply.
    let fs = super::run(&record("claude", "2025-11-25", connected(), list(true)));
    assert_eq!(status(&fs, "GPT-03"), None);
}

fn tool_call(phase: Phase, result: Value) -> Ex {
    let call = json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "x"}});
    Ex::new(phase, "tools/call", "POST", T, Some(200))
        .send(&call)
        .json(json!({"jsonrpc": "2.0", "id": 3, "result": result}))
}

#[test]
fn gpt_13_judges_tool_level_challenges() {
    let good = json!({"isError": true, "content": [], "_meta": {"mcp/www_authenticate": [format!("Bearer resource_metadata=\"{ROOT_PRM}\", error=\"insufficient_scope\", scope=\"w\"")]}});
    let fs = run(vec![tool_call(Phase::Mcp, good.clone())]);
    assert_eq!(find(&fs, "GPT-13").status, Status::Success);
    let no_error =
        json!({"content": [], "_meta": {"mcp/www_authenticate": ["Bearer resource_metadata=\"/relative\""]}});
    let fs = run(vec![tool_call(Phase::Mcp, no_error)]);
    let f = find(&fs, "GPT-13");
    assert_eq!(f.status, Status::Failure);
    assert!(f.description.contains("isError") && f.description.contains("/relative"), "{}", f.description);
    let not_a_list = json!({"isError": true, "_meta": {"mcp/www_authenticate": {"a": 1}}});
    assert_eq!(find(&run(vec![tool_call(Phase::Mcp, not_a_list)]), "GPT-13").status, Status::Failure);
    // Challenged again after ChatGPT re-authorized.
    let fs = run(vec![
        tool_call(Phase::Mcp, good.clone()),
        Ex::new(Phase::StepUp, "token (authorization_code)", "POST", "https://as.example/t", Some(200)),
        tool_call(Phase::Mcp, good),
    ]);
    assert!(find(&fs, "GPT-13").description.contains("challenged again"));
    assert_eq!(status(&run(vec![tool_call(Phase::Mcp, json!({"content": []}))]), "GPT-13"), None);
}

#[test]
fn gpt_18_reads_the_manifest_when_served() {
    let m = |status: u16, body: Value| {
        Ex::new(
            Phase::Probe,
            labels::MANIFEST,
            "GET",
            "https://mcp.example/.well-known/mcp/manifest.json",
            Some(status),
        )
        .json(body)
    };
    assert_eq!(find(&run(vec![m(200, json!({"schemaVersion": "2025-06-18"}))]), "GPT-18").status, Status::Success);
    let f = run(vec![m(200, json!({"schemaVersion": "2024-11-05"}))]);
    assert_eq!(find(&f, "GPT-18").status, Status::Warning);
    assert!(find(&f, "GPT-18").description.contains("2024-11-05"));
    assert_eq!(find(&run(vec![m(404, json!({}))]), "GPT-18").status, Status::Skipped);
}

#[test]
fn h_07_h_09_h_15_content_types_streams_and_deletes() {
    let answered = Ex::new(Phase::Mcp, "tools/list", "POST", T, Some(200))
        .send(&json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}))
        .body("text/html", "<html>");
    assert_eq!(find(&run(vec![answered]), "H-07").status, Status::Failure);
    let get = |status: u16, ct: &str| Ex::probe(labels::GET_STREAM, "GET", status).body(ct, "");
    assert_eq!(find(&run(vec![get(200, "text/event-stream")]), "H-09").status, Status::Success);
    assert_eq!(find(&run(vec![get(405, "application/json")]), "H-09").status, Status::Success);
    assert_eq!(find(&run(vec![get(404, "application/json")]), "H-09").status, Status::Warning);
    assert_eq!(find(&run(vec![get(200, "application/json")]), "H-09").status, Status::Failure);
    let head = Ex::probe(labels::GET_STREAM_HEAD, "HEAD", 200).resp("content-type", "text/event-stream");
    assert_eq!(find(&run(vec![head]), "H-09").status, Status::Success, "a stream held open, confirmed by HEAD");
    let del = |status: u16| Ex::new(Phase::Mcp, "end session", "DELETE", T, Some(status)).req("Mcp-Session-Id", "s");
    assert_eq!(find(&run(vec![del(204)]), "H-15").status, Status::Success);
    assert_eq!(find(&run(vec![del(405)]), "H-15").status, Status::Success);
    assert_eq!(find(&run(vec![del(400)]), "H-15").status, Status::Warning);
}

#[test]
fn gpt_11_blames_a_failed_initialize_that_is_not_about_auth() {
    let init_406 = Ex::new(Phase::Mcp, "initialize", "POST", T, Some(406)).send(&init());
    let list = vec![
        Ex::new(Phase::Discovery, "root PRM", "GET", ROOT_PRM, Some(200))
            .json(json!({"authorization_servers": ["https://as.example"]})),
        init_406,
    ];
    let failure = Failure {
        kind: FailureKind::McpFailed,
        message: "No app actions available".into(),
        cause: "initialize failed after authorization: HTTP 406".into(),
        phase: Phase::Mcp,
        seq: Some(2),
        continued: Vec::new(),
    };
    let fs = super::run(&record("chatgpt-2026-cimd", "2025-11-25", Outcome::Failed(failure), list));
    let f = find(&fs, "GPT-11");
    assert_eq!(f.status, Status::Failure);
    assert!(f.description.starts_with("ChatGPT would fail: \"No app actions available\""), "{}", f.description);
    assert_eq!(status(&fs, "GPT-08"), None, "not reached as an auth problem");
}

#[test]
fn unauthenticated_initialize_that_is_served_is_recorded_not_failed() {
    let served = Ex::probe(labels::UNAUTHENTICATED, "POST", 200)
        .send(&init())
        .json(json!({"jsonrpc": "2.0", "id": 1, "result": {}}));
    let fs = run(vec![served]);
    assert_eq!(find(&fs, "RS-05").status, Status::Info);
    let fs = super::run(&record(
        "x",
        "2025-06-18",
        connected(),
        vec![Ex::probe(labels::UNAUTHENTICATED, "POST", 200).send(&init())],
    ));
    assert_eq!(find(&fs, "RS-03").status, Status::Info, "2025-06-18 needs a 401 to judge");
    // A query token accepted by a server that accepts no token at all cannot be told apart.
    let fs = run(vec![
        Ex::probe(labels::UNAUTHENTICATED, "POST", 200).send(&init()),
        Ex::probe(labels::QUERY_TOKEN, "POST", 200).json(json!({"jsonrpc": "2.0", "id": 1, "result": {}})),
    ]);
    assert_eq!(find(&fs, "GPT-16").status, Status::Info);
}

#[test]
fn a_probe_whose_setup_failed_is_skipped_not_failed_and_one_not_run_is_silent() {
    let fs = run(vec![Ex::probe(labels::SCOPE_INITIALIZE, "POST", 401)]);
    for id in ["RS-12", "RS-13", "RS-17"] {
        let f = find(&fs, id);
        assert!(f.status == Status::Skipped && !f.untestable, "{id}: {f:?}");
        assert!(f.description.starts_with("Not tested: initialize with a valid"), "{}", f.description);
    }
    let fs = run(vec![Ex::probe(labels::TERMINATED_INITIALIZE, "POST", 200)]);
    assert_eq!(find(&fs, "H-14").status, Status::Skipped, "a server without session ids");
    let fs = run(vec![Ex::probe(labels::SESSION_WITHOUT_TOKEN_SETUP, "POST", 500)]);
    assert_eq!(find(&fs, "RS-15").status, Status::Skipped);
    assert!(find(&fs, "RS-15").description.contains("testable once"), "{}", find(&fs, "RS-15").description);
    assert_eq!(status(&run(vec![]), "RS-15"), None);
}

#[test]
fn an_unreachable_target_is_one_finding_and_every_requirement_skipped() {
    let refused = |label: &str| {
        let mut e = Ex::probe(label, "POST", 0);
        e.0.status = None;
        e.0.error = Some("connection failed".into());
        e
    };
    let fs = run(vec![refused(labels::UNAUTHENTICATED), refused(labels::BAD_ORIGIN), refused(labels::GARBAGE_TOKEN)]);
    let problems: Vec<&Finding> = fs.iter().filter(|f| f.status.is_problem()).collect();
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(problems[0].id, super::TARGET);
    assert!(problems[0].description.contains("3 requests: connection failed"), "{}", problems[0].description);
    for id in super::registry::ids() {
        assert_eq!(status(&fs, id), Some(Status::Skipped), "{id}");
    }
    // One answer, even a 500, is a target that speaks HTTP: the requirements are judged.
    let fs = run(vec![refused(labels::UNAUTHENTICATED), Ex::probe(labels::BAD_ORIGIN, "POST", 500)]);
    assert_eq!(status(&fs, super::TARGET), None);
    assert_eq!(find(&fs, "H-02").status, Status::Failure);
}

#[test]
fn rs_05_and_rs_06_say_what_was_sent() {
    let fs = run(vec![
        Ex::probe(labels::UNAUTHENTICATED, "POST", 401).req("content-type", "application/json"),
        Ex::probe(labels::MALFORMED_BEARER_ONLY, "POST", 401),
        Ex::probe(labels::GARBAGE_TOKEN, "POST", 401),
    ]);
    let rs05 = find(&fs, "RS-05");
    assert_eq!(rs05.status, Status::Success);
    assert!(rs05.description.contains("1 of 1 requests without a token got 401"), "{}", rs05.description);
    assert!(rs05.description.contains("403 for insufficient scope was not tested"), "{}", rs05.description);
    let rs06 = find(&fs, "RS-06");
    assert!(rs06.description.starts_with("The garbage token"), "{}", rs06.description);
    assert!(rs06.description.contains("negative battery were not sent"), "{}", rs06.description);
    let fs = run(vec![
        Ex::probe(labels::GARBAGE_TOKEN, "POST", 401),
        Ex::probe(&labels::negative_token(mcp_wire::NegativeToken::Expired), "POST", 401),
    ]);
    let rs06 = find(&fs, "RS-06");
    assert!(
        rs06.description.starts_with("All 2 invalid tokens sent (the garbage token")
            && rs06.description.contains("the token that expired an hour ago")
            && !rs06.description.contains("not sent"),
        "{}",
        rs06.description
    );
}

#[test]
fn rs_07_finds_the_session_data_in_any_shape() {
    let list = Ex::new(Phase::Mcp, "tools/list", "POST", T, Some(200))
        .req("Authorization", "Bearer t")
        .send(&json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}))
        .json(
            json!({"jsonrpc": "2.0", "id": 2, "result": {"tools": [{"name": "read_ledger"}, {"name": "wire_money"}]}}),
        );
    let refused = |body: &str| Ex::probe(labels::UNAUTHENTICATED, "POST", 401).body("text/plain", body);
    let fs = run(vec![Ex(list.0.clone()), refused("Unauthorized. Available: read_ledger, wire_money")]);
    let f = find(&fs, "RS-07");
    assert_eq!(f.status, Status::Failure, "{f:?}");
    assert!(f.description.contains("`read_ledger`, `wire_money`"), "{}", f.description);
    let fs = run(vec![Ex(list.0.clone()), refused("Unauthorized")]);
    assert_eq!(find(&fs, "RS-07").status, Status::Success);
    // The tool the refused request itself named may be echoed in its error.
    let call = Ex::probe(labels::SCOPE_CALL, "POST", 403)
        .send(&json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "wire_money"}}))
        .body("text/plain", "wire_money needs mcp:write");
    assert_eq!(find(&run(vec![Ex(list.0), call]), "RS-07").status, Status::Success);
}

#[test]
fn should_level_items_of_2025_11_25_are_skipped_under_2025_06_18() {
    let no_scope = Ex::probe(labels::UNAUTHENTICATED, "POST", 401)
        .send(&init())
        .resp("www-authenticate", &format!("Bearer resource_metadata=\"{ROOT_PRM}\""));
    let new = run(vec![Ex(no_scope.0.clone())]);
    assert_eq!(find(&new, "RS-04").status, Status::Warning);
    let old = super::run(&record("x", "2025-06-18", connected(), vec![Ex(no_scope.0)]));
    let f = find(&old, "RS-04");
    assert_eq!(f.status, Status::Skipped);
    assert!(f.description.starts_with("Not judged under 2025-06-18"), "{}", f.description);
    assert_eq!(find(&old, "RS-03").status, Status::Success);
}

#[test]
fn session_ids_are_judged_statistically() {
    let sample = |n: usize, id: &str| Ex::probe(&labels::session_sample(n), "POST", 200).resp("mcp-session-id", id);
    let dup: Vec<Ex> = (1..=5).map(|n| sample(n, "0123456789abcdef0123456789abcdef")).collect();
    let f = run(dup);
    assert!(find(&f, "RS-16").description.contains("distinct"), "{}", find(&f, "RS-16").description);
    let uuids = [
        "3f2a1b4c-1d2e-4f30-8a9b-0c1d2e3f4a5b",
        "9e8d7c6b-5a49-4382-b716-05f4e3d2c1b0",
        "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    ];
    let fs = run(uuids.iter().enumerate().map(|(i, id)| sample(i + 1, id)).collect());
    assert_eq!(find(&fs, "RS-16").status, Status::Success);
    assert_eq!(find(&fs, "H-12").status, Status::Success);
    let fs = run(vec![sample(1, "a\tb-0123456789abcdef"), sample(2, "a\tb-fedcba9876543210")]);
    assert_eq!(find(&fs, "H-12").status, Status::Failure);
}

#[test]
fn rs_19_and_rs_18_url_rules() {
    let challenge = |rm: &str| {
        Ex::probe(labels::UNAUTHENTICATED, "POST", 401)
            .send(&init())
            .resp("www-authenticate", &format!("Bearer resource_metadata=\"{rm}\""))
    };
    let f = run(vec![challenge("/.well-known/oauth-protected-resource")]);
    assert!(find(&f, "RS-19").description.contains("not an absolute URL"));
    let f = run(vec![challenge("http://mcp.example/.well-known/oauth-protected-resource")]);
    assert!(find(&f, "RS-19").description.contains("https"));
    let prm = |resource: &str| {
        Ex::new(Phase::Probe, labels::PRM_ROOT_GET, "GET", ROOT_PRM, Some(200))
            .json(json!({"resource": resource, "authorization_servers": ["https://as.example"]}))
    };
    let f = run(vec![prm("https://MCP.example:443/mcp/")]);
    assert_eq!(find(&f, "RS-18").status, Status::Success);
    assert!(find(&f, "RS-18").description.contains("trailing slash"));
    assert_eq!(find(&run(vec![prm("https://mcp.example")]), "RS-18").status, Status::Failure);
}

#[test]
fn origin_and_version_answers_between_the_lines() {
    let origin = |status: u16, token: bool| {
        let e = Ex::probe(labels::BAD_ORIGIN, "POST", status);
        if token { e.req("Authorization", "Bearer t") } else { e }
    };
    assert_eq!(find(&run(vec![origin(401, false)]), "H-02").status, Status::Info);
    assert_eq!(find(&run(vec![origin(400, true)]), "H-02").status, Status::Warning);
    let old = super::run(&record("x", "2025-06-18", connected(), vec![origin(400, true)]));
    assert_eq!(find(&old, "H-02").status, Status::Success);
    // The same 400 with and without Origin says nothing about Origin.
    let control = |status: u16| Ex::probe(labels::BAD_ORIGIN_CONTROL, "POST", status).req("Authorization", "Bearer t");
    let f = run(vec![control(400), origin(400, true)]);
    assert_eq!(find(&f, "H-02").status, Status::Skipped, "{:?}", find(&f, "H-02"));
    assert!(find(&f, "H-02").description.contains("and so did the same request without Origin"));
    assert_eq!(find(&run(vec![control(200), origin(400, true)]), "H-02").status, Status::Warning);
    assert_eq!(find(&run(vec![control(403), origin(403, true)]), "H-02").status, Status::Skipped);
    assert_eq!(find(&run(vec![control(200), origin(403, true)]), "H-02").status, Status::Success);
    let err = Ex::probe(labels::UNKNOWN_PROTOCOL_VERSION, "POST", 200)
        .json(json!({"jsonrpc": "2.0", "id": 1, "error": {"code": -32602, "message": "Unsupported protocol version"}}));
    assert_eq!(find(&run(vec![err]), "H-17").status, Status::Info);
    let five = Ex::probe(labels::UNKNOWN_PROTOCOL_VERSION, "POST", 500);
    assert_eq!(find(&run(vec![five]), "H-17").status, Status::Failure);
}

#[test]
fn h_05_flags_only_types_the_server_produces() {
    let both = Ex::new(Phase::Mcp, "initialize", "POST", T, Some(200))
        .req("accept", "application/json, text/event-stream")
        .send(&init())
        .json(json!({"jsonrpc": "2.0", "id": 1, "result": {}}));
    let variant = |label: &str, accept: &str, status: u16| Ex::probe(label, "POST", status).req("accept", accept);
    // Requiring both types (seed 003's advice) is correct: 406 for either one-type Accept.
    let fs = run(vec![
        Ex(both.0.clone()),
        variant(labels::ACCEPT_SSE_ONLY, "text/event-stream", 406),
        variant(labels::ACCEPT_JSON_ONLY, "application/json", 406),
    ]);
    assert_eq!(find(&fs, "H-05").status, Status::Success, "{:?}", find(&fs, "H-05"));
    assert!(find(&fs, "H-05").description.contains("requires both types"));
    // …and so is serving each in its type.
    let fs = run(vec![
        Ex(both.0.clone()),
        variant(labels::ACCEPT_SSE_ONLY, "text/event-stream", 200).body("text/event-stream", "data: {}\n\n"),
        variant(labels::ACCEPT_JSON_ONLY, "application/json", 200).body("application/json", "{}"),
    ]);
    assert_eq!(find(&fs, "H-05").status, Status::Success);
    // Answering in a type the request did not accept, or erroring, is not.
    let fs = run(vec![
        Ex(both.0.clone()),
        variant(labels::ACCEPT_JSON_ONLY, "application/json", 200).body("text/event-stream", "data: {}\n\n"),
    ]);
    assert_eq!(find(&fs, "H-05").status, Status::Warning);
    let fs = run(vec![Ex(both.0), variant(labels::ACCEPT_JSON_ONLY, "application/json", 500)]);
    assert_eq!(find(&fs, "H-05").status, Status::Warning);
}

#[test]
fn gpt_11_for_a_one_type_accept_is_info_while_no_chatgpt_profile_sends_one() {
    assert!(super::chatgpt_one_type_accept_profiles().is_empty(), "a shipped profile sends one type: GPT-11 warns");
    let e = Ex::probe(labels::ACCEPT_SSE_ONLY, "POST", 406).req("accept", "text/event-stream");
    let f = run(vec![e]);
    let g = find(&f, "GPT-11");
    assert_eq!(g.status, Status::Info, "{g:?}");
    assert!(g.description.contains("seed 003") && g.description.contains("2025"), "{}", g.description);
}

/// An AS that refused the harness's own loopback metadata document URL: GPT-09 is SKIPPED with the
/// client's note (never a FAILURE), and the refused CIMD authorization before the note is not read
/// as ChatGPT's client (GPT-04 is judged from the DCR flow after it).
#[test]
fn cimd_refused_for_the_harness_url_is_skipped_not_failed() {
    let cimd_id = "http%3A%2F%2F127.0.0.1%3A9%2Foauth%2Fcb%2Fclient.json";
    let list = vec![
        Ex::new(Phase::Discovery, "root PRM", "GET", ROOT_PRM, Some(200))
            .json(json!({"resource": T, "authorization_servers": ["https://as.example"]})),
        Ex::new(
            Phase::Authorize,
            "authorization request",
            "GET",
            &format!("https://as.example/authorize?client_id={cimd_id}"),
            Some(400),
        ),
        Ex::new(Phase::Registration, "dynamic client registration", "POST", "https://as.example/register", Some(201))
            .json(json!({"client_id": "c1", "token_endpoint_auth_method": "client_secret_post"})),
        Ex::new(
            Phase::Authorize,
            "authorization request",
            "GET",
            "https://as.example/authorize?client_id=c1",
            Some(302),
        ),
        Ex::new(Phase::Token, "token (authorization_code)", "POST", "https://as.example/token", Some(200))
            .send(&json!("client_id=c1&client_secret=s")),
    ];
    let mut r = record("chatgpt-2026-cimd", "2025-11-25", connected(), list);
    r.transcript.notes.push(harness_transcript::Note {
        kind: harness_transcript::NoteKind::CimdUntestable,
        text: "CIMD not testable here: … pass --cimd-base https://…".into(),
        from_seq: 3,
    });
    let fs = super::run(&r);
    let f = find(&fs, "GPT-09");
    assert_eq!(f.status, Status::Skipped, "{f:#?}");
    assert!(f.description.contains("not testable here"), "{}", f.description);
    assert!(find(&fs, "GPT-04").description.contains("dynamic registration"), "{:#?}", find(&fs, "GPT-04"));
}

// --- 2026-07-28 authorization (RS-21…RS-28, `modern_auth`) ---

/// RS-23 relaxes RS-13 for 2026-07-28: a 403 naming only the missing scope (not the `mcp:read`
/// already granted) is not held against the server — the step-up token keeps what was granted.
#[test]
fn rs_13_does_not_fail_a_challenge_that_omits_granted_scopes() {
    let challenge = r#"Bearer error="insufficient_scope", scope="mcp:write", resource_metadata="https://mcp.example/.well-known/oauth-protected-resource""#;
    let fs = run(vec![
        Ex::probe(labels::SCOPE_INITIALIZE, "POST", 200)
            .json(json!({"jsonrpc": "2.0", "id": 1, "result": {"protocolVersion": "2025-11-25"}})),
        Ex::probe(labels::SCOPE_CALL, "POST", 403).resp("WWW-Authenticate", challenge),
        Ex::probe(labels::SCOPE_STEP_UP_INITIALIZE, "POST", 200)
            .json(json!({"jsonrpc": "2.0", "id": 1, "result": {"protocolVersion": "2025-11-25"}})),
        Ex::probe(labels::SCOPE_STEP_UP_CALL, "POST", 200)
            .json(json!({"jsonrpc": "2.0", "id": 2, "result": {"content": [], "isError": false}})),
    ]);
    assert_eq!(find(&fs, "RS-13").status, Status::Success, "{:?}", find(&fs, "RS-13"));
}

/// Without tokens from a trusted IdP the `modern_auth` probe sends only its token-free part: the
/// token rules say what they need, and nothing is judged on an era never observed.
#[test]
fn modern_auth_without_tokens_skips_and_says_what_it_needs() {
    let fs = run(vec![
        Ex::probe(labels::MODERN_AUTH_UNAUTHENTICATED, "POST", 401)
            .resp("WWW-Authenticate", r#"Bearer scope="mcp:read offline_access""#),
    ]);
    for id in ["RS-22", "RS-23", "RS-24", "RS-25", "RS-26", "RS-27"] {
        let f = find(&fs, id);
        assert_eq!(f.status, Status::Skipped, "{id}");
        assert!(f.description.contains("--trusted-idp"), "{id}: {}", f.description);
    }
    // The challenge names offline_access, but the server was never seen speaking 2026-07-28.
    let f = find(&fs, "RS-21");
    assert_eq!(f.status, Status::Skipped, "{}", f.description);
    assert!(f.description.contains("era is unknown"), "{}", f.description);
}

/// The connect-step rules (GPT-04…09) that the scenario checks and certify-idp share: FAILURE only
/// for the blamed ID, SUCCESS once past the step, nothing when not reached; GPT-08 from either the
/// MCP calls or the token's `aud`.
#[test]
fn the_shared_connect_step_rules() {
    use super::chatgpt::*;
    assert_eq!(gpt_04_rule(Some("GPT-04"), false, false), Some(Status::Failure));
    assert_eq!(gpt_04_rule(Some("GPT-05"), false, true), Some(Status::Success), "the path exists");
    assert_eq!(gpt_04_rule(Some("GPT-03"), false, false), None);
    assert_eq!(gpt_06_rule(Some("GPT-14"), true), Some(Status::Success), "a code was issued");
    assert_eq!(gpt_09_rule(Some("GPT-07"), false), None);
    let calls = |ok, loose| gpt_08_rule(None, &Gpt08Seen::calls(ok, loose));
    assert_eq!(calls(true, false), Some(Status::Success));
    assert_eq!(calls(true, true), Some(Status::Warning));
    assert_eq!(calls(false, false), None);
    let aud = |has| gpt_08_rule(None, &Gpt08Seen::audience(has));
    assert_eq!(aud(Some(true)), Some(Status::Success));
    assert_eq!(aud(Some(false)), Some(Status::Failure));
    assert_eq!(aud(None), Some(Status::Skipped));
    assert_eq!(gpt_08_rule(Some("GPT-08"), &Gpt08Seen::default()), Some(Status::Failure));

    let failure = |kind, phase, cause: &str| Failure {
        kind,
        message: String::new(),
        cause: cause.into(),
        phase,
        seq: None,
        continued: Vec::new(),
    };
    let cimd = BlameContext::of_flow(false, false, true);
    let dcr = BlameContext::of_flow(true, false, false);
    let token = |c| failure(FailureKind::TokenFailed, Phase::Token, c);
    assert_eq!(gpt_blame(&token("invalid_client"), &cimd), Some("GPT-09"));
    assert_eq!(gpt_blame(&token("invalid_grant"), &cimd), Some("GPT-07"), "only invalid_client is the document's");
    assert_eq!(gpt_blame(&token("invalid_client"), &dcr), Some("GPT-07"));
    let reg = failure(FailureKind::RegistrationFailed, Phase::Registration, "403");
    assert_eq!(gpt_blame(&reg, &dcr), Some("GPT-05"));
    assert_eq!(gpt_blame(&reg, &BlameContext::of_flow(true, true, false)), Some("GPT-17"));
    assert_eq!(gpt_blame(&failure(FailureKind::Unreachable, Phase::Discovery, ""), &dcr), None);
}

/// GPT-14's relay WARNING belongs to the profiles without GPT-21; the dual-era profile, which
/// judges Apps submission as GPT-21, gets INFO for the same metadata.
#[test]
fn gpt_14_leaves_apps_submission_to_gpt_21_where_a_profile_judges_it() {
    use super::chatgpt::*;
    let relay = gpt_14_rule(&json!({}), false);
    assert_eq!(relay.status(false), Some(Status::Warning));
    assert_eq!(relay.status(true), Some(Status::Info));
    let dual = client_profile::builtin("chatgpt-2026-08-dual-era").unwrap();
    let dated = client_profile::builtin("chatgpt-2026-cimd").unwrap();
    assert!(gpt_21_judged(&dual) && !gpt_21_judged(&dated));
    assert_eq!(gpt_21_rule(&json!({}), None), Gpt21::NotAdvertised);
}

#[test]
fn gpt_02_names_both_sources_under_a_profile_that_follows_the_path_prm() {
    let path_prm = ROOT_PRM.replace("oauth-protected-resource", "oauth-protected-resource/mcp");
    let challenge = || {
        Ex::probe(labels::UNAUTHENTICATED, "POST", 401)
            .send(&init())
            .resp("www-authenticate", &format!("Bearer resource_metadata=\"{path_prm}\""))
    };
    // The dated profile records seed 003's root rule: stated as ChatGPT's expectation.
    let dated = super::run(&record("chatgpt-2026-cimd", "2025-11-25", connected(), vec![challenge()]));
    let f = find(&dated, "GPT-02");
    assert_eq!(f.status, Status::Warning);
    assert!(f.description.starts_with("ChatGPT expects"), "{}", f.description);
    // Today's profile was built from the 2026-09 capture that followed the path PRM: both sources.
    let today = super::run(&record(client_profile::TODAYS_CHATGPT, "2025-11-25", connected(), vec![challenge()]));
    let f = find(&today, "GPT-02");
    assert_eq!(f.status, Status::Warning);
    assert!(
        f.description.starts_with("The sources disagree") && f.description.contains("openai/codex#47513"),
        "{}",
        f.description
    );
}
