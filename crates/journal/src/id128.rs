//! 128-bit identifiers: machine id, boot id, file id, sequence-number id.
//!
//! The journal stores these as 16 raw bytes and prints them as 32 lowercase
//! hex digits with no dashes (`sd-id128(3)`, "Description"; the `_BOOT_ID=`
//! and `_MACHINE_ID=` fields and the `s=`/`b=` parts of a cursor all use
//! that form). [`Id128::parse`] also accepts the dashed 36-character UUID
//! form, as `sd_id128_from_string()` does, because `/proc/sys/kernel/random/boot_id`
//! is written that way.
//!
//! [`Id128::random`] makes a version-4 UUID from the kernel's random pool,
//! like `sd_id128_randomize()`: the version nibble is 4 and the variant bits
//! are `10`, so the ids we mint look like the ones systemd mints.

use std::fmt;
use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};

/// A 128-bit id as stored on disk (big-endian byte order of its hex form).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Id128(pub [u8; 16]);

impl Id128 {
    /// The all-zero id, which the journal treats as "unset".
    pub const NULL: Id128 = Id128([0; 16]);

    /// True for the all-zero id.
    pub fn is_null(&self) -> bool {
        self.0 == [0; 16]
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// Parses 32 hex digits, or a 36-character UUID with dashes at the
    /// usual places. Either case of hex digit is accepted.
    pub fn parse(text: &str) -> Result<Id128> {
        let bad = || Error::BadId(text.to_string());
        let digits: Vec<u8> = match text.len() {
            32 => text.bytes().collect(),
            36 => {
                let bytes = text.as_bytes();
                if [8, 13, 18, 23].iter().any(|&i| bytes.get(i) != Some(&b'-')) {
                    return Err(bad());
                }
                text.bytes().filter(|&b| b != b'-').collect()
            }
            _ => return Err(bad()),
        };
        if digits.len() != 32 {
            return Err(bad());
        }
        let mut out = [0u8; 16];
        for (slot, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
            let hi = hex_value(pair[0]).ok_or_else(bad)?;
            let lo = hex_value(pair[1]).ok_or_else(bad)?;
            *slot = (hi << 4) | lo;
        }
        Ok(Id128(out))
    }

    /// 32 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        String::from_utf8_lossy(&self.hex_bytes()).into_owned()
    }

    /// The 32 lowercase hex digits as bytes, without formatting machinery
    /// (the journal daemon writes two ids into every entry).
    pub fn hex_bytes(&self) -> [u8; 32] {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut out = [0u8; 32];
        for (pair, byte) in out.chunks_exact_mut(2).zip(self.0) {
            pair[0] = DIGITS[usize::from(byte >> 4)];
            pair[1] = DIGITS[usize::from(byte & 0x0f)];
        }
        out
    }

    /// A fresh random version-4 id from the kernel's pool: `getrandom(2)`
    /// (one syscall; the journal makes an id for every stdout stream it
    /// accepts), `/dev/urandom` where that call is missing or fails —
    /// `GRND_NONBLOCK`: early in boot, before the pool is initialised,
    /// `getrandom` would block where `/dev/urandom` does not.
    pub fn random() -> Result<Id128> {
        let mut bytes = [0u8; 16];
        // SAFETY: the kernel writes at most `bytes.len()` bytes into it.
        let n = unsafe { libc::getrandom(bytes.as_mut_ptr().cast(), bytes.len(), libc::GRND_NONBLOCK) };
        if usize::try_from(n).ok() != Some(bytes.len()) {
            let path = Path::new("/dev/urandom");
            std::fs::File::open(path)
                .and_then(|mut f| f.read_exact(&mut bytes))
                .map_err(|source| Error::io(path, "read random bytes from", source))?;
        }
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        Ok(Id128(bytes))
    }

    /// This machine's id from `/etc/machine-id` (`machine-id(5)`).
    pub fn machine_id() -> Result<Id128> {
        Self::read_from(Path::new("/etc/machine-id"))
    }

    /// The current boot's id from `/proc/sys/kernel/random/boot_id`.
    pub fn boot_id() -> Result<Id128> {
        Self::read_from(Path::new("/proc/sys/kernel/random/boot_id"))
    }

    fn read_from(path: &Path) -> Result<Id128> {
        let text =
            std::fs::read_to_string(path).map_err(|source| Error::io(path, "read", source))?;
        Id128::parse(text.trim())
    }
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

impl fmt::Display for Id128 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // hex_bytes is ASCII by construction.
        f.write_str(std::str::from_utf8(&self.hex_bytes()).unwrap_or_default())
    }
}

impl fmt::Debug for Id128 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id128({self})")
    }
}

impl std::str::FromStr for Id128 {
    type Err = Error;
    fn from_str(s: &str) -> Result<Id128> {
        Id128::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_uuid_form() {
        let id = Id128::parse("70982930a27148b3acccf2f66abe9482").unwrap();
        assert_eq!(id.to_hex(), "70982930a27148b3acccf2f66abe9482");
        let dashed = Id128::parse("70982930-a271-48b3-accc-f2f66abe9482").unwrap();
        assert_eq!(id, dashed);
        assert_eq!(
            Id128::parse("70982930A27148B3ACCCF2F66ABE9482").unwrap(),
            id
        );
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "7098293",
            "70982930a27148b3acccf2f66abe948",
            "70982930a27148b3acccf2f66abe948g",
            "70982930xa271-48b3-accc-f2f66abe9482",
            "70982930-a271-48b3-accc-f2f66abe948-",
        ] {
            assert!(Id128::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn random_is_v4() {
        let id = Id128::random().unwrap();
        assert_eq!(id.0[6] >> 4, 4);
        assert_eq!(id.0[8] >> 6, 2);
        assert_ne!(id, Id128::random().unwrap());
    }
}
