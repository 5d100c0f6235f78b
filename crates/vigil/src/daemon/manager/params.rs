//! From a unit's settings to the engine's [`ServiceParams`]: the one place
//! where what the unit file says meets what the state machine needs.
//! Defaults come from [`ServiceView`] (systemd's), so the engine never
//! guesses.

use engine::service::{
    CommandParams, Commands, EmergencyAction, ExitStatusSet, KillMode, KillParams, NotifyAccess, OomPolicy,
    RestartPolicy, ServiceParams, ServiceType, StartLimit, TimeoutFailureMode,
};
use unit::config::service::ServiceView;
use unit::config::UnitConfig;
use unit::directive::SectionKind as S;
use unit::value::{Usec, Value};

fn opt_usec(u: Usec) -> Option<u64> {
    (!u.is_infinite()).then_some(u.0)
}

fn exit_set(cfg: &UnitConfig, name: &str) -> ExitStatusSet {
    let mut set = ExitStatusSet::EMPTY;
    for a in cfg.settings.get(S::Service, name) {
        if let Value::ExitStatusSet(s) = &a.value {
            for code in 0..=255u8 {
                if s.contains_status(i32::from(code)) {
                    set.insert_code(code);
                }
            }
            for sig in s.signals() {
                set.insert_signal(sig);
            }
        }
    }
    set
}

fn parse_or<T: std::str::FromStr>(s: Option<&str>, default: T) -> T {
    s.and_then(|s| s.parse().ok()).unwrap_or(default)
}

pub fn service_params(cfg: &UnitConfig) -> ServiceParams {
    let v = ServiceView::new(cfg);
    let cmds = |phase: &str| -> Vec<CommandParams> {
        v.exec(phase)
            .iter()
            .map(|c| if c.flags.ignore_failure { CommandParams::IGNORE_FAILURE } else { CommandParams::PLAIN })
            .collect()
    };
    let unit_span = |name: &str| match cfg.value(S::Unit, name) {
        Some(Value::Timespan(u)) => Some(u.0),
        _ => None,
    };
    let start_limit = StartLimit {
        interval: unit_span("StartLimitIntervalSec").unwrap_or(10_000_000),
        burst: match cfg.value(S::Unit, "StartLimitBurst") {
            Some(Value::Unsigned(n)) => u32::try_from(*n).unwrap_or(u32::MAX),
            _ => 5,
        },
        action: parse_or(cfg.string(S::Unit, "StartLimitAction"), EmergencyAction::None),
    };
    let abort = cfg.value(S::Service, "TimeoutAbortSec").map(|_| opt_usec(v.timeout_abort()));
    let watchdog = v.watchdog();
    ServiceParams {
        // `Type=dbus` without a bus runs as simple: decided at each start
        // (`bus_watch.rs`), the bus being a service itself.
        service_type: parse_or(Some(v.service_type()), ServiceType::Simple),
        commands: Commands::from_fn(|phase| cmds(phase.directive())),
        remain_after_exit: v.remain_after_exit(),
        guess_main_pid: v.guess_main_pid(),
        pid_file: v.pid_file().is_some(),
        restart: parse_or(Some(v.restart()), RestartPolicy::No),
        restart_usec: v.restart_sec().0,
        restart_prevent: exit_set(cfg, "RestartPreventExitStatus"),
        restart_force: exit_set(cfg, "RestartForceExitStatus"),
        success_exit_status: exit_set(cfg, "SuccessExitStatus"),
        start_limit,
        timeout_start: opt_usec(v.timeout_start()),
        timeout_stop: opt_usec(v.timeout_stop()),
        timeout_abort: abort,
        runtime_max: opt_usec(v.runtime_max()),
        watchdog: (watchdog.0 != 0 && !watchdog.is_infinite()).then_some(watchdog.0),
        timeout_start_failure_mode: parse_or(cfg.string(S::Service, "TimeoutStartFailureMode"), TimeoutFailureMode::Terminate),
        timeout_stop_failure_mode: parse_or(cfg.string(S::Service, "TimeoutStopFailureMode"), TimeoutFailureMode::Terminate),
        kill: KillParams {
            mode: parse_or(Some(v.kill_mode()), KillMode::ControlGroup),
            kill_signal: v.signal("KillSignal", libc::SIGTERM),
            restart_kill_signal: match cfg.value(S::Service, "RestartKillSignal") {
                Some(Value::Signal(s)) => Some(*s),
                _ => None,
            },
            final_kill_signal: v.signal("FinalKillSignal", libc::SIGKILL),
            watchdog_signal: v.signal("WatchdogSignal", libc::SIGABRT),
            send_sigkill: cfg.bool_or(S::Service, "SendSIGKILL", true),
            send_sighup: cfg.bool_or(S::Service, "SendSIGHUP", false),
        },
        notify_access: parse_or(Some(v.notify_access()), NotifyAccess::None),
        oom_policy: parse_or(cfg.string(S::Service, "OOMPolicy"), OomPolicy::Stop),
    }
}
