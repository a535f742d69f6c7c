//! Probes do not change each other's answers: a server that refuses a request before reading its
//! body (here: any request with a foreign `Origin`, answered 403 at once) leaves the body on the
//! connection. Were the next probe sent on that kept-alive connection, the server would read the
//! left-over body as the start of a request and answer 501 — the CORS preflight after it would
//! flip GPT-12. Each probe on its own connection gives the same findings in 20 of 20 runs.

use harness::model::{RunRecord, Status};
use harness::probes::{self, Probe, ProbeContext};
use mock_client::Outcome;
use mock_client::http::Recorder;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One HTTP/1.1 connection of the hasty server: keeps it alive, and reads a request's body only
/// when it does not refuse the request first.
async fn serve(mut s: TcpStream) {
    let mut buf: Vec<u8> = Vec::new();
    loop {
        // Bounded: at most 64 KiB buffered per connection.
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let mut chunk = [0u8; 4096];
            match s.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) if buf.len() + n <= 65536 => buf.extend_from_slice(&chunk[..n]),
                Ok(_) => return,
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
        buf.drain(..head_end);
        let request_line = head.lines().next().unwrap_or("").to_owned();
        let (method, ok_line) = match request_line.split(' ').collect::<Vec<_>>().as_slice() {
            [m, _, v] if v.starts_with("http/1.") => (m.to_string(), true),
            _ => (String::new(), false),
        };
        if !ok_line {
            let _ =
                s.write_all(b"HTTP/1.1 501 Not Implemented\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").await;
            return;
        }
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:").map(|v| v.trim().parse().unwrap_or(0)))
            .unwrap_or(0);
        if head.contains("\r\norigin: https://evil.example") {
            // Refused before the body is read; the body stays in `buf` / the socket.
            let _ = s.write_all(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n").await;
            continue;
        }
        while buf.len() < length {
            let mut chunk = [0u8; 4096];
            match s.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        buf.drain(..length);
        let reply: &[u8] = match method.as_str() {
            "options" => b"HTTP/1.1 204 No Content\r\naccess-control-allow-origin: https://chatgpt.com\r\naccess-control-allow-methods: POST, GET, DELETE\r\naccess-control-allow-headers: authorization, content-type, mcp-protocol-version, mcp-session-id\r\ncontent-length: 0\r\n\r\n",
            "post" => b"HTTP/1.1 401 Unauthorized\r\nwww-authenticate: Bearer resource_metadata=\"http://127.0.0.1/x\"\r\ncontent-length: 0\r\n\r\n",
            _ => b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n",
        };
        if s.write_all(reply).await.is_err() {
            return;
        }
    }
}

#[tokio::test]
async fn a_server_answering_before_the_body_gives_the_same_findings_in_20_runs() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        // Bounded by the test: aborted at the end.
        while let Ok((s, _)) = listener.accept().await {
            tokio::spawn(serve(s));
        }
    });
    let target = format!("http://127.0.0.1:{port}/mcp");
    let mut first: Option<Vec<(String, Status, String)>> = None;
    for run in 0..20 {
        let rec = Recorder::new(Default::default());
        let ctx = ProbeContext::new(&rec, &target, "isolation-test");
        for p in [Probe::BadOrigin, Probe::CorsPreflight, Probe::Unauthenticated] {
            probes::run(&p, &ctx).await.unwrap();
        }
        let record = RunRecord {
            target: target.clone(),
            profile: "mcp-spec-2025-11-25".into(),
            profile_display: "spec".into(),
            spec_version: mcp_wire::SpecVersion::V2025_11_25,
            outcome: Outcome::Connected { tools: vec![], protocol_version: None },
            transcript: rec.transcript().redacted(),
        };
        let findings: Vec<(String, Status, String)> =
            harness::checks::run(&record).into_iter().map(|f| (f.id, f.status, f.description)).collect();
        let gpt12 = findings.iter().find(|f| f.0 == "GPT-12").expect("GPT-12 judged");
        assert_eq!(gpt12.1, Status::Success, "run {run}: {gpt12:?}");
        match &first {
            None => first = Some(findings),
            Some(f) => assert_eq!(f, &findings, "run {run} differs from run 0"),
        }
    }
    server.abort();
}
