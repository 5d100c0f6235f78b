//! Whether a service that went down restarts by itself.
//!
//! `systemd.service(5)`, "Restart=", "Table 2. Exit causes and the effect
//! of the Restart= settings":
//!
//! ```text
//!                     no  always  on-success  on-failure  on-abnormal  on-abort  on-watchdog
//! clean exit/signal        X        X
//! unclean exit code        X                    X
//! unclean signal           X                    X           X            X
//! timeout                  X                    X           X
//! watchdog                 X                    X           X                      X
//! ```
//!
//! The causes are read off the run's [`ServiceResult`]: `success` is the
//! clean row, `exit-code` the unclean exit code, `signal`/`core-dump` the
//! unclean signal, `timeout` the timeout row and `watchdog` the watchdog
//! row. Results the table does not name (`protocol`, `resources`,
//! `oom-kill`, `start-limit-hit`) count as failures that are not exit codes
//! — systemd restarts them for `on-failure`, `on-abnormal` and `always`.
//! `exec-condition` (a skipped start) never restarts.
//!
//! Exceptions, in order: a manual stop never restarts; an exit status in
//! `RestartPreventExitStatus=` never restarts; one in
//! `RestartForceExitStatus=` always does. Both look at the main process's
//! exit only (`systemd.service(5)`, "RestartPreventExitStatus=").

use super::params::{RestartPolicy, ServiceParams};
use super::types::{ExitStatus, ServiceResult};

/// The verdict and its reason, as systemd logs it at debug level ("Service
/// will restart (restart setting)").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    pub restart: bool,
    pub reason: &'static str,
}

/// Decide for a run that ended with `result`, whose main process (if it
/// exited) ended with `main_exit`, and which was stopped manually or not.
pub fn decide(
    params: &ServiceParams,
    result: ServiceResult,
    main_exit: Option<ExitStatus>,
    manual_stop: bool,
) -> Decision {
    if manual_stop {
        return Decision { restart: false, reason: "manual stop" };
    }
    if let Some(status) = main_exit {
        if params.restart_prevent.matches(status) {
            return Decision { restart: false, reason: "prevented by exit status" };
        }
        if params.restart_force.matches(status) {
            return Decision { restart: true, reason: "forced by exit status" };
        }
    }
    use ServiceResult as R;
    let restart = match params.restart {
        RestartPolicy::No => false,
        RestartPolicy::Always => result != R::SkipCondition,
        RestartPolicy::OnSuccess => result == R::Success,
        RestartPolicy::OnFailure => !matches!(result, R::Success | R::SkipCondition),
        RestartPolicy::OnAbnormal => !matches!(result, R::Success | R::ExitCode | R::SkipCondition),
        RestartPolicy::OnWatchdog => result == R::Watchdog,
        RestartPolicy::OnAbort => matches!(result, R::Signal | R::CoreDump),
    };
    Decision { restart, reason: "restart setting" }
}
