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

/// The request line and headers as text, ready for a log entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    /// Method.
    pub method: String,
    /// Path.
    pub path: String,
    /// Raw query string.
    pub query: Option<String>,
    /// Headers in arrival order, values decoded lossily.
    pub headers: Vec<(String, String)>,
}

impl RequestHead {
    /// The head of `parts`, each path, query and header value passed through `cut` (a server
    /// facing hostile clients bounds what it keeps; one facing the harness may keep it whole).
    pub fn of(parts: &Parts, cut: impl Fn(String) -> String) -> RequestHead {
        RequestHead {
            method: parts.method.to_string(),
            path: cut(parts.uri.path().to_owned()),
            query: parts.uri.query().map(|q| cut(q.to_owned())),
            headers: parts
                .headers
                .iter()
                .map(|(k, v)| (k.to_string(), cut(String::from_utf8_lossy(v.as_bytes()).into_owned())))
                .collect(),
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
    fn the_head_is_text_and_every_value_goes_through_cut() {
        let (parts, ()) = Request::builder()
            .method("POST")
            .uri("/mcp?a=1")
            .header("x-long", "abcdef")
            .body(())
            .unwrap()
            .into_parts();
        let head = RequestHead::of(&parts, |s| s.chars().take(3).collect());
        assert_eq!(head.method, "POST");
        assert_eq!(head.path, "/mc");
        assert_eq!(head.query.as_deref(), Some("a=1"));
        assert_eq!(head.headers, vec![("x-long".to_owned(), "abc".to_owned())]);
    }
}
