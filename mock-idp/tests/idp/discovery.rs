//! Metadata at every location the specs define, HEAD like GET, and the JWKS.

use crate::common::*;
use mock_idp::{MetadataLocation, MockIdp};
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn issuer_with_path_serves_metadata_at_all_three_locations() {
    let idp = start(MockIdp::builder().issuer_path("/tenant1")).await;
    assert!(idp.issuer().ends_with("/tenant1"));
    let o = idp.origin().to_owned();
    for path in [
        "/.well-known/oauth-authorization-server/tenant1",
        "/.well-known/openid-configuration/tenant1",
        "/tenant1/.well-known/openid-configuration",
    ] {
        let r = http().get(format!("{o}{path}")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
        let m: Value = r.json().await.unwrap();
        assert_eq!(m["issuer"], idp.issuer(), "{path}");
        assert_eq!(m["authorization_endpoint"], format!("{}/authorize", idp.issuer()));
        assert_eq!(m["token_endpoint"], format!("{}/token", idp.issuer()));
        assert_eq!(m["registration_endpoint"], format!("{}/register", idp.issuer()));
        assert_eq!(m["code_challenge_methods_supported"], serde_json::json!(["S256"]));
        assert_eq!(m["authorization_response_iss_parameter_supported"], true);
        assert_eq!(m["client_id_metadata_document_supported"], true);
        for k in [
            "jwks_uri",
            "introspection_endpoint",
            "revocation_endpoint",
            "response_types_supported",
            "subject_types_supported",
            "id_token_signing_alg_values_supported",
        ] {
            assert!(m.get(k).is_some(), "{path} lacks {k}");
        }
    }
    // The wrong places for a path issuer answer 404 in the OAuth error shape.
    for path in ["/.well-known/oauth-authorization-server", "/tenant1/.well-known/oauth-authorization-server"] {
        let r = http().get(format!("{o}{path}")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
        let b: Value = r.json().await.unwrap();
        assert_eq!(b["error"], "not_found");
    }
    assert_eq!(idp.endpoints().metadata.len(), 3);
}

#[tokio::test]
async fn issuer_without_path_and_head_requests() {
    let idp = start(MockIdp::builder()).await;
    assert_eq!(idp.issuer(), idp.origin());
    for path in ["/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"] {
        let url = format!("{}{path}", idp.origin());
        let get = http().get(&url).send().await.unwrap();
        let head = http().head(&url).send().await.unwrap();
        assert_eq!(head.status(), StatusCode::OK);
        assert_eq!(head.headers()["content-type"], get.headers()["content-type"]);
        assert!(head.bytes().await.unwrap().is_empty(), "HEAD must have no body");
        assert!(!get.bytes().await.unwrap().is_empty());
    }
    let log = idp.snapshot().requests;
    assert!(log.iter().any(|r| r.method == "HEAD"), "HEAD requests are logged");
}

#[tokio::test]
async fn metadata_locations_can_be_restricted() {
    let idp = start(
        MockIdp::builder().issuer_path("/t").configure(|c| c.metadata_locations = vec![MetadataLocation::OidcAppended]),
    )
    .await;
    let o = idp.origin();
    assert_eq!(
        http().get(format!("{o}/t/.well-known/openid-configuration")).send().await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        http().get(format!("{o}/.well-known/oauth-authorization-server/t")).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    assert!(MockIdp::builder().configure(|c| c.metadata_locations.clear()).start().await.is_err());
}

#[tokio::test]
async fn jwks_publishes_both_keys_and_rotation_switches_the_signer() {
    let idp = start(MockIdp::builder()).await;
    let jwks: Value = http().get(idp.jwks_uri()).send().await.unwrap().json().await.unwrap();
    let kids: Vec<&str> = jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap()).collect();
    assert_eq!(kids.len(), 2);
    for k in jwks["keys"].as_array().unwrap() {
        assert_eq!(k["kty"], "RSA");
        assert_eq!(k["alg"], "RS256");
        assert!(k.get("d").is_none(), "private parts must never be published");
    }
    let (_, t1) = full_flow(&idp, Some("none")).await;
    idp.rotate_signing_key();
    let (_, t2) = full_flow(&idp, Some("none")).await;
    let kid = |t: &Value| {
        mock_idp::unverified_header(t["access_token"].as_str().unwrap()).unwrap()["kid"].as_str().unwrap().to_owned()
    };
    assert_ne!(kid(&t1), kid(&t2));
    assert!(kids.contains(&kid(&t1).as_str()) && kids.contains(&kid(&t2).as_str()));
    // Tokens from before the rotation still verify.
    verify_with_jwks(&idp, t1["access_token"].as_str().unwrap(), RESOURCE).await.unwrap();
    verify_with_jwks(&idp, t2["access_token"].as_str().unwrap(), RESOURCE).await.unwrap();
}
