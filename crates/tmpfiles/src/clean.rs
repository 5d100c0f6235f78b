//! Age-based cleanup (`--clean`) of `d D e v q Q C x X` directories with
//! an age (tmpfiles.d(5), "Age"; systemd's `dir_cleanup()`).
//!
//! An entry below the directory is removed when *every* timestamp its
//! age-by set selects is older than now minus the age: by default atime,
//! btime, ctime and mtime for files, and all but ctime for directories —
//! removing entries changes a directory's ctime, so counting it would let
//! each run keep the next from ever cleaning. The walk:
//!
//! - never leaves the file system or enters a mount point;
//! - skips entries that have their own line (literal or glob), which
//!   apply their own rules — that is how `x`/`X` protect paths;
//! - descends into subdirectories first (at most 256 levels), then removes
//!   the subdirectory itself if old and empty;
//! - keeps files with the sticky bit, device nodes, sockets still listed
//!   in `/proc/net/unix`, and root-owned `lost+found`, `.journal`,
//!   `aquota.user`, `aquota.group` at the top of a mount;
//! - skips any file or directory someone holds a BSD lock on (`flock`),
//!   so an application can protect a tree while it works in it;
//! - with `~` on the age, keeps the first level and cleans only below it;
//! - restores the directory's own atime/mtime after deleting in it.
//!
//! Main function: [`clean_directory`].

use std::ffi::OsStr;
use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::fs::Root;
use crate::item::AgeBy;
use crate::sys;

const MAX_DEPTH: u32 = 256;

/// How to clean one directory.
#[derive(Clone, Copy, Debug)]
pub struct CleanOptions {
    /// Entries older than this many microseconds go.
    pub age_usec: u64,
    pub keep_first_level: bool,
    pub age_by_file: AgeBy,
    pub age_by_dir: AgeBy,
}

/// The timestamps of one entry, in nanoseconds since the epoch.
#[derive(Clone, Copy, Debug, Default)]
pub struct Times {
    pub atime: u64,
    pub btime: u64,
    pub ctime: u64,
    pub mtime: u64,
}

/// `needs_cleanup()`: old by every selected timestamp.
pub fn is_old(t: &Times, cutoff_ns: u64, by: AgeBy) -> bool {
    !((by.has(AgeBy::MTIME) && t.mtime >= cutoff_ns)
        || (by.has(AgeBy::ATIME) && t.atime >= cutoff_ns)
        || (by.has(AgeBy::CTIME) && t.ctime >= cutoff_ns)
        || (by.has(AgeBy::BTIME) && t.btime >= cutoff_ns))
}

struct Entry {
    mode: u32,
    uid: u32,
    dev: u64,
    mount_root: Option<bool>,
    times: Times,
}

fn ns(t: &libc::statx_timestamp) -> u64 {
    (t.tv_sec.max(0) as u64).saturating_mul(1_000_000_000).saturating_add(t.tv_nsec as u64)
}

/// `statx()` without following symlinks or triggering automounts.
fn statx(dir: RawFd, name: &OsStr) -> io::Result<Entry> {
    let c = std::ffi::CString::new(name.as_bytes()).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    let mut sx = MaybeUninit::<libc::statx>::zeroed();
    let mask = libc::STATX_TYPE
        | libc::STATX_MODE
        | libc::STATX_UID
        | libc::STATX_ATIME
        | libc::STATX_MTIME
        | libc::STATX_CTIME
        | libc::STATX_BTIME;
    // SAFETY: valid string and buffer.
    let r = unsafe {
        libc::statx(dir, c.as_ptr(), libc::AT_SYMLINK_NOFOLLOW | libc::AT_NO_AUTOMOUNT, mask, sx.as_mut_ptr())
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: filled by the kernel.
    let sx = unsafe { sx.assume_init() };
    let has = |bit: u32| sx.stx_mask & bit != 0;
    let mount_root = (sx.stx_attributes_mask & libc::STATX_ATTR_MOUNT_ROOT as u64 != 0)
        .then_some(sx.stx_attributes & libc::STATX_ATTR_MOUNT_ROOT as u64 != 0);
    Ok(Entry {
        mode: sx.stx_mode as u32,
        uid: sx.stx_uid,
        dev: libc::makedev(sx.stx_dev_major, sx.stx_dev_minor),
        mount_root,
        times: Times {
            atime: if has(libc::STATX_ATIME) { ns(&sx.stx_atime) } else { 0 },
            btime: if has(libc::STATX_BTIME) { ns(&sx.stx_btime) } else { 0 },
            ctime: if has(libc::STATX_CTIME) { ns(&sx.stx_ctime) } else { 0 },
            mtime: if has(libc::STATX_MTIME) { ns(&sx.stx_mtime) } else { 0 },
        },
    })
}

/// Paths of AF_UNIX sockets someone is bound to (`/proc/net/unix`).
fn live_sockets() -> Vec<PathBuf> {
    let Ok(text) = std::fs::read_to_string("/proc/net/unix") else {
        return Vec::new();
    };
    text.lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().nth(7))
        .filter(|p| p.starts_with('/'))
        .map(PathBuf::from)
        .collect()
}

/// Where the walk is: one directory level.
struct Level<'p> {
    path: &'p Path,
    /// The directory is the top of a mount (only for the first level).
    mountpoint: bool,
    depth: u32,
    keep: bool,
    /// Its own timestamps, restored after deleting in it.
    own: Times,
}

struct Cleaner<'a> {
    root: &'a Root,
    /// The file system being cleaned; others are never entered.
    dev: u64,
    opts: &'a CleanOptions,
    cutoff_ns: u64,
    excluded: &'a dyn Fn(&Path) -> bool,
    sockets: Option<Vec<PathBuf>>,
    removed: Vec<PathBuf>,
    first_error: Option<io::Error>,
}

impl Cleaner<'_> {
    fn socket_alive(&mut self, p: &Path) -> bool {
        let host = self.root.display(p);
        self.sockets.get_or_insert_with(live_sockets).contains(&host)
    }

    fn error(&mut self, e: io::Error) {
        self.first_error.get_or_insert(e);
    }

    fn walk(&mut self, dir: RawFd, level: Level<'_>) {
        let Level { path, mountpoint, depth, keep, own } = level;
        let dev = self.dev;
        let names = match sys::open_dir_for_read(dir).and_then(sys::read_dir) {
            Ok(n) => n,
            Err(e) => return self.error(e),
        };
        let mut deleted = false;
        for name in names {
            let e = match statx(dir, &name) {
                Ok(e) => e,
                Err(err) if err.raw_os_error() == Some(libc::ENOENT) => continue,
                Err(err) => {
                    self.error(err);
                    continue;
                }
            };
            match e.mount_root {
                Some(true) => continue,
                Some(false) => {}
                None if e.dev != dev => continue,
                None => {}
            }
            let sub = path.join(&name);
            if (self.excluded)(&sub) {
                continue;
            }
            let kind = e.mode & libc::S_IFMT;
            if kind == libc::S_IFDIR {
                if mountpoint && name == "lost+found" && e.uid == 0 {
                    continue;
                }
                if depth > 0 {
                    let Ok(child) = sys::openat(dir, &name, libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_NONBLOCK, 0) else {
                        continue;
                    };
                    match sys::try_lock(child.as_raw_fd()) {
                        Ok(true) => {}
                        _ => continue,
                    }
                    let next = Level { path: &sub, mountpoint: false, depth: depth - 1, keep: false, own: e.times };
                    self.walk(child.as_raw_fd(), next);
                }
                if keep || !is_old(&e.times, self.cutoff_ns, self.opts.age_by_dir) {
                    continue;
                }
                match sys::unlinkat(dir, &name, true) {
                    Ok(()) => self.removed.push(sub),
                    Err(err) if matches!(err.raw_os_error(), Some(libc::ENOENT) | Some(libc::ENOTEMPTY)) => {}
                    Err(err) => self.error(err),
                }
            } else {
                if e.mode & libc::S_ISVTX != 0 {
                    continue;
                }
                if mountpoint
                    && kind == libc::S_IFREG
                    && e.uid == 0
                    && [".journal", "aquota.user", "aquota.group"].iter().any(|n| name == *n)
                {
                    continue;
                }
                if kind == libc::S_IFSOCK && self.socket_alive(&sub) {
                    continue;
                }
                if kind == libc::S_IFCHR || kind == libc::S_IFBLK {
                    continue;
                }
                if keep || !is_old(&e.times, self.cutoff_ns, self.opts.age_by_file) {
                    continue;
                }
                // Hold a lock while unlinking so a user of the file can
                // keep us away with flock().
                let lock = sys::openat(dir, &name, libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY, 0);
                if let Ok(fd) = &lock {
                    if let Ok(false) = sys::try_lock(fd.as_raw_fd()) {
                        continue;
                    }
                }
                match sys::unlinkat(dir, &name, false) {
                    Ok(()) => {
                        self.removed.push(sub);
                        deleted = true;
                    }
                    Err(err) if err.raw_os_error() == Some(libc::ENOENT) => {}
                    Err(err) => self.error(err),
                }
                drop(lock);
            }
        }
        if deleted {
            let t = |n: u64| libc::timespec { tv_sec: (n / 1_000_000_000) as i64, tv_nsec: (n % 1_000_000_000) as i64 };
            if let Ok(real) = sys::open_dir_for_read(dir) {
                let _ = sys::futimens(real.as_raw_fd(), t(own.atime), t(own.mtime));
            }
        }
    }
}

/// Clean the directory at `path` (in-root; a missing path or a
/// non-directory is not an error). `excluded` tells which paths have a
/// line of their own. Returns what was removed.
pub fn clean_directory(
    root: &Root,
    path: &Path,
    opts: &CleanOptions,
    excluded: &dyn Fn(&Path) -> bool,
) -> io::Result<Vec<PathBuf>> {
    let now_us = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0);
    if now_us < opts.age_usec {
        return Ok(Vec::new());
    }
    let cutoff_ns = (now_us - opts.age_usec).saturating_mul(1000);
    let node = match root.chase(path, false, false) {
        Ok(n) if sys::is_dir(&n.st) => n,
        Ok(_) => return Ok(Vec::new()),
        Err(e) if matches!(e.raw_os_error(), Some(libc::ENOENT) | Some(libc::ENOTDIR)) => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let dir = sys::open_dir_for_read(node.raw())?;
    let own = statx(dir.as_raw_fd(), OsStr::new("."))?;
    let parent_dev = sys::lstatat(dir.as_raw_fd(), OsStr::new("..")).map(|s| s.st_dev).unwrap_or(own.dev);
    let mountpoint = own.mount_root.unwrap_or(parent_dev != own.dev);
    let mut c = Cleaner {
        root,
        dev: own.dev,
        opts,
        cutoff_ns,
        excluded,
        sockets: None,
        removed: Vec::new(),
        first_error: None,
    };
    let top = Level { path: &node.path, mountpoint, depth: MAX_DEPTH, keep: opts.keep_first_level, own: own.times };
    c.walk(dir.as_raw_fd(), top);
    match c.first_error {
        Some(e) if c.removed.is_empty() => Err(e),
        _ => Ok(c.removed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_selected_timestamp_must_be_old() {
        let t = Times { atime: 10, btime: 10, ctime: 50, mtime: 10 };
        assert!(!is_old(&t, 20, AgeBy::DEFAULT_FILE), "ctime is new");
        assert!(is_old(&t, 20, AgeBy::DEFAULT_DIR), "directories ignore ctime");
        assert!(is_old(&t, 20, AgeBy(AgeBy::MTIME)));
        assert!(!is_old(&t, 10, AgeBy(AgeBy::MTIME)), "equal to the cutoff is not older");
    }
}
