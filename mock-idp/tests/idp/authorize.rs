//! `/authorize`: validation order, redirects, RFC 9207 `iss`, and the three login modes.

use crate::common::*;
use mock_idp::{LoginMode, MockIdp, form_fields};
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn auto_approve_redirects_with_code_state_and_iss() {
    let idp = start(MockIdp::builder()).await;
    let c = register(&idp, Some("none")).await;
    let p = pkce();
    let r = authorize(&idp, &auth_params(&c.client_id, &p)).await;
    assert_eq!(r.status(), StatusCode::FOUND);
    let loc = location(&r);
    assert_eq!(format!("{}://{}{}", loc.scheme(), loc.host_str().unwrap(), loc.path()), REDIRECT);
    let q = query_map(&loc);
    assert!(q["code"].len() >= 40);
    assert_eq!(q["state"], "oauth_s_0123456789abcdef");
    assert_eq!(q["iss"], idp.issuer());
    let snap = idp.snapshot();
    let rec = &snap.authorization_requests[0];
    assert_eq!(rec.outcome, "code");
    assert!(rec.params.contains(&("resource".to_string(), RESOURCE.to_string())));
    assert_eq!(rec.params[0].0, "response_type", "parameters are kept in order");
    let code = &snap.codes[0];
    assert_eq!(code.resources, vec![RESOURCE.to_string()]);
    assert_eq!(code.scope, vec!["mcp:read".to_string()]);
    assert_eq!(code.code_challenge_method, "S256");
}

#[tokio::test]
async fn redirect_uri_query_is_kept() {
    let idp = start(MockIdp::builder()).await;
    let redirect = "https://client.example/cb?tenant=7";
    let (s, _, b) =
        register_raw(&idp, &serde_json::json!({"redirect_uris": [redirect], "token_endpoint_auth_method": "none"}))
            .await;
    assert_eq!(s, StatusCode::CREATED);
    let p = pkce();
    let id = b["client_id"].as_str().unwrap();
    let r = authorize(
        &idp,
        &[
            ("response_type", "code"),
            ("client_id", id),
            ("redirect_uri", redirect),
            ("code_challenge", &p.challenge),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;
    let q = query_map(&location(&r));
    assert_eq!(q["tenant"], "7");
    assert!(q.contains_key("code"));
}

/// Errors while client or redirect URI are in doubt are shown, never redirected (no open redirector).
#[tokio::test]
async fn client_and_redirect_errors_are_not_redirected() {
    let idp = start(MockIdp::builder()).await;
    let c = register(&idp, Some("none")).await;
    let p = pkce();
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![("response_type", "code")], "invalid_request"),
        (vec![("client_id", "nobody"), ("redirect_uri", REDIRECT)], "invalid_client"),
        (vec![("client_id", &c.client_id), ("redirect_uri", "https://evil.example/cb")], "invalid_request"),
        (
            vec![
                ("client_id", &c.client_id),
                ("redirect_uri", "https://chatgpt.com/connector_platform_oauth_redirect/"),
            ],
            "invalid_request",
        ),
        (vec![("client_id", &c.client_id), ("client_id", &c.client_id)], "invalid_request"),
    ];
    for (params, error) in cases {
        let mut all = params.clone();
        all.extend([
            ("code_challenge", p.challenge.as_str()),
            ("code_challenge_method", "S256"),
            ("response_type", "code"),
        ]);
        let r = authorize(&idp, &all).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{params:?}");
        assert!(r.headers().get("location").is_none(), "{params:?} must not redirect");
        let b: Value = r.json().await.unwrap();
        assert_eq!(b["error"], error, "{params:?}");
    }
    assert!(idp.snapshot().codes.is_empty());
}

/// Once the redirect URI is trusted, errors go back to the client with state and iss.
#[tokio::test]
async fn request_errors_are_redirected_with_state() {
    let idp = start(MockIdp::builder()).await;
    let c = register(&idp, Some("none")).await;
    let p = pkce();
    let base = auth_params(&c.client_id, &p);
    let without = |k: &str| base.iter().filter(|(n, _)| *n != k).cloned().collect::<Vec<_>>();
    let with = |k: &'static str, v: &'static str| {
        let mut x = without(k);
        x.push((k, v));
        x
    };
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (with("response_type", "token"), "unsupported_response_type"),
        (without("response_type"), "invalid_request"),
        (without("code_challenge"), "invalid_request"),
        (with("code_challenge_method", "plain"), "invalid_request"),
        (without("code_challenge_method"), "invalid_request"),
        (with("code_challenge_method", "S512"), "invalid_request"),
        (with("code_challenge", "short"), "invalid_request"),
        (with("resource", "not a uri"), "invalid_target"),
        (with("resource", "https://rs.example/mcp#frag"), "invalid_target"),
        (with("scope", "mcp:read admin:all"), "invalid_scope"),
    ];
    for (params, error) in cases {
        let r = authorize(&idp, &params).await;
        assert_eq!(r.status(), StatusCode::FOUND, "{params:?}");
        let q = query_map(&location(&r));
        assert_eq!(q.get("error").map(String::as_str), Some(error), "{params:?}");
        assert_eq!(q["state"], "oauth_s_0123456789abcdef");
        assert_eq!(q["iss"], idp.issuer());
        assert!(!q.contains_key("code"));
    }
    assert!(idp.snapshot().codes.is_empty());
}

#[tokio::test]
async fn configured_resources_are_enforced() {
    let idp = start(MockIdp::builder().resources(vec![RESOURCE.to_string()])).await;
    let c = register(&idp, Some("none")).await;
    let p = pkce();
    let mut params = auth_params(&c.client_id, &p);
    params.retain(|(k, _)| *k != "resource");
    params.push(("resource", "https://unknown.example/mcp"));
    let q = query_map(&location(&authorize(&idp, &params).await));
    assert_eq!(q["error"], "invalid_target");
    // The known one works.
    code_for(&idp, &c.client_id, &p).await;
}

#[tokio::test]
async fn deny_mode_answers_access_denied() {
    let idp = start(MockIdp::builder().login(LoginMode::Deny)).await;
    let c = register(&idp, Some("none")).await;
    let p = pkce();
    let q = query_map(&location(&authorize(&idp, &auth_params(&c.client_id, &p)).await));
    assert_eq!(q["error"], "access_denied");
    assert_eq!(q["state"], "oauth_s_0123456789abcdef");
    assert!(idp.snapshot().codes.is_empty());
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no {name} in {html}")) + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn form_mode_login_then_consent_then_redirect() {
    let idp = start(MockIdp::builder().login(LoginMode::Form)).await;
    let c = register(&idp, Some("none")).await;
    let p = pkce();
    let r = authorize(&idp, &auth_params(&c.client_id, &p)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    let html = r.text().await.unwrap();
    assert!(html.contains(&format!("name=\"{}\"", form_fields::USERNAME)));
    assert!(html.contains(&format!("name=\"{}\"", form_fields::PASSWORD)));
    let rid = hidden(&html, form_fields::REQUEST_ID);
    let login = format!("{}/login", idp.issuer());

    // Wrong password: the page again with an error, 401, no cookie.
    let bad = http()
        .post(&login)
        .form(&[("request_id", rid.as_str()), ("username", "alice"), ("password", "nope")])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);
    assert!(bad.headers().get("set-cookie").is_none());
    assert!(bad.text().await.unwrap().contains("Invalid username or password"));

    let ok = http()
        .post(&login)
        .form(&[("request_id", rid.as_str()), ("username", "alice"), ("password", "wonderland")])
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let cookie = ok.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    assert!(cookie.starts_with(mock_idp::SESSION_COOKIE));
    let consent_html = ok.text().await.unwrap();
    assert!(consent_html.contains("chatgpt.com"), "the consent page names the redirect host");
    let consent = format!("{}/consent", idp.issuer());

    // Consent without the session cookie is refused.
    let r = http().post(&consent).form(&[("request_id", rid.as_str()), ("decision", "approve")]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    let r = http()
        .post(&consent)
        .header("cookie", &cookie)
        .form(&[("request_id", rid.as_str()), ("decision", "approve")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    let q = query_map(&location(&r));
    assert_eq!(q["state"], "oauth_s_0123456789abcdef");
    let (s, _, t) = exchange(&idp, &c, &q["code"], &p).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(mock_idp::unverified_claims(t["access_token"].as_str().unwrap()).unwrap()["sub"], "alice");

    // The pending request is single-use.
    let again = http()
        .post(&consent)
        .header("cookie", &cookie)
        .form(&[("request_id", rid.as_str()), ("decision", "approve")])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);

    // With the session, a new authorization goes straight to consent; deny gives access_denied.
    let r = http()
        .get(idp.endpoints().authorization)
        .query(&auth_params(&c.client_id, &p))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains("name=\"decision\""), "already signed in: consent page");
    let rid2 = hidden(&html, form_fields::REQUEST_ID);
    let r = http()
        .post(&consent)
        .header("cookie", &cookie)
        .form(&[("request_id", rid2.as_str()), ("decision", "deny")])
        .send()
        .await
        .unwrap();
    assert_eq!(query_map(&location(&r))["error"], "access_denied");
}

/// The consent page prints the client's own text (its ID) escaped and without control characters:
/// maud escapes markup, the page's `clean` replaces the controls maud would let through.
#[tokio::test]
async fn consent_page_prints_a_hostile_client_id_inert() {
    const HOSTILE: &str = "<script>alert(1)</script>\"x\u{7}\u{1b}[2J";
    let client = mock_idp::StaticClient {
        client_id: HOSTILE.into(),
        redirect_uris: vec![REDIRECT.into()],
        token_endpoint_auth_method: Some("none".into()),
        ..Default::default()
    };
    let idp = start(MockIdp::builder().login(LoginMode::Form).static_client(client)).await;
    let p = pkce();
    let html = authorize(&idp, &auth_params(HOSTILE, &p)).await.text().await.unwrap();
    let rid = hidden(&html, form_fields::REQUEST_ID);
    let ok = http()
        .post(format!("{}/login", idp.issuer()))
        .form(&[("request_id", rid.as_str()), ("username", "alice"), ("password", "wonderland")])
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let consent = ok.text().await.unwrap();
    assert!(consent.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;x"), "{consent}");
    assert!(!consent.contains("<script"), "{consent}");
    assert!(!consent.chars().any(|c| c.is_control() && c != '\n'), "a control character reached the page: {consent:?}");
}
