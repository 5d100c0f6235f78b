//! The writer's in-memory index of its own file.
//!
//! Every append looks up each `NAME=value` in the DATA hash table and, for
//! values already present, finds the tail of that DATA object's entry-array
//! chain. Reading those from the file for every field of every entry costs
//! a random read into a multi-megabyte hash table plus a walk over
//! O(log n) arrays. Since the writer is the file's only writer, it can keep
//! what it learns:
//!
//! - mirrors of both hash tables' buckets (exact, updated after every
//!   append), see [`Mirror`];
//! - a bounded cache of per-DATA state (hash, next in chain, payload
//!   length, entry count, chain tail), and of FIELD objects by name. When
//!   a cache is full it is simply emptied: everything in it can be read
//!   back from the file, which stays the source of truth.
//!
//! Payloads are still compared byte for byte before a DATA object is
//! reused; only the metadata is cached.

use std::collections::HashMap;

use super::append::Backlink;
use super::{advance, ArrayTail, JournalWriter};
use crate::error::{Error, Result};
use crate::io::U64Map;
use crate::format::{
    self, DataHeader, FieldHeader, ObjectHeader, ObjectType, DATA_PAYLOAD_OFFSET,
    ENTRY_ARRAY_ITEMS_OFFSET, FIELD_PAYLOAD_OFFSET,
};

/// Cached DATA objects before the cache is emptied.
const MAX_CACHED_DATA: usize = 1 << 16;
/// Cached FIELD objects before the cache is emptied.
const MAX_CACHED_FIELDS: usize = 4096;

/// What the writer knows about one DATA object.
#[derive(Clone, Copy, Debug)]
pub(super) struct DataMeta {
    pub(super) hash: u64,
    pub(super) next_hash: u64,
    pub(super) payload_len: u64,
    pub(super) n_entries: u64,
    pub(super) entry_array_offset: u64,
    /// Tail of its entry-array chain: `None` while unknown (read from the
    /// file on demand), `Some(None)` when it has no arrays.
    pub(super) tail: Option<Option<ArrayTail>>,
}

/// A FIELD object: where it is and the head of its DATA list.
#[derive(Clone, Copy, Debug)]
pub(super) struct FieldMeta {
    pub(super) offset: u64,
    pub(super) head: u64,
}

/// A mirror of one hash table: (head, tail) offsets per bucket, 0 for none.
///
/// The data hash table is sized for a full file (233 016 buckets for
/// 128 MiB, 3.6 MiB of disk), and hashes scatter the few thousand values of
/// a quiet system over all of its pages, so a dense copy is resident in
/// full from the first minutes on. The writer only ever creates files, so
/// every bucket starts empty, and a map of the used buckets is exact; it
/// turns into a dense array once an eighth of the buckets are in use, at
/// which point the map would cost about as much. Offsets are stored in 32
/// bits: a file never exceeds [`super::MAX_FILE_SIZE_LIMIT`] < 4 GiB.
///
/// **Packed**: a hash map is fast to update but a third empty at best and
/// 16 bytes an entry (8 of them the key): after a 1000-unit boot the
/// sparse data mirror held ~5000 buckets in a 140 KiB table, the largest
/// single block of an idle journal process. When the writer goes idle
/// ([`Mirror::pack`], from [`super::JournalWriter::release_caches`]) the
/// used buckets become one sorted slice of (bucket, head, tail), 12 bytes
/// each, looked up by binary search; the first update after that turns it
/// back into a map (one pass over a few thousand entries per burst).
pub(super) enum Mirror {
    Sparse {
        buckets: u64,
        used: U64Map<(u32, u32)>,
    },
    Packed {
        buckets: u64,
        /// (bucket, head, tail), sorted by bucket, no duplicates.
        sorted: Box<[(u32, u32, u32)]>,
    },
    Dense(Vec<(u32, u32)>),
}

/// Below this many buckets a mirror is dense from the start.
const DENSE_FROM_START: u64 = 4096;

impl Mirror {
    pub(super) fn new(buckets: u64) -> Mirror {
        if buckets <= DENSE_FROM_START {
            Mirror::Dense(vec![(0, 0); buckets as usize])
        } else {
            Mirror::Sparse {
                buckets,
                used: U64Map::default(),
            }
        }
    }

    /// Number of buckets of the table mirrored.
    pub(super) fn buckets(&self) -> u64 {
        match self {
            Mirror::Sparse { buckets, .. } | Mirror::Packed { buckets, .. } => *buckets,
            Mirror::Dense(v) => v.len() as u64,
        }
    }

    /// (head, tail) of `bucket`.
    pub(super) fn get(&self, bucket: u64) -> (u64, u64) {
        let (head, tail) = match self {
            Mirror::Sparse { used, .. } => used.get(&bucket).copied().unwrap_or((0, 0)),
            Mirror::Packed { sorted, .. } => u32::try_from(bucket)
                .ok()
                .and_then(|b| sorted.binary_search_by_key(&b, |e| e.0).ok())
                .and_then(|i| sorted.get(i))
                .map_or((0, 0), |e| (e.1, e.2)),
            Mirror::Dense(v) => v.get(bucket as usize).copied().unwrap_or((0, 0)),
        };
        (u64::from(head), u64::from(tail))
    }

    pub(super) fn set(&mut self, bucket: u64, (head, tail): (u64, u64)) {
        // Offsets are below MAX_FILE_SIZE_LIMIT (create clamps the size).
        let state = (
            u32::try_from(head).unwrap_or(u32::MAX),
            u32::try_from(tail).unwrap_or(u32::MAX),
        );
        if let Mirror::Packed { buckets, sorted } = self {
            let mut used = U64Map::default();
            used.reserve(sorted.len() + 1);
            used.extend(sorted.iter().map(|&(b, h, t)| (u64::from(b), (h, t))));
            *self = Mirror::Sparse {
                buckets: *buckets,
                used,
            };
        }
        match self {
            Mirror::Sparse { buckets, used } => {
                used.insert(bucket, state);
                if used.len() as u64 >= *buckets / 8 {
                    let mut dense = vec![(0, 0); *buckets as usize];
                    for (b, s) in used.drain() {
                        dense[b as usize] = s;
                    }
                    *self = Mirror::Dense(dense);
                }
            }
            // Unpacked above.
            Mirror::Packed { .. } => {}
            Mirror::Dense(v) => {
                if let Some(slot) = v.get_mut(bucket as usize) {
                    *slot = state;
                }
            }
        }
    }

    /// The idle form of a sparse mirror (see the type's docs). A dense one
    /// stays as it is: past an eighth of the buckets, 8 bytes a bucket is
    /// already the smaller form. Buckets are below 2^32 (the table of the
    /// largest file has fewer); if one were not, the map is kept.
    pub(super) fn pack(&mut self) {
        let Mirror::Sparse { buckets, used } = self else {
            return;
        };
        let packed: Option<Vec<(u32, u32, u32)>> = used
            .iter()
            .map(|(&b, &(h, t))| u32::try_from(b).ok().map(|b| (b, h, t)))
            .collect();
        let Some(mut packed) = packed else {
            return;
        };
        packed.sort_unstable_by_key(|e| e.0);
        *self = Mirror::Packed {
            buckets: *buckets,
            sorted: packed.into_boxed_slice(),
        };
    }
}

/// Hash table mirrors and metadata caches.
pub(super) struct Index {
    pub(super) data_buckets: Mirror,
    pub(super) field_buckets: Mirror,
    data: U64Map<DataMeta>,
    fields: HashMap<Vec<u8>, FieldMeta>,
}

impl Index {
    /// An index for a new, empty file.
    pub(super) fn new(data_buckets: u64, field_buckets: u64) -> Index {
        Index {
            data_buckets: Mirror::new(data_buckets),
            field_buckets: Mirror::new(field_buckets),
            data: U64Map::default(),
            fields: HashMap::new(),
        }
    }

    pub(super) fn remember_data(&mut self, offset: u64, meta: DataMeta) {
        if self.data.len() >= MAX_CACHED_DATA && !self.data.contains_key(&offset) {
            self.data.clear();
        }
        self.data.insert(offset, meta);
    }

    /// Applies `f` to a cached DATA object (uncached ones are read afresh
    /// when next needed, so nothing is lost).
    pub(super) fn update_data(&mut self, offset: u64, f: impl FnOnce(&mut DataMeta)) {
        if let Some(meta) = self.data.get_mut(&offset) {
            f(meta);
        }
    }

    /// Keeps the metadata of the `keep` DATA objects with the most
    /// entries — the values every entry repeats (`_BOOT_ID=`,
    /// `_HOSTNAME=`, `_TRANSPORT=` …), whose entry-array tails are the
    /// costly part to find again — and gives the rest of the table back.
    /// A boot leaves thousands of values logged once or twice (one
    /// `UNIT=`, `MESSAGE=` and invocation id per unit) in an 8192-bucket
    /// table of 650 KiB that a quiet journal never reads again. Safe:
    /// everything dropped is read back from the file when next needed
    /// ([`JournalWriter::data_meta`]), as after the cache is emptied.
    pub(super) fn shrink_data(&mut self, keep: usize) {
        if self.data.len() > keep {
            let mut hot: Vec<(u64, DataMeta)> = self.data.drain().collect();
            if keep > 0 {
                hot.select_nth_unstable_by_key(keep - 1, |(_, m)| std::cmp::Reverse(m.n_entries));
            }
            hot.truncate(keep);
            self.data = hot.into_iter().collect();
        }
        self.data.shrink_to_fit();
        self.fields.shrink_to_fit();
        self.data_buckets.pack();
        self.field_buckets.pack();
    }

    /// The FIELD object called `name`, if cached.
    pub(super) fn field(&self, name: &[u8]) -> Option<FieldMeta> {
        self.fields.get(name).copied()
    }

    pub(super) fn remember_field(&mut self, name: &[u8], meta: FieldMeta) {
        // Most appends update a field already known (a new value of
        // MESSAGE=): no key to copy.
        if let Some(known) = self.fields.get_mut(name) {
            *known = meta;
            return;
        }
        if self.fields.len() >= MAX_CACHED_FIELDS && !self.fields.contains_key(name) {
            self.fields.clear();
        }
        self.fields.insert(name.to_vec(), meta);
    }
}

impl JournalWriter {
    /// The metadata of the DATA object at `offset`, from the cache or the file.
    pub(super) fn data_meta(&mut self, offset: u64) -> Result<DataMeta> {
        if let Some(meta) = self.index.data.get(&offset) {
            return Ok(*meta);
        }
        let buf = self.read(offset, DATA_PAYLOAD_OFFSET as usize)?;
        let dh = DataHeader::decode(&buf)
            .filter(|d| buf[0] == ObjectType::Data as u8 && d.size >= DATA_PAYLOAD_OFFSET)
            .ok_or_else(|| {
                Error::corrupt(&self.path, offset, "expected a data object in hash chain")
            })?;
        let meta = DataMeta {
            hash: dh.hash,
            next_hash: dh.next_hash_offset,
            payload_len: dh.size - DATA_PAYLOAD_OFFSET,
            n_entries: dh.n_entries,
            entry_array_offset: dh.entry_array_offset,
            tail: if dh.n_entries <= 1 && dh.entry_array_offset == 0 {
                Some(None)
            } else {
                None
            },
        };
        self.index.remember_data(offset, meta);
        Ok(meta)
    }

    /// Finds a DATA object by payload. Returns it (if any) and the chain
    /// depth walked, for the header's `data_hash_chain_depth`.
    pub(super) fn find_data(
        &mut self,
        hash: u64,
        payload: &[u8],
    ) -> Result<(Option<(u64, DataMeta)>, u64)> {
        let buckets = self.index.data_buckets.buckets();
        let mut p = self.index.data_buckets.get(hash % buckets).0;
        let mut depth = 0;
        while p != 0 {
            let meta = self.data_meta(p)?;
            if meta.hash == hash
                && meta.payload_len == payload.len() as u64
                && self.bytes_equal(p + DATA_PAYLOAD_OFFSET, payload)?
            {
                return Ok((Some((p, meta)), depth));
            }
            if meta.next_hash != 0 && meta.next_hash <= p {
                return Err(Error::corrupt(&self.path, p, "data hash chain loops"));
            }
            p = meta.next_hash;
            depth += 1;
        }
        Ok((None, depth))
    }

    /// Finds a FIELD object by name, with the chain depth walked.
    pub(super) fn find_field(
        &mut self,
        hash: u64,
        name: &[u8],
    ) -> Result<(Option<FieldMeta>, u64)> {
        if let Some(meta) = self.index.fields.get(name) {
            return Ok((Some(*meta), 0));
        }
        let buckets = self.index.field_buckets.buckets();
        let mut p = self.index.field_buckets.get(hash % buckets).0;
        let mut depth = 0;
        while p != 0 {
            let buf = self.read(p, FIELD_PAYLOAD_OFFSET as usize)?;
            let fh = FieldHeader::decode(&buf)
                .filter(|f| buf[0] == ObjectType::Field as u8 && f.size >= FIELD_PAYLOAD_OFFSET)
                .ok_or_else(|| {
                    Error::corrupt(&self.path, p, "expected a field object in hash chain")
                })?;
            if fh.hash == hash
                && fh.size - FIELD_PAYLOAD_OFFSET == name.len() as u64
                && self.bytes_equal(p + FIELD_PAYLOAD_OFFSET, name)?
            {
                let meta = FieldMeta {
                    offset: p,
                    head: fh.head_data_offset,
                };
                self.index.remember_field(name, meta);
                return Ok((Some(meta), depth));
            }
            if fh.next_hash_offset != 0 && fh.next_hash_offset <= p {
                return Err(Error::corrupt(&self.path, p, "field hash chain loops"));
            }
            p = fh.next_hash_offset;
            depth += 1;
        }
        Ok((None, depth))
    }

    /// Decides where the next entry of an existing DATA object goes,
    /// reserving space at `pos` for a new array if its chain is full.
    /// Returns the back-link and the chain's tail afterwards.
    pub(super) fn data_backlink(
        &mut self,
        data_offset: u64,
        meta: &DataMeta,
        pos: &mut u64,
    ) -> Result<(Backlink, Option<ArrayTail>)> {
        if meta.n_entries == 0 {
            return Ok((Backlink::First, None));
        }
        let tail = match meta.tail {
            Some(tail) => tail,
            None => self.walk_chain(data_offset, meta)?,
        };
        match tail {
            Some(t) if t.used < t.capacity => Ok((
                Backlink::Slot {
                    array: t.offset,
                    index: t.used,
                },
                Some(ArrayTail {
                    used: t.used + 1,
                    ..t
                }),
            )),
            _ => {
                let capacity = tail.map_or(4, |t| (t.capacity * 2).max(4));
                let offset = *pos;
                *pos = advance(&self.path, *pos, ENTRY_ARRAY_ITEMS_OFFSET + 8 * capacity)?;
                Ok((
                    Backlink::NewArray {
                        prev: tail.map(|t| t.offset),
                        offset,
                        capacity,
                    },
                    Some(ArrayTail {
                        offset,
                        capacity,
                        used: 1,
                    }),
                ))
            }
        }
    }

    /// Reads a DATA object's entry-array chain to find its tail.
    fn walk_chain(&mut self, data_offset: u64, meta: &DataMeta) -> Result<Option<ArrayTail>> {
        let mut remaining = meta.n_entries.saturating_sub(1);
        let mut array = meta.entry_array_offset;
        let mut tail = None;
        while array != 0 {
            if tail.is_some_and(|t: ArrayTail| array <= t.offset) {
                return Err(Error::corrupt(
                    &self.path,
                    data_offset,
                    "entry array chain loops",
                ));
            }
            let buf = self.read(array, ENTRY_ARRAY_ITEMS_OFFSET as usize)?;
            let oh = ObjectHeader::decode(&buf)
                .filter(|h| {
                    h.object_type == ObjectType::EntryArray as u8
                        && h.size > ENTRY_ARRAY_ITEMS_OFFSET
                })
                .ok_or_else(|| Error::corrupt(&self.path, array, "expected an entry array"))?;
            let capacity = (oh.size - ENTRY_ARRAY_ITEMS_OFFSET) / 8;
            let used = remaining.min(capacity);
            remaining -= used;
            tail = Some(ArrayTail {
                offset: array,
                capacity,
                used,
            });
            if remaining == 0 {
                break;
            }
            array = format::le64(&buf, 16);
        }
        if remaining != 0 {
            return Err(Error::corrupt(
                &self.path,
                data_offset,
                "entry array chain shorter than n_entries",
            ));
        }
        Ok(tail)
    }
}

#[cfg(test)]
mod tests {
    use super::Mirror;

    #[test]
    fn mirror_turns_dense_at_an_eighth_and_keeps_every_bucket() {
        let n = 80_000u64;
        let mut m = Mirror::new(n);
        assert!(matches!(m, Mirror::Sparse { .. }));
        // Scattered buckets, as hashes place them.
        let bucket = |i: u64| (i * 7919) % n;
        for i in 0..n / 8 - 1 {
            m.set(bucket(i), (8 * i + 8, 8 * i + 16));
        }
        assert!(matches!(m, Mirror::Sparse { .. }));
        assert_eq!(m.get(bucket(n / 8)), (0, 0));
        m.set(bucket(n / 8 - 1), (1 << 31, (1 << 32) - 8));
        assert!(matches!(m, Mirror::Dense(ref v) if v.len() as u64 == n));
        for i in 0..n / 8 - 1 {
            assert_eq!(m.get(bucket(i)), (8 * i + 8, 8 * i + 16));
        }
        assert_eq!(m.get(bucket(n / 8 - 1)), (1 << 31, (1 << 32) - 8));
        assert_eq!(m.get(bucket(n / 8)), (0, 0));
        assert_eq!(m.buckets(), n);
        assert!(matches!(Mirror::new(333), Mirror::Dense(ref v) if v.len() == 333));
    }

    /// Packed, a mirror answers as before; an update unpacks it and is
    /// seen along with every older bucket.
    #[test]
    fn a_packed_mirror_keeps_every_bucket() {
        let n = 233_016u64;
        let mut m = Mirror::new(n);
        let bucket = |i: u64| (i * 104_729) % n;
        for i in 0..5000 {
            m.set(bucket(i), (8 * i + 8, 8 * i + 16));
        }
        m.pack();
        assert!(matches!(m, Mirror::Packed { ref sorted, .. } if sorted.len() == 5000));
        assert_eq!(m.buckets(), n);
        for i in 0..5000 {
            assert_eq!(m.get(bucket(i)), (8 * i + 8, 8 * i + 16));
        }
        assert_eq!(m.get(bucket(5000)), (0, 0));
        // The first bucket, and one no u32 names.
        assert_eq!(m.get(0), (8, 16));
        assert_eq!(m.get(u64::from(u32::MAX) + 1), (0, 0));
        m.set(bucket(5000), (1 << 31, (1 << 32) - 8));
        m.set(bucket(7), (9, 10));
        assert!(matches!(m, Mirror::Sparse { .. }));
        assert_eq!(m.get(bucket(5000)), (1 << 31, (1 << 32) - 8));
        assert_eq!(m.get(bucket(7)), (9, 10));
        assert_eq!(m.get(bucket(6)), (56, 64));
        // Packing again, and a dense mirror is left as it is.
        m.pack();
        assert_eq!(m.get(bucket(4999)), (8 * 4999 + 8, 8 * 4999 + 16));
        let mut d = Mirror::new(100);
        d.set(3, (8, 16));
        d.pack();
        assert!(matches!(d, Mirror::Dense(_)));
        assert_eq!(d.get(3), (8, 16));
    }
}
