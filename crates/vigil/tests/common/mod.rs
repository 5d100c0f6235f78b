//! Shared helpers for end-to-end tests: a temporary root with its own
//! manager, commands run against it, and polling with deadlines (never
//! fixed sleeps).
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub fn vigil() -> &'static str {
    env!("CARGO_BIN_EXE_vigil")
}

/// A temporary root directory; its manager (if one was started) is told to
/// exit and the directory removed when dropped.
pub struct TestRoot {
    pub path: PathBuf,
}

impl TestRoot {
    pub fn new(name: &str) -> TestRoot {
        // Short paths: the control socket path must fit in sun_path.
        let path = PathBuf::from(format!("/tmp/vt-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create test root");
        TestRoot { path }
    }

    pub fn root_arg(&self) -> String {
        format!("--root={}", self.path.display())
    }

    /// Run `vigil --root=THIS ARGS…`.
    pub fn vigil(&self, args: &[&str]) -> Output {
        Command::new(vigil()).arg(self.root_arg()).args(args).output().expect("run vigil")
    }

    pub fn control(&self) -> PathBuf {
        self.path.join("run/vigil/control")
    }

    /// A fresh root with these units in `etc/systemd/system`, `@ROOT@` in
    /// their text replaced by the root's path.
    pub fn with_units(name: &str, units: &[(&str, &str)]) -> TestRoot {
        let r = TestRoot::new(name);
        let dir = r.path.join("etc/systemd/system");
        std::fs::create_dir_all(&dir).expect("create unit dir");
        for (n, text) in units {
            std::fs::write(dir.join(n), text.replace("@ROOT@", r.path.to_str().unwrap())).expect("write unit");
        }
        r
    }

    /// `show -p P --value UNIT`, without the newline.
    pub fn prop(&self, unit: &str, p: &str) -> String {
        stdout(&self.vigil(&["show", "-p", p, "--value", unit])).trim_end().to_string()
    }

    /// The pid the manager wrote into its lock file.
    pub fn manager_pid(&self) -> Option<i32> {
        std::fs::read_to_string(self.path.join("run/vigil/lock")).ok()?.trim().parse().ok()
    }
}

impl Drop for TestRoot {
    fn drop(&mut self) {
        if self.control().exists() {
            let _ = Command::new(vigil()).arg(self.root_arg()).args(["--no-autostart", "exit"]).output();
            if let Some(pid) = self.manager_pid() {
                wait_until(Duration::from_secs(5), || !pid_alive(pid));
            }
        }
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

pub fn pid_alive(pid: i32) -> bool {
    // A zombie still "exists" for kill(0); check /proc state instead.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(s) => !s.rsplit(')').next().unwrap_or("").trim_start().starts_with('Z'),
        Err(_) => false,
    }
}

/// Poll `cond` every few milliseconds until it holds or the deadline passes.
pub fn wait_until(deadline: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + deadline;
    let mut pause = Duration::from_millis(1);
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= end {
            return false;
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn is_root() -> bool {
    // SAFETY: geteuid has no failure modes.
    unsafe { libc::geteuid() == 0 }
}

/// Run `vigil --root=R --no-autostart ARGS…` as user and group 65534
/// (nobody), for the authorisation tests (needs root; the root directory
/// must be readable by everybody).
pub fn vigil_as_nobody(r: &TestRoot, args: &[&str]) -> Output {
    Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", vigil(), &r.root_arg(), "--no-autostart"])
        .args(args)
        .output()
        .expect("run setpriv")
}
