//! The requirement catalogue: every ID of `REQUIREMENTS.md` with its level, spec versions, sources,
//! summary, how the harness checks it and, for GPT-*, what ChatGPT shows when it fails.
//!
//! The data lives in `harness/checks/requirements.yaml`, embedded in the binary and parsed once. Checks take
//! a finding's name, spec references and failing status from here, so a requirement's level is
//! decided in one place: `must` → FAILURE, `should` → WARNING (the official conformance suite's
//! mapping), `info` → never a problem.

use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

use mcp_wire::SpecVersion;

use crate::model::{SpecRef, Status};

/// The catalogue file, embedded.
pub const CATALOGUE_YAML: &str = include_str!("../requirements.yaml");

/// The MCP revisions the catalogue knows, oldest first. 2026-07-28 is catalogued (its IDs have a
/// meaning) but not yet judged: the checks speak the two 2025 revisions.
pub const SPEC_VERSIONS: [SpecVersion; 3] = SpecVersion::CATALOGUED;

/// The newest revision the checks judge (the newest with the `initialize` handshake): an unknown
/// revision is judged as this one.
const NEWEST_JUDGED: SpecVersion = SpecVersion::NEWEST_LEGACY;

/// How binding a requirement is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// MUST / MUST NOT: a violation is a FAILURE.
    Must,
    /// SHOULD: a violation is a WARNING.
    Should,
    /// Informational: recorded, never a problem.
    Info,
}

impl Level {
    /// The status a violation gets.
    pub fn violation(self) -> Status {
        match self {
            Level::Must => Status::Failure,
            Level::Should => Status::Warning,
            Level::Info => Status::Info,
        }
    }
}

/// Where a requirement comes from: a spec file (or RFC, or research note) and the place in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// `MCP-2025-11-25-authorization`, `RFC9728`, `chatgpt-research`, …
    pub id: String,
    /// Lines or section: `L93-99`, `§3.3`, `§1.2; kernel/kernel-mcp-server#91`.
    pub at: String,
}

/// One catalogue entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    /// `RS-08`, `H-13`, `GPT-04`, …
    pub id: String,
    /// A few words for reports (`Audience is validated`).
    pub name: String,
    /// How binding it is.
    pub level: Level,
    /// The MCP revisions it applies to.
    pub versions: Vec<SpecVersion>,
    /// Where it comes from.
    pub source: Vec<Source>,
    /// One line.
    pub summary: String,
    /// How the harness checks it ("not black-box testable" where so).
    pub how: String,
    /// For GPT-*: what ChatGPT shows when it fails, where known (`{url}` is the MCP server URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chatgpt_message: Option<String>,
}

impl Requirement {
    /// Whether it applies under this MCP revision (an unknown revision is judged as the newest).
    pub fn applies_to(&self, spec_version: &str) -> bool {
        let v = SpecVersion::parse(spec_version).filter(|v| SPEC_VERSIONS.contains(v)).unwrap_or(NEWEST_JUDGED);
        self.versions.contains(&v)
    }

    /// The status a violation gets.
    pub fn violation(&self) -> Status {
        self.level.violation()
    }

    /// The sources as finding spec references: the public page (where there is one) and the
    /// cited lines or section.
    pub fn spec_refs(&self) -> Vec<SpecRef> {
        self.source
            .iter()
            .map(|s| SpecRef {
                id: s.id.clone(),
                url: crate::spec_links::url(&s.id, &s.at),
                location: Some(s.at.clone()),
            })
            .collect()
    }

    /// The ChatGPT message with `{url}` filled in.
    pub fn chatgpt_says(&self, url: &str) -> Option<String> {
        self.chatgpt_message.as_ref().map(|m| m.replace("{url}", url))
    }
}

static CATALOGUE: LazyLock<Vec<Requirement>> = LazyLock::new(|| {
    parse(CATALOGUE_YAML)
        .unwrap_or_else(|e| panic!("the embedded requirements.yaml is invalid (a unit test checks it): {e}"))
});

/// Parses a catalogue document (the embedded one, or a file for tests) and checks its invariants:
/// unique IDs, non-empty fields, known versions.
pub fn parse(text: &str) -> Result<Vec<Requirement>, String> {
    let options = serde_saphyr::options! { strict_booleans: true };
    let list: Vec<Requirement> = serde_saphyr::from_str_with_options(text, options).map_err(|e| e.to_string())?;
    let mut seen = std::collections::HashSet::new();
    for r in &list {
        if !seen.insert(r.id.as_str()) {
            return Err(format!("{} is listed twice", r.id));
        }
        let empty = [("name", &r.name), ("summary", &r.summary), ("how", &r.how)]
            .into_iter()
            .find(|(_, v)| v.trim().is_empty())
            .map(|(k, _)| k);
        if let Some(field) = empty {
            return Err(format!("{}: `{field}` is empty", r.id));
        }
        if r.versions.is_empty() || r.versions.iter().any(|v| !SPEC_VERSIONS.contains(v)) {
            let known = SPEC_VERSIONS.map(SpecVersion::as_str);
            return Err(format!(
                "{}: versions {} must be a non-empty subset of {known:?}",
                r.id,
                versions_text(&r.versions)
            ));
        }
        if r.source.is_empty() || r.source.iter().any(|s| s.id.trim().is_empty() || s.at.trim().is_empty()) {
            return Err(format!("{}: every requirement needs at least one complete source", r.id));
        }
        if r.chatgpt_message.is_some() && !r.id.starts_with("GPT-") {
            return Err(format!("{}: only GPT-* requirements carry a chatgpt_message", r.id));
        }
    }
    Ok(list)
}

/// Every requirement, in catalogue order (RS, H, AS, C, GPT).
pub fn all() -> &'static [Requirement] {
    &CATALOGUE
}

/// One requirement by ID.
pub fn get(id: &str) -> Option<&'static Requirement> {
    CATALOGUE.iter().find(|r| r.id == id)
}

/// The requirement IDs a document mentions: `RS-08`, ranges such as `RS-01..20` or `C-01..C-28`,
/// and slash lists such as `AS-05/06/07`. Used to check the catalogue against `REQUIREMENTS.md`.
pub fn ids_in(text: &str) -> Vec<String> {
    const FAMILIES: [&str; 5] = ["GPT", "RS", "AS", "H", "C"];
    let b = text.as_bytes();
    let two_digits = |i: usize| -> Option<u32> {
        let d = b.get(i..i + 2)?;
        let next_is_digit = b.get(i + 2).is_some_and(u8::is_ascii_digit);
        (d.iter().all(u8::is_ascii_digit) && !next_is_digit)
            .then(|| u32::from(d[0] - b'0') * 10 + u32::from(d[1] - b'0'))
    };
    let mut out: Vec<String> = Vec::new();
    let mut push = |fam: &str, n: u32| {
        let id = format!("{fam}-{n:02}");
        if !out.contains(&id) {
            out.push(id);
        }
    };
    let mut i = 0;
    while i < b.len() {
        let boundary = i == 0 || !b[i - 1].is_ascii_alphanumeric();
        let fam = FAMILIES.iter().find(|f| boundary && b[i..].starts_with(format!("{f}-").as_bytes()));
        let Some(fam) = fam else {
            i += 1;
            continue;
        };
        let mut j = i + fam.len() + 1;
        let Some(first) = two_digits(j) else {
            i += 1;
            continue;
        };
        push(fam, first);
        j += 2;
        let mut last = first;
        loop {
            if b.get(j) == Some(&b'/')
                && let Some(n) = two_digits(j + 1)
            {
                push(fam, n);
                last = n;
                j += 3;
            } else if b.get(j..).is_some_and(|r| r.starts_with(b"..")) {
                let k = j + 2;
                let prefixed = b.get(k..).is_some_and(|r| r.starts_with(format!("{fam}-").as_bytes()));
                let k = if prefixed { k + fam.len() + 1 } else { k };
                let Some(end) = two_digits(k) else { break };
                for n in last..=end {
                    push(fam, n);
                }
                last = end;
                j = k + 2;
            } else {
                break;
            }
        }
        i = j;
    }
    out
}

/// Revisions as the catalogue writes them: `2025-06-18, 2025-11-25`.
pub fn versions_text(versions: &[SpecVersion]) -> String {
    versions.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_source_of_the_catalogue_but_the_research_notes_has_a_url() {
        for r in all() {
            for s in &r.source {
                let research = s.id == "chatgpt-research" || s.id.starts_with("research-");
                let u = crate::spec_links::url(&s.id, &s.at);
                assert_eq!(u.is_none(), research, "{} source {} → {u:?}", r.id, s.id);
                if let Some(u) = u {
                    assert!(u.starts_with("https://") && !u.contains(' '), "{u}");
                }
            }
        }
    }

    /// The IDs REQUIREMENTS.md defines, as its text lists them (checked against the file when the
    /// shared folder is present).
    fn expected_ids() -> Vec<String> {
        let mut v = Vec::new();
        let mut add = |fam: &str, ns: &[u32]| v.extend(ns.iter().map(|n| format!("{fam}-{n:02}")));
        add("RS", &(1..=20).collect::<Vec<_>>());
        add("H", &[2, 4, 5, 6, 7, 9, 12, 13, 14, 15, 16, 17]);
        add("AS", &[2, 4, 5, 6, 7, 8, 10, 11, 14, 15, 17, 18, 20, 22, 23]);
        add("C", &(1..=28).collect::<Vec<_>>());
        add("GPT", &(1..=18).collect::<Vec<_>>());
        // New in 2026-07-28 (and ChatGPT since 2026-08): catalogued, not judged yet.
        add("RS", &(21..=28).collect::<Vec<_>>());
        add("H", &[21, 22, 23, 24, 25, 26, 27, 28, 29, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 44]);
        add("AS", &(24..=28).collect::<Vec<_>>());
        add("C", &[30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 42]);
        add("GPT", &[19, 20, 21]);
        v
    }

    #[test]
    fn the_embedded_catalogue_parses_and_has_every_id() {
        let ids: Vec<&str> = all().iter().map(|r| r.id.as_str()).collect();
        for id in expected_ids() {
            assert!(ids.contains(&id.as_str()), "{id} missing from requirements.yaml");
        }
        assert_eq!(all().len(), expected_ids().len(), "unexpected extra IDs: {ids:?}");
        for r in all() {
            assert!(!r.name.is_empty() && !r.summary.is_empty() && !r.how.is_empty(), "{}", r.id);
            assert!(!r.spec_refs().is_empty(), "{}", r.id);
            assert!(!r.summary.contains('\n') && !r.name.contains('\n'), "{}: one line", r.id);
        }
        assert_eq!(get("RS-08").unwrap().violation(), Status::Failure);
        assert_eq!(get("RS-16").unwrap().violation(), Status::Warning);
        assert_eq!(get("RS-20").unwrap().violation(), Status::Info);
        assert!(get("RS-04").unwrap().applies_to("2025-11-25") && !get("RS-04").unwrap().applies_to("2025-06-18"));
        assert!(get("RS-04").unwrap().applies_to("2099-01-01"), "unknown revisions are judged as the newest");
        assert_eq!(
            get("GPT-01").unwrap().chatgpt_says("https://x/mcp").as_deref(),
            Some("MCP server https://x/mcp does not implement OAuth")
        );
        assert!(get("RS-11").unwrap().how.contains("Not black-box testable"));
        assert!(get("C-27").unwrap().how.contains("Not black-box testable"));
        assert!(get("XX-01").is_none());
    }

    #[test]
    fn every_id_of_requirements_md_is_catalogued() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/REQUIREMENTS.md");
        let Ok(text) = std::fs::read_to_string(path) else {
            eprintln!("skipped: {path} is not present");
            return;
        };
        let ids = ids_in(&text);
        assert!(ids.len() >= expected_ids().len(), "the parser found only {ids:?}");
        for id in &ids {
            assert!(get(id).is_some(), "{id} of REQUIREMENTS.md is not in requirements.yaml");
        }
        for id in expected_ids() {
            assert!(ids.contains(&id), "{id} is no longer in REQUIREMENTS.md");
        }
        // C-01..C-28 are "as listed in the research §2.5": check against that table too.
        let research = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/research/mcp-spec-and-conformance.md");
        if let Ok(text) = std::fs::read_to_string(research) {
            for line in text.lines().filter(|l| l.starts_with("| C-")) {
                let id = &line[2..6];
                assert!(get(id).is_some(), "{id} of the research §2.5 is not catalogued");
            }
        }
    }

    #[test]
    fn id_extraction_reads_ranges_and_slash_lists() {
        let ids = ids_in("RS-01..03, AS-05/06/08 · C-01..C-03 and GPT-18; H-13 → 400; XRS-09 no; RS-123 no");
        assert_eq!(
            ids,
            ["RS-01", "RS-02", "RS-03", "AS-05", "AS-06", "AS-08", "C-01", "C-02", "C-03", "GPT-18", "H-13"]
        );
    }

    #[test]
    fn invalid_catalogues_are_refused_with_the_reason() {
        let entry = |id: &str, extra: &str| {
            format!(
                "- id: {id}\n  name: n\n  level: must\n  versions: [2025-06-18]\n  source: [{{id: RFC1, at: '§1'}}]\n  summary: s\n  how: h\n{extra}"
            )
        };
        assert!(parse(&entry("RS-01", "")).is_ok());
        assert!(parse(&format!("{}{}", entry("RS-01", ""), entry("RS-01", ""))).unwrap_err().contains("twice"));
        assert!(parse(&entry("RS-01", "  chatgpt_message: x\n")).unwrap_err().contains("chatgpt_message"));
        assert!(parse(&entry("RS-01", "").replace("how: h", "how: ''")).unwrap_err().contains("how"));
        assert!(parse(&entry("RS-01", "").replace("2025-06-18", "2024-11-05")).unwrap_err().contains("versions"));
        assert!(parse(&entry("RS-01", "").replace("level: must", "level: may")).is_err());
        assert!(parse(&entry("RS-01", "  extra: 1\n")).is_err(), "unknown fields are refused");
    }
}
