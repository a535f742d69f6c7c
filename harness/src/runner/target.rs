//! Starting the server under test: the reference server, a command, or a URL.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

use crate::scenario::TargetSpec;
use reference_server::{ReferenceHandle, ReferenceServer};

/// The server under test could not be started (a harness error, not a finding).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TargetError {
    /// The reference server failed to start.
    #[error("failed to start the reference server: {0}")]
    Reference(String),
    /// A command target failed.
    #[error("failed to start `{command}`: {reason}")]
    Command {
        /// The command.
        command: String,
        /// What happened (with its stderr tail when it exited).
        reason: String,
    },
    /// The scenario's target needs the mock IdP but none runs.
    #[error("the target needs the mock IdP's {0}, but the scenario runs no mock IdP")]
    NeedsIdp(&'static str),
    /// A target URL the harness cannot use (no scheme, not http or https).
    #[error("target `{url}` is not an http(s) URL: {reason}")]
    BadUrl {
        /// The URL as given.
        url: String,
        /// Why it is refused.
        reason: String,
    },
}

impl TargetError {
    /// Whose fault it is: the user's command, URL or scenario (input), or the harness's.
    pub fn tier(&self) -> crate::model::ErrorTier {
        use crate::model::ErrorTier;
        match self {
            TargetError::Reference(_) => ErrorTier::Harness,
            // The user's server: not found, exited before it was ready, never became ready.
            TargetError::Command { .. } | TargetError::NeedsIdp(_) | TargetError::BadUrl { .. } => ErrorTier::Input,
        }
    }
}

/// Checks a target URL as the user gave it (`--target`, `client URL`, `target: {url: …}`): an
/// absolute http or https URL with a host. `example.com/mcp` is refused here, as a usage error,
/// instead of failing later as if the server or the harness were at fault.
pub fn check_url(url: &str) -> Result<(), TargetError> {
    let bad = |reason: &str| TargetError::BadUrl { url: url.to_owned(), reason: reason.to_owned() };
    let parsed = url::Url::parse(url).map_err(|e| match e {
        url::ParseError::RelativeUrlWithoutBase => bad("it has no scheme (write https://… or http://…)"),
        e => bad(&e.to_string()),
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(bad(&format!("the scheme is `{}`, not http or https", parsed.scheme())));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(bad("it has no host"));
    }
    Ok(())
}

/// A running server under test; dropping it stops what the runner started.
#[non_exhaustive]
pub enum Target {
    /// The reference server.
    Reference(ReferenceHandle),
    /// A child process.
    Command {
        /// The process (killed on drop).
        child: Child,
        /// Its MCP URL.
        url: String,
    },
    /// Someone else's server.
    Url(String),
}

impl Target {
    /// The MCP URL.
    pub fn url(&self) -> &str {
        match self {
            Target::Reference(r) => r.url(),
            Target::Command { url, .. } => url,
            Target::Url(u) => u,
        }
    }
}

/// `{{idp.issuer}}`-style placeholders, plus `{{env.NAME}}` (an environment variable, empty when
/// unset) and `{{deps}}` (where the test command installs real servers: `$CONNECTOR_HARNESS_DEPS`,
/// else `.cache/deps` under the working directory).
pub fn fill(text: &str, vars: &BTreeMap<&str, String>) -> String {
    let mut out = text.to_owned();
    for (k, v) in vars {
        out = out.replace(&format!("{{{{{k}}}}}"), v);
    }
    if out.contains("{{deps}}") {
        let deps = std::env::var("CONNECTOR_HARNESS_DEPS").unwrap_or_else(|_| {
            std::env::current_dir()
                .map(|d| d.join(".cache/deps").display().to_string())
                .unwrap_or_else(|_| ".cache/deps".into())
        });
        out = out.replace("{{deps}}", &deps);
    }
    // Bounded: each replacement removes one `{{env.` occurrence.
    while let Some(start) = out.find("{{env.") {
        let Some(len) = out[start..].find("}}") else { break };
        let name = out[start + 6..start + len].to_owned();
        out.replace_range(start..start + len + 2, &std::env::var(&name).unwrap_or_default());
    }
    out
}

/// Starts the target.
pub async fn start(
    spec: &TargetSpec,
    idp: Option<&mock_idp::IdpHandle>,
    scenario_dir: &Path,
) -> Result<Target, TargetError> {
    match spec {
        TargetSpec::Url(u) => {
            check_url(u)?;
            Ok(Target::Url(u.clone()))
        }
        TargetSpec::Reference(r) => {
            let idp = idp.ok_or(TargetError::NeedsIdp("issuer"))?;
            let mut b = ReferenceServer::builder().issuer(idp.issuer()).jwks_uri(idp.jwks_uri());
            for f in &r.faults {
                b = b.fault(*f);
            }
            if let Some(era) = r.era {
                b = b.era(era);
            }
            for f in &r.modern_faults {
                b = b.modern_fault(*f);
            }
            if let Some(m) = r.response_mode {
                b = b.response_mode(m);
            }
            b = b.mixed_auth(r.mixed_auth).require_both_accept_types(r.require_both_accept_types);
            if let Some(v) = &r.manifest_schema_version {
                b = b.manifest_schema_version(v);
            }
            if let Some(realm) = &r.challenge_realm {
                b = b.challenge_realm(realm);
            }
            b.start().await.map(Target::Reference).map_err(|e| TargetError::Reference(e.to_string()))
        }
        TargetSpec::Command(c) => {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map(|a| a.port())
                .map_err(|e| TargetError::Command { command: c.command.join(" "), reason: e.to_string() })?;
            let mut vars: BTreeMap<&str, String> = BTreeMap::new();
            vars.insert("port", port.to_string());
            if let Some(idp) = idp {
                vars.insert("idp.issuer", idp.issuer().to_owned());
                vars.insert("idp.jwks_uri", idp.jwks_uri());
                vars.insert("idp.token_endpoint", idp.endpoints().token);
                vars.insert("idp.introspection_endpoint", idp.endpoints().introspection);
            }
            let url = fill(&c.url, &vars);
            vars.insert("url", url.clone());
            let name = c.command.join(" ");
            let program = c
                .command
                .first()
                .ok_or_else(|| TargetError::Command { command: name.clone(), reason: "empty command".into() })?;
            let mut cmd = Command::new(fill(program, &vars));
            cmd.args(c.command[1..].iter().map(|a| fill(a, &vars)))
                .current_dir(
                    c.cwd.as_deref().map(|d| scenario_dir.join(d)).unwrap_or_else(|| scenario_dir.to_path_buf()),
                )
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .kill_on_drop(true);
            for (k, v) in &c.env {
                cmd.env(k, fill(v, &vars));
            }
            let mut child =
                cmd.spawn().map_err(|e| TargetError::Command { command: name.clone(), reason: e.to_string() })?;
            let ready = c.ready.as_deref().map(|r| fill(r, &vars));
            let deadline = Instant::now() + Duration::from_secs(c.ready_timeout.unwrap_or(30));
            let http = mock_client::http::client_builder()
                .timeout(Duration::from_secs(2))
                .no_proxy()
                .build()
                .expect("static settings");
            // Bounded by the deadline.
            loop {
                let up = match &ready {
                    Some(r) => http.get(r).send().await.is_ok_and(|resp| resp.status().as_u16() < 500),
                    None => tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok(),
                };
                if up {
                    return Ok(Target::Command { child, url });
                }
                if let Ok(Some(status)) = child.try_wait() {
                    let mut tail = String::new();
                    if let Some(mut e) = child.stderr.take() {
                        use tokio::io::AsyncReadExt;
                        let _ = tokio::time::timeout(Duration::from_secs(1), e.read_to_string(&mut tail)).await;
                    }
                    let tail: String = tail
                        .lines()
                        .rev()
                        .take(15)
                        .collect::<Vec<_>>()
                        .into_iter()
                        .rev()
                        .collect::<Vec<_>>()
                        .join("\n");
                    return Err(TargetError::Command {
                        command: name,
                        reason: format!("exited with {status} before it was ready:\n{tail}"),
                    });
                }
                if Instant::now() > deadline {
                    return Err(TargetError::Command {
                        command: name,
                        reason: format!("not ready within {} s", c.ready_timeout.unwrap_or(30)),
                    });
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn target_urls_need_an_http_scheme_and_a_host() {
        assert!(super::check_url("https://mcp.example.com/mcp").is_ok());
        assert!(super::check_url("http://127.0.0.1:8000/mcp").is_ok());
        for bad in ["example.com/mcp", "mcp.example.com", "ftp://example.com/mcp", "file:///etc/passwd", ""] {
            let e = super::check_url(bad).unwrap_err();
            assert_eq!(e.tier(), crate::model::ErrorTier::Input, "{bad}");
        }
        assert!(super::check_url("example.com/mcp").unwrap_err().to_string().contains("no scheme"));
    }

    #[test]
    fn placeholders() {
        let mut vars = std::collections::BTreeMap::new();
        vars.insert("port", "8000".to_string());
        assert_eq!(super::fill("http://127.0.0.1:{{port}}/mcp", &vars), "http://127.0.0.1:8000/mcp");
        assert_eq!(super::fill("a{{env.CONNECTOR_HARNESS_SURELY_UNSET}}b{{env.broken", &vars), "ab{{env.broken");
    }
}
