//! System calls issued directly, without glibc and without `errno`: the
//! only way the setup steps talk to the kernel.
//!
//! # Why
//!
//! A child made by [`crate::vfork`]'s no-wait clone runs on the manager's
//! thread pointer (`fs` base) *while the manager runs too*: glibc's
//! wrappers store failures in the thread-local `errno`, which is the
//! manager's, and some of them read or write other per-thread state
//! (cancellation flags, the `setxid` broadcast of `setresuid()`). Every
//! call here is one `syscall` instruction whose result comes back in a
//! register: `Err(errno)` for the kernel's `-4095..=-1`, `Ok(value)`
//! otherwise. Nothing here reads or writes memory other than the caller's
//! arguments (the `memory` clobber of `asm!` tells the compiler the kernel
//! may read and write through them).
//!
//! Where `syscall` is not available as inline assembly (other
//! architectures) the same functions go through `libc::syscall` and
//! `errno`: there the no-wait path is never taken ([`crate::vfork`]), and
//! a forked child (its own memory) may use `errno` freely.

use libc::{c_char, c_int, c_long, c_uint, c_ulong, pid_t};

/// One system call with up to six arguments (unused ones are zero and
/// ignored by the kernel). `Err` carries the positive errno.
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn call(nr: c_long, a: [usize; 6]) -> Result<usize, c_int> {
    let ret: isize;
    // SAFETY: the x86-64 system call ABI: number in rax, arguments in rdi,
    // rsi, rdx, r10, r8, r9; the kernel clobbers rcx and r11 and returns in
    // rax. What the kernel does with pointer arguments is the caller's
    // affair (each wrapper below passes valid ones); the default `asm!`
    // assumptions (memory read and written) cover it.
    unsafe {
        core::arch::asm!(
            "syscall",
            inlateout("rax") nr as isize => ret,
            in("rdi") a[0],
            in("rsi") a[1],
            in("rdx") a[2],
            in("r10") a[3],
            in("r8") a[4],
            in("r9") a[5],
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack),
        );
    }
    if (-4095..0).contains(&ret) {
        Err(-ret as c_int)
    } else {
        Ok(ret as usize)
    }
}

#[cfg(not(target_arch = "x86_64"))]
pub(crate) fn call(nr: c_long, a: [usize; 6]) -> Result<usize, c_int> {
    // SAFETY: as above; errno is ours here (module docs).
    let r = unsafe { libc::syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]) };
    if r < 0 {
        Err(crate::sys::errno())
    } else {
        Ok(r as usize)
    }
}

fn p<T>(ptr: *const T) -> usize {
    ptr as usize
}

/// Sign-extends a (possibly negative) `c_int` into a register argument.
fn i(v: c_int) -> usize {
    v as isize as usize
}

fn int(r: Result<usize, c_int>) -> Result<c_int, c_int> {
    r.map(|v| v as c_int)
}

pub(crate) fn open(path: *const c_char, flags: c_int, mode: c_uint) -> Result<c_int, c_int> {
    int(call(libc::SYS_openat, [i(libc::AT_FDCWD), p(path), i(flags), mode as usize, 0, 0]))
}

pub(crate) fn close(fd: c_int) -> Result<(), c_int> {
    call(libc::SYS_close, [i(fd), 0, 0, 0, 0, 0]).map(drop)
}

pub(crate) fn write(fd: c_int, buf: &[u8]) -> Result<usize, c_int> {
    call(libc::SYS_write, [i(fd), p(buf.as_ptr()), buf.len(), 0, 0, 0])
}

pub(crate) fn fcntl(fd: c_int, cmd: c_int, arg: c_int) -> Result<c_int, c_int> {
    int(call(libc::SYS_fcntl, [i(fd), i(cmd), i(arg), 0, 0, 0]))
}

/// `dup2(2)` semantics over `dup3(2)` (which refuses `old == new`).
pub(crate) fn dup2(old: c_int, new: c_int) -> Result<c_int, c_int> {
    if old == new {
        return fcntl(old, libc::F_GETFD, 0).map(|_| new);
    }
    int(call(libc::SYS_dup3, [i(old), i(new), 0, 0, 0, 0]))
}

pub(crate) fn lseek(fd: c_int, off: i64, whence: c_int) -> Result<i64, c_int> {
    call(libc::SYS_lseek, [i(fd), off as usize, i(whence), 0, 0, 0]).map(|v| v as i64)
}

pub(crate) fn memfd_create(name: *const c_char, flags: c_uint) -> Result<c_int, c_int> {
    int(call(libc::SYS_memfd_create, [p(name), flags as usize, 0, 0, 0, 0]))
}

pub(crate) fn socket(domain: c_int, ty: c_int, proto: c_int) -> Result<c_int, c_int> {
    int(call(libc::SYS_socket, [i(domain), i(ty), i(proto), 0, 0, 0]))
}

pub(crate) fn connect(fd: c_int, addr: *const libc::sockaddr, len: libc::socklen_t) -> Result<(), c_int> {
    call(libc::SYS_connect, [i(fd), p(addr), len as usize, 0, 0, 0]).map(drop)
}

pub(crate) fn shutdown(fd: c_int, how: c_int) -> Result<(), c_int> {
    call(libc::SYS_shutdown, [i(fd), i(how), 0, 0, 0, 0]).map(drop)
}

pub(crate) fn ioctl(fd: c_int, req: c_ulong, arg: usize) -> Result<c_int, c_int> {
    int(call(libc::SYS_ioctl, [i(fd), req as usize, arg, 0, 0, 0]))
}

pub(crate) fn getdents64(fd: c_int, buf: &mut [u8]) -> Result<usize, c_int> {
    call(libc::SYS_getdents64, [i(fd), p(buf.as_mut_ptr()), buf.len(), 0, 0, 0])
}

pub(crate) fn close_range(first: c_uint, last: c_uint) -> Result<(), c_int> {
    call(libc::SYS_close_range, [first as usize, last as usize, 0, 0, 0, 0]).map(drop)
}

pub(crate) fn getpid() -> pid_t {
    call(libc::SYS_getpid, [0; 6]).map_or(0, |v| v as pid_t)
}

pub(crate) fn getppid() -> pid_t {
    call(libc::SYS_getppid, [0; 6]).map_or(0, |v| v as pid_t)
}

pub(crate) fn setsid() -> Result<(), c_int> {
    call(libc::SYS_setsid, [0; 6]).map(drop)
}

pub(crate) fn setpriority(which: c_int, who: c_int, prio: c_int) -> Result<(), c_int> {
    call(libc::SYS_setpriority, [i(which), i(who), i(prio), 0, 0, 0]).map(drop)
}

/// The nice level: the system call returns `20 - nice` (1..=40) so that
/// no success looks like an error (`getpriority(2)`, "C library/kernel
/// differences").
pub(crate) fn getpriority(which: c_int, who: c_int) -> Result<c_int, c_int> {
    call(libc::SYS_getpriority, [i(which), i(who), 0, 0, 0, 0]).map(|v| 20 - v as c_int)
}

/// `prlimit64(2)` on the calling process: sets `new` when given, returns
/// the limit from before.
pub(crate) fn prlimit(resource: c_int, new: Option<&libc::rlimit>) -> Result<libc::rlimit, c_int> {
    let mut old = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    let new = new.map_or(0, |n| p(n));
    call(libc::SYS_prlimit64, [0, i(resource), new, p(std::ptr::addr_of_mut!(old)), 0, 0])?;
    Ok(old)
}

pub(crate) fn umask(mask: libc::mode_t) {
    let _ = call(libc::SYS_umask, [mask as usize, 0, 0, 0, 0, 0]);
}

pub(crate) fn chroot(path: *const c_char) -> Result<(), c_int> {
    call(libc::SYS_chroot, [p(path), 0, 0, 0, 0, 0]).map(drop)
}

pub(crate) fn chdir(path: *const c_char) -> Result<(), c_int> {
    call(libc::SYS_chdir, [p(path), 0, 0, 0, 0, 0]).map(drop)
}

pub(crate) fn prctl(option: c_int, a2: c_ulong, a3: c_ulong) -> Result<c_int, c_int> {
    int(call(libc::SYS_prctl, [i(option), a2 as usize, a3 as usize, 0, 0, 0]))
}

pub(crate) fn setgroups(list: &[libc::gid_t]) -> Result<(), c_int> {
    call(libc::SYS_setgroups, [list.len(), p(list.as_ptr()), 0, 0, 0, 0]).map(drop)
}

pub(crate) fn setresgid(gid: libc::gid_t) -> Result<(), c_int> {
    let g = gid as usize;
    call(libc::SYS_setresgid, [g, g, g, 0, 0, 0]).map(drop)
}

pub(crate) fn setresuid(uid: libc::uid_t) -> Result<(), c_int> {
    let u = uid as usize;
    call(libc::SYS_setresuid, [u, u, u, 0, 0, 0]).map(drop)
}

pub(crate) fn capget(hdr: *mut u8, data: *mut u8) -> Result<(), c_int> {
    call(libc::SYS_capget, [p(hdr), p(data), 0, 0, 0, 0]).map(drop)
}

pub(crate) fn capset(hdr: *mut u8, data: *const u8) -> Result<(), c_int> {
    call(libc::SYS_capset, [p(hdr), p(data), 0, 0, 0, 0]).map(drop)
}

/// Returns only on failure.
pub(crate) fn execve(
    path: *const c_char,
    argv: *const *const c_char,
    envp: *const *const c_char,
) -> c_int {
    call(libc::SYS_execve, [p(path), p(argv), p(envp), 0, 0, 0]).err().unwrap_or(libc::EINVAL)
}

/// The kernel's `struct sigaction` for `rt_sigaction(2)` with no handler
/// function: `SIG_DFL` or `SIG_IGN`, no flags, an empty mask. (The
/// layout differs between architectures only in the order of fields that
/// are all zero here but the first; 32 bytes cover the largest.)
#[repr(C)]
struct KernelSigaction {
    handler: usize,
    rest: [usize; 3],
}

/// Size of the kernel's signal set (64 signals).
const SIGSET_SIZE: usize = 8;

/// Sets `sig`'s disposition to `SIG_DFL` (`ignore`: `SIG_IGN`). Unlike
/// glibc's `sigaction()`, also works on the signals glibc reserves.
pub(crate) fn set_disposition(sig: c_int, ignore: bool) -> Result<(), c_int> {
    let act = KernelSigaction {
        handler: if ignore { libc::SIG_IGN } else { libc::SIG_DFL },
        rest: [0; 3],
    };
    call(libc::SYS_rt_sigaction, [i(sig), p(&act), 0, SIGSET_SIZE, 0, 0]).map(drop)
}

/// `rt_sigprocmask(how, set)` with a 64-bit mask (bit `n - 1` = signal `n`).
pub(crate) fn sigprocmask(how: c_int, set: u64) -> Result<(), c_int> {
    call(libc::SYS_rt_sigprocmask, [i(how), p(&set), 0, SIGSET_SIZE, 0, 0]).map(drop)
}

/// `exit_group(2)`: ends the child without running anything of the
/// parent's (no atexit handlers, no stdio flushing).
pub(crate) fn exit(code: c_int) -> ! {
    loop {
        let _ = call(libc::SYS_exit_group, [i(code), 0, 0, 0, 0, 0]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_come_back_without_errno() {
        // SAFETY: writing our own errno.
        unsafe { *libc::__errno_location() = 0 };
        assert_eq!(close(-1), Err(libc::EBADF));
        assert_eq!(open(c"/nonexistent/x".as_ptr(), libc::O_RDONLY, 0), Err(libc::ENOENT));
        assert_eq!(crate::sys::errno(), 0);
    }

    #[test]
    fn getpriority_is_the_nice_level() {
        // SAFETY: plain libc call.
        let nice = unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) };
        assert_eq!(getpriority(libc::PRIO_PROCESS as c_int, 0), Ok(nice));
    }

    #[test]
    fn prlimit_reads_the_limit() {
        // SAFETY: plain old data and a valid pointer.
        let mut rl: libc::rlimit = unsafe { std::mem::zeroed() };
        // SAFETY: as above.
        unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl) };
        let got = prlimit(libc::RLIMIT_NOFILE as c_int, None).expect("prlimit");
        assert_eq!((got.rlim_cur, got.rlim_max), (rl.rlim_cur, rl.rlim_max));
    }

    #[test]
    fn pids_match_libc() {
        // SAFETY: plain libc calls.
        assert_eq!(getpid(), unsafe { libc::getpid() });
        assert_eq!(getppid(), unsafe { libc::getppid() });
    }
}
