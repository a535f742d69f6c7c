//! Finding known secret values in text however the server under test wrote them.
//!
//! A hostile or merely careless server echoes what it received — in a JSON string with escaped
//! slashes (PHP's default) or `\uXXXX` escapes, percent- or form-encoded in a URL, HTML-escaped in
//! a page, base64 in an echoed `Authorization: Basic` header — so matching the literal value is not
//! enough. A text is decoded once, one escape level at a time (JSON escapes with surrogate pairs,
//! `%HH` in either case, `+` for space, HTML character references, all mixed freely), up to
//! [`MAX_NESTING`] levels (`%252F`, a `\u0025` before `2F`), keeping for every decoded byte the
//! span of the original text it came from. Every secret is searched in every level, and the
//! original span of a hit is replaced whole. Base64 runs (standard or URL-safe alphabet, padded or
//! not, at every alignment, literal or escaped) are decoded and replaced by `<base64 of …>` with
//! the secrets hidden when their decoding carries one.
//!
//! Matching is still of known values only, never a guess by pattern: text that does not decode to
//! a registered secret is left alone.

use std::ops::Range;

/// How deep encodings may nest (`%2F` is 1, `%252F` or `\u0025` + `2F` is 2).
const MAX_NESTING: usize = 3;

/// How deep base64 may nest (base64 of a text holding base64 of a secret).
const MAX_BASE64_NESTING: u8 = 2;

/// One reading of a text: the decoded bytes and, for each, the span of the original text.
struct Level {
    text: Vec<u8>,
    spans: Vec<Range<usize>>,
}

/// A text and its decodings, computed once and searched for every secret.
struct Decoded {
    levels: Vec<Level>,
    /// The levels of the chain that keeps `+` (base64 runs are read there, and in the text).
    plus_kept: Vec<usize>,
}

fn may_escape(b: u8) -> bool {
    matches!(b, b'%' | b'\\' | b'&' | b'+')
}

impl Decoded {
    fn new(text: &str) -> Decoded {
        let raw = text.as_bytes();
        let mut levels = vec![Level { text: raw.to_vec(), spans: (0..raw.len()).map(|i| i..i + 1).collect() }];
        let mut plus_kept = Vec::new();
        if !raw.iter().any(|&b| may_escape(b)) {
            return Decoded { levels, plus_kept };
        }
        // Three chains: every escape with `+` read as a space (forms); every escape with `+` kept
        // (a `+` inside a base64 token); and JSON and HTML escapes only, for a secret holding a
        // literal `%HH` inside a JSON string.
        for (plus_is_space, percent) in [(true, true), (false, true), (false, false)] {
            let mut prev = 0;
            for _ in 0..MAX_NESTING {
                let Some(next) = decode_once(&levels[prev], plus_is_space, percent) else { break };
                levels.push(next);
                prev = levels.len() - 1;
                if !plus_is_space && percent {
                    plus_kept.push(prev);
                }
            }
        }
        Decoded { levels, plus_kept }
    }

    /// Original spans where `secret` occurs in some level.
    fn find(&self, secret: &[u8], out: &mut Vec<Range<usize>>) {
        if secret.is_empty() {
            return;
        }
        for l in &self.levels {
            let mut from = 0;
            while let Some(i) = find_bytes(&l.text[from..], secret) {
                let (a, b) = (from + i, from + i + secret.len());
                out.push(l.spans[a].start..l.spans[b - 1].end);
                from = a + 1;
            }
        }
    }
}

fn find_bytes(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let first = needle[0];
    let mut i = 0;
    while i + needle.len() <= hay.len() {
        let j = hay[i..=hay.len() - needle.len()].iter().position(|&b| b == first)?;
        i += j;
        if hay[i..].starts_with(needle) {
            return Some(i);
        }
        i += 1;
    }
    None
}

fn hex(c: u8) -> Option<u32> {
    (c as char).to_digit(16)
}

/// Decodes every escape of `l` one level (percent-encoding only if `percent`); `None` when
/// nothing changed.
fn decode_once(l: &Level, plus_is_space: bool, percent: bool) -> Option<Level> {
    let t = &l.text;
    let mut text = Vec::with_capacity(t.len());
    let mut spans = Vec::with_capacity(t.len());
    let mut changed = false;
    let mut i = 0;
    let span = |a: usize, b: usize| l.spans[a].start..l.spans[b - 1].end;
    while i < t.len() {
        let b = t[i];
        let push = |bytes: &[u8], n: usize, text: &mut Vec<u8>, spans: &mut Vec<Range<usize>>| {
            for &x in bytes {
                text.push(x);
                spans.push(span(i, i + n));
            }
            n
        };
        let n = match b {
            b'%' if percent && i + 2 < t.len() => match (hex(t[i + 1]), hex(t[i + 2])) {
                (Some(h), Some(lo)) => push(&[(h * 16 + lo) as u8], 3, &mut text, &mut spans),
                _ => 0,
            },
            b'+' if plus_is_space => push(b" ", 1, &mut text, &mut spans),
            b'\\' if i + 1 < t.len() => {
                let simple = match t[i + 1] {
                    b'"' => Some(b'"'),
                    b'\\' => Some(b'\\'),
                    b'/' => Some(b'/'),
                    b'b' => Some(0x08),
                    b'f' => Some(0x0c),
                    b'n' => Some(b'\n'),
                    b'r' => Some(b'\r'),
                    b't' => Some(b'\t'),
                    _ => None,
                };
                match simple {
                    Some(c) => push(&[c], 2, &mut text, &mut spans),
                    None => match json_u(t, i) {
                        Some((c, n)) => {
                            let mut buf = [0; 4];
                            push(c.encode_utf8(&mut buf).as_bytes(), n, &mut text, &mut spans)
                        }
                        None => 0,
                    },
                }
            }
            b'&' => match html_ref(t, i) {
                Some((c, n)) => {
                    let mut buf = [0; 4];
                    push(c.encode_utf8(&mut buf).as_bytes(), n, &mut text, &mut spans)
                }
                None => 0,
            },
            _ => 0,
        };
        if n == 0 {
            text.push(b);
            spans.push(l.spans[i].clone());
            i += 1;
        } else {
            changed = true;
            i += n;
        }
    }
    changed.then_some(Level { text, spans })
}

/// `\uXXXX` (a surrogate pair as two) at `i`: the character and the bytes taken.
fn json_u(t: &[u8], i: usize) -> Option<(char, usize)> {
    let unit = |at: usize| -> Option<u32> {
        if t.get(at) != Some(&b'\\') || t.get(at + 1) != Some(&b'u') || t.len() < at + 6 {
            return None;
        }
        t[at + 2..at + 6].iter().try_fold(0u32, |acc, &c| hex(c).map(|d| acc * 16 + d))
    };
    let hi = unit(i)?;
    if (0xD800..0xDC00).contains(&hi) {
        let lo = unit(i + 6).filter(|lo| (0xDC00..0xE000).contains(lo))?;
        let c = char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))?;
        return Some((c, 12));
    }
    char::from_u32(hi).map(|c| (c, 6))
}

/// `&#47;`, `&#x2f;` or one of the five named references XML knows, at `i`.
fn html_ref(t: &[u8], i: usize) -> Option<(char, usize)> {
    let rest = &t[i + 1..t.len().min(i + 12)];
    let end = rest.iter().position(|&c| c == b';')?;
    let name = &rest[..end];
    let c = match name {
        b"amp" => Some('&'),
        b"lt" => Some('<'),
        b"gt" => Some('>'),
        b"quot" => Some('"'),
        b"apos" => Some('\''),
        [b'#', b'x' | b'X', h @ ..] if !h.is_empty() => {
            std::str::from_utf8(h).ok().and_then(|h| u32::from_str_radix(h, 16).ok()).and_then(char::from_u32)
        }
        [b'#', d @ ..] if !d.is_empty() => {
            std::str::from_utf8(d).ok().and_then(|d| d.parse::<u32>().ok()).and_then(char::from_u32)
        }
        _ => None,
    }?;
    Some((c, end + 2))
}

/// Secrets and their placeholders, longest first, ready to hide in any number of texts.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    names: Vec<(String, String)>,
    min_base64: usize,
}

impl Redactor {
    /// `(secret, placeholder)` pairs; empty secrets are ignored.
    pub fn new(names: impl IntoIterator<Item = (String, String)>) -> Redactor {
        let mut names: Vec<(String, String)> = names.into_iter().filter(|(v, _)| !v.is_empty()).collect();
        names.sort_by_key(|(v, _)| std::cmp::Reverse(v.len()));
        // Base64 of the shortest secret is at least this long.
        let shortest = names.iter().map(|(v, _)| v.len()).min().unwrap_or(0);
        Redactor { names, min_base64: (shortest * 4).div_ceil(3).max(6) }
    }

    /// `text` with every secret replaced by its placeholder, in every encoding.
    pub fn hide(&self, text: &str) -> String {
        self.hide_found(text).0
    }

    /// [`Redactor::hide`], and the indices (in the order given to [`Redactor::new`] after sorting)
    /// of the secrets found.
    fn hide_found(&self, text: &str) -> (String, Vec<usize>) {
        self.hide_at(text, 0)
    }

    /// Whether `text` carries the secret `value` in any encoding.
    pub fn carries(&self, text: &str, value: &str) -> bool {
        let (_, found) = self.hide_found(text);
        found.iter().any(|&i| self.names[i].0 == value)
    }

    /// [`Redactor::hide`] over every string (and key) of a JSON value, so structured detail is
    /// redacted after JSON decoding, not in its serialised form.
    pub fn hide_value(&self, v: &serde_json::Value) -> serde_json::Value {
        use serde_json::Value;
        match v {
            Value::String(s) => Value::String(self.hide(s)),
            Value::Array(a) => Value::Array(a.iter().map(|x| self.hide_value(x)).collect()),
            Value::Object(m) => Value::Object(m.iter().map(|(k, x)| (self.hide(k), self.hide_value(x))).collect()),
            other => other.clone(),
        }
    }

    /// [`Redactor::hide`], and the values of the secrets `text` carried, from one pass.
    pub fn hide_finding(&self, text: &str) -> (String, Vec<&str>) {
        let (hidden, found) = self.hide_found(text);
        (hidden, found.into_iter().map(|i| self.names[i].0.as_str()).collect())
    }

    fn hide_at(&self, text: &str, depth: u8) -> (String, Vec<usize>) {
        if self.names.is_empty() || text.is_empty() {
            return (text.to_owned(), Vec::new());
        }
        let d = Decoded::new(text);
        // (span, replacement, which secrets)
        let mut hits: Vec<(Range<usize>, String, Vec<usize>)> = Vec::new();
        let mut spans = Vec::new();
        for (i, (v, p)) in self.names.iter().enumerate() {
            spans.clear();
            d.find(v.as_bytes(), &mut spans);
            hits.extend(spans.drain(..).map(|r| (r, p.clone(), vec![i])));
        }
        if depth < MAX_BASE64_NESTING {
            self.base64_hits(&d, depth, &mut hits);
        }
        // Earliest first, then the longest; drop hits overlapping a kept one.
        hits.sort_by(|a, b| a.0.start.cmp(&b.0.start).then(b.0.end.cmp(&a.0.end)));
        let mut out = String::with_capacity(text.len());
        let mut found = Vec::new();
        let mut last = 0;
        for (r, rep, which) in hits {
            if r.start < last || !text.is_char_boundary(r.start) || !text.is_char_boundary(r.end) {
                continue;
            }
            out.push_str(&text[last..r.start]);
            out.push_str(&rep);
            last = r.end;
            found.extend(which);
        }
        out.push_str(&text[last..]);
        found.sort_unstable();
        found.dedup();
        (out, found)
    }

    /// Base64 runs in the literal text and in its decodings (`\/`, `%2B` inside a run) whose
    /// decoding, at some alignment and in some alphabet, carries a secret.
    fn base64_hits(&self, d: &Decoded, depth: u8, hits: &mut Vec<(Range<usize>, String, Vec<usize>)>) {
        use base64::Engine;
        use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
        let cfg = GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true);
        let engines = [
            GeneralPurpose::new(&base64::alphabet::STANDARD, cfg),
            GeneralPurpose::new(&base64::alphabet::URL_SAFE, cfg),
        ];
        let is_b64 = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'-' | b'_' | b'=');
        // The literal text, and its decodings with `+` kept.
        for li in std::iter::once(0).chain(d.plus_kept.iter().copied()) {
            let l = &d.levels[li];
            let mut i = 0;
            while i < l.text.len() {
                if !is_b64(l.text[i]) {
                    i += 1;
                    continue;
                }
                let start = i;
                while i < l.text.len() && is_b64(l.text[i]) {
                    i += 1;
                }
                let run: Vec<u8> = l.text[start..i].iter().copied().filter(|&c| c != b'=').collect();
                if run.len() < self.min_base64 {
                    continue;
                }
                // A run without `+/-_` decodes the same in both alphabets: one decoding is enough.
                let alphabets = if run.iter().any(|c| matches!(c, b'+' | b'/' | b'-' | b'_')) { 2 } else { 1 };
                'found: for off in 0..4 {
                    let mut part = &run[off..];
                    if part.len() % 4 == 1 {
                        part = &part[..part.len() - 1];
                    }
                    for e in engines.iter().take(alphabets) {
                        let Ok(raw) = e.decode(part) else { continue };
                        let decoded: String = String::from_utf8_lossy(&raw)
                            .chars()
                            .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
                            .collect();
                        let (hidden, which) = self.hide_at(&decoded, depth + 1);
                        if !which.is_empty() {
                            let span = l.spans[start].start..l.spans[i - 1].end;
                            hits.push((span, format!("<base64 of {hidden}>"), which));
                            break 'found;
                        }
                    }
                }
            }
        }
    }
}

/// `text` with every `(secret, placeholder)` replaced, in every encoding (see [`Redactor`]).
pub fn hide(text: &str, names: &[(String, String)]) -> String {
    Redactor::new(names.iter().cloned()).hide(text)
}

/// Whether `secret` occurs in `text` in any encoding this module knows (base64 included).
pub fn contains(text: &str, secret: &str) -> bool {
    Redactor::new([(secret.to_owned(), String::new())]).carries(text, secret)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn one(secret: &str) -> Vec<(String, String)> {
        vec![(secret.to_owned(), "[s]".to_owned())]
    }

    #[test]
    fn every_encoding_of_a_secret_is_found() {
        let s = "ab/c+d e~é";
        for text in [
            "x ab/c+d e~é y",
            r"x ab\/c+d e~\u00e9 y",
            r"x \u0061\u0062\u002F\u0063\u002B\u0064\u0020\u0065\u007e\u00E9 y",
            "x ab%2Fc%2Bd+e~%C3%A9 y",
            "x ab%2fc%2bd%20e%7E%c3%a9 y",
            "x ab%252Fc%252Bd%2520e~%25C3%25A9 y",
            r"x ab\u00252Fc+d e~é y",
            "x ab&#x2F;c&#43;d e~&#233; y",
        ] {
            assert_eq!(hide(text, &one(s)), "x [s] y", "{text}");
        }
    }

    #[test]
    fn base64_in_any_alphabet_and_alignment_is_decoded_and_hidden() {
        let secret = "s3cr/t?+x";
        let names = vec![("cid".to_owned(), "[id]".to_owned()), (secret.to_owned(), "[secret]".to_owned())];
        let plain = format!("cid:{}", url::form_urlencoded::byte_serialize(secret.as_bytes()).collect::<String>());
        for e in [
            base64::engine::general_purpose::STANDARD,
            base64::engine::general_purpose::STANDARD_NO_PAD,
            base64::engine::general_purpose::URL_SAFE,
            base64::engine::general_purpose::URL_SAFE_NO_PAD,
        ] {
            for prefix in ["", "x", "xy", "xyz"] {
                let b = e.encode(format!("{prefix}{plain}"));
                let text = format!("Basic {b}");
                let out = hide(&text, &names);
                assert!(out.contains("[id]:[secret]") && !out.contains(&b), "{text} → {out}");
            }
        }
        // Escaped inside JSON (PHP) or percent-encoded in a URL: still one run.
        let b = base64::engine::general_purpose::STANDARD.encode("u:s3cr/t?+x??>>");
        let json = b.replace('/', r"\/");
        let pct: String = url::form_urlencoded::byte_serialize(b.as_bytes()).collect();
        for text in [json, pct] {
            let out = hide(&text, &names);
            assert!(out.starts_with("<base64 of u:[secret]"), "{text} → {out}");
        }
    }

    #[test]
    fn other_text_is_left_alone() {
        let names = one("secret-value");
        for text in ["nothing here", "secret-valu", "%2F%41 \\u0041 &amp; YWJjZGVmZ2hpams=", "sécret-value"] {
            assert_eq!(hide(text, &names), text);
        }
        // A literal `%HH` in a secret inside a JSON string with other characters escaped.
        assert_eq!(hide(r#""a%41\u00e9b""#, &one("a%41éb")), r#""[s]""#);
        // A literal percent or backslash in the secret still matches literally.
        assert_eq!(hide("a%41\\u", &one("a%41\\u")), "[s]");
        assert!(contains("eHl6OnNlY3JldC12YWx1ZQ", "secret-value"));
    }
}
