//! Preset policy (`systemd.preset(5)`) and the `preset`/`preset-all`
//! operations, as systemd 252 implements them.
//!
//! Files named `*.preset` are collected from `/etc/systemd/system-preset`,
//! `/run/…`, `/usr/local/lib/…`, `/usr/lib/…` and, on Debian's split-usr
//! build, `/lib/systemd/system-preset` (user presets: `…/user-preset`
//! without `/lib`). A file name found in an earlier directory hides the
//! same name in later ones; the survivors are read in file-name order, and
//! their rules in line order form one list. For a unit, the *first* rule
//! whose pattern matches its name decides:
//!
//! - `enable PATTERN` / `disable PATTERN`, the pattern a shell glob;
//! - `enable TEMPLATE@.service INSTANCE…` enables exactly those instances
//!   when the template is preset (and matches those instances by name).
//!
//! No matching rule means *enable*. Lines that are neither are warned about
//! ("Couldn't parse line '…'. Ignoring.") with file and line number.
//!
//! `preset` then disables (removes links of) the units the policy says to
//! disable and enables the others, skipping aliases; `preset-all` does that
//! for every unit file in the search path. Modes restrict it to one half.
//! Unlike `enable`, presets silently skip `WantedBy=` values that cannot be
//! applied (a template without instance).

use std::fs;
use std::path::{Path, PathBuf};

use super::apply::ApplyFlags;
use super::discover::{FOLLOW_CONFIG, LOAD};
use super::errno::Errno;
use super::fsutil::{fnmatch, list_dir, DType};
use super::info::{extract_word, Context, Split};
use super::names;
use super::symlinks::Marks;
use super::{Flags, Installer, LogLevel, Outcome, PresetMode, Run};
use crate::paths::Scope;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    Enable,
    Disable,
}

#[derive(Clone, Debug)]
pub(crate) struct Rule {
    pattern: String,
    action: Action,
    /// `enable foo@.service a b`: the instances to enable.
    instances: Option<Vec<String>>,
}

/// The preset rules of one scope, in priority order.
#[derive(Clone, Debug, Default)]
pub(crate) struct Presets {
    rules: Vec<Rule>,
}

/// `first_word()`: `s` starts with `word` followed by whitespace or end.
fn first_word<'a>(s: &'a str, word: &str) -> Option<&'a str> {
    let rest = s.strip_prefix(word)?;
    if rest.is_empty() {
        return Some(rest);
    }
    if !rest.starts_with([' ', '\t', '\n', '\r']) {
        return None;
    }
    Some(rest.trim_start_matches([' ', '\t', '\n', '\r']))
}

/// The preset directories of a scope, highest priority first
/// (`systemd.preset(5)`).
pub fn preset_dirs(scope: Scope) -> &'static [&'static str] {
    match scope {
        Scope::System => &[
            "/etc/systemd/system-preset",
            "/run/systemd/system-preset",
            "/usr/local/lib/systemd/system-preset",
            "/usr/lib/systemd/system-preset",
            "/lib/systemd/system-preset",
        ],
        Scope::User | Scope::Global => &[
            "/etc/systemd/user-preset",
            "/run/systemd/user-preset",
            "/usr/local/lib/systemd/user-preset",
            "/usr/lib/systemd/user-preset",
        ],
    }
}

impl Run<'_> {
    /// `presets_find_config()` + `read_presets()`.
    pub(crate) fn read_presets(&mut self) -> Result<Presets, Errno> {
        // conf_files_list_strv(): directories resolved inside the root and
        // de-duplicated, one file per name (earlier directory wins),
        // sorted by name.
        let mut dirs: Vec<PathBuf> = Vec::new();
        for d in preset_dirs(self.inst.scope) {
            let Ok(real) = self.root().chase(Path::new(d), false) else { continue };
            if !dirs.contains(&real) {
                dirs.push(real);
            }
        }
        let mut files: Vec<(String, PathBuf)> = Vec::new();
        for d in &dirs {
            let Ok(entries) = list_dir(&self.root().host(d)) else { continue };
            for (n, _) in entries {
                if n.ends_with(".preset") && !files.iter().any(|(f, _)| *f == n) {
                    files.push((n.clone(), d.join(&n)));
                }
            }
        }
        files.sort_by(|a, b| a.0.cmp(&b.0));

        let mut ps = Presets::default();
        for (_, f) in files {
            let text = match fs::read(self.root().host(&f)) {
                Ok(b) => String::from_utf8_lossy(&b).into_owned(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(Errno::from(&e)),
            };
            let shown = self.root().show(&f);
            for (n, raw) in text.lines().enumerate() {
                let lineno = n + 1;
                let ws = [' ', '\t', '\n', '\r'];
                let line = raw.trim_end_matches(ws);
                let l = line.trim_start_matches(ws);
                if l.is_empty() || l.starts_with(['#', ';']) {
                    continue;
                }
                let mut rule = None;
                if let Some(param) = first_word(l, "enable") {
                    match split_pattern(param) {
                        Ok(Some((pattern, instances))) => {
                            rule = Some(Rule { pattern, action: Action::Enable, instances });
                        }
                        // "enable" alone: systemd would crash matching a
                        // NULL pattern; we ignore the line instead.
                        Ok(None) => {}
                        Err(e) => {
                            let msg = format!("{shown}:{lineno}: Couldn't parse line '{line}'. Ignoring.");
                            let _ = e;
                            self.log(LogLevel::Warning, msg);
                            continue;
                        }
                    }
                }
                if let Some(param) = first_word(l, "disable") {
                    rule = Some(Rule { pattern: param.to_string(), action: Action::Disable, instances: None });
                }
                match rule {
                    Some(r) => ps.rules.push(r),
                    None => {
                        let msg = format!("{shown}:{lineno}: Couldn't parse line '{line}'. Ignoring.");
                        self.log(LogLevel::Warning, msg);
                    }
                }
            }
        }
        Ok(ps)
    }
}

/// A preset pattern and its instance list.
type Pattern = (String, Option<Vec<String>>);

/// `split_pattern_into_name_and_instances()`.
fn split_pattern(param: &str) -> Result<Option<Pattern>, Errno> {
    let Some((name, rest)) = extract_word(param, Split::RetainEscape)? else {
        return Ok(None);
    };
    let Some(rest) = rest else {
        return Ok(Some((name, None)));
    };
    if !names::is_valid(&name, names::TEMPLATE) {
        return Err(Errno::EINVAL);
    }
    let instances = rest.split([' ', '\t', '\n', '\r']).filter(|s| !s.is_empty()).map(str::to_string).collect();
    Ok(Some((name, Some(instances))))
}

impl Presets {
    /// `query_presets()`: enable? And for a template matched by an
    /// instance rule (when `want_instances`), the instances to enable.
    pub(crate) fn query(&self, name: &str, want_instances: bool) -> Result<(bool, Option<Vec<String>>), Errno> {
        if !names::is_valid(name, names::ANY) {
            return Err(Errno::EINVAL);
        }
        for r in &self.rules {
            let mut list = None;
            let matched = (want_instances && match_instances(r, name, &mut list)) || fnmatch(&r.pattern, name);
            if matched {
                return Ok((r.action == Action::Enable, list));
            }
        }
        Ok((true, None))
    }
}

/// `pattern_match_multiple_instances()`.
fn match_instances(rule: &Rule, name: &str, out: &mut Option<Vec<String>>) -> bool {
    let Some(instances) = &rule.instances else { return false };
    let Some(tmpl) = names::template(name) else { return false };
    if rule.pattern != tmpl {
        return false;
    }
    if names::is_valid(name, names::TEMPLATE) {
        let mut v = Vec::new();
        for i in instances {
            match names::replace_instance(name, i) {
                Some(n) => v.push(n),
                None => return false,
            }
        }
        *out = Some(v);
        true
    } else {
        names::instance(name).is_some_and(|i| instances.iter().any(|x| x == i))
    }
}

impl Run<'_> {
    /// `preset_prepare_one()`: sort one name into the enable (`plus`) or
    /// disable (`minus`) context.
    fn preset_prepare_one(
        &mut self,
        plus: &mut Context,
        minus: &mut Context,
        name: &str,
        presets: &Presets,
    ) -> Result<(), Errno> {
        if plus.find(name).is_some() || minus.find(name).is_some() {
            return Ok(());
        }
        let mut tmp = Context::default();
        let i = self.discover(&mut tmp, name, FOLLOW_CONFIG)?;
        if tmp.infos[i].name != name {
            // An alias: its unit is preset under its own name.
            return Ok(());
        }
        let (enable, instances) = presets.query(name, true)?;
        if enable {
            match instances {
                Some(list) => {
                    for s in list {
                        self.discover_and_check(plus, &s, LOAD | FOLLOW_CONFIG)?;
                    }
                }
                None => {
                    self.discover_and_check(plus, name, LOAD | FOLLOW_CONFIG)?;
                }
            }
        } else {
            self.discover(minus, name, FOLLOW_CONFIG)?;
        }
        Ok(())
    }

    /// `execute_preset()`.
    fn execute_preset(
        &mut self,
        plus: &mut Context,
        minus: &mut Context,
        config: &Path,
        mode: PresetMode,
        flags: Flags,
    ) -> Result<usize, Errno> {
        let mut r = Ok(0);
        if mode != PresetMode::EnableOnly {
            let mut marks = Marks::default();
            self.context_mark_for_removal(minus, &mut marks)?;
            r = self.remove_marked(&mut marks, config, false).map(|()| 0);
        }
        if mode != PresetMode::DisableOnly {
            let af = ApplyFlags { force: flags.force, ignore_auxiliary_failure: true };
            let q = self.context_apply(plus, af, config, LOAD);
            if let Ok(n) = r {
                r = q.map(|q| n + q);
            }
        }
        r
    }
}

impl Installer {
    /// `systemctl preset NAME…`.
    pub fn preset<S: AsRef<str>>(&self, names: &[S], mode: PresetMode, flags: Flags) -> Outcome<usize> {
        let mut run = self.run();
        let r = (|| {
            let config = run.inst.lp.config_path(flags).map(Path::to_path_buf).ok_or(Errno::ENXIO)?;
            let presets = run.read_presets()?;
            let (mut plus, mut minus) = (Context::default(), Context::default());
            for n in names {
                run.preset_prepare_one(&mut plus, &mut minus, n.as_ref(), &presets)?;
            }
            run.execute_preset(&mut plus, &mut minus, &config, mode, flags)
        })();
        run.finish(r)
    }

    /// `systemctl preset-all`: every unit file of the search path, in
    /// directory order. Units that cannot be processed (masked, generated,
    /// invalid, missing) are reported and skipped; other errors abort.
    pub fn preset_all(&self, mode: PresetMode, flags: Flags) -> Outcome<usize> {
        let mut run = self.run();
        let r = (|| {
            let config = run.inst.lp.config_path(flags).map(Path::to_path_buf).ok_or(Errno::ENXIO)?;
            let presets = run.read_presets()?;
            let (mut plus, mut minus) = (Context::default(), Context::default());
            for d in run.inst.lp.search.clone() {
                let entries = match list_dir(&run.root().host(&d)) {
                    Ok(e) => e,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                    Err(e) => return Err(Errno::from(&e)),
                };
                for (n, t) in entries {
                    if !names::is_valid(&n, names::ANY) || !matches!(t, DType::Symlink | DType::Regular) {
                        continue;
                    }
                    if let Err(e) = run.preset_prepare_one(&mut plus, &mut minus, &n, &presets) {
                        let skip = [
                            Errno::EEXIST,
                            Errno::ERFKILL,
                            Errno::EADDRNOTAVAIL,
                            Errno::EBADSLT,
                            Errno::EIDRM,
                            Errno::EUCLEAN,
                            Errno::ELOOP,
                            Errno::ENOENT,
                            Errno::EUNATCH,
                            Errno::EXDEV,
                        ];
                        if !skip.contains(&e) {
                            return Err(e);
                        }
                    }
                }
            }
            run.execute_preset(&mut plus, &mut minus, &config, mode, flags)
        })();
        run.finish(r)
    }

    /// Whether the preset policy enables `name` (the PRESET column of
    /// `list-unit-files`).
    pub fn query_preset(&self, name: &str) -> Outcome<bool> {
        let mut run = self.run();
        let r = run.read_presets().and_then(|p| p.query(name, false).map(|(e, _)| e));
        run.finish(r)
    }
}
