//! The create phase, one function per line type (tmpfiles.d(5), "Type").
//!
//! Creation always happens relative to a safely resolved parent directory
//! (see [`crate::fs`]) and with `O_NOFOLLOW`/`O_EXCL` semantics: `f`, `d`,
//! `p`, `L`, `c`, `b` never write through a symlink at the final
//! component. The umask is cleared around creation so the line's mode is
//! the object's mode. An object that already exists with another type is
//! left alone with a note (`p`, `L`, `c`, `b`), is an error (`f`, `d`), or
//! — with `+` — is replaced atomically by a rename, falling back to
//! `rm -rf` when the rename cannot replace it (a directory).
//!
//! Before creating, the parents are made (`mkdir -p`, 0755, root-owned);
//! with `=` they are first checked for the right type and replaced when
//! wrong (a FIFO where a directory must be).

use std::ffi::{OsStr, OsString};
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::path::{Path, PathBuf};

use crate::copy;
use crate::fs::{self, Node};
use crate::item::{Item, Kind};
use crate::parse::{LineError, Severity};
use crate::sys;

use super::perms::Creation;
use super::{OpError, Run, What};

/// No `..` component (`path_is_normalized()`; `.` and `//` are already
/// gone after parsing).
fn normalized(p: &Path) -> bool {
    !p.components().any(|c| c == std::path::Component::ParentDir)
}

fn errno(e: &io::Error) -> i32 {
    e.raw_os_error().unwrap_or(0)
}

/// A temporary sibling name for atomic replacement.
fn temp_name(name: &OsStr) -> OsString {
    let mut bytes = [0u8; 8];
    // Uniqueness only matters within one directory and one run; the
    // address of a fresh allocation plus the time is plenty.
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = (t >> (i * 8)) as u8;
    }
    let mut s = OsString::from(".#");
    s.push(name);
    s.push(format!("{:016x}", u64::from_le_bytes(bytes)));
    s
}

/// Create an object under a temporary name with `make`, then rename it
/// over `name`. Returns the rename error (`EISDIR`, …) untouched.
fn replace_atomic(dir: RawFd, name: &OsStr, make: &dyn Fn(RawFd, &OsStr) -> io::Result<()>) -> io::Result<()> {
    let tmp = temp_name(name);
    make(dir, &tmp)?;
    if let Err(e) = sys::renameat(dir, &tmp, dir, name) {
        let _ = sys::unlinkat(dir, &tmp, false);
        return Err(e);
    }
    Ok(())
}

impl Run<'_> {
    pub(crate) fn create_item(&mut self, item: &Item) -> Result<(), OpError> {
        use Kind::*;
        match item.kind {
            IgnorePath | IgnoreDirectoryPath | RemovePath | RecursiveRemovePath => Ok(()),
            CreateFile | TruncateFile => {
                self.parents(item, libc::S_IFREG);
                if item.kind == TruncateFile || item.append_or_force {
                    self.truncate_file(item)
                } else {
                    self.create_file(item)
                }
            }
            CopyFiles => {
                self.parents(item, 0);
                self.copy_files(item)
            }
            WriteFile => {
                for p in self.expand(item) {
                    if let Err(e) = self.write_file(item, &p) {
                        self.fail(item, p, e, item.allow_failure);
                    }
                }
                Ok(())
            }
            CreateDirectory | TruncateDirectory | CreateSubvolume | CreateSubvolumeInheritQuota
            | CreateSubvolumeNewQuota => {
                self.parents(item, libc::S_IFDIR);
                self.create_directory(item)
            }
            EmptyDirectory => {
                for p in self.expand(item) {
                    if let Err(e) = self.empty_directory(item, &p) {
                        self.fail(item, p, e, item.allow_failure);
                    }
                }
                Ok(())
            }
            CreateFifo => {
                self.parents(item, libc::S_IFIFO);
                self.create_special(item, libc::S_IFIFO, 0)
            }
            CreateSymlink => {
                self.parents(item, libc::S_IFLNK);
                self.create_symlink(item)
            }
            CreateCharDevice | CreateBlockDevice => {
                if !self.have_mknod {
                    self.note(item, Severity::Skipped, LineError::NoMknod(item.path.clone()));
                    return Ok(());
                }
                let t = if item.kind == CreateBlockDevice { libc::S_IFBLK } else { libc::S_IFCHR };
                self.parents(item, t);
                let (ma, mi) = item.major_minor.unwrap_or((0, 0));
                self.create_special(item, t, sys::makedev(ma, mi))
            }
            AdjustMode | RelabelPath => self.for_each_match(item, false, &|run, item, node| {
                run.set_perms(item, node, Creation::Existing)
            }),
            RecursiveRelabelPath => self.for_each_match(item, true, &|run, item, node| {
                run.set_perms(item, node, Creation::Existing)
            }),
            SetXattr => self.for_each_match(item, false, &|run, item, node| run.set_xattrs(item, node)),
            RecursiveSetXattr => self.for_each_match(item, true, &|run, item, node| run.set_xattrs(item, node)),
            SetAcl => self.for_each_match(item, false, &|run, item, node| run.set_acls(item, node)),
            RecursiveSetAcl => self.for_each_match(item, true, &|run, item, node| run.set_acls(item, node)),
            SetAttribute => self.for_each_match(item, false, &|run, item, node| run.set_attributes(item, node)),
            RecursiveSetAttribute => {
                self.for_each_match(item, true, &|run, item, node| run.set_attributes(item, node))
            }
        }
    }

    /// `mkdir_parents_item()`: errors are deliberately dropped, the
    /// creation that follows reports what is wrong.
    fn parents(&mut self, item: &Item, child_type: u32) {
        // A path with `..` fails later; systemd creates no parents for it.
        if !normalized(&item.path) {
            return;
        }
        if item.try_replace {
            let _ = self.root.mkdir_parents_replacing(&item.path, child_type);
        } else {
            let _ = self.root.mkdir_parents(&item.path);
        }
    }

    /// `path_open_parent_safe()`: refuses `..` (systemd: "path not
    /// normalized"), then resolves the parent safely.
    fn open_parent(&self, path: &Path) -> Result<(Node, OsString), OpError> {
        if !normalized(path) {
            return Err(OpError::NotNormalized(path.to_path_buf()));
        }
        self.root.open_parent(path).map_err(|e| OpError::OpenPath {
            path: path.parent().unwrap_or(path).to_path_buf(),
            source: e,
        })
    }

    fn node_at(&self, dir: &Node, name: &OsStr) -> io::Result<Node> {
        let fd = sys::open_path(dir.raw(), name)?;
        let st = sys::fstat(fd.as_raw_fd())?;
        Ok(Node { fd, path: dir.path.join(name), st })
    }

    fn write_data(&mut self, item: &Item, fd: RawFd, path: &Path) -> Result<(), OpError> {
        if let Some(data) = item.data() {
            if !data.is_empty() {
                sys::write_all(fd, data).map_err(|e| OpError::io("write file", path, e))?;
                self.did(item, path, What::Wrote(data.len()));
            }
        }
        Ok(())
    }

    /// `f` without `+`: create if missing, never touch the contents of an
    /// existing file.
    fn create_file(&mut self, item: &Item) -> Result<(), OpError> {
        let (dir, name) = self.open_parent(&item.path)?;
        let created = sys::openat(
            dir.raw(),
            &name,
            libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_WRONLY | libc::O_NOCTTY,
            item.mode,
        );
        let creation = match created {
            Ok(fd) => {
                sys::undo_umask(fd.as_raw_fd(), item.mode).map_err(|e| OpError::io("fchmod", &item.path, e))?;
                self.did(item, &item.path, What::CreatedFile);
                self.write_data(item, fd.as_raw_fd(), &item.path)?;
                Creation::Normal
            }
            Err(e) if errno(&e) == libc::EEXIST => Creation::Existing,
            Err(e) => return Err(OpError::io("create file", &item.path, e)),
        };
        let mut node = self.node_at(&dir, &name).map_err(|e| OpError::io("reopen file", &item.path, e))?;
        if !sys::is_reg(&node.st) {
            return Err(OpError::NotRegular(item.path.clone()));
        }
        self.set_perms(item, &mut node, creation)
    }

    /// `f+`/`F`: create or truncate, then write.
    fn truncate_file(&mut self, item: &Item) -> Result<(), OpError> {
        let (dir, name) = self.open_parent(&item.path)?;
        let flags = libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_WRONLY | libc::O_NOCTTY;
        let mut creation = Creation::Existing;
        let opened = match sys::openat(dir.raw(), &name, flags, item.mode) {
            Err(e) if errno(&e) == libc::ENOENT => {
                creation = Creation::Normal;
                sys::openat(dir.raw(), &name, flags | libc::O_CREAT, item.mode)
            }
            other => other,
        };
        let fd = opened.map_err(|e| OpError::io("open/create file", &item.path, e))?;
        if creation == Creation::Normal {
            sys::undo_umask(fd.as_raw_fd(), item.mode).map_err(|e| OpError::io("fchmod", &item.path, e))?;
        }
        let st = sys::fstat(fd.as_raw_fd()).map_err(|e| OpError::io("stat", &item.path, e))?;
        if !sys::is_reg(&st) {
            return Err(OpError::NotRegular(item.path.clone()));
        }
        if creation == Creation::Normal {
            self.did(item, &item.path, What::CreatedFile);
        } else if st.st_size > 0 {
            sys::truncate(fd.as_raw_fd()).map_err(|e| OpError::io("truncate file", &item.path, e))?;
            self.did(item, &item.path, What::Truncated);
        }
        self.write_data(item, fd.as_raw_fd(), &item.path)?;
        let mut node = self.node_at(&dir, &name).map_err(|e| OpError::io("reopen file", &item.path, e))?;
        self.set_perms(item, &mut node, creation)
    }

    /// `w`/`w+`: write into an existing file; follows symlinks (inside the
    /// root); a missing file is not an error.
    fn write_file(&mut self, item: &Item, path: &Path) -> Result<(), OpError> {
        // As systemd: the parent must be reached safely, the final
        // component is followed wherever it points (inside the root).
        match self.open_parent(path) {
            Ok(_) => {}
            Err(OpError::OpenPath { source, .. }) if errno(&source) == libc::ENOENT => return Ok(()),
            Err(e) => return Err(e),
        }
        let mut node = match self.root.chase(path, false, false) {
            Ok(n) => n,
            Err(e) if errno(&e) == libc::ENOENT => return Ok(()),
            Err(e) => return Err(OpError::OpenPath { path: path.to_path_buf(), source: e }),
        };
        let mut flags = libc::O_NONBLOCK | libc::O_WRONLY | libc::O_NOCTTY;
        if item.append_or_force {
            flags |= libc::O_APPEND;
        }
        let fd = sys::reopen(node.raw(), flags).map_err(|e| OpError::io("open file", path, e))?;
        self.write_data(item, fd.as_raw_fd(), path)?;
        self.set_perms(item, &mut node, Creation::Existing)
    }

    /// `d`, `D`, `v`, `q`, `Q`: subvolumes are plain directories here, as
    /// systemd makes them unless the root itself is a btrfs subvolume.
    fn create_directory(&mut self, item: &Item) -> Result<(), OpError> {
        let (dir, name) = self.open_parent(&item.path)?;
        let made = sys::mkdirat_exact(dir.raw(), &name, item.mode);
        let creation = if made.is_ok() { Creation::Normal } else { Creation::Existing };
        let opened = sys::openat(dir.raw(), &name, libc::O_NOFOLLOW | libc::O_DIRECTORY | libc::O_PATH, 0);
        let fd = match opened {
            Ok(fd) => fd,
            Err(e) if errno(&e) == libc::ENOTDIR => return Err(OpError::NotDirectory(item.path.clone())),
            Err(e) => {
                return Err(match made {
                    Err(m) => OpError::io("create directory or subvolume", &item.path, m),
                    Ok(()) => OpError::io("open directory we just created", &item.path, e),
                })
            }
        };
        if creation == Creation::Normal {
            self.did(item, &item.path, What::CreatedDirectory);
        }
        let st = sys::fstat(fd.as_raw_fd()).map_err(|e| OpError::io("stat", &item.path, e))?;
        let mut node = Node { fd, path: item.path.clone(), st };
        self.set_perms(item, &mut node, creation)
    }

    /// `e`: adjust an existing directory; anything else is left alone.
    fn empty_directory(&mut self, item: &Item, path: &Path) -> Result<(), OpError> {
        let mut node = match self.root.chase(path, false, true) {
            Ok(n) => n,
            Err(e) if errno(&e) == libc::ENOENT => return Ok(()),
            Err(e) => return Err(OpError::OpenPath { path: path.to_path_buf(), source: e }),
        };
        if !sys::is_dir(&node.st) {
            self.note(item, Severity::Warning, LineError::OtherType(path.to_path_buf(), "directory"));
            return Ok(());
        }
        self.set_perms(item, &mut node, Creation::Existing)
    }

    /// `p`, `c`, `b`: a FIFO or device node (`dev` 0 for FIFOs).
    fn create_special(&mut self, item: &Item, file_type: u32, dev: libc::dev_t) -> Result<(), OpError> {
        let (dir, name) = self.open_parent(&item.path)?;
        let what = if file_type == libc::S_IFIFO { "FIFO" } else { "device node" };
        let mode = item.mode | file_type;
        let make = |d: RawFd, n: &OsStr| -> io::Result<()> { sys::mknodat_exact(d, n, mode, dev) };
        let made = make(dir.raw(), &name);
        let mut creation = if made.is_ok() { Creation::Normal } else { Creation::Existing };
        let privileged = |e: &io::Error| matches!(errno(e), libc::EPERM | libc::EACCES);
        let mut node = match self.node_at(&dir, &name) {
            Ok(n) => n,
            Err(e) => {
                return match made {
                    Err(m) if file_type != libc::S_IFIFO && privileged(&m) => {
                        // Device cgroups forbid it: systemd skips quietly,
                        // we say so.
                        self.note(item, Severity::Skipped, LineError::NoMknod(item.path.clone()));
                        Ok(())
                    }
                    Err(m) => Err(OpError::io(if file_type == libc::S_IFIFO { "create FIFO" } else { "create device node" }, &item.path, m)),
                    Ok(()) => Err(OpError::io("open the node we just created", &item.path, e)),
                };
            }
        };
        if creation == Creation::Normal {
            self.did(item, &item.path, if file_type == libc::S_IFIFO { What::CreatedFifo } else { What::CreatedDevice });
        }
        if sys::file_type(&node.st) != file_type {
            if !item.append_or_force {
                self.note(item, Severity::Warning, LineError::OtherType(item.path.clone(), what));
                return Ok(());
            }
            match replace_atomic(dir.raw(), &name, &make) {
                Ok(()) => {}
                Err(e) if file_type != libc::S_IFIFO && privileged(&e) => {
                    self.note(item, Severity::Skipped, LineError::NoMknod(item.path.clone()));
                    return Ok(());
                }
                Err(e) if matches!(errno(&e), libc::EISDIR | libc::EEXIST | libc::ENOTEMPTY) => {
                    fs::rm_rf_child(dir.raw(), &name).map_err(|e| OpError::io("rm -rf", &item.path, e))?;
                    make(dir.raw(), &name).map_err(|e| OpError::io("create", &item.path, e))?;
                }
                Err(e) => return Err(OpError::io("create", &item.path, e)),
            }
            node = self.node_at(&dir, &name).map_err(|e| OpError::io("open the node we just created", &item.path, e))?;
            if sys::file_type(&node.st) != file_type {
                return Err(OpError::io("create", &item.path, io::Error::from_raw_os_error(libc::EBADF)));
            }
            self.did(item, &item.path, What::Replaced);
            creation = Creation::Force;
        }
        self.set_perms(item, &mut node, creation)
    }

    /// `L`, `L+`.
    fn create_symlink(&mut self, item: &Item) -> Result<(), OpError> {
        let target = OsString::from(item.argument.clone().unwrap_or_default());
        let (dir, name) = self.open_parent(&item.path)?;
        let made = sys::symlinkat(&target, dir.raw(), &name);
        let mut creation = if made.is_ok() { Creation::Normal } else { Creation::Existing };
        let mut node = match self.node_at(&dir, &name) {
            Ok(n) => n,
            Err(e) => {
                return Err(match made {
                    Err(m) => OpError::io("create symlink", &item.path, m),
                    Ok(()) => OpError::io("open symlink we just created", &item.path, e),
                })
            }
        };
        if creation == Creation::Normal {
            self.did(item, &item.path, What::CreatedSymlink(PathBuf::from(&target)));
        }
        let good = sys::is_lnk(&node.st)
            && sys::readlinkat(node.raw(), OsStr::new("")).is_ok_and(|t| t == target);
        if !good {
            if !item.append_or_force {
                return Ok(());
            }
            let make = |d: RawFd, n: &OsStr| sys::symlinkat(&target, d, n);
            match replace_atomic(dir.raw(), &name, &make) {
                Ok(()) => {}
                Err(e) if matches!(errno(&e), libc::EISDIR | libc::EEXIST | libc::ENOTEMPTY) => {
                    fs::rm_rf_child(dir.raw(), &name).map_err(|e| OpError::io("rm -rf", &item.path, e))?;
                    make(dir.raw(), &name).map_err(|e| OpError::io("create symlink", &item.path, e))?;
                }
                Err(e) => return Err(OpError::io("create symlink", &item.path, e)),
            }
            node = self.node_at(&dir, &name).map_err(|e| OpError::io("open symlink we just created", &item.path, e))?;
            if !sys::is_lnk(&node.st) {
                return Err(OpError::io("create symlink", &item.path, io::Error::from_raw_os_error(libc::EBADF)));
            }
            self.did(item, &item.path, What::Replaced);
            creation = Creation::Force;
        }
        self.set_perms(item, &mut node, creation)
    }

    /// `C`: copy a tree from inside the root, unless the target exists (an
    /// empty target directory is filled). 252 knows no `C+`: the `+` is
    /// accepted and ignored.
    fn copy_files(&mut self, item: &Item) -> Result<(), OpError> {
        let source_path = PathBuf::from(item.argument.clone().unwrap_or_default());
        let source = match self.root.chase(&source_path, true, false) {
            Ok(n) => n,
            Err(e) if errno(&e) == libc::ENOENT => {
                self.note(item, Severity::Skipped, LineError::CopySourceMissing(source_path));
                return Ok(());
            }
            Err(e) => return Err(OpError::io("open copy source", &source_path, e)),
        };
        let (dir, name) = self.open_parent(&item.path)?;
        let opts = copy::CopyOptions { uid: item.uid, gid: item.gid };
        let copied = copy::copy_tree(&source, &dir, &name, &opts);
        let mut node = match self.node_at(&dir, &name) {
            Ok(n) => n,
            Err(e) => {
                return Err(match copied {
                    Err(c) => OpError::io("copy files to", &item.path, c),
                    Ok(_) => OpError::io("open", &item.path, e),
                })
            }
        };
        match copied {
            Ok(true) => self.did(item, &item.path, What::Copied(source_path.clone())),
            Ok(false) => {}
            Err(e) if errno(&e) == libc::EEXIST => {}
            Err(e) => return Err(OpError::io("copy files to", &item.path, e)),
        }
        let followed = self.root.chase(&source_path, false, false).map(|n| sys::file_type(&n.st));
        if followed.is_ok_and(|t| t != sys::file_type(&node.st)) {
            return Ok(());
        }
        self.set_perms(item, &mut node, Creation::Normal)
    }

    /// Run `action` on every object the line's glob matches; with
    /// `recursive`, also on everything below matched directories
    /// (`item_do()`), never following symlinks.
    fn for_each_match(
        &mut self,
        item: &Item,
        recursive: bool,
        action: &dyn Fn(&mut Run<'_>, &Item, &mut Node) -> Result<(), OpError>,
    ) -> Result<(), OpError> {
        for p in self.expand(item) {
            if !normalized(&p) {
                self.fail(item, p.clone(), OpError::NotNormalized(p), item.allow_failure);
                continue;
            }
            let mut node = match self.root.chase(&p, true, true) {
                Ok(n) => n,
                Err(e) => {
                    self.fail(item, p.clone(), OpError::OpenPath { path: p, source: e }, item.allow_failure);
                    continue;
                }
            };
            if recursive {
                self.recurse(item, &mut node, action);
            } else if let Err(e) = action(self, item, &mut node) {
                self.fail(item, p, e, item.allow_failure);
            }
        }
        Ok(())
    }

    fn recurse(
        &mut self,
        item: &Item,
        node: &mut Node,
        action: &dyn Fn(&mut Run<'_>, &Item, &mut Node) -> Result<(), OpError>,
    ) {
        if let Err(e) = action(self, item, node) {
            self.fail(item, node.path.clone(), e, item.allow_failure);
        }
        if !sys::is_dir(&node.st) {
            return;
        }
        let names = match sys::open_dir_for_read(node.raw()).and_then(sys::read_dir) {
            Ok(mut n) => {
                n.sort();
                n
            }
            Err(e) => {
                self.fail(item, node.path.clone(), OpError::io("opendir", &node.path, e), item.allow_failure);
                return;
            }
        };
        for name in names {
            match self.node_at(node, &name) {
                Ok(mut child) => self.recurse(item, &mut child, action),
                Err(e) if errno(&e) == libc::ENOENT => {}
                Err(e) => {
                    let p = node.path.join(&name);
                    self.fail(item, p.clone(), OpError::io("open", &p, e), item.allow_failure);
                }
            }
        }
    }
}
