//! Client ID Metadata Documents and `private_key_jwt` client authentication (RFC 7523), with the
//! client's document and JWKS served by a small loopback server standing in for chatgpt.com.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode as AxStatus, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use mock_idp::{ClientSource, IdpHandle, JWT_BEARER_ASSERTION, MockIdp, Quirk};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use rsa::RsaPrivateKey;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::common::*;

/// ChatGPT's real client id.
pub const CLIENT_ID: &str = "https://chatgpt.com/oauth/client.json";
const JWKS_URI: &str = "https://chatgpt.com/oauth/jwks.json";
const CLIENT_KEY_PEM: &str = include_str!("../client-key.pem");
/// A different RSA key (the IdP's foreign test key): signatures by it must not verify.
const OTHER_KEY_PEM: &str = include_str!("../../keys/foreign.pem");
const KID: &str = "chatgpt-test-key-1";

/// ChatGPT's Client ID Metadata Document, for the given client id.
pub fn chatgpt_document(client_id: &str) -> Value {
    json!({
        "client_id": client_id,
        "client_uri": "https://chatgpt.com/",
        "redirect_uris": [REDIRECT],
        "token_endpoint_auth_method": "private_key_jwt",
        "token_endpoint_auth_methods_supported": ["none", "private_key_jwt"],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "client_name": "ChatGPT",
        "token_endpoint_auth_signing_alg": "RS256",
        "jwks_uri": JWKS_URI,
    })
}

/// The JWKS publishing the client key.
fn client_jwks() -> Value {
    let key = RsaPrivateKey::from_pkcs1_pem(CLIENT_KEY_PEM).expect("client key loads");
    json!({ "keys": [{
        "kty": "RSA",
        "use": "sig",
        "alg": "RS256",
        "kid": KID,
        "n": URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()),
        "e": URL_SAFE_NO_PAD.encode(key.e().to_bytes_be()),
    }]})
}

struct Route {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
    hits: Arc<AtomicUsize>,
}

#[derive(Default)]
struct Shared {
    routes: Mutex<HashMap<String, Route>>,
}

/// A loopback server that stands in for `https://chatgpt.com/oauth/`.
pub struct DocServer {
    pub origin: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for DocServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(State(shared): State<Arc<Shared>>, uri: Uri) -> Response {
    let routes = shared.routes.lock().unwrap();
    match routes.get(uri.path()) {
        Some(r) => {
            r.hits.fetch_add(1, Ordering::SeqCst);
            let status = AxStatus::from_u16(r.status).unwrap();
            (status, [(header::CONTENT_TYPE, r.content_type)], r.body.clone()).into_response()
        }
        None => AxStatus::NOT_FOUND.into_response(),
    }
}

impl DocServer {
    /// Starts the server with ChatGPT's document at `/oauth/client.json` and its JWKS at
    /// `/oauth/jwks.json`.
    pub async fn start() -> DocServer {
        let shared = Arc::new(Shared::default());
        let app = Router::new().fallback(serve).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let s = DocServer { origin, shared, task };
        s.json("/oauth/client.json", &chatgpt_document(CLIENT_ID));
        s.json("/oauth/jwks.json", &client_jwks());
        s
    }

    /// Serves raw bytes at `path`.
    pub fn raw(&self, path: &str, status: u16, content_type: &'static str, body: impl Into<Vec<u8>>) {
        let route = Route { status, content_type, body: body.into(), hits: Arc::new(AtomicUsize::new(0)) };
        self.shared.routes.lock().unwrap().insert(path.to_owned(), route);
    }

    /// Serves a JSON value at `path`.
    pub fn json(&self, path: &str, v: &Value) {
        self.raw(path, 200, "application/json", v.to_string());
    }

    /// How many requests `path` has received.
    pub fn hits(&self, path: &str) -> usize {
        self.shared.routes.lock().unwrap().get(path).map_or(0, |r| r.hits.load(Ordering::SeqCst))
    }

    /// Points the IdP's fetches of `https://chatgpt.com/oauth/…` at this server.
    pub fn route(&self, idp: &IdpHandle) {
        idp.add_fetch_rewrite("https://chatgpt.com/oauth/", format!("{}/oauth/", self.origin));
    }
}

/// An IdP with the given quirks, fetching ChatGPT's documents from a fresh loopback server.
pub async fn setup(quirks: &[Quirk]) -> (IdpHandle, DocServer) {
    let mut b = MockIdp::builder();
    for q in quirks {
        b = b.quirk(q.clone());
    }
    let idp = start(b).await;
    let docs = DocServer::start().await;
    docs.route(&idp);
    (idp, docs)
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

fn unique_jti() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "jti-{}-{}",
        SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// The claims of a correct assertion for the IdP's token endpoint.
fn claims(idp: &IdpHandle) -> Value {
    json!({
        "iss": CLIENT_ID,
        "sub": CLIENT_ID,
        "aud": idp.endpoints().token,
        "iat": now(),
        "exp": now() + 60,
        "jti": unique_jti(),
    })
}

fn sign_with(claims: &Value, pem: &str) -> String {
    let mut h = Header::new(Algorithm::RS256);
    h.kid = Some(KID.into());
    let key = EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap();
    jsonwebtoken::encode(&h, claims, &key).unwrap()
}

fn sign(claims: &Value) -> String {
    sign_with(claims, CLIENT_KEY_PEM)
}

/// A fresh code for the CIMD client.
async fn code(idp: &IdpHandle, p: &Pkce) -> String {
    code_for(idp, CLIENT_ID, p).await
}

/// The code exchange, authenticated with a client assertion.
async fn redeem_jwt(idp: &IdpHandle, code: &str, p: &Pkce, assertion: &str) -> (StatusCode, HeaderMap, Value) {
    let assertion = [("client_assertion_type", JWT_BEARER_ASSERTION), ("client_assertion", assertion)];
    redeem(idp, code, p, &assertion, Auth::Nothing).await
}

/// The code exchange as a public client (`none`: client_id in the body, no secret).
async fn redeem_none(idp: &IdpHandle, code: &str, p: &Pkce) -> (StatusCode, HeaderMap, Value) {
    redeem(idp, code, p, &[], Auth::None(CLIENT_ID)).await
}

fn assert_invalid_client(s: StatusCode, body: &Value, what: &str) {
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{what}: {body}");
    assert_eq!(body["error"], "invalid_client", "{what}: {body}");
}

/// `/authorize` refused the client itself: 400 `invalid_client` shown to the user, no redirect.
async fn assert_authorize_refuses_client(idp: &IdpHandle, client_id: &str, what: &str) -> Value {
    let p = pkce();
    let r = authorize(idp, &auth_params(client_id, &p)).await;
    let status = r.status();
    let location = r.headers().get("location").cloned();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {body}");
    assert!(location.is_none(), "{what}: must not redirect, got {location:?}");
    assert_eq!(body["error"], "invalid_client", "{what}: {body}");
    body
}

#[tokio::test]
async fn full_flow_with_private_key_jwt() {
    let (idp, docs) = setup(&[]).await;
    let meta: Value = http().get(&idp.endpoints().metadata[0]).send().await.unwrap().json().await.unwrap();
    assert_eq!(meta["client_id_metadata_document_supported"], true);
    assert!(meta["token_endpoint_auth_methods_supported"].as_array().unwrap().contains(&json!("private_key_jwt")));

    let p = pkce();
    let c = code(&idp, &p).await;
    let (s, _, body) = redeem_jwt(&idp, &c, &p, &sign(&claims(&idp))).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let at = body["access_token"].as_str().unwrap();
    let verified = verify_with_jwks(&idp, at, RESOURCE).await.unwrap();
    assert_eq!(verified["client_id"], CLIENT_ID);
    assert!(body["refresh_token"].is_string(), "{body}");

    // The refresh grant authenticates the same way, with a fresh assertion.
    let rt = body["refresh_token"].as_str().unwrap();
    let a = sign(&claims(&idp));
    let (s, _, body) = token_raw(
        &idp,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", rt),
            ("client_assertion_type", JWT_BEARER_ASSERTION),
            ("client_assertion", &a),
        ],
        Auth::Nothing,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");

    // The IdP recorded the client as coming from its metadata document.
    let snap = idp.snapshot();
    let client = snap.client(CLIENT_ID).expect("CIMD client recorded");
    assert_eq!(client.source, ClientSource::MetadataDocument);
    assert_eq!(client.client_name.as_deref(), Some("ChatGPT"));
    assert_eq!(client.redirect_uris, [REDIRECT]);
    assert!(client.auth_methods.iter().any(|m| m == "private_key_jwt"), "{:?}", client.auth_methods);
    assert!(client.client_secret.is_none());
    assert_eq!(docs.hits("/oauth/jwks.json"), 1, "the client JWKS is fetched once and cached");
}

#[tokio::test]
async fn assertion_with_client_id_in_body_and_issuer_as_audience() {
    let (idp, _docs) = setup(&[]).await;
    let p = pkce();
    let c = code(&idp, &p).await;
    let mut cl = claims(&idp);
    cl["aud"] = json!(idp.issuer());
    let a = sign(&cl);
    let (s, _, body) = token_raw(
        &idp,
        &[
            ("grant_type", "authorization_code"),
            ("code", &c),
            ("code_verifier", &p.verifier),
            ("redirect_uri", REDIRECT),
            ("client_id", CLIENT_ID),
            ("client_assertion_type", JWT_BEARER_ASSERTION),
            ("client_assertion", &a),
        ],
        Auth::Nothing,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "aud = issuer must be accepted: {body}");
}

#[tokio::test]
async fn replayed_assertion_is_refused() {
    let (idp, _docs) = setup(&[]).await;
    let a = sign(&claims(&idp));
    let p = pkce();
    let c1 = code(&idp, &p).await;
    let (s, _, body) = redeem_jwt(&idp, &c1, &p, &a).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let c2 = code(&idp, &p).await;
    let (s, _, body) = redeem_jwt(&idp, &c2, &p, &a).await;
    assert_invalid_client(s, &body, "replayed jti");
    assert!(body["error_description"].as_str().unwrap().contains("jti"), "{body}");
    // The code itself was not consumed: a fresh assertion still redeems it.
    let (s, _, body) = redeem_jwt(&idp, &c2, &p, &sign(&claims(&idp))).await;
    assert_eq!(s, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn bad_assertions_are_invalid_client() {
    let (idp, _docs) = setup(&[]).await;
    let p = pkce();
    let c = code(&idp, &p).await;

    let mut cases: Vec<(&str, String)> = Vec::new();
    cases.push(("signed by another RSA key", sign_with(&claims(&idp), OTHER_KEY_PEM)));
    let hs = {
        let mut h = Header::new(Algorithm::HS256);
        h.kid = Some(KID.into());
        jsonwebtoken::encode(&h, &claims(&idp), &EncodingKey::from_secret(b"a shared secret nobody registered"))
            .unwrap()
    };
    cases.push(("HS256", hs));
    let mut expired = claims(&idp);
    expired["iat"] = json!(now() - 7200);
    expired["exp"] = json!(now() - 3600);
    cases.push(("expired", sign(&expired)));
    let mut wrong_iss = claims(&idp);
    wrong_iss["iss"] = json!("https://evil.example/client.json");
    cases.push(("iss differs from client_id", sign(&wrong_iss)));
    let mut wrong_aud = claims(&idp);
    wrong_aud["aud"] = json!("https://elsewhere.example/token");
    cases.push(("aud names another server", sign(&wrong_aud)));
    let mut no_jti = claims(&idp);
    no_jti.as_object_mut().unwrap().remove("jti");
    cases.push(("no jti", sign(&no_jti)));
    let mut not_yet = claims(&idp);
    not_yet["nbf"] = json!(now() + 600);
    not_yet["exp"] = json!(now() + 660);
    cases.push(("nbf in the future", sign(&not_yet)));
    let mut no_exp = claims(&idp);
    no_exp.as_object_mut().unwrap().remove("exp");
    cases.push(("no exp", sign(&no_exp)));

    for (what, a) in &cases {
        let (s, _, body) = redeem_jwt(&idp, &c, &p, a).await;
        assert_invalid_client(s, &body, what);
    }
    // None of the failures consumed the code: the control case succeeds.
    let (s, _, body) = redeem_jwt(&idp, &c, &p, &sign(&claims(&idp))).await;
    assert_eq!(s, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn assertion_expires_on_the_idp_clock() {
    let (idp, _docs) = setup(&[]).await;
    // Valid for a minute of real time, but the IdP's clock is an hour ahead when it arrives.
    let stale = sign(&claims(&idp));
    idp.advance_clock(3600);
    let p = pkce();
    let c = code(&idp, &p).await;
    let (s, _, body) = redeem_jwt(&idp, &c, &p, &stale).await;
    assert_invalid_client(s, &body, "assertion expired on the IdP clock");
    assert!(body["error_description"].as_str().unwrap().contains("expired"), "{body}");
    // An assertion dated on the IdP's clock is fine.
    let mut fresh = claims(&idp);
    fresh["iat"] = json!(now() + 3600);
    fresh["exp"] = json!(now() + 3660);
    let (s, _, body) = redeem_jwt(&idp, &c, &p, &sign(&fresh)).await;
    assert_eq!(s, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn metadata_document_is_fetched_once_and_cached() {
    let (idp, docs) = setup(&[]).await;
    for _ in 0..2 {
        let p = pkce();
        let c = code(&idp, &p).await;
        let (s, _, body) = redeem_jwt(&idp, &c, &p, &sign(&claims(&idp))).await;
        assert_eq!(s, StatusCode::OK, "{body}");
    }
    assert_eq!(docs.hits("/oauth/client.json"), 1, "two authorizations and two token requests, one fetch");
    // Once the cache lifetime has passed, the document is fetched again.
    idp.advance_clock(301);
    let p = pkce();
    code(&idp, &p).await;
    assert_eq!(docs.hits("/oauth/client.json"), 2);
}

#[tokio::test]
async fn document_whose_client_id_differs_from_its_url_is_refused_without_redirect() {
    let (idp, docs) = setup(&[]).await;
    // Served at other.json but claims to be client.json.
    docs.json("/oauth/other.json", &chatgpt_document(CLIENT_ID));
    let body =
        assert_authorize_refuses_client(&idp, "https://chatgpt.com/oauth/other.json", "client_id mismatch").await;
    assert!(body["error_description"].as_str().unwrap().contains("does not equal"), "{body}");
    assert_eq!(docs.hits("/oauth/other.json"), 1, "the IdP really fetched the document");
    assert!(idp.snapshot().client("https://chatgpt.com/oauth/other.json").is_none());
    // Control: the matching document at its own URL is accepted.
    code(&idp, &pkce()).await;
}

#[tokio::test]
async fn documents_missing_required_fields_are_refused() {
    let (idp, docs) = setup(&[]).await;
    for (field, path) in [("redirect_uris", "/oauth/no-redirects.json"), ("client_name", "/oauth/no-name.json")] {
        let id = format!("https://chatgpt.com{path}");
        let mut doc = chatgpt_document(&id);
        doc.as_object_mut().unwrap().remove(field);
        docs.json(path, &doc);
        let body = assert_authorize_refuses_client(&idp, &id, field).await;
        assert!(body["error_description"].as_str().unwrap().contains(field), "{body}");
    }
    // Control: an otherwise identical document with both fields is accepted.
    let id = "https://chatgpt.com/oauth/complete.json";
    docs.json("/oauth/complete.json", &chatgpt_document(id));
    code_for(&idp, id, &pkce()).await;
}

#[tokio::test]
async fn redirect_uri_not_in_document_is_refused_without_redirect() {
    let (idp, _docs) = setup(&[]).await;
    let p = pkce();
    let evil = "https://evil.example/callback";
    let params: Vec<(&str, &str)> = auth_params(CLIENT_ID, &p)
        .into_iter()
        .map(|(k, v)| if k == "redirect_uri" { (k, evil) } else { (k, v) })
        .collect();
    let r = authorize(&idp, &params).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.headers().get("location").is_none(), "must not redirect to an unlisted URI");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request", "{body}");
}

#[tokio::test]
async fn unusable_documents_are_invalid_client() {
    let (idp, docs) = setup(&[]).await;
    docs.raw("/oauth/not-json.json", 200, "application/json", "<html>not json</html>");
    let mut big = chatgpt_document("https://chatgpt.com/oauth/big.json");
    big["padding"] = json!("x".repeat(65 * 1024));
    docs.json("/oauth/big.json", &big);
    docs.raw("/oauth/array.json", 200, "application/json", "[1,2,3]");
    // `/oauth/missing.json` is not served: 404.
    for (path, needle) in [
        ("/oauth/not-json.json", "not JSON"),
        ("/oauth/big.json", "larger than"),
        ("/oauth/array.json", "not a JSON object"),
        ("/oauth/missing.json", "404"),
    ] {
        let id = format!("https://chatgpt.com{path}");
        let body = assert_authorize_refuses_client(&idp, &id, path).await;
        assert!(body["error_description"].as_str().unwrap().contains(needle), "{path}: {body}");
    }
    assert_eq!(docs.hits("/oauth/big.json"), 1);
    assert!(idp.snapshot().clients.is_empty(), "no client is recorded from an unusable document");
}

#[tokio::test]
async fn url_client_id_is_refused_at_the_token_endpoint_too_when_unusable() {
    let (idp, _docs) = setup(&[]).await;
    let (s, _, body) = token_raw(
        &idp,
        &[("grant_type", "authorization_code"), ("code", "x"), ("code_verifier", &pkce().verifier)],
        Auth::None("https://chatgpt.com/oauth/missing.json"),
    )
    .await;
    assert_invalid_client(s, &body, "unfetchable document at /token");
}

#[tokio::test]
async fn no_private_key_jwt_negotiates_down_to_none() {
    // Default: both methods the document lists work.
    let (idp, _docs) = setup(&[]).await;
    let p = pkce();
    let c = code(&idp, &p).await;
    let (s, _, body) = redeem_none(&idp, &c, &p).await;
    assert_eq!(s, StatusCode::OK, "default accepts none too: {body}");
    let c = code(&idp, &p).await;
    let (s, _, body) = redeem_jwt(&idp, &c, &p, &sign(&claims(&idp))).await;
    assert_eq!(s, StatusCode::OK, "default accepts private_key_jwt: {body}");

    let (idp, docs) = setup(&[Quirk::NoPrivateKeyJwt]).await;
    let meta: Value = http().get(&idp.endpoints().metadata[0]).send().await.unwrap().json().await.unwrap();
    assert!(
        !meta["token_endpoint_auth_methods_supported"].as_array().unwrap().contains(&json!("private_key_jwt")),
        "{meta}"
    );
    let p = pkce();
    let c = code(&idp, &p).await;
    let (s, _, body) = redeem_jwt(&idp, &c, &p, &sign(&claims(&idp))).await;
    assert_invalid_client(s, &body, "private_key_jwt under no_private_key_jwt");
    let (s, _, body) = redeem_none(&idp, &c, &p).await;
    assert_eq!(s, StatusCode::OK, "negotiated down to none: {body}");
    assert_eq!(idp.snapshot().client(CLIENT_ID).unwrap().auth_methods, ["none"]);
    assert_eq!(docs.hits("/oauth/jwks.json"), 0, "no assertion was verified");
}

#[tokio::test]
async fn cimd_singular_auth_method_only_refuses_chatgpt_document() {
    // Default: the document is accepted at /authorize.
    let (idp, _docs) = setup(&[]).await;
    code(&idp, &pkce()).await;

    let (idp, docs) = setup(&[Quirk::CimdSingularAuthMethodOnly]).await;
    let body = assert_authorize_refuses_client(&idp, CLIENT_ID, "singular private_key_jwt").await;
    assert!(body["error_description"].as_str().unwrap().contains("auth method"), "{body}");
    assert_eq!(docs.hits("/oauth/client.json"), 1, "the document was fetched and judged");
    assert!(idp.snapshot().client(CLIENT_ID).is_none());
    // A document whose singular method is `none` is still fine under the quirk.
    let id = "https://chatgpt.com/oauth/public.json";
    let mut doc = chatgpt_document(id);
    doc["token_endpoint_auth_method"] = json!("none");
    docs.json("/oauth/public.json", &doc);
    code_for(&idp, id, &pkce()).await;
}

#[tokio::test]
async fn no_cimd_neither_advertises_nor_accepts_documents() {
    let (idp, docs) = setup(&[Quirk::NoCimd]).await;
    let meta: Value = http().get(&idp.endpoints().metadata[0]).send().await.unwrap().json().await.unwrap();
    assert!(meta.get("client_id_metadata_document_supported").is_none(), "{meta}");
    assert_authorize_refuses_client(&idp, CLIENT_ID, "URL client_id under no_cimd").await;
    let (s, _, body) = redeem_none(&idp, "x", &pkce()).await;
    assert_invalid_client(s, &body, "URL client_id at /token under no_cimd");
    assert_eq!(docs.hits("/oauth/client.json"), 0, "the document is never fetched");

    // Default: advertised and accepted.
    let (idp, docs) = setup(&[]).await;
    let meta: Value = http().get(&idp.endpoints().metadata[0]).send().await.unwrap().json().await.unwrap();
    assert_eq!(meta["client_id_metadata_document_supported"], true);
    code(&idp, &pkce()).await;
    assert_eq!(docs.hits("/oauth/client.json"), 1);
}

#[tokio::test]
async fn cimd_client_id_not_checked_uses_a_document_named_for_another_url() {
    let (idp, docs) = setup(&[Quirk::CimdClientIdNotChecked]).await;
    docs.json("/oauth/other.json", &chatgpt_document(CLIENT_ID));
    // The default IdP refuses this (document_whose_client_id_differs_…); the quirk issues a code.
    code_for(&idp, "https://chatgpt.com/oauth/other.json", &pkce()).await;
}

#[tokio::test]
async fn cimd_redirect_uris_not_checked_redirects_to_an_unlisted_uri() {
    let (idp, _docs) = setup(&[Quirk::CimdRedirectUrisNotChecked]).await;
    let p = pkce();
    let evil = "https://evil.example/callback";
    let params: Vec<(&str, &str)> = auth_params(CLIENT_ID, &p)
        .into_iter()
        .map(|(k, v)| if k == "redirect_uri" { (k, evil) } else { (k, v) })
        .collect();
    let r = authorize(&idp, &params).await;
    let to = location(&r);
    assert!(to.as_str().starts_with(evil), "the quirk sends the browser to the unlisted URI: {to}");
}

#[tokio::test]
async fn cimd_token_refused_invalid_grant_refuses_only_the_document_clients_code_exchange() {
    // Default: the document client's code exchange succeeds.
    let (idp, _docs) = setup(&[]).await;
    let (s, body) = redeem_a_fresh_code_as_none(&idp).await;
    assert_eq!(s, StatusCode::OK, "default: {body}");

    let (idp, _docs) = setup(&[Quirk::CimdTokenRefusedInvalidGrant]).await;
    // The document is accepted (a code is issued), and its code exchange refused — not as
    // `invalid_client`, with either method the document lists.
    let p = pkce();
    let c = code(&idp, &p).await;
    for (s, body) in [redeem_none(&idp, &c, &p).await, redeem_jwt(&idp, &c, &p, &sign(&claims(&idp))).await]
        .map(|(s, _, body)| (s, body))
    {
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["error"], "invalid_grant", "{body}");
    }
    // A registered client is not affected.
    let (_, tokens) = full_flow(&idp, None).await;
    assert!(tokens["access_token"].is_string(), "{tokens}");
}

/// A fresh code of the document client, exchanged as a public client: the status and body.
async fn redeem_a_fresh_code_as_none(idp: &IdpHandle) -> (StatusCode, Value) {
    let p = pkce();
    let c = code(idp, &p).await;
    let (s, _, body) = redeem_none(idp, &c, &p).await;
    (s, body)
}
