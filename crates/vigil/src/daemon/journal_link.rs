//! The manager's side of the journal: starting the journal process and
//! connecting each service's output to it.
//!
//! The journal runs as its own process (`vigil journald`, DESIGN.md
//! "Journal process"), started by the manager before any unit, as systemd
//! starts systemd-journald: a slow disk or a journal bug can then never
//! stall or kill the manager. It is the manager's child; if it dies it is
//! started again, and until it answers, services write to the manager's
//! own output instead — nothing a service writes is ever thrown away.
//!
//! For a service whose `StandardOutput=`/`StandardError=` is `journal`
//! (the default) the manager connects a stream to the journal's `stdout`
//! socket itself and writes systemd's 7-line stdout-stream header
//! (identifier, unit and invocation id, priority, level prefix, three
//! forward flags). Because the manager opened it, the journal trusts the
//! unit named in the header (its peer is the manager's pid); the socket is
//! then handed to the service as its stdout/stderr.
//!
//! The manager's own messages ("Started x.service.") go to the journal at
//! once outside a turn of the event loop, and at the turn's end within one
//! (below); their console copy is written in one `write(2)` per line
//! ([`console`]).
//!
//! # Start-up
//!
//! [`JournalLink::start`] forks the journal and returns at once; the
//! manager goes on loading units while the journal starts on the other
//! CPU. Its verdict (`READY`, or why not) is read the first time the
//! manager needs it ([`JournalLink::settle`]): before the first service's
//! stream is connected, before the first message is sent or printed,
//! before the journal is stopped or its exit handled — so nothing is
//! said, sent or connected in a different order than when the manager
//! waited at once, and a start-up failure is still the first line about
//! the journal. A manager started by a client (`--ready-fd`) waits before
//! it says it is ready ([`JournalLink::wait_ready`]), as before. Why: the
//! journal's start (exec, its files opened) was a wait of 3.4 ms of the
//! manager's boot on a quiet machine and 64 ms on a loaded one
//! (`sched_switch` trace of a boot of 1000), with the other CPU idle and
//! the boot's units not yet loaded.
//!
//! A datagram socket's receive queue holds only `net.unix.max_dgram_qlen`
//! messages (10 by default; systemd raises it to 512 at boot), so a burst
//! (1000 units starting or stopping at once) fills it long before the
//! journal has read them. systemd's manager then blocks in `sendmsg`; ours
//! waits too, on a connected socket whose `POLLOUT` says the journal's
//! queue has room again, but for at most [`BUSY_WAIT`]: a journal that
//! reads nothing for that long is taken as stuck, and until it takes a
//! message again each one is tried once. A message dropped that way is
//! counted and the count is logged once the journal answers again.
//!
//! # Held messages
//!
//! Within one turn of the event loop the manager *holds* its messages
//! ([`JournalLink::hold`]): each console line and journal datagram is
//! queued in order. Why: a turn that stops 1000 units says "Stopping X..."
//! 1000 times, and each line sent at once (two syscalls, and a wait
//! whenever the journal's queue of ten is full) would stand between one
//! unit's `SIGTERM` and the next: the last service would get its signal
//! only after the journal had taken 990 lines. Held, the signals go out
//! back to back and the lines follow.
//!
//! When the turn ends ([`JournalLink::release`]) the console lines go out
//! in one `write(2)` and the datagrams as far as the journal's queue has
//! room; the rest stay queued and the event loop sends more each time the
//! socket has room again (`EPOLLOUT`, [`JournalLink::pump`]) and between
//! the children it reaps ([`JournalLink::pump_between`]) — meanwhile it
//! reaps and answers. Sending them all at once instead would wait for the
//! journal once per datagram (a full queue of ten takes one more message
//! per wake-up of the journal): on a loaded machine that made the
//! manager's exit after a stop-all of 1000 about 30 % slower.
//!
//! Nothing is lost or reordered: there is one queue, sent in order — a
//! message said while older ones wait joins the queue behind them. The
//! queue is emptied, waiting for room as above ([`JournalLink::flush`]),
//! before the manager forks outside a turn, before it tells a client that
//! its job finished, and before it stops the journal. Past [`HELD_MAX`]
//! bytes it is emptied there and then, so a journal that reads nothing
//! cannot make it grow without bound (its messages are then dropped and
//! counted, as above).
//!
//! A fork within a turn does not empty it ([`JournalLink::before_fork`]):
//! the child is spawned first and the turn's lines follow when the turn
//! ends, as a stop's do after its `SIGTERM`. A restart (`RestartSec=0`)
//! says three lines before it forks the new process ("Main process
//! exited…", "Failed with result…", "Scheduled restart job…"); sent
//! there, each woke the journal process, which then competed with the new
//! child for the second CPU, and the console copy cost a `write(2)`, all
//! between the kill and the replacement's `execve`. The price: a child
//! that writes before its turn has ended (a few microseconds after the
//! fork in a restart's turn) can have that line stored ahead of the
//! turn's last lines about its unit. It never could be sure of "Starting
//! X..." coming first anyway: that line belongs to the state change that
//! follows the spawn.
//!
//! **The journal's malloc cache.** The journal process starts with
//! `GLIBC_TUNABLES=glibc.malloc.tcache_max=128` added to the manager's
//! environment, as the manager itself runs (`malloc_cache.rs`: glibc's
//! per-thread cache kept 126 KiB of the idle journal's heap resident).

use std::cell::{Cell, RefCell};
use std::ffi::CString;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::rundir::RunDir;

pub struct JournalLink {
    stdout_socket: PathBuf,
    native_socket: PathBuf,
    /// For the manager's own messages (native protocol datagrams),
    /// connected to `native_socket` once the journal listens.
    out: Option<std::os::unix::net::UnixDatagram>,
    connected: Cell<bool>,
    /// The journal read nothing for [`BUSY_WAIT`]: don't wait again until
    /// it takes a message.
    stuck: Cell<bool>,
    /// Messages dropped since the journal last took one.
    dropped: Cell<u64>,
    /// Messages are held until the end of the turn (module docs).
    holding: Cell<bool>,
    held: RefCell<Held>,
    /// When a send without waiting last found the journal's queue full,
    /// and when it first did since the journal last took a message.
    full_at: Cell<Option<Instant>>,
    full_since: Cell<Option<Instant>>,
    /// The journal process, once it said it is ready.
    pid: Cell<Option<i32>>,
    /// The journal process forked and not heard from yet (module docs,
    /// "Start-up").
    starting: RefCell<Option<Starting>>,
    rundir: RunDir,
}

/// A journal process forked by [`JournalLink::start`], its verdict unread.
struct Starting {
    pid: i32,
    /// Its `--ready-fd` pipe: `READY`, a reason, or end-of-file.
    verdict: OwnedFd,
    /// [`READY_DEADLINE`] from the fork.
    deadline: Instant,
}

/// How long the manager waits for a fresh journal to listen.
const READY_DEADLINE: Duration = Duration::from_secs(5);

/// How long the manager waits for the journal to write its last lines and
/// exit: systemd's `DefaultTimeoutStopSec=` (`systemd-system.conf(5)`),
/// which bounds systemd-journald's stop too. A loaded disk can make its
/// final `fdatasync` slow; the manager exits once the journal has.
const STOP_TIMEOUT: Duration = Duration::from_secs(90);

/// How long one message may wait for room in the journal's queue.
const BUSY_WAIT: Duration = Duration::from_secs(1);

/// How long [`JournalLink::pump_between`] leaves a full queue alone: the
/// journal takes a message in a few microseconds, so by then it has room
/// for several.
const FULL_RETRY: Duration = Duration::from_micros(100);

/// Queued datagrams whose room is kept once the queue is empty; a
/// larger ring (left by a burst) is freed.
const HELD_KEPT: usize = 64;

/// Held messages beyond this many bytes (console and journal together)
/// are sent at once rather than at the end of the turn.
const HELD_MAX: usize = 1 << 20;

/// How one datagram fared.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Delivery {
    Sent,
    /// The journal's queue is full (only when not waiting).
    Full,
    /// Not sent and not to be tried again: counted as dropped.
    Failed,
}

/// What a turn has said so far, in order (module docs, "Held messages").
#[derive(Default)]
struct Held {
    /// Console lines, each ending in a newline.
    console: Vec<u8>,
    /// Native-protocol datagrams for the journal, oldest first.
    journal: std::collections::VecDeque<String>,
    bytes: usize,
}

impl JournalLink {
    pub fn new(rundir: &RunDir) -> JournalLink {
        let dir = rundir.dir.join("journal");
        JournalLink {
            stdout_socket: dir.join("stdout"),
            native_socket: dir.join("socket"),
            out: std::os::unix::net::UnixDatagram::unbound().ok().filter(|s| s.set_nonblocking(true).is_ok()),
            connected: Cell::new(false),
            stuck: Cell::new(false),
            dropped: Cell::new(0),
            holding: Cell::new(false),
            held: RefCell::default(),
            full_at: Cell::new(None),
            full_since: Cell::new(None),
            pid: Cell::new(None),
            starting: RefCell::new(None),
            rundir: rundir.clone(),
        }
    }

    /// Start the journal process; its verdict is read when first needed
    /// ([`JournalLink::settle`], module docs "Start-up"). A failure is
    /// reported and the manager carries on without a journal.
    pub fn start(&mut self) {
        match self.spawn() {
            Ok(starting) => *self.starting.get_mut() = Some(starting),
            Err(e) => self.start_failed(&e),
        }
    }

    fn start_failed(&self, e: &std::io::Error) {
        self.console(&[&format!("Failed to start the journal: {e}; service output goes to the console.")]);
    }

    /// Wait for the journal started last to say it listens, if it has not
    /// yet: for a client that starts a manager and is told when it is ready.
    pub fn wait_ready(&self) {
        self.settle();
    }

    /// Whether a journal process takes the output (`LogTarget=`): its
    /// verdict is read first if it is still starting.
    pub fn running(&self) -> bool {
        self.settle();
        self.pid.get().is_some()
    }

    /// Read the verdict of a journal still starting (blocks until it
    /// comes, at most until [`READY_DEADLINE`] after the fork).
    fn settle(&self) {
        let Some(s) = self.starting.borrow_mut().take() else { return };
        match read_verdict(s.verdict, s.deadline) {
            Ok(v) if v.trim() == "READY" => self.pid.set(Some(s.pid)),
            Ok(v) => self.start_failed(&std::io::Error::other(if v.is_empty() { "exited during start-up".into() } else { v })),
            Err(e) => self.start_failed(&e),
        }
    }

    fn spawn(&self) -> std::io::Result<Starting> {
        let (rd, wr) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
        let wr_fd = wr.as_raw_fd();
        let exe = CString::new(std::fs::read_link("/proc/self/exe")?.as_os_str().as_bytes())
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
        let mut argv: Vec<CString> = vec![CString::new("systemd-journald").unwrap_or_default()];
        for a in self.rundir.selector_args() {
            argv.push(CString::new(a).unwrap_or_default());
        }
        argv.push(CString::new(format!("--manager-pid={}", std::process::id())).unwrap_or_default());
        argv.push(CString::new(format!("--ready-fd={wr_fd}")).unwrap_or_default());
        let mut ptrs: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
        ptrs.push(std::ptr::null());
        let env = journal_env();
        let mut envp: Vec<*const libc::c_char> = env.iter().map(|a| a.as_ptr()).collect();
        envp.push(std::ptr::null());
        // SAFETY: the child only calls async-signal-safe functions before
        // execv; everything it needs was allocated above.
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            return Err(std::io::Error::last_os_error());
        }
        if pid == 0 {
            // SAFETY: async-signal-safe calls, then exec or _exit.
            unsafe {
                let mut empty: libc::sigset_t = std::mem::zeroed();
                libc::sigemptyset(&mut empty);
                libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
                libc::fcntl(wr_fd, libc::F_SETFD, 0);
                // The journal follows its manager: if the manager is killed
                // (kill -9), the journal ends too instead of holding the
                // root's journal lock as an orphan.
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                libc::execve(exe.as_ptr(), ptrs.as_ptr(), envp.as_ptr());
                libc::_exit(127);
            }
        }
        drop(wr);
        Ok(Starting { pid, verdict: rd, deadline: Instant::now() + READY_DEADLINE })
    }

    /// The journal process exited: start it again (it is the manager's
    /// child, reaped by the event loop).
    pub fn exited(&mut self, pid: i32) -> bool {
        if self.starting.get_mut().as_ref().is_some_and(|s| s.pid == pid) {
            // Its verdict first: a failure is reported as a failed start;
            // a journal that was ready and died since is started again.
            self.settle();
            if self.pid.get() != Some(pid) {
                return true;
            }
        }
        if self.pid.get() != Some(pid) {
            return false;
        }
        self.console(&[&format!("The journal (PID {pid}) exited; starting it again.")]);
        self.pid.set(None);
        self.connected.set(false);
        self.start();
        true
    }

    /// A stream for one service: connected, header written. `None` when
    /// there is no journal (the caller falls back to its own output).
    pub fn stream(&self, identifier: &str, unit: &str, invocation: &str, priority: u8, level_prefix: bool) -> Option<OwnedFd> {
        self.settle();
        self.pid.get()?;
        let s = UnixStream::connect(&self.stdout_socket).ok()?;
        // identifier, "unit invocation", priority, level prefix, and the
        // three forward flags, one per line; built without `format!`.
        let mut header = String::with_capacity(identifier.len() + unit.len() + invocation.len() + 16);
        for part in [identifier, "\n", unit, " ", invocation, "\n", itoa_u8(priority, &mut [0; 3]), "\n"] {
            header.push_str(part);
        }
        header.push_str(if level_prefix { "1\n0\n0\n0\n" } else { "0\n0\n0\n0\n" });
        // Never block the manager on a stuck journal: the header goes out
        // in one non-blocking send (`MSG_DONTWAIT`) — the socket was just
        // connected, so its send buffer is empty and a header of a few
        // hundred bytes fits; anything less than all of it is a failure.
        // (A 100 ms send timeout set and cleared around the write cost two
        // `setsockopt` calls per start.)
        let flags = libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL;
        // SAFETY: the buffer is valid for its length; the fd is open.
        let sent = unsafe { libc::send(s.as_raw_fd(), header.as_ptr().cast(), header.len(), flags) };
        if usize::try_from(sent).ok()? != header.len() {
            return None;
        }
        Some(OwnedFd::from(s))
    }

    /// One of the manager's own messages ("Started web.service.", …), as a
    /// native-protocol entry: `MESSAGE=`, `PRIORITY=`, `SYSLOG_IDENTIFIER=`
    /// and the unit it is about, as systemd logs them: `UNIT=` from the
    /// system manager, `USER_UNIT=` from a user manager (systemd's
    /// `unit_log_field`), which is what `journalctl -u`/`--user-unit`
    /// match (together with `_PID=1`, or `_UID=` of the user). A system
    /// manager that is not PID 1 is recognised by the journal, which adds
    /// `OBJECT_SYSTEMD_UNIT=` (see `journald::server`). Never blocks;
    /// without a journal the console line is all there is.
    pub fn send(&self, unit: Option<&str>, priority: u8, message: &str) {
        self.send_id(unit, priority, message, None);
    }

    /// [`JournalLink::send`] with systemd's `MESSAGE_ID=` for the
    /// catalogued messages (unit started, stopped, failed…).
    pub fn send_id(&self, unit: Option<&str>, priority: u8, message: &str, message_id: Option<&str>) {
        self.send_parts(unit, priority, &[message], message_id);
    }

    /// [`JournalLink::send_id`] with a message made of `parts` put end to
    /// end (`"x.service: Deactivated successfully."` from the unit's name
    /// and the engine's words, without a `format!` copy first).
    pub fn send_parts(&self, unit: Option<&str>, priority: u8, parts: &[&str], message_id: Option<&str>) {
        self.settle();
        let (Some(out), Some(_)) = (&self.out, self.pid.get()) else { return };
        let d = entry(self.rundir.user, unit, priority, parts, message_id);
        // Behind messages still queued, or in a turn: queued (module docs).
        if self.holding.get() || !self.held.borrow().journal.is_empty() {
            self.keep(|h| {
                h.bytes += d.len();
                h.journal.push_back(d);
            });
            return;
        }
        self.post(out, &d, true);
    }

    /// One line on the manager's console (stderr), in one `write(2)` — or
    /// held with the turn's other messages (module docs).
    pub fn console(&self, parts: &[&str]) {
        self.settle();
        if !self.holding.get() {
            return console_line(parts);
        }
        self.keep(|h| {
            for p in parts {
                h.console.extend_from_slice(p.as_bytes());
                h.bytes += p.len();
            }
            h.console.push(b'\n');
            h.bytes += 1;
        });
    }

    /// Hold the messages of this turn until [`JournalLink::release`].
    pub fn hold(&self) {
        self.holding.set(true);
    }

    /// The turn ended: write the held console lines and send the queued
    /// datagrams that the journal has room for now; the rest go out as it
    /// makes room ([`JournalLink::pump`]).
    pub fn release(&self) {
        self.write_console();
        self.pump();
        self.holding.set(false);
    }

    /// Before the manager forks: outside a turn, what it said so far is
    /// sent first ([`JournalLink::flush`]); in a turn it waits for the
    /// turn's end, so the fork is not delayed by it (module docs).
    pub fn before_fork(&self) {
        if !self.holding.get() {
            self.flush();
        }
    }

    /// Everything held and queued out now, waiting for the journal as an
    /// unqueued message would: before a fork, before a client hears that
    /// its job finished, before the journal is stopped (module docs).
    pub fn flush(&self) {
        self.write_console();
        self.send_queued(true);
    }

    /// The journal's socket has room again (or the turn ended): send the
    /// queued datagrams it takes without waiting.
    pub fn pump(&self) {
        self.send_queued(false);
    }

    /// Between the events of a long turn (each child reaped after a
    /// stop-all): send what the journal has room for, so it takes the
    /// lines while the manager works rather than all at the end — but
    /// after a full queue, not again for [`FULL_RETRY`], so a slow journal
    /// does not cost a failed send per event.
    pub fn pump_between(&self) {
        if !self.pending() || self.full_at.get().is_some_and(|t| t.elapsed() < FULL_RETRY) {
            return;
        }
        self.pump();
    }

    /// Datagrams are waiting for room in the journal's queue.
    pub fn pending(&self) -> bool {
        !self.held.borrow().journal.is_empty()
    }

    /// The socket the manager's messages leave by, for the event loop to
    /// learn when it has room (`EPOLLOUT`).
    pub fn out_fd(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        use std::os::fd::AsFd;
        self.out.as_ref().map(|s| s.as_fd())
    }

    fn write_console(&self) {
        let console = std::mem::take(&mut self.held.borrow_mut().console);
        if !console.is_empty() {
            use std::io::Write;
            self.held.borrow_mut().bytes -= console.len();
            let _ = std::io::stderr().lock().write_all(&console);
        }
    }

    /// Send the queued datagrams in order, until the queue is empty or —
    /// without `wait` — the journal's queue is full.
    fn send_queued(&self, wait: bool) {
        // Without a journal (it could not be started again after it
        // died) they go where an unqueued message would have gone:
        // nowhere but the console, which has them.
        self.settle();
        let (Some(out), Some(_)) = (&self.out, self.pid.get()) else {
            let mut h = self.held.borrow_mut();
            let n: usize = h.journal.drain(..).map(|d| d.len()).sum();
            h.bytes -= n;
            return;
        };
        loop {
            let Some(d) = self.held.borrow_mut().journal.pop_front() else {
                // A burst (the boot's thousand "Started" lines) left a
                // large ring behind: give it back once it is empty.
                let mut h = self.held.borrow_mut();
                if h.journal.capacity() > HELD_KEPT {
                    h.journal = Default::default();
                }
                return;
            };
            if !self.post(out, &d, wait) {
                // Full: it waits at the head of the queue for room — unless
                // the journal has taken nothing for BUSY_WAIT: then it is
                // stuck, as when one message waited that long, and the
                // queue is dropped and counted rather than tried every
                // JOURNAL_RETRY_MS for ever.
                self.held.borrow_mut().journal.push_front(d);
                let now = Instant::now();
                self.full_at.set(Some(now));
                let since = self.full_since.get().unwrap_or(now);
                self.full_since.set(Some(since));
                if now.duration_since(since) >= BUSY_WAIT {
                    self.stuck.set(true);
                    return self.send_queued(true);
                }
                return;
            }
            self.held.borrow_mut().bytes -= d.len();
        }
    }

    /// Add to the held messages; past [`HELD_MAX`], send them now.
    fn keep(&self, add: impl FnOnce(&mut Held)) {
        let full = {
            let mut h = self.held.borrow_mut();
            add(&mut h);
            h.bytes >= HELD_MAX
        };
        if full {
            self.flush();
        }
    }

    /// Send one datagram: true when it was sent or dropped (counted; once
    /// the journal takes messages again, it hears how many were dropped),
    /// false when `wait` is off and the journal's queue is full.
    fn post(&self, out: &std::os::unix::net::UnixDatagram, d: &str, wait: bool) -> bool {
        match self.deliver(out, d.as_bytes(), wait) {
            Delivery::Sent => {}
            Delivery::Full => return false,
            Delivery::Failed => {
                self.dropped.set(self.dropped.get() + 1);
                return true;
            }
        }
        let dropped = self.dropped.replace(0);
        if dropped > 0 {
            let note = format!(
                "MESSAGE=The journal was not reading: {dropped} manager messages were dropped.\nPRIORITY=4\nSYSLOG_IDENTIFIER=vigil\n"
            );
            if self.deliver(out, note.as_bytes(), wait) != Delivery::Sent {
                self.dropped.set(dropped);
            }
        }
        true
    }

    /// Send one datagram; with `wait`, wait up to [`BUSY_WAIT`] for room
    /// in the journal's queue (module docs). Reconnects once if the
    /// journal was started again.
    fn deliver(&self, out: &std::os::unix::net::UnixDatagram, d: &[u8], wait: bool) -> Delivery {
        let end = Instant::now() + BUSY_WAIT;
        let mut reconnected = false;
        loop {
            if !self.connected.get() {
                if out.connect(&self.native_socket).is_err() {
                    return Delivery::Failed;
                }
                self.connected.set(true);
            }
            let err = match out.send(d) {
                Ok(_) => {
                    self.stuck.set(false);
                    self.full_since.set(None);
                    return Delivery::Sent;
                }
                Err(e) => e.raw_os_error().unwrap_or(0),
            };
            match err {
                libc::EAGAIN if !wait => return Delivery::Full,
                libc::EAGAIN => {
                    let left = end.saturating_duration_since(Instant::now());
                    if self.stuck.get() || left.is_zero() {
                        self.stuck.set(true);
                        return Delivery::Failed;
                    }
                    use std::os::fd::AsFd;
                    let mut fds = [nix::poll::PollFd::new(out.as_fd(), nix::poll::PollFlags::POLLOUT)];
                    let ms = left.as_millis().clamp(1, 1000) as u16;
                    let _ = nix::poll::poll(&mut fds, nix::poll::PollTimeout::from(ms));
                }
                libc::EINTR => {}
                // The journal was started again: its socket is a new one.
                libc::ECONNREFUSED | libc::ENOTCONN | libc::ENOENT if !reconnected => {
                    reconnected = true;
                    self.connected.set(false);
                }
                _ => return Delivery::Failed,
            }
        }
    }

    /// Stop the journal last, after every unit: it flushes and marks its
    /// files offline on SIGTERM.
    pub fn stop(&mut self) {
        self.settle();
        // Every line queued goes in before the journal is told to end. A
        // journal found stuck earlier (a loaded machine can starve it for
        // a second) gets one more chance to take them: the manager is
        // about to wait for its exit anyway, and a journal that still
        // reads nothing costs one more BUSY_WAIT before the rest is
        // dropped.
        self.stuck.set(false);
        self.full_since.set(None);
        self.flush();
        // Dropped lines whose count the journal could not be told: the
        // console says it, since nothing later will.
        let dropped = self.dropped.replace(0);
        if dropped > 0 {
            console_line(&[&format!("The journal was not reading: {dropped} manager messages were dropped.")]);
        }
        let Some(pid) = self.pid.take() else { return };
        // SAFETY: signalling our own child.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        // Its pidfd turns readable when it exits: the manager's own exit
        // follows at once instead of at the end of a sleep (sleeping 1, 2,
        // 4, 8… ms between checks overslept by up to half the wait).
        // SAFETY: pidfd_open(2) with plain integers; the fd is owned below.
        let raw = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) } as i32;
        let pidfd = (raw >= 0).then(|| {
            // SAFETY: a fresh descriptor that nothing else owns.
            unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(raw) }
        });
        let end = Instant::now() + STOP_TIMEOUT;
        let mut pause = Duration::from_millis(1);
        loop {
            let mut status = 0;
            // SAFETY: waiting for our own child.
            let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
            let left = end.saturating_duration_since(Instant::now());
            if r == pid || r < 0 {
                break;
            }
            if left.is_zero() {
                // Never silently: what it had not written yet may be lost.
                console_line(&[&format!(
                    "The journal (PID {pid}) did not exit within {}s; lines it had not written yet may be lost.",
                    STOP_TIMEOUT.as_secs()
                )]);
                break;
            }
            match &pidfd {
                Some(fd) => {
                    use std::os::fd::AsFd;
                    let mut fds = [nix::poll::PollFd::new(fd.as_fd(), nix::poll::PollFlags::POLLIN)];
                    let ms = left.as_millis().clamp(1, u128::from(u16::MAX)) as u16;
                    let _ = nix::poll::poll(&mut fds, nix::poll::PollTimeout::from(ms));
                }
                // Kernels before 5.3 have no pidfd_open.
                None => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(20));
                }
            }
        }
    }
}

/// One line on the manager's console (stderr), in one `write(2)`:
/// `eprintln!` on the unbuffered stderr issues a write per formatted
/// piece (four for "unit: message\n").
/// The manager's journal entry (native protocol fields) for a message made
/// of `parts`: one allocation, the exact size (no `format!` pieces).
fn entry(user: bool, unit: Option<&str>, priority: u8, parts: &[&str], message_id: Option<&str>) -> String {
    let field = if user { "USER_UNIT=" } else { "UNIT=" };
    let len = "MESSAGE=\nPRIORITY=0\nSYSLOG_IDENTIFIER=vigil\n".len() + parts.iter().map(|p| p.len()).sum::<usize>() + 2
        + unit.map_or(0, |u| field.len() + u.len() + 1)
        + message_id.map_or(0, |id| "MESSAGE_ID=\n".len() + id.len());
    let mut d = String::with_capacity(len);
    d.push_str("MESSAGE=");
    // A message with a newline needs the binary form; ours never has
    // one (a newline would become a space). Copied whole, not char by
    // char: a char-wise copy was ~900 instructions per message.
    for p in parts {
        if p.contains('\n') {
            d.extend(p.chars().map(|c| if c == '\n' { ' ' } else { c }));
        } else {
            d.push_str(p);
        }
    }
    d.push_str("\nPRIORITY=");
    d.push_str(itoa_u8(priority, &mut [0; 3]));
    d.push_str("\nSYSLOG_IDENTIFIER=vigil\n");
    if let Some(u) = unit {
        d.push_str(field);
        d.push_str(u);
        d.push('\n');
    }
    if let Some(id) = message_id {
        d.push_str("MESSAGE_ID=");
        d.push_str(id);
        d.push('\n');
    }
    d
}

fn console_line(parts: &[&str]) {
    use std::io::Write;
    let mut line = String::with_capacity(parts.iter().map(|p| p.len()).sum::<usize>() + 1);
    for p in parts {
        line.push_str(p);
    }
    line.push('\n');
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// `n` in decimal, in `buf`.
fn itoa_u8(n: u8, buf: &mut [u8; 3]) -> &str {
    let mut at = buf.len();
    let mut n = n;
    loop {
        at -= 1;
        buf[at] = b'0' + n % 10;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    std::str::from_utf8(&buf[at..]).unwrap_or("0")
}

fn read_verdict(rd: OwnedFd, end: Instant) -> std::io::Result<String> {
    use std::io::Read;
    let mut f = std::fs::File::from(rd);
    let mut msg = Vec::new();
    let mut buf = [0u8; 256];
    loop {
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "did not become ready"));
        }
        use std::os::fd::AsFd;
        let mut fds = [nix::poll::PollFd::new(f.as_fd(), nix::poll::PollFlags::POLLIN)];
        let ms = left.as_millis().min(u128::from(u16::MAX)) as u16;
        match nix::poll::poll(&mut fds, nix::poll::PollTimeout::from(ms)) {
            Ok(0) => continue,
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(e.into()),
        }
        match f.read(&mut buf)? {
            0 => return Ok(String::from_utf8_lossy(&msg).into_owned()),
            n => msg.extend_from_slice(&buf[..n]),
        }
        if msg.ends_with(b"\n") {
            return Ok(String::from_utf8_lossy(&msg).into_owned());
        }
    }
}

/// The journal's environment: the manager's, with the malloc tunable
/// added to `GLIBC_TUNABLES` (`malloc_cache::with_tunable`). Built before
/// `fork` (the child may not allocate).
fn journal_env() -> Vec<CString> {
    let mut inherited = None;
    let mut env: Vec<CString> = Vec::new();
    for (k, v) in std::env::vars_os() {
        if k == "GLIBC_TUNABLES" {
            inherited = Some(v);
            continue;
        }
        let mut kv = k.as_bytes().to_vec();
        kv.push(b'=');
        kv.extend_from_slice(v.as_bytes());
        // A variable holding a NUL cannot come from an environment.
        if let Ok(c) = CString::new(kv) {
            env.push(c);
        }
    }
    let inherited = inherited.as_deref().map(OsStrExt::as_bytes);
    let mut t = b"GLIBC_TUNABLES=".to_vec();
    t.extend_from_slice(&crate::malloc_cache::with_tunable(inherited).unwrap_or_else(|| inherited.unwrap_or_default().to_vec()));
    if let Ok(c) = CString::new(t) {
        env.push(c);
    }
    env
}

#[cfg(test)]
mod tests {
    /// The manager's environment reaches the journal, with the tunable.
    #[test]
    fn journal_env_keeps_the_environment_and_adds_the_tunable() {
        let env = super::journal_env();
        let has = |p: &[u8]| env.iter().any(|c| c.as_bytes().starts_with(p));
        assert!(has(b"GLIBC_TUNABLES="));
        if std::env::var_os("PATH").is_some() {
            assert!(has(b"PATH="));
        }
        assert_eq!(env.iter().filter(|c| c.as_bytes().starts_with(b"GLIBC_TUNABLES=")).count(), 1);
    }

    #[test]
    fn entry_joins_the_parts_in_one_allocation() {
        let e = super::entry(false, Some("a.service"), 6, &["a.service", ": ", "Deactivated successfully."], Some("7ad2d189f7e94e70a38c781354912448"));
        assert_eq!(
            e,
            "MESSAGE=a.service: Deactivated successfully.\nPRIORITY=6\nSYSLOG_IDENTIFIER=vigil\nUNIT=a.service\nMESSAGE_ID=7ad2d189f7e94e70a38c781354912448\n"
        );
        assert!(e.capacity() - e.len() <= 2, "sized once: {} of {}", e.len(), e.capacity());
        let e = super::entry(true, Some("b.service"), 3, &["two\nlines"], None);
        assert_eq!(e, "MESSAGE=two lines\nPRIORITY=3\nSYSLOG_IDENTIFIER=vigil\nUSER_UNIT=b.service\n");
        assert!(e.capacity() - e.len() <= 2, "sized once: {} of {}", e.len(), e.capacity());
        assert_eq!(super::entry(false, None, 6, &["x"], None), "MESSAGE=x\nPRIORITY=6\nSYSLOG_IDENTIFIER=vigil\n");
    }

    #[test]
    fn itoa_u8_writes_decimal() {
        for n in [0u8, 7, 10, 99, 100, 255] {
            assert_eq!(super::itoa_u8(n, &mut [0; 3]), n.to_string());
        }
    }
}
