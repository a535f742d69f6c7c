//! `certify-idp`: the mock IdP certified in every quirk mode (each quirk reported as the items it
//! breaks), the default mock IdP passing everything applicable, reports free of every secret the
//! IdP issued, the command line, and oidc-provider 9.13.3 — a real, third-party authorization
//! server — with its dev login pages.

mod support;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use harness::model::Status;
use harness_certify::model::Certification;
use harness_certify::render;
use harness_certify::run::{CertifyConfig, PUBLIC_RUN, Wait, certify};
use mock_client::LoginDriver;
use mock_idp::{IdpHandle, LoginMode, MockIdp, Quirk};

/// Every quirk of the mock IdP (as `--quirk` spells it), the items it must be reported as
/// breaking (FAILURE or WARNING for a reason of their own, not merely untestable), and a check
/// whose description must say how it shows (`(item, words)`), for quirks that break nothing
/// ChatGPT depends on.
type QuirkRow = (&'static str, &'static [&'static str], Option<(&'static str, &'static str)>);

const QUIRKS: &[QuirkRow] = &[
    ("no_registration_endpoint", &["AS-14", "GPT-04", "PCC-1"], Some(("GPT-04", "Failed to resolve OAuth client"))),
    ("no_audience", &["AS-20", "GPT-08", "PCC-4"], Some(("GPT-08", "has no aud"))),
    ("audience_not_from_resource=account", &["AS-20", "GPT-08", "PCC-4"], Some(("AS-20", "[\"account\"]"))),
    ("basic_auth_refused", &["GPT-07"], Some(("GPT-07", "HTTP Basic client authentication is not supported"))),
    ("client_id_required_in_body", &["GPT-07"], Some(("GPT-07", "client_id is required in the request body"))),
    (
        "registration_auth_method_override=client_secret_basic",
        &["GPT-05", "PCC-1"],
        Some(("GPT-05", "does not support client_secret_post token endpoint auth method")),
    ),
    // Certified with the issuer as MCP servers write it, without the slash the IdP adds.
    ("issuer_trailing_slash", &["AS-22", "AS-27", "PCC-5", "PCC-7"], Some(("AS-27", "differ by a trailing slash"))),
    (
        "metadata_issuer_mismatch",
        &["AS-22", "AS-24", "AS-27", "GPT-14", "GPT-21", "PCC-5"],
        Some(("AS-27", "not-the-issuer")),
    ),
    (
        "no_code_challenge_methods",
        &["AS-04", "GPT-10", "PCC-2"],
        Some(("GPT-10", "no code_challenge_methods_supported")),
    ),
    ("plain_pkce_allowed", &["PCC-2"], Some(("PCC-2", "code_challenge_method=plain: a code was issued"))),
    ("opaque_access_tokens", &["PCC-7"], Some(("PCC-7", "opaque"))),
    ("iss_parameter_omitted", &["AS-24", "GPT-14", "GPT-21"], Some(("GPT-14", "sent no iss"))),
    ("iss_parameter_wrong", &["AS-24", "GPT-14", "GPT-21"], Some(("GPT-14", "wrong-issuer.example"))),
    // The dated 2026 profile warns on GPT-14; the dual-era one says INFO there and warns on GPT-21.
    ("iss_parameter_not_advertised", &["AS-24", "GPT-14", "GPT-21"], Some(("GPT-21", "Missing OAuth callback data"))),
    // MCP 2026-07-28: iss on error responses too, and advertised whenever sent.
    ("iss_omitted_on_errors", &["AS-24"], Some(("AS-24", "the error authorization response has no iss"))),
    ("iss_sent_not_advertised", &["AS-24", "GPT-14", "GPT-21"], Some(("AS-24", "does not advertise"))),
    // Keycloak's Trusted Hosts policy without ChatGPT's host (seed 003 §4.2).
    ("trusted_hosts=example.com", &["GPT-05", "PCC-1", "PCC-6"], Some(("GPT-05", "Trusted Hosts"))),
    // … and with it: ChatGPT registers; the foreign-host registration is refused (INFO).
    ("trusted_hosts=chatgpt.com,openai.com", &[], Some(("PCC-6", "refused (HTTP 403"))),
    ("registration_rate_limit=1/300", &["GPT-17", "PCC-1"], Some(("GPT-17", "answered 429"))),
    ("no_refresh_rotation", &["AS-18", "PCC-9"], Some(("AS-18", "same refresh token"))),
    // A documented reuse window shorter than the wait: INFO with its length (the clock is the IdP's).
    ("refresh_reuse_window=30", &[], Some(("AS-18", "reuse window of at most 35 s"))),
    ("scopes_bound_at_registration", &["GPT-06"], Some(("GPT-06", "invalid_scope"))),
    ("cimd_singular_auth_method_only", &["AS-05", "AS-25", "GPT-09"], Some(("GPT-09", "invalid_client"))),
    // ChatGPT negotiates down to `none`: nothing breaks, and the CIMD client is public (AS-18 on it).
    ("no_private_key_jwt", &[], Some(("GPT-09", "negotiated down from private_key_jwt"))),
    ("no_cimd", &["AS-05", "AS-25"], Some(("AS-05", "falls back to dynamic client registration"))),
    // OIDC's per-type redirect rules not enforced: the spec leaves that to the AS (INFO).
    ("application_type_ignored", &[], Some(("AS-26", "not enforced"))),
    ("application_type_rejected", &["AS-26"], Some(("AS-26", "unknown client metadata `application_type`"))),
    // Untyped registrations become web clients; ChatGPT's https redirect URIs suit that.
    ("application_type_default_web", &[], Some(("AS-26", "was refused"))),
    // Untyped registrations get no type at all: the typed probes behave as by default.
    ("application_type_untyped_default", &[], Some(("AS-26", "applies OIDC's web rules"))),
    ("cimd_client_id_not_checked", &["AS-08", "AS-28"], Some(("AS-28", "client_id equals the document URL"))),
    (
        "cimd_redirect_uris_not_checked",
        &["AS-10", "AS-15", "AS-28"],
        Some(("AS-28", "redirect_uri checked against the document")),
    ),
    // The CIMD code exchange refused with invalid_grant: GPT-07's, not GPT-09's (only invalid_client is).
    ("cimd_token_refused_invalid_grant", &["GPT-07"], Some(("GPT-09", "no invalid_client"))),
];

fn form(fields: &[(&str, &str)]) -> LoginDriver {
    LoginDriver::Form { fields: fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect() }
}

async fn mock(quirks: &[Quirk], login: LoginMode) -> IdpHandle {
    let mut b = MockIdp::builder().login(login);
    for q in quirks {
        b = b.quirk(q.clone());
    }
    b.start().await.unwrap()
}

/// Waits by moving the mock IdP's clock: AS-18's replay after 35 s takes no time in a test.
fn idp_clock(idp: &Arc<IdpHandle>) -> Wait {
    let idp = idp.clone();
    Arc::new(move |d: Duration| {
        idp.advance_clock(d.as_secs() as i64);
        Box::pin(async {})
    })
}

fn problems(c: &Certification) -> BTreeSet<String> {
    c.problems().into_iter().map(str::to_owned).collect()
}

fn descriptions(c: &Certification, id: &str) -> String {
    let item = c.item(id).unwrap_or_else(|| panic!("{id} missing"));
    item.results.iter().flat_map(|r| &r.checks).map(|f| f.description.clone()).collect::<Vec<_>>().join("\n")
}

/// Every item, one line each, for failure messages.
fn summary(c: &Certification) -> String {
    let mut s = format!("{}\n", c.verdict);
    for i in &c.items {
        for r in &i.results {
            for f in &r.checks {
                s.push_str(&format!(
                    "  {} [{}] {:?}{} {}\n",
                    i.id,
                    r.run,
                    f.status,
                    if f.untestable { "*" } else { "" },
                    f.description
                ));
            }
        }
    }
    s
}

#[tokio::test]
async fn the_default_mock_idp_passes_every_applicable_item_through_its_login_pages() {
    let idp = mock(&[], LoginMode::Form).await;
    let mut cfg = CertifyConfig::new(idp.issuer());
    cfg.login = form(&[("username", "alice"), ("password", "wonderland")]);
    let c = certify(&cfg).await.unwrap();
    assert_eq!(c.status, Status::Success, "{}", summary(&c));
    assert!(problems(&c).is_empty(), "{}", summary(&c));
    assert_eq!(c.items.len(), 41);
    for i in &c.items {
        assert!(!i.results.is_empty(), "{} has no result", i.id);
        assert!(!i.untestable, "{}", i.id);
        // Every item is decided somewhere: nothing is merely skipped or informational overall.
        assert_eq!(i.status, Status::Success, "{}\n{}", i.id, summary(&c));
    }
    // ChatGPT's four profiles, and the public client AS-18 needs (every ChatGPT client is confidential here).
    let keys: Vec<&str> = c.runs.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(
        keys,
        ["chatgpt-2025-dcr", "chatgpt-2025-09-dcr-basic", "chatgpt-2026-cimd", "chatgpt-2026-08-dual-era", PUBLIC_RUN]
    );
    assert!(c.run("chatgpt-2026-cimd").unwrap().client.as_deref() == Some("CIMD private_key_jwt"));
    assert!(!c.run("chatgpt-2026-cimd").unwrap().cimd_fetches.is_empty(), "the IdP fetched the document");
    let as18 = c.item("AS-18").unwrap();
    let public = as18.results.iter().find(|r| r.run == PUBLIC_RUN).unwrap();
    assert_eq!(public.status, Status::Success);
    assert!(as18.results.iter().filter(|r| r.run != PUBLIC_RUN).all(|r| r.status == Status::Info));
    // The form driver went through the login and consent pages.
    let t = &c.run("chatgpt-2025-dcr").unwrap().transcript;
    let forms = t.exchanges.iter().filter(|e| e.label.starts_with("submit form")).count();
    assert!(forms >= 2, "login and consent forms: {forms}");
    // The negative probes ran and were refused.
    for (id, words) in [
        ("PCC-2", "code_challenge_method=plain: refused"),
        ("PCC-2", "wrong code_verifier: refused"),
        ("AS-15", "refused"),
        ("AS-20", "foreign resource https://foreign-resource.example/mcp: refused"),
        ("AS-23", "replayed: refused"),
        ("AS-08", "refused"),
        ("AS-11", "refused"),
        ("PCC-6", "foreign host (https://attacker.example/callback): accepted"),
    ] {
        assert!(descriptions(&c, id).contains(words), "{id} lacks {words:?}:\n{}", descriptions(&c, id));
    }
    idp.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_quirk_is_reported_as_the_item_it_breaks() {
    let listed: BTreeSet<&str> = QUIRKS.iter().map(|(q, _, _)| q.split('=').next().unwrap()).collect();
    let all: BTreeSet<&str> = Quirk::ALL_NAMES.iter().copied().collect();
    assert_eq!(listed, all, "every quirk needs a row in QUIRKS");

    // At most four certifications at a time: all 27 at once made the IdP's own timeouts (metadata, CIMD fetches)
    // fire on a busy 2-core machine, and the test then reported load as a verdict change.
    let gate = Arc::new(tokio::sync::Semaphore::new(4));
    let mut set = tokio::task::JoinSet::new();
    for (arg, expected, shown) in QUIRKS {
        let gate = gate.clone();
        set.spawn(async move {
            let _permit = gate.acquire_owned().await.unwrap();
            let quirk = Quirk::parse_cli(arg).unwrap();
            let idp = Arc::new(mock(&[quirk], LoginMode::AutoApprove).await);
            let issuer = if arg.starts_with("issuer_trailing_slash") {
                idp.origin().to_owned()
            } else {
                idp.issuer().to_owned()
            };
            let mut cfg = CertifyConfig::new(issuer);
            cfg.wait = Some(idp_clock(&idp));
            let c = certify(&cfg).await.unwrap();
            (*arg, *expected, *shown, c)
        });
    }
    let mut failures = Vec::new();
    while let Some(r) = set.join_next().await {
        let (arg, expected, shown, c) = r.unwrap();
        let got = problems(&c);
        let want: BTreeSet<String> = expected.iter().map(|s| s.to_string()).collect();
        if got != want {
            failures.push(format!("{arg}: expected {want:?}, got {got:?}\n{}", summary(&c)));
            continue;
        }
        if let Some((id, words)) = shown
            && !descriptions(&c, id).contains(words)
        {
            failures.push(format!("{arg}: {id} does not say {words:?}:\n{}", descriptions(&c, id)));
        }
        // A quirk that breaks something is never a passing certification.
        assert_eq!(c.status.is_problem(), !want.is_empty(), "{arg}: {}", c.verdict);
        // What to change in the IdP is said for every item the quirk breaks.
        for id in &want {
            assert!(!c.item(id).unwrap().remedies.is_empty(), "{arg}: {id} has no remedy");
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// #14: without RFC 9207 the dual-era ChatGPT (2026-08) still connects through its per-connector
/// relay; only Apps submission needs the stable callback. Under that profile GPT-14 is INFO and
/// GPT-21 (the scenario check's rule) warns; the dated 2026 profile keeps its GPT-14 WARNING.
#[tokio::test]
async fn the_dual_era_profile_judges_apps_submission_as_gpt_21() {
    let idp = mock(&[Quirk::IssParameterNotAdvertised], LoginMode::AutoApprove).await;
    let mut cfg = CertifyConfig::new(idp.issuer());
    cfg.profiles = vec!["chatgpt-2026-cimd".into(), "chatgpt-2026-08-dual-era".into()];
    let c = certify(&cfg).await.unwrap();
    let run = |id: &str, key: &str| c.item(id).unwrap().results.iter().find(|r| r.run == key).map(|r| r.status);
    assert_eq!(run("GPT-14", "chatgpt-2026-cimd"), Some(Status::Warning), "{}", summary(&c));
    assert_eq!(run("GPT-14", "chatgpt-2026-08-dual-era"), Some(Status::Info), "{}", summary(&c));
    assert_eq!(run("GPT-21", "chatgpt-2026-08-dual-era"), Some(Status::Warning), "{}", summary(&c));
    assert_eq!(run("GPT-21", "chatgpt-2026-cimd"), None, "only the dual-era profile judges GPT-21");
    assert!(descriptions(&c, "GPT-21").contains("Missing OAuth callback data"), "{}", descriptions(&c, "GPT-21"));
    idp.shutdown().await;

    let idp = mock(&[], LoginMode::AutoApprove).await;
    let mut cfg = CertifyConfig::new(idp.issuer());
    cfg.profiles = vec!["chatgpt-2026-08-dual-era".into()];
    let c = certify(&cfg).await.unwrap();
    assert_eq!(c.item("GPT-21").unwrap().status, Status::Success, "{}", summary(&c));
    assert_eq!(c.item("GPT-14").unwrap().status, Status::Success, "{}", summary(&c));
    idp.shutdown().await;
}

#[tokio::test]
async fn long_lived_access_tokens_are_a_warning() {
    let idp = MockIdp::builder().configure(|c| c.access_token_ttl = 2 * 86_400).start().await.unwrap();
    let mut cfg = CertifyConfig::new(idp.issuer());
    cfg.profiles = vec!["chatgpt-2025-09-dcr-basic".into()];
    let c = certify(&cfg).await.unwrap();
    assert_eq!(problems(&c), ["AS-17", "PCC-8"].map(String::from).into(), "{}", summary(&c));
    assert!(descriptions(&c, "AS-17").contains("48 h"), "{}", descriptions(&c, "AS-17"));
    assert_eq!(c.status, Status::Warning);
}

/// Every value the IdP issued — client ids and secrets, codes, access and refresh tokens — every
/// cookie, and the password typed into its login page: none of them in the Markdown, JSON or HTML
/// report, raw or percent-encoded.
#[tokio::test]
async fn the_reports_contain_no_secret_the_idp_issued() {
    let idp = mock(&[], LoginMode::Form).await;
    let mut cfg = CertifyConfig::new(idp.issuer());
    cfg.login = form(&[("username", "alice"), ("password", "wonderland")]);
    let c = certify(&cfg).await.unwrap();
    let dir = tempdir("redaction");
    let paths = render::write(&c, &dir).unwrap();
    assert_eq!(paths.len(), 3);

    let snap = idp.snapshot();
    let mut secrets: Vec<String> = Vec::new();
    for cl in &snap.clients {
        if cl.client_id.starts_with("mcid_") {
            secrets.push(cl.client_id.clone());
        }
        secrets.extend(cl.client_secret.clone());
    }
    secrets.extend(snap.codes.iter().map(|c| c.code.clone()));
    secrets.extend(snap.tokens.iter().map(|t| t.value.clone()));
    for r in &snap.requests {
        for (k, v) in &r.headers {
            if k.eq_ignore_ascii_case("cookie") {
                secrets.extend(v.split(';').filter_map(|c| c.split_once('=')).map(|(_, v)| v.trim().to_owned()));
            }
        }
    }
    // The password the form driver typed in.
    secrets.push("wonderland".into());
    assert!(secrets.len() > 20, "the run handled many secrets: {}", secrets.len());
    for p in &paths {
        let text = std::fs::read_to_string(p).unwrap();
        for s in &secrets {
            let enc: String = url::form_urlencoded::byte_serialize(s.as_bytes()).collect();
            assert!(!text.contains(s.as_str()) && !text.contains(&enc), "{} leaks {s}", p.display());
        }
        // The Markdown quotes responses only; the JSON and HTML hold every exchange.
        let placeholders: &[&str] = if p.extension().is_some_and(|e| e == "md") {
            &["[token-1]", "[refresh-token-1]", "[code-1]"]
        } else {
            &[
                "[token-1]",
                "[refresh-token-1]",
                "[code-1]",
                "[client-secret-1]",
                "[verifier-1]",
                "[cookie-1]",
                "[password-1]",
            ]
        };
        for placeholder in placeholders {
            assert!(text.contains(placeholder), "{} lacks {placeholder}", p.display());
        }
    }
    assert!(!render::json(&c).contains("[redacted]"), "a secret escaped its run's redaction");
    // The Basic credentials are shown redacted, not as base64 of a secret.
    let md = std::fs::read_to_string(&paths[0]).unwrap();
    let html = std::fs::read_to_string(&paths[2]).unwrap();
    assert!(html.contains("Basic &lt;base64 of [client-id-"), "Basic credentials are shown redacted");
    assert!(md.contains("```mermaid\nsequenceDiagram"));
    idp.shutdown().await;
}

#[tokio::test]
async fn the_html_report_is_self_contained_and_reads_without_javascript() {
    let idp = mock(&[Quirk::NoAudience], LoginMode::AutoApprove).await;
    let mut cfg = CertifyConfig::new(idp.issuer());
    cfg.profiles = vec!["chatgpt-2026-cimd".into()];
    let c = certify(&cfg).await.unwrap();
    let html = render::html(&c);
    // The doctype is case-insensitive (HTML § 13.1.1); maud writes it upper-case.
    assert!(html.to_ascii_lowercase().starts_with("<!doctype html>") && html.trim_end().ends_with("</html>"));
    let style = html.split("<style>").nth(1).unwrap().split("</style>").next().unwrap();
    assert!(!style.contains("url(") && !style.contains("@import"), "no external assets in the CSS");
    for forbidden in ["<script", "<link", "<img", "<iframe", " src=", "<object"] {
        assert!(!html.contains(forbidden), "{forbidden} in the page");
    }
    // Links stay inside the page.
    for href in html.split("href=\"").skip(1) {
        assert!(href.starts_with('#'), "external link: {}", &href[..href.len().min(60)]);
    }
    // The diagram drawn as inline SVG (Mermaid source would stay undrawn without a script), and
    // every exchange folded in the page.
    let run = &c.runs[0];
    assert!(html.contains("<svg class=\"sequence\"") && !html.contains("class=\"mermaid\""));
    let run_id = harness::report::page::anchor("run-", &run.key);
    for e in &run.transcript.exchanges {
        assert!(html.contains(&format!("id=\"{run_id}-ex-{}\"", e.seq)), "exchange #{} not in the page", e.seq);
    }
    // The failing items say what to change.
    assert!(html.contains("What to change in the IdP"));
    assert!(html.contains("audience mapper"), "the Keycloak-style remedy for a missing aud");
    assert!(c.item("PCC-4").unwrap().status == Status::Failure);
    // The JSON parses back into the same certification.
    let back: Certification = serde_json::from_str(&render::json(&c)).unwrap();
    assert_eq!(back.items.len(), c.items.len());
    assert_eq!(back.verdict, c.verdict);
    idp.shutdown().await;
}

fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("certify-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[tokio::test(flavor = "multi_thread")]
async fn the_command_writes_three_reports_and_exits_by_the_worst_item() {
    let bin = env!("CARGO_BIN_EXE_connector-harness");
    let good = mock(&[], LoginMode::AutoApprove).await;
    let dir = tempdir("cli-good");
    let out = tokio::process::Command::new(bin)
        .args(["certify-idp", "--issuer", good.issuer(), "--profile", "chatgpt-2026-cimd", "--login", "auto"])
        .args(["--resource", "https://mcp.example.com/mcp", "--out"])
        .arg(&dir)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("works with ChatGPT's connector flow"), "{stdout}");
    for f in render::FILES {
        assert!(dir.join(f).exists(), "{f} missing");
    }
    assert!(String::from_utf8_lossy(&out.stderr).contains("certifying"), "progress on stderr");

    let bad = mock(&[Quirk::BasicAuthRefused], LoginMode::AutoApprove).await;
    let out = tokio::process::Command::new(bin)
        .args(["certify-idp", "--issuer", bad.issuer(), "--profile", "chatgpt-2025-09-dcr-basic", "--out"])
        .arg(tempdir("cli-bad"))
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("FAILURE  GPT-07"), "{stdout}");

    let out = tokio::process::Command::new(bin)
        .args(["certify-idp", "--issuer", "ftp://idp.example", "--out"])
        .arg(tempdir("cli-usage"))
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    good.shutdown().await;
    bad.shutdown().await;
}

/// oidc-provider 9.13.3 (npm), with its development login and consent pages, certified with
/// ChatGPT's three profiles. Each non-success below was confirmed by hand with curl against the
/// same server (`tests/servers/oidc_provider.mjs`), as the README's certification section records:
///
/// - AS-05 WARNING: discovery has no `client_id_metadata_document_supported` (and a URL client_id
///   is an unknown client), so ChatGPT's 2026 profile falls back to DCR; AS-06 INFO; AS-07/08/10/11,
///   AS-28 and GPT-09 SKIPPED for the same reason; AS-25 WARNING (only DCR, which MCP 2026-07-28
///   deprecates).
/// - AS-26 INFO: `application_type: "web"` is accepted, and so is a web client with a loopback
///   `http` redirect URI (OIDC Registration §2 states the web rule for implicit-grant clients).
/// - AS-18 INFO for ChatGPT's clients: they are confidential (client_secret_post /
///   client_secret_basic), and oidc-provider hands a confidential client the same refresh token
///   back (rotation only once 70% of its lifetime has passed), which OAuth 2.1 allows. The public
///   client of the AS-18 probe gets a new refresh token on every refresh, and replaying the used
///   one is `invalid_grant`: SUCCESS.
#[tokio::test]
async fn oidc_provider_works_with_chatgpt_except_cimd() {
    let Some((_oidc, issuer)) = support::oidc_provider().await else { return };
    let mut cfg = CertifyConfig::new(&issuer);
    cfg.login = form(&[("login", "alice"), ("password", "any")]);
    let c = certify(&cfg).await.unwrap();
    // Kept for the README's sample report.
    let dir = support::repo().join("target/certify-oidc-provider");
    render::write(&c, &dir).unwrap();

    assert_eq!(problems(&c), ["AS-05", "AS-25"].map(String::from).into(), "{}", summary(&c));
    assert_eq!(c.status, Status::Warning, "{}", summary(&c));
    let status = |id: &str| c.item(id).unwrap().status;
    assert_eq!(status("AS-05"), Status::Warning);
    // MCP 2026-07-28: iss on success and error redirects, advertised; DCR only (deprecated); a web
    // client with a loopback redirect registers (OIDC states that rule for implicit clients only);
    // the metadata's issuer is the issuer; no CIMD to validate.
    assert_eq!(status("AS-24"), Status::Success);
    assert!(descriptions(&c, "AS-24").contains("on the successful and error authorization response"));
    assert_eq!(status("AS-25"), Status::Warning);
    assert!(descriptions(&c, "AS-25").contains("only Dynamic Client Registration"));
    assert_eq!(status("AS-26"), Status::Info);
    assert_eq!(status("AS-27"), Status::Success);
    assert_eq!(status("AS-28"), Status::Skipped);
    // RFC 9207 advertised and iss returned: the dual-era ChatGPT gets its stable callback (#14).
    assert_eq!(status("GPT-21"), Status::Success, "{}", summary(&c));
    assert!(descriptions(&c, "AS-05").contains("not advertised"));
    assert_eq!(status("AS-06"), Status::Info);
    for id in ["AS-07", "AS-08", "AS-10", "AS-11", "GPT-09"] {
        assert_eq!(status(id), Status::Skipped, "{id}");
    }
    // Every ChatGPT profile gets a token; the 2026 profile through DCR.
    for r in c.runs.iter().filter(|r| r.key != PUBLIC_RUN) {
        assert!(r.failure.is_none(), "{}: {}", r.key, r.verdict);
    }
    assert_eq!(c.run("chatgpt-2026-cimd").unwrap().client.as_deref(), Some("DCR client_secret_basic"));
    assert_eq!(c.run("chatgpt-2025-dcr").unwrap().client.as_deref(), Some("DCR client_secret_post"));
    // AS-18: confidential clients keep their refresh token; the public client's rotates.
    let as18 = c.item("AS-18").unwrap();
    assert_eq!(as18.status, Status::Success);
    for r in &as18.results {
        let d = &r.checks[0].description;
        if r.run == PUBLIC_RUN {
            assert_eq!(r.status, Status::Success, "{d}");
            assert!(d.contains("the used one is refused") && d.contains("invalid_grant"), "{d}");
        } else {
            assert_eq!(r.status, Status::Info, "{d}");
            assert!(d.contains("handed back the same refresh token"), "{d}");
        }
    }
    // The negative probes, as curl showed them.
    for (id, words) in [
        (
            "PCC-2",
            "code_challenge_method=plain: refused: error=invalid_request (not supported value of code_challenge_method)",
        ),
        ("PCC-2", "wrong code_verifier: refused: HTTP 400: invalid_grant"),
        ("AS-15", "refused: HTTP 400 (HTML page: \"oops! something went wrong\")"),
        ("AS-20", "refused: HTTP 400: invalid_target"),
        ("AS-23", "replayed: refused: HTTP 400: invalid_grant"),
        ("PCC-6", "accepted (HTTP 201)"),
        ("GPT-14", "iss=http://127.0.0.1:"),
        ("PCC-7", "verifies against the JWKS"),
        ("AS-17", "1 h"),
    ] {
        assert!(descriptions(&c, id).contains(words), "{id} lacks {words:?}:\n{}", descriptions(&c, id));
    }
    // Its ID tokens and registration access tokens are secrets too, and every secret got its run's
    // placeholder (the last-resort `[redacted]` pass found nothing left over).
    let json = render::json(&c);
    assert!(!json.contains("[redacted]"), "a secret escaped its run's redaction");
    assert!(!json.contains("\"id_token\":\"eyJ"), "ID tokens are redacted");
    assert!(
        !json.contains("\"registration_access_token\":\"")
            || json.contains("\"registration_access_token\":\"[client-secret-")
    );
}

/// A login the harness cannot pass is the harness's problem: one finding (GPT-06, "not tested"),
/// the items after it SKIPPED with that reason, and nothing blamed on the IdP.
#[tokio::test]
async fn a_failed_sign_in_is_not_blamed_on_the_idp() {
    let idp = mock(&[], LoginMode::Form).await;
    let mut cfg = CertifyConfig::new(idp.issuer());
    cfg.profiles = vec!["chatgpt-2025-dcr".into()];
    cfg.login = form(&[("username", "alice"), ("password", "wrong")]);
    let c = certify(&cfg).await.unwrap();
    assert!(problems(&c).is_empty(), "{}", summary(&c));
    let gpt06 = c.item("GPT-06").unwrap();
    assert!(gpt06.untestable, "{}", summary(&c));
    assert!(descriptions(&c, "GPT-06").contains("login failed at"), "{}", descriptions(&c, "GPT-06"));
    assert_eq!(c.status, Status::Failure, "an untested certification does not pass");
    idp.shutdown().await;
}

/// No `--login-field` at an IdP with a login page (issue 10): the sign-in fails with HTTP 401. That
/// is one finding — "login failed at URL: HTTP 401 — check the --login-field values" with what the
/// page said — and every item after the sign-in is SKIPPED with that reason; before the fix the
/// CIMD profile's GPT-09 FAILED with advice about metadata documents and the cause "HTTP 401: ".
#[tokio::test]
async fn a_sign_in_without_login_fields_is_one_finding_and_the_rest_is_skipped() {
    let idp = mock(&[], LoginMode::Form).await;
    let c = certify(&CertifyConfig::new(idp.issuer())).await.unwrap();
    assert!(problems(&c).is_empty(), "nothing blamed on the IdP:\n{}", summary(&c));
    assert_eq!(c.status, Status::Failure, "not certified");
    assert!(c.verdict.contains("not certified: login failed at"), "{}", c.verdict);
    let login = format!("login failed at {}/login: HTTP 401", idp.origin());
    for r in c.runs.iter().filter(|r| r.key != PUBLIC_RUN) {
        let gpt06 = c.item("GPT-06").unwrap().results.iter().find(|x| x.run == r.key).unwrap();
        assert_eq!((gpt06.status, gpt06.untestable), (Status::Failure, true), "{}", summary(&c));
        let d = &gpt06.checks[0].description;
        assert!(d.starts_with(&login) && d.contains("check the --login-field values"), "{d}");
    }
    // Only GPT-06 fails; what the login decides is SKIPPED with the login as its reason (GPT-09
    // and AS-05 on the CIMD profile included); what came before it is still judged.
    for i in &c.items {
        if i.id == "GPT-06" {
            continue;
        }
        assert_ne!(i.status, Status::Failure, "{} fails:\n{}", i.id, summary(&c));
    }
    for id in ["GPT-07", "GPT-08", "GPT-09", "AS-05", "AS-15", "AS-18", "AS-23", "GPT-15", "PCC-3", "PCC-7"] {
        let cimd = c.item(id).unwrap().results.iter().find(|r| r.run == "chatgpt-2026-cimd").unwrap();
        assert_eq!(cimd.status, Status::Skipped, "{id}:\n{}", summary(&c));
        assert!(cimd.checks.iter().all(|f| f.description.contains(&login)), "{id}:\n{}", summary(&c));
    }
    for id in ["AS-02", "AS-14", "GPT-03", "GPT-04"] {
        assert_eq!(c.item(id).unwrap().status, Status::Success, "{id}:\n{}", summary(&c));
    }
    assert!(c.notes.iter().any(|n| n.contains("could not sign in")), "{:?}", c.notes);
    idp.shutdown().await;
}

/// oidc-provider's dev login pages, signed in with no `--login-field`: the sign-in is the one
/// finding, and nothing after it is blamed on the IdP.
#[tokio::test]
async fn oidc_provider_without_login_fields_is_not_certified_and_not_blamed() {
    let Some((_oidc, issuer)) = support::oidc_provider().await else { return };
    let mut cfg = CertifyConfig::new(&issuer);
    cfg.profiles = vec!["chatgpt-2025-dcr".into()];
    let c = certify(&cfg).await.unwrap();
    // Nothing after the sign-in is blamed; AS-25 is read from the metadata, before it.
    assert_eq!(problems(&c), ["AS-25".to_string()].into(), "only the metadata's AS-25:\n{}", summary(&c));
    assert_eq!(c.status, Status::Failure, "{}", summary(&c));
    let gpt06 = c.item("GPT-06").unwrap();
    assert!(gpt06.untestable, "{}", summary(&c));
    let d = descriptions(&c, "GPT-06");
    // Its dev pages take the empty login and then fail with HTTP 500 on the next page.
    assert!(d.starts_with("login failed: the sign-in form at http://127.0.0.1:") && d.contains("HTTP 500"), "{d}");
    assert!(c.verdict.contains("not certified: login failed"), "{}", c.verdict);
    for i in c.items.iter().filter(|i| i.id != "GPT-06") {
        assert_ne!(i.status, Status::Failure, "{}:\n{}", i.id, summary(&c));
    }
}

/// AS-18 replays a public client's used refresh token at once and, when the IdP accepts it, again
/// after a wait (here the mock IdP's clock moves 35 s): strict rotation is SUCCESS, a documented
/// reuse window shorter than the wait INFO with its length, a window longer than the wait (the used
/// token still works) and no rotation FAILURE.
#[tokio::test(flavor = "multi_thread")]
async fn refresh_rotation_tells_a_reuse_window_from_none() {
    let cases: [(Option<Quirk>, Status, &str); 4] = [
        (None, Status::Success, "the used one is refused"),
        (Some(Quirk::RefreshReuseWindow(30)), Status::Info, "reuse window of at most 35 s"),
        (
            Some(Quirk::RefreshReuseWindow(60)),
            Status::Failure,
            "accepted at once (a new refresh token) and again 35 s later",
        ),
        (Some(Quirk::NoRefreshRotation), Status::Failure, "handed back the same refresh token"),
    ];
    for (quirk, want, words) in cases {
        let idp = Arc::new(mock(&quirk.iter().cloned().collect::<Vec<_>>(), LoginMode::AutoApprove).await);
        let mut cfg = CertifyConfig::new(idp.issuer());
        cfg.profiles = vec!["chatgpt-2025-dcr".into()];
        cfg.wait = Some(idp_clock(&idp));
        let c = certify(&cfg).await.unwrap();
        let public = c.item("AS-18").unwrap().results.iter().find(|r| r.run == PUBLIC_RUN).cloned().unwrap();
        let d = public.checks.iter().map(|f| f.description.clone()).collect::<Vec<_>>().join("\n");
        assert_eq!(public.status, want, "{quirk:?}: {d}");
        assert!(d.contains(words), "{quirk:?}: {d}");
        if want == Status::Info {
            assert!(d.contains("family was revoked"), "{d}");
            // The replay after the wait is in the evidence.
            assert!(public.evidence.len() >= 4, "{:?}", public.evidence);
        }
    }
}

/// An IdP that accepts metadata documents only at https URLs (the mock IdP outside test mode)
/// refuses the harness's `http://127.0.0.1` document without fetching it: the CIMD items are
/// SKIPPED "not testable here" naming --cimd-base, and the profile is tested through its DCR
/// fallback. A document the IdP fetched and then refused still FAILS GPT-09
/// (`cimd_singular_auth_method_only` in [`QUIRKS`]).
#[tokio::test]
async fn a_refused_loopback_metadata_document_is_not_testable_here() {
    let idp = MockIdp::builder().configure(|c| c.allow_loopback_fetch = false).start().await.unwrap();
    let mut cfg = CertifyConfig::new(idp.issuer());
    cfg.profiles = vec!["chatgpt-2026-cimd".into()];
    let c = certify(&cfg).await.unwrap();
    assert!(problems(&c).is_empty(), "{}", summary(&c));
    assert_eq!(c.status, Status::Success, "{}", summary(&c));
    for id in ["AS-05", "AS-06", "AS-07", "AS-08", "AS-10", "AS-11", "GPT-09"] {
        let i = c.item(id).unwrap();
        assert_eq!(i.status, Status::Skipped, "{id}:\n{}", summary(&c));
        let d = descriptions(&c, id);
        assert!(d.contains("not testable here") && d.contains("--cimd-base https://"), "{id}: {d}");
    }
    for id in ["GPT-06", "GPT-07", "PCC-6", "AS-15", "PCC-2"] {
        assert_eq!(c.item(id).unwrap().status, Status::Success, "{id}:\n{}", summary(&c));
    }
    assert_eq!(c.run("chatgpt-2026-cimd").unwrap().client.as_deref().map(|s| &s[..3]), Some("DCR"));
    assert!(c.notes.iter().any(|n| n.contains("without fetching it")), "{:?}", c.notes);
    idp.shutdown().await;
}

/// The totals every renderer prints count every badge the summary table shows: items by their
/// overall label and every per-flow result (a WARNING under one flow of an item that FAILs
/// overall used to be counted nowhere: "0 WARNING" beside warning badges).
#[tokio::test]
async fn every_renderer_counts_every_badge_of_the_summary_table() {
    let idp = mock(&[Quirk::NoAudience, Quirk::IssParameterNotAdvertised], LoginMode::AutoApprove).await;
    let mut c = certify(&CertifyConfig::new(idp.issuer())).await.unwrap();
    idp.shutdown().await;
    // GPT-14 warns under the 2026 profile; make it fail under another flow, as a real IdP can.
    let gpt14 = c.items.iter_mut().find(|i| i.id == "GPT-14").unwrap();
    assert!(gpt14.results.iter().any(|r| r.status == Status::Warning), "a warning badge to count");
    gpt14.results[0].status = Status::Failure;
    gpt14.status = Status::Failure;
    c.totals = c.totals();

    // Count the badges of the Markdown summary table by hand.
    let md = render::markdown(&c);
    let table: Vec<&str> =
        md.split("## Summary\n\n").nth(1).unwrap().lines().skip(2).take_while(|l| l.starts_with('|')).collect();
    assert_eq!(table.len(), c.items.len());
    let mut items = std::collections::BTreeMap::<String, usize>::new();
    let mut results = std::collections::BTreeMap::<String, usize>::new();
    for row in &table {
        let cells: Vec<&str> = row.split('|').map(str::trim).filter(|x| !x.is_empty()).collect();
        let badge = |cell: &str| cell.split_once(' ').map(|(_, l)| l.to_owned()).unwrap();
        *items.entry(badge(cells[3])).or_default() += 1;
        for cell in &cells[4..] {
            *results.entry(badge(cell)).or_default() += 1;
        }
    }
    assert!(results.get("WARNING").copied().unwrap_or(0) >= 1, "{results:?}");
    let line = |m: &std::collections::BTreeMap<String, usize>| {
        harness_certify::model::LABELS
            .iter()
            .filter_map(|l| m.get(*l).map(|n| format!("{n} {l}")))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let expected = format!(
        "{} items: {}; {} per-flow results: {}",
        c.items.len(),
        line(&items),
        results.values().sum::<usize>(),
        line(&results)
    );
    assert_eq!(render::counts_line(&c), expected);
    assert!(md.contains(&format!("| Items | {expected} |")), "Markdown");
    assert!(render::html(&c).contains(&format!("<dd>{expected}</dd>")), "HTML");
    assert!(render::terminal(&c).contains(&expected), "terminal:\n{}", render::terminal(&c));
    let json: serde_json::Value = serde_json::from_str(&render::json(&c)).unwrap();
    let from_json = |k: &str| -> std::collections::BTreeMap<String, usize> {
        serde_json::from_value::<Vec<(String, usize)>>(json["totals"][k].clone())
            .unwrap()
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .collect()
    };
    assert_eq!((from_json("items"), from_json("results")), (items, results), "JSON");
}

/// The README's certification section explains every item and lists every quirk's row of [`QUIRKS`].
#[test]
fn the_documentation_covers_every_item_and_quirk() {
    let readme = std::fs::read_to_string(support::repo().join("README.md")).unwrap();
    let start = readme.find("## Certifying an identity provider").expect("the README has the certification section");
    let end = readme[start + 3..].find("\n## ").map(|e| start + 3 + e).unwrap_or(readme.len());
    let doc = &readme[start..end];
    for def in harness_certify::catalogue::ITEMS {
        assert!(
            doc.contains(&format!("| {} |", def.id)),
            "the README's certification section lacks a row for {}",
            def.id
        );
    }
    for (arg, expected, _) in QUIRKS {
        let row = doc.lines().find(|l| l.starts_with("| `") && l.contains(&format!("`{}`", arg)));
        let row = row.unwrap_or_else(|| panic!("the README's certification section lacks the quirk {arg}"));
        for id in *expected {
            assert!(row.contains(id), "docs: {arg} should list {id}: {row}");
        }
    }
}
