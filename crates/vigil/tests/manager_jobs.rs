//! Job rules end to end, against an auto-started manager of a temporary
//! root: `Upholds=` restarting the units it upholds, verify-active jobs
//! (`Requisite=`) waiting for an activating unit, `JobRunningTimeoutSec=`
//! and `JobTimeoutAction=`, and the start limit counting manual starts.
//! Messages and exit codes are systemctl 252's (`systemctl(1)`, and
//! `src/shared/bus-wait-for-jobs.c` for the job result lines). Waiting is
//! polling with deadlines.

mod common;

use std::time::Duration;

use common::*;

fn root_with(name: &str, units: &[(&str, &str)]) -> TestRoot {
    TestRoot::with_units(name, units)
}

fn prop(r: &TestRoot, unit: &str, p: &str) -> String {
    r.prop(unit, p)
}

fn lines(r: &TestRoot, file: &str) -> usize {
    std::fs::read_to_string(r.path.join(file)).unwrap_or_default().lines().count()
}

/// `list-jobs --no-legend UNIT.service`: the unit's job line, if any.
fn jobs(r: &TestRoot, unit: &str) -> String {
    stdout(&r.vigil(&["list-jobs", "--no-legend", &format!("{unit}.service")])).trim().to_string()
}

fn wait_prop(r: &TestRoot, unit: &str, p: &str, want: &str) -> bool {
    wait_until(Duration::from_secs(10), || prop(r, unit, p) == want)
}

#[test]
fn upholds_starts_the_upheld_unit_again_whenever_it_goes_down() {
    let r = root_with(
        "uphold",
        &[
            ("a.service", "[Unit]\nUpholds=b.service\n[Service]\nExecStart=/bin/sleep 1000\n"),
            ("b.service", "[Service]\nExecStart=/bin/sh -c 'echo run >> @ROOT@/b.runs; exec sleep 1000'\n"),
        ],
    );
    assert_eq!(r.vigil(&["start", "a"]).status.code(), Some(0));
    // Pulled in like Wants= by the start.
    assert!(wait_until(Duration::from_secs(10), || lines(&r, "b.runs") == 1));
    assert!(wait_prop(&r, "b", "ActiveState", "active"));
    // Killed: it fails, and is started again.
    assert_eq!(r.vigil(&["kill", "-s", "KILL", "b"]).status.code(), Some(0));
    assert!(wait_until(Duration::from_secs(10), || lines(&r, "b.runs") == 2));
    assert!(wait_prop(&r, "b", "ActiveState", "active"));
    // Stopped by hand: started again too ("continuous version of Wants=").
    assert_eq!(r.vigil(&["stop", "b"]).status.code(), Some(0));
    assert!(wait_until(Duration::from_secs(10), || lines(&r, "b.runs") == 3));
    assert!(wait_prop(&r, "b", "ActiveState", "active"));
    // Once the upholding unit is down, the upheld one stays down.
    assert_eq!(r.vigil(&["stop", "a"]).status.code(), Some(0));
    assert_eq!(r.vigil(&["stop", "b"]).status.code(), Some(0));
    assert_eq!(prop(&r, "b", "ActiveState"), "inactive");
    // A round trip to the manager later, still down and not run again.
    assert_eq!(prop(&r, "a", "ActiveState"), "inactive");
    assert_eq!((prop(&r, "b", "ActiveState"), lines(&r, "b.runs")), ("inactive".to_string(), 3));
}

#[test]
fn upholds_stops_retrying_at_the_start_limit() {
    let r = root_with(
        "upholdlim",
        &[
            ("a.service", "[Unit]\nUpholds=c.service\n[Service]\nExecStart=/bin/sleep 1000\n"),
            (
                "c.service",
                "[Unit]\nStartLimitIntervalSec=1h\nStartLimitBurst=3\n[Service]\nExecStart=/bin/sh -c 'echo run >> @ROOT@/c.runs; exit 1'\n",
            ),
        ],
    );
    assert_eq!(r.vigil(&["start", "a"]).status.code(), Some(0));
    // Three runs; then each start is refused by the start limit ("Start
    // request repeated too quickly.", the result stays 'exit-code'), and
    // after 16 automatic starts in 10 s the manager gives up.
    let log = r.path.join("run/vigil/manager.log");
    let gave_up = "c.service: Unit needs to be started because active unit a.service upholds it, but not doing so since we tried this too often recently.";
    assert!(wait_until(Duration::from_secs(10), || std::fs::read_to_string(&log).unwrap_or_default().contains(gave_up)));
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("c.service: Start request repeated too quickly."), "{text}");
    assert_eq!(text.matches(gave_up).count(), 1, "{text}");
    assert_eq!((prop(&r, "c", "ActiveState"), prop(&r, "c", "Result")), ("failed".into(), "exit-code".into()));
    assert_eq!(lines(&r, "c.runs"), 3);
    // The manager is not stuck retrying: it still answers, a stays up.
    assert_eq!(prop(&r, "a", "ActiveState"), "active");
}

#[test]
fn requisite_waits_for_an_activating_unit_then_succeeds_or_fails_with_it() {
    // b fails once and is restarted (activating, without a job); its
    // second run waits for the test's go-ahead, then fails for good (exit
    // 3 is not restarted). b2 comes up on its second run. Oneshots, so the
    // outcome is decided while they are still activating; the go-ahead
    // file, not a timer, keeps them activating however loaded the machine.
    let b = "[Service]\nType=oneshot\nRemainAfterExit=yes\n\
             ExecStart=/bin/sh -c 'if [ -e @ROOT@/NAME.first ]; then while [ ! -e @ROOT@/NAME.go ]; do sleep 0.02; done; SECOND; fi; touch @ROOT@/NAME.first; exit 1'\n\
             Restart=on-failure\nRestartSec=10ms\nRestartPreventExitStatus=3\n";
    let r = root_with(
        "verifyact",
        &[
            ("b.service", &b.replace("NAME", "b").replace("SECOND", "exit 3")),
            ("b2.service", &b.replace("NAME", "b2").replace("SECOND", "exit 0")),
            ("a.service", "[Unit]\nRequisite=b.service\nAfter=b.service\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n"),
            ("a2.service", "[Unit]\nRequisite=b2.service\nAfter=b2.service\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n"),
        ],
    );
    // Down: the verify-active job is skipped, a's start fails at once.
    let o = r.vigil(&["start", "a"]);
    assert_eq!(
        (o.status.code(), stderr(&o).as_str()),
        (Some(1), "A dependency job for a.service failed. See 'journalctl -xe' for details.\n")
    );

    assert_eq!(r.vigil(&["start", "--no-block", "b", "b2"]).status.code(), Some(0));
    for u in ["b", "b2"] {
        assert!(wait_until(Duration::from_secs(10), || r.path.join(format!("{u}.first")).exists()), "{u} did not run");
        // The first run is in SubState "start" too, until the manager has
        // handled its exit (the shell can be descheduled between its
        // `touch` and its `exit 1`): the restart counter says the second
        // run was scheduled.
        assert!(wait_prop(&r, u, "NRestarts", "1"), "{u} was not restarted");
        assert!(wait_prop(&r, u, "SubState", "start"), "{u} was not restarted");
        assert_eq!(prop(&r, u, "ActiveState"), "activating");
        assert_eq!(jobs(&r, u), "", "{u}'s restart runs without a job");
    }
    // Activating: a's start waits for b's outcome, which is failure.
    std::thread::scope(|s| {
        let waiter = s.spawn(|| r.vigil(&["start", "a"]));
        assert!(wait_until(Duration::from_secs(10), || jobs(&r, "a").contains("start")), "a's start job is not queued");
        assert_eq!(prop(&r, "b", "ActiveState"), "activating", "b's outcome came before a's job waited for it");
        std::fs::write(r.path.join("b.go"), "").unwrap();
        let o = waiter.join().unwrap();
        assert_eq!(
            (o.status.code(), stderr(&o).as_str()),
            (Some(1), "A dependency job for a.service failed. See 'journalctl -xe' for details.\n")
        );
    });
    assert_eq!(prop(&r, "b", "ActiveState"), "failed");
    assert_eq!(prop(&r, "a", "ActiveState"), "inactive");
    // b2 comes up: a2 starts after it.
    std::thread::scope(|s| {
        let waiter = s.spawn(|| r.vigil(&["start", "a2"]));
        assert!(wait_until(Duration::from_secs(10), || jobs(&r, "a2").contains("start")), "a2's start job is not queued");
        std::fs::write(r.path.join("b2.go"), "").unwrap();
        let o = waiter.join().unwrap();
        assert_eq!((o.status.code(), stderr(&o)), (Some(0), String::new()));
    });
    assert_eq!(prop(&r, "b2", "ActiveState"), "active");
    assert_eq!(prop(&r, "a2", "ActiveState"), "active");
}

#[test]
fn job_running_timeout_counts_from_when_the_job_runs() {
    let r = root_with(
        "jobrun",
        &[
            ("slow.service", "[Service]\nType=oneshot\nExecStart=/bin/sleep 2\n"),
            // Queued behind slow for 2 s, runs in no time: no timeout.
            (
                "after.service",
                "[Unit]\nAfter=slow.service\nJobRunningTimeoutSec=1\n[Service]\nType=oneshot\nExecStart=/bin/true\n",
            ),
            // Runs for ever: its job times out, the unit is left alone.
            ("hang.service", "[Unit]\nJobRunningTimeoutSec=300ms\n[Service]\nType=oneshot\nExecStart=/bin/sleep 1000\n"),
        ],
    );
    let o = r.vigil(&["start", "slow", "after"]);
    assert_eq!((o.status.code(), stderr(&o)), (Some(0), String::new()));
    let o = r.vigil(&["start", "hang"]);
    assert_eq!((o.status.code(), stderr(&o).as_str()), (Some(1), "Job for hang.service timed out.\n"));
    assert_eq!(prop(&r, "hang", "ActiveState"), "activating");
    assert_eq!(r.vigil(&["stop", "hang"]).status.code(), Some(0));
}

#[test]
fn job_timeout_action_exit_takes_the_manager_down() {
    let r = root_with(
        "jobact",
        &[
            ("up.service", "[Service]\nExecStart=/bin/sleep 1000\n"),
            (
                "hang.service",
                "[Unit]\nJobTimeoutSec=300ms\nJobTimeoutAction=exit\n[Service]\nType=oneshot\nExecStart=/bin/sleep 1000\n",
            ),
        ],
    );
    assert_eq!(r.vigil(&["start", "up"]).status.code(), Some(0));
    let pid = r.manager_pid().expect("manager pid");
    let o = r.vigil(&["start", "hang"]);
    assert_eq!((o.status.code(), stderr(&o).as_str()), (Some(1), "Job for hang.service timed out.\n"));
    // The manager stops every unit and exits.
    assert!(wait_until(Duration::from_secs(15), || !pid_alive(pid)), "manager still running");
}

/// systemd 252 counts every start (manual or automatic) against
/// `StartLimitBurst=` in `StartLimitIntervalSec=`; a start past it does not
/// run and fails the job. The unit's `Result` only becomes
/// `start-limit-hit` if it was `success` (service_enter_dead() keeps the
/// first failure), so a failing unit reports its earlier result while a
/// cleanly exiting one reports "start of the service was attempted too
/// often".
#[test]
fn manual_starts_count_into_the_start_limit_until_reset_failed() {
    let limit = "[Unit]\nStartLimitIntervalSec=1h\nStartLimitBurst=2\n[Service]\nType=oneshot\n";
    let r = root_with(
        "startlim",
        &[
            ("bad.service", &format!("{limit}ExecStart=/bin/sh -c 'echo run >> @ROOT@/bad.runs; exit 1'\n")),
            ("good.service", &format!("{limit}ExecStart=/bin/sh -c 'echo run >> @ROOT@/good.runs'\n")),
            // Keeps good.service loaded while it is inactive (an
            // unreferenced inactive unit is garbage-collected, and its
            // start count with it, in systemd as here).
            ("keep.service", "[Unit]\nAfter=good.service\n[Service]\nExecStart=/bin/sleep 1000\n"),
        ],
    );
    assert_eq!(r.vigil(&["start", "keep"]).status.code(), Some(0));
    let see = |u: &str| format!("See \"systemctl status {u}\" and \"journalctl -xeu {u}\" for details.\n");
    let exit_code = format!("Job for bad.service failed because the control process exited with error code.\n{}", see("bad.service"));
    let too_often = format!("Job for good.service failed because start of the service was attempted too often.\n{}", see("good.service"));
    for _ in 0..2 {
        let o = r.vigil(&["start", "bad"]);
        assert_eq!((o.status.code(), stderr(&o)), (Some(1), exit_code.clone()));
        let o = r.vigil(&["start", "good"]);
        assert_eq!((o.status.code(), stderr(&o)), (Some(0), String::new()));
    }
    // The third start within the interval is refused without running.
    let o = r.vigil(&["start", "good"]);
    assert_eq!((o.status.code(), stderr(&o)), (Some(1), too_often.clone()));
    assert_eq!((prop(&r, "good", "ActiveState"), prop(&r, "good", "Result")), ("failed".into(), "start-limit-hit".into()));
    let o = r.vigil(&["start", "bad"]);
    assert_eq!((o.status.code(), stderr(&o)), (Some(1), exit_code.clone()));
    assert_eq!(prop(&r, "bad", "Result"), "exit-code");
    assert_eq!((lines(&r, "bad.runs"), lines(&r, "good.runs")), (2, 2));
    // restart counts as a start too.
    let o = r.vigil(&["restart", "good"]);
    assert_eq!((o.status.code(), stderr(&o)), (Some(1), too_often));
    // reset-failed clears the counter.
    assert_eq!(r.vigil(&["reset-failed", "bad", "good"]).status.code(), Some(0));
    assert_eq!(prop(&r, "good", "ActiveState"), "inactive");
    assert_eq!(r.vigil(&["start", "good"]).status.code(), Some(0));
    let o = r.vigil(&["start", "bad"]);
    assert_eq!((o.status.code(), stderr(&o)), (Some(1), exit_code));
    assert_eq!((lines(&r, "bad.runs"), lines(&r, "good.runs")), (3, 3));
}
