//! Named misbehaviours that reproduce real identity providers.
//!
//! A quirk is data, not code paths sprinkled with flags: scenario files and the `idp` command name
//! them (`quirks: [no_registration_endpoint, {trusted_hosts: [chatgpt.com]}]`), reports quote them,
//! and each one documents the real IdP it stands for. The default IdP has none and behaves as the
//! specs say.

use serde::{Deserialize, Serialize};

/// One misbehaviour. Unit variants are written as a bare name, the others as a one-key map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum Quirk {
    /// No `registration_endpoint` in metadata and no `/register` route (OwnerRez, GitHub as AS: seed 001).
    NoRegistrationEndpoint,
    /// Access tokens carry no `aud` claim at all.
    NoAudience,
    /// `aud` ignores `resource` and names a fixed audience instead (Keycloak without an audience mapper
    /// issues `aud: "account"`: seed 003).
    AudienceNotFromResource(String),
    /// `/token` refuses HTTP Basic client authentication although metadata and registration offer it
    /// (SDK demo servers that only read the body: "advertised but not honoured").
    BasicAuthRefused,
    /// `/token` insists on `client_id` in the form body even when the client authenticated with Basic.
    ClientIdRequiredInBody,
    /// `/register` answers with this `token_endpoint_auth_method` whatever the client asked for
    /// (Keycloak's confidential default: `client_secret_basic`).
    RegistrationAuthMethodOverride(String),
    /// The issuer (metadata `issuer`, token `iss`) carries a trailing slash.
    IssuerTrailingSlash,
    /// Metadata `issuer` differs from the URL the metadata was fetched from (RFC 8414 §3.3 violation).
    MetadataIssuerMismatch,
    /// `code_challenge_methods_supported` is left out of the metadata (spec clients MUST then refuse).
    NoCodeChallengeMethods,
    /// PKCE `plain` is accepted (and advertised).
    PlainPkceAllowed,
    /// Access tokens are opaque strings, valid only through introspection.
    OpaqueAccessTokens,
    /// RFC 9207 `iss` is advertised but not sent on the authorization response.
    IssParameterOmitted,
    /// RFC 9207 `iss` is sent with a wrong value.
    IssParameterWrong,
    /// RFC 9207 support is not advertised and no `iss` is sent.
    IssParameterNotAdvertised,
    /// Registration is refused unless every redirect URI's host is in this list (Keycloak "Trusted Hosts").
    TrustedHosts(Vec<String>),
    /// At most `max` registrations per `per_seconds` window (Supabase: 10 per 300 s).
    RegistrationRateLimit {
        /// Registrations allowed in one window.
        max: u32,
        /// Window length in seconds.
        per_seconds: u64,
    },
    /// Refresh tokens are not rotated: the same refresh token is handed back and stays valid.
    NoRefreshRotation,
    /// Rotation with a reuse window: a used refresh token is still honoured (new tokens, no
    /// revocation) for this many seconds after its first use, and only a replay after that revokes
    /// the family (Auth0's "reuse interval", Okta's grace period). Certification must report it as
    /// a documented window with its length, not as missing rotation.
    RefreshReuseWindow(u64),
    /// A client registered without `scope` may later ask only for `default_scopes` (Clerk: GPT-06).
    ScopesBoundAtRegistration,
    /// CIMD: only the singular `token_endpoint_auth_method` is read, and `private_key_jwt` is refused,
    /// so ChatGPT's document is rejected with `invalid_client` instead of negotiated down to `none`.
    CimdSingularAuthMethodOnly,
    /// `private_key_jwt` is not offered at the token endpoint.
    NoPrivateKeyJwt,
    /// Client ID Metadata Documents are neither advertised nor accepted.
    NoCimd,
    /// RFC 9207 `iss` on successful authorization responses only, not on error responses (breaks
    /// AS-24: MCP 2026-07-28 asks for it on error responses too, so a client can tell which AS an
    /// error came from before acting on it).
    IssOmittedOnErrors,
    /// RFC 9207 `iss` is sent but `authorization_response_iss_parameter_supported` is not
    /// advertised (breaks AS-24: an AS that sends `iss` MUST advertise it).
    IssSentNotAdvertised,
    /// `application_type` is read as an unknown member and ignored: no OIDC redirect-URI rules per
    /// type (a plain RFC 7591 server; AS-26 INFO, the spec leaves enforcement to the AS).
    ApplicationTypeIgnored,
    /// A registration that names `application_type` is refused with `invalid_client_metadata`
    /// (strict servers that refuse unknown members, contrary to RFC 7591 §2; breaks AS-26: a
    /// client following MCP 2026-07-28, which MUST send it, cannot register).
    ApplicationTypeRejected,
    /// A registration without `application_type` is a `web` client (the OIDC Registration §2
    /// default, as without quirks) and, beyond OIDC (whose web rule binds implicit-grant clients
    /// only), gets the strict web rules too: no `http`, no `localhost`. Some OIDC servers do this;
    /// it breaks clients that omit the member and register a loopback redirect (C-34).
    ApplicationTypeDefaultWeb,
    /// A registration without `application_type` gets no type at all (none recorded or returned):
    /// a server that applies OIDC's types only when the member is sent, instead of OIDC
    /// Registration §2's default `web`.
    ApplicationTypeUntypedDefault,
    /// CIMD: the document is used although its `client_id` is not the URL it was fetched from
    /// (breaks AS-08 and AS-28).
    CimdClientIdNotChecked,
    /// CIMD: any `https` redirect URI is accepted for a metadata-document client, listed in the
    /// document or not (breaks AS-10 and AS-28).
    CimdRedirectUrisNotChecked,
    /// CIMD: the document is accepted and a code issued, but the token endpoint refuses the
    /// metadata-document client's code exchange with `invalid_grant` (not `invalid_client`). A
    /// fixture, not a named IdP: a refusal that is not the document's, so GPT-07 fails and
    /// GPT-09 (which fails only on `invalid_client`) is not tested.
    CimdTokenRefusedInvalidGrant,
}

impl Quirk {
    /// The quirk's name as written in files and reports.
    pub fn name(&self) -> &'static str {
        match self {
            Quirk::NoRegistrationEndpoint => "no_registration_endpoint",
            Quirk::NoAudience => "no_audience",
            Quirk::AudienceNotFromResource(_) => "audience_not_from_resource",
            Quirk::BasicAuthRefused => "basic_auth_refused",
            Quirk::ClientIdRequiredInBody => "client_id_required_in_body",
            Quirk::RegistrationAuthMethodOverride(_) => "registration_auth_method_override",
            Quirk::IssuerTrailingSlash => "issuer_trailing_slash",
            Quirk::MetadataIssuerMismatch => "metadata_issuer_mismatch",
            Quirk::NoCodeChallengeMethods => "no_code_challenge_methods",
            Quirk::PlainPkceAllowed => "plain_pkce_allowed",
            Quirk::OpaqueAccessTokens => "opaque_access_tokens",
            Quirk::IssParameterOmitted => "iss_parameter_omitted",
            Quirk::IssParameterWrong => "iss_parameter_wrong",
            Quirk::IssParameterNotAdvertised => "iss_parameter_not_advertised",
            Quirk::TrustedHosts(_) => "trusted_hosts",
            Quirk::RegistrationRateLimit { .. } => "registration_rate_limit",
            Quirk::NoRefreshRotation => "no_refresh_rotation",
            Quirk::RefreshReuseWindow(_) => "refresh_reuse_window",
            Quirk::ScopesBoundAtRegistration => "scopes_bound_at_registration",
            Quirk::CimdSingularAuthMethodOnly => "cimd_singular_auth_method_only",
            Quirk::NoPrivateKeyJwt => "no_private_key_jwt",
            Quirk::NoCimd => "no_cimd",
            Quirk::IssOmittedOnErrors => "iss_omitted_on_errors",
            Quirk::IssSentNotAdvertised => "iss_sent_not_advertised",
            Quirk::ApplicationTypeIgnored => "application_type_ignored",
            Quirk::ApplicationTypeRejected => "application_type_rejected",
            Quirk::ApplicationTypeDefaultWeb => "application_type_default_web",
            Quirk::ApplicationTypeUntypedDefault => "application_type_untyped_default",
            Quirk::CimdClientIdNotChecked => "cimd_client_id_not_checked",
            Quirk::CimdRedirectUrisNotChecked => "cimd_redirect_uris_not_checked",
            Quirk::CimdTokenRefusedInvalidGrant => "cimd_token_refused_invalid_grant",
        }
    }

    /// Parses a quirk from the command line: `name` or `name=value` (lists comma-separated,
    /// rate limits as `max/seconds`).
    pub fn parse_cli(s: &str) -> Result<Quirk, String> {
        let (name, value) = match s.split_once('=') {
            Some((n, v)) => (n.trim(), Some(v.trim())),
            None => (s.trim(), None),
        };
        let need =
            |v: Option<&str>| v.map(str::to_owned).ok_or_else(|| format!("quirk `{name}` needs a value: {name}=..."));
        let q = match name {
            "audience_not_from_resource" => Quirk::AudienceNotFromResource(value.unwrap_or("account").to_owned()),
            "registration_auth_method_override" => Quirk::RegistrationAuthMethodOverride(need(value)?),
            "refresh_reuse_window" => {
                let v = need(value)?;
                Quirk::RefreshReuseWindow(v.parse().map_err(|_| format!("bad seconds `{v}`"))?)
            }
            "trusted_hosts" => Quirk::TrustedHosts(need(value)?.split(',').map(|h| h.trim().to_owned()).collect()),
            "registration_rate_limit" => {
                let v = need(value)?;
                let (m, p) = v.split_once('/').ok_or("registration_rate_limit takes max/seconds, e.g. 10/300")?;
                Quirk::RegistrationRateLimit {
                    max: m.parse().map_err(|_| format!("bad max `{m}`"))?,
                    per_seconds: p.parse().map_err(|_| format!("bad seconds `{p}`"))?,
                }
            }
            other => {
                if value.is_some() {
                    return Err(format!("quirk `{other}` takes no value"));
                }
                // Unit variants deserialize from their bare name; this keeps one list of names.
                serde_json::from_value(serde_json::Value::String(other.to_owned()))
                    .map_err(|_| format!("unknown quirk `{other}`; known: {}", Quirk::ALL_NAMES.join(", ")))?
            }
        };
        Ok(q)
    }

    /// Every quirk name, for help texts and error messages.
    pub const ALL_NAMES: &'static [&'static str] = &[
        "no_registration_endpoint",
        "no_audience",
        "audience_not_from_resource",
        "basic_auth_refused",
        "client_id_required_in_body",
        "registration_auth_method_override",
        "issuer_trailing_slash",
        "metadata_issuer_mismatch",
        "no_code_challenge_methods",
        "plain_pkce_allowed",
        "opaque_access_tokens",
        "iss_parameter_omitted",
        "iss_parameter_wrong",
        "iss_parameter_not_advertised",
        "trusted_hosts",
        "registration_rate_limit",
        "no_refresh_rotation",
        "refresh_reuse_window",
        "scopes_bound_at_registration",
        "cimd_singular_auth_method_only",
        "no_private_key_jwt",
        "no_cimd",
        "iss_omitted_on_errors",
        "iss_sent_not_advertised",
        "application_type_ignored",
        "application_type_rejected",
        "application_type_default_web",
        "application_type_untyped_default",
        "cimd_client_id_not_checked",
        "cimd_redirect_uris_not_checked",
        "cimd_token_refused_invalid_grant",
    ];
}

/// The set of active quirks, with typed look-ups for the endpoints.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Quirks(pub Vec<Quirk>);

impl Quirks {
    /// Whether a unit quirk is on.
    pub fn has(&self, q: &Quirk) -> bool {
        self.0.contains(q)
    }
    /// The fixed audience of [`Quirk::AudienceNotFromResource`], if on.
    pub fn fixed_audience(&self) -> Option<&str> {
        self.0.iter().find_map(|q| match q {
            Quirk::AudienceNotFromResource(a) => Some(a.as_str()),
            _ => None,
        })
    }
    /// The forced registration auth method, if on.
    pub fn registration_auth_method_override(&self) -> Option<&str> {
        self.0.iter().find_map(|q| match q {
            Quirk::RegistrationAuthMethodOverride(m) => Some(m.as_str()),
            _ => None,
        })
    }
    /// The trusted hosts list, if on.
    pub fn trusted_hosts(&self) -> Option<&[String]> {
        self.0.iter().find_map(|q| match q {
            Quirk::TrustedHosts(h) => Some(h.as_slice()),
            _ => None,
        })
    }
    /// The refresh-token reuse window in seconds, if on.
    pub fn refresh_reuse_window(&self) -> Option<u64> {
        self.0.iter().find_map(|q| match q {
            Quirk::RefreshReuseWindow(s) => Some(*s),
            _ => None,
        })
    }
    /// The registration rate limit `(max, per_seconds)`, if on.
    pub fn registration_rate_limit(&self) -> Option<(u32, u64)> {
        self.0.iter().find_map(|q| match q {
            Quirk::RegistrationRateLimit { max, per_seconds } => Some((*max, *per_seconds)),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_name_parses_and_round_trips() {
        for name in Quirk::ALL_NAMES {
            let arg = match *name {
                "registration_auth_method_override" => format!("{name}=client_secret_basic"),
                "trusted_hosts" => format!("{name}=chatgpt.com,openai.com"),
                "registration_rate_limit" => format!("{name}=2/60"),
                "refresh_reuse_window" => format!("{name}=30"),
                _ => name.to_string(),
            };
            let q = Quirk::parse_cli(&arg).unwrap_or_else(|e| panic!("{arg}: {e}"));
            assert_eq!(q.name(), *name);
        }
    }

    #[test]
    fn unknown_or_malformed_quirks_are_clear_errors() {
        assert!(Quirk::parse_cli("no_such_quirk").unwrap_err().contains("unknown quirk"));
        assert!(Quirk::parse_cli("no_audience=1").unwrap_err().contains("takes no value"));
        assert!(Quirk::parse_cli("registration_rate_limit=10").is_err());
        assert!(Quirk::parse_cli("trusted_hosts").unwrap_err().contains("needs a value"));
    }

    #[test]
    fn yaml_form_reads_bare_names_and_maps() {
        let yaml = "- no_registration_endpoint\n- trusted_hosts: [chatgpt.com]\n- registration_rate_limit: {max: 1, per_seconds: 60}\n";
        let q: Quirks = serde_saphyr::from_str(yaml).unwrap();
        assert_eq!(q.0.len(), 3);
        assert_eq!(q.trusted_hosts().unwrap(), ["chatgpt.com".to_string()]);
        assert_eq!(q.registration_rate_limit(), Some((1, 60)));
    }
}
