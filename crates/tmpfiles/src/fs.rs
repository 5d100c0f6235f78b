//! Path resolution that never leaves the root.
//!
//! systemd-tmpfiles resolves every configured path with
//! `chase_symlinks(path, root, CHASE_SAFE…)`: components are opened one at
//! a time relative to the previous one, an absolute symlink target
//! restarts at the *root* (not at the host's `/`), and `..` never climbs
//! above it. We do the same with `O_PATH|O_NOFOLLOW` descriptors, so
//! operations happen on descriptors, never on re-resolved strings: a
//! symlink swapped in between two steps cannot redirect us to the host.
//!
//! With `safe` set, a step from a directory owned by an unprivileged user
//! to an object owned by someone else is refused with `ENOLINK`
//! ("unsafe path transition", systemd's `CHASE_SAFE`): otherwise a user
//! who can write to `/run/foo` could plant `/run/foo/x -> /etc/shadow` and
//! have root chmod the target.
//!
//! Main types: [`Root`] (the tree we work in) and [`Node`] (a resolved
//! object: its `O_PATH` descriptor, in-root path and `stat`).

use std::collections::VecDeque;
use std::ffi::{OsStr, OsString};
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::{Component, Path, PathBuf};

use crate::sys::{self, Stat};

/// Most symlinks followed in one resolution before `ELOOP`, as the kernel.
const MAX_FOLLOW: usize = 40;

/// The tree every path is resolved in.
pub struct Root {
    fd: OwnedFd,
    st: Stat,
    path: PathBuf,
}

/// A resolved object inside the root.
pub struct Node {
    pub fd: OwnedFd,
    /// The resolved, in-root path (symlinks followed).
    pub path: PathBuf,
    pub st: Stat,
}

impl Node {
    pub fn raw(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    /// Re-stat after a change.
    pub fn refresh(&mut self) -> io::Result<()> {
        self.st = sys::fstat(self.raw())?;
        Ok(())
    }
}

/// systemd's `unsafe_transition()`: leaving a root-owned directory is
/// always fine; otherwise the owner must stay the same.
fn unsafe_transition(from: &Stat, to: &Stat) -> bool {
    from.st_uid != 0 && from.st_uid != to.st_uid
}

fn err(code: i32) -> io::Error {
    io::Error::from_raw_os_error(code)
}

/// The normal components of an absolute or relative path, `..` kept.
pub fn components(p: &Path) -> Vec<OsString> {
    p.components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_os_string()),
            Component::ParentDir => Some(OsString::from("..")),
            _ => None,
        })
        .collect()
}

/// Split an absolute in-root path into its parent and last component.
pub fn split_last(path: &Path) -> Option<(PathBuf, OsString)> {
    let name = path.file_name()?.to_os_string();
    let parent = path.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("/"));
    Some((parent, name))
}

impl Root {
    /// Open `path` (on the host) as the root of all later operations.
    pub fn open(path: &Path) -> io::Result<Root> {
        let fd = sys::openat(
            libc::AT_FDCWD,
            path.as_os_str(),
            libc::O_PATH | libc::O_DIRECTORY,
            0,
        )?;
        let st = sys::fstat(fd.as_raw_fd())?;
        Ok(Root { fd, st, path: path.to_path_buf() })
    }

    /// The root as given, on the host (for messages and host-side copies).
    pub fn host_path(&self) -> &Path {
        &self.path
    }

    /// `path` (in-root) as the host sees it, for messages.
    pub fn display(&self, path: &Path) -> PathBuf {
        let rel = path.strip_prefix("/").unwrap_or(path);
        if self.path == Path::new("/") {
            Path::new("/").join(rel)
        } else {
            self.path.join(rel)
        }
    }

    fn root_node(&self) -> io::Result<(OwnedFd, Stat)> {
        Ok((self.fd.try_clone()?, self.st))
    }

    /// Resolve `path` inside the root. With `nofollow_last` a final
    /// symlink is returned itself (`CHASE_NOFOLLOW`); with `safe`, unsafe
    /// ownership transitions fail with `ENOLINK`.
    pub fn chase(&self, path: &Path, nofollow_last: bool, safe: bool) -> io::Result<Node> {
        let mut stack: Vec<(OwnedFd, Stat, OsString)> = Vec::new();
        let (rfd, rst) = self.root_node()?;
        let mut todo: VecDeque<OsString> = components(path).into();
        let mut follows = 0usize;
        let current = |stack: &Vec<(OwnedFd, Stat, OsString)>| -> (RawFd, Stat) {
            match stack.last() {
                Some((fd, st, _)) => (fd.as_raw_fd(), *st),
                None => (rfd.as_raw_fd(), rst),
            }
        };
        while let Some(c) = todo.pop_front() {
            if c == "." {
                continue;
            }
            if c == ".." {
                if let Some((_, child_st, _)) = stack.pop() {
                    let (_, parent_st) = current(&stack);
                    if safe && unsafe_transition(&child_st, &parent_st) {
                        return Err(err(libc::ENOLINK));
                    }
                }
                continue;
            }
            let (dir, dir_st) = current(&stack);
            if !sys::is_dir(&dir_st) {
                return Err(err(libc::ENOTDIR));
            }
            let child = sys::open_path(dir, &c)?;
            let st = sys::fstat(child.as_raw_fd())?;
            if safe && unsafe_transition(&dir_st, &st) {
                return Err(err(libc::ENOLINK));
            }
            if sys::is_lnk(&st) && !(nofollow_last && todo.is_empty()) {
                follows += 1;
                if follows > MAX_FOLLOW {
                    return Err(err(libc::ELOOP));
                }
                let target = sys::readlinkat(child.as_raw_fd(), OsStr::new(""))?;
                if target.is_empty() {
                    return Err(err(libc::EINVAL));
                }
                let target = PathBuf::from(target);
                if target.is_absolute() {
                    stack.clear();
                    if safe && unsafe_transition(&st, &rst) {
                        return Err(err(libc::ENOLINK));
                    }
                }
                for comp in components(&target).into_iter().rev() {
                    todo.push_front(comp);
                }
                continue;
            }
            stack.push((child, st, c));
        }
        let mut path = PathBuf::from("/");
        for (_, _, name) in &stack {
            path.push(name);
        }
        match stack.pop() {
            Some((fd, st, _)) => Ok(Node { fd, path, st }),
            None => Ok(Node { fd: rfd, path, st: rst }),
        }
    }

    /// The directory `path` lives in, resolved safely, and the last
    /// component (systemd's `path_open_parent_safe()`). Like systemd, a
    /// parent that exists but is not a directory is returned as is: the
    /// `*at()` call made on it fails with `ENOTDIR`, and how that failure
    /// counts depends on the line type.
    pub fn open_parent(&self, path: &Path) -> io::Result<(Node, OsString)> {
        let (parent, name) = split_last(path).ok_or_else(|| err(libc::EISDIR))?;
        let dir = self.chase(&parent, false, true)?;
        Ok((dir, name))
    }

    /// `mkdir -p` of the parents of `path`, mode 0755, following symlinks
    /// inside the root (systemd's `mkdir_parents_label(path, 0755)`).
    /// Errors are returned but callers ignore them, as systemd does: the
    /// operation that follows reports the real problem.
    pub fn mkdir_parents(&self, path: &Path) -> io::Result<()> {
        let comps = components(path);
        let mut prefix = PathBuf::from("/");
        for c in comps.iter().take(comps.len().saturating_sub(1)) {
            let parent = prefix.clone();
            prefix.push(c);
            match self.chase(&prefix, false, false) {
                Ok(n) if sys::is_dir(&n.st) => continue,
                Ok(_) => return Err(err(libc::ENOTDIR)),
                Err(e) if e.raw_os_error() == Some(libc::ENOENT) => {
                    let dir = self.chase(&parent, false, false)?;
                    match sys::mkdirat_exact(dir.raw(), c, 0o755) {
                        Ok(()) => {}
                        Err(e) if e.raw_os_error() == Some(libc::EEXIST) => {}
                        Err(e) => return Err(e),
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// systemd's `mkdir_parents_rm_if_wrong_type()` for the `=` modifier:
    /// every parent that is not a directory (after following symlinks) is
    /// removed and replaced by a 0755 directory; the last component is
    /// removed when its type differs from `child_type` (`0`: not checked).
    pub fn mkdir_parents_replacing(&self, path: &Path, child_type: u32) -> io::Result<()> {
        let comps = components(path);
        let mut dir = self.chase(Path::new("/"), false, false)?;
        let n = comps.len();
        for (i, c) in comps.iter().enumerate() {
            let last = i + 1 == n;
            if last {
                if child_type != 0 {
                    rm_if_wrong_type(&dir, c, child_type, None)?;
                }
                return Ok(());
            }
            // A dangling symlink or a non-directory where a directory must be.
            let next_path = dir.path.join(c);
            let followed = match self.chase(&next_path, false, false) {
                Ok(n) => Some(sys::file_type(&n.st)),
                Err(_) => None,
            };
            rm_if_wrong_type(&dir, c, libc::S_IFDIR, Some(followed))?;
            match self.chase(&next_path, false, false) {
                Ok(nx) => dir = nx,
                Err(e) if e.raw_os_error() == Some(libc::ENOENT) => {
                    sys::mkdirat_exact(dir.raw(), c, 0o755)?;
                    dir = self.chase(&next_path, false, false)?;
                }
                Err(e) => return Err(e),
            }
            if !sys::is_dir(&dir.st) {
                return Err(err(libc::ENOTDIR));
            }
        }
        Ok(())
    }
}

/// Remove `name` in `dir` (recursively) when its type differs from `want`.
/// `followed`: the type of what a symlink resolves to inside the root
/// (`None`: dangling), used for parents; a mistyped or dangling symlink is
/// then removed itself, never its target.
fn rm_if_wrong_type(dir: &Node, name: &OsStr, want: u32, followed: Option<Option<u32>>) -> io::Result<()> {
    let lst = match sys::lstatat(dir.raw(), name) {
        Ok(st) => st,
        Err(e) if e.raw_os_error() == Some(libc::ENOENT) => return Ok(()),
        Err(e) => return Err(e),
    };
    let actual = match followed {
        Some(t) if sys::is_lnk(&lst) => t.unwrap_or(0),
        _ => sys::file_type(&lst),
    };
    if actual == want {
        return Ok(());
    }
    if sys::is_dir(&lst) {
        if is_mount_point(dir.raw(), name, &dir.st, &lst) {
            return Err(err(libc::EBUSY));
        }
        let child = sys::open_path(dir.raw(), name)?;
        rm_rf_children(child.as_raw_fd(), lst.st_dev)?;
    }
    sys::unlinkat(dir.raw(), name, sys::is_dir(&lst))
}

/// Whether the directory `name` in `dir` is a mount point: a different
/// device, or (bind mounts of the same file system) a different mount id.
pub fn is_mount_point(dir: RawFd, name: &OsStr, dir_st: &Stat, st: &Stat) -> bool {
    if st.st_dev != dir_st.st_dev {
        return true;
    }
    match (sys::mount_id(dir, OsStr::new(".")), sys::mount_id(dir, name)) {
        (Some(a), Some(b)) => a != b,
        _ => false,
    }
}

/// `rm -rf` of the contents of a directory given as an `O_PATH`
/// descriptor, staying on the device `dev` and never entering mount
/// points (systemd's `rm_rf_children(…, REMOVE_PHYSICAL)`). Keeps going
/// after errors and returns the first.
pub fn rm_rf_children(dir: RawFd, dev: libc::dev_t) -> io::Result<()> {
    let dir_st = sys::fstat(dir)?;
    let names = sys::read_dir(sys::open_dir_for_read(dir)?)?;
    let mut first: Option<io::Error> = None;
    for name in names {
        let st = match sys::lstatat(dir, &name) {
            Ok(st) => st,
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => continue,
            Err(e) => {
                first.get_or_insert(e);
                continue;
            }
        };
        if sys::is_dir(&st) {
            if st.st_dev != dev || is_mount_point(dir, &name, &dir_st, &st) {
                continue;
            }
            let r = sys::open_path(dir, &name).and_then(|child| rm_rf_children(child.as_raw_fd(), dev));
            if let Err(e) = r {
                first.get_or_insert(e);
            }
            match sys::unlinkat(dir, &name, true) {
                Ok(()) => {}
                Err(e) if e.raw_os_error() == Some(libc::ENOENT) => {}
                Err(e) => {
                    first.get_or_insert(e);
                }
            }
        } else {
            match sys::unlinkat(dir, &name, false) {
                Ok(()) => {}
                Err(e) if e.raw_os_error() == Some(libc::ENOENT) => {}
                Err(e) => {
                    first.get_or_insert(e);
                }
            }
        }
    }
    first.map_or(Ok(()), Err)
}

/// `rm -rf` of `name` in `dir` itself (a file is simply unlinked).
pub fn rm_rf_child(dir: RawFd, name: &OsStr) -> io::Result<()> {
    let st = sys::lstatat(dir, name)?;
    if sys::is_dir(&st) {
        let child = sys::open_path(dir, name)?;
        rm_rf_children(child.as_raw_fd(), st.st_dev)?;
        sys::unlinkat(dir, name, true)
    } else {
        sys::unlinkat(dir, name, false)
    }
}
