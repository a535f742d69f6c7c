//! MCP sessions (Streamable HTTP §Session Management): created by `initialize`, named by the
//! `Mcp-Session-Id` header, ended by DELETE.
//!
//! A session never authenticates anything (MCP security best practices: "MUST NOT use sessions
//! for authentication"; RS-15): every request still carries a token, and the session is bound to
//! the token's `sub`. A request naming another user's session gets 404, as if the session did not
//! exist — the same answer FastMCP gives — so session ids cannot be probed across users.
//! Ids are 256 bits from the OS CSPRNG, base64url: visible ASCII (H-12), unguessable (RS-16).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use std::collections::{BTreeMap, HashMap};

use super::auth::Principal;
use super::faults::{Fault, Faults};

/// Most sessions held at once; creating one more ends the oldest.
pub const MAX_SESSIONS: usize = 10_000;

/// One live session.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    /// Who created it (the session is bound to `principal.sub`).
    pub principal: Principal,
    /// The protocol version negotiated by `initialize`.
    pub protocol_version: String,
    /// Whether `notifications/initialized` arrived.
    pub initialized: bool,
}

/// A live session as a test or the runner sees it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SessionInfo {
    /// The `Mcp-Session-Id`.
    pub id: String,
    /// The `sub` it is bound to.
    pub sub: String,
    /// The protocol version `initialize` negotiated.
    pub protocol_version: String,
    /// Whether `notifications/initialized` arrived.
    pub initialized: bool,
}

/// Sessions by id, bounded to [`MAX_SESSIONS`], oldest evicted first.
#[derive(Debug, Default)]
pub(crate) struct SessionStore {
    by_id: HashMap<String, (u64, Session)>,
    by_age: BTreeMap<u64, String>,
    created: u64,
}

impl SessionStore {
    /// A fresh session id. Fault switches: `PredictableSessionIds` (RS-16), `SessionIdNotAscii` (H-12).
    pub(crate) fn new_id(&self, faults: &Faults) -> String {
        if faults.has(Fault::PredictableSessionIds) {
            return format!("session-{}", self.created + 1);
        }
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let id = URL_SAFE_NO_PAD.encode(bytes);
        if faults.has(Fault::SessionIdNotAscii) {
            // A space is a legal header byte but outside 0x21–0x7E.
            return format!("session {id}");
        }
        id
    }

    pub(crate) fn insert(&mut self, id: String, session: Session) {
        while self.by_id.len() >= MAX_SESSIONS {
            let Some((_, oldest)) = self.by_age.pop_first() else { break };
            self.by_id.remove(&oldest);
        }
        self.created += 1;
        if let Some((old_seq, _)) = self.by_id.insert(id.clone(), (self.created, session)) {
            self.by_age.remove(&old_seq);
        }
        self.by_age.insert(self.created, id);
    }

    pub(crate) fn get(&self, id: &str) -> Option<&Session> {
        self.by_id.get(id).map(|(_, s)| s)
    }

    pub(crate) fn get_mut(&mut self, id: &str) -> Option<&mut Session> {
        self.by_id.get_mut(id).map(|(_, s)| s)
    }

    pub(crate) fn remove(&mut self, id: &str) -> bool {
        match self.by_id.remove(id) {
            Some((seq, _)) => {
                self.by_age.remove(&seq);
                true
            }
            None => false,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Every live session, oldest first.
    pub(crate) fn list(&self) -> Vec<SessionInfo> {
        self.by_age
            .values()
            .filter_map(|id| {
                let s = self.get(id)?;
                Some(SessionInfo {
                    id: id.clone(),
                    sub: s.principal.sub.clone(),
                    protocol_version: s.protocol_version.clone(),
                    initialized: s.initialized,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(sub: &str) -> Session {
        Session {
            principal: Principal { sub: sub.into(), client_id: None, scopes: vec![] },
            protocol_version: "2025-11-25".into(),
            initialized: false,
        }
    }

    #[test]
    fn ids_are_long_random_and_visible_ascii() {
        let s = SessionStore::default();
        let (a, b) = (s.new_id(&Faults::default()), s.new_id(&Faults::default()));
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(a.bytes().all(|c| (0x21..=0x7E).contains(&c)));
    }

    #[test]
    fn faulty_ids_are_sequential_or_contain_a_space() {
        let mut s = SessionStore::default();
        let seq = Faults::new(&[Fault::PredictableSessionIds]);
        let first = s.new_id(&seq);
        s.insert(first.clone(), session("a"));
        assert_eq!((first.as_str(), s.new_id(&seq).as_str()), ("session-1", "session-2"));
        assert!(s.new_id(&Faults::new(&[Fault::SessionIdNotAscii])).contains(' '));
    }

    #[test]
    fn the_store_is_bounded_and_evicts_the_oldest() {
        let mut s = SessionStore::default();
        for i in 0..MAX_SESSIONS + 3 {
            s.insert(format!("id{i}"), session("a"));
        }
        assert_eq!(s.len(), MAX_SESSIONS);
        assert!(s.get("id0").is_none() && s.get("id2").is_none());
        assert!(s.get("id3").is_some());
        assert!(s.remove("id3") && !s.remove("id3"));
        s.get_mut("id4").unwrap().initialized = true;
        assert!(s.get("id4").unwrap().initialized);
        let list = s.list();
        assert_eq!(list.len(), s.len());
        assert_eq!((list[0].id.as_str(), list[0].sub.as_str(), list[0].initialized), ("id4", "a", true));
        // Re-inserting an id does not leave a stale age entry behind.
        s.insert("id5".into(), session("b"));
        assert_eq!(s.by_age.len(), s.by_id.len());
    }
}
