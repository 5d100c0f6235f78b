//! Unit file state (`systemctl is-enabled`) and the unit file listing
//! (`systemctl list-unit-files`), as systemd 252's
//! `unit_file_lookup_state()` and `unit_file_get_list()` compute them.
//!
//! The state of a name, decided in this order:
//!
//! | state             | when                                                           |
//! |-------------------|----------------------------------------------------------------|
//! | `masked[-runtime]`| the name resolves to a mask (under `/run`: runtime)            |
//! | `alias`           | the name is another name of a unit file (not an instance)      |
//! | `generated`       | the file is in a generator directory                           |
//! | `transient`       | the file is in the transient directory                         |
//! | `enabled`         | a symlink made by `enable` (a `.wants`/`.requires` entry named like the unit or its template, or a link under one of its `Alias=` names) is in the persistent config dir |
//! | `enabled-runtime` | …only in a runtime directory                                   |
//! | `static`          | an *instance* enabled from a vendor directory                  |
//! | `linked[-runtime]`| only the link of a linked unit file exists                     |
//! | `indirect`        | links exist under other names, or no rules but `Also=`         |
//! | `disabled`        | has `[Install]` rules, none applied                            |
//! | `static`          | no `[Install]` rules at all                                    |
//!
//! `bad` is what `list-unit-files` shows when the state cannot be
//! determined (a dangling alias, an invalid link); `is-enabled` reports
//! such failures as errors instead.

use std::path::{Path, PathBuf};

use super::discover::{FOLLOW_CONFIG, LOAD};
use super::errno::Errno;
use super::fsutil::{basename, fnmatch, list_dir, DType};
use super::info::{Context, Info, Mode};
use super::names;
use super::preset::Presets;
use super::{Installer, LogLevel, Outcome, Run};
use crate::paths::Scope;

/// The states of `systemctl(1)`, "is-enabled".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnitFileState {
    Enabled,
    EnabledRuntime,
    Linked,
    LinkedRuntime,
    Alias,
    Masked,
    MaskedRuntime,
    Static,
    Disabled,
    Indirect,
    Generated,
    Transient,
    Bad,
}

impl UnitFileState {
    pub const ALL: [UnitFileState; 13] = [
        UnitFileState::Enabled,
        UnitFileState::EnabledRuntime,
        UnitFileState::Linked,
        UnitFileState::LinkedRuntime,
        UnitFileState::Alias,
        UnitFileState::Masked,
        UnitFileState::MaskedRuntime,
        UnitFileState::Static,
        UnitFileState::Disabled,
        UnitFileState::Indirect,
        UnitFileState::Generated,
        UnitFileState::Transient,
        UnitFileState::Bad,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            UnitFileState::Enabled => "enabled",
            UnitFileState::EnabledRuntime => "enabled-runtime",
            UnitFileState::Linked => "linked",
            UnitFileState::LinkedRuntime => "linked-runtime",
            UnitFileState::Alias => "alias",
            UnitFileState::Masked => "masked",
            UnitFileState::MaskedRuntime => "masked-runtime",
            UnitFileState::Static => "static",
            UnitFileState::Disabled => "disabled",
            UnitFileState::Indirect => "indirect",
            UnitFileState::Generated => "generated",
            UnitFileState::Transient => "transient",
            UnitFileState::Bad => "bad",
        }
    }

    pub fn parse(s: &str) -> Option<UnitFileState> {
        UnitFileState::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Whether `is-enabled` counts this state as enabled (exit code 0).
    pub fn counts_as_enabled(self) -> bool {
        matches!(
            self,
            UnitFileState::Enabled
                | UnitFileState::EnabledRuntime
                | UnitFileState::Static
                | UnitFileState::Alias
                | UnitFileState::Indirect
                | UnitFileState::Generated
        )
    }

    /// Whether `list-unit-files` shows a preset for this state
    /// (systemctl's `show_preset_for_state()`).
    pub fn shows_preset(self) -> bool {
        !matches!(
            self,
            UnitFileState::Alias | UnitFileState::Static | UnitFileState::Generated | UnitFileState::Transient
        )
    }
}

/// The PRESET column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PresetState {
    Enabled,
    Disabled,
    /// The preset files could not be read ("n/a").
    Unknown,
}

impl PresetState {
    pub fn as_str(self) -> &'static str {
        match self {
            PresetState::Enabled => "enabled",
            PresetState::Disabled => "disabled",
            PresetState::Unknown => "n/a",
        }
    }
}

/// One row of `list-unit-files`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnitFileEntry {
    pub name: String,
    /// Where it was found (in-root).
    pub path: PathBuf,
    pub state: UnitFileState,
    /// `None` where systemctl shows `-`.
    pub preset: Option<PresetState>,
}

/// `USER_CONFIG_UNIT_DIR` and `/etc/systemd/user` (`path_is_user_config_dir()`).
fn is_user_config_dir(p: &Path) -> bool {
    p == Path::new("/etc/systemd/user")
}

/// `is_symlink_with_known_name()`: a name `enable` would have created.
fn known_name(info: &Info, name: &str) -> bool {
    if name == info.name || info.aliases.iter().any(|a| a == name) {
        return true;
    }
    match &info.default_instance {
        Some(di) if names::is_valid(&info.name, names::TEMPLATE) => {
            names::replace_instance(&info.name, di).is_some_and(|s| s == name)
        }
        _ => false,
    }
}

impl Run<'_> {
    /// `find_symlinks_in_directory()`.
    #[allow(clippy::too_many_arguments)]
    fn find_in_dir(
        &mut self,
        dir: &Path,
        info: &Info,
        ignore_destination: bool,
        match_name: bool,
        ignore_same_name: bool,
        config: &Path,
        same_name_link: &mut bool,
    ) -> Result<bool, Errno> {
        let entries = list_dir(&self.root().host(dir)).map_err(|e| Errno::from(&e))?;
        let mut r = Ok(false);
        for (name, t) in entries {
            if t != DType::Symlink {
                continue;
            }
            let mut found_dest = false;
            if !ignore_destination {
                match std::fs::read_link(self.root().host(&dir.join(&name))) {
                    Ok(d) => {
                        let d = d.to_string_lossy().into_owned();
                        found_dest = basename(&d) == info.name;
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                    Err(e) => {
                        if r.is_ok() {
                            r = Err(Errno::from(&e));
                        }
                        continue;
                    }
                }
            }
            let found_path = (ignore_destination || !ignore_same_name) && name == info.name;
            if !found_path && ignore_destination {
                if let Some(t) = names::template(&name) {
                    found_dest = t == info.name;
                }
            }
            let same = found_path && found_dest && super::fsutil::path_eq(&dir.join(&name), &config.join(&info.name));
            if same {
                *same_name_link = true;
            } else if (found_path || found_dest) && (!match_name || known_name(info, &name)) {
                return Ok(true);
            }
        }
        r
    }

    /// `find_symlinks()`: in the `.wants`/`.requires` directories of
    /// `config`, then among the links in `config` itself.
    fn find_symlinks(
        &mut self,
        info: &Info,
        match_name: bool,
        ignore_same_name: bool,
        config: &Path,
        same_name_link: &mut bool,
    ) -> Result<bool, Errno> {
        let entries = match list_dir(&self.root().host(config)) {
            Ok(e) => e,
            Err(e) => {
                let e = Errno::from(&e);
                if matches!(e, Errno::ENOENT | Errno::ENOTDIR | Errno::EACCES) {
                    return Ok(false);
                }
                return Err(e);
            }
        };
        for (name, t) in entries {
            if t != DType::Dir {
                continue;
            }
            let suffix = name.rfind('.').map(|i| &name[i..]);
            if !matches!(suffix, Some(".wants") | Some(".requires")) {
                continue;
            }
            let path = config.join(&name);
            if let Err(e) = list_dir(&self.root().host(&path)) {
                let shown = self.root().show(&path);
                let e = Errno::from(&e);
                self.log(
                    LogLevel::Error,
                    format!("Failed to open directory \"{shown}\" while scanning for symlinks, ignoring: {e}"),
                );
                continue;
            }
            if let Ok(true) = self.find_in_dir(&path, info, true, match_name, ignore_same_name, config, same_name_link) {
                return Ok(true);
            }
        }
        self.find_in_dir(config, info, false, match_name, ignore_same_name, config, same_name_link)
    }

    /// `find_symlinks_in_scope()`.
    fn find_symlinks_in_scope(&mut self, info: &Info, match_name: bool) -> Result<Option<UnitFileState>, Errno> {
        let lp = self.inst.lp.clone();
        let (mut same_runtime, mut same_config, mut in_runtime, mut at_all) = (false, false, false, false);
        let mut ignore_same_name = false;
        let info_path = info.path.clone().unwrap_or_default();
        for p in &lp.search {
            let mut same = false;
            let found = self.find_symlinks(info, match_name, ignore_same_name, p, &mut same)?;
            let is_persistent = lp.persistent_config.as_deref().is_some_and(|c| super::fsutil::path_eq(c, p));
            if found {
                if is_persistent {
                    return Ok(Some(UnitFileState::Enabled));
                }
                if self.inst.scope == Scope::User && is_user_config_dir(p) {
                    return Ok(Some(UnitFileState::Enabled));
                }
                if lp.is_runtime(p) {
                    in_runtime = true;
                } else {
                    at_all = true;
                }
            } else if same {
                if is_persistent {
                    same_config = true;
                } else if lp.is_runtime(p) {
                    same_runtime = true;
                }
            }
            if !ignore_same_name && info_path.starts_with(p) {
                ignore_same_name = true;
            }
        }
        Ok(if in_runtime {
            Some(UnitFileState::EnabledRuntime)
        } else if at_all && names::is_valid(&info.name, names::INSTANCE) {
            // An instance symlinked from a vendor directory is there on
            // purpose: statically enabled.
            Some(UnitFileState::Static)
        } else if same_config {
            Some(UnitFileState::Linked)
        } else if same_runtime {
            Some(UnitFileState::LinkedRuntime)
        } else {
            None
        })
    }

    /// `unit_file_lookup_state()`.
    pub(crate) fn lookup_state(&mut self, name: &str) -> Result<UnitFileState, Errno> {
        if !names::is_valid(name, names::ANY) {
            return Err(Errno::EINVAL);
        }
        let mut ctx = Context::default();
        let mark = self.changes.len();
        let r = self.discover(&mut ctx, name, LOAD | FOLLOW_CONFIG);
        self.changes.truncate(mark);
        let info = ctx.infos[r?].clone();
        let path = info.path.clone().unwrap_or_default();
        let parent = path.parent().unwrap_or(Path::new("/")).to_path_buf();
        let lp = &self.inst.lp;
        if info.mode == Some(Mode::Masked) {
            return Ok(if path.starts_with("/run") || lp.is_runtime(&parent) {
                UnitFileState::MaskedRuntime
            } else {
                UnitFileState::Masked
            });
        }
        if name != basename(&path.to_string_lossy()) && !names::is_valid(&info.name, names::INSTANCE) {
            return Ok(UnitFileState::Alias);
        }
        if lp.is_generator(&parent) {
            return Ok(UnitFileState::Generated);
        }
        if lp.is_transient(&parent) {
            return Ok(UnitFileState::Transient);
        }
        if let Some(s) = self.find_symlinks_in_scope(&info, true)? {
            return Ok(s);
        }
        if self.find_symlinks_in_scope(&info, false)?.is_some() {
            return Ok(UnitFileState::Indirect);
        }
        Ok(if info.has_rules() {
            UnitFileState::Disabled
        } else if !info.also.is_empty() {
            UnitFileState::Indirect
        } else {
            UnitFileState::Static
        })
    }
}

/// `list-unit-files`' sort order: by type suffix, then name, ignoring case.
fn compare(a: &UnitFileEntry, b: &UnitFileEntry) -> std::cmp::Ordering {
    let lower = |s: &str| s.to_ascii_lowercase();
    let (sa, sb) = (names::suffix(&a.name).unwrap_or(""), names::suffix(&b.name).unwrap_or(""));
    lower(sa).cmp(&lower(sb)).then_with(|| lower(&a.name).cmp(&lower(&b.name)))
}

impl Installer {
    /// `systemctl is-enabled NAME`: the unit file state, or the error
    /// systemctl reports ("Failed to get unit file state for …").
    pub fn state(&self, name: &str) -> Outcome<UnitFileState> {
        let mut run = self.run();
        let r = run.lookup_state(name);
        run.finish(r)
    }

    /// `systemctl list-unit-files [PATTERN…] [--state=…] [--type=…]`, sorted
    /// as systemctl prints it, with the PRESET column filled in.
    pub fn list_unit_files<S: AsRef<str>>(&self, patterns: &[S], states: &[UnitFileState], types: &[crate::UnitType]) -> Outcome<Vec<UnitFileEntry>> {
        let mut run = self.run();
        let r = (|| {
            let mut rows: Vec<UnitFileEntry> = Vec::new();
            let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
            for d in run.inst.lp.search.clone() {
                let entries = match list_dir(&run.root().host(&d)) {
                    Ok(e) => e,
                    Err(e) => {
                        let e = Errno::from(&e);
                        if matches!(e, Errno::ENOENT | Errno::ENOTDIR | Errno::EACCES) {
                            continue;
                        }
                        return Err(e);
                    }
                };
                for (n, t) in entries {
                    if !names::is_valid(&n, names::ANY) {
                        continue;
                    }
                    if !patterns.is_empty() && !patterns.iter().any(|p| fnmatch(p.as_ref(), &n)) {
                        continue;
                    }
                    if seen.contains(&n) {
                        continue;
                    }
                    if !matches!(t, DType::Symlink | DType::Regular) {
                        continue;
                    }
                    let state = run.lookup_state(&n).unwrap_or(UnitFileState::Bad);
                    if !states.is_empty() && !states.contains(&state) {
                        continue;
                    }
                    seen.insert(n.clone());
                    rows.push(UnitFileEntry { name: n.clone(), path: d.join(&n), state, preset: None });
                }
            }
            if !types.is_empty() {
                rows.retain(|r| names::suffix(&r.name).is_some_and(|s| types.iter().any(|t| s[1..] == *t.as_str())));
            }
            rows.sort_by(compare);
            let mut presets: Option<Presets> = None;
            for row in rows.iter_mut() {
                if !row.state.shows_preset() {
                    continue;
                }
                if presets.is_none() {
                    presets = run.read_presets().ok();
                }
                row.preset = Some(match presets.as_ref().map(|p| p.query(&row.name, false)) {
                    Some(Ok((true, _))) => PresetState::Enabled,
                    Some(Ok((false, _))) => PresetState::Disabled,
                    _ => PresetState::Unknown,
                });
            }
            Ok(rows)
        })();
        run.finish(r)
    }
}
