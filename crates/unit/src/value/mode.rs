//! Octal file modes (`UMask=`, `SocketMode=`, `DirectoryMode=`, …), read
//! with systemd's `parse_mode()`.
//!
//! The value is always octal, whether or not it starts with `0` (`UMask=77`
//! is 077). Signs are refused outright (someone writing `+x` expects chmod
//! syntax, which this is not), as are `0o`/`0x` prefixes and anything above
//! 07777. Leading blanks are skipped, as `strtoul()` does.

use super::error::ValueError;
use super::number::{safe_atou64_full, AtoError};

/// The largest mode: all permission bits plus setuid, setgid and sticky.
pub const MODE_MAX: u32 = 0o7777;

/// `parse_mode()`.
pub fn parse_mode(s: &str) -> Result<u32, ValueError> {
    match safe_atou64_full(s, 8, true) {
        Ok(m) if m <= u64::from(MODE_MAX) => Ok(m as u32),
        Ok(_) | Err(AtoError::Range) => Err(ValueError::Range { text: s.to_string(), min: 0, max: MODE_MAX.into() }),
        Err(AtoError::Invalid) => Err(ValueError::Mode(s.to_string())),
    }
}

/// How systemd prints a mode: four octal digits (`0022`).
pub fn format_mode(mode: u32) -> String {
    format!("{mode:04o}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn octal_always() {
        assert_eq!(parse_mode("022"), Ok(0o22));
        assert_eq!(parse_mode("77"), Ok(0o77));
        assert_eq!(parse_mode("0"), Ok(0));
        assert_eq!(parse_mode("7777"), Ok(0o7777));
        assert_eq!(parse_mode(" 0644"), Ok(0o644));
    }

    #[test]
    fn refused_forms() {
        for s in ["", "+077", "-077", "0o77", "0x1f", "8", "0644x", "rwx", "06 44"] {
            assert_eq!(parse_mode(s), Err(ValueError::Mode(s.to_string())), "{s:?}");
        }
    }

    #[test]
    fn range() {
        assert!(matches!(parse_mode("10000"), Err(ValueError::Range { .. })));
        assert!(matches!(parse_mode("77777777777777777777777777"), Err(ValueError::Range { .. })));
    }

    #[test]
    fn printing() {
        assert_eq!(format_mode(0o22), "0022");
        assert_eq!(format_mode(0o4755), "4755");
    }
}
