//! Positional file I/O through a small block cache.
//!
//! systemd maps journal files with `mmap()`. We use `pread()`/`pwrite()`
//! instead, behind [`BlockCache`], for three reasons:
//!
//! - **No SIGBUS.** A mapped file that shrinks underneath us (another
//!   process truncating it) or a write into a sparse region on a full disk
//!   kills the process with SIGBUS; systemd installs a signal handler to
//!   survive that. With positional I/O the same events are ordinary
//!   `io::Error`s (`UnexpectedEof`, `ENOSPC`) that the caller can act on —
//!   rotate, or skip a damaged file.
//! - **No `unsafe`.** A mapping shared with other processes cannot be
//!   soundly exposed as a Rust slice.
//! - **Coherence is free.** `pwrite` goes to the same page cache the real
//!   `journalctl` maps, so readers see our writes as soon as the syscall
//!   returns, in the order we issue them — which is all the crash-ordering
//!   argument in `writer` needs.
//!
//! The cost of this choice is one system call per write, where journald
//! stores into its mapping; an entry's ~20 link updates made the writer
//! bounded by `pwrite`s (BENCHMARKS.md, "Journal"). We close that gap by
//! batching (`writer/batch.rs`: one write per touched region for many
//! entries) rather than by a writable shared mapping, which would bring
//! back everything above — a SIGBUS handler and `unsafe` access to memory
//! other processes can change — for what batching already removes.
//!
//! The cache holds fixed-size blocks (small for the writer's scattered
//! reads, larger for readers that mostly move forward), evicts by CLOCK
//! (second chance, below) when full, and is write-through: [`BlockCache::write`] issues the
//! `pwrite` first and then patches any cached copy, so the cache never
//! holds bytes the file does not. Large reads bypass it.
//!
//! The blocks live in one buffer of `max_bytes` (a slab of slots),
//! allocated on the first miss and freed whole by [`BlockCache::release`].
//! A block each of its own was 64 small allocations for the writer's
//! 256 KiB, interleaved in the heap with the journal daemon's long-lived
//! ones (a thousand streams); freed, they left holes whose pages stay
//! resident. One large buffer is a mapping of its own, returned to the
//! kernel when freed, and its untouched slots cost nothing.
//!
//! Eviction is CLOCK: each slot has a referenced bit, set by every hit;
//! a hand sweeps the slots, clearing set bits and evicting the first slot
//! found clear, so a block survives as long as it is used once per sweep.
//! It used to be a "sampled LRU", the oldest of the first 8 blocks in the
//! hash map's iteration order. That order is fixed by the keys' hashes, so
//! the same few buckets were always the candidates: a block hashed
//! elsewhere was never evicted however stale, and the hot blocks hashed
//! into the candidate buckets evicted each other. The journal process
//! under an Accept=yes load re-read 12 of an entry's ~25 blocks per entry
//! from a 64-block cache (BENCHMARKS.md, session 8).
//!
//! Read-ahead: a cache made with [`BlockCache::with_readahead`] reads one
//! block per miss while misses are random (a reader following a unit's
//! entry array touches objects all over the file: a 4 KiB `pread` for
//! each, as `journalctl` touches 4 KiB pages), and, when a miss lands on
//! the block right after the previous miss's last block (a forward scan),
//! doubles the span it reads in one `pread`, up to the limit given.

use std::collections::HashMap;
use std::fs::File;
use std::hash::{BuildHasherDefault, Hasher};
use std::io;
use std::os::unix::fs::FileExt;

/// A map keyed by file offsets, block numbers or keyed-hash values: keys
/// no outsider chooses, so a few-instruction mix replaces SipHash (which
/// was a tenth of an append's instructions).
pub(crate) type U64Map<V> = HashMap<u64, V, BuildHasherDefault<U64Hasher>>;

/// The hasher of [`U64Map`]: murmur3's 64-bit finaliser of the key.
#[derive(Default)]
pub(crate) struct U64Hasher(u64);

impl Hasher for U64Hasher {
    fn finish(&self) -> u64 {
        let mut x = self.0;
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^= x >> 33;
        x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        x ^ (x >> 33)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = self.0.rotate_left(32) ^ n;
    }
}

/// A cached block: which slot of the slab holds it, and how many of its
/// bytes the file had (short at the end of file).
struct Block {
    slot: u32,
    len: u32,
}

/// What the CLOCK hand sees of one slot of the slab.
#[derive(Clone, Copy)]
struct SlotState {
    /// The block it holds (meaningful while `held`).
    index: u64,
    held: bool,
    /// Used since the hand last passed.
    referenced: bool,
}

/// A file plus a bounded LRU cache of its blocks.
pub(crate) struct BlockCache {
    file: File,
    blocks: U64Map<Block>,
    /// `max_blocks` slots of `block_size` bytes; empty until first used.
    slab: Vec<u8>,
    /// Slots of the slab not holding a block.
    free: Vec<u32>,
    /// Per slot of the slab, for the CLOCK hand; empty with the slab.
    slots: Vec<SlotState>,
    /// The next slot the hand looks at.
    hand: usize,
    max_blocks: usize,
    block_size: u64,
    /// Most blocks one miss may read (1: no read-ahead).
    max_readahead: u64,
    /// Blocks the next sequential miss reads.
    readahead: u64,
    /// The block after the last one the previous miss read.
    next_sequential: u64,
}

impl BlockCache {
    /// Wraps `file`, caching at most `max_bytes` of it in blocks of
    /// `block_size` bytes.
    pub(crate) fn new(file: File, max_bytes: usize, block_size: usize) -> BlockCache {
        let block_size = block_size.max(512);
        BlockCache {
            file,
            blocks: U64Map::default(),
            slab: Vec::new(),
            free: Vec::new(),
            slots: Vec::new(),
            hand: 0,
            max_blocks: (max_bytes / block_size).max(2),
            block_size: block_size as u64,
            max_readahead: 1,
            readahead: 1,
            next_sequential: u64::MAX,
        }
    }

    /// Like [`new`](Self::new), reading up to `max_blocks` blocks per miss
    /// during forward scans (see the module docs).
    pub(crate) fn with_readahead(
        file: File,
        max_bytes: usize,
        block_size: usize,
        max_blocks: usize,
    ) -> BlockCache {
        let mut cache = BlockCache::new(file, max_bytes, block_size);
        cache.max_readahead = (max_blocks as u64).clamp(1, cache.max_blocks as u64 / 2 + 1);
        cache
    }

    pub(crate) fn file(&self) -> &File {
        &self.file
    }

    /// Forgets everything cached (another process may have written).
    pub(crate) fn invalidate(&mut self) {
        self.blocks.clear();
        self.free.clear();
        for slot in &mut self.slots {
            slot.held = false;
        }
        if !self.slab.is_empty() {
            self.free.extend((0..self.max_blocks as u32).rev());
        }
    }

    /// Forgets everything cached and frees the slab (an idle writer, see
    /// `JournalWriter::release_caches`). Safe at any time: the cache is
    /// write-through, so every block is read again from the file when
    /// next needed.
    pub(crate) fn release(&mut self) {
        self.blocks = U64Map::default();
        self.slab = Vec::new();
        self.free = Vec::new();
        self.slots = Vec::new();
        self.hand = 0;
    }

    /// Caches `data` (at most a block) as block `index`, evicting one
    /// block first when full.
    fn insert(&mut self, index: u64, data: &[u8]) {
        self.evict_one();
        if self.slab.is_empty() {
            let bs = self.block_size as usize;
            // Zeroed: fresh pages from the kernel, touched only as used.
            self.slab = vec![0; self.max_blocks * bs];
            self.free = (0..self.max_blocks as u32).rev().collect();
            self.slots = vec![
                SlotState {
                    index: 0,
                    held: false,
                    referenced: false,
                };
                self.max_blocks
            ];
            self.hand = 0;
        }
        let Some(slot) = self.free.pop() else { return };
        let start = slot as usize * self.block_size as usize;
        let len = data.len().min(self.block_size as usize);
        self.slab[start..start + len].copy_from_slice(&data[..len]);
        self.blocks.insert(
            index,
            Block {
                slot,
                len: len as u32,
            },
        );
        // Not referenced: a block used once (a read-ahead block never
        // used, an object looked at once) goes at the hand's next pass.
        self.slots[slot as usize] = SlotState {
            index,
            held: true,
            referenced: false,
        };
    }

    /// Fills `buf` from offset `off`; reading past end of file is an
    /// `UnexpectedEof` error.
    pub(crate) fn read(&mut self, off: u64, buf: &mut [u8]) -> io::Result<()> {
        // Reads spanning several blocks gain nothing from the cache.
        if buf.len() as u64 >= 4 * self.block_size {
            return self.file.read_exact_at(buf, off);
        }
        let mut done = 0usize;
        while done < buf.len() {
            let pos = off
                .checked_add(done as u64)
                .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "offset overflow"))?;
            let index = pos / self.block_size;
            let within = (pos % self.block_size) as usize;
            let block = self.block(index)?;
            let available = block.len().saturating_sub(within);
            if available == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "read past end of file",
                ));
            }
            let n = available.min(buf.len() - done);
            buf[done..done + n].copy_from_slice(&block[within..within + n]);
            done += n;
        }
        Ok(())
    }

    /// Reads `len` bytes at `off` into a fresh vector.
    pub(crate) fn read_vec(&mut self, off: u64, len: usize) -> io::Result<Vec<u8>> {
        let mut v = vec![0u8; len];
        self.read(off, &mut v)?;
        Ok(v)
    }

    /// Writes through to the file, then updates cached copies.
    pub(crate) fn write(&mut self, off: u64, data: &[u8]) -> io::Result<()> {
        self.file.write_all_at(data, off)?;
        let end = off + data.len() as u64;
        let first = off / self.block_size;
        let last = end.saturating_sub(1) / self.block_size;
        for index in first..=last {
            let block_start = index * self.block_size;
            if !self.blocks.contains_key(&index)
                && block_start >= off
                && block_start + self.block_size <= end
            {
                // A block this write covers whole (a batch of new objects,
                // which the next appends read back) is cached as written.
                let from = (block_start - off) as usize;
                self.insert(index, &data[from..from + self.block_size as usize]);
                continue;
            }
            let Some(block) = self.blocks.get_mut(&index) else {
                continue;
            };
            let from = off.max(block_start);
            let to = end.min(block_start + self.block_size);
            let src = &data[(from - off) as usize..(to - off) as usize];
            let dst_from = (from - block_start) as usize;
            let dst_to = (to - block_start) as usize;
            let base = block.slot as usize * self.block_size as usize;
            let old_len = block.len as usize;
            if old_len < dst_to {
                // The block was cached when the file was shorter; holes
                // between its old end and this write read as zeros (the
                // slot may hold an evicted block's bytes there).
                block.len = dst_to as u32;
                if old_len < dst_from {
                    self.slab[base + old_len..base + dst_from].fill(0);
                }
            }
            self.slab[base + dst_from..base + dst_to].copy_from_slice(src);
        }
        Ok(())
    }

    /// Drops cached blocks shorter than a full block, which the file may
    /// have outgrown (after `set_len`/`fallocate`).
    pub(crate) fn forget_partial_blocks(&mut self) {
        let full = self.block_size as usize;
        let free = &mut self.free;
        let slots = &mut self.slots;
        self.blocks.retain(|_, b| {
            let keep = b.len as usize == full;
            if !keep {
                free.push(b.slot);
                slots[b.slot as usize].held = false;
            }
            keep
        });
    }

    fn block(&mut self, index: u64) -> io::Result<&[u8]> {
        let hit = self.blocks.contains_key(&index);
        if hit {
            // A scan passing over a block it already has stays a scan.
            if index == self.next_sequential {
                self.next_sequential = index + 1;
            }
        } else {
            let span = if index == self.next_sequential {
                let span = self.readahead;
                self.readahead = (self.readahead * 2).min(self.max_readahead);
                span
            } else {
                self.readahead = 2.min(self.max_readahead);
                1
            };
            let data = self.read_blocks(index, span)?;
            let block_size = self.block_size as usize;
            let n = data.len().div_ceil(block_size).max(1) as u64;
            self.next_sequential = index + n;
            let chunks: Vec<&[u8]> = data
                .chunks(block_size)
                .chain(std::iter::once(&[][..]))
                .take(n as usize)
                .collect();
            // The wanted block goes in last, so that making room for the
            // others cannot evict it.
            for (i, chunk) in chunks.into_iter().enumerate().rev() {
                let k = index + i as u64;
                if k != index && self.blocks.contains_key(&k) {
                    continue;
                }
                self.insert(k, chunk);
            }
        }
        match self.blocks.get_mut(&index) {
            Some(block) => {
                // Only a second use marks it: the read that brought it in
                // says nothing about whether it will be used again.
                if hit {
                    self.slots[block.slot as usize].referenced = true;
                }
                let start = block.slot as usize * self.block_size as usize;
                Ok(&self.slab[start..start + block.len as usize])
            }
            None => Err(io::Error::other(
                "block cache lost a block it just inserted",
            )),
        }
    }

    /// Makes room for one block when the cache is full.
    fn evict_one(&mut self) {
        if self.blocks.len() < self.max_blocks {
            return;
        }
        // CLOCK: at most two sweeps (the first may only clear bits).
        let n = self.slots.len();
        for _ in 0..2 * n {
            let at = self.hand;
            self.hand = (self.hand + 1) % n;
            let slot = &mut self.slots[at];
            if !slot.held {
                continue;
            }
            if slot.referenced {
                slot.referenced = false;
                continue;
            }
            slot.held = false;
            let index = slot.index;
            if let Some(b) = self.blocks.remove(&index) {
                self.free.push(b.slot);
            }
            return;
        }
    }

    /// Reads `count` blocks from block `index` on, short at end of file.
    fn read_blocks(&self, index: u64, count: u64) -> io::Result<Vec<u8>> {
        let mut data = vec![0u8; (self.block_size * count) as usize];
        let mut filled = 0usize;
        let start = index * self.block_size;
        while filled < data.len() {
            match self
                .file
                .read_at(&mut data[filled..], start + filled as u64)
            {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        data.truncate(filled);
        Ok(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BLOCK: u64 = 4096;

    #[test]
    fn write_through_and_read_back_across_blocks() {
        let file = tempfile::tempfile().unwrap();
        file.set_len(3 * BLOCK).unwrap();
        let mut cache = BlockCache::new(file, 2 * BLOCK as usize, BLOCK as usize);
        let mut probe = [0u8; 4];
        cache.read(BLOCK - 2, &mut probe).unwrap();
        assert_eq!(probe, [0; 4]);
        cache.write(BLOCK - 2, &[1, 2, 3, 4]).unwrap();
        cache.read(BLOCK - 2, &mut probe).unwrap();
        assert_eq!(probe, [1, 2, 3, 4]);
        // Evict everything and read from disk again.
        cache.invalidate();
        cache.read(BLOCK - 2, &mut probe).unwrap();
        assert_eq!(probe, [1, 2, 3, 4]);
        assert!(cache.read(3 * BLOCK - 1, &mut probe).is_err());
    }

    #[test]
    fn slots_are_reused_and_release_frees_the_slab() {
        let file = tempfile::tempfile().unwrap();
        let bytes: Vec<u8> = (0..10 * BLOCK).map(|i| (i / BLOCK) as u8).collect();
        file.write_all_at(&bytes[..(9 * BLOCK + 100) as usize], 0).unwrap();
        let mut cache = BlockCache::new(file, 3 * BLOCK as usize, BLOCK as usize);
        let mut one = [0u8; 1];
        // More blocks than slots: every read sees its own block's bytes.
        for round in 0..2 {
            for b in 0..9 {
                cache.read(b * BLOCK + round, &mut one).unwrap();
                assert_eq!(one, [b as u8]);
                assert!(cache.blocks.len() <= 3);
                assert_eq!(cache.blocks.len() + cache.free.len(), 3);
            }
        }
        // A short last block, extended by a write past its old end into
        // a slot that held other bytes: the gap reads as zeros.
        cache.read(9 * BLOCK, &mut one).unwrap();
        cache.write(9 * BLOCK + 200, &[7]).unwrap();
        let mut gap = [1u8; 101];
        cache.read(9 * BLOCK + 100, &mut gap).unwrap();
        assert!(gap[..100].iter().all(|&b| b == 0));
        assert_eq!(gap[100], 7);
        cache.release();
        assert!(cache.slab.is_empty() && cache.blocks.is_empty() && cache.free.is_empty());
        // Usable afterwards, writes included.
        cache.write(BLOCK, &[42]).unwrap();
        cache.read(BLOCK, &mut one).unwrap();
        assert_eq!(one, [42]);
        cache.read(5 * BLOCK, &mut one).unwrap();
        assert_eq!(one, [5]);
        cache.invalidate();
        assert_eq!(cache.free.len(), 3);
        cache.read(9 * BLOCK + 200, &mut one).unwrap();
        assert_eq!(one, [7]);
    }

    #[test]
    fn blocks_used_every_round_stay_cached_and_stale_ones_go() {
        // The writer's pattern: a few hot blocks touched for every entry,
        // and a stream of blocks touched once (new tails, old arrays).
        let file = tempfile::tempfile().unwrap();
        file.set_len(400 * BLOCK).unwrap();
        let mut cache = BlockCache::new(file, 16 * BLOCK as usize, BLOCK as usize);
        let mut one = [0u8; 1];
        let hot = [3u64, 70, 150, 151, 152, 300, 301, 390];
        for &b in &hot {
            cache.read(b * BLOCK, &mut one).unwrap();
        }
        for round in 0..200u64 {
            for &b in &hot {
                assert!(cache.blocks.contains_key(&b), "hot block {b} evicted in round {round}");
                cache.read(b * BLOCK, &mut one).unwrap();
            }
            // Two cold blocks per round, never seen again.
            for k in 0..2 {
                cache.read((10 + (2 * round + k) % 50) * BLOCK, &mut one).unwrap();
            }
            assert!(cache.blocks.len() <= 16);
            assert_eq!(cache.blocks.len() + cache.free.len(), 16);
        }
    }

    #[test]
    fn readahead_grows_on_forward_scans_only() {
        let file = tempfile::tempfile().unwrap();
        let bytes: Vec<u8> = (0..40 * BLOCK).map(|i| (i / BLOCK) as u8).collect();
        file.write_all_at(&bytes, 0).unwrap();
        let mut cache = BlockCache::with_readahead(file, 64 * BLOCK as usize, BLOCK as usize, 8);
        let mut one = [0u8; 1];
        // Random: one block per miss.
        cache.read(20 * BLOCK, &mut one).unwrap();
        cache.read(5 * BLOCK, &mut one).unwrap();
        assert_eq!(cache.blocks.len(), 2);
        // Forward from block 5: 2, 4, 8 blocks per miss (6..20), block 20
        // cached already, then 8 and 8 (21..37).
        for b in 6..30 {
            cache.read(b * BLOCK + 7, &mut one).unwrap();
            assert_eq!(one[0], b as u8);
        }
        assert_eq!(cache.next_sequential, 37);
        assert_eq!(cache.blocks.len(), 32);
        // Every block read ahead holds the right bytes, to the end of file.
        for b in (0..40).rev() {
            cache.read(b * BLOCK + 100, &mut one).unwrap();
            assert_eq!(one[0], b as u8);
        }
        assert!(cache.read(40 * BLOCK, &mut one).is_err());
    }
}
