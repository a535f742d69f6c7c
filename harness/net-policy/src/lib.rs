//! The address policy of the harness: which hosts and addresses it may contact on behalf of a
//! server under test, and why it refuses the others.
//!
//! Shared by the mock client (everything the server under test names) and the mock IdP (Client ID
//! Metadata Documents and JWKS it fetches), so both follow the same rules. Three places apply it:
//! [`Policy::check_url`] before sending (scheme, plain-http rule, IP-literal hosts, which no resolver
//! ever sees), [`Policy::check_resolved`] for each address a name resolves to (the `reqwest`
//! feature's [`resolver::PolicyResolver`] does this inside the connection, so a DNS answer that
//! changes between a check and the connect cannot slip through), and every redirect hop, which
//! the callers follow by hand through the same two checks.

mod class;
mod policy;
#[cfg(feature = "reqwest")]
pub mod resolver;
#[cfg(feature = "reqwest")]
pub mod tls;

pub use class::{AddressClass, classify, classify_name};
pub use policy::{OPT_IN_FLAG, Policy, Refusal, host_is_loopback, normal_host};

/// The policy's refusal somewhere in an error's source chain (a reqwest error wraps the
/// resolver's), so a refused connection is reported as a refusal, not as "connection failed".
pub fn refusal_in<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a Refusal> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(r) = e.downcast_ref::<Refusal>() {
            return Some(r);
        }
        cur = e.source();
    }
    None
}
