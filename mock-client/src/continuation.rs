//! Past the first failure: the real client stops at the first thing that fails, and a user who fixes
//! it meets the next one only after redeploying. To name the whole fix list in one run, the harness
//! goes on with the smallest assumption that gets past each stop — always an edit of the profile
//! (behaviour is data), so the exchanges that follow are the profile's flow with one rule relaxed.
//!
//! A failure with no honest smallest assumption (nothing to register with, the server unreachable,
//! MCP refusing the token) ends the list.

use serde_json::Value;

use crate::credentials::RegisteredClient;
use crate::outcome::{Failure, FailureKind};
use crate::profile::{AsRule, DcrAuthRule, PrmRule, Profile, RegistrationKind};
use crate::transcript::Phase;

/// The cause text discovery gives a missing or invalid root PRM under `root_required`.
pub(crate) const ROOT_PRM_REQUIRED: &str = "the root Protected Resource Metadata is required";
/// What that cause adds when another PRM source (path, challenge) serves a valid document.
pub(crate) const OTHER_PRM_VALID: &str = "a valid one is served at";
/// The cause text discovery gives a partial AS metadata document under `probe_all`.
pub(crate) const PARTIAL_METADATA: &str = "serves a partial metadata document";

/// The profile with the smallest change that gets past `f`, and that change as a clause
/// ("ChatGPT used …"), or `None` when nothing smaller than fixing the server would.
/// `client` is the client the failed flow had registered, if it got that far.
pub(crate) fn past(p: &Profile, f: &Failure, client: Option<&RegisteredClient>) -> Option<(String, Profile)> {
    let mut q = p.clone();
    let who = short_name(p);
    let assumed = match f.kind {
        FailureKind::NoOauth
            if f.cause.contains(ROOT_PRM_REQUIRED)
                && f.cause.contains(OTHER_PRM_VALID)
                && p.discovery.prm_rule.value == PrmRule::RootRequired =>
        {
            q.discovery.prm_rule.value = PrmRule::FirstFound;
            format!(
                "{who} accepted the path-inserted Protected Resource Metadata or the 401 challenge's resource_metadata instead of the root one"
            )
        }
        FailureKind::NoOauth if f.cause.contains(PARTIAL_METADATA) && p.discovery.as_rule.value == AsRule::ProbeAll => {
            q.discovery.as_rule.value = AsRule::FirstValid;
            format!("{who} ignored the partial authorization server metadata document and used the first complete one")
        }
        FailureKind::PkceNotSupported if p.discovery.require_s256_advertised.value => {
            q.discovery.require_s256_advertised.value = false;
            format!("{who} used PKCE S256 although the authorization server does not advertise it")
        }
        FailureKind::AuthMethodMismatch if p.registration.dcr_auth_rule.value == DcrAuthRule::RequireRequested => {
            q.registration.dcr_auth_rule.value = DcrAuthRule::FollowResponse;
            format!("{who} used the token endpoint auth method the registration response names")
        }
        FailureKind::RegistrationFailed
            if f.phase == Phase::Registration && f.cause.contains("dynamic client registration") =>
        {
            let spec = crate::profile::builtin(SPEC_PROFILE).ok()?;
            if spec.registration.dcr_body.value == p.registration.dcr_body.value {
                return None;
            }
            q.registration.dcr_body.value = spec.registration.dcr_body.value.clone();
            q.registration.dcr_auth_rule.value = DcrAuthRule::FollowResponse;
            format!(
                "{who} registered with the MCP specification client's registration body ({SPEC_PROFILE}) instead of its own"
            )
        }
        FailureKind::AuthorizeFailed | FailureKind::TokenFailed
            if f.phase != Phase::Refresh && client.is_some_and(|c| c.kind == RegistrationKind::Cimd) =>
        {
            q.registration.priority.value.retain(|k| *k != RegistrationKind::Cimd);
            format!(
                "{who} fell back to its next registration method after the authorization server refused its Client ID Metadata Document"
            )
        }
        FailureKind::StateMismatch if p.authorize.verify_state.value => {
            q.authorize.verify_state.value = false;
            format!("{who} accepted the callback although its state is not the one sent")
        }
        FailureKind::IssMismatch if p.authorize.verify_iss.value => {
            q.authorize.verify_iss.value = false;
            format!("{who} accepted the callback without a matching RFC 9207 iss")
        }
        FailureKind::TokenFailed if f.phase == Phase::Token => {
            let c = client.filter(|c| c.kind == RegistrationKind::Dcr)?;
            let other = match c.auth_method.as_str() {
                "client_secret_basic" => "client_secret_post",
                "client_secret_post" => "client_secret_basic",
                _ => return None,
            };
            let body = q.registration.dcr_body.value.as_object_mut()?;
            body.insert("token_endpoint_auth_method".into(), Value::String(other.into()));
            q.registration.dcr_auth_rule.value = DcrAuthRule::FollowResponse;
            let sent = if c.auth_method == "client_secret_basic" { "HTTP Basic" } else { "the form body" };
            format!(
                "{who} registered asking for {other} and authenticated that way instead of with {sent} ({})",
                c.auth_method
            )
        }
        _ => return None,
    };
    Some((assumed, q))
}

/// Server-supplied text for a one-line report: control characters and runs of whitespace become
/// one space, and it is cut at 300 characters.
pub(crate) fn one_line(s: &str) -> String {
    let flat: String =
        s.split(|c: char| c.is_whitespace() || c.is_control()).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(300) {
        Some((i, _)) => format!("{}…", &flat[..i]),
        None => flat,
    }
}

/// ChatGPT's real stable document URL.
pub const CHATGPT_CLIENT_ID: &str = "https://chatgpt.com/oauth/client.json";
/// ChatGPT's real JWKS URL.
pub const CHATGPT_JWKS_URI: &str = "https://chatgpt.com/oauth/jwks.json";

/// Makes the profile present ChatGPT's real stable document URL with `token_endpoint_auth_method`
/// `none` (the harness holds no ChatGPT key; the document lists `none`, research §1.3) and the
/// stable callback the document names. The document served (where the AS's fetches are rewritten
/// to the harness) is the stable one as published, so an AS sees what it would fetch from chatgpt.com.
pub(crate) fn present_chatgpt_real(p: &mut Profile) -> Result<(), crate::ClientError> {
    let stable = crate::profile::builtin("chatgpt-2026-cimd-stable-iss")?;
    let (Some(cimd), Some(doc)) = (p.registration.cimd.as_mut(), stable.registration.cimd) else {
        return Err(crate::ClientError::Profile {
            name: p.name.clone(),
            reason: "--cimd-client-id chatgpt-real needs a profile that uses Client ID Metadata Documents".into(),
        });
    };
    cimd.value = doc.value;
    cimd.value.client_id = CHATGPT_CLIENT_ID.into();
    cimd.value.jwks_uri = CHATGPT_JWKS_URI.into();
    cimd.value.auth_methods = vec!["none".into()];
    cimd.note =
        Some("presented by the harness as ChatGPT's real document URL, authenticating with none (chatgpt-real)".into());
    p.redirect_uri.value.rule = crate::profile::RedirectRule::Stable;
    Ok(())
}

/// The profile whose registration body stands in when the client's own is refused.
const SPEC_PROFILE: &str = "mcp-spec-2025-11-25";

/// "ChatGPT" from "ChatGPT (2026 CIMD profile)".
fn short_name(p: &Profile) -> String {
    p.display.split(" (").next().unwrap_or(&p.display).trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fail::fail;

    fn failure(p: &Profile, kind: FailureKind, phase: Phase, cause: &str) -> Failure {
        fail(p, kind, phase, "http://127.0.0.1:1/mcp", &[], cause, None)
    }

    fn dcr(method: &str) -> RegisteredClient {
        RegisteredClient {
            kind: RegistrationKind::Dcr,
            client_id: "c".into(),
            client_secret: Some("s".into()),
            auth_method: method.into(),
            redirect_uri: "https://chatgpt.com/connector_platform_oauth_redirect".into(),
        }
    }

    #[test]
    fn a_missing_root_prm_is_passed_by_accepting_the_other_prm_sources() {
        let p = crate::profile::builtin("chatgpt-2026-cimd").unwrap();
        let f = failure(
            &p,
            FailureKind::NoOauth,
            Phase::Discovery,
            &format!("{ROOT_PRM_REQUIRED}: root PRM x answered HTTP 404; {OTHER_PRM_VALID} y"),
        );
        let (why, q) = past(&p, &f, None).expect("a continuation");
        assert!(why.starts_with("ChatGPT accepted the path-inserted"), "{why}");
        assert_eq!(q.discovery.prm_rule.value, PrmRule::FirstFound);
        // Once relaxed, the same failure has nothing smaller left.
        assert!(past(&q, &f, None).is_none());
        // No PRM at all is not passed, nor a missing root PRM with no other valid one.
        let none = failure(&p, FailureKind::NoOauth, Phase::Discovery, "no Protected Resource Metadata found");
        assert!(past(&p, &none, None).is_none());
        let alone = failure(&p, FailureKind::NoOauth, Phase::Discovery, &format!("{ROOT_PRM_REQUIRED}: 404"));
        assert!(past(&p, &alone, None).is_none());
    }

    #[test]
    fn a_token_endpoint_refusing_basic_is_passed_with_client_secret_post_and_the_reverse() {
        let p = crate::profile::builtin("chatgpt-2025-09-dcr-basic").unwrap();
        let f = failure(&p, FailureKind::TokenFailed, Phase::Token, "the token endpoint answered HTTP 401");
        let (why, q) = past(&p, &f, Some(&dcr("client_secret_basic"))).unwrap();
        assert!(why.contains("client_secret_post") && why.contains("HTTP Basic"), "{why}");
        assert_eq!(q.registration.dcr_body.value["token_endpoint_auth_method"], "client_secret_post");
        let (_, r) = past(&p, &f, Some(&dcr("client_secret_post"))).unwrap();
        assert_eq!(r.registration.dcr_body.value["token_endpoint_auth_method"], "client_secret_basic");
        assert!(past(&p, &f, Some(&dcr("none"))).is_none(), "a public client has nothing to switch to");
        let refresh = failure(&p, FailureKind::TokenFailed, Phase::Refresh, "x");
        assert!(past(&p, &refresh, Some(&dcr("client_secret_basic"))).is_none());
    }

    #[test]
    fn failures_with_no_smaller_assumption_end_the_list() {
        let p = crate::profile::builtin("chatgpt-2026-cimd").unwrap();
        for kind in [FailureKind::NoClient, FailureKind::McpFailed, FailureKind::Unreachable, FailureKind::RetryLimit] {
            assert!(past(&p, &failure(&p, kind, Phase::Mcp, "x"), None).is_none(), "{kind:?}");
        }
        let refused = failure(&p, FailureKind::AuthorizeFailed, Phase::Authorize, "invalid_scope");
        assert!(past(&p, &refused, Some(&dcr("client_secret_basic"))).is_none());
        let mut cimd = dcr("private_key_jwt");
        cimd.kind = RegistrationKind::Cimd;
        let (why, q) = past(&p, &refused, Some(&cimd)).unwrap();
        assert!(why.contains("Client ID Metadata Document"), "{why}");
        assert_eq!(q.registration.priority.value, vec![RegistrationKind::Static, RegistrationKind::Dcr]);
    }
}
