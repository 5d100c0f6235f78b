//! The transition table: one exhaustive `match (state, input)`.
//!
//! Every event is listed with the states it matters in; where it does not
//! matter, an explicit arm says so and why. The state groups are macros so
//! the compiler still checks that every state is covered for every input.

use super::params::{NotifyAccess, OomPolicy, ServiceType, TimeoutFailureMode};
use super::status::format_timespan;
use super::types::{
    Action, ExitStatus, KillTarget, LogLevel, Notify, NotifyLifecycle, Phase, Pid, Role,
    ServiceResult, ServiceState, WatchdogNotify,
};
use super::{Input, Lookup, MainProc, Service};

// State groups, usable as patterns.
macro_rules! inactive {
    () => {
        ServiceState::Dead | ServiceState::Failed
    };
}
macro_rules! starting {
    () => {
        ServiceState::Condition | ServiceState::StartPre | ServiceState::Start | ServiceState::StartPost
    };
}
macro_rules! up {
    () => {
        ServiceState::Running | ServiceState::Exited | ServiceState::Reload
    };
}
macro_rules! kill_states {
    () => {
        ServiceState::StopWatchdog | ServiceState::StopSigterm | ServiceState::StopSigkill
    };
}
macro_rules! finalizing {
    () => {
        ServiceState::FinalWatchdog | ServiceState::FinalSigterm | ServiceState::FinalSigkill
    };
}
macro_rules! every_state {
    () => {
        inactive!()
            | starting!()
            | up!()
            | ServiceState::Stop
            | kill_states!()
            | ServiceState::StopPost
            | finalizing!()
            | ServiceState::AutoRestart
    };
}
/// States in which a main process is tracked (systemd's keep-list).
macro_rules! main_tracked {
    () => {
        ServiceState::Start
            | ServiceState::StartPost
            | ServiceState::Running
            | ServiceState::Reload
            | ServiceState::Stop
            | kill_states!()
            | ServiceState::StopPost
            | finalizing!()
    };
}

impl Service {
    pub(super) fn dispatch(&mut self, input: Input) {
        use ServiceState as S;
        match (self.state, input) {
            // ---- jobs: accepted in any state; what they do is decided
            // when they run (jobs.rs), from the state at that moment.
            (every_state!(), Input::Job(kind)) => self.install_job(kind),

            // ---- spawn bookkeeping
            (every_state!(), Input::Spawned { role, pid }) => self.record_spawn(role, pid),
            (starting!() | up!() | S::Stop | kill_states!() | S::StopPost | finalizing!(), Input::SpawnFailed { role, error }) => {
                self.spawn_failed(role, &error)
            }
            // Nothing is spawned in these states, so nothing can fail.
            (inactive!() | S::AutoRestart, Input::SpawnFailed { .. }) => {}

            // ---- Type=exec: started once execve() worked.
            (S::Start, Input::ExecSucceeded) => {
                if self.params.service_type == ServiceType::Exec {
                    self.enter_start_post();
                }
            }
            // Only `start` waits for execve(); later reports are moot.
            (inactive!() | S::Condition | S::StartPre | S::StartPost | up!() | S::Stop | kill_states!() | S::StopPost | finalizing!() | S::AutoRestart, Input::ExecSucceeded) => {}

            // ---- the main process exited
            (S::StartPost | S::Reload, Input::MainExited(st)) => {
                if let Some(f) = self.main_exit_common(st) {
                    // Nothing left that could finish this phase cleanly.
                    if !self.control_running() {
                        self.enter_stop(f);
                    }
                }
            }
            (S::Stop, Input::MainExited(st)) => {
                // ExecStop= is still running; its end moves us on.
                let _ = self.main_exit_common(st);
            }
            (S::Start, Input::MainExited(st)) => {
                if let Some(f) = self.main_exit_common(st) {
                    self.main_exited_in_start(f);
                }
            }
            (S::Running, Input::MainExited(st)) => {
                if let Some(f) = self.main_exit_common(st) {
                    self.enter_running(f);
                }
            }
            (kill_states!(), Input::MainExited(st)) => {
                if let Some(f) = self.main_exit_common(st) {
                    if !self.control_running() {
                        self.enter_stop_post(f);
                    }
                }
            }
            (S::StopPost, Input::MainExited(st)) => {
                if let Some(f) = self.main_exit_common(st) {
                    if !self.control_running() {
                        self.enter_signal(S::FinalSigterm, f);
                    }
                }
            }
            (finalizing!(), Input::MainExited(st)) => {
                if let Some(f) = self.main_exit_common(st) {
                    if !self.control_running() {
                        self.enter_dead(f, true);
                    }
                }
            }
            // Entering these states forgets the main pid, so its exit
            // cannot be attributed here.
            (inactive!() | S::Condition | S::StartPre | S::Exited | S::AutoRestart, Input::MainExited(_)) => {}
            // Waiting for the PID file to tell whether the daemon moved.
            (every_state!(), Input::MainExitDeferred) => {}
            (main_tracked!(), Input::MainPidMoved(pid)) => self.set_main_pid(pid),
            // The question died with the state it was asked in.
            (inactive!() | S::Condition | S::StartPre | S::Exited | S::AutoRestart, Input::MainPidMoved(_)) => {}

            // ---- a control process exited
            (S::Condition, Input::ControlExited(st)) => {
                if let Some(f) = self.control_exit_common(st) {
                    if f == ServiceResult::Success {
                        self.enter_start_pre();
                    } else {
                        self.enter_signal(S::StopSigterm, f);
                    }
                }
            }
            (S::StartPre, Input::ControlExited(st)) => {
                if let Some(f) = self.control_exit_common(st) {
                    if f == ServiceResult::Success {
                        self.enter_start();
                    } else {
                        self.enter_signal(S::StopSigterm, f);
                    }
                }
            }
            (S::Start, Input::ControlExited(st)) => {
                if let Some(f) = self.control_exit_common(st) {
                    self.forking_parent_exited(f);
                }
            }
            (S::StartPost, Input::ControlExited(st)) => {
                if let Some(f) = self.control_exit_common(st) {
                    if f != ServiceResult::Success {
                        self.enter_signal(S::StopSigterm, f);
                    } else if self.params.pid_file {
                        self.ask(Lookup::PidFileAfterStartPost, Action::ReadPidFile);
                    } else if !self.guess(Lookup::GuessAfterStartPost) {
                        self.enter_running(ServiceResult::Success);
                    }
                }
            }
            (S::Reload, Input::ControlExited(st)) => {
                if let Some(f) = self.control_exit_common(st) {
                    if f != ServiceResult::Success {
                        self.finish_reload(f);
                    } else if self.params.pid_file {
                        self.ask(Lookup::PidFileAfterReload, Action::ReadPidFile);
                    } else if !self.guess(Lookup::GuessAfterReload) {
                        self.finish_reload(ServiceResult::Success);
                    }
                }
            }
            (S::Stop, Input::ControlExited(st)) => {
                if let Some(f) = self.control_exit_common(st) {
                    self.enter_signal(S::StopSigterm, f);
                }
            }
            (kill_states!(), Input::ControlExited(st)) => {
                if let Some(f) = self.control_exit_common(st) {
                    if self.main_pid_good() != Some(true) {
                        self.enter_stop_post(f);
                    }
                }
            }
            (S::StopPost, Input::ControlExited(st)) => {
                if let Some(f) = self.control_exit_common(st) {
                    if self.main_pid_good() != Some(true) {
                        self.enter_signal(S::FinalSigterm, f);
                    }
                }
            }
            (finalizing!(), Input::ControlExited(st)) => {
                if let Some(f) = self.control_exit_common(st) {
                    if self.main_pid_good() != Some(true) {
                        self.enter_dead(f, true);
                    }
                }
            }
            // No control process is kept in these states.
            (inactive!() | S::Running | S::Exited | S::AutoRestart, Input::ControlExited(_)) => {}

            // A pid that is neither main nor control: the cgroup-empty
            // report is what tells us about those.
            (every_state!(), Input::StrayExited) => {}

            // ---- sd_notify()
            (every_state!(), Input::Notify(n)) => self.on_notify(n),

            // ---- answers about the main pid
            (S::Start, Input::PidFileAfterStart { pid: Some(pid), .. }) => {
                self.set_main_pid(pid);
                self.enter_start_post();
            }
            (S::Start, Input::PidFileAfterStart { pid: None, has_start_post: true }) => {
                // ExecStartPost= may be what writes it; look again after.
                self.enter_start_post();
            }
            (S::Start, Input::PidFileAfterStart { pid: None, has_start_post: false }) => {
                self.watch_pid_file();
                if !self.cgroup_populated {
                    self.enter_signal(S::StopSigterm, ServiceResult::Protocol);
                }
            }
            (S::StartPost, Input::PidFileAfterStartPost(Some(pid))) => {
                self.set_main_pid(pid);
                self.enter_running(ServiceResult::Success);
            }
            (S::StartPost, Input::PidFileAfterStartPost(None)) => {
                self.watch_pid_file();
                if !self.cgroup_populated {
                    self.enter_stop(ServiceResult::Protocol);
                }
            }
            (S::Reload, Input::PidFileAfterReload(Some(pid))) => {
                self.set_main_pid(pid);
                self.finish_reload(ServiceResult::Success);
            }
            (S::Reload, Input::PidFileAfterReload(None)) => {
                if !self.guess(Lookup::GuessAfterReload) {
                    self.finish_reload(ServiceResult::Success);
                }
            }
            (S::Start, Input::Guessed { pid, after: Phase::Start }) => {
                if let Some(pid) = pid {
                    self.set_main_pid(pid);
                }
                self.enter_start_post();
            }
            (S::StartPost, Input::Guessed { pid, after: Phase::StartPost }) => {
                if let Some(pid) = pid {
                    self.set_main_pid(pid);
                }
                self.enter_running(ServiceResult::Success);
            }
            (S::Reload, Input::Guessed { pid, after: Phase::Reload }) => {
                if let Some(pid) = pid {
                    self.set_main_pid(pid);
                }
                self.finish_reload(ServiceResult::Success);
            }
            (S::Start | S::StartPost, Input::PidFileChanged(Some(pid))) => {
                // The late PID file finally appeared.
                self.set_main_pid(pid);
                self.enter_running(ServiceResult::Success);
            }
            // Still not there (or not acceptable): keep watching.
            (S::Start | S::StartPost, Input::PidFileChanged(None)) => {}
            // Lookups and watches are dropped on every state change, so
            // these answers belong to a state we already left.
            (inactive!() | S::Condition | S::StartPre | S::StartPost | up!() | S::Stop | kill_states!() | S::StopPost | finalizing!() | S::AutoRestart, Input::PidFileAfterStart { .. }) => {}
            (inactive!() | starting!() | S::Running | S::Exited | S::Stop | kill_states!() | S::StopPost | finalizing!() | S::AutoRestart, Input::PidFileAfterReload(_)) => {}
            (inactive!() | S::Condition | S::StartPre | S::Start | up!() | S::Stop | kill_states!() | S::StopPost | finalizing!() | S::AutoRestart, Input::PidFileAfterStartPost(_)) => {}
            (every_state!(), Input::Guessed { .. }) => {}
            (inactive!() | S::Condition | S::StartPre | up!() | S::Stop | kill_states!() | S::StopPost | finalizing!() | S::AutoRestart, Input::PidFileChanged(_)) => {}
            (every_state!(), Input::StaleAnswer) => {}

            // ---- Type=dbus: the bus name is the readiness signal.
            (S::Start, Input::BusName(true)) => {
                if self.params.service_type == ServiceType::Dbus {
                    self.enter_start_post();
                }
            }
            (S::Running, Input::BusName(_)) => {
                if self.params.service_type == ServiceType::Dbus {
                    // Losing the name means the service is gone.
                    self.enter_running(ServiceResult::Success);
                }
            }
            // Recorded (for service_good) but acts nowhere else.
            (inactive!() | starting!() | S::Exited | S::Reload | S::Stop | kill_states!() | S::StopPost | finalizing!() | S::AutoRestart, Input::BusName(_)) => {}

            // ---- the state timer
            (starting!(), Input::StateTimeout) => {
                let what = format!("{} operation", self.state);
                self.timeout_escalate(
                    self.params.timeout_start_failure_mode,
                    &what,
                    S::StopSigterm,
                    S::StopWatchdog,
                    S::StopSigkill,
                );
            }
            (S::Running, Input::StateTimeout) => {
                self.log(LogLevel::Warning, "Service reached runtime time limit. Stopping.");
                self.enter_stop(ServiceResult::Timeout);
            }
            (S::Reload, Input::StateTimeout) => {
                self.log(LogLevel::Warning, "Reload operation timed out. Killing reload process.");
                if let Some(pid) = self.control_pid() {
                    self.out.push(Action::Kill {
                        target: KillTarget::Control(pid),
                        signal: super::params::signal::SIGKILL,
                        cont: true,
                        notice: false,
                    });
                }
                self.finish_reload(ServiceResult::Timeout);
            }
            (S::Stop, Input::StateTimeout) => {
                self.timeout_escalate(
                    self.params.timeout_stop_failure_mode,
                    "Stopping",
                    S::StopSigterm,
                    S::StopWatchdog,
                    S::StopSigkill,
                );
            }
            (S::StopWatchdog, Input::StateTimeout) => {
                self.kill_or_skip("State 'stop-watchdog'", S::StopSigkill);
            }
            (S::StopSigterm, Input::StateTimeout) => {
                if self.params.timeout_stop_failure_mode == TimeoutFailureMode::Abort {
                    self.log(LogLevel::Warning, "State 'stop-sigterm' timed out. Aborting.");
                    self.enter_signal(S::StopWatchdog, ServiceResult::Timeout);
                } else {
                    self.kill_or_skip("State 'stop-sigterm'", S::StopSigkill);
                }
            }
            (S::StopSigkill, Input::StateTimeout) => {
                // Something we cannot kill; carry on regardless.
                self.log(LogLevel::Warning, "Processes still around after SIGKILL. Ignoring.");
                self.enter_stop_post(ServiceResult::Timeout);
            }
            (S::StopPost, Input::StateTimeout) => {
                self.timeout_escalate(
                    self.params.timeout_stop_failure_mode,
                    "State 'stop-post'",
                    S::FinalSigterm,
                    S::FinalWatchdog,
                    S::FinalSigkill,
                );
            }
            (S::FinalWatchdog, Input::StateTimeout) => {
                self.kill_or_skip("State 'final-watchdog'", S::FinalSigkill);
            }
            (S::FinalSigterm, Input::StateTimeout) => {
                if self.params.timeout_stop_failure_mode == TimeoutFailureMode::Abort {
                    self.log(LogLevel::Warning, "State 'final-sigterm' timed out. Aborting.");
                    self.enter_signal(S::FinalWatchdog, ServiceResult::Timeout);
                } else {
                    self.kill_or_skip("State 'final-sigterm'", S::FinalSigkill);
                }
            }
            (S::FinalSigkill, Input::StateTimeout) => {
                self.log(
                    LogLevel::Warning,
                    "Processes still around after final SIGKILL. Entering failed mode.",
                );
                self.enter_dead(ServiceResult::Timeout, true);
            }
            (S::AutoRestart, Input::StateTimeout) => {
                let message = if self.params.restart_usec > 0 {
                    format!(
                        "Service RestartSec={} expired, scheduling restart.",
                        format_timespan(Some(self.params.restart_usec), 1_000_000)
                    )
                } else {
                    "Service has no hold-off time (RestartSec=0), scheduling restart.".to_string()
                };
                self.log(LogLevel::Debug, message);
                self.enter_restart();
            }
            // The state timer is disarmed on entering these states.
            (inactive!() | S::Exited, Input::StateTimeout) => {}

            // ---- the watchdog
            (S::StartPost | S::Running | S::Reload, Input::WatchdogTimeout) => {
                let limit = format_timespan(self.watchdog_usec(), 1);
                self.log(LogLevel::Error, format!("Watchdog timeout (limit {limit})!"));
                self.enter_signal(S::StopWatchdog, ServiceResult::Watchdog);
            }
            // The watchdog only runs in the three states above.
            (inactive!() | S::Condition | S::StartPre | S::Start | S::Exited | S::Stop | kill_states!() | S::StopPost | finalizing!() | S::AutoRestart, Input::WatchdogTimeout) => {}
            (every_state!(), Input::StaleTimer) => {}

            // ---- the unit has no processes left
            (S::Start, Input::CgroupEmpty) => {
                let main_dead = self.main_pid_good() == Some(false);
                if self.params.service_type == ServiceType::Notify && main_dead && !self.control_running() {
                    // No chance of a READY=1 any more.
                    self.enter_stop_post(ServiceResult::Protocol);
                } else {
                    self.pid_file_hope_lost();
                }
            }
            (S::StartPost, Input::CgroupEmpty) => self.pid_file_hope_lost(),
            (S::Running, Input::CgroupEmpty) => self.enter_running(ServiceResult::Success),
            (kill_states!(), Input::CgroupEmpty) => {
                if self.main_pid_good() != Some(true) && !self.control_running() {
                    self.enter_stop_post(ServiceResult::Success);
                }
            }
            (S::StopPost | finalizing!(), Input::CgroupEmpty) => {
                if self.main_pid_good() != Some(true) && !self.control_running() {
                    self.enter_dead(ServiceResult::Success, true);
                }
            }
            // Here the exit of the main or control process is the more
            // informative event (it carries a status); wait for it.
            (inactive!() | S::Condition | S::StartPre | S::Exited | S::Reload | S::Stop | S::AutoRestart, Input::CgroupEmpty) => {}

            // ---- the OOM killer struck (OOMPolicy=)
            (starting!() | S::Stop, Input::Oom) => {
                if let Some(policy) = self.oom_logged() {
                    match policy {
                        OomPolicy::Stop => self.enter_signal(S::StopSigterm, ServiceResult::OomKill),
                        OomPolicy::Kill => self.enter_signal(S::StopSigkill, ServiceResult::OomKill),
                        OomPolicy::Continue => {}
                    }
                }
            }
            (S::Running | S::Exited, Input::Oom) => {
                if let Some(policy) = self.oom_logged() {
                    match policy {
                        OomPolicy::Stop => self.enter_stop(ServiceResult::OomKill),
                        OomPolicy::Kill => self.enter_signal(S::StopSigkill, ServiceResult::OomKill),
                        OomPolicy::Continue => {}
                    }
                }
            }
            (S::StopWatchdog | S::StopSigterm, Input::Oom) => {
                if self.oom_logged().is_some() {
                    self.enter_signal(S::StopSigkill, ServiceResult::OomKill);
                }
            }
            (S::StopSigkill | S::FinalSigkill, Input::Oom) => {
                if self.oom_logged().is_some() {
                    self.note_result(ServiceResult::OomKill);
                }
            }
            (S::StopPost | S::FinalSigterm, Input::Oom) => {
                if self.oom_logged().is_some() {
                    self.enter_signal(S::FinalSigkill, ServiceResult::OomKill);
                }
            }
            // systemd takes no action in these states.
            (inactive!() | S::Reload | S::FinalWatchdog | S::AutoRestart, Input::Oom) => {
                let _ = self.oom_logged();
            }

            // ---- systemctl reset-failed
            (every_state!(), Input::ResetFailed) => self.reset_failed(),
        }
    }

    // ---- helpers of the table -------------------------------------------

    fn record_spawn(&mut self, role: Role, pid: Pid) {
        match role {
            Role::Main => {
                if self.main == MainProc::Running(None) {
                    self.main = MainProc::Running(Some(pid));
                }
            }
            Role::Control => {
                if let Some(c) = self.control.as_mut().filter(|c| c.pid.is_none()) {
                    c.pid = Some(pid);
                }
            }
        }
    }

    /// fork() failed: the spawning step's failure path (systemd's
    /// `goto fail` in each `service_enter_*()` and `service_run_next_*()`).
    fn spawn_failed(&mut self, role: Role, error: &str) {
        use ServiceState as S;
        self.cgroup_populated = self.populated_before_spawn;
        match role {
            Role::Main => {
                if self.main != MainProc::Running(None) {
                    return;
                }
                self.main = MainProc::Gone;
                if self.main_command.unwrap_or(0) == 0 {
                    self.log(LogLevel::Warning, format!("Failed to run 'start' task: {error}"));
                    self.enter_signal(S::StopSigterm, ServiceResult::Resources);
                } else {
                    self.log(LogLevel::Warning, format!("Failed to run next main task: {error}"));
                    self.enter_stop(ServiceResult::Resources);
                }
            }
            Role::Control => {
                let Some(c) = self.control.filter(|c| c.pid.is_none()) else { return };
                self.control = None;
                if c.index == 0 {
                    self.log(LogLevel::Warning, format!("Failed to run '{}' task: {error}", c.phase.task()));
                    match c.phase {
                        Phase::Condition | Phase::StartPre => self.enter_dead(ServiceResult::Resources, true),
                        Phase::Start | Phase::Stop => self.enter_signal(S::StopSigterm, ServiceResult::Resources),
                        Phase::StartPost => self.enter_stop(ServiceResult::Resources),
                        Phase::Reload => self.finish_reload(ServiceResult::Resources),
                        Phase::StopPost => self.enter_signal(S::FinalSigterm, ServiceResult::Resources),
                    }
                } else {
                    self.log(LogLevel::Warning, format!("Failed to run next control task: {error}"));
                    match self.state {
                        S::Condition | S::StartPre | S::StartPost | S::Stop => {
                            self.enter_signal(S::StopSigterm, ServiceResult::Resources)
                        }
                        S::StopPost => self.enter_dead(ServiceResult::Resources, true),
                        S::Reload => self.finish_reload(ServiceResult::Resources),
                        inactive!() | S::Start | S::Running | S::Exited | kill_states!() | finalizing!() | S::AutoRestart => {
                            self.enter_stop(ServiceResult::Resources)
                        }
                    }
                }
            }
        }
    }

    /// Record and judge a main exit; start the next oneshot command if
    /// there is one (then `None`: nothing else to do).
    fn main_exit_common(&mut self, status: ExitStatus) -> Option<ServiceResult> {
        let index = self.main_command;
        let f = self.judge_main_exit(status);
        self.note_result(f);
        match index {
            Some(i)
                if self.params.service_type == ServiceType::Oneshot
                    && f == ServiceResult::Success
                    && self.has_next_command(Phase::Start, i) =>
            {
                self.run_next_main(i);
                None
            }
            Some(_) | None => {
                self.main_command = None;
                Some(f)
            }
        }
    }

    /// Record and judge a control exit; run the phase's next command if
    /// there is one and this one succeeded (then `None`).
    fn control_exit_common(&mut self, status: ExitStatus) -> Option<ServiceResult> {
        let c = self.control.take()?;
        let f = self.judge_control_exit(c, status);
        // A failed reload does not make the service failed.
        if self.state != ServiceState::Reload {
            self.note_result(f);
        }
        if f == ServiceResult::Success && self.has_next_command(c.phase, c.index) {
            self.run_next_control(c.phase, c.index);
            return None;
        }
        Some(f)
    }

    /// The main process of a service in `start` is gone.
    fn main_exited_in_start(&mut self, f: ServiceResult) {
        use ServiceState as S;
        match self.params.service_type {
            ServiceType::Oneshot => {
                if f == ServiceResult::Success {
                    self.enter_start_post();
                } else {
                    self.enter_signal(S::StopSigterm, f);
                }
            }
            ServiceType::Notify => {
                // `start` means "no READY=1 yet"; only a notification ends it.
                if f != ServiceResult::Success {
                    self.enter_signal(S::StopSigterm, f);
                } else if !self.params.remain_after_exit || self.params.notify_access == NotifyAccess::Main {
                    // It never was, and now never will be, ready.
                    self.enter_signal(S::StopSigterm, ServiceResult::Protocol);
                }
            }
            ServiceType::Simple
            | ServiceType::Idle
            | ServiceType::Exec
            | ServiceType::Dbus
            | ServiceType::Forking => self.enter_running(f),
        }
    }

    /// `Type=forking`: the `ExecStart=` parent exited.
    fn forking_parent_exited(&mut self, f: ServiceResult) {
        if self.params.service_type != ServiceType::Forking {
            // The type changed under a reload; nothing to do with it.
            return;
        }
        if f != ServiceResult::Success {
            self.enter_signal(ServiceState::StopSigterm, f);
        } else if self.params.pid_file {
            let has_start_post = !self.params.commands.start_post.is_empty();
            self.ask(Lookup::PidFileAfterStart { has_start_post }, Action::ReadPidFile);
        } else if !self.guess(Lookup::GuessAfterStart) {
            self.enter_start_post();
        }
    }

    fn ask(&mut self, lookup: Lookup, action: Action) {
        self.lookup = Some(lookup);
        self.out.push(action);
    }

    /// `GuessMainPID=`: only when the main pid is not known at all.
    fn guess(&mut self, lookup: Lookup) -> bool {
        if self.params.guess_main_pid && self.main == MainProc::Unknown {
            self.ask(lookup, Action::GuessMainPid);
            true
        } else {
            false
        }
    }

    fn watch_pid_file(&mut self) {
        if !self.pid_file_watched {
            self.pid_file_watched = true;
            self.out.push(Action::WatchPidFile);
        }
    }

    /// The PID file never came and the known main and control processes
    /// are gone: stop waiting for it.
    fn pid_file_hope_lost(&mut self) {
        if self.pid_file_watched && self.main_pid_good() == Some(false) && !self.control_running() {
            self.log(LogLevel::Warning, "Daemon never wrote its PID file. Failing.");
            if self.state == ServiceState::Start {
                self.enter_stop_post(ServiceResult::Protocol);
            } else {
                self.enter_stop(ServiceResult::Protocol);
            }
        }
    }

    fn finish_reload(&mut self, f: ServiceResult) {
        self.reload_result = f;
        self.enter_running(ServiceResult::Success);
    }

    /// A timed-out kill state escalates to `sigkill`, or gives up on the
    /// processes with `SendSIGKILL=no`.
    fn kill_or_skip(&mut self, what: &str, sigkill: ServiceState) {
        if self.params.kill.send_sigkill {
            self.log(LogLevel::Warning, format!("{what} timed out. Killing."));
            self.enter_signal(sigkill, ServiceResult::Timeout);
        } else {
            self.skip_sigkill(what, sigkill);
        }
    }

    /// Log the OOM kill; the policy to apply, unless it is `continue`.
    fn oom_logged(&mut self) -> Option<OomPolicy> {
        self.log(LogLevel::Notice, "A process of this unit has been killed by the OOM killer.");
        Some(self.params.oom_policy).filter(|p| *p != OomPolicy::Continue)
    }

    // ---- sd_notify() ----------------------------------------------------

    fn notify_authorized(&mut self, pid: Pid) -> bool {
        let main = self.main_pid();
        let control = self.control_pid();
        let refusal = match self.params.notify_access {
            NotifyAccess::All => return true,
            NotifyAccess::None => {
                format!("Got notification message from PID {pid}, but reception is disabled.")
            }
            NotifyAccess::Main if main == Some(pid) => return true,
            NotifyAccess::Main => match main {
                Some(m) => format!(
                    "Got notification message from PID {pid}, but reception only permitted for main PID {m}"
                ),
                None => format!(
                    "Got notification message from PID {pid}, but reception only permitted for main PID which is currently not known"
                ),
            },
            NotifyAccess::Exec if main == Some(pid) || control == Some(pid) => return true,
            NotifyAccess::Exec => match (main, control) {
                (Some(m), Some(c)) => format!(
                    "Got notification message from PID {pid}, but reception only permitted for main PID {m} and control PID {c}"
                ),
                (Some(m), None) => format!(
                    "Got notification message from PID {pid}, but reception only permitted for main PID {m}"
                ),
                (None, Some(c)) => format!(
                    "Got notification message from PID {pid}, but reception only permitted for control PID {c}"
                ),
                (None, None) => format!(
                    "Got notification message from PID {pid}, but reception only permitted for main PID and control PID which are currently not known"
                ),
            },
        };
        self.log(LogLevel::Warning, refusal);
        false
    }

    fn on_notify(&mut self, n: Notify) {
        use ServiceState as S;
        if !self.notify_authorized(n.pid) {
            return;
        }
        if let Some(pid) = n.main_pid {
            match self.state {
                S::Start | S::StartPost | S::Running | S::Reload => self.notify_main_pid(pid),
                // MAINPID= only means something while the service runs.
                inactive!() | S::Condition | S::StartPre | S::Exited | S::Stop | kill_states!() | S::StopPost | finalizing!() | S::AutoRestart => {}
            }
        }
        if let Some(lifecycle) = n.lifecycle {
            self.notify_state = Some(lifecycle);
            match (lifecycle, self.state) {
                (NotifyLifecycle::Ready, S::Start) => {
                    if self.params.service_type == ServiceType::Notify {
                        self.enter_start_post();
                    }
                }
                // READY=1 after RELOADING=1 ends the reload.
                (NotifyLifecycle::Ready, S::Reload) => {
                    if !self.control_running() {
                        self.enter_running(ServiceResult::Success);
                    }
                }
                (NotifyLifecycle::Reloading, S::Running) => self.enter_reload_by_notify(),
                (NotifyLifecycle::Stopping, S::Running) => self.enter_stop_by_notify(),
                // Remembered in notify_state; enter_running() acts on a
                // RELOADING=1/STOPPING=1 that came while it was busy.
                (NotifyLifecycle::Ready, inactive!() | S::Condition | S::StartPre | S::StartPost | S::Running | S::Exited | S::Stop | kill_states!() | S::StopPost | finalizing!() | S::AutoRestart)
                | (NotifyLifecycle::Reloading | NotifyLifecycle::Stopping, inactive!() | starting!() | S::Exited | S::Reload | S::Stop | kill_states!() | S::StopPost | finalizing!() | S::AutoRestart) => {}
            }
        }
        if let Some(text) = n.status {
            // systemd's STATUS_TEXT_MAX.
            if text.len() > 16 * 1024 {
                self.log(
                    LogLevel::Warning,
                    format!("Status message overly long ({} > 16384), ignoring.", text.len()),
                );
            } else {
                self.status_text = Some(text).filter(|t| !t.is_empty());
            }
        }
        if let Some(errno) = n.errno {
            self.status_errno = errno;
        }
        if let Some(extend) = n.extend_timeout_usec.filter(|&u| u > 0 && u != u64::MAX) {
            self.extend_timeouts(extend);
        }
        let watchdog_live = matches!(self.state, S::StartPost | S::Running | S::Reload);
        match n.watchdog {
            Some(WatchdogNotify::Ping) if watchdog_live => self.reset_watchdog(),
            Some(WatchdogNotify::Trigger) if matches!(self.state, starting!() | up!()) => {
                let last = self.status_text.clone().unwrap_or_else(|| "<unset>".to_string());
                self.log(LogLevel::Error, format!("Watchdog request (last status: {last})!"));
                self.enter_signal(S::StopWatchdog, ServiceResult::Watchdog);
            }
            Some(WatchdogNotify::Ping | WatchdogNotify::Trigger) | None => {}
        }
        if let Some(usec) = n.watchdog_usec {
            self.watchdog_override = Some(usec);
            if matches!(self.state, S::StartPost | S::Running | S::Reload) {
                self.reset_watchdog();
            }
        }
    }

    fn notify_main_pid(&mut self, pid: Pid) {
        if self.main_pid() == Some(pid) {
            return;
        }
        if pid <= 1 {
            self.log(LogLevel::Warning, format!("New main PID {pid} is the manager, refusing."));
        } else if self.control_pid() == Some(pid) {
            self.log(LogLevel::Warning, format!("New main PID {pid} is the control process, refusing."));
        } else {
            self.set_main_pid(pid);
        }
    }
}
