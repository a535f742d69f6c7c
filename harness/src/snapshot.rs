//! Snapshots: a normalised, secret-free text of a run — verdict, findings and every exchange —
//! stored in insta's `.snap` format next to the scenarios (`scenarios/snapshots/<name>.snap`), so
//! `cargo insta review` works on CLI runs too (a mismatch writes `<name>.snap.new`).
//!
//! Normalisation: secrets are already replaced by `[token-1]`-style placeholders (exact, from the
//! transcript's secret list); here volatile but non-secret values are made stable: ports become
//! `[port-N]` by first appearance, times become `[time]`, random-looking identifiers (session ids,
//! form nonces, key material) become `[opaque]`, and volatile headers (`date`, `content-length`…)
//! are dropped. Exchanges stay in transcript order, which the runner makes deterministic.

use mock_client::Transcript;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::model::{ExpectationResult, Finding, ScenarioResult, Status};
use crate::scenario::Planned;

const DROP_HEADERS: &[&str] = &[
    "date",
    "content-length",
    "etag",
    "last-modified",
    "x-request-id",
    "server",
    "connection",
    "keep-alive",
    "transfer-encoding",
];
const TIME_KEYS: &[&str] =
    &["iat", "exp", "nbf", "auth_time", "client_id_issued_at", "client_secret_expires_at", "expires_at", "timestamp"];

/// The normalised text of a run.
pub fn render(verdict: &str, findings: &[Finding], transcript: &Transcript) -> String {
    let mut out = String::new();
    out.push_str(&format!("verdict: {verdict}\nfindings:\n"));
    let mut fs: Vec<&Finding> = findings.iter().filter(|f| f.status != Status::Info).collect();
    fs.sort_by(|a, b| a.id.cmp(&b.id));
    for f in fs {
        out.push_str(&format!("  {} {:?}\n", f.id, f.status));
    }
    out.push_str("exchanges:\n");
    for e in &transcript.exchanges {
        // Exchanges sent only past a stop of the client, under an assumption, say so.
        let past = if e.continuation { " [continuation]" } else { "" };
        out.push_str(&format!(
            "- #{} {} (attempt {}){past} {}\n  {} {}\n",
            e.seq, e.phase, e.attempt, e.label, e.method, e.url
        ));
        for (k, v) in &e.request_headers {
            let k = k.to_ascii_lowercase();
            out.push_str(&format!("  > {k}: {}\n", header_value(&k, v)));
        }
        if let Some(b) = e.request_body.as_deref().filter(|b| !b.is_empty()) {
            out.push_str(&format!("  > body: {}\n", body(b)));
        }
        match (e.status, &e.error) {
            (Some(s), _) => out.push_str(&format!("  < {s}\n")),
            (None, Some(err)) => out.push_str(&format!("  < error: {err}\n")),
            _ => {}
        }
        let mut hs: Vec<(String, &String)> = e
            .response_headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v))
            .filter(|(k, _)| !DROP_HEADERS.contains(&k.as_str()))
            .collect();
        hs.sort();
        for (k, v) in hs {
            out.push_str(&format!("  < {k}: {}\n", header_value(&k, v)));
        }
        if let Some(b) = e.response_body.as_deref().filter(|b| !b.is_empty()) {
            out.push_str(&format!("  < body: {}\n", body(b)));
        }
    }
    stabilise(&out)
}

/// Header values that change every run whatever their shape: session ids, and cookies (their
/// value and their expiry dates).
fn header_value(name: &str, v: &str) -> String {
    match name {
        "mcp-session-id" => "[session-id]".into(),
        // Seconds until a rate-limit window resets: counts down in real time (IETF RateLimit headers).
        "ratelimit-reset" | "x-ratelimit-reset" => "[seconds]".into(),
        "set-cookie" => {
            let mut parts = v.split(';').map(str::trim);
            let name = parts.next().and_then(|c| c.split_once('=')).map(|(n, _)| n).unwrap_or("");
            let attrs: Vec<&str> = parts
                .filter(|a| {
                    let a = a.to_ascii_lowercase();
                    !a.starts_with("expires=") && !a.starts_with("max-age=")
                })
                .collect();
            std::iter::once(format!("{name}=[cookie]"))
                .chain(attrs.into_iter().map(str::to_owned))
                .collect::<Vec<_>>()
                .join("; ")
        }
        _ => v.to_owned(),
    }
}

/// JSON bodies compactly with times replaced; other bodies as they are (first 2000 characters).
fn body(b: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(b) {
        Ok(mut v) => {
            times(&mut v);
            v.to_string()
        }
        Err(_) => {
            let one_line = b.replace('\r', "").replace('\n', "\\n");
            one_line.chars().take(2000).collect()
        }
    }
}

fn times(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                // 0 is not a time but a fact ("never expires", RFC 7591 §3.2.1): kept.
                if TIME_KEYS.contains(&k.as_str()) && x.is_number() && x.as_i64() != Some(0) {
                    *x = serde_json::Value::String("[time]".into());
                } else {
                    times(x);
                }
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(times),
        _ => {}
    }
}

/// Ports by first appearance (plain or percent-encoded `host%3Aport`), then random-looking tokens.
fn stabilise(text: &str) -> String {
    words(&ports(text))
}

fn ports(text: &str) -> String {
    let mut numbers: BTreeMap<String, usize> = BTreeMap::new();
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    // Bounded: every iteration consumes at least one character of `rest`.
    while !rest.is_empty() {
        let hit = ["127.0.0.1:", "localhost:", "127.0.0.1%3A", "localhost%3A"]
            .iter()
            .find(|h| rest.starts_with(**h) && rest[h.len()..].starts_with(|c: char| c.is_ascii_digit()));
        if let Some(h) = hit {
            let digits: String = rest[h.len()..].chars().take_while(char::is_ascii_digit).collect();
            let n = numbers.len() + 1;
            let n = *numbers.entry(digits.clone()).or_insert(n);
            out.push_str(h);
            out.push_str(&format!("[port-{n}]"));
            rest = &rest[h.len() + digits.len()..];
        } else {
            let c = rest.chars().next().expect("not empty");
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

fn words(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let mut prev = ' ';
    let flush = |word: &mut String, out: &mut String, after_bracket: bool| {
        if !after_bracket && looks_random(word) {
            out.push_str("[opaque]");
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    let mut word_after_bracket = false;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
            if word.is_empty() {
                word_after_bracket = prev == '[';
            }
            word.push(c);
        } else {
            flush(&mut word, &mut out, word_after_bracket);
            out.push(c);
        }
        prev = c;
    }
    flush(&mut word, &mut out, word_after_bracket);
    out
}

/// At least 20 characters mixing digits and letters: ids, nonces, key material — not words,
/// dates or paths.
fn looks_random(w: &str) -> bool {
    // snake_case identifiers (`hs256_with_public_key`) are names, not random values.
    let snake = w.contains('_') && w.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    let digits = w.chars().any(|c| c.is_ascii_digit());
    // Hex ids (session ids, state) may hold few letters.
    let hex = w.len() >= 16
        && digits
        && w.chars().all(|c| c.is_ascii_hexdigit())
        && w.chars().any(|c| c.is_ascii_alphabetic());
    hex || (!snake && w.len() >= 20 && digits && w.chars().filter(|c| c.is_ascii_alphabetic()).count() >= 4)
}

/// The snapshot file of `name` for a scenario.
pub fn path(p: &Planned, name: &str, dir: Option<&Path>) -> PathBuf {
    let dir = dir.map(Path::to_path_buf).unwrap_or_else(|| p.file.parent().unwrap_or(Path::new(".")).join("snapshots"));
    dir.join(format!("{name}.snap"))
}

/// insta's file format: a YAML header, then the content.
pub(crate) fn file_text(source: &str, content: &str) -> String {
    format!("---\nsource: {source}\nexpression: transcript\n---\n{content}")
}

/// The content of an insta `.snap` file.
pub fn read_content(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let rest = text.strip_prefix("---\n")?;
    let end = rest.find("\n---\n")?;
    Some(rest[end + 5..].to_owned())
}

/// Compares the result's snapshot `name` with the kept file under `dir` (default: beside the
/// scenario), or writes it when `update`.
pub(crate) fn check(
    p: &Planned,
    r: &ScenarioResult,
    name: &str,
    update: bool,
    dir: Option<&Path>,
) -> ExpectationResult {
    let content = render(&r.verdict, &r.findings, &r.run.transcript);
    let file = path(p, name, dir);
    let what = format!("snapshot: {name}");
    let write = |f: &Path| {
        if let Some(d) = f.parent() {
            let _ = std::fs::create_dir_all(d);
        }
        std::fs::write(f, file_text(&p.file.display().to_string(), &content))
    };
    if update {
        let _ = std::fs::remove_file(file.with_extension("snap.new"));
        return match write(&file) {
            Ok(()) => ExpectationResult { what, actual: format!("written to {}", file.display()), ok: true },
            Err(e) => ExpectationResult { what, actual: format!("could not write {}: {e}", file.display()), ok: false },
        };
    }
    match read_content(&file) {
        Some(old) if old.trim_end() == content.trim_end() => {
            let _ = std::fs::remove_file(file.with_extension("snap.new"));
            ExpectationResult { what, actual: "matches".into(), ok: true }
        }
        Some(old) => {
            let _ = write(&file.with_extension("snap.new"));
            ExpectationResult {
                what,
                actual: format!("differs from {} ({}):\n{}", file.display(), accept_hint(), diff(&old, &content)),
                ok: false,
            }
        }
        None => {
            let _ = write(&file.with_extension("snap.new"));
            ExpectationResult {
                what,
                actual: format!("no snapshot at {} (wrote .snap.new; {})", file.display(), accept_hint()),
                ok: false,
            }
        }
    }
}

/// The environment variable that makes the cargo-test API ([`crate::testing`]) write snapshots
/// instead of comparing them (the CLI's `run --update-snapshots`):
/// `CONNECTOR_HARNESS_UPDATE_SNAPSHOTS=1 cargo test`. Any value but empty or `0` counts.
pub const UPDATE_SNAPSHOTS_VAR: &str = "CONNECTOR_HARNESS_UPDATE_SNAPSHOTS";

/// Whether [`UPDATE_SNAPSHOTS_VAR`] asks for snapshots to be written.
pub fn update_snapshots_requested() -> bool {
    std::env::var_os(UPDATE_SNAPSHOTS_VAR).is_some_and(|v| !v.is_empty() && v != "0")
}

/// How to accept a new or changed snapshot, from the CLI and from `cargo test`.
fn accept_hint() -> String {
    format!("accept with `run --update-snapshots`, `{UPDATE_SNAPSHOTS_VAR}=1 cargo test` or `cargo insta review`")
}

/// A line diff of `old` and `new` (`- ` and `+ ` lines, unchanged lines left out), at most 200
/// lines shown; huge inputs get a coarser diff after a second rather than a long wait.
pub fn diff(old: &str, new: &str) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let d = similar::TextDiff::configure().timeout(std::time::Duration::from_secs(1)).diff_slices(&a, &b);
    let mut out = String::new();
    for c in d.iter_all_changes().filter(|c| c.tag() != similar::ChangeTag::Equal).take(200) {
        let sign = if c.tag() == similar::ChangeTag::Delete { '-' } else { '+' };
        out.push_str(&format!("{sign} {}\n", c.value()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_and_random_values_are_stabilised() {
        let t = "GET http://127.0.0.1:41234/mcp then http://127.0.0.1:5555/x and 127.0.0.1:41234 id=aB3dE5fG7hJ9kL1mN3pQ5r [token-1] connector_platform_oauth_redirect 2025-06-18";
        let s = stabilise(t);
        assert_eq!(
            s,
            "GET http://127.0.0.1:[port-1]/mcp then http://127.0.0.1:[port-2]/x and 127.0.0.1:[port-1] id=[opaque] [token-1] connector_platform_oauth_redirect 2025-06-18"
        );
    }

    #[test]
    fn json_times_and_diff() {
        assert_eq!(body("{\"exp\":1,\"a\":{\"iat\":2}}"), "{\"exp\":\"[time]\",\"a\":{\"iat\":\"[time]\"}}");
        let d = diff("a\nb\nc\n", "a\nx\nc\n");
        assert_eq!(d, "- b\n+ x\n");
        assert_eq!(diff("a\nb", "a\nb\n"), "", "a missing last newline is no change");
        assert_eq!(diff("", "x\ny\n"), "+ x\n+ y\n");
        assert!(!looks_random("hs256_with_public_key"));
        assert!(looks_random("aB3dE5fG7hJ9kL1mN3pQ5r"));
        assert!(looks_random("30b598f93162427b8361613258669638"), "hex ids with few letters");
        assert!(!looks_random("2025061820251125"), "digits only are not ids");
        assert_eq!(
            header_value("set-cookie", "sid=abc; Path=/; Expires=Sun, 22 Nov 2026 07:00:00 GMT; HttpOnly"),
            "sid=[cookie]; Path=/; HttpOnly"
        );
        assert_eq!(header_value("mcp-session-id", "x"), "[session-id]");
    }

    #[test]
    fn insta_format_round_trips() {
        let dir = std::env::temp_dir().join(format!("ch-snap-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("x.snap");
        std::fs::write(&f, file_text("scenarios/x.yaml", "hello\nworld\n")).unwrap();
        assert_eq!(read_content(&f).unwrap(), "hello\nworld\n");
    }
}
