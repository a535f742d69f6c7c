//! Comparing a run with its scenario's expectations.

use mock_client::Outcome;

use crate::model::{ExpectationResult, ScenarioResult, Status};
use crate::scenario::{ExpectedOutcome, Planned};

pub(crate) fn evaluate(p: &Planned, r: &ScenarioResult, settings: &super::RunSettings) -> Vec<ExpectationResult> {
    let mut out = Vec::new();
    let e = &p.expect;
    if let Some(want) = &e.outcome {
        let actual = match &r.run.outcome {
            Outcome::Connected { .. } => ExpectedOutcome::Connected,
            Outcome::Failed(_) => ExpectedOutcome::Failed,
            Outcome::NotAttempted => ExpectedOutcome::NotAttempted,
        };
        out.push(ExpectationResult {
            what: format!("outcome: {}", want.as_str()),
            actual: actual.as_str().into(),
            ok: *want == actual,
        });
    }
    if let Some(says) = &e.chatgpt_says {
        let want = says.replace("{{target}}", &r.run.target).replace("{target}", &r.run.target);
        let actual = match &r.run.outcome {
            Outcome::Failed(f) => f.message.clone(),
            Outcome::Connected { .. } => "(connected: no message)".into(),
            Outcome::NotAttempted => "(no connect attempted: no message)".into(),
        };
        out.push(ExpectationResult { what: format!("chatgpt_says: {want}"), ok: actual == want, actual });
    }
    for (id, want) in &e.findings {
        let got = r
            .findings
            .iter()
            .filter(|f| &f.id == id && f.status != Status::Info)
            .map(|f| f.status)
            .max_by_key(|s| s.severity());
        let actual = got.map(|s| format!("{s:?}").to_uppercase()).unwrap_or_else(|| "not checked".into());
        out.push(ExpectationResult {
            what: format!("{id}: {}", format!("{want:?}").to_uppercase()),
            ok: got == Some(*want),
            actual,
        });
    }
    if let Some(name) = &e.snapshot {
        out.push(crate::snapshot::check(p, r, name, settings.update_snapshots, settings.snapshot_dir.as_deref()));
    }
    out
}
