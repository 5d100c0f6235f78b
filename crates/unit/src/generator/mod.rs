//! Generators: turn older service definitions into unit files, the way
//! systemd's generators do (`systemd.generator(7)`).
//!
//! A generator reads configuration from a filesystem root (`/`, or the
//! directory given with `--root=`) and writes unit files and symlinks into
//! an output directory — for the manager, one of `/run/systemd/generator*`.
//! Nothing is started here; the output is plain text the unit loader reads
//! like any other unit directory. Two generators exist:
//!
//! - [`run_sysv`] ([`sysv`]): `/etc/init.d` scripts with LSB headers become
//!   `.service` units, byte for byte what systemd 252's
//!   `systemd-sysv-generator` writes (verified by a differential test
//!   against the real binary). It is meant for the *late* generator
//!   directory, as systemd runs it there.
//! - [`run_xinetd`] ([`xinetd`]): `/etc/xinetd.conf` and `/etc/xinetd.d`
//!   services become `.socket` + `.service` pairs. systemd has no such
//!   generator; the mapping is vigil's own and is described in that module.
//!
//! Both also expose pure functions (text in, text out) so the translation
//! can be tested without a filesystem.
//!
//! # Trust
//!
//! A generator turns files into commands the *system* manager runs as root.
//! So in system mode ([`GenOptions::system_mode`]) every file we translate
//! must be owned by root and must not be writable by group or others;
//! otherwise it is refused with an error [`Diagnostic`] naming the owner and
//! the mode, and nothing is generated from it. systemd itself does not check
//! this (it trusts `/etc`), but an `--root` tree or a sloppy package can
//! leave such files behind, and running them would let any local user
//! become root. [`GenOptions::also_trust_uid`] admits one more owner — the
//! invoking user for offline `--root` runs over a tree they built. In user
//! mode the generators produce nothing: SysV scripts and xinetd services are
//! system services (systemd installs its sysv generator only among the
//! system generators).
//!
//! Diagnostics carry the path *inside the root* (`/etc/init.d/foo`), as the
//! generated units do; line 0 means the file as a whole.
//!
//! Main types: [`GenOptions`], [`GenReport`], [`GenError`].

pub mod sysv;
pub mod xinetd;

mod fsutil;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diag::{Diagnostic, Span};

pub use sysv::run_sysv;
pub use xinetd::run_xinetd;

/// How a generator runs.
#[derive(Clone, Debug, Default)]
pub struct GenOptions {
    /// Generating for the system manager. In user mode the generators
    /// produce nothing (see the module essay).
    pub system_mode: bool,
    /// Directories holding native units, already prefixed with the root.
    /// A native unit of the same name shadows a SysV script (systemd's
    /// lookup paths minus the generator directories).
    pub unit_search_path: Vec<PathBuf>,
    /// Besides root, files owned by this uid are trusted in system mode.
    pub also_trust_uid: Option<u32>,
}

impl GenOptions {
    /// System-mode options with the given native unit directories.
    pub fn system(unit_search_path: Vec<PathBuf>) -> GenOptions {
        GenOptions { system_mode: true, unit_search_path, also_trust_uid: None }
    }
}

/// What a generator run produced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GenReport {
    /// Unit files written, by unit name, in the order written.
    pub units: Vec<String>,
    /// Symlinks created: path relative to the output directory, and the
    /// link target as written.
    pub links: Vec<(PathBuf, PathBuf)>,
    /// Refused, odd or unsupported input, each tied to a file and line.
    pub diagnostics: Vec<Diagnostic>,
}

/// Failures that stop a generator: the output directory cannot be written,
/// or an input directory exists but cannot be read. Problems with single
/// input files are [`Diagnostic`]s in the [`GenReport`] instead.
#[derive(Debug, thiserror::Error)]
pub enum GenError {
    #[error("{op} {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl GenError {
    fn io(op: &'static str, path: &Path, source: io::Error) -> GenError {
        GenError::Io { op, path: path.to_path_buf(), source }
    }
}

/// A span pointing at a whole file (line 0).
fn file_span(path: &Path) -> Span {
    Span::new(Arc::from(path), 0, 0)
}

/// Output directory writer shared by the generators. It records what it
/// did into the report, so the report is the exact list of outputs.
struct Output<'a> {
    dir: &'a Path,
}

impl Output<'_> {
    fn path(&self, rel: &Path) -> PathBuf {
        self.dir.join(rel)
    }

    /// Write a new unit file. An existing regular file is not overwritten
    /// (systemd opens with `O_EXCL` too); the caller gets `Ok(false)`.
    fn write_unit(&self, name: &str, text: &str, report: &mut GenReport) -> Result<bool, GenError> {
        use std::io::Write;
        std::fs::create_dir_all(self.dir).map_err(|e| GenError::io("creating", self.dir, e))?;
        let path = self.dir.join(name);
        let mut f = match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(false),
            Err(e) => return Err(GenError::io("creating", &path, e)),
        };
        f.write_all(text.as_bytes()).map_err(|e| GenError::io("writing", &path, e))?;
        report.units.push(name.to_string());
        Ok(true)
    }

    /// Create `rel` → `target`. An existing entry is left alone, as
    /// systemd's generators ignore `EEXIST`; returns whether it was made.
    fn symlink(&self, rel: &Path, target: &Path, report: &mut GenReport) -> Result<bool, GenError> {
        let path = self.dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| GenError::io("creating", parent, e))?;
        }
        match std::os::unix::fs::symlink(target, &path) {
            Ok(()) => {
                report.links.push((rel.to_path_buf(), target.to_path_buf()));
                Ok(true)
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(GenError::io("symlinking", &path, e)),
        }
    }

    /// `rel` is a symlink (left by an alias); remove it so a real unit can
    /// take the name.
    fn remove_symlink(&self, rel: &Path, report: &mut GenReport) -> Result<bool, GenError> {
        let path = self.dir.join(rel);
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => {
                std::fs::remove_file(&path).map_err(|e| GenError::io("removing", &path, e))?;
                report.links.retain(|(r, _)| r != rel);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}
