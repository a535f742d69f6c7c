//! The address policy as a user meets it: a server whose Protected Resource Metadata names an
//! authorization server on a private address is refused by `client` and `check`, with the URL,
//! the address class and the flag that would lift it; every command that follows server-named
//! URLs offers that flag.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_connector-harness"))
}

/// A server on loopback whose PRM names `https://10.1.2.3` as its authorization server; it
/// answers every other request 401 with a challenge (the MCP endpoint) or 404.
fn hostile() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let o = origin.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut s) = conn else { continue };
            let mut head = Vec::new();
            let mut buf = [0u8; 4096];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 65_536 {
                match s.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            let head = String::from_utf8_lossy(&head);
            let path = head.split_whitespace().nth(1).unwrap_or("/");
            let (status, extra, body) = if path.starts_with("/.well-known/oauth-protected-resource") {
                let prm = format!(r#"{{"resource":"{o}/mcp","authorization_servers":["https://10.1.2.3"]}}"#);
                ("200 OK", "Content-Type: application/json\r\n".to_owned(), prm)
            } else if path.starts_with("/mcp") {
                let challenge = format!(
                    "WWW-Authenticate: Bearer resource_metadata=\"{o}/.well-known/oauth-protected-resource\"\r\n"
                );
                ("401 Unauthorized", challenge, String::new())
            } else {
                ("404 Not Found", String::new(), String::new())
            };
            let _ = write!(
                s,
                "HTTP/1.1 {status}\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("{origin}/mcp")
}

const REFUSAL: &str = "refused to contact https://10.1.2.3/";
const CLASS: &str =
    "10.1.2.3 is a private address (RFC 1918); pass --allow-private-addresses if the server is an internal deployment";

#[test]
fn client_refuses_an_authorization_server_on_a_private_address() {
    let url = hostile();
    let o = bin().args(["client", "--profile", "chatgpt-2025-dcr", &url]).output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}\n{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.contains(REFUSAL) && out.contains(CLASS), "{out}");
}

#[test]
fn check_reports_the_refusal() {
    let url = hostile();
    let o = bin().args(["check", "--target", &url, "--profile", "chatgpt-2025-dcr", "--no-color"]).output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert_ne!(o.status.code(), Some(0), "{out}");
    assert!(out.contains(REFUSAL) && out.contains(CLASS), "{out}");
}

#[test]
fn every_command_that_follows_server_urls_offers_the_opt_in() {
    for cmd in ["check", "client", "run", "certify-idp", "idp"] {
        let o = bin().args([cmd, "--help"]).output().unwrap();
        let help = String::from_utf8_lossy(&o.stdout);
        assert!(help.contains("--allow-private-addresses"), "{cmd}:\n{help}");
    }
}
