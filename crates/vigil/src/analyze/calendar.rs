//! `systemd-analyze calendar`: each calendar expression as written and
//! normalized, and when it next elapses (`systemd-analyze(1)`,
//! `systemd.time(7)`). The expressions are parsed and stepped by the unit
//! library's `calendar` module, which `crates/unit/tests/calendar_oracle.rs`
//! holds to systemd 252's own answers.
//!
//! Per expression: `Original form:` only when it differs from the
//! normalized one; then `--iterations` elapses (1 by default, none with 0),
//! each in local time, again in UTC when the local zone is not UTC, and
//! how far it is from now — from now, not from `--base-time`, as the tool
//! does. A blank line between expressions; an expression that does not
//! parse is an error on stderr, the others are still shown, and the exit
//! status is 1.

use unit::calendar::{CalendarSpec, TimeZone};

use crate::journalctl::time::{format_timestamp, parse_timestamp};
use crate::journald::storage::now_realtime;

/// `calendar EXPR…` from `base` (µs since the epoch), `iterations` elapses
/// each.
pub fn run(exprs: &[String], iterations: u32, base: u64) -> u8 {
    let local = TimeZone::local();
    let now = now_realtime();
    let mut code = 0;
    for (i, expr) in exprs.iter().enumerate() {
        match CalendarSpec::parse(expr) {
            Ok(spec) => print!("{}", describe(expr, &spec, &local, iterations, base, now)),
            Err(e) => {
                eprintln!("{e}");
                code = 1;
            }
        }
        if i + 1 < exprs.len() {
            println!();
        }
    }
    code
}

/// The lines of one expression.
fn describe(expr: &str, spec: &CalendarSpec, local: &TimeZone, iterations: u32, base: u64, now: u64) -> String {
    let normalized = spec.to_string();
    let mut out = String::new();
    if normalized != expr {
        out.push_str(&format!("  Original form: {expr}\n"));
    }
    out.push_str(&format!("Normalized form: {normalized}\n"));
    let mut at = base;
    for i in 0..iterations {
        let Some(next) = spec.next_elapse(at, local) else {
            if i == 0 {
                out.push_str("    Next elapse: never\n");
            }
            break;
        };
        let label = if i == 0 { "    Next elapse".to_string() } else { format!("       Iter. #{}", i + 1) };
        let (shown, utc) = (format_timestamp(next, false), format_timestamp(next, true));
        out.push_str(&format!("{label}: {shown}\n"));
        if shown != utc {
            out.push_str(&format!("       (in UTC): {utc}\n"));
        }
        out.push_str(&format!("       From now: {}\n", crate::ctl::relative(next, now)));
        at = next;
    }
    out
}

/// `--base-time=`: a timestamp as systemd reads one (`@EPOCH`, a date…),
/// µs since the epoch; `None` when it is not one.
pub fn base_time(text: Option<&str>) -> Option<u64> {
    match text {
        None => Some(now_realtime()),
        Some(t) => parse_timestamp(t, now_realtime()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_as_systemd_analyze_prints_them() {
        // 2024-01-01 00:00:00 UTC, in UTC: no "(in UTC)" line.
        let base = 1_704_067_200 * 1_000_000;
        let utc = TimeZone::from_tz_value(Some("UTC"), std::path::Path::new("/usr/share/zoneinfo"), std::path::Path::new("/etc/localtime"));
        let spec = CalendarSpec::parse_in("*-*-* 00:00:00", &utc, std::path::Path::new("/usr/share/zoneinfo")).unwrap();
        let text = describe("*-*-* 00:00:00", &spec, &utc, 0, base, base);
        assert_eq!(text, "Normalized form: *-*-* 00:00:00\n");
        let spec = CalendarSpec::parse_in("2020-01-01", &utc, std::path::Path::new("/usr/share/zoneinfo")).unwrap();
        let text = describe("2020-01-01", &spec, &utc, 3, base, base);
        assert_eq!(text, "  Original form: 2020-01-01\nNormalized form: 2020-01-01 00:00:00\n    Next elapse: never\n");
    }
}
