//! State handles (MCP 2026-07-28 replaces sessions with them): opaque values a tool result hands
//! out and a later call presents. A handle is bound to the user who was verified when it was
//! minted and is never authentication by itself (security best practices L538-552, RS-25/RS-26).

use rand::RngCore;
use std::collections::{HashMap, VecDeque};

/// Handles kept; the oldest is forgotten first.
pub const MAX_HANDLES: usize = 10_000;

/// The live handles and whose they are.
#[derive(Debug, Default)]
pub(crate) struct HandleStore {
    owners: HashMap<String, String>,
    order: VecDeque<String>,
    minted: u64,
}

impl HandleStore {
    /// A new handle for `sub`: 128 random bits, or under `predictable` a counter.
    pub(crate) fn mint(&mut self, sub: &str, predictable: bool) -> String {
        self.minted += 1;
        let handle = if predictable {
            format!("cursor-{}", self.minted)
        } else {
            let mut b = [0u8; 16];
            rand::thread_rng().fill_bytes(&mut b);
            b.iter().map(|x| format!("{x:02x}")).collect()
        };
        if self.order.len() >= MAX_HANDLES
            && let Some(old) = self.order.pop_front()
        {
            self.owners.remove(&old);
        }
        self.owners.insert(handle.clone(), sub.to_owned());
        self.order.push_back(handle.clone());
        handle
    }

    /// The owner of `handle`, if it is live.
    pub(crate) fn owner(&self, handle: &str) -> Option<&str> {
        self.owners.get(handle).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_are_random_unless_predictable_and_remember_their_owner() {
        let mut s = HandleStore::default();
        let a = s.mint("alice", false);
        let b = s.mint("alice", false);
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert_eq!(s.owner(&a), Some("alice"));
        assert_eq!(s.mint("bob", true), "cursor-3");
        assert_eq!(s.owner("nope"), None);
    }
}
