//! `/token`: the code grant, client authentication, refresh rotation, introspection, revocation.

use crate::common::*;
use mock_idp::MockIdp;
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn token_response_and_rfc9068_claims() {
    let idp = start(MockIdp::builder()).await;
    let (c, t) = full_flow(&idp, Some("client_secret_post")).await;
    assert_eq!(t["token_type"], "Bearer");
    assert_eq!(t["expires_in"], 3600);
    assert_eq!(t["scope"], "mcp:read");
    assert!(t["refresh_token"].is_string());
    let at = t["access_token"].as_str().unwrap();
    let h = mock_idp::unverified_header(at).unwrap();
    assert_eq!(h["typ"], "at+jwt");
    assert_eq!(h["alg"], "RS256");
    assert_eq!(h["kid"], idp.active_kid());
    let claims = verify_with_jwks(&idp, at, RESOURCE).await.unwrap();
    assert_eq!(claims["iss"], idp.issuer());
    assert_eq!(claims["aud"], RESOURCE);
    assert_eq!(claims["client_id"], c.client_id.as_str());
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["scope"], "mcp:read");
    assert!(claims["jti"].is_string());
    let (iat, exp) = (claims["iat"].as_i64().unwrap(), claims["exp"].as_i64().unwrap());
    assert_eq!(exp - iat, 3600);
    // The token is not valid for another audience.
    assert!(verify_with_jwks(&idp, at, "https://elsewhere.example/mcp").await.is_err());
    let snap = idp.snapshot();
    assert!(snap.codes[0].redeemed);
    assert_eq!(snap.access_tokens().count(), 1);
}

#[tokio::test]
async fn headers_of_success_and_error() {
    let idp = start(MockIdp::builder()).await;
    let c = register(&idp, Some("none")).await;
    let p = pkce();
    let code = code_for(&idp, &c.client_id, &p).await;
    let (s, h, _) = exchange(&idp, &c, &code, &p).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h["cache-control"], "no-store");
    assert_eq!(h["pragma"], "no-cache");
    assert!(h["content-type"].to_str().unwrap().starts_with("application/json"));
}

#[tokio::test]
async fn code_grant_negative_paths() {
    let idp = start(MockIdp::builder()).await;
    let c = register(&idp, Some("none")).await;
    let other = register(&idp, Some("none")).await;
    let p = pkce();
    let ok_form =
        |code: &'static str| vec![("grant_type", "authorization_code"), ("code", code), ("code_verifier", "")];
    let _ = ok_form;

    // Each case gets a fresh code; the request differs from a good one in exactly one way.
    type Case = (&'static str, fn(&mut Vec<(String, String)>), &'static str);
    let cases: Vec<Case> = vec![
        ("wrong verifier", |f| set(f, "code_verifier", &"x".repeat(43)), "invalid_grant"),
        ("missing verifier", |f| f.retain(|(k, _)| k != "code_verifier"), "invalid_grant"),
        ("malformed verifier", |f| set(f, "code_verifier", "short"), "invalid_grant"),
        ("other redirect_uri", |f| set(f, "redirect_uri", "https://chatgpt.com/other"), "invalid_grant"),
        ("missing redirect_uri", |f| f.retain(|(k, _)| k != "redirect_uri"), "invalid_grant"),
        ("unknown code", |f| set(f, "code", "not-a-code"), "invalid_grant"),
        ("missing code", |f| f.retain(|(k, _)| k != "code"), "invalid_request"),
        ("other resource", |f| set(f, "resource", "https://elsewhere.example/mcp"), "invalid_target"),
        ("bad resource", |f| set(f, "resource", "relative/path"), "invalid_target"),
        (
            "repeated code",
            |f| {
                let v = f.iter().find(|(k, _)| k == "code").unwrap().1.clone();
                f.push(("code".into(), v));
            },
            "invalid_request",
        ),
        ("unsupported grant", |f| set(f, "grant_type", "password"), "unsupported_grant_type"),
        ("missing grant", |f| f.retain(|(k, _)| k != "grant_type"), "invalid_request"),
    ];
    for (name, mutate, error) in cases {
        let code = code_for(&idp, &c.client_id, &p).await;
        let mut form: Vec<(String, String)> = vec![
            ("grant_type".into(), "authorization_code".into()),
            ("code".into(), code),
            ("code_verifier".into(), p.verifier.clone()),
            ("redirect_uri".into(), REDIRECT.into()),
            ("resource".into(), RESOURCE.into()),
        ];
        mutate(&mut form);
        let borrowed: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let (s, h, b) = token_raw(&idp, &borrowed, Auth::None(&c.client_id)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{name}: {b}");
        assert_eq!(b["error"], error, "{name}: {b}");
        assert_eq!(h["cache-control"], "no-store", "{name}");
    }

    // Another client's code.
    let code = code_for(&idp, &c.client_id, &p).await;
    let (s, _, b) = exchange(&idp, &other, &code, &p).await;
    assert_eq!((s, b["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
    assert_eq!(idp.snapshot().access_tokens().count(), 0, "no failed request issued a token");
}

fn set(f: &mut Vec<(String, String)>, k: &str, v: &str) {
    f.retain(|(n, _)| n != k);
    f.push((k.into(), v.into()));
}

#[tokio::test]
async fn codes_are_single_use_and_reuse_revokes_the_tokens() {
    let idp = start(with_resource_server(MockIdp::builder())).await;
    let c = register(&idp, Some("client_secret_basic")).await;
    let p = pkce();
    let code = code_for(&idp, &c.client_id, &p).await;
    let (s, _, first) = exchange(&idp, &c, &code, &p).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, b) = exchange(&idp, &c, &code, &p).await;
    assert_eq!((s, b["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
    let at = first["access_token"].as_str().unwrap();
    assert_eq!(introspect(&idp, at).await["active"], false, "tokens from a replayed code are revoked");
}

#[tokio::test]
async fn codes_expire() {
    let idp = start(MockIdp::builder()).await;
    let c = register(&idp, Some("none")).await;
    let p = pkce();
    let code = code_for(&idp, &c.client_id, &p).await;
    idp.advance_clock(61);
    let (s, _, b) = exchange(&idp, &c, &code, &p).await;
    assert_eq!((s, b["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
    assert!(b["error_description"].as_str().unwrap().contains("expired"));
}

#[tokio::test]
async fn client_authentication_failures() {
    let idp = start(MockIdp::builder()).await;
    let basic = register(&idp, Some("client_secret_basic")).await;
    let post = register(&idp, Some("client_secret_post")).await;
    let public = register(&idp, Some("none")).await;
    let p = pkce();
    let form = |code: &str| -> Vec<(String, String)> {
        vec![
            ("grant_type".into(), "authorization_code".into()),
            ("code".into(), code.into()),
            ("code_verifier".into(), p.verifier.clone()),
            ("redirect_uri".into(), REDIRECT.into()),
        ]
    };
    let b = |f: &Vec<(String, String)>| f.iter().map(|(k, v)| (k.clone(), v.clone())).collect::<Vec<_>>();
    let _ = b;
    async fn run(
        idp: &mock_idp::IdpHandle,
        f: Vec<(String, String)>,
        auth: Auth<'_>,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let v: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        token_raw(idp, &v, auth).await
    }

    // Wrong Basic secret: 401 invalid_client with a Basic challenge (RFC 6749 §5.2).
    let code = code_for(&idp, &basic.client_id, &p).await;
    let (s, h, e) = run(&idp, form(&code), Auth::Basic(&basic.client_id, "wrong")).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_client")));
    assert!(h["www-authenticate"].to_str().unwrap().starts_with("Basic"));

    // A basic client using post: refused, it must use what it registered.
    let (s, _, e) = run(&idp, form(&code), Auth::Post(&basic.client_id, basic.client_secret.as_deref().unwrap())).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_client")));

    // Two methods at once.
    let mut f = form(&code);
    f.push(("client_id".into(), post.client_id.clone()));
    f.push(("client_secret".into(), post.client_secret.clone().unwrap()));
    let (s, _, e) = run(&idp, f, Auth::Basic(&basic.client_id, basic.client_secret.as_deref().unwrap())).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_request")));

    // Wrong post secret; a confidential client pretending to be public; unknown client; no client at all.
    let code = code_for(&idp, &post.client_id, &p).await;
    let (s, h, e) = run(&idp, form(&code), Auth::Post(&post.client_id, "wrong")).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_client")));
    assert!(h.get("www-authenticate").is_none(), "no Basic challenge when Basic was not used");
    let (s, _, e) = run(&idp, form(&code), Auth::None(&post.client_id)).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_client")));
    let (s, _, e) = run(&idp, form(&code), Auth::None("nobody")).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_client")));
    let (s, _, e) = run(&idp, form(&code), Auth::Nothing).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_client")));

    // A public client sending a secret it never had.
    let code = code_for(&idp, &public.client_id, &p).await;
    let (s, _, e) = run(&idp, form(&code), Auth::Post(&public.client_id, "made-up")).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_client")));
    // Non-Basic schemes at the token endpoint.
    let r = http()
        .post(idp.endpoints().token)
        .header("authorization", "Bearer abc")
        .form(&[("grant_type", "authorization_code")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // And a wrong content type.
    let r =
        http().post(idp.endpoints().token).header("content-type", "application/json").body("{}").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_request");
    assert_eq!(idp.snapshot().access_tokens().count(), 0);
}

async fn refresh(idp: &mock_idp::IdpHandle, c: &Registered, rt: &str, extra: &[(&str, &str)]) -> (StatusCode, Value) {
    let mut f = vec![("grant_type", "refresh_token"), ("refresh_token", rt)];
    f.extend_from_slice(extra);
    let (s, _, b) = token_raw(idp, &f, auth_for(c)).await;
    (s, b)
}

/// Introspects as the resource server of [`with_resource_server`], which may see every token.
pub async fn introspect(idp: &mock_idp::IdpHandle, token: &str) -> Value {
    introspect_with(&http(), idp, RS_ID, Some(RS_SECRET), token).await
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let idp = start(with_resource_server(MockIdp::builder())).await;
    let (c, t) = full_flow(&idp, Some("client_secret_basic")).await;
    let rt1 = t["refresh_token"].as_str().unwrap().to_owned();
    let (s, t2) = refresh(&idp, &c, &rt1, &[]).await;
    assert_eq!(s, StatusCode::OK, "{t2}");
    let rt2 = t2["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(rt1, rt2, "refresh tokens rotate");
    let claims = verify_with_jwks(&idp, t2["access_token"].as_str().unwrap(), RESOURCE).await.unwrap();
    assert_eq!(claims["aud"], RESOURCE, "refreshed tokens keep the audience");
    assert_eq!(introspect(&idp, &rt2).await["active"], true);

    // Replay the old one: refused, and everything in the family dies.
    let (s, e) = refresh(&idp, &c, &rt1, &[]).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
    assert!(e["error_description"].as_str().unwrap().contains("reuse"));
    let (s, _) = refresh(&idp, &c, &rt2, &[]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "the current refresh token is revoked too");
    assert_eq!(introspect(&idp, t2["access_token"].as_str().unwrap()).await["active"], false);
    assert_eq!(introspect(&idp, t["access_token"].as_str().unwrap()).await["active"], false);
}

#[tokio::test]
async fn refresh_scope_resource_client_and_expiry_rules() {
    let idp = start(MockIdp::builder()).await;
    let (c, t) = full_flow(&idp, Some("client_secret_post")).await;
    let other = register(&idp, Some("client_secret_post")).await;
    let rt = t["refresh_token"].as_str().unwrap().to_owned();
    let (s, e) = refresh(&idp, &c, &rt, &[("scope", "mcp:read mcp:write")]).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_scope")));
    let (s, e) = refresh(&idp, &c, &rt, &[("resource", "https://elsewhere.example/mcp")]).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_target")));
    let (s, e) = refresh(&idp, &other, &rt, &[]).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
    let (s, e) = refresh(&idp, &c, "unknown", &[]).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
    let (s, _, e) = token_raw(&idp, &[("grant_type", "refresh_token")], auth_for(&c)).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_request")));
    // Narrowing is fine and the same resource is fine.
    let (s, ok) = refresh(&idp, &c, &rt, &[("scope", "mcp:read"), ("resource", RESOURCE)]).await;
    assert_eq!(s, StatusCode::OK, "{ok}");
    // Expiry.
    let rt2 = ok["refresh_token"].as_str().unwrap().to_owned();
    idp.advance_clock(86_401);
    let (s, e) = refresh(&idp, &c, &rt2, &[]).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
}

#[tokio::test]
async fn clients_without_the_refresh_grant_get_no_refresh_token() {
    let idp = start(MockIdp::builder()).await;
    let (s, _, b) =
        register_raw(&idp, &serde_json::json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"}))
            .await;
    assert_eq!(s, StatusCode::CREATED);
    let c = Registered { client_id: b["client_id"].as_str().unwrap().into(), client_secret: None, body: b };
    let p = pkce();
    let code = code_for(&idp, &c.client_id, &p).await;
    let (_, _, t) = exchange(&idp, &c, &code, &p).await;
    assert!(t.get("refresh_token").is_none());
    let (s, e) = refresh(&idp, &c, "x", &[]).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::BAD_REQUEST, Some("unauthorized_client")));
}

#[tokio::test]
async fn introspection_and_revocation() {
    let idp = start(with_resource_server(MockIdp::builder())).await;
    let (c, t) = full_flow(&idp, Some("client_secret_basic")).await;
    let at = t["access_token"].as_str().unwrap();
    let info = introspect(&idp, at).await;
    assert_eq!(info["active"], true);
    assert_eq!(info["aud"], RESOURCE);
    assert_eq!(info["client_id"], c.client_id.as_str());
    assert_eq!(info["scope"], "mcp:read");
    assert_eq!(info["iss"], idp.issuer());
    assert_eq!(introspect(&idp, "garbage").await, serde_json::json!({"active": false}));

    // Public clients may not introspect; missing token is invalid_request; no auth is invalid_client.
    let public = register(&idp, Some("none")).await;
    let r = http()
        .post(idp.endpoints().introspection)
        .form(&[("token", at), ("client_id", public.client_id.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = http()
        .post(idp.endpoints().introspection)
        .basic_auth(&c.client_id, c.client_secret.as_deref())
        .form(&[("x", "y")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    // Revocation: only by the owning client; unknown tokens still 200.
    let other = register(&idp, Some("client_secret_basic")).await;
    let rv = |id: String, secret: Option<String>, tok: String| {
        let url = idp.endpoints().revocation;
        async move { http().post(url).basic_auth(id, secret).form(&[("token", tok)]).send().await.unwrap().status() }
    };
    assert_eq!(rv(other.client_id.clone(), other.client_secret.clone(), at.to_owned()).await, StatusCode::OK);
    assert_eq!(introspect(&idp, at).await["active"], true, "another client cannot revoke it");
    assert_eq!(rv(c.client_id.clone(), c.client_secret.clone(), "unknown".into()).await, StatusCode::OK);
    assert_eq!(rv(c.client_id.clone(), Some("wrong".into()), at.to_owned()).await, StatusCode::UNAUTHORIZED);
    let rt = t["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(rv(c.client_id.clone(), c.client_secret.clone(), rt.clone()).await, StatusCode::OK);
    assert_eq!(introspect(&idp, at).await["active"], false, "revoking the refresh token revokes the grant");
    let (s, _) = refresh(&idp, &c, &rt, &[]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn static_clients_work_like_seed_001s_oauth_client_id() {
    let idp = start(MockIdp::builder().static_client(mock_idp::StaticClient {
        client_id: "c_l9moiiilq5k1k0rv5u31maky734sz617".into(),
        client_secret: Some("s3cret".into()),
        redirect_uris: vec![REDIRECT.into()],
        token_endpoint_auth_method: Some("client_secret_post".into()),
        ..Default::default()
    }))
    .await;
    let c = Registered {
        client_id: "c_l9moiiilq5k1k0rv5u31maky734sz617".into(),
        client_secret: Some("s3cret".into()),
        body: serde_json::json!({"token_endpoint_auth_method": "client_secret_post"}),
    };
    let p = pkce();
    let code = code_for(&idp, &c.client_id, &p).await;
    let (s, _, t) = exchange(&idp, &c, &code, &p).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(idp.snapshot().clients[0].source, mock_idp::ClientSource::Static);
}

async fn introspect_as(idp: &mock_idp::IdpHandle, c: &Registered, token: &str) -> Value {
    introspect_with(&http(), idp, &c.client_id, c.client_secret.as_deref(), token).await
}

/// RFC 7662 §4: only the token's own client, or a client configured as a resource server, learns
/// anything; a self-registered confidential client gets the same answer as for a made-up token.
#[tokio::test]
async fn a_registered_client_cannot_introspect_another_clients_token() {
    let idp = start(with_resource_server(MockIdp::builder())).await;
    let (owner, t) = full_flow(&idp, Some("client_secret_basic")).await;
    let at = t["access_token"].as_str().unwrap();
    let rt = t["refresh_token"].as_str().unwrap();
    let snoop = register(&idp, Some("client_secret_basic")).await;
    for token in [at, rt] {
        assert_eq!(introspect_as(&idp, &snoop, token).await, serde_json::json!({"active": false}));
    }
    assert_eq!(introspect_as(&idp, &owner, at).await["active"], true);
    assert_eq!(introspect_as(&idp, &owner, rt).await["active"], true);
    let info = introspect(&idp, at).await;
    assert_eq!(
        (info["active"].clone(), info["client_id"].clone()),
        (Value::Bool(true), owner.client_id.clone().into())
    );
}

/// Two refreshes with one refresh token racing: exactly one gets tokens, the other is reuse, and
/// reuse revokes the family, including what the winner just got (check-and-rotate is atomic, and
/// the family is revoked even when the winner is still signing).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_refreshes_with_one_token_succeed_at_most_once() {
    let idp = start(with_resource_server(MockIdp::builder())).await;
    for _ in 0..5 {
        let (c, t) = full_flow(&idp, Some("client_secret_post")).await;
        let rt = t["refresh_token"].as_str().unwrap().to_owned();
        let (a, b) = tokio::join!(refresh(&idp, &c, &rt, &[]), refresh(&idp, &c, &rt, &[]));
        let ok: Vec<&Value> = [&a, &b].into_iter().filter(|(s, _)| *s == StatusCode::OK).map(|(_, v)| v).collect();
        assert!(ok.len() <= 1, "both refreshes succeeded: {a:?} {b:?}");
        let refused = if a.0 == StatusCode::OK { &b } else { &a };
        assert_eq!(refused.1["error"], "invalid_grant", "{refused:?}");
        for won in ok {
            let new_at = won["access_token"].as_str().unwrap();
            assert_eq!(introspect(&idp, new_at).await["active"], false, "reuse revoked the winner's tokens");
        }
    }
}
