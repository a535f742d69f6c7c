//! Failures in the client's words: the profile's message for each kind of failure.

use serde_json::Value;

use crate::outcome::{Failure, FailureKind};
use crate::profile::Profile;
use crate::transcript::Phase;

/// Builds a failure with the profile's message for `kind`.
pub(crate) fn fail(
    profile: &Profile,
    kind: FailureKind,
    phase: Phase,
    url: &str,
    vars: &[(&str, &str)],
    cause: impl Into<String>,
    seq: Option<u32>,
) -> Failure {
    let m = &profile.messages;
    let template = match kind {
        FailureKind::NoOauth => &m.no_oauth.value,
        FailureKind::NoClient => &m.no_client.value,
        FailureKind::AuthMethodMismatch => &m.auth_method_mismatch.value,
        FailureKind::RegistrationFailed | FailureKind::AuthorizeFailed | FailureKind::TokenFailed => {
            &m.oauth_error.value
        }
        FailureKind::McpFailed => &m.mcp_failed.value,
        _ => &m.generic.value,
    };
    let cause = cause.into();
    let mut message = template.replace("{url}", url);
    for (k, v) in vars {
        message = message.replace(&format!("{{{k}}}"), v);
    }
    message = message.replace("{detail}", &cause).replace("{error}", "error").replace("{method}", "");
    Failure { kind, message, cause, phase, seq, continued: Vec::new() }
}

/// Rewordings of a failure the flow makes on its way up.
pub(crate) trait FailureExt {
    /// Prefixes the cause with what was being done.
    fn with_cause_prefix(self, target: &str) -> Failure;
    /// Replaces the message with the profile's generic one.
    fn generic(self, p: &Profile) -> Failure;
}

impl FailureExt for Failure {
    fn with_cause_prefix(mut self, target: &str) -> Failure {
        self.cause = format!("{target}: {}", self.cause);
        self
    }
    fn generic(mut self, p: &Profile) -> Failure {
        self.message = p.messages.generic.value.replace("{detail}", &self.cause);
        self
    }
}

/// `(error, description)` of an OAuth error body.
pub(crate) fn oauth_error(v: &Value, status: u16) -> (String, String) {
    let e = v.get("error").and_then(Value::as_str).map(str::to_owned).unwrap_or_else(|| format!("HTTP {status}"));
    let d = v.get("error_description").and_then(Value::as_str).unwrap_or("").to_owned();
    (e, d)
}
