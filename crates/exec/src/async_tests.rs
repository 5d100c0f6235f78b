//! The no-wait `CLONE_VM` spawn ([`crate::spawn_async`], `vfork.rs`, "Not
//! waiting"): the child's outcome, that what it uses is kept until it has
//! exec'd or exited, many children in flight, and that it never writes
//! the parent's `errno`. A test gate ([`crate::vfork::tests::GATE`])
//! holds new children at their entry, so "still running" is certain.
//! Each test runs in its own process (nextest), so the gate is its own.

use std::os::fd::AsRawFd;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::vfork::tests::{open_gate, GATE};
use crate::vfork::{pooled_stacks, POOL_MAX};
use crate::{reserve_stacks, spawn_async, trim_stacks, ExecPlan, SpawnError, Step, WorkDirPath, WorkingDirectory};

fn on_x86_64() -> bool {
    if cfg!(target_arch = "x86_64") {
        true
    } else {
        eprintln!("skipped: the no-wait CLONE_VM spawn exists on x86_64 only");
        false
    }
}

/// The child's exit code (waits for it).
fn exit_code(pid: i32) -> i32 {
    let mut status = 0;
    // SAFETY: waiting for our own child.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(libc::WIFEXITED(status), "status {status:#x}");
    libc::WEXITSTATUS(status)
}

fn readable_within(fd: i32, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        let mut p = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
        let left = deadline.saturating_duration_since(Instant::now()).as_millis() as i32;
        // SAFETY: one valid pollfd.
        if unsafe { libc::poll(&mut p, 1, left) } > 0 {
            return true;
        }
        if left == 0 {
            return false;
        }
    }
}

#[test]
fn an_exec_is_seen_as_end_of_file_and_success() {
    if !on_x86_64() {
        return;
    }
    let spawning = spawn_async(ExecPlan::new("/bin/true").prepare().unwrap(), true).unwrap();
    let fd = spawning.report_fd().expect("a wake-up pipe was asked for").as_raw_fd();
    assert!(readable_within(fd, Duration::from_secs(10)), "end-of-file at exec");
    let child = spawning.finish().expect("exec'd");
    assert_eq!(exit_code(child.pid), 0);

    // Without a wake-up: no descriptor, settled once exec'd.
    let spawning = spawn_async(ExecPlan::new("/bin/true").prepare().unwrap(), false).unwrap();
    assert!(spawning.report_fd().is_none());
    let child = spawning.finish().expect("exec'd");
    assert_eq!(exit_code(child.pid), 0);
}

#[test]
fn a_failed_step_is_reported_with_its_exit_code() {
    if !on_x86_64() {
        return;
    }
    for wake in [false, true] {
        let spawning = spawn_async(ExecPlan::new("/nonexistent/vigil-async").prepare().unwrap(), wake).unwrap();
        let SpawnError::Setup { pid, step, errno, exit_code: code } = spawning.finish().unwrap_err() else {
            panic!("expected a setup failure")
        };
        assert_eq!((step, errno, code), (Step::Exec, libc::ENOENT, 203));
        assert_eq!(exit_code(pid), 203);

        let mut plan = ExecPlan::new("/bin/true");
        plan.working_directory =
            WorkingDirectory { path: WorkDirPath::Path("/nonexistent/dir".into()), missing_ok: false };
        let SpawnError::Setup { pid, step, exit_code: code, .. } =
            spawn_async(plan.prepare().unwrap(), wake).unwrap().finish().unwrap_err()
        else {
            panic!("expected a setup failure")
        };
        assert_eq!((step, code), (Step::WorkingDirectory, 200));
        assert_eq!(exit_code(pid), 200);
    }
}

#[test]
fn what_the_child_uses_is_kept_until_it_has_exec_d() {
    if !on_x86_64() {
        return;
    }
    GATE.store(1, Ordering::Release);
    let before = pooled_stacks();
    let spawning = spawn_async(ExecPlan::new("/bin/true").prepare().unwrap(), true).unwrap();
    // Held at its entry: it has not exec'd, its stack is not back.
    assert!(!spawning.settled());
    let fd = spawning.report_fd().unwrap().as_raw_fd();
    assert!(!readable_within(fd, Duration::ZERO));
    assert!(pooled_stacks() <= before, "the running child's stack is not in the pool");
    open_gate();
    let child = spawning.finish().expect("exec'd");
    assert_eq!(pooled_stacks(), before.max(1), "the stack is handed back once exec'd");
    assert_eq!(exit_code(child.pid), 0);
}

#[test]
fn many_children_in_flight_at_once() {
    if !on_x86_64() {
        return;
    }
    GATE.store(1, Ordering::Release);
    let mut all = Vec::new();
    for i in 0..40 {
        let plan = ExecPlan::new("/bin/sh").args(["-c", &format!("exit {}", i % 7)]);
        all.push((i, spawn_async(plan.prepare().unwrap(), i % 2 == 0).unwrap()));
    }
    assert!(all.iter().all(|(_, s)| !s.settled()), "all held at the gate");
    open_gate();
    for (i, spawning) in all {
        let child = spawning.finish().expect("exec'd");
        assert_eq!(exit_code(child.pid), i % 7);
    }
}

#[test]
fn the_child_never_writes_the_parents_errno() {
    if !on_x86_64() {
        return;
    }
    // The child's chdir fails with ENOENT; through glibc it would store
    // that in the errno it shares with us (same thread pointer).
    GATE.store(1, Ordering::Release);
    let mut plan = ExecPlan::new("/bin/true");
    plan.working_directory = WorkingDirectory { path: WorkDirPath::Path("/nonexistent/dir".into()), missing_ok: false };
    let spawning = spawn_async(plan.prepare().unwrap(), false).unwrap();
    open_gate();
    // SAFETY: our own errno.
    unsafe { *libc::__errno_location() = 7777 };
    let deadline = Instant::now() + Duration::from_secs(10);
    while !spawning.settled() {
        assert!(Instant::now() < deadline, "the child did not end");
        std::hint::spin_loop();
    }
    // SAFETY: as above.
    assert_eq!(unsafe { *libc::__errno_location() }, 7777);
    let pid = spawning.pid();
    assert!(matches!(spawning.finish(), Err(SpawnError::Setup { step: Step::WorkingDirectory, .. })));
    assert_eq!(exit_code(pid), 200);
}

#[test]
fn dropping_a_spawning_waits_for_the_child() {
    if !on_x86_64() {
        return;
    }
    GATE.store(1, Ordering::Release);
    let spawning = spawn_async(ExecPlan::new("/bin/true").prepare().unwrap(), false).unwrap();
    let pid = spawning.pid();
    let opener = std::thread::spawn(open_gate);
    drop(spawning);
    opener.join().unwrap();
    assert_eq!(exit_code(pid), 0);
}

#[test]
fn a_bounded_wait_gives_up_on_a_child_that_does_not_go_on() {
    if !on_x86_64() {
        return;
    }
    GATE.store(1, Ordering::Release);
    let spawning = spawn_async(ExecPlan::new("/bin/true").prepare().unwrap(), false).unwrap();
    assert!(!spawning.wait_settled(Duration::from_millis(5)), "held at the gate");
    open_gate();
    assert!(spawning.wait_settled(Duration::from_secs(10)));
    let child = spawning.finish().expect("exec'd");
    assert_eq!(exit_code(child.pid), 0);
}

/// A burst's stacks are mapped ahead (`reserve_stacks`): the pool is
/// filled up to the number asked, never beyond its bound, a spawn takes
/// its stack from there and gives it back, and an idle trim unmaps them.
#[test]
fn stacks_reserved_ahead_of_a_burst_are_taken_from_the_pool() {
    if !on_x86_64() {
        return;
    }
    trim_stacks(0);
    reserve_stacks(5);
    assert_eq!(pooled_stacks(), 5);
    reserve_stacks(3);
    assert_eq!(pooled_stacks(), 5, "enough already: nothing mapped, nothing dropped");
    reserve_stacks(usize::MAX);
    assert_eq!(pooled_stacks(), POOL_MAX, "bounded by the pool");
    GATE.store(1, Ordering::Release);
    let spawning = spawn_async(ExecPlan::new("/bin/true").prepare().unwrap(), true).unwrap();
    assert_eq!(pooled_stacks(), POOL_MAX - 1, "the child runs on a reserved stack");
    open_gate();
    let child = spawning.finish().expect("exec'd");
    assert_eq!(pooled_stacks(), POOL_MAX, "handed back");
    assert_eq!(exit_code(child.pid), 0);
    trim_stacks(2);
    assert_eq!(pooled_stacks(), 2);
}
