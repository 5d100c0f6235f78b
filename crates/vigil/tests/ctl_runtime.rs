//! The runtime `systemctl` verbs against an auto-started manager: output
//! and exit codes as `systemctl(1)` documents them, and conditions and
//! asserts deciding whether a start job runs.

mod common;

use std::time::Duration;

use common::*;

fn root_with(name: &str, units: &[(&str, &str)]) -> TestRoot {
    let r = TestRoot::new(name);
    let dir = r.path.join("etc/systemd/system");
    std::fs::create_dir_all(&dir).unwrap();
    for (n, text) in units {
        std::fs::write(dir.join(n), text).unwrap();
    }
    r
}

#[test]
fn start_stop_and_the_exit_codes_of_queries() {
    let r = root_with(
        "ctl-rt",
        &[
            ("web.service", "[Unit]\nDescription=Web thing\n[Service]\nExecStart=/bin/sleep 300\n"),
            ("bad.service", "[Service]\nType=oneshot\nExecStart=/bin/false\n"),
        ],
    );
    let o = r.vigil(&["start", "web"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = r.vigil(&["is-active", "web.service"]);
    assert_eq!((stdout(&o).as_str(), o.status.code()), ("active\n", Some(0)));
    let o = r.vigil(&["is-active", "nosuch.service"]);
    assert_eq!((stdout(&o).as_str(), o.status.code()), ("inactive\n", Some(3)));

    // A failing oneshot: systemctl's message and exit 1.
    let o = r.vigil(&["start", "bad"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("Job for bad.service failed because the control process exited with error code."),
        "{}",
        stderr(&o)
    );
    let o = r.vigil(&["is-failed", "bad"]);
    assert_eq!((stdout(&o).as_str(), o.status.code()), ("failed\n", Some(0)));

    // A unit that does not exist: exit 5.
    let o = r.vigil(&["start", "nosuch"]);
    assert_eq!(o.status.code(), Some(5));
    assert!(stderr(&o).contains("Unit nosuch.service not found."), "{}", stderr(&o));

    let o = r.vigil(&["status", "web"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(out.starts_with("● web.service - Web thing\n"), "{out}");
    assert!(out.contains("Active: active (running)"), "{out}");
    assert!(out.contains("Main PID: "), "{out}");
    assert_eq!(r.vigil(&["status", "bad"]).status.code(), Some(3));
    assert_eq!(r.vigil(&["status", "nosuch"]).status.code(), Some(4));

    let o = r.vigil(&["show", "-p", "ActiveState,SubState", "web"]);
    assert_eq!(stdout(&o), "ActiveState=active\nSubState=running\n");
    let o = r.vigil(&["show", "-p", "SubState", "--value", "web"]);
    assert_eq!(stdout(&o), "running\n");

    let o = r.vigil(&["stop", "web"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(wait_until(Duration::from_secs(5), || stdout(&r.vigil(&["is-active", "web"])) == "inactive\n"));
}

#[test]
fn conditions_skip_and_asserts_fail() {
    let r = root_with(
        "ctl-cond",
        &[
            ("skip.service", "[Unit]\nConditionPathExists=/nonexistent/vigil-test\n[Service]\nExecStart=/bin/sleep 300\n"),
            ("run.service", "[Unit]\nConditionPathExists=|/nonexistent\nConditionPathExists=|/\n[Service]\nExecStart=/bin/sleep 300\n"),
            ("assert.service", "[Unit]\nAssertPathExists=/nonexistent/vigil-test\n[Service]\nExecStart=/bin/sleep 300\n"),
        ],
    );
    // A failed condition is not an error: the unit is simply not started.
    let o = r.vigil(&["start", "skip"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&r.vigil(&["is-active", "skip"])), "inactive\n");
    // One of the triggering conditions holds.
    assert_eq!(r.vigil(&["start", "run"]).status.code(), Some(0));
    assert_eq!(stdout(&r.vigil(&["is-active", "run"])), "active\n");
    // A failed assert fails the job.
    assert_eq!(r.vigil(&["start", "assert"]).status.code(), Some(1));
    let log = std::fs::read_to_string(r.path.join("run/vigil/manager.log")).unwrap_or_default();
    assert!(log.contains("Condition check resulted in skip.service being skipped."), "{log}");
}

#[test]
fn service_personality_redirects_to_the_manager() {
    let r = root_with("svc-pers", &[("web.service", "[Unit]\nDescription=Web\n[Service]\nExecStart=/bin/sleep 300\n")]);
    let dir = r.path.join("bin");
    std::fs::create_dir_all(&dir).unwrap();
    let service = dir.join("service");
    std::os::unix::fs::symlink(vigil(), &service).unwrap();
    let run = |args: &[&str]| std::process::Command::new(&service).arg(r.root_arg()).args(args).output().unwrap();
    assert_eq!(run(&["web", "start"]).status.code(), Some(0));
    assert_eq!(stdout(&r.vigil(&["is-active", "web"])), "active\n");
    let o = run(&["web", "status"]);
    assert!(stdout(&o).starts_with("● web.service - Web"), "{}", stdout(&o));
    assert_eq!(run(&["web", "stop"]).status.code(), Some(0));
    assert!(wait_until(Duration::from_secs(5), || stdout(&r.vigil(&["is-active", "web"])) == "inactive\n"));
    let o = run(&["nosuch", "frobnicate"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("nosuch: unrecognized service"), "{}", stderr(&o));
}
