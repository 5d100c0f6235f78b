//! `vigil daemon` / `vigild`: the manager process.
//!
//! Start-up, in order, each step failing loudly with what it tried:
//!
//! 1. work out the state directory ([`crate::rundir`]) and create it;
//! 2. take the manager lock (`flock` on `lock`): exactly one manager per
//!    root and scope, so a second `vigil daemon` — or two CLIs auto-starting
//!    at once — fails cleanly instead of stealing the control socket;
//! 3. bind the control socket (mode 0666: anyone may connect and read
//!    state; what a peer may change is decided per request from its
//!    `SO_PEERCRED`);
//! 4. become a child subreaper (`PR_SET_CHILD_SUBREAPER`) unless we are
//!    PID 1, so double-forking daemons stay our children to reap;
//! 5. block the signals we handle and read them through a signalfd in the
//!    one-threaded event loop ([`event_loop`]).

mod boot;
mod bus;
mod clock_watch;
pub(crate) mod cgroup;
mod control;
mod event_loop;
mod finish;
mod journal_link;
mod leftovers;
mod manager;
mod mountinfo;
mod notify;
pub(crate) mod sockets;

use std::fs::File;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixListener;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Parser;

use crate::rundir::RunDir;
use crate::startup::ReadyPipe;

#[derive(Parser, Debug)]
#[command(name = "vigild", about = "The vigil service manager (runs in the foreground)")]
struct Args {
    /// Manage the units of this root directory; all state lives under it.
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// Run as a user's manager.
    #[arg(long, conflicts_with = "system")]
    user: bool,
    /// Run as the system manager (default).
    #[arg(long)]
    system: bool,
    /// Start a unit (and what it pulls in) once running: boot.
    #[arg(long)]
    boot: bool,
    /// The unit to boot into (with --boot or as init).
    #[arg(long, value_name = "UNIT", default_value = "default.target")]
    unit: String,
    /// Run as init: early boot (API file systems when PID 1, machine id,
    /// /run/systemd/system, generators), then boot --unit.
    #[arg(long, hide = true)]
    init: bool,
    /// Write "READY" (or the start-up error) to this inherited descriptor
    /// once the control socket accepts connections, then close it. Used by
    /// the CLI's auto-start.
    #[arg(long, value_name = "FD", hide = true)]
    ready_fd: Option<i32>,
}

pub fn main(args: Vec<String>) -> u8 {
    // A long-lived process: only the code it runs stays mapped.
    crate::resident::code_on_demand();
    // A bug that panics must not end PID 1 (the kernel would panic; the
    // release build aborts on panic): say it, then freeze, reaping, as
    // systemd's crash handler does.
    if std::process::id() == 1 {
        let report = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            report(info);
            freeze();
        }));
    }
    let args: Args = match crate::parse_args(&args) {
        Ok(a) => a,
        Err(code) => return code,
    };
    let mut ready = args.ready_fd.and_then(ReadyPipe::adopt);
    match run(&args, &mut ready) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("vigild: {e:#}");
            if let Some(r) = ready.take() {
                r.tell(&format!("{e:#}"));
            }
            if std::process::id() == 1 {
                freeze();
            }
            1
        }
    }
}

/// PID 1 must not exit on an error (the kernel would panic, a container
/// would vanish without a trace): say so and keep reaping, as systemd's
/// `freeze()` does.
pub(super) fn freeze() -> ! {
    eprintln!("vigil: freezing execution as PID 1.");
    loop {
        let _ = exec::reap_all(|_, _| {});
        // SAFETY: pause(2) has no preconditions.
        unsafe { libc::pause() };
    }
}

/// `vigil init`: the manager as init on `/`.
pub fn init_main(mut args: Vec<String>) -> u8 {
    args.insert(1, "--init".to_string());
    main(args)
}

fn run(args: &Args, ready: &mut Option<ReadyPipe>) -> Result<u8> {
    let mut boot_times = manager::show_manager::BootTimes { userspace: manager::props::Instant2::now(), ..Default::default() };
    if args.init && std::process::id() == 1 {
        // Before the state directory under /run and the first socket
        // (boot.rs, step 1).
        boot::mount_api_filesystems();
        if !args.user {
            boot::raise_dgram_qlen();
        }
    }
    // glibc's malloc cache kept small (`malloc_cache.rs`), before
    // anything else is set up.
    crate::malloc_cache::reexec_manager(ready.as_ref().map(ReadyPipe::fd));
    let rundir = RunDir::new(args.root.as_deref(), args.user)?;
    std::fs::create_dir_all(&rundir.dir)
        .with_context(|| format!("creating state directory {}", rundir.dir.display()))?;
    let lock = take_lock(&rundir)?;
    // Before anything starts: stop what a crashed predecessor left.
    let cleaned = leftovers::clean_up(&rundir.dir);
    event_loop::block_signals()?;
    let listener = bind_control(&rundir)?;
    if std::process::id() != 1 {
        // SAFETY: plain prctl with integer arguments.
        let r = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
        if r != 0 {
            bail!("PR_SET_CHILD_SUBREAPER: {}", std::io::Error::last_os_error());
        }
    }
    let notify_path = rundir.dir.join("notify");
    let _ = std::fs::remove_file(&notify_path);
    let notify = std::os::unix::net::UnixDatagram::bind(&notify_path)
        .with_context(|| format!("binding {}", notify_path.display()))?;
    nix::sys::socket::setsockopt(&notify, nix::sys::socket::sockopt::PassCred, &true)?;
    notify.set_nonblocking(true)?;
    std::fs::set_permissions(&notify_path, std::fs::Permissions::from_mode(0o666))?;
    let scope = if rundir.user { unit::Scope::User } else { unit::Scope::System };
    if args.init {
        boot::ensure_machine_id(&rundir.root);
        boot::mark_booted(&rundir.root);
    }
    let lookup = match scope {
        unit::Scope::User => unit::LookupPaths::user(&rundir.root, &unit::paths::UserEnv::from_env()),
        _ => unit::LookupPaths::system(&rundir.root),
    };
    let (uid, gid) = (nix::unistd::getuid().as_raw(), nix::unistd::getgid().as_raw());
    let host = unit::specifier::Host::detect(&rundir.root, scope, uid, gid);
    let journal_on = std::env::var("VIGIL_JOURNAL").as_deref() != Ok("off");
    if args.init && scope == unit::Scope::System {
        if journal_on && rundir.root == std::path::Path::new("/") {
            boot::journal_stands_in(&crate::journald::SocketPaths::new(&rundir).dir);
        }
        boot_times.generators_start = manager::props::Instant2::now();
        boot::run_generators(&lookup);
        boot_times.generators_finish = manager::props::Instant2::now();
        boot::apply_tmpfiles(&rundir.root);
    }
    let mut loader = unit::config::Loader::new(lookup, host);
    loader.builtin_targets = true;
    // VIGIL_CGROUPS=off forces the process-tree fallback (tests of hosts
    // without a writable cgroup v2 hierarchy).
    let cgroups = if std::env::var("VIGIL_CGROUPS").as_deref() == Ok("off") {
        cgroup::Cgroups::disabled()
    } else {
        cgroup::Cgroups::detect()
    };
    // Degrade visibly: without a writable cgroup v2 hierarchy (an
    // unprivileged container, a read-only /sys/fs/cgroup) processes are
    // tracked through the process tree under our subreaper instead.
    if cgroups.swept() > 0 {
        eprintln!("Removed {} empty cgroups left by managers that are gone.", cgroups.swept());
    }
    match cgroups.base() {
        Some(b) => eprintln!("Using cgroup {} for unit processes.", b.display()),
        None => eprintln!(
            "No writable cgroup v2 hierarchy: unit processes are tracked through the process tree; \
             resource limits and cgroup-based kills are not available."
        ),
    }
    // The journal first, as systemd starts journald before any unit; it
    // starts while the manager loads them (journal_link.rs, "Start-up").
    // VIGIL_JOURNAL=off keeps service output on the manager's console.
    let mut journal = journal_link::JournalLink::new(&rundir);
    if journal_on {
        journal.start();
    }
    let recorder = leftovers::Recorder::start(&rundir.dir, cgroups.base());
    let mut manager = manager::Manager::new(loader, notify_path.clone(), cgroups, journal);
    manager.boot = boot_times;
    if let Some(c) = &cleaned {
        manager.console(&c.message());
    }
    match recorder {
        Ok(r) => manager.recorder = Some(r),
        Err(e) => eprintln!(
            "Cannot write {}: {e}; processes left by a crash of this manager will not be cleaned up at its next start.",
            leftovers::record_path(&rundir.dir).display()
        ),
    }
    let mut el = event_loop::EventLoop::new(listener, notify, manager)?;
    if let Some(r) = ready.take() {
        // Whoever started us may read the journal once told: it listens
        // first, as when the manager waited for it at once
        // (journal_link.rs, "Start-up").
        el.manager.journal.wait_ready();
        r.tell("READY");
    }
    if args.boot || args.init {
        el.boot(&args.unit);
    } else {
        // Nothing to start: finished as soon as it runs.
        el.manager.boot.finish = manager::props::Instant2::now();
    }
    let ending = el.run()?;
    el.stop_journal();
    let _ = std::fs::remove_file(rundir.control());
    let _ = std::fs::remove_file(&notify_path);
    // Every unit is down and the journal has stopped: what the loop still
    // holds is memory and descriptors, which the process's exit releases
    // at once. Freeing the tables of 1000 units one by one was 18 M
    // instructions of the manager's exit (callgrind, `--phase stop`).
    std::mem::forget(el);
    drop(lock);
    // A machine's PID 1 halts, powers off or reboots here; never returns.
    finish::finish(ending);
    Ok(ending.code)
}

/// One manager per root and scope.
fn take_lock(rundir: &RunDir) -> Result<File> {
    crate::startup::take_lock(&rundir.lock(), "a manager", &rundir.root)
}

fn bind_control(rundir: &RunDir) -> Result<UnixListener> {
    let path = rundir.control();
    // We hold the lock: a socket file left here belongs to a dead manager.
    match std::fs::remove_file(&path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("removing stale {}", path.display())),
    }
    let l = UnixListener::bind(&path).with_context(|| format!("binding {}", path.display()))?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666))?;
    l.set_nonblocking(true)?;
    Ok(l)
}
