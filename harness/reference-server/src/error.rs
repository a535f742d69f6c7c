//! Errors of the reference server itself (not of the requests it judges: those are HTTP answers).

/// Why the reference server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReferenceError {
    /// The listening socket could not be bound.
    #[error("failed to bind the reference MCP server to {addr}")]
    Bind {
        /// The address tried.
        addr: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The configuration is unusable.
    #[error("invalid reference server configuration: {field}: {reason}")]
    Config {
        /// The offending field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

impl ReferenceError {
    pub(crate) fn config(field: &'static str, reason: impl Into<String>) -> Self {
        ReferenceError::Config { field, reason: reason.into() }
    }
}
