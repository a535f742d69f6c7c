//! A `reqwest` DNS resolver that applies the policy to every address a name resolves to.
//!
//! Checking a name and then letting the connector resolve it again would leave a window for DNS
//! rebinding (a public answer for the check, `10.x` for the connect). Here the addresses the
//! connection uses are the ones checked: refused answers are dropped, and when none is left the
//! lookup fails with the [`Refusal`], which callers find again with [`crate::refusal_in`].

use crate::policy::{Policy, Refusal};
use parking_lot::RwLock;
use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;

/// A policy shared between the code that updates it (adding the target) and the resolver.
pub type SharedPolicy = Arc<RwLock<Policy>>;

/// One DNS answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    /// The address DNS answered; the policy judges this one.
    pub addr: IpAddr,
    /// Where the connection goes: `addr`, except in a [`FakeDns`] that must keep tests on loopback
    /// while pretending a name resolved to, say, `10.1.2.3`.
    pub connect: IpAddr,
}

/// What a lookup returns.
pub type LookupFuture = Pin<Box<dyn Future<Output = io::Result<Vec<Answer>>> + Send>>;

/// Where answers come from.
pub trait Lookup: Send + Sync {
    /// The answers for `name`.
    fn lookup(&self, name: String) -> LookupFuture;
}

/// The system resolver (via tokio's `getaddrinfo` on a blocking thread).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemLookup;

impl Lookup for SystemLookup {
    fn lookup(&self, name: String) -> LookupFuture {
        Box::pin(async move {
            let addrs = tokio::net::lookup_host((name.as_str(), 0)).await?;
            Ok(addrs.map(|a| Answer { addr: a.ip(), connect: a.ip() }).collect())
        })
    }
}

/// Fixed answers, for tests: names are answered from the table and never sent to real DNS;
/// unknown names fail to resolve.
#[derive(Debug, Clone, Default)]
pub struct FakeDns {
    table: HashMap<String, Vec<Answer>>,
}

impl FakeDns {
    /// An empty table.
    pub fn new() -> FakeDns {
        FakeDns::default()
    }

    /// `name` resolves to `addr` and the connection really goes there.
    pub fn answer(mut self, name: &str, addr: IpAddr) -> FakeDns {
        self.table.entry(crate::normal_host(name)).or_default().push(Answer { addr, connect: addr });
        self
    }

    /// `name` resolves to `addr` as far as the policy is concerned, but a connection the policy
    /// allows goes to `connect` (loopback), so a test of an allowed internal address never leaves
    /// the machine.
    pub fn answer_via(mut self, name: &str, addr: IpAddr, connect: IpAddr) -> FakeDns {
        self.table.entry(crate::normal_host(name)).or_default().push(Answer { addr, connect });
        self
    }
}

impl Lookup for FakeDns {
    fn lookup(&self, name: String) -> LookupFuture {
        let found = self.table.get(&crate::normal_host(&name)).cloned();
        Box::pin(async move {
            found.ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("{name}: not in the fake DNS table")))
        })
    }
}

/// The resolver to hand to `reqwest::ClientBuilder::dns_resolver`.
#[derive(Clone)]
pub struct PolicyResolver {
    policy: SharedPolicy,
    lookup: Arc<dyn Lookup>,
}

impl std::fmt::Debug for PolicyResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicyResolver").field("policy", &self.policy).finish_non_exhaustive()
    }
}

impl PolicyResolver {
    /// A resolver applying `policy` to the answers of `lookup`.
    pub fn new(policy: SharedPolicy, lookup: Arc<dyn Lookup>) -> PolicyResolver {
        PolicyResolver { policy, lookup }
    }

    /// The allowed addresses for `name`, or the refusal of the first answer when none is allowed.
    pub async fn allowed(&self, name: &str) -> Result<Vec<IpAddr>, ResolveError> {
        let answers = self.lookup.lookup(name.to_owned()).await.map_err(ResolveError::Lookup)?;
        let policy = self.policy.read().clone();
        let mut allowed = Vec::new();
        let mut first_refusal = None;
        for a in &answers {
            match policy.check_resolved(name, a.addr) {
                Ok(()) => allowed.push(a.connect),
                Err(r) => {
                    first_refusal.get_or_insert(r);
                }
            }
        }
        match (allowed.is_empty(), first_refusal) {
            (false, _) => Ok(allowed),
            (true, Some(r)) => Err(ResolveError::Refused(r)),
            (true, None) => Err(ResolveError::Refused(Refusal::Unresolved { host: name.to_owned() })),
        }
    }
}

/// Why a name yields no address to connect to.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResolveError {
    /// DNS failed.
    #[error("{0}")]
    Lookup(io::Error),
    /// Every answer was refused.
    #[error(transparent)]
    Refused(Refusal),
}

impl reqwest::dns::Resolve for PolicyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let this = self.clone();
        Box::pin(async move {
            match this.allowed(name.as_str()).await {
                Ok(addrs) => {
                    let addrs: reqwest::dns::Addrs = Box::new(addrs.into_iter().map(|ip| SocketAddr::new(ip, 0)));
                    Ok(addrs)
                }
                // The refusal itself goes into the error chain so callers can name it.
                Err(ResolveError::Refused(r)) => Err(Box::new(r) as Box<dyn std::error::Error + Send + Sync>),
                Err(e) => Err(Box::new(e) as Box<dyn std::error::Error + Send + Sync>),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolver(allow_private: bool, dns: FakeDns) -> PolicyResolver {
        PolicyResolver::new(Arc::new(RwLock::new(Policy::new(allow_private))), Arc::new(dns))
    }

    #[tokio::test]
    async fn refused_answers_are_dropped_and_all_refused_is_a_refusal() {
        let dns = FakeDns::new()
            .answer("mixed.test", "10.0.0.1".parse().unwrap())
            .answer("mixed.test", "93.184.215.14".parse().unwrap())
            .answer("intranet.test", "10.1.2.3".parse().unwrap())
            .answer("meta.test", "169.254.169.254".parse().unwrap());
        let r = resolver(false, dns.clone());
        assert_eq!(r.allowed("mixed.test").await.unwrap(), vec!["93.184.215.14".parse::<IpAddr>().unwrap()]);
        let e = r.allowed("intranet.test").await.unwrap_err();
        assert!(matches!(&e, ResolveError::Refused(Refusal::Address { .. })), "{e}");
        assert!(e.to_string().starts_with("intranet.test resolves to 10.1.2.3, a private address"), "{e}");
        assert!(r.allowed("unknown.test").await.is_err());

        let open = resolver(true, dns);
        assert_eq!(open.allowed("intranet.test").await.unwrap(), vec!["10.1.2.3".parse::<IpAddr>().unwrap()]);
        assert!(open.allowed("meta.test").await.is_err(), "metadata stays closed with the opt-in");
    }

    #[tokio::test]
    async fn the_target_resolves_to_anything() {
        let dns = FakeDns::new().answer("internal.corp", "10.0.0.7".parse().unwrap());
        let policy = Arc::new(RwLock::new(Policy::new(false)));
        let r = PolicyResolver::new(policy.clone(), Arc::new(dns));
        assert!(r.allowed("internal.corp").await.is_err());
        policy.write().add_target(&url::Url::parse("https://internal.corp/mcp").unwrap());
        assert!(r.allowed("internal.corp").await.is_ok());
    }
}
