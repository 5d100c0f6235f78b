//! The vocabulary of the service machine: its states, results, the events it
//! consumes and the actions it emits.
//!
//! Names and strings follow systemd 252 exactly (`src/basic/unit-def.c`,
//! `src/core/service.c` string tables), because they surface unchanged in
//! `systemctl status` ("Active: failed (Result: exit-code)"), in the
//! journal ("Failed with result 'exit-code'.") and in `$SERVICE_RESULT`
//! (`systemd.exec(5)`, "Environment Variables Set or Propagated by the
//! Service Manager").

use std::fmt;

/// Monotonic time in microseconds, as the daemon's clock reports it. The
/// engine never reads a clock; every event comes with the current instant.
pub type Usec = u64;

/// A process id as the kernel reports it.
pub type Pid = u32;

/// The low-level state of a service (`systemctl status` "SUB" column).
///
/// systemd 252 also has `cleaning` (for `systemctl clean`); it is left out
/// here: cleaning runs a helper that removes `StateDirectory=` and friends,
/// which the daemon can do while the unit is inactive without a state of
/// its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServiceState {
    Dead,
    Condition,
    StartPre,
    Start,
    StartPost,
    Running,
    Exited,
    Reload,
    Stop,
    StopWatchdog,
    StopSigterm,
    StopSigkill,
    StopPost,
    FinalWatchdog,
    FinalSigterm,
    FinalSigkill,
    Failed,
    AutoRestart,
}

impl ServiceState {
    /// Every state, in systemd's declaration order.
    pub const ALL: [ServiceState; 18] = [
        ServiceState::Dead,
        ServiceState::Condition,
        ServiceState::StartPre,
        ServiceState::Start,
        ServiceState::StartPost,
        ServiceState::Running,
        ServiceState::Exited,
        ServiceState::Reload,
        ServiceState::Stop,
        ServiceState::StopWatchdog,
        ServiceState::StopSigterm,
        ServiceState::StopSigkill,
        ServiceState::StopPost,
        ServiceState::FinalWatchdog,
        ServiceState::FinalSigterm,
        ServiceState::FinalSigkill,
        ServiceState::Failed,
        ServiceState::AutoRestart,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ServiceState::Dead => "dead",
            ServiceState::Condition => "condition",
            ServiceState::StartPre => "start-pre",
            ServiceState::Start => "start",
            ServiceState::StartPost => "start-post",
            ServiceState::Running => "running",
            ServiceState::Exited => "exited",
            ServiceState::Reload => "reload",
            ServiceState::Stop => "stop",
            ServiceState::StopWatchdog => "stop-watchdog",
            ServiceState::StopSigterm => "stop-sigterm",
            ServiceState::StopSigkill => "stop-sigkill",
            ServiceState::StopPost => "stop-post",
            ServiceState::FinalWatchdog => "final-watchdog",
            ServiceState::FinalSigterm => "final-sigterm",
            ServiceState::FinalSigkill => "final-sigkill",
            ServiceState::Failed => "failed",
            ServiceState::AutoRestart => "auto-restart",
        }
    }

    /// systemd's `state_translation_table`, or `state_translation_table_idle`
    /// when `idle` is set: a `Type=idle` service counts as active as soon as
    /// its start begins, so that it never holds up other jobs
    /// (`systemd.service(5)`, "Type=", idle).
    pub fn active_state(self, idle: bool) -> ActiveState {
        use ServiceState as S;
        match self {
            S::Dead => ActiveState::Inactive,
            S::Condition | S::StartPre | S::Start | S::StartPost => {
                if idle {
                    ActiveState::Active
                } else {
                    ActiveState::Activating
                }
            }
            S::Running | S::Exited => ActiveState::Active,
            S::Reload => ActiveState::Reloading,
            S::Stop
            | S::StopWatchdog
            | S::StopSigterm
            | S::StopSigkill
            | S::StopPost
            | S::FinalWatchdog
            | S::FinalSigterm
            | S::FinalSigkill => ActiveState::Deactivating,
            S::Failed => ActiveState::Failed,
            S::AutoRestart => ActiveState::Activating,
        }
    }
}

impl fmt::Display for ServiceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The unit-level state every unit type maps to (`systemctl is-active`).
/// `maintenance` is missing because it only belongs to `cleaning`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ActiveState {
    Active,
    Reloading,
    Inactive,
    Failed,
    Activating,
    Deactivating,
}

impl ActiveState {
    pub fn as_str(self) -> &'static str {
        match self {
            ActiveState::Active => "active",
            ActiveState::Reloading => "reloading",
            ActiveState::Inactive => "inactive",
            ActiveState::Failed => "failed",
            ActiveState::Activating => "activating",
            ActiveState::Deactivating => "deactivating",
        }
    }

    pub fn is_active_or_reloading(self) -> bool {
        matches!(self, ActiveState::Active | ActiveState::Reloading)
    }

    pub fn is_inactive_or_failed(self) -> bool {
        matches!(self, ActiveState::Inactive | ActiveState::Failed)
    }
}

impl fmt::Display for ActiveState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why the service went down (`systemctl show -p Result`,
/// `$SERVICE_RESULT`). The first failure of a run sticks: later failures
/// during the same shutdown do not overwrite it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ServiceResult {
    Success,
    Resources,
    Protocol,
    Timeout,
    ExitCode,
    Signal,
    CoreDump,
    Watchdog,
    StartLimitHit,
    OomKill,
    /// `ExecCondition=` exited 1…254: not a failure, the unit is skipped.
    SkipCondition,
}

impl ServiceResult {
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceResult::Success => "success",
            ServiceResult::Resources => "resources",
            ServiceResult::Protocol => "protocol",
            ServiceResult::Timeout => "timeout",
            ServiceResult::ExitCode => "exit-code",
            ServiceResult::Signal => "signal",
            ServiceResult::CoreDump => "core-dump",
            ServiceResult::Watchdog => "watchdog",
            ServiceResult::StartLimitHit => "start-limit-hit",
            ServiceResult::OomKill => "oom-kill",
            ServiceResult::SkipCondition => "exec-condition",
        }
    }
}

impl fmt::Display for ServiceResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The command lists of a service, in the order systemd runs them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    Condition,
    StartPre,
    Start,
    StartPost,
    Reload,
    Stop,
    StopPost,
}

impl Phase {
    /// The directive name, as systemd puts it in `COMMAND=` journal fields.
    pub fn directive(self) -> &'static str {
        match self {
            Phase::Condition => "ExecCondition",
            Phase::StartPre => "ExecStartPre",
            Phase::Start => "ExecStart",
            Phase::StartPost => "ExecStartPost",
            Phase::Reload => "ExecReload",
            Phase::Stop => "ExecStop",
            Phase::StopPost => "ExecStopPost",
        }
    }

    /// The task name systemd uses in "Failed to run '…' task" messages.
    pub fn task(self) -> &'static str {
        match self {
            Phase::Condition => "exec-condition",
            Phase::StartPre => "start-pre",
            Phase::Start => "start",
            Phase::StartPost => "start-post",
            Phase::Reload => "reload",
            Phase::Stop => "stop",
            Phase::StopPost => "stop-post",
        }
    }
}

/// Which of the service's two tracked processes a spawn or exit concerns.
/// The main process is the daemon itself; a control process is any
/// `ExecCondition=`/`ExecStartPre=`/… command (and, for `Type=forking`,
/// the `ExecStart=` parent that forks the daemon).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    Main,
    Control,
}

/// How a process ended, as `waitid()` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExitStatus {
    /// `CLD_EXITED` with the exit code (0…255).
    Exited(u8),
    /// `CLD_KILLED` (or `CLD_DUMPED` when `core_dumped`) with the signal.
    Killed { signal: i32, core_dumped: bool },
}

/// What a process sent on the notification socket (`sd_notify(3)`),
/// already parsed by the daemon.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Notify {
    /// The sender's pid (from `SCM_CREDENTIALS`), for `NotifyAccess=`.
    pub pid: Pid,
    /// The last of `READY=1`, `RELOADING=1`, `STOPPING=1` in the message:
    /// systemd lets the last one win.
    pub lifecycle: Option<NotifyLifecycle>,
    /// `MAINPID=`, only if the daemon found the pid alive and either inside
    /// the unit or announced by a root sender (systemd's
    /// `service_is_suitable_main_pid()` plus the uid check).
    pub main_pid: Option<Pid>,
    /// `STATUS=`; `Some("")` clears the status text.
    pub status: Option<String>,
    /// `ERRNO=`.
    pub errno: Option<i32>,
    /// `EXTEND_TIMEOUT_USEC=`.
    pub extend_timeout_usec: Option<Usec>,
    /// `WATCHDOG=1` or `WATCHDOG=trigger`.
    pub watchdog: Option<WatchdogNotify>,
    /// `WATCHDOG_USEC=`: overrides `WatchdogSec=` for this run.
    pub watchdog_usec: Option<Usec>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NotifyLifecycle {
    Ready,
    Reloading,
    Stopping,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WatchdogNotify {
    /// `WATCHDOG=1`: the keep-alive ping.
    Ping,
    /// `WATCHDOG=trigger`: act as if the watchdog had expired.
    Trigger,
}

/// The two timers a service owns: the state timer (start/stop timeouts,
/// `RuntimeMaxSec=`, `RestartSec=`) and the watchdog.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TimerKind {
    State,
    Watchdog,
}

/// Names one arming of a timer. Re-arming hands out a new token, so a
/// firing that raced with a re-arm or disarm is recognised and ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TimerToken {
    pub kind: TimerKind,
    pub seq: u64,
}

/// A job the manager asks this unit to carry out. Which jobs to create and
/// how they merge across units is the job engine's business; a service
/// holds at most one at a time, like systemd's `Unit.job`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JobKind {
    Start,
    Stop,
    Reload,
    /// Stop (with `RestartKillSignal=`), then start. One job throughout.
    Restart,
}

/// How a job ended (`systemctl` prints "Job for x failed…" etc.). Only the
/// results a unit itself can produce; dependency and timeout results
/// belong to the job engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JobResult {
    Done,
    Canceled,
    Failed,
    /// The operation does not apply (reload without `ExecReload=`).
    Skipped,
    /// The unit was not in a state the job can act on (reload of an
    /// inactive unit).
    Invalid,
}

impl JobResult {
    pub fn as_str(self) -> &'static str {
        match self {
            JobResult::Done => "done",
            JobResult::Canceled => "canceled",
            JobResult::Failed => "failed",
            JobResult::Skipped => "skipped",
            JobResult::Invalid => "invalid",
        }
    }
}

/// Journal priority of a [`Action::Log`] line, as systemd chooses it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LogLevel {
    Error,
    Warning,
    Notice,
    Info,
    Debug,
}

impl LogLevel {
    /// syslog priority number (`PRIORITY=` field).
    pub fn priority(self) -> u8 {
        match self {
            LogLevel::Error => 3,
            LogLevel::Warning => 4,
            LogLevel::Notice => 5,
            LogLevel::Info => 6,
            LogLevel::Debug => 7,
        }
    }
}

/// Whom a [`Action::Kill`] is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KillTarget {
    Main(Pid),
    Control(Pid),
    /// Every other process of the unit (its cgroup, or its process tree
    /// without cgroups), excluding the main and control processes, which
    /// get their own `Kill` actions.
    Group,
}

/// What drives the machine. Each comes with the current monotonic time
/// passed to [`crate::service::Service::handle`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// Run (or join) a start job.
    Start,
    /// Run a stop job (`systemctl stop`): never restarts automatically.
    Stop,
    /// Run a reload job.
    Reload,
    /// Run a restart job; also the answer to [`Action::RequestRestartJob`].
    Restart,
    /// The answer to a [`Action::Spawn`]: the process now exists.
    Spawned { role: Role, pid: Pid },
    /// The answer to a [`Action::Spawn`] when fork itself failed (errors
    /// after fork surface as an exit status, e.g. 203/EXEC).
    SpawnFailed { role: Role, error: String },
    /// `Type=exec`: the main process got past `execve()`.
    ExecSucceeded,
    /// A process of this unit was reaped. Pids the service does not track
    /// as main or control are ignored.
    ChildExited { pid: Pid, status: ExitStatus },
    /// A message on the notification socket.
    Notify(Notify),
    /// The answer to [`Action::ReadPidFile`], or a change of the watched
    /// PID file: it holds this pid, and the pid is acceptable as main pid.
    PidFileRead { pid: Pid },
    /// The PID file is absent, unreadable, or names an unacceptable pid.
    PidFileMissing,
    /// The answer to [`Action::GuessMainPid`].
    MainPidGuessed { pid: Option<Pid> },
    /// `Type=dbus`: the `BusName=` got (`true`) or lost (`false`) an owner.
    BusName { acquired: bool },
    /// A timer armed with [`Action::ArmTimer`] expired.
    TimerFired(TimerToken),
    /// The unit has no processes left (cgroup `populated 0`, or the
    /// process tree emptied). The daemon must report this every time the
    /// unit becomes empty after it had processes.
    AllProcessesGone,
    /// The kernel OOM killer killed a process of this unit.
    OomKilled,
    /// `systemctl reset-failed`.
    ResetFailed,
}

/// What the daemon must do, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Start command `index` of `phase` as the `role` process. The daemon
    /// builds the ExecPlan, forks, and answers with [`Event::Spawned`] or
    /// [`Event::SpawnFailed`] before feeding any other event.
    Spawn {
        phase: Phase,
        index: usize,
        role: Role,
    },
    /// Send `signal`. With `cont`, follow it with `SIGCONT` so stopped
    /// processes can act on it (systemd's `kill_and_sigcont()`). With
    /// `notice`, the daemon logs "Killing process N (comm) with signal
    /// SIGx." at notice level, as systemd does for SIGKILL and watchdog
    /// signals.
    Kill {
        target: KillTarget,
        signal: i32,
        cont: bool,
        notice: bool,
    },
    /// Fire [`Event::TimerFired`] with `token` at monotonic time `at`,
    /// replacing any timer of the same kind.
    ArmTimer {
        token: TimerToken,
        at: Usec,
    },
    DisarmTimer {
        kind: TimerKind,
    },
    /// Read `PIDFile=` now and answer with [`Event::PidFileRead`] or
    /// [`Event::PidFileMissing`] before feeding any other event.
    ReadPidFile,
    /// Watch `PIDFile=` for modifications and answer every change with
    /// `PidFileRead`/`PidFileMissing`, until [`Action::UnwatchPidFile`].
    /// Right after setting the watch, read once more and answer: the file
    /// may have appeared between the last read and the watch.
    WatchPidFile,
    UnwatchPidFile,
    /// Remove `PIDFile=` if it still exists: it is out of date.
    RemovePidFile,
    /// `GuessMainPID=`: look for the one process of the unit whose parent is
    /// the manager; answer with [`Event::MainPidGuessed`] at once.
    GuessMainPid,
    /// This pid is now the main process: watch it so its exit is reported.
    SetMainPid(Pid),
    /// A journal line for this unit (the daemon prefixes the unit name:
    /// "foo.service: Main process exited, …").
    Log {
        level: LogLevel,
        message: String,
    },
    /// The job the service held finished.
    JobDone {
        job: JobKind,
        result: JobResult,
    },
    /// The service changed state. `auto_restart` is set on the entry into
    /// `failed`/`dead` that will be followed by `auto-restart` (systemd
    /// does not trigger `OnFailure=` then).
    Transition {
        from: ServiceState,
        to: ServiceState,
        auto_restart: bool,
    },
    /// `RestartSec=` elapsed: enqueue a restart job for this unit (and what
    /// it propagates to), then feed [`Event::Restart`].
    RequestRestartJob,
    /// `StartLimitAction=`: the start limit was hit.
    StartLimitAction(super::params::EmergencyAction),
}
