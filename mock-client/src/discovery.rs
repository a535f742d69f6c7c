//! Discovery: the unauthenticated first request, Protected Resource Metadata (RFC 9728) and
//! authorization server metadata (RFC 8414 / OIDC), in the order and with the rules the profile says.

use serde_json::Value;
use url::Url;

use crate::challenge::{self, Challenge};
use crate::ctx::Ctx;
use crate::fail::fail;
use crate::http::Req;
use crate::http::origin;
use crate::outcome::{Failure, FailureKind};
use crate::profile::{AsRule, HttpMethod, PrmRule, PrmSource, ProbeTarget, WellKnown};
use crate::transcript::{ExchangeKind, Phase, PrmLookup};

/// What discovery found.
#[derive(Debug, Clone, Default)]
pub struct Discovered {
    /// The 401 challenge of the first request, if there was one.
    pub challenge: Option<Challenge>,
    /// The PRM document used.
    pub prm: Value,
    /// Its URL.
    pub prm_url: String,
    /// The issuer chosen from `authorization_servers`.
    pub issuer: String,
    /// The AS metadata document used.
    pub metadata: Value,
    /// Its URL.
    pub metadata_url: String,
}

impl Discovered {
    /// A string member of the AS metadata.
    pub fn meta(&self, key: &str) -> Option<&str> {
        self.metadata.get(key).and_then(Value::as_str)
    }
    /// A list member of the AS metadata.
    pub fn meta_list(&self, key: &str) -> Option<Vec<String>> {
        self.metadata
            .get(key)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
    }
}

/// `/.well-known/{name}` inserted before the path (RFC 8414 §3.1, RFC 9728 §3.1).
pub fn inserted(u: &Url, name: &str) -> String {
    let path = u.path().trim_end_matches('/');
    format!("{}/.well-known/{name}{path}", origin(u))
}

/// `{path}/.well-known/{name}` (OIDC Discovery §4).
pub fn appended(u: &Url, name: &str) -> String {
    let path = u.path().trim_end_matches('/');
    format!("{}{path}/.well-known/{name}", origin(u))
}

/// C-42: the PRM's `resource` identifies the server the user named. RFC 9728 §3.3 makes it the
/// identifier the metadata URL was built from; a root PRM names the origin. So it must be on the
/// server's origin and its path a prefix of the server URL's path, on a segment boundary — the
/// rule the official SDKs apply (a PRM for `https://evil.example/mcp` is refused; one for
/// `http://127.0.0.1:8000` serving `http://127.0.0.1:8000/mcp` is not).
pub(crate) fn prm_resource_matches(server: &Url, prm: &Value) -> Result<(), String> {
    let Some(r) = prm.get("resource").and_then(Value::as_str) else {
        return Err("no `resource` member (RFC 9728 §2 requires it)".into());
    };
    let u = Url::parse(r).map_err(|e| format!("`resource` `{r}` is not a URL: {e}"))?;
    let mismatch = || format!("`resource` `{r}` does not identify the MCP server {server} (RFC 9728 §3.3)");
    if origin(&u) != origin(server) || u.query().is_some() || u.fragment().is_some() {
        return Err(mismatch());
    }
    let (base, path) = (u.path().trim_end_matches('/'), server.path().trim_end_matches('/'));
    if path == base || path.starts_with(&format!("{base}/")) { Ok(()) } else { Err(mismatch()) }
}

fn valid_prm(v: &Value) -> Result<(), String> {
    let servers = v.get("authorization_servers").and_then(Value::as_array).ok_or("no authorization_servers array")?;
    if servers.is_empty() {
        return Err("authorization_servers is empty".into());
    }
    for s in servers {
        let s = s.as_str().ok_or("authorization_servers holds a non-string")?;
        Url::parse(s).map_err(|_| format!("authorization server `{s}` is not an absolute URL"))?;
    }
    Ok(())
}

/// Runs discovery. `challenge` is the 401 that started it, when the flow began with a challenge
/// (then no unauthenticated request is sent again).
pub(crate) async fn run(ctx: &Ctx<'_>, challenge: Option<Challenge>) -> Result<Discovered, Failure> {
    let p = ctx.profile;
    let url = ctx.mcp_url.as_str();
    let no_oauth = |cause: String, seq| fail(p, FailureKind::NoOauth, Phase::Discovery, url, &[], cause, seq);
    let challenged = challenge.is_some();
    let mut found = Discovered { challenge, ..Default::default() };

    if p.discovery.initial_request.value && !challenged {
        let r = ctx
            .send(
                Phase::Discovery,
                crate::mcp::initialize_req(ctx, None, "unauthenticated initialize")
                    .kind(ExchangeKind::UnauthenticatedInitialize),
            )
            .await?;
        if r.status == 401 {
            found.challenge = r.headers_named("www-authenticate").find_map(challenge::bearer);
        }
    }

    // Protected Resource Metadata.
    let header_url = found.challenge.as_ref().and_then(|c| c.param("resource_metadata")).map(str::to_owned);
    let path_url = (!ctx.mcp_url.path().trim_end_matches('/').is_empty())
        .then(|| inserted(ctx.mcp_url, "oauth-protected-resource"));
    let root_url = format!("{}/.well-known/oauth-protected-resource", origin(ctx.mcp_url));
    let mut chosen: Option<(String, Value)> = None;
    let mut root_result: Option<Result<Value, (String, Option<u32>)>> = None;
    let mut reasons = Vec::new();
    for source in &p.discovery.prm_order.value {
        let (target, label, lookup) = match source {
            PrmSource::WwwAuthenticate => (header_url.clone(), "PRM from WWW-Authenticate", PrmLookup::WwwAuthenticate),
            PrmSource::Path => (path_url.clone(), "path PRM", PrmLookup::PathInserted),
            PrmSource::Root => (Some(root_url.clone()), "root PRM", PrmLookup::Root),
        };
        let Some(target) = target else { continue };
        let result = match ctx.check_url(&target) {
            Err(e) => Err((format!("{label} URL {target} refused: {e}"), None)),
            Ok(_) => {
                let r = ctx
                    .send(
                        Phase::Discovery,
                        Req::get(&target, label)
                            .kind(ExchangeKind::Prm { lookup })
                            .header("User-Agent", &p.user_agent_oauth.value),
                    )
                    .await?;
                match (r.status, r.json()) {
                    (200, Some(v)) => {
                        valid_prm(&v).map(|_| v).map_err(|e| (format!("{label} {target}: {e}"), Some(r.seq)))
                    }
                    (200, None) => Err((
                        format!("{label} {target} is not JSON{}", crate::transcript::cut_note(r.truncated)),
                        Some(r.seq),
                    )),
                    (s, _) => Err((format!("{label} {target} answered HTTP {s}"), Some(r.seq))),
                }
            }
        };
        if *source == PrmSource::Root {
            root_result = Some(result.clone());
        }
        match result {
            Ok(v) => {
                if chosen.is_none() {
                    chosen = Some((target, v));
                }
                if p.discovery.prm_rule.value == PrmRule::FirstFound {
                    break;
                }
            }
            Err((why, _)) => reasons.push(why),
        }
    }
    if p.discovery.prm_rule.value == PrmRule::RootRequired {
        match root_result {
            Some(Ok(v)) => chosen = Some((root_url.clone(), v)),
            Some(Err((why, seq))) => {
                // Say where a valid document is (what the spec's clients use): the fix, and the
                // way past this stop for the run's continuation.
                let elsewhere = chosen
                    .as_ref()
                    .map(|(u, _)| format!("; {} {u}", crate::continuation::OTHER_PRM_VALID))
                    .unwrap_or_default();
                return Err(no_oauth(format!("{}: {why}{elsewhere}", crate::continuation::ROOT_PRM_REQUIRED), seq));
            }
            None => {}
        }
    }
    let Some((prm_url, prm)) = chosen else {
        return Err(no_oauth(format!("no Protected Resource Metadata found ({})", reasons.join("; ")), None));
    };
    if p.oauth_rules().refuse_prm_resource_mismatch.value
        && let Err(why) = prm_resource_matches(ctx.mcp_url, &prm)
    {
        let seq = ctx.rec.transcript().exchanges.iter().rev().find(|e| e.url == prm_url).map(|e| e.seq);
        return Err(no_oauth(format!("Protected Resource Metadata {prm_url}: {why}; not authorizing for it"), seq));
    }
    found.issuer = prm["authorization_servers"][0].as_str().unwrap_or_default().to_owned();
    found.prm = prm;
    found.prm_url = prm_url;

    as_metadata(ctx, &mut found, true).await?;
    Ok(found)
}

/// Authorization server metadata (RFC 8414 / OIDC) for `found.issuer`, probed as the profile says;
/// `with_mcp_host` includes the probes on the MCP server's host (`ctx.mcp_url`'s origin). Fills
/// `found.metadata` and `found.metadata_url`.
pub(crate) async fn as_metadata(ctx: &Ctx<'_>, found: &mut Discovered, with_mcp_host: bool) -> Result<(), Failure> {
    let p = ctx.profile;
    let url = ctx.mcp_url.as_str();
    let no_oauth = |cause: String, seq| fail(p, FailureKind::NoOauth, Phase::Discovery, url, &[], cause, seq);
    let issuer = Url::parse(&found.issuer)
        .map_err(|e| no_oauth(format!("issuer `{}` is not a URL: {e}", found.issuer), None))?;
    let host = Url::parse(&origin(ctx.mcp_url)).expect("an origin is a URL");
    let mut first_valid: Option<(String, Value)> = None;
    let mut partial: Option<(String, u32)> = None;
    let mut reasons = Vec::new();
    for probe in p.discovery.as_probes.value.iter().filter(|x| with_mcp_host || x.on == ProbeTarget::Issuer) {
        let base = match probe.on {
            ProbeTarget::Issuer => &issuer,
            ProbeTarget::McpHost => &host,
        };
        let target = match probe.kind {
            WellKnown::Oauth => inserted(base, "oauth-authorization-server"),
            WellKnown::OidcInserted => inserted(base, "openid-configuration"),
            WellKnown::OidcAppended => appended(base, "openid-configuration"),
        };
        let label = format!("{:?} AS metadata ({:?}) on {:?}", probe.method, probe.kind, probe.on).to_lowercase();
        let method = match probe.method {
            HttpMethod::Get => reqwest::Method::GET,
            HttpMethod::Head => reqwest::Method::HEAD,
        };
        let r = ctx
            .send(
                Phase::Discovery,
                Req::new(method, &target, label)
                    .kind(ExchangeKind::as_metadata(probe))
                    .header("User-Agent", &p.user_agent_oauth.value),
            )
            .await?;
        if probe.method == HttpMethod::Head {
            continue;
        }
        match (r.status, r.json()) {
            (200, Some(v)) => {
                let complete = v.get("authorization_endpoint").and_then(Value::as_str).is_some()
                    && v.get("token_endpoint").and_then(Value::as_str).is_some();
                if !complete {
                    partial.get_or_insert((target.clone(), r.seq));
                    reasons.push(format!("{target} lacks authorization_endpoint or token_endpoint"));
                    continue;
                }
                let expected = if probe.on == ProbeTarget::Issuer { found.issuer.as_str() } else { "" };
                let meta_issuer = v.get("issuer").and_then(Value::as_str).unwrap_or_default();
                if p.discovery.check_issuer.value && probe.on == ProbeTarget::Issuer && meta_issuer != expected {
                    reasons.push(format!("{target} names issuer `{meta_issuer}`, not `{expected}` (RFC 8414 §3.3)"));
                    continue;
                }
                if first_valid.is_none() {
                    first_valid = Some((target, v));
                }
                if p.discovery.as_rule.value == AsRule::FirstValid {
                    break;
                }
            }
            (s, _) => reasons.push(format!("{target} answered HTTP {s}")),
        }
    }
    if p.discovery.as_rule.value == AsRule::ProbeAll
        && let Some((t, seq)) = partial
    {
        return Err(no_oauth(
            format!("{t} {} (no authorization or token endpoint)", crate::continuation::PARTIAL_METADATA),
            Some(seq),
        ));
    }
    let Some((metadata_url, metadata)) = first_valid else {
        return Err(no_oauth(
            format!("no authorization server metadata for {} ({})", found.issuer, reasons.join("; ")),
            None,
        ));
    };
    found.metadata = metadata;
    found.metadata_url = metadata_url;

    if p.discovery.require_s256_advertised.value {
        let methods = found.meta_list("code_challenge_methods_supported");
        if !methods.as_ref().is_some_and(|m| m.iter().any(|x| x == "S256")) {
            let cause = match methods {
                None => "the authorization server metadata has no code_challenge_methods_supported, so PKCE support cannot be verified".into(),
                Some(m) => format!("code_challenge_methods_supported is {m:?}, without S256"),
            };
            return Err(fail(p, FailureKind::PkceNotSupported, Phase::Discovery, url, &[], cause, None));
        }
    }
    Ok(())
}

#[cfg(test)]
mod resource_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn prm_resource_must_identify_the_server() {
        let server = Url::parse("http://127.0.0.1:8000/mcp").unwrap();
        for ok in [
            "http://127.0.0.1:8000/mcp",
            "http://127.0.0.1:8000",
            "http://127.0.0.1:8000/",
            "http://127.0.0.1:8000/mcp/",
        ] {
            assert!(prm_resource_matches(&server, &json!({"resource": ok})).is_ok(), "{ok}");
        }
        for bad in [
            "https://evil.example.com/mcp",
            "http://127.0.0.1:8001/mcp",
            "https://127.0.0.1:8000/mcp",
            "http://127.0.0.1:8000/mc",
            "http://127.0.0.1:8000/mcp/other",
            "http://127.0.0.1:8000/mcp?x=1",
            "not a url",
        ] {
            assert!(prm_resource_matches(&server, &json!({"resource": bad})).is_err(), "{bad}");
        }
        assert!(prm_resource_matches(&server, &json!({})).is_err());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_urls() {
        let u = Url::parse("https://a.example/tenant1").unwrap();
        assert_eq!(
            inserted(&u, "oauth-authorization-server"),
            "https://a.example/.well-known/oauth-authorization-server/tenant1"
        );
        assert_eq!(appended(&u, "openid-configuration"), "https://a.example/tenant1/.well-known/openid-configuration");
        let root = Url::parse("https://a.example/").unwrap();
        assert_eq!(
            inserted(&root, "oauth-authorization-server"),
            "https://a.example/.well-known/oauth-authorization-server"
        );
        let mcp = Url::parse("http://127.0.0.1:8/public/mcp").unwrap();
        assert_eq!(
            inserted(&mcp, "oauth-protected-resource"),
            "http://127.0.0.1:8/.well-known/oauth-protected-resource/public/mcp"
        );
    }
}
