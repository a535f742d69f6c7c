//! Where a catalogue source can be read on the web: the published page of an MCP revision, the
//! RFC Editor's copy of an RFC, the conformance suite's repository. Reports put this in
//! `specReferences[].url`, as the official checks format does; the line or section the catalogue
//! cites stays beside it in `location`, because the published pages carry no line numbers.
//!
//! A source with no public page (the project's own research notes) gets no URL rather than a
//! made-up one.

/// The MCP site that publishes every revision of the specification.
const MCP_SITE: &str = "https://modelcontextprotocol.io";

/// The public URL of a catalogue source `id`, with `at` (`§3.1`, `L61-63`, a test name) used for
/// an anchor where the page has one (RFC sections).
pub fn url(id: &str, at: &str) -> Option<String> {
    if let Some(n) = id.strip_prefix("RFC").filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())) {
        return Some(format!("https://www.rfc-editor.org/rfc/rfc{n}.html{}", section_anchor(at)));
    }
    match id {
        "OAuth-2.1" => {
            return Some(format!("https://datatracker.ietf.org/doc/html/draft-ietf-oauth-v2-1{}", section_anchor(at)));
        }
        "CONF" => return Some("https://github.com/modelcontextprotocol/conformance/tree/c321dd32".into()),
        "Fetch" => return Some("https://fetch.spec.whatwg.org/#cors-preflight-fetch".into()),
        _ => {}
    }
    let rest = id.strip_prefix("MCP-")?;
    let (rev, page) = if let Some(page) = rest.strip_prefix("draft-") {
        ("draft", page)
    } else {
        // `2025-11-25-authorization`: the revision is the first ten characters.
        let (rev, page) = (rest.get(..10)?, rest.get(11..)?);
        (rev, page)
    };
    let path = match page {
        "security-best-practices" => {
            return Some(format!("{MCP_SITE}/docs/tutorials/security/security_best_practices"));
        }
        "changelog" => "changelog",
        "lifecycle" => "basic/lifecycle",
        "basic" => "basic",
        "versioning" => "basic/versioning",
        "transports" => "basic/transports",
        "streamable-http" => "basic/transports/streamable-http",
        "authorization" => "basic/authorization",
        "authorization-server-discovery" => "basic/authorization/authorization-server-discovery",
        "client-registration" => "basic/authorization/client-registration",
        "server-discover" => "server/discover",
        "caching" => "server/utilities/caching",
        _ => return None,
    };
    Some(format!("{MCP_SITE}/specification/{rev}/{path}"))
}

/// `#section-3.1` for `§3.1` / `§3.1a` / `§ 3.1, …`; empty when `at` names no section.
fn section_anchor(at: &str) -> String {
    let Some(rest) = at.trim().strip_prefix('§') else { return String::new() };
    let number: String = rest.trim_start().chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
    let number = number.trim_end_matches('.');
    if number.is_empty() { String::new() } else { format!("#section-{number}") }
}

#[cfg(test)]
mod tests {
    use super::url;

    #[test]
    fn urls_point_at_the_published_pages_and_rfc_sections() {
        assert_eq!(url("RFC9728", "§3.1").unwrap(), "https://www.rfc-editor.org/rfc/rfc9728.html#section-3.1");
        assert_eq!(url("RFC8707", "§2, L10").unwrap(), "https://www.rfc-editor.org/rfc/rfc8707.html#section-2");
        assert_eq!(url("RFC6750", "L3").unwrap(), "https://www.rfc-editor.org/rfc/rfc6750.html");
        assert_eq!(
            url("MCP-2025-11-25-authorization", "L63").unwrap(),
            "https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization"
        );
        assert_eq!(
            url("MCP-2026-07-28-streamable-http", "L1").unwrap(),
            "https://modelcontextprotocol.io/specification/2026-07-28/basic/transports/streamable-http"
        );
        assert_eq!(
            url("MCP-draft-authorization-server-discovery", "L94").unwrap(),
            "https://modelcontextprotocol.io/specification/draft/basic/authorization/authorization-server-discovery"
        );
        assert_eq!(url("MCP-2025-11-25-nonsense", "L1"), None);
        assert_eq!(url("chatgpt-research", "§1.2"), None);
        assert_eq!(url("RFC", "§1"), None);
    }
}
