//! The request-log step both servers run around every request: buffer the body within limits,
//! run the handler on the buffered copy, then hand the whole exchange to the server's own log.
//!
//! Each server keeps its own log type (the reference server also notes the JSON-RPC method and
//! whether a token came; the IdP cuts every value), so this module gives them the exchange and
//! the common head fields rather than one record type.

use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use serde::Serialize;

use crate::body::{BodyError, BodyLimits, read_body};

/// One exchange as the log sees it.
#[derive(Debug)]
pub struct Exchange<'a> {
    /// The request's method, URI and headers.
    pub parts: &'a Parts,
    /// The body the handler saw, or why none was read (then the handler did not run).
    pub body: Result<&'a [u8], BodyError>,
    /// The status answered.
    pub status: StatusCode,
}

/// One HTTP request a server received, as its request log keeps it. `E` is what one server adds
/// (the reference server: the JSON-RPC method and whether a token came; the IdP: nothing); it is
/// serialised inline, between the body and the status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoggedRequest<E = ()> {
    /// Order of arrival, from 1 (set by the log).
    pub seq: u64,
    /// Method.
    pub method: String,
    /// Path.
    pub path: String,
    /// Raw query string.
    pub query: Option<String>,
    /// Headers in arrival order (values decoded lossily; secrets kept, because tests compare
    /// them and the harness's redaction needs the exact strings to hide).
    pub headers: Vec<(String, String)>,
    /// Body as text (lossy UTF-8, as cut by the server).
    pub body: String,
    /// What this server records besides.
    #[serde(flatten)]
    pub extra: E,
    /// The status answered.
    pub status: u16,
}

impl<E> LoggedRequest<E> {
    /// The entry for `ex` (numbered 0 until the log numbers it): path, query and header values
    /// pass through `cut` (a server facing hostile clients bounds what it keeps), `body` is the
    /// body as the server chose to show it.
    pub fn of(ex: &Exchange<'_>, cut: impl Fn(String) -> String, body: String, extra: E) -> Self {
        let parts = ex.parts;
        LoggedRequest {
            seq: 0,
            method: parts.method.to_string(),
            path: cut(parts.uri.path().to_owned()),
            query: parts.uri.query().map(|q| cut(q.to_owned())),
            headers: parts
                .headers
                .iter()
                .map(|(k, v)| (k.to_string(), cut(String::from_utf8_lossy(v.as_bytes()).into_owned())))
                .collect(),
            body,
            extra,
            status: ex.status.as_u16(),
        }
    }
}

/// Middleware body: reads the request body within `limits`; when it cannot, answers `refuse`'s
/// response without running the handler; otherwise runs `next` on the buffered body. Either way
/// `record` sees the exchange once the answer is known.
pub async fn buffer_and_record(
    req: Request,
    next: Next,
    limits: BodyLimits,
    refuse: impl FnOnce(BodyError) -> Response,
    record: impl FnOnce(Exchange<'_>),
) -> Response {
    let (parts, body) = req.into_parts();
    match read_body(body, limits).await {
        Ok(bytes) => {
            let resp = next.run(Request::from_parts(parts.clone(), Body::from(bytes.clone()))).await;
            record(Exchange { parts: &parts, body: Ok(&bytes), status: resp.status() });
            resp
        }
        Err(e) => {
            let resp = refuse(e);
            record(Exchange { parts: &parts, body: Err(e), status: resp.status() });
            resp
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_text_and_every_value_goes_through_cut() {
        let (parts, ()) =
            Request::builder().method("POST").uri("/mcp?a=1").header("x-long", "abcdef").body(()).unwrap().into_parts();
        let ex = Exchange { parts: &parts, body: Ok(b""), status: StatusCode::CREATED };
        let entry = LoggedRequest::of(&ex, |s| s.chars().take(3).collect(), "b".into(), ());
        assert_eq!(entry.method, "POST");
        assert_eq!(entry.path, "/mc");
        assert_eq!(entry.query.as_deref(), Some("a=1"));
        assert_eq!(entry.headers, vec![("x-long".to_owned(), "abc".to_owned())]);
        assert_eq!((entry.body.as_str(), entry.status), ("b", 201));
    }

    #[test]
    fn extra_fields_serialise_inline_and_none_adds_nothing() {
        #[derive(Serialize)]
        struct Extra {
            note: u8,
        }
        let plain = LoggedRequest {
            seq: 1,
            method: "GET".into(),
            path: "/".into(),
            query: None,
            headers: vec![],
            body: String::new(),
            extra: (),
            status: 200,
        };
        let keys = |v: serde_json::Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        assert_eq!(
            keys(serde_json::to_value(&plain).unwrap()),
            ["seq", "method", "path", "query", "headers", "body", "status"]
        );
        let with = LoggedRequest {
            extra: Extra { note: 7 },
            seq: 1,
            method: "GET".into(),
            path: "/".into(),
            query: None,
            headers: vec![],
            body: String::new(),
            status: 200,
        };
        let v = serde_json::to_value(&with).unwrap();
        assert_eq!(v["note"], 7);
        assert_eq!(keys(v), ["seq", "method", "path", "query", "headers", "body", "note", "status"]);
    }
}
