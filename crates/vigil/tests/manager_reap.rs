//! Reaping (`daemon/event_loop.rs`, `EventLoop::reap_signalled`): the child
//! a `SIGCHLD` names is reaped at once by its pid, and the full reap
//! (`waitid(P_ALL)`) still follows — in the same turn, or a few
//! milliseconds later while a child just spawned has not reached its exec
//! (`EventLoop::sweep_now`) — so children whose exits were announced by one
//! coalesced `SIGCHLD` are not left as zombies until some later signal. And the other end of a child's life: one
//! spawned without waiting for its exec that stops before the exec (a
//! frozen cgroup) is marked stuck, never holds the manager, and is settled
//! once it execs or dies (`daemon/manager/spawn.rs`).

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

/// The last state dump's line about the children not settled yet
/// (`spawns pending: N (no report pipe L, stuck S) pids [...]`), from a
/// dump asked for now with SIGUSR2.
fn spawns_line(m: &Mgr) -> String {
    let before = m.console().matches("vigil state dump").count();
    // SAFETY: kill(2) of our own child.
    unsafe { libc::kill(m.child.as_ref().unwrap().id() as i32, libc::SIGUSR2) };
    let dumped = wait_until(Duration::from_secs(10), || {
        let c = m.console();
        c.matches("vigil state dump").count() > before && c.rsplit("vigil state dump").next().is_some_and(|d| d.contains("spawns pending:"))
    });
    assert!(dumped, "no state dump\n{}", m.console());
    let c = m.console();
    let last = c.rsplit("vigil state dump").next().unwrap();
    last.lines().find(|l| l.contains("spawns pending:")).unwrap().trim().to_string()
}

fn comm(pid: i32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default().trim().to_string()
}

/// A service's process is spawned sharing the manager's memory and is not
/// waited for until its exec (`crates/exec/src/vfork.rs`); the manager
/// waits for such a child once, briefly, when idle. One stopped before its
/// exec — here, cloned into a frozen cgroup — is marked stuck and only
/// checked from then on: the manager goes on serving and starting other
/// units, and settles the child when it finally execs (thawed) or dies
/// (killed while still frozen).
#[test]
fn a_child_frozen_before_its_exec_is_marked_stuck_and_settled_later() {
    if !is_root() {
        println!("skipped: needs root for a writable cgroup hierarchy (the freezer)");
        return;
    }
    let sleeper = "[Service]\nExecStart=/bin/sleep 300\nTimeoutStopSec=1s\n";
    let m = Mgr::new("reap-frozen", &[("thawed.service", sleeper), ("killed.service", sleeper), ("other.service", sleeper)]);
    let console = m.console();
    let Some(base) = console.lines().find_map(|l| l.strip_prefix("Using cgroup ")?.strip_suffix(" for unit processes.")) else {
        println!("skipped: no writable cgroup v2 hierarchy here\n{console}");
        return;
    };
    let base = std::path::PathBuf::from(base);
    // The units' groups are made (and frozen) before the manager makes
    // them: it takes an existing group as its own.
    for unit in ["thawed.service", "killed.service"] {
        let g = base.join(unit);
        std::fs::create_dir_all(&g).unwrap();
        std::fs::write(g.join("cgroup.freeze"), "1").unwrap();
        assert!(
            wait_until(Duration::from_secs(10), || std::fs::read_to_string(g.join("cgroup.events")).unwrap_or_default().contains("frozen 1")),
            "{} did not freeze",
            g.display()
        );
    }
    let mut frozen = Vec::new();
    for unit in ["thawed.service", "killed.service"] {
        assert_eq!(m.job(JobVerb::Start, unit), "done", "{}", m.console());
        let pid: i32 = m.prop(unit, "MainPID").parse().unwrap();
        assert!(pid > 0, "{unit} has no main process");
        frozen.push(pid);
    }
    // Frozen at its first return to user space: it never reached its exec.
    for &pid in &frozen {
        assert_ne!(comm(pid), "sleep", "process {pid} exec'd in a frozen group");
    }
    // Idle, the manager waits for them once, then marks them stuck.
    let mut line = String::new();
    assert!(
        wait_until(Duration::from_secs(10), || {
            line = spawns_line(&m);
            line.contains("stuck 2)")
        }),
        "the frozen children were not marked stuck: {line}\n{}",
        m.console()
    );
    for &pid in &frozen {
        assert!(line.contains(&pid.to_string()), "{pid} not pending: {line}");
    }
    // It still serves and spawns.
    assert_eq!(m.job(JobVerb::Start, "other.service"), "done");
    let other: i32 = m.prop("other.service", "MainPID").parse().unwrap();
    assert!(wait_until(Duration::from_secs(10), || comm(other) == "sleep"), "other.service did not exec");
    // Thawed, the first execs and is settled.
    std::fs::write(base.join("thawed.service/cgroup.freeze"), "0").unwrap();
    assert!(wait_until(Duration::from_secs(10), || comm(frozen[0]) == "sleep"), "thawed child did not exec");
    assert_eq!(m.prop("thawed.service", "ActiveState"), "active");
    // Still frozen, the second takes SIGTERM only as a pending signal;
    // the stop timeout's SIGKILL ends it, and it is settled and reaped.
    assert_eq!(m.job(JobVerb::Stop, "killed.service"), "done", "{}", m.console());
    assert_eq!(proc_state(frozen[1]), None, "the killed frozen child {} is still there", frozen[1]);
    assert!(
        wait_until(Duration::from_secs(10), || {
            line = spawns_line(&m);
            line.starts_with("spawns pending: 0 ")
        }),
        "children still pending after exec and death: {line}"
    );
    for unit in ["thawed.service", "other.service"] {
        assert_eq!(m.job(JobVerb::Stop, unit), "done");
    }
}
