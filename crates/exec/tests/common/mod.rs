//! Shared helpers for the integration tests: run a plan with its stdout
//! captured through a pipe, wait for exit with a deadline (never a fixed
//! sleep), temporary directories, root detection.

#![allow(dead_code)]

use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use exec::{spawn, try_reap, ExecPlan, ExitStatus, Stdio};

pub const DEADLINE: Duration = Duration::from_secs(20);

/// A close-on-exec pipe: (read end, write end).
pub fn pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: fds has room for two descriptors.
    assert_eq!(
        unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) },
        0,
        "pipe2"
    );
    // SAFETY: freshly created, owned here.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

/// Polls `try_reap(pid)` until the child has exited or the deadline passes.
pub fn wait_exit(pid: i32) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = try_reap(pid).expect("waitid") {
            return status;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "child {pid} did not exit within {DEADLINE:?}"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Reads `fd` to end-of-file, failing the test at the deadline.
pub fn read_to_end(fd: OwnedFd) -> String {
    let start = Instant::now();
    let mut out = Vec::new();
    let mut file = std::fs::File::from(fd);
    loop {
        let mut pfd = libc::pollfd {
            fd: file.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let left = DEADLINE.saturating_sub(start.elapsed());
        assert!(
            !left.is_zero(),
            "no end-of-file within {DEADLINE:?}; got {:?}",
            String::from_utf8_lossy(&out)
        );
        // SAFETY: one valid pollfd.
        let r = unsafe { libc::poll(&mut pfd, 1, left.as_millis().min(1000) as i32) };
        if r <= 0 {
            continue;
        }
        let mut buf = [0u8; 4096];
        let n = file.read(&mut buf).expect("read pipe");
        if n == 0 {
            return String::from_utf8_lossy(&out).into_owned();
        }
        out.extend_from_slice(&buf[..n]);
    }
}

/// Runs `plan` with stdout (and stderr, via `inherit`) captured; returns
/// the exit status and the output.
pub fn run_capture(plan: ExecPlan) -> (ExitStatus, String) {
    let (status, out, _) = run_capture_pid(plan);
    (status, out)
}

/// [`run_capture`], also naming the child's PID.
pub fn run_capture_pid(mut plan: ExecPlan) -> (ExitStatus, String, i32) {
    let (r, w) = pipe();
    plan.stdout = Stdio::Fd(w.as_raw_fd());
    plan.stderr = Stdio::Inherit;
    let prepared = plan.prepare().expect("prepare");
    let child = spawn(&prepared).expect("spawn");
    drop(w);
    let out = read_to_end(r);
    (wait_exit(child.pid), out, child.pid)
}

/// `/bin/sh -c script`.
pub fn sh(script: &str) -> ExecPlan {
    ExecPlan::new("/bin/sh").args(["-c", script])
}

pub fn is_root() -> bool {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Prints the skip notice and returns true when not root.
pub fn skip_unless_root(test: &str) -> bool {
    if is_root() {
        return false;
    }
    println!("{test}: skipped: needs root");
    true
}

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!(
            "vigil-exec-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&p).expect("create temp dir");
        TempDir(p)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One field of `/proc/<pid>/status`-style text, e.g. `status_field(s, "CapAmb")`.
pub fn status_field<'a>(status: &'a str, name: &str) -> Option<&'a str> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(':')))
        .map(str::trim)
}
