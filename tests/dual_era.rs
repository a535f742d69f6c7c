//! Today's clients against the reference server in each era (issue #14): the dual-era ChatGPT
//! (`server/discover` first, the 2026-07-28 path on a modern server, `initialize` on a legacy one,
//! the GET probe, the HTTP 424 refusal), the 2026-07-28 spec client, and Claude 2026-09 (no
//! fallback after -32601). Library calls for the transcript, and the CLI as a user runs it.

use harness::reference::{Era, Fault, ModernFault, ReferenceHandle, ReferenceServer};
use mock_client::{
    Client, ConnectOptions, Exchange, ExchangeKind, FailureKind, NoteKind, Outcome, Transcript, profile,
};
use mock_idp::{IdpHandle, MockIdp};
use serde_json::Value;
use std::sync::Arc;

const DUAL: &str = "chatgpt-2026-08-dual-era";

async fn stack(era: Era, fault: Option<Fault>, modern_fault: Option<ModernFault>) -> (Arc<IdpHandle>, ReferenceHandle) {
    let idp = Arc::new(MockIdp::builder().start().await.unwrap());
    let mut b = ReferenceServer::builder().issuer(idp.issuer()).jwks_uri(idp.jwks_uri()).era(era);
    if let Some(f) = fault {
        b = b.fault(f);
    }
    if let Some(f) = modern_fault {
        b = b.modern_fault(f);
    }
    (idp, b.start().await.unwrap())
}

async fn connect(name: &str, idp: &Arc<IdpHandle>, url: &str) -> (Outcome, Transcript) {
    let rewrite = idp.clone();
    let opts = ConnectOptions {
        cimd_rewrite: Some(Arc::new(move |from: &str, to: &str| rewrite.add_fetch_rewrite(from, to))),
        ..Default::default()
    };
    let mut c = Client::new(profile::builtin(name).unwrap(), opts);
    let o = c.connect(url).await.unwrap();
    (o, c.transcript())
}

fn mcp<'a>(t: &'a Transcript, method: &str) -> Vec<&'a Exchange> {
    t.exchanges.iter().filter(|e| e.kind.is_mcp(method)).collect()
}

fn body(e: &Exchange) -> Value {
    serde_json::from_str(e.request_body.as_deref().unwrap_or("null")).unwrap()
}

fn connected(o: &Outcome, t: &Transcript) -> Vec<String> {
    match o {
        Outcome::Connected { tools, .. } => tools.clone(),
        Outcome::Failed(f) => panic!("did not connect: {} — {}\n{:#?}", f.message, f.cause, t.redacted().exchanges),
        Outcome::NotAttempted => panic!("not attempted"),
    }
}

#[tokio::test]
async fn the_dual_era_chatgpt_connects_in_each_era_by_the_path_the_server_speaks() {
    for era in [Era::Dual, Era::Modern, Era::Legacy] {
        let (idp, server) = stack(era, None, None).await;
        let (o, t) = connect(DUAL, &idp, server.url()).await;
        let tools = connected(&o, &t);
        assert!(tools.contains(&"whoami".to_owned()), "{era:?}: {tools:?}");
        // The GET probe, with the token, answered 405 (no GET stream), before server/discover.
        let get = t.exchanges.iter().find(|e| e.kind == ExchangeKind::GetProbe).expect("a GET probe");
        assert_eq!((get.method.as_str(), get.status), ("GET", Some(405)), "{era:?}");
        let discover = mcp(&t, "server/discover");
        assert_eq!(discover.len(), 1, "{era:?}");
        let d = discover[0];
        assert!(get.seq < d.seq);
        assert_eq!(body(d)["id"], "openai-mcp-discover");
        assert_eq!(d.request_header("mcp-protocol-version"), Some("2026-07-28"));
        assert_eq!(d.request_header("mcp-method"), Some("server/discover"));
        assert_eq!(body(d)["params"]["_meta"]["io.modelcontextprotocol/clientInfo"]["name"], "openai-mcp");
        // The initialize after authorization (the unauthenticated first POST is the challenge's).
        let inits: Vec<&Exchange> = mcp(&t, "initialize").into_iter().filter(|e| e.seq > d.seq).collect();
        let lists = mcp(&t, "tools/list");
        match era {
            Era::Legacy => {
                assert_eq!(d.status, Some(400), "a legacy server does not know server/discover");
                assert_eq!(inits.len(), 1, "the fallback to initialize");
                assert_eq!(body(inits[0])["params"]["clientInfo"]["name"], "openai-mcp");
                assert!(t.notes.iter().any(|n| n.kind == NoteKind::EraFallback), "{:?}", t.notes);
                assert_eq!(lists[0].request_header("mcp-method"), None, "no modern headers after the fallback");
            }
            _ => {
                assert_eq!(d.status, Some(200), "{era:?}");
                assert!(inits.is_empty(), "{era:?}: no initialize on the 2026-07-28 path");
                let l = lists[0];
                assert_eq!(l.request_header("mcp-method"), Some("tools/list"));
                assert_eq!(body(l)["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"], "2026-07-28");
                assert!(matches!(&o, Outcome::Connected { protocol_version: Some(v), .. } if v == "2026-07-28"));
            }
        }
    }
}

#[tokio::test]
async fn an_inconsistent_server_discover_is_refused_with_chatgpt_s_424_message() {
    for era in [Era::Modern, Era::Dual] {
        let (idp, server) = stack(era, None, Some(ModernFault::DiscoverInconsistent)).await;
        let (o, t) = connect(DUAL, &idp, server.url()).await;
        let Outcome::Failed(f) = o else { panic!("{era:?}: connected despite the inconsistent discover") };
        assert_eq!(f.kind, FailureKind::DiscoverInconsistent, "{f:?}");
        assert_eq!(f.message, "MCP server/discover response was inconsistent");
        assert!(f.cause.contains("no tools capability"), "{}", f.cause);
        let at = t.exchanges.iter().find(|e| Some(e.seq) == f.seq).unwrap();
        assert!(at.kind.is_mcp("tools/list"), "{at:?}");
    }
    // The same server, consistent: connects (the fault is what fails it).
    let (idp, server) = stack(Era::Modern, None, None).await;
    assert!(matches!(connect(DUAL, &idp, server.url()).await.0, Outcome::Connected { .. }));
}

#[tokio::test]
async fn a_get_probe_answered_404_is_refused_as_chatgpt_did_in_2026_08() {
    let (idp, server) = stack(Era::Dual, Some(Fault::GetNotFound), None).await;
    let (o, _) = connect(DUAL, &idp, server.url()).await;
    let Outcome::Failed(f) = o else { panic!("connected despite GET 404") };
    assert_eq!((f.kind, f.message.as_str()), (FailureKind::GetProbeRefused, "MCP SSE probe returned 404"));
    // The dated profile sends no GET probe and connects.
    let (o, _) = connect("chatgpt-2026-cimd", &idp, server.url()).await;
    assert!(matches!(o, Outcome::Connected { .. }), "{o:?}");
}

#[tokio::test]
async fn the_spec_client_speaks_both_eras_and_claude_2026_09_does_not_fall_back() {
    for era in [Era::Dual, Era::Modern, Era::Legacy] {
        let (idp, server) = stack(era, None, None).await;
        let (o, t) = connect("mcp-spec-2026-07-28", &idp, server.url()).await;
        connected(&o, &t);
        assert!(t.exchanges.iter().all(|e| e.kind != ExchangeKind::GetProbe), "the spec client sends no GET probe");
        let (o, t) = connect("claude-2026-09", &idp, server.url()).await;
        // Claude follows the spec's flow: its first server/discover, unauthenticated, gets the 401.
        let d = mcp(&t, "server/discover");
        assert_eq!((body(d[0])["id"].as_str(), d[0].status), (Some("server-discover-probe-1"), Some(401)));
        let last = d.last().unwrap();
        match era {
            // -32601 from a legacy server: Claude 2026-09 does not fall back (claude-ai-mcp#1044).
            Era::Legacy => {
                let Outcome::Failed(f) = o else { panic!("Claude 2026-09 fell back to initialize") };
                assert_eq!((f.seq, last.status), (Some(last.seq), Some(400)), "{f:?}");
                assert!(mcp(&t, "initialize").is_empty(), "no initialize at all");
            }
            _ => {
                connected(&o, &t);
            }
        }
    }
}

/// The CLI, as the "done when" states it: `client --profile chatgpt-2026-08-dual-era`
/// connects in each era and reports the 424 message on an inconsistent server; `profiles show`
/// names the evidence of every era field.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_connects_in_each_era_and_reports_the_424() {
    let run = |url: String| {
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_connector-harness"))
                .args(["client", "--profile", DUAL, &url])
                .output()
                .unwrap()
        })
    };
    for era in [Era::Dual, Era::Modern, Era::Legacy] {
        let (_idp, server) = stack(era, None, None).await;
        let out = run(server.url().to_owned()).await.unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{era:?}: {text}{}", String::from_utf8_lossy(&out.stderr));
        assert!(text.contains("ChatGPT (2026-08 dual-era profile) would connect"), "{text}");
    }
    let (_idp, server) = stack(Era::Modern, None, Some(ModernFault::DiscoverInconsistent)).await;
    let out = run(server.url().to_owned()).await.unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("\"MCP server/discover response was inconsistent\""), "{text}");

    let show = std::process::Command::new(env!("CARGO_BIN_EXE_connector-harness"))
        .args(["profiles", "show", DUAL])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&show.stdout);
    for field in [
        "modern_version",
        "first",
        "discover_id",
        "fallback",
        "method_header",
        "name_header",
        "client_info",
        "client_capabilities",
        "calls",
        "verify_discover",
        "get_probe",
    ] {
        let at = text.find(&format!("\neras.{field}\n")).unwrap_or_else(|| panic!("no eras.{field} in\n{text}"));
        let block: String = text[at + 1..].lines().take(4).collect::<Vec<_>>().join("\n");
        assert!(block.contains("evidence: ") && block.contains("source: "), "{block}");
    }
}
