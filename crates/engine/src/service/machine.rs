//! The transition table: one exhaustive `match (state, input)`.
//!
//! Every event is listed with the states it matters in; where it does not
//! matter, an explicit arm says so and why. The state groups are macros so
//! the compiler still checks that every state is covered for every input.

use super::enter::KillState;
use super::params::{OomPolicy, ServiceType, TimeoutFailureMode};
use super::status::format_timespan;
use super::types::{Action, KillTarget, LogLevel, Phase, ServiceResult, ServiceState};
use super::{Input, Lookup, Service};

impl Service {
    pub(super) fn dispatch(&mut self, input: Input) {
        use ServiceState as S;
        match (self.state, input) {
            // ---- jobs: accepted in any state; what they do is decided
            // when they run (jobs.rs), from the state at that moment.
            (every_state!(), Input::Job(kind)) => self.install_job(kind),

            // ---- spawn bookkeeping
            (every_state!(), Input::Spawned { role, pid }) => self.record_spawn(role, pid),
            (
                starting!() | up!() | S::Stop | kill_states!() | S::StopPost | finalizing!(),
                Input::SpawnFailed { role, error },
            ) => self.spawn_failed(role, &error),
            // Nothing is spawned in these states, so nothing can fail.
            (inactive!() | S::AutoRestart, Input::SpawnFailed { .. }) => {}

            // ---- Type=exec: started once execve() worked.
            (S::Start, Input::ExecSucceeded) => {
                if self.params.service_type == ServiceType::Exec {
                    self.enter_start_post();
                }
            }
            // Only `start` waits for execve(); later reports are moot.
            (
                inactive!()
                | S::Condition
                | S::StartPre
                | S::StartPost
                | up!()
                | S::Stop
                | kill_states!()
                | S::StopPost
                | finalizing!()
                | S::AutoRestart,
                Input::ExecSucceeded,
            ) => {}

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
                        self.enter_signal(KillState::FinalSigterm, f);
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
            (inactive!() | S::Condition | S::StartPre | S::Exited | S::AutoRestart, Input::MainExited(_)) => {
            }
            // Waiting for the PID file to tell whether the daemon moved.
            (every_state!(), Input::MainExitDeferred) => {}
            (main_tracked!(), Input::MainPidMoved(pid)) => self.set_main_pid(pid),
            // The question died with the state it was asked in.
            (
                inactive!() | S::Condition | S::StartPre | S::Exited | S::AutoRestart,
                Input::MainPidMoved(_),
            ) => {}

            // ---- a control process exited
            (S::Condition, Input::ControlExited(st)) => {
                if let Some(f) = self.control_exit_common(st) {
                    if f == ServiceResult::Success {
                        self.enter_start_pre();
                    } else {
                        self.enter_signal(KillState::StopSigterm, f);
                    }
                }
            }
            (S::StartPre, Input::ControlExited(st)) => {
                if let Some(f) = self.control_exit_common(st) {
                    if f == ServiceResult::Success {
                        self.enter_start();
                    } else {
                        self.enter_signal(KillState::StopSigterm, f);
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
                        self.enter_signal(KillState::StopSigterm, f);
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
                    self.enter_signal(KillState::StopSigterm, f);
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
                        self.enter_signal(KillState::FinalSigterm, f);
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
                    self.enter_signal(KillState::StopSigterm, ServiceResult::Protocol);
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
            (
                inactive!()
                | S::Condition
                | S::StartPre
                | S::StartPost
                | up!()
                | S::Stop
                | kill_states!()
                | S::StopPost
                | finalizing!()
                | S::AutoRestart,
                Input::PidFileAfterStart { .. },
            ) => {}
            (
                inactive!()
                | starting!()
                | S::Running
                | S::Exited
                | S::Stop
                | kill_states!()
                | S::StopPost
                | finalizing!()
                | S::AutoRestart,
                Input::PidFileAfterReload(_),
            ) => {}
            (
                inactive!()
                | S::Condition
                | S::StartPre
                | S::Start
                | up!()
                | S::Stop
                | kill_states!()
                | S::StopPost
                | finalizing!()
                | S::AutoRestart,
                Input::PidFileAfterStartPost(_),
            ) => {}
            (every_state!(), Input::Guessed { .. }) => {}
            (
                inactive!()
                | S::Condition
                | S::StartPre
                | up!()
                | S::Stop
                | kill_states!()
                | S::StopPost
                | finalizing!()
                | S::AutoRestart,
                Input::PidFileChanged(_),
            ) => {}
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
            (
                inactive!()
                | starting!()
                | S::Exited
                | S::Reload
                | S::Stop
                | kill_states!()
                | S::StopPost
                | finalizing!()
                | S::AutoRestart,
                Input::BusName(_),
            ) => {}

            // ---- the state timer
            (starting!(), Input::StateTimeout) => {
                let what = format!("{} operation", self.state);
                self.timeout_escalate(
                    self.params.timeout_start_failure_mode,
                    &what,
                    KillState::StopSigterm,
                    KillState::StopWatchdog,
                    KillState::StopSigkill,
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
                    KillState::StopSigterm,
                    KillState::StopWatchdog,
                    KillState::StopSigkill,
                );
            }
            (S::StopWatchdog, Input::StateTimeout) => {
                self.kill_or_skip("State 'stop-watchdog'", KillState::StopSigkill);
            }
            (S::StopSigterm, Input::StateTimeout) => {
                if self.params.timeout_stop_failure_mode == TimeoutFailureMode::Abort {
                    self.log(LogLevel::Warning, "State 'stop-sigterm' timed out. Aborting.");
                    self.enter_signal(KillState::StopWatchdog, ServiceResult::Timeout);
                } else {
                    self.kill_or_skip("State 'stop-sigterm'", KillState::StopSigkill);
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
                    KillState::FinalSigterm,
                    KillState::FinalWatchdog,
                    KillState::FinalSigkill,
                );
            }
            (S::FinalWatchdog, Input::StateTimeout) => {
                self.kill_or_skip("State 'final-watchdog'", KillState::FinalSigkill);
            }
            (S::FinalSigterm, Input::StateTimeout) => {
                if self.params.timeout_stop_failure_mode == TimeoutFailureMode::Abort {
                    self.log(LogLevel::Warning, "State 'final-sigterm' timed out. Aborting.");
                    self.enter_signal(KillState::FinalWatchdog, ServiceResult::Timeout);
                } else {
                    self.kill_or_skip("State 'final-sigterm'", KillState::FinalSigkill);
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
                self.enter_signal(KillState::StopWatchdog, ServiceResult::Watchdog);
            }
            // The watchdog only runs in the three states above.
            (
                inactive!()
                | S::Condition
                | S::StartPre
                | S::Start
                | S::Exited
                | S::Stop
                | kill_states!()
                | S::StopPost
                | finalizing!()
                | S::AutoRestart,
                Input::WatchdogTimeout,
            ) => {}
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
            (
                inactive!() | S::Condition | S::StartPre | S::Exited | S::Reload | S::Stop | S::AutoRestart,
                Input::CgroupEmpty,
            ) => {}

            // ---- the OOM killer struck (OOMPolicy=)
            (starting!() | S::Stop, Input::Oom) => {
                if let Some(policy) = self.oom_logged() {
                    match policy {
                        OomPolicy::Stop => self.enter_signal(KillState::StopSigterm, ServiceResult::OomKill),
                        OomPolicy::Kill => self.enter_signal(KillState::StopSigkill, ServiceResult::OomKill),
                        OomPolicy::Continue => {}
                    }
                }
            }
            (S::Running | S::Exited, Input::Oom) => {
                if let Some(policy) = self.oom_logged() {
                    match policy {
                        OomPolicy::Stop => self.enter_stop(ServiceResult::OomKill),
                        OomPolicy::Kill => self.enter_signal(KillState::StopSigkill, ServiceResult::OomKill),
                        OomPolicy::Continue => {}
                    }
                }
            }
            (S::StopWatchdog | S::StopSigterm, Input::Oom) => {
                if self.oom_logged().is_some() {
                    self.enter_signal(KillState::StopSigkill, ServiceResult::OomKill);
                }
            }
            (S::StopSigkill | S::FinalSigkill, Input::Oom) => {
                if self.oom_logged().is_some() {
                    self.note_result(ServiceResult::OomKill);
                }
            }
            (S::StopPost | S::FinalSigterm, Input::Oom) => {
                if self.oom_logged().is_some() {
                    self.enter_signal(KillState::FinalSigkill, ServiceResult::OomKill);
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
}
