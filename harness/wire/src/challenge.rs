//! `WWW-Authenticate` parsing (RFC 9110 §11.6.1 auth-params, RFC 6750 §3 Bearer attributes).

use serde_json::Value;
use std::collections::BTreeMap;

/// One challenge: its scheme and parameters (names lower-cased).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Challenge {
    /// `Bearer`, `Basic`, …
    pub scheme: String,
    /// Parameters.
    pub params: BTreeMap<String, String>,
}

impl Challenge {
    /// A parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }
    /// The `scope` as a list.
    pub fn scopes(&self) -> Vec<String> {
        self.param("scope")
            .map(|s| s.split(' ').filter(|x| !x.is_empty()).map(str::to_owned).collect())
            .unwrap_or_default()
    }
}

/// Parses every challenge in a header value. Unparseable input yields what could be read; it
/// never panics (the server under test controls this text).
pub fn parse(header: &str) -> Vec<Challenge> {
    let mut out: Vec<Challenge> = Vec::new();
    let b = header.as_bytes();
    let mut i = 0;
    let token_char = |c: u8| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~/".contains(&c);
    let skip_ws = |i: &mut usize| {
        while *i < b.len() && (b[*i] == b' ' || b[*i] == b'\t') {
            *i += 1;
        }
    };
    // Bounded: every iteration consumes at least one byte.
    while i < b.len() {
        skip_ws(&mut i);
        while i < b.len() && b[i] == b',' {
            i += 1;
            skip_ws(&mut i);
        }
        let start = i;
        while i < b.len() && token_char(b[i]) {
            i += 1;
        }
        if i == start {
            i += 1;
            continue;
        }
        let word = &header[start..i];
        skip_ws(&mut i);
        if i < b.len() && b[i] == b'=' {
            // A parameter of the current challenge.
            i += 1;
            skip_ws(&mut i);
            let value = if i < b.len() && b[i] == b'"' {
                i += 1;
                let mut v = String::new();
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' && i + 1 < b.len() {
                        i += 1;
                    }
                    let ch = header[i..].chars().next().unwrap_or(' ');
                    v.push(ch);
                    i += ch.len_utf8();
                }
                i += 1;
                v
            } else {
                let s = i;
                while i < b.len() && b[i] != b',' && b[i] != b' ' {
                    i += 1;
                }
                header[s..i].to_owned()
            };
            if let Some(c) = out.last_mut() {
                c.params.insert(word.to_ascii_lowercase(), value);
            }
        } else {
            out.push(Challenge { scheme: word.to_owned(), params: BTreeMap::new() });
        }
    }
    out
}

/// The Bearer challenge of a header, if any.
pub fn bearer(header: &str) -> Option<Challenge> {
    parse(header).into_iter().find(|c| c.scheme.eq_ignore_ascii_case("bearer"))
}

/// The challenges a tool result carries in `_meta["mcp/www_authenticate"]` (Apps SDK).
pub fn tool_challenges(result: &Value) -> Vec<Challenge> {
    let is_error = result.get("isError") == Some(&Value::Bool(true));
    let list = result.get("_meta").and_then(|m| m.get("mcp/www_authenticate"));
    if !is_error {
        return Vec::new();
    }
    match list {
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).filter_map(bearer).collect(),
        Some(Value::String(s)) => bearer(s).into_iter().collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_with_quoted_and_token_params() {
        let c = bearer(r#"Bearer resource_metadata="https://x/.well-known/oauth-protected-resource", scope="a b", error=invalid_token"#).unwrap();
        assert_eq!(c.param("resource_metadata"), Some("https://x/.well-known/oauth-protected-resource"));
        assert_eq!(c.scopes(), vec!["a", "b"]);
        assert_eq!(c.param("error"), Some("invalid_token"));
    }

    #[test]
    fn several_challenges_escapes_and_junk() {
        let cs = parse(r#"Basic realm="a, b", Bearer realm="ownsona", error_description="say \"hi\"""#);
        assert_eq!(cs.len(), 2);
        assert_eq!(cs[0].param("realm"), Some("a, b"));
        assert_eq!(cs[1].param("error_description"), Some("say \"hi\""));
        assert_eq!(bearer("Bearer").unwrap().params.len(), 0);
        for junk in ["", "=", "\"", "Bearer =\"", ",,,", "Bearer x=\"unterminated", "ü=ö"] {
            let _ = parse(junk);
        }
    }
}
