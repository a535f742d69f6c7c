//! Well-known URI suffixes (RFC 8615) the OAuth discovery of MCP uses.

/// RFC 9728 protected resource metadata.
pub const PROTECTED_RESOURCE: &str = "/.well-known/oauth-protected-resource";
/// RFC 8414 authorization server metadata.
pub const AUTHORIZATION_SERVER: &str = "/.well-known/oauth-authorization-server";
/// OpenID Connect discovery.
pub const OPENID_CONFIGURATION: &str = "/.well-known/openid-configuration";
