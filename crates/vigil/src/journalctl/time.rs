//! Times for `journalctl`: parsing `--since=`/`--until=`/`--vacuum-time=`
//! and formatting timestamps the way journalctl 252 prints them.
//!
//! Parsing follows `systemd.time(7)`, "Parsing Timestamps": `now`,
//! `today`, `yesterday`, `tomorrow` (midnight, local time); relative
//! `+5min`, `-1h`, `2 hours ago`, `1h left`; `@EPOCH`; absolute
//! `[WEEKDAY] YYYY-MM-DD [HH:MM[:SS[.µs]]] [UTC]` (also with `T` between
//! date and time, and a two-digit year) or `HH:MM[:SS]` (today). Local
//! time means the process time zone (`TZ`), as with the C library; a time
//! given in UTC is converted by calendar arithmetic, without the C library,
//! whose `timegm()` would load the time zone all the same (`systemctl
//! status` parses the `since` timestamp back this way).
//!
//! Formatting goes through the C library's `localtime_r`/`strftime` so
//! that month names, `%z` and `%Z` come out exactly as journalctl's.

use std::ffi::CString;

use unit::calendar::civil;
use unit::value::time::parse_sec;

const USEC_PER_SEC: u64 = 1_000_000;

extern "C" {
    /// POSIX `tzset()`: reads `TZ` (the libc crate does not bind it).
    fn tzset();
}

/// Where this thread stands with the time zone (see [`ZoneScope`]).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Zone {
    /// No scope: every local time looks the zone up again.
    Unscoped,
    /// In a scope that has not needed the zone yet.
    ScopeUnloaded,
    /// In a scope whose first local time looked it up.
    ScopeLoaded,
}

thread_local! {
    static ZONE: std::cell::Cell<Zone> = const { std::cell::Cell::new(Zone::Unscoped) };
}

/// One look at the local time zone for a group of local timestamps — the
/// manager's answer to one `show`/`status` request formats three to six.
/// Outside a scope every local time calls `tzset()` first, so that a
/// changed `TZ` or `/etc/localtime` shows at once; with TZ unset that is a
/// `stat("/etc/localtime")` each. Within one, the first local time calls
/// it and the others use the zone it loaded (glibc's `localtime_r` re-reads
/// nothing by itself); a scope that formats no local time (`is-active`)
/// looks at nothing. A scope lives for one request, so nothing goes stale.
pub struct ZoneScope(());

impl ZoneScope {
    pub fn enter() -> ZoneScope {
        ZONE.set(Zone::ScopeUnloaded);
        ZoneScope(())
    }
}

impl Drop for ZoneScope {
    fn drop(&mut self) {
        ZONE.set(Zone::Unscoped);
    }
}

/// `struct tm` for `t` seconds since the epoch, local or UTC.
fn tm_of(t: i64, utc: bool) -> libc::tm {
    // SAFETY: zeroed tm is a valid out-parameter.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let tt: libc::time_t = t as libc::time_t;
    // SAFETY: valid pointers to a time_t and a tm.
    unsafe {
        if utc {
            libc::gmtime_r(&tt, &mut tm);
        } else {
            match ZONE.get() {
                Zone::ScopeLoaded => {}
                Zone::ScopeUnloaded => {
                    tzset();
                    ZONE.set(Zone::ScopeLoaded);
                }
                Zone::Unscoped => tzset(),
            }
            libc::localtime_r(&tt, &mut tm);
        }
    }
    tm
}

/// `strftime(fmt)` of `usec` (µs since the epoch).
pub fn strftime(fmt: &str, usec: u64, utc: bool) -> String {
    let tm = tm_of((usec / USEC_PER_SEC) as i64, utc);
    let Ok(cfmt) = CString::new(fmt) else {
        return String::new();
    };
    let mut buf = [0u8; 256];
    // SAFETY: buffer and format are valid; strftime never writes past len.
    let n = unsafe { libc::strftime(buf.as_mut_ptr().cast(), buf.len(), cfmt.as_ptr(), &tm) };
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

/// systemd's `format_timestamp()`: `Wed 2026-11-25 16:16:19 UTC`, i.e.
/// `strftime("%a %Y-%m-%d %H:%M:%S %Z")` of the local (or UTC) time.
/// Written from the `struct tm` by hand: every field is a number but the
/// day's name, which vigil never takes from a locale (no personality sets
/// `LC_TIME`, so `%a` is the C locale's), and `%Z` is the `tm_zone` that
/// `localtime_r` filled in, which is where glibc's `strftime` takes it
/// from. A test holds the two to the same text. Why: the manager formats
/// three to six of these per `show`/`status`, and `strftime` with its
/// format string, buffer and UTF-8 check cost ~2.5 k instructions each.
pub fn format_timestamp(usec: u64, utc: bool) -> String {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    let tm = tm_of((usec / USEC_PER_SEC) as i64, utc);
    let day = DAYS.get(tm.tm_wday as usize).copied().unwrap_or("?");
    let zone = if utc || tm.tm_zone.is_null() {
        std::borrow::Cow::Borrowed(if utc { "UTC" } else { "GMT" })
    } else {
        // SAFETY: localtime_r points tm_zone at a NUL-terminated name the
        // C library keeps for as long as the zone is loaded.
        unsafe { std::ffi::CStr::from_ptr(tm.tm_zone) }.to_string_lossy()
    };
    // Digit by digit into a string of the right size: `format!` grew the
    // string from nothing and padded each number through the formatter,
    // which cost as much as `strftime` had (callgrind).
    fn two(out: &mut String, n: i32) {
        let n = n.rem_euclid(100) as u8;
        out.push(char::from(b'0' + n / 10));
        out.push(char::from(b'0' + n % 10));
    }
    let mut out = String::with_capacity(24 + zone.len());
    out.push_str(day);
    out.push(' ');
    let year = tm.tm_year + 1900;
    if (1000..=9999).contains(&year) {
        two(&mut out, year / 100);
        two(&mut out, year);
    } else {
        out.push_str(&year.to_string());
    }
    for (sep, n) in [('-', tm.tm_mon + 1), ('-', tm.tm_mday), (' ', tm.tm_hour), (':', tm.tm_min), (':', tm.tm_sec)] {
        out.push(sep);
        two(&mut out, n);
    }
    out.push(' ');
    out.push_str(&zone);
    out
}

/// systemd's `format_timestamp_us()`: with microseconds.
pub fn format_timestamp_us(usec: u64, utc: bool) -> String {
    let zone = if utc {
        "UTC".to_string()
    } else {
        strftime("%Z", usec, false)
    };
    format!(
        "{}.{:06} {zone}",
        strftime("%a %Y-%m-%d %H:%M:%S", usec, utc),
        usec % USEC_PER_SEC
    )
}

/// The date (year, month 1–12, day) `days` after 1970-01-01
/// (`unit::calendar::civil`, the calendar's own arithmetic).
fn civil_from_days(days: i64) -> (i32, i32, i32) {
    let (y, m, d) = civil::civil_from_days(days);
    (y as i32, m as i32, d as i32)
}

/// The weekday (0 = Sunday) of `t` seconds since the epoch, in UTC.
fn utc_weekday(t: i64) -> i32 {
    civil::weekday_from_days(t.div_euclid(86_400)) as i32
}

/// `timegm()` with `make_time`'s checks, by arithmetic: a UTC time needs
/// no time zone, and the C library's `timegm()`/`gmtime_r()` would load
/// `/etc/localtime` all the same (glibc's `__tz_convert()` initialises
/// the zone on first use) — six system calls of `systemctl status`, whose
/// `since` parses the timestamp back. Rejected as `timegm()`'s
/// normalisation shows: a day the month does not have, second 60 (which
/// moves the minute), a time before the epoch.
fn make_time_utc(year: i32, mon: i32, day: i32, h: i32, m: i32, s: i32) -> Option<u64> {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = match mon {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if !(1..=month_days).contains(&day) || !(0..=23).contains(&h) || !(0..=59).contains(&m) || !(0..=59).contains(&s) {
        return None;
    }
    let days = civil::days_from_civil(i64::from(year), i64::from(mon), i64::from(day));
    let t = days * 86_400 + i64::from(h) * 3600 + i64::from(m) * 60 + i64::from(s);
    (t >= 0).then(|| t as u64 * USEC_PER_SEC)
}

/// µs since the epoch of a broken-down local (or UTC) time; `None` when
/// the C library refuses it.
fn make_time(year: i32, mon: i32, day: i32, h: i32, m: i32, s: i32, utc: bool) -> Option<u64> {
    if utc {
        return make_time_utc(year, mon, day, h, m, s);
    }
    // SAFETY: zeroed tm is valid input once the fields are set.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    tm.tm_year = year - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = day;
    tm.tm_hour = h;
    tm.tm_min = m;
    tm.tm_sec = s;
    tm.tm_isdst = -1;
    // SAFETY: valid pointer to a filled tm.
    let t = unsafe {
        if utc {
            libc::timegm(&mut tm)
        } else {
            tzset();
            libc::mktime(&mut tm)
        }
    };
    // mktime normalises out-of-range fields; systemd rejects them.
    if t < 0 || tm.tm_mday != day || tm.tm_mon != mon - 1 || tm.tm_hour != h || tm.tm_min != m {
        return None;
    }
    Some(t as u64 * USEC_PER_SEC)
}

/// Midnight of the day `offset_days` from today, local time.
fn midnight(now: u64, offset_days: i32) -> Option<u64> {
    let tm = tm_of((now / USEC_PER_SEC) as i64, false);
    // SAFETY: a copy of a valid tm, normalised by mktime.
    let mut t = tm;
    t.tm_mday += offset_days;
    t.tm_hour = 0;
    t.tm_min = 0;
    t.tm_sec = 0;
    t.tm_isdst = -1;
    // SAFETY: valid pointer to a tm.
    let r = unsafe { libc::mktime(&mut t) };
    (r >= 0).then(|| r as u64 * USEC_PER_SEC)
}

const WEEKDAYS: [&str; 7] = [
    "sunday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
];

/// Parses a timestamp relative to `now` (µs). `None`: not a timestamp.
pub fn parse_timestamp(text: &str, now: u64) -> Option<u64> {
    let t = text.trim();
    match t {
        "now" => return Some(now),
        "today" => return midnight(now, 0),
        "yesterday" => return midnight(now, -1),
        "tomorrow" => return midnight(now, 1),
        _ => {}
    }
    if let Some(epoch) = t.strip_prefix('@') {
        let secs: f64 = epoch.parse().ok()?;
        return (secs >= 0.0).then_some((secs * 1e6) as u64);
    }
    if let Some(span) = t.strip_prefix('+') {
        return Some(now.saturating_add(parse_sec(span).ok()?.0));
    }
    if let Some(span) = t.strip_prefix('-') {
        return now.checked_sub(parse_sec(span).ok()?.0);
    }
    if let Some(span) = t.strip_suffix(" ago") {
        return now.checked_sub(parse_sec(span.trim()).ok()?.0);
    }
    if let Some(span) = t.strip_suffix(" left") {
        return Some(now.saturating_add(parse_sec(span.trim()).ok()?.0));
    }
    let (mut rest, utc) = match t.strip_suffix(" UTC") {
        Some(r) => (r.trim_end(), true),
        None => (t, false),
    };
    // An optional weekday, which must then agree with the date.
    let mut weekday = None;
    if let Some((first, after)) = rest.split_once(' ') {
        let w = first.to_ascii_lowercase();
        if let Some(i) = WEEKDAYS
            .iter()
            .position(|d| *d == w || (w.len() == 3 && d.starts_with(&w)))
        {
            weekday = Some(i as i32);
            rest = after.trim_start();
        }
    }
    let (date, time) = match rest.split_once([' ', 'T']) {
        Some((d, tm)) if d.contains('-') => (Some(d), Some(tm)),
        _ if rest.contains('-') => (Some(rest), None),
        _ => (None, Some(rest)),
    };
    let (year, mon, day) = match date {
        Some(d) => {
            let mut it = d.split('-');
            let (y, m, dd) = (it.next()?, it.next()?, it.next()?);
            if it.next().is_some() || m.len() != 2 || dd.len() != 2 {
                return None;
            }
            let mut y: i32 = digits(y)?;
            if d.split('-').next().is_some_and(|s| s.len() == 2) {
                y += if y < 70 { 2000 } else { 1900 };
            }
            (y, digits(m)?, digits(dd)?)
        }
        None if utc => civil_from_days((now / USEC_PER_SEC) as i64 / 86_400),
        None => {
            let tm = tm_of((now / USEC_PER_SEC) as i64, utc);
            (tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday)
        }
    };
    let (h, m, s, frac) = match time {
        None => (0, 0, 0, 0),
        Some(tm) => {
            let (hms, frac) = match tm.split_once('.') {
                Some((a, f)) => {
                    if f.is_empty() || f.len() > 6 || !f.bytes().all(|b| b.is_ascii_digit()) {
                        return None;
                    }
                    (a, format!("{f:0<6}").parse::<u64>().ok()?)
                }
                None => (tm, 0),
            };
            let parts: Vec<&str> = hms.split(':').collect();
            match parts.as_slice() {
                [h, m] if frac == 0 => (digits(h)?, digits(m)?, 0, 0),
                [h, m, s] => (digits(h)?, digits(m)?, digits(s)?, frac),
                _ => return None,
            }
        }
    };
    if !(1..=12).contains(&mon) || !(1..=31).contains(&day) || h > 23 || m > 59 || s > 60 {
        return None;
    }
    let usec = make_time(year, mon, day, h, m, s, utc)? + frac;
    if let Some(w) = weekday {
        let secs = (usec / USEC_PER_SEC) as i64;
        let wday = if utc { utc_weekday(secs) } else { tm_of(secs, false).tm_wday };
        if wday != w {
            return None;
        }
    }
    Some(usec)
}

fn digits(s: &str) -> Option<i32> {
    (!s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> Option<u64> {
        parse_timestamp(text, 1_700_000_000_000_000)
    }

    #[test]
    fn timestamps_are_written_as_strftime_writes_them() {
        // Local (whatever this machine's zone is) and UTC, across years,
        // months, days of the week and a leap day.
        for t in [0u64, 951_782_400, 1_700_000_000, 1_709_210_096, 1_764_158_400, 4_102_444_799, 253_402_300_799, 253_402_300_800] {
            let usec = t * USEC_PER_SEC + 999_999;
            assert_eq!(format_timestamp(usec, false), strftime("%a %Y-%m-%d %H:%M:%S %Z", usec, false), "{t}");
            assert_eq!(format_timestamp(usec, true), format!("{} UTC", strftime("%a %Y-%m-%d %H:%M:%S", usec, true)), "{t}");
        }
    }

    #[test]
    fn absolute_and_relative() {
        assert_eq!(utc("2023-11-14 22:13:20 UTC"), Some(1_700_000_000_000_000));
        assert_eq!(
            utc("2023-11-14T22:13:20.5 UTC"),
            Some(1_700_000_000_500_000)
        );
        assert_eq!(
            utc("Tue 2023-11-14 22:13:20 UTC"),
            Some(1_700_000_000_000_000)
        );
        assert_eq!(utc("Wed 2023-11-14 22:13:20 UTC"), None);
        assert_eq!(utc("2023-11-14 UTC"), Some(1_699_920_000_000_000));
        assert_eq!(utc("now"), Some(1_700_000_000_000_000));
        assert_eq!(utc("-1h"), Some(1_700_000_000_000_000 - 3_600_000_000));
        assert_eq!(utc("+5min"), Some(1_700_000_000_000_000 + 300_000_000));
        assert_eq!(
            utc("2 hours ago"),
            Some(1_700_000_000_000_000 - 7_200_000_000)
        );
        assert_eq!(utc("@1700000000"), Some(1_700_000_000_000_000));
        assert_eq!(utc("garbage"), None);
        assert_eq!(utc("2023-13-01"), None);
        assert_eq!(utc("2023-02-30 UTC"), None);
        assert_eq!(utc("2024-02-29 12:00:00 UTC"), Some(1_709_208_000_000_000));
        assert_eq!(utc("2023-11-14 22:13:60 UTC"), None);
        assert_eq!(utc("1969-12-31 23:59:59 UTC"), None);
        assert_eq!(utc("22:13 UTC"), Some(1_700_000_000_000_000 - 20 * 1_000_000));
    }

    /// The arithmetic UTC calendar agrees with the C library's
    /// `timegm()` and `gmtime_r()`, day by day over four centuries and
    /// then some (leap years, centuries, 2000), and refuses what
    /// `timegm()` normalises.
    #[test]
    fn utc_arithmetic_is_the_c_librarys() {
        let c_timegm = |y: i32, mo: i32, d: i32, h: i32, mi: i32, s: i32| {
            // SAFETY: zeroed tm is valid input once the fields are set.
            let mut tm: libc::tm = unsafe { std::mem::zeroed() };
            (tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec) = (y - 1900, mo - 1, d, h, mi, s);
            // SAFETY: a valid tm.
            let t = unsafe { libc::timegm(&mut tm) };
            let kept = t >= 0 && tm.tm_mday == d && tm.tm_mon == mo - 1 && tm.tm_hour == h && tm.tm_min == mi;
            kept.then(|| t as u64 * USEC_PER_SEC)
        };
        let mut day = 0i64;
        while day < 160_000 {
            let secs = day * 86_400 + 45_296;
            let tm = tm_of(secs, true);
            assert_eq!(civil_from_days(day), (tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday), "day {day}");
            assert_eq!(utc_weekday(secs), tm.tm_wday, "day {day}");
            let (y, mo, d) = civil_from_days(day);
            assert_eq!(make_time_utc(y, mo, d, 12, 34, 56), Some(secs as u64 * USEC_PER_SEC));
            day += 7;
        }
        for (y, mo, d, s) in [(2023, 2, 29, 0), (2024, 2, 30, 0), (2100, 2, 29, 0), (2000, 2, 29, 0), (2023, 4, 31, 0), (2023, 6, 30, 60), (1969, 12, 31, 0), (1970, 1, 1, 0)] {
            assert_eq!(make_time_utc(y, mo, d, 23, 59, s), c_timegm(y, mo, d, 23, 59, s), "{y}-{mo}-{d} :{s}");
        }
    }
}
