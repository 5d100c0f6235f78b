//! Reading journal files: [`Journal`], [`JournalFile`], [`Entry`], [`Matches`].
//!
//! Layers, bottom up:
//!
//! - `core`: checked access to one file's objects (offsets, types, sizes,
//!   compression), with a visit counter.
//! - `chain`: sorted entry lists — the global one and each DATA object's —
//!   with O(1) sequential steps and galloping/bisecting seeks.
//! - [`JournalFile`]: one file — header, entries by offset, field values.
//! - [`Matches`]: sd-journal's match algebra, evaluated on entry lists.
//! - [`Journal`]: iteration, seeking and interleaving over many files
//!   (`journalctl --file`, `journalctl -D`).
//!
//! Nothing here trusts the file: a damaged or hostile file yields errors,
//! never a panic (tests feed arbitrary bytes), and a reader never needs to
//! scan all entries to answer a field match.

mod chain;
mod core;
mod file;
mod journal;
mod matches;

pub use file::{Entry, JournalFile};
pub use journal::Journal;
pub use matches::Matches;
