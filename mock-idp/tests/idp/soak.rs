//! A short soak: a few thousand mixed requests against an IdP with small caps, so every cap is
//! passed many times over. Asserts that each store stays within its cap, that nothing is refused
//! for being full (no 429, no 5xx, no `server_error`), and that every endpoint still answers
//! correctly afterwards. No wall-time assertion: `scripts/soak-idp` measures the long run.
//!
//! One HTTP client serves the whole soak (building one per request, as the other tests may, costs
//! more than the IdP's work in a debug build).

use crate::common::{
    REDIRECT, RESOURCE, RS_ID, RS_SECRET, Registered, dcr_body, introspect_with, pkce, start, verify_with_jwks,
    with_resource_server,
};
use mock_idp::{IdpHandle, Limits, MockIdp, StoreSizes};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;

fn small_limits() -> Limits {
    Limits {
        max_clients: 12,
        max_codes: 20,
        max_tokens: 40,
        max_log_entries: 32,
        max_logged_bytes: 256,
        max_sessions: 4,
        ..Limits::default()
    }
}

fn assert_within_caps(s: StoreSizes, l: &Limits) {
    assert!(s.clients <= l.max_clients, "{s:?}");
    assert!(s.codes <= l.max_codes, "{s:?}");
    assert!(s.tokens <= l.max_tokens, "{s:?}");
    // A family lives while one of its tokens does, or while an issuance is in flight.
    assert!(s.token_families <= l.max_tokens + 8, "{s:?}");
    assert!(s.requests <= l.max_log_entries && s.authorization_requests <= l.max_log_entries, "{s:?}");
    assert!(s.pending_authorizations <= l.max_sessions && s.sessions <= l.max_sessions, "{s:?}");
    assert!(s.cimd_cache <= l.max_clients && s.jwks_cache <= l.max_clients, "{s:?}");
}

/// The IdP and one client for every request.
#[derive(Clone)]
struct Soak {
    idp: Arc<IdpHandle>,
    http: reqwest::Client,
}

impl Soak {
    async fn register_raw(&self, body: &Value) -> (StatusCode, Value) {
        let r = self.http.post(self.idp.endpoints().registration.unwrap()).json(body).send().await.unwrap();
        (r.status(), r.json().await.unwrap_or(Value::Null))
    }

    async fn register(&self, method: &str) -> Registered {
        let (s, body) = self.register_raw(&dcr_body(Some(method))).await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
        Registered {
            client_id: body["client_id"].as_str().unwrap().to_owned(),
            client_secret: body["client_secret"].as_str().map(str::to_owned),
            body,
        }
    }

    /// `/authorize`; the redirect's query (`code` or `error`), or `None` for an answer shown to
    /// the user (an unknown client, for one).
    async fn authorize(&self, client_id: &str, challenge: &str) -> Option<Vec<(String, String)>> {
        let params = [
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", REDIRECT),
            ("state", "s"),
            ("scope", "mcp:read"),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
            ("resource", RESOURCE),
        ];
        let r = self.http.get(self.idp.endpoints().authorization).query(&params).send().await.unwrap();
        if r.status() != StatusCode::FOUND {
            assert_eq!(r.status(), StatusCode::BAD_REQUEST);
            return None;
        }
        let loc = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
        Some(loc.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
    }

    /// `/token`, authenticated the way the client registered.
    async fn token(&self, c: &Registered, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let mut form: Vec<(&str, &str)> = form.to_vec();
        let mut req = self.http.post(self.idp.endpoints().token);
        match c.body["token_endpoint_auth_method"].as_str().unwrap() {
            "client_secret_basic" => req = req.basic_auth(&c.client_id, c.client_secret.as_deref()),
            "client_secret_post" => {
                form.push(("client_id", &c.client_id));
                form.push(("client_secret", c.client_secret.as_deref().unwrap()));
            }
            _ => form.push(("client_id", &c.client_id)),
        }
        let r = req.form(&form).send().await.unwrap();
        (r.status(), r.json().await.unwrap_or(Value::Null))
    }

    async fn exchange(&self, c: &Registered, code: &str, verifier: &str) -> (StatusCode, Value) {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("code_verifier", verifier),
            ("redirect_uri", REDIRECT),
            ("resource", RESOURCE),
        ];
        self.token(c, &form).await
    }

    async fn refresh(&self, c: &Registered, rt: &str) -> (StatusCode, Value) {
        self.token(c, &[("grant_type", "refresh_token"), ("refresh_token", rt)]).await
    }

    /// Introspection as the resource server, which may see every token.
    async fn introspect(&self, token: &str) -> Value {
        introspect_with(&self.http, &self.idp, RS_ID, Some(RS_SECRET), token).await
    }

    async fn get_ok(&self, url: &str) {
        assert_eq!(self.http.get(url).send().await.unwrap().status(), StatusCode::OK, "{url}");
    }

    /// Register → authorize → token, every answer checked.
    async fn full_flow(&self, method: &str) -> (Registered, Value) {
        let c = self.register(method).await;
        let p = pkce();
        let q = self.authorize(&c.client_id, &p.challenge).await.expect("a redirect");
        let code = &q.iter().find(|(k, _)| k == "code").unwrap_or_else(|| panic!("no code: {q:?}")).1;
        let (s, t) = self.exchange(&c, code, &p.verifier).await;
        assert_eq!(s, StatusCode::OK, "{t}");
        (c, t)
    }

    /// One deterministic round over every endpoint, each answer checked: one full flow and one
    /// refresh (the only RS256 signatures: slow in a debug build), and a dozen cheap requests.
    async fn round(&self, i: usize) -> (Registered, Value) {
        let method = ["client_secret_basic", "client_secret_post", "none"][i % 3];
        let (c, t) = self.full_flow(method).await;
        let rt = t["refresh_token"].as_str().unwrap().to_owned();
        let (s, t2) = self.refresh(&c, &rt).await;
        assert_eq!(s, StatusCode::OK, "round {i}: {t2}");
        let at2 = t2["access_token"].as_str().unwrap();
        assert_eq!(self.introspect(at2).await["active"], true, "round {i}");
        assert_eq!(self.introspect("not-a-token").await, json!({"active": false}));
        if i.is_multiple_of(3) {
            // Replaying the rotated refresh token revokes the family.
            let (s, e) = self.refresh(&c, &rt).await;
            assert_eq!((s, e["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")), "round {i}");
            assert_eq!(self.introspect(at2).await["active"], false, "round {i}");
        }
        // Codes that are never redeemed, and clients that never come back.
        let p = pkce();
        for _ in 0..3 {
            let q = self.authorize(&c.client_id, &p.challenge).await.expect("a redirect");
            assert!(q.iter().any(|(k, _)| k == "code"), "round {i}: {q:?}");
        }
        for _ in 0..2 {
            self.register("none").await;
        }
        let (s, e) = self.register_raw(&json!({"redirect_uris": [REDIRECT], "client_name": "x".repeat(20_000)})).await;
        assert_eq!((s, e["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_client_metadata")));
        let (s, e) = self.register_raw(&json!({"redirect_uris": ["about:blank"]})).await;
        assert_eq!((s, e["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_redirect_uri")));
        let (s, e) = self.token(&c, &[("grant_type", "password")]).await;
        assert_eq!((s, e["error"].as_str()), (StatusCode::BAD_REQUEST, Some("unsupported_grant_type")));
        self.get_ok(&self.idp.endpoints().metadata[0]).await;
        self.get_ok(&self.idp.jwks_uri()).await;
        (c, t)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_mixed_requests_stay_within_the_caps_and_every_endpoint_still_works() {
    let limits = small_limits();
    let idp = Arc::new(start(with_resource_server(MockIdp::builder().configure(|c| c.limits = small_limits()))).await);
    let soak = Soak { idp: idp.clone(), http: crate::common::http() };

    // Sequential rounds: every answer is checked exactly.
    let (first_client, first_tokens) = soak.round(0).await;
    for i in 1..60 {
        soak.round(i).await;
        if i.is_multiple_of(5) {
            assert_within_caps(idp.store_sizes(), &limits);
        }
        if i == 30 {
            // Everything issued so far expires; the sweeps then clear it out.
            idp.advance_clock(86_400 + 1);
        }
    }

    // A concurrent burst: the interleaving is not fixed, so answers are only checked for what
    // must never happen whatever it is — a refusal for being full, or a server error.
    let mut workers = Vec::new();
    for w in 0..4 {
        let soak = soak.clone();
        workers.push(tokio::spawn(async move {
            for i in 0..100u32 {
                let c = soak.register("client_secret_post").await;
                let p = pkce();
                let q = soak.authorize(&c.client_id, &p.challenge).await.unwrap_or_default();
                assert!(!q.iter().any(|(k, v)| k == "error" && v == "server_error"), "worker {w} round {i}: {q:?}");
                soak.get_ok(&soak.idp.endpoints().metadata[0]).await;
                let Some((_, code)) = q.iter().find(|(k, _)| k == "code").filter(|_| i.is_multiple_of(10)) else {
                    continue;
                };
                let (s, t) = soak.exchange(&c, code, &p.verifier).await;
                assert!([200, 400, 401].contains(&s.as_u16()), "worker {w}: {s} {t}");
                if let Some(rt) = t["refresh_token"].as_str() {
                    let (s, t2) = soak.refresh(&c, rt).await;
                    assert!([200, 400, 401].contains(&s.as_u16()), "worker {w}: {s} {t2}");
                    assert!(soak.introspect(rt).await["active"].is_boolean());
                }
            }
        }));
    }
    for w in workers {
        w.await.unwrap();
    }
    let sizes = idp.store_sizes();
    assert_within_caps(sizes, &limits);
    assert!(sizes.tokens > 0 && sizes.clients == limits.max_clients, "the caps were reached: {sizes:?}");

    // After the caps were passed many times over, everything still works.
    let snap = idp.snapshot();
    let total = snap.requests.last().unwrap().seq;
    assert!(total > 2_000, "a few thousand requests: {total}");
    let seqs: Vec<u64> = snap.requests.iter().map(|r| r.seq).collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "the log keeps the newest, contiguously: {seqs:?}");
    assert_eq!(snap.clients[0].client_id, RS_ID, "static clients are never evicted");
    assert!(snap.client(&first_client.client_id).is_none(), "the least recently used client was forgotten");

    // The forgotten client no longer authenticates, and its forgotten token is inactive.
    let (s, e) = soak.refresh(&first_client, first_tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_client")), "{e}");
    assert_eq!(soak.introspect(first_tokens["access_token"].as_str().unwrap()).await, json!({"active": false}));

    // A whole fresh flow: registration, authorization, a JWT that verifies, rotation, reuse
    // detection, introspection, revocation, metadata and JWKS.
    let (c, t) = soak.round(0).await;
    verify_with_jwks(&idp, t["access_token"].as_str().unwrap(), RESOURCE).await.unwrap();
    let (c2, t2) = soak.round(1).await;
    let at2 = t2["access_token"].as_str().unwrap();
    assert_eq!(soak.introspect(at2).await["active"], true);
    let (rt2, secret2) = (t2["refresh_token"].as_str().unwrap(), c2.client_secret.as_deref().unwrap());
    let r = soak
        .http
        .post(idp.endpoints().revocation)
        .form(&[("token", rt2), ("client_id", c2.client_id.as_str()), ("client_secret", secret2)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(soak.introspect(at2).await["active"], false, "revoked with its grant");
    assert!(idp.snapshot().client(&c.client_id).is_some());
    assert_within_caps(idp.store_sizes(), &limits);
}
