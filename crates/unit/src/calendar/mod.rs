//! Calendar events (`systemd.time(7)`, "CALENDAR EVENTS"): the language of
//! `OnCalendar=` and `systemd-analyze calendar`, parsed, printed in
//! normalized form and iterated the way systemd 252 does it.
//!
//! Main types: [`CalendarSpec`] ([`CalendarSpec::parse`], `Display` for the
//! "Normalized form:", [`CalendarSpec::next_elapse`]), [`CalendarError`],
//! and [`tz::TimeZone`] for local time.
//!
//! # The language
//!
//! `[WEEKDAYS] [[YEAR-]MONTH-DAY] [HOUR:MINUTE[:SECOND]] [ZONE]`, where every
//! date and time field is `*` or a comma list of `VALUE`, `START..STOP`,
//! `VALUE/REPEAT` or `START..STOP/REPEAT`. Seconds may carry six decimals
//! (a seventh rounds). A missing date is `*-*-*`, a missing time
//! `00:00:00`, missing seconds `00`. Years below 70 mean 20xx, 70…99 mean
//! 19xx; years must lie in 1970…2199. `~` instead of the `-` before the day
//! counts days back from the end of the month (`*-02~03` is the third last
//! day of February). Weekdays are English names or three-letter
//! abbreviations in any case, listed with `,` and ranged with `..` (or the
//! old `-`), never wrapping past Sunday. `@SECONDS` is one instant in UTC.
//! The words `minutely`, `hourly`, `daily`, `weekly`, `monthly`, `yearly`
//! (`annually`, and the misspelt `anually`), `quarterly` and
//! `semiannually` (`biannually`, `bi-annually`, `semi-annually`) are
//! shorthands, matched without regard to case. `now`, `today` and other
//! timestamp words are *not* calendar events (systemd's parser refuses
//! them too).
//!
//! The zone suffix, tried in this order as `calendar_spec_from_string()`
//! tries it: ` UTC` in any case; one of the local zone's two `tzname`
//! abbreviations (`CET`/`CEST` under `TZ=Europe/Berlin`), which pins
//! standard or daylight time (`tm_isdst`) and is printed back; an IANA zone
//! name after the last blank, valid when `/usr/share/zoneinfo/NAME` is a
//! TZif file.
//!
//! # Normalization
//!
//! Each field's list is sorted and de-duplicated; a range whose length is
//! not a multiple of its repetition is shortened to the last hit; a
//! repetition that cannot fire twice is dropped; a set of weekdays that is
//! empty or covers all seven days is dropped; `~` without a day list is
//! dropped. Printing uses `..` for runs of three or more weekdays, zero
//! pads fields to 2 digits (4 for years), omits a `/1` repetition of a
//! range and prints fractional seconds with 6 decimals.
//!
//! # Finding the next elapse
//!
//! [`next`] ports `find_next()`: starting one microsecond after the base
//! time, it fixes the year, then month, day, weekday, hour, minute and
//! second in turn, resetting the smaller fields whenever a larger one
//! moves, and re-normalizes the broken-down time through a faithful model
//! of glibc's `mktime()` (including its choice inside daylight-saving gaps
//! and overlaps). That model is what makes the DST behaviour match
//! systemd's, quirks included: a daily 02:30 event skips the day the clocks
//! jump over 02:30, fires once (at the daylight-time 02:30) on the day
//! 02:30 happens twice, and `*-*-* 02:30 CET` under `TZ=Europe/Berlin`
//! never fires at all.

pub mod civil;
mod next;
mod parse;
pub mod tz;

use std::fmt;
use std::path::Path;

use thiserror::Error;

pub use tz::TimeZone;

/// Highest year a calendar event can name or reach.
pub const MAX_YEAR: i64 = 2199;
/// Lowest year a calendar event can name.
pub const MIN_YEAR: i64 = 1970;

const USEC_PER_SEC: i64 = 1_000_000;

/// One element of a field's list: `start[..stop][/repeat]`. For seconds
/// the numbers are microseconds. `stop` is -1 when absent, `repeat` 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Component {
    pub start: i64,
    pub stop: i64,
    pub repeat: i64,
}

/// Which clock a spec is written in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpecZone {
    /// Local time. `dst` is `Some` when the spec named one of the local
    /// zone's abbreviations (`Some(false)` for `tzname[0]`, `Some(true)` for
    /// `tzname[1]`), which is kept for printing.
    Local { dst: Option<(bool, String)> },
    /// ` UTC`.
    Utc,
    /// An IANA zone named in the spec.
    Named(Box<TimeZone>),
}

/// A parsed calendar event. An empty field list means `*`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CalendarSpec {
    /// Bit 0 is Monday … bit 6 Sunday; `None` matches every day.
    pub weekdays: Option<u8>,
    /// The day list counts from the end of the month (`~`).
    pub end_of_month: bool,
    pub zone: SpecZone,
    pub year: Vec<Component>,
    pub month: Vec<Component>,
    pub day: Vec<Component>,
    pub hour: Vec<Component>,
    pub minute: Vec<Component>,
    /// Seconds, in microseconds.
    pub microsecond: Vec<Component>,
}

/// Why a calendar expression was refused; the kinds are the errno values
/// systemd returns, and the message is `systemd-analyze calendar`'s.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("Failed to parse calendar specification '{spec}': {}", .kind.strerror())]
pub struct CalendarError {
    pub spec: String,
    pub kind: CalendarErrorKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CalendarErrorKind {
    /// `EINVAL`: bad syntax or a value outside its field's range.
    Invalid,
    /// `ERANGE`: a number too large to store, or a zero repetition.
    OutOfRange,
    /// `ENOBUFS`: more than 240 list elements in one field.
    TooManyComponents,
}

impl CalendarErrorKind {
    /// The C library's text for the errno.
    pub fn strerror(self) -> &'static str {
        match self {
            CalendarErrorKind::Invalid => "Invalid argument",
            CalendarErrorKind::OutOfRange => "Numerical result out of range",
            CalendarErrorKind::TooManyComponents => "No buffer space available",
        }
    }
}

impl CalendarSpec {
    /// Parse `text` with the process's local zone and the system's zone
    /// files.
    pub fn parse(text: &str) -> Result<CalendarSpec, CalendarError> {
        CalendarSpec::parse_in(text, &TimeZone::local(), Path::new(tz::ZONEINFO_DIR))
    }

    /// Parse `text`, taking the local zone's abbreviations from `local` and
    /// named zones from the directory `zoneinfo`.
    pub fn parse_in(text: &str, local: &TimeZone, zoneinfo: &Path) -> Result<CalendarSpec, CalendarError> {
        parse::parse(text, local, zoneinfo).map_err(|kind| CalendarError { spec: text.to_string(), kind })
    }

    /// The first time, in microseconds since the epoch, strictly after
    /// `after` at which the event elapses, computed in `local` time unless
    /// the spec names UTC or a zone of its own. `None` when it never
    /// elapses again (past year 2199, an impossible date like `*-02-30`)
    /// or when `after` is beyond year 9999 or systemd's 1000-step guard
    /// trips — systemd skips such a spec the same way.
    pub fn next_elapse(&self, after: u64, local: &TimeZone) -> Option<u64> {
        next::next_usec(self, after, local)
    }
}

fn write_weekdays(f: &mut fmt::Formatter<'_>, bits: u8) -> fmt::Result {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let mut need_comma = false;
    let mut run_start: Option<usize> = None;
    let mut x = 0;
    while x < DAYS.len() {
        if bits & (1 << x) != 0 {
            if run_start.is_none() {
                if need_comma {
                    f.write_str(",")?;
                }
                need_comma = true;
                f.write_str(DAYS[x])?;
                run_start = Some(x);
            }
        } else if let Some(l) = run_start.take() {
            if x > l + 1 {
                f.write_str(if x > l + 2 { ".." } else { "," })?;
                f.write_str(DAYS[x - 1])?;
            }
        }
        x += 1;
    }
    if let Some(l) = run_start {
        if x > l + 1 {
            f.write_str(if x > l + 2 { ".." } else { "," })?;
            f.write_str(DAYS[x - 1])?;
        }
    }
    Ok(())
}

fn write_chain(f: &mut fmt::Formatter<'_>, width: usize, chain: &[Component], usec: bool) -> fmt::Result {
    let d = if usec { USEC_PER_SEC } else { 1 };
    let star = chain.is_empty() || (usec && chain.iter().any(|c| c.start == 0 && c.stop < 0 && c.repeat == USEC_PER_SEC));
    if star {
        return f.write_str("*");
    }
    for (i, c) in chain.iter().enumerate() {
        if i > 0 {
            f.write_str(",")?;
        }
        write!(f, "{:0width$}", c.start / d)?;
        if c.start % d > 0 {
            write!(f, ".{:06}", c.start % d)?;
        }
        if c.stop > 0 {
            write!(f, "..{:0width$}", c.stop / d)?;
        }
        if c.stop % d > 0 {
            write!(f, ".{:06}", c.stop % d)?;
        }
        if c.repeat > 0 && !(c.stop > 0 && c.repeat == d) {
            write!(f, "/{}", c.repeat / d)?;
        }
        if c.repeat % d > 0 {
            write!(f, ".{:06}", c.repeat % d)?;
        }
    }
    Ok(())
}

/// The normalized form, as `systemd-analyze calendar` prints it.
impl fmt::Display for CalendarSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(bits) = self.weekdays {
            write_weekdays(f, bits)?;
            f.write_str(" ")?;
        }
        write_chain(f, 4, &self.year, false)?;
        f.write_str("-")?;
        write_chain(f, 2, &self.month, false)?;
        f.write_str(if self.end_of_month { "~" } else { "-" })?;
        write_chain(f, 2, &self.day, false)?;
        f.write_str(" ")?;
        write_chain(f, 2, &self.hour, false)?;
        f.write_str(":")?;
        write_chain(f, 2, &self.minute, false)?;
        f.write_str(":")?;
        write_chain(f, 2, &self.microsecond, true)?;
        match &self.zone {
            SpecZone::Utc => f.write_str(" UTC"),
            SpecZone::Named(z) => write!(f, " {}", z.name()),
            SpecZone::Local { dst: Some((_, abbrev)) } if !abbrev.is_empty() => write!(f, " {abbrev}"),
            SpecZone::Local { .. } => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests;
