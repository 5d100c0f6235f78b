//! Spawning without copying the manager: `clone3(2)` with `CLONE_VM`,
//! the way `posix_spawn(3)` does it — waiting for the child's exec
//! (`CLONE_VFORK`), or not.
//!
//! # Why
//!
//! `fork(2)` copies the manager's page tables and write-protects every
//! private page; the manager then takes a copy-on-write fault on each page
//! it touches until the child has exec'd. With 1000 units loaded that is
//! the largest cost of a spawn: measured on the `Accept=yes` path, 56 COW
//! faults per connection and a third of the manager's CPU
//! (`bench/experiments/accept-vfork.patch` was the what-if). A child that
//! shares the address space costs the same whatever the manager's size.
//!
//! # The contract with the child
//!
//! The child runs the ordinary setup steps ([`crate::steps`]) on a stack of
//! its own, inside the manager's memory. The steps were already written
//! for a forked child of a possibly multi-threaded process — no
//! allocation, no locks, no panics, only system calls over memory prepared
//! by the parent — and that is exactly what sharing memory needs too. The
//! differences, and how each is handled:
//!
//! - **Writes are seen by the parent.** The child writes only into the
//!   buffers the parent made for it (the lifted descriptor table, the
//!   `LISTEN_PID=`/`SYSTEMD_EXEC_PID=` slots, its context) and, on
//!   failure, the report slot ([`Ctx::report_mem`](crate::steps)). That is
//!   turned into a feature: the report is read from memory, no report pipe
//!   is needed.
//! - **Signal handlers would run manager code on the child's stack.** All
//!   signals are blocked around the clone; the child's first step resets
//!   every disposition to the default before it unblocks anything, as
//!   glibc's `posix_spawn` does. It has a handler table of its own (no
//!   `CLONE_SIGHAND`), so this does not touch the manager's.
//! - **Thread-local storage is the manager's.** The child inherits the
//!   thread pointer (`fs` base), so glibc's `errno` and every other
//!   per-thread variable it would write are the manager's. The steps
//!   therefore make no glibc calls: every system call goes through
//!   [`crate::raw`] (one `syscall` instruction, the error in the return
//!   value), and the child ends with a raw `exit_group`. Only the sandbox
//!   steps (namespaces, mounts) still use glibc; their plans always fork
//!   ([`suitable`]). The child reads nothing the manager may change: the
//!   plan and buffers it gets are its own until it has exec'd, the one
//!   global it reads (the recorded signal dispositions) is written once at
//!   start-up, and the kernel made it its own descriptor table, `fs` and
//!   signal handlers (no `CLONE_FILES`/`CLONE_FS`/`CLONE_SIGHAND`).
//! - **Credentials.** glibc's `setresuid()` and friends signal every
//!   thread the manager has ("setxid"); in the child they must change the
//!   child alone, so the privilege steps use the raw system calls.
//!
//! # Waiting (`CLONE_VFORK`)
//!
//! [`clone_vfork`]: the calling thread is suspended until the child's
//! `execve(2)` succeeds or it exits, so the outcome is known when `clone3`
//! returns and the context may live on the caller's stack. Nothing a step
//! does may block for long, or the whole manager stalls with it. Plans
//! that open paths as standard streams (a FIFO blocks until a reader
//! comes, a terminal may wait for carrier), that set up namespaces and
//! mounts, or whose child would have to migrate itself into its cgroup (an
//! RCU grace period, 7–8 ms) keep using `fork(2)` ([`suitable`]).
//!
//! # Not waiting
//!
//! [`clone_async`] leaves `CLONE_VFORK` out: the manager goes on at once
//! while the child runs its steps on the other CPU (a 1000-unit boot spent
//! two thirds of the manager's system-call time suspended in `clone3`).
//! What the child uses must then outlive the call: [`Kept`] owns the
//! plan, the context, the argv/envp arrays, the PID slots, the lifted
//! table, the report slot and a stack from a per-thread pool, and is
//! boxed so none of it moves. It learns that the child is done through
//! `CLONE_CHILD_CLEARTID`: the kernel zeroes a word of it and wakes its
//! futex when the child execs or exits (`mm_release()`, the same point
//! that ends a vfork wait), before close-on-exec closes any descriptor,
//! so a wake-up pipe's end-of-file ([`crate::spawn_async`]) comes after it.
//! [`Kept::done`] is a load of that word; [`Kept::wait`] sleeps on it.
//! Until then nothing in the `Kept` is freed or touched by the parent, and
//! dropping a `Kept` waits first, so a caller that forgets cannot free
//! memory under a running child. The wait is short: only plans whose steps
//! cannot block take this path.
//!
//! One more plan keeps the waiting path: `OOMScoreAdjust=`
//! ([`suitable_async`]). Writing `oom_score_adj` from a process that
//! shares its memory with others, without being a vfork child, changes
//! the score of all of them (`__set_oom_adj()`), the manager's included.
//!
//! A child that dies of a signal before exec is seen the same way (the
//! word is cleared at exit); it then has no report and counts as exec'd,
//! as with the fork path's pipe.
//!
//! # Where it applies
//!
//! The system call is issued from inline assembly because the child must
//! start on its new stack in a function of ours, and glibc has no
//! `clone3()` wrapper; that is written for x86-64 only. Elsewhere, under
//! valgrind (which refuses `clone3`), and on kernels before 5.7 (no
//! `CLONE_INTO_CGROUP`), [`crate::spawn`] forks as before.

use std::cell::{RefCell, UnsafeCell};
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicU32, Ordering};

use libc::{c_int, pid_t};

use crate::prepare::{PStdio, PreparedPlan};
use crate::spawn::Buffers;
use crate::steps::{self, Ctx, REPORT_LEN};
use crate::sys::{CloneArgs, CLONE_INTO_CGROUP, CLONE_PIDFD};

/// Whether this plan may run its steps while the manager waits (module
/// docs, "The manager waits"). The cgroup condition is the caller's: it
/// takes this path only when the child is born in the group or has none.
pub(crate) fn suitable(plan: &PreparedPlan) -> bool {
    cfg!(target_arch = "x86_64")
        && plan.sandbox.is_none()
        && plan.stdio.iter().all(|s| !matches!(s, PStdio::Tty(_) | PStdio::File { .. }))
}

/// Whether this plan's child may run its steps while the manager goes on
/// (module docs, "Not waiting"): a [`suitable`] plan that does not set
/// `OOMScoreAdjust=`. Writing `oom_score_adj` from a child that shares
/// the manager's memory without `CLONE_VFORK` changes the score of every
/// process sharing it, the manager's included (`proc(5)`, the kernel's
/// `__set_oom_adj()`); under `CLONE_VFORK` it changes the child's alone.
pub(crate) fn suitable_async(plan: &PreparedPlan) -> bool {
    suitable(plan) && plan.oom_score_adjust.is_none()
}

/// Size of the child's stack, above one guard page. The steps use a few
/// kilobytes (the largest buffer is 2 KiB); only touched pages cost memory.
const STACK_SIZE: usize = 128 * 1024;

/// A child's stack: mapped on demand, handed back to a per-thread pool
/// when the child has exec'd or exited. A `PROT_NONE` guard page lies
/// below it.
pub(crate) struct ChildStack {
    base: *mut u8,
    guard: usize,
}

impl ChildStack {
    fn map() -> Option<ChildStack> {
        // SAFETY: sysconf with a valid name.
        let guard = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).ok().filter(|p| *p > 0)?;
        // SAFETY: a fresh anonymous mapping; nothing else refers to it.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                STACK_SIZE + guard,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_STACK,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return None;
        }
        let stack = ChildStack { base: base.cast(), guard };
        // SAFETY: the first page of our own mapping.
        (unsafe { libc::mprotect(base, guard, libc::PROT_NONE) } == 0).then_some(stack)
    }

    /// The lowest usable address (clone3 takes the low end and a size).
    fn usable(&self) -> *mut u8 {
        self.base.wrapping_add(self.guard)
    }
}

impl Drop for ChildStack {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `map()`; no child runs on it (its
        // owner waited for the child, or the guard page could not be set).
        unsafe { libc::munmap(self.base.cast(), STACK_SIZE + self.guard) };
    }
}

impl std::fmt::Debug for ChildStack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ChildStack({:p})", self.base)
    }
}

/// Free stacks kept for reuse while children are spawned back to back
/// (the manager has at most 128 children unsettled, `PENDING_MAX`); more
/// are unmapped when handed back ([`give_back`]), and an idle caller
/// unmaps the spare ones ([`trim_stacks`]). Only the pages a child touched
/// (a few) cost memory.
pub(crate) const POOL_MAX: usize = 128;

thread_local! {
    static POOL: RefCell<Vec<ChildStack>> = const { RefCell::new(Vec::new()) };
}

/// A stack no child runs on: from the pool, or newly mapped.
pub(crate) fn take_stack() -> Option<ChildStack> {
    POOL.with(|p| p.borrow_mut().pop()).or_else(ChildStack::map)
}

/// Returns a stack whose child has exec'd or exited.
pub(crate) fn give_back(stack: ChildStack) {
    POOL.with(|p| {
        let mut p = p.borrow_mut();
        if p.len() < POOL_MAX {
            p.push(stack);
        }
    });
}

/// Maps free stacks into the pool until it holds `n` of them (at most
/// [`POOL_MAX`]), for a burst of spawns about to begin.
///
/// Why before the burst: mapping a stack (`mmap`, then `mprotect` of its
/// guard page) takes the address space's lock for writing, and during a
/// burst up to 128 `CLONE_VM` children share that address space and take
/// the same lock for reading while they run their steps and exec. A
/// writer waits for the readers, and readers that come after a waiting
/// writer wait behind it: in a boot of 1000 the manager slept in
/// `down_write_killable` under `mmap`/`mprotect` for 22–29 ms, with
/// children stalled behind it (`bench/start_cpu.py --stacks`). Mapped
/// while no child runs, the same system calls wait for nobody. Nothing
/// is touched, so the stacks cost no memory until used, and an idle
/// caller unmaps the spare ones as before ([`trim_stacks`]).
pub fn reserve_stacks(n: usize) {
    if !cfg!(target_arch = "x86_64") {
        // No CLONE_VM child there (module docs, "Where it applies").
        return;
    }
    POOL.with(|p| {
        let mut p = p.borrow_mut();
        while p.len() < n.min(POOL_MAX) {
            match ChildStack::map() {
                Some(stack) => p.push(stack),
                None => break,
            }
        }
    });
}

/// Unmaps the free stacks beyond `keep` (the caller is idle: the pages a
/// burst of spawns touched go back to the system).
pub fn trim_stacks(keep: usize) {
    POOL.with(|p| p.borrow_mut().truncate(keep));
}

/// How many free stacks the pool holds (tests).
#[cfg(test)]
pub(crate) fn pooled_stacks() -> usize {
    POOL.with(|p| p.borrow().len())
}

/// Where the child starts: runs the steps over the parent's context.
extern "C" fn child_entry(arg: *mut libc::c_void) -> ! {
    #[cfg(test)]
    tests::gate();
    // SAFETY: `arg` is a `Ctx` that stays alive and untouched by the
    // parent until this child has exec'd or exited: the caller of
    // `clone_vfork` is suspended meanwhile, the owner of a [`Kept`] waits
    // for that before freeing it.
    let ctx = unsafe { &mut *arg.cast::<Ctx<'_>>() };
    steps::run_child(ctx)
}

/// `clone(2)` flags not used elsewhere in the crate (kernel ABI numbers).
const CLONE_VM: u64 = 0x100;
const CLONE_VFORK: u64 = 0x4000;
const CLONE_CHILD_CLEARTID: u64 = 0x20_0000;

/// Creates the child, which runs [`steps::run_child`] over `ctx`, born in
/// the cgroup of `cgroup_dir` when given. Returns once the child has
/// exec'd or exited: its PID and pidfd (-1 if none), or the `clone3` errno
/// (`ENOSYS`/`E2BIG` on kernels without it, the cgroup's errors).
pub(crate) fn clone_vfork(ctx: &mut Ctx<'_>, cgroup_dir: Option<RawFd>) -> Result<(pid_t, RawFd), c_int> {
    let Some(stack) = take_stack() else { return Err(libc::ENOMEM) };
    let ctx_ptr: *mut Ctx<'_> = ctx;
    // SAFETY: the caller is suspended until the child has exec'd or
    // exited, so `ctx` and the stack outlive its use of them.
    let r = unsafe { clone_vm(ctx_ptr.cast(), &stack, CLONE_VFORK | CLONE_PIDFD, std::ptr::null_mut(), cgroup_dir) };
    give_back(stack);
    r
}

/// Creates the child like [`clone_vfork`] but returns at once, while the
/// child runs its steps (module docs, "Not waiting"). Its PID (and -1 for
/// the pidfd: none is asked for, the only caller signals its own unreaped
/// children by PID, and a pidfd cost the kernel a file and the caller a
/// `close(2)` per spawn), or the `clone3` errno. On success the child uses `kept` (its context
/// and every buffer that context points to) until it has exec'd or
/// exited, which [`Kept::wait`] waits for.
pub(crate) fn clone_async(kept: &mut Kept, cgroup_dir: Option<RawFd>) -> Result<(pid_t, RawFd), c_int> {
    let stack = kept.stack.as_ref().ok_or(libc::ENOMEM)?;
    kept.tid.store(1, Ordering::Relaxed);
    // SAFETY: `Kept`'s contract: nothing it holds is freed or touched by
    // the parent before `wait()` saw the cleared tid.
    let r = unsafe { clone_vm(kept.ctx.get().cast(), stack, CLONE_CHILD_CLEARTID, kept.tid.as_ptr(), cgroup_dir) };
    kept.running = r.is_ok();
    r
}

/// `clone3(CLONE_VM | extra)` with every signal blocked
/// around it (module docs: no handler may run in the child before its
/// first step), the child starting in [`child_entry`]`(arg)` on `stack`.
/// The pidfd is -1 unless `extra` asks for one (`CLONE_PIDFD`).
///
/// # Safety
///
/// `arg` must point to a `Ctx` that, with everything it points to and
/// `stack`, stays valid and untouched by the parent until the child has
/// exec'd or exited; `child_tid` must be valid as long when
/// `CLONE_CHILD_CLEARTID` is in `extra`.
unsafe fn clone_vm(
    arg: *mut libc::c_void,
    stack: &ChildStack,
    extra: u64,
    child_tid: *mut u32,
    cgroup_dir: Option<RawFd>,
) -> Result<(pid_t, RawFd), c_int> {
    let mut pidfd: c_int = -1;
    let mut args = CloneArgs {
        flags: CLONE_VM | extra,
        pidfd: if extra & CLONE_PIDFD != 0 { &mut pidfd as *mut c_int as u64 } else { 0 },
        child_tid: child_tid as u64,
        exit_signal: libc::SIGCHLD as u64,
        stack: stack.usable() as u64,
        stack_size: STACK_SIZE as u64,
        ..Default::default()
    };
    if let Some(dir) = cgroup_dir {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = dir as u64;
    }
    // SAFETY: sigset_t is plain old data initialised by sigfillset.
    let mut all: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    let mut old: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: valid pointers to our own stack variables.
    unsafe {
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut old);
    }
    // SAFETY: the caller's contract, see `raw_clone3`.
    let r = unsafe { raw_clone3(&args, arg) };
    // SAFETY: restoring the mask saved above.
    unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut()) };
    if r < 0 {
        Err(-r as c_int)
    } else {
        Ok((r as pid_t, pidfd))
    }
}

/// What a child made by [`clone_async`] reads and writes until it has
/// exec'd or exited: its context, the plan, the argv/envp arrays, the
/// `LISTEN_PID=`/`SYSTEMD_EXEC_PID=` slots, the lifted-descriptor table,
/// the report slot and the stack. Boxed by its owner (the child holds
/// pointers into it); dropping it first waits for the child ([`Kept::wait`]).
pub(crate) struct Kept {
    /// The child's context; its pointers lead into the fields below.
    ctx: UnsafeCell<Ctx<'static>>,
    plan: *mut PreparedPlan,
    lifted: *mut [c_int],
    /// argv, envp, the PID slots.
    _bufs: Buffers,
    /// Written by a child whose step failed, before it exits.
    report: UnsafeCell<Option<[u8; REPORT_LEN]>>,
    /// Non-zero while the child may run: the kernel zeroes it (and wakes
    /// futex waiters) when the child execs or exits (`CLONE_CHILD_CLEARTID`,
    /// `clone(2)`: "when the child exits"; exec releases the memory the
    /// same way, `mm_release()`).
    tid: AtomicU32,
    stack: Option<ChildStack>,
    running: bool,
}

impl std::fmt::Debug for Kept {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kept").field("running", &self.running).field("tid", &self.tid).finish_non_exhaustive()
    }
}

impl Kept {
    /// Takes the plan and builds the child's context and buffers around
    /// it. `None` when no stack can be had.
    pub(crate) fn new(plan: PreparedPlan) -> Option<Box<Kept>> {
        let stack = take_stack()?;
        let lifted: *mut [c_int] = Box::into_raw(vec![-1; 3 + plan.listen_fds.len()].into_boxed_slice());
        let plan = Box::into_raw(Box::new(plan));
        // SAFETY: both are heap allocations owned by the `Kept` from here
        // on and freed in its `drop` only, after the last use of the
        // context that borrows them; nothing else refers to them.
        let (plan_ref, lifted_ref) = unsafe { (&*plan, &mut *lifted) };
        let mut bufs = Buffers::new(plan_ref);
        // The buffers' heap parts stay where they are when `bufs` moves.
        let ctx = bufs.ctx(plan_ref, lifted_ref);
        Some(Box::new(Kept {
            ctx: UnsafeCell::new(ctx),
            plan,
            lifted,
            _bufs: bufs,
            report: UnsafeCell::new(None),
            tid: AtomicU32::new(0),
            stack: Some(stack),
            running: false,
        }))
    }

    /// The context, to fill in before the clone (no child runs yet).
    pub(crate) fn ctx_mut(&mut self) -> &mut Ctx<'static> {
        self.ctx.get_mut()
    }

    /// Where a failing child writes its report.
    pub(crate) fn report_slot(&mut self) -> *mut Option<[u8; REPORT_LEN]> {
        self.report.get()
    }

    /// The plan back, from a `Kept` whose clone failed (no child uses it).
    pub(crate) fn into_plan(mut self: Box<Self>) -> PreparedPlan {
        debug_assert!(!self.running);
        // SAFETY: from Box::into_raw in `new`; the context that borrows it
        // is dropped with `self` unused, and `drop` skips what is taken.
        let plan = unsafe { Box::from_raw(self.plan) };
        self.plan = std::ptr::null_mut();
        *plan
    }

    /// True once the child has exec'd or exited (or never ran).
    pub(crate) fn done(&self) -> bool {
        !self.running || self.tid.load(Ordering::Acquire) == 0
    }

    /// Waits at most `limit` for the child to exec or exit; true if it has
    /// (or never ran). A child stopped before its exec (`SIGSTOP`, a
    /// frozen cgroup) would make [`Kept::wait`] wait as long as it stays
    /// stopped; an event loop waits with this instead.
    pub(crate) fn wait_done(&self, limit: std::time::Duration) -> bool {
        if self.done() {
            return true;
        }
        let deadline = std::time::Instant::now() + limit;
        loop {
            if self.done() {
                return true;
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return false;
            }
            let ts = libc::timespec { tv_sec: left.as_secs() as libc::time_t, tv_nsec: left.subsec_nanos() as libc::c_long };
            // Shared futex, as in `wait`; a relative timeout.
            // SAFETY: a valid, aligned word of ours and a valid timespec.
            unsafe { libc::syscall(libc::SYS_futex, self.tid.as_ptr(), libc::FUTEX_WAIT, 1u32, &ts as *const libc::timespec) };
        }
    }

    /// Blocks until the child has exec'd or exited, then hands the stack
    /// back; returns the child's failure report, if it wrote one.
    pub(crate) fn wait(&mut self) -> Option<[u8; REPORT_LEN]> {
        if self.running {
            loop {
                let v = self.tid.load(Ordering::Acquire);
                if v == 0 {
                    break;
                }
                // The kernel wakes the address as a shared futex (no
                // FUTEX_PRIVATE_FLAG), so the wait must be one too.
                // SAFETY: a valid, aligned word of ours; no timeout.
                unsafe {
                    libc::syscall(libc::SYS_futex, self.tid.as_ptr(), libc::FUTEX_WAIT, v, std::ptr::null::<libc::timespec>())
                };
            }
            self.running = false;
        }
        if let Some(stack) = self.stack.take() {
            give_back(stack);
        }
        // SAFETY: the child is gone from our memory; nobody else writes it.
        unsafe { *self.report.get() }
    }
}

impl Drop for Kept {
    fn drop(&mut self) {
        // Memory safety first: nothing is freed while the child may use it.
        self.wait();
        // SAFETY: from Box::into_raw in `new`, freed once here (the plan
        // unless `into_plan` took it); the child no longer runs.
        unsafe {
            drop(Box::from_raw(self.lifted));
            if !self.plan.is_null() {
                drop(Box::from_raw(self.plan));
            }
        }
    }
}

/// `clone3(args)`; in the child, calls [`child_entry`]`(arg)` on the new
/// stack and never comes back here. Returns the child's PID or `-errno`.
///
/// # Safety
///
/// `args` must ask for `CLONE_VM` with a valid stack, and `arg` must point
/// to a `Ctx` that stays valid while the child runs ([`clone_vm`]).
#[cfg(target_arch = "x86_64")]
unsafe fn raw_clone3(args: &CloneArgs, arg: *mut libc::c_void) -> i64 {
    let ret: i64;
    // The child resumes after `syscall` with the same registers but rax = 0
    // and rsp = the top of its stack (16-byte aligned: a page boundary), so
    // `call` leaves the alignment the C ABI expects at function entry.
    // SAFETY: the caller's contract; syscall clobbers only rax, rcx, r11.
    unsafe {
        core::arch::asm!(
            "syscall",
            "test rax, rax",
            "jnz 2f",
            "mov rdi, r12",
            "call r13",
            "ud2",
            "2:",
            inlateout("rax") libc::SYS_clone3 => ret,
            in("rdi") args as *const CloneArgs,
            in("rsi") std::mem::size_of::<CloneArgs>(),
            in("r12") arg,
            in("r13") child_entry as extern "C" fn(*mut libc::c_void) -> !,
            lateout("rcx") _,
            lateout("r11") _,
        );
    }
    ret
}

#[cfg(not(target_arch = "x86_64"))]
unsafe fn raw_clone3(_args: &CloneArgs, _arg: *mut libc::c_void) -> i64 {
    -i64::from(libc::ENOSYS)
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    /// While non-zero, a new `CLONE_VM` child waits at its entry, before
    /// its first step (tests of what the parent does meanwhile).
    pub(crate) static GATE: AtomicU32 = AtomicU32::new(0);

    pub(crate) fn gate() {
        while GATE.load(Ordering::Acquire) != 0 {
            // A raw futex wait: no errno, the child shares our TLS.
            let _ = crate::raw::call(
                libc::SYS_futex,
                [GATE.as_ptr() as usize, libc::FUTEX_WAIT as usize, 1, 0, 0, 0],
            );
        }
    }

    pub(crate) fn open_gate() {
        GATE.store(0, Ordering::Release);
        // SAFETY: a valid word; wakes every waiter.
        unsafe { libc::syscall(libc::SYS_futex, GATE.as_ptr(), libc::FUTEX_WAKE, i32::MAX) };
    }
}
