//! The setup steps the child runs between `fork(2)` and `execve(2)`, in
//! order. Each step is a small function over a context (`Ctx`), testable alone; the
//! order is the `STEPS` table and it matters. It follows systemd's
//! `exec_child()` (src/core/execute.c) wherever both do the same thing.
//!
//! # Rules for code in this module
//!
//! It runs in a forked copy of a process that may have had other threads
//! (the test harness does), or in the manager's own memory beside it
//! (`vfork.rs`). Only async-signal-safe operations are allowed
//! (`signal-safety(7)`): system calls and arithmetic on memory prepared
//! before the clone. No allocation, no locks, no `std::io`, no panics (no
//! unchecked indexing, no `unwrap`), and no glibc wrappers: they write the
//! `errno` the child shares with the manager's thread, so every system
//! call goes through `raw.rs` (the sandbox steps, whose plans always
//! fork, are the exception). Every byte string is a `CString`
//! built by [`crate::prepare`]; every array the child writes to (lifted
//! descriptors, the `LISTEN_PID=`/`SYSTEMD_EXEC_PID=` slots) was allocated by the parent.
//!
//! # The order and why
//!
//! | # | step | exit code | why here |
//! |---|------|-----------|----------|
//! | 1 | [`Step::Signals`] | 207 SIGNAL_MASK | first: the manager blocks signals for its signalfd and may ignore some; the child must not run another instruction with the manager's mask. Dispositions are reset before the mask is emptied, so no pending signal ever reaches a manager handler. `SIGPIPE` is then ignored if `IgnoreSIGPIPE=yes`. |
//! | 2 | [`Step::Cgroup`] | 219 CGROUP | skipped when the child was born in the group (`clone3` `CLONE_INTO_CGROUP`, [`crate::spawn`]); otherwise as early as possible: from here on everything the child does (and every process it forks) is accounted to the unit and reachable by `cgroup.kill`. Needs root-owned `cgroup.procs`, so before the user switch. |
//! | 3 | [`Step::Session`] | 220 SETSID | before stdin: a terminal opened as stdin can only become the controlling terminal of a session leader. Also leaves the manager's process group, so group signals to the manager miss the service. |
//! | 4 | [`Step::LiftFds`] | 202 FDS | every descriptor the child must keep (the report pipe, caller stdio fds, listen fds) is duplicated above `3 + n_listen` before anything is written into 0..3+n, so that no `dup2` clobbers a source it still needs. |
//! | 5-7 | [`Step::Stdin`], [`Step::Stdout`], [`Step::Stderr`] | 208, 209, 222 | in that order because `inherit` copies the previous stream. Before the user switch: files and terminals are opened with the manager's rights, as systemd does. |
//! | 8 | [`Step::ListenFds`] | 202 FDS | listen fds to 3, 4, … (`sd_listen_fds(3)`), `O_NONBLOCK` per `NonBlocking=`. After stdio so that all targets are final. |
//! | 9 | [`Step::CloseFds`] | 202 FDS | everything else above the listen fds is closed (`close_range(2)`), except the report pipe, which `O_CLOEXEC` closes at exec. Nothing the manager holds leaks into the service. |
//! | 10 | [`Step::OomScoreAdjust`] | 206 OOM_ADJUST | lowering the score needs `CAP_SYS_RESOURCE`: before the user switch. Permission errors are ignored, as systemd does (user namespaces). |
//! | 11 | [`Step::Nice`] | 201 NICE | a negative nice needs `CAP_SYS_NICE`: before the user switch. Falls back to the closest allowed value like systemd's `setpriority_closest()`. |
//! | 12 | [`Step::Rlimits`] | 205 LIMITS | raising a hard limit needs `CAP_SYS_RESOURCE`: before the user switch. Clamps to the current hard limit on `EPERM` like `setrlimit_closest()`. |
//! | 13 | [`Step::Umask`] | — | cannot fail; before any step that could create files as the service (the stdio files use an explicit `0666 & ~UMask=` mode, as systemd does). |
//! | 13a-e | [`Step::RuntimeDirectory`] … [`Step::ConfigurationDirectory`] | 233, 238, 239, 240, 241 | where systemd's `exec_child()` sets up `RuntimeDirectory=`… (after the umask, before the credentials). The directories are made by the caller before fork (they need allocation and directory walks); a failure it hands over in [`crate::ExecPlan::exec_directory_failure`] is reported by the matching step, so the exit status is systemd's. |
//! | 13f | [`Step::Network`] | 225 NETWORK | `PrivateNetwork=` ([`crate::sandbox`]): needs `CAP_SYS_ADMIN`, so before the user switch and the capability steps. |
//! | 13g | [`Step::Namespace`] | 226 NAMESPACE | `ProtectHostname=` and the private mount namespace ([`crate::sandbox`]): after the standard streams (opened in the host's view, as systemd does), before the user switch (`CAP_SYS_ADMIN`) and before `chroot` (the mounts are the host's paths). |
//! | 14 | [`Step::Groups`] | 216 GROUP | `setgroups`/`setresgid` need `CAP_SETGID`, lost at the user switch. |
//! | 15 | [`Step::BoundingSet`] | 218 CAPABILITIES | `PR_CAPBSET_DROP` needs `CAP_SETPCAP`, lost at the user switch. Dropped capabilities also leave the inheritable set. |
//! | 16 | [`Step::AmbientPrepare`] | 218 CAPABILITIES | the inheritable set becomes the ambient set (raising inheritable needs `CAP_SETPCAP`), the ambient set is raised for a root service, and `PR_SET_KEEPCAPS` keeps the permitted set across `setresuid` when a non-root service needs ambient caps or securebits. |
//! | 17 | [`Step::Chroot`] | 210 CHROOT | `chroot(2)` needs `CAP_SYS_CHROOT`; followed by `chdir("/")` so that a tolerated (`-`) working-directory failure cannot leave the service outside its root. |
//! | 18 | [`Step::User`] | 217 USER | `setresuid`: the point of no return for privileges. |
//! | 19 | [`Step::AmbientRaise`] | 218 CAPABILITIES | the uid change cleared the ambient set (even with keep-caps); permitted and inheritable survived, so the ambient caps can be raised again now. |
//! | 20 | [`Step::ParentDeathSignal`] | 1 FAILURE | the kernel clears the parent-death signal on any uid/gid change, so it is set after them; then the parent's PID is re-checked to close the race with a parent that died before the `prctl`. |
//! | 21 | [`Step::WorkingDirectory`] | 200 CHDIR | after the user switch, so that access checks are the service user's (a root-squashed NFS home, a 0700 directory). |
//! | 22 | [`Step::SecureBits`] | 213 SECUREBITS | after the user switch, which relied on keep-caps; needs `CAP_SETPCAP` in the effective set, raised from the kept permitted set. |
//! | 23 | [`Step::NoNewPrivileges`] | 227 NO_NEW_PRIVILEGES | last before exec: it locks the process, nothing after it needs privileges. |
//! | 24 | [`Step::Exec`] | 203 EXEC | fills `LISTEN_PID=` and `SYSTEMD_EXEC_PID=` with the child's own PID (known only now), then `execve(2)`. |
//!
//! On the first failure the child writes `(step, errno)` into the report
//! pipe and `_exit`s with the step's code; see [`crate::spawn`].

mod fds;
mod privilege;
mod process;
pub use process::record_signal_dispositions;

use libc::{c_char, c_int, pid_t};

use crate::exit_status as xs;
use crate::prepare::PreparedPlan;
use crate::raw;
use crate::sys;

/// One setup step; the discriminant order is the execution order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    Signals,
    Cgroup,
    Session,
    LiftFds,
    Stdin,
    Stdout,
    Stderr,
    ListenFds,
    CloseFds,
    OomScoreAdjust,
    Nice,
    Rlimits,
    Umask,
    RuntimeDirectory,
    StateDirectory,
    CacheDirectory,
    LogsDirectory,
    ConfigurationDirectory,
    Network,
    Namespace,
    Groups,
    BoundingSet,
    AmbientPrepare,
    Chroot,
    User,
    AmbientRaise,
    ParentDeathSignal,
    WorkingDirectory,
    SecureBits,
    NoNewPrivileges,
    Exec,
}

impl Step {
    /// Every step in execution order.
    pub const ALL: [Step; 31] = [
        Step::Signals,
        Step::Cgroup,
        Step::Session,
        Step::LiftFds,
        Step::Stdin,
        Step::Stdout,
        Step::Stderr,
        Step::ListenFds,
        Step::CloseFds,
        Step::OomScoreAdjust,
        Step::Nice,
        Step::Rlimits,
        Step::Umask,
        Step::RuntimeDirectory,
        Step::StateDirectory,
        Step::CacheDirectory,
        Step::LogsDirectory,
        Step::ConfigurationDirectory,
        Step::Network,
        Step::Namespace,
        Step::Groups,
        Step::BoundingSet,
        Step::AmbientPrepare,
        Step::Chroot,
        Step::User,
        Step::AmbientRaise,
        Step::ParentDeathSignal,
        Step::WorkingDirectory,
        Step::SecureBits,
        Step::NoNewPrivileges,
        Step::Exec,
    ];

    /// The `systemd.exec(5)` exit code the child exits with when this step
    /// fails.
    pub fn exit_code(self) -> u8 {
        match self {
            Step::Signals => xs::EXIT_SIGNAL_MASK,
            Step::Cgroup => xs::EXIT_CGROUP,
            Step::Session => xs::EXIT_SETSID,
            Step::LiftFds | Step::ListenFds | Step::CloseFds => xs::EXIT_FDS,
            Step::Stdin => xs::EXIT_STDIN,
            Step::Stdout => xs::EXIT_STDOUT,
            Step::Stderr => xs::EXIT_STDERR,
            Step::OomScoreAdjust => xs::EXIT_OOM_ADJUST,
            Step::Nice => xs::EXIT_NICE,
            Step::Rlimits => xs::EXIT_LIMITS,
            // umask(2) cannot fail; FAILURE keeps the table total.
            Step::Umask => xs::EXIT_FAILURE,
            Step::RuntimeDirectory => xs::EXIT_RUNTIME_DIRECTORY,
            Step::StateDirectory => xs::EXIT_STATE_DIRECTORY,
            Step::CacheDirectory => xs::EXIT_CACHE_DIRECTORY,
            Step::LogsDirectory => xs::EXIT_LOGS_DIRECTORY,
            Step::ConfigurationDirectory => xs::EXIT_CONFIGURATION_DIRECTORY,
            Step::Network => xs::EXIT_NETWORK,
            Step::Namespace => xs::EXIT_NAMESPACE,
            Step::Groups => xs::EXIT_GROUP,
            Step::BoundingSet | Step::AmbientPrepare | Step::AmbientRaise => xs::EXIT_CAPABILITIES,
            Step::Chroot => xs::EXIT_CHROOT,
            Step::User => xs::EXIT_USER,
            // Not a systemd setting, so systemd has no code for it.
            Step::ParentDeathSignal => xs::EXIT_FAILURE,
            Step::WorkingDirectory => xs::EXIT_CHDIR,
            Step::SecureBits => xs::EXIT_SECUREBITS,
            Step::NoNewPrivileges => xs::EXIT_NO_NEW_PRIVILEGES,
            Step::Exec => xs::EXIT_EXEC,
        }
    }

    /// A short name for messages ("working directory", "execve").
    pub fn name(self) -> &'static str {
        match self {
            Step::Signals => "signal mask and dispositions",
            Step::Cgroup => "joining the cgroup",
            Step::Session => "setsid",
            Step::LiftFds => "moving passed descriptors",
            Step::Stdin => "standard input",
            Step::Stdout => "standard output",
            Step::Stderr => "standard error",
            Step::ListenFds => "listen descriptors",
            Step::CloseFds => "closing other descriptors",
            Step::OomScoreAdjust => "OOM score adjustment",
            Step::Nice => "nice level",
            Step::Rlimits => "resource limits",
            Step::Umask => "umask",
            Step::RuntimeDirectory => "runtime directory",
            Step::StateDirectory => "state directory",
            Step::CacheDirectory => "cache directory",
            Step::LogsDirectory => "logs directory",
            Step::ConfigurationDirectory => "configuration directory",
            Step::Network => "private network",
            Step::Namespace => "namespaces",
            Step::Groups => "group credentials",
            Step::BoundingSet => "capability bounding set",
            Step::AmbientPrepare => "ambient capabilities (before user change)",
            Step::Chroot => "root directory",
            Step::User => "user credentials",
            Step::AmbientRaise => "ambient capabilities (after user change)",
            Step::ParentDeathSignal => "parent death signal",
            Step::WorkingDirectory => "working directory",
            Step::SecureBits => "securebits",
            Step::NoNewPrivileges => "no_new_privs",
            Step::Exec => "execve",
        }
    }

    pub(crate) fn index(self) -> u32 {
        Step::ALL
            .iter()
            .position(|s| *s == self)
            .map_or(u32::MAX, |i| i as u32)
    }

    pub(crate) fn from_index(i: u32) -> Option<Step> {
        Step::ALL.get(i as usize).copied()
    }
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Everything a step may read or write. Built by the parent before fork;
/// the child owns its copy-on-write copy (or, with `CLONE_VM`, works on
/// the parent's, which waits meanwhile).
pub(crate) struct Ctx<'a> {
    pub plan: &'a PreparedPlan,
    /// Write end of the report pipe (moved by [`Step::LiftFds`]); -1 when
    /// the child shares the parent's memory and reports in `report_mem`.
    pub report_fd: c_int,
    /// With `CLONE_VM` ([`crate::vfork`]): where a failure report is
    /// written for the parent to read once it resumes; null otherwise.
    pub report_mem: *mut Option<[u8; REPORT_LEN]>,
    /// The manager's PID, for the parent-death race check.
    pub parent_pid: pid_t,
    /// Lifted copies: `[stdin, stdout, stderr, listen0, listen1, …]`,
    /// `-1` where there is no caller descriptor.
    pub lifted: &'a mut [c_int],
    /// The `LISTEN_PID=` slot referenced from `envp` (null when there are
    /// no listen fds), the `SYSTEMD_EXEC_PID=` slot (null when the caller's
    /// environment sets that variable itself), and their capacity in bytes.
    pub listen_pid: *mut u8,
    pub exec_pid: *mut u8,
    pub pid_slot_cap: usize,
    /// The ambient set actually applied (requested ∩ bounding set).
    pub ambient: u64,
    pub argv: *const *const c_char,
    pub envp: *const *const c_char,
    /// The kernel created us in the plan's cgroup (`clone3` with
    /// `CLONE_INTO_CGROUP`, see [`crate::spawn`]): [`Step::Cgroup`] has
    /// nothing left to do.
    pub in_cgroup: bool,
}

/// A step: `Ok` or the errno that made it fail.
pub(crate) type StepFn = fn(&mut Ctx<'_>) -> Result<(), c_int>;

/// The steps in execution order; see the module documentation for why.
pub(crate) const STEPS: [(Step, StepFn); 31] = [
    (Step::Signals, process::reset_signals),
    (Step::Cgroup, process::join_cgroup),
    (Step::Session, process::new_session),
    (Step::LiftFds, fds::lift_fds),
    (Step::Stdin, fds::setup_stdin),
    (Step::Stdout, fds::setup_stdout),
    (Step::Stderr, fds::setup_stderr),
    (Step::ListenFds, fds::place_listen_fds),
    (Step::CloseFds, fds::close_other_fds),
    (Step::OomScoreAdjust, process::oom_score_adjust),
    (Step::Nice, process::nice),
    (Step::Rlimits, process::rlimits),
    (Step::Umask, process::umask),
    (Step::RuntimeDirectory, process::runtime_directory),
    (Step::StateDirectory, process::state_directory),
    (Step::CacheDirectory, process::cache_directory),
    (Step::LogsDirectory, process::logs_directory),
    (Step::ConfigurationDirectory, process::configuration_directory),
    (Step::Network, sandbox_network),
    (Step::Namespace, sandbox_namespaces),
    (Step::Groups, privilege::groups),
    (Step::BoundingSet, privilege::bounding_set),
    (Step::AmbientPrepare, privilege::ambient_prepare),
    (Step::Chroot, privilege::chroot),
    (Step::User, privilege::user),
    (Step::AmbientRaise, privilege::ambient_raise),
    (Step::ParentDeathSignal, process::parent_death_signal),
    (Step::WorkingDirectory, privilege::working_directory),
    (Step::SecureBits, privilege::secure_bits),
    (Step::NoNewPrivileges, privilege::no_new_privileges),
    (Step::Exec, privilege::exec),
];

fn sandbox_network(ctx: &mut Ctx<'_>) -> Result<(), c_int> {
    ctx.plan.sandbox.as_ref().map_or(Ok(()), crate::sandbox::private_network)
}

fn sandbox_namespaces(ctx: &mut Ctx<'_>) -> Result<(), c_int> {
    ctx.plan.sandbox.as_ref().map_or(Ok(()), crate::sandbox::namespaces)
}

/// Size of one failure report: step index and errno, native endian.
pub(crate) const REPORT_LEN: usize = 8;

/// Runs every step, then exec. Never returns: on failure the report is
/// written and the child exits with the step's code.
pub(crate) fn run_child(ctx: &mut Ctx<'_>) -> ! {
    for (step, f) in STEPS.iter() {
        let errno = match f(ctx) {
            Ok(()) if *step != Step::Exec => continue,
            // execve(2) only returns on failure; Ok here cannot happen, but
            // a report keeps the parent from mistaking it for success.
            Ok(()) => libc::EINVAL,
            Err(e) => e,
        };
        fail(ctx, *step, errno);
    }
    fail(ctx, Step::Exec, libc::EINVAL)
}

fn fail(ctx: &Ctx<'_>, step: Step, errno: c_int) -> ! {
    let mut msg = [0u8; REPORT_LEN];
    let (a, b) = msg.split_at_mut(4);
    a.copy_from_slice(&step.index().to_ne_bytes());
    b.copy_from_slice(&errno.to_ne_bytes());
    if !ctx.report_mem.is_null() {
        // SAFETY: the parent's slot, valid until we have exited (the
        // parent waits for that, crate::vfork); volatile so the store is
        // not assumed dead before a call that never returns.
        unsafe { std::ptr::write_volatile(ctx.report_mem, Some(msg)) };
        raw::exit(c_int::from(step.exit_code()))
    }
    // If the parent dropped its read end, the write must fail with EPIPE
    // rather than kill us with SIGPIPE (step 1 may have restored the
    // default action): the exit code is the report that still counts.
    let _ = raw::sigprocmask(libc::SIG_BLOCK, 1u64 << (libc::SIGPIPE - 1));
    // Nothing useful can be done if the parent went away.
    let _ = sys::write_all(ctx.report_fd, &msg);
    // Skips atexit handlers and stdio flushing, which belong to the parent.
    raw::exit(c_int::from(step.exit_code()))
}

#[cfg(test)]
pub(crate) mod testing;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_order_matches_step_order() {
        let order: Vec<Step> = STEPS.iter().map(|(s, _)| *s).collect();
        assert_eq!(order, Step::ALL.to_vec());
        for (i, s) in Step::ALL.iter().enumerate() {
            assert_eq!(Step::from_index(i as u32), Some(*s));
        }
    }

    #[test]
    fn exit_codes_have_systemd_names() {
        for s in Step::ALL {
            assert!(
                crate::exit_status::exit_code_name(i32::from(s.exit_code())).is_some(),
                "{s:?}"
            );
        }
    }
}
