//! Errors of the client as a library. A server that fails the flow is not an error: that is an
//! [`crate::Outcome::Failed`]. These mean the client could not do its job at all.

/// The client could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// A URL the client was asked to use is not acceptable.
    #[error("refusing URL `{url}`: {reason}")]
    BadUrl {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// The address policy refused a URL (usually one the server under test named): an address
    /// ChatGPT could not reach either, or one no client should be steered to.
    #[error("refused to contact {url}: {refusal}")]
    Refused {
        /// The URL.
        url: String,
        /// The address, its class and the opt-in that would lift the refusal.
        refusal: net_policy::Refusal,
    },
    /// No response (timeout, refused, reset).
    #[error("request to {url} failed: {reason}")]
    Transport {
        /// The URL.
        url: String,
        /// What happened.
        reason: String,
    },
    /// A profile file is invalid.
    #[error("profile `{name}`: {reason}")]
    Profile {
        /// Profile name or file.
        name: String,
        /// Parser message.
        reason: String,
    },
    /// No such profile.
    #[error("unknown profile `{0}`; known: {1}")]
    UnknownProfile(String, String),
    /// A local server (the CIMD host) could not start.
    #[error("failed to start the client's metadata host: {0}")]
    Host(String),
    /// The manual login driver could not read the pasted URL.
    #[error("manual login: {0}")]
    Manual(String),
    /// The whole flow took too long.
    #[error("the connect flow did not finish within {0} s")]
    FlowTimeout(u64),
    /// What the run needs cannot be tested from here (a harness limit, not the server's failure).
    #[error("not testable here: {0}")]
    Untestable(String),
    /// Signing a client assertion failed.
    #[error("failed to sign the client assertion: {0}")]
    Signing(String),
}

impl From<client_profile::ProfileError> for ClientError {
    fn from(e: client_profile::ProfileError) -> Self {
        use client_profile::ProfileError as P;
        match e {
            P::Invalid { name, reason } => ClientError::Profile { name, reason },
            P::Unknown(name, known) => ClientError::UnknownProfile(name, known),
            // A kind added later reads as an invalid profile, with its own text.
            other => ClientError::Profile { name: String::new(), reason: other.to_string() },
        }
    }
}
