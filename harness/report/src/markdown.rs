//! A Markdown report: a summary table, then per scenario its verdict, findings table, what failed
//! and a Mermaid `sequenceDiagram` of the exchanges.
//!
//! The diagram's participants are decided by URL origin: the target's origin is the MCP server,
//! every other origin the authorization server — except the host of the client's own metadata
//! document (a URL `client_id`), which gets its own lane when it is not also where the flow's
//! authorize/token requests go. Each exchange is an arrow and its reply (`Client->>MCP: POST /mcp
//! (initialize)`, `MCP-->>Client: 401`); consecutive exchanges of one phase and attempt sit in a
//! `rect` with a `Note over` naming them. Text Mermaid cannot hold (`;`, `#`, `:`, quotes, `<>`,
//! `%`, backticks) is written as Mermaid entity codes (`#59;`) by [`super::sequence`], which
//! writes the diagram.

use std::fmt::Write as _;

use harness_transcript::{Exchange, Phase};
use url::Url;

pub use super::sequence::mermaid_text;
use super::sequence::{self, Block, Diagram, Lane, Message, Reply, host, origin, shorten};
use super::shared::{self, State};
use harness_checks::model::{RunReport, ScenarioResult};

/// The whole report as Markdown.
pub fn render(report: &RunReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# connector-harness report\n");
    let _ = writeln!(
        out,
        "Harness {}, started {}, {}.\n",
        md(&report.harness_version),
        md(&report.started_at),
        shared::duration(report.duration_ms)
    );
    let _ = writeln!(out, "**{}** — {}\n", shared::summary_line(report), shared::status_counts_line(report));
    let with_error = || report.results.iter().filter(|r| r.error.is_some());
    let errors = with_error().filter(|r| r.error_tier.is_harness()).count();
    let input = with_error().count() - errors;
    if errors > 0 {
        let _ = writeln!(out, "{errors} scenario(s) hit a harness error: the harness broke, not the server.\n");
    }
    if input > 0 {
        let _ = writeln!(
            out,
            "{input} scenario(s) hit a scenario error: the scenario or its server command is wrong, not the server.\n"
        );
    }
    let _ = writeln!(out, "| Scenario | Profile | Verdict | Status |");
    let _ = writeln!(out, "| --- | --- | --- | --- |");
    for r in &report.results {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            md(&r.name),
            md(&r.run.profile),
            md(&shared::verdict(r)),
            state_label(r)
        );
    }
    for r in &report.results {
        out.push('\n');
        scenario(&mut out, r);
    }
    out
}

fn state_label(r: &ScenarioResult) -> &'static str {
    match State::of(r) {
        State::Passed => "✅ passed",
        State::Failed => "❌ failed",
        State::Error if r.error_tier.is_harness() => "⚠️ harness error",
        State::Error => "⚠️ scenario error",
    }
}

fn scenario(out: &mut String, r: &ScenarioResult) {
    let _ = writeln!(out, "## {}\n", md(&r.name));
    let _ = writeln!(out, "- Status: {}", state_label(r));
    if !r.file.is_empty() {
        let _ = writeln!(out, "- File: {}", md(&r.file));
    }
    let _ = writeln!(out, "- Target: {}", md(&r.run.target));
    let _ = writeln!(out, "- Profile: {} ({})", md(&r.run.profile_display), md(&r.run.profile));
    let _ = writeln!(out, "- Spec version: {}", md(r.run.spec_version.as_str()));
    let _ = writeln!(out, "- Duration: {}\n", shared::duration(r.duration_ms));
    let _ = writeln!(out, "> {}\n", md(&shared::verdict(r)));
    if let Some(e) = &r.error {
        let label = if r.error_tier.is_harness() { "Harness error" } else { "Scenario error" };
        let _ = writeln!(out, "**{label}** (not a finding about the server): {}\n", md(e));
    }

    let _ = writeln!(out, "### Findings\n");
    if r.findings.is_empty() {
        let _ = writeln!(out, "No findings.\n");
    } else {
        let _ = writeln!(out, "| ID | Status | Description |");
        let _ = writeln!(out, "| --- | --- | --- |");
        for f in &r.findings {
            let mut desc = md(&f.description);
            if f.untestable {
                desc.push_str(" (untestable: a prerequisite failed)");
            }
            let _ = writeln!(out, "| {} | {} | {} |", md(&f.id), shared::status_str(f.status), desc);
        }
        out.push('\n');
    }

    let failing = shared::failing_lines(r);
    if !failing.is_empty() {
        let _ = writeln!(out, "### What failed\n");
        for l in failing {
            let _ = writeln!(out, "- {}", md(&l));
        }
        out.push('\n');
    }

    let _ = writeln!(out, "### Exchanges\n");
    if r.run.transcript.exchanges.is_empty() {
        let _ = writeln!(out, "No exchanges were recorded.");
    } else {
        let _ = writeln!(out, "```mermaid\n{}```", sequence_diagram(r));
    }
}

/// Text for a Markdown paragraph or table cell: sanitised and capped first
/// ([`super::sanitize`]: controls shown escaped), then Markdown and HTML specials escaped,
/// newlines as `<br>`. Shared with the certification report.
pub fn md(s: &str) -> String {
    let s = super::sanitize::block_capped(s, super::sanitize::LINE_CAP);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' => out.push_str("<br>"),
            '\r' => {}
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The Mermaid `sequenceDiagram` of one scenario's transcript (ends with a newline, no fence).
pub fn sequence_diagram(r: &ScenarioResult) -> String {
    diagram(r).mermaid()
}

/// The sequence diagram of one scenario's transcript — lanes for the MCP server, the
/// authorization server(s) and the client's metadata host — which this report writes as Mermaid
/// and the HTML report draws as SVG.
pub fn diagram(r: &ScenarioResult) -> Diagram {
    let lanes = Lanes::of(r);
    let mut list = vec![Lane::new("MCP", format!("MCP server {}", host_list(&lanes.mcp_hosts)))];
    if !lanes.as_hosts.is_empty() {
        list.push(Lane::new("Auth", format!("Authorization server {}", host_list(&lanes.as_hosts))));
    }
    if let Some(c) = &lanes.cimd {
        list.push(Lane::new("CIMD", format!("Client metadata host {}", host(c))));
    }
    let exchanges = &r.run.transcript.exchanges;
    let multi_attempt = exchanges.iter().any(|e| e.attempt > 1);
    let blocks = sequence::runs(exchanges, |e| (e.phase, e.attempt))
        .into_iter()
        .map(|run| {
            let (phase, attempt) = (run[0].phase, run[0].attempt);
            Block {
                colour: sequence::phase_colour(phase),
                title: if multi_attempt { format!("{phase}, attempt {attempt}") } else { phase.to_string() },
                messages: run
                    .iter()
                    .map(|e| Message { to: lanes.lane(&e.url).to_owned(), text: request_text(e), reply: Reply::of(e) })
                    .collect(),
            }
        })
        .collect();
    Diagram { client: r.run.profile_display.clone(), lanes: list, blocks }
}

/// `POST /mcp (initialize)`; a query is shown as `?…`, long paths are shortened.
fn request_text(e: &Exchange) -> String {
    let (path, has_query) = match Url::parse(&e.url) {
        Ok(u) => (u.path().to_owned(), u.query().is_some()),
        Err(_) => (e.url.clone(), false),
    };
    let mut path = shorten(&path, 80);
    if has_query {
        path.push_str("?…");
    }
    let label = shorten(&e.label, 60);
    if label.trim().is_empty() { format!("{} {path}", e.method) } else { format!("{} {path} ({label})", e.method) }
}

/// Which participant an exchange talks to.
struct Lanes {
    target: Option<String>,
    cimd: Option<String>,
    mcp_hosts: Vec<String>,
    as_hosts: Vec<String>,
}

impl Lanes {
    fn of(r: &ScenarioResult) -> Lanes {
        let ex = &r.run.transcript.exchanges;
        let target = origin(&r.run.target);
        // Where the flow's OAuth requests go: the CIMD host gets no lane of its own there.
        let oauth: Vec<String> = ex
            .iter()
            .filter(|e| matches!(e.phase, Phase::Authorize | Phase::Token | Phase::Refresh))
            .filter_map(|e| origin(&e.url))
            .collect();
        let cimd = ex
            .iter()
            .find_map(url_client_id)
            .and_then(|id| origin(&id))
            .filter(|o| Some(o) != target.as_ref() && !oauth.contains(o));
        let mut lanes = Lanes { target, cimd, mcp_hosts: vec![], as_hosts: vec![] };
        if let Some(t) = &lanes.target {
            lanes.mcp_hosts.push(host(t));
        }
        for e in ex {
            let o = origin(&e.url).unwrap_or_else(|| e.url.clone());
            if lanes.lane(&e.url) == "Auth" && !lanes.as_hosts.contains(&host(&o)) {
                lanes.as_hosts.push(host(&o));
            }
        }
        lanes
    }

    fn lane(&self, url: &str) -> &'static str {
        let o = origin(url);
        if o.is_some() && o == self.target {
            "MCP"
        } else if o.is_some() && o == self.cimd {
            "CIMD"
        } else {
            "Auth"
        }
    }
}

/// A URL `client_id` in an exchange's query or form body: the client's metadata document.
fn url_client_id(e: &Exchange) -> Option<String> {
    let from_query = Url::parse(&e.url)
        .ok()
        .and_then(|u| u.query_pairs().find(|(k, _)| k == "client_id").map(|(_, v)| v.into_owned()));
    let from_body = || {
        let b = e.request_body.as_deref()?;
        url::form_urlencoded::parse(b.as_bytes()).find(|(k, _)| k == "client_id").map(|(_, v)| v.into_owned())
    };
    from_query.into_iter().chain(from_body()).find(|id| id.starts_with("https://") || id.starts_with("http://"))
}

fn host_list(hosts: &[String]) -> String {
    hosts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;

    /// Checks a diagram against the subset of Mermaid's sequence grammar the reporter emits:
    /// every line is one of `sequenceDiagram`, `autonumber`, `participant ID as TEXT`,
    /// `ID->>ID: TEXT`, `ID-->>ID: TEXT`, `Note over ID[,ID]: TEXT`, `rect rgb(…)`/`rgba(…)`,
    /// `end`; IDs are declared before use; rects are balanced and not empty; TEXT is non-empty
    /// and holds nothing the lexer would cut or misread (raw `;`, `#` outside an entity code,
    /// `:`, quotes, `<>`, `%`, backticks, control characters).
    fn validate(diagram: &str) -> Result<(), String> {
        let mut lines = diagram.lines().map(str::trim).filter(|l| !l.is_empty()).enumerate();
        match lines.next() {
            Some((_, "sequenceDiagram")) => {}
            other => return Err(format!("must start with sequenceDiagram, got {other:?}")),
        }
        let mut ids: Vec<String> = Vec::new();
        let mut depth: Vec<usize> = Vec::new();
        let mut statements = 0usize;
        for (n, line) in lines {
            let err = |m: &str| Err(format!("line {}: {m}: {line:?}", n + 1));
            let known = |id: &str, ids: &[String]| ids.iter().any(|x| x == id);
            if line == "autonumber" {
                continue;
            }
            if line == "end" {
                match depth.pop() {
                    Some(at) if statements > at => {}
                    Some(_) => return err("empty rect"),
                    None => return err("end without rect"),
                }
                continue;
            }
            if let Some(colour) = line.strip_prefix("rect ") {
                let inner = colour
                    .strip_prefix("rgb(")
                    .or_else(|| colour.strip_prefix("rgba("))
                    .and_then(|c| c.strip_suffix(')'));
                let Some(inner) = inner else { return err("bad rect colour") };
                let parts: Vec<&str> = inner.split(',').map(str::trim).collect();
                let ok = (parts.len() == 3 || (parts.len() == 4 && colour.starts_with("rgba")))
                    && parts[..3].iter().all(|p| p.parse::<u8>().is_ok())
                    && parts.get(3).is_none_or(|a| a.parse::<f32>().is_ok_and(|a| (0.0..=1.0).contains(&a)));
                if !ok {
                    return err("bad rect colour");
                }
                depth.push(statements);
                continue;
            }
            statements += 1;
            if let Some(rest) = line.strip_prefix("participant ") {
                let Some((id, text)) = rest.split_once(" as ") else { return err("participant without alias") };
                if !is_id(id) || known(id, &ids) {
                    return err("bad or repeated participant id");
                }
                check_text(text).or_else(|m| err(&m))?;
                ids.push(id.to_owned());
                continue;
            }
            if let Some(rest) = line.strip_prefix("Note over ") {
                let Some((who, text)) = rest.split_once(": ") else { return err("note without text") };
                let who: Vec<&str> = who.split(',').collect();
                if who.len() > 2 || who.iter().any(|w| !known(w, &ids)) {
                    return err("note over unknown participants");
                }
                check_text(text).or_else(|m| err(&m))?;
                continue;
            }
            let Some((arrow, text)) = line.split_once(": ") else { return err("not a statement") };
            let (from, to) = match arrow.split_once("-->>").or_else(|| arrow.split_once("->>")) {
                Some(p) => p,
                None => return err("not a statement"),
            };
            if !known(from, &ids) || !known(to, &ids) {
                return err("arrow between undeclared participants");
            }
            check_text(text).or_else(|m| err(&m))?;
        }
        if !depth.is_empty() {
            return Err("unclosed rect".into());
        }
        Ok(())
    }

    fn is_id(s: &str) -> bool {
        s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    }

    fn check_text(t: &str) -> Result<(), String> {
        if t.trim().is_empty() {
            return Err("empty text".into());
        }
        if let Some(c) = t.chars().find(|c| matches!(c, ':' | '"' | '\'' | '<' | '>' | '%' | '`') || c.is_control()) {
            return Err(format!("raw {c:?} in text"));
        }
        // `#` only as an entity code `#name;`/`#123;`, and `;` only closing one.
        let mut rest = t;
        while let Some(i) = rest.find(['#', ';']) {
            if rest[i..].starts_with(';') {
                return Err("raw ';' in text".into());
            }
            let after = &rest[i + 1..];
            let Some(end) = after.find(';') else { return Err("raw '#' in text".into()) };
            if end == 0 || !after[..end].chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err("raw '#' in text".into());
            }
            rest = &after[end + 1..];
        }
        Ok(())
    }

    fn diagrams(markdown: &str) -> Vec<String> {
        markdown.split("```mermaid\n").skip(1).map(|s| s.split("```").next().unwrap().to_owned()).collect()
    }

    #[test]
    fn the_validator_rejects_what_mermaid_would() {
        let ok =
            "sequenceDiagram\n participant A as a\n participant B as b\n rect rgb(1, 2, 3)\n A->>B: x #59; y\n end\n";
        assert_eq!(validate(ok), Ok(()));
        for bad in [
            "participant A as a\n",
            "sequenceDiagram\n A->>B: x\n",
            "sequenceDiagram\n participant A as a\n A->>A: x; y\n",
            "sequenceDiagram\n participant A as a\n A->>A: x # y\n",
            "sequenceDiagram\n participant A as a\n A->>A: x: y\n",
            "sequenceDiagram\n participant A as a\n A->>A: <b>\n",
            "sequenceDiagram\n participant A as a\n A->>A: \"q\"\n",
            "sequenceDiagram\n participant A as a\n rect rgb(1, 2, 3)\n end\n",
            "sequenceDiagram\n participant A as a\n rect rgb(1, 2, 3)\n A->>A: x\n",
            "sequenceDiagram\n participant A as a\n rect blue\n A->>A: x\n end\n",
            "sequenceDiagram\n participant A as a\n Note over A,B: x\n",
            "sequenceDiagram\n participant A as a\n A->>A: 100%\n",
        ] {
            assert!(validate(bad).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn every_diagram_is_valid_mermaid_including_nasty_urls_and_labels() {
        let report = fixtures::report();
        let md = render(&report);
        let found = diagrams(&md);
        assert_eq!(found.len(), 4, "one per scenario with exchanges");
        for d in &found {
            validate(d).unwrap_or_else(|e| panic!("{e}\n{d}"));
        }
        let weird = found.iter().find(|d| d.contains("#35;1")).expect("the nasty labels are in a diagram");
        assert!(weird.contains(
            "Client->>MCP: GET /.well-known/oauth-protected-resource#59;v=1?… (root PRM #34;quoted#34;#59; #35;1#58; #60;b#62;bold#60;/b#62; 100#37; --#62;#62; end)"
        ), "{weird}");
        assert!(
            weird.contains(
                "Note over Client: no response#58; connection refused#58; #60;closed#62;#59; #35;x \\x1b[31m"
            ),
            "{weird}"
        );
        assert!(weird.contains("Client->>Auth: POST /mcp?… (tools/call next line)"), "{weird}");
        assert!(
            weird.contains("participant Auth as Authorization server [#58;#58;1]#58;9999, 127.0.0.1#58;9000"),
            "{weird}"
        );
    }

    #[test]
    fn the_happy_flow_has_the_right_lanes_arrows_and_phases() {
        let report = fixtures::report();
        let d = sequence_diagram(&report.results[0]);
        let lines: Vec<&str> = d.lines().map(str::trim).collect();
        assert_eq!(
            &lines[..5],
            [
                "sequenceDiagram",
                "participant Client as ChatGPT (2026 CIMD profile)",
                "participant MCP as MCP server 127.0.0.1#58;8000",
                "participant Auth as Authorization server 127.0.0.1#58;9000",
                "participant CIMD as Client metadata host 127.0.0.1#58;7000",
            ]
        );
        assert_eq!(
            &lines[5..12],
            [
                "rect rgb(232, 240, 254)",
                "Note over Client,CIMD: discovery",
                "Client->>MCP: POST /mcp (initialize)",
                "MCP-->>Client: 401",
                "Client->>MCP: GET /.well-known/oauth-protected-resource (root PRM)",
                "MCP-->>Client: 200",
                "Client->>Auth: GET /.well-known/oauth-authorization-server (AS metadata)",
            ]
        );
        assert!(lines.contains(&"Client->>CIMD: GET /client.json (client metadata document)"), "{d}");
        assert!(lines.contains(&"Client->>Auth: GET /authorize?… (authorization request)"), "{d}");
        assert!(lines.contains(&"Note over Client,CIMD: probe"), "{d}");
        assert_eq!(lines.iter().filter(|l| l.starts_with("rect ")).count(), 6);
        validate(&d).unwrap();
    }

    #[test]
    fn no_cimd_lane_without_a_url_client_id_and_no_auth_lane_without_as_traffic() {
        let report = fixtures::report();
        let d = sequence_diagram(&report.results[2]);
        assert!(!d.contains("participant CIMD"), "{d}");
        assert!(!d.contains("participant Auth"), "{d}");
        assert!(d.contains("Note over Client,MCP: discovery"), "{d}");
        validate(&d).unwrap();
    }

    #[test]
    fn multiple_attempts_are_named() {
        let mut r = fixtures::report().results[0].clone();
        for e in r.run.transcript.exchanges.iter_mut().skip(4) {
            e.attempt = 2;
        }
        let d = sequence_diagram(&r);
        assert!(d.contains("Note over Client,CIMD: discovery, attempt 1"), "{d}");
        assert!(d.contains("Note over Client,CIMD: authorize, attempt 2"), "{d}");
        validate(&d).unwrap();
    }

    /// The whole Markdown report over the fixture run (a nasty transcript included), and the
    /// diagram of a flow retried after registration.
    #[test]
    fn snapshots() {
        insta::assert_snapshot!("report", render(&fixtures::report()));
        let mut r = fixtures::report().results[0].clone();
        for e in r.run.transcript.exchanges.iter_mut().skip(4) {
            e.attempt = 2;
        }
        insta::assert_snapshot!("two_attempts", sequence_diagram(&r));
        insta::assert_snapshot!("hostile", render(&fixtures::hostile_report()));
    }

    /// What the tables say is in the `report` snapshot; this checks their shape on every row,
    /// the nasty and hostile texts' pipes included.
    #[test]
    fn every_table_row_has_as_many_cells_as_its_header() {
        let md = render(&fixtures::report()) + &render(&fixtures::hostile_report());
        // Every table row has as many cells as its header.
        for line in md.lines().filter(|l| l.starts_with('|')) {
            let cells = line.replace("\\|", "").matches('|').count();
            assert!(cells == 5 || cells == 4, "bad row: {line}");
        }
    }
}
