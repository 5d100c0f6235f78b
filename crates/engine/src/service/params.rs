//! [`ServiceParams`]: the plain data the daemon fills from a unit file
//! (after drop-ins, specifiers and the manager's defaults) and hands to
//! [`super::Service::new`].
//!
//! The machine does not see command lines: it names commands by phase and
//! index ([`super::Phase`]) and only needs to know how many there are and
//! whether each carries the `-` prefix (`systemd.service(5)`, "Table 1.
//! Special executable prefixes": a failure is recorded but treated as
//! success).
//!
//! Defaults are systemd 252's for a `[Service]` section that sets nothing
//! (`systemd.service(5)`, `systemd.kill(5)`, `systemd-system.conf(5)`
//! `DefaultTimeoutStartSec=90s` etc.). Derived defaults that depend on
//! other settings are the daemon's job when it fills these fields, as
//! systemd's `service_add_extras()` does:
//! - `Type=oneshot` without `TimeoutStartSec=` has no start timeout;
//! - `Type=notify`, or `WatchdogSec=` set, with `NotifyAccess=` unset
//!   means `NotifyAccess=main`;
//! - `TimeoutAbortSec=` unset falls back to `TimeoutStopSec=` (here:
//!   `timeout_abort: None`).
//!
//! The `FromStr` impls accept exactly the spellings systemd accepts in unit
//! files, so the daemon can map directive values without a table of its own.

use std::fmt;
use std::str::FromStr;

use super::types::Usec;

/// Signal numbers (Linux, all architectures vigil targets) the machine
/// itself refers to.
pub mod signal {
    pub const SIGHUP: i32 = 1;
    pub const SIGINT: i32 = 2;
    pub const SIGQUIT: i32 = 3;
    pub const SIGABRT: i32 = 6;
    pub const SIGKILL: i32 = 9;
    pub const SIGSEGV: i32 = 11;
    pub const SIGPIPE: i32 = 13;
    pub const SIGTERM: i32 = 15;
}

/// A value that is not one of the accepted spellings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {setting} value '{value}'")]
pub struct ParseError {
    /// The directive, e.g. `Restart=`.
    pub setting: &'static str,
    pub value: String,
}

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident, $setting:literal { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = ParseError;
            fn from_str(s: &str) -> Result<Self, ParseError> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(ParseError { setting: $setting, value: s.to_string() }),
                }
            }
        }
    };
}

string_enum! {
    /// `Type=`.
    ServiceType, "Type=" {
        Simple => "simple",
        Exec => "exec",
        Forking => "forking",
        Oneshot => "oneshot",
        Dbus => "dbus",
        Notify => "notify",
        Idle => "idle",
    }
}

string_enum! {
    /// `Restart=`.
    RestartPolicy, "Restart=" {
        No => "no",
        OnSuccess => "on-success",
        OnFailure => "on-failure",
        OnAbnormal => "on-abnormal",
        OnWatchdog => "on-watchdog",
        OnAbort => "on-abort",
        Always => "always",
    }
}

string_enum! {
    /// `KillMode=` (`systemd.kill(5)`).
    KillMode, "KillMode=" {
        ControlGroup => "control-group",
        Process => "process",
        Mixed => "mixed",
        None => "none",
    }
}

string_enum! {
    /// `NotifyAccess=`.
    NotifyAccess, "NotifyAccess=" {
        None => "none",
        Main => "main",
        Exec => "exec",
        All => "all",
    }
}

string_enum! {
    /// `TimeoutStartFailureMode=`, `TimeoutStopFailureMode=`.
    TimeoutFailureMode, "TimeoutStartFailureMode=" {
        Terminate => "terminate",
        Abort => "abort",
        Kill => "kill",
    }
}

string_enum! {
    /// `OOMPolicy=`: what to do when the kernel OOM killer hits the unit.
    OomPolicy, "OOMPolicy=" {
        Continue => "continue",
        Stop => "stop",
        Kill => "kill",
    }
}

string_enum! {
    /// `StartLimitAction=`, `FailureAction=`… (`systemd.unit(5)`); the
    /// daemon carries it out.
    EmergencyAction, "StartLimitAction=" {
        None => "none",
        Reboot => "reboot",
        RebootForce => "reboot-force",
        RebootImmediate => "reboot-immediate",
        Poweroff => "poweroff",
        PoweroffForce => "poweroff-force",
        PoweroffImmediate => "poweroff-immediate",
        Exit => "exit",
        ExitForce => "exit-force",
    }
}

/// One command line, as far as the machine cares.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CommandParams {
    /// The `-` prefix: failures are logged but count as success.
    pub ignore_failure: bool,
}

impl CommandParams {
    pub const PLAIN: CommandParams = CommandParams { ignore_failure: false };
    pub const IGNORE_FAILURE: CommandParams = CommandParams { ignore_failure: true };
}

/// The command lists, one per [`super::Phase`] (`ExecStart=` has exactly
/// one command, except for `Type=oneshot`: zero or more).
///
/// Every phase's commands in one slice, in phase order, with where each
/// phase ends: 48 bytes and at most one allocation per service. Seven
/// vectors were 168 bytes in every service's machine, most of them empty.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Commands {
    all: Box<[CommandParams]>,
    /// End of each phase's commands in `all` (see [`phase_slot`]).
    ends: [u32; 7],
}

/// A phase's place in [`Commands`].
fn phase_slot(phase: super::Phase) -> usize {
    use super::Phase as P;
    match phase {
        P::Condition => 0,
        P::StartPre => 1,
        P::Start => 2,
        P::StartPost => 3,
        P::Reload => 4,
        P::Stop => 5,
        P::StopPost => 6,
    }
}

const PHASES: [super::Phase; 7] = {
    use super::Phase as P;
    [P::Condition, P::StartPre, P::Start, P::StartPost, P::Reload, P::Stop, P::StopPost]
};

impl Commands {
    /// The lists of every phase, from `list(phase)`.
    pub fn from_fn(mut list: impl FnMut(super::Phase) -> Vec<CommandParams>) -> Commands {
        let mut all = Vec::new();
        let mut ends = [0u32; 7];
        for (slot, phase) in PHASES.into_iter().enumerate() {
            all.extend(list(phase));
            // More than 2^32 commands cannot be read from a unit file.
            ends[slot] = u32::try_from(all.len()).unwrap_or(u32::MAX);
        }
        Commands { all: all.into_boxed_slice(), ends }
    }

    pub fn get(&self, phase: super::Phase) -> &[CommandParams] {
        let slot = phase_slot(phase);
        let start = if slot == 0 { 0 } else { self.ends[slot - 1] as usize };
        let end = self.ends[slot] as usize;
        self.all.get(start..end).unwrap_or(&[])
    }

    /// Replace one phase's list.
    pub fn set(&mut self, phase: super::Phase, list: Vec<CommandParams>) {
        let mut list = Some(list);
        let new = Commands::from_fn(|p| if p == phase { list.take().unwrap_or_default() } else { self.get(p).to_vec() });
        *self = new;
    }
}

/// A set of exit codes and signals (`SuccessExitStatus=`,
/// `RestartPreventExitStatus=`, `RestartForceExitStatus=`).
///
/// Almost every service leaves all three empty: the bits live in a box
/// made on the first insert, so an empty set is one null pointer (8
/// bytes, not 48 — a tenth of a service's machine for the three).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExitStatusSet(Option<Box<ExitBits>>);

/// The members of a non-empty [`ExitStatusSet`]: codes 0…255, signals
/// 1…127, one bit each.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct ExitBits {
    codes: [u64; 4],
    signals: [u64; 2],
}

impl ExitStatusSet {
    pub const EMPTY: ExitStatusSet = ExitStatusSet(None);

    fn bits(&mut self) -> &mut ExitBits {
        self.0.get_or_insert_with(Box::default)
    }

    pub fn insert_code(&mut self, code: u8) {
        let (word, bit) = (usize::from(code / 64), code % 64);
        self.bits().codes[word] |= 1u64 << bit;
    }

    /// Signals outside 1…127 cannot exist and are ignored.
    pub fn insert_signal(&mut self, signal: i32) {
        if (1..128).contains(&signal) {
            let (word, bit) = (signal as usize / 64, signal % 64);
            self.bits().signals[word] |= 1u64 << bit;
        }
    }

    pub fn with_code(mut self, code: u8) -> Self {
        self.insert_code(code);
        self
    }

    pub fn with_signal(mut self, signal: i32) -> Self {
        self.insert_signal(signal);
        self
    }

    pub fn contains_code(&self, code: u8) -> bool {
        let (word, bit) = (usize::from(code / 64), code % 64);
        self.0.as_ref().is_some_and(|b| b.codes[word] & (1u64 << bit) != 0)
    }

    pub fn contains_signal(&self, signal: i32) -> bool {
        (1..128).contains(&signal)
            && self.0.as_ref().is_some_and(|b| b.signals[signal as usize / 64] & (1u64 << (signal % 64)) != 0)
    }

    /// A box is made only by an insert, which sets a bit.
    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    /// systemd's `exit_status_set_test()`: does this exit match? Signals
    /// match whether or not a core was dumped.
    pub fn matches(&self, status: super::ExitStatus) -> bool {
        match status {
            super::ExitStatus::Exited(code) => self.contains_code(code),
            super::ExitStatus::Killed { signal, .. } => self.contains_signal(signal),
        }
    }
}

/// `StartLimitIntervalSec=`, `StartLimitBurst=`, `StartLimitAction=`
/// (`systemd.unit(5)`). An interval or burst of 0 disables the limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StartLimit {
    pub interval: Usec,
    pub burst: u32,
    pub action: EmergencyAction,
}

impl Default for StartLimit {
    fn default() -> Self {
        // DefaultStartLimitIntervalSec=10s, DefaultStartLimitBurst=5.
        StartLimit { interval: 10 * USEC_PER_SEC, burst: 5, action: EmergencyAction::None }
    }
}

/// The `systemd.kill(5)` settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KillParams {
    pub mode: KillMode,
    pub kill_signal: i32,
    /// `RestartKillSignal=`; `None` uses `kill_signal`.
    pub restart_kill_signal: Option<i32>,
    pub final_kill_signal: i32,
    pub watchdog_signal: i32,
    pub send_sigkill: bool,
    pub send_sighup: bool,
}

impl Default for KillParams {
    fn default() -> Self {
        KillParams {
            mode: KillMode::ControlGroup,
            kill_signal: signal::SIGTERM,
            restart_kill_signal: None,
            final_kill_signal: signal::SIGKILL,
            watchdog_signal: signal::SIGABRT,
            send_sigkill: true,
            send_sighup: false,
        }
    }
}

pub const USEC_PER_MSEC: Usec = 1_000;
pub const USEC_PER_SEC: Usec = 1_000_000;

/// Everything about a service's configuration that drives its lifecycle.
/// Timeouts are `None` for "infinity".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceParams {
    pub service_type: ServiceType,
    pub commands: Commands,
    pub remain_after_exit: bool,
    pub guess_main_pid: bool,
    /// `PIDFile=` is set (the daemon knows the path).
    pub pid_file: bool,
    pub restart: RestartPolicy,
    /// `RestartSec=`.
    pub restart_usec: Usec,
    pub restart_prevent: ExitStatusSet,
    pub restart_force: ExitStatusSet,
    pub success_exit_status: ExitStatusSet,
    pub start_limit: StartLimit,
    pub timeout_start: Option<Usec>,
    pub timeout_stop: Option<Usec>,
    /// `TimeoutAbortSec=`: `None` when unset (use `timeout_stop`),
    /// `Some(None)` for infinity.
    pub timeout_abort: Option<Option<Usec>>,
    /// `RuntimeMaxSec=`.
    pub runtime_max: Option<Usec>,
    /// `WatchdogSec=`; `None` (or 0) disables the watchdog.
    pub watchdog: Option<Usec>,
    pub timeout_start_failure_mode: TimeoutFailureMode,
    pub timeout_stop_failure_mode: TimeoutFailureMode,
    pub kill: KillParams,
    pub notify_access: NotifyAccess,
    pub oom_policy: OomPolicy,
}

impl Default for ServiceParams {
    fn default() -> Self {
        ServiceParams {
            service_type: ServiceType::Simple,
            commands: Commands::from_fn(|p| if p == super::Phase::Start { vec![CommandParams::PLAIN] } else { Vec::new() }),
            remain_after_exit: false,
            guess_main_pid: true,
            pid_file: false,
            restart: RestartPolicy::No,
            restart_usec: 100 * USEC_PER_MSEC,
            restart_prevent: ExitStatusSet::EMPTY,
            restart_force: ExitStatusSet::EMPTY,
            success_exit_status: ExitStatusSet::EMPTY,
            start_limit: StartLimit::default(),
            timeout_start: Some(90 * USEC_PER_SEC),
            timeout_stop: Some(90 * USEC_PER_SEC),
            timeout_abort: None,
            runtime_max: None,
            watchdog: None,
            timeout_start_failure_mode: TimeoutFailureMode::Terminate,
            timeout_stop_failure_mode: TimeoutFailureMode::Terminate,
            kill: KillParams::default(),
            notify_access: NotifyAccess::None,
            oom_policy: OomPolicy::Stop,
        }
    }
}

impl ServiceParams {
    /// The abort timeout in effect (`TimeoutAbortSec=`, else
    /// `TimeoutStopSec=`).
    pub fn timeout_abort_effective(&self) -> Option<Usec> {
        self.timeout_abort.unwrap_or(self.timeout_stop)
    }

    /// The signal for the first kill of a stop: `RestartKillSignal=` during
    /// a restart job, `KillSignal=` otherwise.
    pub fn restart_kill_signal(&self) -> i32 {
        self.kill.restart_kill_signal.unwrap_or(self.kill.kill_signal)
    }
}
