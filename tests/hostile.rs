//! The hostile-server battery: the binary as a user runs it (`check --target URL`), pointed at servers
//! that misbehave on purpose — silence, trickles, endless bodies and streams, redirect loops, private
//! addresses, broken and deeply nested JSON, huge headers, resets, gzip bombs, escape sequences.
//!
//! Every case asserts the exit code, a wall-time bound (the `--timeout` deadline plus slack: a bound,
//! not a benchmark), a memory bound (the child's peak RSS), a bound on what it printed, that no raw
//! control byte reached the terminal, and the text of the finding that names what happened.
//!
//! The servers are hand-written on raw TCP so they can break HTTP itself; they bind 127.0.0.1 only.

use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The deadline every case gives `check`.
const DEADLINE_S: u64 = 10;
/// How much later than the deadline `check` may end (process start, judging, report writing). Generous on
/// purpose: 20 cases run two at a time, and under a loaded machine 8 s was seen to be too tight (18.9 s for a
/// 10 s deadline). The bound exists to catch a deadline that is not enforced — the old behaviour ran 36–240 s.
/// What runs after the deadline is the judging of what was recorded, which the deadline does not cut: against
/// EscapeSequences (a 1.4 MB error body on every request) it took 7–8 s of a debug build, and 40 s under load
/// once, because the era detection re-parsed every `initialize` answer for each 2026-07-28 requirement; it is
/// judged once now, and the whole case measured 4.6 s under today's ChatGPT (with its extra `server/discover`
/// and fallback `initialize`) and 2.2–2.5 s alone (2026-11-30, 2 cores, loaded).
const SLACK_S: u64 = 20;
/// `client`'s timeout for one request (it makes one connect; a stall ends it).
const CLIENT_REQUEST_TIMEOUT_S: u64 = 15;
/// Peak RSS the harness may reach against any hostile server.
const MAX_RSS_KIB: u64 = 256 * 1024;
/// What `check` and `client` may print in all (stdout + stderr) against any hostile server.
const MAX_OUTPUT_BYTES: usize = 256 * 1024;
/// The same under `-v`, which prints every exchange with its body (each body capped at 16 KB).
const MAX_VERBOSE_OUTPUT_BYTES: usize = 1024 * 1024;

/// What a hostile server does with each request it reads.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Hostile {
    /// Accepts the connection, reads the request, never answers.
    Silent,
    /// Sends a status line and then one header byte every 300 ms.
    Trickle,
    /// Announces a 2 GB JSON body and streams it as fast as the client reads.
    TwoGigabytes,
    /// Answers with an event stream that never ends and never carries a response.
    EndlessSse,
    /// Redirects every request to itself.
    RedirectLoop,
    /// Challenges with a `resource_metadata` URL on a private address.
    PrivateResourceMetadata,
    /// Serves a PRM whose authorization server is the cloud metadata address.
    PrivateAuthorizationServer,
    /// Redirects every request to a link-local address.
    RedirectPrivate,
    /// Answers `200 application/json` with a body that is not JSON.
    InvalidJson,
    /// Answers `200 application/json` with JSON nested a million levels deep.
    DeepJson,
    /// Sends a 1 MB response header.
    HugeHeaders,
    /// Resets every connection as soon as the request is read.
    Reset,
    /// A gzip body that inflates to 4 GB.
    GzipBomb,
    /// Error texts full of terminal escape sequences and a forged verdict line.
    EscapeSequences,
}

impl Hostile {
    const ALL: [Hostile; 14] = [
        Hostile::Silent,
        Hostile::Trickle,
        Hostile::TwoGigabytes,
        Hostile::EndlessSse,
        Hostile::RedirectLoop,
        Hostile::PrivateResourceMetadata,
        Hostile::PrivateAuthorizationServer,
        Hostile::RedirectPrivate,
        Hostile::InvalidJson,
        Hostile::DeepJson,
        Hostile::HugeHeaders,
        Hostile::Reset,
        Hostile::GzipBomb,
        Hostile::EscapeSequences,
    ];
}

/// How the binary is pointed at the hostile server.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Cmd {
    /// `check --target URL --timeout DEADLINE_S`.
    Check,
    /// The same with `-v`, which prints exchanges with their bodies.
    CheckVerbose,
    /// `client URL`: one connect, printing the verdict and the server's error text.
    Client,
}

impl Cmd {
    fn args(self, target: &str) -> Vec<String> {
        let deadline = DEADLINE_S.to_string();
        let args: Vec<&str> = match self {
            Cmd::Check => vec!["check", "--target", target, "--timeout", &deadline, "--no-color"],
            Cmd::CheckVerbose => vec!["check", "--target", target, "--timeout", &deadline, "--no-color", "-v"],
            Cmd::Client => vec!["client", target],
        };
        args.into_iter().map(String::from).collect()
    }

    /// The most the command may print.
    fn output_bound(self) -> usize {
        if self == Cmd::CheckVerbose { MAX_VERBOSE_OUTPUT_BYTES } else { MAX_OUTPUT_BYTES }
    }

    /// The longest the command may take: `check`'s deadline, or `client`'s per-request timeout.
    fn bound(self) -> Duration {
        match self {
            Cmd::Check | Cmd::CheckVerbose => Duration::from_secs(DEADLINE_S + SLACK_S),
            Cmd::Client => Duration::from_secs(CLIENT_REQUEST_TIMEOUT_S + SLACK_S),
        }
    }
}

/// Every case: each hostile server under `check`, and the ones whose text or stalls reach the
/// terminal differently under `check -v` and `client`.
fn cases() -> Vec<(Hostile, Cmd)> {
    let mut v: Vec<_> = Hostile::ALL.iter().map(|&h| (h, Cmd::Check)).collect();
    v.extend([
        (Hostile::EscapeSequences, Cmd::CheckVerbose),
        (Hostile::EscapeSequences, Cmd::Client),
        (Hostile::PrivateAuthorizationServer, Cmd::Client),
        (Hostile::Silent, Cmd::Client),
        (Hostile::EndlessSse, Cmd::Client),
        (Hostile::GzipBomb, Cmd::Client),
    ]);
    v
}

/// A running hostile server.
struct HostileServer {
    port: u16,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for HostileServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn start(kind: Hostile) -> HostileServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let bomb = Arc::new(if kind == Hostile::GzipBomb { gzip_bomb() } else { Vec::new() });
    let task = tokio::spawn(async move {
        let mut conns = tokio::task::JoinSet::new();
        loop {
            let Ok((sock, _)) = listener.accept().await else { return };
            let bomb = bomb.clone();
            conns.spawn(async move {
                let _ = serve(kind, port, sock, &bomb).await;
            });
        }
    });
    HostileServer { port, task }
}

/// Reads one request head (bounded) and its body if it has a Content-Length (bounded); returns the
/// request line.
async fn read_request(sock: &mut TcpStream) -> std::io::Result<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = sock.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > 64 * 1024 {
            return Err(std::io::ErrorKind::InvalidData.into());
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let len: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length").then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0)
        .min(1024 * 1024);
    let mut have = buf.len() - head_end;
    while have < len {
        let n = sock.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        have += n;
    }
    Ok(head.lines().next().unwrap_or_default().to_owned())
}

async fn serve(kind: Hostile, port: u16, mut sock: TcpStream, bomb: &[u8]) -> std::io::Result<()> {
    let origin = format!("http://127.0.0.1:{port}");
    loop {
        let line = read_request(&mut sock).await?;
        let path = line.split(' ').nth(1).unwrap_or("/").to_owned();
        match kind {
            Hostile::Silent => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
            }
            Hostile::Trickle => {
                sock.write_all(b"HTTP/1.1 200 OK\r\n").await?;
                loop {
                    sock.write_all(b"X").await?;
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
            }
            Hostile::TwoGigabytes => {
                sock.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2000000000\r\n\r\n[",
                )
                .await?;
                let zeros = vec![b'0'; 64 * 1024];
                let mut sent = 1u64;
                while sent < 2_000_000_000 {
                    sock.write_all(&zeros).await?;
                    sent += zeros.len() as u64;
                }
            }
            Hostile::EndlessSse => {
                sock.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n\r\n",
                )
                .await?;
                loop {
                    sock.write_all(
                        b"event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/ping\"}\n\n",
                    )
                    .await?;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
            Hostile::RedirectLoop => {
                respond(&mut sock, "307 Temporary Redirect", &[("Location", &format!("{origin}{path}"))], "").await?;
            }
            Hostile::RedirectPrivate => {
                respond(
                    &mut sock,
                    "307 Temporary Redirect",
                    &[("Location", "http://169.254.169.254/latest/meta-data/")],
                    "",
                )
                .await?;
            }
            Hostile::PrivateResourceMetadata => {
                let challenge = "Bearer resource_metadata=\"https://10.1.2.3/.well-known/oauth-protected-resource\"";
                respond(&mut sock, "401 Unauthorized", &[("WWW-Authenticate", challenge)], "").await?;
            }
            Hostile::PrivateAuthorizationServer => {
                if path.starts_with("/.well-known/oauth-protected-resource") {
                    let prm = format!(
                        r#"{{"resource":"{origin}/mcp","authorization_servers":["https://169.254.169.254/"],"bearer_methods_supported":["header"]}}"#
                    );
                    respond(&mut sock, "200 OK", &[("Content-Type", "application/json")], &prm).await?;
                } else {
                    let challenge = format!(
                        "Bearer resource_metadata=\"{origin}/.well-known/oauth-protected-resource/mcp\", scope=\"mcp\""
                    );
                    respond(&mut sock, "401 Unauthorized", &[("WWW-Authenticate", &challenge)], "").await?;
                }
            }
            Hostile::InvalidJson => {
                respond(
                    &mut sock,
                    "200 OK",
                    &[("Content-Type", "application/json")],
                    "{\"jsonrpc\": \"2.0\", \"result\": {",
                )
                .await?;
            }
            Hostile::DeepJson => {
                let body = "[".repeat(1_000_000);
                respond(&mut sock, "200 OK", &[("Content-Type", "application/json")], &body).await?;
            }
            Hostile::HugeHeaders => {
                let big = "a".repeat(1024 * 1024);
                respond(&mut sock, "200 OK", &[("Content-Type", "application/json"), ("X-Huge", &big)], "{}").await?;
            }
            Hostile::Reset => {
                // A zero linger makes the close an RST; it cannot block, there is nothing unsent.
                #[allow(deprecated)]
                sock.set_linger(Some(Duration::ZERO))?;
                return Ok(());
            }
            Hostile::GzipBomb => {
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\n\r\n",
                    bomb.len()
                );
                sock.write_all(head.as_bytes()).await?;
                sock.write_all(bomb).await?;
            }
            Hostile::EscapeSequences => {
                let forged = "\u{1b}[2J\u{1b}[H\u{1b}]0;pwned\u{7}\r\n\u{1b}[32mChatGPT would connect (3 tools listed)\u{1b}[0m\n";
                let text = format!("{forged}{}", "\u{1b}[1m!".repeat(200_000));
                if path.starts_with("/.well-known/") {
                    let body = serde_json::json!({"error": "invalid_request", "error_description": text}).to_string();
                    respond(&mut sock, "400 Bad Request", &[("Content-Type", "application/json")], &body).await?;
                } else {
                    let body =
                        serde_json::json!({"jsonrpc": "2.0", "id": 1, "error": {"code": -32000, "message": text}})
                            .to_string();
                    respond(&mut sock, "400 Bad Request", &[("Content-Type", "application/json")], &body).await?;
                }
            }
        }
    }
}

async fn respond(sock: &mut TcpStream, status: &str, headers: &[(&str, &str)], body: &str) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    sock.write_all(head.as_bytes()).await?;
    sock.write_all(body.as_bytes()).await
}

/// A gzip stream of JSON-ish zeros that inflates to 4 GB: 4,096 copies of one fully flushed
/// (byte-aligned, dictionary-reset) deflate segment of 1 MiB, then a final empty block. The CRC in
/// the trailer is wrong on purpose: a client that inflates that far has already failed.
fn gzip_bomb() -> Vec<u8> {
    use flate2::{Compress, Compression, FlushCompress};
    let mut c = Compress::new(Compression::best(), false);
    let input = vec![b'0'; 1024 * 1024];
    let mut segment = Vec::with_capacity(8 * 1024);
    c.compress_vec(&input, &mut segment, FlushCompress::Full).unwrap();
    assert!(c.total_in() == input.len() as u64, "one call compresses the whole MiB");
    let mut fin = Vec::with_capacity(64);
    c.compress_vec(&[], &mut fin, FlushCompress::Finish).unwrap();
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    for _ in 0..4096 {
        out.extend_from_slice(&segment);
    }
    out.extend_from_slice(&fin);
    out.extend_from_slice(&[0; 8]);
    out
}

/// What one run of the binary did.
struct Observed {
    code: Option<i32>,
    wall: Duration,
    peak_rss_kib: u64,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

impl Observed {
    fn text(&self) -> String {
        format!("{}{}", String::from_utf8_lossy(&self.stdout), String::from_utf8_lossy(&self.stderr))
    }
}

/// Runs `connector-harness ARGS`, sampling the child's peak RSS (VmHWM) until it exits; kills it at
/// twice the allowed time so a hang fails the test instead of stalling CI.
async fn run_bin(args: &[String]) -> Observed {
    let started = Instant::now();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_connector-harness"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let pid = child.id().unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let read_out = tokio::spawn(async move { read_capped(&mut out).await });
    let read_err = tokio::spawn(async move { read_capped(&mut err).await });
    let hard_stop = started + Duration::from_secs(2 * (CLIENT_REQUEST_TIMEOUT_S + SLACK_S));
    let mut peak = 0;
    let status = loop {
        if let Some(kib) = vm_hwm_kib(pid) {
            peak = peak.max(kib);
        }
        match tokio::time::timeout(Duration::from_millis(50), child.wait()).await {
            Ok(status) => break status.unwrap(),
            Err(_) if Instant::now() > hard_stop => {
                child.kill().await.unwrap();
                break child.wait().await.unwrap();
            }
            Err(_) => {}
        }
    };
    let wall = started.elapsed();
    Observed {
        code: status.code(),
        wall,
        peak_rss_kib: peak,
        stdout: read_out.await.unwrap(),
        stderr: read_err.await.unwrap(),
    }
}

/// Reads a pipe to its end, keeping at most twice the output bound (the rest is counted as lost
/// but still drained, so the child never blocks on a full pipe).
async fn read_capped(r: &mut (impl tokio::io::AsyncRead + Unpin)) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        match r.read(&mut buf).await {
            Ok(0) | Err(_) => return kept,
            Ok(n) => {
                let room = (2 * MAX_VERBOSE_OUTPUT_BYTES).saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
                if n > room {
                    kept.extend_from_slice(b"<more>");
                }
            }
        }
    }
}

fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// What a case must print: every one of these phrases (case-insensitive) somewhere in the output.
fn expected_phrases(kind: Hostile) -> &'static [&'static str] {
    match kind {
        Hostile::Silent | Hostile::Trickle => &["timed out"],
        Hostile::TwoGigabytes | Hostile::GzipBomb => &["size limit"],
        Hostile::EndlessSse => &["timed out"],
        Hostile::RedirectLoop => &["307"],
        Hostile::PrivateResourceMetadata => &["10.1.2.3", "private", "--allow-private-addresses"],
        Hostile::PrivateAuthorizationServer => &["169.254.169.254", "--allow-private-addresses"],
        Hostile::RedirectPrivate => &["307"],
        Hostile::InvalidJson | Hostile::DeepJson => &["json"],
        Hostile::HugeHeaders => &["too large"],
        Hostile::Reset => &["reset"],
        // Whether the server's text is echoed or not, no raw control byte and no forged verdict line
        // may reach the terminal (asserted for every case); tests/exit_codes.rs shows the escapes.
        Hostile::EscapeSequences => &[],
    }
}

/// One case, start to end; returns what went wrong, if anything.
async fn run_case(kind: Hostile, cmd: Cmd) -> Vec<String> {
    let server = start(kind).await;
    let target = format!("http://127.0.0.1:{}/mcp", server.port);
    let args = cmd.args(&target);
    let o = run_bin(&args).await;
    drop(server);
    let text = o.text();
    let lower = text.to_lowercase();
    let mut problems = Vec::new();
    let excerpt: String = text.chars().take(3000).collect();
    // 1 = the server failed; never 0 (a hostile server is not a connectable one), never 3 (the
    // harness must not break), never a signal.
    if o.code != Some(1) {
        problems.push(format!("exit code {:?}, expected 1", o.code));
    }
    if o.wall > cmd.bound() {
        problems.push(format!("took {:?}, bound {:?}", o.wall, cmd.bound()));
    }
    if o.peak_rss_kib > MAX_RSS_KIB {
        problems.push(format!("peak RSS {} KiB, bound {} KiB", o.peak_rss_kib, MAX_RSS_KIB));
    }
    if o.stdout.len() + o.stderr.len() > cmd.output_bound() {
        problems.push(format!("printed {} bytes, bound {}", o.stdout.len() + o.stderr.len(), cmd.output_bound()));
    }
    let raw_control =
        o.stdout.iter().chain(&o.stderr).filter(|&&b| (b < 0x20 && b != b'\n' && b != b'\t') || b == 0x7f).count();
    if raw_control > 0 {
        problems.push(format!("{raw_control} raw control bytes reached the terminal"));
    }
    if text.contains("panicked") {
        problems.push("the harness panicked".into());
    }
    // A verdict line saying "would connect" is either the harness's own (wrong: a hostile server is
    // not connectable) or forged by server text that escaped the sanitiser; forged text may appear
    // only escaped, on the line of the escaped sequences around it.
    if let Some(line) = text.lines().find(|l| {
        l.to_lowercase().contains("would connect") && !["\\x1b", "\\u001b", "\\u{1b}"].iter().any(|e| l.contains(e))
    }) {
        problems.push(format!("a \"would connect\" line: {line:?}"));
    }
    for phrase in expected_phrases(kind) {
        if !lower.contains(&phrase.to_lowercase()) {
            problems.push(format!("missing {phrase:?} in the output"));
        }
    }
    if problems.is_empty() {
        Vec::new()
    } else {
        vec![format!(
            "{kind:?} under {cmd:?} ({:?}, {} KiB, {} B out): {}\n--- output ---\n{excerpt}\n",
            o.wall,
            o.peak_rss_kib,
            o.stdout.len() + o.stderr.len(),
            problems.join("; ")
        )]
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_hostile_server_ends_bounded_with_one_clear_finding() {
    // Two cases at a time: the machine CI runs on has two cores.
    let sem = Arc::new(tokio::sync::Semaphore::new(2));
    let mut set = tokio::task::JoinSet::new();
    let cases = cases();
    let total = cases.len();
    for (kind, cmd) in cases {
        let sem = sem.clone();
        set.spawn(async move {
            let _permit = sem.acquire_owned().await.unwrap();
            run_case(kind, cmd).await
        });
    }
    let mut failures = Vec::new();
    while let Some(r) = set.join_next().await {
        failures.extend(r.unwrap());
    }
    assert!(failures.is_empty(), "{} of {total} hostile cases failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn the_gzip_bomb_really_inflates_past_every_limit() {
    use std::io::Read;
    let bomb = gzip_bomb();
    assert!(bomb.len() < 8 * 1024 * 1024, "the bomb itself is small: {} bytes", bomb.len());
    let mut inflated = 0u64;
    let mut d = flate2::read::GzDecoder::new(&bomb[..]);
    let mut buf = vec![0u8; 1 << 20];
    while inflated < 64 * 1024 * 1024 {
        let n = d.read(&mut buf).unwrap();
        assert!(n > 0, "ended after {inflated} bytes");
        inflated += n as u64;
    }
}
