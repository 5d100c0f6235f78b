//! The namespaces a service runs in (`systemd.exec(5)`, "Sandboxing"):
//! a private mount namespace shaped by a list of mount operations, a
//! private network namespace with only loopback, a private UTS namespace.
//!
//! The manager decides *what* the service sees (which paths are read-only,
//! hidden, replaced by a tmpfs or bound from elsewhere) and turns it into a
//! flat list of [`MountOp`]s, in order, against the mount table it reads
//! in `/proc/self/mountinfo` (see the manager's `sandbox` module). This
//! crate only carries the list out, in the forked child, with one system
//! call per operation — nothing to decide, nothing to allocate:
//!
//! 1. [`Step::Network`](crate::Step::Network): `unshare(CLONE_NEWNET)`,
//!    then loopback up (`SIOCSIFFLAGS` on `lo`), as `PrivateNetwork=`
//!    asks; exit code 225 NETWORK;
//! 2. [`Step::Namespace`](crate::Step::Namespace): `unshare(CLONE_NEWUTS)`
//!    for `ProtectHostname=`, `unshare(CLONE_NEWIPC)` for `PrivateIPC=`,
//!    then `unshare(CLONE_NEWNS)`, every mount
//!    made a slave of the host's (mounts propagate from the host into the
//!    service, never back), and the operations in order; exit code 226
//!    NAMESPACE.
//!
//! Every bind source is opened (`O_PATH`) before the first mount and bound
//! through `/proc/self/fd/N`: a source below a path an earlier operation
//! covers (a `PrivateTmp=` over `/tmp`, a tmpfs) is still the host's.
//!
//! Read-only is set with `mount_setattr(2)` (Linux 5.12), which changes
//! only the read-only flag of a mount and keeps `nosuid`, `nodev`, … as
//! they are; a remount through `mount(2)` would have to restate them.
//!
//! Both steps run as root before the user switch (they need
//! `CAP_SYS_ADMIN`), after the standard streams are open (files named in
//! `StandardOutput=` are the host's, as systemd opens them before the
//! namespace too).

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use libc::c_int;

use crate::sys;

/// One mount operation, in the order the child performs them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MountOp {
    /// `mount --bind SRC DST` (with `recursive`, `--rbind`).
    Bind { src: PathBuf, dst: PathBuf, recursive: bool },
    /// A tmpfs on `dst` with these mount data (`mode=0755,size=…`).
    Tmpfs { dst: PathBuf, data: String },
    /// Set or clear the read-only flag of the mount at `path` (and, with
    /// `recursive`, of every mount below it).
    ReadOnly { path: PathBuf, readonly: bool, recursive: bool },
    /// `mkdir(path, mode)` (an existing directory is fine).
    MakeDir { path: PathBuf, mode: u32 },
    /// An empty regular file to bind a device node onto.
    MakeFile { path: PathBuf },
    /// `symlink(target, path)`.
    Symlink { target: PathBuf, path: PathBuf },
    /// `mount --move SRC DST`.
    Move { src: PathBuf, dst: PathBuf },
    /// A new procfs instance on `/proc` with these options
    /// (`hidepid=`, `subset=`: `ProtectProc=`, `ProcSubset=`).
    Proc { data: String },
}

/// One operation, and whether a missing path is tolerated (the `-`
/// prefix of `ReadOnlyPaths=` and friends).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    pub op: MountOp,
    pub optional: bool,
}

/// What [`Step::Network`](crate::Step::Network) and
/// [`Step::Namespace`](crate::Step::Namespace) do.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sandbox {
    /// `PrivateNetwork=`.
    pub private_network: bool,
    /// `ProtectHostname=`.
    pub private_uts: bool,
    /// `PrivateIPC=`.
    pub private_ipc: bool,
    /// A private mount namespace (any file-system setting, or
    /// `PrivateMounts=`), with these operations.
    pub mount_namespace: bool,
    pub mounts: Vec<Mount>,
}

/// A [`MountOp`] as the child needs it: C strings made in the parent.
#[derive(Clone, Debug)]
pub(crate) enum PreparedOp {
    Bind { src: CString, dst: CString, recursive: bool },
    Tmpfs { dst: CString, data: CString },
    ReadOnly { path: CString, readonly: bool, recursive: bool },
    MakeDir { path: CString, mode: libc::mode_t },
    MakeFile { path: CString },
    Symlink { target: CString, path: CString },
    Move { src: CString, dst: CString },
    Proc { data: CString },
}

#[derive(Clone, Debug)]
pub(crate) struct PreparedSandbox {
    pub private_network: bool,
    pub private_uts: bool,
    pub private_ipc: bool,
    pub mount_namespace: bool,
    pub mounts: Vec<(PreparedOp, bool)>,
}

fn c(p: &std::path::Path) -> Result<CString, String> {
    CString::new(p.as_os_str().as_bytes()).map_err(|_| p.display().to_string())
}

impl Sandbox {
    /// The C strings; `Err` names a path with a NUL byte.
    pub(crate) fn prepare(&self) -> Result<PreparedSandbox, String> {
        let mut mounts = Vec::with_capacity(self.mounts.len());
        for m in &self.mounts {
            let op = match &m.op {
                MountOp::Bind { src, dst, recursive } => PreparedOp::Bind { src: c(src)?, dst: c(dst)?, recursive: *recursive },
                MountOp::Tmpfs { dst, data } => PreparedOp::Tmpfs {
                    dst: c(dst)?,
                    data: CString::new(data.as_bytes()).map_err(|_| data.clone())?,
                },
                MountOp::ReadOnly { path, readonly, recursive } => {
                    PreparedOp::ReadOnly { path: c(path)?, readonly: *readonly, recursive: *recursive }
                }
                MountOp::MakeDir { path, mode } => PreparedOp::MakeDir { path: c(path)?, mode: *mode as libc::mode_t },
                MountOp::MakeFile { path } => PreparedOp::MakeFile { path: c(path)? },
                MountOp::Symlink { target, path } => PreparedOp::Symlink { target: c(target)?, path: c(path)? },
                MountOp::Move { src, dst } => PreparedOp::Move { src: c(src)?, dst: c(dst)? },
                MountOp::Proc { data } => PreparedOp::Proc { data: CString::new(data.as_bytes()).map_err(|_| data.clone())? },
            };
            mounts.push((op, m.optional));
        }
        Ok(PreparedSandbox {
            private_network: self.private_network,
            private_uts: self.private_uts,
            private_ipc: self.private_ipc,
            mount_namespace: self.mount_namespace,
            mounts,
        })
    }
}

// ---- the child's side: async-signal-safe, no allocation ----


/// `struct mount_attr` of `mount_setattr(2)`.
#[repr(C)]
struct MountAttr {
    attr_set: u64,
    attr_clr: u64,
    propagation: u64,
    userns_fd: u64,
}

const MOUNT_ATTR_RDONLY: u64 = 0x1;
const AT_RECURSIVE: c_int = 0x8000;

/// `PrivateNetwork=`: a new network namespace with loopback up.
pub(crate) fn private_network(s: &PreparedSandbox) -> Result<(), c_int> {
    if !s.private_network {
        return Ok(());
    }
    // SAFETY: unshare(2) with a namespace flag.
    sys::check(unsafe { libc::unshare(libc::CLONE_NEWNET) })?;
    // SAFETY: a datagram socket only to carry the interface ioctls; the
    // ifreq is zeroed plain data holding "lo".
    unsafe {
        let fd = sys::check(libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0))?;
        let mut ifr: libc::ifreq = std::mem::zeroed();
        for (d, s) in ifr.ifr_name.iter_mut().zip(b"lo\0") {
            *d = *s as libc::c_char;
        }
        let r = sys::check(libc::ioctl(fd, libc::SIOCGIFFLAGS, &mut ifr)).and_then(|_| {
            ifr.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short;
            sys::check(libc::ioctl(fd, libc::SIOCSIFFLAGS, &ifr))
        });
        sys::close(fd);
        r?;
    }
    Ok(())
}

/// `ProtectHostname=` and the mount namespace.
pub(crate) fn namespaces(s: &PreparedSandbox) -> Result<(), c_int> {
    if s.private_uts {
        // SAFETY: unshare(2) with a namespace flag.
        sys::check(unsafe { libc::unshare(libc::CLONE_NEWUTS) })?;
    }
    if s.private_ipc {
        // SAFETY: unshare(2) with a namespace flag.
        sys::check(unsafe { libc::unshare(libc::CLONE_NEWIPC) })?;
    }
    if !s.mount_namespace {
        return Ok(());
    }
    // SAFETY: unshare(2), then mount(2) changing propagation only.
    unsafe {
        sys::check(libc::unshare(libc::CLONE_NEWNS))?;
        sys::check(libc::mount(
            std::ptr::null(),
            c"/".as_ptr(),
            std::ptr::null(),
            libc::MS_SLAVE | libc::MS_REC,
            std::ptr::null(),
        ))?;
    }
    if s.mounts.len() > MAX_OPS {
        return Err(libc::E2BIG);
    }
    // Open every bind source first (see the module text); -1 = missing.
    let mut sources = [-1 as c_int; MAX_OPS];
    for ((op, _), slot) in s.mounts.iter().zip(sources.iter_mut()) {
        if let PreparedOp::Bind { src, .. } = op {
            // SAFETY: open(2) with a C string prepared by the parent.
            *slot = unsafe { libc::open(src.as_ptr(), libc::O_PATH | libc::O_CLOEXEC) };
        }
    }
    let mut result = Ok(());
    // The target of an optional operation skipped for a missing path: the
    // operations that follow on it (its read-only flag) are skipped too.
    let mut skipped: Option<&std::ffi::CStr> = None;
    for ((op, optional), &fd) in s.mounts.iter().zip(sources.iter()) {
        if skipped.is_some() && target(op) == skipped {
            continue;
        }
        match apply(op, fd) {
            Ok(()) => {}
            // A best-effort directory (the path may exist on a read-only
            // mount, where mkdir fails with EROFS): what follows on it says
            // whether it is there.
            Err(_) if *optional && matches!(op, PreparedOp::MakeDir { .. }) => {}
            Err(libc::ENOENT) if *optional => skipped = target(op),
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    for fd in sources.iter().filter(|&&fd| fd >= 0) {
        sys::close(*fd);
    }
    result
}

/// The path an operation mounts on or changes.
fn target(op: &PreparedOp) -> Option<&std::ffi::CStr> {
    match op {
        PreparedOp::Bind { dst, .. } | PreparedOp::Tmpfs { dst, .. } | PreparedOp::Move { dst, .. } => Some(dst),
        PreparedOp::ReadOnly { path, .. } | PreparedOp::MakeDir { path, .. } | PreparedOp::MakeFile { path } => Some(path),
        PreparedOp::Symlink { path, .. } => Some(path),
        PreparedOp::Proc { .. } => None,
    }
}

/// At most this many operations (the child keeps one descriptor per bind
/// source on its stack).
const MAX_OPS: usize = 256;

/// `/proc/self/fd/N` with its NUL, built on the stack.
fn fd_path(fd: c_int, buf: &mut [u8; 40]) -> *const libc::c_char {
    const PREFIX: &[u8] = b"/proc/self/fd/";
    let mut digits = [0u8; 24];
    let d = sys::format_i64(i64::from(fd), &mut digits);
    let mut i = 0;
    for &b in PREFIX.iter().chain(d.iter()) {
        if let Some(slot) = buf.get_mut(i) {
            *slot = b;
        }
        i += 1;
    }
    if let Some(slot) = buf.get_mut(i) {
        *slot = 0;
    }
    buf.as_ptr().cast()
}

fn apply(op: &PreparedOp, src_fd: c_int) -> Result<(), c_int> {
    // SAFETY: mount(2) and mount_setattr(2) with C strings prepared by the
    // parent and a MountAttr on our stack.
    unsafe {
        match op {
            PreparedOp::Bind { dst, recursive, .. } => {
                if src_fd < 0 {
                    return Err(libc::ENOENT);
                }
                let mut buf = [0u8; 40];
                let flags = libc::MS_BIND | if *recursive { libc::MS_REC } else { 0 };
                let src = fd_path(src_fd, &mut buf);
                sys::check(libc::mount(src, dst.as_ptr(), std::ptr::null(), flags, std::ptr::null())).map(drop)
            }
            PreparedOp::Tmpfs { dst, data } => sys::check(libc::mount(
                c"tmpfs".as_ptr(),
                dst.as_ptr(),
                c"tmpfs".as_ptr(),
                libc::MS_NOSUID | libc::MS_NODEV,
                data.as_ptr().cast(),
            ))
            .map(drop),
            PreparedOp::ReadOnly { path, readonly, recursive } => {
                let attr = MountAttr {
                    attr_set: if *readonly { MOUNT_ATTR_RDONLY } else { 0 },
                    attr_clr: if *readonly { 0 } else { MOUNT_ATTR_RDONLY },
                    propagation: 0,
                    userns_fd: 0,
                };
                let flags = if *recursive { AT_RECURSIVE } else { 0 };
                sys::check_long(libc::syscall(
                    libc::SYS_mount_setattr,
                    libc::AT_FDCWD,
                    path.as_ptr(),
                    flags,
                    &attr as *const MountAttr,
                    std::mem::size_of::<MountAttr>(),
                ))
                .map(drop)
            }
            // The mode exactly (the service's UMask= is already in effect
            // and must not narrow a directory others traverse).
            PreparedOp::MakeDir { path, mode } => match sys::check(libc::mkdir(path.as_ptr(), *mode)) {
                Err(libc::EEXIST) => Ok(()),
                Ok(_) => sys::check(libc::chmod(path.as_ptr(), *mode)).map(drop),
                Err(e) => Err(e),
            },
            PreparedOp::MakeFile { path } => {
                let fd = sys::check(libc::open(path.as_ptr(), libc::O_CREAT | libc::O_WRONLY | libc::O_CLOEXEC, 0o600))?;
                sys::close(fd);
                Ok(())
            }
            PreparedOp::Symlink { target, path } => sys::check(libc::symlink(target.as_ptr(), path.as_ptr())).map(drop),
            PreparedOp::Proc { data } => sys::check(libc::mount(
                c"proc".as_ptr(),
                c"/proc".as_ptr(),
                c"proc".as_ptr(),
                libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
                data.as_ptr().cast(),
            ))
            .map(drop),
            PreparedOp::Move { src, dst } => sys::check(libc::mount(
                src.as_ptr(),
                dst.as_ptr(),
                std::ptr::null(),
                libc::MS_MOVE,
                std::ptr::null(),
            ))
            .map(drop),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn fd_paths_are_built_on_the_stack() {
        let mut buf = [0u8; 40];
        let p = super::fd_path(123, &mut buf);
        // SAFETY: fd_path NUL-terminates inside buf.
        let s = unsafe { std::ffi::CStr::from_ptr(p) };
        assert_eq!(s.to_str(), Ok("/proc/self/fd/123"));
    }
}
