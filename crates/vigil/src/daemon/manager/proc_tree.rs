//! Finding a unit's processes without cgroups: the process-tree fallback
//! for the questions systemd answers from the unit's cgroup.
//!
//! - *Whose notification is this?* (`NotifyAccess=all` hears any process
//!   of the unit, `systemd.service(5)`.) systemd reads the sender's cgroup.
//!   Here the sender's ancestors are walked through `/proc/PID/stat` up to
//!   a process the manager tracks (a main or control process): that is how
//!   a `systemd-notify` run from a service's script is found. A process
//!   whose parent chain was cut by a double fork (adopted by the manager,
//!   the subreaper) is not found this way, and its message is ignored as
//!   with an unknown sender.
//! - *Which process is the daemon?* (`GuessMainPID=`.) systemd looks for
//!   the one process of the cgroup whose parent is the manager. Here it is
//!   the one child of the manager carrying the unit's `INVOCATION_ID=`
//!   ([`with_invocation`]). The guess is made when the forking
//!   process is reaped, which can be while the daemon it forked is still
//!   in `execve(2)`: a reader of `/proc/PID/environ` waits for the exec's
//!   credentials lock and is let in before the new stack's environment
//!   is recorded (`setup_new_exec()` comes before `create_elf_tables()`),
//!   so the read is empty (as is a read through a descriptor opened
//!   before the exec replaced the address space). Such a child (empty
//!   environment *and* empty command line, not a zombie) is read again
//!   until its exec completes, within [`EXEC_WAIT`]; a loaded machine made
//!   this race visible.
//! - *Is anything left?* A tracked pid whose process is gone without the
//!   manager having reaped it (reaped by its own parent) no longer counts;
//!   the unit's processes are those carrying its `INVOCATION_ID=`, read
//!   with the same care for a process caught mid-exec (else a daemon
//!   forked and exec'ing at that moment made its unit look empty).
//!
//! All read /proc, which an unprivileged manager may do for its own
//! user's processes, i.e. for its services.

use std::path::{Path, PathBuf};

use engine::service::Event;
use unit::config::service::ServiceView;

use super::Manager;

/// How far up the tree a notification's sender is followed: far more than
/// any shell script nests, and a bound against a corrupt /proc read.
const MAX_DEPTH: usize = 64;

/// How long a child caught inside `execve(2)` is waited for.
const EXEC_WAIT: std::time::Duration = std::time::Duration::from_millis(200);

/// The processes whose environment carries `INVOCATION_ID=inv` — with
/// `children_only`, only the manager's own children (parent = the
/// manager, the subreaper). One caught mid-exec is read again once its
/// exec completes (module notes).
pub(super) fn with_invocation(inv: &str, children_only: bool) -> Vec<u32> {
    if inv.is_empty() {
        return Vec::new();
    }
    let me = std::process::id();
    let Ok(rd) = std::fs::read_dir("/proc") else { return Vec::new() };
    let want = format!("INVOCATION_ID={inv}");
    rd.flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()))
        .filter(|&p| p != me && (!children_only || parent_of(p) == Some(me)))
        .filter(|&p| environ_of(p).is_some_and(|env| env.split(|b| *b == 0).any(|v| v == want.as_bytes())))
        .collect()
}

/// `PF_KTHREAD` in the flags of /proc/PID/stat (`include/linux/sched.h`).
const PF_KTHREAD: u64 = 0x0020_0000;

/// `/proc/PID/environ`, waiting (within [`EXEC_WAIT`]) while it reads
/// empty because the process is between the two halves of an exec: its
/// command line reads empty too, and it is neither a zombie nor a kernel
/// thread (which read empty for good). A process with a command line and
/// no environment is taken as it reads.
fn environ_of(pid: u32) -> Option<Vec<u8>> {
    let deadline = std::time::Instant::now() + EXEC_WAIT;
    loop {
        let env = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
        if !env.is_empty() || std::time::Instant::now() >= deadline {
            return Some(env);
        }
        if !std::fs::read(format!("/proc/{pid}/cmdline")).ok()?.is_empty() {
            // The exec may have completed since the first read (which can
            // also have opened the mm the exec was replacing, and that
            // reads empty once released): what a fresh open reads now is
            // the process's environment.
            return std::fs::read(format!("/proc/{pid}/environ")).ok();
        }
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let mut fields = stat.rsplit_once(')')?.1.split_whitespace();
        let state = fields.next()?;
        let flags: u64 = fields.nth(5)?.parse().ok()?;
        if state == "Z" || state == "X" || flags & PF_KTHREAD != 0 {
            return Some(env);
        }
        std::thread::yield_now();
    }
}

/// The parent of `pid`, from the fourth field of /proc/PID/stat (after the
/// command name, which may contain spaces and parentheses).
pub(super) fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok()
}

impl Manager {
    /// The process-tree fallback for finding a unit's processes: every
    /// process whose environment carries the unit's `INVOCATION_ID=` (set
    /// for each service process and inherited by what it forks, double
    /// forks included). Needs the right to read /proc/PID/environ (root, or
    /// the manager's own user for its own services).
    pub(super) fn tree_pids(&self, id: &str) -> Vec<i32> {
        let inv = self.units.get(id).map(|u| u.invocation_id.as_str()).unwrap_or_default();
        with_invocation(inv, false).into_iter().map(|p| p as i32).collect()
    }

    /// The unit of the nearest tracked ancestor of `pid`.
    pub(super) fn unit_of_pid_in_tree(&self, pid: u32) -> Option<String> {
        let mut p = pid;
        for _ in 0..MAX_DEPTH {
            p = parent_of(p).filter(|&pp| pp > 1 && pp != std::process::id())?;
            if let Some(id) = self.pids.get(p) {
                return Some(id.to_string());
            }
        }
        None
    }

    /// `PIDFile=` read once the forking process is gone: the pid must
    /// exist and, with cgroups, belong to the unit.
    pub(super) fn read_pid_file(&self, id: &str) -> Event {
        let Some(path) = self.units.get(id).and_then(|u| ServiceView::new(&u.cfg).pid_file().map(PathBuf::from)) else {
            return Event::PidFileMissing;
        };
        let pid = std::fs::read_to_string(&path).ok().and_then(|s| s.trim().parse::<u32>().ok());
        match pid {
            // The pid must exist and, with cgroups, belong to the unit.
            Some(pid) if pid > 1 && Path::new(&format!("/proc/{pid}")).exists() => {
                let pids = self.cgroups.pids(id);
                if self.cgroups.base().is_some() && !pids.is_empty() && !pids.contains(&(pid as i32)) {
                    Event::PidFileMissing
                } else {
                    Event::PidFileRead { pid }
                }
            }
            _ => Event::PidFileMissing,
        }
    }

    /// `GuessMainPID=`: the one process of the unit whose parent is the
    /// manager (module notes).
    pub(super) fn guess_main_pid(&self, id: &str) -> Option<u32> {
        let me = std::process::id();
        let candidates: Vec<u32> = if self.cgroups.base().is_some() {
            self.cgroups.pids(id).into_iter().map(|p| p as u32).filter(|&p| parent_of(p) == Some(me)).collect()
        } else {
            let inv = self.units.get(id).map(|u| u.invocation_id.as_str()).unwrap_or_default();
            with_invocation(inv, true)
        };
        // Ambiguous (or none): systemd refuses to guess.
        match candidates[..] {
            [one] => Some(one),
            _ => None,
        }
    }

    /// Whether a tracked process of unit `id` still exists. A tracked pid
    /// may vanish without the manager reaping it: a main process handed
    /// over with `MAINPID=` is still its old parent's child, and a shell
    /// reaps its background jobs; with cgroups the group's emptying says
    /// the unit is done, here only /proc can.
    pub(super) fn tracked_alive(&self, id: &str) -> bool {
        self.pids.of_unit(id).iter().any(|p| std::path::Path::new(&format!("/proc/{p}")).exists())
    }
}

#[cfg(test)]
mod tests {
    use super::parent_of;

    #[test]
    fn parent_of_reads_the_ppid_field() {
        let me = std::process::id();
        // SAFETY: getppid has no failure modes.
        let parent = unsafe { libc::getppid() } as u32;
        assert_eq!(parent_of(me), Some(parent));
        assert_eq!(parent_of(u32::MAX), None);
    }

    #[test]
    fn a_child_is_found_by_its_invocation_id_and_others_are_not() {
        // The test process stands for the manager: its children count.
        let inv = format!("{:032x}", std::process::id() as u128 * 7919);
        let mut child = std::process::Command::new("sleep").arg("30").env("INVOCATION_ID", &inv).spawn().unwrap();
        let mut other = std::process::Command::new("sleep").arg("30").env("INVOCATION_ID", "0").spawn().unwrap();
        let found = super::with_invocation(&inv, true);
        let _ = (child.kill(), other.kill(), child.wait(), other.wait());
        assert_eq!(found, vec![child.id()]);
        assert!(super::with_invocation("", true).is_empty());
    }
}
