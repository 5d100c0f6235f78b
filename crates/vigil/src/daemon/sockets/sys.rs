//! Checked wrappers over the socket system calls of the socket runtime:
//! address structures built from [`ListenAddress`], `setsockopt(2)` with
//! integer values, `accept4(2)`, peer addresses and credentials, and the
//! address texts systemd prints (`inet_ntop(3)`, so `::1.2.3.4` stays as
//! glibc writes it).
//!
//! Every descriptor created here is `O_CLOEXEC` and non-blocking, so a
//! forked service never inherits one it was not given, and nothing the
//! manager does on it can block the event loop.

use std::ffi::CString;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

use unit::value::ListenAddress;

/// `strerror(3)` of an error, without Rust's "(os error N)" tail, as
/// systemd's `%m` prints it.
pub fn errno_text(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(n) => nix::errno::Errno::from_raw(n).desc().to_string(),
        None => e.to_string(),
    }
}

fn check(r: libc::c_int) -> io::Result<libc::c_int> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// `socket(2)` with `SOCK_CLOEXEC | SOCK_NONBLOCK`.
pub fn socket(domain: i32, ty: i32, protocol: i32) -> io::Result<OwnedFd> {
    // SAFETY: socket(2) with integer arguments; the result is owned here.
    let fd = check(unsafe { libc::socket(domain, ty | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK, protocol) })?;
    // SAFETY: fd was just created and is not owned elsewhere.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// `setsockopt(2)` with an `int` value.
pub fn set_int(fd: RawFd, level: i32, name: i32, value: i32) -> io::Result<()> {
    // SAFETY: the option value is a live local int of the given size.
    check(unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (&value as *const i32).cast(),
            std::mem::size_of::<i32>() as libc::socklen_t,
        )
    })
    .map(|_| ())
}

/// `setsockopt(2)` with a byte-string value (`SO_BINDTODEVICE`,
/// `TCP_CONGESTION`), NUL included as systemd passes it.
pub fn set_bytes(fd: RawFd, level: i32, name: i32, value: &str) -> io::Result<()> {
    let c = CString::new(value).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    let bytes = c.as_bytes_with_nul();
    // SAFETY: pointer and length describe the live CString buffer.
    check(unsafe { libc::setsockopt(fd, level, name, bytes.as_ptr().cast(), bytes.len() as libc::socklen_t) })
        .map(|_| ())
}

/// A socket address in kernel form.
#[derive(Clone, Copy)]
pub struct SockAddr {
    pub storage: libc::sockaddr_storage,
    pub len: libc::socklen_t,
}

impl SockAddr {
    fn empty() -> SockAddr {
        // SAFETY: sockaddr_storage is plain data; all-zero is valid.
        SockAddr { storage: unsafe { std::mem::zeroed() }, len: std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t }
    }

    pub fn family(&self) -> i32 {
        i32::from(self.storage.ss_family)
    }

    fn write<T>(value: T) -> SockAddr {
        let mut a = SockAddr::empty();
        // SAFETY: every sockaddr_* type fits in sockaddr_storage, which is
        // suitably aligned for all of them.
        unsafe { std::ptr::write((&mut a.storage as *mut libc::sockaddr_storage).cast::<T>(), value) };
        a.len = std::mem::size_of::<T>() as libc::socklen_t;
        a
    }

    pub fn v4(addr: Ipv4Addr, port: u16) -> SockAddr {
        let sin = libc::sockaddr_in {
            sin_family: libc::AF_INET as libc::sa_family_t,
            sin_port: port.to_be(),
            sin_addr: libc::in_addr { s_addr: u32::from(addr).to_be() },
            sin_zero: [0; 8],
        };
        SockAddr::write(sin)
    }

    pub fn v6(addr: Ipv6Addr, port: u16, scope: u32) -> SockAddr {
        let sin6 = libc::sockaddr_in6 {
            sin6_family: libc::AF_INET6 as libc::sa_family_t,
            sin6_port: port.to_be(),
            sin6_flowinfo: 0,
            sin6_addr: libc::in6_addr { s6_addr: addr.octets() },
            sin6_scope_id: scope,
        };
        SockAddr::write(sin6)
    }

    /// A file-system (`abstract == false`) or abstract `AF_UNIX` address.
    /// Abstract names are not NUL-terminated: the length says where they
    /// end, as systemd computes it.
    pub fn unix(name: &str, is_abstract: bool) -> io::Result<SockAddr> {
        // SAFETY: sockaddr_un is plain data; all-zero is valid.
        let mut sun: libc::sockaddr_un = unsafe { std::mem::zeroed() };
        sun.sun_family = libc::AF_UNIX as libc::sa_family_t;
        let bytes = name.as_bytes();
        let offset = usize::from(is_abstract);
        // File-system paths need room for their NUL.
        if bytes.len() + offset + usize::from(!is_abstract) > sun.sun_path.len() || bytes.contains(&0) {
            return Err(io::Error::from_raw_os_error(libc::EINVAL));
        }
        for (i, b) in bytes.iter().enumerate() {
            sun.sun_path[i + offset] = *b as libc::c_char;
        }
        let base = std::mem::size_of::<libc::sa_family_t>();
        let mut a = SockAddr::write(sun);
        a.len = if is_abstract { base + 1 + bytes.len() } else { base + bytes.len() + 1 } as libc::socklen_t;
        Ok(a)
    }

    pub fn netlink(family_group: u32) -> SockAddr {
        // SAFETY: sockaddr_nl is plain data; all-zero is valid.
        let mut nl: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
        nl.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        nl.nl_groups = family_group;
        SockAddr::write(nl)
    }

    pub fn vsock(cid: u32, port: u32) -> SockAddr {
        // SAFETY: sockaddr_vm is plain data; all-zero is valid.
        let mut vm: libc::sockaddr_vm = unsafe { std::mem::zeroed() };
        vm.svm_family = libc::AF_VSOCK as libc::sa_family_t;
        vm.svm_cid = cid;
        vm.svm_port = port;
        SockAddr::write(vm)
    }

    /// Build the kernel address of a parsed `Listen…=` address.
    /// `ListenAddress::Port` is the IPv6 any-address here; the caller
    /// falls back to IPv4 when IPv6 is unavailable.
    pub fn from_listen(addr: &ListenAddress) -> io::Result<SockAddr> {
        match addr {
            ListenAddress::Port(p) => Ok(SockAddr::v6(Ipv6Addr::UNSPECIFIED, *p, 0)),
            ListenAddress::Inet { addr, port } => Ok(SockAddr::v4(*addr, *port)),
            ListenAddress::Inet6 { addr, port, interface } => {
                let scope = match interface {
                    None => 0,
                    Some(i) => {
                        let c = CString::new(i.as_str()).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
                        // SAFETY: if_nametoindex on a NUL-terminated string.
                        match unsafe { libc::if_nametoindex(c.as_ptr()) } {
                            0 => return Err(io::Error::from_raw_os_error(libc::ENODEV)),
                            n => n,
                        }
                    }
                };
                Ok(SockAddr::v6(*addr, *port, scope))
            }
            ListenAddress::Path(p) => SockAddr::unix(p, false),
            ListenAddress::Abstract(n) => SockAddr::unix(n, true),
            ListenAddress::Vsock { cid, port } => Ok(SockAddr::vsock(cid.unwrap_or(u32::MAX), *port)),
            ListenAddress::Netlink { group, .. } => Ok(SockAddr::netlink(*group)),
        }
    }

    fn as_ptr(&self) -> *const libc::sockaddr {
        (&self.storage as *const libc::sockaddr_storage).cast()
    }

    /// The IP address and port, for `AF_INET`/`AF_INET6`.
    pub fn ip(&self) -> Option<(IpAddr, u16)> {
        match self.family() {
            libc::AF_INET => {
                // SAFETY: the family says the storage holds a sockaddr_in.
                let sin = unsafe { &*(self.as_ptr().cast::<libc::sockaddr_in>()) };
                Some((IpAddr::V4(Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr))), u16::from_be(sin.sin_port)))
            }
            libc::AF_INET6 => {
                // SAFETY: the family says the storage holds a sockaddr_in6.
                let sin6 = unsafe { &*(self.as_ptr().cast::<libc::sockaddr_in6>()) };
                Some((IpAddr::V6(Ipv6Addr::from(sin6.sin6_addr.s6_addr)), u16::from_be(sin6.sin6_port)))
            }
            _ => None,
        }
    }

    /// `(cid, port)` for `AF_VSOCK`.
    pub fn vsock_parts(&self) -> Option<(u32, u32)> {
        (self.family() == libc::AF_VSOCK).then(|| {
            // SAFETY: the family says the storage holds a sockaddr_vm.
            let vm = unsafe { &*(self.as_ptr().cast::<libc::sockaddr_vm>()) };
            (vm.svm_cid, vm.svm_port)
        })
    }
}

pub fn bind(fd: RawFd, addr: &SockAddr) -> io::Result<()> {
    // SAFETY: the address pointer and length describe `addr`.
    check(unsafe { libc::bind(fd, addr.as_ptr(), addr.len) }).map(|_| ())
}

pub fn listen(fd: RawFd, backlog: i32) -> io::Result<()> {
    // SAFETY: listen(2) with integer arguments.
    check(unsafe { libc::listen(fd, backlog) }).map(|_| ())
}

fn name_of(fd: RawFd, peer: bool) -> io::Result<SockAddr> {
    let mut a = SockAddr::empty();
    let ptr = (&mut a.storage as *mut libc::sockaddr_storage).cast::<libc::sockaddr>();
    // SAFETY: the buffer is a sockaddr_storage and len its size.
    let r = unsafe {
        if peer {
            libc::getpeername(fd, ptr, &mut a.len)
        } else {
            libc::getsockname(fd, ptr, &mut a.len)
        }
    };
    check(r)?;
    Ok(a)
}

pub fn local_addr(fd: RawFd) -> io::Result<SockAddr> {
    name_of(fd, false)
}

#[cfg(test)]
pub fn peer_addr(fd: RawFd) -> io::Result<SockAddr> {
    name_of(fd, true)
}

/// `SO_PEERCRED` of a connected `AF_UNIX` socket.
pub fn peer_cred(fd: RawFd) -> io::Result<libc::ucred> {
    // SAFETY: ucred is plain data; all-zero is valid.
    let mut cred: libc::ucred = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: buffer and length describe `cred`.
    check(unsafe {
        libc::getsockopt(fd, libc::SOL_SOCKET, libc::SO_PEERCRED, (&mut cred as *mut libc::ucred).cast(), &mut len)
    })?;
    Ok(cred)
}

/// `accept4(2)` one pending connection, non-blocking and close-on-exec,
/// with the peer's address as the call returns it (what `getpeername(2)`
/// would say, one system call less per connection); `Ok(None)` when none
/// is pending.
pub fn accept(fd: RawFd) -> io::Result<Option<(OwnedFd, SockAddr)>> {
    loop {
        let mut a = SockAddr::empty();
        // SAFETY: the address buffer is a sockaddr_storage and len its size.
        let r = unsafe {
            libc::accept4(
                fd,
                (&mut a.storage as *mut libc::sockaddr_storage).cast(),
                &mut a.len,
                libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            )
        };
        if r >= 0 {
            // SAFETY: r is a new descriptor owned by nobody else.
            return Ok(Some((unsafe { OwnedFd::from_raw_fd(r) }, a)));
        }
        let e = io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EAGAIN) => return Ok(None),
            // accept(2): errors of the new connection itself (it was
            // reset before we took it) — try the next one.
            Some(libc::ECONNABORTED | libc::EPROTO | libc::ENETDOWN | libc::ENOPROTOOPT | libc::EHOSTDOWN
                | libc::ENONET | libc::EHOSTUNREACH | libc::EOPNOTSUPP | libc::ENETUNREACH) => continue,
            _ => return Err(e),
        }
    }
}

/// The source address of the next datagram, without taking it
/// (`MSG_PEEK`); `Ok(None)` when none is queued.
pub fn peek_source(fd: RawFd) -> io::Result<Option<SockAddr>> {
    let mut a = SockAddr::empty();
    let mut byte = [0u8; 1];
    loop {
        // SAFETY: buffers describe local storage of the stated sizes.
        let r = unsafe {
            libc::recvfrom(
                fd,
                byte.as_mut_ptr().cast(),
                byte.len(),
                libc::MSG_PEEK | libc::MSG_DONTWAIT,
                (&mut a.storage as *mut libc::sockaddr_storage).cast(),
                &mut a.len,
            )
        };
        if r >= 0 {
            return Ok(Some(a));
        }
        let e = io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EAGAIN) => return Ok(None),
            _ => return Err(e),
        }
    }
}

/// Drop the next datagram.
pub fn discard_datagram(fd: RawFd) {
    let mut byte = [0u8; 1];
    // SAFETY: the buffer is a local byte; the datagram is truncated away.
    unsafe { libc::recv(fd, byte.as_mut_ptr().cast(), byte.len(), libc::MSG_DONTWAIT | libc::MSG_TRUNC) };
}

/// Is anything readable right now? (`poll(2)` with no wait.)
pub fn readable_now(fd: RawFd) -> bool {
    let mut p = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
    // SAFETY: one valid pollfd, zero timeout.
    let r = unsafe { libc::poll(&mut p, 1, 0) };
    r > 0 && p.revents & libc::POLLIN != 0
}

/// `FlushPending=`: take everything queued on a port without blocking —
/// connections are accepted and closed, data and datagrams read and
/// dropped (systemd's `flush_accept()` and `flush_fd()`).
pub fn flush(fd: RawFd) {
    let mut buf = [0u8; 4096];
    for _ in 0..1024 {
        if !readable_now(fd) {
            return;
        }
        let mut ty: i32 = 0;
        let mut len = std::mem::size_of::<i32>() as libc::socklen_t;
        let mut accepting: i32 = 0;
        let mut alen = std::mem::size_of::<i32>() as libc::socklen_t;
        // SAFETY: getsockopt into local ints of the stated size.
        let is_socket = unsafe {
            libc::getsockopt(fd, libc::SOL_SOCKET, libc::SO_TYPE, (&mut ty as *mut i32).cast(), &mut len) == 0
                && libc::getsockopt(fd, libc::SOL_SOCKET, libc::SO_ACCEPTCONN, (&mut accepting as *mut i32).cast(), &mut alen) == 0
        };
        if is_socket && accepting != 0 {
            match accept(fd) {
                Ok(Some(c)) => drop(c),
                _ => return,
            }
        } else {
            // SAFETY: reading into a local buffer, never blocking.
            let r = unsafe {
                if is_socket {
                    libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), libc::MSG_DONTWAIT)
                } else {
                    libc::read(fd, buf.as_mut_ptr().cast(), buf.len())
                }
            };
            if r <= 0 {
                return;
            }
        }
    }
}

extern "C" {
    /// POSIX `inet_ntop(3)`, in every libc (not wrapped by the libc crate).
    fn inet_ntop(af: libc::c_int, src: *const libc::c_void, dst: *mut libc::c_char, size: libc::socklen_t) -> *const libc::c_char;
}

/// `inet_ntop(AF_INET6, …)`: glibc's text, which differs from Rust's
/// `Display` for IPv4-compatible addresses.
pub fn ipv6_text(addr: &Ipv6Addr) -> String {
    let mut buf = [0 as libc::c_char; 64];
    let octets = addr.octets();
    // SAFETY: the source is 16 bytes, the buffer larger than
    // INET6_ADDRSTRLEN; on success it holds a NUL-terminated string.
    let r = unsafe { inet_ntop(libc::AF_INET6, octets.as_ptr().cast(), buf.as_mut_ptr(), buf.len() as libc::socklen_t) };
    if r.is_null() {
        return addr.to_string();
    }
    // SAFETY: inet_ntop wrote a NUL-terminated string into buf.
    unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) }.to_string_lossy().into_owned()
}

/// An IPv4-mapped IPv6 address as its IPv4 address (systemd's
/// `translate_ipv6`); others unchanged.
pub fn unmap(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

/// `sockaddr_pretty(…, translate_ipv6=true, include_port=false)`.
pub fn ip_text(ip: IpAddr) -> String {
    match unmap(ip) {
        IpAddr::V4(a) => ipv4_text(a),
        IpAddr::V6(a) => ipv6_text(&a),
    }
}

/// `a.to_string()`, written digit by digit: through the formatter (which
/// supports padding, so it formats into a buffer first) it was ~1.3k
/// instructions, and an `Accept=yes` connection writes its peer's address
/// five times (instance name, `MaxConnectionsPerSource=` source at accept
/// and at close, `REMOTE_ADDR`).
pub fn ipv4_text(a: std::net::Ipv4Addr) -> String {
    let mut s = String::with_capacity(15);
    for (i, &o) in a.octets().iter().enumerate() {
        if i > 0 {
            s.push('.');
        }
        if o >= 100 {
            s.push(char::from(b'0' + o / 100));
        }
        if o >= 10 {
            s.push(char::from(b'0' + o / 10 % 10));
        }
        s.push(char::from(b'0' + o % 10));
    }
    s
}

/// `fchown`-free ownership change of a path (sockets cannot be
/// `fchown`ed meaningfully through their descriptor).
pub fn chown(path: &str, uid: Option<u32>, gid: Option<u32>) -> io::Result<()> {
    let c = CString::new(path).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    // SAFETY: chown(2) on a NUL-terminated path; -1 leaves an id alone.
    check(unsafe { libc::chown(c.as_ptr(), uid.unwrap_or(u32::MAX), gid.unwrap_or(u32::MAX)) }).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    /// The digit-by-digit text is std's, for every octet value in every
    /// position.
    #[test]
    fn ipv4_text_is_std_display() {
        for o in 0..=255u8 {
            for a in [[o, 0, 0, 0], [1, o, 2, 3], [10, 0, o, 255], [255, 255, 255, o], [o, o, o, o]] {
                let a = Ipv4Addr::from(a);
                assert_eq!(ipv4_text(a), a.to_string());
            }
        }
        assert_eq!(ip_text(IpAddr::V6(Ipv4Addr::new(127, 0, 0, 1).to_ipv6_mapped())), "127.0.0.1");
    }
}
