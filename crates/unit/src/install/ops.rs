//! The operations of `systemctl` that change unit file state, each a port
//! of its `unit_file_*()` function in systemd 252's `install.c`.
//!
//! All of them write into one configuration directory: the persistent one
//! (`/etc/systemd/system`, `~/.config/systemd/user`, `/etc/systemd/user`
//! for `--global`) or with [`Flags::runtime`] the runtime one under `/run`.
//! A few behaviours worth knowing, all systemd's:
//!
//! - `enable` follows aliases in the configuration directory only while
//!   discovering; applying refuses them, so enabling an `/etc` alias fails
//!   with "refusing to operate on linked unit file" (use the real name).
//! - `disable` never fails for a missing unit: leftover links are removed
//!   anyway (the "does not exist" error is still reported).
//! - `reenable` under a root resolves each name to its unit file path
//!   first, so aliases and linked units can be re-enabled.
//! - `mask` of an invalid name records no change, only the result
//!   (`EINVAL`); `unmask` only removes masks (links to `/dev/null` or
//!   empty files) from the one configuration directory.
//! - `revert` removes drop-in directories from configuration, control and
//!   transient directories, and — only if a vendor version of the unit
//!   exists — any overriding unit file or link in the configuration
//!   directories, then the symlinks that pointed there.

use std::fs;
use std::path::{Path, PathBuf};

use super::apply::ApplyFlags;
use super::discover::{FOLLOW_CONFIG, LOAD};
use super::errno::Errno;
use super::fsutil::{basename, null_or_empty};
use super::info::Context;
use super::names;
use super::symlinks::Marks;
use super::{Change, Dependency, Flags, Installer, Outcome, Run};

/// `SPECIAL_DEFAULT_TARGET`.
const DEFAULT_TARGET: &str = "default.target";

impl From<Flags> for ApplyFlags {
    fn from(f: Flags) -> ApplyFlags {
        ApplyFlags { force: f.force, ignore_auxiliary_failure: false }
    }
}

impl Run<'_> {
    fn config_path(&self, flags: Flags) -> Result<PathBuf, Errno> {
        self.inst.lp.config_path(flags).map(Path::to_path_buf).ok_or(Errno::ENXIO)
    }

    /// `do_unit_file_enable()`.
    fn do_enable<S: AsRef<str>>(&mut self, config: &Path, flags: Flags, names: &[S]) -> Result<usize, Errno> {
        let mut ctx = Context::default();
        for n in names {
            self.discover_and_check(&mut ctx, n.as_ref(), LOAD | FOLLOW_CONFIG)?;
        }
        self.context_apply(&mut ctx, flags.into(), config, LOAD)
    }

    /// `do_unit_file_disable()`.
    pub(crate) fn do_disable<S: AsRef<str>>(&mut self, config: &Path, names: &[S], dry_run: bool) -> Result<usize, Errno> {
        let mut ctx = Context::default();
        for n in names {
            let n = n.as_ref();
            if !names::is_valid(n, names::ANY) {
                return Err(self.fail(Errno::EUCLEAN, n.to_string(), None));
            }
            ctx.add(Some(n), None, false)?;
        }
        let mut marks = Marks::default();
        self.context_mark_for_removal(&mut ctx, &mut marks)?;
        self.remove_marked(&mut marks, config, dry_run).map(|()| 0)
    }

    /// `normalize_linked_files()`: names for the disable step, files (or
    /// names) for the enable step.
    fn normalize_linked_files<S: AsRef<str>>(&mut self, args: &[S]) -> Result<(Vec<String>, Vec<String>), Errno> {
        let mut names = Vec::new();
        let mut files = Vec::new();
        for a in args {
            let a = a.as_ref();
            if a.ends_with('/') {
                return Err(Errno::EISDIR);
            }
            let n = basename(a).to_string();
            let mut found: Option<PathBuf> = None;
            if !a.contains('/') {
                let mut ctx = Context::default();
                let mark = self.changes.len();
                if let Ok(i) = self.discover(&mut ctx, &n, LOAD | FOLLOW_CONFIG) {
                    found = ctx.infos[i].path.clone();
                }
                self.changes.truncate(mark);
            }
            names.push(n);
            // systemd strips the root from the found path; without a root
            // it keeps the argument as given.
            match found {
                Some(p) if self.root().is_set() => files.push(p.to_string_lossy().into_owned()),
                _ => files.push(a.to_string()),
            }
        }
        Ok((names, files))
    }
}

/// Keep the first occurrence of each string (`strv_uniq()`).
fn uniq(v: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in v {
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

/// `hidden_or_backup_file()`: entries `get_files_in_directory()` skips.
fn hidden_or_backup(name: &str) -> bool {
    const SUFFIXES: &[&str] = &[
        ".rpmnew", ".rpmsave", ".rpmorig", ".dpkg-old", ".dpkg-new", ".dpkg-tmp", ".dpkg-dist",
        ".dpkg-bak", ".dpkg-backup", ".dpkg-remove", ".ucf-new", ".ucf-old", ".ucf-dist", ".swp",
        ".bak", ".old", ".new",
    ];
    let lower = name.to_ascii_lowercase();
    name.starts_with('.') || name.ends_with('~') || SUFFIXES.iter().any(|s| lower.ends_with(s))
}

impl Installer {
    /// `systemctl enable NAME|PATH…`. The result counts the `[Install]`
    /// rules found; 0 makes systemctl print its "no installation config"
    /// notice.
    pub fn enable<S: AsRef<str>>(&self, names_or_paths: &[S], flags: Flags) -> Outcome<usize> {
        let mut run = self.run();
        let r = run.config_path(flags).and_then(|c| run.do_enable(&c, flags, names_or_paths));
        run.finish(r)
    }

    /// `systemctl disable NAME…`.
    pub fn disable<S: AsRef<str>>(&self, names: &[S], flags: Flags) -> Outcome<usize> {
        let mut run = self.run();
        let r = run.config_path(flags).and_then(|c| run.do_disable(&c, names, false));
        run.finish(r)
    }

    /// The links `disable` would remove, without removing them
    /// (`systemctl is-enabled --full`).
    pub fn links<S: AsRef<str>>(&self, names: &[S], flags: Flags) -> Outcome<usize> {
        let mut run = self.run();
        let r = run.config_path(flags).and_then(|c| run.do_disable(&c, names, true));
        run.finish(r)
    }

    /// `systemctl reenable NAME|PATH…`: disable by name, enable by file.
    pub fn reenable<S: AsRef<str>>(&self, names_or_paths: &[S], flags: Flags) -> Outcome<usize> {
        let mut run = self.run();
        let r = run.config_path(flags).and_then(|c| {
            let (names, files) = run.normalize_linked_files(names_or_paths)?;
            run.do_disable(&c, &names, false)?;
            run.do_enable(&c, flags, &files)
        });
        run.finish(r)
    }

    /// `systemctl link PATH…`: link unit files from outside the search
    /// path into the configuration directory. Paths are in-root.
    pub fn link<S: AsRef<str>>(&self, files: &[S], flags: Flags) -> Outcome<usize> {
        let mut run = self.run();
        let r = (|| {
            let config = run.config_path(flags)?;
            let mut todo = Vec::new();
            for f in files {
                let f = f.as_ref();
                if !f.starts_with('/') {
                    return Err(run.fail(Errno::EINVAL, f.to_string(), None));
                }
                if !names::is_valid(basename(f), names::ANY) {
                    return Err(run.fail(Errno::EUCLEAN, f.to_string(), None));
                }
                let p = PathBuf::from(f);
                let st = match fs::symlink_metadata(run.root().host(&p)) {
                    Ok(st) => st,
                    Err(e) => return Err(run.fail(Errno::from(&e), f.to_string(), None)),
                };
                let bad = if st.is_dir() {
                    Some(Errno::EISDIR)
                } else if st.file_type().is_symlink() {
                    Some(Errno::ELOOP)
                } else if !st.is_file() {
                    Some(Errno::EBADFD)
                } else {
                    None
                };
                if let Some(e) = bad {
                    return Err(run.fail(e, f.to_string(), None));
                }
                // systemd compares the argument with the *host* search
                // path here, so under a root nothing is ever "already in
                // the search path" and every file gets linked.
                if !run.root().is_set() {
                    let parent = p.parent().unwrap_or(Path::new("/"));
                    if run.inst.lp.search.iter().any(|d| super::fsutil::path_eq(d, parent)) {
                        // Already in the search path: a silent no-op.
                        continue;
                    }
                    if run.inst.lp.search.iter().any(|d| p.starts_with(d)) {
                        return Err(run.fail(Errno::ETXTBSY, f.to_string(), None));
                    }
                }
                todo.push(f.to_string());
            }
            let mut r = Ok(0);
            for f in uniq(todo) {
                let new = config.join(basename(&f));
                if let Err(e) = run.create_symlink(&f, &new, flags.force) {
                    if r.is_ok() {
                        r = Err(e);
                    }
                }
            }
            r
        })();
        run.finish(r)
    }

    /// `systemctl mask NAME…`.
    pub fn mask<S: AsRef<str>>(&self, names: &[S], flags: Flags) -> Outcome<usize> {
        let mut run = self.run();
        let r = run.config_path(flags).and_then(|config| {
            let mut r = Ok(0);
            for n in names {
                let n = n.as_ref();
                if !names::is_valid(n, names::ANY) {
                    if r == Ok(0) {
                        r = Err(Errno::EINVAL);
                    }
                    continue;
                }
                if let Err(e) = run.create_symlink("/dev/null", &config.join(n), flags.force) {
                    if r.is_ok() {
                        r = Err(e);
                    }
                }
            }
            r
        });
        run.finish(r)
    }

    /// `systemctl unmask NAME…`.
    pub fn unmask<S: AsRef<str>>(&self, names: &[S], flags: Flags) -> Outcome<usize> {
        let mut run = self.run();
        let r = run.config_path(flags).and_then(|config| {
            let mut todo = Vec::new();
            for n in names {
                let n = n.as_ref();
                if !names::is_valid(n, names::ANY) {
                    return Err(Errno::EINVAL);
                }
                // Without a root, a generator's mask cannot be undone here.
                if !run.root().is_set() {
                    let mut tmp = Context::default();
                    if let Ok((i, _)) = tmp.add(Some(n), None, false) {
                        if run.search(&mut tmp, i, 0).is_ok() {
                            let info = &tmp.infos[i];
                            if info.mode == Some(super::info::Mode::Masked) {
                                if let Some(p) = &info.path {
                                    if run.inst.lp.is_generator(p.parent().unwrap_or(Path::new("/"))) {
                                        let path = run.root().show(p);
                                        run.change(Change::MaskedByGenerator { unit: n.to_string(), path });
                                    }
                                }
                            }
                        }
                    }
                }
                // null_or_empty_path(): stat() on the host path.
                match fs::metadata(run.root().host(&config.join(n))) {
                    Ok(m) if null_or_empty(&m) => todo.push(n.to_string()),
                    Ok(_) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(Errno::from(&e)),
                }
            }
            let mut r = Ok(0);
            let mut marks = Marks::default();
            for n in uniq(todo) {
                let p = config.join(&n);
                if let Err(e) = fs::remove_file(run.root().host(&p)) {
                    if e.kind() != std::io::ErrorKind::NotFound {
                        let e = Errno::from(&e);
                        if r.is_ok() {
                            r = Err(e);
                        }
                        let shown = run.root().show(&p);
                        run.fail(e, shown, None);
                    }
                    continue;
                }
                let shown = run.root().show(&p);
                run.change(Change::Unlink { path: shown });
                marks.mark(&p.to_string_lossy());
            }
            let q = run.remove_marked(&mut marks, &config, false);
            if r.is_ok() {
                r = q.map(|()| 0);
            }
            r
        });
        run.finish(r)
    }

    /// `systemctl revert NAME…`: back to the vendor state.
    pub fn revert<S: AsRef<str>>(&self, names: &[S]) -> Outcome<usize> {
        let mut run = self.run();
        let r = (|| {
            let lp = run.inst.lp.clone();
            let mut todo: Vec<PathBuf> = Vec::new();
            for n in names {
                let n = n.as_ref();
                if !names::is_valid(n, names::ANY) {
                    return Err(Errno::EINVAL);
                }
                let mut has_vendor = false;
                for d in &lp.search {
                    let path = d.join(n);
                    match fs::symlink_metadata(run.root().host(&path)) {
                        Ok(st) if st.is_file() => {
                            if lp.is_vendor_or_generator(&path) {
                                has_vendor = true;
                            }
                        }
                        Ok(_) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => {
                            let shown = run.root().show(&path);
                            return Err(run.fail(Errno::from(&e), shown, None));
                        }
                    }
                    let dropin = d.join(format!("{n}.d"));
                    match fs::symlink_metadata(run.root().host(&dropin)) {
                        Ok(st) if st.is_dir() => {
                            if lp.is_config(d) || lp.is_control(d) || lp.is_transient(d) {
                                todo.push(dropin);
                            }
                        }
                        Ok(_) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => {
                            let shown = run.root().show(&dropin);
                            return Err(run.fail(Errno::from(&e), shown, None));
                        }
                    }
                }
                if !has_vendor {
                    continue;
                }
                for d in &lp.search {
                    let path = d.join(n);
                    match fs::symlink_metadata(run.root().host(&path)) {
                        Ok(st) if st.is_file() || st.file_type().is_symlink() => {
                            if lp.is_config(d) {
                                todo.push(path);
                            }
                        }
                        Ok(_) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => {
                            let shown = run.root().show(&path);
                            return Err(run.fail(Errno::from(&e), shown, None));
                        }
                    }
                }
            }
            let mut seen: Vec<PathBuf> = Vec::new();
            todo.retain(|p| {
                let new = !seen.contains(p);
                seen.push(p.clone());
                new
            });
            let mut r = Ok(0);
            let mut marks = Marks::default();
            for p in todo {
                let host = run.root().host(&p);
                let files: Vec<String> = super::fsutil::list_dir(&host)
                    .map(|v| {
                        v.into_iter()
                            .filter(|(n, t)| {
                                matches!(t, super::fsutil::DType::Regular | super::fsutil::DType::Symlink)
                                    && !hidden_or_backup(n)
                            })
                            .map(|(n, _)| n)
                            .collect()
                    })
                    .unwrap_or_default();
                let removed = match fs::symlink_metadata(&host) {
                    Ok(st) if st.is_dir() => fs::remove_dir_all(&host),
                    Ok(_) => fs::remove_file(&host),
                    Err(e) => Err(e),
                };
                if let Err(e) = removed {
                    if e.kind() != std::io::ErrorKind::NotFound && r.is_ok() {
                        r = Err(Errno::from(&e));
                        continue;
                    }
                }
                for f in files {
                    let shown = run.root().show(&p.join(f));
                    run.change(Change::Unlink { path: shown });
                }
                let shown = run.root().show(&p);
                run.change(Change::Unlink { path: shown });
                marks.mark(&p.to_string_lossy());
            }
            for config in [lp.runtime_config.clone(), lp.persistent_config.clone()] {
                let q = match config {
                    Some(c) => run.remove_marked(&mut marks, &c, false),
                    // systemd opens a NULL path here and gets EFAULT; a
                    // scope without runtime dir simply has nothing there.
                    None => Ok(()),
                };
                if r.is_ok() {
                    r = q.map(|()| 0);
                }
            }
            r
        })();
        run.finish(r)
    }

    /// `systemctl set-default NAME`: always replaces an existing
    /// `default.target` link, as systemctl passes `--force` for it.
    pub fn set_default(&self, name: &str) -> Outcome<usize> {
        let mut run = self.run();
        let r = (|| {
            if names::unit_type(name) != Some(crate::UnitType::Target) || name == DEFAULT_TARGET {
                return Err(Errno::EINVAL);
            }
            let config = run.inst.lp.persistent_config.clone().ok_or(Errno::ENXIO)?;
            let mut ctx = Context::default();
            let i = run.discover_and_check(&mut ctx, name, 0)?;
            let file = ctx.infos[i].path.clone().unwrap_or_default();
            run.create_symlink(&file.to_string_lossy(), &config.join(DEFAULT_TARGET), true).map(|()| 0)
        })();
        run.finish(r)
    }

    /// `systemctl get-default`: the name `default.target` resolves to.
    pub fn get_default(&self) -> Outcome<String> {
        let mut run = self.run();
        let mut ctx = Context::default();
        let mark = run.changes.len();
        let r = run.discover(&mut ctx, DEFAULT_TARGET, FOLLOW_CONFIG).map(|i| ctx.infos[i].name.clone());
        run.changes.truncate(mark);
        run.finish(r)
    }

    /// `systemctl add-wants TARGET NAME…` / `add-requires`.
    pub fn add_dependency<S: AsRef<str>>(&self, target: &str, names: &[S], dep: Dependency, flags: Flags) -> Outcome<usize> {
        let mut run = self.run();
        let r = (|| {
            if !names::is_valid(target, names::ANY) {
                return Err(run.fail(Errno::EUCLEAN, target.to_string(), None));
            }
            let config = run.config_path(flags)?;
            let mut ctx = Context::default();
            let t = run.discover_and_check(&mut ctx, target, FOLLOW_CONFIG)?;
            let target_name = ctx.infos[t].name.clone();
            for n in names {
                let i = run.discover_and_check(&mut ctx, n.as_ref(), FOLLOW_CONFIG)?;
                let info = &mut ctx.infos[i];
                match dep {
                    Dependency::Wants => info.wanted_by = vec![target_name.clone()],
                    Dependency::Requires => info.required_by = vec![target_name.clone()],
                }
            }
            run.context_apply(&mut ctx, flags.into(), &config, FOLLOW_CONFIG)
        })();
        run.finish(r)
    }
}
