//! What the runner and `check` both do to the findings after the checks ran: hide the run's
//! secrets in every text, and mark the token requirements SKIPPED when no trusted IdP minted
//! tokens. Its own module so neither of them imports the other for it.

use mock_client::Transcript;

use crate::checks;
use crate::model::{Finding, Status};

/// Without `--trusted-idp`, the token requirements nothing tested are SKIPPED naming the option.
pub(crate) fn skip_token_requirements(findings: &mut Vec<Finding>) {
    for (id, needs) in checks::RULES.iter().filter_map(|r| Some((r.id, r.needs_minted_tokens?))) {
        if findings.iter().any(|f| f.id == id) {
            continue;
        }
        let req = crate::catalogue::get(id);
        findings.push(Finding {
            id: id.to_owned(),
            name: req.map(|r| r.name.clone()).unwrap_or_else(|| id.to_owned()),
            status: Status::Skipped,
            description: format!(
                "Not tested: needs {needs}, minted by an IdP the server trusts. Run `connector-harness idp`, make the server trust its issuer and JWKS, and pass `--trusted-idp ISSUER`."
            ),
            spec_refs: req.map(|r| r.spec_refs()).unwrap_or_default(),
            details: serde_json::Value::Null,
            exchanges: Vec::new(),
            untestable: false,
        });
    }
    findings.sort_by_key(|f| checks::registry::order(&f.id));
}

/// Every text of the findings with the run's secrets hidden, in whatever encoding the server
/// echoed them.
pub(crate) fn redact(raw: &Transcript, findings: &mut [Finding]) {
    // One redactor for every text (each `redact_text` call would build and sort its own).
    let r = raw.redactor();
    for f in findings {
        f.name = r.hide(&f.name);
        f.description = r.hide(&f.description);
        if !f.details.is_null() {
            f.details = r.hide_value(&f.details);
        }
    }
}
