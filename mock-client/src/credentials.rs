//! The client credentials a flow uses: typed in by the user, or obtained by registration.

use crate::profile::RegistrationKind;

/// Credentials the user supplies (a connector form's client id/secret, seed 001's `oauthClientId`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaticCredentials {
    /// Client id.
    pub client_id: String,
    /// Secret, for a confidential client.
    pub client_secret: Option<String>,
}

/// The client the flow uses.
#[derive(Debug, Clone, PartialEq)]
pub struct RegisteredClient {
    /// How it was obtained.
    pub kind: RegistrationKind,
    /// Client id.
    pub client_id: String,
    /// Secret.
    pub client_secret: Option<String>,
    /// The token-endpoint auth method it will use.
    pub auth_method: String,
    /// Its redirect URI.
    pub redirect_uri: String,
}
