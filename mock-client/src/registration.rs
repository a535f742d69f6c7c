//! Getting a client: the static credentials the user typed, a Client ID Metadata Document, or
//! RFC 7591 dynamic registration — in the profile's priority order.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};

use crate::client::Ctx;
use crate::discovery::Discovered;
use crate::fail::fail;
use crate::http::Req;
use crate::outcome::{Failure, FailureKind};
use crate::profile::{DcrAuthRule, RegistrationKind};
use crate::transcript::{ExchangeKind, Phase, SecretKind};

/// The fixed test key (committed, public, worthless): signs only when a test pins it with
/// [`CimdKey::test_key`].
const CIMD_TEST_KEY: &str = include_str!("../keys/cimd-client.pem");
/// The `kid` of the fixed test key.
pub const CIMD_KID: &str = "connector-harness-cimd-1";

/// The key that signs the client's `private_key_jwt` assertions, whose public half the client's
/// metadata host serves as the document's JWKS.
///
/// By default ([`CimdKey::per_run`]) a fresh RSA key, generated on first use once per process
/// (one run of the harness) — never the committed one: `--cimd-base` exposes the JWKS to real
/// IdPs, and a key anyone can read would let anyone sign as that client. One key per process
/// rather than per client: generating one costs a moment of CPU, and tests start dozens of
/// clients at once. [`CimdKey::test_key`] pins the committed key for tests that need the same
/// bytes every run.
#[derive(Clone)]
pub struct CimdKey {
    pinned: bool,
}

/// The key [`CimdKey::per_run`] signs with, made on first use.
static PER_RUN: std::sync::OnceLock<Result<KeyPair, String>> = std::sync::OnceLock::new();
/// The committed test key, parsed on first use.
static TEST_KEY: std::sync::OnceLock<Result<KeyPair, String>> = std::sync::OnceLock::new();

struct KeyPair {
    kid: String,
    public: rsa::RsaPublicKey,
    signing: jsonwebtoken::EncodingKey,
}

impl std::fmt::Debug for CimdKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CimdKey").field("pinned", &self.pinned).finish_non_exhaustive()
    }
}

impl Default for CimdKey {
    fn default() -> Self {
        CimdKey::per_run()
    }
}

impl CimdKey {
    /// This process's key, generated when first needed (RSA 2048, a random `kid`).
    pub fn per_run() -> CimdKey {
        CimdKey { pinned: false }
    }

    /// The committed test key with `kid` [`CIMD_KID`]: deterministic, for tests only.
    pub fn test_key() -> CimdKey {
        CimdKey { pinned: true }
    }

    fn pair(&self) -> Result<&'static KeyPair, crate::ClientError> {
        use rsa::pkcs1::EncodeRsaPrivateKey;
        let cell = if self.pinned { &TEST_KEY } else { &PER_RUN };
        let pair = cell.get_or_init(|| {
            let (kid, key) = if self.pinned {
                let key = rsa::RsaPrivateKey::from_pkcs1_pem(CIMD_TEST_KEY).map_err(|e| e.to_string())?;
                (CIMD_KID.to_owned(), key)
            } else {
                let key = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).map_err(|e| e.to_string())?;
                (format!("connector-harness-cimd-{}", crate::pkce::hex(8)), key)
            };
            let der = key.to_pkcs1_der().map_err(|e| e.to_string())?;
            let signing = jsonwebtoken::EncodingKey::from_rsa_der(der.as_bytes());
            Ok(KeyPair { kid, public: key.to_public_key(), signing })
        });
        pair.as_ref().map_err(|e| crate::ClientError::Signing(e.clone()))
    }

    /// The key's `kid`.
    pub fn kid(&self) -> Result<String, crate::ClientError> {
        Ok(self.pair()?.kid.clone())
    }

    /// The public half, as a JWKS.
    pub fn jwks(&self) -> Result<Value, crate::ClientError> {
        let p = self.pair()?;
        Ok(json!({"keys": [{
            "kty": "RSA", "use": "sig", "alg": "RS256", "kid": p.kid,
            "n": URL_SAFE_NO_PAD.encode(p.public.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(p.public.e().to_bytes_be()),
        }]}))
    }

    /// An RFC 7523 client assertion: RS256, `iss` = `sub` = client id, `aud` = the token
    /// endpoint, 60 s lifetime, random `jti`.
    pub fn assertion(&self, client_id: &str, token_endpoint: &str) -> Result<String, crate::ClientError> {
        let p = self.pair()?;
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let claims = json!({
            "iss": client_id, "sub": client_id, "aud": token_endpoint,
            "iat": now, "exp": now + 60, "jti": crate::pkce::hex(32),
        });
        let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        h.kid = Some(p.kid.clone());
        jsonwebtoken::encode(&h, &claims, &p.signing).map_err(|e| crate::ClientError::Signing(e.to_string()))
    }
}

/// Credentials the user supplies (a connector form's client id/secret, seed 001's `oauthClientId`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaticCredentials {
    /// Client id.
    pub client_id: String,
    /// Secret, for a confidential client.
    pub client_secret: Option<String>,
}

/// The client the flow uses.
#[derive(Debug, Clone, PartialEq)]
pub struct RegisteredClient {
    /// How it was obtained.
    pub kind: RegistrationKind,
    /// Client id.
    pub client_id: String,
    /// Secret.
    pub client_secret: Option<String>,
    /// The token-endpoint auth method it will use.
    pub auth_method: String,
    /// Its redirect URI.
    pub redirect_uri: String,
}

/// The public half of the fixed test key, as a JWKS ([`CimdKey::test_key`]; clients sign with
/// their [`crate::ConnectOptions::cimd_key`]).
pub fn cimd_jwks() -> Value {
    CimdKey::test_key().jwks().expect("the shipped test key parses")
}

/// An assertion signed with the fixed test key ([`CimdKey::test_key`]).
pub fn assertion(client_id: &str, token_endpoint: &str) -> Result<String, crate::ClientError> {
    CimdKey::test_key().assertion(client_id, token_endpoint)
}

/// Substitutes `{name}` placeholders throughout a JSON value.
pub fn fill(v: &Value, vars: &[(&str, &str)]) -> Value {
    match v {
        Value::String(s) => {
            let mut out = s.clone();
            for (k, val) in vars {
                out = out.replace(&format!("{{{k}}}"), val);
            }
            Value::String(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(|x| fill(x, vars)).collect()),
        Value::Object(m) => Value::Object(m.iter().map(|(k, x)| (k.clone(), fill(x, vars))).collect()),
        other => other.clone(),
    }
}

pub(crate) async fn run(
    ctx: &mut Ctx<'_>,
    found: &Discovered,
    redirect_uri: &str,
) -> Result<RegisteredClient, Failure> {
    let p = ctx.profile;
    let url = ctx.mcp_url.as_str().to_owned();
    let as_methods = found.meta_list("token_endpoint_auth_methods_supported");
    let mut tried = Vec::new();
    for kind in p.registration.priority.value.clone() {
        match kind {
            RegistrationKind::Static => {
                let Some(s) = ctx.opts.static_client.clone() else {
                    tried.push("no static client id configured");
                    continue;
                };
                let supported = |m: &str| as_methods.as_ref().is_none_or(|l| l.iter().any(|x| x == m));
                let auth_method = match &s.client_secret {
                    None => "none",
                    Some(_) if supported("client_secret_basic") => "client_secret_basic",
                    Some(_) => "client_secret_post",
                };
                if let Some(sec) = &s.client_secret {
                    ctx.rec.secret(SecretKind::ClientSecret, sec);
                }
                return Ok(RegisteredClient {
                    kind,
                    client_id: s.client_id,
                    client_secret: s.client_secret,
                    auth_method: auth_method.into(),
                    redirect_uri: redirect_uri.into(),
                });
            }
            RegistrationKind::Cimd => {
                let Some(cimd) = &p.registration.cimd else {
                    tried.push("the profile has no client metadata document");
                    continue;
                };
                if found.metadata.get("client_id_metadata_document_supported") != Some(&Value::Bool(true)) {
                    tried.push("the AS does not advertise client_id_metadata_document_supported");
                    continue;
                }
                let cimd = cimd.value.clone();
                let (client_id, jwks_uri) = ctx.publish_cimd(&cimd, redirect_uri).await.map_err(|e| {
                    fail(p, FailureKind::RegistrationFailed, Phase::Registration, &url, &[], e.to_string(), None)
                })?;
                // Pick the first method we can use that the AS supports (RFC 8414's default list is
                // client_secret_basic, which a document cannot use, so an AS without the field gets
                // our first choice).
                let auth_method = match &as_methods {
                    Some(l) => cimd.auth_methods.iter().find(|m| l.contains(m)).cloned(),
                    None => cimd.auth_methods.first().cloned(),
                };
                let Some(auth_method) = auth_method else {
                    tried.push("no auth method of the client document is supported by the AS");
                    continue;
                };
                let _ = jwks_uri;
                return Ok(RegisteredClient {
                    kind,
                    client_id,
                    client_secret: None,
                    auth_method,
                    redirect_uri: redirect_uri.into(),
                });
            }
            RegistrationKind::Dcr => {
                let Some(endpoint) = found.meta("registration_endpoint").map(str::to_owned) else {
                    tried.push("the AS has no registration_endpoint");
                    continue;
                };
                let body = fill(&p.registration.dcr_body.value, &[("redirect_uri", redirect_uri)]);
                let requested = body.get("token_endpoint_auth_method").and_then(Value::as_str).map(str::to_owned);
                let req = Req::new(reqwest::Method::POST, &endpoint, "dynamic client registration")
                    .kind(ExchangeKind::Registration)
                    .header("User-Agent", &p.user_agent_oauth.value)
                    .header("Accept", "*/*")
                    .json(&body);
                let r = ctx.send(Phase::Registration, req).await?;
                let v = r.json().unwrap_or(Value::Null);
                // Credentials in the answer are secrets even when it is refused below. RFC 7592's
                // management credential is a bearer secret too (oidc-provider sends it).
                for field in ["client_secret", "registration_access_token"] {
                    if let Some(s) = v.get(field).and_then(Value::as_str) {
                        ctx.rec.secret(SecretKind::ClientSecret, s);
                    }
                }
                let Some(client_id) = v.get("client_id").and_then(Value::as_str).filter(|_| r.ok()).map(str::to_owned)
                else {
                    let (err, desc) = oauth_error(&v, r.status);
                    return Err(fail(
                        p,
                        FailureKind::RegistrationFailed,
                        Phase::Registration,
                        &url,
                        &[("error", &err), ("detail", &desc)],
                        format!("dynamic client registration at {endpoint} answered HTTP {}: {err} ({desc})", r.status),
                        Some(r.seq),
                    ));
                };
                let secret = v.get("client_secret").and_then(Value::as_str).map(str::to_owned);
                ctx.rec.secret(SecretKind::ClientId, &client_id);
                // RFC 7591 §2: an omitted method means client_secret_basic.
                let echoed = v
                    .get("token_endpoint_auth_method")
                    .and_then(Value::as_str)
                    .unwrap_or("client_secret_basic")
                    .to_owned();
                if p.registration.dcr_auth_rule.value == DcrAuthRule::RequireRequested
                    && let Some(req) = &requested
                    && *req != echoed
                {
                    return Err(fail(
                        p,
                        FailureKind::AuthMethodMismatch,
                        Phase::Registration,
                        &url,
                        &[("method", req)],
                        format!("registration asked for {req} and the response says {echoed}"),
                        Some(r.seq),
                    ));
                }
                return Ok(RegisteredClient {
                    kind,
                    client_id,
                    client_secret: secret,
                    auth_method: echoed,
                    redirect_uri: redirect_uri.into(),
                });
            }
        }
    }
    Err(fail(
        p,
        FailureKind::NoClient,
        Phase::Registration,
        &url,
        &[],
        format!("no way to obtain a client: {}", tried.join("; ")),
        None,
    ))
}

/// `(error, description)` of an OAuth error body.
pub(crate) fn oauth_error(v: &Value, status: u16) -> (String, String) {
    let e = v.get("error").and_then(Value::as_str).map(str::to_owned).unwrap_or_else(|| format!("HTTP {status}"));
    let d = v.get("error_description").and_then(Value::as_str).unwrap_or("").to_owned();
    (e, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verifies(key: &CimdKey, assertion: &str) -> bool {
        let jwks: jsonwebtoken::jwk::JwkSet = serde_json::from_value(key.jwks().unwrap()).unwrap();
        let jwk = &jwks.keys[0];
        let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        v.set_audience(&["https://idp.example/token"]);
        jsonwebtoken::decode::<Value>(assertion, &jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap(), &v).is_ok()
    }

    #[test]
    fn a_run_signs_with_a_key_of_its_own_unless_a_test_pins_the_committed_one() {
        let a = CimdKey::per_run();
        let ja = a.jwks().unwrap();
        assert_ne!(a.kid().unwrap(), CIMD_KID);
        assert_ne!(ja["keys"][0]["n"], cimd_jwks()["keys"][0]["n"], "never the committed key by default");
        // The same run (process): the same key.
        assert_eq!(CimdKey::per_run().jwks().unwrap(), ja);
        let signed = a.assertion("https://c.example/client.json", "https://idp.example/token").unwrap();
        assert!(verifies(&a, &signed));
        assert!(!verifies(&CimdKey::test_key(), &signed), "the committed key's JWKS does not verify it");
        // Pinned: the committed key, the same bytes every time.
        let pinned = CimdKey::test_key();
        assert_eq!(pinned.kid().unwrap(), CIMD_KID);
        assert_eq!(pinned.jwks().unwrap(), cimd_jwks());
        assert!(verifies(&pinned, &assertion("https://c.example/client.json", "https://idp.example/token").unwrap()));
    }

    #[test]
    fn connect_options_default_to_a_key_of_their_own() {
        let o = crate::ConnectOptions::default();
        assert_ne!(o.cimd_key.kid().unwrap(), CIMD_KID);
    }
}
