//! One test per named quirk: the misbehaviour is observable over HTTP, and the default IdP does
//! not show it (so each test would fail if the quirk were ignored).
//!
//! The CIMD quirks need a client document server and are tested in `cimd.rs`.

use mock_idp::{IdpConfig, IdpHandle, MockIdp, Quirk, StaticClient, unverified_claims, unverified_header};
use reqwest::StatusCode;
use rstest::rstest;
use serde_json::{Value, json};

use crate::common::*;

/// Where each quirk is tested; kept in step with `Quirk::ALL_NAMES`.
const COVERAGE: &[(&str, &str)] = &[
    ("no_registration_endpoint", "quirks::no_registration_endpoint"),
    ("no_audience", "quirks::audience_quirks::case_2_no_audience"),
    ("audience_not_from_resource", "quirks::audience_quirks::case_3_audience_not_from_resource"),
    ("basic_auth_refused", "quirks::basic_auth_refused"),
    ("client_id_required_in_body", "quirks::client_id_required_in_body"),
    ("registration_auth_method_override", "quirks::registration_auth_method_override"),
    ("issuer_trailing_slash", "quirks::issuer_trailing_slash"),
    ("metadata_issuer_mismatch", "quirks::metadata_issuer_mismatch"),
    ("no_code_challenge_methods", "quirks::no_code_challenge_methods"),
    ("plain_pkce_allowed", "quirks::plain_pkce_allowed"),
    ("opaque_access_tokens", "quirks::opaque_access_tokens"),
    ("iss_parameter_omitted", "quirks::iss_parameter_quirks::case_2_omitted"),
    ("iss_parameter_wrong", "quirks::iss_parameter_quirks::case_3_wrong"),
    ("iss_parameter_not_advertised", "quirks::iss_parameter_quirks::case_4_not_advertised"),
    ("trusted_hosts", "quirks::trusted_hosts"),
    ("registration_rate_limit", "quirks::registration_rate_limit"),
    ("no_refresh_rotation", "quirks::no_refresh_rotation"),
    ("refresh_reuse_window", "quirks::refresh_reuse_window"),
    ("scopes_bound_at_registration", "quirks::scopes_bound_at_registration"),
    ("cimd_singular_auth_method_only", "cimd::cimd_singular_auth_method_only_refuses_chatgpt_document"),
    ("no_private_key_jwt", "cimd::no_private_key_jwt_negotiates_down_to_none"),
    ("no_cimd", "cimd::no_cimd_neither_advertises_nor_accepts_documents"),
    ("iss_omitted_on_errors", "quirks::iss_parameter_quirks::case_5_omitted_on_errors"),
    ("iss_sent_not_advertised", "quirks::iss_parameter_quirks::case_6_sent_not_advertised"),
    ("application_type_ignored", "quirks::application_type_quirks::case_2_ignored"),
    ("application_type_rejected", "quirks::application_type_quirks::case_3_rejected"),
    ("application_type_default_web", "quirks::application_type_quirks::case_4_default_web"),
    ("application_type_untyped_default", "quirks::application_type_untyped_default_records_no_type"),
    ("cimd_client_id_not_checked", "cimd::cimd_client_id_not_checked_uses_a_document_named_for_another_url"),
    ("cimd_redirect_uris_not_checked", "cimd::cimd_redirect_uris_not_checked_redirects_to_an_unlisted_uri"),
    (
        "cimd_token_refused_invalid_grant",
        "cimd::cimd_token_refused_invalid_grant_refuses_only_the_document_clients_code_exchange",
    ),
];

#[test]
fn every_quirk_has_a_test() {
    let covered: Vec<&str> = COVERAGE.iter().map(|(q, _)| *q).collect();
    assert_eq!(covered, Quirk::ALL_NAMES, "add a test for each new quirk and list it in COVERAGE");
}

async fn idp_with(quirks: &[Quirk]) -> IdpHandle {
    let mut b = MockIdp::builder();
    for q in quirks {
        b = b.quirk(q.clone());
    }
    start(b).await
}

/// The RFC 8414 metadata, fetched over HTTP.
async fn metadata(idp: &IdpHandle) -> Value {
    let r = http().get(format!("{}/.well-known/oauth-authorization-server", idp.origin())).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

async fn refresh(idp: &IdpHandle, client_id: &str, rt: &str) -> (StatusCode, Value) {
    let (s, _, v) =
        token_raw(idp, &[("grant_type", "refresh_token"), ("refresh_token", rt)], Auth::None(client_id)).await;
    (s, v)
}

fn access_claims(token_response: &Value) -> serde_json::Map<String, Value> {
    unverified_claims(token_response["access_token"].as_str().unwrap()).expect("a JWT access token")
}

fn basic_static_client() -> StaticClient {
    StaticClient {
        client_id: "static-basic".into(),
        client_secret: Some("static-secret".into()),
        redirect_uris: vec![REDIRECT.into()],
        token_endpoint_auth_method: Some("client_secret_basic".into()),
        ..Default::default()
    }
}

#[tokio::test]
async fn no_registration_endpoint() {
    let register_url = |idp: &IdpHandle| format!("{}/register", idp.issuer());

    let idp = idp_with(&[]).await;
    assert!(metadata(&idp).await["registration_endpoint"].is_string());
    let r = http().post(register_url(&idp)).json(&dcr_body(Some("none"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);

    let idp = idp_with(&[Quirk::NoRegistrationEndpoint]).await;
    let m = metadata(&idp).await;
    assert!(m.get("registration_endpoint").is_none(), "{m}");
    assert!(idp.endpoints().registration.is_none());
    let r = http().post(register_url(&idp)).json(&dcr_body(Some("none"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(idp.snapshot().clients.is_empty());
}

#[rstest]
#[case::default(None, Some(RESOURCE))]
#[case::no_audience(Some(Quirk::NoAudience), None)]
#[case::audience_not_from_resource(Some(Quirk::AudienceNotFromResource("account".into())), Some("account"))]
#[tokio::test]
async fn audience_quirks(#[case] quirk: Option<Quirk>, #[case] aud: Option<&str>) {
    let idp = idp_with(quirk.as_slice()).await;
    let (_, tokens) = full_flow(&idp, Some("none")).await;
    let claims = access_claims(&tokens);
    assert_eq!(claims.get("aud").and_then(Value::as_str), aud, "{claims:?}");
    if aud.is_none() {
        assert!(!claims.contains_key("aud"), "{claims:?}");
    }
    // The token is otherwise genuine: signature and issuer verify; without `aud` a strict verifier
    // refuses it for exactly that reason.
    let at = tokens["access_token"].as_str().unwrap();
    match aud {
        Some(a) => drop(verify_with_jwks(&idp, at, a).await.unwrap()),
        None => assert!(verify_with_jwks(&idp, at, RESOURCE).await.unwrap_err().contains("aud")),
    }
    if aud == Some("account") {
        assert!(
            verify_with_jwks(&idp, at, RESOURCE).await.is_err(),
            "a resource server checking its own aud refuses it"
        );
    }
    assert_eq!(idp.snapshot().tokens[0].aud, aud.map(|a| vec![a.to_string()]).unwrap_or_default());
}

#[tokio::test]
async fn basic_auth_refused() {
    let p = pkce();
    // Default: a Basic client redeems with Basic.
    let idp = start(MockIdp::builder().static_client(basic_static_client())).await;
    assert!(
        metadata(&idp).await["token_endpoint_auth_methods_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("client_secret_basic"))
    );
    let code = code_for(&idp, "static-basic", &p).await;
    let (s, _, body) = redeem(&idp, &code, &p, &[], Auth::Basic("static-basic", "static-secret")).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(register_raw(&idp, &dcr_body(Some("client_secret_basic"))).await.0, StatusCode::CREATED);

    let idp = start(MockIdp::builder().quirk(Quirk::BasicAuthRefused).static_client(basic_static_client())).await;
    // Advertised, and registration accepts it: the failure only shows at /token.
    let m = metadata(&idp).await;
    assert!(
        m["token_endpoint_auth_methods_supported"].as_array().unwrap().contains(&json!("client_secret_basic")),
        "{m}"
    );
    let code = code_for(&idp, "static-basic", &p).await;
    let (s, h, body) = redeem(&idp, &code, &p, &[], Auth::Basic("static-basic", "static-secret")).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"], "invalid_client");
    assert!(body["error_description"].as_str().unwrap().contains("Basic"), "{body}");
    let challenge = h.get("www-authenticate").expect("WWW-Authenticate on a Basic 401").to_str().unwrap();
    assert!(challenge.to_ascii_lowercase().starts_with("basic"), "{challenge}");
    // Registering for Basic succeeds and then fails at /token; client_secret_post works end to end.
    let basic = register(&idp, Some("client_secret_basic")).await;
    let code = code_for(&idp, &basic.client_id, &p).await;
    let (s, _, body) = exchange(&idp, &basic, &code, &p).await;
    assert_eq!((s, body["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_client")), "{body}");
    let (c, _) = full_flow(&idp, Some("client_secret_post")).await;
    assert_eq!(c.body["token_endpoint_auth_method"], "client_secret_post");
}

#[tokio::test]
async fn client_id_required_in_body() {
    let p = pkce();
    let basic = || Auth::Basic("static-basic", "static-secret");

    let idp = start(MockIdp::builder().static_client(basic_static_client())).await;
    let code = code_for(&idp, "static-basic", &p).await;
    let (s, _, body) = redeem(&idp, &code, &p, &[], basic()).await;
    assert_eq!(s, StatusCode::OK, "default: Basic alone is enough: {body}");

    let idp = start(MockIdp::builder().quirk(Quirk::ClientIdRequiredInBody).static_client(basic_static_client())).await;
    let code = code_for(&idp, "static-basic", &p).await;
    let (s, h, body) = redeem(&idp, &code, &p, &[], basic()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "invalid_request");
    assert!(body["error_description"].as_str().unwrap().contains("client_id"), "{body}");
    assert!(h.get("www-authenticate").is_none());
    let (s, _, body) = redeem(&idp, &code, &p, &[("client_id", "static-basic")], basic()).await;
    assert_eq!(s, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn registration_auth_method_override() {
    let p = pkce();
    let idp = idp_with(&[]).await;
    let c = register(&idp, Some("none")).await;
    assert_eq!(c.body["token_endpoint_auth_method"], "none");
    assert!(c.client_secret.is_none());
    let code = code_for(&idp, &c.client_id, &p).await;
    let (s, _, body) = redeem(&idp, &code, &p, &[], Auth::None(&c.client_id)).await;
    assert_eq!(s, StatusCode::OK, "{body}");

    let idp = idp_with(&[Quirk::RegistrationAuthMethodOverride("client_secret_basic".into())]).await;
    let c = register(&idp, Some("none")).await;
    assert_eq!(c.body["token_endpoint_auth_method"], "client_secret_basic", "{}", c.body);
    let secret = c.client_secret.clone().expect("a confidential client gets a secret");
    let code = code_for(&idp, &c.client_id, &p).await;
    let (s, _, body) = redeem(&idp, &code, &p, &[], Auth::None(&c.client_id)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"], "invalid_client");
    let (s, _, body) = redeem(&idp, &code, &p, &[], Auth::Post(&c.client_id, &secret)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "post is not the forced method: {body}");
    let (s, _, body) = redeem(&idp, &code, &p, &[], Auth::Basic(&c.client_id, &secret)).await;
    assert_eq!(s, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn issuer_trailing_slash() {
    let idp = idp_with(&[]).await;
    let (_, tokens) = full_flow(&idp, Some("none")).await;
    assert_eq!(metadata(&idp).await["issuer"], idp.origin());
    assert_eq!(access_claims(&tokens)["iss"], idp.origin());

    let idp = idp_with(&[Quirk::IssuerTrailingSlash]).await;
    let expected = format!("{}/", idp.origin());
    assert_eq!(idp.issuer(), expected);
    assert_eq!(metadata(&idp).await["issuer"], expected);
    // Metadata is also served where a client that inserts the issuer literally would look.
    let r = http().get(format!("{}/.well-known/oauth-authorization-server/", idp.origin())).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let c = register(&idp, Some("none")).await;
    let p = pkce();
    let r = authorize(&idp, &auth_params(&c.client_id, &p)).await;
    let q = query_map(&location(&r));
    assert_eq!(q["iss"], expected);
    let (s, _, tokens) = exchange(&idp, &c, &q["code"], &p).await;
    assert_eq!(s, StatusCode::OK, "{tokens}");
    assert_eq!(access_claims(&tokens)["iss"], expected);
    verify_with_jwks(&idp, tokens["access_token"].as_str().unwrap(), RESOURCE).await.unwrap();
}

#[tokio::test]
async fn metadata_issuer_mismatch() {
    let idp = idp_with(&[]).await;
    assert_eq!(metadata(&idp).await["issuer"], idp.issuer());

    let idp = idp_with(&[Quirk::MetadataIssuerMismatch]).await;
    for url in idp.endpoints().metadata {
        let m: Value = http().get(&url).send().await.unwrap().json().await.unwrap();
        let issuer = m["issuer"].as_str().unwrap();
        assert_ne!(issuer, idp.issuer(), "{url}");
        assert_ne!(issuer, idp.origin(), "{url}: the issuer the URL was derived from");
    }
    // Tokens still carry the real issuer, which is what makes the metadata wrong.
    let (_, tokens) = full_flow(&idp, Some("none")).await;
    assert_eq!(access_claims(&tokens)["iss"], idp.issuer());
}

#[tokio::test]
async fn no_code_challenge_methods() {
    let idp = idp_with(&[]).await;
    assert_eq!(metadata(&idp).await["code_challenge_methods_supported"], json!(["S256"]));

    let idp = idp_with(&[Quirk::NoCodeChallengeMethods]).await;
    let m = metadata(&idp).await;
    assert!(m.get("code_challenge_methods_supported").is_none(), "{m}");
    // The server still does PKCE; it only fails to say so.
    full_flow(&idp, Some("none")).await;
}

/// Authorization parameters with a `plain` PKCE challenge (challenge = verifier).
fn plain_params(client_id: &str, verifier: &str) -> Vec<(String, String)> {
    let p = pkce();
    auth_params(client_id, &p)
        .into_iter()
        .map(|(k, v)| match k {
            "code_challenge" => (k.to_owned(), verifier.to_owned()),
            "code_challenge_method" => (k.to_owned(), "plain".to_owned()),
            _ => (k.to_owned(), v.to_owned()),
        })
        .collect()
}

#[tokio::test]
async fn plain_pkce_allowed() {
    let p = pkce();
    let plain = Pkce { verifier: p.verifier.clone(), challenge: p.verifier.clone() };

    let idp = idp_with(&[]).await;
    assert_eq!(metadata(&idp).await["code_challenge_methods_supported"], json!(["S256"]));
    let c = register(&idp, Some("none")).await;
    let r = http()
        .get(idp.endpoints().authorization)
        .query(&plain_params(&c.client_id, &plain.verifier))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    let q = query_map(&location(&r));
    assert_eq!(q.get("error").map(String::as_str), Some("invalid_request"), "{q:?}");
    assert!(!q.contains_key("code"), "{q:?}");
    assert_eq!(q["state"], "oauth_s_0123456789abcdef");

    let idp = idp_with(&[Quirk::PlainPkceAllowed]).await;
    assert_eq!(metadata(&idp).await["code_challenge_methods_supported"], json!(["S256", "plain"]));
    let c = register(&idp, Some("none")).await;
    let r = http()
        .get(idp.endpoints().authorization)
        .query(&plain_params(&c.client_id, &plain.verifier))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    let q = query_map(&location(&r));
    assert!(!q.contains_key("error"), "{q:?}");
    assert_eq!(idp.snapshot().codes[0].code_challenge_method, "plain");
    // A wrong verifier fails; the plain one (challenge == verifier) succeeds.
    let wrong = Pkce { verifier: "w".repeat(43), challenge: String::new() };
    let (s, _, body) = redeem(&idp, &q["code"], &wrong, &[], Auth::None(&c.client_id)).await;
    assert_eq!((s, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")), "{body}");
    let (s, _, body) = redeem(&idp, &q["code"], &plain, &[], Auth::None(&c.client_id)).await;
    assert_eq!(s, StatusCode::OK, "{body}");
}

async fn introspect(idp: &IdpHandle, token: &str, id: &str, secret: &str) -> Value {
    let r = http()
        .post(idp.endpoints().introspection)
        .form(&[("token", token), ("client_id", id), ("client_secret", secret)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

#[tokio::test]
async fn opaque_access_tokens() {
    let idp = idp_with(&[]).await;
    let (_, tokens) = full_flow(&idp, Some("none")).await;
    let at = tokens["access_token"].as_str().unwrap();
    assert_eq!(unverified_header(at).unwrap()["typ"], "at+jwt");
    verify_with_jwks(&idp, at, RESOURCE).await.unwrap();

    let idp = idp_with(&[Quirk::OpaqueAccessTokens]).await;
    let (c, tokens) = full_flow(&idp, Some("client_secret_post")).await;
    let at = tokens["access_token"].as_str().unwrap();
    assert!(!at.contains('.'), "not a compact JWT: {at}");
    assert!(unverified_claims(at).is_none());
    assert!(verify_with_jwks(&idp, at, RESOURCE).await.is_err());
    let secret = c.client_secret.as_deref().unwrap();
    let info = introspect(&idp, at, &c.client_id, secret).await;
    assert_eq!(info["active"], true, "{info}");
    assert_eq!(info["aud"], RESOURCE, "{info}");
    assert_eq!(info["client_id"], c.client_id.as_str());
    assert_eq!(info["scope"], "mcp:read");
    assert_eq!(introspect(&idp, "not-a-token", &c.client_id, secret).await["active"], false);
}

#[rstest]
#[case::default(None, true, [IssExpect::Issuer, IssExpect::Issuer])]
#[case::omitted(Some(Quirk::IssParameterOmitted), true, [IssExpect::Absent, IssExpect::Absent])]
#[case::wrong(Some(Quirk::IssParameterWrong), true, [IssExpect::Other, IssExpect::Other])]
#[case::not_advertised(Some(Quirk::IssParameterNotAdvertised), false, [IssExpect::Absent, IssExpect::Absent])]
#[case::omitted_on_errors(Some(Quirk::IssOmittedOnErrors), true, [IssExpect::Issuer, IssExpect::Absent])]
#[case::sent_not_advertised(Some(Quirk::IssSentNotAdvertised), false, [IssExpect::Issuer, IssExpect::Issuer])]
#[tokio::test]
async fn iss_parameter_quirks(#[case] quirk: Option<Quirk>, #[case] advertised: bool, #[case] expect: [IssExpect; 2]) {
    let idp = idp_with(quirk.as_slice()).await;
    let m = metadata(&idp).await;
    assert_eq!(m.get("authorization_response_iss_parameter_supported") == Some(&json!(true)), advertised, "{m}");
    let c = register(&idp, Some("none")).await;
    let p = pkce();
    // The default sends `iss` on success and error responses alike (RFC 9207 §2, MCP 2026-07-28 AS-24).
    let ok = query_map(&location(&authorize(&idp, &auth_params(&c.client_id, &p)).await));
    assert!(ok.contains_key("code"), "{ok:?}");
    let mut bad_params = auth_params(&c.client_id, &p);
    bad_params.retain(|(k, _)| *k != "code_challenge");
    let err = query_map(&location(&authorize(&idp, &bad_params).await));
    assert_eq!(err["error"], "invalid_request", "{err:?}");
    for (q, expect) in [(ok, expect[0]), (err, expect[1])] {
        match expect {
            IssExpect::Issuer => assert_eq!(q.get("iss").map(String::as_str), Some(idp.issuer()), "{q:?}"),
            IssExpect::Absent => assert!(!q.contains_key("iss"), "{q:?}"),
            IssExpect::Other => {
                let iss = q.get("iss").expect("iss sent");
                assert_ne!(iss, idp.issuer(), "{q:?}");
            }
        }
    }
}

/// A DCR body with `application_type` (`None` leaves it out) and one redirect URI.
fn typed_body(application_type: Option<&str>, redirect: &str) -> Value {
    let mut b = dcr_body(Some("none"));
    b["redirect_uris"] = json!([redirect]);
    if let Some(t) = application_type {
        b["application_type"] = json!(t);
    }
    b
}

const LOOPBACK: &str = "http://127.0.0.1:8976/callback";

#[tokio::test]
async fn application_type_rules_by_default() {
    let idp = idp_with(&[]).await;
    for (t, uri, ok) in [
        (Some("web"), REDIRECT, true),
        (Some("web"), LOOPBACK, false),
        (Some("web"), "https://localhost/cb", false),
        (Some("native"), LOOPBACK, true),
        (Some("native"), "com.example.app:/cb", true),
        (Some("native"), REDIRECT, false),
        (None, LOOPBACK, true),
        (None, REDIRECT, true),
    ] {
        let (s, _, body) = register_raw(&idp, &typed_body(t, uri)).await;
        if ok {
            assert_eq!(s, StatusCode::CREATED, "{t:?} {uri}: {body}");
            // Omitted, the member defaults to `web` (OIDC Registration §2) and the response says
            // so (RFC 7591 §3.2.1), without the strict web rule (OIDC binds it to implicit clients).
            assert_eq!(body.get("application_type").and_then(Value::as_str), Some(t.unwrap_or("web")), "{body}");
        } else {
            assert_eq!(s, StatusCode::BAD_REQUEST, "{t:?} {uri}: {body}");
            assert_eq!(body["error"], "invalid_redirect_uri", "{body}");
            assert!(body["error_description"].as_str().unwrap().contains("application_type"), "{body}");
        }
    }
    let (s, _, body) = register_raw(&idp, &typed_body(Some("desktop"), LOOPBACK)).await;
    assert_eq!((s, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_client_metadata")), "{body}");
}

/// Each case: the quirk, then whether `web` + loopback, `web` + https and untyped + loopback register.
#[rstest]
#[case::default(None, [false, true, true])]
#[case::ignored(Some(Quirk::ApplicationTypeIgnored), [true, true, true])]
#[case::rejected(Some(Quirk::ApplicationTypeRejected), [false, false, true])]
#[case::default_web(Some(Quirk::ApplicationTypeDefaultWeb), [false, true, false])]
#[case::untyped_default(Some(Quirk::ApplicationTypeUntypedDefault), [false, true, true])]
#[tokio::test]
async fn application_type_quirks(#[case] quirk: Option<Quirk>, #[case] accepted: [bool; 3]) {
    let idp = idp_with(quirk.as_slice()).await;
    for (body, ok) in [
        (typed_body(Some("web"), LOOPBACK), accepted[0]),
        (typed_body(Some("web"), REDIRECT), accepted[1]),
        (typed_body(None, LOOPBACK), accepted[2]),
    ] {
        let (s, _, answer) = register_raw(&idp, &body).await;
        assert_eq!(s == StatusCode::CREATED, ok, "{body} → {s} {answer}");
    }
}

#[derive(Debug, Clone, Copy)]
enum IssExpect {
    Issuer,
    Absent,
    Other,
}

#[tokio::test]
async fn trusted_hosts() {
    let idp = idp_with(&[]).await;
    assert_eq!(register_raw(&idp, &dcr_body(Some("none"))).await.0, StatusCode::CREATED);

    let idp = idp_with(&[Quirk::TrustedHosts(vec!["example.org".into()])]).await;
    let (s, _, body) = register_raw(&idp, &dcr_body(Some("none"))).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    let d = body["error_description"].as_str().unwrap();
    assert!(d.contains("Policy 'Trusted Hosts' rejected request to client-registration service"), "{d}");
    assert!(d.contains("Host not trusted: chatgpt.com"), "{d}");
    assert!(idp.snapshot().clients.is_empty());

    let idp = idp_with(&[Quirk::TrustedHosts(vec!["example.org".into(), "chatgpt.com".into()])]).await;
    let (s, _, body) = register_raw(&idp, &dcr_body(Some("none"))).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn registration_rate_limit() {
    let idp = idp_with(&[]).await;
    for _ in 0..3 {
        assert_eq!(register_raw(&idp, &dcr_body(Some("none"))).await.0, StatusCode::CREATED);
    }

    let idp = idp_with(&[Quirk::RegistrationRateLimit { max: 2, per_seconds: 60 }]).await;
    for _ in 0..2 {
        assert_eq!(register_raw(&idp, &dcr_body(Some("none"))).await.0, StatusCode::CREATED);
    }
    let (s, h, body) = register_raw(&idp, &dcr_body(Some("none"))).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{body}");
    let retry: u64 = h.get("retry-after").expect("Retry-After").to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(idp.snapshot().clients.len(), 2);
    // The window slides with the IdP clock.
    idp.advance_clock(61);
    assert_eq!(register_raw(&idp, &dcr_body(Some("none"))).await.0, StatusCode::CREATED);
}

#[tokio::test]
async fn no_refresh_rotation() {
    // Default: rotation, and replaying the old refresh token revokes the whole family.
    let idp = idp_with(&[]).await;
    let (c, tokens) = full_flow(&idp, Some("none")).await;
    let rt1 = tokens["refresh_token"].as_str().unwrap();
    let (s, body) = refresh(&idp, &c.client_id, rt1).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let rt2 = body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(rt2, rt1);
    let (s, body) = refresh(&idp, &c.client_id, rt1).await;
    assert_eq!((s, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")), "{body}");
    let (s, body) = refresh(&idp, &c.client_id, &rt2).await;
    assert_eq!((s, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")), "family revoked: {body}");

    let idp = idp_with(&[Quirk::NoRefreshRotation]).await;
    let (c, tokens) = full_flow(&idp, Some("none")).await;
    let rt = tokens["refresh_token"].as_str().unwrap();
    let mut access = vec![tokens["access_token"].as_str().unwrap().to_owned()];
    for _ in 0..2 {
        let (s, body) = refresh(&idp, &c.client_id, rt).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert_eq!(body["refresh_token"], rt);
        access.push(body["access_token"].as_str().unwrap().to_owned());
    }
    access.dedup();
    assert_eq!(access.len(), 3, "each refresh issues a new access token");
    let refresh_records = idp.snapshot().tokens.iter().filter(|t| t.kind == mock_idp::TokenKind::Refresh).count();
    assert_eq!(refresh_records, 1, "no new refresh token is recorded");
}

#[tokio::test]
async fn refresh_reuse_window() {
    let idp = idp_with(&[Quirk::RefreshReuseWindow(30)]).await;
    let (c, tokens) = full_flow(&idp, Some("none")).await;
    let rt1 = tokens["refresh_token"].as_str().unwrap();
    let (s, body) = refresh(&idp, &c.client_id, rt1).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let rt2 = body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(rt2, rt1, "still rotated");
    // Inside the window the used token is honoured again (the default IdP revokes here: see
    // `no_refresh_rotation`).
    idp.advance_clock(10);
    let (s, body) = refresh(&idp, &c.client_id, rt1).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let rt3 = body["refresh_token"].as_str().unwrap().to_owned();
    // After it, the replay revokes the whole family.
    idp.advance_clock(30);
    let (s, body) = refresh(&idp, &c.client_id, rt1).await;
    assert_eq!((s, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")), "{body}");
    for rt in [&rt2, &rt3] {
        let (s, body) = refresh(&idp, &c.client_id, rt).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "family revoked: {body}");
    }
}

#[tokio::test]
async fn scopes_bound_at_registration() {
    let p = pkce();
    let idp = idp_with(&[]).await;
    let c = register(&idp, Some("none")).await;
    assert!(c.body.get("scope").is_none(), "{}", c.body);
    code_for(&idp, &c.client_id, &p).await;

    let idp = idp_with(&[Quirk::ScopesBoundAtRegistration]).await;
    let c = register(&idp, Some("none")).await;
    assert_eq!(c.body["scope"], "openid", "the default scopes are bound: {}", c.body);
    let r = authorize(&idp, &auth_params(&c.client_id, &p)).await;
    assert_eq!(r.status(), StatusCode::FOUND);
    let q = query_map(&location(&r));
    assert_eq!(q.get("error").map(String::as_str), Some("invalid_scope"), "{q:?}");
    assert!(!q.contains_key("code"));
    // A client that registered with the scope may ask for it.
    let mut body = dcr_body(Some("none"));
    body["scope"] = json!("mcp:read");
    let (s, _, reg) = register_raw(&idp, &body).await;
    assert_eq!(s, StatusCode::CREATED, "{reg}");
    code_for(&idp, reg["client_id"].as_str().unwrap(), &p).await;
}

#[tokio::test]
async fn config_file_quirks_are_applied() {
    let yaml =
        "quirks:\n  - no_audience\n  - issuer_trailing_slash\n  - registration_rate_limit: {max: 1, per_seconds: 60}\n";
    let cfg = IdpConfig::from_yaml(yaml).unwrap();
    assert_eq!(cfg.quirks.0.len(), 3);
    let idp = start(MockIdp::with_config(cfg)).await;
    assert_eq!(idp.config().quirks.registration_rate_limit(), Some((1, 60)));
    assert!(idp.issuer().ends_with('/'));
    assert!(metadata(&idp).await["issuer"].as_str().unwrap().ends_with('/'));
    let (_, tokens) = full_flow(&idp, Some("none")).await;
    let claims = access_claims(&tokens);
    assert!(!claims.contains_key("aud"), "{claims:?}");
    assert!(claims["iss"].as_str().unwrap().ends_with('/'));
    let (s, _, body) = register_raw(&idp, &dcr_body(Some("none"))).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{body}");

    // The same IdP from an empty config file has none of them.
    let idp = start(MockIdp::with_config(IdpConfig::from_yaml("login: auto_approve\n").unwrap())).await;
    assert!(!idp.issuer().ends_with('/'));
    let (_, tokens) = full_flow(&idp, Some("none")).await;
    assert_eq!(access_claims(&tokens)["aud"], RESOURCE);
    assert_eq!(register_raw(&idp, &dcr_body(Some("none"))).await.0, StatusCode::CREATED);
}

/// Without the member, the default records `web`; `application_type_untyped_default` records and
/// returns no type (both accept the loopback redirect).
#[tokio::test]
async fn application_type_untyped_default_records_no_type() {
    for (quirk, want) in [(None, Some("web")), (Some(Quirk::ApplicationTypeUntypedDefault), None)] {
        let idp = idp_with(quirk.as_slice()).await;
        let (s, _, body) = register_raw(&idp, &typed_body(None, LOOPBACK)).await;
        assert_eq!(s, StatusCode::CREATED, "{quirk:?}: {body}");
        assert_eq!(body.get("application_type").and_then(Value::as_str), want, "{quirk:?}: {body}");
    }
}
