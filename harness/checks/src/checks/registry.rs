//! One rule per requirement: every requirement ID the checks judge, in catalogue order, with the
//! one function that judges it over the transcript. [`run`](super::run) iterates this table, the
//! unreachable-target verdict skips exactly these IDs, and the runner's "needs minted tokens" list
//! is read from it, so adding a requirement is one entry here, one judge function, one fixture.
//!
//! Every ID here is in the [catalogue](crate::catalogue) (a unit test holds the two together).

use super::common::View;
use super::{challenge, chatgpt, modern, prm, session, tokens, transport};
use crate::model::Finding;

/// A requirement the checks judge.
#[derive(Clone, Copy)]
pub struct Rule {
    /// The requirement ID, as in the catalogue.
    pub id: &'static str,
    /// What the checks need to test it that only tokens minted by an IdP the server trusts give;
    /// `None` when the harness's own probes suffice.
    pub needs_minted_tokens: Option<&'static str>,
    /// All findings about `id` in this run, in the order they were reached (empty when nothing
    /// observed bears on it).
    pub(crate) judge: fn(&View<'_>) -> Vec<Finding>,
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rule").field("id", &self.id).field("needs_minted_tokens", &self.needs_minted_tokens).finish()
    }
}

/// A rule judged by one function of the probes' transcript.
macro_rules! rule {
    ($id:literal, $f:path) => {
        rule!($id, $f, None)
    };
    ($id:literal, $f:path, $needs:expr) => {
        Rule { id: $id, needs_minted_tokens: $needs, judge: |v| $f(v).into_iter().collect() }
    };
}

/// A GPT rule: what the probes show about the server alone (if anything), then what ChatGPT's
/// connect showed (judged once per run, as a whole: see `chatgpt::connect_findings`).
macro_rules! gpt {
    ($id:literal) => {
        Rule { id: $id, needs_minted_tokens: None, judge: |v| chatgpt::connect_findings(v, $id) }
    };
    ($id:literal, $f:path) => {
        Rule {
            id: $id,
            needs_minted_tokens: None,
            judge: |v| {
                let mut out: Vec<Finding> = $f(v).into_iter().collect();
                out.extend(chatgpt::connect_findings(v, $id));
                out
            },
        }
    };
}

/// A 2026-07-28 rule: judged only when the server was seen speaking 2026-07-28 (see `modern`).
macro_rules! modern {
    ($id:literal) => {
        Rule { id: $id, needs_minted_tokens: None, judge: |v| modern::for_id(v, $id) }
    };
}

/// Every rule, in catalogue order (the order findings are reported in).
pub static RULES: &[Rule] = &[
    rule!("RS-01", prm::rs_01),
    rule!("RS-02", prm::rs_02),
    rule!("RS-03", prm::rs_03),
    rule!("RS-04", challenge::rs_04),
    rule!("RS-05", challenge::rs_05),
    rule!("RS-06", tokens::rs_06),
    rule!("RS-07", challenge::rs_07),
    rule!("RS-08", tokens::rs_08, Some("the wrong-audience tokens of the negative battery")),
    rule!("RS-09", challenge::rs_09),
    rule!("RS-10", tokens::rs_10, Some("a genuine token of the same IdP for another resource")),
    rule!("RS-12", challenge::rs_12, Some("the insufficient-scope probe (a token holding only mcp:read)")),
    rule!("RS-13", challenge::rs_13, Some("the insufficient-scope probe's step-up token")),
    rule!("RS-14", challenge::rs_14),
    rule!("RS-15", session::rs_15),
    rule!("RS-16", session::rs_16),
    rule!("RS-17", challenge::rs_17, Some("the insufficient-scope probe's 403 challenge")),
    rule!("RS-18", prm::rs_18),
    rule!("RS-19", prm::rs_19),
    rule!("RS-20", transport::rs_20),
    rule!("H-02", transport::h_02),
    rule!("H-04", transport::h_04),
    rule!("H-05", transport::h_05),
    rule!("H-06", transport::h_06),
    rule!("H-07", transport::h_07),
    rule!("H-09", transport::h_09),
    rule!("H-12", session::h_12),
    rule!("H-13", session::h_13),
    rule!("H-14", session::h_14),
    rule!("H-15", session::h_15),
    rule!("H-16", transport::h_16),
    rule!("H-17", transport::h_17),
    gpt!("GPT-01", chatgpt::gpt_01),
    gpt!("GPT-02", chatgpt::gpt_02),
    gpt!("GPT-03"),
    gpt!("GPT-04"),
    gpt!("GPT-05"),
    gpt!("GPT-06"),
    gpt!("GPT-07"),
    gpt!("GPT-08"),
    gpt!("GPT-09"),
    gpt!("GPT-10"),
    gpt!("GPT-11", chatgpt::gpt_11_probe),
    gpt!("GPT-12", chatgpt::gpt_12),
    gpt!("GPT-13", chatgpt::gpt_13),
    gpt!("GPT-14"),
    gpt!("GPT-15"),
    gpt!("GPT-16", chatgpt::gpt_16),
    gpt!("GPT-17"),
    gpt!("GPT-18", chatgpt::gpt_18),
    // 2026-07-28 (catalogued after the 2025 families).
    modern!("H-21"),
    modern!("H-22"),
    modern!("H-23"),
    modern!("H-24"),
    modern!("H-25"),
    modern!("H-32"),
    modern!("H-33"),
    modern!("H-35"),
    modern!("H-36"),
    modern!("H-37"),
    modern!("H-38"),
    // The dual-era ChatGPT (2026-08), judged from its connect (profile chatgpt-2026-08-dual-era).
    gpt!("GPT-19"),
    gpt!("GPT-20"),
    gpt!("GPT-21"),
];

/// Catalogued requirements of the families the checks judge (RS, H, GPT) that no rule judges,
/// each with why. Besides these, an entry whose catalogue `how` begins "Not judged yet" (the
/// 2026-07-28 IDs, issue #13) is knowingly unjudged.
pub const NOT_JUDGED: &[(&str, &str)] =
    &[("RS-11", "not black-box testable: needs a mock upstream API recording the inbound Authorization header")];

/// The rule judging `id`, if the checks judge it.
pub fn get(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// Where `id` is reported among the findings: its place in [`RULES`], after every rule when the
/// checks do not judge it (TARGET, an ID from elsewhere).
pub fn order(id: &str) -> usize {
    RULES.iter().position(|r| r.id == id).unwrap_or(usize::MAX)
}

/// The IDs the checks judge, in report order.
pub fn ids() -> impl Iterator<Item = &'static str> {
    RULES.iter().map(|r| r.id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue;

    /// The registry and the catalogue describe the same set: every rule is catalogued, and every
    /// catalogued RS/H/GPT requirement is judged by a rule or knowingly not judged.
    #[test]
    fn the_registry_covers_the_catalogue() {
        for r in RULES {
            assert!(catalogue::get(r.id).is_some(), "{} is judged but not catalogued", r.id);
            assert_eq!(RULES.iter().filter(|x| x.id == r.id).count(), 1, "{} has two rules", r.id);
        }
        for (id, _) in NOT_JUDGED {
            assert!(catalogue::get(id).is_some(), "{id} is listed as not judged but not catalogued");
            assert!(get(id).is_none(), "{id} is listed as not judged but has a rule");
        }
        for req in catalogue::all() {
            if !["RS-", "H-", "GPT-"].iter().any(|p| req.id.starts_with(p)) {
                continue;
            }
            let not_yet = req.how.starts_with("Not judged yet");
            let listed = NOT_JUDGED.iter().any(|(id, _)| *id == req.id);
            match get(&req.id) {
                Some(_) => assert!(!not_yet && !listed, "{} has a rule but is marked as not judged", req.id),
                None => assert!(not_yet || listed, "{} is catalogued but no rule judges it", req.id),
            }
        }
    }

    /// Findings are reported in catalogue order, so the registry is in catalogue order too.
    #[test]
    fn rules_are_in_catalogue_order() {
        let place = |id: &str| catalogue::all().iter().position(|r| r.id == id).unwrap();
        assert!(RULES.windows(2).all(|w| place(w[0].id) < place(w[1].id)), "{RULES:?}");
    }

    /// The runner's 'needs minted tokens' SKIPs read this set: the token requirements.
    #[test]
    fn minted_token_rules_are_the_token_requirements() {
        let ids: Vec<&str> = RULES.iter().filter(|r| r.needs_minted_tokens.is_some()).map(|r| r.id).collect();
        assert_eq!(ids, ["RS-08", "RS-10", "RS-12", "RS-13", "RS-17"]);
    }
}
