//! Time spans: parsing per `systemd.time(7)`, "PARSING TIME SPANS", and
//! printing as systemd prints them (`format_timespan()`).
//!
//! A span is a sequence of *number [blanks] [unit]* components whose values
//! add up: `5min 20s`, `1h30m`, `2 h`, `300ms20s 5day`. The rules, all
//! taken from systemd 252's `parse_time()` and checked against
//! `systemd-analyze timespan` by `tests/timespan_oracle.rs`:
//!
//! - units: `usec us µs μs`, `msec ms`, `seconds second sec s`,
//!   `minutes minute min m`, `hours hour hr h`, `days day d`,
//!   `weeks week w`, `months month M` (30.4375 days, shown as 30.44 in the
//!   man page), `years year y` (365.25 days); `nsec ns` only where
//!   nanoseconds are the base ([`parse_nsec`]). Units are case-sensitive
//!   (`M` is a month, `m` a minute) and matched by prefix in a fixed order,
//!   so `5mo` is `5m` followed by garbage;
//! - a number without a unit is in the caller's default unit (seconds for
//!   most `…Sec=` settings, microseconds for a few);
//! - fractions: `1.5s`, `.5` (a leading dot is fine, a trailing one is
//!   not); digits beyond the unit's precision are dropped, not rounded;
//! - `infinity` alone (surrounding blanks allowed) is the largest value;
//! - a leading `+` is accepted (libc's `strtoll()`), `-` never is;
//! - any overflow of 2⁶⁴-1 µs is an error, not a saturation.
//!
//! Main types: [`Usec`], a microsecond count where `u64::MAX` means
//! infinity, with [`parse_sec`], [`parse_usec`], [`parse_nsec`] and
//! [`format_timespan`].

use std::fmt;
use std::time::Duration;

use super::error::ValueError;
use super::number::{c_strto, is_ws};

pub const USEC_PER_MSEC: u64 = 1_000;
pub const USEC_PER_SEC: u64 = 1_000_000;
pub const USEC_PER_MINUTE: u64 = 60 * USEC_PER_SEC;
pub const USEC_PER_HOUR: u64 = 60 * USEC_PER_MINUTE;
pub const USEC_PER_DAY: u64 = 24 * USEC_PER_HOUR;
pub const USEC_PER_WEEK: u64 = 7 * USEC_PER_DAY;
pub const USEC_PER_MONTH: u64 = 2_629_800 * USEC_PER_SEC;
pub const USEC_PER_YEAR: u64 = 31_557_600 * USEC_PER_SEC;
pub const NSEC_PER_USEC: u64 = 1_000;

/// A time span in microseconds. `Usec::INFINITY` (`u64::MAX`) is systemd's
/// `USEC_INFINITY`: "never" / "no limit".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Usec(pub u64);

impl Usec {
    pub const ZERO: Usec = Usec(0);
    pub const INFINITY: Usec = Usec(u64::MAX);

    pub fn is_infinite(self) -> bool {
        self.0 == u64::MAX
    }

    pub fn from_secs(s: u64) -> Usec {
        Usec(s.saturating_mul(USEC_PER_SEC))
    }

    /// As a `Duration`; `None` for infinity.
    pub fn to_duration(self) -> Option<Duration> {
        (!self.is_infinite()).then(|| Duration::from_micros(self.0))
    }
}

/// Prints like `format_timespan(usec, 0)`: exact, e.g. `1min 30s`,
/// `1.500000s`, `infinity`, `0`.
impl fmt::Display for Usec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_timespan(self.0, 0))
    }
}

/// Unit suffixes in systemd's matching order: longer spellings first where
/// one is a prefix of another, and `M`/`msec`/`ms` before `m`.
const USEC_UNITS: [(&str, u64); 30] = [
    ("seconds", USEC_PER_SEC),
    ("second", USEC_PER_SEC),
    ("sec", USEC_PER_SEC),
    ("s", USEC_PER_SEC),
    ("minutes", USEC_PER_MINUTE),
    ("minute", USEC_PER_MINUTE),
    ("min", USEC_PER_MINUTE),
    ("months", USEC_PER_MONTH),
    ("month", USEC_PER_MONTH),
    ("M", USEC_PER_MONTH),
    ("msec", USEC_PER_MSEC),
    ("ms", USEC_PER_MSEC),
    ("m", USEC_PER_MINUTE),
    ("hours", USEC_PER_HOUR),
    ("hour", USEC_PER_HOUR),
    ("hr", USEC_PER_HOUR),
    ("h", USEC_PER_HOUR),
    ("days", USEC_PER_DAY),
    ("day", USEC_PER_DAY),
    ("d", USEC_PER_DAY),
    ("weeks", USEC_PER_WEEK),
    ("week", USEC_PER_WEEK),
    ("w", USEC_PER_WEEK),
    ("years", USEC_PER_YEAR),
    ("year", USEC_PER_YEAR),
    ("y", USEC_PER_YEAR),
    ("usec", 1),
    ("us", 1),
    ("\u{3bc}s", 1), // GREEK SMALL LETTER MU
    ("\u{b5}s", 1),  // MICRO SIGN
];

/// The nanosecond table of `parse_nsec()`: the same words, scaled, plus
/// `nsec`/`ns`.
const NSEC_UNITS: [(&str, u64); 32] = {
    let mut t = [("", 0u64); 32];
    let mut i = 0;
    while i < USEC_UNITS.len() {
        t[i] = (USEC_UNITS[i].0, USEC_UNITS[i].1 * NSEC_PER_USEC);
        i += 1;
    }
    t[30] = ("nsec", 1);
    t[31] = ("ns", 1);
    t
};

fn skip_ws(s: &[u8], mut i: usize) -> usize {
    while i < s.len() && is_ws(s[i]) {
        i += 1;
    }
    i
}

/// The shared algorithm of `parse_time()` and `parse_nsec()`.
fn parse_span(t: &str, default_unit: u64, units: &[(&str, u64)]) -> Result<u64, ValueError> {
    let invalid = || ValueError::Timespan(t.to_string());
    let range = || ValueError::TimespanRange(t.to_string());
    let s = t.as_bytes();
    let mut p = skip_ws(s, 0);
    if let Some(rest) = s[p..].strip_prefix(b"infinity") {
        return if rest.iter().all(|&b| is_ws(b)) { Ok(u64::MAX) } else { Err(invalid()) };
    }
    let mut total: u64 = 0;
    let mut something = false;
    loop {
        p = skip_ws(s, p);
        if p == s.len() {
            return if something { Ok(total) } else { Err(invalid()) };
        }
        if s[p] == b'-' {
            return Err(range());
        }
        // strtoll(): a sign is fine, a negative value or overflow is ERANGE.
        let r = c_strto(&s[p..], 10);
        let limit = if r.negative { 0 } else { i64::MAX as u64 };
        if r.overflow || r.magnitude > limit {
            return Err(range());
        }
        let l = if r.negative { 0 } else { r.magnitude };
        let e = p + r.end;
        let has_dot = s.get(e) == Some(&b'.');
        if has_dot {
            p = e + 1;
            while p < s.len() && s[p].is_ascii_digit() {
                p += 1;
            }
        } else if r.end == 0 {
            return Err(invalid());
        } else {
            p = e;
        }
        let after_ws = skip_ws(s, p);
        let (next, multiplier) = units
            .iter()
            .find(|(suffix, _)| s[after_ws..].starts_with(suffix.as_bytes()))
            .map_or((after_ws, default_unit), |&(suffix, m)| (after_ws + suffix.len(), m));
        // "12.34.56" is refused, "12.34 .56" and "12.34s.56" are not.
        if next == p && p < s.len() {
            return Err(invalid());
        }
        p = next;
        if l >= u64::MAX / multiplier {
            return Err(range());
        }
        let k = l * multiplier;
        if k >= u64::MAX - total {
            return Err(range());
        }
        total += k;
        something = true;
        if has_dot {
            let mut m = multiplier / 10;
            let mut b = e + 1;
            while b < s.len() && s[b].is_ascii_digit() {
                let k = u64::from(s[b] - b'0') * m;
                if k >= u64::MAX - total {
                    return Err(range());
                }
                total += k;
                m /= 10;
                b += 1;
            }
            if b == e + 1 {
                return Err(invalid());
            }
        }
    }
}

/// `parse_time(s, default_unit)`: a span whose bare numbers are
/// `default_unit` microseconds each.
pub fn parse_time(s: &str, default_unit: u64) -> Result<Usec, ValueError> {
    parse_span(s, default_unit.max(1), &USEC_UNITS).map(Usec)
}

/// `parse_sec()`: bare numbers are seconds (most `…Sec=` settings).
pub fn parse_sec(s: &str) -> Result<Usec, ValueError> {
    parse_time(s, USEC_PER_SEC)
}

/// `parse_sec_fix_0()`: like [`parse_sec`], but `0` means infinity, as for
/// `TimeoutSec=`, `TimeoutStartSec=`, `RuntimeMaxSec=` and friends.
pub fn parse_sec_fix_0(s: &str) -> Result<Usec, ValueError> {
    parse_sec(s).map(|u| if u.0 == 0 { Usec::INFINITY } else { u })
}

/// Bare numbers are microseconds (`LimitRTTIME=` and a few others).
pub fn parse_usec(s: &str) -> Result<Usec, ValueError> {
    parse_time(s, 1)
}

/// `parse_nsec()`: nanoseconds, `ns`/`nsec` allowed, bare numbers are
/// nanoseconds (`TimerSlackNSec=`). `u64::MAX` is infinity.
pub fn parse_nsec(s: &str) -> Result<u64, ValueError> {
    parse_span(s, 1, &NSEC_UNITS)
}

const FORMAT_UNITS: [(&str, u64); 9] = [
    ("y", USEC_PER_YEAR),
    ("month", USEC_PER_MONTH),
    ("w", USEC_PER_WEEK),
    ("d", USEC_PER_DAY),
    ("h", USEC_PER_HOUR),
    ("min", USEC_PER_MINUTE),
    ("s", USEC_PER_SEC),
    ("ms", USEC_PER_MSEC),
    ("us", 1),
];

/// systemd's `format_timespan(buf, l, t, accuracy)`.
///
/// Components are printed largest first and separated by blanks; the
/// output stops once the remainder is below `accuracy` (0 or 1 print
/// everything). Below one minute a remainder is shown as a decimal fraction
/// of the largest unit instead (`1.500000s` at accuracy 0, `1.5s` at
/// accuracy 100ms). `u64::MAX` prints `infinity`, 0 prints `0`.
pub fn format_timespan(usec: u64, accuracy: u64) -> String {
    if usec == u64::MAX {
        return "infinity".to_string();
    }
    if usec == 0 {
        return "0".to_string();
    }
    let mut out = String::new();
    let mut t = usec;
    let mut something = false;
    for (suffix, unit) in FORMAT_UNITS {
        if t == 0 {
            break;
        }
        if t < accuracy && something {
            break;
        }
        if t < unit {
            continue;
        }
        let a = t / unit;
        let mut b = t % unit;
        if !out.is_empty() {
            out.push(' ');
        }
        let mut done = false;
        if t < USEC_PER_MINUTE && b > 0 {
            let mut j: i32 = 0;
            let mut cc = unit;
            while cc > 1 {
                j += 1;
                cc /= 10;
            }
            let mut cc = accuracy;
            while cc > 1 {
                b /= 10;
                j -= 1;
                cc /= 10;
            }
            if j > 0 {
                out.push_str(&format!("{a}.{b:0width$}{suffix}", width = j as usize));
                t = 0;
                done = true;
            }
        }
        if !done {
            out.push_str(&format!("{a}{suffix}"));
            t = b;
        }
        something = true;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sec(s: &str) -> Result<u64, ValueError> {
        parse_sec(s).map(|u| u.0)
    }

    #[test]
    fn every_unit() {
        let cases: [(&str, u64); 30] = [
            ("1usec", 1),
            ("1us", 1),
            ("1µs", 1),
            ("1μs", 1),
            ("1msec", 1_000),
            ("1ms", 1_000),
            ("1seconds", USEC_PER_SEC),
            ("1second", USEC_PER_SEC),
            ("1sec", USEC_PER_SEC),
            ("1s", USEC_PER_SEC),
            ("1minutes", USEC_PER_MINUTE),
            ("1minute", USEC_PER_MINUTE),
            ("1min", USEC_PER_MINUTE),
            ("1m", USEC_PER_MINUTE),
            ("1hours", USEC_PER_HOUR),
            ("1hour", USEC_PER_HOUR),
            ("1hr", USEC_PER_HOUR),
            ("1h", USEC_PER_HOUR),
            ("1days", USEC_PER_DAY),
            ("1day", USEC_PER_DAY),
            ("1d", USEC_PER_DAY),
            ("1weeks", USEC_PER_WEEK),
            ("1week", USEC_PER_WEEK),
            ("1w", USEC_PER_WEEK),
            ("1months", USEC_PER_MONTH),
            ("1month", USEC_PER_MONTH),
            ("1M", USEC_PER_MONTH),
            ("1years", USEC_PER_YEAR),
            ("1year", USEC_PER_YEAR),
            ("1y", USEC_PER_YEAR),
        ];
        for (s, v) in cases {
            assert_eq!(sec(s), Ok(v), "{s}");
        }
    }

    #[test]
    fn components_blanks_fractions() {
        assert_eq!(sec("5min 20s"), Ok(320 * USEC_PER_SEC));
        assert_eq!(sec("1h30m"), Ok(90 * USEC_PER_MINUTE));
        assert_eq!(sec(" 2 h "), Ok(2 * USEC_PER_HOUR));
        assert_eq!(sec("1.5s"), Ok(1_500_000));
        assert_eq!(sec(".5"), Ok(500_000));
        assert_eq!(sec("12.34 .56"), Ok(12_900_000));
        assert_eq!(sec("1.5us"), Ok(1), "fraction below the unit is dropped");
        assert_eq!(sec("5 6"), Ok(11 * USEC_PER_SEC));
        assert_eq!(sec("+5s"), Ok(5 * USEC_PER_SEC));
        assert_eq!(parse_usec("5").map(|u| u.0), Ok(5));
        assert_eq!(parse_nsec("5"), Ok(5));
        assert_eq!(parse_nsec("5us 3ns"), Ok(5003));
        assert!(parse_sec("5ns").is_err(), "ns only for nanosecond spans");
    }

    #[test]
    fn infinity_and_zero() {
        assert_eq!(parse_sec("infinity"), Ok(Usec::INFINITY));
        assert_eq!(parse_sec(" infinity "), Ok(Usec::INFINITY));
        assert_eq!(parse_nsec("infinity"), Ok(u64::MAX));
        assert!(parse_sec("infinity5").is_err());
        assert!(parse_sec("Infinity").is_err());
        assert_eq!(sec("0"), Ok(0));
        assert_eq!(parse_sec_fix_0("0"), Ok(Usec::INFINITY));
        assert_eq!(parse_sec_fix_0("1"), Ok(Usec(USEC_PER_SEC)));
    }

    #[test]
    fn errors() {
        for s in ["", " ", "foo", "5x", "5mo", "3.", "3.s", "12.34.56", "1e3", "5S", "0x10", "+ 5", "s"] {
            assert_eq!(sec(s), Err(ValueError::Timespan(s.to_string())), "{s:?}");
        }
        for s in ["-0", "-5s", "584542y", "18446744073709551614us", "100000000000000000000"] {
            assert_eq!(sec(s), Err(ValueError::TimespanRange(s.to_string())), "{s:?}");
        }
        assert_eq!(sec("584541y"), Ok(584_541 * USEC_PER_YEAR));
    }

    #[test]
    fn format_like_systemd() {
        assert_eq!(format_timespan(u64::MAX, 0), "infinity");
        assert_eq!(format_timespan(0, 0), "0");
        assert_eq!(format_timespan(90 * USEC_PER_SEC, 0), "1min 30s");
        assert_eq!(format_timespan(100 * USEC_PER_MSEC, 0), "100ms");
        assert_eq!(format_timespan(1_500_000, 0), "1.500000s");
        assert_eq!(format_timespan(1_500_000, USEC_PER_MSEC), "1.500s");
        assert_eq!(format_timespan(61_500_000, 0), "1min 1.500000s");
        assert_eq!(format_timespan(2 * USEC_PER_YEAR, 0), "2y");
        assert_eq!(format_timespan(USEC_PER_MONTH, 0), "1month");
        assert_eq!(format_timespan(USEC_PER_WEEK + 2 * USEC_PER_DAY, 0), "1w 2d");
        assert_eq!(format_timespan(5 * USEC_PER_DAY + 20_300_000, 0), "5d 20.300000s");
        assert_eq!(format_timespan(USEC_PER_HOUR + 1, USEC_PER_SEC), "1h");
        assert_eq!(Usec(1).to_string(), "1us");
    }

    #[test]
    fn format_round_trips_through_parse() {
        for v in [1, 999, 1_000, 1_234_567, 59_999_999, 60_000_000, 3_723_000_042, USEC_PER_YEAR * 3 + 17] {
            assert_eq!(parse_sec(&format_timespan(v, 0)), Ok(Usec(v)), "{v}");
        }
    }
}
