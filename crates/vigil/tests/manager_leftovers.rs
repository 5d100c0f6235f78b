//! A main process that fails and leaves a child ignoring SIGTERM: as in
//! systemd (`systemd.kill(5)`), the leftover gets SIGTERM, then SIGKILL
//! after `TimeoutStopSec=`, and only then does `Restart=` start the unit
//! again — in the unit's cgroup, kept across the automatic restart
//! (`cgroup.rs`). The restarted main processes must really run (a kernel
//! quirk that kills children born in a group once killed through
//! `cgroup.kill` is why vigil SIGKILLs pid by pid; socket_exec.rs covers
//! that case), and no leftover may survive.

mod common;

use std::time::Duration;

use common::*;

#[test]
fn leftover_ignoring_sigterm_is_killed_before_the_restart() {
    if !is_root() {
        eprintln!("skipped: a writable cgroup v2 hierarchy needs root");
        return;
    }
    let root = TestRoot::new("leftover");
    let dir = root.path.join("etc/systemd/system");
    std::fs::create_dir_all(&dir).unwrap();
    let mains = root.path.join("mains");
    let leftovers = root.path.join("leftovers");
    // The main process leaves a child that ignores SIGTERM and exits 1:
    // the unit fails, the leftover is sent SIGTERM, then SIGKILL after
    // TimeoutStopSec=, then the unit restarts in the same group.
    let script = root.path.join("k.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho $$ >> {m}\nsh -c 'echo $$ >> {l}; trap \"\" TERM; while :; do sleep 1; done' &\nsleep 0.2\nexit 1\n",
            m = mains.display(),
            l = leftovers.display()
        ),
    )
    .unwrap();
    std::process::Command::new("chmod").arg("755").arg(&script).status().unwrap();
    let unit = format!(
        "[Unit]\nStartLimitIntervalSec=0\n[Service]\nExecStart={}\n\
         Restart=on-failure\nRestartSec=0\nTimeoutStopSec=300ms\n",
        script.display()
    );
    std::fs::write(dir.join("k.service"), unit).unwrap();
    assert!(root.vigil(&["start", "--no-block", "k.service"]).status.success());
    // Three runs, each with its leftover started (a loaded machine can
    // count a main's line before its background child wrote its own; a
    // stop then would kill that child before it says who it is).
    let lines = |f: &std::path::Path| std::fs::read_to_string(f).unwrap_or_default().lines().count();
    let ran = |n: usize| lines(&mains) >= n && lines(&leftovers) >= n;
    assert!(
        wait_until(Duration::from_secs(30), || ran(3)),
        "restarted main processes or their leftovers did not run: {:?} {:?}; status:\n{}",
        std::fs::read_to_string(&mains).unwrap_or_default(),
        std::fs::read_to_string(&leftovers).unwrap_or_default(),
        stdout(&root.vigil(&["status", "k.service"]))
    );
    let restarts = stdout(&root.vigil(&["show", "-p", "NRestarts", "--value", "k.service"]));
    assert!(restarts.trim().parse::<u32>().unwrap() >= 2, "NRestarts={restarts}");
    assert!(root.vigil(&["stop", "k.service"]).status.success());
    let state = stdout(&root.vigil(&["show", "-p", "ActiveState", "--value", "k.service"]));
    assert!(matches!(state.trim(), "inactive" | "failed"), "ActiveState={state}");
    let pids: Vec<i32> = std::fs::read_to_string(&leftovers)
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    assert!(pids.len() >= 3, "leftovers recorded: {pids:?}");
    assert!(
        wait_until(Duration::from_secs(10), || pids.iter().all(|p| !pid_alive(*p))),
        "leftovers survived: {:?}",
        pids.iter().filter(|p| pid_alive(**p)).collect::<Vec<_>>()
    );
}
