//! Who sent a message: the trusted fields of an entry.
//!
//! Every transport learns the sender's pid, uid and gid from the kernel
//! (`SO_PEERCRED` at connect, `SCM_CREDENTIALS` with each datagram or
//! stream read), never from the message. From the pid we read, as
//! journald does (`systemd.journal-fields(7)`, "Trusted Journal Fields"):
//! `_COMM`, `_EXE`, `_CMDLINE`, `_CAP_EFFECTIVE`, and the control group,
//! from which `_SYSTEMD_CGROUP`, `_SYSTEMD_SLICE` and `_SYSTEMD_UNIT`
//! follow (`/proc/PID/cgroup`: the unified `0::` line, else the
//! `name=systemd` one; the unit is the first path component below the
//! slices, e.g. `/system.slice/web.service/x` → `web.service`). A process
//! that has already exited simply yields fewer fields.
//!
//! [`ProcCache`] keeps what was read for a while (5 s, journald's refresh
//! age) so a chatty process costs one `/proc` walk, not one per line; it is
//! bounded and simply cleared when full.
//!
//! [`Registry`] is the manager's side channel: the manager (and only the
//! manager, identified by pid and uid — see the module essay of
//! `journald`) registers `pid → (unit, invocation id)` so that syslog and
//! native messages of services that run without their own cgroup are
//! attributed to their unit. Bounded: when full, entries of dead processes
//! go first, then the oldest.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// Credentials of a sender, from the kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Creds {
    pub pid: i32,
    pub uid: u32,
    pub gid: u32,
}

/// What `/proc/PID` told us.
#[derive(Clone, Debug, Default)]
pub struct ProcInfo {
    pub comm: Option<String>,
    pub exe: Option<String>,
    pub cmdline: Option<Vec<u8>>,
    pub cap_effective: Option<String>,
    pub cgroup: Option<String>,
    pub slice: Option<String>,
    pub unit: Option<String>,
}

impl ProcInfo {
    /// Reads `/proc/PID`. Missing pieces stay `None`.
    pub fn read(pid: i32) -> ProcInfo {
        let base = format!("/proc/{pid}");
        let comm = std::fs::read(format!("{base}/comm")).ok().map(|b| {
            let s = String::from_utf8_lossy(&b).into_owned();
            s.trim_end_matches('\n').to_string()
        });
        let exe = std::fs::read_link(format!("{base}/exe"))
            .ok()
            .map(|p| p.to_string_lossy().into_owned());
        let cmdline = std::fs::read(format!("{base}/cmdline"))
            .ok()
            .and_then(|mut b| {
                // Arguments are NUL-separated; journald joins them with spaces.
                while b.last() == Some(&0) {
                    b.pop();
                }
                for c in b.iter_mut() {
                    if *c == 0 {
                        *c = b' ';
                    }
                }
                (!b.is_empty()).then_some(b)
            });
        let cap_effective = std::fs::read_to_string(format!("{base}/status"))
            .ok()
            .and_then(|s| {
                s.lines().find_map(|l| l.strip_prefix("CapEff:")).map(|v| {
                    let v = v.trim().trim_start_matches('0');
                    if v.is_empty() {
                        "0".to_string()
                    } else {
                        v.to_string()
                    }
                })
            });
        let cgroup = std::fs::read_to_string(format!("{base}/cgroup"))
            .ok()
            .and_then(|s| cgroup_path(&s));
        let (slice, unit) = match &cgroup {
            Some(path) => unit_of_cgroup(path),
            None => (None, None),
        };
        ProcInfo {
            comm,
            exe,
            cmdline,
            cap_effective,
            cgroup: cgroup.filter(|p| p != "/"),
            slice,
            unit,
        }
    }
}

/// The process's control group path from `/proc/PID/cgroup` text.
pub fn cgroup_path(text: &str) -> Option<String> {
    let mut named = None;
    for line in text.lines() {
        if let Some(p) = line.strip_prefix("0::") {
            return Some(p.to_string());
        }
        let mut parts = line.splitn(3, ':');
        let (_, ctrl, path) = (parts.next(), parts.next(), parts.next());
        if ctrl == Some("name=systemd") {
            named = path.map(str::to_string);
        }
    }
    named
}

/// `(slice, unit)` of a control group path, the way systemd's
/// `cg_path_get_unit()`/`cg_path_get_slice()` see it: slices are skipped
/// (the deepest one is the slice), the next valid unit name is the unit.
pub fn unit_of_cgroup(path: &str) -> (Option<String>, Option<String>) {
    let mut slice = None;
    for comp in path.split('/').filter(|c| !c.is_empty()) {
        if comp.ends_with(".slice") {
            slice = Some(comp.to_string());
            continue;
        }
        let valid = unit::UnitName::parse(comp).is_ok();
        return (slice, valid.then(|| comp.to_string()));
    }
    (slice, None)
}

/// How long a `/proc` reading is trusted.
const PROC_MAX_AGE: Duration = Duration::from_secs(5);
/// Entries kept before the cache starts over.
const PROC_CACHE_MAX: usize = 2048;

/// Recent `/proc` readings by pid.
#[derive(Default)]
pub struct ProcCache {
    map: HashMap<i32, (Instant, std::rc::Rc<ProcInfo>)>,
}

impl ProcCache {
    pub fn get(&mut self, pid: i32) -> std::rc::Rc<ProcInfo> {
        let now = Instant::now();
        if let Some((at, info)) = self.map.get(&pid) {
            if now.duration_since(*at) < PROC_MAX_AGE {
                return info.clone();
            }
        }
        if self.map.len() >= PROC_CACHE_MAX {
            self.map.clear();
        }
        let info = std::rc::Rc::new(ProcInfo::read(pid));
        self.map.insert(pid, (now, info.clone()));
        info
    }
}

/// A unit attribution handed to us by the manager.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attribution {
    /// Boxed, not a `String`: an attribution lives as long as its stream or
    /// registration (a thousand of them on a booted system), and a box
    /// holds no spare capacity.
    pub unit: Box<str>,
    /// The invocation, if the manager named it: 16 bytes inline rather
    /// than a 32-digit string of its own (entries get its lowercase hex).
    pub invocation_id: Option<journal::Id128>,
}

/// Most pids the registry remembers.
pub const REGISTRY_MAX: usize = 16 * 1024;

/// pid → unit, as registered by the manager (see the module docs).
#[derive(Default)]
pub struct Registry {
    map: HashMap<i32, Attribution>,
    order: VecDeque<i32>,
}

impl Registry {
    pub fn register(&mut self, pid: i32, a: Attribution) {
        if self.map.len() >= REGISTRY_MAX && !self.map.contains_key(&pid) {
            self.make_room();
        }
        if self.map.insert(pid, a).is_none() {
            self.order.push_back(pid);
        }
    }

    pub fn forget(&mut self, pid: i32) {
        if self.map.remove(&pid).is_some() {
            self.order.retain(|&p| p != pid);
        }
    }

    pub fn get(&self, pid: i32) -> Option<&Attribution> {
        self.map.get(&pid)
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.map.len()
    }

    fn make_room(&mut self) {
        let dead: Vec<i32> = self
            .map
            .keys()
            .copied()
            .filter(|p| !std::path::Path::new(&format!("/proc/{p}")).exists())
            .collect();
        for p in &dead {
            self.map.remove(p);
        }
        self.order.retain(|p| self.map.contains_key(p));
        while self.map.len() >= REGISTRY_MAX {
            match self.order.pop_front() {
                Some(p) => {
                    self.map.remove(&p);
                }
                None => break,
            }
        }
    }
}

/// True for 32 lowercase or uppercase hex digits (an invocation id).
pub fn is_id128(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cgroup_lines_and_units() {
        let v2 = "0::/system.slice/web.service\n";
        assert_eq!(
            cgroup_path(v2).as_deref(),
            Some("/system.slice/web.service")
        );
        let hybrid = "1:name=systemd:/system.slice/a.service\n0::/\n";
        assert_eq!(cgroup_path(hybrid).as_deref(), Some("/"));
        let v1 = "2:cpu:/\n1:name=systemd:/system.slice/a.service\n";
        assert_eq!(cgroup_path(v1).as_deref(), Some("/system.slice/a.service"));
        assert_eq!(
            unit_of_cgroup("/system.slice/system-getty.slice/getty@tty1.service/x"),
            (
                Some("system-getty.slice".into()),
                Some("getty@tty1.service".into())
            )
        );
        assert_eq!(unit_of_cgroup("/"), (None, None));
        assert_eq!(unit_of_cgroup("/process_api/abc"), (None, None));
    }

    #[test]
    fn registry_is_bounded() {
        let mut r = Registry::default();
        let a = Attribution {
            unit: "x.service".into(),
            invocation_id: None,
        };
        // Pids far above pid_max never exist, so they count as dead.
        for p in 0..(REGISTRY_MAX as i32 + 10) {
            r.register(10_000_000 + p, a.clone());
        }
        assert!(r.len() <= REGISTRY_MAX);
        r.forget(10_000_000 + REGISTRY_MAX as i32 + 9);
        assert!(r.get(10_000_000 + REGISTRY_MAX as i32 + 9).is_none());
    }

    #[test]
    fn own_process_is_readable() {
        let info = ProcInfo::read(std::process::id() as i32);
        assert!(info.comm.is_some() && info.exe.is_some() && info.cmdline.is_some());
    }
}
