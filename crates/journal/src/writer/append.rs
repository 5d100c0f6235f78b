//! Appending one entry: plan, then write in crash-safe order.
//!
//! An append runs in two phases.
//!
//! **Plan (reads only).** For every `NAME=value` of the entry: hash it
//! (SipHash keyed by the file id), look it up through the DATA hash table,
//! and dedupe it within the entry. For every payload not yet in the file,
//! look up its FIELD object the same way. Then lay out, from the current
//! end of the file, every object the append will add — new DATA (each
//! followed by its FIELD when that is new too, as systemd orders them), the
//! ENTRY with its items sorted by offset, and any ENTRY_ARRAY that a full
//! chain needs — and decide each back-link: a DATA object's first entry
//! goes in its `entry_offset`; later ones go into its chain of entry
//! arrays, each array double the size of the one before (at least 4
//! slots). If the result would pass `max_file_size`, nothing has been
//! written and the append fails with [`Error::Full`].
//!
//! **Write (in this order).**
//! 1. All new objects in one `pwrite` past the tail object. They are
//!    complete (links among themselves included) before anything old points
//!    at them, and nothing counts them yet.
//! 2. Links from old objects to new ones: hash-bucket heads/tails and the
//!    previous chain tail's `next_hash_offset`; field lists; each existing
//!    DATA object's back-link (array slot or new array); the global entry
//!    array slot or the previous array's `next` pointer. Then, after all
//!    of them, the existing DATA objects' `n_entries`, so a count never
//!    covers an unwritten slot. Within each of these two groups, writes a
//!    few hundred bytes apart are merged into one (`write_coalesced`).
//! 3. The header, in one `pwrite`: `n_entries`, `tail_object_offset`,
//!    `n_objects` and the other counters, tail seqnum/timestamps.
//!
//! A reader lists entries from the header's `n_entries` and the global
//! array, so an entry becomes visible only at step 3, and then fully
//! linked. A `kill -9` anywhere before leaves the previous state plus some
//! links into complete, not-yet-counted objects; those are harmless to
//! `journalctl` (it may show the complete new entry through a field match)
//! and invisible to plain listing. Compared with systemd, which bumps the
//! counters as each object is appended, this keeps every file between
//! appends consistent enough for `journalctl --verify`.

use crate::io::U64Map;

use super::batch::{Group, Patch};
use super::hot::Known;
use super::index::{DataMeta, FieldMeta};
use super::{advance, ArrayTail, EntryFields, JournalWriter};
use crate::error::{Error, Result};
use crate::format::{
    self, object_offset as oo, ObjectType, DATA_PAYLOAD_OFFSET, ENTRY_ARRAY_ITEMS_OFFSET,
    ENTRY_ITEMS_OFFSET, FIELD_PAYLOAD_OFFSET, HASH_ITEM_SIZE, TIMESTAMP_LIMIT,
};
use crate::hash::{jenkins_hash64, siphash24};

/// How an entry gets recorded in a DATA object's (or the file's) list.
#[derive(Clone, Copy, Debug)]
pub(super) enum Backlink {
    /// The DATA object has no entries yet: store in `entry_offset`.
    First,
    /// Write into slot `index` of the existing array at `array`.
    Slot { array: u64, index: u64 },
    /// Append a new array (planned at `offset`, `capacity` slots), linked
    /// from `prev`'s next pointer, or from the list head when `None`.
    NewArray {
        prev: Option<u64>,
        offset: u64,
        capacity: u64,
    },
}

/// Entries with more fields than this dedupe through a hash map; smaller
/// ones compare each new field's hash with the fields kept so far (no
/// allocation: the map and a vector per hash were a dozen of an append's
/// ~40 allocations).
const DEDUPE_SCAN_MAX: usize = 64;

/// One unique DATA payload of the entry.
#[derive(Clone, Copy)]
struct Item {
    /// Where its `NAME=value` is in `Plan::payloads`.
    start: usize,
    len: usize,
    name_len: usize,
    hash: u64,
    offset: u64,
    /// `Some` for a DATA object already in the file.
    existing: Option<DataMeta>,
    backlink: Backlink,
    /// Its entry-array chain tail after this append.
    tail_after: Option<ArrayTail>,
    /// For new DATA objects: index of its FIELD in `Plan::fields`.
    field: usize,
}

/// A FIELD object referenced by new DATA objects of this entry.
struct FieldPlan {
    /// Where its name is in `Plan::payloads`.
    name: std::ops::Range<usize>,
    offset: u64,
    is_new: bool,
    /// Its hash, for a new FIELD object (unused, and 0, for a known one).
    hash: u64,
    /// Head of the field's DATA list before this append.
    old_head: u64,
}

/// A pending bucket state (head, tail) for a hash table.
type Buckets = U64Map<(u64, u64)>;

impl JournalWriter {
    /// Appends one entry and returns its sequence number. On
    /// [`Error::Full`] nothing was written and the caller should
    /// [`rotate`](JournalWriter::rotate).
    pub fn append(&mut self, entry: &EntryFields<'_>) -> Result<u64> {
        if self.closed || self.poisoned {
            return Err(Error::corrupt(
                &self.path,
                0,
                "writer unusable after an earlier failed write; rotate the file",
            ));
        }
        validate(entry)?;
        // The plan only reads; a failure there leaves the file untouched.
        let plan = self.plan(entry)?;
        match self.execute(entry, plan) {
            Ok(seqnum) => Ok(seqnum),
            Err(e) => {
                self.poisoned = true;
                Err(e)
            }
        }
    }

    fn hash(&self, payload: &[u8]) -> u64 {
        siphash24(payload, self.header.file_id.as_bytes())
    }

    fn plan(&mut self, entry: &EntryFields<'_>) -> Result<Plan> {
        let mut items: Vec<Item> = Vec::with_capacity(entry.fields.len());
        // Every payload of the entry, one after the other, in a buffer the
        // writer keeps between appends (one allocation per field before).
        let mut payloads = std::mem::take(&mut self.payloads);
        payloads.clear();
        let mut seen: Option<U64Map<Vec<usize>>> =
            (entry.fields.len() > DEDUPE_SCAN_MAX).then(U64Map::default);
        let mut xor_hash = 0u64;
        let mut data_depth = self.header.data_hash_chain_depth;

        for (name, value) in entry.fields {
            let start = payloads.len();
            payloads.extend_from_slice(name.as_bytes());
            payloads.push(b'=');
            payloads.extend_from_slice(value);
            let payload = &payloads[start..];
            // A value found before needs neither hash nor lookup (`hot.rs`).
            let key = self.hot.key(payload);
            let known = self.hot.get(key, payload);
            let (hash, jenkins) = match known {
                Some(k) => (k.hash, k.jenkins),
                None => (self.hash(payload), jenkins_hash64(payload)),
            };
            // systemd XORs the Jenkins hash of every field, duplicates
            // included (they cancel), before it dedupes the items.
            xor_hash ^= jenkins;
            let same_as = |i: &Item| i.hash == hash && payloads[i.start..i.start + i.len] == *payload;
            let duplicate = match seen.as_mut() {
                Some(seen) => {
                    let same = seen.entry(hash).or_default();
                    let found = same.iter().any(|&i| same_as(&items[i]));
                    if !found {
                        same.push(items.len());
                    }
                    found
                }
                None => items.iter().any(same_as),
            };
            if duplicate {
                payloads.truncate(start);
                continue;
            }
            let existing = match known {
                Some(k) => Some((k.offset, self.data_meta(k.offset)?)),
                None => {
                    let (found, depth) = self.find_data(hash, payload)?;
                    data_depth = data_depth.max(depth);
                    if let Some((offset, _)) = found {
                        let known = Known {
                            offset,
                            hash,
                            jenkins,
                        };
                        self.hot.insert(key, &payloads[start..], known);
                    }
                    found
                }
            };
            items.push(Item {
                name_len: name.len(),
                start,
                len: payloads.len() - start,
                hash,
                offset: existing.map_or(0, |(off, _)| off),
                existing: existing.map(|(_, h)| h),
                backlink: Backlink::First,
                tail_after: None,
                field: 0,
            });
        }

        // Lay out new DATA objects, each followed by its FIELD when new.
        let mut pos = self.append_pos;
        let mut fields: Vec<FieldPlan> = Vec::new();
        let mut field_depth = self.header.field_hash_chain_depth;
        let mut new_objects = 0u64;
        let mut new_data = 0u64;
        let mut new_fields = 0u64;
        for item in items.iter_mut().filter(|i| i.existing.is_none()) {
            item.offset = pos;
            pos = advance(&self.path, pos, DATA_PAYLOAD_OFFSET + item.len as u64)?;
            new_objects += 1;
            new_data += 1;
            let name_at = item.start..item.start + item.name_len;
            let name = &payloads[name_at.clone()];
            if let Some(index) = fields.iter().position(|f| payloads[f.name.clone()] == *name) {
                item.field = index;
                continue;
            }
            // A field the writer knows needs no hash: only a new FIELD
            // object is written with one.
            let (found, hash, depth) = match self.index.field(name) {
                Some(meta) => (Some(meta), 0, 0),
                None => {
                    let hash = self.hash(name);
                    let (found, depth) = self.find_field(hash, name)?;
                    (found, hash, depth)
                }
            };
            field_depth = field_depth.max(depth);
            let plan = match found {
                Some(field) => FieldPlan {
                    name: name_at,
                    offset: field.offset,
                    is_new: false,
                    hash,
                    old_head: field.head,
                },
                None => {
                    let offset = pos;
                    pos = advance(&self.path, pos, FIELD_PAYLOAD_OFFSET + name.len() as u64)?;
                    new_objects += 1;
                    new_fields += 1;
                    FieldPlan {
                        name: name_at,
                        offset,
                        is_new: true,
                        hash,
                        old_head: 0,
                    }
                }
            };
            item.field = fields.len();
            fields.push(plan);
        }

        // The entry, its items in offset order (systemd sorts them so that
        // reading an entry walks the file forward). An item is ~150 bytes:
        // (offset, index) pairs are sorted and each item copied once into
        // place; sorting the items moved each line's new MESSAGE= past a
        // dozen old values a slot at a time (~3k instructions per entry).
        // Offsets are distinct, so the order is the same.
        let mut order: Vec<(u64, usize)> =
            items.iter().enumerate().map(|(k, i)| (i.offset, k)).collect();
        order.sort_unstable();
        let mut items: Vec<Item> = order.iter().map(|&(_, k)| items[k]).collect();
        let entry_offset = pos;
        let entry_size = ENTRY_ITEMS_OFFSET + HASH_ITEM_SIZE * items.len() as u64;
        pos = advance(&self.path, pos, entry_size)?;
        new_objects += 1;
        let mut last_object = entry_offset;

        // Back-links of existing DATA objects, then the global list.
        let mut new_arrays = 0u64;
        for item in items.iter_mut() {
            let Some(data) = item.existing else { continue };
            (item.backlink, item.tail_after) = self.data_backlink(item.offset, &data, &mut pos)?;
            if let Backlink::NewArray { offset, .. } = item.backlink {
                new_arrays += 1;
                last_object = offset;
            }
        }
        let global = match self.global_tail {
            Some(tail) if tail.used < tail.capacity => Backlink::Slot {
                array: tail.offset,
                index: tail.used,
            },
            tail => {
                let capacity = tail.map_or(4, |t| (t.capacity * 2).max(4));
                let offset = pos;
                pos = advance(&self.path, pos, ENTRY_ARRAY_ITEMS_OFFSET + 8 * capacity)?;
                Backlink::NewArray {
                    prev: tail.map(|t| t.offset),
                    offset,
                    capacity,
                }
            }
        };
        if let Backlink::NewArray { offset, .. } = global {
            new_arrays += 1;
            last_object = offset;
        }

        if pos > self.max_file_size {
            return Err(Error::Full {
                path: self.path.clone(),
                needed: pos,
                limit: self.max_file_size,
            });
        }
        Ok(Plan {
            items,
            payloads,
            fields,
            xor_hash,
            entry_offset,
            entry_size,
            global,
            end: pos,
            last_object,
            new_objects: new_objects + new_arrays,
            new_data,
            new_fields,
            new_arrays,
            data_depth,
            field_depth,
        })
    }

    fn execute(&mut self, entry: &EntryFields<'_>, plan: Plan) -> Result<u64> {
        self.ensure_allocated(plan.end)?;
        if !self.online {
            self.set_state(format::FileState::Online)?;
        }

        let base = self.append_pos;
        // The new objects, built in a buffer the writer keeps (a zeroed
        // allocation per append before).
        let mut tail = std::mem::take(&mut self.objects);
        tail.clear();
        tail.resize((plan.end - base) as usize, 0);
        // Links from old objects, applied after the tail is on disk.
        let mut links: Vec<Patch> = Vec::with_capacity(2 * plan.items.len() + 8);

        // New DATA objects, chained into their hash buckets.
        let mut data_buckets = Buckets::default();
        let mut relinked: Vec<(u64, u64)> = Vec::new();
        let n_data_buckets = self.header.data_hash_table_size / HASH_ITEM_SIZE;
        let data_table = self.header.data_hash_table_offset;
        for item in plan.items.iter().filter(|i| i.existing.is_none()) {
            let at = (item.offset - base) as usize;
            let obj = &mut tail[at..];
            let payload = &plan.payloads[item.start..item.start + item.len];
            format::put_object_header(
                obj,
                ObjectType::Data,
                DATA_PAYLOAD_OFFSET + payload.len() as u64,
            );
            format::put64(obj, oo::DATA_HASH as usize, item.hash);
            format::put64(obj, oo::DATA_ENTRY_OFFSET as usize, plan.entry_offset);
            format::put64(obj, oo::DATA_N_ENTRIES as usize, 1);
            obj[DATA_PAYLOAD_OFFSET as usize..DATA_PAYLOAD_OFFSET as usize + payload.len()]
                .copy_from_slice(payload);
            let bucket = item.hash % n_data_buckets;
            if let Some(old) = self.chain_into(
                &mut data_buckets,
                data_table,
                bucket,
                item.offset,
                oo::DATA_NEXT_HASH,
                base,
                &mut tail,
                &mut links,
            ) {
                relinked.push((old, item.offset));
            }
        }
        let data_updates = sorted(data_buckets);
        for (bucket, (head, tail_off)) in &data_updates {
            links.push(Patch::new(data_table + bucket * HASH_ITEM_SIZE, &[*head, *tail_off]));
        }

        // Field lists: each new DATA object goes to the head of its field's
        // list, so `next_field_offset` is the previous head.
        let mut field_buckets = Buckets::default();
        let n_field_buckets = self.header.field_hash_table_size / HASH_ITEM_SIZE;
        let field_table = self.header.field_hash_table_offset;
        let mut field_heads = Vec::with_capacity(plan.fields.len());
        for (index, field) in plan.fields.iter().enumerate() {
            let mut head = field.old_head;
            for item in plan
                .items
                .iter()
                .filter(|i| i.existing.is_none() && i.field == index)
            {
                let at = (item.offset - base) as usize + oo::DATA_NEXT_FIELD as usize;
                format::put64(&mut tail, at, head);
                head = item.offset;
            }
            if field.is_new {
                let name = &plan.payloads[field.name.clone()];
                let at = (field.offset - base) as usize;
                let obj = &mut tail[at..];
                format::put_object_header(
                    obj,
                    ObjectType::Field,
                    FIELD_PAYLOAD_OFFSET + name.len() as u64,
                );
                format::put64(obj, 16, field.hash);
                format::put64(obj, oo::FIELD_HEAD_DATA as usize, head);
                obj[FIELD_PAYLOAD_OFFSET as usize..FIELD_PAYLOAD_OFFSET as usize + name.len()]
                    .copy_from_slice(name);
                let bucket = field.hash % n_field_buckets;
                // Field objects are not cached by offset; nothing to relink.
                let _ = self.chain_into(
                    &mut field_buckets,
                    field_table,
                    bucket,
                    field.offset,
                    oo::FIELD_NEXT_HASH,
                    base,
                    &mut tail,
                    &mut links,
                );
            } else {
                links.push(Patch::new(field.offset + oo::FIELD_HEAD_DATA, &[head]));
            }
            field_heads.push(head);
        }
        let field_updates = sorted(field_buckets);
        for (bucket, (head, tail_off)) in &field_updates {
            links.push(Patch::new(field_table + bucket * HASH_ITEM_SIZE, &[*head, *tail_off]));
        }

        // The entry object.
        let seqnum = next_seqnum(self.header.tail_entry_seqnum);
        {
            let at = (plan.entry_offset - base) as usize;
            let obj = &mut tail[at..];
            format::put_object_header(obj, ObjectType::Entry, plan.entry_size);
            format::put64(obj, 16, seqnum);
            format::put64(obj, 24, entry.realtime_usec);
            format::put64(obj, 32, entry.monotonic_usec);
            format::put_id(obj, 40, &entry.boot_id);
            format::put64(obj, 56, plan.xor_hash);
            for (i, item) in plan.items.iter().enumerate() {
                let item_at = ENTRY_ITEMS_OFFSET as usize + i * HASH_ITEM_SIZE as usize;
                format::put64(obj, item_at, item.offset);
                format::put64(obj, item_at + 8, item.hash);
            }
        }

        // Back-links of existing DATA objects: slot or array first, count
        // after (`counts` are written after every other link).
        let mut counts: Vec<Patch> = Vec::with_capacity(plan.items.len());
        for item in &plan.items {
            let Some(data) = item.existing else { continue };
            let n_entries_at = item.offset + oo::DATA_N_ENTRIES;
            let count = data.n_entries + 1;
            match item.backlink {
                Backlink::First => {
                    counts.push(Patch::new(
                        item.offset + oo::DATA_ENTRY_OFFSET,
                        &[plan.entry_offset, data.entry_array_offset, count],
                    ));
                }
                Backlink::Slot { array, index } => {
                    links.push(Patch::new(array_slot(array, index), &[plan.entry_offset]));
                    counts.push(Patch::new(n_entries_at, &[count]));
                }
                Backlink::NewArray {
                    prev,
                    offset,
                    capacity,
                } => {
                    write_new_array(&mut tail, base, offset, capacity, plan.entry_offset);
                    match prev {
                        None => {
                            counts.push(Patch::new(
                                item.offset + oo::DATA_ENTRY_ARRAY,
                                &[offset, count],
                            ));
                        }
                        Some(prev) => {
                            links.push(Patch::new(prev + oo::ENTRY_ARRAY_NEXT, &[offset]));
                            counts.push(Patch::new(n_entries_at, &[count]));
                        }
                    }
                }
            }
        }

        // The global entry list.
        let mut header = self.header.clone();
        let global_tail = match plan.global {
            Backlink::Slot { array, index } => {
                links.push(Patch::new(array_slot(array, index), &[plan.entry_offset]));
                self.global_tail.map(|t| ArrayTail {
                    used: index + 1,
                    ..t
                })
            }
            Backlink::NewArray {
                prev,
                offset,
                capacity,
            } => {
                write_new_array(&mut tail, base, offset, capacity, plan.entry_offset);
                match prev {
                    None => header.entry_array_offset = offset,
                    Some(prev) => links.push(Patch::new(prev + oo::ENTRY_ARRAY_NEXT, &[offset])),
                }
                Some(ArrayTail {
                    offset,
                    capacity,
                    used: 1,
                })
            }
            Backlink::First => None,
        };

        // Phase 1: the new objects; phase 2: links, then the counts that
        // cover them; phase 3: the header.
        if self.batch.is_some() {
            self.stage(base, &tail, links, counts)?;
        } else {
            self.write(base, &tail)?;
            self.write_coalesced(&links)?;
            self.write_coalesced(&counts)?;
        }

        header.arena_size = self.allocated - header.header_size;
        header.tail_object_offset = plan.last_object;
        header.n_objects += plan.new_objects;
        header.n_data += plan.new_data;
        header.n_fields += plan.new_fields;
        header.n_entry_arrays += plan.new_arrays;
        header.n_entries += 1;
        header.tail_entry_seqnum = seqnum;
        if header.head_entry_seqnum == 0 {
            header.head_entry_seqnum = seqnum;
        }
        if header.head_entry_realtime == 0 {
            header.head_entry_realtime = entry.realtime_usec;
        }
        header.tail_entry_realtime = entry.realtime_usec;
        header.tail_entry_monotonic = entry.monotonic_usec;
        header.tail_entry_boot_id = entry.boot_id;
        header.data_hash_chain_depth = plan.data_depth;
        header.field_hash_chain_depth = plan.field_depth;
        if let Some(t) = global_tail {
            // The 252 header keeps these in 32 bits; max_file_size is capped
            // below 4 GiB so they always fit.
            header.tail_entry_array_offset = u32::try_from(t.offset).unwrap_or(0);
            header.tail_entry_array_n_entries = u32::try_from(t.used).unwrap_or(0);
        }
        match self.batch.as_mut() {
            // A batch writes the header once, at commit.
            Some(batch) => batch.entries += 1,
            None => {
                let bytes = header.encode();
                self.write(0, &bytes)?;
            }
        }

        self.header = header;
        self.global_tail = global_tail;
        self.append_pos = plan.end;

        // Everything is on disk; bring the in-memory index up to date.
        for (bucket, state) in data_updates {
            self.index.data_buckets.set(bucket, state);
        }
        for (bucket, state) in field_updates {
            self.index.field_buckets.set(bucket, state);
        }
        for (old, new) in relinked {
            self.index.update_data(old, |m| m.next_hash = new);
        }
        for item in &plan.items {
            if item.existing.is_some() {
                self.index.update_data(item.offset, |m| {
                    m.n_entries += 1;
                    m.tail = Some(item.tail_after);
                    if let Backlink::NewArray {
                        prev: None, offset, ..
                    } = item.backlink
                    {
                        m.entry_array_offset = offset;
                    }
                });
            } else {
                let next_hash =
                    format::le64(&tail, (item.offset - base + oo::DATA_NEXT_HASH) as usize);
                self.index.remember_data(
                    item.offset,
                    DataMeta {
                        hash: item.hash,
                        next_hash,
                        payload_len: item.len as u64,
                        n_entries: 1,
                        entry_array_offset: 0,
                        tail: Some(None),
                    },
                );
            }
        }
        for (field, head) in plan.fields.iter().zip(field_heads) {
            self.index.remember_field(
                &plan.payloads[field.name.clone()],
                FieldMeta {
                    offset: field.offset,
                    head,
                },
            );
        }
        if plan.payloads.capacity() <= super::SCRATCH_KEEP {
            self.payloads = plan.payloads;
        }
        if tail.capacity() <= super::SCRATCH_KEEP {
            self.objects = tail;
        }
        Ok(seqnum)
    }

    /// Hands an entry's writes to the open batch instead of the file.
    fn stage(
        &mut self,
        base: u64,
        tail: &[u8],
        links: Vec<Patch>,
        counts: Vec<Patch>,
    ) -> Result<()> {
        let Some(batch) = self.batch.as_mut() else {
            return Ok(());
        };
        let io = &mut self.io;
        let mut staged = batch.push_objects(base, tail);
        for (group, list) in [(Group::Links, links), (Group::Counts, counts)] {
            for patch in list {
                staged = staged.and_then(|()| batch.record(io, group, patch));
            }
        }
        staged.map_err(|e| Error::io(&self.path, "batch", e))
    }

    /// Writes `writes` (offset, bytes) with as few `pwrite`s as it can
    /// (also used by a batch's commit):
    /// writes less than `COALESCE_GAP` bytes apart become one write of the
    /// whole range, its gaps filled with the file's current bytes (from
    /// the block cache: objects the plan just read). Each small `pwrite`
    /// costs far more than its bytes — on ext4 with large folios most of
    /// an append's time went to per-write block bookkeeping
    /// (`ext4_block_write_begin`; bench/ and BENCHMARKS.md, "Journal") —
    /// and an entry's back-links cluster: the DATA objects of one unit's
    /// values were created by the same append, side by side, so their
    /// counts are a few dozen bytes apart. Overlapping writes apply in
    /// the order given. The order *between* groups is the caller's: only
    /// writes of one group are merged or reordered.
    pub(super) fn write_coalesced(&mut self, writes: &[Patch]) -> Result<()> {
        const COALESCE_GAP: u64 = 512;
        let order = write_order(writes);
        let mut members: Vec<u32> = Vec::new();
        let mut k = 0;
        while k < order.len() {
            let first = &writes[order[k].1 as usize];
            let start = first.off;
            let mut end = start + first.bytes().len() as u64;
            let mut last = k + 1;
            while let Some(&(off, i)) = order.get(last) {
                if off > end + COALESCE_GAP {
                    break;
                }
                end = end.max(off + writes[i as usize].bytes().len() as u64);
                last += 1;
            }
            if last == k + 1 {
                self.write(start, first.bytes())?;
            } else {
                // In the buffer `bytes_equal` keeps (a fresh zeroed one
                // per run was ~15k instructions of a restart's commit).
                let mut run = std::mem::take(&mut self.scratch);
                run.clear();
                run.resize((end - start) as usize, 0);
                self.read_into(start, &mut run)?;
                members.clear();
                members.extend(order[k..last].iter().map(|&(_, i)| i));
                members.sort_unstable();
                for &i in &members {
                    let w = &writes[i as usize];
                    let at = (w.off - start) as usize;
                    run[at..at + w.bytes().len()].copy_from_slice(w.bytes());
                }
                self.write(start, &run)?;
                if run.capacity() <= super::SCRATCH_KEEP {
                    self.scratch = run;
                }
            }
            k = last;
        }
        Ok(())
    }

    /// Appends `offset` to hash bucket `bucket`'s chain: the bucket's
    /// current tail (a new object in `tail`, or an old one via a link
    /// write) gets its next pointer set, and `pending` records the new
    /// (head, tail) for the bucket write. Returns the old object relinked,
    /// if one was.
    #[allow(clippy::too_many_arguments)]
    fn chain_into(
        &self,
        pending: &mut Buckets,
        table: u64,
        bucket: u64,
        offset: u64,
        next_field: u64,
        base: u64,
        tail: &mut [u8],
        links: &mut Vec<Patch>,
    ) -> Option<u64> {
        let mirror = if table == self.header.data_hash_table_offset {
            &self.index.data_buckets
        } else {
            &self.index.field_buckets
        };
        let (head, old_tail) = match pending.get(&bucket) {
            Some(state) => *state,
            None => mirror.get(bucket),
        };
        let mut relinked = None;
        let head = if old_tail == 0 {
            offset
        } else {
            if old_tail >= base {
                format::put64(tail, (old_tail - base + next_field) as usize, offset);
            } else {
                links.push(Patch::new(old_tail + next_field, &[offset]));
                relinked = Some(old_tail);
            }
            head
        };
        pending.insert(bucket, (head, offset));
        relinked
    }
}

/// Everything the write phase needs, computed by the plan phase.
struct Plan {
    items: Vec<Item>,
    /// The items' payloads (see `Item::start`).
    payloads: Vec<u8>,
    fields: Vec<FieldPlan>,
    xor_hash: u64,
    entry_offset: u64,
    entry_size: u64,
    global: Backlink,
    end: u64,
    last_object: u64,
    new_objects: u64,
    new_data: u64,
    new_fields: u64,
    new_arrays: u64,
    data_depth: u64,
    field_depth: u64,
}

fn validate(entry: &EntryFields<'_>) -> Result<()> {
    if entry.fields.is_empty() {
        return Err(Error::EmptyEntry);
    }
    if entry.realtime_usec == 0 || entry.realtime_usec >= TIMESTAMP_LIMIT {
        return Err(Error::InvalidTimestamp {
            which: "realtime",
            value: entry.realtime_usec,
        });
    }
    if entry.monotonic_usec >= TIMESTAMP_LIMIT {
        return Err(Error::InvalidTimestamp {
            which: "monotonic",
            value: entry.monotonic_usec,
        });
    }
    for (name, _) in entry.fields {
        format::check_field_name(name.as_bytes()).map_err(|reason| Error::InvalidField {
            name: name.to_string(),
            reason,
        })?;
    }
    Ok(())
}

/// The next sequence number; 0 and `u64::MAX` are skipped, as in systemd.
fn next_seqnum(last: u64) -> u64 {
    if last < u64::MAX - 1 {
        last + 1
    } else {
        1
    }
}

fn array_slot(array: u64, index: u64) -> u64 {
    array + ENTRY_ARRAY_ITEMS_OFFSET + 8 * index
}

fn write_new_array(tail: &mut [u8], base: u64, offset: u64, capacity: u64, first: u64) {
    let at = (offset - base) as usize;
    let obj = &mut tail[at..];
    format::put_object_header(
        obj,
        ObjectType::EntryArray,
        ENTRY_ARRAY_ITEMS_OFFSET + 8 * capacity,
    );
    format::put64(obj, ENTRY_ARRAY_ITEMS_OFFSET as usize, first);
}

/// The (offset, position) of each non-empty write, ordered by offset and
/// then position: equal offsets keep their order (later writes win).
/// Each pair is packed into one integer (offsets are below 4 GiB, see
/// `MAX_FILE_SIZE_LIMIT`) and sorted as plain integers: the stable sort of
/// the pairs by offset was a tenth of the instructions per stored line
/// (`bench/journald_ingest.py`: 1.6k of 37.2k) and ~18k of a restart's
/// ~290k in the journal (`bench/journald_restart_replay.py`).
fn write_order(writes: &[Patch]) -> Vec<(u64, u32)> {
    let pairs = writes
        .iter()
        .enumerate()
        .filter(|(_, w)| !w.is_empty())
        .map(|(i, w)| (w.off, i as u32));
    let packable = writes.len() <= u32::MAX as usize && writes.iter().all(|w| w.off >> 32 == 0);
    if !packable {
        let mut order: Vec<(u64, u32)> = pairs.collect();
        order.sort_by_key(|&(off, _)| off);
        return order;
    }
    let mut packed: Vec<u64> = pairs.map(|(off, i)| (off << 32) | u64::from(i)).collect();
    packed.sort_unstable();
    packed.iter().map(|&k| (k >> 32, k as u32)).collect()
}

fn sorted(buckets: Buckets) -> Vec<(u64, (u64, u64))> {
    let mut v: Vec<_> = buckets.into_iter().collect();
    v.sort_unstable_by_key(|(b, _)| *b);
    v
}
