//! The negative token battery as vocabulary: the ways an access token can be wrong that a
//! resource server must refuse. The mock IdP mints them; the probes send them; the checks judge
//! the answers by kind. Data only: minting lives with the IdP's keys.

use serde::{Deserialize, Serialize};

/// The negative token battery: each is wrong in exactly one way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum NegativeToken {
    /// `alg: none`.
    AlgNone,
    /// HS256 with the RSA public key as secret.
    Hs256WithPublicKey,
    /// Unknown `kid`.
    UnknownKid,
    /// Signed by a foreign key.
    ForeignKey,
    /// `exp` an hour ago.
    Expired,
    /// `nbf` an hour ahead.
    NotYetValid,
    /// `iss` of another issuer.
    WrongIssuer,
    /// `aud` of another host's resource.
    WrongAudience,
    /// No `aud` claim.
    MissingAudience,
    /// `aud` is an array that does not contain the resource.
    AudienceArrayWithoutResource,
    /// A genuine token from the same IdP for another resource on the same host.
    OtherResourceSameIdp,
}

impl NegativeToken {
    /// The whole battery, in a stable order.
    pub const ALL: [NegativeToken; 11] = [
        NegativeToken::AlgNone,
        NegativeToken::Hs256WithPublicKey,
        NegativeToken::UnknownKid,
        NegativeToken::ForeignKey,
        NegativeToken::Expired,
        NegativeToken::NotYetValid,
        NegativeToken::WrongIssuer,
        NegativeToken::WrongAudience,
        NegativeToken::MissingAudience,
        NegativeToken::AudienceArrayWithoutResource,
        NegativeToken::OtherResourceSameIdp,
    ];

    /// One line for reports.
    pub fn describe(self) -> &'static str {
        match self {
            NegativeToken::AlgNone => "unsigned token (alg: none)",
            NegativeToken::Hs256WithPublicKey => "HS256 token keyed with the IdP's RSA public key",
            NegativeToken::UnknownKid => "token whose kid is not in the JWKS",
            NegativeToken::ForeignKey => "token signed by a key the IdP never published",
            NegativeToken::Expired => "token that expired an hour ago",
            NegativeToken::NotYetValid => "token whose nbf is an hour ahead",
            NegativeToken::WrongIssuer => "token with a foreign iss",
            NegativeToken::WrongAudience => "token for another host's resource",
            NegativeToken::MissingAudience => "token without aud",
            NegativeToken::AudienceArrayWithoutResource => "token whose aud array omits this resource",
            NegativeToken::OtherResourceSameIdp => {
                "genuine token from the same IdP for another resource on the same host"
            }
        }
    }
}
