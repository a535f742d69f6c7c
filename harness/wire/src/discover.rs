//! Whether a `server/discover` answer (MCP 2026-07-28) agrees with what the server then serves.
//!
//! The dual-era ChatGPT refuses a server whose `server/discover` answer is "inconsistent" (HTTP
//! 424, research 2026-07-28 §3); what it compares was never captured. This is the harness's one
//! reading of "inconsistent", used by the mock client (to refuse, as the profile says ChatGPT
//! does) and by the checks (to judge GPT-19), so both decide alike from the same two answers.

use serde_json::Value;

/// What a `server/discover` result promised the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Promise {
    /// `supportedVersions`, as strings (non-strings dropped).
    pub versions: Vec<String>,
    /// Whether `capabilities.tools` is declared.
    pub tools: bool,
}

impl Promise {
    /// Reads a `server/discover` result; `None` when it is not an object with `supportedVersions`.
    pub fn of(result: &Value) -> Option<Promise> {
        let versions = result.get("supportedVersions")?.as_array()?;
        Some(Promise {
            versions: versions.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
            tools: result.pointer("/capabilities/tools").is_some_and(|t| !t.is_null()),
        })
    }

    /// Whether `version` is offered.
    pub fn offers(&self, version: &str) -> bool {
        self.versions.iter().any(|v| v == version)
    }
}

/// How a request after `server/discover` (on the modern path, with the version the client chose)
/// was answered: its HTTP status and the JSON-RPC message, if one came.
#[derive(Debug, Clone, Copy)]
pub struct Served<'a> {
    /// The method sent (`tools/list`).
    pub method: &'a str,
    /// Its HTTP status.
    pub status: u16,
    /// The JSON-RPC response, if one could be read.
    pub message: Option<&'a Value>,
}

/// Why `served` contradicts `promise` for a client speaking `version`, or `None` when it does not.
/// An authorization refusal (401/403) is not a contradiction: it is the token's matter.
pub fn contradiction(promise: &Promise, version: &str, served: Served<'_>) -> Option<String> {
    if matches!(served.status, 401 | 403) {
        return None;
    }
    let result = served.message.and_then(|m| m.get("result"));
    if let Some(r) = result.filter(|_| (200..300).contains(&served.status)) {
        if !promise.offers(version) {
            return Some(format!(
                "server/discover lists supportedVersions {:?} without {version}, yet {} is served on {version}",
                promise.versions, served.method
            ));
        }
        let tools = r.get("tools").and_then(Value::as_array).is_some_and(|t| !t.is_empty());
        if served.method == "tools/list" && tools && !promise.tools {
            return Some("server/discover declares no tools capability, yet tools/list lists tools".into());
        }
        return None;
    }
    if !promise.offers(version) {
        // The server said it does not speak this version, and it does not: consistent.
        return None;
    }
    let error = served.message.and_then(|m| m.get("error")).map(|e| format!(" {}", error_text(e))).unwrap_or_default();
    Some(format!(
        "server/discover offers {version}, yet {} on {version} answered HTTP {}{error}",
        served.method, served.status
    ))
}

/// A JSON-RPC error as `code (message)`, the message cut at 200 characters (server text).
fn error_text(e: &Value) -> String {
    let code = e.get("code").map(Value::to_string).unwrap_or_else(|| "no code".into());
    match e.get("message").and_then(Value::as_str) {
        Some(m) => format!("{code} ({})", m.chars().take(200).collect::<String>()),
        None => code,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const V: &str = "2026-07-28";

    fn promise(tools: bool, versions: &[&str]) -> Promise {
        let caps = if tools { json!({"tools": {}}) } else { json!({}) };
        Promise::of(&json!({"supportedVersions": versions, "capabilities": caps})).unwrap()
    }

    #[test]
    fn a_served_list_agrees_with_a_promise_of_tools_and_the_version() {
        let msg = json!({"jsonrpc": "2.0", "id": 2, "result": {"tools": [{"name": "echo"}]}});
        let served = Served { method: "tools/list", status: 200, message: Some(&msg) };
        assert_eq!(contradiction(&promise(true, &[V]), V, served), None);
        let no_tools = contradiction(&promise(false, &[V]), V, served).unwrap();
        assert!(no_tools.contains("no tools capability"), "{no_tools}");
        let no_version = contradiction(&promise(true, &["2025-11-25"]), V, served).unwrap();
        assert!(no_version.contains("without 2026-07-28"), "{no_version}");
    }

    #[test]
    fn a_refusal_contradicts_only_a_promise_of_the_version_and_never_when_it_is_about_the_token() {
        let msg = json!({"jsonrpc": "2.0", "id": 2, "error": {"code": -32020, "message": "Header mismatch"}});
        let refused = Served { method: "tools/list", status: 400, message: Some(&msg) };
        let why = contradiction(&promise(true, &[V]), V, refused).unwrap();
        assert!(why.contains("HTTP 400") && why.contains("-32020"), "{why}");
        assert_eq!(contradiction(&promise(true, &["2025-11-25"]), V, refused), None);
        let unauthorized = Served { method: "tools/list", status: 401, message: None };
        assert_eq!(contradiction(&promise(true, &[V]), V, unauthorized), None);
    }
}
