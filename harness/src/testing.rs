//! The cargo-test API: one call for a Rust MCP server's own tests.
//!
//! ```no_run
//! # async fn demo() {
//! use harness::testing;
//! // A mock IdP your server can trust (pass its issuer and JWKS URL to your server's config)…
//! let idp = testing::mock_idp().await;
//! let url = "http://127.0.0.1:8000/mcp"; // …your server, started with idp.issuer() / idp.jwks_uri()
//! testing::assert_scenarios("tests/scenarios", url, &idp).await; // panics with the report if any fails
//! # }
//! ```
//!
//! The functions are plain `async fn`s, so they work as rstest fixtures (`#[fixture] async fn
//! idp() -> Arc<IdpHandle> { testing::mock_idp().await }`, taken as `#[future] idp: Arc<IdpHandle>`)
//! and in `#[tokio::test]`s. Everything such a test names is re-exported here ([`IdpHandle`],
//! [`MockIdp`], [`Quirk`], [`NegativeToken`], the reference server and its [`Fault`]s, the
//! [`profiles`]), so `harness` is the only dev-dependency it needs besides its test runner.
//!
//! A scenario's `expect: {snapshot: NAME}` compares with `snapshots/NAME.snap` beside it; run
//! `CONNECTOR_HARNESS_UPDATE_SNAPSHOTS=1 cargo test` ([`UPDATE_SNAPSHOTS_VAR`]) to write them
//! instead — new or changed — then review the diff before committing.

use std::path::Path;
use std::sync::Arc;

use crate::runner::{RunOptions, RunSettings};

pub use crate::model::RunReport;
pub use mock_idp::{IdpHandle, MockIdp, NegativeToken, Quirk};
pub use reference_server::{Fault, ReferenceHandle, ReferenceServer};

/// The client profiles scenarios name: `profiles::builtin_names()`, `profiles::load("claude")`
/// (a shipped name or a YAML file).
pub mod profiles {
    pub use mock_client::profile::{Profile, ProfileError, builtin_names, load};
}

/// The environment variable that makes [`run_scenarios`] and [`assert_scenarios`] write
/// snapshots instead of comparing them, and whether it is set (kept with the snapshots).
pub use crate::snapshot::{UPDATE_SNAPSHOTS_VAR, update_snapshots_requested};

/// A running mock IdP with the default, spec-following configuration.
pub async fn mock_idp() -> Arc<IdpHandle> {
    Arc::new(MockIdp::builder().start().await.expect("the mock IdP starts on 127.0.0.1"))
}

/// The built-in reference MCP server, trusting `idp`.
pub async fn reference_server(idp: &IdpHandle) -> ReferenceHandle {
    ReferenceServer::builder()
        .issuer(idp.issuer())
        .jwks_uri(idp.jwks_uri())
        .start()
        .await
        .expect("the reference server starts")
}

/// Runs every scenario in `path` (a file or a directory) against `url`, with `idp` as the mock
/// IdP (the one your server trusts). Scenario targets are replaced by `url`. Snapshots are
/// compared, or written when [`update_snapshots_requested`].
pub async fn run_scenarios(path: impl AsRef<Path>, url: &str, idp: &Arc<IdpHandle>) -> RunReport {
    let path = path.as_ref();
    let loaded =
        if path.is_dir() { crate::scenario::load_dir(path) } else { crate::scenario::load_file(path).map(|l| vec![l]) }
            .unwrap_or_else(|e| panic!("{e}"));
    let mut planned_idp_kept = RunOptions {
        settings: RunSettings {
            shared_idp: Some(idp.clone()),
            update_snapshots: update_snapshots_requested(),
            ..Default::default()
        },
        ..Default::default()
    };
    planned_idp_kept.target = Some(url.to_owned());
    crate::runner::run_all(&loaded, &planned_idp_kept, |_| {}).await
}

/// [`run_scenarios`], then panics with the terminal report unless every scenario is as expected.
pub async fn assert_scenarios(path: impl AsRef<Path>, url: &str, idp: &Arc<IdpHandle>) -> RunReport {
    let report = run_scenarios(path, url, idp).await;
    if report.results.iter().any(|r| !r.passed()) {
        let text = crate::report::terminal::render(
            &report,
            &crate::report::terminal::TerminalOptions { color: false, verbosity: crate::report::Verbosity::Attention },
        );
        panic!("connector-harness scenarios failed:\n{text}");
    }
    report
}
