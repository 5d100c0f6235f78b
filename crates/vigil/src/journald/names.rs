//! The unit names the manager vouched for, one arena for every stream.
//!
//! **Why.** Each stdout stream the manager opens carries its unit's name
//! (`s17.service`), kept as long as the service runs. As a `Box<str>` per
//! stream every name was an allocation of its own, made while the boot's
//! messages were being stored: the thousand long-lived 32-byte chunks
//! ended up scattered over pages otherwise freed after the burst, and
//! `malloc_trim(3)` can only give back pages no live chunk touches. At
//! 1000 units they held 68 kB of heap resident for 32 kB of names
//! (`bench/mem.sh 1000`). Here the names are appended to one string and a
//! stream keeps a [`Name`] (offset and length, 8 bytes inline).
//!
//! **Freeing.** A closed stream's name becomes garbage in the string;
//! [`Names::compact`] rewrites the string with the live names only, and the
//! server calls it when its input goes idle (the trim in `server.rs`) if
//! garbage exceeds what is live, handing it every stream's [`Name`] to
//! renumber. A name longer than `u16::MAX` bytes (a unit name is at most
//! 255, `systemd.unit(5)`) or an arena beyond 4 GiB is refused: the caller
//! then treats the stream as not vouched for.

/// A name in [`Names`]: where it starts, and how long it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Name {
    offset: u32,
    len: u16,
}

#[derive(Default)]
pub struct Names {
    text: String,
    /// Bytes of `text` that belong to names still in use.
    live: usize,
}

impl Names {
    /// Stores `s`; `None` if it cannot be addressed (see the module docs).
    pub fn add(&mut self, s: &str) -> Option<Name> {
        let offset = u32::try_from(self.text.len()).ok()?;
        let len = u16::try_from(s.len()).ok()?;
        u32::try_from(self.text.len() + s.len()).ok()?;
        self.text.push_str(s);
        self.live += s.len();
        Some(Name { offset, len })
    }

    /// The text of `n` ("" for a name this arena never gave out).
    pub fn get(&self, n: Name) -> &str {
        let start = n.offset as usize;
        self.text.get(start..start + usize::from(n.len)).unwrap_or_default()
    }

    /// `n` is no longer used (its bytes are reclaimed by the next compaction).
    pub fn remove(&mut self, n: Name) {
        self.live = self.live.saturating_sub(usize::from(n.len));
    }

    /// Whether a [`compact`](Self::compact) would free more than it keeps.
    pub fn worth_compacting(&self) -> bool {
        self.text.capacity() > 2 * self.live.max(64)
    }

    /// Rewrites the arena with the names in `used` only, updating each;
    /// `used` must be every name still in use.
    pub fn compact<'a>(&mut self, used: impl Iterator<Item = &'a mut Name>) {
        let old = std::mem::take(&mut self.text);
        let mut text = String::with_capacity(self.live);
        for n in used {
            let start = n.offset as usize;
            let s = old.get(start..start + usize::from(n.len)).unwrap_or_default();
            // Within u32: the new text is no longer than the old one.
            n.offset = u32::try_from(text.len()).unwrap_or(u32::MAX);
            text.push_str(s);
        }
        self.live = text.len();
        text.shrink_to_fit();
        self.text = text;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_survive_removal_and_compaction() {
        let mut names = Names::default();
        let mut kept = Vec::new();
        let mut gone = Vec::new();
        for i in 0..1000 {
            let n = names.add(&format!("s{i}.service")).unwrap();
            if i % 3 == 0 {
                kept.push((i, n));
            } else {
                gone.push(n);
            }
        }
        assert_eq!(names.get(kept[5].1), "s15.service");
        assert!(!names.worth_compacting());
        for n in gone {
            names.remove(n);
        }
        assert!(names.worth_compacting());
        let before = names.text.capacity();
        names.compact(kept.iter_mut().map(|(_, n)| n));
        assert!(names.text.capacity() < before / 2);
        for (i, n) in &kept {
            assert_eq!(names.get(*n), format!("s{i}.service"));
        }
        // Added after a compaction, found as well.
        let late = names.add("late.service").unwrap();
        assert_eq!(names.get(late), "late.service");
        assert_eq!(names.get(kept[0].1), "s0.service");
        assert!(names.add(&"x".repeat(70_000)).is_none());
    }
}
