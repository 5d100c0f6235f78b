//! Making and removing the symlinks: systemd 252's `create_symlink()` and
//! `remove_marked_symlinks()`.
//!
//! Creating is idempotent in systemd's sense: if the link already exists
//! and points to the same file, or to a file of the same name that is also
//! inside the unit search path (`/lib/systemd/system/x` vs
//! `/usr/lib/systemd/system/x`), nothing happens and nothing is reported.
//! A link pointing elsewhere is an `EEXIST` error ("file … already exists
//! and is a symlink to …") unless forced, in which case it is replaced
//! atomically and reported as removed and created.
//!
//! Removing works on a *set of marks*: unit names, template names and
//! in-root paths. The configuration directory is walked recursively and
//! every symlink whose name is marked, whose template is marked, or whose
//! resolved target (or the target's file name) is marked, is deleted, its
//! now-empty parent directories with it. Each removed link's own path is
//! marked in turn, and the walk is repeated until nothing new is marked, so
//! links to links go too. One systemd quirk is kept on purpose: under a
//! root, the resolved target is compared as a host path, so only its file
//! name can match — links are removed by name, never by path.

use std::collections::HashSet;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::errno::Errno;
use super::fsutil::{basename, list_dir, simplify, DType};
use super::names;
use super::{Change, Run};

/// The marks of a removal (`remove_symlinks_to`).
#[derive(Debug, Default)]
pub(crate) struct Marks(HashSet<String>);

impl Marks {
    /// `mark_symlink_for_removal()`: true if newly marked.
    pub(crate) fn mark(&mut self, p: &str) -> bool {
        self.0.insert(simplify(p))
    }

    fn has(&self, p: &str) -> bool {
        self.0.contains(&simplify(p))
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Run<'_> {
    /// `create_symlink()`: `new` (in-root) → `old` (written as given).
    pub(crate) fn create_symlink(&mut self, old: &str, new: &Path, force: bool) -> Result<(), Errno> {
        let host = self.root().host(new);
        let shown = self.root().show(new);
        if let Some(parent) = host.parent() {
            let _ = fs::create_dir_all(parent);
        }
        match std::os::unix::fs::symlink(old, &host) {
            Ok(()) => {
                self.change(Change::Symlink { path: shown, target: old.to_string() });
                return Ok(());
            }
            Err(e) => {
                let e = Errno::from(&e);
                if e != Errno::EEXIST {
                    return Err(self.fail(e, shown, None));
                }
            }
        }
        let dest = match fs::read_link(&host) {
            Ok(d) => d.to_string_lossy().into_owned(),
            Err(e) => {
                let e = Errno::from(&e);
                let e = if e == Errno::EINVAL { Errno::EEXIST } else { e };
                return Err(self.fail(e, shown, None));
            }
        };
        if self.symlinks_equivalent(new, &dest, old) {
            return Ok(());
        }
        if !force {
            return Err(self.fail(Errno::EEXIST, shown, Some(dest)));
        }
        if let Err(e) = symlink_atomic(old, &host) {
            return Err(self.fail(e, shown, None));
        }
        self.change(Change::Unlink { path: shown.clone() });
        self.change(Change::Symlink { path: shown, target: old.to_string() });
        Ok(())
    }

    /// `chroot_unit_symlinks_equivalent()`: do two link targets of `src`
    /// name the same unit file? The same file on disk, or the same file
    /// name inside the search path.
    fn symlinks_equivalent(&self, src: &Path, a: &str, b: &str) -> bool {
        let dir = src.parent().unwrap_or(Path::new("/"));
        let in_root = |t: &str| -> PathBuf {
            if t.starts_with('/') {
                PathBuf::from(t)
            } else {
                dir.join(t)
            }
        };
        let (ia, ib) = (in_root(a), in_root(b));
        let (ha, hb) = (self.root().host(&ia), self.root().host(&ib));
        if super::fsutil::path_eq(&ha, &hb) {
            return true;
        }
        // files_same() stats on the host, following symlinks as the kernel
        // does — exactly what systemd does here.
        if let (Ok(ma), Ok(mb)) = (fs::metadata(&ha), fs::metadata(&hb)) {
            if ma.dev() == mb.dev() && ma.ino() == mb.ino() {
                return true;
            }
        }
        let name = |p: &Path| basename(&p.to_string_lossy()).to_string();
        let in_search = |p: &Path| self.inst.lp.search.iter().any(|d| p.starts_with(d));
        name(&ia) == name(&ib) && in_search(&ia) && in_search(&ib)
    }

    /// `remove_marked_symlinks()`: walk `config` (in-root) until no new
    /// marks appear.
    pub(crate) fn remove_marked(&mut self, marks: &mut Marks, config: &Path, dry_run: bool) -> Result<(), Errno> {
        if marks.is_empty() {
            return Ok(());
        }
        match fs::metadata(self.root().host(config)) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => return Err(Errno::ENOTDIR),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(Errno::from(&e)),
        }
        let mut r = Ok(());
        loop {
            let mut restart = false;
            let q = self.remove_marked_in(marks, config, config, dry_run, &mut restart);
            if r.is_ok() {
                r = q;
            }
            if !restart {
                break;
            }
        }
        r
    }

    /// `remove_marked_symlinks_fd()` for one directory.
    fn remove_marked_in(
        &mut self,
        marks: &mut Marks,
        dir: &Path,
        config: &Path,
        dry_run: bool,
        restart: &mut bool,
    ) -> Result<(), Errno> {
        let entries = list_dir(&self.root().host(dir)).map_err(|e| Errno::from(&e))?;
        let mut r: Result<(), Errno> = Ok(());
        for (name, t) in entries {
            match t {
                DType::Dir => {
                    let sub = dir.join(&name);
                    let q = self.remove_marked_in(marks, &sub, config, dry_run, restart);
                    match q {
                        Err(Errno::ENOENT) => {}
                        Err(e) if r.is_ok() => r = Err(e),
                        _ => {}
                    }
                }
                DType::Symlink => {
                    if !names::is_valid(&name, names::ANY) {
                        continue;
                    }
                    let p = dir.join(&name);
                    let mut found = marks.has(&name) || names::template(&name).is_some_and(|t| marks.has(&t));
                    if !found {
                        match self.root().chase(&p, false) {
                            Err(Errno::ENOENT) => continue,
                            Err(e) => {
                                let shown = self.root().show(&p);
                                self.fail(e, shown, None);
                                if r.is_ok() {
                                    r = Err(e);
                                }
                                continue;
                            }
                            Ok(dest) => {
                                let dest_s = dest.to_string_lossy().into_owned();
                                // Under a root systemd compares the host path
                                // with in-root marks: only the name can match.
                                found = (!self.root().is_set() && marks.has(&dest_s)) || marks.has(basename(&dest_s));
                            }
                        }
                    }
                    if !found {
                        continue;
                    }
                    if !dry_run {
                        if let Err(e) = fs::remove_file(self.root().host(&p)) {
                            if e.kind() != std::io::ErrorKind::NotFound {
                                let e = Errno::from(&e);
                                if r.is_ok() {
                                    r = Err(e);
                                }
                                let shown = self.root().show(&p);
                                self.fail(e, shown, None);
                                continue;
                            }
                        }
                        self.rmdir_parents(&p, config);
                    }
                    let shown = self.root().show(&p);
                    self.change(Change::Unlink { path: shown });
                    if marks.mark(&p.to_string_lossy()) && !dry_run {
                        *restart = true;
                    }
                }
                _ => {}
            }
        }
        r
    }

    /// `rmdir_parents()`: remove the now-empty directories between a
    /// removed link and the configuration directory.
    fn rmdir_parents(&self, p: &Path, stop: &Path) {
        let mut cur = p.parent();
        while let Some(d) = cur {
            if stop.starts_with(d) {
                break;
            }
            match fs::remove_dir(self.root().host(d)) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(_) => break,
            }
            cur = d.parent();
        }
    }
}

/// `symlink_atomic()`: create under a temporary name, then rename over.
fn symlink_atomic(target: &str, host: &Path) -> Result<(), Errno> {
    let dir = host.parent().unwrap_or(Path::new("/"));
    let name = host.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let tmp = dir.join(format!(".#{}{:08x}{:x}", name, nanos, std::process::id()));
    std::os::unix::fs::symlink(target, &tmp).map_err(|e| Errno::from(&e))?;
    if let Err(e) = fs::rename(&tmp, host) {
        let _ = fs::remove_file(&tmp);
        return Err(Errno::from(&e));
    }
    Ok(())
}
