//! Why a profile could not be loaded. The mock client wraps these in its own error with the same
//! text, so a bad profile reads the same wherever it is loaded.

/// A profile could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProfileError {
    /// A profile file is invalid.
    #[error("profile `{name}`: {reason}")]
    Invalid {
        /// Profile name or file.
        name: String,
        /// Parser message.
        reason: String,
    },
    /// No such profile.
    #[error("unknown profile `{0}`; known: {1}")]
    Unknown(String, String),
}
