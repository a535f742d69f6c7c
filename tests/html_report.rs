//! The HTML reports in a real browser (#16): `run --report-dir`'s report.html and certify-idp's
//! page, rendered by headless Chromium in a 1280 px wide window, must show every sequence diagram
//! (an inline SVG with a non-empty box) and must not be wider than the window, with every
//! `<details>` opened (the folded headers and bodies are the likeliest to overflow).
//!
//! How it measures: the report pages have no scripts (by design), so the test renders a copy of
//! each page with one measuring `<script>` appended at the end of `<body>` — it opens every
//! `<details>`, measures, and writes the numbers into the DOM — and reads them back from
//! Chromium's `--dump-dom`. The page's own layout is unchanged by the appended script.
//!
//! Chromium comes from the system (`chromium`, Debian's package, which `scripts/install-deps.sh`
//! installs with apt), or `CONNECTOR_HARNESS_CHROMIUM`. Without it the tests say they were skipped,
//! and fail under the test command (`CONNECTOR_HARNESS_REQUIRE_REAL_SERVERS=1`).

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mock_idp::{LoginMode, MockIdp, Quirk};
use support::{bin, text, tmp};

/// The window width the reports must fit.
const WIDTH: f64 = 1280.0;

/// The browser: `CONNECTOR_HARNESS_CHROMIUM`, else the first of the usual names on `PATH`.
fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CONNECTOR_HARNESS_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"] {
        if let Some(p) = std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file()) {
            return Some(p);
        }
    }
    if std::env::var_os("CONNECTOR_HARNESS_REQUIRE_REAL_SERVERS").is_some() {
        panic!("headless Chromium is required but not installed: run scripts/install-deps.sh (apt: chromium)");
    }
    eprintln!("skipping: Chromium is not installed (apt-get install chromium, or scripts/install-deps.sh)");
    None
}

/// Opens every `<details>`, then records the window width, the document's scroll width, the box
/// of every sequence diagram and the first elements that reach past the window's right edge.
const MEASURE: &str = r#"<script>
document.querySelectorAll('details').forEach(function (d) { d.open = true; });
var boxes = [].map.call(document.querySelectorAll('svg.sequence'), function (s) {
  var b = s.getBoundingClientRect(); return [b.left, b.top, b.width, b.height];
});
var wide = [].filter.call(document.querySelectorAll('body *'), function (e) {
  return e.getBoundingClientRect().right > window.innerWidth + 0.5;
}).slice(0, 5).map(function (e) { return e.tagName + '.' + e.className + ' ' + (e.textContent || '').slice(0, 60); });
var out = document.createElement('pre');
out.id = 'layout-measure';
out.textContent = JSON.stringify({ innerWidth: window.innerWidth, scrollWidth: document.documentElement.scrollWidth, svgs: boxes, wide: wide });
document.body.appendChild(out);
</script>"#;

#[derive(Debug)]
struct Layout {
    inner_width: f64,
    scroll_width: f64,
    /// left, top, width, height of each `svg.sequence`.
    svgs: Vec<[f64; 4]>,
    /// What sticks out, for the failure message.
    wide: Vec<String>,
}

impl Layout {
    /// Whether the page fits the window and shows every diagram; the reason when not.
    fn fits(&self) -> Result<(), String> {
        if self.scroll_width > WIDTH {
            return Err(format!("the page is {} px wide in a {WIDTH} px window: {:?}", self.scroll_width, self.wide));
        }
        for b in &self.svgs {
            if b[2] <= 0.0 || b[3] <= 0.0 || b[0] + b[2] > WIDTH + 0.5 {
                return Err(format!("a sequence diagram is not fully visible: box {b:?}"));
            }
        }
        Ok(())
    }
}

/// Renders `page` in headless Chromium, 1280 px wide, and measures it.
fn measure(chrome: &Path, page: &str, name: &str) -> Layout {
    let dir = tmp(&format!("html-measure-{name}"));
    let file = dir.join("page.html");
    let at = page.rfind("</body>").expect("a page with a body");
    std::fs::write(&file, format!("{}{MEASURE}{}", &page[..at], &page[at..])).unwrap();
    let mut child = Command::new(chrome)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"])
        .args(["--disable-extensions", "--window-size=1280,900", "--dump-dom"])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg(format!("file://{}", file.display()))
        .stdin(Stdio::null())
        // Files, not pipes: the DOM dump is larger than a pipe's buffer, and nothing reads it
        // until the browser has exited.
        .stdout(std::fs::File::create(dir.join("dom.html")).unwrap())
        .stderr(std::fs::File::create(dir.join("stderr.txt")).unwrap())
        .spawn()
        .expect("starting Chromium");
    // A safety net against a hung browser, not a timing assertion.
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(180) {
            let _ = child.kill();
            panic!("Chromium did not finish rendering {name} within 180 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let dom = std::fs::read_to_string(dir.join("dom.html")).unwrap();
    let json = dom
        .split_once("<pre id=\"layout-measure\">")
        .and_then(|(_, rest)| rest.split_once("</pre>"))
        .map(|(j, _)| j.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&"))
        .unwrap_or_else(|| {
            let stderr = std::fs::read_to_string(dir.join("stderr.txt")).unwrap_or_default();
            panic!("no measurement in Chromium's DOM dump; its stderr:\n{stderr}")
        });
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let num = |v: &serde_json::Value| v.as_f64().unwrap();
    Layout {
        inner_width: num(&v["innerWidth"]),
        scroll_width: num(&v["scrollWidth"]),
        svgs: v["svgs"].as_array().unwrap().iter().map(|b| [0, 1, 2, 3].map(|i| num(&b[i]))).collect(),
        wide: v["wide"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_owned()).collect(),
    }
}

/// Self-contained: nothing the browser would fetch, nothing it would run.
fn assert_self_contained(page: &str) {
    let lower = page.to_ascii_lowercase();
    for bad in ["<script", "<link", "<img", "<iframe", "@import", "url(", " src="] {
        assert!(!lower.contains(bad), "the page contains {bad}");
    }
}

/// A `run` of three built-in scenarios (every profile connecting, a WARNING, a refused client) with
/// `--report-dir`: its report.html fits 1280 px and shows a diagram per scenario.
#[test]
fn the_run_report_fits_the_window_and_shows_its_diagrams() {
    let Some(chrome) = chromium() else { return };
    let dir = tmp("html-run");
    let o = bin(&[
        "run",
        "--no-color",
        "--filter",
        "every client connects to a correct server",
        "--filter",
        "protected resource metadata only at the path",
        "--filter",
        "token endpoint ignores HTTP Basic",
        "--report-dir",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert_self_contained(&page);
    let scenarios = page.matches("<article class=\"scenario ").count();
    assert!(scenarios >= 3, "{scenarios} scenarios in the page");

    let layout = measure(&chrome, &page, "run");
    assert_eq!(layout.inner_width, WIDTH, "{layout:?}");
    assert_eq!(layout.svgs.len(), scenarios, "one diagram per scenario: {layout:?}");
    layout.fits().unwrap();

    // The check can fail: the same page with one long unbreakable line is caught.
    let wide = page.replacen(
        "</h1>",
        &format!("</h1><pre style=\"white-space:pre;overflow:visible\">{}</pre>", "x".repeat(400)),
        1,
    );
    let layout = measure(&chrome, &wide, "run-wide");
    let err = layout.fits().expect_err("a page wider than the window passed");
    assert!(err.contains("px wide"), "{err}");
}

/// certify-idp's page for an IdP that fails an item (basic auth refused): it fits 1280 px and
/// shows a diagram per flow.
#[tokio::test(flavor = "multi_thread")]
async fn the_certification_page_fits_the_window_and_shows_its_diagrams() {
    let Some(chrome) = chromium() else { return };
    let idp = MockIdp::builder().login(LoginMode::AutoApprove).quirk(Quirk::BasicAuthRefused).start().await.unwrap();
    let dir = tmp("html-certify");
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_connector-harness"))
        .args(["certify-idp", "--issuer", idp.issuer(), "--profile", "chatgpt-2025-09-dcr-basic", "--out"])
        .arg(&dir)
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stdout));
    let page = std::fs::read_to_string(dir.join("idp-certification.html")).unwrap();
    assert_self_contained(&page);
    assert!(!page.contains("class=\"mermaid\""), "the page must draw its diagrams, not carry Mermaid source");
    let flows = page.matches("<figure class=\"sequence\"").count();
    assert!(flows >= 1, "no flow diagram in the page");

    let layout = tokio::task::spawn_blocking(move || measure(&chrome, &page, "certify")).await.unwrap();
    assert_eq!(layout.inner_width, WIDTH, "{layout:?}");
    assert_eq!(layout.svgs.len(), flows, "one diagram per flow: {layout:?}");
    layout.fits().unwrap();
    idp.shutdown().await;
}
