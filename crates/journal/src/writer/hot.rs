//! Values the file already holds and keeps being sent: their DATA object
//! and both hashes, found without hashing or reading the file.
//!
//! **Why.** Most of an entry repeats the one before it from the same
//! sender: a stdout stream's sixteen fields differ by `MESSAGE=` alone
//! (`_PID=`, `_COMM=`, `_SYSTEMD_UNIT=`, `_BOOT_ID=`, `_HOSTNAME=` …), and
//! the manager's messages share all their trusted fields. Finding such a
//! value the ordinary way costs its SipHash under the file key, its
//! Jenkins hash (for the entry's `xor_hash`), a bucket of the DATA hash
//! table and a read of the stored payload to compare (through the open
//! batch's shadows and the block cache): skipping that for the fifteen
//! repeating fields of a stdout line saved 8.7k of its 46.4k instructions
//! (`bench/journald_ingest.py` under callgrind).
//! Here a value found once by that lookup is remembered with what the
//! lookup established — the DATA object's offset, the keyed hash, the
//! Jenkins hash — and the next time costs a cheap hash of the payload and
//! one comparison in memory.
//!
//! **Why it changes no byte.** A DATA object's payload and hash never
//! change once written, and the cache belongs to the writer of one file
//! (a rotated file gets a new writer, hence an empty cache). A hit yields
//! exactly the offset and hashes the full lookup would, the payloads
//! having been compared byte for byte. The lookup also records how deep in
//! its hash chain it found the value (the header's
//! `data_hash_chain_depth`, a maximum): an object's place in its chain is
//! fixed (chains only grow at the tail), and the lookup that put it here
//! already recorded that depth, so skipping the walk leaves the header
//! as it would have been. Only values found by a full lookup go in, that
//! is values seen at least twice: a line's own `MESSAGE=`, new every
//! time, never takes a place.
//!
//! **Why this shape.** The table is set-associative (two ways per set)
//! rather than a hash map: whatever the payloads — log lines are chosen
//! by whoever logs — a lookup compares at most two stored values, and a
//! conflict only costs the ordinary lookup, never a longer one. The index
//! hash is keyed by a per-writer random seed so that a sender cannot
//! aim its values at the sets of another's. Values longer than
//! [`MAX_PAYLOAD`] are not kept (the memory of a copy for the few
//! instructions a long comparison saves relative to its hashing). The
//! table is allocated at the first insert and dropped whole by
//! `JournalWriter::release_caches`.

/// Sets of the table (two ways each): room for the repeating fields of a
/// few dozen senders at once (a stream has about a dozen).
const SETS: usize = 256;
/// Longest payload kept.
const MAX_PAYLOAD: usize = 512;

/// What a full lookup established about a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Known {
    /// The DATA object holding it.
    pub(super) offset: u64,
    /// Its hash under the file key (`siphash24`).
    pub(super) hash: u64,
    /// Its `jenkins_hash64`, for the entry's `xor_hash`.
    pub(super) jenkins: u64,
}

struct Slot {
    /// The index hash of `payload` (checked before the bytes).
    key: u64,
    payload: Box<[u8]>,
    known: Known,
}

/// The cache (see the module docs).
pub(super) struct HotValues {
    seed: u64,
    /// `2 * SETS` slots once used, empty before.
    slots: Vec<Option<Slot>>,
}

impl HotValues {
    /// An empty cache whose index hash is keyed by `seed`.
    pub(super) fn new(seed: u64) -> HotValues {
        HotValues {
            seed,
            slots: Vec::new(),
        }
    }

    /// The index hash of `payload` (for [`get`](Self::get) and
    /// [`insert`](Self::insert)).
    pub(super) fn key(&self, payload: &[u8]) -> u64 {
        index_hash(self.seed, payload)
    }

    /// What is known about `payload`, whose index hash is `key`.
    pub(super) fn get(&self, key: u64, payload: &[u8]) -> Option<Known> {
        if self.slots.is_empty() {
            return None;
        }
        let set = set_of(key);
        self.slots[set..set + 2]
            .iter()
            .flatten()
            .find(|s| s.key == key && *s.payload == *payload)
            .map(|s| s.known)
    }

    /// Remembers `known` for `payload` (index hash `key`), in a free way
    /// of its set or else in place of one of the two (chosen by a bit of
    /// the key, so that two values contending for one way do not evict
    /// each other for ever).
    pub(super) fn insert(&mut self, key: u64, payload: &[u8], known: Known) {
        if payload.len() > MAX_PAYLOAD {
            return;
        }
        if self.slots.is_empty() {
            self.slots.resize_with(2 * SETS, || None);
        }
        let set = set_of(key);
        let way = if self.slots[set].is_none() {
            0
        } else if self.slots[set + 1].is_none() {
            1
        } else {
            ((key >> 32) & 1) as usize
        };
        self.slots[set + way] = Some(Slot {
            key,
            payload: payload.into(),
            known,
        });
    }

    /// Forgets everything and frees the table.
    pub(super) fn clear(&mut self) {
        self.slots = Vec::new();
    }
}

/// The first slot of `key`'s set.
fn set_of(key: u64) -> usize {
    2 * (key as usize % SETS)
}

/// A fast keyed hash for the table index, eight bytes at a time: a
/// multiply-xorshift step per word and murmur3's finaliser. Not meant to
/// resist anyone (see the module docs for why it need not); the seed only
/// keeps senders from knowing which values share a set.
fn index_hash(seed: u64, bytes: &[u8]) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut h = seed ^ (bytes.len() as u64).wrapping_mul(K);
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        h = (h ^ u64::from_le_bytes(word)).wrapping_mul(K);
        h ^= h >> 29;
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut word = [0u8; 8];
        word[..rest.len()].copy_from_slice(rest);
        h = (h ^ u64::from_le_bytes(word)).wrapping_mul(K);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(n: u64) -> Known {
        Known {
            offset: 8 * n,
            hash: n,
            jenkins: !n,
        }
    }

    #[test]
    fn finds_what_was_inserted_and_nothing_else() {
        let mut hot = HotValues::new(42);
        assert_eq!(hot.get(hot.key(b"A=1"), b"A=1"), None);
        hot.insert(hot.key(b"A=1"), b"A=1", known(1));
        hot.insert(hot.key(b"_PID=1234"), b"_PID=1234", known(2));
        assert_eq!(hot.get(hot.key(b"A=1"), b"A=1"), Some(known(1)));
        assert_eq!(hot.get(hot.key(b"_PID=1234"), b"_PID=1234"), Some(known(2)));
        assert_eq!(hot.get(hot.key(b"A=2"), b"A=2"), None);
        // Same key, other bytes (a collision): not a hit.
        assert_eq!(hot.get(hot.key(b"A=1"), b"A=2"), None);
        let long = vec![b'x'; MAX_PAYLOAD + 1];
        hot.insert(hot.key(&long), &long, known(3));
        assert_eq!(hot.get(hot.key(&long), &long), None);
        hot.clear();
        assert_eq!(hot.get(hot.key(b"A=1"), b"A=1"), None);
    }

    /// Values contending for one set replace each other; whatever is
    /// found is right, and the set's last insert is always found.
    #[test]
    fn a_full_set_evicts_without_confusing_values() {
        let mut hot = HotValues::new(7);
        let values: Vec<Vec<u8>> = (0..20_000).map(|i| format!("F={i}").into_bytes()).collect();
        let target = set_of(hot.key(&values[0]));
        let same_set: Vec<usize> =
            (0..values.len()).filter(|&i| set_of(hot.key(&values[i])) == target).collect();
        assert!(same_set.len() >= 4, "{}", same_set.len());
        for &i in &same_set {
            hot.insert(hot.key(&values[i]), &values[i], known(i as u64));
            assert_eq!(hot.get(hot.key(&values[i]), &values[i]), Some(known(i as u64)));
            for &j in &same_set {
                let got = hot.get(hot.key(&values[j]), &values[j]);
                assert!(got.is_none() || got == Some(known(j as u64)));
            }
        }
    }

    #[test]
    fn the_index_hash_depends_on_seed_length_and_every_byte() {
        let base = index_hash(1, b"_SYSTEMD_UNIT=a.service");
        assert_ne!(base, index_hash(2, b"_SYSTEMD_UNIT=a.service"));
        assert_ne!(base, index_hash(1, b"_SYSTEMD_UNIT=b.service"));
        assert_ne!(base, index_hash(1, b"_SYSTEMD_UNIT=a.servic"));
        assert_ne!(index_hash(1, b"A\0"), index_hash(1, b"A"));
    }
}
