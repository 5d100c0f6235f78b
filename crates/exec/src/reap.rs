//! Reaping: [`reap_all`] collects every exited child with
//! `waitid(P_ALL, WEXITED | WNOHANG)` until none is left, the way a
//! manager must on each `SIGCHLD` (signals coalesce, so one `SIGCHLD` may
//! stand for many exits). [`ExitStatus`] is what `waitid` says about one
//! child: `CLD_EXITED` with a code, or `CLD_KILLED`/`CLD_DUMPED` with a
//! signal. Formatting it as systemd does (`code=exited, status=1/FAILURE`,
//! `code=killed, signal=TERM`) is the manager's job; [`ExitStatus`] gives
//! the parts and [`crate::exit_code_name`] the names.

use std::io;

/// How a child ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExitStatus {
    /// `_exit(code)` / `exit(code)` / return from main.
    Exited(i32),
    /// Terminated by `signal`; `core_dumped` when it left a core.
    Killed { signal: i32, core_dumped: bool },
}

impl ExitStatus {
    /// The exit code, if the child exited normally.
    pub fn code(self) -> Option<i32> {
        match self {
            ExitStatus::Exited(c) => Some(c),
            ExitStatus::Killed { .. } => None,
        }
    }

    /// The terminating signal, if the child was killed.
    pub fn signal(self) -> Option<i32> {
        match self {
            ExitStatus::Killed { signal, .. } => Some(signal),
            ExitStatus::Exited(_) => None,
        }
    }

    /// Whether a core was dumped.
    pub fn core_dumped(self) -> bool {
        matches!(
            self,
            ExitStatus::Killed {
                core_dumped: true,
                ..
            }
        )
    }

    /// Exit code 0.
    pub fn success(self) -> bool {
        self == ExitStatus::Exited(0)
    }

    /// Interprets a `siginfo_t` filled by `waitid(WEXITED)`; `None` for
    /// codes that only `WSTOPPED`/`WCONTINUED` produce.
    fn from_siginfo(info: &libc::siginfo_t) -> Option<ExitStatus> {
        // SAFETY: waitid filled the SIGCHLD fields of the union.
        let status = unsafe { info.si_status() };
        match info.si_code {
            libc::CLD_EXITED => Some(ExitStatus::Exited(status)),
            libc::CLD_KILLED => Some(ExitStatus::Killed {
                signal: status,
                core_dumped: false,
            }),
            libc::CLD_DUMPED => Some(ExitStatus::Killed {
                signal: status,
                core_dumped: true,
            }),
            _ => None,
        }
    }
}

/// One non-blocking `waitid`. `Ok(None)` when no matching child has exited
/// (or no child exists at all).
fn wait_one(idtype: libc::idtype_t, id: libc::id_t) -> io::Result<Option<(i32, ExitStatus)>> {
    loop {
        // SAFETY: siginfo_t is plain old data; zeroed so si_pid reads 0
        // when WNOHANG finds nothing.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: valid pointer to our siginfo.
        let r = unsafe { libc::waitid(idtype, id, &mut info, libc::WEXITED | libc::WNOHANG) };
        if r < 0 {
            let e = io::Error::last_os_error();
            match e.raw_os_error() {
                Some(libc::EINTR) => continue,
                Some(libc::ECHILD) => return Ok(None),
                _ => return Err(e),
            }
        }
        // SAFETY: as in from_siginfo.
        let pid = unsafe { info.si_pid() };
        if pid == 0 {
            return Ok(None);
        }
        return Ok(ExitStatus::from_siginfo(&info).map(|s| (pid, s)));
    }
}

/// Reaps every child that has exited, calling `on_exit(pid, status)` for
/// each; returns how many were reaped. Never blocks.
pub fn reap_all(mut on_exit: impl FnMut(i32, ExitStatus)) -> io::Result<usize> {
    let mut n = 0;
    while let Some((pid, status)) = wait_one(libc::P_ALL, 0)? {
        on_exit(pid, status);
        n += 1;
    }
    Ok(n)
}

/// Reaps one specific child if it has exited; never blocks. `waitid(P_PID)`
/// looks the pid up, where [`reap_all`]'s `P_ALL` walks every child of the
/// caller: the manager reaps the child a `SIGCHLD` names this way first,
/// and then [`reap_all`] for the exits that signal may stand for.
pub fn try_reap(pid: i32) -> io::Result<Option<ExitStatus>> {
    let id = libc::id_t::try_from(pid).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    Ok(wait_one(libc::P_PID, id)?.map(|(_, s)| s))
}
