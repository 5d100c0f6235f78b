//! The stdout streams' table: connections stored inline in one vector of
//! slots, found by an epoll token that names the slot.
//!
//! **Why not a map of boxes.** A booted system keeps one stream per
//! service open for as long as the service runs, most of them idle. As a
//! `HashMap<token, Box<conn>>` every connection was an allocation of its
//! own, made while the boot's messages were being stored, so the
//! long-lived boxes ended up spread over the heap between the burst's
//! transient buffers; once those were freed, their pages could not be
//! returned (`malloc_trim(3)` only releases pages no live chunk touches).
//! Here the connections are one allocation, which for a thousand streams
//! is large enough to be a mapping of its own, plus a free list.
//!
//! **Tokens.** `base + (serial << SLOT_BITS | slot)`: the slot finds the
//! connection in O(1), the serial makes every token unique within a run,
//! as before, so an event still queued for a closed stream can never
//! reach the stream that took its slot (its token no longer matches).
//!
//! **States of a slot.** Free (on the free list) → occupied by
//! [`Slab::insert`] → taken out by [`Slab::take`] while its connection is
//! served (the slot is empty but not free) → either put back with
//! [`Slab::put_back`] or released with [`Slab::release`] (free again).

/// Slots are numbered below `1 << SLOT_BITS`.
const SLOT_BITS: u32 = 16;

pub struct Slab<T> {
    base: u64,
    slots: Vec<Option<(u64, T)>>,
    free: Vec<u32>,
    serial: u64,
    len: usize,
}

impl<T> Slab<T> {
    /// A table whose tokens start at `base`.
    pub fn new(base: u64) -> Slab<T> {
        Slab {
            base,
            slots: Vec::new(),
            free: Vec::new(),
            serial: 0,
            len: 0,
        }
    }

    /// Connections stored or taken out (not released).
    pub fn len(&self) -> usize {
        self.len
    }

    /// The token the next [`insert`](Self::insert) returns, or `None` when
    /// every slot is in use.
    pub fn next_token(&self) -> Option<u64> {
        let slot = match self.free.last() {
            Some(&s) => u64::from(s),
            None if self.slots.len() < 1 << SLOT_BITS => self.slots.len() as u64,
            None => return None,
        };
        Some(self.base + (self.serial << SLOT_BITS | slot))
    }

    /// Stores `value` under [`next_token`](Self::next_token).
    pub fn insert(&mut self, value: T) -> Option<u64> {
        let token = self.next_token()?;
        let slot = self.slot_of(token);
        if slot == self.slots.len() {
            self.slots.push(None);
        } else {
            self.free.pop();
        }
        self.slots[slot] = Some((token, value));
        self.serial += 1;
        self.len += 1;
        Some(token)
    }

    /// Takes the connection of `token` out to serve it; `None` for a token
    /// that is not (or no longer) stored.
    pub fn take(&mut self, token: u64) -> Option<T> {
        let index = self.slot_of(token);
        let slot = self.slots.get_mut(index)?;
        match slot.take() {
            Some((t, v)) if t == token => Some(v),
            other => {
                *slot = other;
                None
            }
        }
    }

    /// Returns a connection [`take`](Self::take)n out under `token`.
    pub fn put_back(&mut self, token: u64, value: T) {
        let slot = self.slot_of(token);
        if let Some(s) = self.slots.get_mut(slot) {
            *s = Some((token, value));
        }
    }

    /// Frees the slot of a connection taken out and not put back.
    pub fn release(&mut self, token: u64) {
        let slot = self.slot_of(token);
        if self.slots.get(slot).is_some_and(Option::is_none) {
            self.free.push(slot as u32);
            self.len -= 1;
        }
    }

    /// The connection stored under `token`, if any.
    pub fn get(&self, token: u64) -> Option<&T> {
        match self.slots.get(self.slot_of(token))? {
            Some((t, v)) if *t == token => Some(v),
            _ => None,
        }
    }

    /// Every connection stored now (not those taken out to be served).
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.slots.iter_mut().flatten().map(|(_, v)| v)
    }

    /// The tokens of every connection stored now.
    pub fn tokens(&self) -> Vec<u64> {
        self.slots.iter().flatten().map(|(t, _)| *t).collect()
    }

    /// Every connection stored, emptying the table.
    pub fn drain(&mut self) -> Vec<T> {
        self.free.clear();
        self.len = 0;
        std::mem::take(&mut self.slots)
            .into_iter()
            .flatten()
            .map(|(_, v)| v)
            .collect()
    }

    fn slot_of(&self, token: u64) -> usize {
        (token.wrapping_sub(self.base) & ((1 << SLOT_BITS) - 1)) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::Slab;

    #[test]
    fn tokens_are_unique_and_slots_reused() {
        let mut s = Slab::new(16);
        let a = s.insert("a").unwrap();
        let b = s.insert("b").unwrap();
        assert_ne!(a, b);
        assert!(a >= 16 && b >= 16);
        assert_eq!(s.take(a), Some("a"));
        s.release(a);
        assert_eq!(s.len(), 1);
        let c = s.insert("c").unwrap();
        // Slot of `a` reused, token not: a stale event for `a` finds nothing.
        assert_ne!(c, a);
        assert_eq!(s.slots.len(), 2);
        assert_eq!(s.take(a), None);
        assert_eq!(s.take(c), Some("c"));
        s.put_back(c, "c");
        assert_eq!(s.take(c), Some("c"));
        s.put_back(c, "c");
        // Release only frees a slot that was taken out.
        s.release(b);
        assert_eq!(s.len(), 2);
        let mut all = s.drain();
        all.sort_unstable();
        assert_eq!(all, ["b", "c"]);
        assert_eq!(s.len(), 0);
        assert_eq!(s.take(b), None);
    }
}
