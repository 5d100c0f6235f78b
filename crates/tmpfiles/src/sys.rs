//! Thin, safe wrappers over the `*at()` system calls the rest of the crate
//! is built on.
//!
//! Every operation takes a directory file descriptor and a single file
//! name, never a multi-component path: names are resolved by
//! [`crate::fs::Root`] one component at a time, so a symlink planted in the
//! tree can never redirect an operation outside the root. File descriptors
//! of the resolved objects are `O_PATH` descriptors; operations that need a
//! real descriptor (`fchmod()`, `setxattr()`, the flag ioctls) go through
//! the `/proc/self/fd/N` magic link as systemd's `fchmod_opath()` does.
//!
//! All functions return `io::Result` with the raw `errno`, which callers
//! inspect (`EEXIST`, `ENOENT`, `ENOTEMPTY` carry meaning in tmpfiles.d(5)
//! semantics).

use std::ffi::{CStr, CString, OsStr, OsString};
use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};

/// `struct stat`, as returned by the kernel.
pub type Stat = libc::stat;

fn cstr(name: &OsStr) -> io::Result<CString> {
    CString::new(name.as_bytes()).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))
}

fn check(r: libc::c_int) -> io::Result<libc::c_int> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// `openat(dir, name, flags, mode)`.
pub fn openat(dir: RawFd, name: &OsStr, flags: libc::c_int, mode: u32) -> io::Result<OwnedFd> {
    let c = cstr(name)?;
    // SAFETY: `c` is a valid NUL-terminated string; the returned descriptor
    // is owned by nobody else.
    let fd = check(unsafe { libc::openat(dir, c.as_ptr(), flags | libc::O_CLOEXEC, mode as libc::c_uint) })?;
    // SAFETY: `fd` was just returned by the kernel and is ours.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// An `O_PATH|O_NOFOLLOW` descriptor of `name` in `dir`.
pub fn open_path(dir: RawFd, name: &OsStr) -> io::Result<OwnedFd> {
    openat(dir, name, libc::O_PATH | libc::O_NOFOLLOW, 0)
}

/// `fstat(fd)`.
pub fn fstat(fd: RawFd) -> io::Result<Stat> {
    let mut st = MaybeUninit::<Stat>::uninit();
    // SAFETY: `st` points to writable memory of the right size.
    check(unsafe { libc::fstat(fd, st.as_mut_ptr()) })?;
    // SAFETY: the kernel filled `st`.
    Ok(unsafe { st.assume_init() })
}

/// `fstatat(dir, name, AT_SYMLINK_NOFOLLOW)`.
pub fn lstatat(dir: RawFd, name: &OsStr) -> io::Result<Stat> {
    let c = cstr(name)?;
    let mut st = MaybeUninit::<Stat>::uninit();
    // SAFETY: valid string and buffer.
    check(unsafe { libc::fstatat(dir, c.as_ptr(), st.as_mut_ptr(), libc::AT_SYMLINK_NOFOLLOW) })?;
    // SAFETY: the kernel filled `st`.
    Ok(unsafe { st.assume_init() })
}

/// `mkdirat(dir, name, mode)`, subject to the umask (see
/// [`mkdirat_exact`]).
pub fn mkdirat(dir: RawFd, name: &OsStr, mode: u32) -> io::Result<()> {
    let c = cstr(name)?;
    // SAFETY: valid string.
    check(unsafe { libc::mkdirat(dir, c.as_ptr(), mode as libc::mode_t) }).map(drop)
}

/// `mknodat(dir, name, mode, dev)`.
pub fn mknodat(dir: RawFd, name: &OsStr, mode: u32, dev: libc::dev_t) -> io::Result<()> {
    let c = cstr(name)?;
    // SAFETY: valid string.
    check(unsafe { libc::mknodat(dir, c.as_ptr(), mode as libc::mode_t, dev) }).map(drop)
}

/// `symlinkat(target, dir, name)`.
pub fn symlinkat(target: &OsStr, dir: RawFd, name: &OsStr) -> io::Result<()> {
    let t = cstr(target)?;
    let c = cstr(name)?;
    // SAFETY: valid strings.
    check(unsafe { libc::symlinkat(t.as_ptr(), dir, c.as_ptr()) }).map(drop)
}

/// `readlinkat(dir, name)`; an empty `name` reads the symlink an `O_PATH`
/// descriptor refers to.
pub fn readlinkat(dir: RawFd, name: &OsStr) -> io::Result<OsString> {
    let c = cstr(name)?;
    let mut buf = vec![0u8; 256];
    loop {
        // SAFETY: `buf` is writable for `buf.len()` bytes.
        let n = unsafe { libc::readlinkat(dir, c.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        let n = n as usize;
        if n < buf.len() {
            buf.truncate(n);
            return Ok(OsString::from_vec(buf));
        }
        let bigger = buf.len() * 2;
        buf.resize(bigger, 0);
    }
}

/// `unlinkat(dir, name, 0 or AT_REMOVEDIR)`.
pub fn unlinkat(dir: RawFd, name: &OsStr, is_dir: bool) -> io::Result<()> {
    let c = cstr(name)?;
    let flags = if is_dir { libc::AT_REMOVEDIR } else { 0 };
    // SAFETY: valid string.
    check(unsafe { libc::unlinkat(dir, c.as_ptr(), flags) }).map(drop)
}

/// `renameat(olddir, old, newdir, new)`.
pub fn renameat(olddir: RawFd, old: &OsStr, newdir: RawFd, new: &OsStr) -> io::Result<()> {
    let o = cstr(old)?;
    let n = cstr(new)?;
    // SAFETY: valid strings.
    check(unsafe { libc::renameat(olddir, o.as_ptr(), newdir, n.as_ptr()) }).map(drop)
}

/// `linkat(olddir, old, newdir, new, 0)`.
pub fn linkat(olddir: RawFd, old: &OsStr, newdir: RawFd, new: &OsStr) -> io::Result<()> {
    let o = cstr(old)?;
    let n = cstr(new)?;
    // SAFETY: valid strings.
    check(unsafe { libc::linkat(olddir, o.as_ptr(), newdir, n.as_ptr(), 0) }).map(drop)
}

/// `fchownat(fd, "", uid, gid, AT_EMPTY_PATH)`: works on `O_PATH`
/// descriptors and never follows a symlink. `None` leaves that id alone.
pub fn fchown_fd(fd: RawFd, uid: Option<u32>, gid: Option<u32>) -> io::Result<()> {
    let u = uid.unwrap_or(u32::MAX);
    let g = gid.unwrap_or(u32::MAX);
    // SAFETY: empty NUL-terminated string.
    check(unsafe { libc::fchownat(fd, c"".as_ptr(), u, g, libc::AT_EMPTY_PATH) }).map(drop)
}

/// `/proc/self/fd/N`: the magic link through which an `O_PATH`
/// descriptor can be used where a path is needed.
pub fn proc_fd_path(fd: RawFd) -> CString {
    // A formatted integer never contains NUL.
    CString::new(format!("/proc/self/fd/{fd}")).unwrap_or_default()
}

/// `fchmod()` of an `O_PATH` descriptor, through `/proc/self/fd`
/// (systemd's `fchmod_opath()`). Never used on symlinks.
pub fn fchmod_opath(fd: RawFd, mode: u32) -> io::Result<()> {
    let p = proc_fd_path(fd);
    // SAFETY: valid string.
    check(unsafe { libc::chmod(p.as_ptr(), mode as libc::mode_t) }).map(drop)
}

/// Reopen an `O_PATH` descriptor with real access `flags`.
pub fn reopen(fd: RawFd, flags: libc::c_int) -> io::Result<OwnedFd> {
    let p = proc_fd_path(fd);
    // SAFETY: valid string; the descriptor is ours.
    let r = check(unsafe { libc::open(p.as_ptr(), flags | libc::O_CLOEXEC) })?;
    // SAFETY: fresh descriptor.
    Ok(unsafe { OwnedFd::from_raw_fd(r) })
}

/// `setxattr()` on the object an `O_PATH` descriptor refers to.
pub fn set_xattr(fd: RawFd, name: &str, value: &[u8]) -> io::Result<()> {
    let p = proc_fd_path(fd);
    let n = cstr(OsStr::new(name))?;
    // SAFETY: valid strings and buffer.
    check(unsafe { libc::setxattr(p.as_ptr(), n.as_ptr(), value.as_ptr().cast(), value.len(), 0) }).map(drop)
}

/// `getxattr()` on the object an `O_PATH` descriptor refers to; `None`
/// when the attribute does not exist (`ENODATA`).
pub fn get_xattr(fd: RawFd, name: &str) -> io::Result<Option<Vec<u8>>> {
    let p = proc_fd_path(fd);
    let n = cstr(OsStr::new(name))?;
    let mut buf = vec![0u8; 256];
    loop {
        // SAFETY: valid strings, writable buffer.
        let r = unsafe { libc::getxattr(p.as_ptr(), n.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
        if r >= 0 {
            buf.truncate(r as usize);
            return Ok(Some(buf));
        }
        let e = io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::ENODATA) => return Ok(None),
            Some(libc::ERANGE) => {
                let bigger = buf.len() * 4;
                buf.resize(bigger, 0);
            }
            _ => return Err(e),
        }
    }
}

/// `flistxattr()` of a real descriptor, as names.
pub fn list_xattrs(fd: RawFd) -> io::Result<Vec<CString>> {
    let mut buf = vec![0u8; 1024];
    loop {
        // SAFETY: writable buffer.
        let r = unsafe { libc::flistxattr(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if r >= 0 {
            buf.truncate(r as usize);
            return Ok(buf
                .split(|&b| b == 0)
                .filter(|s| !s.is_empty())
                .filter_map(|s| CString::new(s).ok())
                .collect());
        }
        let e = io::Error::last_os_error();
        if e.raw_os_error() == Some(libc::ERANGE) {
            let bigger = buf.len() * 4;
            buf.resize(bigger, 0);
        } else {
            return Err(e);
        }
    }
}

/// `fgetxattr()` of a real descriptor.
pub fn fget_xattr(fd: RawFd, name: &CStr) -> io::Result<Vec<u8>> {
    let mut buf = vec![0u8; 256];
    loop {
        // SAFETY: valid name, writable buffer.
        let r = unsafe { libc::fgetxattr(fd, name.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
        if r >= 0 {
            buf.truncate(r as usize);
            return Ok(buf);
        }
        let e = io::Error::last_os_error();
        if e.raw_os_error() == Some(libc::ERANGE) {
            let bigger = buf.len() * 4;
            buf.resize(bigger, 0);
        } else {
            return Err(e);
        }
    }
}

/// `fsetxattr()` of a real descriptor.
pub fn fset_xattr(fd: RawFd, name: &CStr, value: &[u8]) -> io::Result<()> {
    // SAFETY: valid name and buffer.
    check(unsafe { libc::fsetxattr(fd, name.as_ptr(), value.as_ptr().cast(), value.len(), 0) }).map(drop)
}

/// `FS_IOC_GETFLAGS` / `FS_IOC_SETFLAGS` (chattr(1) attributes).
pub fn get_flags(fd: RawFd) -> io::Result<u32> {
    let mut v: libc::c_int = 0;
    // SAFETY: the ioctl writes one int.
    check(unsafe { libc::ioctl(fd, libc::FS_IOC_GETFLAGS as _, &mut v) })?;
    Ok(v as u32)
}

pub fn set_flags(fd: RawFd, flags: u32) -> io::Result<()> {
    let v = flags as libc::c_int;
    // SAFETY: the ioctl reads one int.
    check(unsafe { libc::ioctl(fd, libc::FS_IOC_SETFLAGS as _, &v) }).map(drop)
}

/// `futimens(fd, [atime, mtime])` on a real descriptor.
pub fn futimens(fd: RawFd, atime: libc::timespec, mtime: libc::timespec) -> io::Result<()> {
    let ts = [atime, mtime];
    // SAFETY: two timespecs, as the call expects.
    check(unsafe { libc::futimens(fd, ts.as_ptr()) }).map(drop)
}

/// `utimensat(dir, name, times, AT_SYMLINK_NOFOLLOW)`.
pub fn lutimensat(dir: RawFd, name: &OsStr, atime: libc::timespec, mtime: libc::timespec) -> io::Result<()> {
    let c = cstr(name)?;
    let ts = [atime, mtime];
    // SAFETY: valid string, two timespecs.
    check(unsafe { libc::utimensat(dir, c.as_ptr(), ts.as_ptr(), libc::AT_SYMLINK_NOFOLLOW) }).map(drop)
}

/// `flock(fd, LOCK_EX|LOCK_NB)`: `false` when someone else holds a lock.
pub fn try_lock(fd: RawFd) -> io::Result<bool> {
    // SAFETY: plain syscall on our descriptor.
    let r = unsafe { libc::flock(fd, libc::LOCK_EX | libc::LOCK_NB) };
    if r == 0 {
        return Ok(true);
    }
    let e = io::Error::last_os_error();
    if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Ok(false)
    } else {
        Err(e)
    }
}

/// Write all of `data` to a real descriptor.
pub fn write_all(fd: RawFd, mut data: &[u8]) -> io::Result<()> {
    while !data.is_empty() {
        // SAFETY: `data` is readable for its length.
        let n = unsafe { libc::write(fd, data.as_ptr().cast(), data.len()) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        data = data.get(n as usize..).unwrap_or_default();
    }
    Ok(())
}

/// `ftruncate(fd, 0)`.
pub fn truncate(fd: RawFd) -> io::Result<()> {
    // SAFETY: plain syscall.
    check(unsafe { libc::ftruncate(fd, 0) }).map(drop)
}

/// The names in a directory (real descriptor, consumed), without `.` and
/// `..`.
pub fn read_dir(fd: OwnedFd) -> io::Result<Vec<OsString>> {
    let raw = fd.as_raw_fd();
    // SAFETY: fdopendir takes ownership of the descriptor on success.
    let dir = unsafe { libc::fdopendir(raw) };
    if dir.is_null() {
        return Err(io::Error::last_os_error());
    }
    std::mem::forget(fd);
    let mut out = Vec::new();
    loop {
        // SAFETY: errno is thread-local; readdir distinguishes end and error
        // through it.
        unsafe { *libc::__errno_location() = 0 };
        // SAFETY: `dir` is a valid DIR*.
        let ent = unsafe { libc::readdir(dir) };
        if ent.is_null() {
            let e = io::Error::last_os_error();
            // SAFETY: `dir` is valid and closed once.
            unsafe { libc::closedir(dir) };
            if e.raw_os_error().unwrap_or(0) != 0 {
                return Err(e);
            }
            break;
        }
        // SAFETY: d_name is NUL-terminated within the entry.
        let name = unsafe { CStr::from_ptr((*ent).d_name.as_ptr()) };
        let b = name.to_bytes();
        if b == b"." || b == b".." {
            continue;
        }
        out.push(OsString::from_vec(b.to_vec()));
    }
    Ok(out)
}

/// Open a directory given as an `O_PATH` descriptor for reading.
pub fn open_dir_for_read(fd: RawFd) -> io::Result<OwnedFd> {
    openat(fd, OsStr::new("."), libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NONBLOCK, 0)
}

/// Give a just-created object the permission bits the umask took away.
///
/// systemd clears the umask around creation; the umask is per process,
/// and a library must not change it under its callers' threads. So we
/// create with the wanted mode and then restore the bits (`0777` only:
/// the umask never touches set-id or sticky bits, and a set-group-id bit
/// inherited from the parent directory stays, as with a zero umask).
pub fn undo_umask(fd: RawFd, mode: u32) -> io::Result<()> {
    let st = fstat(fd)?;
    if is_lnk(&st) || (st.st_mode & 0o777) == (mode & 0o777) {
        return Ok(());
    }
    fchmod_opath(fd, (st.st_mode & 0o7000) | (mode & 0o777))
}

/// `mkdirat()` as if the umask were 0.
pub fn mkdirat_exact(dir: RawFd, name: &OsStr, mode: u32) -> io::Result<()> {
    mkdirat(dir, name, mode)?;
    let fd = openat(dir, name, libc::O_PATH | libc::O_NOFOLLOW | libc::O_DIRECTORY, 0)?;
    undo_umask(fd.as_raw_fd(), mode)
}

/// `mknodat()` as if the umask were 0.
pub fn mknodat_exact(dir: RawFd, name: &OsStr, mode: u32, dev: libc::dev_t) -> io::Result<()> {
    mknodat(dir, name, mode, dev)?;
    let fd = open_path(dir, name)?;
    undo_umask(fd.as_raw_fd(), mode)
}

/// `makedev(major, minor)`.
pub fn makedev(major: u32, minor: u32) -> libc::dev_t {
    libc::makedev(major, minor)
}

pub fn is_dir(st: &Stat) -> bool {
    st.st_mode & libc::S_IFMT == libc::S_IFDIR
}

pub fn is_lnk(st: &Stat) -> bool {
    st.st_mode & libc::S_IFMT == libc::S_IFLNK
}

pub fn is_reg(st: &Stat) -> bool {
    st.st_mode & libc::S_IFMT == libc::S_IFREG
}

pub fn file_type(st: &Stat) -> u32 {
    st.st_mode & libc::S_IFMT
}

/// Whether we hold `CAP_MKNOD` in our effective set; without it systemd
/// skips `c`/`b` lines quietly, as containers usually lack it.
pub fn have_cap_mknod() -> bool {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        // Without /proc assume what our uid suggests.
        // SAFETY: geteuid cannot fail.
        return unsafe { libc::geteuid() } == 0;
    };
    status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
        .is_some_and(|caps| caps & (1 << 27) != 0)
}

/// `fs.protected_hardlinks`: when off, changing the owner or mode of a
/// hard-linked file could be abused, so systemd refuses it.
pub fn hardlinks_protected() -> bool {
    std::fs::read_to_string("/proc/sys/fs/protected_hardlinks").map(|s| s.trim() == "1").unwrap_or(false)
}

/// Whether two descriptors refer to different mounts: the mount id of
/// `name_to_handle_at()` is the reliable test, `st_dev` the fallback.
pub fn mount_id(dir: RawFd, name: &OsStr) -> Option<i32> {
    #[repr(C)]
    struct Handle {
        bytes: u32,
        kind: i32,
        data: [u8; 128],
    }
    let c = cstr(name).ok()?;
    let mut h = Handle { bytes: 128, kind: 0, data: [0; 128] };
    let mut id: libc::c_int = 0;
    // SAFETY: the handle buffer is large enough for MAX_HANDLE_SZ (128).
    let r = unsafe {
        libc::syscall(
            libc::SYS_name_to_handle_at,
            dir,
            c.as_ptr(),
            &mut h as *mut Handle,
            &mut id as *mut libc::c_int,
            0,
        )
    };
    // EOVERFLOW still reports the mount id.
    if r == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EOVERFLOW) {
        Some(id)
    } else {
        None
    }
}
