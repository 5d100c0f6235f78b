//! A cgroup per unit, where a writable cgroup v2 hierarchy exists.
//!
//! The manager finds the cgroup2 mount (`/proc/self/mountinfo`; on hybrid
//! hosts it is `/sys/fs/cgroup/unified`), its own cgroup in it
//! (`/proc/self/cgroup`, the `0::` line) and creates `vigil-PID/` below it
//! — PID being the manager's, so several managers (tests, `--root`
//! managers next to a system one) never share units' groups. Each unit
//! gets `vigil-PID/UNIT/`; the exec step writes the child into its
//! `cgroup.procs` before `execve`, so everything it forks stays there.
//!
//! With it: the unit's processes are `cgroup.procs`, `KillMode=control-group`
//! signals each of them (SIGKILL through `cgroup.kill` in one write),
//! and "the unit is empty" is `populated 0` in `cgroup.events`. Without a
//! writable hierarchy, [`Cgroups::base`] is `None` and the manager falls
//! back to the process tree under its subreaper.

use std::path::{Path, PathBuf};

pub struct Cgroups {
    base: Option<PathBuf>,
}

/// Unit names may contain `\` (escapes) and `@`: both are fine in a
/// directory name, `/` cannot occur in a valid unit name.
fn dir_name(unit: &str) -> &str {
    unit
}

impl Cgroups {
    pub fn detect() -> Cgroups {
        Cgroups { base: Self::find().and_then(|b| std::fs::create_dir_all(&b).ok().map(|_| b)) }
    }

    /// Without cgroups (tests of the fallback, or a read-only hierarchy).
    pub fn disabled() -> Cgroups {
        Cgroups { base: None }
    }

    fn find() -> Option<PathBuf> {
        let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
        let mount = mountinfo.lines().find_map(|l| {
            let (pre, post) = l.split_once(" - ")?;
            let fstype = post.split_whitespace().next()?;
            (fstype == "cgroup2").then(|| pre.split_whitespace().nth(4).map(PathBuf::from)).flatten()
        })?;
        let own = std::fs::read_to_string("/proc/self/cgroup").ok()?;
        let own = own.lines().find_map(|l| l.strip_prefix("0::"))?.trim_start_matches('/').to_string();
        let base = mount.join(own).join(format!("vigil-{}", std::process::id()));
        // Probe: we must be able to create and remove a group here.
        let probe = base.join("probe");
        std::fs::create_dir_all(&probe).ok()?;
        std::fs::remove_dir(&probe).ok()?;
        Some(base)
    }

    pub fn base(&self) -> Option<&Path> {
        self.base.as_deref()
    }

    /// The unit's group, created if needed.
    pub fn create(&self, unit: &str) -> Option<PathBuf> {
        let p = self.base.as_ref()?.join(dir_name(unit));
        std::fs::create_dir_all(&p).ok()?;
        Some(p)
    }

    fn path(&self, unit: &str) -> Option<PathBuf> {
        Some(self.base.as_ref()?.join(dir_name(unit)))
    }

    /// `Some(false)` when the unit's group exists and is empty.
    pub fn populated(&self, unit: &str) -> Option<bool> {
        let events = std::fs::read_to_string(self.path(unit)?.join("cgroup.events")).ok()?;
        events.lines().find_map(|l| l.strip_prefix("populated ")).map(|v| v.trim() == "1")
    }

    pub fn pids(&self, unit: &str) -> Vec<i32> {
        self.path(unit)
            .and_then(|p| std::fs::read_to_string(p.join("cgroup.procs")).ok())
            .map(|s| s.lines().filter_map(|l| l.trim().parse().ok()).collect())
            .unwrap_or_default()
    }

    /// Signal every process of the unit; SIGKILL goes through
    /// `cgroup.kill`, which also catches processes forking meanwhile.
    /// Returns how many processes were signalled (best effort).
    pub fn kill(&self, unit: &str, signal: i32) -> usize {
        let Some(p) = self.path(unit) else { return 0 };
        let pids = self.pids(unit);
        if signal == libc::SIGKILL && std::fs::write(p.join("cgroup.kill"), "1").is_ok() {
            return pids.len();
        }
        for pid in &pids {
            // SAFETY: kill(2) with plain integers.
            unsafe { libc::kill(*pid, signal) };
        }
        pids.len()
    }

    /// Remove an empty unit group (after the unit stopped).
    pub fn remove(&self, unit: &str) {
        if let Some(p) = self.path(unit) {
            let _ = std::fs::remove_dir(p);
        }
    }

    /// At exit: remove every (empty) group and the base.
    pub fn cleanup(&self) {
        let Some(base) = &self.base else { return };
        if let Ok(rd) = std::fs::read_dir(base) {
            for e in rd.flatten() {
                let _ = std::fs::remove_dir(e.path());
            }
        }
        let _ = std::fs::remove_dir(base);
    }
}
