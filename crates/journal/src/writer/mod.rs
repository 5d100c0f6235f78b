//! Writing journal files: [`JournalWriter`], [`EntryFields`], [`WriterOptions`].
//!
//! A writer owns one file from creation to close. Its life:
//!
//! 1. [`JournalWriter::create`] makes a new file: a 264-byte header, the
//!    FIELD_HASH_TABLE and the DATA_HASH_TABLE objects (in that order, as
//!    systemd does), space preallocated with `posix_fallocate` in 8 MiB
//!    steps, state ONLINE. [`JournalWriter::create_replacing`] first moves
//!    aside a file a previous run left at the path, as journald does at
//!    start-up (archived if clean, `.journal~` if it was left ONLINE).
//! 2. [`JournalWriter::append`] adds one entry (see `append.rs` for the
//!    write ordering that makes a `kill -9` at any instant harmless).
//!    Between [`JournalWriter::begin_batch`] and [`JournalWriter::commit`]
//!    appends accumulate in memory and are written together, one write per
//!    touched region (`batch.rs`, same crash-safe order).
//! 3. [`JournalWriter::flush`] makes the file OFFLINE (with `fdatasync`
//!    before and after the state change, "Dirty Detection" in
//!    JOURNAL_FILE_FORMAT.md); the next append turns it ONLINE again.
//!    [`JournalWriter::close`] flushes and consumes the writer; dropping it
//!    flushes best-effort.
//! 4. When [`append`](JournalWriter::append) returns [`Error::Full`] (the
//!    entry would not fit under `max_file_size`) or
//!    [`rotate_suggested`](JournalWriter::rotate_suggested) says the hash
//!    tables are too full, the caller calls [`JournalWriter::rotate`]: the
//!    file is marked ARCHIVED, renamed the way journald names archived
//!    files (`system@<seqnum_id>-<head_seqnum>-<head_realtime>.journal`),
//!    and a fresh file takes its path, continuing the sequence numbers.
//!
//! Writes use `pwrite` through a small block cache (see `io.rs` for why not
//! `mmap`), and the writer keeps mirrors of both hash tables plus a bounded
//! cache of DATA/FIELD metadata (`index.rs`) and of the values entries
//! keep repeating (`hot.rs`), so an append costs one write
//! for all new objects, about two small writes per reused value, and one
//! header write — roughly 55–60k entries/s for 9-field entries on ext4
//! (`cargo run --release -p vigil-journal --example write_bench`).
//!
//! The data hash table is sized like systemd's: one bucket per 576 bytes of
//! the maximum file size (1 DATA object per 768 bytes at 75% fill), at least
//! 2047. The file never exceeds `max_file_size`, which is capped at 4 GiB
//! because the 252 header keeps the tail entry array offset in 32 bits.
//!
//! After an I/O error in the middle of an append, the writer refuses further
//! appends (the failing call reports the `Error::Io`, later ones an
//! `Error::Corrupt` saying so), because links on disk may already point at
//! objects its memory has forgotten. The format's rule applies: a writer
//! that sees trouble rotates; [`JournalWriter::archive`] then keeps the file
//! aside as `<stem>@<time>-<random>.journal~`, as journald does with
//! damaged files.

mod append;
mod batch;
mod hot;
mod index;

use std::collections::hash_map::RandomState;
use std::fs::{File, OpenOptions};
use std::hash::BuildHasher;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::format::{
    self, align8, incompatible, FileState, Header, ObjectType, HASH_ITEM_SIZE,
    HASH_TABLE_ITEMS_OFFSET, HEADER_SIZE,
};
use crate::id128::Id128;
use crate::io::BlockCache;

use batch::Batch;
use hot::HotValues;
use index::Index;

/// Default size limit of one file, systemd's upper default for `SystemMaxFileSize=`.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 128 * 1024 * 1024;
/// Hard upper bound for `max_file_size`.
pub const MAX_FILE_SIZE_LIMIT: u64 = 4 * 1024 * 1024 * 1024 - 4096;
/// Growth step of the file, like systemd's `FILE_SIZE_INCREASE`.
const FILE_SIZE_INCREASE: u64 = 8 * 1024 * 1024;
/// systemd's `DEFAULT_DATA_HASH_TABLE_SIZE` in buckets.
const MIN_DATA_HASH_BUCKETS: u64 = 2047;
/// systemd's `DEFAULT_FIELD_HASH_TABLE_SIZE` in buckets.
const FIELD_HASH_BUCKETS: u64 = 333;
/// systemd's `HASH_CHAIN_DEPTH_MAX`: deeper chains suggest rotation.
const HASH_CHAIN_DEPTH_MAX: u64 = 100;
/// Block cache budget of a writer. The cache keeps the whole blocks a
/// batch wrote; 4 MiB of them was most of the journal process's memory
/// at 1000 units (BENCHMARKS.md, session 3), for no measured ingest gain;
/// 1 MiB -> 256 KiB saved another 760 kB of PSS at 1000 units, ingest of
/// 10 and of 50 flooding streams unchanged within noise (A/B, loaded machine).
const WRITER_CACHE_BYTES: usize = 256 * 1024;
/// A writer reads small objects scattered over the file: small blocks.
const WRITER_BLOCK_SIZE: usize = 4096;
/// What an idle writer keeps of its DATA cache ([`JournalWriter::release_caches`]):
/// the most-used values' metadata (an entry has ~20 fields; room for
/// those of a few kinds of sender).
const IDLE_DATA_KEEP: usize = 64;
/// Largest comparison buffer kept between appends.
const SCRATCH_KEEP: usize = 64 * 1024;

/// Tunables for a new file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WriterOptions {
    /// The file may not grow beyond this many bytes (clamped to
    /// [`MAX_FILE_SIZE_LIMIT`]). Also sizes the data hash table.
    pub max_file_size: u64,
    /// Sequence number of the last entry already written under this
    /// `seqnum_id` elsewhere (e.g. in the file this one replaces); the first
    /// entry here gets the next one. 0 starts at 1.
    pub last_seqnum: u64,
    /// The file id (also the hash key); random when `None`.
    pub file_id: Option<Id128>,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            last_seqnum: 0,
            file_id: None,
        }
    }
}

/// One entry to append. Field names must satisfy journald's rules
/// (`A-Z0-9_`, not starting with a digit, at most 64 bytes); values are
/// arbitrary bytes. The same `NAME=value` twice is stored once.
#[derive(Clone, Copy, Debug)]
pub struct EntryFields<'a> {
    /// `CLOCK_REALTIME` in µs since the epoch; must be in `1..2^55`.
    pub realtime_usec: u64,
    /// `CLOCK_MONOTONIC` in µs of the boot `boot_id`; below 2^55.
    pub monotonic_usec: u64,
    /// The boot the monotonic time belongs to.
    pub boot_id: Id128,
    /// `(name, value)` pairs in the order the caller likes; on disk they are
    /// ordered by object offset, as systemd orders them.
    pub fields: &'a [(&'a str, &'a [u8])],
}

/// Callback run after each write system call (see `set_write_observer`).
type WriteObserver = Box<dyn FnMut(&File)>;

/// Where the global entry array chain ends, kept in memory so appends do
/// not walk the chain.
#[derive(Clone, Copy, Debug)]
struct ArrayTail {
    offset: u64,
    capacity: u64,
    used: u64,
}

/// Appends entries to one journal file. See the module docs.
pub struct JournalWriter {
    path: PathBuf,
    io: BlockCache,
    header: Header,
    max_file_size: u64,
    /// First free byte after the tail object (8-aligned).
    append_pos: u64,
    /// Current file length (what `fallocate` reserved).
    allocated: u64,
    global_tail: Option<ArrayTail>,
    /// Hash table mirrors and metadata caches (see `index.rs`).
    index: Index,
    /// Values found again and again (see `hot.rs`).
    hot: HotValues,
    /// Whether the on-disk state byte currently says ONLINE.
    online: bool,
    /// Set after an I/O failure in the middle of an append.
    poisoned: bool,
    closed: bool,
    observer: Option<WriteObserver>,
    /// The open batch, if any (see `batch.rs`).
    batch: Option<Batch>,
    /// The last batch committed, emptied, for its buffers (`Batch::reuse`).
    spare_batch: Option<Batch>,
    /// Reused by `bytes_equal` and by `write_coalesced` for its runs.
    scratch: Vec<u8>,
    /// Reused by `append` for the entry's payloads.
    payloads: Vec<u8>,
    /// Reused by `append` for the entry's new objects.
    objects: Vec<u8>,
}

impl JournalWriter {
    /// Creates a new journal file at `path` (which must not exist).
    ///
    /// `boot_id` initialises the header's `tail_entry_boot_id`; entries
    /// carry their own boot id.
    pub fn create(
        path: &Path,
        machine_id: Id128,
        boot_id: Id128,
        seqnum_id: Id128,
        options: &WriterOptions,
    ) -> Result<JournalWriter> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| Error::io(path, "create", e))?;
        let file_id = match options.file_id {
            Some(id) => id,
            None => Id128::random()?,
        };
        let max_file_size = options.max_file_size.min(MAX_FILE_SIZE_LIMIT);
        let data_buckets = (max_file_size * 4 / 768 / 3).max(MIN_DATA_HASH_BUCKETS);

        let field_table = HEADER_SIZE;
        let field_table_size = HASH_TABLE_ITEMS_OFFSET + FIELD_HASH_BUCKETS * HASH_ITEM_SIZE;
        let data_table = align8(field_table + field_table_size).unwrap_or(u64::MAX);
        let data_table_size = HASH_TABLE_ITEMS_OFFSET + data_buckets * HASH_ITEM_SIZE;
        let append_pos = align8(data_table + data_table_size).unwrap_or(u64::MAX);
        if append_pos > max_file_size {
            let _ = std::fs::remove_file(path);
            return Err(Error::Full {
                path: path.to_path_buf(),
                needed: append_pos,
                limit: max_file_size,
            });
        }

        let header = Header {
            compatible_flags: 0,
            incompatible_flags: incompatible::KEYED_HASH,
            state: FileState::Online as u8,
            file_id,
            machine_id,
            tail_entry_boot_id: boot_id,
            seqnum_id,
            header_size: HEADER_SIZE,
            arena_size: 0,
            data_hash_table_offset: data_table + HASH_TABLE_ITEMS_OFFSET,
            data_hash_table_size: data_buckets * HASH_ITEM_SIZE,
            field_hash_table_offset: field_table + HASH_TABLE_ITEMS_OFFSET,
            field_hash_table_size: FIELD_HASH_BUCKETS * HASH_ITEM_SIZE,
            tail_object_offset: data_table,
            n_objects: 2,
            // A caller-provided counter continues the sequence; the header
            // field is what the next append increments.
            tail_entry_seqnum: options.last_seqnum,
            ..Header::default()
        };

        let mut writer = JournalWriter {
            path: path.to_path_buf(),
            io: BlockCache::new(file, WRITER_CACHE_BYTES, WRITER_BLOCK_SIZE),
            header,
            max_file_size,
            append_pos,
            allocated: 0,
            global_tail: None,
            index: Index::new(data_buckets, FIELD_HASH_BUCKETS),
            // The file id is in the header for anyone who reads the file;
            // the cache's seed is not (std's per-process random keys).
            hot: HotValues::new(BuildHasher::hash_one(&RandomState::new(), file_id)),
            online: true,
            poisoned: false,
            closed: false,
            observer: None,
            batch: None,
            spare_batch: None,
            scratch: Vec::new(),
            payloads: Vec::new(),
            objects: Vec::new(),
        };
        let result = writer.initialise(field_table, field_table_size, data_table, data_table_size);
        if let Err(e) = result {
            writer.closed = true;
            let _ = std::fs::remove_file(path);
            return Err(e);
        }
        Ok(writer)
    }

    fn initialise(
        &mut self,
        field_table: u64,
        field_size: u64,
        data_table: u64,
        data_size: u64,
    ) -> Result<()> {
        self.ensure_allocated(self.append_pos)?;
        let mut object = [0u8; 16];
        format::put_object_header(&mut object, ObjectType::FieldHashTable, field_size);
        self.write(field_table, &object)?;
        format::put_object_header(&mut object, ObjectType::DataHashTable, data_size);
        self.write(data_table, &object)?;
        self.header.arena_size = self.allocated - HEADER_SIZE;
        let bytes = self.header.encode();
        self.write(0, &bytes)?;
        self.sync()
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The header as last written (counters, ids, timestamps).
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Bytes in use: header plus all objects. Compare with
    /// [`max_file_size`](Self::max_file_size) to anticipate rotation.
    pub fn size(&self) -> u64 {
        self.append_pos
    }

    /// The effective size limit.
    pub fn max_file_size(&self) -> u64 {
        self.max_file_size
    }

    /// Number of entries in the file.
    pub fn n_entries(&self) -> u64 {
        self.header.n_entries
    }

    /// Sequence number of the last entry written (or the starting counter).
    pub fn last_seqnum(&self) -> u64 {
        self.header.tail_entry_seqnum
    }

    /// systemd's `journal_file_rotate_suggested()` criteria that apply to
    /// files we write: a hash table more than 75% full, or a hash chain
    /// deeper than 100.
    pub fn rotate_suggested(&self) -> bool {
        let h = &self.header;
        let data_buckets = h.data_hash_table_size / HASH_ITEM_SIZE;
        let field_buckets = h.field_hash_table_size / HASH_ITEM_SIZE;
        h.n_data * 4 > data_buckets * 3
            || h.n_fields * 4 > field_buckets * 3
            || h.data_hash_chain_depth > HASH_CHAIN_DEPTH_MAX
            || h.field_hash_chain_depth > HASH_CHAIN_DEPTH_MAX
    }

    /// Starts a batch: later appends are planned as usual but written only
    /// by [`commit`](Self::commit), together, one write per touched region
    /// (see `batch.rs`). Sequence numbers, `n_entries` and `size` already
    /// count the batched entries; readers see them only after the commit,
    /// and a crash before it loses them. A batch already open stays open.
    pub fn begin_batch(&mut self) {
        if self.batch.is_none() {
            let (base, allocated) = (self.append_pos, self.allocated);
            self.batch = Some(match self.spare_batch.take() {
                Some(spare) => spare.reuse(base, allocated),
                None => Batch::new(base, allocated),
            });
        }
    }

    /// Gives back the memory of caches a quiet writer does not need: all
    /// but the metadata of the most-used values, and every cached block
    /// (the caller calls this once input stopped, before `malloc_trim`).
    /// The file is the source of truth for both caches, so this changes
    /// no byte written; the next appends read what they miss (a few
    /// `pread`s from the page cache per value not kept). The hash table
    /// mirrors are not caches and stay whole. An open batch is left
    /// alone: it may read blocks it shadows.
    pub fn release_caches(&mut self) {
        if self.batch.is_some() {
            return;
        }
        self.index.shrink_data(IDLE_DATA_KEEP);
        self.hot.clear();
        self.spare_batch = None;
        self.io.release();
        self.scratch = Vec::new();
        self.payloads = Vec::new();
        self.objects = Vec::new();
    }

    /// Entries appended to the open batch and not yet written.
    pub fn batched(&self) -> u64 {
        self.batch.as_ref().map_or(0, |b| b.entries)
    }

    /// Writes the open batch, if any, in the crash-safe order (new objects,
    /// links, counts, header) and closes it. On an error the batch's
    /// entries are lost and the writer refuses further appends.
    pub fn commit(&mut self) -> Result<()> {
        let Some(batch) = self.batch.take() else {
            return Ok(());
        };
        if batch.entries == 0 {
            return Ok(());
        }
        if self.poisoned {
            return Err(Error::corrupt(
                &self.path,
                0,
                "batch dropped: an append in it failed",
            ));
        }
        let result = self.write_batch(&batch);
        if result.is_err() {
            self.poisoned = true;
        } else if batch.worth_keeping() {
            self.spare_batch = Some(batch);
        }
        result
    }

    fn write_batch(&mut self, batch: &Batch) -> Result<()> {
        self.write(batch.base, &batch.tail)?;
        self.write_coalesced(&batch.links)?;
        self.write_coalesced(&batch.counts)?;
        let bytes = self.header.encode();
        self.write(0, &bytes)
    }

    /// Marks the file OFFLINE (clean) with `fdatasync` around the state
    /// change, after committing an open batch. The writer stays usable;
    /// the next append makes it ONLINE.
    pub fn flush(&mut self) -> Result<()> {
        self.commit()?;
        if self.online && !self.poisoned {
            self.set_state(FileState::Offline)?;
        }
        Ok(())
    }

    /// Flushes and closes.
    pub fn close(mut self) -> Result<()> {
        let result = self.flush();
        self.closed = true;
        result
    }

    /// Marks the file ARCHIVED and renames it to journald's archived name
    /// (`<stem>@<seqnum_id>-<head_seqnum:016x>-<head_realtime:016x>.journal`
    /// in the same directory). Returns the new path.
    pub fn archive(mut self) -> Result<PathBuf> {
        let committed = self.commit();
        self.closed = true;
        if let Err(e) = committed {
            // The batch is lost; set the file aside as a damaged one.
            let _ = self.dispose();
            return Err(e);
        }
        if self.poisoned {
            // Links may be inconsistent: keep it apart the way journald
            // keeps damaged files, with a `.journal~` suffix.
            return self.dispose();
        }
        self.set_state(FileState::Archived)?;
        let target = archived_path(&self.path, &self.header);
        std::fs::rename(&self.path, &target).map_err(|e| Error::io(&self.path, "rename", e))?;
        Ok(target)
    }

    /// Archives this file and creates a fresh one at the same path with the
    /// same machine id, sequence-number id and size limit, continuing the
    /// sequence numbers. Returns the new writer and the archived path.
    pub fn rotate(self) -> Result<(JournalWriter, PathBuf)> {
        let path = self.path.clone();
        let machine_id = self.header.machine_id;
        let boot_id = self.header.tail_entry_boot_id;
        let seqnum_id = self.header.seqnum_id;
        let options = WriterOptions {
            max_file_size: self.max_file_size,
            last_seqnum: self.header.tail_entry_seqnum,
            file_id: None,
        };
        let archived = self.archive()?;
        let writer = JournalWriter::create(&path, machine_id, boot_id, seqnum_id, &options)?;
        Ok((writer, archived))
    }

    /// Registers a callback run after every write system call, with the
    /// file. Crash-consistency tests use it to snapshot the file at every
    /// point a `kill -9` could leave it.
    #[doc(hidden)]
    pub fn set_write_observer(&mut self, observer: Box<dyn FnMut(&File)>) {
        self.observer = Some(observer);
    }

    fn dispose(&mut self) -> Result<PathBuf> {
        let target = disposed_path(&self.path, self.header.tail_entry_realtime)?;
        std::fs::rename(&self.path, &target).map_err(|e| Error::io(&self.path, "rename", e))?;
        Ok(target)
    }

    /// Creates a new file at `path` like [`create`](Self::create), first
    /// moving aside whatever file a previous run left there, the way
    /// journald does at start-up:
    ///
    /// - a file closed cleanly (OFFLINE) is marked ARCHIVED and renamed to
    ///   the archived name (`<stem>@<seqnum_id>-<seqnum>-<time>.journal`);
    /// - a file left ONLINE (the writer died) or unreadable is renamed to
    ///   `<stem>@<time>-<random>.journal~`, which readers still include.
    ///
    /// If the old file shares `seqnum_id`, sequence numbers continue after
    /// its last entry. Returns the writer and where the old file went.
    pub fn create_replacing(
        path: &Path,
        machine_id: Id128,
        boot_id: Id128,
        seqnum_id: Id128,
        options: &WriterOptions,
    ) -> Result<(JournalWriter, Option<PathBuf>)> {
        let mut options = options.clone();
        let moved = match std::fs::symlink_metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(Error::io(path, "stat", e)),
            Ok(_) => Some(move_aside(path, seqnum_id, &mut options)?),
        };
        let writer = JournalWriter::create(path, machine_id, boot_id, seqnum_id, &options)?;
        Ok((writer, moved))
    }

    fn set_state(&mut self, state: FileState) -> Result<()> {
        self.sync()?;
        self.header.state = state as u8;
        self.write(format::header_offset::STATE as u64, &[state as u8])?;
        self.sync()?;
        self.online = state == FileState::Online;
        Ok(())
    }

    fn sync(&self) -> Result<()> {
        self.io
            .file()
            .sync_data()
            .map_err(|e| Error::io(&self.path, "fdatasync", e))
    }

    /// Grows the file so that `end` bytes exist, in 8 MiB steps, never past
    /// the size limit.
    fn ensure_allocated(&mut self, end: u64) -> Result<()> {
        if end <= self.allocated {
            return Ok(());
        }
        let rounded = end.div_ceil(FILE_SIZE_INCREASE) * FILE_SIZE_INCREASE;
        let target = rounded.min(self.max_file_size).max(end);
        allocate(self.io.file(), self.allocated, target - self.allocated)
            .map_err(|e| Error::io(&self.path, "allocate space in", e))?;
        self.allocated = target;
        self.io.forget_partial_blocks();
        if let Some(batch) = self.batch.as_mut() {
            batch.set_allocated(target);
        }
        Ok(())
    }

    fn write(&mut self, off: u64, bytes: &[u8]) -> Result<()> {
        self.io
            .write(off, bytes)
            .map_err(|e| Error::io(&self.path, "write", e))?;
        if let Some(observer) = self.observer.as_mut() {
            observer(self.io.file());
        }
        Ok(())
    }

    /// Reads as the file will be once the open batch, if any, is written.
    /// Whether the bytes at `off` equal `expected` (a stored payload or
    /// field name against the one being appended), read into a buffer the
    /// writer keeps: a fresh zeroed vector per comparison was a tenth of
    /// an append's instructions.
    fn bytes_equal(&mut self, off: u64, expected: &[u8]) -> Result<bool> {
        let mut buf = std::mem::take(&mut self.scratch);
        buf.clear();
        buf.resize(expected.len(), 0);
        let result = self.read_into(off, &mut buf);
        let equal = buf == expected;
        if buf.capacity() <= SCRATCH_KEEP {
            self.scratch = buf;
        }
        result.map(|()| equal)
    }

    /// Fills `buf` from `off`, as the file will be once the open batch,
    /// if any, is written.
    fn read_into(&mut self, off: u64, buf: &mut [u8]) -> Result<()> {
        let result = match self.batch.as_ref() {
            Some(batch) => batch.read(&mut self.io, off, buf),
            None => self.io.read(off, buf),
        };
        result.map_err(|e| Error::io(&self.path, "read", e))
    }

    fn read(&mut self, off: u64, len: usize) -> Result<Vec<u8>> {
        let result = match self.batch.as_ref() {
            Some(batch) => {
                let mut buf = vec![0u8; len];
                batch.read(&mut self.io, off, &mut buf).map(|()| buf)
            }
            None => self.io.read_vec(off, len),
        };
        result.map_err(|e| Error::io(&self.path, "read", e))
    }
}

impl Drop for JournalWriter {
    fn drop(&mut self) {
        if !self.closed {
            // Best effort: a writer dropped without close still leaves a
            // clean file when it can.
            let _ = self.flush();
        }
    }
}

/// The aligned position after an object of `size` bytes at `pos`.
fn advance(path: &Path, pos: u64, size: u64) -> Result<u64> {
    pos.checked_add(size)
        .and_then(align8)
        .ok_or_else(|| Error::Full {
            path: path.to_path_buf(),
            needed: u64::MAX,
            limit: u64::MAX,
        })
}

/// `posix_fallocate`, so that later writes cannot fail for lack of space in
/// the region (and so that systemd, which maps files and assumes them not
/// sparse, can safely append to a file we closed).
fn allocate(file: &File, offset: u64, len: u64) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    let (Ok(off), Ok(len)) = (libc::off_t::try_from(offset), libc::off_t::try_from(len)) else {
        return Err(std::io::Error::other("allocation beyond off_t"));
    };
    // SAFETY: plain syscall wrapper on a valid, owned descriptor.
    let rc = unsafe { libc::posix_fallocate(file.as_raw_fd(), off, len) };
    match rc {
        0 => Ok(()),
        // Filesystems without fallocate support: a sparse extension is the
        // best we can do; our own writes use pwrite and report ENOSPC.
        libc::EOPNOTSUPP | libc::EINVAL => file.set_len(offset + len as u64),
        errno => Err(std::io::Error::from_raw_os_error(errno)),
    }
}

/// The part of the file name before `.journal` (e.g. `system`).
fn journal_stem(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match name.strip_suffix(".journal") {
        Some(stem) => stem.to_string(),
        None => name,
    }
}

/// Archives or disposes of an existing file at `path` (see
/// [`JournalWriter::create_replacing`]), raising `options.last_seqnum` to
/// its tail sequence number when the seqnum ids agree.
fn move_aside(path: &Path, seqnum_id: Id128, options: &mut WriterOptions) -> Result<PathBuf> {
    let header = crate::reader::JournalFile::open(path)
        .ok()
        .map(|f| f.header().clone());
    let clean = header.as_ref().is_some_and(|h| {
        h.state == FileState::Offline as u8 || h.state == FileState::Archived as u8
    });
    let target = match &header {
        Some(h) if clean => {
            if h.state == FileState::Offline as u8 {
                let file = OpenOptions::new()
                    .write(true)
                    .open(path)
                    .map_err(|e| Error::io(path, "open", e))?;
                use std::os::unix::fs::FileExt;
                file.write_all_at(
                    &[FileState::Archived as u8],
                    format::header_offset::STATE as u64,
                )
                .and_then(|()| file.sync_data())
                .map_err(|e| Error::io(path, "mark archived", e))?;
            }
            archived_path(path, h)
        }
        Some(h) => disposed_path(path, h.tail_entry_realtime)?,
        None => disposed_path(path, 0)?,
    };
    if let Some(h) = &header {
        if h.seqnum_id == seqnum_id {
            options.last_seqnum = options.last_seqnum.max(h.tail_entry_seqnum);
        }
    }
    std::fs::rename(path, &target).map_err(|e| Error::io(path, "rename", e))?;
    Ok(target)
}

/// journald's name for a damaged or unclean file it sets aside.
fn disposed_path(path: &Path, realtime: u64) -> Result<PathBuf> {
    let random = Id128::random()?.to_hex();
    let name = format!(
        "{}@{realtime:016x}-{}.journal~",
        journal_stem(path),
        &random[..16]
    );
    Ok(path.with_file_name(name))
}

/// journald's name for an archived file.
fn archived_path(path: &Path, header: &Header) -> PathBuf {
    let name = format!(
        "{}@{}-{:016x}-{:016x}.journal",
        journal_stem(path),
        header.seqnum_id,
        header.head_entry_seqnum,
        header.head_entry_realtime
    );
    path.with_file_name(name)
}
