//! The human report, at three levels ([`Verbosity`]): by default only what needs attention — each
//! scenario that did not pass with its verdict, the findings its expectations did not name, the
//! expectations that did not hold and harness errors (kept apart from findings); `-v` every
//! scenario with every finding grouped by flow phase; `-vv` every exchange with headers and
//! bodies as well. Then findings by requirement family, counts by status and the plain closing
//! line `N passed, M failed`.
//!
//! Everything that came from the server (descriptions, headers, bodies) goes through
//! [`super::sanitize`]: control characters escaped (newlines too on one-line values), each value
//! capped, so a hostile server can neither write escape sequences to the user's terminal nor
//! forge lines of output nor flood it.

use std::borrow::Cow;
use std::fmt::Write as _;

use owo_colors::{OwoColorize, Style};

use super::shared::{self, State};
use harness_checks::model::{RunReport, ScenarioResult, Status};

/// How much to print: the same meaning in every command (`-v`, `-vv`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Verbosity {
    /// Only what needs attention: scenarios that did not pass, with their reasons; a green run of
    /// the built-in suite fits on one screen.
    #[default]
    Attention,
    /// Every scenario with every finding (`-v`).
    Findings,
    /// Every finding and every exchange with its headers and bodies (`-vv`).
    Exchanges,
}

impl Verbosity {
    /// From the number of `-v` flags, counted up from a command's own default.
    pub fn from_count(base: Verbosity, v: u8) -> Verbosity {
        match base as u8 + v {
            0 => Verbosity::Attention,
            1 => Verbosity::Findings,
            _ => Verbosity::Exchanges,
        }
    }
}

/// How to render.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TerminalOptions {
    /// ANSI colours (never on the closing `N passed, M failed` line).
    pub color: bool,
    /// What to print.
    pub verbosity: Verbosity,
}

impl TerminalOptions {
    /// Colour if standard output supports it (honours `NO_COLOR`, `FORCE_COLOR` and
    /// `owo_colors::set_override`).
    pub fn detect(verbosity: Verbosity) -> TerminalOptions {
        let probe = "x".if_supports_color(owo_colors::Stream::Stdout, |t| t.red()).to_string();
        TerminalOptions { color: probe != "x", verbosity }
    }
}

/// The whole report as text, ending with a newline.
pub fn render(report: &RunReport, opts: &TerminalOptions) -> String {
    let p = Painter(opts.color);
    let mut out = String::new();
    let everything = opts.verbosity >= Verbosity::Findings;
    for result in report.results.iter().filter(|r| everything || !r.passed()) {
        scenario(&mut out, result, opts, &p);
        out.push('\n');
    }
    let quiet_passes = if everything { 0 } else { report.results.iter().filter(|r| r.passed()).count() };
    if quiet_passes > 0 {
        let noun = if quiet_passes == 1 { "scenario" } else { "scenarios" };
        let _ =
            writeln!(out, "{}", p.paint(&format!("{quiet_passes} {noun} as expected (-v lists every finding)"), dim()));
    }
    let _ = writeln!(out, "{}", shared::status_counts_line(report));
    for line in shared::family_lines(report) {
        let _ = writeln!(out, "{line}");
    }
    let with_error = || report.results.iter().filter(|r| r.error.is_some());
    let errors = with_error().filter(|r| r.error_tier.is_harness()).count();
    let input = with_error().count() - errors;
    if errors > 0 {
        let noun = if errors == 1 { "harness error" } else { "harness errors" };
        let _ = writeln!(out, "{}", p.paint(&format!("{errors} {noun} (the harness broke, not the server)"), err()));
    }
    if input > 0 {
        let noun = if input == 1 { "scenario error" } else { "scenario errors" };
        let _ = writeln!(
            out,
            "{}",
            p.paint(&format!("{input} {noun} (the scenario or its server command is wrong, not the server)"), err())
        );
    }
    // The closing line is read by CI tools: alone on its line, never coloured.
    let _ = writeln!(out, "{}", shared::summary_line(report));
    out
}

/// One line for the runner to print as each scenario finishes: `✔ name (1.25 s)`.
pub fn progress_line(name: &str, passed: bool, ms: u64, color: bool) -> String {
    let p = Painter(color);
    let mark = if passed { p.paint("✔", ok()) } else { p.paint("✘", bad()) };
    format!(
        "{mark} {} {}",
        p.paint(&clean(name), Style::new().bold()),
        p.paint(&format!("({})", shared::duration(ms)), dim())
    )
}

fn scenario(out: &mut String, r: &ScenarioResult, opts: &TerminalOptions, p: &Painter) {
    let state = State::of(r);
    let mut head = progress_line(&r.name, state == State::Passed, r.duration_ms, opts.color);
    if state == State::Error {
        head.push_str(&format!("  {}", p.paint(shared::error_label(r), err())));
    }
    let _ = writeln!(out, "{head}");
    let verdict_style = if r.run.outcome.connected() { ok() } else { bad() };
    let _ = writeln!(out, "  {}", p.paint(&clean(&shared::verdict(r)), verdict_style));

    let width = r.findings.iter().map(|f| f.id.chars().count()).max().unwrap_or(0);
    if opts.verbosity == Verbosity::Attention {
        // Only the findings that made it fail: those its expectations did not name.
        let problems = r.unexpected_problems();
        if !problems.is_empty() {
            let _ = writeln!(
                out,
                "  {}",
                p.paint("findings the scenario does not expect", Style::new().bold().underline())
            );
        }
        for f in problems {
            let status = p.paint(&format!("{:<7}", shared::status_str(f.status)), status_style(f.status));
            let _ = writeln!(out, "    {status}  {:<width$}  {}", clean(&f.id), clean(&f.description));
        }
    }
    for (group, findings) in shared::grouped(r).into_iter().filter(|_| opts.verbosity >= Verbosity::Findings) {
        let _ = writeln!(out, "  {}", p.paint(group.label(), Style::new().bold().underline()));
        for f in findings {
            let status = p.paint(&format!("{:<7}", shared::status_str(f.status)), status_style(f.status));
            let mut line = format!("    {status}  {:<width$}  {}", clean(&f.id), clean(&f.description));
            if f.untestable {
                line.push_str(&p.paint(" (untestable: a prerequisite failed)", dim()));
            }
            let _ = writeln!(out, "{line}");
        }
    }

    let unmet: Vec<_> = r.expectations.iter().filter(|e| !e.ok).collect();
    if !unmet.is_empty() {
        let _ = writeln!(out, "  {}", p.paint("expectations not met", Style::new().bold().underline()));
        for e in unmet {
            let _ = writeln!(out, "    {} {}", p.paint("✘", bad()), clean(&shared::expectation_line(e)));
        }
    }
    if let Some(e) = &r.error {
        let label = format!("{}:", shared::error_label(r));
        let _ = writeln!(out, "  {} {}", p.paint(&label, err()), continuation(&super::sanitize::block(e), 4));
    }
    if opts.verbosity >= Verbosity::Exchanges {
        transcript(out, r, p);
    }
}

fn transcript(out: &mut String, r: &ScenarioResult, p: &Painter) {
    let t = &r.run.transcript;
    let n = t.exchanges.len();
    let _ = writeln!(
        out,
        "  {}",
        p.paint(
            &format!("transcript ({n} exchange{})", if n == 1 { "" } else { "s" }),
            Style::new().bold().underline()
        )
    );
    exchange_lines(out, t, p, true);
}

/// A transcript's exchanges for a command that has no scenario around them (`client -v`): one
/// line each at [`Verbosity::Findings`], with headers and bodies at [`Verbosity::Exchanges`],
/// nothing below — the levels `run` and `check` use. Sanitised like everything else here.
pub fn exchanges(t: &harness_transcript::Transcript, opts: &TerminalOptions) -> String {
    let mut out = String::new();
    if opts.verbosity >= Verbosity::Findings {
        exchange_lines(&mut out, t, &Painter(opts.color), opts.verbosity >= Verbosity::Exchanges);
    }
    out
}

fn exchange_lines(out: &mut String, t: &harness_transcript::Transcript, p: &Painter, bodies: bool) {
    for e in &t.exchanges {
        let answer = match (e.status, &e.error) {
            (Some(s), _) => {
                let style = if s < 400 { ok() } else { bad() };
                p.paint(&s.to_string(), style)
            }
            (None, Some(err)) => p.paint(&format!("error: {}", clean(err)), bad()),
            (None, None) => p.paint("no response", bad()),
        };
        let _ = writeln!(
            out,
            "    {} {} attempt {}  {} {} → {}  {}",
            p.paint(&format!("#{}", e.seq), Style::new().bold()),
            e.phase,
            e.attempt,
            clean(&e.method),
            clean(&e.url),
            answer,
            p.paint(&format!("({}, {})", clean(&e.label), shared::duration(e.duration_ms)), dim()),
        );
        if !bodies {
            continue;
        }
        for (k, v) in &e.request_headers {
            let _ = writeln!(out, "        > {}: {}", clean(k), clean(v));
        }
        if let Some(b) = &e.request_body {
            body(out, ">", b, false);
        }
        for (k, v) in &e.response_headers {
            let _ = writeln!(out, "        < {}: {}", clean(k), clean(v));
        }
        if let Some(b) = &e.response_body {
            body(out, "<", b, e.truncated);
        }
    }
}

fn body(out: &mut String, dir: &str, b: &str, truncated: bool) {
    if b.is_empty() {
        return;
    }
    for line in super::sanitize::block(b).lines() {
        let _ = writeln!(out, "        {dir}   {line}");
    }
    if truncated {
        let _ = writeln!(out, "        {dir}   … (truncated at the body limit)");
    }
}

/// A one-line value from the server: controls and newlines escaped, capped
/// ([`super::sanitize::line`]).
fn clean(s: &str) -> Cow<'_, str> {
    super::sanitize::line(s)
}

/// Continuation lines of a multi-line text indented under its first line.
fn continuation(s: &str, indent: usize) -> String {
    s.replace('\n', &format!("\n{}", " ".repeat(indent)))
}

struct Painter(bool);

impl Painter {
    fn paint(&self, s: &str, style: Style) -> String {
        if self.0 { s.style(style).to_string() } else { s.to_owned() }
    }
}

fn ok() -> Style {
    Style::new().green()
}
fn bad() -> Style {
    Style::new().red()
}
fn err() -> Style {
    Style::new().magenta().bold()
}
fn dim() -> Style {
    Style::new().dimmed()
}
fn status_style(s: Status) -> Style {
    match s {
        Status::Success => ok(),
        Status::Failure => Style::new().red().bold(),
        Status::Warning => Style::new().yellow(),
        Status::Skipped => dim(),
        Status::Info => Style::new().cyan(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;

    fn plain(verbosity: Verbosity) -> String {
        render(&fixtures::report(), &TerminalOptions { color: false, verbosity })
    }

    #[test]
    fn ends_with_the_plain_closing_line() {
        let text = plain(Verbosity::Attention);
        let last = text.lines().last().unwrap();
        assert_eq!(last, "2 passed, 3 failed");
        // Exactly that shape, alone on its line, even with colour on.
        let coloured = render(&fixtures::report(), &TerminalOptions { color: true, verbosity: Verbosity::Exchanges });
        assert!(coloured.lines().any(|l| l == "2 passed, 3 failed"), "{coloured}");
        assert!(coloured.contains("\u{1b}["), "colour was asked for");
        assert!(!text.contains("\u{1b}["), "no colour was asked for");
    }

    #[test]
    fn verbose_adds_the_transcript_without_a_raw_escape() {
        assert!(!plain(Verbosity::Findings).contains("transcript ("));
        let text = plain(Verbosity::Exchanges);
        assert!(text.contains("  transcript (9 exchanges)"), "{text}");
        assert!(text.contains("→ error: connection refused: <closed>; #x \\x1b[31m"), "{text}");
        assert!(!text.contains('\u{1b}'), "a server-supplied escape reached the terminal");
    }

    /// The whole terminal report, quiet and verbose, over the fixture run and over hostile text:
    /// marks, verdicts, findings grouped by phase, harness errors and failed expectations apart.
    #[test]
    fn snapshots() {
        insta::assert_snapshot!("attention", plain(Verbosity::Attention));
        insta::assert_snapshot!("quiet", plain(Verbosity::Findings));
        insta::assert_snapshot!("verbose", plain(Verbosity::Exchanges));
        let hostile = fixtures::hostile_report();
        let text = render(&hostile, &TerminalOptions { color: false, verbosity: Verbosity::Exchanges });
        assert!(!text.chars().any(|c| c.is_control() && c != '\n'), "a raw control character reached the terminal");
        insta::assert_snapshot!("hostile_verbose", text);
    }

    /// By default a passing scenario takes no line of its own; a failing one shows its verdict and
    /// only the findings and expectations that made it fail.
    #[test]
    fn the_default_shows_what_needs_attention() {
        let text = plain(Verbosity::Attention);
        assert!(!text.contains("cimd-happy-path"), "a passing scenario is listed:\n{text}");
        assert!(text.contains("2 scenarios as expected (-v lists every finding)"), "{text}");
        assert!(text.contains("✘ no-root-prm"), "{text}");
        assert!(text.contains("findings the scenario does not expect"), "{text}");
        assert!(text.contains("FAILURE  RS-03  root PRM answered 404"), "{text}");
        assert!(text.contains("RS   "), "per-family summary:\n{text}");
        let all = plain(Verbosity::Findings);
        assert!(all.contains("cimd-happy-path") && all.lines().count() > text.lines().count());
    }

    #[test]
    fn verbosity_counts_up_from_the_command_default() {
        assert_eq!(Verbosity::from_count(Verbosity::Attention, 0), Verbosity::Attention);
        assert_eq!(Verbosity::from_count(Verbosity::Attention, 1), Verbosity::Findings);
        assert_eq!(Verbosity::from_count(Verbosity::Findings, 1), Verbosity::Exchanges);
        assert_eq!(Verbosity::from_count(Verbosity::Attention, 9), Verbosity::Exchanges);
    }

    #[test]
    fn progress_lines() {
        assert_eq!(progress_line("a", true, 5, false), "✔ a (5 ms)");
        assert_eq!(progress_line("b", false, 2500, false), "✘ b (2.50 s)");
        assert!(progress_line("b", false, 2500, true).contains("\u{1b}[31m✘"));
    }
}
