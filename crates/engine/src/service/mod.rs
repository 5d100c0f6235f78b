//! The lifecycle of one service, as systemd 252 runs it: a pure machine
//! that takes an [`Event`] and the current monotonic time, changes its
//! [`ServiceState`], and returns the [`Action`]s the daemon must carry out.
//! It never reads a clock, touches a process or a file: timeouts are
//! [`Action::ArmTimer`]s that come back as [`Event::TimerFired`], processes
//! are [`Action::Spawn`]s that come back as [`Event::Spawned`] and
//! [`Event::ChildExited`], and so on. Tests drive it on a fake clock.
//!
//! Main types: [`Service`] (the machine), [`ServiceParams`] (its
//! configuration), [`Event`], [`Action`], [`ServiceState`] with its
//! [`ActiveState`] mapping, [`ServiceResult`].
//!
//! # States
//!
//! A start walks forward through the states that have work to do and
//! skips those whose command list is empty (`systemd.service(5)`,
//! "ExecCondition=", "ExecStartPre=", "ExecStart=", "ExecStartPost="):
//!
//! ```text
//! dead/failed ─Start─▶ condition ─▶ start-pre ─▶ start ─▶ start-post ─▶ running
//!                                                                     └▶ exited
//! ```
//!
//! - `condition`, `start-pre`: control processes run one after the other;
//!   each failure not excused by `-` ends the start. `ExecCondition=`
//!   exiting 1…254 is not a failure: the unit is skipped (result
//!   `exec-condition`, state `dead`).
//! - `start`: what "started" means is `Type=`'s business (`systemd.service(5)`,
//!   "Type="). `simple`/`idle` are started once forked (they never wait
//!   here), `exec` once `execve()` succeeded ([`Event::ExecSucceeded`]),
//!   `forking` once the `ExecStart=` process exited successfully (then the
//!   main pid comes from `PIDFile=` or `GuessMainPID=`), `oneshot` once
//!   every `ExecStart=` line exited successfully, `notify` on `READY=1`,
//!   `dbus` when the `BusName=` appears ([`Event::BusName`]).
//! - `start-post`: `ExecStartPost=`; the watchdog starts here.
//! - `running`, or `exited` when nothing is left running but
//!   `RemainAfterExit=yes`; without it, a service whose processes are gone
//!   is stopped the normal way — for a oneshot this is how it ends.
//! - `reload`: `ExecReload=` runs, or the service announced `RELOADING=1`
//!   and we wait for `READY=1`. A failed reload does not stop the service;
//!   it only fails the reload job.
//!
//! A stop, or a failure at any point, walks down:
//!
//! ```text
//! running/exited ─▶ stop ─▶ stop-sigterm ─▶ stop-sigkill ─▶ stop-post
//!   ─▶ final-sigterm ─▶ final-sigkill ─▶ dead | failed [─▶ auto-restart]
//! ```
//!
//! - `stop`: `ExecStop=`, only for a service that came up; a start that
//!   failed goes straight to the kill states, since there is nothing a
//!   stop command could talk to (`systemd.service(5)`, "ExecStop=").
//! - `stop-sigterm`: `KillSignal=` (or `RestartKillSignal=` during a
//!   restart job) to the main and control processes and, for
//!   `KillMode=control-group`, the rest of the unit; `SendSIGHUP=` adds a
//!   SIGHUP. `stop-sigkill` sends `FinalKillSignal=` when
//!   `TimeoutStopSec=` expires and `SendSIGKILL=yes`; `KillMode=mixed`
//!   sends only that second signal to the group (`systemd.kill(5)`,
//!   "KillMode="). A state whose signal reached nothing worth waiting for
//!   moves on at once.
//! - `stop-watchdog`/`final-watchdog`: like the sigterm states but with
//!   `WatchdogSignal=` and `TimeoutAbortSec=`, after a watchdog timeout or
//!   a start/stop timeout with `Timeout*FailureMode=abort`.
//! - `stop-post`: `ExecStopPost=`, which runs however the service ended.
//! - `final-*`: the kill sequence again, for what `ExecStopPost=` left.
//! - `dead` on success (or skip), `failed` otherwise. Then `Restart=`
//!   decides ([`restart`] holds the table) whether `auto-restart` follows:
//!   it waits `RestartSec=`, then asks for a restart job
//!   ([`Action::RequestRestartJob`]) that comes back as [`Event::Restart`].
//!
//! The mapping to [`ActiveState`] is systemd's table
//! ([`ServiceState::active_state`]); `Type=idle` counts as active while
//! starting.
//!
//! # Results
//!
//! The first failure of a run becomes the [`ServiceResult`] and stays; the
//! stop sequence it triggers may time out or be killed without
//! overwriting it. Exit statuses are judged by [`status::is_clean_exit`].
//!
//! # Jobs
//!
//! Start, Stop, Reload and Restart events are jobs. A service holds one
//! at a time (a new one cancels the old, as `--job-mode=replace` would,
//! except that a restart absorbs a start or reload);
//! a job that cannot run yet (start while stopping) waits and is retried
//! after every state change; it finishes with [`Action::JobDone`] by
//! systemd's rules: a start is done when the unit becomes active, failed
//! when it becomes failed; a stop when inactive; a restart is a stop that
//! turns into a start.
//!
//! # One step
//!
//! [`Service::handle`] first settles a main-process exit still waiting
//! for its PID-file check, then classifies the event (whose pid is it,
//! is the timer token current, which question does the answer belong to),
//! runs it through the transition table (`machine.rs`, one exhaustive
//! `match (state, input)`), lets a waiting job retry, and returns the
//! actions.
//!
//! ```
//! use engine::service::{Action, Event, Phase, Role, Service, ServiceParams, ServiceState};
//!
//! let mut svc = Service::new(ServiceParams::default()); // Type=simple
//! let actions = svc.handle(1_000_000, Event::Start);
//! assert!(actions.contains(&Action::Spawn { phase: Phase::Start, index: 0, role: Role::Main }));
//! // The daemon forked the process and reports its pid at once.
//! svc.handle(1_000_050, Event::Spawned { role: Role::Main, pid: 4242 });
//! assert_eq!(svc.state(), ServiceState::Running);
//! assert_eq!(svc.main_pid(), Some(4242));
//! ```
//!
//! # What the daemon owes the machine
//!
//! - answers to [`Action::Spawn`], [`Action::ReadPidFile`] and
//!   [`Action::GuessMainPid`] before any other event of this service;
//! - [`Event::AllProcessesGone`] every time the unit's last process goes,
//!   ideally before the [`Event::ChildExited`] of that process (systemd
//!   reads the cgroup synchronously; the leftover-process check of
//!   `SendSIGKILL=no` services relies on knowing emptiness promptly);
//! - timers that fire no earlier than asked.
//!
//! # Not modelled
//!
//! `cleaning` (`systemctl clean`), `ExitType=cgroup`,
//! `RuntimeRandomizedExtraSec=`, the file-descriptor store, socket
//! activation hand-over, and `service_watchdogs=no`.
//!
//! # Deliberate deviations
//!
//! - systemd arms the watchdog on `WATCHDOG=1` and acts on
//!   `WATCHDOG=trigger` in any state; we honour pings only while the
//!   watchdog is supposed to run (start-post, running, reload) and
//!   triggers only while the service is starting or up, so that a message
//!   arriving during a stop cannot revive a dead watchdog and abort the
//!   stop half-way.
//! - A start job that waits for a stop to finish is counted against the
//!   start limit once, when it finally starts; systemd counts each retry.
//! - Jobs: a new job of another kind cancels the held one (see `jobs.rs`
//!   for the merges we do); the cross-unit transaction logic is the job
//!   engine's.

#[macro_use]
mod groups;
mod enter;
mod jobs;
mod machine;
mod notify;
pub mod params;
mod react;
pub mod restart;
pub mod status;
mod types;

pub use params::{
    signal, CommandParams, Commands, EmergencyAction, ExitStatusSet, KillMode, KillParams, NotifyAccess,
    OomPolicy, ParseError, RestartPolicy, ServiceParams, ServiceType, StartLimit, TimeoutFailureMode,
    USEC_PER_MSEC, USEC_PER_SEC,
};
pub use types::{
    Action, ActiveState, Event, ExitStatus, JobKind, JobResult, KillTarget, LogLevel, Notify,
    NotifyLifecycle, Phase, Pid, Role, ServiceResult, ServiceState, TimerKind, TimerToken, Usec,
    WatchdogNotify,
};

/// The main process as far as the machine knows it. systemd keeps
/// "known" and "pid" apart; after an exit the pid is known to be gone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MainProc {
    /// Not known (forking service before its PID file, or nothing yet).
    Unknown,
    /// Alive; `None` while the spawn is not yet confirmed.
    Running(Option<Pid>),
    /// Known to have exited (or been forgotten after the run).
    Gone,
}

/// The control process currently running.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ControlProc {
    phase: Phase,
    /// (`u32`, as `main_command`: eight bytes less in every service.)
    index: u32,
    pid: Option<Pid>,
}

/// An armed timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Armed {
    token: TimerToken,
    at: Usec,
}

/// An outstanding question to the daemon about the main pid, and what to
/// do with the answer. Cleared on every state change (systemd drops its
/// PID-file watch there too), so a late answer finds nothing and is
/// ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lookup {
    /// The forking parent exited: read the PID file.
    PidFileAfterStart {
        has_start_post: bool,
    },
    /// The forking parent exited without `PIDFile=`: guess.
    GuessAfterStart,
    /// `ExecStartPost=` finished: read the PID file.
    PidFileAfterStartPost,
    GuessAfterStartPost,
    /// `ExecReload=` succeeded: the daemon may have a new pid.
    PidFileAfterReload,
    GuessAfterReload,
    /// The main process exited; if the PID file names another live
    /// process, the daemon moved to it and the exit does not count
    /// (`systemd.service(5)`, "PIDFile=").
    MainExit {
        status: ExitStatus,
    },
}

/// `StartLimitIntervalSec=`/`StartLimitBurst=` accounting (systemd's
/// `RateLimit`). The window's start is [`RateLimit::NOT_STARTED`] rather
/// than an `Option`: the tag cost 8 bytes in every service (the unit's size
/// test in the daemon).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct RateLimit {
    begin: Usec,
    num: u32,
}

impl RateLimit {
    /// No window yet (no clock reading is this late).
    const NOT_STARTED: Usec = Usec::MAX;
}

impl Default for RateLimit {
    fn default() -> RateLimit {
        RateLimit { begin: RateLimit::NOT_STARTED, num: 0 }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Job {
    /// What the job does now (a restart becomes a start half-way).
    kind: JobKind,
    /// What the daemon asked for, reported in [`Action::JobDone`].
    origin: JobKind,
    /// Started acting on the unit (systemd's `JOB_RUNNING`), as opposed to
    /// waiting for the unit to be in a state it can act on.
    running: bool,
}

/// One service's state machine. See the module documentation.
#[derive(Clone, Debug)]
pub struct Service {
    params: ServiceParams,
    state: ServiceState,
    result: ServiceResult,
    reload_result: ServiceResult,
    main: MainProc,
    /// Index into `ExecStart=` of the main process we spawned; `None` for a
    /// main process found through a PID file, a guess or `MAINPID=`.
    /// (`u32`: eight bytes less than a `usize` in every service; a unit
    /// has far fewer commands.)
    main_command: Option<u32>,
    main_exit: Option<ExitStatus>,
    control: Option<ControlProc>,
    notify_state: Option<NotifyLifecycle>,
    bus_name_good: bool,
    /// Set by a stop job: the coming `dead`/`failed` must not restart.
    forbid_restart: bool,
    n_restarts: u32,
    flush_n_restarts: bool,
    /// Whether the unit has processes, as far as we know: set by every
    /// spawn and adopted pid, cleared by [`Event::AllProcessesGone`].
    cgroup_populated: bool,
    /// `cgroup_populated` before the last spawn, restored if fork fails.
    populated_before_spawn: bool,
    state_timer: Option<Armed>,
    watchdog_timer: Option<Armed>,
    timer_seq: u64,
    /// `WatchdogSec=` as it was when this run started.
    watchdog_original: Option<Usec>,
    /// `WATCHDOG_USEC=` from the service, if it sent one.
    watchdog_override: Option<Usec>,
    active_enter: Option<Usec>,
    start_limit: RateLimit,
    job: Option<Job>,
    /// A waiting job should be retried (the state changed).
    job_retry: bool,
    lookup: Option<Lookup>,
    pid_file_watched: bool,
    /// Whether [`LogLevel::Debug`] messages are wanted (the manager's
    /// `LogLevel=`): when not, they are not even worded ([`Service::with_debug_logs`]).
    debug_logs: bool,
    /// Boxed: one word less than a `String` in every service.
    status_text: Option<Box<str>>,
    status_errno: i32,
    now: Usec,
    out: Vec<Action>,
}

/// What an [`Event`] means once the machine has looked up whose pid it
/// is, which timer it is, and which question a PID-file answer belongs
/// to. The big `match (state, input)` in `machine.rs` works on this.
#[derive(Debug)]
enum Input {
    Job(JobKind),
    Spawned {
        role: Role,
        pid: Pid,
    },
    SpawnFailed {
        role: Role,
        error: String,
    },
    ExecSucceeded,
    MainExited(ExitStatus),
    /// The main process exited but the PID file must be consulted first.
    MainExitDeferred,
    ControlExited(ExitStatus),
    /// A pid that is neither main nor control (a child of the daemon, an
    /// old main process after a hand-over).
    StrayExited,
    Notify(Notify),
    PidFileAfterStart {
        pid: Option<Pid>,
        has_start_post: bool,
    },
    PidFileAfterStartPost(Option<Pid>),
    PidFileAfterReload(Option<Pid>),
    Guessed {
        pid: Option<Pid>,
        after: Phase,
    },
    /// The daemon moved to the pid in its PID file before its old main
    /// process exited.
    MainPidMoved(Pid),
    /// The watched PID file changed.
    PidFileChanged(Option<Pid>),
    /// An answer nobody waits for any more.
    StaleAnswer,
    BusName(bool),
    StateTimeout,
    WatchdogTimeout,
    StaleTimer,
    CgroupEmpty,
    Oom,
    ResetFailed,
}

impl Service {
    pub fn new(params: ServiceParams) -> Service {
        Service {
            params,
            state: ServiceState::Dead,
            result: ServiceResult::Success,
            reload_result: ServiceResult::Success,
            main: MainProc::Unknown,
            main_command: None,
            main_exit: None,
            control: None,
            notify_state: None,
            bus_name_good: false,
            forbid_restart: false,
            n_restarts: 0,
            flush_n_restarts: false,
            cgroup_populated: false,
            populated_before_spawn: false,
            state_timer: None,
            watchdog_timer: None,
            timer_seq: 0,
            watchdog_original: None,
            watchdog_override: None,
            active_enter: None,
            start_limit: RateLimit::default(),
            job: None,
            job_retry: false,
            lookup: None,
            pid_file_watched: false,
            debug_logs: true,
            status_text: None,
            status_errno: 0,
            now: 0,
            out: Vec::new(),
        }
    }

    /// Feed one event at monotonic time `now`; get the actions to carry
    /// out, in order.
    pub fn handle(&mut self, now: Usec, event: Event) -> Vec<Action> {
        // A clock that goes backwards would make deadlines earlier than
        // the present; never let our notion of "now" regress.
        self.now = self.now.max(now);
        let answers_lookup = matches!(event, Event::PidFileRead { .. } | Event::PidFileMissing);
        if !answers_lookup {
            self.settle_deferred_main_exit();
        }
        let input = self.classify(event);
        self.dispatch(input);
        self.run_waiting_job();
        std::mem::take(&mut self.out)
    }

    pub fn state(&self) -> ServiceState {
        self.state
    }

    pub fn active_state(&self) -> ActiveState {
        self.state.active_state(self.params.service_type == ServiceType::Idle)
    }

    /// The result of the current or last run (`Result=` in `systemctl show`).
    pub fn result(&self) -> ServiceResult {
        self.result
    }

    /// The result of the last reload.
    pub fn reload_result(&self) -> ServiceResult {
        self.reload_result
    }

    /// Say whether the owner keeps [`LogLevel::Debug`] messages (on by
    /// default). Off, the machine emits no `Action::Log` at that level:
    /// a stop of every unit worded "Main process exited, code=killed,
    /// status=15/TERM (success)" for each, only to have it dropped.
    pub fn with_debug_logs(mut self, on: bool) -> Service {
        self.debug_logs = on;
        self
    }

    pub fn params(&self) -> &ServiceParams {
        &self.params
    }

    /// Replace the configuration (daemon-reload). Takes effect at the next
    /// transition that consults it; the running process is left alone.
    pub fn set_params(&mut self, params: ServiceParams) {
        self.params = params;
    }

    pub fn main_pid(&self) -> Option<Pid> {
        match self.main {
            MainProc::Running(pid) => pid,
            MainProc::Unknown | MainProc::Gone => None,
        }
    }

    pub fn control_pid(&self) -> Option<Pid> {
        self.control.and_then(|c| c.pid)
    }

    /// Which role `pid` has, for routing reaped children and
    /// notifications.
    pub fn role_of(&self, pid: Pid) -> Option<Role> {
        if self.main_pid() == Some(pid) {
            Some(Role::Main)
        } else if self.control_pid() == Some(pid) {
            Some(Role::Control)
        } else {
            None
        }
    }

    /// How the main process of this run ended, for `$EXIT_CODE`,
    /// `$EXIT_STATUS` and `systemctl status`.
    pub fn main_exit(&self) -> Option<ExitStatus> {
        self.main_exit
    }

    /// `NRestarts=`.
    pub fn n_restarts(&self) -> u32 {
        self.n_restarts
    }

    /// `STATUS=` text from the service.
    pub fn status_text(&self) -> Option<&str> {
        self.status_text.as_deref()
    }

    /// `ERRNO=` from the service.
    pub fn status_errno(&self) -> i32 {
        self.status_errno
    }

    /// The watchdog timeout in effect, for `$WATCHDOG_USEC` of spawned
    /// processes; `None` when disabled.
    pub fn watchdog_usec(&self) -> Option<Usec> {
        self.watchdog_override.or(self.watchdog_original).filter(|&u| u > 0)
    }

    /// When the watchdog was last reset — on entering the running state or
    /// at a `WATCHDOG=1` — on the machine's clock; `None` while no watchdog
    /// runs (`WatchdogTimestamp` in `systemctl show`).
    pub fn watchdog_reset_at(&self) -> Option<Usec> {
        let armed = self.watchdog_timer?;
        Some(armed.at.saturating_sub(self.watchdog_usec()?))
    }

    /// The job the service holds, if any.
    pub fn job(&self) -> Option<JobKind> {
        self.job.map(|j| j.kind)
    }

    /// When the state timer fires, if armed (for `systemctl status`).
    pub fn timer_deadline(&self) -> Option<Usec> {
        self.state_timer.map(|a| a.at)
    }

    /// When the service last became active.
    pub fn active_enter_usec(&self) -> Option<Usec> {
        self.active_enter
    }

    /// Turn a raw event into what it means for this service right now.
    fn classify(&mut self, event: Event) -> Input {
        match event {
            Event::Start => Input::Job(JobKind::Start),
            Event::Stop => Input::Job(JobKind::Stop),
            Event::Reload => Input::Job(JobKind::Reload),
            Event::Restart => Input::Job(JobKind::Restart),
            Event::Spawned { role, pid } => Input::Spawned { role, pid },
            Event::SpawnFailed { role, error } => Input::SpawnFailed { role, error },
            Event::ExecSucceeded => Input::ExecSucceeded,
            Event::ChildExited { pid, status } => match self.role_of(pid) {
                Some(Role::Main) if self.params.pid_file => {
                    // Forking daemons may re-exec under a new pid: they
                    // write the new pid to the PID file before the old one
                    // exits. Ask before believing the exit.
                    self.lookup = Some(Lookup::MainExit { status });
                    self.out.push(Action::ReadPidFile);
                    Input::MainExitDeferred
                }
                Some(Role::Main) => Input::MainExited(status),
                Some(Role::Control) => Input::ControlExited(status),
                None => Input::StrayExited,
            },
            Event::Notify(n) => Input::Notify(n),
            Event::PidFileRead { pid } => self.classify_pid_file(Some(pid)),
            Event::PidFileMissing => self.classify_pid_file(None),
            Event::MainPidGuessed { pid } => match self.lookup.take() {
                Some(Lookup::GuessAfterStart) => Input::Guessed { pid, after: Phase::Start },
                Some(Lookup::GuessAfterStartPost) => Input::Guessed { pid, after: Phase::StartPost },
                Some(Lookup::GuessAfterReload) => Input::Guessed { pid, after: Phase::Reload },
                other => {
                    self.lookup = other;
                    Input::StaleAnswer
                }
            },
            Event::BusName { acquired } => {
                self.bus_name_good = acquired;
                Input::BusName(acquired)
            }
            Event::TimerFired(token) => {
                let current = match token.kind {
                    TimerKind::State => self.state_timer,
                    TimerKind::Watchdog => self.watchdog_timer,
                };
                if current.map(|a| a.token) != Some(token) {
                    return Input::StaleTimer;
                }
                match token.kind {
                    TimerKind::State => {
                        self.state_timer = None;
                        Input::StateTimeout
                    }
                    TimerKind::Watchdog => {
                        self.watchdog_timer = None;
                        Input::WatchdogTimeout
                    }
                }
            }
            Event::AllProcessesGone => {
                self.cgroup_populated = false;
                Input::CgroupEmpty
            }
            Event::OomKilled => Input::Oom,
            Event::ResetFailed => Input::ResetFailed,
        }
    }

    fn classify_pid_file(&mut self, pid: Option<Pid>) -> Input {
        match self.lookup.take() {
            Some(Lookup::PidFileAfterStart { has_start_post }) => {
                Input::PidFileAfterStart { pid, has_start_post }
            }
            Some(Lookup::PidFileAfterStartPost) => Input::PidFileAfterStartPost(pid),
            Some(Lookup::PidFileAfterReload) => Input::PidFileAfterReload(pid),
            Some(Lookup::MainExit { status }) => match pid {
                // The exited pid itself cannot be the answer; anything else
                // the daemon vouched for is the daemon's new incarnation.
                Some(new) if Some(new) != self.main_pid() && Some(new) != self.control_pid() => {
                    Input::MainPidMoved(new)
                }
                _ => {
                    self.forget_main_pid();
                    Input::MainExited(status)
                }
            },
            other @ (Some(Lookup::GuessAfterStart)
            | Some(Lookup::GuessAfterStartPost)
            | Some(Lookup::GuessAfterReload)
            | None) => {
                self.lookup = other;
                if self.pid_file_watched {
                    Input::PidFileChanged(pid)
                } else {
                    Input::StaleAnswer
                }
            }
        }
    }

    /// An event arrived while a main exit waited for the PID file: the
    /// daemon did not answer first, so take the exit as final.
    fn settle_deferred_main_exit(&mut self) {
        if let Some(Lookup::MainExit { status }) = self.lookup {
            self.lookup = None;
            self.forget_main_pid();
            self.dispatch(Input::MainExited(status));
        }
    }

    /// The main exit is being processed: the pid no longer names a process
    /// of ours, so signals must not reach it.
    fn forget_main_pid(&mut self) {
        if let MainProc::Running(_) = self.main {
            self.main = MainProc::Gone;
        }
    }
}
#[cfg(test)]
mod size_tests {
    /// Every loaded service keeps its machine inside the daemon's `Unit`
    /// for its life (1000 services: 0.46 MB). Pinned so it cannot grow
    /// back silently; it was 472 bytes before the control process's
    /// command index became a `u32` and the start limit's window lost its
    /// `Option` tag.
    #[test]
    fn a_service_machine_stays_small() {
        assert!(std::mem::size_of::<super::Service>() <= 456, "{}", std::mem::size_of::<super::Service>());
        assert!(std::mem::size_of::<Option<super::ControlProc>>() <= 16);
        assert!(std::mem::size_of::<super::RateLimit>() <= 16);
    }
}
