//! The kit every HTML report is built from — the run report ([`crate::html`]) and certify-idp's
//! page — so both look alike and neither carries its own copy of the stylesheet or the exchange
//! markup: one self-contained page ([`page`]: inline CSS, no scripts, no external assets, works
//! offline), status badges, text with `backtick` spans as inline code ([`rich`]), the sequence
//! diagram as inline SVG ([`diagram`], drawn by [`crate::svg`]) and each exchange folded in a
//! `<details>` ([`exchange`]).
//!
//! Nothing may widen the page past its column: long words and URLs break anywhere
//! (`overflow-wrap:anywhere`), bodies wrap inside `<pre>`, diagrams scale down. Table cells break
//! only words too long for them (`break-word`, which keeps a column as wide as its longest word:
//! `GPT-03` is never cut), except cells of server text (`td.text`), which break anywhere.
//!
//! Built with maud, which escapes `&<>"` in every interpolated value by construction; server
//! text also goes through [`crate::sanitize`] first ([`text`], [`block`]), because maud leaves
//! control characters as they are.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use harness_checks::model::{SpecRef, Status};
use harness_transcript::Exchange;

use crate::sanitize;
use crate::sequence::Diagram;
use crate::svg::status_class;

/// The one stylesheet of every HTML report.
pub const CSS: &str = r#"
:root{--ok:#137333;--fail:#b3261e;--warn:#a05a00;--skip:#5f6368;--info:#1a5fb4;--line:#dadce0;--bg:#f8f9fa}
*{box-sizing:border-box}
body{font:15px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#202124;max-width:1200px;margin:0 auto;padding:24px;overflow-wrap:anywhere}
h1{font-size:26px;margin:0 0 8px}h2{font-size:21px;margin:32px 0 12px;border-bottom:2px solid var(--line);padding-bottom:4px}
h3{font-size:17px;margin:0 0 6px}h4{font-size:15px;margin:14px 0 4px}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
code{background:var(--bg);border:1px solid var(--line);border-radius:3px;padding:0 3px}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:var(--bg);padding:6px;margin:4px 0;max-height:480px;overflow-y:auto}
.verdict{font-size:17px;padding:10px 14px;border-radius:6px;background:var(--bg);border-left:6px solid var(--skip)}
.verdict.success,.verdict.passed{border-color:var(--ok)}.verdict.failure,.verdict.failed{border-color:var(--fail)}.verdict.warning,.verdict.error{border-color:var(--warn)}
dl.facts{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:2px 16px;margin:12px 0}dl.facts dt{font-weight:600}dl.facts dd{margin:0}
table{border-collapse:collapse;width:100%;margin:8px 0}th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:var(--bg)}
td,th{overflow-wrap:break-word}td.text{overflow-wrap:anywhere}
.badge{display:inline-block;padding:0 8px;border-radius:10px;font-size:12px;font-weight:600;color:#fff;white-space:nowrap}
.badge.success,.badge.passed{background:var(--ok)}.badge.failure,.badge.failed{background:var(--fail)}.badge.warning,.badge.error{background:var(--warn)}.badge.skipped{background:var(--skip)}.badge.info{background:var(--info)}
article.item,article.scenario{border:1px solid var(--line);border-radius:8px;padding:12px 16px;margin:12px 0}
article.item.failure,article.scenario.failed{border-left:6px solid var(--fail)}article.item.warning,article.scenario.error{border-left:6px solid var(--warn)}article.item.success,article.scenario.passed{border-left:6px solid var(--ok)}
.how,.meta{color:#5f6368;font-size:13.5px}
.remedy{background:#fef7e0;border:1px solid #f9e0a0;border-radius:6px;padding:8px 12px;margin:8px 0}
.remedy ul{margin:4px 0 0 18px;padding:0}
ul.checks{margin:4px 0;padding-left:18px}ul.evidence{margin:2px 0 8px;padding-left:18px;color:#3c4043}
details.requirement{border:1px solid var(--line);border-radius:6px;padding:6px 10px;margin:6px 0}
details.requirement>summary{cursor:pointer}
ul.refs{margin:4px 0;padding-left:18px;font-size:13.5px}
figure.sequence{margin:12px 0;padding:8px;border:1px solid var(--line);border-radius:6px;background:#fff}
figure.sequence figcaption{font-size:13px;color:#5f6368;margin-bottom:4px}
svg.sequence{display:block;max-width:100%;height:auto}
svg.sequence text{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;fill:#202124}
svg.sequence text.lane{font-weight:600}svg.sequence text.block{font-weight:600;font-size:11px;fill:#3c4043}
svg.sequence rect.lane{fill:#fff;stroke:#5f6368}svg.sequence line.lifeline{stroke:#9aa0a6;stroke-dasharray:4 4}
svg.sequence rect.band{opacity:.9}
svg.sequence text.request{paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}
svg.sequence line.request{stroke:#202124;stroke-width:1.4}svg.sequence polygon.request{fill:#202124}
svg.sequence line.reply{stroke-width:1.2;stroke-dasharray:5 3}
svg.sequence .ok line.reply{stroke:var(--ok)}svg.sequence .ok polygon,svg.sequence .ok text.status{fill:var(--ok)}
svg.sequence .redirect line.reply{stroke:var(--info)}svg.sequence .redirect polygon,svg.sequence .redirect text.status{fill:var(--info)}
svg.sequence .error line.reply{stroke:var(--fail)}svg.sequence .error polygon,svg.sequence .error text.status{fill:var(--fail)}
svg.sequence text.status{font-weight:600}
svg.sequence rect.note{fill:#fce8e6;stroke:var(--fail)}svg.sequence text.missing{fill:var(--fail)}
details.exchange{border-top:1px solid var(--line);padding:3px 0}
details.exchange>summary{cursor:pointer;font-size:13.5px}
details.exchange .method{font-weight:600}
details.exchange .status.ok{color:var(--ok)}details.exchange .status.redirect{color:var(--info)}details.exchange .status.error{color:var(--fail)}
details.exchange .part{font-size:12px;color:#5f6368;margin-top:6px}
footer{margin-top:40px;color:#5f6368;font-size:13px}
"#;

/// One whole page: `title` in the tab, `body` inside `<body>`. Ends with a newline.
pub fn page(title: &str, body: Markup) -> String {
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (text(title)) }
                style { (PreEscaped(CSS)) }
            }
            body { (body) }
        }
    };
    let mut o = page.into_string();
    o.push('\n');
    o
}

/// Server text for one line of a page: controls shown escaped, capped ([`sanitize::line`]).
pub fn text(s: &str) -> String {
    sanitize::line(s).into_owned()
}

/// Server text for a block (`<pre>`): newlines kept, other controls escaped, capped.
pub fn block(s: &str) -> String {
    sanitize::block(s).into_owned()
}

/// A fragment id made of `prefix` and the first 80 characters of `name`: letters, digits and `-`
/// only, so any text can name an anchor and a server's kilobyte of text makes no kilobyte id.
pub fn anchor(prefix: &str, name: &str) -> String {
    let mut out = String::from(prefix);
    out.extend(name.chars().take(80).map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }));
    out
}

/// A coloured badge: `class` picks the colour (a status name in lower case, or `passed`,
/// `failed`, `error`), `label` is what it says.
pub fn badge(class: &str, label: &str) -> Markup {
    html! { span class={ "badge " (class) } { (text(label)) } }
}

/// The badge of a finding status.
pub fn status_badge(s: Status) -> Markup {
    badge(&s.as_str().to_lowercase(), s.as_str())
}

/// Text in which `backtick` spans are inline code (as the catalogue and the remedies write
/// them); an unpaired backtick stays as it is.
pub fn rich(s: &str) -> Markup {
    let s = text(s);
    let parts: Vec<&str> = s.split('`').collect();
    // An even number of parts means an odd number of backticks: the last one is unpaired.
    let paired = if parts.len().is_multiple_of(2) { parts.len() - 1 } else { parts.len() };
    html! {
        @for (n, p) in parts[..paired].iter().enumerate() {
            @if n % 2 == 1 { code { (p) } } @else { (p) }
        }
        @if paired < parts.len() { "`" (parts[paired]) }
    }
}

/// A spec reference as a link to its published page (only `https` URLs become links), with the
/// cited location beside it.
pub fn spec_ref(r: &SpecRef) -> Markup {
    let label = match &r.location {
        Some(at) if !at.is_empty() => format!("{} {at}", r.id),
        _ => r.id.clone(),
    };
    html! {
        @match r.url.as_deref().filter(|u| u.starts_with("https://")) {
            Some(u) => a href=(text(u)) rel="noreferrer" { (text(&label)) },
            None => (text(&label)),
        }
    }
}

/// The sequence diagram with a caption.
pub fn diagram(caption: &str, d: &Diagram) -> Markup {
    html! {
        figure.sequence {
            figcaption { (text(caption)) }
            (d.svg())
        }
    }
}

/// One exchange, folded: the summary line (`#3 Discovery GET <url> → 200 (label)`) and, opened,
/// its headers and bodies. `id` is the element's fragment id (see [`anchor`]).
pub fn exchange(e: &Exchange, id: &str) -> Markup {
    let headers = |hs: &[(String, String)]| hs.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join("\n");
    let request_body = e.request_body.as_deref().filter(|b| !b.is_empty());
    let response_body = e.response_body.as_deref().filter(|b| !b.is_empty());
    html! {
        details.exchange id=(id) {
            summary {
                "#" (e.seq) " " span.phase { (e.phase) } " " span.method { (text(&e.method)) } " " span.url { (text(&e.url)) }
                " → "
                @match (e.status, &e.error) {
                    (Some(s), _) => span class={ "status " (status_class(s)) } { (s) },
                    (None, Some(err)) => span class="status error" { "no response: " (text(err)) },
                    (None, None) => span class="status error" { "no response" },
                }
                @if !e.label.trim().is_empty() { " " small { "(" (text(&e.label)) ")" } }
                @if e.truncated { " " small { "(body truncated)" } }
            }
            @if !e.request_headers.is_empty() {
                div.part { "Request headers" } pre { (block(&headers(&e.request_headers))) }
            }
            @if let Some(b) = request_body { div.part { "Request body" } pre { (block(b)) } }
            @if !e.response_headers.is_empty() {
                div.part { "Response headers" } pre { (block(&headers(&e.response_headers))) }
            }
            @if let Some(b) = response_body { div.part { "Response body" } pre { (block(b)) } }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backtick_spans_become_inline_code() {
        assert_eq!(rich("set `a` and `b<c>`").into_string(), "set <code>a</code> and <code>b&lt;c&gt;</code>");
        assert_eq!(rich("odd ` one").into_string(), "odd ` one");
        assert_eq!(rich("`x` then ` y").into_string(), "<code>x</code> then ` y");
        assert_eq!(rich("").into_string(), "");
        assert_eq!(rich("esc \u{1b}[2J `\u{7}`").into_string(), "esc \\x1b[2J <code>\\x07</code>");
    }

    #[test]
    fn anchors_are_plain() {
        assert_eq!(anchor("s-", "weird \"url\" <x>[1]"), "s-weird--url---x--1-");
        assert_eq!(anchor("x-", &"a".repeat(1000)).len(), 82);
    }

    #[test]
    fn only_https_spec_urls_become_links() {
        let r = |url: &str| SpecRef { id: "RFC9728".into(), url: Some(url.into()), location: Some("§3".into()) };
        assert_eq!(
            spec_ref(&r("https://www.rfc-editor.org/rfc/rfc9728.html#section-3")).into_string(),
            "<a href=\"https://www.rfc-editor.org/rfc/rfc9728.html#section-3\" rel=\"noreferrer\">RFC9728 §3</a>"
        );
        assert_eq!(spec_ref(&r("javascript:alert(1)")).into_string(), "RFC9728 §3");
    }
}
