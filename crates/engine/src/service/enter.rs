//! The transitions: each `enter_*` does what entering that state takes
//! (spawn the phase's first command, send the phase's signal, arm the
//! phase's timer) and falls through to the next state when there is
//! nothing to do. They mirror systemd's `service_enter_*()` so that the
//! shortcuts (no `ExecStop=` → straight to the signal; nothing killed →
//! straight to `stop-post`) happen in the same places.

use super::params::{signal, KillMode, ServiceType, TimeoutFailureMode};
use super::restart;
use super::status::{describe_exit, is_clean_exit};
use super::types::{
    Action, ExitStatus, JobKind, KillTarget, LogLevel, NotifyLifecycle, Phase, Role, ServiceResult,
    ServiceState, TimerKind, TimerToken, Usec,
};
use super::{Armed, ControlProc, MainProc, Service};

/// The states that signal the unit's processes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum KillState {
    StopWatchdog,
    StopSigterm,
    StopSigkill,
    FinalWatchdog,
    FinalSigterm,
    FinalSigkill,
}

impl KillState {
    pub(super) fn state(self) -> ServiceState {
        match self {
            KillState::StopWatchdog => ServiceState::StopWatchdog,
            KillState::StopSigterm => ServiceState::StopSigterm,
            KillState::StopSigkill => ServiceState::StopSigkill,
            KillState::FinalWatchdog => ServiceState::FinalWatchdog,
            KillState::FinalSigterm => ServiceState::FinalSigterm,
            KillState::FinalSigkill => ServiceState::FinalSigkill,
        }
    }
}

/// What a kill state sends (systemd's `KillOperation`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum KillOp {
    Terminate,
    Restart,
    Kill,
    Watchdog,
}

fn add(now: Usec, delta: Option<Usec>) -> Option<Usec> {
    delta.map(|d| now.saturating_add(d))
}

impl Service {
    pub(super) fn log(&mut self, level: LogLevel, message: impl Into<String>) {
        self.out.push(Action::Log { level, message: message.into() });
    }

    /// Record `f` as the run's result unless an earlier failure already is.
    pub(super) fn note_result(&mut self, f: ServiceResult) {
        if self.result == ServiceResult::Success {
            self.result = f;
        }
    }

    pub(super) fn set_state(&mut self, new: ServiceState) {
        self.set_state_flagged(new, false);
    }

    /// Change state and drop whatever the new state does not keep:
    /// timers, tracked pids, the PID-file watch. systemd's
    /// `service_set_state()` with its keep-lists.
    pub(super) fn set_state_flagged(&mut self, new: ServiceState, auto_restart: bool) {
        use ServiceState as S;
        let old = self.state;
        let old_active = self.active_state();
        self.state = new;

        self.lookup = None;
        if self.pid_file_watched {
            self.pid_file_watched = false;
            self.out.push(Action::UnwatchPidFile);
        }
        if matches!(new, S::Dead | S::Failed | S::Exited) {
            self.disarm(TimerKind::State);
        }
        let keeps_main = matches!(
            new,
            S::Start
                | S::StartPost
                | S::Running
                | S::Reload
                | S::Stop
                | S::StopWatchdog
                | S::StopSigterm
                | S::StopSigkill
                | S::StopPost
                | S::FinalWatchdog
                | S::FinalSigterm
                | S::FinalSigkill
        );
        if !keeps_main {
            self.forget_main_pid();
            self.main_command = None;
        }
        let keeps_control = matches!(
            new,
            S::Condition
                | S::StartPre
                | S::Start
                | S::StartPost
                | S::Reload
                | S::Stop
                | S::StopWatchdog
                | S::StopSigterm
                | S::StopSigkill
                | S::StopPost
                | S::FinalWatchdog
                | S::FinalSigterm
                | S::FinalSigkill
        );
        if !keeps_control {
            self.control = None;
        }
        if !matches!(new, S::StartPost | S::Running | S::Reload) {
            self.disarm(TimerKind::Watchdog);
        }

        let new_active = self.active_state();
        if !old_active.is_active_or_reloading() && new_active.is_active_or_reloading() {
            self.active_enter = Some(self.now);
        }
        if old != new {
            self.out.push(Action::Transition { from: old, to: new, auto_restart });
        }
        self.process_job(new_active);
    }

    // ---- timers ----------------------------------------------------------

    pub(super) fn arm(&mut self, kind: TimerKind, at: Option<Usec>) {
        let Some(at) = at else {
            self.disarm(kind);
            return;
        };
        self.timer_seq += 1;
        let token = TimerToken { kind, seq: self.timer_seq };
        let armed = Some(Armed { token, at });
        match kind {
            TimerKind::State => self.state_timer = armed,
            TimerKind::Watchdog => self.watchdog_timer = armed,
        }
        self.out.push(Action::ArmTimer { token, at });
    }

    pub(super) fn disarm(&mut self, kind: TimerKind) {
        let slot = match kind {
            TimerKind::State => &mut self.state_timer,
            TimerKind::Watchdog => &mut self.watchdog_timer,
        };
        if slot.take().is_some() {
            self.out.push(Action::DisarmTimer { kind });
        }
    }

    /// `EXTEND_TIMEOUT_USEC=`: push armed timers out to at least `now +
    /// extend`, never pull them in.
    pub(super) fn extend_timeouts(&mut self, extend: Usec) {
        let until = self.now.saturating_add(extend);
        for kind in [TimerKind::State, TimerKind::Watchdog] {
            let current = match kind {
                TimerKind::State => self.state_timer,
                TimerKind::Watchdog => self.watchdog_timer,
            };
            if let Some(armed) = current {
                if armed.at < until {
                    self.arm(kind, Some(until));
                }
            }
        }
    }

    /// A keep-alive: the watchdog counts from now.
    pub(super) fn reset_watchdog(&mut self) {
        let deadline = self.watchdog_usec().and_then(|w| add(self.now, Some(w)));
        self.arm(TimerKind::Watchdog, deadline);
    }

    // ---- processes -------------------------------------------------------

    fn spawn_control(&mut self, phase: Phase, index: usize, timeout: Option<Usec>) {
        self.arm(TimerKind::State, add(self.now, timeout));
        self.control = Some(ControlProc { phase, index: u32::try_from(index).unwrap_or(u32::MAX), pid: None });
        self.populated_before_spawn = self.cgroup_populated;
        self.cgroup_populated = true;
        self.out.push(Action::Spawn { phase, index, role: Role::Control });
    }

    fn spawn_main(&mut self, index: usize, timeout: Option<Usec>) {
        self.arm(TimerKind::State, add(self.now, timeout));
        self.main = MainProc::Running(None);
        self.main_command = u32::try_from(index).ok();
        self.populated_before_spawn = self.cgroup_populated;
        self.cgroup_populated = true;
        self.out.push(Action::Spawn { phase: Phase::Start, index, role: Role::Main });
    }

    /// Adopt `pid` as the main process (PID file, guess, `MAINPID=`).
    pub(super) fn set_main_pid(&mut self, pid: u32) {
        if pid <= 1 || self.main_pid() == Some(pid) {
            return;
        }
        self.main = MainProc::Running(Some(pid));
        self.main_command = None;
        self.cgroup_populated = true;
        self.out.push(Action::SetMainPid(pid));
    }

    /// systemd's `main_pid_good()`: `Some(alive)` when known.
    pub(super) fn main_pid_good(&self) -> Option<bool> {
        match self.main {
            MainProc::Unknown => None,
            MainProc::Running(_) => Some(true),
            MainProc::Gone => Some(false),
        }
    }

    pub(super) fn control_running(&self) -> bool {
        self.control.is_some()
    }

    /// Is the service up? The main process if we know it, else whether
    /// the unit still has processes; `Type=dbus` also needs its name.
    pub(super) fn service_good(&self) -> bool {
        if self.params.service_type == ServiceType::Dbus && !self.bus_name_good {
            return false;
        }
        match self.main_pid_good() {
            Some(alive) => alive,
            None => self.cgroup_populated,
        }
    }

    fn first_command(&self, phase: Phase) -> bool {
        !self.params.commands.get(phase).is_empty()
    }

    fn has_next(&self, phase: Phase, index: usize) -> bool {
        index.checked_add(1).is_some_and(|n| n < self.params.commands.get(phase).len())
    }

    pub(super) fn ignores_failure(&self, phase: Phase, index: usize) -> bool {
        self.params.commands.get(phase).get(index).is_some_and(|c| c.ignore_failure)
    }

    /// `SendSIGKILL=no` services with `KillMode=control-group`/`mixed`
    /// refuse to start over left-over processes (`systemd.kill(5)`,
    /// "SendSIGKILL=").
    fn leftovers_forbid_start(&mut self) -> bool {
        let k = self.params.kill;
        if self.cgroup_populated
            && matches!(k.mode, KillMode::ControlGroup | KillMode::Mixed)
            && !k.send_sigkill
        {
            self.log(
                LogLevel::Error,
                "Will not start SendSIGKILL=no service of type KillMode=control-group or mixed while processes exist",
            );
            return true;
        }
        false
    }

    /// Signal the unit for `op`; returns whether anything was signalled
    /// that we will hear back from (systemd's `unit_kill_context()`).
    fn kill_context(&mut self, op: KillOp) -> bool {
        let k = self.params.kill;
        if k.mode == KillMode::None {
            return false;
        }
        let (sig, notice) = match op {
            KillOp::Terminate => (k.kill_signal, false),
            KillOp::Restart => (self.params.restart_kill_signal(), false),
            KillOp::Kill => (k.final_kill_signal, true),
            KillOp::Watchdog => (k.watchdog_signal, true),
        };
        // SendSIGHUP= follows the terminating signal only.
        let hup = k.send_sighup && op == KillOp::Terminate && sig != signal::SIGHUP;
        let mut wait = false;
        let mut targets = Vec::new();
        if let Some(pid) = self.main_pid() {
            targets.push(KillTarget::Main(pid));
        }
        if let Some(pid) = self.control_pid() {
            targets.push(KillTarget::Control(pid));
        }
        if self.cgroup_populated
            && (k.mode == KillMode::ControlGroup || (k.mode == KillMode::Mixed && op == KillOp::Kill))
        {
            targets.push(KillTarget::Group);
        }
        for target in targets {
            wait = true;
            self.out.push(Action::Kill { target, signal: sig, cont: true, notice });
            if hup {
                self.out.push(Action::Kill { target, signal: signal::SIGHUP, cont: false, notice: false });
            }
        }
        wait
    }

    // ---- the way down ----------------------------------------------------

    /// `dead` or `failed`, then maybe `auto-restart`.
    pub(super) fn enter_dead(&mut self, f: ServiceResult, allow_restart: bool) {
        use ServiceState as S;
        // A queued stop job must not be undone by Restart=.
        let allow_restart = allow_restart && self.job.map(|j| j.kind) != Some(JobKind::Stop);
        self.note_result(f);
        let end = match self.result {
            ServiceResult::Success => {
                self.log(LogLevel::Info, "Deactivated successfully.");
                S::Dead
            }
            ServiceResult::SkipCondition => {
                self.log(LogLevel::Info, format!("Skipped due to '{}'.", self.result));
                S::Dead
            }
            other => {
                self.log(LogLevel::Warning, format!("Failed with result '{other}'."));
                S::Failed
            }
        };
        let will_restart = allow_restart
            && restart::decide(&self.params, self.result, self.main_exit, self.forbid_restart).restart;
        self.set_state_flagged(end, will_restart);
        if will_restart {
            let at = self.now.saturating_add(self.params.restart_usec);
            self.arm(TimerKind::State, Some(at));
            self.set_state(S::AutoRestart);
        } else {
            // Keep the counter visible until the next manual start.
            self.flush_n_restarts = true;
        }
        self.forbid_restart = false;
        if self.params.pid_file {
            self.out.push(Action::RemovePidFile);
        }
    }

    pub(super) fn enter_stop_post(&mut self, f: ServiceResult) {
        self.note_result(f);
        self.control = None;
        if self.first_command(Phase::StopPost) {
            self.spawn_control(Phase::StopPost, 0, self.params.timeout_stop);
            self.set_state(ServiceState::StopPost);
        } else {
            self.enter_signal(KillState::FinalSigterm, ServiceResult::Success);
        }
    }

    fn kill_op_for(&self, state: KillState) -> KillOp {
        match state {
            KillState::StopWatchdog | KillState::FinalWatchdog => KillOp::Watchdog,
            KillState::StopSigterm if self.job.map(|j| j.kind) == Some(JobKind::Restart) => KillOp::Restart,
            KillState::StopSigterm | KillState::FinalSigterm => KillOp::Terminate,
            KillState::StopSigkill | KillState::FinalSigkill => KillOp::Kill,
        }
    }

    /// One of the kill states; skips ahead when nothing was there to kill.
    pub(super) fn enter_signal(&mut self, state: KillState, f: ServiceResult) {
        self.note_result(f);
        let op = self.kill_op_for(state);
        if self.kill_context(op) {
            let timeout = if op == KillOp::Watchdog {
                self.params.timeout_abort_effective()
            } else {
                self.params.timeout_stop
            };
            self.arm(TimerKind::State, add(self.now, timeout));
            self.set_state(state.state());
            return;
        }
        let sigkill = self.params.kill.send_sigkill;
        match state {
            KillState::StopWatchdog | KillState::StopSigterm if sigkill => {
                self.enter_signal(KillState::StopSigkill, ServiceResult::Success)
            }
            KillState::StopWatchdog | KillState::StopSigterm | KillState::StopSigkill => {
                self.enter_stop_post(ServiceResult::Success)
            }
            KillState::FinalWatchdog | KillState::FinalSigterm if sigkill => {
                self.enter_signal(KillState::FinalSigkill, ServiceResult::Success)
            }
            KillState::FinalWatchdog | KillState::FinalSigterm | KillState::FinalSigkill => {
                self.enter_dead(ServiceResult::Success, true)
            }
        }
    }

    /// `STOPPING=1`: the service is on its way down by itself, as if we had
    /// sent the kill signal.
    pub(super) fn enter_stop_by_notify(&mut self) {
        self.arm(TimerKind::State, add(self.now, self.params.timeout_stop));
        self.set_state(ServiceState::StopSigterm);
    }

    pub(super) fn enter_stop(&mut self, f: ServiceResult) {
        self.note_result(f);
        self.control = None;
        if self.first_command(Phase::Stop) {
            self.spawn_control(Phase::Stop, 0, self.params.timeout_stop);
            self.set_state(ServiceState::Stop);
        } else {
            self.enter_signal(KillState::StopSigterm, ServiceResult::Success);
        }
    }

    // ---- the way up ------------------------------------------------------

    /// Settle after start-up or reload: running, exited, or stop.
    pub(super) fn enter_running(&mut self, f: ServiceResult) {
        self.note_result(f);
        self.control = None;
        if self.result != ServiceResult::Success {
            self.enter_signal(KillState::StopSigterm, f);
        } else if self.service_good() {
            // Notifications that arrived while we were busy act now.
            match self.notify_state {
                Some(NotifyLifecycle::Reloading) => self.enter_reload_by_notify(),
                Some(NotifyLifecycle::Stopping) => self.enter_stop_by_notify(),
                Some(NotifyLifecycle::Ready) | None => {
                    self.set_state(ServiceState::Running);
                    let deadline = self.active_enter.and_then(|t| add(t, self.params.runtime_max));
                    self.arm(TimerKind::State, deadline);
                }
            }
        } else if self.params.remain_after_exit {
            self.set_state(ServiceState::Exited);
        } else {
            self.enter_stop(ServiceResult::Success);
        }
    }

    pub(super) fn enter_start_post(&mut self) {
        self.control = None;
        self.reset_watchdog();
        if self.first_command(Phase::StartPost) {
            self.spawn_control(Phase::StartPost, 0, self.params.timeout_start);
            self.set_state(ServiceState::StartPost);
        } else {
            self.enter_running(ServiceResult::Success);
        }
    }

    pub(super) fn enter_start(&mut self) {
        self.control = None;
        self.forget_main_pid();
        if self.leftovers_forbid_start() {
            self.log(LogLevel::Warning, "Failed to run 'start' task: Device or resource busy");
            self.enter_signal(KillState::StopSigterm, ServiceResult::Resources);
            return;
        }
        let ty = self.params.service_type;
        if !self.first_command(Phase::Start) {
            if ty != ServiceType::Oneshot {
                self.log(LogLevel::Error, "There's no 'start' task anymore we could start.");
                self.log(LogLevel::Warning, "Failed to run 'start' task: No such device or address");
                self.enter_signal(KillState::StopSigterm, ServiceResult::Resources);
                return;
            }
            // A oneshot with nothing to run still passes through "start",
            // so that it is seen activating.
            self.set_state(ServiceState::Start);
            self.enter_start_post();
            return;
        }
        match ty {
            ServiceType::Forking => {
                self.main_command = None;
                self.spawn_control(Phase::Start, 0, self.params.timeout_start);
                self.set_state(ServiceState::Start);
            }
            ServiceType::Simple | ServiceType::Idle => {
                // Started once forked; RuntimeMaxSec= applies from running.
                self.spawn_main(0, None);
                self.enter_start_post();
            }
            ServiceType::Oneshot | ServiceType::Dbus | ServiceType::Notify | ServiceType::Exec => {
                self.spawn_main(0, self.params.timeout_start);
                self.set_state(ServiceState::Start);
            }
        }
    }

    pub(super) fn enter_start_pre(&mut self) {
        self.control = None;
        if !self.first_command(Phase::StartPre) {
            self.enter_start();
        } else if self.leftovers_forbid_start() {
            self.log(LogLevel::Warning, "Failed to run 'start-pre' task: Device or resource busy");
            self.enter_dead(ServiceResult::Resources, true);
        } else {
            self.spawn_control(Phase::StartPre, 0, self.params.timeout_start);
            self.set_state(ServiceState::StartPre);
        }
    }

    pub(super) fn enter_condition(&mut self) {
        self.control = None;
        if !self.first_command(Phase::Condition) {
            self.enter_start_pre();
        } else if self.leftovers_forbid_start() {
            self.log(LogLevel::Warning, "Failed to run 'exec-condition' task: Device or resource busy");
            self.enter_dead(ServiceResult::Resources, true);
        } else {
            self.spawn_control(Phase::Condition, 0, self.params.timeout_start);
            self.set_state(ServiceState::Condition);
        }
    }

    /// A start job acts on a dead or failed service: reset the run.
    pub(super) fn begin_run(&mut self) {
        self.result = ServiceResult::Success;
        self.reload_result = ServiceResult::Success;
        self.main = MainProc::Unknown;
        self.main_command = None;
        self.main_exit = None;
        self.forbid_restart = false;
        self.status_text = None;
        self.status_errno = 0;
        self.notify_state = None;
        self.watchdog_original = self.params.watchdog;
        self.watchdog_override = None;
        if self.flush_n_restarts {
            self.n_restarts = 0;
            self.flush_n_restarts = false;
        }
        self.enter_condition();
    }

    /// `RestartSec=` is over: ask for the restart job, unless a stop job
    /// is already on its way.
    pub(super) fn enter_restart(&mut self) {
        if self.job.map(|j| j.kind) == Some(JobKind::Stop) {
            self.log(LogLevel::Info, "Stop job pending for unit, skipping automatic restart.");
            return;
        }
        self.n_restarts = self.n_restarts.saturating_add(1);
        self.flush_n_restarts = false;
        self.log(
            LogLevel::Info,
            format!("Scheduled restart job, restart counter is at {}.", self.n_restarts),
        );
        // We stay in auto-restart; the restart job's stop half leaves it.
        self.out.push(Action::RequestRestartJob);
    }

    pub(super) fn enter_reload_by_notify(&mut self) {
        self.arm(TimerKind::State, add(self.now, self.params.timeout_start));
        self.set_state(ServiceState::Reload);
    }

    pub(super) fn enter_reload(&mut self) {
        self.control = None;
        self.reload_result = ServiceResult::Success;
        if self.first_command(Phase::Reload) {
            self.spawn_control(Phase::Reload, 0, self.params.timeout_start);
            self.set_state(ServiceState::Reload);
        } else {
            self.enter_running(ServiceResult::Success);
        }
    }

    /// The next command of the running control phase.
    pub(super) fn run_next_control(&mut self, phase: Phase, index: usize) {
        use ServiceState as S;
        let timeout = match self.state {
            S::Condition | S::StartPre | S::Start | S::StartPost | S::Running | S::Reload => {
                self.params.timeout_start
            }
            S::Dead
            | S::Exited
            | S::Stop
            | S::StopWatchdog
            | S::StopSigterm
            | S::StopSigkill
            | S::StopPost
            | S::FinalWatchdog
            | S::FinalSigterm
            | S::FinalSigkill
            | S::Failed
            | S::AutoRestart => self.params.timeout_stop,
        };
        self.spawn_control(phase, index.saturating_add(1), timeout);
    }

    /// The next `ExecStart=` of a oneshot.
    pub(super) fn run_next_main(&mut self, index: usize) {
        self.spawn_main(index.saturating_add(1), self.params.timeout_start);
    }

    pub(super) fn has_next_command(&self, phase: Phase, index: usize) -> bool {
        self.has_next(phase, index)
    }

    // ---- process exits -----------------------------------------------------

    /// Judge a main-process exit: the result it implies (after `-` and
    /// `SuccessExitStatus=`), logged as systemd logs it.
    pub(super) fn judge_main_exit(&mut self, status: ExitStatus) -> ServiceResult {
        self.forget_main_pid();
        self.main_exit = Some(status);
        let oneshot = self.params.service_type == ServiceType::Oneshot;
        let mut f = classify(status, !oneshot, &self.params);
        // A forked daemon inherits the `-` of the ExecStart= that forked it.
        let index = self.main_command.map_or(0, |i| i as usize);
        if self.ignores_failure(Phase::Start, index) {
            f = ServiceResult::Success;
        }
        self.log_exit("Main process", status, f == ServiceResult::Success);
        f
    }

    /// Judge a control-process exit; `ExecCondition=` exits 1…254 become
    /// a skip.
    pub(super) fn judge_control_exit(&mut self, c: ControlProc, status: ExitStatus) -> ServiceResult {
        // Only the forking start command is judged as a daemon.
        let daemon = c.phase == Phase::Start && self.params.service_type != ServiceType::Oneshot;
        let mut f = classify(status, daemon, &self.params);
        if self.ignores_failure(c.phase, c.index as usize) {
            f = ServiceResult::Success;
        }
        if c.phase == Phase::Condition && self.state == ServiceState::Condition {
            if f == ServiceResult::ExitCode && matches!(status, ExitStatus::Exited(code) if code < 255) {
                f = ServiceResult::SkipCondition;
            }
            let ok = matches!(f, ServiceResult::Success | ServiceResult::SkipCondition);
            self.log_exit("Condition check process", status, ok);
        } else {
            self.log_exit("Control process", status, f == ServiceResult::Success);
        }
        f
    }

    fn log_exit(&mut self, kind: &str, status: ExitStatus, success: bool) {
        let level = match (success, status) {
            (true, _) if !self.debug_logs => return,
            (true, _) => LogLevel::Debug,
            (false, ExitStatus::Exited(_)) => LogLevel::Notice,
            (false, ExitStatus::Killed { .. }) => LogLevel::Warning,
        };
        let suffix = if success { " (success)" } else { "" };
        self.log(level, format!("{kind} exited, {}{suffix}", describe_exit(status)));
    }

    /// A start/stop phase timed out: `Timeout*FailureMode=` picks the way
    /// down (`systemd.service(5)`, "TimeoutStartFailureMode=").
    pub(super) fn timeout_escalate(
        &mut self,
        mode: TimeoutFailureMode,
        what: &str,
        sigterm: KillState,
        watchdog: KillState,
        sigkill: KillState,
    ) {
        match mode {
            TimeoutFailureMode::Terminate => {
                self.log(LogLevel::Warning, format!("{what} timed out. Terminating."));
                self.enter_signal(sigterm, ServiceResult::Timeout);
            }
            TimeoutFailureMode::Abort => {
                self.log(LogLevel::Warning, format!("{what} timed out. Aborting."));
                self.enter_signal(watchdog, ServiceResult::Timeout);
            }
            TimeoutFailureMode::Kill if self.params.kill.send_sigkill => {
                self.log(LogLevel::Warning, format!("{what} timed out. Killing."));
                self.enter_signal(sigkill, ServiceResult::Timeout);
            }
            TimeoutFailureMode::Kill => {
                self.skip_sigkill(what, sigkill);
            }
        }
    }

    /// `SendSIGKILL=no`: instead of the kill, give up on the processes.
    pub(super) fn skip_sigkill(&mut self, what: &str, sigkill: KillState) {
        if sigkill == KillState::FinalSigkill {
            self.log(LogLevel::Warning, format!("{what} timed out. Skipping SIGKILL. Entering failed mode."));
            self.enter_dead(ServiceResult::Timeout, false);
        } else {
            self.log(LogLevel::Warning, format!("{what} timed out. Skipping SIGKILL."));
            self.enter_stop_post(ServiceResult::Timeout);
        }
    }
}

/// Exit status → result, before `-` is applied.
fn classify(status: ExitStatus, daemon: bool, params: &super::ServiceParams) -> ServiceResult {
    if is_clean_exit(status, daemon, &params.success_exit_status) {
        return ServiceResult::Success;
    }
    match status {
        ExitStatus::Exited(_) => ServiceResult::ExitCode,
        ExitStatus::Killed { core_dumped: false, .. } => ServiceResult::Signal,
        ExitStatus::Killed { core_dumped: true, .. } => ServiceResult::CoreDump,
    }
}
