//! The one scan of the search path ([`UnitIndex::build`]) and the name
//! resolution built on it (systemd's `unit_file_build_name_map()`,
//! `unit_ids_map_get()` and `unit_file_find_fragment()`).
//!
//! Two maps come out of the scan. `ids` maps every unit name seen in a
//! search directory to what the *first* directory holding it says: a
//! unit file (regular, or a symlink leaving the search path — "linked")
//! or an alias (the target's name). `names` is the reverse: for each final
//! fragment name, every name that leads to it; masked and dangling
//! fragments are left out, as systemd does, so a mask never drags its
//! aliases along. A symlink from an instance to a template
//! (`foo@bar.service → foo@.service`) is an alias of that instance only
//! (`foo@bar.service`), not of the template.

use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::diag::{Diagnostic, Span};
use crate::name::{NameKind, UnitName, UnitType};
use crate::paths::{chase, chase_state, in_root, DirKind, LookupPaths, ELOOP, MAX_FOLLOW};

use super::LoadOptions;

/// systemd's `FOLLOW_MAX` for alias chains.
const FOLLOW_MAX: usize = 8;

/// What the content of a unit file path is, as far as masking goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Content {
    Normal,
    /// `/dev/null` (any character device) or an empty regular file.
    Masked,
    /// Dangling or unreadable metadata.
    Missing,
}

#[derive(Debug)]
pub(super) enum Target {
    /// A unit file at this in-root path: a regular file, or a symlink
    /// leading out of the search path (`linked`), masks included.
    /// The path is shared with what loads the unit: the parsed fragment's
    /// spans and the loaded unit's `fragment` are this `Arc`, not copies
    /// (a block per loaded unit, made while units load; 1000 services:
    /// 64 kB).
    File { path: Arc<Path>, linked: bool, content: Content },
    /// A symlink to another unit name inside the search path.
    Alias(Box<str>),
}

/// A name's fragment: its path (shared, see [`Target::File`]) and what the
/// file is, or why there is none.
pub(super) type Found<'a> = Result<(&'a Arc<Path>, Content), Unresolved>;

#[derive(Debug)]
pub(super) struct Id {
    pub(super) target: Target,
    /// Index into the search directories.
    pub(super) dir: usize,
}

/// The result of one scan of all search directories.
#[derive(Debug)]
pub struct UnitIndex {
    pub(super) lookup: LookupPaths,
    pub(super) options: LoadOptions,
    pub(super) ids: HashMap<Box<str>, Id>,
    /// Final fragment name → every name leading to it, for the fragments
    /// that have a name other than their own: a name that leads only to
    /// itself — nearly every unit — has no entry ([`UnitIndex::aliases_of`]
    /// answers it from `ids`). An entry per unit file cost a table slot,
    /// a key, a list and its element (~180 bytes per unit).
    pub(super) names: HashMap<Box<str>, Vec<Box<str>>>,
    /// `NAME.d`, `NAME.wants`, `NAME.requires` entry names → the search
    /// directories (indices) that have one.
    pub(super) dropin_dirs: HashMap<Box<str>, Vec<usize>>,
    /// Findings of the scan about one unit name (rejected aliases…).
    pub(super) notes: HashMap<Box<str>, Vec<Diagnostic>>,
    /// Findings about directories (unreadable search directories).
    pub(super) dir_notes: Vec<Diagnostic>,
    /// Files already parsed, checked against their `stat` on every use
    /// (see [`super::read`]).
    pub(super) parsed: super::read::ParseCache,
    /// Directories of unit files and link targets, chased inside the root
    /// (see [`UnitIndex::chase_file`]).
    pub(super) chased_dirs: ChasedDirs,
}

/// In-root directory → its resolution inside the root ([`chase`]), for
/// the directories the loader reads files from: the search directories,
/// the `.wants/` directories and the targets of their links — a handful,
/// each asked for by every unit. Like the rest of the index, a snapshot
/// of the search path: systemd's unit path cache, too, is rebuilt only by
/// `daemon-reload`. Directories that did not resolve, or had a missing
/// component, are not kept.
#[derive(Debug, Default)]
pub(super) struct ChasedDirs(Mutex<HashMap<PathBuf, PathBuf>>);

/// How a unit name is provided, for `list-unit-files`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind<'a> {
    /// A regular file in the search directory.
    File,
    /// A symlink to a file outside the search path (`systemctl link`), or
    /// to `/dev/null`.
    Linked,
    /// A symlink to another unit inside the search path.
    Alias(&'a str),
}

/// One unit name known to the index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnitFileEntry<'a> {
    pub name: &'a str,
    /// The directory entry (file or symlink), in-root.
    pub path: PathBuf,
    /// The search directory holding it and its role.
    pub dir: &'a Path,
    pub dir_kind: DirKind,
    pub kind: EntryKind<'a>,
    /// The fragment the name finally leads to (aliases followed), if any.
    pub fragment: Option<&'a Path>,
    /// True if that fragment is `/dev/null` or empty.
    pub masked: bool,
}

/// Why a name has no fragment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Unresolved {
    /// The name is not in the index at all (`ENOENT`).
    Absent,
    /// An alias leads to a name that does not exist (`ENXIO`).
    Dangling,
    /// More than [`FOLLOW_MAX`] aliases (`ELOOP`).
    Loop,
}

fn file_span(path: &Path) -> Span {
    // Line 0: the finding is about the file as a whole.
    Span::new(Arc::from(path), 0, 0)
}

/// systemd's `unit_type_may_alias()`.
fn may_alias(t: UnitType) -> bool {
    matches!(
        t,
        UnitType::Service
            | UnitType::Socket
            | UnitType::Target
            | UnitType::Device
            | UnitType::Timer
            | UnitType::Path
    )
}

/// systemd's `unit_type_may_template()`.
fn may_template(t: UnitType) -> bool {
    matches!(
        t,
        UnitType::Service | UnitType::Socket | UnitType::Target | UnitType::Timer | UnitType::Path
    )
}

/// systemd's `unit_validate_alias_symlink_or_warn()`: may the symlink
/// `src` be an alias of the unit named `dst`?
fn validate_alias(src: &UnitName, dst: &str) -> Result<(), String> {
    if !may_alias(src.unit_type()) {
        return Err("symlinks are not allowed for units of this type, rejecting.".into());
    }
    if src.kind() != NameKind::Plain && !may_template(src.unit_type()) {
        return Err(format!("templates not allowed for {} units, rejecting.", src.unit_type()));
    }
    let dst = UnitName::parse(dst)
        .map_err(|_| format!("points to \"{dst}\" which is not a valid unit name"))?;
    let compatible = dst.kind() == src.kind()
        || (src.kind() == NameKind::Instance && dst.kind() == NameKind::Template);
    if !compatible {
        return Err(format!(
            "symlink target name type \"{dst}\" does not match source, rejecting."
        ));
    }
    if dst.kind() == NameKind::Instance && dst.instance() != src.instance() {
        return Err(format!(
            "unit symlink target \"{dst}\" instance name doesn't match, rejecting."
        ));
    }
    if dst.unit_type() != src.unit_type() {
        return Err(format!("symlink target \"{dst}\" has incompatible suffix, rejecting."));
    }
    Ok(())
}

/// The name of a drop-in style directory entry (`foo.service.d`,
/// `foo.service.wants`, `service.d`…), which is what the path cache keeps.
fn is_dropin_dir_name(name: &str) -> bool {
    name.ends_with(".d") || name.ends_with(".wants") || name.ends_with(".requires")
}

/// Masked / normal / missing, from metadata.
pub(super) fn content_of(meta: &fs::Metadata) -> Content {
    use std::os::unix::fs::FileTypeExt;
    let ft = meta.file_type();
    if ft.is_char_device() || (ft.is_file() && meta.len() == 0) {
        Content::Masked
    } else {
        Content::Normal
    }
}

impl UnitIndex {
    /// Scan `lookup` with the default [`LoadOptions`] for it.
    pub fn build(lookup: &LookupPaths) -> UnitIndex {
        UnitIndex::build_with(lookup, LoadOptions::for_lookup(lookup))
    }

    /// Scan `lookup`: one `readdir` per search directory, one `readlink`
    /// and one `stat` per unit entry.
    pub fn build_with(lookup: &LookupPaths, options: LoadOptions) -> UnitIndex {
        let mut idx = UnitIndex {
            lookup: lookup.clone(),
            options,
            ids: HashMap::new(),
            names: HashMap::new(),
            dropin_dirs: HashMap::new(),
            notes: HashMap::new(),
            dir_notes: Vec::new(),
            parsed: Default::default(),
            chased_dirs: Default::default(),
        };
        // Chased parent directories of symlink targets: nearly all targets
        // share a handful of directories.
        let mut parents: HashMap<PathBuf, PathBuf> = HashMap::new();
        for di in 0..lookup.dirs.len() {
            idx.scan_dir(di, &mut parents);
        }
        idx.build_names();
        idx
    }

    fn note(&mut self, name: &str, d: Diagnostic) {
        self.notes.entry(name.into()).or_default().push(d);
    }

    fn scan_dir(&mut self, di: usize, parents: &mut HashMap<PathBuf, PathBuf>) {
        let dir = self.lookup.dirs[di].path.clone();
        let host_dir = self.lookup.on_disk(&dir);
        let rd = match fs::read_dir(&host_dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return,
            Err(e) => {
                self.dir_notes.push(Diagnostic::warning(
                    file_span(&dir),
                    format!("Failed to open \"{}\", ignoring: {e}", dir.display()),
                ));
                return;
            }
        };
        for ent in rd {
            let ent = match ent {
                Ok(ent) => ent,
                Err(e) => {
                    self.dir_notes.push(Diagnostic::warning(
                        file_span(&dir),
                        format!("Failed to read \"{}\", ignoring: {e}", dir.display()),
                    ));
                    break;
                }
            };
            let fname = ent.file_name();
            // Names that are not UTF-8 cannot be unit names.
            let Some(fname) = fname.to_str() else { continue };
            let unit = match UnitName::parse(fname) {
                Ok(u) => u,
                Err(_) => {
                    if is_dropin_dir_name(fname) {
                        self.dropin_dirs.entry(fname.into()).or_default().push(di);
                    }
                    continue;
                }
            };
            if self.ids.contains_key(fname) {
                continue;
            }
            let path = dir.join(fname);
            let Ok(ft) = ent.file_type() else { continue };
            // Only regular files and symlinks are unit files; systemd 252
            // does not list a directory or fifo named like a unit.
            if !ft.is_file() && !ft.is_symlink() {
                continue;
            }
            let target = if ft.is_symlink() {
                match self.resolve_symlink(&unit, &dir, &host_dir, &path, parents) {
                    Some(t) => t,
                    None => continue,
                }
            } else {
                let content = ent.metadata().map(|m| content_of(&m)).unwrap_or(Content::Missing);
                Target::File { path: Arc::from(path), linked: false, content }
            };
            self.ids.insert(fname.into(), Id { target, dir: di });
        }
    }

    /// Classify the symlink `path` (in-root) named `unit` in search
    /// directory `dir`: alias, linked unit file, or nothing (rejected).
    fn resolve_symlink(
        &mut self,
        unit: &UnitName,
        dir: &Path,
        host_dir: &Path,
        path: &Path,
        parents: &mut HashMap<PathBuf, PathBuf>,
    ) -> Option<Target> {
        let name = unit.as_str();
        let target = match fs::read_link(host_dir.join(name)) {
            Ok(t) => t,
            Err(e) => {
                let d = Diagnostic::warning(
                    file_span(path),
                    format!("Failed to read symlink, ignoring: {e}"),
                );
                self.note(name, d);
                return None;
            }
        };
        let abs = if target.is_absolute() { target.clone() } else { dir.join(&target) };
        let simplified = match chase_nofollow(&self.lookup.root, &abs, parents) {
            Ok(s) => s,
            Err(e) => {
                let d = Diagnostic::warning(
                    file_span(path),
                    format!(
                        "Failed to resolve symlink pointing to {}, ignoring: {e}",
                        target.display()
                    ),
                );
                self.note(name, d);
                return None;
            }
        };
        let tail = self.lookup.dirs.iter().find_map(|d| simplified.strip_prefix(&d.path).ok());
        let Some(tail) = tail else {
            // Outside the search path: a linked unit file (or a mask),
            // known by the symlink's own name.
            let content = self.content_of_path(path);
            return Some(Target::File { path: Arc::from(path), linked: true, content });
        };
        let dst = simplified.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if tail.components().count() > 1 && dst != name {
            let d = Diagnostic::warning(
                file_span(path),
                format!("Suspicious symlink → {}, treating as alias.", simplified.display()),
            );
            self.note(name, d);
        }
        if let Err(msg) = validate_alias(unit, dst) {
            let d = Diagnostic::notice(file_span(path), msg);
            self.note(name, d);
            return None;
        }
        if dst == name {
            // A self-alias (`/etc/…/foo.service → /lib/…/foo.service`)
            // has no effect: a lower directory provides the name.
            return None;
        }
        Some(Target::Alias(dst.into()))
    }

    /// Masked / normal / missing for an in-root path, following symlinks
    /// inside the root (`null_or_empty_path()`).
    pub(super) fn content_of_path(&self, path: &Path) -> Content {
        content_of_host(self.host_path(path))
    }

    /// [`UnitIndex::content_of_path`] for the symlink `link` (in-root, in a
    /// chased directory) whose target, already read, is `target`.
    pub(super) fn content_of_link(&self, link: &Path, target: &Path) -> Content {
        if self.lookup.root == Path::new("/") {
            return content_of_host(Ok(Some(HostFile { path: link.to_path_buf(), meta: None })));
        }
        let dir = link.parent().unwrap_or(Path::new("/"));
        let chased = self.chase_link(dir, target, 1);
        content_of_host(chased.map(|c| self.host_file(c)))
    }

    /// The host path to open for an in-root `path`, symlinks resolved in
    /// the root, with the file's metadata when the resolution already has
    /// it; `None` if it resolves to `/dev/null`, which a `--root` tree
    /// usually does not contain.
    pub(super) fn host_path(&self, path: &Path) -> io::Result<Option<HostFile>> {
        if self.lookup.root == Path::new("/") {
            // The kernel follows the links; /dev/null is a char device.
            return Ok(Some(HostFile { path: path.to_path_buf(), meta: None }));
        }
        Ok(self.host_file(self.chase_file(path, 0)?))
    }

    fn host_file(&self, (chased, meta): (PathBuf, Option<fs::Metadata>)) -> Option<HostFile> {
        if chased == Path::new("/dev/null") {
            return None;
        }
        Some(HostFile { path: in_root(&self.lookup.root, &chased), meta })
    }

    /// [`chase`] of an in-root file path, its directory looked up in (or
    /// added to) [`ChasedDirs`]: one `lstat` per file instead of one per
    /// component, and one `readlink` + `lstat` per symlink followed. Also
    /// returns the file's `lstat` when it is no symlink (for a file that
    /// exists). The same result as [`chase`], since resolution goes
    /// component by component ([`chase_state`]).
    fn chase_file(&self, path: &Path, hops: usize) -> io::Result<(PathBuf, Option<fs::Metadata>)> {
        let root = &self.lookup.root;
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
            return chase(root, path).map(|p| (p, None));
        };
        let cached = self.chased_dirs.0.lock().ok().and_then(|m| m.get(parent).cloned());
        let dir = match cached {
            Some(d) => d,
            None => {
                let c = chase_state(root, parent)?;
                if c.missing {
                    // Taken literally from a missing component on.
                    return chase(root, path).map(|p| (p, None));
                }
                if let Ok(mut m) = self.chased_dirs.0.lock() {
                    m.insert(parent.to_path_buf(), c.path.clone());
                }
                c.path
            }
        };
        let file = dir.join(name);
        let host = in_root(root, &file);
        match fs::symlink_metadata(&host) {
            Ok(m) if m.file_type().is_symlink() => {
                let target = fs::read_link(&host)?;
                self.chase_link(&dir, &target, hops + 1)
            }
            Ok(m) => Ok((file, Some(m))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok((file, None)),
            Err(e) => Err(e),
        }
    }

    /// Continue a chase at the symlink target `target` read in the chased
    /// directory `dir`, `hops` links followed so far.
    fn chase_link(&self, dir: &Path, target: &Path, hops: usize) -> io::Result<(PathBuf, Option<fs::Metadata>)> {
        if hops > MAX_FOLLOW {
            return Err(io::Error::from_raw_os_error(ELOOP));
        }
        let next = if target.is_absolute() { target.to_path_buf() } else { dir.join(target) };
        self.chase_file(&next, hops)
    }

    /// The fragment name `src` finally leads to, for the reverse map: its
    /// file's name (a template's instantiated for an instance); `None`
    /// for a name without a usable (present, unmasked) fragment.
    fn final_name(&self, src: &str) -> Option<Box<str>> {
        let (path, content) = self.resolve(src).ok()?;
        if content != Content::Normal {
            return None;
        }
        let dst = path.file_name().and_then(|n| n.to_str())?;
        // A file named as asked (most lookups) is neither a template
        // under an instance's name nor anything to instantiate.
        if dst == src {
            return Some(dst.into());
        }
        if let (Ok(d), Ok(s)) = (UnitName::parse(dst), UnitName::parse(src)) {
            if d.is_template() && s.is_instance() {
                // Too long: systemd skips it quietly too.
                return d.with_instance(s.instance().unwrap_or("")).ok().map(|n| n.as_str().into());
            }
        }
        Some(dst.into())
    }

    fn build_names(&mut self) {
        let mut names: HashMap<Box<str>, Vec<Box<str>>> = HashMap::new();
        for src in self.ids.keys() {
            let Some(dst) = self.final_name(src) else { continue };
            if dst != *src {
                names.entry(dst).or_default().push(src.clone());
            }
        }
        // A fragment with other names lists its own too, when it leads to
        // itself.
        for (dst, v) in names.iter_mut() {
            if let Some((own, _)) = self.ids.get_key_value(dst).filter(|(k, _)| self.leads_to_itself(k)) {
                v.push(own.clone());
            }
            v.sort();
        }
        names.shrink_to_fit();
        self.names = names;
    }

    /// Whether `name` is its own final fragment name (see `names`).
    fn leads_to_itself(&self, name: &str) -> bool {
        self.final_name(name).is_some_and(|d| *d == *name)
    }

    /// Follow `name` through aliases to a unit file (`unit_ids_map_get()`):
    /// at most [`FOLLOW_MAX`] hops; an alias to an instance without an
    /// entry of its own continues at its template.
    pub(super) fn resolve(&self, name: &str) -> Found<'_> {
        let mut cur: &str = name;
        let mut first = true;
        for _ in 0..FOLLOW_MAX {
            let id = match self.ids.get(cur) {
                Some(id) => id,
                None if first => return Err(Unresolved::Absent),
                None => {
                    let template = UnitName::parse(cur).ok().and_then(|n| n.template());
                    let Some(t) = template else { return Err(Unresolved::Dangling) };
                    match self.ids.get(t.as_str()) {
                        Some(id) => id,
                        None => return Err(Unresolved::Dangling),
                    }
                }
            };
            first = false;
            match &id.target {
                Target::File { path, content, .. } => return Ok((path, *content)),
                Target::Alias(next) => cur = next,
            }
        }
        Err(Unresolved::Loop)
    }

    /// The fragment for `name` and all names of the unit
    /// (`unit_file_find_fragment()`), names unsorted.
    pub(super) fn find_fragment(
        &self,
        name: &UnitName,
    ) -> (Found<'_>, Vec<UnitName>) {
        let mut names: Vec<UnitName> = Vec::new();
        self.add_names(name, None, name.as_str(), &mut names);
        let mut found = self.resolve(name.as_str());
        if matches!(found, Err(Unresolved::Absent | Unresolved::Dangling)) && name.is_instance() {
            if let Some(t) = name.template() {
                found = self.resolve(t.as_str());
            }
        }
        if let Ok((path, _)) = found {
            if let Some(base) = path.file_name().and_then(|n| n.to_str()) {
                if base != name.as_str() {
                    self.add_names(name, Some(base), base, &mut names);
                }
            }
        }
        (found, names)
    }

    /// systemd's `add_names()`: `name` itself (unless the unit is a
    /// template), and everything the reverse map lists for it, templates
    /// instantiated for instances — except instances that have a
    /// different fragment of their own.
    fn add_names(
        &self,
        unit: &UnitName,
        fragment_base: Option<&str>,
        name: &str,
        out: &mut Vec<UnitName>,
    ) {
        let push = |out: &mut Vec<UnitName>, n: UnitName| {
            if !out.contains(&n) {
                out.push(n);
            }
        };
        let instantiate = |n: &str| -> Option<UnitName> {
            if n == unit.as_str() {
                return Some(unit.clone());
            }
            let parsed = UnitName::parse(n).ok()?;
            if unit.is_instance() && parsed.is_template() {
                parsed.with_instance(unit.instance().unwrap_or("")).ok()
            } else {
                Some(parsed)
            }
        };
        if !unit.is_template() {
            if let Some(n) = instantiate(name) {
                push(out, n);
            }
        }
        for alias in self.aliases_of(name) {
            let Some(n) = instantiate(alias) else { continue };
            if unit.is_instance() && n.as_str() != alias.as_ref() {
                if let (Ok((frag, _)), Some(base)) = (self.resolve(n.as_str()), fragment_base) {
                    if frag.file_name().and_then(|f| f.to_str()) != Some(base) {
                        continue;
                    }
                }
            }
            push(out, n);
        }
    }

    /// Every unit name in the index, sorted by name (`list-unit-files`).
    pub fn list(&self) -> Vec<UnitFileEntry<'_>> {
        let mut out: Vec<UnitFileEntry<'_>> =
            self.ids.keys().filter_map(|k| self.entry(k)).collect();
        out.sort_by(|a, b| a.name.cmp(b.name));
        out
    }

    /// The index entry for one name, if a search directory has it.
    pub fn entry(&self, name: &str) -> Option<UnitFileEntry<'_>> {
        let (key, id) = self.ids.get_key_value(name)?;
        let sd = self.lookup.dirs.get(id.dir)?;
        let (path, kind) = match &id.target {
            Target::File { path, linked, .. } => {
                (path.to_path_buf(), if *linked { EntryKind::Linked } else { EntryKind::File })
            }
            Target::Alias(to) => (sd.path.join(key.as_ref()), EntryKind::Alias(to)),
        };
        let resolved = self.resolve(key).ok();
        Some(UnitFileEntry {
            name: key,
            path,
            dir: &sd.path,
            dir_kind: sd.kind,
            kind,
            fragment: resolved.map(|(p, _)| &**p),
            masked: resolved.map(|(_, c)| c == Content::Masked).unwrap_or(false),
        })
    }

    /// Number of unit names known.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The search path this index was built from.
    pub fn lookup(&self) -> &LookupPaths {
        &self.lookup
    }

    pub fn options(&self) -> LoadOptions {
        self.options
    }

    /// Findings of the scan: unreadable directories, unreadable or
    /// rejected symlinks.
    pub fn diagnostics(&self) -> impl Iterator<Item = &Diagnostic> + '_ {
        self.dir_notes.iter().chain(self.notes.values().flatten())
    }

    /// The reverse alias map: for a fragment name, every name leading to
    /// it (itself included when a file of that name exists), sorted.
    /// What `systemd-analyze unit-files` prints as "aliases:".
    pub fn aliases_of(&self, fragment_name: &str) -> &[Box<str>] {
        if let Some(v) = self.names.get(fragment_name) {
            return v;
        }
        match self.ids.get_key_value(fragment_name) {
            Some((own, _)) if self.leads_to_itself(own) => std::slice::from_ref(own),
            _ => &[],
        }
    }
}

/// A file to open on the host, and its metadata if already known.
pub(super) struct HostFile {
    pub(super) path: PathBuf,
    /// The file's `stat` (its `lstat`, taken while chasing, when it is no
    /// symlink); `None` when not taken yet.
    pub(super) meta: Option<fs::Metadata>,
}

impl HostFile {
    /// The metadata, from the chase or a `stat` now.
    pub(super) fn metadata(&mut self) -> io::Result<&fs::Metadata> {
        if self.meta.is_none() {
            self.meta = Some(fs::metadata(&self.path)?);
        }
        match &self.meta {
            Some(m) => Ok(m),
            None => Err(io::ErrorKind::NotFound.into()),
        }
    }
}

/// Masked / normal / missing from a resolution.
fn content_of_host(h: io::Result<Option<HostFile>>) -> Content {
    match h {
        Ok(None) => Content::Masked,
        Ok(Some(mut h)) => match h.metadata() {
            Ok(m) => content_of(m),
            Err(_) => Content::Missing,
        },
        Err(_) => Content::Missing,
    }
}

/// Resolve `path` inside `root` like `chase_symlinks(CHASE_NOFOLLOW |
/// CHASE_NONEXISTENT)`: every component but the last is followed, `.` and
/// `..` are removed. Parent resolutions are cached.
fn chase_nofollow(
    root: &Path,
    path: &Path,
    cache: &mut HashMap<PathBuf, PathBuf>,
) -> io::Result<PathBuf> {
    let Some(Component::Normal(last)) = path.components().next_back() else {
        return chase(root, path);
    };
    let parent = path.parent().unwrap_or(Path::new("/"));
    if let Some(p) = cache.get(parent) {
        return Ok(p.join(last));
    }
    let p = chase(root, parent)?;
    let out = p.join(last);
    cache.insert(parent.to_path_buf(), p);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> UnitName {
        UnitName::parse(s).unwrap()
    }

    #[test]
    fn alias_validation_follows_systemd() {
        assert!(validate_alias(&n("a.service"), "b.service").is_ok());
        assert!(validate_alias(&n("a@.service"), "b@.service").is_ok());
        assert!(validate_alias(&n("a@x.service"), "b@.service").is_ok());
        assert!(validate_alias(&n("a@x.service"), "b@x.service").is_ok());
        assert!(validate_alias(&n("a@x.service"), "b@y.service").is_err());
        assert!(validate_alias(&n("a@.service"), "b.service").is_err());
        assert!(validate_alias(&n("a.service"), "b@.service").is_err());
        assert!(validate_alias(&n("a.socket"), "b.service").is_err());
        assert!(validate_alias(&n("a.mount"), "b.mount").is_err());
        assert!(validate_alias(&n("a.slice"), "b.slice").is_err());
        assert!(validate_alias(&n("a.service"), "not a name").is_err());
        assert!(validate_alias(&n("a.device"), "b.device").is_ok());
    }
}
