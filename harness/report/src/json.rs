//! JSON: the whole [`RunReport`] (findings and transcripts, already redacted) — what
//! `--report-dir` saves and what can be re-rendered offline — and one scenario in the official
//! MCP conformance suite's `checks.json` shape, so users can merge both suites' results.

use serde_json::{Map, Value, json};

use super::shared;
use harness_checks::model::{RunReport, ScenarioResult};

/// The whole report as pretty JSON (a trailing newline included).
pub fn render(report: &RunReport) -> String {
    // The model holds only strings, numbers, sequences and string-keyed maps: it always serializes.
    let mut s = serde_json::to_string_pretty(report).expect("a RunReport always serializes to JSON");
    s.push('\n');
    s
}

/// Reads a report written by [`render`] back.
pub fn parse(text: &str) -> Result<RunReport, serde_json::Error> {
    serde_json::from_str(text)
}

/// One scenario's findings as the conformance suite's `checks.json`: an array of
/// `{id, name, description, status, timestamp, specReferences, details}`, every check stamped
/// with the given RFC 3339 `timestamp` (the runner passes the report's `started_at`, which keeps
/// saved files reproducible; the clock module's `now_rfc3339` stamps it as the suite does).
///
/// `details` is the finding's own (an object, or `{"value": …}` around anything else) plus, when
/// the finding has them, `exchanges` (the transcript `seq`s that prove it) and `untestable`.
/// Failure and warning checks also carry the suite's optional `errorMessage` (the description).
pub fn checks_json_at(result: &ScenarioResult, timestamp: &str) -> Value {
    let checks: Vec<Value> = result
        .findings
        .iter()
        .map(|f| {
            let mut details = match &f.details {
                Value::Object(m) => m.clone(),
                Value::Null => Map::new(),
                other => Map::from_iter([("value".to_owned(), other.clone())]),
            };
            if !f.exchanges.is_empty() {
                details.entry("exchanges").or_insert_with(|| json!(f.exchanges));
            }
            if f.untestable {
                details.entry("untestable").or_insert(Value::Bool(true));
            }
            let refs: Vec<Value> = f
                .spec_refs
                .iter()
                .map(|r| {
                    let mut m = Map::new();
                    m.insert("id".into(), Value::String(r.id.clone()));
                    if let Some(u) = &r.url {
                        m.insert("url".into(), Value::String(u.clone()));
                    }
                    // The cited section or spec-source lines, beside the page URL.
                    if let Some(l) = &r.location {
                        m.insert("location".into(), Value::String(l.clone()));
                    }
                    Value::Object(m)
                })
                .collect();
            let mut check = json!({
                "id": f.id,
                "name": f.name,
                "description": f.description,
                "status": shared::status_str(f.status),
                "timestamp": timestamp,
                "specReferences": refs,
                "details": details,
            });
            if f.status.is_problem() {
                check["errorMessage"] = Value::String(f.description.clone());
            }
            check
        })
        .collect();
    Value::Array(checks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;
    use crate::terminal::{self, TerminalOptions};

    #[test]
    fn round_trips() {
        let report = fixtures::report();
        let text = render(&report);
        let back = parse(&text).unwrap();
        assert_eq!(serde_json::to_value(&back).unwrap(), serde_json::to_value(&report).unwrap());
        assert_eq!(render(&back), text);
        assert!(text.ends_with("}\n"));
    }

    #[test]
    fn holds_what_the_terminal_shows() {
        let report = fixtures::report();
        let v: Value = serde_json::from_str(&render(&report)).unwrap();
        let term =
            terminal::render(&report, &TerminalOptions { color: false, verbosity: terminal::Verbosity::Findings });
        for (r, jr) in report.results.iter().zip(v["results"].as_array().unwrap()) {
            let verdict = jr["verdict"].as_str().unwrap();
            if r.error.is_none() {
                assert!(term.contains(&format!("\n  {verdict}\n")), "terminal lacks the verdict {verdict}");
            } else {
                assert!(term.contains(jr["error"].as_str().unwrap()));
            }
            for f in jr["findings"].as_array().unwrap() {
                let (id, status) = (f["id"].as_str().unwrap(), f["status"].as_str().unwrap());
                let line = term.lines().find(|l| l.trim_start().starts_with(status) && l.contains(&format!("  {id} ")));
                assert!(line.is_some(), "terminal lacks {status} {id}");
            }
            assert!(jr["run"]["transcript"]["exchanges"].is_array());
        }
        assert_eq!(v["results"][2]["findings"][1]["status"], "FAILURE");
        assert_eq!(v["results"][2]["findings"][1]["specReferences"][0]["id"], "RFC9728");
    }

    /// The JSON report and the suite's `checks.json` over hostile text: JSON escaping only, the
    /// text itself kept as the server sent it (the JSON is data, not a display).
    #[test]
    fn snapshots() {
        let hostile = fixtures::hostile_report();
        insta::assert_snapshot!("hostile", render(&hostile));
        insta::assert_snapshot!(
            "hostile_checks_json",
            serde_json::to_string_pretty(&checks_json_at(&hostile.results[0], &hostile.started_at)).unwrap()
        );
    }

    #[test]
    fn checks_json_has_the_conformance_suite_shape() {
        let report = fixtures::report();
        let checks = checks_json_at(&report.results[2], "2026-07-01T12:00:00Z");
        let arr = checks.as_array().unwrap();
        assert_eq!(arr.len(), 3);
        for c in arr {
            for k in ["id", "name", "description", "status", "timestamp", "specReferences", "details"] {
                assert!(c.get(k).is_some(), "{k} missing in {c}");
            }
            assert_eq!(c["timestamp"], "2026-07-01T12:00:00Z");
        }
        assert_eq!(arr[1]["id"], "RS-03");
        assert_eq!(arr[1]["status"], "FAILURE");
        assert_eq!(arr[1]["errorMessage"], "root PRM answered 404");
        assert_eq!(
            arr[1]["specReferences"],
            json!([{ "id": "RFC9728", "url": "https://www.rfc-editor.org/rfc/rfc9728.html#section-3", "location": "§3" }])
        );
        assert_eq!(arr[1]["details"], json!({ "expected": "x", "actual": "y", "exchanges": [2] }));
        assert!(arr[0].get("errorMessage").is_none());
    }
}
