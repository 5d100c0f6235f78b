//! Timer units end to end (`systemd.timer(5)`): a manager on a temporary
//! root starts services from monotonic and calendar timers, keeps the
//! `Persistent=` stamp, and answers `status`, `show` and `list-timers`
//! in the shape systemd 252 answers them (read off Debian's systemd 252
//! as PID 1 of the Docker tests' oracle container with the same units).

mod common;

use std::path::Path;
use std::time::{Duration, SystemTime};

use common::*;

fn runs(r: &TestRoot, file: &str) -> usize {
    std::fs::read_to_string(r.path.join(file)).map_or(0, |s| s.lines().count())
}

/// A oneshot service appending a line to `@ROOT@/FILE` each run.
fn counter(file: &str) -> String {
    format!("[Unit]\nDescription=Tick\n[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo run >> @ROOT@/{file}'\n")
}

fn ok(r: &TestRoot, args: &[&str]) -> String {
    let o = r.vigil(args);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}{}", stdout(&o), stderr(&o));
    stdout(&o)
}

#[test]
fn monotonic_timer_starts_its_service_again_and_again() {
    let svc = counter("ticks");
    let r = TestRoot::with_units(
        "timer-mono",
        &[
            ("tick.service", &svc),
            ("tick.timer", "[Unit]\nDescription=Tick often\n[Timer]\nOnActiveSec=1\nOnUnitActiveSec=1\nAccuracySec=1us\n"),
        ],
    );
    ok(&r, &["start", "tick.timer"]);
    assert_eq!(r.prop("tick.timer", "SubState"), "waiting");
    let status = ok(&r, &["status", "-n0", "tick.timer"]);
    let lines: Vec<&str> = status.lines().collect();
    assert!(lines[2].starts_with("     Active: active (waiting) since "), "{status}");
    assert!(lines[3].starts_with("    Trigger: ") && lines[3].ends_with(" left"), "{status}");
    assert_eq!(lines[4], "   Triggers: ● tick.service", "{status}");
    assert!(wait_until(Duration::from_secs(20), || runs(&r, "ticks") >= 3), "ran {} times", runs(&r, "ticks"));
    // An inactive unit's status exits 3, as systemctl's.
    let service = stdout(&r.vigil(&["status", "-n0", "tick.service"]));
    assert!(service.lines().any(|l| l == "TriggeredBy: ● tick.timer"), "{service}");
    assert!(!r.prop("tick.timer", "LastTriggerUSec").is_empty());
    let list = ok(&r, &["list-timers"]);
    let rows: Vec<&str> = list.lines().collect();
    assert!(rows[0].starts_with("NEXT") && rows[0].contains(" LEFT ") && rows[0].ends_with("UNIT       ACTIVATES"), "{list}");
    assert!(rows[1].ends_with(" tick.timer tick.service") && rows[1].contains(" ago "), "{list}");
    assert_eq!(&rows[2..], ["", "1 timers listed.", "Pass --all to see loaded but inactive timers, too."], "{list}");
    // JSON: times in µs, `left`/`passed` repeat them (systemd 252).
    let json: serde_json::Value = serde_json::from_str(&ok(&r, &["list-timers", "-o", "json"])).unwrap();
    let row = &json[0];
    assert_eq!((row["unit"].as_str(), row["activates"].as_str()), (Some("tick.timer"), Some("tick.service")));
    assert!(row["next"].as_u64().unwrap() > 1_700_000_000_000_000 && row["left"] == row["next"] && row["passed"] == row["last"], "{json}");
    assert!(ok(&r, &["list-timers", "-o", "json-pretty"]).contains("\t\t\"unit\" : \"tick.timer\",\n"));
    // Stopped, it starts nothing more.
    ok(&r, &["stop", "tick.timer"]);
    assert_eq!(r.prop("tick.timer", "ActiveState"), "inactive");
    let n = runs(&r, "ticks");
    assert!(ok(&r, &["list-timers", "--no-legend"]).is_empty());
    std::thread::sleep(Duration::from_millis(2500));
    assert!(runs(&r, "ticks") <= n + 1, "kept running after stop");
}

#[test]
fn one_shot_timer_elapses_or_goes_dead() {
    let a = counter("a");
    let b = counter("b");
    let r = TestRoot::with_units(
        "timer-once",
        &[
            ("a.service", &a),
            ("a.timer", "[Timer]\nOnActiveSec=1\nAccuracySec=1us\n"),
            ("b.service", &b),
            ("b.timer", "[Timer]\nOnActiveSec=1\nAccuracySec=1us\nRemainAfterElapse=no\n"),
        ],
    );
    ok(&r, &["start", "a.timer", "b.timer"]);
    assert!(wait_until(Duration::from_secs(15), || r.prop("a.timer", "SubState") == "elapsed"));
    assert!(wait_until(Duration::from_secs(15), || r.prop("b.timer", "ActiveState") == "inactive"));
    assert_eq!((runs(&r, "a"), runs(&r, "b")), (1, 1));
    assert_eq!(r.prop("a.timer", "Result"), "success");
    // Elapsed: no next elapse ("-"), the last trigger known.
    let list = ok(&r, &["list-timers", "--no-legend"]);
    assert!(list.starts_with("- ") && list.trim_end().ends_with(" ago a.timer a.service"), "{list}");
    // Started again, a one-shot timer counts from the new start.
    ok(&r, &["restart", "a.timer"]);
    assert!(wait_until(Duration::from_secs(15), || runs(&r, "a") == 2));
    let said = stdout(&r.vigil(&["logs", "-u", "a.timer", "-o", "cat", "--no-pager"]));
    assert!(said.ends_with("Started a.timer.\nStopping a.timer...\nStarted a.timer.\n"), "{said}");
}

#[test]
fn calendar_timer_fires_on_the_wall_clock() {
    let svc = counter("cal");
    let r = TestRoot::with_units(
        "timer-cal",
        &[("cal.service", &svc), ("cal.timer", "[Timer]\nOnCalendar=*:*:0/2\nAccuracySec=1us\n")],
    );
    ok(&r, &["start", "cal.timer"]);
    let next = r.prop("cal.timer", "NextElapseUSecRealtime");
    assert!(next.ends_with(" UTC") || next.len() > 20, "{next}");
    assert_eq!(r.prop("cal.timer", "NextElapseUSecMonotonic"), "0");
    assert!(wait_until(Duration::from_secs(15), || runs(&r, "cal") >= 2));
}

fn mtime(p: &Path) -> SystemTime {
    std::fs::metadata(p).and_then(|m| m.modified()).unwrap_or(SystemTime::UNIX_EPOCH)
}

#[test]
fn persistent_timer_catches_up_a_missed_run() {
    let p = counter("p");
    let q = counter("q");
    let r = TestRoot::with_units(
        "timer-persist",
        &[
            ("p.service", &p),
            ("p.timer", "[Timer]\nOnCalendar=daily\nPersistent=yes\n"),
            ("q.service", &q),
            ("q.timer", "[Timer]\nOnCalendar=daily\nPersistent=yes\n"),
        ],
    );
    // p last ran two days ago: yesterday's midnight was missed.
    let stamps = r.path.join("var/lib/systemd/timers");
    std::fs::create_dir_all(&stamps).unwrap();
    let stamp = stamps.join("stamp-p.timer");
    let f = std::fs::File::create(&stamp).unwrap();
    let two_days_ago = SystemTime::now() - Duration::from_secs(2 * 86_400);
    f.set_modified(two_days_ago).unwrap();
    let before = SystemTime::now() - Duration::from_secs(1);
    ok(&r, &["start", "p.timer", "q.timer"]);
    assert!(wait_until(Duration::from_secs(15), || runs(&r, "p") == 1), "the missed run did not happen");
    assert!(wait_until(Duration::from_secs(5), || mtime(&stamp) >= before), "stamp not touched");
    // q never ran: its stamp is made, and nothing runs before midnight.
    assert!(stamps.join("stamp-q.timer").exists());
    assert_eq!(r.prop("q.timer", "SubState"), "waiting");
    assert_eq!(runs(&r, "q"), 0);
    assert_eq!(r.prop("p.timer", "Persistent"), "yes");
    // The stamp is what `clean --what=state` would remove (systemd 252).
    assert_eq!(r.prop("p.timer", "CanClean"), "state");
}

#[test]
fn show_lists_a_timers_properties_as_systemd_does() {
    let r = TestRoot::with_units(
        "timer-show",
        &[
            ("tick.service", "[Service]\nType=oneshot\nExecStart=/bin/true\n"),
            (
                "tick.timer",
                "[Unit]\nDescription=Tick every 20s\n[Timer]\nOnActiveSec=3h\nOnUnitActiveSec=20\nOnCalendar=daily\nRandomizedDelaySec=5\nPersistent=yes\n",
            ),
        ],
    );
    ok(&r, &["start", "tick.timer"]);
    let out = ok(&r, &["show", "tick.timer"]);
    let lines: Vec<&str> = out.lines().collect();
    let id = lines.iter().position(|l| l.starts_with("Id=")).expect("Id=");
    let names: Vec<&str> = lines[..id].iter().map(|l| l.split_once('=').unwrap().0).collect();
    // systemd 252, `systemctl show` of the same timer (LastTriggerUSec is
    // left out while it never triggered).
    assert_eq!(
        names,
        [
            "Unit", "TimersMonotonic", "TimersMonotonic", "TimersCalendar", "OnClockChange", "OnTimezoneChange",
            "NextElapseUSecRealtime", "NextElapseUSecMonotonic", "LastTriggerUSecMonotonic", "Result", "AccuracyUSec",
            "RandomizedDelayUSec", "FixedRandomDelay", "Persistent", "WakeSystem", "RemainAfterElapse"
        ]
    );
    assert_eq!(lines[0], "Unit=tick.service");
    assert_eq!(lines[1], "TimersMonotonic={ OnUnitActiveUSec=20s ; next_elapse=0 }");
    assert!(lines[2].starts_with("TimersMonotonic={ OnActiveUSec=3h ; next_elapse="), "{}", lines[2]);
    assert!(lines[3].starts_with("TimersCalendar={ OnCalendar=*-*-* 00:00:00 ; next_elapse="), "{}", lines[3]);
    for l in ["AccuracyUSec=1min", "RandomizedDelayUSec=5s", "Persistent=yes", "RemainAfterElapse=yes", "Result=success", "Triggers=tick.service"] {
        assert!(lines.contains(&l), "{l} missing:\n{out}");
    }
    // A service of its own has no watchdog stamp to show on a timer.
    assert!(!out.contains("WatchdogTimestamp"), "{out}");
}

#[test]
fn verify_reports_only_what_is_not_acted_on() {
    let r = TestRoot::with_units(
        "timer-verify",
        &[
            ("v.service", "[Service]\nType=oneshot\nExecStart=/bin/true\n"),
            ("v.timer", "[Timer]\nOnCalendar=daily\nPersistent=yes\nRandomizedDelaySec=1h\nOnClockChange=yes\nWakeSystem=yes\n"),
        ],
    );
    let o = r.vigil(&["verify", "v.timer"]);
    let err = stderr(&o);
    assert!(err.contains("WakeSystem= is not supported by vigil yet"), "{err}");
    for d in ["OnCalendar=", "Persistent=", "RandomizedDelaySec=", "OnClockChange="] {
        assert!(!err.contains(&format!("{d} is not supported")), "{d}: {err}");
    }
}

#[test]
fn a_timer_without_its_unit_refuses_to_start() {
    let r = TestRoot::with_units("timer-nounit", &[("lone.timer", "[Timer]\nOnActiveSec=1h\n")]);
    let o = r.vigil(&["start", "lone.timer"]);
    assert_ne!(o.status.code(), Some(0), "{}", stdout(&o));
    assert_eq!(r.prop("lone.timer", "ActiveState"), "inactive");
    let journal = stdout(&r.vigil(&["logs", "-u", "lone.timer", "-o", "cat", "--no-pager"]));
    assert!(journal.contains("lone.timer: Refusing to start, unit lone.service to trigger not loaded.\nFailed to start lone.timer.\n"), "{journal}");
}

#[test]
fn daemon_reload_gives_a_waiting_timer_its_new_settings() {
    let svc = counter("reload");
    let r = TestRoot::with_units("timer-reload", &[("r.service", &svc), ("r.timer", "[Timer]\nOnActiveSec=1h\nAccuracySec=1us\n")]);
    ok(&r, &["start", "r.timer"]);
    assert_eq!(r.prop("r.timer", "TimersMonotonic").split(" ; ").next(), Some("{ OnActiveUSec=1h"));
    std::fs::write(r.path.join("etc/systemd/system/r.timer"), "[Timer]\nOnActiveSec=1\nAccuracySec=1us\n").unwrap();
    ok(&r, &["daemon-reload"]);
    // Counted from the timer's start, as before: due within a second.
    assert!(wait_until(Duration::from_secs(10), || runs(&r, "reload") == 1), "the new setting did not take effect");
    assert_eq!(r.prop("r.timer", "TimersMonotonic").split(" ; ").next(), Some("{ OnActiveUSec=1s"));
}
