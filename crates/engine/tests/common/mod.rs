//! A fake world for the service machine: a clock, a process table, timers,
//! a PID file, and a daemon that answers the machine's questions the way
//! the real one must (spawns are confirmed at once, PID-file reads and
//! guesses answered at once, restart jobs enqueued when asked).
//!
//! Processes do not die by themselves: a test decides when a process
//! exits and how. When the last process of the unit exits, the world
//! reports `AllProcessesGone` before the `ChildExited`, as a daemon that
//! reads `cgroup.events` while reaping would.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use engine::service::{
    Action, Event, ExitStatus, JobKind, JobResult, KillTarget, LogLevel, Notify, Phase, Pid, Role, Service,
    ServiceParams, ServiceState, TimerKind, TimerToken, Usec,
};

pub const SEC: Usec = 1_000_000;
pub const MSEC: Usec = 1_000;

pub const SIGHUP: i32 = 1;
pub const SIGINT: i32 = 2;
pub const SIGQUIT: i32 = 3;
pub const SIGABRT: i32 = 6;
pub const SIGKILL: i32 = 9;
pub const SIGUSR1: i32 = 10;
pub const SIGSEGV: i32 = 11;
pub const SIGPIPE: i32 = 13;
pub const SIGTERM: i32 = 15;

pub fn exited(code: u8) -> ExitStatus {
    ExitStatus::Exited(code)
}

pub fn killed(signal: i32) -> ExitStatus {
    ExitStatus::Killed { signal, core_dumped: false }
}

pub fn dumped(signal: i32) -> ExitStatus {
    ExitStatus::Killed { signal, core_dumped: true }
}

pub struct World {
    pub svc: Service,
    pub now: Usec,
    /// Every action the machine ever emitted, in order.
    pub trace: Vec<Action>,
    next_pid: Pid,
    pub timers: BTreeMap<TimerKind, (TimerToken, Usec)>,
    /// Live processes of the unit.
    pub procs: BTreeSet<Pid>,
    /// Answer `RequestRestartJob` with `Restart` (a job engine would).
    pub auto_restart_job: bool,
    /// What the PID file holds (`None`: missing).
    pub pid_file: Option<Pid>,
    pub pid_file_watched: bool,
    pub guess: Option<Pid>,
    /// The next spawn fails with this error.
    pub fail_next_spawn: Option<String>,
    /// Spawns as (phase, index, role, pid).
    pub spawned: Vec<(Phase, usize, Role, Pid)>,
}

impl World {
    pub fn new(params: ServiceParams) -> World {
        World {
            svc: Service::new(params),
            now: 1_000 * SEC,
            trace: Vec::new(),
            next_pid: 100,
            timers: BTreeMap::new(),
            procs: BTreeSet::new(),
            auto_restart_job: true,
            pid_file: None,
            pid_file_watched: false,
            guess: None,
            fail_next_spawn: None,
            spawned: Vec::new(),
        }
    }

    /// Feed an event; carry out the actions like a daemon would, feeding
    /// back the immediate answers. Returns everything emitted meanwhile.
    pub fn send(&mut self, event: Event) -> Vec<Action> {
        let mut emitted = Vec::new();
        let mut pending = VecDeque::from([event]);
        while let Some(ev) = pending.pop_front() {
            let actions = self.svc.handle(self.now, ev);
            for action in actions {
                self.carry_out(&action, &mut pending);
                emitted.push(action);
            }
            self.check_invariants();
        }
        self.trace.extend(emitted.iter().cloned());
        emitted
    }

    fn carry_out(&mut self, action: &Action, pending: &mut VecDeque<Event>) {
        match action {
            Action::Spawn { phase, index, role } => {
                if let Some(error) = self.fail_next_spawn.take() {
                    pending.push_back(Event::SpawnFailed { role: *role, error });
                } else {
                    let pid = self.fork();
                    self.spawned.push((*phase, *index, *role, pid));
                    pending.push_back(Event::Spawned { role: *role, pid });
                }
            }
            Action::ArmTimer { token, at } => {
                self.timers.insert(token.kind, (*token, *at));
            }
            Action::DisarmTimer { kind } => {
                self.timers.remove(kind);
            }
            Action::ReadPidFile => pending.push_back(self.pid_file_answer()),
            Action::WatchPidFile => {
                self.pid_file_watched = true;
                pending.push_back(self.pid_file_answer());
            }
            Action::UnwatchPidFile => self.pid_file_watched = false,
            Action::GuessMainPid => pending.push_back(Event::MainPidGuessed { pid: self.guess }),
            Action::RequestRestartJob => {
                if self.auto_restart_job {
                    pending.push_back(Event::Restart);
                }
            }
            Action::SetMainPid(pid) => {
                self.procs.insert(*pid);
            }
            Action::Kill { .. }
            | Action::RemovePidFile
            | Action::Log { .. }
            | Action::JobDone { .. }
            | Action::Transition { .. }
            | Action::StartLimitAction(_) => {}
        }
    }

    fn pid_file_answer(&self) -> Event {
        match self.pid_file {
            Some(pid) if self.procs.contains(&pid) => Event::PidFileRead { pid },
            Some(_) | None => Event::PidFileMissing,
        }
    }

    /// A new process in the unit (e.g. what a forking parent forks off).
    pub fn fork(&mut self) -> Pid {
        self.next_pid += 1;
        self.procs.insert(self.next_pid);
        self.next_pid
    }

    /// Process `pid` of the unit ends with `status`.
    pub fn exit(&mut self, pid: Pid, status: ExitStatus) -> Vec<Action> {
        assert!(self.procs.remove(&pid), "pid {pid} is not alive");
        let mut out = Vec::new();
        if self.procs.is_empty() {
            out.extend(self.send(Event::AllProcessesGone));
        }
        out.extend(self.send(Event::ChildExited { pid, status }));
        out
    }

    pub fn main_pid(&self) -> Pid {
        self.svc.main_pid().expect("no main pid")
    }

    pub fn control_pid(&self) -> Pid {
        self.svc.control_pid().expect("no control pid")
    }

    pub fn exit_main(&mut self, status: ExitStatus) -> Vec<Action> {
        let pid = self.main_pid();
        self.exit(pid, status)
    }

    pub fn exit_control(&mut self, status: ExitStatus) -> Vec<Action> {
        let pid = self.control_pid();
        self.exit(pid, status)
    }

    /// Every process of the unit ends (e.g. after a group SIGKILL): the
    /// tracked ones are reaped with `status`, the rest silently.
    pub fn kill_all(&mut self, status: ExitStatus) -> Vec<Action> {
        let mut out = Vec::new();
        let tracked: Vec<Pid> = [self.svc.main_pid(), self.svc.control_pid()]
            .into_iter()
            .flatten()
            .filter(|p| self.procs.contains(p))
            .collect();
        let others: Vec<Pid> = self.procs.iter().copied().filter(|p| !tracked.contains(p)).collect();
        for pid in &others {
            self.procs.remove(pid);
        }
        if tracked.is_empty() {
            if !others.is_empty() {
                out.extend(self.send(Event::AllProcessesGone));
            }
            return out;
        }
        for pid in tracked {
            if self.procs.contains(&pid) {
                out.extend(self.exit(pid, status));
            }
        }
        out
    }

    pub fn notify(&mut self, pid: Pid, fill: impl FnOnce(&mut Notify)) -> Vec<Action> {
        let mut n = Notify { pid, ..Notify::default() };
        fill(&mut n);
        self.send(Event::Notify(n))
    }

    /// Let `delta` pass, firing due timers in order.
    pub fn advance(&mut self, delta: Usec) -> Vec<Action> {
        let target = self.now + delta;
        let mut out = Vec::new();
        loop {
            let due = self.timers.values().filter(|(_, at)| *at <= target).min_by_key(|(_, at)| *at).copied();
            let Some((token, at)) = due else { break };
            self.timers.remove(&token.kind);
            self.now = self.now.max(at);
            out.extend(self.send(Event::TimerFired(token)));
        }
        self.now = target;
        out
    }

    pub fn deadline(&self, kind: TimerKind) -> Option<Usec> {
        self.timers.get(&kind).map(|(_, at)| *at)
    }

    pub fn state(&self) -> ServiceState {
        self.svc.state()
    }

    fn check_invariants(&self) {
        let svc = &self.svc;
        let state = svc.state();
        assert_eq!(
            svc.active_state(),
            state.active_state(svc.params().service_type == engine::service::ServiceType::Idle)
        );
        use ServiceState as S;
        if matches!(state, S::Dead | S::Failed | S::AutoRestart | S::Exited | S::Condition | S::StartPre) {
            assert_eq!(svc.main_pid(), None, "main pid kept in {state}");
        }
        if matches!(state, S::Dead | S::Failed | S::AutoRestart | S::Exited | S::Running) {
            assert_eq!(svc.control_pid(), None, "control pid kept in {state}");
        }
        if matches!(state, S::Dead | S::Failed | S::Exited) {
            assert_eq!(svc.timer_deadline(), None, "state timer armed in {state}");
        }
    }
}

// ---- reading action lists -----------------------------------------------

pub fn transitions(actions: &[Action]) -> Vec<(ServiceState, ServiceState)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Transition { from, to, .. } => Some((*from, *to)),
            _ => None,
        })
        .collect()
}

/// The states passed through, starting with the first `from`.
pub fn path(actions: &[Action]) -> Vec<ServiceState> {
    let t = transitions(actions);
    let mut out: Vec<ServiceState> = t.first().map(|(f, _)| vec![*f]).unwrap_or_default();
    out.extend(t.iter().map(|(_, to)| *to));
    out
}

pub fn spawns(actions: &[Action]) -> Vec<(Phase, usize, Role)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Spawn { phase, index, role } => Some((*phase, *index, *role)),
            _ => None,
        })
        .collect()
}

pub fn kills(actions: &[Action]) -> Vec<(KillTarget, i32)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Kill { target, signal, .. } => Some((*target, *signal)),
            _ => None,
        })
        .collect()
}

pub fn logs(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Log { message, .. } => Some(message.clone()),
            _ => None,
        })
        .collect()
}

pub fn logs_at(actions: &[Action], level: LogLevel) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Log { message, level: l } if *l == level => Some(message.clone()),
            _ => None,
        })
        .collect()
}

pub fn has_log(actions: &[Action], text: &str) -> bool {
    logs(actions).iter().any(|m| m == text)
}

pub fn jobs_done(actions: &[Action]) -> Vec<(JobKind, JobResult)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::JobDone { job, result } => Some((*job, *result)),
            _ => None,
        })
        .collect()
}

pub fn count<F: Fn(&Action) -> bool>(actions: &[Action], f: F) -> usize {
    actions.iter().filter(|a| f(a)).count()
}
