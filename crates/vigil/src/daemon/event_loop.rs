//! The manager's one thread: an epoll loop over a signalfd and the control
//! socket (and, as the manager grows, pidfds, timers and the notify
//! socket).
//!
//! Why one thread and plain epoll: the manager forks services directly
//! (forking a multi-threaded process is unsafe), and every state change is
//! then a sequential reaction to one event — no locks, no races between a
//! reaper and a spawner. Nothing in the loop may block: sockets are
//! non-blocking, replies that do not fit the socket buffer wait in a
//! per-connection queue for `EPOLLOUT`.
//!
//! Tokens: `SIGNAL` and `LISTEN` are fixed; each control connection gets
//! its own token from `FIRST_CONN` upwards, never reused within a run.

use std::collections::HashMap;
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::net::{UnixDatagram, UnixListener};

use anyhow::{Context, Result};
use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags, EpollTimeout};
use nix::sys::signal::{SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};

use super::control::{Conn, Flow};
use super::manager::props::Instant2;
use super::manager::{Ending, Manager};
use proto::msg::{JobMode, JobVerb, ShutdownKind};

const SIGNAL: u64 = 0;
/// Signals read per `read(2)` of the signalfd ([`EventLoop::on_signals`]).
const SIGNAL_BATCH: usize = 8;
const LISTEN: u64 = 1;
const NOTIFY: u64 = 2;
const CGROUPS: u64 = 3;
/// The socket units' own epoll (`sockets/`).
const SOCKETS: u64 = 4;
/// Exec reports of children forked but not yet exec'd (`manager/spawn.rs`).
const SPAWNS: u64 = 5;
/// The D-Bus connection of `Type=dbus` units (`manager/bus_watch.rs`).
const BUS: u64 = 6;
/// Room again in the journal's queue for the manager's messages
/// (`journal_link.rs`, "Held messages").
const JOURNAL: u64 = 7;
/// The wall clock was set; the time zone changed (`clock_watch.rs`).
const CLOCK: u64 = 8;
const ZONE: u64 = 9;
const FIRST_CONN: u64 = 16;

/// How long queued messages wait at most before the loop tries the
/// journal's socket again without being told it has room.
const JOURNAL_RETRY_MS: u64 = 10;

/// How long the full reap a `SIGCHLD` owes may wait for a child spawned
/// without waiting to reach its exec ([`EventLoop::sweep_now`]).
const SWEEP_DEFER_MAX_USEC: u64 = 5_000;

/// How long the loop stays without a control request before it gives
/// back what serving the last ones brought in, and how long after other
/// work (a restart, a timer's service) it gives back what that ran
/// ([`EventLoop::release_due`]).
const IDLE_RELEASE_USEC: u64 = 10_000_000;

/// How long after the boot's end the manager gives back memory once more
/// ([`EventLoop::release_due`]). The release at the boot's end comes as
/// soon as the last job is done, its lines are out and its children are
/// settled; in about one boot of 100 units in two, ~400 kB of heap were
/// still in use then and freed just after, so they stayed resident for
/// good (daemon `RssAnon` 1.14 MB against 0.73; a later release brought
/// it back to 0.74, session 16). The code the manager ran after the
/// first drop goes again too.
const AFTER_BOOT_RELEASE_USEC: u64 = 1_000_000;

pub struct EventLoop {
    epoll: Epoll,
    sigfd: SignalFd,
    listener: UnixListener,
    conns: HashMap<u64, Conn>,
    next_token: u64,
    notify: UnixDatagram,
    pub(super) manager: Manager,
    /// Jobs a client waits for: job id → connection token.
    pub(super) waiters: HashMap<u32, u64>,
    /// SIGINT arrivals within the last [`CAD_BURST_WINDOW_USEC`]
    /// (`systemd(1)`: pressed too often, Ctrl-Alt-Del reboots at once).
    cad_presses: Vec<u64>,
    /// From `boot()` until the job queue first runs empty: what
    /// `is-system-running` calls "starting" (systemd's MANAGER_STARTING;
    /// `docker stop` right after a premature "running" interrupted units
    /// still starting).
    pub(super) booting: bool,
    /// Whether the journal's socket is in the epoll with `EPOLLOUT`: only
    /// while messages wait for room ([`EventLoop::watch_journal_room`]).
    journal_room_watched: bool,
    /// Sets of the wall clock and changes of the time zone, for timers.
    clock: super::clock_watch::ClockWatch,
    /// A `SIGCHLD` was read: the full reap is owed, since this time
    /// (`Manager::now`, µs; [`EventLoop::reap_signalled`],
    /// [`EventLoop::sweep_now`]).
    sweep_owed: Option<u64>,
    /// When [`release_free_memory`] is next due (`Manager::now`, µs;
    /// [`EventLoop::release_due`]): a while after the last control request
    /// or after other work, or a second after the boot's end.
    release_at: Option<u64>,
}

/// `SIGRTMIN+n` as the kernel numbers it (glibc reserves the first two).
fn rtmin(n: i32) -> i32 {
    libc::SIGRTMIN() + n
}

/// More SIGINTs than this within [`CAD_BURST_WINDOW_USEC`] reboot at once.
const CAD_BURST: usize = 7;
const CAD_BURST_WINDOW_USEC: u64 = 2_000_000;

/// What a real-time signal asks of the manager.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RtSignal {
    /// Isolate a target (`systemctl isolate`).
    Isolate(&'static str),
    /// End the manager: the kind, and whether at once (`*-immediate`).
    End(ShutdownKind, bool),
}

/// `systemd(1)`, "Signals", by offset from SIGRTMIN. +3…+6 end the
/// manager directly rather than through halt.target and friends: a root
/// with systemd's units would run `systemctl --force halt` from
/// systemd-halt.service, which must not depend on which `systemctl` is
/// first in `PATH` (a container's `docker stop` uses SIGRTMIN+3).
/// kexec is a reboot here (vigil loads no kernel).
fn rt_signal(offset: i32) -> Option<RtSignal> {
    use ShutdownKind as K;
    Some(match offset {
        0 => RtSignal::Isolate("default.target"),
        1 => RtSignal::Isolate("rescue.target"),
        2 => RtSignal::Isolate("emergency.target"),
        3 => RtSignal::End(K::Halt, false),
        4 => RtSignal::End(K::Poweroff, false),
        5 | 6 => RtSignal::End(K::Reboot, false),
        13 => RtSignal::End(K::Halt, true),
        14 => RtSignal::End(K::Poweroff, true),
        15 | 16 => RtSignal::End(K::Reboot, true),
        _ => return None,
    })
}

/// The signals the manager handles itself (`systemd(1)`, "Signals"):
/// SIGCHLD (reap), SIGTERM (stop everything and exit — for a container's
/// PID 1 that is `docker stop`), SIGINT (`ctrl-alt-del.target` in a system
/// manager, as SIGTERM in a user manager), SIGRTMIN+0…+6 and +13…+16
/// ([`rt_signal`]), SIGPWR, SIGHUP (daemon-reload), SIGUSR1/2 (dump),
/// SIGPIPE (a vanished client must not kill us).
fn handled_signals() -> SigSet {
    // SAFETY: sigemptyset/sigaddset on a local, initialised set.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for sig in [libc::SIGCHLD, libc::SIGTERM, libc::SIGINT, libc::SIGHUP, libc::SIGPIPE, libc::SIGPWR, libc::SIGUSR1, libc::SIGUSR2] {
            libc::sigaddset(&mut set, sig);
        }
        for n in (0..=6).chain(13..=16) {
            libc::sigaddset(&mut set, rtmin(n));
        }
        SigSet::from_sigset_t_unchecked(set)
    }
}

/// Block the handled signals (the signalfd reads them). Done before the
/// control socket is bound: a SIGINT or SIGTERM that arrives while the
/// manager starts must wait for the loop, not kill it by its default
/// action (a client can connect from `bind()` on).
pub fn block_signals() -> Result<()> {
    handled_signals().thread_block().context("blocking signals")
}

/// Give the heap pages freed since start-up back to the kernel. Loading
/// and starting every unit at boot can peak above what the manager keeps
/// afterwards, and glibc returns only free memory at the top of the heap
/// by itself; `malloc_trim(0)` also releases free pages in the middle
/// (`malloc_trim(3)`). Once the boot is over, and again when the loop has
/// been idle a while after control requests ([`EventLoop::release_due`]),
/// not per job: it walks the whole heap.
fn release_free_memory() {
    #[cfg(target_env = "gnu")]
    // SAFETY: malloc_trim has no preconditions; the manager has one thread.
    unsafe {
        libc::malloc_trim(0);
    }
    // The code of the boot (loading, the boot transaction), or of the
    // requests served since, likewise (`resident.rs`).
    crate::resident::drop_code();
}

impl EventLoop {
    pub fn new(listener: UnixListener, notify: UnixDatagram, manager: Manager) -> Result<EventLoop> {
        let mask = handled_signals();
        mask.thread_block().context("blocking signals")?;
        let sigfd = SignalFd::with_flags(&mask, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)
            .context("creating signalfd")?;
        // The manager's dispositions are settled (SIGPIPE ignored, the
        // rest as inherited; it installs no handler): a child now resets
        // only the non-default ones, not all 62 (`exec`'s signals step).
        exec::record_signal_dispositions();
        let epoll = Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC).context("creating epoll")?;
        epoll.add(sigfd.as_fd(), EpollEvent::new(EpollFlags::EPOLLIN, SIGNAL))?;
        epoll.add(listener.as_fd(), EpollEvent::new(EpollFlags::EPOLLIN, LISTEN))?;
        epoll.add(notify.as_fd(), EpollEvent::new(EpollFlags::EPOLLIN, NOTIFY))?;
        if let Some(fd) = manager.cgroup_events_fd() {
            epoll.add(fd, EpollEvent::new(EpollFlags::EPOLLIN, CGROUPS))?;
        }
        if let Some(fd) = manager.sockets_fd() {
            epoll.add(fd, EpollEvent::new(EpollFlags::EPOLLIN, SOCKETS))?;
        }
        if let Some(fd) = manager.spawn_reports_fd() {
            epoll.add(fd, EpollEvent::new(EpollFlags::EPOLLIN, SPAWNS))?;
        }
        if let Some(fd) = manager.bus_fd() {
            epoll.add(fd, EpollEvent::new(EpollFlags::EPOLLIN, BUS))?;
        }
        // `EPOLLOUT` is asked for only while messages wait for room
        // (`watch_journal_room`); edge-triggered, as errors are.
        if let Some(fd) = manager.journal.out_fd() {
            epoll.add(fd, EpollEvent::new(EpollFlags::EPOLLET, JOURNAL))?;
        }
        let clock = super::clock_watch::ClockWatch::new();
        if let Some(fd) = clock.clock_fd() {
            epoll.add(fd, EpollEvent::new(EpollFlags::EPOLLIN, CLOCK))?;
        }
        if let Some(fd) = clock.zone_fd() {
            epoll.add(fd, EpollEvent::new(EpollFlags::EPOLLIN, ZONE))?;
        }
        Ok(EventLoop {
            clock,
            notify,
            manager,
            waiters: HashMap::new(),
            epoll,
            sigfd,
            listener,
            conns: HashMap::new(),
            next_token: FIRST_CONN,
            cad_presses: Vec::new(),
            booting: false,
            journal_room_watched: false,
            sweep_owed: None,
            release_at: None,
        })
    }

    /// Stop the journal process, after every unit is down.
    pub fn stop_journal(&mut self) {
        self.manager.journal.stop();
    }

    /// Start the boot unit (`default.target`) and what it pulls in.
    ///
    /// As one turn (`manager/turn.rs`), like a `start` asked for by a
    /// client: the boot's messages ("Started X.", one line on the console
    /// and one datagram to the journal per unit) are held and follow its
    /// spawns. Outside a turn each went out before the next spawn, and
    /// whenever the journal's queue was full the manager waited for the
    /// journal to read — in a 1000-unit boot, two system calls per unit
    /// and a wait on most of them, between one spawn and the next.
    pub fn boot(&mut self, unit: &str) {
        self.booting = true;
        self.manager.begin_turn();
        // Every unit the boot pulls in is loaded, then its transaction
        // built (`Manager::preload`).
        self.manager.boot.units_load_start = Instant2::now();
        self.manager.preload(unit);
        let started = self.manager.job(unit, proto::msg::JobVerb::Start);
        self.manager.boot.units_load_finish = Instant2::now();
        self.manager.end_turn();
        if let Err((_, e)) = started {
            eprintln!("Failed to start {unit}: {e}");
        }
        self.deliver_finished_jobs();
    }

    /// What `is-system-running` answers (`systemctl(1)`).
    pub fn system_state(&self) -> &'static str {
        if self.manager.ending.is_some() {
            "stopping"
        } else if self.booting && !self.manager.no_jobs() {
            "starting"
        } else if self.manager.any_failed() {
            "degraded"
        } else {
            "running"
        }
    }

    /// The boot's last job finished: `FinishTimestamp`, and systemd's
    /// "Startup finished in …." (`manager_notify_finished()`; the time from
    /// the manager's start, as a container's systemd words it — vigil
    /// knows no firmware, loader or kernel times).
    #[inline(never)] // not in the idle loop's code: `EventLoop::run`
    fn boot_finished(&mut self) {
        let now = Instant2::now();
        let boot = &mut self.manager.boot;
        boot.finish = now;
        let usec = now.mono.saturating_sub(boot.userspace.mono);
        let message = format!("Startup finished in {}.", unit::value::time::format_timespan(usec, 1000));
        self.manager.journal.send_id(None, 6, &message, Some(super::manager::STARTUP_FINISHED));
    }

    /// Run until asked to end; returns how (kind and exit status).
    ///
    /// What an idle manager runs is this loop and little else, and the
    /// code pages it touches are its resident code for the machine's
    /// lifetime (`resident.rs`). The release build lays out the functions
    /// the steady state runs together (`scripts/link-hot`), but moves
    /// whole functions: so this one is not inlined into the start-up code
    /// that calls it, and the handlers of what an idle manager does not see
    /// (connections, signals, notifications, stopping everything) are not
    /// inlined into it. Inlined, they made one 55 kB function of it and the
    /// daemon's start-up, all of it mapped by an idle manager.
    #[inline(never)]
    pub fn run(&mut self) -> Result<Ending> {
        let mut events = vec![EpollEvent::empty(); 64];
        let mut stopping = false;
        loop {
            if let Some(ending) = self.manager.ending {
                // `*-immediate` as a machine's PID 1: reboot(2) at once,
                // the kernel ends every process (`finish.rs`).
                if ending.immediate && super::finish::is_machine_init() {
                    return Ok(ending);
                }
                if !stopping {
                    stopping = true;
                    // One turn: every SIGTERM first, then the lines and
                    // checks that follow them (`manager/turn.rs`).
                    self.manager.begin_turn();
                    self.manager.stop_all();
                    self.manager.end_turn();
                    self.deliver_finished_jobs();
                }
                if self.manager.all_down() {
                    break;
                }
            }
            self.manager.spawn_settle_done();
            self.manager.exec_succeeded();
            self.deliver_finished_jobs();
            // Messages queued between turns (`deliver_finished_jobs`…) go
            // as far as there is room; those still waiting for the journal
            // are tried again within JOURNAL_RETRY_MS even if no room is
            // signalled.
            self.manager.journal.pump();
            // After the boot's jobs and its held lines (the boot is one
            // turn, whose "Started X." lines the journal takes as it makes
            // room): compacted while a thousand of them still waited,
            // the heap they leave behind could not be given back. Checked
            // here, before the loop sleeps, not at the end of a turn: the
            // last jobs may finish and the last lines go out just above
            // (`exec_succeeded`, `pump`), and an idle manager might not
            // see another turn for hours.
            if self.booting && self.manager.no_jobs() {
                if self.manager.boot.finish == Instant2::default() {
                    self.boot_finished();
                }
                // And after the children it spawned last are settled and
                // the reap they put off is done: their exec plans, freed
                // after a trim, left pages resident (`bench/mem.sh`).
                if !self.manager.journal.pending() && self.manager.spawn_settle_ms().is_none() && self.sweep_owed.is_none() {
                    self.booting = false;
                    self.manager.compact();
                    release_free_memory();
                    self.owe_release(AFTER_BOOT_RELEASE_USEC);
                }
            }
            let retry = self.manager.journal.pending().then_some(JOURNAL_RETRY_MS);
            self.watch_journal_room(retry.is_some());
            // No-wait children not yet settled are waited for once the
            // loop has been idle a moment (`manager/spawn.rs`).
            let settle = self.manager.spawn_settle_ms();
            // A full reap put off while a child was before its exec
            // (`sweep_now`) is due at once when none is left to wait for.
            let sweep = (self.sweep_owed.is_some() && settle.is_none()).then_some(0);
            let release = self.release_due();
            let soon = [retry, settle, sweep, release].into_iter().flatten().min();
            let timeout = match (self.manager.next_deadline(), soon) {
                (None, None) => EpollTimeout::NONE,
                (at, _) => {
                    let ms = at.map_or(u64::MAX, |at| at.saturating_sub(self.manager.now()).div_ceil(1000));
                    let ms = ms.min(soon.unwrap_or(u64::MAX)).min(60_000);
                    EpollTimeout::try_from(ms as i32).unwrap_or(EpollTimeout::NONE)
                }
            };
            let n = match self.epoll.wait(&mut events, timeout) {
                Ok(n) => n,
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => return Err(e).context("epoll_wait"),
            };
            if n == 0 && settle.is_some() {
                self.manager.spawn_settle_all();
            }
            // Notifications before child exits: a service that sends
            // READY=1 or MAINPID= and exits right after must be seen as
            // having said so first (systemd gives its notify source a
            // higher priority than SIGCHLD for the same reason).
            events[..n].sort_by_key(|ev| match ev.data() {
                NOTIFY => 0,
                SIGNAL => 2,
                _ => 1,
            });
            // Messages and group checks wait for the end of the turn
            // (`manager/turn.rs`): a burst of stops signals back to back.
            self.manager.begin_turn();
            for ev in &events[..n] {
                match ev.data() {
                    SIGNAL => self.on_signals(),
                    LISTEN => self.on_accept(),
                    NOTIFY => self.on_notify(),
                    CGROUPS => self.manager.cgroup_events(),
                    SOCKETS => self.manager.socket_events(),
                    SPAWNS => self.manager.spawn_reports(),
                    BUS => self.manager.bus_events(),
                    JOURNAL => self.manager.journal.pump(),
                    CLOCK => {
                        if self.clock.clock_was_set() {
                            self.manager.timers_time_change(false);
                        }
                    }
                    ZONE => {
                        if self.clock.zone_changed() {
                            self.manager.timers_time_change(true);
                        }
                    }
                    token => self.on_conn(token, ev.events()),
                }
            }
            self.manager.settle_empty_checks();
            self.manager.fire_timers();
            // The full reap the turn's SIGCHLDs owe, once its timers have
            // fired (`reap_signalled`), unless a child just spawned still
            // has to reach its exec (`sweep_now`); what it finds is handled
            // in this turn, timers included.
            if self.sweep_now() && self.reap() > 0 {
                self.manager.settle_empty_checks();
                self.manager.fire_timers();
            }
            self.manager.dispatch_upheld();
            self.manager.end_turn();
            self.deliver_finished_jobs();
            self.manager.collect_garbage();
            if n > 0 && !self.booting {
                self.owe_release_after_work();
            }
        }
        self.manager.cleanup();
        // Flush what we can of the last replies (the `exit` acknowledgement).
        for conn in self.conns.values_mut() {
            conn.flush_blocking();
        }
        Ok(self.manager.ending.unwrap_or(Ending::new(ShutdownKind::Exit, 0)))
    }

    /// Ask for `EPOLLOUT` on the journal's socket while messages wait for
    /// room in its queue, and not otherwise. An edge-triggered `EPOLLOUT`
    /// on a connected datagram socket is not only "room again after a
    /// full queue": the kernel wakes the writer's poll each time the
    /// journal reads a datagram (`unix_dgram_recvmsg` wakes `peer_wait`),
    /// so watched always it woke the manager once or twice for every
    /// message it sent — a restart or an `Accept=yes` connection sends
    /// three or four. Re-armed with `EPOLL_CTL_MOD`, epoll checks the
    /// socket at once (`epoll_ctl(2)`), so room made between the failed
    /// send and this call is still reported.
    fn watch_journal_room(&mut self, want: bool) {
        if want == self.journal_room_watched {
            return;
        }
        let Some(fd) = self.manager.journal.out_fd() else { return };
        let flags = if want { EpollFlags::EPOLLOUT | EpollFlags::EPOLLET } else { EpollFlags::EPOLLET };
        let mut ev = EpollEvent::new(flags, JOURNAL);
        // A failed change leaves the retry timeout (JOURNAL_RETRY_MS) as
        // the way queued messages go out; try again next turn.
        if self.epoll.modify(fd, &mut ev).is_ok() {
            self.journal_room_watched = want;
        }
    }

    /// The signals that arrived, in the order the kernel queued them:
    /// up to [`SIGNAL_BATCH`] per `read(2)`; a read that returns fewer
    /// found the queue empty, so no second read has to say so (EAGAIN):
    /// the signalfd is polled level-triggered, and a signal that came
    /// meanwhile wakes the loop again. A restart's turn made that read
    /// between the reap and the new `clone3`.
    #[inline(never)] // not in the idle loop's code: `EventLoop::run`
    fn on_signals(&mut self) {
        const SIZE: usize = std::mem::size_of::<libc::signalfd_siginfo>();
        loop {
            // SAFETY: signalfd_siginfo is plain old data; all zeroes is valid.
            let mut infos: [libc::signalfd_siginfo; SIGNAL_BATCH] = unsafe { std::mem::zeroed() };
            // SAFETY: read(2) into our own array, at most its size.
            let n = unsafe { libc::read(self.sigfd.as_fd().as_raw_fd(), infos.as_mut_ptr().cast(), SIZE * SIGNAL_BATCH) };
            if n < 0 {
                if nix::errno::Errno::last() == nix::errno::Errno::EINTR {
                    continue;
                }
                break;
            }
            let got = n as usize / SIZE;
            for info in &infos[..got] {
                self.on_signal(info);
            }
            if got < SIGNAL_BATCH {
                break;
            }
        }
    }

    fn on_signal(&mut self, info: &libc::signalfd_siginfo) {
        let signo = info.ssi_signo as i32;
        match Signal::try_from(signo) {
            Ok(Signal::SIGCHLD) => self.reap_signalled(info.ssi_pid),
            Ok(Signal::SIGINT) if self.manager.is_system() => self.ctrl_alt_del(),
            Ok(Signal::SIGTERM) | Ok(Signal::SIGINT) | Ok(Signal::SIGPWR) => {
                // Stop every unit in reverse order, then exit
                // (halt in a container, as `systemctl exit`).
                self.end(ShutdownKind::Exit, false);
            }
            // systemd(1): SIGHUP reloads the configuration.
            Ok(Signal::SIGHUP) => self.manager.daemon_reload(),
            // systemd(1): SIGUSR2 dumps the manager's state to
            // the log. (SIGUSR1 asks systemd to reconnect to
            // D-Bus; vigil has no bus, so it dumps too.)
            Ok(Signal::SIGUSR2) | Ok(Signal::SIGUSR1) => self.manager.dump(),
            _ => match rt_signal(signo - libc::SIGRTMIN()) {
                Some(RtSignal::Isolate(target)) => self.start_on_signal(target, JobMode::Isolate),
                Some(RtSignal::End(kind, immediate)) => self.end(kind, immediate),
                // SIGPIPE is only kept from killing us.
                None => {}
            },
        }
    }

    /// End the manager with the exit status actions may have set.
    fn end(&mut self, kind: ShutdownKind, immediate: bool) {
        let code = self.manager.return_value;
        self.manager.request_ending(Ending { kind, code, immediate });
    }

    /// SIGINT to a system manager (`systemd(1)`): start
    /// `ctrl-alt-del.target` (vigil supplies one when the root has none);
    /// more than [`CAD_BURST`] presses within [`CAD_BURST_WINDOW_USEC`]
    /// reboot at once (systemd's default `CtrlAltDelBurstAction=reboot-force`).
    fn ctrl_alt_del(&mut self) {
        let now = self.manager.now();
        self.cad_presses.retain(|&t| now.saturating_sub(t) < CAD_BURST_WINDOW_USEC);
        self.cad_presses.push(now);
        if self.cad_presses.len() > CAD_BURST {
            self.manager.console("Ctrl-Alt-Del was pressed more than 7 times within 2s, rebooting immediately.");
            self.end(ShutdownKind::Reboot, false);
            return;
        }
        self.start_on_signal("ctrl-alt-del.target", JobMode::ReplaceIrreversibly);
    }

    fn start_on_signal(&mut self, target: &str, mode: JobMode) {
        if let Err((_, e)) = self.manager.job_mode(target, JobVerb::Start, mode) {
            self.manager.console(&format!("Failed to enqueue {target} job: {e}"));
        }
        self.deliver_finished_jobs();
    }

    /// Reap every exited child (`waitid(P_ALL, WEXITED|WNOHANG)` until none
    /// is left, so no zombie survives a coalesced SIGCHLD) and tell the
    /// manager about each as soon as it is reaped. Not all reaped first:
    /// a unit found empty while its other child was already reaped but
    /// not yet reported would take that child (gone from /proc, still
    /// tracked) for one reaped by someone else and report it killed by
    /// SIGTERM (`Manager::unit_emptied`) — a main process and the
    /// `ExecStop=` command that stopped it, exiting together, made the
    /// stop fail with result `signal`.
    #[inline(never)] // not in the idle loop's code: `EventLoop::run`
    fn reap(&mut self) -> usize {
        let manager = &mut self.manager;
        exec::reap_all(|pid, status| {
            manager.child_exited(pid, status);
            // A stop-all reaps 1000 children in one turn: the journal
            // takes the lines meanwhile (`journal_link.rs`).
            manager.journal.pump_between();
        })
        .unwrap_or(0)
    }

    /// A `SIGCHLD` names the child it is about (`ssi_pid`): that child is
    /// reaped and reported at once with `waitid(P_PID)`, which looks up one
    /// pid. `waitid(P_ALL)` walks the manager's whole list of children
    /// instead — with 1000 services about 190 µs per call after 0.3 s of
    /// idle on the 2-vCPU bench VM (`bench/waitid_cost.c`), and a reap
    /// makes two (the one that finds the child, the one that finds no
    /// more), all before a `RestartSec=0` restart could spawn. Signals
    /// coalesce, so other children may have exited unannounced: the full
    /// reap ([`EventLoop::reap`]) still follows every `SIGCHLD`, at the end
    /// of the turn's events and timers — after the restart's spawn — or,
    /// while the spawned child has not reached its exec, in a turn at most
    /// a few milliseconds later ([`EventLoop::sweep_now`]). A child reaped
    /// there comes after the timers that fire in that turn (a timeout
    /// firing at the very moment its process exited was a race before).
    fn reap_signalled(&mut self, pid: u32) {
        if self.sweep_owed.is_none() {
            self.sweep_owed = Some(self.manager.now());
        }
        let Ok(pid) = i32::try_from(pid) else { return };
        // A SIGCHLD sent with kill(2) names its sender, which is reaped
        // only if it is an exited child of ours — as the full reap would.
        if pid > 0 {
            if let Ok(Some(status)) = exec::try_reap(pid) {
                self.manager.child_exited(pid, status);
            }
        }
    }

    /// Whether the full reap a `SIGCHLD` owes ([`EventLoop::reap_signalled`])
    /// runs at the end of this turn. It waits while a child spawned without
    /// waiting ([`Manager::spawn_settle_ms`]) has not reached its exec yet —
    /// the new main process of a `RestartSec=0` restart, spawned in this
    /// turn — for at most [`SWEEP_DEFER_MAX_USEC`]: `waitid(P_ALL)` walks
    /// every child, ~200 µs with 1000 services, and on a busy machine that
    /// walk ran on the CPU the new process was waiting for (tracepoints:
    /// `bench/restart_sched.py`). The loop then wakes
    /// within the settle time (1 ms) or at once when no child is left
    /// before its exec (`run`'s timeout), and the reap follows in that
    /// turn. Only exits whose `SIGCHLD` coalesced with the one read wait:
    /// the child a `SIGCHLD` names is reaped by its pid at once.
    fn sweep_now(&mut self) -> bool {
        let Some(since) = self.sweep_owed else { return false };
        if self.manager.spawn_settle_ms().is_some() && self.manager.now().saturating_sub(since) < SWEEP_DEFER_MAX_USEC {
            return false;
        }
        self.sweep_owed = None;
        true
    }

    /// Give back, once the loop has been [`IDLE_RELEASE_USEC`] without a
    /// control request, what serving the last ones brought in: the code
    /// pages they faulted in (one `is-active` maps ~1.5 MB of the binary
    /// back into a manager of 1000 units, `show` and `list-units` more:
    /// on kernel 6.18 each fault maps a whole 64 KiB run, `resident.rs`)
    /// and the heap their replies grew (`list-units` of 1000 units,
    /// ~0.4 MB). The next request after that pays for faulting its code
    /// back (tens of minor faults); requests that come less than the delay
    /// apart do not. Work no request asked for is given back the same way
    /// ([`EventLoop::owe_release_after_work`]). Returns in how many ms it
    /// is due, if it is owed and not done now; never while booting (the
    /// boot's end releases, and once more [`AFTER_BOOT_RELEASE_USEC`]
    /// later).
    fn release_due(&mut self) -> Option<u64> {
        let due = self.release_at?;
        if self.booting {
            return None;
        }
        let now = self.manager.now();
        if now >= due {
            self.release_at = None;
            release_free_memory();
            return None;
        }
        Some((due - now).div_ceil(1000))
    }

    /// A release is owed `usec` from now, or later if one already is.
    fn owe_release(&mut self, usec: u64) {
        let at = self.manager.now().saturating_add(usec);
        self.release_at = Some(self.release_at.map_or(at, |due| due.max(at)));
    }

    /// The loop handled events after the boot (a service died and
    /// restarted, a timer's service ran, a socket was connected…): the
    /// code that ran and the heap it left are given back
    /// [`IDLE_RELEASE_USEC`] after the first of them, unless a release is
    /// owed already. Twenty
    /// `Restart=` restarts with no control request left 1.3 MB of code
    /// mapped in a manager of 1000 units for good (file PSS 50 kB after
    /// the boot, 1332 kB after, and still 12 s later; session 16). Not put
    /// off by later events, unlike a control request's: a manager that
    /// keeps working (a timer every few seconds) then releases once per
    /// `IDLE_RELEASE_USEC` and faults back what it runs, tens of minor
    /// faults, rather than never.
    fn owe_release_after_work(&mut self) {
        if self.release_at.is_none() {
            self.release_at = Some(self.manager.now().saturating_add(IDLE_RELEASE_USEC));
        }
    }

    /// Datagrams on `NOTIFY_SOCKET`, with the sender's credentials.
    #[inline(never)] // not in the idle loop's code: `EventLoop::run`
    fn on_notify(&mut self) {
        use nix::sys::socket::{recvmsg, ControlMessageOwned, MsgFlags, UnixAddr};
        let mut buf = vec![0u8; super::notify::NOTIFY_BUFFER_MAX + 1];
        loop {
            let mut cmsg = nix::cmsg_space!(libc::ucred, [std::os::fd::RawFd; 16]);
            let mut iov = [std::io::IoSliceMut::new(&mut buf)];
            let r = recvmsg::<UnixAddr>(self.notify.as_raw_fd(), &mut iov, Some(&mut cmsg), MsgFlags::MSG_DONTWAIT | MsgFlags::MSG_CMSG_CLOEXEC | MsgFlags::MSG_TRUNC);
            let msg = match r {
                Ok(m) => m,
                Err(nix::errno::Errno::EAGAIN) => break,
                Err(nix::errno::Errno::EINTR) => continue,
                Err(_) => break,
            };
            let mut pid = None;
            if let Ok(cmsgs) = msg.cmsgs() {
                for c in cmsgs {
                    match c {
                        ControlMessageOwned::ScmCredentials(cred) => pid = Some(cred.pid() as u32),
                        // Descriptors (FDSTORE=1) are not kept yet: close them.
                        ControlMessageOwned::ScmRights(fds) => {
                            for fd in fds {
                                // SAFETY: we own these received descriptors.
                                unsafe { libc::close(fd) };
                            }
                        }
                        _ => {}
                    }
                }
            }
            let len = msg.bytes;
            let Some(pid) = pid else {
                self.manager.journal.console(&["Received notify message without credentials, ignoring."]);
                continue;
            };
            match super::notify::parse(&buf[..len.min(buf.len())]) {
                Ok(n) => {
                    for (line, why) in &n.invalid {
                        self.manager.journal.console(&[&format!("Notify message from PID {pid}: {why}: {line:?}, ignoring.")]);
                    }
                    self.manager.notify(pid, &n);
                }
                Err(e) => self.manager.journal.console(&[&format!("Notify message from PID {pid}: {e}, ignoring.")]),
            }
        }
    }

    /// Tell clients waiting for jobs how they ended.
    fn deliver_finished_jobs(&mut self) {
        let finished = std::mem::take(&mut self.manager.finished);
        // A client told that its job finished finds the manager's lines
        // about it sent (`journal_link.rs`, "Held messages").
        if finished.iter().any(|j| self.waiters.contains_key(&j.id)) {
            self.manager.journal.flush();
        }
        for job in finished {
            let Some(token) = self.waiters.remove(&job.id) else { continue };
            let done_all = !self.waiters.values().any(|t| *t == token);
            if let Some(conn) = self.conns.get_mut(&token) {
                conn.job_finished(&job, done_all);
                if conn.flush() == Flow::Close {
                    self.close(token);
                } else {
                    arm(&self.epoll, conn, token);
                }
            }
        }
    }

    fn close(&mut self, token: u64) {
        if let Some(mut conn) = self.conns.remove(&token) {
            conn.flush_blocking();
            let _ = self.epoll.delete(conn.stream.as_fd());
        }
        self.waiters.retain(|_, t| *t != token);
    }

    /// Accept every pending control connection and answer what each has
    /// already sent: a client writes its `Hello` and first request right
    /// after `connect(2)`, so they are usually queued by the time the
    /// manager runs, and the reply leaves in this turn instead of after
    /// another `epoll_wait` (a control round trip is a benchmark of its
    /// own, issue 8).
    #[inline(never)] // not in the idle loop's code: `EventLoop::run`
    fn on_accept(&mut self) {
        loop {
            match accept_nonblocking(&self.listener) {
                Ok(stream) => {
                    let token = self.next_token;
                    self.next_token += 1;
                    match Conn::new(stream) {
                        Ok(conn) => {
                            let ev = EpollEvent::new(EpollFlags::EPOLLIN, token);
                            if self.epoll.add(conn.stream.as_fd(), ev).is_ok() {
                                self.conns.insert(token, conn);
                                self.on_conn(token, EpollFlags::EPOLLIN);
                            }
                        }
                        Err(_) => continue,
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                // EMFILE and friends: drop this round, epoll will tell us again.
                Err(_) => break,
            }
        }
    }

    fn on_conn(&mut self, token: u64, events: EpollFlags) {
        let Some(mut conn) = self.conns.remove(&token) else { return };
        self.owe_release(IDLE_RELEASE_USEC);
        let mut flow = Flow::Continue;
        if events.contains(EpollFlags::EPOLLOUT) {
            flow = conn.flush();
        }
        if flow == Flow::Continue && events.intersects(EpollFlags::EPOLLIN | EpollFlags::EPOLLHUP) {
            flow = conn.read_and_handle(self, token);
        }
        if flow == Flow::Continue {
            arm(&self.epoll, &mut conn, token);
        }
        match flow {
            Flow::Continue => {
                self.conns.insert(token, conn);
            }
            Flow::Close => {
                conn.flush_blocking();
                let _ = self.epoll.delete(conn.stream.as_fd());
                self.waiters.retain(|_, t| *t != token);
            }
        }
    }
}

/// Register interest in `EPOLLOUT` exactly while `conn` has bytes queued;
/// no `epoll_ctl` when that does not change.
fn arm(epoll: &Epoll, conn: &mut Conn, token: u64) {
    let want = conn.wants_write();
    if want == conn.out_armed {
        return;
    }
    let flags = if want { EpollFlags::EPOLLIN | EpollFlags::EPOLLOUT } else { EpollFlags::EPOLLIN };
    let mut ev = EpollEvent::new(flags, token);
    if epoll.modify(conn.stream.as_fd(), &mut ev).is_ok() {
        conn.out_armed = want;
    }
}

/// `accept4(2)` one pending control connection, non-blocking and
/// close-on-exec in the same call (std's `accept` would need an `ioctl`
/// more for `FIONBIO`).
fn accept_nonblocking(listener: &UnixListener) -> std::io::Result<std::os::unix::net::UnixStream> {
    use std::os::fd::FromRawFd;
    // SAFETY: accept4 on the listening socket we own, without an address
    // buffer.
    let fd = unsafe {
        libc::accept4(
            listener.as_raw_fd(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: accept4 returned a new descriptor that nothing else owns.
    Ok(unsafe { std::os::unix::net::UnixStream::from_raw_fd(fd) })
}
