//! `certify-idp --save-observations` and `--rejudge`: a certification judged again offline from
//! its saved observations gives the same items and the same exit code as the live run; the file
//! holds no secret the IdP issued; and the judge reads the file, not a fixed answer — an edited
//! observation flips the verdict.

use std::path::{Path, PathBuf};

use harness::model::Status;
use harness_certify::model::Certification;
use mock_idp::{IdpHandle, LoginMode, MockIdp, Quirk};

async fn mock(quirks: &[Quirk]) -> IdpHandle {
    let mut b = MockIdp::builder().login(LoginMode::AutoApprove);
    for q in quirks {
        b = b.quirk(q.clone());
    }
    b.start().await.unwrap()
}

fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("certify-rejudge-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs the binary; its exit code and stdout.
async fn certify_idp(args: &[&str], files: &[(&str, &Path)]) -> (Option<i32>, String) {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_connector-harness"));
    cmd.arg("certify-idp").args(args);
    for (flag, path) in files {
        cmd.arg(flag).arg(path);
    }
    let out = cmd.output().await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.code().is_some_and(|c| c <= 1), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    (out.status.code(), stdout)
}

fn certification(dir: &Path) -> (String, Certification) {
    let text = std::fs::read_to_string(dir.join("idp-certification.json")).unwrap();
    let c = serde_json::from_str(&text).unwrap();
    (text, c)
}

/// The terminal summary without the `wrote …` lines (they name the output directory).
fn summary(stdout: &str) -> String {
    stdout.lines().filter(|l| !l.starts_with("wrote ")).collect::<Vec<_>>().join("\n")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_saved_certification_judged_again_offline_gives_the_same_items_and_exit_code() {
    let idp = mock(&[Quirk::BasicAuthRefused]).await;
    let root = tempdir("same");
    let (obs, live, again) = (root.join("observations.json"), root.join("live"), root.join("again"));
    let profile = ["--profile", "chatgpt-2025-09-dcr-basic", "--profile", "chatgpt-2025-dcr", "--login", "auto"];
    let mut args = vec!["--issuer", idp.issuer()];
    args.extend(profile);
    let (live_code, live_out) = certify_idp(&args, &[("--save-observations", &obs), ("--out", &live)]).await;
    assert_eq!(live_code, Some(1), "GPT-07 fails with Basic refused: {live_out}");

    let issued = idp.snapshot();
    let mut secrets: Vec<String> = issued.clients.iter().filter_map(|c| c.client_secret.clone()).collect();
    secrets.extend(issued.codes.iter().map(|c| c.code.clone()));
    secrets.extend(issued.tokens.iter().map(|t| t.value.clone()));
    assert!(!secrets.is_empty());
    // Offline: the IdP is gone before the rejudge.
    idp.shutdown().await;

    let saved = std::fs::read_to_string(&obs).unwrap();
    for s in &secrets {
        assert!(!saved.contains(s.as_str()), "the observation file holds a secret the IdP issued: {s}");
    }
    let (code, out) = certify_idp(&[], &[("--rejudge", &obs), ("--out", &again)]).await;
    assert_eq!(code, live_code);
    assert_eq!(summary(&out), summary(&live_out));
    let (live_json, live_cert) = certification(&live);
    let (again_json, _) = certification(&again);
    assert_eq!(again_json, live_json, "the re-judged certification differs from the live one");
    assert_eq!(live_cert.item("GPT-07").unwrap().status, Status::Failure);
    for f in harness_certify::render::FILES {
        assert_eq!(
            std::fs::read(live.join(f)).unwrap(),
            std::fs::read(again.join(f)).unwrap(),
            "{f} differs between the live run and the rejudge"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_edited_observation_flips_the_verdict() {
    let idp = mock(&[]).await;
    let root = tempdir("edited");
    let (obs, live, edited_dir) = (root.join("observations.json"), root.join("live"), root.join("edited"));
    let args = ["--issuer", idp.issuer(), "--profile", "chatgpt-2025-dcr", "--login", "auto"];
    let (code, out) = certify_idp(&args, &[("--save-observations", &obs), ("--out", &live)]).await;
    idp.shutdown().await;
    assert_eq!(code, Some(0), "{out}");
    let (_, live_cert) = certification(&live);
    assert_eq!(live_cert.item("AS-23").unwrap().status, Status::Success);

    // The IdP refused the replayed code; say instead that it issued a second token.
    let mut v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&obs).unwrap()).unwrap();
    let outcome = &mut v["runs"][0]["probes"]["code-replay"]["outcome"];
    assert!(outcome.get("pass").is_some(), "{outcome}");
    *outcome =
        serde_json::json!({ "fail": "the used authorization code was accepted again: a second token was issued" });
    let edited = root.join("edited.json");
    std::fs::write(&edited, serde_json::to_string(&v).unwrap()).unwrap();

    let (code, out) = certify_idp(&[], &[("--rejudge", &edited), ("--out", &edited_dir)]).await;
    assert_eq!(code, Some(1), "{out}");
    let (_, c) = certification(&edited_dir);
    assert_eq!(c.item("AS-23").unwrap().status, Status::Failure);
    assert!(c.problems().contains(&"AS-23"), "{:?}", c.problems());

    // A file that is not an observation file is a usage error.
    std::fs::write(&edited, "{\"format\": \"something else\"}").unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_connector-harness"))
        .args(["certify-idp", "--rejudge"])
        .arg(&edited)
        .arg("--out")
        .arg(root.join("bad"))
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
}
