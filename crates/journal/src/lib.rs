//! systemd's journal file format, written and read by our own code.
//!
//! vigil keeps service output in journal files that the real `journalctl`
//! (`--file`, `-D`) and log shippers read, and that our own `journalctl`
//! reads without a daemon. The format is systemd's JOURNAL_FILE_FORMAT.md;
//! systemd 252's `journalctl` is the oracle the tests compare against.
//!
//! Main types:
//!
//! - [`JournalWriter`] creates a file and appends [`EntryFields`]:
//!   deduplicated DATA objects found through the data hash table, FIELD
//!   objects, back-links from each DATA object to its entries, the global
//!   entry array, header counters; crash-safe write ordering; size limit
//!   and rotation ([`writer`]).
//! - [`Journal`] reads one file, several, or a directory as one stream:
//!   forward and backward, seeks by time, sequence number and [`Cursor`],
//!   field [`Matches`] answered through the hash tables and per-value entry
//!   lists rather than a scan ([`reader`]).
//! - [`JournalFile`] is one file opened for reading, [`Entry`] one entry.
//! - [`export`] prints entries exactly as `journalctl -o export` does.
//! - [`Id128`] formats and parses machine/boot ids; [`format`](mod@format) holds the
//!   on-disk structures; [`hash`] the two hash functions.
//!
//! What is not here: compression (we write none, and report compressed
//! objects in foreign files as [`Error::Compressed`]), Forward Secure
//! Sealing, and the compact layout for writing (read only).

pub mod cursor;
pub mod error;
pub mod export;
pub mod format;
pub mod hash;
pub mod id128;
mod io;
pub mod reader;
pub mod writer;

pub use cursor::Cursor;
pub use error::{Error, Result};
pub use id128::Id128;
pub use reader::{Entry, Journal, JournalFile, Matches};
pub use writer::{EntryFields, JournalWriter, WriterOptions};
