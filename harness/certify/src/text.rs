//! Text for findings and evidence, from what the server under test said: one-line excerpts of
//! exchanges, cut to a length. Cleaning is the project's one sanitiser's
//! ([`harness_report::sanitize`]); this only shortens and picks what to show.

use mock_client::{Exchange, Failure};

/// Server text for one line of a finding: whitespace runs (newlines included) collapse to one
/// space, then the project's one sanitiser ([`harness_report::sanitize`]) escapes what is left of
/// control characters and caps it at `cap` bytes.
pub(crate) fn one_line_capped(s: &str, cap: usize) -> String {
    harness_report::sanitize::line_capped(&s.split_whitespace().collect::<Vec<_>>().join(" "), cap).into_owned()
}

/// One line per exchange, for evidence: `POST http://…/token → 400 {"error":"invalid_grant",…}`.
pub fn excerpt(e: &Exchange) -> String {
    let mut s = format!("{} {}", e.method, shorten(&e.url, 160));
    match (e.status, &e.error) {
        (Some(st), _) => {
            s.push_str(&format!(" → {st}"));
            if let Some(l) = e.response_header("location") {
                s.push_str(&format!(" Location: {}", shorten(l, 160)));
            }
            if let Some(b) = e.response_body.as_deref().map(str::trim).filter(|b| !b.is_empty()) {
                let lower = b.to_ascii_lowercase();
                if lower.starts_with("<!doctype") || lower.starts_with("<html") || lower.contains("<body") {
                    let title = lower
                        .find("<title>")
                        .and_then(|i| b.get(i + 7..).and_then(|r| r.split("</").next()))
                        .map(|t| format!(": \"{}\"", t.trim()))
                        .unwrap_or_default();
                    s.push_str(&format!(" (HTML page{title})"));
                } else {
                    s.push(' ');
                    s.push_str(&shorten(&b.split_whitespace().collect::<Vec<_>>().join(" "), 200));
                }
            }
        }
        (None, Some(err)) => s.push_str(&format!(" → no response: {err}")),
        (None, None) => s.push_str(" → no response"),
    }
    s
}

pub(crate) fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max { s.to_owned() } else { s.chars().take(max - 1).chain(['…']).collect() }
}

/// The error part of a failed request's cause: `HTTP 400: invalid_grant (…)`.
pub(crate) fn refusal(f: &Failure) -> String {
    match f.cause.find("answered ") {
        Some(i) => f.cause[i + "answered ".len()..].to_owned(),
        None => f.cause.clone(),
    }
}
