//! Exit codes end to end — 0 as expected, 1 the server failed, 2 the user's input is wrong, 3 the
//! harness broke — and server text that tries to forge terminal output or flood it.

mod support;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Output;

use support::{bin, text, tmp};

fn scenario(dir: &std::path::Path, name: &str, body: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p.to_str().unwrap().to_owned()
}

#[test]
fn zero_when_as_expected_one_when_the_server_fails() {
    let o = bin(&["run", "--no-color", "tests/scenarios/passes.yaml"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = bin(&["run", "--no-color", "tests/scenarios/expects-connect-to-broken-server.yaml"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
}

#[test]
fn two_when_the_users_input_is_wrong() {
    let dir = tmp("input");
    // A target URL without a scheme, for every command that takes one.
    for args in [
        &["check", "--target", "example.com/mcp"][..],
        &["client", "example.com/mcp"],
        &["run", "tests/scenarios/passes.yaml", "--target", "example.com/mcp"],
    ] {
        let o = bin(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(text(&o).contains("no scheme"), "{args:?}: {}", text(&o));
    }
    // A misspelt enum value in a scenario file: an error at the value, not a silent default.
    let typo = scenario(&dir, "typo.yaml", "name: typo\nclient:\n  login: frm\n");
    let o = bin(&["run", &typo]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("frm") && text(&o).contains("line 3"), "{}", text(&o));
    // The user's server command exits before it is ready: a scenario error, with its stderr.
    let exits = scenario(
        &dir,
        "exits.yaml",
        "name: server exits\ntarget:\n  command:\n    command: [sh, -c, \"echo cannot bind >&2; exit 7\"]\n    url: \"http://127.0.0.1:{{port}}/mcp\"\n",
    );
    let report = dir.join("reports");
    let o = bin(&["run", "--no-color", &exits, "--report-dir", report.to_str().unwrap()]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(2), "{t}");
    assert!(t.contains("scenario error") && t.contains("cannot bind"), "{t}");
    assert!(!t.contains("harness error"), "{t}");
    let xml = std::fs::read_to_string(report.join("junit.xml")).unwrap();
    assert!(xml.contains("type=\"scenario error\""), "{xml}");
    // Bad flags and unknown profiles.
    assert_eq!(bin(&["check", "--target", "http://127.0.0.1:9/mcp", "--spec", "2024-01-01"]).status.code(), Some(2));
    assert_eq!(bin(&["client", "--profile", "chatgpt-1999", "http://127.0.0.1:9/mcp"]).status.code(), Some(2));
    assert_eq!(bin(&["run", "--no-such-flag"]).status.code(), Some(2));
}

#[test]
fn three_when_the_harness_breaks_and_the_scenario_is_not_lost() {
    let dir = tmp("harness");
    // Calling a tool before `connect` panics inside the client: the scenario is a harness error in
    // every output, never a run that says "0 passed, 0 failed" and exits 0.
    let panics = scenario(&dir, "panics.yaml", "name: tool before connect\nsteps:\n  - call_tool: {name: echo}\n");
    let report = dir.join("reports");
    let o = bin(&["run", "--no-color", &panics, "--report-dir", report.to_str().unwrap()]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(3), "{t}");
    assert!(String::from_utf8_lossy(&o.stdout).lines().last() == Some("0 passed, 1 failed"), "{t}");
    assert!(t.contains("1 harness error") && t.contains("connect first"), "{t}");
    let xml = std::fs::read_to_string(report.join("junit.xml")).unwrap();
    let parsed = quick_junit::Report::deserialize_from_str(&xml).unwrap();
    assert_eq!((parsed.tests, parsed.errors), (1, 1), "{xml}");
    assert!(xml.contains("type=\"harness error\""), "{xml}");
}

/// A hostile server: its registration endpoint answers with an error text that clears the screen,
/// sets the window title, rings the bell, returns the carriage to draw a forged green "would
/// connect" line, and runs to 900 KB.
fn hostile_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let origin = base.clone();
    let forged = "\u{1b}[2J\u{1b}[H\u{1b}]0;pwned\u{7}\r\u{1b}[32mChatGPT (2026 CIMD profile) would connect (3 tools listed)\u{1b}[0m\n\u{9b}31mforged\u{7f}\r\n";
    let description = format!("{forged}{}", "A".repeat(900 * 1024));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            // Read the head, then the body by Content-Length (bounded: tests send small bodies).
            let head_end = loop {
                let Ok(n) = s.read(&mut chunk) else { break None };
                if n == 0 {
                    break None;
                }
                buf.extend_from_slice(&chunk[..n]);
                if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    break Some(i + 4);
                }
                if buf.len() > 1 << 20 {
                    break None;
                }
            };
            let Some(head_end) = head_end else { continue };
            let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
            let len = head
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned()))
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(0)
                .min(1 << 20);
            while buf.len() < head_end + len {
                match s.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            let mut first = head.lines().next().unwrap_or_default().split(' ');
            let (method, path) = (first.next().unwrap_or_default(), first.next().unwrap_or_default());
            let (status, extra, body) = match (method, path) {
                ("POST", "/mcp") | ("GET", "/mcp") => (
                    "401 Unauthorized",
                    format!(
                        "WWW-Authenticate: Bearer resource_metadata=\"{origin}/.well-known/oauth-protected-resource\"\r\n"
                    ),
                    String::new(),
                ),
                ("GET", p) if p.starts_with("/.well-known/oauth-protected-resource") => (
                    "200 OK",
                    String::new(),
                    serde_json::json!({"resource": format!("{origin}/mcp"), "authorization_servers": [origin]})
                        .to_string(),
                ),
                ("GET", p) if p.starts_with("/.well-known/oauth-authorization-server")
                    || p.starts_with("/.well-known/openid-configuration") =>
                {
                    (
                        "200 OK",
                        String::new(),
                        serde_json::json!({
                            "issuer": origin,
                            "authorization_endpoint": format!("{origin}/authorize"),
                            "token_endpoint": format!("{origin}/token"),
                            "registration_endpoint": format!("{origin}/register"),
                            "response_types_supported": ["code"],
                            "grant_types_supported": ["authorization_code", "refresh_token"],
                            "code_challenge_methods_supported": ["S256"],
                            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic", "none"],
                        })
                        .to_string(),
                    )
                }
                ("POST", "/register") => (
                    "400 Bad Request",
                    String::new(),
                    serde_json::json!({"error": "invalid_client_metadata", "error_description": description})
                        .to_string(),
                ),
                _ => ("404 Not Found", String::new(), String::new()),
            };
            let resp = format!(
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n{extra}\r\n{body}",
                body.len()
            );
            let _ = s.write_all(resp.as_bytes());
        }
    });
    format!("{base}/mcp")
}

/// No raw control byte reaches the terminal (or the reports), and the output stays bounded.
#[test]
fn server_text_cannot_forge_or_flood_the_output() {
    let url = hostile_server();
    let dir = tmp("hostile");
    let report = dir.join("reports");
    let runs: Vec<(&str, Output)> = vec![
        ("client", bin(&["client", "--profile", "chatgpt-2025-dcr", &url])),
        ("client -v", bin(&["client", "--profile", "chatgpt-2025-dcr", "-v", &url])),
        ("client -vv", bin(&["client", "--profile", "chatgpt-2025-dcr", "-vv", &url])),
        (
            "check",
            bin(&[
                "check",
                "--no-color",
                "--target",
                &url,
                "--profile",
                "chatgpt-2025-dcr",
                "--report-dir",
                report.to_str().unwrap(),
            ]),
        ),
        ("check -v", bin(&["check", "--no-color", "-v", "--target", &url, "--profile", "chatgpt-2025-dcr"])),
    ];
    for (what, o) in &runs {
        let t = text(o);
        assert_eq!(o.status.code(), Some(1), "{what}: the server failed, nothing else: {}", &t[..t.len().min(4000)]);
        assert!(t.contains("AAAA"), "{what}: the error text is shown: {}", &t[..t.len().min(4000)]);
        let raw: Vec<char> = t.chars().filter(|c| c.is_control() && *c != '\n' && *c != '\t').collect();
        assert!(raw.is_empty(), "{what}: raw control characters {raw:?} reached the terminal");
        assert!(!t.lines().any(|l| l.starts_with("ChatGPT (2026 CIMD profile) would connect")), "{what}: forged line");
        assert!(t.len() < 200 * 1024, "{what}: {} bytes of output for a 900 KB error text", t.len());
        assert!(t.contains("bytes)"), "{what}: the cut says how long the value was");
    }
    // The reports never carry a raw control character either (XML 1.0 forbids them).
    for f in ["junit.xml", "report.md"] {
        let body = std::fs::read_to_string(report.join(f)).unwrap();
        assert!(!harness::report::sanitize::has_raw_control(&body), "{f} carries a raw control character");
    }
    let xml = std::fs::read_to_string(report.join("junit.xml")).unwrap();
    quick_junit::Report::deserialize_from_str(&xml).expect("valid JUnit XML");
}

/// `client --call` prints what each call answered and exits 1 when one fails — a JSON-RPC error
/// (an unknown tool), `isError: true` (echo without its argument) — and 0 when every call gave a
/// result; `-v` is one line per exchange, `-vv` adds headers and bodies (as in `run` and `check`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_calls_print_their_results_and_a_failed_call_exits_one() {
    let idp = harness::testing::mock_idp().await;
    let server = harness::testing::reference_server(&idp).await;
    let url = server.url().to_owned();
    let client = |extra: &[&str]| {
        let mut args: Vec<String> = ["client", "--profile", "chatgpt-2026-cimd"].map(String::from).to_vec();
        args.extend(extra.iter().map(|s| s.to_string()));
        args.push(url.clone());
        async move {
            tokio::process::Command::new(env!("CARGO_BIN_EXE_connector-harness"))
                .args(&args)
                .current_dir(support::repo())
                .output()
                .await
                .unwrap()
        }
    };
    let stdout = |o: &Output| String::from_utf8_lossy(&o.stdout).into_owned();

    let ok = client(&["--call", r#"echo={"text":"hello there"}"#]).await;
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
    let out = stdout(&ok);
    assert!(out.contains("call echo: ok\n  text: hello there\n"), "{out}");
    assert!(out.contains("  structured content: object with 1 key: {\"text\":\"hello there\"}"), "{out}");
    assert!(ok.stderr.is_empty(), "no -v, no exchange lines: {}", String::from_utf8_lossy(&ok.stderr));

    let is_error = client(&["--call", "echo"]).await;
    assert_eq!(is_error.status.code(), Some(1), "{}", text(&is_error));
    let out = stdout(&is_error);
    assert!(out.contains("would connect"), "the connect itself is fine: {out}");
    assert!(out.contains("call echo: the tool reported an error (isError: true)\n  text: echo needs"), "{out}");
    assert!(out.contains("1 tool call of 1 failed"), "{out}");

    let unknown = client(&["--call", r#"echo={"text":"a"}"#, "--call", "no_such_tool", "-v"]).await;
    assert_eq!(unknown.status.code(), Some(1), "{}", text(&unknown));
    let out = stdout(&unknown);
    assert!(out.contains("call echo: ok"), "{out}");
    assert!(
        out.contains("call no_such_tool: failed: tools/call no_such_tool failed after authorization: JSON-RPC error"),
        "{out}"
    );
    assert!(out.contains("-32602"), "the JSON-RPC code is shown: {out}");
    let err = String::from_utf8_lossy(&unknown.stderr);
    assert!(err.lines().any(|l| l.contains("POST") && l.contains("tools/call")), "-v: one line per exchange: {err}");
    assert!(!err.contains("        > "), "-v shows no headers: {err}");

    let vv = client(&["-vv"]).await;
    assert_eq!(vv.status.code(), Some(0), "{}", text(&vv));
    let err = String::from_utf8_lossy(&vv.stderr);
    assert!(err.contains("        > ") && err.contains("        < "), "-vv shows headers and bodies: {err}");
}
