//! Descriptor steps: lift, standard streams, listen fds, close the rest.
//! Child-side code: async-signal-safe only (see the parent module).
//!
//! The invariant that makes the `dup2` dance safe: after [`lift_fds`] every
//! source descriptor lives at or above `3 + n_listen`, so writing targets
//! 0..3+n can never destroy a source that a later step still reads.

use std::ffi::CStr;

use libc::c_int;

use super::Ctx;
use crate::prepare::PStdio;
use crate::raw;
use crate::sys;

fn target_floor(ctx: &Ctx<'_>) -> c_int {
    3 + c_int::try_from(ctx.plan.listen_fds.len()).unwrap_or(c_int::MAX - 3)
}

fn dup_above(fd: c_int, floor: c_int) -> Result<c_int, c_int> {
    raw::fcntl(fd, libc::F_DUPFD_CLOEXEC, floor)
}

/// Step 4: duplicate the report pipe and every caller descriptor to
/// `>= 3 + n_listen` (close-on-exec copies; the step that consumes each
/// copy `dup2`s it into place, and [`close_other_fds`] drops the copies).
pub(super) fn lift_fds(ctx: &mut Ctx<'_>) -> Result<(), c_int> {
    let floor = target_floor(ctx);
    if (0..floor).contains(&ctx.report_fd) {
        let old = ctx.report_fd;
        ctx.report_fd = dup_above(old, floor)?;
        sys::close(old);
    }
    for (slot, stdio) in ctx.lifted.iter_mut().zip(ctx.plan.stdio.iter()) {
        if let PStdio::Fd { fd, .. } = stdio {
            *slot = dup_above(*fd, floor)?;
        }
    }
    for (slot, fd) in ctx
        .lifted
        .iter_mut()
        .skip(3)
        .zip(ctx.plan.listen_fds.iter())
    {
        *slot = dup_above(*fd, floor)?;
    }
    Ok(())
}

/// Puts `fd` at `target` without close-on-exec and closes the original.
fn move_to(fd: c_int, target: c_int) -> Result<(), c_int> {
    if fd == target {
        // Clears FD_CLOEXEC so the service inherits it.
        raw::fcntl(fd, libc::F_SETFD, 0)?;
        return Ok(());
    }
    // The new descriptor never has FD_CLOEXEC.
    let r = raw::dup2(fd, target);
    sys::close(fd);
    r.map(|_| ())
}

fn set_nonblock(fd: c_int, on: bool) -> Result<(), c_int> {
    let flags = raw::fcntl(fd, libc::F_GETFL, 0)?;
    let want = if on {
        flags | libc::O_NONBLOCK
    } else {
        flags & !libc::O_NONBLOCK
    };
    if want != flags {
        raw::fcntl(fd, libc::F_SETFL, want)?;
    }
    Ok(())
}

/// systemd's `acquire_path()` fallback: `open(2)` of an `AF_UNIX` socket
/// fails with `ENXIO`; connect to it instead, shutting down the direction
/// the stream does not use.
fn connect_unix(path: &CStr, accmode: c_int) -> Result<c_int, c_int> {
    // SAFETY: sockaddr_un is plain old data.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    let bytes = path.to_bytes();
    if bytes.len() >= addr.sun_path.len() {
        return Err(libc::ENXIO);
    }
    for (dst, src) in addr.sun_path.iter_mut().zip(bytes.iter()) {
        *dst = *src as libc::c_char;
    }
    let fd = raw::socket(libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0)?;
    let len = std::mem::size_of::<libc::sa_family_t>() + bytes.len() + 1;
    // addr is a valid sockaddr_un of at least `len` bytes.
    let r = raw::connect(fd, (&addr as *const libc::sockaddr_un).cast(), len as libc::socklen_t);
    if let Err(e) = r {
        sys::close(fd);
        // Not a socket after all: report the original error.
        return Err(if e == libc::ENOTSOCK || e == libc::EINVAL {
            libc::ENXIO
        } else {
            e
        });
    }
    let how = match accmode {
        libc::O_RDONLY => Some(libc::SHUT_WR),
        libc::O_WRONLY => Some(libc::SHUT_RD),
        _ => None,
    };
    if let Some(how) = how {
        if let Err(e) = raw::shutdown(fd, how) {
            sys::close(fd);
            return Err(e);
        }
    }
    Ok(fd)
}

fn setup_stream(ctx: &mut Ctx<'_>, target: c_int) -> Result<(), c_int> {
    let Some(stdio) = usize::try_from(target)
        .ok()
        .and_then(|i| ctx.plan.stdio.get(i))
    else {
        return Err(libc::EBADF);
    };
    let output_mode = if target == 0 {
        libc::O_RDONLY
    } else {
        libc::O_WRONLY
    };
    match stdio {
        PStdio::Keep => Ok(()),
        PStdio::Null => {
            let fd = raw::open(c"/dev/null".as_ptr(), output_mode | libc::O_NOCTTY | libc::O_CLOEXEC, 0)?;
            move_to(fd, target)
        }
        PStdio::DupStdin => {
            raw::dup2(0, target).map(|_| ())
        }
        PStdio::DupStdout => {
            raw::dup2(1, target).map(|_| ())
        }
        PStdio::Fd { socket, .. } => {
            let Some(&src) = usize::try_from(target).ok().and_then(|i| ctx.lifted.get(i)) else {
                return Err(libc::EBADF);
            };
            if *socket {
                // A socket handed over as a stream must block, as programs
                // written for inetd expect (systemd does the same).
                set_nonblock(src, false)?;
            }
            raw::dup2(src, target).map(|_| ())
        }
        PStdio::Tty(path) => {
            let mode = if target == 0 {
                libc::O_RDWR
            } else {
                libc::O_WRONLY
            };
            // NUL-terminated path prepared before fork.
            let fd = raw::open(path.as_ptr(), mode | libc::O_NOCTTY | libc::O_CLOEXEC, 0)?;
            move_to(fd, target)?;
            if target == 0 {
                // Become the terminal's controlling process (we are a
                // session leader after setsid); fail like `tty-fail`.
                raw::ioctl(0, libc::TIOCSCTTY, 0)?;
            }
            Ok(())
        }
        PStdio::File { path, flags, mode } => {
            // NUL-terminated path prepared before fork.
            let fd = match raw::open(path.as_ptr(), *flags, libc::c_uint::from(*mode)) {
                Ok(fd) => fd,
                Err(libc::ENXIO) => connect_unix(path, *flags & libc::O_ACCMODE)?,
                Err(e) => return Err(e),
            };
            move_to(fd, target)
        }
        PStdio::Data(bytes) => move_to(data_fd(bytes)?, target),
    }
}

/// `StandardInput=data`: a memfd holding `bytes`, rewound and sealed
/// against any change, as systemd's `acquire_data_fd()` hands it out.
fn data_fd(bytes: &[u8]) -> Result<c_int, c_int> {
    let fd = raw::memfd_create(c"data-fd".as_ptr(), libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING)?;
    let sealed = sys::write_all(fd, bytes).and_then(|()| {
        raw::lseek(fd, 0, libc::SEEK_SET)?;
        let seals = libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_WRITE | libc::F_SEAL_SEAL;
        raw::fcntl(fd, libc::F_ADD_SEALS, seals).map(|_| ())
    });
    match sealed {
        Ok(()) => Ok(fd),
        Err(e) => {
            sys::close(fd);
            Err(e)
        }
    }
}

/// Step 5.
pub(super) fn setup_stdin(ctx: &mut Ctx<'_>) -> Result<(), c_int> {
    setup_stream(ctx, 0)
}

/// Step 6.
pub(super) fn setup_stdout(ctx: &mut Ctx<'_>) -> Result<(), c_int> {
    setup_stream(ctx, 1)
}

/// Step 7.
pub(super) fn setup_stderr(ctx: &mut Ctx<'_>) -> Result<(), c_int> {
    setup_stream(ctx, 2)
}

/// Step 8: listen fds to 3, 4, …, with `O_NONBLOCK` per `NonBlocking=`.
pub(super) fn place_listen_fds(ctx: &mut Ctx<'_>) -> Result<(), c_int> {
    let non_blocking = ctx.plan.non_blocking;
    for (i, src) in ctx.lifted.iter().skip(3).enumerate() {
        let target = 3 + c_int::try_from(i).map_err(|_| libc::EBADF)?;
        set_nonblock(*src, non_blocking)?;
        raw::dup2(*src, target)?;
    }
    Ok(())
}

/// Step 9: close every descriptor `>= 3 + n_listen` except the report pipe.
pub(super) fn close_other_fds(ctx: &mut Ctx<'_>) -> Result<(), c_int> {
    let floor = target_floor(ctx);
    close_from(floor, ctx.report_fd)
}

/// Closes all descriptors `>= floor` except `keep` (which is `>= floor`,
/// or -1 for none).
fn close_from(floor: c_int, keep: c_int) -> Result<(), c_int> {
    let first = floor as libc::c_uint;
    let r = if keep < floor {
        sys::close_range(first, libc::c_uint::MAX)
    } else {
        let keep = keep as libc::c_uint;
        if keep > first { sys::close_range(first, keep - 1) } else { Ok(()) }
            .and_then(|()| sys::close_range(keep + 1, libc::c_uint::MAX))
    };
    match r {
        Ok(()) => Ok(()),
        // Kernels before 5.9 have no close_range.
        Err(libc::ENOSYS) => close_via_proc(floor, keep).or_else(|_| close_brute(floor, keep)),
        Err(e) => Err(e),
    }
}

/// Parses a decimal descriptor number from a directory entry name.
fn parse_fd(name: &[u8]) -> Option<c_int> {
    if name.is_empty() || name.len() > 9 {
        return None;
    }
    let mut v: c_int = 0;
    for &b in name {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v * 10 + c_int::from(b - b'0');
    }
    Some(v)
}

/// Fallback: walk `/proc/self/fd` with raw `getdents64` into a stack
/// buffer (`opendir` would allocate).
pub(super) fn close_via_proc(floor: c_int, keep: c_int) -> Result<(), c_int> {
    let dir = raw::open(c"/proc/self/fd".as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC, 0)?;
    let mut buf = [0u8; 2048];
    loop {
        let n = match raw::getdents64(dir, &mut buf) {
            Ok(n) => n,
            Err(e) => {
                sys::close(dir);
                return Err(e);
            }
        };
        if n == 0 {
            break;
        }
        let mut off = 0usize;
        let end = n;
        // linux_dirent64: u64 ino, i64 off, u16 reclen, u8 type, name.
        while off + 19 < end {
            let Some(rec) = buf.get(off..end) else { break };
            let reclen = match (rec.get(16), rec.get(17)) {
                (Some(&a), Some(&b)) => usize::from(u16::from_ne_bytes([a, b])),
                _ => break,
            };
            if reclen == 0 {
                break;
            }
            let name = rec.get(19..reclen.min(rec.len())).unwrap_or(&[]);
            let name_len = name.iter().position(|&b| b == 0).unwrap_or(name.len());
            if let Some(fd) = parse_fd(name.get(..name_len).unwrap_or(&[])) {
                if fd >= floor && fd != keep && fd != dir {
                    sys::close(fd);
                }
            }
            off += reclen;
        }
    }
    sys::close(dir);
    Ok(())
}

/// Last resort without `/proc`: close every number up to the soft
/// `RLIMIT_NOFILE`, capped so that a huge limit cannot stall the spawn.
fn close_brute(floor: c_int, keep: c_int) -> Result<(), c_int> {
    let rl = raw::prlimit(libc::RLIMIT_NOFILE as c_int, None)?;
    let max = rl.rlim_cur.min(65_536) as c_int;
    for fd in floor..max {
        if fd != keep {
            sys::close(fd);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::testing::in_child;
    use super::*;

    #[test]
    fn parse_fd_rejects_dots_and_garbage() {
        assert_eq!(parse_fd(b"17"), Some(17));
        assert_eq!(parse_fd(b"."), None);
        assert_eq!(parse_fd(b".."), None);
        assert_eq!(parse_fd(b""), None);
    }

    fn fd_open(fd: c_int) -> bool {
        // SAFETY: F_GETFD only queries.
        unsafe { libc::fcntl(fd, libc::F_GETFD) >= 0 }
    }

    #[test]
    fn proc_fallback_closes_all_but_kept() {
        // Open a few descriptors before fork; the child closes them through
        // the /proc walk and checks what is left.
        let files: Vec<std::fs::File> = (0..4)
            .map(|_| std::fs::File::open("/dev/null").expect("open"))
            .collect();
        let raw: Vec<c_int> = files.iter().map(std::os::fd::AsRawFd::as_raw_fd).collect();
        let keep = *raw.iter().max().expect("fds");
        let floor = *raw.iter().min().expect("fds");
        let ok = in_child(|| {
            if close_via_proc(floor, keep).is_err() {
                return false;
            }
            raw.iter().all(|&fd| fd_open(fd) == (fd == keep)) && fd_open(0)
        });
        assert!(ok);
    }

    #[test]
    fn brute_fallback_closes_all_but_kept() {
        let files: Vec<std::fs::File> = (0..3)
            .map(|_| std::fs::File::open("/dev/null").expect("open"))
            .collect();
        let raw: Vec<c_int> = files.iter().map(std::os::fd::AsRawFd::as_raw_fd).collect();
        let keep = *raw.iter().min().expect("fds");
        let ok = in_child(|| {
            if close_brute(keep, keep).is_err() {
                return false;
            }
            raw.iter().all(|&fd| fd_open(fd) == (fd == keep))
        });
        assert!(ok);
    }
}
