//! An authorization-server migration end to end (MCP 2026-07-28 C-33, client registration
//! §Authorization Server Binding): a client connects to the reference server through mock IdP A,
//! the server's PRM is switched to mock IdP B at run time (only B's tokens accepted from then on),
//! and the client's next call meets the 401. The spec client must re-discover, re-register at B
//! and never show B what A issued; a client without the rule keeps going back to A and fails.
//!
//! Both IdPs run without CIMD so the client registers by DCR: CIMD client IDs are portable across
//! ASes (the same section), so only a registered client can show the rule.

use harness::reference::{Era, ReferenceHandle, ReferenceServer};
use mock_client::{Client, ConnectOptions, Exchange, ExchangeKind, NoteKind, Outcome, Transcript, profile};
use mock_idp::{IdpHandle, MockIdp, Quirk};
use serde_json::{Value, json};

struct Migration {
    a: IdpHandle,
    b: IdpHandle,
    /// Kept so the server lives as long as the migration is looked at.
    _server: ReferenceHandle,
    /// The transcript's length when the AS changed.
    switched_at: usize,
    call: Result<Value, String>,
    transcript: Transcript,
}

/// Connects `profile` through A, switches the server to B, calls a tool.
async fn migrate(p: profile::Profile) -> Migration {
    let a = MockIdp::builder().quirk(Quirk::NoCimd).start().await.unwrap();
    let b = MockIdp::builder().quirk(Quirk::NoCimd).start().await.unwrap();
    // Dual era, so the 2025-11-25 client connects too.
    let server =
        ReferenceServer::builder().issuer(a.issuer()).jwks_uri(a.jwks_uri()).era(Era::Dual).start().await.unwrap();
    let mut c = Client::new(p, ConnectOptions::default());
    let o = c.connect(server.url()).await.unwrap();
    if let Outcome::Failed(f) = &o {
        panic!("did not connect before the migration: {} — {}", f.message, f.cause);
    }
    let switched_at = c.transcript().exchanges.len();
    server.switch_authorization_server(b.issuer(), b.jwks_uri());
    let call = c.call_tool("whoami", json!({})).await.map_err(|f| format!("{} — {}", f.message, f.cause));
    let transcript = c.transcript();
    Migration { a, b, _server: server, switched_at, call, transcript }
}

fn at(e: &Exchange, idp: &IdpHandle) -> bool {
    e.url.starts_with(&format!("{}/", idp.issuer().trim_end_matches('/')))
}

/// The `client_id` a registration at `idp` returned.
fn registered_at(t: &Transcript, idp: &IdpHandle) -> Option<String> {
    t.exchanges.iter().filter(|e| e.kind == ExchangeKind::Registration && at(e, idp) && e.status == Some(201)).find_map(
        |e| {
            let body: Value = serde_json::from_str(e.response_body.as_deref()?).ok()?;
            body.get("client_id").and_then(Value::as_str).map(str::to_owned)
        },
    )
}

/// C-33 judged over what the client sent once the AS had changed: it registered at the new AS
/// and never presented the old AS's `client_id` there. `Err` says which half failed.
fn c33(m: &Migration) -> Result<(), String> {
    let old = registered_at(&m.transcript, &m.a).ok_or("no registration at the first AS")?;
    let after = &m.transcript.exchanges[m.switched_at..];
    let to_new: Vec<&Exchange> = after.iter().filter(|e| at(e, &m.b)).collect();
    let leaked: Vec<&&Exchange> = to_new
        .iter()
        .filter(|e| e.url.contains(&old) || e.request_body.as_deref().is_some_and(|b| b.contains(&old)))
        .collect();
    if let Some(e) = leaked.first() {
        return Err(format!("the first AS's client_id was presented to the new one (`{}` {})", e.label, e.url));
    }
    let new = registered_at(&m.transcript, &m.b)
        .ok_or_else(|| format!("no registration at the new AS ({} requests to it)", to_new.len()))?;
    if new == old {
        return Err("the new AS issued the same client_id".into());
    }
    Ok(())
}

#[tokio::test]
async fn the_spec_client_re_registers_when_the_authorization_server_changes() {
    let m = migrate(profile::builtin("mcp-spec-2026-07-28").unwrap()).await;
    let dump = || format!("{:#?}", m.transcript.redacted().exchanges);
    assert!(m.call.is_ok(), "the call after the migration: {:?}\n{}", m.call, dump());
    assert_eq!(c33(&m), Ok(()), "{}", dump());
    let note = m.transcript.notes.iter().find(|n| n.kind == NoteKind::AuthorizationServerChanged);
    let note = note.unwrap_or_else(|| panic!("no AuthorizationServerChanged note\n{}", dump()));
    assert!(note.text.contains(m.b.issuer()), "{}", note.text);
    // The new AS's token is what the server accepted: its last MCP request carried one from B.
    let last = m.transcript.exchanges.iter().rev().find(|e| e.kind.is_mcp("tools/call")).expect("a tools/call");
    assert_eq!(last.status, Some(200), "{}", dump());
    let bearer = last.request_header("authorization").and_then(|h| h.strip_prefix("Bearer ")).expect("a token");
    let iss = mock_idp::unverified_claims(bearer).and_then(|c| c.get("iss").cloned());
    assert_eq!(iss, Some(json!(m.b.issuer())), "the accepted call carried B's token");
}

/// Without the rule (the 2025-11-25 client: credentials are not keyed by issuer), the client goes
/// back to the AS it knows, never registers at the new one, and the call fails: C-33 fails.
#[tokio::test]
async fn a_client_without_the_rule_fails_c33() {
    let m = migrate(profile::builtin("mcp-spec-2025-11-25").unwrap()).await;
    let dump = || format!("{:#?}", m.transcript.redacted().exchanges);
    assert!(m.call.is_err(), "the old AS's tokens are refused after the migration\n{}", dump());
    let err = c33(&m).expect_err("C-33 must fail");
    assert!(err.contains("no registration at the new AS"), "{err}\n{}", dump());
    assert!(!m.transcript.notes.iter().any(|n| n.kind == NoteKind::AuthorizationServerChanged), "{}", dump());

    // The same 2026-07-28 client with only `credentials_by_issuer` off fails the same way.
    let mut p = profile::builtin("mcp-spec-2026-07-28").unwrap();
    let mut rules = p.oauth_rules();
    rules.credentials_by_issuer.value = false;
    p.oauth_rules = Some(rules);
    let m = migrate(p).await;
    assert!(m.call.is_err(), "{}", format!("{:#?}", m.transcript.redacted().exchanges));
    let err = c33(&m).expect_err("C-33 must fail with the rule off");
    assert!(err.contains("no registration at the new AS"), "{err}");
}
