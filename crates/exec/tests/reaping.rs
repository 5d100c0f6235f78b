//! `reap_all` and the subreaper, as the manager loop uses them. A separate
//! test binary with one test: `waitid(P_ALL)` takes any child of the
//! process, so nothing else may spawn concurrently here.

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::*;
use exec::{reap_all, set_child_subreaper, spawn, ExecPlan, ExitStatus, SpawnError};

#[test]
fn reap_all_collects_children_and_orphaned_grandchildren() {
    set_child_subreaper().unwrap();
    // The shell exits 3 at once, orphaning the grandchild (`sh -c 'exit 5'`
    // waits on a pipe that the test holds), which the subreaper inherits.
    let (r, w) = pipe();
    // (An asynchronous list gets /dev/null as stdin unless redirected, hence fd 3.)
    let mut parent = sh("exec 3<&0; sh -c 'read x; exit 5' <&3 & exit 3");
    parent.stdin = exec::Stdio::Fd(std::os::fd::AsRawFd::as_raw_fd(&r));
    let child = spawn(&parent.prepare().unwrap()).unwrap();
    drop(r);
    let failed = match spawn(&ExecPlan::new("/nonexistent/x").prepare().unwrap()) {
        Err(SpawnError::Setup { pid, .. }) => pid,
        other => panic!("expected a setup failure, got {other:?}"),
    };
    let killed = spawn(
        &ExecPlan::new("/bin/sleep")
            .args(["1000"])
            .prepare()
            .unwrap(),
    )
    .unwrap();
    killed.signal(libc::SIGKILL).unwrap();

    let mut seen: HashMap<i32, ExitStatus> = HashMap::new();
    let start = Instant::now();
    // First the three direct children.
    while !(seen.contains_key(&child.pid)
        && seen.contains_key(&failed)
        && seen.contains_key(&killed.pid))
    {
        assert!(start.elapsed() < DEADLINE, "children not reaped: {seen:?}");
        reap_all(|pid, status| {
            seen.insert(pid, status);
        })
        .unwrap();
        std::thread::sleep(Duration::from_millis(2));
    }
    assert_eq!(seen[&child.pid], ExitStatus::Exited(3));
    assert_eq!(seen[&failed], ExitStatus::Exited(203));
    assert_eq!(
        seen[&killed.pid],
        ExitStatus::Killed {
            signal: libc::SIGKILL,
            core_dumped: false
        }
    );
    assert_eq!(seen[&killed.pid].signal(), Some(libc::SIGKILL));
    assert_eq!(seen[&child.pid].code(), Some(3));

    // Release the orphan; it is ours now.
    drop(w);
    let before = seen.len();
    while seen.len() == before {
        assert!(start.elapsed() < DEADLINE, "orphan not reaped: {seen:?}");
        reap_all(|pid, status| {
            seen.insert(pid, status);
        })
        .unwrap();
        std::thread::sleep(Duration::from_millis(2));
    }
    let orphan: Vec<_> = seen
        .iter()
        .filter(|(pid, _)| ![child.pid, failed, killed.pid].contains(pid))
        .collect();
    assert_eq!(orphan.len(), 1, "{seen:?}");
    assert_eq!(*orphan[0].1, ExitStatus::Exited(5));

    // Nothing left: reap_all returns 0 without blocking.
    assert_eq!(reap_all(|_, _| {}).unwrap(), 0);
}
