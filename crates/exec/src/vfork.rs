//! Spawning without copying the manager: `clone3(2)` with `CLONE_VM |
//! CLONE_VFORK`, the way `posix_spawn(3)` does it.
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
//! its own, inside the manager's memory, while the calling thread is
//! suspended (`CLONE_VFORK`) until the child's `execve(2)` succeeds or it
//! `_exit`s. The steps were already written for a forked child of a
//! possibly multi-threaded process — no allocation, no locks, no panics,
//! only system calls over memory prepared by the parent — and that is
//! exactly what sharing memory needs too. The differences, and how each
//! is handled:
//!
//! - **Writes are seen by the parent.** The child writes only into the
//!   buffers the parent made for it (the lifted descriptor table, the
//!   `LISTEN_PID=`/`SYSTEMD_EXEC_PID=` slots) and, on failure, the report
//!   slot ([`Ctx::report_mem`](crate::steps)). That is turned into a
//!   feature: the outcome is known when `clone3` returns, so no report pipe
//!   is made and the manager need not watch one.
//! - **Signal handlers would run manager code on the child's stack.** All
//!   signals are blocked around the clone; the child's first step resets
//!   every disposition to the default before it unblocks anything, as
//!   glibc's `posix_spawn` does.
//! - **The manager waits.** Nothing a step does may block for long, or
//!   the whole manager stalls with it. Plans that open paths as standard
//!   streams (a FIFO blocks until a reader comes, a terminal may wait for
//!   carrier), that set up namespaces and mounts, or whose child would have
//!   to migrate itself into its cgroup (an RCU grace period, 7–8 ms) keep
//!   using `fork(2)` ([`suitable`]).
//! - **Credentials.** glibc's `setresuid()` and friends signal every
//!   thread the manager has ("setxid"); in the child they must change the
//!   child alone, so the privilege steps use the raw system calls.
//!
//! # Where it applies
//!
//! The system call is issued from inline assembly because the child must
//! start on its new stack in a function of ours, and glibc has no
//! `clone3()` wrapper; that is written for x86-64 only. Elsewhere, under
//! valgrind (which refuses `clone3`), and on kernels before 5.7 (no
//! `CLONE_INTO_CGROUP`), [`crate::spawn`] forks as before.

use std::cell::RefCell;
use std::os::fd::RawFd;

use libc::{c_int, pid_t};

use crate::prepare::{PStdio, PreparedPlan};
use crate::steps::{self, Ctx};
use crate::sys::{CloneArgs, CLONE_INTO_CGROUP, CLONE_PIDFD};

/// Whether this plan may run its steps while the manager waits (module
/// docs, "The manager waits"). The cgroup condition is the caller's: it
/// takes this path only when the child is born in the group or has none.
pub(crate) fn suitable(plan: &PreparedPlan) -> bool {
    cfg!(target_arch = "x86_64")
        && plan.sandbox.is_none()
        && plan.stdio.iter().all(|s| !matches!(s, PStdio::Tty(_) | PStdio::File { .. }))
}

/// Size of the child's stack, above one guard page. The steps use a few
/// kilobytes (the largest buffer is 2 KiB); only touched pages cost memory.
const STACK_SIZE: usize = 128 * 1024;

/// One stack per thread, mapped at the first spawn and reused: the caller
/// is suspended while its child lives, so no two children of one thread
/// ever run on it at once. A `PROT_NONE` guard page lies below it.
struct ChildStack {
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
        // thread is exiting, or the guard page could not be set).
        unsafe { libc::munmap(self.base.cast(), STACK_SIZE + self.guard) };
    }
}

thread_local! {
    static STACK: RefCell<Option<ChildStack>> = const { RefCell::new(None) };
}

/// This thread's child stack, mapped on first use.
fn stack() -> Option<*mut u8> {
    STACK.with(|s| {
        let mut s = s.borrow_mut();
        if s.is_none() {
            *s = ChildStack::map();
        }
        s.as_ref().map(ChildStack::usable)
    })
}

/// Where the child starts: runs the steps over the parent's context.
extern "C" fn child_entry(arg: *mut libc::c_void) -> ! {
    // SAFETY: `arg` is the `Ctx` of `clone_vfork`'s caller, alive and
    // untouched while that thread is suspended (CLONE_VFORK).
    let ctx = unsafe { &mut *arg.cast::<Ctx<'_>>() };
    steps::run_child(ctx)
}

/// `clone(2)` flags not used elsewhere in the crate (kernel ABI numbers).
const CLONE_VM: u64 = 0x100;
const CLONE_VFORK: u64 = 0x4000;

/// Creates the child, which runs [`steps::run_child`] over `ctx`, born in
/// the cgroup of `cgroup_dir` when given. Returns once the child has
/// exec'd or exited: its PID and pidfd (-1 if none), or the `clone3` errno
/// (`ENOSYS`/`E2BIG` on kernels without it, the cgroup's errors).
pub(crate) fn clone_vfork(ctx: &mut Ctx<'_>, cgroup_dir: Option<RawFd>) -> Result<(pid_t, RawFd), c_int> {
    let Some(stack) = stack() else { return Err(libc::ENOMEM) };
    let mut pidfd: c_int = -1;
    let mut args = CloneArgs {
        flags: CLONE_VM | CLONE_VFORK | CLONE_PIDFD,
        pidfd: &mut pidfd as *mut c_int as u64,
        exit_signal: libc::SIGCHLD as u64,
        stack: stack as u64,
        stack_size: STACK_SIZE as u64,
        ..Default::default()
    };
    if let Some(dir) = cgroup_dir {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = dir as u64;
    }
    // Module docs: no handler may run in the child before its first step.
    // SAFETY: sigset_t is plain old data initialised by sigfillset.
    let mut all: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    let mut old: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: valid pointers to our own stack variables.
    unsafe {
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut old);
    }
    let ctx_ptr: *mut Ctx<'_> = ctx;
    // SAFETY: see `raw_clone3`.
    let r = unsafe { raw_clone3(&args, ctx_ptr.cast()) };
    // SAFETY: restoring the mask saved above.
    unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut()) };
    if r < 0 {
        Err(-r as c_int)
    } else {
        Ok((r as pid_t, pidfd))
    }
}

/// `clone3(args)`; in the child, calls [`child_entry`]`(arg)` on the new
/// stack and never comes back here. Returns the child's PID or `-errno`.
///
/// # Safety
///
/// `args` must ask for `CLONE_VM | CLONE_VFORK` with a valid stack, and
/// `arg` must point to a `Ctx` that stays valid while the child runs (it
/// does: the caller is suspended until the child execs or exits).
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
