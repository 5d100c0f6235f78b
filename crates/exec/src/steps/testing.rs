//! Test helpers: run one step alone in a forked child and look at the
//! result. The closures run after fork in a multi-threaded test binary, so
//! they must stay allocation-free, like the steps themselves.

use libc::c_int;

use super::Ctx;
use crate::prepare::PreparedPlan;

/// Forks, runs `f` in the child and reports whether it returned `true`
/// (the child exits 0) or not.
pub(crate) fn in_child(f: impl FnOnce() -> bool) -> bool {
    // SAFETY: the child only runs `f`, which the caller keeps
    // async-signal-safe, then `_exit`s.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let ok = f();
        // SAFETY: _exit never returns and is async-signal-safe.
        unsafe { libc::_exit(if ok { 0 } else { 1 }) }
    }
    let mut status: c_int = 0;
    // SAFETY: waiting for our own child.
    let r = unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(r, pid, "waitpid");
    libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0
}

/// Runs `f` with a context for `plan` whose report pipe is `report_fd`.
pub(crate) fn with_ctx<R>(
    plan: &PreparedPlan,
    report_fd: c_int,
    f: impl FnOnce(&mut Ctx<'_>) -> R,
) -> R {
    let mut lifted = vec![-1; 3 + plan.listen_fds.len()];
    let mut ctx = Ctx {
        plan,
        report_fd,
        report_mem: std::ptr::null_mut(),
        // SAFETY: getpid cannot fail.
        parent_pid: unsafe { libc::getpid() },
        lifted: &mut lifted,
        listen_pid: std::ptr::null_mut(),
        exec_pid: std::ptr::null_mut(),
        pid_slot_cap: 0,
        ambient: 0,
        argv: std::ptr::null(),
        envp: std::ptr::null(),
        in_cgroup: false,
    };
    f(&mut ctx)
}
