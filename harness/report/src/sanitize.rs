//! The one sanitiser for text that came from the server under test (error texts, descriptions,
//! headers, bodies, URLs) before it reaches a terminal or a report.
//!
//! The server is hostile: its text may carry escape sequences that clear the screen, set the
//! window title or paint a forged green "would connect" line, a carriage return that overwrites
//! the line it is on, newlines that forge whole lines of output, bidi overrides that reorder what
//! the reader sees, or a megabyte of text. So every echoed value goes through here:
//!
//! - C0 controls, DEL and ESC are shown as `\x1b`, BEL as `\x07`, CR as `\r`; C1 controls and
//!   Unicode bidi/invisible formatting characters as `\u{9b}`, `\u{202e}`;
//! - newlines and tabs are escaped too where the context is one line ([`line`]), and kept where
//!   it is a block ([`block`], e.g. a `-v` body dump);
//! - each value is capped ([`LINE_CAP`], [`BLOCK_CAP`] bytes) and says how long it was:
//!   `… (912345 bytes)`.
//!
//! Format escapers (Markdown, XML, Mermaid) run on the sanitised text, not instead of it.

use std::borrow::Cow;

/// Bytes of one echoed one-line value (a verdict, a finding, an error text) kept.
pub const LINE_CAP: usize = 2048;
/// Bytes of one block (a request or response body in a `-v` dump) kept.
pub const BLOCK_CAP: usize = 16 * 1024;

/// A value for a one-line context: every control character escaped (newlines and tabs
/// included), capped at [`LINE_CAP`] bytes.
pub fn line(s: &str) -> Cow<'_, str> {
    sanitize(s, false, LINE_CAP)
}

/// A value for a multi-line context: newlines and tabs kept, every other control escaped, capped
/// at [`BLOCK_CAP`] bytes.
pub fn block(s: &str) -> Cow<'_, str> {
    sanitize(s, true, BLOCK_CAP)
}

/// [`line`] with another cap.
pub fn line_capped(s: &str, cap: usize) -> Cow<'_, str> {
    sanitize(s, false, cap)
}

/// [`block`] with another cap: for formats that render newlines their own way (Markdown's
/// `<br>`) but must still cap each value.
pub fn block_capped(s: &str, cap: usize) -> Cow<'_, str> {
    sanitize(s, true, cap)
}

/// Whether `c` must not reach a terminal or report as itself.
fn unsafe_char(c: char, keep_newlines: bool) -> bool {
    match c {
        '\n' | '\t' => !keep_newlines,
        // Bidi embeddings/overrides/isolates, zero-width and direction marks, BOM: invisible
        // characters that change what the reader sees.
        '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}' => true,
        // Line and paragraph separators end lines in some terminals and viewers.
        '\u{2028}' | '\u{2029}' => true,
        c => c.is_control(),
    }
}

fn escape(c: char, out: &mut String) {
    use std::fmt::Write as _;
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x80 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

fn sanitize(s: &str, keep_newlines: bool, cap: usize) -> Cow<'_, str> {
    let clean = !s.chars().any(|c| unsafe_char(c, keep_newlines));
    if clean && s.len() <= cap {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len().min(cap) + 32);
    let mut cut = false;
    for c in s.chars() {
        if out.len() >= cap {
            cut = true;
            break;
        }
        if unsafe_char(c, keep_newlines) {
            escape(c, &mut out);
        } else {
            out.push(c);
        }
    }
    if cut || out.len() > cap {
        // Cut at a character boundary at or below the cap, then say how long the original was.
        let mut end = cap.min(out.len());
        while !out.is_char_boundary(end) {
            end -= 1;
        }
        out.truncate(end);
        use std::fmt::Write as _;
        let _ = write!(out, "… ({} bytes)", s.len());
    }
    Cow::Owned(out)
}

/// Whether text holds a character a terminal or XML 1.0 would act on or refuse (for tests and
/// assertions): any control except newline and tab.
pub fn has_raw_control(s: &str) -> bool {
    s.chars().any(|c| c.is_control() && c != '\n' && c != '\t')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_shown_escaped() {
        assert_eq!(line("plain text"), "plain text");
        assert!(matches!(line("plain text"), Cow::Borrowed(_)));
        assert_eq!(line("a\u{1b}[2Jb"), "a\\x1b[2Jb");
        assert_eq!(line("bell\u{7}cr\rdel\u{7f}nul\0"), "bell\\x07cr\\rdel\\x7fnul\\x00");
        assert_eq!(line("csi\u{9b}31m"), "csi\\u{9b}31m");
        assert_eq!(line("rtl\u{202e}txt"), "rtl\\u{202e}txt");
        assert_eq!(line("one\ntwo\tthree"), "one\\ntwo\\tthree");
        assert_eq!(block("one\ntwo\tthree\r\n"), "one\ntwo\tthree\\r\n");
        assert_eq!(line("ünïcödé ✔"), "ünïcödé ✔");
    }

    #[test]
    fn values_are_capped_and_say_how_long_they_were() {
        let long = "x".repeat(900_000);
        let l = line(&long);
        assert!(l.len() < LINE_CAP + 40, "{}", l.len());
        assert!(l.ends_with("… (900000 bytes)"), "{}", &l[l.len() - 30..]);
        let esc = "\u{1b}".repeat(10_000);
        let l = line(&esc);
        assert!(l.len() < LINE_CAP + 40 && l.ends_with("… (10000 bytes)") && !has_raw_control(&l), "{}", l.len());
        // Multi-byte characters are never split.
        let wide = "é".repeat(5000);
        assert!(line(&wide).ends_with("… (10000 bytes)"));
        // Exactly at the cap: kept whole.
        let at = "y".repeat(LINE_CAP);
        assert_eq!(line(&at), at);
        // Escaping that grows a value under the cap is not a cut.
        assert_eq!(line("\u{1b}"), "\\x1b");
    }
}
