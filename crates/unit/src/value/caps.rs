//! Capability sets (`CapabilityBoundingSet=`, `AmbientCapabilities=`) and
//! `SecureBits=` (`systemd.exec(5)`, "CAPABILITIES" and "SECURITY").
//!
//! A capability list is split at blanks (quotes group, unbalanced quotes
//! are tolerated); a leading `~` inverts the whole list. Each word is a
//! capability name in any case (`cap_chown`, `CAP_CHOWN`, `Cap_Chown`) or
//! its number 0…40 (C base prefixes apply). Unknown words are skipped — in
//! systemd silently, here with a warning so `verify` can mention them.
//! The names and numbers are those of `systemd-analyze capability` on
//! systemd 252 (kernel capabilities up to `cap_checkpoint_restore`).
//!
//! Main types: [`CapabilitySet`], [`SecureBits`].

use super::error::ValueError;
use super::number::safe_atoi;
use super::words::{ExtractFlags, Words, WHITESPACE};

/// Capability names by number.
pub const CAPABILITIES: [&str; 41] = [
    "cap_chown",
    "cap_dac_override",
    "cap_dac_read_search",
    "cap_fowner",
    "cap_fsetid",
    "cap_kill",
    "cap_setgid",
    "cap_setuid",
    "cap_setpcap",
    "cap_linux_immutable",
    "cap_net_bind_service",
    "cap_net_broadcast",
    "cap_net_admin",
    "cap_net_raw",
    "cap_ipc_lock",
    "cap_ipc_owner",
    "cap_sys_module",
    "cap_sys_rawio",
    "cap_sys_chroot",
    "cap_sys_ptrace",
    "cap_sys_pacct",
    "cap_sys_admin",
    "cap_sys_boot",
    "cap_sys_nice",
    "cap_sys_resource",
    "cap_sys_time",
    "cap_sys_tty_config",
    "cap_mknod",
    "cap_lease",
    "cap_audit_write",
    "cap_audit_control",
    "cap_setfcap",
    "cap_mac_override",
    "cap_mac_admin",
    "cap_syslog",
    "cap_wake_alarm",
    "cap_block_suspend",
    "cap_audit_read",
    "cap_perfmon",
    "cap_bpf",
    "cap_checkpoint_restore",
];

/// Every known capability.
pub const CAP_MASK_ALL: u64 = (1 << CAPABILITIES.len()) - 1;

/// `capability_from_name()`: a number below the table size, or a name in
/// any case.
pub fn capability_from_name(s: &str) -> Option<u32> {
    if let Ok(n) = safe_atoi(s) {
        return usize::try_from(n).ok().filter(|&n| n < CAPABILITIES.len()).map(|n| n as u32);
    }
    CAPABILITIES.iter().position(|c| c.eq_ignore_ascii_case(s)).map(|i| i as u32)
}

/// The lower-case name of capability `n`.
pub fn capability_name(n: u32) -> Option<&'static str> {
    CAPABILITIES.get(n as usize).copied()
}

/// One assignment of a capability directive: the named bits, and whether
/// `~` asked for everything *except* them. How assignments combine (the
/// bounding set starts full, the ambient set empty) is the directive's
/// business; [`CapabilitySet::effective`] gives the mask of one assignment
/// on its own.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct CapabilitySet {
    pub invert: bool,
    pub mask: u64,
}

impl CapabilitySet {
    /// The capabilities this assignment selects by itself.
    pub fn effective(&self) -> u64 {
        if self.invert {
            !self.mask & CAP_MASK_ALL
        } else {
            self.mask
        }
    }

    /// Names of the capabilities in `mask`, as systemd lists them.
    pub fn names(mask: u64) -> impl Iterator<Item = &'static str> {
        CAPABILITIES.iter().enumerate().filter(move |(i, _)| mask & (1 << i) != 0).map(|(_, n)| *n)
    }
}

/// Parse a capability list. Unknown names are skipped with a warning.
pub fn parse_capabilities(raw: &str, warnings: &mut Vec<ValueError>) -> CapabilitySet {
    let (invert, list) = match raw.strip_prefix('~') {
        Some(rest) => (true, rest),
        None => (false, raw),
    };
    let mut set = CapabilitySet { invert, mask: 0 };
    let mut words = Words::new(list, WHITESPACE, ExtractFlags::UNQUOTE | ExtractFlags::RELAX);
    // With RELAX the splitter only fails on bad UTF-8, which no
    // capability name can contain; stop there like on the end.
    while let Ok(Some(word)) = words.next_word() {
        match capability_from_name(&word) {
            Some(n) => set.mask |= 1 << n,
            None => warnings.push(ValueError::Capability(word)),
        }
    }
    set
}

/// `SecureBits=` flags, bit positions as in `<linux/securebits.h>`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SecureBits(pub u32);

/// The flag words `SecureBits=` knows, with their bits.
pub const SECURE_BITS: [(&str, u32); 6] = [
    ("noroot", 1 << 0),
    ("noroot-locked", 1 << 1),
    ("no-setuid-fixup", 1 << 2),
    ("no-setuid-fixup-locked", 1 << 3),
    ("keep-caps", 1 << 4),
    ("keep-caps-locked", 1 << 5),
];

/// `secure_bits_from_string()`: exact, case-sensitive words; unknown ones
/// are skipped (silently in systemd, with a warning here).
pub fn parse_secure_bits(raw: &str, warnings: &mut Vec<ValueError>) -> SecureBits {
    let mut bits = 0;
    let mut words = Words::new(raw, WHITESPACE, ExtractFlags::UNQUOTE | ExtractFlags::RELAX);
    while let Ok(Some(word)) = words.next_word() {
        match SECURE_BITS.iter().find(|(n, _)| *n == word) {
            Some((_, b)) => bits |= b,
            None => warnings.push(ValueError::SecureBit(word)),
        }
    }
    SecureBits(bits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_numbers_case() {
        assert_eq!(capability_from_name("cap_chown"), Some(0));
        assert_eq!(capability_from_name("CAP_NET_ADMIN"), Some(12));
        assert_eq!(capability_from_name("Cap_Chown"), Some(0));
        assert_eq!(capability_from_name("12"), Some(12));
        assert_eq!(capability_from_name("0x10"), Some(16));
        assert_eq!(capability_from_name("40"), Some(40));
        assert_eq!(capability_from_name("41"), None);
        assert_eq!(capability_from_name("-1"), None);
        assert_eq!(capability_from_name("CAP_FOO"), None);
        assert_eq!(capability_from_name("chown"), None);
        assert_eq!(capability_name(21), Some("cap_sys_admin"));
    }

    #[test]
    fn lists_and_unknowns() {
        let mut w = Vec::new();
        let s = parse_capabilities("CAP_FOO cap_net_admin 12 Cap_Chown", &mut w);
        assert_eq!(s, CapabilitySet { invert: false, mask: 1 | 1 << 12 });
        assert_eq!(w, [ValueError::Capability("CAP_FOO".into())]);
        assert_eq!(CapabilitySet::names(s.mask).collect::<Vec<_>>(), ["cap_chown", "cap_net_admin"]);
    }

    #[test]
    fn inversion() {
        let mut w = Vec::new();
        let s = parse_capabilities("~CAP_SYS_ADMIN", &mut w);
        assert!(s.invert);
        assert_eq!(s.effective(), CAP_MASK_ALL & !(1 << 21));
        assert_eq!(parse_capabilities("~ CAP_SYS_ADMIN", &mut w), s);
        assert_eq!(parse_capabilities("~", &mut w).effective(), CAP_MASK_ALL);
        assert_eq!(parse_capabilities("", &mut w).effective(), 0);
    }

    #[test]
    fn quoted_word_is_one_name() {
        let mut w = Vec::new();
        let s = parse_capabilities("\"CAP_CHOWN CAP_KILL\"", &mut w);
        assert_eq!(s.mask, 0);
        assert_eq!(w.len(), 1);
    }

    #[test]
    fn secure_bits() {
        let mut w = Vec::new();
        assert_eq!(parse_secure_bits("keep-caps noroot-locked", &mut w), SecureBits(0b10010));
        assert!(w.is_empty());
        assert_eq!(parse_secure_bits("Keep-Caps bogus", &mut w), SecureBits(0));
        assert_eq!(w, [ValueError::SecureBit("Keep-Caps".into()), ValueError::SecureBit("bogus".into())]);
        assert_eq!(parse_secure_bits("", &mut w), SecureBits(0));
    }
}
