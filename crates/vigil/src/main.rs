//! vigil: one binary, many personalities.
//!
//! The name the binary is started under picks what it is (DESIGN.md, "Fixed
//! interface"): `systemctl`, `journalctl`, `service`, `systemd-analyze`,
//! `vigild`, `systemd-journald`, `halt`/`poweroff`/`reboot`/`shutdown`. Started as `vigil`, the
//! first word that is not an option picks the personality (`vigil analyze
//! …`, `vigil verify …`), and any other word is a `systemctl` verb, so
//! `vigil --root=DIR list-unit-files` works like
//! `systemctl --root=DIR list-unit-files`.
//!
//! Each personality module returns an exit code; errors are printed by the
//! personality itself in the shape the real tool prints them, because
//! scripts parse those messages.
//!
//! Start-up is kept lean because `systemctl is-active x` in a loop is a
//! benchmark of its own (issue 8: a control round trip within 1 ms). The
//! binary has its own C `main` instead of std's `lang_start`: std's
//! runtime set-up finds the main thread's stack guard with
//! `pthread_getattr_np()`, which reads and `sscanf`s `/proc/self/maps`
//! (~96 k instructions, a fifth of an `is-active`), and installs a
//! SIGSEGV handler on an alternate stack for the "has overflowed its
//! stack" message. What of that set-up matters is done here instead:
//! closed standard descriptors are pointed at `/dev/null` (so a file
//! opened later cannot become our stderr), SIGPIPE is ignored by the
//! manager personalities (as std did) and left at its default by the
//! CLIs (as C tools do), and stdout is flushed before returning. The
//! arguments still reach `std::env::args()` (std records them from
//! `.init_array` on glibc). A stack overflow is then a plain SIGSEGV.

#![cfg_attr(not(test), no_main)]

mod analyze;
mod ctl;
mod daemon;
mod journalctl;
mod journald;
mod malloc_cache;
mod personality;
mod random;
mod resident;
mod rundir;
mod self_install;
mod service;
mod startup;

use personality::Personality;

/// Parse a personality's arguments with clap; on `--help`/`--version` or
/// an error, print what clap says and give the exit code (0 or 2).
pub(crate) fn parse_args<T: clap::Parser>(args: &[String]) -> Result<T, u8> {
    T::try_parse_from(args).map_err(|e| {
        let _ = e.print();
        if e.use_stderr() {
            2
        } else {
            0
        }
    })
}

/// The process entry point (see the module essay for why not std's).
#[cfg(not(test))]
#[no_mangle]
extern "C" fn main(_argc: libc::c_int, _argv: *const *const libc::c_char) -> libc::c_int {
    sanitize_standard_fds();
    let code = run();
    // std's runtime flushed stdout on the way out; a `print!` without a
    // newline is still in its buffer.
    let _ = std::io::Write::flush(&mut std::io::stdout());
    libc::c_int::from(code)
}

/// Point closed descriptors 0, 1 and 2 at `/dev/null`, as std's runtime
/// does: one `poll(2)` when all are open.
#[cfg(not(test))]
fn sanitize_standard_fds() {
    let mut fds = [0, 1, 2].map(|fd| libc::pollfd { fd, events: 0, revents: 0 });
    // SAFETY: poll(2) on a local array of three pollfd records.
    while unsafe { libc::poll(fds.as_mut_ptr(), 3, 0) } == -1 {
        if std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return;
        }
    }
    for p in fds {
        if p.revents & libc::POLLNVAL != 0 {
            // SAFETY: open(2) of a constant path; the lowest free
            // descriptor is the closed one.
            if unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) } == -1 {
                std::process::abort();
            }
        }
    }
}

#[cfg_attr(test, allow(dead_code))]
fn run() -> u8 {
    let args: Vec<String> = std::env::args().collect();
    let (personality, rest) = personality::pick(&args);
    let manager = matches!(personality, Personality::Daemon | Personality::Init | Personality::Journald);
    // A CLI whose reader went away (`systemctl status | head`) ends
    // quietly, as C tools do; the manager and the journal ignore SIGPIPE
    // and see EPIPE. SIG_DFL is what exec left (std's runtime, which set
    // SIG_IGN, does not run: see the module essay), but the parent may
    // have left it ignored.
    let disposition = if manager { libc::SIG_IGN } else { libc::SIG_DFL };
    // SAFETY: signal(2) with a valid signal number and SIG_IGN/SIG_DFL.
    unsafe { libc::signal(libc::SIGPIPE, disposition) };
    match personality {
        Personality::Analyze => analyze::main(rest),
        Personality::Ctl => ctl::main(rest),
        Personality::Daemon => daemon::main(rest),
        Personality::Init => daemon::init_main(rest),
        Personality::Service => service::main(rest),
        Personality::Journald => journald::main(rest),
        Personality::Journalctl => journalctl::main(rest),
        Personality::Install => self_install::main(rest),
        Personality::Runlevel => personality::runlevel(rest),
        Personality::Vigil => personality::vigil_help(rest),
    }
}
