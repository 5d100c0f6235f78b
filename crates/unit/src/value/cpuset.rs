//! CPU and NUMA node sets (`CPUAffinity=`, `AllowedCPUs=`,
//! `AllowedMemoryNodes=`, `NUMAMask=`), read like systemd 252's
//! `parse_cpu_set_full()`.
//!
//! The value is a list of numbers and `lower-upper` ranges separated by
//! blanks and/or commas (`0-3 5,7`). Numbers use C's `strtoul()` rules
//! (`0x3` is 3). A reversed range (`3-1`) is skipped with a warning; a CPU
//! of 8192 or more makes the whole value invalid, as does any malformed
//! item (`1-`, `-1`, `a`). `CPUAffinity=numa` is a separate keyword handled
//! by [`crate::value::parse`].
//!
//! Main type: [`CpuSet`].

use std::fmt;

use super::error::ValueError;
use super::number::safe_atou32;
use super::words::{ExtractFlags, Words};

/// CPUs at or above this are refused (`CONFIG_NR_CPUS` can reach 8192).
pub const CPU_SET_MAX: u32 = 8192;

/// A set of CPU (or NUMA node) numbers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct CpuSet {
    bits: Vec<u64>,
}

impl CpuSet {
    pub fn new() -> CpuSet {
        CpuSet::default()
    }

    pub fn is_empty(&self) -> bool {
        self.bits.iter().all(|&w| w == 0)
    }

    /// Add `cpu`; values at or above [`CPU_SET_MAX`] are ignored.
    pub fn insert(&mut self, cpu: u32) {
        if cpu >= CPU_SET_MAX {
            return;
        }
        let word = (cpu / 64) as usize;
        if self.bits.len() <= word {
            self.bits.resize(word + 1, 0);
        }
        self.bits[word] |= 1 << (cpu % 64);
    }

    pub fn contains(&self, cpu: u32) -> bool {
        self.bits.get((cpu / 64) as usize).is_some_and(|w| w & (1 << (cpu % 64)) != 0)
    }

    /// The members in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.bits
            .iter()
            .enumerate()
            .flat_map(|(i, &w)| (0..64).filter(move |b| w & (1 << b) != 0).map(move |b| i as u32 * 64 + b))
    }

    /// The bitmap as 64-bit words, CPU 0 in bit 0 of word 0 (the layout of
    /// `cpu_set_t` on little-endian machines).
    pub fn words(&self) -> &[u64] {
        &self.bits
    }

    /// Everything in `other` added to `self`.
    pub fn merge(&mut self, other: &CpuSet) {
        if self.bits.len() < other.bits.len() {
            self.bits.resize(other.bits.len(), 0);
        }
        for (a, b) in self.bits.iter_mut().zip(&other.bits) {
            *a |= b;
        }
    }
}

/// Prints like systemd's `cpu_set_to_range_string()`: `0-3 5 7`.
impl fmt::Display for CpuSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut run: Option<(u32, u32)> = None;
        let mut first = true;
        let mut emit = |f: &mut fmt::Formatter<'_>, (a, b): (u32, u32)| {
            let sep = if first { "" } else { " " };
            first = false;
            if a == b {
                write!(f, "{sep}{a}")
            } else {
                write!(f, "{sep}{a}-{b}")
            }
        };
        for cpu in self.iter() {
            run = match run {
                Some((a, b)) if b + 1 == cpu => Some((a, cpu)),
                Some(r) => {
                    emit(f, r)?;
                    Some((cpu, cpu))
                }
                None => Some((cpu, cpu)),
            };
        }
        if let Some(r) = run {
            emit(f, r)?;
        }
        Ok(())
    }
}

/// `parse_range()`: `N` or `N-M`.
fn parse_range(word: &str) -> Option<(u32, u32)> {
    let mut parts = Words::new(word, "-", ExtractFlags::DONT_COALESCE_SEPARATORS);
    let lower = parts.next_word().ok().flatten()?;
    let lower = safe_atou32(&lower).ok()?;
    match parts.rest() {
        None => Some((lower, lower)),
        Some("") => None,
        Some(upper) => Some((lower, safe_atou32(upper).ok()?)),
    }
}

/// Parse a CPU list. Reversed ranges are reported in `warnings` and
/// skipped.
pub fn parse_cpu_set(raw: &str, warnings: &mut Vec<ValueError>) -> Result<CpuSet, ValueError> {
    let mut set = CpuSet::new();
    let mut words = Words::new(raw, " \t\n\r,", ExtractFlags::UNQUOTE);
    while let Some(word) = words.next_word()? {
        let (lower, upper) = parse_range(&word).ok_or_else(|| ValueError::CpuSet(word.clone()))?;
        if lower > upper {
            warnings.push(ValueError::CpuRangeReversed(word));
            continue;
        }
        if upper >= CPU_SET_MAX {
            return Err(ValueError::CpuTooLarge(upper.into()));
        }
        for cpu in lower..=upper {
            set.insert(cpu);
        }
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cpus(raw: &str) -> Vec<u32> {
        let mut w = Vec::new();
        parse_cpu_set(raw, &mut w).unwrap().iter().collect()
    }

    #[test]
    fn lists_and_ranges() {
        assert_eq!(cpus("0-3 5,7"), [0, 1, 2, 3, 5, 7]);
        assert_eq!(cpus("1,,2  3"), [1, 2, 3]);
        assert_eq!(cpus("0x3"), [3]);
        assert_eq!(cpus("2-2"), [2]);
        assert_eq!(cpus("8191"), [8191]);
        assert!(cpus("").is_empty());
    }

    #[test]
    fn errors() {
        let mut w = Vec::new();
        for s in ["1-", "-1", "a", "1-2-3", "\"1 2\"", "1.5"] {
            assert!(parse_cpu_set(s, &mut w).is_err(), "{s:?}");
        }
        assert_eq!(parse_cpu_set("8192", &mut w), Err(ValueError::CpuTooLarge(8192)));
        assert_eq!(parse_cpu_set("0-9000", &mut w), Err(ValueError::CpuTooLarge(9000)));
        assert!(w.is_empty());
    }

    #[test]
    fn reversed_range_is_a_warning() {
        let mut w = Vec::new();
        let set = parse_cpu_set("3-1 4", &mut w).unwrap();
        assert_eq!(set.iter().collect::<Vec<_>>(), [4]);
        assert_eq!(w, [ValueError::CpuRangeReversed("3-1".into())]);
    }

    #[test]
    fn printing_and_merge() {
        let mut w = Vec::new();
        let mut a = parse_cpu_set("0-3 5,7 64 65", &mut w).unwrap();
        assert_eq!(a.to_string(), "0-3 5 7 64-65");
        a.merge(&parse_cpu_set("4 200", &mut w).unwrap());
        assert_eq!(a.to_string(), "0-5 7 64-65 200");
        assert!(a.contains(200) && !a.contains(6));
        assert_eq!(CpuSet::new().to_string(), "");
    }
}
