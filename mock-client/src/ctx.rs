//! The context every step of the flow gets: the profile, the options, the recorder, the MCP
//! URL and the client's metadata host.

use serde_json::Value;
use url::Url;

use crate::cimd_host::CimdHost;
use crate::error::ClientError;
use crate::fail::{FailureExt, fail};
use crate::http::{Recorder, Req, Resp};
use crate::options::ConnectOptions;
use crate::outcome::{Failure, FailureKind};
use crate::profile::{Cimd, Profile};
use crate::template::fill;
use crate::transcript::Phase;

/// Context every step gets.
pub(crate) struct Ctx<'a> {
    pub profile: &'a Profile,
    pub opts: &'a ConnectOptions,
    pub rec: &'a Recorder,
    pub mcp_url: &'a Url,
    pub host: &'a mut Option<CimdHost>,
}

impl Ctx<'_> {
    /// Sends; a transport failure is the server's failure to answer.
    pub async fn send(&self, phase: Phase, req: Req) -> Result<Resp, Failure> {
        let target = req.url.clone();
        self.rec.send(phase, req).await.map_err(|e| {
            let seq = self.rec.transcript().exchanges.last().map(|x| x.seq);
            let f =
                fail(self.profile, FailureKind::Unreachable, phase, self.mcp_url.as_str(), &[], format!("{e}"), seq);
            // A refusal already names the URL ("refused to contact URL: …").
            if matches!(e, ClientError::Refused { .. }) { f } else { f.with_cause_prefix(&target) }
        })
    }

    pub fn check_url(&self, url: &str) -> Result<Url, ClientError> {
        self.rec.check_url(url)
    }

    pub fn generic(&self, phase: Phase, cause: String) -> Failure {
        fail(self.profile, FailureKind::McpFailed, phase, self.mcp_url.as_str(), &[], cause, None).generic(self.profile)
    }

    /// The RFC 8707 resource: the MCP URL without fragment (A1125 L409-429).
    pub fn resource(&self) -> String {
        let mut u = self.mcp_url.clone();
        u.set_fragment(None);
        u.to_string()
    }

    /// The `resource` sent on the authorization and token requests: the PRM's `resource` byte for
    /// byte when the profile says so (C-42; a URL parser would add a `/` to a pathless identifier),
    /// else [`Ctx::resource`].
    pub fn resource_at(&self, prm: &Value) -> String {
        match (self.profile.oauth_rules().resource.value, prm.get("resource").and_then(Value::as_str)) {
            (crate::profile::ResourceRule::PrmExact, Some(r)) => r.to_owned(),
            _ => self.resource(),
        }
    }

    /// Serves the profile's metadata document; returns `(client_id, jwks_uri)`.
    pub async fn publish_cimd(&mut self, cimd: &Cimd, redirect_uri: &str) -> Result<(String, String), ClientError> {
        if self.host.is_none() {
            *self.host = Some(CimdHost::start_on(self.opts.cimd_port.unwrap_or(0)).await?);
        }
        let host = self.host.as_ref().expect("just started");
        let base = self.opts.cimd_base.clone().unwrap_or_else(|| host.origin().to_owned());
        let base = base.trim_end_matches('/');
        let vars = [("callback_id", self.opts.callback_id.as_str()), ("cimd_base", base)];
        let id = fill(&Value::String(cimd.client_id.clone()), &vars).as_str().unwrap_or_default().to_owned();
        let jwks = fill(&Value::String(cimd.jwks_uri.clone()), &vars).as_str().unwrap_or_default().to_owned();
        let parse = |s: &str| Url::parse(s).map_err(|e| ClientError::BadUrl { url: s.into(), reason: e.to_string() });
        let (id_url, jwks_url) = (parse(&id)?, parse(&jwks)?);
        let on_host = id.starts_with(host.origin()) || (self.opts.cimd_base.is_some() && id.starts_with(base));
        let (client_id, jwks_uri) = if on_host {
            (id, jwks)
        } else if self.opts.cimd_base.is_some() {
            // A tunnel's public URL reaches this host: the profile's paths, under it.
            (format!("{base}{}", id_url.path()), format!("{base}{}", jwks_url.path()))
        } else if self.opts.chatgpt_real_cimd && self.opts.cimd_rewrite.is_none() {
            // ChatGPT's real document, fetched from chatgpt.com by the AS: nothing to serve.
            return Ok((id, jwks));
        } else if let Some(rw) = &self.opts.cimd_rewrite {
            rw(&format!("{}/", crate::http::origin(&id_url)), &format!("{}/", host.origin()));
            (id, jwks)
        } else {
            (format!("{}{}", host.origin(), id_url.path()), format!("{}{}", host.origin(), jwks_url.path()))
        };
        let doc =
            fill(&cimd.document, &[("client_id", &client_id), ("redirect_uri", redirect_uri), ("jwks_uri", &jwks_uri)]);
        host.put(parse(&client_id)?.path(), doc);
        // Generating a key takes a moment of CPU: off the runtime, which also serves this host.
        let key = self.opts.cimd_key.clone();
        let jwks = tokio::task::spawn_blocking(move || key.jwks())
            .await
            .map_err(|e| ClientError::Signing(format!("generating the CIMD key: {e}")))??;
        host.put(parse(&jwks_uri)?.path(), jwks);
        Ok((client_id, jwks_uri))
    }
}
