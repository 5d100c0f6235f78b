//! The units' processes once they run: signals ([`Manager::kill`]),
//! reaping ([`Manager::child_exited`]), finding out that a unit has no
//! process left (its cgroup's `populated 0`, or without cgroups the pids
//! tracked and the process tree), and `sd_notify` datagrams, each turned
//! into the engine event of the unit the process belongs to.
//!
//! A unit is empty when its group is, and the engine hears it after the
//! exits it could still see: a tracked pid that vanished without being
//! reaped here (a `MAINPID=` handed over and reaped by its own parent) is
//! reported as gone first ([`Manager::unit_emptied`]).

use std::path::Path;

use engine::service::{ActiveState, Event, ExitStatus as EngineExit, KillTarget, LogLevel};

use super::Manager;

impl Manager {
    /// Send `signal` (and `SIGCONT` after it when `cont`) to `target`.
    pub(super) fn kill(&mut self, id: &str, target: KillTarget, signal: i32, cont: bool, notice: bool) {
        let one = |pid: u32| {
            // SAFETY: kill(2) with plain integers.
            unsafe {
                libc::kill(pid as i32, signal);
                if cont {
                    libc::kill(pid as i32, libc::SIGCONT);
                }
            }
        };
        match target {
            KillTarget::Main(pid) | KillTarget::Control(pid) => {
                if notice {
                    self.log(id, LogLevel::Notice, &format!("Killing process {pid} with signal {}.", unit::value::signal::name_of(signal)));
                }
                one(pid);
            }
            KillTarget::Group => {
                let except = self.group_spared(id);
                self.cgroups.kill(id, signal, cont, &except);
                if self.cgroups.base().is_none() {
                    // No cgroups: the processes we know and those found
                    // through the process tree, but main and control.
                    let mut all: Vec<i32> = self.pids.of_unit(id).iter().map(|p| *p as i32).collect();
                    all.extend(self.tree_pids(id));
                    all.sort_unstable();
                    all.dedup();
                    for p in all.into_iter().filter(|p| !except.contains(p)) {
                        one(p as u32);
                    }
                }
            }
        }
    }

    /// The processes a group kill spares: the main and control processes,
    /// which the engine signals on their own.
    pub(super) fn group_spared(&self, id: &str) -> Vec<i32> {
        let svc = self.units.get(id).and_then(|u| u.svc.as_ref());
        [svc.and_then(|s| s.main_pid()), svc.and_then(|s| s.control_pid())].into_iter().flatten().map(|p| p as i32).collect()
    }

    /// No process of the unit is left (cgroup empty; without cgroups, no
    /// tracked pid and no process carrying the unit's invocation id).
    pub(super) fn unit_is_empty(&self, id: &str) -> bool {
        // With cgroups, a unit whose group was removed when it went down
        // (or never made: groups are made only at spawn) has only the pids
        // we track; no need to find out by failing to open its group.
        if self.cgroups.base().is_some() && self.units.get(id).is_some_and(|u| !u.in_cgroup) {
            return self.pids.of_unit(id).is_empty();
        }
        match self.cgroups.populated(id) {
            Some(p) => !p,
            // With cgroups, a unit without a group (removed when the unit
            // went down, or never made) has only the pids we track: the
            // /proc walk below is for managers without cgroups.
            None if self.cgroups.base().is_some() => self.pids.of_unit(id).is_empty(),
            None => !self.tracked_alive(id) && self.tree_pids(id).is_empty(),
        }
    }

    /// A child was reaped.
    pub fn child_exited(&mut self, pid: i32, status: exec::ExitStatus) {
        if self.journal.exited(pid) {
            return;
        }
        // The group checks of the turn's kills come before any exit.
        self.settle_empty_checks();
        self.spawn_settle(pid);
        let now = self.now();
        // An orphan adopted through the subreaper is nobody we track: if
        // its unit emptied, its cgroup's events say so (cgroup_events);
        // without cgroups, units that are stopping are checked again.
        let Some(id) = self.pids.remove(pid as u32) else {
            if self.cgroups.base().is_none() {
                let stopping: Vec<String> = self
                    .units
                    .iter()
                    .filter(|(_, u)| u.svc.as_ref().is_some_and(|s| s.active_state() == ActiveState::Deactivating))
                    .map(|(id, _)| id.to_string())
                    .collect();
                for id in stopping {
                    if self.unit_is_empty(&id) {
                        self.unit_emptied(&id, now);
                    }
                }
            }
            return;
        };
        if self.units.get(&id).is_some_and(|u| u.sock().is_some()) {
            self.socket_child_exited(&id, pid as u32, status);
            return;
        }
        let st = match status {
            exec::ExitStatus::Exited(c) => EngineExit::Exited(c as u8),
            exec::ExitStatus::Killed { signal, core_dumped } => EngineExit::Killed { signal, core_dumped },
        };
        if let Some(u) = self.units.get_mut(&id).filter(|u| u.svc.as_ref().and_then(|s| s.main_pid()) == Some(pid as u32)) {
            u.exec_main_pid = pid as u32;
        }
        self.exec_run_exited(&id, pid as u32, status);
        self.feed(&id, now, Event::ChildExited { pid: pid as u32, status: st });
        if self.unit_is_empty(&id) {
            self.unit_emptied(&id, now);
        }
    }

    /// The unit has no process left. Tracked pids that vanished without
    /// being reaped by us (a main process handed over with `MAINPID=` and
    /// reaped by its own parent) are reported as gone first — their status
    /// is unknown, so as killed by SIGTERM while stopping and as a clean
    /// exit otherwise — then the machine hears that the unit is empty.
    pub(super) fn unit_emptied(&mut self, id: &str, now: u64) {
        let lost: Vec<u32> =
            self.pids.of_unit(id).iter().copied().filter(|p| !Path::new(&format!("/proc/{p}")).exists()).collect();
        for pid in lost {
            self.pids.remove(pid);
            let stopping = self.units.get(id).and_then(|u| u.svc.as_ref()).is_some_and(|s| s.active_state() == ActiveState::Deactivating);
            let status = if stopping {
                EngineExit::Killed { signal: libc::SIGTERM, core_dumped: false }
            } else {
                EngineExit::Exited(0)
            };
            self.feed(id, now, Event::ChildExited { pid, status });
        }
        self.feed(id, now, Event::AllProcessesGone);
    }

    /// The inotify descriptor reporting cgroup changes, for the event loop.
    pub fn cgroup_events_fd(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        self.cgroups.events_fd()
    }

    /// `cgroup.events` of some units changed: those that emptied are told.
    pub fn cgroup_events(&mut self) {
        let ids = self.cgroups.changed_units();
        self.groups_changed(ids);
    }

    /// These units' `cgroup.events` changed: those that emptied are told.
    pub(super) fn groups_changed(&mut self, ids: Vec<String>) {
        let now = self.now();
        for id in ids {
            let running = self.units.get(&id).and_then(|u| u.svc.as_ref()).is_some_and(|s| s.active_state() != ActiveState::Inactive);
            if running && self.cgroups.populated(&id) == Some(false) {
                self.unit_emptied(&id, now);
            }
        }
    }

    /// A notification datagram from `pid`.
    pub fn notify(&mut self, pid: u32, n: &crate::daemon::notify::Notify) {
        let Some(id) = self.pids.get(pid).map(str::to_string).or_else(|| self.unit_of_pid(pid)).or_else(|| self.unit_of_pid_in_tree(pid)) else {
            self.journal.console(&[&format!("Cannot find unit for notify message of PID {pid}, ignoring.")]);
            return;
        };
        use engine::service::{Notify, NotifyLifecycle, WatchdogNotify};
        let lifecycle = if n.stopping {
            Some(NotifyLifecycle::Stopping)
        } else if n.reloading {
            Some(NotifyLifecycle::Reloading)
        } else if n.ready {
            Some(NotifyLifecycle::Ready)
        } else {
            None
        };
        let ev = Notify {
            pid,
            lifecycle,
            main_pid: n.main_pid,
            status: n.status.clone(),
            errno: n.errno,
            extend_timeout_usec: n.extend_timeout_usec,
            watchdog: if n.watchdog_trigger {
                Some(WatchdogNotify::Trigger)
            } else if n.watchdog_ping {
                Some(WatchdogNotify::Ping)
            } else {
                None
            },
            watchdog_usec: n.watchdog_usec,
        };
        let now = self.now();
        self.feed(&id, now, Event::Notify(ev));
    }

    /// Which unit's cgroup holds `pid`.
    pub(super) fn unit_of_pid(&self, pid: u32) -> Option<String> {
        let base = self.cgroups.base()?.file_name()?.to_string_lossy().into_owned();
        let cg = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?;
        let path = cg.lines().find_map(|l| l.strip_prefix("0::"))?;
        let mut parts = path.rsplit('/');
        let unit = parts.next()?;
        (parts.next()? == base).then(|| unit.to_string()).filter(|u| self.units.contains_key(u))
    }
}
