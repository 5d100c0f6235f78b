//! [`Journal`]: one stream of entries over one or many files.
//!
//! This is the equivalent of an `sd_journal` handle (`sd-journal(3)`),
//! and of `journalctl --file=…`/`-D DIR`: [`Journal::open_file`],
//! [`Journal::open_files`], and [`Journal::open_directory`] (which is the
//! "Directory" reader: every `*.journal`/`*.journal~` in a directory and in
//! its machine-id subdirectories, interleaved). It keeps a *location* — head,
//! tail, a seek target (time, sequence number, cursor), or the entry it
//! last returned — and [`next`](Journal::next)/[`previous`](Journal::previous)
//! move it.
//!
//! Interleaving follows sd-journal. Every file keeps its own candidate: the
//! first matching entry beyond the location in the current direction. The
//! candidate that sorts first wins, where two entries compare
//! (`sd_journal_next(3)` ordering):
//! 1. by sequence number, if their files share a `seqnum_id`;
//! 2. else by monotonic time, if they share a boot id;
//! 3. else by wall-clock time;
//! 4. finally by the entries' XOR hash.
//!
//! A file's candidate that compares *equal* to the returned entry is the
//! same entry stored twice (journald copies entries between files, e.g.
//! on `journalctl --flush`), and is skipped, so duplicates appear once.
//! Files other than the winner keep their candidate, so a step reads one
//! entry header per file plus the winner's next entry.
//!
//! A file that turns out to be damaged mid-way is reported once through
//! the `Err` of the call that met the damage and then left out; iteration
//! goes on with the other files. When reading the winning entry's fields
//! fails (say, a ZSTD-compressed field), the location has already moved
//! past it, so the next call continues with the following entry.

use std::cmp::Ordering;
use std::path::{Path, PathBuf};

use crate::cursor::Cursor;
use crate::error::{Error, Result};
use crate::id128::Id128;

use super::file::{Entry, EntryMeta, JournalFile};
use super::matches::{Matches, Node};

/// What a seek or a returned entry left the location at.
#[derive(Clone, Debug)]
enum Location {
    Head,
    Tail,
    /// Seek target: the first entry at or after it (or at or before it,
    /// going backwards).
    Seek(Key),
    /// The last returned entry, from file `slot` at `offset`.
    Entry {
        key: Key,
        slot: usize,
        offset: u64,
    },
}

/// Whatever is known about a position.
#[derive(Clone, Copy, Debug, Default)]
struct Key {
    seqnum: Option<(Id128, u64)>,
    monotonic: Option<(Id128, u64)>,
    realtime: Option<u64>,
    xor_hash: Option<u64>,
}

struct Slot {
    file: JournalFile,
    /// Compiled matches; `None` until compiled or when there are none.
    node: Option<Node>,
    /// Candidate and the direction it was found in.
    pos: Option<(bool, EntryMeta)>,
    /// No more entries in this direction.
    exhausted: Option<bool>,
    broken: bool,
}

/// An iterator over the entries of a set of journal files, with matches
/// and seeking. See the module docs.
pub struct Journal {
    slots: Vec<Slot>,
    matches: Matches,
    compiled: bool,
    location: Location,
    skipped: Vec<Error>,
}

impl Journal {
    /// Reads one file (`journalctl --file=PATH`).
    pub fn open_file(path: &Path) -> Result<Journal> {
        Ok(Journal::from_files(
            vec![JournalFile::open(path)?],
            Vec::new(),
        ))
    }

    /// Reads several files as one stream. Every file must open.
    pub fn open_files<P: AsRef<Path>>(paths: impl IntoIterator<Item = P>) -> Result<Journal> {
        let files = paths
            .into_iter()
            .map(|p| JournalFile::open(p.as_ref()))
            .collect::<Result<Vec<_>>>()?;
        Ok(Journal::from_files(files, Vec::new()))
    }

    /// Reads a journal directory (`journalctl -D DIR`): every `*.journal`
    /// and `*.journal~` file in it and in its subdirectories named by a
    /// machine id. Files that fail to open are left out and listed by
    /// [`skipped`](Journal::skipped), as journalctl skips them.
    pub fn open_directory(dir: &Path) -> Result<Journal> {
        let mut paths = Vec::new();
        collect_journal_files(dir, &mut paths, true)?;
        paths.sort();
        let mut files = Vec::new();
        let mut skipped = Vec::new();
        for path in paths {
            match JournalFile::open(&path) {
                Ok(f) => files.push(f),
                Err(e) => skipped.push(e),
            }
        }
        Ok(Journal::from_files(files, skipped))
    }

    fn from_files(files: Vec<JournalFile>, skipped: Vec<Error>) -> Journal {
        Journal {
            slots: files
                .into_iter()
                .map(|file| Slot {
                    file,
                    node: None,
                    pos: None,
                    exhausted: None,
                    broken: false,
                })
                .collect(),
            matches: Matches::new(),
            compiled: false,
            location: Location::Head,
            skipped,
        }
    }

    /// Paths of the files being read.
    pub fn paths(&self) -> Vec<&Path> {
        self.slots.iter().map(|s| s.file.path()).collect()
    }

    /// The files themselves (headers, per-file statistics).
    pub fn files(&self) -> impl Iterator<Item = &JournalFile> {
        self.slots.iter().map(|s| &s.file)
    }

    /// Errors of files left out: at open ([`open_directory`]) or later,
    /// when damage was found while iterating.
    ///
    /// [`open_directory`]: Journal::open_directory
    pub fn skipped(&self) -> &[Error] {
        &self.skipped
    }

    /// Objects read so far, over all files.
    pub fn objects_visited(&self) -> u64 {
        self.slots.iter().map(|s| s.file.objects_visited()).sum()
    }

    /// Adds a `FIELD=value` match (see [`Matches`]).
    pub fn add_match(&mut self, m: &[u8]) -> Result<()> {
        self.matches.add(m)?;
        self.matches_changed();
        Ok(())
    }

    /// Starts an OR'ed group of matches (journalctl's `+`).
    pub fn add_disjunction(&mut self) {
        self.matches.add_disjunction();
        self.matches_changed();
    }

    /// Closes the OR'ed groups; later matches are AND'ed with them.
    pub fn add_conjunction(&mut self) {
        self.matches.add_conjunction();
        self.matches_changed();
    }

    /// Replaces all matches.
    pub fn set_matches(&mut self, matches: Matches) {
        self.matches = matches;
        self.matches_changed();
    }

    /// Drops all matches.
    pub fn flush_matches(&mut self) {
        self.set_matches(Matches::new());
    }

    fn matches_changed(&mut self) {
        self.compiled = false;
        self.reset_positions();
    }

    /// Before the first entry: `next` returns the oldest.
    pub fn seek_head(&mut self) {
        self.location = Location::Head;
        self.reset_positions();
    }

    /// After the last entry: `previous` returns the newest.
    pub fn seek_tail(&mut self) {
        self.location = Location::Tail;
        self.reset_positions();
    }

    /// `next` returns the first entry at or after `usec` (wall clock),
    /// `previous` the last one at or before it.
    pub fn seek_realtime(&mut self, usec: u64) {
        self.seek_key(Key {
            realtime: Some(usec),
            ..Key::default()
        });
    }

    /// Like [`seek_realtime`](Self::seek_realtime) with a sequence number
    /// of `seqnum_id`'s counter. Files with another `seqnum_id` have no
    /// position for it and yield nothing until the next seek.
    pub fn seek_seqnum(&mut self, seqnum_id: Id128, seqnum: u64) {
        self.seek_key(Key {
            seqnum: Some((seqnum_id, seqnum)),
            ..Key::default()
        });
    }

    /// Positions at the entry named by `cursor`: `next` (or `previous`)
    /// returns that entry if it exists, else its nearest neighbour.
    pub fn seek_cursor(&mut self, cursor: &Cursor) {
        self.seek_key(Key {
            seqnum: cursor.seqnum_id.zip(cursor.seqnum),
            monotonic: cursor.boot_id.zip(cursor.monotonic),
            realtime: cursor.realtime,
            xor_hash: cursor.xor_hash,
        });
    }

    fn seek_key(&mut self, key: Key) {
        self.location = Location::Seek(key);
        self.reset_positions();
    }

    fn reset_positions(&mut self) {
        for slot in &mut self.slots {
            slot.pos = None;
            slot.exhausted = None;
        }
    }

    /// Re-reads every file's header, to see entries appended since.
    pub fn refresh(&mut self) -> Result<()> {
        for slot in &mut self.slots {
            slot.file.refresh()?;
            slot.exhausted = None;
        }
        self.compiled = false;
        Ok(())
    }

    /// The next entry, or `None` at the end. (Not an `Iterator`: errors
    /// do not end the stream, see the module docs.)
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<Entry>> {
        self.step(true)
    }

    /// The previous entry, or `None` at the beginning.
    pub fn previous(&mut self) -> Result<Option<Entry>> {
        self.step(false)
    }

    /// Values of field `name` over all files, each once, in first-seen
    /// order (`journalctl -F`). Matches do not apply, as in journalctl.
    pub fn unique_values(&mut self, name: &str) -> Result<Vec<Vec<u8>>> {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for slot in &mut self.slots {
            for v in slot.file.unique_values(name)? {
                if seen.insert(v.clone()) {
                    out.push(v);
                }
            }
        }
        Ok(out)
    }

    fn step(&mut self, forward: bool) -> Result<Option<Entry>> {
        self.compile()?;
        let mut best: Option<(usize, EntryMeta)> = None;
        let mut failure = None;
        for i in 0..self.slots.len() {
            if self.slots[i].broken {
                continue;
            }
            let meta = match self.candidate(i, forward) {
                Ok(Some(meta)) => meta,
                Ok(None) => continue,
                Err(e) => {
                    self.slots[i].broken = true;
                    failure.get_or_insert(e);
                    continue;
                }
            };
            let better = match &best {
                None => true,
                Some((j, b)) => {
                    let ord = self.compare(i, &meta, *j, b);
                    if forward {
                        ord == Ordering::Less
                    } else {
                        ord == Ordering::Greater
                    }
                }
            };
            if better {
                best = Some((i, meta));
            }
        }
        if let Some(e) = failure {
            // Report damage once; the file stays out from now on.
            self.skipped.push(clone_error(&e));
            return Err(e);
        }
        let Some((i, meta)) = best else {
            return Ok(None);
        };
        let seqnum_id = self.slots[i].file.header().seqnum_id;
        self.location = Location::Entry {
            key: Key {
                seqnum: Some((seqnum_id, meta.seqnum)),
                monotonic: Some((meta.boot_id, meta.monotonic)),
                realtime: Some(meta.realtime),
                xor_hash: Some(meta.xor_hash),
            },
            slot: i,
            offset: meta.offset,
        };
        self.slots[i].file.entry_at(meta.offset).map(Some)
    }

    fn compile(&mut self) -> Result<()> {
        if self.compiled {
            return Ok(());
        }
        for i in 0..self.slots.len() {
            let slot = &mut self.slots[i];
            if slot.broken {
                continue;
            }
            match self.matches.compile(&mut slot.file.core) {
                Ok(node) => slot.node = node,
                Err(e) => {
                    slot.broken = true;
                    self.skipped.push(e);
                }
            }
        }
        self.compiled = true;
        Ok(())
    }

    /// File `i`'s first matching entry beyond the location.
    fn candidate(&mut self, i: usize, forward: bool) -> Result<Option<EntryMeta>> {
        if self.slots[i].exhausted == Some(forward) {
            return Ok(None);
        }
        let (mut offset, mut known) = match self.slots[i].pos {
            Some((dir, meta)) if dir == forward => (Some(meta.offset), Some(meta)),
            _ => (self.find_location(i, forward)?, None),
        };
        while let Some(off) = offset {
            let slot = &mut self.slots[i];
            let meta = match known.take() {
                Some(meta) => meta,
                None => slot.file.meta(off)?,
            };
            let beyond = match &self.location {
                Location::Entry { key, .. } => {
                    let ord = compare_with_key(slot.file.header().seqnum_id, &meta, key);
                    if forward {
                        ord == Ordering::Greater
                    } else {
                        ord == Ordering::Less
                    }
                }
                _ => true,
            };
            if beyond {
                slot.pos = Some((forward, meta));
                return Ok(Some(meta));
            }
            offset = match (forward, off.checked_add(1), off.checked_sub(1)) {
                (true, Some(p), _) => matching_from(slot, p, true)?,
                (false, _, Some(p)) => matching_from(slot, p, false)?,
                _ => None,
            };
        }
        let slot = &mut self.slots[i];
        slot.pos = None;
        slot.exhausted = Some(forward);
        Ok(None)
    }

    /// Where file `i` starts looking from the current location.
    fn find_location(&mut self, i: usize, forward: bool) -> Result<Option<u64>> {
        let key = match &self.location {
            Location::Head => {
                return if forward {
                    matching_from(&mut self.slots[i], 0, true)
                } else {
                    Ok(None)
                }
            }
            Location::Tail => {
                return if forward {
                    Ok(None)
                } else {
                    matching_from(&mut self.slots[i], u64::MAX, false)
                }
            }
            Location::Entry { slot, offset, .. } if *slot == i => {
                return matching_from(&mut self.slots[i], *offset, forward);
            }
            Location::Entry { key, .. } | Location::Seek(key) => *key,
        };
        let slot = &mut self.slots[i];
        match locate(&mut slot.file, &key, forward)? {
            Some(p) => matching_from(slot, p, forward),
            None => Ok(None),
        }
    }

    fn compare(&self, i: usize, a: &EntryMeta, j: usize, b: &EntryMeta) -> Ordering {
        let sid_a = self.slots[i].file.header().seqnum_id;
        let sid_b = self.slots[j].file.header().seqnum_id;
        compare_with_key(
            sid_a,
            a,
            &Key {
                seqnum: Some((sid_b, b.seqnum)),
                monotonic: Some((b.boot_id, b.monotonic)),
                realtime: Some(b.realtime),
                xor_hash: Some(b.xor_hash),
            },
        )
    }
}

/// Orders an entry of a file with `seqnum_id` against a position.
fn compare_with_key(seqnum_id: Id128, meta: &EntryMeta, key: &Key) -> Ordering {
    if let Some((sid, seqnum)) = key.seqnum {
        if sid == seqnum_id {
            match meta.seqnum.cmp(&seqnum) {
                Ordering::Equal => {}
                other => return other,
            }
        }
    }
    if let Some((boot, mono)) = key.monotonic {
        if boot == meta.boot_id {
            match meta.monotonic.cmp(&mono) {
                Ordering::Equal => {}
                other => return other,
            }
        }
    }
    if let Some(rt) = key.realtime {
        match meta.realtime.cmp(&rt) {
            Ordering::Equal => {}
            other => return other,
        }
    }
    match key.xor_hash {
        Some(x) => meta.xor_hash.cmp(&x),
        None => Ordering::Equal,
    }
}

/// The first matching entry at or after (`forward`) / at or before `p`.
fn matching_from(slot: &mut Slot, p: u64, forward: bool) -> Result<Option<u64>> {
    match slot.node.as_mut() {
        Some(node) => node.seek(&mut slot.file.core, p, forward),
        None => {
            let (core, chain) = slot.file.global()?;
            chain.seek(core, p, forward)
        }
    }
}

/// An entry offset in `file` where a seek to `key` starts: by sequence
/// number when the seqnum ids agree, else by monotonic time within the
/// boot (through the `_BOOT_ID=` data object), else by wall-clock time.
fn locate(file: &mut JournalFile, key: &Key, forward: bool) -> Result<Option<u64>> {
    let seqnum_id = file.header().seqnum_id;
    if let Some((sid, seqnum)) = key.seqnum {
        if sid == seqnum_id {
            return bisect_global(file, forward, |m| m.seqnum, seqnum);
        }
    }
    if let Some((boot, mono)) = key.monotonic {
        let payload = format!("_BOOT_ID={boot}");
        if let Some(data) = file.core.find_data(payload.as_bytes())? {
            let mut chain = super::chain::Chain::for_data(&mut file.core, data)?;
            let i = chain.partition_point(&mut file.core, |core, off| {
                let eh = core.entry_header(off)?;
                Ok(if forward {
                    eh.monotonic >= mono
                } else {
                    eh.monotonic > mono
                })
            })?;
            let index = if forward { Some(i) } else { i.checked_sub(1) };
            return match index.filter(|&i| i < chain.len()) {
                Some(i) => chain.item(&mut file.core, i).map(Some),
                None => Ok(None),
            };
        }
    }
    if let Some(rt) = key.realtime {
        return bisect_global(file, forward, |m| m.realtime, rt);
    }
    let (core, chain) = file.global()?;
    chain.seek(core, if forward { 0 } else { u64::MAX }, forward)
}

/// Bisects the global list on `field`, assumed non-decreasing in file
/// order: forward, the first entry with `field ≥ target`; backward, the
/// last with `field ≤ target`.
fn bisect_global(
    file: &mut JournalFile,
    forward: bool,
    field: impl Fn(&crate::format::EntryHeader) -> u64,
    target: u64,
) -> Result<Option<u64>> {
    let (core, chain) = file.global()?;
    let i = chain.partition_point(core, |core, off| {
        let eh = core.entry_header(off)?;
        Ok(if forward {
            field(&eh) >= target
        } else {
            field(&eh) > target
        })
    })?;
    let index = if forward { Some(i) } else { i.checked_sub(1) };
    match index.filter(|&i| i < chain.len()) {
        Some(i) => chain.item(core, i).map(Some),
        None => Ok(None),
    }
}

fn collect_journal_files(dir: &Path, out: &mut Vec<PathBuf>, descend: bool) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, "read directory", e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, "read directory", e))?;
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let Ok(kind) = std::fs::metadata(&path).map(|m| m.file_type()) else {
            continue;
        };
        if kind.is_file() && (name.ends_with(".journal") || name.ends_with(".journal~")) {
            out.push(path);
        } else if kind.is_dir() && descend && Id128::parse(&name).is_ok() {
            collect_journal_files(&path, out, false)?;
        }
    }
    Ok(())
}

/// A copy of an error for the `skipped` list (io errors keep their kind
/// and message).
fn clone_error(e: &Error) -> Error {
    match e {
        Error::Io { path, op, source } => Error::Io {
            path: path.clone(),
            op,
            source: std::io::Error::new(source.kind(), source.to_string()),
        },
        Error::Corrupt {
            path,
            offset,
            reason,
        } => Error::Corrupt {
            path: path.clone(),
            offset: *offset,
            reason: reason.clone(),
        },
        other => Error::Corrupt {
            path: PathBuf::new(),
            offset: 0,
            reason: other.to_string(),
        },
    }
}
