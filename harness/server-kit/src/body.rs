//! Reading a request body whole, under a size limit and a deadline: a client (or the server
//! under test, for the callback servers) may send an endless or a trickling body.

use axum::body::{Body, Bytes};
use std::time::Duration;

/// How much of a body is read, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimits {
    /// Largest body accepted, in bytes.
    pub max_bytes: usize,
    /// Time allowed for the whole body to arrive; `None` relies on the client's own timeout.
    pub deadline: Option<Duration>,
}

/// Why a body was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BodyError {
    /// Longer than [`BodyLimits::max_bytes`], or the stream broke off.
    #[error("request body larger than {limit} bytes (or unreadable)")]
    TooLarge {
        /// The limit in force.
        limit: usize,
    },
    /// Not received within [`BodyLimits::deadline`].
    #[error("request body not received in time")]
    TimedOut,
}

/// Reads `body` whole within `limits`.
pub async fn read_body(body: Body, limits: BodyLimits) -> Result<Bytes, BodyError> {
    let read = axum::body::to_bytes(body, limits.max_bytes);
    let result = match limits.deadline {
        Some(d) => tokio::time::timeout(d, read).await.map_err(|_| BodyError::TimedOut)?,
        None => read.await,
    };
    result.map_err(|_| BodyError::TooLarge { limit: limits.max_bytes })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: BodyLimits = BodyLimits { max_bytes: 4, deadline: None };

    #[tokio::test]
    async fn a_body_within_the_limit_is_read_whole() {
        assert_eq!(read_body(Body::from("abcd"), LIMITS).await.unwrap(), Bytes::from("abcd"));
    }

    #[tokio::test]
    async fn a_body_over_the_limit_is_refused() {
        assert_eq!(read_body(Body::from("abcde"), LIMITS).await, Err(BodyError::TooLarge { limit: 4 }));
    }

    #[tokio::test]
    async fn a_body_that_never_arrives_times_out() {
        let limits = BodyLimits { max_bytes: 4, deadline: Some(Duration::ZERO) };
        assert_eq!(read_body(Body::new(Silent), limits).await, Err(BodyError::TimedOut));
    }

    /// A body whose first byte never comes.
    struct Silent;

    impl http_body::Body for Silent {
        type Data = Bytes;
        type Error = std::io::Error;
        fn poll_frame(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
            std::task::Poll::Pending
        }
    }
}
