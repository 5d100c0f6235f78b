//! One turn of the event loop: what the manager puts off until the
//! events of the turn are handled, so that a burst of stops sends its
//! signals back to back.
//!
//! A turn begins when the event loop wakes ([`Manager::begin_turn`]) and
//! ends before it answers clients or sleeps again ([`Manager::end_turn`]).
//! In between, three things wait:
//!
//! - **The manager's messages** ("Stopping X...", "Stopped X."): held by
//!   the journal link and sent in order when the turn ends — after the
//!   turn's forks (`journal_link.rs`, "Held messages").
//! - **The emptiness check after a group kill.** A unit whose group was
//!   signalled may already be empty (its processes died before the
//!   signal), and then nothing else would tell its machine so before the
//!   stop timeout: the manager reads `cgroup.events` once the signals are
//!   out and feeds [`Event::AllProcessesGone`]. Done at once, that read
//!   (open, read, close of a cgroup file) stands between one unit's
//!   `SIGTERM` and the next unit's; in a turn it is queued and done once
//!   every job the turn runs has sent its signals — and always before the
//!   first child of the turn is reaped, so the machine still hears that
//!   its group is empty before it hears that its main process exited (the
//!   engine's contract, `engine::service`, "What the daemon owes the
//!   machine"), as when the check was made at once.
//!
//! Why putting the check off is safe: it is the same read, made later in
//! the same turn, before any timer of the turn fires and before the loop
//! sleeps; what it finds is as true then as it would have been earlier —
//! a group that was empty after the signal stays empty unless the machine
//! itself spawned into it since, and then `populated 1` is the truth. A
//! group that empties after the read is reported by its `cgroup.events`
//! watch, as before. Checks are made in the order the kills were sent;
//! the stops they complete may wake further jobs, whose checks wait for
//! the same settling loop.
//!
//! - **The group's signals themselves** (`KillMode=control-group`: the
//!   unit's processes other than its main and control processes, found in
//!   `cgroup.procs`). In a turn they are queued with the check and sent
//!   when it is made, right before it: at a stop of every unit, each
//!   unit's main process gets its `SIGTERM` (two `kill(2)`s) back to back,
//!   and the last one goes out before the first `cgroup.procs` is opened —
//!   before, each unit's open/read/read/close of that file stood between
//!   one main process's signal and the next (the stop-all benchmark, 1000
//!   units). The group's other processes get the signal later in the same
//!   turn, before anything else happens to the unit: before any child is
//!   reaped, any timer fires, the loop sleeps, or the machine spawns into
//!   the group ([`Manager::group_kills_now`]). That is what
//!   `systemd.kill(5)` asks ("all remaining processes in the control group
//!   of this unit will be killed on unit stop"); systemd too signals the
//!   main process first and the rest of the group after it. A group read
//!   as empty since its last spawn and event is not read again (nothing to
//!   signal).
//!
//!   When the spared processes are all our children that exited already
//!   (`waitid(…, WNOWAIT)`, which leaves them to be reaped), or there is
//!   none (the main process was reaped before the kill, as when a
//!   `Restart=` service dies), the group is read first (`cgroup.events`):
//!   empty, nothing is left to signal and `cgroup.procs` is not opened —
//!   at a stop-all most services die before their group's turn comes.
//!   When `cgroup.procs` listed nothing but the spared processes and each
//!   of those is our child,
//!   the `cgroup.events` read after the signals is not made: the group was
//!   populated when read, its emptying is reported by its watch, and the
//!   reaping of the spared children checks it again (`child_exited`) — a
//!   group is never left unchecked. When anything else was listed (and
//!   signalled) or nothing at all, the check reads `cgroup.events` as
//!   before: taking "something was listed" for "not empty" when that
//!   something was a left-over process made `mainpid_in_reload_stop` fail
//!   under load.
//!
//! The boot's start job is one turn too (`EventLoop::boot`), so its
//! spawns go back to back and its "Started X." lines follow them.
//! Outside a turn (the loop's work between turns: exec reports queued
//! by a spawn, settling children, finished jobs) nothing is held or put
//! off: [`Manager::kill_group`] signals and checks at once, as it always
//! did.

use engine::service::{Event, KillTarget};

use super::Manager;

/// A group signal put off to the end of the turn.
pub(super) struct GroupKill {
    signal: i32,
    cont: bool,
    /// The main and control processes at the time of the kill.
    spared: Vec<i32>,
}

/// A check put off, with the group signals to send first.
pub(super) struct Check {
    id: String,
    kills: Vec<GroupKill>,
}

/// The checks a turn put off; `None` outside a turn.
pub(super) type EmptyChecks = Option<Vec<Check>>;

impl Manager {
    /// The event loop woke: hold messages and put off emptiness checks
    /// until [`Manager::end_turn`].
    pub fn begin_turn(&mut self) {
        self.journal.hold();
        self.empty_checks.get_or_insert_with(Vec::new);
    }

    /// The events of the turn are handled: make the checks put off
    /// (and those the stops they complete cause), then send the held
    /// messages.
    pub fn end_turn(&mut self) {
        self.settle_empty_checks();
        self.empty_checks = None;
        self.journal.release();
    }

    /// `KillTarget::Group` to be signalled: at once outside a turn (and
    /// without cgroups), with the event telling the machine its group is
    /// empty if it is; in a turn, queued with its check and `None`
    /// returned (module docs).
    pub(super) fn kill_group(&mut self, id: &str, signal: i32, cont: bool) -> Option<Event> {
        if self.empty_checks.is_none() || self.cgroups.base().is_none() {
            self.kill(id, KillTarget::Group, signal, cont, false);
            // Signalling an empty unit: tell the machine that nothing is
            // left, or it would wait for its stop timeout. Read after the
            // signals: processes that died meanwhile count as gone, as with
            // systemd's synchronous cgroup check.
            return self.group_killed(id);
        }
        let kill = GroupKill { signal, cont, spared: self.group_spared(id) };
        let list = self.empty_checks.as_mut()?;
        match list.last_mut() {
            // SIGTERM and SIGHUP (SendSIGHUP=) to the same group: one check.
            Some(c) if c.id == id => c.kills.push(kill),
            _ => list.push(Check { id: id.to_string(), kills: vec![kill] }),
        }
        None
    }

    /// After `KillTarget::Group` was signalled: the event telling the
    /// machine its group is empty, at once outside a turn; in a turn the
    /// check is queued and `None` returned (module docs).
    pub(super) fn group_killed(&mut self, id: &str) -> Option<Event> {
        match &mut self.empty_checks {
            Some(list) => {
                if list.last().map(|c| c.id.as_str()) != Some(id) {
                    list.push(Check { id: id.to_string(), kills: Vec::new() });
                }
                None
            }
            None => self.unit_is_empty(id).then_some(Event::AllProcessesGone),
        }
    }

    /// The machine spawns into `id`'s group: the signals put off for it
    /// go out first (its check stays queued, and reads `cgroup.events`).
    pub(super) fn group_kills_now(&mut self, id: &str) {
        let Some(list) = self.empty_checks.as_mut() else { return };
        let kills: Vec<GroupKill> = list.iter_mut().filter(|c| c.id == id).flat_map(|c| std::mem::take(&mut c.kills)).collect();
        for k in kills {
            self.cgroups.kill(id, k.signal, k.cont, &k.spared);
        }
    }

    /// Send the group signals put off so far and make the checks, and
    /// those that the stops they complete queue in turn, until none is
    /// left.
    ///
    /// The `cgroup.events` changes queued before the checks are read first:
    /// a group checked here is read after them, so its change is already
    /// seen (a stop-all whose services died before their check read each
    /// group again, and `/proc` for its main process, when its change came
    /// in); the other groups' changes are handled after the checks, as the
    /// event loop would have.
    pub fn settle_empty_checks(&mut self) {
        loop {
            let list = match self.empty_checks.as_mut() {
                Some(list) if !list.is_empty() => std::mem::take(list),
                _ => return,
            };
            let mut changed = self.cgroups.changed_units();
            if !changed.is_empty() {
                let checked: std::collections::HashSet<&str> = list.iter().map(|c| c.id.as_str()).collect();
                changed.retain(|id| !checked.contains(id.as_str()));
            }
            let now = self.now();
            for check in list {
                if !check.kills.is_empty() && !self.signal_group(&check) {
                    continue;
                }
                if self.unit_is_empty(&check.id) {
                    self.feed(&check.id, now, Event::AllProcessesGone);
                }
            }
            self.groups_changed(changed);
        }
    }

    /// Send a check's group signals; whether `cgroup.events` must still
    /// be read (module docs: not when only the spared processes, our
    /// children, were listed).
    fn signal_group(&mut self, check: &Check) -> bool {
        // Read as empty since its last spawn and event: nothing to signal,
        // and the check answers from the same knowledge.
        if self.cgroups.known_empty(&check.id) {
            return true;
        }
        // Its group removed already (the unit went down earlier in this
        // turn, as a finished Accept=yes instance does): the kernel removes
        // only an empty group, so there is nothing to signal, and no
        // `cgroup.procs` to fail to open.
        if self.cgroups.base().is_some() && self.units.get(&check.id).is_some_and(|u| !u.in_cgroup) {
            return true;
        }
        let spared = &check.kills[0].spared;
        // Spared processes that all exited (our zombies, not reaped yet),
        // or none left to spare (the main process exited and was reaped,
        // as before a `Restart=` restart): the group is most likely empty,
        // and `cgroup.events` says so without `cgroup.procs` (nothing to
        // signal then). A group that still holds processes costs one read
        // more.
        let states: Vec<Child> = spared.iter().map(|&p| child_state(p)).collect();
        if states.iter().all(|s| *s == Child::Exited) && self.cgroups.populated(&check.id) != Some(true) {
            return true;
        }
        let mut listed_spared_only = true;
        for k in &check.kills {
            let found = self.cgroups.kill(&check.id, k.signal, k.cont, &k.spared);
            if found.listed == 0 || found.signalled > 0 {
                listed_spared_only = false;
            }
        }
        !(listed_spared_only && states.iter().all(|s| *s != Child::NotOurs))
    }
}

/// What `waitid(…, WNOWAIT)` says of a process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Child {
    /// Our child, running.
    Running,
    /// Our child, exited and not reaped yet.
    Exited,
    /// Not a child of ours (or reaped already).
    NotOurs,
}

/// `waitid(P_PID, pid, WEXITED|WNOHANG|WNOWAIT)`: leaves the process as it
/// is (a zombie stays to be reaped) and fails with `ECHILD` for anyone
/// else's process.
fn child_state(pid: i32) -> Child {
    // SAFETY: waitid with a zeroed siginfo to fill; WNOWAIT reaps nothing.
    unsafe {
        let mut info: libc::siginfo_t = std::mem::zeroed();
        if libc::waitid(libc::P_PID, pid as libc::id_t, &mut info, libc::WEXITED | libc::WNOHANG | libc::WNOWAIT) != 0 {
            return Child::NotOurs;
        }
        if info.si_pid() == 0 { Child::Running } else { Child::Exited }
    }
}

#[cfg(test)]
mod tests {
    use super::{child_state, Child};

    /// Our running child, our unreaped zombie (which `WNOWAIT` leaves to
    /// be reaped), a reaped child and someone else's process.
    #[test]
    fn our_children_are_told_from_other_processes() {
        let mut child = std::process::Command::new("/bin/sleep").arg("30").spawn().unwrap();
        let pid = child.id() as i32;
        assert_eq!(child_state(pid), Child::Running);
        // SAFETY: kill(2) of our own child.
        unsafe { libc::kill(pid, libc::SIGKILL) };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while child_state(pid) != Child::Exited {
            assert!(std::time::Instant::now() < deadline, "the child never exited");
            std::thread::yield_now();
        }
        assert!(std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap().contains(") Z "), "still a zombie");
        assert!(child.try_wait().unwrap().is_some(), "WNOWAIT left it to be reaped");
        assert_eq!(child_state(pid), Child::NotOurs, "a reaped child is not ours");
        assert_eq!(child_state(1), Child::NotOurs, "nor is init");
    }
}
