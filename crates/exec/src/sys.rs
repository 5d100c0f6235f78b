//! Thin wrappers over the Linux system calls that `libc` exposes only as
//! raw numbers (pidfds, `close_range`, `capget`/`capset`), plus the few
//! allocation-free helpers the forked child needs (errno access, integer
//! formatting into a stack buffer).
//!
//! Everything here that the child calls is async-signal-safe: a system call
//! issued through [`crate::raw`] (no `errno`, no glibc state: a no-wait
//! `CLONE_VM` child shares the manager's thread-local storage), or
//! arithmetic on caller-provided buffers. Nothing allocates, nothing
//! panics (no indexing that could go out of bounds). [`errno`], [`check`]
//! and [`check_long`] are for the parent and for the sandbox steps, which
//! only ever run in a forked child.

use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

use libc::{c_int, c_long, c_uint, pid_t};

use crate::raw;

/// `prctl(2)` options. Declared here because not every `libc` release
/// exports all of them for every Linux target; the numbers are kernel ABI.
pub(crate) const PR_SET_PDEATHSIG: c_int = 1;
pub(crate) const PR_SET_KEEPCAPS: c_int = 8;
pub(crate) const PR_CAPBSET_READ: c_int = 23;
pub(crate) const PR_CAPBSET_DROP: c_int = 24;
pub(crate) const PR_GET_SECUREBITS: c_int = 27;
pub(crate) const PR_SET_SECUREBITS: c_int = 28;
pub(crate) const PR_SET_CHILD_SUBREAPER: c_int = 36;
pub(crate) const PR_SET_NO_NEW_PRIVS: c_int = 38;
pub(crate) const PR_CAP_AMBIENT: c_int = 47;
pub(crate) const PR_CAP_AMBIENT_RAISE: c_int = 2;
pub(crate) const PR_CAP_AMBIENT_CLEAR_ALL: c_int = 4;

/// `SECBIT_KEEP_CAPS`: bit 4 of the securebits; `PR_SET_KEEPCAPS` toggles it.
pub(crate) const SECBIT_KEEP_CAPS: c_int = 1 << 4;

/// Capability number of `CAP_SETPCAP`, needed in the effective set to drop
/// from the bounding set and to change securebits.
pub(crate) const CAP_SETPCAP: u32 = 8;

/// The current thread's errno. Reading it is async-signal-safe.
pub(crate) fn errno() -> c_int {
    // SAFETY: __errno_location always returns a valid thread-local pointer.
    unsafe { *libc::__errno_location() }
}

/// Turns a `-1` return into `Err(errno)`.
pub(crate) fn check(ret: c_int) -> Result<c_int, c_int> {
    if ret < 0 {
        Err(errno())
    } else {
        Ok(ret)
    }
}

/// Same as [`check`] for the `long` that `syscall(2)` returns.
pub(crate) fn check_long(ret: c_long) -> Result<c_long, c_int> {
    if ret < 0 {
        Err(errno())
    } else {
        Ok(ret)
    }
}

/// `pidfd_open(2)`: a descriptor that names exactly this process, immune to
/// PID reuse. Works on zombies, so a child that already died still gets one.
pub(crate) fn pidfd_open(pid: pid_t) -> io::Result<OwnedFd> {
    // SAFETY: plain system call with integer arguments.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0 as c_uint) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the kernel just handed us this descriptor; nobody else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

/// `pidfd_send_signal(2)` with no siginfo and no flags.
pub(crate) fn pidfd_send_signal(pidfd: RawFd, sig: c_int) -> Result<(), c_int> {
    // SAFETY: a null siginfo pointer is explicitly allowed by the syscall.
    let r = unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            pidfd,
            sig,
            std::ptr::null::<libc::siginfo_t>(),
            0 as c_uint,
        )
    };
    check_long(r).map(|_| ())
}

/// `CLONE_PIDFD`: the kernel stores a pidfd of the child at `clone_args.pidfd`.
pub(crate) const CLONE_PIDFD: u64 = 0x1000;
/// `CLONE_INTO_CGROUP` (Linux 5.7): the child starts in the cgroup whose
/// directory descriptor is `clone_args.cgroup`.
pub(crate) const CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;

/// `struct clone_args` up to `cgroup` (`CLONE_ARGS_SIZE_VER2`, 88 bytes).
#[repr(C)]
#[derive(Default)]
pub(crate) struct CloneArgs {
    pub(crate) flags: u64,
    pub(crate) pidfd: u64,
    pub(crate) child_tid: u64,
    pub(crate) parent_tid: u64,
    pub(crate) exit_signal: u64,
    pub(crate) stack: u64,
    pub(crate) stack_size: u64,
    pub(crate) tls: u64,
    pub(crate) set_tid: u64,
    pub(crate) set_tid_size: u64,
    pub(crate) cgroup: u64,
}

/// What [`clone_into_cgroup`] returned in the calling process.
pub(crate) enum Cloned {
    /// We are the new child.
    Child,
    /// We are the parent of `pid`; `pidfd` is -1 if none was returned.
    Parent { pid: pid_t, pidfd: RawFd },
}

/// `clone3(2)` with `CLONE_INTO_CGROUP | CLONE_PIDFD` and `SIGCHLD` as exit
/// signal, no new stack: a `fork(2)` whose child is born in the cgroup of
/// `cgroup_dir` (an `O_DIRECTORY` descriptor in the cgroup2 hierarchy) and
/// whose pidfd comes for free.
///
/// This is the raw system call, not glibc's `fork()`: no `pthread_atfork`
/// handlers run and glibc's per-thread bookkeeping in the child still
/// describes the parent's thread. The child may therefore only do what
/// the forked child of [`crate::spawn`] does anyway — async-signal-safe
/// system calls, then `execve` or `_exit`.
pub(crate) fn clone_into_cgroup(cgroup_dir: RawFd) -> Result<Cloned, c_int> {
    let mut pidfd: c_int = -1;
    let args = CloneArgs {
        flags: CLONE_INTO_CGROUP | CLONE_PIDFD,
        pidfd: &mut pidfd as *mut c_int as u64,
        exit_signal: libc::SIGCHLD as u64,
        cgroup: cgroup_dir as u64,
        ..CloneArgs::default()
    };
    // SAFETY: `args` is a valid clone_args of the size passed; with a zero
    // stack the child continues on a copy-on-write copy of our stack, as
    // after fork(2).
    let r = unsafe {
        libc::syscall(
            libc::SYS_clone3,
            &args as *const CloneArgs,
            std::mem::size_of::<CloneArgs>(),
        )
    };
    match check_long(r)? {
        0 => Ok(Cloned::Child),
        pid => Ok(Cloned::Parent {
            pid: pid as pid_t,
            pidfd,
        }),
    }
}

/// `close_range(2)` over `[first, last]`, flags 0.
pub(crate) fn close_range(first: c_uint, last: c_uint) -> Result<(), c_int> {
    raw::close_range(first, last)
}

/// Kernel capability ABI version 3 (64-bit sets split into two 32-bit words).
const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: c_int,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// The calling thread's three capability sets as 64-bit masks
/// (bit `n` = capability number `n`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct CapSets {
    pub effective: u64,
    pub permitted: u64,
    pub inheritable: u64,
}

/// `capget(2)` for the calling thread.
pub(crate) fn capget() -> Result<CapSets, c_int> {
    let mut hdr = CapHeader {
        version: LINUX_CAPABILITY_VERSION_3,
        pid: 0,
    };
    let mut data = [CapData::default(); 2];
    // A header and a two-element data array, as version 3 requires.
    raw::capget((&mut hdr as *mut CapHeader).cast(), data.as_mut_ptr().cast())?;
    let [lo, hi] = data;
    Ok(CapSets {
        effective: u64::from(lo.effective) | (u64::from(hi.effective) << 32),
        permitted: u64::from(lo.permitted) | (u64::from(hi.permitted) << 32),
        inheritable: u64::from(lo.inheritable) | (u64::from(hi.inheritable) << 32),
    })
}

/// `capset(2)` for the calling thread.
pub(crate) fn capset(sets: CapSets) -> Result<(), c_int> {
    let mut hdr = CapHeader {
        version: LINUX_CAPABILITY_VERSION_3,
        pid: 0,
    };
    // Truncating casts are the point: each word carries 32 capabilities.
    let data = [
        CapData {
            effective: sets.effective as u32,
            permitted: sets.permitted as u32,
            inheritable: sets.inheritable as u32,
        },
        CapData {
            effective: (sets.effective >> 32) as u32,
            permitted: (sets.permitted >> 32) as u32,
            inheritable: (sets.inheritable >> 32) as u32,
        },
    ];
    // A header and a two-element data array, as version 3 requires.
    raw::capset((&mut hdr as *mut CapHeader).cast(), data.as_ptr().cast())
}

/// `prctl(2)` with one integer argument (the rest zero).
pub(crate) fn prctl(option: c_int, a2: libc::c_ulong) -> Result<c_int, c_int> {
    prctl3(option, a2, 0)
}

/// `prctl(2)` with two integer arguments (the rest zero).
pub(crate) fn prctl3(option: c_int, a2: libc::c_ulong, a3: libc::c_ulong) -> Result<c_int, c_int> {
    // Every option used in this crate takes integer arguments only.
    raw::prctl(option, a2, a3)
}

/// Highest capability number the running kernel knows. Probed with
/// `PR_CAPBSET_READ`, which fails with `EINVAL` past the last one; cheaper
/// than reading `/proc/sys/kernel/cap_last_cap` and needs no `/proc`.
pub(crate) fn cap_last_cap() -> u32 {
    let mut last = 0u32;
    for cap in 0..64u32 {
        if prctl(PR_CAPBSET_READ, libc::c_ulong::from(cap)).is_err() {
            break;
        }
        last = cap;
    }
    last
}

/// Writes the decimal form of `value` into the end of `buf` and returns the
/// written part. `buf` holds any `i64` (20 digits and a sign).
pub(crate) fn format_i64(value: i64, buf: &mut [u8; 24]) -> &[u8] {
    let negative = value < 0;
    let mut magnitude = value.unsigned_abs();
    let mut start = buf.len();
    loop {
        start -= 1;
        if let Some(slot) = buf.get_mut(start) {
            *slot = b'0' + (magnitude % 10) as u8;
        }
        magnitude /= 10;
        if magnitude == 0 {
            break;
        }
    }
    if negative {
        start -= 1;
        if let Some(slot) = buf.get_mut(start) {
            *slot = b'-';
        }
    }
    buf.get(start..).unwrap_or(&[])
}

/// `write(2)` of a whole buffer, retrying on `EINTR` and short writes.
pub(crate) fn write_all(fd: RawFd, mut bytes: &[u8]) -> Result<(), c_int> {
    while !bytes.is_empty() {
        match raw::write(fd, bytes) {
            Ok(n) => bytes = bytes.get(n..).unwrap_or(&[]),
            Err(libc::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// `close(2)`, ignoring the result: used only on descriptors we opened.
pub(crate) fn close(fd: RawFd) {
    let _ = raw::close(fd);
}

/// The calling process's PID, for the parent side of a spawn (its
/// `parent_pid`, the "are we PID 1" test): glibc no longer caches
/// `getpid()`, and a spawn asked twice, two system calls per unit.
/// Cached after the first call; a `fork(2)`ed child (whose PID differs)
/// forgets it through a `pthread_atfork(3)` handler before it runs any
/// code of ours. `CLONE_VM` children made by `vfork.rs` skip atfork
/// handlers but never call this: their steps use [`raw::getpid`].
pub(crate) fn own_pid() -> pid_t {
    use std::sync::atomic::{AtomicI32, Ordering};
    use std::sync::Once;
    static PID: AtomicI32 = AtomicI32::new(0);
    static FORGET: Once = Once::new();
    extern "C" fn forget() {
        PID.store(0, Ordering::Relaxed);
    }
    let pid = PID.load(Ordering::Relaxed);
    if pid != 0 {
        return pid;
    }
    FORGET.call_once(|| {
        // SAFETY: registers a handler that only stores to an atomic.
        unsafe { libc::pthread_atfork(None, None, Some(forget)) };
    });
    // SAFETY: getpid cannot fail.
    let pid = unsafe { libc::getpid() };
    PID.store(pid, Ordering::Relaxed);
    pid
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_i64_covers_edges() {
        let mut buf = [0u8; 24];
        assert_eq!(format_i64(0, &mut buf), b"0");
        assert_eq!(format_i64(-1000, &mut buf), b"-1000");
        assert_eq!(format_i64(i64::MIN, &mut buf), b"-9223372036854775808");
        assert_eq!(format_i64(i64::MAX, &mut buf), b"9223372036854775807");
    }

    #[test]
    fn cap_last_cap_matches_proc() {
        let text =
            std::fs::read_to_string("/proc/sys/kernel/cap_last_cap").expect("read cap_last_cap");
        assert_eq!(cap_last_cap().to_string(), text.trim());
    }

    #[test]
    fn capget_reads_own_sets() {
        let sets = capget().expect("capget");
        let status = std::fs::read_to_string("/proc/self/status").expect("status");
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .map(|v| u64::from_str_radix(v.trim(), 16).expect("hex"))
                .expect("field present")
        };
        assert_eq!(sets.permitted, field("CapPrm:"));
        assert_eq!(sets.inheritable, field("CapInh:"));
    }
}
