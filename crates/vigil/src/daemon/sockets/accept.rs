//! `Accept=yes`: naming the per-connection service instance and the facts
//! handed to it (`systemd.socket(5)`, "Accept=").
//!
//! The instance is `PREFIX@INSTANCE.service`, PREFIX the socket unit's
//! name without `.socket`, INSTANCE built as systemd 252's
//! `instance_from_socket()` builds it from the connection (N is the
//! socket's count of connections accepted before this one, from 0):
//!
//! | family                         | INSTANCE                               |
//! |--------------------------------|----------------------------------------|
//! | IPv4                           | `N-LOCALIP:PORT-REMOTEIP:PORT`         |
//! | IPv6, both ends IPv4-mapped    | the IPv4 form                          |
//! | IPv6                           | `N-LOCALIP6:PORT-REMOTEIP6:PORT` (no brackets) |
//! | unix                           | `N-PID-UID` of the peer (`SO_PEERCRED`), `N-unknown` without |
//! | vsock                          | `N-LOCALCID:PORT-REMOTECID:PORT`       |
//!
//! The service gets the connection as its only socket (`LISTEN_FDS=1`,
//! `LISTEN_FDNAMES=connection`), or on standard input/output with
//! `StandardInput=socket`; and `REMOTE_ADDR`/`REMOTE_PORT` for IP and vsock
//! peers (`REMOTE_ADDR` with IPv4-mapped addresses shown as IPv4, as CGI
//! expects).
//!
//! Main types: [`Connection`], [`Peer`].

use std::io;
use std::net::IpAddr;
use std::os::fd::{AsRawFd, OwnedFd};

use super::sys::{self, ip_text};

/// Who is on the other end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Peer {
    Ip { addr: IpAddr, port: u16 },
    Vsock { cid: u32, port: u32 },
    Unix { pid: Option<i32>, uid: Option<u32> },
}

impl Peer {
    /// The source `MaxConnectionsPerSource=` counts by: the IP address
    /// (IPv4-mapped ones as IPv4) or the vsock CID; unix peers are not
    /// counted, as in systemd.
    pub fn source(&self) -> Option<String> {
        match self {
            Peer::Ip { addr, .. } => Some(ip_text(*addr)),
            Peer::Vsock { cid, .. } => Some(format!("vsock:{cid}")),
            Peer::Unix { .. } => None,
        }
    }

    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            Peer::Ip { addr, .. } => Some(*addr),
            _ => None,
        }
    }

    /// `REMOTE_ADDR`/`REMOTE_PORT`.
    pub fn env(&self) -> Vec<(String, String)> {
        match self {
            Peer::Ip { addr, port } => vec![("REMOTE_ADDR".into(), ip_text(*addr)), ("REMOTE_PORT".into(), port.to_string())],
            Peer::Vsock { cid, port } => vec![("REMOTE_ADDR".into(), format!("vsock:{cid}")), ("REMOTE_PORT".into(), port.to_string())],
            Peer::Unix { .. } => Vec::new(),
        }
    }
}

/// An accepted connection on its way to (or held for) its instance.
#[derive(Debug)]
pub struct Connection {
    /// `None` once the instance's processes have their copies and no
    /// later command can need it (`Manager::connection_spawned`).
    pub fd: Option<OwnedFd>,
    pub peer: Peer,
    /// `foo@0-127.0.0.1:80-127.0.0.1:51234.service`.
    pub instance: String,
    /// The socket unit that accepted it.
    pub socket: String,
}

/// The peer of a fresh connection, from the address `accept4(2)` returned
/// (`remote`; systemd asks `getpeername(2)` for it). `Err` means an
/// address of no family we serve. A connection reset before we look is
/// not noticed here, where `getpeername` would fail with `ENOTCONN` and
/// systemd drops it quietly: its instance starts and finds the connection
/// closed — as it does in systemd when the reset comes a moment later,
/// after the look; no outcome is new, only the window moves.
pub fn peer_of(fd: &OwnedFd, remote: &sys::SockAddr) -> io::Result<Peer> {
    Ok(match remote.family() {
        libc::AF_INET | libc::AF_INET6 => {
            let (addr, port) = remote.ip().ok_or_else(|| io::Error::from_raw_os_error(libc::EAFNOSUPPORT))?;
            Peer::Ip { addr, port }
        }
        libc::AF_VSOCK => {
            let (cid, port) = remote.vsock_parts().ok_or_else(|| io::Error::from_raw_os_error(libc::EAFNOSUPPORT))?;
            Peer::Vsock { cid, port }
        }
        _ => match sys::peer_cred(fd.as_raw_fd()) {
            Ok(c) => Peer::Unix { pid: Some(c.pid), uid: Some(c.uid) },
            Err(_) => Peer::Unix { pid: None, uid: None },
        },
    })
}

/// `instance_from_socket()`.
/// The local address (`getsockname(2)`) is asked for only where the name
/// shows it (IP and vsock), and not when the port's is `known` (every
/// connection of a TCP port bound to one address has it: `fixed_local`
/// in `sockets/mod.rs`).
pub fn instance_name(fd: &OwnedFd, nr: u64, peer: &Peer, known: Option<(IpAddr, u16)>) -> io::Result<String> {
    let local = || sys::local_addr(fd.as_raw_fd());
    Ok(match peer {
        Peer::Ip { addr: raddr, port: rport } => {
            let (laddr, lport) = match known {
                Some(l) => l,
                None => local()?.ip().ok_or_else(|| io::Error::from_raw_os_error(libc::EAFNOSUPPORT))?,
            };
            let mapped = |a: &IpAddr| match a {
                IpAddr::V4(_) => true,
                IpAddr::V6(v6) => v6.to_ipv4_mapped().is_some(),
            };
            // The IPv4 form only when both ends are IPv4 (or mapped).
            let text = |a: IpAddr| -> String {
                if mapped(&laddr) && mapped(raddr) {
                    ip_text(a)
                } else {
                    match a {
                        IpAddr::V4(v4) => sys::ipv4_text(v4),
                        IpAddr::V6(v6) => sys::ipv6_text(&v6),
                    }
                }
            };
            format!("{nr}-{}:{lport}-{}:{rport}", text(laddr), text(*raddr))
        }
        Peer::Vsock { cid, port } => {
            let (lcid, lport) = local()?.vsock_parts().unwrap_or((u32::MAX, 0));
            format!("{nr}-{lcid}:{lport}-{cid}:{port}")
        }
        Peer::Unix { pid: Some(pid), uid: Some(uid) } => format!("{nr}-{pid}-{uid}"),
        Peer::Unix { .. } => format!("{nr}-unknown"),
    })
}

/// The instance unit for a socket unit and an instance string.
pub fn instance_unit(socket: &str, instance: &str) -> String {
    let prefix = socket.strip_suffix(".socket").unwrap_or(socket);
    let mut s = String::with_capacity(prefix.len() + 1 + instance.len() + ".service".len());
    s.push_str(prefix);
    s.push('@');
    s.push_str(instance);
    s.push_str(".service");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixStream;

    #[test]
    fn tcp_names() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let lport = l.local_addr().unwrap().port();
        let c = std::net::TcpStream::connect(("127.0.0.1", lport)).unwrap();
        let rport = c.local_addr().unwrap().port();
        let (s, _) = l.accept().unwrap();
        let fd = OwnedFd::from(s);
        let peer = peer_of(&fd, &sys::peer_addr(fd.as_raw_fd()).unwrap()).unwrap();
        assert_eq!(instance_name(&fd, 7, &peer, None).unwrap(), format!("7-127.0.0.1:{lport}-127.0.0.1:{rport}"));
        assert_eq!(peer.env(), vec![("REMOTE_ADDR".into(), "127.0.0.1".into()), ("REMOTE_PORT".into(), rport.to_string())]);
        assert_eq!(peer.source().as_deref(), Some("127.0.0.1"));
    }

    /// A port bound to one address names its instances without asking
    /// each connection (`fixed_local`), and the same; a wildcard port asks.
    #[test]
    fn known_local_address_names_alike() {
        use super::super::fixed_local;
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let lport = l.local_addr().unwrap().port();
        let known = fixed_local(l.as_raw_fd(), false, None);
        assert_eq!(known, Some((IpAddr::from([127, 0, 0, 1]), lport)));
        assert_eq!(fixed_local(l.as_raw_fd(), true, None), None, "Transparent=yes");
        assert_eq!(fixed_local(l.as_raw_fd(), false, Some(libc::IPPROTO_SCTP)), None);
        let _c = std::net::TcpStream::connect(("127.0.0.1", lport)).unwrap();
        let (s, _) = l.accept().unwrap();
        let fd = OwnedFd::from(s);
        let peer = peer_of(&fd, &sys::peer_addr(fd.as_raw_fd()).unwrap()).unwrap();
        assert_eq!(instance_name(&fd, 4, &peer, known).unwrap(), instance_name(&fd, 4, &peer, None).unwrap());
        let any = std::net::TcpListener::bind("0.0.0.0:0").unwrap();
        assert_eq!(fixed_local(any.as_raw_fd(), false, None), None);
        if let Ok(any6) = std::net::TcpListener::bind("[::]:0") {
            assert_eq!(fixed_local(any6.as_raw_fd(), false, None), None);
        }
    }

    #[test]
    fn ipv6_and_mapped_names() {
        let l = std::net::TcpListener::bind("[::]:0").unwrap();
        let lport = l.local_addr().unwrap().port();
        let c = std::net::TcpStream::connect(("::1", lport)).unwrap();
        let rport = c.local_addr().unwrap().port();
        let (s, _) = l.accept().unwrap();
        let fd = OwnedFd::from(s);
        let peer = peer_of(&fd, &sys::peer_addr(fd.as_raw_fd()).unwrap()).unwrap();
        assert_eq!(instance_name(&fd, 0, &peer, None).unwrap(), format!("0-::1:{lport}-::1:{rport}"));
        if std::fs::read_to_string("/proc/sys/net/ipv6/bindv6only").unwrap_or_default().trim() == "0" {
            let c4 = std::net::TcpStream::connect(("127.0.0.1", lport)).unwrap();
            let rport4 = c4.local_addr().unwrap().port();
            let (s4, _) = l.accept().unwrap();
            let fd4 = OwnedFd::from(s4);
            let peer4 = peer_of(&fd4, &sys::peer_addr(fd4.as_raw_fd()).unwrap()).unwrap();
            assert_eq!(instance_name(&fd4, 1, &peer4, None).unwrap(), format!("1-127.0.0.1:{lport}-127.0.0.1:{rport4}"));
            assert_eq!(peer4.env()[0].1, "127.0.0.1");
        }
    }

    #[test]
    fn unix_names() {
        let (a, _b) = UnixStream::pair().unwrap();
        let fd = OwnedFd::from(a);
        let peer = peer_of(&fd, &sys::peer_addr(fd.as_raw_fd()).unwrap()).unwrap();
        let me = std::process::id();
        // SAFETY: getuid cannot fail.
        let uid = unsafe { libc::getuid() };
        assert_eq!(instance_name(&fd, 3, &peer, None).unwrap(), format!("3-{me}-{uid}"));
        assert!(peer.env().is_empty());
        assert_eq!(peer.source(), None);
        assert_eq!(instance_unit("echo.socket", "3-1-0"), "echo@3-1-0.service");
    }
}
