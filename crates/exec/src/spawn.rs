//! Fork, run the setup steps in the child, learn whether exec succeeded.
//!
//! # The handshake
//!
//! (For a forked child; a `CLONE_VM` child writes the same report into
//! the parent's memory instead, see below.) Before forking, the parent
//! creates a pipe with `O_CLOEXEC` on both ends. The child keeps the
//! write end through every step (it is lifted out of the way of the stdio
//! and listen targets and spared by the close step). Then either:
//!
//! - `execve(2)` succeeds: close-on-exec closes the write end, the parent
//!   reads end-of-file and returns a [`Child`];
//! - a step fails: the child writes `(step, errno)` and `_exit`s with the
//!   step's `systemd.exec(5)` exit code; the parent reads the report and
//!   returns [`SpawnError::Setup`].
//!
//! A child killed by a signal before exec (nothing else can interrupt it)
//! also closes the pipe without a report; the parent cannot tell that from
//! success and returns a [`Child`] whose death the manager then observes.
//!
//! # Who reaps
//!
//! Nobody here. The manager reaps every child through `waitid(P_ALL)` in
//! its loop ([`crate::reap_all`]); a `waitpid` here would race it. After
//! [`SpawnError::Setup`] the child has exited (or is about to) with
//! `exit_code`; its PID is in the error so the manager can recognise the
//! exit status when its loop reaps it. No pidfd is kept for a failed child.
//!
//! # Blocking
//!
//! [`spawn`] blocks until the child has exec'd or failed. Every step is
//! quick except opening a FIFO as output (blocks until a reader appears)
//! or a terminal that waits for carrier. A manager that must never block
//! uses [`spawn_nowait`], polls [`Spawning::report_fd`] for readability
//! (it becomes readable at exec or failure) and then calls
//! [`Spawning::finish`].
//!
//! # Why fork, and when not
//!
//! The manager is single-threaded, so `fork(2)` is safe and the child can
//! run arbitrary (async-signal-safe) setup. `posix_spawn` cannot express
//! these steps. If the manager ever grows a second thread this must become
//! an exec helper, as systemd 255's `systemd-executor` is.
//!
//! Most plans do not fork, though: the child is made with `CLONE_VM |
//! CLONE_VFORK` instead ([`crate::vfork`]), shares the manager's memory
//! while it runs the same steps, and the parent resumes once it has
//! exec'd or exited — no page tables copied, no copy-on-write faults, and
//! the outcome is known without a report pipe ([`Spawning::report_fd`] is
//! `None`). Plans whose steps could block (paths opened as standard
//! streams, namespaces) still fork, so that the manager never waits on them.
//!
//! [`spawn_async`] does not wait at all: the `CLONE_VM` child runs beside
//! the caller, the [`Spawning`] owns the plan and everything the child
//! uses until it has exec'd or exited ([`Spawning::settled`], a load from
//! memory), and its report is read from memory by [`Spawning::finish`].
//! A pipe whose end-of-file marks the exec is made only when asked for
//! (an event loop that must hear of the exec at once). Plans that do not
//! suit it take [`spawn_nowait`]'s paths.
//!
//! # Born in the cgroup
//!
//! With a cgroup in the plan, the child is created by `clone3(2)` with
//! `CLONE_INTO_CGROUP` (Linux 5.7) and a descriptor of the cgroup's
//! directory: the kernel places it in the group as it is created, so no
//! instruction of it — and no process it forks — ever runs outside. The
//! other way, writing the PID into `cgroup.procs` from the child
//! ([`Step::Cgroup`]), migrates a running task: the kernel takes the
//! cgroup threadgroup lock for writing and, when no other migration is in
//! flight (a lone restart), waits for an RCU grace period — 7–8 ms on a
//! 2-vCPU VM against 0.3 ms for the clone (bench/cgspawn.c). The same
//! call returns a pidfd (`CLONE_PIDFD`), saving the `pidfd_open(2)`.
//!
//! Any failure of that path falls back to `fork(2)` and the step, which
//! then fails (or not) exactly as before: `ENOSYS`/`E2BIG` (kernel before
//! 5.3/5.7; remembered, not retried), `EBADF` (the directory is not in a
//! cgroup2 hierarchy), `EBUSY` (a group with controllers enabled for its
//! children), `EACCES`, or a directory that cannot be opened (`ENOENT`:
//! the step then reports 219/CGROUP with that errno, as systemd would).
//! [`Spawning::joined_cgroup_at_clone`] tells which way was taken.

use std::ffi::{c_char, CString};
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};

use libc::{c_int, pid_t};

use crate::prepare::PreparedPlan;
use crate::steps::{self, Ctx, Step, REPORT_LEN};
use crate::sys;
use crate::vfork;

/// Why a spawn failed.
#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    #[error("creating the exec report pipe failed: {0}")]
    Pipe(#[source] io::Error),
    #[error("fork failed: {0}")]
    Fork(#[source] io::Error),
    #[error("reading the exec report of child {pid} failed: {source}")]
    Report {
        pid: i32,
        #[source]
        source: io::Error,
    },
    /// A setup step failed in the child, which exits with `exit_code`.
    #[error("child {pid}: {step} failed: {} (exit code {exit_code})", io::Error::from_raw_os_error(*errno))]
    Setup {
        pid: i32,
        step: Step,
        errno: i32,
        exit_code: u8,
    },
}

impl SpawnError {
    /// The child's PID when a child exists (it must still be reaped).
    pub fn pid(&self) -> Option<i32> {
        match self {
            SpawnError::Setup { pid, .. } | SpawnError::Report { pid, .. } => Some(*pid),
            SpawnError::Pipe(_) | SpawnError::Fork(_) => None,
        }
    }
}

/// A started process. Dropping it closes the pidfd; it neither kills nor
/// reaps the process.
#[derive(Debug)]
pub struct Child {
    pub pid: i32,
    /// A pidfd (`pidfd_open(2)`), `None` on kernels before 5.3 and for a
    /// no-wait `CLONE_VM` child ([`spawn_async`]), which is not given one.
    pub pidfd: Option<OwnedFd>,
}

/// Why a signal could not be sent.
#[derive(Debug, thiserror::Error)]
#[error("sending signal {signal} to process {pid} failed: {source}")]
pub struct SignalError {
    pub pid: i32,
    pub signal: i32,
    #[source]
    pub source: io::Error,
}

impl Child {
    /// Sends `signal` through the pidfd (no PID-reuse race), or with
    /// `kill(2)` where pidfds are unavailable.
    pub fn signal(&self, signal: i32) -> Result<(), SignalError> {
        let err = |e: c_int| SignalError {
            pid: self.pid,
            signal,
            source: io::Error::from_raw_os_error(e),
        };
        if let Some(fd) = &self.pidfd {
            match sys::pidfd_send_signal(fd.as_raw_fd(), signal) {
                Ok(()) => return Ok(()),
                Err(libc::ENOSYS) => {}
                Err(e) => return Err(err(e)),
            }
        }
        // SAFETY: plain system call.
        if unsafe { libc::kill(self.pid, signal) } < 0 {
            return Err(err(sys::errno()));
        }
        Ok(())
    }
}

/// A child between fork and exec; see [`spawn_nowait`].
#[derive(Debug)]
pub struct Spawning {
    pid: i32,
    pidfd: Option<OwnedFd>,
    report: Report,
    cgroup_at_clone: bool,
}

/// Where the outcome of the setup steps comes from.
#[derive(Debug)]
enum Report {
    /// A forked child: the read end of its report pipe.
    Pipe(OwnedFd),
    /// A `CLONE_VM` child ([`crate::vfork`]): it has exec'd or exited when
    /// the clone returned; this is its report, if it wrote one.
    Known(Option<[u8; REPORT_LEN]>),
    /// A `CLONE_VM` child that runs beside the caller ([`spawn_async`]):
    /// what it uses, freed once it has exec'd or exited, and the read end
    /// of a pipe that tells when (end-of-file) if a wake-up was asked for.
    Async(Box<vfork::Kept>, Option<OwnedFd>),
}

impl Spawning {
    /// The child's PID.
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// True when the kernel created the child in the plan's cgroup
    /// (`clone3` with `CLONE_INTO_CGROUP`); false when the child joins it
    /// itself ([`Step::Cgroup`]) or the plan has none.
    pub fn joined_cgroup_at_clone(&self) -> bool {
        self.cgroup_at_clone
    }

    /// Becomes readable (end-of-file or a report) once the child has
    /// exec'd or failed; register it with the event loop. `None` when the
    /// outcome is already known: [`Spawning::finish`] will not block.
    pub fn report_fd(&self) -> Option<BorrowedFd<'_>> {
        match &self.report {
            Report::Pipe(fd) | Report::Async(_, Some(fd)) => Some(fd.as_fd()),
            Report::Known(_) | Report::Async(_, None) => None,
        }
    }

    /// True when [`Spawning::finish`] will not block: the child has
    /// exec'd or exited (a forked child: its report pipe is readable).
    pub fn settled(&self) -> bool {
        self.wait_settled(std::time::Duration::ZERO)
    }

    /// Like [`Spawning::settled`], waiting at most `limit` for it.
    pub fn wait_settled(&self, limit: std::time::Duration) -> bool {
        match &self.report {
            Report::Known(_) => true,
            Report::Async(kept, _) => kept.wait_done(limit),
            Report::Pipe(fd) => {
                let mut p = libc::pollfd { fd: fd.as_raw_fd(), events: libc::POLLIN, revents: 0 };
                let ms = c_int::try_from(limit.as_millis()).unwrap_or(c_int::MAX);
                // SAFETY: one valid pollfd.
                unsafe { libc::poll(&mut p, 1, ms) > 0 }
            }
        }
    }

    /// Reads the outcome; blocks until the child has exec'd or failed.
    pub fn finish(mut self) -> Result<Child, SpawnError> {
        let mut buf = [0u8; REPORT_LEN];
        let mut got = 0usize;
        let known = match &mut self.report {
            Report::Pipe(fd) => {
                (buf, got) = Self::read_pipe(fd.as_raw_fd(), self.pid)?;
                None
            }
            Report::Known(bytes) => *bytes,
            // The pipe, if any, only wakes the caller: the report is in
            // memory, written before the child exited. The stack and the
            // buffers are freed when `self` is.
            Report::Async(kept, _) => kept.wait(),
        };
        if let Some(bytes) = known {
            buf = bytes;
            got = REPORT_LEN;
        }
        Self::outcome(buf, got, self.pid, self.pidfd.take())
    }

    /// The fork path's report: end-of-file or `REPORT_LEN` bytes.
    fn read_pipe(pipe: c_int, pid: i32) -> Result<([u8; REPORT_LEN], usize), SpawnError> {
        let mut buf = [0u8; REPORT_LEN];
        let mut got = 0usize;
        while got < REPORT_LEN {
            let rest = buf.get_mut(got..).unwrap_or(&mut []);
            // SAFETY: reading into the unfilled part of our buffer.
            let n = unsafe {
                libc::read(
                    pipe,
                    rest.as_mut_ptr().cast(),
                    rest.len(),
                )
            };
            if n < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(SpawnError::Report { pid, source: e });
            }
            if n == 0 {
                break;
            }
            got += n as usize;
        }
        Ok((buf, got))
    }

    fn outcome(buf: [u8; REPORT_LEN], got: usize, pid: i32, pidfd: Option<OwnedFd>) -> Result<Child, SpawnError> {
        match got {
            0 => Ok(Child { pid, pidfd }),
            REPORT_LEN => {
                let (a, b) = buf.split_at(4);
                let index = u32::from_ne_bytes(a.try_into().unwrap_or([0xff; 4]));
                let errno = i32::from_ne_bytes(b.try_into().unwrap_or([0; 4]));
                match Step::from_index(index) {
                    Some(step) => Err(SpawnError::Setup {
                        pid,
                        step,
                        errno,
                        exit_code: step.exit_code(),
                    }),
                    None => Err(SpawnError::Report {
                        pid,
                        source: io::Error::new(
                            io::ErrorKind::InvalidData,
                            format!("unknown step index {index}"),
                        ),
                    }),
                }
            }
            n => Err(SpawnError::Report {
                pid,
                source: io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("truncated report ({n} bytes)"),
                ),
            }),
        }
    }
}

/// Starts `plan` and waits until it has exec'd ([`Child`]) or a setup step
/// failed ([`SpawnError::Setup`]). Does not reap; see the module docs.
pub fn spawn(plan: &PreparedPlan) -> Result<Child, SpawnError> {
    spawn_nowait(plan)?.finish()
}

/// Size of the `LISTEN_PID=`/`SYSTEMD_EXEC_PID=` slots: the prefix, any
/// PID, the NUL.
const PID_SLOT_CAP: usize = 48;

/// What the child's `argv`/`envp` arrays and PID slots are made of; the
/// buffers must outlive the child's use of them.
pub(crate) struct Buffers {
    argv: Vec<*const c_char>,
    envp: Vec<*const c_char>,
    listen_pid: Vec<u8>,
    exec_pid: Vec<u8>,
    /// Whether the `SYSTEMD_EXEC_PID=` slot is in `envp` (an explicit one
    /// from the caller, `Environment=`, wins).
    exec_pid_used: bool,
}

impl Buffers {
    /// Everything the child touches is allocated here, before the clone.
    pub(crate) fn new(plan: &PreparedPlan) -> Buffers {
        let mut argv: Vec<*const c_char> = plan.argv.iter().map(|a| a.as_ptr()).collect();
        argv.push(std::ptr::null());
        let listen_pid = vec![0u8; PID_SLOT_CAP];
        let exec_pid = vec![0u8; PID_SLOT_CAP];
        let exec_pid_used = !plan.env.iter().any(|e| e.as_bytes().starts_with(b"SYSTEMD_EXEC_PID="));
        let mut envp: Vec<*const c_char> = Vec::with_capacity(plan.env.len() + 3);
        if !plan.listen_fds.is_empty() {
            envp.push(listen_pid.as_ptr().cast());
        }
        envp.extend(plan.env.iter().map(|e| e.as_ptr()));
        if exec_pid_used {
            envp.push(exec_pid.as_ptr().cast());
        }
        envp.push(std::ptr::null());
        Buffers { argv, envp, listen_pid, exec_pid, exec_pid_used }
    }

    /// The child's context over these buffers (their heap parts do not
    /// move when the `Buffers` does).
    pub(crate) fn ctx<'a>(&mut self, plan: &'a PreparedPlan, lifted: &'a mut [c_int]) -> Ctx<'a> {
        Ctx {
            plan,
            report_fd: -1,
            report_mem: std::ptr::null_mut(),
            parent_pid: sys::own_pid(),
            lifted,
            listen_pid: if plan.listen_fds.is_empty() { std::ptr::null_mut() } else { self.listen_pid.as_mut_ptr() },
            exec_pid: if self.exec_pid_used { self.exec_pid.as_mut_ptr() } else { std::ptr::null_mut() },
            pid_slot_cap: PID_SLOT_CAP,
            ambient: 0,
            argv: self.argv.as_ptr(),
            envp: self.envp.as_ptr(),
            in_cgroup: false,
        }
    }
}

/// Starts the setup steps, returning without waiting for exec when the
/// child is forked (its report pipe tells); a `CLONE_VM` child has exec'd
/// or failed on return (its parent waits, `vfork.rs`).
pub fn spawn_nowait(plan: &PreparedPlan) -> Result<Spawning, SpawnError> {
    let mut bufs = Buffers::new(plan);
    let mut lifted: Vec<c_int> = vec![-1; 3 + plan.listen_fds.len()];
    let mut ctx = bufs.ctx(plan, &mut lifted);

    if let Some(spawning) = spawn_vfork(plan, &mut ctx) {
        return Ok(spawning);
    }

    let mut fds = [0 as c_int; 2];
    // SAFETY: fds has room for the two descriptors.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } < 0 {
        return Err(SpawnError::Pipe(io::Error::last_os_error()));
    }
    let [read_end, write_end] = fds;
    // SAFETY: both descriptors were just created and are owned only here.
    let report = unsafe { OwnedFd::from_raw_fd(read_end) };

    let (pid, clone_pidfd, cgroup_at_clone) = match fork_into_cgroup(plan) {
        Ok(forked) => forked,
        Err(e) => {
            sys::close(write_end);
            return Err(SpawnError::Fork(e));
        }
    };
    if pid == 0 {
        ctx.report_fd = write_end;
        ctx.in_cgroup = cgroup_at_clone;
        steps::run_child(&mut ctx);
    }
    // The parent must drop its write end, or it would never see EOF.
    sys::close(write_end);
    let pidfd = match clone_pidfd {
        Some(fd) => Some(fd),
        // The child may already be a zombie; pidfd_open still works then.
        None => sys::pidfd_open(pid).ok(),
    };
    // Keep the buffers alive until here (the child has its own copies).
    drop((bufs, lifted));
    Ok(Spawning {
        pid,
        pidfd,
        report: Report::Pipe(report),
        cgroup_at_clone,
    })
}

/// Starts `plan` without waiting for anything: the child runs its setup
/// steps and `execve(2)`s beside the caller, in the caller's memory
/// (`CLONE_VM` without `CLONE_VFORK`, `vfork.rs`, "Not waiting").
/// The returned [`Spawning`] owns the plan, the child's buffers and its
/// stack until the child has exec'd or exited; [`Spawning::settled`] says
/// whether it has, [`Spawning::finish`] waits for it (briefly: such plans
/// have no step that can block) and frees them, and so does dropping it.
///
/// A child started this way has no pidfd ([`Child::pidfd`] is `None`):
/// the caller reaps it and may signal it by PID until then.
///
/// With `wake`, [`Spawning::report_fd`] is a descriptor that becomes
/// readable when the child has exec'd or exited, for an event loop;
/// without, there is none and the caller settles the child when it likes.
///
/// Plans that may not run beside the caller (`OOMScoreAdjust=`, and all
/// those that fork),
/// kernels or tools without `clone3` (valgrind), and a cgroup the child
/// cannot be born in take [`spawn_nowait`]'s ways instead: the waiting
/// `CLONE_VM` child or `fork(2)` (whose report pipe is then `report_fd`).
pub fn spawn_async(plan: PreparedPlan, wake: bool) -> Result<Spawning, SpawnError> {
    if CLONE3_UNUSABLE.load(Ordering::Relaxed) || !vfork::suitable_async(&plan) {
        return spawn_nowait(&plan);
    }
    let dirfd = match plan.cgroup_procs.as_deref() {
        None => None,
        Some(_) => match CgroupDir::open(&plan) {
            Some(d) => Some(d),
            None => return spawn_nowait(&plan),
        },
    };
    let Some(mut kept) = vfork::Kept::new(plan) else {
        return Err(SpawnError::Fork(io::Error::from_raw_os_error(libc::ENOMEM)));
    };
    let mut pipe: Option<(OwnedFd, c_int)> = None;
    if wake {
        let mut fds = [0 as c_int; 2];
        // SAFETY: fds has room for the two descriptors.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } < 0 {
            return Err(SpawnError::Pipe(io::Error::last_os_error()));
        }
        // SAFETY: just created, owned only here.
        pipe = Some((unsafe { OwnedFd::from_raw_fd(fds[0]) }, fds[1]));
    }
    let slot = kept.report_slot();
    let ctx = kept.ctx_mut();
    ctx.report_mem = slot;
    // The child keeps its copy of the write end until exec (close-on-exec)
    // or exit: end-of-file then. It writes its report into memory.
    ctx.report_fd = pipe.as_ref().map_or(-1, |p| p.1);
    ctx.in_cgroup = dirfd.is_some();
    let cloned = vfork::clone_async(&mut kept, dirfd.as_ref().map(|d| d.fd));
    let in_cgroup = dirfd.is_some();
    drop(dirfd);
    // The child has its own descriptor table (no CLONE_FILES).
    let read_end = pipe.map(|(r, w)| {
        sys::close(w);
        r
    });
    match cloned {
        Ok((pid, pidfd)) => Ok(Spawning {
            pid,
            // SAFETY: the kernel just created this pidfd for us.
            pidfd: (pidfd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(pidfd) }),
            report: Report::Async(kept, read_end),
            cgroup_at_clone: in_cgroup,
        }),
        Err(e) => {
            clone3_failed(e);
            spawn_nowait(&kept.into_plan())
        }
    }
}

/// The `CLONE_VM` path ([`crate::vfork`]) when the plan suits it and the
/// child can be born in its cgroup (or has none): the child has exec'd or
/// exited on return, its report is in memory. `None`: fork instead (the
/// fork path then meets, and reports, any error of the cgroup itself).
fn spawn_vfork(plan: &PreparedPlan, ctx: &mut Ctx<'_>) -> Option<Spawning> {
    if CLONE3_UNUSABLE.load(Ordering::Relaxed) || !vfork::suitable(plan) {
        return None;
    }
    let dirfd = match plan.cgroup_procs.as_deref() {
        None => None,
        Some(_) => Some(CgroupDir::open(plan)?),
    };
    let mut report: Option<[u8; REPORT_LEN]> = None;
    ctx.report_mem = &mut report;
    ctx.in_cgroup = dirfd.is_some();
    let cloned = vfork::clone_vfork(ctx, dirfd.as_ref().map(|d| d.fd));
    ctx.report_mem = std::ptr::null_mut();
    let in_cgroup = dirfd.is_some();
    drop(dirfd);
    match cloned {
        Ok((pid, pidfd)) => Some(Spawning {
            pid,
            // SAFETY: the kernel just created this pidfd for us.
            pidfd: (pidfd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(pidfd) }),
            report: Report::Known(report),
            cgroup_at_clone: in_cgroup,
        }),
        Err(e) => {
            clone3_failed(e);
            None
        }
    }
}

/// Set once `clone3` proved missing (`ENOSYS`) or too old for
/// `CLONE_INTO_CGROUP` (`E2BIG`): the kernel will not change its mind.
static CLONE3_UNUSABLE: AtomicBool = AtomicBool::new(false);

/// The cgroup directory handed to `CLONE_INTO_CGROUP`: the caller's
/// descriptor ([`crate::ExecPlan::cgroup_fd`]), or one opened from the
/// path of the plan's `cgroup.procs` and closed on drop.
struct CgroupDir {
    fd: c_int,
    owned: bool,
}

impl CgroupDir {
    /// `None` if the directory cannot be opened (the fork path's cgroup
    /// step then reports why).
    fn open(plan: &PreparedPlan) -> Option<CgroupDir> {
        if let Some(fd) = plan.cgroup_fd {
            return Some(CgroupDir { fd, owned: false });
        }
        let procs = plan.cgroup_procs.as_deref()?;
        let dir = CString::new(procs.to_bytes().strip_suffix(b"/cgroup.procs")?).ok()?;
        // SAFETY: NUL-terminated path; the descriptor is closed on drop.
        let fd = unsafe { libc::open(dir.as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC) };
        (fd >= 0).then_some(CgroupDir { fd, owned: true })
    }
}

impl Drop for CgroupDir {
    fn drop(&mut self) {
        if self.owned {
            sys::close(self.fd);
        }
    }
}

/// Remembers a `clone3` that the kernel lacks (`ENOSYS`) or that is too
/// old for `CLONE_INTO_CGROUP` (`E2BIG`); other errors are the cgroup's.
fn clone3_failed(errno: c_int) {
    if errno == libc::ENOSYS || errno == libc::E2BIG {
        CLONE3_UNUSABLE.store(true, Ordering::Relaxed);
    }
}

/// Forks; with a cgroup in the plan, first tries to create the child in it
/// (module docs, "Born in the cgroup"). Returns, in the parent, the child's
/// PID, its pidfd when the clone returned one, and whether the child was
/// born in the cgroup; in the child, PID 0 and the same flag.
fn fork_into_cgroup(plan: &PreparedPlan) -> io::Result<(pid_t, Option<OwnedFd>, bool)> {
    if let Some(dir) = Some(plan)
        .filter(|_| !CLONE3_UNUSABLE.load(Ordering::Relaxed))
        .and_then(CgroupDir::open)
    {
        match sys::clone_into_cgroup(dir.fd) {
            // The child keeps its copy of the descriptor until exec
            // (close-on-exec) or until the close-fds step; it must not
            // run the parent's drop code.
            Ok(sys::Cloned::Child) => {
                std::mem::forget(dir);
                return Ok((0, None, true));
            }
            Ok(sys::Cloned::Parent { pid, pidfd }) => {
                drop(dir);
                // SAFETY: the kernel just created this pidfd for us.
                let pidfd = (pidfd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(pidfd) });
                return Ok((pid, pidfd, true));
            }
            Err(e) => {
                drop(dir);
                clone3_failed(e);
            }
        }
    }
    // SAFETY: the child runs only async-signal-safe code over memory
    // prepared by the caller, and ends in execve or _exit.
    match unsafe { libc::fork() } {
        pid if pid < 0 => Err(io::Error::last_os_error()),
        pid => Ok((pid, None, false)),
    }
}

/// Marks the manager as a child subreaper (`PR_SET_CHILD_SUBREAPER`):
/// orphans of services (double-forking daemons) are reparented to it
/// instead of PID 1, so it can track and reap them. PID 1 needs no call.
pub fn set_child_subreaper() -> io::Result<()> {
    sys::prctl(sys::PR_SET_CHILD_SUBREAPER, 1)
        .map(|_| ())
        .map_err(io::Error::from_raw_os_error)
}
