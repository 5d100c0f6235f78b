//! `vigil journald` / `systemd-journald`: the journal daemon.
//!
//! A process of its own (DESIGN.md, "Journal process"): the manager starts
//! it first and connects services to it, so the manager never blocks on a
//! disk and a journal problem cannot take the manager down. One thread, one
//! epoll loop ([`server`]), like the manager. It receives log messages on
//! three sockets, turns each into a journal entry with trusted fields
//! taken from the kernel, rate-limits per unit, and appends to systemd's
//! journal file format through the `journal` crate ([`storage`]).
//!
//! # Contract with the manager (and anyone else)
//!
//! **Start.** `vigil journald [--root=DIR] [--user] [--manager-pid=PID]
//! [--ready-fd=FD]` (also started as `systemd-journald`). It writes
//! `READY\n` to FD once all sockets listen (or its start-up error, one
//! line, then exits 1) — the same convention as the manager's own
//! `--ready-fd`. A second daemon for the same root/scope exits 1 with
//! "already running". SIGTERM/SIGINT: pending "Suppressed" notes are
//! written, files are synced and marked OFFLINE, sockets removed, exit 0.
//! SIGUSR1 syncs (marks files OFFLINE), SIGUSR2 rotates.
//!
//! **Sockets**, in `STATE/journal/` where STATE is the manager's state
//! directory ([`crate::rundir`]: `ROOT/run/vigil`, `/run/vigil`,
//! `$XDG_RUNTIME_DIR/vigil`), all mode 0666:
//!
//! | socket   | type     | protocol |
//! |----------|----------|----------|
//! | `stdout` | stream   | systemd's stdout stream protocol ([`stream`]) |
//! | `socket` | datagram | native protocol, `sd_journal_sendv(3)` ([`native`]), plus fd passing |
//! | `dev-log`| datagram | syslog, RFC 3164 as journald reads it ([`syslog`]) |
//!
//! **Service output.** For each service the manager connects a stream
//! socket to `stdout` itself, sends the 7-line header and hands the socket
//! to the service as stdout/stderr:
//!
//! ```text
//! IDENTIFIER\n          SyslogIdentifier= (or the executable's name); may be empty
//! UNIT [INVOCATION]\n   the unit name, optionally a blank and its 32-hex invocation id
//! PRIORITY\n            e.g. 30 (daemon.info): SyslogFacility= * 8 + SyslogLevel=
//! LEVEL_PREFIX\n        1 or 0: SyslogLevelPrefix=
//! 0\n0\n0\n             forward to syslog / kmsg / console (ignored)
//! ```
//!
//! **Trust rule** (DESIGN.md: attribution from peer credentials, never
//! from what a client claims). The unit line is believed only when the
//! connecting peer (`SO_PEERCRED` at connect) *is the manager*: its pid
//! equals `--manager-pid` and its uid is 0 or the daemon's own uid. Then
//! every line of the stream gets `_SYSTEMD_UNIT=` (in `--user` mode
//! `_SYSTEMD_USER_UNIT=`) and `_SYSTEMD_INVOCATION_ID=`. Otherwise the
//! unit line is ignored and the unit comes from the writing process: a
//! registration (below) for its pid, else its control group
//! (`/proc/PID/cgroup`, `…/NAME.service`), else none. `_PID`, `_UID`,
//! `_GID`, `_COMM`, `_EXE`, `_CMDLINE` always describe the process that
//! wrote the bytes (`SCM_CREDENTIALS` on every read), so a service writing
//! to a stream its manager opened shows as itself.
//!
//! **Registration.** The manager may send a datagram to `socket`:
//!
//! ```text
//! _VIGIL_REGISTER_PID=1234
//! _SYSTEMD_UNIT=web.service
//! _SYSTEMD_INVOCATION_ID=0123456789abcdef0123456789abcdef   (optional)
//! ```
//!
//! and later `_VIGIL_FORGET_PID=1234` when the process is gone. Syslog and
//! native messages from a registered pid are attributed to that unit.
//! Honoured only from the manager's pid (same rule as above); from anyone
//! else it is reported on stderr and ignored. The map is bounded
//! ([`context::REGISTRY_MAX`]).
//!
//! **Storage**: see [`storage`] (`Storage=auto`: `ROOT/var/log/journal`
//! if it exists, else `ROOT/run/log/journal`; `MACHINE-ID/system.journal`).
//! Configuration: `ROOT/etc/systemd/journald.conf` and drop-ins
//! ([`config`]). Rate limiting: [`ratelimit`].
//!
//! **Not here**: forwarding to syslog/kmsg/console/wall, reading
//! `/dev/kmsg` and audit, compression and sealing, the varlink
//! interface, restoring streams across a journal daemon restart (a
//! service's stream dies with the daemon; the manager would reconnect).
//!
//! **Robustness.** Bad headers, malformed datagrams and unreadable passed
//! files are reported on stderr with the sender's pid and ignored; the
//! daemon exits only on SIGTERM/SIGINT or a start-up failure.
//!
//! **Scheduling.** The daemon runs as `SCHED_BATCH` ([`batch_scheduling`]):
//! its wake-ups (a stream hanging up as its service exits, each line the
//! manager logs) do not preempt the exiting service, the manager or a
//! service on its way to `exec`.

pub mod config;
pub mod context;
mod dispatch;
mod forward;
mod names;
pub mod native;
pub mod ratelimit;
mod recv;
mod server;
mod slab;
pub mod storage;
pub mod stream;
pub mod syslog;

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Parser;

use crate::rundir::RunDir;
use crate::startup::ReadyPipe;

#[derive(Parser, Debug)]
#[command(
    name = "systemd-journald",
    about = "The vigil journal daemon (runs in the foreground)"
)]
struct Args {
    /// Keep the journal of this root directory: sockets, configuration and
    /// files all live under it.
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// Serve a user's manager (files named user-UID.journal).
    #[arg(long)]
    user: bool,
    /// The manager's pid: only this process may name the unit of a stream
    /// or register pids.
    #[arg(long, value_name = "PID")]
    manager_pid: Option<i32>,
    /// Write "READY" (or the start-up error) to this inherited descriptor
    /// once the sockets listen, then close it.
    #[arg(long, value_name = "FD")]
    ready_fd: Option<i32>,
}

/// Paths of the daemon's sockets for a state directory.
pub struct SocketPaths {
    pub dir: PathBuf,
    pub stdout: PathBuf,
    pub native: PathBuf,
    pub syslog: PathBuf,
}

impl SocketPaths {
    pub fn new(rundir: &RunDir) -> SocketPaths {
        let dir = rundir.dir.join("journal");
        SocketPaths {
            stdout: dir.join("stdout"),
            native: dir.join("socket"),
            syslog: dir.join("dev-log"),
            dir,
        }
    }
}

pub fn main(args: Vec<String>) -> u8 {
    // A long-lived process: only the code it runs stays mapped.
    crate::resident::code_on_demand();
    fixed_mmap_threshold();
    batch_scheduling();
    let args: Args = match crate::parse_args(&args) {
        Ok(a) => a,
        Err(code) => return code,
    };
    let mut ready = args.ready_fd.and_then(ReadyPipe::adopt);
    match run(&args, &mut ready) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("journald: {e:#}");
            if let Some(r) = ready.take() {
                r.tell(&format!("{e:#}"));
            }
            1
        }
    }
}

fn run(args: &Args, ready: &mut Option<ReadyPipe>) -> Result<u8> {
    let rundir = RunDir::new(args.root.as_deref(), args.user)?;
    let paths = SocketPaths::new(&rundir);
    std::fs::create_dir_all(&paths.dir)
        .with_context(|| format!("creating {}", paths.dir.display()))?;
    let _lock = take_lock(&paths)?;
    let (config, warnings) = config::load(&rundir.root);
    for w in warnings {
        eprintln!("journald: {w}");
    }
    let storage = storage::Storage::open(&rundir.root, args.user, &paths.dir, &config)?;
    raise_fd_limit();
    let forward_to_syslog = config.forward_to_syslog && !args.user;
    let mut server = server::Server::new(&paths, config, storage, args.manager_pid, args.user)?;
    if forward_to_syslog {
        server.forward_to_syslog(unit::paths::in_root(&rundir.root, std::path::Path::new("/run/systemd/journal/syslog")));
    }
    if let Some(r) = ready.take() {
        r.tell("READY");
    }
    server.run()?;
    for p in [&paths.stdout, &paths.native, &paths.syslog] {
        let _ = std::fs::remove_file(p);
    }
    Ok(0)
}

/// One daemon per root and scope: an exclusive `flock` held for our life.
fn take_lock(paths: &SocketPaths) -> Result<std::fs::File> {
    crate::startup::take_lock(&paths.dir.join("lock"), "a journal daemon", &paths.dir)
}

/// Large buffers get mappings of their own, always (`mallopt(3)`,
/// `M_MMAP_THRESHOLD`). glibc starts with a 128 KiB threshold but raises
/// it to the size of each mapped buffer freed, so after the first big
/// write batch the writer's tables (the hash table mirror, 140 KiB at 1000
/// units) and later batches land in the heap, between small long-lived
/// allocations (a thousand streams), where their pages stay resident after
/// they are freed: `malloc_trim` only returns pages that no live chunk
/// touches. A fixed threshold returns every large buffer to the kernel
/// when it is freed; the price is a fresh mapping per large batch, a few
/// system calls for up to 1024 entries.
fn fixed_mmap_threshold() {
    #[cfg(target_env = "gnu")]
    // SAFETY: mallopt only changes allocator parameters; 128 KiB is
    // glibc's own default value, made fixed.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

/// `SCHED_BATCH` (`sched(7)`): the same share of the CPU as any nice-0
/// process, but waking up never preempts the task running on that CPU; the
/// daemon runs when that task sleeps, at the next tick, or on an idle CPU.
/// The journal wakes on every service's exit (its stream hangs up, before
/// the manager hears `SIGCHLD`) and on every line the manager logs; as a
/// normal task it preempted the dying process, then the manager between the
/// reap and the spawn of a `RestartSec=0` restart, then the new process
/// before its exec (`bench/restart_sched.py`: 16–26 preemptions in 12
/// restarts, 0–1 with `SCHED_BATCH`). Nothing waits for it in a way the
/// delay could hurt: the manager's sends never block (held messages,
/// `daemon/journal_link.rs`), writers that fill a stream or a datagram
/// queue block and so let it run. A failure is ignored: it only costs the
/// latency above.
fn batch_scheduling() {
    let param = libc::sched_param { sched_priority: 0 };
    // SAFETY: sched_setscheduler on the calling thread (pid 0; the daemon
    // has one) with a valid, initialised parameter; SCHED_BATCH takes
    // priority 0.
    unsafe {
        libc::sched_setscheduler(0, libc::SCHED_BATCH, &param);
    }
}

/// Many services mean many streams: use the hard descriptor limit.
fn raise_fd_limit() {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    if let Ok((_, hard)) = getrlimit(Resource::RLIMIT_NOFILE) {
        let _ = setrlimit(Resource::RLIMIT_NOFILE, hard.min(1 << 20), hard);
    }
}

#[cfg(test)]
mod tests {
    /// The policy is per thread (`sched_setscheduler(2)`, pid 0): asked in
    /// a thread of its own, so the test harness's threads keep theirs.
    #[test]
    fn the_daemon_runs_as_sched_batch() {
        let policy = std::thread::spawn(|| {
            super::batch_scheduling();
            // SAFETY: sched_getscheduler of the calling thread.
            unsafe { libc::sched_getscheduler(0) }
        })
        .join()
        .unwrap();
        assert_eq!(policy, libc::SCHED_BATCH);
    }
}
