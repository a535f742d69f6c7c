//! What kind of address an IP is, as far as reaching it from the harness matters.
//!
//! The table is ours (the classes a connector client must not be steered into), the prefix
//! arithmetic is `ipnet`'s. IPv6 forms that carry an IPv4 address (mapped, compatible, NAT64,
//! 6to4) are judged by the address they carry, so `::ffff:10.1.2.3` is as private as `10.1.2.3`.

use ipnet::{Ipv4Net, Ipv6Net};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The class of an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AddressClass {
    /// 127.0.0.0/8, ::1: this machine; the tests and local servers live here.
    Loopback,
    /// Globally routable: where real authorization servers are.
    Public,
    /// RFC 1918: 10/8, 172.16/12, 192.168/16.
    Private,
    /// RFC 6598 shared address space 100.64/10 (carrier-grade NAT, also Tailscale).
    Cgnat,
    /// 169.254/16, fe80::/10.
    LinkLocal,
    /// fc00::/7 (and the deprecated site-local fec0::/10).
    UniqueLocal,
    /// An address or name that serves cloud instance metadata (credentials live there).
    CloudMetadata,
    /// 0.0.0.0/8, `::` — on Linux a connection to 0.0.0.0 reaches this machine.
    Unspecified,
    /// 224/4, ff00::/8.
    Multicast,
    /// 255.255.255.255.
    Broadcast,
    /// Documentation, benchmarking, IETF protocol and future-use ranges: nothing to connect to.
    Reserved,
}

impl AddressClass {
    /// Words for a finding: "10.1.2.3 is {describe}".
    pub fn describe(self) -> &'static str {
        match self {
            AddressClass::Loopback => "a loopback address",
            AddressClass::Public => "a public address",
            AddressClass::Private => "a private address (RFC 1918)",
            AddressClass::Cgnat => "a shared CGNAT address (RFC 6598, 100.64.0.0/10)",
            AddressClass::LinkLocal => "a link-local address (169.254.0.0/16, fe80::/10)",
            AddressClass::UniqueLocal => "a unique-local address (fc00::/7)",
            AddressClass::CloudMetadata => "a cloud metadata endpoint",
            AddressClass::Unspecified => "the unspecified address (0.0.0.0/8, ::)",
            AddressClass::Multicast => "a multicast address",
            AddressClass::Broadcast => "the broadcast address",
            AddressClass::Reserved => "a reserved address (documentation, benchmarking or future use)",
        }
    }

    /// Whether `--allow-private-addresses` opens this class: the ranges internal deployments
    /// really use. Metadata, unspecified, multicast, broadcast and reserved addresses stay closed:
    /// no MCP deployment lives there and they are the classic SSRF targets.
    pub fn opened_by_opt_in(self) -> bool {
        matches!(
            self,
            AddressClass::Private | AddressClass::Cgnat | AddressClass::LinkLocal | AddressClass::UniqueLocal
        )
    }

    /// Whether the harness contacts this class without any opt-in.
    pub fn always_allowed(self) -> bool {
        matches!(self, AddressClass::Loopback | AddressClass::Public)
    }
}

/// Well-known metadata addresses, checked before the wider ranges they sit in.
const METADATA_V4: [Ipv4Addr; 4] = [
    Ipv4Addr::new(169, 254, 169, 254), // AWS, GCP, Azure, OpenStack, …
    Ipv4Addr::new(169, 254, 170, 2),   // AWS ECS task metadata
    Ipv4Addr::new(100, 100, 100, 200), // Alibaba Cloud
    Ipv4Addr::new(168, 63, 129, 16),   // Azure wire server (a public address otherwise)
];
const METADATA_V6: [Ipv6Addr; 1] = [Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254)]; // AWS IMDS over IPv6

/// Host names that serve instance metadata; a name is refused before it is ever resolved.
const METADATA_NAMES: [&str; 6] = [
    "metadata.google.internal",
    "metadata.goog",
    "metadata",
    "instance-data",
    "instance-data.ec2.internal",
    "metadata.azure.internal",
];

const V4: [(Ipv4Net, AddressClass); 16] = [
    (v4(0, 0, 0, 0, 8), AddressClass::Unspecified),
    (v4(10, 0, 0, 0, 8), AddressClass::Private),
    (v4(100, 64, 0, 0, 10), AddressClass::Cgnat),
    (v4(127, 0, 0, 0, 8), AddressClass::Loopback),
    (v4(169, 254, 0, 0, 16), AddressClass::LinkLocal),
    (v4(172, 16, 0, 0, 12), AddressClass::Private),
    (v4(192, 0, 0, 0, 24), AddressClass::Reserved),
    (v4(192, 0, 2, 0, 24), AddressClass::Reserved),
    (v4(192, 88, 99, 0, 24), AddressClass::Reserved),
    (v4(192, 168, 0, 0, 16), AddressClass::Private),
    (v4(198, 18, 0, 0, 15), AddressClass::Reserved),
    (v4(198, 51, 100, 0, 24), AddressClass::Reserved),
    (v4(203, 0, 113, 0, 24), AddressClass::Reserved),
    (v4(224, 0, 0, 0, 4), AddressClass::Multicast),
    (v4(255, 255, 255, 255, 32), AddressClass::Broadcast),
    (v4(240, 0, 0, 0, 4), AddressClass::Reserved),
];

const V6: [(Ipv6Net, AddressClass); 7] = [
    (v6([0, 0, 0, 0, 0, 0, 0, 0], 128), AddressClass::Unspecified),
    (v6([0, 0, 0, 0, 0, 0, 0, 1], 128), AddressClass::Loopback),
    (v6([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7), AddressClass::UniqueLocal),
    (v6([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10), AddressClass::LinkLocal),
    (v6([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10), AddressClass::UniqueLocal),
    (v6([0xff00, 0, 0, 0, 0, 0, 0, 0], 8), AddressClass::Multicast),
    (v6([0x2001, 0x0db8, 0, 0, 0, 0, 0, 0], 32), AddressClass::Reserved),
];

const fn v4(a: u8, b: u8, c: u8, d: u8, len: u8) -> Ipv4Net {
    Ipv4Net::new_assert(Ipv4Addr::new(a, b, c, d), len)
}

const fn v6(s: [u16; 8], len: u8) -> Ipv6Net {
    Ipv6Net::new_assert(Ipv6Addr::new(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]), len)
}

/// The class of an address.
pub fn classify(ip: IpAddr) -> AddressClass {
    match ip {
        IpAddr::V4(a) => classify_v4(a),
        IpAddr::V6(a) => classify_v6(a),
    }
}

fn classify_v4(a: Ipv4Addr) -> AddressClass {
    if METADATA_V4.contains(&a) {
        return AddressClass::CloudMetadata;
    }
    V4.iter().find(|(net, _)| net.contains(&a)).map(|(_, c)| *c).unwrap_or(AddressClass::Public)
}

fn classify_v6(a: Ipv6Addr) -> AddressClass {
    if METADATA_V6.contains(&a) {
        return AddressClass::CloudMetadata;
    }
    if let Some(c) = V6.iter().find(|(net, _)| net.contains(&a)).map(|(_, c)| *c) {
        return c;
    }
    match embedded_v4(a) {
        Some(v4) => classify_v4(v4),
        None => AddressClass::Public,
    }
}

/// The IPv4 address an IPv6 form carries and routes to: IPv4-mapped `::ffff:a.b.c.d`,
/// IPv4-compatible `::a.b.c.d` (deprecated but still parsed), NAT64 `64:ff9b::a.b.c.d`
/// (RFC 6052) and 6to4 `2002:AABB:CCDD::` (RFC 3056).
fn embedded_v4(a: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = a.segments();
    let low = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s {
        [0, 0, 0, 0, 0, 0xffff, _, _] | [0, 0, 0, 0, 0, 0, _, _] => Some(low),
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Some(low),
        [0x2002, hi, lo, ..] => Some(Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8)),
        _ => None,
    }
}

/// The class a host *name* has before resolution: `localhost` is loopback, the cloud metadata
/// names are metadata; other names are known only once resolved. (`*.localhost` is not taken on
/// trust: not every resolver keeps RFC 6761's promise, and the plain-http rule relies on this.)
pub fn classify_name(name: &str) -> Option<AddressClass> {
    let n = name.trim_end_matches('.').to_ascii_lowercase();
    if n == "localhost" {
        Some(AddressClass::Loopback)
    } else if METADATA_NAMES.contains(&n.as_str()) {
        Some(AddressClass::CloudMetadata)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::AddressClass::*;
    use super::*;

    fn c(s: &str) -> AddressClass {
        classify(s.parse().unwrap())
    }

    #[test]
    fn every_v4_class() {
        let cases = [
            ("127.0.0.1", Loopback),
            ("127.255.0.9", Loopback),
            ("8.8.8.8", Public),
            ("1.1.1.1", Public),
            ("172.15.255.255", Public),
            ("172.32.0.0", Public),
            ("100.63.255.255", Public),
            ("100.128.0.0", Public),
            ("10.1.2.3", Private),
            ("172.16.0.1", Private),
            ("172.31.255.254", Private),
            ("192.168.1.1", Private),
            ("100.64.0.1", Cgnat),
            ("100.127.255.254", Cgnat),
            ("169.254.1.1", LinkLocal),
            ("169.254.169.254", CloudMetadata),
            ("169.254.170.2", CloudMetadata),
            ("100.100.100.200", CloudMetadata),
            ("168.63.129.16", CloudMetadata),
            ("0.0.0.0", Unspecified),
            ("0.1.2.3", Unspecified),
            ("224.0.0.1", Multicast),
            ("239.255.255.250", Multicast),
            ("255.255.255.255", Broadcast),
            ("240.0.0.1", Reserved),
            ("192.0.2.10", Reserved),
            ("198.51.100.1", Reserved),
            ("203.0.113.5", Reserved),
            ("198.18.0.1", Reserved),
        ];
        for (ip, want) in cases {
            assert_eq!(c(ip), want, "{ip}");
        }
    }

    #[test]
    fn every_v6_class() {
        let cases = [
            ("::1", Loopback),
            ("::", Unspecified),
            ("2606:4700:4700::1111", Public),
            ("fc00::1", UniqueLocal),
            ("fd12:3456::1", UniqueLocal),
            ("fec0::1", UniqueLocal),
            ("fe80::1", LinkLocal),
            ("febf::1", LinkLocal),
            ("fd00:ec2::254", CloudMetadata),
            ("ff02::1", Multicast),
            ("2001:db8::1", Reserved),
        ];
        for (ip, want) in cases {
            assert_eq!(c(ip), want, "{ip}");
        }
    }

    #[test]
    fn ipv6_forms_of_ipv4_are_judged_by_the_ipv4_they_carry() {
        let cases = [
            ("::ffff:127.0.0.1", Loopback),
            ("::ffff:10.1.2.3", Private),
            ("::ffff:a01:203", Private),
            ("::ffff:169.254.169.254", CloudMetadata),
            ("::ffff:100.64.0.1", Cgnat),
            ("::ffff:0.0.0.0", Unspecified),
            ("::ffff:255.255.255.255", Broadcast),
            ("::ffff:224.0.0.1", Multicast),
            ("::ffff:8.8.8.8", Public),
            ("::10.1.2.3", Private),
            ("::169.254.169.254", CloudMetadata),
            ("64:ff9b::10.1.2.3", Private),
            ("64:ff9b::a9fe:a9fe", CloudMetadata),
            ("64:ff9b::8.8.8.8", Public),
            ("2002:a01:203::1", Private),
            ("2002:a9fe:a9fe::", CloudMetadata),
            ("2002:808:808::1", Public),
        ];
        for (ip, want) in cases {
            assert_eq!(c(ip), want, "{ip}");
        }
    }

    #[test]
    fn names() {
        assert_eq!(classify_name("localhost"), Some(Loopback));
        assert_eq!(classify_name("LOCALHOST."), Some(Loopback));
        assert_eq!(classify_name("a.localhost"), None);
        assert_eq!(classify_name("metadata.google.internal"), Some(CloudMetadata));
        assert_eq!(classify_name("Metadata.Google.Internal."), Some(CloudMetadata));
        assert_eq!(classify_name("metadata"), Some(CloudMetadata));
        assert_eq!(classify_name("example.com"), None);
        assert_eq!(classify_name("notlocalhost"), None);
    }

    #[test]
    fn opt_in_opens_only_the_internal_ranges() {
        for class in [Private, Cgnat, LinkLocal, UniqueLocal] {
            assert!(class.opened_by_opt_in(), "{class:?}");
        }
        for class in [CloudMetadata, Unspecified, Multicast, Broadcast, Reserved, Loopback, Public] {
            assert!(!class.opened_by_opt_in(), "{class:?}");
        }
    }
}
