//! Journal cursors: `s=<seqnum_id>;i=<seqnum>;b=<boot_id>;m=<monotonic>;t=<realtime>;x=<xor_hash>`.
//!
//! `sd_journal_get_cursor(3)` describes cursors as opaque; their shape is
//! nevertheless stable and scripts store them (`journalctl --cursor-file`).
//! Numbers are lowercase hex without padding, ids 32 hex digits.
//!
//! Parsing follows `sd_journal_seek_cursor()`: `;`-separated `k=v` parts in
//! any order, unknown keys ignored, and the cursor must locate an entry by
//! at least one of (seqnum id + seqnum), (boot id + monotonic), realtime.
//! Seeking ([`Journal::seek_cursor`](crate::Journal::seek_cursor)) prefers
//! them in that order, falling back when a file has a different seqnum id or
//! lacks the boot.

use std::fmt;

use crate::error::{Error, Result};
use crate::id128::Id128;

/// A parsed cursor. Cursors made from an entry have every part set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cursor {
    pub seqnum_id: Option<Id128>,
    pub seqnum: Option<u64>,
    pub boot_id: Option<Id128>,
    pub monotonic: Option<u64>,
    pub realtime: Option<u64>,
    pub xor_hash: Option<u64>,
}

impl Cursor {
    /// Parses a cursor string.
    pub fn parse(text: &str) -> Result<Cursor> {
        let bad = || Error::BadCursor(text.to_string());
        let mut c = Cursor::default();
        for word in text.split(';') {
            // Byte 1 being `=` makes byte 0 ASCII and byte 2 a char boundary.
            let (Some(&key), Some(b'=')) = (word.as_bytes().first(), word.as_bytes().get(1)) else {
                return Err(bad());
            };
            let value = word.get(2..).unwrap_or("");
            let hex = || u64::from_str_radix(value, 16).map_err(|_| bad());
            match key {
                b's' => c.seqnum_id = Some(Id128::parse(value).map_err(|_| bad())?),
                b'i' => c.seqnum = Some(hex()?),
                b'b' => c.boot_id = Some(Id128::parse(value).map_err(|_| bad())?),
                b'm' => c.monotonic = Some(hex()?),
                b't' => c.realtime = Some(hex()?),
                b'x' => c.xor_hash = Some(hex()?),
                _ => {}
            }
        }
        let by_seqnum = c.seqnum_id.is_some() && c.seqnum.is_some();
        let by_monotonic = c.boot_id.is_some() && c.monotonic.is_some();
        if !by_seqnum && !by_monotonic && c.realtime.is_none() {
            return Err(bad());
        }
        Ok(c)
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sep = "";
        let mut part = |f: &mut fmt::Formatter<'_>, text: String| {
            let r = write!(f, "{sep}{text}");
            sep = ";";
            r
        };
        if let Some(v) = self.seqnum_id {
            part(f, format!("s={v}"))?;
        }
        if let Some(v) = self.seqnum {
            part(f, format!("i={v:x}"))?;
        }
        if let Some(v) = self.boot_id {
            part(f, format!("b={v}"))?;
        }
        if let Some(v) = self.monotonic {
            part(f, format!("m={v:x}"))?;
        }
        if let Some(v) = self.realtime {
            part(f, format!("t={v:x}"))?;
        }
        if let Some(v) = self.xor_hash {
            part(f, format!("x={v:x}"))?;
        }
        Ok(())
    }
}

impl std::str::FromStr for Cursor {
    type Err = Error;
    fn from_str(s: &str) -> Result<Cursor> {
        Cursor::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REAL: &str = "s=8ec1f3989c3e4b519314127bde156acc;i=1;b=70982930a27148b3acccf2f66abe9482;m=289ce8c8;t=6611b865d5b6d;x=72fc155d8b723517";

    #[test]
    fn round_trip_of_a_journalctl_cursor() {
        let c = Cursor::parse(REAL).unwrap();
        assert_eq!(c.seqnum, Some(1));
        assert_eq!(c.monotonic, Some(0x289c_e8c8));
        assert_eq!(c.to_string(), REAL);
    }

    #[test]
    fn partial_and_bad_cursors() {
        assert_eq!(Cursor::parse("t=10").unwrap().realtime, Some(16));
        assert!(Cursor::parse("i=10").is_err());
        assert!(Cursor::parse("").is_err());
        assert!(Cursor::parse("t=zz").is_err());
        assert!(Cursor::parse("t10").is_err());
        assert_eq!(Cursor::parse("q=1;t=1").unwrap().realtime, Some(1));
        assert!(Cursor::parse("€=1").is_err());
    }
}
