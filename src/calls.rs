//! `client --call`: what each tool call answered, as the user reads it in a terminal.
//!
//! The answer comes from the server under test, so every piece of it is sanitised and capped
//! ([`sanitize`]): at most [`MAX_ITEMS`] content items, each text at most [`TEXT_CAP`] bytes, the
//! structured content summarised in one capped line. A call fails — and `client` exits 1, "the
//! server failed" — when the server answers with a JSON-RPC error, with `isError: true`, or not
//! at all (the transport broke); the harness's own errors stay exit 3 (see `exit_code`).

use harness::report::sanitize;
use mock_client::Failure;
use serde_json::Value;

/// Content items shown per result; the rest are counted.
const MAX_ITEMS: usize = 20;
/// Bytes of one text content item shown.
const TEXT_CAP: usize = 4096;
/// Bytes of the structured-content summary shown.
const STRUCTURED_CAP: usize = 512;

/// One `--call`'s end: the tool's result, or why there is none.
pub enum CallEnd {
    /// The server answered with a result (which may be `isError: true`).
    Result(Value),
    /// No result: a JSON-RPC error, an HTTP error, or no answer at all.
    Failed(Failure),
}

impl CallEnd {
    /// Whether the call failed: no result, or a result with `isError: true`.
    pub fn failed(&self) -> bool {
        match self {
            CallEnd::Result(r) => is_error(r),
            CallEnd::Failed(_) => true,
        }
    }
}

fn is_error(result: &Value) -> bool {
    result.get("isError") == Some(&Value::Bool(true))
}

/// The lines for one call: a heading `call NAME: …`, then the content indented under it.
pub fn render(name: &str, end: &CallEnd) -> Vec<String> {
    let name = sanitize::line_capped(name, 200);
    let result = match end {
        CallEnd::Failed(f) => {
            let why = match f.kind {
                mock_client::FailureKind::Unreachable => "no answer",
                _ => "failed",
            };
            return vec![format!("call {name}: {why}: {}", sanitize::line(&f.cause))];
        }
        CallEnd::Result(r) => r,
    };
    let mut out = vec![if is_error(result) {
        format!("call {name}: the tool reported an error (isError: true)")
    } else {
        format!("call {name}: ok")
    }];
    let items = result.get("content").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    for item in items.iter().take(MAX_ITEMS) {
        out.extend(content_item(item));
    }
    if items.len() > MAX_ITEMS {
        out.push(format!("  … {} more content items", items.len() - MAX_ITEMS));
    }
    if let Some(s) = result.get("structuredContent") {
        out.push(format!("  structured content: {}", summary(s)));
    }
    if items.is_empty() && result.get("structuredContent").is_none() {
        out.push("  (no content)".to_owned());
    }
    out
}

/// One content item: text in full (capped, one indented line per line), the rest by kind.
fn content_item(item: &Value) -> Vec<String> {
    let str_of = |k: &str| item.get(k).and_then(Value::as_str).unwrap_or_default();
    match str_of("type") {
        "text" => {
            let text = sanitize::block_capped(str_of("text"), TEXT_CAP);
            let mut lines = text.lines();
            let first = lines.next().unwrap_or_default();
            let mut out = vec![format!("  text: {first}")];
            out.extend(lines.map(|l| format!("        {l}")));
            out
        }
        kind @ ("image" | "audio") => vec![format!(
            "  {kind}: {} ({} bytes of base64)",
            sanitize::line_capped(str_of("mimeType"), 100),
            str_of("data").len()
        )],
        "resource_link" => vec![format!("  resource link: {}", sanitize::line_capped(str_of("uri"), 500))],
        "resource" => {
            let uri = item.pointer("/resource/uri").and_then(Value::as_str).unwrap_or_default();
            vec![format!("  embedded resource: {}", sanitize::line_capped(uri, 500))]
        }
        other => vec![format!("  {} content", sanitize::line_capped(other, 100))],
    }
}

/// The structured content in one line: compact JSON, capped.
fn summary(v: &Value) -> String {
    let shape = match v {
        Value::Object(m) => format!("object with {} key{}", m.len(), if m.len() == 1 { "" } else { "s" }),
        Value::Array(a) => format!("array of {}", a.len()),
        _ => "value".to_owned(),
    };
    format!("{shape}: {}", sanitize::line_capped(&v.to_string(), STRUCTURED_CAP))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_result_shows_its_text_and_structured_content() {
        let r = json!({"content": [{"type": "text", "text": "hi\nthere"}], "structuredContent": {"text": "hi"}, "isError": false});
        let end = CallEnd::Result(r);
        assert!(!end.failed());
        assert_eq!(
            render("echo", &end),
            [
                "call echo: ok",
                "  text: hi",
                "        there",
                "  structured content: object with 1 key: {\"text\":\"hi\"}"
            ]
        );
    }

    #[test]
    fn is_error_fails_the_call() {
        let end = CallEnd::Result(json!({"content": [{"type": "text", "text": "boom"}], "isError": true}));
        assert!(end.failed());
        assert_eq!(render("t", &end)[0], "call t: the tool reported an error (isError: true)");
    }

    /// No answer (the connection broke) and a JSON-RPC error both fail the call, told apart.
    #[test]
    fn no_answer_and_a_json_rpc_error_fail_the_call() {
        let failure = |kind, cause: &str| {
            CallEnd::Failed(Failure {
                kind,
                message: "Couldn't reach the MCP server".into(),
                cause: cause.into(),
                phase: mock_client::Phase::Mcp,
                seq: Some(20),
                continued: Vec::new(),
            })
        };
        let gone = failure(mock_client::FailureKind::Unreachable, "connection reset\r\nforged");
        assert!(gone.failed());
        assert_eq!(render("t", &gone), ["call t: no answer: connection reset\\r\\nforged"]);
        let refused = failure(mock_client::FailureKind::McpFailed, "JSON-RPC error {\"code\":-32602}");
        assert!(refused.failed());
        assert_eq!(render("t", &refused), ["call t: failed: JSON-RPC error {\"code\":-32602}"]);
    }

    /// A hostile result can neither write escapes nor flood the terminal.
    #[test]
    fn server_text_is_sanitised_and_bounded() {
        let many: Vec<Value> = (0..100).map(|_| json!({"type": "text", "text": "\u{1b}[2Jx".repeat(10_000)})).collect();
        let lines = render("t\u{1b}]0;x\u{7}", &CallEnd::Result(json!({"content": many})));
        let all = lines.join("\n");
        assert!(!all.contains('\u{1b}') && !all.contains('\u{7}'), "a raw control reached the output");
        assert!(lines.len() <= MAX_ITEMS + 2, "{} lines", lines.len());
        assert!(all.len() < (MAX_ITEMS + 2) * (TEXT_CAP + 200), "{} bytes", all.len());
        assert!(all.contains("… 80 more content items"));
    }
}
