//! The hasher of the maps keyed by unit names, in this crate's
//! transactions and in the daemon's tables.
//!
//! Every connection of an `Accept=yes` socket looks its units up a few
//! hundred times (loading, the transaction, the job runner, collection),
//! and SipHash (std's default) over 50-byte instance names was a fifth of
//! the manager's instructions. [`NameHasher`] hashes eight bytes per step
//! (the multiply-rotate scheme of rustc's FxHash) from a per-process
//! random start, so the bucket of a name cannot be known in advance by a
//! peer choosing its port. Maps keyed by anything else a peer sends keep
//! std's SipHash.
//!
//! The start comes from std's [`RandomState`] (its keys are drawn from
//! the kernel once per thread, for the `HashMap`s every crate here
//! already has), so this crate still performs no I/O of its own.
//! Iteration order is as arbitrary as with `RandomState`: nothing may
//! depend on it.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;

/// A map keyed by unit names.
pub type NameMap<V> = HashMap<String, V, NameHash>;

/// A set of unit names.
pub type NameSet = HashSet<String, NameHash>;

/// The [`BuildHasher`] of [`NameMap`].
#[derive(Clone, Copy)]
pub struct NameHash(u64);

impl Default for NameHash {
    fn default() -> NameHash {
        static SEED: OnceLock<u64> = OnceLock::new();
        NameHash(*SEED.get_or_init(|| RandomState::new().hash_one(0x5eed_u64) | 1))
    }
}

impl BuildHasher for NameHash {
    type Hasher = NameHasher;
    fn build_hasher(&self) -> NameHasher {
        NameHasher(self.0)
    }
}

/// The hasher of [`NameHash`].
pub struct NameHasher(u64);

impl NameHasher {
    const K: u64 = 0xf135_7aea_2e62_a9c5;
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(Self::K);
    }
}

impl Hasher for NameHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 59));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn finish(&self) -> u64 {
        // The multiply leaves its best bits high; the table indexes by the
        // low ones.
        self.0.rotate_left(26)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_hash_apart_and_look_up_by_str() {
        let h = NameHash::default();
        assert_eq!(h.hash_one("a.service"), NameHash::default().hash_one("a.service"), "one start per process");
        assert_ne!(h.hash_one("a.service"), h.hash_one("b.service"));
        // Same words, different lengths: the tail's length is hashed in.
        assert_ne!(h.hash_one("abcdefgh"), h.hash_one("abcdefgh\0"));
        let mut m: NameMap<u32> = NameMap::default();
        m.insert("echo@0-127.0.0.1:80-127.0.0.1:5000.service".into(), 1);
        assert_eq!(m.get("echo@0-127.0.0.1:80-127.0.0.1:5000.service"), Some(&1));
    }
}
