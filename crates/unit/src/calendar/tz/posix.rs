//! POSIX `TZ` rule strings (`CET-1CEST,M3.5.0,M10.5.0/3`), as found in
//! the `TZ` environment variable and in the footer of TZif version 2+
//! files, where they describe every time after the last listed
//! transition.
//!
//! Grammar (POSIX.1 "Environment Variables", extended by RFC 8536 §3.3.1
//! to allow hours up to 167 and negative transition times):
//! `std offset [dst [offset] [,start[/time],end[/time]]]`. Names are three
//! or more letters, or anything in `<…>`. Offsets are *west* of UTC
//! (`CET-1` is one hour east), so we negate them. A missing DST offset is
//! the standard one plus an hour; missing rules default to the US rules
//! glibc assumes (`M3.2.0,M11.1.0`). Transition times default to 02:00
//! local time; the start is in standard time and the end in daylight
//! time, as POSIX says.

use super::super::civil::{days_from_civil, days_in_month, is_leap, weekday_from_days, SECS_PER_DAY};

/// When in a year a transition happens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Day {
    /// `Jn`: day 1…365, February 29 never counted.
    Julian1(i64),
    /// `n`: day 0…365, counting February 29.
    Julian0(i64),
    /// `Mm.w.d`: weekday `d` (0 Sunday) of week `w` (1…5, 5 = last) of
    /// month `m`.
    Month { month: i64, week: i64, weekday: i64 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Rule {
    day: Day,
    /// Seconds after local midnight (may be negative or past 24h).
    time: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Dst {
    name: String,
    /// Seconds east of UTC.
    offset: i64,
    start: Rule,
    end: Rule,
}

/// A parsed rule string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PosixTz {
    std_name: String,
    /// Seconds east of UTC.
    std_offset: i64,
    dst: Option<Dst>,
}

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn name(&mut self) -> Option<String> {
        let start = self.i;
        if self.eat(b'<') {
            let body = self.i;
            while let Some(b) = self.peek() {
                if b == b'>' {
                    let n = std::str::from_utf8(self.s.get(body..self.i)?).ok()?.to_string();
                    self.i += 1;
                    return (n.len() >= 3).then_some(n);
                }
                self.i += 1;
            }
            return None;
        }
        while self.peek().is_some_and(|b| b.is_ascii_alphabetic()) {
            self.i += 1;
        }
        let n = std::str::from_utf8(self.s.get(start..self.i)?).ok()?;
        (n.len() >= 3).then(|| n.to_string())
    }

    fn number(&mut self) -> Option<i64> {
        let start = self.i;
        let mut v: i64 = 0;
        while let Some(b) = self.peek().filter(u8::is_ascii_digit) {
            v = v.checked_mul(10)?.checked_add(i64::from(b - b'0'))?;
            self.i += 1;
        }
        (self.i > start).then_some(v)
    }

    /// `[+-]hh[:mm[:ss]]` in seconds, sign applied.
    fn hms(&mut self, max_hours: i64) -> Option<i64> {
        let negative = if self.eat(b'-') {
            true
        } else {
            self.eat(b'+');
            false
        };
        let h = self.number()?;
        if h > max_hours {
            return None;
        }
        let mut secs = h * 3600;
        if self.eat(b':') {
            let m = self.number().filter(|m| *m < 60)?;
            secs += m * 60;
            if self.eat(b':') {
                secs += self.number().filter(|s| *s < 60)?;
            }
        }
        Some(if negative { -secs } else { secs })
    }

    fn rule(&mut self) -> Option<Rule> {
        let day = if self.eat(b'J') {
            Day::Julian1(self.number().filter(|n| (1..=365).contains(n))?)
        } else if self.eat(b'M') {
            let month = self.number().filter(|n| (1..=12).contains(n))?;
            if !self.eat(b'.') {
                return None;
            }
            let week = self.number().filter(|n| (1..=5).contains(n))?;
            if !self.eat(b'.') {
                return None;
            }
            let weekday = self.number().filter(|n| (0..=6).contains(n))?;
            Day::Month { month, week, weekday }
        } else {
            Day::Julian0(self.number().filter(|n| (0..=365).contains(n))?)
        };
        let time = if self.eat(b'/') { self.hms(167)? } else { 2 * 3600 };
        Some(Rule { day, time })
    }
}

impl PosixTz {
    /// Parse a rule string; `None` if it is not one.
    pub fn parse(text: &str) -> Option<PosixTz> {
        let mut c = Cursor { s: text.as_bytes(), i: 0 };
        let std_name = c.name()?;
        let std_offset = -c.hms(24)?;
        if c.peek().is_none() {
            return Some(PosixTz { std_name, std_offset, dst: None });
        }
        let name = c.name()?;
        let offset = match c.peek() {
            Some(b',') | None => std_offset + 3600,
            Some(_) => -c.hms(24)?,
        };
        let (start, end) = if c.eat(b',') {
            let start = c.rule()?;
            if !c.eat(b',') {
                return None;
            }
            (start, c.rule()?)
        } else {
            // glibc's default when a DST name is given without rules.
            (
                Rule { day: Day::Month { month: 3, week: 2, weekday: 0 }, time: 7200 },
                Rule { day: Day::Month { month: 11, week: 1, weekday: 0 }, time: 7200 },
            )
        };
        if c.peek().is_some() {
            return None;
        }
        Some(PosixTz { std_name, std_offset, dst: Some(Dst { name, offset, start, end }) })
    }

    /// `tzname[0]` and `tzname[1]` as glibc sets them from this rule.
    pub fn names(&self) -> (&str, &str) {
        let dst = self.dst.as_ref().map_or(self.std_name.as_str(), |d| d.name.as_str());
        (&self.std_name, dst)
    }

    /// `(offset east of UTC, is DST, abbreviation)` in effect at `t`.
    pub fn at(&self, t: i64) -> (i64, bool, &str) {
        let Some(dst) = &self.dst else {
            return (self.std_offset, false, &self.std_name);
        };
        // glibc takes the year of `t` in UTC; the start is given in
        // standard local time, the end in daylight local time.
        let year = super::super::civil::civil_from_secs(t).year;
        let start = day_of(year, dst.start.day) * SECS_PER_DAY + dst.start.time - self.std_offset;
        let end = day_of(year, dst.end.day) * SECS_PER_DAY + dst.end.time - dst.offset;
        let in_dst = if start < end { t >= start && t < end } else { !(t >= end && t < start) };
        if in_dst {
            (dst.offset, true, &dst.name)
        } else {
            (self.std_offset, false, &self.std_name)
        }
    }
}

/// Days since the epoch of a rule's day in `year`.
fn day_of(year: i64, day: Day) -> i64 {
    let jan1 = days_from_civil(year, 1, 1);
    match day {
        Day::Julian1(n) => jan1 + n - 1 + i64::from(is_leap(year) && n >= 60),
        Day::Julian0(n) => jan1 + n,
        Day::Month { month, week, weekday } => {
            let first = days_from_civil(year, month, 1);
            let shift = (weekday - weekday_from_days(first)).rem_euclid(7);
            let mut d = first + shift + (week - 1) * 7;
            while d >= first + days_in_month(year, month) {
                d -= 7;
            }
            d
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn berlin() {
        let tz = PosixTz::parse("CET-1CEST,M3.5.0,M10.5.0/3").unwrap();
        assert_eq!(tz.names(), ("CET", "CEST"));
        // 2024-03-31 01:00:00 UTC starts CEST, 2024-10-27 01:00:00 UTC ends it.
        assert_eq!(tz.at(1_711_846_799), (3600, false, "CET"));
        assert_eq!(tz.at(1_711_846_800), (7200, true, "CEST"));
        assert_eq!(tz.at(1_729_990_799), (7200, true, "CEST"));
        assert_eq!(tz.at(1_729_990_800), (3600, false, "CET"));
    }

    #[test]
    fn southern_and_bracketed() {
        // Sydney: DST from the first Sunday of October to the first of April.
        let tz = PosixTz::parse("AEST-10AEDT,M10.1.0,M4.1.0/3").unwrap();
        assert!(tz.at(1_704_067_200).1, "January is summer");
        assert!(!tz.at(1_719_792_000).1, "July is winter");
        let tz = PosixTz::parse("<+03>-3").unwrap();
        assert_eq!(tz.at(0), (10_800, false, "+03"));
        assert_eq!(PosixTz::parse("UTC0").unwrap().at(5), (0, false, "UTC"));
        assert_eq!(PosixTz::parse("EST5EDT").unwrap().names(), ("EST", "EDT"));
    }

    #[test]
    fn refuses_garbage() {
        for s in ["", "C", "CET", "CET-1CEST,M3.5", "CET-1CEST,M13.1.0,M10.5.0", "<AB>1", "CET-1x"] {
            assert_eq!(PosixTz::parse(s), None, "{s}");
        }
    }
}
