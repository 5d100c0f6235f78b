//! The helpers behind the transition table: what a process exit, a fork
//! failure or an answer about the main pid means for the run, in the
//! words of systemd's `service_sigchld_event()` and friends.

use super::enter::KillState;
use super::params::{NotifyAccess, OomPolicy, ServiceType};
use super::types::{Action, ExitStatus, LogLevel, Phase, Pid, Role, ServiceResult, ServiceState};
use super::{Lookup, MainProc, Service};

impl Service {
    // ---- helpers of the table -------------------------------------------

    pub(super) fn record_spawn(&mut self, role: Role, pid: Pid) {
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
    pub(super) fn spawn_failed(&mut self, role: Role, error: &str) {
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
                    self.enter_signal(KillState::StopSigterm, ServiceResult::Resources);
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
                        Phase::Start | Phase::Stop => {
                            self.enter_signal(KillState::StopSigterm, ServiceResult::Resources)
                        }
                        Phase::StartPost => self.enter_stop(ServiceResult::Resources),
                        Phase::Reload => self.finish_reload(ServiceResult::Resources),
                        Phase::StopPost => {
                            self.enter_signal(KillState::FinalSigterm, ServiceResult::Resources)
                        }
                    }
                } else {
                    self.log(LogLevel::Warning, format!("Failed to run next control task: {error}"));
                    match self.state {
                        S::Condition | S::StartPre | S::StartPost | S::Stop => {
                            self.enter_signal(KillState::StopSigterm, ServiceResult::Resources)
                        }
                        S::StopPost => self.enter_dead(ServiceResult::Resources, true),
                        S::Reload => self.finish_reload(ServiceResult::Resources),
                        inactive!()
                        | S::Start
                        | S::Running
                        | S::Exited
                        | kill_states!()
                        | finalizing!()
                        | S::AutoRestart => self.enter_stop(ServiceResult::Resources),
                    }
                }
            }
        }
    }

    /// Record and judge a main exit; start the next oneshot command if
    /// there is one (then `None`: nothing else to do).
    pub(super) fn main_exit_common(&mut self, status: ExitStatus) -> Option<ServiceResult> {
        let index = self.main_command.map(|i| i as usize);
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
    pub(super) fn control_exit_common(&mut self, status: ExitStatus) -> Option<ServiceResult> {
        let c = self.control.take()?;
        let f = self.judge_control_exit(c, status);
        // A failed reload does not make the service failed.
        if self.state != ServiceState::Reload {
            self.note_result(f);
        }
        if f == ServiceResult::Success && self.has_next_command(c.phase, c.index as usize) {
            self.run_next_control(c.phase, c.index as usize);
            return None;
        }
        Some(f)
    }

    /// The main process of a service in `start` is gone.
    pub(super) fn main_exited_in_start(&mut self, f: ServiceResult) {
        match self.params.service_type {
            ServiceType::Oneshot => {
                if f == ServiceResult::Success {
                    self.enter_start_post();
                } else {
                    self.enter_signal(KillState::StopSigterm, f);
                }
            }
            ServiceType::Notify => {
                // `start` means "no READY=1 yet"; only a notification ends it.
                if f != ServiceResult::Success {
                    self.enter_signal(KillState::StopSigterm, f);
                } else if !self.params.remain_after_exit || self.params.notify_access == NotifyAccess::Main {
                    // It never was, and now never will be, ready.
                    self.enter_signal(KillState::StopSigterm, ServiceResult::Protocol);
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
    pub(super) fn forking_parent_exited(&mut self, f: ServiceResult) {
        if self.params.service_type != ServiceType::Forking {
            // The type changed under a reload; nothing to do with it.
            return;
        }
        if f != ServiceResult::Success {
            self.enter_signal(KillState::StopSigterm, f);
        } else if self.params.pid_file {
            let has_start_post = !self.params.commands.get(Phase::StartPost).is_empty();
            self.ask(Lookup::PidFileAfterStart { has_start_post }, Action::ReadPidFile);
        } else if !self.guess(Lookup::GuessAfterStart) {
            self.enter_start_post();
        }
    }

    pub(super) fn ask(&mut self, lookup: Lookup, action: Action) {
        self.lookup = Some(lookup);
        self.out.push(action);
    }

    /// `GuessMainPID=`: only when the main pid is not known at all.
    pub(super) fn guess(&mut self, lookup: Lookup) -> bool {
        if self.params.guess_main_pid && self.main == MainProc::Unknown {
            self.ask(lookup, Action::GuessMainPid);
            true
        } else {
            false
        }
    }

    pub(super) fn watch_pid_file(&mut self) {
        if !self.pid_file_watched {
            self.pid_file_watched = true;
            self.out.push(Action::WatchPidFile);
        }
    }

    /// The PID file never came and the known main and control processes
    /// are gone: stop waiting for it.
    pub(super) fn pid_file_hope_lost(&mut self) {
        if self.pid_file_watched && self.main_pid_good() == Some(false) && !self.control_running() {
            self.log(LogLevel::Warning, "Daemon never wrote its PID file. Failing.");
            if self.state == ServiceState::Start {
                self.enter_stop_post(ServiceResult::Protocol);
            } else {
                self.enter_stop(ServiceResult::Protocol);
            }
        }
    }

    pub(super) fn finish_reload(&mut self, f: ServiceResult) {
        self.reload_result = f;
        self.enter_running(ServiceResult::Success);
    }

    /// A timed-out kill state escalates to `sigkill`, or gives up on the
    /// processes with `SendSIGKILL=no`.
    pub(super) fn kill_or_skip(&mut self, what: &str, sigkill: KillState) {
        if self.params.kill.send_sigkill {
            self.log(LogLevel::Warning, format!("{what} timed out. Killing."));
            self.enter_signal(sigkill, ServiceResult::Timeout);
        } else {
            self.skip_sigkill(what, sigkill);
        }
    }

    /// Log the OOM kill; the policy to apply, unless it is `continue`.
    pub(super) fn oom_logged(&mut self) -> Option<OomPolicy> {
        self.log(LogLevel::Notice, "A process of this unit has been killed by the OOM killer.");
        Some(self.params.oom_policy).filter(|p| *p != OomPolicy::Continue)
    }
}
