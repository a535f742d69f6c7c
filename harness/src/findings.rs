//! What the runner and `check` both do to the findings after the checks ran: hide the run's
//! secrets in every text, and mark the token requirements SKIPPED when no trusted IdP minted
//! tokens. Its own module so neither of them imports the other for it.

use mock_client::Transcript;

use crate::checks;
use crate::model::{Finding, Status};

/// The requirements only minted tokens test, and why each is not tested without them.
const TOKEN_REQUIREMENTS: &[(&str, &str)] = &[
    ("RS-08", "the wrong-audience tokens of the negative battery"),
    ("RS-10", "a genuine token of the same IdP for another resource"),
    ("RS-12", "the insufficient-scope probe (a token holding only mcp:read)"),
    ("RS-13", "the insufficient-scope probe's step-up token"),
    ("RS-17", "the insufficient-scope probe's 403 challenge"),
];

/// Without `--trusted-idp`, the token requirements nothing tested are SKIPPED naming the option.
pub(crate) fn skip_token_requirements(findings: &mut Vec<Finding>) {
    for (id, needs) in TOKEN_REQUIREMENTS {
        if findings.iter().any(|f| f.id == *id) {
            continue;
        }
        let req = crate::catalogue::get(id);
        findings.push(Finding {
            id: (*id).to_owned(),
            name: req.map(|r| r.name.clone()).unwrap_or_else(|| (*id).to_owned()),
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
    findings.sort_by_key(|f| checks::CHECKED.iter().position(|id| *id == f.id).unwrap_or(usize::MAX));
}

/// Every text of the findings with the run's secrets hidden, in whatever encoding the server
/// echoed them.
pub(crate) fn redact(raw: &Transcript, findings: &mut [Finding]) {
    for f in findings {
        f.name = raw.redact_text(&f.name);
        f.description = raw.redact_text(&f.description);
        if !f.details.is_null() {
            f.details = raw.redact_value(&f.details);
        }
    }
}
