//! Bad input gets the RFC's error format, never a panic, a hang or an unbounded read.

use crate::common::*;
use mock_idp::MockIdp;
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn oversized_bodies_are_refused_with_413() {
    let idp = start(MockIdp::builder()).await;
    let big = "a".repeat(65 * 1024);
    for url in [idp.endpoints().token, idp.endpoints().registration.unwrap(), idp.endpoints().introspection] {
        let r = http()
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(big.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE, "{url}");
        assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_request");
    }
}

#[tokio::test]
async fn unknown_paths_and_wrong_methods_answer_json() {
    let idp = start(MockIdp::builder()).await;
    let r = http().get(format!("{}/nope", idp.origin())).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "not_found");
    let r = http().get(idp.endpoints().token).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_request");
    let r = http().delete(idp.endpoints().registration.unwrap()).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
}

/// Junk at every endpoint: each answer is a 4xx with a JSON `error` (or an HTML page for the
/// login forms), and the server keeps serving afterwards.
#[tokio::test]
async fn junk_everywhere_never_breaks_the_server() {
    let idp = start(MockIdp::builder()).await;
    let e = idp.endpoints();
    let bodies: [&[u8]; 6] =
        [b"", b"\xff\xfe\x00", b"grant_type=%ZZ", b"{\"a\":", b"=&=&&==", b"grant_type=authorization_code&code=%00"];
    for url in [e.token.clone(), e.introspection.clone(), e.revocation.clone(), e.registration.clone().unwrap()] {
        for ct in ["application/x-www-form-urlencoded", "application/json", "text/plain"] {
            for b in bodies {
                let r = http().post(&url).header("content-type", ct).body(b.to_vec()).send().await.unwrap();
                assert!(r.status().is_client_error(), "{url} {ct} {b:?} -> {}", r.status());
                let v: Value = r.json().await.unwrap_or_else(|_| panic!("{url} {ct} {b:?}: not JSON"));
                assert!(v["error"].is_string(), "{url}: {v}");
            }
        }
    }
    for q in [
        "",
        "client_id",
        "client_id=%ZZ&&&",
        "response_type=code&client_id=\u{0}",
        "redirect_uri=javascript:alert(1)&client_id=x",
    ] {
        let r = http().get(format!("{}?{q}", e.authorization)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{q}");
        assert!(r.headers().get("location").is_none());
    }
    for (path, body) in
        [("login", "request_id=nope"), ("consent", "request_id=nope&decision=approve"), ("login", "\u{0}\u{1}")]
    {
        let r = http().post(format!("{}/{path}", idp.issuer())).body(body).send().await.unwrap();
        assert!(r.status().is_client_error(), "{path}");
    }
    let r = http()
        .post(&e.token)
        .header("authorization", reqwest::header::HeaderValue::from_bytes(b"Basic \xff\xfe").unwrap())
        .form(&[("grant_type", "authorization_code")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // Still alive and correct.
    full_flow(&idp, Some("none")).await;
}

#[tokio::test]
async fn the_request_log_records_every_exchange_in_order() {
    let idp = start(MockIdp::builder()).await;
    full_flow(&idp, Some("client_secret_post")).await;
    let log = idp.snapshot().requests;
    let paths: Vec<(&str, &str, u16)> = log.iter().map(|r| (r.method.as_str(), r.path.as_str(), r.status)).collect();
    assert_eq!(paths, vec![("POST", "/register", 201), ("GET", "/authorize", 302), ("POST", "/token", 200)]);
    assert_eq!(log.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![1, 2, 3]);
    assert!(log[2].body.contains("grant_type=authorization_code"));
    assert!(log[1].query.as_deref().unwrap().contains("code_challenge="));
    assert!(log[0].headers.iter().any(|(k, v)| k == "content-type" && v.starts_with("application/json")));
}

#[tokio::test]
async fn shutdown_frees_the_port_and_bad_config_is_an_error() {
    let idp = start(MockIdp::builder()).await;
    let port = idp.port();
    idp.shutdown().await;
    assert!(http().get(format!("http://127.0.0.1:{port}/.well-known/openid-configuration")).send().await.is_err());
    let err = MockIdp::builder().issuer_path("no-slash").start().await.unwrap_err();
    assert!(err.to_string().contains("issuer_path"), "{err}");
    // The port is reusable: bind it again explicitly.
    let again = MockIdp::builder().port(port).start().await.unwrap();
    assert_eq!(again.port(), port);
}

/// The request log is a ring buffer of bounded entries: the newest `max_log_entries` requests,
/// each body, query and header value cut to `max_logged_bytes` with a marker saying how long it was.
#[tokio::test]
async fn the_request_log_is_a_ring_of_truncated_entries() {
    let idp = start(MockIdp::builder().configure(|c| {
        c.limits.max_log_entries = 5;
        c.limits.max_logged_bytes = 100;
    }))
    .await;
    let big = "b".repeat(10_000);
    for i in 0..12 {
        let r = http()
            .post(format!("{}?q={}", idp.endpoints().token, "q".repeat(300)))
            .header("x-long", "h".repeat(500))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("n={i}&{big}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    }
    let log = idp.snapshot().requests;
    assert_eq!(log.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![8, 9, 10, 11, 12], "the newest five");
    let marker = mock_idp::TRUNCATION_MARKER;
    for r in &log {
        let sent = format!("n={}&", r.seq - 1).len() + big.len();
        assert!(r.body.contains(marker) && r.body.ends_with(&format!("{sent} bytes]")), "{}", r.body);
        assert!(r.body.len() <= 100 + marker.len() + 20, "{} bytes kept", r.body.len());
        assert!(r.query.as_deref().unwrap().contains(marker));
        let h = &r.headers.iter().find(|(k, _)| k == "x-long").unwrap().1;
        assert!(h.starts_with(&"h".repeat(100)) && h.contains(marker) && h.len() < 200, "{h}");
    }
    assert!(log[4].body.starts_with("n=11&"));
}
