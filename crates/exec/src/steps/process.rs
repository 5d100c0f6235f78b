//! Process-wide steps: signals, cgroup, session, OOM score, nice level,
//! resource limits, umask and the parent-death signal. Child-side code:
//! async-signal-safe only (see the parent module).

use std::sync::atomic::{AtomicU64, Ordering};

use libc::c_int;

use super::Ctx;
use crate::plan::ExecDirectory;
use crate::raw;
use crate::sys;

/// Highest signal number on Linux (`_NSIG - 1`).
const SIG_MAX: c_int = 64;

/// The signals that may have a disposition other than `SIG_DFL` in the
/// caller, bit `n - 1` for signal `n`, as recorded by
/// [`record_signal_dispositions`]; 0 while nothing was recorded (then the
/// child resets every signal).
static NON_DEFAULT: AtomicU64 = AtomicU64::new(0);

/// glibc's reserved signals (32 `SIGCANCEL`, 33 `SIGSETXID`): glibc may
/// install its own handlers on them at any time, so they are always reset.
const GLIBC_RESERVED: u64 = (1 << 31) | (1 << 32);

/// Record which signals have a disposition other than `SIG_DFL` now, for a
/// caller that changes no disposition from here on (the manager: it reads
/// its signals through a signalfd and installs no handler). The child of
/// each later spawn then resets only those (two or three `rt_sigaction`
/// calls) instead of all 62 — a child made with `CLONE_VM | CLONE_VFORK`
/// runs them while its parent waits, once per service start, restart and
/// `Accept=yes` connection. A caller that later ignores or handles another
/// signal must call this again, or its children keep that disposition
/// until exec (a handler) or beyond it (`SIG_IGN`). Returns the set.
pub fn record_signal_dispositions() -> u64 {
    let mut set = GLIBC_RESERVED;
    for sig in 1..=SIG_MAX {
        if sig == libc::SIGKILL || sig == libc::SIGSTOP || set & sig_bit(sig) != 0 {
            continue;
        }
        // SAFETY: sigaction is plain old data; a query with no new action.
        let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
        // SAFETY: valid pointer to `old`, no new action.
        let r = unsafe { libc::sigaction(sig, std::ptr::null(), &mut old) };
        if r < 0 || old.sa_sigaction != libc::SIG_DFL {
            set |= sig_bit(sig);
        }
    }
    NON_DEFAULT.store(set, Ordering::Relaxed);
    set
}

fn sig_bit(sig: c_int) -> u64 {
    1u64 << (sig - 1)
}

/// Step 1: every disposition back to `SIG_DFL` (execve keeps ignored
/// signals ignored, and a manager handler must never run in a child that
/// shares its memory), `SIGPIPE` ignored when `IgnoreSIGPIPE=yes`, then an
/// empty signal mask (execve keeps the mask, and the manager blocks the
/// signals it reads through signalfd). "Every" is the set recorded by
/// [`record_signal_dispositions`] when the caller recorded one: the others
/// are `SIG_DFL` already.
pub(super) fn reset_signals(ctx: &mut Ctx<'_>) -> Result<(), c_int> {
    let recorded = NON_DEFAULT.load(Ordering::Relaxed);
    for sig in 1..=SIG_MAX {
        if sig == libc::SIGKILL || sig == libc::SIGSTOP || (recorded != 0 && recorded & sig_bit(sig) == 0) {
            continue;
        }
        // The raw call also covers the signals glibc reserves for threads
        // (32, 33), whose inherited SIG_IGN would survive exec. Failures
        // are ignored as before: nothing else can be done about them.
        let _ = raw::set_disposition(sig, false);
    }
    if ctx.plan.ignore_sigpipe {
        raw::set_disposition(libc::SIGPIPE, true)?;
    }
    raw::sigprocmask(libc::SIG_SETMASK, 0)
}

/// Step 2: write our PID into `<cgroup>/cgroup.procs`, unless the kernel
/// already created us there.
pub(super) fn join_cgroup(ctx: &mut Ctx<'_>) -> Result<(), c_int> {
    let Some(path) = ctx.plan.cgroup_procs.as_ref().filter(|_| !ctx.in_cgroup) else {
        return Ok(());
    };
    let fd = raw::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC, 0)?;
    let mut buf = [0u8; 24];
    let pid = raw::getpid();
    let r = sys::write_all(fd, sys::format_i64(i64::from(pid), &mut buf));
    sys::close(fd);
    r
}

/// Step 3: `setsid(2)` when the plan asks for a new session.
pub(super) fn new_session(ctx: &mut Ctx<'_>) -> Result<(), c_int> {
    if ctx.plan.new_session {
        raw::setsid()?;
    }
    Ok(())
}

/// Step 10: `/proc/self/oom_score_adj`. Privilege errors are tolerated as
/// systemd does (`OOMScoreAdjust=` in `systemd.exec(5)`; in a user
/// namespace the file is not writable even for root).
pub(super) fn oom_score_adjust(ctx: &mut Ctx<'_>) -> Result<(), c_int> {
    let Some(text) = &ctx.plan.oom_score_adjust else {
        return Ok(());
    };
    let r = raw::open(c"/proc/self/oom_score_adj".as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC, 0).and_then(|fd| {
        let r = sys::write_all(fd, text);
        sys::close(fd);
        r
    });
    match r {
        Err(libc::EPERM | libc::EACCES) => Ok(()),
        other => other,
    }
}

/// `rlimit_to_nice()`: the lowest nice level `RLIMIT_NICE` allows.
fn rlimit_to_nice(limit: libc::rlim_t) -> c_int {
    if limit <= 1 {
        19
    } else if limit >= 40 {
        -20
    } else {
        20 - limit as c_int
    }
}

/// Step 11: `Nice=`, with systemd's `setpriority_closest()` fallback: when
/// lowering the nice level is not permitted, go as low as `RLIMIT_NICE`
/// allows instead of failing.
pub(super) fn nice(ctx: &mut Ctx<'_>) -> Result<(), c_int> {
    let Some(want) = ctx.plan.nice else {
        return Ok(());
    };
    let err = match raw::setpriority(libc::PRIO_PROCESS as c_int, 0, want) {
        Ok(()) => return Ok(()),
        Err(e) => e,
    };
    if err != libc::EPERM && err != libc::EACCES {
        return Err(err);
    }
    let current = raw::getpriority(libc::PRIO_PROCESS as c_int, 0)?;
    if want == current {
        return Ok(());
    }
    if want > current {
        return Err(err);
    }
    let rl = raw::prlimit(libc::RLIMIT_NICE as c_int, None)?;
    let limit = rlimit_to_nice(rl.rlim_cur);
    if current < limit {
        return Ok(());
    }
    raw::setpriority(libc::PRIO_PROCESS as c_int, 0, limit)
}

/// systemd's `setrlimit_closest()`: on `EPERM` clamp both values to the
/// current hard limit rather than fail.
pub(crate) fn setrlimit_closest(
    resource: libc::__rlimit_resource_t,
    want: &libc::rlimit,
) -> Result<(), c_int> {
    let resource = resource as c_int;
    let err = match raw::prlimit(resource, Some(want)) {
        Ok(_) => return Ok(()),
        Err(e) => e,
    };
    if err != libc::EPERM {
        return Err(err);
    }
    let highest = raw::prlimit(resource, None)?;
    if highest.rlim_max == libc::RLIM_INFINITY {
        return Err(libc::EPERM);
    }
    let fixed = libc::rlimit {
        rlim_cur: want.rlim_cur.min(highest.rlim_max),
        rlim_max: want.rlim_max.min(highest.rlim_max),
    };
    if fixed.rlim_cur == highest.rlim_cur && fixed.rlim_max == highest.rlim_max {
        return Ok(());
    }
    raw::prlimit(resource, Some(&fixed)).map(drop)
}

/// Step 12: every `Limit*=`.
pub(super) fn rlimits(ctx: &mut Ctx<'_>) -> Result<(), c_int> {
    for (resource, limit) in &ctx.plan.rlimits {
        setrlimit_closest(*resource, limit)?;
    }
    Ok(())
}

/// Step 13: `UMask=`.
pub(super) fn umask(ctx: &mut Ctx<'_>) -> Result<(), c_int> {
    raw::umask(ctx.plan.umask);
    Ok(())
}

/// Steps 13a-e: the caller's failure to set up one `…Directory=` kind.
fn exec_directory(ctx: &Ctx<'_>, kind: ExecDirectory) -> Result<(), c_int> {
    match ctx.plan.exec_directory_failure {
        Some((k, errno)) if k == kind => Err(if errno > 0 { errno } else { libc::EIO }),
        _ => Ok(()),
    }
}

pub(super) fn runtime_directory(ctx: &mut Ctx<'_>) -> Result<(), c_int> {
    exec_directory(ctx, ExecDirectory::Runtime)
}

pub(super) fn state_directory(ctx: &mut Ctx<'_>) -> Result<(), c_int> {
    exec_directory(ctx, ExecDirectory::State)
}

pub(super) fn cache_directory(ctx: &mut Ctx<'_>) -> Result<(), c_int> {
    exec_directory(ctx, ExecDirectory::Cache)
}

pub(super) fn logs_directory(ctx: &mut Ctx<'_>) -> Result<(), c_int> {
    exec_directory(ctx, ExecDirectory::Logs)
}

pub(super) fn configuration_directory(ctx: &mut Ctx<'_>) -> Result<(), c_int> {
    exec_directory(ctx, ExecDirectory::Configuration)
}

/// Step 20: `PR_SET_PDEATHSIG`, then the race check: if the manager died
/// before the prctl, we were reparented and would never get the signal.
pub(super) fn parent_death_signal(ctx: &mut Ctx<'_>) -> Result<(), c_int> {
    let Some(sig) = ctx.plan.pdeathsig else {
        return Ok(());
    };
    sys::prctl(sys::PR_SET_PDEATHSIG, sig as libc::c_ulong)?;
    if raw::getppid() != ctx.parent_pid {
        return Err(libc::ESRCH);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::testing::{in_child, with_ctx};
    use super::*;
    use crate::plan::{ExecPlan, Resource, Rlimit};

    #[test]
    fn nice_limit_mapping() {
        assert_eq!(rlimit_to_nice(0), 19);
        assert_eq!(rlimit_to_nice(20), 0);
        assert_eq!(rlimit_to_nice(40), -20);
        assert_eq!(rlimit_to_nice(libc::RLIM_INFINITY), -20);
    }

    #[test]
    fn rlimits_step_alone() {
        let mut plan = ExecPlan::new("/bin/true");
        plan.rlimits = vec![Rlimit {
            resource: Resource::Nofile,
            soft: 100,
            hard: 200,
        }];
        let prepared = plan.prepare().expect("prepare");
        let ok = with_ctx(&prepared, -1, |ctx| {
            in_child(|| {
                if rlimits(ctx).is_err() {
                    return false;
                }
                // SAFETY: plain old data and a valid pointer.
                let mut rl: libc::rlimit = unsafe { std::mem::zeroed() };
                unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl) };
                rl.rlim_cur == 100 && rl.rlim_max == 200
            })
        });
        assert!(ok);
    }

    #[test]
    fn setrlimit_closest_clamps_to_hard_limit() {
        let ok = in_child(|| {
            let lower = libc::rlimit {
                rlim_cur: 64,
                rlim_max: 128,
            };
            // SAFETY: valid pointer.
            if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lower) } != 0 {
                return false;
            }
            // Without CAP_SYS_RESOURCE the raise past the hard limit is
            // refused; systemd then settles for the hard limit.
            let Ok(mut caps) = sys::capget() else {
                return false;
            };
            caps.effective &= !(1u64 << 24);
            if sys::capset(caps).is_err() {
                return false;
            }
            let want = libc::rlimit {
                rlim_cur: 1000,
                rlim_max: 2000,
            };
            if setrlimit_closest(libc::RLIMIT_NOFILE, &want).is_err() {
                return false;
            }
            // SAFETY: plain old data and a valid pointer.
            let mut rl: libc::rlimit = unsafe { std::mem::zeroed() };
            unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl) };
            rl.rlim_cur == 128 && rl.rlim_max == 128
        });
        assert!(ok);
    }

    #[test]
    fn signals_step_alone() {
        let plan = ExecPlan::new("/bin/true").prepare().expect("prepare");
        let ok = with_ctx(&plan, -1, |ctx| {
            in_child(|| {
                // SAFETY: test setup in the child only.
                unsafe {
                    libc::signal(libc::SIGHUP, libc::SIG_IGN);
                    let mut set: libc::sigset_t = std::mem::zeroed();
                    libc::sigemptyset(&mut set);
                    libc::sigaddset(&mut set, libc::SIGTERM);
                    libc::sigprocmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
                }
                if reset_signals(ctx).is_err() {
                    return false;
                }
                // SAFETY: querying our own state.
                unsafe {
                    let mut old: libc::sigaction = std::mem::zeroed();
                    libc::sigaction(libc::SIGHUP, std::ptr::null(), &mut old);
                    let mut pipe_old: libc::sigaction = std::mem::zeroed();
                    libc::sigaction(libc::SIGPIPE, std::ptr::null(), &mut pipe_old);
                    let mut mask: libc::sigset_t = std::mem::zeroed();
                    libc::sigprocmask(libc::SIG_SETMASK, std::ptr::null(), &mut mask);
                    old.sa_sigaction == libc::SIG_DFL
                        && pipe_old.sa_sigaction == libc::SIG_IGN
                        && libc::sigismember(&mask, libc::SIGTERM) == 0
                }
            })
        });
        assert!(ok);
    }
}
