//! The decision: may the harness contact this URL, this resolved address?
//!
//! The server under test names URLs (PRM, AS metadata, endpoints, redirects) and the harness
//! follows them from the user's machine or CI runner — inside their network. Left alone that is
//! server-side request forgery: a hostile server points the harness at `10.x` services or at the
//! cloud metadata endpoint. ChatGPT itself cannot reach such addresses, so refusing them also
//! keeps the harness honest about what ChatGPT would do.

use crate::class::{AddressClass, classify, classify_name};
use std::net::IpAddr;
use url::{Host, Url};

/// The flag that opens the internal ranges; named in every refusal it would lift.
pub const OPT_IN_FLAG: &str = "--allow-private-addresses";

/// Why a URL or address is refused. Displayed after "refused to contact URL: ".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// Not http or https.
    #[error("scheme `{0}` is not http(s)")]
    Scheme(String),
    /// `http://` to something other than loopback.
    #[error("plain http is allowed only to loopback")]
    PlainHttp,
    /// The URL has no host.
    #[error("the URL has no host")]
    NoHost,
    /// A host literal or resolved address of a refused class.
    #[error("{}", describe_address(host, *ip, *class))]
    Address {
        /// The host as named in the URL.
        host: String,
        /// The address it is or resolved to.
        ip: IpAddr,
        /// Its class.
        class: AddressClass,
    },
    /// A host name refused before resolution (cloud metadata names).
    #[error("{host} is {}{}", class.describe(), hint(*class))]
    Name {
        /// The host name.
        host: String,
        /// Its class.
        class: AddressClass,
    },
    /// The name resolved to no address at all.
    #[error("{host} did not resolve to any address")]
    Unresolved {
        /// The host name.
        host: String,
    },
}

fn describe_address(host: &str, ip: IpAddr, class: AddressClass) -> String {
    let literal = host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>().ok() == Some(ip);
    if literal {
        format!("{ip} is {}{}", class.describe(), hint(class))
    } else {
        format!("{host} resolves to {ip}, {}{}", class.describe(), hint(class))
    }
}

fn hint(class: AddressClass) -> String {
    if class.opened_by_opt_in() {
        format!("; pass {OPT_IN_FLAG} if the server is an internal deployment")
    } else {
        format!("; the harness never contacts it, not even with {OPT_IN_FLAG}")
    }
}

/// Which addresses may be contacted. Loopback and public addresses always; the target's own host
/// whatever it is (the user chose it); the internal ranges with the opt-in; never the rest.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// `--allow-private-addresses`: open the internal ranges ([`AddressClass::opened_by_opt_in`]).
    pub allow_private: bool,
    /// Refuse `http://` even to loopback (ChatGPT's own rule; the tests need loopback http).
    pub refuse_plain_http: bool,
    /// Hosts the user named as the target, normalised ([`normal_host`]).
    targets: Vec<String>,
}

impl Policy {
    /// A policy; `allow_private` is the opt-in.
    pub fn new(allow_private: bool) -> Policy {
        Policy { allow_private, ..Default::default() }
    }

    /// Allows the host of `url` whatever it is or resolves to: the user pointed the harness at it.
    pub fn add_target(&mut self, url: &Url) {
        if let Some(h) = url.host_str() {
            let h = normal_host(h);
            if !self.targets.contains(&h) {
                self.targets.push(h);
            }
        }
    }

    /// Whether `host` (as in a URL, or as a resolver sees it) is a target host.
    pub fn is_target(&self, host: &str) -> bool {
        let h = normal_host(host);
        self.targets.contains(&h)
    }

    /// Checks what can be known from the URL alone: scheme, plain http only to loopback, IP literal
    /// hosts (reqwest never resolves those, so this is their only check) and metadata names.
    /// Names are checked again, per address, once resolved ([`Policy::check_resolved`]).
    ///
    /// The address class is judged before the plain-http rule so that `http://169.254.169.254/`
    /// is refused as the metadata endpoint it is, not merely as plain http.
    pub fn check_url(&self, url: &Url) -> Result<(), Refusal> {
        if !matches!(url.scheme(), "https" | "http") {
            return Err(Refusal::Scheme(url.scheme().to_owned()));
        }
        let host_str = url.host_str().ok_or(Refusal::NoHost)?;
        if !self.is_target(host_str) {
            match url.host() {
                Some(Host::Ipv4(a)) => self.check_class(host_str, IpAddr::V4(a))?,
                Some(Host::Ipv6(a)) => self.check_class(host_str, IpAddr::V6(a))?,
                Some(Host::Domain(d)) => {
                    if let Some(class) = classify_name(d).filter(|c| !self.allows(*c)) {
                        return Err(Refusal::Name { host: d.to_owned(), class });
                    }
                }
                None => return Err(Refusal::NoHost),
            }
        }
        if url.scheme() == "http" && (self.refuse_plain_http || !host_is_loopback(url)) {
            return Err(Refusal::PlainHttp);
        }
        Ok(())
    }

    /// Checks one address a name resolved to, just before connecting to it.
    pub fn check_resolved(&self, host: &str, ip: IpAddr) -> Result<(), Refusal> {
        if self.is_target(host) {
            return Ok(());
        }
        if let Some(class) = classify_name(host).filter(|c| !self.allows(*c)) {
            return Err(Refusal::Name { host: host.to_owned(), class });
        }
        self.check_class(host, ip)
    }

    fn check_class(&self, host: &str, ip: IpAddr) -> Result<(), Refusal> {
        let class = classify(ip);
        if self.allows(class) { Ok(()) } else { Err(Refusal::Address { host: host.to_owned(), ip, class }) }
    }

    /// Whether the class may be contacted under this policy.
    pub fn allows(&self, class: AddressClass) -> bool {
        class.always_allowed() || (self.allow_private && class.opened_by_opt_in())
    }
}

/// Whether the URL's host is loopback by literal or by the name `localhost`. (A name is resolved
/// later and each address checked; this is the "plain http only to loopback" rule.)
pub fn host_is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(a)) => classify(IpAddr::V4(a)) == AddressClass::Loopback,
        Some(Host::Ipv6(a)) => classify(IpAddr::V6(a)) == AddressClass::Loopback,
        Some(Host::Domain(d)) => classify_name(d) == Some(AddressClass::Loopback),
        None => false,
    }
}

/// A host as compared against the targets: lower case, no trailing dot, no IPv6 brackets.
pub fn normal_host(host: &str) -> String {
    host.trim_end_matches('.').trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(p: &Policy, url: &str) -> Result<(), Refusal> {
        p.check_url(&Url::parse(url).unwrap())
    }

    #[test]
    fn loopback_and_public_are_allowed_for_https_and_loopback_for_http() {
        let p = Policy::new(false);
        for ok in [
            "https://example.com/x",
            "https://8.8.8.8/x",
            "https://127.0.0.1:9/x",
            "http://127.0.0.1:9/x",
            "http://[::1]:9/x",
            "http://localhost:9/x",
            "http://[::ffff:127.0.0.1]:9/x",
        ] {
            assert_eq!(check(&p, ok), Ok(()), "{ok}");
        }
        assert_eq!(check(&p, "http://example.com/x"), Err(Refusal::PlainHttp));
        assert_eq!(check(&p, "http://8.8.8.8/x"), Err(Refusal::PlainHttp));
        assert!(
            matches!(
                check(&p, "http://169.254.169.254/"),
                Err(Refusal::Address { class: AddressClass::CloudMetadata, .. })
            ),
            "an internal address over http is refused for its class first"
        );
        assert_eq!(check(&p, "file:///etc/passwd"), Err(Refusal::Scheme("file".into())));
        let mut strict = Policy::new(false);
        strict.refuse_plain_http = true;
        assert_eq!(check(&strict, "http://127.0.0.1:9/x"), Err(Refusal::PlainHttp));
    }

    #[test]
    fn internal_literals_are_refused_with_class_and_flag() {
        let p = Policy::new(false);
        let e = check(&p, "https://10.1.2.3/token").unwrap_err();
        assert_eq!(
            e.to_string(),
            "10.1.2.3 is a private address (RFC 1918); pass --allow-private-addresses if the server is an internal deployment"
        );
        let e = check(&p, "https://169.254.169.254/latest/meta-data/").unwrap_err();
        assert_eq!(
            e.to_string(),
            "169.254.169.254 is a cloud metadata endpoint; the harness never contacts it, not even with --allow-private-addresses"
        );
        for bad in [
            "https://172.16.0.1/",
            "https://192.168.0.1/",
            "https://100.64.0.1/",
            "https://169.254.1.1/",
            "https://[fd00::1]/",
            "https://[fe80::1]/",
            "https://[fd00:ec2::254]/",
            "https://0.0.0.0/",
            "https://[::]/",
            "https://224.0.0.1/",
            "https://255.255.255.255/",
            "https://[::ffff:10.1.2.3]/",
            "https://[::ffff:169.254.169.254]/",
            "https://metadata.google.internal/computeMetadata/v1/",
        ] {
            assert!(check(&p, bad).is_err(), "{bad}");
        }
    }

    /// The WHATWG parser turns every IPv4 spelling into the dotted form before we see it, so odd
    /// literals cannot slip past as "domains".
    #[test]
    fn odd_ipv4_spellings_are_normalised_and_refused() {
        let p = Policy::new(false);
        for (odd, ip) in [
            ("https://167772675/", "10.0.2.3"),
            ("https://0x0a.0x01.0x02.0x03/", "10.1.2.3"),
            ("https://0xa010203/", "10.1.2.3"),
            ("https://012.1.2.3/", "10.1.2.3"),
            ("https://10.1.515/", "10.1.2.3"),
            ("https://10.66051/", "10.1.2.3"),
            ("https://10.1.2.3./", "10.1.2.3"),
            ("https://2852039166/", "169.254.169.254"),
            ("https://0251.0376.0251.0376/", "169.254.169.254"),
            ("https://0/", "0.0.0.0"),
            ("https://%31%30.1.2.3/", "10.1.2.3"),
            ("https://１０.1.2.3/", "10.1.2.3"),
        ] {
            let u = Url::parse(odd).unwrap();
            assert_eq!(u.host_str(), Some(ip), "{odd}");
            assert!(matches!(p.check_url(&u), Err(Refusal::Address { .. })), "{odd}");
        }
    }

    #[test]
    fn opt_in_opens_internal_ranges_but_not_metadata() {
        let p = Policy::new(true);
        for ok in ["https://10.1.2.3/", "https://100.64.0.1/", "https://[fd00::1]/", "https://[::ffff:192.168.1.1]/"] {
            assert_eq!(check(&p, ok), Ok(()), "{ok}");
        }
        for bad in ["https://169.254.169.254/", "https://[fd00:ec2::254]/", "https://0.0.0.0/", "https://metadata/"] {
            assert!(check(&p, bad).is_err(), "{bad}");
        }
        // The opt-in does not open plain http.
        assert_eq!(check(&p, "http://10.1.2.3/"), Err(Refusal::PlainHttp));
    }

    #[test]
    fn the_target_host_is_allowed_whatever_it_is() {
        let mut p = Policy::new(false);
        p.add_target(&Url::parse("https://10.9.9.9:8443/mcp").unwrap());
        p.add_target(&Url::parse("https://Internal.Corp./mcp").unwrap());
        assert_eq!(check(&p, "https://10.9.9.9/other"), Ok(()));
        assert!(check(&p, "https://10.9.9.8/").is_err());
        assert_eq!(p.check_resolved("internal.corp", "10.0.0.1".parse().unwrap()), Ok(()));
        assert!(p.check_resolved("other.corp", "10.0.0.1".parse().unwrap()).is_err());
    }

    #[test]
    fn resolved_addresses_are_checked_and_named() {
        let p = Policy::new(false);
        assert_eq!(p.check_resolved("example.com", "93.184.215.14".parse().unwrap()), Ok(()));
        assert_eq!(p.check_resolved("localtest.me", "127.0.0.1".parse().unwrap()), Ok(()));
        let e = p.check_resolved("intranet.example", "192.168.7.7".parse().unwrap()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "intranet.example resolves to 192.168.7.7, a private address (RFC 1918); pass --allow-private-addresses if the server is an internal deployment"
        );
        assert!(p.check_resolved("rebind.example", "::ffff:169.254.169.254".parse().unwrap()).is_err());
    }
}
