//! RFC 7591 dynamic registration with ChatGPT's observed bodies, and its errors.

use crate::common::*;
use mock_idp::{ClientSource, MockIdp};
use reqwest::StatusCode;
use rstest::rstest;
use serde_json::json;

#[rstest]
#[case::post(Some("client_secret_post"), "client_secret_post", true)]
#[case::basic(Some("client_secret_basic"), "client_secret_basic", true)]
#[case::none(Some("none"), "none", false)]
#[case::omitted_defaults_to_basic(None, "client_secret_basic", true)]
#[tokio::test]
async fn chatgpt_bodies_register(#[case] asked: Option<&str>, #[case] echoed: &str, #[case] secret: bool) {
    let idp = start(MockIdp::builder()).await;
    let c = register(&idp, asked).await;
    assert_eq!(c.body["token_endpoint_auth_method"], echoed);
    assert_eq!(c.body["client_secret"].is_string(), secret);
    assert_eq!(c.body["redirect_uris"], json!([REDIRECT]));
    assert!(c.body["client_id_issued_at"].is_i64());
    if secret {
        assert_eq!(c.body["client_secret_expires_at"], 0);
    }
    // No scope asked, none echoed (ChatGPT omits scope).
    assert!(c.body.get("scope").is_none());
    let snap = idp.snapshot();
    let rec = snap.client(&c.client_id).unwrap();
    assert_eq!(rec.source, ClientSource::Dynamic);
    assert_eq!(rec.auth_methods, vec![echoed.to_string()]);
    // And the registered method works end to end.
    let p = pkce();
    let code = code_for(&idp, &c.client_id, &p).await;
    let (s, h, body) = exchange(&idp, &c, &code, &p).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(h["cache-control"], "no-store");
}

#[tokio::test]
async fn registration_with_scope_echoes_it_and_each_client_is_new() {
    let idp = start(MockIdp::builder()).await;
    let mut body = dcr_body(Some("client_secret_post"));
    body["scope"] = json!("openid mcp:read");
    let (s, h, r1) = register_raw(&idp, &body).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(h["cache-control"], "no-store");
    assert_eq!(r1["scope"], "openid mcp:read");
    let (_, _, r2) = register_raw(&idp, &body).await;
    assert_ne!(r1["client_id"], r2["client_id"], "one client per registration, as ChatGPT expects");
    assert_ne!(r1["client_secret"], r2["client_secret"]);
    assert_eq!(idp.snapshot().clients.len(), 2);
}

#[rstest]
#[case::no_redirect_uris(json!({"client_name": "x"}), 400, "invalid_redirect_uri")]
#[case::empty_redirect_uris(json!({"redirect_uris": []}), 400, "invalid_redirect_uri")]
#[case::http_non_loopback(json!({"redirect_uris": ["http://evil.example/cb"]}), 400, "invalid_redirect_uri")]
#[case::fragment(json!({"redirect_uris": ["https://a.example/cb#x"]}), 400, "invalid_redirect_uri")]
#[case::relative(json!({"redirect_uris": ["/cb"]}), 400, "invalid_redirect_uri")]
#[case::redirect_not_strings(json!({"redirect_uris": [1]}), 400, "invalid_client_metadata")]
#[case::unknown_method(json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "tls_client_auth"}), 400, "invalid_client_metadata")]
#[case::pkjwt_without_keys(json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "private_key_jwt"}), 400, "invalid_client_metadata")]
#[case::unknown_grant(json!({"redirect_uris": [REDIRECT], "grant_types": ["password"]}), 400, "invalid_client_metadata")]
#[case::implicit(json!({"redirect_uris": [REDIRECT], "response_types": ["token"]}), 400, "invalid_client_metadata")]
#[case::unknown_scope(json!({"redirect_uris": [REDIRECT], "scope": "admin:everything"}), 400, "invalid_client_metadata")]
#[case::scope_not_string(json!({"redirect_uris": [REDIRECT], "scope": ["a"]}), 400, "invalid_client_metadata")]
#[case::not_an_object(json!(["redirect_uris"]), 400, "invalid_client_metadata")]
#[case::blob(json!({"redirect_uris": ["blob:https://a.example/0b2c"]}), 400, "invalid_redirect_uri")]
#[case::about(json!({"redirect_uris": ["about:blank"]}), 400, "invalid_redirect_uri")]
#[case::chrome(json!({"redirect_uris": ["chrome://settings/"]}), 400, "invalid_redirect_uri")]
#[case::ftp(json!({"redirect_uris": ["ftp://a.example/cb"]}), 400, "invalid_redirect_uri")]
#[case::ws(json!({"redirect_uris": ["ws://127.0.0.1:9/cb"]}), 400, "invalid_redirect_uri")]
#[case::javascript(json!({"redirect_uris": ["javascript:alert(1)"]}), 400, "invalid_redirect_uri")]
#[case::data(json!({"redirect_uris": ["data:text/html,hi"]}), 400, "invalid_redirect_uri")]
#[case::file(json!({"redirect_uris": ["file:///tmp/cb"]}), 400, "invalid_redirect_uri")]
#[case::bare_scheme(json!({"redirect_uris": ["a:"]}), 400, "invalid_redirect_uri")]
#[case::private_scheme_not_reverse_domain(json!({"redirect_uris": ["myapp://callback"]}), 400, "invalid_redirect_uri")]
#[case::http_other_loopback_name(json!({"redirect_uris": ["http://127.0.0.2:9/cb"]}), 400, "invalid_redirect_uri")]
#[case::one_bad_among_good(json!({"redirect_uris": [REDIRECT, "about:blank"]}), 400, "invalid_redirect_uri")]
#[case::too_many_redirect_uris(json!({"redirect_uris": (0..21).map(|i| format!("https://a.example/cb{i}")).collect::<Vec<_>>()}), 400, "invalid_redirect_uri")]
#[case::redirect_uri_too_long(json!({"redirect_uris": [format!("https://a.example/{}", "x".repeat(2048))]}), 400, "invalid_redirect_uri")]
#[case::metadata_too_large(json!({"redirect_uris": [REDIRECT], "client_name": "x".repeat(16 * 1024)}), 400, "invalid_client_metadata")]
#[tokio::test]
async fn bad_registrations_get_rfc7591_errors(
    #[case] body: serde_json::Value,
    #[case] status: u16,
    #[case] error: &str,
) {
    let idp = start(MockIdp::builder()).await;
    let (s, h, b) = register_raw(&idp, &body).await;
    assert_eq!(s.as_u16(), status, "{b}");
    assert_eq!(b["error"], error, "{b}");
    assert!(b["error_description"].as_str().is_some_and(|d| !d.is_empty()));
    assert!(h["content-type"].to_str().unwrap().starts_with("application/json"));
    assert!(idp.snapshot().clients.is_empty(), "a refused registration creates nothing");
}

#[tokio::test]
async fn registration_needs_json() {
    let idp = start(MockIdp::builder()).await;
    let url = idp.endpoints().registration.unwrap();
    let r = http().post(&url).header("content-type", "text/plain").body("{}").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["error"], "invalid_client_metadata");
    let r = http().post(&url).header("content-type", "application/json").body("{not json").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["error"], "invalid_client_metadata");
}

#[rstest]
#[case::reverse_domain_private_scheme("com.example.app:/oauth2redirect")]
#[case::reverse_domain_with_authority("com.example.app://callback")]
#[case::ipv6_loopback("http://[::1]:8080/callback")]
#[case::localhost("http://localhost/callback")]
#[tokio::test]
async fn native_app_redirect_uris_register(#[case] uri: &str) {
    let idp = start(MockIdp::builder()).await;
    let (s, _, b) = register_raw(&idp, &json!({"redirect_uris": [uri], "token_endpoint_auth_method": "none"})).await;
    assert_eq!(s, StatusCode::CREATED, "{uri}: {b}");
}

/// The caps are exact: a registration at the limits is stored whole.
#[tokio::test]
async fn registrations_at_the_caps_are_accepted() {
    let idp = start(MockIdp::builder()).await;
    let uris: Vec<String> = (0..20).map(|i| format!("https://a.example/cb{i}")).collect();
    let (s, _, b) = register_raw(&idp, &json!({"redirect_uris": uris, "token_endpoint_auth_method": "none"})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let long = format!("https://a.example/{}", "x".repeat(2048 - 18));
    assert_eq!(long.len(), 2048);
    let (s, _, b) = register_raw(&idp, &json!({"redirect_uris": [long], "token_endpoint_auth_method": "none"})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let clients = idp.snapshot().clients;
    assert_eq!((clients[0].redirect_uris.len(), clients[1].redirect_uris[0].len()), (20, 2048));
}

#[tokio::test]
async fn cursor_style_multiple_redirect_uris_register() {
    let idp = start(MockIdp::builder()).await;
    let (s, _, b) = register_raw(
        &idp,
        &json!({"redirect_uris": ["cursor://anysphere.cursor-mcp/oauth/callback", "https://www.cursor.com/agents/mcp/oauth/callback", "http://localhost:8787/callback"], "token_endpoint_auth_method": "none"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["redirect_uris"].as_array().unwrap().len(), 3);
}
