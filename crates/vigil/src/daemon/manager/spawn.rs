//! Children between clone and exec: the manager does not wait for them.
//!
//! A spawn ([`Manager::spawn`] in the parent module) starts the child with
//! [`exec::spawn_async`] and answers the engine with `Spawned` at once.
//! Most children share the manager's memory until they exec (`CLONE_VM`,
//! `exec`'s `vfork` module) and run their setup steps on the other CPU
//! while the manager goes on with the next unit or connection; the
//! `Spawning` owns the plan, buffers and stack the child uses until it
//! has exec'd or exited, and says so with a load from memory
//! ([`exec::Spawning::settled`]), so no report pipe is made. A few plans
//! are still waited for (`OOMScoreAdjust=`: the manager resumes when the
//! child has exec'd, the outcome is handled at once). A forked child
//! (plans with namespaces or paths as standard streams, whose steps could
//! block) has a report pipe ([`exec::Spawning::report_fd`]).
//! Watched pipes are in an epoll of their own whose descriptor the event
//! loop polls; a pipe becomes readable when the child has exec'd
//! (end-of-file) or a step failed (a report).
//!
//! # States of one child
//!
//! Only a `Type=exec` main process needs its exec reported as it happens
//! (the machine is started only then, as `systemd.service(5)` says; every
//! other state ignores `ExecSucceeded`): it gets a pipe, watched. Every
//! other child's report is *kept*, not watched: a forked child's is read
//! when it is reaped, which still logs a failed step before the exit
//! fails the unit, and spares each spawn two `epoll_ctl`s and a wake-up
//! (one per `Accept=yes` connection). A no-wait `CLONE_VM` child must not
//! hold its stack and plan for the service's lifetime, though: it is
//! settled (*lazy*, below) as soon as the loop sees it exec'd.
//!
//! | state | left by | then |
//! |---|---|---|
//! | pending (in `pending`), watched | its pipe is readable ([`Manager::spawn_reports`]) | exec'd: `ExecSucceeded` for a main process (`Type=exec` is started only now, as `systemd.service(5)` says); failed: the step's error is logged |
//! | pending | the child is reaped first ([`Manager::spawn_settle`]) | the report is read then (the pipe is closed, the read cannot block), before the exit is handled, so the log says why before the unit fails |
//! | pending, with [`PENDING_MAX`] others | the next spawn | every lazy child that has exec'd is settled, in any order; while none has, the manager waits for the oldest [`ROOM_WAIT`] at a time and looks again ([`Manager::make_room`]); a child with a pipe, the oldest, blocking until it has exec'd: bounds the descriptors (and child stacks) held while 1000 units start at once |
//! | pending, lazy (no-wait, no pipe) | each loop turn ([`Manager::spawn_settle_done`]) | settled if exec'd: a load of the word the kernel clears at exec; its stack goes back to the pool, its plan is freed |
//! | pending, lazy | the loop idle for [`SETTLE_MS`] ([`Manager::spawn_settle_all`]) | waited for (its steps cannot block; at most [`SETTLE_WAIT`], once: a child stopped before exec is then *stuck*, only checked each turn, and the idle loop no longer waits for it) and settled; the spare stacks are unmapped |
//!
//! A failed setup step is never answered with `SpawnFailed`: the child
//! exists and exits with the step's code, and its reaping reports the
//! failure (`status=203/EXEC`, 200/CHDIR…), as in systemd, where the
//! forked child also fails on its own after `fork()` returned.
//!
//! `ExecSucceeded` is fed from the event loop only, never from inside
//! another unit's actions (the settle of the oldest child happens inside a
//! spawn): those are queued in `succeeded` and delivered by
//! [`Manager::exec_succeeded`], which the event loop calls before waiting.

use std::collections::{HashMap, VecDeque};
use std::os::fd::{AsFd, BorrowedFd};

use engine::service::{Event, LogLevel, Role, ServiceType};
use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags, EpollTimeout};

use super::Manager;

/// At most this many children between fork and exec; each holds two
/// descriptors (report pipe, pidfd) in the manager.
const PENDING_MAX: usize = 128;

/// Reports read per `epoll_wait`.
const READY_BATCH: usize = 64;

/// How long the event loop may sleep, while no-wait children are not
/// settled, before it waits for them ([`Manager::spawn_settle_all`]).
const SETTLE_MS: u64 = 1;

/// How long [`Manager::make_room`] waits for one child before it looks
/// at all the pending ones again.
const ROOM_WAIT: std::time::Duration = std::time::Duration::from_millis(1);

/// The longest [`Manager::spawn_settle_all`] waits for one child.
const SETTLE_WAIT: std::time::Duration = std::time::Duration::from_millis(5);

/// Free child stacks kept once no no-wait child runs ([`exec::trim_stacks`]).
const STACKS_KEPT: usize = 8;

struct Pending {
    spawning: exec::Spawning,
    unit: String,
    role: Role,
    /// In the epoll (a `Type=exec` main process); otherwise read at reaping.
    watched: bool,
    /// A lazy child already waited for [`SETTLE_WAIT`] in vain (stopped or
    /// frozen before its exec): from then on only checked, never waited
    /// for, so it cannot make the idle loop sleep in it again and again.
    stuck: bool,
}

/// The children whose exec report is not read yet.
pub(super) struct Execs {
    epoll: Option<Epoll>,
    pending: HashMap<i32, Pending>,
    /// Oldest first; may name children already settled.
    order: VecDeque<i32>,
    /// Main processes that exec'd, to tell their units from the loop.
    succeeded: Vec<(String, i32)>,
    /// Setup failures read inside a spawn, told once the spawn is
    /// (`Manager::spawn_failures`): after "Started X.", as systemd's child
    /// logs them, and before the child's exit is.
    failed: Vec<(String, exec::SpawnError)>,
    /// How many of `pending` are in the epoll.
    watched: usize,
    /// The no-wait `CLONE_VM` children not watched (no report pipe),
    /// oldest first; may name children already settled. Their stacks and
    /// plans are freed when they are settled.
    lazy: VecDeque<i32>,
}

impl Execs {
    pub(super) fn new() -> Execs {
        Execs {
            epoll: Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC).ok(),
            pending: HashMap::new(),
            order: VecDeque::new(),
            succeeded: Vec::new(),
            failed: Vec::new(),
            watched: 0,
            lazy: VecDeque::new(),
        }
    }

    /// Keep a new child's report, watching it if `pending.watched`; gives
    /// it back if it cannot be watched.
    fn add(&mut self, pending: Pending) -> Result<(), Pending> {
        let pid = pending.spawning.pid();
        if pending.watched {
            let (Some(epoll), Some(fd)) = (&self.epoll, pending.spawning.report_fd()) else { return Err(pending) };
            let ev = EpollEvent::new(EpollFlags::EPOLLIN, pid as u64);
            if epoll.add(fd, ev).is_err() {
                return Err(pending);
            }
            self.watched += 1;
        }
        if pending.spawning.report_fd().is_none() {
            self.lazy.push_back(pid);
        }
        self.pending.insert(pid, pending);
        self.order.push_back(pid);
        Ok(())
    }

    /// One line of the state dump: the children not settled yet, and
    /// how many of them are stuck before their exec.
    pub(super) fn describe(&self) -> String {
        let stuck = self.pending.values().filter(|p| p.stuck).count();
        let lazy = self.lazy.iter().filter(|p| self.pending.contains_key(p)).count();
        let pids: Vec<String> = self.order.iter().filter(|p| self.pending.contains_key(p)).map(|p| p.to_string()).collect();
        format!("spawns pending: {} (no report pipe {lazy}, stuck {stuck}) pids [{}]", self.pending.len(), pids.join(" "))
    }

    /// Give back the room of the reports read since (after boot).
    pub(super) fn shrink(&mut self) {
        self.pending.shrink_to_fit();
        self.order.shrink_to_fit();
        self.succeeded.shrink_to_fit();
        self.lazy.shrink_to_fit();
    }

    /// The oldest child still pending, once there are too many.
    fn over_limit(&mut self) -> Option<Pending> {
        while self.pending.len() >= PENDING_MAX {
            let pid = self.order.pop_front()?;
            if let Some(p) = self.take(pid) {
                return Some(p);
            }
        }
        None
    }

    /// Stop watching `pid` (closing its pipe also leaves the epoll set,
    /// but finish() reads first).
    fn take(&mut self, pid: i32) -> Option<Pending> {
        let p = self.pending.remove(&pid)?;
        if let Some(epoll) = self.epoll.as_ref().filter(|_| p.watched) {
            if let Some(fd) = p.spawning.report_fd() {
                let _ = epoll.delete(fd);
            }
            self.watched -= 1;
        }
        if self.pending.is_empty() {
            self.order.clear();
            self.lazy.clear();
        }
        Some(p)
    }

    /// Up to [`READY_BATCH`] children whose pipe is readable now. The
    /// epoll is level-triggered: they stay ready until taken, so the
    /// caller takes each batch before asking for the next.
    fn ready(&mut self) -> Vec<i32> {
        let Some(epoll) = self.epoll.as_ref().filter(|_| self.watched > 0) else { return Vec::new() };
        let mut events = [EpollEvent::empty(); READY_BATCH];
        match epoll.wait(&mut events, EpollTimeout::ZERO) {
            Ok(n) => events.iter().take(n).map(|e| e.data() as i32).collect(),
            Err(_) => Vec::new(),
        }
    }
}

impl Manager {
    /// The descriptor that becomes readable when a child's exec report
    /// arrives, for the event loop.
    pub fn spawn_reports_fd(&self) -> Option<BorrowedFd<'_>> {
        self.execs.epoll.as_ref().map(|e| e.0.as_fd())
    }

    /// A transaction is about to start `services` services: above a few,
    /// the stacks their no-wait children will run on are mapped now, while
    /// no child shares the manager's memory ([`exec::reserve_stacks`]),
    /// at most one per child that may be pending at once.
    pub(super) fn spawn_burst(&self, services: usize) {
        if services > STACKS_KEPT {
            exec::reserve_stacks(services.min(PENDING_MAX));
        }
    }

    /// Whether the exec of this child must be reported as it happens: a
    /// `Type=exec` main process (module docs).
    pub(super) fn exec_watched(&self, id: &str, role: Role) -> bool {
        role == Role::Main
            && self.units.get(id).and_then(|u| u.svc.as_ref()).is_some_and(|s| s.params().service_type == ServiceType::Exec)
    }

    /// The child is made: watch for its exec report and tell the engine.
    /// `watched` as [`Manager::exec_watched`] said.
    pub(super) fn spawn_started(&mut self, id: &str, role: Role, spawning: exec::Spawning, watched: bool) -> Event {
        let pid = spawning.pid();
        let name = self.units.name(id);
        self.pids.insert(pid as u32, name);
        self.record_process(id, pid);
        if spawning.settled() && spawning.report_fd().is_none() {
            // A CLONE_VM child that has exec'd or failed already: a failure
            // is told after the engine has the spawn.
            match spawning.finish() {
                Ok(_child) if role == Role::Main => self.execs.succeeded.push((id.to_string(), pid)),
                Ok(_child) => {}
                Err(e) => self.execs.failed.push((id.to_string(), e)),
            }
            return Event::Spawned { role, pid: pid as u32 };
        }
        self.make_room();
        if let Some(oldest) = self.execs.over_limit() {
            self.spawn_report(oldest);
        }
        // A no-wait child without a pipe is never in the epoll.
        let watched = watched && spawning.report_fd().is_some();
        if let Err(p) = self.execs.add(Pending { spawning, unit: id.to_string(), role, watched, stuck: false }) {
            // Without an epoll: wait for this one now, as before.
            self.spawn_report(p);
        }
        Event::Spawned { role, pid: pid as u32 }
    }

    /// At [`PENDING_MAX`] children pending: room from the no-wait children
    /// that have exec'd, in any order, waiting [`ROOM_WAIT`] at a time
    /// for the oldest of them and looking at all again in between. Waiting
    /// for the oldest alone, which the scheduler may not have run for a
    /// while, put the manager to sleep for up to 45 ms at a time in a boot
    /// of 1000 while younger children had long exec'd
    /// (`bench/start_cpu.py --stacks`). The stacks stay in the pool: the
    /// burst goes on. Children with a report pipe are left to
    /// [`Execs::over_limit`], as before.
    fn make_room(&mut self) {
        while self.execs.pending.len() >= PENDING_MAX {
            self.settle_lazy(|_| false, false);
            if self.execs.pending.len() < PENDING_MAX {
                return;
            }
            let oldest = self.execs.lazy.iter().find_map(|pid| self.execs.pending.get(pid).filter(|p| !p.stuck));
            match oldest {
                Some(p) => {
                    p.spawning.wait_settled(ROOM_WAIT);
                }
                None => return,
            }
        }
    }

    /// Without cgroups, note the process where a manager started after a
    /// crash of this one will find it (`leftovers.rs`).
    fn record_process(&mut self, id: &str, pid: i32) {
        let Some(mut rec) = self.recorder.take() else { return };
        if rec.wants_processes() {
            let inv = |u: &str| self.units.get(u).map(|u| u.invocation_id.to_string()).unwrap_or_default();
            rec.process(pid, &inv(id), || {
                let mut live: Vec<(i32, String)> = self.pids.iter().map(|(p, u)| (p as i32, inv(u))).collect();
                live.extend(
                    self.units
                        .values()
                        .filter(|u| !u.invocation_id.is_empty() && !matches!(u.active_state(), "inactive" | "failed"))
                        .map(|u| (0, u.invocation_id.to_string())),
                );
                live
            });
        }
        self.recorder = Some(rec);
    }

    /// Read the reports that arrived; tell `Type=exec` units their main
    /// process exec'd.
    pub fn spawn_reports(&mut self) {
        loop {
            let ready = self.execs.ready();
            for &pid in &ready {
                if let Some(p) = self.execs.take(pid) {
                    self.spawn_report(p);
                }
            }
            if ready.len() < READY_BATCH {
                break;
            }
        }
        self.exec_succeeded();
    }

    /// Tell units whose main process exec'd (queued by reports read
    /// inside a spawn); the event loop calls this before it waits.
    ///
    /// Until none is queued: telling one unit can finish its job and
    /// start the next (`After=` a `Type=exec` unit), whose exec is queued
    /// in turn — and nothing else may wake the loop to tell it (no
    /// process exits, and the group's `populated` event is not something
    /// to count on), so left queued the start would wait for ever.
    pub fn exec_succeeded(&mut self) {
        self.spawn_failures();
        while !self.execs.succeeded.is_empty() {
            let now = self.now();
            for (id, pid) in std::mem::take(&mut self.execs.succeeded) {
                let main = self.units.get(&id).and_then(|u| u.svc.as_ref()).and_then(|s| s.main_pid());
                if main == Some(pid as u32) {
                    self.feed(&id, now, Event::ExecSucceeded);
                }
            }
        }
    }

    /// Settle the no-wait children that have exec'd or exited: their
    /// stacks and plans are freed, and once none is left running the spare
    /// stacks are unmapped. The event loop calls this each turn; it costs a
    /// load per child pending (at most [`PENDING_MAX`]).
    pub fn spawn_settle_done(&mut self) {
        self.settle_lazy(|_| false, true);
    }

    /// How long the event loop may wait before [`Manager::spawn_settle_all`]
    /// is due: some no-wait child is not settled yet, and not known stuck.
    pub fn spawn_settle_ms(&self) -> Option<u64> {
        self.execs
            .lazy
            .iter()
            .any(|pid| self.execs.pending.get(pid).is_some_and(|p| !p.stuck))
            .then_some(SETTLE_MS)
    }

    /// The loop was idle for [`SETTLE_MS`]: wait for the no-wait children
    /// still running (their steps cannot block; they are at most a few
    /// hundred microseconds of CPU from exec), free what they used and
    /// give the spare stacks back to the system.
    ///
    /// Each is waited for at most [`SETTLE_WAIT`], once: a child stopped
    /// before its exec (`SIGSTOP`, a frozen group) is marked stuck and
    /// from then on only checked each turn, and settled when it execs or
    /// is reaped — it never makes the loop wait again.
    pub fn spawn_settle_all(&mut self) {
        self.settle_lazy(
            |p| {
                if p.stuck {
                    return false;
                }
                let done = p.spawning.wait_settled(SETTLE_WAIT);
                p.stuck = !done;
                done
            },
            true,
        );
    }

    /// One pass over the lazy children: each that has exec'd or exited,
    /// or for which `wait` says so, is settled; the others stay, in order.
    /// With `trim`, the spare stacks are unmapped once none is left.
    fn settle_lazy(&mut self, mut wait: impl FnMut(&mut Pending) -> bool, trim: bool) {
        // Out of `execs` while it is walked: settling takes from `execs`
        // (which forgets the queue with the table once that is empty).
        let mut lazy = std::mem::take(&mut self.execs.lazy);
        lazy.retain(|&pid| {
            let Some(p) = self.execs.pending.get_mut(&pid) else { return false };
            if !p.spawning.settled() && !wait(p) {
                return true;
            }
            if let Some(p) = self.execs.take(pid) {
                self.spawn_report(p);
            }
            false
        });
        // Anything queued meanwhile comes after those kept.
        lazy.append(&mut self.execs.lazy);
        self.execs.lazy = lazy;
        if trim && self.execs.lazy.is_empty() {
            // The stacks of a burst (up to PENDING_MAX) go back to the
            // system; a few stay for the next spawns, so that two or three
            // connections in flight (Accept=yes) do not map and unmap one
            // each time (a page or two of each was touched).
            exec::trim_stacks(STACKS_KEPT);
        }
    }

    /// `pid` was reaped: if its report is unread, read it now (its pipe is
    /// closed, so this cannot block) so that its outcome comes first.
    pub(super) fn spawn_settle(&mut self, pid: i32) {
        self.spawn_failures();
        if let Some(p) = self.execs.take(pid) {
            self.spawn_report(p);
            self.spawn_reports();
        }
    }

    /// Read one report (blocks until the child exec'd or failed).
    fn spawn_report(&mut self, p: Pending) {
        let pid = p.spawning.pid();
        match p.spawning.finish() {
            // The pidfd is not used: signals go by pid to our own children,
            // which cannot be recycled before we reap them.
            Ok(_child) => {
                if p.role == Role::Main {
                    self.execs.succeeded.push((p.unit, pid));
                }
            }
            // The child exits with the step's code; its reaping fails the
            // unit (status=203/EXEC…).
            Err(e) => self.spawn_failed(&p.unit, &e),
        }
    }

    /// Tell the setup failures queued inside spawns.
    fn spawn_failures(&mut self) {
        for (id, e) in std::mem::take(&mut self.execs.failed) {
            self.spawn_failed(&id, &e);
        }
    }

    /// A child failed a setup step before its exec: systemd 252's lines
    /// (read off its journal), with `MESSAGE_ID=` of a failed spawn — for
    /// a program that is not there "Failed to locate executable P: No such
    /// file or directory." first, then always "Failed at step EXEC
    /// spawning P: …" naming the step by its exit status. (systemd's
    /// child logs them itself, as `(name)` with its own pid; here the
    /// manager does.)
    fn spawn_failed(&self, id: &str, e: &exec::SpawnError) {
        let (exec::SpawnError::Setup { step, errno, exit_code, .. }, Some(path)) = (e, self.command_path(id, e.pid().unwrap_or(0) as u32))
        else {
            return self.log(id, LogLevel::Error, &e.to_string());
        };
        let (step, errno, exit_code) = (*step, *errno, *exit_code);
        let why = nix::errno::Errno::from_raw(errno).desc();
        let say = |level: LogLevel, m: String| self.log_id(id, level, &m, Some(super::messages::SPAWN_FAILED));
        if step == exec::Step::Exec && matches!(errno, libc::ENOENT | libc::EACCES) {
            say(LogLevel::Info, format!("Failed to locate executable {path}: {why}"));
        }
        let step = unit::value::exit_status::name_of(i32::from(exit_code)).unwrap_or("EXEC");
        say(LogLevel::Error, format!("Failed at step {step} spawning {path}: {why}"));
    }
}
