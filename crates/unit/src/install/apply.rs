//! Turning `[Install]` sections into symlinks, and units into removal
//! marks: systemd 252's `install_context_apply()` and
//! `install_context_mark_for_removal()` with their helpers.
//!
//! For each unit of a context, in order (`Also=` units are appended as they
//! are discovered):
//!
//! 1. a unit file outside the search path is first *linked* into the
//!    configuration directory under its own name;
//! 2. every `Alias=` becomes a symlink `CONFIG/ALIAS → FILE` — after
//!    specifier expansion and systemd's alias rules (same type; an
//!    instance may alias a template's instance; `foo.target.wants/x` style
//!    values are allowed for compatibility);
//! 3. every `WantedBy=`/`RequiredBy=` target `T` gets
//!    `CONFIG/T.wants/NAME → FILE` (`.requires/`), where NAME is the unit's
//!    name, the template instantiated with `DefaultInstance=`, or — for a
//!    bare template with no default — the template itself, which only a
//!    template target may want (`foo@.target.wants/bar@.service`).
//!
//! The symlink target is always the unit *file* (for an instance, its
//! template's file), as an in-root path. A target that does not exist is
//! reported ("is added as a dependency to a non-existent unit") but the
//! link is made anyway. The return value counts the `[Install]` rules
//! seen, which is how `systemctl enable` knows to print "The unit files
//! have no installation config".

use std::path::Path;

use super::discover::{FOLLOW_CONFIG, LOAD};
use super::errno::Errno;
use super::info::{Context, Info, Mode};
use super::names;
use super::printf;
use super::symlinks::Marks;
use super::{Change, LogLevel, Run};

/// Flags for applying: [`super::Flags`] plus the preset-only one.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ApplyFlags {
    pub force: bool,
    /// `UNIT_FILE_IGNORE_AUXILIARY_FAILURE`: presets skip `WantedBy=`
    /// values that cannot apply (a template without instance) silently.
    pub ignore_auxiliary_failure: bool,
}

/// `r = r < 0 ? r : q` for the int-valued helpers.
fn keep_first_err(r: &mut Result<usize, Errno>, q: Result<usize, Errno>) {
    if r.is_ok() {
        *r = q;
    }
}

impl Run<'_> {
    fn printf(&self, info: &Info, s: &str) -> Result<String, Errno> {
        let unit = printf::Unit { name: &info.name, default_instance: info.default_instance.as_deref() };
        printf::expand(self.inst.scope, &self.inst.facts, &unit, s)
    }

    /// `unit_file_verify_alias()`: the alias name to create, or an error
    /// (recorded) — `ELOOP` (an alias to itself) is quietly skipped.
    pub(crate) fn verify_alias(&mut self, info: &Info, dst: &str) -> Result<String, Errno> {
        if let Some(slash) = dst.rfind('/') {
            // The legacy form "Alias=foo.target.wants/bar.service".
            let alias = &dst[slash + 1..];
            let dir = &dst[..slash];
            // systemd takes the whole directory part, suffix removed, as
            // the name of the wanting unit.
            let Some(unit) = dir.strip_suffix(".wants").or_else(|| dir.strip_suffix(".requires")) else {
                return Err(self.fail(Errno::EXDEV, dst.to_string(), None));
            };
            let Some(kind) = names::classify(unit) else {
                return Err(self.fail(Errno::EXDEV, dst.to_string(), None));
            };
            let propagate = kind == names::TEMPLATE;
            if !names::symlink_name_compatible(alias, &info.name, propagate) {
                return Err(self.fail(Errno::EXDEV, dst.to_string(), Some(info.name.clone())));
            }
            return Ok(dst.to_string());
        }
        let mut updated = None;
        if names::is_valid(dst, names::TEMPLATE) {
            match names::classify(&info.name) {
                None => return Err(self.fail(Errno::EUCLEAN, info.name.clone(), None)),
                Some(names::INSTANCE) => {
                    let inst = names::instance(&info.name).unwrap_or("");
                    match names::replace_instance(dst, inst) {
                        Some(u) => updated = Some(u),
                        None => {
                            let e = Errno::EINVAL;
                            self.log(LogLevel::Error, format!("Failed to build unit name from {dst}+{inst}: {e}"));
                            return Err(e);
                        }
                    }
                }
                Some(_) => {}
            }
        }
        let name = updated.unwrap_or_else(|| dst.to_string());
        match self.validate_alias_symlink(LogLevel::Debug, &name, &info.name) {
            Ok(()) => Ok(name),
            Err(Errno::ELOOP) => Err(Errno::ELOOP),
            Err(e) => {
                let e = if e == Errno::EINVAL { Errno::EXDEV } else { e };
                Err(self.fail(e, name, Some(info.name.clone())))
            }
        }
    }

    /// `install_info_symlink_alias()`.
    fn symlink_alias(&mut self, info: &Info, config: &Path, force: bool) -> Result<usize, Errno> {
        let mut r: Result<usize, Errno> = Ok(0);
        let file = info.path.clone().unwrap_or_default();
        for a in &info.aliases {
            let dst = match self.printf(info, a) {
                Ok(d) => d,
                Err(e) => {
                    self.fail(e, a.clone(), None);
                    keep_first_err(&mut r, Err(e));
                    continue;
                }
            };
            let dst = match self.verify_alias(info, &dst) {
                Ok(d) => d,
                Err(Errno::ELOOP) => continue,
                Err(e) => {
                    keep_first_err(&mut r, Err(e));
                    continue;
                }
            };
            let q = self.create_symlink(&file.to_string_lossy(), &config.join(&dst), force).map(|()| 1);
            keep_first_err(&mut r, q);
        }
        r
    }

    /// `install_info_symlink_wants()` for one list and suffix.
    fn symlink_wants(
        &mut self,
        flags: ApplyFlags,
        info: &Info,
        config: &Path,
        list: &[String],
        suffix: &str,
    ) -> Result<usize, Errno> {
        if list.is_empty() {
            return Ok(0);
        }
        let mut valid_dst = names::ANY;
        let n = if names::is_valid(&info.name, names::PLAIN | names::INSTANCE) {
            info.name.clone()
        } else if let Some(di) = &info.default_instance {
            let inst_name = names::replace_instance(&info.name, di).ok_or(Errno::EINVAL)?;
            let mut tmp = Context::default();
            let (i, _) = tmp.add(Some(&inst_name), None, false)?;
            self.search(&mut tmp, i, FOLLOW_CONFIG)?;
            if tmp.infos[i].mode == Some(Mode::Masked) {
                let p = tmp.infos[i].path.clone().unwrap_or_default();
                let shown = self.root().show(&p);
                return Err(self.fail(Errno::ERFKILL, shown, None));
            }
            inst_name
        } else {
            valid_dst = names::INSTANCE | names::TEMPLATE;
            info.name.clone()
        };
        let file = info.path.clone().unwrap_or_default();
        let mut r: Result<usize, Errno> = Ok(0);
        for s in list {
            let dst = match self.printf(info, s) {
                Ok(d) => d,
                Err(e) => {
                    self.fail(e, s.clone(), None);
                    keep_first_err(&mut r, Err(e));
                    continue;
                }
            };
            if !names::is_valid(&dst, valid_dst) {
                if flags.ignore_auxiliary_failure {
                    continue;
                }
                let e = if names::is_valid(&dst, names::ANY) {
                    self.fail(Errno::EIDRM, dst.clone(), Some(n.clone()))
                } else {
                    self.fail(Errno::EUCLEAN, dst.clone(), None)
                };
                keep_first_err(&mut r, Err(e));
                continue;
            }
            let path = config.join(format!("{dst}{suffix}{n}"));
            let q = self.create_symlink(&file.to_string_lossy(), &path, true).map(|()| 1);
            // systemd: if ((q < 0 && r >= 0) || r == 0) r = q;
            if (q.is_err() && r.is_ok()) || r == Ok(0) {
                r = q;
            }
            if self.unit_exists(&dst) == Ok(false) {
                let dependent = self.root().show(&file);
                self.change(Change::DestinationNotPresent { unit: dst.clone(), dependent });
            }
        }
        r
    }

    /// `install_info_symlink_link()`: link a unit file from outside the
    /// search path into the configuration directory.
    fn symlink_link(&mut self, info: &Info, config: &Path, force: bool) -> Result<(), Errno> {
        let file = info.path.clone().unwrap_or_default();
        let parent = file.parent().unwrap_or(Path::new("/"));
        if self.inst.lp.search.iter().any(|d| super::fsutil::path_eq(d, parent)) {
            return Ok(());
        }
        self.create_symlink(&file.to_string_lossy(), &config.join(&info.name), force)
    }

    /// `install_info_apply()`.
    fn info_apply(&mut self, flags: ApplyFlags, info: &Info, config: &Path) -> Result<usize, Errno> {
        if info.mode != Some(Mode::Regular) {
            return Ok(0);
        }
        self.symlink_link(info, config, flags.force)?;
        let mut r = self.symlink_alias(info, config, flags.force);
        let q = self.symlink_wants(flags, info, config, &info.wanted_by, ".wants/");
        if r == Ok(0) {
            r = q;
        }
        let q = self.symlink_wants(flags, info, config, &info.required_by, ".requires/");
        if r == Ok(0) {
            r = q;
        }
        r
    }

    /// `install_context_apply()`: process every unit of `ctx` in order.
    /// Returns the number of `[Install]` rules applied.
    pub(crate) fn context_apply(
        &mut self,
        ctx: &mut Context,
        flags: ApplyFlags,
        config: &Path,
        search: u8,
    ) -> Result<usize, Errno> {
        let mut r: Result<usize, Errno> = Ok(0);
        while let Some(i) = ctx.next_todo() {
            if let Err(q) = self.traverse(ctx, i, search) {
                let info = &ctx.infos[i];
                if info.auxiliary {
                    let unit = info.name.clone();
                    self.change(Change::AuxiliaryFailed { unit });
                    continue;
                }
                let name = info.name.clone();
                return Err(self.fail(q, name, None));
            }
            let info = ctx.infos[i].clone();
            if info.mode == Some(Mode::Masked) {
                let shown = self.root().show(&info.path.clone().unwrap_or_default());
                self.change(Change::Masked { path: shown });
                // Something could have been enabled here: no "empty
                // [Install] section" notice.
                if let Ok(n) = &mut r {
                    *n += 1;
                }
                continue;
            }
            if info.mode != Some(Mode::Regular) {
                continue;
            }
            let q = self.info_apply(flags, &info, config);
            if let Ok(n) = r {
                r = q.map(|q| n + q);
            }
        }
        r
    }

    /// `install_context_mark_for_removal()`: mark the names of every unit
    /// of `ctx` that resolves to a regular unit file.
    pub(crate) fn context_mark_for_removal(&mut self, ctx: &mut Context, marks: &mut Marks) -> Result<(), Errno> {
        while let Some(i) = ctx.next_todo() {
            let r = self.traverse(ctx, i, LOAD | FOLLOW_CONFIG);
            let info = &ctx.infos[i];
            let shown = match &info.path {
                Some(p) => self.root().show(p),
                None => info.name.clone(),
            };
            match r {
                Err(Errno::ENOLINK) => self.change(Change::Dangling { path: shown }),
                Err(Errno::ENOENT) => {
                    if !info.auxiliary {
                        // A missing unit may still have leftover links.
                        self.fail(Errno::ENOENT, shown, None);
                    }
                }
                Err(e) => {
                    self.fail(e, shown, None);
                }
                Ok(_) if info.mode == Some(Mode::Masked) => {
                    self.change(Change::Masked { path: shown });
                    continue;
                }
                Ok(_) if info.mode != Some(Mode::Regular) => continue,
                Ok(_) => {}
            }
            let name = ctx.infos[i].name.clone();
            marks.mark(&name);
        }
        Ok(())
    }
}
