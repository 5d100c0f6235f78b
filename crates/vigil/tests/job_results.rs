//! How a start job that does not simply succeed is told, as systemd 252
//! tells it. Every expected line below was read off Debian's systemd 252
//! as PID 1 of a `vigil-test-systemd:bookworm` container (the Docker
//! tests' oracle image) with the same unit files, by `journalctl -o json
//! _PID=1`, `systemctl status` and `systemctl show -p …`:
//!
//! - a failed condition skips the unit: "X was skipped because …" at
//!   priority 6 with the "started" MESSAGE_ID; `status` then shows
//!   `Condition: start condition failed at …` and the checks not met;
//! - a failed assert: the notice "x: Starting requested but asserts
//!   failed.", then "Assertion failed for X." at priority 4; `status`
//!   shows `Assert: start assertion failed at …`; conditions are tested
//!   first, and asserts only when they hold;
//! - a failed dependency and a job timeout: "Dependency failed for X." (4)
//!   or "Timed out starting X." (3), then the notice "x: Job x/start
//!   failed with result 'dependency'/'timeout'.", then the unit's
//!   `OnFailure=` units start ("Triggering OnFailure= dependencies.").

mod common;

use std::time::Duration;

use common::*;

const STARTED: &str = "39f53479d3a045ac8e11786248231fbf";
const FAILED: &str = "be02cf6855d2428ba40df7e9d022f03d";

/// The manager's own journal entries: (PRIORITY, MESSAGE_ID, MESSAGE).
fn manager_entries(r: &TestRoot) -> Vec<(String, String, String)> {
    let o = r.vigil(&["logs", "-o", "json", "--no-pager", "SYSLOG_IDENTIFIER=vigil"]);
    stdout(&o)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|j| {
            let f = |k: &str| j.get(k).and_then(|v| v.as_str()).unwrap_or("-").to_string();
            (f("PRIORITY"), f("MESSAGE_ID"), f("MESSAGE"))
        })
        .collect()
}

fn entry(p: &str, id: &str, m: &str) -> (String, String, String) {
    (p.to_string(), id.to_string(), m.to_string())
}

/// The entries from the first with message `from` on, as many as `want`
/// has; waits for them.
fn wait_entries(r: &TestRoot, from: &str, want: &[(String, String, String)]) {
    let mut got = Vec::new();
    let ok = wait_until(Duration::from_secs(10), || {
        let all = manager_entries(r);
        got = match all.iter().position(|e| e.2 == from) {
            Some(i) => all[i..].iter().take(want.len()).cloned().collect(),
            None => Vec::new(),
        };
        got == want
    });
    assert!(ok, "journal from {from:?}:\n{got:#?}\nwanted:\n{want:#?}");
}

#[test]
fn skipped_units_and_failed_asserts_read_as_systemd_252s() {
    let r = TestRoot::with_units(
        "job-checks",
        &[
            ("a.service", "[Unit]\nDescription=Assert thing\nAssertPathExists=/nonexistent\n[Service]\nExecStart=/bin/sleep 100\n"),
            (
                "mixed.service",
                "[Unit]\nDescription=Mixed thing\nConditionPathExists=|/nonexistent1\nConditionPathExists=/nonexistent3\nAssertPathExists=/nonexistent\n[Service]\nExecStart=/bin/sleep 100\n",
            ),
            (
                "trig2.service",
                "[Unit]\nConditionPathExists=|/nonexistent1\nConditionDirectoryNotEmpty=|/nonexistent2\n[Service]\nExecStart=/bin/sleep 100\n",
            ),
            ("a2.service", "[Unit]\nAssertPathExists=|/nonexistent\nAssertPathExists=|/nonexistent2\n[Service]\nExecStart=/bin/sleep 100\n"),
            // An inactive unit nothing refers to is unloaded, and what its
            // start found with it (systemd too): the target keeps them.
            ("holder.target", "[Unit]\nWants=a.service mixed.service trig2.service a2.service\n"),
        ],
    );
    assert_eq!(r.vigil(&["start", "a"]).status.code(), Some(1));
    wait_entries(
        &r,
        "a.service: Starting requested but asserts failed.",
        &[entry("5", "-", "a.service: Starting requested but asserts failed."), entry("4", FAILED, "Assertion failed for a.service - Assert thing.")],
    );
    for u in ["mixed", "trig2"] {
        assert_eq!(r.vigil(&["start", u]).status.code(), Some(0), "{u}");
    }
    assert_eq!(r.vigil(&["start", "a2"]).status.code(), Some(1));
    wait_entries(
        &r,
        "mixed.service - Mixed thing was skipped because of an unmet condition check (ConditionPathExists=/nonexistent3).",
        &[
            entry("6", STARTED, "mixed.service - Mixed thing was skipped because of an unmet condition check (ConditionPathExists=/nonexistent3)."),
            entry("6", STARTED, "trig2.service was skipped because no trigger condition checks were met."),
            entry("5", "-", "a2.service: Starting requested but asserts failed."),
            entry("4", FAILED, "Assertion failed for a2.service."),
        ],
    );

    assert_eq!(r.vigil(&["start", "holder.target"]).status.code(), Some(0));
    // The status blocks (the time and its "ago" vary: cut after "at").
    let status = |u: &str| {
        let o = r.vigil(&["status", u, "-n0"]);
        stdout(&o)
            .lines()
            .filter(|l| !l.contains("Loaded:") && !l.contains("Not yet:"))
            .map(|l| l.split(" at ").next().unwrap_or(l).to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        status("mixed"),
        [
            "○ mixed.service - Mixed thing",
            "     Active: inactive (dead)",
            "  Condition: start condition failed",
            "             └─ ConditionPathExists=/nonexistent3 was not met",
        ]
    );
    assert_eq!(
        status("trig2"),
        [
            "○ trig2.service",
            "     Active: inactive (dead)",
            "  Condition: start condition failed",
            "             ├─ ConditionPathExists=|/nonexistent1 was not met",
            "             └─ ConditionDirectoryNotEmpty=|/nonexistent2 was not met",
        ]
    );
    assert_eq!(
        status("a"),
        ["○ a.service - Assert thing", "     Active: inactive (dead)", "     Assert: start assertion failed", "             AssertPathExists=/nonexistent was not met"]
    );
    assert_eq!(
        status("a2"),
        ["○ a2.service", "     Active: inactive (dead)", "     Assert: start assertion failed", "             none of the trigger assertions were met"]
    );
    // Conditions and asserts are applied: nothing says otherwise.
    let o = r.vigil(&["status", "a", "mixed", "trig2", "a2", "-n0"]);
    assert!(!stdout(&o).contains("Not yet"), "{}", stdout(&o));

    // `show`: the conditions failed, so the asserts were never tested.
    let show = |u: &str, p: &[&str]| {
        let mut args = vec!["show", u];
        for x in p {
            args.extend(["-p", x]);
        }
        stdout(&r.vigil(&args))
    };
    let props = ["ConditionResult", "AssertResult", "AssertTimestamp", "AssertTimestampMonotonic", "Conditions", "Asserts"];
    assert_eq!(
        show("mixed", &props),
        "ConditionResult=no\nAssertResult=no\nAssertTimestamp=\nAssertTimestampMonotonic=0\nConditions=[unprintable]\nAsserts=[unprintable]\n"
    );
    let a = show("a", &["ConditionResult", "AssertResult"]);
    assert_eq!(a, "ConditionResult=yes\nAssertResult=no\n");
    let stamp = show("a", &["ConditionTimestamp"]);
    assert!(stamp.starts_with("ConditionTimestamp=") && stamp.trim_end().len() > "ConditionTimestamp=".len(), "{stamp}");
    // A bare `show` leaves the check lists out, as systemctl does.
    let all = show("mixed", &[]);
    assert!(all.contains("ConditionResult=no\n") && !all.contains("Conditions="), "{all}");
}

#[test]
fn dependency_failures_and_job_timeouts_are_failed_jobs_that_trigger_on_failure() {
    let r = TestRoot::with_units(
        "job-fail",
        &[
            ("fail.service", "[Unit]\nDescription=Failing thing\n[Service]\nType=oneshot\nExecStart=/bin/false\n"),
            (
                "d2.service",
                "[Unit]\nDescription=Dep two\nRequires=fail.service\nAfter=fail.service\nOnFailure=hook.service\n[Service]\nExecStart=/bin/sleep 100\n",
            ),
            ("hook.service", "[Unit]\nDescription=Hook\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n"),
            (
                "t.service",
                "[Unit]\nDescription=Slow thing\nJobTimeoutSec=1\nOnFailure=hook2.service\n[Service]\nType=oneshot\nExecStart=/bin/sleep 30\n",
            ),
            ("hook2.service", "[Unit]\nDescription=Hook two\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n"),
        ],
    );
    let o = r.vigil(&["start", "d2"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("A dependency job for d2.service failed."), "{}", stderr(&o));
    wait_entries(
        &r,
        "Failed to start fail.service - Failing thing.",
        &[
            entry("3", FAILED, "Failed to start fail.service - Failing thing."),
            entry("4", FAILED, "Dependency failed for d2.service - Dep two."),
            entry("5", "-", "d2.service: Job d2.service/start failed with result 'dependency'."),
            entry("6", "-", "d2.service: Triggering OnFailure= dependencies."),
        ],
    );
    assert!(wait_until(Duration::from_secs(10), || r.prop("hook", "ActiveState") == "active"), "hook not started");

    let o = r.vigil(&["start", "t"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("Job for t.service timed out."), "{}", stderr(&o));
    wait_entries(
        &r,
        "t.service: Job t.service/start timed out.",
        &[
            entry("4", "-", "t.service: Job t.service/start timed out."),
            entry("3", FAILED, "Timed out starting t.service - Slow thing."),
            entry("5", "-", "t.service: Job t.service/start failed with result 'timeout'."),
            entry("6", "-", "t.service: Triggering OnFailure= dependencies."),
        ],
    );
    assert!(wait_until(Duration::from_secs(10), || r.prop("hook2", "ActiveState") == "active"), "hook2 not started");
    let _ = r.vigil(&["stop", "t"]);
}

#[test]
fn restarts_start_limits_exec_failures_and_kills_read_as_systemd_252s() {
    const STOPPED: &str = "9d1aaa27d60140bd96365438aad20286";
    const RESULT: &str = "d9b373ed55a64feb8242e02dbe79a49c";
    const EXITED: &str = "98e322203f7a4ed290d09fe03c09fe15";
    const RESTART: &str = "5eb03494b6584870a536b337290809b3";
    const SPAWN: &str = "641257651c1b4ec9a8624d7a40a9e1e7";
    let r = TestRoot::with_units(
        "job-restart",
        &[
            (
                "r.service",
                "[Unit]\nDescription=Restarter\nStartLimitBurst=3\nStartLimitIntervalSec=30\n[Service]\nExecStart=/bin/sh -c 'exit 3'\nRestart=on-failure\nRestartSec=100ms\n",
            ),
            ("e.service", "[Unit]\nDescription=Bad exec\n[Service]\nExecStart=/nonexistent/bin/thing\n"),
            ("k.service", "[Unit]\nDescription=Killed one\n[Service]\nExecStart=/bin/sleep 100\n"),
        ],
    );
    assert_eq!(r.vigil(&["start", "r"]).status.code(), Some(0));
    let cycle = |n: u32| {
        vec![
            entry("6", STARTED, "Started r.service - Restarter."),
            entry("5", EXITED, "r.service: Main process exited, code=exited, status=3/NOTIMPLEMENTED"),
            entry("4", RESULT, "r.service: Failed with result 'exit-code'."),
            entry("6", RESTART, &format!("r.service: Scheduled restart job, restart counter is at {n}.")),
            entry("6", STOPPED, "Stopped r.service - Restarter."),
        ]
    };
    let mut want: Vec<_> = (1..=3).flat_map(cycle).collect();
    want.extend([
        entry("4", "-", "r.service: Start request repeated too quickly."),
        entry("4", RESULT, "r.service: Failed with result 'exit-code'."),
        entry("3", FAILED, "Failed to start r.service - Restarter."),
    ]);
    wait_entries(&r, "Started r.service - Restarter.", &want);

    assert_eq!(r.vigil(&["start", "e"]).status.code(), Some(0));
    wait_entries(
        &r,
        "Started e.service - Bad exec.",
        &[
            entry("6", STARTED, "Started e.service - Bad exec."),
            entry("6", SPAWN, "e.service: Failed to locate executable /nonexistent/bin/thing: No such file or directory"),
            entry("3", SPAWN, "e.service: Failed at step EXEC spawning /nonexistent/bin/thing: No such file or directory"),
            entry("5", EXITED, "e.service: Main process exited, code=exited, status=203/EXEC"),
            entry("4", RESULT, "e.service: Failed with result 'exit-code'."),
        ],
    );

    assert_eq!(r.vigil(&["start", "k"]).status.code(), Some(0));
    let pid = r.prop("k", "MainPID");
    assert_eq!(r.vigil(&["kill", "-s", "KILL", "k"]).status.code(), Some(0));
    wait_entries(
        &r,
        "Started k.service - Killed one.",
        &[
            entry("6", STARTED, "Started k.service - Killed one."),
            entry("6", "-", &format!("k.service: Sent signal SIGKILL to main process {pid} (sleep) on client request.")),
            entry("4", EXITED, "k.service: Main process exited, code=killed, status=9/KILL"),
            entry("4", RESULT, "k.service: Failed with result 'signal'."),
        ],
    );
    // status: how the main process ended, and how long the unit was up.
    let out = stdout(&r.vigil(&["status", "k", "-n0"]));
    assert!(out.contains(&format!("   Main PID: {pid} (code=killed, signal=KILL)\n")), "{out}");
    assert!(out.lines().any(|l| l.starts_with("   Duration: ")), "{out}");
}

#[test]
fn documentation_is_shown_and_quoted_as_systemctl_does() {
    let r = TestRoot::with_units(
        "job-docs",
        &[("doc2.service", "[Unit]\nDescription=Docs two\nDocumentation=man:a(1) https://x.org/y\nDocumentation=man:b(8)\n[Service]\nExecStart=/bin/sleep 100\n")],
    );
    // Read off systemd 252: `show` quotes the words with shell specials;
    // `status` lists them under `Docs:`.
    assert_eq!(stdout(&r.vigil(&["show", "doc2", "-p", "Documentation"])), "Documentation=\"man:a(1)\" https://x.org/y \"man:b(8)\"\n");
    let out = stdout(&r.vigil(&["status", "doc2", "-n0"]));
    assert!(out.contains("       Docs: man:a(1)\n             https://x.org/y\n             man:b(8)\n"), "{out}");
}

#[test]
fn what_a_unit_can_do_reads_as_systemd_252s() {
    let r = TestRoot::with_units(
        "job-can",
        &[
            ("rl.service", "[Service]\nExecStart=/bin/sleep 100\nExecReload=/bin/true\n"),
            ("rf.service", "[Unit]\nRefuseManualStart=yes\nRefuseManualStop=yes\n[Service]\nExecStart=/bin/sleep 100\n"),
            ("iso.target", "[Unit]\nAllowIsolate=yes\n"),
            ("pr.target", "[Unit]\nPropagatesReloadTo=rl.service\n"),
        ],
    );
    // Read off systemd 252 with the same files (`show -p CanStart -p
    // CanStop -p CanReload -p CanIsolate`).
    for (unit, want) in [
        ("rl.service", "yes yes yes no"),
        ("rf.service", "no no no no"),
        ("iso.target", "yes yes no yes"),
        ("pr.target", "yes yes yes no"),
        ("nosuch.service", "no yes no no"),
        ("-.slice", "yes no no no"),
    ] {
        let o = r.vigil(&["show", "-p", "CanStart", "-p", "CanStop", "-p", "CanReload", "-p", "CanIsolate", "--value", "--", unit]);
        assert_eq!(stdout(&o).split_whitespace().collect::<Vec<_>>().join(" "), want, "{unit}");
    }
}
