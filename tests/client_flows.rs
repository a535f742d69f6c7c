//! Every profile's connect flow end to end: mock IdP (or oidc-provider) + the reference MCP server,
//! with the transcript asserted — phases and their order, and the exact token-request header set.

mod support;

use harness::reference::{ReferenceHandle, ReferenceServer};
use mock_client::{Client, ConnectOptions, LoginDriver, Outcome, Phase, StaticCredentials, Transcript, profile};
use mock_idp::{IdpHandle, LoginMode, MockIdp, StaticClient};
use std::sync::Arc;

async fn stack(idp: MockIdp) -> (Arc<IdpHandle>, ReferenceHandle) {
    let idp = Arc::new(idp.start().await.unwrap());
    let server = ReferenceServer::builder().issuer(idp.issuer()).jwks_uri(idp.jwks_uri()).start().await.unwrap();
    (idp, server)
}

fn options_for(idp: &Arc<IdpHandle>) -> ConnectOptions {
    let idp = idp.clone();
    ConnectOptions {
        cimd_rewrite: Some(Arc::new(move |from: &str, to: &str| idp.add_fetch_rewrite(from, to))),
        ..Default::default()
    }
}

async fn connect(name: &str, opts: ConnectOptions, url: &str) -> (Outcome, Transcript, Client) {
    let mut c = Client::new(profile::builtin(name).unwrap(), opts);
    let o = c.connect(url).await.unwrap();
    let t = c.transcript();
    (o, t, c)
}

/// The phases in order of first appearance.
fn phase_order(t: &Transcript) -> Vec<Phase> {
    let mut out: Vec<Phase> = Vec::new();
    for e in &t.exchanges {
        if out.last() != Some(&e.phase) {
            out.push(e.phase);
        }
    }
    out
}

fn token_exchange(t: &Transcript) -> &mock_client::Exchange {
    t.phase(Phase::Token).next().expect("a token request")
}

fn header_names(e: &mock_client::Exchange) -> Vec<&str> {
    e.request_headers.iter().map(|(k, _)| k.as_str()).collect()
}

fn assert_connected(o: &Outcome, t: &Transcript) {
    match o {
        Outcome::Connected { tools, .. } => assert!(tools.contains(&"whoami".to_string()), "{tools:?}"),
        Outcome::Failed(f) => panic!("did not connect: {} — {}\n{:#?}", f.message, f.cause, t.redacted().exchanges),
        Outcome::NotAttempted => panic!("no connect was attempted"),
    }
}

#[tokio::test]
async fn chatgpt_2025_dcr_posts_its_secret_and_probes_like_chatgpt() {
    let (idp, server) = stack(MockIdp::builder()).await;
    let (o, t, _) = connect("chatgpt-2025-dcr", options_for(&idp), server.url()).await;
    assert_connected(&o, &t);
    assert_eq!(phase_order(&t), [Phase::Discovery, Phase::Registration, Phase::Authorize, Phase::Token, Phase::Mcp]);
    // Unauthenticated POST, root PRM first, then the AS probes (HEAD before GET) on issuer and MCP host.
    let d: Vec<(&str, &str)> = t.phase(Phase::Discovery).map(|e| (e.method.as_str(), e.label.as_str())).collect();
    assert_eq!(d[0], ("POST", "unauthenticated initialize"));
    assert_eq!(d[1], ("GET", "root PRM"));
    assert!(d.iter().any(|(m, l)| *m == "HEAD" && l.contains("on issuer")));
    assert!(d.iter().any(|(_, l)| l.contains("on mcphost")), "{d:?}");
    let reg = t.phase(Phase::Registration).next().unwrap();
    let body: serde_json::Value = serde_json::from_str(reg.request_body.as_deref().unwrap()).unwrap();
    assert_eq!(body["token_endpoint_auth_method"], "client_secret_post");
    assert!(body.get("scope").is_none(), "ChatGPT registers without scope");
    let tok = token_exchange(&t);
    assert_eq!(header_names(tok), ["User-Agent", "Accept", "Accept-Encoding", "Content-Type"]);
    assert_eq!(tok.request_header("user-agent"), Some("Python/3.12 aiohttp/3.13.5"));
    let form = tok.request_body.as_deref().unwrap();
    assert!(form.starts_with("grant_type=authorization_code&code="), "{form}");
    assert!(form.contains("client_secret=") && form.contains("resource="), "{form}");
    let auth = t.phase(Phase::Authorize).next().unwrap();
    assert!(
        auth.url.contains("state=oauth_s_")
            && auth.url.contains("redirect_uri=https%3A%2F%2Fchatgpt.com%2Fconnector_platform_oauth_redirect")
    );
    for e in t.phase(Phase::Mcp) {
        assert_eq!(e.request_header("user-agent"), Some("openai-mcp/1.0.0"));
        assert!(e.request_header("authorization").is_some_and(|a| a.starts_with("Bearer ")));
    }
}

#[tokio::test]
async fn chatgpt_2025_09_follows_keycloaks_basic() {
    let (idp, server) = stack(MockIdp::builder()).await;
    let (o, t, _) = connect("chatgpt-2025-09-dcr-basic", options_for(&idp), server.url()).await;
    assert_connected(&o, &t);
    let tok = token_exchange(&t);
    assert_eq!(header_names(tok), ["User-Agent", "Accept", "Accept-Encoding", "Authorization", "Content-Type"]);
    assert!(tok.request_header("authorization").unwrap().starts_with("Basic "));
    assert!(!tok.request_body.as_deref().unwrap().contains("client_id="), "Basic alone, no client_id in the body");
}

#[tokio::test]
async fn chatgpt_2026_cimd_uses_private_key_jwt_and_falls_back_to_none() {
    let (idp, server) = stack(MockIdp::builder()).await;
    let (o, t, _) = connect("chatgpt-2026-cimd", options_for(&idp), server.url()).await;
    assert_connected(&o, &t);
    assert!(t.phase(Phase::Registration).next().is_none(), "CIMD needs no registration request");
    let clients = idp.snapshot().clients;
    assert_eq!(clients[0].client_id, "https://chatgpt.com/oauth/cbHarness0001/client.json");
    let form = token_exchange(&t).request_body.clone().unwrap();
    assert!(
        form.contains("client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"),
        "{form}"
    );
    // The mock IdP implements RFC 9207, so the stable callback is used.
    assert!(t.phase(Phase::Authorize).next().unwrap().url.contains("connector_platform_oauth_redirect"));

    // Without private_key_jwt at the AS, the document's `none` is used; without RFC 9207, the
    // per-connector callback.
    let (idp, server) = stack(
        MockIdp::builder().quirk(mock_idp::Quirk::NoPrivateKeyJwt).quirk(mock_idp::Quirk::IssParameterNotAdvertised),
    )
    .await;
    let (o, t, _) = connect("chatgpt-2026-cimd", options_for(&idp), server.url()).await;
    assert_connected(&o, &t);
    let form = token_exchange(&t).request_body.clone().unwrap();
    assert!(!form.contains("client_assertion") && form.contains("client_id="), "{form}");
    assert!(t.phase(Phase::Authorize).next().unwrap().url.contains("connector%2Foauth%2FcbHarness0001"));
}

#[tokio::test]
async fn remaining_oauth_profiles_connect() {
    // ChatGPT authorizes up front; Claude and the spec client start the session and authorize when
    // challenged (request → 401 → discovery from the challenge's resource_metadata).
    for (name, starts_in) in [
        ("chatgpt-2026-cimd-stable-iss", Phase::Discovery),
        ("claude", Phase::Mcp),
        ("mcp-spec-2025-11-25", Phase::Mcp),
    ] {
        let (idp, server) = stack(MockIdp::builder()).await;
        let (o, t, mut c) = connect(name, options_for(&idp), server.url()).await;
        assert_connected(&o, &t);
        assert_eq!(t.exchanges[0].phase, starts_in, "{name}");
        if starts_in == Phase::Mcp {
            assert_eq!(t.exchanges[0].status, Some(401), "{name}");
            assert_eq!(t.exchanges[1].label, "PRM from WWW-Authenticate", "{name}");
        }
        c.finish().await;
        let last = c.transcript().exchanges.last().cloned().unwrap();
        // ChatGPT is not known to end sessions; the spec (and Claude, assumed) DELETE them.
        let deletes = name != "chatgpt-2026-cimd-stable-iss";
        assert_eq!(last.method == "DELETE", deletes, "{name}");
    }
    let (idp, server) = stack(MockIdp::builder()).await;
    let (_, t, _) = connect("mcp-spec-2025-11-25", options_for(&idp), server.url()).await;
    assert_eq!(header_names(token_exchange(&t)), ["User-Agent", "Accept", "Content-Type"]);
}

#[tokio::test]
async fn static_client_id_connects_where_dcr_is_missing_and_chatgpt_cannot() {
    let static_client = StaticClient {
        client_id: "c_l9moiiilq5k1k0rv5u31maky734sz617".into(),
        client_secret: Some("s3cret".into()),
        redirect_uris: vec!["cursor://anysphere.cursor-mcp/oauth/callback".into()],
        token_endpoint_auth_method: Some("client_secret_basic".into()),
        scopes: vec![],
        resource_server: false,
    };
    let idp = MockIdp::builder()
        .quirk(mock_idp::Quirk::NoRegistrationEndpoint)
        .quirk(mock_idp::Quirk::NoCimd)
        .static_client(static_client);
    let (idp, server) = stack(idp).await;
    let opts = ConnectOptions {
        static_client: Some(StaticCredentials {
            client_id: "c_l9moiiilq5k1k0rv5u31maky734sz617".into(),
            client_secret: Some("s3cret".into()),
        }),
        ..options_for(&idp)
    };
    let (o, t, _) = connect("static-client-id", opts, server.url()).await;
    assert_connected(&o, &t);
    let (o, _, _) = connect("chatgpt-2026-cimd", options_for(&idp), server.url()).await;
    let f = o.failure().expect("ChatGPT has no way to get a client");
    assert_eq!(f.message, format!("Failed to resolve OAuth client for MCP connector: {}", server.url()));
}

#[tokio::test]
async fn bearer_and_query_token_modes() {
    let (idp, server) = stack(MockIdp::builder()).await;
    let token = idp.mint_valid(server.url(), &["mcp:read"]).unwrap().token;
    let opts = ConnectOptions { bearer_token: Some(token.clone()), ..Default::default() };
    let (o, t, _) = connect("chatgpt-bearer-token", opts.clone(), server.url()).await;
    assert_connected(&o, &t);
    assert_eq!(phase_order(&t), [Phase::Mcp], "no OAuth at all");
    // The reference server never accepts a token in the query string (MCP forbids it).
    let (o, t, _) = connect("chatgpt-noauth-query-token", opts, server.url()).await;
    let f = o.failure().expect("the query token is refused");
    assert_eq!(f.message, "No app actions available");
    assert!(t.exchanges[0].url.contains("?token="));
    assert_eq!(t.exchanges[0].status, Some(401));
    // And the transcript never shows the token once redacted.
    assert!(!serde_json::to_string(&t.redacted()).unwrap().contains(&token));
    // Against a server that reads the query (as seed 000's OwnSona does), the mode connects.
    let reads_query = ReferenceServer::builder()
        .issuer(idp.issuer())
        .jwks_uri(idp.jwks_uri())
        .fault(harness::reference::Fault::AcceptQueryToken)
        .start()
        .await
        .unwrap();
    let token = idp.mint_valid(reads_query.url(), &["mcp:read"]).unwrap().token;
    let opts = ConnectOptions { bearer_token: Some(token), ..Default::default() };
    let (o, t, _) = connect("chatgpt-noauth-query-token", opts, reads_query.url()).await;
    assert_connected(&o, &t);
    assert!(t.exchanges.iter().all(|e| e.request_header("authorization").is_none()));
}

#[tokio::test]
async fn refresh_rotates_and_the_new_token_works() {
    let (idp, server) = stack(MockIdp::builder()).await;
    let (o, t, mut c) = connect("chatgpt-2025-09-dcr-basic", options_for(&idp), server.url()).await;
    assert_connected(&o, &t);
    let before = c.access_token().unwrap().to_owned();
    assert!(c.refresh().await.unwrap(), "a refresh token was issued");
    assert_ne!(c.access_token().unwrap(), before);
    let t = c.transcript();
    let r = t.phase(Phase::Refresh).next().expect("the refresh grant is recorded");
    assert!(r.request_body.as_deref().unwrap().starts_with("grant_type=refresh_token&refresh_token="));
    assert!(r.request_header("authorization").unwrap().starts_with("Basic "), "same client auth as the code exchange");
    let who = c.call_tool("whoami", serde_json::json!({})).await.unwrap();
    assert!(who.to_string().contains("alice"), "{who}");
    // The rotated-out refresh token is dead at the IdP: rotation really happened.
    let rts: Vec<_> = idp.snapshot().tokens.into_iter().filter(|t| t.kind == mock_idp::TokenKind::Refresh).collect();
    assert_eq!(rts.len(), 2);
    assert!(rts[0].used && !rts[1].used);
}

#[tokio::test]
async fn form_login_driver_gets_through_the_mock_idps_pages() {
    let (idp, server) = stack(MockIdp::builder().login(LoginMode::Form)).await;
    let fields =
        [("username", "alice"), ("password", "wonderland")].map(|(k, v)| (k.to_string(), v.to_string())).into();
    let opts = ConnectOptions { login: LoginDriver::Form { fields }, ..options_for(&idp) };
    let (o, t, mut c) = connect("chatgpt-2026-cimd", opts, server.url()).await;
    assert_connected(&o, &t);
    let steps: Vec<&str> = t.phase(Phase::Authorize).map(|e| e.label.as_str()).collect();
    assert_eq!(steps, ["authorization request", "submit form /login", "submit form /consent"]);
    let who = c.call_tool("whoami", serde_json::json!({})).await.unwrap();
    assert!(who.to_string().contains("alice"), "{who}");
}

#[tokio::test]
async fn step_up_on_insufficient_scope() {
    // The AS grants only what is asked; ask for mcp:read, then write_note needs mcp:write.
    let idp = MockIdp::builder().configure(|c| c.scopes_supported = vec!["mcp:read".into(), "mcp:write".into()]);
    let (idp, server) = stack(idp).await;
    let (o, t, mut c) = connect("mcp-spec-2025-11-25", options_for(&idp), server.url()).await;
    assert_connected(&o, &t);
    let before = c.access_token().unwrap().to_owned();
    let r = c.call_tool("write_note", serde_json::json!({"text": "hi"})).await.unwrap();
    assert_ne!(r.get("isError"), Some(&serde_json::Value::Bool(true)), "{r}");
    let t = c.transcript();
    assert!(t.phase(Phase::StepUp).count() >= 2, "re-authorization is recorded as step-up");
    assert_ne!(c.access_token().unwrap(), before);
    let forbidden = t.exchanges.iter().find(|e| e.status == Some(403)).expect("the 403 that triggered it");
    assert!(forbidden.response_header("www-authenticate").unwrap().contains("insufficient_scope"));
}

/// An AS that fetches Client ID Metadata Documents only over https (as the CIMD draft's SSRF rules
/// have it) refuses the harness's loopback `http://127.0.0.1:…` client id without fetching it.
/// ChatGPT never presents such a URL, so that is a limit of the harness: the flow goes on without
/// CIMD (DCR here), connects, and says CIMD was not testable — no "ChatGPT would fail".
#[tokio::test]
async fn cimd_refused_only_for_the_harness_loopback_url_is_not_testable_and_falls_back_to_dcr() {
    let (_idp, server) = stack(MockIdp::builder().configure(|c| c.allow_loopback_fetch = false)).await;
    // No fetch rewrite: the client id is the harness's own loopback document URL.
    let (o, t, _c) = connect("chatgpt-2026-cimd", ConnectOptions::default(), server.url()).await;
    assert_connected(&o, &t);
    let note = t.notes.iter().find(|n| n.kind == mock_client::NoteKind::CimdUntestable).expect("a CIMD note");
    assert!(note.text.contains("not testable here") && note.text.contains("--cimd-base"), "{}", note.text);
    assert!(note.text.contains("without fetching"), "{}", note.text);
    let refused = t.phase(Phase::Authorize).next().unwrap();
    assert!(refused.url.contains("client_id=http%3A%2F%2F127.0.0.1"), "{}", refused.url);
    // After the note: dynamic registration, as ChatGPT does where CIMD is not available.
    let dcr = t.phase(Phase::Registration).find(|e| e.label == "dynamic client registration").expect("DCR");
    assert!(dcr.seq >= note.from_seq);
}

/// The same AS fetching the document and refusing it for what it says (private_key_jwt, read from
/// the singular field only) is a real refusal ChatGPT meets too: no note, a failure.
#[tokio::test]
async fn cimd_fetched_and_refused_for_its_content_stays_a_failure() {
    let idp = MockIdp::builder().quirk(mock_idp::Quirk::CimdSingularAuthMethodOnly);
    let (_idp, server) = stack(idp).await;
    let (o, t, _c) = connect("chatgpt-2026-cimd", ConnectOptions::default(), server.url()).await;
    let f = o.failure().unwrap_or_else(|| panic!("should fail: {:#?}", t.redacted().exchanges));
    assert!(f.cause.contains("invalid_client"), "{}", f.cause);
    assert!(t.notes.is_empty(), "{:?}", t.notes);
}

/// `chatgpt_real_cimd`: the AS sees ChatGPT's real stable document URL (fetched, in tests, through
/// the mock IdP's rewrite) and the client authenticates with `none`.
#[tokio::test]
async fn chatgpt_real_cimd_presents_the_stable_document_url_with_none() {
    let (idp, server) = stack(MockIdp::builder()).await;
    let opts = ConnectOptions { chatgpt_real_cimd: true, ..options_for(&idp) };
    let (o, t, _c) = connect("chatgpt-2026-cimd", opts, server.url()).await;
    assert_connected(&o, &t);
    let auth = t.phase(Phase::Authorize).next().unwrap();
    assert!(auth.url.contains("client_id=https%3A%2F%2Fchatgpt.com%2Foauth%2Fclient.json"), "{}", auth.url);
    assert!(auth.url.contains("connector_platform_oauth_redirect"), "the stable document's callback");
    let body = token_exchange(&t).request_body.clone().unwrap();
    assert!(!body.contains("client_assertion") && body.contains("client_id="), "{body}");
}

/// Mixed mode (seed 000) on a bare `Bearer realm=` challenge goes the profile's way, noted with its
/// evidence; a profile edit turns it into the token prompt.
#[tokio::test]
async fn mixed_mode_on_a_bare_realm_challenge_goes_the_profiles_way() {
    use harness::reference::Fault;
    let idp = Arc::new(MockIdp::builder().start().await.unwrap());
    let server = ReferenceServer::builder()
        .issuer(idp.issuer())
        .jwks_uri(idp.jwks_uri())
        .fault(Fault::NoPrm)
        .fault(Fault::NoResourceMetadataInChallenge)
        .fault(Fault::NoScopeInChallenge)
        .challenge_realm("ownsona")
        .start()
        .await
        .unwrap();
    let (o, t, _c) = connect("chatgpt-2026-mixed", ConnectOptions::default(), server.url()).await;
    let f = o.failure().expect("no OAuth here");
    assert_eq!(f.message, format!("MCP server {} does not implement OAuth", server.url()));
    assert!(f.cause.contains("Bearer realm=\"ownsona\"") && f.cause.contains("evidence: unverified"), "{}", f.cause);
    assert_eq!(t.exchanges[0].request_header("authorization"), None, "no token first");
    assert!(t.notes.iter().any(|n| n.kind == mock_client::NoteKind::MixedMode));

    let mut p = profile::builtin("chatgpt-2026-mixed").unwrap();
    p.mixed_bare_challenge.as_mut().unwrap().value = mock_client::profile::BareChallenge::TokenPrompt;
    let token = idp.mint_valid(server.url(), &["mcp:read"]).unwrap().token;
    let mut c = Client::new(p.clone(), ConnectOptions { bearer_token: Some(token), ..Default::default() });
    let o = c.connect(server.url()).await.unwrap();
    assert_connected(&o, &c.transcript());
    let t = c.transcript();
    assert!(t.exchanges[0].request_header("authorization").is_none());
    assert!(t.exchanges[1].request_header("authorization").is_some_and(|a| a.starts_with("Bearer ")));
    // Without a token to answer the prompt, the harness cannot run that way.
    let e = Client::new(p, ConnectOptions::default()).connect(server.url()).await.unwrap_err();
    assert!(e.to_string().contains("--token"), "{e}");
}

/// Past ChatGPT's first stop: the outcome keeps ChatGPT's failure and lists, in order, each
/// assumption and what came next; every exchange sent under an assumption is marked continuation.
#[tokio::test]
async fn continuation_names_each_next_failure_and_marks_its_exchanges() {
    use harness::reference::Fault;
    let idp = Arc::new(MockIdp::builder().quirk(mock_idp::Quirk::BasicAuthRefused).start().await.unwrap());
    let server = ReferenceServer::builder()
        .issuer(idp.issuer())
        .jwks_uri(idp.jwks_uri())
        .fault(Fault::PrmOnlyAtPath)
        .start()
        .await
        .unwrap();
    let opts = ConnectOptions { continue_after_failure: true, ..options_for(&idp) };
    let (o, t, _c) = connect("chatgpt-2025-09-dcr-basic", opts, server.url()).await;
    let f = o.failure().expect("ChatGPT's verdict stays its first stop");
    assert_eq!(f.kind, mock_client::FailureKind::NoOauth);
    let steps: Vec<String> = f
        .continued
        .iter()
        .map(|c| match &c.next {
            Outcome::Connected { .. } => "connected".to_owned(),
            Outcome::Failed(x) => format!("{:?}", x.kind),
            Outcome::NotAttempted => "not attempted".to_owned(),
        })
        .collect();
    assert_eq!(steps, ["TokenFailed", "connected"], "{:#?}", f.continued);
    assert!(f.continued[0].assumed.contains("path-inserted"), "{}", f.continued[0].assumed);
    assert!(f.continued[1].assumed.contains("client_secret_post"), "{}", f.continued[1].assumed);
    let from = f.continued[0].from_seq;
    assert!(t.exchanges.iter().all(|e| e.continuation == (e.seq >= from)), "marked from #{from} on, and only there");

    // Without the option the client stops where ChatGPT does.
    let (o, t, _c) = connect("chatgpt-2025-09-dcr-basic", options_for(&idp), server.url()).await;
    assert!(o.failure().unwrap().continued.is_empty());
    assert!(t.exchanges.iter().all(|e| !e.continuation));
}
