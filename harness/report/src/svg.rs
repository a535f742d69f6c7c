//! The sequence diagram drawn as inline SVG by the harness, for the HTML reports: the same
//! [`Diagram`] the Markdown reports write as Mermaid, laid out here, so a report page needs no
//! script and no external asset to show its flow (Mermaid only draws where a script runs).
//!
//! Layout: the client's lane on the left, one lane per [`Diagram::lanes`] to its right, at a fixed
//! spacing; each [`Block`] a coloured band across every lane with its title; each [`Message`] a
//! request arrow from the client with its text above it, then a dashed reply arrow with the status
//! (or a note under the client when nothing came back). The `<svg>` carries a `viewBox` and is
//! scaled down by the page's CSS (`max-width:100%`), so a diagram never makes a page wider than
//! its column; text too long for the room it has is cut with `…`, and the whole text stays in a
//! `<title>` (shown as a tooltip, read by screen readers).
//!
//! Every text goes through [`crate::sanitize::line`] and is escaped by maud; lane ids never reach
//! the output. Arrowheads are polygons, not `<marker>`s, so several diagrams in one page share no
//! element ids.

use maud::{Markup, html};

use crate::sanitize;
use crate::sequence::{Diagram, Reply, shorten};

/// Outer margin.
const MARGIN: u32 = 12;
/// Distance between two lanes.
const GAP: u32 = 220;
/// Height of a lane's name box.
const HEAD: u32 = 44;
/// The width of one character of diagram text (12 px monospace in the page's CSS,
/// [`crate::page::CSS`]): a little more than 0.6 em, so a cut text always fits.
const CHAR_W: f32 = 7.4;
/// Characters on a line of a lane's name box (two lines at most).
const NAME_CHARS: usize = ((GAP - 28) as f32 / CHAR_W) as usize;
/// Height of a block's title row and of one message (request line + arrow + reply line + arrow).
const TITLE_H: u32 = 22;
const MESSAGE_H: u32 = 46;
/// The narrowest diagram: with one or two lanes, request texts still get room to the right.
const MIN_WIDTH: u32 = 800;
/// Space under a block.
const BLOCK_GAP: u32 = 8;

/// The class of a reply's status: `ok` (1xx–2xx), `redirect` (3xx), `error` (4xx–5xx).
pub(crate) fn status_class(s: u16) -> &'static str {
    match s {
        100..=299 => "ok",
        300..=399 => "redirect",
        _ => "error",
    }
}

/// A name cut into at most two lines of `width` characters, at spaces where it can.
fn two_lines(s: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in s.split(' ').filter(|w| !w.is_empty()) {
        let need = if cur.is_empty() { word.chars().count() } else { cur.chars().count() + 1 + word.chars().count() };
        if need <= width || cur.is_empty() {
            if !cur.is_empty() {
                cur.push(' ');
            }
            cur.push_str(word);
        } else {
            lines.push(std::mem::take(&mut cur));
            cur.push_str(word);
        }
    }
    if !cur.is_empty() || lines.is_empty() {
        lines.push(cur);
    }
    if lines.len() > 2 {
        let rest = lines[1..].join(" ");
        lines.truncate(1);
        lines.push(rest);
    }
    lines.into_iter().map(|l| shorten(&l, width)).collect()
}

/// Characters that fit in `px` pixels.
fn fits(px: u32) -> usize {
    ((px as f32) / CHAR_W).floor().max(4.0) as usize
}

/// A filled arrowhead at `(x, y)` pointing right (`dir = 1`) or left (`dir = -1`).
fn head(x: u32, y: u32, dir: i32, class: &str) -> Markup {
    let (x, y) = (x as i32, y as i32);
    let back = x - 8 * dir;
    html! { polygon class=(class) points={ (x) "," (y) " " (back) "," (y - 4) " " (back) "," (y + 4) } {} }
}

impl Diagram {
    /// The diagram as one `<svg>` element (no scripts, no ids, no external references).
    pub fn svg(&self) -> Markup {
        let lanes = self.lanes.len() as u32 + 1;
        let width = (2 * MARGIN + GAP * lanes).max(MIN_WIDTH);
        let x_of = |i: u32| MARGIN + GAP / 2 + GAP * i;
        let lane_x = |id: &str| self.lanes.iter().position(|l| l.id == id).map(|i| x_of(i as u32 + 1));
        let names: Vec<String> = std::iter::once(self.client.as_str())
            .chain(self.lanes.iter().map(|l| l.name.as_str()))
            .map(|n| sanitize::line(n).into_owned())
            .collect();
        let client_x = x_of(0);
        // Room for a request's text: from just right of the client to the right margin.
        let text_chars = fits(width - MARGIN - client_x - 10);

        let mut y = MARGIN + HEAD + 10;
        let mut bands = Vec::new();
        let mut front = Vec::new();
        for b in &self.blocks {
            let top = y;
            let title = sanitize::line(&b.title).into_owned();
            front.push(html! {
                text.block x=(MARGIN + 6) y=(top + 15) { (shorten(&title, fits(width - 2 * MARGIN - 12))) }
            });
            y += TITLE_H;
            for m in &b.messages {
                let text = sanitize::line(&m.text).into_owned();
                let to = lane_x(&m.to).unwrap_or(client_x);
                let (req_y, arrow_y) = (y + 12, y + 18);
                front.push(html! {
                    g.message {
                        title { (text) }
                        text.request x=(client_x + 6) y=(req_y) { (shorten(&text, text_chars)) }
                        line.request x1=(client_x) y1=(arrow_y) x2=(to) y2=(arrow_y) {}
                        (head(to, arrow_y, if to >= client_x { 1 } else { -1 }, "request"))
                    }
                });
                match &m.reply {
                    Reply::Status(s) => {
                        let (status_y, reply_y) = (y + 34, y + 40);
                        let class = status_class(*s);
                        front.push(html! {
                            g class={ "reply " (class) } {
                                text.status x=(to - 6) y=(status_y) text-anchor="end" { (s) }
                                line.reply x1=(to) y1=(reply_y) x2=(client_x) y2=(reply_y) {}
                                (head(client_x, reply_y, -1, "reply"))
                            }
                        });
                    }
                    Reply::Missing(why) => {
                        let why = format!("no response: {}", sanitize::line(why));
                        let note_w = width - MARGIN - client_x - 10;
                        front.push(html! {
                            g.missing {
                                title { (why) }
                                rect.note x=(client_x - 4) y=(y + 24) width=(note_w) height="18" rx="3" {}
                                text.missing x=(client_x + 2) y=(y + 37) { (shorten(&why, fits(note_w - 8))) }
                            }
                        });
                    }
                }
                y += MESSAGE_H;
            }
            bands.push(html! {
                rect.band x=(MARGIN) y=(top) width=(width - 2 * MARGIN) height=(y - top + 4) rx="4" style={ "fill:" (b.colour) } {}
            });
            y += BLOCK_GAP + 4;
        }
        let height = y + MARGIN;
        let label = format!("Sequence diagram: {} and {} other participants", names[0], self.lanes.len());
        html! {
            svg.sequence xmlns="http://www.w3.org/2000/svg" role="img" aria-label=(label)
                viewBox={ "0 0 " (width) " " (height) } width=(width) height=(height) {
                @for b in &bands { (b) }
                @for (i, name) in names.iter().enumerate() {
                    @let x = x_of(i as u32);
                    line.lifeline x1=(x) y1=(MARGIN + HEAD) x2=(x) y2=(height - MARGIN) {}
                    g.lane {
                        title { (name) }
                        rect.lane x=(x - GAP / 2 + 8) y=(MARGIN) width=(GAP - 16) height=(HEAD) rx="5" {}
                        @let lines = two_lines(name, NAME_CHARS);
                        @let first = if lines.len() == 1 { MARGIN + HEAD / 2 + 4 } else { MARGIN + HEAD / 2 - 3 };
                        @for (n, l) in lines.iter().enumerate() {
                            text.lane x=(x) y=(first + 14 * n as u32) text-anchor="middle" { (l) }
                        }
                    }
                }
                @for f in &front { (f) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sequence::{Block, Lane, Message};

    #[test]
    fn names_wrap_on_two_lines_and_are_cut_after() {
        assert_eq!(two_lines("MCP server 127.0.0.1:8000", 25), ["MCP server 127.0.0.1:8000"]);
        assert_eq!(two_lines("Authorization server 127.0.0.1:9000", 25), ["Authorization server", "127.0.0.1:9000"]);
        let l = two_lines(&"x".repeat(100), 25);
        assert_eq!(l.len(), 1);
        assert_eq!(l[0].chars().count(), 25);
        assert!(two_lines("a b c d e f g h i j k l m n o p q r s t u v w x y z", 8).len() == 2);
        assert_eq!(two_lines("", 8), [""]);
    }

    /// Hostile text everywhere text goes: escaped by maud, controls shown escaped, long text cut
    /// with its whole value in a `<title>`; the lane ids are never written.
    #[test]
    fn hostile_diagram() {
        let hostile = crate::fixtures::HOSTILE;
        let d = Diagram {
            client: format!("Client {hostile}"),
            lanes: vec![Lane::new("SECRETID", format!("srv {hostile}")), Lane::new("T", "")],
            blocks: vec![Block {
                colour: crate::sequence::phase_colour(harness_transcript::Phase::Mcp),
                title: hostile.into(),
                messages: vec![
                    Message {
                        to: "SECRETID".into(),
                        text: format!("GET /x?{}&{hostile}", "y".repeat(300)),
                        reply: Reply::Status(200),
                    },
                    Message { to: "T".into(), text: "POST /t".into(), reply: Reply::Status(503) },
                    Message { to: "nowhere".into(), text: "POST".into(), reply: Reply::Missing(hostile.into()) },
                ],
            }],
        };
        let svg = d.svg().into_string();
        assert!(!svg.contains("<script") && !svg.contains("SECRETID") && !crate::sanitize::has_raw_control(&svg));
        insta::assert_snapshot!(svg.replace("><", ">\n<"));
    }
}
