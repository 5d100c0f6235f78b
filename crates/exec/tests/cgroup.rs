//! Joining a cgroup before exec. Needs root and a writable cgroup v2
//! hierarchy (the CI machine has one); without root the test says it
//! skipped, with root but without cgroup2 it fails loudly.

mod common;

use std::path::PathBuf;

use common::*;
use exec::{spawn, ExecPlan, ExitStatus, SpawnError, Step};

/// Mount point of the cgroup2 hierarchy, from /proc/self/mountinfo.
fn cgroup2_mount() -> Option<PathBuf> {
    let info = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    info.lines().find_map(|l| {
        let (left, right) = l.split_once(" - ")?;
        if right.split_whitespace().next()? != "cgroup2" {
            return None;
        }
        left.split_whitespace().nth(4).map(PathBuf::from)
    })
}

/// Our own cgroup v2 path ("0::/path").
fn own_cgroup() -> String {
    std::fs::read_to_string("/proc/self/cgroup")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("0::").map(str::to_string))
        .expect("no cgroup v2 entry in /proc/self/cgroup")
}

#[test]
fn child_joins_the_cgroup_before_exec() {
    if skip_unless_root("child_joins_the_cgroup_before_exec") {
        return;
    }
    let mount = cgroup2_mount().expect("this test needs a cgroup2 mount");
    let own = own_cgroup();
    let rel = format!(
        "{}/vigil-exec-test-{}",
        own.trim_end_matches('/'),
        std::process::id()
    );
    let dir = mount.join(rel.trim_start_matches('/'));
    std::fs::create_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot create cgroup {}: {e}", dir.display()));

    let mut plan = ExecPlan::new("/bin/cat").args(["/proc/self/cgroup"]);
    plan.cgroup = Some(dir.clone());
    let (status, out) = run_capture(plan);
    assert_eq!(status, ExitStatus::Exited(0));
    assert!(out.lines().any(|l| l == format!("0::{rel}")), "{out}");

    let mut plan = ExecPlan::new("/bin/true");
    plan.cgroup = Some(dir.join("missing"));
    let err = spawn(&plan.prepare().unwrap()).unwrap_err();
    let SpawnError::Setup {
        pid,
        step,
        errno,
        exit_code,
    } = err
    else {
        panic!("unexpected error {err}")
    };
    assert_eq!((step, errno, exit_code), (Step::Cgroup, libc::ENOENT, 219));
    assert_eq!(wait_exit(pid), ExitStatus::Exited(219));

    std::fs::remove_dir(&dir).unwrap();
}
