//! The address policy against a hostile server: it names an internal address for its
//! authorization server, redirects the browser to the cloud metadata endpoint, or names a host
//! that resolves to a private address. Each is refused with a finding that names the URL, the
//! address class and the opt-in flag; with the opt-in the internal (not metadata) ones are
//! contacted. Names are answered by a fake DNS whose "private" answers connect to loopback, so
//! nothing here leaves 127.0.0.1.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use mock_client::http::{Limits, Recorder};
use mock_client::{Client, ConnectOptions, Outcome, Transcript, profile};
use net_policy::resolver::FakeDns;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::net::TcpListener;

/// What the hostile server names.
#[derive(Clone)]
struct Hostile {
    origin: String,
    /// `authorization_servers[0]` of its PRM.
    as_base: String,
    /// Where `/authorize` redirects the browser.
    authorize_location: String,
}

async fn mcp(State(h): State<Arc<Hostile>>) -> Response {
    let challenge = format!("Bearer resource_metadata=\"{}/.well-known/oauth-protected-resource\"", h.origin);
    (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, challenge)]).into_response()
}

async fn prm(State(h): State<Arc<Hostile>>) -> Response {
    axum::Json(json!({"resource": format!("{}/mcp", h.origin), "authorization_servers": [h.as_base]})).into_response()
}

async fn as_metadata(State(h): State<Arc<Hostile>>) -> Response {
    let o = &h.origin;
    axum::Json(json!({
        "issuer": o,
        "authorization_endpoint": format!("{o}/authorize"),
        "token_endpoint": format!("{o}/token"),
        "registration_endpoint": format!("{o}/register"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic", "none"],
    }))
    .into_response()
}

async fn register(body: axum::body::Bytes) -> Response {
    let mut v: Value = serde_json::from_slice(&body).unwrap_or_else(|_| json!({}));
    v["client_id"] = json!("hostile-client");
    v["client_secret"] = json!("hostile-secret");
    (StatusCode::CREATED, axum::Json(v)).into_response()
}

async fn authorize(State(h): State<Arc<Hostile>>, _: HeaderMap) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, h.authorize_location.clone())]).into_response()
}

/// Starts the hostile server; `as_base` and `location` may contain `{origin}`.
async fn hostile(as_base: &str, location: &str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let h = Arc::new(Hostile {
        as_base: as_base.replace("{origin}", &origin),
        authorize_location: location.replace("{origin}", &origin),
        origin: origin.clone(),
    });
    let app = Router::new()
        .route("/mcp", post(mcp).get(mcp))
        .route("/.well-known/oauth-protected-resource", get(prm))
        .route("/.well-known/oauth-protected-resource/mcp", get(prm))
        .route("/.well-known/oauth-authorization-server", get(as_metadata))
        .route("/.well-known/openid-configuration", get(as_metadata))
        .route("/register", post(register))
        .route("/authorize", get(authorize))
        .with_state(h);
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("{origin}/mcp")
}

/// A listener that only counts the connections it accepts: the harness contacted it or not.
async fn counter() -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let n = Arc::new(AtomicUsize::new(0));
    let seen = n.clone();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            seen.fetch_add(1, Ordering::SeqCst);
            drop(sock);
        }
    });
    (port, n)
}

/// `intranet.test` names resolve to 10.1.2.3 for the policy; an allowed connection goes to loopback.
fn dns() -> FakeDns {
    let private = "10.1.2.3".parse().unwrap();
    let lo = "127.0.0.1".parse().unwrap();
    FakeDns::new().answer_via("as.intranet.test", private, lo).answer_via("login.intranet.test", private, lo)
}

async fn connect(url: &str, allow_private_addresses: bool) -> (Outcome, Transcript) {
    let limits = Limits { allow_private_addresses, ..Default::default() };
    let rec = Recorder::with_lookup(limits.clone(), Arc::new(dns()));
    let opts = ConnectOptions { limits, ..Default::default() };
    let mut c = Client::with_recorder(profile::builtin("chatgpt-2025-dcr").unwrap(), opts, rec);
    let o = c.connect(url).await.unwrap();
    (o, c.transcript())
}

fn cause(o: &Outcome) -> String {
    o.failure().map(|f| f.cause.clone()).unwrap_or_else(|| panic!("expected a failure, got {o:?}"))
}

const PRIVATE: &str =
    "is a private address (RFC 1918); pass --allow-private-addresses if the server is an internal deployment";

#[tokio::test]
async fn authorization_server_on_a_private_literal_is_refused() {
    let url = hostile("https://10.1.2.3", "{origin}/cb").await;
    let (o, t) = connect(&url, false).await;
    let cause = cause(&o);
    assert!(cause.starts_with("refused to contact https://10.1.2.3/"), "{cause}");
    assert!(cause.contains(&format!("10.1.2.3 {PRIVATE}")), "{cause}");
    // The transcript shows the URL the server named and the refusal, and nothing was received.
    let refused: Vec<_> = t.exchanges.iter().filter(|e| e.url.starts_with("https://10.1.2.3/")).collect();
    assert_eq!(refused.len(), 1, "{refused:#?}");
    assert_eq!(refused[0].status, None);
    assert!(refused[0].error.as_deref().unwrap().starts_with("refused to contact https://10.1.2.3/"));
}

/// With the opt-in the literal passes the policy (connecting to 10.1.2.3 would leave loopback, so
/// the check is shown on the recorder; the resolver test below shows a real connection).
#[tokio::test]
async fn the_opt_in_lets_a_private_literal_through_the_policy() {
    let open = Recorder::new(Limits { allow_private_addresses: true, ..Default::default() });
    assert!(open.check_url("https://10.1.2.3/.well-known/oauth-authorization-server").is_ok());
    assert!(open.check_url("https://169.254.169.254/").is_err(), "metadata stays closed");
    let closed = Recorder::new(Limits::default());
    let e = closed.check_url("https://[::ffff:10.1.2.3]/").unwrap_err();
    assert_eq!(e.to_string(), format!("refused to contact https://[::ffff:10.1.2.3]/: ::ffff:10.1.2.3 {PRIVATE}"));
}

#[tokio::test]
async fn authorization_server_name_resolving_to_a_private_address_is_refused_unless_opted_in() {
    let (port, seen) = counter().await;
    let url = hostile(&format!("https://as.intranet.test:{port}"), "{origin}/cb").await;
    let (o, _) = connect(&url, false).await;
    let cause = cause(&o);
    assert!(cause.starts_with(&format!("refused to contact https://as.intranet.test:{port}/")), "{cause}");
    assert!(
        cause.contains(
            "as.intranet.test resolves to 10.1.2.3, a private address (RFC 1918); pass --allow-private-addresses"
        ),
        "{cause}"
    );
    assert_eq!(seen.load(Ordering::SeqCst), 0, "refused before any connection");

    let (o, t) = connect(&url, true).await;
    assert!(seen.load(Ordering::SeqCst) > 0, "with the opt-in the harness connects");
    let opened = cause_of(&o);
    assert!(!opened.is_empty() && !opened.contains("refused to contact"), "{opened}");
    assert!(t.exchanges.iter().any(|e| e.url.starts_with("https://as.intranet.test") && e.error.is_some()));
}

#[tokio::test]
async fn authorize_redirect_to_the_metadata_endpoint_is_refused_even_with_the_opt_in() {
    let url = hostile("{origin}", "http://169.254.169.254/latest/meta-data/iam/security-credentials/").await;
    for opt_in in [false, true] {
        let (o, t) = connect(&url, opt_in).await;
        let cause = cause(&o);
        assert_eq!(
            cause,
            "refused to contact http://169.254.169.254/latest/meta-data/iam/security-credentials/: 169.254.169.254 \
             is a cloud metadata endpoint; the harness never contacts it, not even with --allow-private-addresses"
        );
        // The redirect was followed as far as the refused hop.
        let last = t.exchanges.last().unwrap();
        assert_eq!(last.label, "follow redirect");
        assert_eq!(last.status, None);
    }
}

#[tokio::test]
async fn authorize_redirect_to_a_name_resolving_to_a_private_address_is_refused_unless_opted_in() {
    let (port, seen) = counter().await;
    let url = hostile("{origin}", &format!("https://login.intranet.test:{port}/sso")).await;
    let (o, _) = connect(&url, false).await;
    let cause = cause(&o);
    assert_eq!(
        cause,
        format!(
            "refused to contact https://login.intranet.test:{port}/sso: login.intranet.test resolves to 10.1.2.3, \
             a private address (RFC 1918); pass --allow-private-addresses if the server is an internal deployment"
        )
    );
    assert_eq!(seen.load(Ordering::SeqCst), 0);
    let (o, _) = connect(&url, true).await;
    assert!(seen.load(Ordering::SeqCst) > 0, "with the opt-in the redirect hop is followed");
    let opened = cause_of(&o);
    assert!(!opened.is_empty() && !opened.contains("refused to contact"), "{opened}");
}

fn cause_of(o: &Outcome) -> String {
    o.failure().map(|f| f.cause.clone()).unwrap_or_default()
}
