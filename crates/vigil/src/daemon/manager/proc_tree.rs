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
//!   the one process of the cgroup whose parent is the manager. Here the
//!   unit's processes are those carrying its `INVOCATION_ID=`
//!   ([`Manager::tree_pids`](super::Manager)), filtered the same way.
//! - *Is anything left?* A tracked pid whose process is gone without the
//!   manager having reaped it (reaped by its own parent) no longer counts.
//!
//! All read /proc, which an unprivileged manager may do for its own
//! user's processes, i.e. for its services.

use super::Manager;

/// How far up the tree a notification's sender is followed: far more than
/// any shell script nests, and a bound against a corrupt /proc read.
const MAX_DEPTH: usize = 64;

/// The parent of `pid`, from the fourth field of /proc/PID/stat (after the
/// command name, which may contain spaces and parentheses).
pub(super) fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok()
}

impl Manager {
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

    /// Whether a tracked process of unit `id` still exists. A tracked pid
    /// may vanish without the manager reaping it: a main process handed
    /// over with `MAINPID=` is still its old parent's child, and a shell
    /// reaps its background jobs; with cgroups the group's emptying says
    /// the unit is done, here only /proc can.
    pub(super) fn tracked_alive(&self, id: &str) -> bool {
        self.pids.of_unit(id).iter().any(|p| std::path::Path::new(&format!("/proc/{p}")).exists())
    }

    /// The processes of unit `id`: its cgroup's, or without cgroups those
    /// carrying its invocation id.
    pub(super) fn unit_pids(&self, id: &str) -> Vec<i32> {
        if self.cgroups.base().is_some() {
            self.cgroups.pids(id)
        } else {
            self.tree_pids(id)
        }
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
}
