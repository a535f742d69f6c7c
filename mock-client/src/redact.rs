//! Finding known secret values in text however the server under test wrote them.
//!
//! A hostile or merely careless server echoes what it received — in a JSON string with escaped
//! slashes (PHP's default) or `\uXXXX` escapes, percent- or form-encoded in a URL, HTML-escaped in
//! a page, base64 in an echoed `Authorization: Basic` header — so matching the literal value is not
//! enough. The matcher here decodes while it compares: each character of the secret may appear as
//! itself or in any of those encodings (mixed freely, nested up to [`MAX_NESTING`] levels, e.g. a
//! JSON-escaped percent sign of a percent-encoded byte), and the whole encoded span is replaced.
//! Base64 runs are decoded (standard or URL-safe alphabet, padded or not, at every alignment) and
//! replaced by `<base64 of …>` with the secrets hidden when their decoding carries one.
//!
//! Matching is still of known values only, never a guess by pattern: text that does not decode to
//! a registered secret is left alone.

use std::collections::HashSet;
use std::ops::Range;

/// How deep encodings may nest (`%2F` is 1, `%252F` or `\u0025` + `2F` is 2).
const MAX_NESTING: u8 = 3;

/// Shortest base64 run worth decoding (the encoding of a 4-byte value is 6 characters).
const MIN_BASE64_RUN: usize = 6;

/// How deep base64 may nest (base64 of a text holding base64 of a secret).
const MAX_BASE64_NESTING: u8 = 2;

/// One way to read the text at a position: the bytes it decodes to, and how many text bytes it
/// takes.
#[derive(Clone, Copy)]
struct Unit {
    bytes: [u8; 4],
    len: u8,
    consumed: usize,
}

impl Unit {
    fn byte(b: u8, consumed: usize) -> Unit {
        Unit { bytes: [b, 0, 0, 0], len: 1, consumed }
    }
    fn char(c: char, consumed: usize) -> Unit {
        let mut bytes = [0; 4];
        let len = c.encode_utf8(&mut bytes).len() as u8;
        Unit { bytes, len, consumed }
    }
    fn decoded(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }
    /// The single ASCII character this unit stands for, if it is one.
    fn ascii(&self) -> Option<u8> {
        (self.len == 1 && self.bytes[0].is_ascii()).then_some(self.bytes[0])
    }
}

/// Every reading of `text[j..]` as one decoded unit, the literal byte first.
fn units(text: &[u8], j: usize, depth: u8, out: &mut Vec<Unit>) {
    let Some(&b) = text.get(j) else { return };
    out.push(Unit::byte(b, 1));
    // Every escape starts with one of these (an escaped `%` or `\\` too), so other bytes are literal.
    if depth == 0 || !matches!(b, b'%' | b'\\' | b'&' | b'+') {
        return;
    }
    if b == b'+' {
        out.push(Unit::byte(b' ', 1));
    }
    // Percent-encoding; the `%` and the hex digits may themselves be encoded one level down.
    for pct in ascii_units(text, j, depth - 1).into_iter().filter(|(c, _)| *c == b'%') {
        for (h, n1) in ascii_units(text, j + pct.1, depth - 1) {
            let Some(hi) = hex(h) else { continue };
            for (l, n2) in ascii_units(text, j + pct.1 + n1, depth - 1) {
                if let Some(lo) = hex(l) {
                    out.push(Unit::byte(hi * 16 + lo, pct.1 + n1 + n2));
                }
            }
        }
    }
    // JSON string escapes, `\uXXXX` with surrogate pairs.
    for bs in ascii_units(text, j, depth - 1).into_iter().filter(|(c, _)| *c == b'\\') {
        let k = j + bs.1;
        for (e, n) in ascii_units(text, k, depth - 1) {
            let simple = match e {
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
            if let Some(s) = simple {
                out.push(Unit::byte(s, bs.1 + n));
            } else if e == b'u' {
                for (cu, n4) in hex4(text, k + n, depth - 1) {
                    let first = bs.1 + n + n4;
                    if (0xD800..0xDC00).contains(&cu) {
                        // A high surrogate needs `\uDCxx` after it.
                        for (lo, m) in json_low_surrogate(text, j + first, depth - 1) {
                            let c = 0x10000 + ((cu as u32 - 0xD800) << 10) + (lo as u32 - 0xDC00);
                            if let Some(c) = char::from_u32(c) {
                                out.push(Unit::char(c, first + m));
                            }
                        }
                    } else if let Some(c) = char::from_u32(cu as u32) {
                        out.push(Unit::char(c, first));
                    }
                }
            }
        }
    }
    // HTML character references: `&#47;`, `&#x2f;`, and the five named ones XML knows.
    if b == b'&' {
        let rest = &text[j + 1..text.len().min(j + 12)];
        if let Some(end) = rest.iter().position(|&c| c == b';') {
            let name = &rest[..end];
            let consumed = end + 2;
            let c = match name {
                b"amp" => Some('&'),
                b"lt" => Some('<'),
                b"gt" => Some('>'),
                b"quot" => Some('"'),
                b"apos" => Some('\''),
                [b'#', b'x' | b'X', h @ ..] if !h.is_empty() => std::str::from_utf8(h)
                    .ok()
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .and_then(char::from_u32),
                [b'#', d @ ..] if !d.is_empty() => {
                    std::str::from_utf8(d).ok().and_then(|d| d.parse::<u32>().ok()).and_then(char::from_u32)
                }
                _ => None,
            };
            if let Some(c) = c {
                out.push(Unit::char(c, consumed));
            }
        }
    }
}

/// The readings of `text[j..]` that are one ASCII character.
fn ascii_units(text: &[u8], j: usize, depth: u8) -> Vec<(u8, usize)> {
    let mut all = Vec::new();
    units(text, j, depth, &mut all);
    all.iter().filter_map(|u| u.ascii().map(|c| (c, u.consumed))).collect()
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// Four hex digits (each possibly encoded) as a UTF-16 code unit.
fn hex4(text: &[u8], j: usize, depth: u8) -> Vec<(u16, usize)> {
    let mut acc = vec![(0u16, 0usize)];
    for _ in 0..4 {
        let mut next = Vec::new();
        for (v, n) in acc {
            for (c, m) in ascii_units(text, j + n, depth) {
                if let Some(d) = hex(c) {
                    next.push((v * 16 + d as u16, n + m));
                }
            }
        }
        acc = next;
    }
    acc
}

fn json_low_surrogate(text: &[u8], j: usize, depth: u8) -> Vec<(u16, usize)> {
    let mut out = Vec::new();
    for (_, n) in ascii_units(text, j, depth).into_iter().filter(|(c, _)| *c == b'\\') {
        for (_, m) in ascii_units(text, j + n, depth).into_iter().filter(|(c, _)| *c == b'u') {
            for (lo, k) in hex4(text, j + n + m, depth) {
                if (0xDC00..0xE000).contains(&lo) {
                    out.push((lo, n + m + k));
                }
            }
        }
    }
    out
}

/// Whether text from `j` decodes to `secret[k..]`; the end of the match. `dead` remembers states
/// that cannot complete, so the search stays linear in practice.
fn match_from(
    text: &[u8],
    j: usize,
    secret: &[u8],
    k: usize,
    dead: &mut HashSet<(usize, usize)>,
) -> Option<usize> {
    if k == secret.len() {
        return Some(j);
    }
    if j >= text.len() || dead.contains(&(j, k)) {
        return None;
    }
    let mut alts = Vec::new();
    units(text, j, MAX_NESTING, &mut alts);
    for u in alts {
        let d = u.decoded();
        if secret[k..].starts_with(d)
            && let Some(end) = match_from(text, j + u.consumed, secret, k + d.len(), dead)
        {
            return Some(end);
        }
    }
    dead.insert((j, k));
    None
}

/// Could an encoded occurrence start with this byte?
fn may_start(b: u8, first: u8) -> bool {
    b == first || matches!(b, b'%' | b'\\' | b'&') || (b == b'+' && first == b' ')
}

/// The byte ranges of `text` where `secret` occurs, literally or encoded, left to right and not
/// overlapping.
pub fn find_all(text: &str, secret: &str) -> Vec<Range<usize>> {
    let (t, s) = (text.as_bytes(), secret.as_bytes());
    let mut out = Vec::new();
    let Some(&first) = s.first() else { return out };
    let mut dead = HashSet::new();
    let mut j = 0;
    while j < t.len() {
        if may_start(t[j], first)
            && let Some(end) = match_from(t, j, s, 0, &mut dead)
        {
            out.push(j..end);
            j = end;
            continue;
        }
        j += 1;
    }
    // A match must not split a UTF-8 character of the text (an escape never ends inside one, but
    // the literal reading of a multi-byte character could).
    out.retain(|r| text.is_char_boundary(r.start) && text.is_char_boundary(r.end));
    out
}

/// Whether `secret` occurs in `text` in any encoding this module knows (base64 included).
pub fn contains(text: &str, secret: &str) -> bool {
    if secret.is_empty() {
        return false;
    }
    let names = [(secret.to_owned(), String::new())];
    !find_all(text, secret).is_empty() || hide_base64_with(text, &names, &names, 0) != text
}

/// `text` with every `(secret, placeholder)` replaced, longest secret first, in every encoding;
/// base64 runs whose decoding carries a secret become `<base64 of …>` with it hidden.
/// `base64_names` are the pairs the base64 pass looks for (a subset: values that are only volatile
/// need not be dug out of base64).
pub fn hide(text: &str, names: &[(String, String)], base64_names: &[(String, String)]) -> String {
    let out = hide_plain(text, names);
    if base64_names.is_empty() {
        return out;
    }
    hide_base64_with(&out, names, base64_names, 0)
}

fn hide_plain(text: &str, names: &[(String, String)]) -> String {
    let mut out = text.to_owned();
    for (value, placeholder) in names {
        let ranges = find_all(&out, value);
        if ranges.is_empty() {
            continue;
        }
        let mut s = String::with_capacity(out.len());
        let mut last = 0;
        for r in ranges {
            s.push_str(&out[last..r.start]);
            s.push_str(placeholder);
            last = r.end;
        }
        s.push_str(&out[last..]);
        out = s;
    }
    out
}

/// The base64 pass: each maximal run of base64 characters (each possibly percent- or
/// JSON-escaped: `%2B`, `\/`) is decoded at every alignment and in both alphabets; a decoding that
/// carries one of `look_for` replaces the run by `<base64 of …>`, hidden with `names`.
fn hide_base64_with(text: &str, names: &[(String, String)], look_for: &[(String, String)], depth: u8) -> String {
    use base64::Engine;
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    let cfg = GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true);
    let engines =
        [GeneralPurpose::new(&base64::alphabet::STANDARD, cfg), GeneralPurpose::new(&base64::alphabet::URL_SAFE, cfg)];
    let t = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    let mut j = 0;
    while j < t.len() {
        // Read one run: decoded base64 characters and where the run ends in the text.
        let start = j;
        let mut run = Vec::new();
        let mut k = j;
        while let Some((c, n)) = base64_char(t, k) {
            run.push(c);
            k += n;
        }
        if run.len() < MIN_BASE64_RUN || !text.is_char_boundary(start) || !text.is_char_boundary(k) {
            j = if k > j { k } else { j + 1 };
            continue;
        }
        let body: Vec<u8> = run.iter().copied().filter(|&c| c != b'=').collect();
        let mut hidden = None;
        'found: for off in 0..4.min(body.len()) {
            let mut part = &body[off..];
            if part.len() % 4 == 1 {
                part = &part[..part.len() - 1];
            }
            for e in &engines {
                let Ok(raw) = e.decode(part) else { continue };
                let decoded: String = String::from_utf8_lossy(&raw)
                    .chars()
                    .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
                    .collect();
                let direct = look_for.iter().any(|(v, _)| !find_all(&decoded, v).is_empty());
                let nested = !direct
                    && depth < MAX_BASE64_NESTING
                    && hide_base64_with(&decoded, names, look_for, depth + 1) != decoded;
                if direct || nested {
                    let mut h = hide_plain(&decoded, names);
                    if depth < MAX_BASE64_NESTING {
                        h = hide_base64_with(&h, names, look_for, depth + 1);
                    }
                    hidden = Some(h);
                    break 'found;
                }
            }
        }
        if let Some(h) = hidden {
            out.push_str(&text[last..start]);
            out.push_str(&format!("<base64 of {h}>"));
            last = k;
        }
        j = k;
    }
    out.push_str(&text[last..]);
    out
}

/// One base64 character (either alphabet, or `=`) at `j`, literal or escaped; `None` otherwise.
fn base64_char(t: &[u8], j: usize) -> Option<(u8, usize)> {
    let is_b64 = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'-' | b'_' | b'=');
    let b = *t.get(j)?;
    if is_b64(b) {
        return Some((b, 1));
    }
    if !matches!(b, b'%' | b'\\' | b'&') {
        return None;
    }
    ascii_units(t, j, MAX_NESTING).into_iter().filter(|(c, n)| *n > 1 && is_b64(*c)).min_by_key(|(_, n)| *n)
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
            assert_eq!(hide(text, &one(s), &one(s)), "x [s] y", "{text}");
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
                let out = hide(&text, &names, &names);
                assert!(out.contains("[id]:[secret]") && !out.contains(&b), "{text} → {out}");
            }
        }
        // Escaped inside JSON (PHP) or percent-encoded in a URL: still one run.
        let b = base64::engine::general_purpose::STANDARD.encode("u:s3cr/t?+x??>>");
        let json = b.replace('/', r"\/");
        let pct: String = url::form_urlencoded::byte_serialize(b.as_bytes()).collect();
        for text in [json, pct] {
            let out = hide(&text, &names, &names);
            assert!(out.starts_with("<base64 of u:[secret]"), "{text} → {out}");
        }
    }

    #[test]
    fn other_text_is_left_alone() {
        let names = one("secret-value");
        for text in ["nothing here", "secret-valu", "%2F%41 \\u0041 &amp; YWJjZGVmZ2hpams=", "sécret-value"] {
            assert_eq!(hide(text, &names, &names), text);
        }
        // A literal percent or backslash in the secret still matches literally.
        assert_eq!(hide("a%41\\u", &one("a%41\\u"), &[]), "[s]");
        assert!(contains("eHl6OnNlY3JldC12YWx1ZQ", "secret-value"));
    }
}
