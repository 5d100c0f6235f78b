//! Reaping (`daemon/event_loop.rs`, `EventLoop::reap_signalled`): the child
//! a `SIGCHLD` names is reaped at once by its pid, and the full reap
//! (`waitid(P_ALL)`) still follows in the same turn, so children whose
//! exits were announced by one coalesced `SIGCHLD` are not left as zombies
//! until some later signal.

mod common;
#[path = "common/mgr.rs"]
mod mgr;

use std::time::Duration;

use common::*;
use mgr::*;
use proto::msg::JobVerb;

/// The state letter of `/proc/PID/stat` (`Z` for a zombie), `None` once
/// the process is gone.
fn proc_state(pid: i32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(") ")?.1.chars().next()
}

#[test]
fn exits_announced_by_one_coalesced_sigchld_are_all_reaped() {
    const N: usize = 3;
    let unit = "[Service]\nExecStart=/bin/sleep 300\nRestart=always\nRestartSec=0\n";
    let names: Vec<String> = (0..N).map(|i| format!("c{i}.service")).collect();
    let units: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), unit)).collect();
    let m = Mgr::new("reap-coalesced", &units);
    for n in &names {
        assert_eq!(m.job(JobVerb::Start, n), "done");
    }
    let old: Vec<i32> = names.iter().map(|n| m.prop(n, "MainPID").parse().unwrap()).collect();
    assert!(old.iter().all(|&p| p > 0), "{old:?}");
    let manager = m.child.as_ref().unwrap().id() as i32;
    // Stopped, the manager cannot take the first SIGCHLD before the other
    // exits: a standard signal does not queue, so it finds one SIGCHLD
    // naming one child, while all N are zombies.
    // SAFETY: kill(2) of our own child and of its services.
    unsafe { libc::kill(manager, libc::SIGSTOP) };
    assert!(wait_until(Duration::from_secs(10), || proc_state(manager) == Some('T')), "the manager did not stop");
    for &p in &old {
        unsafe { libc::kill(p, libc::SIGKILL) };
    }
    let all_zombies = wait_until(Duration::from_secs(10), || old.iter().all(|&p| proc_state(p) == Some('Z')));
    unsafe { libc::kill(manager, libc::SIGCONT) };
    assert!(all_zombies, "{:?}", old.iter().map(|&p| proc_state(p)).collect::<Vec<_>>());
    for (n, &p) in names.iter().zip(&old) {
        assert!(
            wait_until(Duration::from_secs(10), || {
                let now = m.prop(n, "MainPID");
                now != "0" && now != p.to_string()
            }),
            "{n} was not restarted (old main pid {p}: {:?})\n{}",
            proc_state(p),
            m.console()
        );
        assert_eq!(proc_state(p), None, "{n}'s old main process {p} is still there");
    }
}
