//! What applying did, and what failed, line by line.
//!
//! Every change is an [`Action`] and every failure a [`Failure`], both
//! naming the configuration line (file:line) and the in-root path, so a
//! caller can log them as systemd does and decide on an exit status
//! ([`Report::exit_status`], mirroring systemd-tmpfiles' `65`/`73`).

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::item::Origin;
use crate::parse::{Diagnostic, Severity};

/// One change made to the tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum What {
    CreatedDirectory,
    CreatedFile,
    CreatedFifo,
    CreatedSymlink(PathBuf),
    CreatedDevice,
    /// An existing object of the wrong type was replaced (`+`, `=`).
    Replaced,
    Truncated,
    Wrote(usize),
    Copied(PathBuf),
    Chmod(u32),
    Chown(u32, u32),
    SetXattr(String),
    SetAcl,
    SetAttributes(u32),
    Removed,
    RemovedContents,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Action {
    pub origin: Origin,
    pub path: PathBuf,
    pub what: What,
}

/// Why an operation on a path failed.
#[derive(Debug, thiserror::Error)]
pub enum OpError {
    #[error("Failed to open path '{path}': {source}")]
    OpenPath { path: PathBuf, source: io::Error },
    #[error("Failed to open parent of '{0}': path not normalized.")]
    NotNormalized(PathBuf),
    #[error("\"{0}\" already exists and is not a directory.")]
    NotDirectory(PathBuf),
    #[error("{0} exists and is not a regular file.")]
    NotRegular(PathBuf),
    #[error("Failed to {op} {path}: {source}")]
    Io { op: &'static str, path: PathBuf, source: io::Error },
    #[error("Refusing to set permissions on hardlinked file {0} while the fs.protected_hardlinks sysctl is turned off.")]
    Hardlinked(PathBuf),
    #[error("Setting file flags is only supported on regular files and directories, cannot set on '{0}'.")]
    AttributesUnsupported(PathBuf),
}

impl OpError {
    pub fn io(op: &'static str, path: &std::path::Path, source: io::Error) -> OpError {
        OpError::Io { op, path: path.to_path_buf(), source }
    }
}

/// A line that failed on a path.
#[derive(Debug)]
pub struct Failure {
    pub origin: Origin,
    pub path: PathBuf,
    pub error: OpError,
    /// Reported, but not counted against the exit status: the line has
    /// the `-` modifier and failed while creating, or systemd itself only
    /// logs this failure (`d` over an existing non-directory).
    pub tolerated: bool,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.origin, self.error)?;
        if self.tolerated {
            write!(f, " (not counted as a failure)")?;
        }
        Ok(())
    }
}

/// Everything one [`crate::apply()`] run did.
#[derive(Debug, Default)]
pub struct Report {
    pub actions: Vec<Action>,
    pub failures: Vec<Failure>,
    /// Duplicate lines, objects left alone because they have another
    /// type, warnings and skipped lines (`c`/`b` without `CAP_MKNOD`, a
    /// `C` whose source is missing…).
    pub notes: Vec<Diagnostic>,
}

impl Report {
    /// The exit status `systemd-tmpfiles` would have: 65 (`EX_DATAERR`)
    /// when the configuration had invalid lines (those that applied given
    /// `boot`), else 73 (`EX_CANTCREAT`) when an operation failed, else 0.
    pub fn exit_status(&self, config_diagnostics: &[Diagnostic], boot: bool) -> i32 {
        let invalid = config_diagnostics.iter().any(|d| d.severity == Severity::Error && (boot || !d.boot_only));
        if invalid {
            65
        } else if self.failures.iter().any(|f| !f.tolerated) {
            73
        } else {
            0
        }
    }
}
