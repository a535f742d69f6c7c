//! One Mermaid `sequenceDiagram` writer for every report that draws a flow: the scenario
//! report's per-scenario diagram and the certification's per-flow diagram differ only in their
//! lanes and in how an exchange is named, so both build a [`Diagram`] and call [`Diagram::mermaid`].
//!
//! Every piece of text in a diagram comes from the server under test or from its URLs, so all of
//! it goes through [`mermaid_text`]; lane ids are chosen by the caller and never hold server text.

use std::fmt::Write as _;

use harness_transcript::{Exchange, Phase};
use url::Url;

/// A participant: `participant {id} as {name}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lane {
    /// The Mermaid identifier arrows use: ASCII letters and digits only, chosen by the caller.
    pub id: String,
    /// What the reader sees (escaped when written).
    pub name: String,
}

impl Lane {
    /// A lane called `id` showing `name`.
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Lane {
        Lane { id: id.into(), name: name.into() }
    }
}

/// What came back for a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// An HTTP status: drawn as a reply arrow.
    Status(u16),
    /// No response, and why: drawn as a note over the client.
    Missing(String),
}

impl Reply {
    /// The exchange's status, or its transport error.
    pub fn of(e: &Exchange) -> Reply {
        match (e.status, &e.error) {
            (Some(s), _) => Reply::Status(s),
            (None, err) => Reply::Missing(err.clone().unwrap_or_else(|| "no response".to_owned())),
        }
    }
}

/// One request from the client and its reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The [`Lane::id`] the request goes to.
    pub to: String,
    /// The request as the reader sees it (escaped when written).
    pub text: String,
    /// What came back.
    pub reply: Reply,
}

/// Consecutive messages in a coloured `rect`, with a note spanning every lane naming them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// A Mermaid colour (`rgb(…)`), chosen by the caller.
    pub colour: &'static str,
    /// The note's text (escaped when written).
    pub title: String,
    /// The block's requests, in order.
    pub messages: Vec<Message>,
}

/// A whole diagram: the client on the left, then the lanes in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagram {
    /// The client's name (escaped when written); its lane id is `Client`.
    pub client: String,
    /// Every other participant, left to right.
    pub lanes: Vec<Lane>,
    /// The blocks, top to bottom.
    pub blocks: Vec<Block>,
}

impl Diagram {
    /// The Mermaid text (ends with a newline, no fence).
    pub fn mermaid(&self) -> String {
        let mut out = String::from("sequenceDiagram\n");
        let _ = writeln!(out, "    participant Client as {}", mermaid_text(&self.client));
        for l in &self.lanes {
            let _ = writeln!(out, "    participant {} as {}", l.id, mermaid_text(&l.name));
        }
        let over = match self.lanes.last() {
            Some(l) => format!("Client,{}", l.id),
            None => "Client".to_owned(),
        };
        for b in &self.blocks {
            let _ = writeln!(out, "    rect {}", b.colour);
            let _ = writeln!(out, "        Note over {over}: {}", mermaid_text(&b.title));
            for m in &b.messages {
                let to = &m.to;
                let _ = writeln!(out, "        Client->>{to}: {}", mermaid_text(&m.text));
                match &m.reply {
                    Reply::Status(s) => {
                        let _ = writeln!(out, "        {to}-->>Client: {s}");
                    }
                    Reply::Missing(why) => {
                        let _ =
                            writeln!(out, "        Note over Client: {}", mermaid_text(&format!("no response: {why}")));
                    }
                }
            }
            let _ = writeln!(out, "    end");
        }
        out
    }
}

/// The exchanges cut into runs of consecutive exchanges with the same `key` (a phase, or a phase
/// and an attempt): one [`Block`] each.
pub fn runs<K: PartialEq>(exchanges: &[Exchange], key: impl Fn(&Exchange) -> K) -> Vec<&[Exchange]> {
    let mut out = Vec::new();
    let mut rest = exchanges;
    while let Some(first) = rest.first() {
        let k = key(first);
        let n = rest.iter().take_while(|e| key(e) == k).count();
        let (run, tail) = rest.split_at(n);
        out.push(run);
        rest = tail;
    }
    out
}

/// The block colour of a phase, the same in every report.
pub fn phase_colour(p: Phase) -> &'static str {
    match p {
        Phase::Discovery => "rgb(232, 240, 254)",
        Phase::Registration => "rgb(243, 232, 253)",
        Phase::Authorize => "rgb(254, 243, 224)",
        Phase::Token => "rgb(255, 236, 236)",
        Phase::Mcp => "rgb(230, 246, 234)",
        Phase::StepUp => "rgb(255, 249, 219)",
        Phase::Refresh => "rgb(236, 246, 246)",
        Phase::Probe => "rgb(240, 240, 240)",
    }
}

/// `http://127.0.0.1:8000` for a URL, if it has a tuple origin: what lanes are decided by.
pub fn origin(url: &str) -> Option<String> {
    let o = Url::parse(url).ok()?.origin();
    o.is_tuple().then(|| o.ascii_serialization())
}

/// `127.0.0.1:8000` from an origin: what a lane shows.
pub fn host(origin: &str) -> String {
    origin.split_once("://").map(|(_, h)| h.to_owned()).unwrap_or_else(|| origin.to_owned())
}

/// At most `max` characters, the last one `…` when cut.
pub fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max { s.to_owned() } else { s.chars().take(max - 1).chain(['…']).collect() }
}

/// Text safe in a Mermaid message, note or participant alias: every character the sequence
/// lexer treats specially becomes an entity code (`#59;`), line breaks become spaces, and the
/// result is never empty.
pub fn mermaid_text(s: &str) -> String {
    let s = super::sanitize::block_capped(s, super::sanitize::LINE_CAP);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            ';' => out.push_str("#59;"),
            '#' => out.push_str("#35;"),
            ':' => out.push_str("#58;"),
            '"' => out.push_str("#34;"),
            '\'' => out.push_str("#39;"),
            '<' => out.push_str("#60;"),
            '>' => out.push_str("#62;"),
            '%' => out.push_str("#37;"),
            '&' => out.push_str("#38;"),
            '`' => out.push_str("#96;"),
            '{' => out.push_str("#123;"),
            '}' => out.push_str("#125;"),
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    if out.trim().is_empty() { "-".to_owned() } else { out.trim().to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hostile text in every place text goes: the client name, a lane name, a block title, a
    /// request and a transport error; lane ids come out as given.
    #[test]
    fn hostile_text_is_escaped_everywhere() {
        let d = Diagram {
            client: "evil`client`; <script>alert(1)</script>".into(),
            lanes: vec![Lane::new("S", "srv | \"x\"\n%%{init}%%"), Lane::new("T", "")],
            blocks: vec![Block {
                colour: phase_colour(Phase::Mcp),
                title: "a: b # c".into(),
                messages: vec![
                    Message {
                        to: "S".into(),
                        text: "GET /x?y=1;z -->> T: owned\u{7}\u{1b}[2J".into(),
                        reply: Reply::Status(200),
                    },
                    Message { to: "T".into(), text: "POST".into(), reply: Reply::Missing("reset; \r\nend".into()) },
                ],
            }],
        };
        insta::assert_snapshot!(d.mermaid());
    }

    #[test]
    fn runs_split_where_the_key_changes() {
        let ex = |phase, attempt| {
            let mut e = crate::fixtures::exchange(phase, "GET", "http://a/", "x", Some(200));
            e.attempt = attempt;
            e
        };
        let all = [
            ex(Phase::Discovery, 1),
            ex(Phase::Discovery, 1),
            ex(Phase::Token, 1),
            ex(Phase::Token, 2),
            ex(Phase::Discovery, 2),
        ];
        let lens: Vec<usize> = runs(&all, |e| e.phase).iter().map(|r| r.len()).collect();
        assert_eq!(lens, [2, 2, 1]);
        let lens: Vec<usize> = runs(&all, |e| (e.phase, e.attempt)).iter().map(|r| r.len()).collect();
        assert_eq!(lens, [2, 1, 1, 1]);
        assert!(runs(&[], |e| e.phase).is_empty());
    }
}
