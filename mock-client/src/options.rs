//! What the caller chooses for a connect that is not behaviour (behaviour is the profile's):
//! the login driver, typed-in credentials, the metadata host, limits, extra tool calls.

use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

use crate::cimd_key::CimdKey;
use crate::credentials::StaticCredentials;
use crate::http::Limits;

/// How the user's part goes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum LoginDriver {
    /// Follow redirects until the redirect URI (IdPs that approve at once).
    #[default]
    Auto,
    /// Fill forms: the named fields get these values; buttons are chosen by `approve` words.
    Form {
        /// Field values, e.g. `username=alice`.
        fields: BTreeMap<String, String>,
    },
    /// Print the URL and read the redirected URL from standard input.
    Manual,
}

/// Called with `(from_prefix, to_prefix)` when the client serves its metadata document under a
/// real URL (`https://chatgpt.com/`) that the authorization server must fetch from loopback.
pub type CimdRewrite = Arc<dyn Fn(&str, &str) + Send + Sync>;

/// Options that are not behaviour (behaviour is the profile's).
#[derive(Clone)]
pub struct ConnectOptions {
    /// The login driver.
    pub login: LoginDriver,
    /// A client id the user typed in.
    pub static_client: Option<StaticCredentials>,
    /// The token for `static_bearer` / `query_token` profiles.
    pub bearer_token: Option<String>,
    /// The per-connector callback id.
    pub callback_id: String,
    /// Where the spec profile's metadata document lives (`{cimd_base}`); default: the loopback host.
    pub cimd_base: Option<String>,
    /// Keep the profile's real CIMD URLs and tell the AS where to fetch them.
    pub cimd_rewrite: Option<CimdRewrite>,
    /// The metadata host's port on 127.0.0.1 (what a tunnel behind `cimd_base` forwards to).
    pub cimd_port: Option<u16>,
    /// Present ChatGPT's real stable document URL (`https://chatgpt.com/oauth/client.json`) with
    /// `token_endpoint_auth_method` `none` — for an AS that can fetch it — instead of a harness copy.
    pub chatgpt_real_cimd: bool,
    /// Where the profile's client stops at a failure, go on with the smallest assumption past it
    /// and record what comes next ([`crate::Continued`]).
    pub continue_after_failure: bool,
    /// `tools/call`s to make after listing.
    pub tool_calls: Vec<(String, Value)>,
    /// Limits.
    pub limits: Limits,
    /// The key that signs `private_key_jwt` assertions and whose public half the metadata host
    /// serves (default: one generated for these options; tests may pin [`CimdKey::test_key`]).
    pub cimd_key: CimdKey,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            login: LoginDriver::Auto,
            static_client: None,
            bearer_token: None,
            callback_id: "cbHarness0001".into(),
            cimd_base: None,
            cimd_rewrite: None,
            cimd_port: None,
            chatgpt_real_cimd: false,
            continue_after_failure: false,
            tool_calls: Vec::new(),
            limits: Limits::default(),
            cimd_key: CimdKey::per_run(),
        }
    }
}

impl std::fmt::Debug for ConnectOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectOptions")
            .field("login", &self.login)
            .field("callback_id", &self.callback_id)
            .finish_non_exhaustive()
    }
}
