//! Finding the file behind a name and reading its `[Install]` section:
//! systemd 252's `unit_file_search()`, `unit_file_load()`,
//! `install_info_traverse()` and friends.
//!
//! A name is looked up in every search directory in order, then (for an
//! instance) its template. What is found there decides the entry's
//! [`Mode`]: a regular file is *loaded* (its `[Install]` section and that of
//! its `.d/*.conf` drop-ins, the instance's and then the template's), an
//! empty file or `/dev/null` link is *masked*, and a symlink is resolved —
//! inside the search path it is an *alias* (and must pass systemd's alias
//! rules: same type, compatible instance), outside it is a *linked* unit
//! file. Traversal then follows aliases and links to the real file,
//! switching to a new entry when the target has another name, and carries
//! an instance over to a template target (`autovt@tty2.service` →
//! `getty@tty2.service`). Unless asked to follow them, symlinks found in the
//! configuration directories (`/etc/systemd/system`) stop traversal with
//! `ELOOP` — that is why `systemctl enable sshd.service` (an alias link in
//! `/etc`) says "refusing to operate on linked unit file".

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::errno::Errno;
use super::fsutil::{basename, null_or_empty, path_eq};
use super::info::{extract_word, Context, Mode, Split};
use super::names;
use super::printf;
use super::{LogLevel, Run};
use crate::syntax::{self, Sections};

/// `SEARCH_LOAD`: read `[Install]`, not just classify the file.
pub(crate) const LOAD: u8 = 1;
/// `SEARCH_FOLLOW_CONFIG_SYMLINKS`.
pub(crate) const FOLLOW_CONFIG: u8 = 2;
/// `SEARCH_DROPIN`: the file is a drop-in of the entry.
pub(crate) const DROPIN: u8 = 4;

/// `UNIT_FILE_FOLLOW_SYMLINK_MAX`.
const FOLLOW_MAX: usize = 64;

/// Sections `unit_file_load()` knows: `[Install]` is read, the others are
/// skipped without a word.
const KNOWN_SECTIONS: &[&str] = &[
    "Install", "Unit", "Automount", "Device", "Mount", "Path", "Scope", "Service", "Slice", "Socket",
    "Swap", "Target", "Timer",
];

fn io_err(e: io::Error) -> Errno {
    Errno::from(&e)
}

/// The last physical line (1-based) of the logical line starting at
/// `first`: continuation lines end in an odd number of backslashes, and
/// comment lines inside a continuation are skipped.
fn last_line(lines: &[&str], first: u32) -> u32 {
    let mut n = first as usize;
    let mut cur = first as usize;
    while let Some(l) = cur.checked_sub(1).and_then(|i| lines.get(i)) {
        let is_comment = cur != first as usize && l.trim_start_matches([' ', '\t', '\n', '\r']).starts_with(['#', ';']);
        if !is_comment {
            n = cur;
            let l = l.strip_suffix('\r').unwrap_or(l);
            let trailing = l.len() - l.trim_end_matches('\\').len();
            if trailing % 2 == 0 {
                break;
            }
        }
        cur += 1;
    }
    n as u32
}

impl Run<'_> {
    /// `unit_file_load()`: classify (and with [`LOAD`] parse) one file.
    /// Returns the number of `Alias=`/`WantedBy=`/`RequiredBy=` values.
    fn unit_file_load(&mut self, ctx: &mut Context, idx: usize, path: &Path, flags: u8) -> Result<usize, Errno> {
        let host = self.root().host(path);
        let meta = if flags & DROPIN == 0 {
            let name = ctx.infos[idx].name.clone();
            let ty = names::unit_type(&name).ok_or(Errno::EINVAL)?;
            if names::is_valid(&name, names::TEMPLATE | names::INSTANCE) && !names::type_may_template(ty) {
                let msg = format!("{}: unit type {} cannot be templated, ignoring.", self.root().show(path), ty);
                self.log(LogLevel::Error, msg);
                return Err(Errno::EINVAL);
            }
            let st = fs::symlink_metadata(&host).map_err(io_err)?;
            if flags & LOAD == 0 {
                let info = &mut ctx.infos[idx];
                if null_or_empty(&st) {
                    info.mode = Some(Mode::Masked);
                } else if st.file_type().is_file() {
                    info.mode = Some(Mode::Regular);
                } else if st.file_type().is_symlink() {
                    return Err(Errno::ELOOP);
                } else if st.is_dir() {
                    return Err(Errno::EISDIR);
                } else {
                    return Err(Errno::ENOTTY);
                }
                return Ok(0);
            }
            // open(O_NOFOLLOW) refuses a symlink with ELOOP.
            if st.file_type().is_symlink() {
                return Err(Errno::ELOOP);
            }
            st
        } else {
            if flags & LOAD == 0 {
                return Ok(0);
            }
            let real = self.root().chase(path, false)?;
            fs::metadata(self.root().host(&real)).map_err(io_err)?
        };
        if null_or_empty(&meta) {
            if flags & DROPIN == 0 {
                ctx.infos[idx].mode = Some(Mode::Masked);
            }
            return Ok(0);
        }
        if meta.is_dir() {
            return Err(Errno::EISDIR);
        }
        if !meta.file_type().is_file() {
            return Err(Errno::EBADFD);
        }
        let real = if flags & DROPIN != 0 { self.root().chase(path, false)? } else { path.to_path_buf() };
        let bytes = fs::read(self.root().host(&real)).map_err(io_err)?;
        let text = String::from_utf8_lossy(&bytes);
        self.parse_install(ctx, idx, path, &text)?;
        let info = &mut ctx.infos[idx];
        if flags & DROPIN == 0 {
            info.mode = Some(Mode::Regular);
        }
        Ok(info.aliases.len() + info.wanted_by.len() + info.required_by.len())
    }

    /// The `[Install]` part of `config_parse()`: entries and syntax
    /// warnings in file order; a structural error aborts with `EBADMSG`.
    fn parse_install(&mut self, ctx: &mut Context, idx: usize, path: &Path, text: &str) -> Result<(), Errno> {
        let shown = self.root().show(path);
        let parsed = syntax::parse(Path::new(&shown), text, Sections::Only(KNOWN_SECTIONS));
        enum Ev<'a> {
            Diag(&'a crate::Diagnostic),
            Entry(&'a syntax::Entry),
        }
        // systemd reports a continued line by its last physical line.
        let lines: Vec<&str> = text.lines().collect();
        let mut events: Vec<(u32, usize, Ev<'_>)> = Vec::new();
        for (n, d) in parsed.diagnostics.iter().enumerate() {
            events.push((last_line(&lines, d.span.line), n, Ev::Diag(d)));
        }
        let base = parsed.diagnostics.len();
        for (n, e) in parsed.entries("Install").enumerate() {
            events.push((last_line(&lines, e.span.line), base + n, Ev::Entry(e)));
        }
        events.sort_by_key(|(line, n, _)| (*line, *n));

        // Work on the entry out of the arena: Also= adds to the context.
        let mut info = std::mem::take(&mut ctx.infos[idx]);
        let mut result = Ok(());
        for (line, _, ev) in events {
            match ev {
                Ev::Diag(d) => {
                    let level = match d.severity {
                        crate::Severity::Error => LogLevel::Error,
                        _ => LogLevel::Warning,
                    };
                    self.log(level, format!("{}:{}: {}", shown, line, d.message));
                    if d.severity == crate::Severity::Error {
                        result = Err(Errno::EBADMSG);
                        break;
                    }
                }
                Ev::Entry(e) => {
                    if let Err(err) = self.install_entry(ctx, &mut info, &shown, line, &e.key, &e.value) {
                        result = Err(err);
                        break;
                    }
                }
            }
        }
        ctx.infos[idx] = info;
        result
    }

    /// One `[Install]` assignment (`unit_file_load()`'s item table).
    fn install_entry(
        &mut self,
        ctx: &mut Context,
        info: &mut super::info::Info,
        file: &str,
        line: u32,
        key: &str,
        value: &str,
    ) -> Result<(), Errno> {
        let warn = |run: &mut Self, msg: String| run.log(LogLevel::Warning, format!("{file}:{line}: {msg}"));
        match key {
            "Alias" | "WantedBy" | "RequiredBy" => {
                if key == "Alias" {
                    if let Some(t) = names::unit_type(&info.name) {
                        if !names::type_may_alias(t) {
                            warn(self, format!("Alias= is not allowed for {t} units, ignoring."));
                            return Ok(());
                        }
                    }
                }
                let list = match key {
                    "Alias" => &mut info.aliases,
                    "WantedBy" => &mut info.wanted_by,
                    _ => &mut info.required_by,
                };
                if value.is_empty() {
                    list.clear();
                    return Ok(());
                }
                let mut rest = Some(value);
                while let Some(r) = rest {
                    match extract_word(r, Split::UnquoteRetainEscape) {
                        Ok(Some((w, next))) => {
                            list.push(w);
                            rest = next;
                        }
                        Ok(None) => break,
                        Err(e) => {
                            warn(self, format!("Invalid syntax, ignoring: {value}"));
                            let _ = e;
                            break;
                        }
                    }
                }
                Ok(())
            }
            "DefaultInstance" => {
                if names::is_valid(&info.name, names::INSTANCE) {
                    // Enabling an instance of a template ignores it silently.
                    return Ok(());
                }
                if !names::is_valid(&info.name, names::TEMPLATE) {
                    warn(self, "DefaultInstance= only makes sense for template units, ignoring.".into());
                    return Ok(());
                }
                let unit = printf::Unit { name: &info.name, default_instance: info.default_instance.as_deref() };
                let printed = match printf::expand(self.inst.scope, &self.inst.facts, &unit, value) {
                    Ok(p) => p,
                    Err(e) => {
                        warn(self, format!("Failed to resolve instance name in DefaultInstance=\"{value}\": {e}"));
                        return Err(e);
                    }
                };
                if printed.is_empty() {
                    info.default_instance = None;
                    return Ok(());
                }
                if !names::instance_is_valid(&printed) {
                    warn(self, format!("Invalid DefaultInstance= value \"{printed}\"."));
                    return Err(Errno::EINVAL);
                }
                info.default_instance = Some(printed);
                Ok(())
            }
            "Also" => {
                let mut rest = Some(value);
                while let Some(r) = rest {
                    let Some((word, next)) = extract_word(r, Split::Plain)? else { break };
                    rest = next;
                    let unit = printf::Unit { name: &info.name, default_instance: info.default_instance.as_deref() };
                    let printed = match printf::expand(self.inst.scope, &self.inst.facts, &unit, &word) {
                        Ok(p) => p,
                        Err(e) => {
                            warn(self, format!("Failed to resolve unit name in Also=\"{word}\": {e}"));
                            return Err(e);
                        }
                    };
                    ctx.add(Some(&printed), None, true)?;
                    info.also.push(printed);
                }
                Ok(())
            }
            k if k.starts_with("X-") => Ok(()),
            k => {
                warn(self, format!("Unknown key '{k}' in section [Install], ignoring."));
                Ok(())
            }
        }
    }

    /// `unit_file_load_or_readlink()`.
    fn load_or_readlink(&mut self, ctx: &mut Context, idx: usize, path: &Path, flags: u8) -> Result<usize, Errno> {
        let r = self.unit_file_load(ctx, idx, path, flags);
        if r != Err(Errno::ELOOP) || flags & DROPIN != 0 {
            return r;
        }
        let (target, linked) = self.resolve_symlink(path)?;
        ctx.infos[idx].symlink_target = Some(target.clone());
        let masked = self.null_or_empty_with_root(&target)?;
        ctx.infos[idx].mode = Some(if masked {
            Mode::Masked
        } else if linked {
            Mode::Linked
        } else {
            Mode::Alias
        });
        Ok(0)
    }

    /// `null_or_empty_path_with_root()`. A link to `/dev/null` is a mask
    /// even where the root has no `/dev`. Otherwise systemd stats the
    /// target *again prefixed with the root* — which under `--root=` finds
    /// nothing, so only `/dev/null` links count as masks there. We do the
    /// same lookup, to answer the same.
    fn null_or_empty_with_root(&self, target: &Path) -> Result<bool, Errno> {
        if path_eq(target, Path::new("/dev/null")) {
            return Ok(true);
        }
        let probe = if self.root().is_set() { self.root().host(target) } else { target.to_path_buf() };
        let resolved = match self.root().chase(&probe, false) {
            Ok(p) => p,
            Err(Errno::ENOENT) => return Ok(false),
            Err(e) => return Err(e),
        };
        match fs::metadata(self.root().host(&resolved)) {
            Ok(m) => Ok(null_or_empty(&m)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(io_err(e)),
        }
    }

    /// `unit_file_resolve_symlink(…, resolve_destination_target=true)`:
    /// where a unit symlink points (inside the root), and whether that is
    /// outside the search path (a linked unit file).
    fn resolve_symlink(&mut self, path: &Path) -> Result<(PathBuf, bool), Errno> {
        let target = match fs::read_link(self.root().host(path)) {
            Ok(t) => t,
            Err(e) => {
                let e = io_err(e);
                let msg = format!("Failed to read symlink (null){}: {}", self.root().show(path), e);
                self.log(LogLevel::Warning, msg);
                return Err(e);
            }
        };
        let dir = path.parent().unwrap_or(Path::new("/")).to_path_buf();
        let filename = basename(&path.to_string_lossy()).to_string();
        let abs = if target.is_absolute() { target.clone() } else { dir.join(&target) };
        let simplified = match self.root().chase(&abs, true) {
            Ok(s) => s,
            Err(e) => {
                let msg = format!(
                    "Failed to resolve symlink {}/{} pointing to {}: {}",
                    self.root().show(&dir),
                    filename,
                    self.root().show(&abs),
                    e
                );
                self.log(LogLevel::Warning, msg);
                return Err(e);
            }
        };
        let tail = self
            .inst
            .lp
            .search
            .iter()
            .find_map(|d| simplified.strip_prefix(d).ok().map(|t| t.to_path_buf()));
        match tail {
            Some(tail) => {
                let shown = self.root().show(&simplified);
                self.validate_alias_symlink(LogLevel::Notice, &filename, &shown)?;
                if tail.components().count() > 1 {
                    let msg = format!(
                        "Suspicious symlink {}/{} \u{2192} {}, treating as alias.",
                        self.root().show(&dir),
                        filename,
                        shown
                    );
                    self.log(LogLevel::Warning, msg);
                }
                Ok((simplified, false))
            }
            None => Ok((simplified, true)),
        }
    }

    /// `unit_validate_alias_symlink_or_warn()`: may `filename` be an alias
    /// of `target`? `ELOOP` for an alias to itself, `EINVAL` for a bad
    /// source, `EXDEV` for a target that does not match.
    pub(crate) fn validate_alias_symlink(&mut self, level: LogLevel, filename: &str, target: &str) -> Result<(), Errno> {
        let src = basename(filename);
        let dst = basename(target);
        let Some(src_kind) = names::classify(src) else {
            self.log(level, format!("{filename}: not a valid unit name \"{src}\": {}", Errno::EINVAL));
            return Err(Errno::EINVAL);
        };
        let src_type = names::unit_type(src).ok_or(Errno::EINVAL)?;
        if !names::type_may_alias(src_type) {
            self.log(level, format!("{filename}: symlinks are not allowed for units of this type, rejecting."));
            return Err(Errno::EINVAL);
        }
        if src_kind != names::PLAIN && !names::type_may_template(src_type) {
            self.log(level, format!("{filename}: templates not allowed for {src_type} units, rejecting."));
            return Err(Errno::EINVAL);
        }
        if src == dst {
            return Err(Errno::ELOOP);
        }
        let Some(dst_kind) = names::classify(dst) else {
            self.log(level, format!("{filename} points to \"{dst}\" which is not a valid unit name: {}", Errno::EXDEV));
            return Err(Errno::EXDEV);
        };
        if !(dst_kind == src_kind || (src_kind == names::INSTANCE && dst_kind == names::TEMPLATE)) {
            self.log(level, format!("{filename}: symlink target name type \"{dst}\" does not match source, rejecting."));
            return Err(Errno::EXDEV);
        }
        if dst_kind == names::INSTANCE && names::instance(src) != names::instance(dst) {
            self.log(level, format!("{filename}: unit symlink target \"{dst}\" instance name doesn't match, rejecting."));
            return Err(Errno::EXDEV);
        }
        if names::unit_type(dst) != Some(src_type) {
            self.log(level, format!("{filename}: symlink target \"{dst}\" has incompatible suffix, rejecting."));
            return Err(Errno::EXDEV);
        }
        Ok(())
    }

    /// `unit_file_search()`: find the entry's file (unless already known),
    /// then its drop-ins. Returns the `[Install]` rule count.
    pub(crate) fn search(&mut self, ctx: &mut Context, idx: usize, flags: u8) -> Result<usize, Errno> {
        if ctx.infos[idx].mode.is_some() {
            return Ok(0);
        }
        if let Some(p) = ctx.infos[idx].path.clone() {
            return self.load_or_readlink(ctx, idx, &p, flags);
        }
        let name = ctx.infos[idx].name.clone();
        let template = if names::is_valid(&name, names::INSTANCE) { names::template(&name) } else { None };
        let search = self.inst.lp.search.clone();
        let mut found = None;
        for cand in std::iter::once(&name).chain(template.iter()) {
            for d in &search {
                let path = d.join(cand);
                match self.load_or_readlink(ctx, idx, &path, flags) {
                    Ok(r) => {
                        ctx.infos[idx].path = Some(path);
                        found = Some(r);
                        break;
                    }
                    Err(Errno::ENOENT | Errno::ENOTDIR | Errno::EACCES) => {}
                    Err(e) => return Err(e),
                }
            }
            if found.is_some() {
                break;
            }
        }
        let Some(result) = found else {
            return Err(Errno::ENOENT);
        };
        if ctx.infos[idx].mode == Some(Mode::Masked) {
            return Ok(result);
        }
        // Drop-ins of the name, then of the template; one file per
        // basename (the first directory wins), applied in basename order.
        let mut dirs: Vec<PathBuf> = search.iter().map(|d| d.join(format!("{name}.d"))).collect();
        if let Some(t) = &template {
            dirs.extend(search.iter().map(|d| d.join(format!("{t}.d"))));
        }
        let mut files: Vec<(String, PathBuf)> = Vec::new();
        for d in &dirs {
            let Ok(real) = self.root().chase(d, false) else { continue };
            let Ok(entries) = super::fsutil::list_dir(&self.root().host(&real)) else { continue };
            for (n, _) in entries {
                if n.ends_with(".conf") && !files.iter().any(|(f, _)| *f == n) {
                    files.push((n.clone(), d.join(&n)));
                }
            }
        }
        files.sort_by(|a, b| a.0.cmp(&b.0));
        for (_, f) in files {
            self.load_or_readlink(ctx, idx, &f, flags | DROPIN)?;
        }
        Ok(result)
    }

    /// `install_info_follow()`: replace a link entry by its target, if the
    /// target has the same name (or names do not matter, for links).
    fn follow(&mut self, ctx: &mut Context, idx: usize, flags: u8, ignore_different_name: bool) -> Result<usize, Errno> {
        let info = &mut ctx.infos[idx];
        if !matches!(info.mode, Some(Mode::Alias) | Some(Mode::Linked)) {
            return Err(Errno::EINVAL);
        }
        let target = info.symlink_target.clone().ok_or(Errno::EINVAL)?;
        if !ignore_different_name && basename(&target.to_string_lossy()) != info.name {
            return Err(Errno::EXDEV);
        }
        info.path = Some(target.clone());
        info.symlink_target = None;
        info.mode = None;
        self.load_or_readlink(ctx, idx, &target, flags)
    }

    /// `install_info_traverse()`: look the entry up and follow links and
    /// aliases to the entry of the real unit file.
    pub(crate) fn traverse(&mut self, ctx: &mut Context, start: usize, flags: u8) -> Result<usize, Errno> {
        self.search(ctx, start, flags)?;
        let mut i = start;
        let mut k = 0;
        while matches!(ctx.infos[i].mode, Some(Mode::Alias) | Some(Mode::Linked)) {
            k += 1;
            if k > FOLLOW_MAX {
                return Err(Errno::ELOOP);
            }
            if flags & FOLLOW_CONFIG == 0 {
                if let Some(p) = &ctx.infos[i].path {
                    if self.inst.lp.is_config(p.parent().unwrap_or(Path::new("/"))) {
                        return Err(Errno::ELOOP);
                    }
                }
            }
            let linked = ctx.infos[i].mode == Some(Mode::Linked);
            let mut r = self.follow(ctx, i, flags, linked).map(|_| ());
            if r == Err(Errno::EXDEV) {
                if let Some(target) = ctx.infos[i].symlink_target.clone() {
                    let mut bn = basename(&target.to_string_lossy()).to_string();
                    let name = ctx.infos[i].name.clone();
                    if names::is_valid(&name, names::INSTANCE) && names::is_valid(&bn, names::TEMPLATE) {
                        let inst = names::instance(&name).ok_or(Errno::EINVAL)?;
                        let buffer = names::replace_instance(&bn, inst).ok_or(Errno::EINVAL)?;
                        if buffer == name {
                            // The instance filled in gives our own name:
                            // honour the link as it is.
                            self.follow(ctx, i, flags, true)?;
                            continue;
                        }
                        bn = buffer;
                    }
                    i = ctx.add(Some(&bn), None, false)?.0;
                    r = match self.search(ctx, i, flags) {
                        Err(Errno::ENOENT) => return Err(Errno::ENOLINK),
                        other => other.map(|_| ()),
                    };
                }
            }
            r?;
        }
        Ok(i)
    }

    /// `install_info_discover()`: add `name_or_path` to `ctx` and traverse;
    /// a failure is recorded as a change for the name as given.
    pub(crate) fn discover(&mut self, ctx: &mut Context, name_or_path: &str, flags: u8) -> Result<usize, Errno> {
        let r = if name_or_path.starts_with('/') {
            ctx.add(None, Some(PathBuf::from(name_or_path)), false)
        } else {
            ctx.add(Some(name_or_path), None, false)
        }
        .and_then(|(i, _)| self.traverse(ctx, i, flags));
        if let Err(e) = r {
            self.fail(e, name_or_path.to_string(), None);
        }
        r
    }

    /// `install_info_discover_and_check()`: refuse masked, generated and
    /// transient units.
    pub(crate) fn discover_and_check(&mut self, ctx: &mut Context, name_or_path: &str, flags: u8) -> Result<usize, Errno> {
        let i = self.discover(ctx, name_or_path, flags)?;
        let info = &ctx.infos[i];
        let path = info.path.clone().unwrap_or_default();
        if info.mode == Some(Mode::Masked) {
            let shown = self.root().show(&path);
            return Err(self.fail(Errno::ERFKILL, shown, None));
        }
        let parent = path.parent().unwrap_or(Path::new("/"));
        if self.inst.lp.is_generator(parent) || self.inst.lp.is_transient(parent) {
            let shown = self.root().show(&path);
            return Err(self.fail(Errno::EADDRNOTAVAIL, shown, None));
        }
        Ok(i)
    }

    /// `unit_file_exists()`: 1 found, 0 not found; changes are not kept.
    pub(crate) fn unit_exists(&mut self, name: &str) -> Result<bool, Errno> {
        if !names::is_valid(name, names::ANY) {
            return Err(Errno::EINVAL);
        }
        let mut ctx = Context::default();
        let mark = self.changes.len();
        let r = self.discover(&mut ctx, name, 0);
        self.changes.truncate(mark);
        match r {
            Ok(_) => Ok(true),
            Err(Errno::ENOENT) => Ok(false),
            Err(e) => Err(e),
        }
    }
}
