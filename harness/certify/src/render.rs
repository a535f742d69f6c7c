//! The certification report as Markdown, JSON and one self-contained HTML page (the run report's
//! page kit, `harness_report::page`: inline CSS, no scripts, no external assets): a summary table
//! of every item per flow, then each item with its checks, evidence and what to change in the IdP,
//! then each flow as a sequence diagram — Mermaid in Markdown (GitHub draws it), inline SVG drawn
//! by the harness in HTML — and its exchanges (a table in Markdown, folded `<details>` in HTML).
//! Everything rendered comes from the (redacted) [`Certification`].

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use maud::{Markup, html};
use mock_client::Exchange;
use url::Url;

use super::model::{Certification, Item, ProfileRun};
use harness_checks::model::Status;
use harness_report::page::{self, rich, text};
use harness_report::sequence::{self, Block, Diagram, Lane, Message, Reply, host, origin, shorten as short};

/// File names written by [`write`].
pub const FILES: [&str; 3] = ["idp-certification.md", "idp-certification.json", "idp-certification.html"];

/// Writes the three reports into `dir` (created if needed); returns their paths.
pub fn write(cert: &Certification, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let out = [markdown(cert), json(cert), html(cert)];
    let mut paths = Vec::new();
    for (name, text) in FILES.iter().zip(out) {
        let p = dir.join(name);
        std::fs::write(&p, text)?;
        paths.push(p);
    }
    Ok(paths)
}

/// The certification as pretty JSON.
pub fn json(cert: &Certification) -> String {
    let mut s = serde_json::to_string_pretty(cert).expect("a Certification always serializes");
    s.push('\n');
    s
}

fn status_str(s: Status) -> &'static str {
    s.as_str()
}

fn icon(s: Status) -> &'static str {
    match s {
        Status::Success => "✅",
        Status::Info => "ℹ️",
        Status::Skipped => "➖",
        Status::Warning => "⚠️",
        Status::Failure => "❌",
    }
}

use super::model::label;

fn duration(ms: u64) -> String {
    if ms < 1000 { format!("{ms} ms") } else { format!("{:.1} s", ms as f64 / 1000.0) }
}

/// The totals line: every label the summary table shows, counted over items and over the
/// per-flow results (recomputed from the items, so it always matches the table).
pub fn counts_line(c: &Certification) -> String {
    let t = c.totals();
    let list = |v: &[(String, usize)]| {
        v.iter().filter(|(_, n)| *n > 0).map(|(l, n)| format!("{n} {l}")).collect::<Vec<_>>().join(", ")
    };
    format!(
        "{} items: {}; {} per-flow results: {}",
        c.items.len(),
        list(&t.items),
        t.results.iter().map(|(_, n)| n).sum::<usize>(),
        list(&t.results)
    )
}

/// What the command prints: the verdict, every item that fails or warns (overall or under one
/// flow), the sign-in problem or untested items, and the totals line.
pub fn terminal(c: &Certification) -> String {
    let clean = |s: &str| harness_report::sanitize::line_capped(s, 400).into_owned();
    let mut out = format!("{}\n", clean(&c.verdict));
    for i in &c.items {
        let own = |r: &super::model::ItemResult| {
            r.checks
                .iter()
                .filter(|ch| ch.status.is_problem() && !ch.untestable)
                .map(|ch| ch.status)
                .max_by_key(|s| s.severity())
        };
        let Some(worst) = i.results.iter().filter_map(own).max_by_key(|s| s.severity()) else { continue };
        let flows: Vec<&str> = i.results.iter().filter(|r| own(r).is_some()).map(|r| r.run.as_str()).collect();
        out.push_str(&format!("  {:<7}  {}  {} ({})\n", status_str(worst), i.id, clean(&i.name), flows.join(", ")));
    }
    let untested: Vec<&str> = c.items.iter().filter(|i| i.untestable).map(|i| i.id.as_str()).collect();
    if !untested.is_empty() {
        out.push_str(&format!("  not tested, because an earlier step failed: {}\n", untested.join(", ")));
    }
    out.push_str(&format!("  {}\n", counts_line(c)));
    out
}

fn run_name(c: &Certification, key: &str) -> String {
    c.run(key).map(|r| r.display.clone()).unwrap_or_else(|| key.to_owned())
}

// ── Markdown ───────────────────────────────────────────────────────────────────────────────

use harness_report::markdown::md;

/// Inline code: sanitised and capped first (controls shown escaped, as everywhere else);
/// backticks can't be escaped inside, so they become quotes.
fn code(s: &str) -> String {
    let s = harness_report::sanitize::line_capped(s, harness_report::sanitize::LINE_CAP);
    format!("`{}`", s.replace('`', "'"))
}

/// The certification as Markdown.
pub fn markdown(c: &Certification) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# ChatGPT connector certification of {}\n", md(&c.issuer));
    let _ = writeln!(o, "> {} **{}** — {}\n", icon(c.status), status_str(c.status), md(&c.verdict));
    let _ = writeln!(o, "| | |\n| --- | --- |");
    let _ = writeln!(o, "| Issuer | {} |", md(&c.issuer));
    let _ = writeln!(o, "| Resource | {} |", md(&c.resource));
    let _ = writeln!(o, "| Login driver | {} |", md(&c.login));
    let _ = writeln!(o, "| Started | {} ({}) |", md(&c.started_at), duration(c.duration_ms));
    let _ = writeln!(o, "| Harness | connector-harness {} |", md(&c.harness_version));
    let _ = writeln!(o, "| Items | {} |\n", counts_line(c));
    let _ = writeln!(o, "## Flows\n");
    for r in &c.runs {
        let _ = writeln!(o, "- **{}** (`{}`): {}", md(&r.display), r.key, md(&r.verdict));
    }
    o.push('\n');
    if !c.notes.is_empty() {
        let _ = writeln!(o, "## Notes\n");
        for n in &c.notes {
            let _ = writeln!(o, "- {}", md(n));
        }
        o.push('\n');
    }

    let _ = writeln!(o, "## Summary\n");
    let mut head = String::from("| Item | Name | Level | Status |");
    let mut rule = String::from("| --- | --- | --- | --- |");
    for r in &c.runs {
        let _ = write!(head, " {} |", md(&r.key));
        rule.push_str(" --- |");
    }
    let _ = writeln!(o, "{head}\n{rule}");
    for i in &c.items {
        let _ = write!(
            o,
            "| [{}](#{}) | {} | {:?} | {} {} |",
            i.id,
            i.id.to_lowercase(),
            md(&i.name),
            i.level,
            icon(i.status),
            label(i.status, i.untestable)
        );
        for r in &c.runs {
            match i.results.iter().find(|x| x.run == r.key) {
                Some(x) => {
                    let _ = write!(o, " {} {} |", icon(x.status), label(x.status, x.untestable));
                }
                None => o.push_str(" |"),
            }
        }
        o.push('\n');
    }
    o.push('\n');

    let _ = writeln!(o, "## Items\n");
    for i in &c.items {
        md_item(&mut o, c, i);
    }

    let _ = writeln!(o, "## Exchanges\n");
    for r in &c.runs {
        let _ = writeln!(o, "### {} (`{}`)\n", md(&r.display), r.key);
        let _ = writeln!(o, "{}\n\n> {}\n", md(&r.purpose), md(&r.verdict));
        if !r.cimd_fetches.is_empty() {
            let list: Vec<String> = r
                .cimd_fetches
                .iter()
                .map(|f| {
                    format!(
                        "{} {} ({})",
                        code(&f.path),
                        f.status,
                        md(f.user_agent.as_deref().unwrap_or("no User-Agent"))
                    )
                })
                .collect();
            let _ = writeln!(o, "The IdP fetched from the client's metadata host: {}\n", list.join(", "));
        }
        if r.transcript.exchanges.is_empty() {
            let _ = writeln!(o, "No exchanges were recorded.\n");
            continue;
        }
        let _ = writeln!(o, "```mermaid\n{}```\n", sequence_diagram(r));
        let _ = writeln!(o, "| # | Phase | Request | Response |\n| --- | --- | --- | --- |");
        for e in &r.transcript.exchanges {
            let _ = writeln!(
                o,
                "| {} | {} | {} {} ({}) | {} |",
                e.seq,
                e.phase,
                e.method,
                md(&short(&e.url, 140)),
                md(&e.label),
                md(&response_summary(e))
            );
        }
        o.push('\n');
    }
    o
}

fn md_item(o: &mut String, c: &Certification, i: &Item) {
    let _ = writeln!(o, "### {}\n", i.id);
    let _ = writeln!(o, "**{}** — {} {} ({:?})\n", md(&i.name), icon(i.status), label(i.status, i.untestable), i.level);
    let _ = writeln!(o, "{}\n", md(&i.summary));
    if !i.maps_to.is_empty() {
        let _ = writeln!(
            o,
            "Covers: {}.\n",
            i.maps_to.iter().map(|m| format!("[{m}](#{})", m.to_lowercase())).collect::<Vec<_>>().join(", ")
        );
    }
    let _ = writeln!(o, "*How it is decided:* {}\n", md(&i.how));
    if !i.remedies.is_empty() {
        let _ = writeln!(o, "**What to change in the IdP:**\n");
        for r in &i.remedies {
            let _ = writeln!(o, "- {}", md(r));
        }
        o.push('\n');
    }
    for r in &i.results {
        let _ =
            writeln!(o, "- {} **{}** — {}", icon(r.status), md(&run_name(c, &r.run)), label(r.status, r.untestable));
        for ch in &r.checks {
            let ex = if ch.exchanges.is_empty() {
                String::new()
            } else {
                format!(" (exchanges {})", ch.exchanges.iter().map(|s| format!("#{s}")).collect::<Vec<_>>().join(", "))
            };
            let _ = writeln!(o, "  - {} {}{}", status_str(ch.status), md(&ch.description), ex);
        }
        for e in &r.evidence {
            let _ = writeln!(o, "  - #{} {}", e.seq, code(&e.excerpt));
        }
    }
    o.push('\n');
}

// ── the sequence diagram ─────────────────────────────────────────────────────────────────

/// One lane per origin: the first one the flow talks to is the authorization server.
fn lanes(r: &ProfileRun) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for e in &r.transcript.exchanges {
        let o = origin(&e.url).unwrap_or_else(|| e.url.clone());
        if !out.contains(&o) {
            out.push(o);
        }
    }
    out
}

/// The Mermaid `sequenceDiagram` of one flow (ends with a newline, no fence).
pub fn sequence_diagram(r: &ProfileRun) -> String {
    diagram(r).mermaid()
}

/// The sequence diagram of one flow — one lane per origin, the first the authorization server —
/// written as Mermaid in the Markdown report and drawn as SVG in the HTML page.
pub fn diagram(r: &ProfileRun) -> Diagram {
    let lanes = lanes(r);
    let id = |o: &str| match lanes.iter().position(|x| x == o) {
        Some(0) | None => "IdP".to_owned(),
        Some(n) => format!("H{n}"),
    };
    let list = lanes
        .iter()
        .enumerate()
        .map(|(n, l)| {
            let name = if n == 0 { format!("Authorization server {}", host(l)) } else { format!("Host {}", host(l)) };
            Lane::new(id(l), name)
        })
        .collect();
    let blocks = sequence::runs(&r.transcript.exchanges, |e| e.phase)
        .into_iter()
        .map(|run| Block {
            colour: sequence::phase_colour(run[0].phase),
            title: run[0].phase.to_string(),
            messages: run
                .iter()
                .map(|e| {
                    let path = match Url::parse(&e.url) {
                        Ok(u) => format!("{}{}", short(u.path(), 70), if u.query().is_some() { "?…" } else { "" }),
                        Err(_) => short(&e.url, 70),
                    };
                    Message {
                        to: id(&origin(&e.url).unwrap_or_else(|| e.url.clone())),
                        text: format!("#{} {} {path} ({})", e.seq, e.method, short(&e.label, 50)),
                        reply: Reply::of(e),
                    }
                })
                .collect(),
        })
        .collect();
    Diagram { client: r.display.clone(), lanes: list, blocks }
}

fn response_summary(e: &Exchange) -> String {
    let full = crate::text::excerpt(e);
    match full.find(" → ") {
        Some(i) => full[i + " → ".len()..].to_owned(),
        None => full,
    }
}

// ── HTML ───────────────────────────────────────────────────────────────────────────────────
//
// Built from the run report's page kit (`harness_report::page`): the same stylesheet, badges,
// inline-code rendering, SVG sequence diagram and folded exchanges. Every IdP text goes through
// `text`/`rich` (sanitised), and maud escapes it by construction.

fn badge(s: Status, untestable: bool) -> Markup {
    page::badge(&status_str(s).to_lowercase(), &label(s, untestable))
}

fn run_anchor(key: &str) -> String {
    page::anchor("run-", key)
}

fn item_anchor(id: &str) -> String {
    page::anchor("item-", id)
}

fn exchange_anchor(run: &str, seq: u32) -> String {
    format!("{}-ex-{seq}", run_anchor(run))
}

/// The certification as one self-contained HTML page.
pub fn html(c: &Certification) -> String {
    let body = html! {
        (header(c))
        (flows(c))
        (summary(c))
        section {
            h2 { "Items" }
            @for i in &c.items { (item(c, i)) }
        }
        section {
            h2 { "Exchanges" }
            @for r in &c.runs { (run_exchanges(r)) }
        }
        footer {
            "Generated by connector-harness " (text(&c.harness_version)) " (" code { "certify-idp" } "). "
            "Secrets (tokens, codes, client secrets, passwords, verifiers, cookies) are replaced by \
             placeholders such as " code { "[token-1]" } ". Each sequence diagram is drawn from the flow's \
             exchanges; hover over a cut text for all of it, and open an exchange for its headers and bodies."
        }
    };
    page::page(&format!("ChatGPT connector certification — {}", c.issuer), body)
}

fn header(c: &Certification) -> Markup {
    let facts = [
        ("Issuer", c.issuer.clone()),
        ("Resource", c.resource.clone()),
        ("Login driver", c.login.clone()),
        ("Started", format!("{} ({})", c.started_at, duration(c.duration_ms))),
        ("Harness", format!("connector-harness {}", c.harness_version)),
        ("Items", counts_line(c)),
    ];
    html! {
        header {
            h1 { "ChatGPT connector certification" }
            p class={ "verdict " (status_str(c.status).to_lowercase()) } { (badge(c.status, false)) " " (text(&c.verdict)) }
            dl.facts {
                @for (k, v) in &facts { dt { (k) } dd { (text(v)) } }
            }
        }
    }
}

fn flows(c: &Certification) -> Markup {
    html! {
        section {
            h2 { "Flows" }
            ul {
                @for r in &c.runs {
                    li { a href={ "#" (run_anchor(&r.key)) } { strong { (text(&r.display)) } } " — " (text(&r.verdict)) }
                }
            }
            @if !c.notes.is_empty() {
                h3 { "Notes" }
                ul { @for n in &c.notes { li { (rich(n)) } } }
            }
        }
    }
}

fn summary(c: &Certification) -> Markup {
    html! {
        section {
            h2 { "Summary" }
            table.summary {
                thead {
                    tr {
                        th { "Item" } th { "Name" } th { "Level" } th { "Status" }
                        @for r in &c.runs { th { (text(&r.key)) } }
                    }
                }
                tbody {
                    @for i in &c.items {
                        tr {
                            td { a href={ "#" (item_anchor(&i.id)) } { (text(&i.id)) } }
                            td { (rich(&i.name)) }
                            td { (format!("{:?}", i.level)) }
                            td { (badge(i.status, i.untestable)) }
                            @for r in &c.runs {
                                td {
                                    @if let Some(x) = i.results.iter().find(|x| x.run == r.key) {
                                        (badge(x.status, x.untestable))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn item(c: &Certification, i: &Item) -> Markup {
    html! {
        article class={ "item " (status_str(i.status).to_lowercase()) } id=(item_anchor(&i.id)) {
            h3 { (text(&i.id)) " — " (rich(&i.name)) " " (badge(i.status, i.untestable)) }
            p { (rich(&i.summary)) " " em { "(" (format!("{:?}", i.level)) ")" } }
            @if !i.maps_to.is_empty() {
                p {
                    "Covers "
                    @for (n, m) in i.maps_to.iter().enumerate() {
                        @if n > 0 { ", " }
                        a href={ "#" (item_anchor(m)) } { (text(m)) }
                    }
                    "."
                }
            }
            p.how { "How it is decided: " (rich(&i.how)) }
            @if !i.remedies.is_empty() {
                div.remedy {
                    strong { "What to change in the IdP" }
                    ul { @for r in &i.remedies { li { (rich(r)) } } }
                }
            }
            @for r in &i.results {
                h4 { a href={ "#" (run_anchor(&r.run)) } { (text(&run_name(c, &r.run))) } " " (badge(r.status, r.untestable)) }
                ul.checks {
                    @for ch in &r.checks {
                        li {
                            (badge(ch.status, ch.untestable)) " " (rich(&ch.description))
                            @if !ch.exchanges.is_empty() {
                                " "
                                small {
                                    "(exchanges "
                                    @for (n, s) in ch.exchanges.iter().enumerate() {
                                        @if n > 0 { ", " }
                                        a href={ "#" (exchange_anchor(&r.run, *s)) } { "#" (s) }
                                    }
                                    ")"
                                }
                            }
                        }
                    }
                }
                @if !r.evidence.is_empty() {
                    ul.evidence {
                        @for e in &r.evidence { li { code { "#" (e.seq) " " (text(&e.excerpt)) } } }
                    }
                }
            }
        }
    }
}

fn run_exchanges(r: &ProfileRun) -> Markup {
    let n = r.transcript.exchanges.len();
    html! {
        article.run id=(run_anchor(&r.key)) {
            h3 { (text(&r.display)) " " small { "(" (text(&r.profile)) ")" } }
            p { (rich(&r.purpose)) }
            p.verdict { (text(&r.verdict)) }
            @if !r.cimd_fetches.is_empty() {
                p {
                    "The IdP fetched from the client's metadata host: "
                    @for (n, f) in r.cimd_fetches.iter().enumerate() {
                        @if n > 0 { ", " }
                        code { (text(&f.path)) } " " (f.status) " (" (text(f.user_agent.as_deref().unwrap_or("no User-Agent"))) ")"
                    }
                }
            }
            @if r.transcript.exchanges.is_empty() {
                p { "No exchanges were recorded." }
            } @else {
                (page::diagram(&format!("{n} exchanges, as the client made them"), &diagram(r)))
                @for e in &r.transcript.exchanges { (page::exchange(e, &exchange_anchor(&r.key, e.seq))) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use harness_report::fixtures;

    fn run(key: &str, transcript: mock_client::Transcript) -> ProfileRun {
        ProfileRun {
            key: key.into(),
            profile: "chatgpt-2026-cimd".into(),
            display: fixtures::DISPLAY.into(),
            purpose: "the connector's own flow".into(),
            verdict: "would get a token".into(),
            failure: None,
            client: None,
            cimd_fetches: vec![],
            transcript,
            duration_ms: 10,
        }
    }

    /// The flow diagram: one lane per origin, the first the IdP; hostile labels and URLs escaped.
    #[test]
    fn sequence_diagrams() {
        insta::assert_snapshot!("happy", sequence_diagram(&run("happy", fixtures::happy_transcript())));
        insta::assert_snapshot!("nasty", sequence_diagram(&run("nasty", fixtures::nasty_transcript())));
    }

    /// A small certification with hostile text from the IdP in the issuer, a flow's verdict, a
    /// check, evidence and the CIMD fetch log.
    fn hostile() -> Certification {
        use fixtures::HOSTILE;
        use harness_checks::catalogue::Level;
        let mut flow = run("chatgpt-2026-cimd", fixtures::nasty_transcript());
        flow.verdict = format!("would fail: {HOSTILE}");
        flow.cimd_fetches =
            vec![mock_client::CimdFetch { path: format!("/{HOSTILE}"), user_agent: Some(HOSTILE.into()), status: 200 }];
        let item = Item {
            id: "AS-18".into(),
            name: format!("token endpoint {HOSTILE}"),
            level: Level::Must,
            summary: HOSTILE.into(),
            how: "from the token response".into(),
            maps_to: vec!["RS-03".into()],
            status: Status::Failure,
            untestable: false,
            results: vec![super::super::model::ItemResult {
                run: flow.key.clone(),
                status: Status::Failure,
                untestable: false,
                checks: vec![fixtures::finding("AS-18", Status::Failure, HOSTILE, &[1, 2])],
                evidence: vec![super::super::model::Evidence { seq: 1, excerpt: HOSTILE.into() }],
            }],
            remedies: vec![format!("fix {HOSTILE}")],
        };
        let mut c = Certification {
            kind: "connector-harness idp certification".into(),
            harness_version: "0.1.0".into(),
            started_at: "2026-07-01T12:00:00Z".into(),
            duration_ms: 1500,
            issuer: format!("https://idp.example/{HOSTILE}"),
            resource: fixtures::TARGET.into(),
            login: "form".into(),
            status: Status::Failure,
            verdict: format!("not certified: {HOSTILE}"),
            runs: vec![flow],
            items: vec![item],
            notes: vec![HOSTILE.into()],
            totals: Default::default(),
        };
        c.totals = c.totals();
        c
    }

    /// The Markdown, HTML and terminal forms of a certification: hostile text escaped per format.
    #[test]
    fn certification_snapshots() {
        let c = hostile();
        insta::assert_snapshot!("markdown", markdown(&c));
        insta::assert_snapshot!("html", html(&c));
        insta::assert_snapshot!("terminal", terminal(&c));
    }
}
