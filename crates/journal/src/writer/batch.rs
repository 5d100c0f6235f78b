//! Batched appends: many entries, one write per touched region.
//!
//! **What.** Between [`JournalWriter::begin_batch`] and
//! [`JournalWriter::commit`], [`JournalWriter::append`] plans and lays out
//! each entry exactly as it does alone, but the writes it would issue are
//! kept in memory ([`Batch`]):
//!
//! - the new objects of every entry, which follow each other from the
//!   batch's start offset, in one buffer (`tail`);
//! - links that entries write into objects created earlier in the *same*
//!   batch (an entry-array slot, a DATA object's `n_entries`) patch that
//!   buffer directly: those objects are not on disk yet;
//! - links into objects that were already on disk go to two ordered lists,
//!   `links` and `counts`, as in a single append, and also to the `shadow`
//!   of their 4 KiB block, so later entries of the batch read (through
//!   `JournalWriter::read`) the file as it will be after commit;
//! - the header stays in memory.
//!
//! **States.** No batch (every append writes at once) → open batch
//! (appends accumulate; `entries` counts them) → commit (the batch is taken
//! out, written, and the writer is back to no batch). `flush`, `close`,
//! `archive` and dropping the writer commit first.
//!
//! **Why it is crash-safe.** Commit writes in the order a single append
//! does, only with every entry of the batch at once: (1) the new objects
//! in one `pwrite` past the old tail — nothing on disk points at them yet;
//! (2) the links from old objects (hash buckets and chains, field heads,
//! entry-array slots and next pointers), merged per region; (3) the old
//! DATA objects' counts, after every slot they cover; (4) the header,
//! whose `n_entries` makes the whole batch visible at once. A `kill -9`
//! before (4) leaves the previous file plus links into complete, uncounted
//! objects, exactly the states a single append can leave; after it, every
//! entry of the batch is complete. A crash loses the entries of the open
//! batch, so callers commit whenever they have no more input ready.
//!
//! **Shadows.** A shadow starts as the list of patches recorded into its
//! block (`Shadow::Pending`); a read of the block applies them over what
//! the file has. Only a block that collects more than [`MAX_PENDING`]
//! patches is copied (`Shadow::Copied`) and patched in place from then
//! on. A batch of one entry, what a quiet system (a connection's "Started"
//! line) writes, reads none of the ~20 blocks it links into; copying each
//! up front was a 4 KiB allocation and copy per block, a fifth of the
//! journal process's time under an Accept=yes load (BENCHMARKS.md,
//! session 8).
//!
//! **Why.** An entry of 19 fields touches ~19 entry arrays of common
//! values (`_BOOT_ID=`, `_HOSTNAME=` …); alone, each is its own small
//! `pwrite`, and on ext4 with large folios each small write walks the
//! folio's buffer heads (BENCHMARKS.md, "Journal"). In a batch of N entries
//! those N slots per array are adjacent and become one write.

use std::io;

use crate::io::{BlockCache, U64Map};

/// Granularity of the shadow copies of old blocks.
const SHADOW_BLOCK: u64 = 4096;
/// Patches a shadow keeps as a list before it becomes a copy of its block
/// (each read of the block applies the list).
const MAX_PENDING: usize = 32;

/// The largest buffers a committed batch keeps for the next one
/// ([`Batch::worth_keeping`]): room for a few dozen entries.
const KEEP_TAIL_BYTES: usize = 64 * 1024;
const KEEP_PATCHES: usize = 1024;
/// Patch lists of a committed batch's shadows kept for the next one
/// (a new shadow's list was an allocation, and a restart's batch touches
/// a few dozen old blocks).
const KEEP_LISTS: usize = 64;

/// An old block the batch writes into (see the module docs).
enum Shadow {
    /// The patches recorded into it, in order, applied on each read.
    Pending(Vec<Patch>),
    /// The block as it will read after commit.
    Copied(Vec<u8>),
}

/// One write into an existing object: at most three little-endian u64s
/// (a DATA object's first entry, array and count), kept inline — an entry
/// of 20 fields makes about 40 of them, and a heap buffer each was a
/// quarter of an append's instructions in malloc and free.
#[derive(Clone, Copy, Debug)]
pub(super) struct Patch {
    pub(super) off: u64,
    len: u8,
    bytes: [u8; 24],
}

impl Patch {
    /// `values` as consecutive little-endian u64s at `off` (at most 3).
    pub(super) fn new(off: u64, values: &[u64]) -> Patch {
        let mut bytes = [0u8; 24];
        let n = values.len().min(3);
        for (chunk, v) in bytes.chunks_exact_mut(8).zip(&values[..n]) {
            chunk.copy_from_slice(&v.to_le_bytes());
        }
        Patch {
            off,
            len: (8 * n) as u8,
            bytes,
        }
    }

    pub(super) fn bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// Whether it writes nothing (a superseded count, see `Batch::record`).
    pub(super) fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// The pending writes of an open batch (see the module docs).
pub(super) struct Batch {
    /// The file's append position when the batch began: every byte at or
    /// past it is new in this batch.
    pub(super) base: u64,
    /// The new objects, from `base` on.
    pub(super) tail: Vec<u8>,
    /// Old blocks (index = offset / 4096) the batch writes into.
    shadow: U64Map<Shadow>,
    /// Writes into old objects, in the order the appends issued them.
    pub(super) links: Vec<Patch>,
    /// Count updates of old DATA objects, written after all `links`.
    pub(super) counts: Vec<Patch>,
    /// Where in `counts` the latest write to each offset is. A value
    /// shared by the batch's entries (`_PID=`, `_COMM=` …) has its count
    /// written once per entry; every write but the last is emptied, as the
    /// last one overwrites exactly the same bytes.
    count_at: U64Map<usize>,
    /// Entries appended to the batch so far.
    pub(super) entries: u64,
    /// How far the file is allocated (reads of shadow blocks stop there).
    allocated: u64,
    /// Emptied patch lists of an earlier batch's shadows, for new ones.
    spare_lists: Vec<Vec<Patch>>,
}

/// Which group of writes a link belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Group {
    Links,
    Counts,
}

impl Batch {
    pub(super) fn new(base: u64, allocated: u64) -> Batch {
        Batch {
            base,
            tail: Vec::new(),
            shadow: U64Map::default(),
            links: Vec::new(),
            counts: Vec::new(),
            count_at: U64Map::default(),
            entries: 0,
            allocated,
            spare_lists: Vec::new(),
        }
    }

    /// This batch emptied, to start at `base`, with its buffers kept: a
    /// quiet system commits a few entries at a time (a restart's manager
    /// lines), and growing a fresh batch's vectors and maps for each was
    /// about a tenth of the journal's instructions per restart
    /// (`bench/journald_restart_replay.py`).
    pub(super) fn reuse(mut self, base: u64, allocated: u64) -> Batch {
        self.base = base;
        self.tail.clear();
        for (_, shadow) in self.shadow.drain() {
            if let Shadow::Pending(mut list) = shadow {
                if self.spare_lists.len() < KEEP_LISTS && list.capacity() <= MAX_PENDING {
                    list.clear();
                    self.spare_lists.push(list);
                }
            }
        }
        self.links.clear();
        self.counts.clear();
        self.count_at.clear();
        self.entries = 0;
        self.allocated = allocated;
        self
    }

    /// Whether its buffers are small enough to keep for the next batch
    /// (one of many entries, a flood's, is written once and given back).
    pub(super) fn worth_keeping(&self) -> bool {
        self.tail.capacity() <= KEEP_TAIL_BYTES
            && self.links.capacity() + self.counts.capacity() <= KEEP_PATCHES
            && self.shadow.capacity() <= KEEP_PATCHES
    }

    /// Notes the file's current allocated size.
    pub(super) fn set_allocated(&mut self, allocated: u64) {
        self.allocated = allocated;
    }

    /// Adds an entry's new objects, which start where the batch ends.
    pub(super) fn push_objects(&mut self, off: u64, bytes: &[u8]) -> io::Result<()> {
        if off != self.base + self.tail.len() as u64 {
            return Err(io::Error::other(
                "batched objects are not contiguous with the batch",
            ));
        }
        self.tail.extend_from_slice(bytes);
        Ok(())
    }

    /// Records a write of `bytes` at `off` into an existing object.
    pub(super) fn record(
        &mut self,
        io: &mut BlockCache,
        group: Group,
        patch: Patch,
    ) -> io::Result<()> {
        let (off, bytes) = (patch.off, patch.bytes());
        if off >= self.base {
            let at = (off - self.base) as usize;
            let Some(dst) = self.tail.get_mut(at..at + bytes.len()) else {
                return Err(io::Error::other("batched link past the batch's objects"));
            };
            dst.copy_from_slice(bytes);
            return Ok(());
        }
        let end = off + bytes.len() as u64;
        if end > self.base {
            return Err(io::Error::other("batched link straddles the batch start"));
        }
        if end > self.allocated {
            return Err(io::Error::other("batched link past the end of the file"));
        }
        for index in off / SHADOW_BLOCK..=(end - 1) / SHADOW_BLOCK {
            let spare = &mut self.spare_lists;
            let fresh = || Shadow::Pending(spare.pop().unwrap_or_default());
            match self.shadow.entry(index).or_insert_with(fresh) {
                Shadow::Pending(list) if list.len() < MAX_PENDING => list.push(patch),
                shadow => {
                    if let Shadow::Pending(list) = shadow {
                        let start = index * SHADOW_BLOCK;
                        let len = SHADOW_BLOCK.min(self.allocated.saturating_sub(start)) as usize;
                        let mut block = io.read_vec(start, len)?;
                        for p in list.iter() {
                            apply(p, start, &mut block);
                        }
                        *shadow = Shadow::Copied(block);
                    }
                    if let Shadow::Copied(block) = shadow {
                        apply(&patch, index * SHADOW_BLOCK, block);
                    }
                }
            }
        }
        match group {
            Group::Links => self.links.push(patch),
            Group::Counts => {
                if let Some(&i) = self.count_at.get(&patch.off) {
                    if let Some(old) = self.counts.get_mut(i) {
                        if old.bytes().len() == patch.bytes().len() {
                            *old = Patch::new(patch.off, &[]);
                        }
                    }
                }
                self.count_at.insert(patch.off, self.counts.len());
                self.counts.push(patch);
            }
        }
        Ok(())
    }

    /// Fills `buf` from `off` as the file will read after commit.
    pub(super) fn read(&self, io: &mut BlockCache, off: u64, buf: &mut [u8]) -> io::Result<()> {
        let mut done = 0usize;
        while done < buf.len() {
            let pos = off + done as u64;
            let rest = buf.len() - done;
            if pos >= self.base {
                let at = (pos - self.base) as usize;
                let Some(src) = self.tail.get(at..at + rest) else {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "read past the batch's objects",
                    ));
                };
                buf[done..].copy_from_slice(src);
                return Ok(());
            }
            let index = pos / SHADOW_BLOCK;
            let within = (pos % SHADOW_BLOCK) as usize;
            let block_end = ((index + 1) * SHADOW_BLOCK).min(self.base);
            let n = ((block_end - pos) as usize).min(rest);
            match self.shadow.get(&index) {
                Some(Shadow::Copied(block)) => {
                    let Some(src) = block.get(within..within + n) else {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "read past the end of the file",
                        ));
                    };
                    buf[done..done + n].copy_from_slice(src);
                }
                Some(Shadow::Pending(list)) => {
                    let dst = &mut buf[done..done + n];
                    io.read(pos, dst)?;
                    for p in list {
                        apply(p, pos, dst);
                    }
                }
                None => io.read(pos, &mut buf[done..done + n])?,
            }
            done += n;
        }
        Ok(())
    }
}

/// Writes the part of `patch` that falls in `dst`, which holds the file's
/// bytes from offset `start` on.
fn apply(patch: &Patch, start: u64, dst: &mut [u8]) {
    let end = start + dst.len() as u64;
    let bytes = patch.bytes();
    let from = patch.off.max(start);
    let to = (patch.off + bytes.len() as u64).min(end);
    if from < to {
        dst[(from - start) as usize..(to - start) as usize]
            .copy_from_slice(&bytes[(from - patch.off) as usize..(to - patch.off) as usize]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::FileExt;

    /// Reads through a batch see every patch recorded so far, in order,
    /// whether the block's shadow is still a list or became a copy, and
    /// for patches that straddle two blocks.
    #[test]
    fn reads_see_recorded_patches_before_and_after_the_copy() {
        const LEN: u64 = 3 * SHADOW_BLOCK;
        let file = tempfile::tempfile().unwrap();
        let initial: Vec<u8> = (0..LEN).map(|i| (i % 251) as u8).collect();
        file.write_all_at(&initial, 0).unwrap();
        let mut io = BlockCache::new(file, 8 * SHADOW_BLOCK as usize, SHADOW_BLOCK as usize);
        let mut batch = Batch::new(LEN, LEN);
        let mut model = initial.clone();
        for k in 0..(3 * MAX_PENDING as u64) {
            // Mostly block 0, overlapping earlier patches; every fifth
            // straddles blocks 0 and 1.
            let off = if k % 5 == 0 { SHADOW_BLOCK - 8 } else { 8 * (k % 7) };
            let values = [k, k + 1000];
            let patch = Patch::new(off, &values);
            let group = if k % 2 == 0 { Group::Links } else { Group::Counts };
            batch.record(&mut io, group, patch).unwrap();
            for (i, v) in values.iter().enumerate() {
                let at = off as usize + 8 * i;
                model[at..at + 8].copy_from_slice(&v.to_le_bytes());
            }
            let mut got = vec![0u8; 2 * SHADOW_BLOCK as usize + 16];
            batch.read(&mut io, 0, &mut got).unwrap();
            assert_eq!(got[..], model[..got.len()], "after patch {k}");
            let mut small = [0u8; 24];
            batch.read(&mut io, SHADOW_BLOCK - 12, &mut small).unwrap();
            let at = (SHADOW_BLOCK - 12) as usize;
            assert_eq!(small[..], model[at..at + 24]);
        }
        assert!(matches!(batch.shadow.get(&0), Some(Shadow::Copied(_))));
        assert!(matches!(batch.shadow.get(&1), Some(Shadow::Pending(_))));
        assert!(batch.record(&mut io, Group::Links, Patch::new(LEN - 8, &[1, 2])).is_err());
    }
}
