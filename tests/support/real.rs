//! Running scenarios against real software and comparing their snapshots: shared by
//! `real_scenarios.rs` and `ts_sdk_v2_server.rs`.

use harness::model::RunReport;
use harness::runner::{RunOptions, RunSettings, run_all};
use std::path::Path;

/// Scenarios running at once per test. The tests of this file run concurrently too (cargo's test
/// threads), so on CI's two cores about four servers run at a time.
pub const JOBS: usize = 2;

/// Loads `files` (paths relative to the repository root, which is the working directory of
/// integration tests, so snapshot headers carry no machine-specific path) and runs them; `target`
/// replaces their targets. Panics with the terminal report unless every run is as expected, and
/// with the diffs unless every snapshot matches (see [`check_snapshots`]).
pub async fn run(files: &[&str], target: Option<String>) -> RunReport {
    let loaded: Vec<_> =
        files.iter().map(|f| harness::scenario::load_file(Path::new(f)).unwrap_or_else(|e| panic!("{e}"))).collect();
    let stem = Path::new(files[0]).file_stem().unwrap().to_string_lossy().into_owned();
    let scratch = std::env::temp_dir().join(format!("connector-harness-real-{}-{stem}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    let opts = RunOptions {
        jobs: JOBS,
        target,
        // The runner writes every snapshot into `scratch`; check_snapshots compares them.
        settings: RunSettings { update_snapshots: true, snapshot_dir: Some(scratch.clone()), ..Default::default() },
        ..Default::default()
    };
    let report = run_all(&loaded, &opts, |_| {}).await;
    let planned: Vec<_> = loaded.iter().flat_map(|l| l.plan()).collect();
    assert_eq!(report.results.len(), planned.len(), "every planned run reports");
    if report.results.iter().any(|r| !r.passed()) {
        let text = harness::report::terminal::render(
            &report,
            &harness::report::terminal::TerminalOptions {
                color: false,
                verbosity: harness::report::Verbosity::Attention,
            },
        );
        panic!("real-server scenarios are not as expected:\n{text}");
    }
    let mismatches = check_snapshots(&planned, &scratch);
    let _ = std::fs::remove_dir_all(&scratch);
    assert!(mismatches.is_empty(), "real-server snapshots differ:\n{}", mismatches.join("\n"));
    report
}

/// Compares the snapshots the runner wrote into `scratch` — after [`stabilise`] — with the ones
/// kept next to the scenarios (`<scenario dir>/snapshots/<name>.snap`), the way the runner itself
/// would: a mismatch or a missing snapshot writes `<name>.snap.new` and is reported with its diff;
/// `CONNECTOR_HARNESS_UPDATE_SNAPSHOTS=1` writes the new snapshots instead.
///
/// Why not let the runner compare: real servers put two volatile things on the wire that the
/// harness's normaliser (`harness::snapshot`) leaves alone today, so those snapshots would differ
/// from run to run — HTTP dates outside the `Date` header (a cookie's `Expires=`, from the
/// TypeScript SDK example and oidc-provider), and session ids in responses the recorder does not
/// take a session from (a 4xx that still carries `Mcp-Session-Id`), which stay in clear when they
/// are hex with fewer than four letters. [`stabilise`] replaces them with the normaliser's own
/// `[time]` and `[opaque]`; once `harness::snapshot` does the same, that part is a no-op. And one
/// volatile thing is the server's own: an OIDC provider re-issues a byte-identical ID token on
/// refresh when the refresh falls in the same second as the code exchange (its claims have
/// one-second resolution), so whether the refresh response's `id_token` is a new placeholder or
/// the earlier one depends on the clock; `stabilise` names every `id_token` value `[id-token]`.
pub fn check_snapshots(planned: &[harness::scenario::Planned], scratch: &Path) -> Vec<String> {
    let update = harness::testing::update_snapshots_requested();
    let mut mismatches = Vec::new();
    for p in planned {
        let Some(name) = &p.expect.snapshot else { continue };
        let written = scratch.join(format!("{name}.snap"));
        let text = std::fs::read_to_string(&written)
            .unwrap_or_else(|e| panic!("the runner wrote no snapshot {}: {e}", written.display()));
        let text = stabilise(&text);
        let kept = p.file.parent().unwrap_or(Path::new(".")).join("snapshots").join(format!("{name}.snap"));
        let new = kept.with_extension("snap.new");
        if update {
            std::fs::create_dir_all(kept.parent().unwrap()).unwrap();
            std::fs::write(&kept, &text).unwrap();
            let _ = std::fs::remove_file(&new);
            continue;
        }
        let content =
            |t: &str| t.strip_prefix("---\n").and_then(|r| r.split_once("\n---\n")).map(|(_, c)| c.to_owned());
        let now = content(&text).expect("the runner writes insta's format");
        match harness::snapshot::read_content(&kept) {
            Some(old) if old.trim_end() == now.trim_end() => {
                let _ = std::fs::remove_file(&new);
            }
            old => {
                std::fs::write(&new, &text).unwrap();
                let what = match &old {
                    Some(old) => harness::snapshot::diff(old, &now),
                    None => "(no snapshot yet)".into(),
                };
                mismatches.push(format!(
                    "{} (wrote {}; accept with CONNECTOR_HARNESS_UPDATE_SNAPSHOTS=1):\n{what}",
                    kept.display(),
                    new.display()
                ));
            }
        }
    }
    mismatches
}

/// HTTP dates (IMF-fixdate) become `[time]`; `Mcp-Session-Id` header values not yet replaced
/// become `[opaque]`; `"id_token":"[token-N]"` becomes `"id_token":"[id-token]"`. See
/// [`check_snapshots`].
pub fn stabilise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let line = id_tokens(&http_dates(line));
        let session = ["  < mcp-session-id: ", "  > mcp-session-id: "].iter().find(|p| line.starts_with(**p));
        match session {
            Some(prefix) if !line[prefix.len()..].starts_with('[') => {
                out.push_str(prefix);
                out.push_str("[opaque]");
                if line.ends_with('\n') {
                    out.push('\n');
                }
            }
            _ => out.push_str(&line),
        }
    }
    out
}

/// Replaces the placeholder after every `"id_token":"` in `line` with `[id-token]`.
fn id_tokens(line: &str) -> String {
    const KEY: &str = "\"id_token\":\"[token-";
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    // Bounded: every turn consumes the text up to and including one occurrence.
    while let Some(at) = rest.find(KEY) {
        let after = &rest[at + KEY.len()..];
        let Some(end) = after.find(']') else { break };
        out.push_str(&rest[..at]);
        out.push_str("\"id_token\":\"[id-token]");
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Replaces every `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110 §5.6.7) in `line` with `[time]`.
fn http_dates(line: &str) -> String {
    const LEN: usize = 29;
    const DAYS: [&[u8]; 7] = [b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun"];
    const MONTHS: [&[u8]; 12] =
        [b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec"];
    let digits = |b: &[u8]| b.iter().all(u8::is_ascii_digit);
    let is_date = |b: &[u8]| {
        DAYS.contains(&&b[0..3])
            && &b[3..5] == b", "
            && digits(&b[5..7])
            && b[7] == b' '
            && MONTHS.contains(&&b[8..11])
            && b[11] == b' '
            && digits(&b[12..16])
            && b[16] == b' '
            && digits(&b[17..19])
            && b[19] == b':'
            && digits(&b[20..22])
            && b[22] == b':'
            && digits(&b[23..25])
            && &b[25..29] == b" GMT"
    };
    let bytes = line.as_bytes();
    let mut out = String::with_capacity(line.len());
    let mut i = 0;
    // Bounded: every turn consumes at least one character.
    while i < bytes.len() {
        if i + LEN <= bytes.len() && is_date(&bytes[i..i + LEN]) {
            out.push_str("[time]");
            i += LEN;
        } else {
            let c = line[i..].chars().next().expect("i is on a character boundary");
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}
