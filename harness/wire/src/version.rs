//! MCP specification revisions as a type, not strings.

use std::fmt;
use std::str::FromStr;

/// An MCP specification revision the harness knows. Ordered by date, so `v >= SpecVersion::V2025_11_25`
/// reads as "this revision or a later one".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum SpecVersion {
    /// 2025-03-26: the first Streamable HTTP revision. Servers still negotiate it; the harness does
    /// not judge against it.
    V2025_03_26,
    /// 2025-06-18: OAuth resource-server rules (RFC 9728 PRM, `resource` indicators).
    V2025_06_18,
    /// 2025-11-25: CIMD, the `scope` challenge parameter, the path-inserted PRM lookup order.
    V2025_11_25,
    /// 2026-07-28: stateless — `server/discover`, no `initialize`, no sessions, routing headers.
    V2026_07_28,
}

impl SpecVersion {
    /// Every revision the harness knows, oldest first.
    pub const ALL: [SpecVersion; 4] =
        [SpecVersion::V2025_03_26, SpecVersion::V2025_06_18, SpecVersion::V2025_11_25, SpecVersion::V2026_07_28];
    /// The revisions a requirement catalogue entry may name (2025-03-26 predates the authorization rules
    /// the harness judges).
    pub const CATALOGUED: [SpecVersion; 3] =
        [SpecVersion::V2025_06_18, SpecVersion::V2025_11_25, SpecVersion::V2026_07_28];
    /// The newest revision that speaks the `initialize` handshake and sessions.
    pub const NEWEST_LEGACY: SpecVersion = SpecVersion::V2025_11_25;
    /// The newest revision the harness knows.
    pub const NEWEST: SpecVersion = SpecVersion::V2026_07_28;

    /// The revision's date string, as it appears on the wire (`protocolVersion`, `MCP-Protocol-Version`).
    pub const fn as_str(self) -> &'static str {
        match self {
            SpecVersion::V2025_03_26 => "2025-03-26",
            SpecVersion::V2025_06_18 => "2025-06-18",
            SpecVersion::V2025_11_25 => "2025-11-25",
            SpecVersion::V2026_07_28 => "2026-07-28",
        }
    }

    /// Parse a wire string; `None` for a revision the harness does not know (a server may name one).
    pub fn parse(s: &str) -> Option<SpecVersion> {
        SpecVersion::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// Whether this revision is the stateless era: `server/discover` instead of `initialize`, no
    /// `Mcp-Session-Id`, routing headers on every request.
    pub const fn is_stateless(self) -> bool {
        matches!(self, SpecVersion::V2026_07_28)
    }
}

impl fmt::Display for SpecVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A version string the harness does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown MCP spec version {0:?} (known: 2025-03-26, 2025-06-18, 2025-11-25, 2026-07-28)")]
pub struct UnknownSpecVersion(pub String);

impl FromStr for SpecVersion {
    type Err = UnknownSpecVersion;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SpecVersion::parse(s).ok_or_else(|| UnknownSpecVersion(s.to_owned()))
    }
}

impl serde::Serialize for SpecVersion {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for SpecVersion {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_version_through_its_wire_string() {
        for v in SpecVersion::ALL {
            assert_eq!(v.as_str().parse::<SpecVersion>().unwrap(), v);
            assert_eq!(serde_json::to_string(&v).unwrap(), format!("\"{v}\""));
            assert_eq!(serde_json::from_str::<SpecVersion>(&format!("\"{v}\"")).unwrap(), v);
        }
    }

    #[test]
    fn orders_by_date_and_refuses_unknown_strings() {
        assert!(SpecVersion::V2025_06_18 < SpecVersion::V2025_11_25);
        assert!(SpecVersion::NEWEST > SpecVersion::NEWEST_LEGACY);
        assert!(SpecVersion::parse("2024-11-05").is_none());
        assert!(serde_json::from_str::<SpecVersion>("\"2099-01-01\"").is_err());
        assert!(SpecVersion::V2026_07_28.is_stateless() && !SpecVersion::V2025_11_25.is_stateless());
    }
}
