//! `Origin` validation and CORS for the MCP endpoint.
//!
//! Streamable HTTP (2025-06-18 and 2025-11-25) §Security Warning: servers MUST validate `Origin`;
//! 2025-11-25 adds that an invalid `Origin` gets 403 (H-02). Allowed: the configured origins
//! (ChatGPT's by default) and, unless disabled, any loopback origin. Requests without `Origin`
//! (non-browser clients) are not affected.
//!
//! ChatGPT sends CORS preflights from `https://chatgpt.com` (GPT-12), so an `OPTIONS` from an
//! allowed origin is answered 204 with the Fetch standard's `Access-Control-*` headers, without
//! authentication (preflights never carry credentials), and every answer to an allowed origin
//! carries `Access-Control-Allow-Origin` and exposes `Mcp-Session-Id` and `WWW-Authenticate` so
//! browser code can read the session and the challenge.

use axum::http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE, ALLOW, ORIGIN, VARY,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use url::{Host, Url};

use super::faults::Fault;
use super::state::AppState;

/// `Access-Control-Allow-Methods` on preflights.
pub const ALLOW_METHODS: &str = "POST, GET, DELETE, OPTIONS";
/// `Access-Control-Allow-Headers` on preflights.
pub const ALLOW_HEADERS: &str =
    "authorization, content-type, mcp-session-id, mcp-protocol-version, accept, last-event-id";
/// `Access-Control-Expose-Headers` on responses.
pub const EXPOSE_HEADERS: &str = "mcp-session-id, www-authenticate";

/// The request's `Origin`, if it sent exactly one readable one (`Some("")` otherwise, which no
/// allow-list matches).
pub(crate) fn request_origin(headers: &HeaderMap) -> Option<&str> {
    let mut all = headers.get_all(ORIGIN).iter();
    let first = all.next()?;
    if all.next().is_some() {
        return Some("");
    }
    Some(first.to_str().unwrap_or(""))
}

/// Whether `origin` may call the endpoint. Fault switch: `NoOriginCheck` (H-02).
pub(crate) fn origin_allowed(st: &AppState, origin: &str) -> bool {
    if st.faults.has(Fault::NoOriginCheck) {
        return true;
    }
    if st.config.allowed_origins.iter().any(|o| o.eq_ignore_ascii_case(origin)) {
        return true;
    }
    st.config.allow_loopback_origins && is_loopback_origin(origin)
}

/// `http(s)://127.0.0.1`, `localhost` or `[::1]`, any port, nothing after the authority.
fn is_loopback_origin(origin: &str) -> bool {
    let Ok(u) = Url::parse(origin) else { return false };
    let loopback = match u.host() {
        Some(Host::Ipv4(a)) => a.is_loopback(),
        Some(Host::Ipv6(a)) => a.is_loopback(),
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    // A serialized origin has no path; Url adds "/", so compare with what it would serialize.
    loopback && matches!(u.scheme(), "http" | "https") && u.origin().ascii_serialization().eq_ignore_ascii_case(origin)
}

/// The answer to `OPTIONS` on the MCP endpoint (not reached under `NoCors`).
pub(crate) fn preflight(st: &AppState, headers: &HeaderMap) -> Response {
    let Some(origin) = request_origin(headers) else {
        // A plain OPTIONS (RFC 9110 §9.3.7): say what the endpoint supports.
        return (StatusCode::NO_CONTENT, [(ALLOW, "POST, DELETE, OPTIONS")]).into_response();
    };
    if !origin_allowed(st, origin) {
        return forbidden_origin();
    }
    let mut r = StatusCode::NO_CONTENT.into_response();
    let h = r.headers_mut();
    h.insert(ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static(ALLOW_METHODS));
    h.insert(ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static(ALLOW_HEADERS));
    h.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
    decorate(st, Some(origin), &mut r);
    r
}

/// Adds `Access-Control-Allow-Origin` (echoing an allowed origin) and the exposed headers.
/// Fault switch: `NoCors` (GPT-12).
pub(crate) fn decorate(st: &AppState, origin: Option<&str>, resp: &mut Response) {
    resp.headers_mut().append(VARY, HeaderValue::from_static("origin"));
    if st.faults.has(Fault::NoCors) {
        return;
    }
    let Some(origin) = origin.filter(|o| origin_allowed(st, o)) else { return };
    let Ok(v) = HeaderValue::from_str(origin) else { return };
    let h = resp.headers_mut();
    h.insert(ACCESS_CONTROL_ALLOW_ORIGIN, v);
    h.insert(ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static(EXPOSE_HEADERS));
}

/// 403 for a disallowed `Origin`; the body is a JSON-RPC error without an id, as the transport
/// spec allows.
pub(crate) fn forbidden_origin() -> Response {
    let body = super::mcp::error_body(serde_json::Value::Null, super::mcp::INVALID_REQUEST, "Origin not allowed");
    (StatusCode::FORBIDDEN, [(axum::http::header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_origins_are_recognised_exactly() {
        for ok in ["http://127.0.0.1:5173", "http://localhost:3000", "http://LOCALHOST", "https://[::1]:8443"] {
            assert!(is_loopback_origin(ok), "{ok}");
        }
        for bad in [
            "http://127.0.0.1.evil.example",
            "http://localhost.evil.example",
            "http://127.0.0.1:80/path",
            "file://localhost",
            "null",
            "",
            "http://evil.example",
        ] {
            assert!(!is_loopback_origin(bad), "{bad}");
        }
    }

    #[test]
    fn origin_header_reading() {
        let mut h = HeaderMap::new();
        assert_eq!(request_origin(&h), None);
        h.append(ORIGIN, HeaderValue::from_static("https://chatgpt.com"));
        assert_eq!(request_origin(&h), Some("https://chatgpt.com"));
        h.append(ORIGIN, HeaderValue::from_static("https://evil.example"));
        assert_eq!(request_origin(&h), Some(""));
    }
}
