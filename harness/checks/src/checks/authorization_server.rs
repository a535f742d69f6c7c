//! The MCP 2026-07-28 rules for the authorization server (AS-24…AS-28): one pure function per
//! requirement, from what was observed to a status and the sentence that says why. Certification
//! (`harness-certify`) observes the IdP and calls these; anything else that judges the same
//! requirement must call them too, so a requirement has one verdict wherever it is judged.
//!
//! An observation that was not made is `None` and the rule says what it could not judge; the rules
//! never pass on something they did not see.

use crate::model::Status;
use serde_json::Value;

/// A verdict and its reason.
pub type Verdict = (Status, String);

/// The metadata member that advertises RFC 9207.
pub const ISS_SUPPORTED: &str = "authorization_response_iss_parameter_supported";

/// What was seen of RFC 9207 `iss` (AS-24). `on_success`/`on_error`: `None` when no such
/// authorization response was observed, `Some(None)` when one came without `iss`.
#[derive(Debug, Clone, Copy)]
pub struct IssObserved<'a> {
    /// The issuer identifier the IdP was certified under.
    pub issuer: &'a str,
    /// Whether the metadata has `authorization_response_iss_parameter_supported: true`.
    pub advertised: bool,
    /// `iss` on a successful authorization response (one with a `code`).
    pub on_success: Option<Option<&'a str>>,
    /// `iss` on an error response redirected to the client (one with an `error`).
    pub on_error: Option<Option<&'a str>>,
}

/// Whether metadata advertises RFC 9207.
pub fn iss_advertised(metadata: &Value) -> bool {
    metadata.get(ISS_SUPPORTED) == Some(&Value::Bool(true))
}

/// AS-24: `iss` on authorization responses, error responses included (MCP 2026-07-28 SHOULD; RFC
/// 9207 §2 once supported), equal to the issuer byte for byte, and advertised whenever sent (MUST).
/// A response that lacks `iss` while it is advertised is a FAILURE: a 2026-07-28 client rejects it
/// unread (C-31).
pub fn as_24_rule(o: &IssObserved<'_>) -> Verdict {
    let responses = [("successful", o.on_success), ("error", o.on_error)];
    if responses.iter().all(|(_, r)| r.is_none()) {
        return (Status::Skipped, "no authorization response reached the client".into());
    }
    for (what, r) in responses {
        if let Some(Some(v)) = r
            && v != o.issuer
        {
            return (
                Status::Failure,
                format!(
                    "the {what} authorization response carries iss `{v}`, not the issuer `{}` (compared byte for \
                     byte, RFC 9207 §2.4): clients reject it",
                    o.issuer
                ),
            );
        }
    }
    let sent: Vec<&str> = responses.iter().filter(|(_, r)| matches!(r, Some(Some(_)))).map(|(w, _)| *w).collect();
    let missing: Vec<&str> = responses.iter().filter(|(_, r)| matches!(r, Some(None))).map(|(w, _)| *w).collect();
    let unseen = responses.iter().find(|(_, r)| r.is_none()).map(|(w, _)| *w);
    if !sent.is_empty() && !o.advertised {
        return (
            Status::Failure,
            format!(
                "the {} authorization response carries iss, but the metadata does not advertise {ISS_SUPPORTED}: \
                 true (an AS that sends iss MUST advertise it)",
                sent.join(" and ")
            ),
        );
    }
    if o.advertised && !missing.is_empty() {
        return (
            Status::Failure,
            format!(
                "{ISS_SUPPORTED} is advertised, but the {} authorization response has no iss: a client following \
                 RFC 9207 §2.4 (MCP 2026-07-28) must reject it{}",
                missing.join(" and "),
                if missing == ["error"] { " and cannot show the user the error" } else { "" }
            ),
        );
    }
    if sent.is_empty() {
        return (
            Status::Warning,
            format!(
                "no iss on the {} authorization response and {ISS_SUPPORTED} is not advertised: MCP 2026-07-28 asks \
                 for it on every authorization response (SHOULD; a later revision is expected to make it MUST)",
                missing.join(" and ")
            ),
        );
    }
    let tail = match unseen {
        Some(w) => format!("; no {w} response was observed, so that one is not judged"),
        None => String::new(),
    };
    (
        Status::Success,
        format!("iss `{}` on the {} authorization response, advertised{tail}", o.issuer, sent.join(" and ")),
    )
}

/// AS-25: CIMD SHOULD be supported; DCR is deprecated. `cimd_exercised`: the harness's metadata
/// document was used at this IdP (`Ok`) or refused (`Err` with why); `None` when not tried.
pub fn as_25_rule(metadata: &Value, cimd_exercised: Option<Result<(), String>>) -> Verdict {
    let advertised = metadata.get("client_id_metadata_document_supported") == Some(&Value::Bool(true));
    let dcr = metadata.get("registration_endpoint").and_then(Value::as_str).is_some();
    match (advertised, cimd_exercised) {
        (true, Some(Ok(()))) => (Status::Success, "advertises Client ID Metadata Documents and accepted one".into()),
        (true, Some(Err(why))) => (
            Status::Warning,
            format!("advertises Client ID Metadata Documents but refused the harness's document: {why}"),
        ),
        (true, None) => (
            Status::Info,
            "advertises client_id_metadata_document_supported: true; no document was tried here, so acceptance is \
             not judged"
                .into(),
        ),
        (false, _) if dcr => (
            Status::Warning,
            "no Client ID Metadata Document support advertised, only Dynamic Client Registration, which MCP \
             2026-07-28 deprecates (CIMD SHOULD be supported)"
                .into(),
        ),
        (false, _) => (
            Status::Warning,
            "neither Client ID Metadata Documents nor Dynamic Client Registration: only pre-registered clients can \
             connect (MCP 2026-07-28: CIMD SHOULD be supported)"
                .into(),
        ),
    }
}

/// AS-26, what registration did with `application_type`: a 2026-07-28 client's body with
/// `application_type: "web"` and its https redirect URI (`typed`), and the same body with a
/// loopback `http` redirect URI, which OIDC's web rules forbid (`web_loopback`). `Ok` = registered,
/// `Err` = refused (with the error). `None`: not tried (no registration endpoint).
pub fn as_26_rule(typed: Option<Result<(), String>>, web_loopback: Option<Result<(), String>>) -> Verdict {
    match (typed, web_loopback) {
        (None, _) => (Status::Skipped, "no registration was tried (no registration endpoint)".into()),
        (Some(Err(why)), _) => (
            Status::Failure,
            format!(
                "refused a registration that names application_type \"web\" with an https redirect URI ({why}): a \
                 client following MCP 2026-07-28 MUST send application_type and cannot register here"
            ),
        ),
        (Some(Ok(())), Some(Err(why))) => (
            Status::Success,
            format!(
                "accepts application_type \"web\" and applies OIDC's web rules: a web client with a loopback http \
                 redirect URI was refused ({why})"
            ),
        ),
        (Some(Ok(())), Some(Ok(()))) => (
            Status::Info,
            "accepts application_type, and registered a \"web\" client with a loopback http redirect URI: OIDC's \
             per-type redirect rules are not enforced (the spec leaves that to the AS)"
                .into(),
        ),
        (Some(Ok(())), None) => {
            (Status::Info, "accepts application_type \"web\"; the per-type redirect rules were not tried".into())
        }
    }
}

/// AS-27 (and AS-22 before it): the metadata's `issuer` is identical to the issuer the
/// well-known URL was built from — byte for byte, as clients compare it (C-32). `Err` says how it
/// differs.
pub fn as_27_rule(issuer_used: &str, metadata_issuer: Option<&str>) -> Result<(), String> {
    match metadata_issuer {
        Some(i) if i == issuer_used => Ok(()),
        Some(i) if i.trim_end_matches('/') == issuer_used.trim_end_matches('/') => {
            Err(format!("names issuer `{i}`, not `{issuer_used}` (they differ by a trailing slash)"))
        }
        Some(i) => Err(format!("names issuer `{i}`, not `{issuer_used}`")),
        None => Err("has no issuer".into()),
    }
}

/// One observed part of AS-28's CIMD rules: what was tried and how the IdP did (`Ok` = as the
/// rule says, `Err` = it broke the rule), `None` when not tried.
#[derive(Debug, Clone)]
pub struct CimdPart {
    /// `client_id equals the document URL`.
    pub rule: &'static str,
    /// The outcome with its detail.
    pub outcome: Option<Result<String, String>>,
}

/// AS-28: CIMD `client_id` equals the URL, redirect URIs checked against the document, the
/// document validated. The fetch's SSRF rules (draft-ietf-oauth-client-id-metadata-document-02 §8)
/// cannot be seen from outside — a refused fetch of a private address looks like an unreachable
/// one — so they are named as not judged, never passed.
pub fn as_28_rule(parts: &[CimdPart]) -> Verdict {
    let tried: Vec<&CimdPart> = parts.iter().filter(|p| p.outcome.is_some()).collect();
    if tried.is_empty() {
        return (Status::Skipped, "no metadata-document probe ran (CIMD not used with this IdP)".into());
    }
    let broken: Vec<String> = tried
        .iter()
        .filter_map(|p| match &p.outcome {
            Some(Err(e)) => Some(format!("{}: {e}", p.rule)),
            _ => None,
        })
        .collect();
    if !broken.is_empty() {
        return (Status::Failure, broken.join("; "));
    }
    let held: Vec<&str> = tried.iter().map(|p| p.rule).collect();
    let untried: Vec<&str> = parts.iter().filter(|p| p.outcome.is_none()).map(|p| p.rule).collect();
    let mut d = format!("held: {}", held.join("; "));
    if !untried.is_empty() {
        d.push_str(&format!("; not tried: {}", untried.join("; ")));
    }
    d.push_str("; the SSRF rules of the fetch are not observable from outside and not judged");
    (Status::Success, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ISS: &str = "https://as.example/tenant";

    fn iss(advertised: bool, ok: Option<Option<&'static str>>, err: Option<Option<&'static str>>) -> Status {
        as_24_rule(&IssObserved { issuer: ISS, advertised, on_success: ok, on_error: err }).0
    }

    #[test]
    fn as_24_table() {
        assert_eq!(iss(true, Some(Some(ISS)), Some(Some(ISS))), Status::Success);
        assert_eq!(iss(true, Some(Some(ISS)), None), Status::Success);
        assert_eq!(iss(true, Some(Some(ISS)), Some(None)), Status::Failure, "omitted on errors");
        assert_eq!(iss(false, Some(Some(ISS)), Some(Some(ISS))), Status::Failure, "sent, not advertised");
        assert_eq!(iss(true, Some(Some("https://as.example/tenant/")), None), Status::Failure, "not byte-equal");
        assert_eq!(iss(true, Some(None), None), Status::Failure, "advertised, absent");
        assert_eq!(iss(false, Some(None), Some(None)), Status::Warning);
        assert_eq!(iss(false, None, None), Status::Skipped);
    }

    #[test]
    fn as_25_prefers_cimd() {
        let cimd = json!({"client_id_metadata_document_supported": true, "registration_endpoint": "https://a/r"});
        assert_eq!(as_25_rule(&cimd, Some(Ok(()))).0, Status::Success);
        assert_eq!(as_25_rule(&cimd, Some(Err("no".into()))).0, Status::Warning);
        assert_eq!(as_25_rule(&cimd, None).0, Status::Info);
        assert_eq!(as_25_rule(&json!({"registration_endpoint": "https://a/r"}), None).0, Status::Warning);
    }

    #[test]
    fn as_26_fails_only_when_the_member_is_refused() {
        assert_eq!(as_26_rule(Some(Err("x".into())), None).0, Status::Failure);
        assert_eq!(as_26_rule(Some(Ok(())), Some(Err("x".into()))).0, Status::Success);
        assert_eq!(as_26_rule(Some(Ok(())), Some(Ok(()))).0, Status::Info);
        assert_eq!(as_26_rule(None, None).0, Status::Skipped);
    }

    #[test]
    fn as_27_compares_bytes() {
        assert!(as_27_rule(ISS, Some(ISS)).is_ok());
        assert!(as_27_rule(ISS, Some("https://as.example/tenant/")).unwrap_err().contains("trailing slash"));
        assert!(as_27_rule(ISS, Some("https://AS.example/tenant")).is_err());
        assert!(as_27_rule(ISS, None).is_err());
    }

    #[test]
    fn as_28_never_passes_untried() {
        let p = |o: Option<Result<String, String>>| CimdPart { rule: "r", outcome: o };
        assert_eq!(as_28_rule(&[p(None)]).0, Status::Skipped);
        assert_eq!(as_28_rule(&[p(Some(Ok("ok".into()))), p(Some(Err("bad".into())))]).0, Status::Failure);
        let (s, d) = as_28_rule(&[p(Some(Ok("ok".into()))), p(None)]);
        assert_eq!(s, Status::Success);
        assert!(d.contains("not tried") && d.contains("SSRF"), "{d}");
    }
}
