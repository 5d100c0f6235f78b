//! xinetd's `only_from` / `no_access`, as the xinetd generator carries
//! them in `X-Xinetd-OnlyFrom=` / `X-Xinetd-NoAccess=` of `[Socket]` (the
//! contract is in `unit::generator::xinetd`'s essay), enforced when a
//! connection is accepted or a datagram would activate the service.
//!
//! Patterns, as `xinetd.conf(5)` defines them:
//!
//! | pattern              | matches                                   | specificity |
//! |----------------------|-------------------------------------------|-------------|
//! | `10.1.2.3`           | that host                                 | 32          |
//! | `10.1.0.0`           | trailing `.0` parts are wildcards: 10.1/16 | 16          |
//! | `0.0.0.0`            | every IPv4 address                        | 0           |
//! | `10.1.{2,3}`         | factorized: 10.1.2/24 and 10.1.3/24       | 24          |
//! | `10.0.0.0/8`, `fe80::/10` | the range                            | prefix      |
//! | `::1`                | that IPv6 host                            | 128         |
//! | host, `.domain`, network name | — (needs DNS or `/etc/networks`)  | —           |
//!
//! IPv4-mapped IPv6 peers (`::ffff:10.1.2.3`, from a dual-stack socket)
//! are matched as the IPv4 address they carry.
//!
//! Decision (xinetd's `check_ipaddr()`): if only one list matches, it
//! decides; if both match, the more specific match wins, and a tie denies;
//! if neither matches, access is allowed only when there is no
//! `only_from` list. An `X-Xinetd-OnlyFrom=` that is present but empty
//! allows nobody. A pattern vigil cannot evaluate without name lookups
//! never grants access: in `only_from` it never matches, and in
//! `no_access` it makes every connection denied — we cannot tell whether
//! the peer is the host it names. Such patterns are reported once, when
//! the rules are read. Peers without an IP address (unix sockets) match
//! no pattern.
//!
//! Main type: [`XinetdAccess`].

use std::net::{IpAddr, Ipv6Addr};
use std::path::{Path, PathBuf};

use unit::config::UnitConfig;

/// One evaluable pattern: a network and its prefix length.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Pattern {
    V4 { net: u32, len: u8 },
    V6 { net: u128, len: u8 },
    /// Host names, `.domain` suffixes, network names, or anything
    /// malformed: kept only to say so.
    Unevaluable(String),
}

impl Pattern {
    /// The specificity of a match, `None` if `ip` is not matched.
    fn matches(&self, ip: IpAddr) -> Option<u8> {
        match (self, ip) {
            (Pattern::V4 { net, len }, IpAddr::V4(a)) => {
                let mask = if *len == 0 { 0 } else { u32::MAX << (32 - u32::from(*len)) };
                (u32::from(a) & mask == *net & mask).then_some(*len)
            }
            (Pattern::V6 { net, len }, IpAddr::V6(a)) => {
                let mask = if *len == 0 { 0 } else { u128::MAX << (128 - u32::from(*len)) };
                (u128::from(a) & mask == *net & mask).then_some(*len)
            }
            _ => None,
        }
    }
}

/// Parse one xinetd address pattern into the networks it stands for.
fn parse_pattern(p: &str) -> Vec<Pattern> {
    let bad = || vec![Pattern::Unevaluable(p.to_string())];
    if let Some((addr, len)) = p.split_once('/') {
        let Ok(len) = len.parse::<u8>() else { return bad() };
        return match addr.parse::<IpAddr>() {
            Ok(IpAddr::V4(a)) if len <= 32 => vec![Pattern::V4 { net: u32::from(a), len }],
            Ok(IpAddr::V6(a)) if len <= 128 => vec![Pattern::V6 { net: u128::from(a), len }],
            _ => bad(),
        };
    }
    if let Ok(a) = p.parse::<Ipv6Addr>() {
        return vec![Pattern::V6 { net: u128::from(a), len: 128 }];
    }
    if let Some(open) = p.find('{') {
        // `a.b.{c,d}`: the factorized part must come last.
        let Some(inner) = p[open..].strip_prefix('{').and_then(|r| r.strip_suffix('}')) else { return bad() };
        let head = &p[..open];
        let Some(head) = head.strip_suffix('.') else { return bad() };
        let mut out = Vec::new();
        for part in inner.split(',') {
            match parse_v4_parts(&format!("{head}.{}", part.trim())) {
                Some((net, n)) if (1..=4).contains(&n) => out.push(Pattern::V4 { net, len: 8 * n }),
                _ => return bad(),
            }
        }
        return if out.is_empty() { bad() } else { out };
    }
    match parse_v4_parts(p) {
        Some((net, 4)) => {
            // Trailing zero parts are wildcards: 10.1.0.0 is 10.1/16.
            let zeros = (0..4).take_while(|i| (net >> (8 * i)) & 0xff == 0).count() as u8;
            vec![Pattern::V4 { net, len: 32 - 8 * zeros }]
        }
        _ => bad(),
    }
}

/// `a.b.c.d` with 1…4 decimal parts: the address (missing parts zero)
/// and the number of parts given.
fn parse_v4_parts(s: &str) -> Option<(u32, u8)> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let mut net = 0u32;
    for (i, part) in parts.iter().enumerate() {
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let v: u8 = part.parse().ok()?;
        net |= u32::from(v) << (8 * (3 - i));
    }
    Some((net, parts.len() as u8))
}

/// One list (`only_from` or `no_access`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct List {
    patterns: Vec<Pattern>,
}

impl List {
    fn parse(value: &str) -> List {
        List { patterns: value.split_whitespace().flat_map(parse_pattern).collect() }
    }

    /// The most specific match.
    fn best(&self, ip: IpAddr) -> Option<u8> {
        self.patterns.iter().filter_map(|p| p.matches(ip)).max()
    }

    fn unevaluable(&self) -> impl Iterator<Item = &str> {
        self.patterns.iter().filter_map(|p| match p {
            Pattern::Unevaluable(s) => Some(s.as_str()),
            _ => None,
        })
    }
}

/// The access rules of one socket unit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct XinetdAccess {
    only_from: Option<List>,
    no_access: Option<List>,
}

/// Why a peer was refused, for the log line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Denied {
    /// Not in `only_from`, or in `no_access` (more specifically).
    NotAllowed,
    /// `no_access` holds a pattern that cannot be evaluated.
    Unevaluable,
}

impl XinetdAccess {
    /// Rules from the two keys' values (`None`: key absent).
    pub fn new(only_from: Option<&str>, no_access: Option<&str>) -> Option<XinetdAccess> {
        if only_from.is_none() && no_access.is_none() {
            return None;
        }
        Some(XinetdAccess { only_from: only_from.map(List::parse), no_access: no_access.map(List::parse) })
    }

    /// Read the keys from the unit's files (the loader keeps `X-` keys
    /// out of the settings). The last assignment wins, drop-ins after the
    /// fragment; `%%` is the generator's escape of `%`.
    pub fn from_unit(cfg: &UnitConfig, root: &Path) -> Option<XinetdAccess> {
        let mut only_from: Option<String> = None;
        let mut no_access: Option<String> = None;
        let files = cfg.fragment.as_deref().into_iter().chain(cfg.dropin_paths.iter().map(PathBuf::as_path));
        for f in files {
            let host = unit::paths::in_root(root, f);
            let Ok(text) = std::fs::read_to_string(&host) else { continue };
            let parsed = unit::syntax::parse(f, &text, unit::syntax::Sections::Any);
            for section in parsed.sections.iter().filter(|s| s.name == "Socket") {
                for e in &section.entries {
                    let value = e.value.replace("%%", "%");
                    match e.key.as_str() {
                        "X-Xinetd-OnlyFrom" => only_from = Some(value),
                        "X-Xinetd-NoAccess" => no_access = Some(value),
                        _ => {}
                    }
                }
            }
        }
        XinetdAccess::new(only_from.as_deref(), no_access.as_deref())
    }

    /// Log lines for patterns that cannot be evaluated.
    pub fn notes(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(l) = &self.only_from {
            for p in l.unevaluable() {
                out.push(format!("X-Xinetd-OnlyFrom={p}: cannot evaluate (host and network names need name lookups), never matches"));
            }
        }
        if let Some(l) = &self.no_access {
            for p in l.unevaluable() {
                out.push(format!("X-Xinetd-NoAccess={p}: cannot evaluate (host and network names need name lookups), every connection is denied"));
            }
        }
        out
    }

    /// Decide for a peer (`None`: no IP address, e.g. a unix socket).
    pub fn check(&self, peer: Option<IpAddr>) -> Result<(), Denied> {
        if self.no_access.as_ref().is_some_and(|l| l.unevaluable().next().is_some()) {
            return Err(Denied::Unevaluable);
        }
        let ip = peer.map(super::sys::unmap);
        let only = ip.and_then(|ip| self.only_from.as_ref().and_then(|l| l.best(ip)));
        let no = ip.and_then(|ip| self.no_access.as_ref().and_then(|l| l.best(ip)));
        match (only, no) {
            (Some(o), Some(n)) if o > n => Ok(()),
            (Some(_), Some(_)) | (None, Some(_)) => Err(Denied::NotAllowed),
            (Some(_), None) => Ok(()),
            (None, None) if self.only_from.is_none() => Ok(()),
            (None, None) => Err(Denied::NotAllowed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    fn rules(only: Option<&str>, no: Option<&str>) -> XinetdAccess {
        XinetdAccess::new(only, no).unwrap()
    }

    #[test]
    fn ipv4_forms() {
        let r = rules(Some("127.0.0.1 10.1.0.0 192.168.{1,2} 172.16.0.0/12"), None);
        assert_eq!(r.check(ip("127.0.0.1")), Ok(()));
        assert_eq!(r.check(ip("127.0.0.2")), Err(Denied::NotAllowed));
        assert_eq!(r.check(ip("10.1.200.3")), Ok(()), "trailing .0 parts are wildcards");
        assert_eq!(r.check(ip("10.2.0.1")), Err(Denied::NotAllowed));
        assert_eq!(r.check(ip("192.168.2.9")), Ok(()), "factorized");
        assert_eq!(r.check(ip("192.168.3.9")), Err(Denied::NotAllowed));
        assert_eq!(r.check(ip("172.31.255.255")), Ok(()), "CIDR");
        assert_eq!(r.check(ip("172.32.0.0")), Err(Denied::NotAllowed));
        assert_eq!(r.check(ip("::ffff:127.0.0.1")), Ok(()), "mapped IPv6 peers match IPv4 patterns");
        assert_eq!(r.check(ip("::1")), Err(Denied::NotAllowed));
        assert_eq!(r.check(None), Err(Denied::NotAllowed));
    }

    #[test]
    fn zero_network_matches_all_ipv4_only() {
        let r = rules(Some("0.0.0.0"), None);
        assert_eq!(r.check(ip("8.8.8.8")), Ok(()));
        assert_eq!(r.check(ip("2001:db8::1")), Err(Denied::NotAllowed));
    }

    #[test]
    fn ipv6_forms() {
        let r = rules(Some("::1 2001:db8::/32"), None);
        assert_eq!(r.check(ip("::1")), Ok(()));
        assert_eq!(r.check(ip("2001:db8:1::5")), Ok(()));
        assert_eq!(r.check(ip("2001:db9::5")), Err(Denied::NotAllowed));
    }

    #[test]
    fn more_specific_wins_and_ties_deny() {
        let r = rules(Some("10.0.0.0"), Some("10.1.0.0"));
        assert_eq!(r.check(ip("10.2.3.4")), Ok(()));
        assert_eq!(r.check(ip("10.1.3.4")), Err(Denied::NotAllowed));
        let r = rules(Some("10.1.2.3"), Some("10.1.0.0"));
        assert_eq!(r.check(ip("10.1.2.3")), Ok(()), "host beats network");
        let r = rules(Some("10.1.0.0"), Some("10.1.0.0/16"));
        assert_eq!(r.check(ip("10.1.2.3")), Err(Denied::NotAllowed), "tie denies");
        let r = rules(None, Some("10.1.0.0"));
        assert_eq!(r.check(ip("10.1.2.3")), Err(Denied::NotAllowed));
        assert_eq!(r.check(ip("10.2.2.3")), Ok(()), "no only_from: everything else allowed");
    }

    #[test]
    fn empty_only_from_allows_nobody() {
        let r = rules(Some(""), None);
        assert_eq!(r.check(ip("127.0.0.1")), Err(Denied::NotAllowed));
        assert!(XinetdAccess::new(None, None).is_none());
    }

    #[test]
    fn names_never_grant_access() {
        let r = rules(Some("localhost .example.com 127.0.0.1"), None);
        assert_eq!(r.check(ip("127.0.0.1")), Ok(()));
        assert_eq!(r.check(ip("10.0.0.1")), Err(Denied::NotAllowed));
        assert_eq!(r.notes().len(), 2);
        let r = rules(None, Some("badhost.example.com"));
        assert_eq!(r.check(ip("127.0.0.1")), Err(Denied::Unevaluable));
        for bad in ["1.2.3.4/33", "1.2.{3", "300.1.1.1", "1.2.3.4.5", "{1,2}"] {
            assert!(matches!(parse_pattern(bad).as_slice(), [Pattern::Unevaluable(_)]), "{bad}");
        }
    }
}
