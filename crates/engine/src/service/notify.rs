//! `sd_notify(3)` messages: who may send them (`NotifyAccess=`), and what
//! `MAINPID=`, `READY=1`, `RELOADING=1`, `STOPPING=1`, `STATUS=`,
//! `ERRNO=`, `EXTEND_TIMEOUT_USEC=`, `WATCHDOG=` and `WATCHDOG_USEC=` do in
//! each state (`systemd.service(5)`, "NotifyAccess=", "WatchdogSec=").

use super::enter::KillState;
use super::params::{NotifyAccess, ServiceType};
use super::types::{LogLevel, Notify, NotifyLifecycle, Pid, ServiceResult, ServiceState, WatchdogNotify};
use super::Service;

impl Service {
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

    pub(super) fn on_notify(&mut self, n: Notify) {
        use ServiceState as S;
        if !self.notify_authorized(n.pid) {
            return;
        }
        if let Some(pid) = n.main_pid {
            match self.state {
                S::Start | S::StartPost | S::Running | S::Reload => self.notify_main_pid(pid),
                // MAINPID= only means something while the service runs.
                inactive!()
                | S::Condition
                | S::StartPre
                | S::Exited
                | S::Stop
                | kill_states!()
                | S::StopPost
                | finalizing!()
                | S::AutoRestart => {}
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
                (
                    NotifyLifecycle::Ready,
                    inactive!()
                    | S::Condition
                    | S::StartPre
                    | S::StartPost
                    | S::Running
                    | S::Exited
                    | S::Stop
                    | kill_states!()
                    | S::StopPost
                    | finalizing!()
                    | S::AutoRestart,
                )
                | (
                    NotifyLifecycle::Reloading | NotifyLifecycle::Stopping,
                    inactive!()
                    | starting!()
                    | S::Exited
                    | S::Reload
                    | S::Stop
                    | kill_states!()
                    | S::StopPost
                    | finalizing!()
                    | S::AutoRestart,
                ) => {}
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
                self.status_text = Some(text).filter(|t| !t.is_empty()).map(String::into_boxed_str);
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
                let last = self.status_text.as_deref().unwrap_or("<unset>").to_string();
                self.log(LogLevel::Error, format!("Watchdog request (last status: {last})!"));
                self.enter_signal(KillState::StopWatchdog, ServiceResult::Watchdog);
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
