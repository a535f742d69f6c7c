//! Shared helpers: a no-redirect HTTP client and the steps of the authorization-code flow.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use mock_idp::IdpHandle;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use std::collections::HashMap;

pub const REDIRECT: &str = "https://chatgpt.com/connector_platform_oauth_redirect";
pub const RESOURCE: &str = "http://127.0.0.1:9/mcp";

pub use server_kit::test_client::http;

pub struct Registered {
    pub client_id: String,
    pub client_secret: Option<String>,
    pub body: Value,
}

pub async fn register_raw(idp: &IdpHandle, body: &Value) -> (StatusCode, HeaderMap, Value) {
    let url = idp.endpoints().registration.expect("registration endpoint");
    let r = http().post(url).json(body).send().await.unwrap();
    let (s, h) = (r.status(), r.headers().clone());
    (s, h, r.json().await.unwrap_or(Value::Null))
}

/// ChatGPT-2025-style DCR body with the given auth method (`None` omits the field).
pub fn dcr_body(method: Option<&str>) -> Value {
    let mut b = json!({
        "client_name": "ChatGPT",
        "redirect_uris": [REDIRECT],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
    });
    if let Some(m) = method {
        b["token_endpoint_auth_method"] = json!(m);
    }
    b
}

pub async fn register(idp: &IdpHandle, method: Option<&str>) -> Registered {
    let (s, _, body) = register_raw(idp, &dcr_body(method)).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    Registered {
        client_id: body["client_id"].as_str().unwrap().to_owned(),
        client_secret: body["client_secret"].as_str().map(str::to_owned),
        body,
    }
}

pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

pub fn pkce() -> Pkce {
    let verifier = format!("v{}", "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG");
    Pkce { challenge: mock_idp::pkce_s256(&verifier), verifier }
}

pub async fn authorize(idp: &IdpHandle, params: &[(&str, &str)]) -> reqwest::Response {
    http().get(idp.endpoints().authorization).query(params).send().await.unwrap()
}

pub fn location(r: &reqwest::Response) -> url::Url {
    let loc = r.headers().get("location").unwrap_or_else(|| panic!("no Location on {}", r.status())).to_str().unwrap();
    url::Url::parse(loc).unwrap()
}

pub fn query_map(u: &url::Url) -> HashMap<String, String> {
    u.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

/// Standard authorization parameters for a client.
pub fn auth_params<'a>(client_id: &'a str, p: &'a Pkce) -> Vec<(&'a str, &'a str)> {
    vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", REDIRECT),
        ("state", "oauth_s_0123456789abcdef"),
        ("scope", "mcp:read"),
        ("code_challenge", &p.challenge),
        ("code_challenge_method", "S256"),
        ("resource", RESOURCE),
    ]
}

pub async fn code_for(idp: &IdpHandle, client_id: &str, p: &Pkce) -> String {
    let r = authorize(idp, &auth_params(client_id, p)).await;
    assert_eq!(r.status(), StatusCode::FOUND);
    let q = query_map(&location(&r));
    q.get("code").unwrap_or_else(|| panic!("no code: {q:?}")).clone()
}

pub enum Auth<'a> {
    Basic(&'a str, &'a str),
    Post(&'a str, &'a str),
    None(&'a str),
    Nothing,
}

pub async fn token_raw(idp: &IdpHandle, form: &[(&str, &str)], auth: Auth<'_>) -> (StatusCode, HeaderMap, Value) {
    let mut form: Vec<(String, String)> = form.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let mut req = http().post(idp.endpoints().token);
    match auth {
        Auth::Basic(id, secret) => {
            let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            req = req
                .header("authorization", format!("Basic {}", STANDARD.encode(format!("{}:{}", enc(id), enc(secret)))));
        }
        Auth::Post(id, secret) => {
            form.push(("client_id".into(), id.into()));
            form.push(("client_secret".into(), secret.into()));
        }
        Auth::None(id) => form.push(("client_id".into(), id.into())),
        Auth::Nothing => {}
    }
    let r = req.form(&form).send().await.unwrap();
    let (s, h) = (r.status(), r.headers().clone());
    (s, h, r.json().await.unwrap_or(Value::Null))
}

/// Auth that matches how the client registered.
pub fn auth_for(c: &Registered) -> Auth<'_> {
    match c.body["token_endpoint_auth_method"].as_str().unwrap() {
        "client_secret_basic" => Auth::Basic(&c.client_id, c.client_secret.as_deref().unwrap()),
        "client_secret_post" => Auth::Post(&c.client_id, c.client_secret.as_deref().unwrap()),
        _ => Auth::None(&c.client_id),
    }
}

pub async fn exchange(idp: &IdpHandle, c: &Registered, code: &str, p: &Pkce) -> (StatusCode, HeaderMap, Value) {
    redeem(idp, code, p, &[], auth_for(c)).await
}

/// The authorization-code exchange with the test's redirect URI and resource, any `extra` form
/// fields (a client assertion, say) and the given client authentication.
pub async fn redeem(
    idp: &IdpHandle,
    code: &str,
    p: &Pkce,
    extra: &[(&str, &str)],
    auth: Auth<'_>,
) -> (StatusCode, HeaderMap, Value) {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("code_verifier", p.verifier.as_str()),
        ("redirect_uri", REDIRECT),
        ("resource", RESOURCE),
    ];
    form.extend_from_slice(extra);
    token_raw(idp, &form, auth).await
}

/// Register → authorize → token; returns the client and the token response.
pub async fn full_flow(idp: &IdpHandle, method: Option<&str>) -> (Registered, Value) {
    let c = register(idp, method).await;
    let p = pkce();
    let code = code_for(idp, &c.client_id, &p).await;
    let (s, _, body) = exchange(idp, &c, &code, &p).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    (c, body)
}

pub const RS_ID: &str = "resource-server";
pub const RS_SECRET: &str = "rs-secret";

/// RFC 7662 introspection of `token`, authenticating as `id`/`secret` with HTTP Basic; the answer
/// must be 200 whatever the token (an unknown one is `{"active": false}`).
pub async fn introspect_with(
    http: &reqwest::Client,
    idp: &IdpHandle,
    id: &str,
    secret: Option<&str>,
    token: &str,
) -> serde_json::Value {
    let r =
        http.post(idp.endpoints().introspection).basic_auth(id, secret).form(&[("token", token)]).send().await.unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    r.json().await.unwrap()
}

/// Adds a static client flagged `resource_server`: the one client that may introspect every token.
pub fn with_resource_server(b: mock_idp::MockIdp) -> mock_idp::MockIdp {
    b.static_client(mock_idp::StaticClient {
        client_id: RS_ID.into(),
        client_secret: Some(RS_SECRET.into()),
        resource_server: true,
        ..Default::default()
    })
}

pub async fn start(b: mock_idp::MockIdp) -> IdpHandle {
    b.start().await.expect("mock IdP starts")
}

/// The IdP's published RSA key with this `kid`, fetched from its JWKS as a resource server would;
/// `Err("unknown kid")` when the JWKS has none.
pub async fn jwks_key(idp: &IdpHandle, kid: Option<&str>) -> Result<jsonwebtoken::DecodingKey, String> {
    let jwks: Value = http().get(idp.jwks_uri()).send().await.unwrap().json().await.unwrap();
    let key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| Some(k["kid"].as_str().unwrap()) == kid)
        .ok_or("unknown kid")?;
    Ok(jsonwebtoken::DecodingKey::from_rsa_components(key["n"].as_str().unwrap(), key["e"].as_str().unwrap()).unwrap())
}

/// Verifies a JWT against the IdP's JWKS the way a resource server would.
pub async fn verify_with_jwks(idp: &IdpHandle, token: &str, aud: &str) -> Result<Value, String> {
    let header = jsonwebtoken::decode_header(token).map_err(|e| e.to_string())?;
    let dk = jwks_key(idp, header.kid.as_deref()).await?;
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    v.set_audience(&[aud]);
    v.set_issuer(&[idp.issuer()]);
    v.set_required_spec_claims(&["exp", "iss", "aud"]);
    jsonwebtoken::decode::<Value>(token, &dk, &v).map(|d| d.claims).map_err(|e| e.to_string())
}
