//! Times for `journalctl`: parsing `--since=`/`--until=`/`--vacuum-time=`
//! and formatting timestamps the way journalctl 252 prints them.
//!
//! Parsing follows `systemd.time(7)`, "Parsing Timestamps": `now`,
//! `today`, `yesterday`, `tomorrow` (midnight, local time); relative
//! `+5min`, `-1h`, `2 hours ago`, `1h left`; `@EPOCH`; absolute
//! `[WEEKDAY] YYYY-MM-DD [HH:MM[:SS[.µs]]] [UTC]` (also with `T` between
//! date and time, and a two-digit year) or `HH:MM[:SS]` (today). Local
//! time means the process time zone (`TZ`), as with the C library.
//!
//! Formatting goes through the C library's `localtime_r`/`strftime` so
//! that month names, `%z` and `%Z` come out exactly as journalctl's.

use std::ffi::CString;

use unit::value::time::parse_sec;

const USEC_PER_SEC: u64 = 1_000_000;

extern "C" {
    /// POSIX `tzset()`: reads `TZ` (the libc crate does not bind it).
    fn tzset();
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
            tzset();
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

/// systemd's `format_timestamp()`: `Wed 2026-11-25 16:16:19 UTC`.
pub fn format_timestamp(usec: u64, utc: bool) -> String {
    let zone = if utc {
        "UTC".to_string()
    } else {
        strftime("%Z", usec, false)
    };
    format!("{} {zone}", strftime("%a %Y-%m-%d %H:%M:%S", usec, utc))
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

/// µs since the epoch of a broken-down local (or UTC) time; `None` when
/// the C library refuses it.
fn make_time(year: i32, mon: i32, day: i32, h: i32, m: i32, s: i32, utc: bool) -> Option<u64> {
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
        if tm_of((usec / USEC_PER_SEC) as i64, utc).tm_wday != w {
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
    }
}
