//! Finding and assembling unit files: the fragment, its aliases, its
//! drop-ins and its `.wants/`/`.requires/` links, exactly as systemd 252's
//! manager does it (`systemd.unit(5)`, "Description" and "Unit File Load
//! Path").
//!
//! Two steps, like systemd's `unit_file_build_name_map()` followed by
//! `unit_load_fragment()` + `unit_load_dropin()`:
//!
//! 1. [`UnitIndex::build`] reads the *top level* of every search directory
//!    once (linear in the number of entries; the daemon calls it at start
//!    and on `daemon-reload`). Per unit name the first directory wins. A
//!    regular file is a unit file (a directory or fifo named like a unit
//!    is not). A symlink whose target (made absolute
//!    against its directory, `..` removed, every component but the last
//!    followed, absolute targets resolved *inside* the root) lies inside a
//!    search directory is an **alias** of the target's *name*; otherwise it
//!    is a **linked unit file** named after the symlink, whose fragment path
//!    is the symlink itself — `/dev/null` masks are linked files too. Alias
//!    symlinks are validated as systemd does (only service, socket, target,
//!    device, timer and path units may alias; a template may only alias a
//!    template; an instance an instance with the same instance string or a
//!    template; the type suffix must match) and rejected ones are dropped
//!    with a notice, which lets a lower directory's entry of that name win.
//!    A symlink to its own name (`/etc/…/foo.service → /lib/…/foo.service`)
//!    is ignored. Directory entries named `*.d`, `*.wants`, `*.requires`
//!    are remembered so that loading never probes absent drop-in
//!    directories (systemd's "unit path cache").
//! 2. [`UnitIndex::load`] resolves one name: follow aliases (at most 8
//!    hops), fall back from `foo@bar.service` to `foo@.service` when the
//!    instance has no entry of its own, collect all names of the unit, and
//!    read the fragment and drop-ins.
//!
//! What the oracle (`systemd --test` and `systemd-analyze unit-files` of
//! systemd 252, see the `load_*` tests) showed, and this module reproduces:
//!
//! - The unit's primary name is the fragment's file name, with the instance
//!   filled in for templates: loading `sshd.service` gives `ssh.service`.
//! - Masked means the fragment is `/dev/null` (any character device) *or an
//!   empty regular file*. Drop-ins are still collected for masked units.
//! - Drop-in directories are searched, for the primary name first and then
//!   for every alias (in byte order here; systemd walks a hash set, so its
//!   order among aliases is unspecified): in each search directory, `NAME.d/`, then (for
//!   instances) the template's `TEMPLATE.d/` and its dash prefixes, then the
//!   name's dash prefixes (`foo-bar-baz.service` → `foo-bar-.service`,
//!   `foo-.service`; an instance keeps its instance: `a-b@x.service` →
//!   `a-@x.service` and, through its template, `a-@.service`, while the
//!   template `a-b@.service` itself gives `a-.service`); after all names,
//!   the type-wide `service.d/` of every search directory. Among `.conf`
//!   files of the same name the first directory in that order wins — so a
//!   higher search directory wins, but `/usr/lib/…/ssh.service.d/x.conf`
//!   beats `/etc/…/sshd.service.d/x.conf` for a unit whose primary name is
//!   `ssh.service`. The survivors are applied in byte order of their file
//!   names. Hidden files (`.x.conf`) are skipped. A `/dev/null` symlink or
//!   empty file still counts as the drop-in of that name (and so masks
//!   lower ones) but contributes nothing. Drop-in directories are reported
//!   by their canonical path, as systemd does (`/usr/lib/…` for a drop-in
//!   found through Debian's `/lib` symlink).
//! - `.wants/` and `.requires/` directories are found by the same search.
//!   Each entry must be a symlink with a valid unit name; the dependency is
//!   on the *entry's* name (a template entry gets the unit's instance, or
//!   its prefix for non-instances); an entry that is `/dev/null` or empty
//!   masks lower entries of that name. systemd 252 ignores `.upholds/`
//!   directories (its path cache only records `.wants`, `.requires` and
//!   `.d`), so do we.
//! - A fragment that cannot be opened leaves the unit `not-found`, with no
//!   fragment path (systemd records both only after opening). One that
//!   opens but cannot be read (a symlink to a directory), or has a fatal
//!   syntax error (bad section header, a non-comment line that is not
//!   UTF-8), puts it in `error`. In a
//!   drop-in, the same errors only stop the reading of that file: what came
//!   before stays applied and the unit loads.
//! - Unit files that are executable or world-writable get systemd's
//!   "Proceeding anyway" warnings.
//!
//! One rule is vigil's own, stricter than systemd: with
//! [`LoadOptions::check_ownership`] (on by default for the system manager
//! on the real root `/`), a unit file or drop-in that is not owned by root
//! or is writable by group or others is refused — an error diagnostic
//! naming the file and its mode, and the unit in the `error` state —
//! because whoever can write it can run code as root.
//!
//! Which sections a file may contain depends on the unit type: `[Unit]`,
//! `[Install]` and the type's own (`[Service]`, `[Target]`, `[Device]`…;
//! systemd 252 accepts `[Target]` and `[Device]` too, as the oracle
//! showed), see [`sections_for`].
//!
//! Main types: [`UnitIndex`] (the scan), [`LoadedSource`] (one unit's
//! files, parsed), [`LoadState`], [`LoadOptions`], [`UnitFileEntry`] (for
//! `list-unit-files`).

mod assemble;
pub(crate) mod dropin;
mod index;
mod read;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diag::{Diagnostic, Severity};
use crate::name::{UnitName, UnitType};
use crate::paths::{LookupPaths, Scope};
use crate::syntax::ParsedFile;

pub use index::{EntryKind, UnitFileEntry, UnitIndex};

/// How strict loading is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoadOptions {
    /// Refuse unit files and drop-ins not owned by root or writable by
    /// group/others. Applies to the system manager's search path only;
    /// ignored for user and global scopes.
    pub check_ownership: bool,
}

impl LoadOptions {
    /// The default for a search path: ownership is checked for the system
    /// manager on the real root, not for `--root=DIR` trees (whose files
    /// belong to whoever built them) nor for user managers.
    pub fn for_lookup(lookup: &LookupPaths) -> LoadOptions {
        LoadOptions {
            check_ownership: lookup.scope == Scope::System
                && lookup.root == std::path::Path::new("/"),
        }
    }
}

/// systemd's `UnitLoadState`, as far as the files decide it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LoadState {
    Loaded,
    /// No fragment, or it could not be opened. Drop-ins may still exist;
    /// whether a unit without fragment is usable (devices, perpetual
    /// units) is the engine's decision, as in systemd.
    NotFound,
    /// The fragment is `/dev/null` or empty.
    Masked,
    /// A directive made the unit unusable. Never set by the loader itself;
    /// the typed layer uses it (systemd's `-ENOEXEC` from parsing).
    BadSetting,
    /// A fatal syntax error in the fragment, or a file refused by the
    /// ownership check.
    Error,
}

impl LoadState {
    /// The string `systemctl show -p LoadState` prints.
    pub fn as_str(self) -> &'static str {
        match self {
            LoadState::Loaded => "loaded",
            LoadState::NotFound => "not-found",
            LoadState::Masked => "masked",
            LoadState::BadSetting => "bad-setting",
            LoadState::Error => "error",
        }
    }
}

impl fmt::Display for LoadState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A dependency read from a `.wants/` or `.requires/` directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirDependency {
    /// The unit depended upon (the symlink's name, template instantiated).
    pub name: UnitName,
    /// The symlink, in-root, in its canonical directory.
    pub link: PathBuf,
}

/// Everything the files say about one unit, before any directive is
/// interpreted.
#[derive(Clone, Debug)]
pub struct LoadedSource {
    /// The unit's id: the fragment's name (instance filled in), or the
    /// requested name when there is no fragment.
    pub name: UnitName,
    /// All names of the unit: `name` first, then the aliases in byte order.
    pub names: Vec<UnitName>,
    /// The fragment as the search path names it (in-root, not
    /// canonicalised: `/lib/systemd/system/ssh.service` on Debian; for a
    /// linked unit file or mask, the symlink itself). `None` when there is
    /// none or it could not be opened (systemd records the path only after
    /// opening it; the diagnostic names it).
    pub fragment: Option<Arc<Path>>,
    /// The parsed fragment; `None` when there is none, it is masked or it
    /// could not be read.
    pub fragment_file: Option<ParsedFile>,
    /// Drop-in paths in application order (in-root, canonical directory).
    pub dropin_paths: Vec<PathBuf>,
    /// The drop-ins, parallel to `dropin_paths`. Masked (`/dev/null`),
    /// empty and unreadable ones are present as empty files.
    pub dropins: Vec<ParsedFile>,
    pub load_state: LoadState,
    /// From `.wants/` directories, in file-name order.
    pub wants: Vec<DirDependency>,
    /// From `.requires/` directories, in file-name order.
    pub requires: Vec<DirDependency>,
    /// What the loader itself found (unreadable files, refused files,
    /// rejected aliases, bad `.wants/` entries). Syntax findings stay in
    /// each [`ParsedFile`]; [`LoadedSource::all_diagnostics`] chains both.
    pub diagnostics: Vec<Diagnostic>,
}

impl LoadedSource {
    /// Loader diagnostics, then those of the fragment and of each drop-in.
    pub fn all_diagnostics(&self) -> impl Iterator<Item = &Diagnostic> + '_ {
        self.diagnostics
            .iter()
            .chain(self.fragment_file.iter().flat_map(|f| f.diagnostics.iter()))
            .chain(self.dropins.iter().flat_map(|f| f.diagnostics.iter()))
    }

    /// True if any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.all_diagnostics().any(|d| d.severity == Severity::Error)
    }
}

/// The sections a unit file of this type may contain (the directive
/// table's [`UnitType::section_names`]).
pub fn sections_for(ty: UnitType) -> &'static [&'static str] {
    ty.section_names()
}
