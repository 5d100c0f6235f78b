//! Joining a cgroup before exec: born there by `clone3(CLONE_INTO_CGROUP)`
//! or, where that cannot work, by the child's own write to `cgroup.procs`.
//! The cgroup tests need root and a writable cgroup v2 hierarchy (the CI
//! machine has one); without root they say they skipped, with root but
//! without cgroup2 they fail loudly.

mod common;

use std::path::PathBuf;

use common::*;
use exec::{spawn, spawn_nowait, ExecPlan, ExitStatus, SpawnError, Step};

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

/// A fresh cgroup below our own, removed on drop (once empty).
struct TestGroup {
    dir: PathBuf,
    /// Its path as `/proc/PID/cgroup` shows it.
    rel: String,
}

impl TestGroup {
    fn new(tag: &str) -> TestGroup {
        let mount = cgroup2_mount().expect("this test needs a cgroup2 mount");
        let rel = format!(
            "{}/vigil-exec-{tag}-{}",
            own_cgroup().trim_end_matches('/'),
            std::process::id()
        );
        let dir = mount.join(rel.trim_start_matches('/'));
        std::fs::create_dir(&dir)
            .unwrap_or_else(|e| panic!("cannot create cgroup {}: {e}", dir.display()));
        TestGroup { dir, rel }
    }
}

impl Drop for TestGroup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.dir);
    }
}

#[test]
fn child_is_born_in_the_cgroup_with_clone3() {
    if skip_unless_root("child_is_born_in_the_cgroup_with_clone3") {
        return;
    }
    let group = TestGroup::new("clone3");
    // The service and what it forks report their cgroup.
    let (r, w) = pipe();
    let mut plan = sh("cat /proc/self/cgroup; sh -c 'cat /proc/self/cgroup'");
    plan.stdout = exec::Stdio::Fd(std::os::fd::AsRawFd::as_raw_fd(&w));
    plan.cgroup = Some(group.dir.clone());
    let spawning = spawn_nowait(&plan.prepare().unwrap()).expect("spawn");
    // This kernel (>= 5.7, cgroup2) must take the clone3 path.
    assert!(spawning.joined_cgroup_at_clone());
    let child = spawning.finish().expect("exec");
    drop(w);
    assert!(child.pidfd.is_some(), "CLONE_PIDFD returns a pidfd");
    let out = read_to_end(r);
    assert_eq!(wait_exit(child.pid), ExitStatus::Exited(0));
    let want = format!("0::{}", group.rel);
    assert_eq!(out.lines().filter(|l| *l == want).count(), 2, "{out}");

    // The pidfd from clone3 names the child: a signal through it arrives.
    let mut plan = ExecPlan::new("/bin/sleep").args(["300"]);
    plan.cgroup = Some(group.dir.clone());
    let child = spawn(&plan.prepare().unwrap()).expect("spawn");
    child.signal(libc::SIGKILL).expect("signal through the pidfd");
    assert_eq!(
        wait_exit(child.pid),
        ExitStatus::Killed {
            signal: libc::SIGKILL,
            core_dumped: false
        }
    );
}

#[test]
fn without_a_usable_cgroup_dir_the_child_writes_cgroup_procs() {
    // Not a cgroup2 directory: clone3 refuses the descriptor (EBADF), so
    // the spawn falls back to fork and the child's own write, which here
    // lands in a plain file. No root needed.
    let dir = TempDir::new("not-a-cgroup");
    std::fs::write(dir.path().join("cgroup.procs"), "").unwrap();
    let mut plan = ExecPlan::new("/bin/true");
    plan.cgroup = Some(dir.path().to_path_buf());
    let spawning = spawn_nowait(&plan.prepare().unwrap()).expect("spawn");
    assert!(!spawning.joined_cgroup_at_clone());
    let child = spawning.finish().expect("exec");
    assert_eq!(wait_exit(child.pid), ExitStatus::Exited(0));
    let written = std::fs::read_to_string(dir.path().join("cgroup.procs")).unwrap();
    assert_eq!(written, child.pid.to_string());

    // A group that does not exist cannot be opened: the step reports it.
    let mut plan = ExecPlan::new("/bin/true");
    plan.cgroup = Some(dir.path().join("missing"));
    let spawning = spawn_nowait(&plan.prepare().unwrap()).expect("spawn");
    assert!(!spawning.joined_cgroup_at_clone());
    let err = spawning.finish().unwrap_err();
    assert!(
        matches!(err, SpawnError::Setup { step: Step::Cgroup, errno: libc::ENOENT, exit_code: 219, .. }),
        "{err}"
    );
    assert_eq!(wait_exit(err.pid().unwrap()), ExitStatus::Exited(219));
}

#[test]
fn the_callers_group_descriptor_is_used_and_left_open() {
    if skip_unless_root("the_callers_group_descriptor_is_used_and_left_open") {
        return;
    }
    let by_path = TestGroup::new("fd-path");
    let by_fd = TestGroup::new("fd-given");
    let dir = std::ffi::CString::new(by_fd.dir.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: NUL-terminated path; closed below.
    let fd = unsafe { libc::open(dir.as_ptr(), libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC) };
    assert!(fd >= 0, "open {}: {}", by_fd.dir.display(), std::io::Error::last_os_error());
    // The descriptor wins over the path (a caller lends the path's own
    // directory; two groups tell which one the spawn used).
    let (r, w) = pipe();
    let mut plan = ExecPlan::new("/bin/cat").args(["/proc/self/cgroup"]);
    plan.stdout = exec::Stdio::Fd(std::os::fd::AsRawFd::as_raw_fd(&w));
    plan.cgroup = Some(by_path.dir.clone());
    plan.cgroup_fd = Some(fd);
    let spawning = spawn_nowait(&plan.prepare().unwrap()).expect("spawn");
    assert!(spawning.joined_cgroup_at_clone());
    let child = spawning.finish().expect("exec");
    drop(w);
    let out = read_to_end(r);
    assert_eq!(wait_exit(child.pid), ExitStatus::Exited(0));
    assert!(out.lines().any(|l| l == format!("0::{}", by_fd.rel)), "{out}");
    // Still the caller's: not closed by the spawn.
    // SAFETY: fcntl on a descriptor number.
    assert!(unsafe { libc::fcntl(fd, libc::F_GETFD) } >= 0, "the spawn closed the caller's descriptor");
    // SAFETY: our descriptor, closed once.
    unsafe { libc::close(fd) };
}
