//! glibc's per-thread malloc cache, kept small in the two long-lived
//! processes: the manager and its journal.
//!
//! glibc keeps up to 7 freed chunks of every size up to 1032 bytes in a
//! per-thread cache (the "tcache") that neither coalesces them nor gives
//! them back: to `malloc_trim(3)` they are still in use, so each one holds
//! the page it lies on. Both processes trim their heap once a burst of work
//! is over (the manager after its boot, `daemon/event_loop.rs`; the journal
//! once input stops), and what the cache holds then are the last chunks
//! the burst freed, scattered over pages that hold nothing else by then:
//!
//! - the manager, at a boot of 1000 services: the spawn burst's exec plans,
//!   environment blocks and queued journal lines, holding ~380 kB of its
//!   3.3 MB heap (`bench/mem.sh 1000`: heap 3296 → 2920 kB with the
//!   setting below, 2848 with no cache at all);
//! - the journal process, after the same boot: 300 chunks, 126 KiB, half
//!   of its idle heap (276 → 120 KiB).
//!
//! Both run with `glibc.malloc.tcache_max=128` ([`TUNABLE`]): chunks of up
//! to 128 bytes, most of their allocations, keep the cache's fast path;
//! the larger ones go through the arena's bins. Instructions, by callgrind:
//! the manager's boot of 300 services +1.6 % and its stop −6 %
//! (`bench/profile.py OUT 300 --tool callgrind`); the journal +1.9 % per
//! stored line (`bench/journald_ingest.py`). With no cache at all the
//! manager's boot took 8 % more, for 70 kB.
//!
//! glibc reads its tunables from the environment only, when a program
//! starts (`GLIBC_TUNABLES`, `ld.so(8)` "Tunables"); no call changes them
//! later. The manager starts the journal with the setting in its
//! environment; for itself, it executes its own binary again, once, at
//! start-up ([`reexec_manager`]), then puts back the environment it was
//! given, so that services, generators and `show-environment` see exactly
//! that. A `GLIBC_TUNABLES` that already chooses a size for the cache is
//! the administrator's, and is left as it is. (`/proc/PID/environ` shows
//! what a process was executed with: for the manager, the second
//! execution's environment, with `GLIBC_TUNABLES` and the variable that
//! carries the given one across, [`WAS`].)

use std::ffi::{OsStr, OsString};
use std::os::fd::RawFd;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::process::CommandExt;

/// The tunable the manager and the journal run with (module essay).
pub const TUNABLE: &str = "glibc.malloc.tcache_max=128";

const VAR: &str = "GLIBC_TUNABLES";

/// Set only across the manager's re-execution: what `GLIBC_TUNABLES` was
/// before it (`-` when it was not set, `=` and the value when it was).
const WAS: &str = "VIGIL_GLIBC_TUNABLES_WAS";

/// `GLIBC_TUNABLES` with [`TUNABLE`] appended to `given` (colon-separated
/// `name=value` pairs), or `None` when `given` already chooses a size for
/// the cache (`tcache_max` or `tcache_count`).
pub fn with_tunable(given: Option<&[u8]>) -> Option<Vec<u8>> {
    match given {
        None | Some([]) => Some(TUNABLE.as_bytes().to_vec()),
        Some(t) => {
            let chosen = t.split(|&b| b == b':').any(|pair| {
                pair.starts_with(b"glibc.malloc.tcache_max=") || pair.starts_with(b"glibc.malloc.tcache_count=")
            });
            (!chosen).then(|| [t, b":", TUNABLE.as_bytes()].concat())
        }
    }
}

/// The manager, at start-up, before anything else is set up: execute its
/// binary again ([`exec_path`]) with [`TUNABLE`] in `GLIBC_TUNABLES` (module
/// essay), keeping `ready_fd` (the start-up pipe, otherwise
/// close-on-exec) open across. In the process that results, which comes
/// back here, put the environment back as it was and return. Also
/// returns when the tunable is chosen already, under valgrind (its tools
/// follow an exec only with `--trace-children=yes`: the profile would
/// lose the manager), and when the exec fails, said on stderr: the
/// manager then runs with glibc's default cache, which costs memory,
/// nothing else.
pub fn reexec_manager(ready_fd: Option<RawFd>) {
    if let Some(was) = std::env::var_os(WAS) {
        std::env::remove_var(WAS);
        match was.as_bytes().split_first() {
            Some((b'=', value)) => std::env::set_var(VAR, OsStr::from_bytes(value)),
            _ => std::env::remove_var(VAR),
        }
        return;
    }
    if std::env::var_os("LD_PRELOAD").is_some_and(|p| p.as_bytes().windows(9).any(|w| w == b"vgpreload")) {
        return;
    }
    let given = std::env::var_os(VAR);
    let Some(value) = with_tunable(given.as_deref().map(OsStrExt::as_bytes)) else { return };
    let was = match &given {
        Some(v) => [b"=", v.as_bytes()].concat(),
        None => b"-".to_vec(),
    };
    let mut args = std::env::args_os();
    let Some(arg0) = args.next() else { return };
    set_cloexec(ready_fd, false);
    let err = std::process::Command::new(exec_path())
        .arg0(arg0)
        .args(args)
        .env(VAR, OsString::from_vec(value))
        .env(WAS, OsString::from_vec(was))
        .exec();
    // Still here: std's exec reset SIGPIPE to its default disposition
    // before trying; the manager ignores it (`main.rs`).
    // SAFETY: signal(2) with a valid signal number and SIG_IGN.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    set_cloexec(ready_fd, true);
    eprintln!("vigild: running with glibc's default malloc cache: executing itself again failed: {err}");
}

/// The path this process was executed under (`AT_EXECFN`, `getauxval(3)`):
/// executed under the same path, the process keeps its name
/// (`/proc/PID/comm` is the path's last part: `vigil`, or `init` for
/// `/sbin/init`; `/proc/self/exe` made it `exe`), its `/proc/PID/exe`
/// and its personality (`argv[0]` is kept as well).
fn exec_path() -> OsString {
    // SAFETY: getauxval has no preconditions; AT_EXECFN, when present,
    // points at a NUL-terminated string on the initial stack, which lives
    // as long as the process.
    let p = unsafe { libc::getauxval(libc::AT_EXECFN) } as *const libc::c_char;
    if p.is_null() {
        return "/proc/self/exe".into();
    }
    // SAFETY: see above.
    OsStr::from_bytes(unsafe { std::ffi::CStr::from_ptr(p) }.to_bytes()).to_os_string()
}

fn set_cloexec(fd: Option<RawFd>, on: bool) {
    if let Some(fd) = fd {
        // SAFETY: fcntl on a descriptor this process owns.
        unsafe { libc::fcntl(fd, libc::F_SETFD, if on { libc::FD_CLOEXEC } else { 0 }) };
    }
}

#[cfg(test)]
mod tests {
    /// The tunable is added to whatever was given, but a cache size chosen
    /// there wins.
    #[test]
    fn the_tunable_is_added_unless_a_cache_size_is_chosen() {
        use super::with_tunable as t;
        assert_eq!(t(None).as_deref(), Some(&b"glibc.malloc.tcache_max=128"[..]));
        assert_eq!(t(Some(b"")).as_deref(), Some(&b"glibc.malloc.tcache_max=128"[..]));
        assert_eq!(t(Some(b"glibc.malloc.check=3")).as_deref(), Some(&b"glibc.malloc.check=3:glibc.malloc.tcache_max=128"[..]));
        assert_eq!(t(Some(b"glibc.malloc.tcache_count=0")), None);
        assert_eq!(t(Some(b"a=1:glibc.malloc.tcache_max=64")), None);
    }
}
