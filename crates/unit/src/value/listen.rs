//! Socket addresses of `ListenStream=`, `ListenDatagram=`,
//! `ListenSequentialPacket=` and `ListenNetlink=` (`systemd.socket(5)`,
//! "[Socket] SECTION OPTIONS"), read like systemd 252's
//! `socket_address_parse()` and `socket_address_parse_netlink()`.
//!
//! Shapes, tried in this order:
//!
//! | text                   | meaning                                          |
//! |------------------------|--------------------------------------------------|
//! | `/run/foo.sock`        | file-system `AF_UNIX` socket, < 108 bytes        |
//! | `@name`                | abstract `AF_UNIX` socket                        |
//! | `vsock:CID:PORT`       | `AF_VSOCK`; an empty CID means any               |
//! | `80`                   | port 1…65535 on all addresses (IPv6 `[::]` and IPv4) |
//! | `1.2.3.4:80`           | IPv4 address and port                            |
//! | `[::1]:80`, `[fe80::1]:80%eth0` | IPv6 address, port, optional interface  |
//! | `route 1`              | netlink family (name or number) and group        |
//!
//! Numbers go through C's `strtoul()` rules (`+80` and `0x50` are port 80,
//! `080` is invalid octal). An address without a port, `localhost:80` or
//! a bare IPv6 address is refused. The unix path is taken as written (no
//! normalization), which is what systemd does for sockets.
//!
//! Main type: [`ListenAddress`].

use std::net::{Ipv4Addr, Ipv6Addr};

use super::error::ValueError;
use super::number::{safe_atou16, safe_atou32, AtoError};
use super::words::{ExtractFlags, Words, WHITESPACE};

/// `sizeof(sockaddr_un.sun_path)`.
pub const UNIX_PATH_MAX: usize = 108;

/// Netlink families by protocol number (`netlink_family_table`).
pub const NETLINK_FAMILIES: [(&str, u32); 20] = [
    ("route", 0),
    ("firewall", 3),
    ("inet-diag", 4),
    ("nflog", 5),
    ("xfrm", 6),
    ("selinux", 7),
    ("iscsi", 8),
    ("audit", 9),
    ("fib-lookup", 10),
    ("connector", 11),
    ("netfilter", 12),
    ("ip6-fw", 13),
    ("dnrtmsg", 14),
    ("kobject-uevent", 15),
    ("generic", 16),
    ("scsitransport", 18),
    ("ecryptfs", 19),
    ("rdma", 20),
    ("crypto", 21),
    ("smc", 22),
];

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ListenAddress {
    /// A port on every address: `[::]:port` where IPv6 works, else
    /// `0.0.0.0:port`.
    Port(u16),
    Inet { addr: Ipv4Addr, port: u16 },
    Inet6 { addr: Ipv6Addr, port: u16, interface: Option<String> },
    /// A file-system socket path.
    Path(String),
    /// An abstract socket name, without the leading `@`.
    Abstract(String),
    /// `vsock:CID:PORT`; `None` is `VMADDR_CID_ANY`.
    Vsock { cid: Option<u32>, port: u32 },
    /// A netlink family (protocol number) and multicast group.
    Netlink { family: u32, group: u32 },
}

fn err(s: &str) -> ValueError {
    ValueError::Listen(s.to_string())
}

/// `parse_ip_port()`: 1…65535.
fn ip_port(s: &str) -> Result<u16, AtoError> {
    match safe_atou16(s)? {
        0 => Err(AtoError::Invalid),
        p => Ok(p),
    }
}

/// `ifname_valid_full(IFNAME_VALID_ALTERNATIVE | IFNAME_VALID_NUMERIC)`,
/// without looking up whether the interface exists.
fn ifname_valid(s: &str) -> bool {
    !s.is_empty()
        && s.len() < 128
        && s != "."
        && s != ".."
        && s.bytes().all(|b| b > b' ' && b < 0x7f && b != b'/' && b != b':' && b != b'%')
}

/// `socket_address_parse()`: everything but netlink.
pub fn parse_socket_address(s: &str) -> Result<ListenAddress, ValueError> {
    if s.starts_with('/') || s.starts_with('@') {
        if s.len() < 2 || s.len() >= UNIX_PATH_MAX {
            return Err(err(s));
        }
        return Ok(match s.strip_prefix('@') {
            Some(name) => ListenAddress::Abstract(name.to_string()),
            None => ListenAddress::Path(s.to_string()),
        });
    }
    if let Some(rest) = s.strip_prefix("vsock:") {
        let (cid, port) = rest.split_once(':').ok_or_else(|| err(s))?;
        let port = safe_atou32(port).map_err(|_| err(s))?;
        let cid = if cid.is_empty() { None } else { Some(safe_atou32(cid).map_err(|_| err(s))?) };
        return Ok(ListenAddress::Vsock { cid, port });
    }
    match ip_port(s) {
        Ok(p) => return Ok(ListenAddress::Port(p)),
        Err(AtoError::Range) => return Err(err(s)),
        Err(AtoError::Invalid) => {}
    }
    if s.contains('#') {
        return Err(err(s));
    }
    let (s_addr, interface) = match s.split_once('%') {
        Some((a, ifname)) => {
            if !ifname_valid(ifname) {
                return Err(err(s));
            }
            (a, Some(ifname.to_string()))
        }
        None => (s, None),
    };
    let Some(colon) = s_addr.rfind(':') else {
        // An address without a port.
        return Err(err(s));
    };
    if s_addr.starts_with('[') {
        // `[addr]:port`: the last colon must follow the closing bracket.
        let Some(addr) = s_addr[..colon].strip_prefix('[').and_then(|a| a.strip_suffix(']')) else {
            return Err(err(s));
        };
        let port = ip_port(&s_addr[colon + 1..]).map_err(|_| err(s))?;
        let addr: Ipv6Addr = addr.parse().map_err(|_| err(s))?;
        return Ok(ListenAddress::Inet6 { addr, port, interface });
    }
    if s_addr.parse::<Ipv6Addr>().is_ok() {
        // A bare IPv6 address: no port, no go.
        return Err(err(s));
    }
    let addr: Ipv4Addr = s_addr[..colon].parse().map_err(|_| err(s))?;
    let port = ip_port(&s_addr[colon + 1..]).map_err(|_| err(s))?;
    // An interface suffix is accepted but means nothing for IPv4.
    Ok(ListenAddress::Inet { addr, port })
}

/// `socket_address_parse_netlink()`: `FAMILY [GROUP]`, the family by name
/// or number.
pub fn parse_netlink(s: &str) -> Result<ListenAddress, ValueError> {
    let mut words = Words::new(s, WHITESPACE, ExtractFlags::NONE);
    let family = words.next_word().ok().flatten().ok_or_else(|| err(s))?;
    let family = match NETLINK_FAMILIES.iter().find(|(n, _)| *n == family) {
        Some(&(_, n)) => n,
        None => safe_atou32(&family).ok().filter(|&n| n <= i32::MAX as u32).ok_or_else(|| err(s))?,
    };
    let group = match words.rest() {
        Some(rest) if !rest.is_empty() => safe_atou32(rest).map_err(|_| err(s))?,
        _ => 0,
    };
    Ok(ListenAddress::Netlink { family, group })
}

/// The generic `Listen*=` parser: a socket address, else a netlink
/// specification. `ListenNetlink=9` is ambiguous with port 9 here; callers
/// that know the directive should use [`parse_netlink`] directly.
pub fn parse_listen(s: &str) -> Result<ListenAddress, ValueError> {
    parse_socket_address(s).or_else(|e| parse_netlink(s).map_err(|_| e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> ListenAddress {
        parse_listen(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn ports() {
        assert_eq!(ok("80"), ListenAddress::Port(80));
        assert_eq!(ok("+80"), ListenAddress::Port(80));
        assert_eq!(ok("65535"), ListenAddress::Port(65535));
        for s in ["0", "65536", "080", "-1"] {
            assert_eq!(parse_socket_address(s), Err(ValueError::Listen(s.into())), "{s}");
        }
    }

    #[test]
    fn inet() {
        assert_eq!(ok("1.2.3.4:80"), ListenAddress::Inet { addr: Ipv4Addr::new(1, 2, 3, 4), port: 80 });
        assert_eq!(ok("1.2.3.4:0x50"), ListenAddress::Inet { addr: Ipv4Addr::new(1, 2, 3, 4), port: 80 });
        assert_eq!(
            ok("[::1]:80"),
            ListenAddress::Inet6 { addr: Ipv6Addr::LOCALHOST, port: 80, interface: None }
        );
        assert_eq!(
            ok("[fe80::1]:80%eth0"),
            ListenAddress::Inet6 { addr: "fe80::1".parse().unwrap(), port: 80, interface: Some("eth0".into()) }
        );
        for s in ["::1", "1.2.3.4", "localhost:80", "1.2.3.4:0", "01.2.3.4:80", "[1.2.3.4]:80", "1.2.3.4:80#x", "[::1]80", "[::1]:80%"] {
            assert!(parse_socket_address(s).is_err(), "{s}");
        }
    }

    #[test]
    fn unix_and_vsock() {
        assert_eq!(ok("/run/x.sock"), ListenAddress::Path("/run/x.sock".into()));
        assert_eq!(ok("//a//b/"), ListenAddress::Path("//a//b/".into()), "taken as written");
        assert_eq!(ok("@abs"), ListenAddress::Abstract("abs".into()));
        assert!(parse_socket_address("@").is_err());
        assert!(parse_socket_address("/").is_err());
        assert!(parse_socket_address(&format!("/{}", "a".repeat(106))).is_ok());
        assert!(parse_socket_address(&format!("/{}", "a".repeat(107))).is_err());
        assert_eq!(ok("vsock:2:1234"), ListenAddress::Vsock { cid: Some(2), port: 1234 });
        assert_eq!(ok("vsock::1234"), ListenAddress::Vsock { cid: None, port: 1234 });
        for s in ["vsock:x:1", "vsock:2:", "vsock:2", "vsock-stream:2:1", "rel/path"] {
            assert!(parse_socket_address(s).is_err(), "{s}");
        }
    }

    #[test]
    fn netlink() {
        assert_eq!(ok("kobject-uevent 1"), ListenAddress::Netlink { family: 15, group: 1 });
        assert_eq!(ok("route"), ListenAddress::Netlink { family: 0, group: 0 });
        assert_eq!(ok("9 1"), ListenAddress::Netlink { family: 9, group: 1 });
        assert_eq!(parse_netlink("9"), Ok(ListenAddress::Netlink { family: 9, group: 0 }));
        for s in ["bogus 1", "route x", ""] {
            assert!(parse_listen(s).is_err(), "{s:?}");
        }
    }
}
