//! Reading scenario files: parse with positions, merge fragments, validate.

use serde_json::Value;
use std::path::{Path, PathBuf};

use super::model::{Loaded, Scenario};

/// A scenario file that cannot be used. The message names `file:line:column` where the parser
/// knows it.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct LoadError {
    /// The file.
    pub file: String,
    /// What is wrong (with line and column, and a snippet, from the YAML parser).
    pub message: String,
}

fn err(file: &Path, message: impl Into<String>) -> LoadError {
    LoadError { file: file.display().to_string(), message: message.into() }
}

/// Limits so a hostile or broken file cannot make loading run away.
const MAX_INCLUDE_DEPTH: usize = 8;
const MAX_FILE_BYTES: u64 = 1024 * 1024;

fn read(file: &Path) -> Result<String, LoadError> {
    let meta = std::fs::metadata(file).map_err(|e| err(file, e.to_string()))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(err(file, format!("larger than {MAX_FILE_BYTES} bytes")));
    }
    std::fs::read_to_string(file).map_err(|e| err(file, e.to_string()))
}

/// Parses one file's text: typed first (so unknown fields and wrong types are reported with line
/// and column), then as a value for merging.
fn parse(file: &Path, text: &str) -> Result<(Scenario, Value), LoadError> {
    // `yes`/`no` stay strings (the YAML 1.1 "Norway problem").
    let opts = || serde_saphyr::options! { strict_booleans: true };
    let typed: Scenario =
        serde_saphyr::from_str_with_options(text, opts()).map_err(|e| err(file, rebase(&e.to_string(), file)))?;
    let value: Value =
        serde_saphyr::from_str_with_options(text, opts()).map_err(|e| err(file, rebase(&e.to_string(), file)))?;
    Ok((typed, if value.is_null() { Value::Object(Default::default()) } else { value }))
}

/// The parser writes `<input>` where the file name belongs.
fn rebase(message: &str, file: &Path) -> String {
    message.replace("<input>", &file.display().to_string())
}

/// Deep merge; `over` wins. Lists are replaced, except `tags`, `requirements` and `include` which
/// are joined.
fn merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match (b.get_mut(&k), v) {
                    (Some(Value::Array(existing)), Value::Array(more))
                        if matches!(k.as_str(), "tags" | "requirements") =>
                    {
                        for m in more {
                            if !existing.contains(&m) {
                                existing.push(m);
                            }
                        }
                    }
                    (Some(existing @ Value::Object(_)), v @ Value::Object(_)) => merge(existing, v),
                    (_, v) => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, o) => *b = o,
    }
}

fn resolve(file: &Path, depth: usize, chain: &mut Vec<PathBuf>) -> Result<Value, LoadError> {
    if depth > MAX_INCLUDE_DEPTH {
        return Err(err(file, format!("includes nest deeper than {MAX_INCLUDE_DEPTH}")));
    }
    let canonical = file.canonicalize().unwrap_or_else(|_| file.to_path_buf());
    if chain.contains(&canonical) {
        return Err(err(file, "includes itself (an include cycle)"));
    }
    chain.push(canonical);
    let text = read(file)?;
    let (typed, mut own) = parse(file, &text)?;
    let dir = file.parent().unwrap_or(Path::new("."));
    let mut merged = Value::Object(Default::default());
    for inc in &typed.include {
        let path = dir.join(inc);
        if !path.exists() {
            return Err(err(file, format!("include `{inc}` not found (looked at {})", path.display())));
        }
        let v = resolve(&path, depth + 1, chain)?;
        merge(&mut merged, v);
    }
    if let Some(o) = own.as_object_mut() {
        o.remove("include");
    }
    merge(&mut merged, own);
    chain.pop();
    Ok(merged)
}

/// Loads one scenario file with its fragments.
pub fn load_file(file: &Path) -> Result<Loaded, LoadError> {
    let merged = resolve(file, 0, &mut Vec::new())?;
    let scenario: Scenario =
        serde_json::from_value(merged).map_err(|e| err(file, format!("after merging includes: {e}")))?;
    validate(file, &scenario)?;
    let name = scenario
        .name
        .clone()
        .unwrap_or_else(|| file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default());
    Ok(Loaded { scenario, file: file.to_path_buf(), name })
}

/// Loads scenario text (no includes), for tests and the embedded scenarios.
pub fn load_str(name: &str, text: &str) -> Result<Loaded, LoadError> {
    let file = PathBuf::from(format!("{name}.yaml"));
    let (scenario, _) = parse(&file, text)?;
    if !scenario.include.is_empty() {
        return Err(err(&file, "includes need a file on disk"));
    }
    validate(&file, &scenario)?;
    Ok(Loaded { name: scenario.name.clone().unwrap_or_else(|| name.to_owned()), scenario, file })
}

/// Loads scenario text whose `include`s name other embedded texts, as the built-in scenarios are
/// shipped: `fragment` maps a path relative to the scenario folder (`fragments/x.yaml`) to its
/// text. Includes resolve relative to the including text's path, as on disk, so an embedded
/// scenario loads exactly as its file does.
pub(crate) fn load_embedded(
    name: &str,
    text: &str,
    fragment: &dyn Fn(&str) -> Option<&'static str>,
) -> Result<Loaded, LoadError> {
    let file = PathBuf::from(format!("{name}.yaml"));
    let merged = resolve_embedded(&file, text, fragment, 0, &mut Vec::new())?;
    let scenario: Scenario =
        serde_json::from_value(merged).map_err(|e| err(&file, format!("after merging includes: {e}")))?;
    validate(&file, &scenario)?;
    Ok(Loaded { name: scenario.name.clone().unwrap_or_else(|| name.to_owned()), scenario, file })
}

fn resolve_embedded(
    file: &Path,
    text: &str,
    fragment: &dyn Fn(&str) -> Option<&'static str>,
    depth: usize,
    chain: &mut Vec<PathBuf>,
) -> Result<Value, LoadError> {
    if depth > MAX_INCLUDE_DEPTH {
        return Err(err(file, format!("includes nest deeper than {MAX_INCLUDE_DEPTH}")));
    }
    if chain.iter().any(|f| f == file) {
        return Err(err(file, "includes itself (an include cycle)"));
    }
    chain.push(file.to_path_buf());
    let (typed, mut own) = parse(file, text)?;
    let mut merged = Value::Object(Default::default());
    for inc in &typed.include {
        let path = normalize(&file.parent().unwrap_or(Path::new("")).join(inc));
        let key = path.to_string_lossy().replace('\\', "/");
        let Some(inner) = fragment(&key) else {
            return Err(err(
                file,
                format!("include `{inc}` not found among the embedded fragments (looked for `{key}`)"),
            ));
        };
        let v = resolve_embedded(&path, inner, fragment, depth + 1, chain)?;
        merge(&mut merged, v);
    }
    if let Some(o) = own.as_object_mut() {
        o.remove("include");
    }
    merge(&mut merged, own);
    chain.pop();
    Ok(merged)
}

/// `a/./b/../c` → `a/c`, without touching the filesystem.
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn validate(file: &Path, s: &Scenario) -> Result<(), LoadError> {
    // Enum-valued fields are typed, so the parser already rejected bad values with their line and
    // column; what is left are values checked against something outside the file.
    for e in s.matrix.iter().filter_map(|m| m.expect.as_ref()).chain(s.expect.as_ref()) {
        for id in e.findings.keys() {
            if crate::catalogue::get(id).is_none() {
                return Err(err(
                    file,
                    format!("expect.findings names `{id}`, which is not in the requirement catalogue"),
                ));
            }
        }
    }
    Ok(())
}

/// Every `*.yaml` scenario under a directory (not in `fragments/` or `snapshots/`), sorted.
pub fn load_dir(dir: &Path) -> Result<Vec<Loaded>, LoadError> {
    let mut files = Vec::new();
    collect(dir, &mut files, 0)?;
    files.sort();
    files.iter().map(|f| load_file(f)).collect()
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) -> Result<(), LoadError> {
    if depth > 8 {
        return Ok(());
    }
    for entry in std::fs::read_dir(dir).map_err(|e| err(dir, e.to_string()))?.flatten() {
        let p = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if p.is_dir() {
            if name != "fragments" && name != "snapshots" && !name.starts_with('.') {
                collect(&p, out, depth + 1)?;
            }
        } else if name.ends_with(".yaml") || name.ends_with(".yml") {
            out.push(p);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_and_bad_values_point_at_line_and_column() {
        let e = load_str("x", "name: x\nexpct:\n  outcome: connected\n").unwrap_err().to_string();
        assert!(e.contains("expct") && e.contains("line 2"), "{e}");
        let e = load_str("x", "steps:\n  - conect\n").unwrap_err().to_string();
        assert!(e.contains("conect") && e.contains("line 2"), "{e}");
        let e = load_str("x", "expect: {outcome: maybe}\n").unwrap_err().to_string();
        assert!(e.contains("maybe"), "{e}");
        let e = load_str("x", "spec: 2024-11-05\n").unwrap_err().to_string();
        assert!(e.contains("2024-11-05"), "{e}");
    }

    /// Every enum-valued field is checked when the file is read: a typo is an error at the value's
    /// line and column, never a silent default.
    #[test]
    fn enum_values_are_checked_at_load_time_with_line_and_column() {
        let cases = [
            ("client: {login: frm}\n", "frm", "line 1"),
            ("name: x\nclient:\n  login: frm\n", "frm", "line 3"),
            ("expect:\n  outcome: conected\n", "conected", "line 2"),
            ("spec: 2024-11-05\n", "2024-11-05", "line 1"),
            ("matrix:\n  - profile: claude\n    spec: 2026-01-01\n", "2026-01-01", "line 3"),
            // Known to the wire vocabulary, not judged by the checks: still refused at load time.
            ("spec: 2026-07-28\n", "2026-07-28", "line 1"),
            ("matrix:\n  - profile: claude\n    spec: 2025-03-26\n", "2025-03-26", "line 3"),
            ("steps:\n  - raw: {method: \"P0ST /\"}\n", "P0ST /", "line 2"),
            ("expect: {findings: {RS-08: SUCESS}}\n", "SUCESS", "line 1"),
            ("steps:\n  - probe: garbage_tokn\n", "garbage_tokn", "line 2"),
        ];
        for (text, value, line) in cases {
            let e = load_str("x", text).unwrap_err().to_string();
            assert!(e.contains(value) && e.contains(line) && e.contains("column"), "{text:?} gave: {e}");
        }
        let ok = load_str("x", "client: {login: form}\nspec: 2025-06-18\nexpect: {outcome: not_attempted}\n").unwrap();
        let p = &ok.plan()[0];
        assert_eq!(p.client.login, Some(crate::scenario::Login::Form));
        assert_eq!(p.spec, mcp_wire::SpecVersion::V2025_06_18);
        assert_eq!(p.expect.outcome, Some(crate::scenario::ExpectedOutcome::NotAttempted));
    }

    #[test]
    fn a_scenario_without_a_profile_runs_as_today_s_chatgpt() {
        let l = load_str("d", "name: default\n").unwrap();
        assert_eq!(l.plan()[0].profile, mock_client::profile::TODAYS_CHATGPT);
        let l = load_str("d", "name: m\nmatrix:\n  - client: {login: auto}\n  - profile: claude\n").unwrap();
        let profiles: Vec<_> = l.plan().into_iter().map(|p| p.profile).collect();
        assert_eq!(profiles, [mock_client::profile::TODAYS_CHATGPT, "claude"]);
    }

    #[test]
    fn matrix_expands_per_profile() {
        let l = load_str(
            "m",
            "name: no dcr\nidp: {quirks: [no_registration_endpoint]}\nmatrix:\n  - profile: chatgpt-2026-cimd\n    expect: {outcome: failed}\n  - profile: static-client-id\n    client: {client_id: c1}\n    expect: {outcome: connected}\n",
        )
        .unwrap();
        let p = l.plan();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].name, "no dcr [chatgpt-2026-cimd]");
        assert_eq!(p[1].client.client_id.as_deref(), Some("c1"));
        assert_eq!(p[1].expect.outcome, Some(crate::scenario::ExpectedOutcome::Connected));
        assert!(p[0].idp.as_ref().unwrap().has(mock_idp::Quirk::NoRegistrationEndpoint));
    }

    #[test]
    fn fragments_merge_under_the_file_and_cycles_are_errors() {
        let dir = std::env::temp_dir().join(format!("ch-scen-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("fragments")).unwrap();
        std::fs::write(dir.join("fragments/base.yaml"), "tags: [base]\nidp: {login: form}\nprofile: claude\n").unwrap();
        std::fs::write(
            dir.join("s.yaml"),
            "include: [fragments/base.yaml]\ntags: [mine]\nprofile: mcp-spec-2025-11-25\n",
        )
        .unwrap();
        let l = load_file(&dir.join("s.yaml")).unwrap();
        assert_eq!(l.scenario.tags, vec!["base", "mine"]);
        assert_eq!(l.scenario.profile.as_deref(), Some("mcp-spec-2025-11-25"));
        assert_eq!(l.scenario.idp.unwrap().login, mock_idp::LoginMode::Form);
        std::fs::write(dir.join("a.yaml"), "include: [b.yaml]\n").unwrap();
        std::fs::write(dir.join("b.yaml"), "include: [a.yaml]\n").unwrap();
        assert!(load_file(&dir.join("a.yaml")).unwrap_err().to_string().contains("cycle"));
        let found = load_dir(&dir).unwrap_err();
        assert!(found.to_string().contains("cycle"));
    }

    #[test]
    fn embedded_includes_resolve_like_files() {
        let frags = |p: &str| -> Option<&'static str> {
            match p {
                "fragments/base.yaml" => Some("include: [more.yaml]\ntags: [base]\nidp: {login: form}\n"),
                "fragments/more.yaml" => Some("tags: [more]\nprofile: claude\n"),
                "fragments/loop.yaml" => Some("include: [loop.yaml]\n"),
                _ => None,
            }
        };
        let l = load_embedded("s", "include: [fragments/base.yaml]\ntags: [mine]\n", &frags).unwrap();
        assert_eq!(l.scenario.tags, vec!["more", "base", "mine"]);
        assert_eq!(l.scenario.profile.as_deref(), Some("claude"));
        assert_eq!(l.name, "s");
        let e = load_embedded("s", "include: [fragments/nope.yaml]\n", &frags).unwrap_err().to_string();
        assert!(e.contains("fragments/nope.yaml"), "{e}");
        let e = load_embedded("s", "include: [fragments/loop.yaml]\n", &frags).unwrap_err().to_string();
        assert!(e.contains("cycle"), "{e}");
        assert_eq!(normalize(Path::new("fragments/../fragments/./x.yaml")), PathBuf::from("fragments/x.yaml"));
    }
}
