//! Differential test of calendar events against the real
//! `systemd-analyze calendar` (systemd 252).
//!
//! For every case we run `TZ=ZONE systemd-analyze calendar --iterations=3
//! --base-time=@BASE EXPR` and compare:
//!
//! - valid expressions: the "Normalized form:" line with our `Display`,
//!   and "Next elapse:"/"Iter. #2:"/"Iter. #3:" (or "never") with our
//!   [`CalendarSpec::next_elapse`] chained three times, formatted the way
//!   systemd formats timestamps (`Mon 2024-01-01 10:00:00 UTC`, local
//!   time of `TZ`; the tool shows whole seconds only, so fractions are
//!   compared by the unit tests instead);
//! - invalid expressions: the tool's error line ("Failed to parse calendar
//!   specification '…': Invalid argument") with our error's message.
//!
//! The base time is pinned with `--base-time=`, so results do not depend
//! on when the test runs. The tool and the zone files are required:
//! without them this test fails.

use std::path::Path;
use std::process::Command;

use unit::calendar::{CalendarSpec, TimeZone};

/// Monday 2024-01-01 00:00:00 UTC.
const BASE_2024: i64 = 1_704_067_200;

/// Expressions checked under `TZ=UTC` from [`BASE_2024`].
const UTC_CASES: &[&str] = &[
    // shorthands, any case
    "minutely", "hourly", "daily", "weekly", "monthly", "yearly", "annually", "anually",
    "quarterly", "semiannually", "semi-annually", "biannually", "bi-annually", "DAILY", "Weekly",
    "daily UTC", "hourly utc", "fortnightly", "daily ", " daily",
    // weekdays
    "Mon", "mon", "Monday", "MONDAY", "Mon,Tue", "Mon..Fri", "Mon-Fri", "Fri..Mon", "Sat,Sun",
    "Mon,Wed,Fri", "Mon..Wed,Fri", "Mon..Sun", "Mon,Tue,Wed,Thu,Fri,Sat,Sun", "Tue..Thu 12:00",
    "Mon,", "Mon..", "Mon...Fri", "Mond", "Sun *-*-* 23:59:59", "Thu,Fri 2024-*-1,5,11..14 11:12:13",
    "Mon, Tue", "Fri *-*-13",
    // dates
    "2024-01-01", "2024-01-01 00:00:00", "24-01-02", "99-01-01", "70-01-01", "1970-01-01",
    "1969-12-31", "2199-12-31", "2200-01-01", "*-*-*", "*-*-* *:*:*", "*-12-25", "12-25",
    "02-29", "*-02-29", "*-02-30", "*-04-31", "2023-02-29", "2024-02-29 12:00", "*-1-1",
    "*-13-01", "*-00-01", "*-01-00", "*-01-32", "2025-*-01", "2024..2026-06-01",
    "2024-01..03-15", "*-*-1..7/2", "*-*-01/10", "*-01,07-01", "*-*-1,15,28", "2024-6-1 1:2:3",
    // end of month
    "*-*~01", "*-*~1", "*-02~01", "*-02~03", "*-*~07/1", "Sat *-*~7/1", "*~1", "*-*~29",
    "*-*~28", "2024~02-03", "*-*~1..3", "*-*~3..1", "*~*",
    // times
    "12:00", "12:00:00", "1:2", "1:2:3", "00:00:00", "23:59:59", "24:00", "12:60", "12:00:60",
    "*:00", "*:0/15", "*:00/15:00", "*:*:0/20", "8..17:00", "8..17/2:00", "8,12,16:30",
    "*:5,10,15", "12:*:00", "*:*", "*-*-* 10:15:30.5", "*:*:0.5", "*:*:1.999999",
    "*:*:1.9999995", "*:*:01.000001", "*:*:0/0.5", "*:*:10..20/2.5", "*:*:*.25", "*:*:5.",
    "*:*:1..3", "*:*:1..1.5", "*:*:0..59", "*:0/0", "*:1/60", "*:30/31", "0/23:00", "*/2:00",
    "12", "12:", ":12", "12:00 ", "12:00:00:00",
    // @ timestamps
    "@0", "@1704067200", "@1704067200 UTC", "@ 1704067200", "@-1", "@", "@abc",
    "@99999999999", "@1704067200 12:00",
    // ranges, repeats, normalization
    "1..5/2:00", "1..6/2:00", "3,1,2,1:00", "*:10..20/3", "*:10..10", "*:20..10",
    "2020..2030/4-02-29", "*-*-* 00/6:00", "*-*-* 0..23/25:00",
    // numbers and garbage
    "*:99999999999", "*:4294967296", "*-*-* 0x10:00", "*-*-* +1:00", "now", "today", "tomorrow",
    "yesterday", "", "foo", "*-*-* 12:00 Mars/Olympus", "-1:00", "1 1:00", "Mon 12",
];

/// Expressions with their own zone suffix, still under `TZ=UTC`.
const NAMED_ZONE_CASES: &[&str] = &[
    "daily Europe/Berlin",
    "*-*-* 02:30 Europe/Berlin",
    "Mon..Fri 09:00 America/New_York",
    "12:00 Asia/Tokyo",
    "daily Etc/UTC",
    "daily europe/berlin",
    "daily Europe//Berlin",
];

/// `(TZ, base time, expression)` across daylight-saving transitions.
const ZONE_CASES: &[(&str, i64, &str)] = &[
    ("Europe/Berlin", 1_711_800_000, "*-*-* 02:30"),
    ("Europe/Berlin", 1_711_800_000, "*-*-* 02:30 CET"),
    ("Europe/Berlin", 1_711_800_000, "*-*-* 02:30 CEST"),
    ("Europe/Berlin", 1_711_800_000, "*-*-* 03:30"),
    ("Europe/Berlin", 1_711_800_000, "hourly"),
    ("Europe/Berlin", 1_711_800_000, "*:0/20"),
    ("Europe/Berlin", 1_711_800_000, "daily"),
    ("Europe/Berlin", 1_711_800_000, "daily CET"),
    ("Europe/Berlin", 1_711_800_000, "daily cest"),
    ("Europe/Berlin", 1_729_944_000, "*-*-* 02:30"),
    ("Europe/Berlin", 1_729_944_000, "*-*-* 02:00..03:00/30"),
    ("Europe/Berlin", 1_729_983_600, "hourly"),
    ("Europe/Berlin", 1_729_944_000, "*-*-* 02:30 CET"),
    ("Europe/Berlin", 1_729_944_000, "daily UTC"),
    ("Europe/Berlin", 1_729_944_000, "daily Asia/Tokyo"),
    ("Europe/Berlin", 4_102_444_800, "*-03-* 02:30"),
    ("America/New_York", 1_710_000_000, "*-*-* 02:15"),
    ("America/New_York", 1_730_600_000, "*-*-* 01:30"),
    ("America/New_York", 1_730_600_000, "Sun *-*-* 1:59:59"),
    ("Australia/Sydney", 1_727_500_000, "*-*-* 02:30"),
    ("Australia/Sydney", 1_712_300_000, "*-*-* 02:30"),
    ("Asia/Kolkata", BASE_2024, "*-*-* 00:00"),
    ("Pacific/Chatham", BASE_2024, "Mon..Fri 12:45"),
];

/// Which tool lines we compare.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Valid { normalized: String, elapses: Vec<String> },
    Invalid(String),
}

fn oracle(tz: &str, base: i64, expr: &str) -> Outcome {
    let out = Command::new("systemd-analyze")
        .env("TZ", tz)
        .env("SYSTEMD_COLORS", "0")
        .arg("calendar")
        .arg("--iterations=3")
        .arg(format!("--base-time=@{base}"))
        .arg("--")
        .arg(expr)
        .output()
        .expect("systemd-analyze (systemd 252) is required for this test: run scripts/test-deps");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        let first = stderr.lines().next().unwrap_or_default().trim().to_string();
        return Outcome::Invalid(first);
    }
    let mut normalized = String::new();
    let mut elapses = Vec::new();
    for line in stdout.lines() {
        let Some((key, value)) = line.trim_start().split_once(": ") else { continue };
        match key {
            "Normalized form" => normalized = value.to_string(),
            "Next elapse" => elapses.push(value.to_string()),
            k if k.starts_with("Iter. #") => elapses.push(value.to_string()),
            _ => {}
        }
    }
    assert!(
        !normalized.is_empty() && !elapses.is_empty(),
        "unexpected output of systemd-analyze for {expr:?}:\n{stdout}"
    );
    Outcome::Valid { normalized, elapses }
}

const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/// systemd's `format_timestamp()`: `%a %Y-%m-%d %H:%M:%S %Z` in `zone`.
fn format_timestamp(usec: u64, zone: &TimeZone) -> String {
    let (c, info) = zone.localtime((usec / 1_000_000) as i64);
    format!(
        "{} {:04}-{:02}-{:02} {:02}:{:02}:{:02} {}",
        WEEKDAYS[c.weekday as usize], c.year, c.month, c.day, c.hour, c.minute, c.second, info.abbrev
    )
}

fn ours(tz: &str, base: i64, expr: &str) -> Outcome {
    let local = TimeZone::from_tz_value(Some(tz), Path::new("/usr/share/zoneinfo"), Path::new("/etc/localtime"));
    match CalendarSpec::parse_in(expr, &local, Path::new("/usr/share/zoneinfo")) {
        Err(e) => Outcome::Invalid(e.to_string()),
        Ok(spec) => {
            let mut elapses = Vec::new();
            let mut at = base as u64 * 1_000_000;
            for i in 0..3 {
                match spec.next_elapse(at, &local) {
                    Some(next) => {
                        elapses.push(format_timestamp(next, &local));
                        at = next;
                    }
                    None => {
                        if i == 0 {
                            elapses.push("never".to_string());
                        }
                        break;
                    }
                }
            }
            Outcome::Valid { normalized: spec.to_string(), elapses }
        }
    }
}

fn check(cases: impl IntoIterator<Item = (&'static str, i64, &'static str)>) -> (usize, Vec<String>) {
    let mut n = 0;
    let mut failures = Vec::new();
    for (tz, base, expr) in cases {
        n += 1;
        let want = oracle(tz, base, expr);
        let got = ours(tz, base, expr);
        if want != got {
            failures.push(format!("TZ={tz} base=@{base} {expr:?}\n  systemd: {want:?}\n  ours:    {got:?}"));
        }
    }
    (n, failures)
}

#[test]
fn zoneinfo_is_installed() {
    for z in ["UTC", "Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Tokyo"] {
        let p = Path::new("/usr/share/zoneinfo").join(z);
        assert!(p.is_file(), "{} is missing: the tzdata package is required (scripts/test-deps)", p.display());
    }
}

#[test]
fn utc_expressions_match_systemd() {
    let (n, failures) = check(UTC_CASES.iter().map(|e| ("UTC", BASE_2024, *e)));
    assert!(n >= 120, "too few cases: {n}");
    assert!(failures.is_empty(), "{} of {n} differ:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn invalid_and_valid_cases_both_present() {
    let invalid = UTC_CASES.iter().filter(|e| matches!(oracle("UTC", BASE_2024, e), Outcome::Invalid(_))).count();
    assert!(invalid >= 30 && invalid <= UTC_CASES.len() - 60, "{invalid} invalid cases of {}", UTC_CASES.len());
}

#[test]
fn named_zones_match_systemd() {
    let (n, failures) = check(NAMED_ZONE_CASES.iter().map(|e| ("UTC", BASE_2024, *e)));
    assert!(failures.is_empty(), "{} of {n} differ:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn local_zones_across_dst_match_systemd() {
    let (n, failures) = check(ZONE_CASES.iter().copied());
    assert!(failures.is_empty(), "{} of {n} differ:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn later_base_times_match_systemd() {
    // Leap years, month ends and the year-2199 horizon from other bases.
    let cases: &[(i64, &str)] = &[
        (1_709_164_800, "*-02-29"),
        (1_709_251_199, "*-*~01"),
        (7_258_118_400, "yearly"),
        (7_258_118_399, "2199-12-31 23:59:59"),
        (951_782_400, "*-02-29 12:00"),
        (4_107_456_000, "*-02-29"),
        (1_735_689_599, "*:*:*"),
        (1_735_689_599, "Wed *-*-* 00:00"),
    ];
    let (n, failures) = check(cases.iter().map(|(b, e)| ("UTC", *b, *e)));
    assert!(failures.is_empty(), "{} of {n} differ:\n{}", failures.len(), failures.join("\n"));
}
