//! What comes in over the journal's sockets, one message at a time: a
//! stream's bytes or a datagram, each with the sender's credentials
//! (`SCM_CREDENTIALS`, which the sockets ask for with `SO_PASSCRED`), a
//! datagram also with its arrival time (`SO_TIMESTAMP`) and at most one
//! passed file. Every call is non-blocking (`MSG_DONTWAIT`): the server's
//! loop (`server.rs`) decides how much to read per wake-up.
//!
//! Descriptors a client passes are the journal's to close: a stream
//! carries none (any sent are closed at once), a native datagram at most
//! one meaningful file (a message too large for a datagram, sent as a
//! sealed memfd or a file in a world-writable temporary directory,
//! `read_passed_file`), the rest are closed.

use std::io::IoSliceMut;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;

use nix::sys::socket::{self, ControlMessageOwned, MsgFlags, UnixCredentials};

use super::context::Creds;
use super::native::ENTRY_SIZE_MAX;

fn creds(u: &UnixCredentials) -> Creds {
    Creds { pid: u.pid(), uid: u.uid(), gid: u.gid() }
}

/// uid and gid of a process, from `/proc/PID/status`.
pub(super) fn proc_ids(pid: i32) -> Option<Creds> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u32> {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    };
    Some(Creds {
        pid,
        uid: field("Uid:")?,
        gid: field("Gid:")?,
    })
}

/// One `recvmsg` on a stream, with the writer's credentials: a
/// [`recv_datagram`] whose time and passed file a stream has no use for
/// (streams carry no descriptors; one sent anyway is closed here).
pub(super) fn read_with_creds(fd: RawFd, buf: &mut [u8]) -> nix::Result<(usize, Option<Creds>)> {
    recv_datagram(fd, buf).map(|d| (d.len, d.creds))
}

/// One datagram's length and what came with it.
pub(super) struct Datagram {
    pub len: usize,
    pub truncated: bool,
    pub creds: Option<Creds>,
    pub time: Option<u64>,
    pub fd: Option<OwnedFd>,
}

/// The size of the next queued datagram (`SIOCINQ`).
pub(super) fn next_datagram_size(fd: RawFd) -> usize {
    let mut n: libc::c_int = 0;
    // SAFETY: FIONREAD writes one int through a valid pointer.
    let r = unsafe { libc::ioctl(fd, libc::FIONREAD, &mut n) };
    if r == 0 && n > 0 {
        n as usize
    } else {
        0
    }
}

/// One `recvmsg`, with credentials, arrival time (`SO_TIMESTAMP`, set on
/// the datagram sockets) and the first passed file; any other is closed.
pub(super) fn recv_datagram(fd: RawFd, buf: &mut [u8]) -> nix::Result<Datagram> {
    let mut cmsg = nix::cmsg_space!(libc::ucred, libc::timeval, [RawFd; 8]);
    let mut iov = [IoSliceMut::new(buf)];
    let msg = socket::recvmsg::<()>(
        fd,
        &mut iov,
        Some(&mut cmsg),
        MsgFlags::MSG_DONTWAIT | MsgFlags::MSG_CMSG_CLOEXEC,
    )?;
    let mut d = Datagram {
        len: msg.bytes,
        truncated: msg.flags.contains(MsgFlags::MSG_TRUNC),
        creds: None,
        time: None,
        fd: None,
    };
    if let Ok(cmsgs) = msg.cmsgs() {
        for c in cmsgs {
            match c {
                ControlMessageOwned::ScmCredentials(u) => d.creds = Some(creds(&u)),
                ControlMessageOwned::ScmTimestamp(tv) => {
                    d.time =
                        Some((tv.tv_sec() as u64).saturating_mul(1_000_000) + tv.tv_usec() as u64)
                }
                ControlMessageOwned::ScmRights(fds) => {
                    for f in fds {
                        // SAFETY: the kernel just installed this descriptor for us.
                        let owned = unsafe { OwnedFd::from_raw_fd(f) };
                        // Only one file per message is meaningful; the rest close.
                        if d.fd.is_none() {
                            d.fd = Some(owned);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    Ok(d)
}

/// Reads a file passed with a native message: a sealed memfd from anyone,
/// an unsealed file only from root or from `/dev/shm`, `/tmp`, `/var/tmp`
/// (journald's rule, so a client cannot make us read files it cannot).
pub(super) fn read_passed_file(fd: OwnedFd, creds: Option<Creds>) -> Result<Vec<u8>, String> {
    use std::os::unix::fs::FileExt;
    let file = std::fs::File::from(fd);
    let meta = file.metadata().map_err(|e| format!("cannot stat: {e}"))?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    // SAFETY: fcntl with an integer command on a valid descriptor.
    let seals = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_GET_SEALS) };
    let sealed = seals > 0 && seals & libc::F_SEAL_WRITE != 0;
    if !sealed && creds.is_none_or(|c| c.uid != 0) {
        let path = std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd()))
            .map_err(|e| format!("cannot find its path: {e}"))?;
        let ok = ["/dev/shm/", "/tmp/", "/var/tmp/"].iter().any(|d| {
            path.strip_prefix(d)
                .is_ok_and(|rest| rest.components().count() == 1)
        });
        if !ok {
            return Err(format!(
                "{} is outside the allowed directories; refusing it",
                path.display()
            ));
        }
    }
    let size = meta.len() as usize;
    if size > ENTRY_SIZE_MAX {
        return Err(format!("too large ({size} bytes)"));
    }
    let mut out = vec![0u8; size];
    file.read_exact_at(&mut out, 0)
        .map_err(|e| format!("cannot read: {e}"))?;
    Ok(out)
}

/// Whether `sock` has bytes (or its end) to read right now.
pub(super) fn readable_now(sock: &UnixStream) -> bool {
    use std::os::fd::AsFd;
    let mut fds = [nix::poll::PollFd::new(sock.as_fd(), nix::poll::PollFlags::POLLIN)];
    nix::poll::poll(&mut fds, nix::poll::PollTimeout::ZERO).is_ok_and(|n| n > 0)
}
