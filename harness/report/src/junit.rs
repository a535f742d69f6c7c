//! JUnit XML for CI, with `quick-junit` (nextest's serializer).
//!
//! One `<testsuite>` per scenario file (named by the file; `connector-harness` for results without
//! one), one `<testcase>` per scenario. A scenario whose findings or expectations failed gets
//! `<failure message="RS-08, H-13: FAILURE first cause" type="findings">` (the requirements that
//! failed, then the first cause: the headline CI pages show) with the verdict and the failing findings
//! as text; a scenario the
//! harness could not run gets `<error type="harness error">` — never both, so CI can tell "the
//! server under test failed a check" from "the harness broke". Every case's `<system-out>` is the
//! verdict, and its properties name the profile, target and spec version.

use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use super::shared::{self, State};
use harness_checks::model::{RunReport, ScenarioResult};

/// The report's name in `<testsuites name=…>`, and the suite name for results without a file.
pub const REPORT_NAME: &str = "connector-harness";

/// The JUnit data model of a run.
pub fn report(run: &RunReport) -> Report {
    let mut report = Report::new(REPORT_NAME);
    report.set_time(Duration::from_millis(run.duration_ms));
    // Suites in the order their files first appear (results are sorted by scenario name).
    let mut suites: Vec<TestSuite> = Vec::new();
    for r in &run.results {
        let name = if r.file.is_empty() { REPORT_NAME.to_owned() } else { line(&r.file) };
        let i = match suites.iter().position(|s| s.name.as_str() == name) {
            Some(i) => i,
            None => {
                suites.push(TestSuite::new(name.as_str()));
                suites.len() - 1
            }
        };
        let suite = &mut suites[i];
        suite.add_test_case(case(r, &name));
        let t = suite.time.unwrap_or_default() + Duration::from_millis(r.duration_ms);
        suite.set_time(t);
    }
    report.add_test_suites(suites);
    report
}

/// The run as JUnit XML.
pub fn render(run: &RunReport) -> String {
    // quick-junit fails only on writer errors, and a String cannot fail.
    report(run).to_string().expect("serializing JUnit XML to a String cannot fail")
}

/// Writes the run as JUnit XML to `w`.
pub fn write(run: &RunReport, w: impl std::io::Write) -> Result<(), quick_junit::SerializeError> {
    report(run).serialize(w)
}

fn case(r: &ScenarioResult, classname: &str) -> TestCase {
    // XML 1.0 forbids most control characters outright: every text goes through the sanitiser
    // (controls shown escaped, each value capped) before quick-junit escapes it for XML.
    let verdict = line(&shared::verdict(r));
    let status = match State::of(r) {
        State::Passed => TestCaseStatus::success(),
        State::Failed => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            let mut lines: Vec<String> = vec![verdict.clone()];
            lines.extend(shared::failing_lines(r).iter().map(|l| line(l)));
            s.set_message(line(&shared::failure_headline(r))).set_type("findings").set_description(lines.join("\n"));
            s
        }
        State::Error => {
            let error = r.error.as_deref().unwrap_or_default();
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
            s.set_message(line(error)).set_type(shared::error_label(r)).set_description(block(error));
            s
        }
    };
    let mut case = TestCase::new(line(&r.name), status);
    case.set_classname(line(classname))
        .set_time(Duration::from_millis(r.duration_ms))
        .set_system_out(verdict.as_str())
        .add_properties([
            Property::new("profile", line(&r.run.profile)),
            Property::new("target", line(&r.run.target)),
            Property::new("spec_version", line(r.run.spec_version.as_str())),
        ]);
    case
}

fn line(s: &str) -> String {
    super::sanitize::line(s).into_owned()
}

fn block(s: &str) -> String {
    super::sanitize::block(s).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;

    fn parsed() -> (String, Report) {
        let xml = render(&fixtures::report());
        let back = Report::deserialize_from_str(&xml).unwrap_or_else(|e| panic!("invalid JUnit XML: {e}\n{xml}"));
        (xml, back)
    }

    fn kind(c: &TestCase) -> Option<NonSuccessKind> {
        match &c.status {
            TestCaseStatus::NonSuccess { kind, .. } => Some(*kind),
            _ => None,
        }
    }

    #[test]
    fn is_well_formed_and_has_a_suite_per_file() {
        let (xml, back) = parsed();
        assert!(xml.starts_with("<?xml"));
        let suites: Vec<&str> = back.test_suites.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(suites, ["scenarios/happy.yaml", "scenarios/faults.yaml", "scenarios/weird.yaml"]);
        assert_eq!(back.tests, 5);
        assert_eq!(back.failures, 2);
        assert_eq!(back.errors, 1);
        let faults = &back.test_suites[1];
        let names: Vec<&str> = faults.test_cases.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["nbf-not-checked", "no-root-prm[chatgpt-2026-cimd]", "target-wont-start"]);
        assert_eq!(faults.test_cases[0].classname.as_deref(), Some("scenarios/faults.yaml"));
        assert_eq!(faults.time, Some(Duration::from_millis(1250 + 1250 + 12)));
        // Characters XML must escape survive the round trip.
        assert_eq!(back.test_suites[2].test_cases[0].name.as_str(), "weird \"url\" <scenario>");
    }

    #[test]
    fn failure_and_error_stay_distinct() {
        let (_, back) = parsed();
        let cases: Vec<&TestCase> = back.test_suites.iter().flat_map(|s| &s.test_cases).collect();
        let by = |n: &str| *cases.iter().find(|c| c.name.as_str().starts_with(n)).unwrap();

        assert_eq!(kind(by("cimd-happy-path")), None);
        assert_eq!(kind(by("nbf-not-checked")), None, "an expected FAILURE passes");

        let failed = by("no-root-prm");
        assert_eq!(kind(failed), Some(NonSuccessKind::Failure));
        let TestCaseStatus::NonSuccess { message, ty, description, .. } = &failed.status else { unreachable!() };
        // The headline names the failing requirements and the first cause; the verdict is in the body.
        assert_eq!(message.as_deref(), Some("RS-03, RS-12: FAILURE root PRM answered 404"));
        assert_eq!(ty.as_deref(), Some("findings"));
        let text = description.as_deref().unwrap();
        let verdict = failed.system_out.as_deref().unwrap();
        assert!(verdict.starts_with("ChatGPT (2026 CIMD profile) would fail: \"MCP server"), "{verdict}");
        assert_eq!(
            text,
            format!(
                "{verdict}\nFAILURE  RS-03  root PRM answered 404\nWARNING  RS-12  token accepted in the query string"
            )
        );

        let broken = by("target-wont-start");
        assert_eq!(kind(broken), Some(NonSuccessKind::Error));
        let TestCaseStatus::NonSuccess { message, ty, .. } = &broken.status else { unreachable!() };
        assert_eq!(message.as_deref(), Some("could not start the target: address 127.0.0.1:8000 in use <&>"));
        assert_eq!(ty.as_deref(), Some("harness error"));

        let weird = by("weird");
        assert_eq!(kind(weird), Some(NonSuccessKind::Failure));
        let TestCaseStatus::NonSuccess { message, description, .. } = &weird.status else { unreachable!() };
        assert_eq!(message.as_deref(), Some("outcome: expected outcome: connected, got failed"));
        assert!(description.as_deref().unwrap().ends_with("\nexpected outcome: connected, got failed"));

        let props: Vec<(&str, &str)> = failed.properties.iter().map(|p| (p.name.as_str(), p.value.as_str())).collect();
        assert_eq!(
            props,
            [("profile", "chatgpt-2026-cimd"), ("target", "http://127.0.0.1:8000/mcp"), ("spec_version", "2025-11-25")]
        );
    }

    /// The XML over the fixture run and over hostile text (escaped, and no control characters
    /// XML 1.0 cannot hold).
    #[test]
    fn snapshots() {
        insta::assert_snapshot!("report", render(&fixtures::report()));
        let hostile = render(&fixtures::hostile_report());
        Report::deserialize_from_str(&hostile).expect("well-formed");
        insta::assert_snapshot!("hostile", hostile);
    }

    #[test]
    fn results_without_a_file_share_one_suite() {
        let mut run = fixtures::report();
        for r in &mut run.results {
            r.file.clear();
        }
        let back = Report::deserialize_from_str(&render(&run)).unwrap();
        assert_eq!(back.test_suites.len(), 1);
        assert_eq!(back.test_suites[0].name.as_str(), REPORT_NAME);
        let mut buf = Vec::new();
        write(&run, &mut buf).unwrap();
        assert_eq!(String::from_utf8(buf).unwrap(), render(&run));
    }
}
