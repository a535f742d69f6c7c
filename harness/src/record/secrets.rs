//! The secrets a proxied exchange carries, found so the transcript can hide them when written:
//! bearer tokens, Basic credentials, codes, verifiers, states, refresh tokens, client secrets and
//! assertions, session ids and cookies. The transcript's redaction then hides each in every
//! encoding it knows (plain, percent-encoded, JSON-escaped, base64).

use base64::Engine;
use mock_client::{Exchange, SecretKind, Transcript};

use super::classify::form_value;

const FORM_FIELDS: [(&str, SecretKind); 8] = [
    ("code", SecretKind::Code),
    ("code_verifier", SecretKind::Verifier),
    ("refresh_token", SecretKind::RefreshToken),
    ("client_secret", SecretKind::ClientSecret),
    ("client_assertion", SecretKind::Assertion),
    ("password", SecretKind::Password),
    ("state", SecretKind::State),
    ("access_token", SecretKind::Token),
];

const JSON_FIELDS: [(&str, SecretKind); 5] = [
    ("access_token", SecretKind::Token),
    ("refresh_token", SecretKind::RefreshToken),
    ("id_token", SecretKind::Token),
    ("client_secret", SecretKind::ClientSecret),
    ("registration_access_token", SecretKind::Token),
];

/// Registers in `t` every secret `e` carries.
pub fn harvest(t: &mut Transcript, e: &Exchange) {
    let mut found: Vec<(SecretKind, String)> = Vec::new();
    for (k, v) in &e.request_headers {
        if k.eq_ignore_ascii_case("authorization") {
            let (scheme, value) = v.split_once(' ').unwrap_or(("", v.as_str()));
            if scheme.eq_ignore_ascii_case("basic")
                && let Ok(b) = base64::engine::general_purpose::STANDARD.decode(value.trim())
                && let Some((_, secret)) = String::from_utf8_lossy(&b).split_once(':')
            {
                found.push((SecretKind::ClientSecret, secret.to_owned()));
            }
            found.push((SecretKind::Token, value.trim().to_owned()));
        } else if k.eq_ignore_ascii_case("cookie") {
            for pair in v.split(';') {
                if let Some((_, val)) = pair.split_once('=') {
                    found.push((SecretKind::Cookie, val.trim().to_owned()));
                }
            }
        } else if k.eq_ignore_ascii_case(mcp_wire::headers::MCP_SESSION_ID) {
            found.push((SecretKind::SessionId, v.clone()));
        }
    }
    for (k, v) in &e.response_headers {
        if k.eq_ignore_ascii_case("set-cookie") {
            if let Some((_, val)) = v.split(';').next().unwrap_or_default().split_once('=') {
                found.push((SecretKind::Cookie, val.trim().to_owned()));
            }
        } else if k.eq_ignore_ascii_case("location") {
            let query = v.split_once('?').map(|(_, q)| q).unwrap_or_default();
            form_fields(query, &mut found);
        } else if k.eq_ignore_ascii_case(mcp_wire::headers::MCP_SESSION_ID) {
            found.push((SecretKind::SessionId, v.clone()));
        }
    }
    let query = e.url.split_once('?').map(|(_, q)| q.split('#').next().unwrap_or_default()).unwrap_or_default();
    form_fields(query, &mut found);
    if let Some(body) = &e.request_body {
        form_fields(body, &mut found);
    }
    for body in [&e.request_body, &e.response_body].into_iter().flatten() {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(body) {
            for (field, kind) in JSON_FIELDS {
                if let Some(s) = v.get(field).and_then(|s| s.as_str()) {
                    found.push((kind, s.to_owned()));
                }
            }
        }
    }
    for (kind, value) in found {
        // Short values ("1", "x") would hide unrelated text everywhere.
        if value.len() >= 6 {
            t.add_secret(kind, &value);
        }
    }
}

fn form_fields(form: &str, found: &mut Vec<(SecretKind, String)>) {
    if form.is_empty() || form.trim_start().starts_with('{') {
        return;
    }
    for (field, kind) in FORM_FIELDS {
        if let Some(v) = form_value(form, field) {
            found.push((kind, v));
        }
    }
}
