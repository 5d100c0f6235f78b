//! Where entries go: the journal directory, the active file, rotation and
//! vacuuming (`journald.conf(5)`, "Storage=", "SystemMaxUse=" …).
//!
//! Layout, as journald lays it out: `ROOT/var/log/journal/MACHINE-ID/`
//! when persistent, `ROOT/run/log/journal/MACHINE-ID/` when volatile;
//! `Storage=auto` is persistent exactly when `ROOT/var/log/journal`
//! exists, `persistent` creates it, `none` stores nothing. The active file
//! is `system.journal` (`user-UID.journal` for a `--user` journal daemon;
//! when the system directory is not writable for that user, the files go
//! to the user's runtime directory instead, `STATE/log/MACHINE-ID/`).
//!
//! At start the previous run's active file is moved aside — archived to
//! `system@SEQNUMID-HEADSEQ-HEADTIME.journal` when it was closed cleanly,
//! kept as `system@TIME-RANDOM.journal~` when the previous daemon died
//! (both stay readable) — and a fresh file continues its sequence numbers.
//! A file is rotated the same way when the next entry would not fit under
//! `SystemMaxFileSize=` or its hash tables are getting full; after each
//! rotation the oldest archived files are deleted until the directory
//! fits `SystemMaxUse=`, leaves `SystemKeepFree=` free, and holds nothing
//! older than `MaxRetentionSec=`. The active file is never deleted.
//!
//! The machine id comes from `ROOT/etc/machine-id`. Without one (the
//! manager's init writes it; we never do) an id is generated, announced on
//! stderr, and remembered in the daemon's state directory so a restart
//! within the same boot keeps using the same journal directory.
//!
//! Entries are appended in batches (`JournalWriter::begin_batch`): the
//! server hands over every line it has ready, then calls
//! [`Storage::commit`] before it waits for more input, and a batch is
//! committed anyway once it holds [`MAX_BATCH`] entries. The journal crate
//! writes a batch with one write per touched region of the file, in the
//! same crash-safe order as a single entry, so a `kill -9` loses at most
//! the entries of the batch being built — lines read in the same wake-up
//! (journald, which reads a stream's buffer and then writes its lines one
//! by one, loses the unwritten rest of that buffer the same way). Writing
//! entries one by one cost ~20 small `pwrite`s per 19-field entry, each
//! walking ext4's per-folio buffer heads (BENCHMARKS.md, "Journal").

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use journal::{EntryFields, Error as JError, Id128, JournalFile, JournalWriter, WriterOptions};

use super::config::{effective_limits, Config, StorageMode};

/// Entries per batch at most: bounds the memory of a batch (~1.5 KiB an
/// entry) and what a crash can lose.
pub const MAX_BATCH: u64 = 1024;

/// The journal directories of a root, both of them (for readers).
pub fn journal_roots(root: &Path) -> [PathBuf; 2] {
    [root.join("var/log/journal"), root.join("run/log/journal")]
}

/// Reads `ROOT/etc/machine-id`.
pub fn read_machine_id(root: &Path) -> Option<Id128> {
    let text = std::fs::read_to_string(root.join("etc/machine-id")).ok()?;
    Id128::parse(text.trim()).ok().filter(|id| !id.is_null())
}

/// The machine id to file entries under (see the module docs).
pub fn machine_id(root: &Path, state_dir: &Path) -> Result<Id128> {
    if let Some(id) = read_machine_id(root) {
        return Ok(id);
    }
    let remembered = state_dir.join("machine-id");
    if let Some(id) = std::fs::read_to_string(&remembered)
        .ok()
        .and_then(|t| Id128::parse(t.trim()).ok())
    {
        return Ok(id);
    }
    let id = Id128::random().context("generating a machine id")?;
    eprintln!(
        "journald: {} has no machine id; using generated id {id} for this boot",
        root.join("etc/machine-id").display()
    );
    std::fs::write(&remembered, format!("{id}\n"))
        .with_context(|| format!("writing {}", remembered.display()))?;
    Ok(id)
}

/// The active journal file and its limits.
pub struct Storage {
    dir: PathBuf,
    stem: String,
    writer: Option<JournalWriter>,
    machine_id: Id128,
    boot_id: Id128,
    max_use: u64,
    keep_free: u64,
    max_file_size: u64,
    retention_usec: u64,
    /// Entries that could not be written (I/O errors, too large).
    pub lost: u64,
    /// Set by writes, cleared by [`sync`](Storage::sync).
    pub dirty: bool,
    available: (Instant, u64),
}

impl Storage {
    /// Opens storage for `root` as configured; `None` for `Storage=none`.
    pub fn open(
        root: &Path,
        user: bool,
        state_dir: &Path,
        config: &Config,
    ) -> Result<Option<Storage>> {
        let machine_id = machine_id(root, state_dir)?;
        let boot_id = Id128::boot_id().context("reading the boot id")?;
        let [var, run] = journal_roots(root);
        let (base, limits) = match config.storage {
            StorageMode::None => return Ok(None),
            StorageMode::Persistent => (var, config.system),
            StorageMode::Auto if var.is_dir() => (var, config.system),
            StorageMode::Auto | StorageMode::Volatile => (run, config.runtime),
        };
        let uid = nix::unistd::getuid().as_raw();
        let stem = if user {
            format!("user-{uid}")
        } else {
            "system".to_string()
        };
        let mut dir = base.join(machine_id.to_hex());
        if std::fs::create_dir_all(&dir).is_err() && user {
            dir = state_dir.join("log").join(machine_id.to_hex());
        }
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let fs_size = statvfs(&dir).map(|(size, _)| size).unwrap_or(0);
        let (max_use, keep_free, max_file_size) = effective_limits(limits, fs_size);
        let mut s = Storage {
            dir,
            stem,
            writer: None,
            machine_id,
            boot_id,
            max_use,
            keep_free,
            max_file_size,
            retention_usec: config.max_retention_usec,
            lost: 0,
            dirty: false,
            available: (Instant::now() - Duration::from_secs(60), 0),
        };
        s.start()?;
        Ok(Some(s))
    }

    pub fn machine_id(&self) -> Id128 {
        self.machine_id
    }

    pub fn boot_id(&self) -> Id128 {
        self.boot_id
    }

    fn active_path(&self) -> PathBuf {
        self.dir.join(format!("{}.journal", self.stem))
    }

    /// Moves the previous run's file aside and starts a fresh one.
    fn start(&mut self) -> Result<()> {
        let path = self.active_path();
        // Continue the previous file's sequence-number space when it is
        // readable, as journald does across restarts.
        let seqnum_id = JournalFile::open(&path)
            .ok()
            .map(|f| f.header().seqnum_id)
            .filter(|id| !id.is_null())
            .map_or_else(Id128::random, Ok)
            .context("generating a sequence number id")?;
        let options = WriterOptions {
            max_file_size: self.max_file_size,
            ..WriterOptions::default()
        };
        let (writer, moved) = JournalWriter::create_replacing(
            &path,
            self.machine_id,
            self.boot_id,
            seqnum_id,
            &options,
        )
        .with_context(|| format!("creating {}", path.display()))?;
        if let Some(m) = moved {
            if m.extension().is_some_and(|e| e == "journal~") {
                eprintln!(
                    "journald: {} was not closed cleanly, kept as {}",
                    path.display(),
                    m.display()
                );
            }
        }
        self.writer = Some(writer);
        self.vacuum();
        Ok(())
    }

    /// Appends one entry, rotating when the file is full. Failures are
    /// reported on stderr and counted in [`lost`](Storage::lost); the next
    /// entry tries again with a fresh file.
    pub fn append(&mut self, realtime: u64, monotonic: u64, fields: &[(&str, &[u8])]) {
        let entry = EntryFields {
            realtime_usec: realtime.max(1),
            monotonic_usec: monotonic,
            boot_id: self.boot_id,
            fields,
        };
        for attempt in 0..2 {
            let Some(w) = self.writer.as_mut() else {
                if let Err(e) = self.start() {
                    eprintln!("journald: cannot open a journal file: {e:#}");
                    break;
                }
                continue;
            };
            w.begin_batch();
            match w.append(&entry) {
                Ok(_) => {
                    self.dirty = true;
                    if w.rotate_suggested() {
                        self.rotate();
                    } else if w.batched() >= MAX_BATCH {
                        self.commit();
                    }
                    return;
                }
                Err(JError::Full { .. }) if attempt == 0 && w.n_entries() > 0 => self.rotate(),
                Err(
                    e @ (JError::Full { .. }
                    | JError::InvalidField { .. }
                    | JError::EmptyEntry
                    | JError::InvalidTimestamp { .. }),
                ) => {
                    eprintln!("journald: dropping an entry: {e}");
                    break;
                }
                Err(e) => {
                    eprintln!("journald: writing failed, starting a new file: {e}");
                    self.rotate();
                }
            }
        }
        self.lost += 1;
    }

    /// Writes the entries appended since the last commit. When that fails
    /// they are counted in [`lost`](Storage::lost) and the next entry
    /// starts a new file.
    pub fn commit(&mut self) {
        if !self.commit_before_closing() {
            self.rotate();
        }
    }

    /// Archives the active file and starts a new one, then vacuums.
    pub fn rotate(&mut self) {
        self.commit_before_closing();
        let Some(w) = self.writer.take() else { return };
        match w.rotate() {
            Ok((fresh, _)) => self.writer = Some(fresh),
            Err(e) => eprintln!("journald: rotating failed: {e}"),
        }
        if self.writer.is_none() {
            if let Err(e) = self.start() {
                eprintln!("journald: cannot open a journal file: {e:#}");
            }
        }
        self.vacuum();
    }

    /// Commits the open batch before the file is archived or closed,
    /// counting its entries as lost when that fails (returns false then).
    fn commit_before_closing(&mut self) -> bool {
        let Some(w) = self.writer.as_mut() else {
            return true;
        };
        let batched = w.batched();
        match w.commit() {
            Ok(()) => true,
            Err(e) => {
                eprintln!("journald: writing failed, {batched} entries lost: {e}");
                self.lost += batched;
                false
            }
        }
    }

    /// Input stopped: the writer gives back what it only caches (see
    /// `JournalWriter::release_caches`).
    pub fn release_caches(&mut self) {
        if let Some(w) = self.writer.as_mut() {
            w.release_caches();
        }
    }

    /// Syncs and marks the file OFFLINE.
    pub fn sync(&mut self) {
        self.commit_before_closing();
        if let Some(w) = self.writer.as_mut() {
            if let Err(e) = w.flush() {
                eprintln!("journald: syncing failed: {e}");
            }
        }
        self.dirty = false;
    }

    /// Closes the file cleanly.
    pub fn close(&mut self) {
        self.commit_before_closing();
        if let Some(w) = self.writer.take() {
            if let Err(e) = w.close() {
                eprintln!("journald: closing failed: {e}");
            }
        }
    }

    /// Bytes the journal may still use (for the rate limiter's burst
    /// scaling), refreshed at most once a second.
    pub fn available(&mut self) -> u64 {
        let (at, value) = self.available;
        if at.elapsed() < Duration::from_secs(1) {
            return value;
        }
        let used = dir_bytes(&self.dir);
        let free = statvfs(&self.dir).map(|(_, free)| free).unwrap_or(0);
        let v = self
            .max_use
            .saturating_sub(used)
            .min(free.saturating_sub(self.keep_free));
        self.available = (Instant::now(), v);
        v
    }

    /// Deletes the oldest archived files beyond the limits.
    pub fn vacuum(&mut self) {
        let mut files = dir_usage(&self.dir);
        let active = self.active_path();
        files.retain(|f| f.path != active);
        let now = now_realtime();
        let mut total: u64 = dir_bytes(&self.dir);
        let mut free = statvfs(&self.dir).map(|(_, free)| free).unwrap_or(u64::MAX);
        for f in files {
            let too_old = self.retention_usec > 0
                && f.tail_realtime.saturating_add(self.retention_usec) < now;
            if !(too_old || total > self.max_use || free < self.keep_free) {
                continue;
            }
            match std::fs::remove_file(&f.path) {
                Ok(()) => {
                    total = total.saturating_sub(f.bytes);
                    free = free.saturating_add(f.bytes);
                }
                Err(e) => eprintln!("journald: cannot remove {}: {e}", f.path.display()),
            }
        }
        self.available.0 = Instant::now() - Duration::from_secs(60);
    }
}

impl Drop for Storage {
    fn drop(&mut self) {
        self.close();
    }
}

/// A journal file and what vacuuming needs to know about it.
#[derive(Clone, Debug)]
pub struct FileUsage {
    pub path: PathBuf,
    /// Allocated bytes on disk.
    pub bytes: u64,
    /// First entry's time (what journald's archive names carry, and what
    /// `journalctl --vacuum-time=` compares).
    pub head_realtime: u64,
    pub tail_realtime: u64,
}

/// The journal files of a directory, oldest first (by last entry time;
/// unreadable files count as oldest).
pub fn dir_usage(dir: &Path) -> Vec<FileUsage> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !(name.ends_with(".journal") || name.ends_with(".journal~")) {
            continue;
        }
        let Ok(meta) = e.metadata() else { continue };
        if !meta.is_file() {
            continue;
        }
        let (head_realtime, tail_realtime) = JournalFile::open(&e.path())
            .map(|f| (f.header().head_entry_realtime, f.header().tail_entry_realtime))
            .unwrap_or((0, 0));
        out.push(FileUsage {
            path: e.path(),
            bytes: meta.blocks() * 512,
            head_realtime,
            tail_realtime,
        });
    }
    out.sort_by(|a, b| {
        a.tail_realtime
            .cmp(&b.tail_realtime)
            .then(a.path.cmp(&b.path))
    });
    out
}

/// Bytes the journal files of `dir` occupy (allocated blocks), without
/// opening them.
pub fn dir_bytes(dir: &Path) -> u64 {
    let Ok(rd) = std::fs::read_dir(dir) else { return 0 };
    rd.flatten()
        .filter(|e| {
            let n = e.file_name();
            let n = n.to_string_lossy();
            n.ends_with(".journal") || n.ends_with(".journal~")
        })
        .filter_map(|e| e.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.blocks() * 512)
        .sum()
}

/// `(size, available)` bytes of the file system holding `path`.
pub fn statvfs(path: &Path) -> Option<(u64, u64)> {
    let st = nix::sys::statvfs::statvfs(path).ok()?;
    let frsize = st.fragment_size() as u64;
    Some((
        st.blocks() as u64 * frsize,
        st.blocks_available() as u64 * frsize,
    ))
}

/// `CLOCK_REALTIME` in µs.
pub fn now_realtime() -> u64 {
    clock_usec(nix::time::ClockId::CLOCK_REALTIME)
}

/// `CLOCK_MONOTONIC` in µs.
pub fn now_monotonic() -> u64 {
    clock_usec(nix::time::ClockId::CLOCK_MONOTONIC)
}

fn clock_usec(id: nix::time::ClockId) -> u64 {
    match nix::time::clock_gettime(id) {
        Ok(ts) => (ts.tv_sec() as u64).saturating_mul(1_000_000) + (ts.tv_nsec() as u64) / 1000,
        Err(_) => 0,
    }
}
