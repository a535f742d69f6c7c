//! Every fault, proved to change what a client observes: each test runs the same probe against a
//! correct server and a server with the fault (both trusting one mock IdP) and asserts the
//! correct answer from the first and the broken one from the second.

use crate::common::*;
use mock_idp::{IdpHandle, MockIdp, NegativeToken};
use reference_server::{Fault, ReferenceHandle};
use reqwest::Method;
use serde_json::{Value, json};

struct Pair {
    idp: IdpHandle,
    good: ReferenceHandle,
    bad: ReferenceHandle,
}

impl Pair {
    async fn start(fault: Fault) -> Pair {
        let idp = MockIdp::builder().start().await.unwrap();
        // Tool-level challenges exist only under mixed authentication; both servers use it there.
        let mixed = fault == Fault::MalformedToolChallenge;
        let good = server(&idp, |b| b.mixed_auth(mixed)).await;
        let bad = server(&idp, |b| b.mixed_auth(mixed).fault(fault)).await;
        Pair { idp, good, bad }
    }

    /// Runs `probe` on the correct server, then on the faulty one.
    async fn both<T, F: AsyncFn(&IdpHandle, &ReferenceHandle) -> T>(&self, probe: F) -> (T, T) {
        (probe(&self.idp, &self.good).await, probe(&self.idp, &self.bad).await)
    }
}

fn read(idp: &IdpHandle, srv: &ReferenceHandle) -> String {
    token_for(idp, srv, &["mcp:read"])
}

fn negative(idp: &IdpHandle, srv: &ReferenceHandle, kind: NegativeToken) -> String {
    idp.mint_negative(kind, srv.url(), &["mcp:read"]).unwrap().token
}

async fn no_token_challenge(srv: &ReferenceHandle) -> Resp {
    rpc(srv, None, None, &init_body()).await
}

async fn write_note_with_read_token(idp: &IdpHandle, srv: &ReferenceHandle) -> Resp {
    let t = read(idp, srv);
    let sid = initialize(srv, &t).await;
    rpc(srv, Some(&t), Some(&sid), &tool_call(1, "write_note", json!({"text": "x"}))).await
}

async fn initialize_with(srv: &ReferenceHandle, token: &str) -> u16 {
    rpc(srv, Some(token), None, &init_body()).await.status
}

async fn accepts_negative(idp: &IdpHandle, srv: &ReferenceHandle, kind: NegativeToken) -> u16 {
    initialize_with(srv, &negative(idp, srv, kind)).await
}

async fn demonstrate(fault: Fault) {
    let p = Pair::start(fault).await;
    match fault {
        Fault::NoPrm => {
            let (g, b) =
                p.both(async |_, s| (get(&s.prm_url_root()).await.status, get(&s.prm_url_path()).await.status)).await;
            assert_eq!((g, b), ((200, 200), (404, 404)));
        }
        Fault::PrmWithoutAuthorizationServers => {
            let (g, b) = p.both(async |_, s| get(&s.prm_url_root()).await.json()).await;
            assert_eq!(g["authorization_servers"], json!([p.idp.issuer()]));
            assert!(b.get("authorization_servers").is_none(), "{b}");
        }
        Fault::NoResourceMetadataInChallenge => {
            let (g, b) = p.both(async |_, s| no_token_challenge(s).await.challenge()).await;
            assert_eq!(g["resource_metadata"], p.good.prm_url_root());
            assert!(!b.contains_key("resource_metadata") && b.contains_key("scope"), "{b:?}");
        }
        Fault::PrmOnlyAtPath => {
            let (g, b) =
                p.both(async |_, s| (get(&s.prm_url_root()).await.status, get(&s.prm_url_path()).await.status)).await;
            assert_eq!((g, b), ((200, 200), (404, 200)));
        }
        Fault::ChallengePointsAtPathPrm => {
            let (g, b) =
                p.both(async |_, s| no_token_challenge(s).await.challenge()["resource_metadata"].clone()).await;
            assert_eq!((g, b), (p.good.prm_url_root(), p.bad.prm_url_path()));
        }
        Fault::NoScopeInChallenge => {
            let (g, b) = p.both(async |_, s| no_token_challenge(s).await.challenge()).await;
            assert_eq!(g["scope"], "mcp:read");
            assert!(!b.contains_key("scope") && b.contains_key("resource_metadata"), "{b:?}");
        }
        Fault::WrongStatusForMissingToken => {
            let (g, b) = p.both(async |_, s| no_token_challenge(s).await.status).await;
            assert_eq!((g, b), (401, 403));
        }
        Fault::ServerErrorOnBadToken => {
            let (g, b) = p.both(async |i, s| accepts_negative(i, s, NegativeToken::Expired).await).await;
            assert_eq!((g, b), (401, 500));
        }
        Fault::LeakDataOnRejection => {
            let (g, b) = p.both(async |_, s| no_token_challenge(s).await).await;
            assert_eq!((g.status, b.status), (401, 401));
            assert!(!g.text.contains("write_note"), "{}", g.text);
            assert_eq!(b.json()["result"]["tools"][2]["name"], "write_note", "{}", b.text);
        }
        Fault::LeakToolsInErrorText => {
            let (g, b) = p.both(async |_, s| no_token_challenge(s).await).await;
            assert_eq!((g.status, b.status), (401, 401));
            assert!(!g.text.contains("write_note"), "{}", g.text);
            assert!(b.json().get("result").is_none(), "not JSON-RPC: {}", b.text);
            assert!(b.text.contains("whoami, echo, write_note"), "{}", b.text);
        }
        Fault::SkipAudienceCheck => {
            for kind in
                [NegativeToken::WrongAudience, NegativeToken::OtherResourceSameIdp, NegativeToken::MissingAudience]
            {
                let (g, b) = p.both(async |i, s| accepts_negative(i, s, kind).await).await;
                assert_eq!((g, b), (401, 200), "{kind:?}");
            }
        }
        Fault::NoInvalidTokenError => {
            let (g, b) = p
                .both(async |i, s| rpc(s, Some(&negative(i, s, NegativeToken::ForeignKey)), None, &init_body()).await)
                .await;
            assert_eq!((g.status, b.status), (401, 401));
            assert_eq!(g.challenge()["error"], "invalid_token");
            assert!(!b.challenge().contains_key("error"), "{}", b.www_authenticate());
        }
        Fault::InsufficientScopeAs401 => {
            let (g, b) = p.both(async |i, s| write_note_with_read_token(i, s).await).await;
            assert_eq!((g.status, b.status), (403, 401));
            assert_eq!(b.challenge()["error"], "insufficient_scope");
        }
        Fault::WrongScopeInForbidden => {
            let (g, b) = p.both(async |i, s| write_note_with_read_token(i, s).await.challenge()["scope"].clone()).await;
            assert_eq!((g.as_str(), b.as_str()), ("mcp:write", "mcp:read"));
        }
        Fault::InconsistentChallenge => {
            let (g, b) = p
                .both(async |_, s| {
                    (no_token_challenge(s).await.www_authenticate(), no_token_challenge(s).await.www_authenticate())
                })
                .await;
            assert_eq!(g.0, g.1);
            assert_ne!(b.0, b.1);
            assert_eq!(parse_challenge(&b.1)["scope"], "mcp:read mcp:write");
        }
        Fault::SessionAuthenticates => {
            let (g, b) = p
                .both(async |i, s| {
                    let sid = initialize(s, &read(i, s)).await;
                    rpc(s, None, Some(&sid), &call(1, "tools/list", json!({}))).await.status
                })
                .await;
            assert_eq!((g, b), (401, 200));
        }
        Fault::PredictableSessionIds => {
            let (g, b) = p
                .both(async |i, s| {
                    let t = read(i, s);
                    (initialize(s, &t).await, initialize(s, &t).await)
                })
                .await;
            assert!(g.0.len() >= 43 && !g.0.starts_with("session-") && g.0 != g.1, "{g:?}");
            assert_eq!((b.0.as_str(), b.1.as_str()), ("session-1", "session-2"));
        }
        Fault::NoResourceMetadataIn403 => {
            let (g, b) = p.both(async |i, s| write_note_with_read_token(i, s).await).await;
            assert_eq!((g.status, b.status), (403, 403));
            assert_eq!(g.challenge()["resource_metadata"], p.good.prm_url_root());
            assert!(!b.challenge().contains_key("resource_metadata"), "{}", b.www_authenticate());
        }
        Fault::PrmWrongResource => {
            let (g, b) = p.both(async |_, s| get(&s.prm_url_path()).await.json()["resource"].clone()).await;
            assert_eq!((g, b), (json!(p.good.url()), json!(p.bad.origin())));
        }
        Fault::PrmUrlUnfetchable => {
            let (g, b) = p
                .both(async |_, s| {
                    let url = no_token_challenge(s).await.challenge()["resource_metadata"].clone();
                    assert!(url.starts_with("http://127.0.0.1:"), "absolute: {url}");
                    get(&url).await.status
                })
                .await;
            assert_eq!((g, b), (200, 404));
        }
        Fault::SkipSignatureCheck => {
            for kind in [
                NegativeToken::AlgNone,
                NegativeToken::Hs256WithPublicKey,
                NegativeToken::UnknownKid,
                NegativeToken::ForeignKey,
            ] {
                let (g, b) = p.both(async |i, s| accepts_negative(i, s, kind).await).await;
                assert_eq!((g, b), (401, 200), "{kind:?}");
            }
        }
        Fault::SkipExpiryCheck => {
            let (g, b) = p.both(async |i, s| accepts_negative(i, s, NegativeToken::Expired).await).await;
            assert_eq!((g, b), (401, 200));
        }
        Fault::SkipNbfCheck => {
            let (g, b) = p.both(async |i, s| accepts_negative(i, s, NegativeToken::NotYetValid).await).await;
            assert_eq!((g, b), (401, 200));
        }
        Fault::SkipIssuerCheck => {
            let (g, b) = p.both(async |i, s| accepts_negative(i, s, NegativeToken::WrongIssuer).await).await;
            assert_eq!((g, b), (401, 200));
        }
        Fault::AcceptQueryToken => {
            let (g, b) = p
                .both(async |i, s| {
                    let url = format!("{}?access_token={}", s.url(), read(i, s));
                    send(http().post(url).header("accept", BOTH).body(init_body().to_string())).await.status
                })
                .await;
            assert_eq!((g, b), (401, 200));
        }
        Fault::NoOriginCheck => {
            let (g, b) = p
                .both(async |i, s| {
                    let rb = request(s, Method::POST, Some(&read(i, s)), None).header("origin", "https://evil.example");
                    send(rb.body(init_body().to_string())).await.status
                })
                .await;
            assert_eq!((g, b), (403, 200));
        }
        Fault::AcceptBatch => {
            let (g, b) = p.both(async |i, s| rpc(s, Some(&read(i, s)), None, &json!([init_body()])).await).await;
            assert_eq!((g.status, b.status), (400, 200));
            assert_eq!(b.json()[0]["result"]["serverInfo"]["name"], "connector-harness-reference");
        }
        Fault::NotificationNot202 => {
            let (g, b) = p
                .both(async |i, s| {
                    let t = read(i, s);
                    let sid = initialize(s, &t).await;
                    let r = rpc(s, Some(&t), Some(&sid), &notification("notifications/initialized")).await;
                    (r.status, r.text)
                })
                .await;
            assert_eq!(g, (202, String::new()));
            assert_eq!(b.0, 200);
            assert!(!b.1.is_empty());
        }
        Fault::PlainTextResponses => {
            let (g, b) = p.both(async |i, s| rpc(s, Some(&read(i, s)), None, &init_body()).await).await;
            assert_eq!((g.status, b.status), (200, 200));
            assert!(g.header("content-type").is_some_and(|c| c.starts_with("application/json")));
            assert_eq!(b.header("content-type").as_deref(), Some("text/plain"));
        }
        Fault::GetAnswersJson => {
            let (g, b) = p.both(async |i, s| send(request(s, Method::GET, Some(&read(i, s)), None)).await.status).await;
            assert_eq!((g, b), (405, 200));
        }
        Fault::DeleteFails => {
            let (g, b) = p
                .both(async |i, s| {
                    let t = read(i, s);
                    let sid = initialize(s, &t).await;
                    send(request(s, Method::DELETE, Some(&t), Some(&sid))).await.status
                })
                .await;
            assert_eq!((g, b), (204, 500));
        }
        Fault::SessionIdNotAscii => {
            let (g, b) = p
                .both(async |i, s| {
                    let r = rpc(s, Some(&read(i, s)), None, &init_body()).await;
                    r.headers["mcp-session-id"].as_bytes().to_vec()
                })
                .await;
            let visible = |id: &[u8]| id.iter().all(|c| (0x21..=0x7E).contains(c));
            assert!(visible(&g));
            assert!(!visible(&b), "{}", String::from_utf8_lossy(&b));
        }
        Fault::NoSessionRequired => {
            let (g, b) = p
                .both(async |i, s| rpc(s, Some(&read(i, s)), None, &call(1, "tools/list", json!({}))).await.status)
                .await;
            assert_eq!((g, b), (400, 200));
        }
        Fault::TerminatedSessionStillServed => {
            let (g, b) = p
                .both(async |i, s| {
                    let t = read(i, s);
                    let sid = initialize(s, &t).await;
                    let deleted = send(request(s, Method::DELETE, Some(&t), Some(&sid))).await.status;
                    (deleted, rpc(s, Some(&t), Some(&sid), &call(1, "tools/list", json!({}))).await.status)
                })
                .await;
            assert_eq!((g, b), ((204, 404), (204, 200)));
        }
        Fault::InvalidProtocolVersionAccepted => {
            let (g, b) = p
                .both(async |i, s| {
                    let rb =
                        request(s, Method::POST, Some(&read(i, s)), None).header("mcp-protocol-version", "1999-01-01");
                    send(rb.body(init_body().to_string())).await.status
                })
                .await;
            assert_eq!((g, b), (400, 200));
        }
        Fault::EchoUnsupportedProtocolVersion => {
            let (g, b) = p
                .both(async |i, s| {
                    let mut body = init_body();
                    body["params"]["protocolVersion"] = json!("2099-01-01");
                    rpc(s, Some(&read(i, s)), None, &body).await.json()["result"]["protocolVersion"].clone()
                })
                .await;
            assert_eq!((g, b), (json!("2025-11-25"), json!("2099-01-01")));
        }
        Fault::AnswerIgnoresAccept => {
            let (g, b) = p
                .both(async |i, s| {
                    let rb = request_accepting(s, Method::POST, Some(&read(i, s)), None, "text/event-stream");
                    let r = send(rb.body(init_body().to_string())).await;
                    (r.status, r.header("content-type").unwrap_or_default())
                })
                .await;
            assert_eq!((g.0, b.0), (200, 200));
            assert!(g.1.starts_with("text/event-stream") && b.1.starts_with("application/json"), "{g:?} {b:?}");
        }
        Fault::MalformedToolChallenge => {
            let (g, b) = p
                .both(async |i, s| {
                    let r = write_note_with_read_token(i, s).await;
                    assert_eq!(r.status, 200, "a tool-level challenge rides on HTTP 200: {r:?}");
                    let v = r.json();
                    assert_eq!(v["result"]["isError"], true, "{v}");
                    parse_challenge(
                        v["result"]["_meta"]["mcp/www_authenticate"][0].as_str().expect("a challenge string"),
                    )
                })
                .await;
            assert_eq!(g["resource_metadata"], p.good.prm_url_root());
            assert_eq!((g["error"].as_str(), g["scope"].as_str()), ("insufficient_scope", "mcp:write"));
            assert!(!b.contains_key("resource_metadata"), "{b:?}");
            assert_eq!((b["error"].as_str(), b["scope"].as_str()), ("insufficient_scope", "mcp:write"));
        }
        Fault::PrmListsMetadataUrl => {
            let (g, b) =
                p.both(async |_, s| get(&s.prm_url_root()).await.json()["authorization_servers"].clone()).await;
            assert_eq!(g, json!([p.idp.issuer()]));
            assert_eq!(b, json!([format!("{}/.well-known/oauth-authorization-server", p.idp.issuer())]));
            // The listed URL, taken as an issuer, has no metadata at the RFC 8414 location.
            let rfc8414 = format!(
                "{}/.well-known/oauth-authorization-server/.well-known/oauth-authorization-server",
                p.idp.issuer()
            );
            assert_eq!(get(&rfc8414).await.status, 404);
        }
        Fault::NoCors => {
            let (g, b) = p
                .both(async |_, s| {
                    let rb = http()
                        .request(Method::OPTIONS, s.url())
                        .header("origin", "https://chatgpt.com")
                        .header("access-control-request-method", "POST");
                    let r = send(rb).await;
                    (r.status, r.header("access-control-allow-origin"))
                })
                .await;
            assert_eq!(g, (204, Some("https://chatgpt.com".to_owned())));
            assert_ne!(b.0, 204);
            assert_eq!(b.1, None);
        }
        Fault::GetNotFound => {
            let (g, b) = p
                .both(async |i, s| {
                    let rb = request_accepting(s, Method::GET, Some(&read(i, s)), None, "text/event-stream");
                    send(rb).await.status
                })
                .await;
            assert_eq!((g, b), (405, 404));
        }
        _ => panic!("no demonstration written yet for {fault:?}"),
    }
}

/// One `#[tokio::test]` per fault, and the list of faults covered.
macro_rules! fault_tests {
    ($($test:ident => $fault:ident),+ $(,)?) => {
        $(
            #[tokio::test]
            async fn $test() {
                demonstrate(Fault::$fault).await;
            }
        )+
        const COVERED: &[Fault] = &[$(Fault::$fault),+];
    };
}

fault_tests! {
    no_prm => NoPrm,
    prm_without_authorization_servers => PrmWithoutAuthorizationServers,
    no_resource_metadata_in_challenge => NoResourceMetadataInChallenge,
    prm_only_at_path => PrmOnlyAtPath,
    challenge_points_at_path_prm => ChallengePointsAtPathPrm,
    no_scope_in_challenge => NoScopeInChallenge,
    wrong_status_for_missing_token => WrongStatusForMissingToken,
    server_error_on_bad_token => ServerErrorOnBadToken,
    leak_data_on_rejection => LeakDataOnRejection,
    leak_tools_in_error_text => LeakToolsInErrorText,
    skip_audience_check => SkipAudienceCheck,
    no_invalid_token_error => NoInvalidTokenError,
    insufficient_scope_as_401 => InsufficientScopeAs401,
    wrong_scope_in_forbidden => WrongScopeInForbidden,
    inconsistent_challenge => InconsistentChallenge,
    session_authenticates => SessionAuthenticates,
    predictable_session_ids => PredictableSessionIds,
    no_resource_metadata_in_403 => NoResourceMetadataIn403,
    prm_wrong_resource => PrmWrongResource,
    prm_url_unfetchable => PrmUrlUnfetchable,
    skip_signature_check => SkipSignatureCheck,
    skip_expiry_check => SkipExpiryCheck,
    skip_nbf_check => SkipNbfCheck,
    skip_issuer_check => SkipIssuerCheck,
    accept_query_token => AcceptQueryToken,
    no_origin_check => NoOriginCheck,
    accept_batch => AcceptBatch,
    notification_not_202 => NotificationNot202,
    plain_text_responses => PlainTextResponses,
    get_answers_json => GetAnswersJson,
    delete_fails => DeleteFails,
    session_id_not_ascii => SessionIdNotAscii,
    no_session_required => NoSessionRequired,
    terminated_session_still_served => TerminatedSessionStillServed,
    invalid_protocol_version_accepted => InvalidProtocolVersionAccepted,
    echo_unsupported_protocol_version => EchoUnsupportedProtocolVersion,
    answer_ignores_accept => AnswerIgnoresAccept,
    no_cors => NoCors,
    malformed_tool_challenge => MalformedToolChallenge,
    prm_lists_metadata_url => PrmListsMetadataUrl,
    get_not_found => GetNotFound,
}

#[test]
fn every_fault_has_a_test() {
    let missing: Vec<_> = Fault::ALL.iter().filter(|f| !COVERED.contains(f)).collect();
    assert!(missing.is_empty(), "faults without an HTTP test: {missing:?}");
    assert_eq!(COVERED.len(), Fault::ALL.len());
}

#[tokio::test]
async fn faults_combine_and_come_from_config_files() {
    let idp = MockIdp::builder().start().await.unwrap();
    let cfg: reference_server::ReferenceConfig = serde_json::from_value(json!({
        "issuer": idp.issuer(), "jwks_uri": idp.jwks_uri(),
        "faults": ["no_prm", "skip_audience_check"]
    }))
    .unwrap();
    let srv = reference_server::ReferenceServer::with_config(cfg).start().await.unwrap();
    assert_eq!(get(&srv.prm_url_root()).await.status, 404);
    assert_eq!(accepts_negative(&idp, &srv, NegativeToken::WrongAudience).await, 200);
    let _: Value = get(&srv.prm_url_path()).await.json();
}
