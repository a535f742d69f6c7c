//! The two containers every IdP store is built on: a keyed map with a capacity, and a ring buffer.
//!
//! Neither refuses once full: the oldest (or least recently used) entry makes room. A mock IdP that
//! answers 429 forever after its ten-thousandth registration is worse than one that forgets a
//! client nobody has used for hours, and a long-running `connector-harness idp` must keep working.

use std::collections::{BTreeMap, HashMap, VecDeque};

/// A map from string keys with a capacity. Insertion past the capacity evicts the entry that was
/// inserted (or [`Bounded::touch`]ed) longest ago, so the order doubles as an LRU list.
#[derive(Debug)]
pub(crate) struct Bounded<V> {
    map: HashMap<String, Slot<V>>,
    /// Recency position → key; the first entry is the next to go.
    order: BTreeMap<u64, String>,
    next: u64,
    cap: usize,
    inserts_since_sweep: usize,
}

#[derive(Debug)]
struct Slot<V> {
    pos: u64,
    /// Creation sequence, for listing in creation order whatever the recency.
    born: u64,
    value: V,
}

/// How many insertions pass between two sweeps for expired entries: often enough that expired
/// entries do not crowd out live ones, rarely enough that a full store does not rescan itself on
/// every insertion.
const SWEEP_EVERY: usize = 256;

impl<V> Bounded<V> {
    /// An empty store holding at most `cap` entries (at least one).
    pub fn new(cap: usize) -> Self {
        Bounded { map: HashMap::new(), order: BTreeMap::new(), next: 0, cap: cap.max(1), inserts_since_sweep: 0 }
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn get(&self, key: &str) -> Option<&V> {
        self.map.get(key).map(|s| &s.value)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        self.map.get_mut(key).map(|s| &mut s.value)
    }

    pub fn contains(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    /// Marks an entry as just used, so it is evicted last.
    pub fn touch(&mut self, key: &str) {
        if let Some(slot) = self.map.get_mut(key)
            && let Some(k) = self.order.remove(&slot.pos)
        {
            slot.pos = self.next;
            self.order.insert(self.next, k);
            self.next += 1;
        }
    }

    /// Inserts or replaces; returns what was evicted to stay within the capacity.
    pub fn insert(&mut self, key: String, value: V) -> Vec<(String, V)> {
        let pos = self.next;
        self.next += 1;
        self.inserts_since_sweep += 1;
        let born = match self.map.remove(&key) {
            Some(old) => {
                self.order.remove(&old.pos);
                old.born
            }
            None => pos,
        };
        self.order.insert(pos, key.clone());
        self.map.insert(key, Slot { pos, born, value });
        let mut evicted = Vec::new();
        while self.map.len() > self.cap {
            match self.pop_oldest() {
                Some(e) => evicted.push(e),
                None => break,
            }
        }
        evicted
    }

    /// Whether enough insertions have passed that the owner should sweep expired entries now
    /// (resets the count when it answers yes).
    pub fn sweep_due(&mut self) -> bool {
        if self.inserts_since_sweep >= SWEEP_EVERY {
            self.inserts_since_sweep = 0;
            true
        } else {
            false
        }
    }

    pub fn remove(&mut self, key: &str) -> Option<V> {
        let slot = self.map.remove(key)?;
        self.order.remove(&slot.pos);
        Some(slot.value)
    }

    /// Removes the entry that would be evicted next.
    pub fn pop_oldest(&mut self) -> Option<(String, V)> {
        let (_, key) = self.order.pop_first()?;
        let slot = self.map.remove(&key)?;
        Some((key, slot.value))
    }

    /// Keeps the entries `keep` accepts; returns the others.
    pub fn retain(&mut self, mut keep: impl FnMut(&V) -> bool) -> Vec<(String, V)> {
        let gone: Vec<String> = self.map.iter().filter(|(_, s)| !keep(&s.value)).map(|(k, _)| k.clone()).collect();
        gone.into_iter().filter_map(|k| self.remove(&k).map(|v| (k, v))).collect()
    }

    /// Every value, oldest creation first.
    pub fn in_creation_order(&self) -> Vec<&V> {
        let mut v: Vec<&Slot<V>> = self.map.values().collect();
        v.sort_by_key(|s| s.born);
        v.into_iter().map(|s| &s.value).collect()
    }
}

/// A ring buffer: the newest `cap` items, and how many older ones were dropped.
#[derive(Debug)]
pub(crate) struct Ring<T> {
    items: VecDeque<T>,
    cap: usize,
    /// Items ever pushed.
    pub pushed: u64,
}

impl<T> Ring<T> {
    pub fn new(cap: usize) -> Self {
        Ring { items: VecDeque::new(), cap: cap.max(1), pushed: 0 }
    }

    pub fn push(&mut self, item: T) {
        if self.items.len() >= self.cap {
            self.items.pop_front();
        }
        self.items.push_back(item);
        self.pushed += 1;
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.items.iter()
    }
}

/// Cuts `s` to at most `max` bytes (on a character boundary) and says how long it was, so a logged
/// value is bounded and a reader knows it is not whole.
pub(crate) fn truncate(s: String, max: usize) -> String {
    if s.len() <= max {
        return s;
    }
    format!("{}{}{} bytes]", cut(&s, max), TRUNCATION_MARKER, s.len())
}

/// [`truncate`] for raw bytes shown as lossy UTF-8, decoding no more than the part kept.
pub(crate) fn truncate_bytes(b: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(&b[..b.len().min(max)]);
    if b.len() <= max && text.len() <= max {
        return text.into_owned();
    }
    format!("{}{}{} bytes]", cut(&text, max), TRUNCATION_MARKER, b.len())
}

fn cut(s: &str, max: usize) -> &str {
    let mut at = max.min(s.len());
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    &s[..at]
}

/// What follows a truncated logged value: `…[truncated by mock-idp; N bytes]`.
pub const TRUNCATION_MARKER: &str = "…[truncated by mock-idp; ";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_evicts_the_least_recently_used_and_lists_in_creation_order() {
        let mut b = Bounded::new(2);
        assert!(b.insert("a".into(), 1).is_empty());
        assert!(b.insert("b".into(), 2).is_empty());
        b.touch("a");
        assert_eq!(b.insert("c".into(), 3), vec![("b".to_string(), 2)]);
        assert_eq!(b.len(), 2);
        assert_eq!(b.in_creation_order(), vec![&1, &3]);
        assert_eq!(b.retain(|v| *v > 1), vec![("a".to_string(), 1)]);
        assert_eq!(b.pop_oldest(), Some(("c".to_string(), 3)));
        assert_eq!(b.len(), 0);
    }

    #[test]
    fn ring_keeps_the_newest_and_truncation_marks_the_cut() {
        let mut r = Ring::new(3);
        for i in 0..5 {
            r.push(i);
        }
        assert_eq!(r.iter().copied().collect::<Vec<_>>(), vec![2, 3, 4]);
        assert_eq!(r.pushed, 5);
        assert_eq!(truncate("short".into(), 10), "short");
        let t = truncate("é".repeat(10), 5);
        assert_eq!(t, "éé…[truncated by mock-idp; 20 bytes]");
        assert_eq!(truncate_bytes(b"abcdef", 4), "abcd…[truncated by mock-idp; 6 bytes]");
        assert_eq!(truncate_bytes(b"abc", 4), "abc");
    }
}
