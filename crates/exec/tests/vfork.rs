//! The `CLONE_VM | CLONE_VFORK` spawn path (`src/vfork.rs`): which plans
//! take it, that its outcome is known when `spawn_nowait` returns (no
//! report pipe), that failures still name their step and exit code, that
//! the child's writes into the parent's slots are right, and that several
//! threads can spawn at once (one child stack per thread).
//!
//! On other architectures the path does not exist and the tests that
//! assert it was taken are skipped with a message.

mod common;

use std::os::fd::AsRawFd;

use common::*;
use exec::{spawn_nowait, ExecPlan, ExitStatus, FileMode, SpawnError, Stdio, Step};

fn vfork_expected() -> bool {
    if cfg!(target_arch = "x86_64") {
        true
    } else {
        eprintln!("skipped: the CLONE_VM spawn exists on x86_64 only");
        false
    }
}

#[test]
fn a_plain_plan_is_spawned_without_a_report_pipe_and_runs() {
    if !vfork_expected() {
        return;
    }
    let (r, w) = pipe();
    let mut plan = sh("echo \"pid=$$ exec=$SYSTEMD_EXEC_PID\"; exit 7");
    plan.stdout = Stdio::Fd(w.as_raw_fd());
    let spawning = spawn_nowait(&plan.prepare().unwrap()).unwrap();
    assert!(spawning.report_fd().is_none(), "the CLONE_VM path keeps no report pipe");
    let child = spawning.finish().unwrap();
    drop(w);
    let out = read_to_end(r);
    // The child filled the SYSTEMD_EXEC_PID= slot with its own PID.
    assert_eq!(out.trim(), format!("pid={0} exec={0}", child.pid));
    assert_eq!(wait_exit(child.pid), ExitStatus::Exited(7));
}

#[test]
fn a_failing_step_is_reported_from_shared_memory() {
    if !vfork_expected() {
        return;
    }
    let spawning = spawn_nowait(&ExecPlan::new("/nonexistent/vigil-vfork").prepare().unwrap()).unwrap();
    assert!(spawning.report_fd().is_none());
    let SpawnError::Setup { pid, step, errno, exit_code } = spawning.finish().unwrap_err() else {
        panic!("expected a setup failure")
    };
    assert_eq!((step, errno, exit_code), (Step::Exec, libc::ENOENT, 203));
    assert_eq!(wait_exit(pid), ExitStatus::Exited(203));

    // A step before exec: the working directory (200/CHDIR).
    let mut plan = ExecPlan::new("/bin/true");
    plan.working_directory = exec::WorkingDirectory {
        path: exec::WorkDirPath::Path("/nonexistent/dir".into()),
        missing_ok: false,
    };
    let SpawnError::Setup { pid, step, exit_code, .. } =
        spawn_nowait(&plan.prepare().unwrap()).unwrap().finish().unwrap_err()
    else {
        panic!("expected a setup failure")
    };
    assert_eq!((step, exit_code), (Step::WorkingDirectory, 200));
    assert_eq!(wait_exit(pid), ExitStatus::Exited(200));
}

#[test]
fn a_plan_opening_a_path_as_a_stream_is_forked() {
    // Opening a FIFO blocks until a reader comes: that must not stall the
    // parent, so such plans keep the report pipe (the fork path).
    let dir = TempDir::new("vfork-file");
    let mut plan = ExecPlan::new("/bin/true");
    plan.stdout = Stdio::File { path: dir.path().join("out"), mode: FileMode::Append };
    let spawning = spawn_nowait(&plan.prepare().unwrap()).unwrap();
    assert!(spawning.report_fd().is_some(), "a file stream goes through fork");
    let child = spawning.finish().unwrap();
    assert_eq!(wait_exit(child.pid), ExitStatus::Exited(0));
}

#[test]
fn threads_spawn_at_the_same_time() {
    let threads: Vec<_> = (0..4)
        .map(|t| {
            std::thread::spawn(move || {
                for i in 0..50 {
                    let (status, out) = run_capture(sh(&format!("echo {t}-{i}")));
                    assert_eq!(status, ExitStatus::Exited(0));
                    assert_eq!(out, format!("{t}-{i}\n"));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}
