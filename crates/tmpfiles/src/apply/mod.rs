//! Applying a [`Config`] to a root: `systemd-tmpfiles --create --remove
//! --clean [--boot] --root=DIR`.
//!
//! Lines are first gathered per path into *arrays*, in two tables: literal
//! paths and globs (tmpfiles.d(5), "CONFIGURATION DIRECTORIES AND
//! PRECEDENCE"). Within a path, owning lines (`f d L C r w …`) must agree:
//! a later one that says something else is a duplicate, reported and
//! dropped — except several `w+`, which all append. The surviving lines
//! of a path are sorted, owning ones first, then by type letter, which is
//! the "same fixed order" the manual promises (`a` before `h` before `t`).
//!
//! Each array is linked to the closest array whose path is a prefix of
//! its own. Applying then runs two phases, as 252 does: *remove and
//! clean* first, *create* second, "so that we first clean out the
//! platform we then build on". Within a phase, all literal arrays go first
//! (in the order their paths first appeared), then the glob arrays. When
//! creating, an array's parent is processed before it; when removing or
//! cleaning, its children are. A per-line record of operations done keeps
//! a line from running twice.
//!
//! Failures never stop the run: each is recorded against its line and
//! path in the [`Report`], and the next line is applied.
//!
//! Main function: [`apply`], with [`Ops`] and [`Report`].

mod create;
mod perms;
mod remove;
pub mod report;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::clean;
use crate::config::Config;
use crate::fs::Root;
use crate::glob;
use crate::item::{Item, Kind};
use crate::parse::{Diagnostic, LineError, Severity};
pub use report::{Action, Failure, OpError, Report, What};

/// Which operations to run (`--create`, `--remove`, `--clean`, `--boot`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ops {
    pub create: bool,
    pub remove: bool,
    pub clean: bool,
    /// Also apply `!` lines.
    pub boot: bool,
}

const CREATE: u8 = 1;
const REMOVE: u8 = 2;
const CLEAN: u8 = 4;

/// Which table an array lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ref {
    Plain(usize),
    Glob(usize),
}

struct Array {
    items: Vec<Item>,
    done: Vec<u8>,
    parent: Option<Ref>,
    children: Vec<Ref>,
}

#[derive(Default)]
struct Table {
    arrays: Vec<Array>,
    index: HashMap<PathBuf, usize>,
}

/// The state of one run.
pub(crate) struct Run<'a> {
    pub root: &'a Root,
    pub report: Report,
    plain: Table,
    globs: Table,
    pub have_mknod: bool,
}

/// `item_compare()`: owning lines first, then by type letter.
fn sort_key(i: &Item) -> (bool, u8) {
    (!i.kind.takes_ownership(), i.kind as u8)
}

fn add(table: &mut Table, item: Item, notes: &mut Vec<Diagnostic>) {
    match table.index.get(&item.path) {
        Some(&ix) => {
            let Some(arr) = table.arrays.get_mut(ix) else {
                return;
            };
            let both_append = |a: &Item, b: &Item| {
                a.kind == Kind::WriteFile && a.append_or_force && b.kind == Kind::WriteFile && b.append_or_force
            };
            if arr.items.iter().any(|e| !e.compatible(&item) && !both_append(e, &item)) {
                notes.push(Diagnostic {
                    origin: item.origin.clone(),
                    severity: Severity::Notice,
                    error: LineError::Duplicate(item.path.display().to_string()),
                    boot_only: item.boot_only,
                });
                return;
            }
            arr.items.push(item);
            arr.items.sort_by_key(sort_key);
            arr.done.push(0);
        }
        None => {
            table.index.insert(item.path.clone(), table.arrays.len());
            table.arrays.push(Array { items: vec![item], done: vec![0], parent: None, children: Vec::new() });
        }
    }
}

/// `X` lines inherit the age of the directory line they live in, so that
/// cleaning knows how old an excluded directory may get.
fn inherit_x_ages(plain: &Table, globs: &mut Table) {
    let dirs: Vec<&Item> = plain
        .arrays
        .iter()
        .flat_map(|a| a.items.iter())
        .filter(|i| i.kind.is_directory_like())
        .collect();
    for arr in &mut globs.arrays {
        for x in arr.items.iter_mut().filter(|i| i.kind == Kind::IgnoreDirectoryPath) {
            let mut candidate: Option<&Item> = None;
            for j in &dirs {
                if j.path == x.path {
                    candidate = Some(j);
                    break;
                }
                let better = match candidate {
                    Some(c) => {
                        j.path.starts_with(&c.path)
                            && glob::fnmatch(
                                x.path.as_os_str().as_encoded_bytes(),
                                j.path.as_os_str().as_encoded_bytes(),
                                libc::FNM_PATHNAME | libc::FNM_PERIOD,
                            )
                    }
                    None => x.path.starts_with(&j.path),
                };
                if better {
                    candidate = Some(j);
                }
            }
            if let Some(age) = candidate.and_then(|c| c.age) {
                x.age = Some(age);
            }
        }
    }
}

impl<'a> Run<'a> {
    fn new(root: &'a Root, config: &Config, boot: bool) -> Run<'a> {
        let mut notes = Vec::new();
        let mut plain = Table::default();
        let mut globs = Table::default();
        for item in config.items(boot) {
            let table = if item.kind.takes_glob() { &mut globs } else { &mut plain };
            add(table, item.clone(), &mut notes);
        }
        inherit_x_ages(&plain, &mut globs);
        let mut run = Run {
            root,
            report: Report { notes, ..Report::default() },
            plain,
            globs,
            have_mknod: crate::sys::have_cap_mknod(),
        };
        run.link_parents();
        run
    }

    fn array(&self, r: Ref) -> Option<&Array> {
        match r {
            Ref::Plain(i) => self.plain.arrays.get(i),
            Ref::Glob(i) => self.globs.arrays.get(i),
        }
    }

    fn array_mut(&mut self, r: Ref) -> Option<&mut Array> {
        match r {
            Ref::Plain(i) => self.plain.arrays.get_mut(i),
            Ref::Glob(i) => self.globs.arrays.get_mut(i),
        }
    }

    /// `link_parent()`: the closest array whose path is a proper prefix.
    fn link_parents(&mut self) {
        let all: Vec<Ref> = (0..self.plain.arrays.len())
            .map(Ref::Plain)
            .chain((0..self.globs.arrays.len()).map(Ref::Glob))
            .collect();
        for r in all {
            let Some(path) = self.array(r).and_then(|a| a.items.first()).map(|i| i.path.clone()) else {
                continue;
            };
            let mut prefix = path.parent();
            while let Some(p) = prefix {
                let found = self
                    .plain
                    .index
                    .get(p)
                    .map(|&i| Ref::Plain(i))
                    .or_else(|| self.globs.index.get(p).map(|&i| Ref::Glob(i)));
                if let Some(parent) = found {
                    if let Some(a) = self.array_mut(parent) {
                        a.children.push(r);
                    }
                    if let Some(a) = self.array_mut(r) {
                        a.parent = Some(parent);
                    }
                    break;
                }
                prefix = p.parent();
            }
        }
    }

    fn process_array(&mut self, r: Ref, op: u8) {
        if op & CREATE != 0 {
            if let Some(parent) = self.array(r).and_then(|a| a.parent) {
                self.process_array(parent, CREATE);
            }
        }
        if op & (REMOVE | CLEAN) != 0 {
            let children = self.array(r).map(|a| a.children.clone()).unwrap_or_default();
            for c in children {
                self.process_array(c, op & (REMOVE | CLEAN));
            }
        }
        let n = self.array(r).map_or(0, |a| a.items.len());
        for k in 0..n {
            let Some(arr) = self.array_mut(r) else {
                return;
            };
            let (Some(item), Some(done)) = (arr.items.get(k).cloned(), arr.done.get_mut(k)) else {
                continue;
            };
            if op & !*done == 0 {
                continue;
            }
            *done |= op;
            self.process_item(&item, op);
        }
    }

    fn process_item(&mut self, item: &Item, op: u8) {
        if op & CREATE != 0 {
            if let Err(error) = self.create_item(item) {
                // 252 logs a `d` line meeting a non-directory as an error
                // but lets the run succeed.
                let lenient = matches!(error, OpError::NotDirectory(_));
                self.fail(item, item.path.clone(), error, item.allow_failure || lenient);
            }
        }
        if op & REMOVE != 0 {
            self.remove_item(item);
        }
        if op & CLEAN != 0 {
            self.clean_item(item);
        }
    }

    pub(crate) fn fail(&mut self, item: &Item, path: PathBuf, error: OpError, tolerated: bool) {
        self.report.failures.push(Failure { origin: item.origin.clone(), path, error, tolerated });
    }

    pub(crate) fn did(&mut self, item: &Item, path: &Path, what: What) {
        self.report.actions.push(Action { origin: item.origin.clone(), path: path.to_path_buf(), what });
    }

    pub(crate) fn note(&mut self, item: &Item, severity: Severity, error: LineError) {
        self.report.notes.push(Diagnostic { origin: item.origin.clone(), severity, error, boot_only: item.boot_only });
    }

    /// The paths a glob line matches (none is not an error).
    pub(crate) fn expand(&mut self, item: &Item) -> Vec<PathBuf> {
        match glob::glob(self.root, &item.path) {
            Ok(v) => v,
            Err(e) => {
                self.fail(item, item.path.clone(), OpError::io("glob", &item.path, e), false);
                Vec::new()
            }
        }
    }

    fn clean_item(&mut self, item: &Item) {
        use Kind::*;
        // 252 ignores cleaning errors of the literal kinds (they are only
        // logged) and counts those of the glob kinds.
        let (paths, counted) = match item.kind {
            CreateDirectory | TruncateDirectory | CreateSubvolume | CreateSubvolumeInheritQuota
            | CreateSubvolumeNewQuota | CopyFiles => (vec![item.path.clone()], false),
            EmptyDirectory | IgnorePath | IgnoreDirectoryPath => (self.expand(item), true),
            _ => return,
        };
        let Some(age) = item.age else {
            return;
        };
        let excluded = |p: &Path| self.is_configured(p);
        let mut errors = Vec::new();
        for p in &paths {
            let opts = clean::CleanOptions {
                age_usec: age,
                keep_first_level: item.keep_first_level,
                age_by_file: item.age_by_file,
                age_by_dir: item.age_by_dir,
            };
            match clean::clean_directory(self.root, p, &opts, &excluded) {
                Ok(removed) => errors.push((p.clone(), Ok(removed))),
                Err(e) => errors.push((p.clone(), Err(e))),
            }
        }
        for (p, r) in errors {
            match r {
                Ok(removed) => {
                    for r in removed {
                        self.did(item, &r, What::Removed);
                    }
                }
                Err(e) => self.fail(item, p.clone(), OpError::io("clean up", &p, e), !counted),
            }
        }
    }

    /// Whether a line exists for `p` (literally or by glob): cleaning
    /// leaves such paths to their own lines.
    fn is_configured(&self, p: &Path) -> bool {
        if self.plain.index.contains_key(p) {
            return true;
        }
        let b = p.as_os_str().as_encoded_bytes();
        self.globs.index.keys().any(|g| {
            glob::fnmatch(g.as_os_str().as_encoded_bytes(), b, libc::FNM_PATHNAME | libc::FNM_PERIOD)
        })
    }
}

/// Apply `config` to the tree at `root`.
pub fn apply(config: &Config, root: &Path, ops: Ops) -> Report {
    let root = match Root::open(root) {
        Ok(r) => r,
        Err(e) => {
            let mut report = Report::default();
            report.failures.push(Failure {
                origin: crate::item::Origin { file: PathBuf::new(), line: 0 },
                path: root.to_path_buf(),
                error: OpError::io("open root", root, e),
                tolerated: false,
            });
            return report;
        }
    };
    let mut run = Run::new(&root, config, ops.boot);
    let phases = [
        (if ops.remove { REMOVE } else { 0 }) | (if ops.clean { CLEAN } else { 0 }),
        if ops.create { CREATE } else { 0 },
    ];
    for op in phases {
        if op == 0 {
            continue;
        }
        for i in 0..run.plain.arrays.len() {
            run.process_array(Ref::Plain(i), op);
        }
        for i in 0..run.globs.arrays.len() {
            run.process_array(Ref::Glob(i), op);
        }
    }
    run.report
}
