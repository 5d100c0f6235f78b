//! How a manager ends, end to end: `SuccessAction=`/`FailureAction=` and
//! their exit statuses (`systemd.unit(5)`), the built-in shutdown targets,
//! and the signals of `systemd(1)` that are not "stop and exit" (SIGINT →
//! `ctrl-alt-del.target`, SIGHUP → daemon-reload). Each test runs its own
//! manager in a temporary root and waits for its exit by polling.

mod common;
#[path = "common/mgr.rs"]
mod mgr;

use std::process::ExitStatus;
use std::time::Duration;

use common::*;
use mgr::Mgr;

/// The shared foreground manager (`common/mgr.rs`), journal off, and what
/// these tests ask of it beyond that harness: the CLI, a signal, its exit.
fn start(name: &str, units: &[(&str, &str)]) -> Mgr {
    Mgr::with_env(name, units, &[], &[("VIGIL_JOURNAL", "off")])
}

trait Ending {
    fn ctl(&self, args: &[&str]) -> std::process::Output;
    fn signal(&self, sig: i32);
    /// The manager's exit status, once it has exited (within 20 s).
    fn exited(&mut self) -> ExitStatus;
    fn running(&mut self) -> bool;
}

impl Ending for Mgr {
    fn ctl(&self, args: &[&str]) -> std::process::Output {
        let mut a = vec!["--no-autostart"];
        a.extend_from_slice(args);
        self.root.vigil(&a)
    }

    fn signal(&self, sig: i32) {
        let pid = self.child.as_ref().map_or(0, |c| c.id() as i32);
        // SAFETY: signalling our own child.
        assert_eq!(unsafe { libc::kill(pid, sig) }, 0);
    }

    fn exited(&mut self) -> ExitStatus {
        let mut st = None;
        let child = self.child.as_mut().expect("manager running");
        let ok = wait_until(Duration::from_secs(20), || {
            st = child.try_wait().unwrap();
            st.is_some()
        });
        assert!(ok, "manager did not exit; console:\n{}", self.console());
        st.unwrap()
    }

    fn running(&mut self) -> bool {
        self.child.as_mut().is_some_and(|c| c.try_wait().unwrap().is_none())
    }
}

#[test]
fn success_action_exit_force_leaves_with_the_configured_status() {
    let mut m = start(
        "act-success",
        &[(
            "job.service",
            "[Unit]\nSuccessAction=exit-force\nSuccessActionExitStatus=7\n[Service]\nType=oneshot\nExecStart=/bin/true\n",
        )],
    );
    let out = m.ctl(&["start", "job.service"]);
    assert!(out.status.success() || !m.running(), "{}", stderr(&out));
    assert_eq!(m.exited().code(), Some(7), "console:\n{}", m.console());
}

#[test]
fn failure_action_exit_stops_the_others_and_passes_the_main_status_on() {
    let mut m = start(
        "act-failure",
        &[
            ("keep.service", "[Service]\nExecStart=/bin/sleep 1000\nExecStopPost=/bin/touch @ROOT@/keep-stopped\n"),
            ("bad.service", "[Unit]\nFailureAction=exit\n[Service]\nExecStart=/bin/sh -c 'exit 5'\n"),
        ],
    );
    assert!(m.ctl(&["start", "keep.service"]).status.success());
    let _ = m.ctl(&["start", "--no-block", "bad.service"]);
    // `exit` (not forced) goes through the built-in exit.target: every
    // unit is stopped first, then the manager leaves with bad's status.
    assert_eq!(m.exited().code(), Some(5), "console:\n{}", m.console());
    assert!(m.path("keep-stopped").exists(), "keep.service was not stopped; console:\n{}", m.console());
    assert!(m.console().contains("Exiting: unit bad.service failed"), "console:\n{}", m.console());
}

#[test]
fn a_service_with_only_a_success_action_runs_and_ends_the_manager() {
    // systemd-exit.service has exactly this shape: no command at all.
    let mut m = start(
        "act-nocmd",
        &[("bye.service", "[Unit]\nDefaultDependencies=no\nSuccessAction=exit-force\nSuccessActionExitStatus=3\n")],
    );
    let _ = m.ctl(&["start", "--no-block", "bye.service"]);
    assert_eq!(m.exited().code(), Some(3), "console:\n{}", m.console());
}

#[test]
fn restarts_do_not_trigger_the_failure_action_until_they_run_out() {
    let mut m = start(
        "act-restart",
        &[(
            "flaky.service",
            "[Unit]\nFailureAction=exit-force\nFailureActionExitStatus=9\nStartLimitIntervalSec=0\n\
             [Service]\nExecStart=/bin/sh -c 'n=$(cat @ROOT@/n 2>/dev/null || echo 0); echo $((n+1)) > @ROOT@/n; \
             [ $n -ge 2 ] && touch @ROOT@/up && exec sleep 1000; exit 1'\n\
             Restart=on-failure\nRestartSec=10ms\n",
        )],
    );
    let _ = m.ctl(&["start", "--no-block", "flaky.service"]);
    let n = || std::fs::read_to_string(m.path("n")).ok().and_then(|s| s.trim().parse::<u32>().ok());
    assert!(wait_until(Duration::from_secs(10), || m.path("up").exists()), "no restarts; console:\n{}", m.console());
    assert_eq!(n(), Some(3), "failed twice, then the third run stays up");
    assert!(m.running(), "the failure action fired during restarts; console:\n{}", m.console());
    // Stopping it is not a failure either: it enters inactive, and the
    // unit has no SuccessAction=. (The third run stays up: stopped while a
    // run was exiting 1 on its own, the unit would fail, as in systemd,
    // and the failure action would rightly fire.)
    assert!(m.ctl(&["stop", "flaky.service"]).status.success());
    assert!(m.running());
}

#[test]
fn sigint_starts_ctrl_alt_del_target_from_the_root() {
    let mut m = start(
        "act-cad",
        &[
            ("ctrl-alt-del.target", "[Unit]\nDescription=Custom CAD\nWants=marker.service\n"),
            ("marker.service", "[Service]\nType=oneshot\nExecStart=/bin/touch @ROOT@/cad\n"),
        ],
    );
    m.signal(libc::SIGINT);
    assert!(
        wait_until(Duration::from_secs(10), || m.path("cad").exists()),
        "SIGINT did not start ctrl-alt-del.target; console:\n{}",
        m.console()
    );
    // A target is ordered after what it wants (systemd.target(5)): it is
    // active once marker.service has finished.
    let active = || stdout(&m.ctl(&["is-active", "ctrl-alt-del.target"])).trim() == "active";
    assert!(wait_until(Duration::from_secs(10), active), "console:\n{}", m.console());
    assert!(m.running(), "a custom ctrl-alt-del.target must not end the manager");
}

#[test]
fn sigint_without_a_ctrl_alt_del_target_reboots_which_ends_a_rooted_manager() {
    let mut m = start("act-cad-builtin", &[("svc.service", "[Service]\nExecStart=/bin/sleep 1000\n")]);
    assert!(m.ctl(&["start", "svc.service"]).status.success());
    m.signal(libc::SIGINT);
    assert_eq!(m.exited().code(), Some(0), "console:\n{}", m.console());
    assert!(m.console().contains("Reached target"), "console:\n{}", m.console());
}

#[test]
fn sighup_reloads_the_unit_files() {
    let m = start("act-hup", &[("d.service", "[Unit]\nDescription=One\n[Service]\nExecStart=/bin/sleep 1000\n")]);
    let desc = || stdout(&m.ctl(&["show", "-p", "Description", "--value", "d.service"])).trim().to_string();
    assert_eq!(desc(), "One");
    std::fs::write(
        m.path("etc/systemd/system/d.service"),
        "[Unit]\nDescription=Two\n[Service]\nExecStart=/bin/sleep 1000\n",
    )
    .unwrap();
    m.signal(libc::SIGHUP);
    assert!(wait_until(Duration::from_secs(10), || desc() == "Two"), "SIGHUP did not reload; console:\n{}", m.console());
}

#[test]
fn systemctl_exit_code_and_poweroff_end_the_manager() {
    let mut m = start("act-exit", &[]);
    assert!(m.ctl(&["exit", "4"]).status.success());
    assert_eq!(m.exited().code(), Some(4));
    let mut m = start("act-poweroff", &[]);
    let _ = m.ctl(&["poweroff"]);
    assert_eq!(m.exited().code(), Some(0));
}
