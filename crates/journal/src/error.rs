//! The crate's one error type.
//!
//! Every variant carries enough context to act on without a debugger: the
//! file path, the byte offset of the object that was wrong, and what was
//! expected. Readers treat a damaged file as data, never as a reason to
//! panic (JOURNAL_FILE_FORMAT.md, "General Rules": readers "should try hard
//! to handle this gracefully"), so corruption surfaces here as
//! [`Error::Corrupt`] and callers decide whether to skip the file.

use std::io;
use std::path::{Path, PathBuf};

/// Shorthand used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, with where.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A system call on a journal file failed.
    #[error("{path}: cannot {op}: {source}")]
    Io {
        path: PathBuf,
        op: &'static str,
        #[source]
        source: io::Error,
    },

    /// The file is not a journal file, or its header is unusable.
    #[error("{path}: bad journal header: {reason}")]
    BadHeader { path: PathBuf, reason: String },

    /// The header announces features this implementation cannot handle.
    #[error("{path}: unsupported journal features: {what}")]
    Unsupported { path: PathBuf, what: String },

    /// An object (or a reference to one) is inconsistent.
    #[error("{path}: corrupt object at offset {offset}: {reason}")]
    Corrupt {
        path: PathBuf,
        offset: u64,
        reason: String,
    },

    /// A DATA object is compressed with an algorithm we do not decode.
    /// systemd compresses large payloads with XZ, LZ4 or ZSTD; we never
    /// write compressed objects and carry no decompressor.
    #[error("{path}: data object at offset {offset} is {algorithm}-compressed, which this reader cannot decompress")]
    Compressed {
        path: PathBuf,
        offset: u64,
        algorithm: &'static str,
    },

    /// A field name that journald would refuse (`systemd.journal-fields(7)`).
    #[error("invalid journal field name {name:?}: {reason}")]
    InvalidField { name: String, reason: &'static str },

    /// An entry must carry at least one field.
    #[error("refusing to write an entry without fields")]
    EmptyEntry,

    /// A timestamp outside the range the format allows.
    #[error("invalid {which} timestamp {value}")]
    InvalidTimestamp { which: &'static str, value: u64 },

    /// Appending the entry would grow the file past its size limit; the
    /// caller should rotate and retry in a fresh file. Nothing was written.
    #[error("{path}: journal file full ({needed} bytes needed, limit {limit})")]
    Full {
        path: PathBuf,
        needed: u64,
        limit: u64,
    },

    /// A cursor string that does not parse.
    #[error("invalid journal cursor {0:?}")]
    BadCursor(String),

    /// A 128-bit id that is not 32 hex digits (or a dashed UUID).
    #[error("invalid 128-bit id {0:?}")]
    BadId(String),

    /// A match string without `=`, or with an invalid field name.
    #[error("invalid match {0:?}: expected FIELD=value")]
    BadMatch(String),
}

impl Error {
    pub(crate) fn io(path: &Path, op: &'static str, source: io::Error) -> Error {
        Error::Io {
            path: path.to_path_buf(),
            op,
            source,
        }
    }

    pub(crate) fn corrupt(path: &Path, offset: u64, reason: impl Into<String>) -> Error {
        Error::Corrupt {
            path: path.to_path_buf(),
            offset,
            reason: reason.into(),
        }
    }
}
