//! `connector-harness check --transcript FILE`: the checks over a saved transcript, offline.
//!
//! A transcript written by `client --transcript`, by `record`, or a run record from a report
//! holds what went over the wire; the checks read nothing else, so a captured real session is
//! judged by the same rules as an emulated one. Two things a capture may lack are reported as
//! SKIPPED, never guessed: what the client concluded (a bare transcript has no outcome, and the
//! GPT-* connect verdicts need it), and tokens minted by an IdP the server trusts (no capture has
//! the harness's negative tokens). Nothing here sends a request.

use mcp_wire::SpecVersion;
use mock_client::{Outcome, Transcript};
use serde::Deserialize;

use crate::checks;
use crate::model::{RunRecord, ScenarioResult, Status};

/// A capture file as read: a bare transcript, or a run record that also holds the outcome.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum CaptureFile {
    /// A run record (`report.json`'s `run`, or any JSON with `transcript` and `outcome`).
    Record {
        /// What the client concluded.
        outcome: Outcome,
        /// What went over the wire.
        transcript: Transcript,
        /// The MCP URL under test, when the record names it.
        #[serde(default)]
        target: Option<String>,
    },
    /// What `client --transcript` and `record` write.
    Transcript(Transcript),
}

/// The capture could not be read (the user's input, not the harness).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OfflineError {
    /// Not a transcript or run record.
    #[error("not a transcript or run record: {0}")]
    Format(String),
    /// No MCP request in the transcript and no `--target`.
    #[error("the transcript holds no MCP request, so its target is unknown: pass --target")]
    NoTarget,
}

impl CaptureFile {
    /// Reads the JSON text of a capture.
    /// A browser HAR is imported ([`crate::har`]) as a bare transcript.
    pub fn parse(text: &str) -> Result<CaptureFile, OfflineError> {
        if text.len() > crate::har::MAX_HAR_BYTES {
            return Err(OfflineError::Format(format!(
                "{} bytes; at most {} are read",
                text.len(),
                crate::har::MAX_HAR_BYTES
            )));
        }
        let v: serde_json::Value = serde_json::from_str(text).map_err(|e| OfflineError::Format(e.to_string()))?;
        if crate::har::is_har(&v) {
            let i = crate::har::import(text).map_err(|e| OfflineError::Format(e.to_string()))?;
            return Ok(CaptureFile::Transcript(i.transcript));
        }
        serde_json::from_value(v).map_err(|e| OfflineError::Format(e.to_string()))
    }
}

/// The MCP URL a transcript talks to: the first MCP request's URL (its query dropped).
pub fn infer_target(t: &Transcript) -> Option<String> {
    use mock_client::ExchangeKind as K;
    t.exchanges
        .iter()
        .find(|e| matches!(e.kind, K::UnauthenticatedInitialize | K::Mcp { .. }))
        .map(|e| e.url.split(['?', '#']).next().unwrap_or_default().to_owned())
}

/// What the GPT-* findings say when the capture does not hold the client's outcome.
pub const NO_OUTCOME: &str = "Not tested offline: the capture holds what went over the wire but not what the client concluded (connected, or which error it showed), and ChatGPT's connect verdicts are judged from that. Testable from a run record (report.json's `run`) or a live `client`/`check` run.";

/// Judges the capture as `check` would have, with `profile` (a shipped name or file) and `spec`.
pub fn check_capture(
    capture: CaptureFile,
    target: Option<String>,
    profile: &str,
    spec: SpecVersion,
) -> Result<ScenarioResult, OfflineError> {
    let (outcome, transcript, recorded_target) = match capture {
        CaptureFile::Record { outcome, transcript, target } => (Some(outcome), transcript, target),
        CaptureFile::Transcript(t) => (None, t, None),
    };
    let target = target.or(recorded_target).or_else(|| infer_target(&transcript)).ok_or(OfflineError::NoTarget)?;
    let display = mock_client::profile::load(profile).map(|p| p.display).unwrap_or_else(|_| profile.to_owned());
    let head = crate::model::RunHead {
        target: target.clone(),
        profile: profile.to_owned(),
        profile_display: display,
        spec_version: spec,
    };
    let mut result =
        ScenarioResult::not_run(format!("check {profile} (offline)"), "transcript".into(), Vec::new(), head);
    let known_outcome = outcome.is_some();
    result.run = RunRecord { outcome: outcome.unwrap_or(Outcome::NotAttempted), transcript, ..result.run };
    let mut findings = checks::run(&result.run);
    if !known_outcome {
        for f in findings.iter_mut().filter(|f| f.id.starts_with("GPT-") && f.status != Status::Skipped) {
            f.status = Status::Skipped;
            f.description = NO_OUTCOME.to_owned();
            f.untestable = false;
        }
        // The GPT rules the connect verdict would have produced say so too, rather than vanish.
        if mock_client::profile::is_chatgpt(profile) {
            for id in checks::RULES.iter().map(|r| r.id).filter(|id| id.starts_with("GPT-")) {
                if !findings.iter().any(|f| f.id == id) {
                    let req = crate::catalogue::get(id);
                    findings.push(crate::model::Finding {
                        id: id.to_owned(),
                        name: req.map(|r| r.name.clone()).unwrap_or_else(|| id.to_owned()),
                        status: Status::Skipped,
                        description: NO_OUTCOME.to_owned(),
                        spec_refs: req.map(|r| r.spec_refs()).unwrap_or_default(),
                        details: serde_json::Value::Null,
                        exchanges: Vec::new(),
                        untestable: false,
                    });
                }
            }
            findings.sort_by_key(|f| checks::registry::order(&f.id));
        }
    }
    if !findings.iter().any(|f| f.id == checks::TARGET) {
        crate::findings::skip_token_requirements(&mut findings);
    }
    // The capture was redacted when written; its own secrets list hides anything left.
    let raw = result.run.transcript.clone();
    crate::findings::redact(&raw, &mut findings);
    result.findings = findings;
    result.verdict = match &result.run.outcome {
        Outcome::NotAttempted => "judged offline from a transcript (the client's outcome is not in it)".to_owned(),
        o => mock_client::profile::load(profile).map(|p| o.verdict(&p)).unwrap_or_default(),
    };
    Ok(result)
}
