//! Opening the ports of a socket unit (`systemd.socket(5)`, "[Socket]
//! Section Options"), in the order systemd 252 does it:
//!
//! 1. **sockets** (`socket_address_listen()`): `socket(2)` close-on-exec
//!    and non-blocking; `SO_REUSEADDR`; for IP sockets `SO_BINDTODEVICE`
//!    (`BindToDevice=`); `SO_REUSEPORT`, `FreeBind=`, `Transparent=` (only
//!    warned about when refused); `IPV6_V6ONLY` from `BindIPv6Only=` unless
//!    it is `default`; then `bind(2)` — a file-system socket gets its parent
//!    directories (`DirectoryMode=`), is bound under `umask(~SocketMode=)`
//!    so it is created with exactly that mode, and a stale socket file in
//!    the way (`EADDRINUSE`) is unlinked and the bind retried; then
//!    `listen(2)` with `Backlog=` for stream and sequential-packet
//!    sockets. A bare port (`ListenStream=80`) is `[::]:80`, or
//!    `0.0.0.0:80` when the kernel has no IPv6.
//! 2. the socket options of `socket_apply_socket_options()`: keep-alive,
//!    `NoDelay=`, buffers, `PassCredentials=`… — each only warned about on
//!    failure, as systemd does;
//! 3. **FIFOs**: parents created, `mkfifo(3)` under `umask(~SocketMode= |
//!    old umask)`, opened read-write (so the FIFO never reports EOF while
//!    no writer is connected), and refused (`EEXIST`) if what is there is
//!    not a FIFO of ours with that mode;
//! 4. **special files**: opened read-only (read-write with `Writable=`),
//!    must be a regular file or character device;
//! 5. **message queues**: `mq_open(3)` with `SocketMode=` and the
//!    `MessageQueue…=` limits; **netlink**: a raw socket of the family,
//!    bound to the group. `ListenUSBFunction=` needs the service's USB
//!    descriptors, which vigil does not load: refused with a message.
//!
//! Every failure names the unit, the directive and the address, with
//! systemd's wording ("Failed to create listening socket ([::]:80):
//! Address already in use").
//!
//! Main function: [`open_all`], returning [`BoundSocket`]s.

use std::fs::DirBuilder;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt};
use std::path::Path;

use unit::value::ListenAddress;

use super::settings::{BindIpv6Only, PortSpec, SocketSettings, SocketType, Timestamping};
use super::sys::{self, errno_text, set_int, SockAddr};

/// One open port of a socket unit.
#[derive(Debug)]
pub struct BoundSocket {
    pub fd: OwnedFd,
    /// The address as `systemctl list-sockets` shows it.
    pub address: String,
    pub spec: PortSpec,
    /// `FileDescriptorName=`.
    pub name: String,
}

/// A port that could not be opened.
#[derive(Debug)]
pub struct BindError {
    pub unit: String,
    pub directive: &'static str,
    pub address: String,
    /// systemd's phrase: "Failed to create listening socket", "Failed to
    /// open FIFO", …
    pub what: &'static str,
    pub reason: String,
}

impl std::fmt::Display for BindError {
    /// systemd's line, with the unit in front and the directive after:
    /// "x.socket: Failed to create listening socket (127.0.0.1:80):
    /// Address already in use (ListenStream=)".
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {} ({}): {} ({}=)", self.unit, self.what, self.address, self.reason, self.directive)
    }
}

impl std::error::Error for BindError {}

/// Open every port of `unit` in file order. Warnings (options the kernel
/// refused, which systemd only logs) go to `warn`. On error the ports
/// opened so far are closed again (and nothing is unlinked: a socket file
/// is removed before binding, never after, so a running service that
/// still uses an older one keeps it).
pub fn open_all(unit: &str, s: &SocketSettings, warn: &mut Vec<String>) -> Result<Vec<BoundSocket>, BindError> {
    let mut out = Vec::with_capacity(s.ports.len());
    for spec in &s.ports {
        let fail = |what: &'static str, e: io::Error| BindError {
            unit: unit.to_string(),
            directive: spec.directive(),
            address: spec.address(),
            what,
            reason: errno_text(&e),
        };
        let (fd, address) = match spec {
            PortSpec::Socket { ty, addr } => {
                let (fd, printed) = open_socket(*ty, addr, s, warn).map_err(|e| fail("Failed to create listening socket", e))?;
                apply_socket_options(fd.as_raw_fd(), addr, s, warn);
                (fd, printed)
            }
            PortSpec::Netlink { family, group } => {
                let fd = open_netlink(*family, *group, s).map_err(|e| fail("Failed to create listening socket", e))?;
                apply_common_options(fd.as_raw_fd(), s, warn);
                (fd, spec.address())
            }
            PortSpec::Fifo(path) => {
                let fd = open_fifo(path, s).map_err(|e| fail("Failed to open FIFO", e))?;
                if let Some(n) = s.pipe_size {
                    // SAFETY: fcntl on a descriptor we own.
                    if unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETPIPE_SZ, n.min(i32::MAX as u64) as i32) } < 0 {
                        warn.push(format!("Setting pipe size failed, ignoring: {}", errno_text(&io::Error::last_os_error())));
                    }
                }
                (fd, path.clone())
            }
            PortSpec::Special(path) => (open_special(path, s.writable).map_err(|e| fail("Failed to open special file", e))?, path.clone()),
            PortSpec::MessageQueue(path) => (open_mqueue(path, s).map_err(|e| fail("Failed to open message queue", e))?, path.clone()),
            PortSpec::UsbFunction(_) => {
                return Err(BindError {
                    unit: unit.to_string(),
                    directive: spec.directive(),
                    address: spec.address(),
                    what: "Failed to open USB function",
                    reason: "ListenUSBFunction= is not supported by vigil".into(),
                })
            }
        };
        out.push(BoundSocket { fd, address, spec: spec.clone(), name: s.fd_name.clone() });
    }
    Ok(out)
}

fn mkdir_parents(path: &str, mode: u32) {
    if let Some(parent) = Path::new(path).parent() {
        // Failures show up as the bind's or mkfifo's own error.
        let _ = DirBuilder::new().recursive(true).mode(mode).create(parent);
    }
}

/// Runs `f` with the process umask set to `mask`. The manager is
/// single-threaded, so nothing else creates files meanwhile.
fn with_umask<T>(mask: u32, f: impl FnOnce() -> T) -> T {
    // SAFETY: umask(2) cannot fail.
    let old = unsafe { libc::umask(mask as libc::mode_t) };
    let r = f();
    // SAFETY: as above.
    unsafe { libc::umask(old) };
    r
}

fn current_umask() -> u32 {
    // SAFETY: umask(2) cannot fail; the old value is put back at once.
    let old = unsafe { libc::umask(0o022) };
    // SAFETY: as above.
    unsafe { libc::umask(old) };
    old as u32
}

fn warn_on(warn: &mut Vec<String>, what: &str, r: io::Result<()>) {
    if let Err(e) = r {
        warn.push(format!("{what} failed: {}", errno_text(&e)));
    }
}

/// `socket_address_listen()`: returns the descriptor and the address as
/// printed (a bare port that fell back to IPv4 prints as `0.0.0.0:P`).
fn open_socket(ty: SocketType, addr: &ListenAddress, s: &SocketSettings, warn: &mut Vec<String>) -> io::Result<(OwnedFd, String)> {
    let mut addr = addr.clone();
    let (domain, protocol) = match &addr {
        ListenAddress::Port(_) | ListenAddress::Inet6 { .. } => (libc::AF_INET6, ip_protocol(ty, s)),
        ListenAddress::Inet { .. } => (libc::AF_INET, ip_protocol(ty, s)),
        ListenAddress::Path(_) | ListenAddress::Abstract(_) => (libc::AF_UNIX, 0),
        ListenAddress::Vsock { .. } => (libc::AF_VSOCK, 0),
        ListenAddress::Netlink { .. } => return Err(io::Error::from_raw_os_error(libc::EINVAL)),
    };
    let fd = match sys::socket(domain, ty.raw(), protocol) {
        Ok(fd) => fd,
        // No IPv6 in this kernel: a bare port means IPv4's any-address.
        Err(e) if domain == libc::AF_INET6 && e.raw_os_error() == Some(libc::EAFNOSUPPORT) => {
            if let ListenAddress::Port(p) = addr {
                addr = ListenAddress::Inet { addr: std::net::Ipv4Addr::UNSPECIFIED, port: p };
                sys::socket(libc::AF_INET, ty.raw(), protocol)?
            } else {
                return Err(e);
            }
        }
        Err(e) => return Err(e),
    };
    let raw = fd.as_raw_fd();
    let family = match addr {
        ListenAddress::Inet { .. } => libc::AF_INET,
        _ => domain,
    };
    set_int(raw, libc::SOL_SOCKET, libc::SO_REUSEADDR, 1)?;
    let is_ip = matches!(family, libc::AF_INET | libc::AF_INET6);
    if is_ip {
        if let Some(dev) = &s.bind_to_device {
            sys::set_bytes(raw, libc::SOL_SOCKET, libc::SO_BINDTODEVICE, dev)?;
        }
    }
    if s.reuse_port {
        warn_on(warn, "SO_REUSEPORT", set_int(raw, libc::SOL_SOCKET, libc::SO_REUSEPORT, 1));
    }
    if s.free_bind && is_ip {
        let r = if family == libc::AF_INET6 {
            set_int(raw, libc::SOL_IPV6, libc::IPV6_FREEBIND, 1)
        } else {
            set_int(raw, libc::SOL_IP, libc::IP_FREEBIND, 1)
        };
        warn_on(warn, "IP_FREEBIND/IPV6_FREEBIND", r);
    }
    if s.transparent && is_ip {
        let r = if family == libc::AF_INET6 {
            set_int(raw, libc::SOL_IPV6, libc::IPV6_TRANSPARENT, 1)
        } else {
            set_int(raw, libc::SOL_IP, libc::IP_TRANSPARENT, 1)
        };
        warn_on(warn, "IP_TRANSPARENT/IPV6_TRANSPARENT", r);
    }
    if family == libc::AF_INET6 && s.bind_ipv6_only != BindIpv6Only::Default {
        set_int(raw, libc::IPPROTO_IPV6, libc::IPV6_V6ONLY, i32::from(s.bind_ipv6_only == BindIpv6Only::Ipv6Only))?;
    }
    let sa = SockAddr::from_listen(&addr)?;
    match &addr {
        ListenAddress::Path(p) => {
            mkdir_parents(p, s.directory_mode);
            with_umask(!s.socket_mode & 0o777, || match sys::bind(raw, &sa) {
                Err(e) if e.raw_os_error() == Some(libc::EADDRINUSE) => {
                    // A socket file left by an earlier run: replace it.
                    std::fs::remove_file(p).map_err(|_| e)?;
                    sys::bind(raw, &sa)
                }
                r => r,
            })?;
        }
        _ => sys::bind(raw, &sa)?,
    }
    if ty != SocketType::Datagram {
        sys::listen(raw, s.backlog)?;
    }
    Ok((fd, super::settings::print_address(&addr)))
}

/// `SocketProtocol=` applies to stream/sequential-packet (SCTP) and
/// datagram (UDP-Lite) IP sockets only.
fn ip_protocol(ty: SocketType, s: &SocketSettings) -> i32 {
    match (ty, s.socket_protocol) {
        (SocketType::Stream | SocketType::SeqPacket, Some(libc::IPPROTO_SCTP)) => libc::IPPROTO_SCTP,
        (SocketType::Datagram, Some(libc::IPPROTO_UDPLITE)) => libc::IPPROTO_UDPLITE,
        _ => 0,
    }
}

fn open_netlink(family: u32, group: u32, s: &SocketSettings) -> io::Result<OwnedFd> {
    let fd = sys::socket(libc::AF_NETLINK, libc::SOCK_RAW, family as i32)?;
    set_int(fd.as_raw_fd(), libc::SOL_SOCKET, libc::SO_REUSEADDR, 1)?;
    if s.reuse_port {
        let _ = set_int(fd.as_raw_fd(), libc::SOL_SOCKET, libc::SO_REUSEPORT, 1);
    }
    sys::bind(fd.as_raw_fd(), &SockAddr::netlink(group))?;
    Ok(fd)
}

/// Options for every socket port (`socket_apply_socket_options()`), and
/// again for each accepted connection.
pub fn apply_socket_options(fd: RawFd, addr: &ListenAddress, s: &SocketSettings, warn: &mut Vec<String>) {
    let family6 = matches!(addr, ListenAddress::Port(_) | ListenAddress::Inet6 { .. });
    let sctp = s.socket_protocol == Some(libc::IPPROTO_SCTP);
    if s.keep_alive {
        warn_on(warn, "SO_KEEPALIVE", set_int(fd, libc::SOL_SOCKET, libc::SO_KEEPALIVE, 1));
    }
    if let Some(t) = s.keep_alive_time_sec {
        warn_on(warn, "TCP_KEEPIDLE", set_int(fd, libc::SOL_TCP, libc::TCP_KEEPIDLE, clamp(t)));
    }
    if let Some(t) = s.keep_alive_interval_sec {
        warn_on(warn, "TCP_KEEPINTVL", set_int(fd, libc::SOL_TCP, libc::TCP_KEEPINTVL, clamp(t)));
    }
    if let Some(n) = s.keep_alive_probes {
        warn_on(warn, "TCP_KEEPCNT", set_int(fd, libc::SOL_TCP, libc::TCP_KEEPCNT, clamp(n)));
    }
    if let Some(t) = s.defer_accept_sec {
        warn_on(warn, "TCP_DEFER_ACCEPT", set_int(fd, libc::SOL_TCP, libc::TCP_DEFER_ACCEPT, clamp(t)));
    }
    if s.no_delay {
        if sctp {
            warn_on(warn, "SCTP_NODELAY", set_int(fd, libc::IPPROTO_SCTP, SCTP_NODELAY, 1));
        } else {
            warn_on(warn, "TCP_NODELAY", set_int(fd, libc::SOL_TCP, libc::TCP_NODELAY, 1));
        }
    }
    if s.broadcast {
        warn_on(warn, "SO_BROADCAST", set_int(fd, libc::SOL_SOCKET, libc::SO_BROADCAST, 1));
    }
    if s.pass_packet_info {
        let r = if family6 {
            set_int(fd, libc::SOL_IPV6, libc::IPV6_RECVPKTINFO, 1)
        } else if matches!(addr, ListenAddress::Inet { .. }) {
            set_int(fd, libc::SOL_IP, libc::IP_PKTINFO, 1)
        } else {
            Err(io::Error::from_raw_os_error(libc::EAFNOSUPPORT))
        };
        if let Err(e) = r {
            warn.push(format!("Failed to enable packet info socket option: {}", errno_text(&e)));
        }
    }
    if let Some(ttl) = s.ip_ttl {
        let r = if family6 {
            set_int(fd, libc::IPPROTO_IPV6, libc::IPV6_UNICAST_HOPS, clamp(ttl as u64))
        } else {
            set_int(fd, libc::IPPROTO_IP, libc::IP_TTL, clamp(ttl as u64))
        };
        warn_on(warn, "IP_TTL/IPV6_UNICAST_HOPS", r);
    }
    if let Some(tos) = s.ip_tos {
        warn_on(warn, "IP_TOS", set_int(fd, libc::IPPROTO_IP, libc::IP_TOS, tos));
    }
    if let Some(c) = &s.tcp_congestion {
        warn_on(warn, "TCP_CONGESTION", sys::set_bytes(fd, libc::SOL_TCP, libc::TCP_CONGESTION, c));
    }
    apply_common_options(fd, s, warn);
}

/// The options that apply to netlink sockets too.
fn apply_common_options(fd: RawFd, s: &SocketSettings, warn: &mut Vec<String>) {
    if s.pass_credentials {
        warn_on(warn, "SO_PASSCRED", set_int(fd, libc::SOL_SOCKET, libc::SO_PASSCRED, 1));
    }
    if s.pass_security {
        warn_on(warn, "SO_PASSSEC", set_int(fd, libc::SOL_SOCKET, libc::SO_PASSSEC, 1));
    }
    match s.timestamping {
        Timestamping::Off => {}
        Timestamping::Us => warn_on(warn, "SO_TIMESTAMP", set_int(fd, libc::SOL_SOCKET, libc::SO_TIMESTAMP, 1)),
        Timestamping::Ns => warn_on(warn, "SO_TIMESTAMPNS", set_int(fd, libc::SOL_SOCKET, libc::SO_TIMESTAMPNS, 1)),
    }
    if let Some(p) = s.priority {
        warn_on(warn, "SO_PRIORITY", set_int(fd, libc::SOL_SOCKET, libc::SO_PRIORITY, clamp(p as u64)));
    }
    // systemd tries the FORCE variant (root may exceed the sysctl limit)
    // and falls back to the plain one.
    if let Some(n) = s.receive_buffer {
        let v = clamp(n);
        if set_int(fd, libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, v).is_err() {
            warn_on(warn, "SO_RCVBUF/SO_RCVBUFFORCE", set_int(fd, libc::SOL_SOCKET, libc::SO_RCVBUF, v));
        }
    }
    if let Some(n) = s.send_buffer {
        let v = clamp(n);
        if set_int(fd, libc::SOL_SOCKET, libc::SO_SNDBUFFORCE, v).is_err() {
            warn_on(warn, "SO_SNDBUF/SO_SNDBUFFORCE", set_int(fd, libc::SOL_SOCKET, libc::SO_SNDBUF, v));
        }
    }
    if let Some(m) = s.mark {
        warn_on(warn, "SO_MARK", set_int(fd, libc::SOL_SOCKET, libc::SO_MARK, clamp(m as u64)));
    }
}

/// `<linux/sctp.h>`; `SOL_SCTP` is `IPPROTO_SCTP`.
const SCTP_NODELAY: i32 = 3;

fn clamp(n: u64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn open_flags() -> i32 {
    libc::O_CLOEXEC | libc::O_NOCTTY | libc::O_NONBLOCK | libc::O_NOFOLLOW
}

fn open_path(path: &str, flags: i32) -> io::Result<OwnedFd> {
    let c = std::ffi::CString::new(path).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    // SAFETY: open(2) on a NUL-terminated path; the result is owned here.
    let fd = unsafe { libc::open(c.as_ptr(), flags) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd was just opened and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn fstat(fd: &OwnedFd) -> io::Result<std::fs::Metadata> {
    // Through /proc would need it mounted; a dup'ed File is simpler.
    let f = std::fs::File::from(fd.try_clone()?);
    f.metadata()
}

/// `fifo_address_create()`.
fn open_fifo(path: &str, s: &SocketSettings) -> io::Result<OwnedFd> {
    mkdir_parents(path, s.directory_mode);
    let c = std::ffi::CString::new(path).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    let old = current_umask();
    let made = with_umask((!s.socket_mode & 0o777) | old, || {
        // SAFETY: mkfifo(3) on a NUL-terminated path.
        unsafe { libc::mkfifo(c.as_ptr(), s.socket_mode as libc::mode_t) }
    });
    if made < 0 {
        let e = io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EEXIST) {
            return Err(e);
        }
    }
    let fd = open_path(path, libc::O_RDWR | open_flags())?;
    let m = fstat(&fd)?;
    // Something else is in the way, or a FIFO that is not ours as
    // configured: refuse rather than hand it to the service.
    if !m.file_type().is_fifo()
        || m.mode() & 0o777 != s.socket_mode & !old & 0o777
        || m.uid() != nix::unistd::getuid().as_raw()
        || m.gid() != nix::unistd::getgid().as_raw()
    {
        return Err(io::Error::from_raw_os_error(libc::EEXIST));
    }
    Ok(fd)
}

/// `special_address_create()`.
fn open_special(path: &str, writable: bool) -> io::Result<OwnedFd> {
    let access = if writable { libc::O_RDWR } else { libc::O_RDONLY };
    let fd = open_path(path, access | open_flags())?;
    let m = fstat(&fd)?;
    if !m.file_type().is_file() && !m.file_type().is_char_device() {
        return Err(io::Error::from_raw_os_error(libc::EEXIST));
    }
    Ok(fd)
}

/// `mq_address_create()`.
fn open_mqueue(path: &str, s: &SocketSettings) -> io::Result<OwnedFd> {
    let c = std::ffi::CString::new(path).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    let mut attr: libc::mq_attr = {
        // SAFETY: mq_attr is plain data; all-zero is valid.
        unsafe { std::mem::zeroed() }
    };
    let with_attr = match (s.mq_max_messages, s.mq_message_size) {
        (Some(max), Some(size)) => {
            attr.mq_flags = libc::O_NONBLOCK as libc::c_long;
            attr.mq_maxmsg = max as libc::c_long;
            attr.mq_msgsize = size as libc::c_long;
            true
        }
        _ => false,
    };
    let old = current_umask();
    let fd = with_umask((!s.socket_mode & 0o777) | old, || {
        let attr_ptr: *mut libc::mq_attr = if with_attr { &mut attr } else { std::ptr::null_mut() };
        // SAFETY: mq_open on a NUL-terminated name with a valid (or null)
        // attribute pointer; the mode is passed as the variadic argument.
        unsafe {
            libc::mq_open(
                c.as_ptr(),
                libc::O_RDONLY | libc::O_CLOEXEC | libc::O_NONBLOCK | libc::O_CREAT,
                s.socket_mode as libc::mode_t,
                attr_ptr,
            )
        }
    });
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: on Linux a message queue descriptor is a file descriptor
    // owned by us.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let m = fstat(&fd)?;
    if m.mode() & 0o777 != s.socket_mode & !old & 0o777
        || m.uid() != nix::unistd::getuid().as_raw()
        || m.gid() != nix::unistd::getgid().as_raw()
    {
        return Err(io::Error::from_raw_os_error(libc::EEXIST));
    }
    Ok(fd)
}

/// `SocketUser=`/`SocketGroup=`: hand the file-system nodes over
/// (systemd's start-chown step). Returns systemd's failure text.
pub fn chown_nodes(s: &SocketSettings) -> Result<(), String> {
    if s.socket_user.is_none() && s.socket_group.is_none() {
        return Ok(());
    }
    let mut uid = None;
    let mut gid = None;
    if let Some(u) = &s.socket_user {
        let info = exec::resolve_user(u).map_err(|e| format!("Failed to resolve user {u}: {e}"))?;
        uid = Some(info.uid);
        gid = Some(info.gid);
    }
    if let Some(g) = &s.socket_group {
        let info = exec::resolve_group(g).map_err(|e| format!("Failed to resolve group {g}: {e}"))?;
        gid = Some(info.gid);
    }
    for node in s.ports.iter().filter_map(PortSpec::node) {
        sys::chown(node, uid, gid).map_err(|e| format!("Failed to chown(): {}", errno_text(&e)))?;
    }
    Ok(())
}

/// `Symlinks=` (`socket_symlink()`): failures are only warnings.
pub fn make_symlinks(s: &SocketSettings, warn: &mut Vec<String>) {
    let Some(target) = s.symlink_target() else { return };
    for link in &s.symlinks {
        mkdir_parents(link, s.directory_mode);
        let mut r = symlink_idempotent(target, link);
        if matches!(&r, Err(e) if e.raw_os_error() == Some(libc::EEXIST)) && s.remove_on_stop && std::fs::remove_file(link).is_ok() {
            r = symlink_idempotent(target, link);
        }
        if let Err(e) = r {
            warn.push(format!("Failed to create symlink {target} → {link}, ignoring: {}", errno_text(&e)));
        }
    }
}

fn symlink_idempotent(target: &str, link: &str) -> io::Result<()> {
    match std::os::unix::fs::symlink(target, link) {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => match std::fs::read_link(link) {
            Ok(t) if t == Path::new(target) => Ok(()),
            _ => Err(e),
        },
        r => r,
    }
}

/// `RemoveOnStop=`: what the unit created in the file system goes when
/// its ports are closed.
pub fn remove_nodes(s: &SocketSettings) {
    for p in &s.ports {
        match p {
            PortSpec::Socket { addr: ListenAddress::Path(path), .. } | PortSpec::Fifo(path) => {
                let _ = std::fs::remove_file(path);
            }
            PortSpec::MessageQueue(path) => {
                if let Ok(c) = std::ffi::CString::new(path.as_str()) {
                    // SAFETY: mq_unlink on a NUL-terminated name.
                    unsafe { libc::mq_unlink(c.as_ptr()) };
                }
            }
            _ => {}
        }
    }
    for link in &s.symlinks {
        let _ = std::fs::remove_file(link);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(ports: Vec<PortSpec>) -> SocketSettings {
        // Built by hand: the loader is exercised by the settings tests.
        SocketSettings {
            ports,
            accept: false,
            backlog: i32::MAX,
            bind_ipv6_only: BindIpv6Only::Default,
            bind_to_device: None,
            socket_mode: 0o600,
            directory_mode: 0o755,
            socket_user: None,
            socket_group: None,
            free_bind: false,
            transparent: false,
            broadcast: false,
            pass_credentials: false,
            pass_security: false,
            pass_packet_info: false,
            keep_alive: true,
            keep_alive_time_sec: None,
            keep_alive_interval_sec: None,
            keep_alive_probes: None,
            defer_accept_sec: None,
            no_delay: true,
            reuse_port: false,
            priority: None,
            mark: None,
            ip_tos: None,
            ip_ttl: None,
            receive_buffer: Some(65536),
            send_buffer: None,
            pipe_size: None,
            tcp_congestion: None,
            socket_protocol: None,
            timestamping: Timestamping::Off,
            mq_max_messages: None,
            mq_message_size: None,
            remove_on_stop: true,
            writable: false,
            flush_pending: false,
            symlinks: Vec::new(),
            fd_name: "t.socket".into(),
            max_connections: 64,
            max_connections_per_source: 0,
            service: Some("t.service".into()),
            trigger_limit_interval: unit::value::Usec(2_000_000),
            trigger_limit_burst: 20,
            has_exec: false,
            timeout: unit::value::Usec(90_000_000),
        }
    }

    fn flags(fd: &OwnedFd) -> (i32, i32) {
        // SAFETY: fcntl queries on a descriptor we own.
        unsafe { (libc::fcntl(fd.as_raw_fd(), libc::F_GETFD), libc::fcntl(fd.as_raw_fd(), libc::F_GETFL)) }
    }

    #[test]
    fn unix_socket_mode_parents_and_flags() {
        let dir = std::env::temp_dir().join(format!("vigil-bind-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("sub/x.sock").display().to_string();
        let s = settings(vec![PortSpec::Socket { ty: SocketType::Stream, addr: ListenAddress::Path(path.clone()) }]);
        let mut warn = Vec::new();
        let ports = open_all("t.socket", &s, &mut warn).expect("bind");
        // TCP options on a unix socket are refused by the kernel: only a
        // warning, as in systemd.
        assert_eq!(warn, vec!["TCP_NODELAY failed: Operation not supported on transport endpoint".to_string()]);
        let m = std::fs::metadata(&path).unwrap();
        assert!(m.file_type().is_socket());
        assert_eq!(m.mode() & 0o777, 0o600);
        let (fdflags, flflags) = flags(&ports[0].fd);
        assert_ne!(fdflags & libc::FD_CLOEXEC, 0);
        assert_ne!(flflags & libc::O_NONBLOCK, 0);
        // A second bind over the stale file replaces it.
        drop(ports);
        let again = open_all("t.socket", &s, &mut warn).expect("rebind over stale socket file");
        drop(again);
        remove_nodes(&s);
        assert!(!Path::new(&path).exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn address_in_use_names_unit_directive_and_address() {
        let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = holder.local_addr().unwrap().port();
        let s = settings(vec![PortSpec::Socket {
            ty: SocketType::Stream,
            addr: ListenAddress::Inet { addr: std::net::Ipv4Addr::LOCALHOST, port },
        }]);
        let err = open_all("t.socket", &s, &mut Vec::new()).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains(&format!("Failed to create listening socket (127.0.0.1:{port}): Address already in use")),
            "{msg}"
        );
        assert!(msg.starts_with("t.socket: "), "{msg}");
        assert!(msg.contains("ListenStream="), "{msg}");
    }

    #[test]
    fn bare_port_is_dual_stack() {
        let probe = std::net::TcpListener::bind("[::]:0").unwrap();
        let port = probe.local_addr().unwrap().port();
        drop(probe);
        let s = settings(vec![PortSpec::Socket { ty: SocketType::Stream, addr: ListenAddress::Port(port) }]);
        let ports = open_all("t.socket", &s, &mut Vec::new()).expect("bind [::]");
        assert_eq!(ports[0].address, format!("[::]:{port}"));
        // Reachable over IPv4 (bindv6only is 0 on this host).
        let v6only = std::fs::read_to_string("/proc/sys/net/ipv6/bindv6only").unwrap_or_default();
        if v6only.trim() == "0" {
            std::net::TcpStream::connect(("127.0.0.1", port)).expect("IPv4 client reaches [::] listener");
        }
        std::net::TcpStream::connect(("::1", port)).expect("IPv6 client");
    }

    #[test]
    fn fifo_created_with_mode_and_refused_when_foreign() {
        let dir = std::env::temp_dir().join(format!("vigil-fifo-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("a/f.fifo").display().to_string();
        let s = settings(vec![PortSpec::Fifo(path.clone())]);
        let ports = open_all("t.socket", &s, &mut Vec::new()).expect("fifo");
        let m = std::fs::metadata(&path).unwrap();
        assert!(m.file_type().is_fifo());
        assert_eq!(m.mode() & 0o777, 0o600 & !current_umask());
        drop(ports);
        std::fs::remove_file(&path).unwrap();
        std::fs::write(&path, "not a fifo").unwrap();
        let err = open_all("t.socket", &s, &mut Vec::new()).unwrap_err().to_string();
        assert!(err.contains("Failed to open FIFO") && err.contains("File exists"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn abstract_and_datagram() {
        let name = format!("vigil-test-{}", std::process::id());
        let s = settings(vec![PortSpec::Socket { ty: SocketType::Datagram, addr: ListenAddress::Abstract(name.clone()) }]);
        let ports = open_all("t.socket", &s, &mut Vec::new()).expect("abstract");
        assert_eq!(ports[0].address, format!("@{name}"));
        let local = sys::local_addr(ports[0].fd.as_raw_fd()).unwrap();
        assert_eq!(local.family(), libc::AF_UNIX);
        // The kernel reports exactly the name we bound (no trailing NUL).
        assert_eq!(local.len as usize, std::mem::size_of::<libc::sa_family_t>() + 1 + name.len());
    }
}
