//! The remove phase (`--remove`): `r`, `R` and the contents of `D`.
//!
//! systemd 252 expands the paths of `r` and `R` as globs (the `D` path is
//! taken literally), then:
//!
//! - `r` removes a file, symlink or *empty* directory (`remove(3)`); a
//!   non-empty directory is an error;
//! - `R` removes recursively (`rm_rf(REMOVE_ROOT|REMOVE_PHYSICAL)`), never
//!   descending into other mounts, and a symlink is removed, not followed;
//! - `D` removes the *contents* of the directory, keeping it. 252 does
//!   this with `rm_rf()`, so — unlike later versions — `x` lines do not
//!   protect anything inside a `D` directory from `--remove`.
//!
//! A path that vanished meanwhile is not an error.

use std::os::fd::AsRawFd;
use std::path::Path;

use crate::fs;
use crate::item::{Item, Kind};
use crate::sys;

use super::{OpError, Run, What};

fn is_enoent(e: &std::io::Error) -> bool {
    e.raw_os_error() == Some(libc::ENOENT)
}

impl Run<'_> {
    pub(crate) fn remove_item(&mut self, item: &Item) {
        if !matches!(item.kind, Kind::RemovePath | Kind::RecursiveRemovePath | Kind::TruncateDirectory) {
            return;
        }
        let paths = if item.kind == Kind::TruncateDirectory { vec![item.path.clone()] } else { self.expand(item) };
        for p in paths {
            let r = match item.kind {
                Kind::RemovePath => self.remove_one(item, &p),
                Kind::RecursiveRemovePath => self.remove_tree(item, &p, true),
                _ => self.remove_tree(item, &p, false),
            };
            if let Err(e) = r {
                self.fail(item, p, e, false);
            }
        }
    }

    /// `remove(3)` of one in-root path, never following a final symlink.
    fn remove_one(&mut self, item: &Item, path: &Path) -> Result<(), OpError> {
        let (dir, name) = match self.root.open_parent(path) {
            Ok(v) => v,
            Err(e) if is_enoent(&e) => return Ok(()),
            Err(e) => return Err(OpError::io("rm", path, e)),
        };
        let st = match sys::lstatat(dir.raw(), &name) {
            Ok(st) => st,
            Err(e) if is_enoent(&e) => return Ok(()),
            Err(e) => return Err(OpError::io("rm", path, e)),
        };
        match sys::unlinkat(dir.raw(), &name, sys::is_dir(&st)) {
            Ok(()) => {
                self.did(item, path, What::Removed);
                Ok(())
            }
            Err(e) if is_enoent(&e) => Ok(()),
            Err(e) => Err(OpError::io("rm", path, e)),
        }
    }

    /// `rm -rf`, of the path itself (`R`) or only of its contents (`D`).
    fn remove_tree(&mut self, item: &Item, path: &Path, remove_root: bool) -> Result<(), OpError> {
        let (dir, name) = match self.root.open_parent(path) {
            Ok(v) => v,
            Err(e) if is_enoent(&e) => return Ok(()),
            Err(e) => return Err(OpError::io("rm_rf", path, e)),
        };
        let st = match sys::lstatat(dir.raw(), &name) {
            Ok(st) => st,
            Err(e) if is_enoent(&e) => return Ok(()),
            Err(e) => return Err(OpError::io("rm_rf", path, e)),
        };
        if !sys::is_dir(&st) {
            if remove_root {
                sys::unlinkat(dir.raw(), &name, false).map_err(|e| OpError::io("rm_rf", path, e))?;
                self.did(item, path, What::Removed);
            }
            return Ok(());
        }
        let child = sys::open_path(dir.raw(), &name).map_err(|e| OpError::io("rm_rf", path, e))?;
        fs::rm_rf_children(child.as_raw_fd(), st.st_dev).map_err(|e| OpError::io("rm_rf", path, e))?;
        if remove_root {
            match sys::unlinkat(dir.raw(), &name, true) {
                Ok(()) => self.did(item, path, What::Removed),
                Err(e) if is_enoent(&e) => {}
                Err(e) => return Err(OpError::io("rm_rf", path, e)),
            }
        } else {
            self.did(item, path, What::RemovedContents);
        }
        Ok(())
    }
}
