//! Recursive copy for `C` lines (systemd's `copy_tree_at()` with
//! `COPY_MERGE_EMPTY` and `COPY_HARDLINKS`).
//!
//! The copy keeps what the source has: file types (symlinks are copied as
//! symlinks, never followed; FIFOs and device nodes are re-created),
//! permission bits including set-id bits, owners (unless the line names a
//! user or group, which then overrides), extended attributes, access and
//! modification times, and hard links between copied files. An existing
//! target stops the copy with `EEXIST`, except a directory that is empty,
//! which is filled in and keeps its own mode and owner.
//!
//! Main function: [`copy_tree`].

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use crate::fs::Node;
use crate::sys::{self, Stat};

/// Owner overrides.
pub struct CopyOptions {
    pub uid: Option<u32>,
    pub gid: Option<u32>,
}

struct Copier<'a> {
    opts: &'a CopyOptions,
    /// Source (dev, inode) → an already copied target (dir fd, name).
    links: HashMap<(u64, u64), (std::rc::Rc<OwnedFd>, OsString)>,
}

fn ts(sec: i64, nsec: i64) -> libc::timespec {
    libc::timespec { tv_sec: sec, tv_nsec: nsec }
}

fn times(st: &Stat) -> (libc::timespec, libc::timespec) {
    (ts(st.st_atime, st.st_atime_nsec), ts(st.st_mtime, st.st_mtime_nsec))
}

/// Copy all extended attributes; failures are ignored, as systemd does.
fn copy_xattrs(from: RawFd, to: RawFd) {
    let Ok(names) = sys::list_xattrs(from) else {
        return;
    };
    for n in names {
        if let Ok(v) = sys::fget_xattr(from, &n) {
            let _ = sys::fset_xattr(to, &n, &v);
        }
    }
}

impl Copier<'_> {
    fn owner(&self, st: &Stat) -> (u32, u32) {
        (self.opts.uid.unwrap_or(st.st_uid), self.opts.gid.unwrap_or(st.st_gid))
    }

    /// Hard-link `name` to an earlier copy of the same source inode.
    fn try_hardlink(&self, st: &Stat, dir: RawFd, name: &OsStr) -> io::Result<bool> {
        if st.st_nlink <= 1 {
            return Ok(false);
        }
        let Some((d, n)) = self.links.get(&(st.st_dev, st.st_ino)) else {
            return Ok(false);
        };
        sys::linkat(d.as_raw_fd(), n, dir, name)?;
        Ok(true)
    }

    fn remember(&mut self, st: &Stat, dir: &std::rc::Rc<OwnedFd>, name: &OsStr) {
        if st.st_nlink > 1 {
            self.links.insert((st.st_dev, st.st_ino), (dir.clone(), name.to_os_string()));
        }
    }

    fn copy_node(&mut self, src: &Node, dir: &std::rc::Rc<OwnedFd>, name: &OsStr) -> io::Result<bool> {
        let st = src.st;
        let d = dir.as_raw_fd();
        let (uid, gid) = self.owner(&st);
        let (at, mt) = times(&st);
        match st.st_mode & libc::S_IFMT {
            libc::S_IFDIR => self.copy_dir(src, dir, name),
            libc::S_IFREG => {
                if self.try_hardlink(&st, d, name)? {
                    return Ok(true);
                }
                let input = sys::reopen(src.raw(), libc::O_RDONLY | libc::O_NOCTTY)?;
                let out =
                    sys::openat(d, name, libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW | libc::O_WRONLY, st.st_mode & 0o7777)?;
                let mut reader = std::fs::File::from(input.try_clone()?);
                let mut writer = std::fs::File::from(out.try_clone()?);
                io::copy(&mut reader, &mut writer)?;
                sys::fchown_fd(out.as_raw_fd(), Some(uid), Some(gid))?;
                sys::fchmod_opath(out.as_raw_fd(), st.st_mode & 0o7777)?;
                copy_xattrs(input.as_raw_fd(), out.as_raw_fd());
                let _ = sys::futimens(out.as_raw_fd(), at, mt);
                self.remember(&st, dir, name);
                Ok(true)
            }
            libc::S_IFLNK => {
                let target = sys::readlinkat(src.raw(), OsStr::new(""))?;
                sys::symlinkat(&target, d, name)?;
                let fd = sys::open_path(d, name)?;
                sys::fchown_fd(fd.as_raw_fd(), Some(uid), Some(gid))?;
                let _ = sys::lutimensat(d, name, at, mt);
                Ok(true)
            }
            _ => {
                if self.try_hardlink(&st, d, name)? {
                    return Ok(true);
                }
                sys::mknodat(d, name, st.st_mode & (libc::S_IFMT | 0o7777), st.st_rdev)?;
                let fd = sys::open_path(d, name)?;
                sys::fchown_fd(fd.as_raw_fd(), Some(uid), Some(gid))?;
                sys::fchmod_opath(fd.as_raw_fd(), st.st_mode & 0o7777)?;
                let _ = sys::lutimensat(d, name, at, mt);
                self.remember(&st, dir, name);
                Ok(true)
            }
        }
    }

    fn copy_dir(&mut self, src: &Node, dir: &std::rc::Rc<OwnedFd>, name: &OsStr) -> io::Result<bool> {
        let st = src.st;
        let d = dir.as_raw_fd();
        // The final mode is set once the contents are in.
        let created = match sys::mkdirat(d, name, st.st_mode & 0o7777) {
            Ok(()) => true,
            Err(e) if e.raw_os_error() == Some(libc::EEXIST) => false,
            Err(e) => return Err(e),
        };
        let target = sys::openat(d, name, libc::O_PATH | libc::O_NOFOLLOW | libc::O_DIRECTORY, 0)
            .map_err(|e| if e.raw_os_error() == Some(libc::ENOTDIR) { io::Error::from_raw_os_error(libc::EEXIST) } else { e })?;
        if !created {
            let entries = sys::read_dir(sys::open_dir_for_read(target.as_raw_fd())?)?;
            if !entries.is_empty() {
                return Err(io::Error::from_raw_os_error(libc::EEXIST));
            }
        }
        let target = std::rc::Rc::new(target);
        let mut first: Option<io::Error> = None;
        let mut names = sys::read_dir(sys::open_dir_for_read(src.raw())?)?;
        names.sort();
        for n in names {
            let child = match sys::open_path(src.raw(), &n).and_then(|fd| {
                let st = sys::fstat(fd.as_raw_fd())?;
                Ok(Node { fd, path: src.path.join(&n), st })
            }) {
                Ok(c) => c,
                Err(e) => {
                    first.get_or_insert(e);
                    continue;
                }
            };
            if let Err(e) = self.copy_node(&child, &target, &n) {
                first.get_or_insert(e);
            }
        }
        if created {
            let (uid, gid) = self.owner(&st);
            sys::fchown_fd(target.as_raw_fd(), Some(uid), Some(gid))?;
            sys::fchmod_opath(target.as_raw_fd(), st.st_mode & 0o7777)?;
            if let Ok(real) = sys::open_dir_for_read(target.as_raw_fd()) {
                if let Ok(srcfd) = sys::open_dir_for_read(src.raw()) {
                    copy_xattrs(srcfd.as_raw_fd(), real.as_raw_fd());
                }
                let (at, mt) = times(&st);
                let _ = sys::futimens(real.as_raw_fd(), at, mt);
            }
        }
        match first {
            Some(e) => Err(e),
            None => Ok(true),
        }
    }
}

/// Copy `source` (already resolved, not followed) to `name` in `dir`.
/// `Ok(true)`: something was copied; `Err(EEXIST)`: the target exists and
/// is not a directory to fill.
pub fn copy_tree(source: &Node, dir: &Node, name: &OsStr, opts: &CopyOptions) -> io::Result<bool> {
    let mut c = Copier { opts, links: HashMap::new() };
    let dir_fd = std::rc::Rc::new(dir.fd.try_clone()?);
    c.copy_node(source, &dir_fd, name)
}
