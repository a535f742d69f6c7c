//! RFC 9728 Protected Resource Metadata at both well-known locations.

use crate::common::*;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn prm_is_served_at_the_root_and_the_path_suffixed_location() {
    let env = Env::start().await;
    let srv = &env.srv;
    assert_eq!(srv.prm_url_root(), format!("{}/.well-known/oauth-protected-resource", srv.origin()));
    assert_eq!(srv.prm_url_path(), format!("{}/.well-known/oauth-protected-resource/mcp", srv.origin()));
    let want = json!({
        "resource": srv.url(),
        "authorization_servers": [env.idp.issuer()],
        "scopes_supported": ["mcp:read", "mcp:write"],
        "bearer_methods_supported": ["header"],
        "resource_name": "connector-harness reference MCP server",
    });
    for url in [srv.prm_url_root(), srv.prm_url_path()] {
        let r = get(&url).await;
        assert_eq!(r.status, 200, "{url}");
        assert_eq!(r.header("content-type").as_deref(), Some("application/json"));
        assert_eq!(r.header("access-control-allow-origin").as_deref(), Some("*"));
        assert_eq!(r.json(), want, "{url}");
        // HEAD is answered like GET, without a body.
        let h = send(http().head(&url)).await;
        assert_eq!((h.status, h.text.as_str()), (200, ""));
        assert_eq!(h.header("content-type").as_deref(), Some("application/json"));
    }
}

#[tokio::test]
async fn the_url_and_resource_are_the_mcp_endpoint_on_loopback() {
    let env = Env::start().await;
    let srv = &env.srv;
    assert_eq!(srv.url(), format!("http://127.0.0.1:{}/mcp", srv.port()));
    assert_eq!(srv.resource(), srv.url());
    assert_eq!(srv.origin(), format!("http://127.0.0.1:{}", srv.port()));
}

#[tokio::test]
async fn other_paths_and_methods_are_refused() {
    let env = Env::start().await;
    let srv = &env.srv;
    for path in ["/", "/mcp/", "/.well-known/oauth-protected-resource/other", "/.well-known/oauth-authorization-server"]
    {
        let r = get(&format!("{}{path}", srv.origin())).await;
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(r.json()["error"], "not_found");
    }
    let r = send(http().request(Method::POST, srv.prm_url_root())).await;
    assert_eq!(r.status, 405);
}

#[tokio::test]
async fn a_custom_mcp_path_moves_the_endpoint_and_the_path_prm() {
    let idp = mock_idp::MockIdp::builder().start().await.unwrap();
    let srv = server(&idp, |b| b.mcp_path("/api/v1/mcp")).await;
    assert!(srv.url().ends_with("/api/v1/mcp"));
    assert!(srv.prm_url_path().ends_with("/.well-known/oauth-protected-resource/api/v1/mcp"));
    let r = get(&srv.prm_url_path()).await;
    assert_eq!(r.json()["resource"], srv.url());
    assert_eq!(get(&srv.prm_url_root()).await.json()["resource"], srv.url());
    let t = token_for(&idp, &srv, &["mcp:read"]);
    initialize(&srv, &t).await;
}
