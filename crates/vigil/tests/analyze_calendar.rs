//! `vigil analyze calendar` against the real `systemd-analyze calendar`
//! (systemd 252, installed by `scripts/test-deps`): the same expressions,
//! options and zones, the same output and exit status. "From now:" is
//! counted from each tool's own now, so its value is left out of the
//! comparison (the line itself is not).

mod common;

use std::process::Command;

use common::*;

/// stdout with the values of "From now:" blanked, stderr, exit status.
fn run(program: &str, args: &[&str], tz: &str) -> (String, String, Option<i32>) {
    let o = Command::new(program).args(args).env("TZ", tz).env("SYSTEMD_COLORS", "0").output().expect("run");
    let out: Vec<String> = stdout(&o)
        .lines()
        .map(|l| if l.trim_start().starts_with("From now:") { "       From now: …".to_string() } else { l.to_string() })
        .collect();
    (out.join("\n"), stderr(&o), o.status.code())
}

#[test]
fn calendar_answers_as_systemd_analyze() {
    let cases: &[&[&str]] = &[
        &["calendar", "--base-time=@1704067200", "--iterations=3", "Mon *-*-* 10:00"],
        &["calendar", "--base-time=@1704067200", "daily", "weekly", "Mon..Fri 9:00"],
        &["calendar", "--base-time=@1704067200", "*-*-* 00:00:00"],
        &["calendar", "--base-time=@1704067200", "--iterations=2", "2020-01-01", "2024-02-29 12:00"],
        &["calendar", "--base-time=@1704067200", "daily", "bad", "monthly"],
        &["calendar", "--base-time=@1704067200", "--iterations=0", "hourly"],
        &["calendar", "--base-time=@1704067200", "--iterations=2", "Sat 12:00 Europe/Paris"],
        &["calendar", "--base-time=2024-03-30 12:00:00", "--iterations=3", "*-*-* 02:30"],
        &["calendar", "--base-time=garbage", "daily"],
    ];
    for tz in ["UTC", "Europe/Berlin"] {
        for args in cases {
            let ours = run(vigil(), &[&["analyze"], *args].concat(), tz);
            let theirs = run("systemd-analyze", args, tz);
            assert_eq!(ours, theirs, "TZ={tz} {args:?}");
        }
    }
}
