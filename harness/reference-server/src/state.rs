//! Shared server state and the request log a test or the runner can inspect.

use parking_lot::Mutex;
use serde::Serialize;
use serde_json::Value;
use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{SystemTime, UNIX_EPOCH};

use super::config::ReferenceConfig;
use super::faults::Faults;
use super::handles::HandleStore;
use super::jwks::JwksCache;
use super::session::SessionStore;

/// Requests kept in the log; older ones are dropped first.
pub const MAX_LOGGED_REQUESTS: usize = 10_000;
/// Bytes of each request body kept in the log.
pub const MAX_LOGGED_BODY_BYTES: usize = 16 * 1024;

/// The well-known path of RFC 9728 Protected Resource Metadata (§3).
pub(crate) const PRM_WELL_KNOWN: &str = "/.well-known/oauth-protected-resource";

/// One HTTP request the reference server received, in arrival order (body cut at
/// [`MAX_LOGGED_BODY_BYTES`]).
pub type LoggedRequest = server_kit::LoggedRequest<McpFacts>;

/// What the reference server's log notes about a request besides its head and body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct McpFacts {
    /// Whether the request carried a Bearer token in its `Authorization` header.
    pub carried_token: bool,
    /// The JSON-RPC `method`, when the body is a single JSON-RPC message.
    pub rpc_method: Option<String>,
}

#[derive(Debug, Default)]
pub(crate) struct RequestLog {
    pub entries: VecDeque<LoggedRequest>,
    pub next_seq: u64,
}

impl RequestLog {
    pub(crate) fn push(&mut self, mut entry: LoggedRequest) {
        self.next_seq += 1;
        entry.seq = self.next_seq;
        if self.entries.len() >= MAX_LOGGED_REQUESTS {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
    }
}

/// Everything the handlers share.
#[derive(Debug)]
pub(crate) struct AppState {
    pub config: ReferenceConfig,
    pub faults: Faults,
    /// `http://127.0.0.1:PORT`.
    pub origin: String,
    /// The canonical resource: `origin` + `mcp_path`.
    pub resource: String,
    pub jwks: JwksCache,
    pub sessions: Mutex<SessionStore>,
    pub log: Mutex<RequestLog>,
    /// Challenges issued so far (drives the `InconsistentChallenge` fault).
    pub challenges: AtomicU64,
    /// 2026-07-28 state handles and their owners.
    pub handles: Mutex<HandleStore>,
    /// `tools/list` calls on the 2026-07-28 path (drives the `ToolOrderVaries` fault).
    pub list_calls: AtomicU64,
    /// Users who called `server/discover` (only under the `DiscoverRequiredFirst` fault).
    pub discovered: Mutex<HashSet<String>>,
    /// The last 2026-07-28 answer body sent (only under the `ReplaysOnLastEventId` and
    /// `ResumesIssuedEventIds` faults, which replay it).
    pub last_answer: Mutex<Option<Value>>,
    /// SSE event ids issued so far (only under the `ResumesIssuedEventIds` fault: `ev-1`…`ev-N`).
    pub event_ids: AtomicU64,
    /// The authorization server the server moved to at run time (an AS migration, C-33):
    /// listed in the PRM and the only one whose tokens are accepted from then on.
    pub migrated: Mutex<Option<Arc<Authority>>>,
}

/// An authorization server the resource server trusts: its issuer and its keys.
#[derive(Debug)]
pub(crate) struct Authority {
    pub issuer: String,
    pub jwks: JwksCache,
}

impl AppState {
    /// The issuer the PRM lists now: the one migrated to, else the configured one.
    pub(crate) fn issuer(&self) -> String {
        self.migrated.lock().as_ref().map_or_else(|| self.config.issuer.clone(), |a| a.issuer.clone())
    }

    /// The host-root PRM URL (RFC 9728 §3.1 with the path removed — what ChatGPT fetches).
    pub(crate) fn prm_url_root(&self) -> String {
        format!("{}{PRM_WELL_KNOWN}", self.origin)
    }

    /// The path-suffixed PRM URL (RFC 9728 §3.1: the well-known segment inserted before the path).
    pub(crate) fn prm_url_path(&self) -> String {
        format!("{}{PRM_WELL_KNOWN}{}", self.origin, self.config.mcp_path)
    }
}

/// Unix seconds.
pub(crate) fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> LoggedRequest {
        LoggedRequest {
            seq: 0,
            method: "POST".into(),
            path: "/mcp".into(),
            query: None,
            headers: vec![],
            body: String::new(),
            extra: McpFacts::default(),
            status: 200,
        }
    }

    #[test]
    fn the_log_is_bounded_and_numbers_keep_counting() {
        let mut log = RequestLog::default();
        for _ in 0..MAX_LOGGED_REQUESTS + 5 {
            log.push(entry());
        }
        assert_eq!(log.entries.len(), MAX_LOGGED_REQUESTS);
        assert_eq!(log.entries.front().unwrap().seq, 6);
        assert_eq!(log.entries.back().unwrap().seq, (MAX_LOGGED_REQUESTS + 5) as u64);
    }
}
