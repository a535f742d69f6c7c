//! `--rewrite-urls`: each upstream's origin swapped for its route's origin in what the client
//! sees (response headers and bodies), and back in what the upstream sees (request URLs, headers
//! and bodies), so a client that starts at the proxied MCP URL stays on the proxies and the
//! upstreams still see their own URLs (a `resource` parameter, a token's audience).

/// Pairs of (from, to) origins, applied in order; plain and JSON-escaped (`\/`) spellings.
#[derive(Debug, Clone, Default)]
pub struct Rewrites(Vec<(String, String)>);

impl Rewrites {
    /// Rewrites each `from` origin to its `to` origin.
    pub fn new(pairs: impl IntoIterator<Item = (String, String)>) -> Rewrites {
        let mut v: Vec<(String, String)> = pairs.into_iter().filter(|(a, b)| a != b).collect();
        // Longest first, so an origin that prefixes another is not rewritten inside it.
        v.sort_by_key(|(a, _)| std::cmp::Reverse(a.len()));
        Rewrites(v)
    }

    /// The same pairs, reversed.
    pub fn inverse(&self) -> Rewrites {
        Rewrites::new(self.0.iter().map(|(a, b)| (b.clone(), a.clone())))
    }

    /// `text` with every origin rewritten: plain, JSON-escaped and percent-encoded spellings.
    pub fn apply(&self, text: &str) -> String {
        if self.0.is_empty() {
            return text.to_owned();
        }
        // Placeholders first, so a rewritten origin is not rewritten again by a later pair.
        let mut out = text.to_owned();
        let mut placed = Vec::new();
        for (i, (from, to)) in self.0.iter().enumerate() {
            for (f, t) in spellings(from).into_iter().zip(spellings(to)) {
                let mark = format!("\u{0}{i}-{}\u{0}", placed.len());
                if out.contains(&f) {
                    out = out.replace(&f, &mark);
                    placed.push((mark, t));
                }
            }
        }
        for (mark, t) in placed {
            out = out.replace(&mark, &t);
        }
        out
    }

    /// Whether nothing is rewritten.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// An origin as it appears in text: as is, JSON-escaped, and percent-encoded (a query value).
fn spellings(origin: &str) -> [String; 3] {
    let enc: String = url::form_urlencoded::byte_serialize(origin.as_bytes()).collect();
    [origin.to_owned(), origin.replace('/', "\\/"), enc]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_swapped_in_every_spelling_and_back() {
        let r = Rewrites::new([
            ("http://127.0.0.1:9000".to_owned(), "http://127.0.0.1:7000".to_owned()),
            ("http://127.0.0.1:9001".to_owned(), "http://127.0.0.1:7001".to_owned()),
        ]);
        let body = r#"{"resource":"http://127.0.0.1:9000/mcp","as":["http:\/\/127.0.0.1:9001"]}"#;
        let out = r.apply(body);
        assert_eq!(out, r#"{"resource":"http://127.0.0.1:7000/mcp","as":["http:\/\/127.0.0.1:7001"]}"#);
        assert_eq!(r.inverse().apply(&out), body);
        assert_eq!(
            r.inverse().apply("resource=http%3A%2F%2F127.0.0.1%3A7000%2Fmcp"),
            "resource=http%3A%2F%2F127.0.0.1%3A9000%2Fmcp"
        );
        // A swap does not chain: 9000→7000 and 7000→… would not rewrite twice.
        let swap = Rewrites::new([("a://x".to_owned(), "a://y".to_owned()), ("a://y".to_owned(), "a://x".to_owned())]);
        assert_eq!(swap.apply("a://x a://y"), "a://y a://x");
    }
}
