//! Unit tests of parsing, printing and iteration; the differential test
//! against `systemd-analyze calendar` is `tests/calendar_oracle.rs`.

use std::path::Path;

use super::*;

fn utc() -> TimeZone {
    TimeZone::utc()
}

fn spec(s: &str) -> CalendarSpec {
    CalendarSpec::parse_in(s, &utc(), Path::new(tz::ZONEINFO_DIR)).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn err(s: &str) -> CalendarErrorKind {
    CalendarSpec::parse_in(s, &utc(), Path::new(tz::ZONEINFO_DIR)).map(|s| s.to_string()).unwrap_err().kind
}

/// 2024-01-01 00:00:00 UTC, a Monday.
const BASE: u64 = 1_704_067_200_000_000;

#[test]
fn normalized_forms() {
    for (input, want) in [
        ("daily", "*-*-* 00:00:00"),
        ("Mon..Fri *-*-* 10:00", "Mon..Fri *-*-* 10:00:00"),
        ("mon,tue,wed", "Mon..Wed *-*-* 00:00:00"),
        ("Sat,Sun", "Sat,Sun *-*-* 00:00:00"),
        ("Mon-Sun", "*-*-* 00:00:00"),
        ("*:0/15", "*-*-* *:00/15:00"),
        ("12-25", "*-12-25 00:00:00"),
        ("24-02-29 1:2:3.5", "2024-02-29 01:02:03.500000"),
        ("*-*~1", "*-*~01 00:00:00"),
        ("quarterly", "*-01,04,07,10-01 00:00:00"),
        ("1..5/2:00", "*-*-* 01..05/2:00:00"),
        ("1..6/2:00", "*-*-* 01..05/2:00:00"),
        ("*:*:1..3", "*-*-* *:*:01..03"),
        ("3,1,2,1:00", "*-*-* 01,02,03:00:00"),
        ("@0", "1970-01-01 00:00:00 UTC"),
        ("minutely utc", "*-*-* *:*:00 UTC"),
        ("*:*:0.1234567", "*-*-* *:*:00.123457"),
    ] {
        assert_eq!(spec(input).to_string(), want, "{input}");
    }
}

#[test]
fn refusals() {
    for s in ["", "now", "today", "foo", "12", "Mon..", "Fri..Mon", "*-*-* 24:00", "*-02-30x", "1969-01-01", "2200-01-01", " daily", "*:*:5.", "*-*-*/0"] {
        assert_ne!(CalendarSpec::parse_in(s, &utc(), Path::new("/nonexistent")).err(), None, "{s:?}");
    }
    assert_eq!(err("*:0/0"), CalendarErrorKind::OutOfRange);
    assert_eq!(err("*:99999999999"), CalendarErrorKind::OutOfRange);
    let many = (0..242).map(|_| "1").collect::<Vec<_>>().join(",");
    assert_eq!(err(&format!("*-*-* {many}:00")), CalendarErrorKind::TooManyComponents);
    let e = CalendarSpec::parse_in("foo", &utc(), Path::new("/")).unwrap_err();
    assert_eq!(e.to_string(), "Failed to parse calendar specification 'foo': Invalid argument");
}

#[test]
fn next_elapses_in_utc() {
    let s = spec("Mon..Fri *-*-* 10:00");
    let first = s.next_elapse(BASE, &utc()).unwrap();
    assert_eq!(first, BASE + 10 * 3_600_000_000);
    // Friday 10:00 is followed by Monday 10:00.
    let fri = BASE + 4 * 86_400_000_000 + 10 * 3_600_000_000;
    assert_eq!(s.next_elapse(fri, &utc()), Some(fri + 3 * 86_400_000_000));
    // Strictly after: the base itself never counts.
    assert_eq!(spec("daily").next_elapse(BASE, &utc()), Some(BASE + 86_400_000_000));
    assert_eq!(spec("daily").next_elapse(BASE - 1, &utc()), Some(BASE));
    // Fractions of a second.
    assert!(CalendarSpec::parse_in("*:*:*.25", &utc(), Path::new("/")).is_err());
    assert_eq!(spec("*:*:0/0.5").next_elapse(BASE, &utc()), Some(BASE + 500_000));
}

#[test]
fn impossible_and_ending_events() {
    assert_eq!(spec("*-02-30").next_elapse(BASE, &utc()), None);
    assert_eq!(spec("2023-01-01").next_elapse(BASE, &utc()), None);
    assert_eq!(spec("@1704067200").next_elapse(BASE - 1, &utc()), Some(BASE));
    // 29 February comes round in leap years only.
    let feb29 = spec("*-02-29 00:00:00 UTC").next_elapse(BASE + 60 * 86_400_000_000, &utc()).unwrap();
    assert_eq!(feb29, 1_835_395_200_000_000, "2028-02-29");
    // The last day of every month.
    let last = spec("*-*~01 UTC").next_elapse(BASE, &utc()).unwrap();
    assert_eq!(last, BASE + 30 * 86_400_000_000);
}

#[test]
fn posix_rule_zone_dst() {
    let berlin = TimeZone::from_posix("CET-1CEST,M3.5.0,M10.5.0/3").unwrap();
    let s = CalendarSpec::parse_in("*-*-* 02:30", &berlin, Path::new("/nonexistent")).unwrap();
    // 2024-03-30 12:00 UTC: 02:30 does not exist on 31 March (clocks jump
    // from 02:00 to 03:00); systemd skips that day and fires on 1 April
    // at 02:30 CEST = 00:30 UTC.
    let base = 1_711_800_000_000_000;
    assert_eq!(s.next_elapse(base, &berlin), Some(1_711_931_400_000_000));
    let pinned = CalendarSpec::parse_in("daily CEST", &berlin, Path::new("/nonexistent")).unwrap();
    assert_eq!(pinned.to_string(), "*-*-* 00:00:00 CEST");
}
