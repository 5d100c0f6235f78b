//! Resource limits (`LimitCPU=`, `LimitNOFILE=`, …; `systemd.exec(5)`,
//! "PROCESS PROPERTIES"), read like systemd 252's `rlimit_parse()`.
//!
//! A value is `SOFT[:HARD]`; without `:HARD` both are the same, and a soft
//! limit above the hard one is an error. Each side is `infinity` or a
//! value in the resource's unit ([`LimitUnit`]):
//!
//! - `Seconds` (`LimitCPU=`): a time span, bare numbers in seconds,
//!   rounded *up* to whole seconds;
//! - `Usec` (`LimitRTTIME=`): a time span, bare numbers in microseconds;
//! - `Bytes`: a size with 1024-based suffixes;
//! - `Count`: a plain number (C base prefixes apply);
//! - `Nice` (`LimitNICE=`): a raw limit 0…40, or a nice level with explicit
//!   sign, `+0`…`+19` or `-20`…`-0`, stored as `20 - level`; `infinity`
//!   is not accepted.
//!
//! `u64::MAX` (`RLIM_INFINITY`) is "no limit" and cannot be given as a
//! number. Main type: [`Rlimit`].

use crate::directive::LimitUnit;

use super::error::ValueError;
use super::number::{safe_atoi, safe_atou64};
use super::size::parse_size;
use super::time::{parse_sec, parse_usec, USEC_PER_SEC};
use super::words::{ExtractFlags, Words};

/// No limit.
pub const RLIM_INFINITY: u64 = u64::MAX;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rlimit {
    pub soft: u64,
    pub hard: u64,
}

fn one(s: &str, unit: LimitUnit) -> Option<u64> {
    if s == "infinity" && unit != LimitUnit::Nice {
        return Some(RLIM_INFINITY);
    }
    let v = match unit {
        LimitUnit::Count => safe_atou64(s).ok()?,
        LimitUnit::Bytes => parse_size(s, 1024).ok()?,
        LimitUnit::Seconds => {
            let t = parse_sec(s).ok()?;
            if t.is_infinite() {
                return Some(RLIM_INFINITY);
            }
            t.0.div_ceil(USEC_PER_SEC)
        }
        LimitUnit::Usec => {
            let t = parse_usec(s).ok()?;
            if t.is_infinite() {
                return Some(RLIM_INFINITY);
            }
            t.0
        }
        LimitUnit::Nice => {
            return if let Some(rest) = s.strip_prefix('+') {
                let n = safe_atoi(rest).ok()?;
                (0..=19).contains(&n).then(|| (20 - n) as u64)
            } else if s.starts_with('-') {
                let n = safe_atoi(s).ok()?;
                (-20..=0).contains(&n).then(|| (20 - n) as u64)
            } else {
                safe_atou64(s).ok().filter(|&v| v <= 40)
            };
        }
    };
    (v != RLIM_INFINITY).then_some(v)
}

/// `rlimit_parse()` for a resource measured in `unit`.
pub fn parse_rlimit(s: &str, unit: LimitUnit) -> Result<Rlimit, ValueError> {
    let invalid = || ValueError::Limit(s.to_string());
    let mut parts = Words::new(s, ":", ExtractFlags::DONT_COALESCE_SEPARATORS);
    let soft = parts.next_word().map_err(|_| invalid())?.ok_or_else(invalid)?;
    let soft = one(&soft, unit).ok_or_else(invalid)?;
    let hard = parts.next_word().map_err(|_| invalid())?;
    if parts.rest().is_some_and(|r| !r.is_empty()) {
        return Err(invalid());
    }
    let hard = match hard {
        None => soft,
        Some(h) => one(&h, unit).ok_or_else(invalid)?,
    };
    if soft > hard {
        return Err(ValueError::LimitSoftAboveHard(s.to_string()));
    }
    Ok(Rlimit { soft, hard })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lim(s: &str, u: LimitUnit) -> Result<(u64, u64), ValueError> {
        parse_rlimit(s, u).map(|r| (r.soft, r.hard))
    }

    #[test]
    fn counts_and_soft_hard() {
        assert_eq!(lim("1024", LimitUnit::Count), Ok((1024, 1024)));
        assert_eq!(lim("5:6", LimitUnit::Count), Ok((5, 6)));
        assert_eq!(lim("5: 6", LimitUnit::Count), Ok((5, 6)));
        assert_eq!(lim("0x10", LimitUnit::Count), Ok((16, 16)));
        assert_eq!(lim("infinity", LimitUnit::Count), Ok((RLIM_INFINITY, RLIM_INFINITY)));
        assert_eq!(lim("0:infinity", LimitUnit::Count), Ok((0, RLIM_INFINITY)));
        assert_eq!(lim("18446744073709551614", LimitUnit::Count), Ok((u64::MAX - 1, u64::MAX - 1)));
        assert_eq!(lim("10:5", LimitUnit::Count), Err(ValueError::LimitSoftAboveHard("10:5".into())));
        for s in ["1K", "5:", ":5", "5:6:7", "5 :6", "", "18446744073709551615", "-1"] {
            assert_eq!(lim(s, LimitUnit::Count), Err(ValueError::Limit(s.into())), "{s:?}");
        }
    }

    #[test]
    fn times_and_sizes() {
        assert_eq!(lim("1.5s", LimitUnit::Seconds), Ok((2, 2)), "rounded up");
        assert_eq!(lim("1us", LimitUnit::Seconds), Ok((1, 1)));
        assert_eq!(lim("0", LimitUnit::Seconds), Ok((0, 0)));
        assert_eq!(lim("2min:infinity", LimitUnit::Seconds), Ok((120, RLIM_INFINITY)));
        assert_eq!(lim("1s", LimitUnit::Usec), Ok((1_000_000, 1_000_000)));
        assert_eq!(lim("5", LimitUnit::Usec), Ok((5, 5)));
        assert_eq!(lim("1.5", LimitUnit::Usec), Ok((1, 1)));
        assert_eq!(lim("1.5K", LimitUnit::Bytes), Ok((1536, 1536)));
        assert!(lim("1x", LimitUnit::Bytes).is_err());
    }

    #[test]
    fn nice() {
        assert_eq!(lim("+5", LimitUnit::Nice), Ok((15, 15)));
        assert_eq!(lim("-5", LimitUnit::Nice), Ok((25, 25)));
        assert_eq!(lim("-0", LimitUnit::Nice), Ok((20, 20)));
        assert_eq!(lim("+0", LimitUnit::Nice), Ok((20, 20)));
        assert_eq!(lim("30", LimitUnit::Nice), Ok((30, 30)));
        assert_eq!(lim("0x10", LimitUnit::Nice), Ok((16, 16)));
        assert_eq!(lim("+0x10", LimitUnit::Nice), Ok((4, 4)));
        for s in ["41", "1000", "-21", "+20", "infinity"] {
            assert!(lim(s, LimitUnit::Nice).is_err(), "{s}");
        }
    }
}
