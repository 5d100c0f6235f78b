//! Turning an [`ExecPlan`] (plain data) into a running child process, the
//! way systemd's executor applies the settings of `systemd.exec(5)`.
//!
//! Three phases, each in its own module:
//!
//! 1. **Plan** ([`plan`]): [`ExecPlan`] says what to run and how — argv,
//!    environment, credentials, limits, capabilities, standard streams
//!    ([`Stdio`]), socket-activation descriptors ([`ListenFd`]), cgroup.
//!    It owns nothing and resolves nothing; the manager builds it from a
//!    unit.
//! 2. **Prepare** ([`prepare`], [`creds`]): [`ExecPlan::prepare`] resolves
//!    users and groups through NSS and turns every string into the
//!    `CString` the child will use, giving a reusable [`PreparedPlan`].
//!    All allocation and every lock happen here, in the parent, because the
//!    child of `fork(2)` may only run async-signal-safe code.
//! 3. **Spawn** ([`spawn()`], `steps`): fork; the child runs an ordered list
//!    of small setup steps (signals, cgroup, session, descriptors, OOM
//!    score, nice, limits, umask, groups, capabilities, chroot, user,
//!    working directory, securebits, no_new_privs) and `execve`s. The
//!    order and the reason for each position are documented in [`steps`];
//!    each step maps to its `systemd.exec(5)` "PROCESS EXIT CODES" value
//!    ([`Step::exit_code`]).
//!    A close-on-exec pipe tells the parent whether exec happened or which
//!    step failed with which errno ([`SpawnError::Setup`]). Plans whose
//!    steps cannot block skip the fork: `vfork` makes the child with
//!    `CLONE_VM` (and `CLONE_VFORK`, or not: [`spawn_async`]) and its
//!    report is read from memory. The steps issue raw system calls
//!    (`raw`): such a child shares the caller's thread-local `errno`.
//!
//! The result is a [`Child`]: PID plus pidfd, with [`Child::signal`]
//! going through the pidfd so a recycled PID is never hit.
//!
//! Reaping belongs to the manager's loop, never to [`spawn()`]:
//! [`reap_all`] drains `waitid(P_ALL, WEXITED|WNOHANG)` and reports
//! [`ExitStatus`]es; [`set_child_subreaper`] keeps double-forked daemons
//! under the manager. [`exit_code_name`] names exit codes as
//! `systemd-analyze exit-status` does.
//!
//! The crate assumes a single-threaded caller (DESIGN.md, "Spawning"): with
//! a second thread alive, forking stays memory-safe here (the child never
//! allocates) but NSS lookups in [`ExecPlan::prepare`] and the blocking
//! [`spawn()`] must move to a helper process.

pub mod creds;
pub mod exit_status;
pub mod plan;
pub mod prepare;
pub mod sandbox;
mod raw;
mod reap;
mod spawn;
pub mod steps;
mod sys;
mod vfork;
#[cfg(test)]
mod async_tests;

pub use creds::{resolve_group, resolve_user, user_groups, CredError, GroupInfo, UserInfo};
pub use exit_status::{exit_code_name, ExitClass};
pub use plan::{
    ExecDirectory, ExecPlan, FileMode, ListenFd, Resource, Rlimit, Stdio, WorkDirPath, WorkingDirectory,
};
pub use prepare::{PrepareError, PreparedPlan};
pub use sandbox::{Mount, MountOp, Sandbox};
pub use reap::{reap_all, try_reap, ExitStatus};
pub use spawn::{
    set_child_subreaper, spawn, spawn_async, spawn_nowait, Child, SignalError, SpawnError, Spawning,
};
pub use steps::{record_signal_dispositions, Step};
pub use vfork::{reserve_stacks, trim_stacks};
