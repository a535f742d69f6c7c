//! Minted tokens for negative tests: each is wrong in exactly the way it claims, and in no other.

use crate::common::*;
use mock_idp::{MintRequest, MockIdp, NegativeToken, Signing};
use serde_json::{Value, json};

/// How a strict resource server checks a token: the JWKS, RS256 only, iss, aud, exp, nbf.
async fn strict_verify(idp: &mock_idp::IdpHandle, token: &str) -> Result<Value, String> {
    let header = jsonwebtoken::decode_header(token).map_err(|e| format!("header: {e}"))?;
    if header.alg != jsonwebtoken::Algorithm::RS256 {
        return Err(format!("alg {:?}", header.alg));
    }
    let dk = jwks_key(idp, header.kid.as_deref()).await?;
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    v.set_audience(&[RESOURCE]);
    v.set_issuer(&[idp.issuer()]);
    v.validate_nbf = true;
    // jsonwebtoken checks `aud` only when present unless told it is required: the very pitfall
    // the missing-audience token exists to catch in resource servers.
    v.set_required_spec_claims(&["exp", "iss", "aud"]);
    v.leeway = 0;
    jsonwebtoken::decode::<Value>(token, &dk, &v).map(|d| d.claims).map_err(|e| e.to_string())
}

#[tokio::test]
async fn valid_mint_passes_a_strict_verifier() {
    let idp = start(MockIdp::builder()).await;
    let t = idp.mint_valid(RESOURCE, &["mcp:read"]).unwrap();
    let claims = strict_verify(&idp, &t.token).await.unwrap();
    assert_eq!(claims["scope"], "mcp:read");
    assert_eq!(mock_idp::unverified_header(&t.token).unwrap()["typ"], "at+jwt");
}

#[tokio::test]
async fn every_negative_token_fails_a_strict_verifier_for_its_own_reason() {
    let idp = start(MockIdp::builder()).await;
    let good = idp.mint_valid(RESOURCE, &["mcp:read"]).unwrap().claims;
    for kind in NegativeToken::ALL {
        let t = idp.mint_negative(kind, RESOURCE, &["mcp:read"]).unwrap();
        let err = strict_verify(&idp, &t.token).await.expect_err(&format!("{kind:?} verified"));
        let claims = mock_idp::unverified_claims(&t.token).unwrap();
        let header = mock_idp::unverified_header(&t.token).unwrap();
        // Exactly one thing differs from a good token.
        // (`jti` is unique per token and `iat`/`exp` move with the clock, so they are compared apart.)
        let keys: std::collections::BTreeSet<&String> = claims.keys().chain(good.keys()).collect();
        let differing: Vec<&String> = keys
            .into_iter()
            .filter(|k| !["jti", "iat", "exp"].contains(&k.as_str()) && claims.get(*k) != good.get(*k))
            .collect();
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
        if kind != NegativeToken::Expired {
            assert!(claims["exp"].as_i64().unwrap() > now + 3000, "{kind:?} must not be expired");
        }
        match kind {
            NegativeToken::AlgNone => {
                assert_eq!(header["alg"], "none");
                assert!(t.token.ends_with('.'));
                assert!(differing.is_empty());
            }
            NegativeToken::Hs256WithPublicKey => {
                assert_eq!(header["alg"], "HS256");
                assert!(differing.is_empty());
            }
            NegativeToken::UnknownKid => {
                assert!(err.contains("unknown kid"), "{err}");
                assert!(differing.is_empty());
            }
            NegativeToken::ForeignKey => {
                assert!(err.contains("unknown kid") || err.contains("InvalidSignature"), "{err}");
                assert!(differing.is_empty());
            }
            NegativeToken::Expired => {
                assert!(err.contains("Expired"), "{err}");
                assert!(differing.is_empty());
                assert!(claims["exp"].as_i64().unwrap() < now);
            }
            NegativeToken::NotYetValid => {
                assert!(err.contains("Immature"), "{err}");
                assert_eq!(differing, vec!["nbf"]);
            }
            NegativeToken::WrongIssuer => {
                assert!(err.contains("Issuer"), "{err}");
                assert_eq!(differing, vec!["iss"]);
            }
            NegativeToken::WrongAudience
            | NegativeToken::AudienceArrayWithoutResource
            | NegativeToken::OtherResourceSameIdp => {
                assert!(err.contains("Audience"), "{kind:?}: {err}");
                assert_eq!(differing, vec!["aud"]);
            }
            NegativeToken::MissingAudience => {
                assert!(err.contains("aud") || err.contains("Audience") || err.contains("Missing"), "{err}");
                assert!(claims.get("aud").is_none());
            }
            _ => panic!("{kind:?}: a negative token this test does not describe yet"),
        }
    }
    // The same-IdP token for another resource is signed with the real key: only aud is wrong.
    let other = idp.mint_negative(NegativeToken::OtherResourceSameIdp, RESOURCE, &[]).unwrap();
    assert_eq!(mock_idp::unverified_claims(&other.token).unwrap()["aud"], "http://127.0.0.1:9/mcp-other");
    assert_eq!(mock_idp::unverified_header(&other.token).unwrap()["kid"], idp.active_kid());
}

#[tokio::test]
async fn arbitrary_claims_are_minted_verbatim() {
    let idp = start(MockIdp::builder()).await;
    let mut claims = serde_json::Map::new();
    claims.insert("iss".into(), json!(idp.issuer()));
    claims.insert("aud".into(), json!([RESOURCE, "x"]));
    claims.insert("exp".into(), json!(4_000_000_000u64));
    claims.insert("custom".into(), json!({"nested": true}));
    let t = idp.mint(&MintRequest { claims: claims.clone(), signing: Signing::Valid }).unwrap();
    assert_eq!(mock_idp::unverified_claims(&t.token).unwrap(), claims);
    assert!(strict_verify(&idp, &t.token).await.is_ok(), "an aud array containing the resource is valid");
}
