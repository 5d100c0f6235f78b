//! The `[Install]` logic: `systemctl enable`, `disable`, `reenable`,
//! `link`, `mask`, `unmask`, `preset`, `preset-all`, `revert`,
//! `set-default`, `get-default`, `add-wants`/`add-requires`, `is-enabled`
//! and `list-unit-files`, done on the unit files directly — as
//! `systemctl --root=DIR` (or any `systemctl` without a running manager)
//! does it — with the results and messages of systemd 252.
//!
//! # How it works
//!
//! This is a faithful port of systemd 252's `src/shared/install.c`, and
//! keeps its shape because its observable behaviour lives in the details:
//!
//! - `discover`: a name is looked up along the search path
//!   ([`crate::paths::LookupPaths`]); its file is classified (regular,
//!   masked, alias, linked) and its `[Install]` section read
//!   (`systemd.unit(5)`, "\[Install\] Section Options"), with drop-ins.
//!   Aliases and links are followed to the real file.
//! - `symlinks`: creating symlinks (idempotently: a link that already
//!   points to an equivalent file is left alone; a different one is an
//!   error unless forced) and removing every symlink in the configuration
//!   directory that points to — or is named like — a unit being disabled.
//! - `ops`: the operations, each processing a set of names in order,
//!   pulling in `Also=` units as it goes.
//! - `preset`: `*.preset` files (`systemd.preset(5)`): the first rule
//!   matching a name decides, files ordered by name across
//!   `/etc`, `/run`, `/usr/local/lib`, `/usr/lib` (and `/lib` on Debian),
//!   a file in an earlier directory hiding one of the same name.
//! - `state`: the unit file state of `systemctl(1)` "is-enabled"
//!   (enabled, enabled-runtime, linked, linked-runtime, alias, masked,
//!   masked-runtime, static, indirect, disabled, generated, transient,
//!   bad), and the `list-unit-files` listing. systemd 252 has no
//!   `not-found` state: `is-enabled` of a missing unit is an error
//!   ("No such file or directory"), and so it is here.
//! - `apply`: `[Install]` rules turned into symlinks (`Alias=`,
//!   `WantedBy=`, `RequiredBy=`, `DefaultInstance=`), units into removal
//!   marks.
//! - [`output`]: the exact text `systemctl` prints for all of this.
//! - [`args`]: how systemctl turns command-line words into names first
//!   (`nginx` → `nginx.service`, escaping, paths), and `sysv`: its SysV
//!   init script check before `enable`/`disable`/`is-enabled`.
//!
//! # What a caller gets
//!
//! [`Installer`] is built from a [`LookupPaths`] (scope and root). Each
//! operation returns an [`Outcome`]: the [`Change`]s in the order systemd
//! makes them — symlinks created and removed, and the per-unit problems
//! systemctl reports ("Unit … is masked, ignoring.", "Failed to enable
//! unit, unit … does not exist.") — the [`LogLine`]s systemd logs while
//! working (syntax warnings of unit files and preset files, suspicious
//! symlinks), and the result: the operation's return value or an
//! [`Errno`]. Paths in changes are the host paths systemctl shows (under
//! the root); symlink targets are in-root paths, as written to disk.
//!
//! Paths the caller passes (`link /opt/foo.service`, `enable
//! /path/unit.service`) are in-root absolute paths.
//!
//! # systemd's quirks, kept on purpose
//!
//! Differential tests hold this module to the real `systemctl`, so some
//! odd behaviours of systemd 252 are reproduced rather than fixed, each
//! noted where it happens: under `--root`, `link` links files even from
//! inside the search path, `disable` removes links by name only (never by
//! resolved path), and only links to `/dev/null` count as masks; a unit
//! alias in `/etc` cannot be enabled by that name. Where systemd crashes
//! instead (a preset line reading just `enable`; `revert` for a user
//! without `$XDG_RUNTIME_DIR`), we do the sensible thing: ignore the line
//! with a warning, skip the missing directory.

mod apply;
pub mod args;
mod discover;
mod errno;
mod fsutil;
mod info;
mod names;
mod ops;
pub mod output;
mod preset;
mod printf;
mod state;
mod symlinks;
mod sysv;

use std::path::{Path, PathBuf};

pub use errno::Errno;
pub use preset::preset_dirs;
pub use printf::Facts;
pub use state::{PresetState, UnitFileEntry, UnitFileState};
pub use sysv::SysvScript;

use crate::paths::{DirKind, LookupPaths, Scope};
use fsutil::Root;

/// Options shared by the modifying operations (`--runtime`, `--force`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flags {
    /// Write to the runtime directory (`/run/systemd/system`).
    pub runtime: bool,
    /// Replace conflicting symlinks.
    pub force: bool,
}

/// `--preset-mode=`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PresetMode {
    #[default]
    Full,
    EnableOnly,
    DisableOnly,
}

impl PresetMode {
    pub fn parse(s: &str) -> Option<PresetMode> {
        match s {
            "full" => Some(PresetMode::Full),
            "enable-only" => Some(PresetMode::EnableOnly),
            "disable-only" => Some(PresetMode::DisableOnly),
            _ => None,
        }
    }
}

/// `add-wants` or `add-requires`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dependency {
    Wants,
    Requires,
}

/// One thing an operation did or could not do (systemd's `InstallChange`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// "Created symlink PATH → TARGET."
    Symlink { path: String, target: String },
    /// "Removed \"PATH\"."
    Unlink { path: String },
    /// "Unit PATH is masked, ignoring."
    Masked { path: String },
    /// "Unit UNIT is masked via a generator and cannot be unmasked."
    MaskedByGenerator { unit: String, path: String },
    /// "Unit PATH is an alias to a unit that is not present, ignoring."
    Dangling { path: String },
    /// "Unit DEPENDENT is added as a dependency to a non-existent unit UNIT."
    DestinationNotPresent { unit: String, dependent: String },
    /// "Failed to enable auxiliary unit UNIT, ignoring."
    AuxiliaryFailed { unit: String },
    /// A per-unit error; the message depends on `errno` (see
    /// [`output::change_message`]).
    Failed { errno: Errno, path: String, source: Option<String> },
}

impl Change {
    /// Whether this is an error systemctl counts as a failure.
    pub fn is_error(&self) -> bool {
        matches!(self, Change::Failed { .. })
    }
}

/// How loud a [`LogLine`] is; systemctl shows all of these by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Error,
    Warning,
    Notice,
    Info,
    /// Not shown by systemctl; never recorded.
    Debug,
}

/// Something systemd logs while working (on stderr for systemctl).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    pub level: LogLevel,
    pub message: String,
}

/// What an operation produced.
#[derive(Clone, Debug)]
pub struct Outcome<T> {
    /// Logged while working, before the changes are reported.
    pub log: Vec<LogLine>,
    pub changes: Vec<Change>,
    pub result: Result<T, Errno>,
}

/// The directories of one manager, as the install logic needs them
/// (`LookupPaths` of systemd: the search path plus the special ones).
#[derive(Clone, Debug, Default)]
pub(crate) struct Lp {
    pub search: Vec<PathBuf>,
    pub persistent_config: Option<PathBuf>,
    pub runtime_config: Option<PathBuf>,
    pub generator: Option<PathBuf>,
    pub generator_early: Option<PathBuf>,
    pub generator_late: Option<PathBuf>,
    pub transient: Option<PathBuf>,
    pub persistent_control: Option<PathBuf>,
    pub runtime_control: Option<PathBuf>,
}

impl Lp {
    fn from_paths(paths: &LookupPaths) -> Lp {
        let nth = |kind: DirKind, n: usize| -> Option<PathBuf> {
            paths.dirs.iter().filter(|d| d.kind == kind).nth(n).map(|d| d.path.clone())
        };
        let mut search: Vec<PathBuf> = Vec::new();
        for d in &paths.dirs {
            if !search.iter().any(|s| fsutil::path_eq(s, &d.path)) {
                search.push(d.path.clone());
            }
        }
        // A user manager's runtime config dir is under $XDG_RUNTIME_DIR;
        // /run/systemd/user (also "runtime") is the global one and without
        // $XDG_RUNTIME_DIR systemd has no runtime config dir at all.
        let runtime_config = match paths.scope {
            Scope::User => paths
                .dirs
                .iter()
                .find(|d| d.kind == DirKind::Runtime && d.path != Path::new("/run/systemd/user"))
                .map(|d| d.path.clone()),
            _ => nth(DirKind::Runtime, 0),
        };
        Lp {
            search,
            persistent_config: nth(DirKind::Config, 0),
            runtime_config,
            generator: nth(DirKind::Generator, 0),
            generator_early: nth(DirKind::GeneratorEarly, 0),
            generator_late: nth(DirKind::GeneratorLate, 0),
            transient: nth(DirKind::Transient, 0),
            // The search path lists the persistent control dir first, then
            // the runtime one (absent for a user without $XDG_RUNTIME_DIR).
            persistent_control: nth(DirKind::Control, 0),
            runtime_control: nth(DirKind::Control, 1),
        }
    }

    fn eq(a: &Option<PathBuf>, p: &Path) -> bool {
        a.as_deref().is_some_and(|a| fsutil::path_eq(a, p))
    }

    /// `path_is_config(lp, dir, false)`.
    pub(crate) fn is_config(&self, dir: &Path) -> bool {
        Lp::eq(&self.persistent_config, dir) || Lp::eq(&self.runtime_config, dir)
    }

    /// `path_is_generator()` for a directory.
    pub(crate) fn is_generator(&self, dir: &Path) -> bool {
        Lp::eq(&self.generator, dir) || Lp::eq(&self.generator_early, dir) || Lp::eq(&self.generator_late, dir)
    }

    pub(crate) fn is_transient(&self, dir: &Path) -> bool {
        Lp::eq(&self.transient, dir)
    }

    pub(crate) fn is_control(&self, dir: &Path) -> bool {
        Lp::eq(&self.persistent_control, dir) || Lp::eq(&self.runtime_control, dir)
    }

    /// `path_is_runtime(lp, dir, false)`: anything under /run, and the
    /// runtime directories by name.
    pub(crate) fn is_runtime(&self, dir: &Path) -> bool {
        dir.starts_with("/run")
            || Lp::eq(&self.runtime_config, dir)
            || self.is_generator(dir)
            || self.is_transient(dir)
            || Lp::eq(&self.runtime_control, dir)
    }

    /// `path_is_vendor_or_generator()` for a unit file path. Debian builds
    /// systemd with split-usr, so `/lib` counts as vendor too.
    pub(crate) fn is_vendor_or_generator(&self, path: &Path) -> bool {
        path.starts_with("/usr")
            || path.starts_with("/lib")
            || self.is_generator(path.parent().unwrap_or(Path::new("/")))
    }

    /// Where to write for these flags.
    pub(crate) fn config_path(&self, flags: Flags) -> Option<&Path> {
        if flags.runtime {
            self.runtime_config.as_deref()
        } else {
            self.persistent_config.as_deref()
        }
    }
}

/// Operates on the unit files of one scope under one root.
#[derive(Clone, Debug)]
pub struct Installer {
    root: Root,
    lp: Lp,
    scope: Scope,
    facts: Facts,
}

impl Installer {
    /// For the manager `paths` describes (its scope and root). Specifier
    /// facts are read from the root and the running system.
    pub fn new(paths: &LookupPaths) -> Installer {
        let root = Root::new(&paths.root);
        let facts = Facts::gather_in(&root, paths.scope);
        Installer { root, lp: Lp::from_paths(paths), scope: paths.scope, facts }
    }

    /// Use these specifier facts instead of the gathered ones.
    pub fn with_facts(mut self, facts: Facts) -> Installer {
        self.facts = facts;
        self
    }

    pub fn scope(&self) -> Scope {
        self.scope
    }

    /// The root, as systemctl shows it (absolute, simplified).
    pub fn root(&self) -> &Path {
        self.root.path()
    }

    fn run(&self) -> Run<'_> {
        Run { inst: self, log: Vec::new(), changes: Vec::new() }
    }
}

/// One operation in progress: where it logs and records its changes.
pub(crate) struct Run<'a> {
    pub inst: &'a Installer,
    pub log: Vec<LogLine>,
    pub changes: Vec<Change>,
}

impl Run<'_> {
    pub(crate) fn root(&self) -> &Root {
        &self.inst.root
    }

    pub(crate) fn log(&mut self, level: LogLevel, message: String) {
        if level != LogLevel::Debug {
            self.log.push(LogLine { level, message });
        }
    }

    /// Record an error change (`install_changes_add(…, -errno, …)`) and
    /// hand the errno back.
    pub(crate) fn fail(&mut self, errno: Errno, path: String, source: Option<String>) -> Errno {
        self.change(Change::Failed { errno, path, source });
        errno
    }

    /// Record a change; paths are simplified as `install_changes_add()`
    /// does.
    pub(crate) fn change(&mut self, c: Change) {
        let s = |p: String| fsutil::simplify(&p);
        let c = match c {
            Change::Symlink { path, target } => Change::Symlink { path: s(path), target: s(target) },
            Change::Unlink { path } => Change::Unlink { path: s(path) },
            Change::Masked { path } => Change::Masked { path: s(path) },
            Change::MaskedByGenerator { unit, path } => Change::MaskedByGenerator { unit: s(unit), path: s(path) },
            Change::Dangling { path } => Change::Dangling { path: s(path) },
            Change::DestinationNotPresent { unit, dependent } => {
                Change::DestinationNotPresent { unit: s(unit), dependent: s(dependent) }
            }
            Change::AuxiliaryFailed { unit } => Change::AuxiliaryFailed { unit: s(unit) },
            Change::Failed { errno, path, source } => Change::Failed { errno, path: s(path), source: source.map(s) },
        };
        self.changes.push(c);
    }

    fn finish<T>(self, result: Result<T, Errno>) -> Outcome<T> {
        Outcome { log: self.log, changes: self.changes, result }
    }
}
