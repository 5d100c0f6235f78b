//! Entry lists: the global entry array chain and per-DATA entry lists.
//!
//! Both are sorted lists of ENTRY offsets stored as a chain of ENTRY_ARRAY
//! objects (JOURNAL_FILE_FORMAT.md, "Entry Array Objects"). A DATA object
//! additionally keeps its first entry inline in `entry_offset`, so its list
//! is that offset followed by `n_entries - 1` offsets from its chain; the
//! global list is `n_entries` (header) offsets from the chain that starts at
//! the header's `entry_array_offset`. Arrays may have unused slots at the
//! end: the count, not the array size, says how many are valid.
//!
//! A [`Chain`] walks the arrays once (one object read per array; writers
//! double array sizes, so there are O(log n) of them) and then answers
//! "item i" with one read, and "first item ≥ p" by galloping from the
//! position of the previous answer and bisecting. Sequential iteration
//! therefore costs O(1) reads per step and a seek O(log n), which is what
//! makes per-field queries proportional to the matching entries rather
//! than to the file.
//!
//! A damaged chain (an array that is not an array, a pointer going
//! backwards, a chain shorter than its count) is cut at the damage: the
//! items before it stay readable, as the format's "General Rules" ask.

use crate::error::Result;
use crate::format::{self, ObjectType, ENTRY_ARRAY_ITEMS_OFFSET};

use super::core::Core;

#[derive(Clone, Copy, Debug)]
struct ArrayInfo {
    offset: u64,
    /// List index of this array's first slot.
    start: u64,
    /// Valid slots in this array.
    used: u64,
}

/// A sorted list of entry offsets (see the module docs).
#[derive(Clone, Debug)]
pub(crate) struct Chain {
    inline_first: Option<u64>,
    arrays: Vec<ArrayInfo>,
    len: u64,
    item_size: u64,
    /// Index of the last item a seek returned, where the next one starts.
    hint: u64,
    /// The last item read, (index, value): seeks re-read their answer.
    last_read: std::cell::Cell<Option<(u64, u64)>>,
}

impl Chain {
    /// The file's global entry list.
    pub(crate) fn global(core: &mut Core) -> Result<Chain> {
        let (first, count) = (core.header().entry_array_offset, core.header().n_entries);
        Chain::build(core, None, first, count)
    }

    /// The entries referencing the DATA object at `data_offset`.
    pub(crate) fn for_data(core: &mut Core, data_offset: u64) -> Result<Chain> {
        let data = core.data_header(data_offset)?;
        if data.n_entries == 0 || data.entry_offset == 0 {
            return Chain::build(core, None, 0, 0);
        }
        Chain::build(
            core,
            Some(data.entry_offset),
            data.entry_array_offset,
            data.n_entries - 1,
        )
    }

    fn build(
        core: &mut Core,
        inline_first: Option<u64>,
        first_array: u64,
        count: u64,
    ) -> Result<Chain> {
        let item_size = core.layout().entry_array_item_size();
        let mut arrays = Vec::new();
        let mut covered = 0u64;
        let mut offset = first_array;
        while covered < count && offset != 0 {
            let Ok(buf) = core.object_prefix(
                offset,
                ObjectType::EntryArray,
                ENTRY_ARRAY_ITEMS_OFFSET as usize,
            ) else {
                break;
            };
            let size = format::le64(&buf, 8);
            let capacity = (size - ENTRY_ARRAY_ITEMS_OFFSET) / item_size;
            let used = capacity.min(count - covered);
            arrays.push(ArrayInfo {
                offset,
                start: covered,
                used,
            });
            covered += used;
            let next = format::le64(&buf, 16);
            if next != 0 && next <= offset {
                break;
            }
            offset = next;
        }
        let len = covered + u64::from(inline_first.is_some());
        Ok(Chain {
            inline_first,
            arrays,
            len,
            item_size,
            hint: 0,
            last_read: std::cell::Cell::new(None),
        })
    }

    /// Number of entries in the list.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// The entry offset at list index `index` (< `len`).
    pub(crate) fn item(&self, core: &mut Core, index: u64) -> Result<u64> {
        if let Some((i, v)) = self.last_read.get() {
            if i == index {
                return Ok(v);
            }
        }
        let value = self.read_item(core, index)?;
        self.last_read.set(Some((index, value)));
        Ok(value)
    }

    fn read_item(&self, core: &mut Core, index: u64) -> Result<u64> {
        let index = match self.inline_first {
            Some(first) if index == 0 => return Ok(first),
            Some(_) => index - 1,
            None => index,
        };
        let slot = self
            .arrays
            .partition_point(|a| a.start <= index)
            .saturating_sub(1);
        let array = self
            .arrays
            .get(slot)
            .filter(|a| index >= a.start && index - a.start < a.used)
            .ok_or_else(|| core.corrupt(0, format!("entry list index {index} out of range")))?;
        let at = array.offset + ENTRY_ARRAY_ITEMS_OFFSET + (index - array.start) * self.item_size;
        core.array_item(at, self.item_size)
    }

    /// The first index whose item satisfies `pred`, where `pred` is false
    /// for a prefix of the list and true after it; `len` if none. Gallops
    /// from the hint, so nearby answers are cheap.
    pub(crate) fn partition_point(
        &mut self,
        core: &mut Core,
        mut pred: impl FnMut(&mut Core, u64) -> Result<bool>,
    ) -> Result<u64> {
        if self.len == 0 {
            return Ok(0);
        }
        let hint = self.hint.min(self.len - 1);
        let (mut lo, mut hi);
        let at_hint = self.item(core, hint)?;
        if pred(core, at_hint)? {
            // Answer is at or before the hint: gallop left.
            hi = hint;
            let mut step = 1;
            loop {
                if hi < step {
                    lo = 0;
                    break;
                }
                let probe = hi - step;
                let v = self.item(core, probe)?;
                if !pred(core, v)? {
                    lo = probe + 1;
                    break;
                }
                hi = probe;
                step *= 2;
            }
        } else {
            // Answer is after the hint: gallop right.
            lo = hint + 1;
            let mut step = 1;
            loop {
                let probe = lo + step - 1;
                if probe >= self.len {
                    hi = self.len;
                    break;
                }
                let v = self.item(core, probe)?;
                if pred(core, v)? {
                    hi = probe;
                    break;
                }
                lo = probe + 1;
                step *= 2;
            }
        }
        // Invariant: pred false before lo, true at hi (or hi == len).
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let v = self.item(core, mid)?;
            if pred(core, v)? {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        self.hint = lo.min(self.len - 1);
        Ok(lo)
    }

    /// Forward: the first item ≥ `p`. Backward: the last item ≤ `p`.
    ///
    /// On an unsorted (damaged) list bisection can land on an item on the
    /// wrong side of `p`; that is reported as corruption, so that every
    /// caller's position moves strictly in its direction and no loop over
    /// seeks can cycle.
    pub(crate) fn seek(&mut self, core: &mut Core, p: u64, forward: bool) -> Result<Option<u64>> {
        let found = if forward {
            let i = self.partition_point(core, |_, v| Ok(v >= p))?;
            if i >= self.len {
                return Ok(None);
            }
            self.item(core, i)?
        } else {
            let i = self.partition_point(core, |_, v| Ok(v > p))?;
            if i == 0 {
                return Ok(None);
            }
            self.hint = i - 1;
            self.item(core, i - 1)?
        };
        if (forward && found < p) || (!forward && found > p) {
            return Err(core.corrupt(found, "entry list is not sorted by offset"));
        }
        Ok(Some(found))
    }
}
